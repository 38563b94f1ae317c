import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile, readdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { AID, MEDIA_PROVIDER_UID, Sandbox, SandboxError, androidIdName } from '../../extension/core/virtualPhone/sandbox';
import { SyncService } from '../../extension/core/virtualPhone/sync';

/**
 * The phone's filesystem rules as an Android 14 user build has them (system-as-root, read-only images,
 * /data 0771 system, /data/local/tmp 0771 shell, /storage/emulated served by MediaProvider's FUSE daemon),
 * with the permission checks of Linux's generic_permission() for the shell user (uid 2000) and root.
 */
const SHELL = AID.SHELL;
const ROOT = AID.ROOT;

async function withFs(fn: (sb: Sandbox, root: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-phonefs-'));
  try {
    const sb = new Sandbox(path.join(dir, 'fs'));
    await sb.init({ commands: ['ls', 'cat', 'am', 'pm'], toybox: ['ls', 'cat'] });
    await fn(sb, path.join(dir, 'fs'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const code = (c: string) => (e: unknown): boolean => {
  assert.ok(e instanceof SandboxError, String(e));
  assert.equal(e.code, c);
  return true;
};

test('the layout: / as on a phone, /data closed to the shell, /data/local/tmp open, shared storage listed', async () => {
  await withFs(async (sb) => {
    assert.deepEqual(await sb.list('/'), ['apex', 'bin', 'data', 'dev', 'etc', 'mnt', 'proc', 'product', 'sdcard', 'storage', 'sys', 'system', 'system_ext', 'vendor']);
    // /data is drwxrwx--x system system: the shell may pass through, not list (init.rc: mkdir /data 0771 system system).
    await assert.rejects(sb.list('/data'), code('EACCES'));
    await assert.rejects(sb.list('/data/app'), code('EACCES'));
    await assert.rejects(sb.list('/data/data'), code('EACCES'));
    await assert.rejects(sb.list('/storage/emulated'), code('EACCES'));
    assert.deepEqual(await sb.list('/data/local/tmp'), []);
    assert.ok((await sb.list('/data', '/', ROOT)).includes('local'), 'root lists /data');
    const tmp = await sb.info('/data/local/tmp');
    assert.deepEqual([tmp.mode.toString(8), tmp.uid, tmp.gid], ['40771', SHELL, SHELL]);
    const data = await sb.info('/data');
    assert.deepEqual([data.mode.toString(8), data.uid, data.gid], ['40771', AID.SYSTEM, AID.SYSTEM]);
    // Environment's standard folders on shared storage.
    const shared = await sb.list('/sdcard');
    for (const d of ['Alarms', 'Android', 'DCIM', 'Documents', 'Download', 'Movies', 'Music', 'Pictures']) assert.ok(shared.includes(d), d);
    assert.deepEqual(await sb.list('/storage/emulated/0'), shared);
  });
});

test('/sdcard is a link to /storage/self/primary, a link to /storage/emulated/0: one file under three names', async () => {
  await withFs(async (sb) => {
    assert.equal(await sb.readlink('/sdcard'), '/storage/self/primary');
    assert.equal(await sb.readlink('/storage/self/primary'), '/storage/emulated/0');
    assert.equal(await sb.readlink('/etc'), '/system/etc');
    const link = await sb.info('/sdcard', '/', false);
    assert.deepEqual([link.type, link.mode.toString(8), link.size], ['link', '120644', '/storage/self/primary'.length]);
    await sb.writeFile('/sdcard/x.txt', 'same', 0o644, { uid: SHELL });
    assert.equal((await sb.readFile('/storage/emulated/0/x.txt', { uid: SHELL })).toString(), 'same');
    assert.equal((await sb.readFile('/storage/self/primary/x.txt', { uid: SHELL })).toString(), 'same');
    const a = await sb.info('/sdcard/x.txt');
    const b = await sb.info('/storage/emulated/0/x.txt');
    assert.equal(a.ino, b.ino);
    assert.equal(a.path, '/storage/emulated/0/x.txt');
    assert.match((await sb.readFile('/etc/hosts')).toString(), /127\.0\.0\.1\s+localhost/);
  });
});

test('read-only images: creating, writing, removing, chmod and chown there is EROFS, even for root', async () => {
  await withFs(async (sb) => {
    for (const uid of [SHELL, ROOT]) {
      for (const dir of ['/system', '/system/bin', '/vendor', '/product', '/system_ext', '/apex', '/proc', '/']) {
        await assert.rejects(sb.resolve(`${dir}/new`, '/', 'create', uid), code('EROFS'), `${dir} uid ${uid}`);
        await assert.rejects(sb.resolve(`${dir}/new`, '/', 'write', uid), code('EROFS'), `${dir} uid ${uid}`);
        await assert.rejects(sb.mkdir(`${dir}/newdir`, { uid }), code('EROFS'));
        await assert.rejects(sb.symlink('x', `${dir}/newlink`, { uid }), code('EROFS'));
      }
      await assert.rejects(sb.resolve('/system/etc/hosts', '/', 'write', uid), code('EROFS'));
      await assert.rejects(sb.unlink('/system/etc/hosts', { uid }), code('EROFS'));
      await assert.rejects(sb.chmod('/system/etc/hosts', 0o777, { uid }), code('EROFS'));
      await assert.rejects(sb.chown('/system/etc/hosts', SHELL, SHELL, { uid }), code('EROFS'));
      await assert.rejects(sb.rename('/system/etc/hosts', '/system/etc/h2', { uid }), code('EROFS'));
      await assert.rejects(sb.writeFile('/system/etc/hosts', 'x', 0o644, { uid }), code('EROFS'));
    }
    assert.match((await sb.readFile('/system/etc/hosts', { uid: SHELL })).toString(), /localhost/);
    // Creating an existing name is EEXIST before the mount is asked (mkdir /system).
    await assert.rejects(sb.mkdir('/system', { uid: SHELL }), code('EEXIST'));
  });
});

test('/system/bin holds the phone\'s commands: root:shell 0755, toybox\'s as links to toybox, images dated 2009-01-01', async () => {
  await withFs(async (sb) => {
    const names = await sb.list('/system/bin');
    for (const n of ['am', 'cat', 'ls', 'pm', 'sh', 'toybox']) assert.ok(names.includes(n), n);
    const am = await sb.info('/system/bin/am');
    assert.deepEqual([am.type, am.mode.toString(8), am.uid, am.gid], ['file', '100755', ROOT, SHELL]);
    const ls = await sb.info('/system/bin/ls', '/', false);
    assert.deepEqual([ls.type, ls.linkTarget, ls.uid, ls.gid], ['link', 'toybox', ROOT, SHELL]);
    assert.equal((await sb.info('/system/bin/ls')).path, '/system/bin/toybox');
    await sb.resolve('/system/bin/am', '/', 'exec', SHELL);
    assert.equal(am.mtimeMs, 1230768000 * 1000);
    assert.equal((await sb.info('/sdcard', '/', false)).mtimeMs, 1230768000 * 1000);
  });
});

test('modes are honoured for the shell: chmod 000 locks it out, the w bit controls writes, the x bit exec', async () => {
  await withFs(async (sb) => {
    const f = '/data/local/tmp/f';
    await sb.writeFile(f, 'data', 0o644, { uid: SHELL });
    let st = await sb.info(f);
    assert.deepEqual([st.mode.toString(8), st.uid, st.gid], ['100644', SHELL, SHELL]);
    await sb.chmod(f, 0o000);
    assert.equal((await sb.info(f)).mode.toString(8), '100000');
    await assert.rejects(sb.resolve(f, '/', 'read', SHELL), code('EACCES'));
    await assert.rejects(sb.readFile(f, { uid: SHELL }), code('EACCES'));
    await assert.rejects(sb.resolve(f, '/', 'write', SHELL), code('EACCES'));
    // Root passes the r and w bits, but exec needs an x bit somewhere.
    assert.equal((await sb.readFile(f, { uid: ROOT })).toString(), 'data');
    await assert.rejects(sb.resolve(f, '/', 'exec', ROOT), code('EACCES'));
    await sb.chmod(f, 0o200);
    await assert.rejects(sb.resolve(f, '/', 'read', SHELL), code('EACCES'));
    await sb.writeFile(f, 'new', 0o644, { uid: SHELL });
    await assert.rejects(sb.resolve(f, '/', 'exec', SHELL), code('EACCES'));
    await sb.chmod(f, 0o755);
    await sb.resolve(f, '/', 'exec', SHELL);
    await sb.resolve(f, '/', 'exec', ROOT);
    st = await sb.info(f);
    assert.equal(st.mode.toString(8), '100755');
    assert.equal((await sb.readFile(f, { uid: SHELL })).toString(), 'new');
  });
});

test('folders: r to list, x to pass through, w (with x) to create and remove', async () => {
  await withFs(async (sb) => {
    const d = '/data/local/tmp/d';
    await sb.mkdir(d, { uid: SHELL, mode: 0o755 });
    await sb.writeFile(`${d}/inner`, 'x', 0o644, { uid: SHELL });
    await sb.chmod(d, 0o311); // -wx--x--x: no listing, but the name can be reached
    await assert.rejects(sb.list(d, '/', SHELL), code('EACCES'));
    assert.equal((await sb.info(`${d}/inner`)).size, 1);
    await sb.chmod(d, 0o644); // rw-: listed names, nothing reachable
    await assert.rejects(sb.info(`${d}/inner`), code('EACCES'));
    await assert.rejects(sb.list(d, '/', SHELL), code('EACCES'), 'list needs x too');
    await assert.rejects(sb.resolve(`${d}/inner`, '/', 'read', SHELL), code('EACCES'));
    await sb.chmod(d, 0o555); // r-x: no new names, no removals
    await assert.rejects(sb.resolve(`${d}/new`, '/', 'create', SHELL), code('EACCES'));
    await assert.rejects(sb.unlink(`${d}/inner`, { uid: SHELL }), code('EACCES'));
    await assert.rejects(sb.mkdir(`${d}/sub`, { uid: SHELL }), code('EACCES'));
    await sb.chmod(d, 0o755);
    await sb.unlink(`${d}/inner`, { uid: SHELL });
    await sb.rmdir(d, { uid: SHELL });
    await assert.rejects(sb.info(d), code('ENOENT'));
    // cd-style search: exec on a folder is its x bit.
    await sb.resolve('/data', '/', 'exec', SHELL);
    await assert.rejects(sb.resolve('/storage/emulated', '/', 'list', SHELL), code('EACCES'));
  });
});

test('owners: the shell cannot chmod or chown root\'s files (EPERM); root can; groups decide through the group bits', async () => {
  await withFs(async (sb) => {
    const f = '/data/local/tmp/rootfile';
    await sb.writeFile(f, 'r', 0o640, { uid: ROOT });
    let st = await sb.info(f);
    assert.deepEqual([st.uid, st.gid, st.mode.toString(8)], [ROOT, ROOT, '100640']);
    await assert.rejects(sb.chmod(f, 0o666, { uid: SHELL }), code('EPERM'));
    await assert.rejects(sb.chown(f, SHELL, SHELL, { uid: SHELL }), code('EPERM'));
    await assert.rejects(sb.resolve(f, '/', 'read', SHELL), code('EACCES'));
    // Root gives it group shell: rw-r----- now lets the shell read (group bits) but not write.
    await sb.chown(f, undefined, SHELL, { uid: ROOT });
    st = await sb.info(f);
    assert.deepEqual([st.uid, st.gid], [ROOT, SHELL]);
    await sb.resolve(f, '/', 'read', SHELL);
    await assert.rejects(sb.resolve(f, '/', 'write', SHELL), code('EACCES'));
    // The owner may move its own file to one of its groups (sdcard_rw), not to another's.
    const mine = '/data/local/tmp/mine';
    await sb.writeFile(mine, 'm', 0o644, { uid: SHELL });
    await sb.chown(mine, -1, AID.SDCARD_RW, { uid: SHELL });
    assert.equal((await sb.info(mine)).gid, AID.SDCARD_RW);
    await assert.rejects(sb.chown(mine, -1, AID.SYSTEM, { uid: SHELL }), code('EPERM'));
    await assert.rejects(sb.chown(mine, ROOT, -1, { uid: SHELL }), code('EPERM'));
    // A set-group-id folder gives new entries its group (and folders its set-gid bit).
    const g = '/data/local/tmp/g';
    await sb.mkdir(g, { uid: SHELL, mode: 0o775 });
    await sb.chown(g, -1, AID.SDCARD_RW, { uid: SHELL });
    await sb.chmod(g, 0o2775, { uid: SHELL });
    await sb.writeFile(`${g}/file`, 'x', 0o644, { uid: SHELL });
    await sb.mkdir(`${g}/sub`, { uid: SHELL, mode: 0o755 });
    assert.equal((await sb.info(`${g}/file`)).gid, AID.SDCARD_RW);
    assert.equal((await sb.info(`${g}/sub`)).mode.toString(8), '42755');
    // The sticky bit: in a 1777 folder the shell may not remove root's file (EPERM).
    const t = '/data/local/tmp/sticky';
    await sb.mkdir(t, { uid: ROOT, mode: 0o1777 });
    await sb.writeFile(`${t}/r`, 'x', 0o666, { uid: ROOT });
    await assert.rejects(sb.unlink(`${t}/r`, { uid: SHELL }), code('EPERM'));
    await sb.writeFile(`${t}/s`, 'x', 0o666, { uid: SHELL });
    await sb.unlink(`${t}/s`, { uid: SHELL });
  });
});

test('shared storage is MediaProvider\'s: u0_a… media_rw, rw-rw----, chmod changes nothing, nothing executes, no links', async () => {
  await withFs(async (sb) => {
    await sb.writeFile('/sdcard/Download/a.sh', 'echo hi', 0o755, { uid: SHELL });
    const st = await sb.info('/sdcard/Download/a.sh');
    assert.deepEqual([st.mode.toString(8), st.uid, st.gid], ['100660', MEDIA_PROVIDER_UID, AID.MEDIA_RW]);
    const dir = await sb.info('/sdcard/Download');
    assert.deepEqual([dir.mode.toString(8), dir.uid, dir.gid], ['42770', MEDIA_PROVIDER_UID, AID.MEDIA_RW]);
    // FuseDaemon.cpp pf_setattr: "chmod/chown should NEVER be implemented" — they succeed and do nothing.
    await sb.chmod('/sdcard/Download/a.sh', 0o000, { uid: SHELL });
    await sb.chown('/sdcard/Download/a.sh', SHELL, SHELL, { uid: SHELL });
    assert.equal((await sb.info('/sdcard/Download/a.sh')).mode.toString(8), '100660');
    assert.equal((await sb.readFile('/sdcard/Download/a.sh', { uid: SHELL })).toString(), 'echo hi');
    await assert.rejects(sb.resolve('/sdcard/Download/a.sh', '/', 'exec', SHELL), code('EACCES'), 'the mount is noexec');
    await assert.rejects(sb.symlink('a.sh', '/sdcard/Download/l', { uid: SHELL }), code('EPERM'));
    await sb.mkdir('/sdcard/new/deeper', { uid: SHELL, parents: true, mode: 0o700 });
    assert.equal((await sb.info('/sdcard/new/deeper')).mode.toString(8), '42770');
    // /data and shared storage are different mounts: rename across them is EXDEV (mv copies instead).
    await assert.rejects(sb.rename('/sdcard/Download/a.sh', '/data/local/tmp/a.sh', { uid: SHELL }), code('EXDEV'));
    await sb.rename('/sdcard/Download/a.sh', '/sdcard/Documents/a.sh', { uid: SHELL });
    assert.deepEqual(await sb.list('/sdcard/Documents'), ['a.sh']);
  });
});

test('links: chains and relative targets resolve from the link\'s folder, loops are ELOOP after 40', async () => {
  await withFs(async (sb) => {
    const base = '/data/local/tmp';
    await sb.mkdir(`${base}/a/b`, { uid: SHELL, parents: true });
    await sb.writeFile(`${base}/a/target`, 'T', 0o644, { uid: SHELL });
    await sb.symlink('../target', `${base}/a/b/up`);
    await sb.symlink('b/up', `${base}/a/chain`);
    await sb.symlink(`${base}/a/chain`, `${base}/abs`);
    assert.equal((await sb.readFile(`${base}/abs`, { uid: SHELL })).toString(), 'T');
    assert.equal((await sb.info(`${base}/abs`)).path, `${base}/a/target`);
    // `..` after a link is the physical parent of where the link led (/storage/self/primary/.. is /storage/emulated).
    assert.equal((await sb.info('/sdcard/..', '/', true, ROOT)).path, '/storage/emulated');
    await sb.symlink('loop2', `${base}/loop1`);
    await sb.symlink('loop1', `${base}/loop2`);
    await assert.rejects(sb.info(`${base}/loop1`), code('ELOOP'));
    await assert.rejects(sb.resolve(`${base}/loop1/x`, '/', 'create', SHELL), code('ELOOP'));
    assert.equal((await sb.info(`${base}/loop1`, '/', false)).type, 'link', 'lstat does not follow');
    // 40 links in a row resolve; 41 do not (MAXSYMLINKS).
    await sb.writeFile(`${base}/end`, 'e', 0o644, { uid: SHELL });
    let prev = 'end';
    for (let i = 1; i <= 41; i++) {
      await sb.symlink(prev, `${base}/c${i}`);
      prev = `c${i}`;
    }
    assert.equal((await sb.readFile(`${base}/c40`)).toString(), 'e');
    await assert.rejects(sb.readFile(`${base}/c41`), code('ELOOP'));
    // A file is not a folder.
    await assert.rejects(sb.info(`${base}/end/x`), code('ENOTDIR'));
    await assert.rejects(sb.resolve(`${base}/end/x`, '/', 'create', SHELL), code('ENOTDIR'));
    // A dangling link: write creates its target; create (O_EXCL) sees the link.
    await sb.symlink('made', `${base}/dangling`);
    await assert.rejects(sb.resolve(`${base}/dangling`, '/', 'create', SHELL), code('EEXIST'));
    assert.equal(await sb.resolve(`${base}/dangling`, '/', 'write', SHELL), await sb.hostPath(`${base}/made`));
  });
});

test('owners and modes survive a restart, and a file replaced behind the sandbox\'s back does not inherit them', async () => {
  await withFs(async (sb, root) => {
    await sb.writeFile('/data/local/tmp/keep', 'k', 0o644, { uid: SHELL });
    await sb.chmod('/data/local/tmp/keep', 0o600);
    await sb.writeFile('/data/local/tmp/root', 'r', 0o600, { uid: ROOT });
    await sb.rename('/data/local/tmp/root', '/data/local/tmp/root2', { uid: ROOT });
    await sb.flush();
    const again = new Sandbox(root);
    await again.init({ commands: [] });
    assert.equal((await again.info('/data/local/tmp/keep')).mode.toString(8), '100600');
    const moved = await again.info('/data/local/tmp/root2');
    assert.deepEqual([moved.uid, moved.mode.toString(8)], [ROOT, '100600']);
    await assert.rejects(again.resolve('/data/local/tmp/root2', '/', 'read', SHELL), code('EACCES'));
    // Replaced on the host (same name, very likely the same inode number): the rules for the place apply.
    const host = await again.hostPath('/data/local/tmp/root2');
    await unlink(host);
    await writeFile(host, 'fresh', { mode: 0o644 });
    const fresh = await again.info('/data/local/tmp/root2');
    assert.deepEqual([fresh.uid, fresh.gid, fresh.mode.toString(8)], [SHELL, SHELL, '100644']);
    // The sidecar is not part of the phone.
    assert.ok((await readdir(root)).includes('.vp-meta.json'));
    assert.ok(!(await again.list('/', '/', ROOT)).includes('.vp-meta.json'));
    await assert.rejects(again.info('/.vp-meta.json', '/', true, ROOT), code('ENOENT'));
  });
});

test('times: the owner sets any time, others only "now" and only with write permission', async () => {
  await withFs(async (sb) => {
    await sb.writeFile('/data/local/tmp/t', 't', 0o666, { uid: SHELL });
    await sb.utimes('/data/local/tmp/t', 1500000000, 1600000000, { uid: SHELL });
    const st = await sb.info('/data/local/tmp/t');
    assert.deepEqual([st.atimeMs, st.mtimeMs], [1500000000 * 1000, 1600000000 * 1000]);
    await sb.writeFile('/data/local/tmp/r', 'r', 0o644, { uid: ROOT });
    await assert.rejects(sb.utimes('/data/local/tmp/r', 1, 1, { uid: SHELL }), code('EPERM'));
    await assert.rejects(sb.utimes('/data/local/tmp/r', undefined, undefined, { uid: SHELL }), code('EACCES'));
  });
});

test('ids are named as bionic names them', () => {
  assert.equal(androidIdName(0), 'root');
  assert.equal(androidIdName(1000), 'system');
  assert.equal(androidIdName(1023), 'media_rw');
  assert.equal(androidIdName(2000), 'shell');
  assert.equal(androidIdName(MEDIA_PROVIDER_UID), 'u0_a66');
  assert.equal(androidIdName(110066), 'u1_a66');
  assert.equal(androidIdName(101000), 'u1_system');
  assert.equal(androidIdName(20066), 'u0_a66_cache');
  assert.equal(androidIdName(50066), 'all_a66');
  assert.equal(androidIdName(99001), 'u0_i9001');
});

/** A sync: connection driven by hand, to check the wire format of what adb 29 does not itself send (LIS2). */
class FakeStream {
  closed = false;
  ended = false;
  out: Buffer[] = [];
  onData?: (data: Buffer) => void;
  onClose?: () => void;
  async write(data: Buffer): Promise<void> {
    this.out.push(Buffer.from(data));
  }
  end(): void {
    this.ended = true;
  }
  take(): Buffer {
    const b = Buffer.concat(this.out);
    this.out = [];
    return b;
  }
}

function request(id: string, arg: Buffer | string): Buffer {
  const body = Buffer.isBuffer(arg) ? arg : Buffer.from(arg);
  const head = Buffer.alloc(8);
  head.write(id, 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** Every request here gets one reply write: wait for it (each reply is written whole). */
async function reply(st: FakeStream): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!st.out.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
}

test('sync: STA2/LST2 carry owners, modes and errno; LIS2 entries are 76-byte DNT2 records; protocol errors end the connection', async () => {
  await withFs(async (sb) => {
    await sb.writeFile('/data/local/tmp/one', 'hello', 0o640, { uid: SHELL });
    await sb.symlink('one', '/data/local/tmp/ln');
    const st = new FakeStream();
    new SyncService(sb, st as never);
    const send = async (b: Buffer): Promise<Buffer> => {
      st.onData?.(b);
      await reply(st);
      return st.take();
    };
    // sync_stat_v2: id, error, dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime (72 bytes).
    let r = await send(request('STA2', '/data/local/tmp/ln'));
    assert.equal(r.length, 72);
    assert.equal(r.toString('ascii', 0, 4), 'STA2');
    assert.equal(r.readUInt32LE(4), 0);
    assert.deepEqual([r.readUInt32LE(24).toString(8), r.readUInt32LE(32), r.readUInt32LE(36), Number(r.readBigUInt64LE(40))], ['100640', SHELL, SHELL, 5]);
    r = await send(request('LST2', '/data/local/tmp/ln'));
    assert.equal(r.readUInt32LE(24).toString(8), '120777');
    r = await send(request('STA2', '/data/data/x/y'));
    assert.equal(r.readUInt32LE(4), 2, 'ENOENT on the wire');
    r = await send(request('STA2', '/data/local/tmp/one/x'));
    assert.equal(r.readUInt32LE(4), 20, 'ENOTDIR on the wire');
    r = await send(request('LIS2', '/data/local/tmp'));
    const names: string[] = [];
    let at = 0;
    while (r.toString('ascii', at, at + 4) === 'DNT2') {
      const len = r.readUInt32LE(at + 72);
      names.push(r.toString('utf8', at + 76, at + 76 + len));
      at += 76 + len;
    }
    assert.deepEqual(names, ['.', '..', 'ln', 'one']);
    assert.equal(r.toString('ascii', at, at + 4), 'DONE');
    assert.equal(r.length - at, 76, 'the v2 DONE is a whole dent_v2');
    // An unreadable folder lists as nothing (adbd: opendir failed → DONE).
    r = await send(request('LIST', '/data'));
    assert.deepEqual([r.length, r.toString('ascii', 0, 4)], [20, 'DONE']);
    // A symlink SEND (mode S_IFLNK): DATA is the target, NUL-terminated.
    const done = Buffer.alloc(8);
    done.write('DONE', 0, 'ascii');
    done.writeUInt32LE(1234567890, 4);
    r = await send(Buffer.concat([request('SEND', `/data/local/tmp/sent,${0o120777}`), request('DATA', Buffer.from('one\0')), done]));
    assert.equal(r.toString('ascii', 0, 4), 'OKAY');
    assert.equal(await sb.readlink('/data/local/tmp/sent'), 'one');
    assert.equal((await sb.info('/data/local/tmp/sent', '/', false)).mtimeMs, 1234567890 * 1000);
    assert.equal(st.ended, false);
    r = await send(request('SEND', '/data/local/tmp/nocomma'));
    assert.equal(r.toString('utf8', 8), 'missing , in ID_SEND_V1');
    assert.equal(st.ended, true);
  });
});

test('sync: a host that goes away while the pushed file is still being created leaves nothing behind (as adbd)', async () => {
  await withFs(async (sb) => {
    // The SEND is read, then the connection closes before the file exists (a cancel under load: the host has
    // written megabytes the phone has not read yet). At every point of the creation, nothing may remain.
    for (const delay of [0, 1, 2, 5]) {
      const st = new FakeStream();
      new SyncService(sb, st as never);
      st.onData?.(request('SEND', `/data/local/tmp/new/part-${delay},${0o644}`));
      for (let i = 0; i < delay; i++) await new Promise((r) => setImmediate(r));
      st.closed = true;
      st.onClose?.();
      await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(sb.info(`/data/local/tmp/new/part-${delay}`, '/', false), `nothing left (closed after ${delay} turns)`);
    }
  });
});
