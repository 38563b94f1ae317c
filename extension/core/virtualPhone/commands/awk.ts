import type { CommandTable, Io } from './types';
import { fromB, lines, toy, toB, type Input, type Toy } from './toybox/common';
import { formatFloat, formatInt, formatStr, parseConv } from './toybox/cfmt';
import { compile, RegexError } from './toybox/regex';
import { bufferReader } from '../os/io';

/**
 * /system/bin/awk: Android ships Brian Kernighan's "one true awk" since Android 9 (AOSP
 * system/core/shell_and_utilities/README.md: "The awk added in Android P is Brian Kernighan's one true awk").
 * This is the language as The AWK Programming Language and POSIX describe it, over the phone's files:
 * patterns (BEGIN, END, expressions, regexes, ranges), fields ($0…$NF, FS/OFS/NF/NR/FNR/RS/ORS/FILENAME/SUBSEP/
 * RSTART/RLENGTH/ENVIRON/ARGV/ARGC), associative arrays, user functions, print/printf with > >> | redirections,
 * getline (plain, var, < file, cmd |), and the built-in functions (length substr index split sub gsub match
 * sprintf tolower toupper int sqrt exp log sin cos atan2 rand srand system close fflush).
 * Errors are one-true-awk's: `awk: MESSAGE` with the source line, exit status 2.
 * Strings are byte strings (one char per byte) as in the C locale.
 */

class AwkError extends Error {}
class NextSignal {}
class ExitSignal { constructor(readonly code: number) {} }
class ReturnSignal { constructor(readonly value: Value) {} }
class LoopSignal { constructor(readonly kind: 'break' | 'continue') {} }

/** A string from input (a field, getline, split, ARGV, ENVIRON, -v): compares as a number when it looks like one. */
class StrNum { constructor(readonly s: string) {} }
type Value = number | string | StrNum;

const NUMERIC = /^[ \t\n\r\f\v]*[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|0[xX][0-9a-fA-F]+|inf(?:inity)?|nan)[ \t\n\r\f\v]*$/i;

function strtod(s: string): number {
  const m = /^[ \t\n\r\f\v]*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/* ------------------------------------------------------------------ lexer */

type Tok = { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'ere'; v: string } | { t: 'name'; v: string } | { t: 'func'; v: string }
  | { t: 'builtin'; v: string } | { t: 'kw'; v: string } | { t: 'op'; v: string } | { t: 'nl' } | { t: 'eof' };

const KEYWORDS = new Set(['BEGIN', 'END', 'function', 'func', 'if', 'else', 'while', 'for', 'do', 'break', 'continue', 'next', 'nextfile', 'exit', 'return', 'delete', 'in', 'getline', 'print', 'printf']);
const BUILTINS = new Set(['length', 'substr', 'index', 'split', 'sub', 'gsub', 'match', 'sprintf', 'tolower', 'toupper', 'int', 'sqrt', 'exp', 'log', 'sin', 'cos', 'atan2', 'rand', 'srand', 'system', 'close', 'fflush']);
const OPS = ['+=', '-=', '*=', '/=', '%=', '^=', '**=', '==', '<=', '>=', '!=', '++', '--', '&&', '||', '>>', '!~', '**', '{', '}', '(', ')', '[', ']', ';', ',', '+', '-', '*', '/', '%', '^', '!', '>', '<', '|', '?', ':', '~', '$', '='];

function unescape(s: string, inRegex: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\' || i + 1 >= s.length) { out += c; continue; }
    const n = s[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', b: '\b', a: '\x07', '"': '"', '/': '/' };
    if (simple[n] !== undefined) { out += simple[n]; continue; }
    if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(s.slice(i)) as RegExpExecArray;
      out += String.fromCharCode(parseInt(m[0], 8) & 0xff);
      i += m[0].length - 1;
      continue;
    }
    if (n === '\\') { out += inRegex ? '\\\\' : '\\'; continue; }
    out += inRegex ? `\\${n}` : `\\${n}`;
  }
  return out;
}

class Lexer {
  i = 0;
  line = 1;
  last: Tok = { t: 'nl' };
  constructor(readonly src: string) {}

  /** Whether a `/` here starts a regex (not a division): after an operator or at the start. */
  private regexAllowed(): boolean {
    const l = this.last;
    if (l.t === 'num' || l.t === 'str' || l.t === 'ere' || l.t === 'name' || l.t === 'builtin') return false;
    if (l.t === 'op' && (l.v === ')' || l.v === ']' || l.v === '$' || l.v === '++' || l.v === '--')) return false;
    return true;
  }

  next(): Tok {
    const tok = this.scan();
    this.last = tok;
    return tok;
  }

  private scan(): Tok {
    const s = this.src;
    for (;;) {
      while (this.i < s.length && (s[this.i] === ' ' || s[this.i] === '\t' || s[this.i] === '\r')) this.i++;
      if (s[this.i] === '\\' && s[this.i + 1] === '\n') { this.i += 2; this.line++; continue; }
      if (s[this.i] === '#') { while (this.i < s.length && s[this.i] !== '\n') this.i++; continue; }
      break;
    }
    if (this.i >= s.length) return { t: 'eof' };
    const c = s[this.i];
    if (c === '\n') { this.i++; this.line++; return { t: 'nl' }; }
    if (/[0-9.]/.test(c) && /^(?:\d|\.\d)/.test(s.slice(this.i, this.i + 2))) {
      const m = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/.exec(s.slice(this.i)) as RegExpExecArray;
      this.i += m[0].length;
      return { t: 'num', v: Number(m[0]) };
    }
    if (c === '"') {
      let j = this.i + 1;
      let raw = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\n') throw new AwkError(`non-terminated string ${raw.slice(0, 10)}...`);
        if (s[j] === '\\' && j + 1 < s.length) { raw += s[j] + s[j + 1]; j += 2; continue; }
        raw += s[j++];
      }
      if (j >= s.length) throw new AwkError(`non-terminated string ${raw.slice(0, 10)}...`);
      this.i = j + 1;
      return { t: 'str', v: unescape(raw, false) };
    }
    if (c === '/' && this.regexAllowed()) {
      let j = this.i + 1;
      let raw = '';
      let inBracket = false;
      while (j < s.length && (s[j] !== '/' || inBracket)) {
        if (s[j] === '\n') throw new AwkError(`newline in regular expression ${raw.slice(0, 10)}...`);
        if (s[j] === '\\' && j + 1 < s.length) { raw += s[j] + s[j + 1]; j += 2; continue; }
        if (s[j] === '[' && !inBracket) inBracket = true;
        else if (s[j] === ']' && inBracket && raw[raw.length - 1] !== '[' && !raw.endsWith('[^')) inBracket = false;
        raw += s[j++];
      }
      if (j >= s.length) throw new AwkError(`non-terminated regular expression ${raw.slice(0, 10)}...`);
      this.i = j + 1;
      return { t: 'ere', v: unescape(raw, true) };
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.i)) as RegExpExecArray;
      this.i += m[0].length;
      const w = m[0];
      if (KEYWORDS.has(w)) return { t: 'kw', v: w === 'func' ? 'function' : w };
      if (BUILTINS.has(w)) return { t: 'builtin', v: w };
      if (s[this.i] === '(') return { t: 'func', v: w };
      return { t: 'name', v: w };
    }
    for (const op of OPS) {
      if (s.startsWith(op, this.i)) {
        this.i += op.length;
        return { t: 'op', v: op === '**' ? '^' : op === '**=' ? '^=' : op };
      }
    }
    throw new AwkError(`syntax error at source line ${this.line}`);
  }
}

