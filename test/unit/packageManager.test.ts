import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtualDevice, mergeProfile } from '../../extension/core/virtualPhone/device';
import { Sandbox } from '../../extension/core/virtualPhone/sandbox';
import { Abort, bufferReader, EMPTY, type Io, type Reader } from '../../extension/core/virtualPhone/os/io';
import type { CommandContext } from '../../extension/core/virtualPhone/commands/types';
import { PACKAGE_MANAGER, dumpsysPackage } from '../../extension/core/virtualPhone/commands/pm';
import { PACKAGES_FILE, PackageDb } from '../../extension/core/virtualPhone/os/packages';
import { buildApk, type ApkSpec } from '../helpers/apkBuilder';
import { runLine } from '../helpers/phoneShell';

/*
 * Facts these tests hold the phone to, and where they come from:
 * - pm is `cmd package`; options are read by android.os.ShellCommand.getNextOption, one per argument
 *   ("-rd" is "-r" plus stray data); "-r" is ignored and replacing is the default, "-R" refuses
 *   (PackageManagerShellCommand.makeInstallParams, frameworks/base, Android 11+).
 * - install-create prints "Success: created install session [ID]" (adb parses the brackets), install-write
 *   "Success: streamed N bytes", a failed commit "Failure [" + PackageManager.installStatusToString + "]"
 *   (PackageManagerShellCommand.runInstallCreate/doWriteSplit/doCommitSession).
 * - Session checks and their words: "Split X was defined multiple times", "FILE package P inconsistent with Q",
 *   "Full install must include a base package" (PackageInstallerSession.validateApkInstallLocked);
 *   a non-zip is INSTALL_PARSE_FAILED_NOT_APK "Failed to parse PATH" plus the IOException's message
 *   (ApkLiteParseUtils.parseApkLiteInner, ExceptionUtils.getCompleteMessage).
 * - "Downgrade detected: Update version code N is older than current M" (PackageManagerServiceUtils.checkDowngrade);
 *   -d only for a debuggable app on a user build (isDowngradePermitted; adb's help: "debuggable packages only").
 * - An uncaught exception: "\nException occurred while executing 'CMD':" and the stack on stderr, exit 255
 *   (BasicShellCommandHandler.exec).
 * - adb 29's commands: client/adb_install.cpp (platform/packages/modules/adb), see test/integration/phoneInstall.test.ts.
 */

let dir: string;
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-pm-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

async function newDevice(name: string): Promise<VirtualDevice> {
  const fs = new Sandbox(path.join(dir, name));
  await fs.init();
  return new VirtualDevice(mergeProfile(), fs, 'emulator-5554');
}

interface Result { stdout: string; stderr: string; code: number }

/** Runs `pm ARGS…` (or `cmd package …`) the way the shell would, with an Io collecting its output. */
async function run(device: VirtualDevice, argv: string[], stdin: Reader = EMPTY): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdin, out: async (d) => { stdout += d.toString(); }, err: async (d) => { stderr += d.toString(); }, signal: new Abort(), tty: false };
  const ctx: CommandContext = {
    device, phone: device.phone, fs: device.fs, cwd: '/', env: {}, pid: 4242, ppid: 4241, uid: 2000,
    sh: async () => 127,
  };
  const cmd = PACKAGE_MANAGER[argv[0]];
  const code = await cmd(argv, io, ctx);
  return { stdout, stderr, code };
}

async function push(device: VirtualDevice, devicePath: string, data: Buffer): Promise<void> {
  await device.fs.writeFile(devicePath, data);
}

const spec = (over: Partial<ApkSpec> = {}): ApkSpec => ({
  package: 'com.example.hello', versionCode: 3, versionName: '1.3', minSdk: 24, targetSdk: 34, label: 'Hello',
  activities: [{ name: '.MainActivity', launcher: true }], signer: 'dev', ...over,
});

