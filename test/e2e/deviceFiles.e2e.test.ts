/**
 * The Device Files view in the real workbench, on the virtual phone: browse from `/` and the shortcuts, a
 * folder the shell user cannot open, push (command and drag and drop), open read-only, pull, new folder,
 * delete with confirmation. What the view did is checked on the phone with the real adb CLI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { Workbench, waitUntil } from './harness';

let wb: Workbench;
const adb = (...args: string[]) => execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, ...args], { encoding: 'utf8' });
const NOTE = 'Shopping list\nmilk\neggs\n';

before(async () => {
  wb = await Workbench.open({
    prepare: async (workspace) => {
      await writeFile(path.join(workspace, 'shopping.txt'), NOTE);
      await writeFile(path.join(workspace, 'dragged.txt'), 'dropped from the Explorer\n');
    },
  });
});
after(async () => {
  await wb?.close();
});

const pane = () => wb.page.locator('.pane').filter({ has: wb.page.locator('.pane-header[aria-label*="Device Files"]') });
/** A row of the Device Files tree by its label (the first word of the row's text). */
const row = (label: string): Locator => pane().locator('.monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`) }) }).first();

async function expand(label: string): Promise<void> {
  const r = row(label);
  await r.waitFor({ timeout: 30000 });
  if ((await r.getAttribute('aria-expanded')) !== 'true') await r.locator('.monaco-tl-twistie').click();
  await waitUntil(`${label} expanded`, async () => (await r.getAttribute('aria-expanded')) === 'true');
}

async function collapse(label: string): Promise<void> {
  const r = row(label);
  if ((await r.getAttribute('aria-expanded').catch(() => null)) === 'true') await r.locator('.monaco-tl-twistie').click();
}

/** Chooses an item of a row's context menu with the keyboard, as the menu is meant to be used. */
async function contextMenu(r: Locator, item: string): Promise<void> {
  await r.click({ button: 'right' });
  const menu = wb.page.locator('.context-view .monaco-menu');
  await menu.waitFor({ timeout: 10000 });
  for (let i = 0; i < 20; i++) {
    await wb.page.keyboard.press('ArrowDown');
    const focused = await menu.locator('.action-item.focused').innerText().catch(() => '');
    if (focused.includes(item)) {
      await wb.page.keyboard.press('Enter');
      return;
    }
  }
  throw new Error(`no "${item}" in the context menu: ${await menu.innerText()}`);
}

test('Device Files shows the phone from / with the /sdcard and /data/local/tmp shortcuts; /data says Permission denied', async (t) => {
  await wb.step(t.name, async () => {
    await wb.openActivity('Mobile AI');
    await waitUntil('the phone in Device Files', async () => (await wb.treeRows('Device Files')).some((r) => r.includes(wb.phoneSerial)), 60000);
    for (const shortcut of ['/', '/sdcard', '/data/local/tmp']) assert.equal(await row(shortcut).count(), 1, `${shortcut} in ${JSON.stringify(await wb.treeRows('Device Files'))}`);
    await expand('/');
    try {
      await waitUntil('the root folder\'s entries', async () => (await row('system').count()) > 0 && (await row('sdcard').count()) > 0);
      await expand('data');
      const denied = await waitUntil('the /data row to say why it is not listed', async () => {
        const r = await wb.treeRows('Device Files');
        return r.find((x) => x.includes('Permission denied'));
      });
      assert.match(denied, /Permission denied/);
    } finally {
      await collapse('/');
    }
  });
});

test('push by command into /data/local/tmp, open it read-only, pull it back', async (t) => {
  await wb.step(t.name, async () => {
    await row('/data/local/tmp').click();
    await wb.runCommand('Mobile AI: Push to Phone…');
    await wb.answerFileDialog(path.join(wb.workspace, 'shopping.txt'));
    await waitUntil('the file on the phone', async () => adb('shell', 'ls', '/data/local/tmp').includes('shopping.txt'), 20000);
    assert.equal(adb('shell', 'cat', '/data/local/tmp/shopping.txt'), NOTE);
    await expand('/data/local/tmp');
    await row('shopping.txt').waitFor({ timeout: 15000 });
    // Open: a read-only editor with the phone's bytes.
    await row('shopping.txt').click();
    const tab = wb.page.locator('.tabs-container .tab', { hasText: 'shopping.txt' });
    await tab.waitFor({ timeout: 15000 });
    const editor = wb.page.locator('.editor-instance .monaco-editor').first();
    await waitUntil('the file\'s text in the editor', async () => (await editor.locator('.view-lines').innerText()).includes('milk'));
    await editor.locator('.view-lines').click();
    await wb.page.keyboard.type('typed');
    await waitUntil('the read-only notice', async () => (await wb.page.locator('.monaco-editor-overlaymessage, .message').allInnerTexts()).some((m) => /read-only/i.test(m)), 10000);
    assert.ok(!(await editor.locator('.view-lines').innerText()).includes('typed'), 'typing does not change the file');
    // Pull: the save dialog, then a new file in the workspace with the same bytes.
    await contextMenu(row('shopping.txt'), 'Pull from Phone…');
    const target = path.join(wb.workspace, 'pulled', 'shopping-from-phone.txt');
    await wb.page.waitForTimeout(300);
    execFileSync('mkdir', ['-p', path.dirname(target)]);
    await wb.answerFileDialog(target);
    await waitUntil('the pulled file', async () => (await readFile(target, 'utf8').catch(() => '')) === NOTE, 20000);
  });
});

test('drag a file from the Explorer onto a phone folder pushes it there', async (t) => {
  await wb.step(t.name, async () => {
    await wb.openActivity('Explorer');
    const source = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'dragged.txt' }).first();
    await source.waitFor({ timeout: 15000 });
    const from = (await source.boundingBox())!;
    await wb.page.mouse.move(from.x + 20, from.y + from.height / 2);
    await wb.page.mouse.down();
    // Hovering a view container's icon while dragging opens it (as a user drags across containers): keep the
    // pointer moving over the icon until the side bar shows Mobile AI (VS Code opens it after a hover delay).
    const icon = wb.page.locator('.activitybar .action-item a[aria-label^="Mobile AI"]');
    const ib = (await icon.boundingBox())!;
    const sidebar = wb.page.locator('.part.sidebar .composite.title h2', { hasText: /^Mobile AI/i });
    let nudge = 0;
    await waitUntil('the Mobile AI side bar to open under the drag', async () => {
      await wb.page.mouse.move(ib.x + ib.width / 2 + (nudge++ % 2), ib.y + ib.height / 2, { steps: 2 });
      return sidebar.isVisible();
    }, 15000);
    const dest = row('/data/local/tmp');
    await dest.waitFor({ timeout: 10000 });
    const db = (await dest.boundingBox())!;
    await wb.page.mouse.move(db.x + 40, db.y + db.height / 2, { steps: 8 });
    // Drop only once the tree has armed the folder's row as the drop target.
    await waitUntil('/data/local/tmp armed as the drop target', async () => {
      const b = await dest.boundingBox();
      if (!b) return false;
      await wb.page.mouse.move(b.x + 40 + (nudge++ % 2) * 2, b.y + b.height / 2, { steps: 2 });
      return ((await dest.getAttribute('class')) ?? '').split(/\s+/).includes('drop-target');
    }, 15000);
    await wb.page.mouse.up();
    await waitUntil('the dropped file on the phone', async () => adb('shell', 'cat', '/data/local/tmp/dragged.txt').includes('dropped from the Explorer'), 20000);
    await waitUntil('the dropped file in the tree', async () => (await row('dragged.txt').count()) > 0, 15000);
  });
});

