/**
 * Kernel tables built on a phone: the virtual phone reached through Debian's real adb server, its
 * onnxruntime_perf_test run with -p (onnxruntime's profile, written on the phone and pulled) and -u (the
 * optimized graph its onnxruntime ran). A tiny layered space (128×128, five layers) gets a kernel table built
 * there, then `table check --device SERIAL` measures held-out networks there and compares. The virtual
 * phone's perf_test is onnxruntime-node on the host CPU, so its numbers are the host's (the table says so).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { buildKernelTablesOnPhone } from '../../extension/core/latency/phone';
import { buildSpaceTable } from '../../extension/core/search/run';
import { checkTables, type CheckReport } from '../../extension/core/latency/check';
import { loadTables, saveTable, type LatencyTable } from '../../extension/core/search/table';
import { AdbService } from '../../extension/core/adb/adbService';
import { CancelSource } from '../../extension/core/util/progress';
import { startPhoneOverAdb, type PhoneOverAdb } from '../helpers/phoneAdb';

const choices = ['k3_e3', 'k5_e6', 'k3_e6_se', 'skip'];
const SPACE = {
  schema: 'mobileai.space/1', name: 'minip', resolution: 128,
  stem: { out: 16, k: 3, stride: 2 },
  layers: [[24, 2], [24, 1], [40, 2], [40, 1], [64, 1]].map(([out, stride]) => ({ out, stride, choices })),
  head: { out: 256, classes: 10 },
};

let p: PhoneOverAdb;
let adb: AdbService;
let spaceFile = '';
let tableFile = '';
let table: LatencyTable;
let check: CheckReport;
let blockCheck: CheckReport;

before(async () => {
  p = await startPhoneOverAdb();
  adb = new AdbService({ serverPort: p.server.port }, { env: p.server.env });
  spaceFile = path.join(p.tmp, 'minip.json');
  await fs.writeFile(spaceFile, JSON.stringify(SPACE));
  [table] = await buildKernelTablesOnPhone(spaceFile, undefined, { adb, serial: p.serial }, { runs: 5, wallRuns: 9 });
  tableFile = path.join(p.tmp, 'phone-kernels.json');
  await saveTable(table, tableFile);
  // The same phone's block table (each block timed alone by perf_test, as `table build --device` builds it).
  const [blocks] = await buildSpaceTable(spaceFile, undefined, { kind: 'phone', adb, serial: p.serial }, { runs: 10, threads: 1 });
  const blockFile = path.join(p.tmp, 'phone-blocks.json');
  await saveTable(blocks, blockFile);
  // Held-out networks (seed 99, not the build's), measured once on the same phone as table check measures them,
  // and both tables' predictions compared with those same measurements (`table check --against`).
  [check, blockCheck] = await checkTables([tableFile, blockFile], { kind: 'phone', adb, serial: p.serial }, { networks: 12, runs: 9, seed: 99, space: spaceFile });
});

after(async () => {
  await p?.stop();
});

test('a kernel table built on the phone says where it was measured, how, and where its fusion map came from', async () => {
  const [t] = await loadTables(tableFile);
  assert.equal(t.predictor, 'kernels');
  assert.equal(t.threads, 1);
  assert.equal(t.device.serial, p.serial);
  assert.match(t.device.note ?? '', /virtual phone: measured on the host CPU/);
  assert.equal(t.runtime.name, 'onnxruntime_perf_test');
  assert.match(t.provenance.source, /onnxruntime_perf_test on .*-p profiles pulled from the phone/);
  assert.match(t.provenance.note ?? '', /fusion map: the optimized graph the phone's onnxruntime wrote \(perf_test -u\) for 34 network/);
  assert.match(t.provenance.note ?? '', /the numbers are the host CPU's/);
  assert.ok(t.kernels && Object.keys(t.kernels.models.models).some((k) => /Conv\/dw$/.test(k)), 'a depthwise-conv kernel model from the phone\'s profiles');
  assert.ok(t.kernels.fusions.some((f) => f.ops.join() === 'Conv,Relu'), 'the fusions read from the phone\'s optimized graphs');
  // Every block key of the space has an entry (the covering networks): a skipped layer runs no kernel, any other block some.
  for (const [key, e] of Object.entries(t.entries)) assert.ok(key.includes('-skip-') ? e.mean === 0 : e.mean > 0, `${key}: ${e.mean} ms`);
  // The phone's folder is cleaned up.
  const ls = await p.adb(['shell', 'ls', '/data/local/tmp/mobileai']);
  assert.doesNotMatch(ls.stdout, /kernels/);
});

test('the phone-built kernel table predicts held-out networks measured on the phone', (t) => {
  const s = check.summary;
  t.diagnostic(`phone kernel table: median error ${s.medianErrorPercent.toFixed(1)} %, p90 |error| ${s.p90AbsErrorPercent.toFixed(1)} %, within ±10 % ${(s.within10Percent * 100).toFixed(0)} % of ${s.count}`);
  assert.equal(check.device.kind, 'phone');
  assert.equal(check.measurement.runner, 'onnxruntime_perf_test');
  // Networks of 0.5–1 ms timed by wall clock (perf_test's P50) on a shared 2-core machine, the table built
  // under one load and checked under another: a bound with room for that (runs here, load average 4–5:
  // median error +4.1 %, +10.5 %, +7.3 %; 92 %, 42 %, 67 % within ±10 %; fitted on 10 networks instead of 30, +12.7 %).
  // One CI run with other heavy work on the machine measured +22.9 % (p90 31.5 %): the bound is the one that
  // holds across runs; the comparison with the block table below is the claim, on one shared measurement (two
  // separate measuring sessions used to add the machine's load swings between them to the comparison).
  const b = blockCheck.summary;
  t.diagnostic(`phone block table: median error ${b.medianErrorPercent.toFixed(1)} %, within ±10 % ${(b.within10Percent * 100).toFixed(0)} %`);
  assert.ok(s.medianAbsErrorPercent <= 30, `median |error| ${s.medianAbsErrorPercent.toFixed(1)} %`);
  assert.ok(s.p90AbsErrorPercent <= 45, `p90 |error| ${s.p90AbsErrorPercent.toFixed(1)} %`);
  assert.deepEqual(blockCheck.networks.map((n) => n.id), check.networks.map((n) => n.id), 'the same networks');
  assert.deepEqual(blockCheck.networks.map((n) => n.measuredMs), check.networks.map((n) => n.measuredMs), 'measured once for both tables');
  assert.deepEqual(check.measurement.sharedWith, [path.resolve(p.tmp, 'phone-blocks.json')]);
  assert.ok(s.medianAbsErrorPercent < b.medianAbsErrorPercent, `kernels ${s.medianAbsErrorPercent.toFixed(1)} % vs blocks ${b.medianAbsErrorPercent.toFixed(1)} %`);
});

test('a cancelled build stops, and an unknown phone is named in the error', async () => {
  const cancel = new CancelSource();
  cancel.cancel();
  await assert.rejects(buildKernelTablesOnPhone(spaceFile, undefined, { adb, serial: p.serial }, { signal: cancel.signal }), /cancelled/);
  await assert.rejects(buildKernelTablesOnPhone(spaceFile, undefined, { adb, serial: 'nope:1' }, {}), /nope:1/);
});

const root = path.join(__dirname, '..', '..');

/**
 * A runner for --ort-runner: a shell script that calls the phone's onnxruntime_perf_test without `-u` (as a
 * perf_test that cannot write its optimized graph) and, with `level`, at another optimization level.
 */
