/**
 * Figures derived from the phone's samples: average power over a phase, energy per token (average power ÷ rate),
 * thermal summary and throttling. Pure functions over the record's sample series (times in ms on its axis).
 */
import type { LlmEnergy, LlmRunRecord, LlmSample, LlmThermal } from '../runRecord';

type Phase = NonNullable<LlmRunRecord['phases']>[number];

/**
 * Mean discharge power (W) of the samples inside [start, end]. When none fall inside (a phase shorter than the
 * sampling period), the power at its middle, interpolated between the nearest samples before and after it however
 * far they are (so whether a figure exists does not hang on where the samples happened to fall); with a sample on
 * one side only, that sample if it is at most 1.5 periods away.
 */
export function avgPower(samples: LlmSample[], startMs: number, endMs: number, periodMs = 200): number | undefined {
  const withP = samples.filter((s) => s.powerW !== undefined);
  const inside = withP.filter((s) => s.t >= startMs && s.t <= endMs);
  if (inside.length) return inside.reduce((a, s) => a + (s.powerW as number), 0) / inside.length;
  const before = withP.filter((s) => s.t < startMs).pop();
  const after = withP.find((s) => s.t > endMs);
  if (before && after) {
    const mid = (startMs + endMs) / 2;
    const w = (mid - before.t) / (after.t - before.t);
    return (before.powerW as number) * (1 - w) + (after.powerW as number) * w;
  }
  const one = before ?? after;
  if (one && Math.min(Math.abs(one.t - startMs), Math.abs(one.t - endMs)) <= periodMs * 1.5) return one.powerW;
  return undefined;
}

/** Average power over all phases of a kind (weighted by their length). */
export function phasePower(samples: LlmSample[], phases: Phase[], name: Phase['name'], periodMs: number): number | undefined {
  let sum = 0;
  let w = 0;
  for (const p of phases.filter((x) => x.name === name)) {
    const pw = avgPower(samples, p.startMs, p.endMs, periodMs);
    if (pw === undefined) continue;
    const len = Math.max(1, p.endMs - p.startMs);
    sum += pw * len;
    w += len;
  }
  return w ? sum / w : undefined;
}

/**
 * Energy from the gauge: average power during prefill ÷ prefill rate = J per prompt token, likewise decode.
 * Returns undefined (with a reason) when the gauge gave no usable power.
 */
