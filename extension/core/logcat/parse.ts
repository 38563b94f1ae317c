/**
 * Parsing `logcat` text output into entries. The formats are those of liblog's logprint.cpp
 * (android_log_formatLogLine) and the buffer dividers of logcat.cpp (maybePrintStart):
 *
 * - threadtime: `TIME [UID ]PID TID P TAG     : MSG` (`%s %s%5d %5d %c %-8.*s: `), one printed line per line of
 *   the message, each with the same header;
 * - time:       `TIME P/TAG     (PID): MSG`            (`%s %c/%-8.*s(%s%5d): `);
 * - brief:      `P/TAG     (PID): MSG`                 (`%c/%-8.*s(%s%5d): `);
 * - long:       `[ TIME [UID ]PID:TID P/TAG ]` then the message, then a blank line;
 * - TIME is `%m-%d %H:%M:%S.mmm` (`-v year`: `%Y-…`; `usec`/`nsec`: 6 or 9 digits; `epoch`: seconds `%19lld`;
 *   `monotonic`: `%6lld`; `zone`: ` %z` appended);
 * - `--------- beginning of main` / `--------- switch to system` between buffers.
 *
 * A message of several lines (a stack trace) is one entry: threadtime prints each line with an identical
 * header, so consecutive lines with the same header are joined.
 */

export const LEVELS = ['V', 'D', 'I', 'W', 'E', 'F'] as const;
export type LogLevel = (typeof LEVELS)[number];

export interface LogEntry {
  /** As printed by logcat (e.g. `03-17 16:13:47.123`); empty for text lines. */
  time: string;
  pid: number;
  tid: number;
  /** `-v uid` only. */
  uid?: string;
  level: LogLevel;
  tag: string;
  /** The message; lines of a multi-line message are joined with `\n`. */
  msg: string;
  /** The buffer named by the last `--------- beginning of X` line, when logcat printed one. */
  buffer?: string;
  /** A line that is not a log entry (a logcat error such as `read: unexpected EOF!`). */
  text?: true;
}

export type LogFormat = 'threadtime' | 'time' | 'brief' | 'long';

/** Turns logcat's priority letters into a level (`A`, assert, prints as `F` in current logcat; old ones printed `A`). */
function level(c: string): LogLevel {
  return c === 'A' ? 'F' : (c as LogLevel);
}

const TIME = String.raw`(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3,9}(?: [+-]\d{4})?|\s*-?\d+\.\d{3,9}`;
const THREADTIME = new RegExp(String.raw`^(${TIME}) +(?:(\S+) +)?(\d+) +(\d+) ([VDIWEFA]) (.*?) *: ?(.*)$`);
const TIMEFMT = new RegExp(String.raw`^(${TIME}) ([VDIWEFA])/(.*?) *\( *(?:(\S+): *)?(\d+)\): ?(.*)$`);
const BRIEF = /^([VDIWEFA])\/(.*?) *\( *(?:(\S+): *)?(\d+)\): ?(.*)$/;
const LONG = new RegExp(String.raw`^\[ (${TIME}) +(?:(\S+) +)?(\d+): *(\d+) ([VDIWEFA])/(.*?) *\]$`);
const DIVIDER = /^--------- (?:beginning of|switch to) (\S+)$/;

function sameHeader(a: LogEntry, b: LogEntry): boolean {
  return !a.text && !b.text && a.time === b.time && a.pid === b.pid && a.tid === b.tid && a.level === b.level && a.tag === b.tag && a.uid === b.uid;
}

export interface ParsedLine {
  entry?: LogEntry;
  format?: LogFormat;
  divider?: string;
}

/** One printed line, on its own (no state): a threadtime/time/brief entry, a long header, or a divider. */
export function parseLine(line: string): ParsedLine {
  let m = DIVIDER.exec(line);
  if (m) return { divider: m[1] };
  m = THREADTIME.exec(line);
  if (m) return { format: 'threadtime', entry: { time: m[1].trim(), uid: m[2], pid: Number(m[3]), tid: Number(m[4]), level: level(m[5]), tag: m[6], msg: m[7] } };
  m = TIMEFMT.exec(line);
  if (m) return { format: 'time', entry: { time: m[1].trim(), level: level(m[2]), tag: m[3], uid: m[4], pid: Number(m[5]), tid: 0, msg: m[6] } };
  m = LONG.exec(line);
  if (m) return { format: 'long', entry: { time: m[1].trim(), uid: m[2], pid: Number(m[3]), tid: Number(m[4]), level: level(m[5]), tag: m[6], msg: '' } };
  m = BRIEF.exec(line);
  if (m) return { format: 'brief', entry: { time: '', level: level(m[1]), tag: m[2], uid: m[3], pid: Number(m[4]), tid: 0, msg: m[5] } };
  return {};
}

