import type { AdbService } from '../adb/adbService';

export interface AccessUnit {
  seq: number;
  data: Buffer;
  key: boolean;
  /** avc1.PPCCLL from the stream's SPS, once seen. */
  codec?: string;
  receivedAt: number;
}

/**
 * Splits an H.264 Annex B byte stream into access units (one picture each, with any SPS/PPS/SEI that precede
 * it), as `screenrecord --output-format=h264` writes them. A picture may be coded as several slices: a new
 * access unit starts at a slice whose first_mb_in_slice is 0, or at an AUD/SPS/PPS/SEI after a slice.
 *
 * A raw stream says nothing about where a picture ends until the next one begins, and a phone sends no new
 * picture while its screen is still: waiting for the next start code would hold the last picture of every
 * change. So when the stream goes quiet (`flush`, called by the reader after a short idle time) the trailing
 * slice is taken as complete. If more bytes of that slice then arrive, the picture was torn: it is counted,
 * and access units are dropped until the next key frame so the decoder never builds on a broken picture.
 */
export class AnnexBSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private au: Buffer[] = [];
  private auHasSlice = false;
  private auHasIdr = false;
  private afterFlush = false;
  private needKey = false;
  codec: string | undefined;
  /** Pictures found incomplete after an idle flush (see the class comment). */
  torn = 0;

  push(data: Buffer, emit: (au: Buffer, key: boolean) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    if (this.afterFlush) {
      const first = findStart(this.buf, 0);
      const zeros = (n: number) => this.buf.subarray(0, n).every((b) => b === 0);
      if (first < 0 && zeros(this.buf.length)) return; // a start code cut short: wait for the rest
      this.afterFlush = false;
      if (first !== 0 && !(first > 0 && zeros(first))) {
        // The slice emitted at the flush had more bytes: that picture was torn.
        this.torn++;
        this.needKey = true;
        this.au = [];
        this.auHasSlice = this.auHasIdr = false;
        if (first < 0) {
          this.buf = Buffer.from(this.buf.subarray(Math.max(0, this.buf.length - 3)));
          return;
        }
        this.buf = this.buf.subarray(first);
      }
    }
    let start = findStart(this.buf, 0);
    if (start < 0) return;
    for (;;) {
      const next = findStart(this.buf, start + 3);
      if (next < 0) break;
      this.nal(this.buf.subarray(start, next), emit);
      start = next;
    }
    this.buf = Buffer.from(this.buf.subarray(start));
  }

  /** The stream went quiet (or ended): the trailing NAL, if a slice, is complete; emit its access unit. */
  flush(emit: (au: Buffer, key: boolean) => void): void {
    if (findStart(this.buf, 0) !== 0) return;
    let end = this.buf.length;
    while (end > 0 && this.buf[end - 1] === 0) end--; // a NAL never ends in a zero byte: those start the next start code
    const nal = this.buf.subarray(0, end);
    const off = nal.length > 3 && nal[2] === 1 ? 3 : 4;
    if (nal.length <= off + 1) return;
    const type = nal[off] & 0x1f;
    if (type !== 1 && type !== 5) return;
    this.nal(Buffer.from(nal), emit);
    this.buf = Buffer.from(this.buf.subarray(end));
    this.emitAu(emit);
    this.afterFlush = true;
  }

  private emitAu(emit: (au: Buffer, key: boolean) => void): void {
    if (!this.auHasSlice) return;
    const au = Buffer.concat(this.au);
    const key = this.auHasIdr;
    this.au = [];
    this.auHasSlice = this.auHasIdr = false;
    if (this.needKey) {
      if (!key) return;
      this.needKey = false;
    }
    emit(au, key);
  }

  private nal(nal: Buffer, emit: (au: Buffer, key: boolean) => void): void {
    const off = nal[2] === 1 ? 3 : 4;
    if (nal.length <= off) return;
    const type = nal[off] & 0x1f;
    if (type === 7 && nal.length > off + 3) {
      const hex = (b: number) => b.toString(16).padStart(2, '0');
      this.codec = `avc1.${hex(nal[off + 1])}${hex(nal[off + 2])}${hex(nal[off + 3])}`;
    }
    const slice = type === 1 || type === 5;
    // first_mb_in_slice is ue(v): it is 0 exactly when the first bit after the NAL header is 1.
    const firstSlice = slice && nal.length > off + 1 && (nal[off + 1] & 0x80) !== 0;
    const startsAu = firstSlice || type === 6 || type === 7 || type === 8 || type === 9 || (type >= 14 && type <= 18);
    if (startsAu && this.auHasSlice) this.emitAu(emit);
    this.au.push(nal);
    if (slice) this.auHasSlice = true;
    if (type === 5) this.auHasIdr = true;
  }
}

