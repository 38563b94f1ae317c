import * as vscode from 'vscode';
import * as path from 'node:path';
import { PanelHost } from '../webviews/panelHost';
import { isFromProfileWebview, type FromProfileWebview, type ToProfileWebview } from '../../../webview/profile/protocol';
import { preview } from '../../../webview/shared/messages';
import type { ProfileResult } from '../../core/profile/types';
import { CancelSource, CancelledError } from '../../core/util/progress';
import { errorMessage, type Logger } from '../../core/util/log';
import { uniquePath, writeFileAtomicNoClobber } from '../../core/util/fsAtomic';
import type { DeviceStore } from '../devices/deviceStore';
import { buildRequest, describeRequest, runProfile, type ProfileRequest } from './profileRunner';

/** Files a profile can be opened from: our JSON, ONNX Runtime's profile JSON, saved runner outputs. */
export const PROFILE_FILTERS = { 'Profiles and runner outputs': ['json', 'txt', 'log', 'csv'], 'All files': ['*'] };

/** Listeners told about every finished profile (the model editor colours its graph with them). */
export const profileEvents = new vscode.EventEmitter<ProfileResult>();

/** One Profile panel: runs a profile with progress and cancel, shows it, exports, compares. */
export class ProfilePanel {
  private static readonly panels = new Set<ProfilePanel>();
  private readonly host: PanelHost;
  private get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }
  private ready: Promise<void>;
  private markReady!: () => void;
  private cancel: CancelSource | undefined;
  private current: ProfileResult | undefined;
  private baseline: ProfileResult | undefined;
  private request: ProfileRequest;
  private disposed = false;

  private constructor(private readonly ctx: vscode.ExtensionContext, private readonly store: DeviceStore, private readonly log: Logger, request: ProfileRequest) {
    this.request = request;
    this.host = new PanelHost({
      viewType: 'mobileai.profile', title: `Profile: ${path.basename(request.model)}`, show: vscode.ViewColumn.Beside,
      extensionUri: ctx.extensionUri, app: 'profile', pageTitle: 'Profile',
    }, this.log);
    this.ready = new Promise((r) => (this.markReady = r));
    this.host.onDidReceiveMessage((m: unknown) => this.handleMessage(m));
    this.host.onDidDispose(() => {
      this.disposed = true;
      this.cancel?.cancel();
      ProfilePanel.panels.delete(this);
    });
    ProfilePanel.panels.add(this);
  }

  static async open(ctx: vscode.ExtensionContext, store: DeviceStore, log: Logger, request: ProfileRequest): Promise<ProfilePanel> {
    const p = new ProfilePanel(ctx, store, log, request);
    void p.run(request);
    return p;
  }

  /**
   * Shows a saved profile: our JSON, or a runner's output imported (ONNX Runtime profile JSON,
   * onnxruntime_perf_test or benchmark_model output). It compares with measured ones like any other.
   */
  static async openFile(ctx: vscode.ExtensionContext, store: DeviceStore, log: Logger, file: string): Promise<ProfilePanel> {
    const { importProfile } = await import('../../core/profile/import');
    const result = await importProfile(file);
    const p = new ProfilePanel(ctx, store, log, { model: result.model.file || file, target: result.device.kind === 'host' ? 'host' : 'phone', optimization: (result.runtime.optimization as 'all') ?? 'all' });
    p.current = result;
    p.panel.title = `Profile: ${result.model.name} (${path.basename(file)})`;
    log.info(`opened profile ${file} (${result.source?.format ?? 'mobileai'})`);
    await p.show();
    profileEvents.fire(result);
    return p;
  }

  /** Profiles `a` (baseline) then `b` on this machine and shows the comparison (fp32 vs int8). */
  static async compareModels(ctx: vscode.ExtensionContext, store: DeviceStore, log: Logger, a: string, b: string): Promise<void> {
    const p = new ProfilePanel(ctx, store, log, { model: a, target: 'host', optimization: 'all' });
    await p.run(p.request);
    if (p.current) await p.run({ model: b, target: 'host', optimization: 'all' }, true);
  }

  private post(m: ToProfileWebview): void {
    void this.ready.then(() => {
      if (!this.disposed) void this.panel.webview.postMessage(m).then(undefined, () => undefined);
    });
  }

  /** What the webview sends: checked by the protocol's guard; nothing is done once the panel is closed. */
  handleMessage(raw: unknown): void {
    if (this.disposed) return;
    if (!isFromProfileWebview(raw)) {
      this.log.warn(`profile panel: ignored an invalid message from the webview: ${preview(raw)}`);
      return;
    }
    const m: FromProfileWebview = raw;
    switch (m.type) {
      case 'ready': this.markReady(); break;
      case 'cancel': this.cancel?.cancel(); break;
      case 'export': void this.export(m.format); break;
      case 'compare': void this.compare(); break;
      case 'rerun':
        // An imported profile has no run of ours to repeat: say so rather than profiling a path from another machine.
        if (this.current?.source) void vscode.window.showInformationMessage(`This profile was imported from ${this.current.source.file ?? 'a saved output'}: open the model and profile it to measure it here.`);
        else void this.run(this.request);
        break;
    }
  }

  /** Runs a profile; with `asComparison`, the current result becomes the baseline (A) of the comparison. */
  async run(request: ProfileRequest, asComparison = false): Promise<void> {
    if (this.cancel) return;
    const cancel = new CancelSource();
    this.cancel = cancel;
    const title = `Profiling ${describeRequest(request)}`;
    this.log.info(title);
    this.post({ type: 'progress', title, message: 'starting…' });
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        let last = 0;
        return runProfile(this.store, request, cancel, (message, fraction) => {
          this.post({ type: 'progress', title, message, fraction });
          if (fraction !== undefined) {
            progress.report({ message, increment: Math.max(0, (fraction - last) * 100) });
            last = fraction;
          } else progress.report({ message });
        });
      });
      if (asComparison && this.current) this.baseline = this.current;
      else if (!asComparison) this.baseline = undefined;
      this.request = request;
      this.current = result;
      if (this.disposed) return;
      this.panel.title = `Profile: ${result.model.name}${this.baseline ? ' (compared)' : ''}`;
      this.log.info(`profile done: p50 ${result.latencyMs.p50.toFixed(3)} ms, ${result.nodes.length} kernels, coverage ${(result.kernelCoverage * 100).toFixed(1)}%`);
      await this.show();
      profileEvents.fire(result);
    } catch (err) {
      if (err instanceof CancelledError) {
        this.post({ type: 'cancelled' });
        this.log.info('profiling cancelled');
      } else {
        this.log.error('profiling failed', err);
        this.post({ type: 'error', message: errorMessage(err) });
        void vscode.window.showErrorMessage(`Profiling failed: ${errorMessage(err)}`);
      }
    } finally {
      this.cancel = undefined;
    }
  }

  private async show(): Promise<void> {
    if (!this.current) return;
    if (this.baseline) {
      const { compareProfiles } = await import('../../core/profile/compare');
      this.post({ type: 'result', profile: this.current, baseline: this.baseline, comparison: compareProfiles(this.baseline, this.current) });
    } else {
      this.post({ type: 'result', profile: this.current });
    }
  }

  private async export(format: 'trace' | 'csv' | 'json'): Promise<void> {
    const p = this.current;
    if (!p) return;
    try {
      const { toChromeTrace, toCsv } = await import('../../core/profile/export');
      const ext = format === 'csv' ? 'csv' : 'json';
      const base = `${p.model.name.replace(/\.[^.]+$/, '')}.${format === 'trace' ? 'trace' : 'profile'}.${ext}`;
      const dir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(p.model.file);
      const suggestion = await uniquePath(path.join(dir, base));
      const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggestion), filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] }, title: format === 'trace' ? 'Save a Chrome trace (open it in Perfetto)' : undefined });
      if (!uri) return;
      const text = format === 'trace' ? JSON.stringify(toChromeTrace(p)) : format === 'csv' ? toCsv(p) : `${JSON.stringify(p, null, 2)}\n`;
      await writeFileAtomicNoClobber(uri.fsPath, text);
      void vscode.window.setStatusBarMessage(`$(save) Saved ${vscode.workspace.asRelativePath(uri.fsPath)}`, 5000);
    } catch (err) {
      void vscode.window.showErrorMessage(`Export failed: ${errorMessage(err)}`);
    }
  }

  private async compare(): Promise<void> {
    if (!this.current) return;
    const other = this.request.optimization === 'all' ? 'disabled' : 'all';
    const choice = await vscode.window.showQuickPick(
      [
        { label: `This model, optimization ${other}`, id: 'opt' },
        { label: 'This model on a phone', id: 'phone' },
        { label: 'This model on this machine', id: 'host' },
        { label: 'Another model (e.g. the int8 one)…', id: 'model' },
        { label: 'A saved profile (JSON, or onnxruntime_perf_test / benchmark_model output)…', id: 'saved' },
      ],
      { title: 'Compare this profile (A) with…' },
    );
    if (!choice) return;
    if (choice.id === 'saved') {
      const uri = await vscode.window.showOpenDialog({ filters: PROFILE_FILTERS, canSelectMany: false });
      if (!uri?.[0]) return;
      try {
        const { importProfile } = await import('../../core/profile/import');
        const saved = await importProfile(uri[0].fsPath);
        this.baseline = this.current;
        this.current = saved;
        await this.show();
      } catch (err) {
        void vscode.window.showErrorMessage(`Cannot compare: ${errorMessage(err)}`);
      }
      return;
    }
    let model = this.request.model;
    if (choice.id === 'model') {
      const uri = await vscode.window.showOpenDialog({ filters: { 'ONNX model': ['onnx'] }, canSelectMany: false });
      if (!uri?.[0]) return;
      model = uri[0].fsPath;
    }
    const req = await buildRequest(this.store, model, choice.id === 'phone' ? 'phone' : choice.id === 'host' || choice.id === 'opt' ? 'host' : this.request.target, choice.id === 'opt' ? other : this.request.optimization);
    if (req) await this.run(req, true);
  }
}
