/** Device details, parsed from what a phone prints. Pure functions: tolerant of odd output, never throwing. */

export type DeviceState = 'device' | 'unauthorized' | 'offline' | 'no permissions' | 'bootloader' | 'recovery' | 'sideload' | 'authorizing' | 'connecting' | 'host' | 'unknown';

export interface DeviceSummary {
  serial: string;
  state: DeviceState;
  /** What the user should do about the state, when it is not "device". */
  hint?: string;
  transport: 'usb' | 'tcp' | 'emulator';
  /** From the device's banner (`adb devices -l`), when it has sent one: spaces appear as `_` there, restored here only via getprop. */
  model?: string;
  product?: string;
  device?: string;
  transportId?: number;
  /** Filled by listDevicesDetailed() for ready devices. */
  manufacturer?: string;
}

export interface DeviceInfo extends DeviceSummary {
  manufacturer?: string;
  model?: string;
  product?: string;
  androidRelease?: string;
  sdk?: number;
  abis: string[];
  soc: { manufacturer?: string; model?: string; platform?: string; hardware?: string; label?: string };
  ramBytes?: number;
  screen?: { width: number; height: number; density?: number; physicalWidth?: number; physicalHeight?: number };
  battery?: { level?: number; status?: BatteryStatus; temperatureC?: number; plugged?: 'ac' | 'usb' | 'wireless' | 'none' };
  /** True when this is Mobile AI Studio's virtual phone. */
  virtual: boolean;
}

export type BatteryStatus = 'unknown' | 'charging' | 'discharging' | 'not charging' | 'full';

const STATES: DeviceState[] = ['device', 'unauthorized', 'offline', 'no permissions', 'bootloader', 'recovery', 'sideload', 'authorizing', 'connecting', 'host'];

export function normalizeState(raw: string): DeviceState {
  const s = raw.trim().toLowerCase();
  if (s.startsWith('no permissions')) return 'no permissions';
  return (STATES as string[]).includes(s) ? (s as DeviceState) : 'unknown';
}

export function stateHint(state: DeviceState): string | undefined {
  switch (state) {
    case 'device':
      return undefined;
    case 'unauthorized':
      return 'Unlock the phone and accept "Allow USB debugging?" for this computer. If no prompt shows, revoke USB debugging authorizations in Developer options and reconnect.';
    case 'authorizing':
      return 'Waiting for the phone to accept this computer: check the phone for the USB debugging prompt.';
    case 'offline':
      return 'The phone is not answering adb. Reconnect the cable (or run "adb reconnect"); for a network phone, disconnect and connect again. A phone that stays offline may need USB debugging toggled off and on.';
    case 'no permissions':
      return 'adb cannot open the USB device: add a udev rule for the phone (or install the "android-sdk-platform-tools-common" package) and replug it.';
    case 'bootloader':
    case 'recovery':
    case 'sideload':
      return `The phone is in ${state} mode: reboot it into Android to use it here.`;
    case 'connecting':
      return 'adb is still connecting to this phone.';
    default:
      return 'adb reports an unusual state for this phone; try reconnecting it.';
  }
}

export function transportOf(serial: string): DeviceSummary['transport'] {
  if (/^emulator-\d+$/.test(serial)) return 'emulator';
  if (/^(\[[^\]]+\]|[^:]+):\d+$/.test(serial) || serial.includes('._adb-tls-connect._tcp')) return 'tcp';
  return 'usb';
}

export function summarize(serial: string, rawState: string, extra: Partial<DeviceSummary> = {}): DeviceSummary {
  const state = normalizeState(rawState);
  return { serial, state, hint: stateHint(state), transport: transportOf(serial), ...extra };
}

/**
 * `adb devices -l` / `host:devices-l` / `host:track-devices-l` lines:
 * `SERIAL  STATE [usb:…] [product:…] [model:…] [device:…] [transport_id:N]`. The state may contain a
 * space ("no permissions (…)"), so the serial is the first field and key:value pairs are read from the end.
 */
export function parseDevicesL(text: string): DeviceSummary[] {
  const out: DeviceSummary[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('List of devices') || line.startsWith('*')) continue;
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const serial = m[1];
    let rest = m[2];
    const extra: Partial<DeviceSummary> = {};
    for (;;) {
      const kv = /\s*(\b[a-z_]+):(\S*)$/.exec(rest);
      if (!kv || kv.index === 0) break;
      const [, k, v] = kv;
      if (k === 'model') extra.model = v;
      else if (k === 'product') extra.product = v;
      else if (k === 'device') extra.device = v;
      else if (k === 'transport_id') extra.transportId = Number(v);
      else if (k !== 'usb') break;
      rest = rest.slice(0, kv.index);
    }
    out.push(summarize(serial, rest.trim(), extra));
  }
  return out.sort((a, b) => a.serial.localeCompare(b.serial));
}

