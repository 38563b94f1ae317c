import * as vscode from 'vscode';
import * as path from 'node:path';
import type { DeviceStore } from '../devices/deviceStore';
import { errorMessage, type Logger } from '../../core/util/log';
import type { QuantizeRequest } from '../../core/quantize/quantize';

type LanguageClient = import('vscode-languageclient/node').LanguageClient;

const isManifest = (d: vscode.TextDocument) => d.uri.scheme === 'file' && path.basename(d.uri.fsPath) === 'mobileai.yaml';

/**
 * Starts the mobileai.yaml language server (Node IPC) the first time a manifest is opened, keeps it told
 * which phones are connected, and runs the code lenses' actions with the manifest's settings.
 */
export function registerManifest(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  let client: LanguageClient | undefined;
  let starting: Promise<void> | undefined;

  const devicesPayload = () => ({ devices: connectedPhones(store) });

  const start = () => {
    starting ??= (async () => {
      // vscode-languageclient lives in its own bundle (dist/vendor/), loaded only when a manifest is opened.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lc = require('vscode-languageclient/node') as typeof import('vscode-languageclient/node');
      const module = context.asAbsolutePath(path.join('dist', 'language-server.js'));
      client = new lc.LanguageClient('mobileai.manifest', 'Mobile AI manifest', {
        run: { module, transport: lc.TransportKind.ipc },
        debug: { module, transport: lc.TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
      }, {
        documentSelector: [{ scheme: 'file', language: 'yaml', pattern: '**/mobileai.yaml' }, { scheme: 'file', pattern: '**/mobileai.yaml' }],
        synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/mobileai.yaml') },
      });
      const t = performance.now();
      await client.start();
      log.info(`manifest: language server started in ${(performance.now() - t).toFixed(0)} ms`);
      await client.sendNotification('mobileai/devices', devicesPayload());
    })().catch((err) => {
      starting = undefined;
      log.error('manifest: the language server did not start', err);
    });
    return starting;
  };

  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((d) => { if (isManifest(d)) void start(); }),
    store.onDidChange(() => { if (client?.isRunning()) void client.sendNotification('mobileai/devices', devicesPayload()); }),
    { dispose: () => void client?.stop() },
  );
  if (vscode.workspace.textDocuments.some(isManifest)) void start();

  const runAction = async (uri: vscode.Uri, section: string, name: string, action: string, tries = 0): Promise<void> => {
    try {
      await runFromManifest(uri, section, name, action, store, log);
    } catch (err) {
      if (!(err instanceof TargetMissingError) || tries > 1) throw err;
      // The manifest's phone is not here: a way forward rather than a dead end.
      log.warn(`manifest: ${err.message}`);
      const choice = await vscode.window.showWarningMessage(`mobileai.yaml: ${err.message}.`, 'Select a Phone…', 'Start Virtual Phone');
      if (choice === 'Select a Phone…') {
        if (await selectPhone(uri, err.target, store)) await runAction(uri, section, name, action, tries + 1);
      } else if (choice === 'Start Virtual Phone') {
        await vscode.commands.executeCommand('mobileai.virtualPhone.start');
        await waitForTarget(uri, err.target, store);
        await runAction(uri, section, name, action, tries + 1);
      }
    }
  };

  context.subscriptions.push(vscode.commands.registerCommand('mobileai.manifest.run', async (uriText: unknown, section: unknown, name: unknown, action: unknown) => {
    try {
      if (typeof uriText !== 'string' || typeof section !== 'string' || typeof name !== 'string' || typeof action !== 'string') throw new Error('open mobileai.yaml and use its code lenses');
      await runAction(vscode.Uri.parse(uriText), section, name, action);
    } catch (err) {
      log.error('manifest action failed', err);
      void vscode.window.showErrorMessage(`mobileai.yaml: ${errorMessage(err)}`);
    }
  }));

  context.subscriptions.push(vscode.commands.registerCommand('mobileai.manifest.selectPhone', async (uriText: unknown, target: unknown) => {
    try {
      if (typeof uriText !== 'string' || typeof target !== 'string') throw new Error('open mobileai.yaml and use its code lenses');
      await selectPhone(vscode.Uri.parse(uriText), target, store);
    } catch (err) {
      log.error('select a phone failed', err);
      void vscode.window.showErrorMessage(`mobileai.yaml: ${errorMessage(err)}`);
    }
  }));
}

