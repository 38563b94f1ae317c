import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtualDevice, mergeProfile } from '../../extension/core/virtualPhone/device';
import { Sandbox } from '../../extension/core/virtualPhone/sandbox';
import { NOTES_PKG, STOPWATCH_PKG } from '../../extension/core/virtualPhone/phone';
import { Abort, EMPTY, toBuffer, type Io } from '../../extension/core/virtualPhone/os/io';
import {
  LogBuffer, LogFilter, applyFormatWord, entryBytes, formatEntry, newFormat, parseLogTime, printable, sizeText,
  LOGGER_ENTRY_MAX_PAYLOAD, MIN_BUFFER_BYTES, type LogEntry, type FormatVerb,
} from '../../extension/core/virtualPhone/os/logcat';
import { waitFor as poll } from '../helpers/adbServer';
import { crashApp } from '../../extension/core/virtualPhone/os/androidSystem';
import { logcat } from '../../extension/core/virtualPhone/commands/proc';
import type { Command, CommandContext } from '../../extension/core/virtualPhone/commands/types';

/*
 * Format facts, and where they come from (system/logging, Android 14):
 * - liblog/logprint.cpp android_log_formatLogLine():
 *   brief      "%c/%-8.*s(%s%5d): "      priority letter, tag padded to 8 (never cut), pid right-aligned in 5
 *   process    "%c(%s%5d) " … "  (%.*s)\n"   the tag goes after the message
 *   tag        "%c/%-8.*s: "
 *   thread     "%c(%s%5d:%5d) "
 *   raw        the message alone
 *   time       "%s %c/%-8.*s(%s%5d): "   time is "%m-%d %H:%M:%S" + ".%03ld" (msec)
 *   threadtime "%s %s%5d %5d %c %-8.*s: "
 *   long       "[ %s %s%5d:%5d %c/%-8.*s ]\n" + message + "\n\n" (the message is not split)
 *   A message is split at '\n' and every line gets the prefix; a trailing '\n' adds no empty line.
 *   usec/nsec print 6/9 digits, year prefixes "%Y-", epoch prints "%19lld" seconds, monotonic "%6lld",
 *   zone appends " %z", uid adds "%5d:" (or a name of at most 5 letters; threadtime turns ':' into ' '),
 *   color wraps the line in ESC[<n>m … ESC[0m (V 39, D 34, I 32, W 33, E/F 31).
 * - logprint.cpp android_log_addFilterRule(): '*' without a priority means '*:D', a tag without one means
 *   TAG:V, the newest rule for a tag wins, "TAG:" or an unknown letter is an invalid expression.
 * - logcat/logcat.cpp: "--------- beginning of <buffer>" before a buffer's first line (and "switch to" with
 *   -D); the default buffers are main, system, crash (and kernel); -t N keeps the last N entries before the
 *   tag filter; -t TIME accepts 'MM-DD hh:mm:ss.mmm'; -g prints "<buffer>: ring buffer is 256 KiB (… consumed,
 *   … readable), max entry is 5120 B, max payload is 4068 B"; errors go through error(3): "logcat: …".
 * - logd/LogSize.h: the default ring is 256 KiB per buffer (kDefaultLogBufferSize), -G between 64 KiB and 256 MiB.
 * - liblog/include/log/log_read.h: LOGGER_ENTRY_MAX_PAYLOAD 4068, struct logger_entry is 28 bytes (v4).
 */

let dir: string;
let sandbox: Sandbox;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-logcat-'));
  sandbox = new Sandbox(path.join(dir, 'fs'));
  await sandbox.init();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Polls every 5 ms (a generous deadline: a loaded machine is slow, a broken one never gets there). */
const waitFor = <T>(what: string, fn: () => T | undefined) => poll(what, fn, 5000, 5);

function phone(): VirtualDevice {
  return new VirtualDevice(mergeProfile({}), sandbox, 'x:1');
}

interface Run { out: string; err: string; code: number; bytes: Buffer }

