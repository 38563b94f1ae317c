/**
 * sed as toybox's toys/posix/sed.c runs it: addresses (N, $, /re/, \cREc, ranges, ADDR,+N, !), blocks,
 * s///[gpiNw], y, p P d D n N g G h H x a i c r w = l q Q b t T :label, -n -e -f -i[SUF] -E/-r -s -z.
 * A line that ended without a newline is written without one. `sed -i` writes a temporary file next to
 * the original and renames it over, so a reader never sees a half-written file.
 */
import { errnoText, type CommandTable } from '../types';
import { bstr, errCode, fromB, readAllInput, toB, toy, ToyExit, type Input, type Output, type Toy } from './common';
import { compile, execAt, RegexError } from './regex';

interface Addr {
  line?: number;
  last?: boolean;
  plus?: number;
  /** null: the empty regex (the last one used) */
  re?: RegExp | null;
}

interface SedCmd {
  addr: [Addr | undefined, Addr | undefined];
  not: boolean;
  c: string;
  hit: number;
  text?: string;
  label?: string;
  re?: { re: RegExp; nsub: number } | null;
  repl?: string;
  g?: boolean;
  p?: boolean;
  nth?: number;
  wfile?: string;
  from?: string;
  to?: string;
  code?: number;
}

const UNESC: Record<string, string> = { '\\': '\\', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** unescape_delimited_string(): text up to the delimiter, printf escapes converted, [ranges] respected. */
function delimited(s: string, i: number, delimIn?: string): { text: string; next: number; delim: string } | undefined {
  let p = i;
  let d = delimIn;
  if (!d) {
    d = s[p++];
    if (d === '\\') d = s[p++];
    if (!d || d === '\\' || d === '\n') return undefined;
  }
  let out = '';
  let mode = '';
  while (mode || s[p] !== d) {
    if (p >= s.length) return undefined;
    const c = s[p];
    if (c === '[') {
      if (!mode) {
        mode = ']';
        if (s[p + 1] === '-' || s[p + 1] === ']') out += s[p++];
      } else if (mode === ']' && '.=:'.includes(s[p + 1] ?? '_')) {
        out += s[p++];
        mode = s[p];
      }
    } else if (mode && c === mode) {
      if (mode === ']') mode = '';
      else {
        out += s[p++];
        mode = ']';
      }
    } else if (mode && c === '-' && s[p - 1] === s[p + 1]) {
      p += 2;
      continue;
    } else if (c === '\\') {
      if (p + 1 >= s.length) return undefined;
      if (s[p + 1] === d) p++;
      else if (s[p + 1] === '\\') out += s[p++];
      else {
        const u = UNESC[s[p + 1]];
        if (u !== undefined && s[p + 1] !== '\\') {
          out += u;
          p += 2;
          continue;
        } else if (!mode) out += s[p++];
      }
    }
    out += s[p++];
  }
  return { text: out, next: p + 1, delim: d };
}

class SedParser {
  cmds: SedCmd[] = [];
  depth = 0;
  /** a command whose text continues on the next script line */
  pending?: { cmd: SedCmd; kind: 'a' | 's'; delim?: string; raw?: string };

  constructor(private readonly t: Toy, private readonly ere: boolean) {}

  private bad(piece: string, at: number): never {
    throw new ToyExit(`bad pattern '${Buffer.from(piece, 'latin1').toString('utf8')}'@${at + 1} (${piece[at] ?? ''})`, 1);
  }

  private regex(src: string, icase = false, ere = this.ere): { re: RegExp; nsub: number } {
    try {
      return compile(src, ere, icase);
    } catch (e) {
      if (e instanceof RegexError) throw new ToyExit(`bad regex '${src}': ${e.message}`, 1);
      throw e;
    }
  }

  /** Parses one line of script (a -e argument is one line, possibly containing newlines). */
  line(text: string): void {
    const s = text;
    let i = 0;
    if (this.pending) {
      const p = this.pending;
      this.pending = undefined;
      if (p.kind === 'a') {
        i = this.textArg(p.cmd, s, 0, true);
      } else {
        i = this.sRest(p.cmd, s, 0, p.delim as string, (p.raw ?? '') + '\n');
        if (i < 0) return;
      }
    }
    for (;;) {
      for (;;) {
        while (i < s.length && (/\s/.test(s[i]) || s[i] === ';')) i++;
        if (s[i] === '#') while (i < s.length && s[i] !== '\n') i++;
        else break;
      }
      if (i >= s.length) return;
      const errstart = i;
      const piece = (): string => s.slice(errstart);
      const cmd: SedCmd = { addr: [undefined, undefined], not: false, c: '', hit: 0 };
      let n = 0;
      for (n = 0; n < 2; n++) {
        if (s[i] === ',') i++;
        else if (n) break;
        let a: Addr | undefined;
        if (n && s[i] === '+' && /\d/.test(s[i + 1] ?? '')) {
          const m = /^\+(\d+)/.exec(s.slice(i)) as RegExpExecArray;
          a = { plus: Number(m[1]) };
          i += m[0].length;
        } else if (/\d/.test(s[i] ?? '')) {
          const m = /^\d+/.exec(s.slice(i)) as RegExpExecArray;
          a = { line: Number(m[0]) };
          i += m[0].length;
        } else if (s[i] === '$') {
          a = { last: true };
          i++;
        } else if (s[i] === '/' || s[i] === '\\') {
          const r = delimited(s, i);
          if (!r) this.bad(piece(), i - errstart);
          const rr = r as NonNullable<typeof r>;
          a = { re: rr.text ? this.regex(rr.text).re : null };
          i = rr.next;
        } else break;
        cmd.addr[n] = a;
      }
      while (i < s.length && /\s/.test(s[i])) i++;
      if (i >= s.length) this.bad(piece(), i - errstart);
      if (s[i] === '!') {
        cmd.not = true;
        i++;
      }
      while (i < s.length && /\s/.test(s[i])) i++;
      if (i >= s.length) this.bad(piece(), i - errstart);
      const c = (cmd.c = s[i++]);
      if ('}:'.includes(c) && n) this.bad(piece(), i - 1 - errstart);
      if ('aiqQr='.includes(c) && n > 1) this.bad(piece(), i - 1 - errstart);
      this.cmds.push(cmd);
      if (c === '{') this.depth++;
      else if (c === '}') {
        if (!this.depth--) this.bad(piece(), i - 1 - errstart);
      } else if (c === 's') {
        const r = delimited(s, i);
        if (!r) this.bad(piece(), i - errstart);
        const rr = r as NonNullable<typeof r>;
        cmd.repl = rr.text;
        i = this.sRest(cmd, s, rr.next, rr.delim, '');
        if (i < 0) return;
      } else if (c === 'w') {
        i = this.wArg(cmd, s, i);
      } else if (c === 'y') {
        const a = delimited(s, i);
        if (!a) this.bad(piece(), i - errstart);
        const b = delimited(s, (a as NonNullable<typeof a>).next, (a as NonNullable<typeof a>).delim);
        if (!b || b.text.length !== (a as NonNullable<typeof a>).text.length) this.bad(piece(), i - errstart);
        cmd.from = (a as NonNullable<typeof a>).text;
        cmd.to = (b as NonNullable<typeof b>).text;
        i = (b as NonNullable<typeof b>).next;
      } else if ('abcirtTqQ:'.includes(c)) {
        while (i < s.length && /\s/.test(s[i]) && s[i] !== '\n') i++;
        if ('aci'.includes(c)) {
          i = this.textArg(cmd, s, i, false);
          if (this.pending) return;
        } else {
          const stop = ':btTqQ'.includes(c) ? /[}; \t\r\n\v\f]/ : /\n/;
          let e = i;
          while (e < s.length && !stop.test(s[e])) e++;
          const arg = s.slice(i, e);
          if (!arg && !'btTqQ'.includes(c)) this.bad(piece(), i - errstart);
          if (c === 'q' || c === 'Q') {
            if (arg && !/^\d+$/.test(arg)) this.bad(piece(), i - errstart);
            if (arg) cmd.code = Number(arg);
          } else if (c === 'r') cmd.text = arg;
          else if (arg) cmd.label = arg;
          i = e;
        }
      } else if (!'{dDgGhHlnNpPx='.includes(c)) this.bad(piece(), i - 1 - errstart);
    }
  }

  /** The text of a, i, c: backslash-newline continues, escapes are unescaped. Returns the index after it. */
  private textArg(cmd: SedCmd, s: string, i: number, resume: boolean): number {
    let e = i;
    while (e < s.length && s[e] !== '\n') e++;
    const raw = s.slice(i, e);
    if (!raw && !resume && cmd.text === undefined) throw new ToyExit(`bad pattern '${s}'@${i + 1} (${s[i] ?? ''})`, 1);
    let text = '';
    for (let k = 0; k < raw.length; k++) {
      if (raw[k] === '\\') {
        if (k === raw.length - 1) {
          // escape at the end of the line: the text goes on
          cmd.text = (cmd.text ? `${cmd.text}\n` : cmd.text ?? '') + text;
          if (e < s.length) return this.textArg(cmd, s, e + 1, true);
          this.pending = { cmd, kind: 'a' };
          return e;
        }
        k++;
        text += UNESC[raw[k]] && raw[k] !== '\\' ? UNESC[raw[k]] : raw[k];
      } else text += raw[k];
    }
    if (cmd.text === undefined) cmd.text = text;
    else if (cmd.text === '' && resume) cmd.text = text;
    else cmd.text = `${cmd.text}\n${text}`;
    return e;
  }

  private wArg(cmd: SedCmd, s: string, i: number): number {
    while (i < s.length && /\s/.test(s[i]) && s[i] !== '\n') i++;
    let e = i;
    while (e < s.length && s[e] !== '\n' && !(s[e] === '\\' && s[e + 1] === ';')) e++;
    if (e === i) throw new ToyExit(`bad pattern '${s}'@${i + 1} ( )`, 1);
    cmd.wfile = s.slice(i, e);
    return s[e] === '\\' ? e + 2 : e;
  }

  /** The replacement and flags of s///; returns -1 when the replacement goes on on the next line. */
  private sRest(cmd: SedCmd, s: string, i: number, delim: string, soFar: string): number {
    let e = i;
    let raw = soFar;
    for (;;) {
      if (e >= s.length) {
        // unterminated: the next -e / script line continues it only after a backslash-newline
        throw new ToyExit(`bad pattern '${s}'@${e + 1} ()`, 1);
      }
      if (s[e] === delim) break;
      if (s[e] === '\\') {
        if (e + 1 >= s.length) {
          raw += s.slice(i, e);
          this.pending = { cmd, kind: 's', delim, raw: `${raw}` };
          return -1;
        }
        if (s[e + 1] === '\n') {
          raw += `${s.slice(i, e)}\n`;
          e += 2;
          i = e;
          continue;
        }
        e += 2;
        continue;
      }
      e++;
    }
    raw += s.slice(i, e);
    const pattern = cmd.repl as string;
    cmd.repl = raw;
    let icase = false;
    let k = e + 1;
    let ere = this.ere;
    for (; k < s.length; k++) {
      const c = s[k];
      if (/\s/.test(c) && c !== '\n') continue;
      if (c === 'i' || c === 'I') icase = true;
      else if (c === 'g') cmd.g = true;
      else if (c === 'p') cmd.p = true;
      else if (c === 'x') ere = true;
      else if (/\d/.test(c) && !cmd.nth) {
        const m = /^\d+/.exec(s.slice(k)) as RegExpExecArray;
        cmd.nth = Number(m[0]);
        k += m[0].length - 1;
      } else break;
    }
    cmd.re = pattern ? this.regex(pattern, icase, ere) : null;
    if (s[k] === 'w') k = this.wArg(cmd, s, k + 1);
    return k;
  }
}