/** The phones adb lists now, with the properties a target's `match:` uses (once their details are read). */
export function connectedPhones(store: DeviceStore): import('../../core/manifest/manifest').ConnectedPhone[] {
  return store.devices.map((d) => {
    const k = store.known(d.serial);
    return { serial: d.serial, state: d.state, model: k?.model, manufacturer: k?.manufacturer, soc: k?.soc?.label, abis: k?.abis };
  });
}

class TargetMissingError extends Error {
  constructor(readonly target: string, what: string) {
    super(`target "${target}" (${what}) is not connected`);
  }
}

/** Waits (up to 15 s) until the target's phone is connected and its details are read. */
async function waitForTarget(uri: vscode.Uri, target: string, store: DeviceStore): Promise<void> {
  const { parseManifest, resolveTarget } = await import('../../core/manifest/manifest');
  const t = parseManifest((await vscode.workspace.openTextDocument(uri)).getText()).value.targets?.[target];
  if (!t) return;
  const until = Date.now() + 15000;
  while (Date.now() < until && !resolveTarget(t, connectedPhones(store))) {
    await new Promise<void>((r) => {
      const sub = store.onDidChange(() => { sub.dispose(); r(); });
      setTimeout(() => { sub.dispose(); r(); }, 500);
    });
  }
}

/**
 * "Select a phone…": points a target at a connected phone, by `match:` on its model or SoC (which survives
 * port and serial changes) or by its serial. The edit is made in the editor, unsaved, for the user to keep.
 */
export async function selectPhone(uri: vscode.Uri, target: string, store: DeviceStore): Promise<boolean> {
  const { parseManifest, matchChoices, matchYaml, targetPhoneEdit } = await import('../../core/manifest/manifest');
  const ready = connectedPhones(store).filter((d) => d.state === 'device');
  if (!ready.length) {
    const choice = await vscode.window.showWarningMessage('No phone is connected. Start the virtual phone, or connect one over USB or TCP.', 'Start Virtual Phone', 'Connect over TCP…');
    if (choice === 'Start Virtual Phone') await vscode.commands.executeCommand('mobileai.virtualPhone.start');
    if (choice === 'Connect over TCP…') await vscode.commands.executeCommand('mobileai.device.connect');
    return false;
  }
  type Item = vscode.QuickPickItem & { text?: string };
  const items: Item[] = [];
  for (const d of ready) {
    items.push({ label: d.model ?? d.serial, kind: vscode.QuickPickItemKind.Separator });
    for (const mc of matchChoices(d)) {
      const text = `match: ${matchYaml(mc)}`;
      items.push({ label: `$(filter) ${text}`, description: mc.model ? 'any phone of this model, whatever its port or serial' : 'any phone with this SoC', text });
    }
    items.push({ label: `$(plug) serial: ${d.serial}`, description: 'this phone only, while it has this serial', text: `serial: ${/^[\w.:-]+$/.test(d.serial) ? d.serial : JSON.stringify(d.serial)}` });
  }
  const pick = await vscode.window.showQuickPick(items, { title: `Which phone is target "${target}"?`, placeHolder: 'Changes the target in mobileai.yaml (in the editor; you save it)' });
  if (!pick?.text) return false;
  const doc = await vscode.workspace.openTextDocument(uri);
  const e = targetPhoneEdit(parseManifest(doc.getText()), target, pick.text);
  if (!e) throw new Error(`target "${target}" is not defined`);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.replace);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error('the manifest could not be edited');
  void vscode.window.showInformationMessage(`mobileai.yaml: target "${target}" now has ${pick.text} (not saved yet).`);
  return true;
}

