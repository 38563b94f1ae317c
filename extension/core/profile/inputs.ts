import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { parseNpy } from './npy';
import { loadOrt } from './ort';
import { toNumber } from '../onnx/model';
import type { Tensor } from 'onnxruntime-node';

export interface InputSpec {
  name: string;
  type: string;
  shape: Array<number | string>;
}

export interface PreparedInput {
  name: string;
  type: string;
  shape: number[];
  source: string;
  tensor: Tensor;
}

export class InputError extends Error {}

/** A small deterministic PRNG (mulberry32): the same inputs on every run and every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves a declared shape with the user's symbolic-dimension values (unset ones become 1, and say so). */
export function concreteShape(spec: InputSpec, dims: Record<string, number>, defaulted: Set<string>): number[] {
  return spec.shape.map((d) => {
    if (typeof d === 'number' && d > 0) return d;
    const key = typeof d === 'string' ? d : '';
    if (key && dims[key] !== undefined) return dims[key];
    defaulted.add(key || `${spec.name}[?]`);
    return 1;
  });
}

function generated(spec: InputSpec, shape: number[], seed: number): Tensor {
  const ort = loadOrt();
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > 256 * 1024 * 1024) throw new InputError(`input ${spec.name} would have ${n} elements: set smaller symbolic dimensions`);
  const r = rng(seed);
  const lower = spec.name.toLowerCase();
  switch (spec.type) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from({ length: n }, () => r() * 2 - 1), shape);
    case 'float64': return new ort.Tensor('float64', Float64Array.from({ length: n }, () => r() * 2 - 1), shape);
    case 'float16': return new ort.Tensor('float16', new Uint16Array(n).fill(0x3c00), shape);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(lower.includes('mask') ? 1 : Math.floor(r() * 10))), shape);
    case 'int32': return new ort.Tensor('int32', Int32Array.from({ length: n }, () => (lower.includes('mask') ? 1 : Math.floor(r() * 10))), shape);
    case 'int8': return new ort.Tensor('int8', Int8Array.from({ length: n }, () => Math.floor(r() * 255) - 127), shape);
    case 'uint8': return new ort.Tensor('uint8', Uint8Array.from({ length: n }, () => Math.floor(r() * 256)), shape);
    case 'int16': return new ort.Tensor('int16', Int16Array.from({ length: n }, () => Math.floor(r() * 100)), shape);
    case 'uint16': return new ort.Tensor('uint16', Uint16Array.from({ length: n }, () => Math.floor(r() * 100)), shape);
    case 'bool': return new ort.Tensor('bool', new Uint8Array(n), shape);
    default: throw new InputError(`input ${spec.name} has type ${spec.type}, which inputs cannot be generated for; give a .npy or .pb file`);
  }
}

async function fromFile(spec: InputSpec, file: string): Promise<{ tensor: Tensor; shape: number[] }> {
  const ort = loadOrt();
  const buf = await fs.readFile(file).catch(() => {
    throw new InputError(`input file ${file} for ${spec.name} cannot be read`);
  });
  if (path.extname(file).toLowerCase() === '.npy') {
    const a = parseNpy(buf);
    if (a.dtype !== spec.type) throw new InputError(`${path.basename(file)} holds ${a.dtype}, but input ${spec.name} is ${spec.type}`);
    return { tensor: new ort.Tensor(a.dtype as 'float32', a.data as Float32Array, a.shape), shape: a.shape };
  }
  let t: onnx.TensorProto;
  try {
    t = onnx.TensorProto.decode(buf);
  } catch (err) {
    throw new InputError(`${path.basename(file)} is not a TensorProto .pb file: ${(err as Error).message}`);
  }
  return protoToOrt(t, path.basename(file));
}

/** An ONNX TensorProto (raw or typed data) as an onnxruntime tensor. */
export function protoToOrt(t: onnx.ITensorProto, what = t.name ?? 'tensor'): { tensor: Tensor; shape: number[] } {
  const ort = loadOrt();
  const shape = (t.dims ?? []).map((d) => toNumber(d));
  const n = shape.reduce((a, b) => a * b, 1);
  const raw = t.rawData?.length ? Buffer.from(t.rawData) : undefined;
  const copy = (bytes: number) => {
    if (!raw || raw.length !== n * bytes) throw new InputError(`${what}: expected ${n * bytes} bytes of raw data`);
    const ab = new ArrayBuffer(raw.length);
    new Uint8Array(ab).set(raw);
    return ab;
  };
  switch (t.dataType) {
    case onnx.TensorProto.DataType.FLOAT: return { tensor: new ort.Tensor('float32', raw ? new Float32Array(copy(4)) : Float32Array.from(t.floatData ?? []), shape), shape };
    case onnx.TensorProto.DataType.INT64: return { tensor: new ort.Tensor('int64', raw ? new BigInt64Array(copy(8)) : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(toNumber(v)))), shape), shape };
    case onnx.TensorProto.DataType.INT32: return { tensor: new ort.Tensor('int32', raw ? new Int32Array(copy(4)) : Int32Array.from(t.int32Data ?? []), shape), shape };
    case onnx.TensorProto.DataType.UINT8: return { tensor: new ort.Tensor('uint8', raw ? new Uint8Array(copy(1)) : Uint8Array.from(t.int32Data ?? []), shape), shape };
    case onnx.TensorProto.DataType.INT8: return { tensor: new ort.Tensor('int8', raw ? new Int8Array(copy(1)) : Int8Array.from(t.int32Data ?? []), shape), shape };
    default: throw new InputError(`${what}: tensor type ${t.dataType} is not supported for inputs`);
  }
}

/**
 * Old models (IR < 4) list their initializers among the graph inputs, and onnxruntime-node then wants
 * them fed: feed each its own stored value, never generated data.
 */
export function initializerFeeds(model: onnx.IModelProto, inputNames: readonly string[]): Record<string, Tensor> {
  const wanted = new Set(inputNames);
  const feeds: Record<string, Tensor> = {};
  for (const t of model.graph?.initializer ?? []) if (t.name && wanted.has(t.name)) feeds[t.name] = protoToOrt(t).tensor;
  return feeds;
}

/** Inputs for every declared model input: from the user's files where given, else generated (seeded). */
export async function prepareInputs(specs: InputSpec[], dims: Record<string, number>, files: Record<string, string> = {}, firstSeed = 1234): Promise<{ inputs: PreparedInput[]; defaulted: string[] }> {
  const defaulted = new Set<string>();
  const inputs: PreparedInput[] = [];
  for (const [name] of Object.entries(files)) {
    if (!specs.some((s) => s.name === name)) throw new InputError(`the model has no input named "${name}" (inputs: ${specs.map((s) => s.name).join(', ')})`);
  }
  let seed = firstSeed;
  for (const spec of specs) {
    if (files[spec.name]) {
      const { tensor, shape } = await fromFile(spec, files[spec.name]);
      inputs.push({ name: spec.name, type: spec.type, shape, source: path.basename(files[spec.name]), tensor });
    } else {
      const shape = concreteShape(spec, dims, defaulted);
      inputs.push({ name: spec.name, type: spec.type, shape, source: 'generated', tensor: generated(spec, shape, seed++) });
    }
  }
  return { inputs, defaulted: [...defaulted] };
}
