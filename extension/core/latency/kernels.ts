import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { onnx } from 'onnx-proto';
import { loadOrt } from '../profile/ort';
import { findProfileFile } from '../profile/hostProfiler';
import { decodeModel } from '../onnx/model';
import { modelFeeds } from '../inputs';
import { stats } from '../profile/types';

/**
 * A kernel as onnxruntime runs it after its graph optimizations: one node of the optimized graph (a Conv
 * with its BatchNorm, activation and residual Add fused in, an NCHWc layout reorder, a Mul…), with the
 * shapes it ran on. Read from onnxruntime's own profile and optimized model, never guessed.
 */
export interface Kernel {
  /** Node name in the optimized graph. */
  name: string;
  /** Kernel type: op type, prefixed by a short domain (`nchwc.Conv`, `ms.FusedConv`, `Mul`). */
  type: string;
  /** Shapes of the node's inputs (data, weights, bias, the fused residual…), as the profile reports them. */
  inputs: number[][];
  output: number[];
  /** A fused activation (the node's `activation` attribute), if any. */
  activation?: string;
  /** Index of the network block (in the space's key order) the kernel belongs to. */
  block?: number;
  /** Median time of the kernel over the profiled runs (µs), when measured. */
  us?: number;
}

export interface OptimizedNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  activation?: string;
}

const SHORT_DOMAIN: Record<string, string> = { 'com.microsoft.nchwc': 'nchwc', 'com.microsoft': 'ms' };

export function kernelType(opType: string, domain: string): string {
  const d = SHORT_DOMAIN[domain] ?? domain;
  return d ? `${d}.${opType}` : opType;
}

export function optimizedNodes(model: onnx.IModelProto): OptimizedNode[] {
  return (model.graph?.node ?? []).map((n) => {
    const act = n.attribute?.find((a) => a.name === 'activation');
    return {
      name: n.name ?? '', opType: n.opType ?? '', domain: n.domain ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])],
      activation: act?.s?.length ? Buffer.from(act.s).toString('utf8') : undefined,
    };
  });
}

interface OrtEvent { cat?: string; name?: string; ts?: number; dur?: number; args?: Record<string, unknown> }

const shapeOf = (v: unknown): number[] => {
  const o = v as Record<string, unknown>;
  const s = o && typeof o === 'object' ? Object.values(o)[0] : undefined;
  return Array.isArray(s) ? s.map(Number) : [];
};

/**
 * The kernels of one profiled network: every node event of the measured runs (`model_run` spans after
 * `warmup`), with one time per node over the runs: the median (default), or the minimum (`'min'`: on a
 * busy machine a kernel's time only grows when another process takes the core, so the least is the
 * kernel's own). Node order is the order of first execution.
 */
export function kernelsFromProfile(json: string | unknown[], warmup: number, nodes: OptimizedNode[] = [], stat: 'median' | 'min' = 'median'): { kernels: Kernel[]; runUs: number[] } {
  const events = (typeof json === 'string' ? JSON.parse(json) : json) as OrtEvent[];
  if (!Array.isArray(events)) throw new Error('not an onnxruntime profile (expected a JSON array of events)');
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run' && typeof e.ts === 'number' && typeof e.dur === 'number').sort((a, b) => (a.ts as number) - (b.ts as number));
  if (runs.length <= warmup) throw new Error(`the profile has ${runs.length} runs; ${warmup} are warm-up: nothing measured`);
  const measured = runs.slice(warmup);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const times = new Map<string, number[]>();
  const first = new Map<string, { ev: OrtEvent; order: number }>();
  let order = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time') || typeof e.ts !== 'number' || typeof e.dur !== 'number') continue;
    const ts = e.ts;
    if (!measured.some((r) => ts >= (r.ts as number) && ts <= (r.ts as number) + (r.dur as number))) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    times.set(name, [...(times.get(name) ?? []), e.dur]);
    if (!first.has(name)) first.set(name, { ev: e, order: order++ });
  }
  const kernels: Kernel[] = [...first.entries()].sort((a, b) => a[1].order - b[1].order).map(([name, { ev }]) => {
    const args = ev.args ?? {};
    const node = byName.get(name);
    const ins = Array.isArray(args.input_type_shape) ? args.input_type_shape.map(shapeOf) : [];
    const outs = Array.isArray(args.output_type_shape) ? args.output_type_shape.map(shapeOf) : [];
    return {
      name,
      type: node ? kernelType(node.opType, node.domain) : String(args.op_name ?? '?'),
      inputs: ins, output: outs[0] ?? [],
      ...(node?.activation ? { activation: node.activation } : {}),
      us: stat === 'min' ? Math.min(...(times.get(name) as number[])) : stats(times.get(name) as number[]).p50,
    };
  });
  return { kernels, runUs: measured.map((r) => r.dur as number) };
}

