import { Sandbox } from '../sandbox';
import { isDevPath } from '../os/devfs';
import { isSysPath, sysFile, sysList } from '../os/sysfs';
import type { BuiltinContext } from './builtins';

/**
 * `test`/`[`: file tests (-e -f -d -r -w -x -s -L -h -t -c -p), strings (-z -n = != ==), integers (-eq -ne -lt
 * -le -gt -ge), `!`, `-a`, `-o` and parentheses. Status 0 true, 1 false, 2 an error (with mksh's message).
 */
export async function evalTest(args: string[], c: BuiltinContext): Promise<number> {
  let i = 0;
  const sh = c.shell;
  const fsb = sh.device.fs;
  const uid = sh.proc.uid;

  const fileTest = async (op: string, p: string): Promise<boolean> => {
    if (op === '-t') return /^\d+$/.test(p) && sh.tty && Number(p) <= 2;
    if (p === '') return false;
    const abs = Sandbox.normalize(p, sh.cwd);
    if (isDevPath(abs)) return ['-e', '-c', '-r', '-w'].includes(op);
    if (abs === '/proc' || abs.startsWith('/proc/')) return op === '-e' || op === '-r' || (op === '-d' && !/\/(status|cmdline|stat|uptime|meminfo|cpuinfo|version|loadavg)$/.test(abs)) || (op === '-f' && /\/[a-z]+$/.test(abs) && !/^\/proc\/\d+$/.test(abs));
    if (isSysPath(abs) && (sysFile(sh.device, abs) !== undefined || sysList(sh.device, abs))) {
      const dir = sysList(sh.device, abs) !== undefined;
      return op === '-e' || op === '-a' || op === '-r' || (op === '-d' && dir) || (op === '-f' && !dir) || (op === '-s' && !dir);
    }
    try {
      const follow = op !== '-L' && op !== '-h';
      const info = await fsb.info(abs, '/', follow);
      switch (op) {
        case '-e': case '-a': return true;
        case '-f': return info.type === 'file';
        case '-d': return info.type === 'dir';
        case '-L': case '-h': return info.type === 'link';
        case '-s': return info.size > 0;
        case '-c': return info.type === 'char';
        case '-p': case '-S': case '-b': return false;
        case '-r': case '-w': case '-x': {
          const access = op === '-r' ? (info.type === 'dir' ? 'list' : 'read') : op === '-w' ? 'write' : 'exec';
          try {
            await fsb.resolve(abs, '/', access, uid);
            return true;
          } catch {
            return false;
          }
        }
        default: return false;
      }
    } catch {
      return false;
    }
  };

  const intOf = async (s: string): Promise<number | undefined> => {
    const t = s.trim();
    if (/^[-+]?\d+$/.test(t)) return Number(t);
    await c.err(`test: ${s}: bad number`);
    return undefined;
  };

  const UNARY = new Set(['-e', '-f', '-d', '-r', '-w', '-x', '-s', '-L', '-h', '-t', '-c', '-p', '-S', '-b', '-a', '-z', '-n']);
  const BINARY = new Set(['=', '==', '!=', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '<', '>', '-nt', '-ot', '-ef']);

  let error = false;
  const primary = async (): Promise<boolean> => {
    const a = args[i];
    if (a === undefined) { error = true; return false; }
    if (a === '!' && i + 1 < args.length) {
      i++;
      return !(await primary());
    }
    if (a === '(' && args.length - i >= 3) {
      i++;
      const v = await orExpr();
      if (args[i] !== ')') { error = true; await c.err('test: missing )'); return false; }
      i++;
      return v;
    }
    if (BINARY.has(args[i + 1] ?? '') && i + 2 < args.length) {
      const l = a;
      const op = args[i + 1];
      const r = args[i + 2];
      i += 3;
      switch (op) {
        case '=': case '==': return l === r;
        case '!=': return l !== r;
        case '<': return l < r;
        case '>': return l > r;
        case '-nt': case '-ot': case '-ef': {
          const li = await fsb.info(l, sh.cwd).catch(() => undefined);
          const ri = await fsb.info(r, sh.cwd).catch(() => undefined);
          if (op === '-ef') return !!li && !!ri && li.ino === ri.ino;
          if (op === '-nt') return !!li && (!ri || li.mtimeMs > ri.mtimeMs);
          return !!ri && (!li || li.mtimeMs < ri.mtimeMs);
        }
        default: {
          const x = await intOf(l);
          const y = await intOf(r);
          if (x === undefined || y === undefined) { error = true; return false; }
          return op === '-eq' ? x === y : op === '-ne' ? x !== y : op === '-lt' ? x < y : op === '-le' ? x <= y : op === '-gt' ? x > y : x >= y;
        }
      }
    }
    if (UNARY.has(a) && i + 1 < args.length) {
      const v = args[i + 1];
      i += 2;
      if (a === '-z') return v === '';
      if (a === '-n') return v !== '';
      return fileTest(a, v);
    }
    i++;
    return a !== '';
  };
  const andExpr = async (): Promise<boolean> => {
    let v = await primary();
    while (args[i] === '-a') {
      i++;
      const r = await primary();
      v = v && r;
    }
    return v;
  };
  const orExpr = async (): Promise<boolean> => {
    let v = await andExpr();
    while (args[i] === '-o') {
      i++;
      const r = await andExpr();
      v = v || r;
    }
    return v;
  };

  if (!args.length) return 1;
  const v = await orExpr();
  if (error) return 2;
  if (i < args.length) {
    await c.err(`test: ${args[i]}: unexpected operator/operand`);
    return 2;
  }
  return v ? 0 : 1;
}
