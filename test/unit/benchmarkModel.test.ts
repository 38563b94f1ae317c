import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchmarkToProfile, parseBenchmarkModel, parseRunStat, stripLogPrefix, BenchmarkModelOutputError } from '../../extension/core/runtimes/benchmarkModel';
import { parseTfliteBenchmark, TfliteOutputError } from '../../extension/core/profile/tflite';

/*
 * Test data written by us in benchmark_model's real formats. Where each format fact comes from:
 *
 * [SC]  tensorflow/core/util/stats_calculator.cc (TF 2.x) and third_party/xla/xla/tsl/util/stats_calculator.cc
 *       (current): InitField writes "\t" + right-aligned setw(width) + fixed 3 decimals. Old header:
 *       [node type](24) [start](17) [first](9) [avg ms](9) [%](8) [cdf%](8) [mem KB](10) [times called](9) [Name];
 *       current: no [start], node type width 40. Rows: % and cdf% fields are width 7 plus "%". CSV: no padding,
 *       "node type, [start, ]first, avg_ms, %, cdf%, mem KB, times called, name", numbers in default (%g) form,
 *       commas in names turned into tabs (current). avg ms is per call; times called is calls per run.
 * [ST]  the same header file, Stat::OutputToStream: "count=N first= curr= min= max= avg= std=", all-same runs
 *       print "count=N curr=X" + "(all same)" glued on when N > 1; StatWithPercentiles appends " p5= median= p95=".
 * [PS]  tflite/profiling/profile_summarizer.cc: op names "[out1, out2]:node_index"; ops a delegate profiles
 *       itself are "Delegate/<op>:<i>" with <op> as node type; other events "<tag>/<subgraph>".
 * [PF]  tflite/profiling/profile_summary_formatter.cc: "Primary graph profile:" / "Subgraph (index: N) profile:"
 *       (TF 2.x), "Primary graph (name: X) profile:" / "Subgraph (index: N, name: X) profile:" (LiteRT),
 *       "Subgraph (index: N) " before that subgraph's Timings line, "Delegate internal: ", section titles
 *       "Profiling Info for Benchmark Initialization:" and "Operator-wise Profiling Info for Regular Benchmark Runs:".
 * [BM]  tflite/tools/benchmark/benchmark_model.cc: "Running benchmark for at least N iterations and at least S
 *       seconds but terminate if exceeding M seconds.", the stat line after each (warm-up first, then regular),
 *       "Inference timings in us: Init: …, First inference: …, Warmup (avg): …, Inference (avg): …",
 *       "Memory footprint delta from the start of the tool (MB): init=… overall=…",
 *       "Overall peak memory footprint (MB) via periodic monitoring: …".
 * [SG]  tflite/core/subgraph.cc: "Replacing %d out of %d node(s) with delegate (%s) node, yielding %zu partitions
 *       for subgraph %d (%s)."
 * [P1]  posted output, TF 2.8 benchmark_model on qemuriscv64 (meta-tensorflow-lite's benchmark README): no log
 *       prefix, [start] column, "count=1 curr=3512391" warm-up, "avg=2.95034e+06" (C++ %g), tables tab-separated.
 * [P2]  posted outputs of current builds (e.g. a Synaptics SyNAP NNAPI guide, an XNNPACK mobilenet_v2 run): "INFO: "
 *       prefix on every log line, "Created TensorFlow Lite XNNPACK delegate for CPU.", p5/median/p95 on count= lines;
 *       the NNAPI guide shows the older "… yielding 1 partitions for the whole graph." ending.
 * [P3]  posted Android logcat captures: "I tflite  : count=…" and "07-08 15:33:56.256 I/tflite  ( 5395): …".
 * [P4]  posted TF 2.4 output (yolov5 on a Xiaomi Mi11): "Peak memory footprint (MB): init=4.92969 overall=138.809".
 * [T1]  TF 1.x tflite/tools/benchmark (posted outputs, e.g. a 1.12-era README run of mobilenet_v1_1.0_224_quant and
 *       the Android benchmark app's logcat line): "Running benchmark for 50 iterations", "Average inference timings
 *       in us: Warmup: W, Init: I, no stats: X" / "…, Inference: X"; op tables printed with no section title.
 * [IS]  the XNNPACK delegate row quoted in issue 14 from a real run:
 *       "Convolution (NHWC, QC8) DWConv   0.428   0.051   4.317%   8.304%   0.000   13   Delegate/Convolution (NHWC, QC8) DWConv:1".
 */

