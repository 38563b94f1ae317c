/** Messages between the LLM panel and its webview. Both sides import this file. */
import type { LlmRunRecord, LlmSample } from '../../extension/core/llm/runRecord';
import { hasType, isObject, isString } from '../shared/messages';

/** A run in the list: enough to choose it. */
export interface RunSummary {
  id: string;
  model: string;
  measuredOn: string;
  setup: string;
  /** `measured` (our bench) or the import format. */
  source: string;
  status?: LlmRunRecord['status'];
  when?: string;
  prefillTps?: number;
  decodeTps?: number;
}

/** One point of the shape explorer: a decoder shape and what it measured. */
export interface ShapePoint {
  id: string;
  label: string;
  params: number;
  sizeBytes?: number;
  decodeTps: number;
  ttftMs: number;
  prefillTps?: number;
  cached?: boolean;
}

export type ToLlmWebview =
  | { type: 'runs'; runs: RunSummary[]; root?: string }
  | { type: 'run'; run: LlmRunRecord; live: boolean }
  /** While a bench runs: the samples and decode latencies that arrived since the last message. */
  | { type: 'live'; id: string; samples: LlmSample[]; decodeTimelineMs?: number[][]; message?: string }
  | { type: 'compare'; runs: LlmRunRecord[]; baseline: number; title?: string }
  | { type: 'busy'; message: string; cancellable: boolean }
  | { type: 'idle'; message?: string }
  | { type: 'shapes'; points: ShapePoint[]; done: boolean; target: string; measured: number; cached: number }
  | { type: 'error'; message: string };

export type FromLlmWebview =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'bench' }
  | { type: 'import' }
  | { type: 'cancel' }
  | { type: 'select'; id: string }
  | { type: 'compare'; ids: string[]; baseline: number }
  | { type: 'export'; ids: string[]; format: 'csv' | 'json'; compare: boolean }
  | { type: 'quantize'; id: string }
  | { type: 'explore'; space: string; target: string; promptTokens: number; genTokens: number }
  | { type: 'exportShape'; id: string };

const MAX_RUNS = 16;
const isId = (v: unknown): v is string => isString(v, 300) && v.length > 0;
const isIds = (v: unknown, min: number): v is string[] => Array.isArray(v) && v.length >= min && v.length <= MAX_RUNS && v.every(isId) && new Set(v).size === v.length;
const isCount = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;

export function isFromLlmWebview(m: unknown): m is FromLlmWebview {
  if (!isObject(m)) return false;
  const keys = Object.keys(m).length;
  if (hasType(m, 'ready') || hasType(m, 'refresh') || hasType(m, 'bench') || hasType(m, 'import') || hasType(m, 'cancel')) return keys === 1;
  if (hasType(m, 'select') || hasType(m, 'quantize') || hasType(m, 'exportShape')) return keys === 2 && isId(m.id);
  if (hasType(m, 'compare')) return keys === 3 && isIds(m.ids, 2) && typeof m.baseline === 'number' && Number.isInteger(m.baseline) && m.baseline >= 0 && m.baseline < m.ids.length;
  if (hasType(m, 'export')) return keys === 4 && isIds(m.ids, 1) && (m.format === 'csv' || m.format === 'json') && typeof m.compare === 'boolean' && (!m.compare || m.ids.length >= 2);
  if (hasType(m, 'explore')) return keys === 5 && isString(m.space, 20_000) && isString(m.target, 200) && m.target.length > 0 && isCount(m.promptTokens, 4096) && isCount(m.genTokens, 4096);
  return false;
}
