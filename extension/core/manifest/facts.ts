/**
 * What the language server knows about the project beyond the manifest's text: the latency range a table
 * allows for a search space, a model file's size and parameters, its op types and node names. Computed
 * off the request path and cached by file and modification time.
 */
import { statSync } from 'node:fs';
import { loadTables, type LatencyTable } from '../search/table';
import { resolveKit } from '../search/run';
import { latencyOf } from '../search/search';
import { Rng } from '../search/rng';
import { waitAtMost } from '../util/progress';

export interface LatencyRange {
  minMs: number;
  maxMs: number;
  /** Block kinds found in the table's keys (e.g. expanded_conv, fbnet-k3_e6). */
  blocks: string[];
  device: string;
  entries: number;
}

const mtime = (p: string) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};

/**
 * The fastest and slowest networks of a space under a table, found by a seeded search (2,000 samples, then
 * 3,000 single-block mutations from the best of them, towards each end); exact for layered spaces whose
 * layers are independent, a close bound for Once-for-All.
 */
export async function computeLatencyRange(tablePath: string, spaceId: string): Promise<LatencyRange> {
  const tables: LatencyTable[] = await loadTables(tablePath);
  const kit = await resolveKit(spaceId);
  const space = kit.space;
  const rng = new Rng(1);
  const lat = (a: unknown) => {
    try {
      return latencyOf(space, tables, a);
    } catch {
      return NaN; // an architecture the table does not cover
    }
  };
  let best = { min: Infinity, max: -Infinity, amin: undefined as unknown, amax: undefined as unknown };
  for (let i = 0; i < 2000; i++) {
    const a = space.sample(rng);
    const l = lat(a);
    if (!Number.isFinite(l)) continue;
    if (l < best.min) best = { ...best, min: l, amin: a };
    if (l > best.max) best = { ...best, max: l, amax: a };
  }
  if (best.amin === undefined) throw new Error(`the table at ${tablePath} covers no ${space.id} network (wrong space, or a table for another space)`);
  for (let i = 0; i < 3000; i++) {
    const lo = space.mutate(best.amin, rng, 0.1);
    const l1 = lat(lo);
    if (l1 < best.min) best = { ...best, min: l1, amin: lo };
    const hi = space.mutate(best.amax, rng, 0.1);
    const l2 = lat(hi);
    if (l2 > best.max) best = { ...best, max: l2, amax: hi };
  }
  const blocks = new Set<string>();
  for (const t of tables) {
    for (const k of Object.keys(t.entries)) {
      const head = k.split('-input:')[0];
      // Layered spaces key blocks as SPACE-BLOCK-input:…; Once-for-All as BLOCK-input:….
      const m = /-(skip|k[357]_e[1346](?:_g2|_se|_hs)*)$/.exec(head);
      blocks.add(m ? m[1] : head);
    }
  }
  return { minMs: best.min, maxMs: best.max, blocks: [...blocks].sort(), device: tables[0]?.device.label ?? '', entries: tables.reduce((n, t) => n + Object.keys(t.entries).length, 0) };
}

/** A cache that computes in the background and tells when a value arrives. */
export class FactCache<T> {
  private readonly values = new Map<string, { stamp: number; value?: T; error?: string; pending?: Promise<void> }>();
  constructor(private readonly compute: (...args: string[]) => Promise<T>, private readonly onReady: () => void) {}

  /** The value if known now; otherwise starts computing it and returns undefined. */
  get(file: string, ...rest: string[]): T | undefined {
    const key = [file, ...rest].join('\0');
    const stamp = mtime(file);
    const cur = this.values.get(key);
    if (cur && cur.stamp === stamp) return cur.value;
    const entry: { stamp: number; value?: T; error?: string; pending?: Promise<void> } = { stamp };
    entry.pending = this.compute(file, ...rest).then((v) => { entry.value = v; }, (err: Error) => { entry.error = err.message; }).finally(() => {
      entry.pending = undefined;
      this.onReady();
    });
    this.values.set(key, entry);
    return undefined;
  }

  /** The value, waiting up to `ms` for one being computed (hover asks once and should not say "computing…"). */
  async wait(ms: number, file: string, ...rest: string[]): Promise<T | undefined> {
    const v = this.get(file, ...rest);
    if (v !== undefined) return v;
    const pending = this.values.get([file, ...rest].join('\0'))?.pending;
    if (pending) await waitAtMost(pending, ms);
    return this.values.get([file, ...rest].join('\0'))?.value;
  }

  error(file: string, ...rest: string[]): string | undefined {
    return this.values.get([file, ...rest].join('\0'))?.error;
  }
}
