/**
 * Live screen and deploy benchmarks on the virtual phone: frames per second delivered into the webview and
 * input-to-pixel latency (a tap on a Settings switch until the canvas changes), for the H.264 path and the
 * screencap path, in the real workbench; deploy throughput in MiB/s. Writes bench-results/screen.json.
 */
import { execFile, execFileSync } from 'node:child_process';
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
    adb(['shell', 'am', 'start', '-n', 'com.android.settings/.Settings']);
    const dump = adb(['exec-out', 'uiautomator', 'dump', '/dev/tty']);
    const m = /content-desc="Wi-Fi" checkable="true"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(dump);
    if (!m) throw new Error('no Wi-Fi switch on screen');
    const [l, tp, r, b] = m.slice(1).map(Number);
    const [dw, dh] = (/(\d+)x(\d+)/.exec(adb(['shell', 'wm', 'size'])) as RegExpExecArray).slice(1).map(Number);
    await wb.runCommand('Mobile AI: Show Phone Screen');
    const frame: Frame = await wb.webviewFrame(async (f) => (await f.$('#screen').catch(() => null)) !== null, 60000);
    const frames = async () => Number((await frame.locator('#screen').getAttribute('data-frames')) ?? 0);
    // Keep the screen changing (the switch flips every 100 ms) so both paths have new pictures to deliver.
    let toggling = true;
    const toggler = (async () => {
      while (toggling) {
        execFile('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, 'shell', 'input', 'tap', String((l + r) >> 1), String((tp + b) >> 1)], () => undefined);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    await waitUntil('frames', async () => (await frames()) > 3, 30000).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${(await wb.outputChannel()).split('\n').slice(-8).join('\n')}`);
    });
    const a = await frames();
    const t = Date.now();
    await new Promise((res) => setTimeout(res, 5000));
    const fps = ((await frames()) - a) / ((Date.now() - t) / 1000);
    toggling = false;
    await toggler;
    const box = (await frame.locator('#screen').boundingBox())!;
    const hash = () => frame.evaluate(() => {
      const c = document.getElementById('screen') as HTMLCanvasElement;
      const d = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      let s = 0;
      for (let i = 0; i < d.length; i += 53) s = (s * 31 + d[i]) % 1000000007;
      return s;
    });
    const lat: number[] = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((res) => setTimeout(res, 700));
      const before = await hash();
      const t0 = Date.now();
      await frame.locator('#screen').click({ position: { x: (((l + r) / 2) / dw) * box.width, y: (((tp + b) / 2) / dh) * box.height } });
      await waitUntil('the switch to change on screen', async () => (await hash()) !== before, 10000);
      lat.push(Date.now() - t0);
    }
    return [summarize(`${name}_fps_into_webview`, [fps], 'fps', { min: h264 ? 15 : 5 }), summarize(`${name}_input_to_pixel_ms`, lat, 'ms')];
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
