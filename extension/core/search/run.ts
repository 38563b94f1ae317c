import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { loadTables, type LatencyTable } from './table';
import { ofaSpace, ofaBlocks, ofaEncode, type OfaArch } from './ofa';
import { FBNET, LayeredSpace, parseChoice, type LayerPlan, type LayeredSpaceJson } from './layered';
import { NaswotProxy, OnnxPredictor } from './proxy';
import { OfaPredictor, TablePredictor, type AccuracyEstimator } from './predictor';
import { latencyOf, search, type Algorithm, type Point, type SearchResult } from './search';
import type { SearchSpace } from './space';
import { buildOfaBlockModel, buildOfaNetwork } from './build';
import { buildTable, timeOnHost } from './measure';
import { Rng } from './rng';
import { describeLayered, describeOfa, type ArchView } from './describe';
import { latencyTrust, type LatencyTrust } from './trust';
import { writeFileAtomicNoClobber } from '../util/fsAtomic';
import type { CancelSignal } from '../util/progress';

export interface SearchRequest {
  space: string;
  table: string;
  predictor?: string;
  budgetMs: number;
  algorithm: Algorithm;
  evaluations: number;
  seed: number;
  soft?: boolean;
  /** For layered spaces (fbnet, space files): only these candidate blocks (e.g. k3_e3, k5_e6, skip). */
  blocks?: string[];
  signal?: CancelSignal;
  onProgress?: Parameters<typeof search>[3]['onProgress'];
}

/** `mobileai search --json` prints this (README). */
export interface SearchReport {
  schema: 'mobileai.search/1';
  space: string;
  table: {
    device: string;
    source: string;
    resolutions: Array<number | null>;
    /** How the table predicts (block sums, or kernels as onnxruntime fuses them); measured on this machine (no serial) or a phone. */
    predictor?: 'blocks' | 'kernels';
    host?: boolean;
    /** onnxruntime intra-op threads it was measured with (absent: onnxruntime's default). */
    threads?: number;
  };
  score: { kind: 'accuracy' | 'proxy'; label: string };
  algorithm: Algorithm;
  seed: number;
  budgetMs: number;
  evaluations: number;
  wallSeconds: number;
  best: (ReportPoint & { view: ArchView }) | null;
  front: ReportPoint[];
  history: Array<{ evaluations: number; bestScore: number }>;
  /** Where the accuracy estimator ran (onnxruntime: the batched predictor). */
  backend?: 'onnxruntime' | 'typescript';
  /** How far the table's latencies can be trusted: its check report (`mobileai table check`), or unchecked. */
  trust?: LatencyTrust;
}

export interface ReportPoint { id: string; arch: unknown; latencyMs: number; score: number }

/** One space, several phones (`mobileai search --table A --table B`): the best per phone and how they compare. */
export interface MultiSearchReport {
  schema: 'mobileai.search-targets/1';
  space: string;
  score: { kind: 'accuracy' | 'proxy'; label: string };
  algorithm: Algorithm;
  seed: number;
  evaluations: number;
  wallSeconds: number;
  targets: Array<{ name: string; report: SearchReport }>;
  /**
   * rows: each target's best architecture; latencyMs[i][j]: that architecture on target j's table (null: not
   * in the table); fits[i][j]: within target j's budget.
   */
  comparison: { names: string[]; ids: Array<string | null>; scores: Array<number | null>; latencyMs: Array<Array<number | null>>; fits: boolean[][] };
}

export interface SearchTarget {
  name: string;
  table: string;
  budgetMs?: number;
}

/** A space with what it takes to build its networks and blocks as ONNX. */
export interface SpaceKit<A> {
  space: SearchSpace<A>;
  network(a: A, opts?: { seed?: number; batch?: number; weights?: Map<string, Float32Array> }): onnx.IModelProto;
  blockModels(a: A): Array<{ key: string; model: onnx.IModelProto }>;
  blockModelForKey(key: string): onnx.IModelProto;
  /** A float32 encoding of an architecture, for ONNX predictors. */
  encode(a: A): Float32Array;
  /** The architecture per stage, for people. */
  describe(a: A): ArchView;
}

