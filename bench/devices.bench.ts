/**
 * Device benchmarks on the real adb server and the virtual phone: how fast a plugged phone shows up,
 * transfer throughput, screenshot and details latency. Writes bench-results/devices.json.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAdbServer, waitFor } from '../test/helpers/adbServer';
import { AdbService } from '../extension/core/adb/adbService';
import { VirtualPhone } from '../extension/core/virtualPhone/server';
import { type Metric, report, summarize } from './report';

async function main(): Promise<void> {
  const server = await startAdbServer();
  const adb = new AdbService({ serverPort: server.port }, { env: server.env });
  const phone = await VirtualPhone.start({ port: 0 });
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-bench-'));
  const metrics: Metric[] = [];
  try {
    // Plug and unplug latency as the device explorer sees it (adb's track-devices push).
    const watcher = await adb.watch();
    const plug: number[] = [];
    const unplug: number[] = [];
    for (let i = 0; i < 10; i++) {
      let t = performance.now();
      await adb.connect(phone.address);
      await waitFor('plug', () => watcher.devices.some((d) => d.serial === phone.address && d.state === 'device') || undefined, 5000, 2);
      plug.push(performance.now() - t);
      t = performance.now();
      await adb.disconnect(phone.address);
      await waitFor('unplug', () => !watcher.devices.some((d) => d.serial === phone.address) || undefined, 5000, 2);
      unplug.push(performance.now() - t);
    }
    watcher.stop();
    metrics.push(summarize('plug_to_listed_ms', plug, 'ms', { max: 1000 }), summarize('unplug_to_removed_ms', unplug, 'ms', { max: 1000 }));

    await adb.connect(phone.address);
    await waitFor('device', async () => (await adb.listDevices()).find((d) => d.serial === phone.address && d.state === 'device'), 8000);
    const serial = phone.address;

    const size = 64 * 1024 * 1024;
    const data = randomBytes(size);
    const local = path.join(tmp, 'blob.bin');
    await writeFile(local, data);
    const pushes: number[] = [];
    const pulls: number[] = [];
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      await adb.push(serial, local, `/data/local/tmp/blob${i}.bin`);
      pushes.push((size / 1024 / 1024) / ((performance.now() - t) / 1000));
      t = performance.now();
      await adb.pull(serial, `/data/local/tmp/blob${i}.bin`, path.join(tmp, `back${i}.bin`));
      pulls.push((size / 1024 / 1024) / ((performance.now() - t) / 1000));
    }
    const sum = (await adb.exec(serial, ['sha256sum', '/data/local/tmp/blob0.bin'])).stdout.toString().split(' ')[0];
    if (sum !== createHash('sha256').update(data).digest('hex')) throw new Error('pushed data does not match');
    metrics.push(summarize('push_throughput_mib_s', pushes, 'MiB/s', { min: 20 }), summarize('pull_throughput_mib_s', pulls, 'MiB/s', { min: 20 }));

    const shots: number[] = [];
    for (let i = 0; i < 20; i++) {
      await adb.exec(serial, ['input', 'keyevent', i % 2 ? 'VOLUME_UP' : 'VOLUME_DOWN']); // a state change: no cached frame
      const t = performance.now();
      await adb.execOut(serial, ['screencap', '-p']);
      shots.push(performance.now() - t);
    }
    metrics.push(summarize('screencap_png_ms', shots, 'ms'));

    const infos: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await adb.info(serial);
      infos.push(performance.now() - t);
    }
    metrics.push(summarize('device_info_ms', infos, 'ms'));
  } finally {
    await phone.stop();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
  await report('devices', metrics);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
