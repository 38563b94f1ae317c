/**
 * The phone sampler: ONE long-lived shell loop on the phone (`adb exec: sh -c LOOP`), not one adb round trip per
 * sample. Each pass reads, with shell builtins only (`read x < FILE` forks nothing on mksh):
 * - the clock: mksh's `$EPOCHREALTIME` (gettimeofday, "sec.usec") when the shell has it, else `/proc/uptime`
 *   (fs/proc/uptime.c: "%lu.%02lu", 10 ms steps);
 * - the battery gauge `/sys/class/power_supply/battery/{current_now,voltage_now}` (µA, µV: the kernel's
 *   Documentation/ABI/testing/sysfs-class-power; the sign of current_now differs by vendor);
 * - `/sys/class/thermal/thermal_zone<N>/temp` (m°C, Documentation/ABI/testing/sysfs-class-thermal), names from
 *   each zone's `type`, listed once at the start;
 * - `scaling_cur_freq` (kHz, Documentation/admin-guide/pm/cpufreq.rst) once per cpufreq policy
 *   (`/sys/devices/system/cpu/cpufreq/policy<N>`, its CPUs from `related_cpus`: they share one frequency), or per
 *   CPU (`cpu<N>/cpufreq/`) on kernels without policy folders;
 * - VmHWM / VmRSS of the runner's process from `/proc/PID/status` (fs/proc/task_mmu.c task_mem prints VmHWM just
 *   before VmRSS, so the read stops there), the PID read each pass from a file the runner's command line writes;
 * and, every Nth pass (≈1 Hz: it forks and is slow on phones), `dumpsys thermalservice` filtered to its
 * `Thermal Status: N` and `Temperature{mValue=…, mType=…, mName=…, mStatus=…}` lines (ThermalManagerService.dump
 * and android.os.Temperature.toString in AOSP frameworks/base).
 * Missing files leave the field empty (phones differ); the loop ends when a stop file appears or adb goes away.
 */
import type { AdbService } from '../../adb/adbService';
import type { LlmSample } from '../runRecord';
import { waitAtMost } from '../../util/progress';

/** android.os.Temperature TYPE_* names (frameworks/base core/java/android/os/Temperature.java). */
export const HAL_TEMP_TYPES: Record<number, string> = {
  [-1]: 'UNKNOWN', 0: 'CPU', 1: 'GPU', 2: 'BATTERY', 3: 'SKIN', 4: 'USB_PORT', 5: 'POWER_AMPLIFIER', 6: 'BCL_VOLTAGE', 7: 'BCL_CURRENT',
  8: 'BCL_PERCENTAGE', 9: 'NPU', 10: 'TPU', 11: 'DISPLAY', 12: 'MODEM', 13: 'SOC', 14: 'WIFI', 15: 'CAMERA', 16: 'FLASHLIGHT', 17: 'SPEAKER', 18: 'AMBIENT', 19: 'POGO',
};

export interface SamplerScriptOptions {
  /** Phone folder for the stop file and the runner's pid file. */
  dir: string;
  /** Target rate, 4–10 Hz (default 5). */
  hz?: number;
  /** Rate of the `dumpsys thermalservice` read, Hz (default 1). */
  thermalHz?: number;
}

export const PID_FILE = 'runner.pid';
export const STOP_FILE = 'stop';

/** Clamps the rate into 4–10 Hz (the range the issue asks for; faster loops cost the run itself). */
export function clampHz(hz: number | undefined): number {
  const v = hz === undefined || !Number.isFinite(hz) ? 5 : hz;
  return Math.min(10, Math.max(4, v));
}

function safeDir(dir: string): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(dir)) throw new Error(`sampler folder must be a plain absolute phone path (got "${dir}")`);
  return dir.replace(/\/+$/, '');
}

