import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, chmod, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveServerAddress } from '../../extension/core/adb/serverAddress';
import { AdbNotFoundError, locateAdb } from '../../extension/core/adb/locate';

test('the adb server address honours settings, then adb\'s own environment', () => {
  assert.deepEqual(resolveServerAddress({}, {}), { host: '127.0.0.1', port: 5037, local: true, source: 'default' });
  assert.equal(resolveServerAddress({}, { ANDROID_ADB_SERVER_PORT: '5099' }).port, 5099);
  assert.deepEqual(resolveServerAddress({}, { ADB_SERVER_SOCKET: 'tcp:10.0.0.5:5038', ANDROID_ADB_SERVER_PORT: '5099' }), { host: '10.0.0.5', port: 5038, local: false, source: 'ADB_SERVER_SOCKET' });
  assert.deepEqual(resolveServerAddress({}, { ADB_SERVER_SOCKET: 'tcp:5040' }), { host: '127.0.0.1', port: 5040, local: true, source: 'ADB_SERVER_SOCKET' });
  assert.equal(resolveServerAddress({}, { ANDROID_ADB_SERVER_ADDRESS: 'buildbox' }).local, false);
  assert.deepEqual(resolveServerAddress({ host: 'lab', port: 6000 }, { ADB_SERVER_SOCKET: 'tcp:5040' }), { host: 'lab', port: 6000, local: false, source: 'settings' });
  assert.throws(() => resolveServerAddress({}, { ADB_SERVER_SOCKET: 'localabstract:adb' }), /tcp:HOST:PORT/);
  assert.throws(() => resolveServerAddress({}, { ANDROID_ADB_SERVER_PORT: '99999' }), /port number/);
});

test('adb is found by setting, then ANDROID_HOME, ANDROID_SDK_ROOT, then PATH; missing adb says how to get it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-locate-'));
  try {
    const mk = async (p: string) => {
      await mkdir(path.dirname(p), { recursive: true });
      await writeFile(p, '#!/bin/sh\n');
      await chmod(p, 0o755);
      return p;
    };
    const sdkAdb = await mk(path.join(dir, 'sdk', 'platform-tools', 'adb'));
    const sdk2Adb = await mk(path.join(dir, 'sdk2', 'platform-tools', 'adb'));
    const pathAdb = await mk(path.join(dir, 'bin', 'adb'));
    await writeFile(path.join(dir, 'notexec'), 'x');
    const env = { ANDROID_HOME: path.join(dir, 'sdk'), ANDROID_SDK_ROOT: path.join(dir, 'sdk2'), PATH: path.join(dir, 'bin') };
    assert.deepEqual(await locateAdb({ env }), { path: sdkAdb, source: 'ANDROID_HOME' });
    assert.deepEqual(await locateAdb({ env: { ...env, ANDROID_HOME: path.join(dir, 'nothing') } }), { path: sdk2Adb, source: 'ANDROID_SDK_ROOT' });
    assert.deepEqual(await locateAdb({ env: { PATH: `/nonexistent:${path.join(dir, 'bin')}` } }), { path: pathAdb, source: 'PATH' });
    assert.deepEqual(await locateAdb({ configuredPath: path.join(dir, 'sdk2', 'platform-tools'), env }), { path: sdk2Adb, source: 'setting' });
    await assert.rejects(locateAdb({ configuredPath: path.join(dir, 'notexec'), env }), (e: unknown) => e instanceof AdbNotFoundError && /configured path/.test(e.message) && /apt-get install adb/.test(e.message));
    await assert.rejects(locateAdb({ env: { PATH: '/nonexistent' } }), (e: unknown) => e instanceof AdbNotFoundError && /Platform-Tools/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
