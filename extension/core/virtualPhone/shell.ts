import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { parse, ShellSyntaxError, type SimpleCommand } from './shellParser';
import { Sandbox, SandboxError } from './sandbox';
import { KEYCODES, type PhoneState } from './phone';
import { apkPackageName, ApkError } from './apk';
import type { VirtualDevice } from './device';
import { perfTestBuiltin } from './perfTestRunner';
import { screenrecordBuiltin, type AbortLike } from './screenrecord';

export interface ShellIO {
  stdin: Buffer;
  out(data: Buffer | string): void;
  err(data: Buffer | string): void;
  /** Aborted when the reader goes away (long-running commands such as screenrecord stop then). */
  signal?: AbortLike;
}

export interface ShellSession {
  cwd: string;
  lastExit: number;
  /** Set by `exit`: the session ends with this code. */
  exitRequested?: number;
}

type Builtin = (argv: string[], io: ShellIO, ctx: ShellContext) => Promise<number> | number;

interface ShellContext {
  device: VirtualDevice;
  phone: PhoneState;
  fs: Sandbox;
  session: ShellSession;
}

const SH = '/system/bin/sh';

function buf(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** Runs a command line the way the phone's /system/bin/sh would, writing to io; resolves to the exit code. */
export async function runShell(device: VirtualDevice, line: string, io: ShellIO, session: ShellSession = { cwd: '/', lastExit: 0 }): Promise<number> {
  let list;
  try {
    list = parse(line);
  } catch (err) {
    if (err instanceof ShellSyntaxError) {
      io.err(`${SH}: ${err.message}\n`);
      return (session.lastExit = 2);
    }
    throw err;
  }
  const ctx: ShellContext = { device, phone: device.phone, fs: device.fs, session };
  let status = 0;
  let skip = false;
  for (const item of list.items) {
    if (!skip) {
      status = await runPipeline(item.pipeline.commands, io, ctx);
      session.lastExit = status;
      if (session.exitRequested !== undefined) return session.exitRequested;
    }
    skip = (item.next === '&&' && status !== 0) || (item.next === '||' && status === 0);
  }
  return status;
}

async function runPipeline(cmds: SimpleCommand[], io: ShellIO, ctx: ShellContext): Promise<number> {
  let stdin = io.stdin;
  let status = 0;
  for (let i = 0; i < cmds.length; i++) {
    const last = i === cmds.length - 1;
    const chunks: Buffer[] = [];
    const stageIO: ShellIO = { stdin, out: last ? io.out : (d) => chunks.push(buf(d)), err: io.err, signal: io.signal };
    status = await runSimple(cmds[i], stageIO, ctx);
    stdin = Buffer.concat(chunks);
  }
  return status;
}

async function runSimple(cmd: SimpleCommand, io: ShellIO, ctx: ShellContext): Promise<number> {
  const argv = cmd.argv.map((a) => (a === '$?' ? String(ctx.session.lastExit) : a));
  let out = io.out;
  let err = io.err;
  let stdin = io.stdin;
  const files: Array<{ path: string; append: boolean; data: Buffer[] }> = [];
  for (const r of cmd.redirects) {
    if (r.op === '>&') {
      if (r.target === '1' && r.fd === 2) err = out;
      else if (r.target === '2' && r.fd === 1) out = err;
      continue;
    }
    if (r.op === '<') {
      try {
        stdin = await ctx.fs.readFile(Sandbox.normalize(r.target, ctx.session.cwd));
      } catch {
        io.err(`${SH}: can't open ${r.target}: No such file or directory\n`);
        return 1;
      }
      continue;
    }
    const sink = r.target === '/dev/null' ? () => undefined : (() => {
      const f = { path: r.target, append: r.op === '>>', data: [] as Buffer[] };
      files.push(f);
      return (d: Buffer | string) => { f.data.push(buf(d)); };
    })();
    if (r.target === '/dev/tty' || r.target === '/dev/stdout') continue;
    if (r.fd === 2) err = sink;
    else out = sink;
  }
  let status: number;
  if (argv.length === 0) {
    status = 0;
  } else {
    const fn = BUILTINS[argv[0]] ?? BUILTINS[path.posix.basename(argv[0])];
    if (!fn) {
      err(`${SH}: ${argv[0]}: inaccessible or not found\n`);
      status = 127;
    } else {
      try {
        status = await fn(argv, { stdin, out, err, signal: io.signal }, ctx);
      } catch (e) {
        err(`${argv[0]}: ${e instanceof Error ? e.message : String(e)}\n`);
        status = 1;
      }
    }
  }
  for (const f of files) {
    try {
      const target = Sandbox.normalize(f.path, ctx.session.cwd);
      const data = Buffer.concat(f.data);
      const prev = f.append ? await ctx.fs.readFile(target).catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
      await ctx.fs.writeFile(target, Buffer.concat([prev, data]));
    } catch (e) {
      io.err(`${SH}: can't create ${f.path}: ${e instanceof SandboxError ? 'Permission denied' : 'No such file or directory'}\n`);
      status = 1;
    }
  }
  return status;
}

/* ------------------------------------------------------------------ */
/* file helpers                                                        */

async function resolveHost(ctx: ShellContext, p: string): Promise<string> {
  return ctx.fs.hostPath(p, ctx.session.cwd);
}

function errText(e: unknown): string {
  if (e instanceof SandboxError) return 'Permission denied';
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EISDIR') return 'Is a directory';
  if (code === 'ENOTDIR') return 'Not a directory';
  if (code === 'ENOTEMPTY') return 'Directory not empty';
  if (code === 'EEXIST') return 'File exists';
  return e instanceof Error ? e.message : String(e);
}

function splitFlags(argv: string[], known: string): { flags: Set<string>; args: string[] } {
  const flags = new Set<string>();
  const args: string[] = [];
  let done = false;
  for (const a of argv.slice(1)) {
    if (!done && a === '--') { done = true; continue; }
    if (!done && a.length > 1 && a.startsWith('-') && [...a.slice(1)].every((c) => known.includes(c))) {
      for (const c of a.slice(1)) flags.add(c);
    } else {
      args.push(a);
    }
  }
  return { flags, args };
}

function virtualFile(ctx: ShellContext, devicePath: string): string | undefined {
  const p = ctx.device.profile;
  switch (devicePath) {
    case '/proc/meminfo': {
      const total = p.ramKb;
      const free = Math.round(total * 0.18);
      const avail = Math.round(total * 0.46);
      const rows: Array<[string, number]> = [
        ['MemTotal', total], ['MemFree', free], ['MemAvailable', avail], ['Buffers', Math.round(total * 0.004)], ['Cached', Math.round(total * 0.28)],
        ['SwapCached', 0], ['Active', Math.round(total * 0.25)], ['Inactive', Math.round(total * 0.2)], ['SwapTotal', 4194300], ['SwapFree', 4194300],
      ];
      return rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${String(v).padStart(8)} kB`).join('\n') + '\n';
    }
    case '/proc/cpuinfo':
      return Array.from({ length: 8 }, (_, i) => `processor\t: ${i}\nBogoMIPS\t: 38.40\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp\nCPU implementer\t: 0x41\nCPU part\t: ${i < 4 ? '0xd05' : '0xd41'}\n`).join('\n') + `\nHardware\t: ${p.hardware}\n`;
    case '/proc/version':
      return 'Linux version 5.15.0-virtual (mobileai@vphone) (clang version 17) #1 SMP PREEMPT\n';
    default:
      return undefined;
  }
}

/** Runs `fn` for each argument; failures print `cmd: arg: reason` and make the status 1, like toybox. */
async function eachArg(cmd: string, items: string[], io: ShellIO, fn: (item: string) => Promise<unknown>, ignore?: (e: unknown) => boolean): Promise<number> {
  let status = 0;
  for (const item of items) {
    try {
      await fn(item);
    } catch (e) {
      if (ignore?.(e)) continue;
      io.err(`${cmd}: ${item}: ${errText(e)}\n`);
      status = 1;
    }
  }
  return status;
}

async function moveOrCopy(cmd: 'mv' | 'cp', argv: string[], io: ShellIO, ctx: ShellContext): Promise<number> {
  const { flags, args } = splitFlags(argv, cmd === 'mv' ? 'fin' : 'rRfpa');
  if (args.length < 2) { io.err(`${cmd}: needs 2 arguments\n`); return 1; }
  const dest = await resolveHost(ctx, args[args.length - 1]).catch(() => undefined);
  if (!dest) { io.err(`${cmd}: ${args[args.length - 1]}: Permission denied\n`); return 1; }
  const destIsDir = (await fs.stat(dest).catch(() => undefined))?.isDirectory() ?? false;
  return eachArg(cmd, args.slice(0, -1), io, async (src) => {
    const hs = await resolveHost(ctx, src);
    const hd = destIsDir ? path.join(dest, path.basename(hs)) : dest;
    if (cmd === 'mv') await fs.rename(hs, hd);
    else await fs.cp(hs, hd, { recursive: flags.has('r') || flags.has('R') || flags.has('a') });
  });
}

/* ------------------------------------------------------------------ */
/* builtins                                                             */

const BUILTINS: Record<string, Builtin> = {
  true: () => 0,
  false: () => 1,
  exit: (argv, _io, ctx) => {
    const code = argv[1] === undefined ? ctx.session.lastExit : Number(argv[1]) & 0xff;
    ctx.session.exitRequested = Number.isFinite(code) ? code : 2;
    return ctx.session.exitRequested;
  },
  echo: (argv, io) => {
    let args = argv.slice(1);
    let newline = true;
    while (args[0] === '-n' || args[0] === '-e' || args[0] === '-ne' || args[0] === '-en') {
      if (args[0].includes('n')) newline = false;
      args = args.slice(1);
    }
    io.out(args.join(' ') + (newline ? '\n' : ''));
    return 0;
  },
  sleep: async (argv) => {
    const s = Math.min(Number(argv[1] ?? 0) || 0, 60);
    await new Promise((r) => setTimeout(r, s * 1000));
    return 0;
  },
  id: (_a, io) => { io.out('uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),3003(inet) context=u:r:shell:s0\n'); return 0; },
  whoami: (_a, io) => { io.out('shell\n'); return 0; },
  pwd: (_a, io, ctx) => { io.out(`${ctx.session.cwd}\n`); return 0; },
  cd: async (argv, io, ctx) => {
    const target = Sandbox.normalize(argv[1] ?? '/', ctx.session.cwd);
    const st = await ctx.fs.stat(target).catch(() => undefined);
    if (!st?.isDirectory()) { io.err(`${SH}: cd: ${argv[1]}: No such file or directory\n`); return 2; }
    ctx.session.cwd = target;
    return 0;
  },
  uname: (argv, io) => {
    const a = argv.slice(1);
    if (a.includes('-a')) io.out('Linux localhost 5.15.0-virtual #1 SMP PREEMPT aarch64 Toybox\n');
    else if (a.includes('-m')) io.out('aarch64\n');
    else if (a.includes('-r')) io.out('5.15.0-virtual\n');
    else io.out('Linux\n');
    return 0;
  },
  nproc: (_a, io) => { io.out('8\n'); return 0; },
  getenforce: (_a, io) => { io.out('Enforcing\n'); return 0; },
  date: (_a, io) => { io.out(`${new Date().toUTCString()}\n`); return 0; },
  getprop: (argv, io, ctx) => {
    const props = ctx.device.properties();
    if (argv[1]) {
      io.out(`${props.get(argv[1]) ?? argv[2] ?? ''}\n`);
    } else {
      for (const k of [...props.keys()].sort()) io.out(`[${k}]: [${props.get(k)}]\n`);
    }
    return 0;
  },
  setprop: (argv, io, ctx) => {
    if (argv.length < 3) { io.err('usage: setprop NAME VALUE\n'); return 1; }
    if (!/^(debug|persist\.debug|log)\./.test(argv[1])) { io.err(`Failed to set property '${argv[1]}' to '${argv[2]}'.\nSee dmesg for error reason.\n`); return 1; }
    ctx.device.profile.props[argv[1]] = argv[2];
    return 0;
  },
  cat: async (argv, io, ctx) => {
    if (argv.length === 1) { io.out(io.stdin); return 0; }
    let status = 0;
    for (const f of argv.slice(1)) {
      const norm = Sandbox.normalize(f, ctx.session.cwd);
      const v = virtualFile(ctx, norm);
      if (v !== undefined) { io.out(v); continue; }
      try {
        io.out(await fs.readFile(await resolveHost(ctx, f)));
      } catch (e) {
        io.err(`cat: ${f}: ${errText(e)}\n`);
        status = 1;
      }
    }
    return status;
  },
  ls: async (argv, io, ctx) => {
    const { flags, args } = splitFlags(argv, 'laA1dRhtrsZn');
    const targets = args.length ? args : [ctx.session.cwd];
    let status = 0;
    for (const t of targets) {
      try {
        const host = await resolveHost(ctx, t);
        const st = await fs.stat(host);
        const names = st.isDirectory() && !flags.has('d') ? (await fs.readdir(host)).filter((n) => !n.includes('.vp-tmp-')).sort() : [path.posix.basename(Sandbox.normalize(t, ctx.session.cwd)) || '/'];
        if (targets.length > 1) io.out(`${t}:\n`);
        const shown = flags.has('a') ? ['.', '..', ...names] : names.filter((n) => flags.has('A') || !n.startsWith('.'));
        for (const n of shown) {
          if (!flags.has('l')) { io.out(`${n}\n`); continue; }
          const s = await fs.lstat(st.isDirectory() && !flags.has('d') ? path.join(host, n) : host);
          const type = s.isDirectory() ? 'd' : '-';
          const perm = [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1].map((b, i) => (s.mode & b ? 'rwx'[i % 3] : '-')).join('');
          const when = new Date(s.mtimeMs).toISOString().slice(0, 16).replace('T', ' ');
          io.out(`${type}${perm} 1 shell shell ${String(s.size).padStart(8)} ${when} ${n}\n`);
        }
      } catch (e) {
        io.err(`ls: ${t}: ${errText(e)}\n`);
        status = 1;
      }
    }
    return status;
  },
  mkdir: async (argv, io, ctx) => {
    const { flags, args } = splitFlags(argv, 'pm');
    return eachArg('mkdir', args, io, async (d) => {
      await fs.mkdir(await resolveHost(ctx, d), { recursive: flags.has('p') });
    }, (e) => flags.has('p') && (e as NodeJS.ErrnoException).code === 'EEXIST');
  },
  rm: async (argv, io, ctx) => {
    const { flags, args } = splitFlags(argv, 'rRfvd');
    return eachArg('rm', args, io, async (f) => {
      const host = await resolveHost(ctx, f);
      if (host === (await resolveHost(ctx, '/'))) throw new SandboxError('EACCES', 'refusing to remove /');
      const st = await fs.lstat(host);
      if (st.isDirectory() && !(flags.has('r') || flags.has('R'))) throw Object.assign(new Error('Is a directory'), { code: 'EISDIR' });
      await fs.rm(host, { recursive: true, force: false });
    }, (e) => flags.has('f') && (e as NodeJS.ErrnoException).code === 'ENOENT');
  },
  rmdir: async (argv, io, ctx) => eachArg('rmdir', argv.slice(1), io, async (d) => fs.rmdir(await resolveHost(ctx, d))),
  mv: (argv, io, ctx) => moveOrCopy('mv', argv, io, ctx),
  cp: (argv, io, ctx) => moveOrCopy('cp', argv, io, ctx),
  touch: async (argv, io, ctx) => eachArg('touch', argv.slice(1).filter((a) => !a.startsWith('-')), io, async (f) => {
    const host = await resolveHost(ctx, f);
    const now = new Date();
    await fs.utimes(host, now, now).catch(async () => fs.writeFile(host, '', { flag: 'a' }));
  }),
  chmod: async (argv, io, ctx) => {
    const { args } = splitFlags(argv, 'R');
    const mode = parseInt(args[0] ?? '', 8);
    return eachArg('chmod', args.slice(1), io, async (f) => {
      const host = await resolveHost(ctx, f);
      if (Number.isFinite(mode)) await fs.chmod(host, mode & 0o777);
      else await fs.access(host);
    });
  },
  sha256sum: (argv, io, ctx) => hashFiles('sha256', argv, io, ctx),
  md5sum: (argv, io, ctx) => hashFiles('md5', argv, io, ctx),
  wc: (argv, io) => {
    const text = io.stdin.toString('utf8');
    const lines = (text.match(/\n/g) ?? []).length;
    if (argv.includes('-l')) io.out(`${lines}\n`);
    else if (argv.includes('-c')) io.out(`${io.stdin.length}\n`);
    else io.out(`${lines} ${text.split(/\s+/).filter(Boolean).length} ${io.stdin.length}\n`);
    return 0;
  },
  head: (argv, io) => {
    const n = Number(argv[argv.indexOf('-n') + 1] ?? 10) || 10;
    io.out(io.stdin.toString('utf8').split('\n').slice(0, n).join('\n') + '\n');
    return 0;
  },
  grep: async (argv, io, ctx) => {
    const { flags, args } = splitFlags(argv, 'iEvqc');
    if (!args.length) { io.err('usage: grep [-iEvqc] PATTERN [FILE]...\n'); return 2; }
    let re: RegExp;
    try {
      re = new RegExp(flags.has('E') ? args[0] : args[0].replace(/[.+?^${}()|[\]\\]/g, (c) => (c === '.' ? '.' : `\\${c}`)), flags.has('i') ? 'i' : '');
    } catch {
      io.err(`grep: bad regex '${args[0]}'\n`);
      return 2;
    }
    let text = io.stdin.toString('utf8');
    if (args.length > 1) {
      text = '';
      for (const f of args.slice(1)) {
        const v = virtualFile(ctx, Sandbox.normalize(f, ctx.session.cwd));
        text += v ?? (await fs.readFile(await resolveHost(ctx, f)).then((b) => b.toString('utf8')).catch(() => ''));
      }
    }
    const hits = text.split('\n').filter((l, i, all) => (i < all.length - 1 || l !== '') && re.test(l) !== flags.has('v'));
    if (flags.has('c')) io.out(`${hits.length}\n`);
    else if (!flags.has('q')) for (const h of hits) io.out(`${h}\n`);
    return hits.length ? 0 : 1;
  },
  sh: async (argv, io, ctx) => {
    const i = argv.indexOf('-c');
    if (i < 0 || argv[i + 1] === undefined) { io.err('sh: interactive sub-shells are not supported here\n'); return 2; }
    // A child shell: its `exit` ends it, not the caller.
    return runShell(ctx.device, argv[i + 1], io, { cwd: ctx.session.cwd, lastExit: ctx.session.lastExit });
  },
  df: (_a, io) => {
    io.out('Filesystem     1K-blocks    Used Available Use% Mounted on\n/dev/block/dm-5 115343360 20971520 94371840  19% /data\n');
    return 0;
  },
  settings: (argv, io, ctx) => {
    const [, verb, , key, value] = argv;
    const map: Record<string, string> = { wifi_on: 'wifi', bluetooth_on: 'bluetooth', airplane_mode_on: 'airplane', location_mode: 'location', zen_mode: 'dnd', ui_night_mode: 'dark' };
    const toggle = key ? map[key] : undefined;
    if (key === 'user_rotation' || key === 'accelerometer_rotation') {
      if (verb === 'get') { io.out(`${key === 'user_rotation' ? ctx.phone.rotation : 0}\n`); return 0; }
      if (verb === 'put' && value !== undefined) {
        if (key === 'accelerometer_rotation') return 0; // the virtual phone has no sensor: rotation is always user-set
        if (!/^[0-3]$/.test(value) || !ctx.phone.setRotation(Number(value))) { io.err(`Error: user_rotation must be 0, 1, 2 or 3, not ${value}\n`); return 1; }
        return 0;
      }
    }
    if (verb === 'get') {
      io.out(toggle ? `${ctx.phone.toggles[toggle] ? (key === 'ui_night_mode' ? 2 : key === 'location_mode' ? 3 : 1) : key === 'ui_night_mode' ? 1 : 0}\n` : 'null\n');
      return 0;
    }
    if (verb === 'put' && key && value !== undefined) {
      if (toggle) { ctx.phone.toggles[toggle] = value !== '0' && !(key === 'ui_night_mode' && value === '1'); ctx.phone.version++; }
      return 0;
    }
    io.err('usage: settings [--user N] get|put NAMESPACE KEY [VALUE]\n');
    return 1;
  },
  svc: (argv, io, ctx) => {
    const [, what, verb] = argv;
    const key = what === 'wifi' ? 'wifi' : what === 'bluetooth' ? 'bluetooth' : undefined;
    if (!key || (verb !== 'enable' && verb !== 'disable')) { io.err('usage: svc wifi|bluetooth enable|disable\n'); return 1; }
    ctx.phone.toggles[key] = verb === 'enable';
    ctx.phone.version++;
    return 0;
  },
  wm: (argv, io, ctx) => {
    const p = ctx.device.profile;
    if (argv[1] === 'size' && argv.length === 2) { io.out(`Physical size: ${p.width}x${p.height}\n`); return 0; }
    if (argv[1] === 'density' && argv.length === 2) { io.out(`Physical density: ${p.density}\n`); return 0; }
    if (argv[1] === 'size' || argv[1] === 'density') { io.err('Security exception: changing the display is not supported by the virtual phone\n'); return 1; }
    io.err('usage: wm size|density\n');
    return 1;
  },
  input: (argv, io, ctx) => inputCommand(argv, io, ctx),
  screencap: async (argv, io, ctx) => {
    const { flags, args } = splitFlags(argv, 'pj');
    const file = args.find((a) => !/^\d+$/.test(a) && a !== '-d');
    const png = flags.has('p') || (file?.endsWith('.png') ?? false);
    const data = png ? await ctx.device.screenshotPng() : await ctx.device.screenshotRaw();
    if (file) await ctx.fs.writeFile(Sandbox.normalize(file, ctx.session.cwd), data);
    else io.out(data);
    return 0;
  },
  uiautomator: async (argv, io, ctx) => {
    if (argv[1] !== 'dump') { io.err('Usage: uiautomator dump [--compressed] [file]\n'); return 1; }
    const file = argv.slice(2).find((a) => !a.startsWith('--')) ?? '/sdcard/window_dump.xml';
    const xml = ctx.phone.uiXml();
    if (file === '/dev/tty' || file === '/dev/stdout') {
      io.out(xml);
      io.out('UI hierchary dumped to: /dev/tty\n');
      return 0;
    }
    await ctx.fs.writeFile(Sandbox.normalize(file, ctx.session.cwd), xml);
    io.out(`UI hierchary dumped to: ${Sandbox.normalize(file, ctx.session.cwd)}\n`);
    return 0;
  },
  dumpsys: (argv, io, ctx) => dumpsys(argv, io, ctx),
  pm: (argv, io, ctx) => pm(argv.slice(1), io, ctx),
  cmd: (argv, io, ctx) => {
    if (argv[1] === 'package') return pm(argv.slice(2), io, ctx);
    if (argv[1] === 'activity') return am(argv.slice(2), io, ctx);
    io.err(`cmd: Can't find service: ${argv[1] ?? ''}\n`);
    return 20;
  },
  am: (argv, io, ctx) => am(argv.slice(1), io, ctx),
  screenrecord: (argv, io, ctx) => screenrecordBuiltin(argv, io, ctx.device, ctx.session.cwd),
  onnxruntime_perf_test: (argv, io, ctx) => perfTestBuiltin(argv, { out: (s) => io.out(s), err: (s) => io.err(s) }, ctx.fs, ctx.session.cwd),
  monkey: (argv, io, ctx) => {
    const i = argv.indexOf('-p');
    const pkg = i >= 0 ? argv[i + 1] : undefined;
    if (!pkg || !ctx.phone.launch(pkg)) { io.err(`** No activities found to run, monkey aborted.\n`); return 252; }
    io.out('  bash arg: -p\n  bash arg: ' + pkg + '\nEvents injected: 1\n## Network stats: elapsed time=12ms (0ms mobile, 0ms wifi, 12ms not connected)\n');
    return 0;
  },
};

async function hashFiles(algo: 'sha256' | 'md5', argv: string[], io: ShellIO, ctx: ShellContext): Promise<number> {
  const files = argv.slice(1).filter((a) => !a.startsWith('-'));
  if (!files.length) { io.out(`${createHash(algo).update(io.stdin).digest('hex')}  -\n`); return 0; }
  let status = 0;
  for (const f of files) {
    try {
      const h = createHash(algo);
      const handle = await fs.open(await resolveHost(ctx, f), 'r');
      try {
        for await (const chunk of handle.createReadStream()) h.update(chunk as Buffer);
      } finally {
        await handle.close().catch(() => undefined);
      }
      io.out(`${h.digest('hex')}  ${f}\n`);
    } catch (e) {
      io.err(`${algo}sum: ${f}: ${errText(e)}\n`);
      status = 1;
    }
  }
  return status;
}

function keyCode(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  const k = name.toUpperCase().replace(/^KEYCODE_/, '');
  return KEYCODES[k];
}

function inputCommand(argv: string[], io: ShellIO, ctx: ShellContext): number {
  let args = argv.slice(1);
  if (['touchscreen', 'touchpad', 'keyboard', 'mouse', 'dpad', 'gamepad', 'stylus', 'trackball'].includes(args[0])) args = args.slice(1);
  if (args[0] === '-d') args = args.slice(2);
  const [verb, ...rest] = args;
  const nums = rest.map(Number);
  const usage = () => { io.err(`Error: Invalid arguments for command: ${verb ?? ''}\nUsage: input [<source>] <command> [<arg>...]\n`); return 1; };
  const bad = (n: number) => nums.slice(0, n).some((v) => !Number.isFinite(v)) || rest.length < n;
  const phone = ctx.phone;
  switch (verb) {
    case 'tap':
      if (bad(2)) return usage();
      phone.tap(nums[0], nums[1]);
      return 0;
    case 'swipe':
    case 'draganddrop':
      if (bad(4)) return usage();
      phone.swipe(nums[0], nums[1], nums[2], nums[3], Number.isFinite(nums[4]) ? nums[4] : 300);
      return 0;
    case 'longpress':
      if (bad(2)) return usage();
      phone.longPress(nums[0], nums[1]);
      return 0;
    case 'text': {
      if (!rest.length) return usage();
      phone.typeText(rest.join(' ').replace(/%s/g, ' '));
      return 0;
    }
    case 'keyevent':
    case 'press': {
      const keys = rest.filter((k) => !k.startsWith('--'));
      if (!keys.length && verb === 'keyevent') return usage();
      for (const k of keys.length ? keys : ['DPAD_CENTER']) {
        const code = keyCode(k);
        if (code === undefined) { io.err(`Error: Unknown keycode: ${k}\n`); return 1; }
        phone.key(code);
      }
      return 0;
    }
    default:
      return usage();
  }
}

function dumpsys(argv: string[], io: ShellIO, ctx: ShellContext): number {
  const phone = ctx.phone;
  const what = argv[1];
  const act = phone.currentActivity();
  switch (what) {
    case 'battery': {
      const b = phone.battery;
      io.out(['Current Battery Service state:', `  AC powered: ${b.plugged === 1}`, `  USB powered: ${b.plugged === 2}`, '  Wireless powered: false', '  Max charging current: 500000',
        '  Max charging voltage: 5000000', '  Charge counter: 3650000', `  status: ${b.status}`, '  health: 2', '  present: true', `  level: ${b.level}`, '  scale: 100',
        `  voltage: ${b.voltage}`, `  temperature: ${b.temperature}`, '  technology: Li-ion', ''].join('\n'));
      return 0;
    }
    case 'window':
      io.out(`WINDOW MANAGER WINDOWS (dumpsys window windows)\n  mCurrentFocus=Window{1a2b3c u0 ${act}}\n  mFocusedApp=ActivityRecord{4d5e6f u0 ${act} t12}\n  mScreenOn=${phone.screenOn}\n`);
      return 0;
    case 'activity':
      io.out(`ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\n  mResumedActivity: ActivityRecord{4d5e6f u0 ${act} t12}\n  ResumedActivity: ActivityRecord{4d5e6f u0 ${act} t12}\n`);
      return 0;
    case 'display': {
      const p = ctx.device.profile;
      const [lw, lh] = phone.logicalSize;
      io.out(`DISPLAY MANAGER (dumpsys display)\n  mBaseDisplayInfo=DisplayInfo{"Built-in Screen", displayId 0, real ${p.width} x ${p.height}, rotation 0, density ${p.density}, state ${phone.screenOn ? 'ON' : 'OFF'}}\n` +
        `Logical Displays: size=1\n  Display 0:\n    mOverrideDisplayInfo=DisplayInfo{"Built-in Screen", displayId 0, real ${lw} x ${lh}, rotation ${phone.rotation}, density ${p.density}, state ${phone.screenOn ? 'ON' : 'OFF'}}\n`);
      return 0;
    }
    case 'power':
      io.out(`POWER MANAGER (dumpsys power)\n  mWakefulness=${phone.screenOn ? 'Awake' : 'Asleep'}\n  Display Power: state=${phone.screenOn ? 'ON' : 'OFF'}\n`);
      return 0;
    case undefined:
    case '-l':
      io.out('Currently running services:\n  activity\n  battery\n  display\n  package\n  power\n  window\n');
      return 0;
    default:
      io.err(`Can't find service: ${what}\n`);
      return 0;
  }
}

async function pm(args: string[], io: ShellIO, ctx: ShellContext): Promise<number> {
  const phone = ctx.phone;
  const [verb, ...rest] = args;
  if (verb === 'clear') {
    // Clears an app's data, as on a phone: its state goes back to a fresh install.
    const pkg = rest.filter((a) => !a.startsWith('-'))[0];
    if (!pkg || !ctx.phone.clearData(pkg)) { io.err(`Error: package ${pkg ?? '(none)'} not found\n`); io.out('Failed\n'); return 1; }
    io.out('Success\n');
    return 0;
  }
  if (verb === 'list' && rest[0] === 'packages') {
    const { flags, args: filters } = splitFlags(['pm', ...rest.slice(1)], '3sfeduiU');
    for (const a of phone.apps) {
      if (flags.has('3') && a.system) continue;
      if (flags.has('s') && !a.system) continue;
      if (filters[0] && !a.pkg.includes(filters[0])) continue;
      io.out(flags.has('f') ? `package:${a.apkPath ?? `/system/app/${a.label}/${a.label}.apk`}=${a.pkg}\n` : `package:${a.pkg}\n`);
    }
    return 0;
  }
  if (verb === 'list' && rest[0] === 'features') {
    for (const f of ['android.hardware.touchscreen', 'android.hardware.touchscreen.multitouch', 'android.hardware.wifi', 'android.hardware.bluetooth', 'android.hardware.screen.portrait', 'android.software.app_widgets', 'android.hardware.vulkan.level=1', 'android.hardware.opengles.aep', 'android.software.device_admin']) {
      io.out(`feature:${f}\n`);
    }
    return 0;
  }
  if (verb === 'path') {
    const app = phone.apps.find((a) => a.pkg === rest[0]);
    if (!app) return 1;
    io.out(`package:${app.apkPath ?? `/system/app/${app.label}/${app.label}.apk`}\n`);
    return 0;
  }
  if (verb === 'install') {
    const file = rest.filter((a) => !a.startsWith('-')).pop();
    if (!file) { io.err('Error: no package specified\n'); return 1; }
    let apk: Buffer;
    try {
      apk = await fs.readFile(await resolveHost(ctx, file));
    } catch (e) {
      io.out(`Failure [INSTALL_FAILED_INVALID_URI: ${errText(e)}]\n`);
      return 1;
    }
    let pkg: string;
    try {
      pkg = apkPackageName(apk);
    } catch (e) {
      io.out(`Failure [INSTALL_PARSE_FAILED_NOT_APK: ${e instanceof ApkError ? e.message : 'failed to parse'}]\n`);
      return 1;
    }
    if (!/^[A-Za-z][\w]*(\.[A-Za-z][\w]*)+$/.test(pkg)) { io.out(`Failure [INSTALL_PARSE_FAILED_BAD_PACKAGE_NAME: ${pkg}]\n`); return 1; }
    const existing = phone.apps.find((a) => a.pkg === pkg);
    if (existing && !rest.includes('-r') && existing.apkPath) { /* modern pm replaces by default */ }
    if (existing?.system) { io.out('Failure [INSTALL_FAILED_UPDATE_INCOMPATIBLE]\n'); return 1; }
    const apkPath = `/data/app/${pkg}-1/base.apk`;
    await ctx.fs.writeFile(apkPath, apk);
    if (existing) existing.apkPath = apkPath;
    else phone.apps.push({ pkg, label: pkg.split('.').pop() ?? pkg, activity: '.MainActivity', apkPath, system: false });
    phone.version++;
    io.out('Success\n');
    return 0;
  }
  if (verb === 'uninstall') {
    const pkg = rest.filter((a) => !a.startsWith('-'))[0];
    const i = phone.apps.findIndex((a) => a.pkg === pkg && !a.system);
    if (i < 0) { io.out('Failure [DELETE_FAILED_INTERNAL_ERROR]\n'); return 1; }
    const [app] = phone.apps.splice(i, 1);
    if (phone.foreground === pkg) phone.goHome();
    if (app.apkPath) await fs.rm(path.dirname(await resolveHost(ctx, app.apkPath)), { recursive: true, force: true });
    phone.version++;
    io.out('Success\n');
    return 0;
  }
  if (verb === 'clear') {
    if (!phone.apps.some((a) => a.pkg === rest[0])) { io.out('Failed\n'); return 1; }
    phone.forceStop(rest[0]);
    if (rest[0] === 'com.mobileai.notes') phone.notes = [];
    io.out('Success\n');
    return 0;
  }
  io.err(`Unknown command: ${verb ?? ''}\n`);
  return 1;
}

function am(args: string[], io: ShellIO, ctx: ShellContext): number {
  const [verb, ...rest] = args;
  const phone = ctx.phone;
  if (verb === 'start' || verb === 'start-activity') {
    let component: string | undefined;
    let action: string | undefined;
    let pkg: string | undefined;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      if (a === '-n') component = rest[++i];
      else if (a === '-a') action = rest[++i];
      else if (['-c', '-d', '-t', '-e', '--es', '--ez', '--ei', '--user', '-f'].includes(a)) i += a.startsWith('--e') ? 2 : 1;
      else if (!a.startsWith('-')) pkg = a;
    }
    if (component) pkg = component.split('/')[0];
    if (!pkg && action) {
      const byAction: Record<string, string> = { 'android.settings.SETTINGS': 'com.android.settings', 'android.settings.WIFI_SETTINGS': 'com.android.settings', 'android.intent.action.MAIN': 'com.android.launcher3' };
      pkg = byAction[action];
    }
    const desc = component ? `cmp=${component}` : action ? `act=${action}` : `pkg=${pkg ?? ''}`;
    io.out(`Starting: Intent { ${desc} }\n`);
    if (!pkg || !phone.launch(pkg)) {
      io.err(`Error: Activity not started, unable to resolve Intent { ${desc} flg=0x10000000 }\n`);
      return 1;
    }
    if (rest.includes('-W')) io.out(`Status: ok\nLaunchState: COLD\nActivity: ${phone.currentActivity()}\nTotalTime: 120\nWaitTime: 125\nComplete\n`);
    return 0;
  }
  if (verb === 'force-stop' || verb === 'kill') {
    if (rest[0]) phone.forceStop(rest[0]);
    return 0;
  }
  io.err(`Error: Unknown command: ${verb ?? ''}\n`);
  return 1;
}
