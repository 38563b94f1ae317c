/**
 * toybox's diff and expr as Android 14 ships them (toys/pending/diff.c, toys/pending/expr.c, enabled in AOSP's
 * toybox config; diff since Android 8, expr since 6).
 *
 * diff: always unified output (3 lines of context, -U N), headers `--- FILE\tYYYY-MM-DD HH:MM:SS.NNNNNNNNN +ZZZZ`
 * (format_iso_time of the mtime), hunks `@@ -A,B +C,D @@` with the count left out when it is 1; -q "Files X and
 * Y differ", -s "… are identical", -i -b -w -B, -L LABEL, -N (a missing file is empty), `-` is stdin. Status 0
 * same, 1 different, 2 trouble. The line matching is jsdiff's (npm `diff`), the output toybox's.
 *
 * expr: `|` `&` comparisons `+ - * / %` and `:` (a basic regex anchored at the start: the first \( \) group or
 * the match length), by precedence climbing; an operand that is a whole integer compares as one. Prints the
 * result; status 1 when it is 0 or empty, 2 on errors ("syntax error" style messages of toybox).
 */
import { structuredPatch } from 'diff';
import type { CommandTable } from '../types';
import { ToyExit, fromB, readWhole, toy } from './common';
import { isoNanos } from './formats';
import { compile } from './regex';

const diff = toy('diff', { usage: 'diff [-abBdiNqrTstw] [-L LABEL] [-S FILE] [-U LINES] [-F REGEX ] FILE1 FILE2', argfail: 2 }, async (t) => {
  const flags = new Set<string>();
  const labels: string[] = [];
  let context = 3;
  const files: string[] = [];
  const args = t.args;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { files.push(...args.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const long: Record<string, string> = { '--unified': 'u', '--brief': 'q', '--report-identical-files': 's', '--ignore-case': 'i', '--ignore-all-space': 'w', '--ignore-space-change': 'b', '--ignore-blank-lines': 'B', '--new-file': 'N', '--text': 'a', '--recursive': 'r' };
      if (long[a]) { flags.add(long[a]); continue; }
      if (a === '--label') { labels.push(args[++i] ?? ''); continue; }
      throw new ToyExit(`Unknown option '${a.slice(2)}' (see "diff --help")`, 2);
    }
    if (!a.startsWith('-') || a === '-') { files.push(a); continue; }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (c === 'U' || c === 'L' || c === 'S' || c === 'F') {
        const v = a.slice(j + 1) || args[++i];
        if (v === undefined) throw new ToyExit(`Missing argument to -${c} (see "diff --help")`, 2);
        if (c === 'U') {
          if (!/^\d+$/.test(v)) throw new ToyExit(`-U bad '${v}'`, 2);
          context = Number(v);
        } else if (c === 'L') labels.push(v);
        break;
      }
      if (!'abBdiNqrTstwu'.includes(c)) throw new ToyExit(`Unknown option '${a.slice(j)}' (see "diff --help")`, 2);
      flags.add(c);
    }
  }
  if (files.length < 2) throw new ToyExit('Need 2 arguments (see "diff --help")', 2);
  if (files.length > 2) throw new ToyExit('Max 2 arguments (see "diff --help")', 2);
  const infos = [];
  const texts: string[] = [];
  for (const f of files) {
    if (f === '-') { infos.push({ mtimeMs: Date.now() }); texts.push(fromB(await readWhole(t, '-'))); continue; }
    const st = await t.tryStat(f);
    if (!st) {
      if (flags.has('N')) { infos.push({ mtimeMs: 0 }); texts.push(''); continue; }
      throw new ToyExit(`${f}: No such file or directory`, 2);
    }
    if (st.type === 'dir') throw new ToyExit(flags.has('r') ? "can't compare directories on the virtual phone" : `${f}: Is a directory`, 2);
    infos.push(st);
    try {
      texts.push(fromB(await readWhole(t, f)));
    } catch (e) {
      throw new ToyExit(`${f}: ${(e as { code?: string }).code === 'EACCES' ? 'Permission denied' : (e as Error).message}`, 2);
    }
  }
  // -i -b -w: lines are matched as normalised, printed as they are.
  const normalise = flags.has('i') || flags.has('b') || flags.has('w');
  const norm = (text: string) => text.split('\n').map((l) => {
    let x = l;
    if (flags.has('i')) x = x.toLowerCase();
    if (flags.has('w')) x = x.replace(/[ \t\r\v\f]+/g, '');
    else if (flags.has('b')) x = x.replace(/[ \t\r\v\f]+/g, ' ').replace(/ $/, '');
    return x;
  }).join('\n');
  const patch = structuredPatch(files[0], files[1], normalise ? norm(texts[0]) : texts[0], normalise ? norm(texts[1]) : texts[1], '', '', { context });
  if (normalise) {
    const orig = texts.map((x) => x.split('\n'));
    for (const h of patch.hunks) {
      let oi = h.oldStart - 1;
      let ni = h.newStart - 1;
      h.lines = h.lines.map((l) => {
        if (l[0] === ' ') { ni++; return ` ${orig[0][oi++]}`; }
        if (l[0] === '-') return `-${orig[0][oi++]}`;
        if (l[0] === '+') return `+${orig[1][ni++]}`;
        return l;
      });
    }
  }
  let hunks = patch.hunks;
  if (flags.has('B')) hunks = hunks.filter((h) => h.lines.some((l) => /^[-+]./.test(l) && l.slice(1).trim() !== ''));
  const binary = !flags.has('a') && texts.some((x) => x.includes('\0'));
  if (!hunks.length) {
    if (flags.has('s')) await t.out(`Files ${files[0]} and ${files[1]} are identical\n`);
    return 0;
  }
  if (flags.has('q') || binary) {
    await t.out(`Files ${files[0]} and ${files[1]} differ\n`);
    return 1;
  }
  const tab = flags.has('T') ? '\t' : '';
  let out = `--- ${labels[0] ?? `${files[0]}\t${isoNanos(infos[0].mtimeMs)}`}\n+++ ${labels[1] ?? `${files[1]}\t${isoNanos(infos[1].mtimeMs)}`}\n`;
  const range = (start: number, n: number) => `${n === 0 ? start - 1 : start}${n === 1 ? '' : `,${n}`}`;
  for (const h of hunks) {
    out += `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@\n`;
    for (const l of h.lines) out += l.startsWith('\\') ? `${l}\n` : `${l[0]}${tab}${l.slice(1)}\n`;
  }
  await t.outB(out);
  return 1;
});

