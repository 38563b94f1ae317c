import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdbService } from '../../extension/core/adb/adbService';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import { profileOnPhone } from '../../extension/core/profile/phoneProfiler';
import { importProfile, importProfileText, ProfileImportError } from '../../extension/core/profile/import';
import { compareProfiles } from '../../extension/core/profile/compare';
import { parsePerfTestOutput } from '../../extension/core/runtimes/perfTest';
import { saveModel } from '../../extension/core/onnx/model';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';

const M = (f: string) => path.join(__dirname, '..', 'fixtures', 'models', f);
const root = path.resolve(__dirname, '..', '..');
let tmp: string;
let server: TestAdbServer;
let adb: AdbService;
let phone: VirtualPhone;
const DIR = '/data/local/tmp/pt';

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-import-'));
  server = await startAdbServer();
  adb = new AdbService({ serverPort: server.port }, { env: server.env });
  phone = await VirtualPhone.start({ port: 0 });
  await adb.connect(phone.address);
  await waitFor('phone', async () => (await adb.listDevices()).find((d) => d.serial === phone.address && d.state === 'device'));
  await adb.exec(phone.address, ['mkdir', '-p', DIR]);
  await adb.push(phone.address, M('mnist.onnx'), `${DIR}/mnist.onnx`);
  await adb.push(phone.address, M('tiny-random-gpt2-fp32-past.onnx'), `${DIR}/gpt2.onnx`);
});

