import { randomBytes } from 'node:crypto';
import type { AbortLike, Reader } from './io';

/** The character devices scripts use: /dev/null, /dev/zero, /dev/urandom, /dev/random. */
const DEVICES = new Set(['/dev/null', '/dev/zero', '/dev/urandom', '/dev/random', '/dev/tty', '/dev/stdin', '/dev/stdout', '/dev/stderr']);

export function isDevPath(abs: string): boolean {
  return DEVICES.has(abs);
}

/** Endless devices give way to the event loop on every block and end when the reading process is stopped. */
function endless(next: () => Buffer, signal?: AbortLike): Reader {
  return {
    read: () => new Promise((resolve) => setImmediate(() => resolve(signal?.aborted ? null : next()))),
  };
}

export function devReader(abs: string, signal?: AbortLike): Reader {
  const block = 64 * 1024;
  switch (abs) {
    case '/dev/zero': {
      const zeros = Buffer.alloc(block);
      return endless(() => zeros, signal);
    }
    case '/dev/urandom':
    case '/dev/random':
      return endless(() => randomBytes(block), signal);
    default:
      return { read: async () => null };
  }
}
