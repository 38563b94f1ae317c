/**
 * Fidelity that means something: a constant output on both sides is "no signal" (never cosine 1), a quantized
 * output that stops depending on its input is "collapsed", one value per sample is compared across samples,
 * class scores are told from box coordinates, and calibration ranges far from the evaluation's are named with
 * their numbers. The sessions are stand-ins that return fixed tensors: what is tested is the arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { describeDrift, fidelity, rangeDrift, FloatReference } from '../../extension/core/quantize/report';
import { judge, score, shortfall, DEFAULT_TARGET, graphConsumers } from '../../extension/core/quantize/accuracy';
import type { Sample } from '../../extension/core/quantize/calibration';

type Outputs = Record<string, { data: number[]; dims: number[] }>;

/** A session whose run() returns the i-th prepared outputs for the i-th sample fed (by the sample's `i` input). */
function fake(outputs: Outputs[]): InferenceSession {
  const names = Object.keys(outputs[0]);
  return {
    inputNames: ['i'], outputNames: names,
    run: async (feeds: Record<string, Tensor>) => {
      const i = (feeds.i.data as Float32Array)[0];
      return Object.fromEntries(names.map((n) => [n, { data: Float32Array.from(outputs[i][n].data), dims: outputs[i][n].dims, type: 'float32' } as unknown as Tensor]));
    },
  } as unknown as InferenceSession;
}

const samples = (k: number): Sample[] => Array.from({ length: k }, (_, i) => ({ i: { data: new Float32Array([i]), dims: [1], type: 'float32' } as unknown as Tensor }));
const many = (k: number, f: (i: number) => Outputs): Outputs[] => Array.from({ length: k }, (_, i) => f(i));

test('all-zero outputs on both sides are "no signal", not cosine 1, and the target cannot be met on them', async () => {
  const zeros = many(3, () => ({ y: { data: [0, 0, 0, 0], dims: [1, 4] } }));
  const f = await fidelity(fake(zeros), fake(zeros), samples(3));
  assert.equal(f.outputs[0].signal, 'none');
  assert.ok(Number.isNaN(f.outputs[0].cosine), 'no cosine at all, rather than 1.000');
  assert.equal(JSON.parse(JSON.stringify(f)).outputs[0].cosine, null, 'null in the JSON report');
  const why = judge(f, DEFAULT_TARGET);
  assert.equal(why.length, 1);
  assert.match(why[0], /no signal: every output \(y\) of the float model is constant on the 3 evaluation input\(s\)/);
  assert.equal(shortfall(f, DEFAULT_TARGET), Infinity);
});

test('a constant non-zero output is no signal either; one output without signal does not hide another that fails', async () => {
  const float = many(4, (i) => ({ c: { data: [0.5, 0.5], dims: [1, 2] }, y: { data: [i + 1, 2 * i + 1, 3], dims: [1, 3] } }));
  const quant = many(4, (i) => ({ c: { data: [0.5, 0.5], dims: [1, 2] }, y: { data: [3, i + 1, 2 * i + 1], dims: [1, 3] } }));
  const f = await fidelity(fake(float), fake(quant), samples(4));
  const c = f.outputs.find((o) => o.name === 'c');
  const y = f.outputs.find((o) => o.name === 'y');
  assert.equal(c?.signal, 'none');
  assert.equal(y?.signal, 'ok');
  assert.ok((y?.cosine ?? 1) < 0.99);
  const why = judge(f, DEFAULT_TARGET);
  assert.ok(why.some((w) => /^y: cosine 0\.\d{4} < 0\.99$/.test(w)), why.join('; '));
  assert.ok(!why.some((w) => w.startsWith('c:')), 'the constant output is not judged');
});

