import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';

/*
 * Device states through the real adb CLI (Debian's adb 29): reboot, root/unroot/remount on a user build,
 * reconnect, get-state & co., the features the phone announces, abb. Texts come from adbd's sources
 * (daemon/restart_service.cpp, daemon/services.cpp) and adb's client (client/commandline.cpp).
 */

const REBOOT_MS = 1000;
let server: TestAdbServer;
let phone: VirtualPhone;
let serial: string;

async function connect(): Promise<void> {
  const r = await server.adb(['connect', phone.address]);
  assert.match(r.stdout, /connected to/);
  await waitFor('the phone to be a device', async () => ((await adb('get-state')).stdout === 'device\n' ? true : undefined));
}

before(async () => {
  server = await startAdbServer();
  phone = await VirtualPhone.start({ port: 0, rebootMs: REBOOT_MS });
  serial = phone.address;
  await connect();
});

after(async () => {
  await phone?.stop();
  await server?.stop();
});

const adb = (...args: string[]) => server.adb(['-s', serial, ...args]);

test('get-state, get-serialno, get-devpath', async () => {
  assert.deepEqual(await adb('get-state'), { stdout: 'device\n', stderr: '', code: 0 });
  assert.deepEqual(await adb('get-serialno'), { stdout: `${serial}\n`, stderr: '', code: 0 });
  // A TCP device has no USB path.
  assert.deepEqual(await adb('get-devpath'), { stdout: 'unknown\n', stderr: '', code: 0 });
  // Already a device: wait-for-device returns at once.
  assert.equal((await adb('wait-for-device')).code, 0);
});

test('the phone announces only the features it implements', async () => {
  const r = await adb('features');
  // Android 14's adbd also lists sendrecv_v2, apex, track_app, delayed_ack…: this phone does not do those yet.
  assert.deepEqual(r.stdout.split('\n').filter(Boolean), ['shell_v2', 'cmd', 'stat_v2', 'ls_v2', 'fixed_push_mkdir', 'abb', 'abb_exec', 'remount_shell']);
});

test('a user build refuses root, unroot, remount and verity changes in adbd\'s words', async () => {
  // restart_service.cpp: not debuggable → refuses; adb prints it and, as nothing restarts, exits 0.
  assert.deepEqual(await adb('root'), { stdout: 'adbd cannot run as root in production builds\n', stderr: '', code: 0 });
  assert.deepEqual(await adb('unroot'), { stdout: 'adbd not running as root\n', stderr: '', code: 0 });
  // remount_shell: adb runs `remount` in the shell; a user build has no such binary (adbd_system_api requires it
  // only on debuggable builds), so mksh cannot find it.
  const remount = await adb('remount');
  assert.equal(remount.code, 127);
  assert.equal(remount.stderr, '/system/bin/sh: remount: inaccessible or not found\n');
  // disable-verity: adbd runs /system/bin/disable-verity through the shell, raw: its words come back on stdout.
  const verity = await adb('disable-verity');
  assert.equal(verity.stdout, '/system/bin/sh: /system/bin/disable-verity: inaccessible or not found\n');
  assert.match((await adb('shell', 'id')).stdout, /^uid=2000\(shell\)/, 'still the shell user');
});

