import { promises as fs, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The virtual phone's file system: a folder on the host laid out as an Android 14 user build, with Android's
 * rules applied by us (the host process may well be root, so the host's own checks prove nothing):
 *
 * - Read-only mounts (`/`, `/system`, `/vendor`, `/product`, `/system_ext`, `/apex`, `/proc`): `EROFS`.
 * - Owners, groups and modes per file, checked the way Linux's generic_permission does for the caller's uid
 *   and groups; uid 0 passes the mode bits (not read-only mounts, and exec still needs an x bit).
 * - `/sdcard` → `/storage/self/primary` → `/storage/emulated/0`: shared storage served by MediaProvider's
 *   FUSE daemon, where every file shows as `u0_a<MediaProvider> media_rw`, `-rw-rw----`/`drwxrws---`, chmod
 *   and chown succeed and change nothing (AOSP FuseDaemon.cpp pf_setattr), the shell may read and write
 *   everything, and nothing executes (the mount is noexec).
 * - Still a sandbox: every path is walked component by component here, symlinks are resolved against the
 *   *phone's* root (a link to `/etc/passwd` means the phone's), `..` stops at the phone's `/`, and a host
 *   symlink is never followed by the host OS: links the phone makes are stored as host symlinks whose target
 *   is a name that does not exist (`.vp-link:<encoded target>`), so even a raced host open cannot leave the folder.
 *
 * Owners and modes the host cannot express live in a sidecar (`/.vp-meta.json` in the folder, written
 * atomically), keyed by path and checked against the inode (number and birth time), so a file replaced
 * behind our back falls back to the rules for its place instead of inheriting a stranger's owner.
 */

/** Android's user and group ids (system/core/libcutils/include/private/android_filesystem_config.h). */
export const AID = {
  ROOT: 0, SYSTEM: 1000, RADIO: 1001, BLUETOOTH: 1002, GRAPHICS: 1003, INPUT: 1004, AUDIO: 1005, CAMERA: 1006, LOG: 1007,
  WIFI: 1010, ADB: 1011, INSTALL: 1012, MEDIA: 1013, SDCARD_RW: 1015, MEDIA_RW: 1023, SDCARD_R: 1028, LOGD: 1036,
  EXTERNAL_STORAGE: 1077, EXT_DATA_RW: 1078, EXT_OBB_RW: 1079, SHELL: 2000, CACHE: 2001, NET_BT_ADMIN: 3001, NET_BT: 3002,
  INET: 3003, NET_RAW: 3004, NET_ADMIN: 3005, NET_BW_STATS: 3006, READPROC: 3009, WAKELOCK: 3010, UHID: 3011,
  READTRACEFS: 3012, EVERYBODY: 9997, MISC: 9998, NOBODY: 9999, APP_START: 10000,
} as const;

/** The uid MediaProvider runs as: the owner of everything on shared storage (`u0_a66`). */
export const MEDIA_PROVIDER_UID = 10066;

/** The supplementary groups adbd gives the shell (adb daemon/main.cpp drop_privileges). */
export const SHELL_GROUPS: readonly number[] = [
  AID.SHELL, AID.INPUT, AID.LOG, AID.ADB, AID.SDCARD_RW, AID.SDCARD_R, AID.EXT_DATA_RW, AID.EXT_OBB_RW,
  AID.NET_BT_ADMIN, AID.NET_BT, AID.INET, AID.NET_BW_STATS, AID.READPROC, AID.UHID, AID.READTRACEFS,
];

const ID_NAMES: Record<number, string> = {
  0: 'root', 1000: 'system', 1001: 'radio', 1002: 'bluetooth', 1003: 'graphics', 1004: 'input', 1005: 'audio', 1006: 'camera',
  1007: 'log', 1008: 'compass', 1009: 'mount', 1010: 'wifi', 1011: 'adb', 1012: 'install', 1013: 'media', 1014: 'dhcp',
  1015: 'sdcard_rw', 1016: 'vpn', 1017: 'keystore', 1018: 'usb', 1019: 'drm', 1020: 'mdnsr', 1021: 'gps', 1023: 'media_rw',
  1024: 'mtp', 1026: 'drmrpc', 1027: 'nfc', 1028: 'sdcard_r', 1029: 'clat', 1036: 'logd', 1041: 'audioserver',
  1046: 'mediacodec', 1047: 'cameraserver', 1058: 'tombstoned', 1066: 'statsd', 1077: 'external_storage',
  1078: 'ext_data_rw', 1079: 'ext_obb_rw', 2000: 'shell', 2001: 'cache', 2002: 'diag', 3001: 'net_bt_admin', 3002: 'net_bt',
  3003: 'inet', 3004: 'net_raw', 3005: 'net_admin', 3006: 'net_bw_stats', 3007: 'net_bw_acct', 3009: 'readproc',
  3010: 'wakelock', 3011: 'uhid', 3012: 'readtracefs', 9997: 'everybody', 9998: 'misc', 9999: 'nobody',
};

/** The name `ls -l`/`id`/`ps` show for a uid or gid, as bionic's getpwuid does (`u0_a66`, `u10_system`…). */
export function androidIdName(id: number): string {
  const user = Math.floor(id / 100000);
  const appId = id % 100000;
  const prefix = `u${user}_`;
  if (appId < AID.APP_START) {
    const base = ID_NAMES[appId];
    if (base === undefined) return String(id);
    return user === 0 ? base : `${prefix}${base}`;
  }
  if (appId < 20000) return `${prefix}a${appId - 10000}`;
  if (appId < 30000) return `${prefix}a${appId - 20000}_cache`;
  if (appId >= 50000 && appId < 60000) return `all_a${appId - 50000}`;
  if (appId >= 90000) return `${prefix}i${appId - 90000}`;
  return String(id);
}

/** The groups a process of `uid` carries (first: its primary group). */
export function groupsOf(uid: number): readonly number[] {
  if (uid === AID.SHELL) return SHELL_GROUPS;
  if (uid % 100000 >= AID.APP_START) return [uid, AID.INET, AID.EVERYBODY];
  return [uid];
}

export interface Mount {
  /** Where it is mounted (a canonical device path). */
  at: string;
  /** What `mount`/`df` show. */
  source: string;
  type: string;
  ro: boolean;
  noexec?: boolean;
  /** st_dev of everything on it. */
  dev: number;
}

const makedev = (major: number, minor: number): number => ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);

