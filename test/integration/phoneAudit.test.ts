import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startPhoneOverAdb, type PhoneOverAdb } from '../helpers/phoneAdb';
import { buildApk } from '../helpers/apkBuilder';

/**
 * An audit of the virtual phone as a scripted test suite drives it, through the real adb CLI (Debian's adb
 * 29.0.6) and a real adb server: the mksh constructs, the tools Android 14 has on its PATH that scripts use
 * (awk, diff, expr, pgrep/pkill/killall, app_process) and the framework commands test tools call (settings,
 * monkey, dumpsys meminfo/gfxinfo/input_method, am get-current-user).
 *
 * Where each expectation comes from:
 * - mksh(1) (Android's /system/bin/sh): `[[ … ]]` with pattern `==` and `&&`/`||` short-circuit, `(( … ))` and
 *   `let` (status 1 when the value is 0), here-strings `<<<`, brace expansion `{a,b}` (no `{1..3}`),
 *   `${v:pos:len}`, `$RANDOM`, `$PPID`, `typeset -i/-u`, `time` printing "    0m00.00s real …" on stderr, and a
 *   non-interactive shell exiting on an expansion error (`set -u`).
 * - AOSP system/core/shell_and_utilities/README.md: Android 9+ ships one-true-awk as /system/bin/awk; toybox
 *   has diff (8+), expr, pgrep, pkill, killall.
 * - toybox 0.8.9 sources: diff's unified output (hunk ranges as GNU diff prints them, so the host's GNU diff
 *   is the oracle for the hunks), expr's precedence and status, pgrep matching the ps NAME, pkill's
 *   "SIG->PID: strerror", killall's "NAME: No such process".
 * - AOSP development/cmds/monkey/monkey (the script echoes "  bash arg: X" for each argument) and Monkey.java
 *   ("Events injected: N", "** Error: Count not specified").
 * - system/core/run-as/run-as.cpp: "run-as: unknown package: X", "run-as: package not debuggable: X", else the
 *   command runs as the app's uid in /data/user/0/PKG (Android Studio's Device Explorer reads app files so).
 * - frameworks/base cmds/am Instrument.java: a missing instrumentation is "INSTRUMENTATION_STATUS: Error=Unable to
 *   find instrumentation info for: ComponentInfo{…}", status code -1, INSTRUMENTATION_FAILED, exit 1;
 *   ActivityManagerShellCommand: "Broadcasting: Intent { … }" / "Broadcast completed: result=0", and protected
 *   broadcasts refused to uid 2000 with a SecurityException.
 * - Linux net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c, net/unix/af_unix.c: /proc/net/tcp{,6} rows
 *   `sl: LOCALHEX:PORT REMHEX:PORT st …  uid timeout inode`, addresses as little-endian 32-bit words, LISTEN = 0A.
 * - mksh: kill and wait take job specs (%1, %%); android.content.Intent.toShortString for "Starting: Intent { … }".
 * - toybox log.c (-p d/e/f/i/s/v/w, -t TAG, stdin when no message), free.c's layout, strings/comm/paste/nl/cksum
 *   (POSIX; the host's GNU tools print the same for these inputs, so they are the oracle), gzip (zlib format:
 *   the host's gunzip reads what the phone wrote); dmesg refused to uid 2000 (dmesg_restrict); iproute2 `ip` on a
 *   phone whose only configured link is lo (wlan0 down, no route: "Network is unreachable").
 * - `adb shell reboot` (system/core/reboot: sets sys.powerctl, allowed to the shell; ya-webadb powers phones off
 *   with `adb shell reboot -p`): the phone goes offline and comes back with its apps; init's start/stop need
 *   root ("Must be root"); servicemanager's `service check NAME` says "found"/"not found".
 * - adb's bugreport.cpp: `bugreportz -v` (version on stderr), then `bugreportz -p` with BEGIN:/PROGRESS:/OK: lines
 *   and a pull of the zip; the zip's main_entry.txt names the dumpstate text (the host's unzip reads it).
 * - `svc power stayon true`, `wm dismiss-keyguard`, `cmd statusbar expand-notifications|collapse` (silent on a
 *   phone: what Espresso/Appium setup scripts run); WifiShellCommand `cmd wifi status|set-wifi-enabled`;
 *   `cmd battery set|reset` is BatteryService's shell command, the same as `dumpsys battery`.
 * - Android's /system/etc/mkshrc PS1 puts the last status before the prompt when it is not 0 ("130|emu64xa:/ $").
 * - adb 29 install-multi-package: `install-create --multi-package`, a child session per APK, `install-add-session
 *   PARENT CHILD…` (PackageManagerShellCommand prints "Success"), `install-commit PARENT`: all or nothing.
 * - runSetEnabledSetting: "Package NAME new state: disabled-user|enabled"; the shell may not `disable` a whole
 *   package ("Shell cannot change component state for NAME/null to 2"); a disabled app cannot be started.
 * - Boot-wait loops (emulator/CI scripts) poll sys.boot_completed=1, dev.bootcomplete=1, init.svc.bootanim=stopped;
 *   a release build's ro.build.version.codename is REL.
 * - scrcpy issues #953/#5178: app_process without the server's classes logs "could not find class" and the
 *   shell reports "Aborted".
 */
