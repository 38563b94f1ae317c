import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { LayeredSpace, FBNET, parseChoice } from '../../extension/core/search/layered';
import { buildSpaceTable, runSearch, exportArchitecture } from '../../extension/core/search/run';
import { saveTable } from '../../extension/core/search/table';
import { logAbsDet } from '../../extension/core/search/proxy';
import { loadOrt } from '../../extension/core/profile/ort';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-spaces-'));
});
after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const TINY = {
  schema: 'mobileai.space/1', name: 'tiny', resolution: 32,
  stem: { out: 8, k: 3, stride: 2 },
  layers: [
    { out: 8, stride: 1, choices: ['k3_e1', 'k3_e3', 'k5_e3_se', 'skip'] },
    { out: 16, stride: 2, choices: ['k3_e3', 'k5_e6_hs', 'skip'] },
    { out: 16, stride: 1, choices: ['k3_e1_g2', 'k3_e3', 'skip'] },
  ],
  head: { out: 32, classes: 10 },
};

test('FBNet: 22 layers × 9 blocks, skip only where the shape does not change', () => {
  const s = new LayeredSpace(FBNET);
  assert.equal(FBNET.layers.length, 22);
  assert.ok(FBNET.layers.every((l) => l.choices.length === 9));
  // Skip is allowed in the 22 layers minus those that change shape: 6 stage-first layers (the 16-channel
  // first layer keeps its shape).
  const base = FBNET.layers.map(() => 'k3_e3');
  const skippable = FBNET.layers.filter((_, i) => { try { s.fromJson(base.map((b, j) => (j === i ? 'skip' : b))); return true; } catch { return false; } });
  assert.equal(skippable.length, 22 - 6);
  // Layers of one stage share a shape, so their keys coincide: one skip key per distinct shape.
  assert.equal(s.allKeys().filter((k) => k.key.includes('-skip-')).length, 6);
  assert.throws(() => parseChoice('k9_e2'), /unknown block/);
  assert.throws(() => s.fromJson(Array(22).fill('skip')), /invalid fbnet architecture/);
  assert.throws(() => new LayeredSpace({ ...TINY, layers: [] } as never), /mobileai.space\/1/);
});

test('a user-defined space: table by measurement, a NASWOT-proxy search labelled as a proxy, and an export onnxruntime runs', async () => {
  const spaceFile = path.join(tmp, 'tiny.json');
  await writeFile(spaceFile, JSON.stringify(TINY));
  const [table] = await buildSpaceTable(spaceFile, undefined, { kind: 'host' }, { runs: 3 });
  assert.equal(table.resolution, 32);
  const tableFile = path.join(tmp, 'tiny-table.json');
  await saveTable(table, tableFile);
  const report = await runSearch({ space: spaceFile, table: tableFile, predictor: 'naswot', budgetMs: 1000, algorithm: 'random', evaluations: 6, seed: 1 });
  assert.equal(report.score.kind, 'proxy');
  assert.match(report.score.label, /proxy/);
  assert.equal(report.evaluations, 6);
  assert.ok(report.best && Number.isFinite(report.best.score));
  const out = path.join(tmp, 'tiny.onnx');
  const e = await exportArchitecture(spaceFile, report.best!.arch, out, { runs: 5 });
  const s = await loadOrt().InferenceSession.create(out);
  const y = await s.run({ input: new (loadOrt().Tensor)('float32', new Float32Array(3 * 32 * 32), [1, 3, 32, 32]) });
  assert.deepEqual(y.output.dims, [1, 10]);
  assert.ok(e.measuredHostMs > 0);
});

test('a layered search restricted to some blocks only ever picks those; a restriction that empties a layer says which', async () => {
  const spaceFile = path.join(tmp, 'tiny-blocks.json');
  await writeFile(spaceFile, JSON.stringify(TINY));
  const [table] = await buildSpaceTable(spaceFile, undefined, { kind: 'host' }, { runs: 2 });
  const tableFile = path.join(tmp, 'tiny-blocks-table.json');
  await saveTable(table, tableFile);
  const allowed = ['k3_e3', 'skip', 'k3_e1'];
  const report = await runSearch({ space: spaceFile, table: tableFile, predictor: 'naswot', budgetMs: 1000, algorithm: 'random', evaluations: 8, seed: 2, blocks: allowed });
  assert.equal(report.evaluations, 6, 'only 6 distinct architectures use those blocks: the search stops there instead of spinning');
  const used = new Set([report.best, ...report.front].flatMap((p) => (p ? (p.arch as string[]) : [])));
  assert.ok(used.size > 0);
  for (const b of used) assert.ok(allowed.includes(b), `${b} is not among the allowed blocks`);
  await assert.rejects(runSearch({ space: spaceFile, table: tableFile, predictor: 'naswot', budgetMs: 1000, algorithm: 'random', evaluations: 4, seed: 2, blocks: ['k5_e6_hs'] }), /layer 1 of tiny \(out 8, stride 1\) has no candidate left/);
  await assert.rejects(runSearch({ space: 'ofa-mbv3', table: tableFile, budgetMs: 10, algorithm: 'random', evaluations: 4, seed: 2, blocks: ['k3_e3'] }), /"blocks" applies to layered spaces/);
});

test('log|det| matches a hand-computed determinant', () => {
  assert.ok(Math.abs(logAbsDet([[4, 2], [2, 3]]) - Math.log(8)) < 1e-12);
  assert.equal(logAbsDet([[1, 1], [1, 1]]), -Infinity);
});
