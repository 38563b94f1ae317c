import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile, access } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { deploy, DeployError, explainInstall } from '../../extension/core/deploy/deploy';
import { AdbService } from '../../extension/core/adb/adbService';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import { canConnect, freePort, startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';
import { CancelSource, CancelledError } from '../../extension/core/util/progress';

const root = path.resolve(__dirname, '..', '..');
let server: TestAdbServer;
let adb: AdbService;
let tmp: string;

before(async () => {
  server = await startAdbServer();
  adb = new AdbService({ serverPort: server.port }, { env: server.env });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-deploy-'));
});
after(async () => {
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const ready = async (serial: string) => {
  await adb.connect(serial);
  await waitFor('device', async () => (await adb.listDevices()).find((d) => d.serial === serial && d.state === 'device'), 10000);
};

test('deploy: files land with a matching sha256, nothing temporary is left, the activity launches', async () => {
  const dataDir = path.join(tmp, 'phone1');
  const phone = await VirtualPhone.start({ port: 0, dataDir });
  try {
    await ready(phone.address);
    const a = path.join(tmp, 'model.onnx');
    const b = path.join(tmp, 'labels.txt');
    await writeFile(a, randomBytes(3 * 1024 * 1024));
    await writeFile(b, 'cat\ndog\n');
    const r = await deploy(adb, phone.address, { files: [a, b], to: '/sdcard/models', launch: 'com.mobileai.notes/.MainActivity' });
    assert.deepEqual(r.files.map((f) => f.remote), ['/sdcard/models/model.onnx', '/sdcard/models/labels.txt']);
    // /sdcard is a link to /storage/emulated/0 on the phone (as on Android): the host folder is the latter.
    const onPhone = await readFile(path.join(dataDir, 'fs', 'storage', 'emulated', '0', 'models', 'model.onnx'));
    assert.equal(createHash('sha256').update(onPhone).digest('hex'), r.files[0].sha256);
    assert.deepEqual((await readdir(path.join(dataDir, 'fs', 'storage', 'emulated', '0', 'models'))).sort(), ['labels.txt', 'model.onnx'], 'no temporary files left');
    assert.equal(r.launched?.ok, true);
    assert.match((await adb.exec(phone.address, ['dumpsys', 'window'])).stdout.toString(), /com\.mobileai\.notes/);
    // A second deploy replaces the file atomically.
    await writeFile(a, 'v2');
    const r2 = await deploy(adb, phone.address, { files: [a], to: '/sdcard/models' });
    assert.equal((await readFile(path.join(dataDir, 'fs', 'storage', 'emulated', '0', 'models', 'model.onnx'), 'utf8')), 'v2');
    assert.equal(r2.files[0].bytes, 2);
    await assert.rejects(deploy(adb, phone.address, { files: [] }), /nothing to deploy/);
    await assert.rejects(deploy(adb, phone.address, { files: [a], to: 'relative/dir' }), /absolute path/);
    await assert.rejects(deploy(adb, phone.address, { files: [path.join(tmp, 'nope')] }), /does not exist/);
  } finally {
    await phone.stop();
  }
});

test('an APK that does not install says why in words', async () => {
  const phone = await VirtualPhone.start({ port: 0 });
  try {
    await ready(phone.address);
    const fake = path.join(tmp, 'app.apk');
    await writeFile(fake, 'not a zip');
    await assert.rejects(deploy(adb, phone.address, { files: [], apk: fake }), (e: unknown) => e instanceof DeployError && /INSTALL_PARSE_FAILED_NOT_APK: the file is not an APK/.test(e.message));
    assert.deepEqual(explainInstall('Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE]'), { ok: false, code: 'INSTALL_FAILED_INSUFFICIENT_STORAGE', message: 'INSTALL_FAILED_INSUFFICIENT_STORAGE: the phone does not have enough free storage' });
    assert.equal(explainInstall('Performing Streamed Install\nSuccess\n').ok, true);
  } finally {
    await phone.stop();
  }
});

test('cancel mid-deploy and a phone killed mid-deploy leave nothing under the final name', async () => {
  const port = await freePort();
  const dataDir = path.join(tmp, 'phone2');
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'bin', 'mobileai.js'), 'virtual-phone', '--port', String(port), '--data-dir', dataDir], { stdio: 'ignore' });
  try {
    await waitFor('phone process', () => canConnect(port).then((ok) => ok || undefined), 15000);
    const serial = `127.0.0.1:${port}`;
    await ready(serial);
    const big = path.join(tmp, 'big.onnx');
    await writeFile(big, randomBytes(64 * 1024 * 1024));
    const cancel = new CancelSource();
    await assert.rejects(deploy(adb, serial, { files: [big], to: '/data/local/tmp/m' }, { signal: cancel.signal, progress: { report: (p) => { if ((p.done ?? 0) > 4 * 1024 * 1024) cancel.cancel(); } } }), CancelledError);
    await waitFor('temp cleaned', async () => ((await readdir(path.join(dataDir, 'fs', 'data', 'local', 'tmp', 'm'))).length === 0 ? true : undefined), 15000);
    let killedAt = 0;
    // The stall watchdog is set far out (60 s): the failure must come from the broken link itself, not from waiting.
    const err = await deploy(adb, serial, { files: [big], to: '/data/local/tmp/m' }, { stallMs: 60000, progress: { report: (p) => { if (!killedAt && (p.done ?? 0) > 8 * 1024 * 1024) { killedAt = Date.now(); child.kill('SIGKILL'); } } } }).then(() => undefined, (e: unknown) => e);
    const elapsed = Date.now() - killedAt;
    assert.ok(killedAt > 0, 'the phone was killed mid-deploy');
    assert.ok(err instanceof DeployError, String(err));
    assert.match((err as Error).message, /\/data\/local\/tmp\/m\/big\.onnx was not touched/);
    assert.doesNotMatch((err as Error).message, /did not answer for/, 'the lost link is reported, not a stall timeout');
    assert.ok(elapsed < 15000, `reported ${elapsed} ms after the phone died, not hung until the 60 s stall timeout`);
    await assert.rejects(access(path.join(dataDir, 'fs', 'data', 'local', 'tmp', 'm', 'big.onnx')), 'no file under the final name');
  } finally {
    child.kill('SIGKILL');
  }
});