let p: PhoneOverAdb;
const PKG = 'com.example.audit';

const DEBUG_PKG = 'com.example.auditdebug';

before(async () => {
  p = await startPhoneOverAdb();
  const apk = path.join(p.tmp, 'audit.apk');
  await writeFile(apk, buildApk({ package: PKG, versionCode: 1, versionName: '1.0', label: 'Audit', activities: [{ name: '.MainActivity', launcher: true }], signer: 'audit', targetSdk: 34, minSdk: 24 }));
  const debugApk = path.join(p.tmp, 'debug.apk');
  await writeFile(debugApk, buildApk({ package: DEBUG_PKG, versionCode: 1, debuggable: true, activities: [{ name: '.Main', launcher: true }], signer: 'audit', targetSdk: 34, minSdk: 24 }));
  for (const f of [apk, debugApk]) {
    const r = await p.adb(['install', f]);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await p?.stop();
});

const sh = (line: string, input?: string) => p.adb(['shell', line], { input });

test('mksh constructs scripts use: [[ ]], (( )), let, <<<, {a,b}, ${v:pos:len}, typeset, exec 3>, $RANDOM, $PPID', async () => {
  const r = await sh([
    '[[ abc.apk == *.apk ]] && echo glob',
    'x=; [[ -n $x && $x -gt 3 ]] || echo short',
    '[[ "a b" = "a b" && ( -d /sdcard || -e /nope ) ]] && echo grouped',
    '[[ b < a ]] || echo strcmp',
    'i=5; ((i > 3)) && echo big; ((i++)); echo $i; let "i += 2" j=3; echo $i $j; ((0)); echo zero=$?',
    'read a b <<< "first second"; echo $b',
    'echo pre{x,y{1,2}}post {single} "{q,r}"',
    'v=hello; echo ${v:1:3} ${v: -3} ${v:2}',
    'typeset -i n=5; n=n*2; typeset -u up=abc; echo $n $up',
    'exec 3>/data/local/tmp/fd3; echo to-fd3 >&3; exec 3>&-; cat /data/local/tmp/fd3',
    'case $RANDOM in [0-9]*) echo random;; esac',
    'echo ppid=$PPID',
  ].join('\n'));
  assert.equal(r.code, 0, r.stderr);
  const pid = (await sh('pidof adbd')).stdout.trim();
  assert.deepEqual(r.stdout.trim().split('\n'), ['glob', 'short', 'grouped', 'strcmp', 'big', '6', '8 3', 'zero=1', 'second',
    'prexpost prey1post prey2post {single} {q,r}', 'ell llo llo', '10 ABC', 'to-fd3', 'random', `ppid=${pid}`]);
});

test('time reports on stderr as mksh does; set -u and $((1/0)) end a non-interactive script with status 1', async () => {
  const t = await sh('time sleep 0.2');
  assert.equal(t.code, 0);
  assert.match(t.stderr, /^ {4}0m00\.[2-9]\ds real {5}0m\d\d\.\d\ds user {5}0m\d\d\.\d\ds system\n$/);
  const u = await sh('set -u; echo ${UNSET_V:-default}; echo $UNSET_V; echo not-reached');
  assert.equal(u.code, 1);
  assert.equal(u.stdout, 'default\n');
  assert.match(u.stderr, /UNSET_V: parameter not set/);
  const d = await sh('echo $((1/0)); echo not-reached');
  assert.equal(d.code, 1);
  assert.equal(d.stdout, '');
});

test('awk (one true awk on Android 9+): the one-liners scripts pipe ps, dumpsys and files through', async () => {
  const adbd = (await sh('pidof adbd')).stdout.trim();
  assert.equal((await sh("ps -A | awk '$NF == \"adbd\" {print $2}'")).stdout.trim(), adbd);
  assert.equal((await sh("printf 'a 1\\nb 2\\nc 3\\n' | awk '{s += $2} END {print s, NR}'")).stdout, '6 3\n');
  assert.equal((await sh("echo x:y:z | awk -F: '{print $2, NF}'")).stdout, 'y 3\n');
  assert.equal((await sh("printf 'k1 5\\nk2 3\\nk1 2\\n' | awk '{t[$1] += $2} END {for (k in t) print k, t[k]}' | sort")).stdout, 'k1 7\nk2 3\n');
  assert.equal((await sh("awk 'BEGIN {printf \"%5.2f|%-4s|%03d|%x\\n\", 3.14159, \"ab\", 7, 255; print length(\"hello\"), substr(\"hello\", 2, 3), index(\"hello\", \"ll\"), toupper(\"x\"), 1/3}'")).stdout,
    ' 3.14|ab  |007|ff\n5 ell 3 X 0.333333\n');
  assert.equal((await sh("echo 'foo bar foo' | awk '{n = gsub(/foo/, \"[&]\"); print n, $0}'")).stdout, '2 [foo] bar [foo]\n');
  assert.equal((await sh("echo 'a,b;c' | awk '{n = split($0, part, /[,;]/); print n, part[3]}'")).stdout, '3 c\n');
  assert.equal((await sh("printf '1\\n2\\n3\\n4\\n' | awk 'NR==2, NR==3'")).stdout, '2\n3\n');
  // A field that looks numeric compares as a number with a number, as a string with a string constant.
  assert.equal((await sh("echo '10 9' | awk '{print ($1 > $2), ($1 < \"9\")}'")).stdout, '1 1\n');
  assert.equal((await sh("echo '  lead  trail  ' | awk '{print NF; $1 = $1; print \"[\" $0 \"]\"}'")).stdout, '2\n[lead trail]\n');
  assert.equal((await sh("awk 'function f(a, b) { return a * b } BEGIN { \"echo piped\" | getline x; print f(3, 4), x; system(\"echo sys\") }'")).stdout, '12 piped\nsys\n');
  assert.equal((await sh("awk -v n=5 'BEGIN {print n + 1}'")).stdout, '6\n');
  // Output redirection to a file, then `exit N` is the status.
  const red = await sh("echo 'a b' | awk '{print $2 > \"/data/local/tmp/awk.out\"; exit 3}'; echo rc=$?; cat /data/local/tmp/awk.out");
  assert.equal(red.stdout, 'rc=3\nb\n');
  const bad = await sh("awk '{'");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^awk: syntax error at source line 1\n/);
  const dumpsys = await sh("dumpsys battery | awk -F': ' '/level/ {print $2}'");
  assert.match(dumpsys.stdout, /^\d+\n$/);
});