async function runFromManifest(uri: vscode.Uri, section: string, name: string, action: string, store: DeviceStore, log: Logger): Promise<void> {
  const { parseManifest, resolveTarget } = await import('../../core/manifest/manifest');
  const doc = await vscode.workspace.openTextDocument(uri);
  const pm = parseManifest(doc.getText());
  if (pm.syntaxErrors.some((e) => e.severity === 'error')) throw new Error('fix the YAML errors first (see Problems)');
  const m = pm.value;
  const base = path.dirname(uri.fsPath);
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.join(base, p));
  const serialOf = async (targetName: string | undefined): Promise<string | undefined> => {
    if (!targetName) return undefined;
    const t = m.targets?.[targetName];
    if (!t) throw new Error(`target "${targetName}" is not defined`);
    const serial = resolveTarget(t, connectedPhones(store));
    if (!serial) throw new TargetMissingError(targetName, t.serial ? `serial ${t.serial}` : `match ${JSON.stringify(t.match)}`);
    return serial;
  };
  log.info(`manifest: ${action} ${section}.${name}`);
  if (section === 'models') {
    const e = m.models?.[name];
    if (!e) throw new Error(`model "${name}" is not defined`);
    const modelUri = vscode.Uri.file(abs(e.path));
    if (action === 'quantize') {
      if (!e.quantize) throw new Error(`model "${name}" has no quantize recipe`);
      await vscode.commands.executeCommand('mobileai.quantize.model', modelUri, await quantizePreset(e, abs), { source: `mobileai.yaml's recipe for "${name}"` });
    } else if (action === 'profile') {
      const p = e.profile ?? {};
      const serial = await serialOf(p.target ?? e.target);
      await vscode.commands.executeCommand(serial ? 'mobileai.profile.modelOnPhone' : 'mobileai.profile.model', modelUri, p.optimization ?? 'all', serial, { runs: p.runs, warmup: p.warmup, inputs: await manifestInputs(e, abs), from: `mobileai.yaml's profile for "${name}"` });
    } else if (action === 'deploy') {
      const d = e.deploy ?? {};
      const serial = await serialOf(d.target ?? e.target);
      await vscode.commands.executeCommand('mobileai.deploy', { kind: 'manifest', serial, source: `mobileai.yaml's deploy settings for "${name}"`, profile: deployProfileOf(e, abs) });
    } else throw new Error(`unknown action ${action}`);
  } else if (section === 'searches') {
    const s = m.searches?.[name];
    if (!s) throw new Error(`search "${name}" is not defined`);
    const t = m.targets?.[s.target];
    if (!t?.table) throw new Error(`target "${s.target}" has no latency table`);
    const space = s.space && !['ofa-mbv3', 'ofa', 'fbnet'].includes(s.space) ? abs(s.space) : s.space;
    const predictor = s.predictor && s.predictor !== 'naswot' ? abs(s.predictor) : s.predictor;
    // Several phones (`targets:`): one search per phone's table, compared in one panel.
    const more = (s.targets ?? []).filter((n) => n !== s.target).map((n) => {
      const table = m.targets?.[n]?.table;
      if (!table) throw new Error(`target "${n}" has no latency table`);
      return { name: n, table: abs(table) };
    });
    const targets = more.length ? [{ name: s.target, table: abs(t.table) }, ...more] : undefined;
    await vscode.commands.executeCommand('mobileai.search.start', { name, space, table: abs(t.table), targets, predictor, budgetMs: s.budgetMs, algorithm: s.algorithm, evaluations: s.evaluations, seed: s.seed, soft: s.soft, blocks: s.blocks });
  } else if (section === 'agents') {
    const a = m.agents?.[name];
    if (!a) throw new Error(`agent "${name}" is not defined`);
    const serial = await serialOf(a.target);
    const preset = { kind: 'manifest', name, serial, task: a.task, tasks: a.tasks ? abs(a.tasks) : undefined, baseUrl: a.endpoint, model: a.model, maxSteps: a.maxSteps, allow: a.allow, vision: a.vision };
    await vscode.commands.executeCommand(action === 'eval' ? 'mobileai.agent.eval' : 'mobileai.agent.run', preset);
  } else if (section === 'llms') {
    const l = m.llms?.[name];
    if (!l) throw new Error(`LLM benchmark "${name}" is not defined`);
    const serial = await serialOf(l.target);
    const runnerPath = l.runnerPath ?? (l.target && (l.runner ?? 'onnx') === 'onnx' ? m.targets?.[l.target]?.runner?.ort : undefined);
    await vscode.commands.executeCommand('mobileai.llm.bench', { kind: 'manifest', serial, host: !l.target, model: abs(l.model), runner: l.runner, runnerPath: runnerPath ? abs(runnerPath) : undefined, promptTokens: l.promptTokens, genTokens: l.genTokens, repetitions: l.repetitions, threads: l.threads, sampleHz: l.sampleHz, unplug: l.unplug, label: name });
  } else throw new Error(`unknown section ${section}`);
}

