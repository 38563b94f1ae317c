import * as os from 'node:os';
import { loadOrt } from '../profile/ort';
import { resolveKit, type SpaceKit } from '../search/run';
import { OFA, type OfaArch } from '../search/ofa';
import type { LayeredSpace } from '../search/layered';
import { Rng } from '../search/rng';
import type { LatencyTable, TableEntry } from '../search/table';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';
import { attributeBlocks, detectFusions, modelBytes, profileNetwork, type Fusion, type Kernel, type OptimizedNode } from './kernels';
import { fitKernelModels, predictKernelUs, type KernelModels } from './model';
import { measureInterleaved } from './check';

export interface KernelBuildOptions {
  /** onnxruntime intra-op threads (default 1: stable on a busy machine; the table records it). */
  threads?: number;
  /** Random networks profiled kernel by kernel and timed whole, to fit the models (default 30). */
  randomNetworks?: number;
  /** Profiled runs per network (default 5, after `warmup` = 2 warm-up runs). */
  runs?: number;
  warmup?: number;
  /** Interleaved rounds timing the random networks whole, for the per-network overhead (default 7). */
  wallRuns?: number;
  seed?: number;
  signal?: CancelSignal;
  progress?: ProgressSink;
  /** Where kernels are profiled and networks timed (default: this machine, onnxruntime-node). */
  profiler?: KernelProfiler;
}

/**
 * Where a kernel table is measured: profiles one network (its kernels with the optimized graph they map to)
 * and times whole networks as `table check` times them on that device. The host's is onnxruntime-node;
 * a phone's runs onnxruntime_perf_test (latency/phone.ts).
 */
export interface KernelProfiler {
  profile(model: Uint8Array, o: { runs: number; warmup: number; threads: number }): Promise<{ kernels: Kernel[]; nodes: OptimizedNode[] }>;
  timeWhole(models: Uint8Array[], o: { runs: number; threads: number; signal?: CancelSignal }): Promise<number[]>;
  device: LatencyTable['device'];
  runtime: LatencyTable['runtime'];
  /** What measured, for the table's provenance (e.g. "onnxruntime-node"). */
  by: string;
  /** Notes for the table's provenance (where the fusion map came from…). */
  notes(): string[];
}

/** This machine: onnxruntime-node with all graph optimizations, the whole networks timed by CPU time with one thread. */
export function hostProfiler(): KernelProfiler {
  const ort = loadOrt();
  return {
    profile: (model, o) => profileNetwork(model, o),
    timeWhole: async (models, o) => (await measureInterleaved(models, o)).map((m) => m.ms),
    device: { label: `host CPU (${os.cpus()[0]?.model?.trim() ?? os.arch()}, ${os.cpus().length} cores)` },
    runtime: { name: 'onnxruntime-node', version: ort.env.versions?.node },
    by: 'onnxruntime-node',
    notes: () => [],
  };
}

/** A network of the space at a resolution, when the space has several. */
function atResolution(kit: SpaceKit<unknown>, a: unknown, r: number | undefined): unknown {
  return r !== undefined && (a as { r?: number }).r !== undefined ? { ...(a as object), r } : a;
}

/**
 * Architectures that together hold every block key of the space (at one resolution, or all): for
 * Once-for-All, one network per resolution × kernel × expand ratio at full depth; for a layered space, one
 * per choice index (layer i takes its (c mod n)-th allowed choice).
 */
export function coveringArchs(kit: SpaceKit<unknown>, resolution?: number): unknown[] {
  if (kit.space.id === 'ofa-mbv3') {
    const out: OfaArch[] = [];
    for (const r of OFA.resolutions) {
      if (resolution !== undefined && r !== resolution) continue;
      for (const k of OFA.kernels) for (const e of OFA.expands) out.push({ ks: Array(20).fill(k), e: Array(20).fill(e), d: Array(5).fill(4), r });
    }
    return out;
  }
  const space = kit.space as unknown as LayeredSpace;
  let c = space.spec.stem.out;
  const allowed = space.spec.layers.map((l) => {
    const ok = l.choices.filter((ch) => ch !== 'skip' || (l.stride === 1 && l.out === c));
    c = l.out;
    return ok;
  });
  const n = Math.max(...allowed.map((a) => a.length));
  return Array.from({ length: n }, (_, i) => allowed.map((a) => a[i % a.length]));
}

