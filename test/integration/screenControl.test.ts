import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdbService } from '../../extension/core/adb/adbService';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import { readDisplayState, rotatePhone } from '../../extension/core/screen/display';
import { textCommands } from '../../extension/core/screen/input';
import { probePhoneClipboard, readPhoneClipboard, writePhoneClipboard } from '../../extension/core/screen/clipboard';
import { installApk, pushToFolder } from '../../extension/core/screen/transfer';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';
import { buildApk } from '../helpers/apkBuilder';

// The screen panel's keyboard, clipboard, rotation and drop handling, through Debian's real adb to the virtual phone.
let server: TestAdbServer;
let phone: VirtualPhone;
let adb: AdbService;
let tmp: string;
const logLines: string[] = [];

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'screen-control-'));
  server = await startAdbServer();
  phone = await VirtualPhone.start({ port: 0 });
  adb = new AdbService({ serverPort: server.port }, { env: server.env, log: { info: (m) => logLines.push(m), warn: (m) => logLines.push(m), error: (m) => logLines.push(m) } });
  await adb.connect(phone.address);
  await waitFor('phone', async () => (await adb.listDevices()).find((d) => d.serial === phone.address && d.state === 'device'));
});
after(async () => {
  await phone?.stop();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const serial = () => phone.address;
const dump = async () => (await adb.exec(serial(), ['uiautomator', 'dump', '/dev/tty'])).stdout.toString();
const xmlText = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);

async function openNoteField(): Promise<void> {
  await adb.exec(serial(), ['am', 'start', '-n', 'com.mobileai.notes/.MainActivity']);
  const m = /resource-id="com\.mobileai\.notes:id\/note_input"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(await dump());
  assert.ok(m, 'the Notes app shows its input field');
  await adb.exec(serial(), ['input', 'tap', String((Number(m[1]) + Number(m[3])) >> 1), String((Number(m[2]) + Number(m[4])) >> 1)]);
}

async function typeAndSave(text: string): Promise<void> {
  for (const argv of textCommands(text)) {
    const r = await adb.exec(serial(), argv);
    assert.equal(r.exitCode, 0, r.stderr.toString());
  }
  await adb.exec(serial(), ['input', 'keyevent', '66']);
}

test('typed text reaches the phone exactly, shell metacharacters, quotes, percent signs and "%s" included', async () => {
  await openNoteField();
  for (const text of [`'; rm -rf / $(x) "`, '100% sure about %s and `id`']) {
    await typeAndSave(text);
    assert.ok((await dump()).includes(`text="${xmlText(text)}" resource-id="com.mobileai.notes:id/note_text"`), `the note reads ${text}`);
  }
  // What Android's `input text` cannot type, it refuses as a real phone does (the panel says so instead).
  const r = await adb.exec(serial(), ['input', 'text', 'café']);
  assert.equal(r.exitCode, 255);
  assert.match(r.stderr.toString(), /^Exception occurred while executing 'text':\njava\.lang\.NullPointerException/);
});

test("the clipboard as stock Android exposes it: no shell command, said plainly", async () => {
  const raw = await adb.exec(serial(), ['cmd', 'clipboard', 'get']);
  assert.equal(raw.exitCode, 0, 'Binder answers with exit status 0');
  assert.equal(raw.stderr.toString(), 'No shell command implementation.\n');
  const probe = await probePhoneClipboard(adb, serial());
  assert.equal(probe.available, false);
  assert.match(probe.available ? '' : probe.reason, /no shell command .*No shell command implementation/);
  const read = await readPhoneClipboard(adb, serial());
  assert.ok(!('text' in read));
  assert.equal((await writePhoneClipboard(adb, serial(), 'x')).available, false);
});

test('rotate turns the phone (auto-rotate off, user_rotation), and the display poll is not logged', async () => {
  const before = logLines.length;
  const d0 = await readDisplayState(adb, serial());
  assert.deepEqual(d0, { width: 720, height: 1600, rotation: 0 });
  assert.equal(logLines.slice(before).filter((l) => /dumpsys display/.test(l)).length, 0, 'reading the display state writes no log line');
  assert.equal(await rotatePhone(adb, serial(), 0), 1);
  assert.deepEqual(await readDisplayState(adb, serial()), { width: 1600, height: 720, rotation: 1 });
  assert.match(logLines.slice(before).join('\n'), /exec: settings put system accelerometer_rotation 0[\s\S]*exec: settings put system user_rotation 1/);
  assert.equal(await rotatePhone(adb, serial(), 1), 2);
  assert.deepEqual(await readDisplayState(adb, serial()), { width: 720, height: 1600, rotation: 2 });
  assert.equal(await rotatePhone(adb, serial(), 2, 0), 0);
  assert.deepEqual(await readDisplayState(adb, serial()), { width: 720, height: 1600, rotation: 0 });
});

test("a dropped APK installs; an older one is refused in Android's words; other files are pushed without overwriting", async () => {
  const apk = async (name: string, versionCode: number) => {
    const file = path.join(tmp, name);
    await writeFile(file, buildApk({ package: 'com.example.dropped', versionCode, versionName: `${versionCode}.0`, minSdk: 24, targetSdk: 34, label: 'Dropped', activities: [{ name: '.MainActivity', launcher: true }], signer: 'drop-key' }));
    return file;
  };
  const reports: number[] = [];
  const ok = await installApk(adb, serial(), await apk('v2.apk', 2), { progress: { report: (p) => { if (p.done !== undefined) reports.push(p.done); } } });
  assert.deepEqual({ ok: ok.ok, android: ok.android }, { ok: true, android: 'Success' });
  assert.ok(reports.length > 0, 'the push reported progress');
  assert.match((await adb.exec(serial(), ['pm', 'list', 'packages'])).stdout.toString(), /package:com\.example\.dropped\n/);
  const old = await installApk(adb, serial(), await apk('v1.apk', 1));
  assert.equal(old.ok, false);
  assert.match(old.android, /^Failure \[INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update version code 1 is older than current 2\]$/);
  assert.match(old.message, /^INSTALL_FAILED_VERSION_DOWNGRADE: /);
  assert.equal((await adb.exec(serial(), ['sh', '-c', 'ls /data/local/tmp | grep -c mobileai-drop || true'])).stdout.toString().trim(), '0', 'no copy left behind');

  const doc = path.join(tmp, 'notes v1.txt');
  await writeFile(doc, 'hello from the computer\n');
  assert.equal(await pushToFolder(adb, serial(), doc, 'notes v1.txt', '/sdcard/Download'), '/sdcard/Download/notes v1.txt');
  assert.equal(await pushToFolder(adb, serial(), doc, 'notes v1.txt', '/sdcard/Download/'), '/sdcard/Download/notes v1 (1).txt', 'an existing file is kept');
  assert.equal((await adb.exec(serial(), ['cat', '/sdcard/Download/notes v1 (1).txt'])).stdout.toString(), 'hello from the computer\n');
  await assert.rejects(pushToFolder(adb, serial(), doc, 'x.txt', 'sdcard'), /absolute path/);
  await assert.rejects(pushToFolder(adb, serial(), doc, 'x.txt', '/sdcard/../system'), /must not contain \.\./);
});
