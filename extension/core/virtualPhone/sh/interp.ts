import { promises as fs } from 'node:fs';
import type { VirtualDevice } from '../device';
import { Sandbox } from '../sandbox';
import { Abort, bufferReader, EMPTY, Pipe, type AbortLike, type Io, type Reader } from '../os/io';
import { openReader } from '../os/files';
import { isDevPath } from '../os/devfs';
import type { Proc } from '../os/processes';
import { findCommand } from '../commands';
import { errnoText, type CommandContext } from '../commands/types';
import { ShellSyntaxError, type Node, type Redirect } from './ast';
import { parseScript, skipConstruct } from './parser';
import { evalArith, ArithError } from './arith';
import { escapeLiteral, expandPathname, hasGlobChars, matchPattern, patternSource, unescapePattern } from './glob';
import { CaptureWriter, FileWriter, InStream, NULL_WRITER, pipeWriter, type Writer } from './streams';
import { SHELL_BUILTINS, type BuiltinContext } from './builtins';
import { evalCond } from './cond';
import { isSysPath, sysList } from '../os/sysfs';

export const SH = '/system/bin/sh';
const MAX_DEPTH = 200;

/** The phone's default environment (what adbd gives a shell on Android 14). */
export function defaultEnv(device: VirtualDevice): Record<string, string> {
  return {
    PATH: '/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin',
    HOME: '/',
    SHELL: SH,
    USER: 'shell',
    LOGNAME: 'shell',
    HOSTNAME: device.profile.device,
    TMPDIR: '/data/local/tmp',
    ANDROID_DATA: '/data',
    ANDROID_ROOT: '/system',
    ANDROID_STORAGE: '/storage',
    EXTERNAL_STORAGE: '/sdcard',
    ANDROID_ASSETS: '/system/app',
    ANDROID_ART_ROOT: '/apex/com.android.art',
    ANDROID_I18N_ROOT: '/apex/com.android.i18n',
    ANDROID_TZDATA_ROOT: '/apex/com.android.tzdata',
    BOOTCLASSPATH: '/apex/com.android.art/javalib/core-oj.jar',
    ASEC_MOUNTPOINT: '/mnt/asec',
  };
}

export class ExitSignal { constructor(readonly code: number) {} }
export class ReturnSignal { constructor(readonly code: number) {} }
export class LoopSignal { constructor(readonly kind: 'break' | 'continue', public levels: number) {} }

/** The file descriptors a command runs with. */
export interface Fds {
  0: InStream;
  1: Writer;
  2: Writer;
  [fd: number]: InStream | Writer | undefined;
}

interface Piece { text: string; quoted: boolean; split: boolean; brk?: boolean }

export interface ShellInit {
  device: VirtualDevice;
  cwd?: string;
  env?: Record<string, string>;
  args?: string[];
  arg0?: string;
  tty?: boolean;
  parentPid?: number;
  /** The shell is a subshell/copy: shares the process of its parent. */
  proc?: Proc;
  /** The user a new shell process runs as (default: shell). */
  uid?: number;
}

/**
 * A shell as Android's /system/bin/sh (mksh) runs it, over the phone's files and commands: variables,
 * expansions, globbing, pipes running concurrently with back-pressure, redirections, compound commands,
 * functions, traps. Every command it runs gets a pid.
 */
export class Shell {
  readonly device: VirtualDevice;
  vars = new Map<string, string>();
  exported = new Set<string>();
  readonlyVars = new Set<string>();
  functions = new Map<string, Node>();
  positional: string[];
  arg0: string;
  cwd: string;
  lastExit = 0;
  lastBg: number | undefined;
  /** Set on a background job's shell whose lone simple command takes over the job's process (its pid is `$!`). */
  execInto: Proc | undefined;
  traps = new Map<string, string>();
  opts = { errexit: false, xtrace: false, nounset: false, noglob: false, pipefail: false };
  readonly tty: boolean;
  readonly proc: Proc;
  readonly ownsProc: boolean;
  /** Aborted on hangup (the host closed a pty session) or kill of the shell: the running command stops. */
  readonly signal = new Abort();
  jobs = new Map<number, Promise<number>>();
  /** Background jobs in the order started: job N (`%N`) is jobOrder[N-1], numbers stay as jobs end. */
  jobOrder: number[] = [];

  /** The pid of a job spec (%N, %%, %+, %-), undefined when there is no such job. */
  jobPid(spec: string): number | undefined {
    const m = /^%(%|\+|-|\d+)$/.exec(spec);
    if (!m) return undefined;
    const live = this.jobOrder.filter((pid) => this.jobs.has(pid));
    const pid = m[1] === '%' || m[1] === '+' ? live[live.length - 1] : m[1] === '-' ? live[live.length - 2] : this.jobOrder[Number(m[1]) - 1];
    return pid !== undefined && this.jobs.has(pid) ? pid : undefined;
  }
  /** The foreground job's abort (^C interrupts it without ending the shell); shared with copies of this shell. */
  private fg: { current: Abort } = { current: new Abort() };
  private depth = 0;
  private conditionDepth = 0;
  /** Local variable frames of running functions. */
  private locals: Array<Map<string, string | undefined>> = [];
  /** Subshell copies never run EXIT traps of their parent. */
  private exitTrapRun = false;

  constructor(init: ShellInit) {
    this.device = init.device;
    this.cwd = init.cwd ?? '/';
    this.positional = init.args ?? [];
    this.arg0 = init.arg0 ?? SH;
    this.tty = init.tty ?? false;
    const env = init.env ?? defaultEnv(init.device);
    for (const [k, v] of Object.entries(env)) {
      this.vars.set(k, v);
      this.exported.add(k);
    }
    if (!this.vars.has('IFS')) this.vars.set('IFS', ' \t\n');
    this.vars.set('PWD', this.cwd);
    this.exported.add('PWD');
    if (init.proc) {
      this.proc = init.proc;
      this.ownsProc = false;
    } else {
      this.proc = init.device.procs.spawn('sh', [SH], { ppid: init.parentPid ?? 620, uid: init.uid });
      this.ownsProc = true;
    }
    this.proc.abort.onAbort(() => this.signal.abort('killed'));
    if (!this.vars.has('PPID')) this.vars.set('PPID', String(this.proc.ppid));
    this.vars.set('PS1', '$HOSTNAME:$PWD $ ');
  }