const installStreamed = (d: VirtualDevice, apk: Buffer, opts: string[] = []) => run(d, ['cmd', 'package', 'install', ...opts, '-S', String(apk.length)], bufferReader(apk));

async function stagedLeft(d: VirtualDevice): Promise<string[]> {
  return (await readdir(path.join(d.fs.root, 'data', 'app'))).filter((n) => n.startsWith('vmdl'));
}

test('a streamed install (adb: exec:cmd package install -S N, the APK on stdin) shows in pm list, pm path, dumpsys, the launcher, and survives a reboot', async () => {
  const d = await newDevice('stream');
  const apk = buildApk(spec({ permissions: ['android.permission.CAMERA', 'android.permission.INTERNET'] }));
  assert.deepEqual(await installStreamed(d, apk), { stdout: 'Success\n', stderr: '', code: 0 });
  // runListPackages: "package:" [sourceDir "="] name ["  installer=" X] [" uid:" N] (PackageManagerShellCommand.java)
  const list = await run(d, ['pm', 'list', 'packages', '-3', '-f', '-i', '-U', 'hello']);
  assert.match(list.stdout, /^package:\/data\/app\/~~[\w-]{22}==\/com\.example\.hello-[\w-]{22}==\/base\.apk=com\.example\.hello {2}installer=com\.android\.shell uid:(\d+)\n$/);
  const uid = Number(/uid:(\d+)/.exec(list.stdout)?.[1]);
  assert.ok(uid >= 10000 && ![1000, 10043, 10101, 10150, 10151, 10152].includes(uid), `a fresh app id: ${uid}`);
  assert.equal((await run(d, ['pm', 'list', 'packages', '-s', 'hello'])).stdout, '', 'not a system package');
  assert.equal((await run(d, ['pm', 'list', 'packages', '--show-versioncode', 'example'])).stdout, 'package:com.example.hello versionCode:3\n');
  const p = await run(d, ['pm', 'path', 'com.example.hello']);
  assert.equal(p.code, 0);
  const apkPath = p.stdout.replace(/^package:/, '').trim();
  assert.deepEqual(await readFile(path.join(d.fs.root, apkPath)), apk, 'pm path names the installed APK, byte for byte');
  const dump = await run(d, ['cmd', 'package', 'dump', 'com.example.hello']);
  for (const line of [`appId=${uid}`, 'versionCode=3 minSdk=24 targetSdk=34', 'versionName=1.3', `codePath=${path.posix.dirname(apkPath)}`, 'splits=[base]', 'installerPackageName=com.android.shell']) {
    assert.ok(dump.stdout.includes(`    ${line}\n`), `dumpsys package has ${line}`);
  }
  assert.match(dump.stdout, / {4}firstInstallTime=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n {4}lastUpdateTime=/);
  assert.match(dump.stdout, /android\.permission\.CAMERA: granted=false/, 'a runtime permission not granted without -g');
  assert.match(dump.stdout, /com\.example\.hello\/\.MainActivity filter/);
  assert.deepEqual((await run(d, ['pm', 'resolve-activity', '--brief', 'com.example.hello'])).stdout.split('\n')[1], 'com.example.hello/.MainActivity');
  const app = d.phone.apps.find((a) => a.pkg === 'com.example.hello');
  assert.deepEqual({ label: app?.label, activity: app?.activity, launchable: app?.launchable }, { label: 'Hello', activity: '.MainActivity', launchable: true });
  assert.ok(d.phone.uiXml().includes('text="Hello"'), 'the launcher shows the app');
  assert.ok(d.phone.launch('com.example.hello'));
  assert.equal(d.phone.currentActivity(), 'com.example.hello/.MainActivity');
  assert.deepEqual(await stagedLeft(d), [], 'no session folder left behind');
  // A reboot: a new device on the same folder reads /data/system/packages.json.
  await PackageDb.of(d).save();
  const again = new VirtualDevice(mergeProfile(), d.fs, 'emulator-5554');
  assert.equal((await run(again, ['pm', 'list', 'packages', '-U', 'com.example.hello'])).stdout, `package:com.example.hello uid:${uid}\n`);
  assert.ok(again.phone.apps.some((a) => a.pkg === 'com.example.hello'));
  assert.ok(JSON.parse(await readFile(path.join(d.fs.root, PACKAGES_FILE), 'utf8')).packages.some((x: { name: string }) => x.name === 'com.example.hello'));
});

