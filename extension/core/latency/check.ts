import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOrt } from '../profile/ort';
import { decodeModel } from '../onnx/model';
import { modelFeeds } from '../inputs';
import type { AdbService } from '../adb/adbService';
import { shellCommand } from '../util/shellQuote';
import { resolveKit, type SpaceKit } from '../search/run';
import { latencyOf } from '../search/search';
import { loadTables, type LatencyTable } from '../search/table';
import { Rng } from '../search/rng';
import { uniquePath, writeFileAtomicNoClobber } from '../util/fsAtomic';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';
import { modelBytes } from './kernels';
import { stats } from '../profile/types';

/**
 * A table check (`mobileai.latency-check/1`, written by `mobileai table check` next to the table; README):
 * random networks of the space, each predicted from the table exactly as a search does (Σ entries of its
 * blocks) and measured whole on the device, with the error distribution.
 */
export interface CheckReport {
  schema: 'mobileai.latency-check/1';
  createdAt: string;
  table: { file: string; device: string; predictor: 'blocks' | 'kernels'; threads?: number; resolutions: Array<number | null> };
  space: string;
  device: { kind: 'host' | 'phone'; label: string; serial?: string };
  /** How each network was timed: `runs` runs per network in `runs` interleaved rounds (one run of each network per round), median. */
  /** `sharedWith`: the other tables checked against these very measurements (`checkTables`, `table check --against`). */
  measurement: { runs: number; warmup: number; interleaved: true; statistic: 'median'; clock: 'cpu' | 'wall'; threads?: number; runner: string; sharedWith?: string[] };
  seed: number;
  /**
   * `measuredMs`: with one intra-op thread, the median over the interleaved runs of the process's CPU time
   * during the run (the run's own cost: on an idle core it equals wall time; on a busy machine wall time
   * adds the time other processes hold the core); with more threads, the median wall time. `wallMedianMs`
   * and `wallMinMs` are the wall times of the same runs.
   */
  networks: Array<{ id: string; arch: unknown; predictedMs: number; measuredMs: number; wallMedianMs?: number; wallMinMs?: number; errorPercent: number }>;
  /** Errors are (predicted − measured) / measured × 100. */
  summary: { count: number; medianErrorPercent: number; medianAbsErrorPercent: number; p90AbsErrorPercent: number; maxAbsErrorPercent: number; within10Percent: number };
}

export class CheckReportError extends Error {}

export function summarizeErrors(errors: number[]): CheckReport['summary'] {
  const abs = stats(errors.map(Math.abs));
  return {
    count: errors.length,
    medianErrorPercent: stats(errors).p50,
    medianAbsErrorPercent: abs.p50,
    p90AbsErrorPercent: abs.p90,
    maxAbsErrorPercent: abs.max,
    within10Percent: errors.length ? errors.filter((e) => Math.abs(e) <= 10).length / errors.length : NaN,
  };
}

/** Reads a check report, with a clear error for anything else. */
export async function readCheckReport(file: string): Promise<CheckReport> {
  const text = await fs.readFile(file, 'utf8').catch(() => {
    throw new CheckReportError(`check report ${file} cannot be read`);
  });
  let v: CheckReport;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new CheckReportError(`${path.basename(file)} is not JSON: ${(err as Error).message}`);
  }
  if (!v || v.schema !== 'mobileai.latency-check/1' || !Array.isArray(v.networks) || !v.summary || !v.table) {
    throw new CheckReportError(`${path.basename(file)} is not a latency check report (expected schema "mobileai.latency-check/1")`);
  }
  for (const [i, n] of v.networks.entries()) {
    if (![n?.predictedMs, n?.measuredMs, n?.errorPercent].every((x) => typeof x === 'number' && Number.isFinite(x))) throw new CheckReportError(`${path.basename(file)}: network ${i + 1} lacks numeric predictedMs, measuredMs and errorPercent`);
  }
  return v;
}