test('a quantized output that no longer depends on the input is "collapsed", even with a high cosine', async () => {
  // Probabilities near 1/4 with small input-dependent differences; the int8 model prints the mean every time.
  const float = many(6, (i) => ({ p: { data: [0.25 + 0.01 * ((i % 3) - 1), 0.25, 0.25 - 0.01 * ((i % 3) - 1), 0.25], dims: [1, 4] } }));
  const quant = many(6, () => ({ p: { data: [0.25, 0.25, 0.25, 0.25], dims: [1, 4] } }));
  const f = await fidelity(fake(float), fake(quant), samples(6));
  const p = f.outputs[0];
  assert.equal(p.signal, 'collapsed');
  assert.ok(p.cosine > 0.999, `cosine ${p.cosine} looks perfect`);
  assert.equal(p.classScores, true, 'rows of probabilities are class scores');
  const why = judge(f, DEFAULT_TARGET);
  assert.ok(why.some((w) => /p: the quantized output is constant while the float one varies \(0\.240…0\.260\)/.test(w)), why.join('; '));
});

test('one value per sample: compared across the samples (a per-sample cosine would only be the sign)', async () => {
  const float = many(4, (i) => ({ v: { data: [1 + i], dims: [1, 1] } }));
  const quant = many(4, (i) => ({ v: { data: [4 - i], dims: [1, 1] } }));
  const f = await fidelity(fake(float), fake(quant), samples(4));
  const expected = (1 * 4 + 2 * 3 + 3 * 2 + 4 * 1) / (1 + 4 + 9 + 16);
  assert.ok(Math.abs(f.outputs[0].cosine - expected) < 1e-12, `${f.outputs[0].cosine} vs ${expected}`);
  assert.equal(f.outputs[0].top1Agreement, undefined, 'no classes in a single value');
});

test('SQNR, max error and top-1 per output; logits are class scores, box coordinates are not', async () => {
  const float = many(2, (i) => ({ logits: { data: [2, 1, 0, i], dims: [1, 4] }, boxes: { data: [0.1, 0.2, 0.3, 0.4 + i, 0.5, 0.6, 0.7, 0.8], dims: [1, 2, 4] } }));
  const quant = many(2, (i) => ({ logits: { data: [2, 1, 0, i === 1 ? 3 : 0.1], dims: [1, 4] }, boxes: { data: [0.1, 0.2, 0.3, 0.4 + i, 0.5, 0.6, 0.7, 0.75], dims: [1, 2, 4] } }));
  const f = await fidelity(fake(float), fake(quant), samples(2));
  const logits = f.outputs.find((o) => o.name === 'logits');
  const boxes = f.outputs.find((o) => o.name === 'boxes');
  assert.equal(logits?.classScores, true);
  assert.equal(logits?.top1Agreement, 0.5, 'sample 1: the top class moved from 0 to 3');
  assert.ok(Math.abs((logits?.maxAbsError ?? 0) - 2) < 1e-6);
  const num = 4 + 1 + 0 + 0 + 4 + 1 + 0 + 1;
  const den = 0.1 * 0.1 + 2 * 2;
  assert.ok(Math.abs((logits?.sqnrDb ?? 0) - 10 * Math.log10(num / den)) < 1e-4);
  assert.equal(boxes?.classScores, false, 'rank 3, not probabilities, not named like scores');
  const s = score(f);
  assert.equal(s.top1, 0.5, 'only class scores count for top-1');
  assert.ok(judge(f, DEFAULT_TARGET).some((w) => /logits: top-1 agreement 50\.0% < 98\.0%/.test(w)));
});

test('the float outputs are computed once for many candidate models', async () => {
  let runs = 0;
  const base = fake(many(3, (i) => ({ y: { data: [i, 1, 2], dims: [1, 3] } })));
  const counting = { ...base, inputNames: base.inputNames, outputNames: base.outputNames, run: async (f: Record<string, Tensor>) => { runs++; return base.run(f); } } as unknown as InferenceSession;
  const ref = new FloatReference(counting, samples(3));
  for (let k = 0; k < 4; k++) await fidelity(ref, base);
  assert.equal(runs, 3);
});

