import type { VirtualDevice } from '../device';
import type { Proc } from './processes';

/**
 * The virtual phone's power and heat: a small model, not a measurement. Every name a tool shows says so
 * (thermal zones `virtual-cpu-little`, `virtual-battery`…, the battery's `model_name`), and
 * `ro.mobileai.virtual=1` is set.
 *
 * - **Load** (busy cores, 0–8): the processes' own average shares (`cpuShare`, about 0.1 core at rest), plus 4
 *   cores for each running compute runner the phone knows by name (onnxruntime_perf_test, benchmark_model,
 *   llama-bench, model_benchmark, litert_lm_main…; `-t N`/`--threads N`/`-x N` narrows it to N), plus any load a
 *   caller adds with `addLoad` while it works. A stopped process (SIGSTOP) adds nothing.
 * - **CPU frequencies** (kHz): a big.LITTLE phone, cpu0-3 little (300 000–1 800 000), cpu4-7 big
 *   (500 000–2 850 000). The governor follows the load (the big cluster takes it first), capped by throttling.
 * - **Power** (W): a base draw (screen, SoC idle) plus each core's dynamic power, ∝ f³ (voltage follows frequency).
 * - **Temperatures** (m°C): each zone heads for `ambient + R·power` with its own time constant (first-order
 *   heating and cooling); the CPU zones are fast (seconds), skin and battery slow (minutes).
 * - **Throttling**: above 70 °C on a cluster, its frequency cap falls linearly (to 30 % at 100 °C); the skin
 *   temperature adds a cap from 41 °C. The thermal status (0–6, PowerManager.THERMAL_STATUS_*) is the highest
 *   severity over the zones, from per-type thresholds like a HAL's (Temperature.THROTTLING_*).
 * - **Battery gauge**: like Pixels, `current_now` is NEGATIVE while discharging (µA), positive while charging;
 *   `voltage_now` in µV falls with the level and under load (internal resistance). Plugged in (USB, as at boot) the
 *   charger feeds up to 500 mA, minus what the load takes, so the gauge distorts a benchmark: `dumpsys battery
 *   unplug` makes it discharge, `dumpsys battery reset` plugs it back. The level falls while unplugged.
 *
 * Time is read lazily: each read integrates from the last one with the load seen now (load changes made through
 * `addLoad` integrate first, so they are exact). `now` and the time scale can be injected (tests).
 */

export const NCPU = 8;

export interface Cluster {
  name: string;
  cpus: number[];
  minKhz: number;
  maxKhz: number;
  /** Dynamic power of one busy core at max frequency (W). */
  maxCoreW: number;
}

export const CLUSTERS: Cluster[] = [
  { name: 'little', cpus: [0, 1, 2, 3], minKhz: 300_000, maxKhz: 1_800_000, maxCoreW: 0.35 },
  { name: 'big', cpus: [4, 5, 6, 7], minKhz: 500_000, maxKhz: 2_850_000, maxCoreW: 1.6 },
];

/** android.os.Temperature's TYPE_* constants. */
export const TEMP_TYPE = { CPU: 0, GPU: 1, BATTERY: 2, SKIN: 3 } as const;

interface ZoneDef {
  /** The sysfs `type` and the HAL's name. */
  name: string;
  halType: number;
  /** Rise above ambient per watt at steady state (°C/W), of the power the zone sees. */
  rPerW: number;
  tauMs: number;
  /** Which power heats it: a cluster's, or the whole phone's. */
  source: 'little' | 'big' | 'total' | 'gpu';
  /** Temperatures (°C) at which the status becomes 1..6 (LIGHT .. SHUTDOWN). */
  thresholds: number[];
}

const CPU_T = [70, 80, 90, 95, 100, 110];
export const ZONES: ZoneDef[] = [
  { name: 'virtual-cpu-little', halType: TEMP_TYPE.CPU, rPerW: 18, tauMs: 6_000, source: 'little', thresholds: CPU_T },
  { name: 'virtual-cpu-big', halType: TEMP_TYPE.CPU, rPerW: 9, tauMs: 6_000, source: 'big', thresholds: CPU_T },
  { name: 'virtual-gpu', halType: TEMP_TYPE.GPU, rPerW: 5, tauMs: 10_000, source: 'total', thresholds: CPU_T },
  { name: 'virtual-skin', halType: TEMP_TYPE.SKIN, rPerW: 3.2, tauMs: 90_000, source: 'total', thresholds: [39, 41, 43, 45, 50, 55] },
  { name: 'virtual-battery', halType: TEMP_TYPE.BATTERY, rPerW: 2.4, tauMs: 150_000, source: 'total', thresholds: [42, 45, 48, 52, 55, 60] },
];

/** Compute runners the phone recognises by name: each keeps 4 cores (or its thread count) busy while it runs. */
const RUNNERS = new Set(['onnxruntime_perf_test', 'benchmark_model', 'llama-bench', 'llama-cli', 'model_benchmark', 'litert_lm_main', 'executor_runner', 'benchmark_app']);

