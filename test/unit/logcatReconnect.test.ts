/**
 * The Logcat view when the phone goes away and comes back, with the timing taken out of it:
 * - the restarted stream skips what was already shown until the first entry newer than the last one shown, however
 *   slowly the phone's buffer is replayed (no idle timer decides it);
 * - a phone that restarted (its boot id changed) or whose clock was set back still gets its new lines shown;
 * - the panel: a retry set when the stream ended is dropped once the phone is known to be gone, and a start the
 *   phone's going away overtook does not say "streaming"; every reset names the filter its rows belong to.
 *
 * Facts used (and where from):
 * - threadtime times are "%m-%d %H:%M:%S.%03ld", no year (liblog logprint.cpp android_log_formatLogLine);
 * - after a restart `logcat` prints the buffer again from its oldest entry (logcat.cpp, no -T/-t given);
 * - logd keeps its buffers in RAM (logd/SerializedLogBuffer.cpp), so a reboot empties them; the kernel's boot id
 *   (/proc/sys/kernel/random/boot_id, drivers/char/random.c proc_do_uuid: generated once per boot; Android apps
 *   read it too, e.g. memfault's bort LinuxBootIdFileReader) tells boots apart;
 * - logd (system/core logd/SerializedFlushToState.cpp PopNextUnreadLog) hands out entries by sequence number, the
 *   order they arrived, so entries a client stamped a few ms earlier can follow later ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { waitFor } from '../helpers/adbServer';
import { installVscodeStub, type FakePanel } from '../helpers/vscodeStub';
import { LogcatModel } from '../../extension/core/logcat/model';
import { LogcatStream, timeDiffMs, type LogcatDevice } from '../../extension/core/logcat/session';
import { EMPTY_FILTER } from '../../extension/core/logcat/filter';

const stub = installVscodeStub();

/** One threadtime line as logprint prints it ("%s %5d %5d %c %-8.*s: "). */
function line(time: string, msg: string, tid = 5): string {
  return `${time} ${String(5).padStart(5)} ${String(tid).padStart(5)} I ${'T'.padEnd(8)}: ${msg}\n`;
}

type FakeStream = EventEmitter & { closed: boolean };

