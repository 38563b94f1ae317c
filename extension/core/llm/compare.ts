/**
 * Comparing LLM run records side by side (fp32 vs int4 of one model, two phones, two runners, two thread
 * counts): the figures each run has, the signed deltas against a baseline run, what differs between the
 * runs' set-ups, and the timeline a run's figures sit on. The LLM panel, its CSV export and the tests use it.
 */
import type { LlmRunRecord, LlmStat } from './runRecord';

export type Better = 'higher' | 'lower' | 'none';

export interface LlmMetric {
  key: string;
  label: string;
  unit: string;
  better: Better;
  /** Decimals shown (and used for deltas). */
  digits: number;
  value(r: LlmRunRecord): number | undefined;
  stddev?(r: LlmRunRecord): number | undefined;
}

const MiB = 1024 * 1024;
const fin = (v: number | undefined): number | undefined => (v !== undefined && Number.isFinite(v) ? v : undefined);
const sd = (s: LlmStat | undefined) => fin(s?.stddev);

/** The largest temperature of any zone over the run's samples, °C. */
function maxTemp(r: LlmRunRecord): number | undefined {
  if (r.thermal?.maxTempC !== undefined) return fin(r.thermal.maxTempC);
  let best: number | undefined;
  for (const s of r.sampling?.samples ?? []) for (const v of Object.values(s.tempC ?? {})) if (Number.isFinite(v) && (best === undefined || v > best)) best = v;
  return best;
}

/** Every figure a run record can carry, in the order the panel and the CSV show them. */
export const LLM_METRICS: readonly LlmMetric[] = [
  { key: 'prefill_tps', label: 'prefill', unit: 'tok/s', better: 'higher', digits: 2, value: (r) => fin(r.prefill?.mean), stddev: (r) => sd(r.prefill) },
  { key: 'decode_tps', label: 'decode', unit: 'tok/s', better: 'higher', digits: 2, value: (r) => fin(r.decode?.mean), stddev: (r) => sd(r.decode) },
  { key: 'ttft_ms', label: 'time to first token', unit: 'ms', better: 'lower', digits: 2, value: (r) => fin(r.timeToFirstTokenMs?.mean), stddev: (r) => sd(r.timeToFirstTokenMs) },
  { key: 'decode_latency_ms', label: 'decode latency per token', unit: 'ms', better: 'lower', digits: 3, value: (r) => fin(r.decodeLatencyMs?.mean ?? (r.decode?.mean ? 1000 / r.decode.mean : undefined)), stddev: (r) => sd(r.decodeLatencyMs) },
  { key: 'energy_decode_j', label: 'energy per decoded token', unit: 'J', better: 'lower', digits: 4, value: (r) => fin(r.energy?.joulesPerDecodeToken) },
  { key: 'energy_prefill_j', label: 'energy per prompt token', unit: 'J', better: 'lower', digits: 4, value: (r) => fin(r.energy?.joulesPerPrefillToken) },
  { key: 'avg_power_w', label: 'average power', unit: 'W', better: 'lower', digits: 3, value: (r) => fin(r.energy?.avgPowerW) },
  { key: 'max_temp_c', label: 'highest temperature', unit: '°C', better: 'lower', digits: 1, value: maxTemp },
  { key: 'max_thermal_status', label: 'highest thermal status', unit: '0–6', better: 'lower', digits: 0, value: (r) => fin(r.thermal?.maxStatus) },
  { key: 'model_load_ms', label: 'model load', unit: 'ms', better: 'lower', digits: 1, value: (r) => fin(r.modelLoadMs) },
  { key: 'runner_peak_mib', label: 'peak memory (runner)', unit: 'MiB', better: 'lower', digits: 1, value: (r) => fin(r.peakMemoryBytes !== undefined ? r.peakMemoryBytes / MiB : undefined) },
  { key: 'process_peak_mib', label: 'peak memory (VmHWM)', unit: 'MiB', better: 'lower', digits: 1, value: (r) => fin(r.processPeakBytes !== undefined ? r.processPeakBytes / MiB : undefined) },
  { key: 'model_size_mib', label: 'model size', unit: 'MiB', better: 'lower', digits: 2, value: (r) => fin(r.model.sizeBytes !== undefined ? r.model.sizeBytes / MiB : undefined) },
  { key: 'params_m', label: 'parameters', unit: 'M', better: 'none', digits: 2, value: (r) => fin(r.model.params !== undefined ? r.model.params / 1e6 : undefined) },
];

