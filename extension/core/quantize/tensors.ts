import { onnx } from 'onnx-proto';
import { toNumber, type TensorProto } from '../onnx/model';

export class QuantizeError extends Error {}

export function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d));
}

/** A float32 initializer's values (raw_data or float_data); undefined for other types or external data. */
export function floatData(t: TensorProto): Float32Array | undefined {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) return undefined;
  const n = dimsOf(t).reduce((a, b) => a * b, 1);
  if (t.rawData?.length) {
    if (t.rawData.length !== n * 4) return undefined;
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, copy.byteOffset, n);
  }
  if (t.floatData?.length === n) return Float32Array.from(t.floatData);
  return n === 0 ? new Float32Array(0) : undefined;
}

export function tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): onnx.TensorProto {
  return onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

export const DT = onnx.TensorProto.DataType;

export function scalarFloat(name: string, v: number): onnx.TensorProto {
  return tensor(name, DT.FLOAT, [], Float32Array.of(v));
}

export function zeroPointTensor(name: string, qType: 'int8' | 'uint8', values: number[], dims: number[]): onnx.TensorProto {
  return qType === 'int8' ? tensor(name, DT.INT8, dims, Int8Array.from(values)) : tensor(name, DT.UINT8, dims, Uint8Array.from(values));
}

/** Subgraphs held by a node's attributes (If branches, Loop/Scan bodies), with the attribute's name. */
export function subgraphsOf(n: onnx.INodeProto): Array<{ attr: string; graph: onnx.IGraphProto }> {
  const out: Array<{ attr: string; graph: onnx.IGraphProto }> = [];
  for (const a of n.attribute ?? []) {
    if (a.g) out.push({ attr: a.name ?? '', graph: a.g });
    for (const g of a.graphs ?? []) out.push({ attr: a.name ?? '', graph: g });
  }
  return out;
}

/** Every graph of a model (main first, then subgraphs depth-first). */
export function eachGraph(g: onnx.IGraphProto, visit: (g: onnx.IGraphProto, depth: number) => void, depth = 0): void {
  visit(g, depth);
  for (const n of g.node ?? []) for (const s of subgraphsOf(n)) eachGraph(s.graph, visit, depth + 1);
}

/** Names a subgraph reads from enclosing graphs (outer-scope references), recursively. */
export function outerReferences(g: onnx.IGraphProto): Set<string> {
  const defined = new Set<string>([...(g.initializer ?? []).map((t) => t.name ?? ''), ...(g.input ?? []).map((i) => i.name ?? '')]);
  for (const n of g.node ?? []) for (const o of n.output ?? []) defined.add(o);
  const refs = new Set<string>();
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) if (i && !defined.has(i)) refs.add(i);
    for (const s of subgraphsOf(n)) for (const r of outerReferences(s.graph)) if (!defined.has(r)) refs.add(r);
  }
  for (const o of g.output ?? []) if (o.name && !defined.has(o.name)) refs.add(o.name);
  return refs;
}

/** What a node reads: its inputs and its subgraphs' outer-scope references. */
export function nodeReads(n: onnx.INodeProto): string[] {
  const out = (n.input ?? []).filter(Boolean);
  for (const s of subgraphsOf(n)) out.push(...outerReferences(s.graph));
  return out;
}

/** Unique names for everything the quantizer adds, unique across the whole model (subgraphs included). */
export class Names {
  private readonly used = new Set<string>();
  constructor(graph: onnx.IGraphProto) {
    eachGraph(graph, (g) => {
      for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) if (v.name) this.used.add(v.name);
      for (const t of g.initializer ?? []) if (t.name) this.used.add(t.name);
      for (const n of g.node ?? []) {
        if (n.name) this.used.add(n.name);
        for (const o of n.output ?? []) this.used.add(o);
      }
    });
  }
  make(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

export function attrInt(node: onnx.INodeProto, name: string, dflt: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a && a.i !== undefined && a.i !== null ? toNumber(a.i) : dflt;
}

export function attrFloat(node: onnx.INodeProto, name: string, dflt: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a && a.f !== undefined && a.f !== null ? a.f : dflt;
}

/** Transposes a row-major [R, C] matrix. */
export function transpose2d(w: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = w[r * C + c];
  return out;
}
