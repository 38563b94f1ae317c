import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchmarkToProfile, parseBenchmarkModel } from '../../extension/core/runtimes/benchmarkModel';
import { parsePerfTestOutput } from '../../extension/core/runtimes/perfTest';
import { detectFormat, importProfileText } from '../../extension/core/profile/import';

/*
 * Output that users of the real tools posted, line for line as posted (only the lines shown here; where a post was
 * cut, the sample stops at a whole line). Each sample names where it was posted. What the tests check is what a user
 * of `mobileai profile import` sees: the latency, the run counts, per-node and per-op-type times, memory, and which
 * delegate ran what.
 */

const lines = (...l: string[]) => l.join('\n');

// ---------------------------------------------------------------- onnxruntime_perf_test, three generations

/** Newest builds (-r 5 -m times -s -Z -x 1, a VIVO X300 C1-Pro core, ORT built with KleidiAI/SME2): "Average inference
 * time cost total: … ms". ArmDeveloperEcosystem/arm-learning-paths, content/learning-paths/mobile-graphics-and-gaming/
 * performance_onnxruntime_kleidiai_sme2/profiling_example.md @ 234564b. */
const ORT_SME2 = lines(
  'Setting intra_op_num_threads to 1',
  'Disabling intra-op thread spinning between runs',
  'Session creation time cost: 0.217932 s',
  'First inference time cost: 196 ms',
  'Total inference time cost: 0.49481 s',
  'Total inference requests: 5',
  'Average inference time cost total: 98.961997 ms',
  'Total inference run time: 0.494854 s',
  'Number of inferences per second: 10.104',
  'Avg CPU usage: 11 %',
  'Peak working set size: 271122432 bytes',
  'Avg CPU usage:11',
  'Peak working set size:271122432',
  'Runs:5',
  'Min Latency: 0.0958204 s',
  'Max Latency: 0.101519 s',
  'P50 Latency: 0.0995086 s',
  'P90 Latency: 0.101519 s',
  'P95 Latency: 0.101519 s',
  'P99 Latency: 0.101519 s',
  'P999 Latency: 0.101519 s',
);

/** onnxruntime 0.x layout, quoted in microsoft/onnxruntime#17313 (2023-08-28): "Total iterations:", "Min Latency is X sec". */
const ORT_0X = lines(
  'Total time cost: 58.8053',
  'Total iterations: 1000',
  'Average time cost: 58.8053 ms',
  'Total run time: 58.8102 s',
  'Min Latency is 0.0559777 sec',
  'Max Latency is 0.0623472 sec',
  'P50 Latency is 0.0587108 sec',
  'P90 Latency is 0.0599845 sec',
  'P95 Latency is 0.0605676 sec',
  'P99 Latency is 0.0619517 sec',
  'P999 Latency is 0.0623472 sec',
);

/** onnxruntime 1.1-era (the PR that added session creation time, microsoft/onnxruntime#2798, 2020-01-08): no space
 * after the colons, an onnxruntime warning line in between, a result file given (so no percentiles). */
const ORT_2020 = lines(
  'Setting intra_op_num_threads to 0',
  "2020-01-08 11:14:46.9047758 [W:onnxruntime:, graph.cc:2412 onnxruntime::Graph::CleanUnusedInitializers] Removing initializer 'gpu_0/imagenet1k_blobs_queue_f22e83c9-22cd-4a8b-a66d-113af6b832b4_0'. It is not used by any node and should be removed from the model.",
  'Session creation time cost:1.84149 s',
  'Total inference time cost:0.734606 s',
  'Total inference requests:1',
  'Average inference time cost:734.606 ms',
  'Total inference run time:0.734761 s',
);

/** onnxruntime 1.3.1 with the ACL execution provider, -m times -r 10 … result.csv (microsoft/onnxruntime#4647, 2020-07-28). */
const ORT_ACL = lines(
  'Session creation time cost: 0.127918 s',
  'Total inference time cost: 1.44871 s',
  'Total inference requests: 10',
  'Average inference time cost: 144.871 ms',
  'Total inference run time: 1.44916 s',
  'Avg CPU usage: 68 %',
  'Peak working set size: 158171136 bytes',
);

/** The default 600 s duration mode on an ARMv8 Cortex-A board (microsoft/onnxruntime#4331, 2020-06-25). */
const ORT_DURATION = lines(
  'Session creation time cost:0.133189 s',
  'Total inference time cost:600.051 s',
  'Total inference requests:7160',
  'Average inference time cost:83.8059 ms',
  'Total inference run time:600.102 s',
);

