import type { Command, CommandContext, CommandTable } from './types';
import { Abort, type Io } from '../os/io';
import { NetError, NET_ERRNO_TEXT, isLoopbackHost, isNumericHost, type NetListener, type NetSocket, type SockAddr } from '../os/net';
import { Sandbox } from '../sandbox';
import { userName } from '../os/processes';

/**
 * Networking commands of the phone, working in its own socket namespace (device.net): toybox's netcat.
 * Behaviour follows toybox 0.8.9 (Android 14) toys/net/netcat.c and lib/net.c.
 */

/** Raised to end the command with toybox's `NAME: message` on stderr and status 1. */
class ToyExit extends Error {
  constructor(message: string, readonly help = false) {
    super(message);
  }
}

interface NcOpts {
  flags: Set<string>;
  w?: number;
  W?: number;
  p?: number;
  q?: number;
  s?: string;
  f?: string;
  args: string[];
}

/** toybox's option string for netcat: "^tElLw#<1W#<1p#<1>65535q#<1s:f:46uUn[!tlL][!Lw][!Lu][!46U]". */
const NC_BOOL = new Set(['t', 'E', 'l', 'L', '4', '6', 'u', 'U', 'n']);
const NC_NUM: Record<string, [number, number]> = { w: [1, Infinity], W: [1, Infinity], p: [1, 65535], q: [1, Infinity] };
const NC_STR = new Set(['s', 'f']);
const NC_EXCLUSIVE = [['t', 'l', 'L'], ['L', 'w'], ['L', 'u'], ['4', '6', 'U']];

/** toybox atolx: a number with an optional suffix (k, m, …); anything else is "not integer". */
function atolx(s: string): number {
  const m = /^\s*([+-]?(?:0x[0-9a-f]+|0[0-7]*|[1-9]\d*))([cwbkmgtpe]d?)?\s*$/i.exec(s);
  if (!m) throw new ToyExit(`not integer: ${s}`);
  let v = Number(m[1].startsWith('0') && m[1].length > 1 && !/^0x/i.test(m[1]) ? parseInt(m[1], 8) : m[1]);
  const suf = m[2]?.toLowerCase();
  if (suf) {
    const shift = 'cwbkmgtpe'.indexOf(suf[0]) - 2;
    if (shift === -1) v *= 2;
    else if (shift === 0) v *= 512;
    else if (shift > 0) v *= suf[1] === 'd' ? 1000 ** shift : 2 ** (shift * 10);
  }
  return v;
}

function parseNc(argv: string[]): NcOpts {
  const o: NcOpts = { flags: new Set(), args: [] };
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i];
    // "^": options stop at the first argument that is not one.
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (NC_BOOL.has(c)) {
        setFlag(o, c);
        continue;
      }
      if (c in NC_NUM || NC_STR.has(c)) {
        setFlag(o, c);
        let val = a.slice(j + 1);
        if (!val) {
          if (i + 1 >= argv.length) throw new ToyExit(`Missing argument to -${c}`, true);
          val = argv[++i];
        }
        if (c in NC_NUM) {
          const n = atolx(val);
          const [lo, hi] = NC_NUM[c];
          if (n < lo) throw new ToyExit(`-${c} < ${lo}`, true);
          if (n > hi) throw new ToyExit(`-${c} > ${hi}`, true);
          (o as unknown as Record<string, number>)[c] = n;
        } else {
          (o as unknown as Record<string, string>)[c] = val;
        }
        break;
      }
      throw new ToyExit(`Unknown option '${a.slice(j)}'`, true);
    }
  }
  o.args = argv.slice(i);
  return o;
}

function setFlag(o: NcOpts, c: string): void {
  for (const group of NC_EXCLUSIVE) {
    if (!group.includes(c)) continue;
    const other = group.find((g) => g !== c && o.flags.has(g));
    if (other) throw new ToyExit(`No '${c}' with '${other}'`, true);
  }
  o.flags.add(c);
}

/** bionic's built-in services table, the few a script names instead of a number. */
const SERVICES: Record<string, number> = { ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, https: 443 };

