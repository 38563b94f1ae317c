import { Rng } from './rng';
import type { SearchSpace } from './space';
import type { AccuracyEstimator } from './predictor';
import { lookup, tableFor, type LatencyTable } from './table';
import { CancelledError, type CancelSignal } from '../util/progress';

export type Algorithm = 'evolution' | 'nsga2' | 'random';

export interface Point<A> {
  id: string;
  arch: A;
  latencyMs: number;
  score: number;
}

export interface SearchOptions {
  algorithm: Algorithm;
  budgetMs: number;
  evaluations: number;
  seed: number;
  /** MnasNet's soft constraint: reward = score × (latency / budget)^w instead of rejecting over-budget networks. */
  soft?: boolean;
  softExponent?: number;
  population?: number;
  parentRatio?: number;
  mutationRatio?: number;
  mutateProb?: number;
  signal?: CancelSignal;
  /** Called after each generation with the points evaluated since the last call. */
  onProgress?: (p: { evaluations: number; best?: Point<unknown>; newPoints: Array<Point<unknown>> }) => void;
}

export interface SearchResult<A> {
  algorithm: Algorithm;
  seed: number;
  budgetMs: number;
  evaluations: number;
  /** Highest score within the budget. */
  best?: Point<A>;
  /** Non-dominated points (lower latency, higher score) among everything evaluated. */
  front: Array<Point<A>>;
  /** Best score within the budget after n evaluations. */
  history: Array<{ evaluations: number; bestScore: number }>;
  wallMs: number;
  scoreKind: 'accuracy' | 'proxy';
  scoreLabel: string;
}

/** Latency is the sum of the table entries of the architecture's blocks; a missing entry names its key. */
export function latencyOf<A>(space: SearchSpace<A>, tables: LatencyTable[], a: A): number {
  const { resolution, keys } = space.keys(a);
  const t = tableFor(tables, resolution);
  let sum = 0;
  for (const k of keys) sum += lookup(t, k);
  return sum;
}

/** Non-dominated points: no other point is at least as fast and at least as accurate, and better in one. */
export function paretoFront<A>(points: Array<Point<A>>): Array<Point<A>> {
  const sorted = [...points].sort((a, b) => a.latencyMs - b.latencyMs || b.score - a.score);
  const out: Array<Point<A>> = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.score > best) {
      out.push(p);
      best = p.score;
    }
  }
  return out;
}

/** Area dominated by a 2-D front (latency minimized, score maximized) up to a reference point. */
export function hypervolume(front: Array<{ latencyMs: number; score: number }>, ref: { latencyMs: number; score: number }): number {
  const pts = front.filter((p) => p.latencyMs <= ref.latencyMs && p.score >= ref.score).sort((a, b) => a.latencyMs - b.latencyMs);
  let hv = 0;
  for (let i = 0; i < pts.length; i++) {
    const nextLat = i + 1 < pts.length ? pts[i + 1].latencyMs : ref.latencyMs;
    // Points are sorted by latency; scores rise along a front, so each strip is bounded by its own score.
    hv += (nextLat - pts[i].latencyMs) * (pts[i].score - ref.score);
  }
  return hv;
}

/**
 * Hardware-aware search: regularized evolution under a latency budget (the Once-for-All tutorial's
 * scheme; MnasNet's soft constraint as an option), NSGA-II for the front, or random search. Seeded.
 */
