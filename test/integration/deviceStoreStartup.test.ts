/**
 * A device command run as the editor opens — the command itself activating the extension, before the device
 * tracker's first list is in — must see the phone that is connected, not say "No phone is connected". The real
 * DeviceStore and pickDevice (on the vscode stub), the real adb server (Debian's adb), the virtual phone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { installVscodeStub, type VscodeStub } from '../helpers/vscodeStub';
import { startPhoneOverAdb, type PhoneOverAdb } from '../helpers/phoneAdb';
import { startAdbServer, type TestAdbServer } from '../helpers/adbServer';
import { silentLogger } from '../../extension/core/util/log';

let stub: VscodeStub;
let pa: PhoneOverAdb;
let empty: TestAdbServer;

before(async () => {
  stub = installVscodeStub();
  pa = await startPhoneOverAdb();
  empty = await startAdbServer();
});
after(async () => {
  await pa?.stop();
  await empty?.stop();
});

async function freshStore(port: number) {
  stub.settings.set('mobileAI.adb.serverPort', port);
  const { DeviceStore } = await import('../../extension/vscode/devices/deviceStore');
  const { pickDevice } = await import('../../extension/vscode/devices/deviceCommands');
  const ctx = stub.context() as { workspaceState: import('vscode').Memento };
  const store = new DeviceStore(silentLogger, ctx.workspaceState);
  return { store, pickDevice };
}

test('a device command right after start-up waits for the first list and gets the connected phone', async () => {
  const { store, pickDevice } = await freshStore(pa.server.port);
  stub.clear();
  assert.equal(store.devices.length, 0, 'nothing listed yet');
  void store.start(); // as activate() does: not awaited
  const serial = await pickDevice(store, undefined as never, { readyOnly: true, title: 'Show the logcat of…' });
  assert.equal(serial, pa.serial);
  assert.deepEqual(stub.effects.filter((e) => e.what === 'showWarningMessage'), [], 'no "No phone is connected" warning');
  store.dispose();
});

test('with no phone at all, the command still says so (after the first list, not after a timeout)', async () => {
  const { store, pickDevice } = await freshStore(empty.port);
  stub.clear();
  void store.start();
  const t0 = Date.now();
  const serial = await pickDevice(store, undefined as never, { readyOnly: true });
  assert.equal(serial, undefined);
  const warned = stub.effects.filter((e) => e.what === 'showWarningMessage');
  assert.equal(warned.length, 1);
  assert.match(String(warned[0].args?.[0]), /No phone is connected/);
  assert.ok(Date.now() - t0 < 9000, 'answered from the first list, not the 10 s bound');
  store.dispose();
});
