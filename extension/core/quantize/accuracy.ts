/**
 * Accuracy-aware quantization (Intel Neural Compressor's idea): the user sets a fidelity target on held-out
 * inputs; when the fully quantized model misses it, the most sensitive layers go back to float one at a time,
 * in the order the per-layer sensitivity gives, until the target is met or nothing is left to try. Missing the
 * target is reported as a failure, never as a success.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { CancelSignal } from '../util/progress';
import { CancelledError } from '../util/progress';
import type { CalibrationSpec, Sample } from './calibration';
import { CONVENTION_LABEL } from '../inputs';
import { rangeFidelity, type FidelityReport, type FloatReference, type RangeReference } from './report';
import type { RewriteStats } from './rewrite';

export interface AccuracyTarget {
  /** Every output with a signal: mean cosine at least this. */
  cosine: number;
  /** Every class-score output: top-1 agreement with the float model at least this. */
  top1: number;
}

export const DEFAULT_TARGET: AccuracyTarget = { cosine: 0.99, top1: 0.98 };

/** The worst numbers over a model's outputs. */
export interface Score {
  cosine: number;
  top1?: number;
  sqnrDb: number;
}

export interface KeptInFloat {
  node: string;
  opType: string;
  /** Why this node: its sensitivity rank and numbers, and what keeping it in float changed. */
  reason: string;
  /** Its cost when quantized alone (from the sensitivity pass), when measured. */
  alone?: { cosine: number; sqnrDb: number };
  before: Score;
  after: Score;
}

export interface AccuracyOutcome {
  target: AccuracyTarget;
  met: boolean;
  /** What misses the target on the final model (empty when met). */
  failures: string[];
  /** The fully quantized model's numbers, before anything went back to float. */
  initial: Score;
  final: Score;
  keptInFloat: KeptInFloat[];
  /** Candidate models built and measured by the loop. */
  tried: number;
  /** Did the loop run (false when the user turned it off: then a miss is still reported, never hidden). */
  searched: boolean;
  /**
   * The search chose what to keep in float by the evaluation inputs, so its verdict on them flatters the model:
   * the final model measured again on inputs the search never saw (fresh generated draws), and judged on them too.
   */
  confirmed?: { samples: number; source: string; score: Score; failures: string[] };
}

/**
 * Judges the final model on inputs the search never saw as well: a target met only on the inputs the search
 * chose by becomes a miss, with the fresh numbers.
 */
export function confirm(a: AccuracyOutcome, fresh: FidelityReport, source: string): AccuracyOutcome {
  const failures = judge(fresh, a.target).map((f) => `on ${fresh.samples} fresh input(s) the search never saw: ${f}`);
  return { ...a, met: a.met && !failures.length, failures: [...a.failures, ...failures], confirmed: { samples: fresh.samples, source, score: score(fresh), failures } };
}

export interface Sensitivity {
  node: string;
  opType: string;
  sqnrDb: number;
  cosine: number;
}

/** The worst cosine / top-1 / SQNR over the outputs that have a signal. */
export function score(f: FidelityReport): Score {
  const judged = f.outputs.filter((o) => o.signal !== 'none');
  // Integer outputs count by their share of equal elements (with top-1: both are agreement of discrete answers).
  const cos = judged.filter((o) => o.exactMatch === undefined).map((o) => (Number.isNaN(o.cosine) ? -1 : o.cosine));
  const top1 = [
    ...judged.filter((o) => o.classScores && o.top1Agreement !== undefined).map((o) => o.top1Agreement as number),
    ...judged.filter((o) => o.exactMatch !== undefined).map((o) => o.exactMatch as number),
  ];
  const sq = judged.map((o) => (Number.isNaN(o.sqnrDb) ? -Infinity : o.sqnrDb));
  return { cosine: cos.length ? Math.min(...cos) : NaN, ...(top1.length ? { top1: Math.min(...top1) } : {}), sqnrDb: sq.length ? Math.min(...sq) : NaN };
}

/** The ranges of a multi-range report that have a signal to judge (all of them when none has). */
function withSignal(f: FidelityReport): FidelityReport['byRange'] {
  if (!f.byRange || f.byRange.length < 2) return undefined;
  const judged = f.byRange.filter((g) => g.outputs.some((o) => o.signal !== 'none'));
  return judged.length ? judged : f.byRange;
}

