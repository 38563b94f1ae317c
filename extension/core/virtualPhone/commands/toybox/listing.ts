/**
 * Commands that walk and show folders: ls (toys/posix/ls.c), du (du.c), df (df.c), find (find.c).
 */
import { promises as fsp } from 'node:fs';
import type { CommandTable } from '../types';
import type { FileInfo } from '../../sandbox';
import {
  DT_COMEAGAIN, DT_STATLESS, DT_SYMFOLLOW, HR_1000, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG,
  S_IFSOCK, StopWalk, ToyExit, atolx, blocksOf, bstr, errCode, fnmatch, fullMode, humanReadable, isDir, isLink, isReg, joinPath,
  modeString, rdevOf, stringToMode, toy, walkTree, type Toy, type TreeNode,
} from './common';
import { fileContext, idByName, idString, mountOf, mounts, type MountView } from './ids';
import { formatInt, formatStr, parseConv } from './cfmt';
import { parseDate } from './dates';

/* ------------------------------------------------------------------ */
/* ls                                                                  */

interface LsEntry {
  name: string;
  path: string;
  info?: FileInfo;
  /** mtime, or atime (-u) / ctime (-c) */
  time: number;
  blocks1k: number;
  context?: string;
  top?: boolean;
}

const LS_OPTS = '(color):;(full-time)(show-control-chars)ZgoACFHLNRSabcdfhikl@mnpqrstuw#=80<0x1[-Cxm1][-Cxml][-Cxmo][-Cxmg][-cu][-ftS][-HL][-Nqb]';

