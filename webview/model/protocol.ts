/** Messages between the .onnx model editor and its webview. Both sides import this file. */
import type { ModelSummary } from '../../extension/core/onnx/summary';
import type { GraphView } from '../../extension/core/onnx/graph';
import type { TfliteSummary } from '../../extension/core/tflite/summary';
import { hasType, isObject, isString } from '../shared/messages';

export type ToModelWebview =
  | { type: 'model'; fileName: string; summary: ModelSummary; graph: GraphView }
  | { type: 'error'; fileName: string; message: string }
  /** A .tflite file: its own summary, and its main subgraph in the same graph model as ONNX. */
  | { type: 'tfliteModel'; fileName: string; summary: TfliteSummary; graph: GraphView }
  /** Per-node share of run time from the latest profile of this model (node name → 0..1). */
  | { type: 'profileOverlay'; label: string; shares: Record<string, number> };

export type FromModelWebview =
  | { type: 'ready' }
  | { type: 'profile'; target: 'host' | 'phone' }
  | { type: 'quantize' }
  | { type: 'copy'; text: string };

/** The host trusts nothing a webview sends: this checks every field. */
export function isFromModelWebview(m: unknown): m is FromModelWebview {
  if (!isObject(m)) return false;
  if (hasType(m, 'ready')) return Object.keys(m).length === 1;
  if (hasType(m, 'profile')) return m.target === 'host' || m.target === 'phone';
  if (hasType(m, 'quantize')) return Object.keys(m).length === 1;
  if (hasType(m, 'copy')) return isString(m.text, 100_000);
  return false;
}