test('fewer bytes on stdin than -S announced is a failure, never an install of a truncated APK', async () => {
  const d = await newDevice('short');
  const apk = buildApk(spec());
  const r = await run(d, ['cmd', 'package', 'install', '-S', String(apk.length)], bufferReader(apk.subarray(0, apk.length - 100)));
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Error: failed to write; /);
  assert.equal((await run(d, ['pm', 'path', 'com.example.hello'])).code, 1);
  assert.deepEqual(await stagedLeft(d), []);
  // A size without an APK, and no size at all: pm's own words.
  assert.deepEqual(await run(d, ['pm', 'install']), { stdout: 'Error: must either specify a package size or an APK file\n', stderr: '', code: 1 });
});

test('install-create / install-write (stdin and file) / install-commit: base and split, one package: line per APK', async () => {
  const d = await newDevice('session');
  const base = buildApk(spec());
  const split = buildApk({ package: 'com.example.hello', versionCode: 3, split: 'config.arm64_v8a', configForSplit: '', nativeAbis: ['arm64-v8a'], signer: 'dev' });
  const c = await run(d, ['pm', 'install-create', '-S', String(base.length + split.length)]);
  const m = /^Success: created install session \[(\d+)\]\n$/.exec(c.stdout);
  assert.ok(m, c.stdout);
  const id = m[1];
  assert.deepEqual(await run(d, ['pm', 'install-write', '-S', String(base.length), id, 'base.apk', '-'], bufferReader(base)), { stdout: `Success: streamed ${base.length} bytes\n`, stderr: '', code: 0 });
  await push(d, '/data/local/tmp/split.apk', split);
  assert.equal((await run(d, ['pm', 'install-write', id, 'split.apk', '/data/local/tmp/split.apk'])).stdout, `Success: streamed ${split.length} bytes\n`);
  assert.ok((await stagedLeft(d)).includes(`vmdl${id}.tmp`));
  assert.deepEqual(await run(d, ['pm', 'install-commit', id]), { stdout: 'Success\n', stderr: '', code: 0 });
  const lines = (await run(d, ['pm', 'path', 'com.example.hello'])).stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^package:\/data\/app\/.*\/base\.apk$/);
  assert.match(lines[1], /^package:\/data\/app\/.*\/split_config\.arm64_v8a\.apk$/);
  assert.match((await run(d, ['pm', 'dump', 'com.example.hello'])).stdout, /splits=\[base, config\.arm64_v8a\]/);
  assert.deepEqual(await stagedLeft(d), []);
  // A committed session is gone: writing to it again is refused as Android refuses a foreign session.
  const again = await run(d, ['pm', 'install-write', '-S', '1', id, 'x.apk', '-'], bufferReader('x'));
  assert.equal(again.code, 255);
  assert.match(again.stderr, new RegExp(`java\\.lang\\.SecurityException: Caller has no access to session ${id}`));
  // install-abandon removes the staged files.
  const c2 = /\[(\d+)\]/.exec((await run(d, ['pm', 'install-create'])).stdout)?.[1] as string;
  await run(d, ['pm', 'install-write', '-S', String(base.length), c2, 'base.apk', '-'], bufferReader(base));
  assert.deepEqual(await run(d, ['pm', 'install-abandon', c2]), { stdout: 'Success\n', stderr: '', code: 0 });
  assert.deepEqual(await stagedLeft(d), []);
});

