/**
 * `mobileai llm bench`: an LLM benchmark on a phone with the phone sampled while it runs. The run lives in
 * `<runsRoot>/<id>/` (run.json written at the start and the end, samples.jsonl appended as samples arrive).
 * Steps: read the phone → battery state (charging?) → optional `dumpsys battery unplug` (ALWAYS reset after,
 * also on error and cancel) → start the sampler → idle samples (screen on, nothing running: the gauge's sign)
 * → the runner (our ONNX decoder via onnxruntime_perf_test, llama-bench, model_benchmark, LiteRT-LM) with
 * cool-down between repetitions → stop the sampler → rates, energy, thermal → run.json.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AdbService } from '../../adb/adbService';
import { CancelledError, type CancelSignal } from '../../util/progress';
import { newRunRecord, type LlmRunRecord, type LlmRunner, type LlmSample, type LlmThermal } from '../runRecord';
import { achievedHz, RunWriter } from '../runStore';
import { benchOnnxDecoderOnPhone } from './onnxPhone';
import { runCliRunner, type CliRunner } from './cliRunners';
import { LLM_REMOTE_DIR, type RunnerOptions } from './phoneExec';
import { clampHz, detectCurrentSign, isCharging, parseBatteryDump, PhoneSampler, PID_FILE, powerOf, type CurrentSign, type RawSample } from './sampler';
import { energyOf, thermalOf } from './metrics';

export { benchOnnxDecoderOnPhone, type OnnxPhoneBenchOptions, type OnnxPhoneBenchResult } from './onnxPhone';

export type LlmBenchRunner = 'onnx' | CliRunner;
export const LLM_BENCH_RUNNERS: readonly LlmBenchRunner[] = ['onnx', 'llama-bench', 'genai', 'litert-lm'];

/** The options the panel, the explorer and the CLI pass (model, runnerPath, promptTokens, genTokens, repetitions, threads, signal, progress come from RunnerOptions). */
export interface LlmBenchOptions extends RunnerOptions {
  adb: AdbService;
  serial: string;
  runner: LlmBenchRunner;
  /** Sampler rate, 4–10 Hz (default 5). */
  sampleHz?: number;
  /** `dumpsys battery unplug` for the run (reset after, always). */
  unplug?: boolean;
  /** Longest cool-down wait between repetitions (default 60 000 ms). */
  cooldownMaxMs?: number;
  /** `<workspace>/.mobileai/llm-runs`. */
  runsRoot: string;
  label?: string;
  /** Idle sampling before the run, ms (default 1 200). */
  idleMs?: number;
  /** Turn the sampler off (the overhead benchmark's baseline): no samples, no energy or thermal figures. */
  noSampling?: boolean;
}

const RUNNER_OF: Record<LlmBenchRunner, LlmRunner> = { onnx: 'mobileai-onnx', 'llama-bench': 'llama-bench', genai: 'onnxruntime-genai', 'litert-lm': 'litert-lm' };