/** Where a check of `table` is written: beside it, `<table>.check.json`, or `-1`, `-2`… when taken. */
export async function checkReportPath(table: string): Promise<string> {
  return uniquePath(`${table.replace(/\.json$/i, '')}.check.json`);
}

export type CheckTarget = { kind: 'host' } | { kind: 'phone'; adb: AdbService; serial: string; runner?: string };

export interface CheckOptions {
  networks?: number;
  /** ofa | fbnet | a space file; default: read from the table's keys. */
  space?: string;
  runs?: number;
  warmup?: number;
  seed?: number;
  signal?: CancelSignal;
  progress?: ProgressSink;
}

/** The space a table's keys belong to (Once-for-All keys start with the block name; layered ones with the space name). */
export function spaceOfTable(t: LatencyTable): string {
  const k = Object.keys(t.entries)[0] ?? '';
  if (k.startsWith('fbnet-')) return 'fbnet';
  return 'ofa-mbv3';
}

/**
 * Times networks on this machine, interleaved: every network gets a session (the table's thread count),
 * warm-up runs, then `runs` rounds that run each network twice and time the second run; the median per
 * network. Interleaving spreads a busy machine's changing load evenly over the networks; networks are taken
 * in groups of `group` so memory stays bounded.
 */
export interface Measured { ms: number; wallMedianMs: number; wallMinMs: number; clock: 'cpu' | 'wall' }

export async function measureInterleaved(models: Uint8Array[], o: { runs?: number; warmup?: number; threads?: number; signal?: CancelSignal; progress?: ProgressSink; group?: number }): Promise<Measured[]> {
  const ort = loadOrt();
  const out: Measured[] = [];
  const group = o.group ?? 64;
  const clock = o.threads === 1 ? 'cpu' : 'wall';
  for (let g = 0; g < models.length; g += group) {
    const idx = models.map((_, i) => i).slice(g, g + group);
    const sessions = [];
    try {
      for (const i of idx) {
        const s = await ort.InferenceSession.create(models[i], { graphOptimizationLevel: 'all', executionProviders: ['cpu'], logSeverityLevel: 3, ...(o.threads ? { intraOpNumThreads: o.threads } : {}) });
        const { feeds } = await modelFeeds(decodeModel(models[i]), {}, { inputNames: s.inputNames });
        sessions.push({ i, s, feeds, t: [] as number[], c: [] as number[] });
      }
      for (const x of sessions) for (let w = 0; w < (o.warmup ?? 3); w++) await x.s.run(x.feeds);
      for (let r = 0; r < (o.runs ?? 15); r++) {
        if (o.signal?.cancelled) throw new CancelledError('check cancelled');
        for (const x of sessions) {
          // One untimed run first: a network timed right after 63 others would find none of its weights in
          // cache; timed alone, as a user times it, it would.
          await x.s.run(x.feeds);
          const c = process.cpuUsage();
          const t = performance.now();
          await x.s.run(x.feeds);
          x.t.push(performance.now() - t);
          const d = process.cpuUsage(c);
          x.c.push((d.user + d.system) / 1000);
        }
      }
      for (const x of sessions) {
        const wall = stats(x.t);
        out[x.i] = { ms: clock === 'cpu' ? stats(x.c).p50 : wall.p50, wallMedianMs: wall.p50, wallMinMs: wall.min, clock };
      }
    } finally {
      for (const x of sessions) await x.s.release().catch(() => undefined);
    }
    o.progress?.report({ done: Math.min(g + group, models.length), total: models.length, message: `measured ${Math.min(g + group, models.length)}/${models.length} networks` });
  }
  return out;
}

