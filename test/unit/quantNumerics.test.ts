import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { computeQParams, quantizeNBits, quantizeValue, qRange, roundHalfEven, roundHalfAway } from '../../extension/core/quantize/numerics';
import { quantizeWeight } from '../../extension/core/quantize/rewrite';
import { floatData, dimsOf } from '../../extension/core/quantize/tensors';
import { loadModel, toNumber } from '../../extension/core/onnx/model';
import { percentileThreshold, entropyThreshold } from '../../extension/core/quantize/calibration';

const M = (f: string) => path.join(__dirname, '..', 'fixtures', 'models', f);

test('rounding: half to even for int8 codes, half away from zero for MatMulNBits', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, 3]);
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -2.5].map(roundHalfAway), [1, 2, 3, -1, -3]);
});

test('ranges: uint8 0..255, int8 −128..127, symmetric −127..127, reduce_range 0..127 and −64..64', () => {
  assert.deepEqual(qRange('uint8', false, false), [0, 255]);
  assert.deepEqual(qRange('int8', false, false), [-128, 127]);
  assert.deepEqual(qRange('int8', true, false), [-127, 127]);
  assert.deepEqual(qRange('uint8', false, true), [0, 127]);
  assert.deepEqual(qRange('int8', true, true), [-64, 64]);
});

test('scale and zero point follow the formulas of ORT\'s tool', () => {
  // asymmetric uint8 on [-1, 3]: scale = 4/255 (float64, stored float32), zp = round(0 - (-1)/scale)
  const a = computeQParams(-1, 3, 'uint8', false);
  assert.equal(a.scale, Math.fround(4 / 255));
  assert.equal(a.zeroPoint, roundHalfEven(0 - -1 / Math.fround(4 / 255)));
  assert.equal(a.zeroPoint, 64);
  // the range is widened to include 0: [2, 5] behaves like [0, 5]
  const b = computeQParams(2, 5, 'int8', false);
  assert.equal(b.scale, Math.fround(5 / 255));
  assert.equal(b.zeroPoint, -128);
  // symmetric int8: ±max(|rmin|, |rmax|), midpoint zero point
  const c = computeQParams(-0.5, 2, 'int8', true);
  assert.equal(c.scale, Math.fround(4 / 254));
  assert.equal(c.zeroPoint, 0);
  const u = computeQParams(-0.5, 2, 'uint8', true);
  assert.equal(u.zeroPoint, 128, 'round((0 + 255) / 2) = round(127.5) = 128 (half to even)');
  // a scale below float32's smallest normal becomes 1 with zero point 0
  assert.deepEqual(computeQParams(0, 0, 'uint8', false), { scale: 1, zeroPoint: 0, qmin: 0, qmax: 255 });
  assert.deepEqual(computeQParams(-1e-40, 1e-40, 'int8', true), { scale: 1, zeroPoint: 0, qmin: -127, qmax: 127 });
  // q = clip(round(x / scale) + zp)
  assert.equal(quantizeValue(1, c), roundHalfEven(1 / c.scale));
  assert.equal(quantizeValue(100, c), 127);
  assert.equal(quantizeValue(-100, c), -127);
  const r = computeQParams(-1, 1, 'int8', true, true);
  assert.equal(r.scale, Math.fround(2 / 128));
});

