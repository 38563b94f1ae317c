/**
 * What the Logcat view holds: a bounded ring of entries (oldest dropped first), the crashes found in them
 * with their range, and which process each pid is (for the package filter).
 */
import { compileFilter, packageOfProcess, type LogFilter } from './filter';
import type { LogEntry } from './parse';

export interface StoredEntry extends LogEntry {
  /** Increases by one per entry for the life of the model (clear does not reset it). */
  seq: number;
  /** The crash this entry belongs to. */
  crash?: number;
}

export interface Crash {
  id: number;
  /** `java`: AndroidRuntime's "FATAL EXCEPTION" report; `native`: debuggerd's tombstone summary (tag DEBUG). */
  kind: 'java' | 'native';
  /** The pid that crashed. */
  pid: number;
  process?: string;
  /** The exception (`java.lang.IllegalStateException: …`) or the signal line. */
  title: string;
  time: string;
  firstSeq: number;
  lastSeq: number;
}

/** How many entries after a crash's last line a later line of the same report may still come. */
const CRASH_WINDOW = 400;
const JAVA_CLASS = /^(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?::|$)/;
const FATAL = /^(?:\*\*\* )?FATAL EXCEPTION(?: IN SYSTEM PROCESS)?: /;
const NATIVE_START = /^\*\*\* \*\*\* \*\*\* \*\*\* \*\*\* \*\*\*/;
// ActivityManager (ProcessList.startProcess): "Start proc 4321:com.example/u0a123 for activity {…}".
const START_PROC = /^Start proc (\d+):([^/\s]+)\//;
// RuntimeInit.logUncaught: "Process: com.example, PID: 4321".
const CRASH_PROCESS = /^Process: ([^,\s]+), PID: (\d+)/m;
// debuggerd: "pid: 4321, tid: 4321, name: main  >>> com.example <<<".
const NATIVE_PROCESS = /^pid: (\d+), tid: \d+, name: .*?>>> (\S+) <<</m;

export class LogcatModel {
  private buf: Array<StoredEntry | undefined>;
  private start = 0;
  private count = 0;
  private nextSeq = 1;
  private nextCrash = 1;
  private crashList: Crash[] = [];
  /** Crash reports still being written, by the pid that writes them (AndroidRuntime's or debuggerd's). */
  private open = new Map<number, Crash>();
  private readonly processes = new Map<number, string>();
  /** Entries dropped from the front since the start (the ring was full). */
  dropped = 0;