/** The loop's text (run as `sh -c TEXT`). Only plain paths and numbers are substituted (checked above). */
export function samplerScript(o: SamplerScriptOptions): string {
  const dir = safeDir(o.dir);
  const hz = clampHz(o.hz);
  const every = Math.max(1, Math.round(hz / Math.max(0.1, Math.min(hz, o.thermalHz ?? 1))));
  const period = (1 / hz).toFixed(3);
  // The whole loop's stderr is dropped (a missing file is normal); `exec 2>/dev/null` alone is not enough where
  // the shell keeps the service's stderr for builtins' redirection errors.
  return ['{',
    'exec 2>/dev/null',
    'B=/sys/class/power_supply/battery',
    `D=${dir}`,
    'c=epoch; [ -n "$EPOCHREALTIME" ] || c=uptime',
    `echo "H clock=$c hz=${hz} every=${every}"`,
    'zs=; for z in /sys/class/thermal/thermal_zone*; do ty=; read ty < $z/temp && read ty < $z/type && { echo "Z ${z##*zone} $ty"; zs="$zs ${z##*zone}"; }; done',
    // CPUs of one cpufreq policy share its frequency (cpufreq.rst): read each policy once, per CPU where there are none.
    'ps=; for x in /sys/devices/system/cpu/cpufreq/policy[0-9]*; do r=; read r < $x/related_cpus && [ -r $x/scaling_cur_freq ] && { echo "P ${x##*policy} $r"; ps="$ps ${x##*policy}"; }; done',
    'cs=; [ -n "$ps" ] || for x in /sys/devices/system/cpu/cpu[0-9]*; do [ -r $x/cpufreq/scaling_cur_freq ] && cs="$cs ${x##*cpu}"; done',
    'echo "C$cs"',
    'n=0',
    `while [ ! -e $D/${STOP_FILE} ]; do`,
    '  t=$EPOCHREALTIME; [ -n "$t" ] || read t x < /proc/uptime',
    '  i=; v=; read i < $B/current_now; read v < $B/voltage_now',
    '  l="S $t i=$i v=$v"',
    '  for z in $zs; do x=; read x < /sys/class/thermal/thermal_zone$z/temp && l="$l z$z=$x"; done',
    '  for x in $ps; do f=; read f < /sys/devices/system/cpu/cpufreq/policy$x/scaling_cur_freq && l="$l p$x=$f"; done',
    '  for x in $cs; do f=; read f < /sys/devices/system/cpu/cpu$x/cpufreq/scaling_cur_freq && l="$l f$x=$f"; done',
    `  p=; read p < $D/${PID_FILE}`,
    '  if [ -n "$p" ]; then r=; h=; while read k x u; do case $k in VmHWM:) h=$x;; VmRSS:) r=$x; break;; esac; done < /proc/$p/status; l="$l pid=$p rss=$r hwm=$h"; fi',
    '  echo "$l"',
    `  if [ $((n % ${every})) -eq 0 ]; then echo "T $t"; dumpsys thermalservice | grep -e 'Thermal Status' -e 'Temperature{'; echo E; fi`,
    '  n=$((n+1))',
    `  sleep ${period}`,
    'done',
    'echo X',
    '} 2>/dev/null',
  ].join('\n');
}

export interface SamplerHeader {
  clock?: 'epoch' | 'uptime';
  hz?: number;
  /** thermal_zone index → its type. */
  zones: Map<number, string>;
  cpus: number[];
  /** cpufreq policy number → its CPUs (related_cpus). */
  policies: Map<number, number[]>;
}

/** A parsed sample: the record's sample plus the raw clock (s) and the runner's pid and VmHWM. */
export interface RawSample extends LlmSample {
  /** Phone clock, seconds (EPOCHREALTIME or uptime). */
  clockS: number;
  pid?: number;
  hwmBytes?: number;
}

/**
 * Reads the loop's output incrementally: feed() any chunks (split anywhere), get samples as they complete.
 * Odd lines are counted and skipped, never fatal. A `dumpsys thermalservice` block is merged into the sample
 * with the same timestamp (the loop prints it right after that sample).
 */
export class SampleParser {
  readonly header: SamplerHeader = { zones: new Map(), cpus: [], policies: new Map() };
  readonly samples: RawSample[] = [];
  /** Lines that matched nothing (kept for diagnosis, at most 20). */
  readonly odd: string[] = [];
  oddCount = 0;
  ended = false;
  private buf = '';
  private t0: number | undefined;
  private block: { clockS: number; status?: number; temps: Record<string, number> } | undefined;
  private readonly listeners: Array<(s: RawSample) => void> = [];

