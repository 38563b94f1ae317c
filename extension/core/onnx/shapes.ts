import { onnx, toNumber, type GraphProto, type NodeProto, type TensorProto } from './model';

/** A dimension: a number when known, the symbolic name (dim_param) when named, null when unknown. */
export type Dim = number | string | null;

export interface TensorInfo {
  elemType: number;
  /** undefined when even the rank is unknown. */
  shape?: Dim[];
  /** Small int64/int32 values known statically (shape computations: Shape → Gather → Concat → Reshape). */
  value?: number[];
}

const MAX_FOLD = 64;

export function tensorShape(t: TensorProto): Dim[] {
  return (t.dims ?? []).map((d) => toNumber(d));
}

/** Reads the integer content of a small int64/int32 tensor (for Reshape shapes, axes, pads…). */
export function intValues(t: TensorProto): number[] | undefined {
  const count = (t.dims ?? []).reduce((a: number, d) => a * toNumber(d), 1);
  if (count > MAX_FOLD) return undefined;
  if (t.dataType === onnx.TensorProto.DataType.INT64) {
    if (t.int64Data?.length) return t.int64Data.map((v) => toNumber(v));
    if (t.rawData?.length) {
      const raw = t.rawData;
      if (raw.length !== count * 8) return undefined;
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      return Array.from({ length: count }, (_, i) => Number(dv.getBigInt64(i * 8, true)));
    }
    return count === 0 ? [] : undefined;
  }
  if (t.dataType === onnx.TensorProto.DataType.INT32) {
    if (t.int32Data?.length) return [...t.int32Data];
    if (t.rawData?.length === count * 4) {
      const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return Array.from({ length: count }, (_, i) => dv.getInt32(i * 4, true));
    }
  }
  if (t.dataType === onnx.TensorProto.DataType.FLOAT && count <= MAX_FOLD) {
    if (t.floatData?.length) return [...t.floatData];
    if (t.rawData?.length === count * 4) {
      const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      return Array.from({ length: count }, (_, i) => dv.getFloat32(i * 4, true));
    }
  }
  return undefined;
}

export function valueInfoToTensor(v: onnx.IValueInfoProto): TensorInfo | undefined {
  const tt = v.type?.tensorType;
  if (!tt) return undefined;
  const shape = tt.shape ? (tt.shape.dim ?? []).map((d): Dim => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : null)) : undefined;
  return { elemType: tt.elemType ?? 0, shape };
}

function attr(node: NodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}
function attrInt(node: NodeProto, name: string, dflt: number): number {
  const a = attr(node, name);
  return a && a.i !== undefined && a.i !== null ? toNumber(a.i) : dflt;
}
function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a?.ints?.length ? a.ints.map((v) => toNumber(v)) : undefined;
}
function attrStr(node: NodeProto, name: string): string | undefined {
  const a = attr(node, name);
  return a?.s?.length ? Buffer.from(a.s).toString('utf8') : undefined;
}

const isNum = (d: Dim): d is number => typeof d === 'number';
const prod = (ds: Dim[]): number | null => (ds.every(isNum) ? (ds as number[]).reduce((a, b) => a * b, 1) : null);

