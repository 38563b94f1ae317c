/**
 * printf (toys/posix/printf.c), echo (toys/posix/echo.c) and seq (toys/lsb/seq.c).
 */
import type { CommandTable } from '../types';
import { ToyExit, atolx, bstr, toy } from './common';
import { formatFloat, formatInt, formatStr, parseConv } from './cfmt';

/* ------------------------------------------------------------------ */
/* printf (toys/posix/printf.c)                                        */

/** One printf escape after a backslash at s[i]; returns [bytes, next index] or 'stop' for \c. */
function printfSlash(s: string, i: number, posix: boolean): [string, number] | 'stop' {
  let p = i;
  if (s[p] === 'c') return 'stop';
  let base = 0;
  if (s[p] === 'x') {
    base = 16;
    p++;
  } else {
    if (posix && s[p] === '0') p++;
    if (s[p] >= '0' && s[p] <= '7') base = 8;
  }
  let len = base === 16 ? 2 : base === 8 ? 3 : 0;
  if (!len) {
    const k = '\\abefnrtv'.indexOf(s[p] ?? '');
    if (k < 0 || p >= s.length) return ['\\', i];
    return ['\\\x07\b\x1b\f\n\r\t\v'[k], p + 1];
  }
  let result = 0;
  while (len) {
    const ch = (s[p] ?? '').toLowerCase();
    const v = ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch >= 'a' && ch <= 'z' ? ch.charCodeAt(0) - 87 : 99;
    if (v >= base) {
      if (base === 16 && len === 2) throw new ToyExit('bad \\x', 1);
      break;
    }
    result = result * base + v;
    p++;
    len--;
  }
  return [String.fromCharCode(result & 255), p];
}

function strtoll(s: string): { v: bigint; ok: boolean; range: boolean } {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(s);
  if (!m) return { v: 0n, ok: !s.length ? true : false, range: false };
  const body = m[2];
  let v = /^0[xX]/.test(body) ? BigInt(body) : body.length > 1 && body[0] === '0' ? BigInt(`0o${body.slice(1)}`) : BigInt(body);
  if (m[1] === '-') v = -v;
  let range = false;
  const max = (1n << 63n) - 1n;
  if (v > max) { v = max; range = true; }
  if (v < -max - 1n) { v = -max - 1n; range = true; }
  return { v, ok: m[0].length === s.length, range };
}

