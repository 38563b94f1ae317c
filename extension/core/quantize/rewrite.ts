import { onnx } from 'onnx-proto';
import { toNumber } from '../onnx/model';
import { computeQParams, minMax, quantizeNBits, quantizeValue, roundHalfEven, type QParams, type QType } from './numerics';
import { DT, Names, QuantizeError, attrFloat, attrInt, dimsOf, eachGraph, floatData, nodeReads, scalarFloat, subgraphsOf, tensor, transpose2d, zeroPointTensor } from './tensors';

export interface RewriteOptions {
  perChannel: boolean;
  /** Weights: symmetric int8 by default. */
  symmetricWeights: boolean;
  /** Activations: int8 (S8S8, default) or uint8 (U8S8). */
  activationType: QType;
  symmetricActivations: boolean;
  reduceRange: boolean;
  blockSize: number;
  int4Symmetric: boolean;
  excludeNodes: string[];
  excludeOpTypes: string[];
  keepFirstLast: boolean;
  /** Quantize only these nodes (per-layer sensitivity). */
  onlyNodes?: string[];
  /**
   * Also put QDQ on Softmax (off by default, as ONNX Runtime's tool leaves it float unless asked): its output
   * then gets the fixed range [0, 1] (scale 1/256), not a calibrated one.
   */
  quantizeSoftmax?: boolean;
}

export interface RewriteStats {
  quantizedNodes: string[];
  byOpType: Record<string, number>;
  skipped: Array<{ node: string; reason: string }>;
}

type Graph = onnx.GraphProto;

function initializerMap(g: Graph): Map<string, onnx.ITensorProto> {
  return new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
}

/** Who reads each tensor: node inputs and subgraphs' outer-scope reads (the If/Loop/Scan node reads them). */
function consumers(g: Graph): Map<string, onnx.INodeProto[]> {
  const m = new Map<string, onnx.INodeProto[]>();
  for (const n of g.node ?? []) for (const i of new Set(nodeReads(n))) m.set(i, [...(m.get(i) ?? []), n]);
  return m;
}

/** Nodes the user wants left in float: excluded by name or op type, or the first/last compute layers. */
export function selectNodes(g: Graph, candidates: (n: onnx.INodeProto) => boolean, o: RewriteOptions): { chosen: Set<onnx.INodeProto>; skipped: RewriteStats['skipped'] } {
  const skipped: RewriteStats['skipped'] = [];
  const compute = (g.node ?? []).filter((n) => candidates(n));
  const chosen = new Set<onnx.INodeProto>();
  const firstLast = new Set<onnx.INodeProto>();
  if (o.keepFirstLast) {
    const heavy = compute.filter((n) => ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'].includes(n.opType ?? ''));
    if (heavy.length) { firstLast.add(heavy[0]); firstLast.add(heavy[heavy.length - 1]); }
  }
  for (const n of compute) {
    const name = n.name ?? '';
    if (o.onlyNodes && !o.onlyNodes.includes(name)) continue;
    if (o.excludeNodes.includes(name)) skipped.push({ node: name, reason: 'excluded by name' });
    else if (o.excludeOpTypes.includes(n.opType ?? '')) skipped.push({ node: name, reason: `op type ${n.opType} excluded` });
    else if (firstLast.has(n)) skipped.push({ node: name, reason: 'first/last layer kept in float' });
    else chosen.add(n);
  }
  return { chosen, skipped };
}

function ensureOpset(model: onnx.ModelProto, domain: string, version: number): void {
  const imp = model.opsetImport.find((o) => (o.domain ?? '') === domain);
  if (!imp) model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain, version }));
}

export function defaultOpset(model: onnx.ModelProto): number {
  const o = model.opsetImport.find((x) => !x.domain || x.domain === 'ai.onnx');
  return o ? toNumber(o.version) : 1;
}

/**
 * Drops initializers nothing reads any more, in every graph: a name read by a subgraph (outer-scope reference)
 * counts as used in the graph that defines it.
 */
export function removeUnusedInitializers(g: Graph): void {
  const used = new Set<string>();
  for (const n of g.node ?? []) for (const i of nodeReads(n)) used.add(i);
  for (const o of g.output ?? []) used.add(o.name ?? '');
  const wasInitializer = new Set((g.initializer ?? []).map((t) => t.name));
  g.initializer = (g.initializer ?? []).filter((t) => used.has(t.name ?? '')) as onnx.TensorProto[];
  // Old models list initializers among the inputs: a replaced weight must not turn into a required input.
  g.input = (g.input ?? []).filter((i) => !wasInitializer.has(i.name) || used.has(i.name ?? '')) as onnx.ValueInfoProto[];
  for (const n of g.node ?? []) for (const s of subgraphsOf(n)) removeUnusedInitializers(s.graph as Graph);
}

/**
 * Orders a graph's nodes topologically (stable: the given order where it is already valid), counting a
 * subgraph's outer-scope reads as inputs of its node. Names available from enclosing graphs count as given.
 * Throws on a cycle or an input nothing produces.
 */
export function topoSort(g: Graph, outer: Set<string> = new Set()): boolean {
  const nodes = g.node ?? [];
  const avail = new Set<string>([...outer, ...(g.initializer ?? []).map((t) => t.name ?? ''), ...(g.input ?? []).map((i) => i.name ?? '')]);
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && !producer.has(o) && producer.set(o, i)));
  const deps = nodes.map((n) => [...new Set(nodeReads(n))].filter((x) => !avail.has(x)).map((x) => {
    const p = producer.get(x);
    if (p === undefined) throw new QuantizeError(`node ${n.name || n.opType} reads "${x}", which no node, initializer or input produces: the model is invalid`);
    return p;
  }));
  const done = new Array<boolean>(nodes.length).fill(false);
  const order: onnx.INodeProto[] = [];
  const visiting = new Set<number>();
  const visit = (i: number) => {
    if (done[i]) return;
    if (visiting.has(i)) throw new QuantizeError(`the graph has a cycle through node ${nodes[i].name || nodes[i].opType}`);
    visiting.add(i);
    for (const d of deps[i]) if (d !== i) visit(d);
    visiting.delete(i);
    done[i] = true;
    order.push(nodes[i]);
  };
  nodes.forEach((_, i) => visit(i));
  const changed = order.some((n, i) => n !== nodes[i]);
  g.node = order as onnx.NodeProto[];
  const scope = new Set([...avail, ...producer.keys()]);
  let sub = false;
  for (const n of order) for (const s of subgraphsOf(n)) sub = topoSort(s.graph as Graph, new Set([...scope, ...(s.graph.input ?? []).map((i) => i.name ?? '')])) || sub;
  return changed || sub;
}

export interface NormalizeInfo {
  /** Constant nodes turned into initializers (weights stored as Constant, e.g. PaddleOCR and PyTorch exports). */
  constants: number;
  /** The node order was not topological and was sorted. */
  reordered: boolean;
  /** Nodes that had no name or a duplicate one and were given a unique one. */
  renamed: number;
  /** Unsqueeze/Squeeze/Reshape/Identity of constant weights folded into initializers (LSTM weights in PyTorch exports). */
  folded?: number;
}

