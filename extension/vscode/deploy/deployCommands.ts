import * as vscode from 'vscode';
import * as path from 'node:path';
import type { DeployProfile, DeployReport } from '../../core/deploy/deploy';
import { CancelSource, CancelledError } from '../../core/util/progress';
import { errorMessage, type Logger } from '../../core/util/log';
import type { DeviceStore } from '../devices/deviceStore';
import { pickDevice } from '../devices/deviceCommands';

const HISTORY = '.mobileai/deploy-history.jsonl';

/** What to deploy, and where those settings came from (said in the progress title and the report). */
interface Plan {
  profile: DeployProfile;
  /** E.g. `mobileai.yaml's deploy settings for "mnist"`; undefined for a one-off choice. */
  source?: string;
  /** The phone the manifest names for it, when it is connected. */
  serial?: string;
  /** Where the choices were saved because the user asked ("Remember"). */
  remembered?: string;
}

type ManifestModel = { name: string; entry: import('../../core/manifest/manifest').ModelEntry; baseDir: string };

async function manifestModels(): Promise<ManifestModel[]> {
  const { workspaceManifest } = await import('../manifest/manifestClient');
  const ws = await workspaceManifest();
  if (!ws) return [];
  return Object.entries(ws.manifest.models ?? {}).filter(([, e]) => e && typeof e.path === 'string').map(([name, entry]) => ({ name, entry, baseDir: ws.baseDir }));
}

async function manifestPlan(m: ManifestModel, store: DeviceStore): Promise<Plan> {
  const { deployProfileOf, connectedPhones, workspaceManifest } = await import('../manifest/manifestClient');
  const { resolveTarget } = await import('../../core/manifest/manifest');
  const inWs = (p: string) => (path.isAbsolute(p) ? p : path.join(m.baseDir, p));
  const targetName = m.entry.deploy?.target ?? m.entry.target;
  const t = targetName ? (await workspaceManifest())?.manifest.targets?.[targetName] : undefined;
  const serial = t ? resolveTarget(t, connectedPhones(store)) : undefined;
  return { profile: deployProfileOf(m.entry, inWs), source: m.entry.deploy ? `mobileai.yaml's deploy settings for "${m.name}"` : `mobileai.yaml's model "${m.name}"`, serial };
}

/** Files picked by hand; saved in the workspace settings only when the user chooses "Remember". */
async function chooseFiles(saved: DeployProfile | undefined): Promise<Plan | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const found = await vscode.workspace.findFiles('**/*.{onnx,ort,tflite,apk,bin,json,txt}', '**/{node_modules,.mobileai}/**', 500);
  const picks = await vscode.window.showQuickPick(found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { title: 'Deploy which files? (models, an APK…)', canPickMany: true });
  if (!picks?.length) return undefined;
  const to = await vscode.window.showInputBox({ title: 'Folder on the phone', value: saved?.to ?? '/data/local/tmp/mobileai/deploy', validateInput: (v) => (v.startsWith('/') ? undefined : 'an absolute path on the phone') });
  if (!to) return undefined;
  const launch = await vscode.window.showInputBox({ title: 'Activity to launch afterwards (optional)', placeHolder: 'com.example.app/.MainActivity', value: saved?.launch });
  if (launch === undefined) return undefined;
  const apk = picks.find((p) => p.uri.fsPath.endsWith('.apk'));
  const files = picks.filter((p) => p !== apk);
  const profile: DeployProfile = { files: files.map((p) => p.uri.fsPath), apk: apk?.uri.fsPath, to, launch: launch || undefined };
  if (!folder) return { profile };
  const where = vscode.workspace.workspaceFile ? 'the workspace file' : '.vscode/settings.json';
  const remember = await vscode.window.showQuickPick([
    { label: 'Deploy', description: 'this once; nothing is saved', remember: false },
    { label: 'Deploy and Remember', description: `saves these choices as mobileAI.deploy.profile in ${where}`, remember: true },
  ], { title: 'Deploy', placeHolder: 'Remember these files and folder for next time?' });
  if (!remember) return undefined;
  if (!remember.remember) return { profile };
  const rel = (u: vscode.Uri) => vscode.workspace.asRelativePath(u, false);
  await vscode.workspace.getConfiguration('mobileAI', folder.uri).update('deploy.profile', { files: files.map((p) => rel(p.uri)), apk: apk ? rel(apk.uri) : undefined, to, launch: launch || undefined }, vscode.ConfigurationTarget.Workspace);
  return { profile, source: 'your remembered deploy profile', remembered: `mobileAI.deploy.profile in ${where}` };
}

/**
 * What a Deploy without a model file deploys (palette, a device row): the manifest's models (with their
 * deploy settings), the remembered profile, or files chosen now.
 */