/** The mounts of an Android 14 user build (system-as-root: `/` is the system image, read-only). */
export const MOUNTS: readonly Mount[] = [
  { at: '/', source: '/dev/block/dm-0', type: 'erofs', ro: true, dev: makedev(253, 0) },
  { at: '/apex', source: 'tmpfs', type: 'tmpfs', ro: true, dev: makedev(0, 21) },
  { at: '/dev', source: 'tmpfs', type: 'tmpfs', ro: false, dev: makedev(0, 5) },
  { at: '/proc', source: 'proc', type: 'proc', ro: true, dev: makedev(0, 4) },
  { at: '/sys', source: 'sysfs', type: 'sysfs', ro: false, dev: makedev(0, 20) },
  { at: '/mnt', source: 'tmpfs', type: 'tmpfs', ro: false, dev: makedev(0, 22) },
  { at: '/vendor', source: '/dev/block/dm-1', type: 'erofs', ro: true, dev: makedev(253, 1) },
  { at: '/product', source: '/dev/block/dm-2', type: 'erofs', ro: true, dev: makedev(253, 2) },
  { at: '/system_ext', source: '/dev/block/dm-3', type: 'erofs', ro: true, dev: makedev(253, 3) },
  { at: '/data', source: '/dev/block/dm-45', type: 'f2fs', ro: false, dev: makedev(253, 45) },
  { at: '/storage', source: 'tmpfs', type: 'tmpfs', ro: false, dev: makedev(0, 23) },
  { at: '/storage/emulated', source: '/dev/fuse', type: 'fuse', ro: false, noexec: true, dev: makedev(0, 59) },
];

/** The mount a canonical device path is on. */
export function mountOf(canonical: string): Mount {
  let best = MOUNTS[0];
  for (const m of MOUNTS) {
    if ((canonical === m.at || canonical.startsWith(m.at === '/' ? '/' : `${m.at}/`)) && m.at.length > best.at.length) best = m;
  }
  return best;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_ISGID = 0o2000;
const S_ISUID = 0o4000;
const S_ISVTX = 0o1000;
/** Linux's MAXSYMLINKS, NAME_MAX and PATH_MAX. */
const MAX_LINKS = 40;
const NAME_MAX = 255;
const PATH_MAX = 4096;
/** Names of ours inside the folder: never visible to, nor creatable by, the phone. */
const RESERVED = '.vp-';
const META_FILE = '.vp-meta.json';
const LINK_PREFIX = '.vp-link:';
/** Files in Android's build images all carry this time (2009-01-01 00:00:00 UTC). */
export const IMAGE_TIME = 1230768000;
const FUSE_ROOT = '/storage/emulated/0';

interface Attrs {
  uid: number;
  gid: number;
  /** Permission bits, with set-id and sticky bits (0o7777). */
  mode: number;
}

interface MetaEntry extends Attrs {
  ino: number;
  /** Birth time (ms) of the inode when recorded; 0 when the host file system has none. */
  bt: number;
}

type NodeKind = 'dir' | 'link' | 'file';
interface LayoutNode extends Attrs {
  path: string;
  kind: NodeKind;
  target?: string;
  content?: string;
}

const R = AID.ROOT;
const dir = (p: string, uid: number, gid: number, mode: number): LayoutNode => ({ path: p, kind: 'dir', uid, gid, mode });
const link = (p: string, target: string): LayoutNode => ({ path: p, kind: 'link', target, uid: R, gid: R, mode: 0o644 });

/** Shared storage's standard folders (Environment.STANDARD_DIRECTORIES plus Android/). */
const SHARED_DIRS = ['Alarms', 'Audiobooks', 'DCIM', 'Documents', 'Download', 'Movies', 'Music', 'Notifications', 'Pictures', 'Podcasts', 'Recordings', 'Ringtones'];

/** The layout of an Android 14 user build as the shell user sees it (`ls -l /` and friends). */
const LAYOUT: LayoutNode[] = [
  dir('/', R, R, 0o755),
  dir('/apex', R, R, 0o755),
  link('/bin', '/system/bin'),
  dir('/data', AID.SYSTEM, AID.SYSTEM, 0o771),
  dir('/data/app', AID.SYSTEM, AID.SYSTEM, 0o771),
  dir('/data/data', AID.SYSTEM, AID.SYSTEM, 0o771),
  dir('/data/local', R, R, 0o751),
  dir('/data/local/tmp', AID.SHELL, AID.SHELL, 0o771),
  dir('/data/user', AID.SYSTEM, AID.SYSTEM, 0o711),
  link('/data/user/0', '/data/data'),
  dir('/dev', R, R, 0o755),
  link('/etc', '/system/etc'),
  dir('/mnt', R, AID.SYSTEM, 0o755),
  dir('/proc', R, R, 0o555),
  dir('/product', R, R, 0o755),
  link('/sdcard', '/storage/self/primary'),
  dir('/storage', R, R, 0o755),
  dir('/storage/emulated', R, R, 0o711),
  dir(FUSE_ROOT, MEDIA_PROVIDER_UID, AID.MEDIA_RW, 0o2770),
  dir('/storage/self', R, R, 0o755),
  link('/storage/self/primary', FUSE_ROOT),
  dir('/sys', R, R, 0o755),
  dir('/system', R, R, 0o755),
  dir('/system/bin', R, AID.SHELL, 0o755),
  dir('/system/etc', R, R, 0o755),
  { path: '/system/etc/hosts', kind: 'file', uid: R, gid: R, mode: 0o644, content: '127.0.0.1       localhost\n::1             ip6-localhost\n' },
  dir('/system/lib64', R, R, 0o755),
  dir('/system_ext', R, R, 0o755),
  dir('/vendor', R, AID.SHELL, 0o755),
  dir('/vendor/bin', R, AID.SHELL, 0o751),
  ...SHARED_DIRS.map((d) => dir(`${FUSE_ROOT}/${d}`, MEDIA_PROVIDER_UID, AID.MEDIA_RW, 0o2770)),
  dir(`${FUSE_ROOT}/Android`, AID.MEDIA_RW, AID.MEDIA_RW, 0o2771),
  ...['data', 'media', 'obb'].map((d) => dir(`${FUSE_ROOT}/Android/${d}`, AID.MEDIA_RW, AID.MEDIA_RW, 0o2771)),
];
const LAYOUT_BY_PATH = new Map(LAYOUT.map((n) => [n.path, n]));

/** Errno names as the kernel returns them, with bionic's strerror text. */
const ERRNO_TEXT: Record<string, string> = {
  EPERM: 'Operation not permitted', ENOENT: 'No such file or directory', EIO: 'I/O error', ENXIO: 'No such device or address',
  EACCES: 'Permission denied', EBUSY: 'Device or resource busy', EEXIST: 'File exists', EXDEV: 'Cross-device link',
  ENOTDIR: 'Not a directory', EISDIR: 'Is a directory', EINVAL: 'Invalid argument', ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system', ENAMETOOLONG: 'File name too long', ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many symbolic links encountered',
};

/** Linux errno numbers (what adbd puts on the wire: adb's errno_to_wire). */
export const ERRNO_NUMBER: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EIO: 5, ENXIO: 6, EACCES: 13, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENOTDIR: 20, EISDIR: 21, EINVAL: 22,
  ENOSPC: 28, EROFS: 30, ENAMETOOLONG: 36, ENOTEMPTY: 39, ELOOP: 40,
};

