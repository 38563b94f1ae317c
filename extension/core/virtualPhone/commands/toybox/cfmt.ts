/**
 * C printf conversions (%d %i %u %o %x %X %c %s %f %F %e %E %g %G) with flags, width and precision, as
 * bionic's printf formats them. Used by printf, seq -f, stat -c and find -printf.
 */

export interface ConvSpec {
  flags: string;
  width?: number;
  prec?: number;
  conv: string;
}

function pad(body: string, sign: string, spec: ConvSpec, zeroOk: boolean): string {
  const width = spec.width ?? 0;
  const left = spec.flags.includes('-') || width < 0;
  const w = Math.abs(width);
  const len = sign.length + body.length;
  if (len >= w) return sign + body;
  if (left) return sign + body + ' '.repeat(w - len);
  if (zeroOk && spec.flags.includes('0')) return sign + '0'.repeat(w - len) + body;
  return ' '.repeat(w - len) + sign + body;
}

export function formatInt(v: bigint, spec: ConvSpec): string {
  const c = spec.conv;
  let sign = '';
  let n = v;
  if (c === 'd' || c === 'i') {
    if (n < 0n) { sign = '-'; n = -n; } else if (spec.flags.includes('+')) sign = '+';
    else if (spec.flags.includes(' ')) sign = ' ';
  } else if (n < 0n) n += 1n << 64n;
  let body = c === 'o' ? n.toString(8) : c === 'x' ? n.toString(16) : c === 'X' ? n.toString(16).toUpperCase() : n.toString(10);
  if (spec.prec !== undefined) {
    if (spec.prec === 0 && n === 0n) body = '';
    body = body.padStart(spec.prec, '0');
  }
  if (spec.flags.includes('#')) {
    if (c === 'o' && !body.startsWith('0')) body = `0${body}`;
    if ((c === 'x' || c === 'X') && n !== 0n) sign = c === 'x' ? '0x' : '0X';
  }
  return pad(body, sign, spec, spec.prec === undefined);
}

/**
 * Is |x| * 10^p exactly halfway between two integers? JS's toFixed/toExponential round such ties up, C's
 * printf (round-to-nearest-even) to the even neighbour: 2.25 → "2.2" (0.125 → "0.12").
 */
function tieDigits(x: number, p: number, exp: boolean): string | undefined {
  const more = Math.min(100, p + 40);
  if (more <= p + 1) return undefined;
  const long = exp ? x.toExponential(more) : x.toFixed(more);
  const mant = exp ? long.slice(0, long.indexOf('e')) : long;
  const dot = mant.indexOf('.');
  const tail = mant.slice(dot + 1 + p);
  if (!/^50*$/.test(tail)) return undefined;
  // ties: keep the truncated digits, round up only when the last kept digit is odd
  let digits = mant.slice(0, dot + 1 + p).replace(/\.$/, '');
  const last = digits.replace('.', '').slice(-1);
  if (Number(last) % 2 === 0) return exp ? `${digits}${long.slice(long.indexOf('e'))}` : digits;
  digits = exp ? x.toExponential(p) : x.toFixed(p);
  return digits;
}

function fixed(x: number, prec: number): string {
  if (Math.abs(x) < 1e21) {
    const tie = tieDigits(x, prec, false);
    if (tie !== undefined) return tie;
    return x.toFixed(Math.min(prec, 100)) + (prec > 100 ? '0'.repeat(prec - 100) : '');
  }
  const int = BigInt(Math.round(x)).toString();
  return prec ? `${int}.${'0'.repeat(prec)}` : int;
}

function expo(x: number, prec: number, upper: boolean): string {
  let s = tieDigits(x, prec, true) ?? x.toExponential(Math.min(prec, 100));
  s = s.replace(/e([+-])(\d)$/, 'e$10$2');
  return upper ? s.toUpperCase() : s;
}

export function formatFloat(v: number, spec: ConvSpec): string {
  const c = spec.conv;
  const upper = c === 'F' || c === 'E' || c === 'G';
  let sign = '';
  let x = v;
  if (x < 0 || Object.is(x, -0)) { sign = '-'; x = -x; } else if (spec.flags.includes('+')) sign = '+';
  else if (spec.flags.includes(' ')) sign = ' ';
  if (!Number.isFinite(x)) {
    const t = Number.isNaN(x) ? 'nan' : 'inf';
    return pad(upper ? t.toUpperCase() : t, sign, spec, false);
  }
  const prec = spec.prec ?? 6;
  let body: string;
  if (c === 'f' || c === 'F') {
    body = fixed(x, prec);
    if (!prec && spec.flags.includes('#')) body += '.';
  } else if (c === 'e' || c === 'E') {
    body = expo(x, prec, upper);
    if (!prec && spec.flags.includes('#')) body = body.replace(/e/i, (m) => `.${m}`);
  } else {
    const P = prec === 0 ? 1 : prec;
    const X = x === 0 ? 0 : Number(expo(x, P - 1, false).split('e')[1]);
    if (P > X && X >= -4) body = fixed(x, P - 1 - X);
    else body = expo(x, P - 1, upper);
    if (!spec.flags.includes('#')) {
      body = body.replace(/(\.\d*?)0+(?=$|[eE])/, '$1').replace(/\.(?=$|[eE])/, '');
    }
  }
  return pad(body, sign, spec, true);
}

export function formatStr(s: string, spec: ConvSpec): string {
  const body = spec.prec !== undefined && spec.prec >= 0 ? s.slice(0, spec.prec) : s;
  return pad(body, '', spec, false);
}

/** Parses `%[flags][width][.prec]conv` at s[i] === '%'; returns the spec and the index after it, or null. */
export function parseConv(s: string, i: number, allowStar = false): { spec: ConvSpec; end: number; starW: boolean; starP: boolean } | null {
  let j = i + 1;
  let flags = '';
  while (j < s.length && "-+ #0'".includes(s[j])) flags += s[j++];
  let width: number | undefined;
  let starW = false;
  let starP = false;
  if (allowStar && s[j] === '*') { starW = true; j++; } else {
    const m = /^\d+/.exec(s.slice(j));
    if (m) { width = Number(m[0]); j += m[0].length; }
  }
  let prec: number | undefined;
  if (s[j] === '.') {
    j++;
    if (allowStar && s[j] === '*') { starP = true; j++; } else {
      const m = /^\d+/.exec(s.slice(j));
      prec = m ? Number(m[0]) : 0;
      if (m) j += m[0].length;
    }
  }
  if (j >= s.length) return null;
  return { spec: { flags, width, prec, conv: s[j] }, end: j + 1, starW, starP };
}
