/**
 * Builds the dense reference front for the search benchmark and tests: the Pareto front (latency ↓,
 * predicted top-1 ↑) of everything long searches evaluate on the Once-for-All Note10 tables with the OFA
 * accuracy predictor — budget-constrained evolution at every budget on a grid, several seeds, plus long
 * front and NSGA-II runs. Writes test/fixtures/search/ofa-note10-reference-front.json.
 *
 *   node --import tsx scripts/search-reference-front.ts [--quick]
 */
import { writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTables } from '../extension/core/search/table';
import { ofaSpace } from '../extension/core/search/ofa';
import { OfaPredictor } from '../extension/core/search/predictor';
import { search, hypervolume, paretoFront, type Point, type SearchOptions } from '../extension/core/search/search';

const NAS = path.join(__dirname, '..', 'test', 'fixtures', 'nas');
const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'search', 'ofa-note10-reference-front.json');
export const REFERENCE_POINT = { latencyMs: 70, score: 0.75 };

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const tables = await loadTables(NAS);
  const predictor = await OfaPredictor.load(path.join(NAS, 'acc_predictor_weights.json'));
  const t0 = performance.now();
  let front: Array<Point<unknown>> = [];
  let evaluations = 0;
  const runs: string[] = [];
  const add = async (o: SearchOptions) => {
    const r = await search(ofaSpace, tables, predictor, o);
    evaluations += r.evaluations;
    front = paretoFront([...front, ...r.front]) as Array<Point<unknown>>;
  };
  const seeds = quick ? [1000] : [1000, 1001];
  const step = quick ? 2 : 0.5;
  const budgets: number[] = [];
  for (let b = 10; b <= 70 + 1e-9; b += step) budgets.push(Math.round(b * 10) / 10);
  for (const seed of seeds) {
    for (const budgetMs of budgets) await add({ algorithm: 'evolution', budgetMs, evaluations: quick ? 4000 : 20000, seed });
    process.stderr.write(`seed ${seed}: ${front.length} front points, ${evaluations} evaluations, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  runs.push(`evolution at every budget from 10 to 70 ms in steps of ${step} ms, ${quick ? 4000 : 20000} evaluations each, seeds ${seeds.join(', ')}`);
  for (const seed of seeds) {
    await add({ algorithm: 'front', budgetMs: REFERENCE_POINT.latencyMs, evaluations: quick ? 20000 : 200000, seed });
    await add({ algorithm: 'nsga2', budgetMs: REFERENCE_POINT.latencyMs, evaluations: quick ? 20000 : 100000, seed });
  }
  runs.push(`front (${quick ? 20000 : 200000} evaluations) and NSGA-II (${quick ? 20000 : 100000}) to 70 ms, seeds ${seeds.join(', ')}`);
  const pts = front.filter((p) => p.latencyMs <= REFERENCE_POINT.latencyMs);
  const out = {
    schema: 'mobileai.reference-front/1',
    about: 'Pareto front (latency from the Once-for-All Note10 tables ↓, top-1 from the OFA accuracy predictor ↑) of everything the runs below evaluated; the search benchmark and tests measure hypervolume against it.',
    provenance: {
      command: `node --import tsx scripts/search-reference-front.ts${quick ? ' --quick' : ''}`,
      tables: 'test/fixtures/nas/{160..224}_lookup_table.yaml (Once-for-All, Samsung Galaxy Note10)',
      predictor: 'test/fixtures/nas/acc_predictor_weights.json (Once-for-All)',
      runs, evaluations, seconds: Math.round((performance.now() - t0) / 1000),
      machine: `${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}`,
      createdAt: new Date().toISOString(),
    },
    referencePoint: REFERENCE_POINT,
    hypervolume: hypervolume(pts, REFERENCE_POINT),
    points: pts.map((p) => [Math.round(p.latencyMs * 1e4) / 1e4, Math.round(p.score * 1e6) / 1e6, p.id]),
  };
  await writeFile(OUT, `${JSON.stringify({ ...out, points: undefined })}`.replace(/}$/, `,"points":[\n${out.points.map((p) => JSON.stringify(p)).join(',\n')}\n]}\n`));
  process.stderr.write(`${OUT}: ${pts.length} points, hypervolume ${out.hypervolume.toFixed(4)}, ${evaluations} evaluations in ${out.provenance.seconds} s\n`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