/** A 1.2x-era build from source on an Azure Cobalt 100 VM (-e cpu -r 100 -m times -s -Z -I, SqueezeNet int8):
 * ArmDeveloperEcosystem/arm-learning-paths, content/learning-paths/servers-and-cloud-computing/onnx-on-azure/
 * benchmarking.md @ 1d4e4f3. */
const ORT_COBALT = lines(
  'Disabling intra-op thread spinning between runs',
  'Session creation time cost: 0.0102016 s',
  'First inference time cost: 2 ms',
  'Total inference time cost: 0.185739 s',
  'Total inference requests: 100',
  'Average inference time cost: 1.85739 ms',
  'Total inference run time: 0.18581 s',
  'Number of inferences per second: 538.184',
  'Avg CPU usage: 96 %',
  'Peak working set size: 36696064 bytes',
  'Avg CPU usage:96',
  'Peak working set size:36696064',
  'Runs:100',
  'Min Latency: 0.00183404 s',
  'Max Latency: 0.00190312 s',
  'P50 Latency: 0.00185674 s',
  'P90 Latency: 0.00187215 s',
  'P95 Latency: 0.00187393 s',
  'P99 Latency: 0.00190312 s',
  'P999 Latency: 0.00190312 s',
);

test('perf_test 1.2x on an Arm server: every number of the block, percentiles to the µs as printed', () => {
  const r = parsePerfTestOutput(ORT_COBALT);
  assert.equal(r.layout, 'ort1');
  assert.deepEqual([r.requests, r.averageMs, r.sessionCreationMs, r.firstInferenceMs, r.totalRunTimeMs, r.inferencesPerSecond, r.cpuUsagePercent, r.peakWorkingSetBytes], [100, 1.85739, 10.2016, 2, 185.81, 538.184, 96, 36696064]);
  assert.deepEqual(r.latencyMs, { min: 1.83404, max: 1.90312, p50: 1.85674, p90: 1.87215, p95: 1.87393, p99: 1.90312, p999: 1.90312 });
  assert.equal(r.intraOpThreads, undefined, 'no -x: no "Setting intra_op_num_threads" line');
});

test('perf_test, newest builds ("Average inference time cost total:"): latency, percentiles, memory, threads', () => {
  const r = parsePerfTestOutput(ORT_SME2);
  assert.equal(r.layout, 'total');
  assert.equal(r.requests, 5);
  assert.equal(r.averageMs, 98.961997);
  assert.equal(r.sessionCreationMs, 217.932);
  assert.equal(r.firstInferenceMs, 196);
  assert.equal(r.totalRunTimeMs, 494.854);
  assert.equal(r.inferencesPerSecond, 10.104);
  assert.equal(r.cpuUsagePercent, 11);
  assert.equal(r.peakWorkingSetBytes, 271122432);
  assert.deepEqual(r.latencyMs, { min: 95.8204, max: 101.519, p50: 99.5086, p90: 101.519, p95: 101.519, p99: 101.519, p999: 101.519 });
  assert.equal(r.intraOpThreads, 1);
  assert.equal(detectFormat(ORT_SME2), 'perf-test');
  const p = importProfileText(ORT_SME2, { device: 'VIVO X300 (C1-Pro)' });
  assert.equal(p.latencyMs.mean, 98.961997);
  assert.equal(p.latencyMs.p50, 99.5086);
  assert.equal(p.settings.runs, 5);
  assert.equal(p.peakRssBytes, 271122432);
});

test('perf_test, onnxruntime 0.x ("Total iterations:", "Min Latency is X sec"): read, not refused', () => {
  assert.equal(detectFormat(ORT_0X), 'perf-test');
  const r = parsePerfTestOutput(ORT_0X);
  assert.equal(r.layout, 'ort0');
  assert.equal(r.requests, 1000);
  assert.equal(r.averageMs, 58.8053);
  assert.equal(r.totalInferenceTimeMs, 58805.3, '"Total time cost:" is seconds without a unit');
  assert.equal(r.totalRunTimeMs, 58810.2);
  assert.deepEqual(r.latencyMs, { min: 55.9777, max: 62.3472, p50: 58.7108, p90: 59.9845, p95: 60.5676, p99: 61.9517, p999: 62.3472 });
  const p = importProfileText(ORT_0X);
  assert.equal(p.latencyMs.mean, 58.8053);
  assert.equal(p.latencyMs.p99, 61.9517);
  assert.equal(p.settings.runs, 1000);
});

