import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import { buildApk, type ApkSpec } from '../helpers/apkBuilder';

/**
 * `adb install` in every form adb 29 (Debian's 29.0.6) uses, against the virtual phone through a private adb
 * server. What adb sends (client/adb_install.cpp): with the device's `abb_exec` feature,
 * `abb_exec:package\0install\0…\0-S\0SIZE` and the APK as the stream's data; otherwise
 * `exec:cmd package 'install' … -S SIZE`. install-multiple: `install-create -S TOTAL`, one
 * `install-write -S SIZE ID NAME -` per APK, `install-commit ID` (or `install-abandon ID`). --no-streaming:
 * sync push to /data/local/tmp/NAME, `pm 'install' … PATH`, then `rm -f PATH` over the shell. adb prints
 * pm's last line: "Success" on stdout, else "adb: failed to install FILE: Failure […]" on stderr, exit 1.
 */

let server: TestAdbServer;
let phone: VirtualPhone;
let tmp: string;
let serial: string;
let dataDir: string;

const adb = (...args: string[]) => server.adb(['-s', serial, ...args], { timeoutMs: 60000 });

before(async () => {
  server = await startAdbServer();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-install-'));
  dataDir = path.join(tmp, 'phone');
  phone = await VirtualPhone.start({ port: 0, dataDir });
  serial = phone.address;
  await server.adb(['connect', serial]);
  await waitFor('the phone to be a device', async () => ((await server.adb(['-s', serial, 'get-state'])).stdout.trim() === 'device' ? true : undefined), 15000);
});

after(async () => {
  await phone?.stop();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function apkFile(name: string, spec: Partial<ApkSpec> = {}): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, buildApk({
    package: 'com.example.installme', versionCode: 1, versionName: '1.0', minSdk: 24, targetSdk: 34, labelResource: 'Install Me',
    activities: [{ name: '.MainActivity', launcher: true }], signer: 'release-key', ...spec,
  }));
  return file;
}

/** Install sessions still staged in the phone's /data/app (looked at from the host: the shell may not list /data/app). */
const staged = async () => (await readdir(path.join(dataDir, 'fs', 'data', 'app'))).filter((n) => n.startsWith('vmdl'));

const shell = async (line: string) => (await adb('shell', line)).stdout;

