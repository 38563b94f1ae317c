/**
 * onnxruntime-genai `model_benchmark` text output → a run record. Format (benchmark/c/main.cpp in
 * microsoft/onnxruntime-genai): a line `Batch size: B, prompt tokens: P, tokens to generate: D`, then
 * sections `<label>:` each followed by tab-indented `avg (us):`, `avg (tokens/s):`, `p50 (us):`,
 * `stddev (us):`, `n: N * T token(s)` — for `Prompt processing (time to first token)` (one measurement is
 * the whole prompt, T = B·P), `Token generation` and `Token sampling` (T = B) — and `E2E generation
 * (entire generation loop)` in ms; finally `Peak working set size: X bytes (…)` (and on Windows the GPU
 * memory lines). Numbers are printed with iostream defaults (6 significant digits, maybe `1.2e+06`).
 */
import { newRunRecord, type LlmRunRecord, type LlmStat } from '../runRecord';

const NUM = '([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)';

export function detectGenai(text: string): boolean {
  return /^\s*(Prompt processing \(time to first token\)|Token generation|E2E generation[^:\n]*):\s*$/m.test(text) && /avg \((us|ms)\):/.test(text);
}

interface Section {
  avgUs?: number;
  avgMs?: number;
  tokensPerSec?: number;
  p50?: number;
  stddev?: number;
  n?: number;
  tokensPerMeasurement?: number;
}