function findStart(b: Buffer, from: number): number {
  for (let i = from; i + 3 <= b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && (b[i + 2] === 1 || (b[i + 2] === 0 && b[i + 3] === 1))) return i;
  }
  return -1;
}

/**
 * The fast live screen: `screenrecord --output-format=h264 … -` streamed over `exec:` (nothing installed
 * on the phone), restarted when screenrecord stops at its time limit. Frames never queue: when the viewer
 * falls behind, frames are dropped up to the next key frame (a decoder cannot skip delta frames).
 */
export class H264Stream {
  private running = false;
  private paused = false;
  private close: (() => void) | undefined;
  private seq = 0;
  private acked = 0;
  private dropping = false;
  restarts = 0;
  /** How long the stream must stay quiet before the trailing picture is taken as complete. */
  idleMs = 5;

  constructor(private readonly adb: AdbService, private readonly serial: string, private readonly size: { width: number; height: number }, private readonly onUnit: (u: AccessUnit) => void, private readonly opts: { bitRate?: number; timeLimit?: number; onError?: (e: Error) => void; onEnd?: () => void } = {}) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    this.close?.();
  }

  setPaused(p: boolean): void {
    this.paused = p;
    if (p) this.close?.(); // stop encoding on the phone while nobody watches
  }

  ack(seq: number): void {
    this.acked = Math.max(this.acked, seq);
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      if (this.paused) {
        await new Promise((r) => setTimeout(r, 300));
        continue;
      }
      const splitter = new AnnexBSplitter();
      try {
        const { stream, close } = await this.adb.openExecStream(this.serial, ['screenrecord', '--output-format=h264', '--size', `${this.size.width}x${this.size.height}`, '--bit-rate', String(this.opts.bitRate ?? 4_000_000), ...(this.opts.timeLimit ? ['--time-limit', String(this.opts.timeLimit)] : []), '-']);
        this.close = close;
        // Each new screenrecord starts with SPS/PPS and a key frame: the decoder restarts cleanly.
        this.dropping = true;
        await new Promise<void>((resolve, reject) => {
          const emit = (au: Buffer, key: boolean) => {
            const behind = this.seq - this.acked;
            if (behind > 10) this.dropping = true;
            if (this.dropping) {
              if (!key || behind > 10) return;
              this.dropping = false;
            }
            this.seq++;
            this.onUnit({ seq: this.seq, data: au, key, codec: splitter.codec, receivedAt: Date.now() });
          };
          // A picture is complete once the stream goes quiet for a moment (see AnnexBSplitter); the wait
          // doubles, up to 40 ms, each time a picture turns out to have been torn by a pause mid-picture.
          let idle: NodeJS.Timeout | undefined;
          let tornSeen = 0;
          stream.on('data', (d: Buffer) => {
            splitter.push(d, emit);
            if (splitter.torn > tornSeen) {
              tornSeen = splitter.torn;
              this.idleMs = Math.min(40, this.idleMs * 2);
            }
            clearTimeout(idle);
            idle = setTimeout(() => splitter.flush(emit), this.idleMs);
          });
          const done = () => {
            clearTimeout(idle);
            splitter.flush(emit);
            resolve();
          };
          stream.on('end', done);
          stream.on('close', done);
          stream.on('error', reject);
        });
        failures = 0;
        if (this.running && !this.paused) this.restarts++;
      } catch (err) {
        failures++;
        this.opts.onError?.(err as Error);
        if (failures > 3) {
          this.running = false;
          this.opts.onEnd?.();
          return;
        }
        await new Promise((r) => setTimeout(r, 500 * failures));
      }
    }
  }
}
