/**
 * Every webview panel in the editor's Light, Dark and High Contrast themes: a screenshot of each into
 * test-results/e2e/themes/, and the contrast of its main text (the colour/background pair covering the most
 * visible characters) at least 4.5:1, WCAG 2's minimum for body text (https://www.w3.org/TR/WCAG22/#contrast-minimum),
 * with the relative luminance and ratio as WCAG defines them. Themes are switched as a user does, with
 * "Preferences: Color Theme".
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { ARTIFACTS, Workbench, waitUntil } from './harness';
import { TraceWriter } from '../../extension/core/agent/trace';

const SHOTS = path.join(ARTIFACTS, 'themes');
/** The theme's label in the picker, and the class the workbench and the webview's body then carry. */
const THEMES = [
  { label: 'Light Modern', workbench: 'vs', body: 'vscode-light', file: 'light' },
  { label: 'Dark Modern', workbench: 'vs-dark', body: 'vscode-dark', file: 'dark' },
  { label: 'Dark High Contrast', workbench: 'hc-black', body: 'vscode-high-contrast', file: 'hc' },
] as const;

let wb: Workbench;
let current = '';

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  wb = await Workbench.open({
    settings: { 'workbench.colorTheme': 'Default Light Modern' },
    // A finished agent run in the workspace for the trace viewer (written by the product's own trace writer).
    prepare: async (ws, serial) => {
      const w = await TraceWriter.create(path.join(ws, '.mobileai', 'agent-traces'), { task: 'open the settings app', model: 'scripted', endpoint: 'http://127.0.0.1:9/v1', device: { serial, model: 'Virtual Phone' }, allowPackages: ['com.android.settings'], maxSteps: 5 });
      await w.step({
        step: 1, startedAt: new Date().toISOString(), foreground: 'com.android.launcher3', screen: { width: 720, height: 1600 }, elements: [], thought: 'Open Settings from the launcher.',
        action: { type: 'open', package: 'com.android.settings' } as never, result: { ok: true, message: 'opened com.android.settings' }, timings: { observeMs: 40, thinkMs: 300, actMs: 120 },
      });
      await w.finish('success', 'Settings is open');
    },
  });
  current = 'Light Modern';
});

after(async () => {
  await wb?.close();
});

async function setTheme(t: (typeof THEMES)[number]): Promise<void> {
  if (current !== t.label) {
    await wb.runCommand('Preferences: Color Theme');
    const input = wb.page.locator('.quick-input-widget input');
    await input.fill(t.label);
    await wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: t.label }).first().waitFor({ timeout: 10000 });
    await input.press('Enter');
    current = t.label;
  }
  await waitUntil(`the workbench in ${t.label}`, async () => wb.page.locator(`.monaco-workbench.${t.workbench}`).count(), 10000);
}

const appFrame = (app: string) => async (f: Frame) => (await f.evaluate(() => document.body?.dataset.app).catch(() => undefined)) === app;

/** The main text's colour, its effective background and their contrast ratio, measured in the webview. */
async function mainTextContrast(frame: Frame): Promise<{ ratio: number; color: string; background: string; chars: number; sample: string; worst: string }> {
  return frame.evaluate(`(() => {
    const parse = (c) => { const m = /rgba?\\(([^)]+)\\)/.exec(c || ''); if (!m) return undefined; const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
    const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
    const rootBg = parse(getComputedStyle(document.body).backgroundColor) || [255, 255, 255, 1];
    const base = rootBg[3] > 0 ? over(rootBg, [255, 255, 255, 1]) : [255, 255, 255, 1];
    const bgOf = (el) => {
      const layers = [];
      for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
      }
      let bg = layers.length && layers[layers.length - 1][3] >= 1 ? [0, 0, 0, 1] : base;
      for (const l of layers.reverse()) bg = over(l, bg);
      return bg;
    };
    const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const pairs = new Map();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let total = 0;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent.trim();
      const el = n.parentElement;
      if (!text || !el || !el.getClientRects().length) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility !== 'visible' || Number(cs.opacity) === 0 || el.closest('[hidden]')) continue;
      const bg = bgOf(el);
      const fg = over(parse(cs.color) || [0, 0, 0, 1], bg);
      const key = fg.slice(0, 3).map(Math.round).join(',') + '|' + bg.slice(0, 3).map(Math.round).join(',');
      const p = pairs.get(key) || { fg, bg, chars: 0, sample: text.slice(0, 60) };
      p.chars += text.length;
      total += text.length;
      pairs.set(key, p);
    }
    const all = [...pairs.values()].sort((a, b) => b.chars - a.chars);
    const main = all[0];
    if (!main) return { ratio: 0, color: '', background: '', chars: 0, sample: '(no text)', worst: '' };
    const worst = all.filter((p) => p.chars >= total * 0.05).map((p) => ({ r: ratio(p.fg, p.bg), s: p.sample })).sort((a, b) => a.r - b.r)[0];
    return { ratio: ratio(main.fg, main.bg), color: 'rgb(' + main.fg.slice(0, 3).map(Math.round) + ')', background: 'rgb(' + main.bg.slice(0, 3).map(Math.round) + ')', chars: main.chars, sample: main.sample, worst: worst ? worst.r.toFixed(2) + ' "' + worst.s + '"' : '' };
  })()`);
}

