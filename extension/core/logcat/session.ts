/**
 * A live `logcat` on one phone: streams `logcat -v threadtime` over `exec:` (the whole buffer, then new
 * entries as they come, as Android Studio shows it), parses it into a LogcatModel, and carries on after the
 * phone goes away and comes back without repeating what was already shown.
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

export class LogcatStream {
  private conn: { stream: NodeJS.ReadableStream; close(): void } | undefined;
  private parser = new LogcatParser();
  private flushTimer: NodeJS.Timeout | undefined;
  private catchUpTimer: NodeJS.Timeout | undefined;
  private running = false;
  private generation = 0;
  /** The newest entry shown: a restarted stream skips what it repeats from the phone's buffer. */
  private lastTime = '';
  private lastKeys = new Set<string>();
  private catchingUp = false;
  private readonly log: Logger;
  /** Entries received in this stream (for the "logcat printed nothing" diagnosis). */
  received = 0;

  constructor(private readonly device: LogcatDevice, readonly serial: string, private readonly model: LogcatModel, private readonly events: LogcatStreamEvents, private readonly opts: { flushMs?: number; catchUpIdleMs?: number } = {}) {
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
      clearTimeout(this.catchUpTimer);
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
      if (this.catchingUp) {
        clearTimeout(this.catchUpTimer);
        // The buffer's old entries come in one burst; once the stream is quiet, everything is new.
        this.catchUpTimer = setTimeout(() => { this.catchingUp = false; }, this.opts.catchUpIdleMs ?? 400);
      }
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
          if (e.time < this.lastTime || (e.time === this.lastTime && this.lastKeys.has(key(e)))) continue;
          if (e.time > this.lastTime) this.catchingUp = false;
        }
        fresh.push(e);
      }
      if (!fresh.length) return;
    }
    for (const e of fresh) {
      if (!e.time) continue;
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
    clearTimeout(this.catchUpTimer);
    this.running = false;
    const c = this.conn;
    this.conn = undefined;
    c?.close();
  }

  stop(): void {
    this.stopStream();
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