test('perf_test, onnxruntime 1.x without percentiles (result file given), old colon spacing, ACL, duration mode', () => {
  const a = parsePerfTestOutput(ORT_2020);
  assert.equal(a.layout, 'ort1');
  assert.deepEqual([a.sessionCreationMs, a.requests, a.averageMs, a.totalRunTimeMs, a.intraOpThreads], [1841.49, 1, 734.606, 734.761, 0]);
  assert.equal(a.latencyMs, undefined);
  const b = parsePerfTestOutput(ORT_ACL);
  assert.deepEqual([b.sessionCreationMs, b.requests, b.averageMs, b.cpuUsagePercent, b.peakWorkingSetBytes], [127.918, 10, 144.871, 68, 158171136]);
  const c = parsePerfTestOutput(ORT_DURATION);
  assert.deepEqual([c.requests, c.averageMs, c.totalRunTimeMs], [7160, 83.8059, 600102]);
  const p = importProfileText(ORT_ACL);
  assert.equal(p.latencyMs.mean, 144.871);
  assert.ok(Number.isNaN(p.latencyMs.p50), 'no percentiles were printed: none are made up');
  assert.ok(p.warnings.some((w) => /no latency percentiles/.test(w)));
});

// ---------------------------------------------------------------- benchmark_model

/** GPU delegate (OpenCL), whole graph delegated, op profiling asked for but the post stops before the tables
 * (tensorflow/tensorflow#43541, a TF 1.15-labelled thread, android_arm_benchmark_model --use_gpu=true). */
const BM_GPU = lines(
  'STARTING!',
  'Log parameter values verbosely: [0]',
  'Min num runs: [50]',
  'Num threads: [4]',
  'Min warmup runs: [1]',
  'Graph: [/data/local/tmp/tflite/denoising_32bit.tflite]',
  'Enable op profiling: [1]',
  '#threads used for CPU inference: [4]',
  'Use gpu: [1]',
  'Loaded model /data/local/tmp/tflite/denoising_32bit.tflite',
  'INFO: Initialized TensorFlow Lite runtime.',
  'INFO: Created TensorFlow Lite delegate for GPU.',
  'INFO: Initialized OpenCL-based API.',
  'INFO: Created 1 GPU delegate kernels.',
  'Explicitly applied GPU delegate, and the model graph will be completely executed by the delegate.',
  'The input model file size (MB): 7.07479',
  'Initialized session in 870.557ms.',
  'Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.',
  'count=4 first=130565 curr=120829 min=117370 max=130565 avg=122373 std=4930',
  '',
  'Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.',
  'count=50 first=119212 curr=118055 min=113737 max=124776 avg=119375 std=1948',
  '',
  'Inference timings in us: Init: 870557, First inference: 130565, Warmup (avg): 122373, Inference (avg): 119375',
);

/** NNAPI through the Android benchmark app, logcat in threadtime format (tensorflow/tensorflow#56301, TF 2.9). */
const BM_NNAPI_LOGCAT = lines(
  '05-30 15:16:44.857  3380  3380 I tflite  : Explicitly applied NNAPI delegate, and the model graph will be partially executed by the delegate w/ 44 delegate kernels.',
  '05-30 15:16:44.858  3380  3380 I tflite  : The input model file size (MB): 0.113392',
  '05-30 15:16:44.858  3380  3380 I tflite  : Initialized session in 126.059ms.',
  '05-30 15:16:44.858  3380  3380 I tflite  : Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.',
  '05-30 15:16:45.362  3380  3380 I tflite  : count=40 first=32942 curr=12594 min=11340 max=32942 avg=12581.9 std=3331',
  '05-30 15:16:45.362  3380  3380 I tflite  : Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.',
  '05-30 15:16:46.365  3380  3380 I tflite  : count=75 first=12840 curr=11853 min=11787 max=13649 avg=12167.6 std=325',
  '05-30 15:16:46.366  3380  3380 I tflite  : Inference timings in us: Init: 126059, First inference: 32942, Warmup (avg): 12581.9, Inference (avg): 12167.6',
);

