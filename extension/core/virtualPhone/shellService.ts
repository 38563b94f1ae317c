import { encodeShellPacket, ShellPacketDecoder, SHELL_CLOSE_STDIN, SHELL_EXIT, SHELL_STDERR, SHELL_STDIN, SHELL_STDOUT } from './protocol';
import type { VirtualDevice } from './device';
import type { ServiceStream } from './stream';
import { Pipe, toBuffer } from './os/io';
import { ShellSyntaxError, type Node } from './sh/ast';
import { parseScript } from './sh/parser';
import { ExitSignal, LoopSignal, ReturnSignal, Shell, type Fds } from './sh/interp';
import { InStream, type Writer } from './sh/streams';

export interface ShellOptions {
  /** Shell protocol v2: stdin/stdout/stderr/exit packets. */
  v2: boolean;
  /** A terminal: a prompt, echo, line editing, \n → \r\n, SIGHUP when the host goes away. */
  pty: boolean;
  command: string;
  /** `exec:`: raw bytes both ways, no protocol, no pty. */
  exec?: boolean;
}

/** Bytes the phone lets run ahead of the host's acknowledgements before a writer waits. */
const WINDOW = 1 << 20;

/**
 * Runs `shell:`/`exec:` streams as adbd does: one command line, a script read from stdin (no pty: silent, no
 * prompt), or an interactive session (pty). stdin is streamed to the running command byte for byte; end of
 * input is the v2 close-stdin packet, or the host closing the stream (v1 and exec:).
 */
export function startShell(device: VirtualDevice, stream: ServiceStream, opts: ShellOptions, log?: (m: string) => void): void {
  const stdin = new Pipe(4 << 20);
  const decoder = new ShellPacketDecoder();
  const goneCbs: Array<() => void> = [];
  let pending = 0;
  let finished = false;

  const send = (id: number, data: Buffer): Promise<void> => {
    if (stream.closed || !data.length) return Promise.resolve();
    let b = data;
    if (opts.pty) b = Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const packet = opts.v2 ? encodeShellPacket(id, b) : b;
    pending += packet.length;
    const acked = stream.write(packet).then(() => { pending -= packet.length; });
    return pending > WINDOW ? acked : Promise.resolve();
  };
  const writer = (id: number): Writer => ({
    write: (d) => send(id, toBuffer(d)),
    onGone: (cb) => (stream.closed ? cb() : goneCbs.push(cb)),
    get gone() { return stream.closed; },
  });
  const shell = new Shell({ device, tty: opts.pty, parentPid: 620 });
  const fds: Fds = { 0: InStream.of(stdin), 1: writer(SHELL_STDOUT), 2: writer(opts.v2 ? SHELL_STDERR : SHELL_STDOUT) };

  const finish = (code: number) => {
    if (finished) return;
    finished = true;
    shell.dispose();
    if (stream.closed) return;
    if (opts.v2) void stream.write(encodeShellPacket(SHELL_EXIT, Buffer.from([code & 0xff])));
    stream.end();
  };

  const prevClose = stream.onClose;
  stream.onClose = () => {
    stdin.end();
    for (const cb of goneCbs.splice(0)) cb();
    // A terminal going away is SIGHUP; without one, the command sees end of input and a closed stdout.
    if (opts.pty || shell.traps.has('HUP')) void shell.hangup(fds);
    prevClose?.();
  };

  // Interactive sessions with a terminal: a line discipline feeds typed lines to the shell.
  const tty = opts.pty && !opts.command ? new LineDiscipline(shell, fds, (d) => void send(SHELL_STDOUT, Buffer.from(d, 'utf8')), finish, log) : undefined;

  stream.onData = (data) => {
    const input = (b: Buffer) => (tty ? tty.input(b) : void stdin.write(b));
    if (opts.v2) {
      let packets;
      try {
        packets = decoder.push(data);
      } catch {
        stream.end();
        return;
      }
      for (const p of packets) {
        if (p.id === SHELL_STDIN) input(p.data);
        else if (p.id === SHELL_CLOSE_STDIN) {
          if (tty) tty.eof();
          else stdin.end();
        }
      }
    } else {
      input(data);
    }
  };

  if (opts.command) {
    log?.(`shell: ${opts.command}`);
    void (async () => {
      const status = await shell.run(opts.command, fds).catch(async (e: unknown) => {
        await fds[2].write(`/system/bin/sh: ${e instanceof Error ? e.message : String(e)}\n`);
        return 1;
      });
      await shell.finish(fds);
      finish(status);
    })();
    return;
  }
  if (tty) {
    tty.prompt();
    return;
  }
  // No terminal and no command (`adb shell < script`, `echo ls | adb shell`): the script comes on stdin and
  // runs silently, one complete command at a time.
  void (async () => {
    let status = 0;
    let buf = '';
    const input = fds[0];
    for (;;) {
      const line = await input.readLine();
      if (line === null) break;
      buf += `${line}\n`;
      const tree = tryParse(buf);
      if (tree === 'incomplete') continue;
      const src = buf;
      buf = '';
      if (tree instanceof ShellSyntaxError) {
        await fds[2].write(`/system/bin/sh: ${tree.message}\n`);
        status = 1;
        continue;
      }
      log?.(`shell: ${src.trim()}`);
      const r = await runTop(shell, tree, fds);
      status = r.status;
      if (r.exited) break;
    }
    if (buf.trim()) {
      await fds[2].write('/system/bin/sh: syntax error: unexpected end of file\n');
      status = 1;
    }
    await shell.finish(fds);
    finish(status);
  })();
}

