import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtualDevice, mergeProfile } from '../../extension/core/virtualPhone/device';
import { Sandbox } from '../../extension/core/virtualPhone/sandbox';
import { LAUNCHER_PKG, NOTES_PKG, SETTINGS_PKG } from '../../extension/core/virtualPhone/phone';
import { Abort, EMPTY, toBuffer, type Io } from '../../extension/core/virtualPhone/os/io';
import { procFile, procList, procStat } from '../../extension/core/virtualPhone/os/procfs';
import { CLK_TCK } from '../../extension/core/virtualPhone/os/processes';
import { readFileAt } from '../../extension/core/virtualPhone/os/files';
import { PROCESS_COMMANDS } from '../../extension/core/virtualPhone/commands/proc';
import type { CommandContext } from '../../extension/core/virtualPhone/commands/types';

/*
 * Facts and their sources:
 * - Linux fs/proc: uptime.c prints "%lu.%02lu %lu.%02lu\n" (up, idle summed over CPUs); loadavg.c
 *   "%lu.%02lu %lu.%02lu %lu.%02lu %u/%d %d\n" (running/threads, last pid); meminfo.c show_val_kb writes the
 *   label padded to 16 columns and the value in 8, then " kB"; stat.c "cpu  " then one "cpuN" line per CPU;
 *   array.c /proc/PID/stat is 52 fields with the comm in parentheses, status has "Name:\t", "VmRSS:\t%8lu kB".
 *   /proc/PID/cmdline is argv with NUL after each argument; a kernel thread's is empty.
 * - Android sets an app's thread name (comm) to the last 15 characters of its process name.
 * - toybox ps.c: Android's default is -o USER,PID,PPID,VSIZE:10,RSS,WCHAN:10,ADDR:10,S,NAME; PID/PPID are as
 *   wide as pid_max's digits (5); without a terminal -w is implied (nothing is cut); the header is each title
 *   padded to its width; without -A only processes on the caller's terminal are listed (none have one when
 *   there is no terminal); -o FIELD:WIDTH=TITLE; a bad field is "bad -o 'LIST'" with a caret under it.
 *   STIME is the start time (hh:mm, and with -w the seconds too); TIME is [DD-]HH:MM:SS of CPU time.
 * - toybox kill.c: "bad pid '%s'" with errno text; unknown signal "Unknown signal '%s'"; -l prints
 *   "%2d) SIG%-9s" five to a line without a terminal; bionic's SIGRTMIN is 42 on Android 14.
 * - toybox pidof.c prints the pids on one line, exit 1 when none; uptime.c " hh:mm:ss up N min,  0 users,
 *   load average: a, b, c".
 */

let dir: string;
let sandbox: Sandbox;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-procfs-'));
  sandbox = new Sandbox(path.join(dir, 'fs'));
  await sandbox.init();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function phone(): VirtualDevice {
  return new VirtualDevice(mergeProfile({}), sandbox, 'x:1');
}

interface Run { out: string; err: string; code: number; pid: number }

async function run(device: VirtualDevice, line: string[], opts: { tty?: boolean; uid?: number; ppid?: number; env?: Record<string, string> } = {}): Promise<Run> {
  const cmd = PROCESS_COMMANDS[line[0]];
  assert.ok(cmd, `${line[0]} is a process command`);
  const proc = device.procs.spawn(line[0], line, { ppid: opts.ppid ?? 620, uid: opts.uid });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: Io = { stdin: EMPTY, out: async (d) => { out.push(toBuffer(d)); }, err: async (d) => { err.push(toBuffer(d)); }, signal: new Abort(), tty: !!opts.tty };
  const ctx: CommandContext = {
    device, phone: device.phone, fs: device.fs, cwd: '/', env: opts.env ?? {}, pid: proc.pid, ppid: opts.ppid ?? 620, uid: opts.uid ?? 2000, sh: async () => 127,
  };
  try {
    const code = await cmd(line, io, ctx);
    return { out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString(), code, pid: proc.pid };
  } finally {
    device.procs.exit(proc.pid);
  }
}

