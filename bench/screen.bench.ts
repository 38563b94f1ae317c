/**
 * Live screen and deploy benchmarks on the virtual phone: frames per second delivered into the webview and
 * input-to-pixel latency (a tap on a Settings switch until the canvas changes), for the H.264 path and the
 * screencap path, in the real workbench; deploy throughput in MiB/s. Writes bench-results/screen.json.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench, waitUntil } from '../test/e2e/harness';
import { startAdbServer, waitFor } from '../test/helpers/adbServer';
import { AdbService } from '../extension/core/adb/adbService';
import { VirtualPhone } from '../extension/core/virtualPhone/server';
import { deploy } from '../extension/core/deploy/deploy';
import { type Metric, report, summarize } from './report';

async function screenPath(h264: boolean): Promise<Metric[]> {
  const wb = await Workbench.open({ settings: { 'mobileAI.screen.h264': h264 } });
  const name = h264 ? 'h264' : 'screencap';
  try {
    const adb = (args: string[]) => execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, ...args], { encoding: 'utf8' });
    const center = (xml: string, attr: RegExp) => {
      const m = new RegExp(`${attr.source}[^>]*bounds="\\[(\\d+),(\\d+)\\]\\[(\\d+),(\\d+)\\]"`).exec(xml);
      if (!m) throw new Error(`no ${attr.source} on screen`);
      return m.slice(1).map(Number);
    };
    const [dw, dh] = (/(\d+)x(\d+)/.exec(adb(['shell', 'wm', 'size'])) as RegExpExecArray).slice(1).map(Number);
    // Frames per second: the virtual phone's stopwatch redraws on every frame (like any animation), so the
    // phone always has a new picture and the number is what the path can deliver.
    adb(['shell', 'am', 'start', '-n', 'com.mobileai.stopwatch/.MainActivity']);
    const [sl, st, sr, sb] = center(adb(['exec-out', 'uiautomator', 'dump', '/dev/tty']), /text="Start"/);
    adb(['shell', 'input', 'tap', String((sl + sr) >> 1), String((st + sb) >> 1)]);
    await wb.runCommand('Mobile AI: Show Phone Screen');
    const frame: Frame = await wb.webviewFrame(async (f) => (await f.$('#screen').catch(() => null)) !== null, 60000);
    const frames = async () => Number((await frame.locator('#screen').getAttribute('data-frames')) ?? 0);
    await waitUntil('frames', async () => (await frames()) > 3, 30000).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${(await wb.outputChannel()).split('\n').slice(-8).join('\n')}`);
    });
    const a = await frames();
    const t = Date.now();
    await new Promise((res) => setTimeout(res, 5000));
    const fps = ((await frames()) - a) / ((Date.now() - t) / 1000);
    adb(['shell', 'input', 'tap', String((sl + sr) >> 1), String((st + sb) >> 1)]); // stop the stopwatch
    adb(['shell', 'am', 'start', '-n', 'com.android.settings/.Settings']);
    const [l, tp, r, b] = center(adb(['exec-out', 'uiautomator', 'dump', '/dev/tty']), /content-desc="Wi-Fi" checkable="true"/);
    const box = (await frame.locator('#screen').boundingBox())!;
    // Input-to-pixel, timed inside the webview: from the pointerdown of a real click on the canvas until a
    // drawn frame shows the switch changed (only the switch's pixels are compared, on every drawn frame).
    const region = { x: l / dw, y: tp / dh, w: (r - l) / dw, h: (b - tp) / dh };
    await frame.evaluate('globalThis.__name = (f) => f'); // tsx names inner functions with a helper the page lacks
    const lat: number[] = [];
    const hostToPixel: number[] = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((res) => setTimeout(res, 700));
      await frame.evaluate((rg) => {
        const c = document.getElementById('screen') as HTMLCanvasElement;
        const g = c.getContext('2d') as CanvasRenderingContext2D;
        const sample = () => {
          const d = g.getImageData(Math.floor(rg.x * c.width), Math.floor(rg.y * c.height), Math.max(1, Math.floor(rg.w * c.width)), Math.max(1, Math.floor(rg.h * c.height))).data;
          let s = 0;
          for (let k = 0; k < d.length; k += 4) s += d[k] + d[k + 1] + d[k + 2];
          return s / (d.length / 4);
        };
        const before = sample();
        (window as unknown as { lat: Promise<[number, number]> }).lat = new Promise<[number, number]>((resolve, reject) => {
          let t0 = 0;
          c.addEventListener('pointerdown', () => (t0 = performance.now()), { once: true });
          const obs = new MutationObserver(() => {
            if (t0 && Math.abs(sample() - before) > 8) {
              obs.disconnect();
              resolve([performance.now() - t0, Number(c.dataset.streamToScreen)]);
            }
          });
          obs.observe(c, { attributes: true, attributeFilter: ['data-frames'] });
          setTimeout(() => { obs.disconnect(); reject(new Error('the switch did not change on screen within 10 s')); }, 10000);
        });
      }, region);
      await frame.locator('#screen').click({ position: { x: (((l + r) / 2) / dw) * box.width, y: (((tp + b) / 2) / dh) * box.height } });
      const [total, fromHost] = await frame.evaluate(() => (window as unknown as { lat: Promise<[number, number]> }).lat);
      lat.push(total);
      hostToPixel.push(fromHost);
    }
    return [summarize(`${name}_fps_into_webview`, [fps], 'fps (the stopwatch animating)', { min: h264 ? 15 : 5 }), summarize(`${name}_input_to_pixel_ms`, lat, 'ms (pointerdown in the webview → the changed pixels drawn)'),
      summarize(`${name}_host_to_pixel_ms`, hostToPixel, 'ms (the picture reaching the extension host → drawn)')];
  } finally {
    await wb.close();
  }
}

async function deployThroughput(): Promise<Metric> {
  const server = await startAdbServer();
  const phone = await VirtualPhone.start({ port: 0 });
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-bench-deploy-'));
  try {
    const adb = new AdbService({ serverPort: server.port }, { env: server.env });
    await adb.connect(phone.address);
    await waitFor('phone', async () => (await adb.listDevices()).find((d) => d.serial === phone.address && d.state === 'device'));
    const f = path.join(tmp, 'model.onnx');
    await writeFile(f, randomBytes(64 * 1024 * 1024));
    const speeds: number[] = [];
    for (let i = 0; i < 3; i++) speeds.push((await deploy(adb, phone.address, { files: [f], to: `/data/local/tmp/bench${i}` })).mbPerSecond);
    return summarize('deploy_64mib_mib_per_s', speeds, 'MiB/s (push + sha256 on the phone + move)');
  } finally {
    await phone.stop();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const metrics: Metric[] = [];
  metrics.push(...(await screenPath(true)));
  if (!process.env.MOBILEAI_BENCH_H264_ONLY) {
    metrics.push(...(await screenPath(false)));
    metrics.push(await deployThroughput());
  }
  await report('screen', metrics);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