/* ------------------------------------------------------------------ syntax tree */

type Expr =
  | { k: 'num'; v: number } | { k: 'str'; v: string } | { k: 'ere'; v: string }
  | { k: 'var'; name: string } | { k: 'field'; e: Expr } | { k: 'index'; name: string; subs: Expr[] }
  | { k: 'assign'; op: string; target: Expr; e: Expr }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr }
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'in'; subs: Expr[]; name: string }
  | { k: 'match'; neg: boolean; a: Expr; re: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'not' | 'neg' | 'plus'; e: Expr }
  | { k: 'incdec'; op: '++' | '--'; prefix: boolean; target: Expr }
  | { k: 'call'; name: string; args: Expr[] }
  | { k: 'builtin'; name: string; args: Expr[] }
  | { k: 'getline'; target?: Expr; file?: Expr; cmd?: Expr }
  | { k: 'group'; e: Expr };

type Stmt =
  | { k: 'expr'; e: Expr }
  | { k: 'print' | 'printf'; args: Expr[]; redir?: { op: string; e: Expr } }
  | { k: 'if'; c: Expr; a: Stmt; b?: Stmt }
  | { k: 'while'; c: Expr; body: Stmt }
  | { k: 'do'; c: Expr; body: Stmt }
  | { k: 'for'; init?: Stmt; c?: Expr; step?: Stmt; body: Stmt }
  | { k: 'forin'; v: Expr; name: string; body: Stmt }
  | { k: 'block'; body: Stmt[] }
  | { k: 'next' | 'nextfile' | 'break' | 'continue' }
  | { k: 'exit' | 'return'; e?: Expr }
  | { k: 'delete'; name: string; subs?: Expr[] };

interface Item { pattern?: Expr; pattern2?: Expr; begin?: boolean; end?: boolean; action?: Stmt; inRange?: boolean }
interface Func { params: string[]; body: Stmt }

class Parser {
  private tok: Tok;
  private lx: Lexer;
  items: Item[] = [];
  funcs = new Map<string, Func>();
  /** Inside `print … > file` arguments a bare `>` is the redirection, not a comparison. */
  private noGt = 0;

  /** Inside parentheses `>` compares again, even in a print statement's arguments. */
  private inParens<T>(fn: () => T): T {
    const saved = this.noGt;
    this.noGt = 0;
    try {
      return fn();
    } finally {
      this.noGt = saved;
    }
  }

  constructor(src: string) {
    this.lx = new Lexer(src);
    this.tok = this.lx.next();
  }

  private err(): AwkError {
    return new AwkError(`syntax error at source line ${this.lx.line}`);
  }
  private is(t: Tok['t'], v?: string): boolean {
    return this.tok.t === t && (v === undefined || (this.tok as { v?: unknown }).v === v);
  }
  private isOp(v: string): boolean { return this.is('op', v); }
  private advance(): Tok { const t = this.tok; this.tok = this.lx.next(); return t; }
  private expectOp(v: string): void { if (!this.isOp(v)) throw this.err(); this.advance(); }
  private optNl(): void { while (this.is('nl')) this.advance(); }
  private terminators(): void { while (this.is('nl') || this.isOp(';')) this.advance(); }

  program(): void {
    this.terminators();
    while (!this.is('eof')) {
      if (this.is('kw', 'function')) this.func();
      else this.item();
      this.terminators();
    }
  }

  private func(): void {
    this.advance();
    const name = this.advance();
    if (name.t !== 'name' && name.t !== 'func') throw this.err();
    this.expectOp('(');
    const params: string[] = [];
    while (!this.isOp(')')) {
      const p = this.advance();
      if (p.t !== 'name') throw this.err();
      params.push(p.v);
      if (this.isOp(',')) { this.advance(); this.optNl(); }
    }
    this.advance();
    this.optNl();
    this.funcs.set(name.v, { params, body: this.block() });
  }

  private item(): void {
    const it: Item = {};
    if (this.is('kw', 'BEGIN')) { this.advance(); it.begin = true; }
    else if (this.is('kw', 'END')) { this.advance(); it.end = true; }
    else if (!this.isOp('{')) {
      it.pattern = this.expr();
      if (this.isOp(',')) { this.advance(); this.optNl(); it.pattern2 = this.expr(); }
    }
    if (this.isOp('{')) it.action = this.block();
    else if (it.begin || it.end) throw this.err();
    this.items.push(it);
  }

  private block(): Stmt {
    this.expectOp('{');
    const body: Stmt[] = [];
    this.terminators();
    while (!this.isOp('}')) {
      if (this.is('eof')) throw this.err();
      body.push(this.stmt());
      this.terminators();
    }
    this.advance();
    return { k: 'block', body };
  }

  private simpleEnd(): void {
    if (this.isOp(';') || this.is('nl')) { this.advance(); return; }
    if (this.isOp('}') || this.is('eof')) return;
    throw this.err();
  }