const BASE_W = 0.9;
const CHARGE_W = 2.5;
const CAPACITY_UAH = 4_500_000;
const R_INTERNAL = 0.12;

export interface BatteryOverride {
  plugged?: number;
  level?: number;
  status?: number;
}

export interface ThermalOptions {
  now?: () => number;
  ambientC?: number;
  /** Multiplies every time constant (tests use a small one). */
  timeScale?: number;
}

export class ThermalModel {
  now: () => number;
  ambientC: number;
  timeScale: number;
  /** °C per zone (same order as ZONES). */
  readonly temps: number[];
  private last: number;
  private readonly extra = new Map<number, number>();
  private nextLoadId = 1;
  /** The charge in µAh (level = charge / capacity). */
  private chargeUah: number;
  /** What `dumpsys battery set/unplug` changed; reset clears it. */
  override: BatteryOverride = {};
  /** The state before the first override (what reset returns to). */
  private saved: { level: number; plugged: number; status: number } | undefined;

  constructor(private readonly device: VirtualDevice, opts: ThermalOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.ambientC = opts.ambientC ?? 25;
    this.timeScale = opts.timeScale ?? 1;
    this.last = this.now();
    this.chargeUah = CAPACITY_UAH * device.phone.battery.level / 100;
    // Start at the idle steady state.
    const p = this.powerAt(this.load(), [1, 1]);
    this.temps = ZONES.map((z) => this.ambientC + z.rPerW * this.zonePower(z, p));
  }

  /** Re-times the model (tests): a clock and a time scale; the state is kept. */
  configure(opts: ThermalOptions): void {
    this.advance();
    if (opts.now) this.now = opts.now;
    if (opts.ambientC !== undefined) this.ambientC = opts.ambientC;
    if (opts.timeScale !== undefined) this.timeScale = opts.timeScale;
    this.last = this.now();
  }

  /** Adds `cores` of busy CPU until the returned function is called (a runner's hook). */
  addLoad(cores: number): () => void {
    this.advance();
    const id = this.nextLoadId++;
    this.extra.set(id, Math.max(0, cores));
    return () => {
      if (!this.extra.has(id)) return;
      this.advance();
      this.extra.delete(id);
    };
  }

  /** Busy cores now (0–8). */
  load(): number {
    let busy = 0;
    for (const p of this.device.procs.list()) {
      if (p.state === 'T' || p.state === 'Z') continue;
      busy += runnerCores(p) ?? p.cpuShare ?? 0;
    }
    for (const v of this.extra.values()) busy += v;
    return Math.min(NCPU, busy);
  }

  /** The load spread over the clusters (big first, as the scheduler does for heavy threads). */
  private split(load: number): { little: number; big: number } {
    const big = Math.min(4, load * 0.8);
    return { little: Math.max(0, Math.min(4, load - big)), big };
  }

  /** The frequency cap (0.3–1 of max) per cluster from the temperatures. */
  caps(): number[] {
    const skin = this.temps[3];
    const skinCap = skin > 41 ? Math.max(0.5, 1 - (skin - 41) * 0.05) : 1;
    return CLUSTERS.map((_c, i) => {
      const t = this.temps[i];
      const cap = t > 70 ? Math.max(0.3, 1 - ((t - 70) / 30) * 0.7) : 1;
      return Math.min(cap, skinCap);
    });
  }

  /** Current frequency (kHz) per cluster for this load and cap. */
  private freqs(load: number, caps: number[]): number[] {
    const s = this.split(load);
    return CLUSTERS.map((c, i) => {
      const util = Math.min(1, (i === 0 ? s.little : s.big) / c.cpus.length);
      const want = c.minKhz + (c.maxKhz - c.minKhz) * Math.min(1, util * 1.25);
      return Math.round(Math.max(c.minKhz, Math.min(want, c.maxKhz * caps[i])) / 100) * 100;
    });
  }

  /** Power (W) by part for a load and caps. */
  private powerAt(load: number, caps: number[]): { little: number; big: number; total: number } {
    const s = this.split(load);
    const f = this.freqs(load, caps);
    const part = CLUSTERS.map((c, i) => ((i === 0 ? s.little : s.big) * c.maxCoreW * (f[i] / c.maxKhz) ** 3));
    return { little: part[0], big: part[1], total: BASE_W + part[0] + part[1] };
  }

  private zonePower(z: ZoneDef, p: { little: number; big: number; total: number }): number {
    return z.source === 'little' ? p.little + 0.1 : z.source === 'big' ? p.big + 0.1 : p.total;
  }

  /** Integrates from the last read to now (in steps of at most a second, so throttling feeds back). */
  advance(): void {
    const now = this.now();
    let dt = now - this.last;
    this.last = now;
    if (!(dt > 0)) return;
    const load = this.load();
    while (dt > 0) {
      const step = Math.min(dt, 1000 * this.timeScale);
      dt -= step;
      const p = this.powerAt(load, this.caps());
      ZONES.forEach((z, i) => {
        const target = this.ambientC + z.rPerW * this.zonePower(z, p);
        this.temps[i] += (target - this.temps[i]) * (1 - Math.exp(-step / (z.tauMs * this.timeScale)));
      });
      // The charge: µA × hours of simulated time (scaled like the temperatures).
      const hours = step / this.timeScale / 3_600_000;
      this.chargeUah = Math.max(0, Math.min(CAPACITY_UAH, this.chargeUah + this.currentFor(p.total) * hours));
    }
    this.sync();
  }

