import * as vscode from 'vscode';
import { useAndMaybeRemember } from '../config';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { DeviceStore } from '../devices/deviceStore';
import { pickDevice } from '../devices/deviceCommands';
import { errorMessage, type Logger } from '../../core/util/log';
import { CancelSource } from '../../core/util/progress';
import type { UserQuestion } from '../../core/agent/run';
import { AgentViewer, type ViewerActions } from './agentViewer';

const KEY_SECRET = 'mobileai.agent.apiKey';

/** What mobileai.yaml's agent entries pass (code lenses): everything the run needs. */
interface AgentPreset {
  kind: 'manifest';
  /** The mobileai.yaml agent whose settings the run uses. */
  name?: string;
  serial?: string;
  task?: string;
  tasks?: string;
  baseUrl?: string;
  model?: string;
  maxSteps?: number;
  allow?: string[];
  vision?: boolean;
}
const isPreset = (a: unknown): a is AgentPreset => !!a && typeof a === 'object' && (a as { kind?: string }).kind === 'manifest';

interface AgentSettings {
  baseUrl: string;
  model: string;
  maxSteps: number;
  allowPackages: string[];
  consentWords: string[];
  vision: boolean;
  traceFolder: string;
  showScreen: boolean;
}

function settings(): AgentSettings {
  const c = vscode.workspace.getConfiguration('mobileAI');
  return {
    baseUrl: c.get<string>('agent.baseUrl') ?? '',
    model: c.get<string>('agent.model') ?? '',
    maxSteps: c.get<number>('agent.maxSteps') ?? 20,
    allowPackages: c.get<string[]>('agent.allowPackages') ?? [],
    consentWords: c.get<string[]>('agent.consentWords') ?? [],
    vision: c.get<boolean>('agent.vision') ?? true,
    traceFolder: c.get<string>('agent.traceFolder') || '.mobileai/agent-traces',
    showScreen: c.get<boolean>('agent.showScreen') ?? true,
  };
}

function traceRoot(s: AgentSettings): string | undefined {
  if (path.isAbsolute(s.traceFolder)) return s.traceFolder;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return folder ? path.join(folder, s.traceFolder) : undefined;
}

/** Consent is a modal question; a question for the user is an input box. Nothing is assumed. */
async function askUser(q: UserQuestion): Promise<boolean | string | undefined> {
  if (q.kind === 'consent') {
    const a = await vscode.window.showWarningMessage(q.text, { modal: true, detail: 'Mobile AI agent guardrail: the model asked for an action that needs your consent.' }, 'Allow');
    return a === 'Allow';
  }
  return vscode.window.showInputBox({ title: 'The agent asks', prompt: q.text, ignoreFocusOut: true });
}

/** Endpoint values typed this session but not remembered in the settings (the user chose "Use This Time"). */
const typedEndpoint: { baseUrl?: string; model?: string } = {};

/** Endpoint settings, asked for the first time; saved to the workspace settings only when the user says so. */
async function ensureEndpoint(s: AgentSettings): Promise<boolean> {
  s.baseUrl ||= typedEndpoint.baseUrl ?? '';
  s.model ||= typedEndpoint.model ?? '';
  const asked: Record<string, string> = {};
  if (!s.baseUrl) {
    const v = await vscode.window.showInputBox({ title: 'Agent model endpoint', prompt: 'Base URL of an OpenAI-compatible endpoint (OpenAI, Ollama http://127.0.0.1:11434/v1, llama.cpp…)', value: 'http://127.0.0.1:11434/v1', ignoreFocusOut: true });
    if (!v) return false;
    asked['agent.baseUrl'] = s.baseUrl = v;
  }
  if (!s.model) {
    const v = await vscode.window.showInputBox({ title: 'Agent model', prompt: 'Model name at that endpoint (e.g. gpt-4o, qwen2.5vl:7b)', ignoreFocusOut: true });
    if (!v) return false;
    asked['agent.model'] = s.model = v;
  }
  if (Object.keys(asked).length) {
    if (!(await useAndMaybeRemember(asked, 'Agent Endpoint'))) return false;
    typedEndpoint.baseUrl = s.baseUrl;
    typedEndpoint.model = s.model;
  }
  return true;
}

