/**
 * Cross-layer equalization (AIMET's data-free technique, Nagel et al. 2019): for two layers in a row
 * (Conv→Conv or Gemm→Gemm, with nothing or a positive-homogeneous activation — Relu, LeakyRelu, PRelu —
 * between them), output channel i of the first is divided by s_i and input channel i of the second multiplied
 * by s_i, with s_i = sqrt(r1_i / r2_i) (r = the channel's largest |weight|), so both end with the range
 * sqrt(r1_i · r2_i). The float function is unchanged; per-tensor int8 weights lose far less, most of all
 * around depthwise convs whose channels differ widely. BatchNormalization after a Conv is folded first.
 */
import { type onnx } from 'onnx-proto';
import { DT, attrInt, dimsOf, floatData, tensor } from './tensors';

export interface EqualizeReport {
  /** BatchNormalization nodes folded into the Conv before them. */
  foldedBatchNorms: number;
  /** Layer pairs rescaled, by node name. */
  pairs: Array<{ first: string; second: string; through?: string }>;
  /** Mean over the equalized layers of (largest channel range / mean channel range), before and after. */
  imbalanceBefore: number;
  imbalanceAfter: number;
}

type Node = onnx.INodeProto;

const HOMOGENEOUS = new Set(['Relu', 'LeakyRelu', 'PRelu']);

interface Layer {
  node: Node;
  w: Float32Array;
  dims: number[];
  wName: string;
  b?: Float32Array;
  bName?: string;
  kind: 'conv' | 'gemm';
}

function setData(g: onnx.GraphProto, name: string, data: Float32Array, dims: number[]): void {
  const i = g.initializer.findIndex((t) => t.name === name);
  g.initializer[i] = tensor(name, DT.FLOAT, dims, data);
}

/** Folds Conv → BatchNormalization (constant statistics, conv output used only by the BN) into the Conv. */
export function foldBatchNorms(model: onnx.ModelProto): Map<string, { mean: Float32Array; std: Float32Array }> {
  const g = model.graph as onnx.GraphProto;
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t]));
  const uses = new Map<string, number>();
  for (const n of g.node) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const producer = new Map<string, Node>();
  for (const n of g.node) for (const o of n.output ?? []) producer.set(o, n);
  const outputs = new Set(g.output.map((o) => o.name));
  const removed = new Set<Node>();
  // The folded conv output's distribution (BN's beta and |gamma|): what analytical bias correction needs.
  const stats = new Map<string, { mean: Float32Array; std: Float32Array }>();
  for (const bn of g.node) {
    if (bn.opType !== 'BatchNormalization' || bn.domain || (bn.output ?? []).filter(Boolean).length !== 1) continue;
    const x = bn.input?.[0] ?? '';
    const conv = producer.get(x);
    if (!conv || conv.opType !== 'Conv' || conv.domain || uses.get(x) !== 1 || outputs.has(x)) continue;
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((k) => { const t = inits.get(bn.input?.[k] ?? ''); return t ? floatData(t) : undefined; });
    const wT = inits.get(conv.input?.[1] ?? '');
    const w = wT ? floatData(wT) : undefined;
    if (!scale || !bias || !mean || !variance || !w || !wT) continue;
    const eps = (bn.attribute ?? []).find((a) => a.name === 'epsilon')?.f ?? 1e-5;
    const dims = dimsOf(wT);
    const C = dims[0];
    if (scale.length !== C) continue;
    const per = w.length / C;
    const nw = new Float32Array(w);
    const bT = conv.input?.[2] ? inits.get(conv.input[2]) : undefined;
    const b0 = bT ? floatData(bT) : undefined;
    if (conv.input?.[2] && !b0) continue;
    const nb = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const k = scale[c] / Math.sqrt(variance[c] + eps);
      for (let j = 0; j < per; j++) nw[c * per + j] *= k;
      nb[c] = ((b0?.[c] ?? 0) - mean[c]) * k + bias[c];
    }
    const wName = `${conv.input?.[1]}_bnfolded`;
    const bName = `${conv.input?.[2] || conv.name || x}_bias_bnfolded`;
    g.initializer.push(tensor(wName, DT.FLOAT, dims, nw), tensor(bName, DT.FLOAT, [C], nb));
    conv.input = [conv.input?.[0] ?? '', wName, bName];
    conv.output = [bn.output?.[0] ?? x];
    stats.set(bn.output?.[0] ?? x, { mean: Float32Array.from(bias), std: Float32Array.from(scale, Math.abs) });
    removed.add(bn);
  }
  if (removed.size) {
    g.node = g.node.filter((n) => !removed.has(n)) as onnx.NodeProto[];
    const used = new Set(g.node.flatMap((n) => n.input ?? []));
    g.initializer = g.initializer.filter((t) => used.has(t.name ?? '') || g.input.some((i) => i.name === t.name)) as onnx.TensorProto[];
  }
  return stats;
}

