/**
 * A blank webview is reopened (extension/vscode/webviews/panelHost.ts), on the vscode stub.
 *
 * What it stands for, seen in CI in code-server: the agent run opened its trace viewer and the phone's
 * screen together, and one of the two panels stayed blank for good (its outer frame waited for a service
 * worker `controllerchange` that never came; the other panel was fine). The page never sent `ready`.
 * Here a page that never speaks is a stub panel whose handlers nobody calls.
 */
import { afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installVscodeStub, type FakePanel } from '../helpers/vscodeStub';

const stub = installVscodeStub();
let PanelHost: typeof import('../../extension/vscode/webviews/panelHost').PanelHost;
let pageLoad: typeof import('../../extension/vscode/webviews/panelHost').pageLoad;
let AgentViewer: typeof import('../../extension/vscode/agent/agentViewer').AgentViewer;

const TIMEOUT = 40;
before(async () => {
  ({ PanelHost, pageLoad } = await import('../../extension/vscode/webviews/panelHost'));
  ({ AgentViewer } = await import('../../extension/vscode/agent/agentViewer'));
  pageLoad.timeoutMs = TIMEOUT;
});
afterEach(() => {
  stub.clear();
  pageLoad.maxReopens = 2;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls every 2 ms (the reopen timer is 40 ms: a page can answer before the next one). */
async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}
function logger() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => void lines.push(`info ${m}`), warn: (m: string) => void lines.push(`warn ${m}`), error: (m: string) => void lines.push(`error ${m}`), debug: () => undefined } };
}
function spec(title: string) {
  const extensionUri = (stub.api.Uri as { file(p: string): never }).file('/ext');
  return { viewType: 'mobileai.test', title, show: { viewColumn: 2, preserveFocus: true }, extensionUri, app: 'logcat', pageTitle: title };
}
const newPanels = (before: number): FakePanel[] => stub.panels.slice(before);

test('a page that says nothing while shown is replaced by a fresh panel in its column, with its title; the owner hears only the new page', async () => {
  const { log, lines } = logger();
  const before = stub.panels.length;
  // One reopen at most: a slow test machine cannot open a third before the second's page answers.
  pageLoad.maxReopens = 1;
  const host = new PanelHost(spec('Screen: Virtual Phone'), log);
  const got: unknown[] = [];
  let closed = 0;
  host.onDidReceiveMessage((m) => got.push(m));
  host.onDidDispose(() => closed++);
  const [first] = newPanels(before);
  assert.deepEqual(first.show, { viewColumn: 2, preserveFocus: true });
  assert.match(first.webview.html, /<body data-app="logcat">[\s\S]*src="file:\/\/\/ext\/dist\/webview\/logcat\.js"/, 'our logcat app');
  first.viewColumn = 2;
  first.active = false;
  host.panel.title = 'Screen: Virtual Phone (renamed)';
  await until('a second panel', () => newPanels(before).length === 2);
  const [, second] = newPanels(before);
  assert.ok(second, 'a second panel was opened');
  assert.ok(first.disposed, 'the blank one is closed');
  assert.equal(host.panel, second as never);
  assert.equal(second.title, 'Screen: Virtual Phone (renamed)', 'the title it had');
  const page = (html: string) => html.replace(/[A-Za-z0-9+/]{22}==/g, 'NONCE');
  assert.equal(page(second.webview.html), page(first.webview.html), 'the same page (with its own nonce)');
  assert.deepEqual(second.show, { viewColumn: 2, preserveFocus: true }, 'the same column, and it does not take the focus it did not have');
  assert.equal(closed, 0, 'the owner is not told of a close: the panel is still open for the user');
  assert.match(lines.join('\n'), /warn mobileai\.test "Screen: Virtual Phone \(renamed\)": the page sent nothing in 0 s while shown \(a blank webview\); reopening it \(1 of 1\)/);
  // The new page speaks: its messages reach the owner; a late word from the old page does not.
  await second.handlers[0]({ type: 'ready' });
  for (const h of first.handlers) await h({ type: 'ready', from: 'old' });
  assert.deepEqual(got, [{ type: 'ready' }]);
  await sleep(TIMEOUT * 3);
  assert.equal(newPanels(before).length, 2, 'a page that has loaded is never replaced');
  assert.match(lines.join('\n'), /the reopened panel's page loaded/);
  second.dispose();
  assert.equal(closed, 1, 'closing the current panel is a close');
});

test('time hidden does not count; a page that answers in time is kept; the user is told when reopening does not help', async () => {
  const { log, lines } = logger();
  const before = stub.panels.length;
  const host = new PanelHost(spec('Logcat'), log);
  const [first] = newPanels(before);
  first.setVisible(false);
  await sleep(TIMEOUT * 4);
  assert.equal(newPanels(before).length, 1, 'a hidden panel has no page yet: it is not reopened');
  first.setVisible(true);
  await until('the error', () => stub.effects.some((e) => e.what === 'showErrorMessage'));
  // Never answers: the first and two reopened panels, then an error with a way out.
  assert.equal(newPanels(before).length, 1 + pageLoad.maxReopens);
  assert.ok(newPanels(before).slice(0, -1).every((p) => p.disposed));
  assert.equal(host.panel.title, 'Logcat');
  const error = stub.effects.find((e) => e.kind === 'show' && e.what === 'showErrorMessage');
  assert.ok(error, 'the user is told');
  assert.match(String(error.args?.[0]), /"Logcat" stayed blank: its page did not load\. Reload the window/);
  assert.equal(error.args?.[1], 'Reload Window');
  assert.match(lines.join('\n'), /error mobileai\.test "Logcat": the page did not load after 3 tries/);
  host.dispose();

  const quick = new PanelHost(spec('Profile'), log);
  const [p] = newPanels(stub.panels.length - 1);
  await p.handlers[0]({ type: 'ready' });
  await sleep(TIMEOUT * 3);
  assert.equal(quick.panel, p as never);
  assert.ok(!p.disposed);
  quick.dispose();
  assert.ok(p.disposed);
});

test('the agent trace viewer reopened blank still shows the run: what it had for the page arrives on the new one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mobileai-viewer-'));
  const { log } = logger();
  const before = stub.panels.length;
  pageLoad.maxReopens = 1;
  const viewer = AgentViewer.show(stub.context() as never, dir, log as never, { showScreen: () => undefined, exportEpisode: () => undefined, replay: () => undefined });
  const meta = { task: 'Turn on Bluetooth', device: { serial: 'emulator-5554', model: 'Pixel' }, outcome: 'running', steps: 0 } as never;
  viewer.load(meta, [], true);
  let loaded = false;
  void viewer.loaded(5_000).then(() => (loaded = true));
  await until('a second panel', () => newPanels(before).length === 2);
  const [first, second] = newPanels(before);
  assert.ok(first.disposed && second && !second.disposed, 'the silent viewer was reopened');
  assert.equal(first.posted.length, 0, 'nothing was sent to the blank page');
  await second.handlers[0]({ type: 'ready' });
  await sleep(0);
  assert.ok(loaded, 'the run knows its viewer loaded (the screen opens beside it then)');
  assert.deepEqual((second.posted as Array<{ type: string }>).map((m) => m.type), ['trace'], 'the run it was given');
  second.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