/** Another run in the same thread: the memory line and the initialization profile (ModifyGraphWithDelegate's 1132 KB). */
const BM_NNAPI_INIT = lines(
  '05-30 13:04:39.021 25935 25935 I tflite  : Memory footprint delta from the start of the tool (MB): init=2.03516 overall=2.03516',
  '05-30 13:04:39.021 25935 25935 I tflite  : Profiling Info for Benchmark Initialization:',
  '05-30 13:04:39.021 25935 25935 I tflite  : ============================== Run Order ==============================',
  '05-30 13:04:39.021 25935 25935 I tflite  :                   [node type]          [first]        [avg ms]            [%]          [cdf%]          [mem KB] [times called]   [Name]',
  '05-30 13:04:39.021 25935 25935 I tflite  :       ModifyGraphWithDelegate           54.571          54.571        95.055%         95.055%          1132.000         1        ModifyGraphWithDelegate/0',
  '05-30 13:04:39.021 25935 25935 I tflite  :               AllocateTensors            2.833           1.419         4.945%        100.000%             0.000         2        AllocateTensors/0',
  '05-30 13:04:39.021 25935 25935 I tflite  :',
);

/** TF 1.13-era (tensorflow/tensorflow#25021, 2019-01): no "but terminate", [start] column, names without ":index". */
const BM_TF113 = lines(
  'Min num runs: [50]',
  'Min runs duration (seconds): [1]',
  'Inter-run delay (seconds): [-1]',
  'Num threads: [1]',
  'Benchmark name: []',
  'Output prefix: []',
  'Min warmup runs: [1]',
  'Min warmup runs duration (seconds): [0.5]',
  'Graph: [model.tflite]',
  'Input layers: []',
  'Input shapes: []',
  'Use nnapi : [0]',
  'Loaded model model.tflite',
  'resolved reporter',
  'Initialized session in 0.378ms',
  'Running benchmark for at least 1 iterations and at least 0.5 seconds',
  'count=302 first=5983 curr=1592 min=1586 max=5983 avg=1652.99 std=360',
  '',
  'Running benchmark for at least 50 iterations and at least 1 seconds',
  'count=626 first=1675 curr=1587 min=1586 max=1684 avg=1592.71 std=14',
  '',
  '============================== Run Order ==============================',
  '                     [node type]                  [start]         [first]        [avg ms]            [%]          [cdf%]          [mem KB]      [times called]  [Name]',
  '               DEPTHWISE_CONV_2D                    0.000           0.802           0.719        45.131%         45.131%             0.000              1       [Relu6]',
  '                 FULLY_CONNECTED                    0.719           0.848           0.849        53.325%         98.456%             0.000              1       [BiasAdd_1]',
);

/** TF 1.x GPU delegate on a Pixel 2 (mozilla/DeepSpeech#2270, 2019-07-25): "Average inference timings in us: … no stats",
 * the generic DELEGATE node type. */
const BM_TF1_DELEGATE = lines(
  'Average inference timings in us: Warmup: 27917.4, Init: 21528106, no stats: 23313.5',
  '============================== Run Order ==============================',
  '                     [node type]                  [start]         [first]        [avg ms]            [%]          [cdf%]          [mem KB]      [times called]  [Name]',
  '                        DELEGATE                    0.000          21.227          21.287        91.329%         91.329%             0.000              1       [cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/BiasAdd]',
  '                           SPLIT                   21.287           0.015           0.013         0.056%         91.385%             0.000              1       [cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/split, cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/split:1, cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/split:2, cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/split:3]',
  '                             ADD                   21.300           0.021           0.022         0.093%         91.479%             0.000              1       [cudnn_lstm/rnn/multi_rnn_cell/cell_0/cudnn_compatible_lstm_cell/add]',
);

/** Only the "Summary by node type" table, as pasted in tensorflow/tensorflow#53138 (CPU, --use_xnnpack=false). */
const BM_BY_TYPE = [
  'Number of nodes executed: 64',
  '============================== Summary by node type ==============================',
  '\t             [Node type]\t  [count]\t  [avg ms]\t    [avg %]\t    [cdf %]\t  [mem KB]\t[times called]',
  '\t                 CONV_2D\t       34\t   266.475\t    75.118%\t    75.118%\t     0.000\t       34',
  '\t       DEPTHWISE_CONV_2D\t       13\t    83.740\t    23.606%\t    98.724%\t     0.000\t       13',
  '\tTFLite_Detection_PostProcess\t        1\t     3.579\t     1.009%\t    99.733%\t     0.000\t        1',
  '\t           CONCATENATION\t        2\t     0.483\t     0.136%\t    99.869%\t     0.000\t        2',
  '\t                LOGISTIC\t        1\t     0.233\t     0.066%\t    99.935%\t     0.000\t        1',
].join('\n');

