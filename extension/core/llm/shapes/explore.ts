/**
 * The shape explorer (PhoneLM's principle: pick the architecture by its speed on the device before training):
 * a space of decoder shapes, each candidate built with random weights and timed — prefill over P tokens, then D
 * decode steps — on the host (onnxruntime-node) or a phone; the results cached per device and shape, and the
 * Pareto fronts of parameters (more is better: capacity) against decode tok/s and against time to first token.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { paretoFront } from '../../search/search';
import { Rng } from '../../search/rng';
import { saveModel } from '../../onnx/model';
import { CancelledError, type CancelSignal, type ProgressSink } from '../../util/progress';
import { writeFileAtomicNoClobber } from '../../util/fsAtomic';
import type { AdbService } from '../../adb/adbService';
import { buildDecoderModel } from './build';
import { assertBuildable, countParams, describeShape, normalizeShape, ShapeError, shapeConfigJson, shapeKey, type DecoderShape, type FullShape } from './shape';

/** One field of a space: a value, a list of choices, or an integer range. */
export type Choice<T> = T | T[] | { min: number; max: number; step?: number };

export interface ShapeSpace {
  layers: Choice<number>;
  hidden: Choice<number>;
  heads: Choice<number>;
  kvHeads?: Choice<number>;
  headDim?: Choice<number>;
  ffn?: Choice<number>;
  ffnRatio?: Choice<number>;
  activation?: Choice<'silu' | 'gelu' | 'relu'>;
  vocab: Choice<number>;
  context?: Choice<number>;
  tiedEmbeddings?: Choice<boolean>;
  weights?: Choice<'fp32' | 'int8' | 'int4'>;
  norm?: Choice<'rms' | 'layer'>;
  positions?: Choice<'rope' | 'learned'>;
  mlp?: Choice<'gated' | 'plain'>;
  /** Measure a seeded random sample of this many valid candidates instead of all of them. */
  sample?: number;
  /** Seed of the sample (default 0). */
  seed?: number;
}

const FIELDS = ['layers', 'hidden', 'heads', 'kvHeads', 'headDim', 'ffn', 'ffnRatio', 'activation', 'vocab', 'context', 'tiedEmbeddings', 'weights', 'norm', 'positions', 'mlp'] as const;
/** More candidates than this need `sample`: each one is built and timed. */
export const MAX_CANDIDATES = 256;

function choices(field: string, v: unknown): unknown[] {
  if (v === undefined) return [undefined];
  if (Array.isArray(v)) {
    if (!v.length) throw new ShapeError(`space field ${field} is an empty list`);
    return v;
  }
  if (v && typeof v === 'object') {
    const r = v as { min?: unknown; max?: unknown; step?: unknown };
    const step = r.step ?? 1;
    if (typeof r.min !== 'number' || typeof r.max !== 'number' || typeof step !== 'number' || step <= 0 || r.max < r.min) throw new ShapeError(`space field ${field} must be a value, a list, or {min, max, step} with min ≤ max and step > 0`);
    const out: number[] = [];
    for (let x = r.min; x <= r.max + 1e-9 && out.length <= 4096; x += step) out.push(Math.round(x * 1e6) / 1e6);
    return out;
  }
  return [v];
}

export interface Enumeration {
  candidates: FullShape[];
  /** Combinations the builder refuses, grouped by reason (e.g. heads not dividing hidden). */
  rejected: Array<{ reason: string; count: number; example: DecoderShape }>;
  combinations: number;
  sampled: boolean;
}

