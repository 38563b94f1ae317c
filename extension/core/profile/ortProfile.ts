import { stats, type NodeTime, type OpTypeTime, type ProfileResult, type TimelineEvent } from './types';

/** One event of ONNX Runtime's JSON profile (Chrome trace "X" events). */
interface OrtEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: Record<string, unknown>;
}

export class ProfileParseError extends Error {}

/**
 * An op type for a node event that carries no `op_name` (some execution providers write node events without args,
 * e.g. DirectML's `DmlFusedNode_0_41_kernel_time` in microsoft/onnxruntime#24306): the last part of the node's
 * name without its `_<n>` counters (exporters name nodes `/scope/OpType` or `/scope/OpType_3`).
 */
function opTypeFromName(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.replace(/(?:_\d+)+$/, '') || '?';
}

export type ParsedOrtProfile = Pick<ProfileResult, 'latencyMs' | 'kernelCoverage' | 'peakMemoryBytes' | 'nodes' | 'opTypes' | 'timeline'> & { measuredRuns: number; totalRuns: number; warnings: string[] };

/**
 * Turns ONNX Runtime's profile (from onnxruntime-node or onnxruntime_perf_test) into per-node and per-op-type
 * times over the measured runs. Runs are the `model_run` session events; the first `warmup` are dropped;
 * each node event belongs to the run whose time span holds it.
 */
