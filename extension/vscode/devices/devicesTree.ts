import * as vscode from 'vscode';
import type { DeviceInfo, DeviceSummary } from '../../core/adb/deviceInfo';
import { formatBytes } from '../../core/util/format';
import type { DeviceStore } from './deviceStore';

type Node = { kind: 'device'; device: DeviceSummary } | { kind: 'detail'; serial: string; label: string; value: string; icon: string };

export function deviceLabel(d: DeviceSummary, info?: DeviceInfo): string {
  // The banner's model has underscores for spaces; the details (getprop) have the real name.
  return info?.model ?? d.model?.replace(/_/g, ' ') ?? d.serial;
}

export function detailRows(i: DeviceInfo): Array<[string, string, string]> {
  const rows: Array<[string, string | undefined, string]> = [
    ['Model', [i.manufacturer, i.model].filter(Boolean).join(' ') || undefined, 'device-mobile'],
    ['Android', i.androidRelease ? `${i.androidRelease} (SDK ${i.sdk ?? '?'})` : undefined, 'versions'],
    ['SoC', i.soc.label, 'circuit-board'],
    ['ABIs', i.abis.join(', ') || undefined, 'symbol-namespace'],
    ['RAM', i.ramBytes ? formatBytes(i.ramBytes) : undefined, 'server'],
    ['Screen', i.screen ? `${i.screen.width}×${i.screen.height}${i.screen.density ? ` @ ${i.screen.density} dpi` : ''}` : undefined, 'screen-full'],
    ['Battery', i.battery?.level !== undefined ? `${i.battery.level}%${i.battery.status ? ` ${i.battery.status}` : ''}${i.battery.temperatureC !== undefined ? `, ${i.battery.temperatureC} °C` : ''}` : undefined, 'plug'],
    ['Serial', i.serial, 'key'],
  ];
  return rows.filter((r): r is [string, string, string] => r[1] !== undefined);
}

/** What a ready phone's hover offers (command, title, codicon). */
export const ROW_ACTIONS: Array<[string, string, string]> = [
  ['mobileai.screen.open', 'Screen', 'device-camera-video'],
  ['mobileai.deploy', 'Deploy', 'rocket'],
  ['mobileai.device.screenshot', 'Screenshot', 'device-camera'],
  ['mobileai.device.openShell', 'Shell', 'terminal'],
  ['mobileai.logcat.open', 'Logcat', 'output'],
  ['mobileai.deviceFiles.show', 'Files', 'files'],
  ['mobileai.device.showDetails', 'Details', 'info'],
];

export class DevicesTreeProvider implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly store: DeviceStore) {
    store.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: Node): vscode.ProviderResult<Node[]> {
    if (!node) return this.store.devices.map((device) => ({ kind: 'device', device }));
    if (node.kind !== 'device' || node.device.state !== 'device') return [];
    return this.store.info(node.device.serial).then((info) => {
      if (!info) return [{ kind: 'detail', serial: node.device.serial, label: 'Details', value: 'unavailable: see the Mobile AI log', icon: 'warning' }];
      return detailRows(info).map(([label, value, icon]) => ({ kind: 'detail', serial: node.device.serial, label, value, icon }));
    });
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.description = node.value;
      item.tooltip = `${node.label}: ${node.value}`;
      item.iconPath = new vscode.ThemeIcon(node.icon);
      item.contextValue = 'deviceDetail';
      return item;
    }
    const d = node.device;
    const info = this.store.known(d.serial);
    if (d.state === 'device' && !info) void this.store.info(d.serial);
    const selected = this.store.selectedSerial === d.serial;
    const item = new vscode.TreeItem(deviceLabel(d, info), d.state === 'device' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = `device:${d.serial}`;
    item.description = [d.state === 'device' ? d.serial : d.state, selected ? '(selected)' : ''].filter(Boolean).join(' ');
    const md = new vscode.MarkdownString(`**${deviceLabel(d, info)}**  \n\`${d.serial}\` · ${d.transport} · **${d.state}**`);
    if (d.hint) md.appendMarkdown(`\n\n${d.hint}`);
    if (info) md.appendMarkdown(`\n\n${detailRows(info).map(([k, v]) => `${k}: ${v}`).join('  \n')}`);
    if (d.state === 'device') {
      // The row keeps one inline action so the name is never cut; the others are here and in its context menu.
      const arg = encodeURIComponent(JSON.stringify([d.serial]));
      md.appendMarkdown(`\n\n${ROW_ACTIONS.map(([id, title, icon]) => `[$(${icon}) ${title}](command:${id}?${arg} "${title}")`).join(' · ')}`);
      md.isTrusted = { enabledCommands: ROW_ACTIONS.map(([id]) => id) };
      md.supportThemeIcons = true;
    }
    item.tooltip = md;
    item.iconPath = new vscode.ThemeIcon(
      d.state === 'device' ? (info?.virtual ? 'vm' : 'device-mobile') : d.state === 'unauthorized' ? 'lock' : 'debug-disconnect',
      d.state === 'device' ? undefined : new vscode.ThemeColor('problemsWarningIcon.foreground'),
    );
    item.contextValue = `device:${d.state === 'device' ? 'ready' : d.state.replace(/\s+/g, '-')}:${d.transport}`;
    if (d.state === 'device') item.command = { command: 'mobileai.device.select', title: 'Select Device', arguments: [d.serial] };
    return item;
  }
}
