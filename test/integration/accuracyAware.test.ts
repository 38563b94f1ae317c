/**
 * Accuracy-aware quantization, cross-layer equalization and bias correction, on real models (mnist, Ultraface)
 * and two faithfully built ones:
 * - the openWakeWord "timer" head's topology (Flatten → Gemm→Relu ×3 → Softmax over 7 classes, PyTorch names;
 *   the real model is 1.7 MB and CC BY-NC-SA, so it is rebuilt here with seeded weights whose last layer
 *   gives close class scores, the case where int8 flips the winning class);
 * - a MobileNet-like depthwise/pointwise CNN whose depthwise channels have ranges spread over three decades
 *   (as BatchNorm folding leaves real MobileNets), with the spread undone in the next pointwise conv: the
 *   float function is an ordinary CNN, and per-tensor int8 weights lose most there.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { quantizeModel, type QuantizeReport } from '../../extension/core/quantize/quantize';
import { equalize } from '../../extension/core/quantize/equalize';
import { loadModel, saveModel } from '../../extension/core/onnx/model';
import { loadOrt } from '../../extension/core/profile/ort';
import { pictureData, rng } from '../../extension/core/inputs/data';
import { GraphBuilder } from '../../extension/core/search/build';
import { Rng } from '../../extension/core/search/rng';

const MODELS = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'models');
const ULTRAFACE = path.join(MODELS, 'Ultraface_version-RFB-320.onnx');
const MNIST = path.join(MODELS, 'mnist.onnx');
const root = path.resolve(__dirname, '..', '..');
let tmp: string;
let n = 0;
const out = (tag: string) => path.join(tmp, `${tag}_${n++}.onnx`);

function npy(shape: number[], data: Float32Array): Buffer {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  const h = Buffer.from(header + ' '.repeat((64 - (total % 64)) % 64) + '\n', 'latin1');
  return Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length & 0xff, h.length >> 8]), h, Buffer.from(data.buffer)]);
}

function gaussian(seed: number): () => number {
  const r = new Rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

async function npyFolder(dir: string, count: number, shape: number[], draw: () => number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const size = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < count; i++) await writeFile(path.join(dir, `s${String(i).padStart(3, '0')}.npy`), npy(shape, Float32Array.from({ length: size }, draw)));
  return dir;
}

/** The openWakeWord "timer" head's graph (names and attributes as PyTorch exported it), seeded weights. */
function softmaxHead(seed = 5, lastScale = 0.005): onnx.IModelProto {
  const rng = new Rng(seed);
  const init: onnx.ITensorProto[] = [];
  const w = (name: string, dims: number[], scale: number) => {
    const d = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (rng.next() * 2 - 1) * scale);
    init.push({ name, dataType: 1, dims, rawData: new Uint8Array(d.buffer) });
    return name;
  };
  const gemm = (x: string, i: number, o: number, k: number, scale: number, y: string): onnx.INodeProto => ({
    opType: 'Gemm', name: `Gemm_${k}`, input: [x, w(`model.${k}.weight`, [o, i], scale), w(`model.${k}.bias`, [o], 0.01)], output: [y],
    attribute: [{ name: 'alpha', type: 1, f: 1 }, { name: 'beta', type: 1, f: 1 }, { name: 'transB', type: 2, i: 1 }],
  });
  const node: onnx.INodeProto[] = [
    { opType: 'Flatten', name: 'Flatten_0', input: ['onnx::Flatten_0'], output: ['onnx::Gemm_7'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
    gemm('onnx::Gemm_7', 3264, 128, 1, Math.sqrt(6 / 3264), 'input'),
    { opType: 'Relu', name: 'Relu_2', input: ['input'], output: ['onnx::Gemm_9'] },
    gemm('onnx::Gemm_9', 128, 128, 3, Math.sqrt(6 / 128), 'input.3'),
    { opType: 'Relu', name: 'Relu_4', input: ['input.3'], output: ['onnx::Gemm_11'] },
    gemm('onnx::Gemm_11', 128, 7, 5, lastScale, 'input.7'),
    { opType: 'Relu', name: 'Relu_6', input: ['input.7'], output: ['onnx::Softmax_13'] },
    { opType: 'Softmax', name: 'Softmax_7', input: ['onnx::Softmax_13'], output: ['scores'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
  ];
  const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  return { irVersion: 7, producerName: 'pytorch', opsetImport: [{ domain: '', version: 13 }], graph: { name: 'torch-jit-export', node, initializer: init, input: [vi('onnx::Flatten_0', [1, 34, 96])], output: [vi('scores', [1, 7])] } };
}

/** MobileNet-like dw/pw CNN; depthwise channel scales spread over `spread` decades, undone in the next pointwise conv. */
function depthwiseNet(seed = 1, spread = 3): onnx.IModelProto {
  const rng = new Rng(seed);
  const g = new GraphBuilder(rng);
  let x = g.act(g.conv('input', 3, 16, 3, 2, 1, 'stem'), false);
  let c = 16;
  for (const [i, [o, stride]] of ([[32, 1], [64, 2], [64, 1], [96, 2]] as const).entries()) {
    x = g.act(g.conv(x, c, c, 3, stride, c, `b${i}.dw`), false);
    x = g.act(g.conv(x, c, o, 1, 1, 1, `b${i}.pw`), false);
    c = o;
  }
  x = g.gemm(g.op('Flatten', [g.op('GlobalAveragePool', [x])]), c, 10, 'fc');
  const m = g.model({ name: 'input', dims: [1, 3, 64, 64] }, x, [1, 10], 'dwnet');
  const init = new Map((m.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const f32 = (t: onnx.ITensorProto) => new Float32Array((t.rawData as Uint8Array).slice().buffer);
  for (let i = 0; i < 4; i++) {
    const [dw, db, pw] = [`b${i}.dw.weight`, `b${i}.dw.bias`, `b${i}.pw.weight`].map((k) => init.get(k) as onnx.ITensorProto);
    const C = Number(dw.dims?.[0]);
    const O = Number(pw.dims?.[0]);
    const [w, b, p] = [f32(dw), f32(db), f32(pw)];
    for (let ch = 0; ch < C; ch++) {
      const s = Math.pow(10, (rng.next() - 0.5) * spread);
      for (let k = 0; k < 9; k++) w[ch * 9 + k] *= s;
      b[ch] *= s;
      for (let o = 0; o < O; o++) p[o * C + ch] /= s;
    }
    dw.rawData = new Uint8Array(w.buffer);
    db.rawData = new Uint8Array(b.buffer);
    pw.rawData = new Uint8Array(p.buffer);
  }
  return m;
}

/**
 * The depthwise CNN as PyTorch exports it without constant folding: a BatchNormalization after every conv,
 * whose running mean and variance are the statistics of that conv's output on the data (measured here,
 * layer by layer, as training would have tracked them), with learned γ and β: after it, each channel is about
 * N(β, γ²), which is what analytical bias correction relies on.
 */
async function withBatchNorms(proto: onnx.IModelProto, draw: () => number): Promise<onnx.IModelProto> {
  const ort = loadOrt();
  const m = onnx.ModelProto.decode(onnx.ModelProto.encode(proto as onnx.ModelProto).finish());
  const g = m.graph as onnx.GraphProto;
  const rng = new Rng(21);
  const convs = g.node.filter((x) => x.opType === 'Conv').map((x) => x.name);
  const feeds = Array.from({ length: 8 }, () => ({ input: new ort.Tensor('float32', Float32Array.from({ length: 3 * 64 * 64 }, draw), [1, 3, 64, 64]) }));
  for (const name of convs) {
    const conv = g.node.find((x) => x.name === name) as onnx.NodeProto;
    const y = conv.output[0];
    const C = Number(g.initializer.find((t) => t.name === conv.input[1])?.dims?.[0]);
    // The conv output's per-channel mean and variance on the data, through the BNs inserted so far.
    const probe = onnx.ModelProto.decode(onnx.ModelProto.encode(m).finish());
    (probe.graph as onnx.GraphProto).output.push(onnx.ValueInfoProto.create({ name: y, type: { tensorType: { elemType: 1 } } }));
    const s = await ort.InferenceSession.create(onnx.ModelProto.encode(probe).finish());
    const sum = new Float64Array(C);
    const sq = new Float64Array(C);
    let count = 0;
    for (const f of feeds) {
      const t = (await s.run(f, [y]))[y];
      const d = t.data as Float32Array;
      const hw = d.length / C;
      for (let c = 0; c < C; c++) for (let i = 0; i < hw; i++) { const v = d[c * hw + i]; sum[c] += v; sq[c] += v * v; }
      count += hw;
    }
    await s.release();
    const mean = Float32Array.from(sum, (v) => v / count);
    const variance = Float32Array.from(sq, (v, c) => Math.max(1e-6, v / count - mean[c] * mean[c]));
    const gamma = Float32Array.from({ length: C }, () => 0.5 + 1.5 * rng.next());
    const beta = Float32Array.from({ length: C }, () => rng.next() - 0.5);
    const t = (k: string, d: Float32Array) => { g.initializer.push(onnx.TensorProto.create({ name: `${name}.bn.${k}`, dataType: 1, dims: [C], rawData: new Uint8Array(d.buffer) })); return `${name}.bn.${k}`; };
    const bnOut = `${y}_bn`;
    for (const n2 of g.node) n2.input = (n2.input ?? []).map((i) => (i === y ? bnOut : i));
    g.node.splice(g.node.indexOf(conv) + 1, 0, onnx.NodeProto.create({ opType: 'BatchNormalization', name: `${name}.bn`, input: [y, t('weight', gamma), t('bias', beta), t('running_mean', mean), t('running_var', variance)], output: [bnOut], attribute: [{ name: 'epsilon', type: 1, f: 1e-5 }] }));
  }
  return m;
}

/** Runs the float and the quantized model myself on fresh inputs: worst cosine and top-1 agreement. */
/** Draws `count` generated pictures (extension/core/inputs/data.ts pictureData) one element at a time. */
function pictures(shape: number[], count: number, seed: number): () => number {
  const all = Array.from({ length: count }, (_, i) => pictureData(shape, rng(seed + i))!);
  let k = 0;
  const n = shape.reduce((a, b) => a * b, 1);
  return () => {
    const v = all[Math.floor(k / n) % count][k % n];
    k++;
    return v;
  };
}

async function agreement(floatFile: string, quantFile: string, inputName: string, shape: number[], count: number, draw: () => number): Promise<{ cosine: number; top1: number }> {
  const ort = loadOrt();
  const a: InferenceSession = await ort.InferenceSession.create(floatFile);
  const b: InferenceSession = await ort.InferenceSession.create(quantFile);
  let worst = 1;
  let agree = 0;
  let rows = 0;
  try {
    for (let i = 0; i < count; i++) {
      const x = new ort.Tensor('float32', Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, draw), shape);
      const ya = (await a.run({ [inputName]: x }))[a.outputNames[0]] as Tensor;
      const yb = (await b.run({ [inputName]: x }))[b.outputNames[0]] as Tensor;
      const p = ya.data as Float32Array;
      const q = yb.data as Float32Array;
      let dot = 0;
      let pp = 0;
      let qq = 0;
      for (let j = 0; j < p.length; j++) { dot += p[j] * q[j]; pp += p[j] * p[j]; qq += q[j] * q[j]; }
      worst = Math.min(worst, dot / Math.sqrt(pp * qq));
      const C = ya.dims[ya.dims.length - 1];
      for (let r = 0; r < p.length / C; r++) {
        const arg = (v: Float32Array) => { let k = 0; for (let j = 1; j < C; j++) if (v[r * C + j] > v[r * C + k]) k = j; return k; };
        if (arg(p) === arg(q)) agree++;
        rows++;
      }
    }
  } finally {
    await a.release();
    await b.release();
  }
  return { cosine: worst, top1: agree / rows };
}

const primary = (r: QuantizeReport) => r.fidelity.outputs[0];

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-accuracy-'));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('MLP ending in Softmax (the wake-word head): an int8 Softmax that flips classes is a missed target; the search keeps it in float and meets it', async (t) => {
  const model = path.join(tmp, 'timer_head.onnx');
  await saveModel(softmaxHead(), model);
  const calib = await npyFolder(path.join(tmp, 'head_calib'), 40, [1, 34, 96], gaussian(11));
  const base = { input: model, mode: 'static' as const, calibration: { kind: 'files' as const, path: calib }, quantizeSoftmax: true, latencyRuns: 2 };

  const plain = await quantizeModel({ ...base, output: out('head_plain'), accuracyAware: false });
  t.diagnostic(`Softmax quantized, no search: ${JSON.stringify(primary(plain))}`);
  assert.equal(plain.accuracy.met, false, 'a model whose top class flips is never a success');
  assert.ok(plain.accuracy.failures.some((f) => /top-1 agreement \d+\.\d% < 98\.0%/.test(f)), plain.accuracy.failures.join('; '));
  assert.ok(primary(plain).cosine > 0.99, 'cosine alone would have called it fine: the top-1 target is what catches it');
  assert.match(plain.fidelity.source ?? '', /held out of calibration \(8\)/);
  assert.equal(plain.calibration?.samples, 32, 'the 8 held-out samples are not calibrated on');

  const fixed = await quantizeModel({ ...base, output: out('head_search') });
  t.diagnostic(`with the search: ${JSON.stringify(fixed.accuracy)}`);
  assert.equal(fixed.accuracy.met, true, fixed.accuracy.failures.join('; '));
  assert.ok(fixed.accuracy.keptInFloat.length >= 1);
  const k = fixed.accuracy.keptInFloat[0];
  assert.equal(k.node, 'Softmax_7', 'the Softmax, most sensitive, goes back to float first');
  assert.match(k.reason, /sensitivity rank 1 of \d+ .*top-1 87\.5%.*→.*top-1 100\.0%/);
  assert.ok(fixed.quantized.skipped.some((s) => s.node === 'Softmax_7' && /kept in float to meet the accuracy target/.test(s.reason)));
  assert.ok(fixed.quantized.nodes >= 3, 'the Gemms stay int8');
  // What a user sees when running both: agreement on inputs neither calibration nor the search saw.
  const mine = await agreement(model, fixed.output.file, 'onnx::Flatten_0', [1, 34, 96], 32, gaussian(99));
  t.diagnostic(`my own check on 32 fresh inputs: ${JSON.stringify(mine)}`);
  assert.ok(mine.cosine > 0.99 && mine.top1 >= 0.9, JSON.stringify(mine));
});

test('depthwise CNN, per-tensor int8: the miss is reported; CLE and bias correction each raise fidelity, CLE alone meets the target', async (t) => {
  const model = path.join(tmp, 'dwnet.onnx');
  await saveModel(depthwiseNet(), model);
  // Generated pictures in 0..1 only (one input range): CLE and bias correction are compared on the data they calibrate on.
  const base = { input: model, mode: 'static' as const, calibration: { kind: 'random' as const, count: 16, conventions: ['unit' as const] }, perChannel: false, accuracyAware: false, sensitivity: false, latencyRuns: 2 };
  const plain = await quantizeModel({ ...base, output: out('dw_plain') });
  const cle = await quantizeModel({ ...base, output: out('dw_cle'), cle: true });
  const bc = await quantizeModel({ ...base, output: out('dw_bc'), biasCorrection: true });
  const both = await quantizeModel({ ...base, output: out('dw_both'), cle: true, biasCorrection: true });
  for (const [name, r] of [['per-tensor', plain], ['+CLE', cle], ['+bias correction', bc], ['+both', both]] as const) t.diagnostic(`${name}: cosine ${primary(r).cosine.toFixed(5)}, SQNR ${primary(r).sqnrDb.toFixed(1)} dB`);
  assert.equal(plain.accuracy.met, false, 'per-tensor int8 on spread depthwise channels misses cosine 0.99');
  assert.ok(primary(plain).cosine < 0.99);
  assert.equal(cle.accuracy.met, true);
  assert.ok(primary(cle).sqnrDb > primary(plain).sqnrDb + 15, 'CLE: far less weight noise');
  assert.equal(cle.preprocessing?.cle?.pairs.length, 8, 'stem→dw and every dw→pw and pw→dw pair');
  assert.ok((cle.preprocessing?.cle?.imbalanceAfter ?? 9) < (cle.preprocessing?.cle?.imbalanceBefore ?? 0) / 2);
  assert.ok(primary(bc).sqnrDb > primary(plain).sqnrDb + 3, 'bias correction removes the mean shift');
  assert.equal(bc.preprocessing?.biasCorrection?.empirical, 10, 'every Conv and the Gemm, from calibration data');
  assert.ok(primary(both).sqnrDb >= primary(cle).sqnrDb - 0.5);
  // A user's check: other pictures of the kind the CLI calibrated on (its generated inputs are random pictures).
  const mine = await agreement(model, cle.output.file, 'input', [1, 3, 64, 64], 8, pictures([1, 3, 64, 64], 8, 77));
  assert.ok(mine.cosine > 0.99, JSON.stringify(mine));

  // Without CLE the search keeps layers in float instead, and says which and why.
  const searched = await quantizeModel({ ...base, output: out('dw_search'), accuracyAware: true });
  t.diagnostic(`search without CLE: kept ${searched.accuracy.keptInFloat.map((k) => k.node).join(', ')}; ${searched.accuracy.met ? 'met' : searched.accuracy.failures.join('; ')}`);
  assert.equal(searched.accuracy.met, true);
  assert.ok(searched.accuracy.keptInFloat.length >= 1 && searched.accuracy.keptInFloat.every((k) => /keeping it in float: cosine|reads the output of/.test(k.reason)));
});

test('BatchNorm in the graph: bias correction is analytical from its statistics, CLE folds it first; both measured', async (t) => {
  const uniform = new Rng(5);
  const model = path.join(tmp, 'dwnet_bn.onnx');
  await saveModel(await withBatchNorms(depthwiseNet(2, 1), () => uniform.next() * 2 - 1), model);
  // Generated pictures in 0..1 only (one input range): CLE and bias correction are compared on the data they calibrate on.
  const base = { input: model, mode: 'static' as const, calibration: { kind: 'random' as const, count: 16, conventions: ['unit' as const] }, perChannel: false, accuracyAware: false, sensitivity: false, latencyRuns: 2 };
  const plain = await quantizeModel({ ...base, output: out('bn_plain') });
  const bc = await quantizeModel({ ...base, output: out('bn_bc'), biasCorrection: true });
  const cle = await quantizeModel({ ...base, output: out('bn_cle'), cle: true, biasCorrection: true });
  for (const [name, r] of [['per-tensor', plain], ['+bias correction', bc], ['+CLE +bias correction', cle]] as const) t.diagnostic(`BN model ${name}: cosine ${primary(r).cosine.toFixed(5)}, SQNR ${primary(r).sqnrDb.toFixed(1)} dB ${JSON.stringify(r.preprocessing ?? {})}`);
  // Every conv after the stem reads Relu(BatchNorm(…)): analytical; the classifier reads a pooled tensor: empirical.
  assert.equal(bc.preprocessing?.biasCorrection?.analytical, 8);
  assert.equal(bc.preprocessing?.biasCorrection?.empirical, 2, 'the stem (reads the image) and the classifier');
  assert.ok(primary(bc).sqnrDb > primary(plain).sqnrDb + 1, 'analytical correction helps');
  assert.equal(cle.preprocessing?.cle?.foldedBatchNorms, 9);
  assert.equal(cle.preprocessing?.biasCorrection?.analytical, 8, 'statistics kept through folding and rescaling');
  assert.ok(primary(cle).sqnrDb > primary(bc).sqnrDb);
});

test('cross-layer equalization keeps the float function (depthwise CNN and Ultraface) and balances the channels', async () => {
  for (const [name, proto] of [['dwnet', depthwiseNet()], ['ultraface', (await loadModel(ULTRAFACE)).model]] as const) {
    const orig = path.join(tmp, `${name}_orig.onnx`);
    const eq = path.join(tmp, `${name}_eq.onnx`);
    await saveModel(proto, orig);
    const m = onnx.ModelProto.decode(onnx.ModelProto.encode(proto as onnx.ModelProto).finish());
    const rep = equalize(m);
    assert.ok(rep.pairs.length >= 8, `${name}: ${rep.pairs.length} pairs`);
    assert.ok(rep.imbalanceAfter < rep.imbalanceBefore, JSON.stringify(rep));
    await saveModel(m, eq);
    const shape = name === 'dwnet' ? [1, 3, 64, 64] : [1, 3, 240, 320];
    const same = await agreement(orig, eq, 'input', shape, 2, gaussian(3));
    assert.ok(same.cosine > 0.999999 && same.top1 === 1, `${name}: ${JSON.stringify(same)}`);
  }
});

test('Ultraface (per-tensor static): bias correction and CLE measured against plain int8', async (t) => {
  const base = { input: ULTRAFACE, mode: 'static' as const, calibration: { kind: 'random' as const, count: 8 }, evalSamples: 4, sensitivity: false, latencyRuns: 2 };
  const plain = await quantizeModel({ ...base, output: out('uf_plain') });
  const cle = await quantizeModel({ ...base, output: out('uf_cle'), cle: true });
  const bc = await quantizeModel({ ...base, output: out('uf_bc'), biasCorrection: true });
  const scores = (r: QuantizeReport) => r.fidelity.outputs.find((o) => o.name === 'scores');
  for (const [name, r] of [['plain', plain], ['CLE', cle], ['bias correction', bc]] as const) t.diagnostic(`Ultraface ${name}: ${r.fidelity.outputs.map((o) => `${o.name} cosine ${o.cosine.toFixed(6)} SQNR ${o.sqnrDb.toFixed(1)} dB`).join(', ')}`);
  for (const r of [plain, cle, bc]) assert.equal(r.accuracy.met, true, r.accuracy.failures.join('; '));
  assert.equal(scores(plain)?.classScores, true, 'scores are rows of probabilities: the top-1 target applies');
  assert.equal(plain.fidelity.outputs.find((o) => o.name === 'boxes')?.classScores, false, 'box coordinates are no classes');
  assert.ok((scores(bc)?.sqnrDb ?? 0) > (scores(plain)?.sqnrDb ?? 0) + 5, 'bias correction');
  // On picture-like inputs (the CLI's generated data) CLE's gain on Ultraface's scores is small (~1 dB, where
  // per-pixel noise showed over 2 dB): it must not cost fidelity, and it must balance the channels.
  assert.ok((scores(cle)?.sqnrDb ?? 0) > (scores(plain)?.sqnrDb ?? 0) - 0.5, 'CLE');
  assert.ok((cle.preprocessing?.cle?.imbalanceAfter ?? 9) < (cle.preprocessing?.cle?.imbalanceBefore ?? 0));
  assert.ok((cle.preprocessing?.cle?.pairs.length ?? 0) >= 20);
});

test('mnist calibrated on 0..1 images but evaluated on 0..255 ones: the range warning names the input with both ranges', async () => {
  const r01 = new Rng(4);
  const calib = await npyFolder(path.join(tmp, 'mnist_calib01'), 10, [1, 1, 28, 28], () => r01.next());
  const r255 = new Rng(8);
  const evalDir = await npyFolder(path.join(tmp, 'mnist_eval255'), 4, [1, 1, 28, 28], () => r255.next() * 255);
  const r = await quantizeModel({ input: MNIST, output: out('mnist_drift'), mode: 'static', calibration: { kind: 'files', path: calib }, evaluation: { kind: 'files', path: evalDir }, sensitivity: false, latencyRuns: 2 });
  const w = r.warnings.find((x) => /calibration ranges are far from the evaluation inputs'/.test(x));
  assert.ok(w, r.warnings.join(' | '));
  assert.match(w, /on 10 of 10 tensors: model input Input3 calibrated \[0\.0000\d+, 1\.00\], evaluation \[0\.\d+, 255\] \(99\.\d% clipped, span ×2\d\d\)/);
  assert.equal(r.calibration?.samples, 10, 'a separate evaluation set: every calibration sample is used');
  assert.match(r.fidelity.source ?? '', /mnist_eval255 \(4\)/);
});

test('CLI: a missed target exits 1 with the numbers, the model written to inspect; when met, exit 0', async () => {
  const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'extension', 'cli', 'mobileai.ts'), 'quantize', MNIST, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  const missed = path.join(tmp, 'mnist_missed.onnx');
  const r1 = await run(['--random', '4', '--out', missed, '--target-cosine', '0.9999999', '--no-accuracy-aware', '--no-sensitivity']);
  assert.equal(r1.code, 1, r1.stderr);
  assert.match(r1.stdout, /TARGET MISSED: target cosine ≥ 0\.9999999.*Plus214_Output_0: cosine 0\.\d+ < 0\.9999999 \(accuracy-aware search was off\)/);
  assert.match(r1.stderr, /misses the accuracy target/);
  await access(missed);
  // The search tries every layer and still cannot reach cosine 1: it says so, and so does the exit code.
  const r2 = await run(['--random', '4', '--out', path.join(tmp, 'mnist_impossible.onnx'), '--target-cosine', '1', '--json']);
  assert.equal(r2.code, 1);
  const rep = JSON.parse(r2.stdout) as QuantizeReport;
  assert.equal(rep.accuracy.met, false);
  assert.equal(rep.accuracy.searched, true);
  assert.ok(rep.accuracy.tried > 1, 'the loop tried layers in float');
  // Generated data covers four input ranges (0..1 and -1..1 pictures, rand and randn): 8 samples calibrate them all.
  const ok = await run(['--random', '8', '--out', path.join(tmp, 'mnist_ok.onnx'), '--cle', '--bias-correction']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /accuracy: target cosine ≥ 0\.99, top-1 ≥ 98%: met/);
  assert.match(ok.stdout, /bias correction: 2 layers/);
});
