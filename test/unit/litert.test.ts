import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { cppNumber, statLine } from '../../extension/core/litert/format';
import { LiteRtError, runLiteRt } from '../../extension/core/litert/runtime';
import { profileTfliteOnHost } from '../../extension/core/litert/profile';
import { summarizeTfliteFile } from '../../extension/core/tflite/summary';
import { parseBenchmarkModel, parseRunStat } from '../../extension/core/runtimes/benchmarkModel';
import { parseTfliteBenchmark } from '../../extension/core/profile/tflite';
import { withPhone } from '../helpers/phoneShell';
import { syntheticFile } from '../helpers/tfliteBuilder';

/*
 * LiteRT.js (@litertjs/core) running a real MediaPipe model (test/fixtures/tflite/face_detection_short_range.tflite,
 * see test/fixtures/PROVENANCE.md) on this computer, and the virtual phone's benchmark_model printing what it
 * measured in the real tool's format. Format facts used below, from the tool's sources:
 * [CPP] C++ `ostream << double`: %g with precision 6 ("1.2e+06", "0.229032", "150").
 * [ST]  tensorflow/core/util/stats_calculator.h Stat::OutputToStream: "count=0"; "count=N curr=X" + "(all same)" when
 *       N > 1; else "count first curr min max avg std", std an int64.
 * [BM]  tensorflow/lite/tools/benchmark/benchmark_model.cc, benchmark_tflite_model.cc, benchmark_main.cc,
 *       tools/logging.h, tools/command_line_flags.cc (lines quoted in the assertions).
 */

const FACE = path.resolve(__dirname, '../fixtures/tflite/face_detection_short_range.tflite');

test('numbers and run statistics as the C++ tool prints them [CPP][ST], read back by the benchmark_model parser', () => {
  assert.equal(cppNumber(0.5), '0.5');
  assert.equal(cppNumber(1), '1');
  assert.equal(cppNumber(150), '150');
  assert.equal(cppNumber(1.2e6), '1.2e+06');
  assert.equal(cppNumber(229032 / 1e6), '0.229032');
  assert.equal(cppNumber(2750.5), '2750.5');
  assert.equal(cppNumber(123456.7), '123457');
  assert.equal(cppNumber(0.00001), '1e-05');
  assert.equal(cppNumber(NaN), 'nan');
  assert.equal(statLine([]), 'count=0');
  assert.equal(statLine([4100]), 'count=1 curr=4100');
  assert.equal(statLine([4100, 4100]), 'count=2 curr=4100(all same)');
  assert.equal(statLine([10, 20, 30]), 'count=3 first=10 curr=30 min=10 max=30 avg=20 std=8', 'std is an int64: sqrt(200/3) = 8.16 → 8');
  const s = parseRunStat(statLine([2600, 2700, 4100, 2650]));
  assert.deepEqual([s?.count, s?.first, s?.curr, s?.min, s?.max, s?.avg], [4, 2600, 2650, 2600, 4100, 3012.5]);
});

test('LiteRT.js runs the face detector on this computer: its inputs and outputs are the ones the file declares', async () => {
  const r = await runLiteRt(FACE, { warmupRuns: 2, warmupMinSecs: 0, numRuns: 5, minSecs: 0 });
  const s = await summarizeTfliteFile(FACE);
  assert.deepEqual(r.inputs.map((i) => [i.name, i.dtype, i.shape]), s.inputs.map((i) => [i.name, i.type, i.shape]));
  assert.deepEqual(r.outputs.map((o) => [o.name, o.shape]), s.outputs.map((o) => [o.name, o.shape]));
  assert.equal(r.warmupUs.length, 2, 'exactly the warm-up runs asked for when min seconds are 0');
  assert.equal(r.runsUs.length, 5);
  assert.ok(r.runsUs.every((us) => Number.isInteger(us) && us > 0), `${r.runsUs}`);
  assert.ok(r.loadUs > 0 && r.compileUs > 0 && r.initUs === r.loadUs + r.compileUs);
  assert.ok(r.maxRssKb.init >= r.maxRssKb.start && r.maxRssKb.end >= r.maxRssKb.init);
  assert.ok(r.runtimeLog.some((l) => /XNNPACK delegate for CPU/.test(l)), `the runtime's own log says XNNPACK ran: ${r.runtimeLog}`);
  assert.equal(r.fileBytes, 229032);
});

