import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { quantizeModel, RANDOM_WARNING } from '../../extension/core/quantize/quantize';
import { QuantizeError } from '../../extension/core/quantize/tensors';
import { floatData } from '../../extension/core/quantize/tensors';
import { loadModel, saveModel, toNumber } from '../../extension/core/onnx/model';
import { CancelSource, CancelledError } from '../../extension/core/util/progress';
import { loadOrt } from '../../extension/core/profile/ort';
import { resnetLike } from '../helpers/models';

const M = (f: string) => path.join(__dirname, '..', 'fixtures', 'models', f);
const root = path.resolve(__dirname, '..', '..');
let tmp: string;
let cnn: string;
let cnnSmall: string;

const sha = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

function npy(shape: number[], data: Float32Array): Buffer {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  const h = Buffer.from(header + ' '.repeat((64 - (total % 64)) % 64) + '\n', 'latin1');
  return Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length & 0xff, h.length >> 8]), h, Buffer.from(data.buffer)]);
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-quant-'));
  cnn = path.join(tmp, 'cnn.onnx');
  await saveModel(resnetLike({ size: 64, width: 32, blocks: 2 }), cnn);
  cnnSmall = path.join(tmp, 'cnn32.onnx');
  await saveModel(resnetLike({ size: 32, width: 16, blocks: 1 }), cnnSmall);
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('static QDQ on a CNN, calibrated from a folder of .npy files: valid, faithful, biases int32 at input × weight scale', async () => {
  const calib = path.join(tmp, 'calib');
  await mkdir(calib);
  let seed = 3;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  for (let i = 0; i < 6; i++) await writeFile(path.join(calib, `s${i}.npy`), npy([1, 3, 64, 64], Float32Array.from({ length: 3 * 64 * 64 }, rnd)));
  const before = await sha(cnn);
  const out = path.join(tmp, 'cnn_int8.onnx');
  const r = await quantizeModel({ input: cnn, output: out, mode: 'static', perChannel: true, calibration: { kind: 'files', path: calib }, sensitivity: true, latencyRuns: 5 });
  assert.equal(await sha(cnn), before, 'the input model is untouched');
  assert.equal(r.calibration?.samples, 5, 'one sample in five is held out for the fidelity report');
  assert.equal(r.calibration?.warning, undefined);
  assert.equal(r.quantized.byOpType.Conv, 5);
  assert.ok(r.output.bytes < r.input.bytes * 0.45, `int8 weights: ${r.output.bytes} of ${r.input.bytes} bytes`);
  const f = r.fidelity.outputs[0];
  assert.ok(f.cosine > 0.999 && f.sqnrDb > 25, JSON.stringify(f));
  assert.equal(f.top1Agreement !== undefined, true, 'a class-score output gets top-1 agreement');
  assert.ok(r.sensitivity.length >= 5 && r.sensitivity[0].sqnrDb <= r.sensitivity[r.sensitivity.length - 1].sqnrDb, 'sensitivity sorted worst first');
  await loadOrt().InferenceSession.create(out);
  const { model } = await loadModel(out);
  const g = model.graph!;
  const init = new Map(g.initializer!.map((t) => [t.name!, t]));
  const conv = g.node!.find((n) => n.opType === 'Conv' && n.name === 'b0_c2')!;
  const dqOf = (name: string) => g.node!.find((n) => n.output!.includes(name))!;
  const x = dqOf(conv.input![0]);
  const w = dqOf(conv.input![1]);
  const b = dqOf(conv.input![2]);
  assert.deepEqual([x.opType, w.opType, b.opType], ['DequantizeLinear', 'DequantizeLinear', 'DequantizeLinear']);
  assert.equal(init.get(b.input![0])!.dataType, 6, 'bias is int32');
  const xs = floatData(init.get(x.input![1])!)![0];
  const ws = floatData(init.get(w.input![1])!)!;
  const bs = floatData(init.get(b.input![1])!)!;
  assert.equal(ws.length, 32, 'per-channel weight scales');
  for (let c = 0; c < ws.length; c++) assert.equal(bs[c], Math.fround(xs * ws[c]));
  await assert.rejects(quantizeModel({ input: cnn, output: out, mode: 'static' }), /already exists/);
  await assert.rejects(quantizeModel({ input: cnn, output: cnn, mode: 'static' }), /never overwritten/);
});