after(async () => {
  await phone?.stop();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function sh(line: string): Promise<{ code: number; out: string; err: string }> {
  const r = await adb.execLine(phone.address, line, { timeoutMs: 120_000 });
  return { code: r.exitCode, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
}

/** The block performance_runner.cc prints, line by line, in its order (onnxruntime/test/perftest/performance_runner.cc). */
const REAL_BLOCK = [
  /^Session creation time cost: \d[\d.e+-]* s$/,
  /^First inference time cost: \d+ ms$/,
  /^Total inference time cost: \d[\d.e+-]* s$/,
  /^Total inference requests: \d+$/,
  /^Average inference time cost: \d[\d.e+-]* ms$/,
  /^Total inference run time: \d[\d.e+-]* s$/,
  /^Number of inferences per second: \d[\d.e+-]* $/,
  /^Avg CPU usage: \d+ %$/,
  /^Peak working set size: \d+ bytes$/,
  /^Avg CPU usage:\d+$/,
  /^Peak working set size:\d+$/,
  /^Runs:\d+$/,
  /^Min Latency: \d[\d.e+-]* s$/,
  /^Max Latency: \d[\d.e+-]* s$/,
  /^P50 Latency: \d[\d.e+-]* s$/,
  /^P90 Latency: \d[\d.e+-]* s$/,
  /^P95 Latency: \d[\d.e+-]* s$/,
  /^P99 Latency: \d[\d.e+-]* s$/,
  /^P999 Latency: \d[\d.e+-]* s$/,
];

test('virtual phone onnxruntime_perf_test: the real output block, line for line; the host-CPU note on stderr only', async () => {
  const r = await sh(`cd ${DIR} && onnxruntime_perf_test -I -m times -r 30 -x 1 -o 0 mnist.onnx`);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.replace(/\n$/, '').split('\n');
  assert.equal(lines[0], 'Setting intra_op_num_threads to 1', 'ort_test_session.cc prints this when -x > 0');
  assert.equal(lines.length, 1 + REAL_BLOCK.length, r.out);
  REAL_BLOCK.forEach((re, i) => assert.match(lines[i + 1], re));
  assert.doesNotMatch(r.out, /virtual|host|onnxruntime-node/i, 'stdout is what a phone build prints');
  assert.match(r.err, /\[W:onnxruntime:Default, virtual_phone\] virtual phone: .*onnxruntime-node [\d.]+ on the host CPU/);
  const rep = parsePerfTestOutput(r.out + r.err);
  assert.equal(rep.requests, 30);
  assert.ok(rep.latencyMs && rep.latencyMs.min <= rep.latencyMs.p50 && rep.latencyMs.p50 <= rep.latencyMs.p999 && rep.latencyMs.p999 <= rep.latencyMs.max);
  assert.ok(Math.abs(rep.averageMs - (rep.totalInferenceTimeMs ?? 0) / 30) < 1e-3 * rep.averageMs + 1e-6, 'average = total / requests');
  assert.ok(rep.notes.length === 1);
});

test('virtual phone onnxruntime_perf_test: -m duration is the default mode, -t seconds; a result file takes the per-run lines', async () => {
  const r = await sh(`cd ${DIR} && onnxruntime_perf_test -I -t 1 mnist.onnx`);
  assert.equal(r.code, 0, r.err);
  const n = parsePerfTestOutput(r.out).requests;
  assert.ok(n > 5, `${n} requests in one second`);
  const runS = Number(/Total inference run time: ([\d.e+-]+) s/.exec(r.out)?.[1]);
  assert.ok(runS >= 1 && runS < 3, `ran for ${runS} s`);
  const f = await sh(`cd ${DIR} && onnxruntime_perf_test -I -r 4 ${DIR}/mnist.onnx res.csv && cat res.csv`);
  assert.equal(f.code, 0, f.err);
  assert.doesNotMatch(f.out.split('Peak working set size:')[0], /Min Latency/);
  assert.equal(f.out.split('\n').filter((l) => /^pt,[\d.e+-]+,\d+,\d+,[0-3]$/.test(l)).length, 4, 'model dir, seconds, peak bytes, cpu %, index per run (DumpToFile)');
  assert.doesNotMatch(f.out, /^Runs:/m, 'with a result file the Runs: lines are not printed');
});

test('virtual phone onnxruntime_perf_test: -p names the profile <prefix>_YYYY-MM-DD_HH-MM-SS.json; bad command lines print the usage', async () => {
  const r = await sh(`cd ${DIR} && onnxruntime_perf_test -I -r 3 -p prof/run mnist.onnx && ls prof`);
  assert.equal(r.code, 0, r.err);
  // The getopt-era tool's runtime names it <prefix>_%Y-%m-%d_%H-%M-%S.json (microsoft/onnxruntime#18611); the
  // milliseconds onnxruntime-node 1.30 adds (onnxruntime#26846, 2026) are not part of that name.
  assert.match(r.out, /^run_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.json$/m);
  for (const bad of ['-m sometimes', '-r 0', '-o 5', '-f batch', '-f batch:0', '-e tpu', '-q -Q']) {
    const b = await sh(`cd ${DIR} && onnxruntime_perf_test ${bad} mnist.onnx`);
    assert.equal(b.code, 255, bad);
    assert.match(b.out, /^perf_test \[options\.\.\.\] model_path \[result_file\]/, bad);
  }
  const h = await sh('onnxruntime_perf_test -h');
  assert.equal(h.code, 255);
  assert.match(h.out, /-F \[free_dimension_override\]: Specifies a free dimension by denotation/);
  const xnn = await sh(`cd ${DIR} && onnxruntime_perf_test -e xnnpack -I -r 1 mnist.onnx`);
  assert.equal(xnn.code, 255);
  assert.match(xnn.err, /Xnnpack is not supported in this build/);
  const noI = await sh(`cd ${DIR} && onnxruntime_perf_test -r 1 mnist.onnx`);
  assert.equal(noI.code, 255);
  assert.match(noI.out, /there is no test data for model \.\nRun failed:failed to initialize\./, 'the model name is the folder of the path as given');
});

test('virtual phone onnxruntime_perf_test: -f and -F override free dimensions by name and by denotation, and say so', async () => {
  const r = await sh(`cd ${DIR} && onnxruntime_perf_test -I -r 2 -S 1 -f batch_size:1 -f seq_len:4 -f past_seq_len:3 -f total_seq_len:7 gpt2.onnx`);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Overriding dimension with name, batch_size, to 1$/m);
  assert.match(r.out, /^Overriding dimension with name, seq_len, to 4$/m);
  assert.equal(parsePerfTestOutput(r.out).dimOverrides.total_seq_len, 7);

  // -F: by denotation. A model whose batch dim is named "n" and denoted DATA_BATCH runs at the given size,
  // as the per-node input shapes in onnxruntime's own profile show.
  const den = path.join(tmp, 'denoted.onnx');
  await saveModel({
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g', node: [{ opType: 'Relu', input: ['x'], output: ['y'], name: 'relu' }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n', denotation: 'DATA_BATCH' }, { dimValue: 3 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
    },
  }, den);
  await adb.push(phone.address, den, `${DIR}/denoted.onnx`);
  const d = await sh(`cd ${DIR} && rm -rf dn && onnxruntime_perf_test -I -r 2 -o 0 -F DATA_BATCH:5 -F UNUSED:2 -p dn/p denoted.onnx && cat dn/*.json`);
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /^Overriding dimension with denotation, DATA_BATCH, to 5$/m);
  assert.match(d.out, /^Overriding dimension with denotation, UNUSED, to 2$/m, 'printed for every override given, as the real tool does');
  assert.match(d.out, /"input_type_shape" : \[\{"float":\[5,3\]\}\]/, 'the Relu ran on a 5x3 input');
});

