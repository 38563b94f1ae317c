import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { CancelledError, type CancelSignal } from '../util/progress';
import type { Sample } from './calibration';

/**
 * What an output's comparison can say: `ok` (the float output varies, so cosine and SQNR mean something),
 * `none` (the float output is constant on these inputs — all zeros, or one value everywhere — so any model
 * that prints the same constant "agrees": no signal to judge, never a cosine of 1), `collapsed` (the float
 * output varies but the quantized one is constant: the quantized model no longer depends on its input).
 */
export type Signal = 'ok' | 'none' | 'collapsed';

export interface OutputFidelity {
  name: string;
  /** Mean over samples (over all samples stacked for outputs of one value per sample); NaN (null in JSON) without a signal. */
  cosine: number;
  /** Signal-to-quantization-noise ratio, dB: 10·log10(Σx² / Σ(x − x̂)²). */
  sqnrDb: number;
  maxAbsError: number;
  signal: Signal;
  /** For class-score outputs ([…, C] with C ≥ 2): how often the top-1 / top-5 classes agree. */
  top1Agreement?: number;
  top5Agreement?: number;
  /** True when the output looks like class scores (rank ≤ 2 logits, rows of probabilities, or a score/logit/prob name): the top-1 target applies. */
  classScores?: boolean;
  /** The float output's range over the evaluation inputs. */
  floatRange: [number, number];
  /**
   * Integer or bool outputs (class ids from an ArgMax, NMS indices, counts): the share of elements equal to the
   * float model's. A cosine over ids says nothing (label 7 for 8 scores 0.99), so these are judged by this.
   */
  exactMatch?: number;
  /**
   * The quantized model's output has another shape than the float one's on some input (a data-dependent size:
   * NMS keeping more or fewer boxes): said with both shapes, and a miss, never an output left out.
   */
  shapeMismatch?: string;
}

export interface FidelityReport {
  samples: number;
  outputs: OutputFidelity[];
  /** Where the evaluation inputs came from (held out from calibration, or why not). */
  source?: string;
  /**
   * Generated inputs in several ranges (0..1 and -1..1 pictures, noise): each range's own numbers. The target
   * must hold on each; `outputs` above then holds each output's worst over them.
   */
  byRange?: RangeFidelity[];
}

/** Fidelity on the held-out inputs of one input range. */
export interface RangeFidelity {
  range: string;
  samples: number;
  outputs: OutputFidelity[];
}

/** Held-out inputs of one input range with their float outputs. */
export interface RangeReference {
  range: string;
  reference: FloatReference;
}

const worse = (a: number, b: number) => (Number.isNaN(a) ? a : Number.isNaN(b) ? b : Math.min(a, b));

/** Each output's worst numbers over the ranges (an output without signal in a range does not count there). */
function worstOf(groups: RangeFidelity[]): OutputFidelity[] {
  const names = [...new Set(groups.flatMap((g) => g.outputs.map((o) => o.name)))];
  return names.map((name) => {
    const all = groups.map((g) => g.outputs.find((o) => o.name === name)).filter((o): o is OutputFidelity => !!o);
    const judged = all.filter((o) => o.signal !== 'none');
    if (!judged.length) return all[0];
    const pick = <K extends keyof OutputFidelity>(k: K) => judged.map((o) => o[k]).filter((v) => v !== undefined) as number[];
    const min = (k: 'cosine' | 'sqnrDb' | 'top1Agreement' | 'top5Agreement' | 'exactMatch') => { const v = pick(k); return v.length ? v.reduce(worse) : undefined; };
    const out: OutputFidelity = {
      ...judged[0],
      cosine: min('cosine') as number, sqnrDb: min('sqnrDb') as number,
      maxAbsError: judged.map((o) => o.maxAbsError).reduce((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b))),
      signal: judged.some((o) => o.signal === 'collapsed') ? 'collapsed' : 'ok',
      floatRange: [Math.min(...all.map((o) => o.floatRange[0])), Math.max(...all.map((o) => o.floatRange[1]))],
    };
    for (const k of ['top1Agreement', 'top5Agreement', 'exactMatch'] as const) { const v = min(k); if (v !== undefined) out[k] = v; }
    const mismatch = judged.find((o) => o.shapeMismatch);
    if (mismatch) out.shapeMismatch = mismatch.shapeMismatch;
    if (judged.some((o) => o.classScores)) out.classScores = true;
    return out;
  });
}