class FakePhone implements LogcatDevice {
  streams: FakeStream[] = [];
  bootId = '6f0c3b0e-1d2a-4c5b-9e8f-0a1b2c3d4e5f';
  /** Holds the opening of the stream (to let the phone go away while a start is under way). */
  gate: Promise<void> | undefined;
  opening = 0;
  async openExecStream(_serial: string, _argv: readonly string[]) {
    this.opening++;
    await this.gate;
    const s = Object.assign(new EventEmitter(), { closed: false });
    this.streams.push(s);
    return { stream: s as unknown as NodeJS.ReadableStream, close: () => { s.closed = true; } };
  }
  async exec(_serial: string, argv: readonly string[]) {
    if (argv[0] === 'cat' && argv[1] === '/proc/sys/kernel/random/boot_id') {
      return { stdout: Buffer.from(`${this.bootId}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
    }
    return { stdout: Buffer.from(argv[0] === 'ps' ? 'PID NAME\n' : ''), stderr: Buffer.alloc(0), exitCode: 0 };
  }
  last(): FakeStream {
    return this.streams[this.streams.length - 1];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = <T>(what: string, fn: () => T | undefined) => waitFor(what, fn, 10000, 5);

function session() {
  const phone = new FakePhone();
  const got: string[] = [];
  const s = new LogcatStream(phone, 'serial', new LogcatModel(), { onEntries: (es) => got.push(...es.map((e) => e.msg)), onEnd: () => undefined }, { flushMs: 10 });
  return { phone, got, s };
}

/** Shows a, b, c (01-01 10:00:01..03), then the stream ends (the phone went away). */
async function shownThenGone(x: ReturnType<typeof session>): Promise<void> {
  await x.s.start();
  x.phone.last().emit('data', Buffer.from(line('01-01 10:00:01.000', 'a') + line('01-01 10:00:02.000', 'b') + line('01-01 10:00:03.000', 'c')));
  await until('a, b, c', () => x.got.length === 3);
  x.phone.last().emit('end');
}

test('threadtime times compare across the turn of the year; other forms as text', () => {
  assert.equal(timeDiffMs('01-01 10:00:01.500', '01-01 10:00:01.000'), 500);
  assert.equal(timeDiffMs('01-01 00:00:01.000', '12-31 23:59:59.000'), 2000, 'the year turned');
  assert.equal(timeDiffMs('12-31 23:59:59.000', '01-01 00:00:01.000'), -2000);
  assert.equal(timeDiffMs('03-01 00:00:00.000', '02-28 00:00:00.000'), 2 * 86400_000, 'no year: February has 29 days here (a day too many in 3 years of 4; the order is right)');
  assert.ok(timeDiffMs('1717571289.250', '1717571289.125') > 0);
});

test('a slowly replayed buffer (pieces far apart) adds no copies; the first newer entry and all after it show', async () => {
  const x = session();
  await shownThenGone(x);
  await x.s.start();
  const st = x.phone.last();
  // The old entries come in pieces, each further apart than any "the replay is over" quiet time could be.
  st.emit('data', Buffer.from(line('01-01 10:00:01.000', 'a')));
  await sleep(600);
  st.emit('data', Buffer.from(line('01-01 10:00:02.000', 'b')));
  await sleep(600);
  st.emit('data', Buffer.from(line('01-01 10:00:03.000', 'c') + line('01-01 10:00:03.000', 'c-other-thread', 6)));
  await sleep(600);
  st.emit('data', Buffer.from(line('01-01 10:00:04.000', 'd') + line('01-01 10:00:02.000', 'e, stamped before d (out of order)')));
  await until('d', () => x.got.includes('e, stamped before d (out of order)'));
  assert.deepEqual(x.got, ['a', 'b', 'c', 'c-other-thread', 'd', 'e, stamped before d (out of order)']);
});

test('a phone that restarted with its clock behind: a new boot id, so every line of the new boot shows', async () => {
  const x = session();
  await shownThenGone(x);
  x.phone.bootId = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
  await x.s.start();
  x.phone.last().emit('data', Buffer.from(line('01-01 00:00:05.000', 'boot 1') + line('01-01 00:00:06.000', 'boot 2')));
  await until('the new boot\'s lines', () => x.got.length === 5);
  assert.deepEqual(x.got.slice(3), ['boot 1', 'boot 2']);
  // The same boot again: the buffer replayed is skipped.
  x.phone.last().emit('end');
  await x.s.start();
  x.phone.last().emit('data', Buffer.from(line('01-01 00:00:05.000', 'boot 1') + line('01-01 00:00:06.000', 'boot 2') + line('01-01 00:00:07.000', 'boot 3')));
  await until('boot 3', () => x.got.includes('boot 3'));
  assert.deepEqual(x.got.slice(3), ['boot 1', 'boot 2', 'boot 3']);
});

test('the clock set back while away (same boot): lines after the step back show; a small reordering does not end the skipping', async () => {
  const x = session();
  await shownThenGone(x);
  await x.s.start();
  const st = x.phone.last();
  st.emit('data', Buffer.from(line('01-01 10:00:01.000', 'a') + line('01-01 10:00:02.000', 'b') + line('01-01 10:00:01.900', 'old, 100 ms out of order')));
  await sleep(100);
  assert.deepEqual(x.got, ['a', 'b', 'c'], 'nothing new yet');
  st.emit('data', Buffer.from(line('01-01 10:00:03.000', 'c') + line('01-01 08:00:00.000', 'after the clock went back two hours') + line('01-01 08:00:01.000', 'and on')));
  await until('the lines after the step back', () => x.got.includes('and on'));
  assert.deepEqual(x.got.slice(3), ['after the clock went back two hours', 'and on']);
});

// ---- the panel ------------------------------------------------------------------------------------------

interface State { type: 'state'; state: string; message: string }

function panelWorld() {
  const phone = new FakePhone();
  const listeners: Array<() => void> = [];
  const store = {
    adb: phone,
    devices: [{ serial: 'emulator-5554', state: 'device' }],
    known: () => ({ model: 'Pixel' }),
    onDidChange: (l: () => void) => { listeners.push(l); return { dispose: () => undefined }; },
  };
  const gone = () => { store.devices = []; for (const l of listeners) l(); };
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return { phone, store, gone, log };
}

async function openPanel(w: ReturnType<typeof panelWorld>): Promise<FakePanel> {
  const { LogcatPanel } = await import('../../extension/vscode/logcat/logcatPanel');
  LogcatPanel.open.clear();
  new LogcatPanel(stub.context() as never, w.store as never, w.log as never, 'emulator-5554');
  return stub.panels[stub.panels.length - 1];
}

const states = (p: FakePanel) => p.posted.filter((m): m is State => (m as State).type === 'state');

test('the stream ends, then the tracker says the phone is gone: the retry is dropped, the view stays "not connected"', async (t) => {
  const w = panelWorld();
  const p = await openPanel(w);
  t.mock.timers.enable({ apis: ['setTimeout'] });
  try {
    await p.handlers[0]({ type: 'ready' });
    assert.equal(states(p).at(-1)?.state, 'streaming');
    w.phone.last().emit('end');
    assert.equal(states(p).at(-1)?.state, 'error', 'the phone still listed: logcat is retried');
    w.gone();
    assert.equal(states(p).at(-1)?.state, 'disconnected');
    const opened = w.phone.streams.length;
    t.mock.timers.tick(60_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(states(p).at(-1)?.state, 'disconnected', JSON.stringify(states(p).map((s) => s.state)));
    assert.match(states(p).at(-1)!.message, /not connected.*kept.*resumes when the phone is back/);
    assert.equal(w.phone.streams.length, opened, 'no logcat started on a phone that is gone');
  } finally {
    t.mock.timers.reset();
    p.dispose();
  }
});

test('the phone goes away while logcat is starting: the view says "not connected", not "streaming"', async () => {
  const w = panelWorld();
  let open: () => void = () => undefined;
  w.phone.gate = new Promise<void>((r) => (open = r));
  const p = await openPanel(w);
  try {
    const ready = p.handlers[0]({ type: 'ready' });
    await until('the start to be under way', () => w.phone.opening === 1);
    w.gone();
    open();
    await ready;
    await sleep(20);
    assert.deepEqual(states(p).map((s) => s.state), ['starting', 'disconnected']);
  } finally {
    p.dispose();
  }
});

test('every reset names the filter its rows belong to', async () => {
  const w = panelWorld();
  const p = await openPanel(w);
  try {
    await p.handlers[0]({ type: 'ready' });
    w.phone.last().emit('data', Buffer.from(line('01-01 10:00:01.000', 'hello') + line('01-01 10:00:02.000', 'other')));
    const filter = { ...EMPTY_FILTER, text: 'hello', package: '' };
    await p.handlers[0]({ type: 'filter', filter });
    const resets = p.posted.filter((m) => (m as { type: string }).type === 'reset') as Array<{ filter: unknown; rows: Array<{ msg: string }> }>;
    assert.deepEqual(resets[0].filter, EMPTY_FILTER, 'the first reset: no filter');
    assert.deepEqual(resets.at(-1)!.filter, filter);
    assert.deepEqual(resets.at(-1)!.rows.map((r) => r.msg), ['hello']);
  } finally {
    p.dispose();
  }
});
