import { promises as fs } from 'node:fs';
import { Sandbox } from '../sandbox';
import type { CommandContext } from '../commands/types';
import { bufferReader, type AbortLike, type Reader } from './io';
import { devReader, isDevPath } from './devfs';
import { procFile } from './procfs';
import { isSysPath, sysFile } from './sysfs';

/**
 * Opening files the way a process on the phone does: `/dev/*`, `/proc/*` and the modelled `/sys/*` files
 * (`sysfs.ts`) are made up on the spot,
 * everything else is the sandbox with its permission rules.
 */
export async function openReader(ctx: Pick<CommandContext, 'device' | 'fs' | 'cwd' | 'uid'> & { signal?: AbortLike; pid?: number }, devicePath: string): Promise<Reader> {
  const abs = Sandbox.normalize(devicePath, ctx.cwd);
  if (isDevPath(abs)) return devReader(abs, ctx.signal);
  if (abs === '/proc' || abs.startsWith('/proc/')) {
    const text = procFile(ctx.device, abs, { self: (ctx as Partial<Pick<CommandContext, 'pid'>>).pid });
    if (text === undefined) throw Object.assign(new Error(`${devicePath}: No such file or directory`), { code: 'ENOENT' });
    return bufferReader(text);
  }
  const sys = isSysPath(abs) ? sysFile(ctx.device, abs) : undefined;
  if (sys !== undefined) return bufferReader(sys);
  const host = await ctx.fs.resolve(abs, '/', 'read', ctx.uid);
  const st = await fs.stat(host);
  if (st.isDirectory()) throw Object.assign(new Error('Is a directory'), { code: 'EISDIR' });
  const handle = await fs.open(host, 'r');
  const chunk = Buffer.alloc(64 * 1024);
  let done = false;
  const close = async () => {
    if (done) return;
    done = true;
    await handle.close().catch(() => undefined);
  };
  return {
    read: async () => {
      if (done) return null;
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) {
        await close();
        return null;
      }
      return Buffer.from(chunk.subarray(0, bytesRead));
    },
    close,
  };
}

/** A whole file (for small files: configs, /proc, scripts). */
export async function readFileAt(ctx: Pick<CommandContext, 'device' | 'fs' | 'cwd' | 'uid'>, devicePath: string): Promise<Buffer> {
  const r = await openReader(ctx, devicePath);
  const chunks: Buffer[] = [];
  for (let c = await r.read(); c !== null; c = await r.read()) chunks.push(c);
  return Buffer.concat(chunks);
}
