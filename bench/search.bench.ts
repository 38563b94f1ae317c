/**
 * Search benchmarks on the Note10 tables and the OFA predictor: evaluations per second; best predicted
 * accuracy under 25 ms against evaluations (median over 5 seeds); NSGA-II front hypervolume against a
 * reference front; wall time; and the host table's prediction error over exported networks.
 * Writes bench-results/search.json.
 */
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { loadTables } from '../extension/core/search/table';
import { ofaSpace, type OfaArch } from '../extension/core/search/ofa';
import { OfaPredictor } from '../extension/core/search/predictor';
import { search, hypervolume, paretoFront, latencyOf, type Point } from '../extension/core/search/search';
import { buildSpaceTable } from '../extension/core/search/run';
import { buildOfaNetwork } from '../extension/core/search/build';
import { timeOnHost } from '../extension/core/search/measure';
import { Rng } from '../extension/core/search/rng';
import { type Metric, report, summarize } from './report';

const NAS = path.join(__dirname, '..', 'test', 'fixtures', 'nas');

async function main(): Promise<void> {
  const metrics: Metric[] = [];
  const tables = await loadTables(NAS);
  const predictor = await OfaPredictor.load(path.join(NAS, 'acc_predictor_weights.json'));
  const checkpoints = [500, 1000, 2000, 5000];
  const bestAt: Record<number, number[]> = Object.fromEntries(checkpoints.map((c) => [c, []]));
  const rates: number[] = [];
  const walls: number[] = [];
  for (let seed = 0; seed < 5; seed++) {
    const r = await search(ofaSpace, tables, predictor, { algorithm: 'evolution', budgetMs: 25, evaluations: 5000, seed });
    rates.push(r.evaluations / (r.wallMs / 1000));
    walls.push(r.wallMs / 1000);
    for (const c of checkpoints) {
      const h = [...r.history].reverse().find((x) => x.evaluations <= c);
      bestAt[c].push(h?.bestScore ?? NaN);
    }
  }
  metrics.push(summarize('evaluations_per_second', rates, 'evals/s'));
  metrics.push(summarize('evolution_5000_wall_s', walls, 's'));
  for (const c of checkpoints) metrics.push(summarize(`evolution_best_top1_under_25ms_at_${c}`, bestAt[c], 'top-1', c === 5000 ? { min: 0.8167 } : undefined));
  const full = await search(ofaSpace, tables, predictor, { algorithm: 'evolution', budgetMs: 25, evaluations: 37600, seed: 0 });
  metrics.push(summarize('evolution_tutorial_size_37600_wall_s', [full.wallMs / 1000], 's', { max: 22 }));
  metrics.push(summarize('evolution_tutorial_size_37600_best_top1', [full.best?.score ?? NaN], 'top-1', { min: 0.8171 }));

  // Reference front: the union of long NSGA-II and evolution runs' fronts.
  const ref = { latencyMs: 100, score: 0.7 };
  const long: Array<Point<unknown>> = [];
  for (const seed of [100, 101]) long.push(...(await search(ofaSpace, tables, predictor, { algorithm: 'nsga2', budgetMs: 100, evaluations: 40000, seed })).front);
  for (const budget of [12, 15, 18, 21, 25, 30, 40, 60, 90]) long.push(...(await search(ofaSpace, tables, predictor, { algorithm: 'evolution', budgetMs: budget, evaluations: 5000, seed: 7 })).front);
  const refHv = hypervolume(paretoFront(long), ref);
  for (const n of [5000, 20000]) {
    const ratios: number[] = [];
    for (let seed = 0; seed < 3; seed++) {
      const r = await search(ofaSpace, tables, predictor, { algorithm: 'nsga2', budgetMs: 100, evaluations: n, seed });
      ratios.push(hypervolume(r.front, ref) / refHv);
    }
    metrics.push(summarize(`nsga2_hypervolume_ratio_at_${n}`, ratios, 'of reference', { min: n === 5000 ? 0.88 : 0.94 }));
  }

  // Host table (measured here, resolution 160) against whole exported networks.
  const [host] = await buildSpaceTable('ofa-mbv3', 160, { kind: 'host' }, { runs: 15 });
  const rng = new Rng(42);
  const errors: number[] = [];
  for (let i = 0; i < 24; i++) {
    const a: OfaArch = { ...ofaSpace.sample(rng), r: 160 };
    const predicted = latencyOf(ofaSpace, [host], a);
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject(buildOfaNetwork(a) as Record<string, unknown>)).finish();
    const measured = (await timeOnHost(bytes, { runs: 15 })).mean;
    errors.push(((predicted - measured) / measured) * 100);
  }
  metrics.push(summarize('host_table_prediction_error_percent', errors, '%'));
  const within = errors.filter((e) => Math.abs(e) <= 10).length / errors.length;
  metrics.push(summarize('host_table_predictions_within_10_percent', [within * 100], '%', { min: 99 }));
  await report('search', metrics);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
