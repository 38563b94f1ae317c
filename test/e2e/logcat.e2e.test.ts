/**
 * The Logcat view in the real workbench, on the virtual phone: live lines coloured by level, the level, tag,
 * package and text filters, a crash found and shown, pause and resume, clear (the phone's log too), and the
 * phone going away and coming back. The phone is driven with the real adb CLI, as a user's own commands would.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Frame } from 'playwright-core';
import { Workbench, waitUntil } from './harness';

let wb: Workbench;
let frame: Frame;
const adbRaw = (...args: string[]) => execFileSync('adb', ['-P', String(wb.adbPort), ...args], { encoding: 'utf8' });
const adb = (...args: string[]) => adbRaw('-s', wb.phoneSerial, ...args);

before(async () => {
  wb = await Workbench.open();
});
after(async () => {
  await wb?.close();
});

interface Line { seq: number; level: string; time: string; tag: string; ids: string; msg: string; cls: string }

/** The lines the view draws now (it draws the ones in view). */
async function lines(): Promise<Line[]> {
  // A string, so that the page gets plain JavaScript (no helpers of the test's own compiler).
  return frame.evaluate(`Array.from(document.querySelectorAll('#viewport .line')).map((e) => ({
    seq: Number(e.dataset.seq), level: e.dataset.level || '', cls: e.className,
    time: e.querySelector('.time') ? e.querySelector('.time').textContent : '',
    tag: e.querySelector('.tag') ? e.querySelector('.tag').textContent : '',
    ids: e.querySelector('.ids') ? e.querySelector('.ids').textContent : '',
    msg: e.querySelector('.msg') ? e.querySelector('.msg').textContent : '',
  }))`);
}
const shown = async () => Number(await frame.locator('#log').getAttribute('data-rows'));
const state = async () => (await frame.locator('#log').getAttribute('data-state')) ?? '';

/** Waits until the extension's output channel has a line (the host's log is written by a background thread). */
async function logged(re: RegExp): Promise<void> {
  await waitUntil(`the output channel to say ${re}`, async () => re.test(await wb.outputChannel()), 15000);
}

/** Picks the minimum level as a user does: open the drop-down, click the level's option. */
async function chooseLevel(level: string): Promise<void> {
  const names: Record<string, string> = { V: 'Verbose', D: 'Debug', I: 'Info', W: 'Warn', E: 'Error', F: 'Fatal / Assert' };
  if ((await frame.locator('#level').evaluate((e) => (e as HTMLSelectElement).value)) === level) return;
  await frame.locator('#level').click();
  await frame.locator('#level').getByRole('option', { name: names[level], exact: true }).click();
  await waitUntil(`level ${level} chosen`, async () => (await frame.locator('#level').evaluate((e) => (e as HTMLSelectElement).value)) === level, 5000);
}

async function setFilter(f: { level?: string; tag?: string; package?: string; text?: string; regex?: boolean }): Promise<void> {
  await chooseLevel(f.level ?? 'V');
  await frame.locator('#tag input').fill(f.tag ?? '');
  await frame.locator('#package').fill(f.package ?? '');
  await frame.locator('#text input').fill(f.text ?? '');
  // The regex toggle is a switch (role="switch", aria-checked) inside the toolbar button.
  if ((await frame.locator('#regex button').isChecked()) !== (f.regex ?? false)) await frame.locator('#regex button').click();
  // The rows on screen are this filter's once the list names it (the host's reset for it came) and no newer change is on its way.
  const want = JSON.stringify({ level: f.level ?? 'V', tag: f.tag ?? '', package: (f.package ?? '').trim(), text: f.text ?? '', regex: f.regex ?? false, matchCase: false });
  await waitUntil(`the rows of the filter ${want}`, async () => {
    const [shownFilter, busy] = await frame.locator('#log').evaluate((e) => [e.getAttribute('data-filter'), e.getAttribute('aria-busy')]);
    return shownFilter === want && busy !== 'true';
  }, 20000);
}