/** Arm NN as an external delegate on a Linux board (ARM-software/ComputeLibrary#1062). */
const BM_ARMNN = lines(
  'STARTING!',
  'Log parameter values verbosely: [0]',
  'Min num runs: [120]',
  'Num threads: [4]',
  'Min warmup runs: [1]',
  'Graph: [./wdsr_960.tflite]',
  '#threads used for CPU inference: [4]',
  'External delegate path: [armnn/main/libarmnnDelegate.so]',
  'External delegate options: [backends:CpuAcc]',
  'Loaded model ./wdsr_960.tflite',
  'INFO: TfLiteArmnnDelegate: Created TfLite ArmNN delegate.',
  'EXTERNAL delegate created.',
  'Explicitly applied EXTERNAL delegate, and the model graph will be completely executed by the delegate.',
  'The input model file size (MB): 0.011828',
  'Initialized session in 31.93ms.',
  'Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.',
  'count=23 first=40037 curr=26812 min=18118 max=40037 avg=22013.8 std=4449',
  '',
  'Running benchmark for at least 120 iterations and at least 1 seconds but terminate if exceeding 150 seconds.',
  'count=120 first=25867 curr=37586 min=24979 max=46407 avg=33329.7 std=2946',
);

/** An on-device keyword-spotting model (google-research/google-research#802, 2022-01): --num_runs=1000; the warm-up
 * phase made 478 runs because --warmup_min_secs (0.5 s) adds runs beyond --warmup_runs. */
const BM_KWS = lines(
  'STARTING!',
  'Log parameter values verbosely: [0]',
  'Min num runs: [1000]',
  'Num threads: [1]',
  'Min warmup runs: [1]',
  'Graph: [/data/local/tmp/model.tflite]',
  '#threads used for CPU inference: [1]',
  'Loaded model /data/local/tmp/model.tflite',
  'The input model file size (MB): 1.41812',
  'Initialized session in 17.851ms.',
  'Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.',
  'count=478 first=2104 curr=1017 min=1012 max=2104 avg=1041.15 std=63',
  '',
  'Running benchmark for at least 1000 iterations and at least 1 seconds but terminate if exceeding 150 seconds.',
  'count=1000 first=1040 curr=1018 min=1012 max=1190 avg=1039.66 std=22',
  '',
  'Inference timings in us: Init: 17851, First inference: 2104, Warmup (avg): 1041.15, Inference (avg): 1039.66',
);

/** The iOS benchmark app with "INFO: " on every line, cut right after the warm-up (tensorflow/tensorflow#66025). */
const BM_IOS_CUT = lines(
  'INFO: Min num runs: [50]',
  'INFO: Num threads: [4]',
  'INFO: Min warmup runs: [1]',
  'Created TensorFlow Lite XNNPACK delegate for CPU.',
  'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.',
  'INFO: The input model file size (MB): 44.7677',
  'INFO: Initialized session in 195.673ms.',
  'INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.',
  'INFO: count=3 first=200505 curr=187763 min=185514 max=200505 avg=191261 std=6600',
  '',
  'INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.',
);

/** LiteRT 2.x benchmark_model (CompiledModel API, litert/tools/benchmark_litert_model.h), built from 2.1.5 with the GPU
 * accelerator, a Llama prefill signature (mlcommons/mobile_app_open#1134, 2026-07-28; the post starts with "..."). */
const BM_LITERT2 = lines(
  '========== BENCHMARK RESULTS ==========',
  'INFO: [benchmark_litert_model.h:92] Signature name:       prefill_1024',
  'INFO: [benchmark_litert_model.h:94] Model initialization: 23744.73 ms',
  'INFO: [benchmark_litert_model.h:96] Warmup (first):       7441.04 ms',
  'INFO: [benchmark_litert_model.h:98] Warmup (avg):         7441.04 ms (1 runs)',
  'INFO: [benchmark_litert_model.h:100] Inference (avg):      7430.20 ms (10 runs)',
  'INFO: [benchmark_litert_model.h:104] Inference (min):      7416.40 ms',
  'INFO: [benchmark_litert_model.h:106] Inference (max):      7448.86 ms',
  'INFO: [benchmark_litert_model.h:108] Inference (std):      9.92',
  'INFO: [benchmark_litert_model.h:115] Throughput:           27.46 MB/s',
  'INFO: [benchmark_litert_model.h:124] ',
  'Memory Usage:',
  'INFO: [benchmark_litert_model.h:126] Init footprint:       6391.74 MB',
  'INFO: [benchmark_litert_model.h:128] Overall footprint:    6391.74 MB',
  'INFO: [benchmark_litert_model.h:135] Peak memory usage not available. (peak_mem_mb <= 0)',
);