test('calibration ranges far from the evaluation inputs are named with their numbers, worst first', () => {
  const calib = new Map<string, [number, number]>([['input', [-1, 1]], ['conv1', [0, 6]], ['conv2', [0, 4]], ['fine', [-2, 2]]]);
  const evalRanges = new Map([
    ['input', { min: -0.02, max: 0.03, clippedCount: 0, count: 1000 }], // span 2.5 % of the calibrated one: resolution wasted
    ['conv1', { min: 0, max: 15, clippedCount: 120, count: 1000 }], // 12 % clipped
    ['conv2', { min: 0, max: 3.9, clippedCount: 0, count: 1000 }],
    ['fine', { min: -1.8, max: 2.05, clippedCount: 3, count: 1000 }], // 0.3 % clipped: fine
  ]);
  const d = rangeDrift(calib, evalRanges);
  assert.deepEqual(d.map((x) => x.tensor), ['conv1', 'input']);
  assert.ok(Math.abs(d[0].clipped - 0.12) < 1e-12);
  assert.ok(Math.abs(d[1].spanRatio - 0.025) < 1e-12);
  const text = describeDrift(d, calib.size, ['input']);
  assert.match(text, /on 2 of 4 tensors: model input input calibrated \[-1\.00, 1\.00\], evaluation \[-0\.0200, 0\.0300\] \(0\.0% clipped, span ×0\.025\); conv1 calibrated \[0\.00, 6\.00\], evaluation \[0\.00, 15\.0\] \(12\.0% clipped, span ×2\.5\)/);
});

test('the layers reading a node\'s output, through a fused Relu', () => {
  const c = graphConsumers({ node: [
    { name: 'conv', opType: 'Conv', input: ['x'], output: ['a'] },
    { name: 'relu', opType: 'Relu', input: ['a'], output: ['b'] },
    { name: 'dw', opType: 'Conv', input: ['b'], output: ['c'] },
    { name: 'add', opType: 'Add', input: ['b', 'c'], output: ['d'] },
  ] });
  assert.deepEqual(c('conv').sort(), ['add', 'dw', 'relu']);
  assert.deepEqual(c('dw'), ['add']);
  assert.deepEqual(c('add'), []);
});

test('the report panel\'s "Re-quantize keeping X in float" message is checked before the host acts on it', async () => {
  const { isFromQuantizeWebview } = await import('../../webview/quantize/protocol');
  assert.equal(isFromQuantizeWebview({ type: 'requantize', keep: ['Softmax_7'] }), true);
  assert.equal(isFromQuantizeWebview({ type: 'requantize', keep: [] }), false, 'nothing to keep');
  assert.equal(isFromQuantizeWebview({ type: 'requantize', keep: [3] }), false);
  assert.equal(isFromQuantizeWebview({ type: 'requantize', keep: ['a'], extra: 1 }), false);
  assert.equal(isFromQuantizeWebview({ type: 'requantize', keep: Array.from({ length: 65 }, (_, i) => `n${i}`) }), false);
  assert.equal(isFromQuantizeWebview({ type: 'saveReport' }), true);
});

/** A fake quantizer: the "model bytes" name the quantized layers; each adds its own noise to the float output. */
function fakeLoop(noise: (quantized: Set<string>) => number, layers: string[], consumers?: Record<string, string[]>) {
  const floatOut = many(8, (i) => ({ y: { data: [1 + i, 2, 3 - i / 8, 4, 5, 6], dims: [1, 6] } }));
  const enc = (q: string[]) => new TextEncoder().encode(JSON.stringify(q));
  const session = async (bytes: Uint8Array) => {
    const q = new Set(JSON.parse(new TextDecoder().decode(bytes)) as string[]);
    const n = noise(q);
    return { ...fake(floatOut.map((o, i) => ({ y: { data: o.y.data.map((v, j) => v + n * (((i + j) % 3) - 1)), dims: o.y.dims } }))), release: async () => undefined } as unknown as InferenceSession;
  };
  const build = (keep: string[], only?: string[]) => {
    const q = (only ?? layers).filter((l) => !keep.includes(l));
    return { bytes: enc(q), stats: { quantizedNodes: q, byOpType: { Conv: q.length }, skipped: [] } };
  };
  return {
    reference: new FloatReference(fake(floatOut), samples(8)), build, session, opTypes: new Map(layers.map((l) => [l, 'Conv'])),
    consumers: consumers ? (n: string) => consumers[n] ?? [] : undefined, target: DEFAULT_TARGET, search: true, sensitivity: false, progress: () => undefined,
  };
}

