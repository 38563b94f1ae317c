import * as vscode from 'vscode';
import type { DeviceStore } from './devices/deviceStore';
import { deviceLabel } from './devices/devicesTree';

/** Shows the selected device; a click changes it. */
export function registerStatusBar(context: vscode.ExtensionContext, store: DeviceStore): void {
  const item = vscode.window.createStatusBarItem('mobileai.device', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Mobile AI: Selected Device';
  item.command = 'mobileai.device.select';
  const render = () => {
    const serial = store.selectedSerial;
    const d = store.devices.find((x) => x.serial === serial);
    if (!d) {
      item.text = '$(device-mobile) No phone';
      item.tooltip = store.problem ?? 'No phone connected. Click to choose one.';
    } else {
      item.text = `$(device-mobile) ${deviceLabel(d, store.known(d.serial))}`;
      item.tooltip = `${d.serial} · ${d.state}\nClick to choose another device`;
    }
    item.show();
  };
  store.onDidChange(render);
  render();
  context.subscriptions.push(item);
}
