/** Messages between the Quantize report panel and its webview. Both sides import this file. */
import type { QuantizeReport } from '../../extension/core/quantize/quantize';
import { hasType, isObject } from '../shared/messages';

export type ToQuantizeWebview =
  | { type: 'progress'; title: string; message: string; fraction?: number }
  /** `source`: where the settings came from (e.g. mobileai.yaml's recipe), said in the report. */
  | { type: 'report'; report: QuantizeReport; source?: string }
  | { type: 'error'; message: string }
  | { type: 'cancelled'; message: string };

export type FromQuantizeWebview =
  | { type: 'ready' }
  | { type: 'cancel' }
  | { type: 'openModel' }
  | { type: 'compareProfiles' }
  | { type: 'saveReport' }
  /** Quantize again from the same settings, keeping these nodes in float too (to a new file). */
  | { type: 'requantize'; keep: string[] }
  /** Quantize again from the same settings with calibration data the user chooses now. */
  | { type: 'requantizeCalibrated' }
  /** Quantize this model again, choosing every setting (not the manifest's recipe). */
  | { type: 'chooseSettings' };

export function isFromQuantizeWebview(m: unknown): m is FromQuantizeWebview {
  if (isObject(m) && hasType(m, 'requantize')) {
    const keep = (m as { keep?: unknown }).keep;
    return Object.keys(m).length === 2 && Array.isArray(keep) && keep.length > 0 && keep.length <= 64 && keep.every((k) => typeof k === 'string' && k.length > 0 && k.length <= 512);
  }
  if (!isObject(m) || Object.keys(m).length !== 1) return false;
  return hasType(m, 'ready') || hasType(m, 'cancel') || hasType(m, 'openModel') || hasType(m, 'compareProfiles') || hasType(m, 'saveReport') || hasType(m, 'requantizeCalibrated') || hasType(m, 'chooseSettings');
}
