import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatCppDouble, formatPerfTestResult, ortProfileFileName, parsePerfTestArgs, parsePerfTestOutput, perfTestArgv, PerfTestOutputError, PERF_TEST_USAGE,
} from '../../extension/core/runtimes/perfTest';
import { withPhone } from '../helpers/phoneShell';

/*
 * Format facts and where they come from (microsoft/onnxruntime, onnxruntime/test/perftest/):
 * [CA] command_args_parser.cc (@ 8f11700, the getopt-based tool; ShowUsage printed whole): getopt "k:b:m:e:r:t:p:x:y:c:d:o:u:i:f:F:S:T:AMPIDZvhsqz"; -m duration|times else
 *      failure; -r N (> 0) switches to times mode, -t N to duration mode; -o 0/1/2/99, > 99 means 99, others fail;
 *      -f/-F "name:value" with value > 0; -x/-y >= 0; -c > 0; one positional argument turns statistics on, two
 *      give a result file, none (or three) fail; -h fails (prints the usage).
 * [TC] test_configuration.h and the usage text: default mode duration, -r default 1000, -t default 600.
 * [PR] performance_runner.cc: the result block printed with std::cout (6 significant digits), "First inference
 *      time cost" in whole ms, "Number of inferences per second: X " with a trailing space; DumpToFile prints
 *      "Avg CPU usage:N", "Peak working set size:N", "Runs:N" without a result file, then Min/Max/P50/P90/P95/P99/
 *      P999 Latency in seconds, Pn = sorted[floor(total * n)].
 * [OS] ort_test_session.cc: "Setting intra_op_num_threads to %d", "Overriding dimension with name, %s, to %d".
 * [U1] output posted with the SpacemiT K1 docs (onnxruntime_perf_test -x 4 -r 10 -e spacemit -p yolov6 -I):
 *      "using SpaceMITExecutionProvider", "Setting intra_op_num_threads to 4", then the [PR] block with
 *      "Avg CPU usage: 48 %" and "Number of inferences per second: 22.378".
 * [U2] a developer's notes with a Windows run (-r 100 squeezenet): the same block, "Total inference requests: 10000",
 *      "Min Latency: 0.0007726 s", "P999 Latency: 0.00136 s".
 * The profile file name is onnxruntime's profiler's: <prefix>_YYYY-MM-DD_HH-MM-SS.json.
 */

test('command line as the real parser reads it', () => {
  const d = parsePerfTestArgs(['onnxruntime_perf_test', 'model.onnx']);
  assert.ok(d.ok);
  assert.equal(d.config.mode, 'duration', 'duration is the default mode [TC]');
  assert.equal(d.config.durationSeconds, 600);
  assert.equal(d.config.repeatedTimes, 1000);
  assert.equal(d.config.dumpStatistics, true, 'no result file: statistics on [CA]');
  assert.equal(d.config.optimization, 99);

  const t = parsePerfTestArgs(['p', '-r100', '-vI', '-x', '2', '-o', '120', '-f', 'batch:4', '-F', 'DATA_BATCH:8', '-S', '7', '-p', 'out/prof', 'm.onnx', 'res.txt', '-A']);
  assert.ok(t.ok);
  assert.equal(t.config.mode, 'times');
  assert.equal(t.config.repeatedTimes, 100, 'attached value');
  assert.equal(t.config.verbose, true);
  assert.equal(t.config.generateInputs, true, 'grouped flags');
  assert.equal(t.config.optimization, 99, 'above 99 is relaxed to 99');
  assert.deepEqual(t.config.freeDimByName, { batch: 4 });
  assert.deepEqual(t.config.freeDimByDenotation, { DATA_BATCH: 8 });
  assert.equal(t.config.seed, 7);
  assert.equal(t.config.profilePrefix, 'out/prof');
  assert.equal(t.config.resultFile, 'res.txt');
  assert.equal(t.config.dumpStatistics, false, 'a result file without -s: no statistics');
  assert.equal(t.config.cpuArena, false, 'options after the model are read (GNU/bionic getopt permutes)');

  const last = parsePerfTestArgs(['p', '-r', '5', '-t', '3', 'm.onnx']);
  assert.ok(last.ok && last.config.mode === 'duration' && last.config.durationSeconds === 3, 'the last of -r/-t sets the mode');
  const zeroT = parsePerfTestArgs(['p', '-t', '0', 'm.onnx']);
  assert.ok(zeroT.ok, '-t 0 passes: the real check looks at repeated_times');

  for (const bad of [['-m', 'fast'], ['-r', '0'], ['-r', 'x'], ['-o', '3'], ['-o', '-1'], ['-f', 'batch'], ['-f', 'batch:'], ['-f', 'batch:0'], ['-x', '-1'], ['-c', '0'], ['-e', 'tpu'], ['-h'], ['-Q']]) {
    const r = parsePerfTestArgs(['p', ...bad, 'm.onnx']);
    assert.equal(r.ok, false, bad.join(' '));
  }
  assert.equal(parsePerfTestArgs(['p']).ok, false, 'no model');
  assert.equal(parsePerfTestArgs(['p', 'a', 'b', 'c']).ok, false, 'three positionals');
  const miss = parsePerfTestArgs(['onnxruntime_perf_test', 'm.onnx', '-r']);
  assert.ok(!miss.ok && /^onnxruntime_perf_test: option requires an argument -- r$/.test(miss.error ?? ''), 'bionic getopt wording');
  const help = parsePerfTestArgs(['p', '-h', 'm.onnx']);
  assert.ok(!help.ok && help.help);
});

