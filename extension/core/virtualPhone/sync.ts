import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ByteQueue } from './byteQueue';
import { AID, ERRNO_NUMBER, type FileInfo, type Sandbox, SandboxError } from './sandbox';
import type { ServiceStream } from './stream';
import { devReader } from './os/devfs';

/**
 * The `sync:` service as adbd runs it on a user build (as the shell user, uid 2000): STAT, STA2, LST2, LIST,
 * LIS2, SEND, RECV, QUIT. Behaviour and messages follow adb's daemon/file_sync_service.cpp: pushes unlink
 * the old file and create a new one owned by the shell with the client's permission bits (user bits copied
 * to group and other), create missing parent folders (mode 0775), and take the DONE message's mtime; every
 * failure is a FAIL carrying `<what> failed: <strerror>` and ends the connection.
 */
const MAX_PATH = 1024;
const SYNC_DATA_MAX = 64 * 1024;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const SHELL = AID.SHELL;

function id(s: string): number {
  return Buffer.from(s, 'ascii').readUInt32LE(0);
}
const ID = {
  STAT: id('STAT'), STA2: id('STA2'), LST2: id('LST2'), LIST: id('LIST'), LIS2: id('LIS2'), SEND: id('SEND'), RECV: id('RECV'),
  DATA: id('DATA'), DONE: id('DONE'), OKAY: id('OKAY'), FAIL: id('FAIL'), QUIT: id('QUIT'), DENT: id('DENT'), DNT2: id('DNT2'),
};

/** Character devices a pull or a stat may name (major, minor), as on a phone. */
const DEV_NODES: Record<string, [number, number]> = { '/dev/null': [1, 3], '/dev/zero': [1, 5], '/dev/random': [1, 8], '/dev/urandom': [1, 9], '/dev/tty': [5, 0] };

type SendState =
  | { kind: 'file'; devicePath: string; host: string; handle: fs.FileHandle | undefined; created: boolean; failed: boolean; received: number }
  | { kind: 'link'; devicePath: string; target: string | undefined; failed: boolean };

function codeOf(err: unknown): string {
  return (err as { code?: string })?.code ?? 'EIO';
}

/** strerror() as bionic words it. */
function strerror(err: unknown): string {
  return err instanceof SandboxError ? err.message : new SandboxError(ERRNO_NUMBER[codeOf(err)] ? codeOf(err) : 'EIO').message;
}

/** strtoul(s, nullptr, 0): decimal, 0x hex or 0 octal; garbage gives 0. */
function strtoul(s: string): number {
  const t = s.trim();
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(t);
  if (!m) return 0;
  const v = m[1].startsWith('0x') || m[1].startsWith('0X') ? parseInt(m[1].slice(2), 16) : m[1].startsWith('0') ? parseInt(m[1], 8) || 0 : parseInt(m[1], 10);
  return v >>> 0;
}

export class SyncService {
  private readonly queue = new ByteQueue();
  private busy = false;
  private send: SendState | undefined;
  private done = false;

