import * as vscode from 'vscode';
import { PanelHost } from '../webviews/panelHost';
import { preview } from '../../../webview/shared/messages';
import { isFromLogcatWebview, type CrashInfo, type LogcatState, type Row, type ToLogcatWebview } from '../../../webview/logcat/protocol';
import { LogcatModel, type Crash, type StoredEntry } from '../../core/logcat/model';
import { LogcatStream } from '../../core/logcat/session';
import { compileFilter, EMPTY_FILTER, type CompiledFilter, type LogFilter } from '../../core/logcat/filter';
import { errorMessage, type Logger } from '../../core/util/log';
import type { DeviceStore } from '../devices/deviceStore';
import { pickDevice } from '../devices/deviceCommands';

const CAPACITY = 50_000;

function row(e: StoredEntry): Row {
  const r: Row = { seq: e.seq, time: e.time, pid: e.pid, tid: e.tid, level: e.level, tag: e.tag, msg: e.msg };
  if (e.text) r.text = true;
  if (e.crash !== undefined) r.crash = e.crash;
  return r;
}

function crashInfo(c: Crash): CrashInfo {
  return { ...c };
}

/** One Logcat panel per phone: the live log, filters, pause, clear, crashes. */
export class LogcatPanel {
  static readonly open = new Map<string, LogcatPanel>();
  private readonly host: PanelHost;
  private get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }
  private readonly model = new LogcatModel(CAPACITY);
  private readonly stream: LogcatStream;
  private filter: LogFilter = { ...EMPTY_FILTER };
  private compiled: CompiledFilter;
  private ready = false;
  private paused = false;
  /** The newest entry the webview has been given (or has seen filtered out). */
  private lastSent = 0;
  private pending: Row[] = [];
  private postTimer: NodeJS.Timeout | undefined;
  private state: LogcatState = 'starting';
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = 2000;
  private psTimer: NodeJS.Timeout | undefined;
  private packagePids = '';
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(ctx: vscode.ExtensionContext, private readonly store: DeviceStore, private readonly log: Logger, readonly serial: string) {
    const name = store.known(serial)?.model ?? serial;
    this.host = new PanelHost({
      viewType: 'mobileai.logcat', title: `Logcat: ${name}`, show: vscode.ViewColumn.Active,
      extensionUri: ctx.extensionUri, app: 'logcat', pageTitle: `Logcat: ${name}`,
    }, this.log);
    this.compiled = compileFilter(this.filter, this.model.processOf);
    this.stream = new LogcatStream(store.adb, serial, this.model, {
      onEntries: (entries) => this.onEntries(entries),
      onEnd: (reason) => this.onEnd(reason),
      log,
    });
    this.host.onDidDispose(() => this.dispose());
    this.host.onDidReceiveMessage((m: unknown) => this.handleMessage(m).catch((err: unknown) => this.log.error('logcat panel: a message failed', err)));
    this.disposables.push(store.onDidChange(() => this.onDevices()));
    LogcatPanel.open.set(serial, this);
  }

  reveal(): void {
    this.panel.reveal();
  }

  private post(m: ToLogcatWebview): void {
    if (this.ready && !this.disposed) void this.panel.webview.postMessage(m);
  }

  private setState(state: LogcatState, message: string): void {
    this.state = state;
    this.post({ type: 'state', state, message, buffered: this.paused ? this.model.lastSeq - this.lastSent : undefined });
  }

  private deviceReady(): boolean {
    return this.store.devices.some((d) => d.serial === this.serial && d.state === 'device');
  }

  private async startStream(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.setState('starting', `Starting logcat on ${this.serial}…`);
    try {
      await this.stream.start();
      // Stopped meanwhile (the phone went away, the panel closed): that stop said what the state is.
      if (!this.stream.streaming || this.disposed) return;
      this.log.info(`[${this.serial}] logcat: streaming (logcat -v threadtime over exec:)`);
      this.setState(this.paused ? 'paused' : 'streaming', this.streamingMessage());
      void this.refreshProcesses();
    } catch (err) {
      this.onEnd(errorMessage(err));
    }
  }

  private streamingMessage(): string {
    return this.paused ? 'Paused: new lines are kept and shown on Resume.' : `Live from ${this.store.known(this.serial)?.model ?? this.serial}.`;
  }

  private onEnd(reason: string): void {
    if (this.disposed) return;
    this.flush();
    if (!this.deviceReady()) {
      this.log.warn(`[${this.serial}] logcat: the phone went away (${reason})`);
      this.setState('disconnected', `The phone is not connected (${reason}). The lines so far are kept; logcat resumes when the phone is back.`);
      return;
    }
    // The phone is there but logcat stopped: try again, less and less often.
    const wait = this.retryMs;
    this.retryMs = Math.min(30000, this.retryMs * 2);
    this.log.warn(`[${this.serial}] logcat stopped (${reason}); retrying in ${wait / 1000} s`);
    this.setState('error', `logcat stopped (${reason}). Retrying in ${Math.round(wait / 1000)} s…`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.disposed && !this.stream.streaming) void this.startStream();
    }, wait);
  }

  private onDevices(): void {
    if (this.disposed) return;
    const ready = this.deviceReady();
    if (ready && !this.stream.streaming && this.state === 'disconnected') {
      this.log.info(`[${this.serial}] logcat: the phone is back; resuming`);
      this.retryMs = 2000;
      void this.startStream();
    } else if (!ready && this.state !== 'disconnected') {
      // A retry set when the stream ended first would start logcat on a phone that is gone ("Starting…" again).
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.stream.stop();
      this.flush();
      this.setState('disconnected', 'The phone is not connected. The lines so far are kept; logcat resumes when the phone is back.');
    }
  }

  private onEntries(entries: StoredEntry[]): void {
    if (this.stream.received > 200) this.retryMs = 2000;
    if (this.paused) {
      if (this.ready) this.schedulePost();
      return;
    }
    for (const e of entries) if (this.compiled.test(e)) this.pending.push(row(e));
    this.lastSent = this.model.lastSeq;
    this.schedulePost();
  }

  private schedulePost(): void {
    this.postTimer ??= setTimeout(() => this.flush(), 100);
  }

  private flush(): void {
    clearTimeout(this.postTimer);
    this.postTimer = undefined;
    if (this.paused) {
      this.post({ type: 'state', state: 'paused', message: this.streamingMessage(), buffered: this.model.lastSeq - this.lastSent });
      return;
    }
    if (!this.pending.length) return;
    const rows = this.pending;
    this.pending = [];
    this.post({ type: 'append', rows, crashes: this.model.crashes().map(crashInfo), total: this.model.size });
  }

  /** Sends everything the filter shows now. */
  private reset(): void {
    this.pending = [];
    clearTimeout(this.postTimer);
    this.postTimer = undefined;
    this.compiled = compileFilter(this.filter, this.model.processOf);
    const all = this.model.all();
    const rows = (this.compiled.all ? all : all.filter((e) => this.compiled.test(e))).map(row);
    this.lastSent = this.model.lastSeq;
    this.post({ type: 'reset', rows, crashes: this.model.crashes().map(crashInfo), total: this.model.size, filter: { ...this.filter }, filterError: this.compiled.error });
  }

  private async refreshProcesses(): Promise<void> {
    try {
      await this.stream.refreshProcesses();
      this.post({ type: 'packages', names: this.model.packages() });
      if (this.filter.package) {
        // A process started since (or before) the last look: entries of its new pid belong to the package.
        const pids = this.pidsOf(this.filter.package);
        if (pids !== this.packagePids) {
          this.packagePids = pids;
          if (!this.paused) this.reset();
        }
      }
    } catch (err) {
      this.log.warn(`[${this.serial}] logcat: cannot list processes: ${errorMessage(err)}`);
    }
  }

  private pidsOf(pkg: string): string {
    return this.model.pidsOfPackage(pkg).join(',');
  }

  private watchPackage(): void {
    clearInterval(this.psTimer);
    this.psTimer = undefined;
    if (!this.filter.package) return;
    this.packagePids = this.pidsOf(this.filter.package);
    this.psTimer = setInterval(() => {
      if (this.panel.visible && this.stream.streaming) void this.refreshProcesses();
    }, 3000);
  }

  /** What the webview sends: checked by the protocol's guard; nothing is done once the panel is closed. */
  async handleMessage(m: unknown): Promise<void> {
    if (this.disposed) return;
    if (!isFromLogcatWebview(m)) {
      this.log.warn(`logcat panel: ignored an invalid message: ${preview(m)}`);
      return;
    }
    switch (m.type) {
      case 'ready': {
        this.ready = true;
        const title = this.store.known(this.serial)?.model ?? this.serial;
        this.post({ type: 'init', title, serial: this.serial, capacity: CAPACITY, filter: this.filter });
        this.reset();
        if (!this.stream.streaming) {
          if (this.deviceReady()) await this.startStream();
          else this.setState('disconnected', 'The phone is not connected. Logcat starts when it is.');
        } else this.setState(this.paused ? 'paused' : 'streaming', this.streamingMessage());
        break;
      }
      case 'filter': {
        const packageChanged = m.filter.package.trim() !== this.filter.package.trim();
        this.filter = { ...m.filter, package: m.filter.package.trim() };
        if (packageChanged && this.filter.package && this.stream.streaming) await this.refreshProcesses();
        if (packageChanged) this.watchPackage();
        this.reset();
        break;
      }
      case 'pause': {
        this.paused = m.paused;
        if (!m.paused) {
          // Resume: what came while paused, or everything when the ring dropped some of it.
          if (this.model.firstSeq > this.lastSent + 1) this.reset();
          else {
            const rows = this.model.since(this.lastSent).filter((e) => this.compiled.test(e)).map(row);
            this.lastSent = this.model.lastSeq;
            if (rows.length) this.post({ type: 'append', rows, crashes: this.model.crashes().map(crashInfo), total: this.model.size });
          }
        }
        this.log.info(`[${this.serial}] logcat ${m.paused ? 'paused' : 'resumed'}`);
        if (this.state === 'streaming' || this.state === 'paused') this.setState(m.paused ? 'paused' : 'streaming', this.streamingMessage());
        else this.post({ type: 'state', state: this.state, message: '', buffered: undefined });
        break;
      }
      case 'clear': {
        try {
          if (this.deviceReady()) await this.stream.clear();
          else this.model.clear();
        } catch (err) {
          void vscode.window.showErrorMessage(errorMessage(err));
          this.model.clear();
        }
        this.reset();
        break;
      }
      case 'restart':
        this.retryMs = 2000;
        if (!this.stream.streaming && this.deviceReady()) await this.startStream();
        break;
    }
  }

  private dispose(): void {
    this.disposed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.postTimer);
    clearInterval(this.psTimer);
    this.stream.stop();
    for (const d of this.disposables) d.dispose();
    LogcatPanel.open.delete(this.serial);
  }
}

export function registerLogcat(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  context.subscriptions.push(vscode.commands.registerCommand('mobileai.logcat.open', async (arg?: unknown) => {
    try {
      const serial = await pickDevice(store, arg as never, { readyOnly: true, title: 'Show the logcat of…' });
      if (!serial) return;
      const existing = LogcatPanel.open.get(serial);
      if (existing) existing.reveal();
      else new LogcatPanel(context, store, log, serial);
    } catch (err) {
      log.error('mobileai.logcat.open failed', err);
      void vscode.window.showErrorMessage(errorMessage(err));
    }
  }));
}
