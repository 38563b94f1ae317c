import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describeOfa, describeLayered, formatArch } from '../../extension/core/search/describe';
import { LayeredSpace, FBNET } from '../../extension/core/search/layered';
import { runMultiSearch, runSearch } from '../../extension/core/search/run';
import { loadTables } from '../../extension/core/search/table';
import { latencyOf } from '../../extension/core/search/search';
import { ofaSpace } from '../../extension/core/search/ofa';
import { describeMulti, describeSearch, parseTargets } from '../../extension/cli/searchCommands';

const NAS = path.join(__dirname, '..', 'fixtures', 'nas');
const HOST = path.join(__dirname, '..', 'fixtures', 'search', 'host-xeon');
const PREDICTOR = path.join(NAS, 'acc_predictor_weights.json');
// The Once-for-All tutorial's architecture (its notebook prints ks, e, d; README of ../shared/data).
const TUTORIAL = { ks: [5, 3, 3, 3, 5, 3, 3, 3, 7, 7, 3, 3, 5, 5, 7, 3, 3, 3, 5, 3], e: [3, 3, 3, 3, 4, 4, 3, 3, 6, 3, 4, 3, 4, 4, 4, 3, 6, 6, 6, 3], d: [2, 2, 3, 4, 3], r: 224 };

test('an OFA architecture per stage: depth, then per block kernel, expansion, SE, activation, output size', () => {
  const v = describeOfa(TUTORIAL);
  assert.equal(v.resolution, 224);
  assert.deepEqual(v.stages.map((s) => s.depth), [2, 2, 3, 4, 3]);
  assert.deepEqual(v.stages.map((s) => s.blocks.length), [2, 2, 3, 4, 3]);
  // Stage outputs: 224 → stem 112 → stride 2, 2, 2, 1, 2 = 56, 28, 14, 14, 7; widths 32, 48, 96, 136, 192.
  assert.deepEqual(v.stages.map((s) => s.blocks[s.blocks.length - 1].output), ['56×56×32', '28×28×48', '14×14×96', '14×14×136', '7×7×192']);
  assert.deepEqual(v.stages[0].blocks.map((b) => [b.kernel, b.expand, b.stride]), [[5, 3, 2], [3, 3, 1]]);
  assert.deepEqual(v.stages[2].blocks.map((b) => [b.kernel, b.expand]), [[7, 6], [7, 3], [3, 4]]);
  assert.deepEqual(v.stages.map((s) => s.blocks[0].se), [false, true, false, true, true]);
  assert.deepEqual(v.stages.map((s) => s.blocks[0].activation), ['ReLU', 'ReLU', 'h-swish', 'h-swish', 'h-swish']);
  assert.equal(v.summary, '224×224 input · depths 2-2-3-4-3 · 14 blocks');
  const lines = formatArch(v);
  assert.equal(lines.length, 2 + 14);
  assert.match(lines[1], /stage\s+depth\s+block\s+kernel\s+expand\s+SE\s+act\s+stride\s+output/);
  assert.match(lines[2], /^\s+1\s+2\s+1\s+5×5\s+3\s+—\s+ReLU\s+2\s+56×56×32$/);
});

test('an FBNet architecture per stage: skipped layers shown and not counted in the depth', () => {
  const space = new LayeredSpace(FBNET);
  const a = FBNET.layers.map((l, i) => (i === 2 ? 'skip' : i === 5 ? 'k5_e6' : 'k3_e3'));
  const v = describeLayered(space, a);
  assert.deepEqual(v.stages.map((s) => s.blocks.length), [1, 4, 4, 4, 4, 4, 1]);
  assert.equal(v.stages[1].depth, 3);
  assert.equal(v.stages[1].blocks[1].block, 'skip');
  assert.equal(v.stages[2].blocks[0].kernel, 5);
  assert.equal(v.stages[2].blocks[0].expand, 6);
  assert.match(v.summary, /21 blocks \(1 skipped\)/);
});