  constructor(readonly capacity = 50_000) {
    this.buf = new Array<StoredEntry | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Seq of the oldest entry kept (or of the next entry when empty). */
  get firstSeq(): number {
    return this.count ? (this.buf[this.start] as StoredEntry).seq : this.nextSeq;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  at(i: number): StoredEntry {
    return this.buf[(this.start + i) % this.capacity] as StoredEntry;
  }

  /** Adds entries; returns them as stored (with seq and crash). */
  add(entries: readonly LogEntry[]): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (const e of entries) {
      const s: StoredEntry = { ...e, seq: this.nextSeq++ };
      this.learn(s);
      this.detectCrash(s);
      if (this.count === this.capacity) {
        this.buf[this.start] = s;
        this.start = (this.start + 1) % this.capacity;
        this.dropped++;
      } else {
        this.buf[(this.start + this.count) % this.capacity] = s;
        this.count++;
      }
      out.push(s);
    }
    const first = this.firstSeq;
    if (this.crashList.length && this.crashList[0].firstSeq < first) this.crashList = this.crashList.filter((c) => c.firstSeq >= first);
    return out;
  }

  /** Entries with seq greater than `seq` (those still kept). */
  since(seq: number): StoredEntry[] {
    const from = Math.max(0, seq + 1 - this.firstSeq);
    const out: StoredEntry[] = [];
    for (let i = from; i < this.count; i++) out.push(this.at(i));
    return out;
  }

  all(): StoredEntry[] {
    return this.since(0);
  }

  clear(): void {
    this.buf = new Array<StoredEntry | undefined>(this.capacity);
    this.start = 0;
    this.count = 0;
    this.crashList = [];
    this.open.clear();
  }

  crashes(): Crash[] {
    return [...this.crashList];
  }

  crash(id: number): Crash | undefined {
    return this.crashList.find((c) => c.id === id);
  }

  processOf = (pid: number): string | undefined => this.processes.get(pid);

  /**
   * Names from `ps -A -o PID,NAME` (toybox, Android 8+) or plain `ps` (toolbox, older phones: `USER PID PPID …
   * NAME`): the PID column found by its header, the name last on each row.
   */
  setProcesses(psOutput: string): void {
    const rows = psOutput.split('\n').map((l) => l.trim().split(/\s+/)).filter((r) => r.length >= 2 && r[0] !== '');
    const header = rows.findIndex((r) => r.includes('PID'));
    const pidAt = header >= 0 ? rows[header].indexOf('PID') : 0;
    for (const r of rows.slice(header + 1)) {
      const pid = Number(r[pidAt]);
      if (Number.isInteger(pid) && pid > 0) this.processes.set(pid, r[r.length - 1]);
    }
  }

  learnProcess(pid: number, name: string): void {
    this.processes.set(pid, name);
  }

  /** The pids known to belong to a package, ascending. */
  pidsOfPackage(pkg: string): number[] {
    const pids: number[] = [];
    for (const [pid, name] of this.processes) if (packageOfProcess(name) === pkg) pids.push(pid);
    return pids.sort((a, b) => a - b);
  }

  /** Package names seen (for the package box's suggestions). */
  packages(): string[] {
    const names = new Set<string>();
    for (const n of this.processes.values()) if (/^[a-z][\w]*(\.[\w]+)+(:[\w.]+)?$/i.test(n)) names.add(n.replace(/:.*/, ''));
    return [...names].sort();
  }

  filter(f: LogFilter): { entries: StoredEntry[]; error?: string } {
    const c = compileFilter(f, this.processOf);
    const all = this.all();
    return { entries: c.all ? all : all.filter((e) => c.test(e)), error: c.error };
  }

  private learn(e: StoredEntry): void {
    if (e.tag === 'ActivityManager') {
      const m = START_PROC.exec(e.msg);
      if (m) this.processes.set(Number(m[1]), m[2]);
    } else if (e.tag === 'AndroidRuntime') {
      const m = CRASH_PROCESS.exec(e.msg);
      if (m) this.processes.set(Number(m[2]), m[1]);
    }
  }

  private detectCrash(e: StoredEntry): void {
    if (e.text) return;
    const firstLine = e.msg.split('\n', 1)[0];
    const openCrash = this.open.get(e.pid);
    const startsJava = e.tag === 'AndroidRuntime' && FATAL.test(firstLine);
    const startsNative = e.tag === 'DEBUG' && NATIVE_START.test(firstLine);
    if (startsJava || startsNative) {
      const c: Crash = { id: this.nextCrash++, kind: startsJava ? 'java' : 'native', pid: e.pid, title: '', time: e.time, firstSeq: e.seq, lastSeq: e.seq };
      this.crashList.push(c);
      this.open.set(e.pid, c);
      this.extend(c, e);
      return;
    }
    if (openCrash) {
      const reportTag = openCrash.kind === 'java' ? 'AndroidRuntime' : 'DEBUG';
      if (e.tag === reportTag && e.seq - openCrash.lastSeq <= CRASH_WINDOW) this.extend(openCrash, e);
      else if (e.seq - openCrash.lastSeq > CRASH_WINDOW) this.open.delete(e.pid);
    }
    if (this.open.size > 16) {
      // Close reports nobody finished (bounded bookkeeping).
      for (const [pid, c] of this.open) if (e.seq - c.lastSeq > CRASH_WINDOW) this.open.delete(pid);
    }
  }

  private extend(c: Crash, e: StoredEntry): void {
    e.crash = c.id;
    c.lastSeq = e.seq;
    if (c.kind === 'java') {
      const pm = CRASH_PROCESS.exec(e.msg);
      if (pm) {
        c.process = pm[1];
        c.pid = Number(pm[2]);
      }
      if (!c.title) {
        // The exception: the first line that starts with a class name (`java.lang.IllegalStateException: …`).
        const line = e.msg.split('\n').find((l) => JAVA_CLASS.test(l.trim()));
        if (line) c.title = line.trim();
      }
    } else {
      const nm = NATIVE_PROCESS.exec(e.msg);
      if (nm) {
        c.pid = Number(nm[1]);
        c.process = nm[2];
        this.processes.set(c.pid, nm[2]);
      }
      if (!/^signal /.test(c.title)) {
        const sig = e.msg.split('\n').find((l) => /^signal \d+ \(SIG\w+\)/.test(l));
        if (sig) c.title = sig.trim();
        else if (!c.title && nm) c.title = `native crash in ${nm[2]}`;
      }
    }
  }
}
