/**
 * ONNX Runtime's `onnxruntime_perf_test`: its command line and its printed results, as the tool has them.
 *
 * Format facts (microsoft/onnxruntime, onnxruntime/test/perftest/):
 * - command_args_parser.cc: getopt string "k:b:m:e:r:t:p:x:y:c:d:o:u:i:f:F:S:T:AMPIDZvhsqz"; a parse failure (or -h)
 *   prints the usage and main.cc returns -1; `-r` switches to times mode, `-t` to duration mode; `-o` takes
 *   0/1/2/99 and any value above 99 means 99; `-f`/`-F` take `name:value` with value > 0; one positional argument
 *   (the model) turns statistics on, a second is the result file.
 * - test_configuration.h: defaults test_mode duration, repeated_times 1000, intra/inter threads 0, -S seed -1.
 * - performance_runner.cc: after one warm-up run ("First inference time cost", whole milliseconds) the block
 *   `Session creation time cost: … s` … `Peak working set size: … bytes` goes to std::cout with C++'s default
 *   6-significant-digit formatting (so `0.0183481 s`, `1062.57`), `Number of inferences per second: X ` keeps a
 *   trailing space; then DumpToFile prints `Avg CPU usage:N`, `Peak working set size:N`, `Runs:N` (no result
 *   file) and the percentiles `Min/Max/P50/P90/P95/P99/P999 Latency: X s`, where Pn is sorted[floor(total*n)].
 * - ort_test_session.cc: `Setting intra_op_num_threads to N` (when -x > 0), `Setting inter_op_num_threads to N`
 *   (-P with -y > 0), `Overriding dimension with name, NAME, to N` / `…with denotation, …`.
 * - Other generations parsePerfTestOutput reads: onnxruntime 0.x ("Total time cost:", "Total iterations:", "Average time
 *   cost: X ms", "Min Latency is X sec") and the newest builds ("Average inference time cost total: X ms", printf %f).
 * - The profile file is named by onnxruntime itself (InferenceSession::StartProfiling): `<prefix>_YYYY-MM-DD_HH-MM-SS.json`;
 *   onnxruntime 1.30 (as onnxruntime-node 1.30.0 writes it) appends milliseconds: `…_HH-MM-SS_mmm.json`.
 */

export type PerfTestMode = 'duration' | 'times';

export interface PerfTestConfig {
  mode: PerfTestMode;
  repeatedTimes: number;
  durationSeconds: number;
  concurrentRuns: number;
  provider: string;
  backend: string;
  profilePrefix?: string;
  /** 0 (disable), 1 (basic), 2 (extended), 99 (all). */
  optimization: 0 | 1 | 2 | 99;
  intraOpThreads: number;
  interOpThreads: number;
  freeDimByName: Record<string, number>;
  freeDimByDenotation: Record<string, number>;
  generateInputs: boolean;
  seed: number;
  verbose: boolean;
  dumpStatistics: boolean;
  memoryPattern: boolean;
  cpuArena: boolean;
  parallelExecutor: boolean;
  optimizedModelPath?: string;
  epRuntimeConfig?: string;
  threadAffinities?: string;
  disableSpinning: boolean;
  disableSpinningBetweenRuns: boolean;
  denormalAsZero: boolean;
  modelPath: string;
  resultFile?: string;
}

export const PERF_TEST_OPTSTRING = 'k:b:m:e:r:t:p:x:y:c:d:o:u:i:f:F:S:T:AMPIDZvhsqz';

/** The execution providers the real parser accepts for -e. */
export const PERF_TEST_PROVIDERS = ['cpu', 'cuda', 'dnnl', 'openvino', 'tensorrt', 'qnn', 'snpe', 'nnapi', 'coreml', 'dml', 'acl', 'armnn', 'rocm', 'migraphx', 'xnnpack', 'vitisai'] as const;