const execFileP = promisify(execFile);

test('toybox diff prints the hunks GNU diff prints (host diff as the oracle); expr computes as toybox does', async () => {
  const a = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n';
  const b = 'a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\n';
  await writeFile(path.join(p.tmp, 'd1'), a);
  await writeFile(path.join(p.tmp, 'd2'), b);
  await writeFile(path.join(p.tmp, 'd3'), 'only\n');
  await writeFile(path.join(p.tmp, 'd4'), '');
  assert.equal((await p.adb(['push', path.join(p.tmp, 'd1'), path.join(p.tmp, 'd2'), path.join(p.tmp, 'd3'), path.join(p.tmp, 'd4'), '/data/local/tmp/'])).code, 0);
  const hostDiff = async (args: string[]) => {
    try {
      return (await execFileP('diff', args, { cwd: p.tmp })).stdout;
    } catch (e) {
      return (e as { stdout: string }).stdout;
    }
  };
  const hunks = (s: string) => s.split('\n').slice(2).join('\n');
  for (const [x, y, u] of [['d1', 'd2', '3'], ['d1', 'd2', '0'], ['d4', 'd3', '3'], ['d3', 'd4', '3'], ['d1', 'd2', '1']]) {
    const phone = await sh(`cd /data/local/tmp && diff -U ${u} ${x} ${y}`);
    assert.equal(phone.code, 1, `${x} ${y}`);
    assert.match(phone.stdout, new RegExp(`^--- ${x}\\t\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{9} \\+0000\\n\\+\\+\\+ ${y}\\t`));
    assert.equal(hunks(phone.stdout), hunks(await hostDiff(['-U', u, x, y])), `diff -U ${u} ${x} ${y}`);
  }
  const same = await sh('cd /data/local/tmp && diff d1 d1; echo rc=$?; diff -q d1 d2; echo rc=$?; diff d1 nope; echo rc=$?');
  assert.equal(same.stdout, 'rc=0\nFiles d1 and d2 differ\nrc=1\nrc=2\n');
  assert.match(same.stderr, /^diff: nope: No such file or directory\n$/);
  const e = await sh('expr 1 + 2 \\* 3; expr abc : "a\\(.\\)"; expr abcd : "ab*"; expr 3 \\> 2; expr 0; echo rc=$?; expr a + 1; echo rc=$?');
  assert.equal(e.stdout, '7\nb\n2\n1\n0\nrc=1\nrc=2\n');
  assert.equal(e.stderr, 'expr: non-integer argument\n');
});

