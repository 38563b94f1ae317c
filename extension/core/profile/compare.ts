import type { ProfileResult } from './types';

export interface Delta {
  key: string;
  opType: string;
  aUs: number | null;
  bUs: number | null;
  /** b − a, µs (null when only one side has it). */
  deltaUs: number | null;
  /** b / a (below 1: b is faster). */
  ratio: number | null;
}

export interface ProfileComparison {
  /** Which latency statistic a, b and the speed-up use: p50 when both profiles have it, else the mean. */
  statistic: 'p50' | 'mean';
  /** `p50Ms` holds the mean when `statistic` is 'mean'. */
  a: { label: string; p50Ms: number };
  b: { label: string; p50Ms: number };
  /** a.p50 / b.p50: above 1 means b is faster. */
  speedup: number;
  byOpType: Delta[];
  byNode: Delta[];
  /** Nodes matched by name in both profiles. */
  matchedNodes: number;
}

function delta(key: string, opType: string, a: number | undefined, b: number | undefined): Delta {
  return {
    key, opType, aUs: a ?? null, bUs: b ?? null,
    deltaUs: a !== undefined && b !== undefined ? b - a : null,
    ratio: a !== undefined && b !== undefined && a > 0 ? b / a : null,
  };
}

export function profileLabel(p: ProfileResult): string {
  return `${p.model.name} · ${p.device.label} · ${p.runtime.optimization ?? p.runtime.runner}`;
}

/**
 * Side by side: per op type (always comparable) and per node (matched by name; an int8 model or another
 * optimization level renames and fuses nodes, so unmatched ones appear with one side empty).
 */
export function compareProfiles(a: ProfileResult, b: ProfileResult): ProfileComparison {
  const types = new Set([...a.opTypes.map((t) => t.opType), ...b.opTypes.map((t) => t.opType)]);
  const at = new Map(a.opTypes.map((t) => [t.opType, t.meanUs]));
  const bt = new Map(b.opTypes.map((t) => [t.opType, t.meanUs]));
  const byOpType = [...types].map((t) => delta(t, t, at.get(t), bt.get(t)));
  const an = new Map(a.nodes.map((n) => [n.name, n]));
  const bn = new Map(b.nodes.map((n) => [n.name, n]));
  const names = new Set([...an.keys(), ...bn.keys()]);
  const byNode = [...names].map((n) => delta(n, an.get(n)?.opType ?? bn.get(n)?.opType ?? '?', an.get(n)?.meanUs, bn.get(n)?.meanUs));
  const sortKey = (d: Delta) => -Math.abs(d.deltaUs ?? d.aUs ?? d.bUs ?? 0);
  byOpType.sort((x, y) => sortKey(x) - sortKey(y));
  byNode.sort((x, y) => sortKey(x) - sortKey(y));
  // An imported benchmark_model or perf_test output may have no median: then both sides compare by their mean.
  const statistic = Number.isFinite(a.latencyMs.p50) && Number.isFinite(b.latencyMs.p50) ? 'p50' : 'mean';
  const am = statistic === 'p50' ? a.latencyMs.p50 : a.latencyMs.mean;
  const bm = statistic === 'p50' ? b.latencyMs.p50 : b.latencyMs.mean;
  return {
    statistic,
    a: { label: profileLabel(a), p50Ms: am },
    b: { label: profileLabel(b), p50Ms: bm },
    speedup: bm > 0 ? am / bm : NaN,
    byOpType,
    byNode,
    matchedNodes: [...names].filter((n) => an.has(n) && bn.has(n)).length,
  };
}