const field = (text: string, name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1];

test('/proc/uptime and /proc/stat advance with the clock and agree with each other', () => {
  const d = phone();
  const up = procFile(d, '/proc/uptime')!;
  assert.match(up, /^\d+\.\d\d \d+\.\d\d\n$/);
  const [secs, idle] = up.trim().split(' ').map(Number);
  assert.ok(Math.abs(secs - d.procs.uptimeMs() / 1000) < 0.5);
  assert.ok(idle > 0 && idle <= secs * 8, 'idle is summed over 8 CPUs');
  const now = Date.now();
  const a = procStat(d, now).split('\n');
  const b = procStat(d, now + 10_000).split('\n');
  assert.match(a[0], /^cpu {2}(\d+ ){9}\d+$/);
  assert.deepEqual(a.slice(1, 9).map((l) => l.split(' ')[0]), ['cpu0', 'cpu1', 'cpu2', 'cpu3', 'cpu4', 'cpu5', 'cpu6', 'cpu7']);
  const total = (l: string) => l.split(/\s+/).slice(1).map(Number);
  const sum = a.slice(1, 9).map(total).reduce((acc, r) => acc.map((v, i) => v + r[i]));
  assert.deepEqual(total(a[0]), sum, 'the cpu line is the sum of the per-CPU lines');
  const ticks = (l: string) => total(l).reduce((x, y) => x + y, 0);
  assert.ok(Math.abs(ticks(b[1]) - ticks(a[1]) - 10 * CLK_TCK) <= 2, 'each CPU counts 100 ticks a second');
  assert.equal(Number(/^btime (\d+)$/m.exec(a.join('\n'))?.[1]), Math.floor(d.procs.bootTime / 1000));
});