function sections(text: string): Map<string, Section> {
  const out = new Map<string, Section>();
  let cur: Section | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const head = /^(\S[^:]*(?:\([^)]*\))?[^:]*):\s*$/.exec(raw);
    if (head) {
      cur = {};
      out.set(head[1].trim(), cur);
      continue;
    }
    if (!cur) continue;
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^avg \\(us\\):\\s*${NUM}$`).exec(line))) cur.avgUs = Number(m[1]);
    else if ((m = new RegExp(`^avg \\(ms\\):\\s*${NUM}$`).exec(line))) cur.avgMs = Number(m[1]);
    else if ((m = new RegExp(`^avg \\(tokens/s\\):\\s*${NUM}$`).exec(line))) cur.tokensPerSec = Number(m[1]);
    else if ((m = new RegExp(`^p50 \\((?:us|ms)\\):\\s*${NUM}$`).exec(line))) cur.p50 = Number(m[1]);
    else if ((m = new RegExp(`^stddev \\((?:us|ms)\\):\\s*${NUM}$`).exec(line))) cur.stddev = Number(m[1]);
    else if ((m = /^n:\s*(\d+)(?:\s*\*\s*(\d+)\s*token\(s\))?$/.exec(line))) {
      cur.n = Number(m[1]);
      if (m[2] !== undefined) cur.tokensPerMeasurement = Number(m[2]);
    } else if (line !== '' && !/^\s/.test(raw)) cur = undefined;
  }
  return out;
}

function find(secs: Map<string, Section>, prefix: string): Section | undefined {
  for (const [k, v] of secs) if (k.startsWith(prefix)) return v;
  return undefined;
}

export function parseGenaiBenchmark(text: string, opts: { file?: string } = {}): { records: LlmRunRecord[]; warnings: string[] } {
  if (!detectGenai(text)) throw new Error('not onnxruntime-genai model_benchmark output: no "Prompt processing (time to first token):" / "Token generation:" sections with "avg (us):" lines');
  const warnings: string[] = [];
  const rec = newRunRecord('onnxruntime-genai', 'genai');
  rec.source = { format: 'genai', variant: 'model_benchmark', file: opts.file, importedAt: new Date().toISOString() };
  rec.notes.push('model_benchmark prints no model folder, execution provider or device; they come from its command line');

  const hdr = /Batch size:\s*(\d+),\s*prompt tokens:\s*(\d+),\s*tokens to generate:\s*(\d+)/.exec(text);
  const batch = hdr ? Number(hdr[1]) : undefined;
  if (hdr) {
    rec.batchSize = batch;
    rec.promptTokens = Number(hdr[2]);
    rec.genTokens = Number(hdr[3]);
  } else warnings.push('no "Batch size: …, prompt tokens: …, tokens to generate: …" line; P and D unknown');
  if (batch !== undefined && batch > 1) rec.notes.push(`batch size ${batch}: rates count tokens of all ${batch} sequences`);

  const secs = sections(text);
  const pp = find(secs, 'Prompt processing');
  const tg = find(secs, 'Token generation');
  const ts = find(secs, 'Token sampling');
  const e2e = find(secs, 'E2E generation');

  // A rate's stddev from the time's stddev to first order: σ_rate ≈ rate · σ_t / t.
  const rateFrom = (s: Section, tokens: number | undefined): LlmStat | undefined => {
    if (s.avgUs === undefined || s.avgUs <= 0) return undefined;
    const per = s.tokensPerMeasurement ?? tokens;
    const rate = s.tokensPerSec ?? (per !== undefined ? (1e6 / s.avgUs) * per : undefined);
    if (rate === undefined) return undefined;
    return { mean: rate, stddev: s.stddev !== undefined ? (rate * s.stddev) / s.avgUs : undefined, n: s.n };
  };

  if (pp) {
    rec.prefill = rateFrom(pp, batch !== undefined && rec.promptTokens !== undefined ? batch * rec.promptTokens : undefined);
    if (pp.avgUs !== undefined) rec.timeToFirstTokenMs = { mean: pp.avgUs / 1000, stddev: pp.stddev !== undefined ? pp.stddev / 1000 : undefined, n: pp.n };
    if (rec.prefill) rec.tests.push({ kind: 'pp', label: `prompt processing (P=${rec.promptTokens ?? '?'})`, promptTokens: rec.promptTokens ?? 0, genTokens: 0, tokensPerSecond: rec.prefill, timeMs: rec.timeToFirstTokenMs });
  } else warnings.push('no "Prompt processing (time to first token)" section');
  if (tg) {
    rec.decode = rateFrom(tg, batch);
    if (tg.avgUs !== undefined) rec.decodeLatencyMs = { mean: tg.avgUs / 1000, stddev: tg.stddev !== undefined ? tg.stddev / 1000 : undefined, n: tg.n };
    if (rec.decode) rec.tests.push({ kind: 'tg', label: `token generation (D=${rec.genTokens ?? '?'})`, promptTokens: 0, genTokens: rec.genTokens ?? 0, tokensPerSecond: rec.decode, timeMs: rec.decodeLatencyMs });
  } else warnings.push('no "Token generation" section');
  if (rec.prefill?.stddev !== undefined || rec.decode?.stddev !== undefined) rec.notes.push('rate stddevs are derived from the time stddevs (rate · σt / t); model_benchmark prints only the time stddev');
  rec.notes.push('time to first token is model_benchmark\'s prompt-processing time (the first token\'s forward pass, without tokenization)');

  const extra: Record<string, number> = {};
  if (ts?.avgUs !== undefined) extra['token sampling avg (ms)'] = ts.avgUs / 1000;
  if (e2e?.avgMs !== undefined) extra['E2E generation avg (ms)'] = e2e.avgMs;
  if (e2e?.stddev !== undefined) extra['E2E generation stddev (ms)'] = e2e.stddev;
  if (e2e?.n !== undefined) rec.repetitions = e2e.n;
  const gpu = /Total GPU memory usage:\s*(\d+)\s*bytes/.exec(text);
  if (gpu) extra['GPU memory (bytes)'] = Number(gpu[1]);
  if (Object.keys(extra).length) rec.extra = extra;

  const ws = /Peak working set size:\s*(\d+)\s*bytes/.exec(text);
  if (ws) {
    rec.peakMemoryBytes = Number(ws[1]);
    rec.notes.push('peak memory is the benchmark process\'s peak working set (peak RSS), model load included');
  }
  if (!rec.prefill && !rec.decode) throw new Error('onnxruntime-genai model_benchmark: sections found but no avg (us) figures in them');
  return { records: [rec], warnings };
}
