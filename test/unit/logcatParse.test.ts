/**
 * The Logcat view's engine: logcat's text formats, crashes, filters, the bounded ring, the live stream.
 *
 * Format facts (liblog/logprint.cpp, android_log_formatLogLine, AOSP platform/system/logging):
 * - threadtime prefix: "%s %s%5d %5d %c %-8.*s: " (time, uid column only with -v uid, pid, tid, priority, tag);
 * - time prefix: "%s %c/%-8.*s(%s%5d): "; brief: "%c/%-8.*s(%s%5d): "; long: "[ %s %s%5d:%5d %c/%-8.*s ]\n" and the
 *   message followed by "\n\n";
 * - the time is strftime "%m-%d %H:%M:%S" ("%Y-%m-%d …" with -v year) then ".%03ld" (".%06ld" usec,
 *   ".%09ld" nsec); -v epoch prints "%19lld" seconds; -v zone appends " %z";
 * - with -v uid the uid column is "%5s:" with the colon turned into a space in threadtime;
 * - a message with newlines is printed one line at a time, each with the same prefix.
 * Buffer dividers (logcat/logcat.cpp, maybePrintStart): "--------- beginning of %s" / "--------- switch to %s".
 * Crash reports: RuntimeInit.logUncaught (frameworks/base) logs "FATAL EXCEPTION: THREAD\nProcess: NAME, PID: N" and
 * the stack trace with tag AndroidRuntime at ERROR; debuggerd's tombstone summary goes to the log with tag DEBUG,
 * starting with a line of "*** " and naming "pid: N, tid: N, name: T  >>> PROCESS <<<" and "signal N (SIGx)".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { LogcatParser, parseLogcat } from '../../extension/core/logcat/parse';
import { compileFilter, EMPTY_FILTER, isLogFilter, type LogFilter } from '../../extension/core/logcat/filter';
import { LogcatModel } from '../../extension/core/logcat/model';
import { LogcatStream, type LogcatDevice } from '../../extension/core/logcat/session';
import { isFromLogcatWebview } from '../../webview/logcat/protocol';

const pad = (v: string | number, w: number) => String(v).padStart(w);
const padEnd = (v: string, w: number) => v.padEnd(w);

/** A line exactly as logprint's threadtime format prints it (the printf widths above). */
function threadtime(e: { time: string; uid?: string; pid: number; tid: number; pri: string; tag: string; msg: string }): string {
  const uid = e.uid === undefined ? '' : `${pad(e.uid, 5)} `;
  return e.msg.split('\n').map((m) => `${e.time} ${uid}${pad(e.pid, 5)} ${pad(e.tid, 5)} ${e.pri} ${padEnd(e.tag, 8)}: ${m}`).join('\n') + '\n';
}

test('threadtime lines give time, pid, tid, level, tag and message (short tags padded to 8, pids to 5)', () => {
  const text = threadtime({ time: '03-17 16:13:47.123', pid: 1234, tid: 1250, pri: 'I', tag: 'ActivityManager', msg: 'Start proc 4321:com.example/u0a55 for activity {com.example/com.example.Main}' })
    + threadtime({ time: '03-17 16:13:47.200', pid: 7, tid: 7, pri: 'D', tag: 'Tag', msg: 'short tag: with a colon in the message' })
    + threadtime({ time: '03-17 16:13:47.201', pid: 99999, tid: 12, pri: 'W', tag: 'a tag', msg: '' });
  const [a, b, c] = parseLogcat(text);
  assert.deepEqual(a, { time: '03-17 16:13:47.123', pid: 1234, tid: 1250, level: 'I', tag: 'ActivityManager', msg: 'Start proc 4321:com.example/u0a55 for activity {com.example/com.example.Main}' });
  assert.deepEqual(b, { time: '03-17 16:13:47.200', pid: 7, tid: 7, level: 'D', tag: 'Tag', msg: 'short tag: with a colon in the message' });
  assert.deepEqual([c.tag, c.msg, c.level, c.pid], ['a tag', '', 'W', 99999], 'a tag with a space, an empty message');
});

