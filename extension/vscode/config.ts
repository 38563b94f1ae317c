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

/**
 * Settings are written only when the user asks: after a value was typed or picked, offer "this time only" or
 * "Remember" (saved in the workspace settings, and the notification says where). Returns false when the user
 * dismissed the choice (the caller stops), true otherwise.
 */
export async function useAndMaybeRemember(values: Record<string, unknown>, what: string): Promise<boolean> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const keys = Object.keys(values).map((k) => `${SECTION}.${k}`).join(', ');
  if (!folder) return true;
  const where = vscode.workspace.workspaceFile ? 'the workspace file' : '.vscode/settings.json';
  const pick = await vscode.window.showQuickPick([
    { label: 'Use This Time', description: 'nothing is saved', remember: false },
    { label: 'Use and Remember', description: `saves ${keys} in ${where}`, remember: true },
  ], { title: what, placeHolder: `Remember ${what.toLowerCase()} for next time?`, ignoreFocusOut: true });
  if (!pick) return false;
  if (pick.remember) {
    const c = vscode.workspace.getConfiguration(SECTION, folder.uri);
    for (const [k, v] of Object.entries(values)) await c.update(k, v, vscode.ConfigurationTarget.Workspace);
    void vscode.window.showInformationMessage(`Saved ${keys} in ${where}.`);
  }
  return true;
}
