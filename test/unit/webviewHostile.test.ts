/**
 * Hostile webviews: a webview's script is content (a model's metadata, a log line, a trace) and must be
 * treated as an attacker. For every panel, 10,000 seeded random and mutated messages go into the REAL host
 * (constructed on test/helpers/vscodeStub.ts, the handler it registers with onDidReceiveMessage), then the
 * same messages again after the user closed the panel. Checked, as a user would notice:
 *   - nothing the protocol's guard rejects runs a command, writes a file, shows a dialog or notification,
 *     touches the clipboard or the phone;
 *   - what the guard accepts runs only the panel's own fixed commands (never an id from the message) and
 *     writes no file (every save dialog is cancelled);
 *   - after the panel is closed, nothing at all happens;
 *   - no handler throws (synchronously or as an unhandled rejection), and Object.prototype stays clean.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installVscodeStub, type Effect, type FakePanel, type VscodeStub } from '../helpers/vscodeStub';
import { rng } from '../../extension/core/inputs/data';

const stub: VscodeStub = installVscodeStub();
const N = 10_000;

// ---- seeded messages (mulberry32 from the engine: the same messages every run) ----------------------------

const HUGE = 'A'.repeat(2_000_000);
function deep(depth: number, arr: boolean): unknown {
  let v: unknown = arr ? [] : {};
  for (let i = 0; i < depth; i++) v = arr ? [v] : { a: v };
  return v;
}
/** Deep nesting, to the depth structured clone (what carries a webview's message) still copies here (~2,000; 3,000 overflows). */
const DEEP = [deep(50, false), deep(1_000, true), deep(2_000, false)];
const CYCLE: Record<string, unknown> = { type: 'ready' };
CYCLE.self = CYCLE;
const PATHS = ['../../etc/passwd', '/etc/passwd', 'file:///etc/shadow', '..\\..\\Windows\\System32\\drivers\\etc\\hosts', '~/.ssh/id_rsa', '\0', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'];
const COMMANDS = ['workbench.action.terminal.new', 'workbench.action.openSettingsJson', 'mobileai.device.shell', 'mobileai.deploy.run', 'vscode.open', 'command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%20-rf%20~%22%7D', '_workbench.downloadResource'];
const WEIRD: unknown[] = [
  null, undefined, true, false, 0, -0, 1, -1, 1.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, -1e308, 10n, '', ' ', 'ready', 'x'.repeat(300),
  HUGE, [], [1, 2], {}, { type: 'ready' }, new Date(NaN), new Map([['type', 'ready']]), new Set([1]), new Uint8Array(16), new ArrayBuffer(8), /x/g,
  ...PATHS, ...COMMANDS, ...DEEP, CYCLE, [CYCLE],
];

/** Own keys that mean something to a careless merge: JSON.parse makes "__proto__" an own key, as a cloned message would carry it. */
const POLLUTERS = [JSON.parse('{"__proto__": {"polluted": "yes"}}') as object, { constructor: { prototype: { polluted: 'yes' } } }, JSON.parse('{"prototype": {"polluted": "yes"}}') as object];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function mutateValue(r: () => number, v: unknown, depth = 0): unknown {
  const k = r();
  if (k < 0.45 || depth > 3) return pick(r, WEIRD);
  if (Array.isArray(v)) return k < 0.7 ? [...v, pick(r, WEIRD)] : v.map((x) => mutateValue(r, x, depth + 1));
  if (v && typeof v === 'object') return mutate(r, v as Record<string, unknown>, depth + 1);
  if (typeof v === 'string') return k < 0.6 ? pick(r, [...PATHS, ...COMMANDS]) : v + pick(r, ['\n', '\0', '"; rm -rf ~; "', '$(reboot)', '`id`', HUGE.slice(0, 70_000)]);
  if (typeof v === 'number') return pick(r, [NaN, Infinity, -Infinity, -1, 1e12, 0.5, -0, 2 ** 31]);
  if (typeof v === 'boolean') return pick(r, ['true', 1, 0, null]);
  return pick(r, WEIRD);
}

function mutate(r: () => number, m: Record<string, unknown>, depth = 0): unknown {
  const out: Record<string, unknown> = { ...m };
  const keys = Object.keys(out);
  const ops = 1 + Math.floor(r() * 3);
  for (let i = 0; i < ops; i++) {
    const op = r();
    if (op < 0.35 && keys.length) { const key = pick(r, keys); out[key] = mutateValue(r, out[key], depth); }
    else if (op < 0.45 && keys.length) delete out[pick(r, keys)];
    else if (op < 0.55) out[pick(r, ['extra', 'command', 'path', 'uri', 'file', 'serial', 'args'])] = pick(r, WEIRD);
    else if (op < 0.65) Object.assign(out, pick(r, POLLUTERS));
    else if (op < 0.72) Object.defineProperty(out, '__proto__', { value: { polluted: 'yes', type: 'ready' }, enumerable: true, configurable: true, writable: true });
    else if (op < 0.8) out.type = mutateValue(r, out.type, depth);
    else if (op < 0.88) out.type = pick(r, ['READY', 'ready ', 'export', 'open', 'copy', 'profile', 'runCommand', 'eval', 'constructor', '__proto__', 'toString', 'hasOwnProperty']);
    else if (op < 0.94) { const key = keys.length ? pick(r, keys) : 'x'; out[key] = pick(r, DEEP); }
    else return pick(r, WEIRD);
  }
  return out;
}

/** N messages: a tenth valid as they are, the rest mutated from a valid one or random values. */
function messages(seed: number, valid: Array<Record<string, unknown>>): unknown[] {
  const r = rng(seed);
  const out: unknown[] = [];
  for (let i = 0; i < N; i++) {
    const k = r();
    const base = pick(r, valid);
    if (k < 0.1) out.push(structuredClone(base));
    else if (k < 0.9) out.push(mutate(r, structuredClone(base)));
    else out.push(pick(r, WEIRD));
  }
  return out;
}

// ---- driving a host ----------------------------------------------------------------------------------------

const rejections: unknown[] = [];
const onRejection = (e: unknown): void => { rejections.push(e); };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mobileai-hostile-'));
const fileWrites: string[] = [];
const logLines: string[] = [];
const log = {
  info: (m: string) => void logLines.push(m), warn: (m: string) => void logLines.push(m), error: (m: string) => void logLines.push(m), debug: () => undefined,
  show: () => undefined, child: () => log,
};

/** Node's own file-writing calls, recorded (the hosts write with fsAtomic over node:fs). */
function watchNodeWrites(): () => void {
  // The module objects themselves (an `import * as` namespace is read-only), the ones the hosts' code calls into.
  const real = process.getBuiltinModule('node:fs');
  const fsp = real.promises as unknown as Record<string, (...a: unknown[]) => unknown>;
  const fss = real as unknown as Record<string, (...a: unknown[]) => unknown>;
  const restore: Array<() => void> = [];
  // tsx (this test's TypeScript loader) caches what it compiles when a host imports a module lazily: not the host's doing.
  const loaderCache = path.join(os.tmpdir(), 'tsx-');
  const wrap = (obj: Record<string, (...a: unknown[]) => unknown>, name: string, isWrite: (a: unknown[]) => boolean = () => true): void => {
    const orig = obj[name];
    obj[name] = function (this: unknown, ...a: unknown[]) {
      if (isWrite(a) && !String(a[0]).startsWith(loaderCache)) fileWrites.push(`${name} ${String(a[0])}`);
      return orig.apply(this, a);
    };
    restore.push(() => { obj[name] = orig; });
  };
  for (const n of ['writeFile', 'appendFile', 'rename', 'copyFile', 'unlink', 'rm', 'mkdir', 'symlink', 'truncate']) { wrap(fsp, n); wrap(fss, `${n}Sync`); }
  wrap(fsp, 'open', (a) => typeof a[1] === 'string' && /[wa+]/.test(a[1]));
  wrap(fss, 'openSync', (a) => typeof a[1] === 'string' && /[wa+]/.test(a[1]));
  wrap(fss, 'createWriteStream');
  return () => restore.forEach((f) => f());
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Waits until the hosts' work in flight (dynamic imports, dialogs awaited) stops producing effects. */
async function quiet(): Promise<void> {
  // Quiet = no new effect for 150 ms (a dynamic import or a file read on a loaded machine can pause for more
  // than one short gap), at most 10 s.
  const t0 = Date.now();
  let last = stub.effects.length + fileWrites.length;
  let since = Date.now();
  while (Date.now() - since < 150 && Date.now() - t0 < 10_000) {
    await new Promise((r) => setTimeout(r, 30));
    const now = stub.effects.length + fileWrites.length;
    if (now !== last) { last = now; since = Date.now(); }
  }
}

interface Outcome { thrown: number; effects: Effect[]; writes: string[] }

async function feed(panel: FakePanel, msgs: unknown[]): Promise<Outcome> {
  stub.clear();
  fileWrites.length = 0;
  let thrown = 0;
  for (const [i, m] of msgs.entries()) {
    for (const h of panel.handlers) {
      try {
        await h(m);
      } catch (e) {
        thrown++;
        if (thrown === 1) console.error('handler threw on', i, e);
      }
    }
    if (i % 50 === 0) await settle();
  }
  await quiet();
  return { thrown, effects: [...stub.effects], writes: [...fileWrites] };
}

interface Case {
  name: string;
  seed: number;
  valid: Array<Record<string, unknown>>;
  guard: (m: unknown) => boolean;
  /** Builds the real host; returns its panel. */
  open: () => Promise<FakePanel>;
  /** What a message the guard accepts may do: the panel's fixed commands and the dialogs/notifications of its actions. */
  allowed: (e: Effect) => boolean;
  /** Files an accepted message may write (none unless said: every save dialog is cancelled). */
  allowedWrite?: (w: string) => boolean;
}

const fakeAdb = new Proxy({}, { get: (_t, k) => (k === 'then' ? undefined : async (...a: unknown[]) => { stub.effects.push({ kind: 'command', what: `adb.${String(k)}`, args: a }); throw new Error('no phone (stub)'); }) });
const fakeStore = {
  adb: fakeAdb,
  devices: [] as Array<{ serial: string; state: string }>,
  known: () => undefined,
  info: async () => undefined,
  onDidChange: () => ({ dispose: () => undefined }),
};
const lastPanel = (): FakePanel => stub.panels[stub.panels.length - 1];
const showsOnly = (e: Effect): boolean => e.kind === 'show' && /^(show(Information|Warning|Error)Message|showQuickPick|showSaveDialog|showOpenDialog|withProgress|setStatusBarMessage)$/.test(e.what);

const cases: Case[] = [];

before(async () => {
  process.on('unhandledRejection', onRejection);
  const ctx = stub.context();

  const { EMPTY_FILTER } = await import('../../extension/core/logcat/filter');
  const { isFromLogcatWebview } = await import('../../webview/logcat/protocol');
  cases.push({
    name: 'logcat', seed: 1, guard: isFromLogcatWebview,
    valid: [{ type: 'ready' }, { type: 'filter', filter: { ...EMPTY_FILTER, text: 'ActivityManager', package: 'com.android.systemui' } }, { type: 'pause', paused: true }, { type: 'pause', paused: false }, { type: 'clear' }, { type: 'restart' }],
    open: async () => {
      const { LogcatPanel } = await import('../../extension/vscode/logcat/logcatPanel');
      new LogcatPanel(ctx as never, fakeStore as never, log as never, 'emulator-5554');
      return lastPanel();
    },
    allowed: (e) => showsOnly(e),
  });

  const { isFromModelWebview } = await import('../../webview/model/protocol');
  cases.push({
    name: 'model', seed: 2, guard: isFromModelWebview,
    valid: [{ type: 'ready' }, { type: 'profile', target: 'host' }, { type: 'profile', target: 'phone' }, { type: 'quantize' }, { type: 'copy', text: 'Conv_0' }, { type: 'setInputs', rows: [{ name: 'Input3', shape: '1x1x28x28', value: '' }] }, { type: 'resetInputs' }, { type: 'tensor', ref: 'Parameter5' }],
    open: async () => {
      const { ModelEditorProvider } = await import('../../extension/vscode/models/modelEditor');
      const provider = new ModelEditorProvider(ctx as never, log as never);
      const panel = stub.api.window as { createWebviewPanel: (v: string, t: string) => FakePanel };
      const p = panel.createWebviewPanel('mobileai.onnxModel', 'missing.onnx');
      const uri = (stub.api.Uri as { file(p: string): unknown }).file(path.join(tmp, 'missing.onnx'));
      provider.resolveCustomEditor({ uri, dispose: () => undefined } as never, p as never);
      return p;
    },
    allowed: (e) => (e.kind === 'command' && ['mobileai.profile.model', 'mobileai.profile.modelOnPhone', 'mobileai.quantize.model'].includes(e.what) && String((e.args?.[0] as { fsPath?: string })?.fsPath).endsWith('missing.onnx'))
      || (e.kind === 'clipboard') || showsOnly(e),
  });

  const { isFromProfileWebview } = await import('../../webview/profile/protocol');
  cases.push({
    name: 'profile', seed: 3, guard: isFromProfileWebview,
    valid: [{ type: 'ready' }, { type: 'cancel' }, { type: 'export', format: 'trace' }, { type: 'export', format: 'csv' }, { type: 'export', format: 'json' }, { type: 'compare' }, { type: 'rerun' }],
    open: async () => {
      // A benchmark_model output as LiteRT prints it (the same lines as test/e2e/profileImport.e2e.test.ts).
      const saved = path.join(tmp, 'pixel7-benchmark.log');
      fs.writeFileSync(saved, [
        'INFO: Graph: [/data/local/tmp/selfie_segmenter.tflite]',
        'INFO: count=40 first=9000 curr=8100 min=8000 max=9000 avg=8200 std=150 p5=8010 median=8150 p95=8800',
        'INFO: count=120 first=8100 curr=8050 min=7900 max=8600 avg=8080 std=90 p5=7950 median=8060 p95=8300',
        'INFO: Inference timings in us: Init: 31000, First inference: 9000, Warmup (avg): 8200, Inference (avg): 8080',
        '',
      ].join('\n'));
      const { ProfilePanel } = await import('../../extension/vscode/profile/profilePanel');
      await ProfilePanel.openFile(ctx as never, fakeStore as never, log as never, saved);
      return lastPanel();
    },
    allowed: (e) => showsOnly(e),
  });

  const { isFromSearchWebview } = await import('../../webview/search/protocol');
  cases.push({
    name: 'search', seed: 4, guard: isFromSearchWebview,
    valid: [{ type: 'ready' }, { type: 'cancel' }, { type: 'export', id: 'a1' }, { type: 'open', id: 'a1' }],
    open: async () => {
      const { SearchPanel } = await import('../../extension/vscode/search/searchPanel');
      new SearchPanel(ctx as never, log as never, { space: 'ofa-mbv3', budgetMs: 20, seed: 1, algorithm: 'evolution', evaluations: 10 } as never);
      return lastPanel();
    },
    allowed: (e) => showsOnly(e),
  });

  const { isFromAgentWebview } = await import('../../webview/agent/protocol');
  cases.push({
    name: 'agent', seed: 5, guard: isFromAgentWebview,
    valid: [{ type: 'ready' }, { type: 'stop' }, { type: 'showScreen' }, { type: 'export' }, { type: 'replay' }],
    open: async () => {
      const { AgentViewer } = await import('../../extension/vscode/agent/agentViewer');
      const act = (what: string) => (...args: unknown[]) => void stub.effects.push({ kind: 'command', what: `viewer.${what}`, args });
      AgentViewer.show(ctx as never, path.join(tmp, 'run-1'), log as never, { stop: act('stop'), showScreen: act('showScreen'), exportEpisode: act('exportEpisode'), replay: act('replay') });
      return lastPanel();
    },
    allowed: (e) => (e.kind === 'command' && /^viewer\.(stop|showScreen|exportEpisode|replay)$/.test(e.what) && (e.what !== 'viewer.exportEpisode' || e.args?.[0] === path.join(tmp, 'run-1'))) || showsOnly(e),
  });

  const { isFromScreenWebview } = await import('../../webview/screen/protocol');
  cases.push({
    name: 'screen', seed: 6, guard: isFromScreenWebview,
    valid: [
      { type: 'ready', h264: true }, { type: 'ack', seq: 3, drawnAt: 1000 }, { type: 'h264Failed', reason: 'decoder error' },
      { type: 'input', event: { action: 'tap', x: 100, y: 200 } }, { type: 'input', event: { action: 'key', key: 'back' } }, { type: 'input', event: { action: 'text', text: 'hello' } },
      { type: 'rotate' }, { type: 'paste', text: 'clip' }, { type: 'copy' }, { type: 'screenshot' }, { type: 'record', on: false },
      { type: 'dropStart', id: 'd1', name: 'app.apk', size: 4 }, { type: 'dropChunk', id: 'd1', index: 0, data: new Uint8Array([80, 75, 3, 4]) }, { type: 'dropEnd', id: 'd1' },
      { type: 'dropUris', uris: ['file:///tmp/app.apk'] },
    ],
    open: async () => {
      const { registerScreenCommands } = await import('../../extension/vscode/screen/screenPanel');
      registerScreenCommands(ctx as never, fakeStore as never, log as never);
      await stub.commands.get('mobileai.screen.open')?.('emulator-5554');
      return lastPanel();
    },
    // The phone is the stub's (every adb call recorded and refused); a screenshot is the panel's own command.
    allowed: (e) => (e.kind === 'command' && (e.what.startsWith('adb.') || e.what === 'mobileai.device.screenshot')) || e.kind === 'clipboard' || showsOnly(e),
    // A dropped file's bytes are staged in a private temporary folder before they are pushed to the phone.
    allowedWrite: (w) => new RegExp(`^\\w+ ${os.tmpdir().replace(/[/\\]/g, '.')}.mobileai-drop-\\w+`).test(w),
  });

  const { isFromLlmWebview } = await import('../../webview/llm/protocol');
  cases.push({
    name: 'llm', seed: 7, guard: isFromLlmWebview,
    valid: [{ type: 'ready' }, { type: 'refresh' }, { type: 'bench' }, { type: 'import' }, { type: 'cancel' }, { type: 'select', id: 'run-1' }, { type: 'compare', ids: ['run-1', 'run-2'], baseline: 0 }, { type: 'export', ids: ['run-1'], format: 'csv', compare: false }, { type: 'quantize', id: 'run-1' }, { type: 'explore', space: 'gpt2', target: 'vphone', promptTokens: 16, genTokens: 8 }, { type: 'exportShape', id: 'run-1' }],
    open: async () => {
      const { LlmPanel } = await import('../../extension/vscode/llm/llmPanel');
      const act = (what: string) => (...args: unknown[]) => void stub.effects.push({ kind: 'command', what: `llm.${what}`, args });
      LlmPanel.show(ctx as never, log as never, () => path.join(tmp, 'llm-runs'), { bench: act('bench'), import: act('import'), cancel: act('cancel'), quantize: act('quantize'), explore: act('explore'), exportShape: act('exportShape'), export: act('export') });
      return lastPanel();
    },
    allowed: (e) => (e.kind === 'command' && e.what.startsWith('llm.')) || showsOnly(e),
  });

  const { isFromQuantizeWebview } = await import('../../webview/quantize/protocol');
  cases.push({
    name: 'quantize', seed: 8, guard: isFromQuantizeWebview,
    valid: [{ type: 'ready' }, { type: 'cancel' }, { type: 'openModel' }, { type: 'compareProfiles' }, { type: 'saveReport' }, { type: 'requantize', keep: ['Softmax_7'] }, { type: 'requantizeCalibrated' }, { type: 'chooseSettings' }],
    open: async () => {
      const { QuantizePanel } = await import('../../extension/vscode/quantize/quantizeCommands');
      new QuantizePanel(ctx as never, fakeStore as never, log as never, { input: path.join(tmp, 'missing.onnx'), output: path.join(tmp, 'missing.int8.onnx'), mode: 'dynamic' });
      return lastPanel();
    },
    // "Choose settings…" runs Quantize again on the panel's own model, never on a path from the message.
    allowed: (e) => (e.kind === 'command' && e.what === 'mobileai.quantize.model' && e.args?.[0] === path.join(tmp, 'missing.onnx')) || showsOnly(e),
  });

  // The same panel once a report is shown: its buttons act (open the output, compare, save, re-quantize), but only on
  // the report's own files and on node names the report holds.
  const reportIn = path.join(tmp, 'shown.onnx');
  const reportOut = path.join(tmp, 'shown.int8.onnx');
  cases.push({
    name: 'quantize with a report', seed: 9, guard: isFromQuantizeWebview,
    valid: [{ type: 'openModel' }, { type: 'compareProfiles' }, { type: 'saveReport' }, { type: 'requantize', keep: ['Softmax_7'] }, { type: 'requantize', keep: ['Conv_0', '../../etc/passwd'] }, { type: 'requantizeCalibrated' }, { type: 'chooseSettings' }],
    open: async () => {
      const { QuantizePanel } = await import('../../extension/vscode/quantize/quantizeCommands');
      const qp = new QuantizePanel(ctx as never, fakeStore as never, log as never, { input: reportIn, output: reportOut, mode: 'static' });
      const report = { input: { file: reportIn, bytes: 1000 }, output: { file: reportOut, bytes: 300 }, quantized: { nodes: 2, byOpType: { Conv: 1 }, skipped: [], names: ['Conv_0', 'MatMul_3'] }, sensitivity: [{ node: 'Softmax_7', opType: 'Softmax', sqnrDb: 3 }], accuracy: { keptInFloat: [] }, warnings: [] };
      (qp as unknown as { report: unknown }).report = report;
      return lastPanel();
    },
    allowed: (e) => {
      if (showsOnly(e)) return true;
      if (e.kind !== 'command') return false;
      if (e.what === 'vscode.openWith') return (e.args?.[0] as { fsPath?: string })?.fsPath === reportOut;
      if (e.what !== 'mobileai.quantize.model' || e.args?.[0] !== reportIn) return false;
      // Re-quantize keeps in float only names the report holds.
      const exclude = (e.args?.[1] as { exclude?: string[] } | undefined)?.exclude ?? [];
      return exclude.every((n) => ['Conv_0', 'MatMul_3', 'Softmax_7'].includes(n));
    },
    // Compare profiles the report's two models: the profiler's own scratch folder in the OS temp dir, removed after.
    allowedWrite: (w) => new RegExp(`^\\w+ ${os.tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/mobileai-profile-[\\w]+(/|$)`).test(w),
  });
});

after(() => {
  process.off('unhandledRejection', onRejection);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The panels are added in `before`; one test per panel, named up front. */
for (const name of ['logcat', 'model', 'profile', 'search', 'agent', 'screen', 'llm', 'quantize', 'quantize with a report']) {
  test(`${name} panel: 10,000 hostile messages, before and after the panel is closed`, async () => {
    const c = cases.find((x) => x.name === name);
    assert.ok(c, `the ${name} case was set up`);
    const panel = await c.open();
    assert.equal(panel.handlers.length, 1, 'the host registered one message handler');
    await quiet(); // the host's own start-up (an imported profile shown, …)
    const msgs = messages(c.seed, c.valid);
    const accepted = msgs.filter((m) => c.guard(m));
    const rejected = msgs.filter((m) => !c.guard(m));
    assert.ok(accepted.length >= 500 && rejected.length >= 8000, `a mix of messages (${accepted.length} accepted, ${rejected.length} rejected)`);
    const stopWatching = watchNodeWrites();
    try {
      const bad = await feed(panel, rejected);
      assert.equal(bad.thrown, 0, 'no handler threw on a rejected message');
      assert.deepEqual(bad.effects, [], 'a rejected message does nothing a user would see');
      assert.deepEqual(bad.writes, [], 'a rejected message writes no file');

      const ok = await feed(panel, accepted);
      assert.equal(ok.thrown, 0, 'no handler threw on an accepted message');
      const foreign = ok.effects.filter((e) => !c.allowed(e));
      assert.deepEqual(foreign.map((e) => `${e.kind} ${e.what}`), [], 'accepted messages run only the panel\'s own actions');
      assert.deepEqual(ok.writes.filter((w) => !c.allowedWrite?.(w)), [], 'no file written (every save dialog cancelled)');

      panel.dispose();
      await quiet(); // the host's own clean-up on close is not a message's doing
      const gone = await feed(panel, msgs);
      assert.equal(gone.thrown, 0, 'no handler threw after the panel closed');
      assert.deepEqual(gone.effects.map((e) => `${e.kind} ${e.what}`), [], 'after the panel closed, messages do nothing');
      assert.deepEqual(gone.writes, [], 'after the panel closed, no file written');
    } finally {
      stopWatching();
    }
    assert.deepEqual(rejections.map(String), [], 'no unhandled rejection');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype not polluted');
  });
}
