import * as vscode from 'vscode';
import type { Logger } from '../../core/util/log';
import { webviewHtml } from './html';

/** What a panel is: where it opens and which of our webview apps (`webview/<app>/`) it shows. */
export interface PanelSpec {
  viewType: string;
  title: string;
  show: vscode.ViewColumn | { viewColumn: vscode.ViewColumn; preserveFocus?: boolean };
  extensionUri: vscode.Uri;
  app: string;
  /** The page's own <title>. */
  pageTitle: string;
  /** The app compiles WebAssembly (the screen's software H.264 decoder). */
  wasm?: boolean;
  /** Folders the page may load from besides our bundles (the agent viewer's run folder). */
  roots?: vscode.Uri[];
}

/*
 * Webview pages watched until they load.
 *
 * In the browser-hosted workbench (code-server, the main job of `npm start`) every webview's outer frame
 * registers the workbench's service worker at one shared scope, each with its own script URL. When two
 * panels load at about the same moment, one of them can wait for a `controllerchange` that never comes:
 * its page is never written and the panel stays blank, with no error anywhere. Seen in CI with the agent
 * viewer and the screen opened together (either one blank, the other fine).
 *
 * So a page that has sent nothing after some seconds of being shown is opened again: a panel of ours is
 * replaced in place (PanelHost); the model editor reopens its file (models/modelEditor.ts).
 */

/** How long a shown page may stay silent before it counts as blank, and how often it is reopened (tests shorten them). */
export const pageLoad = { timeoutMs: 15_000, maxReopens: 2 };

/**
 * Calls `onSilent` once if the panel has been visible for `pageLoad.timeoutMs` before `seen()` (the owner
 * calls it on the page's first message, from its own listener). Only visible time counts: VS Code creates
 * a hidden webview's page when it is first shown.
 */
export function watchPageLoad(panel: vscode.WebviewPanel, onSilent: () => void): { seen(): void } & vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const subscriptions: vscode.Disposable[] = [];
  const stop = () => {
    done = true;
    clearTimeout(timer);
    for (const s of subscriptions.splice(0)) s.dispose();
  };
  const arm = () => {
    clearTimeout(timer);
    if (done || !panel.visible) return;
    timer = setTimeout(() => {
      stop();
      onSilent();
    }, pageLoad.timeoutMs);
    timer.unref?.();
  };
  subscriptions.push(
    panel.onDidChangeViewState(() => arm()),
    panel.onDidDispose(() => stop()),
  );
  // The caller finishes setting the panel up first.
  setImmediate(arm);
  return { seen: stop, dispose: stop };
}

/**
 * A webview panel whose page is watched until it loads; a blank one is replaced by a fresh panel in the same
 * column, with the same title and focus (at most `pageLoad.maxReopens` times; then the user is told).
 * Our pages speak first (`ready`), and the panels post nothing before it, so nothing is lost by the swap.
 * Owners use `panel` (always the current one) and the events here, which follow the swap; `onDidDispose`
 * fires only when the user closes the panel (or it is disposed), never for a swap.
 */
export class PanelHost implements vscode.Disposable {
  private current: vscode.WebviewPanel;
  private loaded = false;
  private reopens = 0;
  private closed = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly handlers: Array<(m: unknown) => unknown> = [];
  private readonly viewState = new vscode.EventEmitter<vscode.WebviewPanelOnDidChangeViewStateEvent>();
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidChangeViewState = this.viewState.event;
  readonly onDidDispose = this.disposed.event;
  private markLoaded!: () => void;
  /** Resolves when a page (the first, or a reopened one) has sent its first message. */
  readonly pageLoaded = new Promise<void>((resolve) => (this.markLoaded = resolve));

  constructor(private readonly spec: PanelSpec, private readonly log: Logger) {
    this.current = this.create(spec.show);
  }

  /**
   * Each message from the current page. What the handler returns is handed back to the caller of the
   * webview's listener (VS Code ignores it; a test that awaits it waits for the handler's work).
   */
  onDidReceiveMessage(handler: (m: unknown) => unknown): vscode.Disposable {
    this.handlers.push(handler);
    return new vscode.Disposable(() => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    });
  }

  get panel(): vscode.WebviewPanel {
    return this.current;
  }

  dispose(): void {
    this.current.dispose();
  }

  private create(show: PanelSpec['show']): vscode.WebviewPanel {
    const { viewType, title, extensionUri, app, pageTitle, wasm, roots = [] } = this.spec;
    const p = vscode.window.createWebviewPanel(viewType, title, show, {
      enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), ...roots],
    });
    p.webview.html = webviewHtml(p.webview, extensionUri, app, pageTitle, { wasm });
    const mine = () => p === this.current && !this.closed;
    const watch = watchPageLoad(p, () => mine() && this.reopen());
    this.subscriptions.push(
      watch,
      p.webview.onDidReceiveMessage((m: unknown) => {
        if (!mine()) return;
        watch.seen();
        if (!this.loaded) {
          this.loaded = true;
          this.markLoaded();
          if (this.reopens) this.log.info(`${this.spec.viewType}: the reopened panel's page loaded`);
        }
        const results = this.handlers.map((h) => h(m));
        return results.length === 1 ? results[0] : Promise.all(results);
      }),
      p.onDidChangeViewState((e) => {
        if (mine()) this.viewState.fire(e);
      }),
      p.onDidDispose(() => {
        if (!mine()) return;
        this.closed = true;
        this.disposed.fire();
        for (const s of this.subscriptions.splice(0)) s.dispose();
        this.handlers.length = 0;
        this.viewState.dispose();
        this.disposed.dispose();
      }),
    );
    return p;
  }

  private reopen(): void {
    const old = this.current;
    if (this.reopens >= pageLoad.maxReopens) {
      blankForGood(this.log, this.spec.viewType, old.title, this.reopens + 1);
      return;
    }
    this.reopens++;
    this.log.warn(`${this.spec.viewType} "${old.title}": ${silentFor()}; reopening it (${this.reopens} of ${pageLoad.maxReopens})`);
    const title = old.title;
    const iconPath = old.iconPath;
    this.current = this.create({ viewColumn: old.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: !old.active });
    this.current.title = title;
    if (iconPath) this.current.iconPath = iconPath;
    old.dispose();
  }
}

/** What the log says of a silent page. */
export function silentFor(): string {
  return `the page sent nothing in ${Math.round(pageLoad.timeoutMs / 1000)} s while shown (a blank webview)`;
}

/** Reopening did not help: said in the log and to the user, with the way out. */
export function blankForGood(log: Logger, viewType: string, title: string, tries: number): void {
  log.error(`${viewType} "${title}": the page did not load after ${tries} tries of ${Math.round(pageLoad.timeoutMs / 1000)} s each`);
  void vscode.window.showErrorMessage(`"${title}" stayed blank: its page did not load. Reload the window (Developer: Reload Window) and open it again.`, 'Reload Window')
    .then((b) => b && vscode.commands.executeCommand('workbench.action.reloadWindow'));
}