  onSample(cb: (s: RawSample) => void): void {
    this.listeners.push(cb);
  }

  feed(chunk: string | Buffer): void {
    this.buf += chunk.toString();
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      this.line(line);
    }
  }

  /** The stream ended: a last unterminated line is parsed too. */
  end(): void {
    if (this.buf.trim()) this.line(this.buf);
    this.buf = '';
    this.closeBlock();
    this.ended = true;
  }

  private oddLine(line: string): void {
    this.oddCount++;
    if (this.odd.length < 20) this.odd.push(line.slice(0, 200));
  }

  private ms(clockS: number): number {
    this.t0 ??= clockS;
    return Math.round((clockS - this.t0) * 1000 * 10) / 10;
  }

  private line(line: string): void {
    if (!line.trim()) return;
    if (this.block) {
      if (line.trim() === 'E') return this.closeBlock();
      const st = /Thermal Status:\s*(-?\d+)/.exec(line);
      if (st) {
        this.block.status = Number(st[1]);
        return;
      }
      const t = parseTemperature(line);
      if (t) {
        this.block.temps[`${t.type}/${t.name}`] = t.valueC;
        return;
      }
      // Anything else inside the block ends it (a dumpsys that failed, a truncated block).
      this.closeBlock();
    }
    const [tag, ...rest] = line.trim().split(/\s+/);
    switch (tag) {
      case 'H':
        for (const kv of rest) {
          const [k, v] = kv.split('=');
          if (k === 'clock' && (v === 'epoch' || v === 'uptime')) this.header.clock = v;
          if (k === 'hz' && Number.isFinite(Number(v))) this.header.hz = Number(v);
        }
        return;
      case 'Z':
        if (/^\d+$/.test(rest[0] ?? '') && rest[1]) this.header.zones.set(Number(rest[0]), rest.slice(1).join(' '));
        else this.oddLine(line);
        return;
      case 'P': {
        const cpus = rest.slice(1).filter((x) => /^\d+$/.test(x)).map(Number);
        if (/^\d+$/.test(rest[0] ?? '') && cpus.length) this.header.policies.set(Number(rest[0]), cpus);
        else this.oddLine(line);
        return;
      }
      case 'C':
        this.header.cpus = rest.filter((x) => /^\d+$/.test(x)).map(Number);
        if (!this.header.cpus.length) this.header.cpus = [...this.header.policies.values()].flat().sort((a, b) => a - b);
        return;
      case 'S':
        return this.sample(rest, line);
      case 'T': {
        const c = Number(rest[0]);
        if (!Number.isFinite(c)) return this.oddLine(line);
        this.block = { clockS: c, temps: {} };
        return;
      }
      case 'X':
        this.ended = true;
        return;
      default:
        this.oddLine(line);
    }
  }

  private sample(rest: string[], line: string): void {
    const clockS = Number(rest[0]);
    if (!Number.isFinite(clockS)) return this.oddLine(line);
    const s: RawSample = { t: this.ms(clockS), clockS };
    const freqs: Array<[number, number]> = [];
    const temps: Record<string, number> = {};
    for (const kv of rest.slice(1)) {
      const eq = kv.indexOf('=');
      if (eq < 0) continue;
      const k = kv.slice(0, eq);
      const raw = kv.slice(eq + 1);
      if (!/^-?\d+$/.test(raw)) continue; // empty (file missing) or odd
      const v = Number(raw);
      if (k === 'i') s.currentUa = v;
      else if (k === 'v') s.voltageUv = v;
      else if (k === 'pid') s.pid = v;
      else if (k === 'rss') s.rssBytes = v * 1024;
      else if (k === 'hwm') s.hwmBytes = v * 1024;
      else if (/^z\d+$/.test(k)) temps[this.header.zones.get(Number(k.slice(1))) ?? `thermal_zone${k.slice(1)}`] = zoneTempC(v);
      else if (/^f\d+$/.test(k)) freqs.push([Number(k.slice(1)), v]);
      else if (/^p\d+$/.test(k)) for (const cpu of this.header.policies.get(Number(k.slice(1))) ?? []) freqs.push([cpu, v]);
    }
    if (Object.keys(temps).length) s.tempC = temps;
    if (freqs.length) s.cpuFreqKhz = freqs.sort((a, b) => a[0] - b[0]).map(([, f]) => f);
    this.samples.push(s);
    for (const cb of this.listeners) cb(s);
  }

  private closeBlock(): void {
    const b = this.block;
    this.block = undefined;
    if (!b) return;
    const last = this.samples[this.samples.length - 1];
    const target = last && Math.abs(last.clockS - b.clockS) < 1e-6 ? last : undefined;
    const s: RawSample = target ?? { t: this.ms(b.clockS), clockS: b.clockS };
    if (b.status !== undefined) s.thermalStatus = b.status;
    if (Object.keys(b.temps).length) s.tempC = { ...s.tempC, ...b.temps };
    if (!target) {
      this.samples.push(s);
      for (const cb of this.listeners) cb(s);
    }
  }

  /** The last thermal status seen. */
  lastStatus(): number | undefined {
    for (let i = this.samples.length - 1; i >= 0; i--) if (this.samples[i].thermalStatus !== undefined) return this.samples[i].thermalStatus;
    return undefined;
  }
}

