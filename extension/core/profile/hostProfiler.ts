import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadOrt, OrtModelError, type OptLevel } from './ort';
import { modelFeeds, type InputOverrides } from '../inputs';
import { loadModel } from '../onnx/model';
import { customDomainOps } from '../onnx/check';
import { parseOrtProfile } from './ortProfile';
import { stats, type ProfileResult } from './types';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';
import type { InferenceSession } from 'onnxruntime-node';

export interface HostProfileOptions {
  runs?: number;
  warmup?: number;
  optimization?: OptLevel;
  /** Values for symbolic dimensions (the older form of `inputs.dims`). */
  dims?: Record<string, number>;
  /** Input name → .npy or .pb file (the older form of `inputs.files`). */
  inputFiles?: Record<string, string>;
  /**
   * Shapes, values, dims and files of the inputs (core/inputs). A symbolic or unnamed dimension that nothing
   * gives a value is refused with an InputError naming the input, the dim and the flag to use.
   */
  inputs?: InputOverrides;
  threads?: number;
  /** Also run this many unprofiled runs after profiling ends (same session), to measure the overhead. */
  unprofiledRuns?: number;
  /** Where onnxruntime writes its profile (default: a temp folder). */
  profileDir?: string;
  /** Keep onnxruntime's own profile JSON at this path (for the virtual phone's perf_test runner). */
  keepRawProfileAs?: string;
  progress?: ProgressSink;
  signal?: CancelSignal;
  deviceLabel?: string;
}

export interface HostProfileOutcome {
  result: ProfileResult;
  /** Per-run wall time of the unprofiled runs (ms), when asked for. */
  unprofiledMs?: number[];
}

/** Finds the file onnxruntime wrote for a prefix (the Node binding's endProfiling returns nothing). */
export async function findProfileFile(prefix: string): Promise<string> {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  const matches = (await fs.readdir(dir)).filter((f) => f.startsWith(`${base}_`) && f.endsWith('.json'));
  if (!matches.length) throw new Error(`onnxruntime wrote no profile for prefix ${prefix}`);
  return path.join(dir, matches.sort().pop() as string);
}

function check(signal: CancelSignal | undefined): void {
  if (signal?.cancelled) throw new CancelledError('profiling cancelled');
}

/**
 * Profiles a model with onnxruntime-node on this machine: warm-up plus N runs with profiling on, results
 * per node and per op type over the measured runs only.
 */
export async function profileOnHost(modelFile: string, opts: HostProfileOptions = {}): Promise<HostProfileOutcome> {
  const ort = loadOrt();
  const runs = Math.max(1, Math.floor(opts.runs ?? 20));
  const warmup = Math.max(0, Math.floor(opts.warmup ?? 3));
  const optimization = opts.optimization ?? 'all';
  const dir = opts.profileDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-profile-')));
  const prefix = path.join(dir, `ort_${randomBytes(4).toString('hex')}`);
  const rssStart = process.memoryUsage().rss;
  let peakRss = rssStart;
  const sampleRss = () => {
    const r = process.memoryUsage().rss;
    if (r > peakRss) peakRss = r;
  };
  // Ops from a custom domain (onnxruntime-extensions' DecodeImage…) need their own runtime library: say which,
  // before onnxruntime fails with its own words.
  const custom = await loadModel(modelFile).then((m) => customDomainOps(m.model), () => []);
  if (custom.length) {
    const kinds = [...new Set(custom.map((c) => `${c.op} (domain ${c.domain})`))];
    throw new OrtModelError(path.basename(modelFile), `it uses custom-domain ops that plain onnxruntime cannot run: ${kinds.join(', ')}; they need their runtime library (e.g. onnxruntime-extensions)`);
  }
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelFile, {
      graphOptimizationLevel: optimization,
      enableProfiling: true,
      profileFilePrefix: prefix,
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
    });
  } catch (err) {
    if (!opts.profileDir) await fs.rm(dir, { recursive: true, force: true });
    throw new OrtModelError(path.basename(modelFile), err instanceof Error ? err.message : String(err));
  }
  try {
    const model = (await loadModel(modelFile)).model;
    const overrides: InputOverrides = { ...opts.inputs, dims: { ...opts.dims, ...opts.inputs?.dims }, files: { ...opts.inputFiles, ...opts.inputs?.files } };
    const { feeds, records, notes, dims } = await modelFeeds(model, overrides, { inputNames: session.inputNames });
    const inputs = records;
    const total = warmup + runs;
    const wall: number[] = [];
    for (let i = 0; i < total; i++) {
      check(opts.signal);
      const t = performance.now();
      try {
        await session.run(feeds);
      } catch (err) {
        throw new OrtModelError(path.basename(modelFile), `the run failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (i >= warmup) wall.push(performance.now() - t);
      sampleRss();
      opts.progress?.report({ done: i + 1, total, message: i < warmup ? `warm-up ${i + 1}/${warmup}` : `run ${i + 1 - warmup}/${runs}` });
    }
    session.endProfiling();
    const unprofiled: number[] = [];
    for (let i = 0; i < (opts.unprofiledRuns ?? 0); i++) {
      check(opts.signal);
      const t = performance.now();
      await session.run(feeds);
      unprofiled.push(performance.now() - t);
    }
    const profileFile = await findProfileFile(prefix);
    const raw = await fs.readFile(profileFile, 'utf8');
    if (opts.keepRawProfileAs) await fs.rename(profileFile, opts.keepRawProfileAs);
    const parsed = parseOrtProfile(raw, warmup);
    const warnings = [...parsed.warnings];
    warnings.push(...notes);
    const st = await fs.stat(modelFile);
    const result: ProfileResult = {
      schema: 'mobileai.profile/1',
      model: { file: path.resolve(modelFile), name: path.basename(modelFile), bytes: st.size },
      device: { kind: 'host', label: opts.deviceLabel ?? `host CPU (${os.cpus()[0]?.model?.trim() ?? os.arch()}, ${os.cpus().length} cores)` },
      runtime: { name: 'onnxruntime', runner: 'onnxruntime-node', version: ort.env.versions?.node ?? undefined, optimization, executionProvider: 'CPUExecutionProvider', threads: opts.threads },
      settings: { runs, warmup, dims, inputs },
      latencyMs: parsed.latencyMs,
      wallMs: stats(wall),
      kernelCoverage: parsed.kernelCoverage,
      peakMemoryBytes: parsed.peakMemoryBytes,
      peakRssBytes: peakRss,
      nodes: parsed.nodes,
      opTypes: parsed.opTypes,
      timeline: parsed.timeline,
      warnings,
      createdAt: new Date().toISOString(),
    };
    return { result, unprofiledMs: opts.unprofiledRuns ? unprofiled : undefined };
  } finally {
    await session.release().catch(() => undefined);
    if (!opts.profileDir) await fs.rm(dir, { recursive: true, force: true });
  }
}