test("refusals in Android's words (PackageInstallerSession, InstallPackageHelper), on stdout, exit status 1", async () => {
  const d = await newDevice('refuse');
  const notApk = Buffer.from('this is not a zip archive at all');
  const r = await installStreamed(d, notApk);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^Failure \[INSTALL_PARSE_FAILED_NOT_APK: Failed to parse \/data\/app\/vmdl(\d+)\.tmp\/base\.apk: Failed to load asset path \/data\/app\/vmdl\1\.tmp\/base\.apk\]\n$/);
  assert.equal((await installStreamed(d, buildApk(spec({ versionCode: 5 })))).stdout, 'Success\n');
  // Downgrade: refused without -d; with -d only for a debuggable app on a user build ("-d: allow version code downgrade (debuggable packages only)", adb help).
  assert.equal((await installStreamed(d, buildApk(spec({ versionCode: 4 })))).stdout, 'Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update version code 4 is older than current 5]\n');
  assert.equal((await installStreamed(d, buildApk(spec({ versionCode: 4 })), ['-d'])).stdout, 'Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update version code 4 is older than current 5]\n');
  // Modern pm replaces by default (-r is ignored); -R refuses to replace.
  assert.equal((await installStreamed(d, buildApk(spec({ versionCode: 5 })), ['-R'])).stdout, 'Failure [INSTALL_FAILED_ALREADY_EXISTS: Attempt to re-install com.example.hello without first uninstalling.]\n');
  assert.equal((await installStreamed(d, buildApk(spec({ versionCode: 5, signer: 'someone-else' })))).stdout, 'Failure [INSTALL_FAILED_UPDATE_INCOMPATIBLE: Package com.example.hello signatures do not match previously installed version; ignoring!]\n');
  assert.equal((await installStreamed(d, buildApk(spec({ package: 'com.example.t', testOnly: true })))).stdout, 'Failure [INSTALL_FAILED_TEST_ONLY: Failed to install test-only apk. Did you forget to add -t?]\n');
  assert.equal((await installStreamed(d, buildApk(spec({ package: 'com.example.t', testOnly: true })), ['-t'])).stdout, 'Success\n');
  assert.equal((await installStreamed(d, buildApk(spec({ package: 'com.example.new', minSdk: 35 })))).stdout, 'Failure [INSTALL_FAILED_OLDER_SDK: Requires newer sdk version #35 (current version is #34)]\n');
  assert.equal((await installStreamed(d, buildApk(spec({ package: 'com.example.old', minSdk: 19, targetSdk: 22 })))).stdout, 'Failure [INSTALL_FAILED_DEPRECATED_SDK_VERSION: App package must target at least SDK version 23, but found 22]\n');
  assert.equal((await installStreamed(d, buildApk(spec({ package: 'com.example.mips', nativeAbis: ['mips'] })))).stdout, 'Failure [INSTALL_FAILED_NO_MATCHING_ABIS: Failed to extract native libraries, res=-113]\n');
  assert.equal((await installStreamed(d, buildApk(spec({ package: 'bad-name' })))).stdout, "Failure [INSTALL_PARSE_FAILED_BAD_PACKAGE_NAME: Invalid manifest package: bad character '-']\n");
  // A split of another package, and a split with no base.
  const id = /\[(\d+)\]/.exec((await run(d, ['pm', 'install-create'])).stdout)?.[1] as string;
  const base = buildApk(spec({ package: 'com.example.s', versionCode: 1 }));
  const foreign = buildApk({ package: 'com.example.other', versionCode: 1, split: 'config.xxhdpi', signer: 'dev' });
  await run(d, ['pm', 'install-write', '-S', String(base.length), id, 'base.apk', '-'], bufferReader(base));
  await run(d, ['pm', 'install-write', '-S', String(foreign.length), id, 'split.apk', '-'], bufferReader(foreign));
  assert.equal((await run(d, ['pm', 'install-commit', id])).stdout, `Failure [INSTALL_FAILED_INVALID_APK: /data/app/vmdl${id}.tmp/split.apk package com.example.other inconsistent with com.example.s]\n`);
  const id2 = /\[(\d+)\]/.exec((await run(d, ['pm', 'install-create'])).stdout)?.[1] as string;
  const lone = buildApk({ package: 'com.example.s', versionCode: 1, split: 'config.xxhdpi', signer: 'dev' });
  await run(d, ['pm', 'install-write', '-S', String(lone.length), id2, 'split.apk', '-'], bufferReader(lone));
  assert.deepEqual(await run(d, ['pm', 'install-commit', id2]), { stdout: 'Failure [INSTALL_FAILED_INVALID_APK: Full install must include a base package]\n', stderr: '', code: 1 });
  assert.deepEqual(await stagedLeft(d), []);
  // Uninstalling what is not there.
  assert.deepEqual(await run(d, ['cmd', 'package', 'uninstall', 'com.example.nothere']), { stdout: 'Failure [DELETE_FAILED_INTERNAL_ERROR]\n', stderr: '', code: 1 });
});

