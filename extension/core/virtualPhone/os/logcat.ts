/**
 * logd on the virtual phone: a ring per log buffer, counted in bytes as logd counts them, that `logcat`
 * reads, clears, sizes and follows; and liblog's text formats (logprint.cpp) and tag filters.
 */

/** The log buffers, in log_id_t order (system/logging/liblog/include/android/log.h). */
export const LOG_IDS = ['main', 'radio', 'events', 'system', 'crash', 'stats', 'security', 'kernel'] as const;
export type LogId = (typeof LOG_IDS)[number];

export type LogLevel = 'V' | 'D' | 'I' | 'W' | 'E' | 'F';

/** One log line as logd keeps it. */
export interface LogEntry {
  buffer: LogId;
  /** V D I W E F (A = assert is shown as F). */
  level: LogLevel;
  tag: string;
  msg: string;
  pid: number;
  tid: number;
  uid: number;
  /** ms since epoch (with sub-ms precision where known). */
  time: number;
  /** The same instant in whole microseconds since the epoch (what the formats print). */
  us: number;
  /** Order of arrival in logd (readers merge buffers by it). */
  seq: number;
}

export type LogInput = Omit<LogEntry, 'time' | 'tid' | 'pid' | 'uid' | 'buffer' | 'us' | 'seq'> & Partial<Pick<LogEntry, 'time' | 'tid' | 'pid' | 'uid' | 'buffer'>>;

/** logd's default ring size per buffer on Android 14 (logd/LogSize.h kDefaultLogBufferSize), and its bounds for -G. */
export const DEFAULT_BUFFER_BYTES = 256 * 1024;
export const MIN_BUFFER_BYTES = 64 * 1024;
export const MAX_BUFFER_BYTES = 256 * 1024 * 1024;
/** LOGGER_ENTRY_MAX_LEN and LOGGER_ENTRY_MAX_PAYLOAD (liblog/include/log/log_read.h). */
export const LOGGER_ENTRY_MAX_LEN = 5 * 1024;
export const LOGGER_ENTRY_MAX_PAYLOAD = 4068;
/** struct logger_entry (v4) is 28 bytes: len, hdr_size, pid, tid, sec, nsec, lid, uid. */
export const LOGGER_ENTRY_HEADER = 28;

const PRIORITY: Record<LogLevel | 'S', number> = { V: 2, D: 3, I: 4, W: 5, E: 6, F: 7, S: 8 };
/** ANDROID_LOG_DEFAULT: a filter without its own priority. */
const DEFAULT_PRI = 1;

export function levelNumber(l: LogLevel): number {
  return PRIORITY[l];
}

/** Wall clock in microseconds that never goes backwards between two reads. */
const hrBase = Date.now() * 1000 - Number(process.hrtime.bigint() / 1000n);
function clockUs(): number {
  return hrBase + Number(process.hrtime.bigint() / 1000n);
}

function payloadBytes(tag: string, msg: string): number {
  return 1 + Buffer.byteLength(tag) + 1 + Buffer.byteLength(msg) + 1;
}

class Ring {
  entries: LogEntry[] = [];
  head = 0;
  bytes = 0;
  constructor(public size: number) {}
  get length(): number {
    return this.entries.length - this.head;
  }
  push(e: LogEntry, cost: number): void {
    this.entries.push(e);
    this.bytes += cost;
    this.prune();
  }
  prune(): void {
    while (this.bytes > this.size && this.length > 0) {
      const old = this.entries[this.head++];
      this.bytes -= entryBytes(old);
    }
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }
  live(): LogEntry[] {
    return this.entries.slice(this.head);
  }
}

/** What one entry costs in logd's ring: the logger_entry header and its payload. */
export function entryBytes(e: Pick<LogEntry, 'tag' | 'msg'>): number {
  return LOGGER_ENTRY_HEADER + payloadBytes(e.tag, e.msg);
}

/** The phone's log buffers (logd): a ring per buffer that `logcat` reads, clears and follows. */
export class LogBuffer {
  private readonly rings = new Map<LogId, Ring>();
  private readonly followers = new Set<(e: LogEntry) => void>();
  private seq = 0;
  private lastUs = 0;

  constructor(opts: { sizeBytes?: number } = {}) {
    for (const id of LOG_IDS) this.rings.set(id, new Ring(opts.sizeBytes ?? DEFAULT_BUFFER_BYTES));
  }

  /** The logging clock (µs since the epoch), as entries are stamped. */
  nowUs(): number {
    return Math.max(clockUs(), this.lastUs);
  }

