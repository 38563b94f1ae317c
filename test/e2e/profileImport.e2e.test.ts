import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Workbench, waitUntil } from './harness';

let wb: Workbench;

/** A benchmark_model output saved from a phone, in the current LiteRT layout (see test/unit/benchmarkModel.test.ts for the format sources). */
const SAVED = [
  'INFO: Graph: [/data/local/tmp/selfie_segmenter.tflite]',
  'INFO: Replacing 40 out of 41 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 2 partitions for subgraph 0 (main).',
  'INFO: count=40 first=9000 curr=8100 min=8000 max=9000 avg=8200 std=150 p5=8010 median=8150 p95=8800',
  'INFO: count=120 first=8100 curr=8050 min=7900 max=8600 avg=8080 std=90 p5=7950 median=8060 p95=8300',
  'INFO: Inference timings in us: Init: 31000, First inference: 9000, Warmup (avg): 8200, Inference (avg): 8080',
  'INFO: Operator-wise Profiling Info for Regular Benchmark Runs:',
  '============================== Run Order ==============================',
  '\t                             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]',
  '\t                   TfLiteXNNPackDelegate\t    6.000\t    5.900\t 80.000%\t 80.000%\t     0.000\t        1\t[segment_logits]:41',
  '\t                                  CUSTOM\t    1.200\t    1.100\t 15.000%\t 95.000%\t     0.000\t        1\t[Convolution2DTransposeBias]:40',
  '\t                   TfLiteXNNPackDelegate\t    0.400\t    0.350\t  5.000%\t100.000%\t     0.000\t        1\t[mask]:42',
  '',
].join('\n');

before(async () => {
  wb = await Workbench.open({ prepare: async (ws) => writeFile(path.join(ws, 'pixel7-benchmark.log'), SAVED) });
});

after(async () => {
  await wb?.close();
});

const hasElement = (selector: string) => async (f: Frame) => (await f.$(selector).catch(() => null)) !== null;

test('Open Profile… on a saved benchmark_model output shows it in the Profile panel with its delegation', async (t) => {
  await wb.step(t.name, async () => {
    await wb.explorerMenu('pixel7-benchmark.log', 'Open Profile…');
    const profile = await wb.webviewFrame(hasElement('#delegation'), 60000);
    const rows = await waitUntil('3 node rows', async () => {
      const r = await profile.locator('#node-table tbody tr').allInnerTexts();
      return r.length === 3 ? r : undefined;
    });
    assert.ok(rows.some((r) => /\[Convolution2DTransposeBias\]:40\s+CUSTOM\s+CPU/.test(r)), rows.join('\n'));
    assert.match(await profile.locator('#stat-p50').innerText(), /^8\.060 ms$/);
    assert.match(await profile.locator('#profile-source').innerText(), /pixel7-benchmark\.log \(benchmark-model\)/);
    assert.match(await profile.locator('#delegation').innerText(), /XNNPACK took 40 of 41 nodes in 2 partitions/);
    assert.match(await profile.locator('#delegation').innerText(), /CPU \(fallback\): CUSTOM ×1/);
    await wb.waitForLog(/opened profile .*pixel7-benchmark\.log \(benchmark-model\)/);
    if (process.env.MOBILEAI_E2E_SHOTS) await wb.page.screenshot({ path: '/tmp/profile-import.png' });
  });
});