  /** A copy for `( … )`, `$( … )` and pipeline stages: same variables and functions, changes stay inside. */
  clone(): Shell {
    const s = new Shell({ device: this.device, cwd: this.cwd, env: {}, args: [...this.positional], arg0: this.arg0, tty: this.tty, proc: this.proc });
    s.vars = new Map(this.vars);
    s.exported = new Set(this.exported);
    s.readonlyVars = new Set(this.readonlyVars);
    s.attrs = new Map(this.attrs);
    s.arrays = new Map([...this.arrays].map(([k, v]) => [k, new Map(v)]));
    s.functions = new Map(this.functions);
    s.lastExit = this.lastExit;
    s.lastBg = this.lastBg;
    s.opts = { ...this.opts };
    s.exitTrapRun = true;
    s.depth = this.depth;
    s.fg = this.fg;
    this.signal.onAbort(() => s.signal.abort('parent'));
    return s;
  }

  /** SIGINT to the foreground command (^C on a terminal). */
  interrupt(sig = 2): void {
    const cur = this.fg.current;
    this.fg.current = new Abort();
    cur.abort(sig === 1 ? 'SIGHUP' : 'SIGINT');
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Ends the shell's process (call once when the session is over). */
  dispose(): void {
    for (const w of this.permanentFiles.splice(0)) void w.close().catch(() => undefined);
    if (this.ownsProc) this.device.procs.exit(this.proc.pid);
  }

  env(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of this.exported) {
      const v = this.getVar(k);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }

  getVar(name: string): string | undefined {
    // mksh: every read of RANDOM is a new number 0…32767; SECONDS since the shell started; EPOCHREALTIME;
    // KSH_VERSION as Android's mksh R59 reports it; KSHUID/KSHGID the shell's ids.
    if (!this.vars.has(name)) {
      switch (name) {
        case 'RANDOM': return String(Math.floor(Math.random() * 32768));
        case 'SECONDS': return String(Math.floor((Date.now() - this.started) / 1000));
        case 'EPOCHREALTIME': return (Date.now() / 1000).toFixed(6);
        case 'KSH_VERSION': return '@(#)MIRBSD KSH R59 2020/10/31';
        case 'KSHUID': case 'KSHEGID': case 'KSHGID': return String(this.proc.uid);
        default:
      }
    }
    return this.vars.get(name);
  }

  readonly started = Date.now();

  /** mksh arrays: index → value; element 0 is also the scalar variable of the same name. */
  arrays = new Map<string, Map<number, string>>();

  setElement(name: string, index: number, value: string): void {
    if (index === 0) this.setVar(name, value);
    else if (this.readonlyVars.has(name)) throw new ShellError(`${name}: is read only`);
    let a = this.arrays.get(name);
    if (!a) {
      a = new Map();
      const v0 = this.vars.get(name);
      if (v0 !== undefined) a.set(0, v0);
      this.arrays.set(name, a);
    }
    a.set(index, index === 0 ? (this.vars.get(name) ?? value) : value);
  }

  /** An array's elements in index order (a scalar is an array of one). */
  elements(name: string): Array<[number, string]> {
    const a = this.arrays.get(name);
    const v0 = this.vars.get(name);
    const out = new Map(a ?? []);
    if (v0 !== undefined) out.set(0, v0);
    else out.delete(0);
    return [...out.entries()].sort((x, y) => x[0] - y[0]);
  }

  setArray(name: string, values: string[], clear = true): void {
    if (clear) { this.arrays.delete(name); this.vars.delete(name); }
    values.forEach((v, i) => this.setElement(name, i, v));
  }

  /** typeset attributes: i (integer: assignments are evaluated), u/l (upper/lower case). */
  attrs = new Map<string, Set<string>>();

  setVar(name: string, value: string): void {
    if (this.readonlyVars.has(name)) throw new ShellError(`${name}: is read only`);
    const a = this.attrs.get(name);
    if (a?.has('i')) value = String(this.arith(value || '0'));
    else if (a?.has('u')) value = value.toUpperCase();
    else if (a?.has('l')) value = value.toLowerCase();
    this.vars.set(name, value);
    if (name === 'PWD') this.cwd = value;
  }

  unsetVar(name: string): void {
    if (this.readonlyVars.has(name)) throw new ShellError(`${name}: is read only`);
    const el = /^([A-Za-z_][A-Za-z0-9_]*)\[([^\]]+)\]$/.exec(name);
    if (el) {
      const i = this.arith(el[2]);
      if (i === 0) this.vars.delete(el[1]);
      this.arrays.get(el[1])?.delete(i);
      return;
    }
    this.arrays.delete(name);
    this.vars.delete(name);
    this.exported.delete(name);
  }

  declareLocal(name: string): void {
    const frame = this.locals[this.locals.length - 1];
    if (frame && !frame.has(name)) frame.set(name, this.vars.get(name));
  }

  /** Parses and runs a script; syntax errors are reported as mksh does and give status 1 (2 for `sh -c`). */
  async run(src: string, fds: Fds): Promise<number> {
    let tree: Node;
    try {
      tree = parseScript(src);
    } catch (e) {
      if (e instanceof ShellSyntaxError) {
        await fds[2].write(`${this.arg0}: ${e.message}\n`);
        return (this.lastExit = 1);
      }
      throw e;
    }
    return this.runTree(tree, fds);
  }

  async runTree(tree: Node, fds: Fds): Promise<number> {
    try {
      return await this.exec(tree, fds);
    } catch (e) {
      if (e instanceof ExitSignal) return (this.lastExit = e.code);
      if (e instanceof ReturnSignal) return (this.lastExit = e.code);
      if (e instanceof LoopSignal) return this.lastExit;
      throw e;
    }
  }

  /** Runs the EXIT trap once (a shell ending normally or by `exit`). */
  async finish(fds: Fds): Promise<void> {
    if (this.exitTrapRun) return;
    this.exitTrapRun = true;
    const t = this.traps.get('EXIT');
    if (t) {
      const saved = this.lastExit;
      await this.runTree(parseSafe(t), fds).catch(() => undefined);
      this.lastExit = saved;
    }
  }

  /**
   * The host went away (SIGHUP): the running command stops; a HUP trap runs (with the shell's variables);
   * then the shell ends, as SIGHUP's default action would end it.
   */
  async hangup(fds: Fds): Promise<void> {
    const t = this.traps.get('HUP');
    this.interrupt(1);
    if (t !== undefined && t !== '') await this.runTree(parseSafe(t), fds).catch(() => undefined);
    this.signal.abort('hangup');
  }

  /* ---------------------------------------------------------------- execution */