/** One op-table field as InitField writes it [SC]. */
const f = (v: string | number, w: number) => `\t${(typeof v === 'number' ? v.toFixed(3) : v).padStart(w)}`;
function oldRow(type: string, start: number, first: number, avg: number, pct: number, cdf: number, times: number, name: string): string {
  return `${f(type, 24)}${f(start, 17)}${f(first, 9)}${f(avg, 9)}${f(pct, 7)}%${f(cdf, 7)}%${f(0, 10)}${f(String(times), 9)}\t${name}`;
}
function newRow(type: string, first: number, avg: number, pct: number, cdf: number, times: number, name: string): string {
  return `${f(type, 40)}${f(first, 9)}${f(avg, 9)}${f(pct, 7)}%${f(cdf, 7)}%${f(0, 10)}${f(String(times), 9)}\t${name}`;
}
const OLD_HEADER = `${f('[node type]', 24)}${f('[start]', 17)}${f('[first]', 9)}${f('[avg ms]', 9)}${f('[%]', 8)}${f('[cdf%]', 8)}${f('[mem KB]', 10)}${f('[times called]', 9)}\t[Name]`;
const NEW_HEADER = `${f('[node type]', 40)}${f('[first]', 9)}${f('[avg ms]', 9)}${f('[%]', 8)}${f('[cdf%]', 8)}${f('[mem KB]', 10)}${f('[times called]', 9)}\t[Name]`;
const RULE = (t: string) => `============================== ${t} ==============================`;

/** TF 2.x layout [P1]: no prefix, [start] column, init section, four ops, e-notation avg. */
const TF2_OUTPUT = [
  'STARTING!',
  'Log parameter values verbosely: [0]',
  'Num threads: [2]',
  'Graph: [/data/local/tmp/tiny_cnn.tflite]',
  'Enable op profiling: [1]',
  '#threads used for CPU inference: [2]',
  'Loaded model /data/local/tmp/tiny_cnn.tflite',
  'The input model file size (MB): 0.4213',
  'Initialized session in 3.5ms.',
  'Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.',
  'count=1 curr=1250400',
  '',
  'Running benchmark for at least 20 iterations and at least 1 seconds but terminate if exceeding 150 seconds.',
  'count=20 first=1210000 curr=1190000 min=1180000 max=1260000 avg=1.2e+06 std=21000',
  '',
  'Inference timings in us: Init: 3500, First inference: 1250400, Warmup (avg): 1.2504e+06, Inference (avg): 1.2e+06',
  'Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.',
  'Memory footprint delta from the start of the tool (MB): init=2.5 overall=12.75',
  'Profiling Info for Benchmark Initialization:',
  RULE('Run Order'),
  OLD_HEADER,
  oldRow('AllocateTensors', 0, 0.9, 0.9, 100, 100, 1, 'AllocateTensors/0'),
  '',
  'Timings (microseconds): count=1 curr=900',
  'Memory (bytes): count=0',
  '1 nodes observed',
  '',
  '',
  '',
  'Operator-wise Profiling Info for Regular Benchmark Runs:',
  RULE('Run Order'),
  OLD_HEADER,
  oldRow('CONV_2D', 0.02, 610.0, 600.0, 50.0, 50.0, 1, '[conv1/Relu6]:0'),
  oldRow('DEPTHWISE_CONV_2D', 600.03, 305.0, 300.0, 25.0, 75.0, 1, '[dw1/Relu6]:1'),
  oldRow('CONV_2D', 900.04, 250.0, 240.0, 20.0, 95.0, 1, '[pw1/Relu6]:2'),
  oldRow('SOFTMAX', 1140.05, 0.3, 0.25, 0.021, 95.021, 1, '[probs, probs_aux]:3'),
  '',
  RULE('Top by Computation Time'),
  OLD_HEADER,
  oldRow('CONV_2D', 0.02, 610.0, 600.0, 50.0, 50.0, 1, '[conv1/Relu6]:0'),
  '',
  'Number of nodes executed: 4',
  RULE('Summary by node type'),
  '\t             [Node type]\t  [count]\t  [avg ms]\t    [avg %]\t    [cdf %]\t  [mem KB]\t[times called]',
  '\t                 CONV_2D\t        2\t   840.000\t    70.000%\t    70.000%\t     0.000\t        2',
  '',
  'Timings (microseconds): count=20 first=1150000 curr=1140000 min=1130000 max=1190000 avg=1.14025e+06 std=15000',
  'Memory (bytes): count=0',
  '4 nodes observed',
  '',
].join('\n');

