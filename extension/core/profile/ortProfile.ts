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
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run' && typeof e.ts === 'number' && typeof e.dur === 'number').sort((a, b) => (a.ts as number) - (b.ts as number));
  if (!runs.length) throw new ProfileParseError('the profile has no model_run events: the model never ran while profiling');
  const skip = Math.min(Math.max(0, warmup), runs.length - 1);
  if (skip < warmup) warnings.push(`only ${runs.length} runs were profiled; ${skip} treated as warm-up`);
  const measured = runs.slice(skip);
  const nodeEvents = events.filter((e) => e.cat === 'Node' && typeof e.name === 'string' && e.name.endsWith('_kernel_time') && typeof e.ts === 'number' && typeof e.dur === 'number').sort((a, b) => (a.ts as number) - (b.ts as number));

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
  const coverage: number[] = [];
  perRun.forEach((evs, i) => {
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
      const entry = byNode.get(name) ?? { opType: String(args.op_name ?? '?'), provider: args.provider ? String(args.provider) : undefined, total: 0, calls: 0 };
      entry.total += e.dur as number;
      entry.calls++;
      byNode.set(name, entry);
      const p = Number(args.mem_in_use_peak ?? args.mem_bytes_in_use ?? 0);
      if (Number.isFinite(p) && p > peak) peak = p;
    }
    coverage.push(runUs[i] > 0 ? Math.min(1, sum / runUs[i]) : 0);
  });
  if (!byNode.size) warnings.push('the profile has no per-node events for the measured runs');

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
    opType: String(e.args?.op_name ?? '?'),
    startUs: (e.ts as number) - start,
    durUs: e.dur as number,
  }));
  return {
    latencyMs: stats(runUs.map((u) => u / 1000)),
    kernelCoverage: coverage.reduce((a, b) => a + b, 0) / coverage.length,
    peakMemoryBytes: peak || undefined,
    nodes,
    opTypes: [...types.values()].sort((a, b) => b.meanUs - a.meanUs),
    timeline: { run: mid, totalUs: measured[mid].dur as number, events: events2 },
    measuredRuns: n,
    totalRuns: runs.length,
    warnings,
  };
}
