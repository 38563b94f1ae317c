import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { DeviceFiles, DeviceFileError, checkName, joinDevicePath, type DeviceFileEntry } from '../../core/deviceFiles/deviceFiles';
import { adbFilesBackend } from '../../core/deviceFiles/adbBackend';
import { modeString } from '../../core/deviceFiles/syncProtocol';
import { formatBytes } from '../../core/util/format';
import { errorMessage, type Logger } from '../../core/util/log';
import type { DeviceStore } from '../devices/deviceStore';
import { pickDevice } from '../devices/deviceCommands';
import { deviceLabel } from '../devices/devicesTree';
import { DEVICE_SCHEME, DeviceFileSystemProvider, deviceUri } from './deviceFs';

/** The folders every phone shows first: the root, shared storage, and adb's scratch folder. */
const SHORTCUTS: Array<{ path: string; description: string }> = [
  { path: '/', description: 'root' },
  { path: '/sdcard', description: 'shared storage' },
  { path: '/data/local/tmp', description: 'adb\'s scratch folder' },
];

type Node =
  | { kind: 'device'; id: string; serial: string }
  | { kind: 'entry'; id: string; serial: string; entry: DeviceFileEntry; shortcut?: string }
  | { kind: 'problem'; id: string; serial: string; path: string; message: string; code: string }
  | { kind: 'empty'; id: string; serial: string; path: string };

function isFolder(n: Node): boolean {
  return n.kind === 'entry' && (n.entry.type === 'dir' || (n.entry.type === 'link' && n.entry.targetType !== 'file' && n.entry.targetType !== 'missing' && n.entry.targetType !== 'other'));
}

function folderOf(n: Node): { serial: string; path: string } {
  if (n.kind === 'device') return { serial: n.serial, path: '/sdcard' };
  if (n.kind === 'entry') return { serial: n.serial, path: isFolder(n) ? n.entry.path : path.posix.dirname(n.entry.path) };
  return { serial: n.serial, path: n.path };
}

