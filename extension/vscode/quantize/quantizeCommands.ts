import * as vscode from 'vscode';
import * as path from 'node:path';
import { PanelHost } from '../webviews/panelHost';
import { preview } from '../../../webview/shared/messages';
import { isFromQuantizeWebview, type ToQuantizeWebview } from '../../../webview/quantize/protocol';
import type { QuantizeReport, QuantizeRequest } from '../../core/quantize/quantize';
import { CancelSource, CancelledError } from '../../core/util/progress';
import { errorMessage, type Logger } from '../../core/util/log';
import { uniquePath, writeFileAtomicNoClobber } from '../../core/util/fsAtomic';
import type { DeviceStore } from '../devices/deviceStore';
import { ProfilePanel } from '../profile/profilePanel';

async function pickModel(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputCustom && tab.uri.fsPath.endsWith('.onnx')) return tab.uri.fsPath;
  const found = await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 200);
  const pick = await vscode.window.showQuickPick(found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { title: 'Quantize which model?' });
  return pick?.uri.fsPath;
}

/** Asks for calibration data: tensors, images (with their preprocessing) or, when offered, random inputs. */
async function pickCalibration(offerRandom: boolean): Promise<QuantizeRequest['calibration'] | undefined> {
  const src = await vscode.window.showQuickPick(
    [
      { label: 'Folder of .npy / .pb tensors…', id: 'files' },
      { label: 'Folder of images…', id: 'images' },
      ...(offerRandom ? [{ label: 'Random inputs', description: 'poor: ranges reflect noise, not your data', id: 'random' }] : []),
    ],
    { title: 'Calibration data' },
  );
  if (!src) return undefined;
  if (src.id === 'random') return { kind: 'random', count: 16 };
  const dir = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: src.id === 'files', canSelectMany: false, title: 'Calibration data' });
  if (!dir?.[0]) return undefined;
  if (src.id === 'files') return { kind: 'files', path: dir[0].fsPath };
  const recipe = await vscode.window.showInputBox({ title: 'Image preprocessing', value: 'resize=224x224,layout=nchw,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,scale=1/255,channels=rgb' });
  if (!recipe) return undefined;
  const { parseRecipe } = await import('../../core/quantize/calibration');
  return { kind: 'images', path: dir[0].fsPath, recipe: parseRecipe(recipe, { width: 224, height: 224 }) };
}

/** Where a run's settings came from, e.g. `mobileai.yaml's recipe for "mnist"` (said in its title and report). */
export interface QuantizeOrigin {
  source?: string;
}

/** Asks how to quantize (mode, calibration, method) and where to write; undefined when the user backs out. */
async function buildRequest(model: string, preset?: Partial<QuantizeRequest>): Promise<Omit<QuantizeRequest, 'signal' | 'progress'> | undefined> {
  const mode = preset?.mode ?? (await vscode.window.showQuickPick(
    [
      { label: 'static', description: 'int8 QDQ, calibrated: CNNs and transformers, fastest when the whole graph quantizes', mode: 'static' as const },
      { label: 'dynamic', description: 'int8 MatMul/Gemm weights, activations quantized at run time', mode: 'dynamic' as const },
      { label: 'int4', description: 'weight-only 4-bit MatMulNBits: the LLM path', mode: 'int4' as const },
    ],
    { title: `Quantize ${path.basename(model)}: mode` },
  ))?.mode;
  if (!mode) return undefined;
  const req: Omit<QuantizeRequest, 'signal' | 'progress'> = { input: model, output: '', mode, ...preset };
  if (mode === 'static' && !preset?.calibration) {
    const calibration = await pickCalibration(true);
    if (!calibration) return undefined;
    req.calibration = calibration;
    const method = await vscode.window.showQuickPick(['minmax', 'percentile', 'entropy'], { title: 'Calibration method' });
    if (!method) return undefined;
    req.method = method as 'minmax';
    const pc = await vscode.window.showQuickPick(['per-channel weights', 'per-tensor weights'], { title: 'Weights' });
    if (!pc) return undefined;
    req.perChannel = pc.startsWith('per-channel');
  }
  if (!preset && mode !== 'int4') {
    const items = [
      { label: 'Keep sensitive layers in float until the accuracy target is met', description: 'cosine ≥ 0.99, top-1 ≥ 98% on held-out inputs', picked: true, id: 'search' },
      { label: 'Cross-layer equalization', description: 'balances Conv/Gemm channel ranges; helps per-tensor int8 on depthwise CNNs', picked: false, id: 'cle' },
      { label: 'Bias correction', description: 'removes the output shift weight rounding causes', picked: false, id: 'bc' },
    ];
    const chosen = await vscode.window.showQuickPick(items, { title: 'Accuracy', canPickMany: true });
    if (!chosen) return undefined;
    req.accuracyAware = chosen.some((c) => c.id === 'search');
    req.cle = chosen.some((c) => c.id === 'cle');
    req.biasCorrection = chosen.some((c) => c.id === 'bc');
  }
  const suggested = await uniquePath(path.join(path.dirname(model), `${path.basename(model, '.onnx')}.${mode === 'int4' ? 'int4' : mode === 'dynamic' ? 'dyn-int8' : 'int8'}.onnx`));
  req.output = preset?.output || suggested;
  req.dims = { ...(vscode.workspace.getConfiguration('mobileAI').get<Record<string, number>>('profiling.dimensions') ?? {}), ...(preset?.dims ?? {}) };
  // Calibration and evaluation inputs are drawn at the model's real shapes: chosen before, given, or asked for now.
  const { ensureInputs } = await import('../models/modelInputs');
  const inputs = await ensureInputs(model, { ...preset?.inputs, dims: { ...req.dims, ...preset?.inputs?.dims } });
  if (!inputs) return undefined;
  req.inputs = inputs;
  return req;
}