/** XNNPACK by default on a Raspberry Pi, an int8 YOLO with op profiling on (google/XNNPACK#999); the post is cut in
 * the initialization profile's title. */
const BM_RPI_XNNPACK = lines(
  'Log parameter values verbosely: [0]',
  'Num threads: [4]',
  'Graph: [yolo_best_recall_int8_static.tflite]',
  'Enable op profiling: [1]',
  '#threads used for CPU inference: [4]',
  'Loaded model yolo_best_recall_int8_static.tflite',
  'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.',
  'The input model file size (MB): 3.67827',
  'Initialized session in 18.777ms.',
  'Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.',
  'count=9 first=64791 curr=56295 min=54873 max=65831 avg=57758.2 std=4065',
  '',
  'Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.',
  'count=50 first=58154 curr=53809 min=53077 max=60727 avg=55043.2 std=1562',
  '',
  'Inference timings in us: Init: 18777, First inference: 64791, Warmup (avg): 57758.2, Inference (avg): 55043.2',
  'Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.',
  'Memory footprint delta from the start of the tool (MB): init=8.97656 overall=18.7227',
  'Profiling Info for Benchmark Initialization:',
);

test('benchmark_model with XNNPACK by default (Raspberry Pi): latency, memory deltas, threads', () => {
  const p = benchmarkToProfile(parseBenchmarkModel(BM_RPI_XNNPACK));
  assert.deepEqual([p.latencyMs.mean, p.latencyMs.min, p.latencyMs.max, p.latencyMs.std], [55.0432, 53.077, 60.727, 1.562]);
  assert.deepEqual([p.runs, p.warmup, p.threads], [50, 9, 4]);
  assert.deepEqual(p.memory, { initDeltaMb: 8.97656, overallDeltaMb: 18.7227, peakMb: undefined });
  assert.equal(p.peakRssBytes, undefined, 'a footprint delta is not a peak');
});

/** benchmark_model's op profile written as CSV (TF 2.x, with the start column), as kept verbatim in the test of a
 * public parser of such files on GitHub (found by code search; the index does not name the repository). */
const BM_CSV = lines(
  "Number of nodes executed: 1",
  "============================== Summary by node type ==============================",
  "node type, count, avg_ms, avg %, cdf %, mem KB, times called",
  "AllocateTensors, 1, 0.029, 100%, 100%, 0, 1",
  "",
  "Timings (microseconds): count=1 curr=29",
  "Memory (bytes): count=0",
  "1 nodes observed",
  "",
  "",
  "Operator-wise Profiling Info for Regular Benchmark Runs:",
  "============================== Run Order ==============================",
  "node type, start, first, avg_ms, %, cdf%, mem KB, times called, name",
  "CONV_2D, 0, 0.11, 0.0930388, 44.8994%, 44.8994%, 0, 1, [sequential_11/conv2d_33/Conv2D]:0",
  "ELU, 0.0931277, 0.034, 0.0300884, 14.5203%, 59.4197%, 0, 1, [sequential_11/conv2d_33/Elu]:1",
  "AVERAGE_POOL_2D, 0.123291, 0.026, 0.0272269, 13.1394%, 72.559%, 0, 1, [sequential_11/average_pooling2d_22/AvgPool]:2",
  "CONV_2D, 0.150559, 0.03, 0.0309657, 14.9436%, 87.5027%, 0, 1, [sequential_11/conv2d_34/Conv2D]:3",
  "ELU, 0.181571, 0.01, 0.0102094, 4.92694%, 92.4296%, 0, 1, [sequential_11/conv2d_34/Elu]:4",
  "AVERAGE_POOL_2D, 0.191832, 0.003, 0.00362065, 1.74728%, 94.1769%, 0, 1, [sequential_11/average_pooling2d_23/AvgPool]:5",
  "CONV_2D, 0.195491, 0.008, 0.00765769, 3.6955%, 97.8724%, 0, 1, [sequential_11/conv2d_35/Conv2D]:6",
  "ELU, 0.203215, 0.001, 0.000868238, 0.419001%, 98.2914%, 0, 1, [sequential_11/conv2d_35/Elu]:7",
  "FULLY_CONNECTED, 0.204145, 0.002, 0.00214613, 1.03569%, 99.3271%, 0, 1, [sequential_11/dense_22/MatMul]:8",
  "ELU, 0.206331, 0.001, 0.000645791, 0.311651%, 99.6387%, 0, 1, [sequential_11/dense_22/Elu]:9",
  "FULLY_CONNECTED, 0.207017, 0, 0.000406285, 0.196068%, 99.8348%, 0, 1, [sequential_11/dense_23/MatMul]:10",
  "SOFTMAX, 0.207468, 0.001, 0.000342312, 0.165195%, 100%, 0, 1, [Identity]:11",
  "",
  "============================== Top by Computation Time ==============================",
  "node type, start, first, avg_ms, %, cdf%, mem KB, times called, name",
  "CONV_2D, 0, 0.11, 0.0930388, 44.8994%, 44.8994%, 0, 1, [sequential_11/conv2d_33/Conv2D]:0",
);