test('the accuracy-aware loop keeps the most sensitive layer in float, not the harmless ones, and says why', async () => {
  const { accuracyAware } = await import('../../extension/core/quantize/accuracy');
  const layers = ['a', 'b', 'c'];
  const ctx = fakeLoop((q) => (q.has('b') ? 2 : 0) + (q.has('a') ? 0.05 : 0) + (q.has('c') ? 0.05 : 0), layers);
  const r = await accuracyAware(ctx, ctx.build([]));
  assert.equal(r.accuracy.initial.cosine < 0.99, true);
  assert.equal(r.sensitivity[0].node, 'b', 'measured because the target was missed');
  assert.equal(r.accuracy.met, true, r.accuracy.failures.join('; '));
  assert.deepEqual(r.accuracy.keptInFloat.map((k) => k.node), ['b']);
  assert.match(r.accuracy.keptInFloat[0].reason, /^sensitivity rank 1 of 3 \(quantized alone: cosine 0\.\d{4}, SQNR [\d.]+ dB\); keeping it in float: cosine 0\.9\d{3}, top-1 50\.0%, SQNR [\d.]+ dB → cosine 0\.99\d\d, top-1 100\.0%/);
  assert.deepEqual(r.built.stats.quantizedNodes, ['a', 'c']);
  assert.equal(r.accuracy.tried, 2);
});

test('a layer whose output is rounded by its reader goes back to float with that reader; a hopeless model is a miss, not a success', async () => {
  const { accuracyAware } = await import('../../extension/core/quantize/accuracy');
  // The noise sits on a's output activation: it goes away only when a and its reader b are both float.
  const ctx = fakeLoop((q) => (q.has('a') || q.has('b') ? 2 : 0) + (q.has('c') ? 0.01 : 0), ['a', 'b', 'c'], { a: ['b'] });
  const r = await accuracyAware(ctx, ctx.build([]));
  assert.equal(r.accuracy.met, true, r.accuracy.failures.join('; '));
  assert.deepEqual(r.accuracy.keptInFloat.map((k) => k.node), ['a', 'b']);
  assert.match(r.accuracy.keptInFloat[1].reason, /reads the output of a, which alone in float did not help/);
  // Noise no layer choice removes: every candidate tried, the target still missed, and said so.
  const hopeless = fakeLoop(() => 3, ['a', 'b', 'c']);
  const h = await accuracyAware(hopeless, hopeless.build([]));
  assert.equal(h.accuracy.met, false);
  assert.equal(h.accuracy.searched, true);
  assert.deepEqual(h.accuracy.keptInFloat, [], 'nothing that did not help was kept in float');
  assert.ok(h.accuracy.failures.some((f) => /^y: cosine 0\.\d+ < 0\.99$/.test(f)));
  const off = await accuracyAware({ ...hopeless, search: false }, hopeless.build([]));
  assert.equal(off.accuracy.met, false);
  assert.equal(off.accuracy.tried, 1);
});

/** Like fake(), with each output's element type: int64 outputs come back as BigInt64Array, as onnxruntime gives them. */
function typed(outputs: Array<Record<string, { data: number[]; dims: number[]; type: 'float32' | 'int64' }>>): InferenceSession {
  const names = Object.keys(outputs[0]);
  return {
    inputNames: ['i'], outputNames: names,
    run: async (feeds: Record<string, Tensor>) => {
      const i = (feeds.i.data as Float32Array)[0];
      return Object.fromEntries(names.map((n) => {
        const o = outputs[i][n];
        return [n, { data: o.type === 'int64' ? BigInt64Array.from(o.data, (v) => BigInt(v)) : Float32Array.from(o.data), dims: o.dims, type: o.type } as unknown as Tensor];
      }));
    },
  } as unknown as InferenceSession;
}