  private stmt(): Stmt {
    const t = this.tok;
    if (t.t === 'op' && t.v === '{') return this.block();
    if (t.t === 'op' && t.v === ';') { this.advance(); return { k: 'block', body: [] }; }
    if (t.t === 'kw') {
      switch (t.v) {
        case 'if': {
          this.advance(); this.expectOp('('); const c = this.expr(); this.expectOp(')'); this.optNl();
          const a = this.stmt();
          // `else` may follow after newlines or a semicolon.
          const save = { tok: this.tok, i: this.lx.i, line: this.lx.line, last: this.lx.last };
          this.terminators();
          if (this.is('kw', 'else')) { this.advance(); this.optNl(); return { k: 'if', c, a, b: this.stmt() }; }
          this.tok = save.tok; this.lx.i = save.i; this.lx.line = save.line; this.lx.last = save.last;
          return { k: 'if', c, a };
        }
        case 'while': {
          this.advance(); this.expectOp('('); const c = this.expr(); this.expectOp(')');
          if (this.isOp(';')) { this.advance(); return { k: 'while', c, body: { k: 'block', body: [] } }; }
          this.optNl();
          return { k: 'while', c, body: this.stmt() };
        }
        case 'do': {
          this.advance(); this.optNl(); const body = this.stmt(); this.terminators();
          if (!this.is('kw', 'while')) throw this.err();
          this.advance(); this.expectOp('('); const c = this.expr(); this.expectOp(')'); this.simpleEnd();
          return { k: 'do', c, body };
        }
        case 'for': {
          this.advance(); this.expectOp('(');
          if (this.is('name')) {
            // for (k in arr)
            const save = { tok: this.tok, i: this.lx.i, line: this.lx.line, last: this.lx.last };
            const name = (this.advance() as { v: string }).v;
            if (this.is('kw', 'in')) {
              this.advance();
              const arr = this.advance();
              if (arr.t !== 'name') throw this.err();
              if (this.isOp(')')) {
                this.advance(); this.optNl();
                return { k: 'forin', v: { k: 'var', name }, name: arr.v, body: this.stmt() };
              }
            }
            this.tok = save.tok; this.lx.i = save.i; this.lx.line = save.line; this.lx.last = save.last;
          }
          const init = this.isOp(';') ? undefined : { k: 'expr' as const, e: this.expr() };
          this.expectOp(';'); this.optNl();
          const c = this.isOp(';') ? undefined : this.expr();
          this.expectOp(';'); this.optNl();
          const step = this.isOp(')') ? undefined : { k: 'expr' as const, e: this.expr() };
          this.expectOp(')');
          if (this.isOp(';')) { this.advance(); return { k: 'for', init, c, step, body: { k: 'block', body: [] } }; }
          this.optNl();
          return { k: 'for', init, c, step, body: this.stmt() };
        }
        case 'next': case 'nextfile': case 'break': case 'continue':
          this.advance(); this.simpleEnd(); return { k: t.v };
        case 'exit': case 'return': {
          this.advance();
          const e = this.isOp(';') || this.isOp('}') || this.is('nl') || this.is('eof') ? undefined : this.expr();
          this.simpleEnd();
          return { k: t.v, e };
        }
        case 'delete': {
          this.advance();
          const n = this.advance();
          if (n.t !== 'name') throw this.err();
          let subs: Expr[] | undefined;
          if (this.isOp('[')) { this.advance(); subs = this.exprList(']'); }
          this.simpleEnd();
          return { k: 'delete', name: n.v, subs };
        }
        case 'print': case 'printf': {
          this.advance();
          let args: Expr[] = [];
          this.noGt++;
          try {
            if (this.isOp('(')) {
              // print (a, b) > file — or print (a)(b) concatenation; try the list form first.
              const save = { tok: this.tok, i: this.lx.i, line: this.lx.line, last: this.lx.last };
              this.advance();
              const list = this.inParens(() => this.exprList(')'));
              if (this.isOp(';') || this.isOp('}') || this.is('nl') || this.is('eof') || this.isOp('>') || this.isOp('>>') || this.isOp('|')) args = list;
              else {
                this.tok = save.tok; this.lx.i = save.i; this.lx.line = save.line; this.lx.last = save.last;
                args = this.exprListUntilEnd();
              }
            } else if (!(this.isOp(';') || this.isOp('}') || this.is('nl') || this.is('eof') || this.isOp('>') || this.isOp('>>') || this.isOp('|'))) {
              args = this.exprListUntilEnd();
            }
          } finally {
            this.noGt--;
          }
          let redir: { op: string; e: Expr } | undefined;
          if (this.isOp('>') || this.isOp('>>') || this.isOp('|')) {
            const op = (this.advance() as { v: string }).v;
            this.noGt++;
            try { redir = { op, e: this.concat() }; } finally { this.noGt--; }
          }
          this.simpleEnd();
          if (t.v === 'printf' && !args.length) throw this.err();
          return { k: t.v, args, redir };
        }
        default:
      }
    }
    const e = this.expr();
    this.simpleEnd();
    return { k: 'expr', e };
  }

  private exprListUntilEnd(): Expr[] {
    const out = [this.expr()];
    while (this.isOp(',')) { this.advance(); this.optNl(); out.push(this.expr()); }
    return out;
  }

  private exprList(close: string): Expr[] {
    const out: Expr[] = [];
    this.optNl();
    while (!this.isOp(close)) {
      out.push(this.expr());
      this.optNl();
      if (this.isOp(',')) { this.advance(); this.optNl(); continue; }
      if (!this.isOp(close)) throw this.err();
    }
    this.advance();
    return out;
  }

  expr(): Expr {
    return this.ternary();
  }

  private isLvalue(e: Expr): boolean {
    return e.k === 'var' || e.k === 'field' || e.k === 'index';
  }

  private ternary(): Expr {
    const c = this.orExpr();
    if (this.isOp('?')) {
      this.advance(); this.optNl();
      const a = this.ternary(); this.optNl();
      this.expectOp(':'); this.optNl();
      return { k: 'cond', c, a, b: this.ternary() };
    }
    const assignOps = ['=', '+=', '-=', '*=', '/=', '%=', '^='];
    if (this.tok.t === 'op' && assignOps.includes(this.tok.v) && this.isLvalue(c)) {
      const op = (this.advance() as { v: string }).v;
      this.optNl();
      return { k: 'assign', op, target: c, e: this.ternary() };
    }
    return c;
  }

  private orExpr(): Expr {
    let a = this.andExpr();
    while (this.isOp('||')) { this.advance(); this.optNl(); a = { k: 'or', a, b: this.andExpr() }; }
    return a;
  }

  private andExpr(): Expr {
    let a = this.inExpr();
    while (this.isOp('&&')) { this.advance(); this.optNl(); a = { k: 'and', a, b: this.inExpr() }; }
    return a;
  }

  private inExpr(): Expr {
    let a = this.matchExpr();
    while (this.is('kw', 'in')) {
      this.advance();
      const n = this.advance();
      if (n.t !== 'name') throw this.err();
      a = { k: 'in', subs: a.k === 'group' && (a as { list?: Expr[] }).list ? (a as unknown as { list: Expr[] }).list : [a], name: n.v };
    }
    return a;
  }

  private matchExpr(): Expr {
    let a = this.compare();
    while (this.isOp('~') || this.isOp('!~')) {
      const neg = (this.advance() as { v: string }).v === '!~';
      a = { k: 'match', neg, a, re: this.compare() };
    }
    return a;
  }

  private compare(): Expr {
    const a = this.concat();
    const t = this.tok;
    if (t.t === 'op' && ['<', '<=', '==', '!=', '>=', '>'].includes(t.v) && !(t.v === '>' && this.noGt)) {
      this.advance();
      return { k: 'bin', op: t.v, a, b: this.concat() };
    }
    // `"cmd" | getline [var]`
    if (t.t === 'op' && t.v === '|' && this.peekGetline()) {
      this.advance(); this.advance();
      const target = this.is('name') || this.isOp('$') ? this.primaryLvalue() : undefined;
      return { k: 'getline', cmd: a, target };
    }
    return a;
  }

  private peekGetline(): boolean {
    const save = { i: this.lx.i, line: this.lx.line, last: this.lx.last };
    const n = this.lx.next();
    this.lx.i = save.i; this.lx.line = save.line; this.lx.last = save.last;
    return n.t === 'kw' && n.v === 'getline';
  }

  private startsOperand(): boolean {
    const t = this.tok;
    if (t.t === 'num' || t.t === 'str' || t.t === 'ere' || t.t === 'name' || t.t === 'func' || t.t === 'builtin') return true;
    if (t.t === 'kw' && t.v === 'getline') return false;
    if (t.t === 'op' && ['$', '!', '(', '-', '+', '++', '--'].includes(t.v)) return true;
    return false;
  }