test('mobileai search names its targets, refuses two with one name, and prints the best per stage and its latency trust', async () => {
  assert.deepEqual(parseTargets(['note10=a/b', 'x/host.json'], [25]).map((t) => [t.name, t.budgetMs]), [['note10', 25], ['host', 25]]);
  assert.deepEqual(parseTargets(['a/x', 'b/y'], [20, 30]).map((t) => t.budgetMs), [20, 30]);
  assert.throws(() => parseTargets(['a/t.json', 'b/t.json'], [25]), /both named "t"/);
  assert.throws(() => parseTargets(['a', 'b', 'c'], [1, 2]), /one budget, or one per --table/);
  const r = await runSearch({ space: 'ofa-mbv3', table: NAS, predictor: PREDICTOR, budgetMs: 20, algorithm: 'evolution', evaluations: 600, seed: 1 });
  const text = describeSearch(r).join('\n');
  assert.match(text, /best under 20 ms: 0\.8\d{3} at 1\d\.\d{3} ms — r\d{3}\|d\d{5}/);
  assert.match(text, /\d{3}×\d{3} input · depths \d-\d-\d-\d-\d · \d+ blocks/);
  assert.match(text, /latency: unchecked/);
  assert.equal(r.trust?.status, 'unchecked');
});

test('one space, several phones: the best per phone under its own budget, each costed on every phone\'s table', async () => {
  const r = await runMultiSearch({ space: 'ofa-mbv3', predictor: PREDICTOR, budgetMs: 25, algorithm: 'evolution', evaluations: 800, seed: 2, targets: [{ name: 'note10', table: NAS }, { name: 'host', table: HOST, budgetMs: 30 }] });
  assert.deepEqual(r.comparison.names, ['note10', 'host']);
  const tables = [await loadTables(NAS), await loadTables(HOST)];
  r.targets.forEach((t, i) => {
    assert.ok(t.report.best, `${t.name} has a best`);
    assert.equal(t.report.budgetMs, i === 0 ? 25 : 30);
    assert.ok(t.report.best.latencyMs <= t.report.budgetMs);
    const arch = ofaSpace.fromJson(t.report.best.arch);
    tables.forEach((tb, j) => {
      const l = latencyOf(ofaSpace, tb, arch);
      assert.ok(Math.abs((r.comparison.latencyMs[i][j] ?? NaN) - l) < 1e-9);
      assert.equal(r.comparison.fits[i][j], l <= r.targets[j].report.budgetMs);
    });
    assert.equal(r.comparison.fits[i][i], true);
  });
  // The phones differ: the Note10's best is not the host's.
  assert.notEqual(r.comparison.ids[0], r.comparison.ids[1]);
  const text = describeMulti(r).join('\n');
  assert.match(text, /note10's best\s+0\.8\d{3}\s+2\d\.\d\d ms\s+\d+\.\d\d ms/);
  assert.match(text, /host \(budget 30 ms\):/);
  await assert.rejects(runMultiSearch({ space: 'ofa-mbv3', predictor: PREDICTOR, budgetMs: 25, algorithm: 'evolution', evaluations: 10, seed: 2, targets: [{ name: 'a', table: NAS }, { name: 'a', table: HOST }] }), /two targets are named "a"/);
});

test('a manifest search for several phones: `targets` lists more targets, each checked like `target`', async () => {
  const { parseManifest, validateManifest } = await import('../../extension/core/manifest/manifest');
  const pm = parseManifest('version: 1\ntargets:\n  note10:\n    serial: a\n    table: nas\n  host:\n    serial: b\n    table: host\nsearches:\n  both:\n    target: note10\n    targets: [host, pixel]\n    budgetMs: 25\n    algorithm: front\n');
  assert.deepEqual(pm.value.searches?.both.targets, ['host', 'pixel']);
  const d = validateManifest(pm, { baseDir: '/tmp' } as never);
  assert.deepEqual(d.map((x) => x.code), ['unknown-target']);
  assert.match(d[0].message, /Unknown target "pixel"/);
});