export async function search<A>(space: SearchSpace<A>, tables: LatencyTable[], estimator: AccuracyEstimator<A>, o: SearchOptions): Promise<SearchResult<A>> {
  const t0 = performance.now();
  const rng = new Rng(o.seed);
  const seen = new Map<string, Point<A>>();
  const all: Array<Point<A>> = [];
  let fresh: Array<Point<A>> = [];
  let best: Point<A> | undefined;
  const history: SearchResult<A>['history'] = [];
  const w = o.softExponent ?? -0.07;
  const fitness = (p: Point<A>) => (o.soft ? p.score * Math.pow(p.latencyMs / o.budgetMs, w) : p.latencyMs <= o.budgetMs ? p.score : -Infinity);
  // A space with fewer distinct architectures than the evaluations asked for (a small user space, or a
  // `blocks` restriction) ends when thousands of samples in a row are ones already seen.
  let dupStreak = 0;
  const exhausted = () => all.length >= o.evaluations || dupStreak > 5000;
  // Synchronous estimators (the OFA predictor) stay synchronous: no promise per candidate on the hot path.
  const record = (id: string, a: A, latencyMs: number, score: number): Point<A> => {
    const p: Point<A> = { id, arch: a, latencyMs, score };
    seen.set(id, p);
    all.push(p);
    fresh.push(p);
    if (p.latencyMs <= o.budgetMs && (!best || p.score > best.score)) best = p;
    history.push({ evaluations: all.length, bestScore: best?.score ?? NaN });
    return p;
  };
  const evaluateSync = (a: A): Point<A> | Promise<Point<A>> => {
    const id = space.id_(a);
    const hit = seen.get(id);
    if (hit) {
      dupStreak++;
      return hit;
    }
    dupStreak = 0;
    const latencyMs = latencyOf(space, tables, a);
    const est = estimator.estimate(a);
    return typeof est === 'number' ? record(id, a, latencyMs, est) : est.then((score) => record(id, a, latencyMs, score));
  };
  const evaluate = (a: A): Point<A> | Promise<Point<A>> => evaluateSync(a);
  const tick = async () => {
    if (o.signal?.cancelled) throw new CancelledError('search cancelled');
    o.onProgress?.({ evaluations: all.length, best: best as Point<unknown> | undefined, newPoints: fresh as Array<Point<unknown>> });
    fresh = [];
    await new Promise((r) => setImmediate(r));
  };
  /** Samples (or makes, with `make`) a candidate that meets the hard constraint, giving up after 500 tries. */
  const valid = (make: () => A): Point<A> | Promise<Point<A>> => {
    let p = evaluate(make());
    if (p instanceof Promise) {
      return (async () => {
        let q = await p;
        for (let i = 0; i < 500 && !o.soft && q.latencyMs > o.budgetMs && !exhausted(); i++) q = await evaluate(make());
        return q;
      })();
    }
    for (let i = 0; i < 500 && !o.soft && p.latencyMs > o.budgetMs && !exhausted(); i++) p = evaluate(make()) as Point<A>;
    return p;
  };

  const N = o.population ?? 100;
  if (o.algorithm === 'random') {
    while (!exhausted()) {
      for (let i = 0; i < N && !exhausted(); i++) { const r = evaluate(space.sample(rng)); if (r instanceof Promise) await r; }
      await tick();
    }
  } else if (o.algorithm === 'evolution') {
    const parentsN = Math.max(2, Math.round(N * (o.parentRatio ?? 0.25)));
    const mutN = Math.round(N * (o.mutationRatio ?? 0.5));
    const p = o.mutateProb ?? 0.1;
    let pop: Array<Point<A>> = [];
    while (pop.length < N && !exhausted()) { const r = valid(() => space.sample(rng)); pop.push(r instanceof Promise ? await r : r); }
    await tick();
    while (!exhausted()) {
      const parents = [...pop].sort((a, b) => fitness(b) - fitness(a)).slice(0, parentsN);
      const children: Array<Point<A>> = [];
      for (let i = 0; i < mutN && !exhausted(); i++) {
        const par = rng.pick(parents);
        const r = valid(() => space.mutate(par.arch, rng, p));
        children.push(r instanceof Promise ? await r : r);
      }
      for (let i = 0; i < N - parentsN - mutN && !exhausted(); i++) {
        const x = rng.pick(parents);
        const y = rng.pick(parents);
        const r = valid(() => space.crossover(x.arch, y.arch, rng));
        children.push(r instanceof Promise ? await r : r);
      }
      pop = [...parents, ...children];
      await tick();
    }
  } else {
    // NSGA-II on (latency ↓, score ↑).
    let pop: Array<Point<A>> = [];
    while (pop.length < N && !exhausted()) { const r = evaluate(space.sample(rng)); pop.push(r instanceof Promise ? await r : r); }
    await tick();
    const rankOf = new Map<Point<A>, { rank: number; crowd: number }>();
    const assign = (ps: Array<Point<A>>) => {
      rankOf.clear();
      for (const [r, f] of nondominatedSort(ps).entries()) {
        const c = crowding(f);
        f.forEach((q, i) => rankOf.set(q, { rank: r, crowd: c[i] }));
      }
    };
    const better = (a: Point<A>, b: Point<A>) => {
      const x = rankOf.get(a) as { rank: number; crowd: number };
      const y = rankOf.get(b) as { rank: number; crowd: number };
      return x.rank < y.rank || (x.rank === y.rank && x.crowd > y.crowd) ? a : b;
    };
    assign(pop);
    while (!exhausted()) {
      const kids: Array<Point<A>> = [];
      const limit = N * 20;
      for (let tries = 0; kids.length < N && !exhausted() && tries < limit; tries++) {
        const a = better(rng.pick(pop), rng.pick(pop));
        const b = better(rng.pick(pop), rng.pick(pop));
        const before = all.length;
        const r = evaluate(space.mutate(space.crossover(a.arch, b.arch, rng), rng, o.mutateProb ?? 0.1));
        const kid = r instanceof Promise ? await r : r;
        if (all.length > before) kids.push(kid);
      }
      const merged = [...pop, ...kids];
      const next: Array<Point<A>> = [];
      for (const f of nondominatedSort(merged)) {
        if (next.length + f.length <= N) next.push(...f);
        else {
          const c = crowding(f);
          next.push(...f.map((q, i) => [q, c[i]] as const).sort((x, y) => y[1] - x[1]).slice(0, N - next.length).map(([q]) => q));
          break;
        }
      }
      pop = next;
      assign(pop);
      await tick();
      if (!kids.length) break;
    }
  }
  await tick();
  return {
    algorithm: o.algorithm,
    seed: o.seed,
    budgetMs: o.budgetMs,
    evaluations: all.length,
    best,
    front: paretoFront(all),
    history: thin(history),
    wallMs: performance.now() - t0,
    scoreKind: estimator.kind,
    scoreLabel: estimator.label,
  };
}