const ofaKit: SpaceKit<OfaArch> = {
  space: ofaSpace,
  network: (a, o) => {
    const m = buildOfaNetwork(a, o);
    if (o?.batch && o.batch !== 1) {
      const d = m.graph?.input?.[0]?.type?.tensorType?.shape?.dim;
      if (d?.[0]) d[0].dimValue = o.batch;
      const od = m.graph?.output?.[0]?.type?.tensorType?.shape?.dim;
      if (od?.[0]) od[0].dimValue = o.batch;
    }
    return m;
  },
  blockModels: (a) => ofaBlocks(a).map((b) => ({ key: b.key, model: buildOfaBlockModel(b) })),
  blockModelForKey: (key) => buildOfaBlockModel(blockForKey(key)),
  encode: (a) => Float32Array.from(ofaEncode(a)),
  describe: (a) => describeOfa(a),
};

function layeredKit(space: LayeredSpace): SpaceKit<string[]> {
  const byKey = new Map<string, LayerPlan>();
  return {
    space,
    network: (a, o) => space.buildNetwork(a, o),
    blockModels: (a) => space.plan(a).map((p) => ({ key: p.key, model: space.buildBlockModel(p) })),
    blockModelForKey: (key) => {
      if (!byKey.size) {
        const base = space.spec.layers.map((l) => l.choices.find((c) => c !== 'skip') ?? l.choices[0]);
        const addPlan = (a: string[]) => space.plan(a).forEach((p) => byKey.set(p.key, p));
        addPlan(base);
        space.spec.layers.forEach((l, i) => l.choices.forEach((c) => { try { const a = [...base]; a[i] = c; addPlan(a); } catch { /* not allowed here */ } }));
      }
      const p = byKey.get(key);
      if (!p) throw new Error(`not a block key of ${space.id}: ${key}`);
      return space.buildBlockModel(p);
    },
    describe: (a) => describeLayered(space, a),
    encode: (a) => {
      const v: number[] = [];
      space.spec.layers.forEach((l, i) => l.choices.forEach((c) => v.push(c === a[i] ? 1 : 0)));
      return Float32Array.from(v);
    },
  };
}

/** `ofa-mbv3`, `fbnet`, or a space file (`mobileai.space/1` JSON). */
/** A layered space with only some candidate blocks; every layer must keep at least one. */
export function restrictBlocks(spec: LayeredSpaceJson, blocks: string[]): LayeredSpaceJson {
  for (const b of blocks) parseChoice(b);
  const allowed = new Set(blocks);
  const layers = spec.layers.map((l, i) => {
    const choices = l.choices.filter((c) => allowed.has(c));
    if (!choices.length) throw new Error(`with blocks ${blocks.join(', ')}, layer ${i + 1} of ${spec.name} (out ${l.out}, stride ${l.stride}) has no candidate left (it allows ${l.choices.join(', ')})`);
    return { ...l, choices };
  });
  return { ...spec, layers };
}

export async function resolveKit(id: string, opts: { blocks?: string[] } = {}): Promise<SpaceKit<unknown>> {
  const blocks = opts.blocks?.length ? opts.blocks : undefined;
  if (id === 'ofa-mbv3' || id === 'ofa') {
    if (blocks) throw new Error('"blocks" applies to layered spaces (fbnet or a space file); Once-for-All chooses kernel, expansion and depth instead');
    return ofaKit as SpaceKit<unknown>;
  }
  if (id === 'fbnet') return layeredKit(new LayeredSpace(blocks ? restrictBlocks(FBNET, blocks) : FBNET)) as SpaceKit<unknown>;
  const text = await fs.readFile(id, 'utf8').catch(() => {
    throw new Error(`unknown search space "${id}": use ofa-mbv3, fbnet, or a space file (mobileai.space/1 JSON)`);
  });
  let json: LayeredSpaceJson;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`space file ${path.basename(id)} is not JSON: ${(err as Error).message}`);
  }
  return layeredKit(new LayeredSpace(blocks ? restrictBlocks(json, blocks) : json)) as SpaceKit<unknown>;
}

/** For callers that only handle Once-for-All (kept for the editor's quick flow). */
export function resolveSpace(id: string): SearchSpace<OfaArch> {
  if (id === 'ofa-mbv3' || id === 'ofa') return ofaSpace;
  throw new Error(`unknown search space "${id}" (available: ofa-mbv3)`);
}