test('the time adverbs: year, usec, nsec, epoch, zone; the uid column; A (assert) shows as F', () => {
  const cases: Array<[string, string]> = [
    ['2024-03-17 16:13:47.123', '2024-03-17 16:13:47.123'],
    ['03-17 16:13:47.123456', '03-17 16:13:47.123456'],
    ['03-17 16:13:47.123456789', '03-17 16:13:47.123456789'],
    [`${pad(1710692027, 19)}.123`, '1710692027.123'],
    ['03-17 16:13:47.123 +0100', '03-17 16:13:47.123 +0100'],
  ];
  for (const [printed, time] of cases) {
    const [e] = parseLogcat(threadtime({ time: printed, pid: 42, tid: 43, pri: 'E', tag: 'Foo', msg: 'bar' }));
    assert.deepEqual([e.time, e.pid, e.tid, e.level, e.tag, e.msg], [time, 42, 43, 'E', 'Foo', 'bar'], printed);
  }
  const [u] = parseLogcat(threadtime({ time: '03-17 16:13:47.123', uid: 'root', pid: 1, tid: 1, pri: 'I', tag: 'init', msg: 'hello' }));
  assert.deepEqual([u.uid, u.pid, u.tid, u.tag, u.msg], ['root', 1, 1, 'init', 'hello']);
  const [n] = parseLogcat(threadtime({ time: '03-17 16:13:47.123', uid: '10123', pid: 4321, tid: 4321, pri: 'A', tag: 'libc', msg: 'abort' }));
  assert.deepEqual([n.uid, n.pid, n.level], ['10123', 4321, 'F']);
});

test('a multi-line message is one entry; the next header ends it; buffer dividers name the buffer', () => {
  const text = '--------- beginning of main\n'
    + threadtime({ time: '01-02 03:04:05.006', pid: 100, tid: 101, pri: 'W', tag: 'System.err', msg: 'java.io.IOException: boom\n\tat a.b.C.d(C.java:1)\n\tat a.b.C.e(C.java:2)' })
    + threadtime({ time: '01-02 03:04:05.006', pid: 100, tid: 102, pri: 'W', tag: 'System.err', msg: 'other thread' })
    + '--------- switch to system\n'
    + threadtime({ time: '01-02 03:04:05.007', pid: 200, tid: 200, pri: 'I', tag: 'PackageManager', msg: 'installed' });
  const entries = parseLogcat(text);
  assert.equal(entries.length, 3);
  assert.equal(entries[0].msg, 'java.io.IOException: boom\n\tat a.b.C.d(C.java:1)\n\tat a.b.C.e(C.java:2)');
  assert.equal(entries[0].buffer, 'main');
  assert.equal(entries[1].msg, 'other thread', 'another tid is another entry');
  assert.equal(entries[2].buffer, 'system');
});

test('any chunking of the stream gives the same entries (CRLF from a pty too)', () => {
  const text = threadtime({ time: '01-02 03:04:05.006', pid: 100, tid: 101, pri: 'E', tag: 'AndroidRuntime', msg: 'FATAL EXCEPTION: main\nProcess: com.x, PID: 100\njava.lang.IllegalStateException: é ✓' })
    + threadtime({ time: '01-02 03:04:05.010', pid: 5, tid: 6, pri: 'V', tag: 'Tag', msg: 'last' });
  const whole = parseLogcat(text);
  for (const input of [text, text.replace(/\n/g, '\r\n')]) {
    for (let cut = 1; cut < input.length; cut += 3) {
      const p = new LogcatParser();
      const got = [...p.push(input.slice(0, cut)), ...p.push(input.slice(cut)), ...p.flush()];
      assert.deepEqual(got, whole, `cut at ${cut}`);
    }
  }
});