test('the report times float and int8 interleaved, and says why random calibration is a poor choice', async (t) => {
  const big = path.join(tmp, 'cnn_big.onnx');
  await saveModel(resnetLike({ size: 112, width: 64, blocks: 4 }), big);
  const r = await quantizeModel({ input: big, output: path.join(tmp, 'cnn_big_int8.onnx'), mode: 'static', calibration: { kind: 'random', count: 4 }, sensitivity: false, latencyRuns: 20 });
  t.diagnostic(`float ${r.latency.floatMs.p50.toFixed(2)} ms, int8 ${r.latency.quantizedMs.p50.toFixed(2)} ms, ×${r.latency.speedup.toFixed(2)}`);
  assert.ok(r.latency.quantizedMs.p50 > 0 && r.latency.floatMs.p50 > 0);
  assert.ok(r.warnings.includes(RANDOM_WARNING), 'random calibration says why it is a poor choice');
  assert.equal(r.latency.runs, 20);
  assert.ok(Math.abs(r.latency.speedup - r.latency.floatMs.p50 / r.latency.quantizedMs.p50) < 1e-9);
});

test('a model below opset 10 is upgraded (mnist, opset 8) and its initializer inputs stay initializers', async () => {
  const out = path.join(tmp, 'mnist_int8.onnx');
  const r = await quantizeModel({ input: M('mnist.onnx'), output: out, mode: 'static', sensitivity: false, latencyRuns: 3 });
  assert.ok(r.warnings.some((w) => /upgraded from opset 8 to 11/.test(w)), 'upgraded to 11, as ONNX Runtime\'s tool does below 10');
  const s = await loadOrt().InferenceSession.create(out);
  assert.deepEqual(s.inputNames, ['Input3']);
  assert.ok(r.fidelity.outputs[0].top1Agreement !== undefined);
});

test('calibration from an .npz holding a batch of samples (stored zip, as numpy.savez writes)', async () => {
  const arr = npy([3, 1, 3, 32, 32], Float32Array.from({ length: 3 * 3 * 32 * 32 }, (_, i) => Math.sin(i)));
  const name = Buffer.from('input.npy');
  const crc = 0; // readers here do not check it
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14); local.writeUInt32LE(arr.length, 18); local.writeUInt32LE(arr.length, 22); local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt32LE(arr.length, 20); central.writeUInt32LE(arr.length, 24); central.writeUInt16LE(name.length, 28); central.writeUInt32LE(0, 42);
  const cdOffset = local.length + name.length + arr.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(1, 8); eocd.writeUInt16LE(1, 10); eocd.writeUInt32LE(central.length + name.length, 12); eocd.writeUInt32LE(cdOffset, 16);
  const file = path.join(tmp, 'calib.npz');
  await writeFile(file, Buffer.concat([local, name, arr, central, name, eocd]));
  const r = await quantizeModel({ input: cnnSmall, output: path.join(tmp, 'npz_int8.onnx'), mode: 'static', calibration: { kind: 'files', path: file }, sensitivity: false, latencyRuns: 2 });
  assert.equal(r.calibration?.samples, 3);
  await writeFile(path.join(tmp, 'bad.npz'), 'not a zip');
  await assert.rejects(quantizeModel({ input: cnnSmall, output: path.join(tmp, 'npz_bad.onnx'), mode: 'static', calibration: { kind: 'files', path: path.join(tmp, 'bad.npz') } }), /not a valid \.npz/);
});

