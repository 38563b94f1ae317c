import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadTables, fromCsv, lookup, TableError } from '../../extension/core/search/table';
import { ofaSpace, ofaEncode, type OfaArch } from '../../extension/core/search/ofa';
import { OfaPredictor } from '../../extension/core/search/predictor';
import { latencyOf, search, paretoFront, hypervolume } from '../../extension/core/search/search';
import { blockForKey } from '../../extension/core/search/run';

const NAS = path.join(__dirname, '..', 'fixtures', 'nas');
const TUTORIAL = { ks: [5, 3, 3, 3, 5, 3, 3, 3, 7, 7, 3, 3, 5, 5, 7, 3, 3, 3, 5, 3], e: [3, 3, 3, 3, 4, 4, 3, 3, 6, 3, 4, 3, 4, 4, 4, 3, 6, 6, 6, 3], d: [2, 2, 3, 4, 3] };

test('known answers: the Note10 table sums and the OFA predictor reproduce the published figures', async () => {
  const tables = await loadTables(NAS);
  const predictor = await OfaPredictor.load(path.join(NAS, 'acc_predictor_weights.json'));
  const expected: Array<[number, number, number]> = [[160, 18.354, 0.7920], [176, 21.894, 0.8058], [192, 24.730, 0.8171], [208, 29.647, 0.8228], [224, 33.105, 0.8259]];
  for (const [r, lat, acc] of expected) {
    const a: OfaArch = { ...TUTORIAL, r };
    assert.equal(latencyOf(ofaSpace, tables, a).toFixed(3), lat.toFixed(3), `latency at ${r}`);
    assert.equal(predictor.estimate(a).toFixed(4), acc.toFixed(4), `accuracy at ${r}`);
  }
  const largest: OfaArch = { ks: Array(20).fill(7), e: Array(20).fill(6), d: Array(5).fill(4), r: 224 };
  const smallest: OfaArch = { ks: Array(20).fill(3), e: Array(20).fill(3), d: Array(5).fill(2), r: 160 };
  assert.equal(latencyOf(ofaSpace, tables, largest).toFixed(3), '92.398');
  assert.equal(predictor.estimate(largest).toFixed(4), '0.8359');
  assert.equal(latencyOf(ofaSpace, tables, smallest).toFixed(3), '9.890');
  assert.equal(predictor.estimate(smallest).toFixed(4), '0.7531');
});

test('the predictor encoding: 60 kernel bits, 60 expand bits (zero where depth skips), 8 resolution bits', () => {
  const v = ofaEncode({ ...TUTORIAL, r: 192 });
  assert.equal(v.length, 128);
  const active = TUTORIAL.d.reduce((a, b) => a + b, 0);
  assert.equal(v.slice(0, 60).reduce((a, b) => a + b, 0), active);
  assert.equal(v.slice(60, 120).reduce((a, b) => a + b, 0), active);
  assert.deepEqual([...v.slice(120)], [0, 0, 0, 0, 0, 1, 0, 0]);
  assert.equal(v[0 * 3 + 1], 1, 'slot 0 has k5');
  assert.equal(v[60 + 4 * 3 + 1], 1, 'slot 4 has e4');
  assert.equal(v[2 * 3] + v[2 * 3 + 1] + v[2 * 3 + 2], 0, 'slot 2 is skipped at depth 2');
});

test('a missing table entry is an error naming the key; tables import from CSV; keys parse back to blocks', async () => {
  const tables = await loadTables(NAS);
  const t = tables.find((x) => x.resolution === 192)!;
  const bad = 'expanded_conv-input:1x1x1-output:1x1x1-expand:1-kernel:9-stride:1-idskip:0-se:0-hs:0';
  assert.throws(() => lookup(t, bad), (e: unknown) => e instanceof TableError && e.message.includes(bad));
  const csv = fromCsv('key,mean,std,count\n"a,b",1.5,0.1,10\nplain,2,,\n', { resolution: 160 });
  assert.deepEqual(csv.entries['a,b'], { mean: 1.5, std: 0.1, count: 10 });
  assert.equal(csv.entries.plain.mean, 2);
  assert.throws(() => fromCsv('name,value\nx,1'), /"key" and "mean"/);
  for (const key of ofaSpace.keys({ ...TUTORIAL, r: 176 }).keys) assert.equal(blockForKey(key).key, key);
  // Every key the space can produce at 192 is in the real Note10 table at 192.
  for (const k of ofaSpace.allKeys().filter((x) => x.resolution === 192)) assert.ok(t.entries[k.key], `table has ${k.key}`);
});

test('search is seeded and reproducible; evolution beats random; the front is non-dominated', async () => {
  const tables = await loadTables(NAS);
  const predictor = await OfaPredictor.load(path.join(NAS, 'acc_predictor_weights.json'));
  const run = (algorithm: 'evolution' | 'random' | 'nsga2', seed: number) => search(ofaSpace, tables, predictor, { algorithm, budgetMs: 25, evaluations: 1500, seed });
  const a = await run('evolution', 7);
  const b = await run('evolution', 7);
  assert.deepEqual(a.best?.id, b.best?.id, 'same seed, same answer');
  assert.equal(a.evaluations, 1500);
  assert.ok((a.best?.latencyMs ?? Infinity) <= 25);
  const r = await run('random', 7);
  assert.ok((a.best?.score ?? 0) > (r.best?.score ?? 0), `evolution ${a.best?.score} vs random ${r.best?.score}`);
  const n = await run('nsga2', 7);
  for (const p of n.front) for (const q of n.front) assert.ok(!(q.latencyMs < p.latencyMs && q.score > p.score), 'no front point dominates another');
  assert.ok(n.front.length > 10);
  const f = paretoFront([{ latencyMs: 1, score: 0.5, id: 'a', arch: 0 }, { latencyMs: 2, score: 0.4, id: 'b', arch: 0 }, { latencyMs: 3, score: 0.6, id: 'c', arch: 0 }]);
  assert.deepEqual(f.map((p) => p.id), ['a', 'c']);
  assert.equal(hypervolume([{ latencyMs: 1, score: 0.5 }, { latencyMs: 3, score: 0.6 }], { latencyMs: 4, score: 0 }), 2 * 0.5 + 1 * 0.6);
});