/** Which block (index in the space's key order) a weight name belongs to, for the spaces' builders. */
export function blockOfWeight(kit: SpaceKit<unknown>, blocks: number): (name: string) => number | undefined {
  if (kit.space.id === 'ofa-mbv3') {
    return (n) => {
      const m = /^blocks\.(\d+)\./.exec(n);
      if (m) return Number(m[1]);
      if (n.startsWith('first_conv.')) return 0;
      if (n.startsWith('classifier.')) return blocks - 1;
      return undefined;
    };
  }
  return (n) => {
    const m = /^layers\.(\d+)\./.exec(n);
    if (m) return Number(m[1]) + 1;
    if (n.startsWith('stem.')) return 0;
    if (n.startsWith('head.')) return blocks - 2;
    if (n.startsWith('classifier.')) return blocks - 1;
    return undefined;
  };
}

export interface NetworkKernels {
  arch: unknown;
  keys: string[];
  resolution?: number;
  kernels: Kernel[];
  /** The whole network timed as `table check` times it (ms), when it was. */
  wallMs?: number;
  fusions: Fusion[];
}

/** Profiles one network of the space: its kernels (with their blocks and times) and its whole-run time. */
export async function profileArch(kit: SpaceKit<unknown>, arch: unknown, o: KernelBuildOptions = {}): Promise<NetworkKernels> {
  const model = kit.network(arch);
  const { resolution, keys } = kit.space.keys(arch);
  const p = await (o.profiler ?? hostProfiler()).profile(modelBytes(model), { runs: o.runs ?? 5, warmup: o.warmup ?? 2, threads: o.threads ?? 1 });
  const blocks = attributeBlocks(model, p.nodes, blockOfWeight(kit, keys.length));
  const blockOf = new Map(p.nodes.map((n, i) => [n.name, blocks[i]]));
  const kernels = p.kernels.map((k) => ({ ...k, block: blockOf.get(k.name) ?? 0 }));
  return { arch, keys, resolution, kernels, fusions: detectFusions(model, p.nodes) };
}

function mergeFusions(lists: Fusion[][]): Fusion[] {
  const m = new Map<string, Fusion>();
  for (const l of lists) for (const f of l) {
    const key = JSON.stringify([f.ops, f.kernel, f.activation]);
    const e = m.get(key) ?? { ...f, count: 0 };
    e.count += f.count;
    m.set(key, e);
  }
  return [...m.values()].sort((a, b) => b.count - a.count);
}

/**
 * Builds kernel latency tables for a space on this machine: profiles the networks that cover every block
 * plus random ones (onnxruntime-node, all graph optimizations, pinned threads), fits a model per kernel
 * type on the kernels' in-network times, and writes each block key's entry as the sum of its kernels'
 * predictions (the first block's entry also carries the per-network overhead), one table per resolution.
 */
