import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AdbService } from '../adb/adbService';
import { TransferError } from '../adb/adbService';
import { apkPackageName } from '../virtualPhone/apk';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';

/** What to put on the phone, where, and what to do then. Lives in workspace settings (and later mobileai.yaml). */
export interface DeployProfile {
  /** Model (or any) files to push. */
  files: string[];
  /** An APK to install with `pm install -r`. */
  apk?: string;
  /** Folder on the phone (default /data/local/tmp/mobileai/deploy). */
  to?: string;
  /** Activity to launch afterwards, e.g. com.example.app/.MainActivity. */
  launch?: string;
}

export interface DeployedFile {
  local: string;
  remote: string;
  bytes: number;
  sha256: string;
  seconds: number;
}

/** `mobileai deploy --json` prints this (README). */
export interface DeployReport {
  schema: 'mobileai.deploy/1';
  device: string;
  to: string;
  files: DeployedFile[];
  apk?: { file: string; package?: string; installed: boolean; message: string };
  launched?: { activity: string; ok: boolean; message: string };
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  at: string;
}

export class DeployError extends Error {}

export const DEFAULT_DIR = '/data/local/tmp/mobileai/deploy';

/** `pm install` failure codes, in words. */
const INSTALL_FAILURES: Record<string, string> = {
  INSTALL_FAILED_INSUFFICIENT_STORAGE: 'the phone does not have enough free storage',
  INSTALL_FAILED_UPDATE_INCOMPATIBLE: 'an app with this package name is installed with a different signature: uninstall it first',
  INSTALL_FAILED_VERSION_DOWNGRADE: 'the installed version is newer: uninstall it or raise versionCode',
  INSTALL_FAILED_OLDER_SDK: "the phone's Android version is older than the app's minSdkVersion",
  INSTALL_FAILED_NO_MATCHING_ABIS: "the APK has no native libraries for the phone's ABI",
  INSTALL_FAILED_TEST_ONLY: 'the APK is test-only: install with -t',
  INSTALL_FAILED_INVALID_APK: 'the APK is invalid',
  INSTALL_FAILED_INVALID_URI: 'the APK file was not found on the phone',
  INSTALL_FAILED_ALREADY_EXISTS: 'the app is already installed',
  INSTALL_FAILED_DUPLICATE_PERMISSION: 'another app defines the same permission',
  INSTALL_FAILED_USER_RESTRICTED: 'installing over USB is disabled on the phone (Developer options → Install via USB)',
  INSTALL_FAILED_VERIFICATION_FAILURE: 'package verification failed',
  INSTALL_PARSE_FAILED_NOT_APK: 'the file is not an APK',
  INSTALL_PARSE_FAILED_NO_CERTIFICATES: 'the APK is not signed',
  INSTALL_PARSE_FAILED_BAD_MANIFEST: 'the APK manifest is invalid',
  INSTALL_PARSE_FAILED_BAD_PACKAGE_NAME: 'the APK package name is invalid',
  INSTALL_PARSE_FAILED_INCONSISTENT_CERTIFICATES: 'the APK signature does not match the installed app',
};

export function explainInstall(output: string): { ok: boolean; code?: string; message: string } {
  if (/^Success\s*$/m.test(output)) return { ok: true, message: 'installed' };
  const m = /Failure \[([A-Z_]+)(?::\s*([^\]]*))?\]/.exec(output);
  // Android 11+: `pm install PATH` checks the file first and throws before any Failure […] line.
  const parse = /Error: Failed to parse APK file: ([^\n]*)/.exec(output);
  if (!m && parse) return { ok: false, code: 'INSTALL_PARSE_FAILED_NOT_APK', message: `INSTALL_PARSE_FAILED_NOT_APK: the file is not an APK (${parse[1].trim()})` };
  if (!m) return { ok: false, message: `pm install said: ${output.trim().split('\n').pop() ?? '(nothing)'}` };
  return { ok: false, code: m[1], message: `${m[1]}: ${INSTALL_FAILURES[m[1]] ?? m[2] ?? 'installation failed'}` };
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Words for what a shell command on the phone said when it failed. */
function phoneError(what: string, out: string): DeployError {
  if (/No space left/i.test(out)) return new DeployError(`${what}: the phone is out of space`);
  if (/Permission denied|Read-only file system/i.test(out)) return new DeployError(`${what}: permission denied on the phone (choose a folder under /data/local/tmp or /sdcard)`);
  return new DeployError(`${what}: ${out.trim().split('\n').slice(-2).join(' ') || 'failed'}`);
}

