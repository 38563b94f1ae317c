import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';
import { AdbService } from '../../extension/core/adb/adbService';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';

let server: TestAdbServer;
let phone: VirtualPhone;
let adb: AdbService;
let tmp: string;
let serial: string;

before(async () => {
  server = await startAdbServer();
  phone = await VirtualPhone.start({ port: 0, profile: { model: 'Test Phone 7', socModel: 'TestSoC 9000', socManufacturer: 'Acme' } });
  adb = new AdbService({ serverPort: server.port }, { env: server.env });
  serial = await adb.connect(phone.address).then(() => phone.address);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-it-'));
  await waitFor('the phone to be ready', async () => (await adb.listDevices()).find((d) => d.serial === serial && d.state === 'device'));
});

after(async () => {
  await phone?.stop();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('adb lists the virtual phone as a device with its model', async () => {
  const r = await server.adb(['devices', '-l']);
  assert.match(r.stdout, new RegExp(`${serial.replace(/\./g, '\\.')}\\s+device .*model:Test_Phone_7`));
  const list = await adb.listDevicesDetailed();
  const d = list.find((x) => x.serial === serial);
  assert.equal(d?.state, 'device');
  assert.equal(d?.model, 'Test Phone 7');
  assert.equal(d?.transport, 'tcp');
});

test('device details parse from the phone: SoC, RAM, screen, battery, ABIs', async () => {
  const info = await adb.info(serial);
  assert.equal(info.model, 'Test Phone 7');
  assert.equal(info.soc.label, 'Acme TestSoC 9000');
  assert.equal(info.androidRelease, '14');
  assert.equal(info.sdk, 34);
  assert.deepEqual(info.screen && [info.screen.width, info.screen.height, info.screen.density], [720, 1600, 320]);
  assert.equal(info.ramBytes, 8 * 1024 * 1024 * 1024);
  assert.equal(info.battery?.level, 85);
  assert.ok(info.abis.length >= 1);
  assert.equal(info.virtual, true);
});

test('shell v2 exit codes come through, to the adb CLI and to the engine', async () => {
  const r = await server.adb(['-s', serial, 'shell', 'echo to-out; echo to-err >&2; exit 42']);
  assert.equal(r.code, 42);
  assert.equal(r.stdout, 'to-out\n');
  assert.equal(r.stderr, 'to-err\n');
  const unknown = await adb.exec(serial, ['no-such-tool', '--flag']);
  assert.equal(unknown.exitCode, 127);
  assert.match(unknown.stderr.toString(), /no-such-tool: inaccessible or not found/);
  const ok = await adb.exec(serial, ['echo', "it's; $(reboot) && `id`"]);
  assert.equal(ok.exitCode, 0);
  assert.equal(ok.stdout.toString(), "it's; $(reboot) && `id`\n");
});

test('push then pull a 10 MB file: the sha256 matches on the phone and back', async () => {
  const data = randomBytes(10 * 1024 * 1024);
  const local = path.join(tmp, 'big.bin');
  await writeFile(local, data);
  const want = createHash('sha256').update(data).digest('hex');
  const progress: number[] = [];
  await adb.push(serial, local, '/data/local/tmp/big.bin', { progress: { report: (p) => progress.push(p.done ?? 0) } });
  assert.ok(progress.length > 0 && progress[progress.length - 1] === data.length, 'progress reaches the whole size');
  const onPhone = await adb.exec(serial, ['sha256sum', '/data/local/tmp/big.bin']);
  assert.equal(onPhone.stdout.toString().split(/\s+/)[0], want);
  const back = path.join(tmp, 'back.bin');
  await adb.pull(serial, '/data/local/tmp/big.bin', back);
  assert.equal(createHash('sha256').update(await readFile(back)).digest('hex'), want);
  await assert.rejects(adb.pull(serial, '/data/local/tmp/big.bin', back), /Refusing to overwrite/);
});

test('a hostile push path stays inside the phone sandbox', async () => {
  const local = path.join(tmp, 'evil.txt');
  await writeFile(local, 'evil');
  const outside = path.join(os.tmpdir(), `mobileai-escape-${process.pid}.txt`);
  const rel = path.relative('/data/local/tmp', outside);
  const r = await server.adb(['-s', serial, 'push', local, `/data/local/tmp/${rel}`]);
  // On the phone the path is /tmp/…, in its read-only root: adbd's secure_mkdirs() fails (file_sync_service.cpp).
  assert.equal(r.code, 1);
  assert.match(r.stdout + r.stderr, /remote secure_mkdirs\(\) failed: Read-only file system/);
  await assert.rejects(access(outside), 'nothing written outside the sandbox');
  const inside = await server.adb(['-s', serial, 'push', local, `/data/local/tmp/../../../../../../data/local/tmp/${path.basename(outside)}`]);
  assert.equal(inside.code, 0, inside.stderr);
  assert.equal((await adb.exec(serial, ['cat', `/data/local/tmp/${path.basename(outside)}`])).stdout.toString(), 'evil', '.. stops at the phone\'s root');
});

test('screencap decodes as a PNG of the declared size', async () => {
  const out = path.join(tmp, 'shot.png');
  const shot = await adb.screenshot(serial, out);
  const meta = await sharp(out).metadata();
  assert.equal(meta.format, 'png');
  assert.deepEqual([meta.width, meta.height], [720, 1600]);
  assert.deepEqual([shot.width, shot.height], [720, 1600]);
  await assert.rejects(adb.screenshot(serial, out), /Refusing to overwrite/);
});

test('a tap on a toggle changes both the next screenshot and the next dump', async () => {
  await adb.exec(serial, ['am', 'start', '-n', 'com.android.settings/.Settings']);
  const dump = async () => (await adb.exec(serial, ['uiautomator', 'dump', '/dev/tty'])).stdout.toString();
  const before = await dump();
  const m = /<node [^>]*content-desc="Bluetooth" checkable="true" checked="(true|false)"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(before);
  assert.ok(m, 'the Bluetooth switch is in the dump');
  const [, checked, l, t, r, b] = m;
  const shotBefore = await adb.execOut(serial, ['screencap', '-p']);
  const x = Math.round((Number(l) + Number(r)) / 2);
  const y = Math.round((Number(t) + Number(b)) / 2);
  assert.equal((await adb.exec(serial, ['input', 'tap', String(x), String(y)])).exitCode, 0);
  const after = await dump();
  assert.match(after, new RegExp(`content-desc="Bluetooth" checkable="true" checked="${checked === 'true' ? 'false' : 'true'}"`));
  const shotAfter = await adb.execOut(serial, ['screencap', '-p']);
  const region = { left: Number(l), top: Number(t), width: Number(r) - Number(l), height: Number(b) - Number(t) };
  const px = async (png: Buffer) => sharp(png).extract(region).raw().toBuffer();
  assert.notDeepEqual(await px(shotAfter), await px(shotBefore), 'the switch looks different');
  // The file form of uiautomator dump prints the (real, misspelled) message and writes the file.
  const file = await adb.exec(serial, ['uiautomator', 'dump']);
  assert.equal(file.stdout.toString().trim(), 'UI hierchary dumped to: /sdcard/window_dump.xml');
  assert.equal((await adb.exec(serial, ['cat', '/sdcard/window_dump.xml'])).stdout.toString(), after.replace(/UI hierchary dumped to: \/dev\/tty\n$/, ''));
});

test('input text and keys drive the Notes app', async () => {
  await adb.exec(serial, ['am', 'start', '-n', 'com.mobileai.notes/.MainActivity']);
  const xml = (await adb.exec(serial, ['uiautomator', 'dump', '/dev/tty'])).stdout.toString();
  const m = /resource-id="com\.mobileai\.notes:id\/note_input"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(xml);
  assert.ok(m);
  await adb.exec(serial, ['input', 'tap', String((Number(m[1]) + Number(m[3])) >> 1), String((Number(m[2]) + Number(m[4])) >> 1)]);
  await adb.exec(serial, ['input', 'text', 'hello%sworld']);
  await adb.exec(serial, ['input', 'keyevent', 'KEYCODE_ENTER']);
  const after = (await adb.exec(serial, ['uiautomator', 'dump', '/dev/tty'])).stdout.toString();
  assert.match(after, /text="hello world" resource-id="com\.mobileai\.notes:id\/note_text"/);
  assert.match(after, /text="" resource-id="com\.mobileai\.notes:id\/note_input"/, 'the field is cleared after saving');
  const bad = await adb.exec(serial, ['input', 'tap', 'x', 'y']);
  assert.notEqual(bad.exitCode, 0);
});
