/**
 * The Device Files engine against a fake phone that speaks adb's sync protocol as adbd does
 * (file_sync_service.cpp: LIST sends `.` and `..` then the entries with lstat's mode/size/mtime, and only DONE
 * for a folder it cannot open; STAT v1 is lstat with zeros on failure; STA2 follows links and carries errno;
 * RECV sends DATA blocks then DONE, or FAIL "open failed: <strerror>"), and whose shell answers as toybox does
 * (`ls: /data: Permission denied`, exit 1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir, chmod, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeviceFiles, DeviceFileError, checkName, looksBinary, type DeviceFilesBackend } from '../../extension/core/deviceFiles/deviceFiles';
import { SYNC, SyncSession, modeString, type ByteChannel } from '../../extension/core/deviceFiles/syncProtocol';
import { parseLsLong, errnoFromText } from '../../extension/core/deviceFiles/lsParse';
import { shellCommand } from '../../extension/core/util/shellQuote';

const DIR = 0o040000;
const REG = 0o100000;
const LNK = 0o120000;

interface Node { mode: number; mtime: number; data?: Buffer; target?: string; denied?: boolean }

/** A little phone: folders, files, links, and folders the shell user may not open. */
class FakePhone implements DeviceFilesBackend {
  fs = new Map<string, Node>();
  execs: string[][] = [];
  pulls: Array<[string, string]> = [];
  pushes: Array<[string, string, number | undefined]> = [];
  failPullAfter: number | undefined;

  constructor() {
    this.dir('/');
    this.dir('/sdcard/Download');
    this.file('/sdcard/Download/notes.txt', 'shopping: milk\n');
    this.file('/sdcard/Download/photo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]));
    this.dir('/data', { denied: true });
    this.dir('/data/local/tmp');
    this.dir('/sdcard/empty');
    this.fs.set('/sdcard/link-to-download', { mode: LNK | 0o777, mtime: 1, target: '/sdcard/Download' });
    this.fs.set('/sdcard/dangling', { mode: LNK | 0o777, mtime: 1, target: '/nowhere' });
  }

  dir(p: string, o: Partial<Node> = {}): void {
    const parts = p.split('/').filter(Boolean);
    for (let i = 0; i <= parts.length; i++) {
      const q = `/${parts.slice(0, i).join('/')}`;
      if (!this.fs.has(q)) this.fs.set(q, { mode: DIR | 0o771, mtime: 1700000000 });
    }
    Object.assign(this.fs.get(p) as Node, o);
  }

  file(p: string, data: string | Buffer): void {
    this.dir(path.posix.dirname(p));
    this.fs.set(p, { mode: REG | 0o660, mtime: 1700000100, data: Buffer.from(data) });
  }

  /** stat's view: links followed, in the last component and in the folders on the way. */
  private resolve(p: string, depth = 0): Node | undefined {
    if (depth > 8) return undefined;
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const link = this.fs.get(`/${parts.slice(0, i).join('/')}`)?.target;
      if (link) return this.resolve(path.posix.join(link, ...parts.slice(i)), depth + 1);
    }
    const n = this.fs.get(p);
    return n?.target ? this.resolve(n.target, depth + 1) : n;
  }