  write(e: LogInput): LogEntry {
    const buffer = e.buffer ?? 'main';
    let us: number;
    if (e.time !== undefined) us = Math.round(e.time * 1000);
    else us = this.nowUs();
    this.lastUs = Math.max(this.lastUs, us);
    const pid = e.pid ?? 0;
    let msg = e.msg;
    // liblog cuts a payload (priority, tag, message and their NULs) at LOGGER_ENTRY_MAX_PAYLOAD bytes.
    const over = payloadBytes(e.tag, msg) - LOGGER_ENTRY_MAX_PAYLOAD;
    if (over > 0) {
      const b = Buffer.from(msg);
      msg = b.subarray(0, Math.max(0, b.length - over)).toString('utf8').replace(/\uFFFD+$/, '');
    }
    const entry: LogEntry = {
      buffer, level: e.level, tag: e.tag, msg, pid, tid: e.tid ?? pid, uid: e.uid ?? 0, time: us / 1000, us, seq: ++this.seq,
    };
    (this.rings.get(buffer) as Ring).push(entry, entryBytes(entry));
    for (const f of this.followers) {
      try { f(entry); } catch { /* a reader's failure does not stop logging */ }
    }
    return entry;
  }

  /** Empties the named buffers (`logcat -c`). */
  clear(buffers: readonly LogId[] = LOG_IDS): void {
    for (const b of buffers) this.rings.get(b)?.clear();
  }

  /** What the buffers hold, oldest first, interleaved as logd hands them to a reader. */
  read(buffers: readonly LogId[] = LOG_IDS, filter?: (e: LogEntry) => boolean): LogEntry[] {
    const all: LogEntry[] = [];
    for (const b of new Set(buffers)) for (const e of (this.rings.get(b) as Ring).live()) if (!filter || filter(e)) all.push(e);
    return all.sort((a, b) => a.seq - b.seq);
  }

  /** Calls `cb` with every entry written from now on; returns the unsubscribe function. */
  follow(cb: (e: LogEntry) => void): () => void {
    this.followers.add(cb);
    return () => {
      this.followers.delete(cb);
    };
  }

  /** The newest entry of a buffer. */
  last(buffer: LogId): LogEntry | undefined {
    const r = this.rings.get(buffer) as Ring;
    return r.length ? r.entries[r.entries.length - 1] : undefined;
  }

  /** The sequence number of the newest entry so far. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Ring size in bytes (`logcat -g`). */
  size(id: LogId): number {
    return (this.rings.get(id) as Ring).size;
  }

  /** Bytes the ring holds now. */
  consumed(id: LogId): number {
    return (this.rings.get(id) as Ring).bytes;
  }

  /** `logcat -G`: false when outside logd's bounds. */
  setSize(id: LogId, bytes: number): boolean {
    if (!(bytes >= MIN_BUFFER_BYTES && bytes <= MAX_BUFFER_BYTES)) return false;
    const r = this.rings.get(id) as Ring;
    r.size = bytes;
    r.prune();
    return true;
  }
}

/* ------------------------------------------------------------------ */
/* Filters (liblog logprint.cpp: android_log_addFilterRule / String)   */

/** A priority letter or digit as filters take it: 0 is not valid (ANDROID_LOG_UNKNOWN), 1 is the default. */
function filterCharToPri(c: string | undefined): number {
  const ch = (c ?? '').toLowerCase();
  if (ch.length === 1 && ch >= '0' && ch <= '9') return Number(ch) >= PRIORITY.S ? PRIORITY.V : Number(ch);
  switch (ch) {
    case 'v': return PRIORITY.V;
    case 'd': return PRIORITY.D;
    case 'i': return PRIORITY.I;
    case 'w': return PRIORITY.W;
    case 'e': return PRIORITY.E;
    case 'f': return PRIORITY.F;
    case 's': return PRIORITY.S;
    case '*': return DEFAULT_PRI;
    default: return 0;
  }
}

/** Tag filters: a default priority and per-tag ones; the newest rule for a tag wins. */
export class LogFilter {
  globalPri = PRIORITY.V;
  private readonly rules: Array<{ tag: string; pri: number }> = [];

  /** One `TAG[:PRIORITY]` expression; false when it is not valid. */
  addRule(expr: string): boolean {
    const colon = expr.indexOf(':');
    const tag = colon < 0 ? expr : expr.slice(0, colon);
    if (!tag) return false;
    let pri = DEFAULT_PRI;
    if (colon >= 0) {
      pri = filterCharToPri(expr[colon + 1]);
      if (pri === 0) return false;
    }
    if (tag === '*') {
      // '*' alone means '*:D'
      this.globalPri = pri === DEFAULT_PRI ? PRIORITY.D : pri;
    } else {
      // a tag alone means TAG:V
      this.rules.unshift({ tag, pri: pri === DEFAULT_PRI ? PRIORITY.V : pri });
    }
    return true;
  }

  /** A whitespace- or comma-separated list of expressions (as on the command line or in ANDROID_LOG_TAGS). */
  addString(spec: string): boolean {
    for (const part of spec.split(/[ \t,]/)) {
      if (part !== '' && !this.addRule(part)) return false;
    }
    return true;
  }