/** Opens the panel (its own way), then for each theme: switch, screenshot, measure. */
async function checkPanel(t: { name: string; diagnostic(m: string): void }, app: string, open: () => Promise<void>, ready?: (f: Frame) => Promise<boolean>): Promise<void> {
  await wb.step(t.name, async () => {
    await wb.runCommand('View: Close All Editors');
    await open();
    const frame = await wb.webviewFrame(async (f) => (await appFrame(app)(f)) && (!ready || (await ready(f).catch(() => false))), 60000);
    const order = current === THEMES[2].label ? [...THEMES].reverse() : THEMES;
    for (const theme of order) {
      await setTheme(theme);
      await waitUntil(`the ${app} webview in ${theme.label}`, async () => (await frame.evaluate(() => document.body.className)).includes(theme.body), 10000);
      await wb.page.waitForTimeout(300); // charts and canvases redraw on the theme change
      await wb.page.screenshot({ path: path.join(SHOTS, `${app}-${theme.file}.png`) });
      const c = await mainTextContrast(frame);
      t.diagnostic(`${app} in ${theme.label}: main text ${c.color} on ${c.background} = ${c.ratio.toFixed(2)}:1 (${c.chars} chars, "${c.sample}"); lowest among pairs ≥ 5% of the text: ${c.worst}`);
      assert.ok(c.chars > 0, `${app}: some text is shown`);
      assert.ok(c.ratio >= 4.5, `${app} in ${theme.label}: main text contrast ${c.ratio.toFixed(2)}:1 (${c.color} on ${c.background}, "${c.sample}") is below 4.5:1`);
    }
  });
}

async function pickRow(label: string | RegExp, timeout = 20000): Promise<void> {
  const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout });
  await row.click();
}

async function openModel(): Promise<void> {
  await wb.openActivity('Explorer');
  const file = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'mnist.onnx' }).first();
  if (!(await file.isVisible().catch(() => false))) await wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'models' }).first().click();
  await file.waitFor({ timeout: 15000 });
  await file.dblclick();
}

test('model editor in light, dark and high contrast', async (t) => {
  await checkPanel(t, 'model', openModel, async (f) => (await f.$('#param-count')) !== null);
});

test('profile panel in light, dark and high contrast', async (t) => {
  await checkPanel(t, 'profile', async () => {
    await wb.runCommand('Mobile AI: Profile Model…');
    await pickRow('mnist.onnx');
    // The level is asked unless the manifest's profile for the model gives it.
    await pickRow(/^all/, 5000).catch(() => undefined);
  }, async (f) => (await f.$('#node-table')) !== null);
});

test('logcat panel in light, dark and high contrast', async (t) => {
  await checkPanel(t, 'logcat', () => wb.runCommand('Mobile AI: Show Logcat'), async (f) => Number(await f.locator('#log').getAttribute('data-rows')) > 5);
});

test('screen panel in light, dark and high contrast', async (t) => {
  await checkPanel(t, 'screen', () => wb.runCommand('Mobile AI: Show Phone Screen'));
});

test('search panel in light, dark and high contrast', async (t) => {
  await checkPanel(t, 'search', async () => {
    await wb.runCommand('Mobile AI: Search Architecture for a Latency Budget');
    await pickRow('note10-25ms');
  });
});

test('agent trace viewer in light, dark and high contrast', async (t) => {
  await checkPanel(t, 'agent', async () => {
    await wb.runCommand('Mobile AI: Open Agent Trace…');
    await pickRow('open the settings app');
  });
});

test('quantize report in light, dark and high contrast', async (t) => {
  await checkPanel(t, 'quantize', async () => {
    await openModel();
    const editor = await wb.webviewFrame(async (f) => (await f.$('#quantize').catch(() => null)) !== null, 30000);
    await editor.locator('#quantize').click();
    // The sample manifest has a recipe for mnist: take it when Quantize offers it.
    await pickRow("Use the Manifest's Recipe", 5000).catch(() => undefined);
  });
});

test('LLM runs panel in light, dark and high contrast (when the extension has one)', async (t) => {
  const pkg = JSON.parse(await readFile(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { commands: Array<{ title: string }> } };
  if (!pkg.contributes.commands.some((c) => c.title === 'Open LLM Runs') || !(await readFile(path.join(__dirname, '..', '..', 'webview', 'llm', 'main.ts'), 'utf8').catch(() => ''))) {
    t.diagnostic('no LLM panel in this build');
    return;
  }
  await checkPanel(t, 'llm', () => wb.runCommand('Mobile AI: Open LLM Runs'));
});