/**
 * The accuracy estimator: the Once-for-All predictor (weights JSON), a JSON table of accuracies, an ONNX
 * predictor (input: the architecture's encoding), or the NASWOT proxy (`naswot`), which is labelled a proxy.
 */
export async function loadEstimatorFor(kit: SpaceKit<unknown>, file: string | undefined): Promise<AccuracyEstimator<unknown>> {
  if (file === 'naswot') return new NaswotProxy((a, batch) => kit.network(a, { batch }));
  if (file?.toLowerCase().endsWith('.onnx')) return new OnnxPredictor(`predicted accuracy (${path.basename(file)})`, file, (a) => kit.encode(a));
  if (kit.space.id === 'ofa-mbv3') return (await loadEstimator(ofaSpace, file)) as AccuracyEstimator<unknown>;
  if (!file) throw new Error(`give an accuracy estimator for ${kit.space.id}: --predictor FILE (a JSON table of accuracies, or an ONNX predictor) or --predictor naswot (a zero-cost proxy)`);
  return (await loadEstimator(kit.space as unknown as SearchSpace<OfaArch>, file)) as AccuracyEstimator<unknown>;
}

export async function loadEstimator(space: SearchSpace<OfaArch>, file: string | undefined): Promise<AccuracyEstimator<OfaArch>> {
  if (!file) throw new Error('give an accuracy estimator: --predictor FILE (the Once-for-All predictor weights JSON, or a JSON table of accuracies by architecture id), or --predictor naswot (a zero-cost proxy)');
  const text = await fs.readFile(file, 'utf8').catch(() => {
    throw new Error(`predictor ${file} cannot be read`);
  });
  const head = text.slice(0, 200);
  if (head.includes('"0.weight"')) return OfaPredictor.load(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`predictor ${path.basename(file)} is not JSON: ${(err as Error).message}`);
  }
  if (json && typeof json === 'object' && Object.values(json).every((v) => typeof v === 'number')) {
    return new TablePredictor(`accuracy table (${path.basename(file)})`, json as Record<string, number>, (a) => space.id_(a));
  }
  throw new Error(`${path.basename(file)} is neither the Once-for-All predictor weights nor a JSON table { "<architecture id>": accuracy }`);
}

const pointJson = <A>(space: SearchSpace<A>, p: Point<A>): ReportPoint => ({ id: p.id, arch: space.toJson(p.arch), latencyMs: p.latencyMs, score: p.score });

export async function runSearch(req: SearchRequest): Promise<SearchReport> {
  const kit = await resolveKit(req.space, { blocks: req.blocks });
  const space = kit.space;
  const tables: LatencyTable[] = await loadTables(req.table);
  const estimator = await loadEstimatorFor(kit, req.predictor);
  const r: SearchResult<unknown> = await search(space, tables, estimator, { algorithm: req.algorithm, budgetMs: req.budgetMs, evaluations: req.evaluations, seed: req.seed, soft: req.soft, signal: req.signal, onProgress: req.onProgress });
  return reportOf(kit, req.table, tables, r);
}

/** The architecture's id and view, for a point the panel shows. */
export async function viewOf(spaceId: string, arch: unknown, blocks?: string[]): Promise<ArchView> {
  const kit = await resolveKit(spaceId, { blocks });
  return kit.describe(kit.space.fromJson(arch));
}

async function reportOf(kit: SpaceKit<unknown>, tablePath: string, tables: LatencyTable[], r: SearchResult<unknown>): Promise<SearchReport> {
  const space = kit.space;
  return {
    schema: 'mobileai.search/1',
    space: space.id,
    table: {
      device: tables[0].device.label, source: [...new Set(tables.map((t) => t.provenance.source))].join(', '), resolutions: tables.map((t) => t.resolution ?? null),
      predictor: tables[0].predictor ?? 'blocks', host: !tables[0].device.serial, ...(tables[0].threads ? { threads: tables[0].threads } : {}),
    },
    score: { kind: r.scoreKind, label: r.scoreLabel },
    algorithm: r.algorithm,
    seed: r.seed,
    budgetMs: r.budgetMs,
    evaluations: r.evaluations,
    wallSeconds: r.wallMs / 1000,
    best: r.best ? { ...pointJson(space, r.best), view: kit.describe(r.best.arch) } : null,
    front: r.front.map((p) => pointJson(space, p)),
    history: r.history,
    backend: r.backend,
    trust: await latencyTrust(tablePath, tables),
  };
}

