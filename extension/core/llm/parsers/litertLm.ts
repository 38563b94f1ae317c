/**
 * LiteRT-LM `--benchmark` output → a run record. Format (runtime/engine/io_types.cc in
 * google-ai-edge/LiteRT-LM, `operator<<(std::ostream&, const BenchmarkInfo&)`, logged by
 * runtime/engine/litert_lm_main.cc with ABSL_LOG(INFO), so the first line may carry a log prefix):
 *   BenchmarkInfo:
 *     Init Phases (N):            then `    - <phase>: <ms> ms` lines (older builds: `    Total init time: <ms> ms`)
 *     Time to first token: <s> s  (newer builds; prefill turn 1 time + one decode step)
 *     Prefill Turns (Total N turns):   (older: `(Total: N)`)
 *       Prefill Turn i: Processed <n> tokens in <absl duration> duration.
 *         Prefill Speed: <x> tokens/sec.
 *     Decode Turns (Total N turns):    likewise with `Decode Turn i` / `Decode Speed`
 * separated by `-----` lines; figures with two decimals; durations in absl's format (`1.5s`, `410.2ms`, `2m3.5s`).
 */
import { newRunRecord, statOf, type LlmRunRecord } from '../runRecord';

export function detectLitertLm(text: string): boolean {
  return /BenchmarkInfo:/.test(text) || (/Prefill Speed:\s*[\d.]+\s*tokens\/sec/.test(text) && /Decode Speed:\s*[\d.]+\s*tokens\/sec/.test(text));
}

/** absl::FormatDuration text → milliseconds (`1h2m3.5s`, `410.123ms`, `250us`, `80ns`, `0`). */
export function parseAbslDuration(s: string): number | undefined {
  const t = s.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(h|m(?!s)|s|ms|us|µs|ns)/g;
  let total = 0;
  let seen = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t))) {
    const v = Number(m[1]);
    total += v * { h: 3600e3, m: 60e3, s: 1e3, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 }[m[2] as 'h'];
    seen += m[0].length;
  }
  const sign = t.startsWith('-') ? -1 : 1;
  return seen > 0 && seen === t.replace(/^-/, '').length ? sign * total : undefined;
}

export function parseLitertLm(text: string, opts: { file?: string } = {}): { records: LlmRunRecord[]; warnings: string[] } {
  if (!detectLitertLm(text)) throw new Error('not LiteRT-LM --benchmark output: no "BenchmarkInfo:" block nor "Prefill Speed: … tokens/sec." / "Decode Speed: …" lines');
  const warnings: string[] = [];
  const rec = newRunRecord('litert-lm', 'litert-lm');
  rec.source = { format: 'litert-lm', variant: 'BenchmarkInfo', file: opts.file, importedAt: new Date().toISOString() };

  const phases: Record<string, number> = {};
  let section: 'init' | 'prefill' | 'decode' | 'other' = 'other';
  let totalInit: number | undefined;
  let ttftS: number | undefined;
  const turns: Record<'prefill' | 'decode', { tokens?: number; ms?: number; rate?: number }[]> = { prefill: [], decode: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if (/Init Phases \(\d+\):/.test(line)) section = 'init';
    else if (/Prefill Turns \(Total:?\s*\d+(?: turns)?\):/.test(line)) section = 'prefill';
    else if (/Decode Turns \(Total:?\s*\d+(?: turns)?\):/.test(line)) section = 'decode';
    else if (/^(TextToTokenIds Turns|Mark Durations)/.test(line)) section = 'other';
    else if ((m = /Time to first token:\s*([\d.]+)\s*s\b/.exec(line))) ttftS = Number(m[1]);
    else if (section === 'init' && (m = /^Total init time:\s*([\d.]+)\s*ms/.exec(line))) totalInit = Number(m[1]);
    else if (section === 'init' && (m = /^-\s*(.+?):\s*([\d.]+)\s*ms$/.exec(line))) phases[m[1]] = Number(m[2]);
    else if ((section === 'prefill' || section === 'decode') && (m = /(?:Prefill|Decode) Turn \d+:\s*Processed (\d+) tokens in (\S+) duration\./.exec(line))) {
      turns[section].push({ tokens: Number(m[1]), ms: parseAbslDuration(m[2]) });
    } else if ((m = /(Prefill|Decode) Speed:\s*([\d.]+)\s*tokens\/sec/.exec(line))) {
      const which = m[1] === 'Prefill' ? 'prefill' : 'decode';
      const list = turns[which];
      const last = list[list.length - 1];
      if (last && last.rate === undefined) last.rate = Number(m[2]);
      else list.push({ rate: Number(m[2]) });
    }
  }

  for (const which of ['prefill', 'decode'] as const) {
    const list = turns[which].filter((t) => t.rate !== undefined && t.rate > 0);
    if (!list.length) {
      warnings.push(`no ${which} turns with a speed`);
      continue;
    }
    const rates = list.map((t) => t.rate as number);
    const stat = rates.length > 1 ? statOf(rates) : { mean: rates[0], n: 1, samples: rates };
    const tokens = list[0].tokens ?? 0;
    rec[which] = stat;
    if (which === 'prefill') rec.promptTokens = tokens;
    else rec.genTokens = tokens;
    list.forEach((t, i) =>
      rec.tests.push({
        kind: which === 'prefill' ? 'pp' : 'tg',
        label: `${which} turn ${i + 1}${t.tokens !== undefined ? ` (${t.tokens} tokens)` : ''}`,
        promptTokens: which === 'prefill' ? (t.tokens ?? 0) : 0,
        genTokens: which === 'decode' ? (t.tokens ?? 0) : 0,
        tokensPerSecond: { mean: t.rate as number },
        timeMs: t.ms !== undefined ? { mean: t.ms } : undefined,
      }),
    );
    if (list.length > 1) rec.notes.push(`${list.length} ${which} turns: the ${which} rate is their mean ± stddev`);
  }
  if (rec.decode) rec.decodeLatencyMs = { mean: 1000 / rec.decode.mean };

  if (ttftS !== undefined && ttftS > 0) rec.timeToFirstTokenMs = { mean: ttftS * 1000 };
  else {
    const p = turns.prefill[0];
    const d = turns.decode[0];
    if (p?.ms !== undefined && d?.ms !== undefined && d.tokens) {
      rec.timeToFirstTokenMs = { mean: p.ms + d.ms / d.tokens };
      rec.notes.push('time to first token derived as prefill turn 1 + one average decode step (this build does not print it)');
    }
  }
  if (Object.keys(phases).length) {
    rec.extra = Object.fromEntries(Object.entries(phases).map(([k, v]) => [`init: ${k} (ms)`, v]));
    rec.modelLoadMs = totalInit ?? Object.values(phases).reduce((a, b) => a + b, 0);
    if (totalInit === undefined) rec.notes.push('model load time is the sum of the init phases');
  } else if (totalInit !== undefined) rec.modelLoadMs = totalInit;
  rec.notes.push('LiteRT-LM prints no model, backend or device in the benchmark block; they come from the command line');
  if (!rec.prefill && !rec.decode) throw new Error('LiteRT-LM benchmark block has no prefill or decode speed (was the run cut short?)');
  return { records: [rec], warnings };
}
