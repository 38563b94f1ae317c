import * as os from 'node:os';
import * as path from 'node:path';
import { stats, type ProfileResult } from '../profile/types';
import { runLiteRt, type LiteRtRunOptions } from './runtime';

export interface LiteRtProfileOptions {
  runs?: number;
  warmup?: number;
  threads?: number;
  signal?: LiteRtRunOptions['signal'];
  deviceLabel?: string;
  packageDir?: string;
}

export const LITERT_PER_OP_NOTE = 'LiteRT.js has no per-op profiler: this is whole-run latency only. Per-op times need benchmark_model --enable_op_profiling=true on a phone (mobileai profile MODEL.tflite --device SERIAL --tflite-runner PATH).';

/**
 * `mobileai profile model.tflite` on this computer: LiteRT.js (WebAssembly, XNNPACK) runs exactly `warmup` then
 * `runs` times; the profile has whole-run latency, init and first-inference times, and no per-op rows.
 */
export async function profileTfliteOnHost(modelFile: string, o: LiteRtProfileOptions = {}): Promise<ProfileResult> {
  const runs = Math.max(1, Math.floor(o.runs ?? 20));
  const warmup = Math.max(0, Math.floor(o.warmup ?? 3));
  const r = await runLiteRt(modelFile, { numRuns: runs, minSecs: 0, warmupRuns: warmup, warmupMinSecs: 0, maxSecs: 3600, signal: o.signal, packageDir: o.packageDir });
  const ms = r.runsUs.map((us) => us / 1000);
  const latencyMs = stats(ms);
  const sorted = [...r.runsUs].sort((a, b) => a - b);
  const medianUs = sorted[Math.floor((sorted.length - 1) / 2)];
  const warnings = [LITERT_PER_OP_NOTE];
  if (o.threads && o.threads > 1) warnings.push(`--threads ${o.threads}: LiteRT.js runs on one thread under Node; the model ran single-threaded.`);
  return {
    schema: 'mobileai.profile/1',
    model: { file: path.resolve(modelFile), name: path.basename(modelFile), bytes: r.fileBytes },
    device: {
      kind: 'host',
      label: o.deviceLabel ?? `host CPU (${os.cpus()[0]?.model?.trim() ?? os.arch()}, ${os.cpus().length} cores)`,
      note: 'LiteRT.js (WebAssembly, XNNPACK) on the host CPU, one thread',
    },
    runtime: { name: 'tflite', runner: `LiteRT.js ${r.version} (WebAssembly)`, version: r.version, executionProvider: 'XNNPACK', threads: 1 },
    settings: {
      runs: r.runsUs.length,
      warmup: r.warmupUs.length,
      dims: {},
      inputs: r.inputs.map((i) => ({ name: i.name, type: i.dtype, shape: i.shape, source: 'generated', data: i.data })),
    },
    latencyMs,
    kernelCoverage: 0,
    peakRssBytes: r.maxRssKb.end * 1024,
    nodes: [],
    opTypes: [],
    timeline: { run: Math.max(0, r.runsUs.indexOf(medianUs)), totalUs: medianUs ?? 0, events: [] },
    warnings,
    createdAt: new Date().toISOString(),
    phases: {
      initMs: r.initUs / 1000,
      firstInferenceMs: r.warmupUs.length ? r.warmupUs[0] / 1000 : r.runsUs[0] / 1000,
      ...(r.warmupUs.length ? { warmupMeanMs: r.warmupUs.reduce((a, b) => a + b, 0) / r.warmupUs.length / 1000 } : {}),
    },
    memory: { initDeltaMb: (r.maxRssKb.init - r.maxRssKb.start) / 1024, overallDeltaMb: (r.maxRssKb.end - r.maxRssKb.start) / 1024 },
  };
}