/** What misses the target, in words with the numbers; empty when it is met. */
export function judge(f: FidelityReport, target: AccuracyTarget): string[] {
  // Several input ranges: the target holds on each (a range where the float model is constant has nothing to judge).
  const ranges = withSignal(f);
  if (ranges) return ranges.flatMap((g) => judge({ samples: g.samples, outputs: g.outputs }, target).map((x) => `on ${g.range}: ${x}`));
  const out: string[] = [];
  const judged = f.outputs.filter((o) => o.signal !== 'none');
  if (!judged.length) {
    const names = f.outputs.map((o) => o.name).join(', ');
    return [`no signal: every output (${names || 'none'}) of the float model is constant on the ${f.samples} evaluation input(s), so agreement cannot be judged; give real inputs (--eval) or the shapes the model runs at`];
  }
  for (const o of judged) {
    if (o.shapeMismatch) {
      out.push(`${o.name}: ${o.shapeMismatch}`);
      continue;
    }
    if (o.exactMatch !== undefined) {
      // ids, indices, counts: equal or not (the agreement target of discrete answers, as for top-1).
      if (!(o.exactMatch >= target.top1)) out.push(`${o.name}: integer output equal to the float model's on ${(o.exactMatch * 100).toFixed(1)}% of elements < ${(target.top1 * 100).toFixed(1)}%`);
      continue;
    }
    if (o.signal === 'collapsed') out.push(`${o.name}: the quantized output is constant while the float one varies (${o.floatRange[0].toPrecision(3)}…${o.floatRange[1].toPrecision(3)}): the quantized model no longer depends on its input`);
    else if (!(o.cosine >= target.cosine)) out.push(`${o.name}: cosine ${Number.isNaN(o.cosine) ? 'NaN' : o.cosine.toFixed(4)} < ${target.cosine}`);
    if (o.classScores && o.top1Agreement !== undefined && !(o.top1Agreement >= target.top1)) out.push(`${o.name}: top-1 agreement ${(o.top1Agreement * 100).toFixed(1)}% < ${(target.top1 * 100).toFixed(1)}%`);
  }
  return out;
}

/* ------------------------------------------------------------------ */
/* Held-out evaluation inputs                                            */

/** With files for calibration and no separate evaluation set, every fifth sample is held out for evaluation. */
export const HOLD_OUT_EVERY = 5;
export const isHeldOut = (i: number): boolean => i % HOLD_OUT_EVERY === HOLD_OUT_EVERY - 1;

export interface Evaluation {
  samples: Sample[];
  /** Generated inputs in several ranges: the samples of each (together, `samples`), judged one range at a time. */
  groups?: Array<{ range: string; samples: Sample[] }>;
  source: string;
  /** Calibration must skip these sample indices (they are the evaluation set). */
  skipInCalibration?: (i: number) => boolean;
  warning?: string;
}

/**
 * Evaluation inputs that calibration never saw: the user's --eval set; else every fifth calibration sample,
 * held out; else (random calibration) the random draws after calibration's (other seeds).
 */
export async function evaluationSamples(opts: { evaluation?: CalibrationSpec; calibration: CalibrationSpec; count: number; draw: (spec: CalibrationSpec) => AsyncIterable<Sample>; signal?: CancelSignal }): Promise<Evaluation> {
  const { count } = opts;
  const check = () => { if (opts.signal?.cancelled) throw new CancelledError('quantization cancelled'); };
  if (opts.evaluation) {
    const got: Sample[] = [];
    for await (const s of opts.draw(opts.evaluation)) {
      check();
      got.push(s);
      if (got.length >= count) break;
    }
    return { samples: got, source: opts.evaluation.kind === 'random' ? `random inputs (${got.length})` : `${opts.evaluation.path} (${got.length})` };
  }
  if (opts.calibration.kind !== 'random') {
    const held: Sample[] = [];
    const first: Sample[] = [];
    let i = 0;
    for await (const s of opts.draw(opts.calibration)) {
      check();
      if (isHeldOut(i)) held.push(s);
      else if (first.length < count) first.push(s);
      i++;
      if (held.length >= count) break;
    }
    if (held.length) return { samples: held, source: `every ${HOLD_OUT_EVERY}th sample of ${opts.calibration.path}, held out of calibration (${held.length})`, skipInCalibration: isHeldOut };
    const warning = `only ${i} calibration sample(s): too few to hold any out (one in ${HOLD_OUT_EVERY} is held out from ${HOLD_OUT_EVERY} on), so fidelity was measured on the calibration data itself, which flatters it; give --eval with other samples`;
    return { samples: first, source: `the calibration samples (${first.length}, not held out)`, warning };
  }
  // Random draws are numbered: calibration takes the first N, evaluation the next ones (count per input range).
  const conventions = opts.calibration.conventions ?? [];
  const k = Math.max(1, conventions.length);
  const got: Sample[] = [];
  const groups = conventions.map((c) => ({ range: CONVENTION_LABEL[c], samples: [] as Sample[] }));
  let i = 0;
  for await (const s of opts.draw({ ...opts.calibration, count: opts.calibration.count + count * k })) {
    check();
    if (i >= opts.calibration.count) {
      got.push(s);
      groups[i % k]?.samples.push(s);
    }
    i++;
  }
  if (k > 1) return { samples: got, groups, source: `random inputs (${got.length}: ${count} in each of ${k} input ranges), other draws than calibration's` };
  return { samples: got, source: `random inputs (${got.length}), other draws than calibration's` };
}