const ls = toy('ls', { opts: LS_OPTS, usage: 'ls [-ACFHLRSZacdfhiklmnpqrstuwx1] [--color[=auto]] [FILE...]' }, async (t) => {
  const o = t.o;
  let longLevel = o.count('l');
  if (o.has('full-time')) {
    o.set('l');
    longLevel = 2;
  }
  const long = (): boolean => o.has('l') || o.has('o') || o.has('n') || o.has('g');
  if (t.io.tty) {
    if (!o.has('show-control-chars')) o.set('b');
    if (long()) o.set('1');
    else if (!(o.has('1') || o.has('x') || o.has('m'))) o.set('C');
  } else {
    if (!o.has('m')) o.set('1');
    if (o.str('color') !== undefined) {
      if (o.has('color')) o.unset('color');
      else o.set('color');
    }
  }
  if (o.has('color') && o.str('color') === 'never') o.unset('color');
  if (o.has('N')) o.unset('b');
  let screen = Number(t.ctx.env.COLUMNS) > 0 ? Number(t.ctx.env.COLUMNS) : 80;
  if (o.has('w')) screen = o.num('w') + 2;
  if (screen < 2) screen = 2;
  const escmore = o.has('b') ? ' \\' : '';
  if (o.has('d')) o.unset('R');
  let nlTitle = 0;

  const crunch = (s: string): string => {
    let out = '';
    for (const ch of s) {
      const code = ch.codePointAt(0) as number;
      const printable = code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0);
      if (printable && !escmore.includes(ch)) out += ch;
      else if (printable || o.has('b')) {
        if (o.has('q') && !printable) out += '?';
        else if (escmore.includes(ch)) out += `\\${ch}`;
        else {
          const k = '\\\x07\b\x1b\f\n\r\t\v'.indexOf(ch);
          if (k >= 0) out += `\\${'\\abefnrtv'[k]}`;
          else for (const b of Buffer.from(ch, 'utf8')) out += `\\${b.toString(8).padStart(3, '0')}`;
        }
      } else if (o.has('q')) out += '?';
      else out += ch;
    }
    return out;
  };
  const width = (s: string): number => [...crunch(s)].length;
  const endtype = (e: LsEntry): string => {
    if (!e.info) return '';
    const m = fullMode(e.info);
    const ft = m & S_IFMT;
    if ((o.has('F') || o.has('p')) && ft === S_IFDIR) return '/';
    if (o.has('F')) {
      if (ft === S_IFLNK) return '@';
      if (ft === S_IFREG && m & 0o111) return '*';
      if (ft === S_IFIFO) return '|';
      if (ft === S_IFSOCK) return '=';
    }
    return '';
  };
  const withH = (v: number, units: number): string => (o.has('h') ? humanReadable(v * units, 0) : String(v));
  const entryLen = (e: LsEntry): number[] => {
    const len = [0, 0, 0, 0, 0, 0, 0, 0];
    len[0] = width(e.name) + (endtype(e) ? 1 : 0) + (o.has('m') ? 1 : 0);
    const i = e.info;
    len[1] = o.has('i') && i ? String(i.ino).length : o.has('i') ? 1 : 0;
    if (long()) {
      len[2] = i ? String(i.nlink).length : 1;
      len[3] = !i ? 1 : o.has('n') ? String(i.uid).length : width(idString(i.uid));
      len[4] = !i ? 1 : o.has('n') ? String(i.gid).length : width(idString(i.gid));
      if (i && ((fullMode(i) & S_IFMT) === S_IFCHR || (fullMode(i) & S_IFMT) === S_IFBLK)) len[5] = String(rdevOf(i)[0]).length + 5;
      else len[5] = i ? withH(i.size, 1).length : 1;
    }
    len[6] = o.has('s') ? withH(e.blocks1k, 1024).length : 0;
    len[7] = o.has('Z') ? width(e.context ?? '?') : 0;
    return len;
  };
  const color = (i: FileInfo | undefined): number => {
    if (!i) return 0;
    const m = fullMode(i);
    const ft = m & S_IFMT;
    if (ft === S_IFDIR) return 256 + 34;
    if (ft === S_IFLNK) return 256 + 36;
    if (ft === S_IFBLK || ft === S_IFCHR) return 256 + 33;
    if (ft === S_IFREG && m & 0o111) return 256 + 32;
    if (ft === S_IFIFO) return 33;
    if (ft === S_IFSOCK) return 256 + 35;
    return 0;
  };
  const compare = (a: LsEntry, b: LsEntry): number => {
    let ret = 0;
    const ai = a.info, bi = b.info;
    if (o.has('S') && ai && bi) ret = ai.size > bi.size ? -1 : ai.size < bi.size ? 1 : 0;
    if (o.has('t')) ret = a.time > b.time ? -1 : a.time < b.time ? 1 : 0;
    if (!ret) ret = a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    return o.has('r') ? -ret : ret;
  };
  const makeEntry = async (name: string, path: string, follow: boolean, top = false): Promise<LsEntry> => {
    let info: FileInfo | undefined;
    try {
      info = await t.stat(path, follow);
    } catch (e) {
      if (follow && errCode(e) === 'ENOENT') info = await t.tryStat(path, false);
    }
    const e: LsEntry = { name, path, info, time: 0, blocks1k: 0, top };
    if (info) {
      e.time = o.has('u') ? info.atimeMs : o.has('c') ? info.ctimeMs : info.mtimeMs;
      e.blocks1k = Math.floor(blocksOf(info) / 2);
    }
    if (o.has('Z')) e.context = info ? fileContext(t.abs(path)) : '?';
    return e;
  };

  let singledir: LsEntry | undefined;
  const listfiles = async (dir: LsEntry | undefined, given: LsEntry[] | undefined): Promise<void> => {
    let sort: LsEntry[];
    const isTop = !dir;
    if (isTop) {
      const entries = given ?? [];
      const only = entries[0];
      if (entries.length === 1 && only.info && isDir(only.info) && !(o.has('d') || o.has('R'))) {
        singledir = only;
        await listfiles(only, undefined);
        return;
      }
      sort = [...entries];
    } else {
      const d = dir as LsEntry;
      let names: string[];
      try {
        names = await t.list(d.path);
      } catch (e) {
        await t.perr(d.name, e);
        return;
      }
      if (o.has('a') || o.has('f')) names = ['.', '..', ...names];
      else if (!o.has('A')) names = names.filter((n) => !n.startsWith('.'));
      sort = [];
      const abs = t.abs(d.path);
      const special = o.has('L') || abs === '/dev' || abs === '/proc' || abs.startsWith('/proc/');
      const known = new Map<string, FileInfo>();
      if (!special) {
        for (const { name, info } of await t.ctx.fs.listInfo(d.path, t.ctx.cwd, t.ctx.uid).catch(() => [])) known.set(name, info);
      }
      for (const n of names) {
        const info = known.get(n);
        if (info) {
          const e: LsEntry = { name: n, path: joinPath(d.path, n), info, time: o.has('u') ? info.atimeMs : o.has('c') ? info.ctimeMs : info.mtimeMs, blocks1k: Math.floor(blocksOf(info) / 2) };
          if (o.has('Z')) e.context = fileContext(info.path ?? t.abs(e.path));
          sort.push(e);
        } else sort.push(await makeEntry(n, joinPath(d.path, n), o.has('L')));
      }
    }
    if (dir && (singledir !== dir || o.has('R'))) {
      if (nlTitle++) await t.out('\n');
      await t.out(`${dir.path}:\n`);
    }
    const totals = [0, 0, 0, 0, 0, 0, 0, 0];
    let totpad = 0;
    if (!o.has('f')) {
      sort.sort(compare);
      let blocks = 0;
      for (const e of sort) {
        const len = entryLen(e);
        for (let k = 0; k < 8; k++) if (len[k] > totals[k]) totals[k] = len[k];
        blocks += e.blocks1k;
      }
      totpad = totals[1] + (totals[1] ? 1 : 0) + totals[6] + (totals[6] ? 1 : 0) + totals[7] + (totals[7] ? 1 : 0);
      if ((o.has('h') || long() || o.has('s')) && !isTop) await t.out(`total ${withH(blocks, 1024)}\n`);
    } else {
      for (const e of sort) {
        const len = entryLen(e);
        for (let k = 0; k < 8; k++) if (len[k] > totals[k]) totals[k] = len[k];
      }
    }

    const dtlen = sort.length;
    let columns = Math.min(1024, Math.floor(screen / 2), dtlen);
    const colsizes: number[] = [];
    const nextColumn = (ul: number, cols: number): [number, number] => {
      if (!o.has('C')) return [ul, ul % cols];
      const height = Math.ceil(dtlen / cols);
      let extra = dtlen % height;
      let u = ul;
      let c = cols;
      if (extra && u >= extra * c) {
        u -= extra * c;
        c--;
      } else extra = 0;
      const xpos = u % c;
      return [xpos * height + extra + Math.floor(u / c), xpos];
    };
    if (o.has('C') || o.has('x')) {
      for (; columns > 1; columns--) {
        let totlen = columns;
        colsizes.length = 0;
        for (let k = 0; k < columns; k++) colsizes.push(0);
        let ul = 0;
        for (; ul < dtlen; ul++) {
          const [cc, c] = nextColumn(ul, columns);
          if (cc >= dtlen) break;
          let len = entryLen(sort[cc])[0];
          if (c < columns - 1) len += totpad + 2;
          if (len > colsizes[c]) {
            totlen += len - colsizes[c];
            colsizes[c] = len;
            if (totlen > screen) break;
          }
        }
        if (ul === dtlen) break;
      }
    }

    let lineWidth = 0;
    let out = '';
    let lastlen = 0;
    const zap = (e: LsEntry): boolean => !e.info;
    for (let ul = 0; ul < dtlen; ul++) {
      const [idx, curcolRaw] = o.has('C') || o.has('x') ? nextColumn(ul, Math.max(columns, 1)) : [ul, 0];
      const e = sort[idx];
      if (!e) continue;
      const info = e.info;
      if (info && isDir(info) && isTop && !o.has('d')) continue;
      nlTitle = 1;
      const len = entryLen(e);
      if (ul) {
        const mm = o.has('m');
        if (mm) out += ',';
        if (o.has('C') || o.has('x')) {
          if (!curcolRaw) out += '\n';
          else {
            const [, prevcol] = nextColumn(ul - 1, Math.max(columns, 1));
            out += ' '.repeat(Math.max(1, (colsizes[prevcol] ?? 0) - lastlen - totpad));
          }
        } else if (o.has('1') || lineWidth + 1 + len[0] > screen) {
          out += '\n';
          lineWidth = 0;
        } else {
          out += mm ? ' ' : '  ';
          lineWidth += mm ? 1 : 2;
        }
      }
      lineWidth += len[0];
      lastlen = len[0];
      if (o.has('i')) out += `${(zap(e) ? '?' : String(info?.ino)).padStart(totals[1])} `;
      if (o.has('s')) out += `${(zap(e) ? '?' : withH(e.blocks1k, 1024)).padStart(totals[6])} `;
      if (long()) {
        const mode = info ? modeString(fullMode(info)) : `${'?'.repeat(10)}`;
        out += zap(e) ? `?${'?'.repeat(9)}` : mode;
        out += (zap(e) ? '?' : String(info?.nlink)).padStart(totals[2] + 1);
        if (!o.has('g')) {
          out += ' ';
          const u = zap(e) ? '?' : o.has('n') ? String(info?.uid) : crunch(idString(info?.uid ?? 0));
          out += o.has('n') && !zap(e) ? u.padStart(totals[3]) : u.padEnd(totals[3]);
        }
        if (!o.has('o')) {
          out += ' ';
          const g = zap(e) ? '?' : o.has('n') ? String(info?.gid) : crunch(idString(info?.gid ?? 0));
          out += o.has('n') && !zap(e) ? g.padStart(totals[4]) : g.padEnd(totals[4]);
        }
      }
      if (o.has('Z')) out += long() ? ` ${(e.context ?? '?').padEnd(totals[7])} ` : `${(e.context ?? '?').padEnd(totals[7])} `;
      if (long()) {
        const ft = info ? fullMode(info) & S_IFMT : 0;
        if (info && (ft === S_IFCHR || ft === S_IFBLK)) {
          const [maj, min] = rdevOf(info);
          out += ` ${maj}`.padStart(totals[5] - 4) + `,${` ${min}`.padStart(4)}`;
        } else out += (zap(e) ? '?' : withH(info?.size ?? 0, 1)).padStart(totals[5] + 1);
        let when = '?';
        if (!zap(e)) {
          const d = new Date(e.time);
          const p2 = (n: number): string => String(n).padStart(2, '0');
          when = ` ${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}`;
          if (longLevel > 1) when += `:${p2(d.getUTCSeconds())}.${String(Math.round((e.time % 1000) * 1e6)).padStart(9, '0')} +0000`;
        }
        out += `${when.padStart(longLevel > 1 ? 30 : 17)} `;
      }
      let col = 0;
      if (o.has('color')) {
        col = color(info);
        if (col) out += `\x1b[${col >> 8};${col & 255}m`;
      }
      out += crunch(e.name);
      if (col) out += '\x1b[0m';
      if (long() && info && isLink(info)) {
        out += ' -> ';
        let lc = 0;
        if (o.has('color')) {
          const target = await t.tryStat(e.path, true);
          lc = target ? color(target) : 256 + 31;
          if (lc) out += `\x1b[${lc >> 8};${lc & 255}m`;
        }
        out += info.linkTarget ?? '';
        if (lc) out += '\x1b[0m';
      }
      out += endtype(e);
      if (out.length > 32768) {
        await t.out(out);
        out = '';
      }
    }
    if (lineWidth) out += '\n';
    await t.out(out);

    for (const e of sort) {
      if (o.has('d') || !e.info || !isDir(e.info)) continue;
      if (isTop || (o.has('R') && e.name !== '.' && e.name !== '..')) await listfiles(e, undefined);
    }
  };

  const args = t.args.length ? t.args : ['.'];
  const entries: LsEntry[] = [];
  const sym = !(long() || o.has('d') || o.has('F')) || o.has('L') || o.has('H');
  for (const a of args) {
    const e = await makeEntry(a, a, sym, true);
    if (!e.info) {
      const err = await t.stat(a, false).then(() => undefined, (x) => x);
      await t.perr(a, err);
      continue;
    }
    entries.push(e);
  }
  await listfiles(undefined, entries);
});

