import * as vscode from 'vscode';
import * as path from 'node:path';
import type { DeployProfile, DeployReport } from '../../core/deploy/deploy';
import { CancelSource, CancelledError } from '../../core/util/progress';
import { errorMessage, type Logger } from '../../core/util/log';
import type { DeviceStore } from '../devices/deviceStore';
import { pickDevice } from '../devices/deviceCommands';

const HISTORY = '.mobileai/deploy-history.jsonl';

/** The deploy profile from workspace settings, built with quick picks the first time. */
async function profileFor(arg: unknown): Promise<DeployProfile | undefined> {
  const c = vscode.workspace.getConfiguration('mobileAI');
  const saved = c.get<DeployProfile>('deploy.profile');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const abs = (p: string) => (path.isAbsolute(p) || !folder ? p : path.join(folder, p));
  if (arg instanceof vscode.Uri) {
    // A model listed in mobileai.yaml: its deploy profile (folder, extra files, APK, activity).
    const { workspaceManifest } = await import('../manifest/manifestClient');
    const { modelEntryFor } = await import('../../core/manifest/manifest');
    const ws = await workspaceManifest();
    const found = ws && modelEntryFor(ws.manifest, ws.baseDir, arg.fsPath);
    if (ws && found?.entry.deploy) {
      const d = found.entry.deploy;
      const inWs = (p: string) => (path.isAbsolute(p) ? p : path.join(ws.baseDir, p));
      return { files: [arg.fsPath, ...(d.files ?? []).map(inWs)], apk: d.apk ? inWs(d.apk) : undefined, to: d.to, launch: d.launch };
    }
    // Deploy this file (from the model editor or the explorer), to the saved folder.
    return { files: [arg.fsPath], to: saved?.to, launch: saved?.launch };
  }
  if (saved && (saved.files?.length || saved.apk)) return { ...saved, files: (saved.files ?? []).map(abs), apk: saved.apk && abs(saved.apk) };
  const found = await vscode.workspace.findFiles('**/*.{onnx,tflite,apk,bin,json,txt}', '**/{node_modules,.mobileai}/**', 500);
  const picks = await vscode.window.showQuickPick(found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { title: 'Deploy which files? (models, an APK…)', canPickMany: true });
  if (!picks?.length) return undefined;
  const to = await vscode.window.showInputBox({ title: 'Folder on the phone', value: '/data/local/tmp/mobileai/deploy', validateInput: (v) => (v.startsWith('/') ? undefined : 'an absolute path on the phone') });
  if (!to) return undefined;
  const launch = await vscode.window.showInputBox({ title: 'Activity to launch afterwards (optional)', placeHolder: 'com.example.app/.MainActivity' });
  const apk = picks.find((p) => p.uri.fsPath.endsWith('.apk'));
  const profile: DeployProfile = { files: picks.filter((p) => p !== apk).map((p) => vscode.workspace.asRelativePath(p.uri)), apk: apk ? vscode.workspace.asRelativePath(apk.uri) : undefined, to, launch: launch || undefined };
  await c.update('deploy.profile', profile, vscode.ConfigurationTarget.Workspace);
  return { ...profile, files: profile.files.map(abs), apk: profile.apk && abs(profile.apk) };
}

export function registerDeployCommands(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  const run = async (serial: string, profile: DeployProfile): Promise<DeployReport | undefined> => {
    const { deploy, recordHistory } = await import('../../core/deploy/deploy');
    const cancel = new CancelSource();
    const what = [...profile.files.map((f) => path.basename(f)), ...(profile.apk ? [path.basename(profile.apk)] : [])].join(', ');
    log.info(`deploy ${what} → ${serial}:${profile.to ?? '(default)'}`);
    try {
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deploying ${what}`, cancellable: true }, (progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        let last = 0;
        return deploy(store.adb, serial, profile, {
          signal: cancel.signal,
          progress: { report: (p) => {
            const frac = p.total ? (p.done ?? 0) / p.total : undefined;
            progress.report({ message: p.message, increment: frac !== undefined ? Math.max(0, (frac - last) * 100) : undefined });
            if (frac !== undefined) last = frac;
          } },
        });
      });
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      if (folder) await recordHistory(path.join(folder, HISTORY), r);
      log.info(`deployed ${r.files.length} file(s), ${r.bytes} bytes in ${r.seconds.toFixed(2)} s (${r.mbPerSecond.toFixed(1)} MiB/s); sha256 verified`);
      void vscode.window.showInformationMessage(`Deployed ${what} to ${store.known(serial)?.model ?? serial}: ${r.files.map((f) => f.remote).join(', ')}${r.apk ? `; ${r.apk.message}` : ''}${r.launched ? `; launched ${r.launched.activity}` : ''}.`, 'Show History').then((c) => {
        if (c === 'Show History' && folder) void vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, HISTORY)));
      });
      return r;
    } catch (err) {
      if (err instanceof CancelledError) {
        void vscode.window.setStatusBarMessage('Deploy cancelled: nothing was left under the final names', 5000);
        return undefined;
      }
      log.error('deploy failed', err);
      void vscode.window.showErrorMessage(`Deploy failed: ${errorMessage(err)}`);
      return undefined;
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('mobileai.deploy', async (arg?: unknown) => {
      try {
        const fromManifest = arg as { kind?: string; serial?: string; profile?: DeployProfile } | undefined;
        if (fromManifest && typeof fromManifest === 'object' && fromManifest.kind === 'manifest' && fromManifest.profile) {
          // From mobileai.yaml: its deploy profile and its target's phone.
          const serial = fromManifest.serial ?? await pickDevice(store, undefined, { readyOnly: true, title: 'Deploy to…' });
          if (!serial) return undefined;
          return await run(serial, fromManifest.profile);
        }
        const isDevice = !!arg && typeof arg === 'object' && (arg as { kind?: string }).kind === 'device';
        const serial = await pickDevice(store, isDevice ? (arg as { kind: 'device'; device: { serial: string } }) : undefined, { readyOnly: true, title: 'Deploy to…' });
        if (!serial) return undefined;
        const profile = await profileFor(isDevice ? undefined : arg);
        if (!profile) return undefined;
        return await run(serial, profile);
      } catch (err) {
        void vscode.window.showErrorMessage(errorMessage(err));
        return undefined;
      }
    }),
    vscode.commands.registerCommand('mobileai.deploy.history', async () => {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      if (!folder) return;
      try {
        await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, HISTORY)));
      } catch {
        void vscode.window.showInformationMessage('No deploys yet in this workspace.');
      }
    }),
  );
}