test('calibration from a folder of images with a preprocessing recipe', async () => {
  const imgs = path.join(tmp, 'images');
  await mkdir(imgs);
  for (let i = 0; i < 3; i++) await sharp({ create: { width: 48, height: 40, channels: 3, background: { r: 40 * i, g: 100, b: 200 - 30 * i } } }).png().toFile(path.join(imgs, `img${i}.png`));
  await writeFile(path.join(imgs, 'notes.txt'), 'not an image');
  const r = await quantizeModel({ input: cnnSmall, output: path.join(tmp, 'img_int8.onnx'), mode: 'static', sensitivity: false, latencyRuns: 2, calibration: { kind: 'images', path: imgs, recipe: { width: 32, height: 32, layout: 'nchw', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 / 255, channels: 'rgb' } } });
  assert.equal(r.calibration?.samples, 3);
  await assert.rejects(quantizeModel({ input: cnnSmall, output: path.join(tmp, 'img2.onnx'), mode: 'static', calibration: { kind: 'images', path: path.join(tmp, 'nope'), recipe: { width: 32, height: 32, layout: 'nchw', mean: [0, 0, 0], std: [1, 1, 1], scale: 1, channels: 'rgb' } } }), /does not exist/);
});

test('dynamic int8: the same node pattern as the reference graph, loads and stays faithful', async () => {
  const out = path.join(tmp, 'bert_dyn.onnx');
  const r = await quantizeModel({ input: M('bert_toy_optimized.onnx'), output: out, mode: 'dynamic', dims: { batch: 1, max_seq_len_in_batch: 32 }, sensitivity: false, latencyRuns: 3, accuracyAware: false });
  assert.equal(r.quantized.byOpType.MatMul + r.quantized.byOpType.Gemm, 33);
  const ref = (await loadModel(M('dynamic_quantize_matmul_int8.onnx'))).model.graph!.node!.map((n) => n.opType);
  const mine = (await loadModel(out)).model.graph!.node!.map((n) => n.opType);
  const i = mine.indexOf('DynamicQuantizeLinear');
  assert.deepEqual(mine.slice(i, i + 5).sort(), [...ref].sort());
  assert.ok(r.fidelity.outputs.every((o) => o.cosine > 0.999));
});

test('int4 MatMulNBits: B is [N, blocks, block/2], the model runs, weights shrink', async () => {
  const out = path.join(tmp, 'gpt2_int4.onnx');
  const r = await quantizeModel({ input: M('tiny-random-gpt2-fp32-past.onnx'), output: out, mode: 'int4', blockSize: 16, dims: { batch_size: 1, seq_len: 4, past_seq_len: 2, total_seq_len: 6 }, sensitivity: false, latencyRuns: 2, accuracyAware: false });
  assert.equal(r.quantized.byOpType.MatMul, 16);
  const g = (await loadModel(out)).model.graph!;
  const nb = g.node!.find((n) => n.opType === 'MatMulNBits')!;
  assert.equal(nb.domain, 'com.microsoft');
  const attr = (k: string) => toNumber(nb.attribute!.find((a) => a.name === k)!.i);
  const B = g.initializer!.find((t) => t.name === nb.input![1])!;
  assert.deepEqual(B.dims!.map(toNumber), [attr('N'), Math.ceil(attr('K') / 16), 8]);
  assert.equal(nb.input!.length, 3, 'symmetric: no zero points');
  assert.ok(r.output.bytes < r.input.bytes * 0.7);
  assert.ok(r.fidelity.outputs[0].cosine > 0.95);
});

