import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkTable, writeCheckReport } from '../../extension/core/latency/check';
import { runSearch, runMultiSearch } from '../../extension/core/search/run';

const NAS = path.join(__dirname, '..', 'fixtures', 'nas');
const HOST = path.join(__dirname, '..', 'fixtures', 'search', 'host-xeon');
const PREDICTOR = path.join(NAS, 'acc_predictor_weights.json');
let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-trust-'));
});
after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('a search on a checked table says how far its latency holds, with the check\'s predicted-vs-measured networks', async () => {
  // A host table (measured on this project's 2-core Xeon with `mobileai table build`), checked here on 4 networks.
  const table = path.join(tmp, 'host-160.json');
  await copyFile(path.join(HOST, 'table-160.json'), table);
  const unchecked = await runSearch({ space: 'ofa-mbv3', table, predictor: PREDICTOR, budgetMs: 30, algorithm: 'evolution', evaluations: 300, seed: 1 });
  assert.equal(unchecked.trust?.status, 'unchecked');
  const report = await checkTable(table, { kind: 'host' }, { networks: 4, runs: 3, warmup: 1 });
  const file = await writeCheckReport(report);
  assert.equal(path.basename(file), 'host-160.check.json');
  const r = await runSearch({ space: 'ofa-mbv3', table, predictor: PREDICTOR, budgetMs: 30, algorithm: 'evolution', evaluations: 300, seed: 1 });
  assert.equal(r.trust?.status, 'checked');
  assert.equal(r.trust?.networks, 4);
  assert.equal(r.trust?.points?.length, 4);
  const within = report.networks.filter((n) => Math.abs(n.errorPercent) <= 10).length;
  assert.match(r.trust?.text ?? '', new RegExp(`^checked on host CPU .*: ${within} of 4 networks within ±10 % of measured`));
  r.trust?.points?.forEach((p, i) => assert.equal(p.measuredMs, report.networks[i].measuredMs));
  // The multi-target report carries each target's trust: one checked, one not.
  const multi = await runMultiSearch({ space: 'ofa-mbv3', predictor: PREDICTOR, budgetMs: 30, algorithm: 'evolution', evaluations: 200, seed: 1, targets: [{ name: 'host', table }, { name: 'note10', table: NAS }] });
  assert.deepEqual(multi.targets.map((t) => t.report.trust?.status), ['checked', 'unchecked']);
  // A broken report beside the table is named, never taken for a check.
  const other = path.join(tmp, 'other.json');
  await copyFile(path.join(HOST, 'table-160.json'), other);
  await writeFile(path.join(tmp, 'other.check.json'), '{"schema":"something else"}');
  const b = await runSearch({ space: 'ofa-mbv3', table: other, predictor: PREDICTOR, budgetMs: 30, algorithm: 'evolution', evaluations: 100, seed: 1 });
  assert.equal(b.trust?.status, 'unchecked');
  assert.match(b.trust?.text ?? '', /other\.check\.json.*not a latency check report/);
});
