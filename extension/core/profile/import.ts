import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { benchmarkToProfile, delegateLabels, looksLikeBenchmarkCsv, parseBenchmarkModel } from '../runtimes/benchmarkModel';
import { ORT_PROFILE_FILE_RE, parsePerfTestOutput } from '../runtimes/perfTest';
import { parseOrtProfile } from './ortProfile';
import type { ProfileResult } from './types';

export const IMPORT_FORMATS = ['auto', 'ort-json', 'perf-test', 'benchmark-model', 'benchmark-model-csv', 'mobileai'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export class ProfileImportError extends Error {}

export interface ImportOptions {
  format?: ImportFormat;
  /** ORT JSON: model_run events to drop as warm-up (default: 1 when there are at least 2, as onnxruntime_perf_test's first run is its warm-up). */
  warmup?: number;
  /** A label for the device the output came from (default: "imported"). */
  device?: string;
  /** Model file name, when the output does not say it. */
  model?: string;
}

/** Guesses the format of a saved runner output. */
export function detectFormat(text: string): Exclude<ImportFormat, 'auto'> {
  const t = text.trimStart();
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      const j = JSON.parse(t) as unknown;
      if (Array.isArray(j)) return 'ort-json';
      if (j && typeof j === 'object' && (j as { schema?: unknown }).schema === 'mobileai.profile/1') return 'mobileai';
      if (j && typeof j === 'object' && Array.isArray((j as { traceEvents?: unknown }).traceEvents)) return 'ort-json';
    } catch {
      /* not JSON: fall through */
    }
  }
  // onnxruntime_perf_test of every generation: 1.x "Total inference requests:", the newest "Average inference time cost total:", 0.x "Total iterations:".
  if (/Total inference requests:|Average inference time cost(?: total)?:|^Total iterations:\s*\d+/m.test(text)) return 'perf-test';
  if (looksLikeBenchmarkCsv(text)) return 'benchmark-model-csv';
  if (/[Ii]nference timings in us:|Operator-wise Profiling Info|Profiling Info for Benchmark Initialization|\[node type\]|=+ Summary by node type =+|=+ BENCHMARK RESULTS =+|^(?:\S+: )?count=\d+/m.test(text)) return 'benchmark-model';
  throw new ProfileImportError('the format of this file is not known: expected ONNX Runtime\'s profile JSON, onnxruntime_perf_test output, benchmark_model output (stdout or CSV) or a mobileai profile; name it with --format');
}

const nan = NaN;

