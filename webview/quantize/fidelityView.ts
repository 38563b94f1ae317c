/**
 * How the report panel words one output's fidelity. Integer outputs (class ids from an ArgMax, NMS indices,
 * counts) are judged by the share of elements equal to the float model's (core/quantize/report.ts exactMatch),
 * not by cosine: the panel shows that share where it showed "—".
 */
import type { OutputFidelity } from '../../extension/core/quantize/report';

/** NaN and ±Infinity arrive as null from a saved JSON report. */
type Saved<T> = { [K in keyof T]: T[K] extends number ? number | null : T[K] };
export type ShownOutput = Saved<OutputFidelity>;

export const pct = (v: number | null | undefined): string => (v === undefined || v === null || Number.isNaN(v) ? '—' : `${(v * 100).toFixed(1)}%`);

export function signalText(o: ShownOutput): string {
  if (o.shapeMismatch) return `shape differs: ${o.shapeMismatch}`;
  if (o.exactMatch !== undefined && o.exactMatch !== null) return 'ok (integer output: judged by equal elements)';
  return o.signal === 'none' ? 'none: the float output is constant here' : o.signal === 'collapsed' ? 'collapsed: int8 output is constant' : 'ok';
}

export function cosineText(o: ShownOutput): string {
  if (o.exactMatch !== undefined && o.exactMatch !== null) return '— (integer)';
  return o.signal === 'none' || o.cosine === null || Number.isNaN(o.cosine) ? '—' : o.cosine.toFixed(5);
}

/** Top-1 agreement of class scores, or the equal-element share of an integer output. */
export function agreementText(o: ShownOutput): string {
  if (o.exactMatch !== undefined && o.exactMatch !== null) return `${pct(o.exactMatch)} of elements equal`;
  return o.classScores === false ? '— (not class scores)' : pct(o.top1Agreement);
}

/** Sort key of the agreement column (equal share or top-1; −1 when neither applies). */
export function agreementValue(o: ShownOutput): number {
  if (o.exactMatch !== undefined && o.exactMatch !== null) return o.exactMatch;
  return o.classScores === false ? -1 : o.top1Agreement ?? -1;
}

/** One line per input range the fidelity was judged on (generated inputs in several ranges). */
export function rangeLine(g: { range: string; samples: number; outputs: ShownOutput[] }): string {
  return `${g.range} (${g.samples}): ${g.outputs.map((o) => `${o.name} ${o.exactMatch !== undefined && o.exactMatch !== null ? `${pct(o.exactMatch)} equal` : o.signal === 'none' ? 'no signal' : `cosine ${cosineText(o)}${o.signal === 'collapsed' ? ' (collapsed)' : ''}${o.classScores && o.top1Agreement !== undefined ? `, top-1 ${pct(o.top1Agreement)}` : ''}`}`).join('; ')}`;
}