test('time, brief and long formats', () => {
  const time = parseLogcat('03-17 16:13:47.123 I/ActivityManager( 1234): Displayed com.x/.Main: +350ms\n');
  assert.deepEqual(time[0], { time: '03-17 16:13:47.123', level: 'I', tag: 'ActivityManager', pid: 1234, tid: 0, msg: 'Displayed com.x/.Main: +350ms' });
  const brief = parseLogcat('D/dalvikvm(  345): GC_CONCURRENT freed 1K\nW/Tag     (    7): x\n');
  assert.deepEqual(brief.map((e) => [e.level, e.tag, e.pid, e.msg]), [['D', 'dalvikvm', 345, 'GC_CONCURRENT freed 1K'], ['W', 'Tag', 7, 'x']]);
  const long = parseLogcat('[ 03-17 16:13:47.123  1234: 1250 I/ActivityManager ]\nStart proc\nsecond line\n\n[ 03-17 16:13:47.124    7:    8 E/Tag      ]\nbad\n\n');
  assert.deepEqual(long.map((e) => [e.time, e.pid, e.tid, e.level, e.tag, e.msg]), [['03-17 16:13:47.123', 1234, 1250, 'I', 'ActivityManager', 'Start proc\nsecond line'], ['03-17 16:13:47.124', 7, 8, 'E', 'Tag', 'bad']]);
});

test('lines that are not entries are kept as text (logcat\'s own errors)', () => {
  const entries = parseLogcat(`${threadtime({ time: '01-02 03:04:05.006', pid: 1, tid: 1, pri: 'I', tag: 'a', msg: 'x' })}read: unexpected EOF!\n`);
  assert.equal(entries.length, 2);
  assert.deepEqual([entries[1].text, entries[1].msg], [true, 'read: unexpected EOF!']);
});

// A real posted crash, `adb logcat` threadtime output, from github.com/redfish64/TinyTravelTracker/issues/38
// (2016, a CyanogenMod phone that adds a "Theme:" line; the blank lines the Markdown added are removed).
const POSTED_JAVA_CRASH = `08-16 22:20:08.163 25819 25854 E AndroidRuntime: FATAL EXCEPTION: Thread-1565
08-16 22:20:08.163 25819 25854 E AndroidRuntime: Process: com.rareventure.gps2, PID: 25819
08-16 22:20:08.163 25819 25854 E AndroidRuntime: Theme: themes:{default=overlay:com.cyngn.hexo, iconPack:system, fontPkg:system, com.android.systemui=overlay:system, com.android.systemui.navbar=overlay:system}
08-16 22:20:08.163 25819 25854 E AndroidRuntime: java.lang.InternalError: Thread starting during runtime shutdown
08-16 22:20:08.163 25819 25854 E AndroidRuntime: \tat java.lang.Thread.nativeCreate(Native Method)
08-16 22:20:08.163 25819 25854 E AndroidRuntime: \tat java.lang.Thread.start(Thread.java:1063)
`;
// A real posted native crash, threadtime, from github.com/HackWebRTC/webrtc/issues/25 (2020, Android 8, Samsung;
// the first and the register lines shortened).
const POSTED_NATIVE_CRASH = `10-28 19:29:47.079 17333 17333 F DEBUG   : *** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***
10-28 19:29:47.079 17333 17333 F DEBUG   : Revision: '4'
10-28 19:29:47.079 17333 17333 F DEBUG   : ABI: 'arm'
10-28 19:29:47.079 17333 17333 F DEBUG   : pid: 26085, tid: 31457, name: DecodingQueue -  >>> com.example <<<
10-28 19:29:47.079 17333 17333 F DEBUG   : signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0xf4240
10-28 19:29:47.096 17333 17333 F DEBUG   : 
10-28 19:29:47.096 17333 17333 F DEBUG   : backtrace:
10-28 19:29:47.096 17333 17333 F DEBUG   :     #00 pc 000f4240  <unknown>
`;

