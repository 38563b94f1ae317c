/** A profile: `mobileai profile --json` prints this (README documents it). */
export interface Stats {
  mean: number;
  std: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

export interface NodeTime {
  name: string;
  opType: string;
  provider?: string;
  /** Mean time per measured run, microseconds. */
  meanUs: number;
  /** Share of the mean run time (0..1). */
  share: number;
  /** Times the node ran per measured run (1 unless inside a loop). */
  callsPerRun: number;
}

export interface OpTypeTime {
  opType: string;
  meanUs: number;
  share: number;
  nodes: number;
}

export interface TimelineEvent {
  name: string;
  opType: string;
  startUs: number;
  durUs: number;
}

export interface ProfileResult {
  schema: 'mobileai.profile/1';
  model: { file: string; name: string; bytes?: number };
  device: { kind: 'host' | 'phone'; label: string; serial?: string; soc?: string; note?: string };
  runtime: { name: 'onnxruntime' | 'tflite'; runner: string; version?: string; optimization?: string; executionProvider?: string; threads?: number };
  settings: {
    runs: number;
    warmup: number;
    dims: Record<string, number>;
    inputs: Array<{ name: string; type: string; shape: number[]; source: string }>;
  };
  /** Per measured run, from the runtime's own run events (warm-up excluded). */
  latencyMs: Stats;
  /** Wall-clock time around each measured run as the caller saw it, when known. */
  wallMs?: Stats;
  /** How much of the run the per-op kernel times cover (0..1). */
  kernelCoverage: number;
  /** Peak bytes in use by the runtime's allocator during the measured runs, when the runtime reports it. */
  peakMemoryBytes?: number;
  /** Peak resident memory of the process that ran the model, when known. */
  peakRssBytes?: number;
  nodes: NodeTime[];
  opTypes: OpTypeTime[];
  /** One measured run (the median one), op by op. */
  timeline: { run: number; totalUs: number; events: TimelineEvent[] };
  warnings: string[];
  createdAt: string;
}

export function stats(values: number[]): Stats {
  if (!values.length) return { mean: NaN, std: NaN, p50: NaN, p90: NaN, p99: NaN, min: NaN, max: NaN };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return s[lo] + (s[hi] - s[lo]) * (i - lo);
  };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std, p50: q(0.5), p90: q(0.9), p99: q(0.99), min: s[0], max: s[s.length - 1] };
}
