/** Messages between the Quantize report panel and its webview. Both sides import this file. */
import type { QuantizeReport } from '../../extension/core/quantize/quantize';
import { hasType, isObject } from '../shared/messages';

export type ToQuantizeWebview =
  | { type: 'progress'; title: string; message: string; fraction?: number }
  | { type: 'report'; report: QuantizeReport }
  | { type: 'error'; message: string }
  | { type: 'cancelled'; message: string };

export type FromQuantizeWebview =
  | { type: 'ready' }
  | { type: 'cancel' }
  | { type: 'openModel' }
  | { type: 'compareProfiles' }
  | { type: 'saveReport' };

export function isFromQuantizeWebview(m: unknown): m is FromQuantizeWebview {
  if (!isObject(m) || Object.keys(m).length !== 1) return false;
  return hasType(m, 'ready') || hasType(m, 'cancel') || hasType(m, 'openModel') || hasType(m, 'compareProfiles') || hasType(m, 'saveReport');
}
