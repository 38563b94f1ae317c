import { Sandbox } from '../sandbox';
import { findCommand } from '../commands';
import { readFileAt } from '../os/files';
import { errnoText } from '../commands/types';
import { shQuote } from '../commands/toybox/system';
import type { Fds, Shell } from './interp';
import { ExitSignal, LoopSignal, ReturnSignal } from './interp';
import { evalTest } from './test';

export interface BuiltinContext {
  shell: Shell;
  fds: Fds;
  /** Writes `sh: MESSAGE` to stderr. */
  err(message: string): Promise<void>;
}

type Builtin = (argv: string[], c: BuiltinContext) => Promise<number>;

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, CHLD: 17, EXIT: 0 };

function sigName(s: string): string | undefined {
  const up = s.toUpperCase().replace(/^SIG/, '');
  if (SIGNALS[up] !== undefined) return up;
  const n = Number(s);
  return Object.keys(SIGNALS).find((k) => SIGNALS[k] === n);
}

/** mksh's `echo`/`print` escapes: \a \b \c (stop) \e \f \n \r \t \v \\ \0nnn. */
function printEscapes(s: string): { text: string; stop: boolean } {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\' || i + 1 >= s.length) { out += s[i]; continue; }
    const n = s[++i];
    switch (n) {
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'c': return { text: out, stop: true };
      case 'e': case 'E': out += '\x1b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '0': {
        const m = /^[0-7]{0,3}/.exec(s.slice(i + 1)) as RegExpExecArray;
        out += String.fromCharCode(parseInt(m[0] || '0', 8) & 0xff);
        i += m[0].length;
        break;
      }
      default: out += `\\${n}`;
    }
  }
  return { text: out, stop: false };
}

/** Single-quotes a word for the shell unless it is plainly safe. */

const assignWord = /^([A-Za-z_][A-Za-z0-9_]*)(=([\s\S]*))?$/;

