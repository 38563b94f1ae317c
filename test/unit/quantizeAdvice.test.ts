/**
 * The Quantize report never gives command-line advice: the engine's warnings, failures and errors (written for
 * the CLI, `--calibration`, `--eval`, `--value`, `--block-size`) are shown without their flags, and what they
 * advise becomes a button. RANDOM_WARNING is imported; the other texts are the engine's messages as
 * extension/core/quantize/accuracy.ts, calibration.ts and quantize.ts write them, with sample numbers filled in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RANDOM_WARNING } from '../../extension/core/quantize/quantize';
import { isFromQuantizeWebview } from '../../webview/quantize/protocol';
import { warningView, withoutFlags } from '../../webview/quantize/advice';

test('the random-calibration warning loses its flag and becomes "Re-quantize with Calibration Data…"', () => {
  assert.match(RANDOM_WARNING, /--calibration/, 'the engine\'s text speaks to the CLI');
  const v = warningView(RANDOM_WARNING);
  assert.doesNotMatch(v.text, /--/);
  assert.match(v.text, /^calibrated on random inputs: activation ranges then reflect noise/);
  assert.deepEqual(v.action, { label: 'Re-quantize with Calibration Data…', message: { type: 'requantizeCalibrated' } });
  assert.ok(isFromQuantizeWebview(v.action.message), 'the button\'s message passes the host\'s guard');
  assert.ok(isFromQuantizeWebview({ type: 'chooseSettings' }));
  assert.equal(isFromQuantizeWebview({ type: 'chooseSettings', extra: 1 }), false);
});

test('other engine texts: flags dropped, the sense kept; a warning without advice gets no button', () => {
  const cases: Array<[string, string]> = [
    ['only 3 calibration sample(s): too few to hold any out (one in 8 is held out from 8 on), so fidelity was measured on the calibration data itself, which flatters it; give --eval with other samples',
      'only 3 calibration sample(s): too few to hold any out (one in 8 is held out from 8 on), so fidelity was measured on the calibration data itself, which flatters it'],
    ['no signal: every output (y) of the float model is constant on the 4 evaluation input(s), so agreement cannot be judged; give real inputs (--eval) or the shapes the model runs at',
      'no signal: every output (y) of the float model is constant on the 4 evaluation input(s), so agreement cannot be judged; give real inputs or the shapes the model runs at'],
    ['image calibration needs a model with one input (give the others with --value)', 'image calibration needs a model with one input'],
    ['--block-size 48 must be a power of two from 16 to 256', 'block size 48 must be a power of two from 16 to 256'],
  ];
  for (const [engine, shown] of cases) assert.equal(withoutFlags(engine), shown);
  const slower = 'the quantized model is slower than the float one on this machine: only a fully quantized graph fuses into int8 kernels (check excluded or unsupported ops)';
  assert.deepEqual(warningView(slower), { text: slower, action: undefined });
});