/**
 * The usage the tool prints (printf, to stdout) on a bad command line or -h, then main.cc returns -1: CommandLineParser::
 * ShowUsage of the getopt-based tool whose options PERF_TEST_OPTSTRING reads (microsoft/onnxruntime @ 8f11700,
 * onnxruntime/test/perftest/command_args_parser.cc), whole and as printed, whatever the build.
 */
export const PERF_TEST_USAGE = [
  "perf_test [options...] model_path [result_file]",
  "Options:",
  "\t-m [test_mode]: Specifies the test mode. Value could be 'duration' or 'times'.",
  "\t\tProvide 'duration' to run the test for a fix duration, and 'times' to repeated for a certain times. ",
  "\t-M: Disable memory pattern.",
  "\t-A: Disable memory arena",
  "\t-I: Generate tensor input binding (Free dimensions are treated as 1.)",
  "\t-c [parallel runs]: Specifies the (max) number of runs to invoke simultaneously. Default:1.",
  "\t-e [cpu|cuda|dnnl|tensorrt|openvino|dml|acl|nnapi|coreml|snpe|rocm|migraphx|xnnpack|vitisai]: Specifies the provider 'cpu','cuda','dnnl','tensorrt', 'openvino', 'dml', 'acl', 'nnapi', 'coreml', 'snpe', 'rocm', 'migraphx', 'xnnpack' or 'vitisai'. Default:'cpu'.",
  "\t-b [tf|ort]: backend to use. Default:ort",
  "\t-r [repeated_times]: Specifies the repeated times if running in 'times' test mode.Default:1000.",
  "\t-t [seconds_to_run]: Specifies the seconds to run for 'duration' mode. Default:600.",
  "\t-p [profile_file]: Specifies the profile name to enable profiling and dump the profile data to the file.",
  "\t-s: Show statistics result, like P75, P90. If no result_file provided this defaults to on.",
  "\t-S: Given random seed, to produce the same input data. This defaults to -1(no initialize).",
  "\t-v: Show verbose information.",
  "\t-x [intra_op_num_threads]: Sets the number of threads used to parallelize the execution within nodes, A value of 0 means ORT will pick a default. Must >=0.",
  "\t-y [inter_op_num_threads]: Sets the number of threads used to parallelize the execution of the graph (across nodes), A value of 0 means ORT will pick a default. Must >=0.",
  "\t-f [free_dimension_override]: Specifies a free dimension by name to override to a specific value for performance optimization. Syntax is [dimension_name:override_value]. override_value must > 0",
  "\t-F [free_dimension_override]: Specifies a free dimension by denotation to override to a specific value for performance optimization. Syntax is [dimension_denotation:override_value]. override_value must > 0",
  "\t-P: Use parallel executor instead of sequential executor.",
  "\t-o [optimization level]: Default is 99 (all). Valid values are 0 (disable), 1 (basic), 2 (extended), 99 (all).",
  "\t\tPlease see onnxruntime_c_api.h (enum GraphOptimizationLevel) for the full list of all optimization levels.",
  "\t-u [optimized_model_path]: Specify the optimized model path for saving.",
  "\t-d [CUDA only][cudnn_conv_algorithm]: Specify CUDNN convolution algorithms: 0(benchmark), 1(heuristic), 2(default). ",
  "\t-q [CUDA only] use separate stream for copy. ",
  "\t-z: Set denormal as zero. When turning on this option reduces latency dramatically, a model may have denormals.",
  "\t-i: Specify EP specific runtime options as key value pairs. Different runtime options available are: ",
  "\t    [DML only] [performance_preference]: DML device performance prefernce, options: 'default', 'minimum_power', 'high_performance', ",
  "\t    [DML only] [device_filter]: DML device filter, options: 'any', 'gpu', 'npu', ",
  "\t    [OpenVINO only] [device_type]: Overrides the accelerator hardware type and precision with these values at runtime.",
  "\t    [OpenVINO only] [device_id]: Selects a particular hardware device for inference.",
  "\t    [OpenVINO only] [enable_vpu_fast_compile]: Optionally enabled to speeds up the model's compilation on VPU device targets.",
  "\t    [OpenVINO only] [num_of_threads]: Overrides the accelerator hardware type and precision with these values at runtime.",
  "\t    [OpenVINO only] [cache_dir]: Explicitly specify the path to dump and load the blobs(Model caching) or cl_cache (Kernel Caching) files feature. If blob files are already present, it will be directly loaded.",
  "\t    [OpenVINO only] [enable_opencl_throttling]: Enables OpenCL queue throttling for GPU device(Reduces the CPU Utilization while using GPU) ",
  "\t    [QNN only] [backend_path]: QNN backend path. e.g '/folderpath/libQnnHtp.so', '/folderpath/libQnnCpu.so'.",
  "\t    [QNN only] [qnn_context_cache_enable]: 1 to enable cache QNN context. Default to false.",
  "\t    [QNN only] [qnn_context_cache_path]: File path to the qnn context cache. Default to model_file.onnx.bin if not set.",
  "\t    [QNN only] [profiling_level]: QNN profiling level, options: 'basic', 'detailed', default 'off'.",
  "\t    [QNN only] [rpc_control_latency]: QNN rpc control latency. default to 10.",
  "\t    [QNN only] [htp_performance_mode]: QNN performance mode, options: 'burst', 'balanced', 'default', 'high_performance', ",
  "\t    'high_power_saver', 'low_balanced', 'low_power_saver', 'power_saver', 'sustained_high_performance'. Default to 'default'. ",
  "\t [Usage]: -e <provider_name> -i '<key1>|<value1> <key2>|<value2>'",
  "",
  "\t [Example] [For OpenVINO EP] -e openvino -i \"device_type|CPU_FP32 enable_vpu_fast_compile|true num_of_threads|5 enable_opencl_throttling|true cache_dir|\"<path>\"\"",
  "\t [Example] [For QNN EP] -e qnn -i \"backend_path|/folderpath/libQnnCpu.so\" ",
  "",
  "\t    [TensorRT only] [trt_max_partition_iterations]: Maximum iterations for TensorRT parser to get capability.",
  "\t    [TensorRT only] [trt_min_subgraph_size]: Minimum size of TensorRT subgraphs.",
  "\t    [TensorRT only] [trt_max_workspace_size]: Set TensorRT maximum workspace size in byte.",
  "\t    [TensorRT only] [trt_fp16_enable]: Enable TensorRT FP16 precision.",
  "\t    [TensorRT only] [trt_int8_enable]: Enable TensorRT INT8 precision.",
  "\t    [TensorRT only] [trt_int8_calibration_table_name]: Specify INT8 calibration table name.",
  "\t    [TensorRT only] [trt_int8_use_native_calibration_table]: Use Native TensorRT calibration table.",
  "\t    [TensorRT only] [trt_dla_enable]: Enable DLA in Jetson device.",
  "\t    [TensorRT only] [trt_dla_core]: DLA core number.",
  "\t    [TensorRT only] [trt_dump_subgraphs]: Dump TRT subgraph to onnx model.",
  "\t    [TensorRT only] [trt_engine_cache_enable]: Enable engine caching.",
  "\t    [TensorRT only] [trt_engine_cache_path]: Specify engine cache path.",
  "\t    [TensorRT only] [trt_force_sequential_engine_build]: Force TensorRT engines to be built sequentially.",
  "\t    [TensorRT only] [trt_context_memory_sharing_enable]: Enable TensorRT context memory sharing between subgraphs.",
  "\t    [TensorRT only] [trt_layer_norm_fp32_fallback]: Force Pow + Reduce ops in layer norm to run in FP32 to avoid overflow.",
  "\t [Usage]: -e <provider_name> -i '<key1>|<value1> <key2>|<value2>'",
  "",
  "\t [Example] [For TensorRT EP] -e tensorrt -i 'trt_fp16_enable|true trt_int8_enable|true trt_int8_calibration_table_name|calibration.flatbuffers trt_int8_use_native_calibration_table|false trt_force_sequential_engine_build|false'",
  "\t    [NNAPI only] [NNAPI_FLAG_USE_FP16]: Use fp16 relaxation in NNAPI EP..",
  "\t    [NNAPI only] [NNAPI_FLAG_USE_NCHW]: Use the NCHW layout in NNAPI EP.",
  "\t    [NNAPI only] [NNAPI_FLAG_CPU_DISABLED]: Prevent NNAPI from using CPU devices.",
  "\t    [NNAPI only] [NNAPI_FLAG_CPU_ONLY]: Using CPU only in NNAPI EP.",
  "\t [Usage]: -e <provider_name> -i '<key1> <key2>'",
  "",
  "\t [Example] [For NNAPI EP] -e nnapi -i \" NNAPI_FLAG_USE_FP16 NNAPI_FLAG_USE_NCHW NNAPI_FLAG_CPU_DISABLED \"",
  "\t    [SNPE only] [runtime]: SNPE runtime, options: 'CPU', 'GPU', 'GPU_FLOAT16', 'DSP', 'AIP_FIXED_TF'. ",
  "\t    [SNPE only] [priority]: execution priority, options: 'low', 'normal'. ",
  "\t    [SNPE only] [buffer_type]: options: 'TF8', 'TF16', 'UINT8', 'FLOAT', 'ITENSOR'. default: ITENSOR'. ",
  "\t    [SNPE only] [enable_init_cache]: enable SNPE init caching feature, set to 1 to enabled it. Disabled by default. ",
  "\t [Usage]: -e <provider_name> -i '<key1>|<value1> <key2>|<value2>' ",
  "",
  "\t [Example] [For SNPE EP] -e snpe -i \"runtime|CPU priority|low\" ",
  "",
  "\t-T [Set intra op thread affinities]: Specify intra op thread affinity string",
  "\t [Example]: -T 1,2;3,4;5,6 or -T 1-2;3-4;5-6 ",
  "\t\t Use semicolon to separate configuration between threads.",
  "\t\t E.g. 1,2;3,4;5,6 specifies affinities for three threads, the first thread will be attached to the first and second logical processor.",
  "\t\t The number of affinities must be equal to intra_op_num_threads - 1",
  "",
  "\t-D [Disable thread spinning]: disable spinning entirely for thread owned by onnxruntime intra-op thread pool.",
  "\t-Z [Force thread to stop spinning between runs]: disallow thread from spinning during runs to reduce cpu usage.",
  "\t-h: help",
  '',
].join('\n');

