import { Rng } from './rng';
import type { SearchSpace } from './space';
import type { AccuracyEstimator } from './predictor';
import type { BatchEstimator } from './batch';
import { OFA, ofaLatencyModel, type OfaArch, type OfaLatencyModel } from './ofa';
import { ofaPlan, ofaPlans } from './ofaPlan';
import { LinearSurrogate } from './surrogate';
import { LocalSurrogate } from './localSurrogate';
import { lookup, tableFor, type LatencyTable } from './table';
import { CancelledError, type CancelSignal } from '../util/progress';

export type Algorithm = 'evolution' | 'front' | 'nsga2' | 'random' | 'evolution-classic';
export const ALGORITHMS: readonly Algorithm[] = ['evolution', 'front', 'nsga2', 'random', 'evolution-classic'];

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
  /** evolution and front: make this many times the children a generation takes (default 4 and 8), score those a surrogate ranks best. */
  screen?: number;
  /** …and this share of a generation at random from the rest (default 0.2 and 0.1). */
  explore?: number;
  /** evolution: at most this many parents share a skeleton (OFA: resolution and depths); 0: no niches. */
  nicheCap?: number;
  /** evolution (OFA): plan with the surrogate every `planEvery` generations, one plan per resolution (front: one per band). */
  plan?: boolean;
  planEvery?: number;
  /** Steps up a repaired child may take to fill the budget it leaves unused. */
  fill?: number;
  /** front (OFA): at most this many new plans (one per band's upper edge) join a planning generation. */
  planMax?: number;
  /** front: the latency window (ms) of each band's local score model and of a candidate's neighbours; how many neighbours correct it (0: none). */
  localMs?: number;
  neighbours?: number;
  /** front: elites kept per band. */
  eliteSize?: number;
  /** front: how many latency bands, and the latency range they cover (default: the fastest network to the budget). */
  bands?: number;
  frontRange?: [number, number];
  /**
   * Count every candidate a generation makes as an evaluation, repeats included (a repeat is looked up, not
   * scored again), as the Once-for-All tutorial's loop counts them; by default only new architectures count.
   */
  countRepeats?: boolean;
  /** evolution: refit the surrogate every this many generations; keep this many × population of the best; plan only in the first `planUntil` evaluations. */
  fitEvery?: number;
  popCap?: number;
  planUntil?: number;
  /** The predictor's batch backend ('auto': onnxruntime when it loads). */
  backend?: 'auto' | 'onnxruntime' | 'typescript';
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
  /** Architectures the estimator scored (equal to `evaluations` unless repeats count). */
  scored: number;
  /** Where the accuracy estimator ran. */
  backend: 'onnxruntime' | 'typescript';
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

/** One scored candidate in the order the search made it (for the batch evaluator). */
type Slot<A> = Point<A> | undefined;

/**
 * Scores candidates a generation at a time: latency from the tables (a free lookup, so constraint checks
 * cost no evaluation), the accuracy estimator over the whole batch at once. Candidates seen before are not
 * scored again and do not count. Keeps everything a search reports: all points, the best under the
 * budget, the history.
 */
class Evaluator<A> {
  readonly seen = new Map<string, Point<A>>();
  readonly all: Array<Point<A>> = [];
  fresh: Array<Point<A>> = [];
  best: Point<A> | undefined;
  readonly history: SearchResult<A>['history'] = [];
  dupStreak = 0;
  private readonly fastLatency: ((a: A) => number) | undefined;
  readonly ofaModel: OfaLatencyModel | undefined;

  constructor(
    private readonly space: SearchSpace<A>,
    private readonly tables: LatencyTable[],
    private readonly estimator: AccuracyEstimator<A>,
    private readonly batch: BatchEstimator<A> | undefined,
    private readonly o: SearchOptions,
  ) {
    this.ofaModel = space.id === 'ofa-mbv3' ? ofaLatencyModel(tables) : undefined;
    this.fastLatency = this.ofaModel?.latency as ((a: A) => number) | undefined;
  }

