/**
 * The record of one LLM benchmark run — measured by us on a phone, or imported from a runner's saved
 * output (`mobileai llm import`). Rates are tokens per second; times are milliseconds; memory is bytes.
 * Every field a runner did not report is left out rather than guessed; derived figures say so in `notes`.
 */

export type LlmRunner = 'llama-bench' | 'onnxruntime-genai' | 'litert-lm' | 'mobileai-onnx';
export type LlmImportFormat = 'llama-bench' | 'genai' | 'litert-lm';

/** A rate (tok/s) or a time (ms) over repetitions: mean ± sample standard deviation. */
export interface LlmStat {
  mean: number;
  /** Sample standard deviation, when the runner reported it (or it was derived; see the record's notes). */
  stddev?: number;
  /** How many measurements the mean is over, when known. */
  n?: number;
  /** The individual repetitions, when the output has them (llama-bench json/jsonl, LiteRT-LM turns). */
  samples?: number[];
}

/** One test as the runner reported it (llama-bench prints one row per test: pp512, tg128, pp512+tg128…). */
export interface LlmTestResult {
  /** `pp` prompt processing, `tg` text generation, `pg` prompt then generation (a blended rate), `gp` generation after a prompt of n_prompt tokens. */
  kind: 'pp' | 'tg' | 'pg' | 'gp';
  /** The runner's label, e.g. `pp512`, `tg128 @ d512`. */
  label: string;
  promptTokens: number;
  genTokens: number;
  /** Context already in the KV cache before the test (llama-bench `-d`). */
  depth?: number;
  tokensPerSecond: LlmStat;
  /** Wall time of one repetition in ms, when reported. */
  timeMs?: LlmStat;
}

export interface LlmRunRecord {
  schema: 'mobileai.llm-run/1';
  runner: LlmRunner;
  model: {
    /** Display name: the file's base name or the runner's model description. */
    name: string;
    file?: string;
    /** The runner's description, e.g. llama.cpp's `qwen2 7B Q4_K - Medium`. */
    type?: string;
    sizeBytes?: number;
    params?: number;
  };
  device: {
    /** What the numbers were measured on, as far as the output says. */
    label: string;
    cpu?: string;
    gpu?: string;
    kind: 'phone' | 'virtual-phone' | 'host' | 'unknown';
  };
  /** Compute backend (llama.cpp `CPU`, `Metal`, `Vulkan`; genai's execution provider; LiteRT-LM `cpu`/`gpu`). */
  backend?: string;
  threads?: number;
  batchSize?: number;
  gpuLayers?: number;
  /** P: prompt tokens of the prefill measurement. */
  promptTokens?: number;
  /** D: generated tokens of the decode measurement. */
  genTokens?: number;
  /** Prefill (prompt processing) rate, tok/s. */
  prefill?: LlmStat;
  /** Decode (token generation) rate, tok/s. */
  decode?: LlmStat;
  /** Time to first token, ms. */
  timeToFirstTokenMs?: LlmStat;
  /** Time per decoded token, ms. */
  decodeLatencyMs?: LlmStat;
  /** Model load / engine init time, ms. */
  modelLoadMs?: number;
  /** Peak memory the runner itself reported (genai's peak working set), bytes. */
  peakMemoryBytes?: number;
  /** Per-test results in the runner's order (the rates above come from these). */
  tests: LlmTestResult[];
  /** Other figures the runner printed (sampling time, E2E time, init phases…), by name; times in ms. */
  extra?: Record<string, number>;
  repetitions?: number;
  source: {
    format: LlmImportFormat | 'measured';
    /** The variant of the format, e.g. llama-bench `md`, `csv`, `json`, `jsonl`. */
    variant?: string;
    file?: string;
    build?: string;
    /** When the runner says (llama-bench's test_time). */
    measuredAt?: string;
    importedAt?: string;
  };
  notes: string[];