/**
 * One search per target (same space, estimator, algorithm and seed; each target's own table and budget),
 * then every target's best architecture costed on every target's table.
 */
export async function runMultiSearch(req: Omit<SearchRequest, 'table' | 'onProgress'> & { targets: SearchTarget[]; onProgress?: (target: number, p: Parameters<NonNullable<SearchRequest['onProgress']>>[0]) => void }): Promise<MultiSearchReport> {
  if (req.targets.length < 1) throw new Error('give at least one target (a latency table)');
  const names = req.targets.map((t) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`two targets are named "${dup}": name each table differently`);
  const t0 = performance.now();
  const kit = await resolveKit(req.space, { blocks: req.blocks });
  const estimator = await loadEstimatorFor(kit, req.predictor);
  const loaded = await Promise.all(req.targets.map((t) => loadTables(t.table)));
  const targets: MultiSearchReport['targets'] = [];
  for (const [i, t] of req.targets.entries()) {
    const budgetMs = t.budgetMs ?? req.budgetMs;
    const r = await search(kit.space, loaded[i], estimator, { algorithm: req.algorithm, budgetMs, evaluations: req.evaluations, seed: req.seed, soft: req.soft, signal: req.signal, onProgress: req.onProgress && ((p) => req.onProgress?.(i, p)) });
    targets.push({ name: t.name, report: await reportOf(kit, t.table, loaded[i], r) });
  }
  const latencyMs = targets.map((row) => loaded.map((tables) => {
    if (!row.report.best) return null;
    try {
      return latencyOf(kit.space, tables, kit.space.fromJson(row.report.best.arch));
    } catch {
      return null;
    }
  }));
  return {
    schema: 'mobileai.search-targets/1',
    space: kit.space.id,
    score: { kind: estimator.kind, label: estimator.label },
    algorithm: req.algorithm,
    seed: req.seed,
    evaluations: req.evaluations,
    wallSeconds: (performance.now() - t0) / 1000,
    targets,
    comparison: {
      names,
      ids: targets.map((t) => t.report.best?.id ?? null),
      scores: targets.map((t) => t.report.best?.score ?? null),
      latencyMs,
      fits: latencyMs.map((row) => row.map((l, j) => l !== null && l <= targets[j].report.budgetMs)),
    },
  };
}

export interface ExportReport {
  file: string;
  bytes: number;
  /**
   * The latency the check predicts: with the search's table measured on this machine, the search's own
   * prediction (that table, its predictor and threads); otherwise the sum of this machine's block latencies,
   * measured now block by block.
   */
  predictedHostMs: number;
  /** The exported network, timed whole on this machine as the predicting table was measured. */
  measuredHostMs: number;
  /** (predicted − measured) / measured × 100. */
  errorPercent: number;
  /** What was compared, in words: the table, its predictor, and how the network was timed. */
  basis: string;
  /** With a phone's table: its prediction for the phone (this host check does not test it; `mobileai table check --device` does). */
  phone?: { device: string; predictedMs: number };
}

/**
 * Writes the architecture's real network as ONNX (random or supplied weights) and times it whole on this
 * machine. With the search's table measured on this machine (`table`), the check is the search's own
 * prediction against that measurement, timed as the table was (its thread count; one thread: the median
 * over interleaved runs of the run's CPU time, as `mobileai table check` does). Without one, or with a
 * phone's table, the host check is the block sum measured now.
 */