test('/proc/meminfo, /proc/cpuinfo, /proc/version, /proc/loadavg look like the kernel\'s', () => {
  const d = phone();
  const mem = procFile(d, '/proc/meminfo')!;
  assert.match(mem, /^MemTotal: {8}8388608 kB\nMemFree: +\d+ kB\nMemAvailable: +\d+ kB\n/);
  for (const line of mem.trimEnd().split('\n').filter((l) => / \d{1,8} kB$/.test(l))) assert.equal(line.length, 16 + 8 + 3, line);
  const free = Number(field(mem, 'MemFree')?.split(' ')[0]);
  d.phone.launch(NOTES_PKG);
  d.phone.launch(SETTINGS_PKG);
  const after = Number(field(procFile(d, '/proc/meminfo')!, 'MemFree')?.split(' ')[0]);
  assert.ok(after < free, 'two more apps use memory');
  const cpu = procFile(d, '/proc/cpuinfo')!;
  assert.equal(cpu.match(/^processor\t: \d$/gm)?.length, 8);
  assert.match(cpu, /^CPU architecture: 8$/m);
  assert.match(cpu, /^Features\t: fp asimd .*atomics/m);
  assert.match(procFile(d, '/proc/version')!, /^Linux version 5\.15\.\S+ \(.+\) .*#1 SMP PREEMPT .+\n$/);
  const spawned = d.procs.spawn('sleep', ['sleep', '9']);
  const load = procFile(d, '/proc/loadavg')!;
  assert.match(load, /^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+\/\d+ \d+\n$/);
  assert.equal(Number(load.trim().split(' ')[4]), spawned.pid, 'the last pid handed out');
  assert.equal(procFile(d, '/proc/sys/kernel/pid_max'), '32768\n');
  assert.equal(procFile(d, '/proc/nonsense'), undefined);
});

test('/proc/PID: status, stat, cmdline, comm for init, an app and a kernel thread; /proc/self', async () => {
  const d = phone();
  const init = procFile(d, '/proc/1/status')!;
  assert.equal(field(init, 'Name'), 'init');
  assert.equal(field(init, 'Pid'), '1');
  assert.equal(field(init, 'PPid'), '0');
  assert.equal(field(init, 'Uid'), '0\t0\t0\t0');
  assert.match(init, /^VmRSS:\t {3}10980 kB$/m);
  d.phone.launch(SETTINGS_PKG);
  const settings = d.procs.appProcess(SETTINGS_PKG)!;
  const st = procFile(d, `/proc/${settings.pid}/status`)!;
  assert.equal(field(st, 'Name'), 'ndroid.settings', 'the last 15 characters of the package');
  assert.equal(field(st, 'PPid'), '512');
  assert.equal(field(st, 'Uid'), '1000\t1000\t1000\t1000', 'Settings runs as system');
  assert.equal(Number(/VmRSS:\s+(\d+)/.exec(st)?.[1]), settings.rssKb);
  assert.ok(Number(/VmHWM:\s+(\d+)/.exec(st)?.[1]) >= settings.rssKb);
  assert.equal(procFile(d, `/proc/${settings.pid}/cmdline`), 'com.android.settings\0');
  assert.equal(procFile(d, `/proc/${settings.pid}/comm`), 'ndroid.settings\n');
  const stat = procFile(d, `/proc/${settings.pid}/stat`)!.trim().split(' ');
  assert.equal(stat.length, 52);
  assert.deepEqual(stat.slice(0, 4), [String(settings.pid), '(ndroid.settings)', 'S', '512']);
  assert.equal(Number(stat[21]), Math.floor(((settings.started - d.procs.bootTime) / 1000) * CLK_TCK), 'starttime in ticks after boot');
  assert.equal(Number(stat[23]) * 4, settings.rssKb, 'rss in 4 KiB pages');
  assert.equal(procFile(d, '/proc/2/cmdline'), '', 'kernel threads have no command line');
  assert.equal(field(procFile(d, '/proc/2/status')!, 'Name'), 'kthreadd');
  const me = d.procs.spawn('cat', ['cat', '/proc/self/status']);
  assert.equal(field(procFile(d, '/proc/self/status', { self: me.pid })!, 'Pid'), String(me.pid));
  assert.equal(procFile(d, '/proc/self/cmdline', { self: me.pid }), 'cat\0/proc/self/status\0');
  const viaFiles = await readFileAt({ device: d, fs: d.fs, cwd: '/', uid: 2000, pid: me.pid } as CommandContext, '/proc/self/stat');
  assert.match(viaFiles.toString(), new RegExp(`^${me.pid} \\(cat\\) `));
  assert.equal(procFile(d, '/proc/99999/status'), undefined);
  assert.ok(procList(d, '/proc')?.includes(String(settings.pid)));
  assert.deepEqual(procList(d, `/proc/${settings.pid}`), ['cmdline', 'comm', 'oom_score_adj', 'stat', 'statm', 'status']);
});

test('ps: Android\'s default columns, every process with -A, apps as processes with their own uid', async () => {
  const d = phone();
  const r = await run(d, ['ps', '-A']);
  const lines = r.out.split('\n');
  assert.equal(lines[0], 'USER           PID  PPID        VSZ    RSS WCHAN            ADDR S NAME                       ');
  assert.equal(lines[1], 'root             1     0   10904276  10980 0                   0 S init');
  assert.ok(lines.some((l) => /^root +2 +0 +0 +0 0 +0 S \[kthreadd\]$/.test(l)));
  assert.ok(lines.some((l) => /^root +512 +1 .* S zygote64$/.test(l)));
  assert.ok(lines.some((l) => /^system +870 +512 .* S system_server$/.test(l)));
  assert.ok(lines.some((l) => new RegExp(`^shell +${r.pid} +620 .* R ps$`).test(l)), 'ps sees itself running');
  d.phone.launch(NOTES_PKG);
  const notes = d.procs.appProcess(NOTES_PKG)!;
  const o = await run(d, ['ps', '-A', '-o', 'PID,PPID,USER,NAME,ARGS,RSS,S', '-p', String(notes.pid)]);
  const head = ['  PID', ' PPID', 'USER'.padEnd(12), 'NAME'.padEnd(27), 'ARGS'.padEnd(27), '   RSS', 'S'].join(' ');
  const row = [String(notes.pid).padStart(5), '  512', `u0_a${notes.uid - 10000}`.padEnd(12), NOTES_PKG.padEnd(27), NOTES_PKG.padEnd(27), String(notes.rssKb).padStart(6), 'S'].join(' ');
  assert.equal(o.out, `${head}\n${row}\n`);
  const logLine = d.logcat.read(['system']).find((e) => e.msg.startsWith(`Start proc ${notes.pid}:com.mobileai.notes/`));
  assert.ok(logLine, 'the pid ps shows is the one logcat logged');
  const byUser = await run(d, ['ps', '-u', `u0_a${notes.uid - 10000}`, '-o', 'PID,NAME']);
  assert.equal(byUser.out, `  PID ${'NAME'.padEnd(27)}\n${String(notes.pid).padStart(5)} com.mobileai.notes\n`, 'titles keep their padding, the last value does not');
  d.phone.forceStop(NOTES_PKG);
  assert.doesNotMatch((await run(d, ['ps', '-A'])).out, /com\.mobileai\.notes/);
});

test('ps -o fields: titles, widths, STIME/TIME/%CPU/CMD/COMM, and a bad field shown with a caret', async () => {
  const d = phone();
  const launcher = d.procs.appProcess(LAUNCHER_PKG)!;
  const r = await run(d, ['ps', '-o', 'PID:8=ID,CMD,COMM,STIME,TIME,%CPU,LABEL', '-p', String(launcher.pid)]);
  const [head, row] = r.out.split('\n');
  assert.equal(head, '      ID CMD             COMM                        STIME     TIME %CPU LABEL                         ');
  const start = new Date(launcher.started).toISOString().slice(11, 19);
  assert.match(row, new RegExp(`^ {4}${launcher.pid} droid\\.launcher3 +app_process64 +${start} \\d\\d:\\d\\d:\\d\\d +\\d+\\.\\d u:r:platform_app:s0:c512,c768$`));
  const bad = await run(d, ['ps', '-o', 'PID,NOPE']);
  assert.deepEqual([bad.code, bad.err], [1, "ps: bad -o 'PID,NOPE'\n                ^\n"]);
  const unknown = await run(d, ['ps', '-x']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /^ps: Unknown option 'x'/);
  const cmdline = await run(d, ['ps', '-A', '-o', 'CMDLINE', '-p', '1,620']);
  assert.equal(cmdline.out, 'CMDLINE                    \n/system/bin/init second_stage\n/apex/com.android.adbd/bin/adbd --root_seclabel=u:r:su:s0\n');
});

test('ps without -A: only processes on the caller\'s terminal; without one, those with no terminal', async () => {
  const d = phone();
  const sh = d.procs.spawn('sh', ['/system/bin/sh'], { ppid: 620 });
  const child = d.procs.spawn('sleep', ['sleep', '100'], { ppid: sh.pid });
  const onTty = await run(d, ['ps'], { tty: true, ppid: sh.pid });
  const names = onTty.out.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/).pop());
  assert.deepEqual(names, ['sh', 'sleep', 'ps'], 'the session: its shell, what the shell runs, ps itself');
  assert.ok(!onTty.out.includes('init'));
  assert.ok(onTty.out.includes(String(child.pid)));
  const noTty = await run(d, ['ps']);
  assert.ok(noTty.out.includes(' init\n'), 'no terminal: every process without one');
});

