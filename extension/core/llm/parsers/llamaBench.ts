/**
 * llama.cpp `llama-bench` output → run records. Formats (tools/llama-bench/llama-bench.cpp in ggml-org/llama.cpp):
 * - `-o md` (default): a table `| model | size | params | backend | [ngl] | [threads] | … | test | t/s |`,
 *   `test` as `pp512`, `tg128`, `pp512+tg128` (older builds: `pp 512`), with ` @ d512` when `-d` is given;
 *   `t/s` as `%.2f ± %.2f`; a footer `build: <commit> (<number>)`.
 * - `-o csv`: a header of field names, then one quoted row per test.
 * - `-o json`: an array of objects; `-o jsonl`: one object per line. Both add `samples_ns` and `samples_ts`.
 * Fields are read by name, since the set changes between builds (n_depth, n_cpu_moe, devices… came later).
 * A test's t/s is 1e9·(n_prompt+n_gen)/ns, so a pp+tg row is a blended rate, neither prefill nor decode.
 */
import * as path from 'node:path';
import { newRunRecord, type LlmRunRecord, type LlmStat, type LlmTestResult } from '../runRecord';

type Row = Record<string, unknown>;

export type LlamaBenchVariant = 'md' | 'csv' | 'json' | 'jsonl';

export function detectLlamaBench(text: string): LlamaBenchVariant | undefined {
  const t = text.trim();
  if (/"avg_ts"\s*:/.test(t) && /"n_prompt"\s*:/.test(t)) {
    const firstObjLine = t.split(/\r?\n/).find((l) => l.trim().startsWith('{') || l.trim().startsWith('['));
    return firstObjLine?.trim().startsWith('[') ? 'json' : firstObjLine?.trim().endsWith('}') ? 'jsonl' : 'json';
  }
  if (t.split(/\r?\n/).some((l) => /^\s*"?build_commit"?\s*,/.test(l) && /avg_ts/.test(l) && /n_prompt/.test(l))) return 'csv';
  if (t.split(/\r?\n/).some((l) => /^\s*\|\s*model\s*\|/.test(l) && /\|\s*test\s*\|/.test(l) && /\|\s*t\/s\s*\|/.test(l))) return 'md';
  return undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}
function numArray(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
}

/** Splits one CSV line with `"…"` fields (a `""` inside is a quote), as llama-bench's csv printer writes them. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function rowsFromJson(text: string): Row[] {
  const start = text.indexOf('[');
  const end = text.lastIndexOf(']');
  if (start < 0 || end < start) throw new Error('llama-bench json: no [ … ] array in the output');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(start, end + 1));
  } catch (err) {
    throw new Error(`llama-bench json: the array does not parse (${(err as Error).message}); a run killed before its footer leaves it unclosed — use -o jsonl`);
  }
  if (!Array.isArray(parsed)) throw new Error('llama-bench json: expected an array of test objects');
  return parsed.filter((r): r is Row => typeof r === 'object' && r !== null);
}

function rowsFromJsonl(text: string, warnings: string[]): Row[] {
  const rows: Row[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (!l.startsWith('{')) return; // stderr lines (llama_perf_context_print…) mixed in
    try {
      rows.push(JSON.parse(l) as Row);
    } catch {
      warnings.push(`line ${i + 1}: not a complete JSON object (a run cut short?); skipped`);
    }
  });
  return rows;
}

function rowsFromCsv(text: string): Row[] {
  const lines = text.split(/\r?\n/);
  const h = lines.findIndex((l) => /^\s*"?build_commit"?\s*,/.test(l));
  const header = splitCsvLine(lines[h].trim());
  const rows: Row[] = [];
  for (const line of lines.slice(h + 1)) {
    if (!line.trim().startsWith('"')) continue;
    const values = splitCsvLine(line.trim());
    if (values.length !== header.length) continue;
    rows.push(Object.fromEntries(header.map((k, i) => [k, values[i]])));
  }
  return rows;
}

/** `3.56 GiB`, `265.09 MiB` → bytes (approximate: the table has two decimals). */
function parseSize(s: string): number | undefined {
  const m = /^([\d.]+)\s*(GiB|MiB|KiB|B)$/.exec(s.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * { GiB: 1024 ** 3, MiB: 1024 ** 2, KiB: 1024, B: 1 }[m[2] as 'GiB']);
}
/** `6.74 B`, `494.03 M` → parameter count (approximate). */
function parseParams(s: string): number | undefined {
  const m = /^([\d.]+)\s*([BMK])$/.exec(s.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * { B: 1e9, M: 1e6, K: 1e3 }[m[2] as 'B']);
}

