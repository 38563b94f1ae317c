import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { writeFileAtomicNoClobber } from '../util/fsAtomic';
import { isKernelModels, type KernelModels } from '../latency/model';
import type { Fusion } from '../latency/kernels';

/** One block's measured latency. */
export interface TableEntry {
  mean: number;
  std?: number;
  count?: number;
}

/** The latency table format (`mobileai.latency-table/1`): documented in the README. */
export interface LatencyTable {
  schema: 'mobileai.latency-table/1';
  device: { label: string; serial?: string; soc?: string; note?: string };
  runtime: { name: string; version?: string };
  /** Input resolution the block shapes belong to (a space may need one table per resolution). */
  resolution?: number;
  /** The network input the block shapes belong to (e.g. input 1x3x224x224), for tables measured here. */
  inputs?: Array<{ name: string; shape: number[] }>;
  unit: 'ms';
  /** Block signature → latency. */
  entries: Record<string, TableEntry>;
  provenance: { source: string; createdAt?: string; note?: string };
  /**
   * How the entries were made: `blocks` (each block timed alone; absent in older tables means this) or
   * `kernels` (each block's kernels, as onnxruntime fuses them inside whole networks, predicted by per-kernel
   * models; the per-network overhead is in the entry named by `kernels.overheadIn`).
   */
  predictor?: 'blocks' | 'kernels';
  /** onnxruntime intra-op threads the table was measured with (absent: onnxruntime's default). */
  threads?: number;
  /** Kernel tables: the models, so any network of the space (or another) can be predicted kernel by kernel. */
  kernels?: KernelTableData;
}

export interface KernelTableData {
  models: KernelModels;
  /** The per-network overhead (ms) and the block key whose entry carries it (every network has that block). */
  overheadMs: number;
  overheadIn: string;
  /** Networks profiled to fit the models, and the build's wall time. */
  networks: number;
  buildSeconds: number;
  /** Fusions onnxruntime applied in the profiled networks (original ops → kernel). */
  fusions: Fusion[];
}

export class TableError extends Error {}

/** The latency of one key, or an error that names the key (a missing entry is never guessed). */
export function lookup(table: LatencyTable, key: string): number {
  const e = table.entries[key];
  if (!e) throw new TableError(`latency table "${table.device.label}"${table.resolution ? ` (${table.resolution})` : ''} has no entry for ${key}`);
  return e.mean;
}

function validate(t: unknown, where: string): LatencyTable {
  const o = t as LatencyTable;
  if (!o || typeof o !== 'object' || o.schema !== 'mobileai.latency-table/1' || typeof o.entries !== 'object' || !o.entries) {
    throw new TableError(`${where} is not a latency table (expected schema "mobileai.latency-table/1" with "entries")`);
  }
  for (const [k, v] of Object.entries(o.entries)) {
    if (!v || typeof v.mean !== 'number' || !Number.isFinite(v.mean) || v.mean < 0) throw new TableError(`${where}: entry ${k} has no valid "mean"`);
  }
  if (o.predictor !== undefined && o.predictor !== 'blocks' && o.predictor !== 'kernels') throw new TableError(`${where}: "predictor" must be "blocks" or "kernels" (got ${JSON.stringify(o.predictor)})`);
  if (o.predictor === 'kernels' && (!o.kernels || !isKernelModels(o.kernels.models) || typeof o.kernels.overheadMs !== 'number' || typeof o.kernels.overheadIn !== 'string')) {
    throw new TableError(`${where}: a "kernels" table needs "kernels" with valid models, overheadMs and overheadIn`);
  }
  return o;
}