export function registerAgentCommands(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  const running = new Map<string, CancelSource>();
  const actions = (): ViewerActions => ({
    showScreen: (serial) => void vscode.commands.executeCommand('mobileai.screen.open', serial),
    exportEpisode: (dir) => void vscode.commands.executeCommand('mobileai.agent.export', dir),
    replay: (dir, serial) => void vscode.commands.executeCommand('mobileai.agent.replay', dir, serial),
  });

  async function model(s: AgentSettings) {
    const { OpenAiCompatibleModel } = await import('../../core/agent/llm');
    const apiKey = await context.secrets.get(KEY_SECRET);
    return new OpenAiCompatibleModel({ baseUrl: s.baseUrl, model: s.model, apiKey });
  }

  async function pickTrace(arg: unknown, title: string): Promise<string | undefined> {
    if (typeof arg === 'string') return arg;
    if (arg instanceof vscode.Uri) return arg.fsPath;
    const root = traceRoot(settings());
    const runs = root ? (await fs.readdir(root).catch(() => [] as string[])).filter((d) => !d.startsWith('.')).sort().reverse() : [];
    const items: Array<vscode.QuickPickItem & { dir?: string }> = runs.slice(0, 200).map((d) => ({ label: d.slice(20).replace(/-/g, ' ') || d, description: d.slice(0, 19).replace('T', ' '), dir: path.join(root as string, d) }));
    items.push({ label: 'Browse…', description: 'a run folder elsewhere' });
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: runs.length ? 'Agent runs, newest first' : 'No runs in this workspace yet' });
    if (!pick) return undefined;
    if (pick.dir) return pick.dir;
    const chosen = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, title });
    return chosen?.[0]?.fsPath;
  }

  context.subscriptions.push(
    vscode.commands.registerCommand('mobileai.agent.setApiKey', async () => {
      const key = await vscode.window.showInputBox({ title: 'Agent API key', prompt: 'Stored in VS Code\'s secret storage; sent only to the configured endpoint. Leave empty for local servers.', password: true, ignoreFocusOut: true });
      if (key === undefined) return;
      if (key) await context.secrets.store(KEY_SECRET, key);
      else await context.secrets.delete(KEY_SECRET);
      void vscode.window.showInformationMessage(key ? 'Agent API key saved in secret storage.' : 'Agent API key removed.');
    }),
    vscode.commands.registerCommand('mobileai.agent.clearApiKey', async () => {
      await context.secrets.delete(KEY_SECRET);
      void vscode.window.showInformationMessage('Agent API key removed.');
    }),
    vscode.commands.registerCommand('mobileai.agent.run', async (arg?: unknown) => {
      const preset = isPreset(arg) ? arg : undefined;
      const serial = preset?.serial ?? await pickDevice(store, (preset ? undefined : arg) as never, { readyOnly: true, title: 'Run an agent on…' });
      if (!serial) return;
      const s = settings();
      if (preset) Object.assign(s, { baseUrl: preset.baseUrl ?? s.baseUrl, model: preset.model ?? s.model, maxSteps: preset.maxSteps ?? s.maxSteps, allowPackages: preset.allow ?? s.allowPackages, vision: preset.vision ?? s.vision });
      if (!(await ensureEndpoint(s))) return;
      const root = traceRoot(s);
      if (!root) {
        void vscode.window.showErrorMessage('Open a folder first: agent traces are written into the workspace (mobileAI.agent.traceFolder).');
        return;
      }
      const last = context.workspaceState.get<string>('mobileai.agent.lastTask');
      const task = preset?.task ?? await vscode.window.showInputBox({ title: `Agent task on ${store.known(serial)?.model ?? serial}`, prompt: 'What should the agent do on the phone?', value: last, ignoreFocusOut: true });
      if (!task?.trim()) return;
      await context.workspaceState.update('mobileai.agent.lastTask', task);
      const { runAgent } = await import('../../core/agent/run');
      const { DEFAULT_CONSENT_WORDS } = await import('../../core/agent/guard');
      const cancel = new CancelSource();
      let viewer: AgentViewer | undefined;
      const m = await model(s);
      const from = preset ? `mobileai.yaml's agent${preset.name ? ` "${preset.name}"` : ''}` : undefined;
      if (from) log.info(`agent: the endpoint, model, steps and allow-list of ${from}`);
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Agent${from ? ` (${from})` : ''}: ${task.slice(0, 60)}`, cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        try {
          const r = await runAgent({
            adb: store.adb, serial, deviceModel: store.known(serial)?.model, task, model: m, traceRoot: root, maxSteps: s.maxSteps,
            allowPackages: s.allowPackages, consentWords: s.consentWords.length ? s.consentWords : DEFAULT_CONSENT_WORDS, vision: s.vision, signal: cancel.signal, askUser, log,
            onEvent: (e) => {
              if (e.type === 'started') {
                running.set(e.dir, cancel);
                viewer = AgentViewer.show(context, e.dir, log, { ...actions(), stop: () => cancel.cancel() });
                viewer.load(e.meta, [], true);
                // Watch the phone next to the trace (the live screen panel opens beside the viewer).
                // The viewer keeps the focus and stays visible; the screen takes the column to its right.
                // It is opened once the viewer's page has loaded (at most 5 s): two webviews loading together can
                // leave one blank in the browser-hosted workbench (webviews/panelHost.ts reopens such a page after
                // 15 s; not loading them together avoids the wait).
                if (s.showScreen) {
                  const v = viewer;
                  void v.loaded(5000).then(() => vscode.commands.executeCommand('mobileai.screen.open', serial, { besideColumn: v.column, preserveFocus: true }));
                }
              } else if (e.type === 'phase') {
                viewer?.phase(e.step, e.phase);
                progress.report({ message: `step ${e.step}: ${e.phase}` });
              } else if (e.type === 'step') viewer?.step(e.step);
              else if (e.type === 'finished') viewer?.finished(e.meta);
            },
          });
          running.delete(r.dir);
          const msg = `Agent ${r.meta.outcome}: ${r.meta.message ?? ''} (${r.meta.steps} steps${from ? `; settings from ${from}` : ''})`;
          const other = from ? ['Run with Other Settings…'] : [];
          void (r.meta.outcome === 'success' ? vscode.window.showInformationMessage(msg, ...other) : vscode.window.showWarningMessage(msg, ...other)).then((b) => {
            if (b) void vscode.commands.executeCommand('mobileai.agent.run');
          });
        } catch (err) {
          log.error('agent run failed', err);
          void vscode.window.showErrorMessage(`Agent: ${errorMessage(err)}`);
        }
      });
    }),
    vscode.commands.registerCommand('mobileai.agent.openTrace', async (arg?: unknown) => {
      const dir = await pickTrace(arg, 'Open an agent trace');
      if (!dir) return;
      try {
        const { readTrace } = await import('../../core/agent/trace');
        const t = await readTrace(dir);
        const live = running.has(dir);
        const v = AgentViewer.show(context, dir, log, { ...actions(), stop: live ? () => running.get(dir)?.cancel() : undefined });
        v.load(t.meta, t.steps, live, t.skipped);
        if (t.skipped.length) log.warn(`agent trace ${dir}: ${t.skipped.length} unreadable line(s) skipped (${t.skipped.join(', ')})`);
      } catch (err) {
        void vscode.window.showErrorMessage(`Cannot open the trace: ${errorMessage(err)}`);
      }
    }),
    vscode.commands.registerCommand('mobileai.agent.export', async (arg?: unknown) => {
      const dir = await pickTrace(arg, 'Export an agent trace (AndroidWorld episode)');
      if (!dir) return;
      try {
        const { readTrace, toAndroidWorldEpisode } = await import('../../core/agent/trace');
        const { writeFileAtomicNoClobber, uniquePath } = await import('../../core/util/fsAtomic');
        const out = await uniquePath(path.join(dir, 'androidworld-episode.json'));
        await writeFileAtomicNoClobber(out, `${JSON.stringify(toAndroidWorldEpisode(await readTrace(dir)), null, 2)}\n`);
        log.info(`agent: exported ${out}`);
        await vscode.window.showTextDocument(vscode.Uri.file(out), { preview: true });
      } catch (err) {
        void vscode.window.showErrorMessage(`Export failed: ${errorMessage(err)}`);
      }
    }),
    vscode.commands.registerCommand('mobileai.agent.replay', async (arg?: unknown, serialArg?: unknown) => {
      const dir = await pickTrace(arg, 'Replay an agent trace on a phone');
      if (!dir) return;
      const serial = typeof serialArg === 'string' && store.devices.some((d) => d.serial === serialArg && d.state === 'device') ? serialArg : await pickDevice(store, undefined as never, { readyOnly: true, title: 'Replay on…' });
      if (!serial) return;
      const { readTrace } = await import('../../core/agent/trace');
      const { replayTrace } = await import('../../core/agent/replay');
      const cancel = new CancelSource();
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Replaying the agent trace', cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        try {
          const steps = await replayTrace(store.adb, serial, await readTrace(dir), { signal: cancel.signal, onStep: (st) => progress.report({ message: `step ${st.step}: ${st.message}` }) });
          const bad = steps.filter((x) => !x.ok);
          log.info(`agent: replayed ${steps.length} action(s) of ${dir} on ${serial}${bad.length ? `; ${bad.length} failed` : ''}`);
          void vscode.window.showInformationMessage(`Replayed ${steps.length} action(s)${bad.length ? `, ${bad.length} failed (${bad[0].message})` : ''}.`);
        } catch (err) {
          void vscode.window.showErrorMessage(`Replay failed: ${errorMessage(err)}`);
        }
      });
    }),
    vscode.commands.registerCommand('mobileai.agent.eval', async (arg?: unknown) => {
      const preset = isPreset(arg) ? arg : undefined;
      let file = arg instanceof vscode.Uri ? arg.fsPath : preset?.tasks;
      if (!file) {
        const found = await vscode.workspace.findFiles('**/*task*.{yaml,yml}', '**/node_modules/**', 100);
        const pick = await vscode.window.showQuickPick([...found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { label: 'Browse…', uri: undefined }], { title: 'Evaluate the agent on a task set' });
        if (!pick) return;
        file = pick.uri?.fsPath ?? (await vscode.window.showOpenDialog({ filters: { 'Task sets': ['yaml', 'yml', 'json'] } }))?.[0]?.fsPath;
      }
      if (!file) return;
      const serial = preset?.serial ?? await pickDevice(store, undefined as never, { readyOnly: true, title: 'Evaluate on…' });
      if (!serial) return;
      const s = settings();
      if (preset) Object.assign(s, { baseUrl: preset.baseUrl ?? s.baseUrl, model: preset.model ?? s.model, vision: preset.vision ?? s.vision });
      if (!(await ensureEndpoint(s))) return;
      const root = traceRoot(s);
      if (!root) return;
      const { loadTaskSet, evalTaskSet } = await import('../../core/agent/taskset');
      const cancel = new CancelSource();
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Agent evaluation', cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        try {
          const set = await loadTaskSet(file as string);
          const report = await evalTaskSet(set, {
            adb: store.adb, serial, model: await model(s), traceRoot: root, vision: s.vision, signal: cancel.signal, askUser, log,
            onTask: (i, t, r) => progress.report({ message: r ? `${t.id}: ${r.success ? 'passed' : 'failed'}` : `${i + 1}/${set.tasks.length}: ${t.id}`, increment: r ? 100 / set.tasks.length : 0 }),
          });
          const { writeFileAtomicNoClobber, uniquePath } = await import('../../core/util/fsAtomic');
          const out = await uniquePath(path.join(root, `eval-${set.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`));
          await writeFileAtomicNoClobber(out, `${JSON.stringify(report, null, 2)}\n`);
          const line = `${set.name}: ${report.results.filter((r) => r.success).length}/${report.results.length} succeeded (${(report.successRate * 100).toFixed(0)}%), ${report.meanSteps.toFixed(1)} steps on average, ${report.totalTokens} tokens`;
          log.info(`agent eval: ${line}; report ${out}`);
          for (const r of report.results) log.info(`  ${r.success ? 'PASS' : 'FAIL'} ${r.id}: ${r.outcome}, ${r.steps} steps, ${r.detail}`);
          void vscode.window.showInformationMessage(line, 'Open Report').then((a) => a && vscode.window.showTextDocument(vscode.Uri.file(out)));
        } catch (err) {
          void vscode.window.showErrorMessage(`Evaluation failed: ${errorMessage(err)}`);
        }
      });
    }),
  );
}