export async function exportArchitecture(spaceId: string, archJson: unknown, out: string, opts: { seed?: number; weightsFile?: string; runs?: number; table?: SearchReport['table']; predictedMs?: number } = {}): Promise<ExportReport> {
  const kit = await resolveKit(spaceId);
  const space = kit.space;
  const arch = space.fromJson(archJson);
  let weights: Map<string, Float32Array> | undefined;
  if (opts.weightsFile) {
    const m = onnx.ModelProto.decode(await fs.readFile(opts.weightsFile));
    weights = new Map((m.graph?.initializer ?? []).map((t) => [t.name ?? '', new Float32Array(new Uint8Array(t.rawData ?? []).slice().buffer)]));
  }
  const model = kit.network(arch, { seed: opts.seed, weights });
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject(model as Record<string, unknown>)).finish();
  await writeFileAtomicNoClobber(out, bytes);
  const t = opts.table;
  const runs = opts.runs ?? 30;
  if (t?.host && opts.predictedMs !== undefined) {
    // Timed as tables are checked: interleaved with other networks of the space at the same input size, so
    // no run finds the caches warm from its own last run (back to back alone, a network runs faster than it
    // does inside an app; that figure is given too).
    const { measureInterleaved } = await import('../latency/check');
    const rng = new Rng(opts.seed ?? 0);
    const res = space.keys(arch).resolution;
    const others: Uint8Array[] = [];
    for (let i = 0; i < 40 && others.length < 2; i++) {
      const c = space.sample(rng);
      if (space.keys(c).resolution !== res) continue;
      others.push(onnx.ModelProto.encode(onnx.ModelProto.fromObject(kit.network(c, { seed: i }) as Record<string, unknown>)).finish());
    }
    const [m] = await measureInterleaved([bytes, ...others], { runs, threads: t.threads });
    const [alone] = await measureInterleaved([bytes], { runs, threads: t.threads });
    const threads = t.threads ? `${t.threads} intra-op thread${t.threads > 1 ? 's' : ''}` : "onnxruntime's default threads";
    const clock = m.clock === 'cpu' ? 'CPU time of each run' : 'wall time';
    return {
      file: out, bytes: bytes.length, predictedHostMs: opts.predictedMs, measuredHostMs: m.ms, errorPercent: ((opts.predictedMs - m.ms) / m.ms) * 100,
      basis: `the search's ${t.predictor ?? 'blocks'} table (${t.device}, ${threads}) against the network timed here as tables are checked: median of ${runs} runs interleaved with ${others.length} other networks, ${clock}${m.clock === 'cpu' ? ` (wall median ${m.wallMedianMs.toFixed(3)} ms)` : ''}; back to back alone ${alone.ms.toFixed(3)} ms`,
    };
  }
  const blocks = kit.blockModels(arch);
  const table = await buildTable(blocks, { kind: 'host' }, { resolution: space.keys(arch).resolution, space: space.id }, { runs });
  const predicted = blocks.reduce((s, b) => s + table.entries[b.key].mean, 0);
  const measured = (await timeOnHost(bytes, { runs })).mean;
  return {
    file: out, bytes: bytes.length, predictedHostMs: predicted, measuredHostMs: measured, errorPercent: ((predicted - measured) / measured) * 100,
    basis: `this machine's blocks timed one at a time now, summed, against the network timed whole (median of ${runs} runs, wall time, onnxruntime's default threads)`,
    ...(t && !t.host && opts.predictedMs !== undefined ? { phone: { device: t.device, predictedMs: opts.predictedMs } } : {}),
  };
}

/** Builds a latency table for a space by measuring its blocks (all of them, or one resolution's). */
export async function buildSpaceTable(spaceId: string, resolution: number | undefined, target: Parameters<typeof buildTable>[1], o: Parameters<typeof buildTable>[3] = {}): Promise<LatencyTable[]> {
  const kit = await resolveKit(spaceId);
  const space = kit.space;
  const all = space.allKeys().filter((k) => resolution === undefined || k.resolution === resolution);
  if (!all.length && resolution !== undefined) throw new Error(`${space.id} has no blocks at resolution ${resolution} (resolutions: ${[...new Set(space.allKeys().map((k) => k.resolution))].join(', ')})`);
  const byRes = new Map<number | undefined, Array<{ key: string; resolution?: number }>>();
  for (const k of all) byRes.set(k.resolution, [...(byRes.get(k.resolution) ?? []), k]);
  const out: LatencyTable[] = [];
  for (const [res, keys] of byRes) {
    const blocksByKey = new Map<string, onnx.IModelProto>();
    for (const k of keys) blocksByKey.set(k.key, kit.blockModelForKey(k.key));
    const t = await buildTable([...blocksByKey].map(([key, model]) => ({ key, model })), target, { resolution: res, space: space.id, inputs: networkInputs(kit, res) }, o);
    if (target.kind === 'host' && (o.calibrationNetworks ?? 4) > 0) await calibrateTable(kit, t, res, o.calibrationNetworks ?? 4, o.runs ?? 20);
    out.push(t);
  }
  return out;
}