/* ------------------------------------------------------------------ */
/* du                                                                  */

const du = toy('du', { opts: 'd#<0=-1hmlcaHkKLsxb[-HL][-kKmh]', usage: 'du [-d N] [-askxHLlmc] [FILE...]' }, async (t) => {
  const o = t.o;
  const maxDepth = o.num('d', -1);
  let total = 0;
  const seen = new Set<number>();
  const show = async (bytes: number, name: string, depth: number): Promise<void> => {
    if (maxDepth >= 0 && depth > maxDepth) return;
    let v: string;
    if (o.has('h')) v = humanReadable(bytes, 0);
    else {
      const bits = o.has('K') ? 9 : o.has('m') ? 20 : 10;
      if (o.has('b') && bits === 10 && !o.has('k')) v = String(bytes);
      else v = String(Math.floor(bytes / 2 ** bits) + (bytes % 2 ** bits ? 1 : 0));
    }
    await t.out(`${v}\t${name}\n`);
  };
  const sizes = new Map<TreeNode, number>();
  for (const arg of t.args.length ? t.args : ['.']) {
    await walkTree(t, arg, o.has('H') || o.has('L') ? DT_SYMFOLLOW : 0, async (n) => {
      if (n.parent && (n.name === '.' || n.name === '..')) return 0;
      const info = n.info as FileInfo;
      if (!n.again && !o.has('l') && !isDir(info) && info.nlink > 1) {
        if (seen.has(info.ino)) return 0;
        seen.add(info.ino);
      }
      if (isDir(info) && !n.again) return DT_COMEAGAIN | (o.has('L') ? DT_SYMFOLLOW : 0);
      const own = o.has('b') ? info.size : blocksOf(info);
      const mine = own + (sizes.get(n) ?? 0);
      sizes.set(n, mine);
      if (n.parent) sizes.set(n.parent, (sizes.get(n.parent) ?? 0) + mine);
      else total += mine;
      if (o.has('a') || !n.parent || (isDir(info) && !o.has('s'))) await show(o.has('b') ? mine : mine * 512, n.path, n.depth);
      return 0;
    });
  }
  if (o.has('c')) await show(o.has('b') ? total : total * 512, 'total', 0);
});