test('the profiler passes the user\'s dims as -f and no warm-up option; settings report the real counts', async () => {
  const p = await profileOnPhone(adb, phone.address, M('tiny-random-gpt2-fp32-past.onnx'), { runs: 3, warmup: 5, dims: { batch_size: 1, seq_len: 2, past_seq_len: 2, total_seq_len: 4 } });
  assert.equal(p.settings.runs, 3);
  assert.equal(p.settings.warmup, 1, 'onnxruntime_perf_test runs exactly one warm-up');
  assert.ok(p.warnings.some((w) => /exactly one warm-up run/.test(w)));
  assert.equal(p.settings.dims.total_seq_len, 4);
  assert.ok(p.nodes.length > 0);
  assert.ok((p.phases?.sessionCreationMs ?? 0) > 0);
  assert.match(p.runtime.version ?? '', /^\d+\.\d+/);
});

test('a .tflite on a phone through benchmark_model: the runner is pushed and run with --enable_op_profiling; runs come from count=', async () => {
  // A stand-in for benchmark_model (no TFLite runtime runs here): a phone shell script that prints the real
  // tool's lines for the flags it was given, in the current LiteRT layout (sources in benchmarkModel.test.ts).
  const runner = path.join(tmp, 'benchmark_model');
  await writeFile(runner, [
    '#!/system/bin/sh',
    'for a in "$@"; do case $a in --graph=*) g=${a#--graph=};; --num_runs=*) n=${a#--num_runs=};; --enable_op_profiling=*) p=${a#--enable_op_profiling=};; esac; done',
    'echo "INFO: Min num runs: [$n]"',
    'echo "INFO: Graph: [$g]"',
    'echo "INFO: Enable op profiling: [$p]"',
    'echo "INFO: Loaded model $g"',
    'echo "INFO: Replacing 7 out of 8 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 1 partitions for subgraph 0 (main)."',
    'echo "INFO: count=12 first=2000 curr=1500 min=1400 max=2000 avg=1550 std=150 p5=1400 median=1500 p95=2000"',
    'echo "INFO: count=37 first=1500 curr=1450 min=1400 max=1700 avg=1480 std=60 p5=1410 median=1460 p95=1650"',
    'echo "INFO: Inference timings in us: Init: 12000, First inference: 2000, Warmup (avg): 1550, Inference (avg): 1480"',
    'echo "INFO: Operator-wise Profiling Info for Regular Benchmark Runs:"',
    'echo "============================== Run Order =============================="',
    "printf '\\t%40s\\t%9s\\t%9s\\t%8s\\t%8s\\t%10s\\t%9s\\t%s\\n' '[node type]' '[first]' '[avg ms]' '[%]' '[cdf%]' '[mem KB]' '[times called]' '[Name]'",
    "printf '\\t%40s\\t%9s\\t%9s\\t%7s%%\\t%7s%%\\t%10s\\t%9s\\t%s\\n' TfLiteXNNPackDelegate 1.200 1.100 91.667 91.667 0.000 1 '[logits]:8'",
    "printf '\\t%40s\\t%9s\\t%9s\\t%7s%%\\t%7s%%\\t%10s\\t%9s\\t%s\\n' ARG_MAX 0.110 0.100 8.333 100.000 0.000 1 '[class]:7'",
    'echo',
  ].join('\n'));
  const model = path.join(tmp, 'tiny.tflite');
  await writeFile(model, Buffer.alloc(64));
  const p = await profileOnPhone(adb, phone.address, model, { runs: 20, warmup: 2, tfliteRunner: runner });
  assert.equal(p.runtime.runner, 'benchmark_model');
  assert.equal(p.runtime.executionProvider, 'XNNPACK');
  assert.equal(p.settings.runs, 37, '--num_runs is a minimum: the real count is count=');
  assert.equal(p.settings.warmup, 12);
  assert.equal(p.latencyMs.mean, 1.48);
  assert.equal(p.latencyMs.p50, 1.46);
  assert.deepEqual(p.nodes.map((n) => [n.opType, n.provider]), [['TfLiteXNNPackDelegate', 'XNNPACK'], ['ARG_MAX', 'CPU']]);
  assert.match(p.delegation?.summary ?? '', /XNNPACK took 7 of 8 nodes in 1 partition; 1 op\(s\) ran on the CPU/);
  assert.ok(p.warnings.every((w) => !/without --enable_op_profiling/.test(w)), 'the runner was asked for op profiling');
});

