/**
 * Bias correction (AIMET; Nagel et al. 2019): rounding a layer's weights to int8 shifts the mean of its
 * output by (W̃ − W)·E[x]; subtracting that shift from the bias removes it. E[x] (per input channel) comes
 * from the calibration data through the float model (empirical), or, where a BatchNormalization (optionally
 * followed by Relu) produces the layer's input, from its β and γ with no data at all (analytical: the mean of
 * a normal N(β, γ²), or of a clipped normal after Relu). Corrections are kept per layer so a layer the
 * accuracy-aware loop keeps in float gets its original bias back.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { type onnx } from 'onnx-proto';
import { augment, type Sample } from './calibration';
import { quantizeWeight } from './rewrite';
import { DT, attrFloat, attrInt, dimsOf, floatData, tensor } from './tensors';
import { CancelledError, type CancelSignal } from '../util/progress';

export interface BiasCorrection {
  node: string;
  opType: string;
  /** analytical (from BatchNormalization statistics) or empirical (from calibration data). */
  method: 'analytical' | 'empirical';
  /** Largest |shift| removed from the layer's output channels. */
  maxShift: number;
  /** The corrected bias, replacing input 2 (C for Gemm). */
  bias: Float32Array;
}

export interface BiasReport {
  layers: number;
  analytical: number;
  empirical: number;
  samples: number;
  /** Largest shift removed over all layers. */
  maxShift: number;
}

type Node = onnx.INodeProto;

interface Target {
  node: Node;
  w: Float32Array;
  dims: number[];
  bias: Float32Array;
  /** Per output channel: Σ over its weights of (w̃ − w)·E[x_channel]. */
  shift: (mean: Float64Array) => Float64Array;
  inChannels: number;
  channelAxis: 'nchw' | 'last';
}

export interface WeightSettings {
  perChannel: boolean;
  symmetricWeights: boolean;
  reduceRange: boolean;
}

function dequantized(w: Float32Array, dims: number[], axis: number | undefined, s: WeightSettings): Float32Array {
  const { q, params } = quantizeWeight(w, dims, axis, 'int8', s.symmetricWeights, s.reduceRange);
  const out = new Float32Array(w.length);
  if (axis === undefined) {
    for (let i = 0; i < w.length; i++) out[i] = (q[i] - params[0].zeroPoint) * params[0].scale;
    return out;
  }
  const C = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % C;
    out[i] = (q[i] - params[c].zeroPoint) * params[c].scale;
  }
  return out;
}

function targetOf(n: Node, inits: Map<string, onnx.ITensorProto>, s: WeightSettings): Target | undefined {
  if (n.domain) return undefined;
  const wT = inits.get(n.input?.[1] ?? '');
  const w = wT ? floatData(wT) : undefined;
  if (!wT || !w) return undefined;
  const dims = dimsOf(wT);
  const bT = n.input?.[2] ? inits.get(n.input[2]) : undefined;
  const b0 = bT ? floatData(bT) : undefined;
  if (n.input?.[2] && !b0) return undefined;
  if (n.opType === 'Conv' && dims.length >= 3) {
    const [O, Ig] = dims;
    const group = attrInt(n, 'group', 1);
    const spatial = dims.slice(2).reduce((a, b) => a * b, 1);
    if (b0 && b0.length !== O) return undefined;
    const dq = dequantized(w, dims, s.perChannel ? 0 : undefined, s);
    const Og = O / group;
    return {
      node: n, w, dims, bias: new Float32Array(b0 ?? new Float32Array(O)), inChannels: Ig * group, channelAxis: 'nchw',
      shift: (mean) => {
        const out = new Float64Array(O);
        for (let o = 0; o < O; o++) {
          const gi = Math.floor(o / Og);
          let acc = 0;
          for (let li = 0; li < Ig; li++) {
            const m = mean[gi * Ig + li];
            let d = 0;
            for (let k = 0; k < spatial; k++) { const i = (o * Ig + li) * spatial + k; d += dq[i] - w[i]; }
            acc += d * m;
          }
          out[o] = acc;
        }
        return out;
      },
    };
  }
  if (n.opType === 'Gemm' && dims.length === 2 && !attrInt(n, 'transA', 0)) {
    const transB = attrInt(n, 'transB', 0);
    const [R, K2] = dims;
    const N = transB ? R : K2;
    const K = transB ? K2 : R;
    const beta = attrFloat(n, 'beta', 1);
    const alpha = attrFloat(n, 'alpha', 1);
    if ((b0 && b0.length !== N) || (bT && dimsOf(bT).length !== 1) || beta === 0) return undefined;
    const dq = dequantized(w, dims, s.perChannel ? (transB ? 0 : 1) : undefined, s);
    return {
      node: n, w, dims, bias: new Float32Array(b0 ?? new Float32Array(N)), inChannels: K, channelAxis: 'last',
      shift: (mean) => {
        const out = new Float64Array(N);
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < K; k++) { const i = transB ? j * K + k : k * N + j; acc += (dq[i] - w[i]) * mean[k]; }
          out[j] = (alpha * acc) / beta;
        }
        return out;
      },
    };
  }
  return undefined;
}

