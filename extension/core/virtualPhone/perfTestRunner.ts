import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadOrt } from '../profile/ort';
import { decodeModel } from '../onnx/model';
import {
  formatPerfTestResult, parsePerfTestArgs, perfTestResultFileLines, PERF_TEST_USAGE,
  type PerfTestConfig, type PerfTestRunFacts,
} from '../runtimes/perfTest';
import { Sandbox } from './sandbox';
import type { AbortLike } from './os/io';
import type { Proc } from './os/processes';

interface IO {
  out(s: string): void | Promise<void>;
  err(s: string): void | Promise<void>;
}

const OPT_NAMES = { 0: 'disabled', 1: 'basic', 2: 'extended', 99: 'all' } as const;

/** How a CPU-only build answers for an execution provider it was not built with (ort_test_session.cc's ORT_THROW texts). */
const EP_NOT_BUILT: Record<string, string> = {
  cuda: 'CUDA', dnnl: 'DNNL', openvino: 'OpenVINO', tensorrt: 'TensorRT', qnn: 'QNN', snpe: 'SNPE', nnapi: 'NNAPI', coreml: 'CoreML',
  dml: 'DML', acl: 'Acl', armnn: 'ArmNN', rocm: 'ROCM', migraphx: 'MIGraphX', xnnpack: 'Xnnpack', vitisai: 'VitisAI',
};

/** The virtual phone's one honest line, on stderr in the form of onnxruntime's own log lines (stdout stays the real tool's). */
export function hostNote(version: string): string {
  const now = new Date();
  const stamp = `${now.toISOString().replace('T', ' ').replace('Z', '')}000000`.slice(0, 29);
  const cpu = os.cpus()[0]?.model?.trim() || os.arch();
  return `${stamp} [W:onnxruntime:Default, virtual_phone] virtual phone: this onnxruntime_perf_test ran onnxruntime-node ${version} on the host CPU (${cpu}, ${os.cpus().length} cores), not on a phone\n`;
}

/** A seeded generator for -S (same seed, same inputs; not the C++ standard library's sequence). */
function seeded(seed: number): () => number {
  let s = (seed >>> 0) || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** -I's inputs as ort_test_session.cc makes them: free dims 1 unless overridden, T{} (zeros) or, with -S >= 0, uniform floats in [0,5) / int8 and uint8 in [0,max]. */
function generatedFeeds(session: InferenceSession, ort: ReturnType<typeof loadOrt>, dims: Record<string, number>, seed: number): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  const rnd = seed >= 0 ? seeded(seed) : undefined;
  for (const m of session.inputMetadata) {
    if (!m.isTensor) continue;
    const shape = m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : typeof d === 'string' && dims[d] ? dims[d] : 1));
    const count = shape.reduce((a, b) => a * b, 1);
    const t = m.type;
    let data: Tensor.DataType;
    switch (t) {
      case 'float32': { const a = new Float32Array(count); if (rnd) for (let i = 0; i < count; i++) a[i] = rnd() * 5; data = a; break; }
      case 'float64': data = new Float64Array(count); break;
      case 'uint8': { const a = new Uint8Array(count); if (rnd) for (let i = 0; i < count; i++) a[i] = Math.floor(rnd() * 256); data = a; break; }
      case 'int8': { const a = new Int8Array(count); if (rnd) for (let i = 0; i < count; i++) a[i] = Math.floor(rnd() * 128); data = a; break; }
      case 'int16': data = new Int16Array(count); break;
      case 'uint16': case 'float16': data = new Uint16Array(count); break;
      case 'int32': data = new Int32Array(count); break;
      case 'uint32': data = new Uint32Array(count); break;
      case 'int64': data = new BigInt64Array(count); break;
      case 'uint64': data = new BigUint64Array(count); break;
      case 'bool': data = new Uint8Array(count); break;
      case 'string': data = new Array<string>(count).fill(''); break;
      default: throw new Error(`Unsupported tensor data type: ${t}`);
    }
    feeds[m.name] = new ort.Tensor(t as Tensor.Type, data as never, shape);
  }
  return feeds;
}

/** Denotation overrides (-F) turned into the dim names they stand for in this model. */
async function denotationDims(modelFile: string, byDenotation: Record<string, number>): Promise<Array<[string, string, number]>> {
  if (!Object.keys(byDenotation).length) return [];
  const model = decodeModel(await fs.readFile(modelFile), path.basename(modelFile));
  const out: Array<[string, string, number]> = [];
  for (const vi of model.graph?.input ?? []) {
    for (const d of vi.type?.tensorType?.shape?.dim ?? []) {
      if (d.denotation && d.dimParam && byDenotation[d.denotation] !== undefined) out.push([d.denotation, d.dimParam, byDenotation[d.denotation]]);
    }
  }
  return out;
}

