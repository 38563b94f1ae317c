import * as os from 'node:os';
import type { CommandTable, CommandContext, Io } from './types';
import { cppNumber, mean, statLine } from '../../litert/format';
import { LiteRtError, runLiteRt, type LiteRtRun } from '../../litert/runtime';
import { summarizeTfliteFile, type TfliteSummary } from '../../tflite/summary';
import { TfliteFormatError } from '../../tflite/reader';

/**
 * TFLite's `benchmark_model` on the virtual phone: the model runs with LiteRT.js (WebAssembly, XNNPACK) on the host
 * CPU, and the output has the real tool's lines for what was measured, so everything that reads a phone's
 * benchmark_model output (the profiler, `mobileai profile import`) reads this one too.
 *
 * Behaviour and format facts, from tensorflow/lite/tools/benchmark/ and tensorflow/lite/tools/:
 * - logging.h: TFLITE_LOG(INFO) writes `INFO: <msg>` to stdout, WARN `WARN: ` to stdout, ERROR `ERROR: ` to stderr.
 * - benchmark_main.cc: `STARTING!` first; a failed run ends with `ERROR: Benchmarking failed.` and exit 1.
 * - command_line_flags.cc: flags are `--name=value`; bools take true/false/1/0; a bad value logs
 *   `Failed to parse flag '<name>' against argv '<arg>'` then the usage (ERROR); unknown flags are left over and
 *   logged as `Unconsumed cmdline flags: …` (WARN) by BenchmarkModel::ParseFlags.
 * - tool_params.h LOG_TOOL_PARAM: `<description>: [<value>]` for each flag given on the command line (every
 *   flag with --verbose=true), bools as 1/0, in BenchmarkModel::LogParams then BenchmarkTfLiteModel::LogParams
 *   order, then the delegate providers'; `Graph` is always logged; first `Log parameter values verbosely: [0]`.
 * - benchmark_tflite_model.cc: ValidateParams refuses a missing --graph and --input_layer/--input_layer_shape
 *   counts that differ, or -1 dims; LoadModel logs `Loaded model <graph>` (or `Failed to mmap model <graph>`);
 *   Init warns `Tensor # <i> is named <t> but flags call it <n>` and refuses a wrong number of dimensions;
 *   random inputs are float32 uniform [-0.5, 0.5), int32 0..99, uint8 0..254.
 * - benchmark_model.cc: `The input model file size (MB): <bytes/1e6>`, `Initialized session in <us/1e3>ms.`,
 *   each loop `Running benchmark for at least N iterations and at least S seconds but terminate if exceeding M
 *   seconds.` then its Stat line and an empty line (warm-up, then regular runs); OnBenchmarkEnd prints
 *   `Inference timings in us: Init: …, First inference: …, Warmup (avg): …, Inference (avg): …`, the
 *   APPROXIMATE note, `Memory footprint delta from the start of the tool (MB): init=… overall=…` and, with
 *   --report_peak_memory_footprint=true, `Overall peak memory footprint (MB) via periodic monitoring: …`.
 *   Defaults: num_runs 50, min_secs 1, max_secs 150, warmup_runs 1, warmup_min_secs 0.5, num_threads -1.
 *
 * What is ours (on stderr, as log lines): that LiteRT.js ran on the host CPU, and what it could not do
 * (per-op profiling, threads, other delegates, resizing inputs). Memory numbers are the LiteRT.js process's
 * maximum resident set size, as the real tool's footprint is its own process's.
 */

type Kind = 'int' | 'float' | 'bool' | 'string';
interface Param { name: string; kind: Kind; def: number | boolean | string; label: string; help: string }