/* ------------------------------------------------------------------ */
/* df                                                                  */

const df = toy('df', { opts: 'HPkhit*a[-HPh]', usage: 'df [-HPkhi] [-t type] [FILE...]' }, async (t) => {
  const o = t.o;
  const human = o.has('H') || o.has('h');
  const units = human || o.has('i') ? 1 : o.has('P') && !o.has('k') ? 512 : 1024;
  const widths = [0, 0, 0, 0, 0, 0];
  const rows: string[][] = [];
  const types = o.list('t');
  const row = (m: MountView): string[] | undefined => {
    const sp = m.space;
    if (!o.has('a') && !sp.totalK) return undefined;
    if (types.length && !types.includes(m.type)) return undefined;
    const cells = [m.source];
    let suap: number[];
    if (o.has('i')) suap = [sp.files, sp.files - sp.filesFree, sp.filesFree];
    else {
      const block = 4096;
      const blocks = Math.floor(sp.totalK / 4), free = Math.floor((sp.totalK - sp.usedK) / 4), avail = Math.floor((sp.availK ?? sp.totalK - sp.usedK) / 4);
      suap = [blocks, blocks - free, avail].map((v) => Math.floor((v * block) / units));
    }
    for (const v of suap) cells.push(human ? humanReadable(v, o.has('H') ? HR_1000 : 0) : String(v));
    const sum = suap[1] + suap[2];
    let pct = 0;
    if (sum) {
      pct = Math.floor((suap[1] * 100) / sum);
      if (pct * sum !== suap[1] * 100) pct++;
    }
    cells.push(`${pct}%`, m.at);
    return cells;
  };
  if (t.args.length) {
    for (const f of t.args) {
      let info: FileInfo;
      try {
        info = await t.stat(f, true);
      } catch (e) {
        await t.perr(`'${f}'`, e);
        continue;
      }
      const r = row(mountOf(info.path ?? t.abs(f)));
      if (r) rows.push(r);
    }
  } else for (const m of mounts()) {
    const r = row(m);
    if (r) rows.push(r);
  }
  const header = ['Filesystem', 'Size', 'Used', 'Avail', 'Use%', 'Mounted on'];
  if (o.has('i')) header.splice(1, 4, 'Inodes', 'IUsed', 'IFree', 'IUse%');
  else if (!human) {
    header[1] = units === 512 ? '512-blocks' : o.has('P') ? '1024-blocks' : '1K-blocks';
    header[3] = 'Available';
    if (o.has('P')) header[4] = 'Capacity';
  }
  widths[0] = 14 + (human ? 1 : 0);
  for (const r of [header, ...rows]) for (let k = 0; k < 5; k++) widths[k] = Math.max(widths[k], r[k].length);
  const line = (r: string[]): string => r.map((c, k) => (k === 0 ? c.padEnd(widths[0]) : k === 5 ? ` ${c}` : ` ${c.padStart(widths[k])}`)).join('');
  let s = `${line(header)}\n`;
  for (const r of rows) s += `${line(r)}\n`;
  await t.out(s);
});