/**
 * sysfs thermal zones report millidegrees Celsius (sysfs-class-thermal); a few old vendor kernels report whole
 * or tenths of degrees. Values below 1000 in magnitude are read as °C (or tenths when above 200).
 */
export function zoneTempC(raw: number): number {
  const a = Math.abs(raw);
  if (a >= 1000) return raw / 1000;
  if (a > 200) return raw / 10;
  return raw;
}

/** One `Temperature{mValue=36.1, mType=3, mName=skin, mStatus=0}` line (android.os.Temperature.toString). */
export function parseTemperature(line: string): { valueC: number; type: string; name: string; status?: number } | undefined {
  const m = /Temperature\{mValue=([-\d.eENa]+), mType=(-?\d+), mName=([^,]*), mStatus=(-?\d+)\}/.exec(line);
  if (!m) return undefined;
  const v = Number(m[1]);
  if (!Number.isFinite(v)) return undefined;
  const type = HAL_TEMP_TYPES[Number(m[2])] ?? `TYPE_${m[2]}`;
  return { valueC: v, type, name: m[3].trim(), status: Number(m[4]) };
}

/** `dumpsys battery` (BatteryService.dumpInternal): powered flags, status, level. */
export interface BatteryState {
  ac?: boolean;
  usb?: boolean;
  wireless?: boolean;
  dock?: boolean;
  /** BatteryManager.BATTERY_STATUS_*: 2 charging, 3 discharging, 4 not charging, 5 full. */
  status?: number;
  level?: number;
  updatesStopped: boolean;
}

