/**
 * The phone's files for the Device Files view: list a folder (adb's sync LIST, with the shell's own words
 * when a folder cannot be opened), read a file (size-limited), pull (atomic on this computer), push, delete
 * (`rm -r`), new folder (`mkdir -p`). Every argument given to the phone's shell is quoted (util/shellQuote).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SyncSession, typeOfMode, type ByteChannel } from './syncProtocol';
import { errnoFromText, parseLsLong, type FileErrorCode } from './lsParse';
import type { CancelSignal, ProgressSink } from '../util/progress';

export interface ExecResultLike {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** What the engine needs from adb (AdbService gives it: see adbBackend.ts). */
export interface DeviceFilesBackend {
  openSync(serial: string): Promise<ByteChannel>;
  exec(serial: string, argv: readonly string[], opts?: { timeoutMs?: number }): Promise<ExecResultLike>;
  pull(serial: string, remote: string, local: string, opts?: { progress?: ProgressSink; signal?: CancelSignal }): Promise<{ bytes: number }>;
  push(serial: string, local: string, remote: string, opts?: { mode?: number; progress?: ProgressSink; signal?: CancelSignal }): Promise<{ bytes: number }>;
}

export type FileType = 'dir' | 'file' | 'link' | 'other';

export interface DeviceFileEntry {
  name: string;
  path: string;
  type: FileType;
  mode: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Symlinks: where the link points (from `ls -l`), and what is there (`missing`: a dangling link). */
  linkTarget?: string;
  targetType?: FileType | 'missing';
}

export class DeviceFileError extends Error {
  constructor(readonly code: FileErrorCode, message: string) {
    super(message);
  }
}

/** The most a file opened in the editor may be (pull bigger ones). */
export const MAX_OPEN_BYTES = 16 * 1024 * 1024;

export function joinDevicePath(dir: string, name: string): string {
  return path.posix.join(dir, name);
}