/**
 * getaddrinfo() on a phone with no network but loopback: numeric addresses as they are, `localhost` from
 * /system/etc/hosts, every other name unresolvable. Errors are toybox's `HOST:PORT: gai_strerror` text.
 */
function resolve(host: string | undefined, port: string, numericOnly: boolean, family: 4 | 6 | 0): { host: string; port: number } {
  const where = `${host ?? '*'}${port ? ':' : ''}${port}`;
  let p: number;
  if (/^\d+$/.test(port)) p = Number(port);
  else if (SERVICES[port] !== undefined) p = SERVICES[port];
  else throw new ToyExit(`${where}: servname not supported for ai_socktype`);
  if (p > 65535) throw new ToyExit(`${where}: servname not supported for ai_socktype`);
  if (host === undefined) return { host: family === 4 ? '0.0.0.0' : '::', port: p };
  const h = host.replace(/^\[|\]$/g, '');
  if (isNumericHost(h)) {
    if ((family === 4 && h.includes(':')) || (family === 6 && !h.includes(':'))) throw new ToyExit(`${where}: ai_family not supported`);
    return { host: h, port: p };
  }
  if (numericOnly) throw new ToyExit(`${where}: hostname nor servname provided, or not known`);
  const lower = h.toLowerCase();
  if (lower === 'localhost' && family !== 6) return { host: '127.0.0.1', port: p };
  if ((lower === 'ip6-localhost' || lower === 'ip6-loopback') && family !== 4) return { host: '::1', port: p };
  // No network: the resolver has nowhere to ask.
  throw new ToyExit(`${where}: No address associated with hostname`);
}

function netText(e: unknown): string {
  return e instanceof NetError ? NET_ERRNO_TEXT[e.code] : e instanceof Error ? e.message : String(e);
}

/**
 * lib/net.c pollinate(): copies the socket to stdout and stdin to the socket. End of stdin shuts the socket's
 * sending side and from then on `quitMs` of quiet ends it (-q; -1 waits for the peer); end of the socket ends
 * it at once; `idleMs` (-W) of quiet ends it too. Resolves how it ended.
 */
function pollinate(sock: NetSocket, io: Io, idleMs: number, quitMs: number, stop: Abort): Promise<'closed' | 'timeout' | 'aborted' | 'epipe'> {
  return new Promise((resolve) => {
    let done = false;
    let timeout = idleMs;
    let timer: NodeJS.Timeout | undefined;
    const finish = (how: 'closed' | 'timeout' | 'aborted' | 'epipe') => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      resolve(how);
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = timeout >= 0 ? setTimeout(() => finish('timeout'), timeout) : undefined;
    };
    arm();
    stop.onAbort(() => finish('aborted'));
    void (async () => {
      for (;;) {
        const b = await sock.read();
        if (done) return;
        if (b === null) return finish('closed');
        arm();
        await io.out(b);
        if (io.signal.aborted) return finish('aborted');
      }
    })();
    void (async () => {
      for (;;) {
        const b = await io.stdin.read();
        if (done) return;
        if (b === null) {
          // "Close half-connection. This is needed for things like echo GET / | netcat host 80".
          sock.shutdownWrite();
          timeout = quitMs;
          arm();
          return;
        }
        arm();
        if (!(await sock.write(b))) return finish('epipe');
      }
    })();
  });
}

/** Runs COMMAND with the connection as its stdin and stdout (and stderr with -E), as netcat's child does. */
async function serveWithCommand(sock: NetSocket, cmd: string[], opts: NcOpts, io: Io, ctx: CommandContext, parent: Abort): Promise<number> {
  const stop = new Abort().follow(parent);
  sock.onPeerGone(() => stop.abort('SIGPIPE'));
  const toSock = async (d: Buffer | string) => {
    if (!(await sock.write(d))) stop.abort('SIGPIPE');
  };
  const child: Io = {
    stdin: sock,
    out: toSock,
    err: opts.flags.has('E') ? toSock : io.err,
    signal: stop,
    tty: false,
  };
  try {
    return await ctx.sh(cmd.map(quote).join(' '), child);
  } finally {
    sock.close();
  }
}