/** Times networks on a phone with onnxruntime_perf_test (P50 of `runs` runs), interleaved in rounds of a few runs. */
export async function measureOnPhone(models: Uint8Array[], target: Extract<CheckTarget, { kind: 'phone' }>, o: { runs?: number; threads?: number; signal?: CancelSignal; progress?: ProgressSink }): Promise<number[]> {
  const remoteDir = '/data/local/tmp/mobileai/check';
  await target.adb.exec(target.serial, ['mkdir', '-p', remoteDir]);
  let runner = 'onnxruntime_perf_test';
  if (target.runner) {
    runner = `${remoteDir}/onnxruntime_perf_test`;
    await target.adb.push(target.serial, target.runner, runner, { mode: 0o755 });
  }
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-check-'));
  try {
    const remotes: string[] = [];
    for (let i = 0; i < models.length; i++) {
      const local = path.join(tmp, `net${i}.onnx`);
      await fs.writeFile(local, models[i]);
      remotes.push(`${remoteDir}/net${i}.onnx`);
      await target.adb.push(target.serial, local, remotes[i]);
    }
    const rounds = 3;
    const per = Math.max(1, Math.ceil((o.runs ?? 15) / rounds));
    const samples: number[][] = models.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < models.length; i++) {
        if (o.signal?.cancelled) throw new CancelledError('check cancelled');
        const res = await target.adb.exec(target.serial, [runner, '-m', 'times', '-r', String(per), '-e', 'cpu', '-I', ...(o.threads ? ['-x', String(o.threads)] : []), remotes[i]], { timeoutMs: 10 * 60 * 1000 });
        const text = res.stdout.toString('utf8');
        const p50 = /P50 Latency:\s*([\d.]+)\s*s/.exec(text);
        const avg = /Average inference time cost:\s*([\d.]+)\s*ms/.exec(text);
        if (res.exitCode !== 0 || (!p50 && !avg)) throw new Error(`measuring network ${i + 1} on ${target.serial} failed: ${(res.stderr.toString() || text).trim().split('\n').slice(-3).join(' | ')} (command: ${shellCommand([runner, remotes[i]])})`);
        samples[i].push(p50 ? Number(p50[1]) * 1000 : Number(avg?.[1]));
      }
      o.progress?.report({ done: r + 1, total: rounds, message: `round ${r + 1}/${rounds} on ${target.serial}` });
    }
    await target.adb.exec(target.serial, ['rm', '-rf', remoteDir]);
    return samples.map((s) => stats(s).p50);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Random architectures of the space, at resolutions the tables have, that every table set given can predict. */
export function heldOutArchs(kit: SpaceKit<unknown>, tables: LatencyTable[], n: number, seed: number, others: LatencyTable[][] = []): unknown[] {
  const rng = new Rng(seed);
  const res = tables.map((t) => t.resolution).filter((r): r is number => r !== undefined);
  const out: unknown[] = [];
  for (let i = 0, tries = 0; out.length < n && tries < n * 50; tries++, i++) {
    let a = kit.space.sample(rng);
    if (res.length && (a as { r?: number }).r !== undefined && !res.includes((a as { r: number }).r)) a = { ...(a as object), r: res[i % res.length] };
    try {
      for (const set of [tables, ...others]) latencyOf(kit.space, set, a);
      out.push(a);
    } catch {
      /* a block a table lacks: try another */
    }
  }
  if (out.length < n) throw new Error(`the table covers only ${out.length} of ${n} random networks of ${kit.space.id}`);
  return out;
}

/** Predicted (as a search predicts) against measured latency of `networks` random networks of the space. */
export async function checkTable(tableFile: string, target: CheckTarget, o: CheckOptions = {}): Promise<CheckReport> {
  return (await checkTables([tableFile], target, o))[0];
}

/**
 * Several tables of one space (e.g. a kernel table and a block table of the same phone) checked against ONE
 * measurement of the same held-out networks: the reports differ only by the tables' predictions, not by the
 * machine's load between two measuring sessions. The tables must be for the same thread count.
 */