/* ------------------------------------------------------------------ */
/* find                                                                */

type FindNode =
  | { kind: 'and'; a: FindNode; b: FindNode }
  | { kind: 'or'; a: FindNode; b: FindNode }
  | { kind: 'not'; a: FindNode }
  | { kind: 'test'; name: string; arg?: string; exec?: string[]; plus?: boolean; dir?: boolean; data?: unknown };

interface FindState {
  prune: boolean;
  now: number;
}

function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const NOARG = new Set(['print', 'print0', 'delete', 'depth', 'd', 'xdev', 'mount', 'true', 'false', 'empty', 'nouser', 'nogroup', 'prune', 'executable', 'quit', 'noleaf']);
const WITHARG = new Set(['name', 'iname', 'path', 'ipath', 'wholename', 'iwholename', 'lname', 'ilname', 'context', 'perm', 'type', 'size', 'links', 'inum',
  'mindepth', 'maxdepth', 'user', 'group', 'newer', 'samefile', 'printf', 'atime', 'ctime', 'mtime', 'amin', 'cmin', 'mmin', 'anewer', 'cnewer', 'newermt', 'newerat', 'newerct']);

const find = toy('find', { opts: '?^HL[-HL]', usage: 'find [-HL] [DIR...] [<options>]' }, async (t) => {
  const o = t.o;
  const argv = t.args;
  let split = 0;
  while (split < argv.length && !(argv[split] && '-!('.includes(argv[split][0]))) split++;
  const paths = split ? argv.slice(0, split) : ['.'];
  const expr = argv.slice(split);
  let depthFirst = false;
  let printSeen = false;
  let maxDepth = Infinity;
  let minDepth = 0;
  let pos = 0;
  const bad = (s: string): never => {
    throw new ToyExit(`bad arg '${s}'`, 1);
  };
  const primary = (): FindNode => {
    const s = expr[pos];
    if (s === '(') {
      pos++;
      const e = orExpr();
      if (expr[pos] !== ')') bad(expr[pos - 1] ?? '(');
      pos++;
      return e;
    }
    if (s === '!' || s === '-not') {
      pos++;
      return { kind: 'not', a: primary() };
    }
    if (!s || s[0] !== '-') bad(s ?? '');
    const name = s.slice(1);
    pos++;
    if (NOARG.has(name)) {
      if (name === 'print' || name === 'print0') printSeen = true;
      if (name === 'delete' || name === 'depth' || name === 'd') depthFirst = true;
      return { kind: 'test', name };
    }
    if (name === 'exec' || name === 'execdir' || name === 'ok' || name === 'okdir') {
      printSeen = true;
      const args: string[] = [];
      let plus = false;
      if (pos >= expr.length || expr[pos] === ';') throw new ToyExit(`'${name}' needs 1 arg`, 1);
      let curly = false;
      for (;;) {
        const a = expr[pos];
        if (a === undefined) throw new ToyExit(`-exec without ${curly ? '\\;' : '{}'}`, 1);
        pos++;
        if (a === ';') break;
        if (a === '{}' && expr[pos] === '+') {
          args.push(a);
          plus = true;
          pos++;
          break;
        }
        if (a === '{}') curly = true;
        args.push(a);
      }
      return { kind: 'test', name, exec: args, plus, dir: name.endsWith('dir') };
    }
    if (WITHARG.has(name)) {
      const arg = expr[pos];
      if (arg === undefined) throw new ToyExit(`'${s}' needs 1 arg`, 1);
      pos++;
      if (name === 'printf') printSeen = true;
      if (name === 'maxdepth') maxDepth = atolx(arg);
      if (name === 'mindepth') minDepth = atolx(arg);
      const node: FindNode = { kind: 'test', name, arg };
      if (name === 'type') for (const c of arg) if (c !== ',' && !'bcdlpfs'.includes(c)) throw new ToyExit(`bad -type '${c}'`, 1);
      if (['size', 'links', 'inum', 'atime', 'ctime', 'mtime', 'amin', 'cmin', 'mmin'].includes(name) && !/^[+-]?\d/.test(arg)) throw new ToyExit(`${arg} not [+-]N`, 1);
      return node;
    }
    return bad(s);
  };
  const andExpr = (): FindNode => {
    let left = primary();
    while (pos < expr.length && expr[pos] !== ')' && expr[pos] !== '-o' && expr[pos] !== '-or') {
      if (expr[pos] === '-a' || expr[pos] === '-and') pos++;
      left = { kind: 'and', a: left, b: primary() };
    }
    return left;
  };
  const orExpr = (): FindNode => {
    let left = andExpr();
    while (expr[pos] === '-o' || expr[pos] === '-or') {
      pos++;
      left = { kind: 'or', a: left, b: andExpr() };
    }
    return left;
  };
  const tree: FindNode | undefined = expr.length ? orExpr() : undefined;
  if (pos < expr.length) bad(expr[pos]);

  // one-time setup: files and users the tests compare against
  const prepared = new Map<FindNode, unknown>();
  const prepare = async (n: FindNode | undefined): Promise<void> => {
    if (!n) return;
    if (n.kind === 'and' || n.kind === 'or') {
      await prepare(n.a);
      await prepare(n.b);
    } else if (n.kind === 'not') await prepare(n.a);
    else if (n.name === 'user' || n.name === 'group') {
      const id = idByName(n.arg as string) ?? (/^\d+$/.test(n.arg as string) ? Number(n.arg) : undefined);
      if (id === undefined) throw new ToyExit(`bad ${n.name} '${n.arg}'`, 1);
      prepared.set(n, id);
    } else if (['newer', 'anewer', 'cnewer', 'samefile', 'newerat', 'newerct'].includes(n.name)) {
      let info: FileInfo;
      try {
        info = await t.stat(n.arg as string, true);
      } catch (e) {
        await t.perr(n.arg as string, e);
        throw new ToyExit(undefined, 1);
      }
      prepared.set(n, info);
    } else if (n.name === 'newermt') prepared.set(n, parseDate(n.arg as string, Date.now(), true));
  };
  await prepare(tree);

  const pending = new Map<FindNode, string[]>();
  const runExec = async (n: Extract<FindNode, { kind: 'test' }>, names: string[]): Promise<number> => {
    const argsOut: string[] = [];
    for (const a of n.exec ?? []) {
      if (a === '{}' && n.plus) argsOut.push(...names);
      else argsOut.push(n.plus ? a : a.split('{}').join(names[0]));
    }
    await t.flush();
    return t.ctx.sh(argsOut.map(shQuote).join(' '), t.io);
  };
  const numsign = (val: number, units: number, arg: string): boolean => {
    const sign = arg[0] === '+' || arg[0] === '-' ? arg[0] : '';
    const body = sign ? arg.slice(1) : arg;
    let my = atolx(body);
    if (units && /\d$/.test(body)) my *= units;
    return sign === '+' ? val > my : sign === '-' ? val < my : val === my;
  };
  const state: FindState = { prune: false, now: Date.now() };
  const evaluate = async (n: FindNode, node: TreeNode): Promise<boolean> => {
    if (n.kind === 'and') return (await evaluate(n.a, node)) && evaluate(n.b, node);
    if (n.kind === 'or') return (await evaluate(n.a, node)) || evaluate(n.b, node);
    if (n.kind === 'not') return !(await evaluate(n.a, node));
    const info = node.info as FileInfo;
    const arg = n.arg ?? '';
    switch (n.name) {
      case 'print':
        await t.out(`${node.path}\n`);
        return true;
      case 'print0':
        await t.out(`${node.path}\0`);
        return true;
      case 'true': case 'depth': case 'd': case 'xdev': case 'mount': case 'noleaf': case 'mindepth': case 'maxdepth':
        if (n.name === 'mindepth') return node.depth >= atolx(arg);
        if (n.name === 'maxdepth') return node.depth <= atolx(arg);
        return true;
      case 'false':
        return false;
      case 'delete':
        try {
          const host = await t.resolve(node.path, 'delete');
          if (isDir(info)) await fsp.rmdir(host);
          else await fsp.unlink(host);
          return true;
        } catch (e) {
          await t.perr(node.path, e);
          return false;
        }
      case 'empty':
        if (isDir(info)) return (await t.list(node.path).catch(() => ['x'])).length === 0;
        return isReg(info) && info.size === 0;
      case 'nouser':
        return idString(info.uid) === String(info.uid);
      case 'nogroup':
        return idString(info.gid) === String(info.gid);
      case 'prune':
        if (isDir(info) && !depthFirst) state.prune = true;
        return true;
      case 'executable':
        return !!(fullMode(info) & 0o111) && (await t.resolve(node.path, 'exec').then(() => true, () => false));
      case 'quit':
        throw new StopWalk();
      case 'name': case 'iname': case 'path': case 'ipath': case 'wholename': case 'iwholename': case 'lname': case 'ilname': {
        const icase = n.name[0] === 'i';
        const kind = n.name.slice(icase ? 1 : 0);
        if (kind === 'lname') return isLink(info) && fnmatch(arg, info.linkTarget ?? '', { icase });
        const subject = kind === 'name' ? (node.parent ? node.name : node.name.replace(/\/+$/, '').split('/').pop() || '/') : node.path;
        return fnmatch(arg, subject, { pathname: kind === 'name', icase });
      }
      case 'context':
        return fnmatch(arg, fileContext(t.abs(node.path)));
      case 'perm': {
        const min = arg[0] === '-', any = arg[0] === '/';
        const m1 = stringToMode(min || any ? arg.slice(1) : arg, 0);
        let m2 = fullMode(info) & 0o7777;
        if (min || any) m2 &= m1;
        return any ? !m1 || !!m2 : m1 === m2;
      }
      case 'type': {
        const types: Record<string, number> = { b: S_IFBLK, c: S_IFCHR, d: S_IFDIR, l: S_IFLNK, p: S_IFIFO, f: S_IFREG, s: S_IFSOCK };
        const ft = fullMode(info) & S_IFMT;
        return [...arg].some((c) => c !== ',' && types[c] === ft);
      }
      case 'atime': case 'ctime': case 'mtime': case 'amin': case 'cmin': case 'mmin': {
        const when = n.name[0] === 'a' ? info.atimeMs : n.name[0] === 'c' ? info.ctimeMs : info.mtimeMs;
        let units = n.name[1] === 'm' ? 60 : 86400;
        let a2 = arg;
        const k = 'dhms'.indexOf(a2[a2.length - 1]?.toLowerCase() ?? '');
        if (k >= 0) {
          units = [86400, 3600, 60, 1][k];
          a2 = a2.slice(0, -1);
        }
        return numsign(Math.floor(state.now / 1000) - Math.floor(when / 1000), units, a2);
      }
      case 'size':
        return numsign(info.size, 512, arg);
      case 'links':
        return numsign(info.nlink, 0, arg);
      case 'inum':
        return numsign(info.ino, 0, arg);
      case 'user':
        return info.uid === prepared.get(n);
      case 'group':
        return info.gid === prepared.get(n);
      case 'samefile':
        return info.ino === (prepared.get(n) as FileInfo).ino;
      case 'newer': case 'anewer': case 'cnewer': case 'newerat': case 'newerct': {
        const ref = prepared.get(n) as FileInfo;
        const mine = n.name === 'newer' ? info.mtimeMs : n.name.startsWith('a') || n.name === 'newerat' ? info.atimeMs : info.ctimeMs;
        return mine > ref.mtimeMs;
      }
      case 'newermt': {
        const ref = prepared.get(n) as { sec: number; nano: number };
        return info.mtimeMs > ref.sec * 1000 + ref.nano / 1e6;
      }
      case 'exec': case 'execdir': case 'ok': case 'okdir': {
        const name = n.dir ? node.name : node.path;
        if (n.name.startsWith('ok')) {
          await t.errRaw(`[${(n.exec ?? [])[0]}] ${name}`);
          const c = await t.readStdin();
          if (!c || !/^\s*[yY]/.test(c.toString('latin1'))) return false;
        }
        if (n.plus) {
          const list = pending.get(n) ?? [];
          list.push(name);
          pending.set(n, list);
          if (list.length >= 4096) {
            pending.set(n, []);
            t.exitval |= await runExec(n, list);
          }
          return true;
        }
        return (await runExec(n, [name])) === 0;
      }
      case 'printf': {
        await t.outB(findPrintf(t, arg, node));
        return true;
      }
      default:
        return bad(`-${n.name}`);
    }
  };

  try {
    for (const p of paths) {
      await walkTree(t, p, DT_STATLESS | (o.has('H') || o.has('L') ? DT_SYMFOLLOW : 0), async (node) => {
        if (node.statError) {
          if (!node.parent || errCode(node.statError) !== 'ENOENT') await t.perr(`'${node.path}'`, node.statError);
          return 0;
        }
        if (node.parent && (node.name === '.' || node.name === '..')) return 0;
        const info = node.info as FileInfo;
        const recurse = DT_COMEAGAIN | (o.has('L') ? DT_SYMFOLLOW : 0);
        if (isDir(info)) {
          if (!node.again) {
            for (let up = node.parent; up; up = up.parent) {
              if (up.info && up.info.ino === info.ino && o.has('L')) {
                await t.err(`'${node.path}': loop detected`);
                return 0;
              }
            }
            if (depthFirst) return node.depth < maxDepth ? recurse : 0;
          } else if (!depthFirst) return 0;
        }
        state.prune = false;
        const matched = node.depth >= minDepth && node.depth <= maxDepth ? (tree ? await evaluate(tree, node) : true) : false;
        if (matched && !printSeen) await t.out(`${node.path}\n`);
        if (isDir(info) && !node.again && !depthFirst) return state.prune || node.depth >= maxDepth ? 0 : recurse;
        return 0;
      });
    }
  } catch (e) {
    if (!(e instanceof StopWalk)) throw e;
  }
  for (const [n, names] of pending) {
    if (names.length && n.kind === 'test') t.exitval |= await runExec(n, names);
  }
});

