/**
 * What every toybox command on the virtual phone shares: option parsing the way toybox's lib/args.c does it,
 * error messages as lib/lib.c prints them (`cmd: path: Permission denied`), buffered stdout with back-pressure
 * and SIGPIPE, and file access that always goes through the sandbox's permission rules.
 */
import { promises as fsp } from 'node:fs';
import { Sandbox, type FileInfo, type FsAccess } from '../../sandbox';
import { errnoText, type Command, type CommandContext, type Io } from '../types';
import { openReader } from '../../os/files';
import { isDevPath } from '../../os/devfs';
import { procFile, procList } from '../../os/procfs';

/* ------------------------------------------------------------------ */
/* byte strings                                                        */

/** Text tools work on "byte strings": one JS char per byte (latin1), so no byte is ever lost or re-encoded. */
export function bstr(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
export function fromB(b: Buffer): string {
  return b.toString('latin1');
}
export function toB(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/* ------------------------------------------------------------------ */
/* errors                                                              */

/** error_exit(): the command stops with this message (already formatted without the `cmd: ` prefix). */
export class ToyExit extends Error {
  constructor(readonly msg: string | undefined, readonly code: number, readonly help = false) {
    super(msg ?? 'exit');
  }
}

/** The reader of stdout went away (SIGPIPE), or the process was killed. */
export class Aborted extends Error {}

export function errCode(e: unknown): string | undefined {
  return (e as { code?: string } | undefined)?.code;
}

export function errnoError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

/* ------------------------------------------------------------------ */
/* option parsing (the semantics of toybox's lib/args.c)              */

type OptType = '' | ':' | '*' | '#' | '-' | '.' | '@';

interface OptDef {
  key: string;
  short?: string;
  longs: string[];
  type: OptType;
  /** `;`: the argument is optional and must be attached (-xARG, --x=ARG). */
  optional: boolean;
  low?: number;
  high?: number;
  def?: number;
}

interface Group {
  kind: '-' | '+' | '!';
  keys: string[];
}

interface ParsedSpec {
  min: number;
  max: number;
  stopEarly: boolean;
  passUnknown: boolean;
  defs: OptDef[];
  groups: Group[];
}

const specCache = new Map<string, ParsedSpec>();

/**
 * Parses an option spec in the notation of toybox's NEWTOY() strings: leading `<N` `>N` `^` `?`, then option
 * characters with `(longname)`s and a type (`:` string, `*` list, `#` number with `<LOW >HIGH =DEFAULT`,
 * `-` number negative unless signed, `.` float, `@` counter, `;` optional attached argument), bare `(long)`
 * options, and trailing groups `[-abc]` (last wins), `[+abc]` (synonyms), `[!abc]` (mutually exclusive).
 */
function parseSpec(spec: string): ParsedSpec {
  const cached = specCache.get(spec);
  if (cached) return cached;
  const p: ParsedSpec = { min: 0, max: Infinity, stopEarly: false, passUnknown: false, defs: [], groups: [] };
  let i = 0;
  const num = (): number => {
    const m = /^-?\d+/.exec(spec.slice(i));
    if (!m) return 0;
    i += m[0].length;
    return Number(m[0]);
  };
  for (;;) {
    const c = spec[i];
    if (c === '<') { i++; p.min = num(); } else if (c === '>') { i++; p.max = num(); } else if (c === '^') { i++; p.stopEarly = true; } else if (c === '?') { i++; p.passUnknown = true; } else break;
  }
  let cur: OptDef | undefined;
  let prev = '';
  while (i < spec.length) {
    const c = spec[i];
    if (c === '[') {
      const end = spec.indexOf(']', i);
      const kind = spec[i + 1] as Group['kind'];
      p.groups.push({ kind, keys: [...spec.slice(i + 2, end)] });
      i = end + 1;
      continue;
    }
    if (c === '(') {
      const end = spec.indexOf(')', i);
      const name = spec.slice(i + 1, end);
      i = end + 1;
      const attach = cur && cur.short && (prev === 'char' || prev === 'long');
      if (attach && cur) cur.longs.push(name);
      else p.defs.push((cur = { key: name, longs: [name], type: '', optional: false }));
      prev = 'long';
      continue;
    }
    if (':*#-.@'.includes(c) && cur) {
      cur.type = c as OptType;
      i++;
      if (c === '#' || c === '-' || c === '.') {
        for (;;) {
          const d = spec[i];
          if (d === '<') { i++; cur.low = num(); } else if (d === '>') { i++; cur.high = num(); } else if (d === '=') { i++; cur.def = num(); } else break;
        }
      }
      prev = 'type';
      continue;
    }
    if (c === ';' && cur) {
      cur.optional = true;
      i++;
      prev = 'type';
      continue;
    }
    if (c === ' ') { i++; continue; }
    p.defs.push((cur = { key: c, short: c, longs: [], type: '', optional: false }));
    i++;
    prev = 'char';
  }
  specCache.set(spec, p);
  return p;
}

export class Opts {
  readonly flags = new Set<string>();
  readonly order: string[] = [];
  readonly strs = new Map<string, string | undefined>();
  readonly lists = new Map<string, string[]>();
  readonly nums = new Map<string, number>();
  readonly counts = new Map<string, number>();
  args: string[] = [];

  has(k: string): boolean {
    return this.flags.has(k);
  }
  str(k: string): string | undefined {
    return this.strs.get(k);
  }
  list(k: string): string[] {
    return this.lists.get(k) ?? [];
  }
  num(k: string, dflt = 0): number {
    return this.nums.get(k) ?? dflt;
  }
  count(k: string): number {
    return this.counts.get(k) ?? 0;
  }
  set(k: string): void {
    this.flags.add(k);
  }
  unset(k: string): void {
    this.flags.delete(k);
  }
}

/** atolx(): a number with toybox's suffixes (c w b k m g t p e, kd = 1000 …); throws "not integer: X". */
export function atolx(s: string): number {
  const m = /^\s*([-+]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*))([cwbkmgtpeCWBKMGTPE]?)([dD]?)\s*$/.exec(s);
  if (!m) throw new ToyExit(`not integer: ${s}`, 1);
  const body = m[1];
  const neg = body.startsWith('-');
  const digits = body.replace(/^[-+]/, '');
  let v = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : parseInt(digits, 10);
  if (neg) v = -v;
  const suf = m[2].toLowerCase();
  if (m[3] && !'kmgtpe'.includes(suf || '_')) throw new ToyExit(`not integer: ${s}`, 1);
  if (suf) {
    const shift = 'cwbkmgtpe'.indexOf(suf) - 2;
    if (shift === -1) v *= 2;
    else if (shift === 0) v *= 512;
    else if (shift > 0) v *= m[3] ? 1000 ** shift : 1024 ** shift;
  }
  return v;
}

/** Parses argv[1..] against a spec; throws ToyExit(help) with toybox's messages on errors. */
export function getopt(argv: string[], spec: string, argfail = 1): Opts {
  const p = parseSpec(spec);
  const o = new Opts();
  const byShort = new Map<string, OptDef>();
  for (const d of p.defs) if (d.short) byShort.set(d.short, d);
  let stopped = false;
  let afterFirstArg = false;
  const fail = (msg: string): never => {
    throw new ToyExit(msg, argfail, true);
  };
  const give = (d: OptDef, value: string | undefined, label: string): void => {
    enable(d.key);
    switch (d.type) {
      case '@':
        o.counts.set(d.key, o.count(d.key) + 1);
        return;
      case ':':
        o.strs.set(d.key, value);
        return;
      case '*':
        if (value !== undefined) o.lists.set(d.key, [...o.list(d.key), value]);
        return;
      case '#':
      case '-': {
        if (value === undefined) return;
        let n: number;
        try {
          n = atolx(value);
        } catch {
          return fail(`not integer: ${value}`);
        }
        if (d.type === '-' && !/^[+-]/.test(value)) n = -n;
        if (d.low !== undefined && n < d.low) fail(`${label} < ${d.low}`);
        if (d.high !== undefined && n > d.high) fail(`${label} > ${d.high}`);
        o.nums.set(d.key, n);
        return;
      }
      case '.': {
        if (value === undefined) return;
        const n = parseFloat(value);
        if (d.low !== undefined && n < d.low) fail(`${label} < ${d.low}`);
        if (d.high !== undefined && n > d.high) fail(`${label} > ${d.high}`);
        o.nums.set(d.key, Number.isFinite(n) ? n : 0);
        return;
      }
      default:
        return;
    }
  };
  const enable = (k: string): void => {
    for (const g of p.groups) {
      if (!g.keys.includes(k)) continue;
      if (g.kind === '-') for (const other of g.keys) if (other !== k) { o.flags.delete(other); o.strs.delete(other); }
      if (g.kind === '!') {
        const clash = g.keys.find((other) => other !== k && o.flags.has(other));
        if (clash) fail(`No '${k}' with '${clash}'`);
      }
    }
    o.flags.add(k);
    o.order.push(k);
    for (const g of p.groups) if (g.kind === '+' && g.keys.includes(k)) for (const other of g.keys) o.flags.add(other);
  };
  const needs = (d: OptDef): boolean => d.type !== '' && d.type !== '@';
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (stopped || (p.stopEarly && afterFirstArg)) {
      o.args.push(a);
      continue;
    }
    if (a === '--') {
      stopped = true;
      continue;
    }
    if (a.startsWith('--') && a.length > 2) {
      const body = a.slice(2);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      let found: OptDef | undefined;
      const partial: Array<[OptDef, string]> = [];
      for (const d of p.defs) {
        for (const l of d.longs) {
          if (l === name) found = d;
          else if (l.startsWith(name) && (eq < 0 || needs(d))) partial.push([d, l]);
        }
      }
      if (!found && partial.length > 1) throw new ToyExit(`bad --${name} (${partial.map(([, l]) => l).join(' ')})`, argfail);
      if (!found && partial.length === 1) found = partial[0][0];
      if (!found) {
        if (p.passUnknown) {
          o.args.push(a);
          afterFirstArg = true;
          continue;
        }
        fail(`Unknown option '${body}'`);
      }
      const d = found as OptDef;
      let value: string | undefined;
      if (needs(d)) {
        if (eq >= 0) value = body.slice(eq + 1);
        else if (!d.optional) {
          if (i + 1 >= argv.length) fail(`Missing argument to --${d.longs[0]}`);
          value = argv[++i];
        }
      }
      give(d, value, `--${d.longs[0]}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const save = { flags: new Set(o.flags), order: [...o.order] };
      let unknown = false;
      for (let j = 1; j < a.length; j++) {
        const d = byShort.get(a[j]);
        if (!d) {
          if (p.passUnknown) {
            unknown = true;
            break;
          }
          fail(`Unknown option '${a.slice(j)}'`);
        }
        const def = d as OptDef;
        if (needs(def)) {
          let value: string | undefined = a.slice(j + 1);
          if (!value) {
            if (def.optional) value = undefined;
            else {
              if (i + 1 >= argv.length) fail(`Missing argument to -${def.short}`);
              value = argv[++i];
            }
          }
          give(def, value, `-${def.short}`);
          break;
        }
        give(def, undefined, `-${def.short}`);
      }
      if (unknown) {
        o.flags.clear();
        for (const f of save.flags) o.flags.add(f);
        o.order.splice(0, o.order.length, ...save.order);
        o.args.push(a);
        afterFirstArg = true;
      }
      continue;
    }
    o.args.push(a);
    afterFirstArg = true;
  }
  for (const d of p.defs) if ((d.type === '#' || d.type === '-' || d.type === '.') && !o.nums.has(d.key) && d.def !== undefined) o.nums.set(d.key, d.def);
  if (o.args.length < p.min) fail(p.min === 1 ? 'Needs 1 argument' : `Need ${p.min} arguments`);
  if (o.args.length > p.max) fail(p.max === 1 ? 'Max 1 argument' : `Max ${p.max} arguments`);
  return o;
}

/* ------------------------------------------------------------------ */
/* the process                                                         */

/**
 * The umask new files and folders get: init clears it (umask(0) in first-stage init) and adbd's shell keeps
 * that, so new files are rw-rw-rw- and folders rwxrwxrwx. A shell that tracks its own umask may pass it as
 * `ctx.umask`.
 */
export const UMASK = 0o000;

export function umaskOf(ctx: CommandContext): number {
  const u = (ctx as CommandContext & { umask?: number }).umask;
  return typeof u === 'number' ? u & 0o777 : UMASK;
}

export interface ToyDef {
  /** Option spec (see parseSpec); undefined: every argument is an argument (no option parsing). */
  opts?: string;
  /** Exit status for usage errors (TOYFLAG_ARGFAIL). */
  argfail?: number;
  /** One line after `usage: ` for --help. */
  usage?: string;
  /** No --help handling (echo, true, false, printf's format). */
  nohelp?: boolean;
}

/** One running toybox command: its options, streams, exit status and the phone. */
export class Toy {
  exitval = 0;
  private pending: Buffer[] = [];
  private pendingLen = 0;

  constructor(readonly name: string, readonly io: Io, readonly ctx: CommandContext, readonly o: Opts, readonly argv: string[]) {}

  get args(): string[] {
    return this.o.args;
  }

  get aborted(): boolean {
    return this.io.signal.aborted;
  }

  /** Writes to stdout (buffered; back-pressure every 64 KiB). Throws Aborted when nobody reads any more. */
  async out(data: string | Buffer): Promise<void> {
    if (this.io.signal.aborted) throw new Aborted();
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (!b.length) return;
    this.pending.push(b);
    this.pendingLen += b.length;
    if (this.pendingLen >= 65536) await this.flush();
  }

  /** Reads stdin (flushing stdout first: the reader may wait). */
  async readStdin(): Promise<Buffer | null> {
    await this.flush();
    return this.io.stdin.read();
  }

  /** stdout for a byte string. */
  outB(s: string): Promise<void> {
    return this.out(toB(s));
  }

  async flush(): Promise<void> {
    if (!this.pendingLen) return;
    const b = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    await this.io.out(b);
    if (this.io.signal.aborted) throw new Aborted();
  }

  /** Raw stderr (flushes stdout first so the order stays as a terminal would show it). */
  async errRaw(s: string | Buffer): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.io.err(s);
  }

  /** error_msg(): `cmd: MSG`, exit status 1 unless already set. */
  async err(msg: string): Promise<void> {
    await this.errRaw(`${this.name}: ${msg}\n`);
    if (!this.exitval) this.exitval = 1;
  }

  /** perror_msg(): `cmd: WHAT: strerror`. */
  perr(what: string, e: unknown): Promise<void> {
    return this.err(`${what}: ${errnoText(e)}`);
  }

  /** error_exit(). */
  fail(msg: string, code = 1): never {
    throw new ToyExit(msg, code);
  }

  /* ---- paths and files (always through the sandbox) ---- */

  abs(p: string): string {
    return Sandbox.normalize(p, this.ctx.cwd);
  }

  /** stat()/lstat() of a device path: /dev and /proc are made up, the rest is the sandbox's. */
  async stat(p: string, follow = true): Promise<FileInfo> {
    return statPath(this.ctx, p, follow);
  }

  async tryStat(p: string, follow = true): Promise<FileInfo | undefined> {
    try {
      return await this.stat(p, follow);
    } catch {
      return undefined;
    }
  }

  resolve(p: string, access: FsAccess): Promise<string> {
    return this.ctx.fs.resolve(p, this.ctx.cwd, access, this.ctx.uid);
  }

  /** A folder's entries as the shell user may read them (EACCES otherwise); /proc and /dev as a phone has them. */
  async list(p: string): Promise<string[]> {
    const abs = this.abs(p);
    if (abs === '/proc' || abs.startsWith('/proc/')) {
      const names = procList(this.ctx.device, abs, { self: this.ctx.pid });
      if (names) return [...names].sort();
      if (procFile(this.ctx.device, abs, { self: this.ctx.pid }) !== undefined) throw errnoError('ENOTDIR');
      throw errnoError('ENOENT');
    }
    if (abs === '/dev') {
      const fromSandbox = await this.ctx.fs.list(p, this.ctx.cwd, this.ctx.uid).catch(() => [] as string[]);
      return [...new Set([...fromSandbox, ...DEV_NODES.map((d) => d.slice(5))])].sort();
    }
    return this.ctx.fs.list(p, this.ctx.cwd, this.ctx.uid);
  }

  /** Opens a file for reading (`-` is stdin). */
  open(p: string): Promise<Input> {
    if (p === '-') return Promise.resolve(stdinInput(this));
    return openInput(this.ctx, p);
  }

  /** Opens (creating when needed) a file for writing. */
  create(p: string, opts: OutputOptions = {}): Promise<Output> {
    return openOutput(this, p, opts);
  }
}

/** Wraps a toybox main function as a phone command: options, --help, errors, SIGPIPE and exit status. */
export function toy(name: string, def: ToyDef, main: (t: Toy) => Promise<number | void> | number | void): Command {
  return async (argv: string[], io: Io, ctx: CommandContext): Promise<number> => {
    const cmd = name;
    let t: Toy | undefined;
    try {
      if (!def.nohelp && argv[1] === '--help' && def.usage !== undefined) {
        await io.out(`usage: ${def.usage}\n`);
        return 0;
      }
      const o = def.opts === undefined ? Object.assign(new Opts(), { args: argv.slice(1) }) : getopt(argv, def.opts, def.argfail ?? 1);
      t = new Toy(cmd, io, ctx, o, argv);
      const rc = await main(t);
      await t.flush();
      return typeof rc === 'number' ? rc : t.exitval;
    } catch (e) {
      if (e instanceof Aborted || io.signal.aborted) return 128 + (ctx.device.procs.get(ctx.pid)?.killedBy ?? 13);
      if (e instanceof ToyExit) {
        if (t) await t.flush().catch(() => undefined);
        if (e.msg !== undefined) await io.err(`${cmd}: ${e.msg}${e.help ? ` (see "${cmd} --help")` : ''}\n`);
        return e.code;
      }
      if (t) await t.flush().catch(() => undefined);
      await io.err(`${cmd}: ${errnoText(e)}\n`);
      return 1;
    }
  };
}

/* ------------------------------------------------------------------ */
/* file metadata                                                        */

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** The full st_mode, whatever the sandbox put in `mode`. */
export function fullMode(i: FileInfo): number {
  if (i.mode & S_IFMT) return i.mode;
  const t = i.type === 'dir' ? S_IFDIR : i.type === 'link' ? S_IFLNK : i.type === 'char' ? S_IFCHR : S_IFREG;
  return t | (i.mode & 0o7777);
}
export const isDir = (i: FileInfo): boolean => (fullMode(i) & S_IFMT) === S_IFDIR;
export const isLink = (i: FileInfo): boolean => (fullMode(i) & S_IFMT) === S_IFLNK;
export const isReg = (i: FileInfo): boolean => (fullMode(i) & S_IFMT) === S_IFREG;

/** st_blocks (512-byte units): the sandbox's when it knows, else what ext4/f2fs allocate (4 KiB blocks). */
export function blocksOf(i: FileInfo): number {
  const b = (i as Partial<{ blocks: number }>).blocks;
  if (typeof b === 'number') return b;
  if (isLink(i)) return 0;
  if (isDir(i)) return Math.max(8, Math.ceil(i.size / 4096) * 8);
  if (!isReg(i)) return 0;
  return Math.ceil(i.size / 4096) * 8;
}

/** st_rdev of device nodes: [major, minor]. */
export function rdevOf(i: FileInfo): [number, number] {
  const r = (i as Partial<{ rdev: number }>).rdev;
  if (typeof r === 'number') return [(r >> 8) & 0xfff, (r & 0xff) | ((r >> 12) & 0xfff00)];
  return [0, 0];
}

/** The character devices of /dev that scripts use, as Android has them (major, minor). */
const DEV_NODES = ['/dev/null', '/dev/zero', '/dev/random', '/dev/urandom', '/dev/tty'];
const DEV_NUMBERS: Record<string, [number, number]> = { '/dev/null': [1, 3], '/dev/zero': [1, 5], '/dev/random': [1, 8], '/dev/urandom': [1, 9], '/dev/tty': [5, 0] };

export async function statPath(ctx: CommandContext, p: string, followArg = true): Promise<FileInfo> {
  const abs = Sandbox.normalize(p, ctx.cwd);
  // a trailing slash means the folder a link points to (path resolution follows it)
  const follow = followArg || /\/\.?$/.test(p);
  const boot = ctx.device.procs.bootTime;
  if (isDevPath(abs) && DEV_NUMBERS[abs]) {
    const [maj, min] = DEV_NUMBERS[abs];
    return Object.assign(
      { type: 'char' as const, mode: S_IFCHR | 0o666, uid: 0, gid: 0, size: 0, mtimeMs: boot, atimeMs: boot, ctimeMs: boot, nlink: 1, ino: 1000 + maj * 16 + min },
      { rdev: (maj << 8) | min, blocks: 0, dev: 5, path: abs },
    );
  }
  if (abs === '/proc' || abs.startsWith('/proc/')) {
    const self = { self: ctx.pid };
    const now = Date.now();
    const ino = 4026531840 + ([...abs].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 1000000);
    const pidDir = /^\/proc\/(\d+)/.exec(abs.replace(/^\/proc\/(self|thread-self)(?=\/|$)/, `/proc/${ctx.pid}`));
    const owner = pidDir ? ctx.device.procs.get(Number(pidDir[1]))?.uid ?? 0 : 0;
    if (!follow && /^\/proc\/(self|thread-self)$/.test(abs)) {
      const target = abs.endsWith('thread-self') ? `${ctx.pid}/task/${ctx.pid}` : String(ctx.pid);
      return { type: 'link', mode: S_IFLNK | 0o777, uid: 0, gid: 0, size: target.length, mtimeMs: boot, atimeMs: boot, ctimeMs: boot, nlink: 1, ino, linkTarget: target, dev: 4, blocks: 0, path: abs };
    }
    if (procList(ctx.device, abs, self)) {
      return { type: 'dir', mode: S_IFDIR | 0o555, uid: owner, gid: owner, size: 0, mtimeMs: boot, atimeMs: boot, ctimeMs: boot, nlink: 2, ino, dev: 4, blocks: 0, path: abs };
    }
    if (procFile(ctx.device, abs, self) !== undefined) {
      return { type: 'file', mode: S_IFREG | 0o444, uid: owner, gid: owner, size: 0, mtimeMs: now, atimeMs: now, ctimeMs: now, nlink: 1, ino, dev: 4, blocks: 0, path: abs };
    }
    throw errnoError('ENOENT');
  }
  try {
    return await ctx.fs.info(p, ctx.cwd, follow, ctx.uid);
  } catch (e) {
    if (abs === '/dev' && errCode(e) === 'ENOENT') {
      return { type: 'dir', mode: S_IFDIR | 0o755, uid: 0, gid: 0, size: 4096, mtimeMs: boot, atimeMs: boot, ctimeMs: boot, nlink: 2, ino: 1 };
    }
    throw e;
  }
}

/* ------------------------------------------------------------------ */
/* reading                                                              */

export interface Input {
  read(): Promise<Buffer | null>;
  close(): Promise<void>;
  /** Present for regular sandbox files: lets tail/dd/xxd seek instead of reading everything. */
  size?: number;
  /** Reads at an absolute position (regular files only). */
  pread?(len: number, pos: number): Promise<Buffer>;
  /** Moves the read position (regular files only). */
  seek?(pos: number): void;
  isStdin?: boolean;
  /** A character device (/dev/zero, /dev/urandom): a read gets all it asks for. */
  device?: boolean;
}

const CHUNK = 64 * 1024;

/**
 * stdin as an Input. What was written so far goes out before each read that may wait (a pipe or the adb
 * stream), so `cat`, `grep`, `tr` in a pipeline pass data on as it comes, as toybox's writes do.
 */
export function stdinInput(t: Toy): Input {
  return {
    isStdin: true,
    read: async () => {
      await t.flush();
      return t.io.stdin.read();
    },
    close: async () => undefined,
  };
}

/** A reader for one device path: /dev and /proc through os/files.ts, sandbox files with a handle we close. */
export async function openInput(ctx: CommandContext, p: string): Promise<Input> {
  const abs = Sandbox.normalize(p, ctx.cwd);
  if (isDevPath(abs) || abs === '/proc' || abs.startsWith('/proc/')) {
    const r = await openReader(ctx, abs);
    return { read: () => r.read(), close: async () => undefined, device: isDevPath(abs) && abs !== '/dev/stdin' };
  }
  const host = await ctx.fs.resolve(abs, '/', 'read', ctx.uid);
  const st = await fsp.stat(host);
  if (st.isDirectory()) throw errnoError('EISDIR', 'Is a directory');
  const handle = await fsp.open(host, 'r');
  let pos = 0;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => undefined);
  };
  return {
    size: st.isFile() ? st.size : undefined,
    read: async () => {
      if (closed) return null;
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buf, 0, CHUNK, pos);
      if (!bytesRead) return null;
      pos += bytesRead;
      return bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead);
    },
    pread: async (len: number, at: number) => {
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await handle.read(buf, 0, len, at);
      return buf.subarray(0, bytesRead);
    },
    seek: (to: number) => {
      pos = to;
    },
    close,
  };
}

/**
 * loopfiles(): runs fn for each file argument (stdin when none, `-` is stdin); a file that cannot be opened
 * prints `cmd: FILE: reason` and the loop goes on. A folder opens (as open(2) lets it) and its first read
 * fails with `Is a directory`: printed then, unless `silentDirs` (md5sum hashes it as empty).
 */
export async function loopFiles(t: Toy, files: string[], fn: (input: Input, name: string) => Promise<void>, opts: { silentDirs?: boolean; keepOpen?: boolean } = {}): Promise<void> {
  const list = files.length ? files : ['-'];
  for (const f of list) {
    let input: Input;
    try {
      input = await t.open(f);
    } catch (e) {
      if (errCode(e) !== 'EISDIR') {
        await t.perr(f, e);
        continue;
      }
      let told = false;
      input = {
        read: async () => {
          if (!told && !opts.silentDirs) await t.perr(f, e);
          told = true;
          return null;
        },
        close: async () => undefined,
      };
    }
    try {
      await fn(input, f);
    } finally {
      if (!opts.keepOpen) await input.close();
    }
  }
}

/** Splits input into lines (each with its delimiter, the last maybe without) as byte strings. */
export async function* lines(input: Input, delim = '\n'): AsyncGenerator<string> {
  let parts: string[] = [];
  for (;;) {
    const c = await input.read();
    if (c === null) break;
    const s = fromB(c);
    let start = 0;
    for (;;) {
      const i = s.indexOf(delim, start);
      if (i < 0) break;
      parts.push(s.slice(start, i + 1));
      yield parts.length === 1 ? parts[0] : parts.join('');
      parts = [];
      start = i + 1;
    }
    if (start < s.length) parts.push(start ? s.slice(start) : s);
  }
  if (parts.length) yield parts.join('');
}

/** All of an input (for tools that must see everything: sort, tac …). */
export async function readAllInput(input: Input): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let c = await input.read(); c !== null; c = await input.read()) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Reads a whole (small) file of the phone. */
export async function readWhole(t: Toy, p: string): Promise<Buffer> {
  const i = await t.open(p);
  try {
    return await readAllInput(i);
  } finally {
    await i.close();
  }
}

/* ------------------------------------------------------------------ */
/* writing                                                              */

export interface OutputOptions {
  append?: boolean;
  /** Truncate an existing file (default true unless append). */
  truncate?: boolean;
  /** Fail with EEXIST if it exists. */
  exclusive?: boolean;
  /** Fail with ENOENT if it does not exist. */
  noCreate?: boolean;
  /** Permission bits of a new file (before the umask). */
  mode?: number;
}

export interface Output {
  write(data: Buffer, position?: number): Promise<void>;
  truncate(len: number): Promise<void>;
  close(): Promise<void>;
  /** A regular file (seek/truncate are meaningful). */
  regular: boolean;
  created: boolean;
}

async function openOutput(t: Toy, p: string, opts: OutputOptions): Promise<Output> {
  const abs = t.abs(p);
  const nothing = async (): Promise<void> => undefined;
  if (abs === '/dev/null' || abs === '/dev/zero' || abs === '/dev/random' || abs === '/dev/urandom') {
    return { write: nothing, truncate: nothing, close: nothing, regular: false, created: false };
  }
  if (abs === '/dev/stdout' || abs === '/dev/stderr' || abs === '/dev/tty') {
    const sink = abs === '/dev/stderr' ? (b: Buffer) => t.errRaw(b) : async (b: Buffer) => { await t.flush(); await t.io.out(b); };
    return { write: async (b) => sink(b), truncate: nothing, close: nothing, regular: false, created: false };
  }
  if (abs === '/proc' || abs.startsWith('/proc/')) throw errnoError('EACCES');
  const existing = await t.tryStat(p, true);
  if (existing && opts.exclusive) throw errnoError('EEXIST');
  if (!existing && opts.noCreate) throw errnoError('ENOENT');
  if (existing && isDir(existing)) throw errnoError('EISDIR');
  const host = await t.resolve(p, 'write');
  const truncate = opts.truncate ?? !opts.append;
  const handle = await fsp.open(host, existing ? 'r+' : 'wx+', 0o600);
  if (!existing) await t.ctx.fs.created(host, t.ctx.uid, (opts.mode ?? 0o666) & ~umaskOf(t.ctx) & 0o7777);
  if (existing && truncate) await handle.truncate(0);
  let pos = 0;
  if (opts.append) pos = (await handle.stat()).size;
  return {
    regular: true,
    created: !existing,
    write: async (data: Buffer, position?: number) => {
      let off = 0;
      let at = position ?? (opts.append ? (await handle.stat()).size : pos);
      while (off < data.length) {
        const { bytesWritten } = await handle.write(data, off, data.length - off, at);
        off += bytesWritten;
        at += bytesWritten;
      }
      if (position === undefined) pos = at;
    },
    truncate: (len: number) => handle.truncate(len),
    close: () => handle.close(),
  };
}

/* ------------------------------------------------------------------ */
/* formats                                                              */

export const HR_SPACE = 1;
export const HR_B = 2;
export const HR_1000 = 4;
export const HR_NODOT = 8;

/** human_readable_long() from toybox's lib/lib.c: 3 significant digits and a unit (999 1.2K 13M). */
export function humanReadable(n: number, style = 0, digits = 3, unitStart = 0): string {
  const divisor = style & HR_1000 ? 1000 : 1024;
  let num = Math.floor(n);
  let snap = 0;
  let unit = unitStart;
  while (String(num).length > digits) {
    snap = num;
    num = Math.floor((num + divisor / 2) / divisor);
    unit++;
  }
  let s = String(num);
  if (!(style & HR_NODOT) && unit && s.length === 1) {
    const whole = Math.floor(snap / divisor);
    let frac = snap - whole * divisor;
    frac = Math.floor((frac * 100 + 50) / divisor);
    frac = Math.floor(frac / 10);
    s = `${whole}.${frac}`;
  }
  if (style & HR_SPACE) s += ' ';
  if (unit) {
    const u = ' kMGTPEZY'[unit];
    s += style & HR_1000 ? u : u.toUpperCase();
  } else if (style & HR_B) s += 'B';
  return s;
}

/** mode_to_string(): `drwxr-x--x`, with s/S/t/T. */
export function modeString(mode: number): string {
  const out: string[] = [];
  for (let i = 0; i < 9; i++) {
    const bit = mode & (1 << i);
    const c = i % 3;
    let ch: string;
    if (!c && mode & (1 << (Math.floor(i / 3) + 9))) {
      ch = 'tss'[Math.floor(i / 3)];
      if (!bit) ch = ch.toUpperCase();
    } else ch = bit ? 'xwr'[c] : '-';
    out[9 - i] = ch;
  }
  const t = mode & S_IFMT;
  out[0] = t === S_IFDIR ? 'd' : t === S_IFBLK ? 'b' : t === S_IFCHR ? 'c' : t === S_IFLNK ? 'l' : t === S_IFIFO ? 'p' : t === S_IFSOCK ? 's' : '-';
  return out.join('');
}

/** string_to_mode() from toybox's lib/lib.c: octal, or u+x,go-w,a=r,g=u,+X … applied to `mode`. */
export function stringToMode(modestr: string, mode: number, umask = UMASK): number {
  const bad = (): never => {
    throw new ToyExit(`bad mode '${modestr}'`, 1);
  };
  const extra = mode & ~0o7777;
  if (/^\d/.test(modestr)) {
    if (!/^[0-7]+$/.test(modestr)) bad();
    const m = parseInt(modestr, 8);
    if (m & ~0o7777) bad();
    return m | extra;
  }
  let s = 0;
  const str = modestr;
  for (;;) {
    let who = 0;
    let amask = 0;
    while (s < str.length && 'ogua'.includes(str[s])) who |= 1 << 'ogua'.indexOf(str[s++]);
    if (!who) {
      who = 8;
      amask = umask;
    }
    for (;;) {
      const how = str[s];
      if (!how || !'=+-'.includes(how)) bad();
      let what = 0;
      while (++s < str.length && 'xwrstX'.includes(str[s])) what |= 1 << 'xwrstX'.indexOf(str[s]);
      if (what & 32 && ((mode & S_IFMT) === S_IFDIR || mode & 0o111)) what |= 1;
      if (!what && s < str.length && 'ogu'.includes(str[s])) {
        what = (mode >> (3 * 'ogu'.indexOf(str[s]))) & 7;
        s++;
      }
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 3; j++) {
          let bit = 0;
          const where = 1 << (3 * i + j);
          if (amask & where) continue;
          if (i === 3) {
            if (!j) bit = what & 16 ? 1 : 0;
            else if (what & 8 && who & (8 | (1 << j))) bit = 1;
          } else {
            if (!(who & (8 | (1 << i)))) continue;
            else if (what & (1 << j)) bit = 1;
          }
          if (how === '=' || (bit && how === '-')) mode &= ~where;
          if (bit && how !== '-') mode |= where;
        }
      }
      if (s >= str.length) return mode | extra;
      if (str[s] === ',') {
        s++;
        break;
      }
    }
  }
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The phone's clock is UTC (persist.sys.timezone=UTC). `%F %T`-style pieces of a time in ms. */
export function utcParts(ms: number): { y: number; mo: number; d: number; h: number; mi: number; s: number; wd: number; yd: number; ns: number } {
  const dt = new Date(Math.floor(ms));
  const start = Date.UTC(dt.getUTCFullYear(), 0, 1);
  const frac = ms - Math.floor(ms / 1000) * 1000;
  return {
    y: dt.getUTCFullYear(), mo: dt.getUTCMonth() + 1, d: dt.getUTCDate(), h: dt.getUTCHours(), mi: dt.getUTCMinutes(), s: dt.getUTCSeconds(),
    wd: dt.getUTCDay(), yd: Math.floor((Date.UTC(dt.getUTCFullYear(), dt.getUTCMonth(), dt.getUTCDate()) - start) / 86400000), ns: Math.round(frac * 1e6),
  };
}

/** `YYYY-MM-DD HH:MM` (ls -l). */
export function isoMinute(ms: number): string {
  const p = utcParts(ms);
  return `${p.y}-${pad2(p.mo)}-${pad2(p.d)} ${pad2(p.h)}:${pad2(p.mi)}`;
}

/** format_iso_time(): `YYYY-MM-DD HH:MM:SS.nnnnnnnnn +0000` (stat %x %y %z). */
export function isoNanos(ms: number): string {
  const p = utcParts(ms);
  return `${p.y}-${pad2(p.mo)}-${pad2(p.d)} ${pad2(p.h)}:${pad2(p.mi)}:${pad2(p.s)}.${String(p.ns).padStart(9, '0')} +0000`;
}

/** dirtree_path()-style joining: no doubled slash after a name that ends in one. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** basename() of POSIX: trailing slashes ignored, "/" stays "/". */
export function baseName(p: string): string {
  if (!p) return '.';
  const s = p.replace(/\/+$/, '');
  if (!s) return '/';
  return s.slice(s.lastIndexOf('/') + 1);
}

/** dirname() of POSIX. */
export function dirName(p: string): string {
  const s = p.replace(/\/+$/, '');
  if (!s) return p.startsWith('/') ? '/' : '.';
  const i = s.lastIndexOf('/');
  if (i < 0) return '.';
  const d = s.slice(0, i).replace(/\/+$/, '');
  return d || '/';
}

/** fnmatch(3) with FNM_PATHNAME optional: * ? [...] and backslash escapes. */
export function fnmatch(pattern: string, name: string, opts: { pathname?: boolean; icase?: boolean } = {}): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += opts.pathname ? '[^/]*' : '[\\s\\S]*';
    else if (c === '?') re += opts.pathname ? '[^/]' : '[\\s\\S]';
    else if (c === '[') {
      let j = i + 1;
      let neg = false;
      if (pattern[j] === '!' || pattern[j] === '^') { neg = true; j++; }
      let body = '';
      let first = true;
      while (j < pattern.length && (pattern[j] !== ']' || first)) {
        const ch = pattern[j];
        if (ch === '[' && pattern[j + 1] === ':') {
          const end = pattern.indexOf(':]', j + 2);
          if (end > 0) {
            body += posixClass(pattern.slice(j + 2, end));
            j = end + 2;
            first = false;
            continue;
          }
        }
        if (ch === '\\' && j + 1 < pattern.length) {
          body += escapeClassChar(pattern[j + 1]);
          j += 2;
        } else {
          body += ch === '-' && !first && pattern[j + 1] !== ']' ? '-' : escapeClassChar(ch);
          j++;
        }
        first = false;
      }
      if (j >= pattern.length) re += '\\[';
      else {
        re += `[${neg ? '^' : ''}${body}]`;
        i = j;
      }
    } else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else re += escapeRe(c);
  }
  return new RegExp(`${re}$`, opts.icase ? 'i' : '').test(name);
}

export function escapeRe(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function escapeClassChar(c: string): string {
  return /[\\\]^-]/.test(c) ? `\\${c}` : c;
}

/** The members of a POSIX character class (C locale), for use inside [...] of a JS regex. */
export function posixClass(name: string): string {
  switch (name) {
    case 'alpha': return 'A-Za-z';
    case 'digit': return '0-9';
    case 'alnum': return 'A-Za-z0-9';
    case 'upper': return 'A-Z';
    case 'lower': return 'a-z';
    case 'space': return ' \\t\\n\\r\\f\\v';
    case 'blank': return ' \\t';
    case 'punct': return '!-\\/:-@\\[-`{-~';
    case 'print': return ' -~';
    case 'graph': return '!-~';
    case 'cntrl': return '\\x00-\\x1f\\x7f';
    case 'xdigit': return '0-9A-Fa-f';
    case 'word': return 'A-Za-z0-9_';
    default: throw new ToyExit(`bad class '${name}'`, 2);
  }
}

/* ------------------------------------------------------------------ */
/* directory trees (lib/dirtree.c)                                     */

export const DT_RECURSE = 1;
export const DT_COMEAGAIN = 2;
export const DT_SYMFOLLOW = 4;
export const DT_SHUTUP = 8;
export const DT_STATLESS = 16;

export interface TreeNode {
  /** As given (the root) or the entry's name. */
  name: string;
  /** dirtree_path(): the root as given, then `/name`s. */
  path: string;
  /** Undefined when stat failed (only with DT_STATLESS). */
  info?: FileInfo;
  statError?: unknown;
  parent?: TreeNode;
  depth: number;
  /** The second, post-order visit of a folder (DT_COMEAGAIN). */
  again: boolean;
  /** A child of this folder could not be handled (rm keeps the folder then). */
  childFailed?: boolean;
}

/** Thrown by a visitor to stop the whole walk (find -quit). */
export class StopWalk extends Error {}

async function addNode(t: Toy, parent: TreeNode | undefined, name: string, flags: number): Promise<TreeNode | undefined> {
  const path = parent ? joinPath(parent.path, name) : name;
  const node: TreeNode = { name, path, parent, depth: parent ? parent.depth + 1 : 0, again: false };
  const follow = !!(flags & DT_SYMFOLLOW);
  try {
    node.info = await t.stat(path, follow);
  } catch (e) {
    let err: unknown = e;
    if (follow && errCode(e) === 'ENOENT') {
      try {
        node.info = await t.stat(path, false);
        return node;
      } catch (e2) {
        err = e2;
      }
    }
    if (flags & DT_STATLESS) {
      node.statError = err;
      return node;
    }
    if (!(flags & DT_SHUTUP) && name !== '.' && name !== '..') await t.perr(path, err);
    if (parent) parent.childFailed = true;
    return undefined;
  }
  return node;
}

/**
 * dirtree_flagread(): visits `root` and (when the visitor asks with DT_RECURSE or DT_COMEAGAIN) everything
 * under it, pre-order; DT_COMEAGAIN visits a folder again after its children. A folder that cannot be read
 * prints `cmd: PATH: Permission denied`. Returns false when the root could not be stat'ed.
 */
export async function walkTree(t: Toy, root: string, flags: number, visit: (n: TreeNode) => Promise<number>): Promise<boolean> {
  const node = await addNode(t, undefined, root, flags);
  if (!node) return false;
  await handleNode(t, node, visit, flags);
  return true;
}

async function handleNode(t: Toy, node: TreeNode, visit: (n: TreeNode) => Promise<number>, baseFlags: number): Promise<void> {
  const r = await visit(node);
  if (node.info && isDir(node.info) && r & (DT_RECURSE | DT_COMEAGAIN)) {
    let names: string[] | undefined;
    try {
      names = await t.list(node.path);
    } catch (e) {
      if (!(r & DT_SHUTUP)) await t.perr(node.path, e);
      node.childFailed = true;
      return;
    }
    for (const name of names) {
      if (t.aborted) throw new Aborted();
      const child = await addNode(t, node, name, (r & (DT_SYMFOLLOW | DT_SHUTUP)) | (baseFlags & DT_STATLESS));
      if (child) await handleNode(t, child, visit, baseFlags);
    }
    if (r & DT_COMEAGAIN) {
      node.again = true;
      await visit(node);
    }
  }
}
