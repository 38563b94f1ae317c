import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AdbService } from '../adb/adbService';
import { loadOrt } from '../profile/ort';
import { decodeModel } from '../onnx/model';
import { shellCommand } from '../util/shellQuote';
import { CancelledError } from '../util/progress';
import { kernelsFromProfile, optimizedNodes, type OptimizedNode } from './kernels';
import { measureOnPhone } from './check';
import { buildKernelTables, type KernelBuildOptions, type KernelProfiler } from './build';
import type { LatencyTable } from '../search/table';

export interface PhoneTarget { adb: AdbService; serial: string; runner?: string }

/** Where the kernel build keeps its files on the phone (removed when the build ends). */
export const PHONE_KERNEL_DIR = '/data/local/tmp/mobileai/kernels';

/**
 * The optimized graph onnxruntime-node writes on this machine at level "all" (the level perf_test's `-o 99`
 * asks for), for phones whose perf_test cannot write its own (`-u`).
 */
async function hostOptimized(model: Uint8Array, threads: number): Promise<OptimizedNode[]> {
  const ort = loadOrt();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-opt-'));
  try {
    const file = path.join(dir, 'optimized.onnx');
    const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', optimizedModelFilePath: file, executionProviders: ['cpu'], logSeverityLevel: 3, intraOpNumThreads: threads });
    await s.release();
    return optimizedNodes(decodeModel(await fs.readFile(file)));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * A phone as a kernel-table profiler: each network pushed and run by the phone's onnxruntime_perf_test
 * with `-p` (onnxruntime's own profile, written on the phone, pulled) and `-u` (the optimized graph the
 * phone's onnxruntime ran, so kernels map to their fused ops). When the phone's perf_test writes no
 * optimized graph, the host's onnxruntime-node writes one at the same level, and the profile's kernel names
 * must all be in it (else the phone fused differently and the build stops, saying so). Whole networks are
 * timed as `table check --device` times them (perf_test P50, interleaved rounds).
 */
export async function phoneProfiler(target: PhoneTarget, signal?: { cancelled: boolean }): Promise<KernelProfiler & { close(): Promise<void> }> {
  const { adb, serial } = target;
  const info = await adb.info(serial);
  const label = [info.manufacturer, info.model].filter(Boolean).join(' ') || serial;
  if (!info.virtual && !target.runner) throw new Error(`building a kernel table on ${label} needs onnxruntime_perf_test built for Android: set "mobileAI.profiling.onnxruntimePerfTest" (CLI: --ort-runner PATH)`);
  const dir = PHONE_KERNEL_DIR;
  const mkdir = await adb.exec(serial, ['mkdir', '-p', dir]);
  if (mkdir.exitCode !== 0) throw new Error(`cannot create ${dir} on ${label}: ${mkdir.stderr.toString().trim() || mkdir.stdout.toString().trim()}`);
  let runner = 'onnxruntime_perf_test';
  if (target.runner) {
    runner = `${dir}/onnxruntime_perf_test`;
    await adb.push(serial, target.runner, runner, { mode: 0o755 });
    await adb.exec(serial, ['chmod', '755', runner]);
  }
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-kernels-phone-'));
  const graphs = { phone: 0, host: 0 };
  let n = 0;
  const ortVersion = loadOrt().env.versions?.node;
  return {
    device: { label, serial, soc: info.soc.label, ...(info.virtual ? { note: 'virtual phone: measured on the host CPU (its onnxruntime_perf_test runs onnxruntime-node)' } : {}) },
    runtime: { name: 'onnxruntime_perf_test' },
    by: `onnxruntime_perf_test on ${label} (-p profiles pulled from the phone)`,
    notes: () => [
      ...(graphs.phone ? [`fusion map: the optimized graph the phone's onnxruntime wrote (perf_test -u) for ${graphs.phone} network(s)`] : []),
      ...(graphs.host ? [`fusion map: the host's onnxruntime-node ${ortVersion} at the same optimization level (all) for ${graphs.host} network(s), the phone's profile naming only kernels of that graph`] : []),
      ...(info.virtual ? ['virtual phone: the numbers are the host CPU\'s'] : []),
    ],
    async profile(model, o) {
      if (signal?.cancelled) throw new CancelledError('table build cancelled');
      const i = n++;
      const local = path.join(tmp, `net${i}.onnx`);
      await fs.writeFile(local, model);
      const remote = `${dir}/net${i}.onnx`;
      const prefix = `${dir}/prof${i}`;
      const optimized = `${dir}/opt${i}.onnx`;
      await adb.push(serial, local, remote);
      const remove = [remote, optimized];
      try {
        // perf_test runs once untimed before its -r runs (performance_runner.cc's warm-up): that run is in
        // the profile too, so it counts as warm-up here.
        const argv = [runner, '-m', 'times', '-r', String(Math.max(1, o.runs)), '-e', 'cpu', '-I', '-o', '99', '-x', String(o.threads), '-p', prefix, '-u', optimized, remote];
        const r = await adb.exec(serial, argv, { timeoutMs: 10 * 60 * 1000 });
        if (r.exitCode !== 0) throw new Error(`profiling network ${i + 1} on ${label} failed: ${(r.stderr.toString() || r.stdout.toString()).trim().split('\n').slice(-3).join(' | ')} (command: ${shellCommand(argv)})`);
        const ls = await adb.exec(serial, ['ls', dir]);
        const names = ls.stdout.toString('utf8').split(/\s+/).filter((f) => f.startsWith(`prof${i}_`) && f.endsWith('.json')).sort();
        if (!names.length) throw new Error(`onnxruntime_perf_test on ${label} wrote no profile for -p ${prefix} (files there: ${ls.stdout.toString().trim().split(/\s+/).join(' ') || 'none'})`);
        remove.push(...names.map((f) => `${dir}/${f}`));
        const localProfile = path.join(tmp, `prof${i}.json`);
        await adb.pull(serial, `${dir}/${names[names.length - 1]}`, localProfile);
        const localOpt = path.join(tmp, `opt${i}.onnx`);
        let nodes: OptimizedNode[];
        const pulled = await adb.pull(serial, optimized, localOpt).then(() => true, () => false);
        if (pulled) {
          nodes = optimizedNodes(decodeModel(await fs.readFile(localOpt)));
          graphs.phone++;
        } else {
          nodes = await hostOptimized(model, o.threads);
          graphs.host++;
        }
        const profile = await fs.readFile(localProfile, 'utf8');
        const { kernels } = kernelsFromProfile(profile, 1, nodes, 'min');
        const known = new Set(nodes.map((x) => x.name));
        const unknown = kernels.filter((k) => !known.has(k.name));
        if (unknown.length) {
          throw new Error(`the profile from ${label} names ${unknown.length} of ${kernels.length} kernels that the ${pulled ? 'phone\'s' : 'host\'s'} optimized graph lacks (${unknown.slice(0, 3).map((k) => k.name).join(', ')}): ${pulled ? 'the profile and graph disagree' : 'the phone\'s onnxruntime fuses differently from the host\'s; use an onnxruntime_perf_test that supports -u (writes its optimized graph)'}`);
        }
        return { kernels, nodes };
      } finally {
        await adb.exec(serial, ['rm', '-f', ...remove]).catch(() => undefined);
      }
    },
    timeWhole: (models, o) => measureOnPhone(models, { kind: 'phone', adb, serial, runner: target.runner }, { runs: o.runs, threads: o.threads, signal: o.signal }),
    async close() {
      await fs.rm(tmp, { recursive: true, force: true });
      await adb.exec(serial, ['rm', '-rf', dir]).catch(() => undefined);
    },
  };
}

/** `mobileai table build --predictor kernels --device SERIAL`: kernel tables measured on a phone (latency/build.ts, profiled there). */
export async function buildKernelTablesOnPhone(spaceId: string, resolution: number | undefined, target: PhoneTarget, o: Omit<KernelBuildOptions, 'profiler'> = {}): Promise<LatencyTable[]> {
  const profiler = await phoneProfiler(target, o.signal);
  try {
    return await buildKernelTables(spaceId, resolution, { ...o, profiler });
  } finally {
    await profiler.close();
  }
}