  private concat(): Expr {
    let a = this.additive();
    while (this.startsOperand() && !(this.is('kw', 'in'))) {
      a = { k: 'bin', op: 'cat', a, b: this.additive() };
    }
    return a;
  }

  private additive(): Expr {
    let a = this.mult();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.advance() as { v: string }).v;
      a = { k: 'bin', op, a, b: this.mult() };
    }
    return a;
  }

  private mult(): Expr {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = (this.advance() as { v: string }).v;
      a = { k: 'bin', op, a, b: this.unary() };
    }
    return a;
  }

  private unary(): Expr {
    if (this.isOp('!')) { this.advance(); return { k: 'not', e: this.unary() }; }
    if (this.isOp('-')) { this.advance(); return { k: 'neg', e: this.unary() }; }
    if (this.isOp('+')) { this.advance(); return { k: 'plus', e: this.unary() }; }
    return this.power();
  }

  private power(): Expr {
    const a = this.postfix();
    if (this.isOp('^')) {
      this.advance();
      // right associative, binds tighter than unary minus on its left: -2^2 = -4; 2^-1 allowed
      const b = this.isOp('-') ? (this.advance(), { k: 'neg' as const, e: this.power() }) : this.power();
      return { k: 'bin', op: '^', a, b };
    }
    return a;
  }

  private postfix(): Expr {
    if (this.isOp('++') || this.isOp('--')) {
      const op = (this.advance() as { v: '++' | '--' }).v;
      const target = this.primaryLvalue();
      return { k: 'incdec', op, prefix: true, target };
    }
    const e = this.primary();
    if (this.isLvalue(e) && (this.isOp('++') || this.isOp('--'))) {
      const op = (this.advance() as { v: '++' | '--' }).v;
      return { k: 'incdec', op, prefix: false, target: e };
    }
    return e;
  }

  private primaryLvalue(): Expr {
    const e = this.isOp('$') ? (this.advance(), { k: 'field' as const, e: this.fieldOperand() }) : this.primary();
    if (!this.isLvalue(e)) throw this.err();
    return e;
  }

  private fieldOperand(): Expr {
    if (this.isOp('++') || this.isOp('--')) return this.postfix();
    if (this.isOp('-')) { this.advance(); return { k: 'neg', e: this.fieldOperand() }; }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.advance();
    switch (t.t) {
      case 'num': return { k: 'num', v: t.v };
      case 'str': return { k: 'str', v: t.v };
      case 'ere': return { k: 'ere', v: t.v };
      case 'name':
        if (this.isOp('[')) { this.advance(); return { k: 'index', name: t.v, subs: this.exprList(']') }; }
        return { k: 'var', name: t.v };
      case 'func': {
        this.expectOp('(');
        return { k: 'call', name: t.v, args: this.exprList(')') };
      }
      case 'builtin': {
        if (this.isOp('(')) { this.advance(); return { k: 'builtin', name: t.v, args: this.exprList(')') }; }
        if (t.v === 'length') return { k: 'builtin', name: 'length', args: [] };
        throw this.err();
      }
      case 'kw':
        if (t.v === 'getline') {
          const target = this.is('name') || this.isOp('$') ? this.primaryLvalue() : undefined;
          if (this.isOp('<')) { this.advance(); return { k: 'getline', target, file: this.postfix() }; }
          return { k: 'getline', target };
        }
        throw this.err();
      case 'op':
        if (t.v === '$') return { k: 'field', e: this.fieldOperand() };
        if (t.v === '(') {
          const list = this.inParens(() => this.exprList(')'));
          if (list.length === 1) return { k: 'group', e: list[0] };
          // (a, b) in arr
          if (this.is('kw', 'in')) return Object.assign({ k: 'group', e: list[0] } as Expr, { list });
          throw this.err();
        }
        if (t.v === '-') return { k: 'neg', e: this.unary() };
        if (t.v === '!') return { k: 'not', e: this.unary() };
        throw this.err();
      default:
        throw this.err();
    }
  }
}

/* ------------------------------------------------------------------ interpreter */

type Arr = Map<string, Value>;

interface OutStream { write(s: string): Promise<void>; close(): Promise<number> }

class Interp {
  globals = new Map<string, Value>();
  arrays = new Map<string, Arr>();
  frames: Array<Map<string, Value | Arr>> = [];
  fields: string[] = [''];
  nf = 0;
  record = '';
  fieldsValid = true;
  outputs = new Map<string, OutStream>();
  readers = new Map<string, { it: AsyncGenerator<string>; close(): Promise<void> }>();
  private regexCache = new Map<string, RegExp>();
  private seed = 0;
  private prevSeed = 0;
  mainInput: { next(): Promise<string | undefined> } | undefined;

  constructor(readonly t: Toy, readonly parser: Parser) {}

  /* values */
  num(v: Value): number {
    if (typeof v === 'number') return v;
    return strtod(typeof v === 'string' ? v : v.s);
  }
  str(v: Value, fmtVar = 'CONVFMT'): string {
    if (typeof v === 'string') return v;
    if (v instanceof StrNum) return v.s;
    if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return this.sprintf(this.str(this.getVar(fmtVar)), [v]);
  }
  bool(v: Value): boolean {
    if (typeof v === 'number') return v !== 0;
    if (v instanceof StrNum) return NUMERIC.test(v.s) ? strtod(v.s) !== 0 : v.s !== '';
    return v !== '';
  }
  private isNumeric(v: Value): boolean {
    return typeof v === 'number' || (v instanceof StrNum && NUMERIC.test(v.s));
  }

  regex(src: string): RegExp {
    let re = this.regexCache.get(src);
    if (!re) {
      try {
        re = compile(src, true).re;
      } catch (e) {
        throw new AwkError(`syntax error in regular expression ${src} at ${e instanceof RegexError ? e.message : String(e)}`);
      }
      this.regexCache.set(src, re);
    }
    re.lastIndex = 0;
    return re;
  }
  private reOf(e: Expr): Promise<RegExp> | RegExp {
    if (e.k === 'ere') return this.regex(e.v);
    return this.eval(e).then((v) => this.regex(this.str(v)));
  }

  /* variables */
  private frame(): Map<string, Value | Arr> | undefined {
    return this.frames[this.frames.length - 1];
  }
  getVar(name: string): Value {
    const f = this.frame();
    if (f?.has(name)) {
      const v = f.get(name);
      if (v instanceof Map) throw new AwkError(`can't use array ${name} in scalar context`);
      return v ?? '';
    }
    if (name === 'NF') { this.splitIfNeeded(); return this.nf; }
    return this.globals.get(name) ?? '';
  }
  setVar(name: string, v: Value): void {
    const f = this.frame();
    if (f?.has(name)) { f.set(name, v); return; }
    if (name === 'NF') { this.splitIfNeeded(); this.setNF(Math.trunc(this.num(v))); return; }
    this.globals.set(name, v);
  }
  array(name: string): Arr {
    const f = this.frame();
    if (f?.has(name)) {
      let a = f.get(name);
      if (!(a instanceof Map)) {
        if (a !== '' && a !== undefined) throw new AwkError(`can't use scalar ${name} as array`);
        a = new Map();
        f.set(name, a);
      }
      return a;
    }
    let a = this.arrays.get(name);
    if (!a) { a = new Map(); this.arrays.set(name, a); }
    return a;
  }

