import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, readdir, readFile, writeFile, realpath, lstat, mkdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Sandbox, SandboxError, type FsAccess } from '../../extension/core/virtualPhone/sandbox';

async function withSandbox(fn: (sb: Sandbox, root: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-sandbox-'));
  try {
    const sb = new Sandbox(path.join(dir, 'fs'));
    await sb.init({ commands: ['ls', 'cat'], toybox: ['ls', 'cat'] });
    await fn(sb, await realpath(path.join(dir, 'fs')), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The host object a returned path names is inside the root: its folder really (realpath) is, and so is it unless it is a link. */
async function assertInside(root: string, host: string, what: string): Promise<void> {
  assert.ok(host === root || host.startsWith(root + path.sep), `${what} → ${host} is not under the root`);
  if (host === root) return;
  let probe = path.dirname(host);
  for (;;) {
    try {
      const real = await realpath(probe);
      assert.ok(real === root || real.startsWith(root + path.sep), `${what}: ${probe} is really ${real}`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      probe = path.dirname(probe);
    }
  }
  const st = await lstat(host).catch(() => undefined);
  if (st && !st.isSymbolicLink()) {
    const real = await realpath(host);
    assert.ok(real === root || real.startsWith(root + path.sep), `${what}: ${host} is really ${real}`);
  }
}

test('device paths never resolve outside the sandbox', async () => {
  await withSandbox(async (sb, root, dir) => {
    for (const hostile of ['../../../../etc/passwd', '/../../etc/passwd', '..', 'a/../../..', '/sdcard/../../../x', `${dir}/outside`]) {
      const host = await sb.hostPath(hostile, '/data/local/tmp');
      assert.ok(host === root || host.startsWith(root + path.sep), `${hostile} → ${host}`);
    }
    // A symlink planted inside by something else (pointing at a host path) is read in the phone's namespace:
    // the host's folder is not reached, and a write through it lands inside the phone.
    await symlink(dir, path.join(root, 'storage', 'emulated', '0', 'escape'));
    const through = await sb.hostPath('/sdcard/escape/outside.txt');
    assert.equal(through, path.join(root, dir, 'outside.txt'));
    await sb.writeFile('/sdcard/escape/outside.txt', 'x');
    assert.deepEqual((await readdir(dir)).sort(), ['fs']);
    assert.equal(await readFile(path.join(root, dir, 'outside.txt'), 'utf8'), 'x');
    assert.throws(() => Sandbox.normalize('a\0b'), SandboxError);
    await assert.rejects(sb.resolve('a\0b', '/', 'read'), (e: SandboxError) => e.code === 'EINVAL');
  });
});

test('a link the phone makes to /etc/passwd means the phone\'s /etc/passwd, and the host never follows it', async () => {
  await withSandbox(async (sb, root) => {
    await sb.symlink('/etc/passwd', '/data/local/tmp/pw');
    await sb.symlink('../../../../../../../../etc/passwd', '/data/local/tmp/rel');
    assert.equal(await sb.readlink('/data/local/tmp/pw'), '/etc/passwd');
    // Followed, both name the phone's /system/etc/passwd, which does not exist.
    await assert.rejects(sb.info('/data/local/tmp/pw'), (e: SandboxError) => e.code === 'ENOENT');
    await assert.rejects(sb.resolve('/data/local/tmp/rel', '/', 'read'), (e: SandboxError) => e.code === 'ENOENT');
    assert.equal(await sb.hostPath('/data/local/tmp/pw'), path.join(root, 'system/etc/passwd'));
    // Even the host's own open of the stored link cannot reach the host's /etc/passwd.
    await assert.rejects(readFile(path.join(root, 'data/local/tmp/pw')), { code: 'ENOENT' });
    // And the phone's own /etc (a link to /system/etc) is what a link there reaches.
    await sb.symlink('/etc/hosts', '/data/local/tmp/hosts');
    assert.match((await sb.readFile('/data/local/tmp/hosts', { uid: 2000 })).toString(), /localhost/);
  });
});

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

test('property: 2,000 random paths over random link layouts never leave the root (checked with realpath)', async () => {
  await withSandbox(async (sb, root, dir) => {
    // A canary folder outside the sandbox: nothing may change in it.
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret'), 'canary');
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const base = '/data/local/tmp/p';
    await sb.mkdir(base, { uid: 2000, mode: 0o775 });
    for (const d of ['a', 'b', 'a/c', 'b/d']) await sb.mkdir(`${base}/${d}`, { uid: 2000, mode: 0o775 });
    const names = ['a', 'b', 'c', 'd', 'l0', 'l1', 'l2', 'l3', 'l4', 'f', '..', '.', 'x', 'etc', 'passwd', 'tmp', 'sdcard', 'outside', dir.slice(1)];
    const targets = [
      '/', '..', '../..', '../../../../../../../..', '/etc/passwd', outside, `${outside}/secret`, dir, 'l0', 'l1', '../l2', './a/../b', 'a/c/../../l3',
      '/data/local/tmp/p/l4', '/sdcard', '/proc/self', '.', 'a/', path.relative(path.join(root, 'data/local/tmp/p'), outside),
    ];
    // Links the phone makes, and links planted from outside straight into the host folder (the worst case).
    for (const [i, t] of targets.entries()) {
      const where = `${base}/${pick(rnd, ['', 'a/', 'b/', 'a/c/'])}l${i % 5}`;
      await sb.unlink(where, { uid: 2000 }).catch(() => undefined);
      await sb.symlink(t, where, { uid: 2000 }).catch(() => undefined);
    }
    for (const [i, t] of [outside, `${outside}/secret`, '../../../../../../../../../..', path.relative(path.join(root, 'data/local/tmp/p/b'), outside)].entries()) {
      await symlink(t, path.join(root, `data/local/tmp/p/b/planted${i}`));
    }
    names.push('planted0', 'planted1', 'planted2', 'planted3');
    const accesses: FsAccess[] = ['none', 'read', 'write', 'create', 'list', 'exec', 'delete'];
    let resolved = 0;
    for (let i = 0; i < 2000; i++) {
      const n = 1 + Math.floor(rnd() * 7);
      const parts = Array.from({ length: n }, () => pick(rnd, names));
      const abs = rnd() < 0.5;
      const p = `${abs ? '/' : ''}${parts.join('/')}${rnd() < 0.1 ? '/' : ''}`;
      const cwd = pick(rnd, [base, `${base}/a/c`, '/', '/sdcard']);
      const uid = rnd() < 0.3 ? 0 : 2000;
      const what = `${p} (cwd ${cwd}, uid ${uid})`;
      const op = Math.floor(rnd() * 10);
      try {
        if (op <= 3) {
          await assertInside(root, await sb.resolve(p, cwd, pick(rnd, accesses), uid), what);
          resolved++;
        } else if (op <= 5) {
          await assertInside(root, await sb.hostPath(p, cwd), what);
          resolved++;
        } else if (op === 6) {
          const info = await sb.info(p, cwd, rnd() < 0.5, uid);
          assert.ok(info.path?.startsWith('/'));
        } else if (op === 7) {
          await sb.list(p, cwd, uid);
        } else if (op === 8) {
          await sb.writeFile(p, `w${i}`, 0o644, rnd() < 0.5 ? { uid, cwd } : { cwd });
        } else {
          await sb.symlink(pick(rnd, targets), p, { uid, cwd });
        }
      } catch (err) {
        assert.ok(err instanceof SandboxError, `${what}: ${String(err)}`);
      }
    }
    assert.ok(resolved > 400, `enough paths resolved (${resolved})`);
    assert.deepEqual((await readdir(outside)).sort(), ['secret']);
    assert.equal(await readFile(path.join(outside, 'secret'), 'utf8'), 'canary');
    assert.deepEqual((await readdir(dir)).sort(), ['fs', 'outside']);
  });
});
