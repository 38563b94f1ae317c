import type { NodeTime, OpTypeTime, ProfileResult, Stats } from './types';

export class TfliteOutputError extends Error {}

/**
 * Parses TFLite's `benchmark_model --enable_op_profiling=true` output: the "Run Order" op table of the
 * regular runs and the summary timings line.
 */
export function parseTfliteBenchmark(text: string): Pick<ProfileResult, 'latencyMs' | 'kernelCoverage' | 'nodes' | 'opTypes' | 'timeline' | 'peakRssBytes'> & { warnings: string[] } {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const warnings: string[] = [];
  const regular = lines.findIndex((l) => /Operator-wise Profiling Info for Regular Benchmark Runs/.test(l));
  if (regular < 0) throw new TfliteOutputError('benchmark_model printed no op profile ("Operator-wise Profiling Info for Regular Benchmark Runs" is missing): was it run with --enable_op_profiling=true?');
  const runOrder = lines.findIndex((l, i) => i > regular && /=+ Run Order =+/.test(l));
  const nodes: Array<NodeTime & { order: number }> = [];
  if (runOrder >= 0) {
    for (let i = runOrder + 2; i < lines.length; i++) {
      const l = lines[i];
      if (!l.trim() || /^=+/.test(l.trim())) break;
      const m = /^\s*(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)\s+(\d+)\s+\[(.*)\]\s*$/.exec(l);
      if (!m) continue;
      const calls = Number(m[7]);
      nodes.push({ order: nodes.length, name: m[8], opType: m[1], meanUs: Number(m[3]) * 1000, share: Number(m[4]) / 100, callsPerRun: calls > 0 ? 1 : 0 });
    }
  }
  if (!nodes.length) throw new TfliteOutputError('the op table of benchmark_model could not be read');
  const timing = lines.slice(regular).find((l) => /count=\d+.*avg=/.test(l)) ?? lines.find((l) => /Timings \(microseconds\):\s*count=/.test(l) && !/Warmup/i.test(l));
  const field = (k: string) => {
    const m = timing ? new RegExp(`\\b${k}=([\\d.e+-]+)`).exec(timing) : null;
    return m ? Number(m[1]) : NaN;
  };
  const avgUs = field('avg');
  const latencyMs: Stats = { mean: avgUs / 1000, std: field('std') / 1000, min: field('min') / 1000, max: field('max') / 1000, p50: NaN, p90: NaN, p99: NaN };
  if (Number.isNaN(avgUs)) warnings.push('benchmark_model printed no timing summary; latency is the sum of op times');
  const opSum = nodes.reduce((a, n) => a + n.meanUs, 0);
  if (Number.isNaN(latencyMs.mean)) latencyMs.mean = opSum / 1000;
  warnings.push('benchmark_model reports mean, std, min and max per run, not percentiles');
  const types = new Map<string, OpTypeTime>();
  for (const n of nodes) {
    const t = types.get(n.opType) ?? { opType: n.opType, meanUs: 0, share: 0, nodes: 0 };
    t.meanUs += n.meanUs;
    t.share += n.share;
    t.nodes++;
    types.set(n.opType, t);
  }
  let start = 0;
  const events = nodes.map((n) => {
    const e = { name: n.name, opType: n.opType, startUs: start, durUs: n.meanUs };
    start += n.meanUs;
    return e;
  });
  const peak = /Peak memory footprint \(MB\):.*overall=([\d.]+)/.exec(text);
  return {
    latencyMs,
    kernelCoverage: latencyMs.mean > 0 ? Math.min(1, opSum / 1000 / latencyMs.mean) : 0,
    nodes: nodes.map(({ order: _order, ...n }) => n).sort((a, b) => b.meanUs - a.meanUs),
    opTypes: [...types.values()].sort((a, b) => b.meanUs - a.meanUs),
    timeline: { run: -1, totalUs: start, events },
    peakRssBytes: peak ? Math.round(Number(peak[1]) * 1024 * 1024) : undefined,
    warnings,
  };
}
