/**
 * POSIX regular expressions (bionic's regcomp, which toybox's grep and sed call) translated to JS RegExp:
 * basic (BRE: \( \) \{m,n\}, * literal at the start, ^ and $ anchors only at the ends) and extended (ERE).
 * Patterns and subjects are byte strings (one char per byte). Case folding (-i) is ASCII only, as in the
 * C locale. Error texts are regerror()'s.
 */
import { posixClass } from './common';

export class RegexError extends Error {}

export interface PosixRegex {
  /** Source for `new RegExp(source, flags)`; flags must include at least 'g' or 'y' as the caller needs. */
  source: string;
  /** Number of parenthesised subexpressions. */
  nsub: number;
}

const WORD = 'A-Za-z0-9_';

function lit(c: string): string {
  if (/[\\^$.*+?()[\]{}|/]/.test(c)) return `\\${c}`;
  const code = c.charCodeAt(0);
  if (code < 0x20 || code >= 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  return c;
}

function classChar(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20 || code >= 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}

function foldChar(c: string, icase: boolean): string {
  if (icase && /[A-Za-z]/.test(c)) return `[${c.toLowerCase()}${c.toUpperCase()}]`;
  return lit(c);
}

/** Parses a bracket expression starting after '['; returns [js class, index after ']']. */
function bracket(p: string, i: number, icase: boolean): [string, number] {
  let neg = false;
  if (p[i] === '^') { neg = true; i++; }
  const parts: string[] = [];
  const singles: string[] = [];
  let first = true;
  const addRange = (lo: string, hi: string): void => {
    if (lo > hi) throw new RegexError('invalid character range');
    parts.push(`${classChar(lo)}-${classChar(hi)}`);
    if (icase) {
      const a = Math.max(lo.charCodeAt(0), 97), b = Math.min(hi.charCodeAt(0), 122);
      if (a <= b) parts.push(`${String.fromCharCode(a - 32)}-${String.fromCharCode(b - 32)}`);
      const c = Math.max(lo.charCodeAt(0), 65), d = Math.min(hi.charCodeAt(0), 90);
      if (c <= d) parts.push(`${String.fromCharCode(c + 32)}-${String.fromCharCode(d + 32)}`);
    }
  };
  for (;;) {
    if (i >= p.length) throw new RegexError('brackets ([ ]) not balanced');
    let c = p[i];
    if (c === ']' && !first) { i++; break; }
    first = false;
    if (c === '[' && (p[i + 1] === ':' || p[i + 1] === '=' || p[i + 1] === '.')) {
      const kind = p[i + 1];
      const end = p.indexOf(`${kind}]`, i + 2);
      if (end < 0) throw new RegexError('brackets ([ ]) not balanced');
      const name = p.slice(i + 2, end);
      i = end + 2;
      if (kind === ':') {
        try {
          parts.push(posixClass(icase && (name === 'upper' || name === 'lower') ? 'alpha' : name));
        } catch {
          throw new RegexError('invalid character class');
        }
        continue;
      }
      if (name.length !== 1) throw new RegexError('invalid collating element');
      c = name;
      // a collating element may start a range: [[.a.]-z]
      if (p[i] === '-' && p[i + 1] !== ']' && i + 1 < p.length) {
        addRange(c, p[i + 1]);
        i += 2;
      } else singles.push(c);
      continue;
    }
    if (p[i + 1] === '-' && p[i + 2] !== undefined && p[i + 2] !== ']') {
      let hi = p[i + 2];
      let next = i + 3;
      if (hi === '[' && p[i + 3] === '.') {
        const end = p.indexOf('.]', i + 4);
        if (end < 0) throw new RegexError('brackets ([ ]) not balanced');
        hi = p.slice(i + 4, end);
        next = end + 2;
      }
      addRange(c, hi);
      i = next;
      continue;
    }
    singles.push(c);
    i++;
  }
  for (const s of singles) {
    parts.push(classChar(s));
    if (icase && /[A-Za-z]/.test(s)) parts.push(classChar(s === s.toLowerCase() ? s.toUpperCase() : s.toLowerCase()));
  }
  const body = parts.join('');
  if (!body) return [neg ? '[\\s\\S]' : '[^\\s\\S]', i];
  return [`[${neg ? '^' : ''}${body}]`, i];
}

/** Translates a POSIX regex (BRE unless `extended`) to a JS regex source. Throws RegexError (regerror text). */
export function translate(pattern: string, extended: boolean, icase = false): PosixRegex {
  if (pattern === '') return { source: '()', nsub: 1 };
  let out = '';
  let nsub = 0;
  let depth = 0;
  const p = pattern;
  // "start of an expression": where * is literal in a BRE and ^ is an anchor
  let atStart = true;
  // can a repetition follow what we just emitted?
  let canRepeat = false;
  const n = p.length;
  const endOfBre = (i: number): boolean => i === n || (p[i] === '\\' && p[i + 1] === ')' && depth > 0);
  for (let i = 0; i < n; ) {
    const c = p[i];
    if (extended) {
      if (c === '\\') {
        if (i + 1 >= n) throw new RegexError('trailing backslash (\\)');
        const e = p[i + 1];
        i += 2;
        if (e >= '1' && e <= '9') {
          if (Number(e) > nsub) throw new RegexError('invalid backreference number');
          out += `\\${e}`;
        } else out += gnuEscape(e, icase);
        atStart = false;
        canRepeat = !'<>bB'.includes(e);
        continue;
      }
      if (c === '(') {
        nsub++;
        depth++;
        out += '(';
        i++;
        atStart = true;
        canRepeat = false;
        continue;
      }
      if (c === ')') {
        if (!depth) throw new RegexError('parentheses not balanced');
        depth--;
        out += ')';
        i++;
        atStart = false;
        canRepeat = true;
        continue;
      }
      if (c === '|') {
        out += '|';
        i++;
        atStart = true;
        canRepeat = false;
        continue;
      }
      if (c === '*' || c === '+' || c === '?') {
        if (atStart || !canRepeat) {
          if (atStart) {
            out += lit(c);
            i++;
            atStart = false;
            canRepeat = true;
            continue;
          }
          throw new RegexError('repetition-operator operand invalid');
        }
        out += c;
        i++;
        // a{1}* and a** are accepted by regcomp; JS needs the group
        if (p[i] === '*' || p[i] === '+' || p[i] === '?') out = `(?:${out})`;
        canRepeat = true;
        continue;
      }
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
        if (!m) {
          if (/^\{\d/.test(p.slice(i))) throw new RegexError('braces not balanced');
          out += '\\{';
          i++;
          atStart = false;
          canRepeat = true;
          continue;
        }
        if (atStart || !canRepeat) throw new RegexError('repetition-operator operand invalid');
        if (m[3] && Number(m[3]) < Number(m[1])) throw new RegexError('invalid repetition count(s)');
        out += m[0];
        i += m[0].length;
        canRepeat = true;
        continue;
      }
      if (c === '^') { out += '^'; i++; atStart = true; canRepeat = false; continue; }
      if (c === '$') { out += '$'; i++; atStart = false; canRepeat = false; continue; }
    } else {
      if (c === '\\') {
        if (i + 1 >= n) throw new RegexError('trailing backslash (\\)');
        const e = p[i + 1];
        if (e === '(') {
          nsub++;
          depth++;
          out += '(';
          i += 2;
          atStart = true;
          canRepeat = false;
          if (p[i] === '^') { out += '^'; i++; }
          continue;
        }
        if (e === ')') {
          if (!depth) throw new RegexError('parentheses not balanced');
          depth--;
          out += ')';
          i += 2;
          atStart = false;
          canRepeat = true;
          continue;
        }
        if (e === '{') {
          const m = /^\\\{(\d+)(,(\d*))?\\\}/.exec(p.slice(i));
          if (!m) throw new RegexError('braces not balanced');
          if (!canRepeat) throw new RegexError('repetition-operator operand invalid');
          if (m[3] && Number(m[3]) < Number(m[1])) throw new RegexError('invalid repetition count(s)');
          out += `{${m[1]}${m[2] ?? ''}}`;
          i += m[0].length;
          canRepeat = true;
          continue;
        }
        i += 2;
        if (e >= '1' && e <= '9') {
          if (Number(e) > nsub) throw new RegexError('invalid backreference number');
          out += `\\${e}`;
        } else out += gnuEscape(e, icase);
        atStart = false;
        canRepeat = !'<>bB'.includes(e);
        continue;
      }
      if (c === '*') {
        if (atStart) {
          out += '\\*';
          i++;
          atStart = false;
          canRepeat = true;
          continue;
        }
        out += '*';
        i++;
        if (p[i] === '*') out = `(?:${out})`;
        canRepeat = true;
        continue;
      }
      if (c === '^' && atStart && out.length === 0) { out += '^'; i++; continue; }
      if (c === '$' && endOfBre(i + 1)) { out += '$'; i++; canRepeat = false; continue; }
      if (c === '^' || c === '$') {
        out += `\\${c}`;
        i++;
        atStart = false;
        canRepeat = true;
        continue;
      }
    }
    if (c === '.') {
      out += '[\\s\\S]';
      i++;
      atStart = false;
      canRepeat = true;
      continue;
    }
    if (c === '[') {
      const [cls, next] = bracket(p, i + 1, icase);
      out += cls;
      i = next;
      atStart = false;
      canRepeat = true;
      continue;
    }
    out += foldChar(c, icase);
    i++;
    atStart = false;
    canRepeat = true;
  }
  if (depth) throw new RegexError('parentheses not balanced');
  try {
    new RegExp(out);
  } catch {
    throw new RegexError('invalid regular expression');
  }
  return { source: out, nsub };
}

/** Compiles for repeated searching: the regex is sticky-free and global (use lastIndex). */
export function compile(pattern: string, extended: boolean, icase = false): { re: RegExp; nsub: number } {
  const { source, nsub } = translate(pattern, extended, icase);
  return { re: new RegExp(source, 'g'), nsub };
}

/** regexec() from `from` on the whole subject: ^ matches only at 0 (REG_NOTBOL for later starts), $ at the end. */
export function execAt(re: RegExp, s: string, from: number): RegExpExecArray | null {
  re.lastIndex = from;
  return re.exec(s);
}

/** A fixed string (grep -F) as a JS regex that matches it literally (ASCII case folding with icase). */
export function literal(p: string, icase: boolean): RegExp {
  return new RegExp([...p].map((c) => foldChar(c, icase)).join(''), 'g');
}

/** The GNU escapes both BRE and ERE accept (\< \> \b \B \w \W \s \S); any other escaped character is itself. */
function gnuEscape(e: string, icase: boolean): string {
  switch (e) {
    case '<': return `(?<![${WORD}])(?=[${WORD}])`;
    case '>': return `(?<=[${WORD}])(?![${WORD}])`;
    case 'b': return '\\b';
    case 'B': return '\\B';
    case 'w': return `[${WORD}]`;
    case 'W': return `[^${WORD}]`;
    case 's': return '[ \\t\\n\\r\\f\\v]';
    case 'S': return '[^ \\t\\n\\r\\f\\v]';
    default: return foldChar(e, icase);
  }
}