test('TF 2.x layout: [start] column, warm-up and regular statistics, init section kept apart', () => {
  const r = parseBenchmarkModel(TF2_OUTPUT);
  assert.equal(r.layout, 'with-start');
  assert.equal(r.graph, '/data/local/tmp/tiny_cnn.tflite');
  assert.equal(r.warmup?.count, 1);
  assert.equal(r.warmup?.curr, 1250400);
  assert.equal(r.regular?.count, 20);
  assert.equal(r.regular?.avg, 1.2e6);
  assert.deepEqual(r.timings, { initUs: 3500, firstUs: 1250400, warmupAvgUs: 1250400, inferenceAvgUs: 1.2e6 });
  assert.deepEqual(r.memory, { initDeltaMb: 2.5, overallDeltaMb: 12.75 });
  assert.equal(r.rows.filter((x) => x.section === 'init').length, 1);
  const run = r.rows.filter((x) => x.section === 'run');
  assert.equal(run.length, 4, 'only the Run Order table: Top by Computation Time does not add rows');
  assert.deepEqual(run[3].outputs, ['probs', 'probs_aux']);
  assert.equal(run[3].nodeIndex, 3);
  assert.equal(run[1].startMs, 600.03);

  const p = parseTfliteBenchmark(TF2_OUTPUT);
  assert.equal(p.latencyMs.mean, 1200, 'latency from the regular run statistics (us → ms), not from op times');
  assert.equal(p.latencyMs.min, 1180);
  assert.equal(p.latencyMs.max, 1260);
  assert.ok(Number.isNaN(p.latencyMs.p90), 'benchmark_model does not print p90');
  assert.equal(p.runs, 20);
  assert.equal(p.warmup, 1);
  assert.equal(p.threads, 2);
  assert.equal(p.nodes.length, 4);
  assert.equal(p.nodes[0].name, '[conv1/Relu6]:0');
  assert.equal(p.nodes[0].meanUs, 600_000);
  assert.equal(p.nodes[0].provider, 'CPU');
  const opSum = 600 + 300 + 240 + 0.25;
  assert.ok(Math.abs(p.kernelCoverage - opSum / 1200) < 1e-9, `coverage ${p.kernelCoverage}: op time over the run latency`);
  assert.equal(p.opTypes[0].opType, 'CONV_2D');
  assert.equal(p.opTypes[0].nodes, 2);
  assert.equal(p.timeline.events[1].startUs, 600_030, "the profiler's own start times place the timeline");
  assert.deepEqual(p.phases, { initMs: 3.5, firstInferenceMs: 1250.4, warmupMeanMs: 1250.4 });
  assert.equal(p.peakRssBytes, undefined, 'a footprint delta is not a peak');
  assert.equal(p.memory?.overallDeltaMb, 12.75);
  assert.equal(p.delegation, undefined, 'no delegate, nothing to say about partitions');
});

/** Current LiteRT with XNNPACK [P2][SG][IS]: INFO: prefix, no [start], kernel rows plus delegate-profiled ops. */
const XNN_OUTPUT = [
  'INFO: STARTING!',
  'INFO: Graph: [/data/local/tmp/face_detector.tflite]',
  'INFO: Enable op profiling: [1]',
  'INFO: #threads used for CPU inference: [4]',
  'INFO: Loaded model /data/local/tmp/face_detector.tflite',
  'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.',
  'INFO: Replacing 60 out of 64 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 3 partitions for subgraph 0 (main).',
  'INFO: The input model file size (MB): 0.224',
  'INFO: Initialized session in 20.2ms.',
  'INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.',
  'INFO: count=180 first=4100 curr=2700 min=2600 max=4100 avg=2750.5 std=120 p5=2620 median=2710 p95=2980',
  '',
  'INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.',
  'INFO: count=370 first=2700 curr=2650 min=2580 max=3900 avg=2690.25 std=90 p5=2600 median=2660 p95=2850',
  '',
  'INFO: Inference timings in us: Init: 20200, First inference: 4100, Warmup (avg): 2750.5, Inference (avg): 2690.25',
  'INFO: Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.',
  'INFO: Memory footprint delta from the start of the tool (MB): init=6.25 overall=9.5',
  'INFO: Overall peak memory footprint (MB) via periodic monitoring: 17.25',
  'INFO: Operator-wise Profiling Info for Regular Benchmark Runs:',
  RULE('Run Order'),
  NEW_HEADER,
  newRow('TfLiteXNNPackDelegate', 1.9, 1.8, 60.0, 60.0, 1, '[conv_last/BiasAdd]:64'),
  newRow('Convolution (NHWC, QC8) DWConv', 0.428, 0.051, 4.317, 64.317, 13, 'Delegate/Convolution (NHWC, QC8) DWConv:1'),
  newRow('Convolution (NHWC, QC8) GEMM', 0.9, 0.8, 26.7, 91.0, 1, 'Delegate/Convolution (NHWC, QC8) GEMM:0'),
  newRow('RESHAPE', 0.02, 0.015, 0.5, 91.5, 1, '[reshape_1]:60'),
  newRow('TfLiteXNNPackDelegate', 0.3, 0.25, 8.3, 99.8, 1, '[regressors]:65'),
  newRow('CUSTOM', 0.01, 0.005, 0.2, 100.0, 1, '[detections]:63'),
  '',
  'Timings (microseconds): count=370 first=3010 curr=2990 min=2900 max=3200 avg=3000 std=30',
  'Memory (bytes): count=0',
  '6 nodes observed',
  '',
].join('\n');