test('a posted Java crash: one entry, one crash with its process, pid, exception and line range', () => {
  const m = new LogcatModel();
  const before = m.add(parseLogcat(threadtime({ time: '08-16 22:20:08.100', pid: 25819, tid: 25819, pri: 'I', tag: 'Gps', msg: 'starting' })));
  const stored = m.add(parseLogcat(POSTED_JAVA_CRASH));
  const after = m.add(parseLogcat(threadtime({ time: '08-16 22:20:08.300', pid: 25819, tid: 25819, pri: 'I', tag: 'Process', msg: 'Sending signal. PID: 25819 SIG: 9' })));
  assert.equal(stored.length, 1, 'the report printed line by line with one header is one entry');
  assert.match(stored[0].msg, /^FATAL EXCEPTION: Thread-1565\nProcess: com\.rareventure\.gps2, PID: 25819\n/);
  const crashes = m.crashes();
  assert.equal(crashes.length, 1);
  assert.deepEqual({ ...crashes[0] }, { id: 1, kind: 'java', pid: 25819, process: 'com.rareventure.gps2', title: 'java.lang.InternalError: Thread starting during runtime shutdown', time: '08-16 22:20:08.163', firstSeq: stored[0].seq, lastSeq: stored[0].seq });
  assert.equal(stored[0].crash, 1);
  assert.equal(before[0].crash, undefined);
  assert.equal(after[0].crash, undefined, 'the line after the report is not part of it');
  assert.equal(m.processOf(25819), 'com.rareventure.gps2', 'the report names the process');
});

test('a crash report printed as several entries (Log.printlns chunks) is one crash spanning them', () => {
  const m = new LogcatModel();
  const text = threadtime({ time: '01-01 00:00:01.000', pid: 50, tid: 50, pri: 'E', tag: 'AndroidRuntime', msg: 'FATAL EXCEPTION: main\nProcess: com.mobileai.notes, PID: 50' })
    + threadtime({ time: '01-01 00:00:01.000', pid: 60, tid: 60, pri: 'I', tag: 'Other', msg: 'interleaved' })
    + threadtime({ time: '01-01 00:00:01.001', pid: 50, tid: 50, pri: 'E', tag: 'AndroidRuntime', msg: 'java.lang.RuntimeException: Unable to start activity\n\tat android.app.ActivityThread.main(ActivityThread.java:1)' })
    + threadtime({ time: '01-01 00:00:02.000', pid: 50, tid: 50, pri: 'E', tag: 'AndroidRuntime', msg: 'FATAL EXCEPTION: worker\nProcess: com.mobileai.notes, PID: 50\njava.lang.OutOfMemoryError' });
  const s = m.add(parseLogcat(text));
  const [a, b] = m.crashes();
  assert.deepEqual([a.firstSeq, a.lastSeq, a.title, b.title, b.firstSeq], [s[0].seq, s[2].seq, 'java.lang.RuntimeException: Unable to start activity', 'java.lang.OutOfMemoryError', s[3].seq]);
  assert.deepEqual(s.map((e) => e.crash), [1, undefined, 1, 2]);
});

test('a posted native crash (debuggerd, tag DEBUG): the crashed process and the signal', () => {
  const m = new LogcatModel();
  m.add(parseLogcat(POSTED_NATIVE_CRASH));
  const [c] = m.crashes();
  assert.deepEqual([c.kind, c.pid, c.process, c.title], ['native', 26085, 'com.example', 'signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0xf4240']);
  assert.equal(m.all().filter((e) => e.crash === c.id).length, 2, 'both entries (two timestamps) belong to the crash');
});

const F = (f: Partial<LogFilter>): LogFilter => ({ ...EMPTY_FILTER, ...f });

