import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { copyFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Workbench } from './harness';

let wb: Workbench;

before(async () => {
  wb = await Workbench.open({
    prepare: async (workspace) => {
      mkdirSync(path.join(workspace, 'tflite'), { recursive: true });
      copyFileSync(path.join(__dirname, '..', 'fixtures', 'tflite', 'selfie_segmentation.tflite'), path.join(workspace, 'tflite', 'selfie_segmentation.tflite'));
    },
  });
});

after(async () => {
  await wb?.close();
});

const hasElement = (selector: string) => async (f: Frame) => (await f.$(selector).catch(() => null)) !== null;

test('a .tflite opens in the model editor: summary, ops with the custom op, tensors, graph; only phone profiling is offered', async (t) => {
  await wb.step(t.name, async () => {
    await wb.openActivity('Explorer');
    await wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'tflite' }).first().click();
    const file = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'selfie_segmentation.tflite' }).first();
    await file.waitFor({ timeout: 15000 });
    await file.dblclick();
    let frame: Frame;
    try {
      frame = await wb.webviewFrame(hasElement('#tflite-note'), 30000);
    } catch (err) {
      // Seen before the harness waited for our contributions: the file opened in the text editor ("binary").
      // Kept as a fallback that should not be needed; the diagnostic says when it was.
      t.diagnostic(`the model editor did not render on the first open; reopening. ${(err as Error).message}`);
      await wb.runCommand('View: Close All Editors');
      await file.dblclick();
      frame = await wb.webviewFrame(hasElement('#tflite-note'), 45000);
    }
    assert.match(await frame.locator('#model-facts').innerText(), /TFLite schema 3 · 1 subgraph/);
    assert.match(await frame.locator('#tflite-inputs').innerText(), /input_1\s+float32\s+\[1, 256, 256, 3\]/);
    assert.match(await frame.locator('#param-count').innerText(), /^106,407 \(207\.8 KiB\) in 113 tensors$/);
    assert.equal(await frame.locator('#profile-host').count(), 0, 'no host profiling for TFLite');
    assert.equal(await frame.locator('#quantize').count(), 0, 'no ONNX quantization for TFLite');
    assert.match(await frame.locator('#tflite-note').innerText(), /benchmark_model/);
    await frame.locator('.tabs button', { hasText: 'Ops' }).click();
    const ops = await frame.locator('#op-table tbody tr').allInnerTexts();
    assert.equal(ops.length, 11);
    assert.match(ops[0], /^DEQUANTIZE\s+builtin\s+2\s+110$/);
    assert.ok(ops.some((r) => /^Convolution2DTransposeBias\s+custom\s+1\s+1$/.test(r)));
    await frame.locator('.tabs button', { hasText: 'Tensors' }).click();
    assert.equal(await frame.locator('#tensor-table tbody tr').count(), 360);
    await frame.locator('.tabs button', { hasText: 'Graph' }).click();
    await frame.locator('#graph').waitFor();
    assert.match(await frame.locator('#overlay-note').innerText(), /^246 nodes/);
    await frame.locator('#graph-search').fill('Convolution2DTransposeBias');
    await frame.locator('#graph-search').press('Enter');
    assert.match(await frame.locator('#node-details').innerText(), /Convolution2DTransposeBias[\s\S]*segment:244 · custom[\s\S]*custom_options = 12 bytes \(FLEXBUFFERS\)/);
    if (process.env.MOBILEAI_E2E_SHOTS) await wb.page.screenshot({ path: '/tmp/tflite-graph.png' });
    await wb.waitForLog(/model selfie_segmentation\.tflite: 246 TFLite operators/);
  });
});