  priFor(tag: string): number {
    for (const r of this.rules) if (r.tag === tag) return r.pri;
    return this.globalPri;
  }

  shouldPrint(tag: string, level: LogLevel): boolean {
    return PRIORITY[level] >= this.priFor(tag);
  }
}

/* ------------------------------------------------------------------ */
/* Formats (liblog logprint.cpp: android_log_formatLogLine)           */

export type FormatVerb = 'brief' | 'process' | 'tag' | 'thread' | 'raw' | 'time' | 'threadtime' | 'long';

export interface LogFormat {
  verb: FormatVerb;
  color: boolean;
  usec: boolean;
  nsec: boolean;
  printable: boolean;
  year: boolean;
  zone: boolean;
  epoch: boolean;
  monotonic: boolean;
  uid: boolean;
  descriptive: boolean;
  /** Boot time in µs since the epoch (for `monotonic`). */
  bootUs: number;
}

export function newFormat(bootUs = 0): LogFormat {
  return { verb: 'brief', color: false, usec: false, nsec: false, printable: false, year: false, zone: false, epoch: false, monotonic: false, uid: false, descriptive: false, bootUs };
}

const VERBS = new Set<FormatVerb>(['brief', 'process', 'tag', 'thread', 'raw', 'time', 'threadtime', 'long']);

/**
 * Applies one -v word: 1 when it set the format verb, 0 for a modifier, -1 when it is not a format
 * (logcat then says `Invalid -v`). The phone's zone is UTC, so naming a zone (UTC, GMT) turns on the zone adverb.
 */
export function applyFormatWord(f: LogFormat, word: string): -1 | 0 | 1 {
  if (VERBS.has(word as FormatVerb)) {
    f.verb = word as FormatVerb;
    return 1;
  }
  switch (word) {
    case 'color': case 'colour': f.color = true; return 0;
    case 'usec': f.usec = true; return 0;
    case 'nsec': f.nsec = true; return 0;
    case 'printable': f.printable = true; return 0;
    case 'year': f.year = true; return 0;
    case 'zone': f.zone = !f.zone; return 0;
    case 'epoch': f.epoch = true; return 0;
    case 'monotonic': f.monotonic = true; return 0;
    case 'uid': f.uid = true; return 0;
    case 'descriptive': f.descriptive = true; return 0;
    case 'UTC': case 'GMT': case 'Etc/UTC': case 'Etc/GMT': f.zone = true; return 0;
    default: return -1;
  }
}

const COLORS: Record<LogLevel, number> = { V: 39, D: 34, I: 32, W: 33, E: 31, F: 31 };

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** The time column: `MM-DD hh:mm:ss.mmm` in the phone's zone (UTC), or epoch / monotonic seconds. */
export function formatTime(us: number, f: LogFormat): string {
  let secs: number;
  let frac: number; // µs within the second
  if (f.monotonic) {
    const rel = Math.max(0, us - f.bootUs);
    secs = Math.floor(rel / 1e6);
    frac = rel - secs * 1e6;
  } else {
    secs = Math.floor(us / 1e6);
    frac = us - secs * 1e6;
  }
  let out: string;
  if (f.epoch || f.monotonic) {
    out = String(secs).padStart(f.monotonic ? 6 : 19);
  } else {
    const d = new Date(secs * 1000);
    out = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
    if (f.year) out = `${d.getUTCFullYear()}-${out}`;
  }
  if (f.nsec) out += `.${String(frac * 1000).padStart(9, '0')}`;
  else if (f.usec) out += `.${String(frac).padStart(6, '0')}`;
  else out += `.${String(Math.floor(frac / 1000)).padStart(3, '0')}`;
  if (f.zone && !f.epoch && !f.monotonic) out += ' +0000';
  return out;
}

/** `-v printable`: control characters and backslashes escaped; tabs and valid UTF-8 kept. */
export function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    switch (ch) {
      case '\x07': out += '\\a'; break;
      case '\b': out += '\\b'; break;
      case '\t': out += '\t'; break;
      case '\v': out += '\\v'; break;
      case '\f': out += '\\f'; break;
      case '\r': out += '\\r'; break;
      case '\\': out += '\\\\'; break;
      default: out += c < 0x20 || c === 0x7f ? `\\${c.toString(8)}` : ch;
    }
  }
  return out;
}

/** bionic's getpwuid names that fit the uid column (at most five characters); others print as numbers. */
function uidColumn(uid: number, names?: (uid: number) => string): string {
  const name = names?.(uid);
  if (name !== undefined && name.length <= 5) return `${name.padStart(5)}:`;
  return `${String(uid).padStart(5)}:`;
}

