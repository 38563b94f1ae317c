// Installs what the project needs on a fresh Debian machine: system packages (apt-get) and node_modules.
// Used by `npm test` and `npm start` so that each works from a fresh clone with one command.
//   node scripts/setup.mjs [--e2e]
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Debian packages by purpose. */
export const PACKAGES = {
  base: ['adb', 'fonts-dejavu-core', 'fontconfig', 'ffmpeg'],
  // code-server's native modules build against these; Chromium drives the workbench in e2e tests.
  e2e: ['chromium', 'libkrb5-dev', 'libsecret-1-dev', 'libxkbfile-dev', 'libx11-dev', 'ripgrep', 'ffmpeg'],
};

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

export function ensureSystemPackages(pkgs) {
  if (!existsSync('/usr/bin/dpkg-query')) {
    const missing = pkgs.filter((p) => p === 'adb' && spawnSync('adb', ['version']).status !== 0);
    if (missing.length) throw new Error(`Please install: ${pkgs.join(' ')} (this machine has no apt; see README)`);
    return;
  }
  const missing = pkgs.filter((p) => !installed(p));
  if (!missing.length) return;
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  console.log(`[setup] installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync(prefix.length ? prefix[0] : args[0], prefix.length ? [...prefix.slice(1), ...args] : args.slice(1), { stdio: 'inherit', env });
  if (run(['apt-get', 'update', '-qq']).status !== 0 || run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing]).status !== 0) {
    throw new Error(`could not install ${missing.join(' ')}; run as root: apt-get install ${missing.join(' ')}`);
  }
}

export function ensureNodeModules() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('[setup] installing node modules (npm ci)');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm ci failed');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureSystemPackages([...PACKAGES.base, ...(process.argv.includes('--e2e') ? PACKAGES.e2e : [])]);
    ensureNodeModules();
  } catch (err) {
    console.error(`[setup] ${err.message}`);
    process.exit(1);
  }
}
