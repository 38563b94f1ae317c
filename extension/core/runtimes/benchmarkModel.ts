import type { Delegation, NodeTime, OpTypeTime, ProfileResult, Stats, TimelineEvent } from '../profile/types';

/**
 * TFLite/LiteRT `benchmark_model` output, every layout real builds print.
 *
 * Format facts (see test/unit/benchmarkModel.test.ts for the samples and where each came from):
 * - The op tables come from StatsCalculator (tensorflow/core/util/stats_calculator.cc, now
 *   third_party/xla/xla/tsl/util/stats_calculator.cc): each field is a tab then a right-aligned value
 *   (3 decimals); older builds have `[start]` between `[node type]` and `[first]`, current ones do not and
 *   widen the node type to 40. `avg ms` is per call (elapsed_time.avg over every call), `times called` is calls
 *   per run, `%` is the node's share of the op time. CSV mode (`--op_profiling_output_mode=csv`) prints
 *   `node type, [start, ]first, avg_ms, %, cdf%, mem KB, times called, name` unpadded.
 * - Names (tflite/profiling/profile_summarizer.cc): interpreter ops are `[out1, out2]:node_index`, ops a
 *   delegate profiles itself (XNNPACK) are `Delegate/<op>:<index>` with the op as node type, other events are
 *   `<tag>/<subgraph>` (AllocateTensors/0, ModifyGraphWithDelegate/0).
 * - Sections (tflite/profiling/profile_summary_formatter.cc): `Profiling Info for Benchmark Initialization:`,
 *   `Operator-wise Profiling Info for Regular Benchmark Runs:`; with more than one subgraph `Primary graph
 *   profile:` / `Subgraph (index: N) profile:` (current: `Primary graph (name: X) profile:` /
 *   `Subgraph (index: N, name: X) profile:`), then `Delegate internal:`.
 * - Run statistics (Stat::OutputToStream): `count=N first=F curr=C min=A max=B avg=V std=S`, or
 *   `count=N curr=C(all same)` / `count=1 curr=C`, with ` p5=… median=… p95=…` from StatWithPercentiles in
 *   newer builds; the first is the warm-up, the second the regular runs (benchmark_model.cc, Run()).
 * - `Inference timings in us: Init: …, First inference: …, Warmup (avg): …, Inference (avg): …`,
 *   `Memory footprint delta from the start of the tool (MB): init=… overall=…` (TF 2.4 and earlier:
 *   `Peak memory footprint (MB): init=… overall=…`), `Overall peak memory footprint (MB) via periodic
 *   monitoring: …`. Numbers are C++ stream output, so `2.95034e+06` appears.
 * - tflite/core/subgraph.cc: `Replacing N out of M node(s) with delegate (TfLiteXNNPackDelegate) node,
 *   yielding K partitions for subgraph S (name).` (older: `… for the whole graph.`).
 * - TF 1.x (tflite/tools/benchmark, 1.12–1.15): `Running benchmark for N iterations`, `Average inference timings in
 *   us: Warmup: W, Init: I, no stats: X` (the Android benchmark app: `…, Inference: X`), op tables with no
 *   section title.
 * - Log prefixes: `INFO: ` / `WARNING: ` / `ERROR: ` (tflite/tools/logging.h), logcat `I tflite  : ` and
 *   `MM-DD hh:mm:ss.mmm I/tflite  ( pid): ` (and threadtime's `MM-DD hh:mm:ss.mmm  pid  tid I tflite  : `).
 * - LiteRT 2.x (litert/tools/benchmark_litert_model.h, litert/runtime/profiler_summarizer.cc): LITERT_LOG lines
 *   `INFO: [file:line] …`, a `========== BENCHMARK RESULTS ==========` block in ms (`Inference (avg): X ms (N runs)`),
 *   and its own summary whose `times called` counts every profiled run (warm-up included).
 * - What benchmark_tflite_model.cc says of an applied delegate: `Explicitly applied GPU delegate, and the model graph
 *   will be completely|partially executed by the delegate[ w/ N delegate kernels].` / `Though NNAPI delegate is
 *   explicitly applied, the model graph will not be executed by the delegate.`
 */

export class BenchmarkModelOutputError extends Error {}

export interface RunStat {
  count: number;
  first?: number;
  curr: number;
  min: number;
  max: number;
  avg: number;
  std: number;
  p5?: number;
  median?: number;
  p95?: number;
  allSame: boolean;
}

export type BenchmarkSection = 'init' | 'run';

export interface BenchmarkOpRow {
  section: BenchmarkSection;
  /** 0 for the primary graph. */
  subgraph: number;
  /** In the `Delegate internal:` part (DelegateOpInvoke events of a delegate's own profiler). */
  delegateInternal: boolean;
  type: string;
  startMs?: number;
  firstMs: number;
  /** Per call. */
  avgMs: number;
  percent: number;
  cdfPercent: number;
  memKb: number;
  timesCalled: number;
  name: string;
  nodeIndex?: number;
  outputs?: string[];
  /** `Delegate/<op>:<i>`: an op a delegate ran and profiled itself. */
  delegatedOp: boolean;
}

