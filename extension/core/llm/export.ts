/**
 * Exporting LLM runs: CSV (one row per run, or a comparison's metric rows with deltas) for a spreadsheet,
 * and JSON (the run records themselves, `mobileai.llm-run/1`). RFC 4180 quoting; text that a spreadsheet
 * would take for a formula is defused. Numbers are written as plain numbers with no `-0`.
 */
import type { LlmRunRecord } from './runRecord';
import { LLM_METRICS, formatNumber, measuredOn, type LlmComparison } from './compare';

/** A CSV cell: numbers as they are; text quoted when needed, with a leading `=`, `+`, `-`, `@` defused. */
export function csvField(v: string | number | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? '0' : String(v)) : '';
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const csv = (rows: Array<Array<string | number | undefined>>) => `${rows.map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
/** Rounded to `digits` decimals, as a number (a spreadsheet reads it as one); -0 becomes 0. */
const fixed = (v: number | undefined, digits: number) => (v === undefined || !Number.isFinite(v) ? undefined : Number(formatNumber(v, digits)) || 0);
/** Two more decimals than the panel shows: a CSV is for further work. */
const round = (v: number | undefined, digits: number) => fixed(v, digits + 2);

/** One row per run: its set-up, then each figure and its standard deviation (empty where the run has none). */
export function runsToCsv(records: readonly LlmRunRecord[]): string {
  const metrics = LLM_METRICS.filter((m) => records.some((r) => m.value(r) !== undefined));
  const header = ['id', 'model', 'measured_on', 'runner', 'backend', 'threads', 'gpu_layers', 'prompt_tokens', 'gen_tokens', 'repetitions', 'status', 'source', 'measured_at'];
  for (const m of metrics) {
    header.push(`${m.key}`);
    if (m.stddev && records.some((r) => m.stddev?.(r) !== undefined)) header.push(`${m.key}_stddev`);
  }
  const rows: Array<Array<string | number | undefined>> = [header];
  for (const r of records) {
    const row: Array<string | number | undefined> = [r.id, r.model.name, measuredOn(r), r.runner, r.backend, r.threads, r.gpuLayers, r.promptTokens, r.genTokens, r.repetitions, r.status, r.source.format === 'measured' ? 'measured' : `import:${r.source.format}`, r.source.measuredAt];
    for (const m of metrics) {
      row.push(round(m.value(r), m.digits));
      if (m.stddev && records.some((x) => m.stddev?.(x) !== undefined)) row.push(round(m.stddev(r), m.digits));
    }
    rows.push(row);
  }
  return csv(rows);
}

/** A comparison: one row per figure; per run its value, then (not for the baseline) the signed delta and delta %. */
export function comparisonToCsv(c: LlmComparison): string {
  const header = ['metric', 'unit', 'better'];
  c.runs.forEach((r, i) => {
    header.push(`${r.label} [${r.id}]`);
    if (i !== c.baseline) header.push(`delta vs ${c.runs[c.baseline].id}`, 'delta %');
  });
  const rows: Array<Array<string | number | undefined>> = [header];
  for (const row of c.rows) {
    const line: Array<string | number | undefined> = [row.label, row.unit, row.better];
    row.values.forEach((v, i) => {
      line.push(fixed(v, row.digits));
      if (i === c.baseline) return;
      line.push(fixed(row.deltas[i], row.digits), fixed(row.deltaPercents[i], 1));
    });
    rows.push(line);
  }
  for (const d of c.differences) rows.push(['differs', d]);
  for (const w of c.caveats) rows.push(['caveat', w]);
  return csv(rows);
}

/** The run records as JSON (what `mobileai llm import --json` and the run store hold). */
export function runsToJson(records: readonly LlmRunRecord[]): string {
  return `${JSON.stringify({ schema: 'mobileai.llm-runs/1', exportedAt: new Date().toISOString(), runs: records }, null, 2)}\n`;
}