/** One entry as logcat prints it (every line of a multi-line message gets the prefix), ending in a newline. */
export function formatEntry(e: LogEntry, f: LogFormat, names?: (uid: number) => string): string {
  const pri = e.level;
  const t = f.verb === 'time' || f.verb === 'threadtime' || f.verb === 'long' ? formatTime(e.us, f) : '';
  let uid = f.uid ? uidColumn(e.uid, names) : '';
  const tag8 = e.tag.padEnd(8);
  const pid5 = String(e.pid).padStart(5);
  const tid5 = String(e.tid).padStart(5);
  let prefix = f.color ? `\x1B[${COLORS[pri]}m` : '';
  let suffix = f.color ? '\x1B[0m' : '';
  let wrap = false;
  switch (f.verb) {
    case 'tag': prefix += `${pri}/${tag8}: `; suffix += '\n'; break;
    case 'process': prefix += `${pri}(${uid}${pid5}) `; suffix += `  (${e.tag})\n`; break;
    case 'thread': prefix += `${pri}(${uid}${pid5}:${tid5}) `; suffix += '\n'; break;
    case 'raw': suffix += '\n'; break;
    case 'time': prefix += `${t} ${pri}/${tag8}(${uid}${pid5}): `; suffix += '\n'; break;
    case 'threadtime':
      uid = uid.replace(':', ' ');
      prefix += `${t} ${uid}${pid5} ${tid5} ${pri} ${tag8}: `;
      suffix += '\n';
      break;
    case 'long': prefix += `[ ${t} ${uid}${pid5}:${tid5} ${pri}/${tag8} ]\n`; suffix += '\n\n'; wrap = true; break;
    default: prefix += `${pri}/${tag8}(${uid}${pid5}): `; suffix += '\n'; break;
  }
  const conv = f.printable ? printable : (s: string) => s;
  if (wrap) {
    const body = f.printable ? e.msg.split('\n').map(printable).join('\n') : e.msg;
    return prefix + body + suffix;
  }
  const lines = e.msg === '' ? [''] : e.msg.split('\n');
  if (e.msg.endsWith('\n')) lines.pop();
  let out = '';
  for (const l of lines) out += prefix + conv(l) + suffix;
  return out;
}

/** An entry as `logcat -B` writes it: struct logger_entry (v4) then priority, tag and message, NUL-terminated. */
export function binaryEntry(e: LogEntry): Buffer {
  const tag = Buffer.from(e.tag);
  const msg = Buffer.from(e.msg);
  const payload = Buffer.alloc(1 + tag.length + 1 + msg.length + 1);
  payload[0] = PRIORITY[e.level];
  tag.copy(payload, 1);
  msg.copy(payload, 2 + tag.length);
  const head = Buffer.alloc(LOGGER_ENTRY_HEADER);
  head.writeUInt16LE(payload.length, 0);
  head.writeUInt16LE(LOGGER_ENTRY_HEADER, 2);
  head.writeInt32LE(e.pid, 4);
  head.writeUInt32LE(e.tid, 8);
  head.writeUInt32LE(Math.floor(e.us / 1e6), 12);
  head.writeUInt32LE((e.us % 1e6) * 1000, 16);
  head.writeUInt32LE(LOG_IDS.indexOf(e.buffer), 20);
  head.writeUInt32LE(e.uid, 24);
  return Buffer.concat([head, payload]);
}

/**
 * A `-t`/`-T` time: 'MM-DD hh:mm:ss.mmm…', 'YYYY-MM-DD hh:mm:ss.mmm…' or 'sssss.mmm…' (log_time::strptime),
 * in the phone's zone (UTC). Returns µs since the epoch and what was left unparsed, or undefined.
 */
export function parseLogTime(s: string, nowUs: number): { us: number; rest: string } | undefined {
  const frac = (digits: string | undefined): number => (digits ? Number((digits + '000000').slice(0, 6)) : 0);
  let m = /^(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d+)/.exec(s);
  if (m) {
    const year = new Date(nowUs / 1000).getUTCFullYear();
    const ms = Date.UTC(year, Number(m[1]) - 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
    return { us: ms * 1000 + frac(m[6]), rest: s.slice(m[0].length) };
  }
  m = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d+)/.exec(s);
  if (m) {
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
    return { us: ms * 1000 + frac(m[7]), rest: s.slice(m[0].length) };
  }
  m = /^(\d+)\.(\d+)/.exec(s);
  if (m) return { us: Number(m[1]) * 1e6 + frac(m[2]), rest: s.slice(m[0].length) };
  return undefined;
}

/** `-g` figures: bytes as logcat shows them (format_of_size: B, KiB, MiB, GiB, rounded down). */
export function sizeText(bytes: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi'];
  let v = Math.floor(bytes);
  let i = 0;
  while (i < units.length - 1 && v >= 1024) {
    v = Math.floor(v / 1024);
    i++;
  }
  return `${v} ${units[i]}B`;
}