test('nothing to quantize, bad block sizes and cancellation end cleanly with a reason', async () => {
  const noWeights = path.join(tmp, 'relu_only.onnx');
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 8 }] } } } });
  await saveModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: { name: 'g', node: [{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], input: [vi('x')], output: [vi('y')] } }, noWeights);
  await assert.rejects(quantizeModel({ input: noWeights, output: path.join(tmp, 'x.onnx'), mode: 'dynamic' }), (e: unknown) => e instanceof QuantizeError && /nothing to quantize in dynamic mode/.test(e.message));
  await assert.rejects(quantizeModel({ input: M('matmulnbits_add.onnx'), output: path.join(tmp, 'y.onnx'), mode: 'int4' }), /already quantized \(4-bit/);
  await assert.rejects(quantizeModel({ input: M('tiny-random-gpt2-fp32-past.onnx'), output: path.join(tmp, 'z.onnx'), mode: 'int4', blockSize: 48 }), /power of two/);
  const cancel = new CancelSource();
  const out = path.join(tmp, 'cancelled.onnx');
  await assert.rejects(quantizeModel({ input: cnn, output: out, mode: 'static', calibration: { kind: 'random', count: 50 }, signal: cancel.signal, progress: { report: (p) => { if (/calibrating/.test(p.message ?? '')) cancel.cancel(); } } }), CancelledError);
  await assert.rejects(access(out), 'a cancelled calibration writes nothing');
});

test('CLI: quantize --json writes the model and the report', async () => {
  const out = path.join(tmp, 'cli_int8.onnx');
  const res = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [path.join(root, 'bin', 'mobileai.js'), 'quantize', cnnSmall, '--mode', 'static', '--method', 'percentile', '--random', '4', '--out', out, '--json', '--no-sensitivity']);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  assert.equal(res.code, 0, res.stderr);
  const report = JSON.parse(res.stdout);
  assert.equal(report.schema, 'mobileai.quantize/1');
  assert.equal(report.calibration.method, 'percentile');
  assert.equal(report.output.file, out);
  await access(out);
});

/**
 * A transformer encoder layer as torch.onnx.export writes it at opset 17: hidden_states [batch_size,
 * sequence_length, 64] float, attention_mask bool; Q/K/V MatMuls, scaled scores plus (not mask)·−10000, Softmax,
 * LayerNormalization (the opset-17 op), the Erf form of GELU, residual adds.
 */
function encoderLayer(): Parameters<typeof saveModel>[0] {
  let s = 11;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
  const D = 64;
  const F = 128;
  const w = (name: string, dims: number[], scale = 0.2) => ({ name, dataType: 1, dims, floatData: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * scale) });
  const c = (name: string, v: number[], dims = [v.length]) => ({ name, dataType: 1, dims, floatData: v });
  const n = (opType: string, input: string[], output: string[], attribute: object[] = []) => ({ opType, name: `${output[0]}_${opType}`, input, output, attribute });
  const seq = (elemType: number, last?: number) => ({ tensorType: { elemType, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, ...(last ? [{ dimValue: last }] : [])] } } });
  const ln = (x: string, g: string, b: string, y: string) => n('LayerNormalization', [x, g, b], [y], [{ name: 'axis', i: -1, type: 2 }, { name: 'epsilon', f: 1e-5, type: 1 }]);
  return {
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'encoder_layer',
      input: [{ name: 'hidden_states', type: seq(1, D) }, { name: 'attention_mask', type: seq(9) }],
      output: [{ name: 'last_hidden_state', type: seq(1, D) }],
      initializer: [
        w('Wq', [D, D]), w('Wk', [D, D]), w('Wv', [D, D]), w('Wo', [D, D]), w('W1', [D, F]), w('W2', [F, D]), w('bq', [D], 0.1), w('b1', [F], 0.1),
        c('g1', Array(D).fill(1)), c('be1', Array(D).fill(0)), c('g2', Array(D).fill(1)), c('be2', Array(D).fill(0)),
        c('scale', [0.125], []), c('neg', [-10000], []), c('sqrt2', [Math.SQRT2], []), c('one', [1], []), c('half', [0.5], []), { name: 'ax1', dataType: 7, dims: [1], int64Data: [1] },
      ],
      node: [
        n('MatMul', ['hidden_states', 'Wq'], ['q0']), n('Add', ['q0', 'bq'], ['q']), n('MatMul', ['hidden_states', 'Wk'], ['k']), n('MatMul', ['hidden_states', 'Wv'], ['v']),
        n('Transpose', ['k'], ['kt'], [{ name: 'perm', ints: [0, 2, 1], type: 7 }]), n('MatMul', ['q', 'kt'], ['s0']), n('Mul', ['s0', 'scale'], ['s1']),
        n('Not', ['attention_mask'], ['nm']), n('Cast', ['nm'], ['nmf'], [{ name: 'to', i: 1, type: 2 }]), n('Mul', ['nmf', 'neg'], ['bias0']), n('Unsqueeze', ['bias0', 'ax1'], ['bias']),
        n('Add', ['s1', 'bias'], ['s2']), n('Softmax', ['s2'], ['p'], [{ name: 'axis', i: -1, type: 2 }]), n('MatMul', ['p', 'v'], ['ctx']), n('MatMul', ['ctx', 'Wo'], ['o']),
        n('Add', ['o', 'hidden_states'], ['r1']), ln('r1', 'g1', 'be1', 'ln1'),
        n('MatMul', ['ln1', 'W1'], ['f0']), n('Add', ['f0', 'b1'], ['f1']), n('Div', ['f1', 'sqrt2'], ['e0']), n('Erf', ['e0'], ['e1']), n('Add', ['e1', 'one'], ['e2']), n('Mul', ['f1', 'e2'], ['e3']), n('Mul', ['e3', 'half'], ['gelu']),
        n('MatMul', ['gelu', 'W2'], ['f2']), n('Add', ['f2', 'ln1'], ['r2']), ln('r2', 'g2', 'be2', 'last_hidden_state'),
      ],
    },
  };
}

