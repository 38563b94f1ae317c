import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes `data` to `target` atomically: a temp file in the same folder, fsync, then a hard link to the
 * final name, which fails if that name exists. A user's file is never overwritten.
 */
export async function writeFileAtomicNoClobber(target: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(tmp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`Refusing to overwrite existing file ${target}`);
    }
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Returns `wanted` if free, else `name-1.ext`, `name-2.ext`… (for files the tool names itself). */
export async function uniquePath(wanted: string): Promise<string> {
  const ext = path.extname(wanted);
  const base = wanted.slice(0, wanted.length - ext.length);
  for (let i = 0; i < 10000; i++) {
    const candidate = i === 0 ? wanted : `${base}-${i}${ext}`;
    try {
      await fs.access(candidate);
    } catch {
      return candidate;
    }
  }
  throw new Error(`No free file name near ${wanted}`);
}
