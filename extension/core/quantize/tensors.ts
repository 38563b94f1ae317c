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

/** Unique names for everything the quantizer adds. */
export class Names {
  private readonly used = new Set<string>();
  constructor(graph: onnx.IGraphProto) {
    for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) if (v.name) this.used.add(v.name);
    for (const t of graph.initializer ?? []) if (t.name) this.used.add(t.name);
    for (const n of graph.node ?? []) {
      if (n.name) this.used.add(n.name);
      for (const o of n.output ?? []) this.used.add(o);
    }
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
