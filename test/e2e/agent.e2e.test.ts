import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench, waitUntil } from './harness';
import { startScriptedLlm, type ScriptedLlm } from '../helpers/scriptedLlm';
import { oracle } from '../helpers/agentOracle';

const KEY = 'sk-e2e-9fQ2secretKEY';
let wb: Workbench;
let llm: ScriptedLlm;

before(async () => {
  llm = await startScriptedLlm(oracle);
  wb = await Workbench.open({ settings: { 'mobileAI.agent.baseUrl': llm.baseUrl, 'mobileAI.agent.model': 'scripted-oracle', 'mobileAI.agent.allowPackages': ['com.android.settings'] } });
});
after(async () => {
  await wb?.close();
  await llm?.close();
});

const hasElement = (selector: string) => async (f: Frame) => (await f.$(selector).catch(() => null)) !== null;

async function filesText(dir: string): Promise<string> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push((await readFile(path.join(e.parentPath, e.name))).toString('latin1'));
  }
  return out.join('\n');
}

test('an agent run from the palette turns on Bluetooth, and its steps appear live in the trace viewer', async (t) => {
  await wb.step(t.name, async () => {
    const adb = (...args: string[]) => execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, ...args], { encoding: 'utf8' });
    adb('shell', 'settings', 'put', 'global', 'bluetooth_on', '0');
    // The key goes to VS Code's secret storage, not to settings.
    // Each answer goes into the command's own box (by its title), not whatever quick input is showing.
    await wb.runCommand('Mobile AI: Set Agent API Key…');
    await wb.answerInputBox(/^Agent API key/, KEY);
    await wb.runCommand('Mobile AI: Run Agent on Phone…');
    await wb.answerInputBox(/^Agent task on /, 'Turn on Bluetooth in Settings.');
    const viewer = await wb.webviewFrame(hasElement('#timeline'), 60000);
    await waitUntil('the run to succeed in the viewer', async () => (await viewer.locator('#outcome').innerText().catch(() => '')) === 'success', 60000);
    const rows = await viewer.locator('#timeline li').allInnerTexts();
    assert.equal(rows.length, 3, rows.join('\n'));
    assert.match(rows[0], /open com\.android\.settings/);
    assert.match(rows[1], /tap \[\d+\] Bluetooth/);
    assert.match(rows[2], /finish: success/);
    assert.match(await viewer.locator('#summary').innerText(), /^3 steps · [\d,]+ tokens · /);
    // The phone's live screen opened beside the viewer when the run started.
    await wb.webviewFrame(hasElement('#screen'), 30000);
    // Beside it, not over it: two editor groups, the viewer still showing its steps. The split and the reveal
    // finish a little after the screen's frame exists: wait for that layout, then check it holds.
    const layout = async () => ({ groups: await wb.page.locator('.part.editor .editor-group-container').count(), timeline: await viewer.locator('#timeline').isVisible() });
    await waitUntil('the screen in a group beside the viewer', async () => { const l = await layout(); return l.groups === 2 && l.timeline; }, 15000)
      .catch(async (err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(await layout())}`); });
    await wb.page.waitForTimeout(1000);
    const held = await layout();
    assert.equal(held.groups, 2, 'the screen opened in a group beside the viewer (and stays there)');
    assert.ok(held.timeline, 'the trace viewer stays visible');
    // At half width the viewer still fits: no sideways scrolling, the timeline and the step's details both on screen.
    const fit = await viewer.evaluate(() => ({ width: window.innerWidth, scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(fit.width < 900, `the viewer is half an editor wide here (${fit.width} px)`);
    assert.ok(fit.scroll <= fit.client + 1, `no horizontal overflow at ${fit.width} px: scrollWidth ${fit.scroll} > ${fit.client}`);
    await wb.waitForLog(/screen .*: H\.264 stream|screencap frames/);
    // A step's detail: the screenshot with the tapped element highlighted, its row in the element list, the raw answer.
    await viewer.locator('#timeline li[data-step="2"]').click();
    for (const id of ['#timeline', '#detail']) {
      // Within the webview's own viewport (getBoundingClientRect, not the page's coordinates).
      const box = await viewer.locator(id).evaluate((e) => { const r = e.getBoundingClientRect(); return { left: r.left, right: r.right, width: r.width, view: window.innerWidth }; });
      assert.ok(box.width > 100 && box.left >= 0 && box.right <= box.view + 1, `${id} is on screen at half width: ${JSON.stringify(box)}`);
    }
    await waitUntil('the screenshot', async () => viewer.locator('#shot').evaluate((img) => (img as HTMLImageElement).naturalWidth === 720 && (img as HTMLImageElement).complete), 15000);
    await waitUntil('the highlight over the target', async () => (await viewer.locator('#highlight').evaluate((h) => getComputedStyle(h).display)) === 'block', 5000);
    assert.match(await viewer.locator('#elements tr.target').innerText(), /Switch\s+Bluetooth/);
    assert.match(await viewer.locator('#raw').innerText(), /"type":\s*"tap"/);
    assert.match(await viewer.locator('#thought').innerText(), /Bluetooth is off: tap its switch/);
    // Search narrows the timeline.
    await viewer.locator('#search input').fill('finish');
    await waitUntil('one matching step', async () => (await viewer.locator('#timeline li').count()) === 1, 5000);
    // The phone, the endpoint and the files agree.
    assert.match(adb('shell', 'settings', 'get', 'global', 'bluetooth_on'), /^1/);
    assert.equal(llm.requests[0].headers.authorization, `Bearer ${KEY}`, 'the key from secret storage went to the endpoint');
    assert.equal(llm.requests[0].model, 'scripted-oracle');
    const traces = path.join(wb.workspace, '.mobileai', 'agent-traces');
    const [run] = await readdir(traces);
    assert.ok(run, 'a run folder in the workspace');
    assert.ok(!(await filesText(wb.workspace)).includes(KEY), 'the key is in no workspace file (settings, traces)');
    await wb.waitForLog(/agent: run .* ended: success/);
  });
});

test('Open Agent Trace shows a finished run from the workspace, even when its first page stays blank', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('View: Close All Editors');
    // The next webview's page never loads (as code-server's service worker can leave one): the panel must be reopened in its place.
    const blank = await wb.blankNextWebview();
    await wb.runCommand('Mobile AI: Open Agent Trace…');
    const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'turn on bluetooth' }).first();
    await row.waitFor({ timeout: 15000 });
    await row.click();
    await blank.reopened(/mobileai\.agentTrace "Agent: [^"]+": the page sent nothing in 15 s while shown \(a blank webview\); reopening it \(1 of 2\)/);
    const viewer = await wb.webviewFrame(hasElement('#timeline'), 30000);
    await waitUntil('three steps', async () => (await viewer.locator('#timeline li').count()) === 3, 15000);
    assert.equal(await viewer.locator('#outcome').innerText(), 'success');
    assert.ok(await viewer.locator('#replay').isVisible(), 'a finished run can be replayed');
    // One tab for the run: the blank one was closed, not left beside it.
    const tabs = await wb.page.locator('.tabs-container .tab').allInnerTexts();
    assert.equal(tabs.filter((x) => /Agent: /.test(x)).length, 1, tabs.join(' | '));
    await wb.waitForLog(/mobileai\.agentTrace: the reopened panel's page loaded/, 10000);
  });
});