/** A manifest model's deploy settings as a deploy profile (the model file first, then its extra files). */
export function deployProfileOf(e: import('../../core/manifest/manifest').ModelEntry, abs: (p: string) => string): import('../../core/deploy/deploy').DeployProfile {
  const d = e.deploy ?? {};
  return { files: [abs(e.path), ...(d.files ?? []).map(abs)], apk: d.apk ? abs(d.apk) : undefined, to: d.to, launch: d.launch };
}

/** A model entry's `inputs:` (shapes, values, dims) as engine overrides; a number for a model input is its value. */
async function manifestInputs(e: import('../../core/manifest/manifest').ModelEntry, abs: (p: string) => string): Promise<import('../../core/inputs/spec').InputOverrides | undefined> {
  if (!e.inputs) return undefined;
  const { fromManifestInputs } = await import('../../core/inputs/spec');
  let names: string[] | undefined;
  try {
    const { loadModel } = await import('../../core/onnx/model');
    const { declaredInputs } = await import('../../core/inputs/resolve');
    names = declaredInputs((await loadModel(abs(e.path))).model).map((d) => d.name);
  } catch {
    names = undefined; // the run itself will say what is wrong with the file
  }
  return fromManifestInputs(e.inputs, names, abs);
}

/** A manifest model's quantize recipe as the Quantize command's preset. */
export async function quantizePreset(e: import('../../core/manifest/manifest').ModelEntry, abs: (p: string) => string): Promise<Partial<QuantizeRequest>> {
  const q = e.quantize;
  if (!q) return {};
  const preset: Partial<QuantizeRequest> = {
    mode: q.mode, method: q.method, percentile: q.percentile, perChannel: q.perChannel, u8s8: q.u8s8, reduceRange: q.reduceRange,
    symmetricActivations: q.symmetricActivations, symmetricWeights: q.asymmetricWeights === undefined ? undefined : !q.asymmetricWeights,
    blockSize: q.blockSize, int4Symmetric: q.int4Asymmetric === undefined ? undefined : !q.int4Asymmetric,
    exclude: q.exclude, excludeOpTypes: q.excludeOps, keepFirstLast: q.keepFirstLast, inputs: await manifestInputs(e, abs), output: q.output ? abs(q.output) : undefined,
  };
  if (q.mode === 'static') {
    if (q.calibration) {
      const { parseRecipe } = await import('../../core/quantize/calibration');
      const r = /resize=(\d+)x(\d+)/.exec(q.preprocess ?? '');
      preset.calibration = q.preprocess ? { kind: 'images', path: abs(q.calibration), recipe: parseRecipe(q.preprocess, { width: r ? Number(r[1]) : 224, height: r ? Number(r[2]) : 224 }) } : { kind: 'files', path: abs(q.calibration) };
    } else preset.calibration = { kind: 'random', count: q.random ?? 16 };
    preset.method ??= 'minmax';
    preset.perChannel ??= false;
  }
  for (const k of Object.keys(preset) as Array<keyof typeof preset>) if (preset[k] === undefined) delete preset[k];
  return preset;
}

/** The workspace's mobileai.yaml (at a workspace folder's root), parsed, if there is one and it parses. */
export async function workspaceManifest(): Promise<{ manifest: import('../../core/manifest/manifest').Manifest; baseDir: string } | undefined> {
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(f.uri, 'mobileai.yaml');
    let text: string;
    try {
      text = (await vscode.workspace.openTextDocument(uri)).getText();
    } catch {
      continue;
    }
    const { parseManifest } = await import('../../core/manifest/manifest');
    const pm = parseManifest(text);
    if (pm.syntaxErrors.some((x) => x.severity === 'error')) return undefined;
    return { manifest: pm.value, baseDir: f.uri.fsPath };
  }
  return undefined;
}
