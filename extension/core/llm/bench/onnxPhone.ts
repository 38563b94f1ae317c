/**
 * Our ONNX decoder timed on a phone with `onnxruntime_perf_test` (the user's Android build; the virtual phone's
 * built-in runs onnxruntime-node on the host CPU and says so). For a decoder graph with past key/value inputs
 * (decoderRunner's discoverDecoder), each repetition runs two configurations set by free-dimension overrides
 * (`-f NAME:VALUE`, command_args_parser.cc; values must be > 0):
 * - **prefill**: P new tokens over a past of 1 slot (perf_test cannot give a dim the value 0), `-r 1`: its average
 *   inference time is the prefill time (and the time to first token: perf_test samples no token);
 * - **decode**: 1 new token over a fixed past of P + ⌊D/2⌋ (the middle of the growing cache P..P+D), `-r D` with
 *   onnxruntime's profile (`-p`): each `model_run` event's duration is one decode step, in order — the per-token
 *   timeline (profiling adds a little per-node overhead; the first run is perf_test's warm-up and is dropped).
 * Session creation time is the model load time; "Peak working set size" is the runner's own memory figure.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AdbService } from '../../adb/adbService';
import { loadOrt, OrtModelError } from '../../profile/ort';
import { parsePerfTestOutput, perfTestArgv } from '../../runtimes/perfTest';
import { CancelledError, type CancelSignal, type ProgressSink } from '../../util/progress';
import { discoverDecoder, type DecoderSignature } from '../decoderRunner';
import { statOf, type LlmStat } from '../runRecord';
import { LLM_REMOTE_DIR, lastLines, pushIfChanged, runOnPhone, safeName } from './phoneExec';

interface ValueMeta {
  name: string;
  isTensor?: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

export interface PerfTestDims {
  prefill: Record<string, number>;
  decode: Record<string, number>;
  /** The past length of the decode configuration. */
  decodePast: number;
}

/** The free-dim values of the two configurations, from the graph's dim names; throws when a needed dim is unnamed. */
export function perfTestDims(inputs: readonly ValueMeta[], sig: DecoderSignature, P: number, D: number, file = 'the model'): PerfTestDims {
  const ids = inputs.find((i) => i.name === sig.inputIds);
  const seqDim = ids?.shape?.[1];
  const k = sig.kv[0];
  const pastDim = k.dims[k.seqAxis];
  const unnamed: string[] = [];
  if (typeof seqDim !== 'string') unnamed.push(`${sig.inputIds} dim 1 (${String(seqDim)})`);
  if (typeof pastDim !== 'string') unnamed.push(`${k.past} dim ${k.seqAxis} (${String(pastDim)})`);
  if (unnamed.length) throw new OrtModelError(file, `onnxruntime_perf_test on a phone sets free dimensions by name only (-f NAME:VALUE), and ${unnamed.join(' and ')} ${unnamed.length > 1 ? 'have' : 'has'} no name; export the decoder with named sequence dims (e.g. seq_len, past_seq_len)`);
  const other = new Set<string>();
  for (const kv of sig.kv) {
    const d = kv.dims[kv.seqAxis];
    if (typeof d === 'string' && d !== pastDim) other.add(d);
  }
  if (other.size) throw new OrtModelError(file, `past inputs name their sequence dims differently (${[pastDim, ...other].join(', ')}); onnxruntime_perf_test would need one value for all`);
  const batchDims = new Set<string>();
  const totalDims = new Set<string>();
  for (const i of inputs) {
    i.shape?.forEach((d, ax) => {
      if (typeof d !== 'string') return;
      if (/batch/i.test(d)) batchDims.add(d);
      else if (i.name === sig.attentionMask && ax === 1 && d !== seqDim && d !== pastDim) totalDims.add(d);
    });
  }
  const decodePast = P + Math.floor(D / 2);
  const make = (seq: number, past: number): Record<string, number> => {
    const o: Record<string, number> = {};
    for (const b of batchDims) o[b] = 1;
    o[seqDim as string] = seq;
    o[pastDim as string] = past;
    for (const t of totalDims) o[t] = seq + past;
    return o;
  };
  return { prefill: make(P, 1), decode: make(1, decodePast), decodePast };
}