/** Row-major strides of a known shape. */
function strides(shape: number[]): number[] {
  const st = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

/**
 * The elements of a small constant tensor (flat, row-major, of `shape`) picked by one index list per axis: what
 * Slice and Transpose do to the shape computations exporters emit (PyTorch's F.pad builds its pads as a 2-D
 * tensor, slices it backwards and transposes it).
 */
function pick(value: number[], shape: number[], index: (out: number[]) => number[], outShape: number[]): number[] | undefined {
  const total = outShape.reduce((a, b) => a * b, 1);
  if (total > MAX_FOLD || value.length !== shape.reduce((a, b) => a * b, 1)) return undefined;
  const st = strides(shape);
  const ost = strides(outShape);
  return Array.from({ length: total }, (_, k) => {
    const coords = outShape.map((_, a) => Math.floor(k / ost[a]) % outShape[a]);
    return value[index(coords).reduce((acc, c, a) => acc + c * st[a], 0)];
  });
}

function broadcast(shapes: Array<Dim[] | undefined>): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const ss = shapes as Dim[][];
  const rank = Math.max(...ss.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    // A missing leading dim broadcasts as 1; an unknown one (null) is not 1: it stays unknown unless another
    // operand fixes the size (a valid model's dim is then that size or 1, and the output takes the size).
    const ds = ss.map((s) => (i < rank - s.length ? 1 : s[s.length - rank + i]));
    const notOne = ds.filter((d) => d !== 1);
    const sizes = notOne.filter(isNum);
    if (!notOne.length) out.push(1);
    else if (sizes.length) out.push(sizes.every((d) => d === sizes[0]) ? sizes[0] : null);
    else if (notOne.every((d) => d === notOne[0])) out.push(notOne[0]);
    else out.push(null);
  }
  return out;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Output spatial size of a conv/pool window. */
function windowOut(inp: Dim, k: number, stride: number, dil: number, padBegin: number, padEnd: number, autoPad: string, ceil: boolean): Dim {
  if (!isNum(inp)) return null;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(inp / stride);
  if (autoPad === 'VALID') return Math.floor((inp - ((k - 1) * dil + 1)) / stride) + 1;
  const v = (inp + padBegin + padEnd - ((k - 1) * dil + 1)) / stride;
  return (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
}

const UNARY = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Clip', 'Erf', 'Exp', 'Log', 'Sqrt', 'Neg', 'Abs', 'Softplus', 'Softsign',
  'Gelu', 'Identity', 'Dropout', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'Softmax', 'LogSoftmax', 'Not', 'Reciprocal', 'Floor',
  'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'SkipLayerNormalization', 'SimplifiedLayerNormalization', 'SkipSimplifiedLayerNormalization', 'FastGelu', 'BiasGelu',
  'QuickGelu', 'LRN', 'Mish', 'ThresholdedRelu', 'Celu', 'Hardmax', 'IsNaN', 'IsInf', 'CumSum', 'QuantizeLinear', 'DequantizeLinear', 'Cast', 'CastLike',
  'DynamicQuantizeLinear', 'BiasAdd', 'Shrink', 'MeanVarianceNormalization', 'GroupNorm', 'GroupNormalization', 'RotaryEmbedding',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mean', 'Sum', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Where', 'PRelu', 'Mod', 'BitShift', 'QLinearAdd', 'QLinearMul']);
const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);

/**
 * Static shape inference through the common ops (and small constant folding for shape arithmetic).
 * Declared value_info wins; what cannot be inferred stays unknown. Never throws on odd graphs.
 */
export class ShapeInference {
  readonly info = new Map<string, TensorInfo>();

  /** `dims` gives values to symbolic dimensions (batch=1, sequence=128…). */
  constructor(private readonly opset: number, private readonly dims: Record<string, number> = {}) {}

  get(name: string | undefined | null): TensorInfo | undefined {
    return name ? this.info.get(name) : undefined;
  }

