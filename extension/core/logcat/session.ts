/**
 * A live `logcat` on one phone: streams `logcat -v threadtime` over `exec:` (the whole buffer, then new
 * entries as they come, as Android Studio shows it), parses it into a LogcatModel, and carries on after the
 * phone goes away and comes back without repeating what was already shown.
 *
 * After a restart logcat prints the phone's whole buffer again (oldest first), then new entries. What was
 * already shown is skipped until the first entry newer than the last one shown ("catching up"); that entry,
 * and everything after it, is new. No timer decides it: a buffer replayed slowly, in pieces, is still skipped.
 * The time alone cannot tell when the phone's clock went back, so two facts of the phone end the skipping too:
 * - its boot id (/proc/sys/kernel/random/boot_id, new at every boot) changed: logd keeps its buffers in RAM, so
 *   after a reboot every entry is new, whatever its time (a phone without a network clock yet starts in the past);
 * - within the replayed stream, an entry more than a minute older than the entry before it: logd hands entries
 *   out in the order they came (SerializedFlushToState::PopNextUnreadLog takes the lowest sequence number across
 *   the buffers, Android 12+; the clients' own time stamps differ from that order by milliseconds), so a step back
 *   that large is the clock being set back, and what follows was logged after everything shown. (Older logd kept
 *   its list sorted by time: there a clock set back without a reboot shows no step, and its lines wait until the
 *   clock passes the last one shown.)
 */
import { StringDecoder } from 'node:string_decoder';
import { LogcatParser, type LogEntry } from './parse';
import type { LogcatModel, StoredEntry } from './model';
import { errorMessage, silentLogger, type Logger } from '../util/log';

export interface LogcatDevice {
  openExecStream(serial: string, argv: readonly string[]): Promise<{ stream: NodeJS.ReadableStream; close(): void }>;
  exec(serial: string, argv: readonly string[], opts?: { timeoutMs?: number }): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }>;
}

export const LOGCAT_ARGV = ['logcat', '-v', 'threadtime'] as const;

export interface LogcatStreamEvents {
  /** New entries, as stored in the model (in order). */
  onEntries(entries: StoredEntry[]): void;
  /** The stream ended without stop() (the phone went away, adb restarted, logcat exited). */
  onEnd(reason: string): void;
  log?: Logger;
}

function key(e: LogEntry): string {
  return `${e.pid}/${e.tid}/${e.level}/${e.tag}/${e.msg}`;
}

/** A step back in time this large within one stream is the phone's clock being set back (see above). */
export const CLOCK_STEP_BACK_MS = 60_000;
/** The times are placed in 2000, a leap year, so that 02-29 has a place: its length, for the turn of the year. */
const YEAR_MS = 366 * 24 * 3600_000;
const THREADTIME_TIME = /^(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{1,9})$/;

function msOfYear(t: string): number | undefined {
  const m = THREADTIME_TIME.exec(t);
  if (!m) return undefined;
  return Date.UTC(2000, Number(m[1]) - 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) + Math.floor(Number(`0.${m[6]}`) * 1000);
}

/**
 * a − b in ms for threadtime times (`MM-DD hh:mm:ss.mmm`, no year): a difference of more than half a year is
 * taken as the year turning (12-31 then 01-01 is one day later). Times in another form compare as text (±1).
 */
export function timeDiffMs(a: string, b: string): number {
  const x = msOfYear(a);
  const y = msOfYear(b);
  if (x === undefined || y === undefined) return a === b ? 0 : a > b ? 1 : -1;
  let d = x - y;
  if (d > YEAR_MS / 2) d -= YEAR_MS;
  else if (d < -YEAR_MS / 2) d += YEAR_MS;
  return d;
}

const BOOT_ID = '/proc/sys/kernel/random/boot_id';

export class LogcatStream {
  private conn: { stream: NodeJS.ReadableStream; close(): void } | undefined;
  private parser = new LogcatParser();
  private flushTimer: NodeJS.Timeout | undefined;
  private running = false;
  private generation = 0;
  /** The newest entry shown: a restarted stream skips what it repeats from the phone's buffer. */
  private lastTime = '';
  private lastKeys = new Set<string>();
  private catchingUp = false;
  /** The time of the previous entry in this stream (a large step back is the clock set back). */
  private prevTime = '';
  /** The phone's boot id when the last stream started ('' when it could not be read). */
  private bootId = '';
  private readonly log: Logger;
  /** Entries received in this stream (for the "logcat printed nothing" diagnosis). */
  received = 0;

  constructor(private readonly device: LogcatDevice, readonly serial: string, private readonly model: LogcatModel, private readonly events: LogcatStreamEvents, private readonly opts: { flushMs?: number } = {}) {
    this.log = events.log ?? silentLogger;
  }

  get streaming(): boolean {
    return this.running;
  }

