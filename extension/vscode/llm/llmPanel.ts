import * as vscode from 'vscode';
import { PanelHost } from '../webviews/panelHost';
import { isFromLlmWebview, type FromLlmWebview, type RunSummary, type ShapePoint, type ToLlmWebview } from '../../../webview/llm/protocol';
import type { LlmRunRecord, LlmSample } from '../../core/llm/runRecord';
import { errorMessage, type Logger } from '../../core/util/log';

/** What the panel's buttons do (the commands module supplies them). */
export interface LlmPanelActions {
  bench(): void;
  import(): void;
  cancel(): void;
  quantize(id: string): void;
  explore(m: Extract<FromLlmWebview, { type: 'explore' }>): void;
  exportShape(id: string): void;
  export(ids: string[], format: 'csv' | 'json', compare: boolean): void;
}

/**
 * The LLM panel: the runs kept in `.mobileai/llm-runs/` (measured and imported), one run's figures and
 * timeline, live while a bench runs, comparisons, and the shape explorer. One panel per window.
 */
export class LlmPanel {
  static current: LlmPanel | undefined;
  private readonly host: PanelHost;
  private get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }
  private ready = false;
  private disposed = false;
  private queue: ToLlmWebview[] = [];
  readonly records = new Map<string, { record: LlmRunRecord; dir?: string }>();

  private constructor(ctx: vscode.ExtensionContext, private readonly log: Logger, private readonly root: () => string | undefined, private readonly actions: LlmPanelActions) {
    this.host = new PanelHost({
      viewType: 'mobileai.llm', title: 'LLM Runs', show: vscode.ViewColumn.Active,
      extensionUri: ctx.extensionUri, app: 'llm', pageTitle: 'LLM Runs',
    }, this.log);
    this.host.onDidDispose(() => {
      this.disposed = true;
      if (LlmPanel.current === this) LlmPanel.current = undefined;
    });
    this.host.onDidReceiveMessage((m: unknown) => {
      if (this.disposed) return; // closed: nothing a late message asks for happens
      if (!isFromLlmWebview(m)) {
        let shown: string;
        try {
          shown = String(JSON.stringify(m)).slice(0, 200);
        } catch {
          shown = typeof m;
        }
        this.log.warn(`llm panel: ignored an invalid message: ${shown}`);
        return;
      }
      // The promise is returned (VS Code ignores it) so that a caller that awaits a handler waits for its work.
      return this.handle(m);
    });
  }

  static show(ctx: vscode.ExtensionContext, log: Logger, root: () => string | undefined, actions: LlmPanelActions): LlmPanel {
    if (LlmPanel.current) {
      LlmPanel.current.panel.reveal(undefined, true);
      return LlmPanel.current;
    }
    LlmPanel.current = new LlmPanel(ctx, log, root, actions);
    void LlmPanel.current.refresh();
    return LlmPanel.current;
  }

  private async handle(m: FromLlmWebview): Promise<void> {
    try {
      if (m.type === 'ready') {
        this.ready = true;
        for (const q of this.queue.splice(0)) void this.panel.webview.postMessage(q);
      } else if (m.type === 'refresh') await this.refresh();
      else if (m.type === 'bench') this.actions.bench();
      else if (m.type === 'import') this.actions.import();
      else if (m.type === 'cancel') this.actions.cancel();
      else if (m.type === 'select') await this.openRun(m.id);
      else if (m.type === 'compare') this.compare(m.ids, m.baseline);
      else if (m.type === 'export') this.actions.export(m.ids, m.format, m.compare);
      else if (m.type === 'quantize') this.actions.quantize(m.id);
      else if (m.type === 'explore') this.actions.explore(m);
      else if (m.type === 'exportShape') this.actions.exportShape(m.id);
    } catch (err) {
      this.post({ type: 'error', message: errorMessage(err) });
    }
  }

  post(m: ToLlmWebview): void {
    if (this.disposed) return;
    if (this.ready) void this.panel.webview.postMessage(m);
    else this.queue.push(m);
  }

  /** Re-reads the runs folder (imported runs are kept there too) and sends the list. */
  async refresh(): Promise<void> {
    const root = this.root();
    if (root) {
      const { listRuns } = await import('../../core/llm/runStore');
      const listed = await listRuns(root);
      for (const l of listed) {
        if (l.record) this.records.set(l.id, { record: { ...l.record, id: l.record.id ?? l.id }, dir: l.dir });
        else this.log.warn(`llm panel: ${l.dir}: ${l.error}`);
      }
    }
    await this.sendList(root);
  }

  private async sendList(root?: string): Promise<void> {
    const { measuredOn, setupOf } = await import('../../core/llm/compare');
    const runs: RunSummary[] = [...this.records.entries()].sort((a, b) => (a[0] < b[0] ? 1 : -1)).map(([id, { record: r }]) => ({
      id, model: r.model.name, measuredOn: measuredOn(r), setup: setupOf(r), source: r.source.format === 'measured' ? 'measured' : `imported ${r.source.format}`,
      status: r.status, when: r.source.measuredAt ?? r.source.importedAt, prefillTps: r.prefill?.mean, decodeTps: r.decode?.mean,
    }));
    this.post({ type: 'runs', runs, root });
  }

  /** Adds (or replaces) a run the panel knows, and lists it. */
  async add(record: LlmRunRecord, dir?: string): Promise<void> {
    const id = record.id ?? `run-${this.records.size + 1}`;
    this.records.set(id, { record: { ...record, id }, dir });
    await this.sendList(this.root());
  }

  async openRun(id: string, live = false): Promise<void> {
    const known = this.records.get(id);
    if (!known) throw new Error(`no run ${id} (refresh the list)`);
    if (known.dir && !live) {
      const { readRun } = await import('../../core/llm/runStore');
      known.record = { ...(await readRun(known.dir)), id };
    }
    this.post({ type: 'run', run: known.record, live });
    this.panel.reveal(undefined, true);
  }

  showRecord(record: LlmRunRecord, live: boolean): void {
    this.post({ type: 'run', run: record, live });
  }

  live(id: string, samples: LlmSample[], decodeTimelineMs?: number[][], message?: string): void {
    this.post({ type: 'live', id, samples, decodeTimelineMs, message });
  }

  compare(ids: string[], baseline = 0, title?: string): void {
    const runs = ids.map((id) => {
      const r = this.records.get(id);
      if (!r) throw new Error(`no run ${id} (refresh the list)`);
      return r.record;
    });
    this.post({ type: 'compare', runs, baseline, title });
    this.panel.reveal(undefined, true);
  }

  busy(message: string, cancellable: boolean): void {
    this.post({ type: 'busy', message, cancellable });
  }

  idle(message?: string): void {
    this.post({ type: 'idle', message });
  }

  error(message: string): void {
    this.post({ type: 'error', message });
  }

  shapes(points: ShapePoint[], done: boolean, target: string, measured: number, cached: number): void {
    this.post({ type: 'shapes', points, done, target, measured, cached });
  }
}