  private readonly ids = new WeakMap<object, string>();

  /** The space's id, made once per candidate object (a candidate's id is asked for several times). */
  id(a: A): string {
    if (typeof a !== 'object' || a === null) return this.space.id_(a);
    let id = this.ids.get(a);
    if (id === undefined) {
      id = this.space.id_(a);
      this.ids.set(a, id);
    }
    return id;
  }

  latency(a: A): number {
    const l = this.fastLatency?.(a);
    return l !== undefined && !Number.isNaN(l) ? l : latencyOf(this.space, this.tables, a);
  }

  /** Candidates considered, repeats included (what `countRepeats` counts). */
  candidates = 0;

  /** Evaluations used so far: architectures scored (or, with `countRepeats`, candidates considered). */
  get used(): number {
    return this.o.countRepeats ? this.candidates : this.all.length;
  }

  get exhausted(): boolean {
    return this.used >= this.o.evaluations || (!this.o.countRepeats && this.dupStreak > 5000);
  }

  /** Scores the new candidates among `cands` (at most the evaluations left); returns each one's point. */
  async score(cands: A[], lat?: number[]): Promise<Array<Slot<A>>> {
    const out: Array<Slot<A>> = new Array(cands.length);
    const todo: Array<{ i: number; id: string; a: A; latencyMs: number }> = [];
    const inBatch = new Map<string, number>();
    const repeats = !!this.o.countRepeats;
    for (let i = 0; i < cands.length; i++) {
      if (repeats && this.candidates >= this.o.evaluations) break;
      const a = cands[i];
      const id = this.id(a);
      const hit = this.seen.get(id);
      if (hit || inBatch.has(id)) {
        if (hit) out[i] = hit;
        this.dupStreak++;
        if (repeats) {
          this.candidates++;
          this.history.push({ evaluations: this.candidates, bestScore: this.best?.score ?? NaN });
        }
        continue;
      }
      if (!repeats && this.all.length + todo.length >= this.o.evaluations) break;
      this.candidates++;
      this.dupStreak = 0;
      inBatch.set(id, i);
      todo.push({ i, id, a, latencyMs: lat?.[i] ?? this.latency(a) });
    }
    if (!todo.length) return out;
    let scores: ArrayLike<number>;
    if (this.batch) scores = await this.batch.estimateBatch(todo.map((t) => t.a));
    else {
      const s: number[] = [];
      for (const t of todo) {
        const v = this.estimator.estimate(t.a);
        s.push(typeof v === 'number' ? v : await v);
      }
      scores = s;
    }
    todo.forEach((t, k) => {
      const p: Point<A> = { id: t.id, arch: t.a, latencyMs: t.latencyMs, score: scores[k] };
      this.seen.set(t.id, p);
      this.all.push(p);
      this.fresh.push(p);
      if (p.latencyMs <= this.o.budgetMs && (!this.best || p.score > this.best.score)) this.best = p;
      this.history.push({ evaluations: repeats ? this.candidates : this.all.length, bestScore: this.best?.score ?? NaN });
      out[t.i] = p;
    });
    // Duplicates inside a batch point at the first copy.
    for (let i = 0; i < cands.length; i++) if (!out[i]) { const id = this.id(cands[i]); out[i] = this.seen.get(id); }
    return out;
  }
}

/** Into the budget (slower genes stepped down at random), then up to it (faster genes stepped up while they fit). */
function fitBudget<A>(space: SearchSpace<A>, ev: Evaluator<A>, rng: Rng, a: A, budgetMs: number, fill: number): A {
  if (!space.step) return a;
  let lat = ev.latency(a);
  for (let i = 0; i < 200 && lat > budgetMs; i++) {
    const b = space.step(a, rng, -1);
    if (!b) break;
    a = b;
    lat = ev.latency(a);
  }
  for (let i = 0; i < fill; i++) {
    const b = space.step(a, rng, 1);
    if (!b) break;
    const l = ev.latency(b);
    if (l <= budgetMs) {
      a = b;
      lat = l;
    }
  }
  return a;
}