export interface OnnxPhoneBenchOptions {
  promptTokens: number;
  genTokens: number;
  repetitions: number;
  threads?: number;
  /** Host path of onnxruntime_perf_test built for Android; the virtual phone has its own. */
  runnerPath?: string;
  /** Phone file the runner's PID is written to while it runs (the sampler reads it). */
  pidFile?: string;
  signal?: CancelSignal;
  progress?: ProgressSink;
  /** Called with host times (Date.now()) of each invocation (the bench maps them onto its phases). */
  onInvocation?: (e: { repetition: number; kind: 'prefill' | 'decode'; startHost: number; endHost: number; sessionMs?: number; computeMs: number; hwmBytes?: number }) => void;
  /** Between repetitions (cool-down). */
  betweenRepetitions?: (repetition: number) => Promise<void>;
}

export interface OnnxPhoneRepetition {
  prefillMs: number;
  decodeLatencyMs: number[];
  sessionMs: number[];
}

export interface OnnxPhoneBenchResult {
  runner: 'onnxruntime_perf_test';
  builtinVirtual: boolean;
  promptTokens: number;
  genTokens: number;
  decodePast: number;
  threads?: number;
  dims: PerfTestDims;
  signature: DecoderSignature;
  prefill: LlmStat;
  decode: LlmStat;
  timeToFirstTokenMs: LlmStat;
  decodeLatencyMs: LlmStat;
  decodeTimelineMs: number[][];
  modelLoadMs: number;
  /** perf_test's "Peak working set size", the largest over invocations, bytes. */
  peakWorkingSetBytes?: number;
  runs: OnnxPhoneRepetition[];
  /** The virtual phone's note (onnxruntime-node on the host CPU), or the build's. */
  notes: string[];
  modelSizeBytes: number;
}

/** Reads the decoder's inputs and outputs on the host (onnxruntime-node) to plan the runs. */
export async function decoderSignatureOf(modelFile: string): Promise<{ sig: DecoderSignature; inputs: ValueMeta[] }> {
  const ort = loadOrt();
  const file = path.basename(modelFile);
  let session;
  try {
    session = await ort.InferenceSession.create(modelFile, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  } catch (err) {
    throw new OrtModelError(file, err instanceof Error ? err.message : String(err));
  }
  try {
    const inputs = session.inputMetadata as unknown as ValueMeta[];
    return { sig: discoverDecoder(inputs, session.outputMetadata as unknown as ValueMeta[], file), inputs };
  } finally {
    await session.release().catch(() => undefined);
  }
}

/** The `model_run` durations (ms) of an onnxruntime profile, in order. */
export function modelRunDurations(profile: unknown): number[] {
  if (!Array.isArray(profile)) return [];
  return (profile as Array<{ cat?: string; name?: string; dur?: number; ts?: number }>)
    .filter((e) => e && e.cat === 'Session' && e.name === 'model_run' && typeof e.dur === 'number')
    .sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0))
    .map((e) => (e.dur as number) / 1000);
}

/**
 * Times a decoder on a phone: push model and runner, then per repetition a prefill and a decode invocation.
 * Used by `mobileai llm bench --runner onnx` (with the sampler around it) and by the SLM shape explorer.
 */