test('int4 blocks: asymmetric scale/zp, symmetric scale, low nibble first, B as [N, blocks, block/2]', () => {
  // K = 4, N = 2, block 16: column 0 = [-1, 0, 1, 2], column 1 = [3, 3, 3, 3]
  const K = 4;
  const N = 2;
  const w = Float32Array.from([-1, 3, 0, 3, 1, 3, 2, 3]);
  const a = quantizeNBits(w, K, N, 16, false);
  assert.equal(a.blocks, 1);
  assert.equal(a.packed.length, N * 1 * 8);
  const s0 = Math.fround(3 / 15);
  assert.equal(a.scales[0], s0);
  const zp0 = Math.min(15, Math.max(0, roundHalfAway(1 / s0)));
  assert.equal(a.zeroPoints?.[0], zp0);
  const q = (v: number) => Math.min(15, Math.max(0, roundHalfAway(v / s0 + zp0)));
  assert.equal(a.packed[0], q(-1) | (q(0) << 4), 'low nibble is the first element');
  assert.equal(a.packed[1], q(1) | (q(2) << 4));
  assert.equal(a.packed[2], 0, 'padding past K is zero');
  // column 1: min = 0 (range includes 0), max = 3
  assert.equal(a.scales[1], Math.fround(3 / 15));
  assert.equal(a.zeroPoints?.[1], 0);
  const s = quantizeNBits(w, K, N, 16, true);
  assert.equal(s.zeroPoints, undefined, 'symmetric has no zero-point tensor');
  assert.equal(s.scales[0], Math.fround(-2 / 8), 'scale = −(the one of min, max with larger magnitude)/8');
  assert.equal(s.scales[1], Math.fround(-3 / 8));
  assert.throws(() => quantizeNBits(w, K, N, 24, true), /power of two/);
  // zero points pack two blocks per byte, low nibble first
  const big = quantizeNBits(Float32Array.from({ length: 64 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1)), 64, 1, 16, false);
  assert.equal(big.blocks, 4);
  assert.equal(big.zeroPoints?.length, 2);
});

test('the reference MatMulNBits graph is reproduced byte for byte from its dequantized weights', async () => {
  const { model } = await loadModel(M('matmulnbits_add.onnx'));
  const init = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
  const node = model.graph!.node!.find((n) => n.opType === 'MatMulNBits')!;
  const attr = (k: string) => toNumber(node.attribute!.find((a) => a.name === k)!.i);
  const [K, N, block] = [attr('K'), attr('N'), attr('block_size')];
  const bq = Buffer.from(init.get('B_Q4')!.rawData!);
  const scales = floatData(init.get('B_scales')!)!;
  // dequantize: w[k, n] = (q − 8) × scale
  const w = new Float32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) {
    const byte = bq[n * (block / 2) + (k >> 1)];
    const code = k & 1 ? byte >> 4 : byte & 0x0f;
    w[k * N + n] = (code - 8) * scales[n];
  }
  const r = quantizeNBits(w, K, N, block, true);
  assert.deepEqual(Buffer.from(r.packed), bq);
  assert.deepEqual([...r.scales], [...scales]);
});

test('the reference per-channel QDQ Conv: requantizing its weights gives its int8 codes, scales and int32 bias', async () => {
  const { model } = await loadModel(M('conv_qdq_s8s8_perchannel.onnx'));
  const init = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
  const wq = init.get('conv1.weight_quantized')!;
  const dims = dimsOf(wq);
  const codes = Int8Array.from(Buffer.from(wq.rawData!));
  const wScale = floatData(init.get('conv1.weight_scale')!)!;
  const C = dims[0];
  const per = codes.length / C;
  const w = Float32Array.from(codes, (q, i) => q * wScale[Math.floor(i / per)]);
  const { q, params } = quantizeWeight(w, dims, 0, 'int8', true, false);
  assert.deepEqual([...q], [...codes]);
  assert.deepEqual(params.map((p) => p.scale), [...wScale]);
  assert.ok(params.every((p) => p.zeroPoint === 0));
  // bias scale = input scale × weight scale (float32), as in the reference
  const inScale = floatData(init.get('input_scale')!)![0];
  const bScale = floatData(init.get('conv1.bias_quantized_scale')!)!;
  for (let c = 0; c < C; c++) assert.equal(bScale[c], Math.fround(inScale * wScale[c]));
});

test('calibration thresholds: percentile cuts the tail; entropy picks a threshold inside the range', () => {
  const hist = new Float64Array(2048);
  for (let i = 0; i < 1000; i++) hist[i] = 1000;
  hist[2047] = 1; // one outlier at the far end
  const absmax = 10;
  const p = percentileThreshold(hist, absmax, 99.99);
  assert.ok(p < 5 && p > 4.8, `percentile threshold ${p}`);
  assert.equal(percentileThreshold(hist, absmax, 100), absmax);
  // A long-tailed (Laplace-like) activation: entropy clips the sparse tail, keeps the dense body.
  const laplace = Float64Array.from({ length: 2048 }, (_, j) => Math.round(1e6 * Math.exp(-j / 60)));
  const e = entropyThreshold(laplace, absmax);
  assert.ok(e > (120 / 2048) * absmax && e < absmax * 0.9, `entropy threshold ${e}`);
});