/** Runs a command as the shell would: a process of its own, output collected, the given env. */
async function run(device: VirtualDevice, cmd: Command, argv: string[], opts: { env?: Record<string, string>; signal?: Abort; out?: (d: Buffer) => Promise<void> } = {}): Promise<Run> {
  const proc = device.procs.spawn(argv[0], argv, { ppid: 620 });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: Io = {
    stdin: EMPTY,
    out: opts.out ? (d) => opts.out!(toBuffer(d)) : async (d) => { out.push(toBuffer(d)); },
    err: async (d) => { err.push(toBuffer(d)); },
    signal: opts.signal ?? new Abort(),
    tty: false,
  };
  const ctx: CommandContext = {
    device, phone: device.phone, fs: device.fs, cwd: '/', env: opts.env ?? {}, pid: proc.pid, ppid: 620, uid: 2000, sh: async () => 127,
  };
  try {
    const code = await cmd(argv, io, ctx);
    const bytes = Buffer.concat(out);
    return { out: bytes.toString('utf8'), err: Buffer.concat(err).toString('utf8'), code, bytes };
  } finally {
    device.procs.exit(proc.pid);
  }
}

const lc = (device: VirtualDevice, ...args: string[]) => run(device, logcat, ['logcat', ...args]);

function entry(over: Partial<LogEntry> = {}): LogEntry {
  // 2024-06-05 07:08:09.123456 UTC
  const us = Date.UTC(2024, 5, 5, 7, 8, 9) * 1000 + 123456;
  return { buffer: 'main', level: 'I', tag: 'Tag', msg: 'hello', pid: 1234, tid: 1240, uid: 10123, time: us / 1000, us, seq: 1, ...over };
}

function fmt(verb: FormatVerb, ...mods: string[]) {
  const f = newFormat(Date.UTC(2024, 5, 5, 7, 0, 0) * 1000);
  for (const m of [verb, ...mods]) assert.notEqual(applyFormatWord(f, m), -1, m);
  return f;
}

test('each -v format lays a line out as liblog does', () => {
  const e = entry();
  assert.equal(formatEntry(e, fmt('brief')), 'I/Tag     ( 1234): hello\n');
  assert.equal(formatEntry(e, fmt('process')), 'I( 1234) hello  (Tag)\n');
  assert.equal(formatEntry(e, fmt('tag')), 'I/Tag     : hello\n');
  assert.equal(formatEntry(e, fmt('thread')), 'I( 1234: 1240) hello\n');
  assert.equal(formatEntry(e, fmt('raw')), 'hello\n');
  assert.equal(formatEntry(e, fmt('time')), '06-05 07:08:09.123 I/Tag     ( 1234): hello\n');
  assert.equal(formatEntry(e, fmt('threadtime')), '06-05 07:08:09.123  1234  1240 I Tag     : hello\n');
  assert.equal(formatEntry(e, fmt('long')), '[ 06-05 07:08:09.123  1234: 1240 I/Tag      ]\nhello\n\n');
  // a tag longer than 8 is never cut, and a wide pid pushes the columns
  assert.equal(formatEntry(entry({ tag: 'ActivityManager', pid: 123456 }), fmt('threadtime')), '06-05 07:08:09.123 123456  1240 I ActivityManager: hello\n');
});

test('adverbs: usec, nsec, year, epoch, monotonic, zone, uid, color, printable', () => {
  const e = entry();
  assert.equal(formatEntry(e, fmt('time', 'usec')), '06-05 07:08:09.123456 I/Tag     ( 1234): hello\n');
  assert.equal(formatEntry(e, fmt('time', 'nsec')), '06-05 07:08:09.123456000 I/Tag     ( 1234): hello\n');
  assert.equal(formatEntry(e, fmt('time', 'year')), '2024-06-05 07:08:09.123 I/Tag     ( 1234): hello\n');
  assert.equal(formatEntry(e, fmt('time', 'epoch')), `${String(Date.UTC(2024, 5, 5, 7, 8, 9) / 1000).padStart(19)}.123 I/Tag     ( 1234): hello\n`);
  assert.equal(formatEntry(e, fmt('time', 'monotonic')), '   489.123 I/Tag     ( 1234): hello\n', '8 min 9 s after boot');
  assert.equal(formatEntry(e, fmt('time', 'zone')), '06-05 07:08:09.123 +0000 I/Tag     ( 1234): hello\n');
  assert.equal(formatEntry(e, fmt('time', 'UTC')), '06-05 07:08:09.123 +0000 I/Tag     ( 1234): hello\n', 'a zone name turns the zone on');
  const names = (uid: number) => (uid === 2000 ? 'shell' : `u0_a${uid - 10000}`);
  assert.equal(formatEntry(e, fmt('brief', 'uid'), names), 'I/Tag     (10123: 1234): hello\n', 'u0_a123 is longer than 5: the number');
  assert.equal(formatEntry(entry({ uid: 2000 }), fmt('threadtime', 'uid'), names), '06-05 07:08:09.123 shell  1234  1240 I Tag     : hello\n');
  assert.equal(formatEntry(entry({ level: 'E' }), fmt('tag', 'color')), '\x1B[31mE/Tag     : hello\x1B[0m\n');
  assert.equal(formatEntry(entry({ level: 'D' }), fmt('tag', 'color')), '\x1B[34mD/Tag     : hello\x1B[0m\n');
  assert.equal(formatEntry(entry({ msg: 'a\tb\x01\\c\r' }), fmt('raw', 'printable')), 'a\tb\\1\\\\c\\r\n');
  assert.equal(printable('ünï'), 'ünï', 'valid UTF-8 stays');
  assert.equal(applyFormatWord(newFormat(), 'nonsense'), -1);
});