test('an int64 output (class ids from an ArgMax) is judged by equal elements, not by a cosine over the ids', async () => {
  // A segmentation head as TF/DeepLab exports write it: logits [1, C, H, W] and ArgMax over C as int64 labels.
  // Labels 7 where the float model says 8 on a quarter of the pixels: a cosine over the ids would be ~0.99.
  const labelsF = [8, 8, 8, 8, 3, 3, 3, 3];
  const labelsQ = [7, 7, 8, 8, 3, 3, 3, 3];
  const logits = (k: number) => Array.from({ length: 16 }, (_, j) => Math.sin(j + k));
  const float = Array.from({ length: 2 }, (_, k) => ({ logits: { data: logits(k), dims: [1, 2, 2, 4], type: 'float32' as const }, labels: { data: labelsF, dims: [1, 1, 2, 4], type: 'int64' as const } }));
  const quant = Array.from({ length: 2 }, (_, k) => ({ logits: { data: logits(k), dims: [1, 2, 2, 4], type: 'float32' as const }, labels: { data: labelsQ, dims: [1, 1, 2, 4], type: 'int64' as const } }));
  const f = await fidelity(typed(float), typed(quant), samples(2));
  const labels = f.outputs.find((o) => o.name === 'labels')!;
  assert.equal(labels.exactMatch, 0.75);
  const why = judge(f, DEFAULT_TARGET);
  assert.deepEqual(why, ['labels: integer output equal to the float model\'s on 75.0% of elements < 98.0%']);
  assert.equal(score(f).top1, 0.75, 'the worst discrete agreement');
  assert.ok(shortfall(f, DEFAULT_TARGET) > 0);
  // The same ids on both sides meet the target, even when the float labels are one class everywhere.
  const oneClass = float.map((o) => ({ ...o, labels: { ...o.labels, data: [5, 5, 5, 5, 5, 5, 5, 5] } }));
  const same = await fidelity(typed(oneClass), typed(oneClass), samples(2));
  assert.equal(same.outputs.find((o) => o.name === 'labels')?.exactMatch, 1);
  assert.deepEqual(judge(same, DEFAULT_TARGET), []);
});

test('an output whose shape differs between the float and the int8 model (NMS keeping other boxes) is a named miss, never left out', async () => {
  // ONNX NonMaxSuppression returns selected_indices [num_selected, 3] (int64): its length depends on the scores.
  const boxes = (n: number) => ({ data: Array.from({ length: n * 3 }, (_, j) => (j % 3 === 2 ? j : 0)), dims: [n, 3], type: 'int64' as const });
  const float = [{ selected_indices: boxes(4) }, { selected_indices: boxes(2) }];
  const quant = [{ selected_indices: boxes(4) }, { selected_indices: boxes(3) }];
  const f = await fidelity(typed(float), typed(quant), samples(2));
  assert.equal(f.outputs.length, 1, 'the output is in the report');
  assert.equal(f.outputs[0].shapeMismatch, 'on evaluation input 2 the float output is 2×3 and the quantized one 3×3');
  assert.deepEqual(judge(f, DEFAULT_TARGET), ['selected_indices: on evaluation input 2 the float output is 2×3 and the quantized one 3×3']);
  assert.ok(shortfall(f, DEFAULT_TARGET) > 0);
});

test('a target met only on the inputs the search chose by is confirmed on fresh ones, and a miss there is a miss', async () => {
  const { confirm } = await import('../../extension/core/quantize/accuracy');
  // The search kept layers in float until these 4 inputs met cosine 0.99; on 4 others the output is reordered.
  const float = many(4, (i) => ({ y: { data: [i + 1, 2 * i + 1, 3, 1], dims: [1, 4] } }));
  const good = await fidelity(fake(float), fake(float), samples(4));
  const met = { target: DEFAULT_TARGET, met: true, failures: [], initial: score(good), final: score(good), keptInFloat: [{ node: 'conv_9', opType: 'Conv', reason: 'r', before: score(good), after: score(good) }], tried: 3, searched: true };
  const kept = confirm(met, good, 'random inputs (4)');
  assert.equal(kept.met, true);
  assert.deepEqual(kept.confirmed?.failures, []);
  const fresh = await fidelity(fake(float), fake(many(4, (i) => ({ y: { data: [3, i + 1, 1, 2 * i + 1], dims: [1, 4] } }))), samples(4));
  const missed = confirm(met, fresh, 'random inputs (4)');
  assert.equal(missed.met, false, 'met on the search\'s own inputs only: not a success');
  assert.match(missed.failures[0], /^on 4 fresh input\(s\) the search never saw: y: cosine 0\.\d{4} < 0\.99$/);
});