export function normalizeDevicePath(p: string): string {
  if (!p.startsWith('/')) throw new DeviceFileError('EINVAL', `"${p}" is not an absolute path on the phone`);
  if (p.includes('\0')) throw new DeviceFileError('EINVAL', 'a path on the phone cannot contain a NUL byte');
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** A name for a new file or folder: one path component, none of `/`, NUL, `.` or `..`. */
export function checkName(name: string): string | undefined {
  if (!name) return 'Enter a name.';
  if (name.includes('/')) return 'A name cannot contain "/".';
  if (name.includes('\0')) return 'A name cannot contain a NUL byte.';
  if (name === '.' || name === '..') return `"${name}" is not a name a folder can have.`;
  if (Buffer.byteLength(name) > 255) return 'The name is longer than 255 bytes.';
  return undefined;
}

/** Text or not: a NUL byte, or many control characters, in the first 8 KiB (as git and VS Code decide). */
export function looksBinary(data: Uint8Array): boolean {
  const n = Math.min(data.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = data[i];
    if (b === 0) return true;
    if (b < 32 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 8 && b !== 27) control++;
  }
  return n > 0 && control / n > 0.1;
}

function shellError(r: ExecResultLike, what: string): DeviceFileError {
  const text = (r.stderr.toString('utf8') || r.stdout.toString('utf8')).trim().split('\n').filter(Boolean).pop() ?? '';
  return new DeviceFileError(errnoFromText(text), text ? `${what}: ${text}` : `${what} failed (exit ${r.exitCode})`);
}

const sortEntries = (a: DeviceFileEntry, b: DeviceFileEntry) => {
  const folder = (e: DeviceFileEntry) => e.type === 'dir' || (e.type === 'link' && e.targetType === 'dir');
  return folder(a) === folder(b) ? a.name.localeCompare(b.name) : folder(a) ? -1 : 1;
};

export class DeviceFiles {
  constructor(private readonly backend: DeviceFilesBackend) {}

  private async withSync<T>(serial: string, fn: (s: SyncSession) => Promise<T>): Promise<T> {
    const s = new SyncSession(await this.backend.openSync(serial));
    try {
      return await fn(s);
    } finally {
      s.quit();
    }
  }

  /**
   * A folder's entries, folders first. A folder that cannot be opened (no permission, not there, not a
   * folder) throws DeviceFileError with the phone's own words, never an empty list: adbd's LIST says nothing
   * for such a folder, so the shell's `ls` is asked why.
   */
  async list(serial: string, dir: string): Promise<DeviceFileEntry[]> {
    dir = normalizeDevicePath(dir);
    const { raw, targets } = await this.withSync(serial, async (s) => {
      const listed = await s.list(dir);
      const found = new Map<string, FileType | 'missing'>();
      for (const e of listed) {
        if (typeOfMode(e.mode) !== 'link') continue;
        const st = await s.stat2(joinDevicePath(dir, e.name)).catch(() => undefined);
        if (st) found.set(e.name, st.error ? 'missing' : typeOfMode(st.mode));
      }
      return { raw: listed, targets: found };
    });
    const opened = raw.some((e) => e.name === '.');
    let entries: DeviceFileEntry[] = raw.filter((e) => e.name !== '.' && e.name !== '..').map((e) => ({
      name: e.name, path: joinDevicePath(dir, e.name), type: typeOfMode(e.mode), mode: e.mode, size: e.size, mtime: e.mtime,
      ...(targets.has(e.name) ? { targetType: targets.get(e.name) } : {}),
    }));
    if (!opened || entries.length === 0) {
      // Empty, or not opened at all: the shell tells which (and why), as a user at `adb shell` would read it.
      const r = await this.backend.exec(serial, ['ls', '-la', dir], { timeoutMs: 15000 });
      if (r.exitCode !== 0) throw shellError(r, `Cannot list ${dir}`);
      if (!opened) entries = this.fromLs(dir, r.stdout.toString('utf8'));
    }
    const links = entries.filter((e) => e.type === 'link' && e.linkTarget === undefined);
    if (links.length) {
      const r = await this.backend.exec(serial, ['ls', '-ld', ...links.map((l) => l.path)], { timeoutMs: 15000 }).catch(() => undefined);
      const byPath = new Map<string, string>();
      for (const line of r?.stdout.toString('utf8').split('\n') ?? []) {
        const p = parseLsLong(line);
        if (p?.linkTarget !== undefined) byPath.set(p.name, p.linkTarget);
      }
      for (const l of links) {
        const t = byPath.get(l.path);
        if (t !== undefined) l.linkTarget = t;
      }
    }
    return entries.sort(sortEntries);
  }

  private fromLs(dir: string, out: string): DeviceFileEntry[] {
    const typeOf = (m: string): FileType => (m[0] === 'd' ? 'dir' : m[0] === 'l' ? 'link' : m[0] === '-' ? 'file' : 'other');
    const entries: DeviceFileEntry[] = [];
    for (const line of out.split('\n')) {
      const p = parseLsLong(line.replace(/\r$/, ''));
      if (!p || p.name === '.' || p.name === '..') continue;
      const t = Date.parse(p.date.replace(' ', 'T'));
      entries.push({ name: p.name, path: joinDevicePath(dir, p.name), type: typeOf(p.mode), mode: 0, size: p.size, mtime: Number.isFinite(t) ? Math.floor(t / 1000) : 0, ...(p.linkTarget !== undefined ? { linkTarget: p.linkTarget } : {}) });
    }
    return entries;
  }

  /** stat (following links), or ENOENT / EACCES. */
  async stat(serial: string, p: string): Promise<{ type: FileType; mode: number; size: number; mtime: number }> {
    p = normalizeDevicePath(p);
    return this.withSync(serial, async (s) => {
      const st = await s.stat2(p).catch(async () => {
        // A phone without stat_v2: lstat (v1), mode 0 when it failed.
        const v1 = await s.stat(p);
        return { error: v1.mode ? 0 : 2, mode: v1.mode, size: v1.size, mtime: v1.mtime, uid: 0, gid: 0 };
      });
      if (st.error) {
        const code: FileErrorCode = st.error === 13 ? 'EACCES' : st.error === 20 ? 'ENOTDIR' : 'ENOENT';
        throw new DeviceFileError(code, `${p}: ${code === 'EACCES' ? 'Permission denied' : code === 'ENOTDIR' ? 'Not a directory' : 'No such file or directory'}`);
      }
      return { type: typeOfMode(st.mode), mode: st.mode, size: st.size, mtime: st.mtime };
    });
  }

  async exists(serial: string, p: string): Promise<boolean> {
    try {
      await this.stat(serial, p);
      return true;
    } catch (err) {
      if (err instanceof DeviceFileError && err.code === 'ENOENT') return false;
      throw err;
    }
  }

  /** A file's bytes, for reading in the editor (at most `limit`: bigger files are refused, pull them). */
  async readFile(serial: string, p: string, limit = MAX_OPEN_BYTES): Promise<Buffer> {
    p = normalizeDevicePath(p);
    const st = await this.stat(serial, p);
    if (st.type === 'dir') throw new DeviceFileError('EISDIR', `${p} is a folder`);
    if (st.size > limit) throw new DeviceFileError('EFBIG', `${p} is ${st.size} bytes, more than the ${limit} bytes a file opened in the editor may have: pull it instead`);
    const ch = await this.backend.openSync(serial);
    const s = new SyncSession(ch);
    try {
      const { data, truncated } = await s.recv(p, limit);
      if (truncated) throw new DeviceFileError('EFBIG', `${p} grew past ${limit} bytes while it was read: pull it instead`);
      return data;
    } catch (err) {
      if (err instanceof DeviceFileError) throw err;
      const msg = (err as Error).message;
      throw new DeviceFileError(errnoFromText(msg), `Cannot read ${p}: ${msg}`);
    } finally {
      s.quit();
    }
  }

  /**
   * Pulls a file or a folder to `local`. Written under a temporary name in the same folder and renamed at
   * the end, so `local` is never half-written. An existing `local` is replaced only with `overwrite`
   * (the user said so); folders are never merged into an existing one.
   */
  async pull(serial: string, remote: string, local: string, opts: { overwrite?: boolean; progress?: ProgressSink; signal?: CancelSignal } = {}): Promise<{ files: number; bytes: number; skipped: string[] }> {
    remote = normalizeDevicePath(remote);
    const st = await this.stat(serial, remote);
    const dir = path.dirname(local);
    await fs.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(local)}.${randomBytes(5).toString('hex')}.part`);
    try {
      const result = { files: 0, bytes: 0, skipped: [] as string[] };
      if (st.type === 'dir') {
        if (await exists(local)) throw new DeviceFileError('EEXIST', `${local} already exists: choose another folder name`);
        await fs.mkdir(tmp);
        await this.pullTree(serial, remote, tmp, result, opts);
        await fs.rename(tmp, local);
      } else {
        const r = await this.backend.pull(serial, remote, tmp, opts);
        result.files = 1;
        result.bytes = r.bytes;
        if (opts.overwrite) await fs.rename(tmp, local);
        else {
          await fs.link(tmp, local).catch((err: NodeJS.ErrnoException) => {
            throw err.code === 'EEXIST' ? new DeviceFileError('EEXIST', `${local} already exists`) : err;
          });
        }
      }
      return result;
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  private async pullTree(serial: string, remote: string, local: string, result: { files: number; bytes: number; skipped: string[] }, opts: { progress?: ProgressSink; signal?: CancelSignal }): Promise<void> {
    for (const e of await this.list(serial, remote)) {
      if (opts.signal?.cancelled) throw new DeviceFileError('EIO', 'cancelled');
      const to = path.join(local, e.name);
      if (e.type === 'dir') {
        await fs.mkdir(to);
        try {
          await this.pullTree(serial, e.path, to, result, opts);
        } catch (err) {
          if (err instanceof DeviceFileError && err.code === 'EACCES') result.skipped.push(`${e.path} (${err.message})`);
          else throw err;
        }
      } else if (e.type === 'file') {
        opts.progress?.report({ message: e.path });
        try {
          result.bytes += (await this.backend.pull(serial, e.path, to, { signal: opts.signal })).bytes;
          result.files++;
        } catch (err) {
          if (/Permission denied/i.test((err as Error).message)) result.skipped.push(`${e.path} (Permission denied)`);
          else throw err;
        }
      } else result.skipped.push(`${e.path} (${e.type === 'link' ? 'a symbolic link' : 'not a regular file'})`);
    }
  }

  /**
   * Pushes a file or a folder from this computer into the phone's folder `remoteDir`; returns the phone path.
   * The caller asks before replacing (see `exists`).
   */
  async push(serial: string, local: string, remoteDir: string, opts: { progress?: ProgressSink; signal?: CancelSignal } = {}): Promise<{ path: string; files: number; bytes: number }> {
    remoteDir = normalizeDevicePath(remoteDir);
    const name = path.basename(local);
    const bad = checkName(name);
    if (bad) throw new DeviceFileError('EINVAL', bad);
    const target = joinDevicePath(remoteDir, name);
    const result = { path: target, files: 0, bytes: 0 };
    await this.pushTo(serial, local, target, result, opts);
    return result;
  }

  private async pushTo(serial: string, local: string, target: string, result: { files: number; bytes: number }, opts: { progress?: ProgressSink; signal?: CancelSignal }): Promise<void> {
    const st = await fs.stat(local);
    if (st.isDirectory()) {
      await this.mkdir(serial, target);
      for (const name of (await fs.readdir(local)).sort()) {
        if (opts.signal?.cancelled) throw new DeviceFileError('EIO', 'cancelled');
        await this.pushTo(serial, path.join(local, name), joinDevicePath(target, name), result, opts);
      }
    } else if (st.isFile()) {
      opts.progress?.report({ message: target });
      try {
        result.bytes += (await this.backend.push(serial, local, target, { mode: st.mode & 0o777, signal: opts.signal })).bytes;
      } catch (err) {
        const msg = (err as Error).message;
        throw new DeviceFileError(errnoFromText(msg), `Cannot push to ${target}: ${msg}`);
      }
      result.files++;
    }
  }

  /** `rm -r PATH` (the path quoted; the root refused). */
  async remove(serial: string, p: string): Promise<void> {
    p = normalizeDevicePath(p);
    if (p === '/') throw new DeviceFileError('EINVAL', 'Refusing to delete the phone\'s root folder');
    const r = await this.backend.exec(serial, ['rm', '-r', p], { timeoutMs: 60000 });
    if (r.exitCode !== 0) throw shellError(r, `Cannot delete ${p}`);
  }

  /** `mkdir -p PATH`. */
  async mkdir(serial: string, p: string): Promise<void> {
    p = normalizeDevicePath(p);
    const r = await this.backend.exec(serial, ['mkdir', '-p', p], { timeoutMs: 15000 });
    if (r.exitCode !== 0) throw shellError(r, `Cannot create ${p}`);
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(() => true, () => false);
}
