/**
 * `$(( … ))`: integer arithmetic as mksh does it (32-bit signed: mksh's arithmetic wraps at 32 bits), with
 * variables, assignments (`=`, `+=`, `++`…), comparisons, logic, bit operations and `?:`.
 */
export class ArithError extends Error {}

type Vars = { get(name: string): string | undefined; set(name: string, value: string): void };

const toInt = (n: number) => n | 0;

export function evalArith(expr: string, vars: Vars): number {
  const toks = tokenize(expr);
  let i = 0;
  const peek = () => toks[i];
  const take = () => toks[i++];
  const num = (name: string): number => {
    const v = vars.get(name);
    if (v === undefined || v.trim() === '') return 0;
    const t = v.trim();
    if (/^[A-Za-z_]\w*$/.test(t)) return num(t);
    const n = parseNumber(t);
    if (n === undefined) throw new ArithError(`${t}: bad number`);
    return n;
  };

  const BIN: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
  const apply = (op: string, a: number, b: number): number => {
    switch (op) {
      case '||': return a || b ? 1 : 0;
      case '&&': return a && b ? 1 : 0;
      case '|': return a | b;
      case '^': return a ^ b;
      case '&': return a & b;
      case '==': return a === b ? 1 : 0;
      case '!=': return a !== b ? 1 : 0;
      case '<': return a < b ? 1 : 0;
      case '<=': return a <= b ? 1 : 0;
      case '>': return a > b ? 1 : 0;
      case '>=': return a >= b ? 1 : 0;
      case '<<': return toInt(a << b);
      case '>>': return a >> b;
      case '+': return toInt(a + b);
      case '-': return toInt(a - b);
      case '*': return toInt(Math.imul(a, b));
      case '/': if (b === 0) throw new ArithError('divison by zero'); return toInt(a / b);
      case '%': if (b === 0) throw new ArithError('divison by zero'); return toInt(a % b);
      default: throw new ArithError(`unexpected '${op}'`);
    }
  };

  const binary = (level: number): number => {
    if (level >= BIN.length) return unary();
    let left = binary(level + 1);
    for (;;) {
      const t = peek();
      if (t === undefined || !BIN[level].includes(t)) return left;
      take();
      // short-circuit for && and || still evaluates both sides here; side effects in the right side are rare
      const right = binary(level + 1);
      left = apply(t, left, right);
    }
  };

  const unary = (): number => {
    const t = peek();
    if (t === '-') { take(); return toInt(-unary()); }
    if (t === '+') { take(); return unary(); }
    if (t === '!') { take(); return unary() ? 0 : 1; }
    if (t === '~') { take(); return ~unary(); }
    if (t === '++' || t === '--') {
      take();
      const name = take();
      if (!name || !/^[A-Za-z_]\w*$/.test(name)) throw new ArithError(`${t} needs a variable`);
      const v = toInt(num(name) + (t === '++' ? 1 : -1));
      vars.set(name, String(v));
      return v;
    }
    return postfix();
  };

  const postfix = (): number => {
    const t = take();
    if (t === undefined) throw new ArithError('unexpected end of expression');
    if (t === '(') {
      const v = ternary();
      if (take() !== ')') throw new ArithError("missing ')'");
      return v;
    }
    if (/^[A-Za-z_]\w*$/.test(t)) {
      const n = peek();
      if (n === '++' || n === '--') {
        take();
        const v = num(t);
        vars.set(t, String(toInt(v + (n === '++' ? 1 : -1))));
        return v;
      }
      return num(t);
    }
    const n = parseNumber(t);
    if (n === undefined) throw new ArithError(`unexpected '${t}'`);
    return n;
  };

  const ternary = (): number => {
    const c = binary(0);
    if (peek() !== '?') return c;
    take();
    const a = assignment();
    if (take() !== ':') throw new ArithError("missing ':'");
    const b = assignment();
    return c ? a : b;
  };

  const ASSIGN = ['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '|=', '^='];
  const assignment = (): number => {
    const t = peek();
    if (t && /^[A-Za-z_]\w*$/.test(t) && ASSIGN.includes(toks[i + 1])) {
      take();
      const op = take() as string;
      const rhs = assignment();
      const v = op === '=' ? rhs : apply(op.slice(0, -1), num(t), rhs);
      vars.set(t, String(v));
      return v;
    }
    return ternary();
  };

  const comma = (): number => {
    let v = assignment();
    while (peek() === ',') { take(); v = assignment(); }
    return v;
  };

  if (!toks.length) return 0;
  const v = comma();
  if (i < toks.length) throw new ArithError(`unexpected '${toks[i]}'`);
  return v;
}

function parseNumber(t: string): number | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^(\d+)#([0-9A-Za-z]+)$/.exec(t))) {
    const n = parseInt(m[2], Number(m[1]));
    return Number.isNaN(n) ? undefined : toInt(n);
  }
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return toInt(parseInt(t, 16));
  if (/^0[0-7]+$/.test(t)) return toInt(parseInt(t, 8));
  if (/^\d+$/.test(t)) return toInt(Number(t));
  return undefined;
}

function tokenize(s: string): string[] {
  const out: string[] = [];
  const ops = ['<<=', '>>=', '++', '--', '**', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
    '+', '-', '*', '/', '%', '<', '>', '=', '!', '~', '&', '|', '^', '(', ')', '?', ':', ','];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    const m = /^(\d+#[0-9A-Za-z]+|0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*)/.exec(s.slice(i));
    if (m) { out.push(m[1]); i += m[1].length; continue; }
    const op = ops.find((o) => s.startsWith(o, i));
    if (!op) throw new ArithError(`unexpected '${c}'`);
    out.push(op);
    i += op.length;
  }
  return out;
}
