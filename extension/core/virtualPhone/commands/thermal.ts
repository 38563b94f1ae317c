import type { Command, CommandTable, Io } from './types';
import { PACKAGE_MANAGER } from './pm';
import { ANDROID_COMMANDS } from './android';
import { CLUSTERS, ZONES, thermalOf, type ThermalSnapshot } from '../os/thermal';

/**
 * `dumpsys thermalservice` (ThermalManagerService's dump, Android 14) and `dumpsys battery` with its shell
 * commands (`unplug`, `reset`, `set ac|usb|wireless|dock|status|level|temp|present N`, `-f`), both from the
 * thermal model (`os/thermal.ts`). Every other service goes to the dumpsys this table wraps. The zone and
 * cooling device names start with `virtual-`: the values are modelled, not measured.
 */

/** Java's Float.toString for the values we print (at least one decimal). */
function javaFloat(v: number): string {
  const r = Math.round(v * 1000) / 1000;
  return Number.isInteger(r) ? `${r}.0` : String(r);
}

function temperatureLine(z: ThermalSnapshot['zones'][number]): string {
  return `\tTemperature{mValue=${javaFloat(z.tempC)}, mType=${z.type}, mName=${z.name}, mStatus=${z.status}}\n`;
}

export function thermalserviceDump(s: ThermalSnapshot): string {
  const listeners = '\tcallbacks: 1\n\tkilled: false\n\tbroadcasts count: -1\n';
  const temps = s.zones.map(temperatureLine).join('');
  // CoolingDevice.mValue for a cpufreq device is the throttling step (0 = none).
  const cooling = CLUSTERS.map((c, i) => `\tCoolingDevice{mValue=${Math.round((1 - s.caps[i]) * 10)}, mType=2, mName=virtual-cpufreq-${c.name}}\n`).join('');
  return 'IsStatusOverride: false\n' +
    'ThermalEventListeners:\n' + listeners +
    'ThermalStatusListeners:\n' + listeners +
    `Thermal Status: ${s.thermalStatus}\n` +
    'Cached temperatures:\n' + temps +
    'HAL Ready: true\n' +
    'HAL connection:\n\tThermalHAL AIDL 1  connected: yes\n' +
    'Current temperatures from HAL:\n' + temps +
    'Current cooling devices from HAL:\n' + cooling +
    'Temperature static thresholds from HAL:\n' +
    ZONES.map((z) => `\tTemperatureThreshold{mType=${z.halType}, mName=${z.name}, mHotThrottlingThresholds=[NaN, ${z.thresholds.map(javaFloat).join(', ')}], mColdThrottlingThresholds=[NaN, NaN, NaN, NaN, NaN, NaN, NaN]}\n`).join('');
}

/** BatteryService.dumpInternal's text (Android 14). */
export function batteryDump(s: ThermalSnapshot): string {
  const b = s.battery;
  return ['Current Battery Service state:', ...(b.updatesStopped ? ["  (UPDATES STOPPED -- use 'reset' to restart)"] : []),
    `  AC powered: ${(b.plugged & 1) !== 0}`, `  USB powered: ${(b.plugged & 2) !== 0}`, `  Wireless powered: ${(b.plugged & 4) !== 0}`, `  Dock powered: ${(b.plugged & 8) !== 0}`,
    `  Max charging current: ${b.plugged ? 500000 : 0}`, `  Max charging voltage: ${b.plugged ? 5000000 : 0}`, `  Charge counter: ${Math.round(45000 * b.level)}`,
    `  status: ${b.status}`, '  health: 2', '  present: true', `  level: ${b.level}`, '  scale: 100', `  voltage: ${Math.round(b.voltageUv / 1000)}`,
    `  temperature: ${b.tempDeciC}`, '  technology: Li-ion', ''].join('\n');
}

const PLUG_BITS: Record<string, number> = { ac: 1, usb: 2, wireless: 4, dock: 8 };

/** BatteryService.Shell: `unplug`, `reset`, `set` (output only with -f: the sequence number). */
async function batteryCommand(args: string[], io: Io, ctx: Parameters<Command>[2]): Promise<number> {
  const model = thermalOf(ctx.device);
  let rest = args;
  const force = rest[1] === '-f';
  if (force) rest = [rest[0], ...rest.slice(2)];
  const seq = async () => { if (force) await io.out(`${++sequence}\n`); };
  switch (rest[0]) {
    case 'unplug':
      model.setBattery({ plugged: 0 });
      await seq();
      return 0;
    case 'reset':
      model.resetBattery();
      await seq();
      return 0;
    case 'set': {
      const [, key, value] = rest;
      if (!key || value === undefined) { await io.out('No property specified\n'); return 255; }
      if (!/^-?\d+$/.test(value)) { await io.out(`Bad value: ${value}\n`); return 255; }
      const n = Number(value);
      const plugged = model.snapshot().battery.plugged;
      if (key in PLUG_BITS) model.setBattery({ plugged: n ? plugged | PLUG_BITS[key] : plugged & ~PLUG_BITS[key] });
      else if (key === 'level') model.setBattery({ level: Math.max(0, Math.min(100, n)) });
      else if (key === 'status') model.setBattery({ status: n });
      else if (key === 'temp' || key === 'present' || key === 'invalid' || key === 'counter') model.setBattery({});
      else { await io.out(`Unknown set option: ${key}\n`); return 255; }
      await seq();
      return 0;
    }
    default:
      await io.out(`Unknown command: ${rest[0]}\n`);
      return 255;
  }
}
let sequence = 1;

/** Runs the dumpsys this table wraps (the package manager's, itself wrapping Android's tools). */
function previous(): Command | undefined {
  return PACKAGE_MANAGER.dumpsys ?? ANDROID_COMMANDS.dumpsys;
}

const dumpsys: Command = async (argv, io, ctx) => {
  const service = argv[1];
  if (service === 'thermalservice') {
    await io.out(thermalserviceDump(thermalOf(ctx.device).snapshot()));
    return 0;
  }
  if (service === 'battery') {
    if (argv.length === 2 || argv[2] === '-a') {
      await io.out(batteryDump(thermalOf(ctx.device).snapshot()));
      return 0;
    }
    return batteryCommand(argv.slice(2), io, ctx);
  }
  const prev = previous();
  if (service === undefined || service === '-l') {
    // The list of services, with ours added in order.
    let text = '';
    const capture: Io = { ...io, out: async (d) => { text += d.toString(); }, err: (d) => io.err(d) };
    const status = prev ? await prev(argv, capture, ctx) : 0;
    const lines = text.split('\n');
    if (!lines.some((l) => l.trim() === 'thermalservice')) {
      const head = lines.findIndex((l) => l.startsWith('Currently running services'));
      const names = lines.slice(head + 1).filter((l) => l.trim()).concat('  thermalservice').sort();
      text = [...lines.slice(0, head + 1), ...names, ''].join('\n');
    }
    await io.out(text);
    return status;
  }
  if (prev) return prev(argv, io, ctx);
  await io.err(`Can't find service: ${service}\n`);
  return 0;
};

export const THERMAL_COMMANDS: CommandTable = { dumpsys };
