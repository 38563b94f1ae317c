import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { profileOnHost } from '../../extension/core/profile/hostProfiler';
import { profileOnPhone, RunnerMissingError } from '../../extension/core/profile/phoneProfiler';
import { OrtModelError } from '../../extension/core/profile/ort';
import { InputError } from '../../extension/core/profile/inputs';
import { compareProfiles } from '../../extension/core/profile/compare';
import { CancelSource, CancelledError } from '../../extension/core/util/progress';
import { onnx, saveModel } from '../../extension/core/onnx/model';
import { AdbService } from '../../extension/core/adb/adbService';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';

const M = (f: string) => path.join(__dirname, '..', 'fixtures', 'models', f);
const root = path.resolve(__dirname, '..', '..');
let tmp: string;
let server: TestAdbServer;
let adb: AdbService;
let phone: VirtualPhone;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-prof-'));
  server = await startAdbServer();
  adb = new AdbService({ serverPort: server.port }, { env: server.env });
  phone = await VirtualPhone.start({ port: 0 });
  await adb.connect(phone.address);
  await waitFor('phone', async () => (await adb.listDevices()).find((d) => d.serial === phone.address && d.state === 'device'));
});

after(async () => {
  await phone?.stop();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('host profile with optimization disabled maps 1:1 to the file\'s nodes; measured runs only', async () => {
  const { result: p } = await profileOnHost(M('mnist.onnx'), { runs: 15, warmup: 2, optimization: 'disabled' });
  assert.equal(p.nodes.length, 12, 'one timed kernel per node in the file');
  assert.deepEqual(new Set(p.nodes.map((n) => n.opType)), new Set(['Conv', 'Add', 'Relu', 'MaxPool', 'Reshape', 'MatMul']));
  assert.equal(p.settings.runs, 15);
  assert.ok(p.nodes.every((n) => n.callsPerRun === 1), 'warm-up runs are not averaged in');
  const l = p.latencyMs;
  assert.ok(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
  assert.ok(p.kernelCoverage > 0.2 && p.kernelCoverage <= 1, `coverage ${p.kernelCoverage}`);
  const shares = p.nodes.reduce((a, n) => a + n.share, 0);
  assert.ok(Math.abs(shares - p.kernelCoverage) < 0.05, `node shares (${shares}) add up to the coverage (${p.kernelCoverage})`);
  assert.ok((p.peakMemoryBytes ?? 0) > 0);
  assert.equal(p.timeline.events.length, 12);
});

test('optimization "all" gives fused kernels: fewer, different nodes than the file', async () => {
  const { result: p } = await profileOnHost(M('mnist.onnx'), { runs: 5, warmup: 1, optimization: 'all' });
  assert.ok(p.nodes.length < 12, `${p.nodes.length} kernels`);
  const c = compareProfiles((await profileOnHost(M('mnist.onnx'), { runs: 5, warmup: 1, optimization: 'disabled' })).result, p);
  assert.ok(c.byOpType.some((d) => d.aUs !== null && d.bUs === null), 'some op types disappear into fused kernels');
});

test('symbolic dimensions: set ones are used, batch is 1 by convention, others are refused naming the flag', async () => {
  await assert.rejects(profileOnHost(M('bert_toy_optimized.onnx'), { runs: 3, warmup: 1, dims: { batch: 1 } }), /input "input_ids" dim 1 \("max_seq_len_in_batch"\) has no value: give --shape input_ids=1x128/);
  const { result: q } = await profileOnHost(M('bert_toy_optimized.onnx'), { runs: 3, warmup: 1, dims: { max_seq_len_in_batch: 64 } });
  assert.deepEqual(q.settings.inputs.map((i) => i.shape), [[1, 64], [1, 64], [1, 64]]);
  assert.deepEqual(q.settings.dims, { max_seq_len_in_batch: 64, batch: 1 });
  assert.ok(q.warnings.some((w) => /batch = 1 \(batch convention/.test(w)), q.warnings.join('\n'));
});

test('inputs from .npy and .pb files are used; a wrong dtype or name is a clear error', async () => {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }";
  const h = Buffer.from(header.padEnd(118, ' ') + '\n', 'latin1');
  const npy = Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length, 0]), h, Buffer.alloc(784 * 4)]);
  const npyFile = path.join(tmp, 'x.npy');
  await writeFile(npyFile, npy);
  const { result } = await profileOnHost(M('mnist.onnx'), { runs: 2, warmup: 0, inputFiles: { Input3: npyFile } });
  assert.equal(result.settings.inputs[0].source, 'x.npy');
  const pb = path.join(tmp, 'x.pb');
  await writeFile(pb, onnx.TensorProto.encode({ dims: [1, 1, 28, 28], dataType: 1, rawData: Buffer.alloc(784 * 4) }).finish());
  assert.equal((await profileOnHost(M('mnist.onnx'), { runs: 1, warmup: 0, inputFiles: { Input3: pb } })).result.settings.inputs[0].source, 'x.pb');
  await assert.rejects(profileOnHost(M('mnist.onnx'), { runs: 1, inputFiles: { nope: npyFile } }), InputError);
  const i64 = Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length, 0]), Buffer.from(header.replace('<f4', '<i8').padEnd(118, ' ') + '\n', 'latin1'), Buffer.alloc(784 * 8)]);
  await writeFile(path.join(tmp, 'i64.npy'), i64);
  await assert.rejects(profileOnHost(M('mnist.onnx'), { runs: 1, inputFiles: { Input3: path.join(tmp, 'i64.npy') } }), /holds int64, but input Input3 is float32/);
});

