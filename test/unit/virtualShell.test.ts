import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPhone } from '../helpers/phoneShell';

async function withDevice(fn: (sh: (line: string) => Promise<{ out: string; err: string; code: number }>) => Promise<void>): Promise<void> {
  await withPhone(async (_dev, run) => {
    await fn(async (line) => {
      const r = await run(line);
      return { out: r.stdout, err: r.stderr, code: r.code };
    });
  });
}

test('file commands behave like toybox: mkdir, redirect, cp, mv, ls, rm, with errors and exit codes', async () => {
  await withDevice(async (sh) => {
    assert.equal((await sh('mkdir -p /sdcard/a/b && echo hi > /sdcard/a/b/f.txt')).code, 0);
    assert.equal((await sh('cat /sdcard/a/b/f.txt')).out, 'hi\n');
    assert.equal((await sh('echo more >> /sdcard/a/b/f.txt; cat /sdcard/a/b/f.txt')).out, 'hi\nmore\n');
    assert.equal((await sh('cp /sdcard/a/b/f.txt /sdcard/a/g.txt && mv /sdcard/a/g.txt /sdcard/a/b')).code, 0);
    assert.equal((await sh('ls /sdcard/a/b')).out, 'f.txt\ng.txt\n');
    const missing = await sh('cat /nope');
    assert.deepEqual([missing.code, missing.err], [1, 'cat: /nope: No such file or directory\n']);
    const dirRm = await sh('rm /sdcard/a');
    assert.equal(dirRm.code, 1);
    assert.match(dirRm.err, /Is a directory/);
    assert.equal((await sh('rm -f /nope; echo $?')).out, '0\n');
    assert.equal((await sh('rm -r /sdcard/a && ls /sdcard/a')).code, 1);
    assert.equal((await sh('rm -rf /')).code, 1, 'the root stays');
  });
});

test('pipes, &&, ||, 2>/dev/null and 2>&1 route output as sh does', async () => {
  await withDevice(async (sh) => {
    assert.equal((await sh('getprop | grep ro.product.model')).out, '[ro.product.model]: [Shell Phone]\n');
    assert.equal((await sh('false && echo no || echo yes')).out, 'yes\n');
    const quiet = await sh('nosuch 2>/dev/null');
    assert.deepEqual([quiet.code, quiet.err], [127, '']);
    const merged = await sh('nosuch 2>&1');
    assert.match(merged.out, /nosuch: inaccessible or not found/);
    assert.equal((await sh('echo "a  b" \'c d\' e\\ f')).out, 'a  b c d e f\n');
    assert.equal((await sh('sh -c "exit 3"; echo $?')).out, '3\n');
    // mksh: a syntax error ends the script with status 1 and a message on stderr
    const syntax = await sh("echo 'unterminated");
    assert.equal(syntax.code, 1);
    // mksh's lexer: "/system/bin/sh: no closing quote" (as users of real phones post it).
    assert.match(syntax.err, /no closing quote/);
  });
});

test('device commands report the phone: wm, getprop, dumpsys, pm, am', async () => {
  await withDevice(async (sh) => {
    assert.equal((await sh('wm size')).out, 'Physical size: 720x1600\n');
    assert.equal((await sh('getprop ro.product.model')).out, 'Shell Phone\n');
    assert.match((await sh('dumpsys battery')).out, /level: 85/);
    assert.match((await sh('pm list packages')).out, /package:com\.android\.settings\npackage:com\.mobileai\.notes\n/);
    assert.match((await sh('am start -n com.mobileai.notes/.MainActivity && dumpsys window | grep mCurrentFocus')).out, /com\.mobileai\.notes\/\.MainActivity/);
    const bad = await sh('am start -n com.nope/.X');
    assert.equal(bad.code, 1);
    const notApk = await sh('echo x > /data/local/tmp/a.apk; pm install /data/local/tmp/a.apk');
    // Android 11+ (PackageManagerShellCommand.setParamsSize): the file is parsed before a session exists,
    // so pm throws on stderr and exits 255 instead of printing Failure [INSTALL_PARSE_FAILED_NOT_APK…]
    assert.match(notApk.err, /Error: Failed to parse APK file: \/data\/local\/tmp\/a\.apk/);
    assert.equal(notApk.code, 255);
    assert.equal((await sh('input tap 1')).code, 1);
    assert.equal((await sh('input keyevent KEYCODE_NOPE')).code, 1);
  });
});

test('`cmd &` runs the command in the background job itself: $! is its pid, as mksh execs a lone command in the forked child', async () => {
  await withDevice(async (sh) => {
    const r = await sh('sleep 5 & p=$!; grep -E "^(Name|PPid):" /proc/$p/status; ps -o PID,NAME -p $p | tail -n 1; kill $p; wait $p; echo "status $?"');
    const lines = r.out.trim().split('\n');
    assert.match(lines[0], /^Name:\s+sleep$/, r.out);
    assert.match(lines[2], /^\s*\d+ sleep$/, r.out);
    assert.equal(lines[3], 'status 143', 'killed by SIGTERM: 128+15');
    // A compound background job keeps its own shell process.
    const c = await sh('{ sleep 5; echo done; } & p=$!; grep "^Name:" /proc/$p/status; kill $p');
    assert.match(c.out, /^Name:\s+sh$/m);
  });
});