/** Turns a saved output (from CI, a colleague's phone, a device farm) into our profile. */
export function importProfileText(text: string, o: ImportOptions & { file?: string } = {}): ProfileResult {
  const format = !o.format || o.format === 'auto' ? detectFormat(text) : o.format;
  const now = new Date().toISOString();
  const source = { format, file: o.file, importedAt: now };
  const device = { kind: 'phone' as const, label: o.device ?? 'imported' };
  const modelName = (g?: string) => o.model ?? (g ? path.basename(g) : o.file ? path.basename(o.file).replace(/\.(txt|log|json|csv)$/i, '') : 'unknown model');
  if (format === 'mobileai') {
    let j: ProfileResult;
    try { j = JSON.parse(text) as ProfileResult; } catch (e) { throw new ProfileImportError(`not valid JSON: ${(e as Error).message}`); }
    if (j.schema !== 'mobileai.profile/1' || !j.latencyMs || !Array.isArray(j.nodes)) throw new ProfileImportError('not a mobileai profile (schema mobileai.profile/1 with latencyMs and nodes)');
    return { ...j, source: j.source ?? source };
  }
  if (format === 'ort-json') {
    let j: unknown;
    try { j = JSON.parse(text); } catch (e) { throw new ProfileImportError(`ONNX Runtime profile: not valid JSON: ${(e as Error).message}`); }
    const events = Array.isArray(j) ? j : (j as { traceEvents?: unknown[] })?.traceEvents;
    if (!Array.isArray(events)) throw new ProfileImportError('ONNX Runtime profile: expected a JSON array of trace events');
    const runs = events.filter((e) => (e as { cat?: string; name?: string }).cat === 'Session' && (e as { name?: string }).name === 'model_run').length;
    const warmup = o.warmup ?? (runs >= 2 ? 1 : 0);
    const p = parseOrtProfile(events as unknown[], warmup);
    const providers = [...new Set(p.nodes.map((n) => n.provider).filter(Boolean))] as string[];
    const warnings = [...p.warnings];
    if (o.warmup === undefined && warmup) warnings.push('the first model_run was taken as warm-up (as onnxruntime_perf_test runs one); use --warmup to change');
    return {
      schema: 'mobileai.profile/1',
      model: { file: o.model ?? '', name: modelName() },
      device,
      runtime: { name: 'onnxruntime', runner: 'onnxruntime profile (imported)', executionProvider: providers.join(', ') || undefined },
      settings: { runs: p.measuredRuns, warmup: p.totalRuns - p.measuredRuns, dims: {}, inputs: [] },
      latencyMs: p.latencyMs,
      kernelCoverage: p.kernelCoverage,
      peakMemoryBytes: p.peakMemoryBytes,
      nodes: p.nodes,
      opTypes: p.opTypes,
      timeline: p.timeline,
      warnings,
      createdAt: profileTime(o.file) ?? now,
      source,
    };
  }
  if (format === 'perf-test') {
    const r = parsePerfTestOutput(text);
    const l = r.latencyMs;
    const warnings = ["onnxruntime_perf_test's output has no per-op times: import the profile JSON it wrote with -p for those"];
    if (!l) warnings.push('no latency percentiles in this output (it was run with a result file and without -s): only the average is known');
    warnings.push(...r.notes);
    return {
      schema: 'mobileai.profile/1',
      model: { file: o.model ?? '', name: modelName() },
      device: { ...device, note: r.notes[0] },
      runtime: { name: 'onnxruntime', runner: 'onnxruntime_perf_test', executionProvider: r.provider, threads: r.intraOpThreads },
      settings: { runs: r.requests, warmup: 1, dims: r.dimOverrides, inputs: [] },
      latencyMs: { mean: r.averageMs, std: nan, min: l?.min ?? nan, max: l?.max ?? nan, p50: l?.p50 ?? nan, p90: l?.p90 ?? nan, p99: l?.p99 ?? nan, ...(l ? { p95: l.p95, p999: l.p999 } : {}) },
      kernelCoverage: 0,
      peakRssBytes: r.peakWorkingSetBytes,
      nodes: [],
      opTypes: [],
      timeline: { run: -1, totalUs: 0, events: [] },
      warnings,
      createdAt: now,
      phases: { sessionCreationMs: r.sessionCreationMs, firstInferenceMs: r.firstInferenceMs },
      memory: r.peakWorkingSetBytes !== undefined ? { peakWorkingSetBytes: r.peakWorkingSetBytes } : undefined,
      source,
    };
  }
  const report = parseBenchmarkModel(text, { format: format === 'benchmark-model-csv' ? 'csv' : 'auto' });
  const p = benchmarkToProfile(report);
  const { warnings, runs, warmup, threads, graph, ...parts } = p;
  return {
    schema: 'mobileai.profile/1',
    model: { file: o.model ?? graph ?? '', name: modelName(graph) },
    device,
    runtime: { name: 'tflite', runner: 'benchmark_model', threads, executionProvider: delegateLabels(p.delegation) },
    settings: { runs, warmup, dims: {}, inputs: [] },
    ...parts,
    warnings,
    createdAt: now,
    source: { ...source, format: report.format === 'csv' ? 'benchmark-model-csv' : 'benchmark-model' },
  };
}

/** The time in an onnxruntime profile's file name (`<prefix>_YYYY-MM-DD_HH-MM-SS.json`), as an ISO string. */
function profileTime(file?: string): string | undefined {
  const m = file ? ORT_PROFILE_FILE_RE.exec(path.basename(file)) : null;
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export async function importProfile(file: string, o: ImportOptions = {}): Promise<ProfileResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new ProfileImportError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!text.trim()) throw new ProfileImportError(`${file} is empty`);
  return importProfileText(text, { ...o, file: path.resolve(file) });
}
