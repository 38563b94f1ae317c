/**
 * End-to-end harness: the real main job (adb server, virtual phone, code-server with the packaged .vsix)
 * driven in Debian's Chromium by playwright-core, as a user would. Reusable by every feature's e2e tests.
 */
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore: plain ESM helpers shared with `npm start`
import { launchWorkbench, prepareWorkspace, freePort } from '../../scripts/workbench.mjs';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
const ROOT = path.resolve(__dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-results', 'e2e');

interface Launched {
  url: string;
  userDir: string;
  logsDir: string;
  stop(): Promise<void>;
  codeServerLog(): string;
}

export class Workbench {
  private constructor(
    readonly page: Page,
    private readonly browser: Browser,
    private readonly launched: Launched,
    readonly workspace: string,
    readonly adbPort: number,
    readonly phoneSerial: string,
    private readonly tmp: string,
  ) {}

  /** `prepare` adds or changes workspace files before the workbench starts (it knows the phone's serial). */
  static async open(opts: { settings?: Record<string, unknown>; prepare?: (workspace: string, phoneSerial: string) => Promise<void> } = {}): Promise<Workbench> {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-e2e-'));
    const home = path.join(tmp, 'home');
    await mkdir(home, { recursive: true });
    const workspace = prepareWorkspace(path.join(tmp, 'workspace')) as string;
    const [port, adbPort, phonePort] = [await freePort(), await freePort(), await freePort()];
    await opts.prepare?.(workspace, `127.0.0.1:${phonePort}`);
    const launched = (await launchWorkbench({
      port, adbPort, phonePort, workspace, dataDir: path.join(tmp, 'data'), home, env: { HOME: home }, settings: opts.settings, log: () => undefined,
    })) as Launched;
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, `--user-data-dir=${path.join(tmp, 'chromium')}`].filter((a) => !a.startsWith('--user-data-dir')) });
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      // The browser's console and uncaught errors of every frame (webviews included), for the failure artifacts.
      page.on('console', (m) => keepConsole(page, `${m.type()} ${m.location().url ? `${m.location().url.replace(/^.*\//, '')}:${m.location().lineNumber}` : ''} ${m.text()}`));
      page.on('pageerror', (e) => keepConsole(page, `pageerror ${e.stack ?? e.message}`));
      page.on('crash', () => keepConsole(page, 'the page crashed'));
      await page.goto(launched.url);
      await page.waitForSelector('.monaco-workbench .activitybar', { timeout: 90000 });
      // Our extension's contributions are registered (its activity bar item shows, and with it the custom
      // editors): a file double-clicked before that opens in the text editor ("binary"), as it would for a user.
      await page.locator('.activitybar .action-item a[aria-label^="Mobile AI"]').waitFor({ timeout: 90000 });
      return new Workbench(page, browser, launched, workspace, adbPort, `127.0.0.1:${phonePort}`, tmp);
    } catch (err) {
      await browser?.close();
      await launched.stop();
      throw err;
    }
  }

  /** Opens a view container from the activity bar by its title (a click on an open one would close it). */
  async openActivity(title: string): Promise<void> {
    const item = this.page.locator(`.activitybar .action-item a[aria-label^="${title}"]`);
    await item.waitFor({ timeout: 30000 });
    const sidebarTitle = this.page.locator('.part.sidebar .composite.title h2');
    const open = (await sidebarTitle.isVisible().catch(() => false)) && (await sidebarTitle.innerText()).toUpperCase().startsWith(title.toUpperCase());
    if (!open) await item.click();
    await this.page.locator('.part.sidebar .composite.title h2', { hasText: new RegExp(`^${title}`, 'i') }).waitFor({ timeout: 10000 });
  }

  /** The rows of a tree view (by its pane title), as the user reads them. */
  async treeRows(viewTitle: string): Promise<string[]> {
    const pane = this.page.locator('.pane').filter({ has: this.page.locator(`.pane-header[aria-label*="${viewTitle}"]`) });
    return pane.locator('.monaco-list-row').allInnerTexts();
  }

  /**
   * Runs a command from the command palette by its title, as a user types it. The palette re-renders its rows
   * as it filters (and as the extension host registers commands), so a click on a row can land on a row being
   * replaced: instead the palette's own focus is moved to the wanted row, Enter runs it, and the palette must
   * then have closed or moved on (another quick input). Only this palette interaction is tried again.
   */
  async runCommand(title: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('input.input, input').first();
    // The palette's fuzzy filter gives up on long queries: type the start, then pick the full title.
    const typed = `>${title.slice(0, 40)}`;
    let lastProblem = '';
    for (;;) {
      if (await widget.isVisible().catch(() => false)) {
        await this.page.keyboard.press('Escape');
        await widget.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
      }
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ timeout: 10000 });
        await input.fill(typed);
        if ((await input.inputValue()) !== typed) throw new Error(`the palette reads ${JSON.stringify(await input.inputValue())}`);
        // The list's own focus on the row whose label is the title, with or without a closing "…" (a longer
        // title that contains it is another command).
        await waitUntil(`"${title}" focused in the palette`, async () => {
          // (No named helpers inside the page function: the test's compiler would wrap them in a helper the page lacks.)
          const rows = await widget.locator('.monaco-list-row').evaluateAll((els, want) => els.map((el) => ({
            wanted: (el.querySelector('.label-name')?.textContent ?? '').trim().replace(/(…|\.\.\.)$/, '') === want
              || (el.getAttribute('aria-label') ?? '').trim().replace(/(…|\.\.\.)$/, '') === want
              || (el.getAttribute('aria-label') ?? '').replace(/(…|\.\.\.)?, .*$/, '') === want,
            focused: el.classList.contains('focused'),
            index: Number(el.getAttribute('data-index') ?? -1),
          })), title.trim().replace(/(…|\.\.\.)$/, ''));
          const wanted = rows.find((r) => r.wanted);
          const focused = rows.find((r) => r.focused);
          if (!wanted) return undefined;
          if (focused?.wanted) return true;
          if (focused && wanted.index >= 0 && focused.index >= 0) await this.page.keyboard.press(wanted.index > focused.index ? 'ArrowDown' : 'ArrowUp');
          else await this.page.keyboard.press('ArrowDown');
          return undefined;
        }, 3000);
        if ((await input.inputValue()) !== typed) throw new Error(`the palette's text changed to ${JSON.stringify(await input.inputValue())}`);
        await input.press('Enter');
        // Ran: the palette closed, or the same widget now asks the command's own question.
        await waitUntil(`the palette to close or move on after "${title}"`, async () => !(await widget.isVisible()) || (await input.inputValue()) !== typed, 5000);
        return;
      } catch (err) {
        lastProblem = (err as Error).message;
        if (Date.now() > deadline) {
          const rows = await widget.locator('.monaco-list-row').allInnerTexts().catch(() => []);
          throw new Error(`could not run "${title}" from the palette: ${lastProblem}; rows: ${rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ') || '(none)'}`);
        }
        await this.page.keyboard.press('Escape');
        await this.page.waitForTimeout(500);
      }
    }
  }

  /**
   * The input of the quick input box a command opened, found by its title or prompt (not just any quick input:
   * the palette's own, or the one before it while it closes, would take the typing).
   */
  async inputBox(title: RegExp, timeoutMs = 15000): Promise<Locator> {
    const widget = this.page.locator('.quick-input-widget', { has: this.page.locator('.quick-input-title, .quick-input-message', { hasText: title }) });
    await widget.waitFor({ timeout: timeoutMs });
    const input = widget.locator('.quick-input-box input').first();
    await input.waitFor({ timeout: timeoutMs });
    return input;
  }

  /** Types an answer into the input box with this title or prompt, checks it reads so, and presses Enter. */
  async answerInputBox(title: RegExp, value: string, timeoutMs = 15000): Promise<void> {
    const input = await this.inputBox(title, timeoutMs);
    await waitUntil(`${JSON.stringify(value)} in the "${title.source}" box`, async () => {
      await input.fill(value);
      return (await input.inputValue()) === value;
    }, timeoutMs);
    await input.press('Enter');
    // Taken: that box is gone (closed, or the widget asks something else).
    await this.page.locator('.quick-input-widget', { has: this.page.locator('.quick-input-title, .quick-input-message', { hasText: title }) })
      .waitFor({ state: 'hidden', timeout: timeoutMs });
  }

  /**
   * Runs an item of a workspace file's Explorer context menu, as a user does: the extension's items appear once
   * its contributions are loaded, so the menu is reopened until it has the item; a menu item takes the mouse-up
   * of a click, so it is hovered (focused) and Enter runs it, as a keyboard user would.
   */
  async explorerMenu(fileName: string, itemLabel: string): Promise<void> {
    await this.openActivity('Explorer');
    const file = this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first();
    await file.waitFor({ timeout: 15000 });
    const item = this.page.locator('.context-view .action-item', { hasText: itemLabel }).first();
    await waitUntil(`"${itemLabel}" in the explorer menu of ${fileName}`, async () => {
      await file.click({ button: 'right' });
      if (await item.waitFor({ timeout: 1500 }).then(() => true, () => false)) return true;
      await this.page.keyboard.press('Escape');
      return undefined;
    }, 60000);
    await item.hover();
    await this.page.keyboard.press('Enter');
  }

  /** Answers VS Code's own open/save file dialog (a quick input) with a path, once it has read its folder. */
  async answerFileDialog(value: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 15000 });
    // The dialog fills in its folder once it has read it: type after that, and check the text stayed.
    await this.page.locator('.quick-input-widget .monaco-list-row').first().waitFor({ timeout: 15000 });
    for (let i = 0; i < 10; i++) {
      await input.fill(value);
      await this.page.waitForTimeout(500);
      if ((await input.inputValue()) === value) break;
    }
    await input.press('Enter');
  }

  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  }

  /** The "Mobile AI" output channel as written by the extension host (a LogOutputChannel file). */
  async outputChannel(name = 'Mobile AI'): Promise<string> {
    const found = await findFile(this.launched.logsDir, `${name}.log`);
    return found ? readFile(found, 'utf8') : '';
  }

  /** How much the output channel holds now: pass it as `since` to the log waits to look only at what comes after. */
  async logMark(name = 'Mobile AI'): Promise<number> {
    return (await this.outputChannel(name)).length;
  }

  /**
   * Waits until the output channel (from `since`) has a line matching `re`, and returns that part of the log.
   * The extension host writes the channel's file from a background logger, so a line logged before the UI
   * showed its result can reach the file a moment after the UI: reading it once right away can miss it.
   */
  async waitForLog(re: RegExp, timeoutMs = 10000, opts: { since?: number; name?: string } = {}): Promise<string> {
    let text = '';
    try {
      return await waitUntil(`${re} in the output channel`, async () => {
        text = (await this.outputChannel(opts.name)).slice(opts.since ?? 0);
        return re.test(text) ? text : undefined;
      }, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nthe output channel${opts.since ? ' (since the mark)' : ''} ends with:\n${text.trim().split('\n').slice(-10).join('\n')}`);
    }
  }

  /**
   * Waits until `re` occurs exactly `count` times in the output channel (from `since`), then, `holdMs` later,
   * checks it is still `count` (a line written twice would arrive late too). Fails as soon as there are more.
   */
  async waitForLogCount(re: RegExp, count: number, opts: { since?: number; timeoutMs?: number; holdMs?: number; name?: string } = {}): Promise<string> {
    const all = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    const read = async () => {
      const text = (await this.outputChannel(opts.name)).slice(opts.since ?? 0);
      return { text, n: text.match(all)?.length ?? 0 };
    };
    let last = { text: '', n: 0 };
    const deadline = Date.now() + (opts.timeoutMs ?? 10000);
    for (;;) {
      last = await read();
      if (last.n >= count) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (last.n === count) {
      await new Promise((r) => setTimeout(r, opts.holdMs ?? 1000));
      last = await read();
      if (last.n === count) return last.text;
    }
    throw new Error(`${re} occurs ${last.n} times in the output channel${opts.since ? ' since the mark' : ''}, expected ${count}; it ends with:\n${last.text.trim().split('\n').slice(-10).join('\n')}`);
  }

  /** The extension host's own log (activation events and errors). */
  async extensionHostLog(): Promise<string> {
    const found = await findFile(this.launched.logsDir, 'exthost.log');
    return found ? readFile(found, 'utf8') : '';
  }

  /**
   * The content frame of a webview panel (VS Code nests the app in iframe.webview > iframe#active-frame),
   * for tests that read a webview's DOM. `match` picks the panel by its title or its extension-given id.
   */
  async webviewFrame(match: (frame: Frame) => boolean | Promise<boolean> = () => true, timeoutMs = 30000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame() || f.isDetached()) continue;
        if (await Promise.resolve(match(f)).catch(() => false)) return f;
      }
      if (Date.now() > deadline) throw new Error(`no matching webview frame\n${await this.describeFrames()}`);
      await this.page.waitForTimeout(200);
    }
  }

  /**
   * Serves the next webview's outer frame (`…/webview/browser/pre/index.html?id=…`) empty, so its page never
   * loads: a panel as code-server's service worker can leave one (see DEVELOPERS.md). `reopened()` waits
   * until `what` is in the log and the next frame (the reopened panel's, served as it is) was asked for.
   */
  async blankNextWebview(): Promise<{ reopened(what: RegExp): Promise<void> }> {
    let served = 0;
    const frame = /\/webview\/browser\/pre\/index\.html\?/;
    await this.page.route(frame, (route) => (served++ === 0 ? route.fulfill({ contentType: 'text/html', body: '<!DOCTYPE html><title>blank</title>' }) : route.continue()));
    const mark = await this.logMark();
    return {
      reopened: async (what: RegExp) => {
        await this.waitForLog(what, 40000, { since: mark });
        await waitUntil('the reopened webview\'s frame', () => served >= 2, 15000);
        await this.page.unroute(frame);
      },
    };
  }

  /** What each frame of the page holds, for a failure message (CI shows the message, not the artifacts). */
  async describeFrames(): Promise<string> {
    const lines: string[] = [];
    for (const f of this.page.frames()) {
      if (f === this.page.mainFrame()) continue;
      const text = f.isDetached() ? '(detached)' : await f.evaluate(() => document.body?.innerText ?? '').catch((e: Error) => `(unreadable: ${e.message})`);
      lines.push(`  frame ${f.url().replace(/\?.*/, '').slice(-60)}: ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
    const tabs = await this.page.locator('.tabs-container .tab').allInnerTexts().catch(() => []);
    const toasts = await this.notifications().catch(() => []);
    const log = (await this.outputChannel().catch(() => '')).trim().split('\n').slice(-8);
    return [`frames (${lines.length}):`, ...lines, `editor tabs: ${tabs.map((t) => t.replace(/\s+/g, ' ')).join(' | ') || '(none)'}`,
      `notifications: ${toasts.map((t) => t.replace(/\s+/g, ' ')).join(' | ') || '(none)'}`, 'Mobile AI output (last lines):', ...log.map((l) => `  ${l}`)].join('\n');
  }

  /**
   * The extension host's own activation time for an extension, as VS Code shows it in
   * "Developer: Show Running Extensions" (code loading + activate() until it resolves).
   */
  async activationTimeMs(displayName: string): Promise<number> {
    await this.runCommand('Developer: Show Running Extensions');
    const row = this.page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: displayName }).first();
    const text = await waitUntil(`the ${displayName} row with its activation time`, async () => {
      const t = await row.innerText().catch(() => '');
      return /Activation:\s*\d+\s*ms/.test(t) ? t : undefined;
    });
    await this.page.keyboard.press('Control+W');
    return Number(/Activation:\s*(\d+)\s*ms/.exec(text)?.[1]);
  }

  /** Saves a screenshot of the workbench and the extension's logs for a failed test. */
  async saveArtifacts(testName: string): Promise<string> {
    const dir = path.join(ARTIFACTS, testName.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80));
    await mkdir(dir, { recursive: true });
    await this.page.screenshot({ path: path.join(dir, 'workbench.png') }).catch(() => undefined);
    await writeFile(path.join(dir, 'mobile-ai-output.log'), await this.outputChannel().catch(() => ''));
    await writeFile(path.join(dir, 'exthost.log'), await this.extensionHostLog().catch(() => ''));
    await writeFile(path.join(dir, 'code-server.log'), this.launched.codeServerLog());
    await writeFile(path.join(dir, 'browser-console.log'), (consoleLines.get(this.page) ?? []).join('\n'));
    return dir;
  }

  /** Runs a test step; on failure leaves artifacts and rethrows. */
  async step<T>(testName: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const dir = await this.saveArtifacts(testName);
      (err as Error).message += `\n(artifacts: ${dir})`;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await this.launched.stop();
    // code-server's last writes into its storage can land while the folder is removed: retry.
    await rm(this.tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }

  async copyToArtifacts(file: string, testName: string): Promise<void> {
    const dir = path.join(ARTIFACTS, testName.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80));
    await mkdir(dir, { recursive: true });
    await copyFile(file, path.join(dir, path.basename(file)));
  }
}

/** The last 1,000 console lines of each page, with the time they came. */
const consoleLines = new WeakMap<Page, string[]>();
function keepConsole(page: Page, line: string): void {
  const lines = consoleLines.get(page) ?? [];
  lines.push(`${new Date().toISOString()} ${line}`);
  if (lines.length > 1000) lines.splice(0, lines.length - 1000);
  consoleLines.set(page, lines);
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  let best: string | undefined;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) {
      const p = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
      if (!best || p > best) best = p;
    }
  }
  return best;
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