/** `getprop` output: `[key]: [value]` lines; values may span lines. */
export function parseGetprop(text: string): Map<string, string> {
  const props = new Map<string, string>();
  const re = /^\[([^\]]+)\]:\s*\[([\s\S]*?)\]\s*$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text.replace(/\r\n/g, '\n')))) props.set(m[1], m[2]);
  return props;
}

/** MemTotal from /proc/meminfo, in bytes. */
export function parseMemTotal(text: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** `wm size`: the override when present (what apps see), else the physical size. */
export function parseWmSize(text: string): { width: number; height: number; physicalWidth: number; physicalHeight: number } | undefined {
  const phys = /Physical size:\s*(\d+)x(\d+)/.exec(text);
  if (!phys) return undefined;
  const over = /Override size:\s*(\d+)x(\d+)/.exec(text);
  const [w, h] = over ? [Number(over[1]), Number(over[2])] : [Number(phys[1]), Number(phys[2])];
  return { width: w, height: h, physicalWidth: Number(phys[1]), physicalHeight: Number(phys[2]) };
}

export function parseWmDensity(text: string): number | undefined {
  const m = /Override density:\s*(\d+)/.exec(text) ?? /Physical density:\s*(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

const BATTERY_STATUS: Record<string, BatteryStatus> = { '1': 'unknown', '2': 'charging', '3': 'discharging', '4': 'not charging', '5': 'full' };

export function parseBattery(text: string): DeviceInfo['battery'] | undefined {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(.+?)\\s*$`, 'm').exec(text)?.[1];
  const level = field('level');
  const scale = field('scale');
  if (level === undefined) return undefined;
  const pct = scale && Number(scale) > 0 ? Math.round((Number(level) * 100) / Number(scale)) : Number(level);
  const temp = field('temperature');
  const plugged = field('AC powered') === 'true' ? 'ac' : field('USB powered') === 'true' ? 'usb' : field('Wireless powered') === 'true' ? 'wireless' : 'none';
  return {
    level: Number.isFinite(pct) ? pct : undefined,
    status: BATTERY_STATUS[field('status') ?? ''] ?? 'unknown',
    temperatureC: temp !== undefined && Number.isFinite(Number(temp)) ? Number(temp) / 10 : undefined,
    plugged,
  };
}

export function socOf(props: Map<string, string>): DeviceInfo['soc'] {
  const manufacturer = props.get('ro.soc.manufacturer') || undefined;
  const model = props.get('ro.soc.model') || undefined;
  const platform = props.get('ro.board.platform') || undefined;
  const hardware = props.get('ro.hardware') || undefined;
  const label = model ? [manufacturer, model].filter(Boolean).join(' ') : platform ?? hardware;
  return { manufacturer, model, platform, hardware, label };
}

/** The marker between sections of the one shell command that gathers device details. */
export const SECTION = '__MOBILEAI_SECTION__';
export const INFO_COMMAND = ['getprop', 'cat /proc/meminfo', 'wm size', 'wm density', 'dumpsys battery'].map((c) => `${c} 2>/dev/null`).join(`; echo ${SECTION}; `);

export function parseInfoOutput(summary: DeviceSummary, output: string): DeviceInfo {
  const [getprop = '', meminfo = '', wmSize = '', wmDensity = '', battery = ''] = output.replace(/\r\n/g, '\n').split(`${SECTION}\n`);
  const props = parseGetprop(getprop);
  const sdk = Number(props.get('ro.build.version.sdk'));
  const size = parseWmSize(wmSize);
  const density = parseWmDensity(wmDensity) ?? (Number(props.get('ro.sf.lcd_density')) || undefined);
  const abis = (props.get('ro.product.cpu.abilist') || props.get('ro.product.cpu.abi') || '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    ...summary,
    manufacturer: props.get('ro.product.manufacturer') || undefined,
    model: props.get('ro.product.model') || undefined,
    product: props.get('ro.product.name') || undefined,
    androidRelease: props.get('ro.build.version.release') || undefined,
    sdk: Number.isFinite(sdk) && sdk > 0 ? sdk : undefined,
    abis,
    soc: socOf(props),
    ramBytes: parseMemTotal(meminfo),
    screen: size ? { width: size.width, height: size.height, density, physicalWidth: size.physicalWidth, physicalHeight: size.physicalHeight } : undefined,
    battery: parseBattery(battery),
    virtual: props.get('ro.mobileai.virtual') === '1',
  };
}