  async exec(node: Node, fds: Fds): Promise<number> {
    if (this.signal.aborted) return (this.lastExit = 129);
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      await fds[2].write(`${this.arg0}: recursion too deep\n`);
      throw new ExitSignal(1);
    }
    try {
      const status = await this.execNode(node, fds);
      this.lastExit = status;
      return status;
    } catch (e) {
      if (e instanceof ShellError) {
        await fds[2].write(`${this.arg0}: ${e.message}\n`);
        if (e instanceof ExpansionError && !this.tty) throw new ExitSignal(1);
        return (this.lastExit = 1);
      }
      throw e;
    } finally {
      this.depth--;
    }
  }

  private async execNode(node: Node, fds: Fds): Promise<number> {
    switch (node.type) {
      case 'list': {
        let status = 0;
        for (const item of node.items) {
          // `exec 3>file` / `exec >log` earlier in this list: later commands run with those fds.
          if (this.permanentFds && this.permanentGen !== this.seenGen) { fds = this.permanentFds; this.seenGen = this.permanentGen; }
          if (item.background) {
            const job = this.clone();
            const bgProc = this.device.procs.spawn('sh', [SH], { ppid: this.pid, uid: this.proc.uid });
            // mksh forks for `cmd &` and the child execs a lone simple command: `$!` is then the command's own pid.
            if (isLoneSimple(item.node)) job.execInto = bgProc;
            const p = job.runTree(item.node, { ...fds, 0: InStream.of(EMPTY) }).catch(() => 1);
            this.lastBg = bgProc.pid;
            this.jobs.set(bgProc.pid, p.finally(() => this.device.procs.exit(bgProc.pid)));
            this.jobOrder.push(bgProc.pid);
            status = 0;
          } else {
            status = await this.exec(item.node, fds);
            this.checkErrexit(item.node, status);
          }
        }
        return status;
      }
      case 'andor': {
        this.conditionDepth++;
        let status: number;
        try {
          status = await this.exec(node.first, fds);
          for (let k = 0; k < node.rest.length; k++) {
            const r = node.rest[k];
            if ((r.op === '&&') === (status === 0)) {
              const last = k === node.rest.length - 1;
              if (last) this.conditionDepth--;
              try {
                status = await this.exec(r.node, fds);
              } finally {
                if (last) this.conditionDepth++;
              }
            }
          }
        } finally {
          this.conditionDepth--;
        }
        return status;
      }
      case 'pipeline': {
        if (node.negate) this.conditionDepth++;
        try {
          const s = node.commands.length === 1 ? await this.exec(node.commands[0], fds) : await this.pipeline(node.commands, fds);
          return node.negate ? (s === 0 ? 1 : 0) : s;
        } finally {
          if (node.negate) this.conditionDepth--;
        }
      }
      case 'simple':
        return this.simple(node, fds);
      case 'group':
        return this.withRedirects(node.redirects, fds, (f) => this.exec(node.body, f));
      case 'subshell':
        return this.withRedirects(node.redirects, fds, async (f) => {
          const sub = this.clone();
          const s = await sub.runTree(node.body, f);
          return s;
        });
      case 'function':
        this.functions.set(node.name, node.body);
        return 0;
      case 'arith':
        return this.withRedirects(node.redirects, fds, async (f) => {
          const expr = (await this.expandPieces(node.expr, f, true)).map((p) => p.text).join('');
          return this.arith(expr) !== 0 ? 0 : 1;
        });
      case 'cond':
        return this.withRedirects(node.redirects, fds, (f) => evalCond(node.tokens, this, f));
      case 'if':
        return this.withRedirects(node.redirects, fds, async (f) => {
          for (const c of node.clauses) {
            if ((await this.condition(c.cond, f)) === 0) return this.exec(c.body, f);
          }
          return node.elseBody ? this.exec(node.elseBody, f) : 0;
        });
      case 'while':
        return this.withRedirects(node.redirects, fds, async (f) => {
          let status = 0;
          for (;;) {
            if (this.signal.aborted) return 129;
            const c = await this.condition(node.cond, f);
            if ((c === 0) === node.until) break;
            const r = await this.loopBody(node.body, f);
            if (r === 'break') break;
            status = this.lastExit;
            await yieldToEventLoop();
          }
          return status;
        });
      case 'for':
        return this.withRedirects(node.redirects, fds, async (f) => {
          const items = node.items === undefined ? [...this.positional] : await this.expandWords(node.items, f);
          let status = 0;
          for (const it of items) {
            if (this.signal.aborted) return 129;
            this.setVar(node.name, it);
            const r = await this.loopBody(node.body, f);
            status = this.lastExit;
            if (r === 'break') break;
          }
          return status;
        });
      case 'case':
        return this.withRedirects(node.redirects, fds, async (f) => {
          const word = (await this.expandPieces(node.word, f, false)).map((p) => p.text).join('');
          let falling = false;
          for (const arm of node.arms) {
            let hit = falling;
            if (!hit) {
              for (const p of arm.patterns) {
                if (matchPattern(await this.expandPattern(p, f), word)) { hit = true; break; }
              }
            }
            if (hit) {
              const s = arm.body ? await this.exec(arm.body, f) : 0;
              if (!arm.fallthrough) return s;
              falling = true;
            }
          }
          return 0;
        });
      default:
        return 0;
    }
  }

  private checkErrexit(node: Node, status: number): void {
    if (!this.opts.errexit || status === 0 || this.conditionDepth > 0) return;
    if (node.type === 'andor' || (node.type === 'pipeline' && node.negate)) return;
    throw new ExitSignal(status);
  }

  private async condition(node: Node, fds: Fds): Promise<number> {
    this.conditionDepth++;
    try {
      return await this.exec(node, fds);
    } finally {
      this.conditionDepth--;
    }
  }

  private async loopBody(body: Node, fds: Fds): Promise<'break' | 'continue' | undefined> {
    try {
      await this.exec(body, fds);
      return undefined;
    } catch (e) {
      if (e instanceof LoopSignal) {
        if (e.levels > 1) {
          e.levels--;
          throw e;
        }
        return e.kind;
      }
      throw e;
    }
  }

  private async pipeline(cmds: Node[], fds: Fds): Promise<number> {
    const pipes = cmds.slice(1).map(() => new Pipe());
    const runs = cmds.map(async (cmd, i) => {
      const stdin = i === 0 ? fds[0] : InStream.of(pipes[i - 1]);
      const stdout: Writer = i === cmds.length - 1 ? fds[1] : pipeWriter(pipes[i]);
      const stageFds: Fds = { ...fds, 0: stdin, 1: stdout };
      const last = i === cmds.length - 1;
      try {
        // Every stage but the last runs in a subshell; the last in this shell (as ksh does: `… | read x` works).
        return last ? await this.exec(cmd, stageFds) : await this.clone().runTree(cmd, stageFds);
      } catch (e) {
        if (e instanceof ExitSignal) return e.code;
        throw e;
      } finally {
        if (!last) pipes[i].end();
        if (i > 0) pipes[i - 1].closeRead();
      }
    });
    const statuses = await Promise.all(runs);
    // mksh: PIPESTATUS holds every stage's status; with `set -o pipefail` the pipeline's status is the
    // rightmost non-zero one.
    this.setArray('PIPESTATUS', statuses.map(String));
    if (this.opts.pipefail) return [...statuses].reverse().find((x) => x !== 0) ?? 0;
    return statuses[statuses.length - 1];
  }

  /* ---------------------------------------------------------------- simple commands */

  private async simple(node: Extract<Node, { type: 'simple' }>, fds: Fds): Promise<number> {
    this.lastSubstStatus = undefined;
    const argv = await this.expandWords(node.words, fds);
    const assigns: Array<[string, string]> = [];
    const arrayAssigns: Array<() => void> = [];
    for (const a of node.assigns) {
      if (a.array) {
        const values = await this.expandWords(a.array, fds);
        arrayAssigns.push(() => this.setArray(a.name, values));
        continue;
      }
      const pieces = await this.expandPieces(a.value, fds, false, true);
      const value = pieces.map((p) => p.text).join('');
      if (a.index !== undefined) {
        const idx = this.arith((await this.expandPieces(a.index, fds, true)).map((p) => p.text).join(''));
        if (idx < 0) throw new ExpansionError(`${a.name}[${idx}]: bad index`);
        arrayAssigns.push(() => this.setElement(a.name, idx, value));
        continue;
      }
      assigns.push([a.name, value]);
    }
    try {
      for (const f of arrayAssigns) f();
    } catch (e) {
      await fds[2].write(`${this.arg0}: ${(e as Error).message}\n`);
      return 1;
    }
    if (this.opts.xtrace) await fds[2].write(`+ ${[...assigns.map(([k, v]) => `${k}=${v}`), ...argv].join(' ')}\n`);
    if (!argv.length) {
      try {
        for (const [k, v] of assigns) this.setVar(k, v);
      } catch (e) {
        await fds[2].write(`${this.arg0}: ${(e as Error).message}\n`);
        return 1;
      }
      const subst = this.lastSubstStatus ?? 0;
      if (!node.redirects.length) return subst;
      return this.withRedirects(node.redirects, fds, async () => subst);
    }
    const name = argv[0];
    return this.withRedirects(node.redirects, fds, async (f) => {
      const fn = this.functions.get(name);
      if (fn) return this.callFunction(fn, argv, assigns, f);
      const builtin = SHELL_BUILTINS[name];
      if (builtin) {
        const special = SPECIAL_BUILTINS.has(name);
        const saved = special ? undefined : assigns.map(([k]) => [k, this.vars.get(k)] as const);
        for (const [k, v] of assigns) this.setVar(k, v);
        try {
          return await builtin(argv, this.builtinContext(f));
        } finally {
          if (saved) for (const [k, v] of saved) restoreVar(this.vars, k, v);
        }
      }
      return this.external(argv, assigns, f);
    }, name === 'exec' && argv.length === 1);
  }

  lastSubstStatus: number | undefined;

  private async callFunction(body: Node, argv: string[], assigns: Array<[string, string]>, fds: Fds): Promise<number> {
    const savedArgs = this.positional;
    const frame = new Map<string, string | undefined>();
    for (const [k, v] of assigns) {
      frame.set(k, this.vars.get(k));
      this.vars.set(k, v);
    }
    this.positional = argv.slice(1);
    this.locals.push(frame);
    try {
      return await this.exec(body, fds);
    } catch (e) {
      if (e instanceof ReturnSignal) return e.code;
      throw e;
    } finally {
      this.positional = savedArgs;
      this.locals.pop();
      for (const [k, v] of frame) restoreVar(this.vars, k, v);
    }
  }

  builtinContext(fds: Fds): BuiltinContext {
    return { shell: this, fds, err: (m: string) => fds[2].write(`${this.arg0}: ${m}\n`) };
  }

  /** Runs a command from the phone's PATH (or a path to one), as a process with its own pid. */
  async external(argv: string[], assigns: Array<[string, string]>, fds: Fds): Promise<number> {
    const name = argv[0];
    let cmd = findCommand(name);
    if (name.includes('/')) {
      const checked = await this.checkExecutable(name, fds);
      if (typeof checked === 'number') return checked;
      cmd = checked;
    }
    if (!cmd) {
      await fds[2].write(`${this.arg0}: ${name}: inaccessible or not found\n`);
      return 127;
    }
    const env = { ...this.env(), ...Object.fromEntries(assigns) };
    // A background job's lone command runs in the job's process (exec), as mksh's forked child does.
    const reused = this.execInto;
    this.execInto = undefined;
    const proc = reused ?? this.device.procs.spawn(name.split('/').pop() as string, argv, { ppid: this.pid, uid: this.proc.uid });
    if (reused) {
      reused.name = name.split('/').pop() as string;
      reused.argv = argv;
    }
    const abort = new Abort().follow(this.signal).follow(proc.abort);
    const fg = this.fg.current;
    fg.onAbort(() => { if (!proc.killedBy) proc.killedBy = fg.reason === 'SIGHUP' ? 1 : 2; abort.abort(fg.reason); });
    fds[1].onGone(() => abort.abort('SIGPIPE'));
    const io: Io = {
      stdin: fds[0],
      out: async (d) => {
        if (abort.aborted && fds[1].gone) return;
        await fds[1].write(d);
      },
      err: (d) => fds[2].write(d),
      signal: abort,
      tty: this.tty,
    };
    const ctx: CommandContext = {
      device: this.device, phone: this.device.phone, fs: this.device.fs, cwd: this.cwd, env, pid: proc.pid, ppid: this.pid, uid: proc.uid, signal: abort,
      sh: async (line, subIo, args) => this.subshellFor(line, subIo, args, env),
    };
    try {
      // A stopped command that does not notice within a grace period is left behind (as a zombie would be
      // reaped): the shell goes on with 128+signal.
      const stopped = new Promise<number>((resolve) => abort.onAbort(() => setTimeout(() => resolve(-1), 1000).unref()));
      const status = await Promise.race([Promise.resolve(cmd(argv, io, ctx)), stopped]);
      if (status === -1) return 128 + (proc.killedBy ?? (abort.reason === 'SIGPIPE' ? 13 : 1));
      if (proc.killedBy) return 128 + proc.killedBy;
      return status & 0xff;
    } catch (e) {
      if (proc.killedBy) return 128 + proc.killedBy;
      await fds[2].write(`${name}: ${errnoText(e)}\n`);
      return 1;
    } finally {
      if (!reused) this.device.procs.exit(proc.pid);
    }
  }

  private async subshellFor(line: string, io: Io, args: string[] | undefined, env: Record<string, string>): Promise<number> {
    const sub = new Shell({ device: this.device, cwd: this.cwd, env, args: args?.slice(1) ?? [], arg0: args?.[0] ?? SH, tty: io.tty, parentPid: this.pid, uid: this.proc.uid });
    io.signal.onAbort(() => sub.signal.abort('parent'));
    const fds = fdsFromIo(io);
    try {
      const s = await sub.run(line, fds);
      await sub.finish(fds);
      return s;
    } finally {
      sub.dispose();
    }
  }

  /** `./x` or `/data/local/tmp/x`: exists, is executable, and is something the phone can run. */
  private async checkExecutable(name: string, fds: Fds): Promise<number | import('../commands/types').Command> {
    const abs = Sandbox.normalize(name, this.cwd);
    const builtinPath = findCommand(abs);
    if (builtinPath && /^\/(system|vendor|apex|product|system_ext)\//.test(abs)) return builtinPath;
    let host: string;
    try {
      host = await this.device.fs.resolve(abs, '/', 'exec', this.proc.uid);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' || code === undefined) {
        await fds[2].write(`${this.arg0}: ${name}: inaccessible or not found\n`);
        return 127;
      }
      await fds[2].write(`${this.arg0}: ${name}: can't execute: ${errnoText(e)}\n`);
      return 126;
    }
    const st = await fs.stat(host).catch(() => undefined);
    if (!st) {
      await fds[2].write(`${this.arg0}: ${name}: inaccessible or not found\n`);
      return 127;
    }
    if (st.isDirectory()) {
      await fds[2].write(`${this.arg0}: ${name}: can't execute: Is a directory\n`);
      return 126;
    }
    if (!(st.mode & 0o111)) {
      await fds[2].write(`${this.arg0}: ${name}: can't execute: Permission denied\n`);
      return 126;
    }
    const head = Buffer.alloc(256);
    const h = await fs.open(host, 'r');
    let n = 0;
    try {
      n = (await h.read(head, 0, 256, 0)).bytesRead;
    } finally {
      await h.close();
    }
    const start = head.subarray(0, n);
    // A runner the virtual phone knows by name (the ones we ship: onnxruntime_perf_test, benchmark_model…),
    // unless the file is a #! script: a script named like a runner runs as the script it is.
    const known = findCommand(name.split('/').pop() as string);
    if (known && !start.subarray(0, 2).equals(Buffer.from('#!'))) return known;
    if (start.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
      await fds[2].write(`${this.arg0}: ${name}: can't execute: Exec format error (the virtual phone runs its own tools, not native binaries)\n`);
      return 126;
    }
    // A script: run it with the shell (a #! line naming sh, or no #! at all).
    return async (argv, io, ctx) => {
      const text = await fs.readFile(host, 'utf8');
      return ctx.sh(text.replace(/^#![^\n]*\n?/, ''), io, [abs, ...argv.slice(1)]);
    };
  }

  /* ---------------------------------------------------------------- redirections */

  private async withRedirects(redirects: Redirect[], fds: Fds, body: (f: Fds) => Promise<number>, permanent = false): Promise<number> {
    if (!redirects.length) return body(fds);
    const f: Fds = { ...fds };
    const opened: FileWriter[] = [];
    const inputs: InStream[] = [];
    const closeInputs = async () => { for (const i of inputs) await i.close().catch(() => undefined); };
    try {
      for (const r of redirects) await this.applyRedirect(r, f, opened, inputs);
    } catch (e) {
      await closeInputs();
      for (const w of opened) await w.close().catch(() => undefined);
      await fds[2].write(`${this.arg0}: ${(e as Error).message}\n`);
      return 1;
    }
    if (permanent) {
      // Files `exec` opened stay open for the rest of the shell; one replaced or closed (`exec 3>&-`) is closed.
      const still = new Set(Object.values(f));
      for (const w of this.permanentFiles) if (!still.has(w)) await w.close().catch(() => undefined);
      this.permanentFiles = [...this.permanentFiles.filter((w) => still.has(w)), ...opened];
      this.permanentFds = f;
      this.permanentGen++;
      return 0;
    }
    let status: number;
    try {
      status = await body(f);
    } finally {
      await closeInputs();
      for (const w of opened) {
        try {
          await w.close();
        } catch (e) {
          await fds[2].write(`${this.arg0}: write error: ${errnoText(e)}\n`);
          status = 1;
        }
      }
    }
    return status;
  }

  /** Set by `exec >file`: the fds later commands of the session use. */
  permanentFds: Fds | undefined;
  private permanentGen = 0;
  private permanentFiles: FileWriter[] = [];
  private seenGen = 0;

  private async applyRedirect(r: Redirect, f: Fds, opened: FileWriter[], inputs: InStream[] = []): Promise<void> {
    if (r.op === '<<<') {
      // mksh's here-string: the word expanded as in double quotes (no splitting, no globbing) and a newline.
      const text = (await this.expandPieces(r.target, f, false)).map((p) => p.text).join('');
      f[r.fd] = InStream.of(bufferReader(`${text}\n`));
      return;
    }
    if (r.op === '<<' || r.op === '<<-') {
      const body = r.quotedHeredoc ? r.target : (await this.expandPieces(r.target, f, true, false, true)).map((p) => p.text).join('');
      f[r.fd] = InStream.of(bufferReader(body));
      return;
    }
    const target = (await this.expandPieces(r.target, f, false)).map((p) => p.text).join('');
    if (r.op === '<&' || r.op === '>&') {
      if (target === '-') { f[r.fd] = r.op === '<&' ? InStream.of(EMPTY) : NULL_WRITER; return; }
      if (/^\d+$/.test(target)) {
        const src = f[Number(target)];
        if (!src) throw new ShellError(`${target}: bad file descriptor`);
        f[r.fd] = src;
        return;
      }
      if (r.op === '<&') throw new ShellError(`${target}: illegal file descriptor name`);
    }
    if (r.op === '<') {
      try {
        const input = InStream.of(await openReader({ device: this.device, fs: this.device.fs, cwd: this.cwd, uid: this.proc.uid, signal: this.signal }, target));
        inputs.push(input);
        f[r.fd] = input;
      } catch (e) {
        throw new ShellError(`can't open ${target}: ${errnoText(e)}`);
      }
      return;
    }
    // Output: >, >>, >|, <>, >& file, &> file
    const append = r.op === '>>';
    const w = await this.openWriter(target, append, f);
    if (w instanceof FileWriter) opened.push(w);
    if (r.op === '&>' || (r.op === '>&' && !/^\d+$/.test(target))) {
      f[1] = w;
      f[2] = w;
    } else {
      f[r.fd] = w;
    }
  }

  private async openWriter(target: string, append: boolean, f: Fds): Promise<Writer> {
    const abs = Sandbox.normalize(target, this.cwd);
    if (abs === '/dev/null' || abs === '/dev/zero') return NULL_WRITER;
    if (abs === '/dev/stdout' || abs === '/dev/tty') return f[1];
    if (abs === '/dev/stderr') return f[2];
    if (isDevPath(abs) || abs === '/dev/urandom' || abs === '/dev/random') return NULL_WRITER;
    try {
      const host = await this.device.fs.resolve(abs, '/', 'write', this.proc.uid);
      const st = await fs.stat(host).catch(() => undefined);
      if (st?.isDirectory()) throw Object.assign(new Error('Is a directory'), { code: 'EISDIR' });
      const handle = await fs.open(host, append ? 'a' : 'w', 0o666);
      // A new file belongs to the shell user, mode 0666 less the umask (0 for adbd's shell: toybox and mksh
      // create rw-rw-rw- files in /data/local/tmp).
      if (!st) await this.device.fs.created(abs, this.proc.uid, 0o666).catch(() => undefined);
      return new FileWriter(handle);
    } catch (e) {
      throw new ShellError(`can't create ${target}: ${errnoText(e)}`);
    }
  }

  /* ---------------------------------------------------------------- expansion */

  /** Expands words into fields: parameters, command substitution, arithmetic, field splitting, globbing. */
  async expandWords(words: string[], fds: Fds): Promise<string[]> {
    const out: string[] = [];
    for (const w of words.flatMap((raw) => braceExpand(raw))) {
      const pieces = await this.expandPieces(w, fds, false, false, false, true);
      for (const field of this.split(pieces)) {
        const escaped = field.map((p) => (p.quoted ? escapeLiteral(p.text) : p.text)).join('');
        const plain = field.map((p) => p.text).join('');
        if (!this.opts.noglob && field.some((p) => !p.quoted) && hasGlobChars(escaped)) {
          const matches = await expandPathname(escaped, this.cwd, (dir) => this.listDir(dir));
          if (matches.length) {
            out.push(...matches);
            continue;
          }
          out.push(unescapePattern(escaped));
          continue;
        }
        out.push(plain);
      }
    }
    return out;
  }

  private async listDir(abs: string): Promise<string[] | undefined> {
    const sys = isSysPath(abs) ? sysList(this.device, abs) : undefined;
    if (sys) return sys;
    try {
      return await this.device.fs.list(abs, '/', this.proc.uid);
    } catch {
      return undefined;
    }
  }

  /** Field splitting of the unquoted results of expansions (IFS), keeping "" as an empty field. */
  private split(pieces: Piece[]): Piece[][] {
    const ifs = this.vars.get('IFS') ?? ' \t\n';
    const fields: Piece[][] = [];
    let cur: Piece[] = [];
    let has = false;
    const endField = (force = false) => {
      if (has || force) fields.push(cur);
      cur = [];
      has = false;
    };
    for (const p of pieces) {
      if (p.brk) { endField(true); continue; }
      if (!p.split || ifs === '') {
        cur.push(p);
        if (p.quoted || p.text) has = true;
        continue;
      }
      let buf = '';
      for (let i = 0; i < p.text.length; i++) {
        const c = p.text[i];
        if (!ifs.includes(c)) { buf += c; continue; }
        if (buf) { cur.push({ text: buf, quoted: false, split: false }); has = true; buf = ''; }
        const white = ' \t\n'.includes(c);
        if (white) {
          if (has) endField();
        } else {
          endField(true);
        }
      }
      if (buf) { cur.push({ text: buf, quoted: false, split: false }); has = true; }
    }
    endField();
    return fields;
  }

  /** A pattern (for `case` and `${v#…}`): quoted parts match literally. */
  async expandPattern(raw: string, fds: Fds): Promise<string> {
    const pieces = await this.expandPieces(raw, fds, false);
    return pieces.map((p) => (p.quoted ? escapeLiteral(p.text) : p.text)).join('');
  }

  /**
   * The pieces of a word: literal text, quoted text and expansion results, each saying whether it was quoted
   * and whether field splitting applies. `dq` parses the text as the inside of double quotes.
   */
  async expandPieces(raw: string, fds: Fds, dq: boolean, assignment = false, heredoc = false, allowAt = false): Promise<Piece[]> {
    const out: Piece[] = [];
    let i = 0;
    const lit = (text: string, quoted: boolean) => out.push({ text, quoted, split: false });
    if (!dq && raw.startsWith('~') && (raw.length === 1 || raw[1] === '/' || (assignment && raw[1] === ':'))) {
      lit(this.vars.get('HOME') ?? '/', true);
      i = 1;
    }
    while (i < raw.length) {
      const c = raw[i];
      if (c === "'" && !dq) {
        const end = raw.indexOf("'", i + 1);
        lit(raw.slice(i + 1, end < 0 ? raw.length : end), true);
        i = end < 0 ? raw.length : end + 1;
        continue;
      }
      if (c === '"' && !dq) {
        const end = skipConstruct(raw, i);
        const inner = raw.slice(i + 1, end - 1);
        const innerPieces = await this.expandPieces(inner, fds, true, false, false, allowAt);
        if (!innerPieces.length) lit('', true);
        out.push(...innerPieces);
        i = end;
        continue;
      }
      if (c === '\\') {
        const n = raw[i + 1];
        if (n === undefined) { lit('\\', dq); i++; continue; }
        if (dq && !'$`"\\\n'.includes(n) && !(heredoc && n !== '"')) { lit(`\\${n}`, true); i += 2; continue; }
        if (heredoc && n === '"') { lit('\\"', true); i += 2; continue; }
        if (n === '\n') { i += 2; continue; }
        lit(n, true);
        i += 2;
        continue;
      }
      if (c === '`') {
        const end = skipConstruct(raw, i);
        const body = raw.slice(i + 1, end - 1).replace(/\\([$`\\])/g, '$1');
        out.push({ text: await this.commandSubst(body, fds), quoted: dq, split: !dq && !assignment });
        i = end;
        continue;
      }
      if (c === '$') {
        const r = await this.dollar(raw, i, fds, dq, assignment, allowAt);
        if (r) {
          out.push(...r.pieces);
          i = r.end;
          continue;
        }
      }
      lit(c, dq);
      i++;
    }
    return out;
  }

  private async commandSubst(src: string, fds: Fds): Promise<string> {
    const sub = this.clone();
    const cap = new CaptureWriter();
    const status = await sub.run(src, { ...fds, 1: cap });
    this.lastSubstStatus = status;
    return cap.text().replace(/\n+$/, '');
  }

  private special(name: string): string | undefined {
    switch (name) {
      case '?': return String(this.lastExit);
      case '$': return String(this.pid);
      case '!': return this.lastBg === undefined ? '' : String(this.lastBg);
      case '#': return String(this.positional.length);
      case '-': return `${this.opts.errexit ? 'e' : ''}${this.opts.xtrace ? 'x' : ''}${this.tty ? 'i' : ''}h`;
      case '0': return this.arg0;
      case '*': case '@': return this.positional.join(name === '*' ? (this.vars.get('IFS') ?? ' ')[0] ?? '' : ' ');
      default:
        if (/^\d+$/.test(name)) return this.positional[Number(name) - 1];
        return this.getVar(name);
    }
  }

  private async dollar(raw: string, i: number, fds: Fds, dq: boolean, assignment: boolean, allowAt: boolean): Promise<{ pieces: Piece[]; end: number } | undefined> {
    const n = raw[i + 1];
    const wrap = (text: string): Piece[] => [{ text, quoted: dq, split: !dq && !assignment }];
    if (n === '(' && raw[i + 2] === '(') {
      const end = skipConstruct(raw, i);
      const inner = raw.slice(i + 3, end - 2);
      if (raw[end - 2] === ')') {
        const expr = (await this.expandPieces(inner, fds, true)).map((p) => p.text).join('');
        return { pieces: wrap(String(this.arith(expr))), end };
      }
    }
    if (n === '(') {
      const end = skipConstruct(raw, i);
      return { pieces: wrap(await this.commandSubst(raw.slice(i + 2, end - 1), fds)), end };
    }
    if (n === '{') {
      const end = skipConstruct(raw, i);
      return { pieces: await this.braced(raw.slice(i + 2, end - 1), fds, dq, assignment, allowAt), end };
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]|[?$!#@*-])/.exec(raw.slice(i + 1));
    if (!m) return undefined;
    const name = m[1];
    if (name === '@' && dq && allowAt) return { pieces: this.atPieces(), end: i + 2 };
    if ((name === '@' || name === '*') && !dq) {
      return { pieces: this.positional.flatMap((a, k) => [...(k ? [{ text: '', quoted: false, split: false, brk: true }] : []), { text: a, quoted: false, split: true }]), end: i + 2 };
    }
    const v = this.special(name);
    if (v === undefined && this.opts.nounset && !/^[@*#?$!\-0]$/.test(name)) throw new ExpansionError(`${name}: parameter not set`);
    return { pieces: wrap(v ?? ''), end: i + 1 + name.length };
  }

  /** Evaluates an arithmetic expression over the shell's variables (`$(( ))`, `(( ))`, `let`). */
  arith(expr: string): number {
    try {
      return evalArith(expr, { get: (k) => this.getVar(k), set: (k, v) => this.setVar(k, v) });
    } catch (e) {
      throw new ExpansionError(`${expr}: ${e instanceof ArithError ? e.message : String(e)}`);
    }
  }

  private atPieces(): Piece[] {
    if (!this.positional.length) return [];
    return this.positional.flatMap((a, k) => [...(k ? [{ text: '', quoted: true, split: false, brk: true }] : []), { text: a, quoted: true, split: false }]);
  }

  private async braced(body: string, fds: Fds, dq: boolean, assignment: boolean, allowAt: boolean): Promise<Piece[]> {
    const wrap = (text: string): Piece[] => [{ text, quoted: dq, split: !dq && !assignment }];
    const arr = /^([#!]?)([A-Za-z_][A-Za-z0-9_]*)\[([^\]]+)\]([\s\S]*)$/.exec(body);
    if (arr) {
      const [, prefix, name, index, rest] = arr;
      const els = this.elements(name);
      if (index === '@' || index === '*') {
        if (rest) throw new ExpansionError(`\${${body}}: bad substitution`);
        if (prefix === '#') return wrap(String(els.length));
        const values = prefix === '!' ? els.map(([k]) => String(k)) : els.map(([, v]) => v);
        if (index === '@' && dq && allowAt) return values.flatMap((v, k) => [...(k ? [{ text: '', quoted: true, split: false, brk: true }] : []), { text: v, quoted: true, split: false }]);
        if (!dq) return values.flatMap((v, k) => [...(k ? [{ text: '', quoted: false, split: false, brk: true }] : []), { text: v, quoted: false, split: true }]);
        return wrap(values.join(index === '*' ? (this.vars.get('IFS') ?? ' ')[0] ?? '' : ' '));
      }
      const idx = this.arith((await this.expandPieces(index, fds, true)).map((p) => p.text).join(''));
      const v = els.find(([k]) => k === idx)?.[1];
      if (prefix === '#') return wrap(String([...(v ?? '')].length));
      if (prefix === '!') throw new ExpansionError(`\${${body}}: bad substitution`);
      if (!rest) {
        if (v === undefined && this.opts.nounset) throw new ExpansionError(`${name}[${idx}]: parameter not set`);
        return wrap(v ?? '');
      }
      // ${a[i]:-word} and friends: the element through the scalar code path.
      const tmp = '_MKSH_ARRAY_ELEMENT_';
      const saved = this.vars.get(tmp);
      if (v === undefined) this.vars.delete(tmp); else this.vars.set(tmp, v);
      try {
        return await this.braced(tmp + rest, fds, dq, assignment, allowAt);
      } finally {
        if (saved === undefined) this.vars.delete(tmp); else this.vars.set(tmp, saved);
      }
    }
    if (body.startsWith('#') && body.length > 1 && /^#([A-Za-z_]\w*|\d+|[@*#?$!])$/.test(body)) {
      const name = body.slice(1);
      if (name === '@' || name === '*') return wrap(String(this.positional.length));
      return wrap(String([...(this.special(name) ?? '')].length));
    }
    const sub = /^([A-Za-z_][A-Za-z0-9_]*|\d+|[@*]):([^-=+?][\s\S]*)$/.exec(body);
    if (sub) {
      // mksh's ${NAME:POS:LEN}: POS and LEN are arithmetic; a negative POS counts from the end.
      const v = [...(sub[1] === '@' || sub[1] === '*' ? this.positional.join(' ') : (this.special(sub[1]) ?? ''))];
      const [posRaw, lenRaw] = splitTopColon(sub[2]);
      const expr = async (t: string) => this.arith((await this.expandPieces(t, fds, true)).map((p) => p.text).join('') || '0');
      let pos = await expr(posRaw);
      if (pos < 0) pos = Math.max(0, v.length + pos);
      let len = lenRaw === undefined ? v.length - pos : await expr(lenRaw);
      if (len < 0) len = Math.max(0, v.length + len - pos);
      return wrap(v.slice(pos, pos + len).join(''));
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*|\d+|[@*#?$!-])(:?[-=+?]|##?|%%?|\/\/?)?([\s\S]*)$/.exec(body);
    if (!m) throw new ExpansionError(`\${${body}}: bad substitution`);
    const [, name, op, rest] = m;
    if (!op && rest) throw new ExpansionError(`\${${body}}: bad substitution`);
    if (name === '@' && dq && allowAt && !op) return this.atPieces();
    const value = this.special(name);
    const word = async () => this.expandPieces(rest, fds, dq, assignment);
    const text = async () => (await word()).map((p) => p.text).join('');
    if (!op) {
      if (value === undefined && this.opts.nounset) throw new ExpansionError(`${name}: parameter not set`);
      return wrap(value ?? '');
    }
    const colon = op.startsWith(':');
    const unsetOrNull = value === undefined || (colon && value === '');
    switch (op.replace(':', '')) {
      case '-': return unsetOrNull ? word() : wrap(value as string);
      case '=': {
        if (!unsetOrNull) return wrap(value as string);
        const t = await text();
        this.setVar(name, t);
        return wrap(t);
      }
      case '+': return unsetOrNull ? [] : word();
      case '?': {
        if (!unsetOrNull) return wrap(value as string);
        const t = await text();
        throw new ExpansionError(`${name}: ${t || 'parameter null or not set'}`);
      }
      case '#': case '##': case '%': case '%%': {
        const v = value ?? '';
        const pat = patternSource(await this.expandPattern(rest, fds));
        const longest = op.length === 2;
        if (op.startsWith('#')) {
          for (let k = longest ? v.length : 0; longest ? k >= 0 : k <= v.length; k += longest ? -1 : 1) {
            if (new RegExp(`^(?:${pat})$`).test(v.slice(0, k))) return wrap(v.slice(k));
          }
          return wrap(v);
        }
        for (let k = longest ? 0 : v.length; longest ? k <= v.length : k >= 0; k += longest ? 1 : -1) {
          if (new RegExp(`^(?:${pat})$`).test(v.slice(k))) return wrap(v.slice(0, k));
        }
        return wrap(v);
      }
      case '/': case '//': {
        const v = value ?? '';
        const slash = findUnescapedSlash(rest);
        const patRaw = slash < 0 ? rest : rest.slice(0, slash);
        const repRaw = slash < 0 ? '' : rest.slice(slash + 1);
        const pat = patternSource(await this.expandPattern(patRaw, fds));
        const rep = (await this.expandPieces(repRaw, fds, true)).map((p) => p.text).join('');
        if (!pat) return wrap(v);
        const re = new RegExp(pat, op === '//' ? 'g' : '');
        return wrap(v.replace(re, () => rep));
      }
      default:
        throw new ExpansionError(`\${${body}}: bad substitution`);
    }
  }
}

/** `POS:LEN` of ${NAME:POS:LEN} split at its first colon outside parentheses and `?:`. */
function splitTopColon(s: string): [string, string | undefined] {
  let depth = 0;
  let ternary = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '?' && depth === 0) ternary++;
    else if (c === ':' && depth === 0) {
      if (ternary) { ternary--; continue; }
      return [s.slice(0, i), s.slice(i + 1)];
    }
  }
  return [s, undefined];
}

/**
 * mksh's brace expansion of a word's unquoted `{A,B,…}` (nested too); no `{1..3}` ranges (mksh has none).
 * Quotes, `${…}`, `$(…)` and backquotes are left as they are.
 */
export function braceExpand(word: string): string[] {
  if (!word.includes('{') || !word.includes(',')) return [word];
  const skip = (i: number): number => {
    const c = word[i];
    if (c === '\\') return i + 2;
    if (c === "'" || c === '"' || c === '`' || (c === '$' && (word[i + 1] === '{' || word[i + 1] === '('))) {
      try { return skipConstruct(word, i); } catch { return word.length; }
    }
    return -1;
  };
  for (let i = 0; i < word.length; i++) {
    const k = skip(i);
    if (k >= 0) { i = k - 1; continue; }
    if (word[i] !== '{') continue;
    // Find the matching close brace and the top-level commas.
    const commas: number[] = [];
    let depth = 1;
    let j = i + 1;
    for (; j < word.length && depth > 0; j++) {
      const kk = skip(j);
      if (kk >= 0) { j = kk - 1; continue; }
      if (word[j] === '{') depth++;
      else if (word[j] === '}') { depth--; if (!depth) break; }
      else if (word[j] === ',' && depth === 1) commas.push(j);
    }
    if (depth || !commas.length) continue;
    const prefix = word.slice(0, i);
    const suffix = word.slice(j + 1);
    const bounds = [i, ...commas, j];
    const out: string[] = [];
    for (let b = 0; b + 1 < bounds.length; b++) out.push(...braceExpand(prefix + word.slice(bounds[b] + 1, bounds[b + 1]) + suffix));
    return out;
  }
  return [word];
}

function restoreVar(vars: Map<string, string>, k: string, v: string | undefined): void {
  if (v === undefined) vars.delete(k);
  else vars.set(k, v);
}

function findUnescapedSlash(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') { i++; continue; }
    if (s[i] === '/') return i;
  }
  return -1;
}

const SPECIAL_BUILTINS = new Set([':', '.', 'source', 'eval', 'exec', 'exit', 'export', 'readonly', 'return', 'set', 'shift', 'trap', 'unset', 'break', 'continue']);

/** A shell-level error (bad substitution, read-only variable…): the command fails with a message. */
export class ShellError extends Error {}
/** An expansion error (unset parameter under `set -u`, bad substitution, `${x?}`, arithmetic): a non-interactive mksh exits. */
export class ExpansionError extends ShellError {}

function parseSafe(src: string): Node {
  try {
    return parseScript(src);
  } catch {
    return { type: 'list', items: [] };
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Fds for a child shell started by a command (`sh -c`, `env … cmd`, scripts). */
export function fdsFromIo(io: Io): Fds {
  const gone = (cb: () => void) => io.signal.onAbort(cb);
  const w = (fn: (d: Buffer | string) => Promise<void>): Writer => ({ write: fn, onGone: gone, get gone() { return io.signal.aborted; } });
  return { 0: InStream.of(io.stdin), 1: w(io.out), 2: w(io.err) };
}

export function readerOf(r: Reader): InStream {
  return InStream.of(r);
}

export type { AbortLike };

/** A node that is one simple command (possibly wrapped in a one-command pipeline, list or and-or). */
function isLoneSimple(node: Node): boolean {
  if (node.type === 'simple') return node.words.length > 0;
  if (node.type === 'pipeline') return !node.negate && node.commands.length === 1 && isLoneSimple(node.commands[0]);
  if (node.type === 'andor') return node.rest.length === 0 && isLoneSimple(node.first);
  if (node.type === 'list') return node.items.length === 1 && !node.items[0].background && isLoneSimple(node.items[0].node);
  return false;
}
