/**
 * Dates as toybox reads and prints them: xparsedate() from lib/xwrap.c (the input formats of date -d,
 * touch -d/-t) and strftime() in the C locale, on a phone whose time zone is UTC.
 */
import { ToyExit } from './common';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export interface ParsedTime {
  /** seconds since the epoch */
  sec: number;
  nano: number;
}

interface Tm {
  year: number;
  mon: number; // 0-11
  mday: number;
  hour: number;
  min: number;
  sec: number;
}

const FIELD: Record<string, string> = {
  Y: '(\\d{1,4})', m: '(\\d{1,2})', d: '(\\d{1,2})', e: '\\s*(\\d{1,2})', H: '(\\d{1,2})', M: '(\\d{1,2})', S: '(\\d{1,2})',
  y: '(\\d{1,2})', C: '(\\d{1,2})', a: '([A-Za-z]{3,9})', b: '([A-Za-z]{3,9})', Z: '([A-Za-z]{1,10})',
};

function tryFormat(fmt: string, s: string, base: Tm): { tm: Tm; rest: string; hasSec: boolean } | undefined {
  const expanded = fmt.replace(/%T/g, '%H:%M:%S');
  const order: string[] = [];
  let re = '^';
  for (let i = 0; i < expanded.length; i++) {
    const c = expanded[i];
    if (c === '%') {
      const d = expanded[++i];
      order.push(d);
      re += FIELD[d];
    } else if (c === ' ') re += '\\s*';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(re).exec(s);
  if (!m) return undefined;
  const tm = { ...base };
  let century: number | undefined;
  let yy: number | undefined;
  for (let k = 0; k < order.length; k++) {
    const v = m[k + 1];
    const n = Number(v);
    switch (order[k]) {
      case 'Y': tm.year = n; break;
      case 'm': tm.mon = n - 1; break;
      case 'd': case 'e': tm.mday = n; break;
      case 'H': tm.hour = n; break;
      case 'M': tm.min = n; break;
      case 'S': tm.sec = n; break;
      case 'y': yy = n; break;
      case 'C': century = n; break;
      case 'b': {
        const i = MONTHS.findIndex((mo) => mo.slice(0, 3).toLowerCase() === v.slice(0, 3).toLowerCase() && mo.toLowerCase().startsWith(v.toLowerCase()));
        if (i < 0) return undefined;
        tm.mon = i;
        break;
      }
      case 'a':
        if (!DAYS.some((d) => d.toLowerCase().startsWith(v.toLowerCase()) && v.length >= 3)) return undefined;
        break;
      default:
        break;
    }
  }
  if (yy !== undefined) tm.year = century !== undefined ? century * 100 + yy : yy < 69 ? 2000 + yy : 1900 + yy;
  else if (century !== undefined) tm.year = century * 100 + (tm.year % 100);
  return { tm, rest: s.slice(m[0].length), hasSec: order.includes('S') };
}

/**
 * xparsedate(): @UNIXTIME[.FRAC], or one of toybox's formats with optional fractional seconds and a
 * Z / ±HH[:MM] offset. `endian` 1 (date): MMDDhhmm[[CC]YY]; 0 (touch -t): [[CC]YY]MMDDhhmm.
 */
export function parseDate(str: string, nowMs: number, endian: boolean): ParsedTime {
  const bad = (): never => {
    throw new ToyExit(`bad date ${str}`, 1);
  };
  const at = /^@(-?\d+)(?:\.(\d*))?$/.exec(str);
  if (at) {
    const frac = (at[2] ?? '').slice(0, 9).padEnd(9, '0');
    return { sec: Number(at[1]), nano: Number(frac) };
  }
  if (str.startsWith('@')) bad();
  const formats = ['%Y-%m-%d %T', '%Y-%m-%dT%T', '%a %b %e %H:%M:%S %Z %Y', '%H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d', '%H:%M', '%m%d%H%M',
    endian ? '%m%d%H%M%y' : '%y%m%d%H%M', endian ? '%m%d%H%M%C%y' : '%C%y%m%d%H%M'];
  const now = new Date(nowMs);
  const base: Tm = { year: now.getUTCFullYear(), mon: now.getUTCMonth(), mday: now.getUTCDate(), hour: 0, min: 0, sec: 0 };
  for (let i = 0; i < formats.length; i++) {
    const got = tryFormat(formats[i], str, base);
    if (!got) continue;
    let { rest } = got;
    const { tm } = got;
    let nano = 0;
    if (rest.startsWith('.')) {
      rest = rest.slice(1);
      if (i > 2) {
        const s = /^\d{1,2}/.exec(rest);
        if (s) {
          tm.sec = Number(s[0]);
          rest = rest.slice(s[0].length);
        }
      }
      const f = /^\d*/.exec(rest)?.[0] ?? '';
      nano = Number(f.slice(0, 9).padEnd(9, '0'));
      rest = rest.slice(f.length);
    }
    rest = rest.replace(/^\s+/, '');
    let offsetMin = 0;
    if (rest[0] === 'Z') rest = rest.slice(1);
    else if (rest[0] === '+' || rest[0] === '-') {
      const z = /^([+-])\s*(\d{1,4})(?:\s*:\s*(\d{1,2}))?/.exec(rest);
      if (!z) continue;
      let hh = Number(z[2]);
      let mm = z[3] ? Number(z[3]) : 0;
      if (z[2].length > 2) {
        mm += hh % 100;
        hh = Math.floor(hh / 100);
      }
      offsetMin = (z[1] === '-' ? -1 : 1) * (hh * 60 + mm);
      rest = rest.slice(z[0].length);
    }
    rest = rest.replace(/^\s+/, '');
    if (rest) continue;
    if (tm.sec > 60 || tm.min > 59 || tm.hour > 23 || !tm.mday || tm.mday > 31 || tm.mon < 0 || tm.mon > 11) bad();
    const ms = Date.UTC(tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec) - offsetMin * 60000;
    if (tm.year < 100) {
      const d = new Date(ms);
      d.setUTCFullYear(tm.year);
      return { sec: Math.floor(d.getTime() / 1000), nano };
    }
    return { sec: Math.floor(ms / 1000), nano };
  }
  return bad();
}

const p2 = (n: number): string => String(n).padStart(2, '0');

function isoWeek(d: Date): { week: number; year: number } {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const y0 = Date.UTC(t.getUTCFullYear(), 0, 1);
  return { week: Math.ceil(((t.getTime() - y0) / 86400000 + 1) / 7), year: t.getUTCFullYear() };
}

/** strftime() in the C locale, UTC, plus toybox date's %N / %3N and %:z. */
export function strftime(fmt: string, sec: number, nano = 0, tzName = 'UTC'): string {
  const d = new Date(sec * 1000);
  const Y = d.getUTCFullYear(), mo = d.getUTCMonth(), D = d.getUTCDate(), H = d.getUTCHours(), M = d.getUTCMinutes(), S = d.getUTCSeconds(), wd = d.getUTCDay();
  const yday = Math.floor((Date.UTC(Y, mo, D) - Date.UTC(Y, 0, 1)) / 86400000);
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%' || i + 1 >= fmt.length) {
      out += c;
      continue;
    }
    let j = i + 1;
    let padFlag: string | undefined;
    if ('-_0^#'.includes(fmt[j])) padFlag = fmt[j++];
    let digits: number | undefined;
    if (/\d/.test(fmt[j]) && fmt[j + 1] === 'N') digits = Number(fmt[j++]);
    const conv = fmt[j];
    i = j;
    const num = (n: number, width: number, fill = '0'): string => {
      if (padFlag === '-') return String(n);
      if (padFlag === '_') return String(n).padStart(width, ' ');
      if (padFlag === '0') return String(n).padStart(width, '0');
      return String(n).padStart(width, fill);
    };
    const h12 = H % 12 || 12;
    switch (conv) {
      case '%': out += '%'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'S': out += num(S, 2); break;
      case 'M': out += num(M, 2); break;
      case 'm': out += num(mo + 1, 2); break;
      case 'H': out += num(H, 2); break;
      case 'k': out += num(H, 2, ' '); break;
      case 'I': out += num(h12, 2); break;
      case 'l': out += num(h12, 2, ' '); break;
      case 'p': out += H < 12 ? 'AM' : 'PM'; break;
      case 'P': out += H < 12 ? 'am' : 'pm'; break;
      case 'y': out += num(Y % 100, 2); break;
      case 'Y': out += padFlag ? num(Y, 4) : String(Y); break;
      case 'C': out += num(Math.floor(Y / 100), 2); break;
      case 'a': out += DAYS[wd].slice(0, 3); break;
      case 'A': out += DAYS[wd]; break;
      case 'u': out += String(wd || 7); break;
      case 'w': out += String(wd); break;
      case 'b': case 'h': out += MONTHS[mo].slice(0, 3); break;
      case 'B': out += MONTHS[mo]; break;
      case 'Z': out += tzName; break;
      case 'z': out += '+0000'; break;
      case ':':
        if (fmt[i + 1] === 'z') { out += '+00:00'; i++; } else out += '%:';
        break;
      case 'j': out += num(yday + 1, 3); break;
      case 'd': out += num(D, 2); break;
      case 'e': out += num(D, 2, ' '); break;
      case 'U': out += num(Math.floor((yday + 7 - wd) / 7), 2); break;
      case 'W': out += num(Math.floor((yday + 7 - ((wd + 6) % 7)) / 7), 2); break;
      case 'V': out += num(isoWeek(d).week, 2); break;
      case 'G': out += String(isoWeek(d).year); break;
      case 'g': out += num(isoWeek(d).year % 100, 2); break;
      case 'F': out += `${Y}-${p2(mo + 1)}-${p2(D)}`; break;
      case 'R': out += `${p2(H)}:${p2(M)}`; break;
      case 'T': case 'X': out += `${p2(H)}:${p2(M)}:${p2(S)}`; break;
      case 'D': case 'x': out += `${p2(mo + 1)}/${p2(D)}/${p2(Y % 100)}`; break;
      case 'r': out += `${p2(h12)}:${p2(M)}:${p2(S)} ${H < 12 ? 'AM' : 'PM'}`; break;
      case 'c': out += `${DAYS[wd].slice(0, 3)} ${MONTHS[mo].slice(0, 3)} ${String(D).padStart(2, ' ')} ${p2(H)}:${p2(M)}:${p2(S)} ${Y}`; break;
      case 's': out += String(sec); break;
      case 'N': out += String(nano).padStart(9, '0').slice(0, digits ?? 9); break;
      default: out += `%${conv}`;
    }
  }
  return out;
}
