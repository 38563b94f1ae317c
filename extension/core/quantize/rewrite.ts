import { onnx } from 'onnx-proto';
import { toNumber } from '../onnx/model';
import { computeQParams, minMax, quantizeNBits, quantizeValue, roundHalfEven, type QParams, type QType } from './numerics';
import { DT, Names, QuantizeError, attrFloat, attrInt, dimsOf, floatData, scalarFloat, tensor, transpose2d, zeroPointTensor } from './tensors';

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

function consumers(g: Graph): Map<string, onnx.INodeProto[]> {
  const m = new Map<string, onnx.INodeProto[]>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) if (i) m.set(i, [...(m.get(i) ?? []), n]);
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

function removeUnusedInitializers(g: Graph): void {
  const used = new Set<string>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) used.add(i);
  for (const o of g.output ?? []) used.add(o.name ?? '');
  const wasInitializer = new Set((g.initializer ?? []).map((t) => t.name));
  g.initializer = (g.initializer ?? []).filter((t) => used.has(t.name ?? '')) as onnx.TensorProto[];
  // Old models list initializers among the inputs: a replaced weight must not turn into a required input.
  g.input = (g.input ?? []).filter((i) => !wasInitializer.has(i.name) || used.has(i.name ?? '')) as onnx.ValueInfoProto[];
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

export function rewriteDynamic(model: onnx.ModelProto, o: RewriteOptions): RewriteStats {
  const g = model.graph as Graph;
  const inits = initializerMap(g);
  const names = new Names(g);
  const stats: RewriteStats = { quantizedNodes: [], byOpType: {}, skipped: [] };
  const isCandidate = (n: onnx.INodeProto) => {
    if (n.opType !== 'MatMul' && n.opType !== 'Gemm') return false;
    const b = inits.get(n.input?.[1] ?? '');
    return !!b && dimsOf(b).length === 2 && !!floatData(b) && (n.opType !== 'Gemm' || attrInt(n, 'transA', 0) === 0);
  };
  const { chosen, skipped } = selectNodes(g, isCandidate, o);
  stats.skipped.push(...skipped);
  const out: onnx.INodeProto[] = [];
  for (const n of g.node ?? []) {
    if (!chosen.has(n)) { out.push(n); continue; }
    const b = inits.get(n.input?.[1] ?? '') as onnx.ITensorProto;
    let [K, N] = dimsOf(b);
    let w = floatData(b) as Float32Array;
    const isGemm = n.opType === 'Gemm';
    if (isGemm && attrInt(n, 'transB', 0)) { w = transpose2d(w, K, N); [K, N] = [N, K]; }
    const alpha = isGemm ? attrFloat(n, 'alpha', 1) : 1;
    const base = n.name || n.output?.[0] || 'matmul';
    const { q, params } = quantizeWeight(w, [K, N], o.perChannel ? 1 : undefined, 'int8', o.symmetricWeights, o.reduceRange);
    const wq = names.make(`${base}_W_quantized`);
    const wzp = names.make(`${base}_W_zero_point`);
    const wscale = names.make(`${base}_W_scale`);
    g.initializer.push(tensor(wq, DT.INT8, [K, N], q));
    g.initializer.push(zeroPointTensor(wzp, 'int8', params.map((p) => p.zeroPoint), o.perChannel ? [N] : []));
    g.initializer.push(o.perChannel ? tensor(wscale, DT.FLOAT, [N], Float32Array.from(params.map((p) => Math.fround(p.scale * alpha)))) : scalarFloat(wscale, Math.fround(params[0].scale * alpha)));
    const aq = names.make(`${base}_A_quantized`);
    const as = names.make(`${base}_A_scale`);
    const az = names.make(`${base}_A_zero_point`);
    const mmOut = names.make(`${base}_MatMulInteger_output`);
    const castOut = names.make(`${base}_cast_output`);
    const scaleOut = names.make(`${base}_scale`);
    const y = names.make(`${base}_output_quantized`);
    const final = n.output?.[0] ?? names.make(`${base}_out`);
    out.push(
      { opType: 'DynamicQuantizeLinear', name: names.make(`${base}_DynamicQuantizeLinear`), input: [n.input?.[0] ?? ''], output: [aq, as, az] },
      { opType: 'MatMulInteger', name: names.make(`${base}_MatMulInteger`), input: [aq, wq, az, wzp], output: [mmOut] },
      { opType: 'Cast', name: names.make(`${base}_Cast`), input: [mmOut], output: [castOut], attribute: [{ name: 'to', type: 2, i: DT.FLOAT }] },
      { opType: 'Mul', name: names.make(`${base}_scales_mul`), input: [as, wscale], output: [scaleOut] },
      { opType: 'Mul', name: names.make(`${base}_output_mul`), input: [castOut, scaleOut], output: [isGemm && n.input?.[2] ? y : final] },
    );
    if (isGemm && n.input?.[2]) {
      const beta = attrFloat(n, 'beta', 1);
      let bias = n.input[2];
      if (beta !== 1) {
        const c = inits.get(bias);
        const cd = c ? floatData(c) : undefined;
        if (c && cd) {
          bias = names.make(`${base}_bias_scaled`);
          g.initializer.push(tensor(bias, DT.FLOAT, dimsOf(c), cd.map((v) => v * beta)));
        } else {
          const betaName = names.make(`${base}_beta`);
          g.initializer.push(scalarFloat(betaName, beta));
          const scaled = names.make(`${base}_bias_scaled`);
          out.push({ opType: 'Mul', name: names.make(`${base}_beta_mul`), input: [n.input[2], betaName], output: [scaled] });
          bias = scaled;
        }
      }
      out.push({ opType: 'Add', name: names.make(`${base}_bias_add`), input: [y, bias], output: [final] });
    }
    stats.quantizedNodes.push(n.name ?? final);
    stats.byOpType[n.opType ?? ''] = (stats.byOpType[n.opType ?? ''] ?? 0) + 1;
  }
  g.node = out as onnx.NodeProto[];
  removeUnusedInitializers(g);
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
  ArgMax: [0], Where: [1, 2], InstanceNormalization: [0], LayerNormalization: [0],
};
export const STATIC_OPS = new Set(Object.keys(QDQ_INPUTS));

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

/** Which activation tensors a static quantization needs ranges for. */
export function planStatic(model: onnx.ModelProto, o: RewriteOptions, floatTensors: Set<string>): StaticPlan {
  const g = model.graph as Graph;
  const inits = initializerMap(g);
  const { chosen, skipped } = selectNodes(g, (n) => !n.domain && STATIC_OPS.has(n.opType ?? ''), o);
  removeFusableActivations(g, chosen, o);
  const acts = new Set<string>();
  for (const n of chosen) {
    const which = QDQ_INPUTS[n.opType ?? ''];
    const idx = which === 'all' ? (n.input ?? []).map((_, i) => i) : which;
    for (const i of idx) {
      const name = n.input?.[i];
      if (name && !inits.has(name) && floatTensors.has(name)) acts.add(name);
    }
    const outs = n.opType === 'Split' ? n.output ?? [] : [n.output?.[0] ?? ''];
    for (const out of outs) if (out && floatTensors.has(out)) acts.add(out);
  }
  return { activations: [...acts], chosen, skipped };
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
  for (const t of plan.activations) {
    const r = ranges.get(t);
    if (!r) { stats.skipped.push({ node: t, reason: 'no calibration range' }); continue; }
    const p = computeQParams(r[0], r[1], o.activationType, o.symmetricActivations, o.reduceRange);
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
      if (copies++ > 0 && o.activationType === 'int8') {
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