export function energyOf(rec: LlmRunRecord, targetPeriodMs: number, virtual: boolean): { energy?: LlmEnergy; notes: string[] } {
  const samples = rec.sampling?.samples ?? [];
  // The period the sampler really kept (slower than asked on a busy phone) sets what counts as "short".
  const achieved = rec.sampling?.achievedHz ?? 0;
  const periodMs = achieved > 0 ? Math.max(targetPeriodMs, 1000 / achieved) : targetPeriodMs;
  const phases = rec.phases ?? [];
  const notes: string[] = [];
  if (!samples.some((s) => s.powerW !== undefined)) {
    notes.push(rec.sampling?.currentSign === 'unknown' ? 'no energy figures: the battery gauge\'s sign could not be read at idle' : 'no energy figures: the phone exposes no battery current_now/voltage_now');
    return { notes };
  }
  const idle = phasePower(samples, phases, 'idle', periodMs);
  const pre = phasePower(samples, phases, 'prefill', periodMs);
  const dec = phasePower(samples, phases, 'decode', periodMs);
  const measured = phases.filter((p) => p.name === 'prefill' || p.name === 'decode' || p.name === 'load');
  let tot = 0;
  let w = 0;
  for (const p of measured) {
    const pw = avgPower(samples, p.startMs, p.endMs, periodMs);
    if (pw === undefined) continue;
    tot += pw * Math.max(1, p.endMs - p.startMs);
    w += Math.max(1, p.endMs - p.startMs);
  }
  const avg = w ? tot / w : dec ?? pre;
  if (avg === undefined) {
    notes.push('no energy figures: no gauge samples fell in the measured phases');
    return { notes };
  }
  const energy: LlmEnergy = { avgPowerW: round(avg, 4), method: virtual ? 'virtual-model' : 'gauge' };
  if (idle !== undefined) energy.idlePowerW = round(idle, 4);
  // On a charger the gauge reads the net of charger and load: whether a phase shows discharge depends on the load
  // and on which samples fall in it, so no energy per token is derived from it at all.
  const onCharger = rec.sampling?.charging === true && rec.sampling.unplugged !== true;
  if (onCharger) {
    notes.push('no energy per token: the phone was charging, so the gauge shows the net of charger and load; run with --unplug (or over wireless adb with the cable out)');
    return { energy, notes };
  }
  if (dec !== undefined && rec.decode?.mean && dec > 0) energy.joulesPerDecodeToken = round(dec / rec.decode.mean, 6);
  if (pre !== undefined && rec.prefill?.mean && pre > 0) energy.joulesPerPrefillToken = round(pre / rec.prefill.mean, 6);
  if ((dec ?? 0) <= 0 || (pre ?? 0) <= 0) notes.push('the gauge showed no discharge during a phase (a charger feeding the phone?): that phase has no energy per token');
  const short = (['prefill', 'decode'] as const).filter((n) => {
    const ps = phases.filter((p) => p.name === n);
    return ps.length > 0 && ps.every((p) => p.endMs - p.startMs < 2 * periodMs);
  });
  if (short.length) notes.push(`the ${short.join(' and ')} phase${short.length > 1 ? 's are' : ' is'} shorter than two sampling periods (${Math.round(periodMs)} ms): the power is interpolated from the samples around ${short.length > 1 ? 'them' : 'it'} (partly idle), so that energy per token is rough; use more tokens (P, D) for a real figure`);
  notes.push(`energy per token = the phase's average battery discharge power (current_now × voltage_now, sampled at ${rec.sampling?.achievedHz ?? '?'} Hz) ÷ its token rate; it includes the whole phone's draw (idle ${energy.idlePowerW ?? '?'} W)`);
  return { energy, notes };
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

/** The hottest temperature in a sample (°C), over every zone and HAL reading. */
export function maxTemp(s: LlmSample): number | undefined {
  const v = Object.values(s.tempC ?? {}).filter((x) => Number.isFinite(x));
  return v.length ? Math.max(...v) : undefined;
}

/** The highest CPU frequency in a sample (the fastest core, kHz). */
function maxFreq(s: LlmSample): number | undefined {
  return s.cpuFreqKhz?.length ? Math.max(...s.cpuFreqKhz) : undefined;
}

/**
 * Thermal summary: status at start / max / end, temperatures, and throttling: the status rose above its start,
 * or the fastest core's frequency in the last third of the decode phases fell below 90 % of the first third's.
 */
export function thermalOf(rec: LlmRunRecord, startStatus: number | undefined, cooldowns: LlmThermal['cooldowns']): LlmThermal {
  const samples = rec.sampling?.samples ?? [];
  const statuses = samples.filter((s) => s.thermalStatus !== undefined).map((s) => s.thermalStatus as number);
  const temps = samples.map(maxTemp).filter((x): x is number => x !== undefined);
  const th: LlmThermal = { throttled: false };
  th.startStatus = startStatus ?? statuses[0];
  if (statuses.length) {
    th.maxStatus = Math.max(...statuses);
    th.endStatus = statuses[statuses.length - 1];
  }
  if (temps.length) {
    th.startTempC = round(temps[0], 2);
    th.maxTempC = round(Math.max(...temps), 2);
  }
  if (th.maxStatus !== undefined && th.startStatus !== undefined && th.maxStatus > th.startStatus) th.throttled = true;
  const decodes = (rec.phases ?? []).filter((p) => p.name === 'decode');
  if (decodes.length) {
    const from = decodes[0].startMs;
    const to = decodes[decodes.length - 1].endMs;
    const inDecode = samples.filter((s) => s.t >= from && s.t <= to && maxFreq(s) !== undefined);
    if (inDecode.length >= 6) {
      const k = Math.floor(inDecode.length / 3);
      const mean = (xs: LlmSample[]) => xs.reduce((a, s) => a + (maxFreq(s) as number), 0) / xs.length;
      if (mean(inDecode.slice(-k)) < 0.9 * mean(inDecode.slice(0, k))) th.throttled = true;
    }
  }
  if (cooldowns?.length) th.cooldowns = cooldowns;
  return th;
}