  /** Starts (or restarts) streaming. Rejects when the phone cannot run logcat. */
  async start(): Promise<void> {
    this.stopStream();
    const gen = ++this.generation;
    this.parser = new LogcatParser();
    this.received = 0;
    this.prevTime = '';
    const boot = await this.readBootId();
    if (gen !== this.generation) return;
    if (boot && this.bootId && boot !== this.bootId && this.lastTime) {
      this.log.info(`[${this.serial}] logcat: the phone restarted (new boot id); its log starts over, every entry is new`);
      this.lastTime = '';
      this.lastKeys = new Set();
    }
    if (boot) this.bootId = boot;
    this.catchingUp = this.lastTime !== '';
    const conn = await this.device.openExecStream(this.serial, LOGCAT_ARGV);
    if (gen !== this.generation) {
      conn.close();
      return;
    }
    this.conn = conn;
    this.running = true;
    const decoder = new StringDecoder('utf8');
    const stream = conn.stream;
    let ended = false;
    const end = (reason: string) => {
      if (ended || gen !== this.generation) return;
      ended = true;
      this.deliver(this.parser.push(decoder.end()));
      this.deliver(this.parser.flush());
      this.running = false;
      this.conn = undefined;
      clearTimeout(this.flushTimer);
      this.events.onEnd(reason);
    };
    stream.on('data', (chunk: Buffer) => {
      if (gen !== this.generation) return;
      this.deliver(this.parser.push(decoder.write(chunk)));
      clearTimeout(this.flushTimer);
      // The last entry may go on (a stack trace arriving in pieces): held back until the stream is quiet.
      this.flushTimer = setTimeout(() => {
        if (gen === this.generation) this.deliver(this.parser.flush());
      }, this.opts.flushMs ?? 40);
    });
    stream.on('end', () => end('logcat ended'));
    stream.on('close', () => end('logcat ended'));
    stream.on('error', (err: Error) => end(errorMessage(err)));
  }

  private deliver(entries: LogEntry[]): void {
    if (!entries.length) return;
    let fresh = entries;
    if (this.catchingUp) {
      fresh = [];
      for (const e of entries) {
        if (this.catchingUp && e.time) {
          const prev = this.prevTime;
          this.prevTime = e.time;
          if (prev && timeDiffMs(e.time, prev) < -CLOCK_STEP_BACK_MS) {
            this.catchingUp = false;
            this.log.info(`[${this.serial}] logcat: the phone's clock went back (${prev} then ${e.time}); what follows is new`);
          } else {
            const d = e.time === this.lastTime ? 0 : timeDiffMs(e.time, this.lastTime);
            if (d < 0 || (d === 0 && this.lastKeys.has(key(e)))) continue;
            if (d > 0) this.catchingUp = false;
          }
        }
        fresh.push(e);
      }
      if (!fresh.length) return;
    }
    for (const e of fresh) {
      if (!e.time) continue;
      this.prevTime = e.time;
      if (e.time !== this.lastTime) {
        this.lastTime = e.time;
        this.lastKeys = new Set();
      }
      this.lastKeys.add(key(e));
    }
    this.received += fresh.length;
    this.events.onEntries(this.model.add(fresh));
  }

  private stopStream(): void {
    this.generation++;
    clearTimeout(this.flushTimer);
    this.running = false;
    const c = this.conn;
    this.conn = undefined;
    c?.close();
  }

  stop(): void {
    this.stopStream();
  }

  /** The phone's boot id, or '' when it cannot be read (then only the times decide what is new). */
  private async readBootId(): Promise<string> {
    try {
      const r = await this.device.exec(this.serial, ['cat', BOOT_ID], { timeoutMs: 5000 });
      const id = r.stdout.toString('utf8').trim();
      return r.exitCode === 0 && /^[0-9a-f-]{16,}$/i.test(id) ? id : '';
    } catch (err) {
      this.log.warn(`[${this.serial}] logcat: cannot read the boot id: ${errorMessage(err)}`);
      return '';
    }
  }

  /** `logcat -c` on the phone, and an empty view. The stream goes on with what comes next. */
  async clear(): Promise<void> {
    const r = await this.device.exec(this.serial, ['logcat', '-c'], { timeoutMs: 10000 });
    if (r.exitCode !== 0) {
      const why = (r.stderr.toString('utf8') || r.stdout.toString('utf8')).trim();
      throw new Error(`logcat -c failed on ${this.serial}${why ? `: ${why}` : ` (exit ${r.exitCode})`}`);
    }
    this.model.clear();
    this.log.info(`[${this.serial}] logcat cleared`);
  }

  /** Reads the phone's processes (`ps -A -o PID,NAME`; plain `ps` on phones before Android 8) for the package filter. */
  async refreshProcesses(): Promise<void> {
    let r = await this.device.exec(this.serial, this.psArgv, { timeoutMs: 10000 });
    if (r.exitCode !== 0 && this.psArgv.length > 1) {
      this.log.warn(`[${this.serial}] ${this.psArgv.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim()}; using plain ps`);
      this.psArgv = ['ps'];
      r = await this.device.exec(this.serial, this.psArgv, { timeoutMs: 10000 });
    }
    if (r.exitCode === 0) this.model.setProcesses(r.stdout.toString('utf8'));
  }

  private psArgv: string[] = ['ps', '-A', '-o', 'PID,NAME'];
}