/** The flags we take, in the order LogParams logs them. */
const PARAMS: Param[] = [
  { name: 'num_runs', kind: 'int', def: 50, label: 'Min num runs', help: 'minimum measured runs (min_secs may add more)' },
  { name: 'min_secs', kind: 'float', def: 1, label: 'Min runs duration (seconds)', help: 'keep running until this many seconds have passed' },
  { name: 'max_secs', kind: 'float', def: 150, label: 'Max runs duration (seconds)', help: 'start no run after this many seconds' },
  { name: 'num_threads', kind: 'int', def: -1, label: 'Num threads', help: 'threads (LiteRT.js runs on one)' },
  { name: 'warmup_runs', kind: 'int', def: 1, label: 'Min warmup runs', help: 'minimum warm-up runs' },
  { name: 'warmup_min_secs', kind: 'float', def: 0.5, label: 'Min warmup runs duration (seconds)', help: 'keep warming up until this many seconds have passed' },
  { name: 'verbose', kind: 'bool', def: false, label: '', help: 'log every parameter' },
  { name: 'report_peak_memory_footprint', kind: 'bool', def: false, label: 'Report the peak memory footprint', help: 'report the peak memory of the process' },
  { name: 'graph', kind: 'string', def: '', label: 'Graph', help: 'the .tflite file' },
  { name: 'input_layer', kind: 'string', def: '', label: 'Input layers', help: 'input names, comma-separated' },
  { name: 'input_layer_shape', kind: 'string', def: '', label: 'Input shapes', help: 'their shapes, e.g. 1,224,224,3:1,20' },
  { name: 'allow_fp16', kind: 'bool', def: false, label: 'Allow fp16', help: 'allow fp16' },
  { name: 'require_full_delegation', kind: 'bool', def: false, label: 'Require full delegation', help: 'require delegate to run the entire graph' },
  { name: 'enable_op_profiling', kind: 'bool', def: false, label: 'Enable op profiling', help: 'per-op times (not available in LiteRT.js)' },
  { name: 'op_profiling_output_mode', kind: 'string', def: 'stdout', label: 'Op profiling output mode.', help: "Output mode for op profiling results. Supported values are: 'stdout', 'csv' and 'proto'." },
  { name: 'op_profiling_output_file', kind: 'string', def: '', label: 'Op profiling output file.', help: 'Output file for op profiling results.' },
  { name: 'max_profiling_buffer_entries', kind: 'int', def: 1024, label: 'Max initial profiling buffer entries', help: 'max initial profiling buffer entries' },
  { name: 'allow_dynamic_profiling_buffer_increase', kind: 'bool', def: false, label: 'Allow dynamic increase on profiling buffer entries', help: 'allow dynamic increase on profiling buffer entries' },
  { name: 'profiling_output_csv_file', kind: 'string', def: '', label: 'CSV File to export profiling data to', help: '[DEPRECATED: Use op_profiling_output_file and op_profiling_output_mode instead] File path to export profile data as CSV, if not set prints to stdout.' },
  { name: 'print_preinvoke_state', kind: 'bool', def: false, label: 'Print pre-invoke interpreter state', help: 'print out the interpreter internals just before calling Invoke (not available in LiteRT.js)' },
  { name: 'print_postinvoke_state', kind: 'bool', def: false, label: 'Print post-invoke interpreter state', help: 'print out the interpreter internals just before benchmark completes (not available in LiteRT.js)' },
  { name: 'use_xnnpack', kind: 'bool', def: false, label: 'Use xnnpack', help: 'XNNPACK (LiteRT.js always uses it)' },
  { name: 'use_gpu', kind: 'bool', def: false, label: 'Use gpu', help: 'GPU delegate (not available here)' },
  { name: 'use_nnapi', kind: 'bool', def: false, label: 'Use NNAPI', help: 'NNAPI delegate (not available here)' },
];

type Values = Record<string, number | boolean | string>;

function parseValue(p: Param, text: string): number | boolean | string | undefined {
  switch (p.kind) {
    case 'bool': return ['true', '1'].includes(text) ? true : ['false', '0'].includes(text) ? false : undefined;
    case 'int': return /^[-+]?\d+$/.test(text.trim()) && Math.abs(Number(text)) <= 2 ** 31 - 1 ? Number(text) : undefined;
    case 'float': { const v = Number(text); return text.trim() !== '' && Number.isFinite(v) ? v : undefined; }
    default: return text;
  }
}

function shown(p: Param, v: number | boolean | string): string {
  if (p.kind === 'bool') return v ? '1' : '0';
  if (p.kind === 'float') return cppNumber(v as number);
  return String(v);
}

/** Flags::Usage (tflite/tools/command_line_flags.cc): "usage: <argv[0]> <flags>", then one tab-separated line a flag. */
function usage(cmdline: string): string {
  const cols = PARAMS.map((p) => `--${p.name}=${p.kind === 'bool' ? String(p.def) : p.def}`);
  const w = Math.max(...cols.map((c) => c.length));
  const type = { int: 'int32', float: 'float', bool: 'bool', string: 'string' };
  return [`usage: ${cmdline} <flags>`, 'Flags:', ...PARAMS.map((p, i) => `\t${cols[i].padEnd(w)}\t${type[p.kind]}\toptional\t${p.help}`)].join('\n');
}

