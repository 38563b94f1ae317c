/**
 * `mobileai llm import`: a saved runner output (CI, a colleague's phone, a device farm) → run records like
 * our own measured ones. Formats: llama.cpp llama-bench (md/csv/json/jsonl), onnxruntime-genai
 * model_benchmark, LiteRT-LM --benchmark.
 */
import type { LlmImportFormat, LlmRunRecord } from './runRecord';
import { detectLlamaBench, parseLlamaBench } from './parsers/llamaBench';
import { detectGenai, parseGenaiBenchmark } from './parsers/genaiBenchmark';
import { detectLitertLm, parseLitertLm } from './parsers/litertLm';

export const LLM_IMPORT_FORMATS: readonly LlmImportFormat[] = ['llama-bench', 'genai', 'litert-lm'];

export interface LlmImportOptions {
  format?: 'auto' | LlmImportFormat;
  /** The file the text came from, kept in the records. */
  file?: string;
}

export interface LlmImportResult {
  format: LlmImportFormat;
  records: LlmRunRecord[];
  warnings: string[];
}

export function detectLlmFormat(text: string): LlmImportFormat | undefined {
  if (detectLlamaBench(text)) return 'llama-bench';
  if (detectGenai(text)) return 'genai';
  if (detectLitertLm(text)) return 'litert-lm';
  return undefined;
}

export function importLlmRun(text: string, opts: LlmImportOptions = {}): LlmImportResult {
  const wanted = opts.format ?? 'auto';
  if (wanted !== 'auto' && !LLM_IMPORT_FORMATS.includes(wanted)) throw new Error(`unknown format "${String(wanted)}"; use auto, ${LLM_IMPORT_FORMATS.join(', ')}`);
  const where = opts.file ? ` in ${opts.file}` : '';
  if (!text.trim()) throw new Error(`nothing to import${where}: the output is empty`);
  const format = wanted === 'auto' ? detectLlmFormat(text) : wanted;
  if (!format) {
    const first = text.trim().split(/\r?\n/)[0].slice(0, 80);
    throw new Error(
      `unrecognised LLM benchmark output${where} (starts "${first}"). Expected one of: ` +
        'llama-bench -o md|csv|json|jsonl (a "| model | … | test | t/s |" table, a csv header starting build_commit, or objects with avg_ts); ' +
        'onnxruntime-genai model_benchmark ("Prompt processing (time to first token):" sections); ' +
        'LiteRT-LM --benchmark ("BenchmarkInfo:" with "Prefill Speed"/"Decode Speed"). Give --format to force one.',
    );
  }
  const parse = { 'llama-bench': parseLlamaBench, genai: parseGenaiBenchmark, 'litert-lm': parseLitertLm }[format];
  try {
    const { records, warnings } = parse(text, { file: opts.file });
    return { format, records, warnings };
  } catch (err) {
    throw new Error(`${(err as Error).message}${where}`);
  }
}
