// Runs the test suites with Node's test runner (TypeScript through tsx).
//   node scripts/test.mjs unit|integration|e2e|all
// Prints each test as it runs, then one closing line: "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGES, ensureNodeModules, ensureSystemPackages } from './setup.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const which = process.argv[2] ?? 'all';
const extra = process.argv.slice(3);

function files(dir) {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  const out = [];
  for (const name of readdirSync(abs)) {
    const p = path.join(abs, name);
    if (statSync(p).isDirectory()) out.push(...files(path.join(dir, name)));
    else if (name.endsWith('.test.ts')) out.push(path.join(dir, name));
  }
  return out.sort();
}

const suites = (which === 'all' ? ['unit', 'integration', 'e2e'] : [which]).filter((s) => which !== 'all' || files(path.join('test', s)).length);
if (!['unit', 'integration', 'e2e', 'all'].includes(which)) {
  console.error('usage: node scripts/test.mjs unit|integration|e2e|all');
  process.exit(2);
}
// A fresh machine: install what the suites need first (Debian packages, node_modules).
try {
  ensureSystemPackages([...PACKAGES.base, ...(suites.includes('e2e') ? PACKAGES.e2e : [])]);
  ensureNodeModules();
} catch (err) {
  console.error(`[setup] ${err.message}`);
  process.exit(1);
}
const totals = { pass: 0, fail: 0, skipped: 0, todo: 0 };
let failedRun = false;
// The whole run also checks types and lint: a red typecheck is a failed test run.
if (which === 'all') {
  for (const [what, cmd] of [['typecheck', ['node_modules/typescript/bin/tsc', '-p', '.']], ['lint', ['node_modules/eslint/bin/eslint.js', '.']]]) {
    console.log(`\n=== ${what} ===`);
    const r = spawnSync(process.execPath, cmd, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`${what} failed`);
      console.log('\ntests: 0 passed, 1 failed, 0 skipped');
      process.exit(1);
    }
    console.log(`${what}: ok`);
  }
}
// Integration and e2e tests run the built CLI and extension: build first (esbuild takes well under a second).
if (suites.some((s) => s !== 'unit')) {
  const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mobileai-test-'));
for (const suite of suites) {
  const selected = files(path.join('test', suite));
  if (!selected.length) {
    console.error(`no test files in test/${suite}`);
    failedRun = true;
    continue;
  }
  console.log(`\n=== ${suite} (${selected.length} file${selected.length > 1 ? 's' : ''}) ===`);
  const tap = path.join(tmp, `${suite}.tap`);
  // Integration and e2e tests share machine resources (adb servers, a browser): one file at a time.
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${suite === 'unit' ? 2 : 1}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...extra, ...selected];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, MOBILEAI_TEST_SUITE: suite } });
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  for (const k of Object.keys(totals)) totals[k] += count(k);
  if (r.status !== 0 || !text) failedRun = true;
}
rmSync(tmp, { recursive: true, force: true });
console.log(`\ntests: ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failedRun || totals.fail > 0 ? 1 : 0);
