import { fitGbdt, isGbdt, predictGbdt, type Gbdt, type GbdtOptions } from './gbdt';
import type { Kernel } from './kernels';
import { stats } from '../profile/types';

/** What a kernel model reads of a kernel (documented in the README with the table format). */
export const KERNEL_FEATURES = ['log2 MACs', 'log2 input elements', 'log2 output elements', 'input channels', 'output channels', 'input size', 'output size', 'kernel', 'stride', 'depthwise/grouped', 'activation', 'fused residual'] as const;

const ACTIVATIONS: Record<string, number> = { Relu: 1, HardSigmoid: 2, HardSwish: 3, Sigmoid: 4, Clip: 5 };
const elems = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The configuration of a kernel as numbers (see KERNEL_FEATURES). */
export function kernelFeatures(k: Kernel): number[] {
  const x = k.inputs[0] ?? [];
  const w = k.inputs[1] ?? [];
  const o = k.output;
  const conv = /Conv$/.test(k.type) && w.length === 4;
  const inC = x[1] ?? 1;
  const outC = o[1] ?? 1;
  const inH = x[2] ?? 1;
  const outH = o[2] ?? 1;
  const kk = conv ? w[2] : 1;
  const groups = conv && w[1] ? Math.round(inC / w[1]) : 1;
  const stride = outH > 0 ? Math.max(1, Math.round(inH / outH)) : 1;
  const macs = conv ? outH * (o[3] ?? 1) * outC * w[1] * kk * kk : /Gemm|MatMul/.test(k.type) ? elems(x) * (o[o.length - 1] ?? 1) : elems(o);
  return [Math.log2(macs + 1), Math.log2(elems(x) + 1), Math.log2(elems(o) + 1), inC, outC, inH, outH, kk, stride, groups > 1 ? 1 : 0, k.activation ? ACTIVATIONS[k.activation] ?? 9 : 0, conv && k.inputs.length >= 4 ? 1 : 0];
}

/** The model a kernel is predicted by: its type, convolutions split into depthwise, 1×1 and k×k. */
export function kernelKey(k: Kernel): string {
  if (/Conv$/.test(k.type) && (k.inputs[1]?.length ?? 0) === 4) {
    const w = k.inputs[1];
    const groups = w[1] ? Math.round((k.inputs[0]?.[1] ?? 1) / w[1]) : 1;
    return `${k.type}/${groups > 1 ? (groups === (k.inputs[0]?.[1] ?? 0) ? 'dw' : 'grouped') : w[2] === 1 && w[3] === 1 ? '1x1' : 'kxk'}`;
  }
  return k.type;
}

/** Per-kernel-type latency models (gradient-boosted trees on log µs) and the per-network overhead. */
export interface KernelModels {
  kind: 'mobileai.kernel-models/1';
  features: string[];
  /** Kernel key (`nchwc.Conv/dw`, `Mul`, …) → model of log(µs). */
  models: Record<string, Gbdt>;
  /** For kernel types no sampled network had: one model over every kernel. */
  fallback: Gbdt;
  /** Samples behind each model. */
  samples: Record<string, number>;
  /**
   * A whole run from its kernels: `scale · Σ kernels + baseMs`, fitted (least squares) on whole networks
   * timed the way `table check` times them (interleaved, CPU time with one thread): what profiling's
   * per-kernel times miss (the run's call, the cache between kernels) is in scale and base.
   */
  overhead: { scale: number; baseMs: number; networks: number };
}

export function fitKernelModels(networks: Array<{ kernels: Kernel[]; wallMs?: number }>, o: GbdtOptions = {}): KernelModels {
  const groups = new Map<string, { x: number[][]; y: number[] }>();
  const all = { x: [] as number[][], y: [] as number[] };
  for (const n of networks) {
    for (const k of n.kernels) {
      if (k.us === undefined) continue;
      const f = kernelFeatures(k);
      const y = Math.log(Math.max(k.us, 0.5));
      const g = groups.get(kernelKey(k)) ?? { x: [], y: [] };
      g.x.push(f);
      g.y.push(y);
      groups.set(kernelKey(k), g);
      all.x.push(f);
      all.y.push(y);
    }
  }
  if (!all.x.length) throw new Error('no measured kernels to fit latency models on');
  const models: Record<string, Gbdt> = {};
  const samples: Record<string, number> = {};
  for (const [key, g] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    models[key] = fitGbdt(g.x, g.y, { minLeaf: g.x.length < 30 ? 1 : 3, ...o });
    samples[key] = g.x.length;
  }
  const fallback = fitGbdt(all.x, all.y, o);
  const partial: KernelModels = { kind: 'mobileai.kernel-models/1', features: [...KERNEL_FEATURES], models, fallback, samples, overhead: { scale: 1, baseMs: 0, networks: 0 } };
  const rows = networks.filter((n) => n.wallMs !== undefined && Number.isFinite(n.wallMs)).map((n) => ({ k: predictKernelsMs(partial, n.kernels), d: n.wallMs as number }));
  partial.overhead = { ...fitLine(rows), networks: rows.length };
  return partial;
}

/** Least squares of whole-run time d on Σ kernels k; a ratio of medians with few networks. */
export function fitLine(rows: Array<{ k: number; d: number }>): { scale: number; baseMs: number } {
  if (!rows.length) return { scale: 1, baseMs: 0 };
  const n = rows.length;
  const mk = rows.reduce((a, r) => a + r.k, 0) / n;
  const md = rows.reduce((a, r) => a + r.d, 0) / n;
  const sxx = rows.reduce((a, r) => a + (r.k - mk) ** 2, 0);
  const sxy = rows.reduce((a, r) => a + (r.k - mk) * (r.d - md), 0);
  const slope = sxx > 1e-12 ? sxy / sxx : 0;
  if (n < 4 || slope <= 0) {
    return { scale: stats(rows.map((r) => r.d / r.k)).p50, baseMs: 0 };
  }
  return { scale: slope, baseMs: md - slope * mk };
}

export function predictKernelUs(m: KernelModels, k: Kernel): number {
  const model = m.models[kernelKey(k)] ?? m.fallback;
  return Math.exp(predictGbdt(model, kernelFeatures(k)));
}

/** Σ predicted kernel times (ms), without the per-network overhead. */
export function predictKernelsMs(m: KernelModels, kernels: Kernel[]): number {
  return kernels.reduce((s, k) => s + predictKernelUs(m, k), 0) / 1000;
}

/** A whole network: its kernels, scaled, plus the per-network overhead (ms). */
export function predictNetworkMs(m: KernelModels, kernels: Kernel[]): number {
  return m.overhead.scale * predictKernelsMs(m, kernels) + m.overhead.baseMs;
}

export function isKernelModels(v: unknown): v is KernelModels {
  const m = v as KernelModels;
  return !!m && m.kind === 'mobileai.kernel-models/1' && !!m.models && typeof m.models === 'object' && Object.values(m.models).every(isGbdt) && isGbdt(m.fallback)
    && !!m.overhead && typeof m.overhead.baseMs === 'number' && typeof m.overhead.scale === 'number' && m.overhead.scale > 0;
}