test('pgrep/pkill/killall find processes by the ps NAME; the shell user cannot signal an app', async () => {
  assert.equal((await sh(`am start -n ${PKG}/.MainActivity`)).code, 0);
  const app = (await sh(`pidof ${PKG}`)).stdout.trim();
  assert.match(app, /^\d+$/);
  assert.equal((await sh(`pgrep ${PKG}`)).stdout.trim(), app);
  assert.equal((await sh('pgrep -l adbd')).stdout, `${(await sh('pidof adbd')).stdout.trim()} adbd\n`);
  const none = await sh('pgrep -x nosuchprocess');
  assert.equal(none.code, 1);
  assert.equal(none.stdout, '');
  const denied = await sh(`pkill ${PKG}`);
  assert.equal(denied.code, 1);
  assert.equal(denied.stderr, `pkill: TERM->${app}: Operation not permitted\n`);
  assert.equal((await sh(`pidof ${PKG}`)).stdout.trim(), app, 'the app still runs');
  const k = await sh('sleep 30 & killall -v sleep; echo rc=$?; killall nosuch; echo rc=$?');
  assert.match(k.stdout, /^Killed sleep\(\d+\) with signal 15\nrc=0\nrc=1\n$/);
  assert.equal(k.stderr, 'killall: nosuch: No such process\n');
});

test('settings keeps what scripts put (the animation scales Espresso turns off), with Android defaults', async () => {
  assert.equal((await sh('settings get global adb_enabled')).stdout, '1\n');
  assert.equal((await sh('settings get global window_animation_scale')).stdout, '1.0\n');
  for (const k of ['window_animation_scale', 'transition_animation_scale', 'animator_duration_scale']) assert.equal((await sh(`settings put global ${k} 0`)).code, 0);
  assert.equal((await sh('settings get global window_animation_scale; settings get global animator_duration_scale')).stdout, '0\n0\n');
  assert.equal((await sh('settings put secure audit_key v1; settings get secure audit_key; settings delete secure audit_key; settings get secure audit_key')).stdout, 'v1\nDeleted 1 rows\nnull\n');
  assert.match((await sh('settings list global')).stdout, /^window_animation_scale=0$/m);
  const bad = await sh('settings get nowhere x');
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, "Invalid namespace 'nowhere'\n");
  assert.equal((await sh('am get-current-user')).stdout, '0\n');
});