export interface DelegateApplied {
  delegate: string;
  label: string;
  replaced: number;
  total: number;
  partitions: number;
  subgraph?: number;
}

export interface BenchmarkModelReport {
  format: 'stdout' | 'csv';
  /**
   * `with-start`: builds with the `[start]` column (TF ≤ 2.15 era); `current`: LiteRT without it; `litert2`: LiteRT
   * 2.x's own profile summary (litert/runtime/profiler_summarizer.cc: `[Builtin]:N` / `[Delegate]:N` names, and
   * `times called` counted over every run the profiler saw, warm-up included, not per run).
   */
  layout?: 'with-start' | 'current' | 'litert2';
  /** litert2: the runs `times called` was counted over (warm-up + regular runs), when the output says how many. */
  callsCountedOverRuns?: number;
  graph?: string;
  params: Record<string, string>;
  runStats: RunStat[];
  warmup?: RunStat;
  regular?: RunStat;
  timings?: { initUs: number; firstUs: number; warmupAvgUs: number; inferenceAvgUs: number };
  memory: { initDeltaMb?: number; overallDeltaMb?: number; peakMb?: number; legacyPeak?: boolean };
  delegates: DelegateApplied[];
  delegateNotes: string[];
  /**
   * What benchmark_tflite_model.cc said of each delegate it applied: "Explicitly applied GPU delegate, and the model
   * graph will be completely executed by the delegate." (`all`), "… partially executed by the delegate w/ 44 delegate
   * kernels." (`partial`), "Though NNAPI delegate is explicitly applied, the model graph will not be executed by the
   * delegate." (`none`).
   */
  delegateUse: Array<{ delegate: string; label: string; executed: 'all' | 'partial' | 'none'; kernels?: number }>;
  /** The "Summary by node type" tables: per op type, time per run (all its nodes, every call), node count, calls per run. */
  typeSummary: Array<{ section: BenchmarkSection; subgraph: number; delegateInternal: boolean; type: string; count: number; avgMs: number; percent: number; memKb: number; timesCalled: number }>;
  rows: BenchmarkOpRow[];
  /** The op profiler's own per-subgraph totals (`Timings (microseconds): …`), per section. */
  opTotals: Array<{ section: BenchmarkSection; subgraph: number; delegateInternal: boolean; stat: RunStat }>;
  subgraphNames: Record<number, string>;
}

const NUM = '-?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?|-?nan|-?inf';

export function parseRunStat(s: string): RunStat | undefined {
  const m = /count=(\d+)(.*)$/.exec(s);
  if (!m) return undefined;
  const rest = m[2];
  const f = (k: string) => {
    const r = new RegExp(`(?:^|\\s)${k}=(${NUM})`).exec(rest);
    return r ? Number(r[1]) : undefined;
  };
  const count = Number(m[1]);
  const curr = f('curr') ?? NaN;
  const allSame = /\(all same\)/.test(rest) || (f('avg') === undefined && count >= 1);
  const min = f('min') ?? curr;
  const max = f('max') ?? curr;
  const avg = f('avg') ?? curr;
  return { count, first: f('first'), curr, min, max, avg, std: f('std') ?? 0, p5: f('p5'), median: f('median'), p95: f('p95'), allSame };
}

/** Strips the log prefixes real outputs carry (INFO:, logcat's `I tflite  :` forms). */
export function stripLogPrefix(line: string): string {
  return line
    .replace(/^\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+\s+(?:\d+\s+\d+\s+)?[VDIWEF][/ ]tflite\s*(?:\(\s*\d+\s*\))?\s*:\s?/, '')
    .replace(/^[VDIWEF][/ ]tflite\s*(?:\(\s*\d+\s*\))?\s*:\s?/, '')
    .replace(/^(?:INFO|WARNING|WARN|ERROR|VERBOSE|DEBUG): /, '')
    // LiteRT 2.x (LITERT_LOG): "INFO: [benchmark_litert_model.h:94] …".
    .replace(/^\[[\w.-]+:\d+\] ?/, '');
}

const LABELS: Array<[RegExp, string]> = [
  [/xnnpack/i, 'XNNPACK'],
  [/gpu/i, 'GPU'],
  [/nnapi/i, 'NNAPI'],
  [/hexagon/i, 'Hexagon'],
  [/coreml/i, 'Core ML'],
  [/qnn/i, 'QNN'],
  [/flex/i, 'Flex (TF ops)'],
];

export function delegateLabel(kernel: string): string {
  for (const [re, l] of LABELS) if (re.test(kernel)) return l;
  return kernel.replace(/^TfLite/, '').replace(/Delegate(V2)?$/, '') || kernel;
}

/** A node type that is a delegate's kernel in the interpreter's plan (TfLiteXNNPackDelegate, TfLiteGpuDelegateV2…). */
export function isDelegateKernel(type: string, known: Iterable<string> = []): boolean {
  const base = type.split('/')[0];
  for (const k of known) if (base === k) return true;
  return /^TfLite\w*Delegate\w*$/.test(base) || /Delegate(V2)?$/.test(base) || base === 'DELEGATE';
}