export type PerfTestArgs = { ok: true; config: PerfTestConfig } | { ok: false; help: boolean; error?: string };

/** C's strtol as OrtStrtol uses it: leading digits (with sign), 0 when there are none. */
function strtol(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

function dimOverride(v: string): [string, number] | undefined {
  const i = v.indexOf(':');
  if (i < 0 || i >= v.length - 1) return undefined;
  const n = /^\s*[+-]?\d+/.exec(v.slice(i + 1));
  if (!n || Number(n[0]) <= 0) return undefined;
  return [v.slice(0, i), Number(n[0])];
}

export function defaultPerfTestConfig(modelPath = ''): PerfTestConfig {
  return {
    mode: 'duration', repeatedTimes: 1000, durationSeconds: 600, concurrentRuns: 1, provider: 'cpu', backend: 'ort', optimization: 99,
    intraOpThreads: 0, interOpThreads: 0, freeDimByName: {}, freeDimByDenotation: {}, generateInputs: false, seed: -1, verbose: false,
    dumpStatistics: false, memoryPattern: true, cpuArena: true, parallelExecutor: false, disableSpinning: false, disableSpinningBetweenRuns: false,
    denormalAsZero: false, modelPath,
  };
}

/**
 * Parses an onnxruntime_perf_test command line (argv[0] is the program) as the real tool's getopt loop does:
 * options may be grouped (`-vI`) or carry their value attached (`-r100`), and GNU/bionic getopt lets options
 * follow the model path.
 */
export function parsePerfTestArgs(argv: string[]): PerfTestArgs {
  const c = defaultPerfTestConfig();
  const positional: string[] = [];
  const takesArg = new Set<string>();
  const flags = new Set<string>();
  for (let i = 0; i < PERF_TEST_OPTSTRING.length; i++) {
    const ch = PERF_TEST_OPTSTRING[i];
    if (PERF_TEST_OPTSTRING[i + 1] === ':') { takesArg.add(ch); i++; } else flags.add(ch);
  }
  const prog = argv[0] ?? 'onnxruntime_perf_test';
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('-') || a === '-') { positional.push(a); continue; }
    for (let j = 1; j < a.length; j++) {
      const ch = a[j];
      // Android's getopt (bionic, from OpenBSD's getopt_long.c) warns as "<argv[0]>: unknown option -- c".
      if (!takesArg.has(ch) && !flags.has(ch)) return { ok: false, help: false, error: `${prog}: unknown option -- ${ch}` };
      let v = '';
      if (takesArg.has(ch)) {
        if (j + 1 < a.length) v = a.slice(j + 1);
        else if (i + 1 < argv.length) v = argv[++i];
        else return { ok: false, help: false, error: `${prog}: option requires an argument -- ${ch}` };
        j = a.length;
      }
      switch (ch) {
        case 'f': case 'F': {
          const d = dimOverride(v);
          if (!d) return { ok: false, help: false };
          (ch === 'f' ? c.freeDimByName : c.freeDimByDenotation)[d[0]] = d[1];
          break;
        }
        case 'm':
          if (v === 'duration') c.mode = 'duration';
          else if (v === 'times') c.mode = 'times';
          else return { ok: false, help: false };
          break;
        case 'b': c.backend = v; break;
        case 'p': c.profilePrefix = v; break;
        case 'M': c.memoryPattern = false; break;
        case 'A': c.cpuArena = false; break;
        case 'e':
          if (!(PERF_TEST_PROVIDERS as readonly string[]).includes(v)) return { ok: false, help: false };
          c.provider = v;
          if (v === 'openvino') c.optimization = 0;
          break;
        case 'r': {
          const n = strtol(v);
          if (n <= 0) return { ok: false, help: false };
          c.repeatedTimes = n;
          c.mode = 'times';
          break;
        }
        case 't':
          // The real parser checks repeated_times here (not the duration), so -t 0 is accepted.
          c.durationSeconds = Math.max(0, strtol(v));
          c.mode = 'duration';
          break;
        case 's': c.dumpStatistics = true; break;
        case 'S': c.seed = strtol(v); break;
        case 'v': c.verbose = true; break;
        case 'x': { const n = strtol(v); if (n < 0) return { ok: false, help: false }; c.intraOpThreads = n; break; }
        case 'y': { const n = strtol(v); if (n < 0) return { ok: false, help: false }; c.interOpThreads = n; break; }
        case 'P': c.parallelExecutor = true; break;
        case 'c': { const n = strtol(v); if (n <= 0) return { ok: false, help: false }; c.concurrentRuns = n; break; }
        case 'o': {
          const n = strtol(v);
          if (n === 0 || n === 1 || n === 2 || n === 99) c.optimization = n;
          else if (n > 99) c.optimization = 99;
          else return { ok: false, help: false };
          break;
        }
        case 'u': c.optimizedModelPath = v; break;
        case 'I': c.generateInputs = true; break;
        case 'i': c.epRuntimeConfig = v; break;
        case 'T': c.threadAffinities = v; break;
        case 'D': c.disableSpinning = true; break;
        case 'Z': c.disableSpinningBetweenRuns = true; break;
        case 'z': c.denormalAsZero = true; break;
        case 'k': case 'd': case 'q': break; // CUDA-only or binding options: accepted, no effect on a CPU build
        case 'h': return { ok: false, help: true };
        default: return { ok: false, help: false };
      }
    }
  }
  if (positional.length === 2) c.resultFile = positional[1];
  else if (positional.length === 1) c.dumpStatistics = true;
  else return { ok: false, help: false };
  c.modelPath = positional[0];
  return { ok: true, config: c };
}

