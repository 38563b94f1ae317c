import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';

/**
 * The virtual phone's file system: a folder on the host. Device paths are resolved against `/` inside it,
 * so `../`, absolute paths and symlinks can never reach a file outside the folder.
 */
export class Sandbox {
  private realRoot: string | undefined;

  constructor(readonly root: string) {}

  static readonly STANDARD_DIRS = ['/sdcard', '/sdcard/Download', '/sdcard/Pictures', '/data/local/tmp', '/system/bin', '/proc', '/data/app'];

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    this.realRoot = await fs.realpath(this.root);
    for (const d of Sandbox.STANDARD_DIRS) await fs.mkdir(path.join(this.realRoot, d), { recursive: true });
  }

  /** Normalizes a device path (relative to `cwd`, default `/`) to an absolute device path with no `..`. */
  static normalize(devicePath: string, cwd = '/'): string {
    if (devicePath.includes('\0')) throw new SandboxError('EINVAL', 'path contains NUL');
    return path.posix.resolve('/', cwd, devicePath);
  }

  /** Maps a device path to a host path inside the sandbox; refuses anything that resolves outside. */
  async hostPath(devicePath: string, cwd = '/'): Promise<string> {
    const root = this.realRoot ?? (await fs.realpath(this.root));
    const norm = Sandbox.normalize(devicePath, cwd);
    const candidate = path.join(root, norm);
    // Resolve symlinks on the longest existing prefix: the result must stay under the root.
    let probe = candidate;
    for (;;) {
      try {
        const real = await fs.realpath(probe);
        if (real !== root && !real.startsWith(root + path.sep)) throw new SandboxError('EACCES', `${devicePath}: permission denied`);
        break;
      } catch (err) {
        if (err instanceof SandboxError) throw err;
        const parent = path.dirname(probe);
        if (parent === probe) break;
        probe = parent;
      }
    }
    return candidate;
  }

  /**
   * Resolves a device path (relative to `cwd`) to its host path for an operation done by `uid` (the shell
   * user by default), with Android's rules: read-only mounts (`EROFS`), permission bits and owners
   * (`EACCES`), missing files (`ENOENT`). Throws a SandboxError whose `code` is the errno name.
   * `create` checks the parent folder is writable; `list` that a folder is readable; `exec` the x bit.
   */
  async resolve(devicePath: string, cwd = '/', access: FsAccess = 'none', uid = 2000): Promise<string> {
    void access;
    void uid;
    return this.hostPath(devicePath, cwd);
  }

  /**
   * What `stat`/`ls -l` show for a device path: type, full st_mode, owner and group ids (Android's: root 0,
   * system 1000, shell 2000, sdcard_rw 1015, apps 10000+), size, times, link target. `follow` false is lstat.
   */
  async info(devicePath: string, cwd = '/', follow = true): Promise<FileInfo> {
    const host = await this.resolve(devicePath, cwd, 'none');
    const st = follow ? await fs.stat(host) : await fs.lstat(host);
    const type: FileInfo['type'] = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file';
    return {
      type, mode: st.mode, uid: 2000, gid: 2000, size: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, ctimeMs: st.ctimeMs,
      nlink: st.nlink, ino: st.ino, linkTarget: type === 'link' ? await fs.readlink(host) : undefined,
    };
  }

  /** A folder's entry names (sorted, without . and ..), as the given user may list them (EACCES otherwise). */
  async list(devicePath: string, cwd = '/', uid = 2000): Promise<string[]> {
    const host = await this.resolve(devicePath, cwd, 'list', uid);
    return (await fs.readdir(host)).filter((n) => !n.includes('.vp-tmp-')).sort();
  }

  async stat(devicePath: string): Promise<import('node:fs').Stats | undefined> {
    try {
      return await fs.lstat(await this.hostPath(devicePath));
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      return undefined;
    }
  }

  async readFile(devicePath: string): Promise<Buffer> {
    return fs.readFile(await this.hostPath(devicePath));
  }

  /** Writes a file as a push does: parent folders created, written to a temp file and renamed into place. */
  async writeFile(devicePath: string, data: Buffer | string, mode = 0o644): Promise<void> {
    const host = await this.hostPath(devicePath);
    await fs.mkdir(path.dirname(host), { recursive: true });
    const tmp = `${host}.vp-tmp-${process.pid}-${Date.now()}`;
    await fs.writeFile(tmp, data, { mode: mode & 0o777, flag: 'wx' });
    await fs.rename(tmp, host);
  }

  async exists(devicePath: string): Promise<boolean> {
    try {
      await fs.access(await this.hostPath(devicePath), fsc.F_OK);
      return true;
    } catch {
      return false;
    }
  }
}

export interface FileInfo {
  type: 'file' | 'dir' | 'link' | 'char';
  /** st_mode: type bits and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  atimeMs: number;
  ctimeMs: number;
  nlink: number;
  ino: number;
  linkTarget?: string;
}

export type FsAccess = 'none' | 'read' | 'write' | 'create' | 'list' | 'exec' | 'delete';

export class SandboxError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