/**
 * A number with a sign, rounded to `digits`: `+1.50`, `−0.25` (a minus sign, U+2212), and `0.00` for
 * anything that rounds to zero — never `-0.000`. `ascii` uses `-` (for CSV).
 */
export function formatSigned(v: number, digits: number, opts: { ascii?: boolean; suffix?: string } = {}): string {
  if (!Number.isFinite(v)) return 'n/a';
  const abs = Math.abs(v).toFixed(digits);
  if (Number(abs) === 0) return `${(0).toFixed(digits)}${opts.suffix ?? ''}`;
  return `${v > 0 ? '+' : opts.ascii ? '-' : '−'}${abs}${opts.suffix ?? ''}`;
}

/** A plain number rounded to `digits`, with no `-0.00`. */
export function formatNumber(v: number | undefined, digits: number): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const s = v.toFixed(digits);
  return Number(s) === 0 ? (0).toFixed(digits) : s;
}

/** What a run was measured on, in words: the phone, or "virtual phone: onnxruntime-node on the host CPU". */
export function measuredOn(r: LlmRunRecord): string {
  if (r.device.kind === 'virtual-phone' || r.phone?.virtual) return `virtual phone: onnxruntime-node on the host CPU${r.phone?.serial ? ` (${r.phone.serial})` : ''}`;
  if (r.phone) return [r.phone.model ?? r.device.label, r.phone.soc, r.phone.android && `Android ${r.phone.android}`, r.phone.serial].filter(Boolean).join(' · ');
  if (r.device.kind === 'host') return `this machine: ${r.device.label}`;
  return r.device.label;
}

/** The set-up of a run in one line: runner, backend, P/D, threads, repetitions. */
export function setupOf(r: LlmRunRecord): string {
  return [
    r.runner,
    r.backend,
    r.promptTokens !== undefined || r.genTokens !== undefined ? `P=${r.promptTokens ?? '?'} D=${r.genTokens ?? '?'}` : undefined,
    r.threads !== undefined ? `${r.threads} thread${r.threads === 1 ? '' : 's'}` : undefined,
    r.repetitions !== undefined ? `${r.repetitions} run${r.repetitions === 1 ? '' : 's'}` : undefined,
  ].filter(Boolean).join(' · ');
}

/** A short label for a run in a comparison: model, then what tells it apart. */
export function runLabel(r: LlmRunRecord): string {
  return `${r.model.name}${r.threads !== undefined ? ` · ${r.threads}t` : ''} · ${r.phone?.model ?? r.device.label}`.slice(0, 120);
}

export interface ComparisonRow {
  key: string;
  label: string;
  unit: string;
  better: Better;
  digits: number;
  values: Array<number | undefined>;
  stddevs: Array<number | undefined>;
  /** value − baseline value, per run (undefined for the baseline and where either is missing). */
  deltas: Array<number | undefined>;
  /** The delta as a percentage of the baseline value (undefined when the baseline is 0). */
  deltaPercents: Array<number | undefined>;
  /** Per run: whether its delta is an improvement, a regression, or neither (same value, or no direction). */
  verdicts: Array<'better' | 'worse' | 'same' | undefined>;
}

export interface LlmComparison {
  runs: Array<{ id: string; label: string; measuredOn: string; setup: string; status?: string }>;
  baseline: number;
  rows: ComparisonRow[];
  /** What differs between the runs' set-ups (model, phone, runner, threads, P/D), in words. */
  differences: string[];
  /** Metrics the runs cannot be compared on fairly (e.g. different P), in words. */
  caveats: string[];
}

