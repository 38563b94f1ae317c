import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, readdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Sandbox, SandboxError } from '../../extension/core/virtualPhone/sandbox';

test('device paths never resolve outside the sandbox', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-sandbox-'));
  try {
    const root = path.join(dir, 'fs');
    const sb = new Sandbox(root);
    await sb.init();
    for (const hostile of ['../../../../etc/passwd', '/../../etc/passwd', '..', 'a/../../..', '/sdcard/../../../x', `${dir}/outside`]) {
      const host = await sb.hostPath(hostile, '/data/local/tmp');
      assert.ok(host === root || host.startsWith(root + path.sep), `${hostile} → ${host}`);
    }
    // A symlink planted inside (by a bug or a hostile actor) cannot be followed out.
    await symlink(dir, path.join(root, 'sdcard', 'escape'));
    await assert.rejects(sb.hostPath('/sdcard/escape/outside.txt'), SandboxError);
    await assert.rejects(sb.writeFile('/sdcard/escape/outside.txt', 'x'), SandboxError);
    assert.deepEqual((await readdir(dir)).sort(), ['fs']);
    assert.throws(() => Sandbox.normalize('a\0b'), SandboxError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
