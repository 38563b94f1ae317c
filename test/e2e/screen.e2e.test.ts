import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
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

test('the live screen panel streams the virtual phone, and a tap in the panel changes the screen', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Show Phone Screen');
    const frame = await wb.webviewFrame(hasElement('#screen'), 60000);
    const frames = async () => Number((await frame.locator('#screen').getAttribute('data-frames')) ?? 0);
    await waitUntil('the first frame', async () => (await frames()) > 0, 30000);
    // Debian's Chromium decodes H.264 with WebCodecs in this secure context: the fast path streams.
    assert.match(await frame.locator('#overlay').innerText(), /fps · H\.264 \(WebCodecs\) · stream→screen \d+ ms/);
    await waitUntil('a steady stream (over 10 frames)', async () => (await frames()) > 10, 30000);
    assert.match(await wb.outputChannel(), /H\.264 stream \d+x\d+ \(screenrecord over exec:\)/);
    // Home screen: tap the Settings icon, found from the dump, through the panel's canvas.
    const box = (await frame.locator('#screen').boundingBox())!;
    // A coarse picture of the canvas: H.264 is lossy, so screens are compared by mean difference, not equality.
    const pixels = () => frame.evaluate(() => {
      const c = document.getElementById('screen') as HTMLCanvasElement;
      const d = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      const out: number[] = [];
      for (let i = 0; i < d.length; i += 397) out.push(d[i]);
      return out;
    });
    const diff = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - (b[i] ?? 0)), 0) / a.length;
    const home = await pixels();
    // The launcher's first icon (Settings) sits in the first grid cell near the top-left.
    await frame.locator('#screen').click({ position: { x: box.width * 0.125, y: box.height * 0.1 } });
    await waitUntil('the tap in the log', async () => /exec: input tap \d+ \d+/.test(await wb.outputChannel()), 15000);
    await waitUntil('the screen to change (Settings opens)', async () => diff(await pixels(), home) > 20, 15000);
    const focus = execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, 'shell', 'dumpsys', 'window'], { encoding: 'utf8' });
    assert.match(focus, /com\.android\.settings/);
    await frame.locator('#key-home').click();
    await waitUntil('the home key in the log', async () => /exec: input keyevent 3/.test(await wb.outputChannel()), 15000);
    await waitUntil('the launcher again', async () => diff(await pixels(), home) < 6, 15000);
    // Turn the phone: the stream restarts at the landscape size, and a tap in the panel lands on the
    // landscape position of the stopwatch's Start button.
    const adb = (...args: string[]) => execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, ...args], { encoding: 'utf8' });
    adb('shell', 'am', 'start', '-n', 'com.mobileai.stopwatch/.MainActivity');
    adb('shell', 'settings', 'put', 'system', 'user_rotation', '1');
    await waitUntil('a landscape picture in the panel', async () => frame.evaluate(() => {
      const c = document.getElementById('screen') as HTMLCanvasElement;
      return c.width > c.height * 2;
    }), 20000);
    assert.match(await wb.outputChannel(), /display turned to rotation 1 \(1600x720\)/);
    const start = /text="Start"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(adb('exec-out', 'uiautomator', 'dump', '/dev/tty'));
    assert.ok(start, 'the stopwatch shows Start');
    const [l, tp, r, b] = start.slice(1).map(Number);
    const turned = (await frame.locator('#screen').boundingBox())!;
    await frame.locator('#screen').click({ position: { x: (((l + r) / 2) / 1600) * turned.width, y: (((tp + b) / 2) / 720) * turned.height } });
    await waitUntil('the stopwatch to run (tapped through the turned panel)', async () => /text="Stop"/.test(adb('exec-out', 'uiautomator', 'dump', '/dev/tty')), 15000);
    // Record a second of the running stopwatch to a file in the workspace.
    await frame.locator('#record').click();
    await waitUntil('recording', async () => /Stop recording/.test(await frame.locator('#record').innerText()), 10000);
    await wb.page.waitForTimeout(1500);
    await frame.locator('#record').click();
    const saved = await waitUntil('the recording to be saved', async () => {
      const files = await readdir(path.join(wb.workspace, 'recordings')).catch(() => [] as string[]);
      return files.find((f) => f.endsWith('.mp4'));
    }, 20000);
    const probe = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'csv=p=0', path.join(wb.workspace, 'recordings', saved)], { encoding: 'utf8' }).trim();
    assert.match(probe, /^h264,\d+$/);
    assert.ok(Number(probe.split(',')[1]) > 10, `recorded frames: ${probe}`);
    adb('shell', 'settings', 'put', 'system', 'user_rotation', '0');
    // Hide the panel behind another editor in its group: capturing stops.
    await frame.locator('#screen').click({ position: { x: 5, y: 5 } });
    await wb.page.keyboard.press('Control+Alt+N').catch(() => undefined);
    await wb.runCommand('File: New Untitled Text File');
    await waitUntil('the panel to pause', async () => /screen .*: paused \(hidden\)/.test(await wb.outputChannel()), 15000);
  });
});

test('Deploy to Phone from the palette pushes the chosen model, verified on the phone', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Deploy to Phone');
    const pick = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'models/mnist.onnx' }).first();
    await pick.waitFor({ timeout: 15000 });
    await pick.click();
    await wb.page.locator('.quick-input-widget .quick-input-action a, .quick-input-widget .monaco-button', { hasText: /OK/ }).first().click().catch(async () => wb.page.keyboard.press('Enter'));
    const input = wb.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.press('Enter'); // default folder
    await wb.page.waitForTimeout(300);
    await input.press('Enter'); // no activity
    await waitUntil('the deploy to be logged', async () => /deployed 1 file\(s\)/.test(await wb.outputChannel()), 30000);
    const history = path.join(wb.workspace, '.mobileai');
    assert.ok((await readdir(history)).includes('deploy-history.jsonl'));
    assert.match(await wb.outputChannel(), /sha256 verified/);
    const local = createHash('sha256').update(await readFile(path.join(wb.workspace, 'models', 'mnist.onnx'))).digest('hex');
    const onPhone = execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, 'shell', 'sha256sum', '/data/local/tmp/mobileai/deploy/mnist.onnx'], { encoding: 'utf8' });
    assert.equal(onPhone.split(/\s+/)[0], local, 'the model is on the phone, byte for byte');
  });
});