test('a multi-line message gets the prefix on every line; long keeps it whole', () => {
  const e = entry({ msg: 'FATAL EXCEPTION: main\nProcess: p, PID: 1\n\tat x.y(Z.java:1)\n' });
  assert.equal(formatEntry(e, fmt('tag')), 'I/Tag     : FATAL EXCEPTION: main\nI/Tag     : Process: p, PID: 1\nI/Tag     : \tat x.y(Z.java:1)\n');
  assert.equal(formatEntry(entry({ msg: 'a\n\nb' }), fmt('raw')), 'a\n\nb\n', 'an empty line inside stays');
  assert.equal(formatEntry(entry({ msg: '' }), fmt('tag')), 'I/Tag     : \n', 'an empty message is one line');
  assert.equal(formatEntry(entry({ msg: 'a\nb' }), fmt('long')), '[ 06-05 07:08:09.123  1234: 1240 I/Tag      ]\na\nb\n\n');
});

test('filter specs: *:E, TAG:I *:S, * alone is D, TAG alone is V, the newest rule wins, bad specs refused', () => {
  const f1 = new LogFilter();
  assert.ok(f1.addString('*:E'));
  assert.deepEqual(['V', 'D', 'I', 'W', 'E', 'F'].map((l) => f1.shouldPrint('X', l as 'V')), [false, false, false, false, true, true]);
  const f2 = new LogFilter();
  assert.ok(f2.addString('ActivityManager:I *:S'));
  assert.equal(f2.shouldPrint('ActivityManager', 'I'), true);
  assert.equal(f2.shouldPrint('ActivityManager', 'D'), false);
  assert.equal(f2.shouldPrint('Other', 'F'), false);
  const f3 = new LogFilter();
  assert.ok(f3.addString('*'));
  assert.equal(f3.shouldPrint('X', 'V'), false);
  assert.equal(f3.shouldPrint('X', 'D'), true);
  const f4 = new LogFilter();
  assert.ok(f4.addString('*:S,Foo'));
  assert.equal(f4.shouldPrint('Foo', 'V'), true);
  const f5 = new LogFilter();
  assert.ok(f5.addString('Foo:E Foo:W'));
  assert.equal(f5.shouldPrint('Foo', 'W'), true, 'the later rule for a tag wins');
  const f6 = new LogFilter();
  assert.ok(f6.addString('Foo:5'), 'digits are priorities (5 = W)');
  assert.equal(f6.shouldPrint('Foo', 'I'), false);
  assert.equal(f6.shouldPrint('Foo', 'W'), true);
  for (const bad of ['Foo:', 'Foo:x', ':E', 'Foo:0']) assert.equal(new LogFilter().addString(bad), false, bad);
});

