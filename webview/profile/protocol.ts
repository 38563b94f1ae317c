/** Messages between the Profile panel and its webview. Both sides import this file. */
import type { ProfileResult } from '../../extension/core/profile/types';
import type { ProfileComparison } from '../../extension/core/profile/compare';
import { hasType, isObject } from '../shared/messages';

export type ToProfileWebview =
  | { type: 'progress'; title: string; message: string; fraction?: number }
  | { type: 'result'; profile: ProfileResult; baseline?: ProfileResult; comparison?: ProfileComparison }
  | { type: 'error'; message: string }
  | { type: 'cancelled' };

export type FromProfileWebview =
  | { type: 'ready' }
  | { type: 'cancel' }
  | { type: 'export'; format: 'trace' | 'csv' | 'json' }
  | { type: 'compare' }
  | { type: 'rerun' };

const EXPORTS = new Set(['trace', 'csv', 'json']);

export function isFromProfileWebview(m: unknown): m is FromProfileWebview {
  if (!isObject(m)) return false;
  if (hasType(m, 'ready') || hasType(m, 'cancel') || hasType(m, 'compare') || hasType(m, 'rerun')) return Object.keys(m).length === 1;
  if (hasType(m, 'export')) return typeof m.format === 'string' && EXPORTS.has(m.format) && Object.keys(m).length === 2;
  return false;
}
