/** Messages between the Search panel and its webview. Both sides import this file. */
import type { SearchReport, ExportReport } from '../../extension/core/search/run';
import { hasType, isObject, isString } from '../shared/messages';

export interface PlotPoint {
  id: string;
  latencyMs: number;
  score: number;
}

export type ToSearchWebview =
  | { type: 'start'; title: string; budgetMs: number; scoreLabel: string; scoreKind: 'accuracy' | 'proxy'; evaluations: number }
  | { type: 'points'; evaluations: number; points: PlotPoint[]; best?: PlotPoint }
  | { type: 'done'; report: SearchReport }
  | { type: 'exported'; id: string; export: ExportReport }
  | { type: 'error'; message: string };

export type FromSearchWebview =
  | { type: 'ready' }
  | { type: 'cancel' }
  | { type: 'export'; id: string }
  | { type: 'open'; id: string };

export function isFromSearchWebview(m: unknown): m is FromSearchWebview {
  if (!isObject(m)) return false;
  if (hasType(m, 'ready') || hasType(m, 'cancel')) return Object.keys(m).length === 1;
  if (hasType(m, 'export') || hasType(m, 'open')) return Object.keys(m).length === 2 && isString(m.id, 500);
  return false;
}