test('cancelling stops the LiteRT.js process', async () => {
  let abort: (() => void) | undefined;
  const t0 = Date.now();
  const run = runLiteRt(FACE, { numRuns: 1_000_000, minSecs: 120, signal: { onAbort: (cb) => { abort = cb; } } });
  setTimeout(() => abort?.(), 400);
  await assert.rejects(run, (e: Error) => e instanceof LiteRtError && /cancelled/.test(e.message));
  assert.ok(Date.now() - t0 < 10_000, 'it stopped long before its 120 s');
});

test('a cancel while the model is still being checked (before LiteRT.js starts) stops the run too', async () => {
  let abort: (() => void) | undefined;
  const run = runLiteRt(FACE, { numRuns: 1_000_000, minSecs: 120, signal: { onAbort: (cb) => { abort = cb; } } });
  abort?.(); // at once: the run is still reading the file
  await assert.rejects(run, (e: Error) => e instanceof LiteRtError && /cancelled/.test(e.message));
});

test('a model LiteRT.js cannot feed (an int8 input) is refused up front, naming the input', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'litert-'));
  try {
    const file = path.join(dir, 'int8.tflite');
    await writeFile(file, syntheticFile());
    await assert.rejects(runLiteRt(file), (e: Error) => e instanceof LiteRtError && /x \(int8\)/.test(e.message) && /float32, int32, uint8/.test(e.message));
    await writeFile(path.join(dir, 'junk.tflite'), 'not a model');
    await assert.rejects(runLiteRt(path.join(dir, 'junk.tflite')), (e: Error) => e instanceof LiteRtError && /junk\.tflite is not a TFLite model/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the virtual phone's benchmark_model: the real tool's lines [BM], read by the benchmark_model parser", async () => {
  await withPhone(async (device, sh) => {
    await copyFile(FACE, path.join(await device.fs.resolve('/data/local/tmp', '/', 'none'), 'face.tflite'));
    const r = await sh('benchmark_model --graph=/data/local/tmp/face.tflite --num_runs=6 --min_secs=0 --warmup_runs=2 --warmup_min_secs=0 --enable_op_profiling=true --num_threads=4 --gpu_backend=cl');
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.split('\n');
    assert.equal(out[0], 'INFO: STARTING!');
    assert.equal(out[1], 'WARN: Unconsumed cmdline flags: --gpu_backend=cl', 'a flag we do not take is left over, as command_line_flags leaves it');
    assert.equal(out[2], 'INFO: Log parameter values verbosely: [0]');
    for (const l of ['INFO: Min num runs: [6]', 'INFO: Min runs duration (seconds): [0]', 'INFO: Num threads: [4]', 'INFO: Graph: [/data/local/tmp/face.tflite]', 'INFO: Enable op profiling: [1]', 'INFO: #threads used for CPU inference: [4]', 'INFO: Loaded model /data/local/tmp/face.tflite', 'INFO: The input model file size (MB): 0.229032']) {
      assert.ok(out.includes(l), `missing ${l}`);
    }
    assert.ok(!out.some((l) => /Max runs duration/.test(l)), 'only flags given on the command line are logged');
    assert.match(r.stdout, /^INFO: Initialized session in \d+(\.\d+)?ms\.$/m);
    assert.match(r.stdout, /^INFO: Running benchmark for at least 2 iterations and at least 0 seconds but terminate if exceeding 150 seconds\.\nINFO: count=2 .*\n\n/m);
    assert.match(r.stdout, /^INFO: Running benchmark for at least 6 iterations and at least 0 seconds but terminate if exceeding 150 seconds\.\nINFO: count=6 .*\n\n/m);
    assert.ok(!/Run Order|\[node type\]/.test(r.stdout), 'no op table is invented');
    assert.match(r.stderr, /LiteRT\.js \(WebAssembly, XNNPACK\) on the host CPU/);
    assert.match(r.stderr, /per-op profiling is not available in LiteRT\.js/);
    assert.match(r.stderr, /--num_threads=4: LiteRT\.js runs on one thread/);

    const p = parseBenchmarkModel(r.stdout + r.stderr);
    assert.equal(p.graph, '/data/local/tmp/face.tflite');
    assert.equal(p.warmup?.count, 2);
    assert.equal(p.regular?.count, 6);
    assert.equal(p.rows.length, 0);
    const init = Number(/Initialized session in ([\d.]+)ms/.exec(r.stdout)?.[1]);
    assert.ok(p.timings && Math.abs(p.timings.initUs / 1000 - init) < 0.01, 'Init in the timings line is the session initialisation');
    assert.equal(p.timings?.firstUs, p.warmup?.first, 'First inference is the first warm-up run');
    assert.ok(Math.abs((p.timings?.inferenceAvgUs ?? 0) - (p.regular?.avg ?? -1)) <= (p.regular?.avg ?? 0) * 1e-5);
    assert.ok(p.memory.initDeltaMb !== undefined && p.memory.overallDeltaMb !== undefined && p.memory.overallDeltaMb >= p.memory.initDeltaMb);
    const prof = parseTfliteBenchmark(r.stdout);
    assert.equal(prof.runs, 6);
    assert.equal(prof.warmup, 2);
    assert.ok(Math.abs(prof.latencyMs.mean - (p.regular?.avg ?? 0) / 1000) < 1e-6);

    // --min_secs adds runs past --num_runs: the real count is in count=.
    const longer = await sh('benchmark_model --graph=/data/local/tmp/face.tflite --num_runs=1 --min_secs=0.3 --warmup_runs=0 --warmup_min_secs=0');
    assert.equal(longer.code, 0, longer.stderr);
    const lp = parseBenchmarkModel(longer.stdout);
    assert.ok((lp.regular?.count ?? 0) > 1, `min_secs kept it running: ${lp.regular?.count}`);
    assert.equal(lp.warmup?.count, 0, 'no warm-up asked for: count=0');
    assert.match(longer.stdout, /^INFO: Inference timings in us: Init: \d+, First inference: 0, Warmup \(avg\): nan, Inference \(avg\): /m);
  });
});

