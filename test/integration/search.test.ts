import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportArchitecture, buildSpaceTable, runSearch } from '../../extension/core/search/run';
import { loadOrt } from '../../extension/core/profile/ort';
import { AdbService } from '../../extension/core/adb/adbService';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';
import { latencyOf } from '../../extension/core/search/search';
import { ofaSpace } from '../../extension/core/search/ofa';

const NAS = path.join(__dirname, '..', 'fixtures', 'nas');
let tmp: string;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-search-'));
});
after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the best architecture exports as an ONNX model onnxruntime runs, with its predicted vs measured host latency', async (t) => {
  const report = await runSearch({ space: 'ofa-mbv3', table: NAS, predictor: path.join(NAS, 'acc_predictor_weights.json'), budgetMs: 20, algorithm: 'evolution', evaluations: 800, seed: 3 });
  assert.ok(report.best && report.best.latencyMs <= 20);
  assert.equal(report.score.kind, 'accuracy');
  const out = path.join(tmp, 'best.onnx');
  const e = await exportArchitecture('ofa-mbv3', report.best!.arch, out, { runs: 15 });
  t.diagnostic(`predicted ${e.predictedHostMs.toFixed(2)} ms, measured ${e.measuredHostMs.toFixed(2)} ms, error ${e.errorPercent.toFixed(1)}%`);
  const s = await loadOrt().InferenceSession.create(out);
  const r = (report.best!.arch as { r: number }).r;
  const y = await s.run({ input: new (loadOrt().Tensor)('float32', new Float32Array(3 * r * r).fill(0.1), [1, 3, r, r]) });
  assert.deepEqual(y.output.dims, [1, 1000]);
  assert.ok(Number.isFinite(e.errorPercent) && e.measuredHostMs > 0 && e.predictedHostMs > 0);
  await assert.rejects(exportArchitecture('ofa-mbv3', report.best!.arch, out), /Refusing to overwrite/);
  await assert.rejects(exportArchitecture('ofa-mbv3', { ks: [9], e: [], d: [], r: 1 }, path.join(tmp, 'x.onnx')), /invalid OFA architecture/);
});

test('a table built on the virtual phone says it measured the host CPU, and a search can run on it', async () => {
  const server: TestAdbServer = await startAdbServer();
  const phone = await VirtualPhone.start({ port: 0 });
  try {
    const adb = new AdbService({ serverPort: server.port }, { env: server.env });
    await adb.connect(phone.address);
    await waitFor('phone', async () => (await adb.listDevices()).find((d) => d.serial === phone.address && d.state === 'device'));
    const [table] = await buildSpaceTable('ofa-mbv3', 160, { kind: 'phone', adb, serial: phone.address }, { runs: 3 });
    assert.equal(table.resolution, 160);
    assert.equal(Object.keys(table.entries).length, 96);
    assert.match(table.device.note ?? '', /host CPU/);
    assert.equal(table.device.serial, phone.address);
    const a = { ks: Array(20).fill(3), e: Array(20).fill(3), d: Array(5).fill(2), r: 160 };
    assert.ok(latencyOf(ofaSpace, [table], a) > 0);
  } finally {
    await phone.stop();
    await server.stop();
  }
});
