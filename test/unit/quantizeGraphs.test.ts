/**
 * Graph-level correctness of the quantizer on faithfully built small graphs (each case is a pattern found in
 * real exports, built here so it is isolated): the structural checker, the opset upgrade (outputs equal before
 * and after, in onnxruntime), outer-scope weights, empty optional inputs, node order, Constant and shared
 * weights, initializers listed as inputs, Loop/Scan bodies, ConvInteger and DynamicQuantizeLSTM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import type { Tensor } from 'onnxruntime-node';
import { checkModel, describeProblems } from '../../extension/core/onnx/check';
import { upgradeOpset } from '../../extension/core/quantize/opset';
import { normalizeModel, rewriteDynamic, type RewriteOptions } from '../../extension/core/quantize/rewrite';
import { QuantizeError } from '../../extension/core/quantize/tensors';
import { loadOrt } from '../../extension/core/profile/ort';

const OPTS: RewriteOptions = { perChannel: false, symmetricWeights: true, activationType: 'int8', symmetricActivations: false, reduceRange: false, blockSize: 32, int4Symmetric: true, excludeNodes: [], excludeOpTypes: [], keepFirstLast: false };
let seed = 1;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
const f32 = (name: string, dims: number[], data?: Float32Array): onnx.ITensorProto => {
  const d = data ?? Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd() * 0.5);
  return { name, dataType: 1, dims, rawData: new Uint8Array(d.buffer.slice(0)) };
};
const i64 = (name: string, v: number[]): onnx.ITensorProto => ({ name, dataType: 7, dims: [v.length], rawData: new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer) });
const vi = (name: string, dims: number[], elemType = 1): onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const model = (opset: number, graph: onnx.IGraphProto, extra: onnx.IOperatorSetIdProto[] = []): onnx.ModelProto =>
  onnx.ModelProto.create({ irVersion: opset >= 13 ? 7 : 5, opsetImport: [{ domain: '', version: opset }, ...extra], graph: graph as onnx.GraphProto });
const bytes = (m: onnx.IModelProto) => onnx.ModelProto.encode(m as onnx.ModelProto).finish();
const copy = (m: onnx.ModelProto) => onnx.ModelProto.decode(bytes(m));

async function run(m: onnx.IModelProto, feeds: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
  const s = await loadOrt().InferenceSession.create(bytes(m));
  const out = await s.run(feeds);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}
function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0, x = 0, y = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; x += a[i] * a[i]; y += b[i] * b[i]; }
  return d / Math.sqrt(x * y);
}
const x4 = (shape: number[]) => new (loadOrt().Tensor)('float32', Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd()), shape);
const valid = (m: onnx.IModelProto) => {
  const p = checkModel(m);
  assert.equal(p.length, 0, describeProblems(p));
};

test('the checker names what onnxruntime would refuse: an op newer than the opset, a changed signature, a missing or late input, a duplicate name', () => {
  const round = model(10, { node: [{ opType: 'Round', name: 'r', input: ['x'], output: ['y'] }], input: [vi('x', [2])], output: [vi('y', [2])] });
  assert.match(describeProblems(checkModel(round)), /Round exists from opset 11, the model imports 10/);
  const clip = model(10, { node: [{ opType: 'Clip', name: 'c', input: ['x', 'lo'], output: ['y'] }], initializer: [f32('lo', [])], input: [vi('x', [2])], output: [vi('y', [2])] });
  assert.match(describeProblems(checkModel(clip)), /Clip below opset 11 takes 1 input/);
  const squeeze = model(13, { node: [{ opType: 'Squeeze', name: 's', input: ['x'], output: ['y'], attribute: [{ name: 'axes', type: 7, ints: [0] }] }], input: [vi('x', [1, 2])], output: [vi('y', [2])] });
  assert.match(describeProblems(checkModel(squeeze)), /attribute "axes" is not part of Squeeze-13\+/);
  const late = model(13, { node: [{ opType: 'Relu', name: 'b', input: ['t'], output: ['y'] }, { opType: 'Relu', name: 'a', input: ['x'], output: ['t'] }], input: [vi('x', [2])], output: [vi('y', [2])] });
  assert.match(describeProblems(checkModel(late)), /produced by a later node \(a\): the graph is not in topological order/);
  const missing = model(13, { node: [{ opType: 'Add', name: 'a', input: ['x', 'w'], output: ['y'] }], input: [vi('x', [2])], output: [vi('y', [2])] });
  assert.match(describeProblems(checkModel(missing)), /input "w" is not produced/);
  const dup = model(13, { node: [{ opType: 'Relu', name: 'a', input: ['x'], output: ['y'] }, { opType: 'Relu', name: 'b', input: ['x'], output: ['y'] }], input: [vi('x', [2])], output: [vi('y', [2])] });
  assert.match(describeProblems(checkModel(dup)), /"y" is defined twice/);
  const axisQ = model(12, { node: [{ opType: 'DequantizeLinear', name: 'dq', input: ['q', 's', 'z'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: 0 }] }], initializer: [{ name: 'q', dataType: 3, dims: [2], rawData: new Uint8Array(2) }, f32('s', [2]), { name: 'z', dataType: 3, dims: [2], rawData: new Uint8Array(2) }], output: [vi('y', [2])] });
  assert.match(describeProblems(checkModel(axisQ)), /per-axis DequantizeLinear \(axis\) needs opset 13/);
  // An If branch reading a main-graph weight (outer scope) and an empty optional input are valid.
  const branch = (out: string): onnx.IGraphProto => ({ name: out, node: [{ opType: 'MatMul', name: `mm_${out}`, input: ['x', 'W'], output: [out] }], output: [vi(out, [1, 4])] });
  const withIf = model(13, {
    node: [{ opType: 'Clip', name: 'c', input: ['x0', '', 'hi'], output: ['x'] }, { opType: 'If', name: 'if', input: ['cond'], output: ['y'], attribute: [{ name: 'then_branch', type: 5, g: branch('t') }, { name: 'else_branch', type: 5, g: branch('e') }] }],
    initializer: [f32('W', [4, 4]), f32('hi', [])], input: [vi('x0', [1, 4]), vi('cond', [], 9)], output: [vi('y', [1, 4])],
  });
  valid(withIf);
});

test('opset 9 → 11 and → 13: Upsample, Clip, Pad, Slice, Squeeze, Unsqueeze, ReduceSum, Split and Softmax rewritten; same outputs in onnxruntime', async () => {
  const g: onnx.IGraphProto = {
    node: [
      { opType: 'Conv', name: 'conv', input: ['x', 'W', 'B'], output: ['c'], attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }] },
      { opType: 'Clip', name: 'clip', input: ['c'], output: ['cl'], attribute: [{ name: 'min', type: 1, f: 0 }, { name: 'max', type: 1, f: 0.6 }] },
      { opType: 'Upsample', name: 'up', input: ['cl', 'scales'], output: ['u'], attribute: [{ name: 'mode', type: 3, s: Buffer.from('nearest') }] },
      { opType: 'Pad', name: 'pad', input: ['u'], output: ['p'], attribute: [{ name: 'pads', type: 7, ints: [0, 0, 1, 2, 0, 0, 1, 0] }, { name: 'value', type: 1, f: 0.25 }] },
      { opType: 'Slice', name: 'slice', input: ['p'], output: ['s'], attribute: [{ name: 'starts', type: 7, ints: [1, 2] }, { name: 'ends', type: 7, ints: [100, -1] }, { name: 'axes', type: 7, ints: [2, 3] }] },
      { opType: 'Split', name: 'split', input: ['s'], output: ['s1', 's2'], attribute: [{ name: 'axis', type: 2, i: 1 }, { name: 'split', type: 7, ints: [1, 3] }] },
      { opType: 'ReduceSum', name: 'rs', input: ['s2'], output: ['r'], attribute: [{ name: 'axes', type: 7, ints: [1] }, { name: 'keepdims', type: 2, i: 1 }] },
      { opType: 'Add', name: 'add', input: ['r', 's1'], output: ['a'] },
      { opType: 'Squeeze', name: 'sq', input: ['a'], output: ['q'], attribute: [{ name: 'axes', type: 7, ints: [1] }] },
      { opType: 'Unsqueeze', name: 'unsq', input: ['q'], output: ['uq'], attribute: [{ name: 'axes', type: 7, ints: [3] }] },
      { opType: 'Softmax', name: 'sm', input: ['uq'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: 2 }] },
    ],
    initializer: [f32('W', [4, 2, 3, 3]), f32('B', [4]), f32('scales', [4], Float32Array.of(1, 1, 2, 2))],
    input: [vi('x', [1, 2, 5, 6])], output: [vi('y', [1, 12, 12, 1])],
  };
  const m9 = model(9, g);
  valid(m9);
  const x = x4([1, 2, 5, 6]);
  const want = (await run(m9, { x })).y;
  for (const target of [11, 13]) {
    const m = copy(m9);
    const r = upgradeOpset(m, target)!;
    assert.equal(r.to, target);
    valid(m);
    const got = (await run(m, { x })).y;
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `opset ${target}: y[${i}] ${got[i]} vs ${want[i]}`);
    assert.ok(r.rewritten['Upsample → Resize'] === 1 && r.rewritten['Clip (min/max → inputs)'] === 1);
  }
  const scan = model(8, { node: [{ opType: 'Scan', name: 'scan', input: ['', 'x'], output: ['y'], attribute: [{ name: 'body', type: 5, g: { node: [], input: [], output: [] } }, { name: 'num_scan_inputs', type: 2, i: 1 }] }], input: [vi('x', [1, 2])], output: [vi('y', [1, 2])] });
  assert.throws(() => upgradeOpset(scan, 11), (e: unknown) => e instanceof QuantizeError && /Scan changes at opset 9/.test(e.message));
});

test('normalizing: Constant weights become initializers, a shuffled node order is sorted, duplicate names made unique, outputs unchanged', async () => {
  const m = model(13, {
    node: [
      { opType: 'Gemm', name: 'fc', input: ['h', 'Wc', 'Bc'], output: ['y'] },
      { opType: 'Relu', name: 'fc', input: ['x'], output: ['h'] },
      { opType: 'Constant', name: 'k1', output: ['Wc'], attribute: [{ name: 'value', type: 4, t: f32('', [8, 3]) }] },
      { opType: 'Constant', name: 'k2', output: ['Bc'], attribute: [{ name: 'value_floats', type: 6, floats: [0.1, -0.2, 0.3] }] },
    ],
    input: [vi('x', [2, 8])], output: [vi('y', [2, 3])],
  });
  assert.ok(checkModel(m).length > 0, 'the built model has its order problem');
  const n = copy(m);
  const info = normalizeModel(n);
  assert.deepEqual([info.constants, info.reordered, info.renamed], [2, true, 1]);
  valid(n);
  const x = x4([2, 8]);
  const a = (await run(n, { x })).y;
  const q = copy(n);
  const stats = rewriteDynamic(q, OPTS);
  assert.deepEqual(stats.byOpType, { Gemm: 1 });
  upgradeOpset(q, 13);
  valid(q);
  assert.ok(cosine(a, (await run(q, { x })).y) > 0.999);
});

test('dynamic int8 in If, Loop and Scan bodies; a main-graph weight read by a branch and shared by two nodes is kept and quantized once', async () => {
  const branch = (out: string, w: string): onnx.IGraphProto => ({ name: out, node: [{ opType: 'MatMul', name: `mm_${out}`, input: ['x', w], output: [out] }], output: [vi(out, [2, 16])] });
  const loopBody: onnx.IGraphProto = {
    name: 'body', input: [vi('i', [], 7), vi('c', [], 9), vi('acc', [2, 16])],
    node: [{ opType: 'Identity', name: 'cond_copy', input: ['c'], output: ['c_out'] }, { opType: 'MatMul', name: 'mm_loop', input: ['acc', 'Wl'], output: ['acc_out'] }],
    output: [vi('c_out', [], 9), vi('acc_out', [2, 16])],
  };
  const scanBody: onnx.IGraphProto = { name: 'sbody', input: [vi('row', [16])], node: [{ opType: 'Gemm', name: 'gemm_scan', input: ['row2', 'Ws'], output: ['srow2'] }, { opType: 'Unsqueeze', name: 'us', input: ['row', 'ax0'], output: ['row2'] }, { opType: 'Squeeze', name: 'sq', input: ['srow2', 'ax0'], output: ['srow'] }], output: [vi('srow', [16])] };
  const m = model(13, {
    node: [
      { opType: 'MatMul', name: 'mm_main', input: ['x', 'W'], output: ['m'] },
      { opType: 'If', name: 'if', input: ['cond'], output: ['b'], attribute: [{ name: 'then_branch', type: 5, g: branch('t', 'W') }, { name: 'else_branch', type: 5, g: branch('e', 'W2') }] },
      { opType: 'Loop', name: 'loop', input: ['trip', '', 'b'], output: ['l'], attribute: [{ name: 'body', type: 5, g: loopBody }] },
      { opType: 'Scan', name: 'scan', input: ['l'], output: ['s'], attribute: [{ name: 'body', type: 5, g: scanBody }, { name: 'num_scan_inputs', type: 2, i: 1 }] },
      { opType: 'Add', name: 'add', input: ['s', 'm'], output: ['y'] },
    ],
    initializer: [f32('W', [16, 16]), f32('W2', [16, 16]), f32('Wl', [16, 16]), f32('Ws', [16, 16]), i64('trip', [2]), i64('ax0', [0])],
    input: [vi('x', [2, 16]), vi('cond', [], 9)], output: [vi('y', [2, 16])],
  });
  // The Scan body lists its nodes out of order: onnxruntime refuses that, and the checker says where.
  assert.match(describeProblems(checkModel(m)), /scan\.body gemm_scan: input "row2" is produced by a later node/);
  const x = x4([2, 16]);
  const cond = new (loadOrt().Tensor)('bool', [true], []);
  await assert.rejects(run(m, { x, cond }), /topologically sorted/);
  const sorted = copy(m);
  assert.equal(normalizeModel(sorted).reordered, true);
  valid(sorted);
  const want = (await run(sorted, { x, cond })).y;
  const q = copy(m);
  normalizeModel(q);
  const stats = rewriteDynamic(q, OPTS);
  upgradeOpset(q, 13);
  valid(q);
  assert.deepEqual(stats.quantizedNodes.sort(), ['gemm_scan', 'mm_e', 'mm_loop', 'mm_main', 'mm_t'].sort());
  const names = q.graph!.initializer!.map((t) => t.name);
  assert.equal(names.filter((n) => n === 'W_quantized').length, 1, 'the weight shared by the main MatMul and the then-branch is quantized once, in the main graph');
  assert.ok(!names.includes('W'), 'the float weight is gone once no reader is left');
  const got = (await run(q, { x, cond })).y;
  assert.ok(cosine(want, got) > 0.995, `cosine ${cosine(want, got)}`);
  // The subgraph-only mode (static's companion) leaves the main graph alone.
  const sub = copy(m);
  normalizeModel(sub);
  assert.ok(!rewriteDynamic(sub, { ...OPTS, subgraphsOnly: true }).quantizedNodes.includes('mm_main'));
});

test('ConvInteger and DynamicQuantizeLSTM, as ONNX Runtime\'s dynamic mode writes them, agree with float', async () => {
  const I = 12, H = 10, T = 4;
  const m = model(14, {
    node: [
      { opType: 'Conv', name: 'conv', input: ['x', 'Wc', 'Bc'], output: ['c'], attribute: [{ name: 'pads', type: 7, ints: [1, 1] }, { name: 'kernel_shape', type: 7, ints: [3] }] },
      { opType: 'Transpose', name: 'tr', input: ['c'], output: ['ct'], attribute: [{ name: 'perm', type: 7, ints: [2, 0, 1] }] },
      { opType: 'LSTM', name: 'lstm', input: ['ct', 'W', 'R', 'B', '', 'h0'], output: ['', 'yh'], attribute: [{ name: 'hidden_size', type: 2, i: H }, { name: 'direction', type: 3, s: Buffer.from('bidirectional') }] },
    ],
    initializer: [f32('Wc', [I, 3, 3]), f32('Bc', [I]), f32('W', [2, 4 * H, I]), f32('R', [2, 4 * H, H]), f32('B', [2, 8 * H])],
    input: [vi('x', [1, 3, T]), vi('h0', [2, 1, H])], output: [vi('yh', [2, 1, H])],
  });
  valid(m);
  const feeds = { x: x4([1, 3, T]), h0: x4([2, 1, H]) };
  const want = (await run(m, feeds)).yh;
  const q = copy(m);
  const stats = rewriteDynamic(q, OPTS);
  valid(q);
  assert.deepEqual(stats.byOpType, { Conv: 1, LSTM: 1 });
  const ops = q.graph!.node!.map((n) => `${n.domain ? n.domain + ':' : ''}${n.opType}`);
  assert.ok(ops.includes('ConvInteger') && ops.includes('com.microsoft:DynamicQuantizeLSTM'), ops.join(' '));
  const lstm = q.graph!.node!.find((n) => n.opType === 'DynamicQuantizeLSTM')!;
  const w = q.graph!.initializer!.find((t) => t.name === lstm.input![1])!;
  assert.deepEqual(w.dims!.map(Number), [2, I, 4 * H], 'W transposed to [directions, input, 4·hidden]');
  assert.equal(lstm.input![4], '', 'the empty optional sequence_lens stays empty');
  const got = (await run(q, feeds)).yh;
  assert.ok(cosine(want, got) > 0.999, `cosine ${cosine(want, got)}`);
});

test("a peak test (Equal of a score map with its MaxPool, M-LSD's decoder) compares dequantized values on one int8 grid: peaks survive static int8", async () => {
  const { planStatic, rewriteStatic, exactlyCompared } = await import('../../extension/core/quantize/rewrite');
  // As jp.keijiro.mlsd's mlsd_320x320_tiny.onnx ends (opset 11, tf2onnx): Sigmoid_4 → MaxPool 3×3 (pads 1);
  // Transpose__305 (a Reshape of the score map) and MaxPool__208 (a Reshape of the pooled map) feed Equal, whose
  // Cast multiplies the scores: only local maxima keep their score.
  const N = 2 * 16 * 16;
  const g: onnx.IGraphProto = {
    name: 'mlsd_peaks',
    input: [vi('logits', [1, 2, 16, 16])],
    output: [vi('peaks', [1, 16, 16, 2])],
    initializer: [i64('nhwc', [1, 16, 16, 2])],
    node: [
      { opType: 'Sigmoid', name: 'Sigmoid_4', input: ['logits'], output: ['heat'] },
      { opType: 'MaxPool', name: 'MaxPool', input: ['heat'], output: ['hmax'], attribute: [{ name: 'kernel_shape', ints: [3, 3], type: 7 }, { name: 'pads', ints: [1, 1, 1, 1], type: 7 }] },
      { opType: 'Reshape', name: 'Transpose__305', input: ['heat', 'nhwc'], output: ['heat_nhwc'] },
      { opType: 'Reshape', name: 'MaxPool__208', input: ['hmax', 'nhwc'], output: ['hmax_nhwc'] },
      { opType: 'Equal', name: 'Equal', input: ['heat_nhwc', 'hmax_nhwc'], output: ['keep'] },
      { opType: 'Cast', name: 'Cast', input: ['keep'], output: ['keepf'], attribute: [{ name: 'to', i: 1, type: 2 }] },
      { opType: 'Mul', name: 'mul', input: ['heat_nhwc', 'keepf'], output: ['peaks'] },
    ],
  };
  const float = model(13, g);
  assert.deepEqual([...exactlyCompared(float.graph as onnx.GraphProto)].sort(), ['heat', 'heat_nhwc', 'hmax', 'hmax_nhwc']);
  const q = copy(float);
  const plan = planStatic(q, OPTS, new Set(['logits', 'heat', 'hmax', 'heat_nhwc', 'hmax_nhwc', 'keepf', 'peaks']));
  const ranges = new Map<string, [number, number]>(plan.activations.map((t) => [t, t === 'logits' ? [-4, 4] : [0, 1]]));
  rewriteStatic(q, OPTS, plan, ranges);
  assert.equal(describeProblems(checkModel(q)), describeProblems([]));
  // Every DequantizeLinear of the score map and the pooled map uses the very same scale value.
  const init = new Map((q.graph!.initializer ?? []).map((t) => [t.name, t]));
  const scaleOf = (t?: onnx.ITensorProto | null) => (t?.rawData?.length ? new DataView(t.rawData.buffer, t.rawData.byteOffset).getFloat32(0, true) : t?.floatData?.[0]);
  const dqScales = new Set((q.graph!.node ?? []).filter((n) => n.opType === 'DequantizeLinear' && /^(heat|hmax)/.test(n.input![0])).map((n) => scaleOf(init.get(n.input![1]))));
  assert.equal(dqScales.size, 1, `one grid for the compared tensors: ${[...dqScales].join(', ')}`);
  const ort = loadOrt();
  const logits = Float32Array.from({ length: N }, (_, i) => 3 * Math.sin(i * 0.37) * Math.cos(i * 0.11));
  const feeds = { logits: new ort.Tensor('float32', logits, [1, 2, 16, 16]) };
  const a = (await run(float, feeds)).peaks;
  const b = (await run(q, feeds)).peaks;
  const peaksA = a.filter((v) => v > 0).length;
  const peaksB = b.filter((v) => v > 0).length;
  assert.ok(peaksA > 5, `float finds ${peaksA} peaks`);
  // int8 can tie neighbours (a plateau counts each), never lose the peaks: every float peak is kept.
  assert.ok(peaksB >= peaksA, `int8 keeps the peaks: ${peaksB} of the float model's ${peaksA}`);
  for (let i = 0; i < N; i++) if (a[i] > 0) assert.ok(b[i] > 0, `float peak ${i} is a peak in int8 too`);
});