/** Compares two or more runs; deltas are against `baseline` (default: the first run). Rows no run has are left out. */
export function compareRuns(records: readonly LlmRunRecord[], opts: { baseline?: number } = {}): LlmComparison {
  if (records.length < 2) throw new RangeError(`comparing needs two or more runs (got ${records.length})`);
  const baseline = opts.baseline ?? 0;
  if (!Number.isInteger(baseline) || baseline < 0 || baseline >= records.length) throw new RangeError(`baseline must be a run index from 0 to ${records.length - 1} (got ${baseline})`);
  const rows: ComparisonRow[] = [];
  for (const m of LLM_METRICS) {
    const values = records.map((r) => m.value(r));
    if (values.every((v) => v === undefined)) continue;
    const base = values[baseline];
    const deltas = values.map((v, i) => (i === baseline || v === undefined || base === undefined ? undefined : v - base));
    const deltaPercents = deltas.map((d) => (d === undefined || base === undefined || base === 0 ? undefined : (d / Math.abs(base)) * 100));
    const verdicts = deltas.map((d): ComparisonRow['verdicts'][number] => {
      if (d === undefined) return undefined;
      if (Number(Math.abs(d).toFixed(m.digits)) === 0 || m.better === 'none') return 'same';
      return (d > 0) === (m.better === 'higher') ? 'better' : 'worse';
    });
    rows.push({ key: m.key, label: m.label, unit: m.unit, better: m.better, digits: m.digits, values, stddevs: records.map((r) => m.stddev?.(r)), deltas, deltaPercents, verdicts });
  }
  const differences: string[] = [];
  const differs = (what: string, f: (r: LlmRunRecord) => string | number | undefined) => {
    const vs = records.map((r) => f(r));
    if (new Set(vs.map(String)).size > 1) differences.push(`${what}: ${vs.map((v) => (v === undefined ? '?' : String(v))).join(' vs ')}`);
  };
  differs('model', (r) => r.model.name);
  differs('measured on', measuredOn);
  differs('runner', (r) => r.runner);
  differs('backend', (r) => r.backend);
  differs('threads', (r) => r.threads);
  differs('GPU layers (ngl)', (r) => r.gpuLayers);
  differs('prompt tokens P', (r) => r.promptTokens);
  differs('generated tokens D', (r) => r.genTokens);
  const caveats: string[] = [];
  if (new Set(records.map((r) => r.promptTokens)).size > 1) caveats.push('The prompt lengths differ: prefill rates and time to first token depend on P.');
  if (new Set(records.map((r) => r.genTokens)).size > 1) caveats.push('The generated lengths differ: the decode rate falls as the KV cache grows, so longer runs read lower.');
  const kinds = new Set(records.map((r) => (r.device.kind === 'virtual-phone' || r.phone?.virtual ? 'virtual' : r.device.kind)));
  if (kinds.has('virtual') && kinds.size > 1) caveats.push('A virtual-phone run (the host CPU) is compared with other hardware: the rates say nothing about that phone.');
  if (records.some((r) => r.energy?.method === 'gauge') && records.some((r) => r.energy?.method === 'virtual-model')) caveats.push('Energy: a battery-gauge measurement is compared with the virtual phone\'s power model.');
  return {
    runs: records.map((r, i) => ({ id: r.id ?? `run ${i + 1}`, label: runLabel(r), measuredOn: measuredOn(r), setup: setupOf(r), status: r.status })),
    baseline, rows, differences, caveats,
  };
}

export interface TimelinePoint { t: number; v: number; repetition?: number }

