import { encodeShellPacket, ShellPacketDecoder, SHELL_CLOSE_STDIN, SHELL_EXIT, SHELL_STDERR, SHELL_STDIN, SHELL_STDOUT } from './protocol';
import { runShell, type ShellSession } from './shell';
import type { VirtualDevice } from './device';
import type { ServiceStream } from './stream';

export interface ShellOptions {
  /** Shell protocol v2: stdout/stderr/exit packets. */
  v2: boolean;
  /** A terminal: echo input, translate newlines. Interactive `shell:` defaults to a pty. */
  pty: boolean;
  command: string;
  /** `exec:`: raw bytes, no protocol, no pty. */
  exec?: boolean;
}

/** Runs `shell:`/`exec:` streams: one command, or an interactive session when the command is empty. */
export function startShell(device: VirtualDevice, stream: ServiceStream, opts: ShellOptions, log?: (m: string) => void): void {
  const session: ShellSession = { cwd: '/', lastExit: 0 };
  // The reader going away (the host closed the stream) aborts long-running commands.
  const aborts: Array<() => void> = [];
  const signal = { aborted: false, onAbort: (cb: () => void) => (signal.aborted ? cb() : aborts.push(cb)) };
  const prevClose = stream.onClose;
  stream.onClose = () => {
    signal.aborted = true;
    for (const cb of aborts.splice(0)) cb();
    prevClose?.();
  };
  const decoder = new ShellPacketDecoder();
  const send = (id: number, data: Buffer | string) => {
    if (stream.closed) return;
    let b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (opts.pty) b = Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    if (!b.length) return;
    void stream.write(opts.v2 ? encodeShellPacket(id, b) : b);
  };
  const finish = (code: number) => {
    if (stream.closed) return;
    if (opts.v2) void stream.write(encodeShellPacket(SHELL_EXIT, Buffer.from([code & 0xff])));
    stream.end();
  };

  if (opts.command) {
    const stdinNeeded = stdinLength(opts.command);
    const input: Buffer[] = [];
    let have = 0;
    let started = false;
    const run = () => {
      if (started) return;
      started = true;
      log?.(`shell: ${opts.command}`);
      runShell(device, opts.command, { stdin: Buffer.concat(input), out: (d) => send(SHELL_STDOUT, d), err: (d) => send(opts.v2 ? SHELL_STDERR : SHELL_STDOUT, d), signal }, session)
        .then(finish, (err: unknown) => {
          send(SHELL_STDERR, `/system/bin/sh: ${err instanceof Error ? err.message : String(err)}\n`);
          finish(1);
        });
    };
    stream.onData = (data) => {
      if (started) return;
      const chunks = opts.v2 ? decoder.push(data).filter((p) => p.id === SHELL_STDIN).map((p) => p.data) : [data];
      for (const c of chunks) { input.push(c); have += c.length; }
      if (have >= stdinNeeded) run();
    };
    if (stdinNeeded === 0) run();
    return;
  }

  // Interactive shell with a tiny line discipline.
  let line = '';
  let running = Promise.resolve();
  const prompt = () => send(SHELL_STDOUT, `${device.profile.device}:${session.cwd} $ `);
  prompt();
  const onInput = (text: string) => {
    for (const ch of text) {
      if (ch === '\r' || ch === '\n') {
        if (opts.pty) send(SHELL_STDOUT, '\n');
        const cmd = line;
        line = '';
        running = running.then(async () => {
          if (cmd.trim()) {
            log?.(`shell: ${cmd}`);
            await runShell(device, cmd, { stdin: Buffer.alloc(0), out: (d) => send(SHELL_STDOUT, d), err: (d) => send(opts.v2 ? SHELL_STDERR : SHELL_STDOUT, d) }, session)
              .catch((e: unknown) => send(SHELL_STDERR, `${String(e)}\n`));
          }
          if (session.exitRequested !== undefined) finish(session.exitRequested);
          else prompt();
        });
      } else if (ch === '\x7f' || ch === '\b') {
        if (line.length) {
          line = line.slice(0, -1);
          if (opts.pty) send(SHELL_STDOUT, '\b \b');
        }
      } else if (ch === '\x03') {
        line = '';
        if (opts.pty) send(SHELL_STDOUT, '^C\n');
        prompt();
      } else if (ch === '\x04') {
        if (!line) { finish(session.lastExit); return; }
      } else if (ch === '\x1b') {
        /* escape sequences (arrow keys) are ignored */
      } else if (ch >= ' ') {
        line += ch;
        if (opts.pty) send(SHELL_STDOUT, ch);
      }
    }
  };
  stream.onData = (data) => {
    if (opts.v2) {
      for (const p of decoder.push(data)) {
        if (p.id === SHELL_STDIN) onInput(p.data.toString('utf8'));
        if (p.id === SHELL_CLOSE_STDIN) void running.then(() => finish(session.lastExit));
      }
    } else {
      onInput(data.toString('utf8'));
    }
  };
}

/** `cmd package install -S N` (what adb install streams to) reads exactly N bytes of stdin first. */
function stdinLength(command: string): number {
  const m = /^\s*(?:cmd package|pm) install(?:-write)?\b.*\s-S\s+(\d+)/.exec(command);
  return m ? Number(m[1]) : 0;
}
