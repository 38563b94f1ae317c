import { ShellSyntaxError, type Assignment, type Node, type Redirect } from './ast';

type Tok =
  | { k: 'word'; v: string; line: number }
  | { k: 'op'; v: string; line: number }
  | { k: 'nl'; line: number }
  | { k: 'eof'; line: number };

const OPS = ['&&', '||', ';;', ';&', ';|', '<<<', '<<-', '<<', '>>', '>|', '<>', '<&', '>&', '&>', '|', '&', ';', '(', ')', '<', '>'];
const RESERVED = new Set(['if', 'then', 'elif', 'else', 'fi', 'for', 'in', 'do', 'done', 'while', 'until', 'case', 'esac', '{', '}', '!', 'function']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Skips a quoted or nested construct starting at `i` (a quote, `$(`, `${`, `` ` ``); returns the index after it. */
// An open quote is mksh's "no closing quote" (lex.c), what Android prints as "/system/bin/sh: no closing quote".
export function skipConstruct(src: string, i: number): number {
  const c = src[i];
  if (c === "'") {
    const end = src.indexOf("'", i + 1);
    if (end < 0) throw new ShellSyntaxError('no closing quote', true);
    return end + 1;
  }
  if (c === '"') {
    let j = i + 1;
    while (j < src.length && src[j] !== '"') {
      if (src[j] === '\\') j += 2;
      else if (src[j] === '$' || src[j] === '`') j = skipDollarOrTick(src, j);
      else j++;
    }
    if (j >= src.length) throw new ShellSyntaxError('no closing quote', true);
    return j + 1;
  }
  return skipDollarOrTick(src, i);
}

