import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';

export interface AdbLocation {
  path: string;
  /** Where it was found, for the log and for messages. */
  source: 'setting' | 'ANDROID_HOME' | 'ANDROID_SDK_ROOT' | 'PATH';
}

export const ADB_INSTALL_HINT =
  'Install Android SDK Platform-Tools (https://developer.android.com/tools/releases/platform-tools), or on Debian/Ubuntu `sudo apt-get install adb`, ' +
  'then set "mobileAI.adb.path" or ANDROID_HOME.';

export class AdbNotFoundError extends Error {
  constructor(readonly tried: string[], readonly configured?: string) {
    super(
      configured
        ? `adb was not found at the configured path "${configured}". ${ADB_INSTALL_HINT}`
        : `adb was not found (looked in ${tried.length ? tried.join(', ') : 'PATH'}). ${ADB_INSTALL_HINT}`,
    );
    this.name = 'AdbNotFoundError';
  }
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return false;
    await fs.access(p, process.platform === 'win32' ? fsc.F_OK : fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds adb the way a user expects: the setting first, then the SDK's platform-tools
 * (ANDROID_HOME, then ANDROID_SDK_ROOT), then PATH.
 */
export async function locateAdb(opts: { configuredPath?: string; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform } = {}): Promise<AdbLocation> {
  const env = opts.env ?? process.env;
  const exe = (opts.platform ?? process.platform) === 'win32' ? 'adb.exe' : 'adb';
  const configured = opts.configuredPath?.trim();
  if (configured) {
    const candidate = (await isDirectory(configured)) ? path.join(configured, exe) : configured;
    if (await isExecutable(candidate)) return { path: candidate, source: 'setting' };
    throw new AdbNotFoundError([candidate], configured);
  }
  const tried: string[] = [];
  for (const key of ['ANDROID_HOME', 'ANDROID_SDK_ROOT'] as const) {
    const root = env[key];
    if (!root) continue;
    const candidate = path.join(root, 'platform-tools', exe);
    tried.push(candidate);
    if (await isExecutable(candidate)) return { path: candidate, source: key };
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, exe);
    if (await isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  tried.push('PATH');
  throw new AdbNotFoundError(tried);
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}