export async function buildKernelTables(spaceId: string, resolution: number | undefined, o: KernelBuildOptions = {}): Promise<LatencyTable[]> {
  const started = performance.now();
  const profiler = o.profiler ?? hostProfiler();
  const kit = await resolveKit(spaceId);
  const have = [...new Set(kit.space.allKeys().map((k) => k.resolution))];
  if (resolution !== undefined && !have.includes(resolution)) throw new Error(`${kit.space.id} has no blocks at resolution ${resolution} (resolutions: ${have.join(', ')})`);
  const cover = coveringArchs(kit, resolution);
  const rng = new Rng(o.seed ?? 2024);
  const resolutions = [...new Set(cover.map((a) => kit.space.keys(a).resolution))];
  const random = Array.from({ length: o.randomNetworks ?? 30 }, (_, i) => atResolution(kit, kit.space.sample(rng), resolutions[i % resolutions.length]));
  const archs = [...cover, ...random];
  const profiled: NetworkKernels[] = [];
  for (let i = 0; i < archs.length; i++) {
    if (o.signal?.cancelled) throw new CancelledError('table build cancelled');
    o.progress?.report({ done: i, total: archs.length, message: `profiling network ${i + 1}/${archs.length}` });
    // The covering networks only say which kernels each block runs (one profiled run gives the shapes);
    // the random ones are timed kernel by kernel and train the models.
    const p = await profileArch(kit, archs[i], i < cover.length ? { ...o, profiler, runs: 1, warmup: 0 } : { ...o, profiler });
    if (i < cover.length) for (const k of p.kernels) delete k.us;
    profiled.push(p);
  }
  // The whole random networks, timed as `table check` times networks: what a run costs beyond its kernels.
  o.progress?.report({ done: archs.length, total: archs.length, message: `timing ${random.length} whole networks` });
  const whole = await profiler.timeWhole(random.map((a) => modelBytes(kit.network(a))), { runs: o.wallRuns ?? 7, threads: o.threads ?? 1, signal: o.signal });
  whole.forEach((ms, i) => (profiled[cover.length + i].wallMs = ms));
  o.progress?.report({ done: archs.length, total: archs.length, message: 'fitting kernel models' });
  const models = fitKernelModels(profiled);
  // Entries average a block's kernels over every network that has it (the covering ones guarantee each key
  // one; the random ones add the contexts a search meets).
  return kernelTablesFrom(kit, profiled, models, { networks: profiled.length, buildSeconds: (performance.now() - started) / 1000, fusions: mergeFusions(profiled.map((p) => p.fusions)), threads: o.threads ?? 1, profiler });
}

/** The tables (one per resolution) from fitted models and profiled networks that together cover every key. */
export function kernelTablesFrom(kit: SpaceKit<unknown>, cover: NetworkKernels[], models: KernelModels, meta: { networks: number; buildSeconds: number; fusions: Fusion[]; threads: number; profiler?: KernelProfiler }): LatencyTable[] {
  const profiler = meta.profiler ?? hostProfiler();
  const notes = profiler.notes();
  const byRes = new Map<number | undefined, Map<string, number[]>>();
  const firstKey = new Map<number | undefined, string>();
  for (const n of cover) {
    const sums = new Array<number>(n.keys.length).fill(0);
    for (const k of n.kernels) sums[k.block ?? 0] += (models.overhead.scale * predictKernelUs(models, k)) / 1000;
    const m = byRes.get(n.resolution) ?? new Map<string, number[]>();
    n.keys.forEach((key, i) => m.set(key, [...(m.get(key) ?? []), sums[i]]));
    byRes.set(n.resolution, m);
    firstKey.set(n.resolution, n.keys[0]);
  }
  const out: LatencyTable[] = [];
  for (const [res, m] of byRes) {
    const entries: Record<string, TableEntry> = {};
    for (const [key, v] of m) entries[key] = { mean: v.reduce((a, b) => a + b, 0) / v.length, count: v.length };
    const overheadMs = models.overhead.baseMs;
    const first = firstKey.get(res) as string;
    entries[first] = { ...entries[first], mean: Math.max(0, entries[first].mean + overheadMs) };
    out.push({
      schema: 'mobileai.latency-table/1',
      device: profiler.device,
      runtime: profiler.runtime,
      resolution: res, unit: 'ms', entries, predictor: 'kernels', threads: meta.threads,
      inputs: (kit.network(cover.find((n) => n.resolution === res)?.arch).graph?.input ?? []).map((v) => ({ name: v.name ?? '', shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0)) })),
      kernels: { models, overheadMs, overheadIn: first, networks: meta.networks, buildSeconds: meta.buildSeconds, fusions: meta.fusions },
      provenance: {
        source: `measured by Mobile AI Studio (${kit.space.id} kernels: ${meta.networks} networks profiled with ${profiler.by}, ${meta.threads} thread(s), all graph optimizations)`,
        createdAt: new Date().toISOString(),
        note: `entries: each block's kernels as onnxruntime fuses them, predicted by ${Object.keys(models.models).length} per-kernel-type models, × ${models.overhead.scale.toFixed(3)}; the per-network overhead (${overheadMs.toFixed(3)} ms) is in ${first}${notes.map((n) => `; ${n}`).join('')}`,
      },
    });
  }
  return out;
}