/** The model name performance_runner.cc uses: the last component of the model's folder, as the path was given ("." for a bare file name). */
function modelDirName(modelPath: string): string {
  const name = path.posix.basename(path.posix.dirname(modelPath)) || '/';
  // The real code strips "test_" only when the name is exactly "test_" (a strcmp, not a prefix test).
  return name === 'test_' ? '' : name;
}

const secs = (t0: bigint, t1: bigint) => Number(t1 - t0) / 1e9;

/**
 * The profile file as the tool we answer for names it. onnxruntime's InferenceSession::StartProfiling names it
 * `<prefix>_<%Y-%m-%d_%H-%M-%S>.json` (seen in microsoft/onnxruntime#18611 on 1.16); since #26846 (2026-01)
 * GetCurrentTimeString appends `_<milliseconds>`, which onnxruntime-node 1.30 does. The getopt-era perf_test we print
 * for comes with the older runtime, so the file gets its name: the milliseconds are dropped.
 */
async function asToolNamesIt(hostPrefix: string): Promise<void> {
  const dir = path.dirname(hostPrefix);
  const base = path.basename(hostPrefix);
  for (const f of await fs.readdir(dir).catch(() => [] as string[])) {
    const m = /^(.*_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2})_\d{3}\.json$/.exec(f);
    if (!m || !f.startsWith(`${base}_`) || m[1].length !== base.length + 20) continue;
    await fs.rename(path.join(dir, f), path.join(dir, `${m[1]}.json`));
  }
}

/**
 * The virtual phone's onnxruntime_perf_test: the real tool's command line (command_args_parser.cc) and the
 * real tool's stdout (performance_runner.cc), run by onnxruntime-node on the host CPU. The one line that says
 * so goes to stderr as an onnxruntime-style warning, so stdout is what a phone's build prints.
 */