test('XNNPACK on current LiteRT: INFO: prefix, delegate-profiled ops with spaces in their type, 13 calls per run', () => {
  const r = parseBenchmarkModel(XNN_OUTPUT);
  assert.equal(r.layout, 'current');
  const dw = r.rows.find((x) => x.type === 'Convolution (NHWC, QC8) DWConv');
  assert.ok(dw, 'a node type with spaces and a comma is read whole');
  assert.equal(dw.name, 'Delegate/Convolution (NHWC, QC8) DWConv:1');
  assert.equal(dw.delegatedOp, true);
  assert.equal(dw.avgMs, 0.051);
  assert.equal(dw.timesCalled, 13);
  assert.deepEqual(r.delegates, [{ delegate: 'TfLiteXNNPackDelegate', label: 'XNNPACK', replaced: 60, total: 64, partitions: 3, subgraph: 0 }]);

  const p = parseTfliteBenchmark(XNN_OUTPUT);
  assert.equal(p.latencyMs.mean, 2.69025);
  assert.equal(p.latencyMs.p50, 2.66, 'median=');
  assert.equal(p.latencyMs.p5, 2.6);
  assert.equal(p.latencyMs.p95, 2.85);
  assert.equal(p.runs, 370, 'the real run count is in count=, not --num_runs');
  assert.equal(p.peakRssBytes, Math.round(17.25 * 1024 * 1024));
  const dwNode = p.nodes.find((n) => n.opType === 'Convolution (NHWC, QC8) DWConv');
  assert.ok(dwNode);
  assert.ok(Math.abs(dwNode.meanUs - 0.051 * 13 * 1000) < 1e-9, 'time per run = avg ms × times called');
  assert.equal(dwNode.callsPerRun, 13);
  assert.equal(dwNode.partition, 'XNNPACK');
  assert.equal(dwNode.provider, 'XNNPACK');
  assert.ok(!p.nodes.some((n) => n.opType === 'TfLiteXNNPackDelegate'), 'the ops the delegate profiled stand in for its kernel rows');
  const reshape = p.nodes.find((n) => n.opType === 'RESHAPE');
  assert.equal(reshape?.provider, 'CPU');
  assert.ok(p.delegation);
  assert.deepEqual(p.delegation.cpu.map((c) => c.opType).sort(), ['CUSTOM', 'RESHAPE']);
  assert.match(p.delegation.summary, /XNNPACK took 60 of 64 nodes in 3 partitions/);
  assert.match(p.delegation.summary, /2 op\(s\) ran on the CPU/);
  // Coverage counts interpreter-level rows (delegate kernels, not their inner ops twice).
  const top = 1.8 + 0.015 + 0.25 + 0.005;
  assert.ok(Math.abs(p.kernelCoverage - top / 2.69025) < 1e-9, `coverage ${p.kernelCoverage}`);
});

test('GPU/NNAPI delegates without inner op profiles: the kernel rows are the partitions; TF 2.4 memory and "whole graph" wording', () => {
  const text = [
    'Replacing 31 out of 33 node(s) with delegate (TfLiteNnapiDelegate) node, yielding 2 partitions for the whole graph.', // [P2]
    'Explicitly applied NNAPI delegate, and the model graph will be partially executed by the delegate w/ 2 delegate kernels.',
    'count=3 first=9000 curr=8000 min=8000 max=9000 avg=8333.33 std=471', // [BM][ST]
    'count=50 first=5100 curr=5000 min=4900 max=5300 avg=5050 std=80',
    'Inference timings in us: Init: 400000, First inference: 9000, Warmup (avg): 8333.33, Inference (avg): 5050',
    'Peak memory footprint (MB): init=4.92969 overall=38.5', // [P4]
    'Operator-wise Profiling Info for Regular Benchmark Runs:',
    RULE('Run Order'),
    OLD_HEADER,
    oldRow('TfLiteNnapiDelegate', 0.01, 3.0, 3.2, 80.0, 80.0, 1, '[logits]:33'),
    oldRow('ARG_MAX', 3.3, 0.5, 0.4, 10.0, 90.0, 1, '[class]:31'),
    oldRow('TfLiteNnapiDelegate', 3.8, 0.4, 0.4, 10.0, 100.0, 1, '[boxes]:34'),
    '',
  ].join('\n');
  const p = parseTfliteBenchmark(text);
  assert.equal(p.latencyMs.mean, 5.05);
  assert.equal(p.nodes.filter((n) => n.partition === 'NNAPI').length, 2);
  assert.equal(p.nodes.find((n) => n.opType === 'ARG_MAX')?.provider, 'CPU');
  assert.equal(p.delegation?.applied[0].subgraph, undefined);
  assert.match(p.delegation?.summary ?? '', /NNAPI took 31 of 33 nodes in 2 partitions; 1 op\(s\) ran on the CPU \(TFLite kernels\): ARG_MAX ×1/);
  assert.equal(p.peakRssBytes, Math.round(38.5 * 1024 * 1024), 'TF 2.4 called its overall figure the peak');
});