/** Every valid shape of the space (or a seeded sample), without duplicates; nonsense combinations are counted by reason. */
export function enumerateShapes(space: ShapeSpace, limits: { minContext?: number } = {}): Enumeration {
  if (!space || typeof space !== 'object') throw new ShapeError('a shape space must be an object: {"layers": [..], "hidden": [..], "heads": [..], "vocab": ..}');
  const unknown = Object.keys(space).filter((k) => !(FIELDS as readonly string[]).includes(k) && k !== 'sample' && k !== 'seed');
  if (unknown.length) throw new ShapeError(`unknown space field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${FIELDS.join(', ')}, sample, seed)`);
  for (const f of ['layers', 'hidden', 'heads', 'vocab'] as const) if (space[f] === undefined) throw new ShapeError(`the space needs ${f}`);
  const lists = FIELDS.map((f) => [f, choices(f, (space as unknown as Record<string, unknown>)[f])] as const);
  const combinations = lists.reduce((a, [, l]) => a * l.length, 1);
  if (combinations > 1_000_000) throw new ShapeError(`the space has ${combinations} combinations: narrow it (at most 1,000,000)`);
  const seen = new Set<string>();
  const candidates: FullShape[] = [];
  const rejected = new Map<string, { reason: string; count: number; example: DecoderShape }>();
  const idx = lists.map(() => 0);
  for (let n = 0; n < combinations; n++) {
    const shape: Record<string, unknown> = {};
    lists.forEach(([f, l], i) => {
      if (l[idx[i]] !== undefined) shape[f] = l[idx[i]];
    });
    for (let i = lists.length - 1; i >= 0; i--) {
      if (++idx[i] < lists[i][1].length) break;
      idx[i] = 0;
    }
    try {
      const full = normalizeShape(shape as unknown as DecoderShape);
      assertBuildable(full);
      if (limits.minContext && full.context < limits.minContext) throw new ShapeError(`context ${full.context} is shorter than the ${limits.minContext} tokens timed (prompt + generated)`);
      const key = shapeKey(full);
      if (seen.has(key)) continue;
      seen.add(key);
      candidates.push(full);
    } catch (err) {
      if (!(err instanceof ShapeError)) throw err;
      const reason = err.message.replace(/\d+/g, 'N');
      const r = rejected.get(reason) ?? { reason: err.message, count: 0, example: shape as unknown as DecoderShape };
      r.count++;
      rejected.set(reason, r);
    }
  }
  let out = candidates;
  let sampled = false;
  if (space.sample !== undefined) {
    if (!Number.isInteger(space.sample) || space.sample < 1) throw new ShapeError(`sample must be a positive integer (got ${JSON.stringify(space.sample)})`);
    if (space.sample < candidates.length) {
      const rng = new Rng(space.seed ?? 0);
      const pool = [...candidates];
      for (let i = pool.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      out = pool.slice(0, space.sample);
      sampled = true;
    }
  }
  if (out.length > MAX_CANDIDATES) throw new ShapeError(`the space has ${out.length} valid shapes; each is built and timed, so at most ${MAX_CANDIDATES}: narrow it or add "sample": N`);
  return { candidates: out, rejected: [...rejected.values()], combinations, sampled };
}

/** A phone: `runnerPath` is onnxruntime_perf_test built for Android (the virtual phone has its own, leave it empty). */
export type ExploreTarget = { kind: 'host'; threads?: number } | { kind: 'phone'; adb: AdbService; serial: string; runnerPath?: string };

export interface ShapeResult {
  /** Cache key: shape + prompt and generated token counts. */
  key: string;
  shape: FullShape;
  description: string;
  params: number;
  nonEmbeddingParams: number;
  /** The built ONNX file's size. */
  sizeBytes: number;
  promptTokens: number;
  genTokens: number;
  repetitions: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  /** 1000 / decode tok/s. */
  decodeMsPerToken: number;
  timeToFirstTokenMs: number;
  modelLoadMs?: number;
  device: { kind: 'host' | 'phone' | 'virtual-phone'; label: string; key: string };
  measuredAt: string;
  /** Came from the cache: nothing was measured for it in this exploration. */
  cached: boolean;
  notes: string[];
}

export interface ExploreOptions {
  space: ShapeSpace;
  target: ExploreTarget;
  /** P (default 32). */
  promptTokens?: number;
  /** D (default 32). */
  genTokens?: number;
  /** Measured repetitions per candidate (default 2, after one warm-up). */
  repetitions?: number;
  /** Folder of the per-device caches, usually `<workspace>/.mobileai/llm-shapes`. */
  cacheRoot: string;
  /** Measure again even when cached. */
  refresh?: boolean;
  signal?: CancelSignal;
  progress?: ProgressSink;
  onResult?: (r: ShapeResult) => void;
}

export interface ShapeFront {
  /** Keys on the front of parameters (up) vs decode tok/s (up), by ascending decode latency. */
  decode: string[];
  /** Keys on the front of parameters (up) vs time to first token (down). */
  ttft: string[];
}

export interface ExploreResult {
  device: ShapeResult['device'];
  results: ShapeResult[];
  front: ShapeFront;
  /** Candidates measured in this exploration (the rest came from the cache). */
  measured: number;
  rejected: Enumeration['rejected'];
  cacheFile: string;
  cancelled: boolean;
  /** Candidates that failed to build or run, with the reason. */
  failures: Array<{ key: string; error: string }>;
}

interface CacheFile {
  schema: 'mobileai.llm-shapes/1';
  device: ShapeResult['device'];
  entries: Record<string, Omit<ShapeResult, 'cached'>>;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'device';
}

/** The cache's device identity: the host's name and CPU, or the phone's serial. */
export function deviceOf(target: ExploreTarget): ShapeResult['device'] {
  if (target.kind === 'host') {
    const cpu = os.cpus()[0]?.model?.trim() ?? 'cpu';
    const threads = target.threads ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    return { kind: 'host', label: `host CPU ${cpu} (${os.hostname()}, onnxruntime-node, ${threads} threads)`, key: slug(`host-${os.hostname()}-${cpu}-t${threads}`) };
  }
  return { kind: 'phone', label: `phone ${target.serial}`, key: slug(`phone-${target.serial}`) };
}

async function readCache(file: string, device: ShapeResult['device']): Promise<CacheFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return { schema: 'mobileai.llm-shapes/1', device, entries: {} };
  }
  try {
    const c = JSON.parse(text) as CacheFile;
    if (c.schema !== 'mobileai.llm-shapes/1' || !c.entries || typeof c.entries !== 'object') throw new Error('not a shape cache');
    return c;
  } catch {
    // A damaged cache is set aside (never deleted) and measuring starts afresh.
    await fs.rename(file, `${file}.damaged-${Date.now()}`).catch(() => undefined);
    return { schema: 'mobileai.llm-shapes/1', device, entries: {} };
  }
}

