import * as vscode from 'vscode';
import type { VirtualPhone } from '../core/virtualPhone/server';
import { errorMessage, type Logger } from '../core/util/log';
import { virtualPhoneSettings } from './config';
import type { DeviceStore } from './devices/deviceStore';

/** "Start Virtual Phone": a phone inside the extension host, connected to the adb server. */
export function registerVirtualPhone(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  let phone: VirtualPhone | undefined;

  const stop = async () => {
    const p = phone;
    phone = undefined;
    void vscode.commands.executeCommand('setContext', 'mobileai.virtualPhoneRunning', false);
    if (!p) return;
    await store.adb.disconnect(p.address).catch(() => undefined);
    await p.stop();
    log.info(`virtual phone on ${p.address} stopped`);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('mobileai.virtualPhone.start', async () => {
      try {
        if (phone) {
          void vscode.window.showInformationMessage(`The virtual phone is already running on ${phone.address}.`);
          return phone.address;
        }
        // The phone (its shell, commands, package manager…) is loaded when it is started, not at activation.
        const { VirtualPhone: Phone } = await import('../core/virtualPhone/server');
        const p = await Phone.start({ ...virtualPhoneSettings(), log });
        phone = p;
        p.on('auth-request', () => {
          void vscode.window.showInformationMessage('The virtual phone asks: "Allow USB debugging?" for this computer.', 'Allow').then((c) => {
            if (c === 'Allow') p.authorize();
          });
        });
        void vscode.commands.executeCommand('setContext', 'mobileai.virtualPhoneRunning', true);
        const id = await store.adb.connect(p.address);
        log.info(`virtual phone started: ${id}`);
        return p.address;
      } catch (err) {
        log.error('cannot start the virtual phone', err);
        void vscode.window.showErrorMessage(`Cannot start the virtual phone: ${errorMessage(err)}`);
        await stop();
        return undefined;
      }
    }),
    vscode.commands.registerCommand('mobileai.virtualPhone.stop', stop),
    vscode.commands.registerCommand('mobileai.virtualPhone.authorize', () => {
      const n = phone?.authorize() ?? 0;
      void vscode.window.showInformationMessage(n ? `Allowed ${n} waiting computer(s).` : 'No computer is waiting for authorization.');
    }),
    { dispose: () => void stop() },
  );
}
