import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, open } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, startAdbServer, waitFor, canConnect, type TestAdbServer } from '../helpers/adbServer';
import { AdbService, TransferError } from '../../extension/core/adb/adbService';
import type { DeviceSummary } from '../../extension/core/adb/deviceInfo';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';

let server: TestAdbServer;
let adb: AdbService;
let tmp: string;
const root = path.resolve(__dirname, '..', '..');

before(async () => {
  server = await startAdbServer();
  adb = new AdbService({ serverPort: server.port }, { env: server.env });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-life-'));
});

after(async () => {
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the engine starts a local adb server when none runs, on the port adb\'s environment names', async () => {
  const port = await freePort();
  const home = await mkdtemp(path.join(os.tmpdir(), 'mobileai-home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ANDROID_ADB_SERVER_PORT: String(port) };
  delete env.ADB_SERVER_SOCKET;
  const fresh = new AdbService({}, { env });
  try {
    assert.equal(await canConnect(port), false);
    assert.deepEqual(await fresh.listDevices(), []);
    assert.equal(await canConnect(port), true, 'a server now listens there');
    assert.equal(fresh.address.source, 'ANDROID_ADB_SERVER_PORT');
  } finally {
    spawn('adb', ['-P', String(port), 'kill-server'], { env, stdio: 'ignore' });
    await waitFor('the server to stop', async () => ((await canConnect(port)) ? undefined : true), 10000).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  }
});

test('the device watcher sees a phone plugged and unplugged, pushed by the adb server', async () => {
  const phone = await VirtualPhone.start({ port: 0 });
  const watcher = await adb.watch();
  const seen: DeviceSummary[][] = [];
  watcher.on('devices', (d: DeviceSummary[]) => seen.push(d));
  try {
    await adb.connect(phone.address);
    await waitFor('the phone to appear as a device', () => seen.some((l) => l.some((d) => d.serial === phone.address && d.state === 'device')) || undefined, 5000);
    await adb.disconnect(phone.address);
    await waitFor('the phone to disappear', () => (seen.length && !seen[seen.length - 1].some((d) => d.serial === phone.address)) || undefined, 5000);
  } finally {
    watcher.stop();
    await phone.stop();
  }
});

test('the device watcher outlives an idle connection longer than the request timeout', async () => {
  const quick = new AdbService({ serverPort: server.port }, { env: server.env, requestTimeoutMs: 300 });
  const watcher = await quick.watch();
  let failed: Error | undefined;
  watcher.on('error', (e: Error) => (failed = e));
  const phone = await VirtualPhone.start({ port: 0 });
  try {
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(failed, undefined, 'tracking still alive after an idle second');
    await quick.connect(phone.address);
    await waitFor('the phone in the watcher', () => watcher.devices.some((d) => d.serial === phone.address) || undefined, 5000);
  } finally {
    watcher.stop();
    await quick.disconnect(phone.address).catch(() => undefined);
    await phone.stop();
  }
});

test('a phone that requires authorization shows as unauthorized, with a hint, until allowed', async () => {
  const phone = await VirtualPhone.start({ port: 0, requireAuth: true });
  try {
    await adb.connect(phone.address);
    const d = await waitFor('the unauthorized state', async () => (await adb.listDevices()).find((x) => x.serial === phone.address && x.state === 'unauthorized'), 8000);
    assert.match(d.hint ?? '', /Allow USB debugging/);
    await assert.rejects(adb.info(phone.address), /unauthorized/);
    await waitFor('the host to offer its key', () => (phone.authorize() > 0 ? true : undefined), 8000);
    await waitFor('the device state after allowing', async () => (await adb.listDevices()).find((x) => x.serial === phone.address && x.state === 'device'), 8000);
    assert.equal((await adb.info(phone.address)).model, 'Virtual Phone');
    // The key is remembered: a reconnect is authorized by signature, without asking again.
    await adb.disconnect(phone.address);
    await adb.connect(phone.address);
    await waitFor('the device state after reconnecting', async () => (await adb.listDevices()).find((x) => x.serial === phone.address && x.state === 'device'), 8000);
  } finally {
    await adb.disconnect(phone.address).catch(() => undefined);
    await phone.stop();
  }
});

test('the phone killed in the middle of a push gives a clear error at once, not after a stall timeout', async () => {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'bin', 'mobileai.js'), 'virtual-phone', '--port', String(port)], { stdio: 'ignore' });
  try {
    await waitFor('the virtual phone process', () => canConnect(port).then((ok) => ok || undefined), 15000);
    const serial = `127.0.0.1:${port}`;
    await adb.connect(serial);
    await waitFor('device', async () => (await adb.listDevices()).find((x) => x.serial === serial && x.state === 'device'), 15000);
    // A large sparse file: the transfer is still running when the phone dies.
    const big = path.join(tmp, 'huge.bin');
    const fh = await open(big, 'w');
    await fh.truncate(4 * 1024 * 1024 * 1024);
    await fh.close();
    let killedAt = 0;
    // The stall watchdog is set far out (60 s): the failure must come from the broken link itself, not from waiting.
    const pushing = adb.push(serial, big, '/data/local/tmp/huge.bin', {
      stallMs: 60000,
      progress: { report: (p) => { if (!killedAt && (p.done ?? 0) > 8 * 1024 * 1024) { killedAt = Date.now(); child.kill('SIGKILL'); } } },
    });
    const err = await pushing.then(() => undefined, (e: unknown) => e);
    assert.ok(killedAt > 0, 'the phone was killed mid-transfer');
    assert.ok(err instanceof TransferError, `a TransferError, got ${String(err)}`);
    assert.match((err as Error).message, /push to 127\.0\.0\.1:\d+:\/data\/local\/tmp\/huge\.bin/);
    assert.doesNotMatch((err as Error).message, /did not answer for/, 'the lost link is reported, not a stall timeout');
    const elapsed = Date.now() - killedAt;
    assert.ok(elapsed < 15000, `failed after ${elapsed} ms, not hung until the 60 s stall timeout`);
    await adb.disconnect(serial).catch(() => undefined);
  } finally {
    child.kill('SIGKILL');
  }
});