/** Draws after `skip` of a random spec, grouped by input range as evaluationSamples does. */
export async function freshGroups(spec: Extract<CalibrationSpec, { kind: 'random' }>, skip: number, count: number, draw: (spec: CalibrationSpec) => AsyncIterable<Sample>, withFixed: (s: Sample) => Sample = (s) => s): Promise<Array<{ range: string; samples: Sample[] }>> {
  const conventions = spec.conventions ?? [];
  const k = Math.max(1, conventions.length);
  const groups = k > 1 ? conventions.map((c) => ({ range: CONVENTION_LABEL[c], samples: [] as Sample[] })) : [{ range: 'generated inputs', samples: [] as Sample[] }];
  let i = 0;
  for await (const s of draw({ ...spec, count: skip + count * k })) {
    if (i >= skip) groups[i % k].samples.push(withFixed(s));
    i++;
  }
  return groups;
}

/* ------------------------------------------------------------------ */
/* Per-layer sensitivity and the fallback loop                           */

export interface Built {
  bytes: Uint8Array;
  stats: RewriteStats;
}

export interface LoopContext<B extends Built = Built> {
  reference: FloatReference;
  /** Held-out inputs of each input range (generated data in several ranges): the target must hold on each. */
  ranges?: RangeReference[];
  /** Builds the quantized model keeping `keep` in float (on top of the user's exclusions), or quantizing only `only`. */
  build: (keep: string[], only?: string[]) => B;
  session: (bytes: Uint8Array) => Promise<InferenceSession>;
  opTypes: Map<string, string>;
  /** The nodes reading a node's outputs (through Relu/Clip): kept in float with it when it alone does not help, so its output stays float. */
  consumers?: (node: string) => string[];
  target: AccuracyTarget;
  /** Run the fallback loop when the target is missed (default true). */
  search: boolean;
  /** Measure per-layer sensitivity (the loop measures it anyway when it needs it). */
  sensitivity: boolean;
  maxSensitivityLayers?: number;
  maxTries?: number;
  /** Time budget of the fallback search (default 10 minutes): past it, the best model so far is reported, with the reason. */
  maxSeconds?: number;
  progress: (message: string) => void;
  signal?: CancelSignal;
}

export interface LoopResult<B extends Built = Built> {
  built: B;
  fidelity: FidelityReport;
  sensitivity: Sensitivity[];
  accuracy: AccuracyOutcome;
}

async function measure<B extends Built>(ctx: LoopContext<B>, bytes: Uint8Array, samples?: number): Promise<FidelityReport> {
  const s = await ctx.session(bytes);
  try {
    const groups = ctx.ranges && ctx.ranges.length > 1 ? ctx.ranges : [{ range: '', reference: ctx.reference }];
    return await rangeFidelity(groups, s, samples === undefined ? undefined : Math.max(1, Math.ceil(samples / groups.length)));
  } finally {
    await s.release().catch(() => undefined);
  }
}

/** Each quantized layer alone (everything else float): the lowest SQNR over the outputs hurts most. Worst first. */
export async function layerSensitivity<B extends Built>(ctx: LoopContext<B>, layers: string[]): Promise<Sensitivity[]> {
  const out: Sensitivity[] = [];
  const heavy = layers.slice(0, ctx.maxSensitivityLayers ?? 64);
  for (let i = 0; i < heavy.length; i++) {
    if (ctx.signal?.cancelled) throw new CancelledError('quantization cancelled');
    ctx.progress(`per-layer sensitivity ${i + 1}/${heavy.length}`);
    let one: Built;
    try {
      one = ctx.build([], [heavy[i]]);
    } catch {
      continue;
    }
    if (!one.stats.quantizedNodes.length) continue;
    const f = await measure(ctx, one.bytes, 4);
    const sc = score(f);
    out.push({ node: heavy[i], opType: ctx.opTypes.get(heavy[i]) ?? Object.keys(one.stats.byOpType)[0] ?? '?', sqnrDb: sc.sqnrDb, cosine: sc.cosine });
  }
  // NaN (no signal) sorts last.
  return out.sort((a, b) => (Number.isNaN(a.sqnrDb) ? 1 : Number.isNaN(b.sqnrDb) ? -1 : a.sqnrDb - b.sqnrDb));
}

