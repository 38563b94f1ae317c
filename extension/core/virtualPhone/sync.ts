import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { ByteQueue } from './byteQueue';
import { type Sandbox, SandboxError } from './sandbox';
import type { ServiceStream } from './stream';

/** The `sync:` service: file transfer (STAT, STA2, LST2, LIST, SEND, RECV, QUIT). */
const MAX_PATH = 1024;
const MAX_DATA = 64 * 1024;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

function id(s: string): number {
  return Buffer.from(s, 'ascii').readUInt32LE(0);
}
const ID = {
  STAT: id('STAT'), STA2: id('STA2'), LST2: id('LST2'), LIST: id('LIST'), SEND: id('SEND'), RECV: id('RECV'),
  DATA: id('DATA'), DONE: id('DONE'), OKAY: id('OKAY'), FAIL: id('FAIL'), QUIT: id('QUIT'), DENT: id('DENT'),
};

interface SendState {
  devicePath: string;
  tmp: string;
  target: string;
  handle: fs.FileHandle | undefined;
  mode: number;
  error: string | undefined;
  received: number;
}

function errnoOf(err: unknown): number {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' ? 2 : code === 'EACCES' ? 13 : code === 'ENOTDIR' ? 20 : code === 'EISDIR' ? 21 : 5;
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
      this.stream.end();
      this.done = true;
    } finally {
      this.busy = false;
    }
  }

  /** Handles one request if a whole one is buffered; false when more bytes are needed. */
  private async step(): Promise<boolean> {
    if (this.queue.length < 8) return false;
    const head = this.queue.peek(8);
    const cmd = head.readUInt32LE(0);
    const len = head.readUInt32LE(4);
    if (this.send) {
      if (cmd === ID.DATA) {
        if (len > MAX_DATA) throw new Error(`sync DATA of ${len} bytes exceeds ${MAX_DATA}`);
        if (this.queue.length < 8 + len) return false;
        this.queue.skip(8);
        await this.sendData(this.queue.take(len));
        return true;
      }
      if (cmd === ID.DONE) {
        this.queue.skip(8);
        await this.sendDone(len);
        return true;
      }
      throw new Error(`unexpected sync request ${head.subarray(0, 4).toString('latin1')} during SEND`);
    }
    if (cmd === ID.QUIT) {
      this.queue.skip(8);
      this.done = true;
      this.stream.end();
      return false;
    }
    if (len > MAX_PATH) throw new Error(`sync path of ${len} bytes is too long`);
    if (this.queue.length < 8 + len) return false;
    this.queue.skip(8);
    const arg = this.queue.take(len).toString('utf8');
    switch (cmd) {
      case ID.STAT: await this.statV1(arg); break;
      case ID.STA2: await this.statV2(arg, ID.STA2, true); break;
      case ID.LST2: await this.statV2(arg, ID.LST2, false); break;
      case ID.LIST: await this.list(arg); break;
      case ID.RECV: await this.recv(arg); break;
      case ID.SEND: await this.beginSend(arg); break;
      default: throw new Error(`unknown sync request ${head.subarray(0, 4).toString('latin1')}`);
    }
    return true;
  }

  private async statOf(devicePath: string, follow: boolean): Promise<Stats | number> {
    try {
      const host = await this.sandbox.hostPath(devicePath);
      return follow ? await fs.stat(host) : await fs.lstat(host);
    } catch (err) {
      return err instanceof SandboxError ? 13 : errnoOf(err);
    }
  }

  private async statV1(devicePath: string): Promise<void> {
    const st = await this.statOf(devicePath, false);
    const out = Buffer.alloc(16);
    out.writeUInt32LE(ID.STAT, 0);
    if (typeof st !== 'number') {
      out.writeUInt32LE(modeOf(st), 4);
      out.writeUInt32LE(Math.min(st.size, 0xffffffff), 8);
      out.writeUInt32LE(Math.floor(st.mtimeMs / 1000), 12);
    }
    await this.stream.write(out);
  }

  private async statV2(devicePath: string, replyId: number, follow: boolean): Promise<void> {
    const st = await this.statOf(devicePath, follow);
    const out = Buffer.alloc(72);
    out.writeUInt32LE(replyId, 0);
    if (typeof st === 'number') {
      out.writeUInt32LE(st, 4);
    } else {
      writeStat2(out, 8, st);
    }
    await this.stream.write(out);
  }

  private async list(devicePath: string): Promise<void> {
    let names: string[] = [];
    let dir = '';
    try {
      dir = await this.sandbox.hostPath(devicePath);
      names = (await fs.readdir(dir)).filter((n) => !n.includes('.vp-tmp-'));
    } catch {
      names = [];
    }
    const parts: Buffer[] = [];
    for (const name of ['.', '..', ...names.sort()]) {
      let st: Stats;
      try {
        st = await fs.lstat(path.join(dir, name));
      } catch {
        continue;
      }
      const nameBuf = Buffer.from(name, 'utf8');
      const rec = Buffer.alloc(20);
      rec.writeUInt32LE(ID.DENT, 0);
      rec.writeUInt32LE(modeOf(st), 4);
      rec.writeUInt32LE(Math.min(st.size, 0xffffffff), 8);
      rec.writeUInt32LE(Math.floor(st.mtimeMs / 1000), 12);
      rec.writeUInt32LE(nameBuf.length, 16);
      parts.push(rec, nameBuf);
    }
    const doneRec = Buffer.alloc(20);
    doneRec.writeUInt32LE(ID.DONE, 0);
    parts.push(doneRec);
    await this.stream.write(Buffer.concat(parts));
  }

  private async recv(devicePath: string): Promise<void> {
    let handle: fs.FileHandle;
    try {
      const host = await this.sandbox.hostPath(devicePath);
      const st = await fs.stat(host);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      handle = await fs.open(host, 'r');
    } catch (err) {
      const reason = err instanceof SandboxError ? 'Permission denied' : errnoOf(err) === 2 ? 'No such file or directory' : (err as Error).message;
      await this.fail(`remote object '${devicePath}' does not exist or cannot be read: ${reason}`);
      return;
    }
    try {
      const chunk = Buffer.alloc(MAX_DATA);
      for (;;) {
        if (this.done) return;
        const { bytesRead } = await handle.read(chunk, 0, MAX_DATA, null);
        if (bytesRead === 0) break;
        const head = Buffer.alloc(8);
        head.writeUInt32LE(ID.DATA, 0);
        head.writeUInt32LE(bytesRead, 4);
        await this.stream.write(Buffer.concat([head, chunk.subarray(0, bytesRead)]));
      }
      const doneRec = Buffer.alloc(8);
      doneRec.writeUInt32LE(ID.DONE, 0);
      await this.stream.write(doneRec);
      this.onEvent?.(`pull ${devicePath}`);
    } finally {
      await handle.close();
    }
  }

  private async beginSend(spec: string): Promise<void> {
    const comma = spec.lastIndexOf(',');
    const devicePath = comma < 0 ? spec : spec.slice(0, comma);
    const rawMode = comma < 0 ? 0o644 : parseInt(spec.slice(comma + 1), 10);
    const state: SendState = { devicePath, tmp: '', target: '', handle: undefined, mode: Number.isFinite(rawMode) ? rawMode : 0o644, error: undefined, received: 0 };
    this.send = state;
    try {
      if ((state.mode & S_IFMT) !== 0 && (state.mode & S_IFMT) !== S_IFREG) throw new Error('only regular files can be pushed');
      state.target = await this.sandbox.hostPath(devicePath);
      const existing = await fs.stat(state.target).catch(() => undefined);
      if (existing?.isDirectory()) throw new Error(`${devicePath}: is a directory`);
      await fs.mkdir(path.dirname(state.target), { recursive: true });
      state.tmp = `${state.target}.vp-tmp-${process.pid}-${Date.now()}`;
      state.handle = await fs.open(state.tmp, 'wx', state.mode & 0o777 || 0o644);
    } catch (err) {
      state.error = err instanceof SandboxError ? `${devicePath}: Permission denied` : (err as Error).message;
    }
  }

  private async sendData(data: Buffer): Promise<void> {
    const s = this.send;
    if (!s || s.error || !s.handle) return;
    try {
      await s.handle.write(data);
      s.received += data.length;
    } catch (err) {
      s.error = (err as Error).message;
    }
  }

  private async sendDone(mtime: number): Promise<void> {
    const s = this.send;
    this.send = undefined;
    if (!s) return;
    try {
      if (s.handle) await s.handle.close();
      s.handle = undefined;
      if (!s.error) {
        await fs.rename(s.tmp, s.target);
        if (mtime > 0) await fs.utimes(s.target, mtime, mtime).catch(() => undefined);
      }
    } catch (err) {
      s.error = (err as Error).message;
    }
    if (s.error) {
      if (s.tmp) await fs.rm(s.tmp, { force: true });
      await this.fail(`couldn't create file: ${s.error}`);
      return;
    }
    this.onEvent?.(`push ${s.devicePath} (${s.received} bytes)`);
    const ok = Buffer.alloc(8);
    ok.writeUInt32LE(ID.OKAY, 0);
    await this.stream.write(ok);
  }

  /** A transfer cut off mid-way leaves nothing behind on the phone. */
  private async abortSend(): Promise<void> {
    const s = this.send;
    this.send = undefined;
    if (!s) return;
    await s.handle?.close().catch(() => undefined);
    if (s.tmp) await fs.rm(s.tmp, { force: true });
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

function modeOf(st: Stats): number {
  const type = st.isDirectory() ? S_IFDIR : st.isFile() ? S_IFREG : st.mode & S_IFMT;
  return (type | (st.mode & 0o7777)) >>> 0;
}

function writeStat2(out: Buffer, at: number, st: Stats): void {
  out.writeBigUInt64LE(BigInt(st.dev), at);
  out.writeBigUInt64LE(BigInt(st.ino), at + 8);
  out.writeUInt32LE(modeOf(st), at + 16);
  out.writeUInt32LE(st.nlink, at + 20);
  out.writeUInt32LE(2000, at + 24); // shell uid
  out.writeUInt32LE(2000, at + 28);
  out.writeBigUInt64LE(BigInt(st.size), at + 32);
  out.writeBigInt64LE(BigInt(Math.floor(st.atimeMs / 1000)), at + 40);
  out.writeBigInt64LE(BigInt(Math.floor(st.mtimeMs / 1000)), at + 48);
  out.writeBigInt64LE(BigInt(Math.floor(st.ctimeMs / 1000)), at + 56);
}