function quote(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

const netcat: Command = async (argv, io, ctx) => {
  const name = (argv[0] ?? 'nc').split('/').pop() || 'nc';
  const fail = async (msg: string, help = false) => {
    await io.err(`${name}: ${msg}${help ? ` (see "${name} --help")` : ''}\n`);
    return 1;
  };
  let o: NcOpts;
  try {
    o = parseNc(argv);
  } catch (e) {
    if (e instanceof ToyExit) return fail(e.message, e.help);
    throw e;
  }
  const f = o.flags;
  const listen = f.has('l') || f.has('L');
  const family: 4 | 6 | 0 = f.has('4') ? 4 : f.has('6') ? 6 : 0;
  if (o.f !== undefined ? o.args.length > 0 : !listen && o.args.length !== (f.has('U') ? 1 : 2)) return fail('bad argument count', true);
  if (o.f !== undefined) return fail(`${o.f}: serial devices are not available on this virtual phone`);
  if (f.has('u')) return fail('socket: UDP is not available on this virtual phone');
  const idleMs = o.W ? o.W * 1000 : -1;
  const quitMs = o.q ? o.q * 1000 : -1;
  const dev = ctx.device;
  const stop = new Abort().follow(io.signal);
  const proc = dev.procs.get(ctx.pid);
  if (proc) stop.follow(proc.abort);

  // -w: an alarm while connecting or waiting for a connection; it fires "Timeout".
  let alarm: NodeJS.Timeout | undefined;
  let alarmFired = false;
  const alarmStop = new Abort().follow(stop);
  if (o.w) {
    alarm = setTimeout(() => {
      alarmFired = true;
      alarmStop.abort('SIGALRM');
    }, o.w * 1000);
  }
  const disarm = () => {
    if (alarm) clearTimeout(alarm);
    alarm = undefined;
  };

  try {
    if (!listen) {
      let addr: SockAddr;
      if (f.has('U')) {
        addr = { family: 'unix', path: Sandbox.normalize(o.args[0], ctx.cwd) };
      } else {
        const r = resolve(o.args[0], o.args[1], f.has('n'), family);
        addr = { family: 'inet', host: r.host, port: r.port };
      }
      let sock: NetSocket;
      try {
        sock = dev.net.connect(addr);
      } catch (e) {
        // An address that is not this phone has no route: the kernel answers ENETUNREACH at once.
        return fail(`connect: ${netText(e)}`);
      }
      disarm();
      try {
        const how = await pollinate(sock, io, idleMs, quitMs, stop);
        return how === 'aborted' && !io.signal.aborted ? 128 + 9 : 0;
      } finally {
        sock.close();
      }
    }

    // Listening.
    let laddr: SockAddr;
    if (f.has('U')) {
      if (o.s === undefined) return fail('-s must be provided if using -U with -L/-l');
      laddr = { family: 'unix', path: Sandbox.normalize(o.s, ctx.cwd) };
    } else {
      const r = resolve(o.s, String(o.p ?? 0), f.has('n'), family);
      if (o.s !== undefined && !isLoopbackHost(r.host) && r.host !== '0.0.0.0' && r.host !== '::') return fail(`bind: ${NET_ERRNO_TEXT.EADDRNOTAVAIL}`);
      laddr = { family: 'inet', host: r.host, port: r.port };
    }
    let listener: NetListener;
    try {
      listener = dev.net.listen(laddr, { uid: ctx.uid, owner: `${ctx.pid}/${name}` });
    } catch (e) {
      return fail(`bind: ${netText(e)}`);
    }
    const cmd = o.args;
    const serve = async (bg: Abort): Promise<number> => {
      const status = 0;
      try {
        do {
          const sock = await listener.accept(alarmStop);
          if (!sock) {
            if (alarmFired) return fail('Timeout');
            return bg.aborted && !io.signal.aborted ? 128 + 9 : status;
          }
          disarm();
          if (cmd.length && f.has('L')) {
            // A child per connection (the shell gives it its pid); the listener goes on at once.
            void serveWithCommand(sock, cmd, o, io, ctx, bg).catch(() => sock.close());
            continue;
          }
          if (cmd.length) {
            // -l COMMAND: netcat execs the command on the connection; its status is netcat's.
            listener.close();
            return await serveWithCommand(sock, cmd, o, io, ctx, bg);
          }
          try {
            await pollinate(sock, io, idleMs, quitMs, bg);
          } finally {
            sock.close();
          }
          if (bg.aborted) return io.signal.aborted ? status : 128 + 9;
        } while (f.has('L'));
        return status;
      } finally {
        listener.close();
      }
    };
    if (!o.p && !f.has('U')) {
      // No -p: print the port bound; with a COMMAND netcat forks into the background and returns.
      const port = listener.address.family === 'inet' ? listener.address.port : 0;
      await io.out(`${port}\n`);
      if (cmd.length) {
        disarm();
        const bgProc = dev.procs.spawn(name, argv, { ppid: 1, uid: ctx.uid });
        const bg = new Abort().follow(bgProc.abort);
        void serve(bg).finally(() => dev.procs.exit(bgProc.pid));
        return 0;
      }
    }
    return await serve(stop);
  } catch (e) {
    if (e instanceof ToyExit) return fail(e.message, e.help);
    throw e;
  } finally {
    disarm();
  }
};

/** Well-known ports by name, as getservbyport() finds them in bionic's built-in table (netstat without -n). */
const PORT_NAMES: Record<number, string> = { 21: 'ftp', 22: 'ssh', 23: 'telnet', 25: 'smtp', 53: 'domain', 80: 'http', 443: 'https', 8080: 'http-alt' };

/** toybox netstat addr2str: `host:port` cut to the column (the port always shows), `[::]` for the v6 any address. */
function addrText(host: string, port: number, numeric: boolean, width: number): string {
  let h = host;
  if (!numeric) {
    if (h === '127.0.0.1') h = 'localhost';
    else if (h === '::1') h = 'ip6-localhost';
  }
  if (h === '::') h = '[::]';
  const p = port ? `:${(!numeric && PORT_NAMES[port]) || port}` : ':*';
  if (h.length + p.length > width) h = h.slice(0, Math.max(0, width - p.length));
  return h + p;
}

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const padL = (s: string | number, n: number) => String(s).padStart(n);

/**
 * toybox netstat (toys/net/netstat.c) over the phone's namespace: TCP listeners and connections (-t), unix and
 * abstract sockets (-x); -l listening only, -a all, -n numeric, -W wide, -p PID/program, -e user and inode.
 * UDP and raw sockets: the phone has none.
 */
const netstat: Command = async (argv, io, ctx) => {
  const flags = new Set<string>();
  for (const a of argv.slice(1)) {
    // The option string has no argument limit: other words are ignored.
    if (!a.startsWith('-') || a === '-') continue;
    for (let j = 1; j < a.length; j++) {
      if (!'pWrxwutneal'.includes(a[j])) return io.err(`netstat: Unknown option '${a.slice(j)}' (see "netstat --help")\n`).then(() => 1);
      flags.add(a[j]);
    }
  }
  const f = (c: string) => flags.has(c);
  if (f('r')) {
    // Only the loopback: the main table has no route at all.
    await io.out('Kernel IP routing table\nDestination     Gateway         Genmask         Flags  MSS Window  irtt Iface\n');
  }
  if (!['t', 'u', 'w', 'x'].some(f)) {
    if (f('r')) return 0;
    for (const c of 'tuwx') flags.add(c);
  }
  const width = f('W') ? 51 : 23;
  const type = f('a') ? 'servers and established' : f('l') ? 'only servers' : 'w/o servers';
  const dev = ctx.device;
  const inode = (id: number) => 40000 + id;
  const prog = (owner: string, uid: number) => {
    // Only the shell's own processes can be looked into (/proc/PID/fd).
    const m = /^(\d+)\/(.+)$/.exec(owner);
    if (!m || uid !== ctx.uid || !dev.procs.get(Number(m[1]))) return '-';
    return owner;
  };
  const lines: string[] = [];
  if (['t', 'u', 'w'].some(f)) {
    lines.push(`Active Internet connections (${type})`);
    lines.push(`Proto Recv-Q Send-Q ${pad('Local Address', width)} ${pad('Foreign Address', width)} State      ${f('e') ? ' User       Inode      ' : ''}${f('p') ? ' PID/Program Name' : ''}`);
    if (f('t')) {
      const rows: Array<{ v6: boolean; text: string }> = [];
      const row = (v6: boolean, lh: string, lp: number, rh: string, rp: number, state: string, uid: number, ino: number, owner: string) => {
        let t = `${pad(v6 ? 'tcp6' : 'tcp', 6)}${padL(0, 6)}${padL(0, 7)} ${pad(addrText(lh, lp, f('n'), width), width)} ${pad(addrText(rh, rp, f('n'), width), width)} ${pad(state, 11)}`;
        if (f('e')) t += ` ${pad(f('n') ? String(uid) : userName(uid), 10)} ${pad(ino, 11)}`;
        if (f('p')) t += ` ${prog(owner, uid)}`;
        rows.push({ v6, text: t });
      };
      if (f('l') || f('a')) {
        for (const l of dev.net.listeners()) {
          if (l.address.family !== 'inet') continue;
          const v6 = l.address.host.includes(':');
          row(v6, l.address.host, l.address.port, v6 ? '::' : '0.0.0.0', 0, 'LISTEN', l.uid, inode(1000 + l.address.port), l.owner);
        }
      }
      if (!f('l')) {
        for (const s of dev.net.connections()) {
          if (s.local.family !== 'inet' || s.remote.family !== 'inet') continue;
          // netstat.c shows a connection without -a only when (rport & 0x70) is set.
          if (!f('a') && !(s.remote.port & 0x70)) continue;
          row(s.local.host.includes(':'), s.local.host, s.local.port, s.remote.host, s.remote.port, s.state, ctx.uid, inode(s.id), '');
        }
      }
      // /proc/net/tcp first, then /proc/net/tcp6.
      lines.push(...rows.filter((r) => !r.v6).map((r) => r.text), ...rows.filter((r) => r.v6).map((r) => r.text));
    }
  }
  if (f('x')) {
    lines.push(`Active UNIX domain sockets (${type})`);
    lines.push(`Proto RefCnt Flags       Type       State         I-Node${f('p') ? '   PID/Program Name     ' : '   '}Path`);
    const unixRow = (listening: boolean, ino: number, path: string, owner: string, uid: number) => {
      let t = `unix  ${pad(2, 6)} ${pad(listening ? '[ ACC ]' : '[ ]', 11)} ${pad('STREAM', 10)} ${pad(listening ? 'LISTENING' : 'CONNECTED', 13)} ${pad(ino, 8)} `;
      if (f('p')) t += `${pad(prog(owner, uid).slice(0, 19), 19)} `;
      lines.push(t + path);
    };
    if (f('a') || f('l')) {
      for (const l of dev.net.listeners()) {
        if (l.address.family === 'abstract') unixRow(true, inode(2000 + l.address.name.length), `@${l.address.name}`, l.owner, l.uid);
        else if (l.address.family === 'unix') unixRow(true, inode(3000 + l.address.path.length), l.address.path, l.owner, l.uid);
      }
    }
    if (!f('l')) {
      for (const s of dev.net.connections()) {
        if (s.local.family === 'inet') continue;
        const path = s.local.family === 'abstract' && s.local.name ? `@${s.local.name}` : s.local.family === 'unix' ? s.local.path : '';
        unixRow(false, inode(s.id), path, '', ctx.uid);
      }
    }
  }
  await io.out(lines.map((l) => `${l}\n`).join(''));
  return 0;
};

export const NET_COMMANDS: CommandTable = {
  nc: netcat,
  netcat,
  netstat,
};
