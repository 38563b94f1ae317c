import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { loadSharp, type VirtualDevice } from './device';
import { Sandbox } from './sandbox';

export interface AbortLike {
  readonly aborted: boolean;
  onAbort(cb: () => void): void;
}

interface IO {
  out(d: Buffer | string): void;
  err(d: Buffer | string): void;
  signal?: AbortLike;
}

let ffmpegPath: string | null | undefined;
function findFfmpeg(): string | null {
  if (ffmpegPath === undefined) {
    const r = spawnSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' });
    ffmpegPath = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  }
  return ffmpegPath;
}

/**
 * The virtual phone's `screenrecord`: its screen encoded as H.264 by ffmpeg on the host (Annex B to stdout
 * with `-`, or an MP4 file), at up to 30 fps, until the time limit (default 180 s, as on a phone) or until
 * the reader goes away.
 */
export async function screenrecordBuiltin(argv: string[], io: IO, device: VirtualDevice, cwd: string): Promise<number> {
  let format = 'mp4';
  let size: [number, number] | undefined;
  let bitrate = 4_000_000;
  let limit = 180;
  let target: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const [k, inline] = a.split('=');
    const val = () => inline ?? argv[++i];
    if (k === '--output-format') format = val();
    else if (k === '--size') { const m = /^(\d+)x(\d+)$/.exec(val() ?? ''); if (!m) { io.err('screenrecord: --size must be WIDTHxHEIGHT\n'); return 1; } size = [Number(m[1]), Number(m[2])]; }
    else if (k === '--bit-rate') bitrate = Number(val());
    else if (k === '--time-limit') limit = Math.min(180, Math.max(1, Number(val())));
    else if (k === '--verbose' || k === '--bugreport') { /* accepted */ }
    else if (a.startsWith('--')) { io.err(`screenrecord: unknown option ${a}\n`); return 1; }
    else target = a;
  }
  if (!target) { io.err('Usage: screenrecord [--output-format=h264|mp4] [--size WxH] [--bit-rate N] [--time-limit S] FILE|-\n'); return 1; }
  if (format !== 'h264' && format !== 'mp4') { io.err(`screenrecord: output format ${format} is not supported here (h264, mp4)\n`); return 1; }
  if (target === '-' && format !== 'h264') { io.err('screenrecord: writing to stdout needs --output-format=h264\n'); return 1; }
  const ffmpeg = findFfmpeg();
  if (!ffmpeg) { io.err('screenrecord: the virtual phone needs ffmpeg on the host to encode video (apt-get install ffmpeg)\n'); return 1; }
  const [srcW, srcH] = device.phone.logicalSize;
  const [w, h] = size ?? [srcW, srcH];
  const even = (v: number) => Math.max(2, v - (v % 2));
  const fps = 30;
  let hostOut: string | undefined;
  if (target !== '-') {
    hostOut = await device.fs.hostPath(Sandbox.normalize(target, cwd));
    await fs.mkdir(path.dirname(hostOut), { recursive: true });
  }
  // Raw RGBA frames in (no PNG round trip), H.264 out with no frame delay: one slice per picture, no
  // B-frames, no lookahead, each picture flushed as soon as it is encoded.
  const args = ['-loglevel', 'error', '-probesize', '32', '-analyzeduration', '0', '-fflags', 'nobuffer', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${srcW}x${srcH}`, '-framerate', String(fps), '-i', '-',
    '-vf', `scale=${even(w)}:${even(h)}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '10', '-bf', '0',
    '-threads', '1', '-x264-params', 'sliced-threads=0:sync-lookahead=0:rc-lookahead=0', '-b:v', String(bitrate), '-flush_packets', '1', ...(hostOut ? ['-f', 'mp4', '-y', hostOut] : ['-f', 'h264', '-'])];
  const child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let errText = '';
  child.stdout.on('data', (d: Buffer) => io.out(d));
  child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
  child.stdin.on('error', () => undefined);
  let stop = false;
  io.signal?.onAbort(() => { stop = true; });
  const started = Date.now();
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  let busy = false;
  let lastKey = '';
  let lastSent = 0;
  // Like a phone's screenrecord, a picture is sent when the screen changes; a still screen is repeated
  // four times a second (and for an MP4 file, at the full rate) so key frames keep coming.
  const repeatMs = hostOut ? 0 : 250;
  const timer = setInterval(async () => {
    if (stop || Date.now() - started > limit * 1000) {
      clearInterval(timer);
      child.stdin.end();
      if (stop) child.kill('SIGKILL');
      return;
    }
    if (busy || child.stdin.writableLength > 0) return; // ffmpeg is behind: skip this tick, never queue
    if (device.phone.frameKey() === lastKey && Date.now() - lastSent < repeatMs) return;
    busy = true;
    try {
      const frame = await device.screenRgba();
      let data = frame.data;
      if (frame.width !== srcW || frame.height !== srcH) {
        // Rotated since the start: the picture is fitted into the video's size, as a phone's screenrecord does.
        const sharp = await loadSharp();
        data = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 4 } })
          .resize(srcW, srcH, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 1 } }).ensureAlpha().raw().toBuffer();
      }
      lastKey = frame.version;
      lastSent = Date.now();
      if (!stop) child.stdin.write(data);
    } finally {
      busy = false;
    }
  }, 1000 / fps);
  const code = await exit;
  clearInterval(timer);
  if (code !== 0 && !stop) io.err(`screenrecord: ffmpeg failed: ${errText.trim().split('\n').pop() ?? code}\n`);
  return stop ? 0 : code;
}