/** The Quantize report panel: progress and cancel while it runs, then the report. */
export class QuantizePanel {
  private readonly host: PanelHost;
  private get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }
  private ready: Promise<void>;
  private markReady!: () => void;
  private readonly cancel = new CancelSource();
  private report: QuantizeReport | undefined;
  private disposed = false;

  constructor(private readonly ctx: vscode.ExtensionContext, private readonly store: DeviceStore, private readonly log: Logger, private readonly req: Omit<QuantizeRequest, 'signal' | 'progress'>, private readonly origin: QuantizeOrigin = {}) {
    this.host = new PanelHost({
      viewType: 'mobileai.quantize', title: `Quantize: ${path.basename(req.input)}`, show: vscode.ViewColumn.Beside,
      extensionUri: ctx.extensionUri, app: 'quantize', pageTitle: 'Quantize',
    }, this.log);
    this.ready = new Promise((r) => (this.markReady = r));
    this.host.onDidDispose(() => {
      this.disposed = true;
      this.cancel.cancel();
    });
    this.host.onDidReceiveMessage((m: unknown) => {
      if (this.disposed) return;
      if (!isFromQuantizeWebview(m)) {
        this.log.warn(`quantize panel: ignored an invalid message: ${preview(m)}`);
        return;
      }
      if (m.type === 'ready') this.markReady();
      else if (m.type === 'cancel') this.cancel.cancel();
      else if (m.type === 'openModel' && this.report) void vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(this.report.output.file), 'mobileai.onnxModel');
      else if (m.type === 'compareProfiles' && this.report) void ProfilePanel.compareModels(this.ctx, this.store, this.log, this.report.input.file, this.report.output.file);
      else if (m.type === 'saveReport' && this.report) void this.save();
      else if (m.type === 'requantize' && this.report) void this.requantize(m.keep);
      else if (m.type === 'requantizeCalibrated' && this.report) void this.requantizeCalibrated();
      else if (m.type === 'chooseSettings' && this.report) void vscode.commands.executeCommand('mobileai.quantize.model', this.req.input, undefined, { choose: true });
    });
  }

  private post(m: ToQuantizeWebview): void {
    void this.ready.then(() => this.panel.webview.postMessage(m));
  }

  async run(): Promise<void> {
    const title = `Quantizing ${path.basename(this.req.input)} (${this.req.mode})${this.origin.source ? ` with ${this.origin.source}` : ''}`;
    this.log.info(`${title} → ${this.req.output}`);
    try {
      const { quantizeModel } = await import('../../core/quantize/quantize');
      this.report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
        token.onCancellationRequested(() => this.cancel.cancel());
        return quantizeModel({
          ...this.req,
          signal: this.cancel.signal,
          progress: { report: (p) => { this.post({ type: 'progress', title, message: p.message ?? '', fraction: p.total ? (p.done ?? 0) / p.total : undefined }); progress.report({ message: p.message }); } },
        });
      });
      this.log.info(`quantized: ${this.report.input.bytes} → ${this.report.output.bytes} bytes, speed-up ×${this.report.latency.speedup.toFixed(2)}`);
      this.post({ type: 'report', report: this.report, source: this.origin.source });
      // A missed target is a failure, shown as one (the report's red banner says what missed and offers a retry).
      if (!this.report.accuracy.met) {
        this.log.error(`quantization missed the accuracy target: ${this.report.accuracy.failures.join('; ')}`);
        void vscode.window.showErrorMessage(`${path.basename(this.report.output.file)} misses the accuracy target: ${this.report.accuracy.failures[0] ?? ''}`);
      }
    } catch (err) {
      if (err instanceof CancelledError) {
        this.post({ type: 'cancelled', message: err.message });
        return;
      }
      this.log.error('quantization failed', err);
      this.post({ type: 'error', message: errorMessage(err) });
      void vscode.window.showErrorMessage(`Quantization failed: ${errorMessage(err)}`);
    }
  }

  /** Quantizes again with the same settings, these nodes kept in float as well, to a new file. */
  private async requantize(keep: string[]): Promise<void> {
    const known = new Set([...(this.report?.quantized.names ?? []), ...(this.report?.sensitivity.map((s) => s.node) ?? []), ...(this.report?.accuracy.keptInFloat.map((k) => k.node) ?? [])]);
    const nodes = keep.filter((k) => known.has(k));
    if (!nodes.length) return;
    this.log.info(`re-quantizing ${path.basename(this.req.input)} keeping ${nodes.join(', ')} in float`);
    const preset: Partial<QuantizeRequest> = { ...this.req, output: '', exclude: [...new Set([...(this.req.exclude ?? []), ...nodes])] };
    await vscode.commands.executeCommand('mobileai.quantize.model', this.req.input, preset, { source: `${this.origin.source ?? 'the same settings'}, keeping ${nodes.join(', ')} in float` });
  }

  /** Quantizes again with the same settings and real calibration data, chosen now. */
  private async requantizeCalibrated(): Promise<void> {
    const calibration = await pickCalibration(false);
    if (!calibration) return;
    this.log.info(`re-quantizing ${path.basename(this.req.input)} calibrated on ${calibration.kind === 'random' ? 'random inputs' : calibration.path}`);
    const preset: Partial<QuantizeRequest> = { ...this.req, output: '', calibration };
    await vscode.commands.executeCommand('mobileai.quantize.model', this.req.input, preset, { source: `${this.origin.source ?? 'the same settings'}, calibrated on ${calibration.kind === 'random' ? 'random inputs' : path.basename(calibration.path)}` });
  }

  private async save(): Promise<void> {
    if (!this.report) return;
    const suggestion = await uniquePath(this.report.output.file.replace(/\.onnx$/, '.report.json'));
    const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggestion), filters: { JSON: ['json'] } });
    if (!uri) return;
    try {
      await writeFileAtomicNoClobber(uri.fsPath, `${JSON.stringify(this.report, null, 2)}\n`);
    } catch (err) {
      void vscode.window.showErrorMessage(errorMessage(err));
    }
  }
}