test('the ring keeps the newest entries within its byte budget, in order', () => {
  const log = new LogBuffer();
  assert.ok(log.setSize('main', MIN_BUFFER_BYTES));
  assert.equal(log.setSize('main', 1000), false, 'below 64 KiB is refused');
  const msg = 'x'.repeat(100);
  for (let i = 0; i < 2000; i++) log.write({ level: 'I', tag: 'T', msg: `${i} ${msg}` });
  const kept = log.read(['main']);
  assert.ok(log.consumed('main') <= MIN_BUFFER_BYTES, `${log.consumed('main')} bytes held`);
  assert.equal(log.consumed('main'), kept.reduce((s, e) => s + entryBytes(e), 0));
  assert.ok(kept.length > 400 && kept.length < 600, `${kept.length} entries of ~135 bytes fit 64 KiB`);
  assert.match(kept[kept.length - 1].msg, /^1999 /, 'the newest is kept');
  assert.ok(kept.every((e, i) => i === 0 || e.seq > kept[i - 1].seq));
  log.write({ level: 'E', tag: 'S', msg: 'sys', buffer: 'system' });
  log.clear(['main']);
  assert.deepEqual(log.read(['main', 'system']).map((e) => e.msg), ['sys'], 'clearing one buffer leaves the others');
  const big = log.write({ level: 'I', tag: 'Big', msg: 'y'.repeat(10_000) });
  assert.equal(1 + 'Big'.length + 1 + Buffer.byteLength(big.msg) + 1, LOGGER_ENTRY_MAX_PAYLOAD, 'a payload is cut at 4068 bytes');
});

test('parseLogTime reads the three -t TIME forms, sizeText rounds as logcat -g does', () => {
  const now = Date.UTC(2024, 5, 5, 12) * 1000;
  assert.deepEqual(parseLogTime('06-05 07:08:09.123', now), { us: Date.UTC(2024, 5, 5, 7, 8, 9) * 1000 + 123000, rest: '' });
  assert.deepEqual(parseLogTime('2023-01-02 03:04:05.5', now), { us: Date.UTC(2023, 0, 2, 3, 4, 5) * 1000 + 500000, rest: '' });
  assert.deepEqual(parseLogTime('1717571289.25', now), { us: 1717571289250000, rest: '' });
  assert.equal(parseLogTime('06-05 07:08:09.123xyz', now)?.rest, 'xyz');
  assert.equal(parseLogTime('yesterday', now), undefined);
  assert.deepEqual([sizeText(500), sizeText(256 * 1024), sizeText(5 * 1024 * 1024 + 7), sizeText(2047)], ['500 B', '256 KiB', '5 MiB', '1 KiB']);
});

test('logcat -d: the boot log, a divider at each buffer\'s first line, threadtime by default', async () => {
  const d = phone();
  const r = await lc(d, '-d');
  assert.equal(r.code, 0);
  const lines = r.out.split('\n').filter(Boolean);
  const dividers = lines.filter((l) => l.startsWith('---------'));
  assert.deepEqual(dividers.sort(), ['--------- beginning of main', '--------- beginning of system'], 'each buffer once (no crash yet, events not by default)');
  for (const l of lines.filter((x) => !x.startsWith('---------'))) assert.match(l, /^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ [VDIWEF] .+?: /);
  assert.match(r.out, / I SystemServer: Entered the Android system server!\n/);
  assert.match(r.out, / I ActivityManager: Start proc 1290:com\.android\.launcher3\/u0a101 for top-activity/);
  const withD = await lc(d, '-d', '-D');
  assert.ok(withD.out.includes('--------- switch to main'), '-D prints a divider at every change of buffer');
});