export async function benchOnnxDecoderOnPhone(adb: AdbService, serial: string, modelFile: string, opts: OnnxPhoneBenchOptions): Promise<OnnxPhoneBenchResult> {
  const P = opts.promptTokens;
  const D = opts.genTokens;
  const R = opts.repetitions;
  if (!Number.isInteger(P) || P < 1) throw new RangeError(`prompt tokens P must be a positive integer (got ${P})`);
  if (!Number.isInteger(D) || D < 1) throw new RangeError(`generated tokens D must be a positive integer (got ${D})`);
  if (!Number.isInteger(R) || R < 1) throw new RangeError(`repetitions must be a positive integer (got ${R})`);
  const check = () => {
    if (opts.signal?.cancelled) throw new CancelledError('LLM benchmark cancelled');
  };
  const info = await adb.info(serial);
  const label = [info.manufacturer, info.model].filter(Boolean).join(' ') || serial;
  if (!opts.runnerPath && !info.virtual) {
    throw new Error(`Timing a decoder on ${label} needs onnxruntime_perf_test built for Android (${info.abis[0] ?? 'arm64-v8a'}): set "mobileAI.profiling.onnxruntimePerfTest" (CLI: --runner-path PATH).`);
  }
  const { sig, inputs } = await decoderSignatureOf(modelFile);
  const dims = perfTestDims(inputs, sig, P, D, path.basename(modelFile));
  const st = await fs.stat(modelFile);
  await adb.exec(serial, ['mkdir', '-p', LLM_REMOTE_DIR]);
  const remoteModel = `${LLM_REMOTE_DIR}/${safeName(modelFile)}`;
  opts.progress?.report({ message: `pushing ${path.basename(modelFile)}` });
  await pushIfChanged(adb, serial, modelFile, remoteModel, { signal: opts.signal });
  let runner = 'onnxruntime_perf_test';
  if (opts.runnerPath) {
    runner = `${LLM_REMOTE_DIR}/onnxruntime_perf_test`;
    opts.progress?.report({ message: 'pushing onnxruntime_perf_test' });
    await pushIfChanged(adb, serial, opts.runnerPath, runner, { mode: 0o755, signal: opts.signal });
  }
  const notes: string[] = [];
  const runs: OnnxPhoneRepetition[] = [];
  let peak: number | undefined;
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-llmbench-'));
  const invoke = async (rep: number, kind: 'prefill' | 'decode') => {
    check();
    const profilePrefix = kind === 'decode' ? `${LLM_REMOTE_DIR}/llmdecode_${process.pid}_${Date.now()}` : undefined;
    const argv = perfTestArgv({ model: remoteModel, runs: kind === 'prefill' ? 1 : D, optimization: 99, threads: opts.threads, profilePrefix, dims: kind === 'prefill' ? dims.prefill : dims.decode }, runner);
    const startHost = Date.now();
    const r = await runOnPhone(adb, serial, { cwd: LLM_REMOTE_DIR, argv }, { pidFile: opts.pidFile, signal: opts.signal });
    const endHost = Date.now();
    if (r.exitCode !== 0) throw new Error(`onnxruntime_perf_test failed on ${label} during ${kind} (exit ${r.exitCode}): ${lastLines(r.text)}`);
    const report = parsePerfTestOutput(r.text);
    for (const n of report.notes) if (!notes.includes(n.replace(/^\S+ \S+ \[[^\]]*\] /, ''))) notes.push(n.replace(/^\S+ \S+ \[[^\]]*\] /, ''));
    if (report.peakWorkingSetBytes) peak = Math.max(peak ?? 0, report.peakWorkingSetBytes);
    let latencies: number[] = [];
    if (profilePrefix) {
      const listing = (await adb.exec(serial, ['ls', LLM_REMOTE_DIR])).stdout.toString('utf8').split(/\s+/);
      const base = path.posix.basename(profilePrefix);
      const remote = listing.filter((f) => f.startsWith(`${base}_`) && f.endsWith('.json')).sort().pop();
      if (remote) {
        const local = path.join(tmp, remote);
        await adb.pull(serial, `${LLM_REMOTE_DIR}/${remote}`, local, { signal: opts.signal });
        await adb.exec(serial, ['rm', '-f', `${LLM_REMOTE_DIR}/${remote}`]);
        const all = modelRunDurations(JSON.parse(await fs.readFile(local, 'utf8')));
        latencies = all.slice(Math.max(0, all.length - report.requests));
        await fs.rm(local, { force: true });
      }
      if (!latencies.length) {
        latencies = Array.from({ length: report.requests || D }, () => report.averageMs);
        if (!notes.some((n) => n.startsWith('no profile'))) notes.push('no profile came back from onnxruntime_perf_test: the decode timeline repeats its average inference time');
      }
    }
    const computeMs = kind === 'prefill' ? report.averageMs : latencies.reduce((a, b) => a + b, 0);
    opts.onInvocation?.({ repetition: rep, kind, startHost, endHost, sessionMs: report.sessionCreationMs, computeMs, hwmBytes: r.hwmBytes });
    return { report, latencies };
  };
  try {
    for (let rep = 0; rep < R; rep++) {
      opts.progress?.report({ done: rep, total: R, message: `repetition ${rep + 1}/${R}: prefill P=${P}` });
      const pre = await invoke(rep, 'prefill');
      opts.progress?.report({ done: rep + 0.5, total: R, message: `repetition ${rep + 1}/${R}: decode ${D} tokens at past ${dims.decodePast}` });
      const dec = await invoke(rep, 'decode');
      runs.push({ prefillMs: pre.report.averageMs, decodeLatencyMs: dec.latencies, sessionMs: [pre.report.sessionCreationMs, dec.report.sessionCreationMs].filter((x): x is number => x !== undefined) });
      if (rep < R - 1 && opts.betweenRepetitions) await opts.betweenRepetitions(rep);
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  opts.progress?.report({ done: R, total: R, message: 'done' });
  const builtinVirtual = info.virtual && !opts.runnerPath;
  notes.push(`onnxruntime_perf_test ${builtinVirtual ? '(the virtual phone\'s: onnxruntime-node on the host CPU, not a phone) ' : ''}on ${label}: prefill over P=${P} tokens with a 1-slot past (perf_test takes only free-dim values > 0), decode of 1 token over a fixed past of ${dims.decodePast} (the middle of P..P+D), ${D} runs per repetition, timed from onnxruntime's profile`);
  notes.push(`free dims: prefill ${Object.entries(dims.prefill).map(([k, v]) => `${k}=${v}`).join(' ')}; decode ${Object.entries(dims.decode).map(([k, v]) => `${k}=${v}`).join(' ')}; inputs are perf_test's generated ones (-I: zeros), not real tokens`);
  notes.push('time to first token = the prefill inference time (perf_test picks no token)');
  const sessions = runs.flatMap((r) => r.sessionMs);
  return {
    runner: 'onnxruntime_perf_test',
    builtinVirtual,
    promptTokens: P,
    genTokens: D,
    decodePast: dims.decodePast,
    threads: opts.threads,
    dims,
    signature: sig,
    prefill: statOf(runs.map((r) => (P * 1000) / r.prefillMs)),
    decode: statOf(runs.map((r) => (r.decodeLatencyMs.length * 1000) / r.decodeLatencyMs.reduce((a, b) => a + b, 0))),
    timeToFirstTokenMs: statOf(runs.map((r) => r.prefillMs)),
    decodeLatencyMs: (() => {
      const s = statOf(runs.flatMap((r) => r.decodeLatencyMs));
      return { mean: s.mean, stddev: s.stddev, n: s.n };
    })(),
    decodeTimelineMs: runs.map((r) => r.decodeLatencyMs.map((x) => Math.round(x * 1000) / 1000)),
    modelLoadMs: sessions.length ? sessions.reduce((a, b) => a + b, 0) / sessions.length : NaN,
    peakWorkingSetBytes: peak,
    runs,
    notes,
    modelSizeBytes: st.size,
  };
}