class DeviceFilesTree implements vscode.TreeDataProvider<Node>, vscode.TreeDragAndDropController<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  readonly dropMimeTypes = ['text/uri-list', 'files'];
  readonly dragMimeTypes: string[] = [];
  /** Nodes are kept by id: VS Code refreshes a node by the object it was given. */
  private readonly nodes = new Map<string, Node>();
  private readonly parents = new Map<string, Node | undefined>();

  constructor(private readonly store: DeviceStore, readonly files: DeviceFiles, private readonly log: Logger, private readonly actions: { push(target: Node, locals: string[]): Promise<void> }) {
    store.onDidChange(() => this.emitter.fire(undefined));
  }

  private node<T extends Node>(n: T, parent: Node | undefined): T {
    const existing = this.nodes.get(n.id) as T | undefined;
    const kept = existing ? Object.assign(existing, n) : n;
    this.nodes.set(n.id, kept);
    this.parents.set(n.id, parent);
    return kept;
  }

  refresh(n?: Node): void {
    this.emitter.fire(n);
  }

  getParent(n: Node): Node | undefined {
    return this.parents.get(n.id);
  }

  /** The node of a device (for reveal). */
  deviceNode(serial: string): Node {
    return this.node({ kind: 'device', id: `d|${serial}`, serial }, undefined);
  }

  async getChildren(n?: Node): Promise<Node[]> {
    if (!n) return this.store.devices.filter((d) => d.state === 'device').map((d) => this.deviceNode(d.serial));
    if (n.kind === 'device') {
      return SHORTCUTS.map((s) => this.node({
        kind: 'entry', id: `s|${n.serial}|${s.path}|`, serial: n.serial, shortcut: s.description,
        entry: { name: s.path, path: s.path, type: 'dir', mode: 0, size: 0, mtime: 0 },
      }, n));
    }
    if (n.kind !== 'entry' || !isFolder(n)) return [];
    const root = n.id.split('|')[2];
    try {
      const entries = await this.files.list(n.serial, n.entry.path);
      if (!entries.length) return [this.node({ kind: 'empty', id: `e|${n.serial}|${root}|${n.entry.path}`, serial: n.serial, path: n.entry.path }, n)];
      return entries.map((entry) => this.node({ kind: 'entry', id: `f|${n.serial}|${root}|${entry.path}`, serial: n.serial, entry }, n));
    } catch (err) {
      const code = err instanceof DeviceFileError ? err.code : 'EIO';
      this.log.warn(`[${n.serial}] device files: ${errorMessage(err)}`);
      return [this.node({ kind: 'problem', id: `p|${n.serial}|${root}|${n.entry.path}`, serial: n.serial, path: n.entry.path, message: errorMessage(err), code }, n)];
    }
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'device') {
      const d = this.store.devices.find((x) => x.serial === n.serial);
      const item = new vscode.TreeItem(d ? deviceLabel(d, this.store.known(n.serial)) : n.serial, vscode.TreeItemCollapsibleState.Expanded);
      item.id = n.id;
      item.description = n.serial;
      item.iconPath = new vscode.ThemeIcon(this.store.known(n.serial)?.virtual ? 'vm' : 'device-mobile');
      item.contextValue = 'deviceFiles:device';
      return item;
    }
    if (n.kind === 'problem') {
      const denied = n.code === 'EACCES';
      const item = new vscode.TreeItem(denied ? 'Permission denied' : n.code === 'ENOENT' ? 'Not found' : 'Cannot list this folder', vscode.TreeItemCollapsibleState.None);
      item.id = n.id;
      item.description = n.message;
      item.tooltip = `${n.message}\n\nThe phone's shell user cannot open ${n.path}${denied ? ' (a phone without root keeps it private)' : ''}.`;
      item.iconPath = new vscode.ThemeIcon(denied ? 'lock' : 'warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.contextValue = 'deviceFiles:problem';
      return item;
    }
    if (n.kind === 'empty') {
      const item = new vscode.TreeItem('(empty folder)', vscode.TreeItemCollapsibleState.None);
      item.id = n.id;
      item.contextValue = 'deviceFiles:empty';
      return item;
    }
    const e = n.entry;
    const folder = isFolder(n);
    const item = new vscode.TreeItem(e.name, folder ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = n.id;
    item.resourceUri = deviceUri(n.serial, e.path);
    const details: string[] = [];
    if (n.shortcut) item.description = n.shortcut;
    else if (e.type === 'link') item.description = `→ ${e.linkTarget ?? '(link)'}${e.targetType === 'missing' ? ' (missing)' : ''}`;
    else if (e.type === 'file') item.description = formatBytes(e.size);
    if (e.mode) details.push(modeString(e.mode));
    if (e.type === 'file') details.push(`${e.size.toLocaleString()} bytes`);
    if (e.mtime) details.push(new Date(e.mtime * 1000).toISOString().replace('T', ' ').slice(0, 16));
    item.tooltip = `${e.path}${e.linkTarget ? ` → ${e.linkTarget}` : ''}${details.length ? `\n${details.join(' · ')}` : ''}`;
    if (e.type === 'link') item.iconPath = new vscode.ThemeIcon(folder ? 'file-symlink-directory' : 'file-symlink-file');
    else if (folder) item.iconPath = vscode.ThemeIcon.Folder;
    else item.iconPath = vscode.ThemeIcon.File;
    item.contextValue = n.shortcut ? 'deviceFiles:folder:shortcut' : folder ? 'deviceFiles:folder' : e.type === 'file' || e.type === 'link' ? 'deviceFiles:file' : 'deviceFiles:other';
    if (!folder && (e.type === 'file' || e.type === 'link')) item.command = { command: 'mobileai.deviceFiles.open', title: 'Open', arguments: [n] };
    return item;
  }

  /** Drops from the Explorer (`text/uri-list`) or from the desktop (`files`) push into the folder dropped on. */
  async handleDrop(target: Node | undefined, data: vscode.DataTransfer): Promise<void> {
    if (!target) {
      void vscode.window.showInformationMessage('Drop files on a folder of a phone to push them there.');
      return;
    }
    const locals: string[] = [];
    const list = await data.get('text/uri-list')?.asString();
    for (const line of list?.split(/\r?\n/) ?? []) {
      const t = line.trim();
      if (!t || t.startsWith('#')) continue;
      const uri = vscode.Uri.parse(t);
      if (uri.scheme === 'file') locals.push(uri.fsPath);
      else if (uri.scheme !== DEVICE_SCHEME) this.log.warn(`device files: cannot push ${t} (not a file on this computer)`);
    }
    if (!locals.length) {
      // Files dropped from outside the editor: their bytes.
      const dropped: Array<Promise<void>> = [];
      let tmpDir: string | undefined;
      data.forEach((item) => {
        const f = item.asFile();
        if (!f) return;
        if (f.uri?.scheme === 'file') {
          locals.push(f.uri.fsPath);
          return;
        }
        dropped.push((async () => {
          tmpDir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-drop-'));
          const name = path.basename(f.name);
          const p = path.join(tmpDir, name);
          await fs.writeFile(p, await f.data());
          locals.push(p);
        })());
      });
      await Promise.all(dropped);
    }
    if (locals.length) await this.actions.push(target, locals);
  }
}