test('a transformer layer (opset 17 LayerNormalization, bool mask) calibrated on generated inputs agrees on unit-variance hidden states', async () => {
  const file = path.join(tmp, 'encoder_layer.onnx');
  await saveModel(encoderLayer(), file);
  const out = path.join(tmp, 'encoder_layer_int8.onnx');
  const r = await quantizeModel({ input: file, output: out, mode: 'static', calibration: { kind: 'random', count: 16 }, inputs: { dims: { sequence_length: 16 } }, sensitivity: false, latencyRuns: 2 });
  assert.equal(r.accuracy.met, true, r.accuracy.failures.join('; '));
  assert.ok(r.quantized.byOpType.MatMul >= 6);
  assert.ok(!r.quantized.byOpType.LayerNormalization, 'LayerNormalization stays in float');
  // What a user checks: hidden states as a previous layer gives them (LayerNorm'd: mean 0, std 1), all tokens
  // attended. Calibrated on uniform −1..1, a third of these values fell outside the calibrated range (cosine 0.95).
  const ort = loadOrt();
  const a = await ort.InferenceSession.create(file);
  const b = await ort.InferenceSession.create(out);
  let seed = 5;
  const u = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  try {
    for (let k = 0; k < 4; k++) {
      const feeds = { hidden_states: new ort.Tensor('float32', Float32Array.from({ length: 16 * 64 }, gauss), [1, 16, 64]), attention_mask: new ort.Tensor('bool', new Uint8Array(16).fill(1), [1, 16]) };
      const x = (await a.run(feeds)).last_hidden_state.data as Float32Array;
      const y = (await b.run(feeds)).last_hidden_state.data as Float32Array;
      let dot = 0, xx = 0, yy = 0;
      for (let i = 0; i < x.length; i++) { dot += x[i] * y[i]; xx += x[i] * x[i]; yy += y[i] * y[i]; }
      assert.ok(dot / Math.sqrt(xx * yy) > 0.99, `sample ${k}: cosine ${(dot / Math.sqrt(xx * yy)).toFixed(4)}`);
    }
  } finally {
    await a.release();
    await b.release();
  }
});

/**
 * A detector ending in NonMaxSuppression, as YOLO exports with NMS are built: a Conv head whose channels are
 * (cx, cy, w, h, score) per cell, boxes [1, N, 4] and sigmoid scores [1, 1, N] also as outputs, and the ONNX
 * NonMaxSuppression op (center_point_box 1) giving selected_indices [num_selected, 3] int64.
 */
