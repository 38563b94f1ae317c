/**
 * Model inputs, one engine module: what the user gives (shapes, values, dims, files), what the model declares
 * (dim names, metadata_props) and known conventions, resolved once; then the data (generated, valued, read).
 * Used by profile, quantize (calibration and evaluation), search export, latency tables and the editor.
 */
import * as path from 'node:path';
import type { onnx } from 'onnx-proto';
import type { Tensor } from 'onnxruntime-node';
import { loadOrt } from '../profile/ort';
import { CONVENTION_LABEL, fromProto, fromValues, generate, generatedLabel, readTensorFile, type Convention, type HostTensor } from './data';
import { declaredInputs, modelMetadata, resolvePlans, type ResolveOptions, type ShapePlan } from './resolve';
import { InputError, formatShape, type DeclaredInput, type Dim, type InputOverrides } from './spec';

export * from './spec';
export * from './resolve';
export * from './data';
export { parseNpy, NpyError, type NpyArray } from './npy';

/** What a result states about one input it was measured with (profile JSON, quantization report, tables). */
export interface InputRecord {
  name: string;
  type: string;
  shape: number[];
  /** "generated", "value", or the file's name. */
  source: string;
  /** The value given (one number: the whole tensor holds it). */
  value?: number | number[];
  /** For generated data: the range it was drawn from. */
  data?: string;
  /** The shape the model declares (symbolic names, null for unnamed dims), when it differs. */
  declared?: Dim[] | null;
  /** How symbolic dims or the value were decided (conventions, metadata, other inputs). */
  notes?: string[];
}

export interface PreparedInput {
  name: string;
  type: string;
  shape: number[];
  /** Kept for old readers: "generated", "value" or the file name. */
  source: string;
  host: HostTensor;
  record: InputRecord;
}

export interface PreparedInputs {
  inputs: PreparedInput[];
  records: InputRecord[];
  /** Conventions and metadata applied without the user saying so (one line each). */
  notes: string[];
  dims: Record<string, number>;
}

export interface PrepareOptions extends Omit<ResolveOptions, 'fileShapes' | 'allowMissing'> {
  /** Seed of the first input; each next input gets the next seed. */
  seed?: number;
  /** The range float image inputs are drawn in (data.ts Convention; default pictures in 0..1). */
  convention?: Convention;
}

/** Resolves every input and makes its data: from a file, from --value, or generated (seeded). */
export async function prepareInputs(declared: DeclaredInput[], o: InputOverrides = {}, opts: PrepareOptions = {}): Promise<PreparedInputs> {
  const fromFiles: Record<string, HostTensor> = {};
  for (const [name, file] of Object.entries(o.files ?? {})) {
    const d = declared.find((x) => x.name === name);
    if (!d) throw new InputError(`--input ${name}: the model has no input named "${name}" (inputs: ${declared.map((x) => x.name).join(', ')})`);
    fromFiles[name] = await readTensorFile(file, d);
  }
  const plans = resolvePlans(declared, o, { ...opts, fileShapes: Object.fromEntries(Object.entries(fromFiles).map(([k, t]) => [k, t.shape])) });
  let seed = opts.seed ?? 1234;
  const inputs = plans.inputs.map((p, i) => {
    const d = declared[i];
    const shape = p.shape as number[];
    let host: HostTensor;
    let source: string;
    let data: string | undefined;
    if (fromFiles[p.name]) {
      host = fromFiles[p.name];
      source = path.basename(o.files![p.name]);
    } else if (p.values) {
      host = fromValues(d, shape, p.values);
      source = 'value';
    } else {
      const g = generate(d, shape, seed++, opts.convention);
      host = g.tensor;
      source = 'generated';
      data = g.convention ? CONVENTION_LABEL[g.convention] : generatedLabel(d, g.kind);
    }
    const record: InputRecord = { name: p.name, type: p.type, shape: host.shape, source };
    if (p.values) record.value = p.values.length === 1 ? p.values[0] : p.values.length <= 16 ? p.values : undefined;
    if (data) record.data = data;
    if (!p.declared || p.declared.some((x) => typeof x !== 'number')) record.declared = p.declared;
    const own = [...p.notes, ...plans.notes.filter((n) => n.startsWith(`${p.name} `) || (p.declared ?? []).some((x) => typeof x === 'string' && n.startsWith(`${x} = `)))];
    if (own.length) record.notes = [...new Set(own)];
    return { name: p.name, type: p.type, shape: host.shape, source, host, record };
  });
  return { inputs, records: inputs.map((x) => x.record), notes: plans.notes, dims: plans.dims };
}

/** An in-memory tensor as an onnxruntime tensor. */
export function toOrt(t: HostTensor): Tensor {
  const ort = loadOrt();
  return new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.shape);
}

/**
 * Old models (IR < 4) list their initializers among the graph inputs, and onnxruntime-node then wants
 * them fed: feed each its own stored value, never generated data.
 */
export function initializerFeeds(model: onnx.IModelProto, inputNames: readonly string[]): Record<string, Tensor> {
  const wanted = new Set(inputNames);
  const feeds: Record<string, Tensor> = {};
  for (const t of model.graph?.initializer ?? []) if (t.name && wanted.has(t.name)) feeds[t.name] = toOrt(fromProto(t));
  return feeds;
}

/** Feeds for every input of a model (initializers listed as inputs included), with what they were. */
export async function modelFeeds(model: onnx.IModelProto, o: InputOverrides = {}, opts: PrepareOptions & { inputNames?: readonly string[] } = {}): Promise<PreparedInputs & { feeds: Record<string, Tensor> }> {
  const declared = declaredInputs(model);
  const prepared = await prepareInputs(declared, o, { metadata: modelMetadata(model), ...opts });
  const fixed = initializerFeeds(model, opts.inputNames ?? (model.graph?.input ?? []).map((v) => v.name ?? ''));
  return { ...prepared, feeds: { ...fixed, ...Object.fromEntries(prepared.inputs.map((i) => [i.name, toOrt(i.host)])) } };
}

/** One line per input: `x float32 1x3x640x640 (random image 0..1)`, `sr int64 [] = 16000`. */
export function describeInputs(records: InputRecord[]): string[] {
  return records.map((r) => {
    const what = r.source === 'value' ? `= ${Array.isArray(r.value) ? r.value.join(',') : r.value ?? '(values)'}` : r.source === 'generated' ? `(${r.data ?? 'generated'})` : `from ${r.source}`;
    return `${r.name} ${r.type} ${formatShape(r.shape)} ${what}${r.notes?.length ? ` — ${r.notes.join('; ')}` : ''}`;
  });
}

/** Shapes by input name as `--shape` flags would give them (for messages and the editor's form). */
export function shapesOf(records: Array<Pick<InputRecord, 'name' | 'shape'>>): Record<string, number[]> {
  return Object.fromEntries(records.map((r) => [r.name, r.shape]));
}

export type { ShapePlan };
