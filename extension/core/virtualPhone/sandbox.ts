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

export class SandboxError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