  /* records and fields */
  setRecord(s: string): void {
    this.record = s;
    this.fieldsValid = false;
  }
  splitIfNeeded(): void {
    if (this.fieldsValid) return;
    this.fieldsValid = true;
    const parts = this.splitFields(this.record, this.str(this.globals.get('FS') ?? ' '));
    this.fields = [this.record, ...parts];
    this.nf = parts.length;
  }
  splitFields(s: string, fs: string): string[] {
    if (s === '') return [];
    if (fs === ' ') return s.split(/[ \t\n]+/).filter((x, i, a) => x !== '' || (i > 0 && i < a.length - 1));
    if (fs.length === 1 && fs !== '\\') {
      if (fs === '\t' || !/[.[\]()*+?^$|{}]/.test(fs)) return s.split(fs);
    }
    const re = this.regex(fs);
    const out: string[] = [];
    let start = 0;
    re.lastIndex = 0;
    for (;;) {
      const m = re.exec(s);
      if (!m) break;
      if (m[0] === '') { re.lastIndex++; if (re.lastIndex > s.length) break; continue; }
      out.push(s.slice(start, m.index));
      start = m.index + m[0].length;
    }
    out.push(s.slice(start));
    return out;
  }
  getField(i: number): Value {
    if (i < 0) throw new AwkError(`trying to access out of range field ${i}`);
    if (i === 0) return new StrNum(this.record);
    this.splitIfNeeded();
    return i <= this.nf ? new StrNum(this.fields[i]) : '';
  }
  setField(i: number, v: string): void {
    if (i < 0) throw new AwkError(`trying to access out of range field ${i}`);
    if (i === 0) { this.setRecord(v); return; }
    this.splitIfNeeded();
    while (this.nf < i) this.fields[++this.nf] = '';
    this.fields[i] = v;
    this.rebuild();
  }
  private setNF(n: number): void {
    if (n < 0) throw new AwkError(`cannot set NF to a negative value`);
    while (this.nf < n) this.fields[++this.nf] = '';
    this.nf = n;
    this.fields.length = n + 1;
    this.rebuild();
  }
  private rebuild(): void {
    this.record = this.fields.slice(1, this.nf + 1).join(this.str(this.getVar('OFS')));
    this.fields[0] = this.record;
  }

  /* evaluation */
  async eval(e: Expr): Promise<Value> {
    switch (e.k) {
      case 'num': return e.v;
      case 'str': return e.v;
      case 'ere': return this.regex(e.v).test(this.record) ? 1 : 0;
      case 'group': return this.eval(e.e);
      case 'var': return this.getVar(e.name);
      case 'field': return this.getField(Math.trunc(this.num(await this.eval(e.e))));
      case 'index': {
        const key = await this.subscript(e.subs);
        const a = this.array(e.name);
        if (!a.has(key)) a.set(key, '');
        return a.get(key) as Value;
      }
      case 'assign': {
        let v = await this.eval(e.e);
        if (e.op !== '=') {
          const cur = this.num(await this.eval(e.target));
          const r = this.num(v);
          v = this.arith(e.op.slice(0, -1), cur, r);
        } else if (v instanceof StrNum) {
          v = new StrNum(v.s);
        }
        await this.assign(e.target, v);
        return v;
      }
      case 'cond': return this.bool(await this.eval(e.c)) ? this.eval(e.a) : this.eval(e.b);
      case 'and': return this.bool(await this.eval(e.a)) && this.bool(await this.eval(e.b)) ? 1 : 0;
      case 'or': return this.bool(await this.eval(e.a)) || this.bool(await this.eval(e.b)) ? 1 : 0;
      case 'in': return this.array(e.name).has(await this.subscript(e.subs)) ? 1 : 0;
      case 'match': {
        const s = this.str(await this.eval(e.a));
        const hit = (await this.reOf(e.re)).test(s);
        return hit !== e.neg ? 1 : 0;
      }
      case 'not': return this.bool(await this.eval(e.e)) ? 0 : 1;
      case 'neg': return -this.num(await this.eval(e.e));
      case 'plus': return this.num(await this.eval(e.e));
      case 'incdec': {
        const old = this.num(await this.eval(e.target));
        const nv = e.op === '++' ? old + 1 : old - 1;
        await this.assign(e.target, nv);
        return e.prefix ? nv : old;
      }
      case 'bin': {
        if (e.op === 'cat') return this.str(await this.eval(e.a)) + this.str(await this.eval(e.b));
        const a = await this.eval(e.a);
        const b = await this.eval(e.b);
        if (['<', '<=', '==', '!=', '>=', '>'].includes(e.op)) {
          let c: number;
          if (this.isNumeric(a) && this.isNumeric(b)) c = this.num(a) - this.num(b);
          else { const x = this.str(a); const y = this.str(b); c = x < y ? -1 : x > y ? 1 : 0; }
          switch (e.op) {
            case '<': return c < 0 ? 1 : 0;
            case '<=': return c <= 0 ? 1 : 0;
            case '==': return c === 0 ? 1 : 0;
            case '!=': return c !== 0 ? 1 : 0;
            case '>=': return c >= 0 ? 1 : 0;
            default: return c > 0 ? 1 : 0;
          }
        }
        return this.arith(e.op, this.num(a), this.num(b));
      }
      case 'call': return this.call(e.name, e.args);
      case 'builtin': return this.builtin(e.name, e.args);
      case 'getline': return this.getline(e);
      default: return '';
    }
  }

