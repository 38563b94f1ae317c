/**
 * A weight's values for the graph view's inspector: the numbers of an ONNX initializer (or Constant) or of a
 * TFLite tensor with a buffer, summarized (min/max/mean/std, a histogram, the first values). The model editor's
 * host answers the webview's `tensor` request with this.
 */
import { allGraphs, loadModel, readExternalData, externalRef, toNumber, type onnx, type TensorProto } from './model';
import * as path from 'node:path';
import { dtypeOf } from './dtypes';

export interface TensorValues {
  ref: string;
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  /** Absent when the values cannot be read as numbers (strings, packed 4-bit, float8). */
  stats?: { min: number; max: number; mean: number; std: number; zeros: number; nonFinite: number };
  /** Equal-width bins from stats.min to stats.max. */
  histogram?: number[];
  /** The first values, in storage order. */
  first?: number[];
  /** Quantization parameters, when the tensor has them (TFLite): values are stored integers, real = scale × (q − zero point). */
  quantization?: { scale: number[]; zeroPoint: number[] };
  note?: string;
}

export const HISTOGRAM_BINS = 40;
const FIRST = 16;
/** Tensors larger than this are summarized from an evenly strided sample of this many values. */
const MAX_SCAN = 4_000_000;

export function summarizeValues(values: ArrayLike<number>, bins = HISTOGRAM_BINS): Pick<TensorValues, 'stats' | 'histogram' | 'first' | 'note'> {
  const n = values.length;
  const step = n > MAX_SCAN ? Math.ceil(n / MAX_SCAN) : 1;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  let zeros = 0;
  let nonFinite = 0;
  let seen = 0;
  for (let i = 0; i < n; i += step) {
    const v = values[i];
    if (!Number.isFinite(v)) { nonFinite++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros++;
    sum += v;
    sq += v * v;
    seen++;
  }
  const first = Array.from({ length: Math.min(FIRST, n) }, (_, i) => values[i]);
  if (!seen) return { stats: { min: NaN, max: NaN, mean: NaN, std: NaN, zeros, nonFinite }, histogram: [], first };
  const mean = sum / seen;
  const std = Math.sqrt(Math.max(0, sq / seen - mean * mean));
  const histogram = new Array<number>(bins).fill(0);
  const width = max - min;
  for (let i = 0; i < n; i += step) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    histogram[width > 0 ? Math.min(bins - 1, Math.floor(((v - min) / width) * bins)) : 0]++;
  }
  return { stats: { min, max, mean, std, zeros, nonFinite }, histogram, first, ...(step > 1 ? { note: `statistics from every ${step}th value (${seen.toLocaleString('en-US')} of ${n.toLocaleString('en-US')})` } : {}) };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Little-endian bytes of a numeric element type as numbers; undefined for types that are not plain numbers. */
export function decodeNumbers(dtype: string, bytes: Uint8Array, count: number): ArrayLike<number> | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (size: number) => bytes.byteLength >= count * size;
  const read = (size: number, get: (o: number) => number) => {
    if (!need(size)) return undefined;
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = get(i * size);
    return out;
  };
  switch (dtype) {
    case 'float32': return read(4, (o) => dv.getFloat32(o, true));
    case 'float64': return read(8, (o) => dv.getFloat64(o, true));
    case 'float16': return read(2, (o) => halfToFloat(dv.getUint16(o, true)));
    case 'bfloat16': return read(2, (o) => { const b = new DataView(new ArrayBuffer(4)); b.setUint16(0, dv.getUint16(o, true), false); b.setUint16(2, 0); return new DataView(b.buffer).getFloat32(0, false); });
    case 'int8': return read(1, (o) => dv.getInt8(o));
    case 'uint8': case 'bool': return read(1, (o) => dv.getUint8(o));
    case 'int16': return read(2, (o) => dv.getInt16(o, true));
    case 'uint16': return read(2, (o) => dv.getUint16(o, true));
    case 'int32': return read(4, (o) => dv.getInt32(o, true));
    case 'uint32': return read(4, (o) => dv.getUint32(o, true));
    case 'int64': return read(8, (o) => Number(dv.getBigInt64(o, true)));
    case 'uint64': return read(8, (o) => Number(dv.getBigUint64(o, true)));
    default: return undefined;
  }
}

function typedField(t: TensorProto, dtype: string): ArrayLike<number> | undefined {
  if (t.floatData?.length) return t.floatData;
  if (t.doubleData?.length) return t.doubleData;
  if (t.int64Data?.length) return t.int64Data.map((v) => toNumber(v));
  if (t.uint64Data?.length) return t.uint64Data.map((v) => toNumber(v));
  if (t.int32Data?.length) {
    // float16/bfloat16 are stored as their bit patterns in int32_data.
    if (dtype === 'float16') return t.int32Data.map((v) => halfToFloat(v));
    return t.int32Data;
  }
  return undefined;
}

/** Finds an initializer (or a Constant's value) by name anywhere in the model, subgraphs included. */
export function findOnnxTensor(model: onnx.IModelProto, name: string): TensorProto | undefined {
  for (const g of allGraphs(model.graph ?? {})) {
    const init = (g.initializer ?? []).find((t) => t.name === name);
    if (init) return init;
    for (const n of g.node ?? []) {
      if (n.opType === 'Constant' && (n.output ?? []).includes(name)) {
        const v = (n.attribute ?? []).find((a) => a.name === 'value')?.t;
        if (v) return { ...v, name };
      }
    }
  }
  return undefined;
}

export async function onnxTensorValues(t: TensorProto, baseDir: string, ref = t.name ?? ''): Promise<TensorValues> {
  const dtype = dtypeOf(t.dataType).name;
  const shape = (t.dims ?? []).map((d) => toNumber(d));
  const count = shape.reduce((a, b) => a * b, 1);
  const base: TensorValues = { ref, name: t.name ?? '', dtype, shape, count };
  let values: ArrayLike<number> | undefined;
  if (externalRef(t)) {
    const bytes = await readExternalData(baseDir, t);
    values = decodeNumbers(dtype, bytes, count);
  } else if (t.rawData?.length) values = decodeNumbers(dtype, t.rawData, count);
  else values = typedField(t, dtype) ?? (count === 0 ? [] : undefined);
  if (!values) return { ...base, note: `the values of a ${dtype} tensor cannot be shown` };
  return { ...base, ...summarizeValues(values) };
}

/** `ref` is an initializer's name, as the graph layout gave it. */
export async function onnxFileTensor(file: string, ref: string): Promise<TensorValues> {
  const loaded = await loadModel(file);
  const t = findOnnxTensor(loaded.model, ref);
  if (!t) throw new Error(`no initializer or Constant named "${ref}" in ${loaded.file}`);
  return onnxTensorValues(t, loaded.baseDir ?? path.dirname(path.resolve(file)), ref);
}