test('a delegate\'s own profile ("Delegate internal:", DelegateOpInvoke rows) breaks its kernel down', () => {
  const text = [
    'INFO: Replacing 3 out of 3 node(s) with delegate (TfLiteGpuDelegateV2) node, yielding 1 partitions for subgraph 0 (main).', // [SG]
    'INFO: count=5 first=3000 curr=2000 min=2000 max=3000 avg=2200 std=400',
    'INFO: count=60 first=2100 curr=2000 min=1900 max=2300 avg=2050 std=70',
    'INFO: Operator-wise Profiling Info for Regular Benchmark Runs:',
    RULE('Run Order'),
    NEW_HEADER,
    newRow('TfLiteGpuDelegateV2', 2.0, 1.9, 100.0, 100.0, 1, '[out]:3'),
    '',
    'Timings (microseconds): count=60 first=2000 curr=1900 min=1850 max=2200 avg=1900 std=50',
    'Memory (bytes): count=0',
    '1 nodes observed',
    '',
    'Delegate internal: ', // [PF][PS]
    RULE('Run Order'),
    NEW_HEADER,
    newRow('DelegateOpInvoke', 1.2, 1.1, 64.7, 64.7, 1, 'Delegate/conv_2d:0'),
    newRow('DelegateOpInvoke', 0.7, 0.6, 35.3, 100.0, 1, 'Delegate/add:1'),
    '',
    'Timings (microseconds): count=60 first=1800 curr=1700 min=1650 max=1900 avg=1700 std=40',
  ].join('\n');
  const r = parseBenchmarkModel(text);
  assert.equal(r.rows.filter((x) => x.delegateInternal).length, 2);
  assert.equal(r.opTotals.find((o) => o.delegateInternal)?.stat.avg, 1700, 'the delegate\'s own total is kept apart');
  const p = benchmarkToProfile(r);
  assert.deepEqual(p.nodes.map((n) => [n.opType, n.partition]).sort(), [['add', 'GPU'], ['conv_2d', 'GPU']]);
  assert.ok(Math.abs(p.kernelCoverage - 1.9 / 2.05) < 1e-9, 'coverage from the interpreter-level kernel, not its inner ops again');
  assert.match(p.delegation?.summary ?? '', /GPU took 3 of 3 nodes in 1 partition; no op fell back to the CPU/);
});

test('subgraphs: "Primary graph profile:" / "Subgraph (index: N) profile:" and the named LiteRT form; (all same) statistics', () => {
  const body = (primary: string, sub: string) => [
    'count=1 curr=700',
    'count=30 curr=650(all same)', // [ST] "(all same)" glued on, no avg=
    'Operator-wise Profiling Info for Regular Benchmark Runs:',
    primary,
    RULE('Run Order'),
    NEW_HEADER,
    newRow('WHILE', 0.6, 0.55, 90.0, 90.0, 1, '[loop_out]:0'),
    newRow('FULLY_CONNECTED', 0.05, 0.05, 10.0, 100.0, 1, '[fc]:1'),
    '',
    'Timings (microseconds): count=30 curr=600(all same)',
    'Memory (bytes): count=0',
    '2 nodes observed',
    '',
    sub,
    RULE('Run Order'),
    NEW_HEADER,
    newRow('ADD', 0.01, 0.01, 100.0, 100.0, 5, '[acc]:0'),
    '',
    'Subgraph (index: 1) Timings (microseconds): count=30 curr=50(all same)',
    'Memory (bytes): count=0',
    '1 nodes observed',
    '',
  ].join('\n');
  for (const [primary, sub] of [['Primary graph profile:', 'Subgraph (index: 1) profile:'], ['Primary graph (name: serving_default) profile:', 'Subgraph (index: 1, name: while_body) profile:']]) {
    const r = parseBenchmarkModel(body(primary, sub));
    assert.deepEqual(r.rows.map((x) => [x.subgraph, x.type]), [[0, 'WHILE'], [0, 'FULLY_CONNECTED'], [1, 'ADD']], primary);
    assert.equal(r.regular?.allSame, true);
    assert.equal(r.regular?.avg, 650);
    assert.equal(r.opTotals.find((o) => o.subgraph === 1)?.stat.curr, 50);
    const p = benchmarkToProfile(r);
    assert.equal(p.latencyMs.mean, 0.65);
    assert.equal(p.latencyMs.std, 0);
    assert.equal(p.latencyMs.min, 0.65);
    const add = p.nodes.find((n) => n.opType === 'ADD');
    assert.equal(add?.subgraph, 1);
    assert.equal(add?.name, '[acc]:0 (subgraph 1)');
    assert.ok(Math.abs((add?.meanUs ?? 0) - 50) < 1e-9, '5 calls × 0.01 ms');
    assert.ok(p.warnings.some((w) => /all 30 runs took the same time/.test(w)));
    assert.ok(p.timeline.events.every((e) => !/subgraph/.test(e.name)), 'the timeline is the primary graph');
  }
  assert.equal(parseBenchmarkModel(body('Primary graph (name: serving_default) profile:', 'Subgraph (index: 1, name: while_body) profile:')).subgraphNames[1], 'while_body');
});

