/**
 * The model editor's inputs form (issue 13, item 1), as a user meets it: silero VAD's `sequence` dim has no
 * value, so the form marks it and Profile asks for it; the shape typed in the form is remembered for the
 * model, the MACs are counted at it, and Profile then runs without asking.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { copyFile, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { ARTIFACTS, Workbench, waitUntil } from './harness';

const SHARED = path.join(__dirname, '..', '..', '..', 'shared', 'data', 'models');
let wb: Workbench;

before(async () => {
  wb = await Workbench.open({
    prepare: async (workspace) => {
      await mkdir(path.join(workspace, 'vad'), { recursive: true });
      await copyFile(path.join(SHARED, 'silero_vad_16k_op15.onnx'), path.join(workspace, 'vad', 'silero_vad.onnx'));
    },
  });
});

after(async () => {
  await wb?.close();
});

const hasElement = (selector: string) => async (f: Frame) => (await f.$(selector).catch(() => null)) !== null;

async function openModel(t: { diagnostic(m: string): void }): Promise<Frame> {
  await wb.openActivity('Explorer');
  const file = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'silero_vad.onnx' }).first();
  if (!(await file.isVisible().catch(() => false))) await wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'vad' }).first().click();
  await file.waitFor({ timeout: 15000 });
  await file.dblclick();
  try {
    return await wb.webviewFrame(hasElement('#inputs-form'), 30000);
  } catch (err) {
    t.diagnostic(`the model editor did not render on the first open; reopening. ${(err as Error).message}`);
    await wb.runCommand('View: Close All Editors');
    await file.dblclick();
    return wb.webviewFrame(hasElement('#inputs-form'), 45000);
  }
}

test('the form is pre-filled from the model: sr by convention, the batch by convention, sequence marked as missing', async (t) => {
  await wb.step(t.name, async () => {
    const frame = await openModel(t);
    const form = await frame.locator('#inputs-form').innerText();
    assert.match(form, /input\s+float32\s+\[batch, sequence\]/);
    assert.match(form, /dim 1 needs a value/);
    assert.equal(await frame.locator('.shape[data-input="input"] input').inputValue(), '1x?');
    assert.equal(await frame.locator('.shape[data-input="state"] input').inputValue(), '2x1x128');
    assert.equal(await frame.locator('.value[data-input="sr"] input').inputValue(), '16000');
    assert.match(form, /sr = 16000 \(sample-rate convention/);
  });
});

test('a shape typed in the form is remembered, MACs are counted at it, and Profile runs without asking', async (t) => {
  await wb.step(t.name, async () => {
    let frame = await wb.webviewFrame(hasElement('#inputs-form'));
    await frame.locator('.shape[data-input="input"] input').fill('1x512');
    await frame.locator('#inputs-apply').click();
    frame = await waitUntil('the summary redone at 1x512', async () => {
      const f = await wb.webviewFrame(hasElement('#inputs-form'));
      return /at input \[1, 512\]/.test(await f.locator('#macs').innerText()) ? f : undefined;
    });
    assert.match(await frame.locator('#summary').innerText(), /Your shapes and values for this model/);
    await mkdir(ARTIFACTS, { recursive: true });
    await wb.page.screenshot({ path: path.join(ARTIFACTS, 'model-inputs-form.png') });
    await frame.locator('#profile-host').click();
    const pick = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'all' }).first();
    await pick.waitFor({ timeout: 10000 });
    await pick.click();
    const profile = await wb.webviewFrame(hasElement('#node-table'), 60000);
    assert.equal(await profile.locator('#profile-inputs').innerText(), 'measured at input 1×512, state 2×1×128, sr scalar = 16000');
    await wb.waitForLog(/inputs set to \{"shapes":\{"input":\[1,512\]\}\}/);
  });
});

test('after Reset, Profile asks for the missing dim (pre-filled), and remembers the answer', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('View: Close All Editors');
    let frame = await openModel(t);
    await frame.locator('#inputs-reset').click();
    frame = await waitUntil('the form back to the model', async () => {
      const f = await wb.webviewFrame(hasElement('#inputs-form'));
      return (await f.locator('.shape[data-input="input"] input').inputValue()) === '1x?' ? f : undefined;
    });
    await frame.locator('#profile-host').click();
    const pick = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'all' }).first();
    await pick.waitFor({ timeout: 10000 });
    await pick.click();
    const box = wb.page.locator('.quick-input-widget input');
    await waitUntil('the input box asks for the shape of "input"', async () => /the shape of input "input"/.test(await wb.page.locator('.quick-input-widget').innerText().catch(() => '')));
    assert.match(await box.inputValue(), /^1x\d+$/);
    await box.fill('1x256');
    await wb.page.keyboard.press('Enter');
    await wb.webviewFrame(hasElement('#node-table'), 60000);
    await wb.runCommand('View: Close All Editors');
    frame = await openModel(t);
    assert.equal(await frame.locator('.shape[data-input="input"] input').inputValue(), '1x256');
  });
});
