import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Workbench, waitUntil } from './harness';

const ULTRAFACE = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'models', 'Ultraface_version-RFB-320.onnx');
const SILERO = path.join(__dirname, '..', 'fixtures', 'models', 'silero_vad_16k_op15.onnx');

let wb: Workbench;

before(async () => {
  if (!existsSync(ULTRAFACE)) throw new Error(`${ULTRAFACE} is missing (the shared model set, ../shared/data/models)`);
  wb = await Workbench.open({
    prepare: async (workspace) => {
      mkdirSync(path.join(workspace, 'graphs'), { recursive: true });
      copyFileSync(ULTRAFACE, path.join(workspace, 'graphs', path.basename(ULTRAFACE)));
      copyFileSync(SILERO, path.join(workspace, 'graphs', path.basename(SILERO)));
    },
  });
});

after(async () => {
  await wb?.close();
});

interface ViewState { scale: number; depth: number; width: number; height: number; selected?: string }
interface FrameInfo { texts: string[]; edgeLabels: string[]; mode: string; nodesDrawn: number }
const state = (f: Frame) => f.evaluate('window.__graphView.state()') as Promise<ViewState>;
const lastFrame = async (f: Frame) => {
  await f.evaluate('window.__graphView.redraw()');
  return f.evaluate('window.__graphView.frame()') as Promise<FrameInfo>;
};

async function openGraph(t: { diagnostic(m: string): void }, file: string): Promise<Frame> {
  await wb.openActivity('Explorer');
  const folder = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'graphs' }).first();
  const row = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: file }).first();
  if (!(await row.isVisible().catch(() => false))) await folder.click();
  await row.waitFor({ timeout: 15000 });
  await row.dblclick();
  const match = async (f: Frame) => (await f.locator('h1', { hasText: file }).count().catch(() => 0)) > 0 && (await f.$('.tabs').catch(() => null)) !== null;
  let frame: Frame;
  try {
    frame = await wb.webviewFrame(match, 30000);
  } catch (err) {
    // Seen before the harness waited for our contributions: the file opened in the text editor ("binary").
    // Kept as a fallback that should not be needed; the diagnostic says when it was.
    t.diagnostic(`the model editor did not render on the first open; reopening. ${(err as Error).message}`);
    await wb.runCommand('View: Close All Editors');
    await row.dblclick();
    frame = await wb.webviewFrame(match, 45000);
  }
  await frame.locator('.tabs button', { hasText: 'Graph' }).click();
  await frame.locator('#graph').waitFor();
  await waitUntil('the graph drawn', async () => (await frame.evaluate('window.__graphView && window.__graphView.frame().t > 0')) as boolean);
  return frame;
}