/** Once-for-All's YAML tables: `key: {count, mean, std}` per block. */
export function fromOfaYaml(text: string, opts: { resolution?: number; device?: string; source?: string } = {}): LatencyTable {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new TableError(`not valid YAML: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new TableError('the YAML holds no table');
  const entries: Record<string, TableEntry> = {};
  for (const [k, v] of Object.entries(doc as Record<string, { mean?: unknown; std?: unknown; count?: unknown }>)) {
    if (!v || typeof v.mean !== 'number') throw new TableError(`entry ${k} has no numeric mean`);
    entries[k] = { mean: v.mean, std: typeof v.std === 'number' ? v.std : undefined, count: typeof v.count === 'number' ? v.count : undefined };
  }
  return { schema: 'mobileai.latency-table/1', device: { label: opts.device ?? 'Samsung Galaxy Note10' }, runtime: { name: 'unknown (Once-for-All measurement)' }, resolution: opts.resolution, unit: 'ms', entries, provenance: { source: opts.source ?? 'Once-for-All lookup table (YAML)' } };
}

/** CSV with a header `key,mean[,std][,count]`; keys may be quoted. */
export function fromCsv(text: string, opts: { resolution?: number; device?: string; source?: string } = {}): LatencyTable {
  const rows = text.replace(/\r\n/g, '\n').split('\n').filter((l) => l.trim());
  const cells = (l: string) => (l.match(/("([^"]|"")*"|[^,]*)(,|$)/g) ?? []).map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"')).filter((_, i, a) => i < a.length - 1 || a[i] !== '');
  const head = cells(rows[0] ?? '').map((h) => h.trim().toLowerCase());
  const ki = head.indexOf('key');
  const mi = head.indexOf('mean');
  if (ki < 0 || mi < 0) throw new TableError('the CSV needs a header with "key" and "mean" columns');
  const entries: Record<string, TableEntry> = {};
  rows.slice(1).forEach((r, i) => {
    const c = cells(r);
    const mean = Number(c[mi]);
    if (!c[ki] || !Number.isFinite(mean)) throw new TableError(`CSV row ${i + 2}: needs a key and a numeric mean`);
    const std = head.indexOf('std') >= 0 ? Number(c[head.indexOf('std')]) : undefined;
    const count = head.indexOf('count') >= 0 ? Number(c[head.indexOf('count')]) : undefined;
    entries[c[ki]] = { mean, std: Number.isFinite(std) ? std : undefined, count: Number.isFinite(count) ? count : undefined };
  });
  return { schema: 'mobileai.latency-table/1', device: { label: opts.device ?? 'unknown device' }, runtime: { name: 'unknown' }, resolution: opts.resolution, unit: 'ms', entries, provenance: { source: opts.source ?? 'CSV' } };
}

/**
 * Loads tables from a file (.json, .yaml/.yml, .csv) or a folder of them. OFA files named
 * `<resolution>_lookup_table.yaml` get their resolution from the name. Returns tables by resolution
 * (undefined key: a table for any resolution).
 */
export async function loadTables(p: string): Promise<LatencyTable[]> {
  const st = await fs.stat(p).catch(() => undefined);
  if (!st) throw new TableError(`latency table ${p} does not exist`);
  const files = st.isDirectory() ? (await fs.readdir(p)).filter((f) => /\.(json|ya?ml|csv)$/i.test(f)).sort().map((f) => path.join(p, f)) : [p];
  if (!files.length) throw new TableError(`no latency tables (.json, .yaml, .csv) in ${p}`);
  const out: LatencyTable[] = [];
  const json = files.filter((f) => f.endsWith('.json'));
  // A predictor's weights can be large: only parse JSON files that look like tables.
  for (const f of json) {
    if ((await fs.stat(f)).size > 64 * 1024 * 1024) files.splice(files.indexOf(f), 1);
  }
  for (const f of files) {
    const text = await fs.readFile(f, 'utf8');
    const res = /(\d{2,4})_lookup_table\.ya?ml$/i.exec(path.basename(f));
    const opts = { resolution: res ? Number(res[1]) : undefined, source: path.basename(f) };
    try {
      if (/\.ya?ml$/i.test(f)) out.push(fromOfaYaml(text, opts));
      else if (/\.csv$/i.test(f)) out.push(fromCsv(text, opts));
      else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (err) {
          throw new TableError(`not valid JSON: ${(err as Error).message}`);
        }
        // In a folder, other JSON files (a predictor's weights, say) are not tables: skip them.
        if (st.isDirectory() && (parsed as { schema?: unknown })?.schema !== 'mobileai.latency-table/1') continue;
        out.push(validate(parsed, path.basename(f)));
      }
    } catch (err) {
      throw new TableError(`${path.basename(f)}: ${(err as Error).message}`);
    }
  }
  return out;
}

export async function saveTable(t: LatencyTable, file: string): Promise<void> {
  await writeFileAtomicNoClobber(file, `${JSON.stringify(t, null, 2)}\n`);
}

/** Picks the table for a resolution (exact match first, then one without a resolution). */
export function tableFor(tables: LatencyTable[], resolution: number | undefined): LatencyTable {
  const t = tables.find((x) => x.resolution === resolution) ?? tables.find((x) => x.resolution === undefined);
  if (!t) throw new TableError(`no latency table for resolution ${resolution} (have ${tables.map((x) => x.resolution ?? 'any').join(', ')})`);
  return t;
}
