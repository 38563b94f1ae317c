import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench, waitUntil } from './harness';
import { buildApk } from '../helpers/apkBuilder';

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
    await wb.waitForLog(/H\.264 stream \d+x\d+ at [\d.]+ Mbit\/s \(screenrecord over exec:\)/);
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
    await wb.waitForLog(/exec: input tap \d+ \d+/, 15000);
    await waitUntil('the screen to change (Settings opens)', async () => diff(await pixels(), home) > 20, 15000);
    const focus = execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, 'shell', 'dumpsys', 'window'], { encoding: 'utf8' });
    assert.match(focus, /com\.android\.settings/);
    await frame.locator('#key-home').click();
    await wb.waitForLog(/exec: input keyevent 3/, 15000);
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
    await wb.waitForLog(/display turned to rotation 1 \(1600x720\)/);
    const start = /text="Start"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(adb('exec-out', 'uiautomator', 'dump', '/dev/tty'));
    assert.ok(start, 'the stopwatch shows Start');
    const [l, tp, r, b] = start.slice(1).map(Number);
    const turned = (await frame.locator('#screen').boundingBox())!;
    await frame.locator('#screen').click({ position: { x: (((l + r) / 2) / 1600) * turned.width, y: (((tp + b) / 2) / 720) * turned.height } });
    await waitUntil('the stopwatch to run (tapped through the turned panel)', async () => /text="Stop"/.test(adb('exec-out', 'uiautomator', 'dump', '/dev/tty')), 15000);
    // Record the running stopwatch to a file in the workspace: two dozen more frames reach the panel meanwhile
    // (however slowly this machine streams them), and the file must hold more than 10 of them (a recording starts
    // at the stream's next key frame, so the first few shown may not be in it: 10 of 12 were, on an overloaded run).
    await frame.locator('#record').click();
    await waitUntil('recording', async () => /Stop recording/.test((await frame.locator('#record').getAttribute('label')) ?? ''), 10000);
    const atStart = await frames();
    await waitUntil('24 frames streamed while recording', async () => (await frames()) >= atStart + 24, 30000);
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
    await wb.waitForLog(/screen .*: paused \(hidden\)/, 15000);
  });
});

