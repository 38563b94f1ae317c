/**
 * Search benchmarks on the Once-for-All Note10 tables and accuracy predictor (test/fixtures/nas), on this
 * machine, in-process: predictor evaluations per second (batched, a generation of 100 at a time); wall time
 * of 5,000 evaluations and of the tutorial-sized run (37,600: candidates as the tutorial counts them, and
 * distinct architectures scored, three runs); best predicted top-1 under 25 ms against
 * evaluations (median over seeds 0-4) for the budget-aware evolution and the tutorial's; hypervolume of
 * the front at 5,000 and 20,000 evaluations against the dense reference front in
 * test/fixtures/search/ofa-note10-reference-front.json (reference point top-1 0.75, 70 ms), for the
 * front search and NSGA-II. Writes bench-results/search.json.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadTables } from '../extension/core/search/table';
import { ofaSpace } from '../extension/core/search/ofa';
import { OfaPredictor } from '../extension/core/search/predictor';
import { OfaBatchPredictor } from '../extension/core/search/batch';
import { search, hypervolume, type Algorithm } from '../extension/core/search/search';
import { Rng } from '../extension/core/search/rng';
import { type Metric, report, summarize } from './report';

const NAS = path.join(__dirname, '..', 'test', 'fixtures', 'nas');
const REF = JSON.parse(readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'search', 'ofa-note10-reference-front.json'), 'utf8')) as { referencePoint: { latencyMs: number; score: number }; hypervolume: number };
const SEEDS = [0, 1, 2, 3, 4];

async function main(): Promise<void> {
  const metrics: Metric[] = [];
  const tables = await loadTables(NAS);
  const predictor = await OfaPredictor.load(path.join(NAS, 'acc_predictor_weights.json'));

  // The predictor alone, batched as the search runs it (100 candidates a call), and one at a time.
  const batch = await OfaBatchPredictor.create(predictor);
  const rng = new Rng(1);
  const archs = Array.from({ length: 20000 }, () => ofaSpace.sample(rng));
  const rates: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < archs.length; i += 100) await batch.estimateBatch(archs.slice(i, i + 100));
    rates.push(archs.length / ((performance.now() - t0) / 1000));
  }
  metrics.push(summarize(`predictor_evaluations_per_second_batched_${batch.backend}`, rates, 'evals/s', { min: 20000 }));
  const t1 = performance.now();
  for (const a of archs.slice(0, 3000)) predictor.estimate(a);
  metrics.push(summarize('predictor_evaluations_per_second_one_at_a_time', [3000 / ((performance.now() - t1) / 1000)], 'evals/s'));

  // Best under 25 ms, budget-aware evolution against the Once-for-All tutorial's.
  const checkpoints = [500, 1000, 2000, 5000];
  for (const algorithm of ['evolution', 'evolution-classic'] as Algorithm[]) {
    const bestAt: Record<number, number[]> = Object.fromEntries(checkpoints.map((c) => [c, []]));
    const walls: number[] = [];
    const searchRates: number[] = [];
    for (const seed of SEEDS) {
      const r = await search(ofaSpace, tables, predictor, { algorithm, budgetMs: 25, evaluations: 5000, seed });
      walls.push(r.wallMs / 1000);
      searchRates.push(r.evaluations / (r.wallMs / 1000));
      for (const c of checkpoints) bestAt[c].push([...r.history].reverse().find((x) => x.evaluations <= c)?.bestScore ?? NaN);
    }
    metrics.push(summarize(`${algorithm}_5000_wall_s`, walls, 's', { max: 0.5 }));
    metrics.push(summarize(`${algorithm}_search_evaluations_per_second`, searchRates, 'evals/s', { min: 20000 }));
    for (const c of checkpoints) metrics.push(summarize(`${algorithm}_best_top1_under_25ms_at_${c}`, bestAt[c], 'top-1', c === 5000 ? { min: algorithm === 'evolution' ? 0.821 : 0.8167 } : undefined));
  }
  // The tutorial-sized run: 100 + 500 generations × 75 children = 37,600 candidates as the tutorial counts them
  // (a repeat is scored again there; here it is looked up); then 37,600 distinct architectures scored.
  const tutorial = await search(ofaSpace, tables, predictor, { algorithm: 'evolution-classic', budgetMs: 25, evaluations: 37600, seed: 0, countRepeats: true });
  metrics.push(summarize('evolution-classic_tutorial_size_37600_candidates_wall_s', [tutorial.wallMs / 1000], 's', { max: 2 }));
  metrics.push(summarize('evolution-classic_tutorial_size_37600_candidates_best_top1', [tutorial.best?.score ?? NaN], 'top-1'));
  metrics.push(summarize('evolution-classic_tutorial_size_37600_candidates_distinct_scored', [tutorial.scored], 'architectures'));
  // Three runs each (seed 0; the same search each time): the wall time's median, the spread in min/max.
  for (const algorithm of ['evolution-classic', 'evolution'] as Algorithm[]) {
    const walls: number[] = [];
    let best = NaN;
    for (let rep = 0; rep < 3; rep++) {
      const full = await search(ofaSpace, tables, predictor, { algorithm, budgetMs: 25, evaluations: 37600, seed: 0 });
      walls.push(full.wallMs / 1000);
      best = full.best?.score ?? NaN;
    }
    metrics.push(summarize(`${algorithm}_37600_distinct_wall_s`, walls, 's', { max: 2 }));
    metrics.push(summarize(`${algorithm}_37600_distinct_best_top1`, [best], 'top-1'));
  }

  // The front against the dense reference front.
  for (const algorithm of ['front', 'nsga2'] as Algorithm[]) {
    for (const n of [5000, 20000]) {
      const ratios: number[] = [];
      const walls: number[] = [];
      for (const seed of SEEDS) {
        const r = await search(ofaSpace, tables, predictor, { algorithm, budgetMs: REF.referencePoint.latencyMs, evaluations: n, seed });
        ratios.push(hypervolume(r.front, REF.referencePoint) / REF.hypervolume);
        walls.push(r.wallMs / 1000);
      }
      metrics.push(summarize(`${algorithm}_hypervolume_ratio_at_${n}`, ratios, 'of reference', algorithm === 'front' && n === 5000 ? { min: 0.95 } : undefined));
      metrics.push(summarize(`${algorithm}_${n}_wall_s`, walls, 's'));
    }
  }
  await report('search', metrics);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
