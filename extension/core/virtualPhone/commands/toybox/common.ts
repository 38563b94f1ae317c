/**
 * What every toybox command on the virtual phone shares: option parsing the way toybox's lib/args.c does it,
 * error messages as lib/lib.c prints them (`cmd: path: Permission denied`), buffered stdout with back-pressure
 * and SIGPIPE, and file access that always goes through the sandbox's permission rules.
 */
import { promises as fsp } from 'node:fs';
import { Sandbox, type FileInfo, type FsAccess } from '../../sandbox';
import { errnoText, type Command, type CommandContext, type Io } from '../types';
import { openReader } from '../../os/files';
import { isSysPath, sysFile, sysList } from '../../os/sysfs';
import { isDevPath } from '../../os/devfs';
import { procFile, procList } from '../../os/procfs';
import { Aborted, Opts, ToyExit, errCode, errnoError, fromB, getopt, toB } from './args';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, joinPath } from './formats';

export * from './args';
export * from './formats';

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
    const sys = isSysPath(abs) ? sysList(this.ctx.device, abs) : undefined;
    if (sys) return [...sys].sort();
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
  if (isSysPath(abs) && (sysList(ctx.device, abs) || sysFile(ctx.device, abs) !== undefined)) {
    const dir = sysList(ctx.device, abs) !== undefined;
    const ino = 30000 + ([...abs].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 100000);
    return { type: dir ? 'dir' : 'file', mode: (dir ? S_IFDIR | 0o755 : S_IFREG | 0o444), uid: 0, gid: 0, size: dir ? 0 : 4096, mtimeMs: boot, atimeMs: boot, ctimeMs: boot, nlink: dir ? 2 : 1, ino, dev: 20, blocks: 0, path: abs };
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
  if (isDevPath(abs) || abs === '/proc' || abs.startsWith('/proc/') || (isSysPath(abs) && sysFile(ctx.device, abs) !== undefined)) {
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
