import * as vscode from 'vscode';
import * as path from 'node:path';
import { webviewHtml } from '../webviews/html';
import { blankForGood, pageLoad, silentFor, watchPageLoad } from '../webviews/panelHost';
import { isFromModelWebview, type ToModelWebview } from '../../../webview/model/protocol';
import { preview } from '../../../webview/shared/messages';
import { errorMessage, type Logger } from '../../core/util/log';
import { profileEvents } from '../profile/profilePanel';
import { formToOverrides, initModelInputs, inputForm, saveInputs, savedInputs } from './modelInputs';

/** The read-only editor for .onnx files: summary, op table, graph, and actions. */
export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider {
  static readonly viewType = 'mobileai.onnxModel';
  /** The same editor for .tflite files (TFLite/LiteRT). */
  static readonly tfliteViewType = 'mobileai.tfliteModel';
  private readonly open = new Map<string, Set<vscode.Webview>>();
  /** The latest profile's overlay per model file, sent again when the model's editor (re)opens. */
  private readonly overlays = new Map<string, ToModelWebview>();
  /** Files whose editor page stayed blank, and how often it was reopened (forgotten once a page loads). */
  private readonly reopened = new Map<string, number>();

  constructor(private readonly ctx: vscode.ExtensionContext, private readonly log: Logger) {
    initModelInputs(ctx);
    ctx.subscriptions.push(profileEvents.event((p) => {
      const shares = Object.fromEntries(p.nodes.map((n) => [n.name, n.share]));
      const kernels = p.nodes.map((n) => ({ name: n.name, opType: n.opType, meanUs: n.meanUs, provider: n.provider, nodeIndex: n.nodeIndex, subgraph: n.subgraph, partition: n.partition }));
      const msg: ToModelWebview = { type: 'profileOverlay', label: `${p.device.label}, optimization ${p.runtime.optimization ?? '?'}`, shares, kernels, format: p.runtime.name === 'tflite' ? 'tflite' : 'onnx' };
      this.overlays.set(path.resolve(p.model.file), msg);
      for (const w of this.open.get(path.resolve(p.model.file)) ?? []) void w.postMessage(msg);
    }));
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const file = document.uri.fsPath;
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.ctx.extensionUri, 'dist', 'webview')] };
    webview.html = webviewHtml(webview, this.ctx.extensionUri, 'model', path.basename(file));
    const set = this.open.get(file) ?? new Set();
    set.add(webview);
    this.open.set(file, set);
    let disposed = false;
    panel.onDidDispose(() => {
      disposed = true;
      set.delete(webview);
    });
    const handle = (raw: unknown): Promise<void> => this.handleMessage(raw, document.uri, webview, () => disposed);
    // A page left blank by the browser-hosted workbench (webviews/panelHost.ts): the editor is closed and
    // the file opened again in the same column.
    const watch = watchPageLoad(panel, () => void this.reopen(document.uri, panel));
    webview.onDidReceiveMessage((raw: unknown) => {
      watch.seen();
      this.reopened.delete(file);
      return handle(raw).catch((err: unknown) => this.log.error('model editor: a message failed', err));
    });
  }

  private async reopen(uri: vscode.Uri, panel: vscode.WebviewPanel): Promise<void> {
    const file = uri.fsPath;
    const tries = this.reopened.get(file) ?? 0;
    if (tries >= pageLoad.maxReopens) {
      this.reopened.delete(file);
      blankForGood(this.log, 'model editor', path.basename(file), tries + 1);
      return;
    }
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs)
      .find((t) => t.input instanceof vscode.TabInputCustom && t.input.uri.toString() === uri.toString() && [ModelEditorProvider.viewType, ModelEditorProvider.tfliteViewType].includes(t.input.viewType));
    if (!tab || !(tab.input instanceof vscode.TabInputCustom)) return;
    this.reopened.set(file, tries + 1);
    this.log.warn(`model editor "${path.basename(file)}": ${silentFor()}; reopening it (${tries + 1} of ${pageLoad.maxReopens})`);
    const column = panel.viewColumn ?? tab.group.viewColumn;
    const preserveFocus = !panel.active;
    const viewType = tab.input.viewType;
    await vscode.window.tabGroups.close(tab, true);
    await vscode.commands.executeCommand('vscode.openWith', uri, viewType, { viewColumn: column, preserveFocus });
  }

  /** What the webview sends: checked by the protocol's guard; nothing is done once the editor is closed. */
  async handleMessage(raw: unknown, uri: vscode.Uri, webview: vscode.Webview, isDisposed: () => boolean = () => false): Promise<void> {
    if (isDisposed()) return;
    if (!isFromModelWebview(raw)) {
      this.log.warn(`model editor: ignored an invalid message from the webview: ${preview(raw)}`);
      return;
    }
    const file = uri.fsPath;
    if (raw.type === 'ready') await this.load(file, webview);
    else if (raw.type === 'profile') await vscode.commands.executeCommand(raw.target === 'host' ? 'mobileai.profile.model' : 'mobileai.profile.modelOnPhone', uri);
    else if (raw.type === 'quantize') await vscode.commands.executeCommand('mobileai.quantize.model', uri);
    else if (raw.type === 'copy') await vscode.env.clipboard.writeText(raw.text);
    else if (raw.type === 'setInputs') await this.setInputs(file, webview, raw.rows);
    else if (raw.type === 'tensor') await this.sendTensor(file, webview, raw.ref);
    else if (raw.type === 'resetInputs') {
      await saveInputs(file, {});
      await this.load(file, webview);
    }
  }

  /** A weight's values for the graph view's inspector (statistics and a histogram, not the raw array). */
  private async sendTensor(file: string, webview: vscode.Webview, ref: string): Promise<void> {
    try {
      const values = /\.tflite$/i.test(file)
        ? await (await import('../../core/tflite/tensorValues')).tfliteFileTensor(file, ref)
        : await (await import('../../core/onnx/tensorValues')).onnxFileTensor(file, ref);
      await webview.postMessage({ type: 'tensorValues', ref, values } satisfies ToModelWebview);
    } catch (err) {
      await webview.postMessage({ type: 'tensorValues', ref, error: errorMessage(err) } satisfies ToModelWebview);
    }
  }

  /** The form's shapes and values, checked against the model, remembered for it; the summary is redone at them. */
  private async setInputs(file: string, webview: vscode.Webview, rows: Array<{ name: string; shape: string; value: string }>): Promise<void> {
    try {
      const { loadModel } = await import('../../core/onnx/model');
      const { declaredInputs, modelMetadata } = await import('../../core/inputs/resolve');
      const model = (await loadModel(file)).model;
      const declared = declaredInputs(model);
      // Only what differs from what the model says is the user's choice (a convention stays a convention).
      const defaults = inputForm(declared, modelMetadata(model), undefined);
      const changed = rows.filter((r) => {
        const d = defaults.find((x) => x.name === r.name);
        return !d || d.shape !== r.shape.trim() || d.value !== r.value.trim();
      });
      const o = formToOverrides(changed, declared);
      await saveInputs(file, o);
      this.log.info(`model ${path.basename(file)}: inputs set to ${JSON.stringify(o)}`);
      await this.load(file, webview);
    } catch (err) {
      await this.load(file, webview, errorMessage(err));
    }
  }

  private async load(file: string, webview: vscode.Webview, inputsError?: string): Promise<void> {
    const t = performance.now();
    try {
      if (/\.tflite$/i.test(file)) {
        const { inspectTfliteFile } = await import('../../core/tflite/inspect');
        const { summary, graph } = await inspectTfliteFile(file);
        await webview.postMessage({ type: 'tfliteModel', fileName: path.basename(file), summary, graph } satisfies ToModelWebview);
        const overlay = this.overlays.get(path.resolve(file));
        if (overlay) await webview.postMessage(overlay);
        this.log.info(`model ${path.basename(file)}: ${summary.operatorCount} TFLite operators, summary and layout in ${(performance.now() - t).toFixed(0)} ms`);
        return;
      }
      const { inspectFile } = await import('../../core/onnx/inspect');
      const dims = vscode.workspace.getConfiguration('mobileAI').get<Record<string, number>>('profiling.dimensions') ?? {};
      const saved = savedInputs(file);
      const { summary, graph } = await inspectFile(file, { dims, inputs: saved });
      const form = inputForm(summary.inputs.map((i) => ({ name: i.name, type: i.type, shape: i.shape })), summary.metadata, saved);
      await webview.postMessage({ type: 'model', fileName: path.basename(file), summary, graph, inputForm: form, inputsSaved: !!saved, inputsError } satisfies ToModelWebview);
      const overlay = this.overlays.get(path.resolve(file));
      if (overlay) await webview.postMessage(overlay);
      this.log.info(`model ${path.basename(file)}: ${summary.nodeCount} nodes, summary and layout in ${(performance.now() - t).toFixed(0)} ms`);
    } catch (err) {
      this.log.error(`cannot read ${file}`, err);
      await webview.postMessage({ type: 'error', fileName: path.basename(file), message: errorMessage(err) } satisfies ToModelWebview);
    }
  }
}