test('benchmark_model CSV op profile: per-node times per run, op types, and no latency made up as measured', () => {
  assert.equal(detectFormat(BM_CSV), 'benchmark-model-csv');
  const r = parseBenchmarkModel(BM_CSV);
  assert.equal(r.format, 'csv');
  assert.equal(r.rows.filter((x) => x.section === 'run').length, 12);
  const p = benchmarkToProfile(r);
  assert.deepEqual(p.nodes.slice(0, 3).map((n) => [n.name, n.opType, n.meanUs, n.nodeIndex]), [
    ['[sequential_11/conv2d_33/Conv2D]:0', 'CONV_2D', 93.0388, 0],
    ['[sequential_11/conv2d_34/Conv2D]:3', 'CONV_2D', 30.9657, 3],
    ['[sequential_11/conv2d_33/Elu]:1', 'ELU', 30.0884, 1],
  ]);
  assert.equal(p.opTypes[0].opType, 'CONV_2D');
  assert.equal(p.opTypes[0].nodes, 3);
  assert.ok(p.warnings.some((w) => /no run statistics: the latency is the sum of op times/.test(w)));
});

test('LiteRT 2.x benchmark_model results block (ms, "(N runs)"): latency, counts, init, memory', () => {
  assert.equal(detectFormat(BM_LITERT2), 'benchmark-model');
  const r = parseBenchmarkModel(BM_LITERT2);
  assert.deepEqual([r.warmup?.count, r.regular?.count], [1, 10]);
  const p = benchmarkToProfile(r);
  assert.deepEqual([p.latencyMs.mean, p.latencyMs.min, p.latencyMs.max, p.latencyMs.std], [7430.2, 7416.4, 7448.86, 9.92]);
  assert.deepEqual([p.runs, p.warmup], [10, 1]);
  assert.deepEqual(p.phases, { initMs: 23744.73, firstInferenceMs: 7441.04, warmupMeanMs: 7441.04 });
  assert.deepEqual(p.memory, { initDeltaMb: 6391.74, overallDeltaMb: 6391.74, peakMb: undefined });
  assert.equal(r.params['Signature name'], 'prefill_1024');
});

test('benchmark_model, GPU delegate on the whole graph: latency from the regular runs, the delegate named', () => {
  const r = parseBenchmarkModel(BM_GPU);
  assert.deepEqual([r.warmup?.count, r.regular?.count], [4, 50]);
  const p = benchmarkToProfile(r);
  assert.deepEqual([p.latencyMs.mean, p.latencyMs.std, p.latencyMs.min, p.latencyMs.max], [119.375, 1.948, 113.737, 124.776]);
  assert.deepEqual([p.runs, p.warmup, p.threads], [50, 4, 4]);
  assert.deepEqual(p.phases, { initMs: 870.557, firstInferenceMs: 130.565, warmupMeanMs: 122.373 });
  assert.match(p.delegation?.summary ?? '', /^GPU ran the whole graph; no op fell back to the CPU$/);
  const imp = importProfileText(BM_GPU);
  assert.equal(imp.runtime.executionProvider, 'GPU');
  assert.equal(imp.model.name, 'denoising_32bit.tflite');
});