/** `pp512`, `pp 512`, `tg128`, `pp512+tg128`, `tg128@pp512`, each optionally ` @ d512`. */
export function parseTestLabel(label: string): { kind: LlmTestResult['kind']; promptTokens: number; genTokens: number; depth?: number } | undefined {
  const m = /^\s*(.*?)(?:\s*@\s*d\s*(\d+))?\s*$/.exec(label);
  const body = (m?.[1] ?? '').replace(/\s+/g, '');
  const depth = m?.[2] !== undefined ? Number(m[2]) : undefined;
  let x: RegExpExecArray | null;
  if ((x = /^pp(\d+)$/.exec(body))) return { kind: 'pp', promptTokens: Number(x[1]), genTokens: 0, depth };
  if ((x = /^tg(\d+)$/.exec(body))) return { kind: 'tg', promptTokens: 0, genTokens: Number(x[1]), depth };
  if ((x = /^pp(\d+)\+tg(\d+)$/.exec(body))) return { kind: 'pg', promptTokens: Number(x[1]), genTokens: Number(x[2]), depth };
  if ((x = /^tg(\d+)@pp(\d+)$/.exec(body))) return { kind: 'gp', promptTokens: Number(x[2]), genTokens: Number(x[1]), depth };
  return undefined;
}

function rowsFromMarkdown(text: string, warnings: string[]): { rows: Row[]; build?: string } {
  const lines = text.split(/\r?\n/);
  const rows: Row[] = [];
  let header: string[] | undefined;
  for (const line of lines) {
    const l = line.trim();
    if (!l.startsWith('|')) {
      header = l === '' ? header : undefined;
      continue;
    }
    const cells = l.slice(1, l.endsWith('|') ? -1 : undefined).split('|').map((c) => c.trim());
    if (cells.includes('model') && cells.includes('test') && cells.includes('t/s')) {
      header = cells;
      continue;
    }
    if (!header || cells.every((c) => /^:?-+:?$/.test(c))) continue;
    if (cells.length !== header.length) {
      warnings.push(`table row with ${cells.length} cells under a ${header.length}-column header; skipped: ${l}`);
      continue;
    }
    const cell = Object.fromEntries(header.map((k, i) => [k, cells[i]]));
    const test = parseTestLabel(cell.test ?? '');
    const ts = /^([\d.]+)\s*±\s*([\d.]+)$/.exec(cell['t/s'] ?? '');
    if (!test || !ts) {
      warnings.push(`row not understood (test "${cell.test}", t/s "${cell['t/s']}"); skipped`);
      continue;
    }
    rows.push({
      model_type: cell.model,
      model_size: parseSize(cell.size ?? ''),
      model_n_params: parseParams(cell.params ?? ''),
      backends: cell.backend,
      n_threads: num(cell.threads),
      n_gpu_layers: num(cell.ngl),
      n_batch: num(cell.n_batch),
      n_ubatch: num(cell.n_ubatch),
      type_k: cell.type_k,
      type_v: cell.type_v,
      flash_attn: cell.fa,
      n_prompt: test.promptTokens,
      n_gen: test.genTokens,
      n_depth: test.depth,
      avg_ts: Number(ts[1]),
      stddev_ts: Number(ts[2]),
      __label: cell.test,
      __kind: test.kind,
      __approx: true,
    });
  }
  const b = /^build:\s*(\S+)\s*\((\d+)\)/m.exec(text);
  return { rows, build: b ? `${b[1]} (${b[2]})` : undefined };
}

function testFromRow(r: Row): LlmTestResult | undefined {
  const p = num(r.n_prompt) ?? 0;
  const g = num(r.n_gen) ?? 0;
  const depth = num(r.n_depth);
  const avgTs = num(r.avg_ts);
  const samplesTs = numArray(r.samples_ts);
  const samplesNs = numArray(r.samples_ns);
  if (avgTs === undefined) return undefined;
  const kind: LlmTestResult['kind'] = (r.__kind as LlmTestResult['kind']) ?? (p > 0 && g === 0 ? 'pp' : g > 0 && p === 0 ? 'tg' : 'pg');
  const label = (r.__label as string | undefined) ?? `${kind === 'pp' ? `pp${p}` : kind === 'tg' ? `tg${g}` : `pp${p}+tg${g}`}${depth ? ` @ d${depth}` : ''}`;
  const tokensPerSecond: LlmStat = { mean: avgTs, stddev: num(r.stddev_ts), n: samplesTs?.length, samples: samplesTs };
  const avgNs = num(r.avg_ns);
  const timeMs: LlmStat | undefined = avgNs !== undefined ? { mean: avgNs / 1e6, stddev: (num(r.stddev_ns) ?? 0) / 1e6, n: samplesNs?.length, samples: samplesNs?.map((v) => v / 1e6) } : undefined;
  return { kind, label, promptTokens: p, genTokens: g, depth: depth || undefined, tokensPerSecond, timeMs };
}

