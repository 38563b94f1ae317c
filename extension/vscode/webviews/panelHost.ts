import * as vscode from 'vscode';
import type { Logger } from '../../core/util/log';

/** What a panel is: the arguments of `createWebviewPanel` and its page. */
export interface PanelSpec {
  viewType: string;
  title: string;
  show: vscode.ViewColumn | { viewColumn: vscode.ViewColumn; preserveFocus?: boolean };
  options: vscode.WebviewPanelOptions & vscode.WebviewOptions;
  /** The page, for the panel's webview (its URIs are the webview's). */
  html(webview: vscode.Webview): string;
}

/**
 * A webview panel whose page is watched until it loads.
 *
 * In the browser-hosted workbench (code-server, the main job of `npm start`) every webview's outer frame
 * registers the workbench's service worker at one shared scope, each with its own script URL. When two
 * panels load at about the same moment, one of them can wait for a `controllerchange` that never comes:
 * its page is never written and the panel stays blank, with no error anywhere. Seen in CI with the agent
 * viewer and the screen opened together (either one blank, the other fine).
 *
 * So: a page that has sent nothing after `loadTimeoutMs` of being visible is replaced by a fresh panel in
 * the same column, with the same title and focus (at most `maxReopens` times; then the user is told).
 * Our pages speak first (`ready`), and the panels post nothing before it, so nothing is lost by the swap.
 * Owners use `panel` (always the current one) and the events here, which follow the swap; `onDidDispose`
 * fires only when the user closes the panel (or it is disposed), never for a swap.
 */
export class PanelHost implements vscode.Disposable {
  /** How long a visible panel may stay silent before it is reopened (tests shorten it). */
  static loadTimeoutMs = 15_000;
  static maxReopens = 2;

  private current: vscode.WebviewPanel;
  private loaded = false;
  private reopens = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly handlers: Array<(m: unknown) => unknown> = [];
  private readonly viewState = new vscode.EventEmitter<vscode.WebviewPanelOnDidChangeViewStateEvent>();
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidChangeViewState = this.viewState.event;
  readonly onDidDispose = this.disposed.event;

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

  /** True once the page has said anything. */
  get pageLoaded(): boolean {
    return this.loaded;
  }

  dispose(): void {
    this.current.dispose();
  }

  private create(show: PanelSpec['show']): vscode.WebviewPanel {
    const p = vscode.window.createWebviewPanel(this.spec.viewType, this.spec.title, show, this.spec.options);
    p.webview.html = this.spec.html(p.webview);
    const mine = () => p === this.current && !this.closed;
    this.subscriptions.push(
      p.webview.onDidReceiveMessage((m: unknown) => {
        if (!mine()) return;
        if (!this.loaded) {
          this.loaded = true;
          clearTimeout(this.timer);
          if (this.reopens) this.log.info(`${this.spec.viewType}: the reopened panel's page loaded`);
        }
        const results = this.handlers.map((h) => h(m));
        return results.length === 1 ? results[0] : Promise.all(results);
      }),
      p.onDidChangeViewState((e) => {
        if (!mine()) return;
        this.watch();
        this.viewState.fire(e);
      }),
      p.onDidDispose(() => {
        if (!mine()) return;
        this.closed = true;
        clearTimeout(this.timer);
        this.disposed.fire();
        for (const s of this.subscriptions.splice(0)) s.dispose();
        this.handlers.length = 0;
        this.viewState.dispose();
        this.disposed.dispose();
      }),
    );
    // `current` is set by the caller; the first watch starts once it is.
    setImmediate(() => mine() && this.watch());
    return p;
  }

  /** Counts only while the panel is visible (a hidden webview has no page yet in VS Code). */
  private watch(): void {
    clearTimeout(this.timer);
    if (this.loaded || this.closed || !this.current.visible) return;
    this.timer = setTimeout(() => this.reopen(), PanelHost.loadTimeoutMs);
    this.timer.unref?.();
  }

  private reopen(): void {
    if (this.loaded || this.closed) return;
    const old = this.current;
    const seconds = Math.round(PanelHost.loadTimeoutMs / 1000);
    if (this.reopens >= PanelHost.maxReopens) {
      this.log.error(`${this.spec.viewType} "${old.title}": the page did not load after ${this.reopens + 1} tries of ${seconds} s each`);
      void vscode.window.showErrorMessage(`"${old.title}" stayed blank: its page did not load. Reload the window (Developer: Reload Window) and open it again.`, 'Reload Window')
        .then((b) => b && vscode.commands.executeCommand('workbench.action.reloadWindow'));
      return;
    }
    this.reopens++;
    this.log.warn(`${this.spec.viewType} "${old.title}": the page sent nothing in ${seconds} s while shown (a blank webview); reopening it (${this.reopens} of ${PanelHost.maxReopens})`);
    const title = old.title;
    const iconPath = old.iconPath;
    this.current = this.create({ viewColumn: old.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: !old.active });
    this.current.title = title;
    if (iconPath) this.current.iconPath = iconPath;
    old.dispose();
  }
}
