import { createHash } from 'node:crypto';
import type { AdbService } from '../adb/adbService';
import { pngSize } from '../util/png';
import { inputTextArgs } from './input';

type Sharp = typeof import('sharp');

export interface Frame {
  seq: number;
  jpeg: Buffer;
  /** Size of the frame as sent (scaled). */
  width: number;
  height: number;
  /** The device's screen size in pixels (input coordinates). */
  deviceWidth: number;
  deviceHeight: number;
  capturedAt: number;
  captureMs: number;
}

/**
 * The last-resort live screen: `screencap -p` frames, scaled and JPEG-encoded on the host with sharp.
 * Frames never queue: a new capture starts only when the consumer has taken the previous frame, so a slow
 * viewer sees fewer, fresher frames. Unchanged screens send nothing.
 */
export class ScreencapStream {
  private running = false;
  private paused = false;
  private waitingForAck = false;
  private ackDeadline = 0;
  private seq = 0;
  private lastHash = '';
  private wake: (() => void) | undefined;
  captures = 0;

  constructor(private readonly adb: AdbService, private readonly serial: string, private readonly onFrame: (f: Frame) => void, private readonly opts: { maxWidth?: number; maxSize?: number; quality?: number; onError?: (e: Error) => void } = {}) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    this.wake?.();
  }

  /** Hidden panels stop capturing; shown again, they resume. */
  setPaused(p: boolean): void {
    this.paused = p;
    if (!p) this.wake?.();
  }

  /** The consumer drew frame `seq`: the next capture may start. */
  ack(seq: number): void {
    if (seq === this.seq) {
      this.waitingForAck = false;
      this.wake?.();
    }
  }

  /** Something changed (input sent): capture again even if the last frame looked the same. */
  poke(): void {
    this.lastHash = '';
    this.wake?.();
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      this.wake = () => { clearTimeout(t); r(); };
    });
    this.wake = undefined;
  }

  private async loop(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sharp = require('sharp') as Sharp;
    let failures = 0;
    while (this.running) {
      if (this.paused) {
        await this.sleep(500);
        continue;
      }
      if (this.waitingForAck) {
        // A lost ack must not stall the stream forever: after 2 s, send the next frame anyway.
        const left = this.ackDeadline - Date.now();
        if (left > 0) {
          await this.sleep(left);
          continue;
        }
        this.waitingForAck = false;
      }
      const t0 = Date.now();
      try {
        const png = await this.adb.execOut(this.serial, ['screencap', '-p'], { timeoutMs: 10000 });
        this.captures++;
        const size = pngSize(png);
        if (!size) throw new Error('screencap did not return a PNG');
        const hash = createHash('sha1').update(png).digest('hex');
        if (hash === this.lastHash) {
          await this.sleep(50);
          continue;
        }
        this.lastHash = hash;
        // maxSize (scrcpy's --max-size: the longer side; 0 = the phone's size) wins over maxWidth.
        const scale = this.opts.maxSize !== undefined
          ? (this.opts.maxSize > 0 ? Math.min(1, this.opts.maxSize / Math.max(size.width, size.height)) : 1)
          : Math.min(1, (this.opts.maxWidth ?? 540) / size.width);
        const w = Math.round(size.width * scale);
        const h = Math.round(size.height * scale);
        const jpeg = await sharp(png).resize(w, h).jpeg({ quality: this.opts.quality ?? 70, mozjpeg: false }).toBuffer();
        if (!this.running) break;
        this.seq++;
        this.waitingForAck = true;
        this.ackDeadline = Date.now() + 2000;
        this.onFrame({ seq: this.seq, jpeg, width: w, height: h, deviceWidth: size.width, deviceHeight: size.height, capturedAt: t0, captureMs: Date.now() - t0 });
        failures = 0;
      } catch (err) {
        failures++;
        this.opts.onError?.(err as Error);
        await this.sleep(Math.min(5000, 250 * 2 ** failures));
      }
    }
  }
}

/** Android key codes the panel's buttons send. */
export const PANEL_KEYS: Record<string, number> = { back: 4, home: 3, recents: 187, power: 26, volumeUp: 24, volumeDown: 25, enter: 66, delete: 67 };

/** Input from the panel, as `input` commands (every argument quoted by exec). */
export function inputArgv(e: { action: 'tap'; x: number; y: number } | { action: 'swipe'; x: number; y: number; x2: number; y2: number; ms: number } | { action: 'longpress'; x: number; y: number } | { action: 'key'; key: string } | { action: 'keycode'; code: number } | { action: 'text'; text: string }): string[] {
  const n = (v: number) => String(Math.max(0, Math.round(v)));
  switch (e.action) {
    case 'tap': return ['input', 'tap', n(e.x), n(e.y)];
    case 'longpress': return ['input', 'swipe', n(e.x), n(e.y), n(e.x), n(e.y), '800'];
    case 'swipe': return ['input', 'swipe', n(e.x), n(e.y), n(e.x2), n(e.y2), n(Math.min(5000, Math.max(50, e.ms)))];
    case 'key': {
      const code = PANEL_KEYS[e.key];
      if (code === undefined) throw new Error(`unknown key ${e.key}`);
      return ['input', 'keyevent', String(code)];
    }
    case 'keycode':
      if (!Number.isInteger(e.code) || e.code < 0 || e.code > 400) throw new Error(`bad key code ${e.code}`);
      return ['input', 'keyevent', String(e.code)];
    case 'text': {
      // One `input text` argument (see input.ts: a literal "%s" needs two commands; use textCommands then).
      const args = inputTextArgs(e.text);
      if (args.length !== 1) throw new Error('this text needs more than one input command: use textCommands');
      return ['input', 'text', args[0]];
    }
  }
}