/** The network input a table's blocks belong to (read from a network of the space at that resolution). */
function networkInputs(kit: SpaceKit<unknown>, resolution: number | undefined): Array<{ name: string; shape: number[] }> | undefined {
  try {
    let a = kit.space.sample(new Rng(1));
    if (resolution !== undefined && (a as { r?: number }).r !== undefined) a = { ...(a as object), r: resolution } as unknown;
    return (kit.network(a).graph?.input ?? []).map((v) => ({ name: v.name ?? '', shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0)) }));
  } catch {
    return undefined;
  }
}

/**
 * Blocks timed one at a time carry costs a whole network does not repeat (a call per block, cold
 * caches between kernels). Time a few whole random networks of the space, and scale the entries by the
 * median ratio measured / Σ blocks, recorded in the table's provenance.
 */
async function calibrateTable(kit: SpaceKit<unknown>, t: LatencyTable, resolution: number | undefined, networks: number, runs: number): Promise<void> {
  const rng = new Rng(12345);
  const ratios: number[] = [];
  for (let i = 0, tries = 0; i < networks && tries < networks * 20; tries++) {
    let a = kit.space.sample(rng);
    if (resolution !== undefined && (a as { r?: number }).r !== undefined) a = { ...(a as object), r: resolution } as unknown;
    const { keys } = kit.space.keys(a);
    if (!keys.every((k) => t.entries[k])) continue;
    const predicted = keys.reduce((s, k) => s + t.entries[k].mean, 0);
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject(kit.network(a) as Record<string, unknown>)).finish();
    const measured = (await timeOnHost(bytes, { runs })).mean;
    if (predicted > 0) ratios.push(measured / predicted);
    i++;
  }
  if (!ratios.length) return;
  ratios.sort((x, y) => x - y);
  const factor = ratios[Math.floor(ratios.length / 2)];
  for (const e of Object.values(t.entries)) {
    e.mean *= factor;
    if (e.std !== undefined) e.std *= factor;
  }
  t.provenance.note = `${t.provenance.note ? `${t.provenance.note}; ` : ''}entries scaled by ${factor.toFixed(3)}, the median of whole-network / block-sum latency over ${ratios.length} random networks`;
}

/** Parses an OFA block key back into the block it names. */
export function blockForKey(key: string): ReturnType<typeof ofaBlocks>[number] {
  const dims = (s: string) => s.split('x').map(Number);
  let m = /^Conv-input:(\d+)x\d+x3-output:(\d+)x\d+x24$/.exec(key);
  if (m) return { key, kind: 'stem', inH: Number(m[1]), inC: 3, outH: Number(m[2]), outC: 24 };
  m = /^expanded_conv-input:([\dx]+)-output:([\dx]+)-expand:(\d+)-kernel:(\d+)-stride:(\d+)-idskip:(\d)-se:(\d)-hs:(\d)$/.exec(key);
  if (m) {
    const [ih, , ic] = dims(m[1]);
    const [oh, , oc] = dims(m[2]);
    const first = ic === 24 && oc === 24 && Number(m[3]) === 24;
    return { key, kind: first ? 'first' : 'mbconv', inH: ih, inC: ic, outH: oh, outC: oc, mid: Number(m[3]), k: Number(m[4]), stride: Number(m[5]), idskip: m[6] === '1', se: m[7] === '1', hs: m[8] === '1' };
  }
  m = /^Conv_1-input:(\d+)x\d+x192-output:/.exec(key);
  if (m) return { key, kind: 'final_expand', inH: Number(m[1]), inC: 192, outH: Number(m[1]), outC: 1152 };
  m = /^AvgPool2D-input:(\d+)x\d+x1152-/.exec(key);
  if (m) return { key, kind: 'pool', inH: Number(m[1]), inC: 1152, outH: 1, outC: 1152 };
  if (key === 'Conv_2-input:1x1x1152-output:1x1x1536') return { key, kind: 'feature', inH: 1, inC: 1152, outH: 1, outC: 1536 };
  if (key === 'Logits-input:1x1x1536-output:1000') return { key, kind: 'classifier', inH: 1, inC: 1536, outH: 1, outC: 1000 };
  throw new Error(`not an OFA block key: ${key}`);
}