test('adb install (streamed), then adb install -r with an update: pm list, pm path, dumpsys package and the launcher show it', async () => {
  const v1 = await apkFile('app-v1.apk');
  const r = await adb('install', v1);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Performing Streamed Install\nSuccess\n');
  assert.match(await shell('pm list packages -3'), /^package:com\.example\.installme$/m);
  const pathOut = await shell('pm path com.example.installme');
  assert.match(pathOut, /^package:\/data\/app\/~~[\w-]+==\/com\.example\.installme-[\w-]+==\/base\.apk\n$/);
  // The installed file is the APK, byte for byte (what `adb pull $(pm path …)` gets).
  const pulled = path.join(tmp, 'pulled.apk');
  assert.equal((await adb('pull', pathOut.replace(/^package:/, '').trim(), pulled)).code, 0);
  assert.deepEqual(await readFile(pulled), await readFile(v1));
  const dump = await shell('dumpsys package com.example.installme');
  // Field names of PackageManagerService's dump (Android 14: appId=, codePath=, versionCode= minSdk= targetSdk=).
  assert.match(dump, /^ {2}Package \[com\.example\.installme\] \(\w+\):$/m);
  assert.match(dump, /^ {4}appId=1\d{4}$/m);
  assert.match(dump, new RegExp(`^ {4}codePath=${path.posix.dirname(pathOut.replace(/^package:/, '').trim()).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.match(dump, /^ {4}versionCode=1 minSdk=24 targetSdk=34$/m);
  assert.match(dump, /^ {4}versionName=1\.0$/m);
  assert.match(dump, /^ {4}firstInstallTime=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
  const ui = await shell('uiautomator dump /dev/tty');
  assert.match(ui, /text="Install Me"/, 'the launcher shows the label from resources.arsc');
  // The update: -r (ignored by modern pm, which replaces by default) keeps the first install time.
  const first = /firstInstallTime=([\d-]+ [\d:]+)/.exec(await shell('pm dump com.example.installme'))?.[1];
  const v2 = await apkFile('app-v2.apk', { versionCode: 2, versionName: '2.0' });
  const u = await adb('install', '-r', v2);
  assert.equal(u.stdout, 'Performing Streamed Install\nSuccess\n', u.stderr);
  const after2 = await shell('pm dump com.example.installme');
  assert.match(after2, /versionCode=2 minSdk=24 targetSdk=34/);
  assert.match(after2, /versionName=2\.0/);
  assert.equal(/firstInstallTime=([\d-]+ [\d:]+)/.exec(after2)?.[1], first);
  assert.match(await shell('pm list packages --show-versioncode installme'), /^package:com\.example\.installme versionCode:2$/m);
});

test('a downgrade is refused without -d, and with -d for an app that is not debuggable; -g and -t pass through', async () => {
  const v1 = await apkFile('down-v1.apk', { versionCode: 1 });
  const v3 = await apkFile('down-v3.apk', { versionCode: 3 });
  assert.equal((await adb('install', v3)).code, 0);
  const r = await adb('install', v1);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `adb: failed to install ${v1}: Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update version code 1 is older than current 3]\n`);
  const d = await adb('install', '-r', '-d', v1);
  assert.match(d.stderr, /INSTALL_FAILED_VERSION_DOWNGRADE/);
  const dbg3 = await apkFile('dbg-v3.apk', { package: 'com.example.debuggable', versionCode: 3, debuggable: true });
  const dbg1 = await apkFile('dbg-v1.apk', { package: 'com.example.debuggable', versionCode: 1, debuggable: true, permissions: ['android.permission.CAMERA'] });
  assert.equal((await adb('install', dbg3)).code, 0);
  const ok = await adb('install', '-r', '-d', '-g', dbg1);
  assert.equal(ok.stdout, 'Performing Streamed Install\nSuccess\n', ok.stderr);
  assert.match(await shell('pm dump com.example.debuggable'), /versionCode=1 [\s\S]*android\.permission\.CAMERA: granted=true/);
  const testOnly = await apkFile('testonly.apk', { package: 'com.example.testonly', testOnly: true });
  assert.match((await adb('install', testOnly)).stderr, /Failure \[INSTALL_FAILED_TEST_ONLY: /);
  assert.equal((await adb('install', '-t', testOnly)).code, 0);
});

test('a file that is not an APK, and an update signed by someone else, are refused in Android\'s words', async () => {
  const junk = path.join(tmp, 'junk.apk');
  await writeFile(junk, 'this is not an apk');
  const r = await adb('install', junk);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^adb: failed to install .*junk\.apk: Failure \[INSTALL_PARSE_FAILED_NOT_APK: Failed to parse \/data\/app\/vmdl\d+\.tmp\/base\.apk: /);
  assert.deepEqual(await staged(), [], 'no session left staged');
  const mine = await apkFile('sig-a.apk', { package: 'com.example.signed', signer: 'key-a' });
  const theirs = await apkFile('sig-b.apk', { package: 'com.example.signed', signer: 'key-b', versionCode: 2 });
  assert.equal((await adb('install', mine)).code, 0);
  const s = await adb('install', '-r', theirs);
  assert.match(s.stderr, /Failure \[INSTALL_FAILED_UPDATE_INCOMPATIBLE: Package com\.example\.signed signatures do not match previously installed version; ignoring!\]/);
});

test('adb install --no-streaming pushes, runs pm install, and leaves nothing in /data/local/tmp', async () => {
  const file = await apkFile('pushed.apk', { package: 'com.example.pushed' });
  const r = await adb('install', '--no-streaming', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Performing Push Install\n[\s\S]*Success\n$/);
  assert.match(await shell('pm list packages com.example.pushed'), /^package:com\.example\.pushed$/m);
  assert.deepEqual(await readdir(path.join(dataDir, 'fs', 'data', 'local', 'tmp')), []);
});

test('adb install-multiple base.apk split.apk installs one package with a split; a split of another package is refused', async () => {
  const base = await apkFile('base.apk', { package: 'com.example.splits', versionCode: 4 });
  const split = path.join(tmp, 'split_config.arm64_v8a.apk');
  await writeFile(split, buildApk({ package: 'com.example.splits', versionCode: 4, split: 'config.arm64_v8a', configForSplit: '', nativeAbis: ['arm64-v8a'], signer: 'release-key' }));
  const r = await adb('install-multiple', base, split);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Success\n');
  const paths = (await shell('pm path com.example.splits')).trim().split('\n');
  assert.equal(paths.length, 2);
  assert.match(paths[0], /\/base\.apk$/);
  assert.match(paths[1], /\/split_config\.arm64_v8a\.apk$/);
  const foreign = path.join(tmp, 'foreign.apk');
  await writeFile(foreign, buildApk({ package: 'com.example.other', versionCode: 4, split: 'config.xxhdpi', signer: 'release-key' }));
  const bad = await adb('install-multiple', base, foreign);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Failure \[INSTALL_FAILED_INVALID_APK: \/data\/app\/vmdl\d+\.tmp\/foreign\.apk package com\.example\.other inconsistent with com\.example\.splits\]/);
  assert.deepEqual(await staged(), []);
});

test('adb uninstall removes the app from pm and the launcher; an unknown package is DELETE_FAILED_INTERNAL_ERROR; apps survive a restart', async () => {
  const file = await apkFile('gone.apk', { package: 'com.example.gone', labelResource: 'Gone Soon' });
  assert.equal((await adb('install', file)).code, 0);
  assert.match(await shell('uiautomator dump /dev/tty'), /text="Gone Soon"/);
  const u = await adb('uninstall', 'com.example.gone');
  assert.equal(u.stdout, 'Success\n');
  assert.equal(await shell('pm list packages com.example.gone'), '');
  assert.doesNotMatch(await shell('uiautomator dump /dev/tty'), /Gone Soon/);
  const unknown = await adb('uninstall', 'com.example.never');
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stdout + unknown.stderr, 'Failure [DELETE_FAILED_INTERNAL_ERROR]\n');
  // A restart on the same folder: the installed apps are still there.
  const before = await shell('pm list packages -3');
  await server.adb(['disconnect', serial]);
  await phone.stop();
  phone = await VirtualPhone.start({ port: 0, dataDir });
  serial = phone.address;
  await server.adb(['connect', serial]);
  await waitFor('the phone to come back', async () => ((await server.adb(['-s', serial, 'get-state'])).stdout.trim() === 'device' ? true : undefined), 15000);
  assert.equal(await shell('pm list packages -3'), before);
  assert.match(before, /com\.example\.installme/);
});

test("without abb_exec adb streams through exec:cmd package 'install' … -S SIZE: the same install through adb exec-in", async () => {
  const file = await apkFile('exec.apk', { package: 'com.example.execin' });
  const size = (await stat(file)).size;
  // What adb_install.cpp sends when the device lacks abb_exec: the arguments quoted by escape_arg, -S last.
  const child = spawn('adb', ['-P', String(server.port), '-s', serial, 'exec-in', `cmd package 'install' '-r' -S ${size}`], { env: server.env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.resume();
  createReadStream(file).pipe(child.stdin);
  // exec-in only feeds stdin (its output is not shown): the result is what pm now lists.
  assert.equal(await new Promise<number | null>((resolve) => child.once('close', resolve)), 0);
  // adb exits once its data is sent; the phone finishes the commit on its own.
  await waitFor('the streamed install to commit', async () => (/^package:com\.example\.execin$/m.test(await shell('pm list packages com.example.execin')) ? true : undefined), 10000);
});