const fmtScore = (s: Score) => `cosine ${Number.isNaN(s.cosine) ? '—' : s.cosine.toFixed(4)}${s.top1 !== undefined ? `, top-1 ${(s.top1 * 100).toFixed(1)}%` : ''}, SQNR ${Number.isFinite(s.sqnrDb) ? s.sqnrDb.toFixed(1) : String(s.sqnrDb)} dB`;

/**
 * How far a model is from the target, 0 when it is met: each output's shortfall in cosine and top-1, in units
 * of the allowed loss (1 − target), a collapsed output counting as a full miss; Infinity with no signal.
 */
export function shortfall(f: FidelityReport, target: AccuracyTarget): number {
  const ranges = withSignal(f);
  if (ranges) return ranges.reduce((a, g) => a + shortfall({ samples: g.samples, outputs: g.outputs }, target), 0);
  const judged = f.outputs.filter((o) => o.signal !== 'none');
  if (!judged.length) return Infinity;
  let s = 0;
  const unit = (t: number) => Math.max(1e-6, 1 - t);
  for (const o of judged) {
    if (o.shapeMismatch) {
      s += 1 / unit(target.cosine);
      continue;
    }
    if (o.exactMatch !== undefined) {
      s += Math.max(0, target.top1 - o.exactMatch) / unit(target.top1);
      continue;
    }
    if (o.signal === 'collapsed') s += 1;
    s += Number.isNaN(o.cosine) ? 1 / unit(target.cosine) : Math.max(0, target.cosine - o.cosine) / unit(target.cosine);
    if (o.classScores && o.top1Agreement !== undefined) s += Math.max(0, target.top1 - o.top1Agreement) / unit(target.top1);
  }
  return s;
}

/**
 * Builds, measures, and when the target is missed tries the layers in sensitivity order, keeping each in float
 * only when that brings the model closer to the target (a smaller shortfall, or the same one with a better
 * SQNR), until the target is met or nothing is left to try.
 */
export async function accuracyAware<B extends Built>(ctx: LoopContext<B>, initial: B): Promise<LoopResult<B>> {
  let built = initial;
  ctx.progress('measuring fidelity on held-out inputs');
  let fid = await measure(ctx, built.bytes);
  let failures = judge(fid, ctx.target);
  const first = score(fid);
  const layers = built.stats.quantizedNodes;
  let sensitivity: Sensitivity[] = [];
  if (ctx.sensitivity || (failures.length && ctx.search)) sensitivity = await layerSensitivity(ctx, layers);
  const kept: KeptInFloat[] = [];
  let tried = 1;
  if (failures.length && ctx.search) {
    // Sensitivity order first; then the layers it did not measure, last ones first (closest to the outputs).
    const measured = new Set(sensitivity.map((s) => s.node));
    const order = [...sensitivity.map((s) => s.node), ...[...layers].reverse().filter((n) => !measured.has(n))];
    const bySens = new Map(sensitivity.map((s, i) => [s.node, { s, rank: i + 1 }]));
    const keep: string[] = [];
    const maxTries = ctx.maxTries ?? 256;
    let current = shortfall(fid, ctx.target);
    const deadline = performance.now() + (ctx.maxSeconds ?? 600) * 1000;
    let outOfTime = false;
    const layerSet = new Set(layers);
    for (const node of order) {
      if (!failures.length || tried >= maxTries) break;
      if (performance.now() > deadline) { outOfTime = true; break; }
      if (ctx.signal?.cancelled) throw new CancelledError('quantization cancelled');
      ctx.progress(`target missed (${failures[0]}): ${keep.length} layer(s) in float so far, trying ${node}`);
      if (keep.includes(node)) continue;
      const before = score(fid);
      // The node alone; if that does not help, with the layers reading its output (a quantized reader keeps
      // its output quantized, so only both in float take that activation's int8 rounding away).
      const readers = (ctx.consumers?.(node) ?? []).filter((c) => !keep.includes(c) && layerSet.has(c));
      for (const group of readers.length ? [[node], [node, ...readers]] : [[node]]) {
        if (tried >= maxTries) break;
        let candidate: B;
        try {
          candidate = ctx.build([...keep, ...group]);
        } catch {
          continue; // nothing left quantized: the float model is not a quantization
        }
        if (!candidate.stats.quantizedNodes.length) continue;
        tried++;
        const f2 = await measure(ctx, candidate.bytes);
        const next = shortfall(f2, ctx.target);
        const after = score(f2);
        if (!(next < current - 1e-9 || (Math.abs(next - current) <= 1e-9 && after.sqnrDb > before.sqnrDb + 0.1))) continue;
        keep.push(...group);
        current = next;
        fid = f2;
        failures = judge(fid, ctx.target);
        built = candidate;
        const info = bySens.get(node);
        const why = `${info ? `sensitivity rank ${info.rank} of ${sensitivity.length} (quantized alone: ${fmtScore({ cosine: info.s.cosine, sqnrDb: info.s.sqnrDb })})` : 'not in the sensitivity pass; tried from the outputs backwards'}`;
        kept.push({
          node, opType: ctx.opTypes.get(node) ?? info?.s.opType ?? '?', before, after,
          ...(info ? { alone: { cosine: info.s.cosine, sqnrDb: info.s.sqnrDb } } : {}),
          reason: `${why}; keeping it in float: ${fmtScore(before)} → ${fmtScore(after)}`,
        });
        for (const r of group.slice(1)) {
          kept.push({ node: r, opType: ctx.opTypes.get(r) ?? '?', before, after, reason: `reads the output of ${node}, which alone in float did not help: kept in float with it so that activation stays float (${fmtScore(before)} → ${fmtScore(after)})` });
        }
        break;
      }
    }
    if (failures.length && tried >= maxTries) failures.push(`stopped after ${tried} candidate models`);
    else if (failures.length && outOfTime) failures.push(`the search stopped at its time budget (${ctx.maxSeconds ?? 600} s) after ${tried} candidate models`);
  }
  return {
    built, fidelity: fid, sensitivity,
    accuracy: { target: ctx.target, met: !failures.length, failures, initial: first, final: score(fid), keptInFloat: kept, tried, searched: ctx.search },
  };
}

