import * as vscode from 'vscode';
import { DeviceFileError, type DeviceFiles } from '../../core/deviceFiles/deviceFiles';

/** Files on phones as `mobileai-device:/SERIAL/path/on/phone`: read-only, opened in ordinary editors. */
export const DEVICE_SCHEME = 'mobileai-device';

export function deviceUri(serial: string, devicePath: string): vscode.Uri {
  if (serial.includes('/')) throw new Error(`cannot address the files of "${serial}"`);
  return vscode.Uri.from({ scheme: DEVICE_SCHEME, path: `/${serial}${devicePath === '/' ? '' : devicePath}` });
}

export function parseDeviceUri(uri: vscode.Uri): { serial: string; path: string } {
  const m = /^\/([^/]+)(\/.*)?$/.exec(uri.path);
  if (uri.scheme !== DEVICE_SCHEME || !m) throw vscode.FileSystemError.FileNotFound(uri);
  return { serial: m[1], path: m[2] || '/' };
}

function fsError(err: unknown, uri: vscode.Uri): Error {
  if (err instanceof DeviceFileError) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return vscode.FileSystemError.FileNotFound(err.message);
    if (err.code === 'EACCES' || err.code === 'EROFS') return vscode.FileSystemError.NoPermissions(err.message);
    if (err.code === 'EISDIR') return vscode.FileSystemError.FileIsADirectory(err.message);
    return vscode.FileSystemError.Unavailable(err.message);
  }
  return vscode.FileSystemError.Unavailable(`${uri.path}: ${err instanceof Error ? err.message : String(err)}`);
}

const TYPES: Record<string, vscode.FileType> = { dir: vscode.FileType.Directory, file: vscode.FileType.File, other: vscode.FileType.Unknown };

export class DeviceFileSystemProvider implements vscode.FileSystemProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  constructor(private readonly files: DeviceFiles) {}

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { serial, path } = parseDeviceUri(uri);
    try {
      const st = await this.files.stat(serial, path);
      return { type: TYPES[st.type] ?? vscode.FileType.Unknown, ctime: st.mtime * 1000, mtime: st.mtime * 1000, size: st.size, permissions: vscode.FilePermission.Readonly };
    } catch (err) {
      throw fsError(err, uri);
    }
  }

  async readDirectory(uri: vscode.Uri): Promise<Array<[string, vscode.FileType]>> {
    const { serial, path } = parseDeviceUri(uri);
    try {
      return (await this.files.list(serial, path)).map((e) => [e.name, e.type === 'link' ? (e.targetType === 'dir' ? vscode.FileType.Directory : vscode.FileType.File) | vscode.FileType.SymbolicLink : TYPES[e.type] ?? vscode.FileType.Unknown]);
    } catch (err) {
      throw fsError(err, uri);
    }
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { serial, path } = parseDeviceUri(uri);
    try {
      return await this.files.readFile(serial, path);
    } catch (err) {
      throw fsError(err, uri);
    }
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(`${uri.path}: files on the phone open read-only (use the Device Files view's New Folder)`);
  }

  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(`${uri.path}: files on the phone open read-only (pull the file, edit it, push it back)`);
  }

  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(`${uri.path}: files on the phone open read-only (use the Device Files view's Delete)`);
  }

  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(`${uri.path}: files on the phone open read-only`);
  }
}