/** Free bytes in a folder on the phone (`df -k`), or undefined when the phone does not say. */
async function freeBytes(adb: AdbService, serial: string, dir: string): Promise<number | undefined> {
  const r = await adb.exec(serial, ['df', '-k', dir]).catch(() => undefined);
  const line = r?.stdout.toString('utf8').trim().split('\n').filter((l) => !/^Filesystem/i.test(l)).pop();
  const cols = line?.trim().split(/\s+/);
  const avail = cols && cols.length >= 4 ? Number(cols[3]) : NaN;
  return Number.isFinite(avail) ? avail * 1024 : undefined;
}

/**
 * Deploys to a phone: each file pushed under a temporary name, checked with sha256 on the phone, then moved
 * into place (a cut cable never leaves a half-written file under the final name); an APK installed with
 * `pm install -r` (failures in words); an activity launched. Progress and cancel throughout.
 */
export async function deploy(adb: AdbService, serial: string, profile: DeployProfile, o: { progress?: ProgressSink; signal?: CancelSignal; stallMs?: number } = {}): Promise<DeployReport> {
  const t0 = performance.now();
  const to = (profile.to || DEFAULT_DIR).replace(/\/+$/, '') || '/';
  if (!to.startsWith('/')) throw new DeployError(`the target folder must be an absolute path on the phone (got "${to}")`);
  if (!profile.files.length && !profile.apk) throw new DeployError('nothing to deploy: give model files and/or an APK');
  const locals: Array<{ file: string; size: number }> = [];
  for (const f of profile.files) {
    const st = await fs.stat(f).catch(() => undefined);
    if (!st?.isFile()) throw new DeployError(`${f} does not exist or is not a file`);
    locals.push({ file: path.resolve(f), size: st.size });
  }
  const check = () => {
    if (o.signal?.cancelled) throw new CancelledError('deploy cancelled');
  };
  const mk = await adb.exec(serial, ['mkdir', '-p', to]);
  if (mk.exitCode !== 0) throw phoneError(`cannot create ${to}`, mk.stderr.toString() + mk.stdout.toString());
  const total = locals.reduce((a, b) => a + b.size, 0);
  const free = await freeBytes(adb, serial, to);
  if (free !== undefined && free < total) throw new DeployError(`not enough space on the phone: ${(total / 2 ** 20).toFixed(1)} MiB needed, ${(free / 2 ** 20).toFixed(1)} MiB free in ${to}`);

  const files: DeployedFile[] = [];
  let done = 0;
  for (const { file, size } of locals) {
    check();
    const name = path.basename(file);
    const remote = `${to}/${name}`;
    const tmp = `${to}/.${name}.mobileai-${randomBytes(4).toString('hex')}.tmp`;
    const sha = await sha256File(file);
    const ft = performance.now();
    try {
      await adb.push(serial, file, tmp, {
        signal: o.signal, stallMs: o.stallMs,
        progress: { report: (p) => o.progress?.report({ done: done + (p.done ?? 0), total, message: `pushing ${name} ${Math.round(((p.done ?? 0) / (size || 1)) * 100)}%` }) },
      });
      check();
      o.progress?.report({ done: done + size, total, message: `verifying ${name}` });
      const sum = await adb.exec(serial, ['sha256sum', tmp]);
      const got = sum.stdout.toString('utf8').trim().split(/\s+/)[0];
      if (sum.exitCode !== 0 || got !== sha) throw new DeployError(`${name}: the copy on the phone does not match (sha256 ${got || 'unavailable'} ≠ ${sha})`);
      const mv = await adb.exec(serial, ['mv', '-f', tmp, remote]);
      if (mv.exitCode !== 0) throw phoneError(`cannot move ${name} into place`, mv.stderr.toString() + mv.stdout.toString());
    } catch (err) {
      // Leave nothing half-done: the temporary copy goes if the phone still answers (a busy phone gets 10 s).
      const rm = await adb.exec(serial, ['rm', '-f', tmp], { timeoutMs: 10_000 }).then((r) => (r.exitCode === 0 ? undefined : r.stderr.toString().trim() || `exit ${r.exitCode}`), (e: Error) => e.message);
      const left = rm ? ` The temporary copy ${tmp} may remain on the phone (rm: ${rm}).` : '';
      if (err instanceof TransferError) throw new DeployError(`${err.message} ${remote} was not touched.${left}`);
      if (left && err instanceof CancelledError) throw new CancelledError(`deploy cancelled.${left}`);
      if (left && err instanceof Error) err.message += left;
      throw err;
    }
    files.push({ local: file, remote, bytes: size, sha256: sha, seconds: (performance.now() - ft) / 1000 });
    done += size;
  }

  let apk: DeployReport['apk'];
  if (profile.apk) {
    check();
    const st = await fs.stat(profile.apk).catch(() => undefined);
    if (!st?.isFile()) throw new DeployError(`${profile.apk} does not exist`);
    const remoteApk = `/data/local/tmp/.mobileai-${randomBytes(4).toString('hex')}.apk`;
    o.progress?.report({ message: `pushing ${path.basename(profile.apk)}` });
    await adb.push(serial, path.resolve(profile.apk), remoteApk, { signal: o.signal, stallMs: o.stallMs });
    try {
      o.progress?.report({ message: 'installing' });
      const r = await adb.exec(serial, ['pm', 'install', '-r', remoteApk], { timeoutMs: 5 * 60 * 1000 });
      const verdict = explainInstall(r.stdout.toString('utf8') + r.stderr.toString('utf8'));
      let pkg: string | undefined;
      try {
        pkg = apkPackageName(await fs.readFile(profile.apk));
      } catch {
        pkg = undefined;
      }
      apk = { file: path.resolve(profile.apk), installed: verdict.ok, message: verdict.message, package: pkg };
      if (!verdict.ok) throw new DeployError(`installing ${path.basename(profile.apk)} failed: ${verdict.message}`);
    } finally {
      await adb.exec(serial, ['rm', '-f', remoteApk]).catch(() => undefined);
    }
  }

  let launched: DeployReport['launched'];
  if (profile.launch) {
    check();
    if (!/^[\w.]+\/[\w.$]+$/.test(profile.launch)) throw new DeployError(`"${profile.launch}" is not an activity (package/.Activity)`);
    const r = await adb.exec(serial, ['am', 'start', '-n', profile.launch]);
    const out = r.stdout.toString('utf8') + r.stderr.toString('utf8');
    launched = { activity: profile.launch, ok: r.exitCode === 0 && !/Error/.test(out), message: out.trim().split('\n').pop() ?? '' };
    if (!launched.ok) throw new DeployError(`launching ${profile.launch} failed: ${launched.message}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { schema: 'mobileai.deploy/1', device: serial, to, files, apk, launched, bytes: total, seconds, mbPerSecond: total / 2 ** 20 / Math.max(seconds, 1e-6), at: new Date().toISOString() };
}

/** Appends a deploy to the history (JSON lines), creating the folder; never rewrites earlier lines. */
export async function recordHistory(file: string, report: DeployReport): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.appendFile(file, `${JSON.stringify(report)}\n`);
}

