import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { Workbench, waitUntil } from './harness';

let wb: Workbench;
before(async () => {
  wb = await Workbench.open({ settings: { 'mobileAI.screen.decoder': 'software' } });
});
after(async () => {
  await wb?.close();
});

test('without WebCodecs, the H.264 stream is decoded by the software decoder (WebAssembly) and taps still work', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Show Phone Screen');
    const frame: Frame = await wb.webviewFrame(async (f) => (await f.$('#screen').catch(() => null)) !== null, 60000);
    const frames = async () => Number((await frame.locator('#screen').getAttribute('data-frames')) ?? 0);
    await waitUntil('frames from the software decoder', async () => (await frames()) > 10, 30000);
    assert.match(await frame.locator('#overlay').innerText(), /H\.264 \(software decoder\)/);
    const mean = () => frame.evaluate(() => {
      const c = document.getElementById('screen') as HTMLCanvasElement;
      const d = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      let s = 0;
      for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
      return s / (d.length / 4);
    });
    const home = await mean();
    assert.ok(home > 20, `a real picture, not a black canvas (mean ${home.toFixed(1)})`);
    const box = (await frame.locator('#screen').boundingBox())!;
    await frame.locator('#screen').click({ position: { x: box.width * 0.125, y: box.height * 0.1 } });
    await waitUntil('Settings to open on screen', async () => Math.abs((await mean()) - home) > 10, 15000);
  });
});
