/**
 * A stand-in for the `vscode` module so the real webview hosts (extension/vscode/**) can be constructed in
 * plain Node. It records what a host does that a user would notice — commands run, files written through
 * workspace.fs, notifications and dialogs shown, clipboard writes, messages posted to the webview — and
 * hands the test the handler each host registers with `webview.onDidReceiveMessage` and a way to dispose
 * the panel as the user closing it would. Dialogs answer "cancelled" (undefined).
 *
 * As in VS Code, a disposed webview refuses postMessage ("Webview is disposed") and a disposed panel's
 * title/reveal throw, so a host that keeps working after its panel closed shows up.
 *
 *   const stub = installVscodeStub();           // before importing any host
 *   const { ProfilePanel } = await import('../../extension/vscode/profile/profilePanel');
 */
import Module from 'node:module';
import * as path from 'node:path';

export interface Effect {
  kind: 'command' | 'fsWrite' | 'show' | 'clipboard' | 'registerCommand' | 'openExternal' | 'configUpdate' | 'terminal';
  what: string;
  args?: unknown[];
}

export interface FakePanel {
  viewType: string;
  title: string;
  disposed: boolean;
  /** Every handler registered with webview.onDidReceiveMessage (normally one). */
  handlers: Array<(m: unknown) => unknown>;
  posted: unknown[];
  dispose(): void;
  webview: FakeWebview;
  /** The column and focus it was opened with (createWebviewPanel's third argument). */
  show: unknown;
  visible: boolean;
  active: boolean;
  viewColumn: number;
  /** Shows or hides it as the workbench would: `visible` changes and onDidChangeViewState fires. */
  setVisible(visible: boolean): void;
}

interface FakeWebview {
  html: string;
  options: unknown;
  cspSource: string;
  postMessage(m: unknown): Promise<boolean>;
  asWebviewUri(u: FakeUri): FakeUri;
  onDidReceiveMessage(h: (m: unknown) => unknown): { dispose(): void };
}

class FakeUri {
  constructor(readonly scheme: string, readonly fsPath: string, readonly query = '') {}
  static file(p: string): FakeUri { return new FakeUri('file', path.resolve(p)); }
  static parse(s: string): FakeUri {
    const m = /^([a-z][\w+.-]*):(?:\/\/)?(.*)$/i.exec(s);
    return m ? new FakeUri(m[1], m[1] === 'file' ? m[2] : `/${m[2]}`) : new FakeUri('file', s);
  }
  static joinPath(u: FakeUri, ...parts: string[]): FakeUri { return new FakeUri(u.scheme, path.join(u.fsPath, ...parts)); }
  get path(): string { return this.fsPath; }
  with(c: { scheme?: string; path?: string; query?: string }): FakeUri { return new FakeUri(c.scheme ?? this.scheme, c.path ?? this.fsPath, c.query ?? this.query); }
  toString(): string { return `${this.scheme}://${this.fsPath}`; }
}

class EventEmitter<T> {
  private listeners: Array<(e: T) => unknown> = [];
  readonly event = (l: (e: T) => unknown): { dispose(): void } => {
    this.listeners.push(l);
    return { dispose: () => { this.listeners = this.listeners.filter((x) => x !== l); } };
  };
  fire(e: T): void { for (const l of [...this.listeners]) l(e); }
  dispose(): void { this.listeners = []; }
}

class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...ds: Array<{ dispose(): unknown }>): Disposable { return new Disposable(() => ds.forEach((d) => d.dispose())); }
  dispose(): void { this.fn(); }
}

class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void { this.token.isCancellationRequested = true; this.emitter.fire(); }
  dispose(): void { this.emitter.dispose(); }
}

export interface VscodeStub {
  effects: Effect[];
  panels: FakePanel[];
  commands: Map<string, (...args: unknown[]) => unknown>;
  /** A fake ExtensionContext (extensionUri /ext, in-memory workspaceState/globalState). */
  context(): Record<string, unknown>;
  /** Forget recorded effects (panels stay). */
  clear(): void;
  api: Record<string, unknown>;
  /** Settings the hosts read, by full name (`mobileAI.adb.serverPort`); unset ones give the default. */
  settings: Map<string, unknown>;
}