test('the CLI: devices --json, info, screenshot against the real server', async () => {
  const phone = await VirtualPhone.start({ port: 0, profile: { model: 'CLI Phone', width: 540, height: 960, density: 240 } });
  const cli = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [path.join(root, 'bin', 'mobileai.js'), '-P', String(server.port), ...args], { env: server.env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  try {
    await adb.connect(phone.address);
    await waitFor('device', async () => (await adb.listDevices()).find((x) => x.serial === phone.address && x.state === 'device'), 8000);
    const devices = await cli(['devices', '--json']);
    assert.equal(devices.code, 0, devices.stderr);
    const json = JSON.parse(devices.stdout) as { server: { port: number }; devices: Array<{ serial: string; state: string; model: string }> };
    assert.equal(json.server.port, server.port);
    assert.deepEqual(json.devices.find((d) => d.serial === phone.address) && { state: 'device', model: 'CLI Phone' }, { state: 'device', model: 'CLI Phone' });
    const entry = json.devices.find((d) => d.serial === phone.address);
    assert.equal(entry?.state, 'device');
    assert.equal(entry?.model, 'CLI Phone');
    const info = await cli(['info', phone.address, '--json']);
    const i = JSON.parse(info.stdout) as { screen: { width: number; height: number; density: number }; ramBytes: number; soc: { label: string } };
    assert.deepEqual([i.screen.width, i.screen.height, i.screen.density], [540, 960, 240]);
    assert.ok(i.ramBytes > 0);
    assert.ok(i.soc.label);
    const text = await cli(['info', phone.address]);
    assert.match(text.stdout, /SoC:\s+\S/);
    assert.match(text.stdout, /RAM:\s+8\.0 GiB/);
    assert.match(text.stdout, /Screen:\s+540x960 @ 240 dpi/);
    const out = path.join(tmp, 'cli-shot.png');
    const shot = await cli(['screenshot', phone.address, out]);
    assert.equal(shot.code, 0, shot.stderr);
    assert.match(shot.stdout, /540x960/);
    const again = await cli(['screenshot', phone.address, out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Refusing to overwrite/);
    const missing = await cli(['info', '127.0.0.1:1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No device "127\.0\.0\.1:1"/);
  } finally {
    await adb.disconnect(phone.address).catch(() => undefined);
    await phone.stop();
  }
});