test('a debuggable app may be downgraded with -d; an update keeps uid and first install time, gets a new code path', async () => {
  const d = await newDevice('update');
  await installStreamed(d, buildApk(spec({ versionCode: 10, debuggable: true })));
  const before = PackageDb.of(d).get('com.example.hello');
  await new Promise((r) => setTimeout(r, 5));
  assert.equal((await installStreamed(d, buildApk(spec({ versionCode: 9, versionName: '0.9', debuggable: true })), ['-r', '-d'])).stdout, 'Success\n');
  const afterUpd = PackageDb.of(d).get('com.example.hello');
  assert.equal(afterUpd?.versionCode, 9);
  assert.equal(afterUpd?.uid, before?.uid);
  assert.equal(afterUpd?.firstInstallTime, before?.firstInstallTime);
  assert.ok((afterUpd?.lastUpdateTime ?? 0) > (before?.firstInstallTime ?? 0));
  assert.notEqual(afterUpd?.codePath, before?.codePath);
  assert.equal(await d.fs.exists(before?.baseApk as string), false, 'the old APK is gone');
});

test('pm install PATH (adb --no-streaming), missing and broken files as pm reports them', async () => {
  const d = await newDevice('path');
  await push(d, '/data/local/tmp/app.apk', buildApk(spec({ permissions: ['android.permission.CAMERA'] })));
  assert.deepEqual(await run(d, ['pm', 'install', '-g', '/data/local/tmp/app.apk']), { stdout: 'Success\n', stderr: '', code: 0 });
  assert.match((await run(d, ['pm', 'dump', 'com.example.hello'])).stdout, /android\.permission\.CAMERA: granted=true/, '-g grants runtime permissions');
  const missing = await run(d, ['pm', 'install', '/data/local/tmp/nope.apk']);
  assert.equal(missing.code, 255);
  assert.match(missing.stderr, /Error: Can't open file: \/data\/local\/tmp\/nope\.apk\n\nException occurred while executing 'install':\njava\.lang\.IllegalArgumentException: Error: Can't open file: \/data\/local\/tmp\/nope\.apk\n/);
  await push(d, '/data/local/tmp/junk.apk', Buffer.from('junk'));
  const junk = await run(d, ['pm', 'install', '/data/local/tmp/junk.apk']);
  assert.equal(junk.code, 255);
  assert.match(junk.stderr, /java\.lang\.IllegalArgumentException: Error: Failed to parse APK file: \/data\/local\/tmp\/junk\.apk: Failed to parse \/data\/local\/tmp\/junk\.apk/);
  // ShellCommand.getNextOption takes one option per argument: "-rd" is -r followed by stray data.
  const combined = await run(d, ['pm', 'install', '-rd', '/data/local/tmp/app.apk']);
  assert.equal(combined.code, 255);
  assert.match(combined.stderr, /IllegalArgumentException: No argument expected after "-rd"/);
  const unknown = await run(d, ['pm', 'install', '--frobnicate', '/data/local/tmp/app.apk']);
  assert.match(unknown.stderr, /IllegalArgumentException: Unknown option --frobnicate/);
  assert.equal((await run(d, ['pm', 'frobnicate'])).stdout, 'Unknown command: frobnicate\n');
});