test('pidof prints pids on one line; nothing found is status 1 and no output', async () => {
  const d = phone();
  const r = await run(d, ['pidof', 'zygote64', 'system_server', 'com.android.launcher3']);
  assert.deepEqual([r.code, r.out], [0, '512 870 1290\n']);
  assert.deepEqual([(await run(d, ['pidof', '-s', 'init'])).out], ['1\n']);
  const none = await run(d, ['pidof', 'com.nope']);
  assert.deepEqual([none.code, none.out, none.err], [1, '', '']);
  assert.equal((await run(d, ['pidof', '/system/bin/init'])).out, '1 280\n', 'a path matches by its basename');
});

test('kill: the shell user may signal only its own processes; -0, -STOP/-CONT, -9, -l', async () => {
  const d = phone();
  const perm = await run(d, ['kill', '1']);
  assert.deepEqual([perm.code, perm.err], [1, "kill: bad pid '1': Operation not permitted\n"]);
  d.phone.launch(NOTES_PKG);
  const notes = d.procs.appProcess(NOTES_PKG)!;
  assert.equal((await run(d, ['kill', '-9', String(notes.pid)])).err, `kill: bad pid '${notes.pid}': Operation not permitted\n`, 'apps run as their own uid');
  assert.equal((await run(d, ['kill', '99999'])).err, "kill: bad pid '99999': No such process\n");
  assert.equal((await run(d, ['kill', 'abc'])).err, "kill: bad pid 'abc': No such process\n");
  const mine = d.procs.spawn('sleep', ['sleep', '1000']);
  assert.equal((await run(d, ['kill', '-0', String(mine.pid)])).code, 0);
  assert.equal(mine.abort.aborted, false, 'signal 0 only checks');
  await run(d, ['kill', '-STOP', String(mine.pid)]);
  assert.equal(mine.state, 'T');
  await run(d, ['kill', '-s', 'CONT', String(mine.pid)]);
  assert.equal(mine.state, 'S');
  assert.equal((await run(d, ['kill', '-9', String(mine.pid)])).code, 0);
  assert.deepEqual([mine.abort.aborted, mine.killedBy], [true, 9]);
  const term = d.procs.spawn('sleep', ['sleep', '1000']);
  await run(d, ['kill', String(term.pid)]);
  assert.equal(term.killedBy, 15, 'TERM by default');
  const root = await run(d, ['kill', '-9', String(notes.pid)], { uid: 0 });
  assert.equal(root.code, 0);
  assert.equal(d.procs.appProcess(NOTES_PKG), undefined, 'root may kill an app');
  assert.ok(d.logcat.read(['system']).some((e) => e.msg === `Process com.mobileai.notes (pid ${notes.pid}) has died: fg  TOP `), 'ActivityManager notices the death');
  const list = (await run(d, ['kill', '-l'])).out.split('\n');
  assert.equal(list[0], ' 1) SIGHUP       2) SIGINT       3) SIGQUIT      4) SIGILL       5) SIGTRAP     ');
  assert.ok(list.join('\n').includes('42) SIGRTMIN    43) SIGRTMIN+1'));
  assert.ok(list.join('\n').includes('64) SIGRTMAX'));
  assert.equal((await run(d, ['kill', '-l', '9', 'TERM'])).out, 'KILL\n15\n');
  assert.equal((await run(d, ['kill', '-BOGUS', '1'])).err, "kill: Unknown signal 'BOGUS'\n");
  assert.equal((await run(d, ['kill'])).err, 'kill: missing argument (see "kill --help")\n');
});