test('monkey echoes its arguments and injects COUNT events; app_process without a dex aborts as scrcpy users see', async () => {
  const m = await sh(`monkey -p ${PKG} -c android.intent.category.LAUNCHER 1`);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, new RegExp(`^  bash arg: -p\\n  bash arg: ${PKG.replace(/\./g, '\\.')}\\n  bash arg: -c\\n  bash arg: android\\.intent\\.category\\.LAUNCHER\\n  bash arg: 1\\nEvents injected: 1\\n`));
  const noCount = await sh(`monkey -p ${PKG}`);
  assert.equal(noCount.code, 255);
  assert.match(noCount.stderr, /\*\* Error: Count not specified/);
  const scrcpy = await sh('CLASSPATH=/data/local/tmp/scrcpy-server.jar app_process / com.genymobile.scrcpy.Server 2.4 tunnel_forward=true audio=false; echo rc=$?');
  assert.equal(scrcpy.stdout, 'rc=134\n');
  assert.match(scrcpy.stderr, /^Aborted/);
  const log = await p.adb(['logcat', '-d', '-s', 'appproc']);
  assert.match(log.stdout, /E appproc : ERROR: could not find class 'com\.genymobile\.scrcpy\.Server'/);
});

test('dumpsys meminfo/gfxinfo of a running app, "No process found" for one that is not; the IME is not shown', async () => {
  await sh(`am start -n ${PKG}/.MainActivity`);
  const pid = (await sh(`pidof ${PKG}`)).stdout.trim();
  const mem = await sh(`dumpsys meminfo ${PKG}`);
  assert.match(mem.stdout, new RegExp(`\\*\\* MEMINFO in pid ${pid} \\[${PKG.replace(/\./g, '\\.')}\\] \\*\\*`));
  const pss = /TOTAL PSS:\s+(\d+)\s+TOTAL RSS:\s+(\d+)/.exec(mem.stdout);
  assert.ok(pss && Number(pss[1]) > 0 && Number(pss[1]) < Number(pss[2]), mem.stdout);
  assert.match((await sh(`dumpsys gfxinfo ${PKG}`)).stdout, /^Total frames rendered: \d+$/m);
  await sh(`am force-stop ${PKG}`);
  assert.match((await sh(`dumpsys meminfo ${PKG}`)).stdout, new RegExp(`No process found for: ${PKG.replace(/\./g, '\\.')}`));
  assert.match((await sh('dumpsys input_method | grep mInputShown')).stdout, /mInputShown=false/);
});

test('run-as works only for a debuggable app and runs as its uid in its data folder; am instrument and am broadcast', async () => {
  const uid = /appId=(\d+)/.exec((await sh(`dumpsys package ${DEBUG_PKG}`)).stdout)?.[1];
  assert.ok(uid, 'dumpsys package shows the appId');
  const r = await sh(`run-as ${DEBUG_PKG} sh -c 'pwd; id -u; echo secret > notes.txt; cat notes.txt'`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `/data/user/0/${DEBUG_PKG}\n${uid}\nsecret\n`);
  // The shell user cannot read the app's folder; run-as can.
  const shellLs = await sh(`ls /data/user/0/${DEBUG_PKG}`);
  assert.equal(shellLs.code, 1);
  assert.match(shellLs.stderr, /Permission denied/);
  assert.equal((await sh(`run-as ${DEBUG_PKG} ls`)).stdout, 'notes.txt\n');
  const release = await sh(`run-as ${PKG} ls`);
  assert.equal(release.code, 1);
  assert.equal(release.stderr, `run-as: package not debuggable: ${PKG}\n`);
  const unknown = await sh('run-as com.example.nothere ls');
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'run-as: unknown package: com.example.nothere\n');

  const inst = await sh(`am instrument -w -r ${PKG}.test/androidx.test.runner.AndroidJUnitRunner`);
  assert.equal(inst.code, 1);
  assert.equal(inst.stdout, `INSTRUMENTATION_STATUS: Error=Unable to find instrumentation info for: ComponentInfo{${PKG}.test/androidx.test.runner.AndroidJUnitRunner}\nINSTRUMENTATION_STATUS_CODE: -1\n`);
  assert.match(inst.stderr, /^android\.util\.AndroidException: INSTRUMENTATION_FAILED: /);
  const b = await sh('am broadcast -a com.example.PING --es key value');
  assert.equal(b.code, 0);
  assert.equal(b.stdout, 'Broadcasting: Intent { act=com.example.PING flg=0x400000 (has extras) }\nBroadcast completed: result=0\n');
  const boot = await sh('am broadcast -a android.intent.action.BOOT_COMPLETED');
  assert.equal(boot.code, 255);
  assert.match(boot.stderr, /java\.lang\.SecurityException: Permission Denial: not allowed to send broadcast android\.intent\.action\.BOOT_COMPLETED from pid=\d+, uid=2000/);
});