async function choosePlan(store: DeviceStore): Promise<Plan | undefined> {
  const c = vscode.workspace.getConfiguration('mobileAI');
  const saved = c.get<DeployProfile>('deploy.profile');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const abs = (p: string) => (path.isAbsolute(p) || !folder ? p : path.join(folder, p));
  const models = await manifestModels();
  const hasSaved = !!saved && (!!saved.files?.length || !!saved.apk);
  if (!models.length && !hasSaved) return chooseFiles(saved);
  type Item = vscode.QuickPickItem & { run: () => Promise<Plan | undefined> };
  const items: Item[] = models.map((m) => ({
    label: `$(file-binary) ${m.name}`,
    description: `${m.entry.path} → ${m.entry.deploy?.to ?? '/data/local/tmp/mobileai/deploy'}`,
    detail: m.entry.deploy ? 'as mobileai.yaml says (deploy:)' : 'from mobileai.yaml (no deploy: settings, the default folder)',
    run: () => manifestPlan(m, store),
  }));
  if (hasSaved && saved) {
    items.push({ label: '$(history) Remembered profile', description: [...(saved.files ?? []), ...(saved.apk ? [saved.apk] : [])].join(', '), detail: `mobileAI.deploy.profile → ${saved.to ?? '/data/local/tmp/mobileai/deploy'}`,
      run: async () => ({ profile: { ...saved, files: (saved.files ?? []).map(abs), apk: saved.apk && abs(saved.apk) }, source: 'your remembered deploy profile' }) });
  }
  items.push({ label: '$(files) Choose Files…', description: 'models, an APK, other files', run: () => chooseFiles(saved) });
  const pick = await vscode.window.showQuickPick(items, { title: 'Deploy what?', matchOnDescription: true });
  return pick?.run();
}

/** Deploy of a model file (explorer, model editor): its manifest settings when it is listed, else this file alone. */
async function planForFile(file: string, store: DeviceStore): Promise<Plan | undefined> {
  const models = await manifestModels();
  const listed = models.find((m) => path.resolve(m.baseDir, m.entry.path) === path.resolve(file));
  if (listed) return manifestPlan(listed, store);
  const saved = vscode.workspace.getConfiguration('mobileAI').get<DeployProfile>('deploy.profile');
  return { profile: { files: [file], to: saved?.to, launch: saved?.launch }, source: saved?.to ? 'the folder of your remembered deploy profile' : undefined };
}

export function registerDeployCommands(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  const run = async (serial: string, plan: Plan, again: () => Promise<unknown>): Promise<DeployReport | undefined> => {
    const profile = plan.profile;
    const { deploy, recordHistory } = await import('../../core/deploy/deploy');
    const cancel = new CancelSource();
    const what = [...profile.files.map((f) => path.basename(f)), ...(profile.apk ? [path.basename(profile.apk)] : [])].join(', ');
    log.info(`deploy ${what} → ${serial}:${profile.to ?? '(default)'}${plan.source ? ` (${plan.source})` : ''}`);
    try {
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deploying ${what}${plan.source ? ` with ${plan.source}` : ''}`, cancellable: true }, (progress, token) => {
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
      const said = [plan.source ? ` Used ${plan.source}.` : '', plan.remembered ? ` Saved as ${plan.remembered}.` : ''].join('');
      void vscode.window.showInformationMessage(`Deployed ${what} to ${store.known(serial)?.model ?? serial}: ${r.files.map((f) => f.remote).join(', ')}${r.apk ? `; ${r.apk.message}` : ''}${r.launched ? `; launched ${r.launched.activity}` : ''}.${said}`, ...(plan.source ? ['Deploy Differently…'] : []), 'Show History').then((c) => {
        if (c === 'Show History' && folder) void vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, HISTORY)));
        if (c === 'Deploy Differently…') void again();
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
        const fromManifest = arg as { kind?: string; serial?: string; source?: string; profile?: DeployProfile } | undefined;
        const isDevice = !!arg && typeof arg === 'object' && (arg as { kind?: string }).kind === 'device';
        // A device row passes its node; a link in its hover passes the serial.
        const device = isDevice ? (arg as { kind: 'device'; device: { serial: string } }) : typeof arg === 'string' && store.devices.some((d) => d.serial === arg) ? { kind: 'device' as const, device: { serial: arg } } : undefined;
        // Deploy again, choosing what: from the report's "Deploy Differently…".
        const again = async () => {
          const p = await choosePlan(store);
          const s = p && (device?.device.serial ?? p.serial ?? await pickDevice(store, undefined, { readyOnly: true, title: 'Deploy to…' }));
          if (p && s) await run(s, p, again);
        };
        let plan: Plan | undefined;
        if (fromManifest && typeof fromManifest === 'object' && fromManifest.kind === 'manifest' && fromManifest.profile) {
          // From mobileai.yaml's lens: its deploy settings and its target's phone.
          plan = { profile: fromManifest.profile, source: typeof fromManifest.source === 'string' ? fromManifest.source : 'mobileai.yaml', serial: fromManifest.serial };
        } else if (arg instanceof vscode.Uri) plan = await planForFile(arg.fsPath, store);
        else plan = await choosePlan(store);
        if (!plan) return undefined;
        // A phone chosen on its row wins; else the manifest's phone for this model; else the selected one (or ask).
        const serial = device?.device.serial ?? plan.serial ?? await pickDevice(store, undefined, { readyOnly: true, title: 'Deploy to…' });
        if (!serial) return undefined;
        return await run(serial, plan, again);
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