  private children(p: string): string[] {
    const prefix = p === '/' ? '/' : `${p}/`;
    return [...this.fs.keys()].filter((k) => k !== p && k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map((k) => k.slice(prefix.length)).sort();
  }

  async openSync(): Promise<ByteChannel> {
    let out = Buffer.alloc(0);
    let waiting: (() => void) | undefined;
    const send = (b: Buffer) => { out = Buffer.concat([out, b]); waiting?.(); };
    const u32 = (...v: number[]) => { const b = Buffer.alloc(4 * v.length); v.forEach((x, i) => b.writeUInt32LE(x, i * 4)); return b; };
    return {
      write: (req: Buffer) => {
        const cmd = req.readUInt32LE(0);
        const p = req.subarray(8, 8 + req.readUInt32LE(4)).toString('utf8');
        if (cmd === SYNC.LIST) {
          const d = this.resolve(p);
          if (d && (d.mode & 0o170000) === DIR && !d.denied) {
            for (const name of ['.', '..', ...this.children(p)]) {
              const n = name === '.' ? d : name === '..' ? d : (this.fs.get(path.posix.join(p, name)) as Node);
              const nb = Buffer.from(name);
              send(Buffer.concat([u32(SYNC.DENT, n.mode, n.data?.length ?? 4096, n.mtime, nb.length), nb]));
            }
          }
          send(u32(SYNC.DONE, 0, 0, 0, 0));
        } else if (cmd === SYNC.STAT) {
          const n = this.fs.get(p);
          send(n ? u32(SYNC.STAT, n.mode, n.data?.length ?? 4096, n.mtime) : u32(SYNC.STAT, 0, 0, 0));
        } else if (cmd === SYNC.STA2) {
          const n = this.resolve(p);
          const b = Buffer.alloc(72);
          b.writeUInt32LE(SYNC.STA2, 0);
          if (!n) b.writeUInt32LE(2, 4);
          else {
            b.writeUInt32LE(n.mode, 24);
            b.writeBigUInt64LE(BigInt(n.data?.length ?? 4096), 40);
            b.writeBigInt64LE(BigInt(n.mtime), 56);
          }
          send(b);
        } else if (cmd === SYNC.RECV) {
          const n = this.resolve(p);
          if (!n?.data) {
            const msg = Buffer.from(`open failed: ${n ? 'Is a directory' : 'No such file or directory'}`);
            send(Buffer.concat([u32(SYNC.FAIL, msg.length), msg]));
            return;
          }
          for (let i = 0; i < n.data.length; i += 3) {
            const chunk = n.data.subarray(i, i + 3);
            send(Buffer.concat([u32(SYNC.DATA, chunk.length), chunk]));
          }
          send(u32(SYNC.DONE, 0));
        }
      },
      read: async (n: number) => {
        while (out.length < n) await new Promise<void>((r) => { waiting = r; });
        const b = out.subarray(0, n);
        out = out.subarray(n);
        return b;
      },
      end: () => undefined,
    };
  }

  async exec(_serial: string, argv: readonly string[]) {
    this.execs.push([...argv]);
    const ok = (s = '') => ({ stdout: Buffer.from(s), stderr: Buffer.alloc(0), exitCode: 0 });
    const fail = (s: string) => ({ stdout: Buffer.alloc(0), stderr: Buffer.from(s), exitCode: 1 });
    if (argv[0] === 'ls') {
      const paths = argv.slice(2);
      if (argv[1] === '-la') {
        const n = this.resolve(paths[0]);
        if (!n) return fail(`ls: ${paths[0]}: No such file or directory\n`);
        if (n.denied) return fail(`ls: ${paths[0]}: Permission denied\n`);
        return ok(`total 0\n${['.', '..', ...this.children(paths[0])].map((c) => `drwxrwx--x 2 shell shell 4096 2024-01-02 03:04 ${c}`).join('\n')}\n`);
      }
      return ok(paths.map((p) => {
        const n = this.fs.get(p) as Node;
        return `${modeString(n.mode)} 1 root root ${n.target?.length ?? 0} 2009-01-01 00:00 ${p}${n.target ? ` -> ${n.target}` : ''}`;
      }).join('\n') + '\n');
    }
    if (argv[0] === 'rm') {
      if (argv[2].startsWith('/data/')) return fail(`rm: ${argv[2]}: Permission denied\n`);
      for (const k of [...this.fs.keys()]) if (k === argv[2] || k.startsWith(`${argv[2]}/`)) this.fs.delete(k);
      return ok();
    }
    if (argv[0] === 'mkdir') {
      if (argv[2].startsWith('/system')) return fail(`mkdir: '${argv[2]}': Read-only file system\n`);
      this.dir(argv[2]);
      return ok();
    }
    return fail(`/system/bin/sh: ${argv[0]}: inaccessible or not found\n`);
  }

  async pull(_serial: string, remote: string, local: string) {
    this.pulls.push([remote, local]);
    if (this.failPullAfter !== undefined && this.pulls.length > this.failPullAfter) throw new Error('The pull stopped: the phone did not answer for 5 s');
    const n = this.resolve(remote);
    if (!n?.data) throw new Error(`Cannot read ${remote}`);
    await writeFile(local, n.data, { flag: 'wx' });
    return { bytes: n.data.length };
  }

  async push(_serial: string, local: string, remote: string, opts?: { mode?: number }) {
    this.pushes.push([local, remote, opts?.mode]);
    this.file(remote, await readFile(local));
    return { bytes: (await stat(local)).size };
  }
}

test('sync LIST: DENT records up to DONE, with the `.` and `..` adbd sends', async () => {
  const phone = new FakePhone();
  const s = new SyncSession(await phone.openSync());
  const names = (await s.list('/sdcard/Download')).map((e) => e.name);
  assert.deepEqual(names, ['.', '..', 'notes.txt', 'photo.png']);
  assert.deepEqual(await s.list('/data'), [], 'a folder adbd cannot open: nothing, not even `.`');
  const st = await s.stat('/sdcard/Download/notes.txt');
  assert.deepEqual([st.mode, st.size], [REG | 0o660, 15]);
});

test('a folder lists folders first, files with size and mode, symlinks with their target and what it is', async () => {
  const phone = new FakePhone();
  const files = new DeviceFiles(phone);
  const sd = await files.list('s', '/sdcard');
  assert.deepEqual(sd.map((e) => [e.name, e.type, e.targetType ?? '', e.linkTarget ?? '']), [
    ['Download', 'dir', '', ''],
    ['empty', 'dir', '', ''],
    ['link-to-download', 'link', 'dir', '/sdcard/Download'],
    ['dangling', 'link', 'missing', '/nowhere'],
  ]);
  const dl = await files.list('s', '/sdcard/Download/');
  assert.deepEqual(dl.map((e) => [e.path, e.size, modeString(e.mode)]), [['/sdcard/Download/notes.txt', 15, '-rw-rw----'], ['/sdcard/Download/photo.png', 8, '-rw-rw----']]);
  assert.ok(phone.execs.some((a) => a[0] === 'ls' && a[1] === '-ld'), 'link targets come from ls -ld');
});

test('a folder the shell user cannot open is "Permission denied", in the phone\'s words, not an empty folder', async () => {
  const phone = new FakePhone();
  const files = new DeviceFiles(phone);
  await assert.rejects(files.list('s', '/data'), (err: unknown) => err instanceof DeviceFileError && err.code === 'EACCES' && err.message === 'Cannot list /data: ls: /data: Permission denied');
  await assert.rejects(files.list('s', '/nope'), (err: unknown) => err instanceof DeviceFileError && err.code === 'ENOENT');
  assert.deepEqual(await files.list('s', '/sdcard/empty'), [], 'an empty folder is empty');
  assert.deepEqual(await files.list('s', '/data/local/tmp'), [], 'a listable folder inside an unlistable one');
  await assert.rejects(files.list('s', 'relative/path'), /not an absolute path/);
});

test('reading a file: its bytes over RECV, refused past the size limit, binary told from text', async () => {
  const phone = new FakePhone();
  const files = new DeviceFiles(phone);
  assert.equal((await files.readFile('s', '/sdcard/Download/notes.txt')).toString(), 'shopping: milk\n');
  assert.equal((await files.readFile('s', '/sdcard/link-to-download/notes.txt')).toString(), 'shopping: milk\n');
  await assert.rejects(files.readFile('s', '/sdcard/Download/notes.txt', 10), (err: unknown) => err instanceof DeviceFileError && err.code === 'EFBIG' && /pull it instead/.test(err.message));
  await assert.rejects(files.readFile('s', '/sdcard/Download'), (err: unknown) => err instanceof DeviceFileError && err.code === 'EISDIR');
  await assert.rejects(files.readFile('s', '/sdcard/missing.txt'), (err: unknown) => err instanceof DeviceFileError && err.code === 'ENOENT');
  assert.equal(looksBinary(await files.readFile('s', '/sdcard/Download/photo.png')), true);
  assert.equal(looksBinary(Buffer.from('plain text\twith tabs\r\nand ünïcode\n')), false);
  assert.equal(looksBinary(Buffer.from([1, 2, 3, 4, 5, 6, 7, 65])), true);
});

test('pull is atomic on this computer: never half-written, never replacing a file unless told to', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-pull-'));
  try {
    const phone = new FakePhone();
    const files = new DeviceFiles(phone);
    const target = path.join(dir, 'notes.txt');
    await writeFile(target, 'my own notes');
    await assert.rejects(files.pull('s', '/sdcard/Download/notes.txt', target), (err: unknown) => err instanceof DeviceFileError && err.code === 'EEXIST');
    assert.equal(await readFile(target, 'utf8'), 'my own notes', 'the user\'s file is untouched');
    assert.notEqual(phone.pulls[0][1], target, 'pulled under a temporary name first');
    assert.equal(path.dirname(phone.pulls[0][1]), dir, 'in the same folder (so the rename is atomic)');
    await files.pull('s', '/sdcard/Download/notes.txt', target, { overwrite: true });
    assert.equal(await readFile(target, 'utf8'), 'shopping: milk\n', 'replaced when the user said so');
    phone.failPullAfter = phone.pulls.length;
    await assert.rejects(files.pull('s', '/sdcard/Download/photo.png', path.join(dir, 'photo.png')), /did not answer/);
    assert.deepEqual((await readdir(dir)).sort(), ['notes.txt'], 'a failed pull leaves nothing behind');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('pulling a folder copies its tree; what cannot be read is skipped and said', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-pull-'));
  try {
    const phone = new FakePhone();
    phone.file('/sdcard/Download/sub/deep.txt', 'deep');
    phone.dir('/sdcard/Download/secret', { denied: true });
    const files = new DeviceFiles(phone);
    const r = await files.pull('s', '/sdcard/Download', path.join(dir, 'Download'));
    assert.deepEqual([r.files, r.bytes], [3, 15 + 8 + 4]);
    assert.deepEqual(r.skipped, ['/sdcard/Download/secret (Cannot list /sdcard/Download/secret: ls: /sdcard/Download/secret: Permission denied)']);
    assert.equal(await readFile(path.join(dir, 'Download', 'sub', 'deep.txt'), 'utf8'), 'deep');
    await assert.rejects(files.pull('s', '/sdcard/Download', path.join(dir, 'Download')), (err: unknown) => err instanceof DeviceFileError && err.code === 'EEXIST');
    assert.deepEqual(await readdir(dir), ['Download'], 'no temporary folder left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('push a file (its mode kept) or a folder (mkdir -p, then each file) into a phone folder', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-push-'));
  try {
    const phone = new FakePhone();
    const files = new DeviceFiles(phone);
    const model = path.join(dir, 'model.onnx');
    await writeFile(model, 'onnx bytes');
    await chmod(model, 0o640);
    const r = await files.push('s', model, '/data/local/tmp/');
    assert.deepEqual(r, { path: '/data/local/tmp/model.onnx', files: 1, bytes: 10 });
    assert.deepEqual(phone.pushes[0].slice(1), ['/data/local/tmp/model.onnx', 0o640]);
    assert.ok(await files.exists('s', '/data/local/tmp/model.onnx'));
    assert.ok(!(await files.exists('s', '/data/local/tmp/other')));
    await mkdir(path.join(dir, 'assets', 'img'), { recursive: true });
    await writeFile(path.join(dir, 'assets', 'a.txt'), 'a');
    await writeFile(path.join(dir, 'assets', 'img', 'b.txt'), 'bb');
    const f = await files.push('s', path.join(dir, 'assets'), '/sdcard');
    assert.deepEqual(f, { path: '/sdcard/assets', files: 2, bytes: 3 });
    assert.deepEqual(phone.execs.filter((a) => a[0] === 'mkdir'), [['mkdir', '-p', '/sdcard/assets'], ['mkdir', '-p', '/sdcard/assets/img']]);
    assert.equal((await files.readFile('s', '/sdcard/assets/img/b.txt')).toString(), 'bb');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('delete is rm -r with the path as one quoted argument; new folder is mkdir -p; errors in the phone\'s words', async () => {
  const phone = new FakePhone();
  const files = new DeviceFiles(phone);
  const odd = "/sdcard/it's a \"test\"; rm -rf $HOME `id`";
  phone.file(`${odd}/x`, 'x');
  await files.remove('s', odd);
  assert.deepEqual(phone.execs.at(-1), ['rm', '-r', odd]);
  assert.equal(shellCommand(phone.execs.at(-1) as string[]), `rm -r '/sdcard/it'\\''s a "test"; rm -rf $HOME \`id\`'`, 'what the phone\'s shell is sent: one single-quoted word');
  assert.ok(!(await files.exists('s', odd)));
  await assert.rejects(files.remove('s', '/'), /root folder/);
  await assert.rejects(files.remove('s', '/data/app'), (err: unknown) => err instanceof DeviceFileError && err.code === 'EACCES' && /rm: \/data\/app: Permission denied/.test(err.message));
  await files.mkdir('s', '/sdcard/New Folder');
  assert.deepEqual(phone.execs.at(-1), ['mkdir', '-p', '/sdcard/New Folder']);
  assert.ok((await files.list('s', '/sdcard')).some((e) => e.name === 'New Folder'));
  await assert.rejects(files.mkdir('s', '/system/x'), (err: unknown) => err instanceof DeviceFileError && err.code === 'EROFS');
  assert.equal(checkName('a/b'), 'A name cannot contain "/".');
  assert.equal(checkName('..'), '".." is not a name a folder can have.');
  assert.equal(checkName(''), 'Enter a name.');
  assert.equal(checkName('models v2'), undefined);
});

test('toybox ls -l lines and error texts', () => {
  assert.deepEqual(parseLsLong('lrw-r--r--   1 root root       21 2009-01-01 00:00 sdcard -> /storage/self/primary'), { mode: 'lrw-r--r--', owner: 'root', group: 'root', size: 21, date: '2009-01-01 00:00', name: 'sdcard', linkTarget: '/storage/self/primary' });
  assert.deepEqual(parseLsLong('-rw-rw---- 1 u0_a55 media_rw 1234 2024-03-17 16:13 my file.txt'), { mode: '-rw-rw----', owner: 'u0_a55', group: 'media_rw', size: 1234, date: '2024-03-17 16:13', name: 'my file.txt' });
  assert.equal(parseLsLong('crw-rw-rw-  1 root root   1,   3 2024-03-17 16:13 null')?.name, 'null');
  assert.equal(parseLsLong('total 24'), undefined);
  assert.equal(errnoFromText('ls: /data: Permission denied'), 'EACCES');
  assert.equal(errnoFromText("mkdir: '/system/x': Read-only file system"), 'EROFS');
  assert.equal(errnoFromText('rm: /x: No such file or directory'), 'ENOENT');
});