export async function checkTables(tableFiles: string[], target: CheckTarget, o: CheckOptions = {}): Promise<CheckReport[]> {
  if (!tableFiles.length) throw new Error('no table to check');
  const sets = await Promise.all(tableFiles.map((f) => loadTables(f)));
  const tables = sets[0];
  const spaceId = o.space === 'ofa' ? 'ofa-mbv3' : o.space ?? spaceOfTable(tables[0]);
  const kit = await resolveKit(spaceId);
  for (let k = 1; k < sets.length; k++) {
    const id = o.space ? spaceId : spaceOfTable(sets[k][0]);
    if (id !== spaceId) throw new Error(`${tableFiles[k]} is a table of ${id}, ${tableFiles[0]} of ${spaceId}: tables checked together must share a space`);
    if ((sets[k][0].threads ?? 0) !== (tables[0].threads ?? 0)) throw new Error(`${tableFiles[k]} was built for ${sets[k][0].threads ?? 'default'} thread(s), ${tableFiles[0]} for ${tables[0].threads ?? 'default'}: one measurement cannot serve both`);
  }
  const seed = o.seed ?? 7;
  const archs = heldOutArchs(kit, tables, o.networks ?? 50, seed, sets.slice(1));
  const models = archs.map((a) => modelBytes(kit.network(a)));
  const threads = tables[0].threads;
  const runs = o.runs ?? 15;
  let device: CheckReport['device'] = { kind: 'host', label: `host CPU (${os.cpus()[0]?.model?.trim() ?? os.arch()}, ${os.cpus().length} cores)` };
  let measured: Measured[];
  if (target.kind === 'host') {
    measured = await measureInterleaved(models, { runs, warmup: o.warmup ?? 3, threads, signal: o.signal, progress: o.progress });
  } else {
    const info = await target.adb.info(target.serial);
    device = { kind: 'phone', label: [info.manufacturer, info.model].filter(Boolean).join(' ') || target.serial, serial: target.serial };
    if (!info.virtual && !target.runner) throw new Error(`checking on ${device.label} needs onnxruntime_perf_test built for Android (CLI: --ort-runner PATH)`);
    measured = (await measureOnPhone(models, target, { runs, threads, signal: o.signal, progress: o.progress })).map((ms) => ({ ms, wallMedianMs: ms, wallMinMs: NaN, clock: 'wall' as const }));
  }
  const createdAt = new Date().toISOString();
  return sets.map((set, k) => {
    const predicted = archs.map((a) => latencyOf(kit.space, set, a));
    const networks = archs.map((a, i) => ({
      id: kit.space.id_(a), arch: kit.space.toJson(a), predictedMs: predicted[i], measuredMs: measured[i].ms,
      ...(target.kind === 'host' ? { wallMedianMs: measured[i].wallMedianMs, wallMinMs: measured[i].wallMinMs } : {}),
      errorPercent: ((predicted[i] - measured[i].ms) / measured[i].ms) * 100,
    }));
    return {
      schema: 'mobileai.latency-check/1' as const,
      createdAt,
      table: { file: path.resolve(tableFiles[k]), device: set[0].device.label, predictor: set[0].predictor ?? 'blocks', ...(threads ? { threads } : {}), resolutions: set.map((t) => t.resolution ?? null) },
      space: kit.space.id,
      device,
      measurement: { runs, warmup: o.warmup ?? 3, interleaved: true, statistic: 'median' as const, clock: measured[0]?.clock ?? 'wall', ...(threads ? { threads } : {}), runner: target.kind === 'host' ? 'onnxruntime-node' as const : 'onnxruntime_perf_test' as const, ...(sets.length > 1 ? { sharedWith: tableFiles.filter((_, j) => j !== k).map((f) => path.resolve(f)) } : {}) },
      seed,
      networks,
      summary: summarizeErrors(networks.map((n) => n.errorPercent)),
    };
  });
}

/** Writes a report beside the table (atomic; never over an existing file); returns its path. */
export async function writeCheckReport(report: CheckReport, file?: string): Promise<string> {
  const out = file ?? (await checkReportPath(report.table.file));
  await writeFileAtomicNoClobber(out, `${JSON.stringify(report, null, 2)}\n`);
  return out;
}
