import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { VirtualDevice, mergeProfile } from '../../extension/core/virtualPhone/device';
import { Sandbox } from '../../extension/core/virtualPhone/sandbox';
import { bufferReader, EMPTY } from '../../extension/core/virtualPhone/os/io';
import { Shell, type Fds } from '../../extension/core/virtualPhone/sh/interp';
import { CaptureWriter, InStream } from '../../extension/core/virtualPhone/sh/streams';

export interface LineResult {
  stdout: string;
  stderr: string;
  code: number;
  /** stdout as bytes (binary output). */
  bytes: Buffer;
}

/**
 * Runs a command line in the virtual phone's shell (the same interpreter `adb shell` uses), without adb.
 * A `shell` keeps variables, functions and the current folder between lines, as one session does.
 */
export async function runLine(device: VirtualDevice, line: string, opts: { stdin?: Buffer | string; shell?: Shell; tty?: boolean } = {}): Promise<LineResult> {
  const sh = opts.shell ?? new Shell({ device, tty: opts.tty });
  const out = new CaptureWriter();
  const err = new CaptureWriter();
  const fds: Fds = { 0: InStream.of(opts.stdin === undefined ? EMPTY : bufferReader(opts.stdin)), 1: out, 2: err };
  try {
    const code = await sh.run(line, fds);
    if (!opts.shell) await sh.finish(fds);
    const bytes = Buffer.concat(out.chunks);
    return { stdout: bytes.toString('utf8'), stderr: err.text(), code, bytes };
  } finally {
    if (!opts.shell) sh.dispose();
  }
}

/** A virtual phone device (no network) over a fresh sandbox; removed after `fn`. */
export async function withPhone<T>(fn: (device: VirtualDevice, sh: (line: string, stdin?: string | Buffer) => Promise<LineResult>) => Promise<T>, profile = {}): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-vsh-'));
  try {
    const sb = new Sandbox(path.join(dir, 'fs'));
    await sb.init();
    const device = new VirtualDevice(mergeProfile({ model: 'Shell Phone', ...profile }), sb, 'x:1');
    const shell = new Shell({ device });
    try {
      return await fn(device, (line, stdin) => runLine(device, line, { stdin, shell }));
    } finally {
      shell.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
