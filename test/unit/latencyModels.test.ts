/**
 * The kernel latency models' maths on synthetic data with known answers (boosted trees, the overhead line),
 * the kernel features, and the check report's reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fitGbdt, isGbdt, predictGbdt } from '../../extension/core/latency/gbdt';
import { fitKernelModels, fitLine, isKernelModels, kernelFeatures, kernelKey, predictNetworkMs } from '../../extension/core/latency/model';
import { checkReportPath, readCheckReport, summarizeErrors, type CheckReport } from '../../extension/core/latency/check';
import type { Kernel } from '../../extension/core/latency/kernels';
import { Rng } from '../../extension/core/search/rng';

test('boosted trees recover a step-plus-linear function of two features and ignore a noise feature', () => {
  const rng = new Rng(1);
  const f = (a: number, b: number) => (a > 0.5 ? 3 : 0) + 2 * b;
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 400; i++) {
    const v = [rng.next(), rng.next(), rng.next()];
    x.push(v);
    y.push(f(v[0], v[1]));
  }
  const m = fitGbdt(x, y, { rounds: 200, depth: 3, rate: 0.1 });
  let worst = 0;
  for (const [a, b, c] of [[0.2, 0.3, 0.9], [0.8, 0.3, 0.1], [0.7, 0.9, 0.5], [0.1, 0.05, 0.5]]) worst = Math.max(worst, Math.abs(predictGbdt(m, [a, b, c]) - f(a, b)));
  assert.ok(worst < 0.25, `largest error ${worst}`);
  // The noise feature (index 2) barely moves a prediction.
  const along = [0, 0.25, 0.5, 0.75, 1].map((c) => predictGbdt(m, [0.3, 0.6, c]));
  assert.ok(Math.max(...along) - Math.min(...along) < 0.2, `prediction moves with the noise feature: ${along.join(', ')}`);
  assert.ok(isGbdt(JSON.parse(JSON.stringify(m))), 'the model survives JSON');
  assert.throws(() => predictGbdt(m, [1, 2]), /takes 3 features, got 2/);
});

test('a model read from a hand-edited file is refused when a split points outside its tree', () => {
  const m = fitGbdt([[0], [1], [2], [3], [4], [5], [6], [7]], [0, 0, 0, 0, 1, 1, 1, 1], { rounds: 3, minLeaf: 1 });
  const bad = JSON.parse(JSON.stringify(m));
  bad.trees[0][0][2] = 99;
  assert.equal(isGbdt(bad), false);
  assert.equal(isGbdt({ ...m, kind: 'other' }), false);
  assert.throws(() => fitGbdt([[1]], [1, 2]), /as many targets as samples/);
});

test('the overhead line: least squares on whole-run against Σ kernels, a ratio with too few networks', () => {
  const rows = [1, 2, 3, 4, 5, 6].map((k) => ({ k, d: 1.1 * k + 0.4 }));
  const l = fitLine(rows);
  assert.ok(Math.abs(l.scale - 1.1) < 1e-9 && Math.abs(l.baseMs - 0.4) < 1e-9);
  const few = fitLine([{ k: 2, d: 3 }, { k: 4, d: 5 }]);
  assert.equal(few.baseMs, 0);
  assert.equal(few.scale, 1.375, 'the median of 1.5 and 1.25');
});

const conv = (inC: number, outC: number, h: number, k: number, stride: number, groups: number, extra: Partial<Kernel> = {}): Kernel => ({
  name: 'c', type: 'nchwc.Conv', inputs: [[1, inC, h, h], [outC, inC / groups, k, k], [outC]], output: [1, outC, Math.ceil(h / stride), Math.ceil(h / stride)], ...extra,
});

test('kernel features and model keys: depthwise, 1×1 and k×k convolutions, fused activation and residual', () => {
  const dw = conv(96, 96, 40, 5, 2, 96, { activation: 'HardSwish' });
  assert.equal(kernelKey(dw), 'nchwc.Conv/dw');
  const f = kernelFeatures(dw);
  assert.equal(f[0], Math.log2(20 * 20 * 96 * 1 * 25 + 1), 'MACs of a depthwise conv');
  assert.deepEqual(f.slice(3), [96, 96, 40, 20, 5, 2, 1, 3, 0]);
  const pw = conv(32, 64, 20, 1, 1, 1, { inputs: [[1, 32, 20, 20], [64, 32, 1, 1], [64], [1, 64, 20, 20]] });
  assert.equal(kernelKey(pw), 'nchwc.Conv/1x1');
  assert.equal(kernelFeatures(pw)[11], 1, 'the fused residual Add is a feature');
  assert.equal(kernelKey(conv(3, 16, 224, 3, 2, 1)), 'nchwc.Conv/kxk');
  assert.equal(kernelKey({ name: 'm', type: 'Mul', inputs: [[1, 8, 4, 4], [1, 8, 1, 1]], output: [1, 8, 4, 4] }), 'Mul');
});

test('fitted kernel models predict a network as scale × Σ kernels + base, and the set validates', () => {
  // Synthetic kernels whose time is MACs / 1000 µs; networks' whole time is 1.2 × Σ + 0.3 ms.
  const rng = new Rng(3);
  const nets = Array.from({ length: 12 }, () => {
    const kernels = Array.from({ length: 20 }, () => {
      const k = conv(16 * (1 + rng.int(4)), 16 * (1 + rng.int(4)), 10 * (1 + rng.int(3)), 1, 1, 1);
      k.us = Math.pow(2, kernelFeatures(k)[0]) / 1000;
      return k;
    });
    return { kernels, wallMs: (1.2 * kernels.reduce((s, k) => s + (k.us as number), 0)) / 1000 + 0.3 };
  });
  const m = fitKernelModels(nets);
  assert.ok(isKernelModels(JSON.parse(JSON.stringify(m))));
  assert.equal(m.samples['nchwc.Conv/1x1'], 240);
  for (const n of nets.slice(0, 3)) {
    const p = predictNetworkMs(m, n.kernels);
    assert.ok(Math.abs(p - n.wallMs) / n.wallMs < 0.05, `predicted ${p} for ${n.wallMs}`);
  }
  assert.throws(() => fitKernelModels([{ kernels: [], wallMs: 1 }]), /no measured kernels/);
});

test('check reports: the summary counts errors within ±10 %, the reader refuses other files, reports never overwrite', async () => {
  const s = summarizeErrors([-12, -4, 0, 3, 9.9, 25]);
  assert.equal(s.count, 6);
  assert.equal(s.within10Percent, 4 / 6);
  assert.equal(s.medianErrorPercent, 1.5);
  assert.equal(s.maxAbsErrorPercent, 25);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-latency-'));
  try {
    const table = path.join(dir, 'host.json');
    await fs.writeFile(table, '{}');
    const first = await checkReportPath(table);
    assert.equal(first, path.join(dir, 'host.check.json'));
    await fs.writeFile(first, 'x');
    assert.equal(await checkReportPath(table), path.join(dir, 'host.check-1.json'));
    await assert.rejects(readCheckReport(first), /host\.check\.json is not JSON/);
    await fs.writeFile(path.join(dir, 'other.json'), JSON.stringify({ schema: 'mobileai.latency-table/1' }));
    await assert.rejects(readCheckReport(path.join(dir, 'other.json')), /not a latency check report/);
    const report: CheckReport = {
      schema: 'mobileai.latency-check/1', createdAt: '2026-12-01T00:00:00Z', table: { file: table, device: 'host', predictor: 'kernels', threads: 1, resolutions: [160] }, space: 'ofa-mbv3',
      device: { kind: 'host', label: 'host' }, measurement: { runs: 3, warmup: 1, interleaved: true, statistic: 'median', clock: 'cpu', threads: 1, runner: 'onnxruntime-node' }, seed: 1,
      networks: [{ id: 'a', arch: {}, predictedMs: 5, measuredMs: 5.5, errorPercent: -9.09 }], summary: summarizeErrors([-9.09]),
    };
    await fs.writeFile(path.join(dir, 'ok.json'), JSON.stringify(report));
    assert.equal((await readCheckReport(path.join(dir, 'ok.json'))).networks[0].measuredMs, 5.5);
    await fs.writeFile(path.join(dir, 'bad.json'), JSON.stringify({ ...report, networks: [{ id: 'a', predictedMs: 'x' }] }));
    await assert.rejects(readCheckReport(path.join(dir, 'bad.json')), /network 1 lacks numeric/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