function skipDollarOrTick(src: string, i: number): number {
  if (src[i] === '`') {
    let j = i + 1;
    while (j < src.length && src[j] !== '`') j += src[j] === '\\' ? 2 : 1;
    if (j >= src.length) throw new ShellSyntaxError('no closing quote', true);
    return j + 1;
  }
  // src[i] === '$'
  const n = src[i + 1];
  if (n === '{') {
    let j = i + 2;
    let depth = 1;
    while (j < src.length && depth > 0) {
      const c = src[j];
      if (c === '\\') { j += 2; continue; }
      if (c === "'" || c === '"' || (c === '$' && (src[j + 1] === '(' || src[j + 1] === '{')) || c === '`') { j = skipConstruct(src, j); continue; }
      if (c === '{') depth++;
      else if (c === '}') depth--;
      j++;
    }
    if (depth > 0) throw new ShellSyntaxError('unterminated ${', true);
    return j;
  }
  if (n === '(') {
    // $(( … )) arithmetic or $( … ) command substitution: balance parentheses, skipping quotes.
    let j = i + 2;
    let depth = 1;
    while (j < src.length && depth > 0) {
      const c = src[j];
      if (c === '\\') { j += 2; continue; }
      if (c === "'" || c === '"' || c === '`' || (c === '$' && (src[j + 1] === '(' || src[j + 1] === '{'))) { j = skipConstruct(src, j); continue; }
      if (c === '#' && /[\s;(]/.test(src[j - 1] ?? ' ')) { while (j < src.length && src[j] !== '\n') j++; continue; }
      if (c === '(') depth++;
      else if (c === ')') depth--;
      j++;
    }
    if (depth > 0) throw new ShellSyntaxError('unterminated $(', true);
    return j;
  }
  return i + 1;
}

class Lexer {
  pos = 0;
  line = 1;
  private pendingHeredocs: Redirect[] = [];
  private peeked: Tok | undefined;

  constructor(private readonly src: string) {}

  peek(): Tok {
    this.peeked ??= this.scan();
    return this.peeked;
  }

  next(): Tok {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  /**
   * After a peeked `(`: when the text goes on with `(` and the parentheses close with `))`, reads mksh's
   * arithmetic command `(( EXPR ))` and returns EXPR; otherwise leaves everything as it was.
   */
  arithCommand(): string | undefined {
    const t = this.peeked;
    if (!t || t.k !== 'op' || t.v !== '(' || this.src[this.pos] !== '(') return undefined;
    const s = this.src;
    let depth = 2;
    let j = this.pos + 1;
    while (j < s.length && depth > 0) {
      const c = s[j];
      if (c === "'" || c === '"' || c === '`' || (c === '$' && (s[j + 1] === '(' || s[j + 1] === '{'))) { j = skipConstruct(s, j); continue; }
      if (c === '(') depth++;
      else if (c === ')') {
        depth--;
        if (depth === 1 && s[j + 1] !== ')') return undefined;
      }
      j++;
    }
    if (depth > 0) return undefined;
    const expr = s.slice(this.pos + 1, j - 2);
    for (const ch of expr) if (ch === '\n') this.line++;
    this.pos = j;
    this.peeked = undefined;
    return expr;
  }

  addHeredoc(r: Redirect): void {
    this.pendingHeredocs.push(r);
  }

  private scan(): Tok {
    const s = this.src;
    for (;;) {
      while (this.pos < s.length && (s[this.pos] === ' ' || s[this.pos] === '\t' || s[this.pos] === '\r')) this.pos++;
      if (s[this.pos] === '\\' && s[this.pos + 1] === '\n') { this.pos += 2; this.line++; continue; }
      if (s[this.pos] === '#') { while (this.pos < s.length && s[this.pos] !== '\n') this.pos++; continue; }
      break;
    }
    const line = this.line;
    if (this.pos >= s.length) {
      if (this.pendingHeredocs.length) throw new ShellSyntaxError('here document without its end', true);
      return { k: 'eof', line };
    }
    const c = s[this.pos];
    if (c === '\n') {
      this.pos++;
      this.line++;
      if (this.pendingHeredocs.length) this.readHeredocs();
      return { k: 'nl', line };
    }
    // An IO number: digits directly followed by < or >.
    const io = /^\d+(?=[<>])/.exec(s.slice(this.pos, this.pos + 12));
    if (io) {
      this.pos += io[0].length;
      const op = OPS.find((o) => s.startsWith(o, this.pos)) as string;
      this.pos += op.length;
      return { k: 'op', v: `${io[0]}${op}`, line };
    }
    for (const op of OPS) {
      if (s.startsWith(op, this.pos)) {
        this.pos += op.length;
        return { k: 'op', v: op, line };
      }
    }
    const start = this.pos;
    while (this.pos < s.length) {
      const ch = s[this.pos];
      if (' \t\r\n;&|()<>'.includes(ch)) break;
      if (ch === '\\') {
        if (s[this.pos + 1] === '\n') { this.pos += 2; this.line++; continue; }
        this.pos += 2;
        continue;
      }
      if (ch === "'" || ch === '"' || ch === '`' || (ch === '$' && (s[this.pos + 1] === '(' || s[this.pos + 1] === '{'))) {
        const end = skipConstruct(s, this.pos);
        for (let k = this.pos; k < end; k++) if (s[k] === '\n') this.line++;
        this.pos = end;
        continue;
      }
      this.pos++;
    }
    return { k: 'word', v: s.slice(start, Math.min(this.pos, s.length)), line };
  }

  private readHeredocs(): void {
    const s = this.src;
    for (const r of this.pendingHeredocs.splice(0)) {
      const delim = r.target;
      const lines: string[] = [];
      for (;;) {
        if (this.pos >= s.length) throw new ShellSyntaxError(`here document '${delim}' has no end`, true);
        let end = s.indexOf('\n', this.pos);
        const hasNl = end >= 0;
        if (!hasNl) end = s.length;
        let text = s.slice(this.pos, end);
        this.pos = hasNl ? end + 1 : end;
        this.line++;
        if (r.op === '<<-') text = text.replace(/^\t+/, '');
        if (text === delim) break;
        if (!hasNl) throw new ShellSyntaxError(`here document '${delim}' has no end`, true);
        lines.push(text);
      }
      r.target = lines.length ? `${lines.join('\n')}\n` : '';
    }
  }
}

/** The text of a word with its quotes removed (for here-document delimiters and function names). */
function unquoteLiteral(w: string): { text: string; quoted: boolean } {
  let out = '';
  let quoted = false;
  for (let i = 0; i < w.length; i++) {
    const c = w[i];
    if (c === "'" || c === '"') {
      quoted = true;
      const end = w.indexOf(c, i + 1);
      out += w.slice(i + 1, end < 0 ? w.length : end);
      i = end < 0 ? w.length : end;
    } else if (c === '\\') {
      quoted = true;
      out += w[i + 1] ?? '';
      i++;
    } else {
      out += c;
    }
  }
  return { text: out, quoted };
}

export class Parser {
  private readonly lx: Lexer;

  constructor(src: string) {
    this.lx = new Lexer(src);
  }

  /** Parses a whole program. */
  program(): Node {
    const list = this.list(new Set());
    const t = this.lx.peek();
    if (t.k !== 'eof') throw this.unexpected(t);
    return list;
  }

  private unexpected(t: Tok): ShellSyntaxError {
    if (t.k === 'eof') return new ShellSyntaxError('unexpected end of file', true);
    const v = t.k === 'nl' ? 'newline' : t.v;
    return new ShellSyntaxError(`syntax error: '${v}' unexpected`);
  }

  private isWord(t: Tok, v?: string): boolean {
    return t.k === 'word' && (v === undefined || t.v === v);
  }

  private skipNewlines(): void {
    while (this.lx.peek().k === 'nl') this.lx.next();
  }

  /** A list of and-or items up to one of the `stop` reserved words (not consumed) or `)` / `;;` / EOF. */
  private list(stop: Set<string>): Node {
    const items: Array<{ node: Node; background: boolean }> = [];
    for (;;) {
      this.skipNewlines();
      const t = this.lx.peek();
      if (t.k === 'eof') break;
      if (t.k === 'word' && stop.has(t.v)) break;
      if (t.k === 'op' && (t.v === ')' || t.v === ';;' || t.v === ';&' || t.v === ';|')) break;
      const node = this.andOr();
      const sep = this.lx.peek();
      if (sep.k === 'op' && (sep.v === ';' || sep.v === '&')) {
        this.lx.next();
        items.push({ node, background: sep.v === '&' });
        continue;
      }
      items.push({ node, background: false });
      if (sep.k === 'nl') continue;
      break;
    }
    return { type: 'list', items };
  }

  private andOr(): Node {
    const first = this.pipeline();
    const rest: Array<{ op: '&&' | '||'; node: Node }> = [];
    for (;;) {
      const t = this.lx.peek();
      if (t.k === 'op' && (t.v === '&&' || t.v === '||')) {
        this.lx.next();
        this.skipNewlines();
        rest.push({ op: t.v, node: this.pipeline() });
        continue;
      }
      break;
    }
    return rest.length ? { type: 'andor', first, rest } : first;
  }

  private pipeline(): Node {
    let negate = false;
    if (this.isWord(this.lx.peek(), '!')) {
      this.lx.next();
      negate = true;
    }
    const commands = [this.command()];
    for (;;) {
      const t = this.lx.peek();
      if (t.k === 'op' && t.v === '|') {
        this.lx.next();
        this.skipNewlines();
        commands.push(this.command());
        continue;
      }
      break;
    }
    return commands.length === 1 && !negate ? commands[0] : { type: 'pipeline', negate, commands };
  }

  private expectWord(v: string): void {
    this.skipNewlines();
    const t = this.lx.next();
    if (!this.isWord(t, v)) throw this.unexpected(t);
  }

  private command(): Node {
    const t = this.lx.peek();
    const arith = t.k === 'op' && t.v === '(' ? this.lx.arithCommand() : undefined;
    if (arith !== undefined) return { type: 'arith', expr: arith, redirects: this.redirects(), line: t.line };
    if (t.k === 'op' && t.v === '(') {
      this.lx.next();
      const body = this.list(new Set());
      const close = this.lx.next();
      if (close.k !== 'op' || close.v !== ')') throw this.unexpected(close);
      return { type: 'subshell', body, redirects: this.redirects() };
    }
    if (t.k === 'word') {
      switch (t.v) {
        case '{': {
          this.lx.next();
          const body = this.list(new Set(['}']));
          this.expectWord('}');
          return { type: 'group', body, redirects: this.redirects() };
        }
        case '[[': return this.condClause();
        case 'if': return this.ifClause();
        case 'for': return this.forClause();
        case 'while':
        case 'until': return this.whileClause(t.v === 'until');
        case 'case': return this.caseClause();
        case 'function': {
          this.lx.next();
          const name = this.lx.next();
          if (name.k !== 'word' || !NAME.test(name.v)) throw this.unexpected(name);
          const p = this.lx.peek();
          if (p.k === 'op' && p.v === '(') {
            this.lx.next();
            const close = this.lx.next();
            if (close.k !== 'op' || close.v !== ')') throw this.unexpected(close);
          }
          this.skipNewlines();
          return { type: 'function', name: name.v, body: this.command() };
        }
        case 'then': case 'elif': case 'else': case 'fi': case 'do': case 'done': case 'esac': case '}': case 'in':
          throw this.unexpected(t);
        default:
      }
    }
    if (t.k !== 'word' && !(t.k === 'op' && /^\d*(<|>|>>|>\||<>|<&|>&|<<|<<-|<<<|&>)$/.test(t.v))) throw this.unexpected(t);
    return this.simple();
  }

  private simple(): Node {
    const assigns: Assignment[] = [];
    const words: string[] = [];
    const redirects: Redirect[] = [];
    const line = this.lx.peek().line;
    for (;;) {
      const t = this.lx.peek();
      if (t.k === 'op' && this.redirectOp(t.v)) {
        redirects.push(this.redirect());
        continue;
      }
      if (t.k !== 'word') break;
      // name() { …; } — a function definition
      if (!words.length && !assigns.length && NAME.test(t.v)) {
        this.lx.next();
        const p = this.lx.peek();
        if (p.k === 'op' && p.v === '(') {
          this.lx.next();
          const close = this.lx.next();
          if (close.k !== 'op' || close.v !== ')') throw this.unexpected(close);
          this.skipNewlines();
          return { type: 'function', name: t.v, body: this.command() };
        }
        words.push(t.v);
        continue;
      }
      this.lx.next();
      const eq = t.v.indexOf('=');
      if (!words.length && eq > 0 && NAME.test(t.v.slice(0, eq))) {
        const next = this.lx.peek();
        if (eq === t.v.length - 1 && next.k === 'op' && next.v === '(') {
          // mksh's array assignment name=(a b c)
          this.lx.next();
          const array: string[] = [];
          for (;;) {
            const w = this.lx.next();
            if (w.k === 'nl') continue;
            if (w.k === 'op' && w.v === ')') break;
            if (w.k !== 'word') throw this.unexpected(w);
            array.push(w.v);
          }
          assigns.push({ name: t.v.slice(0, eq), value: '', array });
          continue;
        }
        assigns.push({ name: t.v.slice(0, eq), value: t.v.slice(eq + 1) });
        continue;
      }
      const indexed = words.length ? null : /^([A-Za-z_][A-Za-z0-9_]*)\[([^\]]+)\]=/.exec(t.v);
      if (indexed) {
        assigns.push({ name: indexed[1], index: indexed[2], value: t.v.slice(indexed[0].length) });
        continue;
      }
      words.push(t.v);
    }
    if (!words.length && !assigns.length && !redirects.length) throw this.unexpected(this.lx.peek());
    return { type: 'simple', assigns, words, redirects, line };
  }

  private redirectOp(v: string): RegExpExecArray | null {
    return /^(\d*)(<<<|<<-|<<|>>|>\||<>|<&|>&|&>|<|>)$/.exec(v);
  }

  private redirect(): Redirect {
    const t = this.lx.next() as { v: string };
    const m = this.redirectOp(t.v) as RegExpExecArray;
    const op = m[2] as Redirect['op'];
    const fd = m[1] ? Number(m[1]) : op.startsWith('<') && op !== '<>' ? 0 : op === '<>' ? 0 : 1;
    const target = this.lx.next();
    if (target.k !== 'word') throw this.unexpected(target);
    if (op === '<<' || op === '<<-') {
      const { text, quoted } = unquoteLiteral(target.v);
      const r: Redirect = { fd, op, target: text, quotedHeredoc: quoted };
      this.lx.addHeredoc(r);
      return r;
    }
    return { fd, op, target: target.v };
  }

  private redirects(): Redirect[] {
    const out: Redirect[] = [];
    for (;;) {
      const t = this.lx.peek();
      if (t.k === 'op' && this.redirectOp(t.v)) out.push(this.redirect());
      else return out;
    }
  }

  private condClause(): Node {
    const first = this.lx.next();
    const tokens: Array<{ op: boolean; v: string }> = [];
    for (;;) {
      const t = this.lx.next();
      if (t.k === 'eof') throw this.unexpected(t);
      if (t.k === 'nl') throw this.unexpected(t);
      if (t.k === 'word' && t.v === ']]') break;
      tokens.push({ op: t.k === 'op', v: t.v });
    }
    return { type: 'cond', tokens, redirects: this.redirects(), line: first.line };
  }

  private ifClause(): Node {
    this.lx.next();
    const clauses: Array<{ cond: Node; body: Node }> = [];
    let elseBody: Node | undefined;
    const cond = this.list(new Set(['then']));
    this.expectWord('then');
    clauses.push({ cond, body: this.list(new Set(['elif', 'else', 'fi'])) });
    for (;;) {
      this.skipNewlines();
      const t = this.lx.next();
      if (this.isWord(t, 'elif')) {
        const c = this.list(new Set(['then']));
        this.expectWord('then');
        clauses.push({ cond: c, body: this.list(new Set(['elif', 'else', 'fi'])) });
        continue;
      }
      if (this.isWord(t, 'else')) {
        elseBody = this.list(new Set(['fi']));
        this.expectWord('fi');
        break;
      }
      if (this.isWord(t, 'fi')) break;
      throw this.unexpected(t);
    }
    return { type: 'if', clauses, elseBody, redirects: this.redirects() };
  }

  private doGroup(): Node {
    this.expectWord('do');
    const body = this.list(new Set(['done']));
    this.expectWord('done');
    return body;
  }

  private forClause(): Node {
    this.lx.next();
    const name = this.lx.next();
    if (name.k !== 'word' || !NAME.test(name.v)) throw this.unexpected(name);
    let items: string[] | undefined;
    this.skipNewlinesThenMaybe();
    if (this.isWord(this.lx.peek(), 'in')) {
      this.lx.next();
      items = [];
      for (;;) {
        const t = this.lx.peek();
        if (t.k === 'word') { items.push(t.v); this.lx.next(); continue; }
        if (t.k === 'op' && t.v === ';') { this.lx.next(); break; }
        if (t.k === 'nl') break;
        throw this.unexpected(t);
      }
    } else if (this.lx.peek().k === 'op' && (this.lx.peek() as { v: string }).v === ';') {
      this.lx.next();
    }
    const body = this.doGroup();
    return { type: 'for', name: name.v, items, body, redirects: this.redirects() };
  }

  private skipNewlinesThenMaybe(): void {
    this.skipNewlines();
  }

  private whileClause(until: boolean): Node {
    this.lx.next();
    const cond = this.list(new Set(['do']));
    const body = this.doGroup();
    return { type: 'while', until, cond, body, redirects: this.redirects() };
  }

  private caseClause(): Node {
    this.lx.next();
    const word = this.lx.next();
    if (word.k !== 'word') throw this.unexpected(word);
    this.skipNewlines();
    const inTok = this.lx.next();
    if (!this.isWord(inTok, 'in')) throw this.unexpected(inTok);
    const arms: Array<{ patterns: string[]; body: Node | undefined; fallthrough: boolean }> = [];
    for (;;) {
      this.skipNewlines();
      let t = this.lx.peek();
      if (this.isWord(t, 'esac')) { this.lx.next(); break; }
      if (t.k === 'op' && t.v === '(') { this.lx.next(); t = this.lx.peek(); }
      const patterns: string[] = [];
      for (;;) {
        const p = this.lx.next();
        if (p.k !== 'word') throw this.unexpected(p);
        patterns.push(p.v);
        const sep = this.lx.next();
        if (sep.k === 'op' && sep.v === '|') continue;
        if (sep.k === 'op' && sep.v === ')') break;
        throw this.unexpected(sep);
      }
      const body = this.list(new Set(['esac']));
      const end = this.lx.peek();
      let fallthrough = false;
      if (end.k === 'op' && (end.v === ';;' || end.v === ';&' || end.v === ';|')) {
        this.lx.next();
        fallthrough = end.v === ';&';
      } else if (!this.isWord(end, 'esac')) {
        throw this.unexpected(end);
      }
      arms.push({ patterns, body: (body as { items: unknown[] }).items.length ? body : undefined, fallthrough });
    }
    return { type: 'case', word: word.v, arms, redirects: this.redirects() };
  }
}

export function parseScript(src: string): Node {
  return new Parser(src).program();
}

export { RESERVED };