function int64Data(t: onnx.ITensorProto): number[] | undefined {
  if (t.dataType !== DT.INT64) return undefined;
  if (t.rawData?.length) {
    const c = new Uint8Array(t.rawData);
    return Array.from(new BigInt64Array(c.buffer, c.byteOffset, c.length / 8), (v) => Number(v));
  }
  return (t.int64Data ?? []).map((v) => toNumber(v));
}

type Values = { data: Float32Array | BigInt64Array; dims: number[] };

function valuesOf(t: onnx.ITensorProto | undefined): Values | undefined {
  if (!t || t.dataLocation) return undefined;
  const dims = dimsOf(t);
  if (t.dataType === DT.FLOAT) {
    const d = floatData(t);
    return d ? { data: d, dims } : undefined;
  }
  const i = int64Data(t);
  return i && i.length === dims.reduce((a, b) => a * b, 1) ? { data: BigInt64Array.from(i.map((v) => BigInt(v))), dims } : undefined;
}

/** Largest constant computed at load time (elements): bigger results stay as nodes. */
const FOLD_LIMIT = 1 << 22;

/**
 * Constant Slice and Concat (PyTorch exports reorder LSTM gates as Concat(Slice(W)…)): computed here so the
 * weight becomes an initializer, as onnxruntime's constant folding would before quantizing.
 */
function foldData(n: onnx.INodeProto, scope: Map<string, onnx.ITensorProto>): Values | undefined {
  const op = n.opType;
  if (op === 'Slice') {
    const x = valuesOf(scope.get(n.input?.[0] ?? ''));
    if (!x) return undefined;
    const arg = (i: number, attr: string) => {
      const a = (n.attribute ?? []).find((k) => k.name === attr)?.ints?.map((v) => toNumber(v));
      if (a) return a;
      const name = n.input?.[i];
      if (!name) return undefined;
      const t = scope.get(name);
      const v = t ? int64Data(t) : undefined;
      return v ?? null;
    };
    const starts = arg(1, 'starts');
    const ends = arg(2, 'ends');
    const axesIn = arg(3, 'axes');
    const stepsIn = arg(4, 'steps');
    if (!starts || !ends || axesIn === null || stepsIn === null) return undefined;
    const r = x.dims.length;
    const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + r : a));
    const lo = x.dims.map(() => 0);
    const step = x.dims.map(() => 1);
    const hi = [...x.dims];
    axes.forEach((a, i) => {
      const D = x.dims[a];
      const st = stepsIn?.[i] ?? 1;
      const clamp = (v: number, min: number, max: number) => Math.max(min, Math.min(max, v));
      let b = starts[i] < 0 ? starts[i] + D : starts[i];
      let e = ends[i] < 0 ? ends[i] + D : ends[i];
      if (st > 0) { b = clamp(b, 0, D); e = clamp(e, 0, D); } else { b = clamp(b, -1, D - 1); e = clamp(e, -1, D - 1); }
      lo[a] = b; hi[a] = e; step[a] = st;
    });
    const outDims = x.dims.map((_, a) => Math.max(0, Math.ceil((hi[a] - lo[a]) / step[a])));
    const total = outDims.reduce((p, q) => p * q, 1);
    if (total > FOLD_LIMIT || step.some((v) => v === 0)) return undefined;
    const out = x.data instanceof Float32Array ? new Float32Array(total) : new BigInt64Array(total);
    const strides = x.dims.map((_, a) => x.dims.slice(a + 1).reduce((p, q) => p * q, 1));
    const idx = outDims.map(() => 0);
    for (let k = 0; k < total; k++) {
      let src = 0;
      for (let a = 0; a < r; a++) src += (lo[a] + idx[a] * step[a]) * strides[a];
      (out as Float32Array)[k] = (x.data as Float32Array)[src];
      for (let a = r - 1; a >= 0; a--) { if (++idx[a] < outDims[a]) break; idx[a] = 0; }
    }
    return { data: out, dims: outDims };
  }
  if (op === 'Concat') {
    const parts = (n.input ?? []).map((i) => valuesOf(scope.get(i)));
    if (!parts.length || parts.some((p) => !p) || new Set(parts.map((p) => p!.data.constructor)).size !== 1) return undefined;
    const ps = parts as Values[];
    const r = ps[0].dims.length;
    let axis = toNumber((n.attribute ?? []).find((k) => k.name === 'axis')?.i ?? 0);
    if (axis < 0) axis += r;
    const outer = ps[0].dims.slice(0, axis).reduce((p, q) => p * q, 1);
    const dims = [...ps[0].dims];
    dims[axis] = ps.reduce((a, p) => a + p.dims[axis], 0);
    const total = dims.reduce((p, q) => p * q, 1);
    if (total > FOLD_LIMIT) return undefined;
    const out = ps[0].data instanceof Float32Array ? new Float32Array(total) : new BigInt64Array(total);
    let o = 0;
    for (let b = 0; b < outer; b++) {
      for (const p of ps) {
        const chunk = p.data.length / outer;
        (out as Float32Array).set((p.data as Float32Array).subarray(b * chunk, (b + 1) * chunk), o);
        o += chunk;
      }
    }
    return { data: out, dims };
  }
  return undefined;
}

/**
 * Folds ops that only re-label a constant's dimensions (Identity, Unsqueeze, Squeeze, Reshape) into new
 * initializers, so weights reached through them (PyTorch exports LSTM weights as Unsqueeze(Constant)) can be
 * quantized. The data bytes are unchanged; only dims are recomputed. Outer-scope constants count.
 */
function foldShapeOps(g: Graph, outer: Map<string, onnx.ITensorProto>): number {
  const scope = new Map(outer);
  for (const i of g.input ?? []) scope.delete(i.name ?? '');
  for (const t of g.initializer ?? []) scope.set(t.name ?? '', t);
  const outs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  let folded = 0;
  const keep: onnx.INodeProto[] = [];
  for (const n of g.node ?? []) {
    const op = n.opType ?? '';
    const x = scope.get(n.input?.[0] ?? '');
    const y = n.output?.[0] ?? '';
    let dims: number[] | undefined;
    if (!n.domain && x && (x.dataType === DT.FLOAT || x.dataType === DT.INT64) && !outs.has(y) && (n.output ?? []).length === 1 && !x.dataLocation) {
      const d = dimsOf(x);
      const axesOf = () => {
        const a = (n.attribute ?? []).find((k) => k.name === 'axes')?.ints?.map((v) => toNumber(v));
        if (a) return a;
        const t = n.input?.[1] ? scope.get(n.input[1]) : undefined;
        return t ? int64Data(t) : undefined;
      };
      if (op === 'Identity') dims = d;
      else if (op === 'Unsqueeze') {
        const axes = axesOf();
        if (axes) {
          const r = d.length + axes.length;
          const ax = new Set(axes.map((a) => (a < 0 ? a + r : a)));
          const it = d[Symbol.iterator]();
          dims = Array.from({ length: r }, (_, i) => (ax.has(i) ? 1 : (it.next().value as number)));
        }
      } else if (op === 'Squeeze') {
        const axes = n.input?.[1] || (n.attribute ?? []).some((k) => k.name === 'axes') ? axesOf() : d.map((v, i) => (v === 1 ? i : -1)).filter((i) => i >= 0);
        if (axes) {
          const ax = new Set(axes.map((a) => (a < 0 ? a + d.length : a)));
          dims = d.filter((_, i) => !ax.has(i));
        }
      } else if (op === 'Reshape') {
        const shape = n.input?.[1] ? scope.get(n.input[1]) : undefined;
        const sh = shape ? int64Data(shape) : undefined;
        if (sh) {
          const total = d.reduce((a, b) => a * b, 1);
          const r = sh.map((v, i) => (v === 0 ? d[i] : v));
          const known = r.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
          dims = r.map((v) => (v === -1 ? total / known : v));
        }
      }
    }
    const computed = !dims && !n.domain && !outs.has(y) && (n.output ?? []).length === 1 ? foldData(n, scope) : undefined;
    if (computed) {
      const t = computed.data instanceof Float32Array ? tensor(y, DT.FLOAT, computed.dims, computed.data) : tensor(y, DT.INT64, computed.dims, computed.data);
      g.initializer = [...(g.initializer ?? []), t];
      scope.set(y, t);
      folded++;
    } else if (dims && x) {
      const t = onnx.TensorProto.create({ ...x, name: y, dims });
      g.initializer = [...(g.initializer ?? []), t];
      scope.set(y, t);
      folded++;
    } else {
      keep.push(n);
      for (const o of n.output ?? []) scope.delete(o);
    }
  }
  g.node = keep as onnx.NodeProto[];
  for (const n of keep) for (const s of subgraphsOf(n)) folded += foldShapeOps(s.graph as Graph, scope);
  return folded;
}