test('/proc/net/tcp6 lists a listener as netstat does; kill/wait take job specs; am start prints the intent as Android does', async () => {
  const r = await sh('nc -l -p 8123 > /dev/null & sleep 0.3; cat /proc/net/tcp6; netstat -tlne | grep 8123; kill %1; wait %1; echo status=$?');
  const row = r.stdout.split('\n').find((l) => /:1FBB /.test(l));
  assert.ok(row, r.stdout);
  // [::]:8123 listening, owned by the shell user (2000); the inode is the one netstat -e shows.
  const m = /^\s*0: 0{32}:1FBB 0{32}:0000 0A 00000000:00000000 00:00000000 00000000\s+2000\s+0 (\d+) /.exec(row);
  assert.ok(m, row);
  assert.match(r.stdout, new RegExp(`^tcp6 .*\\[::\\]:8123 .* LISTEN .* ${m[1]}\\s*$`, 'm'));
  assert.match(r.stdout, /status=143\n$/);
  // The IPv4 table's lines are padded to 149 columns (seq_setwidth(seq, TMPSZ - 1) / seq_pad).
  const head = (await sh('head -1 /proc/net/tcp')).stdout;
  assert.match(head, /^ {2}sl {2}local_address rem_address {3}st tx_queue rx_queue tr tm->when retrnsmt {3}uid {2}timeout inode +\n$/);
  assert.equal(head.length, 150);
  const noJob = await sh('kill %3');
  assert.equal(noJob.code, 1);
  assert.match(noJob.stderr, /kill: %3: no such job/);
  const start = await sh(`am start -n "${PKG}/${PKG}.MainActivity" -a android.intent.action.MAIN -c android.intent.category.LAUNCHER -D`);
  assert.equal(start.stdout, `Starting: Intent { act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] cmp=${PKG}/.MainActivity }\n`);
  assert.equal((await sh(`am set-debug-app -w ${PKG}; am clear-debug-app`)).code, 0);
});

test('log writes to logcat; strings, comm, paste, nl, cksum print what the host GNU tools print; gzip round-trips with the host', async () => {
  const l = await sh('log -t AuditScript -p w started step 1; echo from-stdin | log -t AuditScript; log -p x bad; echo rc=$?');
  assert.equal(l.stdout, 'rc=1\n');
  assert.equal(l.stderr, "log: bad -p 'x'\n");
  assert.match((await p.adb(['logcat', '-d', '-s', 'AuditScript'])).stdout, /W AuditScript: started step 1\n.* I AuditScript: from-stdin\n/);

  const files: Record<string, string | Buffer> = {
    c1: 'apple\nbanana\ndate\n', c2: 'banana\ncherry\ndate\n', n1: 'x\n\ny\n',
    bin: Buffer.concat([Buffer.from('abc\0defgh\x01ijklmnop\tq\n'), Buffer.from([0xff, 0x41, 0x42, 0x43, 0x44, 0x45])]),
  };
  for (const [k, v] of Object.entries(files)) await writeFile(path.join(p.tmp, k), v);
  assert.equal((await p.adb(['push', ...Object.keys(files).map((k) => path.join(p.tmp, k)), '/data/local/tmp/'])).code, 0);
  const host = async (cmd: string, args: string[]) => (await execFileP(cmd, args, { cwd: p.tmp })).stdout;
  const cases: Array<[string, string, string[]]> = [
    ['strings bin', 'strings', ['-a', 'bin']], ['strings -n 5 bin', 'strings', ['-a', '-n', '5', 'bin']],
    ['comm c1 c2', 'comm', ['c1', 'c2']], ['comm -12 c1 c2', 'comm', ['-12', 'c1', 'c2']], ['comm -3 c1 c2', 'comm', ['-3', 'c1', 'c2']],
    ['paste c1 c2', 'paste', ['c1', 'c2']], ['paste -s -d, c1', 'paste', ['-s', '-d,', 'c1']],
    ['nl n1', 'nl', ['n1']], ['nl -ba -w3 -s: n1', 'nl', ['-ba', '-w3', '-s:', 'n1']], ['cksum c1', 'cksum', ['c1']],
  ];
  for (const [line, cmd, args] of cases) {
    assert.equal((await sh(`cd /data/local/tmp && ${line}`)).stdout, await host(cmd, args), line);
  }
  const gz = await p.adb(['exec-out', 'cd /data/local/tmp && cat c1 | gzip -9']);
  await writeFile(path.join(p.tmp, 'c1.gz'), gz.bytes);
  assert.equal(await host('gunzip', ['-c', 'c1.gz']), files.c1);
  assert.equal((await sh('cd /data/local/tmp && cp c1 g && gzip g && ls g* && zcat g.gz | wc -l && gunzip g.gz && cat g | head -1')).stdout, 'g.gz\n3\napple\n');
  const free = await sh('free -m');
  assert.match(free.stdout, /^\t\ttotal {8}used {8}free {6}shared {5}buffers\nMem: +\d+ +\d+ +\d+ +\d+ +\d+\n-\/\+ buffers\/cache: +\d+ +\d+\nSwap: +\d+ +\d+ +\d+\n$/);
  const memTotalKb = Number(/MemTotal:\s+(\d+)/.exec((await sh('cat /proc/meminfo')).stdout)?.[1]);
  assert.equal(Number(/^Mem: +(\d+)/m.exec(free.stdout)?.[1]), Math.floor(memTotalKb / 1024));
  const dmesg = await sh('dmesg');
  assert.equal(dmesg.code, 1);
  assert.equal(dmesg.stderr, 'dmesg: klogctl: Permission denied\n');
  const ipr = await sh('ip addr show lo; ip route; echo route=$?; ip route get 8.8.8.8; echo get=$?');
  assert.match(ipr.stdout, /^1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 .*\n {4}link\/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n {4}inet 127\.0\.0\.1\/8 scope host lo\n/);
  assert.match(ipr.stdout, /route=0\nget=2\n$/);
  assert.equal(ipr.stderr, 'RTNETLINK answers: Network is unreachable\n');
});

