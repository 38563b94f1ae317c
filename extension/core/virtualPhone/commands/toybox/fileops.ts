/**
 * Commands that change the file system or look at one file: stat, chmod, chown, chgrp, touch, ln, cp, mv, rm,
 * rmdir, mkdir, readlink, realpath. Every change goes through the sandbox with the access kind the kernel
 * would check (create: the parent is writable; delete: the parent is writable; chmod: the owner), so the
 * phone answers `Permission denied`, `Operation not permitted` and `Read-only file system` where a phone does.
 */
import { promises as fsp } from 'node:fs';
import type { CommandTable } from '../types';
import type { FileInfo } from '../../sandbox';
import {
  Aborted, DT_COMEAGAIN, DT_RECURSE, DT_SHUTUP, DT_SYMFOLLOW, S_IFMT, ToyExit, umaskOf, baseName, blocksOf, dirName, errCode, errnoError,
  fullMode, isDir, isLink, isReg, isoNanos, joinPath, modeString, rdevOf, stringToMode, toy, walkTree, type Input, type Output,
  type Toy, type TreeNode,
} from './common';
import { formatInt, formatStr, parseConv } from './cfmt';
import { fileContext, idByName, idString, mountOf } from './ids';
import { parseDate } from './dates';

/* ------------------------------------------------------------------ */
/* the kernel's side of file operations, through the sandbox          */

async function writableProbe(t: Toy, p: string): Promise<unknown> {
  try {
    await t.resolve(p, 'write');
    return undefined;
  } catch (e) {
    return e;
  }
}

const opts = (t: Toy): { cwd: string; uid: number } => ({ cwd: t.ctx.cwd, uid: t.ctx.uid });

/** chmod(2): EROFS on a read-only mount, EPERM unless the caller owns the file (the sandbox's rules). */
export function chmodPath(t: Toy, p: string, mode: number): Promise<void> {
  return t.ctx.fs.chmod(p, mode & 0o7777, { ...opts(t), follow: true });
}

/** unlink(2) or rmdir(2). */
export async function unlinkPath(t: Toy, p: string, dir: boolean): Promise<void> {
  if (dir) await t.ctx.fs.rmdir(p, opts(t));
  else await t.ctx.fs.unlink(p, opts(t));
}

/** mkdir(2) with exactly these permission bits (the umask already applied). */
async function mkdirPath(t: Toy, p: string, mode: number): Promise<void> {
  await t.ctx.fs.mkdir(p, { ...opts(t), mode: mode & 0o7777 });
}

async function symlinkPath(t: Toy, target: string, p: string): Promise<void> {
  await t.ctx.fs.symlink(target, p, opts(t));
}

/** link(2): same mount (EXDEV), not a folder (EPERM), not on shared storage (EPERM: MediaProvider makes none). */
async function linkPath(t: Toy, old: string, p: string): Promise<void> {
  const info = await t.stat(old, false);
  if (isDir(info)) throw errnoError('EPERM');
  const to = await t.resolve(p, 'create');
  const target = await t.stat(dirName(p), true);
  if (info.dev !== undefined && target.dev !== undefined && info.dev !== target.dev) throw errnoError('EXDEV');
  if ((info.path ?? '').startsWith('/storage/emulated/') || (target.path ?? '').startsWith('/storage/emulated')) throw errnoError('EPERM');
  const from = await t.resolve(old, 'none');
  await fsp.link(from, to);
  await t.ctx.fs.created(to, info.uid, fullMode(info) & 0o7777);
}

async function renamePath(t: Toy, from: string, to: string): Promise<void> {
  await t.ctx.fs.rename(from, to, opts(t));
}

/**
 * utimensat(2): times in ms, or undefined for "now". "now" for both needs write access; explicit times the
 * owner. One time kept as it is (touch -a / -m) is written back explicitly when the caller owns the file.
 */
async function utimesPath(t: Toy, p: string, atime: number | undefined, mtime: number | undefined, o: { follow: boolean; keepA?: boolean; keepM?: boolean }): Promise<void> {
  let a = atime;
  let m = mtime;
  if (o.keepA || o.keepM) {
    const info = await t.stat(p, o.follow);
    const now = Date.now();
    if (o.keepA) a = info.atimeMs;
    else a ??= now;
    if (o.keepM) m = info.mtimeMs;
    else m ??= now;
    const owner = t.ctx.uid === 0 || info.uid === t.ctx.uid;
    if (!owner && atime === undefined && mtime === undefined) {
      a = undefined;
      m = undefined;
    }
  }
  await t.ctx.fs.utimes(p, a === undefined ? undefined : a / 1000, m === undefined ? undefined : m / 1000, { ...opts(t), follow: o.follow });
}

