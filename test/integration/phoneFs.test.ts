import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import { AID, MEDIA_PROVIDER_UID } from '../../extension/core/virtualPhone/sandbox';

/**
 * The phone's files through the real adb CLI (Debian's adb 29): push, pull, ls and shell, checked against
 * what adbd (daemon/file_sync_service.cpp) and adb's client (client/file_sync_client.cpp) do on a user build.
 * adb 29 prints its errors on stdout when it is not on a terminal (LinePrinter), so both streams are searched.
 */
let server: TestAdbServer;
let phone: VirtualPhone;
let tmp: string;
let s: string[];

const adb = (...args: string[]) => server.adb([...s, ...args], { timeoutMs: 60000 });
const said = (r: { stdout: string; stderr: string }): string => r.stdout + r.stderr;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** `adb ls` lines: `%08x %08x %08x %s` (mode, size, mtime, name) from the sync LIST request. */
async function ls(dir: string): Promise<Map<string, { mode: number; size: number; mtime: number }>> {
  const r = await adb('ls', dir);
  assert.equal(r.code, 0, said(r));
  const out = new Map<string, { mode: number; size: number; mtime: number }>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const m = /^([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8}) (.*)$/.exec(line);
    assert.ok(m, line);
    out.set(m[4], { mode: parseInt(m[1], 16), size: parseInt(m[2], 16), mtime: parseInt(m[3], 16) });
  }
  return out;
}

before(async () => {
  server = await startAdbServer();
  phone = await VirtualPhone.start({ port: 0 });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-phonefs-it-'));
  s = ['-s', phone.address];
  await server.adb(['connect', phone.address]);
  await waitFor('the phone', async () => ((await server.adb([...s, 'get-state'])).stdout.trim() === 'device' ? true : undefined), 15000);
});