test('uptime and top -b -n 1 read the same clock and process table', async () => {
  const d = phone();
  const up = await run(d, ['uptime']);
  assert.match(up.out, /^ \d\d:\d\d:\d\d up \d+ min, {2}0 users, {2}load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d\n$/);
  assert.equal(up.out.slice(1, 9), new Date().toISOString().slice(11, 19));
  const since = await run(d, ['uptime', '-s']);
  const boot = new Date(d.procs.bootTime).toISOString();
  assert.equal(since.out, `${boot.slice(0, 10)} ${boot.slice(11, 19)}\n`);
  assert.match((await run(d, ['uptime', '-p'])).out, /^up 0 weeks, 0 days, 0 hours, 0 minutes, {2}load average: /);
  const top = await run(d, ['top', '-b', '-n', '1']);
  const lines = top.out.split('\n');
  const count = d.procs.list().length + 1;
  assert.match(lines[0], new RegExp(`^Tasks: ${count} total, {3}1 running, +${count - 1} sleeping, {3}0 stopped, {3}0 zombie$`));
  assert.match(lines[1], /^ {2}Mem: +8388608K total, +\d+K used, +\d+K free, +\d+K buffers$/);
  assert.match(lines[2], /^ Swap: +\d+K total,/);
  assert.match(lines[3], /^800%cpu +\d+%user +\d+%nice +\d+%sys +\d+%idle +\d+%iow +\d+%irq +\d+%sirq +\d+%host$/);
  assert.equal(lines[4], '  PID USER         PR  NI VIRT  RES  SHR S[%CPU] %MEM     TIME+ ARGS');
  assert.match(lines[5], new RegExp(`^ *${top.pid} shell .* R .* top -b -n 1$`), 'top itself runs first');
  assert.equal(lines.filter(Boolean).length, 5 + count);
});