const sed = toy('sed', { opts: '(help)(version)(tarxform)e*f*i:;nErz(null-data)s[+Er]', usage: 'sed [-inrszE] [-e SCRIPT]...|SCRIPT [-f SCRIPT_FILE]... [FILE...]' }, async (t) => {
  const o = t.o;
  if (o.has('version')) {
    await t.out('This is not GNU sed version 9.0\n');
    return;
  }
  const delim = o.has('z') ? '\0' : '\n';
  const ere = o.has('E') || o.has('r');
  const parser = new SedParser(t, ere);
  let files = t.args;
  const scripts: Array<{ kind: 'e' | 'f'; v: string }> = [];
  if (!o.list('e').length && !o.list('f').length) {
    if (!files.length) t.fail('no pattern');
    scripts.push({ kind: 'e', v: files[0] });
    files = files.slice(1);
  } else {
    // -e and -f in the order they were given
    let ei = 0, fi = 0;
    const es = o.list('e'), fs = o.list('f');
    for (let k = 1; k < t.argv.length; k++) {
      const a = t.argv[k];
      const isE = a === '-e' || a.startsWith('-e') || a.startsWith('--expression');
      const isF = a === '-f' || (a.startsWith('-f') && !a.startsWith('--'));
      if (isE && ei < es.length) scripts.push({ kind: 'e', v: es[ei++] });
      else if (isF && fi < fs.length) scripts.push({ kind: 'f', v: fs[fi++] });
    }
    while (ei < es.length) scripts.push({ kind: 'e', v: es[ei++] });
    while (fi < fs.length) scripts.push({ kind: 'f', v: fs[fi++] });
  }
  for (const sc of scripts) {
    if (sc.kind === 'e') parser.line(bstr(sc.v));
    else {
      let text: string;
      try {
        text = fromB(await readAllInput(await t.open(sc.v)));
      } catch (e) {
        await t.perr(sc.v, e);
        return 1;
      }
      const ls = text.split('\n');
      if (ls[ls.length - 1] === '') ls.pop();
      for (const l of ls) parser.line(l);
    }
  }
  if (parser.pending?.kind === 's') t.fail(`bad pattern '${parser.pending.raw ?? ''}'`);
  if (parser.depth) t.fail('no }');
  const cmds = parser.cmds;

  // w files are opened (truncated) before any input is read
  const wfiles = new Map<string, Output>();
  for (const c of cmds) {
    if (c.wfile && !wfiles.has(c.wfile)) {
      try {
        wfiles.set(c.wfile, await t.create(Buffer.from(c.wfile, 'latin1').toString('utf8')));
      } catch (e) {
        t.fail(`w '${c.wfile}': ${errnoText(e)}`);
      }
    }
  }
  const wNoeol = new Map<string, boolean>();

  let sink: (s: string) => Promise<void> = (s) => t.outB(s);
  let noeol = false;
  const emit = async (text: string, eol: boolean): Promise<void> => {
    let s = '';
    if (noeol) s += delim;
    s += text;
    if (eol) s += delim;
    noeol = !eol;
    if (s) await sink(s);
  };
  const emitW = async (file: string, text: string, eol: boolean): Promise<void> => {
    const out = wfiles.get(file) as Output;
    let s = '';
    if (wNoeol.get(file)) s += delim;
    s += text + (eol ? delim : '');
    wNoeol.set(file, !eol);
    await out.write(toB(s));
  };

  let count = 0;
  let remember = '';
  let lastRe: RegExp | undefined;
  let restart: number | undefined;
  let quit = false;
  let exitCode = 0;
  const getRe = (r: RegExp | null | undefined): RegExp => {
    if (r) {
      lastRe = r;
      return r;
    }
    if (!lastRe) t.fail('no previous regex');
    return lastRe as RegExp;
  };
  const matches = (re: RegExp, s: string): boolean => execAt(re, s, 0) !== null;

  /** One cycle: returns the line to hand over as the next input (N), if any. */
  const cycle = async (input: string, eolIn: boolean, hasNext: () => boolean, takeNext: () => { text: string; eol: boolean } | undefined, pushNext: (l: { text: string; eol: boolean }) => void): Promise<void> => {
    let line: string | null = input;
    const eol = eolIn;
    count++;
    let pc = restart ?? 0;
    restart = undefined;
    let tea = false;
    const appends: Array<{ file?: string; text?: string }> = [];
    while (pc < cmds.length) {
      const cmd = cmds[pc];
      const c = cmd.c;
      if (cmd.addr[0]) {
        let miss = false;
        const [a0, a1] = cmd.addr;
        if (cmd.hit) {
          if (!a1 || a1.re !== undefined) {
            if (!a1) cmd.hit = 0;
            else if (line !== null && matches(getRe(a1.re), line)) miss = true;
          } else if (a1.line !== undefined && a1.line < count) cmd.hit = 0;
          else if (a1.plus !== undefined && count === cmd.hit + a1.plus + 1) cmd.hit = 0;
        } else {
          if (a0.re !== undefined) {
            if (line !== null && matches(getRe(a0.re), line)) cmd.hit = count;
          } else if (a0.line === count || (a0.last && !hasNext())) cmd.hit = count;
          if (!a1) miss = true;
        }
        const skip = cmd.not ? !!cmd.hit : !cmd.hit;
        if (miss || (a1?.line !== undefined && a1.line === count)) cmd.hit = 0;
        if (skip) {
          if (c === '{') {
            let depth = 1;
            while (depth && ++pc < cmds.length) {
              if (cmds[pc].c === '{') depth++;
              if (cmds[pc].c === '}') depth--;
            }
          }
          pc++;
          continue;
        }
      }
      if (line === null) {
        pc++;
        continue;
      }
      switch (c) {
        case 'a':
          appends.push({ text: cmd.text ?? '' });
          break;
        case 'r':
          appends.push({ file: cmd.text });
          break;
        case 'b': case 't': case 'T': {
          const was = tea;
          if (c !== 'b') tea = false;
          if (c === 'b' || was !== (c === 'T')) {
            if (!cmd.label) {
              pc = cmds.length;
              continue;
            }
            const target = cmds.findIndex((x) => x.c === ':' && x.label === cmd.label);
            if (target < 0) t.fail(`no :${cmd.label}`);
            pc = target;
          }
          break;
        }
        case 'c':
          if (!cmd.hit) await emit(cmd.text ?? '', true);
          line = null;
          pc++;
          continue;
        case 'd':
          line = null;
          pc++;
          continue;
        case 'D': {
          const k = line.indexOf(delim);
          if (k < 0) {
            line = null;
            pc++;
            continue;
          }
          line = line.slice(k + 1);
          if (!line.length) {
            line = null;
            pc++;
            continue;
          }
          pc = 0;
          continue;
        }
        case 'g':
          line = remember;
          break;
        case 'G':
          line = line + delim + remember;
          break;
        case 'h':
          remember = line;
          break;
        case 'H':
          remember = remember + delim + line;
          break;
        case 'i':
          await emit(cmd.text ?? '', true);
          break;
        case 'l': {
          const width = 76;
          let buf = '';
          for (const ch of line) {
            if (buf.length >= width) {
              await emit(`${buf}\\`, true);
              buf = '';
            }
            const k = '\\\x07\b\f\r\t\v\n'.indexOf(ch);
            if (k >= 0) buf += `\\${'\\abfrtvn'[k]}`;
            else if (ch >= ' ' && ch.charCodeAt(0) < 127) buf += ch;
            else buf += `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`;
          }
          await emit(`${buf}$`, true);
          break;
        }
        case 'n':
          restart = pc + 1;
          pc = cmds.length;
          continue;
        case 'N':
          // Joins the next line; it is then processed as the next cycle's input (the counter advances).
          // At the last line the pattern space is printed as GNU does (toybox's code, not its help text).
          if (hasNext()) {
            const next = takeNext() as { text: string; eol: boolean };
            restart = pc + 1;
            pushNext({ text: line + delim + next.text, eol: next.eol });
            line = null;
          }
          pc = cmds.length;
          continue;
        case 'p':
          await emit(line, eol);
          break;
        case 'P': {
          const k = line.indexOf(delim);
          await emit(k >= 0 ? line.slice(0, k) : line, k >= 0 ? true : eol);
          break;
        }
        case 'q': case 'Q':
          quit = true;
          if (!exitCode && cmd.code !== undefined) exitCode = cmd.code;
          if (c === 'Q') line = null;
          pc = cmds.length;
          continue;
        case 's': {
          const re = getRe(cmd.re ? cmd.re.re : null);
          let pos = 0;
          let out = '';
          let any = false;
          let changed = false;
          let zmatch = true;
          let nthCount = 0;
          for (;;) {
            const m = execAt(re, line, pos);
            if (!m) break;
            any = true;
            const so = m.index;
            const eo = so + m[0].length;
            // a zero-length match right after a match does not count: step over one char
            if (so === eo && !zmatch) {
              if (pos >= line.length) break;
              out += line[pos++];
              zmatch = true;
              continue;
            }
            zmatch = false;
            if (cmd.nth && cmd.nth !== ++nthCount) {
              out += line.slice(pos, eo);
              pos = eo;
              continue;
            }
            out += line.slice(pos, so);
            const repl = cmd.repl ?? '';
            for (let k = 0; k < repl.length; k++) {
              const ch = repl[k];
              if (ch === '\\' && k + 1 < repl.length) {
                const d = repl[++k];
                if (d >= '0' && d <= '9') {
                  const g = Number(d);
                  if (g > m.length - 1) t.fail(`no s//\\${g}/`);
                  out += m[g] ?? '';
                } else out += UNESC[d] && d !== '\\' ? UNESC[d] : d;
              } else if (ch === '&') out += m[0];
              else out += ch;
            }
            changed = true;
            pos = eo;
            if (!cmd.g) break;
          }
          if (changed) line = out + line.slice(pos);
          if (any) {
            if (cmd.p) await emit(line, eol);
            tea = true;
            if (cmd.wfile) await emitW(cmd.wfile, line, eol);
          }
          break;
        }
        case 'w':
          await emitW(cmd.wfile as string, line, eol);
          break;
        case 'x': {
          const swap = remember;
          remember = line;
          line = swap;
          break;
        }
        case 'y': {
          const from = cmd.from ?? '', to = cmd.to ?? '';
          let r = '';
          for (const ch of line) {
            const k = from.indexOf(ch);
            r += k >= 0 ? to[k] : ch;
          }
          line = r;
          break;
        }
        case '=':
          await emit(String(count), true);
          break;
        default:
          break;
      }
      pc++;
    }
    if (line !== null && !o.has('n')) await emit(line, eol);
    for (const a of appends) {
      if (a.file !== undefined) {
        try {
          const data = await readAllInput(await t.open(Buffer.from(a.file, 'latin1').toString('utf8')));
          if (noeol) await sink(delim);
          noeol = false;
          await sink(fromB(data));
        } catch {
          /* r of a missing file adds nothing */
        }
      } else await emit(a.text ?? '', true);
    }
  };

  /** Feeds every line of `inputs` through the script, with one line of lookahead for $. */
  const run = async (inputs: Array<{ input: Input; name: string }>, separate: boolean): Promise<void> => {
    const queue: Array<{ text: string; eol: boolean }> = [];
    let src = 0;
    let rest: string[] = [];
    let done = false;
    const fill = async (): Promise<void> => {
      while (!queue.length && !done) {
        if (src >= inputs.length) {
          done = true;
          return;
        }
        const c = await inputs[src].input.read();
        if (c === null) {
          if (rest.length) queue.push({ text: rest.join(''), eol: false });
          rest = [];
          src++;
          if (separate && src >= inputs.length) done = true;
          continue;
        }
        const chunk = fromB(c);
        let start = 0;
        for (;;) {
          const k = chunk.indexOf(delim, start);
          if (k < 0) break;
          rest.push(chunk.slice(start, k));
          queue.push({ text: rest.join(''), eol: true });
          rest = [];
          start = k + 1;
        }
        if (start < chunk.length) rest.push(chunk.slice(start));
      }
    };
    const hasNext = (): boolean => queue.length > 0;
    for (;;) {
      await fill();
      const cur = queue.shift();
      if (!cur) break;
      await fill();
      await cycle(cur.text, cur.eol, hasNext, () => queue.shift(), (l) => queue.unshift(l));
      if (quit) break;
    }
  };

  const list = files.length ? files : ['-'];
  try {
    if (o.has('i')) {
      const suffix = o.str('i');
      for (const f of list) {
        if (f === '-') {
          await t.err('-i on stdin');
          continue;
        }
        let input: Input;
        try {
          input = await t.open(f);
        } catch (e) {
          await t.perr(f, e);
          continue;
        }
        const info = await t.stat(f, true);
        const dir = f.includes('/') ? f.slice(0, f.lastIndexOf('/') + 1) : '';
        const tmpName = `${dir}${f.slice(dir.length)}.vp-tmp-sed${process.pid}${Math.random().toString(36).slice(2, 8)}`;
        let tmp: Output;
        try {
          await t.resolve(f, 'write');
          tmp = await t.create(tmpName, { exclusive: true, mode: info.mode & 0o7777 });
        } catch (e) {
          await input.close();
          await t.perr(f, e);
          continue;
        }
        let chunks: string[] = [];
        let size = 0;
        sink = async (s) => {
          chunks.push(s);
          size += s.length;
          if (size > 1 << 20) {
            await tmp.write(toB(chunks.join('')));
            chunks = [];
            size = 0;
          }
        };
        noeol = false;
        count = 0;
        for (const c of cmds) c.hit = 0;
        try {
          await run([{ input, name: f }], true);
          await tmp.write(toB(chunks.join('')));
          await tmp.close();
          const o2 = { cwd: t.ctx.cwd, uid: t.ctx.uid };
          await t.ctx.fs.chmod(tmpName, info.mode & 0o7777, o2).catch(() => undefined);
          if (suffix) await t.ctx.fs.rename(f, `${f}${suffix}`, o2);
          await t.ctx.fs.rename(tmpName, f, o2);
        } catch (e) {
          await tmp.close().catch(() => undefined);
          await t.ctx.fs.unlink(tmpName, { cwd: t.ctx.cwd, uid: t.ctx.uid }).catch(() => undefined);
          if (e instanceof ToyExit) throw e;
          if (errCode(e)) await t.perr(f, e);
          else throw e;
        } finally {
          await input.close();
        }
        if (quit) break;
      }
    } else {
      const inputs: Array<{ input: Input; name: string }> = [];
      for (const f of list) {
        try {
          inputs.push({ input: await t.open(f), name: f });
        } catch (e) {
          await t.perr(f, e);
        }
      }
      try {
        if (o.has('s')) {
          for (const inp of inputs) {
            count = 0;
            for (const c of cmds) c.hit = 0;
            await run([inp], true);
            if (quit) break;
          }
        } else await run(inputs, false);
      } finally {
        for (const i of inputs) await i.input.close();
      }
    }
  } finally {
    for (const w of wfiles.values()) await w.close().catch(() => undefined);
  }
  if (exitCode) return exitCode;
});

export const SED_COMMANDS: CommandTable = { sed };