export interface LlmTimeline {
  /** `samples`: ms since the phone's sampler started (decode latencies placed by the run's phases); `decode`: ms of decoding only. */
  axis: 'samples' | 'decode';
  /** Per-token decode latency, ms, at the time the token was produced. */
  decodeLatency: TimelinePoint[];
  /** Temperature, °C: the hottest zone at each sample (and the zone's name). */
  temperature: TimelinePoint[];
  temperatureZone?: string;
  powerW: TimelinePoint[];
  thermalStatus: TimelinePoint[];
  /** Phases on the axis (decode, prefill, cool-down), for shading. */
  phases: Array<{ name: string; startMs: number; endMs: number; repetition?: number }>;
}

/**
 * The run on one time axis: each decoded token at the time it finished (its repetition's decode phase start
 * plus the latencies so far), with the phone's temperature, power and thermal status under it. Runs without
 * samples (host runs, imports) put the tokens on a decode-only axis, repetitions one after another.
 */
export function runTimeline(r: LlmRunRecord): LlmTimeline {
  const samples = r.sampling?.samples ?? [];
  const decodePhases = (r.phases ?? []).filter((p) => p.name === 'decode');
  const reps = r.decodeTimelineMs ?? [];
  const onSamples = samples.length > 0 && decodePhases.length > 0;
  const decodeLatency: TimelinePoint[] = [];
  let offset = 0;
  reps.forEach((lat, k) => {
    const phase = decodePhases.find((p) => p.repetition === k) ?? decodePhases[k];
    let t = onSamples && phase ? phase.startMs : offset;
    for (const ms of lat) {
      if (!Number.isFinite(ms)) continue;
      t += ms;
      decodeLatency.push({ t, v: ms, repetition: k });
    }
    offset = t;
  });
  // The zone to plot: the one named CPU/SKIN if present, else the hottest on average.
  const zoneTotals = new Map<string, { sum: number; n: number }>();
  for (const s of samples) for (const [z, c] of Object.entries(s.tempC ?? {})) {
    if (!Number.isFinite(c)) continue;
    const a = zoneTotals.get(z) ?? { sum: 0, n: 0 };
    a.sum += c;
    a.n++;
    zoneTotals.set(z, a);
  }
  const zones = [...zoneTotals.entries()];
  const preferred = zones.find(([z]) => /^cpu/i.test(z)) ?? zones.find(([z]) => /skin/i.test(z)) ?? zones.sort((a, b) => b[1].sum / b[1].n - a[1].sum / a[1].n)[0];
  const zone = preferred?.[0];
  return {
    axis: onSamples ? 'samples' : 'decode',
    decodeLatency,
    temperature: onSamples && zone ? samples.filter((s) => Number.isFinite(s.tempC?.[zone])).map((s) => ({ t: s.t, v: s.tempC?.[zone] as number })) : [],
    temperatureZone: onSamples ? zone : undefined,
    powerW: onSamples ? samples.filter((s) => Number.isFinite(s.powerW)).map((s) => ({ t: s.t, v: s.powerW as number })) : [],
    thermalStatus: onSamples ? samples.filter((s) => Number.isFinite(s.thermalStatus)).map((s) => ({ t: s.t, v: s.thermalStatus as number })) : [],
    phases: onSamples ? (r.phases ?? []).map((p) => ({ ...p })) : [],
  };
}

/**
 * The part of a series inside [from, to], with the values at `from` and `to` interpolated from the samples
 * on either side, so a zoomed chart draws the line edge to edge (and scales its axis to what is visible).
 */
export function clipSeries(points: readonly TimelinePoint[], from: number, to: number): TimelinePoint[] {
  const at = (t: number): number | undefined => {
    const i = points.findIndex((p) => p.t >= t);
    if (i < 0) return undefined; // the series ends before t
    if (points[i].t === t) return points[i].v;
    if (i === 0) return undefined; // the series starts after t
    const a = points[i - 1];
    const b = points[i];
    return a.v + ((b.v - a.v) * (t - a.t)) / (b.t - a.t);
  };
  const inside = points.filter((p) => p.t > from && p.t < to);
  const start = at(from);
  const end = at(to);
  return [...(start !== undefined ? [{ t: from, v: start }] : []), ...inside, ...(end !== undefined ? [{ t: to, v: end }] : [])];
}