/* ------------------------------------------------------------------ */
/* stat (toys/other/stat.c)                                            */

const FILE_FORMAT = '  File: %N\n  Size: %s\t Blocks: %b\t IO Blocks: %B\t %F\nDevice: %Dh/%dd\t Inode: %i\t Links: %h\t Device type: %t,%T\n'
  + 'Access: (%04a/%A)\tUid: (%5u/%8U)\tGid: (%5g/%8G)\nAccess: %x\nModify: %y\nChange: %z';
const FS_FORMAT = '  File: "%n"\n    ID: %i Namelen: %l    Type: %T\nBlock Size: %s    Fundamental block size: %S\n'
  + 'Blocks: Total: %b\tFree: %f\tAvailable: %a\nInodes: Total: %c\tFree: %d';

const FS_TYPE_NAMES: Record<number, string> = { 0xef53: 'ext3', 0x01021994: 'tmpfs', 0x9fa0: 'proc', 0x62656572: 'sysfs', 0xf2f52010: 'f2fs', 0xe0f5e1e2: 'erofs', 0x1cd1: 'devpts' };

const stat = toy('stat', { opts: '<1c:(format)fLt', usage: 'stat [-tfL] [-c FORMAT] FILE...' }, async (t) => {
  const o = t.o;
  const fsMode = o.has('f');
  let format = o.has('t') ? (fsMode ? '%n %i %l %t %s %S %b %f %a %c %d' : '%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %o') : fsMode ? FS_FORMAT : FILE_FORMAT;
  if (o.has('c')) format = o.str('c') ?? '';
  for (const file of t.args) {
    let info: FileInfo;
    try {
      info = await t.stat(file, fsMode || o.has('L'));
    } catch (e) {
      await t.perr(`'${file}'`, e);
      continue;
    }
    const abs = info.path ?? t.abs(file);
    const mode = fullMode(info);
    const mnt = mountOf(abs);
    const dev = info.dev ?? 0;
    const num = (spec: { flags: string; width?: number; prec?: number }, c: string, v: number | bigint): string => formatInt(BigInt(v), { ...spec, conv: c });
    let s = '';
    for (let i = 0; i < format.length; i++) {
      const ch = format[i];
      if (ch !== '%' || i + 1 >= format.length) {
        s += ch;
        continue;
      }
      if (format[i + 1] === '%') {
        s += '%';
        i++;
        continue;
      }
      const conv = parseConv(format, i);
      if (!conv) t.fail(`bad ${format.slice(i)}`);
      const { spec, end } = conv as NonNullable<typeof conv>;
      i = end - 1;
      const str = (v: string): string => formatStr(v, spec);
      const c = spec.conv;
      if (c === 'n') {
        s += str(file);
        continue;
      }
      if (fsMode) {
        const bsize = 4096;
        const sp = mnt.space;
        const total = Math.floor(sp.totalK / 4);
        const free = Math.floor((sp.totalK - sp.usedK) / 4);
        const avail = Math.floor((sp.availK ?? sp.totalK - sp.usedK) / 4);
        switch (c) {
          case 'a': s += num(spec, 'u', avail); break;
          case 'b': s += num(spec, 'u', total); break;
          case 'c': s += num(spec, 'u', mnt.space.files); break;
          case 'd': s += num(spec, 'u', mnt.space.filesFree); break;
          case 'f': s += num(spec, 'u', free); break;
          case 'l': s += num(spec, 'd', 255); break;
          case 't': s += num(spec, 'x', mnt.space.magic); break;
          case 'T': s += str(FS_TYPE_NAMES[mnt.space.magic] ?? `0x${mnt.space.magic.toString(16)}`); break;
          case 'i': s += str(`${mnt.dev.toString(16).padStart(8, '0')}${'0'.repeat(8)}`); break;
          case 's': case 'S': s += num(spec, 'd', bsize); break;
          default: s += str('?');
        }
        continue;
      }
      switch (c) {
        case 'a': s += num(spec, 'o', mode & ~S_IFMT); break;
        case 'A': s += str(modeString(mode)); break;
        case 'b': s += num(spec, 'u', blocksOf(info)); break;
        case 'B': s += num(spec, 'd', 512); break;
        case 'C': s += str(fileContext(abs)); break;
        case 'd': s += num(spec, 'd', dev); break;
        case 'D': s += num(spec, 'x', dev); break;
        case 'f': s += num(spec, 'x', mode); break;
        case 'F': {
          const ft = mode & S_IFMT;
          const names: Record<number, string> = { 0o020000: 'character device', 0o040000: 'directory', 0o060000: 'block device', 0o100000: 'regular file', 0o120000: 'symbolic link', 0o140000: 'socket', 0o010000: 'FIFO (named pipe)' };
          s += str(!info.size && ft === 0o100000 ? 'regular empty file' : names[ft] ?? 'FIFO (named pipe)');
          break;
        }
        case 'g': s += num(spec, 'u', info.gid); break;
        case 'G': s += str(idString(info.gid)); break;
        case 'h': s += num(spec, 'u', info.nlink); break;
        case 'i': s += num(spec, 'u', info.ino); break;
        case 'm': s += str(mnt.at); break;
        case 'N': s += file + (isLink(info) ? ` -> '${info.linkTarget ?? ''}'` : ''); break;
        case 'o': s += num(spec, 'u', 4096); break;
        case 's': s += num(spec, 'u', info.size); break;
        case 't': s += num(spec, 'x', rdevOf(info)[0]); break;
        case 'T': s += num(spec, 'x', rdevOf(info)[1]); break;
        case 'u': s += num(spec, 'u', info.uid); break;
        case 'U': s += str(idString(info.uid)); break;
        case 'x': s += str(isoNanos(info.atimeMs)); break;
        case 'X': s += num(spec, 'u', Math.floor(info.atimeMs / 1000)); break;
        case 'y': s += str(isoNanos(info.mtimeMs)); break;
        case 'Y': s += num(spec, 'u', Math.floor(info.mtimeMs / 1000)); break;
        case 'z': s += str(isoNanos(info.ctimeMs)); break;
        case 'Z': s += num(spec, 'u', Math.floor(info.ctimeMs / 1000)); break;
        default: s += '?';
      }
    }
    await t.out(`${s}\n`);
  }
});