  private plugged(): number {
    return this.override.plugged ?? this.device.phone.battery.plugged;
  }

  /** Level in %: the override, or the charge. */
  level(): number {
    return this.override.level ?? Math.round((this.chargeUah / CAPACITY_UAH) * 100);
  }

  private ocvVolts(): number {
    return 3.45 + 0.0075 * this.level();
  }

  /** Battery current in µA for a total draw: negative while discharging (Pixel convention). */
  private currentFor(totalW: number): number {
    const v = this.ocvVolts();
    const net = (this.plugged() !== 0 && this.level() < 100 ? CHARGE_W : 0) - totalW;
    return Math.round((net / v) * 1e6);
  }

  /** Everything a reader sees, after integrating to now. */
  snapshot(): ThermalSnapshot {
    this.advance();
    const load = this.load();
    const caps = this.caps();
    const freqs = this.freqs(load, caps);
    const p = this.powerAt(load, caps);
    const currentUa = this.currentFor(p.total);
    const voltageUv = Math.round((this.ocvVolts() + (currentUa / 1e6) * R_INTERNAL) * 1e6);
    const zones = ZONES.map((z, i) => ({ name: z.name, type: z.halType, tempC: this.temps[i], status: statusOf(this.temps[i], z.thresholds) }));
    const plugged = this.plugged();
    const level = this.level();
    const status = this.override.status ?? (plugged === 0 ? 3 : level >= 100 ? 5 : 2);
    return {
      load, powerW: p.total, caps,
      cpuKhz: Array.from({ length: NCPU }, (_v, cpu) => freqs[cpu < 4 ? 0 : 1]),
      zones, thermalStatus: Math.max(...zones.map((z) => z.status)),
      battery: { currentUa, voltageUv, level, plugged, status, tempDeciC: Math.round(this.temps[4] * 10), updatesStopped: Object.keys(this.override).length > 0 },
    };
  }

  /** `dumpsys battery unplug|set|reset`. */
  setBattery(o: BatteryOverride): void {
    this.advance();
    const b = this.device.phone.battery;
    this.saved ??= { level: b.level, plugged: b.plugged, status: b.status };
    this.override = { ...this.override, ...o };
    this.sync();
  }

  resetBattery(): void {
    this.advance();
    this.override = {};
    if (this.saved) Object.assign(this.device.phone.battery, this.saved);
    this.saved = undefined;
    this.sync();
  }

  /** Keeps PhoneState.battery (the status bar, the old dumpsys battery) in step with the model. */
  private sync(): void {
    const b = this.device.phone.battery;
    const level = this.level();
    const plugged = this.plugged();
    if (b.level !== level) { b.level = level; this.device.phone.version++; }
    b.plugged = plugged;
    b.status = this.override.status ?? (plugged === 0 ? 3 : level >= 100 ? 5 : 2);
    b.temperature = Math.round(this.temps[4] * 10);
    b.voltage = Math.round(this.ocvVolts() * 1000);
  }
}

export interface ThermalSnapshot {
  load: number;
  powerW: number;
  caps: number[];
  cpuKhz: number[];
  zones: Array<{ name: string; type: number; tempC: number; status: number }>;
  thermalStatus: number;
  battery: { currentUa: number; voltageUv: number; level: number; plugged: number; status: number; tempDeciC: number; updatesStopped: boolean };
}

function statusOf(t: number, thresholds: number[]): number {
  let s = 0;
  thresholds.forEach((th, i) => { if (t >= th) s = i + 1; });
  return s;
}

/** Cores a known compute runner keeps busy (its -t/--threads/-x/--num_threads, else 4), or undefined. */
function runnerCores(p: Proc): number | undefined {
  if (p.kind !== 'command' && p.kind !== undefined) return undefined;
  const base = (p.argv[0] ?? p.name).split('/').pop() ?? '';
  if (!RUNNERS.has(base)) return undefined;
  for (let i = 1; i < p.argv.length; i++) {
    const a = p.argv[i];
    const m = /^--(?:threads|num_threads|intra_op_num_threads)=(\d+)$/.exec(a);
    if (m) return Math.min(NCPU, Number(m[1]));
    if ((a === '-t' || a === '--threads' || a === '-x' || a === '--num_threads') && /^\d+$/.test(p.argv[i + 1] ?? '')) return Math.max(1, Math.min(NCPU, Number(p.argv[i + 1])));
  }
  return 4;
}

const models = new WeakMap<VirtualDevice, ThermalModel>();

/** The phone's model (made on first use). */
export function thermalOf(device: VirtualDevice): ThermalModel {
  let m = models.get(device);
  if (!m) {
    m = new ThermalModel(device);
    models.set(device, m);
  }
  return m;
}