  seed(graph: GraphProto): void {
    for (const t of graph.initializer ?? []) {
      if (!t.name) continue;
      this.info.set(t.name, { elemType: t.dataType ?? 0, shape: tensorShape(t), value: intValues(t) });
    }
    for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
      if (!v.name || this.info.get(v.name)?.value) continue;
      const t = valueInfoToTensor(v);
      if (t?.shape) t.shape = t.shape.map((d) => (typeof d === 'string' && this.dims[d] !== undefined ? this.dims[d] : d));
      if (t && (t.shape || !this.info.has(v.name))) this.info.set(v.name, { ...this.info.get(v.name), ...t });
    }
  }

  run(graph: GraphProto): void {
    this.seed(graph);
    for (const node of topologicalOrder(graph.node ?? [])) {
      try {
        this.infer(node);
      } catch (e) {
        if (process.env.MOBILEAI_DEBUG_SHAPES) console.error(node.opType, node.name, e);
        /* an odd node leaves its outputs unknown */
      }
    }
  }

  private set(name: string | undefined | null, t: TensorInfo): void {
    if (!name) return;
    const prev = this.info.get(name);
    // Declared shapes (value_info) are kept when inference knows less.
    if (prev?.shape && (!t.shape || (prev.shape.every((d) => d !== null) && t.shape.some((d) => d === null)))) {
      this.info.set(name, { ...prev, value: prev.value ?? t.value, elemType: prev.elemType || t.elemType });
      return;
    }
    this.info.set(name, t);
  }

  private infer(node: NodeProto): void {
    const op = node.opType ?? '';
    const ins = (node.input ?? []).map((n) => (n ? this.info.get(n) : undefined));
    const out0 = node.output?.[0];
    const x = ins[0];
    const et = x?.elemType ?? 0;

    if ((op === 'LSTM' || op === 'GRU' || op === 'RNN') && x?.shape?.length === 3) {
      // X [seq, batch, input] (layout 0) → Y [seq, dirs, batch, hidden], Y_h and Y_c [dirs, batch, hidden].
      const hidden = attrInt(node, 'hidden_size', 0);
      const dirAttr = attr(node, 'direction');
      const dirs = dirAttr?.s && Buffer.from(dirAttr.s).toString() === 'bidirectional' ? 2 : 1;
      const layout = attrInt(node, 'layout', 0);
      if (hidden > 0) {
        const [a, b] = x.shape;
        const [seq, batch] = layout === 0 ? [a, b] : [b, a];
        const outs = node.output ?? [];
        this.set(outs[0], { elemType: et, shape: layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden] });
        for (const o of outs.slice(1)) this.set(o, { elemType: et, shape: layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden] });
      }
      return;
    }
    if (op === 'If') {
      // An If's outputs are its branch's outputs: infer the branch with this graph's values as outer scope
      // (the then branch when it is fully known, else the other one).
      const known = (t: TensorInfo | undefined) => !!t?.shape && t.shape.every((d) => typeof d === 'number');
      let best: Array<TensorInfo | undefined> | undefined;
      // A condition known statically (PyTorch's exports test the input's rank: Size(Shape(x)) == 2) picks its
      // branch; otherwise the then branch when fully known, else the other one.
      const cond = x?.value?.length === 1 ? x.value[0] : undefined;
      const branches = cond === undefined ? ['then_branch', 'else_branch'] : [cond ? 'then_branch' : 'else_branch'];
      for (const name of branches) {
        const br = attr(node, name)?.g;
        if (!br) continue;
        const sub = new ShapeInference(this.opset, this.dims);
        for (const [k, v] of this.info) sub.info.set(k, v);
        sub.run(br);
        const outs = (br.output ?? []).map((o) => sub.get(o.name));
        if (!best || (outs.every(known) && !best.every(known))) best = outs;
      }
      (node.output ?? []).forEach((o, i) => { const t = best?.[i]; if (t) this.set(o, t); });
      return;
    }
    if (op === 'Constant') {
      const v = attr(node, 'value');
      if (v?.t) return this.set(out0, { elemType: v.t.dataType ?? 0, shape: tensorShape(v.t), value: intValues(v.t) });
      const vi = attr(node, 'value_int');
      if (vi) return this.set(out0, { elemType: 7, shape: [], value: [toNumber(vi.i)] });
      const vis = attr(node, 'value_ints');
      if (vis) return this.set(out0, { elemType: 7, shape: [vis.ints?.length ?? 0], value: (vis.ints ?? []).map((i) => toNumber(i)) });
      const vf = attr(node, 'value_float');
      if (vf) return this.set(out0, { elemType: 1, shape: [] });
      const vfs = attr(node, 'value_floats');
      if (vfs) return this.set(out0, { elemType: 1, shape: [vfs.floats?.length ?? 0] });
      return;
    }
    if (UNARY.has(op)) {
      let elemType = BOOL_OUT.has(op) ? 9 : et;
      if (op === 'Cast') elemType = attrInt(node, 'to', et);
      if (op === 'CastLike') elemType = ins[1]?.elemType ?? et;
      if (op === 'QuantizeLinear') elemType = ins[2]?.elemType ?? (attrInt(node, 'output_dtype', 0) || 2);
      if (op === 'DequantizeLinear') elemType = ins[1]?.elemType ?? 1;
      if (op === 'DynamicQuantizeLinear') {
        this.set(node.output?.[1], { elemType: 1, shape: [] });
        this.set(node.output?.[2], { elemType: 2, shape: [] });
        elemType = 2;
      }
      const value = op === 'Cast' || op === 'Identity' ? x?.value : op === 'Not' ? x?.value?.map((v) => (v ? 0 : 1)) : undefined;
      return this.set(out0, { elemType, shape: x?.shape, value });
    }
    if (BROADCAST.has(op)) {
      const operands = op === 'Where' ? ins.slice(0, 3) : op.startsWith('QLinear') ? [ins[0], ins[3]] : ins;
      const shape = broadcast(operands.map((i) => i?.shape));
      let value: number[] | undefined;
      if (['Add', 'Sub', 'Mul', 'Div', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or'].includes(op) && ins[0]?.value && ins[1]?.value) {
        const a = ins[0].value;
        const b = ins[1].value;
        if (a.length === b.length || a.length === 1 || b.length === 1) {
          const n = Math.max(a.length, b.length);
          value = Array.from({ length: n }, (_, i) => {
            const p = a[a.length === 1 ? 0 : i];
            const q = b[b.length === 1 ? 0 : i];
            switch (op) {
              case 'Add': return p + q;
              case 'Sub': return p - q;
              case 'Mul': return p * q;
              // Integer division truncates (shape arithmetic); a float one does not.
              case 'Div': return et === onnx.TensorProto.DataType.FLOAT || et === onnx.TensorProto.DataType.DOUBLE ? p / q : Math.trunc(p / q);
              case 'Equal': return p === q ? 1 : 0;
              case 'Less': return p < q ? 1 : 0;
              case 'Greater': return p > q ? 1 : 0;
              case 'LessOrEqual': return p <= q ? 1 : 0;
              case 'GreaterOrEqual': return p >= q ? 1 : 0;
              case 'And': return p && q ? 1 : 0;
              default: return p || q ? 1 : 0;
            }
          });
        }
      }
      const elemType = BOOL_OUT.has(op) ? 9 : op === 'Where' ? (ins[1]?.elemType ?? 0) : op.startsWith('QLinear') ? (ins[7]?.elemType ?? et) : et;
      return this.set(out0, { elemType, shape, value });
    }
    switch (op) {
      case 'Conv':
      case 'ConvInteger':
      case 'QLinearConv':
      case 'NhwcConv':
      case 'FusedConv': {
        const w = op === 'QLinearConv' ? ins[3] : ins[1];
        if (!x?.shape || !w?.shape) return this.set(out0, { elemType: op === 'QLinearConv' ? (ins[7]?.elemType ?? 2) : op === 'ConvInteger' ? 6 : et });
        const spatial = x.shape.length - 2;
        const k = attrInts(node, 'kernel_shape') ?? (w.shape.slice(2) as number[]);
        const strides = attrInts(node, 'strides') ?? Array(spatial).fill(1);
        const dil = attrInts(node, 'dilations') ?? Array(spatial).fill(1);
        const pads = attrInts(node, 'pads') ?? Array(spatial * 2).fill(0);
        const autoPad = attrStr(node, 'auto_pad') ?? 'NOTSET';
        const out: Dim[] = [x.shape[0], w.shape[0]];
        for (let i = 0; i < spatial; i++) out.push(windowOut(x.shape[2 + i], Number(k[i]), strides[i], dil[i], pads[i], pads[i + spatial], autoPad, false));
        return this.set(out0, { elemType: op === 'QLinearConv' ? (ins[7]?.elemType ?? 2) : op === 'ConvInteger' ? 6 : et, shape: out });
      }
      case 'ConvTranspose': {
        const w = ins[1];
        if (!x?.shape || !w?.shape) return this.set(out0, { elemType: et });
        const spatial = x.shape.length - 2;
        const group = attrInt(node, 'group', 1);
        const k = attrInts(node, 'kernel_shape') ?? (w.shape.slice(2) as number[]);
        const strides = attrInts(node, 'strides') ?? Array(spatial).fill(1);
        const dil = attrInts(node, 'dilations') ?? Array(spatial).fill(1);
        const pads = attrInts(node, 'pads') ?? Array(spatial * 2).fill(0);
        const outPad = attrInts(node, 'output_padding') ?? Array(spatial).fill(0);
        const explicit = attrInts(node, 'output_shape');
        const outC = isNum(w.shape[1]) ? w.shape[1] * group : null;
        const out: Dim[] = [x.shape[0], outC];
        for (let i = 0; i < spatial; i++) {
          const inp = x.shape[2 + i];
          if (explicit) out.push(explicit[explicit.length - spatial + i]);
          else out.push(isNum(inp) ? strides[i] * (inp - 1) + outPad[i] + ((Number(k[i]) - 1) * dil[i] + 1) - pads[i] - pads[i + spatial] : null);
        }
        return this.set(out0, { elemType: et, shape: out });
      }
      case 'MaxPool':
      case 'AveragePool':
      case 'LpPool': {
        if (!x?.shape) return this.set(out0, { elemType: et });
        const spatial = x.shape.length - 2;
        const k = attrInts(node, 'kernel_shape') ?? [];
        const strides = attrInts(node, 'strides') ?? Array(spatial).fill(1);
        const dil = attrInts(node, 'dilations') ?? Array(spatial).fill(1);
        const pads = attrInts(node, 'pads') ?? Array(spatial * 2).fill(0);
        const out: Dim[] = [x.shape[0], x.shape[1]];
        for (let i = 0; i < spatial; i++) out.push(windowOut(x.shape[2 + i], k[i] ?? 1, strides[i], dil[i], pads[i], pads[i + spatial], attrStr(node, 'auto_pad') ?? 'NOTSET', attrInt(node, 'ceil_mode', 0) === 1));
        return this.set(out0, { elemType: et, shape: out });
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
      case 'GlobalLpPool':
        return this.set(out0, { elemType: et, shape: x?.shape ? [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] : undefined });
      case 'Gemm': {
        const a = x?.shape;
        const b = ins[1]?.shape;
        if (!a || !b || a.length !== 2 || b.length !== 2) return this.set(out0, { elemType: et, shape: undefined });
        const m = attrInt(node, 'transA', 0) ? a[1] : a[0];
        const n = attrInt(node, 'transB', 0) ? b[0] : b[1];
        return this.set(out0, { elemType: et, shape: [m, n] });
      }
      case 'MatMul':
      case 'MatMulInteger':
      case 'QLinearMatMul':
      case 'FusedMatMul': {
        const a = x?.shape;
        const b = (op === 'QLinearMatMul' ? ins[3] : ins[1])?.shape;
        const elemType = op === 'MatMulInteger' ? 6 : op === 'QLinearMatMul' ? (ins[7]?.elemType ?? 2) : et;
        if (!a || !b || !a.length || !b.length) return this.set(out0, { elemType });
        const a2 = a.length === 1 ? [1, a[0]] : a;
        const b2 = b.length === 1 ? [b[0], 1] : b;
        const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)]) ?? [];
        const out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
        if (a.length === 1) out.splice(out.length - 2, 1);
        if (b.length === 1) out.splice(out.length - 1, 1);
        return this.set(out0, { elemType, shape: out });
      }
      case 'MatMulNBits': {
        const n = attrInt(node, 'N', 0);
        return this.set(out0, { elemType: et, shape: x?.shape ? [...x.shape.slice(0, -1), n || null] : undefined });
      }
      case 'Flatten': {
        if (!x?.shape) return this.set(out0, { elemType: et, shape: [null, null] });
        const axis = normAxis(attrInt(node, 'axis', 1), x.shape.length);
        return this.set(out0, { elemType: et, shape: [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))] });
      }
      case 'Reshape': {
        const target = this.opset >= 5 ? ins[1]?.value : attrInts(node, 'shape');
        if (!target) return this.set(out0, { elemType: et, shape: ins[1]?.shape && isNum(ins[1].shape[0]) ? Array(ins[1].shape[0]).fill(null) : undefined, value: undefined });
        const allowZero = attrInt(node, 'allowzero', 0) === 1;
        const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x?.shape?.[i] ?? null) : d === -1 ? -1 : d));
        const minus = out.indexOf(-1);
        if (minus >= 0) {
          const total = x?.shape ? prod(x.shape) : null;
          const known = prod(out.filter((_, i) => i !== minus));
          out[minus] = total !== null && known ? total / known : null;
        }
        return this.set(out0, { elemType: et, shape: out, value: x?.value });
      }
      case 'Transpose': {
        if (!x?.shape) return this.set(out0, { elemType: et });
        const perm = attrInts(node, 'perm') ?? x.shape.map((_, i) => x.shape!.length - 1 - i);
        const out = perm.map((p) => x.shape![p] ?? null);
        const value = x.value && x.shape.every(isNum) ? pick(x.value, x.shape as number[], (c) => { const src = c.slice(); perm.forEach((p, a) => (src[p] = c[a])); return src; }, out as number[]) : undefined;
        return this.set(out0, { elemType: et, shape: out, value });
      }
      case 'Concat': {
        const shapes = ins.map((i) => i?.shape);
        const values = ins.every((i) => i?.value) ? ins.flatMap((i) => i!.value!) : undefined;
        if (shapes.some((s) => !s) || !shapes.length) return this.set(out0, { elemType: et, value: values });
        const rank = shapes[0]!.length;
        const axis = normAxis(attrInt(node, 'axis', 0), rank);
        const out = [...shapes[0]!];
        const sizes = shapes.map((s) => s![axis]);
        out[axis] = sizes.every(isNum) ? (sizes as number[]).reduce((a, b) => a + b, 0) : null;
        return this.set(out0, { elemType: et, shape: out, value: values });
      }
      case 'Shape': {
        if (!x?.shape) return this.set(out0, { elemType: 7, shape: [null] });
        const start = normAxis(attrInt(node, 'start', 0), x.shape.length);
        const endA = attr(node, 'end') ? normAxis(attrInt(node, 'end', x.shape.length), x.shape.length) : x.shape.length;
        const dims = x.shape.slice(start, endA);
        return this.set(out0, { elemType: 7, shape: [dims.length], value: dims.every(isNum) ? (dims as number[]) : undefined });
      }
      case 'Size':
        return this.set(out0, { elemType: 7, shape: [], value: x?.shape && prod(x.shape) !== null ? [prod(x.shape) as number] : undefined });
      case 'Gather': {
        const idx = ins[1];
        if (!x?.shape || !idx?.shape) return this.set(out0, { elemType: et });
        const axis = normAxis(attrInt(node, 'axis', 0), x.shape.length);
        const out = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
        let value: number[] | undefined;
        if (x.value && idx.value && x.shape.length === 1) value = idx.value.map((i) => x.value![i < 0 ? i + x.value!.length : i]);
        return this.set(out0, { elemType: et, shape: out, value });
      }
      case 'Unsqueeze':
      case 'Squeeze': {
        const axes = this.opset >= 13 ? ins[1]?.value : attrInts(node, 'axes');
        if (!x?.shape) return this.set(out0, { elemType: et, value: x?.value });
        if (op === 'Squeeze') {
          const rank = x.shape.length;
          const ax = axes ? axes.map((a) => normAxis(a, rank)) : x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
          return this.set(out0, { elemType: et, shape: x.shape.filter((_, i) => !ax.includes(i)), value: x.value });
        }
        if (!axes) return this.set(out0, { elemType: et, value: x.value });
        const rank = x.shape.length + axes.length;
        const ax = axes.map((a) => normAxis(a, rank));
        const out: Dim[] = [];
        let j = 0;
        for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : (x.shape[j++] ?? null));
        return this.set(out0, { elemType: et, shape: out, value: x.value });
      }
      case 'Slice': {
        if (!x?.shape) return this.set(out0, { elemType: et });
        const starts = this.opset >= 10 ? ins[1]?.value : attrInts(node, 'starts');
        const ends = this.opset >= 10 ? ins[2]?.value : attrInts(node, 'ends');
        const axes = (this.opset >= 10 ? ins[3]?.value : attrInts(node, 'axes')) ?? starts?.map((_, i) => i);
        const steps = (this.opset >= 10 ? ins[4]?.value : undefined) ?? starts?.map(() => 1);
        if (!starts || !ends || !axes || !steps) return this.set(out0, { elemType: et, shape: x.shape.map(() => null) });
        const out = [...x.shape];
        const first: number[] = x.shape.map(() => 0);
        const stepOf: number[] = x.shape.map(() => 1);
        let known = true;
        axes.forEach((a, i) => {
          const ax = normAxis(a, x.shape!.length);
          const dim = x.shape![ax];
          if (!isNum(dim)) { out[ax] = null; known = false; return; }
          const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
          const step = steps[i];
          let s = starts[i] < 0 ? starts[i] + dim : starts[i];
          let e = ends[i] < 0 ? ends[i] + dim : ends[i];
          s = step > 0 ? clamp(s, 0, dim) : clamp(s, 0, dim - 1);
          e = step > 0 ? clamp(e, 0, dim) : clamp(e, -1, dim - 1);
          out[ax] = Math.max(0, Math.ceil((e - s) / step));
          first[ax] = s;
          stepOf[ax] = step;
        });
        const value = known && x.value && x.shape.every(isNum) && out.every(isNum)
          ? pick(x.value, x.shape as number[], (c) => c.map((ci, a) => first[a] + ci * stepOf[a]), out as number[])
          : undefined;
        return this.set(out0, { elemType: et, shape: out, value });
      }
      case 'Split': {
        if (!x?.shape) return;
        const axis = normAxis(attrInt(node, 'axis', 0), x.shape.length);
        const n = (node.output ?? []).length;
        const split = (this.opset >= 13 ? ins[1]?.value : attrInts(node, 'split')) ?? (isNum(x.shape[axis]) ? Array(n).fill((x.shape[axis] as number) / n) : undefined);
        let offset = 0;
        (node.output ?? []).forEach((o, i) => {
          const s = [...x.shape!];
          s[axis] = split ? split[i] : null;
          // A split of a small constant vector (tf2onnx builds Pad's pads this way) keeps its values.
          const value = x.value && x.shape!.length === 1 && split ? x.value.slice(offset, offset + split[i]) : undefined;
          offset += split ? split[i] : 0;
          this.set(o, { elemType: et, shape: s, value });
        });
        return;
      }
      case 'Pad': {
        const pads = this.opset >= 11 ? ins[1]?.value : attrInts(node, 'pads');
        if (!x?.shape || !pads) return this.set(out0, { elemType: et, shape: x?.shape?.map(() => null) });
        const r = x.shape.length;
        return this.set(out0, { elemType: et, shape: x.shape.map((d, i) => (isNum(d) ? d + pads[i] + pads[i + r] : null)) });
      }
      case 'Resize':
      case 'Upsample': {
        if (!x?.shape) return this.set(out0, { elemType: et });
        const scales = op === 'Upsample' ? (this.opset >= 9 ? ins[1]?.value : attr(node, 'scales')?.floats ?? undefined) : ins[2]?.value;
        const sizes = op === 'Resize' ? ins[3]?.value : undefined;
        if (sizes?.length === x.shape.length) return this.set(out0, { elemType: et, shape: sizes });
        if (scales?.length === x.shape.length) return this.set(out0, { elemType: et, shape: x.shape.map((d, i) => (isNum(d) ? Math.floor(d * scales[i]) : null)) });
        return this.set(out0, { elemType: et, shape: x.shape.map((d, i) => (i < 2 ? d : null)) });
      }
      case 'ReduceMean':
      case 'ReduceSum':
      case 'ReduceMax':
      case 'ReduceMin':
      case 'ReduceProd':
      case 'ReduceL2':
      case 'ReduceL1':
      case 'ReduceLogSumExp':
      case 'ReduceSumSquare':
      case 'ArgMax':
      case 'ArgMin': {
        if (!x?.shape) return this.set(out0, { elemType: op.startsWith('Arg') ? 7 : et });
        const r = x.shape.length;
        const keep = attrInt(node, 'keepdims', 1) === 1;
        const axesRaw = op.startsWith('Arg') ? [attrInt(node, 'axis', 0)] : ((op === 'ReduceSum' && this.opset >= 13) || this.opset >= 18 ? ins[1]?.value : attrInts(node, 'axes'));
        const axes = (axesRaw ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, r));
        const out = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
        return this.set(out0, { elemType: op.startsWith('Arg') ? 7 : et, shape: out });
      }
      case 'Expand': {
        const target = ins[1]?.value;
        return this.set(out0, { elemType: et, shape: target && x?.shape ? broadcast([x.shape, target]) : undefined });
      }
      case 'Tile': {
        const reps = ins[1]?.value;
        return this.set(out0, { elemType: et, shape: reps && x?.shape ? x.shape.map((d, i) => (isNum(d) ? d * reps[i] : null)) : undefined });
      }
      case 'EmbedLayerNormalization': {
        const wordEmb = ins[2]?.shape;
        this.set(node.output?.[1], { elemType: 6, shape: x?.shape ? [x.shape[0]] : undefined });
        return this.set(out0, { elemType: ins[2]?.elemType ?? 1, shape: x?.shape && wordEmb ? [...x.shape, wordEmb[1]] : undefined });
      }
      case 'Attention': {
        const w = ins[1]?.shape;
        const qkvHidden = attrInts(node, 'qkv_hidden_sizes');
        const hidden = qkvHidden ? qkvHidden[2] : w && isNum(w[1]) ? w[1] / 3 : null;
        return this.set(out0, { elemType: et, shape: x?.shape ? [x.shape[0], x.shape[1], hidden] : undefined });
      }
      case 'ConstantOfShape': {
        const v = attr(node, 'value');
        const count = x?.value ? x.value.reduce((a, b) => a * b, 1) : undefined;
        const fill = v?.t ? (intValues(v.t)?.[0] ?? undefined) : 0;
        const value = count !== undefined && count <= MAX_FOLD && fill !== undefined ? Array(count).fill(fill) : undefined;
        return this.set(out0, { elemType: v?.t?.dataType ?? 1, shape: x?.value, value });
      }
      default:
        return;
    }
  }
}