  constructor(private readonly sandbox: Sandbox, private readonly stream: ServiceStream, private readonly onEvent?: (msg: string) => void) {
    stream.onData = (d) => {
      this.queue.push(d);
      void this.pump();
    };
    stream.onClose = () => {
      this.done = true;
      void this.abortSend();
    };
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.done && (await this.step())) {
        /* keep going while whole requests are buffered */
      }
    } catch (err) {
      await this.fail(err instanceof Error ? err.message : String(err));
      this.close();
    } finally {
      this.busy = false;
    }
  }

  /** adbd stops serving the connection (after a failure, QUIT, or a protocol error). */
  private close(): void {
    this.done = true;
    this.stream.end();
  }

  /** Handles one request if a whole one is buffered; false when more bytes are needed. */
  private async step(): Promise<boolean> {
    if (this.queue.length < 8) return false;
    const head = this.queue.peek(8);
    const cmd = head.readUInt32LE(0);
    const len = head.readUInt32LE(4);
    if (this.send) return this.sendStep(cmd, len);
    if (cmd === ID.QUIT) {
      this.queue.skip(8);
      this.close();
      return false;
    }
    if (len > MAX_PATH) {
      await this.fail('path too long');
      this.close();
      return false;
    }
    if (this.queue.length < 8 + len) return false;
    this.queue.skip(8);
    const arg = this.queue.take(len).toString('utf8');
    switch (cmd) {
      case ID.STAT: await this.statV1(arg); break;
      case ID.STA2: await this.statV2(arg, ID.STA2, true); break;
      case ID.LST2: await this.statV2(arg, ID.LST2, false); break;
      case ID.LIST: await this.list(arg, false); break;
      case ID.LIS2: await this.list(arg, true); break;
      case ID.RECV: await this.recv(arg); break;
      case ID.SEND: await this.beginSend(arg); break;
      default:
        await this.fail(`unknown command ${cmd.toString(16).padStart(8, '0')}`);
        this.close();
        return false;
    }
    return true;
  }

  /* ------------------------------------------------------------------ stat and list */

  /** lstat/stat as adbd's shell user sees it; a made-up character device for /dev's nodes. */
  private async infoOf(devicePath: string, follow: boolean): Promise<FileInfo> {
    const dev = DEV_NODES[path.posix.normalize(devicePath)];
    if (dev) {
      const now = Date.now();
      return { type: 'char', mode: 0o020666, uid: 0, gid: 0, size: 0, mtimeMs: now, atimeMs: now, ctimeMs: now, nlink: 1, ino: 1000 + dev[0] * 16 + dev[1], dev: 5 };
    }
    return this.sandbox.info(devicePath, '/', follow, SHELL);
  }

  private async statV1(devicePath: string): Promise<void> {
    const out = Buffer.alloc(16);
    out.writeUInt32LE(ID.STAT, 0);
    try {
      const st = await this.infoOf(devicePath, false);
      out.writeUInt32LE(st.mode >>> 0, 4);
      out.writeUInt32LE(Math.min(st.size, 0xffffffff), 8);
      out.writeUInt32LE(Math.max(0, Math.floor(st.mtimeMs / 1000)) >>> 0, 12);
    } catch {
      /* v1 has no error field: all zeros */
    }
    await this.stream.write(out);
  }

  private async statV2(devicePath: string, replyId: number, follow: boolean): Promise<void> {
    const out = Buffer.alloc(72);
    out.writeUInt32LE(replyId, 0);
    try {
      writeStat2(out, 8, await this.infoOf(devicePath, follow));
    } catch (err) {
      out.writeUInt32LE(ERRNO_NUMBER[codeOf(err)] ?? ERRNO_NUMBER.EIO, 4);
    }
    await this.stream.write(out);
  }

  /** LIST/LIS2: `.` and `..` then every entry; a folder that cannot be opened gives an empty listing. */
  private async list(devicePath: string, v2: boolean): Promise<void> {
    let entries: Array<{ name: string; info: FileInfo }> = [];
    try {
      const self = await this.sandbox.info(devicePath, '/', true, SHELL);
      const canonical = self.path ?? devicePath;
      const rest = await this.sandbox.listInfo(canonical, '/', SHELL);
      const parent = await this.sandbox.info(canonical === '/' ? '/' : `${canonical}/..`, '/', true, SHELL).catch(() => self);
      entries = [{ name: '.', info: self }, { name: '..', info: parent }, ...rest];
    } catch {
      entries = [];
    }
    const parts: Buffer[] = [];
    for (const { name, info } of entries) {
      const nameBuf = Buffer.from(name, 'utf8');
      if (v2) {
        const rec = Buffer.alloc(76);
        rec.writeUInt32LE(ID.DNT2, 0);
        writeStat2(rec, 8, info);
        rec.writeUInt32LE(nameBuf.length, 72);
        parts.push(rec, nameBuf);
      } else {
        const rec = Buffer.alloc(20);
        rec.writeUInt32LE(ID.DENT, 0);
        rec.writeUInt32LE(info.mode >>> 0, 4);
        rec.writeUInt32LE(Math.min(info.size, 0xffffffff), 8);
        rec.writeUInt32LE(Math.max(0, Math.floor(info.mtimeMs / 1000)) >>> 0, 12);
        rec.writeUInt32LE(nameBuf.length, 16);
        parts.push(rec, nameBuf);
      }
    }
    const doneRec = Buffer.alloc(v2 ? 76 : 20);
    doneRec.writeUInt32LE(ID.DONE, 0);
    parts.push(doneRec);
    await this.stream.write(Buffer.concat(parts));
  }

  /* ------------------------------------------------------------------ pull */

  private async recv(devicePath: string): Promise<void> {
    const devNode = path.posix.normalize(devicePath);
    if (DEV_NODES[devNode]) {
      if (devNode === '/dev/tty') {
        await this.fail('open failed: No such device or address');
        this.close();
        return;
      }
      const r = devReader(devNode);
      for (let chunk = await r.read(); chunk && !this.done && !this.stream.closed; chunk = await r.read()) await this.sendData(chunk.subarray(0, SYNC_DATA_MAX));
      await this.sendDone();
      return;
    }
    let handle: fs.FileHandle;
    try {
      const host = await this.sandbox.resolve(devicePath, '/', 'read', SHELL);
      handle = await fs.open(host, 'r');
    } catch (err) {
      await this.fail(`open failed: ${strerror(err)}`);
      this.close();
      return;
    }
    try {
      const chunk = Buffer.alloc(SYNC_DATA_MAX);
      for (;;) {
        if (this.done || this.stream.closed) return;
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(chunk, 0, SYNC_DATA_MAX, null));
        } catch (err) {
          await this.fail(`read failed: ${strerror(err)}`);
          this.close();
          return;
        }
        if (bytesRead === 0) break;
        await this.sendData(chunk.subarray(0, bytesRead));
      }
      await this.sendDone();
      this.onEvent?.(`pull ${devicePath}`);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async sendData(data: Buffer): Promise<void> {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(ID.DATA, 0);
    head.writeUInt32LE(data.length, 4);
    await this.stream.write(Buffer.concat([head, data]));
  }

  private async sendDone(): Promise<void> {
    const doneRec = Buffer.alloc(8);
    doneRec.writeUInt32LE(ID.DONE, 0);
    await this.stream.write(doneRec);
  }

  /* ------------------------------------------------------------------ push */

  /** secure_mkdirs(): every folder of the path made by the shell (0775), existing ones left alone. */
  private async mkdirs(dir: string): Promise<void> {
    if (!dir.startsWith('/')) throw new SandboxError('ENOENT');
    const parts = dir.split('/').filter((p) => p !== '');
    for (let i = 1; i <= parts.length; i++) {
      const partial = `/${parts.slice(0, i).join('/')}`;
      try {
        await this.sandbox.mkdir(partial, { uid: SHELL, mode: 0o775 });
      } catch (err) {
        if (codeOf(err) !== 'EEXIST') throw err;
      }
    }
  }

  private async beginSend(spec: string): Promise<void> {
    const comma = spec.lastIndexOf(',');
    if (comma < 0) {
      await this.fail('missing , in ID_SEND_V1');
      this.close();
      return;
    }
    const devicePath = spec.slice(0, comma);
    const mode = strtoul(spec.slice(comma + 1));
    if ((mode & S_IFMT) === S_IFLNK) {
      this.send = { kind: 'link', devicePath, target: undefined, failed: false };
      return;
    }
    // Copy the user permission bits to group and other (send_impl).
    let perm = mode & 0o777;
    perm |= (perm >> 3) & 0o070;
    perm |= (perm >> 3) & 0o007;
    const state: SendState = { kind: 'file', devicePath, host: '', handle: undefined, created: false, failed: false, received: 0 };
    this.send = state;
    // Don't delete what is not a regular file or a link (a folder stays, and the open below fails on it).
    const before = await this.sandbox.info(devicePath, '/', false, SHELL).catch(() => undefined);
    if (before && (before.type === 'file' || before.type === 'link')) await this.sandbox.unlink(devicePath, { uid: SHELL }).catch(() => undefined);
    try {
      try {
        state.host = await this.sandbox.resolve(devicePath, '/', 'create', SHELL);
        state.created = true;
      } catch (err) {
        if (codeOf(err) === 'ENOENT') {
          try {
            await this.mkdirs(path.posix.dirname(devicePath));
          } catch (e) {
            state.failed = true;
            await this.fail(`secure_mkdirs() failed: ${strerror(e)}`);
            return;
          }
          state.host = await this.sandbox.resolve(devicePath, '/', 'create', SHELL);
          state.created = true;
        } else if (codeOf(err) === 'EEXIST') {
          // Something we could not unlink: write into it in place (O_WRONLY, no truncation), as adbd does.
          state.host = await this.sandbox.resolve(devicePath, '/', 'write', SHELL);
          const st = await fs.stat(state.host);
          if (st.isDirectory()) throw new SandboxError('EISDIR');
        } else {
          throw err;
        }
      }
      state.handle = await fs.open(state.host, state.created ? 'wx' : 'r+', 0o644);
      if (state.created) await this.sandbox.created(state.host, SHELL, perm);
      if (this.done || this.send !== state) {
        // The host went away while the file was being created (abortSend found nothing open yet): adbd, which
        // does this in one go, would unlink it at the next failed read; nothing is left behind here either.
        await state.handle.close().catch(() => undefined);
        state.handle = undefined;
        if (state.created) await fs.rm(state.host, { force: true }).catch(() => undefined);
        state.created = false;
        return;
      }
    } catch (err) {
      state.failed = true;
      if (state.handle) await state.handle.close().catch(() => undefined);
      state.handle = undefined;
      if (state.created) await fs.rm(state.host, { force: true }).catch(() => undefined);
      state.created = false;
      await this.fail(`couldn't create file: ${strerror(err)}`);
    }
  }

  /** DATA and DONE of a SEND (a failed one is drained to its DONE, then the connection ends). */
  private async sendStep(cmd: number, len: number): Promise<boolean> {
    const s = this.send as SendState;
    if (cmd === ID.DATA) {
      if (len > SYNC_DATA_MAX) {
        await this.fail(s.kind === 'link' ? 'oversize data message' : 'invalid data message');
        await this.abortSend();
        this.close();
        return false;
      }
      if (this.queue.length < 8 + len) return false;
      this.queue.skip(8);
      const data = this.queue.take(len);
      if (s.kind === 'link') {
        if (s.target !== undefined) {
          await this.fail('invalid data message: expected ID_DONE');
          this.send = undefined;
          this.close();
          return false;
        }
        const nul = data.indexOf(0);
        s.target = data.subarray(0, nul < 0 ? data.length : nul).toString('utf8');
        await this.makeLink(s);
        if (s.failed) {
          this.send = undefined;
          this.close();
          return false;
        }
        return true;
      }
      if (s.failed || !s.handle) return true;
      try {
        await s.handle.write(data);
        s.received += data.length;
      } catch (err) {
        s.failed = true;
        await this.fail(`write failed: ${strerror(err)}`);
      }
      return true;
    }
    if (cmd === ID.DONE) {
      this.queue.skip(8);
      this.send = undefined;
      if (s.kind === 'link') {
        if (s.target === undefined) {
          await this.fail('invalid data message: expected ID_DATA');
          this.close();
          return false;
        }
        await this.okay();
        await this.sandbox.utimes(s.devicePath, len, len, { uid: SHELL, follow: false }).catch(() => undefined);
        return true;
      }
      await s.handle?.close().catch(() => undefined);
      s.handle = undefined;
      if (s.failed) {
        if (s.created) await fs.rm(s.host, { force: true }).catch(() => undefined);
        this.close();
        return false;
      }
      // lutimes(path, DONE's timestamp): plain `adb push` sends the local mtime, so it is always kept.
      await fs.utimes(s.host, len, len).catch(() => undefined);
      this.onEvent?.(`push ${s.devicePath} (${s.received} bytes)`);
      await this.okay();
      return true;
    }
    this.queue.skip(8);
    this.send = undefined;
    if (s.kind === 'file') {
      await s.handle?.close().catch(() => undefined);
      if (s.created) await fs.rm(s.host, { force: true }).catch(() => undefined);
    }
    if (!s.failed) await this.fail(s.kind === 'link' ? 'invalid data message: expected ID_DATA' : 'invalid data message');
    this.close();
    return false;
  }

  /** handle_send_link(): the link is remade unless it already says the same thing. */
  private async makeLink(s: Extract<SendState, { kind: 'link' }>): Promise<void> {
    const target = s.target as string;
    const current = await this.sandbox.readlink(s.devicePath, { uid: SHELL }).catch(() => undefined);
    if (current === target) return;
    await this.sandbox.unlink(s.devicePath, { uid: SHELL }).catch(() => undefined);
    let err = await this.sandbox.symlink(target, s.devicePath, { uid: SHELL }).then(() => undefined, (e: unknown) => e);
    if (err !== undefined && codeOf(err) === 'ENOENT') {
      try {
        await this.mkdirs(path.posix.dirname(s.devicePath));
      } catch (e) {
        s.failed = true;
        await this.fail(`secure_mkdirs failed: ${strerror(e)}`);
        return;
      }
      err = await this.sandbox.symlink(target, s.devicePath, { uid: SHELL }).then(() => undefined, (e: unknown) => e);
    }
    if (err !== undefined) {
      s.failed = true;
      await this.fail(`symlink failed: ${strerror(err)}`);
    }
  }

  private async okay(): Promise<void> {
    const ok = Buffer.alloc(8);
    ok.writeUInt32LE(ID.OKAY, 0);
    await this.stream.write(ok);
  }

  /** A transfer cut off mid-way leaves nothing behind on the phone (adbd unlinks what it was writing). */
  private async abortSend(): Promise<void> {
    const s = this.send;
    this.send = undefined;
    if (!s || s.kind !== 'file') return;
    await s.handle?.close().catch(() => undefined);
    s.handle = undefined;
    if (s.created) await fs.rm(s.host, { force: true }).catch(() => undefined);
  }

  private async fail(message: string): Promise<void> {
    if (this.stream.closed) return;
    const msg = Buffer.from(message, 'utf8');
    const head = Buffer.alloc(8);
    head.writeUInt32LE(ID.FAIL, 0);
    head.writeUInt32LE(msg.length, 4);
    await this.stream.write(Buffer.concat([head, msg]));
  }
}

/** sync_stat_v2 from `at` (after id and error): dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime. */
function writeStat2(out: Buffer, at: number, st: FileInfo): void {
  out.writeBigUInt64LE(BigInt(st.dev ?? 0), at);
  out.writeBigUInt64LE(BigInt(st.ino), at + 8);
  out.writeUInt32LE(st.mode >>> 0, at + 16);
  out.writeUInt32LE(st.nlink >>> 0, at + 20);
  out.writeUInt32LE(st.uid >>> 0, at + 24);
  out.writeUInt32LE(st.gid >>> 0, at + 28);
  out.writeBigUInt64LE(BigInt(Math.max(0, st.size)), at + 32);
  out.writeBigInt64LE(BigInt(Math.floor(st.atimeMs / 1000)), at + 40);
  out.writeBigInt64LE(BigInt(Math.floor(st.mtimeMs / 1000)), at + 48);
  out.writeBigInt64LE(BigInt(Math.floor(st.ctimeMs / 1000)), at + 56);
}
