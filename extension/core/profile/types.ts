import type { InputRecord } from '../inputs';

/** A profile: `mobileai profile --json` prints this (README documents it). */
export interface Stats {
  mean: number;
  std: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  /** Further percentiles when the runner reports them (benchmark_model's p5/p95, onnxruntime_perf_test's P95/P999). */
  p5?: number;
  p95?: number;
  p999?: number;
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
  /** TFLite: the subgraph and the node's index in it, as benchmark_model names it (`[outputs]:index`). */
  subgraph?: number;
  nodeIndex?: number;
  /** The delegate (XNNPACK, GPU, NNAPI…) that ran this op, when it ran inside a delegate partition. */
  partition?: string;
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
    /** Values of the symbolic dimensions as used (given, from metadata, or by convention). */
    dims: Record<string, number>;
    /** The shapes and values the profile was measured at (source: "generated", "value" or a file name). */
    inputs: InputRecord[];
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
  /** Which ops ran in which delegate, and which fell back to the CPU (TFLite benchmark_model). */
  delegation?: Delegation;
  /** Start-up phases the runner reported (ms). */
  phases?: { sessionCreationMs?: number; initMs?: number; firstInferenceMs?: number; warmupMeanMs?: number };
  /** Memory as the runner reported it, in its own terms. */
  memory?: { initDeltaMb?: number; overallDeltaMb?: number; peakMb?: number; peakWorkingSetBytes?: number };
  /** Where an imported profile came from (`mobileai profile import`). */
  source?: { format: string; file?: string; importedAt: string };
}

export interface Delegation {
  /** Each "Replacing N out of M node(s) with delegate (X) node, yielding K partitions" the runner logged. */
  applied: Array<{ delegate: string; label: string; replaced: number; total: number; partitions: number; subgraph?: number }>;
  /** What benchmark_model said of each delegate it applied (completely / partially / not executed), when it said so. */
  explicit?: Array<{ delegate: string; label: string; executed: 'all' | 'partial' | 'none'; kernels?: number }>;
  /** Op types and time per run that ran in a delegate, per delegate label. */
  delegated: Array<{ label: string; opType: string; nodes: number; meanUs: number }>;
  /** Op types that ran on the CPU with TFLite's builtin kernels (the fallback). */
  cpu: Array<{ opType: string; nodes: number; meanUs: number }>;
  summary: string;
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