test('benchmark_model through logcat (threadtime): NNAPI took part of the graph; memory and the init profile', () => {
  const p = benchmarkToProfile(parseBenchmarkModel(BM_NNAPI_LOGCAT));
  assert.equal(p.latencyMs.mean, 12.1676);
  assert.deepEqual([p.runs, p.warmup], [75, 40], 'min_secs added runs: the counts come from count=, not from --num_runs');
  assert.match(p.delegation?.summary ?? '', /^NNAPI ran part of the graph in 44 delegate kernels; which ops fell back to the CPU is not in this output/);
  const init = parseBenchmarkModel(BM_NNAPI_INIT);
  assert.deepEqual(init.memory, { initDeltaMb: 2.03516, overallDeltaMb: 2.03516 });
  assert.deepEqual(init.rows.map((x) => [x.section, x.type, x.avgMs, x.timesCalled, x.memKb]), [['init', 'ModifyGraphWithDelegate', 54.571, 1, 1132], ['init', 'AllocateTensors', 1.419, 2, 0]]);
  const ip = benchmarkToProfile(init);
  assert.ok(Number.isNaN(ip.latencyMs.mean), 'an initialization profile alone has no run latency (not 0 ms)');
  assert.ok(ip.warnings.some((w) => /latency is not known/.test(w)));
});

test('benchmark_model TF 1.13: [start] column, op names without node index, per-node times per run', () => {
  const r = parseBenchmarkModel(BM_TF113);
  assert.equal(r.layout, 'with-start');
  const p = benchmarkToProfile(r);
  assert.equal(p.latencyMs.mean, 1.59271);
  assert.deepEqual([p.runs, p.warmup], [626, 302]);
  assert.deepEqual(p.nodes.map((n) => [n.name, n.opType, n.meanUs, n.provider]), [['[BiasAdd_1]', 'FULLY_CONNECTED', 849, 'CPU'], ['[Relu6]', 'DEPTHWISE_CONV_2D', 719, 'CPU']]);
  assert.ok(Math.abs(p.kernelCoverage - (0.719 + 0.849) / 1.59271) < 1e-9, 'coverage: op times against the measured run, not against their own sum');
});

test('benchmark_model TF 1.x: "Average inference timings … no stats", the DELEGATE node and the ops left to the CPU', () => {
  const p = benchmarkToProfile(parseBenchmarkModel(BM_TF1_DELEGATE));
  assert.equal(p.latencyMs.mean, 23.3135);
  assert.deepEqual(p.phases, { initMs: 21528.106, warmupMeanMs: 27.9174 });
  const d = p.nodes.find((n) => n.opType === 'DELEGATE');
  assert.equal(d?.meanUs, 21287);
  assert.ok(d?.partition, 'the DELEGATE node is a delegated partition');
  assert.deepEqual(p.delegation?.cpu.map((c) => c.opType).sort(), ['ADD', 'SPLIT']);
});

test('benchmark_model "Summary by node type" alone: per-op-type times per run, said to be per type', () => {
  assert.equal(detectFormat(BM_BY_TYPE), 'benchmark-model');
  const p = benchmarkToProfile(parseBenchmarkModel(BM_BY_TYPE));
  assert.deepEqual(p.opTypes.slice(0, 2).map((t) => [t.opType, t.meanUs, t.nodes]), [['CONV_2D', 266475, 34], ['DEPTHWISE_CONV_2D', 83740, 13]]);
  assert.equal(p.nodes.length, 0, 'no per-node times are made up from a per-type table');
  assert.ok(p.warnings.some((w) => /Summary by node type/.test(w)));
  assert.ok(p.warnings.some((w) => /sum of op times/.test(w)), 'no run statistics in the paste: the latency says what it is');
});

test('benchmark_model with an external (Arm NN) delegate and with min_secs-added warm-up runs', () => {
  const a = benchmarkToProfile(parseBenchmarkModel(BM_ARMNN));
  assert.equal(a.latencyMs.mean, 33.3297);
  assert.deepEqual([a.runs, a.warmup], [120, 23]);
  assert.match(a.delegation?.summary ?? '', /^EXTERNAL ran the whole graph/);
  const k = benchmarkToProfile(parseBenchmarkModel(BM_KWS));
  assert.equal(k.latencyMs.mean, 1.03966);
  assert.deepEqual([k.runs, k.warmup], [1000, 478]);
  assert.equal(k.delegation, undefined);
});

test('benchmark_model output cut after the warm-up: the warm-up is not reported as the latency', () => {
  const r = parseBenchmarkModel(BM_IOS_CUT);
  assert.equal(r.warmup?.count, 3);
  assert.equal(r.regular, undefined);
  const p = benchmarkToProfile(r);
  assert.ok(Number.isNaN(p.latencyMs.mean));
  assert.ok(p.warnings.some((w) => /stops after the warm-up/.test(w)));
});