test('adb reboot: the phone goes away, wait-for-device returns when it is back, files and apps kept', async () => {
  await adb('shell', 'echo kept > /data/local/tmp/keep.txt');
  const packages = (await adb('shell', 'pm list packages')).stdout;
  assert.match(packages, /package:/);
  await adb('reverse', 'tcp:7300', 'tcp:7300');
  const listener = phone.device.net.listen({ family: 'inet', host: '0.0.0.0', port: 6100 });
  const proc = phone.device.procs.spawn('some_daemon', ['some_daemon'], { uid: 2000 });
  phone.device.logcat.write({ tag: 'BeforeReboot', level: 'I', msg: 'from the last boot', pid: proc.pid });
  assert.match((await adb('logcat', '-d')).stdout, /BeforeReboot/);
  // A command running in the shell when the phone reboots ends (the host is not left hanging).
  const running = spawn('adb', ['-P', String(server.port), '-s', serial, 'shell', 'sleep 5'], { env: server.env, stdio: 'ignore' });
  const ended = new Promise<number | null>((r) => running.on('exit', (code) => r(code)));
  await waitFor('the sleep to run', () => (phone.device.procs.byName('sleep').length ? true : undefined));

  // The phone's own record of when it went down and came back, so the test's polling is not in the timings.
  const at: { reboot?: number; boot?: number } = {};
  phone.once('reboot', () => (at.reboot = Date.now()));
  phone.once('boot', () => (at.boot = Date.now()));
  const reboot = await adb('reboot');
  assert.deepEqual([reboot.code, reboot.stdout, reboot.stderr], [0, '', '']);
  await waitFor('the phone to be away', async () => ((await adb('get-state')).code !== 0 ? true : undefined), 10000, 20);
  assert.ok(at.reboot !== undefined, 'the phone rebooted');
  await ended;
  const wait = await server.adb(['-s', serial, 'wait-for-device'], { timeoutMs: 15000 });
  const back = Date.now();
  assert.equal(wait.code, 0, wait.stderr);
  assert.ok(at.boot !== undefined && at.boot <= back, 'wait-for-device returned once the phone had booted');
  assert.ok(at.boot - at.reboot >= REBOOT_MS - 5, `away for the reboot (${at.boot - at.reboot} ms)`);
  assert.ok(back - at.boot < 5000, `back soon after it booted, not after adb's 10 s retry (${back - at.boot} ms after boot)`);
  assert.equal(phone.booting, false);

  assert.equal((await adb('shell', 'cat /data/local/tmp/keep.txt')).stdout, 'kept\n');
  assert.equal((await adb('shell', 'pm list packages')).stdout, packages);
  assert.equal((await adb('reverse', '--list')).stdout.trim(), '', 'forwards do not survive a reboot');
  assert.equal(listener.isClosed, true, 'sockets do not survive a reboot');
  assert.equal(phone.device.procs.get(proc.pid), undefined, 'processes started since boot are gone');
  assert.equal(phone.device.procs.get(1)?.name, 'init');
  // logd starts over: the old boot's lines are gone, the new boot's are there.
  const log = await adb('logcat', '-d');
  assert.doesNotMatch(log.stdout, /BeforeReboot/);
  assert.notEqual(log.stdout.trim(), '');
});

test('adb reboot bootloader also comes back (the virtual phone has no fastboot: it boots Android)', async () => {
  const r = await adb('reboot', 'bootloader');
  assert.equal(r.code, 0);
  await waitFor('the phone to be away', async () => ((await adb('get-state')).code !== 0 ? true : undefined), 10000, 20);
  assert.equal((await server.adb(['-s', serial, 'wait-for-device'], { timeoutMs: 15000 })).code, 0);
  assert.equal((await adb('shell', 'echo up')).stdout, 'up\n');
});

test('adb reconnect device: the phone drops the link and the adb server connects again by itself', async () => {
  const before = [...phone.connections];
  assert.equal(before.length, 1);
  const r = await adb('reconnect', 'device');
  assert.equal(r.code, 0);
  await waitFor('a new connection from the adb server', () => {
    const now = [...phone.connections];
    return now.length === 1 && now[0] !== before[0] ? true : undefined;
  }, 5000);
  await waitFor('the phone to be a device again', async () => ((await adb('get-state')).stdout === 'device\n' ? true : undefined));
  assert.equal((await adb('shell', 'echo again')).stdout, 'again\n');
});

test('adb reconnect (host side) says what it does; adb connect brings a TCP phone back', async () => {
  const r = await adb('reconnect');
  // adb.cpp: "reconnecting SERIAL [STATE]"; adb 29 then forgets a kicked TCP device until it is connected again.
  assert.equal(r.stdout, `reconnecting ${serial} [device]\n\n`);
  await waitFor('the old link to close', () => (phone.connections.size === 0 ? true : undefined), 15000);
  await connect();
  assert.equal((await adb('shell', 'echo back')).stdout, 'back\n');
});

test('abb runs `cmd SERVICE ARGS` with the shell protocol (exit codes pass), as `adb shell cmd` does', async () => {
  const viaAbb = await adb('abb', 'package', 'list', 'packages');
  const viaShell = await adb('shell', 'cmd package list packages');
  assert.equal(viaAbb.code, 0);
  assert.equal(viaAbb.stdout, viaShell.stdout);
  assert.match(viaAbb.stdout, /^package:/m);
  const bad = await adb('abb', 'no_such_service');
  const badShell = await adb('shell', 'cmd no_such_service');
  assert.deepEqual([bad.code, bad.stdout, bad.stderr], [badShell.code, badShell.stdout, badShell.stderr]);
  assert.notEqual(bad.code, 0);
});
