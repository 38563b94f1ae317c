/** Messages between the .onnx model editor and its webview. Both sides import this file. */
import type { ModelSummary } from '../../extension/core/onnx/summary';
import type { GraphView } from '../../extension/core/onnx/graph';
import type { TfliteSummary } from '../../extension/core/tflite/summary';
import type { TensorValues } from '../../extension/core/onnx/tensorValues';
import type { ProfileKernel } from '../../extension/core/onnx/profileMap';
import { hasType, isObject, isString } from '../shared/messages';

/** One row of the editor's inputs form: what the model declares, and the shape and value it runs at. */
export interface InputFormRow {
  name: string;
  type: string;
  /** As declared: numbers, dim names, null for unnamed dims. */
  declared: Array<number | string | null> | null;
  /** `1x3x640x640`; `?` where a dim has no value yet. */
  shape: string;
  /** A value (a scalar, or one number filling the tensor); "" for generated data. */
  value: string;
  /** Indices of dims with no value (the form marks them; Profile and Quantize ask for them). */
  missing: number[];
  /** Conventions and metadata applied (batch = 1, sr = 16000…). */
  notes: string[];
}

export type ToModelWebview =
  | { type: 'model'; fileName: string; summary: ModelSummary; graph: GraphView; inputForm?: InputFormRow[]; inputsSaved?: boolean; inputsError?: string }
  | { type: 'error'; fileName: string; message: string }
  /** A .tflite file: its own summary, and its main subgraph in the same graph model as ONNX. */
  | { type: 'tfliteModel'; fileName: string; summary: TfliteSummary; graph: GraphView }
  /**
   * Per-node share of run time from the latest profile of this model (node name → 0..1), and the profile's
   * kernels (time per run) for the graph view to put back on the original nodes (fused kernels, delegates).
   */
  | { type: 'profileOverlay'; label: string; shares: Record<string, number>; kernels?: ProfileKernel[]; format?: 'onnx' | 'tflite' }
  | TensorValuesMessage;

/** The answer to a `tensor` request: a weight's statistics and histogram, or why not. */
export interface TensorValuesMessage { type: 'tensorValues'; ref: string; values?: TensorValues; error?: string }

export type FromModelWebview =
  | { type: 'ready' }
  | { type: 'profile'; target: 'host' | 'phone' }
  | { type: 'quantize' }
  | { type: 'copy'; text: string }
  /** The inputs form: shapes and values to remember for this model (empty value: generated data). */
  | { type: 'setInputs'; rows: Array<{ name: string; shape: string; value: string }> }
  /** Forget what was chosen: back to what the model says. */
  | { type: 'resetInputs' }
  /** The graph view's weight inspector: the values of an initializer (ONNX: its name; TFLite: `subgraph:tensor`). */
  | { type: 'tensor'; ref: string };

/** The host trusts nothing a webview sends: this checks every field. */
export function isFromModelWebview(m: unknown): m is FromModelWebview {
  if (!isObject(m)) return false;
  if (hasType(m, 'ready')) return Object.keys(m).length === 1;
  if (hasType(m, 'profile')) return m.target === 'host' || m.target === 'phone';
  if (hasType(m, 'quantize')) return Object.keys(m).length === 1;
  if (hasType(m, 'copy')) return isString(m.text, 100_000);
  if (hasType(m, 'setInputs')) return Array.isArray(m.rows) && m.rows.length <= 1000 && m.rows.every((r: unknown) => isObject(r) && isString(r.name, 1000) && isString(r.shape, 200) && isString(r.value, 10_000));
  if (hasType(m, 'resetInputs')) return Object.keys(m).length === 1;
  if (hasType(m, 'tensor')) return Object.keys(m).length === 2 && isString(m.ref, 4096) && m.ref.length > 0;
  return false;
}
