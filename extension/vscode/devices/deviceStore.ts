import * as vscode from 'vscode';
import { AdbService, type DeviceWatcher } from '../../core/adb/adbService';
import { AdbNotFoundError, ADB_INSTALL_HINT } from '../../core/adb/locate';
import type { DeviceInfo, DeviceSummary } from '../../core/adb/deviceInfo';
import { errorMessage, type Logger } from '../../core/util/log';
import { adbSettings } from '../config';
import { waitAtMost } from '../../core/util/progress';

/**
 * The editor's view of the phones: the live list from adb's tracker, details fetched once per device,
 * and the selected device. Views and commands read from here.
 */
export class DeviceStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  adb: AdbService;
  devices: DeviceSummary[] = [];
  /** Set when devices cannot be listed (adb missing, server unreachable); shown by the view. */
  problem: string | undefined;
  private watcher: DeviceWatcher | undefined;
  private readonly details = new Map<string, Promise<DeviceInfo | undefined>>();
  private readonly resolved = new Map<string, DeviceInfo>();
  private restartTimer: NodeJS.Timeout | undefined;
  private shownAdbMissing = false;
  private disposed = false;
  private markListed!: () => void;
  /** Settles when the first listing has been tried (a list, or a problem): before it, "no devices" means "not asked yet". */
  private readonly listed = new Promise<void>((resolve) => (this.markListed = resolve));

  constructor(private readonly log: Logger, private readonly state: vscode.Memento) {
    this.adb = new AdbService(adbSettings(), { log });
  }

  /**
   * Waits (at most `timeoutMs`) for the first listing after activation. A command run as the editor opens (the
   * command itself activating the extension) would otherwise see no phones yet and say none is connected.
   */
  async firstListing(timeoutMs = 10_000): Promise<void> {
    await waitAtMost(this.listed, timeoutMs);
  }

  get selectedSerial(): string | undefined {
    const s = this.state.get<string>('mobileai.selectedDevice');
    if (s && this.devices.some((d) => d.serial === s)) return s;
    return this.devices.find((d) => d.state === 'device')?.serial;
  }

  async select(serial: string): Promise<void> {
    await this.state.update('mobileai.selectedDevice', serial);
    this.changed.fire();
  }

  /** Starts (or restarts) live tracking. Never throws: problems become `problem` and a message. */
  async start(): Promise<void> {
    this.watcher?.stop();
    this.watcher = undefined;
    try {
      const w = await this.adb.watch();
      if (this.disposed) { w.stop(); return; }
      this.watcher = w;
      this.problem = undefined;
      void vscode.commands.executeCommand('setContext', 'mobileai.adbMissing', false);
      w.on('devices', (list: DeviceSummary[]) => this.update(list));
      w.on('error', (err: Error) => {
        this.log.error('device tracking stopped', err);
        this.problem = errorMessage(err);
        this.update([]);
        this.scheduleRestart();
      });
      this.update(w.devices);
      this.markListed();
    } catch (err) {
      this.problem = errorMessage(err);
      this.log.error('cannot list devices', err);
      this.update([]);
      if (err instanceof AdbNotFoundError) {
        void vscode.commands.executeCommand('setContext', 'mobileai.adbMissing', true);
        this.showAdbMissing(err);
      } else {
        this.scheduleRestart();
      }
      this.markListed();
    }
  }

  private scheduleRestart(): void {
    if (this.restartTimer || this.disposed) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.start();
    }, 3000);
  }

  private showAdbMissing(err: AdbNotFoundError): void {
    if (this.shownAdbMissing) return;
    this.shownAdbMissing = true;
    void vscode.window.showErrorMessage(err.message, 'Set adb Path…', 'How to Install').then((choice) => {
      if (choice === 'Set adb Path…') void vscode.commands.executeCommand('mobileai.adb.setPath');
      if (choice === 'How to Install') void vscode.env.openExternal(vscode.Uri.parse('https://developer.android.com/tools/releases/platform-tools'));
    });
    this.log.warn(ADB_INSTALL_HINT);
  }

  /** Settings changed: new service, new tracker. */
  async reconfigure(): Promise<void> {
    this.adb = new AdbService(adbSettings(), { log: this.log });
    this.details.clear();
    this.resolved.clear();
    this.shownAdbMissing = false;
    await this.start();
  }

  private update(list: DeviceSummary[]): void {
    const before = new Map(this.devices.map((d) => [d.serial, d.state]));
    for (const d of list) if (before.get(d.serial) !== d.state) { this.details.delete(d.serial); this.resolved.delete(d.serial); }
    this.devices = list;
    this.log.info(`devices: ${list.length ? list.map((d) => `${d.serial} (${d.state})`).join(', ') : 'none'}`);
    this.changed.fire();
    this.updateContext();
    // Details for ready phones, in the background: the status bar and views show real names.
    for (const d of list) if (d.state === 'device' && !this.details.has(d.serial)) void this.info(d.serial);
  }

  /** Details of a ready device, fetched once (undefined when the device cannot answer). */
  info(serial: string): Promise<DeviceInfo | undefined> {
    let p = this.details.get(serial);
    if (!p) {
      p = this.adb.info(serial).then(
        (i) => { this.resolved.set(serial, i); this.changed.fire(); this.updateContext(); return i; },
        (err: unknown) => { this.log.error(`cannot read details of ${serial}`, err); this.details.delete(serial); return undefined; },
      );
      this.details.set(serial, p);
    }
    return p;
  }

  private virtualConnected: boolean | undefined;
  private anyConnected: boolean | undefined;
  /** `mobileai.deviceConnected`: a phone is ready (the walkthrough's first step). `mobileai.virtualPhoneConnected`: a virtual phone (ours or `npm start`'s) is connected, so the view title offers no Start. */
  private updateContext(): void {
    const any = this.devices.some((d) => d.state === 'device');
    if (any !== this.anyConnected) {
      this.anyConnected = any;
      void vscode.commands.executeCommand('setContext', 'mobileai.deviceConnected', any);
    }
    const v = this.devices.some((d) => d.state === 'device' && this.resolved.get(d.serial)?.virtual);
    if (v === this.virtualConnected) return;
    this.virtualConnected = v;
    void vscode.commands.executeCommand('setContext', 'mobileai.virtualPhoneConnected', v);
  }

  /**
   * Runs `fn` with `mobileai.deviceConnected` false, then sets it again. VS Code ticks a walkthrough step when its
   * `onContext:` key changes after the walkthrough is registered, never for a key already true then (it notes the
   * event as seen without ticking), and it registers walkthroughs when the Get Started page is first opened.
   */
  async withContextReset(fn: () => Thenable<unknown>): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'mobileai.deviceConnected', false);
    this.anyConnected = false;
    try {
      await fn();
    } finally {
      this.updateContext();
    }
  }

  /** Details already fetched, without waiting. */
  known(serial: string): DeviceInfo | undefined {
    return this.resolved.get(serial);
  }

  dispose(): void {
    this.disposed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.watcher?.stop();
    this.changed.dispose();
  }
}
