import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { CancelledError, type CancelSignal } from '../util/progress';
import type { Sample } from './calibration';

export interface OutputFidelity {
  name: string;
  /** Mean over samples. */
  cosine: number;
  /** Signal-to-quantization-noise ratio, dB: 10·log10(Σx² / Σ(x − x̂)²). */
  sqnrDb: number;
  maxAbsError: number;
  /** For class-score outputs ([…, C] with C ≥ 2): how often the top-1 / top-5 classes agree. */
  top1Agreement?: number;
  top5Agreement?: number;
}

export interface FidelityReport {
  samples: number;
  outputs: OutputFidelity[];
}

function asNumbers(t: Tensor): Float64Array | undefined {
  const d = t.data;
  if (d instanceof Float32Array || d instanceof Float64Array || d instanceof Int32Array || d instanceof Uint8Array || d instanceof Int8Array) return Float64Array.from(d as ArrayLike<number>);
  if (d instanceof BigInt64Array) return Float64Array.from(d, (v) => Number(v));
  return undefined;
}

/** Only the feeds a session takes (a quantized model may no longer list old initializer inputs). */
export function feedsFor(session: InferenceSession, sample: Sample): Sample {
  return Object.fromEntries(session.inputNames.filter((n) => sample[n]).map((n) => [n, sample[n]]));
}

function topK(row: Float64Array, k: number): number[] {
  return Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, k);
}

/** Compares the quantized model's outputs with the float model's on the same inputs. */
export async function fidelity(float: InferenceSession, quant: InferenceSession, evalSamples: Sample[]): Promise<FidelityReport> {
  const names = float.outputNames;
  const acc = names.map((name) => ({ name, cos: 0, num: 0, den: 0, maxAbs: 0, top1: 0, top5: 0, rows: 0, classes: false, n: 0 }));
  for (const s of evalSamples) {
    const a = await float.run(feedsFor(float, s));
    const b = await quant.run(feedsFor(quant, s));
    names.forEach((name, i) => {
      const x = a[name] ? asNumbers(a[name]) : undefined;
      const y = b[name] ? asNumbers(b[name]) : undefined;
      if (!x || !y || x.length !== y.length) return;
      const e = acc[i];
      let dot = 0;
      let xx = 0;
      let yy = 0;
      let noise = 0;
      for (let j = 0; j < x.length; j++) {
        dot += x[j] * y[j];
        xx += x[j] * x[j];
        yy += y[j] * y[j];
        const d = x[j] - y[j];
        noise += d * d;
        if (Math.abs(d) > e.maxAbs) e.maxAbs = Math.abs(d);
      }
      e.cos += xx && yy ? dot / Math.sqrt(xx * yy) : xx === yy ? 1 : 0;
      e.num += xx;
      e.den += noise;
      e.n++;
      const dims = a[name].dims;
      const C = dims[dims.length - 1];
      if (a[name].type.startsWith('float') && C >= 2 && C <= 100000 && dims.length <= 3) {
        e.classes = true;
        for (let r = 0; r < x.length / C; r++) {
          const xr = x.subarray(r * C, (r + 1) * C);
          const yr = y.subarray(r * C, (r + 1) * C);
          const tx = topK(xr, Math.min(5, C));
          const ty = topK(yr, Math.min(5, C));
          if (tx[0] === ty[0]) e.top1++;
          if (ty.includes(tx[0])) e.top5++;
          e.rows++;
        }
      }
    });
  }
  return {
    samples: evalSamples.length,
    outputs: acc.filter((e) => e.n > 0).map((e) => ({
      name: e.name,
      cosine: e.cos / e.n,
      sqnrDb: e.den === 0 ? Infinity : 10 * Math.log10(e.num / e.den),
      maxAbsError: e.maxAbs,
      ...(e.classes && e.rows ? { top1Agreement: e.top1 / e.rows, top5Agreement: e.top5 / e.rows } : {}),
    })),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

/** Float vs quantized latency on this machine, runs interleaved (A, B, A, B…) so both see the same load. */
export async function interleavedLatency(float: InferenceSession, quant: InferenceSession, sample: Sample, runs: number, signal?: CancelSignal): Promise<{ runs: number; floatMs: { p50: number; mean: number }; quantizedMs: { p50: number; mean: number }; speedup: number }> {
  const fs = feedsFor(float, sample);
  const qs = feedsFor(quant, sample);
  for (let i = 0; i < 3; i++) { await float.run(fs); await quant.run(qs); }
  const fa: number[] = [];
  const qa: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (signal?.cancelled) throw new CancelledError('quantization cancelled');
    let t = performance.now();
    await float.run(fs);
    fa.push(performance.now() - t);
    t = performance.now();
    await quant.run(qs);
    qa.push(performance.now() - t);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { runs, floatMs: { p50: median(fa), mean: mean(fa) }, quantizedMs: { p50: median(qa), mean: mean(qa) }, speedup: median(fa) / median(qa) };
}