function check(signal?: CancelSignal): void {
  if (signal?.cancelled) throw new CancelledError('LLM benchmark cancelled');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toSample(s: RawSample, sign: CurrentSign | undefined): LlmSample {
  const out: LlmSample = { t: s.t };
  if (s.currentUa !== undefined) out.currentUa = s.currentUa;
  if (s.voltageUv !== undefined) out.voltageUv = s.voltageUv;
  const p = sign ? powerOf(s, sign) : undefined;
  if (p !== undefined) out.powerW = Math.round(p * 10000) / 10000;
  if (s.thermalStatus !== undefined) out.thermalStatus = s.thermalStatus;
  if (s.tempC) out.tempC = s.tempC;
  if (s.cpuFreqKhz) out.cpuFreqKhz = s.cpuFreqKhz;
  if (s.rssBytes !== undefined) out.rssBytes = s.rssBytes;
  return out;
}

/** Runs the benchmark and returns the finished record (also in `<runsRoot>/<id>/run.json`). */
export async function runLlmBench(opts: LlmBenchOptions): Promise<LlmRunRecord> {
  const { adb, serial } = opts;
  if (!LLM_BENCH_RUNNERS.includes(opts.runner)) throw new Error(`unknown runner "${String(opts.runner)}"; use ${LLM_BENCH_RUNNERS.join(', ')}`);
  for (const [k, v] of [['prompt tokens', opts.promptTokens], ['generated tokens', opts.genTokens], ['repetitions', opts.repetitions]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer (got ${v})`);
  }
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) throw new RangeError(`threads must be a positive integer (got ${opts.threads})`);
  const modelStat = await fs.stat(opts.model).catch(() => undefined);
  if (!modelStat) throw new Error(`no model at ${opts.model}`);
  const hz = clampHz(opts.sampleHz);
  const periodMs = 1000 / hz;
  const progress = (message: string) => opts.progress?.report({ message });

  progress(`reading ${serial}`);
  const info = await adb.info(serial);
  const phoneLabel = [info.manufacturer, info.model].filter(Boolean).join(' ') || serial;
  const rec = newRunRecord(RUNNER_OF[opts.runner], 'measured');
  const writer = await RunWriter.create(opts.runsRoot, opts.label ?? `${path.parse(opts.model).name}-${opts.runner}`);
  rec.id = writer.id;
  rec.status = 'running';
  rec.model = { name: path.basename(opts.model), file: path.resolve(opts.model), ...(modelStat.isFile() ? { sizeBytes: modelStat.size } : {}) };
  rec.phone = { serial, model: phoneLabel, soc: info.soc.label, android: info.androidRelease, abi: info.abis[0], ...(info.virtual ? { virtual: true } : {}) };
  rec.device = { label: `${phoneLabel} (${serial})${info.virtual ? ', virtual phone' : ''}`, cpu: info.soc.label, kind: info.virtual ? 'virtual-phone' : 'phone' };
  rec.promptTokens = opts.promptTokens;
  rec.genTokens = opts.genTokens;
  rec.repetitions = opts.repetitions;
  if (opts.threads !== undefined) rec.threads = opts.threads;
  rec.source = { format: 'measured', file: path.resolve(opts.model), measuredAt: new Date().toISOString() };
  rec.phases = [];
  if (opts.label) rec.notes.push(`label: ${opts.label}`);
  await writer.write(rec);

  let sampler: PhoneSampler | undefined;
  let sign: CurrentSign | undefined;
  let unplugged = false;
  let charging: boolean | undefined;
  let startStatus: number | undefined;
  const cooldowns: NonNullable<LlmThermal['cooldowns']> = [];
  const sampleDir = `${LLM_REMOTE_DIR}/run-${writer.id.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const pidFile = `${sampleDir}/${PID_FILE}`;
  const pending: LlmSample[] = [];
  // The runner's VmHWM as its own command line polled it (a run shorter than a sampler period still has one).
  let invocationHwm = 0;
  const flushTimer = setInterval(() => void writer.append(pending.splice(0)), 1000);
  const phase = (name: NonNullable<LlmRunRecord['phases']>[number]['name'], startHost: number, endHost: number, repetition?: number) => {
    if (!sampler) return;
    rec.phases!.push({ name, startMs: sampler.hostToSampleMs(startHost), endMs: sampler.hostToSampleMs(endHost), ...(repetition !== undefined ? { repetition } : {}) });
  };
  try {
    // Battery: charging distorts the gauge (it shows the net of charger and draw).
    const battery = parseBatteryDump((await adb.exec(serial, ['dumpsys', 'battery'])).stdout.toString('utf8'));
    charging = isCharging(battery);
    if (opts.unplug) {
      check(opts.signal);
      const r = await adb.exec(serial, ['dumpsys', 'battery', 'unplug']);
      if (r.exitCode !== 0) rec.notes.push(`dumpsys battery unplug failed (exit ${r.exitCode}): ${r.stdout.toString('utf8').trim()}`);
      else unplugged = true;
    }
    if (charging && !unplugged) rec.notes.push('the phone was charging (USB/AC powered) during the run: the battery gauge shows the net of charger and load, so power and energy per token are distorted; run with --unplug (or over wireless adb)');
    if (unplugged && !info.virtual) rec.notes.push('dumpsys battery unplug makes Android act as on battery; on most phones the USB port still feeds power, so the gauge may still show charging (wireless adb with the cable out measures cleanly)');
    if (unplugged && info.virtual) rec.notes.push('the virtual phone models `dumpsys battery unplug` as a real unplug (its charger stops feeding the battery model)');

    if (!opts.noSampling) {
      // The sign is read idle with the screen ON (a clear draw): wake it (KeyEvent.KEYCODE_WAKEUP leaves an awake screen as it is).
      const wake = await adb.exec(serial, ['input', 'keyevent', 'KEYCODE_WAKEUP']).catch(() => undefined);
      if (!wake || wake.exitCode !== 0) rec.notes.push('could not wake the screen (input keyevent KEYCODE_WAKEUP) for the idle gauge reading');
      progress(`starting the phone sampler at ${hz} Hz`);
      sampler = await PhoneSampler.start(adb, serial, {
        dir: sampleDir,
        hz,
        onSample: (s) => pending.push(toSample(s, sign)),
      });
      // Idle (screen on, nothing running): the gauge's sign and the idle power.
      const idleStart = Date.now();
      await sampler.waitSamples(Math.max(3, Math.round(((opts.idleMs ?? 1200) / 1000) * hz)), Math.max(4000, (opts.idleMs ?? 1200) * 3));
      check(opts.signal);
      const idleEnd = Date.now();
      const idleSamples = sampler.parser.samples.filter((s) => s.currentUa !== undefined);
      sign = detectCurrentSign(idleSamples.map((s) => s.currentUa as number), unplugged ? { ...battery, ac: false, usb: false, wireless: false, dock: false, status: 3 } : battery);
      if (sign.sign === 'unknown') rec.notes.push(`battery current sign unknown: ${sign.reason}`);
      if (sign.scale !== 1) rec.notes.push(`current_now read as mA (scaled ×1000): ${sign.reason}`);
      phase('idle', idleStart, idleEnd);
      // Wait (bounded) for a first thermal status: the cool-down target.
      for (let i = 0; i < 30 && sampler.parser.lastStatus() === undefined && !sampler.parser.ended; i++) await sleep(100);
      startStatus = sampler.parser.lastStatus();
    }

    const cooldown = async (rep: number) => {
      if (!sampler || startStatus === undefined) return;
      const t0 = Date.now();
      const max = opts.cooldownMaxMs ?? 60_000;
      let status = sampler.parser.lastStatus();
      while (status !== undefined && status > startStatus && Date.now() - t0 < max) {
        check(opts.signal);
        progress(`cooling down: thermal status ${status} → ${startStatus} (${Math.round((Date.now() - t0) / 1000)} s of at most ${Math.round(max / 1000)} s)`);
        await sleep(250);
        status = sampler.parser.lastStatus();
      }
      const waited = Date.now() - t0;
      cooldowns.push({ waitedMs: waited, reachedStart: status === undefined || status <= startStatus });
      if (waited > 20) phase('cooldown', t0, Date.now(), rep);
    };

    check(opts.signal);
    const common = {
      model: opts.model, runnerPath: opts.runnerPath, promptTokens: opts.promptTokens, genTokens: opts.genTokens, repetitions: opts.repetitions, threads: opts.threads,
      pidFile: sampler ? pidFile : undefined, signal: opts.signal, progress: opts.progress, betweenRepetitions: cooldown,
    };
    if (opts.runner === 'onnx') {
      const r = await benchOnnxDecoderOnPhone(adb, serial, opts.model, {
        ...common,
        onInvocation: (e) => {
          invocationHwm = Math.max(invocationHwm, e.hwmBytes ?? 0);
          const sess = e.sessionMs ?? 0;
          const loadEnd = Math.min(e.endHost, e.startHost + sess);
          phase('load', e.startHost, loadEnd, e.repetition);
          // The compute sits at the end of the invocation (after the load and perf_test's one warm-up run).
          phase(e.kind, Math.max(loadEnd, e.endHost - e.computeMs), e.endHost, e.repetition);
        },
      });
      const { prefill, decode, timeToFirstTokenMs, decodeLatencyMs, decodeTimelineMs, modelLoadMs } = r;
      Object.assign(rec, { backend: 'CPU (onnxruntime_perf_test)', batchSize: 1, prefill, decode, timeToFirstTokenMs, decodeLatencyMs, decodeTimelineMs, modelLoadMs });
      if (r.peakWorkingSetBytes !== undefined) rec.peakMemoryBytes = r.peakWorkingSetBytes;
      rec.tests = [
        { kind: 'pp', label: `pp${r.promptTokens}`, promptTokens: r.promptTokens, genTokens: 0, tokensPerSecond: r.prefill, timeMs: r.timeToFirstTokenMs },
        { kind: 'gp', label: `tg${r.genTokens} @ d${r.decodePast}`, promptTokens: r.promptTokens, genTokens: r.genTokens, depth: r.decodePast, tokensPerSecond: r.decode },
      ];
      rec.notes.push(...r.notes);
      if (info.virtual && !opts.runnerPath) rec.notes.push('measured on the virtual phone: onnxruntime-node on the host CPU, with the virtual phone\'s modelled battery, temperatures and CPU frequencies');
    } else {
      const r = await runCliRunner(adb, serial, {
        ...common,
        runner: opts.runner,
        onInvocation: (e) => {
          invocationHwm = Math.max(invocationHwm, e.hwmBytes ?? 0);
          phase('repetition', e.startHost, e.endHost, e.repetition);
          // The runner's own split of the invocation is not visible from outside: both phases span it.
          phase('prefill', e.startHost, e.endHost, e.repetition);
          phase('decode', e.startHost, e.endHost, e.repetition);
        },
      });
      for (const k of ['backend', 'batchSize', 'gpuLayers', 'prefill', 'decode', 'timeToFirstTokenMs', 'decodeLatencyMs', 'modelLoadMs', 'peakMemoryBytes', 'tests', 'extra'] as const) {
        if (r[k] !== undefined) (rec as unknown as Record<string, unknown>)[k] = r[k];
      }
      if (r.threads !== undefined) rec.threads = r.threads;
      rec.model = { ...rec.model, ...(r.model.type ? { type: r.model.type } : {}), ...(r.model.params ? { params: r.model.params } : {}) };
      if (r.source.build) rec.source.build = r.source.build;
      rec.notes.push(...r.notes);
      if (opts.runner !== 'litert-lm') rec.notes.push(`${opts.runner} ran its ${opts.repetitions} repetitions in one invocation: no cool-down between them; energy per token uses the invocation's average power for both phases`);
      if (info.virtual) rec.notes.push(`measured on the virtual phone: its ${opts.runner} is whatever was pushed there (a stand-in script prints the real format); battery, temperatures and CPU frequencies are modelled`);
    }
    rec.status = 'complete';
  } catch (err) {
    rec.status = err instanceof CancelledError || opts.signal?.cancelled ? 'cancelled' : 'failed';
    rec.error = (err as Error).message;
    throw err;
  } finally {
    clearInterval(flushTimer);
    if (sampler) await sampler.stop().catch(() => undefined);
    if (unplugged) {
      const r = await adb.exec(serial, ['dumpsys', 'battery', 'reset']).catch((e: Error) => ({ exitCode: -1, stdout: Buffer.from(e.message) }));
      if (r.exitCode !== 0) rec.notes.push(`dumpsys battery reset failed: ${r.stdout.toString().trim()} — run "adb shell dumpsys battery reset" yourself`);
      else rec.notes.push('dumpsys battery reset after the run');
    }
    if (sampler) {
      const samples = sampler.parser.samples.map((s) => toSample(s, sign));
      await writer.append(pending.splice(0));
      rec.sampling = {
        targetHz: hz,
        achievedHz: achievedHz(samples),
        samples,
        currentSign: sign?.sign ?? 'unknown',
        ...(charging !== undefined ? { charging } : {}),
        unplugged,
        sources: samplerSources(sampler),
      };
      const peakHwm = Math.max(invocationHwm, ...sampler.parser.samples.map((s) => s.hwmBytes ?? 0));
      if (peakHwm > 0) rec.processPeakBytes = peakHwm;
      if (peakHwm > 0 && info.virtual) rec.notes.push('VmHWM on the virtual phone: what the host process grew by while onnxruntime-node ran the model (at least the model file), on top of the command\'s own');
      else if (peakHwm === 0) rec.notes.push('no VmHWM: the runner\'s /proc/PID/status was never readable while it ran (a run of a few milliseconds, or a /proc the shell may not read)');
      const { energy, notes } = energyOf(rec, periodMs, info.virtual);
      if (energy) rec.energy = energy;
      rec.notes.push(...notes);
      rec.thermal = thermalOf(rec, startStatus, cooldowns);
      if (sampler.parser.oddCount) rec.notes.push(`sampler: ${sampler.parser.oddCount} unreadable line(s) skipped (first: ${sampler.parser.odd[0] ?? ''})`);
    } else if (opts.noSampling) {
      rec.notes.push('sampling was off for this run: no energy, thermal or VmHWM figures');
    }
    await writer.write(rec).catch(() => undefined);
  }
  return rec;
}

function samplerSources(s: PhoneSampler): string[] {
  const h = s.parser.header;
  const out = [`one shell loop on the phone at ${h.hz ?? '?'} Hz, clock ${h.clock === 'epoch' ? '$EPOCHREALTIME' : '/proc/uptime'}`];
  const first = s.parser.samples.find((x) => x.currentUa !== undefined || x.voltageUv !== undefined);
  if (first) out.push('/sys/class/power_supply/battery/current_now (µA) and voltage_now (µV)');
  if (h.zones.size) out.push(`/sys/class/thermal/thermal_zone{${[...h.zones.keys()].join(',')}}/temp (m°C): ${[...h.zones.values()].join(', ')}`);
  if (h.policies.size) out.push(`/sys/devices/system/cpu/cpufreq/policy{${[...h.policies.keys()].join(',')}}/scaling_cur_freq (kHz; CPUs ${[...h.policies.values()].map((c) => c.join(' ')).join(' | ')})`);
  else if (h.cpus.length) out.push(`/sys/devices/system/cpu/cpu{${h.cpus.join(',')}}/cpufreq/scaling_cur_freq (kHz)`);
  if (s.parser.samples.some((x) => x.thermalStatus !== undefined)) out.push('dumpsys thermalservice (Thermal Status, HAL temperatures) about once a second');
  if (s.parser.samples.some((x) => x.hwmBytes !== undefined)) out.push('/proc/PID/status VmRSS and VmHWM of the runner');
  return out;
}
