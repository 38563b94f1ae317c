/** Messages between the Search panel and its webview. Both sides import this file. */
import type { SearchReport, ExportReport, MultiSearchReport } from '../../extension/core/search/run';
import type { ArchView } from '../../extension/core/search/describe';
import { hasType, isObject, isString } from '../shared/messages';

export interface PlotPoint {
  id: string;
  latencyMs: number;
  score: number;
}

export type ToSearchWebview =
  /** `targets`: one per phone when the search covers several (their names and budgets). */
  | { type: 'start'; title: string; budgetMs: number; scoreLabel: string; scoreKind: 'accuracy' | 'proxy'; evaluations: number; targets?: Array<{ name: string; budgetMs: number }> }
  | { type: 'points'; evaluations: number; points: PlotPoint[]; best?: PlotPoint; target?: number }
  | { type: 'done'; report: SearchReport }
  | { type: 'doneMulti'; report: MultiSearchReport }
  /** The architecture of a point the user selected, per stage. */
  | { type: 'arch'; id: string; view: ArchView }
  | { type: 'exported'; id: string; export: ExportReport }
  | { type: 'error'; message: string };

export type FromSearchWebview =
  | { type: 'ready' }
  | { type: 'cancel' }
  | { type: 'select'; id: string }
  | { type: 'export'; id: string }
  | { type: 'open'; id: string };

export function isFromSearchWebview(m: unknown): m is FromSearchWebview {
  if (!isObject(m)) return false;
  if (hasType(m, 'ready') || hasType(m, 'cancel')) return Object.keys(m).length === 1;
  if (hasType(m, 'export') || hasType(m, 'open') || hasType(m, 'select')) return Object.keys(m).length === 2 && isString(m.id, 500);
  return false;
}