test('Ultraface graph: inputs and outputs as nodes, fitted on first show, shapes on edges, search, attributes and weight statistics', async (t) => {
  await wb.step(t.name, async () => {
    const frame = await openGraph(t, 'Ultraface_version-RFB-320.onnx');
    const canvas = frame.locator('#graph');
    // The model declares input [1,3,240,320] and outputs scores [1,4420,2], boxes [1,4420,4].
    const label = (await canvas.getAttribute('aria-label')) ?? '';
    assert.match(label, /Inputs: input float32\[1×3×240×320\]\./);
    assert.match(label, /Outputs: scores float32\[1×4420×2\]; boxes float32\[1×4420×4\]\./);
    assert.match(await frame.locator('#overlay-note').innerText(), /nodes, 1 input, 2 outputs/);

    // First show: the whole graph fits in the canvas.
    const box = await canvas.boundingBox();
    assert.ok(box);
    let s = await state(frame);
    assert.ok(s.height * s.scale <= box.height && s.width * s.scale <= box.width, `fitted on first show (scale ${s.scale})`);
    await frame.locator('#graph-zoom-in').click();
    await frame.locator('#graph-zoom-in').click();
    const zoomed = (await state(frame)).scale;
    assert.ok(Math.abs(zoomed - s.scale * 1.5625) < 1e-6, 'the + button zooms in');
    await frame.locator('#graph-zoom-out').click();
    assert.ok((await state(frame)).scale < zoomed, 'the − button zooms out');
    await frame.locator('#graph-fit').click();
    s = await state(frame);
    assert.ok(s.height * s.scale <= box.height && s.height * s.scale > box.height * 0.8, 'Fit fills the view with the whole graph');

    // Search: jumps to the first Conv, selects it, shows its attributes and its weights.
    await frame.locator('#graph-search').fill('Conv');
    await frame.locator('#graph-search').press('Enter');
    assert.match(await frame.locator('#overlay-note').innerText(), /^Match 1 of \d+: Conv/);
    const details = frame.locator('#node-details');
    assert.match(await details.innerText(), /^Conv\n[\s\S]*Inputs\ninput: float32\[1×3×240×320\][\s\S]*kernel_shape = \[3, 3\][\s\S]*strides = \[2, 2\]/);
    // At full size the input's shape is drawn on its edge, and the input node is on screen.
    const drawn = await lastFrame(frame);
    assert.ok(drawn.edgeLabels.includes('float32[1×3×240×320]'), `edge labels drawn: ${drawn.edgeLabels.join(', ')}`);
    assert.ok(drawn.texts.includes('input: input'));

    // A click on the node in the middle of the view (the one the search centred) selects it.
    await frame.locator('#graph-search').press('Escape');
    await canvas.click({ position: { x: 5, y: 5 } });
    assert.equal(await details.isHidden(), true, 'a click on empty canvas clears the selection');
    await canvas.click({ position: { x: box.width / 2, y: box.height / 2 } });
    assert.equal((await state(frame)).selected, (await details.locator('.muted').first().innerText()).split(' · ')[0].replace('(unnamed)', ''));
    assert.match(await details.innerText(), /^Conv\n/);

    // Weights: the host reads the values; statistics and a histogram come back.
    await details.locator('.inspect-weight').first().click();
    const stats = details.locator('.tensor-stats').first();
    await stats.waitFor({ timeout: 15000 });
    assert.match(await stats.innerText(), /float32\[16×3×3×3\] · 432 values/);
    const min = Number(await stats.locator('.stat-min').innerText());
    const max = Number(await stats.locator('.stat-max').innerText());
    const mean = Number(await stats.locator('.stat-mean').innerText());
    assert.ok(min < mean && mean < max, `min ${min} < mean ${mean} < max ${max}`);
    assert.equal(await stats.locator('canvas.histogram').count(), 1);
  });
});

test('silero VAD: an If body opens from its node, the breadcrumb leads back', async (t) => {
  await wb.step(t.name, async () => {
    const frame = await openGraph(t, 'silero_vad_16k_op15.onnx');
    await frame.locator('#graph-search').fill('If');
    await frame.locator('#graph-search').press('Enter');
    const details = frame.locator('#node-details');
    await details.locator('.open-subgraph', { hasText: 'then_branch' }).first().click();
    const crumbs = frame.locator('#graph-breadcrumb');
    assert.match(await crumbs.innerText(), /^main graph › .*If.* › then_branch$/);
    assert.equal((await state(frame)).depth, 1);
    assert.match(await frame.locator('#overlay-note').innerText(), /^\d+ nodes, 0 inputs, \d+ outputs?\./, 'a body has no inputs of its own (it reads the enclosing graph)');
    const body = await lastFrame(frame);
    assert.ok(body.nodesDrawn > 0 || body.mode === 'cache', 'the body is drawn');
    await crumbs.locator('button', { hasText: 'main graph' }).click();
    assert.equal((await state(frame)).depth, 0);
    assert.match(await frame.locator('#overlay-note').innerText(), /nodes, 3 inputs, 2 outputs/);
    assert.equal(await crumbs.isHidden(), true);
  });
});
