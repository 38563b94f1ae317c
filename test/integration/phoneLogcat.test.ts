import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';

/*
 * logcat, ps and /proc on the virtual phone, driven by the real adb CLI (Debian's adb 29).
 * adb 29's `adb logcat ARGS` runs `shell:export ANDROID_LOG_TAGS="<host value, quoted>"; exec logcat 'ARG'…`
 * (adb/client/commandline.cpp logcat()), so the phone's shell must take export, exec and quoted arguments.
 * Formats are those of liblog/logprint.cpp (threadtime by default; brief "L/TAG     (  PID): msg") and the
 * "--------- beginning of <buffer>" dividers of logcat/logcat.cpp; see test/unit/logcat.test.ts.
 */

let server: TestAdbServer;
let phone: VirtualPhone;
let serial: string;

const adb = (...args: string[]) => server.adb(['-s', serial, ...args]);
const body = (out: string) => out.split('\n').filter((l) => l && !l.startsWith('--------- '));

before(async () => {
  server = await startAdbServer();
  phone = await VirtualPhone.start({ port: 0 });
  serial = phone.address;
  await server.adb(['connect', serial]);
  await waitFor('the phone to be online', async () => ((await server.adb(['-s', serial, 'get-state'])).stdout.trim() === 'device' ? true : undefined));
});

after(async () => {
  await phone?.stop();
  await server?.stop();
});

test('adb logcat -d prints the boot log in threadtime, with the pids ps shows', async () => {
  const r = await adb('logcat', '-d');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^--------- beginning of (main|system)\n/);
  const ssPid = (await adb('shell', 'pidof system_server')).stdout.trim();
  assert.match(ssPid, /^\d+$/);
  const entered = body(r.stdout).find((l) => l.endsWith('I SystemServer: Entered the Android system server!'));
  assert.ok(entered, 'system_server announced itself at boot');
  assert.match(entered, new RegExp(`^\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} +${ssPid} +\\d+ I SystemServer: `));
  const brief = await adb('logcat', '-v', 'brief', '-d', '-s', 'ActivityManager');
  const lines = body(brief.stdout);
  assert.ok(lines.length >= 3);
  for (const l of lines) assert.ok(l.startsWith(`I/ActivityManager(${ssPid.padStart(5)}): `), l);
});

test('an app started with am start is a process in ps, and its pid is the one logcat names', async () => {
  assert.equal((await adb('shell', 'am start -n com.mobileai.notes/.MainActivity')).code, 0);
  const pid = (await adb('shell', 'pidof com.mobileai.notes')).stdout.trim();
  assert.match(pid, /^\d+$/);
  const ps = await adb('shell', 'ps -A -o PID,PPID,USER,NAME');
  const row = ps.stdout.split('\n').find((l) => l.trim().startsWith(`${pid} `));
  assert.ok(row, ps.stdout);
  assert.match(row, new RegExp(`^ *${pid} +512 u0_a\\d+ +com\\.mobileai\\.notes$`), 'forked from zygote64, its own app uid');
  const log = await adb('logcat', '-d', '-s', 'ActivityManager:I', 'ActivityTaskManager:I');
  assert.match(log.stdout, new RegExp(`I ActivityManager: Start proc ${pid}:com\\.mobileai\\.notes/u0a\\d+ for next-top-activity \\{com\\.mobileai\\.notes/com\\.mobileai\\.notes\\.MainActivity\\}`));
  assert.match(log.stdout, /I ActivityTaskManager: START u0 \{flg=0x10000000 cmp=com\.mobileai\.notes\/\.MainActivity\} with LAUNCH_MULTIPLE from uid 2000 from pid \d+ callingPackage com\.android\.shell/);
  assert.match(log.stdout, /I ActivityTaskManager: Displayed com\.mobileai\.notes\/\.MainActivity for user 0: \+\d+ms/);
  // --pid=$(pidof …) in the phone's shell
  const own = await adb('shell', 'logcat -d -b all --pid=$(pidof com.mobileai.notes)');
  const ownLines = body(own.stdout);
  assert.ok(ownLines.length >= 2, own.stdout);
  for (const l of ownLines) assert.match(l, new RegExp(`^\\S+ \\S+ +${pid} +\\d+ [VDIWEF] `));
});