function layerOf(n: Node, inits: Map<string, onnx.ITensorProto>): Layer | undefined {
  if (n.domain) return undefined;
  const wT = inits.get(n.input?.[1] ?? '');
  const w = wT ? floatData(wT) : undefined;
  if (!wT || !w) return undefined;
  const dims = dimsOf(wT);
  const bName = n.input?.[2] || undefined;
  const bT = bName ? inits.get(bName) : undefined;
  const b = bT ? floatData(bT) : undefined;
  if (bName && (!b || dimsOf(bT as onnx.ITensorProto).reduce((x, y) => x * y, 1) !== (n.opType === 'Conv' ? dims[0] : (attrInt(n, 'transB', 0) ? dims[0] : dims[1])))) return undefined;
  if (n.opType === 'Conv' && dims.length >= 3) return { node: n, w: new Float32Array(w), dims, wName: n.input?.[1] ?? '', b: b && new Float32Array(b), bName, kind: 'conv' };
  if (n.opType === 'Gemm' && dims.length === 2 && !attrInt(n, 'transA', 0)) return { node: n, w: new Float32Array(w), dims, wName: n.input?.[1] ?? '', b: b && new Float32Array(b), bName, kind: 'gemm' };
  return undefined;
}

/** Output-channel count and, for channel c, the flat indices of the weights producing it. */
function outChannels(l: Layer): { C: number; each: (c: number, f: (i: number) => void) => void } {
  if (l.kind === 'conv') {
    const C = l.dims[0];
    const per = l.w.length / C;
    return { C, each: (c, f) => { for (let j = 0; j < per; j++) f(c * per + j); } };
  }
  const transB = attrInt(l.node, 'transB', 0);
  const [R, K] = l.dims;
  if (transB) return { C: R, each: (c, f) => { for (let j = 0; j < K; j++) f(c * K + j); } };
  return { C: K, each: (c, f) => { for (let r = 0; r < R; r++) f(r * K + c); } };
}

/** Input-channel count and, for channel c, the flat indices of the weights reading it. */
function inChannels(l: Layer): { C: number; each: (c: number, f: (i: number) => void) => void } | undefined {
  if (l.kind === 'conv') {
    const group = attrInt(l.node, 'group', 1);
    const [O, Ig] = l.dims;
    const spatial = l.dims.slice(2).reduce((a, b) => a * b, 1);
    const Og = O / group;
    return {
      C: Ig * group,
      each: (c, f) => {
        const gi = Math.floor(c / Ig);
        const li = c % Ig;
        for (let o = gi * Og; o < (gi + 1) * Og; o++) for (let s = 0; s < spatial; s++) f((o * Ig + li) * spatial + s);
      },
    };
  }
  const transB = attrInt(l.node, 'transB', 0);
  const [R, K] = l.dims;
  if (transB) return { C: K, each: (c, f) => { for (let r = 0; r < R; r++) f(r * K + c); } };
  return { C: R, each: (c, f) => { for (let j = 0; j < K; j++) f(c * K + j); } };
}

function ranges(w: Float32Array, ch: { C: number; each: (c: number, f: (i: number) => void) => void }): Float64Array {
  const r = new Float64Array(ch.C);
  for (let c = 0; c < ch.C; c++) ch.each(c, (i) => { const v = Math.abs(w[i]); if (v > r[c]) r[c] = v; });
  return r;
}

const imbalance = (r: Float64Array) => {
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  return mean > 0 ? Math.max(...r) / mean : 1;
};