test('logcat -b: one buffer, several, all, default; an unknown one is an error', async () => {
  const d = phone();
  const events = await lc(d, '-d', '-b', 'events');
  assert.match(events.out, /^--------- beginning of events\n/);
  assert.match(events.out, / I am_proc_start: \[0,1290,10101,com\.android\.launcher3,top-activity,/);
  const radio = await lc(d, '-d', '-b', 'radio', '-b', 'events');
  assert.match(radio.out, /RILJ {4}: \[0001\]> RADIO_POWER on=true/);
  assert.match(radio.out, /boot_progress_start/);
  assert.match((await lc(d, '-d', '-b', 'all')).out, /beginning of radio[\s\S]*beginning of events|beginning of events[\s\S]*beginning of radio/);
  assert.doesNotMatch((await lc(d, '-d', '-b', 'default')).out, /RILJ|am_proc_start/);
  const bad = await lc(d, '-d', '-b', 'nope');
  assert.deepEqual([bad.code, bad.err], [1, "logcat: Unknown -b buffer 'nope'.\n"]);
});

test('logcat filters: -s TAG, *:E, env ANDROID_LOG_TAGS only without specs, --pid, -e, -m', async () => {
  const d = phone();
  d.phone.launch(NOTES_PKG);
  const notes = d.procs.appProcess(NOTES_PKG)!;
  crashApp(d, NOTES_PKG);
  const s = await lc(d, '-d', '-s', 'ActivityManager');
  const body = s.out.split('\n').filter((l) => l && !l.startsWith('---------'));
  assert.ok(body.length >= 5);
  assert.ok(body.every((l) => / I ActivityManager: /.test(l)), s.out);
  const errors = await lc(d, '-d', '*:E');
  assert.match(errors.out, /^--------- beginning of crash\n/, 'only the crash has E lines');
  assert.ok(errors.out.split('\n').filter((l) => l && !l.startsWith('-')).every((l) => / [EF] /.test(l)));
  const env = await run(d, logcat, ['logcat', '-d'], { env: { ANDROID_LOG_TAGS: 'Zygote:I *:S' } });
  assert.ok(env.out.includes('I Zygote  : Preloading classes...'));
  assert.doesNotMatch(env.out, /ActivityManager|D Zygote/);
  const specWins = await run(d, logcat, ['logcat', '-d', 'SystemServer:I', '*:S'], { env: { ANDROID_LOG_TAGS: 'Zygote:I *:S' } });
  assert.doesNotMatch(specWins.out, /Zygote/, 'filter specs on the command line replace the environment');
  assert.match(specWins.out, /SystemServer/);
  const byPid = await lc(d, '-d', `--pid=${notes.pid}`, '-b', 'all');
  const pidLines = byPid.out.split('\n').filter((l) => l && !l.startsWith('---------'));
  assert.ok(pidLines.length >= 4);
  assert.ok(pidLines.every((l) => new RegExp(`^\\S+ \\S+ +${notes.pid} `).test(l)), byPid.out);
  assert.match(byPid.out, /Process: com\.mobileai\.notes, PID: \d+/);
  const regex = await lc(d, '-d', '-e', '^Start proc \\d+:com\\.android\\.(systemui|phone)/');
  assert.equal(regex.out.split('\n').filter((l) => l.includes('Start proc')).length, 2);
  const max = await lc(d, '-d', '-m', '3');
  assert.equal(max.out.split('\n').filter((l) => l && !l.startsWith('---------')).length, 3);
  const badSpec = await lc(d, '-d', 'Foo:Q');
  assert.deepEqual([badSpec.code, badSpec.err], [1, "logcat: Invalid filter expression 'Foo:Q'.\n"]);
  const badV = await lc(d, '-d', '-v', 'fancy');
  assert.deepEqual([badV.code, badV.err], [1, "logcat: Invalid -v 'fancy'.\n"]);
  const both = await lc(d, '-t', '3', '-m', '2');
  assert.deepEqual([both.code, both.err], [1, 'logcat: Cannot use -m (--max-count) and -t together.\n']);
  const pid0 = await lc(d, '-d', '--pid=0');
  assert.deepEqual([pid0.code, pid0.err], [1, "logcat: pid '0' out of range.\n"]);
});

test('logcat -t N counts entries before the tag filter; -t TIME starts at a time; a bad time is refused', async () => {
  const d = phone();
  for (let i = 0; i < 5; i++) d.logcat.write({ level: 'I', tag: i % 2 ? 'Odd' : 'Even', msg: `n${i}` });
  assert.deepEqual((await lc(d, '-t', '3', '-v', 'raw')).out, '--------- beginning of main\nn2\nn3\nn4\n');
  assert.deepEqual((await lc(d, '-t', '3', '-v', 'raw', 'Odd:V', '*:S')).out, '--------- beginning of main\nn3\n', 'the tail is taken first');
  const all = d.logcat.read(['main']);
  const third = all[all.length - 3];
  const t = formatEntry(third, fmt('time', 'usec')).slice(0, 21);
  const since = await lc(d, '-t', t, '-v', 'raw', '-b', 'main');
  assert.deepEqual(since.out, '--------- beginning of main\nn2\nn3\nn4\n');
  const bad = await lc(d, '-t', 'noon');
  assert.deepEqual([bad.code, bad.err], [1, "logcat: -t 'noon' not in time format.\n"]);
  const zero = await lc(d, '-t', '0', '-v', 'raw');
  assert.equal(zero.err, 'WARNING: -t 0 invalid, setting to 1\n');
  assert.equal(zero.out, '--------- beginning of main\nn4\n');
});

test('logcat -c empties the buffers; -g prints their sizes; -G sets them', async () => {
  const d = phone();
  const g = await lc(d, '-g');
  const lines = g.out.trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => l.split(':')[0]), ['main', 'system', 'crash', 'kernel']);
  for (const l of lines) assert.match(l, /^\w+: ring buffer is 256 KiB \(\d+ (?:Ki)?B consumed, \d+ (?:Ki)?B readable\), max entry is 5120 B, max payload is 4068 B$/);
  assert.equal((await lc(d, '-c')).code, 0);
  assert.equal((await lc(d, '-d')).out, '', 'nothing left, not even a divider');
  assert.match((await lc(d, '-d', '-b', 'events')).out, /boot_progress/, 'events was not cleared: not a default buffer');
  assert.equal((await lc(d, '-G', '1M', '-b', 'main')).code, 0);
  assert.match((await lc(d, '-g', '-b', 'main')).out, /^main: ring buffer is 1 MiB /);
  const tooSmall = await lc(d, '-G', '1K');
  assert.deepEqual([tooSmall.code, tooSmall.err], [1, "logcat: failed to set the 'main,system,crash,kernel' log sizes.\n"]);
  const notSize = await lc(d, '-G', 'big');
  assert.equal(notSize.err, 'logcat: -G must be specified as <num><multiplier>.\n');
});