test('the command line our profiler sends: no warm-up option, free dims by name from the user\'s shapes', () => {
  const argv = perfTestArgv({ model: '/data/local/tmp/m.onnx', runs: 20, optimization: 0, threads: 2, profilePrefix: '/data/local/tmp/p', dims: { batch: 1, seq: 128, 'a:b': 2 } });
  assert.deepEqual(argv, ['onnxruntime_perf_test', '-m', 'times', '-r', '20', '-e', 'cpu', '-I', '-o', '0', '-p', '/data/local/tmp/p', '-x', '2', '-f', 'batch:1', '-f', 'seq:128', '/data/local/tmp/m.onnx']);
  const back = parsePerfTestArgs(argv);
  assert.ok(back.ok);
  assert.deepEqual(back.config.freeDimByName, { batch: 1, seq: 128 }, 'what we send is what the real parser reads');
  assert.equal(back.config.repeatedTimes, 20);
});

test('numbers as C++ streams print a double (6 significant digits)', () => {
  assert.equal(formatCppDouble(0.0183481), '0.0183481');
  assert.equal(formatCppDouble(9.407452), '9.40745');
  assert.equal(formatCppDouble(1062.5703), '1062.57');
  assert.equal(formatCppDouble(0.00136), '0.00136');
  assert.equal(formatCppDouble(2950340), '2.95034e+06');
  assert.equal(formatCppDouble(0.0000123456), '1.23456e-05');
  assert.equal(formatCppDouble(44.6395), '44.6395');
  assert.equal(formatCppDouble(2), '2');
  assert.equal(formatCppDouble(100000), '100000');
  assert.equal(formatCppDouble(999999.7), '1e+06');
});

test('the result block: the real lines in the real order; percentiles at sorted[floor(n*p)]', () => {
  const costs = Array.from({ length: 10 }, (_, i) => 0.01 + i * 0.001); // 10..19 ms
  const text = formatPerfTestResult({ sessionCreationSeconds: 0.708476, firstInferenceMs: 60.9, timeCosts: costs, runSeconds: 0.2, cpuUsagePercent: 48.7, peakWorkingSetBytes: 53567488 }, { dumpStatistics: true });
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(0, 12), [
    'Session creation time cost: 0.708476 s',
    'First inference time cost: 60 ms',
    'Total inference time cost: 0.145 s',
    'Total inference requests: 10',
    'Average inference time cost: 14.5 ms',
    'Total inference run time: 0.2 s',
    'Number of inferences per second: 50 ',
    'Avg CPU usage: 48 %',
    'Peak working set size: 53567488 bytes',
    'Avg CPU usage:48',
    'Peak working set size:53567488',
    'Runs:10',
  ]);
  assert.deepEqual(lines.slice(12, 19), ['Min Latency: 0.01 s', 'Max Latency: 0.019 s', 'P50 Latency: 0.015 s', 'P90 Latency: 0.019 s', 'P95 Latency: 0.019 s', 'P99 Latency: 0.019 s', 'P999 Latency: 0.019 s']);
  const withFile = formatPerfTestResult({ sessionCreationSeconds: 1, firstInferenceMs: 1, timeCosts: costs, runSeconds: 1, cpuUsagePercent: 1, peakWorkingSetBytes: 1 }, { dumpStatistics: false, resultFile: true });
  assert.doesNotMatch(withFile, /Runs:|Latency/);
});

/** [U1]-shaped sample, our numbers. */
const SAMPLE = [
  'using SpaceMITExecutionProvider',
  'Setting intra_op_num_threads to 4',
  'Overriding dimension with name, batch, to 1',
  'Session creation time cost: 0.51234 s',
  'First inference time cost: 58 ms',
  'Total inference time cost: 0.421 s',
  'Total inference requests: 10',
  'Average inference time cost: 42.1 ms',
  'Total inference run time: 0.4215 s',
  'Number of inferences per second: 23.7248 ',
  'Avg CPU usage: 47 %',
  'Peak working set size: 51234816 bytes',
  'Avg CPU usage:47',
  'Peak working set size:51234816',
  'Runs:10',
  'Min Latency: 0.0409 s',
  'Max Latency: 0.0455 s',
  'P50 Latency: 0.0419 s',
  'P90 Latency: 0.0455 s',
  'P95 Latency: 0.0455 s',
  'P99 Latency: 0.0455 s',
  'P999 Latency: 0.0455 s',
].join('\r\n');

