import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { writeFileAtomicNoClobber } from '../util/fsAtomic';

export { onnx };
export type ModelProto = onnx.ModelProto;
export type GraphProto = onnx.IGraphProto;
export type NodeProto = onnx.INodeProto;
export type TensorProto = onnx.ITensorProto;

/** A file that is not a valid ONNX model, with a reason a user can act on. */
export class OnnxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxFormatError';
  }
}

/** Files larger than this are refused: protobuf itself cannot hold more than 2 GiB in one message. */
export const MAX_MODEL_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** int64 fields decode as Long objects (or numbers): a JS number (precise up to 2^53). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  if (typeof v === 'string') return Number(v);
  return NaN;
}

export interface LoadedModel {
  model: ModelProto;
  /** Folder that external-data locations are relative to (the model's folder), when loaded from a file. */
  baseDir?: string;
  file?: string;
  fileBytes: number;
}

/** Decodes ONNX bytes; any protobuf failure becomes one clear OnnxFormatError. */
export function decodeModel(bytes: Uint8Array, what = 'the model'): ModelProto {
  if (bytes.length === 0) throw new OnnxFormatError(`${what} is empty (0 bytes): not an ONNX model`);
  if (bytes.length > MAX_MODEL_BYTES) throw new OnnxFormatError(`${what} is ${bytes.length} bytes; ONNX files cannot exceed 2 GiB (store weights as external data)`);
  let model: ModelProto;
  // protobufjs decodes an empty bytes field (tf2onnx writes empty raw_data) as `new Buffer(0)`: harmless, but
  // Node then prints its Buffer() deprecation warning (DEP0005) on stderr, into every command's output. Node
  // prints that warning once per process, so swallowing it here hides nothing else.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = typeof rest[0] === 'object' && rest[0] ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0005') return;
    (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const reason = err instanceof RangeError && /call stack/i.test(err.message) ? 'nesting too deep' : err instanceof Error ? err.message : String(err);
    throw new OnnxFormatError(`${what} is not a valid ONNX model: the protobuf data is corrupt or truncated (${reason})`);
  } finally {
    process.emitWarning = emitWarning;
  }
  if (!model.graph) {
    throw new OnnxFormatError(`${what} is not an ONNX model: it has no graph${looksLikeText(bytes) ? ' (the file looks like text, not a binary .onnx)' : ''}`);
  }
  if (!model.opsetImport?.length && toNumber(model.irVersion) >= 3) {
    throw new OnnxFormatError(`${what} declares no opset (opset_import is empty): it is corrupt or not an ONNX model`);
  }
  return model;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 256);
  let printable = 0;
  for (let i = 0; i < n; i++) if ((bytes[i] >= 32 && bytes[i] < 127) || bytes[i] === 10 || bytes[i] === 13 || bytes[i] === 9) printable++;
  return printable / n > 0.95;
}

export async function loadModel(file: string): Promise<LoadedModel> {
  let st;
  try {
    st = await fs.stat(file);
  } catch {
    throw new OnnxFormatError(`${file} does not exist`);
  }
  if (!st.isFile()) throw new OnnxFormatError(`${file} is not a file`);
  if (st.size > MAX_MODEL_BYTES) throw new OnnxFormatError(`${path.basename(file)} is ${st.size} bytes; ONNX files cannot exceed 2 GiB (store weights as external data)`);
  const bytes = await fs.readFile(file);
  return { model: decodeModel(bytes, path.basename(file)), baseDir: path.dirname(path.resolve(file)), file: path.resolve(file), fileBytes: bytes.length };
}

export interface ExternalRef {
  location: string;
  offset: number;
  length?: number;
}

export function externalRef(t: TensorProto): ExternalRef | undefined {
  if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return undefined;
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new OnnxFormatError(`tensor "${t.name ?? ''}" is marked external but names no location`);
  const offset = kv.has('offset') ? Number(kv.get('offset')) : 0;
  const length = kv.has('length') ? Number(kv.get('length')) : undefined;
  if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
    throw new OnnxFormatError(`tensor "${t.name ?? ''}" has an invalid external-data offset or length`);
  }
  return { location, offset, length };
}

/**
 * Resolves an external-data location inside the model's folder. Absolute paths and `..` that would leave
 * the folder are refused: a model must not read arbitrary files.
 */
export function resolveExternalPath(baseDir: string, location: string): string {
  if (path.isAbsolute(location) || location.includes('\0')) throw new OnnxFormatError(`external data location "${location}" must be a relative path inside the model's folder`);
  const resolved = path.resolve(baseDir, location);
  if (resolved !== baseDir && !resolved.startsWith(baseDir + path.sep)) throw new OnnxFormatError(`external data location "${location}" points outside the model's folder`);
  return resolved;
}

/** Reads a tensor's external bytes (checked against the file's size). */
export async function readExternalData(baseDir: string, t: TensorProto): Promise<Buffer> {
  const ref = externalRef(t);
  if (!ref) throw new Error('not an external tensor');
  const file = resolveExternalPath(baseDir, ref.location);
  const handle = await fs.open(file, 'r').catch(() => {
    throw new OnnxFormatError(`external data file "${ref.location}" for tensor "${t.name ?? ''}" is missing`);
  });
  try {
    const size = (await handle.stat()).size;
    const length = ref.length ?? size - ref.offset;
    if (ref.offset + length > size) throw new OnnxFormatError(`external data for tensor "${t.name ?? ''}" runs past the end of "${ref.location}" (${ref.offset}+${length} > ${size} bytes)`);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, ref.offset);
    return buf;
  } finally {
    await handle.close();
  }
}

/** Encodes a model and writes it atomically to a new file (never overwriting). */
export async function saveModel(model: onnx.IModelProto, file: string): Promise<number> {
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject(model as Record<string, unknown>)).finish();
  await writeFileAtomicNoClobber(file, bytes);
  return bytes.length;
}

/** Every graph in a model: the main one and the subgraphs of If/Loop/Scan nodes, recursively. */
export function* allGraphs(graph: GraphProto, depth = 0): Generator<GraphProto> {
  if (depth > 64) throw new OnnxFormatError('subgraphs are nested more than 64 deep');
  yield graph;
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.g) yield* allGraphs(a.g, depth + 1);
      for (const g of a.graphs ?? []) yield* allGraphs(g, depth + 1);
    }
  }
}
