import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { AdbService } from '../../extension/core/adb/adbService';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import { H264Stream, AnnexBSplitter, type AccessUnit } from '../../extension/core/screen/h264';
import { ScreencapStream, inputArgv, type Frame } from '../../extension/core/screen/screencap';
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
    return Number(execFileSync('pgrep', ['-c', '-f', '^\\S*ffmpeg .*image2pipe'], { encoding: 'utf8' }).trim());
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
};

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
  const h = new H264Stream(adb, phone.address, { width: 360, height: 800 }, (u) => units.push(u));
  h.start();
  await new Promise((r) => setTimeout(r, 2000));
  // Never acknowledged: at most the window (10 frames ahead) was sent, nothing piles up.
  assert.ok(units.length >= 5 && units.length <= 11, `${units.length} units sent to a stalled viewer`);
  const stalled = units.length;
  h.ack(units[units.length - 1].seq);
  await waitFor('the stream to resume', () => (units.length > stalled ? true : undefined), 5000);
  h.stop();
  assert.equal(units[stalled].key, true, 'it resumes at a key frame (delta frames after a gap cannot be decoded)');
});

test('panel input becomes quoted input commands', () => {
  assert.deepEqual(inputArgv({ action: 'tap', x: 10.6, y: 20.2 }), ['input', 'tap', '11', '20']);
  assert.deepEqual(inputArgv({ action: 'longpress', x: 5, y: 6 }), ['input', 'swipe', '5', '6', '5', '6', '800']);
  assert.deepEqual(inputArgv({ action: 'text', text: "it's 100% ok" }), ['input', 'text', "it's%s100%%%sok"]);
  assert.throws(() => inputArgv({ action: 'key', key: 'nope' }), /unknown key/);
  const split = new AnnexBSplitter();
  const out: Array<[number, boolean]> = [];
  const nal = (t: number, n = 4) => Buffer.concat([Buffer.from([0, 0, 0, 1, t]), Buffer.alloc(n, 0xaa)]);
  split.push(Buffer.concat([nal(0x67, 3), nal(0x68), nal(0x65), nal(0x41), nal(0x41)]), (au, key) => out.push([au.length, key]));
  assert.deepEqual(out.map((o) => o[1]), [true, false], 'SPS+PPS+IDR is one key unit, then a delta; the last unit waits for more data');
  assert.equal(split.codec, 'avc1.aaaaaa');
});