async function writeCache(file: string, c: CacheFile): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const h = await fs.open(tmp, 'wx');
  try {
    await h.writeFile(`${JSON.stringify(c, null, 1)}\n`);
    await h.sync();
  } finally {
    await h.close();
  }
  await fs.rename(tmp, file);
}

/** Pareto fronts over results: more parameters and faster decode; more parameters and shorter time to first token. */
export function shapeFronts(results: ReadonlyArray<Pick<ShapeResult, 'key' | 'params' | 'decodeTokensPerSecond' | 'timeToFirstTokenMs'>>): ShapeFront {
  const ok = results.filter((r) => r.decodeTokensPerSecond > 0 && Number.isFinite(r.timeToFirstTokenMs));
  const decode = paretoFront(ok.map((r) => ({ id: r.key, arch: r, latencyMs: 1000 / r.decodeTokensPerSecond, score: r.params })));
  const ttft = paretoFront(ok.map((r) => ({ id: r.key, arch: r, latencyMs: r.timeToFirstTokenMs, score: r.params })));
  return { decode: decode.map((p) => p.id), ttft: ttft.map((p) => p.id) };
}

/** What a phone measurement gives back (through `benchOnnxDecoderOnPhone`: onnxruntime_perf_test on prefill and fixed-context decode). */
interface PhoneFigures {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  timeToFirstTokenMs: number;
  modelLoadMs?: number;
  label?: string;
  kind?: 'phone' | 'virtual-phone';
  notes?: string[];
}

async function measureOnPhone(file: string, target: Extract<ExploreTarget, { kind: 'phone' }>, P: number, D: number, reps: number, signal?: CancelSignal): Promise<PhoneFigures> {
  const { benchOnnxDecoderOnPhone } = await import('../bench/index');
  const r = await benchOnnxDecoderOnPhone(target.adb, target.serial, file, { promptTokens: P, genTokens: D, repetitions: reps, runnerPath: target.runnerPath || undefined, signal });
  if (!(r.decode.mean > 0)) throw new Error('the phone run gave no decode rate');
  return {
    prefillTokensPerSecond: r.prefill.mean, decodeTokensPerSecond: r.decode.mean, timeToFirstTokenMs: r.timeToFirstTokenMs.mean, modelLoadMs: r.modelLoadMs,
    kind: r.builtinVirtual ? 'virtual-phone' : 'phone', notes: [`${r.runner}: decode at a fixed past of ${r.decodePast} tokens`, ...r.notes],
  };
}

