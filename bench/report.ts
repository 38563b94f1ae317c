import { mkdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Metric {
  name: string;
  unit: string;
  samples: number;
  median: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
  target?: { max?: number; min?: number };
  /** Whether the median meets the target (absent when there is none). */
  ok?: boolean;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

const round = (v: number) => (Math.abs(v) < 10 ? Math.round(v * 10000) / 10000 : Math.round(v * 100) / 100);

export function summarize(name: string, values: number[], unit: string, target?: { max?: number; min?: number }): Metric {
  const sorted = [...values].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const m: Metric = {
    name, unit, samples: values.length, median: round(median), p90: round(quantile(sorted, 0.9)), min: round(sorted[0]), max: round(sorted[sorted.length - 1]),
    mean: round(values.reduce((a, b) => a + b, 0) / values.length),
  };
  if (target) {
    m.target = target;
    m.ok = (target.max === undefined || median <= target.max) && (target.min === undefined || median >= target.min);
  }
  return m;
}

/** Writes bench-results/<name>.json and prints a table. */
export async function report(name: string, metrics: Metric[]): Promise<void> {
  const dir = path.resolve(__dirname, '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  const out = { bench: name, at: new Date().toISOString(), machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version }, metrics };
  await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  for (const m of metrics) {
    const t = m.target ? ` target ${m.target.max !== undefined ? `≤ ${m.target.max}` : `≥ ${m.target.min}`} ${m.ok ? 'OK' : 'MISSED'}` : '';
    console.log(`${name}.${m.name}: median ${m.median} ${m.unit} (p90 ${m.p90}, n=${m.samples})${t}`);
  }
}