/**
 * Fidelity on each range's held-out inputs (at most `limit` samples each); one range gives the plain report.
 */
export async function rangeFidelity(groups: RangeReference[], quant: InferenceSession, limit?: number): Promise<FidelityReport> {
  const sub = (r: FloatReference) => (limit !== undefined ? r.head(limit) : r);
  if (groups.length === 1) return fidelity(sub(groups[0].reference), quant);
  const byRange: RangeFidelity[] = [];
  for (const g of groups) {
    const f = await fidelity(sub(g.reference), quant);
    byRange.push({ range: g.range, samples: f.samples, outputs: f.outputs });
  }
  return { samples: byRange.reduce((a, g) => a + g.samples, 0), outputs: worstOf(byRange), byRange };
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

/**
 * The float model's outputs on the evaluation inputs, computed once: the accuracy-aware loop compares many
 * candidate models against them.
 */
export class FloatReference {
  constructor(readonly session: InferenceSession, readonly samples: Sample[], private readonly cache: Array<Record<string, { data: Float64Array; dims: readonly number[]; type: string }>> = []) {}

  /** The first n samples, sharing the outputs computed so far. */
  head(n: number): FloatReference {
    return n < this.samples.length ? new FloatReference(this.session, this.samples.slice(0, n), this.cache) : this;
  }

  get names(): readonly string[] {
    return this.session.outputNames;
  }

  async outputs(i: number): Promise<Record<string, { data: Float64Array; dims: readonly number[]; type: string }>> {
    if (!this.cache[i]) {
      const out = await this.session.run(feedsFor(this.session, this.samples[i]));
      const rec: Record<string, { data: Float64Array; dims: readonly number[]; type: string }> = {};
      for (const n of this.names) {
        const d = out[n] ? asNumbers(out[n]) : undefined;
        if (d) rec[n] = { data: d, dims: out[n].dims, type: out[n].type };
      }
      this.cache[i] = rec;
    }
    return this.cache[i];
  }
}

const isConstant = (lo: number, hi: number) => !(hi - lo > 1e-7 * Math.max(1, Math.abs(lo), Math.abs(hi)));

/** Compares the quantized model's outputs with the float model's on the same (held-out) inputs. */
export async function fidelity(float: InferenceSession | FloatReference, quant: InferenceSession, evalSamples?: Sample[]): Promise<FidelityReport> {
  const ref = float instanceof FloatReference ? float : new FloatReference(float, evalSamples ?? []);
  const samplesUsed = ref.samples;
  const names = ref.names;
  const acc = names.map((name) => ({
    name, cos: 0, num: 0, den: 0, maxAbs: 0, top1: 0, top5: 0, rows: 0, classes: false, probRows: true, n: 0, dot: 0, xx: 0, yy: 0, single: true,
    fmin: Infinity, fmax: -Infinity, qmin: Infinity, qmax: -Infinity, qnan: false, rank: 0, C: 0,
    integer: false, equal: 0, elements: 0, mismatch: undefined as string | undefined,
  }));
  for (let s = 0; s < samplesUsed.length; s++) {
    const a = await ref.outputs(s);
    const b = await quant.run(feedsFor(quant, samplesUsed[s]));
    names.forEach((name, i) => {
      const x = a[name]?.data;
      const y = b[name] ? asNumbers(b[name]) : undefined;
      if (!x) return;
      const e = acc[i];
      if (!y || x.length !== y.length) {
        e.mismatch ??= `on evaluation input ${s + 1} the float output is ${a[name].dims.join('×') || 'a scalar'} and the quantized one ${b[name] ? b[name].dims.join('×') || 'a scalar' : 'missing'}`;
        e.n++;
        return;
      }
      if (!a[name].type.startsWith('float')) {
        e.integer = true;
        for (let j = 0; j < x.length; j++) if (x[j] === y[j]) e.equal++;
        e.elements += x.length;
      }
      let dot = 0;
      let xx = 0;
      let yy = 0;
      let noise = 0;
      for (let j = 0; j < x.length; j++) {
        const xv = x[j];
        const yv = y[j];
        dot += xv * yv;
        xx += xv * xv;
        yy += yv * yv;
        const d = xv - yv;
        noise += d * d;
        if (!(Math.abs(d) <= e.maxAbs)) e.maxAbs = Number.isNaN(d) ? NaN : Math.max(e.maxAbs, Math.abs(d));
        if (xv < e.fmin) e.fmin = xv;
        if (xv > e.fmax) e.fmax = xv;
        if (yv < e.qmin) e.qmin = yv;
        if (yv > e.qmax) e.qmax = yv;
        if (Number.isNaN(yv)) e.qnan = true;
      }
      e.cos += xx && yy ? dot / Math.sqrt(xx * yy) : 0;
      e.dot += dot;
      e.xx += xx;
      e.yy += yy;
      e.single &&= x.length === 1;
      e.num += xx;
      e.den += noise;
      e.n++;
      const dims = a[name].dims;
      const C = dims[dims.length - 1];
      e.rank = dims.length;
      e.C = C;
      if (a[name].type.startsWith('float') && C >= 2 && C <= 100000 && dims.length <= 3) {
        e.classes = true;
        for (let r = 0; r < x.length / C; r++) {
          const xr = x.subarray(r * C, (r + 1) * C);
          const yr = y.subarray(r * C, (r + 1) * C);
          let sum = 0;
          let neg = false;
          for (const v of xr) { sum += v; if (v < 0) neg = true; }
          if (neg || Math.abs(sum - 1) > 1e-3) e.probRows = false;
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
    samples: samplesUsed.length,
    outputs: acc.filter((e) => e.n > 0).map((e): OutputFidelity => {
      if (e.mismatch) {
        return { name: e.name, cosine: NaN, sqnrDb: NaN, maxAbsError: NaN, signal: 'ok', floatRange: [e.fmin, e.fmax], shapeMismatch: e.mismatch };
      }
      const floatConstant = isConstant(e.fmin, e.fmax);
      const quantConstant = !e.qnan && isConstant(e.qmin, e.qmax);
      // Equal ids are agreement even when the float ids are all one value: an int output is judged by matches.
      const signal: Signal = e.integer ? 'ok' : floatConstant ? 'none' : quantConstant ? 'collapsed' : 'ok';
      // One value per sample: a per-sample cosine is only the sign; compare the samples stacked instead.
      const cosine = signal === 'none' ? NaN : e.qnan ? NaN : e.single ? (e.xx && e.yy ? e.dot / Math.sqrt(e.xx * e.yy) : 0) : e.cos / e.n;
      const classScores = e.classes && (e.rank <= 2 || e.probRows || /score|logit|prob|class|label|conf/i.test(e.name));
      return {
        name: e.name,
        cosine,
        sqnrDb: signal === 'none' ? NaN : e.qnan ? -Infinity : e.den === 0 ? Infinity : e.num === 0 ? -Infinity : 10 * Math.log10(e.num / e.den),
        maxAbsError: e.maxAbs,
        signal,
        ...(e.classes && e.rows ? { top1Agreement: e.top1 / e.rows, top5Agreement: e.top5 / e.rows, classScores } : {}),
        floatRange: [e.fmin, e.fmax],
        ...(e.integer ? { exactMatch: e.elements ? e.equal / e.elements : 1 } : {}),
      };
    }),
  };
}

/* ------------------------------------------------------------------ */
/* Calibration ranges against the evaluation inputs' ranges             */

export interface RangeDrift {
  tensor: string;
  calibration: [number, number];
  evaluation: [number, number];
  /** Share of evaluation values outside the calibrated range (clipped by int8 saturation). */
  clipped: number;
  /** Evaluation span / calibrated span: far below 1 wastes int8 resolution, far above 1 clips. */
  spanRatio: number;
}

/**
 * Tensors whose calibrated range is far from what the evaluation inputs produce: more than 5 % of the
 * evaluation values clipped, or an evaluation span over 2× or under 1/10 of the calibrated one. Worst first.
 */
export function rangeDrift(calibration: Map<string, [number, number]>, evaluation: Map<string, { min: number; max: number; clippedCount: number; count: number }>): RangeDrift[] {
  const out: Array<RangeDrift & { severity: number }> = [];
  for (const [t, c] of calibration) {
    const e = evaluation.get(t);
    if (!e || !e.count) continue;
    const cs = c[1] - c[0];
    const es = e.max - e.min;
    const clipped = e.clippedCount / e.count;
    const spanRatio = cs > 0 ? es / cs : es > 0 ? Infinity : 1;
    const far = clipped > 0.05 || spanRatio > 2 || spanRatio < 0.1;
    if (!far) continue;
    const severity = Math.max(clipped * 100, Math.abs(Math.log2(Math.max(spanRatio, 1e-9))));
    out.push({ tensor: t, calibration: c, evaluation: [e.min, e.max], clipped, spanRatio, severity });
  }
  return out.sort((a, b) => b.severity - a.severity).map(({ severity: _s, ...r }) => r);
}

/** In words, the model's inputs first (the most telling: the data itself differs), then the worst tensors. */
export function describeDrift(d: RangeDrift[], total: number, modelInputs: string[] = []): string {
  const fmt = (r: [number, number]) => `[${r[0].toPrecision(3)}, ${r[1].toPrecision(3)}]`;
  const ratio = (v: number) => (v >= 10 ? String(Math.round(v)) : v.toPrecision(2));
  const ordered = [...d.filter((x) => modelInputs.includes(x.tensor)), ...d.filter((x) => !modelInputs.includes(x.tensor))];
  const worst = ordered.slice(0, 3).map((x) => `${modelInputs.includes(x.tensor) ? 'model input ' : ''}${x.tensor} calibrated ${fmt(x.calibration)}, evaluation ${fmt(x.evaluation)} (${(x.clipped * 100).toFixed(1)}% clipped, span ×${ratio(x.spanRatio)})`);
  return `calibration ranges are far from the evaluation inputs' on ${d.length} of ${total} tensors: ${worst.join('; ')}${d.length > 3 ? '; …' : ''}. Calibrate on data like what the model will see.`;
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

/**
 * Runs the evaluation inputs through a session that outputs the calibrated tensors (an augmented model) and
 * compares what they span with the calibrated ranges. Releases the session.
 */
export async function augmentedDrift(augmented: InferenceSession, ranges: Map<string, [number, number]>, evalSamples: Sample[]): Promise<RangeDrift[]> {
  const tensors = [...ranges.keys()].filter((t) => augmented.outputNames.includes(t));
  const seen = new Map<string, { min: number; max: number; clippedCount: number; count: number }>();
  try {
    if (!tensors.length) return [];
    for (const s of evalSamples) {
      const out = await augmented.run(feedsFor(augmented, s), tensors);
      for (const t of tensors) {
        const v = out[t];
        const r = ranges.get(t);
        if (!v || v.type !== 'float32' || !r) continue;
        const e = seen.get(t) ?? { min: Infinity, max: -Infinity, clippedCount: 0, count: 0 };
        for (const x of v.data as Float32Array) {
          if (x < e.min) e.min = x;
          if (x > e.max) e.max = x;
          if (x < r[0] || x > r[1]) e.clippedCount++;
        }
        e.count += (v.data as Float32Array).length;
        seen.set(t, e);
      }
    }
  } finally {
    await augmented.release().catch(() => undefined);
  }
  return rangeDrift(ranges, seen);
}
