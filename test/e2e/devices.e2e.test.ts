import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
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
    // The output channel logs the adb command.
    await wb.waitForLog(/exec-out: screencap -p/);
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

test('the phone\'s row shows its whole name with one inline action; the rest are in its context menu; Start Virtual Phone is not offered while one is connected', async (t) => {
  await wb.step(t.name, async () => {
    await wb.openActivity('Mobile AI');
    const pane = wb.page.locator('.pane').filter({ has: wb.page.locator('.pane-header[aria-label*="Devices"]') });
    const row = pane.locator('.monaco-list-row', { hasText: wb.phoneSerial }).first();
    await row.waitFor({ timeout: 20000 });
    await row.hover();
    // The inline actions show on hover: one (the screen), so the name keeps its room.
    const inline = row.locator('.actions .action-item');
    await waitUntil('the inline action', async () => ((await inline.count()) >= 1 ? true : undefined));
    assert.equal(await inline.count(), 1, `inline actions: ${await row.locator('.actions').innerHTML()}`);
    const name = row.locator('.label-name').first();
    assert.equal((await name.innerText()).trim(), 'Virtual Phone');
    const cut = await name.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const room = (el.closest('.monaco-icon-label-container') ?? el.parentElement!).getBoundingClientRect();
      return { nameRight: box.right, roomRight: room.right, overflow: el.scrollWidth > el.clientWidth + 1 };
    });
    assert.ok(!cut.overflow && cut.nameRight <= cut.roomRight + 1, `the name is not cut: ${JSON.stringify(cut)}`);
    // The other actions: the context menu.
    await row.click({ button: 'right' });
    const menu = wb.page.locator('.context-view .monaco-menu');
    await menu.waitFor({ timeout: 10000 });
    const items = await menu.innerText();
    for (const a of ['Show Phone Screen', 'Deploy to Phone', 'Take Screenshot', 'Open ADB Shell', 'Show Device Details', 'Disconnect Device']) assert.ok(items.includes(a), `"${a}" in the context menu: ${items}`);
    await wb.page.keyboard.press('Escape');
    // A virtual phone is connected: the view's title offers no Start.
    const title = pane.locator('.pane-header');
    await title.hover();
    assert.equal(await title.locator('.action-item a[aria-label*="Start Virtual Phone"]').count(), 0, await title.locator('.actions').innerHTML());
  });
});

test('"Show Device Details" opens a read-only document: typing changes nothing, closing asks nothing', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Show Device Details');
    const tab = wb.page.locator('.tabs-container .tab', { hasText: `Virtual Phone (${wb.phoneSerial}).json` }).first();
    await tab.waitFor({ timeout: 20000 });
    const view = wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    // The editor renders spaces as no-break spaces.
    const text = async () => (await view.innerText()).replace(/\u00a0/g, ' ');
    await waitUntil('the details', async () => (/"serial": "127\.0\.0\.1:\d+"/.test(await text()) ? true : undefined));
    assert.match(await text(), /"model": "Virtual Phone"/);
    const before = await text();
    await wb.page.locator('.editor-group-container.active .monaco-editor textarea').first().focus();
    await wb.page.keyboard.type('typed');
    await wb.page.keyboard.press('Enter');
    await wb.page.waitForTimeout(500);
    assert.equal(await text(), before, 'the document did not change');
    assert.equal(await tab.evaluate((el) => el.classList.contains('dirty')), false);
    await wb.page.keyboard.press('Control+w');
    await waitUntil('the tab closed', async () => ((await tab.count()) === 0 ? true : undefined), 10000);
    assert.equal(await wb.page.locator('.monaco-dialog-box').count(), 0, 'no "Save?" dialog');
  });
});

test('Deploy from the phone\'s row uses the manifest\'s deploy settings for the model, says so, and writes no settings', async (t) => {
  await wb.step(t.name, async () => {
    await wb.openActivity('Mobile AI');
    const pane = wb.page.locator('.pane').filter({ has: wb.page.locator('.pane-header[aria-label*="Devices"]') });
    const row = pane.locator('.monaco-list-row', { hasText: wb.phoneSerial }).first();
    await row.click({ button: 'right' });
    const menu = wb.page.locator('.context-view .monaco-menu');
    await menu.waitFor({ timeout: 10000 });
    // The menu is used with the keyboard, as it is meant to be (a synthetic click on its item does not run it).
    for (let i = 0; i < 20 && !(await menu.locator('.action-item.focused').innerText({ timeout: 500 }).catch(() => '')).includes('Deploy to Phone'); i++) await wb.page.keyboard.press('ArrowDown');
    await wb.page.keyboard.press('Enter');
    const pick = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'mnist' }).first();
    await pick.waitFor({ timeout: 15000 });
    assert.match(await pick.innerText(), /models\/mnist\.onnx → \/data\/local\/tmp\/mobileai\/models/);
    const others = await wb.page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
    assert.ok(others.some((r) => r.includes('Choose Files…')), `a way to choose otherwise: ${others.join(' | ')}`);
    await pick.click();
    const toast = await waitUntil('the deploy report', async () => (await wb.notifications()).find((n) => /Deployed mnist\.onnx/.test(n)), 30000);
    assert.match(toast, /\/data\/local\/tmp\/mobileai\/models\/mnist\.onnx/);
    assert.match(toast, /Used mobileai\.yaml's deploy settings for "mnist"\./);
    assert.equal(existsSync(path.join(wb.workspace, '.vscode', 'settings.json')), false, 'no settings written without "Remember"');
  });
});

test('the Get Started walkthrough opens with its steps; the phone step is done', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Open Get Started Walkthrough');
    const page = wb.page.locator('.gettingStartedContainer').first();
    await page.locator('text=Get Started with Mobile AI Studio').first().waitFor({ timeout: 20000 });
    const steps = page.locator('button.getting-started-step');
    await waitUntil('the steps', async () => ((await steps.count()) >= 8 ? true : undefined));
    const titles = (await steps.allInnerTexts()).map((s) => s.split('\n')[0].trim());
    for (const s of ['Connect or start a phone', 'See its screen', 'Open a model', 'Profile it', 'Quantize it', 'Search an architecture', 'Deploy to the phone', 'Run an agent']) {
      assert.ok(titles.some((x) => x.startsWith(s)), `step "${s}" in ${JSON.stringify(titles)}`);
    }
    const connect = steps.filter({ hasText: 'Connect or start a phone' }).first();
    await waitUntil('the phone step done', async () => ((await connect.getAttribute('aria-checked')) === 'true' ? true : undefined), 10000);
    // Its page (markdown from media/walkthrough/) and its buttons.
    await connect.click();
    await page.locator('button, a', { hasText: 'Start Virtual Phone' }).first().waitFor({ timeout: 10000 });
  });
});
