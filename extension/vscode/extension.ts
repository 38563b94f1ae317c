import * as vscode from 'vscode';
import { createLog } from './log';
import { DeviceStore } from './devices/deviceStore';
import { DevicesTreeProvider } from './devices/devicesTree';
import { registerDeviceCommands } from './devices/deviceCommands';
import { registerVirtualPhone } from './virtualPhoneCommands';
import { registerStatusBar } from './statusBar';
import { SECTION } from './config';
import { ModelEditorProvider } from './models/modelEditor';
import { registerProfileCommands } from './profile/profileCommands';
import { registerQuantizeCommands } from './quantize/quantizeCommands';
import { registerSearchCommands } from './search/searchPanel';
import { registerDeployCommands } from './deploy/deployCommands';
import { registerScreenCommands } from './screen/screenPanel';
import { registerAgentCommands } from './agent/agentCommands';
import { registerManifest } from './manifest/manifestClient';
import { registerLogcat } from './logcat/logcatPanel';
import { registerDeviceFiles } from './deviceFiles/deviceFilesView';
import { registerLlmCommands } from './llm/llmCommands';

/** Activation does no I/O before returning: adb is found and tracked in the background. */
export function activate(context: vscode.ExtensionContext): { activationMs: number } {
  const t0 = performance.now();
  const { channel, log } = createLog();
  context.subscriptions.push(channel);
  const store = new DeviceStore(log, context.workspaceState);
  context.subscriptions.push(store);
  const tree = vscode.window.createTreeView('mobileai.devices', { treeDataProvider: new DevicesTreeProvider(store), showCollapseAll: false });
  context.subscriptions.push(tree);
  store.onDidChange(() => {
    tree.message = store.problem ? `⚠ ${store.problem}` : undefined;
  });
  registerDeviceCommands(context, store, log);
  registerVirtualPhone(context, store, log);
  registerStatusBar(context, store);
  registerProfileCommands(context, store, log);
  registerQuantizeCommands(context, store, log);
  registerSearchCommands(context, log);
  registerDeployCommands(context, store, log);
  registerScreenCommands(context, store, log);
  registerAgentCommands(context, store, log);
  registerManifest(context, store, log);
  registerLogcat(context, store, log);
  registerDeviceFiles(context, store, log);
  registerLlmCommands(context, store, log);
  // One model editor for .onnx and .tflite (two view types: each has its own name in "Open With").
  const modelEditor = new ModelEditorProvider(context, log);
  for (const viewType of [ModelEditorProvider.viewType, ModelEditorProvider.tfliteViewType]) {
    context.subscriptions.push(vscode.window.registerCustomEditorProvider(viewType, modelEditor, {
      webviewOptions: { retainContextWhenHidden: true },
      supportsMultipleEditorsPerDocument: true,
    }));
  }
  context.subscriptions.push(
    vscode.commands.registerCommand('mobileai.showLog', () => channel.show()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.adb`)) void store.reconfigure();
    }),
  );
  setImmediate(() => void store.start());
  const activationMs = performance.now() - t0;
  log.info(`Mobile AI Studio activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs };
}

export function deactivate(): void {
  /* disposables registered on the context are disposed by VS Code */
}
