import * as vscode from 'vscode';
import type { AdbSettings } from '../core/adb/adbService';
import type { VirtualPhoneOptions } from '../core/virtualPhone/server';

export const SECTION = 'mobileAI';

export function adbSettings(): AdbSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    adbPath: c.get<string>('adb.path') || undefined,
    serverHost: c.get<string>('adb.serverHost') || undefined,
    serverPort: c.get<number>('adb.serverPort') || undefined,
  };
}

export function virtualPhoneSettings(): VirtualPhoneOptions {
  const c = vscode.workspace.getConfiguration(SECTION);
  const size = /^(\d+)x(\d+)$/.exec(c.get<string>('virtualPhone.screenSize') ?? '');
  return {
    port: c.get<number>('virtualPhone.port') ?? 0,
    requireAuth: c.get<boolean>('virtualPhone.requireAuthorization') ?? false,
    profile: {
      model: c.get<string>('virtualPhone.model') || undefined,
      width: size ? Number(size[1]) : undefined,
      height: size ? Number(size[2]) : undefined,
      density: c.get<number>('virtualPhone.density') || undefined,
    },
  };
}

export function screenshotFolder(): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>('screenshots.folder') || 'screenshots';
}
