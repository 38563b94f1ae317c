import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { Workbench, waitUntil } from './harness';

let wb: Workbench;
before(async () => {
  wb = await Workbench.open();
});
after(async () => {
  await wb?.close();
});

const hasElement = (selector: string) => async (f: Frame) => (await f.$(selector).catch(() => null)) !== null;

test('a search started from the palette fills the scatter plot live and ends with the best architecture', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Search Architecture for a Latency Budget');
    const pick = async (label: string | RegExp) => {
      const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
      await row.waitFor({ timeout: 15000 });
      await row.click();
    };
    const type = async (value: string) => {
      const input = wb.page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 10000 });
      await input.fill(value);
      await input.press('Enter');
    };
    await pick('Another search…'); // the sample mobileai.yaml defines one; this test chooses by hand
    await pick(/^nas$/);
    await pick('acc_predictor_weights.json');
    await type('25');
    await pick('evolution');
    await type('3000');
    const frame = await wb.webviewFrame(hasElement('#scatter'), 60000);
    const seen: number[] = [];
    await waitUntil('the search to finish', async () => {
      const text = await frame.locator('#points-count').innerText();
      seen.push(Number(text.split(/\s/)[0]));
      return / in [\d.]+ s$/.test(text);
    }, 120000);
    assert.ok(seen.some((n) => n > 0 && n < 3000), `points arrived while it ran (${seen.slice(0, 8).join(', ')}…)`);
    assert.match(await frame.locator('#best').innerText(), /^0\.8\d{3} at (1\d|2[0-5])\.\d{2} ms$/);
    assert.match(await frame.locator('#arch-id').innerText(), /^r\d{3}\|d\d{5}\|k/);
    const log = await wb.outputChannel();
    assert.match(log, /search done: 3000 evaluations/);
  });
});

test('the search defined in mobileai.yaml runs from the palette with its settings, no questions asked', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('View: Close All Editors');
    const before = ((await wb.outputChannel()).match(/search done: 3000 evaluations/g) ?? []).length;
    await wb.runCommand('Mobile AI: Search Architecture for a Latency Budget');
    const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'note10-25ms' }).first();
    await row.waitFor({ timeout: 15000 });
    assert.match(await row.innerText(), /mobileai\.yaml · ofa-mbv3 on vphone ≤ 25 ms/);
    await row.click();
    const frame = await wb.webviewFrame(hasElement('#scatter'), 60000);
    await waitUntil('the search to finish', async () => / in [\d.]+ s$/.test(await frame.locator('#points-count').innerText()), 120000);
    assert.match(await frame.locator('#best').innerText(), /^0\.8\d{3} at (1\d|2[0-5])\.\d{2} ms$/);
    const after = ((await wb.outputChannel()).match(/search done: 3000 evaluations/g) ?? []).length;
    assert.equal(after, before + 1);
    assert.match(await wb.outputChannel(), /manifest: search searches\.note10-25ms/);
  });
});