test('CSV mode (--op_profiling_output_mode=csv), current and [start] layouts, names with commas', () => {
  const current = [
    'Operator-wise Profiling Info for Regular Benchmark Runs:',
    RULE('Run Order'),
    'node type, first, avg_ms, %, cdf%, mem KB, times called, name', // [SC] current CSV header
    'TfLiteXNNPackDelegate, 1.9, 1.8, 60%, 60%, 0, 1, [conv_last/BiasAdd]:64',
    'Convolution (NHWC, QC8) DWConv, 0.428, 0.051, 4.317%, 64.317%, 0, 13, Delegate/Convolution (NHWC\t QC8) DWConv:1',
    'RESHAPE, 0.02, 0.015, 0.5%, 64.817%, 0, 1, [reshape_1]:60',
    '',
    RULE('Top by Computation Time'),
    'node type, first, avg_ms, %, cdf%, mem KB, times called, name',
    'TfLiteXNNPackDelegate, 1.9, 1.8, 60%, 60%, 0, 1, [conv_last/BiasAdd]:64',
    '',
    'Number of nodes executed: 3',
    RULE('Summary by node type'),
    'node type, count, avg_ms, avg %, cdf %, mem KB, times called',
    'TfLiteXNNPackDelegate, 1, 1.8, 60%, 60%, 0, 1',
    '',
    'Timings (microseconds): count=100 first=3100 curr=3000 min=2950 max=3300 avg=3000.5 std=25',
    'Memory (bytes): count=0',
    '3 nodes observed',
  ].join('\n');
  const r = parseBenchmarkModel(current);
  assert.equal(r.format, 'csv');
  assert.equal(r.layout, 'current');
  assert.equal(r.rows.length, 3);
  assert.equal(r.rows[1].type, 'Convolution (NHWC, QC8) DWConv');
  assert.equal(r.rows[1].timesCalled, 13);
  assert.equal(r.rows[1].delegatedOp, true);
  const p = benchmarkToProfile(r);
  assert.equal(p.latencyMs.mean, 3.0005, 'no run statistics in an op profile file: the profiler\'s own total');
  assert.ok(p.warnings.some((w) => /sum of op times the profiler measured/.test(w)));

  const old = [
    'Operator-wise Profiling Info for Regular Benchmark Runs:',
    RULE('Run Order'),
    'node type, start, first, avg_ms, %, cdf%, mem KB, times called, name', // [SC] TF 2.x CSV header
    'CONV_2D, 0.066, 87.754, 60.957, 2.06602%, 2.06602%, 0, 1, [a, b]:0',
    'SOFTMAX, 2950.01, 0.23, 0.233, 0.00789716%, 100%, 0, 1, [probs]:30',
    '',
  ].join('\n');
  const o = parseBenchmarkModel(old, { format: 'csv' });
  assert.equal(o.layout, 'with-start');
  assert.deepEqual(o.rows.map((x) => [x.type, x.startMs, x.avgMs, x.name]), [['CONV_2D', 0.066, 60.957, '[a, b]:0'], ['SOFTMAX', 2950.01, 0.233, '[probs]:30']]);
  assert.deepEqual(o.rows[0].outputs, ['a', 'b']);
});

test('rows pasted with spaces instead of tabs (as quoted in issue 14) still read', () => {
  const text = [
    'Operator-wise Profiling Info for Regular Benchmark Runs:',
    RULE('Run Order'),
    '   [node type]   [first]   [avg ms]   [%]   [cdf%]   [mem KB]   [times called]   [Name]',
    '   Convolution (NHWC, QC8) DWConv   0.428   0.051   4.317%   8.304%   0.000   13   Delegate/Convolution (NHWC, QC8) DWConv:1',
    '   CONV_2D   0.300   0.290   5.000%   13.304%   0.000   1   [conv]:2',
    '',
    'count=10 first=700 curr=690 min=680 max=720 avg=695 std=10',
  ].join('\n');
  const p = parseTfliteBenchmark(text);
  assert.equal(p.nodes.length, 2);
  assert.equal(p.nodes.find((n) => n.opType === 'CONV_2D')?.nodeIndex, 2);
  assert.equal(p.latencyMs.mean, 0.695);
});

test('logcat prefixes are stripped; statistics lines parse in every form', () => {
  assert.equal(stripLogPrefix('I tflite  : count=25 first=187533 curr=140990'), 'count=25 first=187533 curr=140990'); // [P3]
  assert.equal(stripLogPrefix('07-08 15:33:56.256 I/tflite  ( 5395): Running benchmark'), 'Running benchmark'); // [P3]
  assert.equal(stripLogPrefix('INFO: Loaded model x'), 'Loaded model x');
  assert.deepEqual(parseRunStat('count=1 curr=2732148 p5=2732148 median=2732148 p95=2732148'), { count: 1, first: undefined, curr: 2732148, min: 2732148, max: 2732148, avg: 2732148, std: 0, p5: 2732148, median: 2732148, p95: 2732148, allSame: true });
  const e = parseRunStat('count=50 first=2990275 curr=2913402 min=2727568 max=3189954 avg=2.95034e+06 std=109798'); // [P1]
  assert.equal(e?.avg, 2950340);
  assert.equal(e?.allSame, false);
  const logcat = [
    '07-08 15:33:56.256 I/tflite  ( 5395): Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.',
    '07-08 15:33:58.992 I/tflite  ( 5395): count=1 curr=2732148 p5=2732148 median=2732148 p95=2732148',
    '07-08 15:34:26.201 I/tflite  ( 5395): count=10 first=2653894 curr=2709263 min=2640862 max=3025403 avg=2.71985e+06 std=105101 p5=2640862 median=2709263 p95=3025403',
    '07-08 15:34:26.202 I/tflite  ( 5395): Inference timings in us: Init: 458883, First inference: 2732148, Warmup (avg): 2.73215e+06, Inference (avg): 2.71985e+06',
  ].join('\n');
  const p = parseTfliteBenchmark(logcat);
  assert.equal(p.latencyMs.mean, 2719.85);
  assert.equal(p.latencyMs.p50, 2709.263);
  assert.equal(p.runs, 10);
  assert.equal(p.kernelCoverage, 0);
  assert.equal(p.nodes.length, 0);
  assert.ok(p.warnings.some((w) => /without --enable_op_profiling=true/.test(w)));
});