test('filters: minimum level, tags (parts, -exclusions, =exact), text and regex, package by its processes', () => {
  const m = new LogcatModel();
  m.setProcesses('  PID NAME\n    1 init\n  700 com.mobileai.notes\n  701 com.mobileai.notes:sync\n  800 com.android.settings\n');
  const lines = [
    { pid: 1, pri: 'V', tag: 'init', msg: 'verbose' },
    { pid: 700, pri: 'D', tag: 'Notes', msg: 'saved note "Shopping"' },
    { pid: 701, pri: 'I', tag: 'NotesSync', msg: 'synced 3' },
    { pid: 800, pri: 'W', tag: 'Settings', msg: 'wifi toggled' },
    { pid: 900, pri: 'E', tag: 'ActivityManager', msg: 'Start proc 900:com.mobileai.notes/u0a12 for activity' },
    { pid: 900, pri: 'F', tag: 'libc', msg: 'Fatal signal 6 (SIGABRT)' },
  ];
  m.add(parseLogcat(lines.map((l, i) => threadtime({ time: `01-01 00:00:0${i}.000`, tid: l.pid, ...l })).join('')));
  const tags = (f: Partial<LogFilter>) => m.filter(F(f)).entries.map((e) => e.tag);
  assert.deepEqual(tags({}), ['init', 'Notes', 'NotesSync', 'Settings', 'ActivityManager', 'libc']);
  assert.deepEqual(tags({ level: 'W' }), ['Settings', 'ActivityManager', 'libc']);
  assert.deepEqual(tags({ level: 'F' }), ['libc']);
  assert.deepEqual(tags({ tag: 'notes' }), ['Notes', 'NotesSync'], 'a part of the tag, any case');
  assert.deepEqual(tags({ tag: '=Notes' }), ['Notes']);
  assert.deepEqual(tags({ tag: 'notes, settings' }), ['Notes', 'NotesSync', 'Settings']);
  assert.deepEqual(tags({ tag: '-notes -init' }), ['Settings', 'ActivityManager', 'libc']);
  assert.deepEqual(tags({ text: 'SHOPPING' }), ['Notes']);
  assert.deepEqual(tags({ text: 'SHOPPING', matchCase: true }), []);
  assert.deepEqual(tags({ text: 'synced \\d+|wifi', regex: true }), ['NotesSync', 'Settings']);
  assert.deepEqual(tags({ package: 'com.mobileai.notes' }), ['Notes', 'NotesSync', 'ActivityManager', 'libc'], 'ps names 700 and 701 (com.mobileai.notes:sync); the Start proc line names 900');
  assert.deepEqual(m.pidsOfPackage('com.mobileai.notes'), [700, 701, 900]);
  assert.deepEqual(tags({ package: 'com.mobileai.notes', level: 'E', tag: 'libc' }), ['libc'], 'all conditions together');
  const bad = m.filter(F({ text: '([', regex: true }));
  assert.match(bad.error ?? '', /Invalid regular expression/);
  assert.equal(bad.entries.length, 6, 'an invalid expression does not hide everything');
  assert.ok(compileFilter(F({}), () => undefined).all);
  // Older phones' toolbox ps: the PID column by its header, the name last.
  m.setProcesses('USER     PID   PPID  VSIZE  RSS     WCHAN    PC         NAME\nu0_a77    4242  198   1234   567   ffffffff 00000000 S com.legacy.app\n');
  assert.equal(m.processOf(4242), 'com.legacy.app');
});

test('filters from the webview are checked: unknown keys, wrong types, bad levels, odd package names are refused', () => {
  assert.ok(isLogFilter(F({ package: 'com.x:remote' })));
  assert.ok(!isLogFilter({ ...F({}), extra: 1 }));
  assert.ok(!isLogFilter({ ...F({}), level: 'X' }));
  assert.ok(!isLogFilter({ ...F({}), regex: 'yes' }));
  assert.ok(!isLogFilter(F({ package: 'com.x; rm -rf /' })));
  assert.ok(!isLogFilter(F({ text: 'x'.repeat(5000) })));
  assert.ok(!isLogFilter(null));
});

test('the ring keeps the newest entries up to its capacity; crashes whose lines were dropped go too', () => {
  const m = new LogcatModel(100);
  const crash = threadtime({ time: '01-01 00:00:00.000', pid: 9, tid: 9, pri: 'E', tag: 'AndroidRuntime', msg: 'FATAL EXCEPTION: main\nProcess: com.a, PID: 9\njava.lang.Error' });
  m.add(parseLogcat(crash));
  const filler = Array.from({ length: 249 }, (_, i) => threadtime({ time: `01-01 00:00:01.${String(i).padStart(3, '0')}`, pid: 1, tid: 1, pri: 'I', tag: 'T', msg: `line ${i}` })).join('');
  m.add(parseLogcat(filler).slice(0, 50));
  assert.equal(m.crashes().length, 1);
  m.add(parseLogcat(filler).slice(50));
  assert.equal(m.size, 100);
  assert.deepEqual([m.firstSeq, m.lastSeq, m.dropped], [151, 250, 150]);
  assert.equal(m.all()[0].msg, 'line 149');
  assert.equal(m.crashes().length, 0);
  assert.deepEqual(m.since(248).map((e) => e.msg), ['line 247', 'line 248']);
  m.clear();
  assert.deepEqual([m.size, m.firstSeq], [0, 251], 'seq goes on after a clear');
});

