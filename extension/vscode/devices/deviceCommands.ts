import * as vscode from 'vscode';
import * as path from 'node:path';
import { errorMessage, type Logger } from '../../core/util/log';
import { uniquePath } from '../../core/util/fsAtomic';
import { locateAdb } from '../../core/adb/locate';
import { screenshotFolder } from '../config';
import type { DeviceStore } from './deviceStore';
import { deviceLabel } from './devicesTree';

/** The scheme of the read-only device details documents. */
export const DEVICE_INFO_SCHEME = 'mobileai-device-info';

/** A command's device argument: a serial, a tree node, or nothing (then: selected device, or ask). */
type DeviceArg = string | { kind: 'device'; device: { serial: string } } | undefined;

function serialOf(arg: DeviceArg): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && arg.kind === 'device') return arg.device.serial;
  return undefined;
}

export async function pickDevice(store: DeviceStore, arg: DeviceArg, opts: { readyOnly?: boolean; tcpOnly?: boolean; title?: string } = {}): Promise<string | undefined> {
  const given = serialOf(arg);
  if (given) return given;
  await store.firstListing();
  const candidates = store.devices.filter((d) => (!opts.readyOnly || d.state === 'device') && (!opts.tcpOnly || d.transport === 'tcp'));
  const selected = store.selectedSerial;
  if (!opts.tcpOnly && selected && candidates.some((d) => d.serial === selected)) return selected;
  if (candidates.length === 1) return candidates[0].serial;
  if (!candidates.length) {
    const choice = await vscode.window.showWarningMessage(
      store.problem ? `No phone available: ${store.problem}` : 'No phone is connected. Plug one in with USB debugging on, connect one over TCP, or start the virtual phone.',
      'Start Virtual Phone', 'Connect over TCP…',
    );
    if (choice === 'Start Virtual Phone') await vscode.commands.executeCommand('mobileai.virtualPhone.start');
    if (choice === 'Connect over TCP…') await vscode.commands.executeCommand('mobileai.device.connect');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    candidates.map((d) => ({ label: deviceLabel(d, store.known(d.serial)), description: `${d.serial} · ${d.state}`, serial: d.serial })),
    { title: opts.title ?? 'Choose a device', placeHolder: 'Device' },
  );
  return pick?.serial;
}

export function registerDeviceCommands(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  const run = (id: string, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          log.error(`${id} failed`, err);
          void vscode.window.showErrorMessage(errorMessage(err));
          return undefined;
        }
      }),
    );

  run('mobileai.devices.refresh', () => store.reconfigure());

  run('mobileai.device.select', async (arg: DeviceArg) => {
    const serial = serialOf(arg) ?? (await pickDevice(store, undefined, { title: 'Select the device Mobile AI works with' }).then((s) => s));
    if (serial) await store.select(serial);
  });

  run('mobileai.device.screenshot', async (arg: DeviceArg): Promise<string | undefined> => {
    const serial = await pickDevice(store, arg, { readyOnly: true, title: 'Take a screenshot of…' });
    if (!serial) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    let target: string;
    const info = store.known(serial);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
    const name = `${(info?.model ?? serial).replace(/[^A-Za-z0-9_.-]+/g, '_')}_${stamp}.png`;
    if (folder) {
      target = await uniquePath(path.join(folder, screenshotFolder(), name));
    } else {
      const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(name), filters: { 'PNG image': ['png'] } });
      if (!uri) return undefined;
      target = uri.fsPath;
    }
    const shot = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Screenshot of ${info?.model ?? serial}…` }, () => store.adb.screenshot(serial, target));
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(shot.path), { preview: true, preserveFocus: true });
    void vscode.window.setStatusBarMessage(`$(device-camera) Saved ${vscode.workspace.asRelativePath(shot.path)} (${shot.width}×${shot.height})`, 5000);
    return shot.path;
  });

  run('mobileai.device.openShell', async (arg: DeviceArg) => {
    const serial = await pickDevice(store, arg, { readyOnly: true, title: 'Open an adb shell on…' });
    if (!serial) return;
    const { command, args } = await store.adb.shellCommandFor(serial);
    const term = vscode.window.createTerminal({ name: `adb shell · ${store.known(serial)?.model ?? serial}`, shellPath: command, shellArgs: args, iconPath: new vscode.ThemeIcon('terminal') });
    term.show();
  });

  run('mobileai.device.connect', async (target?: string) => {
    const value = target ?? (await vscode.window.showInputBox({
      title: 'Connect to a phone over TCP',
      prompt: 'HOST:PORT of a phone with wireless debugging (or a virtual phone)',
      placeHolder: '192.168.1.20:5555',
      validateInput: (v) => (/^(\[[^\]]+\]|[^:\s]+)(:\d{1,5})?$/.test(v.trim()) ? undefined : 'Enter HOST or HOST:PORT'),
    }));
    if (!value) return;
    const id = await store.adb.connect(value.trim());
    void vscode.window.setStatusBarMessage(`$(plug) ${id}`, 4000);
  });

  run('mobileai.device.disconnect', async (arg: DeviceArg) => {
    const serial = await pickDevice(store, arg, { tcpOnly: true, title: 'Disconnect which TCP device?' });
    if (!serial) return;
    const d = store.devices.find((x) => x.serial === serial);
    if (d && d.transport !== 'tcp') {
      void vscode.window.showInformationMessage(`${serial} is connected by USB: unplug the cable to disconnect it.`);
      return;
    }
    await store.adb.disconnect(serial);
  });

  // Device details are a read-only document of their own scheme: nothing to save, no "Save?" on close.
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(DEVICE_INFO_SCHEME, {
    provideTextDocumentContent: async (uri) => {
      const serial = new URLSearchParams(uri.query).get('serial');
      if (!serial) return '{}';
      try {
        return `${JSON.stringify(await store.adb.info(serial), null, 2)}\n`;
      } catch (err) {
        return `${JSON.stringify({ serial, error: errorMessage(err) }, null, 2)}\n`;
      }
    },
  }));

  run('mobileai.device.showDetails', async (arg: DeviceArg) => {
    const serial = await pickDevice(store, arg, { readyOnly: true });
    if (!serial) return;
    const d = store.devices.find((x) => x.serial === serial);
    const name = (d ? deviceLabel(d, store.known(serial)) : serial).replace(/[/\\?#]+/g, '_');
    const uri = vscode.Uri.from({ scheme: DEVICE_INFO_SCHEME, path: `/${name} (${serial.replace(/[/\\?#]+/g, '_')}).json`, query: new URLSearchParams({ serial }).toString() });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
  });

  run('mobileai.walkthrough.open', () => store.withContextReset(() => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#mobileai.gettingStarted`, false)));

  run('mobileai.adb.setPath', async () => {
    const picked = await vscode.window.showOpenDialog({ title: 'Choose the adb executable (or the platform-tools folder)', canSelectFiles: true, canSelectFolders: true, canSelectMany: false });
    if (!picked?.[0]) return;
    const p = picked[0].fsPath;
    const found = await locateAdb({ configuredPath: p });
    await vscode.workspace.getConfiguration('mobileAI').update('adb.path', found.path, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(`Mobile AI will use ${found.path} (saved as mobileAI.adb.path in your user settings).`);
  });
}
