/**
 * Formats and small helpers of toybox's lib/lib.c: human_readable(), mode strings, string_to_mode(), ISO
 * times, path joining, fnmatch() and POSIX character classes.
 */
import { ToyExit } from './args';

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

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
export function stringToMode(modestr: string, mode: number, umask = 0): number {
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