/** Standard normal pdf and cdf. */
const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
function Phi(x: number): number {
  // Abramowitz-Stegun 7.1.26 on erf.
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * (1 + (x >= 0 ? erf : -erf));
}

/** Statistics of BatchNormalization outputs still in the graph (β mean, |γ| deviation). */
function batchNormStats(g: onnx.GraphProto, inits: Map<string, onnx.ITensorProto>): Map<string, { mean: Float32Array; std: Float32Array }> {
  const out = new Map<string, { mean: Float32Array; std: Float32Array }>();
  for (const n of g.node) {
    if (n.opType !== 'BatchNormalization' || n.domain) continue;
    const scale = inits.get(n.input?.[1] ?? '');
    const bias = inits.get(n.input?.[2] ?? '');
    const s = scale ? floatData(scale) : undefined;
    const b = bias ? floatData(bias) : undefined;
    if (s && b && n.output?.[0]) out.set(n.output[0], { mean: Float32Array.from(b), std: Float32Array.from(s, Math.abs) });
  }
  return out;
}

/**
 * Computes a bias correction for every Conv/Gemm that `willQuantize` names (the model is not changed: apply
 * them with applyBiasCorrections). `run` feeds calibration samples through a session of the float model.
 */
export async function biasCorrections(model: onnx.ModelProto, opts: {
  weights: WeightSettings;
  willQuantize: (node: string) => boolean;
  samples: () => AsyncIterable<Sample>;
  session: (bytes: Uint8Array) => Promise<InferenceSession>;
  maxSamples?: number;
  /** BatchNorm statistics of tensors whose BN was folded away (from equalize). */
  bnStats?: Map<string, { mean: Float32Array; std: Float32Array }>;
  signal?: CancelSignal;
}): Promise<{ corrections: BiasCorrection[]; report: BiasReport }> {
  const g = model.graph as onnx.GraphProto;
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t as onnx.ITensorProto]));
  const producer = new Map<string, Node>();
  for (const n of g.node) for (const o of n.output ?? []) producer.set(o, n);
  const stats = new Map([...batchNormStats(g, inits), ...(opts.bnStats ?? [])]);
  const targets = g.node.filter((n) => willQuantizeName(n, opts.willQuantize)).map((n) => targetOf(n, inits, opts.weights)).filter((t): t is Target => !!t);
  const means = new Map<Node, Float64Array>();
  const methods = new Map<Node, 'analytical' | 'empirical'>();
  const needData: Target[] = [];
  for (const t of targets) {
    const x = t.node.input?.[0] ?? '';
    const p = producer.get(x);
    const direct = stats.get(x);
    const relu = p?.opType === 'Relu' && !p.domain ? stats.get(p.input?.[0] ?? '') : undefined;
    const st = direct ?? relu;
    if (st && st.mean.length === t.inChannels) {
      const m = new Float64Array(t.inChannels);
      for (let c = 0; c < m.length; c++) {
        const mu = st.mean[c];
        const sd = st.std[c];
        m[c] = direct ? mu : sd > 0 ? sd * phi(mu / sd) + mu * Phi(mu / sd) : Math.max(0, mu);
      }
      means.set(t.node, m);
      methods.set(t.node, 'analytical');
    } else needData.push(t);
  }
  let count = 0;
  if (needData.length) {
    const tensors = [...new Set(needData.map((t) => t.node.input?.[0] ?? ''))].filter(Boolean);
    const sums = new Map(tensors.map((t) => [t, { sum: undefined as Float64Array | undefined, n: 0 }]));
    const s = await opts.session(augment(model, tensors));
    try {
      for await (const sample of opts.samples()) {
        if (opts.signal?.cancelled) throw new CancelledError('quantization cancelled');
        if (count >= (opts.maxSamples ?? 64)) break;
        const feeds = Object.fromEntries(s.inputNames.filter((n) => sample[n]).map((n) => [n, sample[n]]));
        const out = await s.run(feeds, tensors);
        for (const t of needData) {
          const name = t.node.input?.[0] ?? '';
          const v = out[name];
          const acc = sums.get(name);
          if (!v || v.type !== 'float32' || !acc) continue;
          const d = v.data as Float32Array;
          const dims = v.dims;
          const C = t.inChannels;
          acc.sum ??= new Float64Array(C);
          if (t.channelAxis === 'nchw' && dims.length >= 2 && dims[1] === C) {
            const inner = dims.slice(2).reduce((a, b) => a * b, 1);
            const outer = dims[0];
            for (let o = 0; o < outer; o++) for (let c = 0; c < C; c++) {
              let sum = 0;
              const base = (o * C + c) * inner;
              for (let i = 0; i < inner; i++) sum += d[base + i];
              acc.sum[c] += sum / inner;
            }
            acc.n += outer;
          } else if (t.channelAxis === 'last' && dims[dims.length - 1] === C) {
            const rows = d.length / C;
            for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) acc.sum[c] += d[r * C + c];
            acc.n += rows;
          }
        }
        count++;
      }
    } finally {
      await s.release().catch(() => undefined);
    }
    for (const t of needData) {
      const acc = sums.get(t.node.input?.[0] ?? '');
      if (!acc?.sum || !acc.n) continue;
      means.set(t.node, acc.sum.map((v) => v / acc.n));
      methods.set(t.node, 'empirical');
    }
  }
  const corrections: BiasCorrection[] = [];
  for (const t of targets) {
    const m = means.get(t.node);
    if (!m) continue;
    const shift = t.shift(m);
    const bias = Float32Array.from(t.bias, (b, c) => b - shift[c]);
    const maxShift = shift.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    corrections.push({ node: t.node.name ?? '', opType: t.node.opType ?? '', method: methods.get(t.node) ?? 'empirical', maxShift, bias });
  }
  return {
    corrections,
    report: {
      layers: corrections.length,
      analytical: corrections.filter((c) => c.method === 'analytical').length,
      empirical: corrections.filter((c) => c.method === 'empirical').length,
      samples: count,
      maxShift: corrections.reduce((a, c) => Math.max(a, c.maxShift), 0),
    },
  };
}

function willQuantizeName(n: Node, f: (name: string) => boolean): boolean {
  return !!n.name && (n.opType === 'Conv' || n.opType === 'Gemm') && f(n.name);
}

/** Replaces the biases of the named layers that `use` accepts with their corrected ones. Mutates `model`. */
export function applyBiasCorrections(model: onnx.ModelProto, corrections: BiasCorrection[], use: (node: string) => boolean): number {
  const g = model.graph as onnx.GraphProto;
  const byName = new Map(g.node.filter((n) => n.name).map((n) => [n.name, n]));
  let applied = 0;
  for (const c of corrections) {
    const n = byName.get(c.node);
    if (!n || !use(c.node)) continue;
    const name = `${c.node}_bias_corrected`;
    g.initializer.push(tensor(name, DT.FLOAT, [c.bias.length], c.bias));
    const ins = [...(n.input ?? [])];
    while (ins.length < 3) ins.push('');
    ins[2] = name;
    n.input = ins;
    applied++;
  }
  return applied;
}