/**
 * Nodes in dependency order. ONNX asks for it, but real files (some optimizer outputs) put Constants last.
 * Nodes caught in a cycle keep their file order at the end.
 */
export function topologicalOrder(nodes: NodeProto[]): NodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const indegree = nodes.map(() => 0);
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    // An If/Loop/Scan also depends on what its bodies read from this graph (outer-scope names, as PyTorch's
    // exports of Silero VAD's LSTM cell do): they must be produced before it.
    for (const inp of new Set([...(n.input ?? []), ...outerScopeNames(n)])) {
      const p = inp ? producer.get(inp) : undefined;
      if (p !== undefined && p !== i) {
        indegree[i]++;
        users[p].push(i);
      }
    }
  });
  const ready: number[] = [];
  indegree.forEach((d, i) => d === 0 && ready.push(i));
  const out: NodeProto[] = [];
  const done = new Set<number>();
  for (let k = 0; k < ready.length; k++) {
    const i = ready[k];
    out.push(nodes[i]);
    done.add(i);
    for (const u of users[i]) if (--indegree[u] === 0) ready.push(u);
  }
  if (out.length < nodes.length) nodes.forEach((n, i) => !done.has(i) && out.push(n));
  return out;
}

/** Names a node's subgraphs read without producing them (their outer-scope references), nested bodies included. */
function outerScopeNames(n: NodeProto): string[] {
  const out: string[] = [];
  const walk = (g: onnx.IGraphProto): void => {
    const own = new Set<string>([...(g.input ?? []).map((v) => v.name ?? ''), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
    for (const x of g.node ?? []) for (const o of x.output ?? []) own.add(o);
    for (const x of g.node ?? []) {
      for (const i of x.input ?? []) if (i && !own.has(i)) out.push(i);
      for (const a of x.attribute ?? []) for (const sg of [a.g, ...(a.graphs ?? [])]) if (sg) walk(sg);
    }
  };
  for (const a of n.attribute ?? []) for (const sg of [a.g, ...(a.graphs ?? [])]) if (sg) walk(sg);
  return out;
}

/** Multiply-accumulates of one node, when its shapes are known. */
export function nodeMacs(node: NodeProto, si: ShapeInference): number | undefined {
  const op = node.opType ?? '';
  const inp = (i: number) => si.get(node.input?.[i])?.shape;
  const out = si.get(node.output?.[0])?.shape;
  switch (op) {
    case 'Conv':
    case 'ConvInteger':
    case 'QLinearConv':
    case 'FusedConv': {
      const w = op === 'QLinearConv' ? inp(3) : inp(1);
      if (!w || !out) return undefined;
      const k = prod(w.slice(1));
      const o = prod(out);
      return k !== null && o !== null ? o * k : undefined;
    }
    case 'ConvTranspose': {
      const x = inp(0);
      const w = inp(1);
      if (!x || !w) return undefined;
      const xi = prod(x);
      const k = prod(w.slice(1));
      return xi !== null && k !== null ? xi * k : undefined;
    }
    case 'Gemm': {
      const a = inp(0);
      if (!a || a.length !== 2 || !out) return undefined;
      const k = attrInt(node, 'transA', 0) ? a[0] : a[1];
      const o = prod(out);
      return isNum(k) && o !== null ? o * k : undefined;
    }
    case 'MatMul':
    case 'MatMulInteger':
    case 'QLinearMatMul':
    case 'FusedMatMul': {
      const a = inp(0);
      if (!a || !out || !a.length) return undefined;
      const k = a[a.length - 1];
      const o = prod(out);
      return isNum(k) && o !== null ? o * k : undefined;
    }
    case 'MatMulNBits': {
      const k = attrInt(node, 'K', 0);
      const o = out ? prod(out) : null;
      return k && o !== null ? o * k : undefined;
    }
    default:
      return undefined;
  }
}

export const MAC_OPS = new Set(['Conv', 'ConvInteger', 'QLinearConv', 'FusedConv', 'ConvTranspose', 'Gemm', 'MatMul', 'MatMulInteger', 'QLinearMatMul', 'FusedMatMul', 'MatMulNBits']);