/** How many "Displayed com.mobileai.notes" lines the phone's own log holds (adb logcat -d). */
const displayedOnPhone = () => [...adb('logcat', '-d').matchAll(/ I ActivityTaskManager: Displayed com\.mobileai\.notes\//g)].length;

test('Show Logcat streams the phone\'s log live, coloured by level from the theme', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Show Logcat');
    frame = await wb.webviewFrame(async (f) => (await f.$('#log').catch(() => null)) !== null, 60000);
    await waitUntil('streaming', async () => (await state()) === 'streaming', 30000);
    await waitUntil('the phone\'s boot lines', async () => (await shown()) > 5, 30000);
    const before = await shown();
    adb('shell', 'am', 'start', '-n', 'com.mobileai.notes/.MainActivity');
    await waitUntil('the launch, live', async () => (await lines()).some((l) => l.tag === 'ActivityManager' && /^Start proc \d+:com\.mobileai\.notes\//.test(l.msg)), 20000);
    assert.ok((await shown()) > before);
    await logged(/exec-stream: logcat -v threadtime/);
    // Colours come from the theme's variables, one per level.
    const colours = await frame.evaluate(`(() => {
      const css = getComputedStyle(document.documentElement);
      const probe = document.createElement('span');
      document.body.append(probe);
      const out = {};
      for (const [lvl, v] of [['I', '--vscode-terminal-ansiGreen'], ['D', '--vscode-terminal-ansiBlue']]) {
        const e = document.querySelector('#viewport .line.lvl-' + lvl + ':not(.cont) .lvl');
        probe.style.color = css.getPropertyValue(v).trim();
        out[lvl] = e ? getComputedStyle(e).backgroundColor : undefined;
        out[lvl + 'theme'] = getComputedStyle(probe).color;
      }
      return out;
    })()`) as { I?: string; Itheme: string; D?: string; Dtheme: string };
    assert.ok(colours.I, 'an Info line is drawn');
    assert.equal(colours.I, colours.Itheme, 'Info lines use the theme\'s green');
    if (colours.D) assert.equal(colours.D, colours.Dtheme, 'Debug lines use the theme\'s blue');
  });
});

test('a crash is listed, and Next crash scrolls to its FATAL EXCEPTION lines and highlights them', async (t) => {
  await wb.step(t.name, async () => {
    adb('shell', 'am', 'crash', 'com.mobileai.notes');
    await waitUntil('the crash in the list', async () => (await frame.locator('#crashes').getAttribute('data-count')) === '1', 20000);
    assert.match(await frame.locator('#crashes vscode-option').nth(1).innerText(), /com\.mobileai\.notes: .*CrashedByAdbException/);
    // More lines after it, so that it scrolls out of view.
    for (let i = 0; i < 4; i++) {
      adb('shell', 'am', 'start', '-n', 'com.android.settings/.Settings');
      adb('shell', 'am', 'start', '-n', 'com.mobileai.notes/.MainActivity');
    }
    await frame.evaluate('document.getElementById("log").scrollTop = 1e9');
    await frame.locator('#next-crash').click();
    const hl = await waitUntil('highlighted crash lines in view', async () => {
      const l = (await lines()).filter((x) => x.cls.includes(' hl'));
      return l.length ? l : undefined;
    });
    assert.equal(hl[0].msg, 'FATAL EXCEPTION: main');
    assert.equal(hl[0].tag, 'AndroidRuntime');
    assert.ok(hl.some((l) => /^Process: com\.mobileai\.notes, PID: \d+$/.test(l.msg)));
    assert.ok(hl.some((l) => /^\tat android\.app\.ActivityThread/.test(l.msg)), 'the stack trace is part of it');
    // The list redraws as the launches' lines keep arriving (a drawn row can be replaced between two reads):
    // the first crash line must be in view once the drawing settles, and stay there.
    const inView = async () => {
      const box = await frame.locator('#viewport .line.hl').first().boundingBox().catch(() => null);
      const view = await frame.locator('#log').boundingBox().catch(() => null);
      return box && view && box.y >= view.y && box.y < view.y + view.height ? true : undefined;
    };
    await waitUntil('the first line of the crash in view', inView, 10000);
    await wb.page.waitForTimeout(500);
    assert.ok(await waitUntil('the first line of the crash still in view', inView, 3000), 'the first line of the crash is in view');
  });
});

test('the filters: minimum level, tag, package (its processes) and text or regex', async (t) => {
  await wb.step(t.name, async () => {
    await setFilter({});
    const all = await shown();
    await setFilter({ level: 'W' });
    const warn = await lines();
    assert.ok(warn.length > 0 && warn.every((l) => ['W', 'E', 'F'].includes(l.level)), JSON.stringify(warn.slice(0, 5)));
    assert.ok((await shown()) < all);
    await setFilter({ tag: 'ActivityTaskManager' });
    const tagged = (await lines()).filter((l) => !l.cls.includes('cont'));
    assert.ok(tagged.length > 0 && tagged.every((l) => l.tag === 'ActivityTaskManager'), JSON.stringify(tagged.slice(0, 5)));
    // Every process the package has had (it was restarted after the crash): from ActivityManager's own lines.
    const pids = [...adb('logcat', '-d').matchAll(/Start proc (\d+):com\.mobileai\.notes\//g)].map((m) => m[1]);
    assert.ok(pids.length >= 2, `the app started twice: ${pids.join(', ')}`);
    await setFilter({ package: 'com.mobileai.notes' });
    const ofPackage = await waitUntil('the package\'s lines', async () => {
      const l = await lines();
      return l.length ? l : undefined;
    });
    assert.ok(ofPackage.every((l) => l.cls.includes('cont') || pids.some((p) => l.ids.startsWith(`${p}-`))), `only pids ${pids.join(', ')}: ${JSON.stringify(ofPackage.slice(0, 5))}`);
    assert.ok(ofPackage.some((l) => l.tag === 'MainActivity'), 'the app\'s own lines');
    await setFilter({ text: 'displayed' });
    const found = await lines();
    assert.ok(found.length > 0 && found.every((l) => /displayed/i.test(l.msg)), JSON.stringify(found));
    await setFilter({ text: '^(START u0|Displayed) .*notes', regex: true });
    const re = await lines();
    assert.ok(re.length >= 2 && re.every((l) => /^(START u0|Displayed) .*notes/.test(l.msg)), JSON.stringify(re));
    await setFilter({ text: '([', regex: true });
    assert.match(await frame.locator('#filter-error').innerText(), /Invalid regular expression/);
    await setFilter({});
    assert.equal(await shown(), all, 'no filter: every line again');
  });
});

test('pause keeps collecting without moving the view; resume shows what came meanwhile', async (t) => {
  await wb.step(t.name, async () => {
    await setFilter({});
    await frame.locator('#end').click();
    await frame.locator('#pause').click();
    await waitUntil('paused', async () => (await state()) === 'paused');
    const n = await shown();
    adb('shell', 'am', 'start', '-n', 'com.android.settings/.Settings');
    await waitUntil('the waiting lines counted', async () => /Paused: [1-9][\d,]* new lines? waiting/.test(await frame.locator('#state').innerText()), 15000);
    assert.equal(await shown(), n, 'nothing added while paused');
    await frame.locator('#pause').click();
    await waitUntil('the lines that came while paused', async () => (await shown()) > n, 10000);
    assert.equal(await state(), 'streaming');
  });
});

test('clear empties the view and the phone\'s log (logcat -c)', async (t) => {
  await wb.step(t.name, async () => {
    await frame.locator('#clear').click();
    await waitUntil('an empty view', async () => (await shown()) === 0, 10000);
    assert.equal(await frame.locator('#crashes').getAttribute('data-count'), '0');
    const dump = adb('logcat', '-d');
    assert.doesNotMatch(dump, /FATAL EXCEPTION|Start proc/, 'the phone\'s buffers are empty too');
    await logged(/exec: logcat -c/);
  });
});

test('the phone going away is said; when it is back the log goes on without repeating lines', async (t) => {
  await wb.step(t.name, async () => {
    await setFilter({});
    const launch = () => {
      adb('shell', 'am', 'force-stop', 'com.mobileai.notes');
      adb('shell', 'am', 'start', '-n', 'com.mobileai.notes/.MainActivity');
    };
    launch();
    await setFilter({ text: 'Displayed com.mobileai.notes' });
    // Every launch the phone has logged (the log was cleared in the test before), each shown once.
    const k = displayedOnPhone();
    assert.ok(k >= 1, 'the phone logged the launch');
    await waitUntil('the launch', async () => (await shown()) === k, 15000);
    adbRaw('disconnect', wb.phoneSerial);
    await waitUntil('disconnected', async () => (await state()) === 'disconnected', 20000);
    assert.match(await frame.locator('#state').innerText(), /not connected.*kept.*resumes when the phone is back/);
    assert.equal(await shown(), k, 'the lines so far are kept');
    adbRaw('connect', wb.phoneSerial);
    await waitUntil('streaming again', async () => (await state()) === 'streaming', 30000);
    // A launch newer than everything shown: logcat prints it after the buffer it reads again, so once it is on
    // screen the whole buffer has been through, however slowly it came.
    launch();
    assert.equal(displayedOnPhone(), k + 1, 'the phone logged the new launch');
    await waitUntil('a new launch after the reconnect', async () => (await shown()) >= k + 1, 20000);
    assert.equal(await shown(), k + 1, 'the phone\'s buffer, read again, adds no copies');
    const all = await lines();
    assert.equal(all.length, k + 1);
    assert.equal(new Set(all.map((l) => `${l.time} ${l.ids} ${l.msg}`)).size, k + 1, `no line twice: ${JSON.stringify(all)}`);
  });
});
