import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { AdbService } from '../adb/adbService';
import { explainInstall } from '../deploy/deploy';
import type { CancelSignal, ProgressSink } from '../util/progress';

/**
 * What a file dropped on the screen panel does, as scrcpy does it (app/src/file_pusher.c): an `.apk`
 * installs, anything else is pushed to a folder on the phone (scrcpy: /sdcard/Download/).
 */
export const DEFAULT_PUSH_DIR = '/sdcard/Download';

export function isApk(name: string): boolean {
  return /\.apk$/i.test(name);
}

export interface InstallResult {
  ok: boolean;
  /** Android's own words: the `Success` / `Failure [INSTALL_…]` line `pm install` printed. */
  android: string;
  /** The failure code and what it means, or "installed". */
  message: string;
}

/** The line of `pm install` output that is Android's verdict. */
function androidLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(Success|Failure \[)/.test(l)) ?? lines.find((l) => /^(Error|Exception)/.test(l)) ?? lines.pop() ?? '(pm install printed nothing)';
}

/** Pushes the APK to /data/local/tmp, `pm install -r`, removes the copy. Progress while pushing. */
export async function installApk(adb: AdbService, serial: string, localApk: string, opts: { progress?: ProgressSink; signal?: CancelSignal } = {}): Promise<InstallResult> {
  const remote = `/data/local/tmp/.mobileai-drop-${randomBytes(4).toString('hex')}.apk`;
  await adb.push(serial, localApk, remote, { progress: opts.progress, signal: opts.signal });
  try {
    opts.progress?.report({ message: 'installing' });
    const r = await adb.exec(serial, ['pm', 'install', '-r', remote], { timeoutMs: 5 * 60 * 1000 });
    const output = r.stdout.toString('utf8') + r.stderr.toString('utf8');
    const v = explainInstall(output);
    return { ok: v.ok, android: androidLine(output), message: v.message };
  } finally {
    await adb.exec(serial, ['rm', '-f', remote], { timeoutMs: 5000 }).catch(() => undefined);
  }
}

/** A folder on the phone a user may push to: absolute, printable, no `..`. */
export function checkPhoneDir(dir: string): string | undefined {
  const d = dir.trim().replace(/\/+$/, '') || '/';
  if (!d.startsWith('/')) return 'the folder must be an absolute path on the phone (for example /sdcard/Download)';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f]/.test(d)) return 'the folder name has control characters';
  if (d.split('/').includes('..')) return 'the folder must not contain ..';
  return undefined;
}

/**
 * Pushes `localFile` into `dir` on the phone under its own name; an existing file of that name is kept and
 * the new one gets " (1)", " (2)"… before its extension. Returns the phone path.
 */
export async function pushToFolder(adb: AdbService, serial: string, localFile: string, name: string, dir: string, opts: { progress?: ProgressSink; signal?: CancelSignal } = {}): Promise<string> {
  const bad = checkPhoneDir(dir);
  if (bad) throw new Error(bad);
  const d = dir.trim().replace(/\/+$/, '');
  const base = path.posix.basename(name.replace(/\\/g, '/')) || 'file';
  const ext = path.posix.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  let remote = `${d}/${base}`;
  for (let i = 1; i < 100; i++) {
    const r = await adb.exec(serial, ['ls', '-d', remote], { timeoutMs: 5000 });
    if (r.exitCode !== 0) break;
    remote = `${d}/${stem} (${i})${ext}`;
  }
  const mk = await adb.exec(serial, ['mkdir', '-p', d], { timeoutMs: 5000 });
  if (mk.exitCode !== 0) throw new Error(`cannot create ${d} on the phone: ${(mk.stderr.toString() || mk.stdout.toString()).trim()}`);
  await adb.push(serial, localFile, remote, { progress: opts.progress, signal: opts.signal });
  return remote;
}