export async function perfTestBuiltin(argv: string[], io: IO, fsb: Sandbox, cwd: string, signal?: AbortLike, proc?: Proc): Promise<number> {
  const parsed = parsePerfTestArgs(argv);
  if (!parsed.ok) {
    if (parsed.error) await io.err(`${parsed.error}\n`);
    await io.out(PERF_TEST_USAGE);
    return 255;
  }
  const c: PerfTestConfig = parsed.config;
  if (c.backend !== 'ort') { await io.err(`${c.backend} is not supported\n`); return 255; }
  const ort = loadOrt();
  const version = ort.env.versions?.node ?? '?';
  if (c.provider !== 'cpu') {
    await io.err(hostNote(version));
    await io.err(`${EP_NOT_BUILT[c.provider] ?? c.provider} is not supported in this build\n`);
    return 255;
  }
  let model: string;
  try {
    model = await fsb.hostPath(c.modelPath, cwd);
  } catch {
    await io.err(`Load model from ${c.modelPath} failed:Permission denied\n`);
    return 255;
  }
  if (!(await fs.stat(model).catch(() => undefined))?.isFile()) {
    await io.err(`Load model from ${c.modelPath} failed:Load model ${c.modelPath} failed. File doesn't exist\n`);
    return 255;
  }
  if (!/\.(onnx|ort)$/i.test(model)) {
    await io.err(`${c.modelPath} is not supported\n`);
    return 255;
  }
  await io.err(hostNote(version));
  let hostPrefix: string | undefined;
  if (c.profilePrefix) {
    hostPrefix = await fsb.hostPath(Sandbox.normalize(c.profilePrefix, cwd));
    await fs.mkdir(path.dirname(hostPrefix), { recursive: true });
  }
  const out: string[] = [];
  const dims: Record<string, number> = { ...c.freeDimByName };
  let session: InferenceSession | undefined;
  try {
    if (c.intraOpThreads > 0) out.push(`Setting intra_op_num_threads to ${c.intraOpThreads}`);
    if (c.threadAffinities) out.push(`Setting intra op thread affinity as ${c.threadAffinities}`);
    if (c.disableSpinning) out.push('Disabling intra-op thread spinning entirely');
    if (c.disableSpinningBetweenRuns) out.push('Disabling intra-op thread spinning between runs');
    if (c.parallelExecutor && c.interOpThreads > 0) out.push(`Setting inter_op_num_threads to ${c.interOpThreads}`);
    for (const [k, v] of Object.entries(c.freeDimByName)) out.push(`Overriding dimension with name, ${k}, to ${v}`);
    // onnxruntime-node has no by-denotation override: the denotations are mapped to the model's dim names here.
    // The real tool prints the line for every override it registers, matched or not.
    for (const [den, v] of Object.entries(c.freeDimByDenotation)) out.push(`Overriding dimension with denotation, ${den}, to ${v}`);
    for (const [, name, v] of await denotationDims(model, c.freeDimByDenotation)) dims[name] = v;
    if (out.length) { await io.out(`${out.join('\n')}\n`); out.length = 0; }
    // The process's memory (VmRSS/VmHWM in /proc/PID/status): what the host process grew by while
    // onnxruntime-node loaded and ran this model (at least the model file), on top of the command's own.
    const baseKb = proc?.rssKb ?? 0;
    const hostRss0 = process.memoryUsage.rss();
    const modelKb = Math.ceil(((await fs.stat(model)).size) / 1024);
    const trackMemory = () => {
      if (!proc) return;
      const grownKb = Math.max(modelKb, Math.round((process.memoryUsage.rss() - hostRss0) / 1024));
      proc.rssKb = baseKb + grownKb;
      proc.hwmKb = Math.max(proc.hwmKb ?? 0, proc.rssKb);
    };
    const t0 = process.hrtime.bigint();
    session = await ort.InferenceSession.create(model, {
      graphOptimizationLevel: OPT_NAMES[c.optimization],
      executionProviders: ['cpu'],
      executionMode: c.parallelExecutor ? 'parallel' : 'sequential',
      enableCpuMemArena: c.cpuArena,
      enableMemPattern: c.memoryPattern && !c.parallelExecutor,
      logSeverityLevel: c.verbose ? 0 : 2,
      ...(Object.keys(dims).length ? { freeDimensionOverrides: dims } : {}),
      ...(c.intraOpThreads > 0 ? { intraOpNumThreads: c.intraOpThreads } : {}),
      ...(c.parallelExecutor && c.interOpThreads > 0 ? { interOpNumThreads: c.interOpThreads } : {}),
      ...(hostPrefix ? { enableProfiling: true, profileFilePrefix: hostPrefix } : {}),
      ...(c.optimizedModelPath ? { optimizedModelFilePath: await fsb.hostPath(Sandbox.normalize(c.optimizedModelPath, cwd)) } : {}),
    });
    const sessionCreationSeconds = secs(t0, process.hrtime.bigint());
    if (!c.generateInputs) {
      await io.out(`there is no test data for model ${modelDirName(c.modelPath)}\n`);
      await io.out('Run failed:failed to initialize.\n');
      await io.err('virtual phone: only generated inputs (-I) are supported; test_data_set folders are not read\n');
      return 255;
    }
    const feeds = generatedFeeds(session, ort, dims, c.seed);
    const s = session;
    trackMemory();
    const runOnce = async (): Promise<number> => {
      const a = process.hrtime.bigint();
      await s.run(feeds);
      const t = secs(a, process.hrtime.bigint());
      trackMemory();
      return t;
    };
    const w0 = process.hrtime.bigint();
    await runOnce();
    const firstInferenceMs = Math.trunc(Number(process.hrtime.bigint() - w0) / 1e6);
    const timeCosts: number[] = [];
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const stopped = () => signal?.aborted === true;
    if (c.mode === 'times') {
      let next = 0;
      const worker = async () => {
        while (next < c.repeatedTimes && !stopped()) {
          next++;
          timeCosts.push(await runOnce());
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, c.concurrentRuns) }, worker));
    } else {
      const worker = async () => {
        while (secs(start, process.hrtime.bigint()) < c.durationSeconds && !stopped()) timeCosts.push(await runOnce());
      };
      await Promise.all(Array.from({ length: Math.max(1, c.concurrentRuns) }, worker));
    }
    const runSeconds = secs(start, process.hrtime.bigint());
    if (stopped()) return 130;
    const cpu = process.cpuUsage(cpu0);
    const facts: PerfTestRunFacts = {
      sessionCreationSeconds,
      firstInferenceMs,
      timeCosts,
      runSeconds,
      cpuUsagePercent: runSeconds > 0 ? ((cpu.user + cpu.system) / 1e6 / runSeconds / os.cpus().length) * 100 : 0,
      peakWorkingSetBytes: process.resourceUsage().maxRSS * 1024,
    };
    if (hostPrefix) {
      session.endProfiling();
      await asToolNamesIt(hostPrefix);
    }
    if (c.resultFile) {
      const hostResult = await fsb.hostPath(Sandbox.normalize(c.resultFile, cwd));
      await fs.appendFile(hostResult, perfTestResultFileLines(modelDirName(c.modelPath), facts, c.dumpStatistics));
    }
    await io.out(formatPerfTestResult(facts, { dumpStatistics: c.dumpStatistics, resultFile: Boolean(c.resultFile) }));
    return 0;
  } catch (err) {
    await io.err(`${(err as Error).message}\n`);
    return 255;
  } finally {
    await session?.release().catch(() => undefined);
  }
}