test('keyboard, rotate, fullscreen and drop on the focused panel: typing reaches the phone exactly, an APK dropped installs', async (t) => {
  await wb.step(t.name, async () => {
    const adb = (...args: string[]) => execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, ...args], { encoding: 'utf8' });
    const dump = () => adb('exec-out', 'uiautomator', 'dump', '/dev/tty');
    await wb.runCommand('Mobile AI: Show Phone Screen');
    const frame = await wb.webviewFrame(hasElement('#screen'), 60000);
    const frames = async () => Number((await frame.locator('#screen').getAttribute('data-frames')) ?? 0);
    await waitUntil('frames', async () => (await frames()) > 0, 30000);
    // The phone was turned back upright while the panel was hidden: shown again, the panel follows the display.
    await waitUntil('a portrait picture in the panel', async () => frame.evaluate(() => {
      const c = document.getElementById('screen') as HTMLCanvasElement;
      return c.height > c.width;
    }), 20000);
    const logAtStart = await wb.logMark();
    // The toolbar is codicons, each named for screen readers, shortcuts in the tooltips.
    // (vscode-toolbar-button names its inner button from its `label` attribute.)
    const buttons = await frame.locator('#phone-toolbar vscode-toolbar-button').evaluateAll((bs) => bs.map((b) => [b.getAttribute('icon'), b.getAttribute('label')]));
    assert.ok(buttons.length >= 12 && buttons.every(([icon, label]) => icon && label), JSON.stringify(buttons));
    assert.match((await frame.locator('#key-home').getAttribute('label')) ?? '', /^Home \(Alt\+H\)$/);
    // Stock Android has no clipboard shell command: the copy button says so and is off.
    await waitUntil('the clipboard verdict', async () => (await frame.locator('#copy-from-phone').getAttribute('data-available')) === 'false', 15000);
    assert.match((await frame.locator('#copy-from-phone').getAttribute('title')) ?? '', /not available: .*No shell command implementation/);

    // Open Notes and tap its field through the panel: the screen takes the keyboard.
    adb('shell', 'am', 'start', '-n', 'com.mobileai.notes/.MainActivity');
    const field = /resource-id="com\.mobileai\.notes:id\/note_input"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]"/.exec(dump());
    assert.ok(field, 'Notes shows its field');
    const [l, tp, r, b] = field.slice(1).map(Number);
    const box = (await frame.locator('#screen').boundingBox())!;
    await frame.locator('#screen').click({ position: { x: ((l + r) / 2 / 720) * box.width, y: ((tp + b) / 2 / 1600) * box.height } });
    await waitUntil('the keyboard focus on the screen', async () => (await frame.evaluate(() => document.activeElement?.id)) === 'kbd', 10000);
    await waitUntil('the phone field focused', async () => /resource-id="com\.mobileai\.notes:id\/note_input"[^>]*\sfocused="true"/.test(dump()), 10000);
    const nasty = `'; rm -rf / $(x) "`;
    await wb.page.keyboard.type(nasty);
    await wb.page.keyboard.press('Enter');
    const xmlText = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
    await waitUntil('the note, typed exactly', async () => dump().includes(`text="${xmlText(nasty)}" resource-id="com.mobileai.notes:id/note_text"`), 15000);
    // Typed text is batched into quoted `input text` arguments (spaces as %s, Android's rule).
    await wb.waitForLog(/exec: input text /, 10000, { since: logAtStart });
    await wb.waitForLog(/exec: input keyevent 66/, 10000, { since: logAtStart });
    // An IME composes in the screen's textarea: the composed text goes to the phone once, at the end.
    await frame.evaluate(() => {
      const kbd = document.getElementById('kbd') as HTMLTextAreaElement;
      kbd.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
      for (const partial of ['o', 'ok']) {
        kbd.value = partial;
        kbd.dispatchEvent(new CompositionEvent('compositionupdate', { data: partial }));
        kbd.dispatchEvent(new InputEvent('input', { data: partial, isComposing: true, inputType: 'insertCompositionText' }));
      }
      kbd.dispatchEvent(new CompositionEvent('compositionend', { data: 'ok' }));
    });
    await wb.page.keyboard.press('Enter');
    await waitUntil('the composed note, once', async () => /text="ok" resource-id="com\.mobileai\.notes:id\/note_text"/.test(dump()), 15000);
    // Esc is Back: the keyboard closes, then Notes goes.
    await wb.page.keyboard.press('Escape');
    await wb.waitForLog(/exec: input keyevent 4\b/, 10000);

    // Rotate: the phone turns and the view follows.
    await frame.locator('#rotate').click();
    await waitUntil('a landscape picture', async () => frame.evaluate(() => {
      const c = document.getElementById('screen') as HTMLCanvasElement;
      return c.width > c.height * 2;
    }), 20000);
    await wb.waitForLog(/exec: settings put system user_rotation 1/, 10000, { since: logAtStart });
    await wb.waitForLog(/display turned to rotation 1 \(1600x720\)/, 10000, { since: logAtStart });
    adb('shell', 'settings', 'put', 'system', 'user_rotation', '0');
    await waitUntil('portrait again', async () => frame.evaluate(() => {
      const c = document.getElementById('screen') as HTMLCanvasElement;
      return c.height > c.width * 2;
    }), 20000);

    // Fullscreen: the webview's own fullscreen where allowed; else the screen fills the panel.
    await frame.locator('#fullscreen').click();
    const how = await waitUntil('fullscreen or filled', async () => frame.evaluate(() => (document.fullscreenElement ? 'fullscreen' : document.body.classList.contains('filled') ? 'filled' : '')), 5000);
    t.diagnostic(`fullscreen in code-server's webview: ${how}`);
    const big = (await frame.locator('#screen').boundingBox())!;
    assert.ok(big.height > box.height, `the screen grew (${box.height} → ${big.height} px)`);
    await frame.locator('#kbd').focus();
    await wb.page.keyboard.press('Alt+f');
    await waitUntil('back to the panel', async () => frame.evaluate(() => !document.fullscreenElement && !document.body.classList.contains('filled')), 5000);

    // Drop APKs from the computer onto the panel: the first installs, an older one is refused in Android's words.
    const drop = async (name: string, bytes: Buffer) => frame.evaluate(([n, b64]) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], n, { type: 'application/vnd.android.package-archive' }));
      const target = document.getElementById('screen') as HTMLElement;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [name, bytes.toString('base64')] as const);
    const apk = (versionCode: number) => buildApk({ package: 'com.example.dropped', versionCode, versionName: `${versionCode}.0`, minSdk: 24, targetSdk: 34, label: 'Dropped', activities: [{ name: '.MainActivity', launcher: true }], signer: 'e2e-key' });
    await drop('dropped-v2.apk', apk(2));
    await waitUntil('the APK installed', async () => /package:com\.example\.dropped\b/.test(adb('shell', 'pm', 'list', 'packages')), 30000);
    await waitUntil('the panel says so', async () => /dropped-v2\.apk: installed/.test(await frame.locator('#transfers').innerText()), 10000);
    await drop('dropped-v1.apk', apk(1));
    await waitUntil("Android's refusal in the panel", async () => /dropped-v1\.apk: not installed: Failure \[INSTALL_FAILED_VERSION_DOWNGRADE/.test(await frame.locator('#transfers').innerText()), 30000);

    // The display poll (once a second all along) left no line per poll in the output channel.
    const log = (await wb.outputChannel()).slice(logAtStart);
    assert.equal((log.match(/dumpsys display/g) ?? []).length, 0, 'no dumpsys line per poll');
  });
});

test('Deploy to Phone from the palette pushes the chosen model, verified on the phone', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Deploy to Phone');
    // The sample workspace's mobileai.yaml lists mnist with deploy settings: picking it asks nothing more.
    const pick = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'models/mnist.onnx' }).first();
    await pick.waitFor({ timeout: 15000 });
    await pick.click();
    await wb.waitForLog(/deployed 1 file\(s\)/, 30000);
    assert.match(await wb.outputChannel(), /deploy mnist\.onnx → .*\/data\/local\/tmp\/mobileai\/models \(mobileai\.yaml's deploy settings for "mnist"\)/);
    const history = path.join(wb.workspace, '.mobileai');
    assert.ok((await readdir(history)).includes('deploy-history.jsonl'));
    assert.match(await wb.outputChannel(), /sha256 verified/);
    const local = createHash('sha256').update(await readFile(path.join(wb.workspace, 'models', 'mnist.onnx'))).digest('hex');
    const onPhone = execFileSync('adb', ['-P', String(wb.adbPort), '-s', wb.phoneSerial, 'shell', 'sha256sum', '/data/local/tmp/mobileai/models/mnist.onnx'], { encoding: 'utf8' });
    assert.equal(onPhone.split(/\s+/)[0], local, 'the model is on the phone, byte for byte');
  });
});
