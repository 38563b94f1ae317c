/**
 * Fidelity judged per input range (generated data in several ranges) and how the report panel words integer
 * outputs. Report shapes as core/quantize/report.ts writes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, shortfall, score, DEFAULT_TARGET } from '../../extension/core/quantize/accuracy';
import type { FidelityReport, OutputFidelity } from '../../extension/core/quantize/report';
import { agreementText, agreementValue, cosineText, rangeLine, signalText } from '../../webview/quantize/fidelityView';

const out = (name: string, cosine: number, extra: Partial<OutputFidelity> = {}): OutputFidelity => ({ name, cosine, sqnrDb: 20, maxAbsError: 0.1, signal: 'ok', floatRange: [-1, 1], ...extra });

test('a target met on 0..1 but missed on -1..1 is a miss that names the range', () => {
  const f: FidelityReport = {
    samples: 8, outputs: [out('boxes', 0.57)],
    byRange: [{ range: 'pictures in 0..1', samples: 4, outputs: [out('boxes', 0.995)] }, { range: 'pictures in -1..1', samples: 4, outputs: [out('boxes', 0.57)] }],
  };
  const failures = judge(f, DEFAULT_TARGET);
  assert.equal(failures.length, 1);
  assert.match(failures[0], /^on pictures in -1\.\.1: boxes: cosine 0\.5700 < 0\.99/);
  assert.ok(shortfall(f, DEFAULT_TARGET) > 0);
  assert.equal(score(f).cosine, 0.57);
  const ok: FidelityReport = { ...f, outputs: [out('boxes', 0.993)], byRange: f.byRange!.map((g) => ({ ...g, outputs: [out('boxes', 0.993)] })) };
  assert.deepEqual(judge(ok, DEFAULT_TARGET), []);
  assert.equal(shortfall(ok, DEFAULT_TARGET), 0);
});

test('a range where the float model is constant has nothing to judge; the others still must meet the target', () => {
  const none = out('y', NaN, { signal: 'none', floatRange: [0, 0] });
  const f: FidelityReport = { samples: 8, outputs: [out('y', 0.999)], byRange: [{ range: 'pictures in 0..1', samples: 4, outputs: [out('y', 0.999)] }, { range: 'standard normal noise (numpy randn)', samples: 4, outputs: [none] }] };
  assert.deepEqual(judge(f, DEFAULT_TARGET), []);
  const g: FidelityReport = { ...f, byRange: [{ range: 'a', samples: 4, outputs: [none] }, { range: 'b', samples: 4, outputs: [none] }] };
  assert.match(judge(g, DEFAULT_TARGET).join(), /no signal/);
});

test('the report panel shows the equal-element share of an integer output, not "—"', () => {
  const ids = { ...out('selected_indices', 0.9999), exactMatch: 0.875 };
  assert.equal(agreementText(ids), '87.5% of elements equal');
  assert.equal(agreementValue(ids), 0.875);
  assert.equal(cosineText(ids), '— (integer)');
  assert.match(signalText(ids), /judged by equal elements/);
  // Saved reports carry NaN as null: still words, never a crash.
  assert.equal(cosineText({ ...out('y', 0), cosine: null }), '—');
  assert.equal(agreementText(out('scores', 0.99, { classScores: true, top1Agreement: 1 })), '100.0%');
  assert.equal(agreementText(out('boxes', 0.99, { classScores: false })), '— (not class scores)');
  assert.equal(rangeLine({ range: 'pictures in -1..1', samples: 4, outputs: [out('boxes', 0.57), ids] }), 'pictures in -1..1 (4): boxes cosine 0.57000; selected_indices 87.5% equal');
});
