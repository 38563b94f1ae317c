/**
 * The few requests of adb's file sync protocol the Device Files view needs, spoken on a `sync:` connection
 * (adb's file_sync_protocol.h / SYNC.TXT): LIST (entries with lstat mode, size and mtime; adbd sends `.` and `..`
 * of a folder it could open, and nothing at all for one it could not), STAT (lstat), STA2 (stat, following
 * links: `stat_v2`), RECV (a file's bytes, here with a size limit), QUIT. Numbers are little-endian.
 */

export interface ByteChannel {
  write(data: Buffer): void;
  /** Exactly n bytes (rejects when the connection ends first). */
  read(n: number): Promise<Buffer>;
  end(): void;
}

export interface SyncDirent {
  name: string;
  mode: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
}

export interface SyncStat2 {
  /** errno of the failed stat (0 when it worked). */
  error: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
}

const id = (s: string) => Buffer.from(s, 'latin1').readUInt32LE(0);
export const SYNC = { LIST: id('LIST'), DENT: id('DENT'), DONE: id('DONE'), STAT: id('STAT'), STA2: id('STA2'), RECV: id('RECV'), DATA: id('DATA'), FAIL: id('FAIL'), QUIT: id('QUIT') };
const NAMES = new Map(Object.entries(SYNC).map(([k, v]) => [v, k]));

/** adbd refuses paths longer than 1024 bytes. */
export const SYNC_MAX_PATH = 1024;

export class SyncFailure extends Error {}

export function syncRequest(cmd: number, path: string): Buffer {
  const p = Buffer.from(path, 'utf8');
  if (p.length > SYNC_MAX_PATH) throw new SyncFailure(`path too long for adb's sync protocol (${p.length} bytes)`);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(cmd, 0);
  head.writeUInt32LE(p.length, 4);
  return Buffer.concat([head, p]);
}

function unexpected(got: number, want: string): SyncFailure {
  return new SyncFailure(`adb sync: expected ${want}, got ${NAMES.get(got) ?? `0x${got.toString(16)}`}`);
}

async function readFail(ch: ByteChannel, len: number): Promise<SyncFailure> {
  return new SyncFailure((await ch.read(len)).toString('utf8'));
}

export class SyncSession {
  constructor(private readonly ch: ByteChannel) {}

  /** LIST: every entry adbd sends, `.` and `..` included. */
  async list(path: string): Promise<SyncDirent[]> {
    this.ch.write(syncRequest(SYNC.LIST, path));
    const out: SyncDirent[] = [];
    for (;;) {
      const rec = await this.ch.read(20);
      const cmd = rec.readUInt32LE(0);
      if (cmd === SYNC.DONE) return out;
      if (cmd === SYNC.FAIL) throw await readFail(this.ch, rec.readUInt32LE(4));
      if (cmd !== SYNC.DENT) throw unexpected(cmd, 'DENT or DONE');
      const nameLen = rec.readUInt32LE(16);
      if (nameLen > 4096) throw new SyncFailure(`adb sync: a name of ${nameLen} bytes`);
      const name = (await this.ch.read(nameLen)).toString('utf8');
      out.push({ name, mode: rec.readUInt32LE(4), size: rec.readUInt32LE(8), mtime: rec.readUInt32LE(12) });
    }
  }

  /** STAT (v1, lstat): mode 0 means it could not be stat'ed. */
  async stat(path: string): Promise<{ mode: number; size: number; mtime: number }> {
    this.ch.write(syncRequest(SYNC.STAT, path));
    const rec = await this.ch.read(16);
    const cmd = rec.readUInt32LE(0);
    if (cmd !== SYNC.STAT) throw unexpected(cmd, 'STAT');
    return { mode: rec.readUInt32LE(4), size: rec.readUInt32LE(8), mtime: rec.readUInt32LE(12) };
  }

  /** STA2 (stat_v2, follows links). */
  async stat2(path: string): Promise<SyncStat2> {
    this.ch.write(syncRequest(SYNC.STA2, path));
    const rec = await this.ch.read(72);
    const cmd = rec.readUInt32LE(0);
    if (cmd === SYNC.FAIL) throw await readFail(this.ch, rec.readUInt32LE(4));
    if (cmd !== SYNC.STA2) throw unexpected(cmd, 'STA2');
    // id, error, dev(8), ino(8), mode, nlink, uid, gid, size(8), atime(8), mtime(8), ctime(8)
    return {
      error: rec.readUInt32LE(4),
      mode: rec.readUInt32LE(24),
      uid: rec.readUInt32LE(32),
      gid: rec.readUInt32LE(36),
      size: Number(rec.readBigUInt64LE(40)),
      mtime: Number(rec.readBigInt64LE(56)),
    };
  }

  /**
   * RECV: a file's bytes, at most `limit` of them (`truncated` when it has more; the connection is then
   * unusable and must be ended).
   */
  async recv(path: string, limit: number): Promise<{ data: Buffer; truncated: boolean }> {
    this.ch.write(syncRequest(SYNC.RECV, path));
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const head = await this.ch.read(8);
      const cmd = head.readUInt32LE(0);
      const len = head.readUInt32LE(4);
      if (cmd === SYNC.DONE) return { data: Buffer.concat(parts), truncated: false };
      if (cmd === SYNC.FAIL) throw await readFail(this.ch, len);
      if (cmd !== SYNC.DATA) throw unexpected(cmd, 'DATA or DONE');
      if (len > 256 * 1024) throw new SyncFailure(`adb sync: a DATA block of ${len} bytes`);
      const chunk = await this.ch.read(len);
      if (size + len > limit) {
        parts.push(chunk.subarray(0, limit - size));
        return { data: Buffer.concat(parts), truncated: true };
      }
      parts.push(chunk);
      size += len;
    }
  }

  quit(): void {
    try {
      this.ch.write(syncRequest(SYNC.QUIT, ''));
    } finally {
      this.ch.end();
    }
  }
}

/** File type bits of st_mode. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export function typeOfMode(mode: number): 'dir' | 'file' | 'link' | 'other' {
  switch (mode & S_IFMT) {
    case S_IFDIR: return 'dir';
    case S_IFREG: return 'file';
    case S_IFLNK: return 'link';
    default: return 'other';
  }
}

/** `drwxr-x--x` as ls prints it. */
export function modeString(mode: number): string {
  const t = typeOfMode(mode);
  const kind = t === 'dir' ? 'd' : t === 'link' ? 'l' : t === 'file' ? '-' : ({ 0o020000: 'c', 0o060000: 'b', 0o010000: 'p', 0o140000: 's' } as Record<number, string>)[mode & S_IFMT] ?? '?';
  const rwx = (bits: number, special: boolean, ch: string) => `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? ch : ch.toUpperCase()) : bits & 1 ? 'x' : '-'}`;
  return kind + rwx((mode >> 6) & 7, !!(mode & 0o4000), 's') + rwx((mode >> 3) & 7, !!(mode & 0o2000), 's') + rwx(mode & 7, !!(mode & 0o1000), 't');
}