function perfTestWrapper(level?: number): string {
  return [
    '#!/system/bin/sh',
    'n=$#',
    'i=0',
    'while [ $i -lt $n ]; do',
    '  a=$1; shift; i=$((i+1))',
    '  if [ "$a" = "-u" ]; then shift; i=$((i+1)); continue; fi',
    ...(level !== undefined ? [`  if [ "$a" = "-o" ]; then shift; i=$((i+1)); set -- "$@" -o ${level}; continue; fi`] : []),
    '  set -- "$@" "$a"',
    'done',
    'exec onnxruntime_perf_test "$@"',
    '',
  ].join('\n');
}

test('a perf_test that writes no optimized graph gets the host\'s at the same level, checked against the phone\'s profile', async () => {
  const noGraph = path.join(p.tmp, 'perf_test_no_u.sh');
  await fs.writeFile(noGraph, perfTestWrapper());
  const [t] = await buildKernelTablesOnPhone(spaceFile, undefined, { adb, serial: p.serial, runner: noGraph }, { randomNetworks: 4, runs: 3, wallRuns: 3 });
  assert.equal(t.predictor, 'kernels');
  assert.match(t.provenance.note ?? '', /fusion map: the host's onnxruntime-node \S+ at the same optimization level \(all\) for 8 network/);
  assert.doesNotMatch(t.provenance.note ?? '', /perf_test -u/);
  assert.ok(t.kernels?.fusions.some((f) => f.ops.join() === 'Conv,Relu'));
  // The phone ran another level (basic: no NCHWc kernels): its profile names kernels the host's graph lacks.
  const otherLevel = path.join(p.tmp, 'perf_test_basic.sh');
  await fs.writeFile(otherLevel, perfTestWrapper(1));
  await assert.rejects(buildKernelTablesOnPhone(spaceFile, undefined, { adb, serial: p.serial, runner: otherLevel }, { randomNetworks: 4, runs: 3, wallRuns: 3 }),
    /names \d+ of \d+ kernels that the host's optimized graph lacks .*fuses differently from the host's/);
  const ls = await p.adb(['shell', 'ls', '/data/local/tmp/mobileai']);
  assert.doesNotMatch(ls.stdout, /kernels/, 'the phone\'s folder is removed after a failed build too');
});

test('mobileai table build --predictor kernels --device SERIAL writes a kernel table measured on the phone', async () => {
  assert.ok(existsSync(path.join(root, 'dist', 'cli.js')), 'the CLI is built (node scripts/build.mjs)');
  const out = path.join(p.tmp, 'cli-kernels.json');
  const run = (args: string[]) => promisify(execFile)(process.execPath, [path.join(root, 'bin', 'mobileai.js'), '-P', String(p.server.port), ...args], { env: { ...process.env, ...p.server.env } })
    .then((r) => ({ code: 0, ...r }), (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
  const r = await run(['table', 'build', '--predictor', 'kernels', '--device', p.serial, '--space', spaceFile, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /blocks measured on .*\(virtual phone: measured on the host CPU.*\) \(by their kernels: 34 networks profiled in \d+ s, 1 thread\)/);
  const [t] = await loadTables(out);
  assert.equal(t.predictor, 'kernels');
  assert.equal(t.device.serial, p.serial);
  // --value gives the blocks a fixed input: kernel tables are profiled with generated inputs (perf_test -I), so it is refused.
  const bad = await run(['table', 'build', '--predictor', 'kernels', '--device', p.serial, '--space', spaceFile, '--out', path.join(p.tmp, 'x.json'), '--value', 'input=0.5']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--predictor kernels measures with random inputs/);
  assert.ok(!existsSync(path.join(p.tmp, 'x.json')));
});
