/**
 * The Profile panel's comparison, as a user reads it: after Compare, the heading, the A/B lines and the
 * chart legend say which profile is A and which is B (naming each), signed deltas never read "-0.000", the
 * optimization levels are offered all → extended → basic → disabled, and the timeline has a time axis.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench, waitUntil } from './harness';

const MNIST = path.join(__dirname, '..', 'fixtures', 'models', 'mnist.onnx');
let wb: Workbench;

before(async () => {
  // A model the sample manifest does not list, so Profile asks for the optimization level.
  wb = await Workbench.open({ prepare: async (ws) => copyFile(MNIST, path.join(ws, 'lenet.onnx')) });
});

after(async () => {
  await wb?.close();
});

const rows = () => wb.page.locator('.quick-input-widget .monaco-list-row');

test('Compare names A and B everywhere, with signed deltas, levels in order and a timed timeline', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Profile Model…');
    await rows().filter({ hasText: 'lenet.onnx' }).first().click({ timeout: 20000 });
    await rows().filter({ hasText: /^all/ }).first().waitFor({ timeout: 20000 });
    const levels = await rows().locator('.label-name').allInnerTexts();
    assert.deepEqual(levels, ['all', 'extended', 'basic', 'disabled'], 'from the most optimized to none');
    await rows().filter({ hasText: /^all/ }).first().click();
    const frame: Frame = await wb.webviewFrame(async (f) => (await f.$('#node-table').catch(() => null)) !== null, 60000);
    assert.match(await frame.locator('#profile-heading').innerText(), /^lenet\.onnx on \S/, 'one profile: its model and device');
    const ticks = await frame.locator('#timeline').getAttribute('data-ticks');
    assert.match(ticks ?? '', /^0(\.0+)? ms .+ ms$/, `the timeline's axis has labelled ticks from 0 ms (${ticks})`);
    assert.match(await frame.locator('#timeline-axis').innerText(), /time from the start of run \d+ \(ms\)/);

    await frame.locator('#compare').click();
    await rows().filter({ hasText: 'This model, optimization disabled' }).first().click({ timeout: 20000 });
    await waitUntil('the comparison', async () => (await frame.locator('#comparison-summary').count()) > 0, 60000);
    assert.equal(await frame.locator('#profile-heading').innerText(), 'Comparison: A lenet.onnx → B lenet.onnx');
    const ab = await frame.locator('#ab-legend').innerText();
    assert.match(ab, /^A lenet\.onnx · .* · all$/m, 'A is the first profile (optimization all)');
    assert.match(ab, /^B lenet\.onnx · .* · disabled/m, 'B is the comparison (optimization disabled)');
    const legend = (await frame.locator('#optype-chart').getAttribute('data-legend'))?.split('\n') ?? [];
    assert.equal(legend.length, 2);
    assert.match(legend[0], /^A: lenet\.onnx · .* · all \(ms\)$/);
    assert.match(legend[1], /^B: lenet\.onnx · .* · disabled \(ms\)$/);
    assert.match(await frame.locator('.stats').innerText(), /B p50[\s\S]*A \d/, 'the stats say they are B\'s, with A\'s beside them');
    const text = await frame.locator('body').innerText();
    assert.doesNotMatch(text, /[-\u2212]0\.000\b/, 'no negative zero');
    const deltas = await frame.locator('#compare-optype tbody tr td:nth-child(4)').allInnerTexts();
    assert.ok(deltas.length > 0);
    for (const d of deltas) assert.match(d, /^(—|0\.000|[+\u2212]\d+\.\d{3})$/, `a signed delta: ${d}`);
    assert.match(await frame.locator('#comparison-summary').innerText(), /B is \d+\.\d\d× (faster|slower) than A\.|B and A take the same time/);
  });
});