function splitName(name: string): Pick<BenchmarkOpRow, 'nodeIndex' | 'outputs' | 'delegatedOp'> {
  // LiteRT 2.x's summarizer names nodes by kind and index only.
  const lr = /^\[(Builtin|Delegate)\]:(\d+)$/.exec(name);
  if (lr) return { nodeIndex: Number(lr[2]), delegatedOp: lr[1] === 'Delegate' };
  const op = /^\[(.*)\]:(\d+)$/.exec(name);
  if (op) return { outputs: op[1] ? op[1].split(/,\s|\t/) : [], nodeIndex: Number(op[2]), delegatedOp: false };
  const d = /^Delegate\/(.*):(\d+)$/.exec(name);
  if (d) return { nodeIndex: Number(d[2]), delegatedOp: true };
  return { delegatedOp: false };
}

function rowRegex(withStart: boolean, csv: boolean): RegExp {
  const n = `(${NUM})`;
  if (csv) return new RegExp(`^(.+?), ${withStart ? `${n}, ` : ''}${n}, ${n}, ${n}%, ${n}%, ${n}, (\\d+), (.*)$`);
  return new RegExp(`^\\s*(.+?)\\s+${withStart ? `${n}\\s+` : ''}${n}\\s+${n}\\s+${n}%\\s+${n}%\\s+${n}\\s+(\\d+)\\s+(.+?)\\s*$`);
}

function parseRow(line: string, withStart: boolean | undefined, csv: boolean): (Omit<BenchmarkOpRow, 'section' | 'subgraph' | 'delegateInternal'> & { withStart: boolean }) | undefined {
  const tries = withStart === undefined ? [true, false] : [withStart];
  for (const ws of tries) {
    const m = rowRegex(ws, csv).exec(line);
    if (!m) continue;
    const v = m.slice(2).map((x) => x);
    let i = 0;
    const startMs = ws ? Number(v[i++]) : undefined;
    const firstMs = Number(v[i++]);
    const avgMs = Number(v[i++]);
    const percent = Number(v[i++]);
    const cdfPercent = Number(v[i++]);
    const memKb = Number(v[i++]);
    const timesCalled = Number(v[i++]);
    const name = v[i++].trim();
    const parts = splitName(name);
    // LiteRT 2.x types a delegate-profiled op "Delegate/<op>" (its name is "[Delegate]:N").
    const type = parts.delegatedOp && /^Delegate\//.test(m[1].trim()) ? m[1].trim().slice('Delegate/'.length) : m[1].trim();
    return { type, startMs, firstMs, avgMs, percent, cdfPercent, memKb, timesCalled, name, ...parts, withStart: ws };
  }
  return undefined;
}