function thin<T>(xs: T[], max = 400): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]);
  out.push(xs[xs.length - 1]);
  return out;
}

function dominates(a: { latencyMs: number; score: number }, b: { latencyMs: number; score: number }): boolean {
  return a.latencyMs <= b.latencyMs && a.score >= b.score && (a.latencyMs < b.latencyMs || a.score > b.score);
}

export function nondominatedSort<T extends { latencyMs: number; score: number }>(ps: T[]): T[][] {
  const S = ps.map(() => [] as number[]);
  const n = ps.map(() => 0);
  const fronts: number[][] = [[]];
  for (let p = 0; p < ps.length; p++) {
    for (let q = 0; q < ps.length; q++) {
      if (p === q) continue;
      if (dominates(ps[p], ps[q])) S[p].push(q);
      else if (dominates(ps[q], ps[p])) n[p]++;
    }
    if (n[p] === 0) fronts[0].push(p);
  }
  for (let i = 0; fronts[i].length; i++) {
    const next: number[] = [];
    for (const p of fronts[i]) for (const q of S[p]) if (--n[q] === 0) next.push(q);
    fronts.push(next);
  }
  return fronts.filter((f) => f.length).map((f) => f.map((i) => ps[i]));
}

function crowding<T extends { latencyMs: number; score: number }>(f: T[]): number[] {
  const d = f.map(() => 0);
  for (const key of ['latencyMs', 'score'] as const) {
    const idx = f.map((_, i) => i).sort((a, b) => f[a][key] - f[b][key]);
    const lo = f[idx[0]][key];
    const hi = f[idx[idx.length - 1]][key];
    d[idx[0]] = d[idx[idx.length - 1]] = Infinity;
    if (hi === lo) continue;
    for (let k = 1; k < idx.length - 1; k++) d[idx[k]] += (f[idx[k + 1]][key] - f[idx[k - 1]][key]) / (hi - lo);
  }
  return d;
}
