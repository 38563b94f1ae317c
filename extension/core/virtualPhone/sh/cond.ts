import type { Fds, Shell } from './interp';
import { ShellError } from './interp';
import { matchPattern } from './glob';
import { evalTest } from './test';

/**
 * mksh's `[[ … ]]` (mksh(1) "[[ expression ]]"): the tests of `test`, but the words are not field-split or
 * globbed, `&&`/`||`/`!`/`( )` combine them, `=`/`==`/`!=` match the right-hand side as a pattern (quoted parts
 * literally) and `<`/`>` compare strings. Status 0 true, 1 false, 2 an error.
 */
export async function evalCond(tokens: Array<{ op: boolean; v: string }>, sh: Shell, fds: Fds): Promise<number> {
  let i = 0;
  const ctx = sh.builtinContext(fds);
  // Inside the unevaluated side of `&&`/`||` words are parsed but not expanded or tested (as mksh does).
  let skipping = 0;
  const text = async (raw: string) => skipping ? '' : (await sh.expandPieces(raw, fds, false)).map((p) => p.text).join('');
  const UNARY = new Set(['-e', '-f', '-d', '-r', '-w', '-x', '-s', '-L', '-h', '-t', '-c', '-p', '-S', '-b', '-a', '-z', '-n', '-o']);
  const BINARY = new Set(['=', '==', '!=', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '<', '>', '-nt', '-ot', '-ef']);
  const isOp = (k: number, v: string) => tokens[k] !== undefined && tokens[k].v === v && (tokens[k].op || !['&&', '||'].includes(v));
  const syntax = (what: string) => new ShellError(`syntax error: '${what}' unexpected`);

  const test = async (args: string[]): Promise<boolean> => {
    if (skipping) return false;
    const s = await evalTest(args, ctx);
    if (s === 2) throw new CondFailed();
    return s === 0;
  };

  const primary = async (): Promise<boolean> => {
    const t = tokens[i];
    if (t === undefined) throw syntax(']]');
    if (!t.op && t.v === '!') {
      i++;
      return !(await primary());
    }
    if (t.op && t.v === '(') {
      i++;
      const v = await orExpr();
      if (!isOp(i, ')')) throw syntax(tokens[i]?.v ?? ']]');
      i++;
      return v;
    }
    if (t.op) throw syntax(t.v);
    const next = tokens[i + 1];
    if (next && BINARY.has(next.v) && tokens[i + 2] && !(next.op && !['<', '>'].includes(next.v))) {
      const l = await text(t.v);
      const rTok = tokens[i + 2];
      if (rTok.op) throw syntax(rTok.v);
      i += 3;
      if (next.v === '=' || next.v === '==' || next.v === '!=') {
        if (skipping) return false;
        const hit = matchPattern(await sh.expandPattern(rTok.v, fds), l);
        return next.v === '!=' ? !hit : hit;
      }
      const r = await text(rTok.v);
      if (next.v === '<') return l < r;
      if (next.v === '>') return l > r;
      return test([l, next.v, r]);
    }
    if (UNARY.has(t.v) && next && !next.op) {
      i += 2;
      const v = await text(next.v);
      if (t.v === '-o') return sh.opts[v as keyof typeof sh.opts] === true;
      return test([t.v, v]);
    }
    i++;
    return (await text(t.v)) !== '';
  };
  /** The right side of `&&`/`||`: evaluated unless `skip` (then the result is `known`). */
  const side = async (skip: boolean, known: boolean, parse: () => Promise<boolean> = primary): Promise<boolean> => {
    if (skip) skipping++;
    try {
      const r = await parse();
      return skip ? known : r;
    } finally {
      if (skip) skipping--;
    }
  };
  const andExpr = async (): Promise<boolean> => {
    let v = await primary();
    while (tokens[i]?.op && tokens[i].v === '&&') {
      i++;
      v = await side(!v, v);
    }
    return v;
  };
  const orExpr = async (): Promise<boolean> => {
    let v = await andExpr();
    while (tokens[i]?.op && tokens[i].v === '||') {
      i++;
      v = await side(v, v, andExpr);
    }
    return v;
  };

  if (!tokens.length) throw syntax(']]');
  try {
    const v = await orExpr();
    if (i < tokens.length) throw syntax(tokens[i].v);
    return v ? 0 : 1;
  } catch (e) {
    if (e instanceof CondFailed) return 2;
    throw e;
  }
}

class CondFailed extends Error {}