/* ------------------------------------------------------------------ */
/* chmod (toys/posix/chmod.c)                                          */

const chmod = toy('chmod', { opts: '<2?vfR[-vf]', usage: 'chmod [-R] MODE FILE...' }, async (t) => {
  const o = t.o;
  const modeStr = t.args[0];
  for (const file of t.args.slice(1)) {
    await walkTree(t, file, 0, async (n) => {
      if (n.parent && (n.name === '.' || n.name === '..')) return 0;
      const info = n.info as FileInfo;
      if (!(o.has('R') && n.parent && isLink(info))) {
        const mode = stringToMode(modeStr, fullMode(info), umaskOf(t.ctx)) & ~S_IFMT;
        if (o.has('v')) await t.out(`chmod '${n.path}' to ${modeStr}\n`);
        try {
          await chmodPath(t, n.path, mode);
        } catch (e) {
          await t.perr(`chmod '${n.name}' to ${mode.toString(8).padStart(4, '0')}`, e);
        }
      }
      return o.has('R') ? DT_RECURSE : 0;
    });
  }
});

/* ------------------------------------------------------------------ */
/* chown, chgrp (toys/posix/chgrp.c)                                   */

function chownCommand(name: 'chown' | 'chgrp') {
  return toy(name, { opts: '<2h(no-dereference)PLHRfv[-HLP]', usage: `${name} [-RHLP] ${name === 'chown' ? 'USER[:GROUP]' : 'GROUP'} FILE...` }, async (t) => {
    const o = t.o;
    let ownerName = '';
    let groupName = '';
    let owner = -1;
    let group = -1;
    const lookup = (s: string, what: string): number => {
      const id = idByName(s);
      if (id !== undefined) return id;
      if (/^\d+$/.test(s)) return Number(s);
      return t.fail(`bad ${what} '${s}'`);
    };
    if (name === 'chown') {
      const spec = t.args[0];
      const sep = spec.includes(':') ? spec.indexOf(':') : spec.indexOf('.');
      ownerName = sep >= 0 ? spec.slice(0, sep) : spec;
      if (sep >= 0) groupName = spec.slice(sep + 1);
      if (ownerName) owner = lookup(ownerName, 'user');
    } else groupName = t.args[0];
    if (groupName) group = lookup(groupName, 'group');
    const follow = o.has('L') || o.has('H');
    for (const file of t.args.slice(1)) {
      await walkTree(t, file, follow ? DT_SYMFOLLOW : 0, async (n) => {
        if (n.parent && (n.name === '.' || n.name === '..')) return 0;
        const info = n.info as FileInfo;
        if (o.has('R') && !n.again && isDir(info)) return DT_COMEAGAIN | (o.has('L') ? DT_SYMFOLLOW : 0);
        let err: unknown;
        try {
          await t.ctx.fs.chown(n.path, owner, group, { cwd: t.ctx.cwd, uid: t.ctx.uid, follow: !(o.has('h') || (o.has('R') && !o.has('L') && !o.has('H'))) });
        } catch (e) {
          err = e;
        }
        if (o.has('v')) await t.out(`${name} ${ownerName}${name === 'chown' && groupName ? ':' : ''}${groupName} ${n.path}\n`);
        if (err) {
          if (!o.has('f')) await t.perr(`'${n.path}' to '${ownerName}:${groupName}'`, err);
          t.exitval = 1;
        }
        return 0;
      });
    }
  });
}