export function parseBatteryDump(text: string): BatteryState {
  const flag = (name: string): boolean | undefined => {
    const m = new RegExp(`^\\s*${name} powered:\\s*(true|false)`, 'mi').exec(text);
    return m ? m[1] === 'true' : undefined;
  };
  const num = (name: string): number | undefined => {
    const m = new RegExp(`^\\s*${name}:\\s*(-?\\d+)\\s*$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  return { ac: flag('AC'), usb: flag('USB'), wireless: flag('Wireless'), dock: flag('Dock'), status: num('status'), level: num('level'), updatesStopped: /UPDATES STOPPED/.test(text) };
}

/** Powered by anything (the charger feeds the phone, so the gauge shows the net of charge and draw). */
export function isCharging(b: BatteryState): boolean {
  return Boolean(b.ac || b.usb || b.wireless || b.dock) || b.status === 2;
}

export interface CurrentSign {
  sign: 'discharge-negative' | 'discharge-positive' | 'unknown';
  /** Multiply current_now by this to get µA (1000 when the gauge reports mA, as some vendors do). */
  scale: number;
  reason: string;
}

/**
 * Which sign means discharging: read idle with the screen on, so the phone draws a clear current. Discharging,
 * the idle current's sign is the discharge sign; charging (status 2 and net inflow), discharge is the opposite.
 * A magnitude under 10 000 with the screen on is a gauge in mA (phones draw ≥ 100 mA then).
 */
export function detectCurrentSign(idleCurrents: number[], battery: BatteryState): CurrentSign {
  const vals = idleCurrents.filter((v) => Number.isFinite(v));
  if (vals.length === 0) return { sign: 'unknown', scale: 1, reason: 'no current_now readings' };
  const sorted = [...vals].sort((a, b) => a - b);
  const med = sorted[Math.floor(sorted.length / 2)];
  if (med === 0) return { sign: 'unknown', scale: 1, reason: 'current_now reads 0 at idle (no gauge, or a charger exactly matching the draw)' };
  const scale = Math.abs(med) < 10_000 ? 1000 : 1;
  const unit = scale === 1000 ? ' (the gauge reads in mA: |current| < 10 000 with the screen on)' : '';
  const charging = isCharging(battery) && battery.status === 2;
  const positive = med > 0;
  const sign = (charging ? !positive : positive) ? 'discharge-positive' : 'discharge-negative';
  return { sign, scale, reason: `idle current ${med} ${charging ? 'while charging' : 'while discharging'}${unit}` };
}

/** Discharge power in W from a sample (positive = drawing from the battery). */
export function powerOf(s: { currentUa?: number; voltageUv?: number }, sign: CurrentSign): number | undefined {
  if (s.currentUa === undefined || s.voltageUv === undefined || sign.sign === 'unknown' || s.voltageUv <= 0) return undefined;
  const ua = s.currentUa * sign.scale * (sign.sign === 'discharge-negative' ? -1 : 1);
  return (ua * 1e-6) * (s.voltageUv * 1e-6);
}

export interface PhoneSamplerOptions {
  dir: string;
  hz?: number;
  thermalHz?: number;
  /** Called with each sample as it arrives (the run store appends it to samples.jsonl). */
  onSample?: (s: RawSample, hostMs: number) => void;
}

/**
 * The running loop on a phone. `hostToSampleMs` maps a host time (Date.now()) onto the samples' time axis with the
 * smallest arrival delay seen (the loop's clock and the host's differ; adb latency is a few ms).
 */
export class PhoneSampler {
  readonly parser = new SampleParser();
  private offset = Infinity;
  private closed = false;
  private endWait: Promise<void>;

  private constructor(private readonly adb: AdbService, private readonly serial: string, private readonly opts: PhoneSamplerOptions, private readonly stream: { stream: NodeJS.ReadableStream; close(): void }) {
    this.endWait = new Promise<void>((resolve) => {
      stream.stream.on('data', (d: Buffer) => this.parser.feed(d));
      stream.stream.on('end', () => resolve());
      stream.stream.on('close', () => resolve());
      stream.stream.on('error', () => resolve());
    });
    this.parser.onSample((s) => {
      const host = Date.now();
      const first = this.parser.samples[0];
      if (first) this.offset = Math.min(this.offset, host - (s.clockS - first.clockS) * 1000);
      opts.onSample?.(s, host);
    });
  }

  static async start(adb: AdbService, serial: string, opts: PhoneSamplerOptions): Promise<PhoneSampler> {
    const dir = safeDir(opts.dir);
    await adb.exec(serial, ['mkdir', '-p', dir]);
    await adb.exec(serial, ['rm', '-f', `${dir}/${STOP_FILE}`, `${dir}/${PID_FILE}`]);
    const stream = await adb.openExecStream(serial, ['sh', '-c', samplerScript(opts)]);
    return new PhoneSampler(adb, serial, opts, stream);
  }

  /** Waits until at least `n` samples arrived (or the time runs out). */
  async waitSamples(n: number, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.parser.samples.filter((s) => s.currentUa !== undefined || s.tempC).length < n) {
      if (Date.now() > end || this.parser.ended) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }

  /** Host time (ms, Date.now()) → ms on the samples' axis. */
  hostToSampleMs(hostMs: number): number {
    return Number.isFinite(this.offset) ? Math.round((hostMs - this.offset) * 10) / 10 : 0;
  }

  /** Stops the loop: a stop file, then (bounded) the end of its output, then the stream is closed. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.adb.exec(this.serial, ['touch', `${safeDir(this.opts.dir)}/${STOP_FILE}`], { timeoutMs: 5000 });
      await waitAtMost(this.endWait, 3000);
    } catch {
      // adb gone: closing the stream ends the loop (its next write fails).
    } finally {
      this.stream.close();
      this.parser.end();
    }
  }
}
