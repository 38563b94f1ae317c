// code-server 4.100.3 (VS Code 1.100.3 in the browser, Node extension host), cached outside the repo.
// It installs with Node 20; its ripgrep download cannot reach the network, so Debian's rg is put where the
// download would land first.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';

export function cacheDir() {
  const base = process.env.MOBILEAI_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mobile-ai-studio');
  return path.join(base, `code-server-${CODE_SERVER_VERSION}`);
}

export function codeServerBin() {
  return path.join(cacheDir(), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

function works() {
  const bin = codeServerBin();
  if (!existsSync(bin) || !existsSync(path.join(cacheDir(), 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep'))) return false;
  const r = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8', timeout: 60000, env: { ...process.env, HOME: os.tmpdir() } });
  return r.status === 0 && r.stdout.includes(CODE_SERVER_VERSION);
}

/** Returns the path of code-server's entry script, installing it into the cache the first time (minutes). */
export function ensureCodeServer() {
  if (works()) return codeServerBin();
  const dir = cacheDir();
  console.log(`[setup] installing code-server ${CODE_SERVER_VERSION} into ${dir} (first time only; takes a few minutes)`);
  const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  if (!rg) throw new Error('ripgrep (rg) is needed to install code-server offline: apt-get install ripgrep');
  const rgCache = path.join(os.tmpdir(), 'vscode-ripgrep-cache-1.15.11');
  const tarball = path.join(rgCache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  if (!existsSync(tarball)) {
    mkdirSync(rgCache, { recursive: true });
    const stage = mkdtempSync(path.join(os.tmpdir(), 'rg-'));
    copyFileSync(rg, path.join(stage, 'rg'));
    const t = spawnSync('tar', ['-czf', tarball, '-C', stage, 'rg'], { stdio: 'inherit' });
    rmSync(stage, { recursive: true, force: true });
    if (t.status !== 0) throw new Error('could not prepare the ripgrep tarball');
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, name: 'code-server-cache' }));
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--unsafe-perm', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: dir, stdio: 'inherit', env: { ...process.env, npm_config_yes: 'true' },
  });
  if (r.status !== 0 || !works()) throw new Error(`code-server ${CODE_SERVER_VERSION} did not install (see the npm output above)`);
  return codeServerBin();
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  try {
    console.log(ensureCodeServer());
  } catch (err) {
    console.error(`[setup] ${err.message}`);
    process.exit(1);
  }
}
