import * as vscode from 'vscode';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PanelHost } from '../webviews/panelHost';
import { preview } from '../../../webview/shared/messages';
import { isFromSearchWebview, type PlotPoint, type ToSearchWebview } from '../../../webview/search/protocol';
import type { MultiSearchReport, SearchReport, SearchRequest, SearchTarget } from '../../core/search/run';
import { errorMessage, type Logger } from '../../core/util/log';
import { uniquePath } from '../../core/util/fsAtomic';
import type { Algorithm } from '../../core/search/search';

type WorkerMessage =
  | { type: 'progress'; evaluations: number; best?: PlotPoint; points: Array<PlotPoint & { arch: unknown }>; target?: number }
  | { type: 'done'; report: SearchReport }
  | { type: 'doneMulti'; report: MultiSearchReport }
  | { type: 'error'; message: string; cancelled: boolean };

/** What the panel runs: one table, or several targets (one search per phone, compared). */
export type PanelRequest = Omit<SearchRequest, 'signal' | 'onProgress'> & { targets?: SearchTarget[] };

/** The Search panel: the search runs in a worker thread; points stream into a live scatter plot. */
export class SearchPanel {
  private readonly host: PanelHost;
  private get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }
  private ready: Promise<void>;
  private markReady!: () => void;
  private worker: Worker | undefined;
  private readonly archs = new Map<string, unknown>();
  /** Each point's predicted latency and the target (table) it was searched for; the tables, once done. */
  private readonly latency = new Map<string, { ms: number; target: number }>();
  private tables: Array<SearchReport['table']> = [];
  private pending: PlotPoint[] = [];
  private pendingTarget = 0;
  private flush: NodeJS.Timeout | undefined;

  /** `from`: the mobileai.yaml search whose settings this run uses (said in the title and the log). */
  constructor(private readonly ctx: vscode.ExtensionContext, private readonly log: Logger, private readonly req: PanelRequest, from?: string) {
    const multi = req.targets && req.targets.length > 1;
    const what = multi ? `${req.space} for ${req.targets?.map((t) => t.name).join(', ')}` : `${req.space} ≤ ${req.budgetMs} ms`;
    this.host = new PanelHost({
      viewType: 'mobileai.search', title: from ? `Search "${from}" (mobileai.yaml): ${what}` : `Search: ${what}`, show: vscode.ViewColumn.Active,
      extensionUri: ctx.extensionUri, app: 'search', pageTitle: 'Search',
    }, this.log);
    this.ready = new Promise((r) => (this.markReady = r));
    this.host.onDidDispose(() => void this.worker?.terminate());
    this.host.onDidReceiveMessage((m: unknown) => {
      if (!isFromSearchWebview(m)) {
        this.log.warn(`search panel: ignored an invalid message: ${preview(m)}`);
        return;
      }
      if (m.type === 'ready') this.markReady();
      else if (m.type === 'cancel') this.worker?.postMessage('cancel');
      else if (m.type === 'select') void this.select(m.id);
      else if (m.type === 'export' || m.type === 'open') void this.export(m.id, m.type === 'open');
    });
  }

  private post(m: ToSearchWebview): void {
    void this.ready.then(() => this.panel.webview.postMessage(m));
  }

  run(estimatorLabel: { label: string; kind: 'accuracy' | 'proxy' }): void {
    const targets = this.req.targets && this.req.targets.length > 1 ? this.req.targets.map((t) => ({ name: t.name, budgetMs: t.budgetMs ?? this.req.budgetMs })) : undefined;
    const title = targets ? `${this.req.algorithm} over ${this.req.space} for ${targets.map((t) => `${t.name} ≤ ${t.budgetMs} ms`).join(', ')}, seed ${this.req.seed}` : `${this.req.algorithm} over ${this.req.space}, budget ${this.req.budgetMs} ms, seed ${this.req.seed}`;
    this.post({ type: 'start', title, budgetMs: this.req.budgetMs, scoreLabel: estimatorLabel.label, scoreKind: estimatorLabel.kind, evaluations: this.req.evaluations * (targets?.length ?? 1), targets });
    const worker = new Worker(path.join(this.ctx.extensionPath, 'dist', 'search-worker.js'), { workerData: this.req });
    this.worker = worker;
    let evaluations = 0;
    let best: PlotPoint | undefined;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        for (const p of m.points) {
          this.archs.set(p.id, p.arch);
          if (!this.latency.has(p.id)) this.latency.set(p.id, { ms: p.latencyMs, target: m.target ?? 0 });
        }
        if ((m.target ?? 0) !== this.pendingTarget) {
          // A new target's points: send what is left of the last one first.
          if (this.flush) { clearTimeout(this.flush); this.flush = undefined; }
          if (this.pending.length) this.post({ type: 'points', evaluations, points: this.pending.splice(0), best, target: this.pendingTarget });
          this.pendingTarget = m.target ?? 0;
        }
        this.pending.push(...m.points.map(({ id, latencyMs, score }) => ({ id, latencyMs, score })));
        evaluations = m.evaluations;
        best = m.best;
        // Batch updates (~10 per second) so the webview draws without a backlog.
        this.flush ??= setTimeout(() => {
          this.flush = undefined;
          this.post({ type: 'points', evaluations, points: this.pending.splice(0), best, target: this.pendingTarget });
        }, 100);
      } else if (m.type === 'done') {
        if (this.flush) { clearTimeout(this.flush); this.flush = undefined; }
        this.post({ type: 'points', evaluations: m.report.evaluations, points: this.pending.splice(0), best, target: this.pendingTarget });
        for (const f of m.report.front) this.archs.set(f.id, f.arch);
        if (m.report.best) this.archs.set(m.report.best.id, m.report.best.arch);
        this.tables = [m.report.table];
        // Logged before the panel shows the result: whoever reads the result can find its log line.
        this.log.info(`search done: ${m.report.evaluations} evaluations in ${m.report.wallSeconds.toFixed(1)} s; best ${m.report.best ? `${m.report.best.score.toFixed(4)} at ${m.report.best.latencyMs.toFixed(2)} ms` : 'none'}; latency ${m.report.trust?.text ?? 'unchecked'}`);
        this.post({ type: 'done', report: m.report });
        void worker.terminate();
      } else if (m.type === 'doneMulti') {
        if (this.flush) { clearTimeout(this.flush); this.flush = undefined; }
        this.post({ type: 'points', evaluations, points: this.pending.splice(0), best, target: this.pendingTarget });
        for (const t of m.report.targets) if (t.report.best) this.archs.set(t.report.best.id, t.report.best.arch);
        this.tables = m.report.targets.map((t) => t.report.table);
        this.log.info(`search done for ${m.report.targets.length} targets in ${m.report.wallSeconds.toFixed(1)} s: ${m.report.targets.map((t) => `${t.name} ${t.report.best ? `${t.report.best.score.toFixed(4)} at ${t.report.best.latencyMs.toFixed(2)} ms` : 'none'}`).join('; ')}`);
        this.post({ type: 'doneMulti', report: m.report });
        void worker.terminate();
      } else if (m.type === 'error') {
        this.post({ type: 'error', message: m.cancelled ? 'Search cancelled.' : m.message });
        if (!m.cancelled) void vscode.window.showErrorMessage(`Search failed: ${m.message}`);
        void worker.terminate();
      }
    });
    worker.on('error', (err) => this.post({ type: 'error', message: errorMessage(err) }));
  }

  /** The selected point's architecture per stage, for the webview. */
  private async select(id: string): Promise<void> {
    const arch = this.archs.get(id);
    if (arch === undefined) return;
    try {
      const { viewOf } = await import('../../core/search/run');
      this.post({ type: 'arch', id, view: await viewOf(this.req.space, arch, this.req.blocks) });
    } catch (err) {
      this.log.warn(`search panel: cannot describe ${id}: ${errorMessage(err)}`);
    }
  }

  private async export(id: string, open: boolean): Promise<void> {
    const arch = this.archs.get(id);
    if (!arch) return;
    try {
      const dir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(this.req.targets?.[0]?.table ?? this.req.table);
      const file = await uniquePath(path.join(dir, 'search', `${this.req.space}-${id.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 60)}.onnx`));
      const { exportArchitecture } = await import('../../core/search/run');
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Exporting and timing the network on this machine…' }, () => {
        const l = this.latency.get(id);
        return exportArchitecture(this.req.space, arch, file, { table: l ? this.tables[l.target] : undefined, predictedMs: l?.ms });
      });
      this.post({ type: 'exported', id, export: result });
      if (open) await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'mobileai.onnxModel');
    } catch (err) {
      void vscode.window.showErrorMessage(`Export failed: ${errorMessage(err)}`);
    }
  }
}

