import * as vscode from 'vscode';
import { PanelHost } from '../webviews/panelHost';
import { isFromScreenWebview, type FromScreenWebview, type InputEvent, type ToScreenWebview } from '../../../webview/screen/protocol';
import { ScreencapStream, inputArgv } from '../../core/screen/screencap';
import { H264Stream } from '../../core/screen/h264';
import { readDisplayState, rotatePhone, sameDisplay, type DisplayState } from '../../core/screen/display';
import { textCommands, untypable } from '../../core/screen/input';
import { probePhoneClipboard, readPhoneClipboard, writePhoneClipboard, type ClipboardSupport } from '../../core/screen/clipboard';
import { DEFAULT_PUSH_DIR, checkPhoneDir, isApk } from '../../core/screen/transfer';
import { KEYCODE } from '../../../webview/screen/keymap';
import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import * as os from 'node:os';
import { ScreenRecorder } from '../../core/screen/recorder';
import * as path from 'node:path';
import { errorMessage, type Logger } from '../../core/util/log';
import type { DeviceStore } from '../devices/deviceStore';
import { pickDevice } from '../devices/deviceCommands';

/** One live screen panel per device. */
class ScreenPanel {
  static readonly open = new Map<string, ScreenPanel>();
  private readonly host: PanelHost;
  private get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }
  private readonly stream: ScreencapStream;
  private h264: H264Stream | undefined;
  private inputAt = 0;
  private recorder: ScreenRecorder | undefined;
  private ready = false;
  private display: DisplayState | undefined;
  private rotationTimer: NodeJS.Timeout | undefined;
  private h264Args: { title: string; decoder: 'webcodecs' | 'software' } | undefined;
  /** Input, clipboard and rotation run one after another, in the order the user did them. */
  private queue: Promise<void> = Promise.resolve();
  private dropQueue: Promise<void> = Promise.resolve();
  private clipboard: ClipboardSupport | undefined;
  private pushDir: string | undefined;
  private readonly drops = new Map<string, { name: string; size: number; file: string; dir: string; out: WriteStream; next: number; bytes: number }>();
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(private readonly ctx: vscode.ExtensionContext, private readonly store: DeviceStore, private readonly log: Logger, private readonly serial: string, place?: ScreenPlacement) {
    const name = store.known(serial)?.model ?? serial;
    const column = place?.besideColumn !== undefined ? place.besideColumn + 1 : vscode.ViewColumn.Beside;
    this.host = new PanelHost({
      viewType: 'mobileai.screen', title: `Screen: ${name}`, show: { viewColumn: column, preserveFocus: place?.preserveFocus ?? false },
      extensionUri: ctx.extensionUri, app: 'screen', pageTitle: `Screen: ${name}`, wasm: true,
    }, log);
    this.stream = new ScreencapStream(store.adb, serial, (f) => {
      this.recorder?.jpeg(f.jpeg);
      void this.panel.webview.postMessage({ type: 'frame', seq: f.seq, data: new Uint8Array(f.jpeg.buffer, f.jpeg.byteOffset, f.jpeg.byteLength), width: f.width, height: f.height, deviceWidth: f.deviceWidth, deviceHeight: f.deviceHeight, capturedAt: f.capturedAt, captureMs: f.captureMs } satisfies ToScreenWebview);
    }, { maxSize: this.settings().maxSize, onError: (e) => this.post({ type: 'status', message: `${e.message} (retrying)` }) });
    this.host.onDidChangeViewState((e) => {
      // A hidden panel costs nothing: capturing stops until it is shown again.
      this.stream.setPaused(!e.webviewPanel.visible);
      this.h264?.setPaused(!e.webviewPanel.visible);
      this.log.info(`screen ${serial}: ${e.webviewPanel.visible ? 'resumed' : 'paused (hidden)'}`);
      this.post({ type: 'stream', state: e.webviewPanel.visible ? 'live' : 'paused', reason: e.webviewPanel.visible ? undefined : 'the panel is hidden' });
      // The phone may have turned while nobody watched: look now rather than at the next poll.
      if (e.webviewPanel.visible && this.ready) void this.checkDisplay().catch(() => undefined);
    });
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (!this.h264 || !this.h264Args || !(e.affectsConfiguration('mobileAI.screen.maxSize') || e.affectsConfiguration('mobileAI.screen.bitRate'))) return;
      // New size or bit rate: screenrecord takes them at start, so the stream restarts with them.
      this.log.info(`screen ${serial}: settings changed; restarting the stream`);
      this.h264.stop();
      this.startH264(this.h264Args.title, this.display?.width ?? 720, this.display?.height ?? 1600, this.h264Args.decoder);
    }));
    this.host.onDidDispose(() => {
      this.disposed = true;
      clearInterval(this.rotationTimer);
      for (const d of this.disposables) d.dispose();
      for (const id of [...this.drops.keys()]) void this.dropCleanup(id);
      void this.recorder?.stop();
      this.stream.stop();
      this.h264?.stop();
      ScreenPanel.open.delete(serial);
    });
    this.host.onDidReceiveMessage((m: unknown) => this.onMessage(m));
    ScreenPanel.open.set(serial, this);
  }

  private post(m: ToScreenWebview): void {
    if (this.ready && !this.disposed) void this.panel.webview.postMessage(m).then(undefined, () => undefined);
  }

  private settings(): { h264: boolean; maxSize: number; bitRate: number; decoder: 'auto' | 'webcodecs' | 'software' } {
    const c = vscode.workspace.getConfiguration('mobileAI');
    const num = (v: unknown, d: number, min: number, max: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : d);
    return {
      h264: c.get<boolean>('screen.h264') ?? true,
      maxSize: num(c.get('screen.maxSize'), 1200, 0, 4096),
      bitRate: num(c.get('screen.bitRate'), 4_000_000, 100_000, 100_000_000),
      decoder: c.get<'auto'>('screen.decoder') ?? 'auto',
    };
  }

  private startH264(title: string, dw: number, dh: number, decoder: 'webcodecs' | 'software'): void {
    const { maxSize, bitRate } = this.settings();
    // scrcpy's --max-size: the longer side at most maxSize (0: the phone's own size); even sizes for the encoder.
    const scale = maxSize > 0 ? Math.min(1, maxSize / Math.max(dw, dh)) : 1;
    const even = (v: number) => Math.max(2, Math.round(v * scale) - (Math.round(v * scale) % 2));
    const size = { width: even(dw), height: even(dh) };
    this.post({ type: 'config', serial: this.serial, title, mode: 'h264', decoder, deviceWidth: dw, deviceHeight: dh, maxSize, bitRate });
    this.post({ type: 'stream', state: 'live' });
    this.log.info(`screen ${this.serial}: H.264 stream ${size.width}x${size.height} at ${(bitRate / 1e6).toFixed(1)} Mbit/s (screenrecord over exec:), ${decoder === 'software' ? 'software decoder' : 'WebCodecs'}`);
    this.h264 = new H264Stream(this.store.adb, this.serial, size, (u) => {
      this.recorder?.h264(u.data, u.key);
      void this.panel.webview.postMessage({ type: 'h264', seq: u.seq, data: new Uint8Array(u.data.buffer, u.data.byteOffset, u.data.byteLength), key: u.key, codec: u.codec, width: size.width, height: size.height, receivedAt: u.receivedAt } satisfies ToScreenWebview);
    }, {
      onError: (e) => this.log.warn(`screen ${this.serial}: screenrecord: ${e.message}`),
      onEnd: () => {
        this.log.warn(`screen ${this.serial}: screenrecord is not available; falling back to screencap frames`);
        this.fallBack();
      },
      bitRate,
    });
    this.h264.start();
    this.h264Args = { title, decoder };
  }

  /**
   * screenrecord keeps the size it started with, so when the phone is turned the stream is restarted at the
   * new size (as scrcpy does) and the webview maps input to the turned display. Polled once a second while
   * the panel is visible, quietly: the log says only when the display changes.
   */
  private watchRotation(): void {
    clearInterval(this.rotationTimer);
    this.rotationTimer = setInterval(() => {
      if (this.panel.visible) void this.checkDisplay().catch(() => undefined);
    }, 1000);
  }

  private checking: Promise<void> | undefined;

  /** One look at a time (the poll, a rotate, the panel shown again share it). */
  private checkDisplay(): Promise<void> {
    this.checking ??= this.lookAtDisplay().finally(() => { this.checking = undefined; });
    return this.checking;
  }

  private async lookAtDisplay(): Promise<void> {
    const now = await readDisplayState(this.store.adb, this.serial).catch(() => undefined);
    if (!now) return;
    const before = this.display;
    this.display = now;
    if (!before || sameDisplay(before, now)) return;
    const turned = before.width !== now.width || before.height !== now.height;
    this.log.info(`screen ${this.serial}: display turned to rotation ${now.rotation} (${now.width}x${now.height})${turned && this.h264 ? '; restarting the stream at the new size' : ''}`);
    if (turned && this.h264 && this.h264Args) {
      this.post({ type: 'stream', state: 'restarting', reason: 'the phone turned' });
      this.h264.stop();
      this.startH264(this.h264Args.title, now.width, now.height, this.h264Args.decoder);
    } else if (turned) {
      const info = this.store.known(this.serial);
      this.post({ type: 'config', serial: this.serial, title: info?.model ?? this.serial, mode: 'jpeg', deviceWidth: now.width, deviceHeight: now.height });
      this.stream.poke();
    }
  }

  private fallBack(): void {
    this.h264?.stop();
    this.h264 = undefined;
    const info = this.store.known(this.serial);
    this.post({ type: 'config', serial: this.serial, title: info?.model ?? this.serial, mode: 'jpeg', deviceWidth: this.display?.width ?? info?.screen?.width ?? 720, deviceHeight: this.display?.height ?? info?.screen?.height ?? 1600, maxSize: this.settings().maxSize });
    this.post({ type: 'stream', state: 'live', reason: 'screencap frames (H.264 unavailable)' });
    this.stream.start();
  }

  private async record(on: boolean): Promise<void> {
    try {
      if (on && !this.recorder) {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        if (!folder) throw new Error('open a folder to record into');
        const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
        const name = (this.store.known(this.serial)?.model ?? this.serial).replace(/[^A-Za-z0-9_.-]+/g, '_');
        const r = new ScreenRecorder(path.join(folder, 'recordings', `${name}_${stamp}`), this.h264 ? 'h264' : 'mjpeg');
        await r.start();
        this.recorder = r;
        this.post({ type: 'recording', on: true });
        this.log.info(`screen ${this.serial}: recording`);
      } else if (!on && this.recorder) {
        const r = this.recorder;
        this.recorder = undefined;
        const file = await r.stop();
        this.post({ type: 'recording', on: false, file: file && vscode.workspace.asRelativePath(file) });
        this.log.info(`screen ${this.serial}: recording saved to ${file ?? '(nothing recorded)'}`);
      }
    } catch (err) {
      this.post({ type: 'status', message: `recording failed: ${errorMessage(err)}` });
    }
  }

  /** Shows the panel; with `column`, moves it there (another panel asked for the screen beside it). */
  reveal(preserveFocus = false, column?: number): void {
    this.panel.reveal(column, preserveFocus);
  }

  private async onMessage(m: unknown): Promise<void> {
    if (this.disposed) return;
    if (!isFromScreenWebview(m)) {
      this.log.warn(`screen panel: ignored an invalid message (${describeMessage(m)})`);
      return;
    }
    if (m.type === 'ready') {
      if (this.ready) return; // one start per panel
      this.ready = true;
      const info = await this.store.info(this.serial);
      this.display = await readDisplayState(this.store.adb, this.serial).catch(() => undefined);
      // The logical (possibly turned) size, which is what screenrecord, screencap and input use.
      const dw = this.display?.width ?? info?.screen?.width ?? 720;
      const dh = this.display?.height ?? info?.screen?.height ?? 1600;
      const title = info?.model ?? this.serial;
      const { h264, decoder, maxSize } = this.settings();
      if (h264 && decoder !== 'software' && m.h264) {
        this.startH264(title, dw, dh, 'webcodecs');
      } else if (h264 && decoder !== 'webcodecs') {
        // No WebCodecs H.264 here (or the software decoder is chosen): decode in WebAssembly.
        this.startH264(title, dw, dh, 'software');
      }
      if (!this.h264) {
        this.log.info(`screen ${this.serial}: screencap frames (${h264 ? 'this webview cannot decode H.264 with WebCodecs' : 'H.264 turned off in settings'})`);
        this.post({ type: 'config', serial: this.serial, title, mode: 'jpeg', deviceWidth: dw, deviceHeight: dh, maxSize });
        this.post({ type: 'stream', state: 'live' });
        this.stream.start();
      }
      this.watchRotation();
      this.clipboard = await probePhoneClipboard(this.store.adb, this.serial).catch((err) => ({ available: false as const, reason: errorMessage(err) }));
      this.log.info(`screen ${this.serial}: phone clipboard ${this.clipboard.available ? 'reachable with cmd clipboard' : `not reachable: ${this.clipboard.reason}`}`);
      this.post({ type: 'clipboard', available: this.clipboard.available, reason: this.clipboard.available ? undefined : this.clipboard.reason });
    } else if (m.type === 'h264Failed') {
      this.log.warn(`screen ${this.serial}: H.264 decoding failed (${m.reason}); falling back to screencap frames`);
      this.fallBack();
    } else if (m.type === 'ack') {
      this.stream.ack(m.seq);
      this.h264?.ack(m.seq);
    } else if (m.type === 'input') {
      const event = m.event;
      this.enqueue(() => this.input(event));
    } else if (m.type === 'rotate') {
      this.enqueue(() => this.rotate());
    } else if (m.type === 'paste') {
      const text = m.text;
      this.enqueue(() => this.paste(text));
    } else if (m.type === 'copy') {
      this.enqueue(() => this.copy());
    } else if (m.type === 'record') {
      await this.record(m.on);
    } else if (m.type === 'screenshot') {
      await vscode.commands.executeCommand('mobileai.device.screenshot', this.serial);
    } else if (m.type === 'dropStart' || m.type === 'dropChunk' || m.type === 'dropEnd') {
      // In order: a chunk must never overtake the start that opens its file.
      this.dropQueue = this.dropQueue.then(() => this.dropMessage(m)).catch((err) => this.post({ type: 'status', message: `drop failed: ${errorMessage(err)}` }));
    } else if (m.type === 'dropUris') {
      const uris = m.uris;
      this.dropQueue = this.dropQueue.then(() => this.dropUris(uris)).catch((err) => this.post({ type: 'status', message: `drop failed: ${errorMessage(err)}` }));
    }
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((err) => this.post({ type: 'status', message: errorMessage(err) }));
  }

  private async run(argv: string[]): Promise<boolean> {
    const r = await this.store.adb.exec(this.serial, argv, { timeoutMs: 10000 });
    const said = (r.stderr.toString() || r.stdout.toString()).trim();
    if (r.exitCode !== 0) {
      this.post({ type: 'status', message: `${argv.slice(0, 2).join(' ')} failed: ${said.split('\n')[0] || `exit ${r.exitCode}`}` });
      return false;
    }
    return true;
  }

  private async input(event: InputEvent): Promise<void> {
    this.inputAt = Date.now();
    try {
      if (event.action === 'text') {
        const bad = untypable(event.text);
        if (bad.length) {
          // Android's `input text` types printable ASCII only: other text goes through the clipboard where it can.
          await this.paste(event.text);
          return;
        }
        for (const argv of textCommands(event.text)) if (!(await this.run(argv))) break;
      } else {
        await this.run(inputArgv(event));
      }
    } catch (err) {
      this.post({ type: 'status', message: `input failed: ${errorMessage(err)}` });
    }
    this.stream.poke();
  }

  private async rotate(): Promise<void> {
    const now = this.display ?? (await readDisplayState(this.store.adb, this.serial).catch(() => undefined));
    const to = await rotatePhone(this.store.adb, this.serial, now?.rotation ?? 0);
    this.post({ type: 'status', message: `Rotated the phone to ${to * 90}°` });
    await this.checkDisplay();
  }

  /** Host → phone: the phone's clipboard set and KEYCODE_PASTE where `cmd clipboard` exists; typed otherwise. */
  private async paste(text: string): Promise<void> {
    if (this.clipboard?.available) {
      const set = await writePhoneClipboard(this.store.adb, this.serial, text);
      if (set.available) {
        await this.run(['input', 'keyevent', String(KEYCODE.PASTE)]);
        this.post({ type: 'status', message: `Pasted ${text.length} character(s) through the phone's clipboard` });
        return;
      }
      this.clipboard = set;
      this.post({ type: 'clipboard', available: false, reason: set.reason });
    }
    const bad = untypable(text.replace(/\r?\n/g, ''));
    if (bad.length) {
      this.post({ type: 'status', message: `Not sent: ${bad.slice(0, 5).map((c) => JSON.stringify(c)).join(' ')} cannot be typed with Android's \`input text\` (printable ASCII only), and ${this.clipboard?.available === false ? this.clipboard.reason : "the phone's clipboard is not reachable"}.` });
      return;
    }
    // No clipboard command: typed, line by line, Enter between lines (as scrcpy's --legacy-paste injects text).
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      for (const argv of lines[i] ? textCommands(lines[i]) : []) if (!(await this.run(argv))) return;
      if (i < lines.length - 1 && !(await this.run(['input', 'keyevent', String(KEYCODE.ENTER)]))) return;
    }
    this.post({ type: 'status', message: `Typed ${text.length} character(s) (this phone's clipboard has no shell command)` });
    this.stream.poke();
  }

  /** Phone → host, where the phone has `cmd clipboard`. */
  private async copy(): Promise<void> {
    const r = await readPhoneClipboard(this.store.adb, this.serial);
    if (!('text' in r)) {
      this.clipboard = r;
      this.post({ type: 'clipboard', available: false, reason: r.reason });
      this.post({ type: 'status', message: `Cannot copy from the phone: ${r.reason}` });
      return;
    }
    await vscode.env.clipboard.writeText(r.text);
    this.post({ type: 'status', message: `Copied ${r.text.length} character(s) from the phone's clipboard` });
  }

  private async dropMessage(m: Extract<FromScreenWebview, { type: 'dropStart' | 'dropChunk' | 'dropEnd' }>): Promise<void> {
    if (m.type === 'dropStart') {
      if (this.drops.has(m.id) || this.drops.size >= 4) return;
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-drop-'));
      const file = path.join(dir, m.name);
      this.drops.set(m.id, { name: m.name, size: m.size, file, dir, out: createWriteStream(file, { flags: 'wx' }), next: 0, bytes: 0 });
      this.post({ type: 'transfer', id: m.id, name: m.name, phase: 'receiving', done: 0, total: m.size });
      return;
    }
    const d = this.drops.get(m.id);
    if (!d) return;
    if (m.type === 'dropChunk') {
      if (m.index !== d.next || d.bytes + m.data.byteLength > d.size) {
        this.post({ type: 'transfer', id: m.id, name: d.name, phase: 'failed', message: 'the dropped file arrived out of order' });
        await this.dropCleanup(m.id);
        return;
      }
      d.next++;
      d.bytes += m.data.byteLength;
      if (!d.out.write(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength))) await new Promise<void>((r) => d.out.once('drain', () => r()));
      return;
    }
    await new Promise<void>((resolve, reject) => d.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (d.bytes !== d.size) {
      this.post({ type: 'transfer', id: m.id, name: d.name, phase: 'failed', message: `only ${d.bytes} of ${d.size} bytes arrived` });
      await this.dropCleanup(m.id);
      return;
    }
    try {
      await this.handleFile(m.id, d.file, d.name);
    } finally {
      await this.dropCleanup(m.id);
    }
  }

  private async dropCleanup(id: string): Promise<void> {
    const d = this.drops.get(id);
    if (!d) return;
    this.drops.delete(id);
    d.out.destroy();
    await fs.rm(d.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Explorer drops (Shift held): only files inside the open workspace are taken. */
  private async dropUris(uris: string[]): Promise<void> {
    for (const u of uris) {
      let uri: vscode.Uri;
      try {
        uri = vscode.Uri.parse(u.trim(), true);
      } catch {
        continue;
      }
      // The workbench names files by where it sees them (vscode-remote:// in code-server and remote windows,
      // vscode-file:// in the desktop app); the extension host sees the same path as a file.
      if (uri.scheme === 'vscode-remote' || uri.scheme === 'vscode-file') uri = vscode.Uri.file(uri.path);
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (!folder || uri.scheme !== folder.uri.scheme) {
        this.post({ type: 'status', message: `Not sent: ${u} is not a file in this workspace` });
        continue;
      }
      const st = await vscode.workspace.fs.stat(uri).then((x) => x, () => undefined);
      if (!st || st.type !== vscode.FileType.File) {
        this.post({ type: 'status', message: `Not sent: ${vscode.workspace.asRelativePath(uri)} is not a file` });
        continue;
      }
      await this.handleFile(`uri-${Date.now()}`, uri.fsPath, path.basename(uri.fsPath));
    }
  }

  private async handleFile(id: string, file: string, name: string): Promise<void> {
    const { installApk, pushToFolder } = await import('../../core/screen/transfer');
    const progress = (phase: 'pushing' | 'installing') => ({
      report: (p: { done?: number; total?: number; message?: string }) => this.post({ type: 'transfer', id, name, phase: p.message === 'installing' ? 'installing' : phase, done: p.done, total: p.total }),
    });
    if (isApk(name)) {
      this.log.info(`screen ${this.serial}: installing dropped ${name}`);
      try {
        const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Installing ${name} on ${this.store.known(this.serial)?.model ?? this.serial}` }, async (p) => {
          const sink = progress('pushing');
          return installApk(this.store.adb, this.serial, file, { progress: { report: (x) => { sink.report(x); p.report({ message: x.message ?? (x.total ? `pushing ${Math.round(((x.done ?? 0) / x.total) * 100)}%` : 'pushing') }); } } });
        });
        this.log.info(`screen ${this.serial}: pm install ${name}: ${r.android}`);
        this.post({ type: 'transfer', id, name, phase: r.ok ? 'done' : 'failed', message: r.ok ? 'installed' : `not installed: ${r.android}` });
        if (!r.ok) void vscode.window.showErrorMessage(`${name} was not installed. Android said: ${r.android} (${r.message})`);
        this.stream.poke();
      } catch (err) {
        this.post({ type: 'transfer', id, name, phase: 'failed', message: errorMessage(err) });
      }
      return;
    }
    const remembered = this.ctx.workspaceState.get<string>('mobileai.screen.pushDir');
    let dir = this.pushDir ?? remembered;
    if (!dir) {
      dir = await vscode.window.showInputBox({
        title: `Push ${name} to the phone`, prompt: 'Folder on the phone (asked once for this panel)', value: DEFAULT_PUSH_DIR, validateInput: (v) => checkPhoneDir(v),
      });
      if (!dir) {
        this.post({ type: 'transfer', id, name, phase: 'failed', message: 'not pushed (no folder chosen)' });
        return;
      }
      this.pushDir = dir;
    }
    try {
      const remote = await pushToFolder(this.store.adb, this.serial, file, name, dir, { progress: progress('pushing') });
      this.post({ type: 'transfer', id, name, phase: 'done', message: `pushed to ${remote}` });
      if (!remembered) {
        const pick = await vscode.window.showInformationMessage(`Pushed ${name} to ${remote}.`, 'Always push to this folder');
        if (pick) {
          await this.ctx.workspaceState.update('mobileai.screen.pushDir', dir);
          void vscode.window.showInformationMessage(`Dropped files will go to ${dir} on the phone (remembered for this workspace in VS Code's workspace storage, not in settings).`);
        }
      }
    } catch (err) {
      this.post({ type: 'transfer', id, name, phase: 'failed', message: errorMessage(err) });
    }
  }
}

/** A few safe words about a message for the log (a hostile one may be huge, cyclic or hold a BigInt). */
function describeMessage(m: unknown): string {
  if (m === null || typeof m !== 'object') return typeof m;
  if (Array.isArray(m)) return `an array of ${m.length}`;
  const t = (m as { type?: unknown }).type;
  return typeof t === 'string' ? `type ${JSON.stringify(t.slice(0, 40))}` : 'no type';
}

/** Where a screen panel opens when another panel asks for it: in the column beside `besideColumn`, keeping focus there. */
export interface ScreenPlacement {
  besideColumn?: number;
  preserveFocus?: boolean;
}

export function registerScreenCommands(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  context.subscriptions.push(vscode.commands.registerCommand('mobileai.screen.open', async (arg?: unknown, place?: ScreenPlacement) => {
    const serial = await pickDevice(store, arg as never, { readyOnly: true, title: 'Show the screen of…' });
    if (!serial) return;
    const existing = ScreenPanel.open.get(serial);
    // Already open: moved beside the panel that asked, not revealed where it is (it could be that panel's own
    // group, and would hide it: the agent viewer's webview then never loads).
    if (existing) existing.reveal(place?.preserveFocus, place?.besideColumn !== undefined ? place.besideColumn + 1 : undefined);
    else new ScreenPanel(context, store, log, serial, place);
  }));
}