test('TF 1.x: "Average inference timings in us: Warmup:, Init:, no stats:" and untitled op tables', () => {
  const text = [
    'Loaded model /data/local/tmp/quant_net.tflite',
    'resolved reporter',
    'Initialized session in 4.1ms',
    'Running benchmark for 1 iterations',
    'count=1 curr=150000',
    '',
    'Running benchmark for 30 iterations',
    'count=30 first=140000 curr=139000 min=138000 max=145000 avg=139500 std=900',
    '',
    'Average inference timings in us: Warmup: 150000, Init: 4100, no stats: 139500',
    RULE('Run Order'),
    OLD_HEADER,
    oldRow('CONV_2D', 0.01, 100.0, 99.0, 71.0, 71.0, 1, '[conv]:0'),
    oldRow('FULLY_CONNECTED', 99.02, 40.0, 40.0, 29.0, 100.0, 1, '[fc]:1'),
    '',
  ].join('\n');
  const p = parseTfliteBenchmark(text);
  assert.equal(p.latencyMs.mean, 139.5);
  assert.deepEqual(p.nodes.map((n) => n.opType), ['CONV_2D', 'FULLY_CONNECTED']);
  assert.deepEqual(p.phases, { initMs: 4.1, warmupMeanMs: 150 });
  const app = parseTfliteBenchmark('... tflite  : Average inference timings in us: Warmup: 91471, Init: 4108, Inference: 80660.1');
  assert.equal(app.latencyMs.mean, 80.6601, 'the Android benchmark app line alone gives the mean');
});

test('not benchmark_model output: a clear error', () => {
  assert.throws(() => parseBenchmarkModel('hello\nworld\n'), (e: unknown) => e instanceof BenchmarkModelOutputError && /not benchmark_model output/.test(e.message));
  assert.throws(() => parseTfliteBenchmark(''), TfliteOutputError);
});

/*
 * [LR2] LiteRT 2.x `benchmark_model --use_profiler=true` (google-ai-edge/LiteRT @ f674577): the results block of
 * litert/tools/benchmark_litert_model.h (LITERT_LOG lines "INFO: [file:line] …", ms with 2 decimals, "(N runs)"), then
 * the summary of litert/runtime/profiler_summarizer.cc: headers centred in '=' to 150 (Run Order, Top by Computation
 * Time) and 130 (Summary by node type) columns; rows "%60s %10.3f %10.3f %10.3f %9.3f%% %9.3f%% %10.3f %14d   %s";
 * names "[Builtin]:N" and "[Delegate]:N", delegate-profiled ops typed "Delegate/<op>"; `times called` is the count over
 * every run the profiler saw (ResetInputsAndOutputs feeds each run's events to the same summarizer, warm-up included),
 * avg ms is per call. Numbers and op names here are ours.
 */
function lr2Header(title: string, width: number): string {
  const label = ` ${title} `;
  const left = Math.floor((width - label.length) / 2);
  return `${'='.repeat(left)}${label}${'='.repeat(width - label.length - left)}`;
}
function lr2Row(type: string, start: number, first: number, avg: number, pct: number, cdf: number, count: number, name: string): string {
  return `${type.padStart(60)} ${start.toFixed(3).padStart(10)} ${first.toFixed(3).padStart(10)} ${avg.toFixed(3).padStart(10)} ${pct.toFixed(3).padStart(9)}% ${cdf.toFixed(3).padStart(9)}% ${(0).toFixed(3).padStart(10)} ${String(count).padStart(14)}   ${name}`;
}
const LR2_COLUMNS = `${'[node type]'.padStart(60)} ${'[start]'.padStart(10)} ${'[first]'.padStart(10)} ${'[avg ms]'.padStart(10)} ${'[%]'.padStart(10)} ${'[cdf%]'.padStart(10)} ${'[mem KB]'.padStart(10)} ${'[times called]'.padStart(14)}   [Name]`;

