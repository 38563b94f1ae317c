import * as vscode from 'vscode';
import type { DeviceStore } from '../devices/deviceStore';
import type { Logger } from '../../core/util/log';
import { errorMessage } from '../../core/util/log';
import { PROFILE_FILTERS, ProfilePanel } from './profilePanel';
import { buildRequest } from './profileRunner';
import type { OptLevel } from '../../core/profile/ort';

async function pickModel(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputCustom && tab.uri.fsPath.endsWith('.onnx')) return tab.uri.fsPath;
  const found = await vscode.workspace.findFiles('**/*.{onnx,tflite}', '**/node_modules/**', 200);
  if (found.length) {
    const pick = await vscode.window.showQuickPick(found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { title: 'Profile which model?' });
    return pick?.uri.fsPath;
  }
  const uri = await vscode.window.showOpenDialog({ filters: { Models: ['onnx', 'tflite'] }, canSelectMany: false });
  return uri?.[0]?.fsPath;
}

export function registerProfileCommands(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  const command = (target: 'host' | 'phone') => async (arg?: unknown, optimization?: OptLevel, serial?: string, overrides?: { runs?: number; warmup?: number; dims?: Record<string, number>; from?: string }) => {
    try {
      const model = await pickModel(arg);
      if (!model) return;
      const given = overrides && typeof overrides === 'object' ? { ...overrides, from: typeof overrides.from === 'string' ? overrides.from.slice(0, 200) : undefined } : {};
      const req = await buildRequest(store, model, target, optimization, typeof serial === 'string' ? serial : undefined, given);
      if (req) await ProfilePanel.open(context, store, log, req);
    } catch (err) {
      log.error('profile command failed', err);
      void vscode.window.showErrorMessage(errorMessage(err));
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('mobileai.profile.model', command('host')),
    vscode.commands.registerCommand('mobileai.profile.modelOnPhone', command('phone')),
    // Open Profile…: a saved profile or a runner's saved output (from CI, a colleague's phone, a device farm).
    vscode.commands.registerCommand('mobileai.profile.open', async (arg?: unknown) => {
      try {
        const file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : (await vscode.window.showOpenDialog({ filters: PROFILE_FILTERS, canSelectMany: false, title: 'Open a profile' }))?.[0]?.fsPath;
        if (file) await ProfilePanel.openFile(context, store, log, file);
      } catch (err) {
        log.error('open profile failed', err);
        void vscode.window.showErrorMessage(`Cannot open the profile: ${errorMessage(err)}`);
      }
    }),
  );
}
