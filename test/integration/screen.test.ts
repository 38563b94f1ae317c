import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdbService } from '../../extension/core/adb/adbService';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import { H264Stream, type AccessUnit } from '../../extension/core/screen/h264';
import { ScreencapStream, inputArgv, type Frame } from '../../extension/core/screen/screencap';
import { readDisplayState } from '../../extension/core/screen/display';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';

let server: TestAdbServer;
let phone: VirtualPhone;
let adb: AdbService;

before(async () => {
  server = await startAdbServer();
  phone = await VirtualPhone.start({ port: 0 });
  adb = new AdbService({ serverPort: server.port }, { env: server.env });
  await adb.connect(phone.address);
  await waitFor('phone', async () => (await adb.listDevices()).find((d) => d.serial === phone.address && d.state === 'device'));
});
after(async () => {
  await phone?.stop();
  await server?.stop();
});

const ffmpegCount = () => {
  try {
    return Number(execFileSync('pgrep', ['-c', '-f', '^\\S*ffmpeg .*rawvideo'], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
};

const dumpXml = async () => (await adb.exec(phone.address, ['uiautomator', 'dump', '/dev/tty'])).stdout.toString();
const boundsOf = (xml: string, attr: RegExp) => {
  const node = xml.split('<node ').find((n) => attr.test(n));
  const m = node && /bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(node);
  if (!m) throw new Error(`no node matching ${attr} on screen`);
  const [l, t, r, b] = m.slice(1).map(Number);
  return { x: (l + r) >> 1, y: (t + b) >> 1 };
};
async function tapNode(attr: RegExp): Promise<void> {
  const p = boundsOf(await dumpXml(), attr);
  await adb.exec(phone.address, ['input', 'tap', String(p.x), String(p.y)]);
}

test('a still screen is sent four times a second; the running stopwatch makes every frame new', async () => {
  const count = async (ms: number) => {
    const units: AccessUnit[] = [];
    const s = new H264Stream(adb, phone.address, { width: 360, height: 800 }, (u) => { units.push(u); s.ack(u.seq); });
    s.start();
    await waitFor('the first picture', () => (units.length ? true : undefined), 10000);
    const from = units.length;
    await new Promise((r) => setTimeout(r, ms));
    s.stop();
    return (units.length - from) / (ms / 1000);
  };
  await adb.exec(phone.address, ['input', 'keyevent', 'HOME']);
  const still = await count(2000);
  // 4/s by the phone's repeat timer; a loaded machine delays timers (3.5/s measured with two busy cores), never
  // speeds them up: the upper bound is the claim, the lower one that repeats happen at all.
  assert.ok(still >= 1.5 && still <= 6, `a still screen: ${still.toFixed(1)} pictures/s (repeated every 250 ms)`);
  await adb.exec(phone.address, ['am', 'start', '-n', 'com.mobileai.stopwatch/.MainActivity']);
  await tapNode(/text="Start"/);
  const moving = await count(2000);
  assert.ok(moving >= still * 1.5, `the stopwatch running: ${moving.toFixed(1)} pictures/s vs ${still.toFixed(1)} still`);
});

test('H.264: screenrecord over exec: gives access units starting with a key frame, restarts at its time limit, stops its encoder', async () => {
  const units: AccessUnit[] = [];
  const s = new H264Stream(adb, phone.address, { width: 360, height: 800 }, (u) => { units.push(u); s.ack(u.seq); }, { timeLimit: 1 });
  s.start();
  await waitFor('two screenrecord runs', () => (s.restarts >= 1 && units.length > 20 ? true : undefined), 15000);
  s.stop();
  assert.equal(units[0].key, true, 'the stream starts with a key frame');
  assert.match(units[0].codec ?? '', /^avc1\.42[0-9a-f]{4}$/, 'baseline profile codec string from the SPS');
  assert.ok(units.filter((u) => u.key).length >= 2, 'each restart begins with a key frame');
  await waitFor('the encoder to stop with the stream', () => (ffmpegCount() === 0 ? true : undefined), 5000);
});

test('frames never queue: an unacknowledged viewer gets no more frames (screencap) or only up to a key frame (H.264)', async () => {
  const frames: Frame[] = [];
  const sc = new ScreencapStream(adb, phone.address, (f) => frames.push(f));
  sc.start();
  await waitFor('a first frame', () => (frames.length ? true : undefined), 10000);
  await adb.exec(phone.address, inputArgv({ action: 'key', key: 'volumeUp' }));
  sc.poke();
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(frames.length, 1, 'no second frame before the first is acknowledged');
  sc.ack(frames[0].seq);
  await waitFor('the next frame after the ack', () => (frames.length === 2 ? true : undefined), 10000);
  sc.stop();
  const units: AccessUnit[] = [];
  // The running stopwatch changes the screen on every frame, so the phone always has new pictures to send.
  if (!/text="Stop"/.test(await dumpXml())) {
    await adb.exec(phone.address, ['am', 'start', '-n', 'com.mobileai.stopwatch/.MainActivity']);
    await tapNode(/text="Start"/);
  }
  const h = new H264Stream(adb, phone.address, { width: 360, height: 800 }, (u) => units.push(u));
  h.start();
  // Never acknowledged: the window (10 frames ahead) fills, then nothing more is sent, nothing piles up.
  await waitFor('the window to fill', () => (units.length >= 11 ? true : undefined), 15000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(units.length, 11, `${units.length} units sent to a stalled viewer (the window is 10 ahead, plus the key frame it started on)`);
  const stalled = units.length;
  h.ack(units[units.length - 1].seq);
  await waitFor('the stream to resume', () => (units.length > stalled ? true : undefined), 5000);
  h.stop();
  assert.equal(units[stalled].key, true, 'it resumes at a key frame (delta frames after a gap cannot be decoded)');
});

test('panel input becomes quoted input commands', () => {
  assert.deepEqual(inputArgv({ action: 'tap', x: 10.6, y: 20.2 }), ['input', 'tap', '11', '20']);
  assert.deepEqual(inputArgv({ action: 'longpress', x: 5, y: 6 }), ['input', 'swipe', '5', '6', '5', '6', '800']);
  // Android reads only "%s" (as a space) in `input text`: a percent sign goes through as it is.
  assert.deepEqual(inputArgv({ action: 'text', text: "it's 100% ok" }), ['input', 'text', "it's%s100%%sok"]);
  assert.deepEqual(inputArgv({ action: 'keycode', code: 66 }), ['input', 'keyevent', '66']);
  assert.throws(() => inputArgv({ action: 'key', key: 'nope' }), /unknown key/);
});

test('a turned phone: dumpsys display, screencap, the dump, input and screenrecord all use the landscape display', async () => {
  await adb.exec(phone.address, ['am', 'start', '-n', 'com.android.settings/.Settings']);
  assert.deepEqual(await readDisplayState(adb, phone.address), { width: 720, height: 1600, rotation: 0 });
  const bad = await adb.exec(phone.address, ['settings', 'put', 'system', 'user_rotation', '7']);
  assert.notEqual(bad.exitCode, 0);
  assert.match(bad.stderr.toString(), /user_rotation must be 0, 1, 2 or 3/);
  assert.equal((await adb.exec(phone.address, ['settings', 'put', 'system', 'user_rotation', '1'])).exitCode, 0);
  try {
    assert.deepEqual(await readDisplayState(adb, phone.address), { width: 1600, height: 720, rotation: 1 });
    const png = (await adb.exec(phone.address, ['screencap', '-p'])).stdout;
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1600, 720], 'screencap is landscape');
    const xml = await dumpXml();
    assert.match(xml, /<hierarchy rotation="1">/);
    assert.match(xml, /bounds="\[0,0\]\[1600,720\]"/);
    // A tap at the landscape position of the Bluetooth switch turns it on.
    assert.match(xml, /content-desc="Bluetooth" checkable="true" checked="false"/);
    await tapNode(/content-desc="Bluetooth" checkable="true"/);
    assert.match(await dumpXml(), /content-desc="Bluetooth" checkable="true" checked="true"/);
    // screenrecord started now encodes the landscape size.
    assert.equal((await adb.exec(phone.address, ['screenrecord', '--time-limit', '1', '/sdcard/turned.mp4'])).exitCode, 0);
    const host = path.join(os.tmpdir(), `turned-${process.pid}.mp4`);
    await adb.pull(phone.address, '/sdcard/turned.mp4', host);
    const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', host], { encoding: 'utf8' }).trim();
    assert.equal(probe, '1600,720');
  } finally {
    await adb.exec(phone.address, ['settings', 'put', 'system', 'user_rotation', '0']);
  }
});