/** Equalizes every eligible pair in the main graph (BN folded first); returns what it did. Mutates `model`. */
export function equalize(model: onnx.ModelProto, opts: { iterations?: number; bnStats?: Map<string, { mean: Float32Array; std: Float32Array }> } = {}): EqualizeReport {
  const before = model.graph?.node?.length ?? 0;
  const bnStats = foldBatchNorms(model);
  for (const [k, v] of bnStats) opts.bnStats?.set(k, v);
  const g = model.graph as onnx.GraphProto;
  const folded = before - g.node.length;
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t as onnx.ITensorProto]));
  const uses = new Map<string, Node[]>();
  for (const n of g.node) for (const i of n.input ?? []) if (i) uses.set(i, [...(uses.get(i) ?? []), n]);
  const outputs = new Set(g.output.map((o) => o.name));
  const layers = new Map<Node, Layer>();
  for (const n of g.node) { const l = layerOf(n, inits); if (l) layers.set(n, l); }
  const only = (t: string) => (!outputs.has(t) && uses.get(t)?.length === 1 ? (uses.get(t) as Node[])[0] : undefined);

  const pairs: Array<{ a: Layer; b: Layer; act?: Node }> = [];
  for (const [n, a] of layers) {
    const y = n.output?.[0] ?? '';
    let next = only(y);
    let act: Node | undefined;
    if (next && HOMOGENEOUS.has(next.opType ?? '') && !next.domain) {
      act = next;
      if (act.opType === 'PRelu') {
        const slope = inits.get(act.input?.[1] ?? '');
        const sd = slope ? floatData(slope) : undefined;
        if (!sd) continue; // a slope from the graph: cannot prove homogeneity
      }
      next = only(act.output?.[0] ?? '');
    }
    const b = next ? layers.get(next) : undefined;
    if (!b || b.node.input?.[0] !== (act ? act.output?.[0] : y) || a.kind !== b.kind) continue;
    const outA = outChannels(a);
    const inB = inChannels(b);
    if (!inB || inB.C !== outA.C) continue;
    if (act?.opType === 'PRelu') {
      const slope = floatData(inits.get(act.input?.[1] ?? '') as onnx.ITensorProto) as Float32Array;
      if (slope.length !== 1 && slope.length !== outA.C) continue;
    }
    pairs.push({ a, b, act });
  }
  const touched = new Set<Layer>();
  const imbBefore: number[] = [];
  for (const p of pairs) imbBefore.push(imbalance(ranges(p.a.w, outChannels(p.a))), imbalance(ranges(p.b.w, inChannels(p.b) as ReturnType<typeof outChannels>)));
  // Chains (conv → depthwise → conv) share layers: repeat until the scales settle, as the paper does.
  const iterations = opts.iterations ?? 20;
  for (let it = 0; it < iterations; it++) {
    let moved = 0;
    for (const { a, b } of pairs) {
      const outA = outChannels(a);
      const inB = inChannels(b) as ReturnType<typeof outChannels>;
      const r1 = ranges(a.w, outA);
      const r2 = ranges(b.w, inB);
      for (let c = 0; c < outA.C; c++) {
        if (!(r1[c] > 0 && r2[c] > 0)) continue;
        const s = Math.sqrt(r1[c] / r2[c]);
        if (!Number.isFinite(s) || s <= 0) continue;
        moved = Math.max(moved, Math.abs(Math.log(s)));
        outA.each(c, (i) => { a.w[i] /= s; });
        if (a.b) a.b[c] /= s;
        inB.each(c, (i) => { b.w[i] *= s; });
        const stat = bnStats.get(a.node.output?.[0] ?? '');
        if (stat) { stat.mean[c] /= s; stat.std[c] /= s; }
      }
      touched.add(a);
      touched.add(b);
    }
    if (moved < 1e-4) break;
  }
  const imbAfter: number[] = [];
  for (const p of pairs) imbAfter.push(imbalance(ranges(p.a.w, outChannels(p.a))), imbalance(ranges(p.b.w, inChannels(p.b) as ReturnType<typeof outChannels>)));
  // New initializers (names stay; shared weights are copied so other users keep theirs).
  const shared = new Map<string, number>();
  for (const n of g.node) for (const i of n.input ?? []) if (inits.has(i)) shared.set(i, (shared.get(i) ?? 0) + 1);
  for (const l of touched) {
    const write = (name: string, data: Float32Array, dims: number[], slot: number) => {
      if ((shared.get(name) ?? 0) > 1 || g.input.some((i) => i.name === name)) {
        const copy = `${name}_equalized_${l.node.name || l.node.output?.[0]}`;
        g.initializer.push(tensor(copy, DT.FLOAT, dims, data));
        const ins = [...(l.node.input ?? [])];
        ins[slot] = copy;
        l.node.input = ins;
      } else setData(g, name, data, dims);
    };
    write(l.wName, l.w, l.dims, 1);
    if (l.b && l.bName) write(l.bName, l.b, dimsOf(inits.get(l.bName) as onnx.ITensorProto), 2);
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 1);
  return {
    foldedBatchNorms: folded,
    pairs: pairs.map((p) => ({ first: p.a.node.name || p.a.node.output?.[0] || '', second: p.b.node.name || p.b.node.output?.[0] || '', ...(p.act ? { through: p.act.opType ?? '' } : {}) })),
    imbalanceBefore: mean(imbBefore),
    imbalanceAfter: mean(imbAfter),
  };
}