/* ------------------------------------------------------------------ */
/* touch (toys/posix/touch.c)                                          */

const touch = toy('touch', { opts: '<1acd:fmr:t:h[!dtr]', usage: 'touch [-amch] [-d DATE] [-t TIME] [-r FILE] FILE...' }, async (t) => {
  const o = t.o;
  let when: number | undefined;
  let atime: number | undefined;
  let mtime: number | undefined;
  const spec = o.str('t') ?? o.str('d');
  if (spec !== undefined) {
    const p = parseDate(spec, Date.now(), false);
    when = p.sec * 1000 + p.nano / 1e6;
  }
  atime = mtime = when;
  if (o.str('r') !== undefined) {
    const ref = o.str('r') as string;
    let info: FileInfo;
    try {
      info = await t.stat(ref, true);
    } catch (e) {
      await t.perr(ref, e);
      return 1;
    }
    atime = info.atimeMs;
    mtime = info.mtimeMs;
  }
  const setA = !o.has('m') || o.has('a');
  const setM = !o.has('a') || o.has('m');
  const explicit = atime !== undefined;
  for (let k = 0; k < t.args.length; k++) {
    const f = t.args[k];
    const set = (): Promise<void> => utimesPath(t, f, explicit && setA ? atime : undefined, explicit && setM ? mtime : undefined, { follow: !o.has('h'), keepA: !setA, keepM: !setM });
    if (f === '-') continue;
    try {
      await set();
      continue;
    } catch (e) {
      if (o.has('c')) continue;
      if (errCode(e) === 'ENOENT' && !(await t.tryStat(f, false))) {
        let out: Output | undefined;
        try {
          out = await t.create(f, { truncate: false });
          await out.close();
          if (explicit || o.flags.size) await set();
          continue;
        } catch (e2) {
          await t.perr(`'${f}'`, e2);
          continue;
        }
      }
      await t.perr(`'${f}'`, e);
    }
  }
});

/* ------------------------------------------------------------------ */
/* ln (toys/posix/ln.c)                                                */