async function pickFile(title: string, candidates: vscode.Uri[], folders: boolean): Promise<string | undefined> {
  const items = [...candidates.map((u) => ({ label: vscode.workspace.asRelativePath(u), path: u.fsPath })), { label: 'Browse…', path: '' }];
  const pick = await vscode.window.showQuickPick(items, { title });
  if (!pick) return undefined;
  if (pick.path) return pick.path;
  const uri = await vscode.window.showOpenDialog({ canSelectFolders: folders, canSelectFiles: true, canSelectMany: false, title });
  return uri?.[0]?.fsPath;
}

export function registerSearchCommands(context: vscode.ExtensionContext, log: Logger): void {
  context.subscriptions.push(vscode.commands.registerCommand('mobileai.search.start', async (preset?: { name?: string; space?: string; table?: string; targets?: SearchTarget[]; predictor?: string; budgetMs: number; algorithm?: Algorithm; evaluations?: number; seed?: number; soft?: boolean; blocks?: string[] }) => {
    try {
      const targets = Array.isArray(preset?.targets) && preset.targets.every((t) => t && typeof t.name === 'string' && typeof t.table === 'string') ? preset.targets : undefined;
      if (preset && typeof preset === 'object' && (typeof preset.table === 'string' || targets?.length) && typeof preset.budgetMs === 'number') {
        // From mobileai.yaml: everything is given (one target's table, or several targets').
        const req: PanelRequest = { space: preset.space ?? 'ofa-mbv3', table: preset.table ?? targets?.[0].table ?? '', targets, predictor: preset.predictor, budgetMs: preset.budgetMs, algorithm: preset.algorithm ?? 'evolution', evaluations: preset.evaluations ?? 5000, seed: preset.seed ?? 0, soft: preset.soft, blocks: preset.blocks };
        const { resolveKit, loadEstimatorFor } = await import('../../core/search/run');
        const est = await loadEstimatorFor(await resolveKit(req.space, { blocks: req.blocks }), req.predictor);
        if (typeof preset.name === 'string') log.info(`search: the settings of mobileai.yaml's search "${preset.name}" (Search Architecture → "Another search…" chooses others)`);
        new SearchPanel(context, log, req, typeof preset.name === 'string' ? preset.name : undefined).run({ label: est.label, kind: est.kind });
        return;
      }
      // Searches defined in mobileai.yaml come first: their settings are all there.
      const { workspaceManifest } = await import('../manifest/manifestClient');
      const ws = await workspaceManifest();
      const defined = Object.entries(ws?.manifest.searches ?? {});
      if (ws && defined.length) {
        const pick = await vscode.window.showQuickPick([
          ...defined.map(([name, sr]) => ({ label: name, description: `mobileai.yaml · ${sr.space ?? 'ofa-mbv3'} on ${sr.target} ≤ ${sr.budgetMs} ms`, name })),
          { label: 'Another search…', description: 'choose the table, budget and algorithm', name: undefined },
        ], { title: 'Search Architecture' });
        if (!pick) return;
        if (pick.name) {
          await vscode.commands.executeCommand('mobileai.manifest.run', vscode.Uri.file(path.join(ws.baseDir, 'mobileai.yaml')).toString(), 'searches', pick.name, 'search');
          return;
        }
      }
      const c = vscode.workspace.getConfiguration('mobileAI');
      let table = c.get<string>('search.table') || undefined;
      if (!table) {
        const yamls = await vscode.workspace.findFiles('**/*lookup_table*.{yaml,yml}', '**/node_modules/**', 50);
        const jsons = await vscode.workspace.findFiles('**/*table*.json', '**/node_modules/**', 50);
        const folders = [...new Map(yamls.map((u) => [path.dirname(u.fsPath), vscode.Uri.file(path.dirname(u.fsPath))])).values()];
        table = await pickFile('Latency table (a file, or a folder with one table per resolution)', [...folders, ...jsons], true);
      }
      if (!table) return;
      let predictor = c.get<string>('search.predictor') || undefined;
      if (!predictor) predictor = await pickFile('Accuracy estimator (Once-for-All predictor weights, or a JSON table)', await vscode.workspace.findFiles('**/*predictor*.json', '**/node_modules/**', 20), false);
      if (!predictor) return;
      const budget = await vscode.window.showInputBox({ title: 'Latency budget (ms)', value: '25', validateInput: (v) => (Number(v) > 0 ? undefined : 'a positive number of milliseconds') });
      if (!budget) return;
      const alg = await vscode.window.showQuickPick([
        { label: 'evolution', description: 'the best under the budget: evolution that repairs children into the budget' },
        { label: 'front', description: 'the latency-accuracy front: elites per latency band' },
        { label: 'nsga2', description: 'NSGA-II: the latency-accuracy front' },
        { label: 'random', description: 'random search: the baseline' },
        { label: 'evolution-classic', description: 'the Once-for-All tutorial\'s evolution, for comparison' },
      ], { title: 'Algorithm' });
      if (!alg) return;
      const evals = await vscode.window.showInputBox({ title: 'Evaluations', value: '5000', validateInput: (v) => (Number.isInteger(Number(v)) && Number(v) > 0 ? undefined : 'a positive integer') });
      if (!evals) return;
      const req = { space: 'ofa-mbv3', table, predictor, budgetMs: Number(budget), algorithm: alg.label as Algorithm, evaluations: Number(evals), seed: c.get<number>('search.seed') ?? 0 };
      const { resolveSpace, loadEstimator } = await import('../../core/search/run');
      const est = await loadEstimator(resolveSpace(req.space), predictor);
      new SearchPanel(context, log, req).run({ label: est.label, kind: est.kind });
    } catch (err) {
      log.error('search failed to start', err);
      void vscode.window.showErrorMessage(errorMessage(err));
    }
  }));
}