async function benchmarkModel(argv: string[], io: Io, ctx: CommandContext): Promise<number> {
  const info = (s: string) => io.out(`INFO: ${s}\n`);
  const warn = (s: string) => io.out(`WARN: ${s}\n`);
  const error = (s: string) => io.err(`ERROR: ${s}\n`);
  const fail = async () => { await error('Benchmarking failed.'); return 1; };
  await info('STARTING!');

  const values: Values = {};
  const given = new Set<string>();
  const left: string[] = [];
  let parsed = true;
  let help = false;
  for (const arg of argv.slice(1)) {
    // --help is a bool flag (default_execution_provider.cc): only "--help=true|1" asks for the usage; a bare
    // "--help" does not match "--help=" and is left over like any unknown argument.
    if (/^--help=/.test(arg)) {
      const v = arg.slice('--help='.length);
      if (!['true', '1', 'false', '0'].includes(v)) { await error(`Failed to parse flag 'help' against argv '${arg}'`); parsed = false; continue; }
      help = v === 'true' || v === '1';
      continue;
    }
    const p = PARAMS.find((x) => arg.startsWith(`--${x.name}=`));
    if (!p) { left.push(arg); continue; }
    const v = parseValue(p, arg.slice(p.name.length + 3));
    if (v === undefined) { await error(`Failed to parse flag '${p.name}' against argv '${arg}'`); parsed = false; continue; }
    values[p.name] = v;
    given.add(p.name);
  }
  if (!parsed || help) { await error(usage(argv[0] ?? 'benchmark_model')); return fail(); }
  if (left.length) await warn(`Unconsumed cmdline flags: ${left.join(' ')}`);
  const get = <T extends number | boolean | string>(name: string): T => (values[name] ?? PARAMS.find((p) => p.name === name)?.def) as T;

  // ValidateParams.
  const graph = get<string>('graph');
  if (!graph) { await error('Please specify the name of your TF Lite input file with --graph'); return fail(); }
  if (get<boolean>('enable_op_profiling') && !['stdout', 'csv', 'proto'].includes(get<string>('op_profiling_output_mode'))) {
    await error(`Output mode${get<string>('op_profiling_output_mode')} is not supported. Supported values are: 'stdout', 'csv' and 'proto'.`);
    return fail();
  }
  const names = get<string>('input_layer') ? get<string>('input_layer').split(',') : [];
  const shapesText = get<string>('input_layer_shape');
  const shapes = shapesText ? shapesText.split(':') : [];
  if (names.length !== shapes.length) {
    await error(`The number of items in --input_layer_shape (${shapesText}, with ${shapes.length} items) must match the number of items in --input_layer (${get<string>('input_layer')}, with ${names.length} items). For example --input_layer=input1,input2 --input_layer_shape=1,224,224,4:1,20`);
    return fail();
  }
  const layerShapes: number[][] = [];
  for (const s of shapes) {
    const dims = s.split(',').map((d) => Number(d));
    if (dims.some((d) => !Number.isInteger(d))) { await io.err(`FATAL: Incorrect size string specified: ${s}\n`); return 134; }
    if (dims.includes(-1)) { await error('Any unknown sizes in the shapes (-1\'s) must be replaced with the size you want to benchmark with.'); return fail(); }
    layerShapes.push(dims);
  }

  // LogParams.
  const verbose = get<boolean>('verbose');
  await info(`Log parameter values verbosely: [${verbose ? 1 : 0}]`);
  const log = async (name: string, label?: string) => {
    const p = PARAMS.find((x) => x.name === name) as Param;
    if (verbose || given.has(name) || name === 'graph') await info(`${label ?? p.label}: [${shown(p, get(name))}]`);
  };
  for (const name of [
    'num_runs', 'min_secs', 'max_secs', 'num_threads', 'warmup_runs', 'warmup_min_secs', 'report_peak_memory_footprint', 'graph', 'input_layer', 'input_layer_shape',
    'allow_fp16', 'require_full_delegation', 'enable_op_profiling', 'op_profiling_output_mode', 'op_profiling_output_file', 'max_profiling_buffer_entries',
    'allow_dynamic_profiling_buffer_increase', 'profiling_output_csv_file', 'print_preinvoke_state', 'print_postinvoke_state',
  ]) await log(name);
  await log('num_threads', '#threads used for CPU inference');
  for (const name of ['use_xnnpack', 'use_gpu', 'use_nnapi']) await log(name);

  // Init: the model.
  let host: string;
  let summary: TfliteSummary;
  try {
    host = await ctx.fs.resolve(graph, ctx.cwd, 'read', ctx.uid);
    summary = await summarizeTfliteFile(host);
  } catch (e) {
    if (e instanceof TfliteFormatError) await io.err(`ERROR: ${e.message}\n`);
    await error(`Failed to mmap model ${graph}`);
    return fail();
  }
  await info(`Loaded model ${graph}`);
  await io.err(`INFO: mobileai virtual phone: this benchmark_model runs the model with LiteRT.js (WebAssembly, XNNPACK) on the host CPU (${os.arch()}, one thread), not on a phone: the times are this computer's.\n`);
  if (get<boolean>('enable_op_profiling')) await io.err('WARN: --enable_op_profiling=true: per-op profiling is not available in LiteRT.js (its API has no op profiler), so no op table is printed. Run benchmark_model on a phone for per-op times.\n');
  if (get<boolean>('print_preinvoke_state') || get<boolean>('print_postinvoke_state')) await io.err('WARN: --print_preinvoke_state/--print_postinvoke_state: the interpreter state (PrintInterpreterState) is not available in LiteRT.js; not printed.\n');
  if (get<number>('num_threads') > 1) await io.err(`WARN: --num_threads=${get<number>('num_threads')}: LiteRT.js runs on one thread under Node; the model ran single-threaded.\n`);
  if (given.has('use_xnnpack') && !get<boolean>('use_xnnpack')) await io.err('WARN: --use_xnnpack=false: LiteRT.js always runs with XNNPACK; it was not turned off.\n');
  if (get<boolean>('use_gpu') || get<boolean>('use_nnapi')) await io.err(`WARN: ${get<boolean>('use_gpu') ? '--use_gpu' : '--use_nnapi'}=true: no such delegate in LiteRT.js under Node; the model ran on the CPU.\n`);

  // Init: --input_layer / --input_layer_shape against the model's inputs.
  if (names.length) {
    if (names.length !== summary.inputs.length) {
      await io.err(`FATAL: Inputs mismatch: Model inputs #:${names.length} expected: ${summary.inputs.length}\n`);
      return 134;
    }
    for (let j = 0; j < names.length; j++) {
      const t = summary.inputs[j];
      if (names[j] !== t.name) await warn(`Tensor # ${t.index} is named ${t.name} but flags call it ${names[j]}`);
      if (layerShapes[j].length !== t.shape.length) { await error(`Input tensor #${t.index} should have ${t.shape.length} dimensions!`); return fail(); }
      if (layerShapes[j].some((d, i) => t.shape[i] !== null && t.shape[i] !== d) || t.shape.some((d) => d === null)) {
        await error(`LiteRT.js cannot resize inputs: ${t.name} is [${t.shape.map((d) => d ?? -1).join(',')}] in the model and --input_layer_shape asks for [${layerShapes[j].join(',')}]`);
        return fail();
      }
    }
  }

  let r: LiteRtRun;
  try {
    r = await runLiteRt(host, {
      numRuns: Math.max(0, get<number>('num_runs')), minSecs: get<number>('min_secs'), maxSecs: get<number>('max_secs'),
      warmupRuns: Math.max(0, get<number>('warmup_runs')), warmupMinSecs: get<number>('warmup_min_secs'),
      seed: (Date.now() & 0x7fffffff) || 1, signal: ctx.signal,
    });
  } catch (e) {
    await error(e instanceof LiteRtError ? e.message : String(e));
    return fail();
  }
  for (const l of r.runtimeLog) await io.err(`${l}\n`);
  await info(`The input model file size (MB): ${cppNumber(r.fileBytes / 1e6)}`);
  await info(`Initialized session in ${cppNumber(r.initUs / 1e3)}ms.`);
  const loop = async (runs: number, minSecs: number, times: number[]) => {
    await info(`Running benchmark for at least ${runs} iterations and at least ${cppNumber(minSecs)} seconds but terminate if exceeding ${cppNumber(get<number>('max_secs'))} seconds.`);
    await info(`${statLine(times)}\n`);
  };
  await loop(get<number>('warmup_runs'), get<number>('warmup_min_secs'), r.warmupUs);
  await loop(get<number>('num_runs'), get<number>('min_secs'), r.runsUs);
  await info(`Inference timings in us: Init: ${r.initUs}, First inference: ${r.warmupUs[0] ?? 0}, Warmup (avg): ${cppNumber(mean(r.warmupUs))}, Inference (avg): ${cppNumber(mean(r.runsUs))}`);
  await info('Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.');
  await info(`Memory footprint delta from the start of the tool (MB): init=${cppNumber((r.maxRssKb.init - r.maxRssKb.start) / 1024)} overall=${cppNumber((r.maxRssKb.end - r.maxRssKb.start) / 1024)}`);
  if (get<boolean>('report_peak_memory_footprint')) await info(`Overall peak memory footprint (MB) via periodic monitoring: ${cppNumber(r.maxRssKb.end / 1024)}`);
  return 0;
}

export const BENCHMARK_MODEL: CommandTable = { benchmark_model: benchmarkModel };