test('real output parses: times in ms, every percentile, threads, overrides, provider line', () => {
  const r = parsePerfTestOutput(SAMPLE);
  assert.equal(r.requests, 10);
  assert.equal(r.averageMs, 42.1);
  assert.equal(r.sessionCreationMs, 512.34);
  assert.equal(r.firstInferenceMs, 58);
  assert.equal(r.totalRunTimeMs, 421.5);
  assert.equal(r.inferencesPerSecond, 23.7248);
  assert.equal(r.cpuUsagePercent, 47);
  assert.equal(r.peakWorkingSetBytes, 51234816);
  assert.deepEqual(r.latencyMs, { min: 40.9, max: 45.5, p50: 41.9, p90: 45.5, p95: 45.5, p99: 45.5, p999: 45.5 });
  assert.equal(r.intraOpThreads, 4);
  assert.deepEqual(r.dimOverrides, { batch: 1 });
  assert.equal(r.provider, 'SpaceMITExecutionProvider');
  // [U2]-shaped numbers: small seconds with 7 significant digits as printed.
  const u2 = parsePerfTestOutput('Total inference requests: 10000\nAverage inference time cost: 0.940745 ms\nMin Latency: 0.0007726 s\nMax Latency: 0.0018647 s\nP50 Latency: 0.0009458 s\nP90 Latency: 0.0010243 s\nP95 Latency: 0.0010686 s\nP99 Latency: 0.0012057 s\nP999 Latency: 0.00136 s\n');
  assert.equal(u2.latencyMs?.min, 0.7726);
  assert.ok(Math.abs((u2.latencyMs?.p999 ?? 0) - 1.36) < 1e-12);
  assert.throws(() => parsePerfTestOutput('Run failed:failed to initialize.\n'), (e: unknown) => e instanceof PerfTestOutputError && /did not run: Run failed:failed to initialize/.test(e.message));
  assert.throws(() => parsePerfTestOutput('hello'), /not onnxruntime_perf_test output/);
});

test('profile file names as onnxruntime names them', () => {
  assert.equal(ortProfileFileName('/data/local/tmp/prof', new Date(2026, 0, 2, 3, 4, 5)), '/data/local/tmp/prof_2026-01-02_03-04-05.json');
});

test("the virtual phone's onnxruntime_perf_test on a bad command line: bionic getopt's warning, the real ShowUsage, exit 255", async () => {
  await withPhone(async (_device, sh) => {
    const bad = await sh('onnxruntime_perf_test -Q m.onnx');
    assert.equal(bad.code, 255, 'main.cc returns -1');
    assert.equal(bad.stderr, 'onnxruntime_perf_test: unknown option -- Q\n', "bionic's getopt (OpenBSD getopt_long.c): \"unknown option -- %c\"");
    assert.equal(bad.stdout, PERF_TEST_USAGE);
    const help = await sh('onnxruntime_perf_test -h');
    assert.deepEqual([help.code, help.stderr, help.stdout], [255, '', PERF_TEST_USAGE], '-h is a parse failure: usage, -1');
    const noModel = await sh('onnxruntime_perf_test -r 10');
    assert.deepEqual([noModel.code, noModel.stdout], [255, PERF_TEST_USAGE]);
  });
  // ShowUsage as command_args_parser.cc @ 8f11700 prints it (printf to stdout): a few of its lines, as printed.
  const u = PERF_TEST_USAGE.split('\n');
  assert.equal(u[0], 'perf_test [options...] model_path [result_file]');
  assert.ok(u.includes("\t-e [cpu|cuda|dnnl|tensorrt|openvino|dml|acl|nnapi|coreml|snpe|rocm|migraphx|xnnpack|vitisai]: Specifies the provider 'cpu','cuda','dnnl','tensorrt', 'openvino', 'dml', 'acl', 'nnapi', 'coreml', 'snpe', 'rocm', 'migraphx', 'xnnpack' or 'vitisai'. Default:'cpu'."));
  assert.ok(u.includes('\t-I: Generate tensor input binding (Free dimensions are treated as 1.)'));
  assert.ok(u.includes("\t    [DML only] [performance_preference]: DML device performance prefernce, options: 'default', 'minimum_power', 'high_performance', "), 'the real spelling');
  assert.ok(u.includes('\t    [QNN only] [qnn_context_cache_path]: File path to the qnn context cache. Default to model_file.onnx.bin if not set.'));
  assert.ok(u.includes('\t\t The number of affinities must be equal to intra_op_num_threads - 1'));
  assert.deepEqual(u.slice(-4), ['\t-D [Disable thread spinning]: disable spinning entirely for thread owned by onnxruntime intra-op thread pool.', '\t-Z [Force thread to stop spinning between runs]: disallow thread from spinning during runs to reduce cpu usage.', '\t-h: help', '']);
});