/**
 * Puts a model in the form the rewrites expect, without changing what it computes: Constant nodes holding
 * tensors become initializers of their graph, nodes are in topological order, and every node has a unique name.
 */
export function normalizeModel(model: onnx.ModelProto): NormalizeInfo {
  const info: NormalizeInfo = { constants: 0, reordered: false, renamed: 0, folded: 0 };
  const g0 = model.graph as Graph;
  eachGraph(g0, (g) => {
    const keep: onnx.INodeProto[] = [];
    for (const n of g.node ?? []) {
      const t = n.opType === 'Constant' && !n.domain && (n.attribute ?? []).length === 1 ? constantTensor(n) : undefined;
      if (t && n.output?.[0]) {
        t.name = n.output[0];
        g.initializer = [...(g.initializer ?? []), t];
        info.constants++;
      } else keep.push(n);
    }
    g.node = keep as onnx.NodeProto[];
  });
  info.reordered = topoSort(g0);
  info.folded = foldShapeOps(g0, new Map());
  const names = new Names(g0);
  const seen = new Set<string>();
  eachGraph(g0, (g) => {
    for (const n of g.node ?? []) {
      if (!n.name || seen.has(n.name)) {
        n.name = names.make(n.name || `${n.opType}_${n.output?.[0] ?? ''}`);
        info.renamed++;
      }
      seen.add(n.name);
    }
  });
  return info;
}

function constantTensor(n: onnx.INodeProto): onnx.TensorProto | undefined {
  const a = (n.attribute ?? [])[0];
  if (a.name === 'value' && a.t) return onnx.TensorProto.create({ ...a.t });
  if (a.name === 'value_float') return scalarFloat('', a.f ?? 0);
  if (a.name === 'value_floats') return tensor('', DT.FLOAT, [a.floats?.length ?? 0], Float32Array.from(a.floats ?? []));
  if (a.name === 'value_int') return tensor('', DT.INT64, [], BigInt64Array.of(BigInt(toNumber(a.i))));
  if (a.name === 'value_ints') return tensor('', DT.INT64, [a.ints?.length ?? 0], BigInt64Array.from((a.ints ?? []).map((v) => BigInt(toNumber(v)))));
  return undefined;
}

/** The float32 `steps` ulps above x. */
function nextFloat32(x: number, steps: number): number {
  const b = new Float32Array([x]);
  const u = new Uint32Array(b.buffer);
  u[0] += steps;
  return b[0];
}