test('adb bugreport DIR pulls a zip the host unzip reads, with dumpstate sections and the logcat of this boot', async () => {
  await sh('log -t AuditBugreport marker-line');
  const dir = path.join(p.tmp, 'reports');
  await execFileP('mkdir', ['-p', dir]);
  const r = await p.adb(['bugreport', dir], { timeoutMs: 60000 });
  assert.equal(r.code, 0, r.stderr);
  const { stdout: listing } = await execFileP('ls', [dir]);
  const zip = listing.trim();
  assert.match(zip, /^bugreport-\w+-[\w.]+-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.zip$/);
  const main = (await execFileP('unzip', ['-p', path.join(dir, zip), 'main_entry.txt'])).stdout;
  assert.equal(main, zip.replace(/\.zip$/, '.txt'));
  const text = (await execFileP('unzip', ['-p', path.join(dir, zip), main], { maxBuffer: 64 << 20 })).stdout;
  assert.match(text, /^== dumpstate: /m);
  assert.match(text, /^------ SYSTEM LOG \(logcat -v threadtime/m);
  assert.match(text, /I AuditBugreport: marker-line/);
  assert.match(text, /^\[ro\.build\.fingerprint\]: \[/m);
});

test('setup commands test runners send: svc power stayon, wm dismiss-keyguard, cmd statusbar/wifi/battery', async () => {
  const r = await sh('svc power stayon true && wm dismiss-keyguard && cmd statusbar expand-notifications && cmd statusbar collapse && echo ok');
  assert.equal(r.stdout, 'ok\n', r.stderr);
  assert.match((await sh('cmd wifi status')).stdout, /^Wifi is enabled\n/);
  assert.equal((await sh('cmd wifi set-wifi-enabled disabled; cmd wifi status | head -1; settings get global wifi_on; ip link show wlan0 | head -1 | cut -d" " -f3')).stdout,
    'Wifi is disabled\n0\n<BROADCAST,MULTICAST>\n');
  assert.equal((await sh('cmd wifi set-wifi-enabled enabled; settings get global wifi_on')).stdout, '1\n');
  assert.equal((await sh('cmd battery set level 42; dumpsys battery | grep "  level:"; cmd battery reset')).stdout, '  level: 42\n');
});

test('an interactive shell (forced pty) shows the failed status before the prompt, as the PS1 of mkshrc does', async () => {
  const r = await p.adb(['shell', '-t', '-t'], { input: 'false\ntrue\nexit\n' });
  const device = (await sh('getprop ro.product.device')).stdout.trim();
  assert.ok(r.stdout.includes(`1|${device}:/ $ `), JSON.stringify(r.stdout));
  assert.ok(r.stdout.startsWith(`${device}:/ $ `), JSON.stringify(r.stdout));
});

test('install-multi-package installs every APK or none; disable-user hides an app until pm enable', async () => {
  const mk = async (name: string, pkg: string) => {
    const f = path.join(p.tmp, name);
    await writeFile(f, buildApk({ package: pkg, versionCode: 1, activities: [{ name: '.Main', launcher: true }], signer: 'audit', targetSdk: 34, minSdk: 24 }));
    return f;
  };
  const a = await mk('multiA.apk', 'com.example.multia');
  const b = await mk('multiB.apk', 'com.example.multib');
  const ok = await p.adb(['install-multi-package', a, b]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^Created parent session ID \d+\.\nCreated child session ID \d+\.\nCreated child session ID \d+\.\nSuccess\n$/);
  assert.equal((await sh('pm list packages com.example.multi')).stdout, 'package:com.example.multia\npackage:com.example.multib\n');
  const bad = path.join(p.tmp, 'notanapk.apk');
  await writeFile(bad, 'not a zip');
  const c = await mk('multiC.apk', 'com.example.multic');
  const fail = await p.adb(['install-multi-package', c, bad]);
  assert.notEqual(fail.code, 0);
  assert.match(fail.stderr, /Failure \[INSTALL_PARSE_FAILED_NOT_APK: /);
  assert.equal((await sh('pm list packages com.example.multic')).stdout, '', 'nothing of a failed multi-package install is installed');

  assert.equal((await sh('pm disable-user com.example.multia')).stdout, 'Package com.example.multia new state: disabled-user\n');
  assert.equal((await sh('pm list packages -d')).stdout, 'package:com.example.multia\n');
  const start = await sh('am start -n com.example.multia/.Main');
  assert.equal(start.code, 1);
  assert.match(start.stderr, /unable to resolve Intent/);
  assert.equal((await sh('pm enable com.example.multia; am start -n com.example.multia/.Main >/dev/null; echo $?')).stdout, 'Package com.example.multia new state: enabled\n0\n');
  const refused = await sh('pm disable com.example.multib');
  assert.equal(refused.code, 255);
  assert.match(refused.stderr, /java\.lang\.SecurityException: Shell cannot change component state for com\.example\.multib\/null to 2/);
});

test('the properties boot-wait loops and SDK checks poll are a booted release phone\'s', async () => {
  const r = await sh('for p in sys.boot_completed dev.bootcomplete init.svc.bootanim ro.build.version.codename ro.build.version.sdk; do echo "$p=$(getprop $p)"; done');
  assert.equal(r.stdout, 'sys.boot_completed=1\ndev.bootcomplete=1\ninit.svc.bootanim=stopped\nro.build.version.codename=REL\nro.build.version.sdk=34\n');
  // `getprop` alone lists them sorted as [name]: [value].
  const all = (await sh('getprop')).stdout.trim().split('\n');
  assert.ok(all.includes('[init.svc.bootanim]: [stopped]'));
  assert.deepEqual(all.map((l) => /^\[([^\]]+)\]/.exec(l)?.[1] ?? ''), [...all.map((l) => /^\[([^\]]+)\]/.exec(l)?.[1] ?? '')].sort());
});

test('service check, start/stop refused; `adb shell reboot` takes the phone offline and it comes back with its apps (last: it reboots)', async () => {
  assert.equal((await sh('service check package; service check nosuchservice')).stdout, 'Service package: found\nService nosuchservice: not found\n');
  const st = await sh('start adbd');
  assert.equal(st.code, 1);
  assert.equal(st.stderr, 'Must be root\n');
  const bootId = (await sh('cat /proc/sys/kernel/random/boot_id')).stdout;
  await sh('reboot');
  const back = await p.adb(['wait-for-device', 'shell', 'cat /proc/sys/kernel/random/boot_id; pm list packages com.example.audit'], { timeoutMs: 30000 });
  assert.equal(back.code, 0, back.stderr);
  const [newBoot, ...pkgs] = back.stdout.split('\n');
  assert.notEqual(`${newBoot}\n`, bootId, 'a new boot');
  assert.ok(pkgs.includes(`package:${PKG}`), back.stdout);
});