test('a reboot starts the process table and the log over', () => {
  const d = phone();
  d.phone.launch(NOTES_PKG);
  const before = d.procs.bootTime;
  d.procs.reboot();
  assert.equal(d.procs.appProcess(NOTES_PKG), undefined);
  assert.ok(d.procs.bootTime >= before);
  assert.ok(d.procs.get(1) && d.procs.get(870), 'init and system_server are back');
  const msgs = d.logcat.read().map((e) => e.msg);
  assert.ok(msgs.includes('Entered the Android system server!'));
  assert.ok(!msgs.some((m) => m.includes('com.mobileai.notes')), 'the old boot\'s lines are gone');
});

test('am crash, am kill (background only), am kill-all and cmd activity crash end app processes as ActivityManager does', async () => {
  const d = phone();
  d.phone.launch(NOTES_PKG);
  d.phone.launch(SETTINGS_PKG);
  const notes = d.procs.appProcess(NOTES_PKG)!;
  const settings = d.procs.appProcess(SETTINGS_PKG)!;
  assert.equal((await run(d, ['am', 'kill', SETTINGS_PKG])).code, 0);
  assert.ok(d.procs.appProcess(SETTINGS_PKG), 'the app in front is not killed by am kill');
  await run(d, ['am', 'kill', NOTES_PKG]);
  assert.equal(d.procs.appProcess(NOTES_PKG), undefined);
  assert.ok(d.logcat.read(['system']).some((e) => e.msg === `Killing ${notes.pid}:com.mobileai.notes/u0a${notes.uid - 10000} (adj 905): kill background`));
  assert.equal((await run(d, ['cmd', 'activity', 'crash', String(settings.pid)])).code, 0, 'a pid works too');
  assert.equal(d.procs.appProcess(SETTINGS_PKG), undefined);
  assert.ok(d.logcat.read(['crash']).some((e) => e.pid === settings.pid && e.msg.startsWith('FATAL EXCEPTION: main\nProcess: com.android.settings, PID:')));
  assert.equal((await run(d, ['am', 'crash', 'com.not.running'])).code, 0, 'nothing runs: nothing happens');
  d.phone.launch(NOTES_PKG);
  d.phone.goHome();
  await run(d, ['am', 'kill-all']);
  assert.equal(d.procs.appProcess(NOTES_PKG), undefined);
  assert.ok(d.procs.appProcess(LAUNCHER_PKG), 'the launcher stays');
});