function findPrintf(t: Toy, fmt: string, node: TreeNode): string {
  const info = node.info as FileInfo;
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c === '\\') {
      const e = fmt[i + 1];
      if (e === 'c') break;
      const k = '\\abefnrtv0'.indexOf(e ?? '');
      if (e !== undefined && /[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(fmt.slice(i + 1)) as RegExpExecArray;
        out += String.fromCharCode(parseInt(m[0], 8) & 255);
        i += m[0].length;
      } else if (k >= 0) {
        out += '\\\x07\b\x1b\f\n\r\t\v\0'[k];
        i++;
      } else out += '\\';
      continue;
    }
    if (c !== '%') {
      out += bstr(c);
      continue;
    }
    if (fmt[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    const conv = parseConv(fmt, i);
    if (!conv) throw new ToyExit(`bad ${fmt.slice(i)}`, 1);
    const { spec, end } = conv;
    i = end - 1;
    const s = (v: string): string => bstr(formatStr(v, spec));
    const n = (v: number, k: string): string => formatInt(BigInt(v), { ...spec, conv: k });
    switch (spec.conv) {
      case 'i': out += n(info.ino, 'd'); break;
      case 's': out += n(info.size, 'd'); break;
      case 'b': out += n(blocksOf(info), 'd'); break;
      case 'G': out += n(info.gid, 'd'); break;
      case 'U': out += n(info.uid, 'd'); break;
      case 'm': out += n(fullMode(info) & 0o7777, 'o'); break;
      case 'f': out += s(node.parent ? node.name : node.name.split('/').filter(Boolean).pop() ?? node.name); break;
      case 'g': out += s(idString(info.gid)); break;
      case 'u': out += s(idString(info.uid)); break;
      case 'l': out += s(isLink(info) ? info.linkTarget ?? '' : ''); break;
      case 'M': out += s(modeString(fullMode(info))); break;
      case 'p': out += s(node.path); break;
      case 'P': {
        let root: TreeNode = node;
        while (root.parent) root = root.parent;
        out += s(node.parent ? node.path.slice(root.path.length).replace(/^\//, '') : '');
        break;
      }
      case 'T':
        if (fmt[i + 1] !== '@') throw new ToyExit(`bad -printf %T: %T${fmt[i + 1] ?? ''}`, 1);
        i++;
        out += s(`${Math.floor(info.mtimeMs / 1000)}.${String(Math.round((info.mtimeMs % 1000) * 1e6)).padStart(9, '0')}`);
        break;
      case 'Z': out += s(fileContext(t.abs(node.path))); break;
      default:
        throw new ToyExit(`bad -printf %${spec.conv}`, 1);
    }
  }
  return out;
}

export const LISTING_COMMANDS: CommandTable = { ls, du, df, find };