export function registerDeviceFiles(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  const lazy = new DeviceFiles(adbFilesBackend(() => store.adb));

  const push = async (target: Node, locals: string[]): Promise<void> => {
    const { serial, path: dir } = folderOf(target);
    const done: string[] = [];
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pushing to ${dir}`, cancellable: false }, async (progress) => {
      for (const local of locals) {
        const remote = joinDevicePath(dir, path.basename(local));
        if (await lazy.exists(serial, remote)) {
          const choice = await vscode.window.showWarningMessage(`${remote} already exists on the phone. Replace it?`, { modal: true }, 'Replace');
          if (choice !== 'Replace') continue;
        }
        progress.report({ message: path.basename(local) });
        const r = await lazy.push(serial, local, dir);
        log.info(`[${serial}] pushed ${local} → ${r.path} (${r.files} file(s), ${r.bytes} bytes)`);
        done.push(r.path);
      }
    });
    tree.refresh(target.kind === 'entry' && !isFolder(target) ? tree.getParent(target) : target);
    if (done.length) void vscode.window.setStatusBarMessage(`$(cloud-upload) Pushed ${done.length === 1 ? done[0] : `${done.length} items`}`, 5000);
  };

  const tree = new DeviceFilesTree(store, lazy, log, { push });
  const view = vscode.window.createTreeView('mobileai.deviceFiles', { treeDataProvider: tree, dragAndDropController: tree, showCollapseAll: true, canSelectMany: false });
  context.subscriptions.push(view);
  const updateMessage = () => {
    view.message = store.devices.some((d) => d.state === 'device') ? undefined : 'No phone is connected. Plug one in with USB debugging on, or start the virtual phone.';
  };
  updateMessage();
  context.subscriptions.push(store.onDidChange(updateMessage));
  context.subscriptions.push(vscode.workspace.registerFileSystemProvider(DEVICE_SCHEME, new DeviceFileSystemProvider(lazy), { isCaseSensitive: true, isReadonly: true }));

  const run = (id: string, fn: (n?: Node, ...rest: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, async (n?: Node, ...rest: unknown[]) => {
      try {
        return await fn(n ?? view.selection[0], ...rest);
      } catch (err) {
        log.error(`${id} failed`, err);
        void vscode.window.showErrorMessage(errorMessage(err));
        return undefined;
      }
    }));

  /** The folder a palette command works on: the selection, or a device and a path asked for. */
  const targetFolder = async (n: Node | undefined, title: string): Promise<Node | undefined> => {
    if (n) return n;
    const serial = await pickDevice(store, undefined, { readyOnly: true, title });
    if (!serial) return undefined;
    const p = await vscode.window.showInputBox({ title, prompt: 'A folder on the phone', value: '/data/local/tmp', validateInput: (v) => (v.startsWith('/') ? undefined : 'An absolute path, like /sdcard/Download') });
    if (!p) return undefined;
    return { kind: 'entry', id: `x|${serial}|${p}`, serial, entry: { name: path.posix.basename(p) || '/', path: p, type: 'dir', mode: 0, size: 0, mtime: 0 } };
  };

  run('mobileai.deviceFiles.refresh', (n) => tree.refresh(n && n.kind !== 'device' && isFolder(n) ? n : undefined));

  run('mobileai.deviceFiles.show', async (n) => {
    // From the Devices view (its node has the device), a serial, a node of this view, or the palette.
    const arg = n as unknown as { serial?: unknown; device?: { serial?: unknown } } | string | undefined;
    const given = typeof arg === 'string' ? arg : typeof arg?.device?.serial === 'string' ? arg.device.serial : typeof arg?.serial === 'string' ? arg.serial : undefined;
    const serial = given ?? (await pickDevice(store, undefined, { readyOnly: true, title: 'Browse the files of…' }));
    if (!serial) return;
    await vscode.commands.executeCommand('mobileai.deviceFiles.focus');
    await view.reveal(tree.deviceNode(serial), { expand: true, focus: true, select: true });
  });

  run('mobileai.deviceFiles.open', async (n) => {
    if (!n || n.kind !== 'entry') return;
    await vscode.commands.executeCommand('vscode.open', deviceUri(n.serial, n.entry.path), { preview: true });
  });

  run('mobileai.deviceFiles.pull', async (n) => {
    if (!n || n.kind !== 'entry') {
      void vscode.window.showInformationMessage('Choose a file or folder in the Device Files view to pull.');
      return;
    }
    const e = n.entry;
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri;
    let local: string;
    if (isFolder(n)) {
      const picked = await vscode.window.showOpenDialog({ title: `Pull ${e.path} into…`, canSelectFiles: false, canSelectFolders: true, canSelectMany: false, defaultUri: ws, openLabel: 'Pull Here' });
      if (!picked?.[0]) return;
      local = path.join(picked[0].fsPath, path.posix.basename(e.path) || 'root');
    } else {
      const saved = await vscode.window.showSaveDialog({ title: `Pull ${e.path}`, defaultUri: ws ? vscode.Uri.joinPath(ws, e.name) : vscode.Uri.file(path.join(os.homedir(), e.name)), saveLabel: 'Pull' });
      if (!saved) return;
      local = saved.fsPath;
    }
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pulling ${e.path}…` }, () =>
      // The save dialog asked before replacing an existing file; a folder is never merged into one.
      lazy.pull(n.serial, e.path, local, { overwrite: !isFolder(n) }));
    log.info(`[${n.serial}] pulled ${e.path} → ${local} (${r.files} file(s), ${r.bytes} bytes${r.skipped.length ? `; skipped ${r.skipped.join(', ')}` : ''})`);
    if (r.skipped.length) void vscode.window.showWarningMessage(`Pulled ${r.files} file(s) to ${local}; skipped ${r.skipped.length}: ${r.skipped.slice(0, 3).join('; ')}${r.skipped.length > 3 ? '…' : ''}`);
    else void vscode.window.setStatusBarMessage(`$(cloud-download) Pulled ${e.path} → ${vscode.workspace.asRelativePath(local)}`, 5000);
  });

  run('mobileai.deviceFiles.push', async (n) => {
    const target = await targetFolder(n, 'Push to a folder on…');
    if (!target) return;
    // Files only: VS Code's dialogs on Linux and Windows cannot pick files and folders at once (folders: drag and drop).
    const picked = await vscode.window.showOpenDialog({ title: `Push to ${folderOf(target).path}`, canSelectFiles: true, canSelectFolders: false, canSelectMany: true, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri, openLabel: 'Push' });
    if (!picked?.length) return;
    await push(target, picked.map((u) => u.fsPath));
  });

  run('mobileai.deviceFiles.newFolder', async (n) => {
    const target = await targetFolder(n, 'New folder on…');
    if (!target) return;
    const { serial, path: dir } = folderOf(target);
    const name = await vscode.window.showInputBox({ title: `New folder in ${dir}`, prompt: 'Folder name', validateInput: (v) => checkName(v) });
    if (!name) return;
    const p = joinDevicePath(dir, name);
    await lazy.mkdir(serial, p);
    log.info(`[${serial}] mkdir -p ${p}`);
    tree.refresh(target.kind === 'entry' && !isFolder(target) ? tree.getParent(target) : target);
  });

  run('mobileai.deviceFiles.delete', async (n) => {
    if (!n || n.kind !== 'entry' || n.shortcut) {
      void vscode.window.showInformationMessage('Choose a file or folder in the Device Files view to delete.');
      return;
    }
    const e = n.entry;
    const what = e.type === 'dir' ? `the folder ${e.path} and everything in it` : e.path;
    const device = store.known(n.serial)?.model ?? n.serial;
    const choice = await vscode.window.showWarningMessage(`Delete ${what} from ${device}?`, { modal: true, detail: 'This cannot be undone.' }, 'Delete');
    if (choice !== 'Delete') return;
    await lazy.remove(n.serial, e.path);
    log.info(`[${n.serial}] rm -r ${e.path}`);
    tree.refresh(tree.getParent(n));
  });

  run('mobileai.deviceFiles.copyPath', async (n) => {
    if (n?.kind !== 'entry') return;
    await vscode.env.clipboard.writeText(n.entry.path);
  });
}