/**
 * Hardware-aware search. `evolution`: evolution under a latency budget that uses the table's structure
 * (latency is a sum over blocks): every child is repaired into the budget and filled up to it, and a share
 * of each generation are one-step swaps around the best. `front`: the latency-accuracy front, as elites
 * per latency band, children repaired into a band. `nsga2`: NSGA-II. `random`: the baseline.
 * `evolution-classic`: the Once-for-All tutorial's evolution (resample until under the budget), for
 * comparison. Seeded: the same seed gives the same result.
 */
export async function search<A>(space: SearchSpace<A>, tables: LatencyTable[], estimator: AccuracyEstimator<A>, o: SearchOptions): Promise<SearchResult<A>> {
  const t0 = performance.now();
  // Tables for some resolutions only (a table built at one): search those.
  if (space.withResolutions && tables.length && tables.every((t) => t.resolution !== undefined)) space = space.withResolutions(tables.map((t) => t.resolution as number));
  const rng = new Rng(o.seed);
  const batch = estimator.batched && o.backend !== 'typescript' ? await estimator.batched(o.backend ?? 'auto') : undefined;
  const ev = new Evaluator(space, tables, estimator, batch, o);
  const w = o.softExponent ?? -0.07;
  const fitness = (p: Point<A>) => (o.soft ? p.score * Math.pow(p.latencyMs / o.budgetMs, w) : p.latencyMs <= o.budgetMs ? p.score : -Infinity);
  const tick = async () => {
    if (o.signal?.cancelled) throw new CancelledError('search cancelled');
    o.onProgress?.({ evaluations: ev.used, best: ev.best as Point<unknown> | undefined, newPoints: ev.fresh as Array<Point<unknown>> });
    ev.fresh = [];
    await new Promise((r) => setImmediate(r));
  };
  /** Makes up to n candidates not seen before (each from `make`), scores them, returns their points. */
  const generation = async (n: number, make: (i: number) => A | undefined): Promise<Array<Point<A>>> => {
    const cands: A[] = [];
    const ids = new Set<string>();
    for (let i = 0, tries = 0; cands.length < n && tries < n * 8; tries++) {
      const a = make(i);
      if (a === undefined) continue;
      const id = ev.id(a);
      if (!o.countRepeats && (ev.seen.has(id) || ids.has(id))) {
        ev.dupStreak++;
        if (ev.dupStreak > 5000) break;
        continue;
      }
      ids.add(id);
      cands.push(a);
      i++;
    }
    const pts = (await ev.score(cands)).filter((p): p is Point<A> => !!p);
    await tick();
    return pts;
  };

  const N = o.population ?? 100;
  const hard = !o.soft;
  /** Samples (with `make`) until a candidate meets the hard budget — a table lookup, no evaluation. */
  const underBudget = (make: () => A): A => {
    let a = make();
    for (let i = 0; i < 500 && hard && ev.latency(a) > o.budgetMs; i++) a = make();
    return a;
  };

  if (o.algorithm === 'random') {
    while (!ev.exhausted) {
      const before = ev.all.length;
      await generation(N, () => space.sample(rng));
      if (ev.all.length === before) break;
    }
  } else if (o.algorithm === 'evolution-classic') {
    // The Once-for-All tutorial: population 100, the best 25 are parents, 50 mutants, 25 crossovers.
    const parentsN = Math.max(2, Math.round(N * (o.parentRatio ?? 0.25)));
    const mutN = Math.round(N * (o.mutationRatio ?? 0.5));
    const p = o.mutateProb ?? 0.1;
    let pop = await generation(N, () => underBudget(() => space.sample(rng)));
    while (!ev.exhausted) {
      const parents = [...pop].sort((a, b) => fitness(b) - fitness(a)).slice(0, parentsN);
      const kids = await generation(N - parentsN, (i) => (i < mutN ? underBudget(() => space.mutate(rng.pick(parents).arch, rng, p)) : underBudget(() => space.crossover(rng.pick(parents).arch, rng.pick(parents).arch, rng))));
      if (!kids.length) break;
      pop = [...parents, ...kids];
    }
  } else if (o.algorithm === 'evolution') {
    await evolve(space, ev, rng, o, N, generation, fitness);
  } else if (o.algorithm === 'front') {
    await frontSearch(space, ev, rng, o, N, generation);
  } else {
    // NSGA-II on (latency ↓, score ↑).
    let pop = await generation(N, () => space.sample(rng));
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
    while (!ev.exhausted) {
      const kids = await generation(N, () => {
        const a = better(rng.pick(pop), rng.pick(pop));
        const b = better(rng.pick(pop), rng.pick(pop));
        return space.mutate(space.crossover(a.arch, b.arch, rng), rng, o.mutateProb ?? 0.1);
      });
      if (!kids.length) break;
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
    }
  }
  await tick();
  return {
    algorithm: o.algorithm,
    seed: o.seed,
    budgetMs: o.budgetMs,
    evaluations: ev.used,
    scored: ev.all.length,
    best: ev.best,
    front: paretoFront(ev.all),
    history: thin(ev.history),
    wallMs: performance.now() - t0,
    scoreKind: estimator.kind,
    scoreLabel: estimator.label,
    backend: batch?.backend ?? 'typescript',
  };
}