  private arith(op: string, a: number, b: number): number {
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/': if (b === 0) throw new AwkError('division by zero'); return a / b;
      case '%': if (b === 0) throw new AwkError('division by zero in %'); return a % b;
      case '^': return a ** b;
      default: throw new AwkError(`illegal operator ${op}`);
    }
  }

  private async subscript(subs: Expr[]): Promise<string> {
    const parts: string[] = [];
    for (const s of subs) parts.push(this.str(await this.eval(s)));
    return parts.join(this.str(this.getVar('SUBSEP')));
  }

  async assign(target: Expr, v: Value): Promise<void> {
    if (target.k === 'var') this.setVar(target.name, v);
    else if (target.k === 'field') this.setField(Math.trunc(this.num(await this.eval(target.e))), this.str(v));
    else if (target.k === 'index') this.array(target.name).set(await this.subscript(target.subs), v);
    else if (target.k === 'group') await this.assign(target.e, v);
  }

  private async call(name: string, args: Expr[]): Promise<Value> {
    const f = this.parser.funcs.get(name);
    if (!f) throw new AwkError(`calling undefined function ${name}`);
    if (args.length > f.params.length) throw new AwkError(`function ${name} called with ${args.length} args, accepts only ${f.params.length}`);
    const frame = new Map<string, Value | Arr>();
    for (let i = 0; i < f.params.length; i++) {
      const a = args[i];
      if (a === undefined) { frame.set(f.params[i], ''); continue; }
      // Arrays are passed by reference; scalars by value.
      if (a.k === 'var' && (this.frame()?.get(a.name) instanceof Map || (!this.frame()?.has(a.name) && this.arrays.has(a.name)))) frame.set(f.params[i], this.array(a.name));
      else frame.set(f.params[i], await this.eval(a));
    }
    if (this.frames.length > 1000) throw new AwkError('function call nesting too deep');
    this.frames.push(frame);
    try {
      await this.exec(f.body);
      return '';
    } catch (e) {
      if (e instanceof ReturnSignal) return e.value;
      throw e;
    } finally {
      this.frames.pop();
    }
  }

  private async builtin(name: string, args: Expr[]): Promise<Value> {
    const s = async (i: number) => this.str(await this.eval(args[i]));
    const n = async (i: number) => this.num(await this.eval(args[i]));
    switch (name) {
      case 'length': {
        if (!args.length) return this.record.length;
        const a = args[0];
        if (a.k === 'var' && (this.arrays.has(a.name) || this.frame()?.get(a.name) instanceof Map)) return this.array(a.name).size;
        return (await s(0)).length;
      }
      case 'substr': {
        const str = await s(0);
        // POSIX: characters from position m (1-based, rounded) for n characters, clipped to the string.
        let m = Math.round(await n(1));
        let end = args.length > 2 ? m + Math.round(await n(2)) : Infinity;
        if (m < 1) m = 1;
        if (end > str.length + 1) end = str.length + 1;
        return end <= m ? '' : str.slice(m - 1, end - 1);
      }
      case 'index': { const a = await s(0); const b = await s(1); return a.indexOf(b) + 1; }
      case 'split': {
        const str = await s(0);
        const target = args[1];
        if (target?.k !== 'var') throw new AwkError('split: second argument must be an array');
        let parts: string[];
        if (args.length > 2) {
          const sep = args[2];
          parts = sep.k === 'ere' ? this.splitFields(str, sep.v.length === 1 && sep.v !== ' ' ? `[${sep.v}]` : sep.v) : this.splitFields(str, await s(2));
        } else parts = this.splitFields(str, this.str(this.getVar('FS')));
        const arr = this.array(target.name);
        arr.clear();
        parts.forEach((p, i) => arr.set(String(i + 1), new StrNum(p)));
        return parts.length;
      }
      case 'sub': case 'gsub': {
        const re = await this.reOf(args[0]);
        const repl = await s(1);
        const target = args[2] ?? { k: 'field', e: { k: 'num', v: 0 } };
        const str = this.str(await this.eval(target));
        let count = 0;
        let out = '';
        let pos = 0;
        re.lastIndex = 0;
        while (pos <= str.length) {
          re.lastIndex = pos;
          const m = re.exec(str);
          if (!m) break;
          out += str.slice(pos, m.index);
          // & is the match, \& a literal &, \\ a backslash.
          out += repl.replace(/\\\\|\\&|&/g, (x) => (x === '&' ? m[0] : x === '\\&' ? '&' : '\\'));
          count++;
          if (m[0] === '') {
            if (m.index < str.length) out += str[m.index];
            pos = m.index + 1;
          } else pos = m.index + m[0].length;
          if (name === 'sub') break;
        }
        if (!count) return 0;
        out += str.slice(pos);
        await this.assign(target, out);
        return count;
      }
      case 'match': {
        const str = await s(0);
        const m = (await this.reOf(args[1])).exec(str);
        this.globals.set('RSTART', m ? m.index + 1 : 0);
        this.globals.set('RLENGTH', m ? m[0].length : -1);
        return m ? m.index + 1 : 0;
      }
      case 'sprintf': {
        if (!args.length) throw new AwkError('sprintf: no format');
        const vals: Value[] = [];
        for (const a of args.slice(1)) vals.push(await this.eval(a));
        return this.sprintf(await s(0), vals);
      }
      case 'tolower': return (await s(0)).toLowerCase();
      case 'toupper': return (await s(0)).toUpperCase();
      case 'int': return Math.trunc(await n(0));
      case 'sqrt': return Math.sqrt(await n(0));
      case 'exp': return Math.exp(await n(0));
      case 'log': return Math.log(await n(0));
      case 'sin': return Math.sin(await n(0));
      case 'cos': return Math.cos(await n(0));
      case 'atan2': return Math.atan2(await n(0), await n(1));
      case 'rand': {
        // A small LCG seeded by srand (one-true-awk uses random(); the sequence differs, the range does not).
        this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
        return this.seed / 2147483648;
      }
      case 'srand': {
        const prev = this.prevSeed;
        this.prevSeed = args.length ? Math.trunc(await n(0)) : Math.floor(Date.now() / 1000);
        this.seed = this.prevSeed;
        return prev;
      }
      case 'system': {
        const cmd = await s(0);
        await this.flushAll();
        const io: Io = { stdin: bufferReader(''), out: (d) => this.t.io.out(d), err: (d) => this.t.io.err(d), signal: this.t.io.signal, tty: false };
        return this.t.ctx.sh(cmd, io);
      }
      case 'close': {
        const key = await s(0);
        const o = this.outputs.get(key);
        if (o) { this.outputs.delete(key); return o.close(); }
        const r = this.readers.get(key);
        if (r) { this.readers.delete(key); await r.close(); return 0; }
        return -1;
      }
      case 'fflush': await this.t.flush(); return 0;
      default: throw new AwkError(`unknown function ${name}`);
    }
  }

  sprintf(fmt: string, vals: Value[]): string {
    let out = '';
    let k = 0;
    const next = (): Value => (k < vals.length ? vals[k++] : '');
    for (let i = 0; i < fmt.length; i++) {
      const c = fmt[i];
      if (c !== '%') { out += c; continue; }
      if (fmt[i + 1] === '%') { out += '%'; i++; continue; }
      const p = parseConv(fmt, i, true);
      if (!p) { out += fmt.slice(i); break; }
      const spec = { ...p.spec };
      if (p.starW) spec.width = Math.trunc(this.num(next()));
      if (p.starP) spec.prec = Math.trunc(this.num(next()));
      const conv = spec.conv === 'i' ? 'd' : spec.conv;
      switch (conv) {
        case 'd': case 'o': case 'x': case 'X': case 'u': {
          const v = this.num(next());
          out += formatInt(BigInt(Number.isFinite(v) ? Math.trunc(v) : 0), { ...spec, conv });
          break;
        }
        case 'c': {
          const v = next();
          const ch = typeof v === 'number' ? String.fromCharCode(Math.trunc(v) & 0xff) : this.str(v).slice(0, 1);
          out += formatStr(ch, { ...spec, prec: undefined, conv: 's' });
          break;
        }
        case 's': out += formatStr(this.str(next()), spec); break;
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
          out += formatFloat(this.num(next()), spec);
          break;
        default:
          out += fmt.slice(i, p.end);
      }
      i = p.end - 1;
    }
    return out;
  }

  /* getline */
  private async getline(e: Extract<Expr, { k: 'getline' }>): Promise<Value> {
    let line: string | undefined;
    if (e.file || e.cmd) {
      const key = this.str(await this.eval((e.file ?? e.cmd) as Expr));
      let r = this.readers.get(key);
      if (!r) {
        try {
          r = e.file ? await this.openFileReader(key) : await this.openCmdReader(key);
        } catch {
          return -1;
        }
        this.readers.set(key, r);
      }
      const n = await r.it.next();
      line = n.done ? undefined : n.value;
      if (line === undefined) return 0;
      if (e.target) await this.assign(e.target, new StrNum(line));
      else { this.setRecord(line); this.globals.set('NR', this.num(this.getVar('NR')) + 1); }
      return 1;
    }
    line = await this.mainInput?.next();
    if (line === undefined) return 0;
    this.globals.set('NR', this.num(this.getVar('NR')) + 1);
    this.globals.set('FNR', this.num(this.getVar('FNR')) + 1);
    if (e.target) await this.assign(e.target, new StrNum(line));
    else this.setRecord(line);
    return 1;
  }

  async openFileReader(name: string): Promise<{ it: AsyncGenerator<string>; close(): Promise<void> }> {
    const input: Input = name === '-' || name === '/dev/stdin' ? await this.t.open('-') : await this.t.open(name);
    return { it: this.records(input), close: () => input.close() };
  }

  private async openCmdReader(cmd: string): Promise<{ it: AsyncGenerator<string>; close(): Promise<void> }> {
    await this.flushAll();
    const chunks: Buffer[] = [];
    const io: Io = { stdin: bufferReader(''), out: async (d) => { chunks.push(typeof d === 'string' ? Buffer.from(d) : d); }, err: (d) => this.t.io.err(d), signal: this.t.io.signal, tty: false };
    await this.t.ctx.sh(cmd, io);
    const input: Input = { read: async () => (chunks.length ? (chunks.shift() as Buffer) : null), close: async () => undefined };
    return { it: this.records(input), close: async () => undefined };
  }

  /** Records of an input by RS: a newline by default, one character, or "" for paragraph mode. */
  async *records(input: Input): AsyncGenerator<string> {
    const rs = this.str(this.getVar('RS'));
    if (rs === '\n' || rs.length === 1) {
      for await (const l of lines(input, rs)) yield l.endsWith(rs) ? l.slice(0, -1) : l;
      return;
    }
    let all = '';
    for (;;) {
      const c = await input.read();
      if (c === null) break;
      all += fromB(c);
    }
    if (rs === '') {
      for (const p of all.replace(/^\n+/, '').split(/\n\n+/)) if (p !== '') yield p.replace(/\n+$/, '');
      return;
    }
    const parts = this.splitFields(all, rs);
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    yield* parts;
  }

  /* output */
  async output(redir: { op: string; e: Expr } | undefined, text: string): Promise<void> {
    if (!redir) { await this.t.outB(text); return; }
    const key = this.str(await this.eval(redir.e));
    let o = this.outputs.get(key);
    if (!o) {
      o = await this.openOutput(redir.op, key);
      this.outputs.set(key, o);
    }
    await o.write(text);
  }

  private async openOutput(op: string, key: string): Promise<OutStream> {
    if (op === '|') {
      let buf = '';
      return {
        write: async (s) => { buf += s; },
        close: async () => {
          await this.t.flush();
          const io: Io = { stdin: bufferReader(toB(buf)), out: (d) => this.t.io.out(d), err: (d) => this.t.io.err(d), signal: this.t.io.signal, tty: false };
          return this.t.ctx.sh(key, io);
        },
      };
    }
    if (key === '/dev/stdout' || key === '-') return { write: (s) => this.t.outB(s), close: async () => 0 };
    if (key === '/dev/stderr') return { write: async (s) => { await this.t.flush(); await this.t.io.err(toB(s)); }, close: async () => 0 };
    let out;
    try {
      out = await this.t.create(key, { append: op === '>>' });
    } catch {
      throw new AwkError(`can't redirect to ${key}`);
    }
    const o = out;
    return { write: (s) => o.write(toB(s)), close: async () => { await o.close(); return 0; } };
  }

  async flushAll(): Promise<void> {
    await this.t.flush();
  }

  async closeAll(): Promise<void> {
    for (const [k, o] of this.outputs) { this.outputs.delete(k); await o.close(); }
    for (const [k, r] of this.readers) { this.readers.delete(k); await r.close(); }
  }

  /* statements */
  async exec(s: Stmt): Promise<void> {
    switch (s.k) {
      case 'block': for (const x of s.body) await this.exec(x); return;
      case 'expr': await this.eval(s.e); return;
      case 'print': {
        let text: string;
        if (!s.args.length) text = this.record;
        else {
          const parts: string[] = [];
          for (const a of s.args) parts.push(this.str(await this.eval(a), 'OFMT'));
          text = parts.join(this.str(this.getVar('OFS')));
        }
        await this.output(s.redir, text + this.str(this.getVar('ORS')));
        return;
      }
      case 'printf': {
        const vals: Value[] = [];
        for (const a of s.args.slice(1)) vals.push(await this.eval(a));
        await this.output(s.redir, this.sprintf(this.str(await this.eval(s.args[0])), vals));
        return;
      }
      case 'if':
        if (this.bool(await this.eval(s.c))) await this.exec(s.a);
        else if (s.b) await this.exec(s.b);
        return;
      case 'while':
        while (this.bool(await this.eval(s.c))) {
          if (await this.loopBody(s.body)) break;
        }
        return;
      case 'do':
        do {
          if (await this.loopBody(s.body)) break;
        } while (this.bool(await this.eval(s.c)));
        return;
      case 'for':
        if (s.init) await this.exec(s.init);
        while (!s.c || this.bool(await this.eval(s.c))) {
          if (await this.loopBody(s.body)) break;
          if (s.step) await this.exec(s.step);
        }
        return;
      case 'forin': {
        const keys = [...this.array(s.name).keys()];
        for (const k of keys) {
          if (!this.array(s.name).has(k)) continue;
          await this.assign(s.v, new StrNum(k));
          if (await this.loopBody(s.body)) break;
        }
        return;
      }
      case 'next': throw new NextSignal();
      case 'nextfile': throw new NextSignal();
      case 'break': throw new LoopSignal('break');
      case 'continue': throw new LoopSignal('continue');
      case 'exit': throw new ExitSignal(s.e ? Math.trunc(this.num(await this.eval(s.e))) & 0xff : -1);
      case 'return': throw new ReturnSignal(s.e ? await this.eval(s.e) : '');
      case 'delete': {
        const a = this.array(s.name);
        if (s.subs) a.delete(await this.subscript(s.subs));
        else a.clear();
        return;
      }
      default:
    }
  }

  /** Runs a loop body; true when the loop must stop (break). */
  private async loopBody(body: Stmt): Promise<boolean> {
    try {
      await this.exec(body);
      return false;
    } catch (e) {
      if (e instanceof LoopSignal) return e.kind === 'break';
      throw e;
    }
  }
}