test('logcat follows: new lines arrive live, and it stops when the reader goes away', async () => {
  const d = phone();
  const got: string[] = [];
  const signal = new Abort();
  const running = run(d, logcat, ['logcat', '-v', 'brief', 'LiveTest:V', '*:S'], {
    signal,
    out: async (b) => {
      got.push(b.toString());
    },
  });
  const proc = await waitFor('logcat to run as a process', () => d.procs.list().find((p) => p.name === 'logcat'));
  assert.ok(proc, 'logcat runs as a process');
  d.logcat.write({ level: 'W', tag: 'LiveTest', msg: 'hello live', pid: 4242 });
  await waitFor('the line, live', () => got.join('').includes('hello live'));
  assert.equal(got.join(''), '--------- beginning of main\nW/LiveTest( 4242): hello live\n');
  signal.abort('SIGPIPE');
  const r = await running;
  assert.equal(r.code, 0);
  d.logcat.write({ level: 'W', tag: 'LiveTest', msg: 'after' });
  assert.equal(got.join('').includes('after'), false);
});

test('logcat waits for a slow reader (back-pressure) instead of piling output up', async () => {
  const d = phone();
  const signal = new Abort();
  let calls = 0;
  let release: () => void = () => undefined;
  const running = run(d, logcat, ['logcat', '-T', '1', '-v', 'raw'], {
    signal,
    out: () => {
      calls++;
      return new Promise<void>((r) => (release = r));
    },
  });
  await waitFor('the backlog\'s write', () => calls >= 1);
  assert.equal(calls, 1, 'the backlog went out in one write that has not been taken yet');
  for (let i = 0; i < 50; i++) d.logcat.write({ level: 'I', tag: 'T', msg: `line ${i}` });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(calls, 1, 'no more writes while the first one is pending');
  release();
  await waitFor('the second write', () => calls >= 2);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(calls, 2, 'the waiting lines go out together once the reader takes the first write');
  signal.abort();
  release();
  await running;
});