/** The command line our profiler sends to a phone's onnxruntime_perf_test. */
export function perfTestArgv(o: {
  model: string;
  runs?: number;
  seconds?: number;
  optimization?: 0 | 1 | 2 | 99;
  threads?: number;
  profilePrefix?: string;
  dims?: Record<string, number>;
  seed?: number;
  provider?: string;
}, program = 'onnxruntime_perf_test'): string[] {
  const argv = [program];
  if (o.runs !== undefined) argv.push('-m', 'times', '-r', String(o.runs));
  else if (o.seconds !== undefined) argv.push('-m', 'duration', '-t', String(o.seconds));
  argv.push('-e', o.provider ?? 'cpu', '-I');
  if (o.seed !== undefined) argv.push('-S', String(o.seed));
  if (o.optimization !== undefined) argv.push('-o', String(o.optimization));
  if (o.profilePrefix) argv.push('-p', o.profilePrefix);
  if (o.threads) argv.push('-x', String(o.threads));
  for (const [k, v] of Object.entries(o.dims ?? {})) {
    if (!k.includes(':') && Number.isInteger(v) && v > 0) argv.push('-f', `${k}:${v}`);
  }
  argv.push(o.model);
  return argv;
}

/** A number as C++'s ostream prints a double by default (%g, 6 significant digits). */
export function formatCppDouble(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant, expText] = x.toExponential(5).split('e');
  const exp = Number(expText);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 6) return `${trim(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(x.toFixed(5 - exp));
}

export interface PerfTestRunFacts {
  sessionCreationSeconds: number;
  /** The warm-up run, whole milliseconds (duration_cast<milliseconds>). */
  firstInferenceMs: number;
  /** Seconds of each measured request. */
  timeCosts: number[];
  /** Wall time from the first measured request's start to the last one's end (s). */
  runSeconds: number;
  cpuUsagePercent: number;
  peakWorkingSetBytes: number;
}

/** The index of a percentile as DumpToFile takes it: sorted[floor(total * p)]. */
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** What the real tool prints on stdout after a run (the PerformanceRunner::Run block and SerializeResult). */
export function formatPerfTestResult(f: PerfTestRunFacts, o: { dumpStatistics: boolean; resultFile?: boolean }): string {
  const n = f.timeCosts.length;
  const total = f.timeCosts.reduce((a, b) => a + b, 0);
  const g = formatCppDouble;
  const lines = [
    `Session creation time cost: ${g(f.sessionCreationSeconds)} s`,
    `First inference time cost: ${Math.trunc(f.firstInferenceMs)} ms`,
    `Total inference time cost: ${g(total)} s`,
    `Total inference requests: ${n}`,
    `Average inference time cost: ${g((total / n) * 1000)} ms`,
    `Total inference run time: ${g(f.runSeconds)} s`,
    `Number of inferences per second: ${g(n / f.runSeconds)} `,
    `Avg CPU usage: ${Math.trunc(f.cpuUsagePercent)} %`,
    `Peak working set size: ${Math.trunc(f.peakWorkingSetBytes)} bytes`,
  ];
  if (!o.resultFile) lines.push(`Avg CPU usage:${Math.trunc(f.cpuUsagePercent)}`, `Peak working set size:${Math.trunc(f.peakWorkingSetBytes)}`, `Runs:${n}`);
  if (n && (o.dumpStatistics || !o.resultFile)) lines.push(...perfTestStatistics(f.timeCosts));
  return `${lines.join('\n')}\n`;
}

export function perfTestStatistics(timeCosts: number[]): string[] {
  const s = [...timeCosts].sort((a, b) => a - b);
  const g = formatCppDouble;
  return [
    `Min Latency: ${g(s[0])} s`,
    `Max Latency: ${g(s[s.length - 1])} s`,
    `P50 Latency: ${g(pct(s, 0.5))} s`,
    `P90 Latency: ${g(pct(s, 0.9))} s`,
    `P95 Latency: ${g(pct(s, 0.95))} s`,
    `P99 Latency: ${g(pct(s, 0.99))} s`,
    `P999 Latency: ${g(pct(s, 0.999))} s`,
  ];
}

/** The lines DumpToFile appends to a result file: `model,seconds,peak_bytes,cpu,index` per run. */
export function perfTestResultFileLines(modelName: string, f: PerfTestRunFacts, dumpStatistics: boolean): string {
  const g = formatCppDouble;
  const rows = f.timeCosts.map((t, i) => `${modelName},${g(t)},${Math.trunc(f.peakWorkingSetBytes)},${Math.trunc(f.cpuUsagePercent)},${i}`);
  const stats = dumpStatistics && f.timeCosts.length ? ['', ...perfTestStatistics(f.timeCosts)] : [];
  return `${[...rows, ...stats].join('\n')}\n`;
}

export class PerfTestOutputError extends Error {}

/** What onnxruntime_perf_test printed, read back. Times in the tool's own units, converted to ms where named so. */
export interface PerfTestReport {
  sessionCreationMs?: number;
  firstInferenceMs?: number;
  totalInferenceTimeMs?: number;
  requests: number;
  averageMs: number;
  totalRunTimeMs?: number;
  inferencesPerSecond?: number;
  cpuUsagePercent?: number;
  peakWorkingSetBytes?: number;
  latencyMs?: { min: number; max: number; p50: number; p90: number; p95: number; p99: number; p999: number };
  intraOpThreads?: number;
  interOpThreads?: number;
  dimOverrides: Record<string, number>;
  denotationOverrides: Record<string, number>;
  /**
   * Which generation of the tool printed it: `ort0` (onnxruntime 0.x: "Total iterations:", "Average time cost:",
   * "Min Latency is X sec"), `ort1` ("Total inference requests:", "Average inference time cost: X ms"), `total`
   * (newest builds: "Average inference time cost total: X ms").
   */
  layout: 'ort0' | 'ort1' | 'total';
  /** An execution provider line some builds print (`using XExecutionProvider`). */
  provider?: string;
  /** Lines that say the run was not on a phone (the virtual phone's note on stderr). */
  notes: string[];
  errors: string[];
}

const NUM = '([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?|-?nan|-?inf)';

/** Reads onnxruntime_perf_test's stdout (stderr may be mixed in). */
export function parsePerfTestOutput(text: string): PerfTestReport {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const raw = (re: string): string | undefined => {
    const r = new RegExp(`^\\s*${re}`);
    for (const l of lines) {
      const m = r.exec(l);
      if (m) return m[1];
    }
    return undefined;
  };
  const get = (re: string): number | undefined => {
    const v = raw(re);
    return v === undefined ? undefined : Number(v);
  };
  // Seconds to ms without binary rounding noise: shift the decimal exponent of the printed text.
  const toMs = (v: string) => (/[eE]/.test(v) || !/^[-+]?[\d.]+$/.test(v) ? Number(v) * 1000 : Number(`${v}e3`));
  // Three layouts: onnxruntime 0.x ("Total iterations:", "Average time cost:", "Min Latency is X sec"), 1.x
  // ("Total inference requests:", "Average inference time cost:") and the newest builds ("Average inference time
  // cost total: X ms", printf-style).
  const requests = get(`Total inference requests:\\s*(\\d+)`) ?? get(`Total iterations:\\s*(\\d+)`);
  const averageTotal = get(`Average inference time cost total:\\s*${NUM} ms`);
  const average = get(`Average inference time cost:\\s*${NUM} ms`) ?? averageTotal ?? get(`Average time cost:\\s*${NUM} ms`);
  const layout: PerfTestReport['layout'] = averageTotal !== undefined ? 'total' : raw('(Total iterations:)') !== undefined ? 'ort0' : 'ort1';
  if (requests === undefined || average === undefined) {
    const failed = lines.find((l) => /^Run failed:/.test(l) || /is not supported in this build|there is no test data/.test(l));
    throw new PerfTestOutputError(
      failed
        ? `onnxruntime_perf_test did not run: ${failed.trim()}`
        : 'this is not onnxruntime_perf_test output: "Total inference requests:" and "Average inference time cost:" (or, from onnxruntime 0.x, "Total iterations:" and "Average time cost:") are missing',
    );
  }
  const s = (re: string) => { const v = raw(`${re}\\s*${NUM} s\\b`); return v === undefined ? undefined : toMs(v); };
  const lat = (k: string) => s(`${k} Latency:`) ?? (() => { const v = raw(`${k} Latency is\\s*${NUM} sec\\b`); return v === undefined ? undefined : toMs(v); })();
  const p = { min: lat('Min'), max: lat('Max'), p50: lat('P50'), p90: lat('P90'), p95: lat('P95'), p99: lat('P99'), p999: lat('P999') };
  const dimOverrides: Record<string, number> = {};
  const denotationOverrides: Record<string, number> = {};
  for (const l of lines) {
    const m = /^Overriding dimension with (name|denotation), (.*), to (-?\d+)\s*$/.exec(l);
    if (m) (m[1] === 'name' ? dimOverrides : denotationOverrides)[m[2]] = Number(m[3]);
  }
  const provider = lines.map((l) => /^using (\w+ExecutionProvider)\s*$/.exec(l)?.[1]).find(Boolean);
  return {
    sessionCreationMs: s('Session creation time cost:'),
    firstInferenceMs: get(`First inference time cost:\\s*${NUM} ms`),
    totalInferenceTimeMs: s('Total inference time cost:') ?? (() => { const v = raw(`Total time cost:\\s*${NUM}\\s*$`); return v === undefined ? undefined : toMs(v); })(),
    requests,
    averageMs: average,
    totalRunTimeMs: s('Total inference run time:') ?? s('Total run time:'),
    inferencesPerSecond: get(`Number of inferences per second:\\s*${NUM}`),
    cpuUsagePercent: get(`Avg CPU usage:\\s*${NUM}`),
    peakWorkingSetBytes: get(`Peak working set size:\\s*(\\d+)`),
    latencyMs: Object.values(p).every((v) => v !== undefined) ? (p as NonNullable<PerfTestReport['latencyMs']>) : undefined,
    intraOpThreads: get('Setting intra_op_num_threads to (\\d+)'),
    interOpThreads: get('Setting inter_op_num_threads to (\\d+)'),
    dimOverrides,
    denotationOverrides,
    provider,
    layout,
    notes: lines.filter((l) => /virtual phone/i.test(l)).map((l) => l.trim()),
    errors: lines.filter((l) => /^Run failed:|AddFreeDimensionOverride\w* failed/.test(l)).map((l) => l.trim()),
  };
}

/** The profile file name onnxruntime's profiler gives a prefix: `<prefix>_YYYY-MM-DD_HH-MM-SS.json` (local time). */
export function ortProfileFileName(prefix: string, when = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${prefix}_${when.getFullYear()}-${p(when.getMonth() + 1)}-${p(when.getDate())}_${p(when.getHours())}-${p(when.getMinutes())}-${p(when.getSeconds())}.json`;
}

/** Matches both namings: `_YYYY-MM-DD_HH-MM-SS.json` and, from onnxruntime 1.30 (seen from onnxruntime-node 1.30.0), `…_HH-MM-SS_mmm.json`. */
export const ORT_PROFILE_FILE_RE = /_(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{2})(?:_(\d{3}))?\.json$/;
