import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import * as path from 'node:path';
import { uniquePath } from '../util/fsAtomic';

/**
 * Records what the screen panel receives: H.264 access units (from the first key frame) or JPEG frames,
 * to a temporary file; on stop, remuxed (H.264) or encoded (JPEG) into an .mp4 with ffmpeg when it is
 * installed, else kept raw. The final name never overwrites an existing file.
 */
export class ScreenRecorder {
  private out: WriteStream | undefined;
  private tmp = '';
  private started = false;
  private kind: 'h264' | 'mjpeg';

  constructor(private readonly baseName: string, kind: 'h264' | 'mjpeg') {
    this.kind = kind;
  }

  async start(): Promise<void> {
    await fs.mkdir(path.dirname(this.baseName), { recursive: true });
    this.tmp = `${this.baseName}.${process.pid}.${Date.now()}.part`;
    this.out = createWriteStream(this.tmp, { flags: 'wx' });
  }

  h264(data: Buffer, key: boolean): void {
    if (!this.out || this.kind !== 'h264') return;
    if (!this.started && !key) return; // a recording must begin with a key frame
    this.started = true;
    this.out.write(data);
  }

  jpeg(data: Buffer): void {
    if (!this.out || this.kind !== 'mjpeg') return;
    this.started = true;
    this.out.write(data);
  }

  /** Finishes the file; returns its path. */
  async stop(): Promise<string | undefined> {
    const out = this.out;
    this.out = undefined;
    if (!out) return undefined;
    await new Promise<void>((r) => out.end(() => r()));
    if (!this.started) {
      await fs.rm(this.tmp, { force: true });
      return undefined;
    }
    const hasFfmpeg = spawnSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).status === 0;
    if (hasFfmpeg) {
      const mp4 = await uniquePath(`${this.baseName}.mp4`);
      const args = this.kind === 'h264'
        ? ['-loglevel', 'error', '-f', 'h264', '-framerate', '30', '-i', this.tmp, '-c', 'copy', '-movflags', '+faststart', mp4]
        : ['-loglevel', 'error', '-f', 'mjpeg', '-framerate', '10', '-i', this.tmp, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', mp4];
      const code = await new Promise<number>((r) => spawn('ffmpeg', args, { stdio: 'ignore' }).on('close', (c) => r(c ?? 1)));
      if (code === 0) {
        await fs.rm(this.tmp, { force: true });
        return mp4;
      }
    }
    const raw = await uniquePath(`${this.baseName}.${this.kind === 'h264' ? 'h264' : 'mjpeg'}`);
    await fs.rename(this.tmp, raw);
    return raw;
  }
}
