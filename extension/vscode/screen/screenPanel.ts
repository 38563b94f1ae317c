import * as vscode from 'vscode';
import { webviewHtml } from '../webviews/html';
import { isFromScreenWebview, type ToScreenWebview } from '../../../webview/screen/protocol';
import { ScreencapStream, inputArgv } from '../../core/screen/screencap';
import { H264Stream } from '../../core/screen/h264';
import { readDisplayState, type DisplayState } from '../../core/screen/display';
import { ScreenRecorder } from '../../core/screen/recorder';
import * as path from 'node:path';
import { errorMessage, type Logger } from '../../core/util/log';
import type { DeviceStore } from '../devices/deviceStore';
import { pickDevice } from '../devices/deviceCommands';

/** One live screen panel per device. */
class ScreenPanel {
  static readonly open = new Map<string, ScreenPanel>();
  private readonly panel: vscode.WebviewPanel;
  private readonly stream: ScreencapStream;
  private h264: H264Stream | undefined;
  private inputAt = 0;
  private recorder: ScreenRecorder | undefined;
  private ready = false;
  private display: DisplayState | undefined;
  private rotationTimer: NodeJS.Timeout | undefined;
  private h264Args: { title: string; decoder: 'webcodecs' | 'software' } | undefined;

  constructor(ctx: vscode.ExtensionContext, private readonly store: DeviceStore, private readonly log: Logger, private readonly serial: string, place?: ScreenPlacement) {
    const name = store.known(serial)?.model ?? serial;
    const column = place?.besideColumn !== undefined ? place.besideColumn + 1 : vscode.ViewColumn.Beside;
    this.panel = vscode.window.createWebviewPanel('mobileai.screen', `Screen: ${name}`, { viewColumn: column, preserveFocus: place?.preserveFocus ?? false }, {
      enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'webview')],
    });
    this.panel.webview.html = webviewHtml(this.panel.webview, ctx.extensionUri, 'screen', `Screen: ${name}`, { wasm: true });
    this.stream = new ScreencapStream(store.adb, serial, (f) => {
      this.recorder?.jpeg(f.jpeg);
      void this.panel.webview.postMessage({ type: 'frame', seq: f.seq, data: new Uint8Array(f.jpeg.buffer, f.jpeg.byteOffset, f.jpeg.byteLength), width: f.width, height: f.height, deviceWidth: f.deviceWidth, deviceHeight: f.deviceHeight, capturedAt: f.capturedAt, captureMs: f.captureMs } satisfies ToScreenWebview);
    }, { onError: (e) => this.post({ type: 'status', message: `⚠ ${e.message} (retrying)` }) });
    this.panel.onDidChangeViewState((e) => {
      // A hidden panel costs nothing: capturing stops until it is shown again.
      this.stream.setPaused(!e.webviewPanel.visible);
      this.h264?.setPaused(!e.webviewPanel.visible);
      this.log.info(`screen ${serial}: ${e.webviewPanel.visible ? 'resumed' : 'paused (hidden)'}`);
    });
    this.panel.onDidDispose(() => {
      clearInterval(this.rotationTimer);
      void this.recorder?.stop();
      this.stream.stop();
      this.h264?.stop();
      ScreenPanel.open.delete(serial);
    });
    this.panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m));
    ScreenPanel.open.set(serial, this);
  }

  private post(m: ToScreenWebview): void {
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  private settings(): { h264: boolean; maxWidth: number; decoder: 'auto' | 'webcodecs' | 'software' } {
    const c = vscode.workspace.getConfiguration('mobileAI');
    return { h264: c.get<boolean>('screen.h264') ?? true, maxWidth: c.get<number>('screen.maxWidth') ?? 540, decoder: c.get<'auto'>('screen.decoder') ?? 'auto' };
  }

  private startH264(title: string, dw: number, dh: number, decoder: 'webcodecs' | 'software'): void {
    const scale = Math.min(1, this.settings().maxWidth / dw);
    const even = (v: number) => Math.max(2, Math.round(v * scale) - (Math.round(v * scale) % 2));
    const size = { width: even(dw), height: even(dh) };
    this.post({ type: 'config', serial: this.serial, title, mode: 'h264', decoder, deviceWidth: dw, deviceHeight: dh });
    this.log.info(`screen ${this.serial}: H.264 stream ${size.width}x${size.height} (screenrecord over exec:), ${decoder === 'software' ? 'software decoder' : 'WebCodecs'}`);
    this.h264 = new H264Stream(this.store.adb, this.serial, size, (u) => {
      this.recorder?.h264(u.data, u.key);
      void this.panel.webview.postMessage({ type: 'h264', seq: u.seq, data: new Uint8Array(u.data.buffer, u.data.byteOffset, u.data.byteLength), key: u.key, codec: u.codec, width: size.width, height: size.height, receivedAt: u.receivedAt } satisfies ToScreenWebview);
    }, {
      onError: (e) => this.log.warn(`screen ${this.serial}: screenrecord: ${e.message}`),
      onEnd: () => {
        this.log.warn(`screen ${this.serial}: screenrecord is not available; falling back to screencap frames`);
        this.fallBack();
      },
    });
    this.h264.start();
    this.h264Args = { title, decoder };
  }

  /**
   * screenrecord keeps the size it started with, so when the phone is turned the stream is restarted at the
   * new size (as scrcpy does) and the webview maps input to the turned display. Polled once a second while
   * the panel is visible.
   */
  private watchRotation(): void {
    clearInterval(this.rotationTimer);
    this.rotationTimer = setInterval(async () => {
      if (!this.panel.visible || !this.h264 || !this.h264Args) return;
      const now = await readDisplayState(this.store.adb, this.serial).catch(() => undefined);
      if (!now || !this.h264 || !this.h264Args) return;
      const before = this.display;
      this.display = now;
      if (before && (before.width !== now.width || before.height !== now.height)) {
        this.log.info(`screen ${this.serial}: display turned to rotation ${now.rotation} (${now.width}x${now.height}); restarting the stream at the new size`);
        this.h264.stop();
        this.startH264(this.h264Args.title, now.width, now.height, this.h264Args.decoder);
      }
    }, 1000);
  }

  private fallBack(): void {
    this.h264?.stop();
    this.h264 = undefined;
    const info = this.store.known(this.serial);
    this.post({ type: 'config', serial: this.serial, title: info?.model ?? this.serial, mode: 'jpeg', deviceWidth: this.display?.width ?? info?.screen?.width ?? 720, deviceHeight: this.display?.height ?? info?.screen?.height ?? 1600 });
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

  reveal(preserveFocus = false): void {
    this.panel.reveal(undefined, preserveFocus);
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isFromScreenWebview(m)) {
      this.log.warn(`screen panel: ignored an invalid message: ${JSON.stringify(m)?.slice(0, 200)}`);
      return;
    }
    if (m.type === 'ready') {
      this.ready = true;
      const info = await this.store.info(this.serial);
      this.display = await readDisplayState(this.store.adb, this.serial).catch(() => undefined);
      // The logical (possibly turned) size, which is what screenrecord, screencap and input use.
      const dw = this.display?.width ?? info?.screen?.width ?? 720;
      const dh = this.display?.height ?? info?.screen?.height ?? 1600;
      const title = info?.model ?? this.serial;
      const { h264, decoder } = this.settings();
      if (h264 && decoder !== 'software' && m.h264) {
        this.startH264(title, dw, dh, 'webcodecs');
      } else if (h264 && decoder !== 'webcodecs') {
        // No WebCodecs H.264 here (or the software decoder is chosen): decode in WebAssembly.
        this.startH264(title, dw, dh, 'software');
      }
      if (this.h264) {
        this.watchRotation();
      } else {
        this.log.info(`screen ${this.serial}: screencap frames (${h264 ? 'this webview cannot decode H.264 with WebCodecs' : 'H.264 turned off in settings'})`);
        this.post({ type: 'config', serial: this.serial, title, mode: 'jpeg', deviceWidth: dw, deviceHeight: dh });
        this.stream.start();
      }
    } else if (m.type === 'h264Failed') {
      this.log.warn(`screen ${this.serial}: H.264 decoding failed (${m.reason}); falling back to screencap frames`);
      this.fallBack();
    } else if (m.type === 'ack') {
      this.stream.ack(m.seq);
      this.h264?.ack(m.seq);
    } else if (m.type === 'input') {
      try {
        this.inputAt = Date.now();
        const r = await this.store.adb.exec(this.serial, inputArgv(m.event), { timeoutMs: 10000 });
        if (r.exitCode !== 0) this.post({ type: 'status', message: `input failed: ${r.stderr.toString().trim()}` });
        this.stream.poke();
      } catch (err) {
        this.post({ type: 'status', message: `input failed: ${errorMessage(err)}` });
      }
    } else if (m.type === 'record') {
      await this.record(m.on);
    } else if (m.type === 'screenshot') {
      await vscode.commands.executeCommand('mobileai.device.screenshot', this.serial);
    }
  }
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
    if (existing) existing.reveal(place?.preserveFocus);
    else new ScreenPanel(context, store, log, serial, place);
  }));
}