/** The configuration that makes two rows the same run (one record): model, backend and its settings, depth. */
const GROUP_FIELDS = ['model_filename', 'model_type', 'backends', 'gpu_info', 'n_threads', 'n_gpu_layers', 'n_batch', 'n_ubatch', 'type_k', 'type_v', 'flash_attn', 'cpu_mask', 'devices', 'n_cpu_moe', 'split_mode', 'n_depth'];

export function parseLlamaBench(text: string, opts: { file?: string; variant?: LlamaBenchVariant } = {}): { records: LlmRunRecord[]; warnings: string[] } {
  const variant = opts.variant ?? detectLlamaBench(text);
  if (!variant) throw new Error('not llama-bench output: no markdown table with model/test/t/s columns, no csv header with build_commit, no json with avg_ts');
  const warnings: string[] = [];
  let rows: Row[];
  let mdBuild: string | undefined;
  if (variant === 'json') rows = rowsFromJson(text);
  else if (variant === 'jsonl') rows = rowsFromJsonl(text, warnings);
  else if (variant === 'csv') rows = rowsFromCsv(text);
  else ({ rows, build: mdBuild } = rowsFromMarkdown(text, warnings));
  if (!rows.length) throw new Error(`llama-bench ${variant}: no test results in the output`);

  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = JSON.stringify(GROUP_FIELDS.map((f) => r[f] ?? null));
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }

  const records: LlmRunRecord[] = [];
  for (const g of groups.values()) {
    const first = g[0];
    const rec = newRunRecord('llama-bench', 'llama-bench');
    const file = str(first.model_filename);
    const type = str(first.model_type);
    rec.model = { name: file ? path.basename(file.replace(/\\/g, '/')) : type ?? 'model', file, type, sizeBytes: num(first.model_size), params: num(first.model_n_params) };
    const cpu = str(first.cpu_info);
    const gpu = str(first.gpu_info);
    rec.device = { label: cpu ? `${cpu}${gpu ? ` + ${gpu}` : ''}` : 'not in the output (the markdown table names no device; give --device)', cpu, gpu, kind: 'unknown' };
    rec.backend = str(first.backends);
    rec.threads = num(first.n_threads);
    rec.batchSize = num(first.n_batch);
    rec.gpuLayers = num(first.n_gpu_layers);
    rec.source = { format: 'llama-bench', variant, file: opts.file, build: mdBuild ?? (str(first.build_commit) ? `${str(first.build_commit)}${num(first.build_number) !== undefined ? ` (${num(first.build_number)})` : ''}` : undefined), measuredAt: str(first.test_time), importedAt: new Date().toISOString() };
    for (const r of g) {
      const t = testFromRow(r);
      if (t) rec.tests.push(t);
      else warnings.push(`a row without avg_ts skipped (${JSON.stringify(r).slice(0, 80)}…)`);
    }
    const pp = rec.tests.find((t) => t.kind === 'pp');
    const tg = rec.tests.find((t) => t.kind === 'tg') ?? rec.tests.find((t) => t.kind === 'gp');
    if (pp) {
      rec.prefill = pp.tokensPerSecond;
      rec.promptTokens = pp.promptTokens;
      // llama-bench times the whole prompt batch; one pp repetition is the prefill part of time to first token.
      rec.timeToFirstTokenMs = pp.timeMs ?? { mean: (1000 * pp.promptTokens) / pp.tokensPerSecond.mean };
      rec.notes.push(`time to first token is the ${pp.label} prompt time${pp.timeMs ? '' : ' (P ÷ prefill rate)'}; llama-bench does not time tokenization or sampling`);
    }
    if (tg) {
      rec.decode = tg.tokensPerSecond;
      rec.genTokens = tg.genTokens;
      rec.decodeLatencyMs = { mean: 1000 / tg.tokensPerSecond.mean };
      if (tg.kind === 'gp') rec.notes.push(`decode rate from ${tg.label}: generation after a ${tg.promptTokens}-token prompt`);
    }
    if (!pp && !tg && rec.tests.some((t) => t.kind === 'pg')) rec.notes.push('only pp+tg tests: their t/s is (P+D) ÷ total time, a blended rate, not prefill or decode; run with -p and -n for those');
    for (const a of ['pp', 'tg'] as const) {
      const more = rec.tests.filter((t) => t.kind === a).length;
      if (more > 1) rec.notes.push(`${more} ${a} tests: the ${a === 'pp' ? 'prefill' : 'decode'} rate is from the first (${(a === 'pp' ? pp : tg)?.label}); all are in tests`);
    }
    if (rows[0].__approx) rec.notes.push('from the markdown table: size and parameters are rounded to two decimals; no per-repetition samples (use -o jsonl for them)');
    const reps = rec.tests.find((t) => t.tokensPerSecond.samples)?.tokensPerSecond.samples?.length;
    if (reps) rec.repetitions = reps;
    records.push(rec);
  }
  return { records, warnings };
}
