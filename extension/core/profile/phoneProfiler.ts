import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AdbService } from '../adb/adbService';
import { quoteArg, shellCommand } from '../util/shellQuote';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';
import { parseOrtProfile } from './ortProfile';
import { parseTfliteBenchmark } from './tflite';
import { PERF_TEST_OPT, type OptLevel } from './ort';
import type { ProfileResult } from './types';

export interface PhoneProfileOptions {
  runs?: number;
  warmup?: number;
  optimization?: OptLevel;
  dims?: Record<string, number>;
  threads?: number;
  /** Host path of onnxruntime_perf_test built for Android (setting mobileAI.profiling.onnxruntimePerfTest). */
  ortRunner?: string;
  /** Host path of TFLite's benchmark_model built for Android (setting mobileAI.profiling.tfliteBenchmarkModel). */
  tfliteRunner?: string;
  progress?: ProgressSink;
  signal?: CancelSignal;
}

export class RunnerMissingError extends Error {}

export const REMOTE_DIR = '/data/local/tmp/mobileai/profile';

function safeName(file: string): string {
  return path.basename(file).replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Profiles a model on a phone through a runner: push the model (and the runner), run it, pull and parse
 * the result. ONNX models use onnxruntime_perf_test (its ORT JSON profile); .tflite models use TFLite's
 * benchmark_model (its op tables). The virtual phone has a built-in onnxruntime_perf_test that is
 * onnxruntime-node on the host, and says so.
 */
export async function profileOnPhone(adb: AdbService, serial: string, modelFile: string, opts: PhoneProfileOptions = {}): Promise<ProfileResult> {
  const runs = Math.max(1, Math.floor(opts.runs ?? 20));
  const warmup = Math.max(0, Math.floor(opts.warmup ?? 3));
  const optimization = opts.optimization ?? 'all';
  const step = (done: number, message: string) => {
    if (opts.signal?.cancelled) throw new CancelledError('profiling cancelled');
    opts.progress?.report({ done, total: 5, message });
  };
  step(0, `reading ${serial}`);
  const info = await adb.info(serial);
  const label = [info.manufacturer, info.model].filter(Boolean).join(' ') || serial;
  const isTflite = path.extname(modelFile).toLowerCase() === '.tflite';
  const runnerHost = isTflite ? opts.tfliteRunner : opts.ortRunner;
  const runnerName = isTflite ? 'benchmark_model' : 'onnxruntime_perf_test';
  if (info.virtual && isTflite && !runnerHost) throw new RunnerMissingError('The virtual phone has no TFLite runtime: profile .onnx models on it, or a .tflite on a real phone.');
  if (!runnerHost && !info.virtual) {
    throw new RunnerMissingError(
      isTflite
        ? `Profiling .tflite on ${label} needs TFLite's benchmark_model built for Android (${info.abis[0] ?? 'arm64-v8a'}): set "mobileAI.profiling.tfliteBenchmarkModel" (CLI: --tflite-runner PATH).`
        : `Profiling on ${label} needs onnxruntime_perf_test built for Android (${info.abis[0] ?? 'arm64-v8a'}): set "mobileAI.profiling.onnxruntimePerfTest" (CLI: --ort-runner PATH).`,
    );
  }
  const st = await fs.stat(modelFile);
  await adb.exec(serial, ['mkdir', '-p', REMOTE_DIR]);
  const remoteModel = `${REMOTE_DIR}/${safeName(modelFile)}`;
  step(1, `pushing ${path.basename(modelFile)}`);
  await adb.push(serial, modelFile, remoteModel, { signal: opts.signal, progress: opts.progress && { report: (p) => opts.progress?.report({ ...p, message: `pushing model ${Math.round(((p.done ?? 0) / (p.total || 1)) * 100)}%` }) } });
  let runner = runnerName; // the virtual phone's built-in
  if (runnerHost) {
    step(2, `pushing ${runnerName}`);
    runner = `${REMOTE_DIR}/${runnerName}`;
    await adb.push(serial, runnerHost, runner, { mode: 0o755, signal: opts.signal });
    await adb.exec(serial, ['chmod', '755', runner]);
  }
  step(3, `running ${runs} runs on ${label}`);
  const deviceBase = { kind: 'phone' as const, label, serial, soc: info.soc.label, note: info.virtual ? 'virtual phone: onnxruntime-node on the host CPU' : undefined };
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-phoneprof-'));
  try {
    if (isTflite) {
      const argv = [runner, `--graph=${remoteModel}`, `--num_runs=${runs}`, `--warmup_runs=${warmup}`, '--enable_op_profiling=true', ...(opts.threads ? [`--num_threads=${opts.threads}`] : [])];
      const r = await adb.exec(serial, argv, { timeoutMs: 30 * 60 * 1000 });
      const out = r.stdout.toString('utf8') + r.stderr.toString('utf8');
      if (r.exitCode !== 0) throw new Error(`benchmark_model failed on ${label} (exit ${r.exitCode}): ${out.trim().split('\n').slice(-5).join(' | ')}`);
      step(4, 'reading the op tables');
      const parsed = parseTfliteBenchmark(out);
      return {
        schema: 'mobileai.profile/1',
        model: { file: path.resolve(modelFile), name: path.basename(modelFile), bytes: st.size },
        device: deviceBase,
        runtime: { name: 'tflite', runner: 'benchmark_model', threads: opts.threads },
        settings: { runs, warmup, dims: {}, inputs: [] },
        ...parsed,
        createdAt: new Date().toISOString(),
      };
    }
    const prefix = `${REMOTE_DIR}/prof_${Date.now()}`;
    const argv = [runner, '-m', 'times', '-r', String(runs), '-e', 'cpu', '-I', '-o', String(PERF_TEST_OPT[optimization]), '-p', prefix,
      ...(opts.threads ? ['-x', String(opts.threads)] : []),
      ...Object.entries(opts.dims ?? {}).flatMap(([k, v]) => ['-f', `${k}:${v}`]),
      remoteModel];
    const r = await adb.execLine(serial, `cd ${quoteArg(REMOTE_DIR)} && ${shellCommand(argv)}`, { timeoutMs: 30 * 60 * 1000 });
    const out = r.stdout.toString('utf8') + r.stderr.toString('utf8');
    if (r.exitCode !== 0) throw new Error(`onnxruntime_perf_test failed on ${label} (exit ${r.exitCode}): ${out.trim().split('\n').slice(-5).join(' | ')}`);
    step(4, 'pulling the profile');
    const listing = (await adb.exec(serial, ['ls', REMOTE_DIR])).stdout.toString('utf8').split(/\s+/);
    const base = path.posix.basename(prefix);
    const remoteProfile = listing.filter((f) => f.startsWith(`${base}_`) && f.endsWith('.json')).sort().pop();
    if (!remoteProfile) throw new Error(`onnxruntime_perf_test wrote no profile on ${label} (looked for ${prefix}_*.json)`);
    const local = path.join(tmp, remoteProfile);
    await adb.pull(serial, `${REMOTE_DIR}/${remoteProfile}`, local, { signal: opts.signal });
    await adb.exec(serial, ['rm', '-f', `${REMOTE_DIR}/${remoteProfile}`]);
    const json = JSON.parse(await fs.readFile(local, 'utf8')) as Array<{ cat?: string; name?: string }>;
    const totalRuns = Array.isArray(json) ? json.filter((e) => e.cat === 'Session' && e.name === 'model_run').length : 0;
    const parsed = parseOrtProfile(json, Math.max(0, totalRuns - runs));
    const peak = /Peak working set size:\s*(\d+)\s*bytes/.exec(out);
    const version = /onnxruntime(?:-node)? version:?\s*([\d.]+)/i.exec(out)?.[1];
    return {
      schema: 'mobileai.profile/1',
      model: { file: path.resolve(modelFile), name: path.basename(modelFile), bytes: st.size },
      device: deviceBase,
      runtime: { name: 'onnxruntime', runner: info.virtual && !runnerHost ? 'onnxruntime_perf_test (virtual phone: onnxruntime-node on the host CPU)' : 'onnxruntime_perf_test', version, optimization, executionProvider: 'CPUExecutionProvider', threads: opts.threads },
      settings: { runs, warmup: totalRuns - runs, dims: opts.dims ?? {}, inputs: [] },
      latencyMs: parsed.latencyMs,
      kernelCoverage: parsed.kernelCoverage,
      peakMemoryBytes: parsed.peakMemoryBytes,
      peakRssBytes: peak ? Number(peak[1]) : undefined,
      nodes: parsed.nodes,
      opTypes: parsed.opTypes,
      timeline: parsed.timeline,
      warnings: parsed.warnings,
      createdAt: new Date().toISOString(),
    };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