const ln = toy('ln', { opts: '<1rt:Tvnfs', usage: 'ln [-sfnv] [-t DIR] [FROM...] TO' }, async (t) => {
  const o = t.o;
  const args = [...t.args];
  let dest = o.str('t') ?? (args.pop() as string);
  if (o.has('T') && args.length > 1) throw new ToyExit('Max 2 arguments', 1, true);
  if (!args.length) {
    args.push(dest);
    dest = '.';
  }
  const st = await t.tryStat(dest, !(o.has('n') || o.has('T')));
  const destIsDir = !!st && isDir(st);
  if (st && (destIsDir ? o.has('T') : args.length > 1 || o.has('t'))) t.fail(`'${dest}' ${destIsDir ? 'is' : 'not'} a directory`);
  for (const orig of args) {
    let target = orig;
    const newPath = destIsDir ? `${dest}/${baseName(orig)}` : dest;
    let symbolic = o.has('s');
    if (o.has('r')) {
      const from = await canonical(t, dirName(newPath), 'none');
      const to = await canonical(t, orig, 'none');
      target = relativePath(from, to);
      symbolic = true;
    }
    try {
      if (o.has('f')) {
        const tmp = `${newPath}_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
        if (symbolic) await symlinkPath(t, target, tmp);
        else await linkPath(t, target, tmp);
        try {
          await renamePath(t, tmp, newPath);
        } catch (e) {
          await unlinkPath(t, tmp, false).catch(() => undefined);
          throw e;
        }
      } else if (symbolic) await symlinkPath(t, target, newPath);
      else await linkPath(t, target, newPath);
      if (o.has('v')) await t.errRaw(`'${newPath}' -> '${target}'\n`);
    } catch (e) {
      await t.perr(`cannot create ${symbolic ? 'symbolic' : 'hard'} link from '${target}' to '${newPath}'`, e);
    }
  }
});

/* ------------------------------------------------------------------ */
/* canonical paths (xabspath from lib/xwrap.c)                         */

/**
 * Resolves `p` to an absolute path with no symlinks, . or .. left. `need`: 'file' every component must exist,
 * 'path' all but the last, 'none' nothing. `keep`: do not resolve symlinks (only . and ..).
 */
export async function canonical(t: Toy, p: string, need: 'file' | 'path' | 'none', keep = false): Promise<string> {
  if (!keep) {
    try {
      const info = await t.stat(p, true);
      if (info.path) return info.path;
    } catch (e) {
      if (need === 'file' || errCode(e) !== 'ENOENT') throw e;
    }
  }
  let todo = t.abs(p).split('/').filter(Boolean);
  if (keep) {
    const done: string[] = [];
    for (const c of p.startsWith('/') ? p.split('/') : [...(t.ctx.env.PWD ?? t.ctx.cwd).split('/'), ...p.split('/')]) {
      if (!c || c === '.') continue;
      if (c === '..') done.pop();
      else done.push(c);
    }
    return `/${done.join('/')}`;
  }
  const done: string[] = [];
  let missing = 0;
  let loops = 0;
  while (todo.length) {
    const comp = todo.shift() as string;
    const last = !todo.length;
    if (comp === '.') continue;
    if (comp === '..') {
      done.pop();
      if (missing) missing--;
      continue;
    }
    const cur = `/${[...done, comp].join('/')}`;
    if (missing) {
      done.push(comp);
      missing++;
      continue;
    }
    let info: FileInfo;
    try {
      info = await t.stat(cur, false);
    } catch (e) {
      if (errCode(e) === 'ENOENT' && (need === 'none' || (need === 'path' && last))) {
        done.push(comp);
        missing++;
        continue;
      }
      throw e;
    }
    if (isLink(info)) {
      if (++loops > 40) throw errnoError('ELOOP');
      const target = info.linkTarget ?? '';
      if (target.startsWith('/')) done.length = 0;
      todo = [...target.split('/').filter(Boolean), ...todo];
      continue;
    }
    if (!last && !isDir(info) && need !== 'none') throw errnoError('ENOTDIR');
    done.push(comp);
  }
  return `/${done.join('/')}`;
}

/** relative_path(): how to get from folder `from` to `to` (both absolute and canonical). */
export function relativePath(from: string, to: string): string {
  const a = from.split('/').filter(Boolean);
  const b = to.split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const parts = [...Array(a.length - i).fill('..'), ...b.slice(i)];
  return parts.length ? parts.join('/') : '.';
}

const realpath = toy('realpath', { opts: '<1(relative-base):R(relative-to):s(no-symlinks)LPemqz[-Ps][-LP][-me]', usage: 'realpath [-LPemqsz] [--relative-base DIR] [-R DIR] FILE...' }, async (t) => {
  await doPaths(t, true, false);
});

const readlink = toy('readlink', { opts: '<1vnf(canonicalize)emqz[-mef][-qv]', usage: 'readlink FILE...' }, async (t) => {
  const o = t.o;
  const resolve = o.has('f') || o.has('e') || o.has('m');
  if (!o.has('v')) o.set('q');
  await doPaths(t, resolve, o.has('n'));
});

async function doPaths(t: Toy, resolve: boolean, noNewline: boolean): Promise<void> {
  const o = t.o;
  const need = o.has('e') ? 'file' : o.has('m') ? 'none' : 'path';
  const one = async (arg: string): Promise<string | undefined> => {
    try {
      let s: string;
      if (o.has('L') && !o.has('s')) s = await canonical(t, await canonical(t, arg, 'none', true), need);
      else s = await canonical(t, arg, need, o.has('s'));
      const base = o.str('relative-base');
      const rel = o.str('R');
      if (base !== undefined) {
        const b = await canonical(t, base, need);
        if (s === b) s = '.';
        else if (s.startsWith(b === '/' ? '/' : `${b}/`)) s = s.slice(b === '/' ? 1 : b.length + 1);
      } else if (rel !== undefined) s = relativePath(await canonical(t, rel, need), s);
      return s;
    } catch (e) {
      if (!o.has('q')) await t.perr(arg, e);
      return undefined;
    }
  };
  const end = o.has('z') ? '\0' : '\n';
  for (let i = 0; i < t.args.length; i++) {
    const arg = t.args[i];
    let s: string | undefined;
    if (resolve) s = await one(arg);
    else {
      const info = await t.tryStat(arg, false);
      s = info && isLink(info) ? info.linkTarget : undefined;
    }
    if (s === undefined) {
      t.exitval = 1;
      continue;
    }
    await t.out(noNewline && i === t.args.length - 1 ? s : s + end);
  }
}

/* ------------------------------------------------------------------ */
/* mkdir, rmdir (toys/posix/mkdir.c, rmdir.c)                          */

const mkdir = toy('mkdir', { opts: '<1Z:vp(parent)(parents)m:', usage: 'mkdir [-vp] [-m MODE] [DIR...]' }, async (t) => {
  const o = t.o;
  const last = o.str('m') !== undefined ? stringToMode(o.str('m') as string, 0o777) : 0o777 & ~umaskOf(t.ctx);
  for (const dir of t.args) {
    try {
      const existing = await t.tryStat(dir, true);
      if (existing) {
        if (!o.has('p') || !isDir(existing)) throw errnoError('EEXIST');
        continue;
      }
      const abs = dir.startsWith('/');
      const parts = dir.split('/');
      for (let i = 0; i < parts.length; i++) {
        const isLast = i === parts.length - 1 || parts.slice(i + 1).every((x) => !x);
        if (!parts[i]) {
          if (isLast) break;
          continue;
        }
        if (!o.has('p') && !isLast) continue;
        const sub = (abs ? '/' : '') + parts.slice(abs ? 1 : 0, i + 1).join('/');
        const mode = isLast ? last : (0o777 & ~umaskOf(t.ctx)) | 0o300;
        try {
          await mkdirPath(t, sub, mode);
          if (o.has('v')) await t.errRaw(`mkdir: created directory '${sub}'\n`);
        } catch (e) {
          if (!o.has('p') || errCode(e) !== 'EEXIST') throw e;
        }
        if (isLast) break;
      }
    } catch (e) {
      await t.perr(`'${dir}'`, e);
    }
  }
});

const rmdir = toy('rmdir', { opts: '<1(ignore-fail-on-non-empty)p(parents)', usage: 'rmdir [-p] [DIR...]' }, async (t) => {
  const o = t.o;
  for (const arg of t.args) {
    let name = arg;
    for (;;) {
      try {
        await unlinkPath(t, name, true);
      } catch (e) {
        if (!o.has('ignore-fail-on-non-empty') || errCode(e) !== 'ENOTEMPTY') await t.perr(name, e);
        break;
      }
      if (!o.has('p')) break;
      let cut = name;
      do {
        const i = cut.lastIndexOf('/');
        if (i < 0) {
          cut = '';
          break;
        }
        cut = cut.slice(0, i);
      } while (cut.endsWith('/'));
      if (!cut) break;
      name = cut;
    }
  }
});

/* ------------------------------------------------------------------ */
/* rm (toys/posix/rm.c)                                                */

async function yesno(t: Toy, prompt: string): Promise<boolean> {
  await t.errRaw(`${prompt} (y/N):`);
  const c = await t.readStdin();
  const line = c ? c.toString('latin1') : '';
  return /^\s*[yY]/.test(line);
}

const rm = toy('rm', { opts: 'f(force)iRrv[-fi]', usage: 'rm [-fiRrv] FILE...' }, async (t) => {
  const o = t.o;
  if (!t.args.length && !o.has('f')) throw new ToyExit('Needs 1 argument', 1, true);
  const recursive = o.has('r') || o.has('R');
  for (const arg of t.args) {
    if (arg === '/' || t.abs(arg) === '/' && /^\/+$/.test(arg)) {
      await t.err('rm /. if you mean it');
      continue;
    }
    if (baseName(arg) === '..') {
      await t.err(`bad path ${arg}`);
      continue;
    }
    if (o.has('f') && !(await t.tryStat(arg, false))) {
      const e = await t.stat(arg, false).catch((x) => x);
      if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') continue;
    }
    await walkTree(t, arg, 0, async (n) => {
      if (n.name === '.' || n.name === '..') return 0;
      const info = n.info as FileInfo;
      const dir = isDir(info);
      if (dir && !recursive) {
        await t.perr(n.name, errnoError('EISDIR'));
        if (n.parent) n.parent.childFailed = true;
        return 0;
      }
      if (!(dir && n.again)) {
        let readOnly = false;
        if (!o.has('f') && !isLink(info)) readOnly = !!(await writableProbe(t, n.path));
        if ((readOnly && t.io.tty) || o.has('i')) {
          if (!(await yesno(t, `rm ${readOnly ? 'ro ' : ''}${dir ? 'dir ' : ''}${n.path}`))) {
            if (n.parent) n.parent.childFailed = true;
            return 0;
          }
        }
      }
      if (dir) {
        if (!n.again) {
          if (o.has('f') && (await t.list(n.path).then(() => false, () => true))) await chmodPath(t, n.path, 0o700).catch(() => undefined);
          return DT_COMEAGAIN;
        }
        if (o.has('i') && !(await yesno(t, `rmdir ${n.path}`))) {
          if (n.parent) n.parent.childFailed = true;
          return 0;
        }
      }
      try {
        await unlinkPath(t, n.path, dir);
        if (o.has('v')) await t.out(`rm${dir ? 'dir' : ''} '${n.path}'\n`);
      } catch (e) {
        if (!dir || !n.childFailed) await t.perr(n.name, e);
        if (n.parent) n.parent.childFailed = true;
      }
      return 0;
    });
  }
});

/* ------------------------------------------------------------------ */
/* cp, mv (toys/posix/cp.c)                                            */

async function copyContents(t: Toy, from: string, to: string, mode: number): Promise<void> {
  let input: Input;
  try {
    input = await t.open(from);
  } catch (e) {
    throw Object.assign(e as Error, { side: 'source' });
  }
  let out: Output | undefined;
  try {
    out = await t.create(to, { mode: mode & 0o777 });
    for (let c = await input.read(); c !== null; c = await input.read()) {
      if (t.aborted) throw new Aborted();
      await out.write(c);
    }
  } finally {
    await input.close();
    await out?.close().catch(() => undefined);
  }
}

function cpCommand(name: 'cp' | 'mv') {
  const opts = name === 'cp' ? '<1(preserve):;D(parents)RHLPprudaslvnF(remove-destination)fit:T[-HLPd][-niu][+Rr]' : '<1v(verbose)nF(remove-destination)fit:T[-ni]';
  return toy(name, { opts, usage: name === 'cp' ? 'cp [-adfHiLlnPpRrsTv] [--preserve=motcxa] [-t TARGET] SOURCE... [DEST]' : 'mv [-finTv] [-t TARGET] SOURCE... [DEST]' }, async (t) => {
    const o = t.o;
    const isMv = name === 'mv';
    if (isMv) {
      o.set('d');
      o.set('p');
      o.set('r');
    }
    const args = [...t.args];
    const tt = o.str('t');
    const destname = tt ?? (args.pop() as string);
    if (!args.length) t.fail('Needs 2 arguments');
    const top = await t.tryStat(destname, true);
    let destdir = !!top && isDir(top);
    if (!top && o.has('D')) {
      destdir = true;
    } else if (!destdir && (args.length > 1 || o.has('D') || tt !== undefined)) t.fail(`'${destname}' not directory`);
    if (o.has('T')) {
      if (args.length > 1) throw new ToyExit('Max 2 arguments', 1, true);
      if (destdir) t.fail(`'${destname}' is a directory`);
    }
    let pMode = false, pOwner = false, pTimes = false;
    if (o.has('a') || o.has('p')) pMode = pOwner = pTimes = true;
    if (o.has('preserve')) {
      const pre = o.str('preserve') ?? 'mot';
      for (const part of pre.split(',')) {
        if (part === 'all') pMode = pOwner = pTimes = true;
        else if (part === 'mode') pMode = true;
        else if (part === 'ownership') pOwner = true;
        else if (part === 'timestamps') pTimes = true;
        else if (part === 'context' || part === 'xattr') continue;
        else {
          for (const ch of part) {
            if (ch === 'm') pMode = true;
            else if (ch === 'o') pOwner = true;
            else if (ch === 't') pTimes = true;
            else if (ch === 'a') pMode = pOwner = pTimes = true;
            else if (ch !== 'c' && ch !== 'x') t.fail(`bad --preserve=${pre}`);
          }
        }
      }
    }
    void pOwner;
    const recursive = o.has('a') || o.has('r') || o.has('R');

    for (let src of args) {
      if (src.length > 1) src = src.replace(/\/+$/, '') || '/';
      const dest = destdir ? joinPath(destname, o.has('D') ? src : baseName(src)) : destname;
      if (isMv) {
        const exists = await t.tryStat(dest, true);
        let send = true;
        if (!o.has('f') || o.has('n')) {
          if (exists && (o.has('i') || (!(exists.mode & 0o222) && t.io.tty))) {
            if (!(await yesno(t, `mv: overwrite '${dest}'`))) send = false;
          }
          if (exists && o.has('n')) send = false;
        }
        if (!send) continue;
        try {
          if (o.has('v')) await t.out(`mv '${src}'\n`);
          await renamePath(t, src, dest);
          continue;
        } catch (e) {
          if (errCode(e) !== 'EXDEV') {
            await t.perr(`bad '${src}'`, e);
            continue;
          }
        }
      }
      const destOf = new Map<TreeNode, string>();
      const made = new Set<number>();
      const ok = await walkTree(t, src, DT_SHUTUP | (o.has('H') || o.has('L') ? DT_SYMFOLLOW : 0), async (n) => {
        if (n.parent && (n.name === '.' || n.name === '..')) return 0;
        const info = n.info as FileInfo;
        const catchPath = n.parent ? joinPath(destOf.get(n.parent) as string, n.name) : dest;
        destOf.set(n, catchPath);
        const report = async (e: unknown, what = catchPath): Promise<void> => {
          await t.perr(what, e);
          if (n.parent) n.parent.childFailed = true;
        };
        const finish = async (): Promise<void> => {
          if (pTimes) await utimesPath(t, catchPath, info.atimeMs, info.mtimeMs, { follow: !isLink(info) }).catch(() => undefined);
          if (pMode && !isLink(info)) await chmodPath(t, catchPath, fullMode(info) & 0o7777).catch(() => undefined);
          if (isMv) {
            try {
              await unlinkPath(t, n.path, isDir(info));
            } catch (e) {
              if (!(isDir(info) && n.childFailed)) await report(e, n.path);
            }
          }
        };
        if (isDir(info) && n.again) {
          await finish();
          return 0;
        }
        if (made.has(info.ino)) return 0;
        const dst = await t.tryStat(catchPath, true);
        if (dst && dst.ino === info.ino && dst.dev === info.dev) {
          await t.err(`'${catchPath}' is '${n.path}'`);
          return 0;
        }
        if (dst && !isDir(dst)) {
          if (isDir(info)) {
            await t.err(`dir at '${n.path}'`);
            return 0;
          }
          if (o.has('F')) {
            try {
              await unlinkPath(t, catchPath, false);
            } catch {
              await t.err(`unlink '${catchPath}'`);
              return 0;
            }
          } else if (o.has('i')) {
            if (!(await yesno(t, `${name}: overwrite '${n.path}'`))) return 0;
          } else if ((o.has('u') && dst.mtimeMs >= info.mtimeMs) || o.has('n')) return 0;
        }
        if (o.has('v') && !isMv) await t.out(`${name} '${n.path}'\n`);
        const linkAsFile = isLink(info) && (o.has('d') || o.has('P') || o.has('a') || (recursive && !o.has('L') && !o.has('H')));
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            if (isDir(info)) {
              if (!recursive) {
                const e = await t.stat(catchPath, false).then(() => errnoError('EXDEV'), (x) => x);
                await t.perr(`Skipped dir '${catchPath}'`, e);
                return 0;
              }
              const existing = await t.tryStat(catchPath, false);
              if (!existing) await mkdirPath(t, catchPath, (fullMode(info) | 0o200) & 0o7777);
              else if (!isDir(existing)) throw errnoError('EEXIST');
              const madeInfo = await t.tryStat(catchPath, false);
              if (madeInfo) made.add(madeInfo.ino);
              return DT_COMEAGAIN | (o.has('L') ? DT_SYMFOLLOW : 0);
            }
            if (o.has('l')) await linkPath(t, n.path, catchPath);
            else if (o.has('s')) {
              let target = n.path;
              let depth = 0;
              let root: TreeNode = n;
              while (root.parent) {
                depth++;
                root = root.parent;
              }
              if (root.name.startsWith('/')) depth = 0;
              target = '../'.repeat(depth) + target;
              await symlinkPath(t, target, catchPath);
            } else if (isLink(info) && (n.parent || linkAsFile)) {
              if (await t.tryStat(catchPath, false)) await unlinkPath(t, catchPath, false);
              await symlinkPath(t, info.linkTarget ?? '', catchPath);
            } else if (!isReg(info) && !isLink(info)) {
              throw errnoError('EPERM');
            } else {
              const src2 = isLink(info) ? await t.stat(n.path, true) : info;
              await copyContents(t, n.path, catchPath, fullMode(src2));
            }
            await finish();
            return 0;
          } catch (e) {
            if (e instanceof Aborted) throw e;
            if (attempt === 0 && (o.has('f') || o.has('n')) && !isDir(info) && (await t.tryStat(catchPath, false))) {
              try {
                await unlinkPath(t, catchPath, false);
                continue;
              } catch {
                /* report the first error */
              }
            }
            await report(e);
            return 0;
          }
        }
        return 0;
      });
      if (!ok) {
        const e = await t.stat(src, !!(o.has('H') || o.has('L'))).then(() => errnoError('ENOENT'), (x) => x);
        await t.perr(`bad '${src}'`, e);
      }
    }
  });
}

export const FILEOP_COMMANDS: CommandTable = {
  stat, chmod, chown: chownCommand('chown'), chgrp: chownCommand('chgrp'), touch, ln, realpath, readlink, mkdir, rmdir, rm,
  cp: cpCommand('cp'), mv: cpCommand('mv'),
};