function detectorWithNms(): Parameters<typeof saveModel>[0] {
  let s = 5;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
  const w = (name: string, dims: number[]) => ({ name, dataType: 1, dims, floatData: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 0.5) });
  const i64 = (name: string, v: number[]) => ({ name, dataType: 7, dims: [v.length], int64Data: v });
  const f = (name: string, v: number[]) => ({ name, dataType: 1, dims: [v.length], floatData: v });
  const conv = (name: string, x: string, wt: string, b: string, y: string) => ({ opType: 'Conv', name, input: [x, wt, b], output: [y], attribute: [{ name: 'pads', ints: [1, 1, 1, 1], type: 7 }, { name: 'strides', ints: [2, 2], type: 7 }] });
  return {
    irVersion: 8, opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'det',
      input: [{ name: 'images', type: { tensorType: { elemType: 1, shape: { dim: [1, 3, 64, 64].map((d) => ({ dimValue: d })) } } } }],
      initializer: [w('w1', [16, 3, 3, 3]), w('b1', [16]), w('w2', [5, 16, 3, 3]), w('b2', [5]), i64('shape', [1, 5, 256]), i64('st0', [0]), i64('en4', [4]), i64('st4', [4]), i64('en5', [5]), i64('ax1', [1]), i64('maxout', [20]), f('iou', [0.5]), f('thr', [0.6]), f('boxscale', [16])],
      node: [
        conv('c1', 'images', 'w1', 'b1', 'c1o'), { opType: 'Relu', name: 'r1', input: ['c1o'], output: ['r1o'] }, conv('c2', 'r1o', 'w2', 'b2', 'head'),
        { opType: 'Reshape', name: 'rs', input: ['head', 'shape'], output: ['flat'] },
        { opType: 'Slice', name: 'sb', input: ['flat', 'st0', 'en4', 'ax1'], output: ['b0'] }, { opType: 'Mul', name: 'bm', input: ['b0', 'boxscale'], output: ['b1s'] },
        { opType: 'Transpose', name: 'bt', input: ['b1s'], output: ['boxes'], attribute: [{ name: 'perm', ints: [0, 2, 1], type: 7 }] },
        { opType: 'Slice', name: 'ss', input: ['flat', 'st4', 'en5', 'ax1'], output: ['s0'] }, { opType: 'Sigmoid', name: 'sg', input: ['s0'], output: ['scores'] },
        { opType: 'NonMaxSuppression', name: 'nms', input: ['boxes', 'scores', 'maxout', 'iou', 'thr'], output: ['selected_indices'], attribute: [{ name: 'center_point_box', i: 1, type: 2 }] },
      ],
      output: [{ name: 'boxes', type: { tensorType: { elemType: 1 } } }, { name: 'scores', type: { tensorType: { elemType: 1 } } }, { name: 'selected_indices', type: { tensorType: { elemType: 7 } } }],
    },
  };
}

test('a detector ending in NonMaxSuppression: the int64 indices are judged by equality, and a model whose boxes differ is never a success', async () => {
  const file = path.join(tmp, 'det_nms.onnx');
  await saveModel(detectorWithNms(), file);
  for (const mode of ['static', 'dynamic'] as const) {
    const out = path.join(tmp, `det_nms_${mode}.onnx`);
    const r = await quantizeModel({ input: file, output: out, mode, calibration: { kind: 'random', count: 8 }, sensitivity: false, latencyRuns: 2 });
    const nms = r.fidelity.outputs.find((o) => o.name === 'selected_indices');
    assert.ok(nms, `${mode}: the NMS output is in the report`);
    assert.ok(nms.exactMatch !== undefined || nms.shapeMismatch, `${mode}: judged by equality or by its shape, not by a cosine over indices`);
    const same = !nms.shapeMismatch && (nms.exactMatch ?? 0) >= 0.98;
    if (!same) assert.ok(!r.accuracy.met && r.accuracy.failures.some((f) => /^(on [^:]+: )?selected_indices: /.test(f)), `${mode}: other boxes kept, so the target is missed and says so: ${r.accuracy.failures.join('; ')}`);
  }
});