after(async () => {
  await phone?.stop();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('pushing into the read-only system image fails with adbd\'s words', async () => {
  const local = path.join(tmp, 'ro.txt');
  await writeFile(local, 'x');
  const r = await adb('push', local, '/system/');
  assert.equal(r.code, 1);
  assert.match(said(r), new RegExp(`adb: error: failed to copy '${local}' to '/system/ro.txt': remote couldn't create file: Read-only file system`));
  for (const dest of ['/vendor/ro.txt', '/product/ro.txt', '/ro.txt']) {
    const v = await adb('push', local, dest);
    assert.equal(v.code, 1, dest);
    assert.match(said(v), /remote couldn't create file: Read-only file system/, dest);
  }
  // A missing folder in the image: adbd's secure_mkdirs() is what fails.
  const deep = await adb('push', local, '/system/newdir/ro.txt');
  assert.equal(deep.code, 1);
  assert.match(said(deep), /remote secure_mkdirs\(\) failed: Read-only file system/);
  assert.equal((await phone.device.fs.exists('/system/ro.txt')), false);
  // The shell says the same thing for a redirection.
  const sh = await adb('shell', 'echo x > /system/x');
  assert.notEqual(sh.code, 0);
  assert.match(sh.stderr, /can't create \/system\/x: Read-only file system/);
});

test('/data is closed to the shell user, /data/local/tmp is open', async () => {
  const r = await adb('shell', 'ls /data');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ls: \/data: Permission denied/);
  const glob = await adb('shell', 'echo /data/*; cd /data/local/tmp && echo hi > hi.txt && cat hi.txt');
  assert.equal(glob.stdout, '/data/*\nhi\n', 'a glob over an unreadable folder stays as written (mksh)');
  // adbd's LIST of a folder it cannot open is just DONE: nothing listed, nothing pulled.
  assert.equal((await ls('/data/')).size, 0);
  const tmpList = await ls('/data/local/tmp/');
  assert.ok(tmpList.has('hi.txt'));
  assert.equal(tmpList.get('.')?.mode, 0o40771);
});

test('a push keeps the local mtime, gives the shell the file with user bits copied, and pull -a brings the time back', async () => {
  const local = path.join(tmp, 'timed.sh');
  await writeFile(local, '#!/system/bin/sh\necho timed\n');
  await chmod(local, 0o755);
  await utimes(local, 1500000000, 1500000000);
  const r = await adb('push', local, '/data/local/tmp/');
  assert.equal(r.code, 0, said(r));
  const entry = (await ls('/data/local/tmp/')).get('timed.sh');
  // send_impl copies the user bits to group and other: 0755 arrives as 0777.
  assert.deepEqual(entry && [entry.mode.toString(8), entry.mtime], ['100777', 1500000000]);
  const info = await phone.device.fs.info('/data/local/tmp/timed.sh');
  assert.deepEqual([info.uid, info.gid, info.mtimeMs / 1000], [AID.SHELL, AID.SHELL, 1500000000]);
  const back = path.join(tmp, 'timed-back.sh');
  assert.equal((await adb('pull', '-a', '/data/local/tmp/timed.sh', back)).code, 0);
  assert.equal((await stat(back)).mtimeMs, 1500000000 * 1000);
  // --sync compares size and mtime (LST2): unchanged is skipped, a newer local file goes again.
  assert.match((await adb('push', '--sync', local, '/data/local/tmp/')).stdout, /0 files pushed, 1 skipped/);
  await utimes(local, 1600000000, 1600000000);
  assert.match((await adb('push', '--sync', local, '/data/local/tmp/')).stdout, /1 file pushed, 0 skipped/);
  assert.equal((await ls('/data/local/tmp/')).get('timed.sh')?.mtime, 1600000000);
  // And the shell runs it (x bit), as a phone does from /data/local/tmp.
  assert.equal((await adb('shell', '/data/local/tmp/timed.sh')).stdout, 'timed\n');
  const plain = path.join(tmp, 'plain.txt');
  await writeFile(plain, 'p');
  await chmod(plain, 0o644);
  await adb('push', plain, '/data/local/tmp/');
  assert.equal((await ls('/data/local/tmp/')).get('plain.txt')?.mode.toString(8), '100666');
});

test('a file chmod 000 cannot be pulled: Permission denied', async () => {
  const local = path.join(tmp, 'locked.txt');
  await writeFile(local, 'secret');
  assert.equal((await adb('push', local, '/data/local/tmp/locked.txt')).code, 0);
  const c = await adb('shell', 'chmod 000 /data/local/tmp/locked.txt');
  assert.equal(c.code, 0, said(c));
  const dest = path.join(tmp, 'locked-back.txt');
  const r = await adb('pull', '/data/local/tmp/locked.txt', dest);
  assert.equal(r.code, 1);
  // recv_impl: SendSyncFailErrno("open failed"); the client: "failed to copy … remote …".
  assert.match(said(r), new RegExp(`adb: error: failed to copy '/data/local/tmp/locked.txt' to '${dest}': remote open failed: Permission denied`));
  // A folder the shell cannot search: the stat itself fails, with the errno adbd sends in STA2.
  await adb('shell', 'mkdir /data/local/tmp/closed && touch /data/local/tmp/closed/f && chmod 600 /data/local/tmp/closed');
  const closed = await adb('pull', '/data/local/tmp/closed/f', dest);
  assert.equal(closed.code, 1);
  assert.match(said(closed), /adb: error: failed to stat remote object '\/data\/local\/tmp\/closed\/f': Permission denied/);
  const none = await adb('pull', '/data/local/tmp/nope', dest);
  assert.match(said(none), /adb: error: failed to stat remote object '\/data\/local\/tmp\/nope': No such file or directory/);
});

test('/sdcard/x and /storage/emulated/0/x are the same file, owned as MediaProvider shows it', async () => {
  const local = path.join(tmp, 'shared.bin');
  const data = randomBytes(100_000);
  await writeFile(local, data);
  assert.equal((await adb('push', local, '/sdcard/Download/shared.bin')).code, 0);
  for (const name of ['/storage/emulated/0/Download/shared.bin', '/storage/self/primary/Download/shared.bin']) {
    const back = path.join(tmp, `back-${path.basename(path.dirname(path.dirname(name)))}.bin`);
    const r = await adb('pull', name, back);
    assert.equal(r.code, 0, said(r));
    assert.equal(sha(await readFile(back)), sha(data), name);
  }
  const a = await phone.device.fs.info('/sdcard/Download/shared.bin');
  const b = await phone.device.fs.info('/storage/emulated/0/Download/shared.bin');
  assert.equal(a.ino, b.ino);
  assert.deepEqual([a.uid, a.gid, a.mode.toString(8)], [MEDIA_PROVIDER_UID, AID.MEDIA_RW, '100660']);
  assert.equal((await ls('/storage/emulated/0/Download/')).get('shared.bin')?.size, data.length);
  assert.equal((await adb('shell', 'rm /storage/emulated/0/Download/shared.bin; ls /sdcard/Download/shared.bin')).code, 1);
});

test('10 MiB pushed and pulled byte for byte (sha256), on /data/local/tmp and on shared storage', async () => {
  const data = randomBytes(10 * 1024 * 1024);
  const local = path.join(tmp, 'big.bin');
  await writeFile(local, data);
  for (const remote of ['/data/local/tmp/big.bin', '/sdcard/big.bin']) {
    const up = await adb('push', local, remote);
    assert.equal(up.code, 0, said(up));
    const back = path.join(tmp, `big-back-${remote.split('/')[1]}.bin`);
    const down = await adb('pull', remote, back);
    assert.equal(down.code, 0, said(down));
    assert.equal(sha(await readFile(back)), sha(data), remote);
  }
});

test('folders: a push makes missing parents, a folder push and a recursive pull give the same tree, links arrive as links', async () => {
  const local = path.join(tmp, 'tree');
  await mkdir(path.join(local, 'sub', 'deeper'), { recursive: true });
  await writeFile(path.join(local, 'a.txt'), 'A');
  await writeFile(path.join(local, 'sub', 'b.txt'), 'B');
  await writeFile(path.join(local, 'sub', 'deeper', 'c.bin'), randomBytes(70_000));
  await symlink('a.txt', path.join(local, 'link'));
  const r = await adb('push', local, '/data/local/tmp/');
  assert.equal(r.code, 0, said(r));
  assert.match(r.stdout, /4 files pushed/);
  const top = await ls('/data/local/tmp/tree/');
  assert.equal(top.get('link')?.mode.toString(8), '120777', 'the link is a link on the phone');
  assert.equal(await phone.device.fs.readlink('/data/local/tmp/tree/link'), 'a.txt');
  assert.equal(top.get('sub')?.mode.toString(8), '40775', 'secure_mkdirs makes folders 0775');
  const out = path.join(tmp, 'pulled');
  await mkdir(out);
  const p = await adb('pull', '/data/local/tmp/tree', out);
  assert.equal(p.code, 0, said(p));
  assert.match(p.stdout, /4 files pulled/);
  const got = path.join(out, 'tree');
  assert.deepEqual((await readdir(got)).sort(), ['a.txt', 'link', 'sub']);
  assert.equal(await readFile(path.join(got, 'link'), 'utf8'), 'A', 'a pulled link is its target\'s content');
  assert.equal(sha(await readFile(path.join(got, 'sub', 'deeper', 'c.bin'))), sha(await readFile(path.join(local, 'sub', 'deeper', 'c.bin'))));
  await assert.rejects(readlink(path.join(got, 'link')), { code: 'EINVAL' });
  // A single file into folders that do not exist yet: adbd creates them (fixed_push_mkdir).
  const one = await adb('push', path.join(local, 'a.txt'), '/data/local/tmp/p/q/r/a.txt');
  assert.equal(one.code, 0, said(one));
  assert.equal((await ls('/data/local/tmp/p/q/')).get('r')?.mode.toString(8), '40775');
  // A file pushed where a folder stands: open() fails with EISDIR.
  await adb('shell', 'mkdir -p /data/local/tmp/over/a.txt');
  const over = await adb('push', path.join(local, 'a.txt'), '/data/local/tmp/over/');
  assert.equal(over.code, 1);
  assert.match(said(over), /failed to copy '.*a\.txt' to '\/data\/local\/tmp\/over\/a\.txt': remote couldn't create file: Is a directory/);
});