  // ---- Measured runs (`mobileai llm bench`) fill these in; imported records leave them out. ----
  /** The run's id: its folder under `.mobileai/llm-runs/` (e.g. `2026-12-01T11-40-00-gpt2-decode`). */
  id?: string;
  /** `running` while a bench is in progress (a record left by a killed run says so), then `complete` or `failed`. */
  status?: 'running' | 'complete' | 'failed' | 'cancelled';
  /** Why a run failed or was cancelled, in the runner's or adb's words. */
  error?: string;
  /** The phone as adb describes it (serial, model, SoC, Android release, ABI). */
  phone?: { serial: string; model?: string; soc?: string; android?: string; abi?: string; virtual?: boolean };
  /** Per-token decode latency in ms, in generation order (shows throttling over the run), for each repetition. */
  decodeTimelineMs?: number[][];
  /** Peak resident memory of the runner's process: VmHWM from /proc/PID/status, bytes. */
  processPeakBytes?: number;
  /** Phone samples taken during the run by one shell loop on the phone. */
  sampling?: LlmSampling;
  /** Energy and power derived from the battery gauge (absent when the gauge was unusable; see notes). */
  energy?: LlmEnergy;
  /** Thermal behaviour over the run. */
  thermal?: LlmThermal;
  /** Run phases on the samples' time axis (ms since the sampler started). */
  phases?: { name: 'idle' | 'load' | 'prefill' | 'decode' | 'repetition' | 'cooldown'; startMs: number; endMs: number; repetition?: number }[];
}

/** One sample of the phone (every field optional: phones differ in what they expose). Times are ms since the sampler started. */
export interface LlmSample {
  t: number;
  /** Battery current as the gauge reports it (µA, sign as the vendor uses it; see LlmSampling.currentSign). */
  currentUa?: number;
  voltageUv?: number;
  /** Discharge power derived from current and voltage, W (positive = drawing from the battery). */
  powerW?: number;
  /** Thermal status 0–6 (dumpsys thermalservice: NONE, LIGHT, MODERATE, SEVERE, CRITICAL, EMERGENCY, SHUTDOWN). */
  thermalStatus?: number;
  /** Temperatures in °C by zone or HAL type (e.g. `CPU`, `SKIN`, `BATTERY`, `thermal_zone0`). */
  tempC?: Record<string, number>;
  /** scaling_cur_freq per CPU, kHz. */
  cpuFreqKhz?: number[];
  /** The runner's resident memory (VmRSS), bytes. */
  rssBytes?: number;
}

export interface LlmSampling {
  /** Target and achieved rates, Hz. */
  targetHz: number;
  achievedHz: number;
  samples: LlmSample[];
  /** How the gauge's sign was read: discharge shows as negative or positive current (detected idle, screen on). */
  currentSign?: 'discharge-negative' | 'discharge-positive' | 'unknown';
  /** Whether the phone was charging over USB during the run (distorts the gauge) and whether `dumpsys battery unplug` was applied. */
  charging?: boolean;
  unplugged?: boolean;
  /** Where each series came from (paths, dumpsys), for the report. */
  sources: string[];
}

export interface LlmEnergy {
  /** Average power over the measured phases, W; and idle power before the run. */
  avgPowerW: number;
  idlePowerW?: number;
  /** Energy per generated token (decode phase), J; per prompt token (prefill phase), J. */
  joulesPerDecodeToken?: number;
  joulesPerPrefillToken?: number;
  /** `gauge` = battery current × voltage sampled on the phone; `model` = the virtual phone's power model. */
  method: 'gauge' | 'virtual-model';
}

export interface LlmThermal {
  startStatus?: number;
  maxStatus?: number;
  endStatus?: number;
  startTempC?: number;
  maxTempC?: number;
  /** Throttling seen: the thermal status rose or the CPU frequency fell below its start during decode. */
  throttled: boolean;
  /** Cool-down waits between repetitions, ms, and whether each reached the starting status within its bound. */
  cooldowns?: { waitedMs: number; reachedStart: boolean }[];
}