/** Saved outputs in the real formats (see test/unit/perfTest.test.ts and benchmarkModel.test.ts for the sources). */
const PERF_TEST_SAVED = [
  'Setting intra_op_num_threads to 4',
  'Session creation time cost: 0.708476 s',
  'First inference time cost: 60 ms',
  'Total inference time cost: 0.446395 s',
  'Total inference requests: 10',
  'Average inference time cost: 44.6395 ms',
  'Total inference run time: 0.446867 s',
  'Number of inferences per second: 22.378 ',
  'Avg CPU usage: 48 %',
  'Peak working set size: 53567488 bytes',
  'Avg CPU usage:48',
  'Peak working set size:53567488',
  'Runs:10',
  'Min Latency: 0.0429274 s',
  'Max Latency: 0.049022 s',
  'P50 Latency: 0.0446158 s',
  'P90 Latency: 0.049022 s',
  'P95 Latency: 0.049022 s',
  'P99 Latency: 0.049022 s',
  'P999 Latency: 0.049022 s',
  '',
].join('\n');

const BENCH_SAVED = [
  'INFO: Graph: [/data/local/tmp/selfie_segmenter.tflite]',
  'INFO: #threads used for CPU inference: [4]',
  'INFO: Replacing 40 out of 41 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 2 partitions for subgraph 0 (main).',
  'INFO: count=40 first=9000 curr=8100 min=8000 max=9000 avg=8200 std=150 p5=8010 median=8150 p95=8800',
  'INFO: count=120 first=8100 curr=8050 min=7900 max=8600 avg=8080 std=90 p5=7950 median=8060 p95=8300',
  'INFO: Inference timings in us: Init: 31000, First inference: 9000, Warmup (avg): 8200, Inference (avg): 8080',
  'INFO: Operator-wise Profiling Info for Regular Benchmark Runs:',
  '============================== Run Order ==============================',
  '\t                             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]',
  '\t                   TfLiteXNNPackDelegate\t    6.000\t    5.900\t 80.000%\t 80.000%\t     0.000\t        1\t[segment_logits]:41',
  '\t                                  CUSTOM\t    1.200\t    1.100\t 15.000%\t 95.000%\t     0.000\t        1\t[Convolution2DTransposeBias]:40',
  '\t                   TfLiteXNNPackDelegate\t    0.400\t    0.350\t  5.000%\t100.000%\t     0.000\t        1\t[mask]:42',
  '',
].join('\n');

