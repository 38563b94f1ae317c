import type { promises as fs } from 'node:fs';
import { toBuffer, type Pipe, type Reader } from '../os/io';

/** Where a file descriptor writes: the adb stream, a pipe, a file, /dev/null, or a capture for `$(…)`. */
export interface Writer {
  write(data: Buffer | string): Promise<void>;
  /** Called once when nobody reads any more (the pipe's reader exited, the host closed the stream). */
  onGone(cb: () => void): void;
  readonly gone: boolean;
}

export const NULL_WRITER: Writer = { write: async () => undefined, onGone: () => undefined, gone: false };

export function pipeWriter(p: Pipe): Writer {
  return {
    write: (d) => p.write(d),
    onGone: (cb) => p.onReaderGone(cb),
    get gone() { return p.closedForRead; },
  };
}

export class CaptureWriter implements Writer {
  readonly chunks: Buffer[] = [];
  gone = false;
  async write(d: Buffer | string): Promise<void> {
    const b = toBuffer(d);
    if (b.length) this.chunks.push(b);
  }
  onGone(): void { /* a capture reads everything */ }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Writes to a host file (opened by the shell for `>`/`>>`) in order; `close` flushes. */
export class FileWriter implements Writer {
  gone = false;
  private chain: Promise<void> = Promise.resolve();
  private error: Error | undefined;
  constructor(private readonly handle: fs.FileHandle) {}

  write(d: Buffer | string): Promise<void> {
    const b = toBuffer(d);
    if (!b.length) return Promise.resolve();
    this.chain = this.chain.then(async () => {
      if (this.error) return;
      try {
        let off = 0;
        while (off < b.length) off += (await this.handle.write(b, off, b.length - off)).bytesWritten;
      } catch (e) {
        this.error = e as Error;
      }
    });
    return this.chain;
  }

  onGone(): void { /* a file is always there */ }

  /** Flushes and closes; rejects with the first write error (ENOSPC…), so a failed write is never silent. */
  async close(): Promise<void> {
    await this.chain;
    await this.handle.close().catch(() => undefined);
    if (this.error) throw this.error;
  }
}

/**
 * A reader that can give back what it did not use, so `read` takes one line and the next command gets the
 * rest (as a shell reading a byte at a time would leave it).
 */
export class InStream implements Reader {
  private pending: Buffer[] = [];
  private eof = false;
  constructor(private readonly src: Reader) {}

  static of(r: Reader): InStream {
    return r instanceof InStream ? r : new InStream(r);
  }

  async read(): Promise<Buffer | null> {
    if (this.pending.length) return this.pending.shift() as Buffer;
    if (this.eof) return null;
    const b = await this.src.read();
    if (b === null) this.eof = true;
    return b;
  }

  unread(b: Buffer): void {
    if (b.length) this.pending.unshift(b);
  }

  /** Closes the source (a file opened by `<`) when its command is done with it. */
  async close(): Promise<void> {
    this.eof = true;
    this.pending = [];
    await this.src.close?.();
  }

  /** One line without its newline, or null at end of input (a last line without newline is returned). */
  async readLine(): Promise<string | null> {
    const parts: Buffer[] = [];
    for (;;) {
      const b = await this.read();
      if (b === null) return parts.length ? Buffer.concat(parts).toString('utf8') : null;
      const nl = b.indexOf(0x0a);
      if (nl >= 0) {
        parts.push(b.subarray(0, nl));
        this.unread(b.subarray(nl + 1));
        return Buffer.concat(parts).toString('utf8');
      }
      parts.push(b);
    }
  }
}