/** OFA: an architecture's resolution and depths (other spaces: one skeleton). */
function skeletonOf(a: unknown): string {
  const x = a as OfaArch;
  return x && typeof x === 'object' && 'd' in x ? `${x.r}|${x.d.join('')}` : '';
}

type Generation<A> = (n: number, make: (i: number) => A | undefined) => Promise<Array<Point<A>>>;

/** Distinct points by score, best first. */
function topBy<A>(ps: Iterable<Point<A>>, n: number, key: (p: Point<A>) => number): Array<Point<A>> {
  return [...ps].filter((p) => key(p) > -Infinity).sort((a, b) => key(b) - key(a) || (a.id < b.id ? -1 : 1)).slice(0, n);
}

/** Budget-aware evolution (see `search`). */
async function evolve<A>(space: SearchSpace<A>, ev: Evaluator<A>, rng: Rng, o: SearchOptions, N: number, generation: Generation<A>, fitness: (p: Point<A>) => number): Promise<void> {
  const budget = o.budgetMs;
  const p = o.mutateProb ?? 0.04;
  const parentsN = Math.max(2, Math.round(N * (o.parentRatio ?? 0.25)));
  const fill = o.soft ? 0 : (o.fill ?? 1);
  const fit = (a: A, f = fill) => (o.soft ? a : fitBudget(space, ev, rng, a, budget, f));
  const feats = space.features;
  const screen = feats ? (o.screen ?? 4) : 1;
  const planning = !!ev.ofaModel && !!feats && !o.soft && (o.plan ?? true);
  const sur = feats && (screen > 1 || planning) ? new LinearSurrogate(feats.count) : undefined;
  let learned = 0;
  let fittedAt = 0;
  // Long runs: past `LONG` points the surrogate is refitted only when they have grown by a tenth (a fit
  // solves a 129² system; it barely moves by then), and a generation is screened from twice its size.
  const LONG = 5000;
  const learn = (ps: Array<Point<A>>) => {
    if (!sur || !feats) return;
    for (const q of ps) sur.add(feats.of(q.arch), q.score);
    if (sur.samples < LONG ? learned++ % (o.fitEvery ?? 2) === 0 : sur.samples >= fittedAt * 1.1) {
      sur.fit();
      fittedAt = sur.samples;
    }
  };
  let pop = await generation(N, () => fit(space.sample(rng)));
  learn(pop);
  let gen = 0;
  // Once-for-All: plan with a linear model of every point scored so far — exact under the budget for
  // that model, since latency is a sum over blocks — one plan per resolution; the plans' skeletons
  // (resolution, depths) then live as niches of the population.
  const model = ev.ofaModel;
  const planner = planning && sur && model ? () => {
    const w = sur.weights();
    if (!w) return [];
    const inc = (topBy(pop, 1, fitness)[0]?.arch ?? pop[0].arch) as unknown as OfaArch;
    const out = OFA.resolutions.map((r) => ofaPlan(w, model, budget, { fix: { r }, fill: inc }));
    return out.filter((x): x is OfaArch => !!x).map((x) => fit(x as unknown as A));
  } : undefined;
  // Niches: at most `nicheCap` parents share a skeleton (OFA: resolution and depths), so several
  // skeletons stay alive long enough for their kernels and expansions to be tuned.
  const skeleton = skeletonOf;
  const nicheCap = o.nicheCap ?? (space.id === 'ofa-mbv3' ? 5 : 0);
  const pickParents = (ps: Array<Point<A>>) => {
    const cap = nicheCap;
    if (!cap) return topBy(ps, parentsN, fitness);
    const count = new Map<string, number>();
    const out: Array<Point<A>> = [];
    for (const q of topBy(ps, ps.length, fitness)) {
      const k = skeleton(q.arch);
      const c = count.get(k) ?? 0;
      if (c >= cap) continue;
      count.set(k, c + 1);
      out.push(q);
      if (out.length >= parentsN) break;
    }
    return out;
  };
  while (!ev.exhausted) {
    const parents = pickParents(pop);
    if (!parents.length) parents.push(...pop.slice(0, parentsN));
    const n = N - parentsN;
    const make = (i: number, of: number) => {
      const r = i / of;
      if (r < (o.mutationRatio ?? 0.4)) return fit(space.mutate(rng.pick(parents).arch, rng, p));
      return fit(space.crossover(rng.pick(parents).arch, rng.pick(parents).arch, rng));
    };
    let chosen: A[] | undefined;
    if (screen > 1 && sur && feats && sur.samples >= 2 * feats.count) {
      // Make `screen` times more children than a generation takes; score the surrogate's best, plus a few others.
      const pool: Array<{ a: A; s: number }> = [];
      const ids = new Set<string>();
      const want = n * (ev.used < LONG ? screen : Math.min(screen, 2));
      for (let t = 0; pool.length < want && t < want * 3; t++) {
        const a = make(pool.length, want);
        const id = ev.id(a);
        if (ev.seen.has(id) || ids.has(id)) continue;
        ids.add(id);
        pool.push({ a, s: sur.predict(feats.of(a)) });
      }
      const order = pool.map((_, i) => i).sort((x, y) => pool[y].s - pool[x].s || x - y);
      const top = Math.round(n * (1 - (o.explore ?? 0.2)));
      const rest = order.slice(top);
      chosen = [...order.slice(0, top), ...Array.from({ length: Math.min(n - top, rest.length) }, () => rest.splice(rng.int(rest.length), 1)[0])].map((i) => pool[i].a);
    }
    if (planner && ++gen % (o.planEvery ?? 8) === 0 && ev.used < (o.planUntil ?? 4000)) {
      const ps = planner();
      chosen = [...ps, ...(chosen ?? Array.from({ length: n }, (_, i) => make(i, n)))].slice(0, n);
    }
    const kids = await generation(chosen ? chosen.length : n, (i) => (chosen ? chosen[i] : make(i, n)));
    learn(kids);
    if (!kids.length) {
      // Every child was one seen before (a converged population, or a budget most networks fit): go on
      // from new samples, unless the space has run out.
      if (ev.exhausted) break;
      const fresh = await generation(N, () => fit(space.sample(rng)));
      if (!fresh.length) break;
      learn(fresh);
      pop = [...pop, ...fresh];
      continue;
    }
    pop = nicheCap ? topBy(new Map([...parents, ...kids, ...pop].map((q) => [q.id, q])).values(), (o.popCap ?? 4) * N, fitness) : topBy(new Map([...parents, ...kids].map((q) => [q.id, q])).values(), N, fitness);
    if (pop.length < parentsN) pop = [...pop, ...kids];
  }
}