export const SHELL_BUILTINS: Record<string, Builtin> = {
  ':': async () => 0,
  true: async () => 0,
  false: async () => 1,
  echo: async (argv, c) => {
    let args = argv.slice(1);
    let newline = true;
    let escapes = true;
    while (args.length && /^-[neE]+$/.test(args[0])) {
      for (const f of args[0].slice(1)) {
        if (f === 'n') newline = false;
        else if (f === 'e') escapes = true;
        else escapes = false;
      }
      args = args.slice(1);
    }
    const joined = args.join(' ');
    const { text, stop } = escapes ? printEscapes(joined) : { text: joined, stop: false };
    await c.fds[1].write(text + (newline && !stop ? '\n' : ''));
    return 0;
  },
  print: async (argv, c) => {
    let args = argv.slice(1);
    let newline = true;
    let raw = false;
    while (args.length && /^-[nrRe]+$/.test(args[0])) {
      if (args[0].includes('n')) newline = false;
      if (args[0].includes('r') || args[0].includes('R')) raw = true;
      args = args.slice(1);
    }
    if (args[0] === '--') args = args.slice(1);
    const joined = args.join(' ');
    const { text, stop } = raw ? { text: joined, stop: false } : printEscapes(joined);
    await c.fds[1].write(text + (newline && !stop ? '\n' : ''));
    return 0;
  },
  pwd: async (argv, c) => {
    // -P: the physical folder, every symlink resolved (/sdcard → /storage/emulated/0).
    if (argv.includes('-P')) {
      let abs = c.shell.cwd;
      try {
        abs = await c.shell.device.fs.realpath(c.shell.cwd, '/', c.shell.proc.uid);
      } catch { /* keep the logical path */ }
      await c.fds[1].write(`${abs}\n`);
      return 0;
    }
    await c.fds[1].write(`${c.shell.cwd}\n`);
    return 0;
  },
  cd: async (argv, c) => {
    const sh = c.shell;
    let target = argv.filter((a) => a !== '-P' && a !== '-L')[1] ?? sh.getVar('HOME') ?? '/';
    if (target === '-') {
      target = sh.getVar('OLDPWD') ?? sh.cwd;
      await c.fds[1].write(`${target}\n`);
    }
    const abs = Sandbox.normalize(target, sh.cwd);
    try {
      const info = await sh.device.fs.info(abs, '/');
      if (info.type !== 'dir') throw Object.assign(new Error('Not a directory'), { code: 'ENOTDIR' });
      await sh.device.fs.resolve(abs, '/', 'exec', sh.proc.uid).catch((e: { code?: string }) => {
        if (e.code === 'EACCES') throw e;
      });
    } catch (e) {
      await c.err(`cd: ${target}: ${errnoText(e)}`);
      return 2;
    }
    sh.setVar('OLDPWD', sh.cwd);
    sh.setVar('PWD', abs);
    return 0;
  },
  export: async (argv, c) => {
    const sh = c.shell;
    const args = argv.slice(1).filter((a) => a !== '-p');
    if (!args.length) {
      for (const k of [...sh.exported].sort()) {
        const v = sh.getVar(k);
        if (v !== undefined) await c.fds[1].write(`export ${k}=${quoteValue(v)}\n`);
      }
      return 0;
    }
    for (const a of args) {
      const m = assignWord.exec(a);
      if (!m) { await c.err(`export: ${a}: is not an identifier`); return 1; }
      if (m[2] !== undefined) sh.setVar(m[1], m[3]);
      sh.exported.add(m[1]);
    }
    return 0;
  },
  readonly: async (argv, c) => {
    for (const a of argv.slice(1).filter((x) => x !== '-p')) {
      const m = assignWord.exec(a);
      if (!m) { await c.err(`readonly: ${a}: is not an identifier`); return 1; }
      if (m[2] !== undefined) c.shell.setVar(m[1], m[3]);
      c.shell.readonlyVars.add(m[1]);
    }
    return 0;
  },
  // mksh's typeset: -i (integer), -u/-l (case), -x (export), -r (readonly); inside a function, local.
  typeset: async (argv, c) => {
    const sh = c.shell;
    const on = new Set<string>();
    const off = new Set<string>();
    const names: string[] = [];
    for (const a of argv.slice(1)) {
      if (/^[-+][ilurxZLRf]+$/.test(a)) { for (const ch of a.slice(1)) (a[0] === '-' ? on : off).add(ch); continue; }
      names.push(a);
    }
    if (!names.length) {
      for (const k of [...sh.vars.keys()].sort()) if (![...on].length || [...on].every((f) => (f === 'x' ? sh.exported.has(k) : f === 'r' ? sh.readonlyVars.has(k) : sh.attrs.get(k)?.has(f)))) await c.fds[1].write(`${k}\n`);
      return 0;
    }
    for (const a of names) {
      const m = assignWord.exec(a);
      if (!m) { await c.err(`typeset: ${a}: is not an identifier`); return 1; }
      const name = m[1];
      if (argv[0] !== 'export') sh.declareLocal(name);
      const attrs = new Set(sh.attrs.get(name) ?? []);
      for (const f of ['i', 'u', 'l']) { if (on.has(f)) attrs.add(f); if (off.has(f)) attrs.delete(f); }
      if (on.has('u')) attrs.delete('l');
      if (on.has('l')) attrs.delete('u');
      if (attrs.size) sh.attrs.set(name, attrs); else sh.attrs.delete(name);
      const value = m[2] !== undefined ? m[3] : sh.getVar(name);
      if (value !== undefined) sh.setVar(name, value);
      if (on.has('x')) sh.exported.add(name);
      if (off.has('x')) sh.exported.delete(name);
      if (on.has('r')) sh.readonlyVars.add(name);
    }
    return 0;
  },
  local: async (argv, c) => {
    for (const a of argv.slice(1)) {
      const m = assignWord.exec(a);
      if (!m) { await c.err(`local: ${a}: is not an identifier`); return 1; }
      c.shell.declareLocal(m[1]);
      if (m[2] !== undefined) c.shell.setVar(m[1], m[3]);
    }
    return 0;
  },
  unset: async (argv, c) => {
    const fn = argv[1] === '-f';
    for (const a of argv.slice(1).filter((x) => x !== '-f' && x !== '-v')) {
      if (fn) c.shell.functions.delete(a);
      else {
        try {
          c.shell.unsetVar(a);
        } catch (e) {
          await c.err(`unset: ${(e as Error).message}`);
          return 1;
        }
      }
    }
    return 0;
  },
  set: async (argv, c) => {
    const sh = c.shell;
    if (argv.length === 1) {
      for (const k of [...sh.vars.keys()].sort()) await c.fds[1].write(`${k}=${quoteValue(sh.vars.get(k) as string)}\n`);
      return 0;
    }
    // mksh: set -A NAME values… (a new array), set +A NAME values… (overwrite the first elements).
    if ((argv[1] === '-A' || argv[1] === '+A') && argv[2] !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(argv[2])) { await c.err(`set: ${argv[2]}: is not an identifier`); return 1; }
      sh.setArray(argv[2], argv.slice(argv[3] === '--' ? 4 : 3), argv[1] === '-A');
      return 0;
    }
    let i = 1;
    for (; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--') { i++; sh.positional = argv.slice(i); return 0; }
      if (a === '-o' || a === '+o') {
        const name = argv[++i];
        const on = a === '-o';
        if (name === 'errexit') sh.opts.errexit = on;
        else if (name === 'xtrace') sh.opts.xtrace = on;
        else if (name === 'nounset') sh.opts.nounset = on;
        else if (name === 'noglob') sh.opts.noglob = on;
        else if (name === 'pipefail') sh.opts.pipefail = on;
        else if (name === 'posix') { /* accepted */ } else if (name === undefined) {
          await c.fds[1].write(`errexit\t${sh.opts.errexit ? 'on' : 'off'}\nnoglob\t${sh.opts.noglob ? 'on' : 'off'}\nnounset\t${sh.opts.nounset ? 'on' : 'off'}\npipefail\t${sh.opts.pipefail ? 'on' : 'off'}\nxtrace\t${sh.opts.xtrace ? 'on' : 'off'}\n`);
        } else { await c.err(`set: -o: ${name}: unknown option`); return 1; }
        continue;
      }
      if (/^[-+][A-Za-z]+$/.test(a)) {
        const on = a[0] === '-';
        for (const f of a.slice(1)) {
          if (f === 'e') sh.opts.errexit = on;
          else if (f === 'x') sh.opts.xtrace = on;
          else if (f === 'u') sh.opts.nounset = on;
          else if (f === 'f') sh.opts.noglob = on;
          else if ('vahmnbCo'.includes(f)) { /* accepted, no effect here */ } else { await c.err(`set: -${f}: unknown option`); return 1; }
        }
        continue;
      }
      break;
    }
    if (i < argv.length) sh.positional = argv.slice(i);
    return 0;
  },
  shift: async (argv, c) => {
    const n = argv[1] === undefined ? 1 : Number(argv[1]);
    if (!Number.isInteger(n) || n < 0 || n > c.shell.positional.length) { await c.err(`shift: ${argv[1] ?? 1}: bad number`); return 1; }
    c.shell.positional = c.shell.positional.slice(n);
    return 0;
  },
  exit: async (argv, c) => {
    const code = argv[1] === undefined ? c.shell.lastExit : Number(argv[1]);
    if (!Number.isFinite(code)) { await c.err(`exit: ${argv[1]}: bad number`); throw new ExitSignal(1); }
    throw new ExitSignal(code & 0xff);
  },
  return: async (argv, c) => {
    throw new ReturnSignal(argv[1] === undefined ? c.shell.lastExit : Number(argv[1]) & 0xff);
  },
  break: async (argv) => {
    throw new LoopSignal('break', Math.max(1, Number(argv[1] ?? 1) || 1));
  },
  continue: async (argv) => {
    throw new LoopSignal('continue', Math.max(1, Number(argv[1] ?? 1) || 1));
  },
  read: async (argv, c) => {
    let raw = false;
    let prompt: string | undefined;
    let delim = '\n';
    let nchars: number | undefined;
    const names: string[] = [];
    let arrayName: string | undefined;
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i];
      if (a === '-r') raw = true;
      else if (a === '-A' || a === '-rA' || a === '-Ar') { raw = raw || a.includes('r'); arrayName = argv[++i]; }
      else if (a === '-p') prompt = argv[++i];
      else if (a === '-d') delim = argv[++i] ?? '\n';
      else if (a === '-n' || a === '-N') nchars = Number(argv[++i]);
      else if (a === '-t' || a === '-u') i++;
      else if (/^-[rs]+$/.test(a)) raw = raw || a.includes('r');
      else names.push(a);
    }
    if (prompt !== undefined && c.shell.tty) await c.fds[2].write(prompt);
    if (!names.length) names.push('REPLY');
    const input = c.fds[0];
    let line: string | null;
    if (nchars !== undefined || delim !== '\n') {
      const parts: Buffer[] = [];
      let got = 0;
      line = null;
      for (;;) {
        const b = await input.read();
        if (b === null) { line = parts.length ? Buffer.concat(parts).toString() : null; break; }
        const end = delim === '' ? b.indexOf(0) : b.indexOf(delim.charCodeAt(0));
        const limit = nchars !== undefined ? Math.min(b.length, nchars - got) : b.length;
        const cut = end >= 0 && end < limit ? end : limit;
        parts.push(b.subarray(0, cut));
        got += cut;
        const consumed = end >= 0 && end < limit ? cut + 1 : cut;
        input.unread(b.subarray(consumed));
        if ((end >= 0 && end < limit) || (nchars !== undefined && got >= nchars)) { line = Buffer.concat(parts).toString(); break; }
      }
    } else {
      line = await input.readLine();
      while (!raw && line !== null && line.endsWith('\\')) {
        const next = await input.readLine();
        line = line.slice(0, -1) + (next ?? '');
        if (next === null) break;
      }
    }
    if (line === null) {
      for (const n of names) c.shell.setVar(n, '');
      return 1;
    }
    if (!raw) line = line.replace(/\\(.)/g, '$1');
    const ifs = c.shell.getVar('IFS') ?? ' \t\n';
    const white = [...ifs].filter((ch) => ' \t\n'.includes(ch)).join('');
    let rest = line;
    if (white) rest = rest.replace(new RegExp(`^[${escapeClass(white)}]+|[${escapeClass(white)}]+$`, 'g'), '');
    if (arrayName !== undefined) {
      // mksh `read -A NAME`: every field an element of a new array.
      const fields = rest === '' ? [] : ifs ? rest.split(new RegExp(`[${escapeClass(white || ' ')}]*[${escapeClass(ifs)}][${escapeClass(white || ' ')}]*`)) : [rest];
      c.shell.setArray(arrayName, fields);
      return 0;
    }
    for (let k = 0; k < names.length; k++) {
      if (k === names.length - 1 || !ifs) {
        c.shell.setVar(names[k], rest);
        rest = '';
        continue;
      }
      const m = new RegExp(`^([^${escapeClass(ifs)}]*)(?:[${escapeClass(white || ' ')}]*[${escapeClass(ifs)}][${escapeClass(white || ' ')}]*|$)`).exec(rest);
      const field = m ? m[1] : rest;
      c.shell.setVar(names[k], field);
      rest = m ? rest.slice(m[0].length) : '';
    }
    return 0;
  },
  trap: async (argv, c) => {
    const sh = c.shell;
    const args = argv.slice(1);
    if (!args.length || args[0] === '-p') {
      for (const [sig, action] of sh.traps) await c.fds[1].write(`trap -- ${quoteValue(action)} ${sig}\n`);
      return 0;
    }
    if (args[0] === '-l') {
      await c.fds[1].write(Object.entries(SIGNALS).filter(([k]) => k !== 'EXIT').map(([k, v]) => `${v}) SIG${k}`).join('\n') + '\n');
      return 0;
    }
    const single = args.length === 1 || /^\d+$/.test(args[0]);
    const action = single ? '-' : args[0];
    for (const s of single ? args : args.slice(1)) {
      const name = sigName(s);
      if (!name) { await c.err(`trap: bad signal '${s}'`); return 1; }
      if (action === '-') sh.traps.delete(name);
      else sh.traps.set(name, action);
    }
    return 0;
  },
  eval: async (argv, c) => c.shell.run(argv.slice(1).join(' '), c.fds),
  '.': async (argv, c) => sourceFile(argv, c),
  source: async (argv, c) => sourceFile(argv, c),
  exec: async (argv, c) => {
    if (argv.length === 1) return 0;
    const status = await c.shell.external(argv.slice(1), [], c.fds);
    throw new ExitSignal(status);
  },
  test: async (argv, c) => evalTest(argv.slice(1), c),
  // mksh: `let EXPR…` evaluates each argument; status 0 when the last value is not zero.
  let: async (argv, c) => {
    if (argv.length < 2) { await c.err('let: missing expression'); return 1; }
    let v = 0;
    for (const e of argv.slice(1)) v = c.shell.arith(e);
    return v !== 0 ? 0 : 1;
  },
  // mksh's `time COMMAND`: runs it, then its times on stderr as mksh prints them ("    0m00.02s real …").
  time: async (argv, c) => {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const rest = argv.slice(1);
    let status = 0;
    if (rest.length) {
      const b = SHELL_BUILTINS[rest[0]];
      status = c.shell.functions.has(rest[0]) || !b ? await c.shell.run(rest.map(shQuote).join(' '), c.fds) : await b(rest, c);
    }
    const real = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    const fmt = (sec: number) => {
      const cs = Math.floor(sec * 100);
      return `${String(Math.floor(cs / 6000)).padStart(5)}m${String(Math.floor((cs % 6000) / 100)).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}s`;
    };
    await c.fds[2].write(`${fmt(real)} real ${fmt(Math.min(real, used.user / 1e6))} user ${fmt(Math.min(real, used.system / 1e6))} system\n`);
    return status;
  },
  '[': async (argv, c) => {
    if (argv[argv.length - 1] !== ']') { await c.err("[: missing ]"); return 2; }
    return evalTest(argv.slice(1, -1), c);
  },
  command: async (argv, c) => {
    const args = argv.slice(1);
    if (args[0] === '-v' || args[0] === '-V') {
      let status = 0;
      for (const n of args.slice(1)) {
        const what = describe(n, c.shell);
        if (!what) { status = 1; if (args[0] === '-V') await c.err(`${n}: not found`); continue; }
        await c.fds[1].write(args[0] === '-v' ? `${what.kind === 'file' ? what.path : n}\n` : `${n} is ${what.text}\n`);
      }
      return status;
    }
    const real = args[0] === '-p' ? args.slice(1) : args;
    if (!real.length) return 0;
    const b = SHELL_BUILTINS[real[0]];
    if (b) return b(real, c);
    return c.shell.external(real, [], c.fds);
  },
  type: async (argv, c) => {
    let status = 0;
    for (const n of argv.slice(1)) {
      const what = describe(n, c.shell);
      if (!what) { await c.fds[2].write(`${n} not found\n`); status = 1; continue; }
      await c.fds[1].write(`${n} is ${what.text}\n`);
    }
    return status;
  },
  // mksh's kill is a builtin that knows job specs (%1, %%, %+, %-); the signalling itself is toybox's here.
  kill: async (argv, c) => {
    const args: string[] = [];
    for (const a of argv) {
      if (!a.startsWith('%')) { args.push(a); continue; }
      const pid = c.shell.jobPid(a);
      if (pid === undefined) { await c.err(`kill: ${a}: no such job`); return 1; }
      args.push(String(pid));
    }
    return c.shell.external(args, [], c.fds);
  },
  wait: async (argv, c) => {
    const sh = c.shell;
    const pids = argv.slice(1).map((a) => (a.startsWith('%') ? sh.jobPid(a) ?? -1 : Number(a)));
    // mksh: `wait` with no operands waits for every job and returns 0; with pids, the last one's status
    // (127 for a pid that is not a job of this shell).
    let status = 0;
    for (const pid of pids.length ? pids : [...sh.jobs.keys()]) {
      const job = sh.jobs.get(pid);
      if (!job) { status = 127; continue; }
      status = await job;
      sh.jobs.delete(pid);
    }
    return pids.length ? status : 0;
  },
  umask: async (argv, c) => {
    if (argv.length === 1) await c.fds[1].write('0000\n');
    return 0;
  },
  ulimit: async (argv, c) => {
    if (!argv.slice(1).some((a) => /^\d+$/.test(a))) await c.fds[1].write('unlimited\n');
    return 0;
  },
  alias: async () => 0,
  unalias: async () => 0,
  times: async (_a, c) => {
    await c.fds[1].write('0m0.00s 0m0.00s\n0m0.00s 0m0.00s\n');
    return 0;
  },
  getopts: async (argv, c) => {
    const sh = c.shell;
    const [, spec, name, ...rest] = argv;
    if (!spec || !name) { await c.err('getopts: usage: getopts optstring name [arg ...]'); return 2; }
    const args = rest.length ? rest : sh.positional;
    let ind = Number(sh.getVar('OPTIND') ?? '1') || 1;
    let sub = Number(sh.getVar('_OPTSUB') ?? '1') || 1;
    const a = args[ind - 1];
    if (a === undefined || !a.startsWith('-') || a === '-' ) { sh.setVar(name, '?'); return 1; }
    if (a === '--') { sh.setVar('OPTIND', String(ind + 1)); sh.setVar(name, '?'); return 1; }
    const ch = a[sub];
    const k = spec.indexOf(ch);
    const next = () => { if (sub + 1 < a.length) sub++; else { ind++; sub = 1; } };
    if (k < 0 || ch === ':') {
      await c.err(`getopts: ${ch}: unknown option`);
      sh.setVar(name, '?');
      next();
    } else if (spec[k + 1] === ':') {
      let val = a.slice(sub + 1);
      ind++;
      sub = 1;
      if (!val) { val = args[ind - 1] ?? ''; ind++; }
      sh.setVar('OPTARG', val);
      sh.setVar(name, ch);
    } else {
      sh.setVar(name, ch);
      next();
    }
    sh.setVar('OPTIND', String(ind));
    sh.setVar('_OPTSUB', String(sub));
    return 0;
  },
};