function tryParse(src: string): Node | ShellSyntaxError | 'incomplete' {
  try {
    return parseScript(src);
  } catch (e) {
    if (e instanceof ShellSyntaxError) return e.incomplete ? 'incomplete' : e;
    throw e;
  }
}

async function runTop(shell: Shell, tree: Node, fds: Fds): Promise<{ status: number; exited: boolean }> {
  try {
    return { status: await shell.exec(tree, shell.permanentFds ?? fds), exited: false };
  } catch (e) {
    if (e instanceof ExitSignal) return { status: (shell.lastExit = e.code), exited: true };
    if (e instanceof ReturnSignal || e instanceof LoopSignal) return { status: shell.lastExit, exited: false };
    await fds[2].write(`/system/bin/sh: ${e instanceof Error ? e.message : String(e)}\n`);
    return { status: (shell.lastExit = 1), exited: false };
  }
}

/**
 * A terminal's cooked mode: echo, backspace, ^C (interrupts the running command or drops the line), ^D (end
 * of input on an empty line), ^U; lines go to the running command's stdin, or to the shell between commands.
 */
class LineDiscipline {
  private line = '';
  private pending = '';
  private running = false;
  private ended = false;
  /** Lines typed ahead: the running command reads them, or the shell gets them when the command is done. */
  private queue: string[] = [];
  private waiter: ((b: Buffer | null) => void) | undefined;
  private eofPending = false;
  private readonly reader = {
    read: (): Promise<Buffer | null> => {
      if (this.queue.length) return Promise.resolve(Buffer.from(this.queue.shift() as string, 'utf8'));
      if (this.eofPending) {
        this.eofPending = false;
        return Promise.resolve(null);
      }
      return new Promise<Buffer | null>((r) => (this.waiter = r));
    },
  };

  constructor(
    private readonly shell: Shell,
    private readonly fds: Fds,
    private readonly echo: (s: string) => void,
    private readonly finish: (code: number) => void,
    private readonly log?: (m: string) => void,
  ) {}

  prompt(): void {
    // Android's /system/etc/mkshrc PS1: "STATUS|" before the prompt when the last command failed (130|vphone:/ $ ).
    const e = this.shell.lastExit;
    this.echo(this.pending ? '> ' : `${e ? `${e}|` : ''}${this.shell.device.profile.device}:${this.shell.cwd} $ `);
  }

  eof(): void {
    if (!this.running) {
      this.ended = true;
      void this.shell.finish(this.fds).then(() => this.finish(this.shell.lastExit));
      return;
    }
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w(null);
    else this.eofPending = true;
  }

  input(data: Buffer): void {
    for (const ch of data.toString('utf8')) {
      if (this.ended) return;
      if (ch === '\r' || ch === '\n') {
        this.echo('\n');
        this.queue.push(`${this.line}\n`);
        this.line = '';
        this.pump();
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line.length) {
          this.line = this.line.slice(0, -1);
          this.echo('\b \b');
        }
      } else if (ch === '\x03') {
        this.echo('^C\n');
        this.line = '';
        this.queue = [];
        if (this.running) this.shell.interrupt();
        else { this.pending = ''; this.prompt(); }
      } else if (ch === '\x15') {
        this.echo('\r\x1b[K');
        this.line = '';
        this.prompt();
      } else if (ch === '\x04') {
        if (!this.line) this.eof();
      } else if (ch === '\x1b' || ch < ' ') {
        /* escape sequences and other control keys are ignored */
      } else {
        this.line += ch;
        this.echo(ch);
      }
    }
  }

  private pump(): void {
    if (this.running) {
      const w = this.waiter;
      if (w && this.queue.length) {
        this.waiter = undefined;
        w(Buffer.from(this.queue.shift() as string, 'utf8'));
      }
      return;
    }
    while (!this.running && !this.ended && this.queue.length) this.submit(this.queue.shift() as string);
  }

  private submit(l: string): void {
    this.pending += l;
    const tree = tryParse(this.pending);
    if (tree === 'incomplete') {
      this.prompt();
      return;
    }
    const src = this.pending;
    this.pending = '';
    if (tree instanceof ShellSyntaxError) {
      void this.fds[2].write(`/system/bin/sh: ${tree.message}\n`);
      this.prompt();
      return;
    }
    if (!src.trim()) { this.prompt(); return; }
    this.log?.(`shell: ${src.trim()}`);
    this.running = true;
    void runTop(this.shell, tree, { ...this.fds, 0: InStream.of(this.reader) }).then(async (r) => {
      this.running = false;
      this.waiter = undefined;
      this.eofPending = false;
      if (r.exited) {
        this.ended = true;
        await this.shell.finish(this.fds);
        this.finish(r.status);
        return;
      }
      this.prompt();
      this.pump();
    });
  }
}
