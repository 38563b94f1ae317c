import * as vscode from 'vscode';
import { webviewHtml } from '../webviews/html';
import { isFromScreenWebview, type ToScreenWebview } from '../../../webview/screen/protocol';
import { ScreencapStream, inputArgv } from '../../core/screen/screencap';
import { errorMessage, type Logger } from '../../core/util/log';
import type { DeviceStore } from '../devices/deviceStore';
import { pickDevice } from '../devices/deviceCommands';

/** One live screen panel per device. */
class ScreenPanel {
  static readonly open = new Map<string, ScreenPanel>();
  private readonly panel: vscode.WebviewPanel;
  private readonly stream: ScreencapStream;
  private ready = false;

  constructor(ctx: vscode.ExtensionContext, private readonly store: DeviceStore, private readonly log: Logger, private readonly serial: string) {
    const name = store.known(serial)?.model ?? serial;
    this.panel = vscode.window.createWebviewPanel('mobileai.screen', `Screen: ${name}`, vscode.ViewColumn.Beside, {
      enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'webview')],
    });
    this.panel.webview.html = webviewHtml(this.panel.webview, ctx.extensionUri, 'screen', `Screen: ${name}`);
    this.stream = new ScreencapStream(store.adb, serial, (f) => {
      void this.panel.webview.postMessage({ type: 'frame', seq: f.seq, data: new Uint8Array(f.jpeg.buffer, f.jpeg.byteOffset, f.jpeg.byteLength), width: f.width, height: f.height, deviceWidth: f.deviceWidth, deviceHeight: f.deviceHeight, capturedAt: f.capturedAt, captureMs: f.captureMs } satisfies ToScreenWebview);
    }, { onError: (e) => this.post({ type: 'status', message: `⚠ ${e.message} (retrying)` }) });
    this.panel.onDidChangeViewState((e) => {
      // A hidden panel costs nothing: capturing stops until it is shown again.
      this.stream.setPaused(!e.webviewPanel.visible);
      this.log.info(`screen ${serial}: ${e.webviewPanel.visible ? 'resumed' : 'paused (hidden)'}`);
    });
    this.panel.onDidDispose(() => {
      this.stream.stop();
      ScreenPanel.open.delete(serial);
    });
    this.panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m));
    ScreenPanel.open.set(serial, this);
  }

  private post(m: ToScreenWebview): void {
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  reveal(): void {
    this.panel.reveal();
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isFromScreenWebview(m)) {
      this.log.warn(`screen panel: ignored an invalid message: ${JSON.stringify(m)?.slice(0, 200)}`);
      return;
    }
    if (m.type === 'ready') {
      this.ready = true;
      this.post({ type: 'config', serial: this.serial, title: this.store.known(this.serial)?.model ?? this.serial, mode: 'jpeg' });
      this.stream.start();
    } else if (m.type === 'ack') {
      this.stream.ack(m.seq);
    } else if (m.type === 'input') {
      try {
        const r = await this.store.adb.exec(this.serial, inputArgv(m.event), { timeoutMs: 10000 });
        if (r.exitCode !== 0) this.post({ type: 'status', message: `input failed: ${r.stderr.toString().trim()}` });
        this.stream.poke();
      } catch (err) {
        this.post({ type: 'status', message: `input failed: ${errorMessage(err)}` });
      }
    } else if (m.type === 'screenshot') {
      await vscode.commands.executeCommand('mobileai.device.screenshot', this.serial);
    }
  }
}

export function registerScreenCommands(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  context.subscriptions.push(vscode.commands.registerCommand('mobileai.screen.open', async (arg?: unknown) => {
    const serial = await pickDevice(store, arg as never, { readyOnly: true, title: 'Show the screen of…' });
    if (!serial) return;
    const existing = ScreenPanel.open.get(serial);
    if (existing) existing.reveal();
    else new ScreenPanel(context, store, log, serial);
  }));
}