/* ------------------------------------------------------------------ expr */

interface ExprValue { s?: string; i: number }

function getInt(v: ExprValue): number | undefined {
  if (v.s === undefined) return v.i;
  return /^[ \t\n\r\f\v]*[-+]?\d+$/.test(v.s) || v.s === '' ? Number(v.s.trim() || 0) : undefined;
}
const getStr = (v: ExprValue) => v.s ?? String(v.i);
const isFalse = (v: ExprValue) => getInt(v) === 0;

const PREC: Record<string, number> = { '|': 1, '&': 2, '=': 3, '==': 3, '!=': 3, '>': 3, '>=': 3, '<': 3, '<=': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, ':': 6 };

const expr = toy('expr', { nohelp: true }, async (t) => {
  const tok = t.args;
  let k = 0;
  const fail = (m: string): never => { throw new ToyExit(m, 2); };
  const evalExpr = (minPrec: number): ExprValue => {
    if (k >= tok.length) fail('Unexpected end of input');
    let ret: ExprValue;
    if (tok[k] === '(') {
      k++;
      ret = evalExpr(1);
      if (ret.s === ')') fail('empty ( )');
      if (k >= tok.length) fail('Expected )');
      if (tok[k] !== ')') fail(`Expected ) but got ${tok[k]}`);
    } else ret = { s: tok[k], i: 0 };
    k++;
    while (k < tok.length) {
      const op = tok[k];
      const prec = PREC[op];
      if (prec === undefined || prec < minPrec) break;
      k++;
      const rhs = evalExpr(prec + 1);
      ret = apply(op, ret, rhs);
    }
    return ret;
  };
  const apply = (op: string, a: ExprValue, b: ExprValue): ExprValue => {
    switch (op) {
      case '|': return isFalse(a) ? b : a;
      case '&': return isFalse(a) || isFalse(b) ? { i: 0 } : a;
      case '+': case '-': case '*': case '/': case '%': {
        const x = getInt(a);
        const y = getInt(b);
        if (x === undefined || y === undefined) return fail('non-integer argument');
        if ((op === '/' || op === '%') && y === 0) fail('division by zero');
        return { i: op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? Math.trunc(x / y) : x % y };
      }
      case ':': {
        const s = getStr(a);
        const { re, nsub } = compile(getStr(b), false);
        re.lastIndex = 0;
        const m = re.exec(s);
        const ok = m && m.index === 0;
        if (nsub > 0) return { s: ok ? m[1] ?? '' : '', i: 0 };
        return { i: ok ? m[0].length : 0 };
      }
      default: {
        const x = getInt(a);
        const y = getInt(b);
        const cmp = x !== undefined && y !== undefined ? x - y : getStr(a) < getStr(b) ? -1 : getStr(a) > getStr(b) ? 1 : 0;
        const r = op === '=' || op === '==' ? cmp === 0 : op === '!=' ? cmp !== 0 : op === '>' ? cmp > 0 : op === '>=' ? cmp >= 0 : op === '<' ? cmp < 0 : cmp <= 0;
        return { i: r ? 1 : 0 };
      }
    }
  };
  const ret = evalExpr(1);
  if (k < tok.length) fail(`Unexpected extra input '${tok[k]}'\n`);
  await t.out(`${getStr(ret)}\n`);
  return isFalse(ret) ? 1 : 0;
});

export const DIFF_COMMANDS: CommandTable = { diff, expr };