/** Reads benchmark_model's stdout/stderr (or the file of --op_profiling_output_file, stdout or CSV mode). */
export function parseBenchmarkModel(text: string, opts: { format?: 'auto' | 'stdout' | 'csv' } = {}): BenchmarkModelReport {
  const raw = text.replace(/\r\n?/g, '\n').split('\n');
  const lines = raw.map(stripLogPrefix);
  const r: BenchmarkModelReport = { format: 'stdout', params: {}, runStats: [], memory: {}, delegates: [], delegateNotes: [], delegateUse: [], typeSummary: [], rows: [], opTotals: [], subgraphNames: {} };
  let section: BenchmarkSection | undefined;
  let subgraph = 0;
  let delegateInternal = false;
  let table: 'order' | 'summary' | 'other' | undefined;
  let withStart: boolean | undefined;
  let csv = opts.format === 'csv';
  // Each "Running benchmark for …" header starts a run phase (warm-up, then regular); its count= line follows.
  let runHeaders = 0;
  const statHeader: number[] = [];
  // LiteRT 2.x (litert/tools/benchmark_litert_model.h, BenchmarkLoggingListener::OnBenchmarkEnd): a results block in
  // ms with 2 decimals, "Warmup (avg): X ms (N runs)", "Inference (avg): X ms (N runs)", min, max, std, footprints.
  const lr: Partial<Record<'init' | 'warmFirst' | 'warmAvg' | 'warmRuns' | 'avg' | 'runs' | 'min' | 'max' | 'std', number>> = {};
  for (const line of lines) {
    const t = line.trim();
    if (/^Profiling Info for Benchmark Initialization:/.test(t)) { section = 'init'; subgraph = 0; delegateInternal = false; table = undefined; continue; }
    if (/^Operator-wise Profiling Info for Regular Benchmark Runs:/.test(t)) { section = 'run'; subgraph = 0; delegateInternal = false; table = undefined; continue; }
    let m = /^Primary graph(?: \(name: (.*)\))? (?:profile|summary):$/.exec(t);
    if (m) { subgraph = 0; delegateInternal = false; if (m[1]) r.subgraphNames[0] = m[1]; continue; }
    m = /^Subgraph \(index: (\d+)(?:, name: (.*?))?\) (?:profile|summary):$/.exec(t);
    if (m) { subgraph = Number(m[1]); delegateInternal = false; if (m[2]) r.subgraphNames[subgraph] = m[2]; continue; }
    if (/^Delegate internal:\s*$/.test(t)) { delegateInternal = true; table = undefined; continue; }
    m = /^=+ (.+?) =+$/.exec(t);
    if (m) { table = m[1] === 'Run Order' ? 'order' : m[1] === 'Summary by node type' ? 'summary' : 'other'; continue; }
    if (/\[node type\]/.test(t) || /^node type, /.test(t)) {
      const isCsv = /^node type, /.test(t);
      if (isCsv) csv = true;
      const ws = isCsv ? /^node type, start,/.test(t) : /\[start\]/.test(t);
      if (/\[node type\]|^node type, (start, )?first/.test(t)) { withStart = ws; r.layout = ws ? 'with-start' : 'current'; }
      continue;
    }
    if (/^\[Node type\]|^node type, count,/.test(t)) continue;
    m = /^(?:Subgraph \(index: (\d+)(?:, name: .*?)?\) )?Timings \(microseconds\): (count=.*)$/.exec(t);
    if (m) {
      const stat = parseRunStat(m[2]);
      if (stat && section) r.opTotals.push({ section, subgraph: m[1] ? Number(m[1]) : delegateInternal ? -1 : subgraph, delegateInternal, stat });
      table = undefined;
      continue;
    }
    if (!t) { table = undefined; continue; }
    // TF 1.x printed the op tables with no section title: they are the regular runs'.
    if (table === 'order' && !section) section = 'run';
    if (table === 'order' && section) {
      const row = parseRow(csv ? t : line, withStart, csv);
      if (row) {
        const { withStart: ws, ...rest } = row;
        if (withStart === undefined) { withStart = ws; r.layout = ws ? 'with-start' : 'current'; }
        r.rows.push({ section, subgraph, delegateInternal, ...rest });
        continue;
      }
    }
    if (table === 'summary') {
      // StatsCalculator::GetStatsByNodeType: node type, count, avg ms (per run, all nodes of the type), avg %, cdf %, mem KB, times called.
      const n = `(${NUM})`;
      const sm = (csv ? new RegExp(`^(.+?), (\\d+), ${n}, ${n}%, ${n}%, ${n}, (\\d+)$`) : new RegExp(`^\\s*(.+?)\\s+(\\d+)\\s+${n}\\s+${n}%\\s+${n}%\\s+${n}\\s+(\\d+)\\s*$`)).exec(csv ? t : line);
      if (sm) {
        r.typeSummary.push({ section: section ?? 'run', subgraph, delegateInternal, type: sm[1].trim(), count: Number(sm[2]), avgMs: Number(sm[3]), percent: Number(sm[4]), memKb: Number(sm[6]), timesCalled: Number(sm[7]) });
        continue;
      }
    }
    if (/^Running benchmark for /.test(t)) { runHeaders++; continue; }
    {
      const n = `(${NUM})`;
      const lm = new RegExp(`^(Model initialization|Warmup \\(first\\)|Warmup \\(avg\\)|Inference \\(avg\\)|Inference \\(min\\)|Inference \\(max\\)|Inference \\(std\\)|Init footprint|Overall footprint|Peak memory):\\s+${n}(?: (ms|MB))?(?: \\((\\d+) runs\\))?$`).exec(t);
      if (lm) {
        const v = Number(lm[2]);
        const runs = lm[4] !== undefined ? Number(lm[4]) : undefined;
        switch (lm[1]) {
          case 'Model initialization': lr.init = v; break;
          case 'Warmup (first)': lr.warmFirst = v; break;
          case 'Warmup (avg)': lr.warmAvg = v; lr.warmRuns = runs; break;
          case 'Inference (avg)': lr.avg = v; lr.runs = runs; break;
          case 'Inference (min)': lr.min = v; break;
          case 'Inference (max)': lr.max = v; break;
          case 'Inference (std)': lr.std = v; break;
          case 'Init footprint': r.memory.initDeltaMb = v; break;
          case 'Overall footprint': r.memory.overallDeltaMb = v; break;
          case 'Peak memory': r.memory.peakMb = v; break;
        }
        continue;
      }
      const sig = /^Signature name:\s+(.+)$/.exec(t);
      if (sig) { r.params['Signature name'] = sig[1]; continue; }
    }
    if (/^count=\d+/.test(t)) { const s = parseRunStat(t); if (s) { r.runStats.push(s); statHeader.push(runHeaders); } continue; }
    m = new RegExp(`Inference timings in us: Init: (${NUM}), First inference: (${NUM}), Warmup \\(avg\\): (${NUM}), Inference \\(avg\\): (${NUM})`).exec(t);
    if (m) { r.timings = { initUs: Number(m[1]), firstUs: Number(m[2]), warmupAvgUs: Number(m[3]), inferenceAvgUs: Number(m[4]) }; continue; }
    // TF 1.x: `Average inference timings in us: Warmup: W, Init: I, no stats: X` (the Android app: `…, Inference: X`).
    m = new RegExp(`Average inference timings in us: Warmup: (${NUM}), Init: (${NUM}), (?:no stats|Inference): (${NUM})`).exec(t);
    if (m) { r.timings = { initUs: Number(m[2]), firstUs: NaN, warmupAvgUs: Number(m[1]), inferenceAvgUs: Number(m[3]) }; continue; }
    m = new RegExp(`Memory footprint delta from the start of the tool \\(MB\\): init=(${NUM}) overall=(${NUM})`).exec(t);
    if (m) { r.memory.initDeltaMb = Number(m[1]); r.memory.overallDeltaMb = Number(m[2]); continue; }
    m = new RegExp(`^Peak memory footprint \\(MB\\): init=(${NUM}) overall=(${NUM})`).exec(t);
    if (m) { r.memory.initDeltaMb = Number(m[1]); r.memory.overallDeltaMb = Number(m[2]); r.memory.legacyPeak = true; continue; }
    m = new RegExp(`Overall peak memory footprint \\(MB\\) via periodic monitoring: (${NUM})`).exec(t);
    if (m) { r.memory.peakMb = Number(m[1]); continue; }
    m = /Replacing (\d+) out of (\d+) node\(s\) with delegate \((.+?)\) node, yielding (\d+) partitions?(?: for subgraph (\d+)| for the whole graph)?/.exec(t);
    if (m) {
      r.delegates.push({ delegate: m[3], label: delegateLabel(m[3]), replaced: Number(m[1]), total: Number(m[2]), partitions: Number(m[4]), subgraph: m[5] !== undefined ? Number(m[5]) : undefined });
      continue;
    }
    if (/^(Explicitly applied .* delegate|Though .* delegate is explicitly applied)/.test(t)) {
      r.delegateNotes.push(t);
      const u = /^Explicitly applied (.+?) delegate, and the model graph will be (completely|partially) executed by the delegate(?: w\/ (\d+) delegate kernels)?/.exec(t);
      const no = /^Though (.+?) delegate is explicitly applied, the model graph will not be executed by the delegate/.exec(t);
      if (u) r.delegateUse.push({ delegate: u[1], label: delegateLabel(u[1]), executed: u[2] === 'completely' ? 'all' : 'partial', ...(u[3] ? { kernels: Number(u[3]) } : {}) });
      else if (no) r.delegateUse.push({ delegate: no[1], label: delegateLabel(no[1]), executed: 'none' });
      continue;
    }
    m = /^(Graph|Min num runs|Min warmup runs|Num threads|Use xnnpack|Use gpu|Use NNAPI|Enable op profiling|#threads used for CPU inference): \[(.*)\]$/.exec(t);
    if (m) { r.params[m[1]] = m[2]; if (m[1] === 'Graph') r.graph = m[2]; continue; }
    m = /^Loaded model (.+)$/.exec(t);
    if (m && !r.graph) r.graph = m[1].trim();
  }
  r.format = csv ? 'csv' : 'stdout';
  // Only LiteRT 2.x's results block: its numbers become the run statistics (ms → us, as the count= lines have them).
  if (lr.avg !== undefined && !r.runStats.length) {
    const us = (ms?: number) => (ms === undefined ? NaN : msToUs(ms));
    if (lr.warmRuns !== undefined) { r.runStats.push({ count: lr.warmRuns, first: us(lr.warmFirst), curr: NaN, min: NaN, max: NaN, avg: us(lr.warmAvg), std: NaN, allSame: false }); statHeader.push(1); runHeaders = Math.max(runHeaders, 1); }
    r.runStats.push({ count: lr.runs ?? 0, curr: NaN, min: us(lr.min), max: us(lr.max), avg: us(lr.avg), std: us(lr.std), allSame: false });
    statHeader.push(2); runHeaders = Math.max(runHeaders, 2);
    if (!r.timings) r.timings = { initUs: us(lr.init), firstUs: us(lr.warmFirst), warmupAvgUs: us(lr.warmAvg), inferenceAvgUs: us(lr.avg) };
  }
  // The warm-up run statistics come first, the regular runs' second (BenchmarkModel::Run is called twice).
  if (r.runStats.length >= 2) { r.warmup = r.runStats[0]; r.regular = r.runStats[1]; }
  // One statistics line under the first of two "Running benchmark" headers: the output was cut after the warm-up.
  else if (r.runStats.length === 1 && runHeaders >= 2 && statHeader[0] === 1) r.warmup = r.runStats[0];
  else if (r.runStats.length === 1) r.regular = r.runStats[0];
  // LiteRT 2.x's summary counts calls over every profiled run (it keeps adding each run's events, warm-up included):
  // per-run figures are the totals over warm-up + regular runs.
  // Its layout: node names `[Builtin]:N` / `[Delegate]:N`, or its own results block (a by-type table pasted with it).
  if (r.rows.some((x) => /^\[(Builtin|Delegate)\]:\d+$/.test(x.name)) || lr.avg !== undefined) {
    r.layout = 'litert2';
    const runs = (r.warmup?.count ?? 0) + (r.regular?.count ?? 0);
    if (runs > 0) {
      r.callsCountedOverRuns = runs;
      for (const x of r.rows) x.timesCalled /= runs;
      // Its by-type table: avg ms per call and calls over all runs → time per run of the type, calls per run.
      for (const t of r.typeSummary) { t.avgMs = (t.avgMs * t.timesCalled) / runs; t.timesCalled /= runs; }
    }
  }
  if (!r.rows.length && !r.typeSummary.length && !r.regular && !r.warmup && !r.timings) {
    throw new BenchmarkModelOutputError('this is not benchmark_model output: it has no op table ("Run Order" or "Summary by node type"), no run statistics ("count=…") and no "Inference timings in us:" line');
  }
  return r;
}

type ProfileParts = Pick<ProfileResult, 'latencyMs' | 'kernelCoverage' | 'nodes' | 'opTypes' | 'timeline' | 'peakRssBytes' | 'delegation' | 'phases' | 'memory'> & {
  warnings: string[];
  runs: number;
  warmup: number;
  threads?: number;
  graph?: string;
};

const nan = NaN;

/** Microseconds as printed to milliseconds without binary noise (33329.7 us is 33.3297 ms, not 33.329699999999995). */
const usToMs = (us: number): number => (Number.isFinite(us) && !/e/i.test(String(us)) ? Number(`${us}e-3`) : us / 1000);
/** Milliseconds as printed to microseconds, the same way (0.0930388 ms is 93.0388 us). */
const msToUs = (ms: number): number => (Number.isFinite(ms) && !/e/i.test(String(ms)) ? Number(`${ms}e3`) : ms * 1000);

/** Turns a benchmark_model report into the parts of our profile: per-node time per run, latency from the run statistics. */
export function benchmarkToProfile(r: BenchmarkModelReport): ProfileParts {
  const warnings: string[] = [];
  const known = new Set(r.delegates.map((d) => d.delegate));
  // A delegate's own profile (`Delegate internal:`, DelegateOpInvoke rows named `Delegate/<op>:<i>`) breaks its
  // kernels down like the ops XNNPACK profiles inline: use it when the graph rows have no such breakdown.
  const base = r.rows.filter((x) => x.section === 'run' && !x.delegateInternal);
  const internal = r.rows.filter((x) => x.section === 'run' && x.delegateInternal);
  if (r.layout === 'litert2' && r.callsCountedOverRuns === undefined) warnings.push('LiteRT 2.x counts "times called" over every run it profiled, and this output does not say how many runs there were: per-node times here are totals over all of them');
  const run = internal.length && !base.some((x) => x.delegatedOp)
    ? [...base, ...internal.map((x) => ({ ...x, delegatedOp: true, type: x.type === 'DelegateOpInvoke' ? (/^Delegate\/(.*):\d+$/.exec(x.name)?.[1] ?? x.type) : x.type }))]
    : base;
  // Only the "Summary by node type" table (what users often paste): times per op type, no per-node times.
  const typeRows = run.length ? [] : r.typeSummary.filter((x) => x.section === 'run' && !x.delegateInternal && x.subgraph === 0);
  if (typeRows.length) warnings.push('only the "Summary by node type" table: times per op type, not per node');
  else if (!run.length) warnings.push(r.rows.length ? 'benchmark_model printed only the initialization profile: no per-op times of the runs' : 'benchmark_model was run without --enable_op_profiling=true: no per-op times, only the latency');
  // Latency per run: the regular runs' statistics, else the Inference (avg) line, else the op profiler's total.
  let latencyMs: Stats;
  const reg = r.regular;
  if (r.warmup && !reg) warnings.push('the output stops after the warm-up runs: the regular runs\' statistics are missing, and warm-up times are not the latency');
  if (reg) {
    latencyMs = { mean: usToMs(reg.avg), std: usToMs(reg.std), min: usToMs(reg.min), max: usToMs(reg.max), p50: reg.median !== undefined ? usToMs(reg.median) : nan, p90: nan, p99: nan };
    if (reg.p5 !== undefined) latencyMs.p5 = usToMs(reg.p5);
    if (reg.p95 !== undefined) latencyMs.p95 = usToMs(reg.p95);
    if (reg.allSame && reg.count > 1) warnings.push(`all ${reg.count} runs took the same time (benchmark_model printed "(all same)")`);
  } else if (r.timings) {
    const a = usToMs(r.timings.inferenceAvgUs);
    latencyMs = { mean: a, std: nan, min: nan, max: nan, p50: nan, p90: nan, p99: nan };
  } else {
    const tot = r.opTotals.find((o) => o.section === 'run' && o.subgraph === 0 && !o.delegateInternal)?.stat;
    if (tot) {
      latencyMs = { mean: tot.avg / 1000, std: tot.std / 1000, min: tot.min / 1000, max: tot.max / 1000, p50: nan, p90: nan, p99: nan };
      warnings.push('no run statistics in this file (an --op_profiling_output_file?): the latency is the sum of op times the profiler measured, not the wall time of a run');
    } else if (run.length || typeRows.length) {
      const sum = run.length ? run.filter((x) => !x.delegatedOp).reduce((a, x) => a + x.avgMs * x.timesCalled, 0) : typeRows.reduce((a, x) => a + x.avgMs, 0);
      latencyMs = { mean: sum, std: nan, min: nan, max: nan, p50: nan, p90: nan, p99: nan };
      warnings.push('no run statistics: the latency is the sum of op times');
    } else {
      latencyMs = { mean: nan, std: nan, min: nan, max: nan, p50: nan, p90: nan, p99: nan };
      warnings.push('no run statistics and no op times of the runs: the latency is not known');
    }
  }
  if (r.regular && !Number.isNaN(latencyMs.mean)) warnings.push('benchmark_model reports mean, std, min, max' + (r.regular.median !== undefined ? ', p5, median and p95' : '') + ' per run; the other percentiles are not known');
  // Leaves: ops a delegate profiled itself replace its kernel row; otherwise the kernel rows stand for their partitions.
  const hasNested = run.some((x) => x.delegatedOp);
  const labelOf = (type: string) => {
    const base = type.split('/')[0];
    const d = r.delegates.find((x) => x.delegate === base);
    return d ? d.label : delegateLabel(base);
  };
  const defaultDelegate = r.delegates[0]?.label;
  const kernelRows = run.filter((x) => !x.delegatedOp && isDelegateKernel(x.type, known));
  const nodes: Array<NodeTime & { order: number; startUs?: number }> = [];
  run.forEach((x, order) => {
    const kernel = !x.delegatedOp && isDelegateKernel(x.type, known);
    if (kernel && hasNested) return;
    const meanUs = msToUs(x.avgMs) * x.timesCalled;
    const partition = x.delegatedOp ? (kernelRows[0] ? labelOf(kernelRows[0].type) : defaultDelegate ?? 'delegate') : kernel ? labelOf(x.type) : undefined;
    nodes.push({
      order,
      name: x.subgraph ? `${x.name} (subgraph ${x.subgraph})` : x.name,
      opType: x.type,
      provider: partition ?? 'CPU',
      meanUs,
      share: 0,
      callsPerRun: x.timesCalled,
      subgraph: x.subgraph,
      ...(x.nodeIndex !== undefined ? { nodeIndex: x.nodeIndex } : {}),
      ...(partition ? { partition } : {}),
      startUs: x.startMs !== undefined ? x.startMs * 1000 : undefined,
    });
  });
  // Coverage: the interpreter-level rows (delegate kernels included, their inner ops not) against the run latency.
  const topSum = run.filter((x) => !x.delegatedOp).reduce((a, x) => a + msToUs(x.avgMs) * x.timesCalled, 0) || nodes.reduce((a, n) => a + n.meanUs, 0);
  const latUs = latencyMs.mean * 1000;
  for (const n of nodes) n.share = latUs > 0 ? n.meanUs / latUs : 0;
  const types = new Map<string, OpTypeTime>();
  for (const x of typeRows) {
    const meanUs = msToUs(x.avgMs);
    types.set(x.type, { opType: x.type, meanUs, share: latUs > 0 ? meanUs / latUs : 0, nodes: x.count });
  }
  for (const n of nodes) {
    const t = types.get(n.opType) ?? { opType: n.opType, meanUs: 0, share: 0, nodes: 0 };
    t.meanUs += n.meanUs;
    t.share += n.share;
    t.nodes++;
    types.set(n.opType, t);
  }
  // Timeline: subgraph 0 in run order, at the profiler's own start times when the build printed them.
  let cursor = 0;
  const events: TimelineEvent[] = nodes.filter((n) => !n.subgraph).map((n) => {
    const startUs = n.startUs ?? cursor;
    cursor = Math.max(cursor, startUs + n.meanUs);
    return { name: n.name, opType: n.opType, startUs, durUs: n.meanUs };
  });
  const delegation = delegationOf(r, nodes, kernelRows, labelOf);
  if (delegation) warnings.push(delegation.summary);
  const threads = Number(r.params['#threads used for CPU inference'] ?? r.params['Num threads']);
  const peakMb = r.memory.peakMb ?? (r.memory.legacyPeak ? r.memory.overallDeltaMb : undefined);
  return {
    latencyMs,
    kernelCoverage: latUs > 0 && run.length ? Math.min(1, topSum / latUs) : latUs > 0 && typeRows.length ? Math.min(1, typeRows.reduce((a, x) => a + x.avgMs * 1000, 0) / latUs) : 0,
    nodes: nodes.map(({ order: _o, startUs: _s, ...n }) => n).sort((a, b) => b.meanUs - a.meanUs),
    opTypes: [...types.values()].sort((a, b) => b.meanUs - a.meanUs),
    timeline: { run: -1, totalUs: cursor, events },
    peakRssBytes: peakMb !== undefined ? Math.round(peakMb * 1024 * 1024) : undefined,
    delegation,
    phases: r.timings ? { initMs: r.timings.initUs / 1000, ...(Number.isNaN(r.timings.firstUs) ? {} : { firstInferenceMs: r.timings.firstUs / 1000 }), warmupMeanMs: r.timings.warmupAvgUs / 1000 } : undefined,
    memory: r.memory.initDeltaMb !== undefined || r.memory.peakMb !== undefined ? { initDeltaMb: r.memory.initDeltaMb, overallDeltaMb: r.memory.overallDeltaMb, peakMb: r.memory.peakMb } : undefined,
    warnings,
    runs: r.regular?.count ?? 0,
    warmup: r.warmup?.count ?? 0,
    threads: Number.isFinite(threads) && threads > 0 ? threads : undefined,
    graph: r.graph,
  };
}

function delegationOf(r: BenchmarkModelReport, nodes: NodeTime[], kernelRows: BenchmarkOpRow[], labelOf: (t: string) => string): Delegation | undefined {
  if (!r.delegates.length && !r.delegateUse.length && !kernelRows.length && !nodes.some((n) => n.partition)) return undefined;
  const delegated = new Map<string, { label: string; opType: string; nodes: number; meanUs: number }>();
  const cpu = new Map<string, { opType: string; nodes: number; meanUs: number }>();
  for (const n of nodes) {
    if (n.partition) {
      const k = `${n.partition}\0${n.opType}`;
      const e = delegated.get(k) ?? { label: n.partition, opType: n.opType, nodes: 0, meanUs: 0 };
      e.nodes++; e.meanUs += n.meanUs; delegated.set(k, e);
    } else {
      const e = cpu.get(n.opType) ?? { opType: n.opType, nodes: 0, meanUs: 0 };
      e.nodes++; e.meanUs += n.meanUs; cpu.set(n.opType, e);
    }
  }
  const parts: string[] = [];
  const byLabel = new Map<string, DelegateApplied[]>();
  for (const d of r.delegates) byLabel.set(d.label, [...(byLabel.get(d.label) ?? []), d]);
  for (const [label, ds] of byLabel) {
    const rep = ds.reduce((a, d) => a + d.replaced, 0);
    const tot = ds.reduce((a, d) => a + d.total, 0);
    const parts_ = ds.reduce((a, d) => a + d.partitions, 0);
    parts.push(`${label} took ${rep} of ${tot} nodes in ${parts_} partition${parts_ === 1 ? '' : 's'}`);
  }
  if (!r.delegates.length) {
    // No "Replacing N out of M node(s)" line (the log level hid it): what benchmark_model itself said of each delegate.
    for (const u of r.delegateUse) {
      if (u.executed === 'all') parts.push(`${u.label} ran the whole graph`);
      else if (u.executed === 'partial') parts.push(`${u.label} ran part of the graph${u.kernels !== undefined ? ` in ${u.kernels} delegate kernel${u.kernels === 1 ? '' : 's'}` : ''}`);
      else parts.push(`${u.label} was applied but ran no node: the whole graph ran on the CPU`);
    }
    const labels = [...new Set(kernelRows.map((k) => labelOf(k.type)))];
    if (labels.length && !r.delegateUse.length) parts.push(`${labels.join(', ')} ran ${kernelRows.length} delegate kernel${kernelRows.length === 1 ? '' : 's'}`);
  }
  const cpuList = [...cpu.values()].sort((a, b) => b.meanUs - a.meanUs);
  const allInDelegate = r.delegateUse.some((u) => u.executed === 'all');
  const fallback = cpuList.length
    ? `${cpuList.reduce((a, c) => a + c.nodes, 0)} op(s) ran on the CPU (TFLite kernels): ${cpuList.map((c) => `${c.opType} ×${c.nodes}`).join(', ')}`
    : nodes.length || allInDelegate ? 'no op fell back to the CPU' : 'which ops fell back to the CPU is not in this output (run with --enable_op_profiling=true)';
  return {
    applied: r.delegates.map((d) => ({ ...d })),
    ...(r.delegateUse.length ? { explicit: r.delegateUse.map((u) => ({ ...u })) } : {}),
    delegated: [...delegated.values()].sort((a, b) => b.meanUs - a.meanUs),
    cpu: cpuList,
    summary: `${parts.join('; ')}${parts.length ? '; ' : ''}${fallback}`,
  };
}

/** The delegates that ran part of the graph, by label: from "Replacing N out of M node(s)" lines and from what
 * benchmark_model said of each delegate it applied (not the ones that took no node). */
export function delegateLabels(d: Delegation | undefined): string | undefined {
  if (!d) return undefined;
  return [...new Set([...d.applied, ...(d.explicit ?? []).filter((u) => u.executed !== 'none')].map((x) => x.label))].join(', ') || undefined;
}

/** Detects whether a text is benchmark_model's CSV op profile (as opposed to its stdout). */
export function looksLikeBenchmarkCsv(text: string): boolean {
  return /^\s*node type, (start, )?first, avg_ms,/m.test(text);
}