/** Builds and times every candidate of the space that the cache does not already hold; returns all of them with the fronts. */
export async function exploreShapes(opts: ExploreOptions): Promise<ExploreResult> {
  const P = opts.promptTokens ?? 32;
  const D = opts.genTokens ?? 32;
  const reps = opts.repetitions ?? 2;
  if (!Number.isInteger(P) || P < 1 || !Number.isInteger(D) || D < 1) throw new ShapeError(`prompt and generated tokens must be positive integers (got ${P}, ${D})`);
  const en = enumerateShapes(opts.space, { minContext: P + D });
  if (!en.candidates.length) throw new ShapeError(`the space has no valid shape${en.rejected.length ? `: ${en.rejected.map((r) => `${r.count}× ${r.reason}`).join('; ')}` : ''}`);
  const device = deviceOf(opts.target);
  const cacheFile = path.join(opts.cacheRoot, `${device.key}.json`);
  const cache = await readCache(cacheFile, device);
  const results: ShapeResult[] = [];
  const failures: ExploreResult['failures'] = [];
  let measured = 0;
  let cancelled = false;
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-shapes-'));
  try {
    for (let i = 0; i < en.candidates.length; i++) {
      const shape = en.candidates[i];
      const key = `${shapeKey(shape)}|p${P}|n${D}`;
      const hit = cache.entries[key];
      if (hit && !opts.refresh) {
        const r: ShapeResult = { ...hit, cached: true };
        results.push(r);
        opts.onResult?.(r);
        continue;
      }
      if (opts.signal?.cancelled) {
        cancelled = true;
        break;
      }
      opts.progress?.report({ done: i, total: en.candidates.length, message: `${i + 1}/${en.candidates.length}: building ${describeShape(shape)}` });
      const file = path.join(tmp, `decoder-${i}.onnx`);
      try {
        const built = buildDecoderModel(shape);
        await saveModel(built.model, file);
        const sizeBytes = (await fs.stat(file)).size;
        opts.progress?.report({ done: i, total: en.candidates.length, message: `${i + 1}/${en.candidates.length}: timing prefill ${P} + decode ${D} on ${device.label}` });
        let fig: PhoneFigures;
        if (opts.target.kind === 'host') {
          const { runDecoder } = await import('../decoderRunner');
          const r = await runDecoder(file, { promptTokens: P, genTokens: D, repetitions: reps, warmup: 1, threads: opts.target.threads, signal: opts.signal });
          fig = { prefillTokensPerSecond: r.prefill.mean, decodeTokensPerSecond: r.decode.mean, timeToFirstTokenMs: r.timeToFirstTokenMs.mean, modelLoadMs: r.modelLoadMs, notes: [r.notes[0]] };
        } else {
          fig = await measureOnPhone(file, opts.target, P, D, reps, opts.signal);
          if (fig.kind === 'virtual-phone' && device.kind !== 'virtual-phone') {
            device.kind = 'virtual-phone';
            device.label = `virtual phone ${opts.target.serial} (onnxruntime-node on the host CPU, not a phone)`;
          }
        }
        const params = countParams(shape);
        const entry: Omit<ShapeResult, 'cached'> = {
          key, shape, description: describeShape(shape), params: params.total, nonEmbeddingParams: params.nonEmbedding, sizeBytes,
          promptTokens: P, genTokens: D, repetitions: reps,
          prefillTokensPerSecond: fig.prefillTokensPerSecond, decodeTokensPerSecond: fig.decodeTokensPerSecond, decodeMsPerToken: 1000 / fig.decodeTokensPerSecond,
          timeToFirstTokenMs: fig.timeToFirstTokenMs, modelLoadMs: fig.modelLoadMs, device: { ...device, label: fig.label ?? device.label },
          measuredAt: new Date().toISOString(), notes: [...built.notes, ...(fig.notes ?? [])],
        };
        cache.entries[key] = entry;
        await writeCache(cacheFile, cache);
        measured++;
        const r: ShapeResult = { ...entry, cached: false };
        results.push(r);
        opts.onResult?.(r);
      } catch (err) {
        if (err instanceof CancelledError) {
          cancelled = true;
          break;
        }
        failures.push({ key, error: err instanceof Error ? err.message : String(err) });
      } finally {
        await fs.rm(file, { force: true });
      }
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  opts.progress?.report({ done: en.candidates.length, total: en.candidates.length, message: cancelled ? 'cancelled' : 'done' });
  results.sort((a, b) => a.params - b.params || b.decodeTokensPerSecond - a.decodeTokensPerSecond);
  return { device, results, front: shapeFronts(results), measured, rejected: en.rejected, cacheFile, cancelled, failures };
}

/** Writes the shape's training config (LlamaConfig keys) to a new file; never overwrites. */
export async function exportShapeConfig(shape: DecoderShape | FullShape, file: string): Promise<Record<string, unknown>> {
  const cfg = shapeConfigJson(shape);
  await writeFileAtomicNoClobber(file, `${JSON.stringify(cfg, null, 2)}\n`);
  return cfg;
}

/** A space from JSON text (a file's contents or an inline argument); errors say what is wrong. */
export function parseSpace(text: string, what = 'the space'): ShapeSpace {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ShapeError(`${what} is not JSON: ${(err as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ShapeError(`${what} must be a JSON object of fields (layers, hidden, heads, vocab…)`);
  const o = v as Record<string, unknown>;
  return (o.space && typeof o.space === 'object' ? o.space : o) as ShapeSpace;
}

export { normalizeShape };