test('uninstall: gone from pm, the launcher and /data/app; -k keeps it known; system apps only per user', async () => {
  const d = await newDevice('uninstall');
  await installStreamed(d, buildApk(spec()));
  const codePath = PackageDb.of(d).get('com.example.hello')?.codePath as string;
  d.phone.launch('com.example.hello');
  assert.deepEqual(await run(d, ['cmd', 'package', 'uninstall', 'com.example.hello']), { stdout: 'Success\n', stderr: '', code: 0 });
  assert.equal((await run(d, ['pm', 'list', 'packages', 'com.example.hello'])).stdout, '');
  assert.equal(d.phone.apps.some((a) => a.pkg === 'com.example.hello'), false);
  assert.equal(d.phone.foreground, 'com.android.launcher3', 'the running app was stopped');
  assert.equal(await d.fs.exists(codePath), false);
  await installStreamed(d, buildApk(spec()));
  assert.equal((await run(d, ['pm', 'uninstall', '-k', 'com.example.hello'])).stdout, 'Success\n');
  assert.equal((await run(d, ['pm', 'list', 'packages', 'com.example.hello'])).stdout, '');
  assert.equal((await run(d, ['pm', 'list', 'packages', '-u', 'com.example.hello'])).stdout, 'package:com.example.hello\n');
  assert.equal((await run(d, ['pm', 'uninstall', 'com.android.settings'])).stdout, 'Failure [DELETE_FAILED_INTERNAL_ERROR]\n');
  assert.equal((await run(d, ['pm', 'uninstall', '--user', '0', 'com.android.settings'])).stdout, 'Success\n');
  assert.equal((await run(d, ['pm', 'list', 'packages', '-s', 'settings'])).stdout, '');
  assert.equal((await run(d, ['pm', 'install-existing', 'com.android.settings'])).stdout, 'Package com.android.settings installed for user: 0\n');
  assert.equal((await run(d, ['pm', 'list', 'packages', '-s', 'settings'])).stdout, 'package:com.android.settings\n');
  // `dumpsys package` is the same report (exported for the dumpsys command).
  let text = '';
  await dumpsysPackage(['com.android.settings'], { stdin: EMPTY, out: async (x) => { text += x.toString(); }, err: async () => undefined, signal: new Abort(), tty: false }, { device: d } as CommandContext);
  assert.match(text, /Package \[com\.android\.settings\][\s\S]*appId=1000[\s\S]*flags=\[ SYSTEM HAS_CODE/);
  void writeFile;
});

test("through the phone's shell: quoted arguments (adb's escape_arg) and the APK on stdin, as exec:cmd package 'install' … -S N arrives", async () => {
  const d = await newDevice('shell');
  const apk = buildApk(spec());
  const r = await runLine(d, `cmd package 'install' '-r' '-g' -S ${apk.length}`, { stdin: apk });
  assert.deepEqual([r.stdout, r.stderr, r.code], ['Success\n', '', 0]);
  assert.equal((await runLine(d, 'pm list packages -3 | grep -c example; pm path com.example.hello | wc -l')).stdout, '1\n1\n');
  await push(d, '/data/local/tmp/app.apk', buildApk(spec({ versionCode: 4 })));
  // adb --no-streaming: pm install PATH, then rm -f PATH </dev/null.
  const np = await runLine(d, "pm 'install' '-r' '/data/local/tmp/app.apk' && rm -f '/data/local/tmp/app.apk' </dev/null; ls /data/local/tmp | wc -l");
  assert.equal(np.stdout, 'Success\n0\n');
  assert.equal(PackageDb.of(d).get('com.example.hello')?.versionCode, 4);
  assert.equal((await runLine(d, 'dumpsys package com.example.hello | grep -c versionCode=4')).stdout, '1\n');
});
