import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench, waitUntil } from './harness';

let wb: Workbench;
before(async () => {
  wb = await Workbench.open({
    settings: { 'workbench.colorTheme': 'Default Light Modern' },
    // A second "phone" for a search over several targets: this machine's own Once-for-All table (a fixture).
    prepare: async (ws) => {
      await cp(path.join(__dirname, '..', 'fixtures', 'search', 'host-xeon'), path.join(ws, 'host-xeon'), { recursive: true });
      const file = path.join(ws, 'mobileai.yaml');
      const text = await readFile(file, 'utf8');
      await writeFile(file, text
        .replace(/^models:/m, '  host:\n    match: { model: Virtual Phone }\n    table: host-xeon\nmodels:')
        .replace(/^agents:/m, '  two-phones:\n    target: vphone\n    targets: [host]\n    budgetMs: 25\n    evaluations: 1000\n    predictor: nas/acc_predictor_weights.json\nagents:'));
    },
  });
});
after(async () => {
  await wb?.close();
});

const hasElement = (selector: string) => async (f: Frame) => (await f.$(selector).catch(() => null)) !== null;

test('a search started from the palette fills the scatter plot live and ends with the best architecture per stage, marked on the chart; the tooltip follows the theme', async (t) => {
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
    const bestId = await frame.locator('#arch-id').innerText();
    assert.match(bestId, /^r\d{3}\|d\d{5}\|k/);
    // The architecture per stage: one row per block, depths as the summary says.
    assert.equal(await frame.locator('#details h2').innerText(), 'Best architecture');
    const summary = await frame.locator('#arch-summary').innerText();
    const m = /^(\d{3})×\1 input · depths (\d)-(\d)-(\d)-(\d)-(\d) · (\d+) blocks$/.exec(summary);
    assert.ok(m, summary);
    assert.equal(await frame.locator('#arch-view tbody tr').count(), Number(m[7]));
    assert.match(await frame.locator('#arch-view tbody tr').first().innerText(), /^1\s+\d\s+1\s+[357]×[357]\s+[346]\s+—\s+ReLU\s+2\s+\d+×\d+×32$/);
    // The best point is marked on the chart, and selected; clicking the fastest front point selects it instead.
    const wrap = frame.locator('#scatter-wrap');
    assert.equal(await wrap.getAttribute('data-best'), bestId);
    assert.equal(await wrap.getAttribute('data-selected'), bestId);
    const [fx, fy] = ((await wrap.getAttribute('data-front-xy')) ?? '').split(',').map(Number);
    await frame.locator('#scatter').click({ position: { x: fx, y: fy } });
    await waitUntil('the clicked point to be selected', async () => (await frame.locator('#details h2').innerText()) === 'Selected architecture', 10000);
    const picked = await frame.locator('#arch-id').innerText();
    assert.notEqual(picked, bestId);
    assert.equal(await wrap.getAttribute('data-selected'), picked);
    assert.equal(await wrap.getAttribute('data-best'), bestId, 'the best stays marked');
    assert.match(await frame.locator('#trust').innerText(), /unchecked/);
    // The tooltip takes the editor's hover colours, and follows a theme switch.
    const hover = () => frame.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--vscode-editorHoverWidget-background').trim());
    const before = (await wrap.getAttribute('data-tooltip')) ?? '';
    assert.equal(before.split(' ')[0].toLowerCase(), (await hover()).toLowerCase());
    await wb.runCommand('Preferences: Color Theme');
    const input = wb.page.locator('.quick-input-widget input');
    await input.fill('Dark High Contrast');
    await wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Dark High Contrast' }).first().waitFor({ timeout: 10000 });
    await input.press('Enter');
    await waitUntil('the tooltip to take the new theme', async () => ((await wrap.getAttribute('data-tooltip')) ?? '') !== before, 15000);
    assert.equal(((await wrap.getAttribute('data-tooltip')) ?? '').split(' ')[0].toLowerCase(), (await hover()).toLowerCase());
    await wb.waitForLog(/search done: 3000 evaluations/);
  });
});

test('the search defined in mobileai.yaml runs from the palette with its settings, no questions asked', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('View: Close All Editors');
    const mark = await wb.logMark();
    await wb.runCommand('Mobile AI: Search Architecture for a Latency Budget');
    const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'note10-25ms' }).first();
    await row.waitFor({ timeout: 15000 });
    assert.match(await row.innerText(), /mobileai\.yaml · ofa-mbv3 on vphone ≤ 25 ms/);
    await row.click();
    const frame = await wb.webviewFrame(hasElement('#scatter'), 60000);
    await waitUntil('the search to finish', async () => / in [\d.]+ s$/.test(await frame.locator('#points-count').innerText()), 120000);
    assert.match(await frame.locator('#best').innerText(), /^0\.8\d{3} at (1\d|2[0-5])\.\d{2} ms$/);
    // One search, logged once.
    const log = await wb.waitForLogCount(/search done: 3000 evaluations/, 1, { since: mark });
    assert.match(log, /manifest: search searches\.note10-25ms/);
  });
});

test('a manifest search for two phones compares their best architectures in the panel', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('View: Close All Editors');
    await wb.runCommand('Mobile AI: Search Architecture for a Latency Budget');
    const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'two-phones' }).first();
    await row.waitFor({ timeout: 15000 });
    await row.click();
    const frame = await wb.webviewFrame(hasElement('#targets'), 60000);
    await waitUntil('both searches to finish', async () => (await frame.locator('#targets-table tbody tr').count()) === 2, 120000);
    const rows = await frame.locator('#targets-table tbody tr').allInnerTexts();
    assert.match(rows[0], /^vphone\s+0\.8\d{3}\s+2[0-5]\.\d\d ms\s+\d+\.\d\d ms/);
    assert.match(rows[1], /^host\s+0\.8\d{3}\s+\d+\.\d\d ms( ✗)?\s+2[0-5]\.\d\d ms$/);
    assert.match(await frame.locator('#best').innerText(), /^vphone: 0\.8\d{3} at \d+\.\d\d ms · host: 0\.8\d{3} at \d+\.\d\d ms$/);
    assert.equal((await frame.locator('#scatter-wrap').getAttribute('data-best'))?.split(' ').length, 2, 'a best marker per phone');
    assert.match(await frame.locator('#arch-summary').innerText(), /input · depths/);
    await wb.waitForLog(/search done for 2 targets/);
  });
});
