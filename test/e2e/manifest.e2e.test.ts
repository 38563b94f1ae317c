import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
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

const ROOT = path.resolve(__dirname, '..', '..');
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
    await wb.waitForLog(/manifest: language server started/, 30000);
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
    await wb.waitForLog(/deployed 1 file\(s\)/, 30000);
    const onPhone = execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, 'shell', 'ls', '/data/local/tmp/from-manifest'], { encoding: 'utf8' });
    assert.match(onPhone, /mnist\.onnx/);
  });
});

test('the sample manifest follows the phone on a non-default port: Deploy via match:, a missing phone is a warning with "Select a phone…"', async (t) => {
  await wb.step(t.name, async () => {
    // The sample's target names the virtual phone by `match: { model: Virtual Phone }`; this phone's port is a free
    // one, never the sample's 6520.
    assert.doesNotMatch(wb.phoneSerial, /:6520$/);
    const sample = await readFile(path.join(ROOT, 'samples', 'workspace', 'mobileai.yaml'), 'utf8');
    await writeFile(path.join(wb.workspace, 'mobileai.yaml'), sample);
    await wb.page.locator('.monaco-editor .view-lines', { hasText: 'match: { model: Virtual Phone }' }).first().waitFor({ timeout: 20000 });
    const lens = wb.page.locator('.codelens-decoration a', { hasText: 'Deploy' }).first();
    await lens.waitFor({ timeout: 20000 });
    assert.equal(await wb.page.locator('.codelens-decoration a', { hasText: 'Select a phone' }).count(), 0, 'the phone is found: no "Select a phone…"');
    // Only what this Deploy logs (the test before deployed the same model with its own manifest).
    const before = (await wb.outputChannel()).length;
    await lens.click();
    const newLog = async () => (await wb.outputChannel()).slice(before);
    await waitUntil('the deploy via match:', async () => /deployed 1 file\(s\)/.test(await newLog()) || undefined, 30000);
    const log = await newLog();
    assert.match(log, new RegExp(`deploy mnist\\.onnx → ${wb.phoneSerial.replace(/\./g, '\\.')}:/data/local/tmp/mobileai/models \\(mobileai\\.yaml's deploy settings for "mnist"\\)`));
    const onPhone = execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, 'shell', 'ls', '/data/local/tmp/mobileai/models'], { encoding: 'utf8' });
    assert.match(onPhone, /mnist\.onnx/);
    const toast = await waitUntil('the deploy report', async () => (await wb.notifications()).find((n) => /Deployed mnist\.onnx/.test(n)));
    assert.match(toast, /Used mobileai\.yaml's deploy settings for "mnist"\./);
    assert.equal(existsSync(path.join(wb.workspace, '.vscode', 'settings.json')), false, 'Deploy wrote no settings');

    // The same target with a serial that is not connected: a warning, and lenses that offer a way forward.
    await writeFile(path.join(wb.workspace, 'mobileai.yaml'), sample.replace(/match: \{ model: Virtual Phone \}/, 'serial: 127.0.0.1:1'));
    const warning = await waitUntil('the not-connected warning in Problems', async () => {
      const rows = await wb.page.locator('.markers-panel .monaco-list-row').allInnerTexts();
      return rows.find((r) => /"127\.0\.0\.1:1" is not connected\. Connected: Virtual Phone/.test(r));
    }, 30000);
    assert.ok(warning.includes(wb.phoneSerial), warning);
    const select = wb.page.locator('.codelens-decoration a', { hasText: 'Select a phone' }).first();
    await select.waitFor({ timeout: 20000 });
    assert.ok(await wb.page.locator('.codelens-decoration a', { hasText: 'Start Virtual Phone' }).count() >= 1);
    await select.click();
    const pick = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'match: { model: "Virtual Phone" }' }).first();
    await pick.waitFor({ timeout: 15000 });
    await pick.click();
    await wb.page.locator('.monaco-editor .view-lines', { hasText: 'match: { model: "Virtual Phone" }' }).first().waitFor({ timeout: 20000 });
    await waitUntil('the warning gone', async () => ((await wb.page.locator('.markers-panel .monaco-list-row', { hasText: 'is not connected' }).count()) === 0 ? true : undefined), 20000);
    // The edit is the user's to keep: the file on disk is unchanged until they save.
    assert.match(await readFile(path.join(wb.workspace, 'mobileai.yaml'), 'utf8'), /serial: 127\.0\.0\.1:1/);
  });
});