/**
 * The front as elites per latency band: bands of equal width from the fastest network the space allows
 * to the budget. Children come from a band's elites (mutated, or crossed with a neighbour band's), are
 * repaired into that band or the next and filled up to it; a score model of the points scored so far,
 * local in latency (`LocalSurrogate`: a linear model per band, corrected by the residuals of a child's
 * nearest scored neighbours), ranks eight times as many children by how far they should beat their band's
 * elite, and the generation takes the best-ranked of each band in turn (so every band gets its share). Once-for-All:
 * every other generation also takes up to `planMax` new plans — the architecture a linear model of the
 * points near the front (within 0.02 top-1 of it) scores highest under each band's upper edge, exact
 * for that model since latency is a sum over blocks.
 */
async function frontSearch<A>(space: SearchSpace<A>, ev: Evaluator<A>, rng: Rng, o: SearchOptions, N: number, generation: Generation<A>): Promise<void> {
  const bands = o.bands ?? 30;
  const keep = o.eliteSize ?? 2;
  let lo = o.frontRange?.[0] ?? 0;
  if (!o.frontRange && space.step) {
    // The fastest network: every gene stepped down.
    let a = space.sample(rng);
    for (let b = space.step(a, rng, -1); b; b = space.step(a, rng, -1)) a = b;
    lo = ev.latency(a);
  }
  const hi = o.frontRange?.[1] ?? Math.max(o.budgetMs, lo + 1);
  const width = (hi - lo) / bands;
  const bandOf = (l: number) => Math.min(bands - 1, Math.max(0, Math.floor((l - lo) / width)));
  const elite: Array<Array<Point<A>>> = Array.from({ length: bands }, () => []);
  const place = (ps: Array<Point<A>>) => {
    for (const q of ps) {
      if (q.latencyMs > hi) continue;
      const e = elite[bandOf(q.latencyMs)];
      e.push(q);
      e.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1));
      if (e.length > keep) e.length = keep;
    }
  };
  const p = o.mutateProb ?? 0.04;
  const into = (a: A, band: number) => (space.step ? fitBudget(space, ev, rng, a, lo + (band + 1) * width, o.fill ?? 1) : a);
  const feats = space.features;
  const sur = feats ? new LocalSurrogate(feats.count, { lo, width, count: bands }, { windowMs: o.localMs ?? 5, neighbours: o.neighbours ?? 10, minSamples: 150, maxScan: 800 }) : undefined;
  const learn = (ps: Array<Point<A>>) => {
    if (!sur || !feats) return;
    for (const q of ps) sur.add(feats.of(q.arch), q.latencyMs, q.score);
    sur.fit();
  };
  const first = await generation(N, (i) => into(space.sample(rng), i % bands));
  place(first);
  learn(first);
  const screen = feats ? (o.screen ?? 8) : 1;
  // The front's score at latency l: the best score of a point at most that slow (a binary search).
  let fr: Array<Point<A>> = [];
  let frLat = new Float64Array(0);
  const frontAt = (l: number) => {
    let a = 0;
    let b = frLat.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (frLat[m] <= l) a = m + 1;
      else b = m;
    }
    return a ? fr[a - 1].score : -Infinity;
  };
  // The near-front surrogate: points join when they are near the front and leave when it moves past them.
  const model = ev.ofaModel;
  const near = feats && model && (o.plan ?? true) ? new LinearSurrogate(feats.count) : undefined;
  const inNear = new Set<Point<A>>();
  let nearSeen = 0;
  const NEAR = 0.02;
  const planEvery = o.planEvery ?? 2;
  const planMax = o.planMax ?? 10;
  const budgets = Array.from({ length: bands }, (_, b) => lo + (b + 1) * width);
  const planner = near && feats && model ? (): A[] => {
    fr = paretoFront(ev.all);
    frLat = Float64Array.from(fr, (q) => q.latencyMs);
    for (const q of inNear) {
      if (q.score < frontAt(q.latencyMs) - NEAR) {
        near.remove(feats.of(q.arch), q.score);
        inNear.delete(q);
      }
    }
    for (; nearSeen < ev.all.length; nearSeen++) {
      const q = ev.all[nearSeen];
      if (q.score >= frontAt(q.latencyMs) - NEAR) {
        near.add(feats.of(q.arch), q.score);
        inNear.add(q);
      }
    }
    if (near.samples < 2 * feats.count) return [];
    near.fit();
    const w = near.weights();
    if (!w) return [];
    return ofaPlans(w, model, budgets, { gridMs: 0.1 }).filter((x): x is OfaArch => !!x) as unknown as A[];
  } : undefined;
  let gen = 0;
  while (!ev.exhausted) {
    const filled = elite.map((e, i) => (e.length ? i : -1)).filter((i) => i >= 0);
    if (!filled.length) break;
    const make = () => {
      const b = rng.pick(filled);
      const parent = rng.pick(elite[b]).arch;
      const target = Math.min(bands - 1, b + (rng.next() < 0.5 ? 0 : 1));
      if (rng.next() < (o.mutationRatio ?? 0.5)) return into(space.mutate(parent, rng, p), target);
      const near = filled.filter((x) => Math.abs(x - b) <= 2);
      return into(space.crossover(parent, rng.pick(elite[rng.pick(near)]).arch, rng), target);
    };
    let chosen: A[] | undefined;
    if (screen > 1 && sur && feats && sur.samples >= 2 * feats.count) {
      const pool: Array<{ a: A; gain: number }> = [];
      const ids = new Set<string>();
      for (let t = 0; pool.length < N * screen && t < N * screen * 3; t++) {
        const a = make();
        const id = ev.id(a);
        if (ev.seen.has(id) || ids.has(id)) continue;
        ids.add(id);
        const l = ev.latency(a);
        const b = bandOf(l);
        const e = elite[b];
        // A candidate's promise: how far the surrogate puts it above its band's elite.
        pool.push({ a, gain: sur.predict(feats.of(a), l, b) - (e.length ? e[0].score : -Infinity) });
      }
      const ranked = pool.map((_, i) => i).sort((x, y) => pool[y].gain - pool[x].gain || x - y);
      // Round-robin over the bands: each band's best-ranked candidate in turn.
      const perBand: number[][] = Array.from({ length: bands }, () => []);
      for (const i of ranked) perBand[bandOf(ev.latency(pool[i].a))].push(i);
      const order: number[] = [];
      for (let k = 0; order.length < ranked.length; k++) for (const q of perBand) if (k < q.length) order.push(q[k]);
      const top = Math.round(N * (1 - (o.explore ?? 0.1)));
      const rest = order.slice(top);
      chosen = [...order.slice(0, top), ...Array.from({ length: Math.min(N - top, rest.length) }, () => rest.splice(rng.int(rest.length), 1)[0])].map((i) => pool[i].a);
    }
    if (planner && gen++ % planEvery === 0) {
      const plans = planner().filter((a) => !ev.seen.has(ev.id(a))).slice(0, planMax);
      if (plans.length) chosen = [...plans, ...(chosen ?? Array.from({ length: N }, () => make()))].slice(0, N);
    }
    let kids = await generation(chosen ? chosen.length : N, (i) => (chosen ? chosen[i] : make()));
    if (!kids.length) {
      if (ev.exhausted) break;
      kids = await generation(N, (i) => into(space.sample(rng), (i * 7) % bands));
      if (!kids.length) break;
    }
    place(kids);
    learn(kids);
  }
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
