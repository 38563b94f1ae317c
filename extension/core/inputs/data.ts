import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { toNumber } from '../onnx/model';
import { parseNpy } from './npy';
import { InputError, type DeclaredInput } from './spec';
import { isImageLike } from './resolve';

export type HostData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array;

/** A tensor in memory, independent of any runtime (onnxruntime wraps it with toOrt). */
export interface HostTensor {
  type: string;
  shape: number[];
  data: HostData;
}

/** Inputs larger than this are refused (a typo such as 1x3x64000x640 would otherwise take the machine's memory). */
export const MAX_ELEMENTS = 256 * 1024 * 1024;

/** A small deterministic PRNG (mulberry32): the same inputs on every run and every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** IEEE half from a float (round to nearest even), as bits. */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  if ((h >>> 10) >= 0x1f) { e = 0x1f; return sign | 0x7c00; }
  return sign | h;
}

/** How generated data is drawn for an input: the range a real input of that kind has. */
export type GeneratedKind = 'image01' | 'image255' | 'zeros' | 'ones' | 'positions' | 'ids' | 'signed' | 'bytes' | 'bits';

export function generatedKind(d: DeclaredInput): GeneratedKind {
  const lower = d.name.toLowerCase();
  const float = d.type.startsWith('float') || d.type === 'bfloat16';
  if (/mask/.test(lower)) return 'ones';
  if (/position_?ids?|^pos(_ids)?$/.test(lower) && !float) return 'positions';
  if (float && (/(^|_)(state|h0?|c0?|cell)(_|$|n$|\d)|past|cache|present/.test(lower) || /^(h|c|state)\d*$/.test(lower))) return 'zeros';
  if (isImageLike(d)) return d.type === 'uint8' ? 'image255' : float ? 'image01' : 'ids';
  if (float) return 'signed';
  if (d.type === 'uint8') return 'bytes';
  if (d.type === 'bool') return 'bits';
  return 'ids';
}

/** Words for results: what range generated data was drawn from. */
export const KIND_LABEL: Record<GeneratedKind, string> = {
  image01: 'random image 0..1', image255: 'random image 0..255', zeros: 'zeros (initial state)', ones: 'ones (mask)', positions: 'positions 0..n-1',
  ids: 'random integers 0..9', signed: 'random normal, mean 0, std 1', bytes: 'random 0..255', bits: 'random true/false',
};

/**
 * The input conventions a float image input is drawn in when nothing says which one the model expects: pictures
 * scaled to 0..1 (PyTorch's ToTensor, TF's /255) or to -1..1 (MediaPipe, MobileNet v2 in TF, PaddleOCR's
 * recognizer), and the noise people check a model with (numpy's rand in [0, 1) and randn). A quantized model
 * judged on one of them can disagree on another (BlazeFace front calibrated on 0..1 pictures: cosine 0.86 on
 * -1..1 noise), so default calibration mixes them and fidelity is judged on each.
 */
export type Convention = 'unit' | 'signed' | 'uniform' | 'normal';
export const IMAGE_CONVENTIONS: readonly Convention[] = ['unit', 'signed', 'uniform', 'normal'];
export const CONVENTION_LABEL: Record<Convention, string> = {
  unit: 'pictures in 0..1', signed: 'pictures in -1..1', uniform: 'uniform noise in 0..1 (numpy rand)', normal: 'standard normal noise (numpy randn)',
};

function alloc(type: string, n: number, what: string): HostData {
  switch (type) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'float16': case 'bfloat16': case 'uint16': return new Uint16Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'int32': return new Int32Array(n);
    case 'int16': return new Int16Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    default: throw new InputError(`${what} has type ${type}, which inputs cannot be made for; give a .npy or .pb file`);
  }
}

function store(data: HostData, type: string, i: number, v: number): void {
  if (data instanceof BigInt64Array) data[i] = BigInt(Math.trunc(v));
  else if (type === 'float16') data[i] = toHalf(v);
  else if (type === 'bfloat16') data[i] = new Uint32Array(new Float32Array([v]).buffer)[0] >>> 16;
  else if (type === 'bool') data[i] = v ? 1 : 0;
  else data[i] = v;
}

function checkSize(name: string, shape: number[]): number {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n) || n > MAX_ELEMENTS) throw new InputError(`input "${name}" at ${shape.join('x')} would have ${n} elements (over ${MAX_ELEMENTS}): give a smaller --shape`);
  return n;
}

/** How many distinct ids 'ids' draws (0..9), fewer when the input indexes a smaller table (d.idLimit). */
function idCount(d: DeclaredInput): number {
  return d.idLimit ? Math.min(10, d.idLimit) : 10;
}

