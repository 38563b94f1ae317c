import { randomBytes } from 'node:crypto';
import type { Reader } from './io';

/** The character devices scripts use: /dev/null, /dev/zero, /dev/urandom, /dev/random. */
const DEVICES = new Set(['/dev/null', '/dev/zero', '/dev/urandom', '/dev/random', '/dev/tty', '/dev/stdin', '/dev/stdout', '/dev/stderr']);

export function isDevPath(abs: string): boolean {
  return DEVICES.has(abs);
}

export function devReader(abs: string): Reader {
  const block = 64 * 1024;
  switch (abs) {
    case '/dev/zero': {
      const zeros = Buffer.alloc(block);
      return { read: async () => zeros };
    }
    case '/dev/urandom':
    case '/dev/random':
      return { read: async () => randomBytes(block) };
    default:
      return { read: async () => null };
  }
}