let installed: VscodeStub | undefined;

function memento(): Record<string, unknown> {
  const m = new Map<string, unknown>();
  return { get: (k: string, d?: unknown) => (m.has(k) ? m.get(k) : d), update: async (k: string, v: unknown) => { m.set(k, v); }, keys: () => [...m.keys()], setKeysForSync: () => undefined };
}

/** Registers the stub as the `vscode` module (idempotent) and returns its recorder. */
export function installVscodeStub(): VscodeStub {
  if (installed) return installed;
  const effects: Effect[] = [];
  const panels: FakePanel[] = [];
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const record = (kind: Effect['kind'], what: string, args?: unknown[]): void => { effects.push({ kind, what, args }); };
  const show = (what: string) => async (...args: unknown[]): Promise<undefined> => { record('show', what, args); return undefined; };

  const createWebviewPanel = (viewType: string, title: string, showOptions?: unknown): FakePanel => {
    const disposeEmitter = new EventEmitter<void>();
    const viewState = new EventEmitter<unknown>();
    let panelTitle = title;
    const p: FakePanel = {
      viewType,
      get title() { return panelTitle; },
      set title(t: string) { if (p.disposed) throw new Error('Webview is disposed'); panelTitle = t; },
      disposed: false,
      handlers: [],
      posted: [],
      dispose() { if (p.disposed) return; p.disposed = true; disposeEmitter.fire(); },
      webview: {
        html: '',
        options: {},
        cspSource: 'vscode-webview://stub',
        postMessage: async (m: unknown) => { if (p.disposed) throw new Error('Webview is disposed'); p.posted.push(m); return true; },
        asWebviewUri: (u: FakeUri) => u,
        onDidReceiveMessage: (h: (m: unknown) => unknown) => { p.handlers.push(h); return new Disposable(); },
      },
    } as unknown as FakePanel;
    Object.assign(p, {
      visible: true, active: true, viewColumn: 1, show: showOptions,
      setVisible: (visible: boolean) => { p.visible = visible; viewState.fire({ webviewPanel: p }); },
      onDidDispose: disposeEmitter.event,
      onDidChangeViewState: viewState.event,
      reveal: () => { if (p.disposed) throw new Error('Webview is disposed'); },
    });
    panels.push(p);
    return p;
  };

  const settings = new Map<string, unknown>();
  const configuration = (section?: string): Record<string, unknown> => ({
    get: <T>(k: string, d?: T) => (settings.has(section ? `${section}.${k}` : k) ? settings.get(section ? `${section}.${k}` : k) as T : d),
    has: () => false,
    inspect: () => undefined,
    update: async (k: string, v: unknown) => { record('configUpdate', k, [v]); },
  });

  const api: Record<string, unknown> = {
    Uri: FakeUri,
    EventEmitter,
    Disposable,
    CancellationTokenSource,
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2, Three: 3 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    ThemeIcon: class { constructor(readonly id: string) {} },
    ThemeColor: class { constructor(readonly id: string) {} },
    TreeItem: class { constructor(readonly label: unknown) {} },
    MarkdownString: class { value = ''; constructor(v = '') { this.value = v; } appendMarkdown(s: string) { this.value += s; return this; } appendText(s: string) { this.value += s; return this; } },
    RelativePattern: class { constructor(readonly base: unknown, readonly pattern: string) {} },
    Range: class { constructor(...a: unknown[]) { void a; } },
    Position: class { constructor(readonly line: number, readonly character: number) {} },
    commands: {
      executeCommand: async (id: string, ...args: unknown[]) => { record('command', id, args); return undefined; },
      registerCommand: (id: string, fn: (...a: unknown[]) => unknown) => { commands.set(id, fn); record('registerCommand', id); return new Disposable(() => commands.delete(id)); },
      getCommands: async () => [...commands.keys()],
    },
    window: {
      createWebviewPanel,
      showInformationMessage: show('showInformationMessage'),
      showWarningMessage: show('showWarningMessage'),
      showErrorMessage: show('showErrorMessage'),
      showQuickPick: show('showQuickPick'),
      showInputBox: show('showInputBox'),
      showSaveDialog: show('showSaveDialog'),
      showOpenDialog: show('showOpenDialog'),
      showTextDocument: show('showTextDocument'),
      setStatusBarMessage: (...args: unknown[]) => { record('show', 'setStatusBarMessage', args); return new Disposable(); },
      withProgress: async (_o: unknown, task: (p: { report(v: unknown): void }, t: unknown) => unknown) => { record('show', 'withProgress', [_o]); return task({ report: () => undefined }, new CancellationTokenSource().token); },
      createOutputChannel: () => ({ appendLine: () => undefined, append: () => undefined, show: () => undefined, dispose: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }),
      createStatusBarItem: () => ({ show: () => undefined, hide: () => undefined, dispose: () => undefined }),
      createTerminal: (...args: unknown[]) => { record('terminal', 'createTerminal', args); return { show: () => undefined, sendText: () => undefined, dispose: () => undefined }; },
      registerCustomEditorProvider: () => new Disposable(),
      registerWebviewPanelSerializer: () => new Disposable(),
      onDidChangeActiveTextEditor: new EventEmitter<unknown>().event,
      onDidChangeActiveColorTheme: new EventEmitter<unknown>().event,
      activeTextEditor: undefined,
      visibleTextEditors: [],
      tabGroups: { all: [], activeTabGroup: { viewColumn: 1 } },
      activeColorTheme: { kind: 2 },
    },
    workspace: {
      workspaceFolders: undefined,
      getConfiguration: configuration,
      onDidChangeConfiguration: new EventEmitter<unknown>().event,
      asRelativePath: (p: string | FakeUri) => (typeof p === 'string' ? p : p.fsPath),
      openTextDocument: show('openTextDocument'),
      fs: {
        writeFile: async (u: FakeUri, ..._r: unknown[]) => { record('fsWrite', u.fsPath); },
        delete: async (u: FakeUri) => { record('fsWrite', `delete ${u.fsPath}`); },
        rename: async (u: FakeUri, v: FakeUri) => { record('fsWrite', `rename ${u.fsPath} ${v.fsPath}`); },
        createDirectory: async (u: FakeUri) => { record('fsWrite', `mkdir ${u.fsPath}`); },
        copy: async (u: FakeUri, v: FakeUri) => { record('fsWrite', `copy ${u.fsPath} ${v.fsPath}`); },
        readFile: async () => { throw new Error('ENOENT (stub)'); },
        stat: async () => { throw new Error('ENOENT (stub)'); },
      },
    },
    env: {
      clipboard: { writeText: async (t: string) => { record('clipboard', 'writeText', [t]); }, readText: async () => '' },
      openExternal: async (u: unknown) => { record('openExternal', String(u)); return true; },
      language: 'en',
      appName: 'stub',
      uiKind: 1,
    },
    extensions: { getExtension: () => undefined },
    languages: { registerHoverProvider: () => new Disposable(), registerCodeLensProvider: () => new Disposable(), createDiagnosticCollection: () => ({ set: () => undefined, delete: () => undefined, clear: () => undefined, dispose: () => undefined }) },
    version: '1.100.0',
  };

  const stubId = path.join(__dirname, '__vscode_stub__.js');
  const M = Module as unknown as { _resolveFilename: (r: string, ...rest: unknown[]) => string; _cache: Record<string, unknown> };
  const orig = M._resolveFilename;
  M._resolveFilename = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode') return stubId;
    return orig.call(this, request, ...rest);
  };
  const mod = new Module(stubId);
  mod.filename = stubId;
  mod.loaded = true;
  mod.exports = api;
  M._cache[stubId] = mod;

  installed = {
    effects,
    panels,
    settings,
    commands,
    api,
    clear: () => { effects.length = 0; },
    context: () => ({
      extensionUri: FakeUri.file('/ext'),
      extensionPath: '/ext',
      subscriptions: [] as unknown[],
      workspaceState: memento(),
      globalState: memento(),
      globalStorageUri: FakeUri.file('/tmp/mobileai-stub-global'),
      storageUri: undefined,
      asAbsolutePath: (p: string) => path.join('/ext', p),
    }),
  };
  return installed;
}
