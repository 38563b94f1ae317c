/** Inputs moved to core/inputs (one module for profile, quantize, search and tables); kept for old imports. */
import type { onnx } from 'onnx-proto';
import type { Tensor } from 'onnxruntime-node';
import { fromProto, prepareInputs as prepare, toOrt, type DeclaredInput, type InputOverrides, type InputRecord } from '../inputs';

export { InputError, initializerFeeds, type DeclaredInput as InputSpec } from '../inputs';

export interface PreparedInput extends InputRecord {
  tensor: Tensor;
}

/** An ONNX TensorProto (raw or typed data) as an onnxruntime tensor. */
export function protoToOrt(t: onnx.ITensorProto, what = t.name ?? 'tensor'): { tensor: Tensor; shape: number[] } {
  const h = fromProto(t, what);
  return { tensor: toOrt(h), shape: h.shape };
}

const isOverrides = (x: object): x is InputOverrides => ['shapes', 'values', 'dims', 'files'].some((k) => k in x && typeof (x as Record<string, unknown>)[k] === 'object');

/**
 * The older form: declared inputs, dim values (or full overrides), files, first seed → onnxruntime tensors.
 * A symbolic or unnamed dimension without a value is an InputError naming the flag (no longer silently 1).
 */
export async function prepareInputs(specs: DeclaredInput[], dims: Record<string, number> | InputOverrides = {}, files: Record<string, string> = {}, firstSeed = 1234, metadata?: Record<string, string>): Promise<{ inputs: PreparedInput[]; notes: string[] }> {
  const o: InputOverrides = isOverrides(dims) ? { ...dims } : { dims: dims as Record<string, number> };
  if (Object.keys(files).length) o.files = { ...o.files, ...files };
  const p = await prepare(specs, o, { seed: firstSeed, metadata });
  return { inputs: p.inputs.map((i) => ({ ...i.record, tensor: toOrt(i.host) })), notes: p.notes };
}
