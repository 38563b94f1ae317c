/** A TFLite tensor's stored values for the graph view's inspector (see onnx/tensorValues.ts). */
import { decodeNumbers, summarizeValues, type TensorValues } from '../onnx/tensorValues';
import { loadTflite, type LoadedTflite } from './reader';
import { tensorRef } from './summary';
import type { SubGraph } from './schema_generated';

/** `ref` is `subgraph:tensorIndex`, as layoutTfliteGraph gives it. */
export function tfliteTensorValues(loaded: LoadedTflite, ref: string): TensorValues {
  const m = /^(\d+):(\d+)$/.exec(ref);
  if (!m) throw new Error(`"${ref}" is not a TFLite tensor reference (subgraph:tensor)`);
  const [sub, index] = [Number(m[1]), Number(m[2])];
  if (sub >= loaded.model.subgraphsLength()) throw new Error(`the model has no subgraph ${sub}`);
  const g = loaded.model.subgraphs(sub) as SubGraph;
  if (index >= g.tensorsLength()) throw new Error(`subgraph ${sub} has no tensor ${index}`);
  const r = tensorRef(g, index);
  const t = g.tensors(index);
  const shape = r.shape.map((d) => d ?? 0);
  const count = shape.reduce((a, b) => a * b, 1);
  const base: TensorValues = { ref, name: r.name, dtype: r.type, shape, count };
  const q = t?.quantization();
  if (q && q.scaleLength()) {
    base.quantization = {
      scale: Array.from({ length: q.scaleLength() }, (_, i) => q.scale(i) ?? 0),
      zeroPoint: Array.from({ length: q.zeroPointLength() }, (_, i) => Number(q.zeroPoint(i) ?? 0)),
    };
  }
  const b = loaded.model.buffers(t?.buffer() ?? 0);
  let bytes: Uint8Array | undefined;
  if (b?.dataLength()) bytes = b.dataArray() ?? undefined;
  else if (b && b.offset() > 1n && b.offset() + b.size() <= BigInt(loaded.fileBytes)) bytes = loaded.bytes.subarray(Number(b.offset()), Number(b.offset() + b.size()));
  if (!bytes) return { ...base, note: 'this tensor has no stored data (an activation)' };
  if (t?.sparsity()) return { ...base, note: 'sparse tensors are not decoded' };
  const values = decodeNumbers(r.type, bytes, count);
  if (!values) return { ...base, note: `the values of a ${r.type} tensor cannot be shown` };
  return { ...base, ...summarizeValues(values) };
}

export async function tfliteFileTensor(file: string, ref: string): Promise<TensorValues> {
  return tfliteTensorValues(await loadTflite(file), ref);
}