function clean(e: LogEntry): LogEntry {
  if (e.uid === undefined) delete e.uid;
  if (e.buffer === undefined) delete e.buffer;
  return e;
}

/**
 * A streaming parser: feed it text as it arrives (any chunking), take the entries it completes. The last
 * entry is held back until a line with another header arrives (it may go on), or until `flush()`.
 */
export class LogcatParser {
  private partial = '';
  private pending: LogEntry | undefined;
  /** In `long` format: inside a message (after its header). */
  private longOpen = false;
  private longLines = 0;
  private blankLines = 0;
  private buffer: string | undefined;
  /** Longest message kept (characters); logd itself caps a message at about 4 KiB, a joined trace can be longer. */
  static readonly MAX_MESSAGE = 64 * 1024;

  push(text: string): LogEntry[] {
    const out: LogEntry[] = [];
    const data = this.partial + text;
    let start = 0;
    for (;;) {
      const nl = data.indexOf('\n', start);
      if (nl < 0) break;
      let line = data.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.line(line, out);
      start = nl + 1;
    }
    this.partial = data.slice(start);
    // A line without its end that never ends would grow without bound: cut it as a line of its own.
    if (this.partial.length > LogcatParser.MAX_MESSAGE) {
      this.line(this.partial, out);
      this.partial = '';
    }
    return out;
  }

  /** Ends the held-back entry (and a last line without its newline). */
  flush(): LogEntry[] {
    const out: LogEntry[] = [];
    if (this.partial) {
      const line = this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial;
      this.partial = '';
      this.line(line, out);
    }
    this.finish(out);
    return out;
  }

  private finish(out: LogEntry[]): void {
    if (this.pending) out.push(clean(this.pending));
    this.pending = undefined;
    this.longOpen = false;
    this.blankLines = 0;
  }

  private append(e: LogEntry, line: string): void {
    if (e.msg.length + line.length < LogcatParser.MAX_MESSAGE) e.msg += `\n${line}`;
  }

  private line(line: string, out: LogEntry[]): void {
    const p = parseLine(line);
    if (p.divider) {
      this.finish(out);
      this.buffer = p.divider;
      return;
    }
    if (this.longOpen && p.format !== 'long') {
      // Inside a long-format message: everything up to the next header is the message; its closing blank
      // line (logprint prints "\n\n" after the message) is not part of it.
      const e = this.pending as LogEntry;
      if (line === '') {
        this.blankLines++;
        return;
      }
      if (this.longLines === 0) e.msg = line;
      else {
        for (let i = 0; i < this.blankLines; i++) this.append(e, '');
        this.append(e, line);
      }
      this.longLines++;
      this.blankLines = 0;
      return;
    }
    if (p.entry) {
      const e = p.entry;
      e.buffer = this.buffer;
      if (p.format === 'long') {
        this.finish(out);
        this.pending = e;
        this.longOpen = true;
        this.longLines = 0;
        return;
      }
      if (this.pending && sameHeader(this.pending, e) && p.format === 'threadtime') {
        this.append(this.pending, e.msg);
        return;
      }
      this.finish(out);
      this.pending = e;
      return;
    }
    if (line === '') return;
    // Not an entry: a logcat message of its own (errors, "--------- …" variants), shown as text.
    this.finish(out);
    out.push({ time: '', pid: 0, tid: 0, level: 'I', tag: '', msg: line, text: true, ...(this.buffer ? { buffer: this.buffer } : {}) });
  }
}

/** Parses a whole dump (`logcat -d`) at once. */
export function parseLogcat(text: string): LogEntry[] {
  const p = new LogcatParser();
  return [...p.push(text), ...p.flush()];
}

export function levelRank(l: LogLevel): number {
  return LEVELS.indexOf(l);
}
