import type { VirtualDevice } from '../device';
import { CLUSTERS, NCPU, ZONES, thermalOf } from './thermal';

/**
 * The parts of /sys a benchmark reads, made from the thermal model (`thermal.ts`) on every read:
 * - `/sys/class/power_supply/battery/{current_now,voltage_now,capacity,status,temp,present,type,technology,model_name}`
 *   (µA — negative while discharging, as on Pixels —, µV, %, text, tenths of °C; `model_name` says virtual);
 * - `/sys/class/thermal/thermal_zone<N>/{type,temp}` (names `virtual-*`, m°C);
 * - `/sys/devices/system/cpu/{online,possible,present}` and `cpu<N>/cpufreq/{scaling_cur_freq,scaling_min_freq,
 *   scaling_max_freq,cpuinfo_min_freq,cpuinfo_max_freq,cpuinfo_cur_freq,scaling_governor,related_cpus}` (kHz).
 * `/sys/class/...` entries are links on Linux; here they are served at both the class and the device path.
 */

const BAT = '/sys/class/power_supply/battery';
const BAT_FILES = ['capacity', 'current_now', 'model_name', 'present', 'status', 'technology', 'temp', 'type', 'voltage_now'];
const FREQ_FILES = ['cpuinfo_cur_freq', 'cpuinfo_max_freq', 'cpuinfo_min_freq', 'related_cpus', 'scaling_cur_freq', 'scaling_governor', 'scaling_max_freq', 'scaling_min_freq'];
const STATUS_TEXT: Record<number, string> = { 1: 'Unknown', 2: 'Charging', 3: 'Discharging', 4: 'Not charging', 5: 'Full' };

export function isSysPath(abs: string): boolean {
  return abs === '/sys' || abs.startsWith('/sys/');
}

/** The text of a /sys file, or undefined when there is none. */
export function sysFile(device: VirtualDevice, abs: string): string | undefined {
  const path = abs.replace(/\/+$/, '');
  const bat = new RegExp(`^${BAT}/(\\w+)$`).exec(path);
  if (bat) {
    if (!BAT_FILES.includes(bat[1])) return undefined;
    const b = thermalOf(device).snapshot().battery;
    switch (bat[1]) {
      case 'current_now': return `${b.currentUa}\n`;
      case 'voltage_now': return `${b.voltageUv}\n`;
      case 'capacity': return `${b.level}\n`;
      case 'status': return `${STATUS_TEXT[b.status] ?? 'Unknown'}\n`;
      case 'temp': return `${b.tempDeciC}\n`;
      case 'present': return '1\n';
      case 'type': return 'Battery\n';
      case 'technology': return 'Li-ion\n';
      case 'model_name': return 'virtual-battery (modelled, not measured)\n';
      default: return undefined;
    }
  }
  const zone = /^\/sys\/(?:class\/thermal|devices\/virtual\/thermal)\/thermal_zone(\d+)\/(type|temp|mode)$/.exec(path);
  if (zone) {
    const i = Number(zone[1]);
    if (!ZONES[i]) return undefined;
    if (zone[2] === 'type') return `${ZONES[i].name}\n`;
    if (zone[2] === 'mode') return 'enabled\n';
    return `${Math.round(thermalOf(device).snapshot().zones[i].tempC * 1000)}\n`;
  }
  if (path === '/sys/devices/system/cpu/online' || path === '/sys/devices/system/cpu/possible' || path === '/sys/devices/system/cpu/present') return `0-${NCPU - 1}\n`;
  const cpu = /^\/sys\/devices\/system\/cpu\/(?:cpu(\d+)\/cpufreq|cpufreq\/policy(\d+))\/(\w+)$/.exec(path);
  if (cpu) {
    const n = Number(cpu[1] ?? cpu[2]);
    if (n >= NCPU || (cpu[2] !== undefined && n !== 0 && n !== 4)) return undefined;
    const c = CLUSTERS[n < 4 ? 0 : 1];
    switch (cpu[3]) {
      case 'scaling_cur_freq': case 'cpuinfo_cur_freq': return `${thermalOf(device).snapshot().cpuKhz[n]}\n`;
      case 'scaling_min_freq': case 'cpuinfo_min_freq': return `${c.minKhz}\n`;
      case 'scaling_max_freq': return `${c.maxKhz}\n`;
      case 'cpuinfo_max_freq': return `${c.maxKhz}\n`;
      case 'scaling_governor': return 'schedutil\n';
      case 'related_cpus': return `${c.cpus.join(' ')}\n`;
      default: return undefined;
    }
  }
  return undefined;
}

/** The names in a /sys folder the model serves (undefined when it is not one). */
export function sysList(_device: VirtualDevice, abs: string): string[] | undefined {
  const path = abs.replace(/\/+$/, '');
  if (path === BAT) return [...BAT_FILES];
  if (path === '/sys/class/power_supply') return ['battery'];
  if (path === '/sys/class/thermal') return ZONES.map((_z, i) => `thermal_zone${i}`);
  const zone = /^\/sys\/class\/thermal\/thermal_zone(\d+)$/.exec(path);
  if (zone && ZONES[Number(zone[1])]) return ['mode', 'temp', 'type'];
  if (path === '/sys/devices/system/cpu') return [...Array.from({ length: NCPU }, (_v, i) => `cpu${i}`), 'cpufreq', 'online', 'possible', 'present'];
  const cpu = /^\/sys\/devices\/system\/cpu\/cpu(\d+)$/.exec(path);
  if (cpu && Number(cpu[1]) < NCPU) return ['cpufreq'];
  if (/^\/sys\/devices\/system\/cpu\/cpu(\d+)\/cpufreq$/.test(path) && Number(/cpu(\d+)\/cpufreq$/.exec(path)![1]) < NCPU) return [...FREQ_FILES];
  if (path === '/sys/devices/system/cpu/cpufreq') return ['policy0', 'policy4'];
  if (path === '/sys/devices/system/cpu/cpufreq/policy0' || path === '/sys/devices/system/cpu/cpufreq/policy4') return [...FREQ_FILES];
  return undefined;
}