/** A fake phone: each openExecStream gives a stream the test writes to. */
class FakePhone implements LogcatDevice {
  streams: Array<EventEmitter & { closed: boolean }> = [];
  argv: string[][] = [];
  cleared = 0;
  async openExecStream(_serial: string, argv: readonly string[]) {
    const s = Object.assign(new EventEmitter(), { closed: false });
    this.streams.push(s);
    this.argv.push([...argv]);
    return { stream: s as unknown as NodeJS.ReadableStream, close: () => { s.closed = true; } };
  }
  async exec(_serial: string, argv: readonly string[]) {
    if (argv[0] === 'logcat' && argv[1] === '-c') this.cleared++;
    return { stdout: Buffer.from(argv[0] === 'ps' ? 'PID NAME\n 700 com.mobileai.notes\n' : ''), stderr: Buffer.alloc(0), exitCode: 0 };
  }
}

const until = async (what: string, cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('the live stream: logcat -v threadtime; the last entry waits for quiet; a restart after the phone comes back does not repeat entries', async () => {
  const phone = new FakePhone();
  const model = new LogcatModel();
  const got: string[] = [];
  const ends: string[] = [];
  const s = new LogcatStream(phone, 'serial', model, { onEntries: (es) => got.push(...es.map((e) => e.msg)), onEnd: (r) => ends.push(r) }, { flushMs: 20 });
  await s.start();
  assert.deepEqual(phone.argv[0], ['logcat', '-v', 'threadtime']);
  const line = (t: string, msg: string, tid = 5) => threadtime({ time: `01-01 00:00:${t}`, pid: 5, tid, pri: 'I', tag: 'T', msg });
  phone.streams[0].emit('data', Buffer.from(line('01.000', 'one') + line('02.000', 'two').slice(0, 10)));
  assert.deepEqual(got, []);
  phone.streams[0].emit('data', Buffer.from(line('02.000', 'two').slice(10)));
  await until('one', () => got.length === 1);
  await until('two after quiet', () => got.length === 2);
  assert.deepEqual(got, ['one', 'two']);
  phone.streams[0].emit('end');
  assert.deepEqual(ends, ['logcat ended']);
  assert.equal(s.streaming, false);
  // The phone is back: its buffer starts over from the oldest entry; only what is new is added.
  await s.start();
  phone.streams[1].emit('data', Buffer.from(line('01.000', 'one') + line('02.000', 'two') + line('02.000', 'two-b', 6) + line('03.000', 'three')));
  await until('three', () => got.length === 4);
  assert.deepEqual(got, ['one', 'two', 'two-b', 'three']);
  await s.clear();
  assert.equal(phone.cleared, 1);
  assert.equal(model.size, 0);
  await s.refreshProcesses();
  assert.equal(model.processOf(700), 'com.mobileai.notes');
  s.stop();
  assert.ok(phone.streams[1].closed, 'stop closes the stream on the phone');
});

test('the host accepts only well-formed messages from the Logcat webview', () => {
  const ok: unknown[] = [{ type: 'ready' }, { type: 'clear' }, { type: 'restart' }, { type: 'pause', paused: true }, { type: 'filter', filter: F({ level: 'E', tag: 'ActivityManager' }) }];
  for (const m of ok) assert.ok(isFromLogcatWebview(m), JSON.stringify(m));
  const bad: unknown[] = [null, 'ready', { type: 'ready', extra: 1 }, { type: 'pause', paused: 'yes' }, { type: 'filter', filter: { level: 'E' } }, { type: 'clear', cmd: 'rm -rf /' }, { type: 'exec', argv: ['reboot'] }];
  for (const m of bad) assert.ok(!isFromLogcatWebview(m), JSON.stringify(m));
});
