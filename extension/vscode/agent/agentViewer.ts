import * as vscode from 'vscode';
import * as path from 'node:path';
import { PanelHost } from '../webviews/panelHost';
import { preview } from '../../../webview/shared/messages';
import { isFromAgentWebview, type ToAgentWebview, type ViewerStep } from '../../../webview/agent/protocol';
import type { AgentStep, RunMeta } from '../../core/agent/trace';
import type { Logger } from '../../core/util/log';
import { waitAtMost } from '../../core/util/progress';

export interface ViewerActions {
  stop?(): void;
  showScreen(serial: string): void;
  exportEpisode(dir: string): void;
  replay(dir: string, serial: string): void;
}

/** The trace viewer: one panel per run folder, live while the run is in progress. */
export class AgentViewer {
  static readonly open = new Map<string, AgentViewer>();
  private readonly host: PanelHost;
  private get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }
  private ready = false;
  private queue: ToAgentWebview[] = [];
  private meta: RunMeta | undefined;
  private live = false;
  private disposed = false;

  private constructor(ctx: vscode.ExtensionContext, readonly dir: string, private readonly log: Logger, private readonly actions: ViewerActions) {
    this.host = new PanelHost({
      viewType: 'mobileai.agentTrace', title: `Agent: ${path.basename(dir).slice(20) || path.basename(dir)}`, show: vscode.ViewColumn.Active,
      extensionUri: ctx.extensionUri, app: 'agent', pageTitle: 'Agent trace', roots: [vscode.Uri.file(dir)],
    }, this.log);
    this.host.onDidDispose(() => {
      this.disposed = true;
      AgentViewer.open.delete(dir);
    });
    this.host.onDidReceiveMessage((m: unknown) => {
      if (this.disposed) return;
      if (!isFromAgentWebview(m)) {
        this.log.warn(`agent viewer: ignored an invalid message: ${preview(m)}`);
        return;
      }
      if (m.type === 'ready') {
        this.ready = true;
        for (const q of this.queue.splice(0)) void this.panel.webview.postMessage(q);
      } else if (m.type === 'stop') this.actions.stop?.();
      else if (m.type === 'showScreen' && this.meta) this.actions.showScreen(this.meta.device.serial);
      else if (m.type === 'export') this.actions.exportEpisode(this.dir);
      else if (m.type === 'replay' && this.meta) this.actions.replay(this.dir, this.meta.device.serial);
    });
    AgentViewer.open.set(dir, this);
  }

  static show(ctx: vscode.ExtensionContext, dir: string, log: Logger, actions: ViewerActions): AgentViewer {
    const existing = AgentViewer.open.get(dir);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    return new AgentViewer(ctx, dir, log, actions);
  }

  /** Resolves once the viewer's page has loaded (its first message), or after `timeoutMs` whatever happened. */
  async loaded(timeoutMs: number): Promise<void> {
    await waitAtMost(this.host.pageLoaded, timeoutMs);
  }

  setStop(stop: (() => void) | undefined): void {
    this.actions.stop = stop;
  }

  private post(m: ToAgentWebview): void {
    if (this.ready) void this.panel.webview.postMessage(m);
    else this.queue.push(m);
  }

  private viewerStep(s: AgentStep): ViewerStep {
    return { ...s, screenshotUri: s.screenshot ? this.panel.webview.asWebviewUri(vscode.Uri.file(path.join(this.dir, s.screenshot))).toString() : undefined };
  }

  load(meta: RunMeta, steps: AgentStep[], live: boolean, skipped: number[] = []): void {
    this.meta = meta;
    this.live = live;
    this.post({ type: 'trace', meta, steps: steps.map((s) => this.viewerStep(s)), live, skipped });
  }

  step(s: AgentStep): void {
    this.post({ type: 'step', step: this.viewerStep(s) });
  }

  phase(step: number, phase: 'observe' | 'think' | 'act'): void {
    this.post({ type: 'phase', step, phase });
  }

  finished(meta: RunMeta): void {
    this.meta = meta;
    this.live = false;
    this.post({ type: 'meta', meta, live: false });
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** The editor column the viewer is in (the screen panel opens beside it). */
  get column(): number | undefined {
    return this.panel.viewColumn;
  }
}