export function parseOrtProfile(json: string | unknown[], warmup: number): ParsedOrtProfile {
  let events: OrtEvent[];
  try {
    events = (typeof json === 'string' ? JSON.parse(json) : json) as OrtEvent[];
  } catch (err) {
    throw new ProfileParseError(`the profile is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(events)) throw new ProfileParseError('the profile is not an ONNX Runtime trace (expected a JSON array of events)');
  const warnings: string[] = [];
  let noOpName = 0;
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run' && typeof e.ts === 'number' && typeof e.dur === 'number').sort((a, b) => (a.ts as number) - (b.ts as number));
  if (!runs.length) throw new ProfileParseError('the profile has no model_run events: the model never ran while profiling');
  const skip = Math.min(Math.max(0, warmup), runs.length - 1);
  if (skip < warmup) warnings.push(`only ${runs.length} runs were profiled; ${skip} treated as warm-up`);
  const measured = runs.slice(skip);
  const nodeEvents = events.filter((e) => e.cat === 'Node' && typeof e.name === 'string' && e.name.endsWith('_kernel_time') && typeof e.ts === 'number' && typeof e.dur === 'number').sort((a, b) => (a.ts as number) - (b.ts as number));

  // onnxruntime 0.x named a node's events after the node alone, so unnamed nodes all read "_kernel_time"
  // (microsoft/onnxruntime#1297, 0.4.0): they are told apart by their place in the run, "<op>#<k>" for the k-th
  // unnamed node of that op type, which is the same node in every run.
  const runIndexOf = (ts: number) => runs.findIndex((m) => ts >= (m.ts as number) && ts <= (m.ts as number) + (m.dur as number));
  const unnamedSeen = new Map<string, number>();
  let unnamedRun = -2;
  for (const e of nodeEvents) {
    if (e.name !== '_kernel_time') continue;
    const ri = runIndexOf(e.ts as number);
    if (ri !== unnamedRun) { unnamedSeen.clear(); unnamedRun = ri; }
    const op = String(e.args?.op_name ?? '?');
    const k = (unnamedSeen.get(op) ?? 0) + 1;
    unnamedSeen.set(op, k);
    e.name = `${op}#${k}_kernel_time`;
  }
  if (unnamedRun !== -2) warnings.push('the profile names no nodes (onnxruntime 0.x writes "_kernel_time" for an unnamed node): nodes are named <op type>#<k> by their order in the run');

  // Assign node events to measured runs by time span (both lists sorted: one pass).
  const perRun: OrtEvent[][] = measured.map(() => []);
  let r = 0;
  for (const e of nodeEvents) {
    const ts = e.ts as number;
    while (r < measured.length && ts > (measured[r].ts as number) + (measured[r].dur as number)) r++;
    if (r >= measured.length) break;
    if (ts >= (measured[r].ts as number)) perRun[r].push(e);
  }

  const runUs = measured.map((m) => m.dur as number);
  const meanRunUs = runUs.reduce((a, b) => a + b, 0) / runUs.length;
  const byNode = new Map<string, { opType: string; provider?: string; total: number; calls: number }>();
  let peak = 0;
  // Kernel time over run time, both summed over the measured runs: the same ratio of means as the node shares, so
  // the shares of top-level nodes add up to it (a mean of per-run ratios drifts from them when one run is slow).
  let coveredUs = 0;
  perRun.forEach((evs) => {
    let sum = 0;
    let topEnd = -Infinity;
    for (const e of evs) {
      // Nodes inside an If/Loop/Scan body run within their parent's event: count the parent once.
      const end = (e.ts as number) + (e.dur as number);
      if (end <= topEnd) {
        /* nested */
      } else {
        sum += e.dur as number;
        topEnd = end;
      }
      const name = (e.name as string).replace(/_kernel_time$/, '');
      const args = e.args ?? {};
      if (args.op_name === undefined && !byNode.has(name)) noOpName++;
      const entry = byNode.get(name) ?? { opType: args.op_name !== undefined ? String(args.op_name) : opTypeFromName(name), provider: args.provider ? String(args.provider) : undefined, total: 0, calls: 0 };
      entry.total += e.dur as number;
      entry.calls++;
      byNode.set(name, entry);
      const p = Number(args.mem_in_use_peak ?? args.mem_bytes_in_use ?? 0);
      if (Number.isFinite(p) && p > peak) peak = p;
    }
    coveredUs += sum;
  });
  const runTotalUs = runUs.reduce((a, b) => a + b, 0);
  if (!byNode.size) warnings.push('the profile has no per-node events for the measured runs');
  if (noOpName) warnings.push(`${noOpName} node${noOpName === 1 ? '' : 's'} carry no op_name in the profile (an execution provider that writes no args): the op type is read from the node name`);
  // The graph executor's own span inside each run (SequentialExecutor::Execute / ParallelExecutor::Execute).
  const execUs = measured.map((m) => {
    const a = m.ts as number;
    const b = a + (m.dur as number);
    return events.filter((e) => e.cat === 'Session' && typeof e.name === 'string' && /Executor::Execute$/.test(e.name) && (e.ts as number) >= a && (e.ts as number) <= b)
      .reduce((t, e) => t + (e.dur as number), 0);
  });
  if (execUs.every((x) => x > 0)) {
    const meanExec = execUs.reduce((x, y) => x + y, 0) / execUs.length;
    const meanRun = measured.reduce((x, m) => x + (m.dur as number), 0) / measured.length;
    if (meanExec < 0.8 * meanRun) warnings.push(`the graph executor ran ${(meanExec / 1000).toFixed(3)} ms of each ${(meanRun / 1000).toFixed(3)} ms model_run (mean): ${((meanRun - meanExec) / 1000).toFixed(3)} ms of the run are outside the executor`);
  }

  const n = measured.length;
  const nodes: NodeTime[] = [...byNode.entries()]
    .map(([name, v]) => ({ name, opType: v.opType, provider: v.provider, meanUs: v.total / n, share: meanRunUs > 0 ? v.total / n / meanRunUs : 0, callsPerRun: v.calls / n }))
    .sort((a, b) => b.meanUs - a.meanUs);
  const types = new Map<string, OpTypeTime>();
  for (const nd of nodes) {
    const t = types.get(nd.opType) ?? { opType: nd.opType, meanUs: 0, share: 0, nodes: 0 };
    t.meanUs += nd.meanUs;
    t.share += nd.share;
    t.nodes++;
    types.set(nd.opType, t);
  }
  // The timeline: the run whose duration is the median.
  const order = runUs.map((d, i) => [d, i] as const).sort((a, b) => a[0] - b[0]);
  const mid = order[Math.floor(order.length / 2)][1];
  const start = measured[mid].ts as number;
  const events2: TimelineEvent[] = perRun[mid].map((e) => ({
    name: (e.name as string).replace(/_kernel_time$/, ''),
    opType: e.args?.op_name !== undefined ? String(e.args.op_name) : opTypeFromName((e.name as string).replace(/_kernel_time$/, '')),
    startUs: (e.ts as number) - start,
    durUs: e.dur as number,
  }));
  return {
    latencyMs: stats(runUs.map((u) => u / 1000)),
    kernelCoverage: runTotalUs > 0 ? Math.min(1, coveredUs / runTotalUs) : 0,
    peakMemoryBytes: peak || undefined,
    nodes,
    opTypes: [...types.values()].sort((a, b) => b.meanUs - a.meanUs),
    timeline: { run: mid, totalUs: measured[mid].dur as number, events: events2 },
    measuredRuns: n,
    totalRuns: runs.length,
    warnings,
  };
}
