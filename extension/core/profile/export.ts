import type { ProfileResult } from './types';

/** Chrome trace JSON (opens in Perfetto and chrome://tracing): the timeline run, one track. */
export function toChromeTrace(p: ProfileResult): { traceEvents: unknown[]; displayTimeUnit: string; metadata: Record<string, unknown> } {
  const pid = 1;
  const events: unknown[] = [
    { name: 'process_name', ph: 'M', pid, args: { name: `${p.model.name} on ${p.device.label}` } },
    { name: 'thread_name', ph: 'M', pid, tid: 1, args: { name: `run ${p.timeline.run} (median)` } },
    { name: 'model_run', cat: 'Session', ph: 'X', pid, tid: 1, ts: 0, dur: p.timeline.totalUs, args: { latencyP50Ms: p.latencyMs.p50 } },
  ];
  for (const e of p.timeline.events) events.push({ name: e.name, cat: e.opType, ph: 'X', pid, tid: 1, ts: e.startUs, dur: e.durUs, args: { op: e.opType } });
  return { traceEvents: events, displayTimeUnit: 'ms', metadata: { model: p.model.name, device: p.device.label, runtime: p.runtime, settings: p.settings } };
}

function csvCell(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  // Quote, and defuse spreadsheet formulas (a node name can be anything).
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(p: ProfileResult): string {
  const rows = [['node', 'op_type', 'provider', 'mean_us', 'share', 'calls_per_run']];
  for (const n of p.nodes) rows.push([n.name, n.opType, n.provider ?? '', n.meanUs.toFixed(3), n.share.toFixed(6), String(n.callsPerRun)]);
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