/* ------------------------------------------------------------------ the command */

const USAGE = 'usage: awk [-F fs][-v var=value][-safe][-version] [prog | -f progfile][file ...]\n';

function assignArg(ip: Interp, a: string): boolean {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(a);
  if (!m) return false;
  ip.globals.set(m[1], new StrNum(unescape(m[2], false)));
  return true;
}

export const AWK_COMMANDS: CommandTable = {
  awk: toy('awk', { nohelp: true }, async (t) => {
    const argv = t.args.map((a) => fromB(Buffer.from(a, 'utf8')));
    let fs: string | undefined;
    const assigns: string[] = [];
    let progFiles: string[] = [];
    let i = 0;
    for (; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--') { i++; break; }
      if (a === '-version' || a === '--version' || a === '-V') { await t.out('awk version 20240728\n'); return 0; }
      if (!a.startsWith('-') || a === '-') break;
      if (a.startsWith('-F')) { fs = a.length > 2 ? a.slice(2) : argv[++i]; if (fs === undefined) { await t.errRaw('awk: no field separator\n'); return 2; } continue; }
      if (a.startsWith('-v')) { const v = a.length > 2 ? a.slice(2) : argv[++i]; if (v === undefined) { await t.errRaw('awk: no variable name\n'); return 2; } assigns.push(v); continue; }
      if (a.startsWith('-f')) { const f = a.length > 2 ? a.slice(2) : argv[++i]; if (f === undefined) { await t.errRaw('awk: no program filename\n'); return 2; } progFiles.push(f); continue; }
      if (a === '-safe' || a === '--csv') continue;
      await t.errRaw(`awk: unknown option ${a} ignored\n`);
    }
    let src: string;
    if (progFiles.length) {
      const parts: string[] = [];
      for (const f of progFiles) {
        try {
          const input = await t.open(f);
          const chunks: Buffer[] = [];
          for (;;) { const c = await input.read(); if (c === null) break; chunks.push(c); }
          await input.close();
          parts.push(fromB(Buffer.concat(chunks)));
        } catch {
          await t.errRaw(`awk: can't open file ${f}\n source line number 1\n`);
          return 2;
        }
      }
      src = parts.join('\n');
    } else {
      if (i >= argv.length) { await t.errRaw(USAGE); return 2; }
      src = argv[i++];
    }
    progFiles = [];
    const operands = argv.slice(i);

    let parser: Parser;
    try {
      parser = new Parser(src);
      parser.program();
    } catch (e) {
      if (!(e instanceof AwkError)) throw e;
      const line = /source line (\d+)/.exec(e.message)?.[1] ?? '1';
      await t.errRaw(`awk: ${e.message}\n context is\n\t${src.split('\n')[Number(line) - 1] ?? ''}\nawk: bailing out at source line ${line}\n`);
      return 2;
    }
    const ip = new Interp(t, parser);
    const env = new Map<string, Value>(Object.entries(t.ctx.env).map(([k, v]) => [k, new StrNum(v)]));
    ip.arrays.set('ENVIRON', env);
    const argvArr = new Map<string, Value>([['0', 'awk'], ...operands.map((o, k) => [String(k + 1), new StrNum(o)] as [string, Value])]);
    ip.arrays.set('ARGV', argvArr);
    for (const [k, v] of Object.entries({ FS: fs === undefined ? ' ' : fs === 't' ? '\t' : unescape(fs, false), OFS: ' ', ORS: '\n', RS: '\n', NR: 0, NF: 0, FNR: 0, SUBSEP: '\x1c', CONVFMT: '%.6g', OFMT: '%.6g', RSTART: 0, RLENGTH: -1, FILENAME: '', ARGC: operands.length + 1 })) ip.globals.set(k, v);
    for (const a of assigns) {
      if (!assignArg(ip, a)) { await t.errRaw(`awk: invalid -v argument: ${a}\n`); return 2; }
    }

    let exitCode = 0;
    let exiting = false;
    const run = async (fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        if (e instanceof ExitSignal) { exiting = true; if (e.code >= 0) exitCode = e.code; return; }
        throw e;
      }
    };
    try {
      await run(async () => { for (const it of parser.items) if (it.begin && it.action) await ip.exec(it.action); });
      const mains = parser.items.filter((it) => !it.begin && !it.end);
      const needInput = mains.length > 0 || parser.items.some((it) => it.end);
      if (!exiting && needInput) {
        // The main input: ARGV[1..ARGC-1] (var=value operands assign when reached), or stdin.
        let argIdx = 1;
        let current: AsyncGenerator<string> | undefined;
        let currentInput: Input | undefined;
        let usedFile = false;
        const nextLine = async (): Promise<string | undefined> => {
          for (;;) {
            if (current) {
              const n = await current.next();
              if (!n.done) return n.value;
              await currentInput?.close();
              current = undefined;
            }
            const argc = Math.trunc(ip.num(ip.getVar('ARGC')));
            let opened = false;
            while (argIdx < argc) {
              const a = ip.str(argvArr.get(String(argIdx++)) ?? '');
              if (a === '') continue;
              if (assignArg(ip, a)) continue;
              try {
                currentInput = await t.open(a);
              } catch {
                throw new AwkError(`can't open file ${a}`);
              }
              ip.globals.set('FILENAME', a);
              ip.globals.set('FNR', 0);
              usedFile = true;
              opened = true;
              break;
            }
            if (!opened) {
              if (usedFile) return undefined;
              usedFile = true;
              currentInput = await t.open('-');
            }
            current = ip.records(currentInput as Input);
          }
        };
        ip.mainInput = { next: nextLine };
        await run(async () => {
          for (;;) {
            const line = await nextLine();
            if (line === undefined) break;
            ip.globals.set('NR', ip.num(ip.getVar('NR')) + 1);
            ip.globals.set('FNR', ip.num(ip.getVar('FNR')) + 1);
            ip.setRecord(line);
            try {
              for (const it of mains) {
                let hit: boolean;
                if (it.pattern2) {
                  if (it.inRange) {
                    hit = true;
                    if (ip.bool(await ip.eval(it.pattern2))) it.inRange = false;
                  } else if (ip.bool(await ip.eval(it.pattern as Expr))) {
                    hit = true;
                    it.inRange = !ip.bool(await ip.eval(it.pattern2));
                  } else hit = false;
                } else hit = !it.pattern || ip.bool(await ip.eval(it.pattern));
                if (!hit) continue;
                if (it.action) await ip.exec(it.action);
                else await ip.output(undefined, ip.record + ip.str(ip.getVar('ORS')));
              }
            } catch (e) {
              if (!(e instanceof NextSignal)) throw e;
            }
          }
        });
      }
      // END runs after `exit` in the main part too (POSIX), but not after `exit` inside END.
      exiting = false;
      await run(async () => { for (const it of parser.items) if (it.end && it.action) await ip.exec(it.action); });
    } catch (e) {
      await ip.closeAll().catch(() => undefined);
      if (e instanceof AwkError) {
        await t.errRaw(`awk: ${e.message}\n input record number ${ip.num(ip.getVar('NR'))}, file ${ip.str(ip.getVar('FILENAME'))}\n source line number 1\n`);
        return 2;
      }
      if (e instanceof LoopSignal || e instanceof NextSignal || e instanceof ReturnSignal) {
        await t.errRaw('awk: next is illegal inside a function\n');
        return 2;
      }
      throw e;
    }
    await ip.closeAll();
    return exitCode;
  }),
};