/** Words for what was drawn for this input (KIND_LABEL, with the ids' real range). */
export function generatedLabel(d: DeclaredInput, kind: GeneratedKind): string {
  if (kind === 'ids' && d.type !== 'int8' && idCount(d) < 10) return `random integers 0..${idCount(d) - 1} (it indexes a table of ${d.idLimit} rows)`;
  return KIND_LABEL[kind];
}

/**
 * A random picture in 0..1, NCHW or NHWC (channels of 1, 3 or 4 on axis 1 or 3), one per batch item: smooth
 * coloured shapes, a few straight edges and mild noise, stretched to the whole range. Convolutions see the
 * statistics of photos (mostly smooth, energy in low frequencies, strong edges), which per-pixel noise lacks:
 * int8 ranges calibrated on noise, and a fidelity verdict measured on it, do not hold on pictures.
 * Undefined for other shapes.
 */
export function pictureData(shape: number[], r: () => number): Float32Array | undefined {
  if (shape.length !== 4) return undefined;
  const isCh = (x: number) => x === 1 || x === 3 || x === 4;
  const first = isCh(shape[1]);
  if (!first && !isCh(shape[3])) return undefined;
  const [n, c, h, w] = first ? shape : [shape[0], shape[3], shape[1], shape[2]];
  const hw = h * w;
  const out = new Float32Array(n * c * hw);
  const plane = new Float64Array(c * hw);
  for (let b = 0; b < n; b++) {
    const size = Math.max(h, w);
    const blobs = Array.from({ length: 5 }, () => ({ x: r() * w, y: r() * h, s2: ((0.08 + r() * 0.4) * size) ** 2, col: Array.from({ length: c }, () => r()) }));
    const edges = Array.from({ length: 2 }, () => ({ a: r() * Math.PI * 2, o: (r() - 0.5) * size * 0.8, col: Array.from({ length: c }, () => r() - 0.5) }));
    const base = Array.from({ length: c }, () => r() * 0.3);
    let lo = Infinity;
    let hi = -Infinity;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          let v = base[ch];
          for (const bl of blobs) v += bl.col[ch] * Math.exp(-((x - bl.x) ** 2 + (y - bl.y) ** 2) / bl.s2);
          for (const e of edges) if ((x - w / 2) * Math.cos(e.a) + (y - h / 2) * Math.sin(e.a) > e.o) v += e.col[ch];
          plane[ch * hw + y * w + x] = v;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    }
    const span = hi - lo || 1;
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < hw; i++) {
        const v = Math.min(1, Math.max(0, (plane[ch * hw + i] - lo) / span + (r() + r() + r() - 1.5) * 0.03));
        out[first ? b * c * hw + ch * hw + i : b * c * hw + i * c + ch] = v;
      }
    }
  }
  return out;
}

const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/**
 * Seeded data in a plausible range for the input's kind and dtype. `convention` picks the range of a float image
 * input (image01): pictures in 0..1 (the default), pictures in -1..1, uniform noise in 0..1 or standard normal
 * noise; other inputs ignore it.
 */
export function generate(d: DeclaredInput, shape: number[], seed: number, convention?: Convention): { tensor: HostTensor; kind: GeneratedKind; convention?: Convention } {
  const n = checkSize(d.name, shape);
  const data = alloc(d.type, n, `input "${d.name}"`);
  const kind = generatedKind(d);
  const r = rng(seed);
  if (kind === 'image01' && (convention === 'uniform' || convention === 'normal')) {
    for (let i = 0; i < n; i++) store(data, d.type, i, convention === 'uniform' ? r() : normal(r));
    return { tensor: { type: d.type, shape, data }, kind, convention };
  }
  const signed = kind === 'image01' && convention === 'signed';
  const picture = kind === 'image01' || kind === 'image255' ? pictureData(shape, r) : undefined;
  if (picture) {
    for (let i = 0; i < n; i++) store(data, d.type, i, kind === 'image255' ? Math.min(255, Math.floor(picture[i] * 256)) : signed ? picture[i] * 2 - 1 : picture[i]);
    return { tensor: { type: d.type, shape, data }, kind, ...(kind === 'image01' && convention ? { convention } : {}) };
  }
  const last = shape.length ? shape[shape.length - 1] : 1;
  for (let i = 0; i < n; i++) {
    let v: number;
    switch (kind) {
      case 'image01': v = signed ? r() * 2 - 1 : r(); break;
      case 'image255': case 'bytes': v = Math.floor(r() * 256); break;
      case 'zeros': v = 0; break;
      case 'ones': v = 1; break;
      case 'positions': v = last ? i % last : 0; break;
      // Features, embeddings and hidden states are about unit-variance (and audio lies inside ±1): a normal
      // draw covers both, where uniform −1..1 left a third of N(0, 1) data outside the calibrated range.
      case 'signed': v = normal(r); break;
      case 'bits': v = r() < 0.5 ? 0 : 1; break;
      default: v = d.type === 'int8' ? Math.floor(r() * 256) - 128 : Math.floor(r() * idCount(d));
    }
    store(data, d.type, i, v);
  }
  return { tensor: { type: d.type, shape, data }, kind, ...(kind === 'image01' && convention ? { convention } : {}) };
}