test('a model onnxruntime rejects shows onnxruntime\'s own reason', async () => {
  const bad = path.join(tmp, 'unknown-op.onnx');
  await saveModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', node: [{ opType: 'NoSuchOp', input: ['x'], output: ['y'] }], input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }], output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }] } }, bad);
  await assert.rejects(profileOnHost(bad, { runs: 1 }), (e: unknown) => e instanceof OrtModelError && /unknown-op\.onnx/.test(e.message) && /NoSuchOp/.test(e.message));
  const junk = path.join(tmp, 'junk.onnx');
  await writeFile(junk, 'definitely not a model');
  await assert.rejects(profileOnHost(junk, { runs: 1 }), OrtModelError);
});

test('profiling can be cancelled between runs', async () => {
  const cancel = new CancelSource();
  const run = profileOnHost(M('bert_toy_optimized.onnx'), { runs: 10000, warmup: 0, dims: { max_seq_len_in_batch: 16 }, signal: cancel.signal, progress: { report: (p) => { if ((p.done ?? 0) >= 5) cancel.cancel(); } } });
  await assert.rejects(run, CancelledError);
});

test('on the virtual phone: push, run its onnxruntime_perf_test, pull and parse; it says host CPU', async () => {
  const p = await profileOnPhone(adb, phone.address, M('mnist.onnx'), { runs: 8, optimization: 'disabled' });
  assert.equal(p.device.kind, 'phone');
  assert.equal(p.device.serial, phone.address);
  assert.match(p.device.note ?? '', /host CPU/);
  assert.match(p.runtime.runner, /onnxruntime_perf_test.*host CPU/);
  assert.equal(p.nodes.length, 12);
  assert.equal(p.settings.runs, 8);
  assert.ok(p.kernelCoverage > 0.2);
  const left = (await adb.exec(phone.address, ['ls', '/data/local/tmp/mobileai/profile'])).stdout.toString();
  assert.doesNotMatch(left, /prof_.*\.json/, 'the pulled profile is removed from the phone');
  assert.match(left, /mnist\.onnx/);
});