test('am crash: the trace goes to the crash buffer, the process is gone; *:E shows only errors', async () => {
  await adb('shell', 'am start -n com.mobileai.stopwatch/.MainActivity');
  const pid = (await adb('shell', 'pidof com.mobileai.stopwatch')).stdout.trim();
  assert.match(pid, /^\d+$/);
  assert.equal((await adb('shell', 'am crash com.mobileai.stopwatch')).code, 0);
  const crash = await adb('logcat', '-b', 'crash', '-d');
  const lines = crash.stdout.split('\n');
  assert.equal(lines[0], '--------- beginning of crash');
  assert.match(lines[1], new RegExp(` ${pid} +${pid} E AndroidRuntime: FATAL EXCEPTION: main$`));
  assert.match(lines[2], new RegExp(`E AndroidRuntime: Process: com\\.mobileai\\.stopwatch, PID: ${pid}$`));
  assert.match(lines[3], /E AndroidRuntime: android\.app\.RemoteServiceException\$CrashedByAdbException: shell-induced crash$/);
  const gone = await adb('shell', 'pidof com.mobileai.stopwatch');
  assert.deepEqual([gone.code, gone.stdout], [1, '']);
  const errors = await adb('logcat', '-d', '*:E');
  assert.ok(body(errors.stdout).length >= 3);
  for (const l of body(errors.stdout)) assert.match(l, / [EF] /);
  const focus = await adb('shell', 'dumpsys window | grep mCurrentFocus');
  assert.match(focus.stdout, /com\.android\.launcher3/, 'the launcher is back in front');
});

test('filter specs through the phone\'s own ANDROID_LOG_TAGS, and logcat -c empties the log', async () => {
  const tags = await adb('shell', "export ANDROID_LOG_TAGS='SystemServer:I *:S'; logcat -d");
  assert.ok(body(tags.stdout).length >= 1);
  for (const l of body(tags.stdout)) assert.match(l, / I SystemServer: /);
  const bad = await adb('logcat', '-d', '-b', 'nonsense');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr + bad.stdout, /logcat: Unknown -b buffer 'nonsense'\./);
  assert.equal((await adb('logcat', '-c')).code, 0);
  const empty = await adb('logcat', '-d');
  assert.deepEqual([empty.code, empty.stdout], [0, '']);
});

test('a streaming adb logcat gets new lines live, and its logcat on the phone ends when adb is killed', async () => {
  const child = spawn('adb', ['-P', String(server.port), '-s', serial, 'logcat', '-v', 'brief', 'ActivityTaskManager:I', '*:S'], { env: server.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await waitFor('logcat to run on the phone', async () => ((await adb('shell', 'pidof logcat')).stdout.trim() ? true : undefined));
    assert.doesNotMatch(out, /com\.android\.settings/);
    await adb('shell', 'am start -n com.android.settings/.Settings');
    await waitFor('the START line to stream', () => (out.includes('cmp=com.android.settings/.Settings') ? true : undefined));
    assert.match(out, /I\/ActivityTaskManager\( *\d+\): START u0 \{flg=0x10000000 cmp=com\.android\.settings\/\.Settings\}/);
    assert.match(out, /I\/ActivityTaskManager\( *\d+\): Displayed com\.android\.settings\/\.Settings for user 0: \+\d+ms/);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  }
  await waitFor('the phone-side logcat to end', async () => ((await adb('shell', 'pidof logcat')).code === 1 ? true : undefined));
});

test('ps -A, kill and /proc answer as a phone does', async () => {
  const ps = await adb('shell', 'ps -A');
  const lines = ps.stdout.split('\n');
  assert.equal(lines[0].trimEnd(), 'USER           PID  PPID        VSZ    RSS WCHAN            ADDR S NAME');
  assert.ok(lines.some((l) => /^shell +\d+ +1 .* S adbd$/.test(l)));
  assert.ok(lines.some((l) => /^shell +\d+ +\d+ .* R ps$/.test(l)), 'ps lists itself, running');
  const kill = await adb('shell', 'kill 1');
  assert.equal(kill.code, 1);
  assert.equal(kill.stderr || kill.stdout, "kill: bad pid '1': Operation not permitted\n");
  const own = await adb('shell', 'kill -0 $$; echo status=$?');
  assert.equal(own.stdout, 'status=0\n', 'the shell user may signal its own shell');
  const up = await adb('shell', 'read up idle < /proc/uptime; echo "$up $idle"; uptime');
  const [procUp, tool] = up.stdout.split('\n');
  assert.match(procUp, /^\d+\.\d\d \d+\.\d\d$/);
  assert.match(tool, /^ \d\d:\d\d:\d\d up .*load average: /);
  const status = await adb('shell', 'while read k v; do case $k in Name:|PPid:|Uid:) echo "$k $v";; esac; done < /proc/1/status');
  assert.equal(status.stdout, 'Name: init\nPPid: 0\nUid: 0\t0\t0\t0\n');
  const self = await adb('shell', 'read pid rest < /proc/self/stat; [ "$pid" = "$$" ] && echo same');
  assert.equal(self.stdout, 'same\n', '/proc/self is the shell that opens it');
});
