import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Workbench, waitUntil } from './harness';

const manifest = (serial: string) => `version: 1
targets:
  vphone:
    serial: ${serial}
models:
  mnist:
    path: models/mnist.onnx
    target: vphoen
    deploy:
      to: /data/local/tmp/from-manifest
`;

let wb: Workbench;
before(async () => {
  // The workspace's mobileai.yaml (replacing the sample's) is there when the workbench starts.
  wb = await Workbench.open({ prepare: (ws, serial) => writeFile(path.join(ws, 'mobileai.yaml'), manifest(serial)) });
});
after(async () => {
  await wb?.close();
});

test('mobileai.yaml: a mistake shows in the Problems panel, completion offers the phone, a code lens deploys', async (t) => {
  await wb.step(t.name, async () => {
    await wb.openActivity('Explorer');
    const row = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'mobileai.yaml' }).first();
    await row.waitFor({ timeout: 20000 });
    await row.dblclick();
    await wb.page.locator('.monaco-editor .view-lines', { hasText: 'targets' }).first().waitFor({ timeout: 20000 });
    // The Problems panel, opened from the status bar's problem counts.
    await waitUntil('the language server to report', async () => /manifest: language server started/.test(await wb.outputChannel()), 30000);
    await wb.page.locator('[id="status.problems"]').first().click();
    const problems = await waitUntil('the unknown target in Problems', async () => {
      const rows = await wb.page.locator('.markers-panel .monaco-list-row').allInnerTexts();
      return rows.some((r) => /Unknown target "vphoen": did you mean "vphone"\?/.test(r)) ? rows : undefined;
    }, 30000);
    assert.ok(problems.some((r) => /\[Ln 8, Col 13\]/.test(r.replace(/\s+/g, ' '))), `at line 8, column 13: ${problems.join(' | ')}`);
    // Fix it by hand, then completion on an empty serial offers the connected phone.
    const editor = wb.page.locator('.monaco-editor textarea').first();
    await editor.focus();
    await wb.page.keyboard.press('Control+Home');
    for (let i = 0; i < 7; i++) await wb.page.keyboard.press('ArrowDown');
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('Backspace');
    await wb.page.keyboard.press('Backspace');
    await wb.page.keyboard.type('ne');
    await waitUntil('no problems left', async () => (await wb.page.locator('.markers-panel .monaco-list-row').count()) === 0, 20000);
    await wb.page.keyboard.press('Control+Home');
    await wb.page.keyboard.press('ArrowDown');
    await wb.page.keyboard.press('ArrowDown');
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.type('  phone2:\n    serial: ');
    await wb.page.keyboard.press('Control+Space');
    const suggestions = await waitUntil('the phone in the suggestions', async () => {
      const rows = await wb.page.locator('.suggest-widget .monaco-list-row').allInnerTexts();
      return rows.some((r) => r.includes(wb.phoneSerial)) ? rows : undefined;
    }, 20000);
    assert.ok(suggestions.length >= 1);
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.type('x');
    await wb.page.keyboard.press('Control+S');
    // The code lens above the model runs Deploy with the manifest's profile on the target's phone.
    const lens = wb.page.locator('.codelens-decoration a', { hasText: 'Deploy' }).first();
    await lens.waitFor({ timeout: 20000 });
    await lens.click();
    await waitUntil('the deploy to be logged', async () => /deployed 1 file\(s\)/.test(await wb.outputChannel()), 30000);
    const onPhone = execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, 'shell', 'ls', '/data/local/tmp/from-manifest'], { encoding: 'utf8' });
    assert.match(onPhone, /mnist\.onnx/);
  });
});