export class SandboxError extends Error {
  constructor(readonly code: string, message?: string, readonly path?: string) {
    super(message ?? ERRNO_TEXT[code] ?? code);
  }
}

function fail(code: string, devicePath?: string): never {
  throw new SandboxError(code, ERRNO_TEXT[code] ?? code, devicePath);
}

/** Host errors become the errno the phone would see (unknown ones: EIO). */
function asSandboxError(err: unknown, devicePath?: string): SandboxError {
  if (err instanceof SandboxError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  return new SandboxError(code && ERRNO_TEXT[code] ? code : 'EIO', code && ERRNO_TEXT[code] ? ERRNO_TEXT[code] : (err as Error)?.message, devicePath);
}

export interface FileInfo {
  type: 'file' | 'dir' | 'link' | 'char';
  /** st_mode: type bits and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  atimeMs: number;
  ctimeMs: number;
  nlink: number;
  ino: number;
  linkTarget?: string;
  /** st_dev: the mount's device number. */
  dev?: number;
  /** st_blocks (512-byte units). */
  blocks?: number;
  /** The entry's canonical device path (symlinks in its folders resolved). */
  path?: string;
}

/**
 * What a caller is about to do with a path:
 * - `none`: just reach it (every folder on the way searchable); the last component may be missing.
 * - `read`: it exists and is readable (a folder: readable).
 * - `write`: an existing file or folder is writable, or a missing one can be created (links followed).
 * - `create`: a new entry can be made there: the parent is a writable, searchable folder on a writable mount;
 *   `EEXIST` when something (even a dangling link) is already there.
 * - `list`: a folder that is readable and searchable.
 * - `exec`: a regular file with the x bit on an exec mount; for a folder, that it can be searched (cd).
 * - `delete`: the entry (not what a link points to) exists and its folder is writable and searchable.
 */
export type FsAccess = 'none' | 'read' | 'write' | 'create' | 'list' | 'exec' | 'delete';

interface Walked {
  /** Canonical device path of the entry: folders on the way resolved, the entry itself when followed. */
  canonical: string;
  host: string;
  /** lstat of the entry; undefined when missing. */
  st: Stats | undefined;
  parent: string;
  parentSt: Stats;
  name: string;
}

interface OpOptions {
  cwd?: string;
  uid?: number;
}

export class Sandbox {
  private realRoot: string | undefined;
  private rootSt: Stats | undefined;
  private readonly meta = new Map<string, MetaEntry>();
  private flushQueued = false;
  private closed = false;
  private dirty = false;

  constructor(readonly root: string) {}

  /**
   * Lays out the phone (idempotent: a folder from an earlier run keeps its files) and loads owners and modes.
   * `commands`: the names /system/bin holds (default: the phone's command table); `toybox`: those that are
   * toybox's (links to `toybox`, as on a phone).
   */
  async init(opts: { commands?: Iterable<string>; toybox?: Iterable<string> } = {}): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    this.realRoot = await fs.realpath(this.root);
    this.rootSt = await fs.lstat(this.realRoot);
    this.closed = false;
    await this.loadMeta();
    for (const n of LAYOUT) await this.layOut(n);
    let names = opts.commands ? [...opts.commands] : undefined;
    let toybox = opts.toybox ? new Set(opts.toybox) : undefined;
    if (!names) {
      try {
        const m = await import('./commands/index');
        names = Object.keys(m.COMMANDS);
        const t = await import('./commands/toybox');
        toybox ??= new Set(Object.keys(t.TOYBOX));
      } catch {
        names = [];
      }
    }
    await this.populateBin(['sh', 'toybox', ...names], toybox ?? new Set());
    await this.stampImage();
  }

  private get rootPath(): string {
    if (!this.realRoot) throw new Error('Sandbox.init() has not run');
    return this.realRoot;
  }

  private hostOf(canonical: string): string {
    return canonical === '/' ? this.rootPath : path.join(this.rootPath, canonical);
  }

  private async layOut(n: LayoutNode): Promise<void> {
    const host = this.hostOf(n.path);
    const st = await fs.lstat(host).catch(() => undefined);
    if (n.kind === 'dir') {
      if (st && !st.isDirectory()) await fs.rm(host, { recursive: true, force: true });
      if (!st || !st.isDirectory()) await fs.mkdir(host, { recursive: true });
      await fs.chmod(host, hostMode(n.mode, true)).catch(() => undefined);
      return;
    }
    if (n.kind === 'file') {
      if (!st) await fs.writeFile(host, n.content ?? '', { mode: hostMode(n.mode, false) });
      return;
    }
    const want = LINK_PREFIX + encodeURIComponent(n.target as string);
    if (st?.isSymbolicLink() && (await fs.readlink(host).catch(() => '')) === want) return;
    if (st?.isDirectory()) await this.migrateInto(host, n.target as string);
    if (st) await fs.rm(host, { recursive: true, force: true });
    await fs.symlink(want, host);
  }

  /** A folder from an older layout where a link now stands (the old /sdcard): its files move to the target. */
  private async migrateInto(fromHost: string, targetDevice: string): Promise<void> {
    const to = this.hostOf(path.posix.resolve('/', targetDevice));
    await fs.mkdir(to, { recursive: true });
    for (const name of await fs.readdir(fromHost)) {
      const dest = path.join(to, name);
      if (await fs.lstat(dest).catch(() => undefined)) {
        const st = await fs.lstat(path.join(fromHost, name));
        if (st.isDirectory()) await this.migrateInto(path.join(fromHost, name), `${targetDevice}/${name}`);
        continue;
      }
      await fs.rename(path.join(fromHost, name), dest);
    }
  }

  private async populateBin(names: string[], toybox: Set<string>): Promise<void> {
    const bin = this.hostOf('/system/bin');
    const have = new Set(await fs.readdir(bin));
    for (const name of new Set(names)) {
      if (have.has(name) || !name || name.includes('/') || name === '.' || name === '..' || name.startsWith(RESERVED) || Buffer.byteLength(name) > NAME_MAX) continue;
      const host = path.join(bin, name);
      if (toybox.has(name) && name !== 'toybox') await fs.symlink(LINK_PREFIX + encodeURIComponent('toybox'), host);
      else await fs.writeFile(host, '', { mode: 0o755 });
    }
  }

  /** The read-only images carry the build's fixed timestamp. */
  private async stampImage(): Promise<void> {
    const t = IMAGE_TIME;
    const visit = async (canonical: string): Promise<void> => {
      const host = this.hostOf(canonical);
      const st = await fs.lstat(host).catch(() => undefined);
      if (!st) return;
      if (st.isDirectory() && mountOf(canonical).ro && canonical !== '/proc' && canonical !== '/apex') {
        for (const name of await fs.readdir(host)) if (!name.startsWith(RESERVED)) await visit(canonical === '/' ? `/${name}` : `${canonical}/${name}`);
      }
      if (!mountOf(canonical).ro) return;
      await fs.lutimes(host, t, t).catch(() => undefined);
    };
    await visit('/');
  }

  /* ------------------------------------------------------------------ paths */

  /** Normalizes a device path (relative to `cwd`, default `/`) to an absolute device path with no `..` (lexically). */
  static normalize(devicePath: string, cwd = '/'): string {
    if (devicePath.includes('\0')) throw new SandboxError('EINVAL', 'path contains NUL');
    return path.posix.resolve('/', cwd, devicePath);
  }

  /** The phone's path of a host path inside the folder (undefined for anything else). */
  devicePathOf(hostPath: string): string | undefined {
    const root = this.rootPath;
    if (hostPath === root) return '/';
    if (!hostPath.startsWith(root + path.sep)) return undefined;
    return hostPath.slice(root.length).split(path.sep).join('/');
  }

  private async readLinkTarget(host: string): Promise<string> {
    const raw = await fs.readlink(host);
    if (!raw.startsWith(LINK_PREFIX)) return raw; // planted from outside: still read in the phone's namespace
    try {
      return decodeURIComponent(raw.slice(LINK_PREFIX.length));
    } catch {
      return raw.slice(LINK_PREFIX.length);
    }
  }

  /**
   * The kernel's path walk: component by component from the phone's root (or `cwd`), `..` going to the
   * physical parent, links resolved in the phone's namespace (at most 40), every folder on the way searched
   * with `uid`'s permissions (no checks when uid is undefined). With `lenient`, a missing folder on the way
   * ends the walk and the rest of the path is appended as it is (for writers that create parents).
   */
  private async walk(devicePath: string, cwd: string, follow: boolean, uid: number | undefined, lenient = false): Promise<Walked> {
    if (devicePath.includes('\0')) fail('EINVAL', devicePath);
    if (devicePath === '') fail('ENOENT', devicePath);
    if (Buffer.byteLength(devicePath) >= PATH_MAX) fail('ENAMETOOLONG', devicePath);
    const root = this.rootPath;
    const rootSt = this.rootSt as Stats;
    const full = devicePath.startsWith('/') ? devicePath : `${cwd.startsWith('/') ? cwd : `/${cwd}`}/${devicePath}`;
    let mustBeDir = /\/\.?$/.test(full) && full !== '/';
    const stack = full.split('/').filter((c) => c !== '' && c !== '.').reverse();
    let dirs: Array<{ name: string; st: Stats }> = [];
    let links = 0;
    const canon = (): string => (dirs.length ? `/${dirs.map((d) => d.name).join('/')}` : '/');
    const hostFor = (c: string): string => (c === '/' ? root : root + c);
    const childOf = (parent: string, name: string): string => (parent === '/' ? `/${name}` : `${parent}/${name}`);

    while (stack.length) {
      const c = stack.pop() as string;
      const last = stack.length === 0;
      const cur = canon();
      const curSt = dirs.length ? dirs[dirs.length - 1].st : rootSt;
      if (uid !== undefined && !this.may(cur, curSt, uid, 1)) fail('EACCES', devicePath);
      if (c === '..') {
        dirs.pop();
        continue;
      }
      if (Buffer.byteLength(c) > NAME_MAX) fail('ENAMETOOLONG', devicePath);
      const canonical = childOf(cur, c);
      const host = hostFor(canonical);
      let st: Stats | undefined;
      if (!c.startsWith(RESERVED)) {
        try {
          st = await fs.lstat(host);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ENOENT') throw asSandboxError(err, devicePath);
        }
      }
      if (!st) {
        if (!last) {
          if (!lenient) fail('ENOENT', devicePath);
          const rest = path.posix.normalize(`/${[c, ...stack.reverse()].join('/')}`);
          const appended = cur === '/' ? rest : `${cur}${rest}`;
          return { canonical: appended, host: hostFor(appended), st: undefined, parent: path.posix.dirname(appended), parentSt: curSt, name: path.posix.basename(appended) };
        }
        return { canonical, host, st: undefined, parent: cur, parentSt: curSt, name: c };
      }
      if (st.isSymbolicLink() && (!last || follow || mustBeDir)) {
        if (++links > MAX_LINKS) fail('ELOOP', devicePath);
        const target = await this.readLinkTarget(host).catch((err) => {
          throw asSandboxError(err, devicePath);
        });
        if (target === '') fail('ENOENT', devicePath);
        if (target.startsWith('/')) dirs = [];
        if (last && /\/\.?$/.test(target)) mustBeDir = true;
        stack.push(...target.split('/').filter((x) => x !== '' && x !== '.').reverse());
        continue;
      }
      if (st.isDirectory()) {
        dirs.push({ name: c, st });
        continue;
      }
      if (!last || mustBeDir) fail('ENOTDIR', devicePath);
      return { canonical, host, st, parent: cur, parentSt: curSt, name: c };
    }
    const canonical = canon();
    const st = dirs.length ? dirs[dirs.length - 1].st : rootSt;
    const parentDirs = dirs.slice(0, -1);
    const parent = parentDirs.length ? `/${parentDirs.map((d) => d.name).join('/')}` : '/';
    const parentSt = parentDirs.length ? parentDirs[parentDirs.length - 1].st : rootSt;
    return { canonical, host: hostFor(canonical), st, parent, parentSt, name: dirs.length ? dirs[dirs.length - 1].name : '' };
  }

  /* ------------------------------------------------------------------ owners and modes */

  /** Owner, group and permission bits of an entry (the rules for its place unless something was recorded). */
  private attrs(canonical: string, st: Stats): Attrs {
    const fuse = fuseAttrs(canonical, st);
    if (fuse) return fuse;
    const m = this.meta.get(canonical);
    if (m) {
      if (m.ino === st.ino && (!m.bt || !st.birthtimeMs || m.bt === st.birthtimeMs)) return m;
      this.meta.delete(canonical);
      this.scheduleFlush();
    }
    const node = LAYOUT_BY_PATH.get(canonical);
    if (node && (node.kind === 'dir') === st.isDirectory() && (node.kind === 'link') === st.isSymbolicLink()) return node;
    const hostBits = st.isSymbolicLink() ? 0o777 : st.mode & 0o777;
    if (canonical.startsWith('/system/bin/') || canonical.startsWith('/vendor/bin/')) return { uid: R, gid: AID.SHELL, mode: st.isSymbolicLink() ? 0o755 : hostBits };
    if (canonical.startsWith('/data/local/tmp/')) return { uid: AID.SHELL, gid: AID.SHELL, mode: hostBits };
    if (canonical.startsWith('/data/')) return { uid: AID.SYSTEM, gid: AID.SYSTEM, mode: hostBits };
    if (mountOf(canonical).ro && st.isSymbolicLink()) return { uid: R, gid: R, mode: 0o644 };
    return { uid: R, gid: R, mode: hostBits };
  }

  /** generic_permission(): `want` is a mask of 4 (read), 2 (write), 1 (exec/search). */
  private may(canonical: string, st: Stats, uid: number, want: number): boolean {
    if (isFuse(canonical)) {
      if ((want & 1) && !st.isDirectory()) return false; // noexec
      return true; // MediaProvider lets the shell (and root, system) do anything on shared storage
    }
    const a = this.attrs(canonical, st);
    if (uid === R) {
      if ((want & 1) && !st.isDirectory()) return (a.mode & 0o111) !== 0;
      return true;
    }
    let bits: number;
    if (uid === a.uid) bits = (a.mode >> 6) & 7;
    else if (groupsOf(uid).includes(a.gid)) bits = (a.mode >> 3) & 7;
    else bits = a.mode & 7;
    return (bits & want) === want;
  }

  private record(canonical: string, st: Stats, a: Attrs): void {
    if (isFuse(canonical)) return;
    this.meta.set(canonical, { ino: st.ino, bt: st.birthtimeMs || 0, uid: a.uid, gid: a.gid, mode: a.mode & 0o7777 });
    this.scheduleFlush();
  }

  /** Keeps the host's permission bits close to the phone's (owner may always read and write on the host). */
  private async mirrorHostMode(host: string, st: Stats, mode: number): Promise<void> {
    if (st.isSymbolicLink()) return;
    await fs.chmod(host, hostMode(mode, st.isDirectory())).catch(() => undefined);
  }

  private moveMeta(from: string, to: string): void {
    const moves: Array<[string, MetaEntry]> = [];
    for (const [k, v] of this.meta) {
      if (k === from || k.startsWith(`${from}/`)) moves.push([k, v]);
      else if (k === to || k.startsWith(`${to}/`)) this.meta.delete(k);
    }
    for (const [k] of moves) this.meta.delete(k);
    for (const [k, v] of moves) this.meta.set(to + k.slice(from.length), v);
    if (moves.length) this.scheduleFlush();
  }

  private dropMeta(canonical: string): void {
    let any = false;
    for (const k of [...this.meta.keys()]) {
      if (k === canonical || k.startsWith(`${canonical}/`)) {
        this.meta.delete(k);
        any = true;
      }
    }
    if (any) this.scheduleFlush();
  }

  private async loadMeta(): Promise<void> {
    this.meta.clear();
    try {
      const data = JSON.parse(await fs.readFile(path.join(this.rootPath, META_FILE), 'utf8')) as { v?: number; e?: Record<string, number[]> };
      for (const [k, e] of Object.entries(data.e ?? {})) {
        if (!Array.isArray(e) || e.length < 5 || e.some((x) => typeof x !== 'number')) continue;
        this.meta.set(k, { ino: e[0], bt: e[1], uid: e[2], gid: e[3], mode: e[4] });
      }
    } catch {
      /* no sidecar yet (or unreadable): the rules for each place apply */
    }
  }

  /**
   * Changes are written at the end of the current task (coalesced), synchronously, so no write of ours is
   * still pending when whoever owns the folder removes it or stops the phone.
   */
  private scheduleFlush(): void {
    this.dirty = true;
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flushSync();
    });
  }

  /** Writes owners and modes to the sidecar now (atomically: a temp file renamed over it). */
  async flush(): Promise<void> {
    this.flushSync();
  }

  /** Flushes and stops writing the sidecar (the phone is stopping). */
  async close(): Promise<void> {
    this.flushSync();
    this.closed = true;
  }

  private flushSync(): void {
    if (!this.dirty || !this.realRoot || this.closed) return;
    this.dirty = false;
    const e: Record<string, number[]> = {};
    for (const [k, v] of this.meta) e[k] = [v.ino, v.bt, v.uid, v.gid, v.mode];
    const file = path.join(this.realRoot, META_FILE);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      writeFileSync(tmp, JSON.stringify({ v: 1, e }));
      renameSync(tmp, file);
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch {
        /* the folder is gone */
      }
    }
  }

  /* ------------------------------------------------------------------ the contract */

  /**
   * Resolves a device path (relative to `cwd`) to its host path for an operation done by `uid` (the shell
   * user by default), with Android's rules: read-only mounts (`EROFS`), permission bits and owners (`EACCES`),
   * missing files (`ENOENT`), `ENOTDIR`, `ELOOP`, `EEXIST` (create). Throws a SandboxError whose `code` is the
   * errno name. See FsAccess for what each access checks. The host path never leads outside the folder.
   */
  async resolve(devicePath: string, cwd = '/', access: FsAccess = 'none', uid: number = AID.SHELL): Promise<string> {
    return (await this.check(devicePath, cwd, access, uid)).host;
  }

  private async check(devicePath: string, cwd: string, access: FsAccess, uid: number): Promise<Walked> {
    const follow = access !== 'delete' && access !== 'create';
    const w = await this.walk(devicePath, cwd, follow, uid);
    const { st } = w;
    const creatable = (): void => {
      if (w.name.startsWith(RESERVED)) fail('EACCES', devicePath);
      if (mountOf(w.parent).ro) fail('EROFS', devicePath);
      if (!this.may(w.parent, w.parentSt, uid, 3)) fail('EACCES', devicePath);
    };
    switch (access) {
      case 'none':
        return w;
      case 'read':
        if (!st) fail('ENOENT', devicePath);
        if (!this.may(w.canonical, st, uid, 4)) fail('EACCES', devicePath);
        return w;
      case 'write':
        if (!st) {
          creatable();
          return w;
        }
        if (mountOf(w.canonical).ro) fail('EROFS', devicePath);
        if (!this.may(w.canonical, st, uid, 2)) fail('EACCES', devicePath);
        return w;
      case 'create':
        if (st) fail('EEXIST', devicePath);
        creatable();
        return w;
      case 'list':
        if (!st) fail('ENOENT', devicePath);
        if (!st.isDirectory()) fail('ENOTDIR', devicePath);
        if (!this.may(w.canonical, st, uid, 5)) fail('EACCES', devicePath);
        return w;
      case 'exec':
        if (!st) fail('ENOENT', devicePath);
        if (st.isDirectory()) {
          if (!this.may(w.canonical, st, uid, 1)) fail('EACCES', devicePath);
          return w;
        }
        if (!st.isFile() || mountOf(w.canonical).noexec || !this.may(w.canonical, st, uid, 1)) fail('EACCES', devicePath);
        return w;
      case 'delete': {
        if (!st) fail('ENOENT', devicePath);
        // The kernel's order: the mount (EROFS), the folder's bits (EACCES), the sticky bit (EPERM), a mount point (EBUSY).
        if (mountOf(w.parent).ro) fail('EROFS', devicePath);
        if (!this.may(w.parent, w.parentSt, uid, 3)) fail('EACCES', devicePath);
        if (uid !== R && !isFuse(w.parent)) {
          const pa = this.attrs(w.parent, w.parentSt);
          if (pa.mode & S_ISVTX && pa.uid !== uid && this.attrs(w.canonical, st).uid !== uid) fail('EPERM', devicePath);
        }
        if (w.canonical === '/' || MOUNTS.some((m) => m.at === w.canonical)) fail('EBUSY', devicePath);
        return w;
      }
      default:
        return fail('EINVAL', devicePath);
    }
  }

  /** realpath(3): the canonical device path, every symlink on the way resolved. */
  async realpath(devicePath: string, cwd = '/', uid: number = AID.SHELL): Promise<string> {
    return (await this.walk(devicePath, cwd, true, uid)).canonical;
  }

  /**
   * What `stat`/`ls -l` show for a device path: type, full st_mode, owner and group ids (Android's: root 0,
   * system 1000, shell 2000, media_rw 1023, apps 10000+), size, times, link target. `follow` false is lstat.
   * The folders on the way must be searchable by `uid`.
   */
  async info(devicePath: string, cwd = '/', follow = true, uid: number = AID.SHELL): Promise<FileInfo> {
    const w = await this.walk(devicePath, cwd, follow, uid);
    if (!w.st) fail('ENOENT', devicePath);
    return this.infoOf(w.canonical, w.host, w.st);
  }

  private async infoOf(canonical: string, host: string, st: Stats): Promise<FileInfo> {
    const a = this.attrs(canonical, st);
    const type: FileInfo['type'] = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isCharacterDevice() ? 'char' : 'file';
    const typeBits = type === 'dir' ? S_IFDIR : type === 'link' ? S_IFLNK : type === 'file' ? S_IFREG : st.mode & S_IFMT;
    const linkTarget = type === 'link' ? await this.readLinkTarget(host).catch(() => '') : undefined;
    return {
      type, mode: (typeBits | (a.mode & 0o7777)) >>> 0, uid: a.uid, gid: a.gid,
      size: type === 'link' ? Buffer.byteLength(linkTarget ?? '') : type === 'dir' ? Math.max(st.size, 4096) : st.size,
      mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, ctimeMs: st.ctimeMs, nlink: st.nlink, ino: st.ino, linkTarget,
      dev: mountOf(canonical).dev, blocks: st.blocks, path: canonical,
    };
  }

  /** A folder's entry names (sorted, without . and ..), as the given user may list them (EACCES otherwise). */
  async list(devicePath: string, cwd = '/', uid: number = AID.SHELL): Promise<string[]> {
    const w = await this.check(devicePath, cwd, 'list', uid);
    const names = await fs.readdir(w.host).catch((err) => {
      throw asSandboxError(err, devicePath);
    });
    return names.filter((n) => !n.startsWith(RESERVED) && !n.includes('.vp-tmp-')).sort();
  }

  /** A folder's entries with what lstat says of each (for `ls -l`, LIST/LIS2): unreadable entries are skipped. */
  async listInfo(devicePath: string, cwd = '/', uid: number = AID.SHELL): Promise<Array<{ name: string; info: FileInfo }>> {
    const w = await this.check(devicePath, cwd, 'list', uid);
    const out: Array<{ name: string; info: FileInfo }> = [];
    for (const name of await this.list(w.canonical, '/', uid)) {
      const canonical = w.canonical === '/' ? `/${name}` : `${w.canonical}/${name}`;
      const host = this.hostOf(canonical);
      const st = await fs.lstat(host).catch(() => undefined);
      if (st) out.push({ name, info: await this.infoOf(canonical, host, st) });
    }
    return out;
  }

  /**
   * Records who made an entry that was just created at `devicePath` (or at a host path `resolve` returned):
   * owner `uid`, group its primary group (or the folder's, when the folder is set-group-id), permission bits
   * `mode` as given (apply the umask first). On shared storage this changes nothing, as on a phone.
   */
  async created(devicePath: string, uid: number, mode: number, cwd = '/'): Promise<void> {
    const w = await this.entry(devicePath, cwd);
    if (!w.st) fail('ENOENT', devicePath);
    const pa = this.attrs(w.parent, w.parentSt);
    const inherit = (pa.mode & S_ISGID) !== 0;
    let m = w.st.isSymbolicLink() ? 0o777 : mode & 0o7777;
    if (w.st.isDirectory() && inherit) m |= S_ISGID;
    this.record(w.canonical, w.st, { uid, gid: inherit ? pa.gid : groupsOf(uid)[0], mode: m });
    await this.mirrorHostMode(w.host, w.st, m);
  }

  /** The entry itself (a link is not followed) for a device path or a host path inside the folder. */
  private async entry(pathOrHost: string, cwd: string): Promise<Walked> {
    const asDevice = this.devicePathOf(pathOrHost);
    return this.walk(asDevice ?? pathOrHost, asDevice ? '/' : cwd, false, undefined);
  }

  /**
   * chmod(2): by the owner or root; `EROFS` on read-only mounts; on shared storage it succeeds and changes
   * nothing. A non-root caller not in the file's group loses the set-group-id bit, as Linux does.
   */
  async chmod(devicePath: string, mode: number, opts: OpOptions & { follow?: boolean } = {}): Promise<void> {
    const uid = opts.uid ?? AID.SHELL;
    const w = await this.walk(devicePath, opts.cwd ?? '/', opts.follow ?? true, uid);
    if (!w.st) fail('ENOENT', devicePath);
    if (mountOf(w.canonical).ro) fail('EROFS', devicePath);
    if (isFuse(w.canonical)) return;
    const a = this.attrs(w.canonical, w.st);
    if (uid !== R && uid !== a.uid) fail('EPERM', devicePath);
    if (w.st.isSymbolicLink()) return;
    let m = mode & 0o7777;
    if (uid !== R && !w.st.isDirectory() && !groupsOf(uid).includes(a.gid)) m &= ~S_ISGID;
    this.record(w.canonical, w.st, { ...a, mode: m });
    await this.mirrorHostMode(w.host, w.st, m);
  }

  /**
   * chown(2)/lchown(2) (`follow` false): only root may give a file away; the owner may change its group to
   * one of its own groups. -1 (or undefined) keeps the current value. Changing the owner of a regular file
   * clears set-user-id (and set-group-id when group-executable).
   */
  async chown(devicePath: string, owner: number | undefined, group: number | undefined, opts: OpOptions & { follow?: boolean } = {}): Promise<void> {
    const uid = opts.uid ?? AID.SHELL;
    const w = await this.walk(devicePath, opts.cwd ?? '/', opts.follow ?? true, uid);
    if (!w.st) fail('ENOENT', devicePath);
    if (mountOf(w.canonical).ro) fail('EROFS', devicePath);
    if (isFuse(w.canonical)) return;
    const a = this.attrs(w.canonical, w.st);
    const newUid = owner === undefined || owner < 0 ? a.uid : owner;
    const newGid = group === undefined || group < 0 ? a.gid : group;
    if (uid !== R) {
      if (newUid !== a.uid || uid !== a.uid) fail('EPERM', devicePath);
      if (newGid !== a.gid && !groupsOf(uid).includes(newGid)) fail('EPERM', devicePath);
    }
    let m = a.mode;
    if (w.st.isFile() && (newUid !== a.uid || newGid !== a.gid || uid !== R)) {
      m &= ~S_ISUID;
      if (m & 0o010) m &= ~S_ISGID;
    }
    this.record(w.canonical, w.st, { uid: newUid, gid: newGid, mode: m });
  }

  /**
   * utimensat(2): explicit times need the owner or root (`EPERM`); "now" (undefined) needs write permission.
   * Times are seconds since the epoch.
   */
  async utimes(devicePath: string, atime: number | undefined, mtime: number | undefined, opts: OpOptions & { follow?: boolean } = {}): Promise<void> {
    const uid = opts.uid ?? AID.SHELL;
    const w = await this.walk(devicePath, opts.cwd ?? '/', opts.follow ?? true, uid);
    if (!w.st) fail('ENOENT', devicePath);
    if (mountOf(w.canonical).ro) fail('EROFS', devicePath);
    const a = this.attrs(w.canonical, w.st);
    const owner = uid === R || uid === a.uid || isFuse(w.canonical);
    if (atime !== undefined || mtime !== undefined) {
      if (!owner) fail('EPERM', devicePath);
    } else if (!owner && !this.may(w.canonical, w.st, uid, 2)) fail('EACCES', devicePath);
    const now = Date.now() / 1000;
    const at = atime ?? now;
    const mt = mtime ?? now;
    await (w.st.isSymbolicLink() ? fs.lutimes(w.host, at, mt) : fs.utimes(w.host, at, mt)).catch((err) => {
      throw asSandboxError(err, devicePath);
    });
  }

  /** mkdir(2) (or `mkdir -p` with `parents`): `mode` as given (apply the umask first). */
  async mkdir(devicePath: string, opts: OpOptions & { mode?: number; parents?: boolean } = {}): Promise<void> {
    const uid = opts.uid ?? AID.SHELL;
    const cwd = opts.cwd ?? '/';
    const mode = opts.mode ?? 0o777;
    if (opts.parents) {
      const abs = devicePath.startsWith('/');
      const parts = devicePath.split('/').filter((p) => p !== '');
      for (let i = 1; i <= parts.length; i++) {
        const prefix = `${abs ? '/' : ''}${parts.slice(0, i).join('/')}`;
        const have = await this.info(prefix, cwd, true, uid).catch((err: SandboxError) => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        });
        if (have) {
          if (have.type !== 'dir') fail(i === parts.length ? 'EEXIST' : 'ENOTDIR', devicePath);
          continue;
        }
        await this.mkdir(prefix, { cwd, uid, mode: i === parts.length ? mode : 0o777 });
      }
      return;
    }
    const w = await this.check(devicePath, cwd, 'create', uid);
    await fs.mkdir(w.host).catch((err) => {
      throw asSandboxError(err, devicePath);
    });
    await this.created(w.host, uid, mode);
  }

  /** symlink(2): the target is kept as written and read in the phone's namespace whenever the link is followed. */
  async symlink(target: string, linkPath: string, opts: OpOptions = {}): Promise<void> {
    const uid = opts.uid ?? AID.SHELL;
    if (target === '') fail('ENOENT', linkPath);
    if (target.includes('\0')) fail('EINVAL', linkPath);
    if (Buffer.byteLength(target) >= PATH_MAX) fail('ENAMETOOLONG', linkPath);
    const w = await this.check(linkPath, opts.cwd ?? '/', 'create', uid);
    if (isFuse(w.parent)) fail('EPERM', linkPath); // MediaProvider's FUSE daemon makes no links
    await fs.symlink(LINK_PREFIX + encodeURIComponent(target), w.host).catch((err) => {
      throw asSandboxError(err, linkPath);
    });
    await this.created(w.host, uid, 0o777);
  }

  /** readlink(2): what the link says (`EINVAL` when it is not a link). */
  async readlink(devicePath: string, opts: OpOptions = {}): Promise<string> {
    const w = await this.walk(devicePath, opts.cwd ?? '/', false, opts.uid ?? AID.SHELL);
    if (!w.st) fail('ENOENT', devicePath);
    if (!w.st.isSymbolicLink()) fail('EINVAL', devicePath);
    return this.readLinkTarget(w.host);
  }

  /** unlink(2): not for folders (`EISDIR`). */
  async unlink(devicePath: string, opts: OpOptions = {}): Promise<void> {
    const w = await this.check(devicePath, opts.cwd ?? '/', 'delete', opts.uid ?? AID.SHELL);
    if (w.st?.isDirectory()) fail('EISDIR', devicePath);
    await fs.unlink(w.host).catch((err) => {
      throw asSandboxError(err, devicePath);
    });
    this.dropMeta(w.canonical);
  }

  /** rmdir(2): an empty folder. */
  async rmdir(devicePath: string, opts: OpOptions = {}): Promise<void> {
    const w = await this.check(devicePath.replace(/\/+$/, '') || '/', opts.cwd ?? '/', 'delete', opts.uid ?? AID.SHELL);
    if (!w.st?.isDirectory()) fail('ENOTDIR', devicePath);
    const left = (await fs.readdir(w.host)).filter((n) => !n.startsWith(RESERVED) && !n.includes('.vp-tmp-'));
    if (left.length) fail('ENOTEMPTY', devicePath);
    await fs.rm(w.host, { recursive: true, force: true }).catch((err) => {
      throw asSandboxError(err, devicePath);
    });
    this.dropMeta(w.canonical);
  }

  /**
   * rename(2): both folders writable, the same mount (`EXDEV` otherwise, so `mv` copies), a folder never into
   * itself (`EINVAL`), a folder only over an empty folder. Owners and modes travel with the entry.
   */
  async rename(from: string, to: string, opts: OpOptions = {}): Promise<void> {
    const uid = opts.uid ?? AID.SHELL;
    const cwd = opts.cwd ?? '/';
    const src = await this.check(from, cwd, 'delete', uid);
    const dst = await this.walk(to, cwd, false, uid);
    if (dst.name.startsWith(RESERVED)) fail('EACCES', to);
    if (mountOf(dst.parent).ro) fail('EROFS', to);
    if (!this.may(dst.parent, dst.parentSt, uid, 3)) fail('EACCES', to);
    if (mountOf(src.canonical) !== mountOf(dst.canonical)) fail('EXDEV', to);
    if (src.canonical === dst.canonical) return;
    if (dst.canonical.startsWith(`${src.canonical}/`)) fail('EINVAL', to);
    const srcSt = src.st as Stats;
    if (dst.st) {
      if (srcSt.isDirectory() && !dst.st.isDirectory()) fail('ENOTDIR', to);
      if (!srcSt.isDirectory() && dst.st.isDirectory()) fail('EISDIR', to);
      if (dst.canonical === '/' || MOUNTS.some((m) => m.at === dst.canonical)) fail('EBUSY', to);
    }
    await fs.rename(src.host, dst.host).catch((err) => {
      throw asSandboxError(err, to);
    });
    this.moveMeta(src.canonical, dst.canonical);
  }

  /* ------------------------------------------------------------------ what older callers use */

  /**
   * Maps a device path to a host path inside the sandbox with no permission checks (links followed in the
   * phone's namespace; missing folders on the way appended as they are). Never outside the folder.
   */
  async hostPath(devicePath: string, cwd = '/'): Promise<string> {
    return (await this.walk(devicePath, cwd, true, undefined, true)).host;
  }

  /** lstat of the host file behind a device path (undefined when missing). */
  async stat(devicePath: string): Promise<Stats | undefined> {
    try {
      const w = await this.walk(devicePath, '/', false, undefined);
      return w.st;
    } catch (err) {
      if (err instanceof SandboxError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  /** A whole file; with `uid`, read as that user would (permission-checked). */
  async readFile(devicePath: string, opts: OpOptions = {}): Promise<Buffer> {
    const w = opts.uid === undefined ? await this.walk(devicePath, opts.cwd ?? '/', true, undefined) : await this.check(devicePath, opts.cwd ?? '/', 'read', opts.uid);
    if (!w.st) fail('ENOENT', devicePath);
    if (w.st.isDirectory()) fail('EISDIR', devicePath);
    return fs.readFile(w.host).catch((err) => {
      throw asSandboxError(err, devicePath);
    });
  }

  /**
   * Writes a file. Without `uid` (the system writing: screencap, uiautomator, pm): parent folders are created,
   * data goes to a temp file renamed into place, an existing file keeps its owner and mode. With `uid`: as that
   * user would with open(O_CREAT|O_TRUNC) (or O_APPEND), permission-checked, new files owned by `uid`.
   */
  async writeFile(devicePath: string, data: Buffer | string, mode = 0o644, opts: OpOptions & { append?: boolean } = {}): Promise<void> {
    if (opts.uid !== undefined) {
      const w = await this.check(devicePath, opts.cwd ?? '/', 'write', opts.uid);
      if (w.st?.isDirectory()) fail('EISDIR', devicePath);
      await fs.writeFile(w.host, data, { flag: opts.append ? 'a' : 'w', mode: hostMode(mode, false) }).catch((err) => {
        throw asSandboxError(err, devicePath);
      });
      if (!w.st) await this.created(w.host, opts.uid, mode);
      return;
    }
    const w = await this.walk(devicePath, opts.cwd ?? '/', true, undefined, true);
    if (w.st?.isDirectory()) fail('EISDIR', devicePath);
    await fs.mkdir(path.dirname(w.host), { recursive: true });
    const before = w.st ? this.attrs(w.canonical, w.st) : undefined;
    const tmp = path.join(path.dirname(w.host), `.vp-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      if (opts.append && w.st) await fs.copyFile(w.host, tmp);
      await fs.writeFile(tmp, data, { mode: hostMode(before?.mode ?? mode, false), flag: opts.append ? 'a' : 'wx' });
      await fs.rename(tmp, w.host);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw asSandboxError(err, devicePath);
    }
    if (before && this.meta.has(w.canonical)) {
      const st = await fs.lstat(w.host);
      this.record(w.canonical, st, before);
    }
  }

  async exists(devicePath: string): Promise<boolean> {
    try {
      return (await this.walk(devicePath, '/', true, undefined)).st !== undefined;
    } catch {
      return false;
    }
  }
}

/** The host's permission bits for a phone mode: the phone's rwx bits, the owner always able to read and write. */
function hostMode(mode: number, isDir: boolean): number {
  return (mode & 0o777) | (isDir ? 0o700 : 0o600);
}

function isFuse(canonical: string): boolean {
  return canonical === FUSE_ROOT || canonical.startsWith(`${FUSE_ROOT}/`);
}

/** Shared storage as MediaProvider shows it: its own uid and media_rw, rw-rw---- files, rwxrws--- folders. */
function fuseAttrs(canonical: string, st: Stats): Attrs | undefined {
  if (!isFuse(canonical)) return undefined;
  const node = LAYOUT_BY_PATH.get(canonical);
  if (node && st.isDirectory()) return node;
  if (st.isDirectory()) return { uid: MEDIA_PROVIDER_UID, gid: AID.MEDIA_RW, mode: 0o2770 };
  return { uid: MEDIA_PROVIDER_UID, gid: AID.MEDIA_RW, mode: st.isSymbolicLink() ? 0o777 : 0o660 };
}