test('on the virtual phone a .tflite runs its own benchmark_model (LiteRT.js): latency from count=, no invented op rows', async () => {
  const face = path.join(__dirname, '..', 'fixtures', 'tflite', 'face_detection_short_range.tflite');
  const p = await profileOnPhone(adb, phone.address, face, { runs: 5, warmup: 1 });
  assert.match(p.device.note ?? '', /LiteRT\.js.*host CPU/);
  assert.match(p.runtime.runner, /benchmark_model.*LiteRT\.js/);
  assert.ok(p.settings.runs >= 5, '--num_runs is a minimum (min_secs adds runs)');
  assert.ok(p.latencyMs.mean > 0 && (p.phases?.initMs ?? 0) > 0);
  assert.equal(p.nodes.length, 0);
  assert.ok(p.warnings.some((w) => /benchmark_model --enable_op_profiling=true on a phone/.test(w)));
  assert.ok(!p.warnings.some((w) => /was run without --enable_op_profiling/.test(w)), 'it was asked for op profiling; LiteRT.js has none');
});

test('a real phone without a configured runner gets told which runner to set', async () => {
  const other = await VirtualPhone.start({ port: 0, profile: { props: { 'ro.mobileai.virtual': '0' }, model: 'Pixel 8', abis: ['arm64-v8a'] } });
  try {
    await adb.connect(other.address);
    await waitFor('device', async () => (await adb.listDevices()).find((d) => d.serial === other.address && d.state === 'device'));
    await assert.rejects(profileOnPhone(adb, other.address, M('mnist.onnx'), { runs: 1 }), (e: unknown) => e instanceof RunnerMissingError && /onnxruntime_perf_test built for Android \(arm64-v8a\)/.test(e.message));
  } finally {
    await adb.disconnect(other.address).catch(() => undefined);
    await other.stop();
  }
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(root, 'bin', 'mobileai.js'), ...args], { env: server.env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('CLI: summary --json, profile --json on host and phone, exports, compare', async () => {
  const s = await cli(['summary', M('mnist.onnx'), '--json']);
  assert.equal(s.code, 0, s.stderr);
  const summary = JSON.parse(s.stdout);
  assert.equal(summary.parameters.count, 5998);
  assert.equal(summary.macs.total, 786560);
  const out = path.join(tmp, 'host.json');
  const trace = path.join(tmp, 'trace.json');
  const csv = path.join(tmp, 'nodes.csv');
  const h = await cli(['profile', M('mnist.onnx'), '--runs', '5', '--warmup', '1', '--opt', 'disabled', '--json', '--out', out, '--trace', trace, '--csv', csv]);
  assert.equal(h.code, 0, h.stderr);
  const host = JSON.parse(h.stdout);
  assert.equal(host.schema, 'mobileai.profile/1');
  assert.equal(host.nodes.length, 12);
  assert.deepEqual(JSON.parse(await readFile(out, 'utf8')).nodes.length, 12);
  assert.ok(JSON.parse(await readFile(trace, 'utf8')).traceEvents.length >= 12);
  assert.equal((await readFile(csv, 'utf8')).trim().split('\n').length, 13);
  const ph = await cli(['-P', String(server.port), 'profile', M('mnist.onnx'), '--device', phone.address, '--runs', '5', '--opt', 'disabled', '--json', '--compare', out]);
  assert.equal(ph.code, 0, ph.stderr);
  const both = JSON.parse(ph.stdout);
  assert.equal(both.profile.device.kind, 'phone');
  assert.equal(both.comparison.matchedNodes, 12);
  assert.ok(both.comparison.byNode.every((d: { deltaUs: number | null }) => d.deltaUs !== null));
  const bad = await cli(['summary', path.join(tmp, 'junk.onnx')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: junk\.onnx is not/);
  const badOpt = await cli(['profile', M('mnist.onnx'), '--opt', 'max']);
  assert.equal(badOpt.code, 1);
  assert.match(badOpt.stderr, /--opt must be one of/);
});