/** One line for the CLI and logs. */
export function describeAccuracy(a: AccuracyOutcome): string[] {
  const t = `target cosine ≥ ${a.target.cosine}, top-1 ≥ ${(a.target.top1 * 100).toFixed(0)}%`;
  const lines = [a.met
    ? `accuracy: ${t}: met (${fmtScore(a.final)})${a.keptInFloat.length ? ` after keeping ${a.keptInFloat.length} layer(s) in float` : ''}`
    : `TARGET MISSED: ${t}: ${a.failures.join('; ')}${a.searched ? (a.keptInFloat.length ? ` — even with ${a.keptInFloat.length} layer(s) kept in float (${a.tried} models tried)` : '') : ' (accuracy-aware search was off)'}`];
  if (a.confirmed && !a.confirmed.failures.length) lines.push(`  confirmed on ${a.confirmed.samples} fresh input(s) the search never saw (${a.confirmed.source}): ${fmtScore(a.confirmed.score)}`);
  if (a.keptInFloat.length) lines.push('kept in float:', ...a.keptInFloat.map((k) => `  ${k.node} (${k.opType}): ${k.reason}`));
  return lines;
}

/** Calibration samples minus the held-out ones, with the fixed feeds added. */
export async function* calibrationOnly(all: AsyncIterable<Sample>, skip: ((i: number) => boolean) | undefined, withFixed: (s: Sample) => Sample = (s) => s): AsyncGenerator<Sample> {
  let i = 0;
  for await (const s of all) {
    if (!skip?.(i)) yield withFixed(s);
    i++;
  }
}

/** For each node name, the names of the nodes reading its outputs, looking through Relu/Clip (fused into their producer). */
export function graphConsumers(graph: { node?: Array<{ name?: string | null; opType?: string | null; input?: string[] | null; output?: string[] | null }> | null }): (node: string) => string[] {
  const nodes = graph.node ?? [];
  const readers = new Map<string, typeof nodes>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const byName = new Map(nodes.map((n) => [n.name ?? '', n]));
  return (name) => {
    const out = new Set<string>();
    const walk = (n: (typeof nodes)[number], depth: number) => {
      for (const o of n.output ?? []) for (const r of readers.get(o) ?? []) {
        if (!r.name) continue;
        out.add(r.name);
        if (depth < 2 && (r.opType === 'Relu' || r.opType === 'Clip')) walk(r, depth + 1);
      }
    };
    const n = byName.get(name);
    if (n) walk(n, 0);
    return [...out];
  };
}