test('LiteRT 2.x profile summary [LR2]: times called over all profiled runs become calls per run; delegate ops by name', () => {
  const text = [
    'INFO: [benchmark_litert_model.h:89] ',
    '========== BENCHMARK RESULTS ==========',
    'INFO: [benchmark_litert_model.h:94] Model initialization: 12.50 ms',
    'INFO: [benchmark_litert_model.h:96] Warmup (first):       3.20 ms',
    'INFO: [benchmark_litert_model.h:98] Warmup (avg):         3.20 ms (1 runs)',
    'INFO: [benchmark_litert_model.h:100] Inference (avg):      2.40 ms (4 runs)',
    'INFO: [benchmark_litert_model.h:104] Inference (min):      2.30 ms',
    'INFO: [benchmark_litert_model.h:106] Inference (max):      2.60 ms',
    'INFO: [benchmark_litert_model.h:108] Inference (std):      0.11',
    'INFO: [benchmark_litert_model.h:138] ======================================',
    'INFO: [benchmark_litert_model.h:192] ',
    lr2Header('Run Order', 150),
    LR2_COLUMNS,
    lr2Row('TfLiteXNNPackDelegate', 0, 2.9, 2.1, 0, 0, 5, '[Builtin]:0'),
    lr2Row('Delegate/Convolution (NHWC, F32) IGEMM', 0.01, 2.0, 1.5, 60, 60, 5, '[Delegate]:0'),
    lr2Row('Delegate/Fully Connected (NC, F32) GEMM', 1.6, 0.4, 0.25, 20, 80, 10, '[Delegate]:1'),
    lr2Row('SOFTMAX', 2.2, 0.05, 0.04, 1.6, 81.6, 5, '[Builtin]:1'),
    '',
    lr2Header('Top by Computation Time', 150),
    LR2_COLUMNS,
    lr2Row('TfLiteXNNPackDelegate', 0, 2.9, 2.1, 0, 0, 5, '[Builtin]:0'),
    '',
    'Number of nodes executed: 4',
  ].join('\n');
  const r = parseBenchmarkModel(text);
  assert.equal(r.layout, 'litert2');
  assert.equal(r.callsCountedOverRuns, 5, '1 warm-up + 4 regular runs');
  assert.deepEqual([r.warmup?.count, r.regular?.count], [1, 4]);
  const p = benchmarkToProfile(r);
  assert.equal(p.latencyMs.mean, 2.4);
  const byName = Object.fromEntries(p.nodes.map((n) => [n.name, n]));
  assert.deepEqual(Object.keys(byName).sort(), ['[Builtin]:1', '[Delegate]:0', '[Delegate]:1'], 'the delegate kernel stands for its ops, which are listed instead');
  assert.deepEqual([byName['[Delegate]:0'].opType, byName['[Delegate]:0'].meanUs, byName['[Delegate]:0'].callsPerRun, byName['[Delegate]:0'].partition], ['Convolution (NHWC, F32) IGEMM', 1500, 1, 'XNNPACK']);
  assert.deepEqual([byName['[Delegate]:1'].meanUs, byName['[Delegate]:1'].callsPerRun], [500, 2], '10 calls over 5 runs: twice per run, 0.25 ms each');
  assert.deepEqual([byName['[Builtin]:1'].opType, byName['[Builtin]:1'].provider], ['SOFTMAX', 'CPU']);
  // Without the run counts the totals cannot be divided: said so.
  const alone = benchmarkToProfile(parseBenchmarkModel(text.split('\n').filter((l) => !/\(\d+ runs\)/.test(l)).join('\n')));
  assert.ok(alone.warnings.some((w) => /totals over all of them/.test(w)));
});

test('LiteRT 2.x [LR2]: its by-type table pasted with its results block alone is still read per run (calls over all runs divided)', () => {
  const row = (type: string, count: number, avgMs: number, pct: number, cdf: number, calls: number) =>
    `${type.padStart(60)} ${String(count).padStart(10)} ${avgMs.toFixed(3).padStart(10)} ${pct.toFixed(3).padStart(9)}% ${cdf.toFixed(3).padStart(9)}% ${(0).toFixed(3).padStart(10)} ${String(calls).padStart(14)}`;
  const text = [
    'INFO: [benchmark_litert_model.h:98] Warmup (avg):         3.20 ms (1 runs)',
    'INFO: [benchmark_litert_model.h:100] Inference (avg):      2.40 ms (4 runs)',
    lr2Header('Summary by node type', 130),
    `${'[Node type]'.padStart(60)} ${'[count]'.padStart(10)} ${'[avg ms]'.padStart(10)} ${'[avg %]'.padStart(10)} ${'[cdf %]'.padStart(10)} ${'[mem KB]'.padStart(10)} ${'[times called]'.padStart(14)}`,
    row('CONV_2D', 2, 0.5, 80, 80, 20),
    row('SOFTMAX', 1, 0.1, 20, 100, 5),
  ].join('\n');
  const r = parseBenchmarkModel(text);
  assert.equal(r.layout, 'litert2', 'the results block says which tool wrote it');
  const conv = r.typeSummary.find((t) => t.type === 'CONV_2D');
  assert.deepEqual([conv?.timesCalled, conv?.avgMs], [4, 2], '20 calls over 5 runs of 0.5 ms: 4 calls, 2 ms per run');
});
