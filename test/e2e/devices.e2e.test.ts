import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { ARTIFACTS, Workbench, waitUntil } from './harness';

let wb: Workbench;

before(async () => {
  wb = await Workbench.open();
});

after(async () => {
  await wb?.close();
});

test('the activity bar shows Mobile AI and the Devices view lists the virtual phone with its model', async (t) => {
  await wb.step(t.name, async () => {
    await wb.openActivity('Mobile AI');
    const rows = await waitUntil('the virtual phone in Devices', async () => {
      const r = await wb.treeRows('Devices');
      return r.some((x) => x.includes('Virtual Phone') && x.includes(wb.phoneSerial)) ? r : undefined;
    });
    assert.ok(rows.some((r) => r.includes('Virtual Phone')));
    const status = await wb.page.locator('.statusbar-item', { hasText: 'Virtual Phone' }).count();
    assert.ok(status >= 1, 'the status bar shows the selected device');
  });
});

test('"Mobile AI: Take Screenshot" from the palette writes a PNG of the phone\'s screen into the workspace', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Take Screenshot');
    const dir = path.join(wb.workspace, 'screenshots');
    const file = await waitUntil('a screenshot file', async () => (await readdir(dir).catch(() => [])).find((f) => f.endsWith('.png')));
    const meta = await sharp(await readFile(path.join(dir, file))).metadata();
    assert.equal(meta.format, 'png');
    assert.deepEqual([meta.width, meta.height], [720, 1600]);
    const log = await wb.outputChannel();
    assert.match(log, /exec-out: screencap -p/, 'the output channel logs the adb command');
  });
});

test('activation time is measured by the extension host and reported', async (t) => {
  await wb.step(t.name, async () => {
    const log = await waitUntil('the activation line', async () => {
      const l = await wb.outputChannel();
      return /activated in [\d.]+ ms/.test(l) ? l : undefined;
    });
    const body = Number(/activated in ([\d.]+) ms/.exec(log)?.[1]);
    const host = await wb.activationTimeMs('Mobile AI Studio');
    assert.ok(Number.isFinite(host) && host > 0, `the extension host reports an activation time (${host})`);
    t.diagnostic(`activation (extension host, code loading + activate): ${host} ms; activate() body: ${body.toFixed(1)} ms`);
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(path.join(ARTIFACTS, 'activation.json'), JSON.stringify({ extensionHostActivationMs: host, activateBodyMs: body, targetMs: 150, measuredAt: new Date().toISOString() }, null, 2));
  });
});

test('"Mobile AI: Start Virtual Phone" runs a second phone in the editor, connected to adb; Stop removes it', async (t) => {
  await wb.step(t.name, async () => {
    await wb.openActivity('Mobile AI');
    const phones = async () => (await wb.treeRows('Devices')).filter((r) => r.includes('Virtual Phone') || /127\.0\.0\.1:\d+/.test(r));
    assert.equal((await phones()).length, 1);
    await wb.runCommand('Mobile AI: Start Virtual Phone');
    const rows = await waitUntil('two phones in Devices', async () => ((await phones()).length === 2 ? phones() : undefined));
    assert.ok(rows.some((r) => !r.includes(wb.phoneSerial)), 'the new phone has its own address');
    await wb.runCommand('Mobile AI: Stop Virtual Phone');
    await waitUntil('one phone again', async () => ((await phones()).length === 1 ? true : undefined));
  });
});
