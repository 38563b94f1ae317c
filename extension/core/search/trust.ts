import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { LatencyTable } from './table';

/** How far a search's latencies can be trusted, from the table's check report (`mobileai table check`). */
export interface LatencyTrust {
  status: 'checked' | 'unchecked';
  /** One line for people, e.g. "checked on host CPU: 46 of 50 networks within ±10 % (median error +2.1 %)" or "unchecked…". */
  text: string;
  /** The check report read. */
  report?: string;
  networks?: number;
  /** Percent of the checked networks whose predicted latency was within ±10 % of the measured one. */
  withinTenPercent?: number;
  medianErrorPercent?: number;
  p90AbsErrorPercent?: number;
  /** Predicted vs measured latency of the networks the check exported (for the panel's plot). */
  points?: Array<{ predictedMs: number; measuredMs: number; id?: string }>;
}

const UNCHECKED: LatencyTrust = { status: 'unchecked', text: 'unchecked: no check report beside this table (`mobileai table check` measures one)' };

/**
 * Reads the newest check report written beside the table (`<table>.check.json`, `<table>.check-1.json`…,
 * the names `mobileai table check` uses) that checked this very table; otherwise the table is unchecked.
 * A report that cannot be read is said so, never taken for a check.
 */
export async function latencyTrust(tablePath: string, tables: LatencyTable[]): Promise<LatencyTrust> {
  const abs = path.resolve(tablePath);
  const base = path.basename(abs).replace(/\.json$/i, '');
  const dir = path.dirname(abs);
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith(`${base}.check`) && /^\.check(-\d+)?\.json$/.test(f.slice(base.length)));
  if (!names.length) return UNCHECKED;
  const { readCheckReport } = await import('../latency/check');
  const reports: Array<{ file: string; r: Awaited<ReturnType<typeof readCheckReport>> }> = [];
  const bad: string[] = [];
  for (const f of names) {
    try {
      const r = await readCheckReport(path.join(dir, f));
      if (path.resolve(dir, r.table.file) === abs || path.resolve(r.table.file) === abs) reports.push({ file: path.join(dir, f), r });
    } catch (err) {
      bad.push(`${f}: ${(err as Error).message}`);
    }
  }
  if (!reports.length) return bad.length ? { ...UNCHECKED, text: `unchecked: ${bad[0]}` } : UNCHECKED;
  reports.sort((x, y) => (x.r.createdAt < y.r.createdAt ? 1 : -1));
  const { file, r } = reports[0];
  const s = r.summary;
  const within = Math.round(s.within10Percent * s.count);
  const sign = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
  void tables;
  return {
    status: 'checked',
    text: `checked on ${r.device.label}: ${within} of ${s.count} networks within ±10 % of measured (median error ${sign(s.medianErrorPercent)} %, p90 |error| ${s.p90AbsErrorPercent.toFixed(1)} %; ${path.basename(file)}, ${r.createdAt.slice(0, 10)})`,
    report: file,
    networks: s.count,
    withinTenPercent: Math.round(s.within10Percent * 1000) / 10,
    medianErrorPercent: s.medianErrorPercent,
    p90AbsErrorPercent: s.p90AbsErrorPercent,
    points: r.networks.map((n) => ({ predictedMs: n.predictedMs, measuredMs: n.measuredMs, id: n.id })),
  };
}