export function newRunRecord(runner: LlmRunner, format: LlmRunRecord['source']['format']): LlmRunRecord {
  return {
    schema: 'mobileai.llm-run/1',
    runner,
    model: { name: 'model' },
    device: { label: 'not in the output (give --device)', kind: 'unknown' },
    tests: [],
    source: { format },
    notes: [],
  };
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** Sample standard deviation (n − 1), as llama-bench and model_benchmark compute it. */
export function sampleStddev(values: number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) * (v - m), 0) / (values.length - 1));
}

export function statOf(samples: number[]): LlmStat {
  return { mean: mean(samples), stddev: sampleStddev(samples), n: samples.length, samples };
}

function fmt(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

function fmtStat(s: LlmStat | undefined, unit: string, digits = 2): string | undefined {
  if (!s) return undefined;
  return `${fmt(s.mean, digits)}${s.stddev !== undefined ? ` ± ${fmt(s.stddev, digits)}` : ''} ${unit}${s.n ? ` (n=${s.n})` : ''}`;
}

function fmtBytes(b: number): string {
  if (b >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(2)} GiB`;
  if (b >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(2)} MiB`;
  return `${(b / 1024).toFixed(1)} KiB`;
}

/** Human-readable summary: the rates with units and what they were measured on. */
export function describeLlmRun(r: LlmRunRecord): string {
  const cfg = [r.backend && `backend ${r.backend}`, r.threads !== undefined && `${r.threads} threads`, r.batchSize !== undefined && `batch ${r.batchSize}`, r.gpuLayers !== undefined && `ngl ${r.gpuLayers}`].filter(Boolean).join(', ');
  const model = [r.model.name, r.model.type && r.model.type !== r.model.name ? `(${r.model.type})` : '', r.model.sizeBytes ? fmtBytes(r.model.sizeBytes) : '', r.model.params ? (r.model.params >= 1e9 ? `${(r.model.params / 1e9).toFixed(2)} B params` : `${(r.model.params / 1e6).toFixed(1)} M params`) : ''].filter(Boolean).join(' ');
  const lines = [
    `${model} — ${r.runner}${cfg ? `, ${cfg}` : ''}`,
    `measured on: ${r.device.label}${r.device.cpu && !r.device.label.includes(r.device.cpu) ? ` (CPU ${r.device.cpu})` : ''}${r.device.gpu ? ` (GPU ${r.device.gpu})` : ''}`,
    `source: ${r.source.file ?? 'saved output'} (${r.source.format}${r.source.variant ? ` ${r.source.variant}` : ''}${r.source.build ? `, build ${r.source.build}` : ''}${r.source.measuredAt ? `, ${r.source.measuredAt}` : ''})`,
  ];
  const p = fmtStat(r.prefill, 'tok/s');
  const d = fmtStat(r.decode, 'tok/s');
  if (p) lines.push(`prefill: ${p}${r.promptTokens !== undefined ? ` over P=${r.promptTokens} prompt tokens` : ''}`);
  if (d) lines.push(`decode:  ${d}${r.genTokens !== undefined ? ` over D=${r.genTokens} generated tokens` : ''}`);
  const t = fmtStat(r.timeToFirstTokenMs, 'ms');
  if (t) lines.push(`time to first token: ${t}`);
  const l = fmtStat(r.decodeLatencyMs, 'ms', 3);
  if (l) lines.push(`decode latency: ${l} per token`);
  if (r.modelLoadMs !== undefined) lines.push(`model load: ${fmt(r.modelLoadMs)} ms`);
  if (r.peakMemoryBytes !== undefined) lines.push(`peak memory: ${fmtBytes(r.peakMemoryBytes)} (${r.peakMemoryBytes} bytes, as the runner reports it)`);
  if (r.tests.length > 1 || (!p && !d)) {
    lines.push('tests:');
    for (const x of r.tests) lines.push(`  ${x.label.padEnd(16)} ${fmtStat(x.tokensPerSecond, 'tok/s')}${x.kind === 'pg' ? ' (blended prompt+generation rate)' : ''}`);
  }
  if (r.extra) for (const [k, v] of Object.entries(r.extra)) lines.push(`${k}: ${fmt(v, 3)}`);
  lines.push(...describeMeasured(r));
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** The measured-run lines: status, memory (VmHWM), energy, thermal, sampling, the decode timeline's drift. */
function describeMeasured(r: LlmRunRecord): string[] {
  const lines: string[] = [];
  if (r.status && r.status !== 'complete') lines.push(`status: ${r.status}${r.error ? ` (${r.error})` : ''}`);
  if (r.processPeakBytes !== undefined) lines.push(`process peak memory: ${fmtBytes(r.processPeakBytes)} (VmHWM of the runner's process)`);
  if (r.decodeTimelineMs?.length) {
    const all = r.decodeTimelineMs.filter((t) => t.length >= 4);
    if (all.length) {
      const q = (t: number[], from: number, to: number) => mean(t.slice(Math.floor(t.length * from), Math.max(Math.floor(t.length * from) + 1, Math.floor(t.length * to))));
      const first = mean(all.map((t) => q(t, 0, 0.25)));
      const last = mean(all.map((t) => q(t, 0.75, 1)));
      lines.push(`decode timeline: ${fmt(first, 3)} ms/token in the first quarter → ${fmt(last, 3)} ms/token in the last (${all.length} repetition${all.length === 1 ? '' : 's'})`);
    }
  }
  const e = r.energy;
  if (e) {
    const per = [e.joulesPerPrefillToken !== undefined && `${fmt(e.joulesPerPrefillToken * 1000, 3)} mJ/prompt token`, e.joulesPerDecodeToken !== undefined && `${fmt(e.joulesPerDecodeToken * 1000, 3)} mJ/decode token (${fmt(e.joulesPerDecodeToken, 5)} J/decode token)`].filter(Boolean).join(', ');
    lines.push(`energy: ${per || 'no per-token figure'}; average power ${fmt(e.avgPowerW, 3)} W${e.idlePowerW !== undefined ? ` (idle ${fmt(e.idlePowerW, 3)} W)` : ''} — ${e.method === 'virtual-model' ? "the virtual phone's modelled battery gauge" : 'battery gauge (current_now × voltage_now)'}`);
  }
  const th = r.thermal;
  if (th) {
    const status = th.startStatus !== undefined ? `thermal status ${th.startStatus}${th.maxStatus !== undefined ? ` → max ${th.maxStatus}` : ''}${th.endStatus !== undefined ? ` → end ${th.endStatus}` : ''}` : 'no thermal status';
    const temp = th.maxTempC !== undefined ? `, hottest ${fmt(th.startTempC ?? NaN, 1)} → ${fmt(th.maxTempC, 1)} °C` : '';
    const cool = th.cooldowns?.length ? `, cool-downs ${th.cooldowns.map((c) => `${(c.waitedMs / 1000).toFixed(1)} s${c.reachedStart ? '' : ' (bound hit)'}`).join(', ')}` : '';
    lines.push(`thermal: ${status}${temp}${th.throttled ? ', THROTTLED' : ', no throttling seen'}${cool}`);
  }
  const s = r.sampling;
  if (s) {
    lines.push(`sampling: ${s.samples.length} samples at ${fmt(s.achievedHz, 1)} Hz (target ${s.targetHz} Hz), gauge sign ${s.currentSign ?? 'unknown'}${s.unplugged ? ', battery unplugged for the run (dumpsys battery unplug, reset after)' : s.charging ? ', CHARGING during the run (the gauge is distorted)' : ''}`);
  }
  return lines;
}