/** Per-tensor or per-channel int8 quantization of a weight along `axis`. */
export function quantizeWeight(w: Float32Array, dims: number[], axis: number | undefined, qType: QType, symmetric: boolean, reduceRange: boolean): { q: Int8Array | Uint8Array; params: QParams[] } {
  const q = qType === 'int8' ? new Int8Array(w.length) : new Uint8Array(w.length);
  if (axis === undefined) {
    const [lo, hi] = minMax(w);
    const p = computeQParams(lo, hi, qType, symmetric, reduceRange);
    for (let i = 0; i < w.length; i++) q[i] = quantizeValue(w[i], p);
    return { q, params: [p] };
  }
  const C = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const params: QParams[] = [];
  for (let c = 0; c < C; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) {
        const v = w[base + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    const p = computeQParams(lo === Infinity ? 0 : lo, hi === -Infinity ? 0 : hi, qType, symmetric, reduceRange);
    params.push(p);
    for (let o = 0; o < outer; o++) {
      const base = (o * C + c) * inner;
      for (let i = 0; i < inner; i++) q[base + i] = quantizeValue(w[base + i], p);
    }
  }
  return { q, params };
}

/* ------------------------------------------------------------------ */
/* Dynamic int8: DynamicQuantizeLinear → MatMulInteger → Cast → Mul     */

/** A weight visible from a graph: its tensor and the graph that holds it (an enclosing one for outer-scope reads). */
interface ScopedWeight { t: onnx.ITensorProto; owner: Graph }

function scopeWith(outer: Map<string, ScopedWeight>, g: Graph): Map<string, ScopedWeight> {
  const m = new Map(outer);
  // Names a subgraph defines itself shadow nothing (ONNX forbids it), but its inputs and outputs are not weights.
  for (const i of g.input ?? []) m.delete(i.name ?? '');
  for (const n of g.node ?? []) for (const o of n.output ?? []) m.delete(o);
  for (const t of g.initializer ?? []) m.set(t.name ?? '', { t, owner: g });
  return m;
}

export interface DynamicOptions extends RewriteOptions {
  /** Only rewrite subgraphs (If/Loop/Scan bodies): static mode quantizes the main graph with QDQ, whose ranges calibration cannot see inside subgraphs. */
  subgraphsOnly?: boolean;
}

/** What dynamic quantization turns into integer kernels (ORT's IntegerOps registry: MatMul, Gemm, Conv, LSTM). */
export const DYNAMIC_OPS = new Set(['MatMul', 'Gemm', 'Conv', 'LSTM']);

/**
 * Dynamic int8, as ONNX Runtime's quantize_dynamic does, in the main graph and in every subgraph:
 * MatMul/Gemm → DynamicQuantizeLinear → MatMulInteger → Cast → Mul (scales) [→ Add bias];
 * Conv → DynamicQuantizeLinear → ConvInteger → Cast → Mul [→ Add bias];
 * LSTM → com.microsoft DynamicQuantizeLSTM with W/R quantized per direction and transposed to [dir, in, 4·hidden].
 */
export function rewriteDynamic(model: onnx.ModelProto, o: DynamicOptions): RewriteStats {
  const g0 = model.graph as Graph;
  const names = new Names(g0);
  const stats: RewriteStats = { quantizedNodes: [], byOpType: {}, skipped: [] };
  const cache = new Map<string, { q: string; scale: string; zp: string; perChannel: boolean }>();
  let usesMs = false;
  const visit = (g: Graph, outer: Map<string, ScopedWeight>, depth: number) => {
    const scope = scopeWith(outer, g);
    const weight = (name: string | undefined) => {
      const w = name ? scope.get(name) : undefined;
      const data = w ? floatData(w.t) : undefined;
      return w && data ? { ...w, data, dims: dimsOf(w.t) } : undefined;
    };
    const isCandidate = (n: onnx.INodeProto) => {
      if (n.domain && n.domain !== 'ai.onnx') return false;
      if (depth === 0 && o.subgraphsOnly) return false;
      const b = weight(n.input?.[1]);
      if (!b) return false;
      if (n.opType === 'MatMul' || n.opType === 'Gemm') return b.dims.length === 2 && (n.opType !== 'Gemm' || attrInt(n, 'transA', 0) === 0);
      if (n.opType === 'Conv') return b.dims.length >= 3;
      if (n.opType === 'LSTM') return b.dims.length === 3 && !!weight(n.input?.[2]) && attrInt(n, 'layout', 0) === 0;
      return false;
    };
    const { chosen, skipped } = selectNodes(g, isCandidate, o);
    stats.skipped.push(...skipped);
    if (!(depth === 0 && o.subgraphsOnly)) {
      for (const n of g.node ?? []) if (n.opType === 'GRU' && !n.domain && !o.excludeNodes.includes(n.name ?? '')) stats.skipped.push({ node: n.name ?? '', reason: 'GRU stays float: onnxruntime has no int8 GRU kernel (DynamicQuantizeLSTM covers LSTM only)' });
    }
    const out: onnx.INodeProto[] = [];
    /** Quantizes a weight once per layout (shared weights are shared quantized too), in the graph that owns it. */
    const qWeight = (name: string, kind: string, make: () => { dims: number[]; q: Int8Array | Uint8Array; scales: number[]; zps: number[]; scaleDims: number[]; u8?: boolean }) => {
      const key = `${name}@${kind}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const owner = scope.get(name)?.owner ?? g;
      const r = make();
      const q = names.make(`${name}_quantized`);
      const scale = names.make(`${name}_scale`);
      const zp = names.make(`${name}_zero_point`);
      owner.initializer = [...(owner.initializer ?? []),
        tensor(q, r.u8 ? DT.UINT8 : DT.INT8, r.dims, r.q) as onnx.TensorProto,
        tensor(scale, DT.FLOAT, r.scaleDims, Float32Array.from(r.scales)) as onnx.TensorProto,
        zeroPointTensor(zp, r.u8 ? 'uint8' : 'int8', r.zps, r.scaleDims)];
      const v = { q, scale, zp, perChannel: r.scales.length > 1 };
      cache.set(key, v);
      return v;
    };
    for (const n of g.node ?? []) {
      if (!chosen.has(n)) {
        out.push(n);
        continue;
      }
      const base = n.name || n.output?.[0] || n.opType || 'node';
      if (n.opType === 'LSTM') {
        const W = weight(n.input?.[1])!;
        const R = weight(n.input?.[2])!;
        const lstmWeight = (w: NonNullable<ReturnType<typeof weight>>) => () => {
          const [dir, rows, cols] = w.dims;
          // One scale per gate row ([dir, 4·hidden], ORT's per_channel layout), symmetric int8, then [dir, cols, rows].
          // Always per row: with one scale per direction (ORT's default) a gate whose large input and bias cancel
          // flips sign in Silero VAD's LSTM (a cell state of -1 becomes +1; state cosine 0.97 → 1.000 per row).
          const axisLen = dir * rows;
          const { q, params } = quantizeWeight(w.data, [axisLen, (dir * rows * cols) / axisLen], 0, 'int8', true, o.reduceRange);
          const t = new Int8Array(q.length);
          for (let d = 0; d < dir; d++) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[(d * cols + c) * rows + r] = q[(d * rows + r) * cols + c];
          return { dims: [dir, cols, rows], q: t, scales: params.map((p) => p.scale), zps: params.map((p) => p.zeroPoint), scaleDims: [dir, rows] };
        };
        const wq = qWeight(n.input![1], 'lstm', lstmWeight(W));
        const rq = qWeight(n.input![2], 'lstm', lstmWeight(R));
        const ins = [...(n.input ?? [])];
        const opt = (i: number) => ins[i] ?? '';
        out.push({ opType: 'DynamicQuantizeLSTM', domain: 'com.microsoft', name: names.make(`${base}_quant`), input: [opt(0), wq.q, rq.q, opt(3), opt(4), opt(5), opt(6), opt(7), wq.scale, wq.zp, rq.scale, rq.zp], output: [...(n.output ?? [])], attribute: (n.attribute ?? []).filter((a) => a.name !== 'layout') });
        usesMs = true;
      } else {
        const B = weight(n.input?.[1])!;
        const isConv = n.opType === 'Conv';
        const isGemm = n.opType === 'Gemm';
        const alpha = isGemm ? attrFloat(n, 'alpha', 1) : 1;
        let wv: { q: string; scale: string; zp: string; perChannel: boolean };
        let outDims: number[];
        if (isConv) {
          const M = B.dims[0];
          // ConvInteger takes uint8 activations (DynamicQuantizeLinear's output) and, in onnxruntime, uint8 weights with one zero point (per tensor).
          wv = qWeight(n.input![1], 'conv', () => {
            const { q, params } = quantizeWeight(B.data, B.dims, undefined, 'uint8', false, o.reduceRange);
            return { dims: B.dims, q, scales: params.map((p) => p.scale), zps: params.map((p) => p.zeroPoint), scaleDims: [], u8: true };
          });
          outDims = [M, ...B.dims.slice(2).map(() => 1)];
        } else {
          let [K, N] = B.dims;
          const transB = isGemm && attrInt(n, 'transB', 0) === 1;
          if (transB) [K, N] = [N, K];
          wv = qWeight(n.input![1], transB ? 'matmulT' : 'matmul', () => {
            const w = transB ? transpose2d(B.data, N, K) : B.data;
            const { q, params } = quantizeWeight(w, [K, N], o.perChannel ? 1 : undefined, 'int8', o.symmetricWeights, o.reduceRange);
            return { dims: [K, N], q, scales: params.map((p) => p.scale), zps: params.map((p) => p.zeroPoint), scaleDims: o.perChannel ? [N] : [] };
          });
          outDims = [N];
        }
        const aq = names.make(`${base}_A_quantized`);
        const as = names.make(`${base}_A_scale`);
        const az = names.make(`${base}_A_zero_point`);
        const mmOut = names.make(`${base}_${isConv ? 'ConvInteger' : 'MatMulInteger'}_output`);
        const castOut = names.make(`${base}_cast_output`);
        const scaleOut = names.make(`${base}_scale`);
        const final = n.output?.[0] ?? names.make(`${base}_out`);
        const hasBias = !!n.input?.[2];
        const y = hasBias ? names.make(`${base}_output_quantized`) : final;
        let wScale = wv.scale;
        if (alpha !== 1) {
          const al = names.make(`${base}_alpha`);
          g.initializer = [...(g.initializer ?? []), scalarFloat(al, alpha)];
          wScale = names.make(`${base}_W_scale_alpha`);
          out.push({ opType: 'Mul', name: names.make(`${base}_alpha_mul`), input: [wv.scale, al], output: [wScale] });
        }
        let scaleIn = scaleOut;
        out.push(
          { opType: 'DynamicQuantizeLinear', name: names.make(`${base}_DynamicQuantizeLinear`), input: [n.input?.[0] ?? ''], output: [aq, as, az] },
          isConv
            ? { opType: 'ConvInteger', name: names.make(`${base}_ConvInteger`), input: [aq, wv.q, az, wv.zp], output: [mmOut], attribute: [...(n.attribute ?? [])] }
            : { opType: 'MatMulInteger', name: names.make(`${base}_MatMulInteger`), input: [aq, wv.q, az, wv.zp], output: [mmOut] },
          { opType: 'Cast', name: names.make(`${base}_Cast`), input: [mmOut], output: [castOut], attribute: [{ name: 'to', type: 2, i: DT.FLOAT }] },
          { opType: 'Mul', name: names.make(`${base}_scales_mul`), input: [as, wScale], output: [scaleOut] },
        );
        if (isConv && wv.perChannel) {
          // Per-channel scales [M] broadcast over [N, M, spatial…] as [M, 1, …].
          const shape = names.make(`${base}_scale_shape`);
          g.initializer = [...(g.initializer ?? []), tensor(shape, DT.INT64, [outDims.length], BigInt64Array.from(outDims.map((d) => BigInt(d))))];
          scaleIn = names.make(`${base}_scale_reshaped`);
          out.push({ opType: 'Reshape', name: names.make(`${base}_scale_reshape`), input: [scaleOut, shape], output: [scaleIn] });
        }
        out.push({ opType: 'Mul', name: names.make(`${base}_output_mul`), input: [castOut, scaleIn], output: [y] });
        if (hasBias) {
          const beta = isGemm ? attrFloat(n, 'beta', 1) : 1;
          let bias = n.input![2];
          const c = weight(bias);
          if (isConv) {
            if (!c) throw new QuantizeError(`Conv ${base} has a bias that is not a constant: cannot quantize it dynamically`);
            bias = names.make(`${bias}_reshaped`);
            g.initializer = [...(g.initializer ?? []), tensor(bias, DT.FLOAT, outDims, c.data)];
          } else if (beta !== 1) {
            if (c) {
              bias = names.make(`${base}_bias_scaled`);
              g.initializer = [...(g.initializer ?? []), tensor(bias, DT.FLOAT, c.dims, c.data.map((v) => v * beta))];
            } else {
              const betaName = names.make(`${base}_beta`);
              g.initializer = [...(g.initializer ?? []), scalarFloat(betaName, beta)];
              const scaled = names.make(`${base}_bias_scaled`);
              out.push({ opType: 'Mul', name: names.make(`${base}_beta_mul`), input: [n.input![2], betaName], output: [scaled] });
              bias = scaled;
            }
          }
          out.push({ opType: 'Add', name: names.make(`${base}_bias_add`), input: [y, bias], output: [final] });
        }
      }
      stats.quantizedNodes.push(n.name ?? base);
      stats.byOpType[n.opType ?? ''] = (stats.byOpType[n.opType ?? ''] ?? 0) + 1;
    }
    g.node = out as onnx.NodeProto[];
    for (const n of g.node) for (const s of subgraphsOf(n)) visit(s.graph as Graph, scope, depth + 1);
  };
  visit(g0, new Map(), 0);
  if (usesMs) ensureOpset(model, 'com.microsoft', 1);
  removeUnusedInitializers(g0);
  return stats;
}

/* ------------------------------------------------------------------ */
/* Int4 weight-only: com.microsoft MatMulNBits                           */

export function rewriteInt4(model: onnx.ModelProto, o: RewriteOptions): RewriteStats {
  const g = model.graph as Graph;
  const inits = initializerMap(g);
  const names = new Names(g);
  const stats: RewriteStats = { quantizedNodes: [], byOpType: {}, skipped: [] };
  const isCandidate = (n: onnx.INodeProto) => {
    if (n.opType !== 'MatMul') return false;
    const b = inits.get(n.input?.[1] ?? '');
    return !!b && dimsOf(b).length === 2 && !!floatData(b);
  };
  const { chosen, skipped } = selectNodes(g, isCandidate, o);
  stats.skipped.push(...skipped);
  const out: onnx.INodeProto[] = [];
  for (const n of g.node ?? []) {
    if (!chosen.has(n)) { out.push(n); continue; }
    const b = inits.get(n.input?.[1] ?? '') as onnx.ITensorProto;
    const [K, N] = dimsOf(b);
    const r = quantizeNBits(floatData(b) as Float32Array, K, N, o.blockSize, o.int4Symmetric);
    const base = n.name || n.output?.[0] || 'matmul';
    const bq = names.make(`${base}_Q4`);
    const sc = names.make(`${base}_scales`);
    g.initializer.push(tensor(bq, DT.UINT8, [N, r.blocks, o.blockSize / 2], r.packed));
    g.initializer.push(tensor(sc, DT.FLOAT, [N * r.blocks], r.scales));
    const inputs = [n.input?.[0] ?? '', bq, sc];
    if (r.zeroPoints) {
      const zp = names.make(`${base}_zero_points`);
      g.initializer.push(tensor(zp, DT.UINT8, [r.zeroPoints.length], r.zeroPoints));
      inputs.push(zp);
    }
    out.push({
      opType: 'MatMulNBits', domain: 'com.microsoft', name: names.make(`${base}_Q4`), input: inputs, output: [...(n.output ?? [])],
      attribute: [{ name: 'K', type: 2, i: K }, { name: 'N', type: 2, i: N }, { name: 'bits', type: 2, i: 4 }, { name: 'block_size', type: 2, i: o.blockSize }],
    });
    stats.quantizedNodes.push(n.name ?? base);
    stats.byOpType.MatMul = (stats.byOpType.MatMul ?? 0) + 1;
  }
  g.node = out as onnx.NodeProto[];
  if (stats.quantizedNodes.length) ensureOpset(model, 'com.microsoft', 1);
  removeUnusedInitializers(g);
  return stats;
}

/* ------------------------------------------------------------------ */
/* Static int8, QDQ format                                               */

/** Which inputs of an op are quantized (others, like Reshape's shape, stay as they are). */
const QDQ_INPUTS: Record<string, number[] | 'all'> = {
  Conv: [0, 1], ConvTranspose: [0, 1], Gemm: [0, 1], MatMul: [0, 1], Add: [0, 1], Mul: [0, 1],
  Relu: [0], Clip: [0], Sigmoid: [0], LeakyRelu: [0], HardSwish: [0],
  MaxPool: [0], AveragePool: [0], GlobalAveragePool: [0], GlobalMaxPool: [0], Concat: 'all', Reshape: [0], Transpose: [0],
  Resize: [0], Softmax: [0], Squeeze: [0], Unsqueeze: [0], Flatten: [0], Split: [0], Gather: [0], Pad: [0], ReduceMean: [0],
  Where: [1, 2], InstanceNormalization: [0],
};
/**
 * Ops that get QDQ in static mode. Left float on purpose: LayerNormalization (its statistics collapse in int8),
 * ArgMax/TopK (they pick among near-equal logits), and Softmax unless `quantizeSoftmax` is set.
 */
export const STATIC_OPS = new Set(Object.keys(QDQ_INPUTS).filter((k) => k !== 'Softmax'));

/** Ops that read logits: the tensor feeding them keeps float precision (no QDQ on the producer's output). */
const LOGIT_READERS = new Set(['Softmax', 'LogSoftmax', 'Hardmax', 'ArgMax', 'ArgMin', 'TopK']);

/** Weight axis for per-channel quantization. */
function weightAxis(n: onnx.INodeProto, rank: number): number | undefined {
  switch (n.opType) {
    case 'Conv': return 0;
    case 'ConvTranspose': return 1;
    case 'Gemm': return attrInt(n, 'transB', 0) ? 0 : 1;
    case 'MatMul': return rank === 2 ? 1 : undefined;
    default: return undefined;
  }
}

export interface StaticPlan {
  /** Float activation tensors that get a QuantizeLinear/DequantizeLinear pair. */
  activations: string[];
  chosen: Set<onnx.INodeProto>;
  skipped: RewriteStats['skipped'];
  /** Activations with a range fixed by the op (Softmax's output: [0, 1]), not calibrated. */
  fixed: Map<string, QParams>;
  /** Outputs left float because they feed logit readers (Softmax, ArgMax…). */
  floatLogits: string[];
}

const FUSABLE_PRODUCERS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Mul']);

/**
 * A Relu (or Clip) right after a quantized Conv/MatMul/Add is removed, as ORT's QDQ quantizer does: the
 * producer's output takes the activation's name and range, whose zero point is the lowest code, so int8
 * saturation does the clipping and the int8 kernel fuses without a requantize in between.
 */
function removeFusableActivations(g: Graph, chosen: Set<onnx.INodeProto>, o: RewriteOptions): void {
  if (o.symmetricActivations) return;
  const uses = consumers(g);
  const graphOutputs = new Set((g.output ?? []).map((x) => x.name ?? ''));
  const producers = new Map<string, onnx.INodeProto>();
  for (const n of g.node ?? []) for (const out of n.output ?? []) producers.set(out, n);
  const removed = new Set<onnx.INodeProto>();
  for (const n of g.node ?? []) {
    if (!chosen.has(n) || (n.opType !== 'Relu' && n.opType !== 'Clip')) continue;
    const t = n.input?.[0];
    const p = t ? producers.get(t) : undefined;
    if (!t || !p || !chosen.has(p) || !FUSABLE_PRODUCERS.has(p.opType ?? '') || graphOutputs.has(t) || (uses.get(t)?.length ?? 0) !== 1) continue;
    // Only Q/DQ consumers see the clipping that int8 saturation does: every reader of the activation's output
    // must be a quantized node reading it as an input (not a float op, a graph output or a subgraph).
    const y = n.output?.[0] ?? '';
    if (graphOutputs.has(y) || (uses.get(y) ?? []).some((u) => !chosen.has(u) || !(u.input ?? []).includes(y) || subgraphsOf(u).length > 0)) continue;
    if (n.opType === 'Clip') {
      const min = (n.attribute ?? []).find((a) => a.name === 'min')?.f ?? 0;
      const minInput = n.input?.[1] ? initializerMap(g).get(n.input[1]) : undefined;
      const minValue = minInput ? floatData(minInput)?.[0] : min;
      if (minValue === undefined || minValue < 0) continue;
    }
    p.output = (p.output ?? []).map((x) => (x === t ? (n.output?.[0] ?? x) : x));
    removed.add(n);
    chosen.delete(n);
  }
  if (removed.size) g.node = (g.node ?? []).filter((n) => !removed.has(n)) as onnx.NodeProto[];
}

/**
 * LayerNormalization as exporters write it without the fused op (PyTorch before opset 17, Paddle):
 * m = ReduceMean(x); d = x − m; v = ReduceMean(d²) (Pow or Mul); y = d / Sqrt(v + ε) [· γ + β]. The nodes from
 * the first ReduceMean to the affine Mul/Add after the Div; int8 on them loses the normalisation's precision.
 */
export function decomposedLayerNorms(g: Graph): Set<onnx.INodeProto> {
  const uses = consumers(g);
  const inits = initializerMap(g);
  const out = new Set<onnx.INodeProto>();
  const only = (t: string | undefined, op: string) => (t ? (uses.get(t) ?? []).filter((u) => u.opType === op) : []);
  for (const r1 of g.node ?? []) {
    if (r1.opType !== 'ReduceMean' || r1.domain) continue;
    const x = r1.input?.[0];
    const sub = only(r1.output?.[0], 'Sub').find((s) => s.input?.[0] === x);
    if (!sub) continue;
    const d = sub.output?.[0];
    const sq = [...only(d, 'Pow'), ...only(d, 'Mul').filter((m) => m.input?.[0] === d && m.input?.[1] === d)][0];
    const r2 = sq ? only(sq.output?.[0], 'ReduceMean')[0] : undefined;
    const add = r2 ? only(r2.output?.[0], 'Add')[0] : undefined;
    const sqrt = add ? only(add.output?.[0], 'Sqrt')[0] : undefined;
    const div = sqrt ? only(sqrt.output?.[0], 'Div').find((v) => v.input?.[0] === d) : undefined;
    if (!sq || !r2 || !add || !sqrt || !div) continue;
    const chain = [r1, sub, sq, r2, add, sqrt, div];
    const mul = only(div.output?.[0], 'Mul').find((m) => (m.input ?? []).some((i) => inits.has(i)));
    if (mul) {
      chain.push(mul);
      const beta = only(mul.output?.[0], 'Add').find((m) => (m.input ?? []).some((i) => inits.has(i)));
      if (beta) chain.push(beta);
    }
    for (const n of chain) out.add(n);
  }
  return out;
}

/** Which activation tensors a static quantization needs ranges for. */
export function planStatic(model: onnx.ModelProto, o: RewriteOptions, floatTensors: Set<string>): StaticPlan {
  const g = model.graph as Graph;
  const inits = initializerMap(g);
  const { chosen, skipped } = selectNodes(g, (n) => !n.domain && (STATIC_OPS.has(n.opType ?? '') || (!!o.quantizeSoftmax && n.opType === 'Softmax')), o);
  for (const n of decomposedLayerNorms(g)) {
    if (chosen.delete(n)) skipped.push({ node: n.name ?? '', reason: 'part of a LayerNormalization written as primitive ops: kept float (its statistics collapse in int8)' });
  }
  // The last layer before Softmax/ArgMax (the classifier): kept float, as the issue's MLP showed (its int8
  // rounding flips near-tied classes). Walks back through shape ops and a bias Add to the Gemm/MatMul/Conv.
  if (!o.quantizeSoftmax) {
    const producer = new Map<string, onnx.INodeProto>();
    for (const n of g.node ?? []) for (const out of n.output ?? []) producer.set(out, n);
    const pass = new Set(['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity']);
    for (const u of g.node ?? []) {
      if (!LOGIT_READERS.has(u.opType ?? '') || chosen.has(u)) continue;
      let p = producer.get(u.input?.[0] ?? '');
      for (let k = 0; p && k < 4 && (pass.has(p.opType ?? '') || (p.opType === 'Add' && (p.input ?? []).some((i) => inits.has(i)))); k++) {
        if (p.opType === 'Add' && chosen.delete(p)) skipped.push({ node: p.name ?? '', reason: `bias of the last layer before ${u.opType}: kept float` });
        p = producer.get((p.input ?? []).find((i) => !inits.has(i)) ?? '');
      }
      if (p && ['Gemm', 'MatMul', 'Conv', 'ConvTranspose'].includes(p.opType ?? '') && chosen.delete(p)) {
        skipped.push({ node: p.name ?? '', reason: `last layer before ${u.opType}: kept float (int8 rounding there flips close classes)` });
      }
    }
  }
  removeFusableActivations(g, chosen, o);
  const uses = consumers(g);
  const acts = new Set<string>();
  const fixed = new Map<string, QParams>();
  const floatLogits: string[] = [];
  for (const n of chosen) {
    const which = QDQ_INPUTS[n.opType ?? ''];
    const idx = which === 'all' ? (n.input ?? []).map((_, i) => i) : which;
    for (const i of idx) {
      const name = n.input?.[i];
      if (name && !inits.has(name) && floatTensors.has(name)) acts.add(name);
    }
    const outs = n.opType === 'Split' ? n.output ?? [] : [n.output?.[0] ?? ''];
    for (const out of outs) {
      if (!out || !floatTensors.has(out)) continue;
      if ((uses.get(out) ?? []).some((u) => LOGIT_READERS.has(u.opType ?? '') && !chosen.has(u))) {
        floatLogits.push(out);
        continue;
      }
      acts.add(out);
      if (n.opType === 'Softmax') {
        // ORT's fixed Softmax output range: [0, 1] at scale 1/256, whatever calibration saw.
        const int8 = o.activationType === 'int8';
        fixed.set(out, { scale: 1 / 256, zeroPoint: int8 ? -128 : 0, qmin: int8 ? -128 : 0, qmax: int8 ? 127 : 255 });
      }
    }
  }
  return { activations: [...acts], chosen, skipped, fixed, floatLogits };
}

/** Ops that move or pick values without computing new ones: an int8 grid passes through them unchanged. */
const VALUE_PRESERVING = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'MaxPool', 'GlobalMaxPool', 'Slice', 'Gather', 'Concat', 'Split', 'Expand', 'Tile', 'DepthToSpace', 'SpaceToDepth', 'ReduceMax', 'ReduceMin']);

/**
 * Tensors whose values reach an Equal through ops that only move or pick values: the peak test of keypoint and
 * line detectors (Equal(x, MaxPool(x)) in CenterNet-style heads, M-LSD's score map) compares one tensor with
 * itself after pooling. Every dequantized copy of such a tensor must sit on the same int8 grid (the very same
 * scale), or no element compares equal and the output collapses.
 */
export function exactlyCompared(g: Graph): Set<string> {
  const producer = new Map<string, onnx.INodeProto>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const out = new Set<string>();
  const visit = (t: string): void => {
    if (!t || out.has(t)) return;
    out.add(t);
    const p = producer.get(t);
    if (p && VALUE_PRESERVING.has(p.opType ?? '') && (!p.domain || p.domain === 'ai.onnx')) visit(p.input?.[0] ?? '');
    if (p?.opType === 'Concat') for (const i of p.input ?? []) visit(i);
  };
  for (const n of g.node ?? []) if (n.opType === 'Equal' && (!n.domain || n.domain === 'ai.onnx')) for (const i of n.input ?? []) visit(i);
  return out;
}

/** Inserts QDQ pairs and quantized weights and biases, given calibrated ranges for the activations. */
export function rewriteStatic(model: onnx.ModelProto, o: RewriteOptions, plan: StaticPlan, ranges: Map<string, [number, number]>): RewriteStats & { activationParams: Record<string, { scale: number; zeroPoint: number }> } {
  const g = model.graph as Graph;
  const inits = initializerMap(g);
  const names = new Names(g);
  const opset = defaultOpset(model);
  // QuantizeLinear/DequantizeLinear: ai.onnx from opset 10 (axis from 13); below that, com.microsoft's, as ORT's tool does.
  const domain = opset >= 13 || (opset >= 10 && !o.perChannel) ? '' : 'com.microsoft';
  if (domain) ensureOpset(model, 'com.microsoft', 1);
  const stats = { quantizedNodes: [] as string[], byOpType: {} as Record<string, number>, skipped: [...plan.skipped], activationParams: {} as Record<string, { scale: number; zeroPoint: number }> };
  const graphOutputs = new Set((g.output ?? []).map((x) => x.name ?? ''));
  const newNodes = new Map<onnx.INodeProto, onnx.INodeProto[]>(); // nodes inserted right after a producer
  const producers = new Map<string, onnx.INodeProto>();
  for (const n of g.node ?? []) for (const out of n.output ?? []) producers.set(out, n);
  const head: onnx.INodeProto[] = [];

  // One Q→DQ pair per quantized consumer (ORT's "dedicated QDQ pair"): a Q shared by several DQs is not
  // converted by onnxruntime's S8→U8 pass on x86, and the int8 kernel then falls back to float.
  const chosenUsers = new Map<string, onnx.INodeProto[]>();
  for (const n of plan.chosen) for (const i of new Set(n.input ?? [])) if (i) chosenUsers.set(i, [...(chosenUsers.get(i) ?? []), n]);
  const renameFor = new Map<onnx.INodeProto, Map<string, string>>();
  const exact = exactlyCompared(g);
  for (const t of plan.activations) {
    const r = ranges.get(t);
    const fixedP = plan.fixed?.get(t);
    if (!r && !fixedP) { stats.skipped.push({ node: t, reason: 'no calibration range' }); continue; }
    const p = fixedP ?? computeQParams(r![0], r![1], o.activationType, o.symmetricActivations, o.reduceRange);
    stats.activationParams[t] = { scale: p.scale, zeroPoint: p.zeroPoint };
    const sName = names.make(`${t}_scale`);
    const zName = names.make(`${t}_zero_point`);
    g.initializer.push(scalarFloat(sName, p.scale));
    g.initializer.push(zeroPointTensor(zName, o.activationType, [p.zeroPoint], []));
    const isOut = graphOutputs.has(t);
    const producer = producers.get(t);
    let source = t;
    if (isOut && producer) {
      // Keep the graph output's name on the dequantized tensor, as ORT's tool does.
      source = names.make(`${t}_pre_quant`);
      producer.output = (producer.output ?? []).map((x) => (x === t ? source : x));
    }
    let copies = 0;
    const pair = (dqName: string, suffix: string) => {
      const qOut = names.make(`${t}_quantized${suffix}`);
      // Each extra pair gets a scale one float32 ulp apart, so onnxruntime's common-subexpression and
      // constant-sharing passes cannot merge the pairs back into one shared Q (see above).
      let sn = sName;
      // Not for a tensor compared exactly downstream: its copies must share the grid (exactlyCompared).
      if (copies++ > 0 && o.activationType === 'int8' && !exact.has(t)) {
        sn = names.make(`${t}_scale${suffix}`);
        g.initializer.push(scalarFloat(sn, nextFloat32(p.scale, copies - 1)));
      }
      const q = { opType: 'QuantizeLinear', domain, name: names.make(`${t}_QuantizeLinear${suffix}`), input: [source, sn, zName], output: [qOut] };
      const dq = { opType: 'DequantizeLinear', domain, name: names.make(`${t}_DequantizeLinear${suffix}`), input: [qOut, sn, zName], output: [dqName] };
      if (producer) newNodes.set(producer, [...(newNodes.get(producer) ?? []), q, dq]);
      else head.push(q, dq);
    };
    if (isOut && producer) pair(t, '');
    const users = chosenUsers.get(t) ?? [];
    users.forEach((u, k) => {
      if (isOut && producer && k === 0 && users.length === 1) {
        // The output pair already feeds the single consumer (its DQ keeps the name t).
        return;
      }
      const dqOut = names.make(`${t}_dequantized${users.length > 1 ? `_${k}` : ''}`);
      pair(dqOut, users.length > 1 ? `_${k}` : '_c');
      const m = renameFor.get(u) ?? new Map<string, string>();
      m.set(t, dqOut);
      renameFor.set(u, m);
    });
    // A float consumer on the way to an Equal (the Equal itself, or a Reshape left in float) must read the same
    // dequantized values as its quantized siblings: comparing float x with MaxPool(DQ(Q(x))) never matches.
    if (exact.has(t) && !(isOut && producer)) {
      const floatReaders = (g.node ?? []).filter((u) => !plan.chosen.has(u) && (u.input ?? []).includes(t) && (u.opType === 'Equal' || (u.output ?? []).some((x) => exact.has(x))));
      if (floatReaders.length) {
        const dqOut = names.make(`${t}_dequantized_exact`);
        pair(dqOut, '_exact');
        for (const u of floatReaders) u.input = (u.input ?? []).map((x) => (x === t ? dqOut : x));
      }
    }
  }

  // Weights and biases of the chosen nodes.
  const weightParams = new Map<string, QParams[]>();
  const weightDq = new Map<string, string>();
  const weightNode = (n: onnx.INodeProto, i: number): string | undefined => {
    const name = n.input?.[i];
    const w = name ? inits.get(name) : undefined;
    const data = w ? floatData(w) : undefined;
    if (!name || !w || !data) return undefined;
    const key = `${name}@${n.opType}`;
    const done = weightDq.get(key);
    if (done) return done;
    const dims = dimsOf(w);
    const isMainWeight = i === 1 && ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'].includes(n.opType ?? '');
    const axis = isMainWeight && o.perChannel ? weightAxis(n, dims.length) : undefined;
    const { q, params } = quantizeWeight(data, dims, axis, 'int8', o.symmetricWeights, o.reduceRange);
    const qn = names.make(`${name}_quantized`);
    const sn = names.make(`${name}_scale`);
    const zn = names.make(`${name}_zero_point`);
    g.initializer.push(tensor(qn, DT.INT8, dims, q));
    const perCh = axis !== undefined;
    g.initializer.push(perCh ? tensor(sn, DT.FLOAT, [params.length], Float32Array.from(params.map((p) => p.scale))) : scalarFloat(sn, params[0].scale));
    g.initializer.push(zeroPointTensor(zn, 'int8', params.map((p) => p.zeroPoint), perCh ? [params.length] : []));
    const dqOut = names.make(`${name}_DequantizeLinear_Output`);
    head.push({ opType: 'DequantizeLinear', domain, name: names.make(`${name}_DequantizeLinear`), input: [qn, sn, zn], output: [dqOut], attribute: perCh ? [{ name: 'axis', type: 2, i: axis }] : [] });
    weightParams.set(dqOut, params);
    weightDq.set(key, dqOut);
    return dqOut;
  };
  const biasNode = (n: onnx.INodeProto, inputScale: number | undefined, wParams: QParams[] | undefined): string | undefined => {
    const name = n.input?.[2];
    const b = name ? inits.get(name) : undefined;
    const data = b ? floatData(b) : undefined;
    if (!name || !b || !data || inputScale === undefined || !wParams || dimsOf(b).length !== 1) return undefined;
    const C = data.length;
    const perChannel = wParams.length > 1;
    const scales = Float32Array.from({ length: C }, (_, c) => Math.fround(inputScale * (perChannel ? wParams[c].scale : wParams[0].scale)));
    const q = Int32Array.from(data, (v, c) => (scales[c] !== 0 ? Math.max(-2147483648, Math.min(2147483647, roundHalfEven(v / scales[c]))) : 0));
    const qn = names.make(`${name}_quantized`);
    const sn = names.make(`${name}_quantized_scale`);
    const zn = names.make(`${name}_quantized_zero_point`);
    g.initializer.push(tensor(qn, DT.INT32, [C], q));
    // Per-tensor weights give one bias scale: no axis, so opset 10-12 models keep ai.onnx's DequantizeLinear.
    g.initializer.push(perChannel ? tensor(sn, DT.FLOAT, [C], scales) : scalarFloat(sn, scales[0]));
    g.initializer.push(perChannel ? tensor(zn, DT.INT32, [C], new Int32Array(C)) : tensor(zn, DT.INT32, [], new Int32Array(1)));
    const dqOut = names.make(`${name}_DequantizeLinear_Output`);
    head.push({ opType: 'DequantizeLinear', domain, name: names.make(`${name}_DequantizeLinear`), input: [qn, sn, zn], output: [dqOut], attribute: perChannel ? [{ name: 'axis', type: 2, i: 0 }] : [] });
    return dqOut;
  };

  for (const n of plan.chosen) {
    const which = QDQ_INPUTS[n.opType ?? ''];
    const idx = which === 'all' ? (n.input ?? []).map((_, i) => i) : which;
    const inputs = [...(n.input ?? [])];
    let wParams: QParams[] | undefined;
    for (const i of idx) {
      const name = inputs[i];
      if (!name) continue;
      if (inits.has(name)) {
        const dq = weightNode(n, i);
        if (dq) { inputs[i] = dq; if (i === 1) wParams = weightParams.get(dq); }
      } else if (renameFor.get(n)?.has(name)) {
        inputs[i] = renameFor.get(n)?.get(name) as string;
      }
    }
    if (['Conv', 'ConvTranspose', 'Gemm'].includes(n.opType ?? '')) {
      const inScale = stats.activationParams[n.input?.[0] ?? '']?.scale;
      const bq = biasNode(n, inScale, wParams);
      if (bq) inputs[2] = bq;
    }
    n.input = inputs;
    stats.quantizedNodes.push(n.name ?? n.output?.[0] ?? '');
    stats.byOpType[n.opType ?? ''] = (stats.byOpType[n.opType ?? ''] ?? 0) + 1;
  }

  const ordered: onnx.INodeProto[] = [...head];
  for (const n of g.node ?? []) {
    ordered.push(n);
    ordered.push(...(newNodes.get(n) ?? []));
  }
  g.node = ordered as onnx.NodeProto[];
  removeUnusedInitializers(g);
  if (!stats.quantizedNodes.length) throw new QuantizeError('nothing was quantized');
  return stats;
}
