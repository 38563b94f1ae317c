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
 * Splits an H.264 Annex B byte stream into access units (one frame each, with any SPS/PPS/SEI that precede
 * it), as `screenrecord --output-format=h264` writes them.
 */
export class AnnexBSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private hasIdr = false;
  private pending: Buffer[] = [];
  codec: string | undefined;

  push(data: Buffer, emit: (au: Buffer, key: boolean) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
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

  private nal(nal: Buffer, emit: (au: Buffer, key: boolean) => void): void {
    const off = nal[2] === 1 ? 3 : 4;
    const type = nal[off] & 0x1f;
    if (type === 7 && nal.length > off + 3) {
      const hex = (b: number) => b.toString(16).padStart(2, '0');
      this.codec = `avc1.${hex(nal[off + 1])}${hex(nal[off + 2])}${hex(nal[off + 3])}`;
    }
    this.pending.push(nal);
    if (type === 5) this.hasIdr = true;
    if (type === 1 || type === 5) {
      const au = Buffer.concat(this.pending);
      const key = this.hasIdr;
      this.pending = [];
      this.hasIdr = false;
      emit(au, key);
    }
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
          stream.on('data', (d: Buffer) => splitter.push(d, (au, key) => {
            const behind = this.seq - this.acked;
            if (behind > 10) this.dropping = true;
            if (this.dropping) {
              if (!key || behind > 10) return;
              this.dropping = false;
            }
            this.seq++;
            this.onUnit({ seq: this.seq, data: au, key, codec: splitter.codec, receivedAt: Date.now() });
          }));
          stream.on('end', () => resolve());
          stream.on('close', () => resolve());
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