export function registerQuantizeCommands(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  context.subscriptions.push(vscode.commands.registerCommand('mobileai.quantize.model', async (arg?: unknown, preset?: Partial<QuantizeRequest>, how?: { source?: unknown; choose?: unknown }) => {
    try {
      const model = await pickModel(arg);
      if (!model) return;
      let origin: QuantizeOrigin = { source: typeof how?.source === 'string' ? how.source : undefined };
      if (!preset && how?.choose !== true) {
        // A model listed in mobileai.yaml with a quantize recipe: offered first, never applied silently.
        const { workspaceManifest, quantizePreset } = await import('../manifest/manifestClient');
        const { modelEntryFor } = await import('../../core/manifest/manifest');
        const ws = await workspaceManifest();
        const found = ws && modelEntryFor(ws.manifest, ws.baseDir, model);
        if (ws && found?.entry.quantize) {
          const q = found.entry.quantize;
          const summary = [q.mode, q.mode === 'static' ? (q.method ?? 'minmax') : undefined, q.perChannel ? 'per-channel' : undefined, q.calibration ? `calibration ${q.calibration}` : q.mode === 'static' ? `${q.random ?? 16} random inputs` : undefined, q.exclude?.length ? `${q.exclude.length} node(s) in float` : undefined].filter(Boolean).join(', ');
          const choice = await vscode.window.showQuickPick([
            { label: `Use the Manifest's Recipe`, description: summary, detail: `mobileai.yaml, model "${found.name}", quantize:`, use: true },
            { label: 'Choose…', description: 'mode, calibration, method: asked now', use: false },
          ], { title: `Quantize ${path.basename(model)}` });
          if (!choice) return;
          if (choice.use) {
            log.info(`quantize: using the recipe of model "${found.name}" in mobileai.yaml`);
            preset = await quantizePreset(found.entry, (p) => (path.isAbsolute(p) ? p : path.join(ws.baseDir, p)));
            origin = { source: `mobileai.yaml's recipe for "${found.name}"` };
          }
        }
      }
      const req = await buildRequest(model, preset);
      if (!req) return;
      await new QuantizePanel(context, store, log, req, origin).run();
    } catch (err) {
      log.error('quantize command failed', err);
      void vscode.window.showErrorMessage(errorMessage(err));
    }
  }));
}
