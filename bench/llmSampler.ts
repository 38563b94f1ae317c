/**
 * The phone sampler's overhead on an LLM run: the same ONNX decoder bench (`runLlmBench`, runner onnx, the shared
 * tiny GPT-2 with a KV cache) on the virtual phone through a private real adb server, with and without the
 * sampler, interleaved (off, on, off, on, …) so machine load hits both alike. The figure compared is the run's
 * own compute time per repetition (prefill time + the sum of the decode steps' latencies), not wall time (the
 * sampled run also waits an idle second for the gauge's sign). Target: ≤ 2 %.
 * On the virtual phone the loop shares the host process with onnxruntime-node (one event loop), which is a harder
 * case than a phone, where the loop runs on another core.
 * Called by bench/llm.bench.ts (`npm run bench -- llm`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdbService } from '../extension/core/adb/adbService';
import { runLlmBench } from '../extension/core/llm/bench';
import type { LlmRunRecord } from '../extension/core/llm/runRecord';
import { startPhoneOverAdb } from '../test/helpers/phoneAdb';
import { type Metric, summarize } from './report';

const MODEL = path.resolve(__dirname, '..', '..', 'shared', 'data', 'models', 'tiny-random-gpt2-fp32-past.onnx');
const P = Number(process.env.MOBILEAI_BENCH_SAMPLER_P ?? 64);
const D = Number(process.env.MOBILEAI_BENCH_SAMPLER_D ?? 200);
const REPS = Number(process.env.MOBILEAI_BENCH_SAMPLER_REPS ?? 3);
const PAIRS = Number(process.env.MOBILEAI_BENCH_SAMPLER_PAIRS ?? 5);
const HZ = 5;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Compute time per repetition, ms: prefill time + the decode steps' latencies. */
function computeMs(r: LlmRunRecord): number[] {
  const pre = r.timeToFirstTokenMs?.samples ?? [];
  return (r.decodeTimelineMs ?? []).map((tl, i) => (pre[i] ?? 0) + tl.reduce((a, b) => a + b, 0));
}

export async function samplerOverhead(): Promise<{ withoutMs: number; withMs: number; overheadPct: number; overheadPercent: number; metrics: Metric[]; on: Record<string, unknown> }> {
  const phone = await startPhoneOverAdb();
  const runsRoot = await mkdtemp(path.join(os.tmpdir(), 'mobileai-bench-sampler-'));
  const adb = new AdbService({ serverPort: phone.server.port }, { env: phone.server.env });
  const without: number[] = [];
  const withS: number[] = [];
  let achieved: number[] = [];
  try {
    const run = (sampling: boolean) => runLlmBench({ adb, serial: phone.serial, runner: 'onnx', model: MODEL, promptTokens: P, genTokens: D, repetitions: REPS, threads: 1, sampleHz: HZ, runsRoot, noSampling: !sampling });
    await run(false); // warm-up: the model pushed, onnxruntime loaded
    for (let i = 0; i < PAIRS; i++) {
      const order = i % 2 === 0 ? [false, true] : [true, false];
      for (const sampling of order) {
        const r = await run(sampling);
        (sampling ? withS : without).push(...computeMs(r));
        if (sampling) achieved = [...achieved, r.sampling?.achievedHz ?? 0];
      }
      console.log(`sampler overhead pair ${i + 1}/${PAIRS}: without ${median(without).toFixed(2)} ms, with ${median(withS).toFixed(2)} ms per repetition (so far)`);
    }
  } finally {
    await phone.stop();
    await rm(runsRoot, { recursive: true, force: true });
  }
  const withoutMs = median(without);
  const withMs = median(withS);
  const overheadPct = Math.round(((withMs - withoutMs) / withoutMs) * 10000) / 100;
  const on = {
    device: 'virtual phone (onnxruntime_perf_test = onnxruntime-node on the host CPU) over a private real adb server',
    host: `${os.cpus()[0]?.model?.trim()} × ${os.cpus().length}`,
    model: path.basename(MODEL), promptTokens: P, genTokens: D, repetitionsPerRun: REPS, pairs: PAIRS, threads: 1, sampleHz: HZ,
    achievedHz: achieved.map((x) => Math.round(x * 100) / 100),
    figure: 'median compute time per repetition (prefill + decode steps), sampled vs not, interleaved',
  };
  console.log(`sampler overhead: ${overheadPct}% (without ${withoutMs.toFixed(2)} ms, with ${withMs.toFixed(2)} ms per repetition; target ≤ 2 %) on ${JSON.stringify(on)}`);
  const metrics = [
    summarize('sampler_overhead_percent', [overheadPct], '%', { max: 2 }),
    summarize('sampler_off_compute_ms', without, `ms per repetition (P=${P}, D=${D}, virtual phone)`),
    summarize('sampler_on_compute_ms', withS, `ms per repetition (P=${P}, D=${D}, virtual phone, ${HZ} Hz)`),
  ];
  return { withoutMs, withMs, overheadPct, overheadPercent: overheadPct, metrics, on };
}

if (require.main === module) {
  samplerOverhead().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