export interface ProfiledNetwork {
  kernels: Kernel[];
  nodes: OptimizedNode[];
  /** Profiled runs (ms). */
  profiledMs: number[];
  /** Runs after profiling ended, same session (ms): wall time, and the process's CPU time during each run. */
  wallMs: number[];
  cpuMs: number[];
}

/**
 * Runs a network under onnxruntime-node with all graph optimizations (as the product times it) and
 * profiling on; keeps the optimized graph onnxruntime writes, so each kernel gets its fused activation.
 */
export async function profileNetwork(model: Uint8Array, o: { runs?: number; warmup?: number; wallRuns?: number; threads?: number; stat?: 'median' | 'min' } = {}): Promise<ProfiledNetwork> {
  const ort = loadOrt();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-kernels-'));
  const prefix = path.join(dir, `ort_${randomBytes(4).toString('hex')}`);
  const optimized = path.join(dir, 'optimized.onnx');
  const warmup = o.warmup ?? 2;
  try {
    const s = await ort.InferenceSession.create(model, {
      graphOptimizationLevel: 'all', enableProfiling: true, profileFilePrefix: prefix, optimizedModelFilePath: optimized, logSeverityLevel: 3, executionProviders: ['cpu'],
      ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
    } as Parameters<typeof ort.InferenceSession.create>[1]);
    try {
      const { feeds } = await modelFeeds(decodeModel(model), {}, { inputNames: s.inputNames });
      for (let i = 0; i < warmup + (o.runs ?? 5); i++) await s.run(feeds);
      s.endProfiling();
      const wallMs: number[] = [];
      const cpuMs: number[] = [];
      for (let i = 0; i < (o.wallRuns ?? 0); i++) {
        const c = process.cpuUsage();
        const t = performance.now();
        await s.run(feeds);
        wallMs.push(performance.now() - t);
        const d = process.cpuUsage(c);
        cpuMs.push((d.user + d.system) / 1000);
      }
      const nodes = optimizedNodes(decodeModel(await fs.readFile(optimized)));
      const { kernels, runUs } = kernelsFromProfile(await fs.readFile(await findProfileFile(prefix), 'utf8'), warmup, nodes, o.stat ?? 'min');
      return { kernels, nodes, profiledMs: runUs.map((u) => u / 1000), wallMs, cpuMs };
    } finally {
      await s.release();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Which block of the network each optimized node belongs to. Blocks are found in the original graph by
 * the weight names the builders give (`first_conv.*`, `blocks.3.*`, `layers.7.*`, `classifier.*`) and,
 * for nodes without weights, inherited from the node that feeds them. An optimized node takes the block
 * of the original node or tensor it is named after (`relu_7_nchwc`), of an original tensor it reads or
 * writes (layout reorders around a Mul), or of the kernel that feeds it.
 */
export function attributeBlocks(original: onnx.IModelProto, nodes: OptimizedNode[], blockOfName: (weightName: string) => number | undefined): number[] {
  const g = original.graph as onnx.IGraphProto;
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const tensorBlock = new Map<string, number>();
  const nodeBlock = new Map<string, number>();
  for (const n of g.node ?? []) {
    let b: number | undefined;
    for (const i of n.input ?? []) if (inits.has(i) && b === undefined) b = blockOfName(i);
    if (b === undefined) for (const i of n.input ?? []) if (!inits.has(i) && tensorBlock.has(i)) { b = tensorBlock.get(i); break; }
    b ??= 0;
    nodeBlock.set(n.name ?? '', b);
    for (const out of n.output ?? []) tensorBlock.set(out, b);
  }
  const optBlock = new Map<string, number>();
  return nodes.map((n) => {
    const base = n.name.replace(/_nchwc$/, '');
    let b = nodeBlock.get(base) ?? tensorBlock.get(base);
    if (b === undefined) for (const t of n.outputs) if (tensorBlock.has(t)) { b = tensorBlock.get(t); break; }
    if (b === undefined) for (const t of n.inputs) if (tensorBlock.has(t)) { b = tensorBlock.get(t); break; }
    if (b === undefined) for (const t of n.inputs) if (blockOfName(t) !== undefined) { b = blockOfName(t); break; }
    if (b === undefined) for (const t of n.inputs) if (optBlock.has(t)) { b = optBlock.get(t); break; }
    b ??= 0;
    for (const t of n.outputs) optBlock.set(t, b);
    return b;
  });
}

/** A fusion onnxruntime applied: original op types that became one kernel (or a kernel it inserted). */
export interface Fusion {
  /** Original op types, in graph order (empty for a kernel onnxruntime inserted, such as a layout reorder). */
  ops: string[];
  /** The kernel type that runs them. */
  kernel: string;
  /** Its fused activation, when it has one. */
  activation?: string;
  /** How many times this fusion occurs. */
  count: number;
}

/**
 * Learns which original ops onnxruntime ran as which kernel, from an original graph and the optimized
 * graph onnxruntime wrote for it. A kernel is anchored to the original node or tensor it is named after;
 * an original node that no kernel is named after was fused: it joins the kernel of its only consumer,
 * else of the node that feeds it.
 */
export function detectFusions(original: onnx.IModelProto, nodes: OptimizedNode[]): Fusion[] {
  const g = original.graph as onnx.IGraphProto;
  const orig = g.node ?? [];
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  orig.forEach((n, i) => {
    for (const o of n.output ?? []) producer.set(o, i);
    for (const x of n.input ?? []) consumers.set(x, [...(consumers.get(x) ?? []), i]);
  });
  const owner = new Array<number>(orig.length).fill(-1);
  const anchored = new Set<number>();
  nodes.forEach((k, ki) => {
    const base = k.name.replace(/_nchwc$/, '');
    let i = orig.findIndex((n) => n.name === base);
    if (i < 0 && producer.has(base)) i = producer.get(base) as number;
    if (i >= 0 && owner[i] < 0) {
      owner[i] = ki;
      anchored.add(ki);
    }
  });
  // Original nodes whose kernel survived under their own name (no rename): same op type, same output.
  orig.forEach((n, i) => {
    if (owner[i] >= 0) return;
    const ki = nodes.findIndex((k) => k.opType === n.opType && (n.output ?? []).some((o) => k.outputs.includes(o)));
    if (ki >= 0) owner[i] = ki;
  });
  for (let pass = 0; pass < orig.length && owner.includes(-1); pass++) {
    let changed = false;
    orig.forEach((n, i) => {
      if (owner[i] >= 0) return;
      const outs = n.output ?? [];
      const cons = outs.flatMap((o) => consumers.get(o) ?? []);
      // An Identity was removed, not fused.
      if (n.opType === 'Identity') return;
      const p = (n.input ?? []).map((x) => producer.get(x)).find((x) => x !== undefined && owner[x] >= 0);
      const pk = p !== undefined ? nodes[owner[p]] : undefined;
      // An activation joins the kernel that carries it as its `activation`; a residual Add joins the kernel
      // that reads the residual as its fourth (sum) input; otherwise a node joins its only consumer's kernel.
      if (p !== undefined && pk && (pk.activation === n.opType || (n.opType === 'Add' && pk.inputs.length >= 4))) owner[i] = owner[p];
      else if (cons.length === 1 && owner[cons[0]] >= 0) owner[i] = owner[cons[0]];
      else if (p !== undefined) owner[i] = owner[p];
      changed ||= owner[i] >= 0;
    });
    if (!changed) break;
  }
  const byKernel = new Map<number, string[]>();
  orig.forEach((n, i) => {
    if (owner[i] >= 0) byKernel.set(owner[i], [...(byKernel.get(owner[i]) ?? []), n.opType ?? '?']);
  });
  const counts = new Map<string, Fusion>();
  nodes.forEach((k, ki) => {
    const ops = byKernel.get(ki) ?? [];
    const f: Fusion = { ops, kernel: kernelType(k.opType, k.domain), ...(k.activation ? { activation: k.activation } : {}), count: 0 };
    const key = JSON.stringify([f.ops, f.kernel, f.activation]);
    const e = counts.get(key) ?? f;
    e.count++;
    counts.set(key, e);
  });
  return [...counts.values()].sort((a, b) => b.count - a.count);
}

/** Encodes a model proto to bytes (the builders produce protos). */
export function modelBytes(m: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(m as Record<string, unknown>)).finish();
}
