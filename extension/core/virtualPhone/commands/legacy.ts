import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Sandbox, SandboxError } from '../sandbox';
import { readAll, type Io } from '../os/io';
import type { Command, CommandContext } from './types';

type ShellIO = Io & { stdinBuf?: Buffer };
type ShellContext = CommandContext;
type Builtin = Command;

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

async function resolveHost(ctx: ShellContext, p: string): Promise<string> {
  return ctx.fs.hostPath(p, ctx.cwd);
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


/** The first, simple file commands (replaced by commands/toybox.ts where it has them). */
export const LEGACY_COMMANDS: Record<string, Builtin> = {
  sleep: async (argv) => {
    const s = Math.min(Number(argv[1] ?? 0) || 0, 60);
    await new Promise((r) => setTimeout(r, s * 1000));
    return 0;
  },
  id: (_a, io) => { io.out('uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb),1015(sdcard_rw),1028(sdcard_r),3003(inet) context=u:r:shell:s0\n'); return 0; },
  whoami: (_a, io) => { io.out('shell\n'); return 0; },
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
  cat: async (argv, io, ctx) => {
    if (argv.length === 1) { for (let c = await io.stdin.read(); c !== null && !io.signal.aborted; c = await io.stdin.read()) await io.out(c); return 0; }
    let status = 0;
    for (const f of argv.slice(1)) {
      const norm = Sandbox.normalize(f, ctx.cwd);
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
    const targets = args.length ? args : [ctx.cwd];
    let status = 0;
    for (const t of targets) {
      try {
        const host = await resolveHost(ctx, t);
        const st = await fs.stat(host);
        const names = st.isDirectory() && !flags.has('d') ? (await fs.readdir(host)).filter((n) => !n.includes('.vp-tmp-')).sort() : [path.posix.basename(Sandbox.normalize(t, ctx.cwd)) || '/'];
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
  wc: async (argv, io) => {
    const input = await readAll(io.stdin);
    const text = input.toString('utf8');
    const lines = (text.match(/\n/g) ?? []).length;
    if (argv.includes('-l')) io.out(`${lines}\n`);
    else if (argv.includes('-c')) io.out(`${input.length}\n`);
    else io.out(`${lines} ${text.split(/\s+/).filter(Boolean).length} ${input.length}\n`);
    return 0;
  },
  head: async (argv, io) => {
    const n = Number(argv[argv.indexOf('-n') + 1] ?? 10) || 10;
    io.out((await readAll(io.stdin)).toString('utf8').split('\n').slice(0, n).join('\n') + '\n');
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
    let text = args.length > 1 ? '' : (await readAll(io.stdin)).toString('utf8');
    if (args.length > 1) {
      text = '';
      for (const f of args.slice(1)) {
        const v = virtualFile(ctx, Sandbox.normalize(f, ctx.cwd));
        text += v ?? (await fs.readFile(await resolveHost(ctx, f)).then((b) => b.toString('utf8')).catch(() => ''));
      }
    }
    const hits = text.split('\n').filter((l, i, all) => (i < all.length - 1 || l !== '') && re.test(l) !== flags.has('v'));
    if (flags.has('c')) io.out(`${hits.length}\n`);
    else if (!flags.has('q')) for (const h of hits) io.out(`${h}\n`);
    return hits.length ? 0 : 1;
  },
  df: (_a, io) => {
    io.out('Filesystem     1K-blocks    Used Available Use% Mounted on\n/dev/block/dm-5 115343360 20971520 94371840  19% /data\n');
    return 0;
  },
};

async function hashFiles(algo: 'sha256' | 'md5', argv: string[], io: ShellIO, ctx: ShellContext): Promise<number> {
  const files = argv.slice(1).filter((a) => !a.startsWith('-'));
  if (!files.length) { io.out(`${createHash(algo).update(await readAll(io.stdin)).digest('hex')}  -\n`); return 0; }
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