test('benchmark_model refuses bad command lines and files as the real tool does [BM]', async () => {
  await withPhone(async (device, sh) => {
    const tmp = await device.fs.resolve('/data/local/tmp', '/', 'none');
    await copyFile(FACE, path.join(tmp, 'face.tflite'));
    await writeFile(path.join(tmp, 'int8.tflite'), syntheticFile());
    const cases: Array<[string, RegExp]> = [
      ['benchmark_model', /^ERROR: Please specify the name of your TF Lite input file with --graph\nERROR: Benchmarking failed\.\n$/],
      ['benchmark_model --graph=/data/local/tmp/none.tflite', /^ERROR: Failed to mmap model \/data\/local\/tmp\/none\.tflite\nERROR: Benchmarking failed\.\n$/],
      ['benchmark_model --graph=/data/local/tmp/face.tflite --num_runs=abc', /^ERROR: Failed to parse flag 'num_runs' against argv '--num_runs=abc'\nERROR: usage: benchmark_model <flags>\nFlags:\n/],
      ['benchmark_model --graph=/data/local/tmp/face.tflite --input_layer=input --input_layer_shape=1,128,128,3:1,2', /The number of items in --input_layer_shape \(1,128,128,3:1,2, with 2 items\) must match the number of items in --input_layer \(input, with 1 items\)/],
      ['benchmark_model --graph=/data/local/tmp/face.tflite --input_layer=input --input_layer_shape=1,-1,128,3', /Any unknown sizes in the shapes \(-1's\) must be replaced/],
      ['benchmark_model --graph=/data/local/tmp/face.tflite --input_layer=input --input_layer_shape=1,128,3', /^ERROR: Input tensor #\d+ should have 4 dimensions!$/m],
      ['benchmark_model --graph=/data/local/tmp/face.tflite --input_layer=input --input_layer_shape=1,256,256,3', /LiteRT\.js cannot resize inputs: input is \[1,128,128,3\] in the model and --input_layer_shape asks for \[1,256,256,3\]/],
      ['benchmark_model --graph=/data/local/tmp/int8.tflite', /LiteRT\.js cannot feed x \(int8\)/],
      // benchmark_tflite_model.cc ValidateParams: the mode is checked only with op profiling on, and the message has no space after "mode".
      // command_line_flags.cc: flags are "--name=value"; --help=true prints Flags::Usage ("usage: <argv[0]> <flags>") and
      // fails; a bare --help is an unconsumed argument, so the run goes on to the missing --graph.
      ['benchmark_model --help=true', /^ERROR: usage: benchmark_model <flags>\nFlags:\n/],
      ['benchmark_model --help', /^ERROR: Please specify the name of your TF Lite input file with --graph\n/],
      ['benchmark_model --graph=/data/local/tmp/face.tflite --enable_op_profiling=true --op_profiling_output_mode=xml', /^ERROR: Output modexml is not supported\. Supported values are: 'stdout', 'csv' and 'proto'\.\n/],
    ];
    for (const [line, err] of cases) {
      const r = await sh(line);
      assert.equal(r.code, 1, line);
      assert.match(r.stderr, err, `${line}\n${r.stderr}`);
      assert.match(r.stderr, /ERROR: Benchmarking failed\.\n$/, line);
      assert.ok(r.stdout.startsWith('INFO: STARTING!\n'), line);
    }
  });
});

test('benchmark_model takes the real profiling and state flags (not "Unconsumed") and logs them with their real labels [BM]', async () => {
  await withPhone(async (device, sh) => {
    await copyFile(FACE, path.join(await device.fs.resolve('/data/local/tmp', '/', 'none'), 'face.tflite'));
    const r = await sh('benchmark_model --graph=/data/local/tmp/face.tflite --num_runs=1 --min_secs=0 --warmup_runs=0 --warmup_min_secs=0 --enable_op_profiling=true --op_profiling_output_mode=csv --op_profiling_output_file=/data/local/tmp/ops.csv --print_preinvoke_state=true --require_full_delegation=false');
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Unconsumed cmdline flags/);
    const out = r.stdout.split('\n');
    const order = ['INFO: Graph: [/data/local/tmp/face.tflite]', 'INFO: Require full delegation: [0]', 'INFO: Enable op profiling: [1]', 'INFO: Op profiling output mode.: [csv]', 'INFO: Op profiling output file.: [/data/local/tmp/ops.csv]', 'INFO: Print pre-invoke interpreter state: [1]'];
    const at = order.map((l) => out.indexOf(l));
    assert.ok(at.every((i) => i > 0), `logged: ${order.filter((_, i) => at[i] < 0).join(' | ')}`);
    assert.deepEqual([...at].sort((a, b) => a - b), at, 'in LogParams order');
    assert.match(r.stderr, /interpreter state \(PrintInterpreterState\) is not available in LiteRT\.js/);
  });
});

test('mobileai profile model.tflite on this computer: whole-run latency, init and first inference, no invented op rows', async () => {
  const p = await profileTfliteOnHost(FACE, { runs: 4, warmup: 1 });
  assert.equal(p.runtime.name, 'tflite');
  assert.match(p.runtime.runner, /^LiteRT\.js \d+\.\d+\.\d+/);
  assert.equal(p.device.kind, 'host');
  assert.equal(p.settings.runs, 4);
  assert.equal(p.settings.warmup, 1);
  assert.deepEqual(p.settings.inputs.map((i) => [i.name, i.type, i.shape]), [['input', 'float32', [1, 128, 128, 3]]]);
  assert.ok(p.latencyMs.p50 > 0 && p.latencyMs.p90 >= p.latencyMs.p50 && p.latencyMs.max >= p.latencyMs.p90);
  assert.ok((p.phases?.initMs ?? 0) > 0 && (p.phases?.firstInferenceMs ?? 0) > 0);
  assert.equal(p.nodes.length, 0);
  assert.equal(p.kernelCoverage, 0);
  assert.ok(p.warnings.some((w) => w.includes('benchmark_model --enable_op_profiling=true')));

  const cli = path.resolve(__dirname, '../../extension/cli/mobileai.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'profile', FACE, '--runs', '3', '--warmup', '1', '--json'], { cwd: path.resolve(__dirname, '../..') });
  const j = JSON.parse(stdout);
  assert.equal(j.settings.runs, 3);
  assert.ok(j.latencyMs.p50 > 0 && j.phases.initMs > 0 && j.phases.firstInferenceMs > 0);
  await assert.rejects(
    promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'profile', FACE, '--shape', 'input=1,64,64,3'], { cwd: path.resolve(__dirname, '../..') }),
    (e: { stderr: string }) => /LiteRT\.js runs the model at its own input shapes/.test(e.stderr),
  );
});