test('logcat -f writes to a file on the phone; -B writes logger_entry records', async () => {
  const d = phone();
  d.logcat.write({ level: 'I', tag: 'FileTest', msg: 'to a file' });
  const r = await lc(d, '-d', '-f', '/data/local/tmp/log.txt', '-s', 'FileTest');
  assert.deepEqual([r.code, r.out], [0, '']);
  const host = await d.fs.resolve('/data/local/tmp/log.txt', '/', 'read', 2000);
  assert.match(await readFile(host, 'utf8'), /^--------- beginning of main\n.* I FileTest: to a file\n$/);
  const e = d.logcat.write({ level: 'W', tag: 'Bin', msg: 'raw', pid: 77, tid: 78, uid: 10001 });
  const bin = await lc(d, '-d', '-B', '--pid=77');
  const b = bin.bytes;
  assert.equal(b.readUInt16LE(0), 1 + 3 + 1 + 3 + 1, 'payload length');
  assert.equal(b.readUInt16LE(2), 28, 'header size');
  assert.deepEqual([b.readInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(20), b.readUInt32LE(24)], [77, 78, 0, 10001]);
  assert.equal(b.readUInt32LE(12), Math.floor(e.us / 1e6));
  assert.equal(b[28], 5, 'priority W');
  assert.equal(b.subarray(29).toString('latin1'), 'Bin\0raw\0');
});

test('the phone logs what happens: launches, input, an app\'s own lines, force-stop, a crash to the crash buffer', async () => {
  const d = phone();
  d.phone.launch(NOTES_PKG);
  const notes = d.procs.appProcess(NOTES_PKG)!;
  assert.ok(notes.uid >= 10000 && notes.ppid === 512);
  d.phone.tap(10, 800);
  d.phone.focusedField = 'note';
  d.phone.typeText('buy milk');
  d.phone.saveNote();
  d.phone.forceStop(NOTES_PKG);
  assert.equal(d.procs.appProcess(NOTES_PKG), undefined, 'force-stop ends the process');
  d.phone.launch(STOPWATCH_PKG);
  const sw = d.procs.appProcess(STOPWATCH_PKG)!;
  assert.equal(crashApp(d, STOPWATCH_PKG), sw.pid);
  assert.equal(d.procs.appProcess(STOPWATCH_PKG), undefined);
  assert.equal(d.phone.foreground, 'com.android.launcher3', 'the launcher comes back after a crash');
  const all = (await lc(d, '-d', '-b', 'all', '-v', 'brief')).out;
  const uidName = `u0a${notes.uid - 10000}`;
  assert.ok(all.includes(`I/ActivityTaskManager(  870): START u0 {act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=com.mobileai.notes/.MainActivity}`));
  assert.ok(all.includes(`I/ActivityManager(  870): Start proc ${notes.pid}:com.mobileai.notes/${uidName} for next-top-activity {com.mobileai.notes/com.mobileai.notes.MainActivity}`));
  assert.match(all, /I\/ActivityTaskManager\( {2}870\): Displayed com\.mobileai\.notes\/\.MainActivity for user 0: \+\d+ms/);
  assert.ok(all.includes(`I/ViewRootImpl[MainActivity]( ${notes.pid}): ViewPostIme pointer 0\nI/ViewRootImpl[MainActivity]( ${notes.pid}): ViewPostIme pointer 1\n`), 'a touch reaches the app in front');
  assert.ok(all.includes(`D/NotesRepository( ${notes.pid}): Saved note 1 (8 chars)`));
  assert.match(all, new RegExp(`I/ActivityManager\\(  870\\): Force stopping com\\.mobileai\\.notes appid=${notes.uid} user=0: from pid \\d+`));
  assert.ok(all.includes(`I/ActivityManager(  870): Killing ${notes.pid}:com.mobileai.notes/${uidName} (adj 0): stop com.mobileai.notes due to from pid`));
  const crash = (await lc(d, '-d', '-b', 'crash')).out.split('\n');
  assert.equal(crash[0], '--------- beginning of crash');
  assert.match(crash[1], new RegExp(`^\\S+ \\S+ +${sw.pid} +${sw.pid} E AndroidRuntime: FATAL EXCEPTION: main$`));
  assert.match(crash[2], new RegExp(`E AndroidRuntime: Process: com\\.mobileai\\.stopwatch, PID: ${sw.pid}$`));
  assert.match(crash[4], /E AndroidRuntime: \tat android\.app\.ActivityThread\.throwRemoteServiceException/);
  assert.ok(all.includes(`I/ActivityManager(  870): Process com.mobileai.stopwatch (pid ${sw.pid}) has died: fg  TOP `));
  assert.ok(all.includes(`I/Process ( ${sw.pid}): Sending signal. PID: ${sw.pid} SIG: 9`));
});
