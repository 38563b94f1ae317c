/**
 * grep, egrep, fgrep as toybox's toys/posix/grep.c runs them: BRE/ERE/fixed patterns, -i -v -w -x -o -c -l
 * -L -n -b -h -H -q -s -r -R -m -A -B -C -z -Z, --color, --include/--exclude; exit 0/1, 2 on errors.
 */
import { errnoText, type CommandTable } from '../types';
import { Aborted, ToyExit, bstr, fnmatch, fromB, isDir, lines, readAllInput, toy, walkTree, DT_RECURSE, DT_SYMFOLLOW, type Input } from './common';
import { compile, execAt, literal, RegexError } from './regex';

/* ------------------------------------------------------------------ */
/* grep, egrep, fgrep (toys/posix/grep.c)                              */

const GREP_OPTS = '(line-buffered)(color):;(exclude-dir)*S(exclude)*M(include)*ZzEFHIab(byte-offset)h(no-filename)ino(only-matching)rRsvwc(count)L(files-without-match)l(files-with-matches)q(quiet)(silent)e*f*C#B#A#m#x[!wx][!EF]';

function grepCommand(name: 'grep' | 'egrep' | 'fgrep') {
  return toy(name, { opts: GREP_OPTS, argfail: 2, usage: `${name} [-EFrivwcloqsHbhn] [-ABC NUM] [-m MAX] [-e REGEX]... [-MS PATTERN]... [-f REGFILE] [FILE]...` }, async (t) => {
    const o = t.o;
    if (o.has('color') && (o.str('color') === undefined || o.str('color') === 'auto') && !t.io.tty) o.unset('color');
    if (o.str('color') === 'never') o.unset('color');
    const C = o.has('color') ? { purple: '\x1b[35m', cyan: '\x1b[36m', red: '\x1b[1;31m', green: '\x1b[32m', grey: '\x1b[m' } : { purple: '', cyan: '', red: '', green: '', grey: '' };
    if (o.has('R')) o.set('r');
    if (name === 'egrep') o.set('E');
    if (name === 'fgrep') o.set('F');
    if (o.has('s')) o.set('quiet-errors');
    const A = o.has('A') ? o.num('A') : o.num('C');
    const B = o.has('B') ? o.num('B') : o.num('C');
    const delim = o.has('z') ? '\0' : '\n';
    let args = t.args;
    const err = async (msg: string): Promise<void> => {
      if (o.has('s')) {
        if (!t.exitval) t.exitval = 2;
        return;
      }
      await t.err(msg);
    };
    t.exitval = 2;

    let patterns: string[] = [];
    const files = o.list('f');
    for (const f of files) {
      let text: string;
      try {
        const input = await t.open(f);
        try {
          text = fromB(await readAllInput(input));
        } finally {
          await input.close();
        }
      } catch (e) {
        throw new ToyExit(`${f}: ${errnoText(e)}`, 2);
      }
      if (!text) continue;
      if (text.endsWith('\n')) text = text.slice(0, -1);
      patterns.push(...text.split('\n'));
    }
    for (const e of o.list('e')) patterns.push(...bstr(e).split('\n'));
    if (!files.length && !o.list('e').length) {
      if (!args.length) throw new ToyExit('no REGEX', 2);
      patterns = bstr(args[0]).split('\n');
      args = args.slice(1);
    }
    const regs: RegExp[] = [];
    let emptyPattern = false;
    for (const p of patterns) {
      if (p === '') emptyPattern = true;
      try {
        if (o.has('F')) {
          if (p === '') continue;
          regs.push(literal(p, o.has('i')));
        } else regs.push(compile(p, o.has('E'), o.has('i')).re);
      } catch (e) {
        if (e instanceof RegexError) throw new ToyExit(`bad regex '${p}': ${e.message}`, 2);
        throw e;
      }
    }
    if (!o.has('h') && args.length > 1) o.set('H');

    let tried = 0;
    let found = false;
    const wordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

    const doGrep = async (input: Input, fname: string): Promise<void> => {
      const shownName = input.isStdin ? '(standard input)' : bstr(fname);
      let bin = false;
      let first: Buffer | null = null;
      if (!o.has('a') && !input.isStdin && input.size !== undefined) {
        first = await input.read();
        if (first) {
          const head = first.subarray(0, 256);
          let i = 0;
          while (i < head.length) {
            const b = head[i];
            let n = b === 0 ? 0 : b < 0x80 ? 1 : (b & 0xe0) === 0xc0 ? 2 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf8) === 0xf0 ? 4 : -1;
            if (n > 1) {
              if (i + n > head.length) break;
              for (let k = 1; k < n; k++) if ((head[i + k] & 0xc0) !== 0x80) n = -1;
            }
            if (n < 1) break;
            i += n;
          }
          bin = i < head.length && !(i + 4 > head.length && head.length === 256 && head[i] >= 0xc0);
        }
        if (bin && o.has('I')) return;
      }
      const pre = first;
      const src: Input = pre ? { ...input, read: (() => { let used = false; return async () => { if (!used) { used = true; return pre; } return input.read(); }; })() } : input;
      let lcount = 0;
      let mcount = 0;
      let offset = 0;
      let after = 0;
      let before: Array<{ line: string; lcount: number; offset: number }> = [];
      let bars = false;
      let out = '';
      const outline = (line: string | undefined, dash: string, lc: number, bcount: number, trim?: number): void => {
        if (line !== undefined && trim === 0 && o.has('o')) return;
        if (o.has('H')) out += `${C.purple}${shownName}${C.cyan}${dash}`;
        if (o.has('c')) out += `${C.grey}${lc}${delim}`;
        else if (lc && o.has('n')) out += `${C.green}${lc}${C.cyan}${dash}`;
        if (bcount && o.has('b')) out += `${C.green}${bcount - 1}${C.cyan}${dash}`;
        if (line !== undefined) {
          if (o.has('color')) out += o.has('o') ? C.red : C.grey;
          out += line + delim;
        }
      };
      for await (const raw of lines(src, delim)) {
        if (t.aborted) throw new Aborted();
        lcount++;
        const len = raw.length;
        const line = raw.endsWith(delim) ? raw.slice(0, -1) : raw;
        const ulen = line.length;
        let start = 0;
        let matched = 0;
        let move = 0;
        let colorDone = 0;
        do {
          let rc = 1;
          let so = 0;
          let eo = 0;
          for (const re of regs) {
            const m = execAt(re, line, start);
            if (!m) continue;
            const ms = m.index - start, me = m.index + m[0].length - start;
            if (rc || ms < so || (ms === so && me >= eo)) {
              so = ms;
              eo = me;
              rc = 0;
            }
          }
          if (rc && emptyPattern && !o.has('o')) {
            rc = 0;
            so = eo = 0;
          }
          if (!rc && o.has('o') && !eo && ulen > start) {
            move = 1;
            continue;
          }
          if (!rc && o.has('x') && (so || ulen - start !== eo)) rc = 1;
          if (!rc && o.has('w')) {
            let bad = false;
            if (start + so !== 0 && wordChar(line[start + so - 1])) bad = true;
            if (!bad && wordChar(line[start + eo])) bad = true;
            if (bad) {
              move = so + 1;
              continue;
            }
          }
          if (o.has('v')) {
            if (o.has('o')) {
              if (rc) eo = ulen - start;
              else if (!so) {
                move = eo;
                continue;
              } else eo = so;
            } else {
              if (!rc) break;
              eo = ulen - start;
            }
            so = 0;
          } else if (rc) break;
          if (bars) {
            out += '--\n';
            bars = false;
          }
          matched++;
          found = true;
          if (o.has('q')) {
            await t.outB(out);
            throw new ToyExit(undefined, 0);
          }
          if (o.has('L') || o.has('l')) {
            if (o.has('l')) out += shownName + (o.has('Z') ? '\0' : '\n');
            await t.outB(out);
            return;
          }
          if (!o.has('c')) {
            const bcount = 1 + offset + start + (o.has('o') ? so : 0);
            if (bin) out += `Binary file ${shownName} matches\n`;
            else if (o.has('o')) outline(line.slice(start + so, start + eo), ':', lcount, bcount, eo - so);
            else {
              for (const b of before) outline(b.line, '-', b.lcount, b.offset + 1);
              before = [];
              if (matched === 1) outline(o.has('color') ? undefined : line, ':', lcount, bcount);
              if (o.has('color')) {
                out += C.grey + line.slice(colorDone, start + so) + C.red + line.slice(start + so, start + eo);
                colorDone = start + eo;
                }
              if (A) after = A + 1;
            }
          }
          move = eo;
          if (so === eo) break;
        } while ((start += move) < ulen);
        if (matched) {
          if (o.has('color') && !o.has('o') && !bin && !o.has('c')) out += `${C.grey}${line.slice(colorDone)}${delim}`;
          mcount++;
        } else {
          let discard = !!(after || B);
          if (after && --after) {
            outline(line, '-', lcount, 0);
            discard = false;
          }
          if (discard && B) {
            before.push({ line, lcount, offset });
            if (before.length > B) before.shift();
            else discard = false;
          }
          if (discard && mcount) bars = true;
        }
        offset += len;
        if (out.length > 32768) {
          await t.outB(out);
          out = '';
        }
        if (o.has('m') && mcount >= o.num('m')) break;
      }
      // grep.c: -l/-L return at the first match, so reaching the end under -L means no match
      if (o.has('L')) out += shownName + delim;
      else if (o.has('c')) outline(undefined, ':', mcount, 0);
      await t.outB(out);
    };

    const grepFile = async (path: string, counted: boolean): Promise<void> => {
      let input: Input;
      try {
        input = await t.open(path);
      } catch (e) {
        await err(`${path}: ${errnoText(e)}`);
        return;
      }
      if (counted) tried++;
      try {
        await doGrep(input, path);
      } finally {
        await input.close();
      }
    };

    try {
      if (o.has('r')) {
        for (const p of args.length ? args : ['.']) {
          if (p === '-') {
            tried++;
            const input = await t.open('-');
            await doGrep(input, '-');
            continue;
          }
          tried++;
          const ok = await walkTree(t, p, o.has('R') ? DT_SYMFOLLOW : 0, async (n) => {
            if (n.parent && (n.name === '.' || n.name === '..')) return 0;
            const info = n.info;
            if (info && isDir(info)) {
              if (n.parent && o.list('exclude-dir').some((x) => fnmatch(x, n.name))) return 0;
              return DT_RECURSE | (o.has('R') ? DT_SYMFOLLOW : 0);
            }
            if (o.list('S').some((x) => fnmatch(x, n.name))) return 0;
            if (o.list('M').length && !o.list('M').some((x) => fnmatch(x, n.name))) return 0;
            if (n.parent && !o.has('h')) o.set('H');
            await grepFile(n.path, false);
            return 0;
          });
          if (!ok) tried--;
        }
      } else {
        for (const p of args.length ? args : ['-']) await grepFile(p, true);
      }
    } catch (e) {
      if (e instanceof ToyExit && e.code === 0 && e.msg === undefined) return 0;
      throw e;
    }
    if (tried >= args.length || (o.has('q') && found)) return found ? 0 : 1;
    return t.exitval || 2;
  });
}

export const GREP_COMMANDS: CommandTable = { grep: grepCommand('grep'), egrep: grepCommand('egrep'), fgrep: grepCommand('fgrep') };