test('profile import: every format to our profile JSON, auto-detected; bad files are refused with a reason', async () => {
  const perf = importProfileText(PERF_TEST_SAVED);
  assert.equal(perf.source?.format, 'perf-test');
  assert.equal(perf.latencyMs.mean, 44.6395);
  assert.equal(perf.latencyMs.p50, 44.6158);
  assert.equal(perf.latencyMs.p999, 49.022);
  assert.equal(perf.settings.runs, 10);
  assert.equal(perf.runtime.threads, 4);
  assert.equal(perf.peakRssBytes, 53567488);
  assert.equal(perf.phases?.sessionCreationMs, 708.476);

  const bm = importProfileText(BENCH_SAVED, { device: 'Pixel 7 (CI farm)' });
  assert.equal(bm.source?.format, 'benchmark-model');
  assert.equal(bm.model.name, 'selfie_segmenter.tflite');
  assert.equal(bm.runtime.name, 'tflite');
  assert.equal(bm.runtime.executionProvider, 'XNNPACK');
  assert.equal(bm.latencyMs.mean, 8.08);
  assert.equal(bm.settings.runs, 120);
  assert.equal(bm.device.label, 'Pixel 7 (CI farm)');
  assert.deepEqual(bm.delegation?.cpu.map((c) => c.opType), ['CUSTOM']);
  assert.equal(bm.nodes.find((n) => n.opType === 'CUSTOM')?.provider, 'CPU');

  // An ORT profile JSON written by the virtual phone's perf_test (-p), pulled and imported.
  await sh(`cd ${DIR} && rm -rf imp && onnxruntime_perf_test -I -r 5 -o 0 -p imp/m mnist.onnx > /dev/null`);
  const name = (await sh(`ls ${DIR}/imp`)).out.trim();
  const local = path.join(tmp, name);
  await adb.pull(phone.address, `${DIR}/imp/${name}`, local);
  const ortp = await importProfile(local, { model: 'mnist.onnx' });
  assert.equal(ortp.source?.format, 'ort-json');
  assert.equal(ortp.settings.runs, 5, 'the first model_run is the tool\'s warm-up');
  assert.equal(ortp.settings.warmup, 1);
  assert.equal(ortp.nodes.length, 12);
  assert.ok(/^\d{4}-\d{2}-\d{2}T/.test(ortp.createdAt));

  const bad = path.join(tmp, 'bad.txt');
  await writeFile(bad, 'hello world\n');
  await assert.rejects(importProfile(bad), (e: unknown) => e instanceof ProfileImportError && /format of this file is not known/.test(e.message));
  await assert.rejects(importProfile(path.join(tmp, 'missing.txt')), /no such file/);
  assert.throws(() => importProfileText('Total inference requests: 3\n', { format: 'perf-test' }), /Average inference time cost/);
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

test('CLI: mobileai profile import FILE [--format] [--json] [--out]; imported profiles compare with measured ones', async () => {
  const saved = path.join(tmp, 'phone-perf.txt');
  await writeFile(saved, PERF_TEST_SAVED);
  const j = await cli(['profile', 'import', saved, '--json']);
  assert.equal(j.code, 0, j.stderr);
  const p = JSON.parse(j.stdout);
  assert.equal(p.schema, 'mobileai.profile/1');
  assert.equal(p.latencyMs.mean, 44.6395);

  const bm = path.join(tmp, 'bench.log');
  await writeFile(bm, BENCH_SAVED);
  const out = path.join(tmp, 'bench.profile.json');
  const t = await cli(['profile', 'import', bm, '--format', 'benchmark-model', '--out', out]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /mean 8\.080/);
  assert.match(t.stdout, /XNNPACK took 40 of 41 nodes in 2 partitions/);
  const written = JSON.parse(await readFile(out, 'utf8'));
  assert.equal(written.runtime.runner, 'benchmark_model');

  const wrong = await cli(['profile', 'import', bm, '--format', 'perf-test']);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /not onnxruntime_perf_test output/);
  const unknown = await cli(['profile', 'import', bm, '--format', 'xml']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /auto, ort-json, perf-test, benchmark-model, benchmark-model-csv/);

  // An imported profile compares with one measured here (the existing compare).
  const measured = await cli(['profile', M('mnist.onnx'), '--runs', '3', '--json']);
  assert.equal(measured.code, 0, measured.stderr);
  const a = JSON.parse(measured.stdout);
  const c = compareProfiles(a, p);
  assert.ok(Number.isFinite(c.speedup), 'latency compares');
  const cmp = await cli(['profile', M('mnist.onnx'), '--runs', '3', '--compare', out]);
  assert.equal(cmp.code, 0, cmp.stderr);
});