test('new folder, then delete with a modal confirmation', async (t) => {
  await wb.step(t.name, async () => {
    await wb.openActivity('Mobile AI');
    await row('/data/local/tmp').click();
    await wb.runCommand('Mobile AI: New Folder on Phone…');
    await wb.answerInputBox(/^New folder in \/data\/local\/tmp$/, 'e2e folder');
    await waitUntil('the new folder on the phone', async () => adb('shell', 'ls', '/data/local/tmp').includes('e2e folder'), 15000);
    await expand('/data/local/tmp');
    await row('e2e folder').waitFor({ timeout: 15000 });
    await contextMenu(row('e2e folder'), 'Delete from Phone…');
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10000 });
    assert.match(await dialog.innerText(), /Delete the folder \/data\/local\/tmp\/e2e folder and everything in it/);
    await dialog.locator('.monaco-button', { hasText: 'Delete' }).click();
    await waitUntil('the folder gone from the phone', async () => !adb('shell', 'ls', '/data/local/tmp').includes('e2e folder'), 15000);
    await waitUntil('the folder gone from the tree', async () => (await row('e2e folder').count()) === 0, 15000);
    assert.ok(adb('shell', 'ls', '/data/local/tmp').includes('shopping.txt'), 'nothing else was deleted');
  });
});
