// `npm run bench [-- name…]`: runs bench/*.bench.ts (all, or the named ones), each writing bench-results/<name>.json.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { root, ensureNodeModules, ensureSystemPackages, PACKAGES } from './setup.mjs';

const wanted = process.argv.slice(2);
const all = readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, ''));
const run = wanted.length ? all.filter((n) => wanted.includes(n)) : all;
ensureSystemPackages([...PACKAGES.base, ...(run.includes('activation') ? PACKAGES.e2e : [])]);
ensureNodeModules();
spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
let failed = false;
for (const name of run) {
  console.log(`\n=== bench: ${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', `${name}.bench.ts`)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