const printf = toy('printf', { opts: '<1?^', nohelp: false, usage: 'printf FORMAT [ARGUMENT...]' }, async (t) => {
  const fmt = bstr(t.args[0]);
  const args = t.args.slice(1).map(bstr);
  let ai = 0;
  let out = '';
  try {
    for (;;) {
      let seen = false;
      for (let f = 0; f < fmt.length; ) {
        const c = fmt[f];
        if (c === '\\') {
          const r = printfSlash(fmt, f + 1, false);
          if (r === 'stop') throw new ToyExit(undefined, t.exitval);
          out += r[0];
          f = r[1];
          continue;
        }
        if (c !== '%' || fmt[f + 1] === '%') {
          out += c;
          f += c === '%' ? 2 : 1;
          continue;
        }
        const conv = parseConv(fmt, f, true);
        if (!conv) {
          if (f + 1 >= fmt.length) t.fail(`bad %@${f + 1}`);
          t.fail(`bad %${fmt[fmt.length - 1]}@${fmt.length}`);
        }
        const { spec, end, starW, starP } = conv as NonNullable<typeof conv>;
        if (starW) spec.width = ai < args.length ? atolx(args[ai++]) : 0;
        if (starP) spec.prec = ai < args.length ? atolx(args[ai++]) : 0;
        if (spec.prec !== undefined && spec.prec < 0) spec.prec = undefined;
        f = end;
        seen = true;
        const aa = ai < args.length ? args[ai++] : '';
        const k = spec.conv;
        if (k === 'b') {
          for (let i = 0; i < aa.length; ) {
            if (aa[i] === '\\') {
              const r = printfSlash(aa, i + 1, true);
              if (r === 'stop') throw new ToyExit(undefined, t.exitval);
              out += r[0];
              i = r[1];
            } else out += aa[i++];
          }
          continue;
        }
        if (k === 'c') out += formatStr(aa.slice(0, 1) || '\0', { ...spec, prec: undefined });
        else if (k === 's') out += formatStr(aa, spec);
        else if ('diouxX'.includes(k)) {
          let v: bigint;
          let bad = false;
          if (aa[0] === "'" || aa[0] === '"') v = BigInt(aa.charCodeAt(1) || 0);
          else {
            const r = strtoll(aa);
            v = r.v;
            bad = !r.ok || r.range;
            if (bad) {
              await t.outB(out);
              out = '';
              await t.err(`bad %${k} ${Buffer.from(aa, 'latin1').toString('utf8')}${r.range ? ': Numerical result out of range' : ''}`);
            }
          }
          out += formatInt(v, spec);
        } else if ('feEgGaAF'.includes(k)) {
          const m = /^\s*[+-]?(?:inf(?:inity)?|nan|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/i.exec(aa);
          let v = 0;
          if (m) {
            const body = m[0].trim().toLowerCase();
            v = body.includes('inf') ? (body.startsWith('-') ? -Infinity : Infinity) : body.includes('nan') ? NaN : Number(body);
          }
          if (aa && (!m || m[0].length !== aa.length)) {
            await t.outB(out);
            out = '';
            await t.err(`bad %${k} ${Buffer.from(aa, 'latin1').toString('utf8')}`);
          }
          out += formatFloat(v, { ...spec, conv: k === 'F' ? 'f' : k });
        } else t.fail(`bad %${k}@${f}`);
        if (out.length > 65536) {
          await t.outB(out);
          out = '';
        }
      }
      if (!seen || ai >= args.length) break;
    }
  } finally {
    await t.outB(out).catch(() => undefined);
  }
});

/* ------------------------------------------------------------------ */
/* echo (toys/posix/echo.c)                                            */

const echo = toy('echo', { opts: '^?Een[-eE]', nohelp: true }, async (t) => {
  const o = t.o;
  let out = '';
  for (let i = 0; i < t.args.length; i++) {
    if (i) out += ' ';
    const arg = bstr(t.args[i]);
    if (!o.has('e')) {
      out += arg;
      continue;
    }
    for (let c = 0; c < arg.length; ) {
      if (arg[c] === '\\' && arg[c + 1] === 'c') {
        await t.outB(out);
        return;
      }
      if (arg[c] !== '\\' || c + 1 >= arg.length) {
        out += arg[c++];
        continue;
      }
      const rest = arg.slice(c + 1);
      let m: RegExpExecArray | null;
      if ((m = /^0([0-7]{1,3})/.exec(rest))) {
        out += String.fromCharCode(parseInt(m[1], 8) & 255);
        c += 1 + m[0].length;
      } else if ((m = /^x([0-9a-fA-F]{1,2})/.exec(rest))) {
        out += String.fromCharCode(parseInt(m[1], 16));
        c += 1 + m[0].length;
      } else if ((m = /^u([0-9a-fA-F]{1,4})/.exec(rest)) || (m = /^U([0-9a-fA-F]{1,6})/.exec(rest))) {
        const cp = parseInt(m[1], 16);
        out += cp < 128 ? String.fromCharCode(cp) : bstr(String.fromCodePoint(Math.min(cp, 0x10ffff)));
        c += 1 + m[0].length;
      } else {
        const k = '\\abeEfnrtv\'"?0'.indexOf(rest[0]);
        if (k < 0) {
          out += '\\';
          c++;
        } else {
          out += '\\\x07\b\x1b\x1b\f\n\r\t\v\'"?\0'[k];
          c += 2;
        }
      }
    }
  }
  if (!o.has('n')) out += '\n';
  await t.outB(out);
});

/* ------------------------------------------------------------------ */
/* seq (toys/lsb/seq.c)                                                */

const seq = toy('seq', { opts: '<1>3?f:s:w[!fw]', usage: 'seq [-w|-f fmt_str] [-s sep_str] [first] [increment] last' }, async (t) => {
  const o = t.o;
  let precision = 0;
  const parsef = (s: string): number => {
    const dp = s.indexOf('.');
    if (dp >= 0) precision = Math.max(precision, s.slice(dp + 1).split(/[eE]/)[0].length);
    if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^\s*[+-]?(inf|infinity|nan)$/i.test(s)) t.fail(`strtod ${s}: Argument list too long`);
    return Number(s);
  };
  const a = t.args;
  let first = 1, increment = 1;
  const last = parsef(a[a.length - 1]);
  if (a.length === 3) increment = parsef(a[1]);
  if (a.length >= 2) first = parsef(a[0]);
  const sepStr = o.str('s') !== undefined ? bstr(o.str('s') as string) : '\n';
  const fmt = o.str('f') !== undefined ? bstr(o.str('f') as string) : undefined;
  if (fmt !== undefined) {
    const convs: Array<ReturnType<typeof parseConv>> = [];
    for (let i = 0; i < fmt.length; i++) {
      if (fmt[i] !== '%') continue;
      if (fmt[i + 1] === '%') {
        i++;
        continue;
      }
      const c = parseConv(fmt, i);
      convs.push(c);
      if (!c) break;
      i = c.end - 1;
    }
    if (!convs.length) t.fail('bad -f no %f');
    const at = (c: ReturnType<typeof parseConv>): number => (c ? c.end : fmt?.length ?? 0);
    if (!convs[0] || !'aAeEfFgG'.includes(convs[0].spec.conv)) t.fail(`bad -f '${fmt}'@${at(convs[0])}`);
    if (convs.length > 1) t.fail(`bad -f '${fmt}'@${at(convs[1])}`);
  }
  let len = 0;
  let integer = true;
  for (let k = 0; k < 3; k++) {
    let dd = [first, increment, last][k];
    len = Math.max(len, Math.abs(dd).toFixed(precision).length);
    if (k === 2) dd += increment;
    if (dd !== Math.trunc(dd)) integer = false;
  }
  const format = fmt ?? `%0${len}.${precision}f`;
  if (!o.flags.size && integer) {
    let out = '';
    const inc = Math.trunc(increment);
    if (inc > 0) for (let i = Math.trunc(first); i <= Math.trunc(last); i += inc) {
      out += `${i}\n`;
      if (out.length > 65536) { await t.out(out); out = ''; }
    }
    else if (inc < 0) for (let i = Math.trunc(first); i >= Math.trunc(last); i += inc) {
      out += `${i}\n`;
      if (out.length > 65536) { await t.out(out); out = ''; }
    }
    await t.out(out);
    return;
  }
  if (!increment) return;
  let out = '';
  const render = (v: number): string => {
    let s = '';
    for (let i = 0; i < format.length; i++) {
      if (format[i] === '%') {
        if (format[i + 1] === '%') {
          s += '%';
          i++;
          continue;
        }
        const c = parseConv(format, i) as NonNullable<ReturnType<typeof parseConv>>;
        s += formatFloat(v, c.spec);
        i = c.end - 1;
      } else s += format[i];
    }
    return s;
  };
  for (let ii = 0; ; ii++) {
    const dd = first + ii * increment;
    if ((increment < 0 && dd < last) || (increment > 0 && dd > last)) break;
    if (ii) out += sepStr;
    out += render(dd);
    if (out.length > 65536) {
      await t.outB(out);
      out = '';
    }
  }
  await t.outB(`${out}\n`);
});

export const PRINTF_COMMANDS: CommandTable = { printf, echo, seq };
