/**
 * How the virtual phone's processes see their standard streams: stdin is a reader of byte chunks (null at
 * end of file), stdout and stderr are writers that resolve when the bytes were taken (back-pressure), and a
 * signal tells a long-running command that it should stop (the reader went away, `kill`, the host closed
 * the stream).
 */
export interface AbortLike {
  readonly aborted: boolean;
  /** Runs `cb` once when aborted (at once if already aborted). */
  onAbort(cb: () => void): void;
}

export interface Reader {
  /** The next chunk, or null at end of input. */
  read(): Promise<Buffer | null>;
  /** Releases what the reader holds (an open file) when it is dropped before its end. */
  close?(): void | Promise<void>;
}

export interface Io {
  stdin: Reader;
  /** Resolves when the data was accepted. Never rejects: when nobody reads any more, `signal` aborts (SIGPIPE). */
  out(data: Buffer | string): Promise<void>;
  err(data: Buffer | string): Promise<void>;
  signal: AbortLike;
  /** A terminal is attached (adb shell with a pty). */
  tty: boolean;
}

export function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** All of stdin (up to `limit` bytes: more is an error, so nothing is silently cut). */
export async function readAll(r: Reader, limit = 1 << 30): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for (;;) {
    const c = await r.read();
    if (c === null) break;
    n += c.length;
    if (n > limit) throw new Error(`input larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Reads stdin as lines (without the newline); the last line may lack one. */
export async function* readLines(r: Reader): AsyncGenerator<string> {
  let rest = '';
  for (;;) {
    const c = await r.read();
    if (c === null) break;
    rest += c.toString('utf8');
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, i);
      rest = rest.slice(i + 1);
    }
  }
  if (rest) yield rest;
}

export class Abort implements AbortLike {
  aborted = false;
  reason: string | undefined;
  private cbs: Array<() => void> = [];
  onAbort(cb: () => void): void {
    if (this.aborted) cb();
    else this.cbs.push(cb);
  }
  abort(reason = 'aborted'): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    for (const cb of this.cbs.splice(0)) {
      try { cb(); } catch { /* a listener's failure does not stop the others */ }
    }
  }
  /** Aborts when `parent` aborts. */
  follow(parent: AbortLike): this {
    parent.onAbort(() => this.abort('parent'));
    return this;
  }
}

/** An empty stdin. */
export const EMPTY: Reader = { read: async () => null };

/** A reader over a fixed buffer. */
export function bufferReader(data: Buffer | string): Reader {
  let b: Buffer | null = toBuffer(data);
  return {
    read: async () => {
      const out = b && b.length ? b : null;
      b = null;
      return out;
    },
  };
}

/**
 * A pipe between two processes (or between the adb stream and a process): the writer waits while more than
 * `highWater` bytes are unread; when the reading side is closed (`closeRead`) writes are discarded and
 * `onReaderGone` fires (the writer's SIGPIPE).
 */
export class Pipe implements Reader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private readerGone = false;
  private waitingReader: ((b: Buffer | null) => void) | undefined;
  private waitingWriters: Array<() => void> = [];
  private goneCbs: Array<() => void> = [];

  constructor(private readonly highWater = 256 * 1024) {}

  get closedForRead(): boolean {
    return this.readerGone;
  }

  write(data: Buffer | string): Promise<void> {
    const b = toBuffer(data);
    if (this.readerGone || this.ended || b.length === 0) return Promise.resolve();
    if (this.waitingReader) {
      const r = this.waitingReader;
      this.waitingReader = undefined;
      r(b);
      return Promise.resolve();
    }
    this.chunks.push(b);
    this.buffered += b.length;
    if (this.buffered <= this.highWater) return Promise.resolve();
    return new Promise((resolve) => this.waitingWriters.push(resolve));
  }

  /** The writer is done: the reader gets null after the buffered data. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waitingReader && !this.chunks.length) {
      const r = this.waitingReader;
      this.waitingReader = undefined;
      r(null);
    }
  }

  get ending(): boolean {
    return this.ended;
  }

  read(): Promise<Buffer | null> {
    if (this.chunks.length) {
      const b = this.chunks.shift() as Buffer;
      this.buffered -= b.length;
      if (this.buffered <= this.highWater) for (const w of this.waitingWriters.splice(0)) w();
      return Promise.resolve(b);
    }
    if (this.ended || this.readerGone) return Promise.resolve(null);
    return new Promise((resolve) => (this.waitingReader = resolve));
  }

  /** Nobody will read again: pending and future writes are dropped and the writer is told. */
  closeRead(): void {
    if (this.readerGone) return;
    this.readerGone = true;
    this.chunks = [];
    this.buffered = 0;
    for (const w of this.waitingWriters.splice(0)) w();
    const r = this.waitingReader;
    this.waitingReader = undefined;
    r?.(null);
    for (const cb of this.goneCbs.splice(0)) cb();
  }

  onReaderGone(cb: () => void): void {
    if (this.readerGone) cb();
    else this.goneCbs.push(cb);
  }
}