/** A tensor filled with one value, or holding the given elements. */
export function fromValues(d: DeclaredInput, shape: number[], values: number[]): HostTensor {
  const n = checkSize(d.name, shape);
  if (values.length !== 1 && values.length !== n) throw new InputError(`--value ${d.name} gives ${values.length} elements for shape ${shape.join('x') || '[]'} (${n} elements)`);
  if (!d.type.startsWith('float') && d.type !== 'bfloat16' && values.some((v) => !Number.isInteger(v))) throw new InputError(`--value ${d.name}: input "${d.name}" is ${d.type}, so its value must be a whole number`);
  const data = alloc(d.type, n, `input "${d.name}"`);
  for (let i = 0; i < n; i++) store(data, d.type, i, values.length === 1 ? values[0] : values[i]);
  return { type: d.type, shape, data };
}

/** An ONNX TensorProto (raw or typed data) in memory. */
export function fromProto(t: onnx.ITensorProto, what = t.name ?? 'tensor'): HostTensor {
  const shape = (t.dims ?? []).map((d) => toNumber(d));
  const n = shape.reduce((a, b) => a * b, 1);
  const raw = t.rawData?.length ? Buffer.from(t.rawData) : undefined;
  const copy = (bytes: number) => {
    if (!raw || raw.length !== n * bytes) throw new InputError(`${what}: expected ${n * bytes} bytes of raw data, found ${raw?.length ?? 0}`);
    const ab = new ArrayBuffer(raw.length);
    new Uint8Array(ab).set(raw);
    return ab;
  };
  const DT = onnx.TensorProto.DataType;
  switch (t.dataType) {
    case DT.FLOAT: return { type: 'float32', shape, data: raw ? new Float32Array(copy(4)) : Float32Array.from(t.floatData ?? []) };
    case DT.DOUBLE: return { type: 'float64', shape, data: raw ? new Float64Array(copy(8)) : Float64Array.from(t.doubleData ?? []) };
    case DT.INT64: return { type: 'int64', shape, data: raw ? new BigInt64Array(copy(8)) : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(toNumber(v)))) };
    case DT.INT32: return { type: 'int32', shape, data: raw ? new Int32Array(copy(4)) : Int32Array.from(t.int32Data ?? []) };
    case DT.INT16: return { type: 'int16', shape, data: raw ? new Int16Array(copy(2)) : Int16Array.from(t.int32Data ?? []) };
    case DT.UINT8: return { type: 'uint8', shape, data: raw ? new Uint8Array(copy(1)) : Uint8Array.from(t.int32Data ?? []) };
    case DT.INT8: return { type: 'int8', shape, data: raw ? new Int8Array(copy(1)) : Int8Array.from(t.int32Data ?? []) };
    case DT.BOOL: return { type: 'bool', shape, data: raw ? new Uint8Array(copy(1)) : Uint8Array.from(t.int32Data ?? []) };
    case DT.FLOAT16: return { type: 'float16', shape, data: raw ? new Uint16Array(copy(2)) : Uint16Array.from(t.int32Data ?? []) };
    default: throw new InputError(`${what}: tensor type ${t.dataType} is not supported for inputs`);
  }
}

/** A .npy or .pb (TensorProto) file; the dtype must be the input's. */
export async function readTensorFile(file: string, d?: DeclaredInput): Promise<HostTensor> {
  const buf = await fs.readFile(file).catch(() => {
    throw new InputError(`input file ${file}${d ? ` for ${d.name}` : ''} cannot be read`);
  });
  let t: HostTensor;
  if (path.extname(file).toLowerCase() === '.npy') {
    try {
      const a = parseNpy(buf);
      t = { type: a.dtype, shape: a.shape, data: a.data };
    } catch (err) {
      throw new InputError(`${path.basename(file)}: ${(err as Error).message}`);
    }
  } else {
    let p: onnx.TensorProto;
    try {
      p = onnx.TensorProto.decode(buf);
    } catch (err) {
      throw new InputError(`${path.basename(file)} is not a TensorProto .pb file: ${(err as Error).message}`);
    }
    t = fromProto(p, path.basename(file));
  }
  if (d && t.type !== d.type) throw new InputError(`${path.basename(file)} holds ${t.type}, but input ${d.name} is ${d.type}`);
  return t;
}