function escapeClass(s: string): string {
  return s.replace(/[\\\]^-]/g, '\\$&').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
}

function quoteValue(v: string): string {
  return /^[\w@%+=:,./-]*$/.test(v) && v !== '' ? v : `'${v.replace(/'/g, "'\\''")}'`;
}

function describe(n: string, sh: Shell): { kind: 'function' | 'builtin' | 'file'; text: string; path?: string } | undefined {
  if (sh.functions.has(n)) return { kind: 'function', text: 'a function' };
  if (SHELL_BUILTINS[n]) return { kind: 'builtin', text: 'a shell builtin' };
  if (findCommand(n)) return { kind: 'file', text: `/system/bin/${n}`, path: `/system/bin/${n}` };
  return undefined;
}

async function sourceFile(argv: string[], c: BuiltinContext): Promise<number> {
  const file = argv[1];
  if (!file) { await c.err(`${argv[0]}: filename argument required`); return 2; }
  let text: string;
  try {
    text = (await readFileAt({ device: c.shell.device, fs: c.shell.device.fs, cwd: c.shell.cwd, uid: c.shell.proc.uid }, file)).toString('utf8');
  } catch (e) {
    await c.err(`${file}: ${errnoText(e)}`);
    return 1;
  }
  const saved = c.shell.positional;
  if (argv.length > 2) c.shell.positional = argv.slice(2);
  try {
    return await c.shell.run(text, c.fds);
  } catch (e) {
    if (e instanceof ReturnSignal) return e.code;
    throw e;
  } finally {
    c.shell.positional = saved;
  }
}
