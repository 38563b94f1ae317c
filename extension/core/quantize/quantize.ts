import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { decodeModel, externalRef, OnnxFormatError, readExternalData } from '../onnx/model';
import { checkModel, customDomainOps, describeProblems } from '../onnx/check';
import { ShapeInference } from '../onnx/shapes';
import { loadOrt, OrtModelError } from '../profile/ort';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';
import { writeFileAtomicNoClobber } from '../util/fsAtomic';
import { RangeCollector, augment, defaultConventions, inputSpecs, requireShapes, sampleRecords, samples, type CalibrationSpec, type Method, type Sample } from './calibration';
import { DYNAMIC_OPS, defaultOpset, normalizeModel, planStatic, rewriteDynamic, rewriteInt4, rewriteStatic, type RewriteOptions, type RewriteStats } from './rewrite';
import { QuantizeError, eachGraph, subgraphsOf } from './tensors';
import { upgradeOpset, type OpsetUpgrade } from './opset';
import { initializerFeeds } from '../profile/inputs';
import { CONVENTION_LABEL } from '../inputs';
import { FloatReference, augmentedDrift, describeDrift, interleavedLatency, rangeFidelity, type FidelityReport } from './report';
import { DEFAULT_TARGET, accuracyAware, calibrationOnly, confirm, evaluationSamples, freshGroups, graphConsumers, type AccuracyOutcome, type AccuracyTarget } from './accuracy';
import { equalize, type EqualizeReport } from './equalize';
import { applyBiasCorrections, biasCorrections, type BiasCorrection, type BiasReport } from './biasCorrection';

export type Mode = 'dynamic' | 'static' | 'int4';

export interface QuantizeRequest {
  input: string;
  output: string;
  mode: Mode;
  method?: Method;
  percentile?: number;
  perChannel?: boolean;
  /** U8S8 (uint8 activations) instead of the default S8S8. */
  u8s8?: boolean;
  reduceRange?: boolean;
  symmetricActivations?: boolean;
  symmetricWeights?: boolean;
  blockSize?: number;
  int4Symmetric?: boolean;
  /**
   * Node names to keep in float (exactly as the report's `quantized.nodes`/`sensitivity[].node` name them;
   * unnamed nodes get `<OpType>_<first output>`). Nodes inside subgraphs are named the same way.
   */
  exclude?: string[];
  /** Put QDQ on Softmax too (its output then gets the fixed range [0, 1]); default: Softmax stays float, as in ONNX Runtime's tool. */
  quantizeSoftmax?: boolean;
  excludeOpTypes?: string[];
  keepFirstLast?: boolean;
  calibration?: CalibrationSpec;
  /** Held-out inputs for the report (default: random ones, or the last few calibration samples). */
  evaluation?: CalibrationSpec;
  maxCalibrationSamples?: number;
  evalSamples?: number;
  dims?: Record<string, number>;
  /** Shapes, values and dims of the inputs for calibration and evaluation data (core/inputs); `dims` is the older form. */
  inputs?: import('../inputs').InputOverrides;
  /** Per-layer sensitivity: how much each quantized layer alone costs (slower; on by default for ≤ 64 layers). */
  sensitivity?: boolean;
  /** Fidelity target on held-out inputs (default cosine ≥ 0.99, top-1 agreement ≥ 0.98); a miss is a failure in the report. */
  target?: Partial<AccuracyTarget>;
  /** When the target is missed, keep the most sensitive layers in float one at a time (default true). */
  accuracyAware?: boolean;
  /** Cross-layer equalization before calibration (Conv/Gemm pairs, BatchNorm folded first). */
  cle?: boolean;
  /** Bias correction of the weight-quantization shift (empirical from calibration data, analytical from BatchNorm). */
  biasCorrection?: boolean;
  latencyRuns?: number;
  progress?: ProgressSink;
  signal?: CancelSignal;
}

/** `mobileai quantize --json` prints this (README). */
export interface QuantizeReport {
  schema: 'mobileai.quantize/1';
  input: { file: string; bytes: number };
  output: { file: string; bytes: number };
  mode: Mode;
  settings: Record<string, unknown>;
  quantized: { nodes: number; byOpType: Record<string, number>; skipped: Array<{ node: string; reason: string }>; names?: string[] };
  calibration?: { source: string; samples: number; method: Method; warning?: string; ranges?: string[] };
  /** The shapes and values the fidelity and latency were measured at (one evaluation sample's). */
  inputs?: import('../inputs').InputRecord[];
  fidelity: FidelityReport;
  sensitivity: Array<{ node: string; opType: string; sqnrDb: number; cosine: number }>;
  /** The fidelity target, whether it was met, and what was kept in float to meet it (and why). */
  accuracy: AccuracyOutcome;
  /** Cross-layer equalization and bias correction, when asked for. */
  preprocessing?: { cle?: EqualizeReport; biasCorrection?: BiasReport };
  latency: { runs: number; floatMs: { p50: number; mean: number }; quantizedMs: { p50: number; mean: number }; speedup: number };
  warnings: string[];
  seconds: number;
  createdAt: string;
}

export const RANDOM_WARNING = 'calibrated on random inputs: activation ranges then reflect noise, not real data, so accuracy after static quantization can be much worse than it needs to be. Give --calibration with real samples.';

/** The user's shapes, values and dims (the older `dims` merged in). */
export function inputOverrides(req: QuantizeRequest): import('../inputs').InputOverrides {
  return { ...req.inputs, dims: { ...req.dims, ...req.inputs?.dims } };
}

function step(req: QuantizeRequest, done: number, total: number, message: string): void {
  if (req.signal?.cancelled) throw new CancelledError('quantization cancelled');
  req.progress?.report({ done, total, message });
}

async function session(bytes: Uint8Array | string, level: 'disabled' | 'all' = 'all', what = 'the model'): Promise<InferenceSession> {
  const ort = loadOrt();
  try {
    return typeof bytes === 'string'
      ? await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, logSeverityLevel: 3 })
      : await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, logSeverityLevel: 3 });
  } catch (err) {
    throw new OrtModelError(what, (err as Error).message);
  }
}

function baseOptions(req: QuantizeRequest): RewriteOptions {
  return {
    perChannel: req.perChannel ?? false,
    symmetricWeights: req.symmetricWeights ?? true,
    activationType: req.u8s8 ? 'uint8' : 'int8',
    symmetricActivations: req.symmetricActivations ?? false,
    reduceRange: req.reduceRange ?? false,
    blockSize: req.blockSize ?? 32,
    int4Symmetric: req.int4Symmetric ?? true,
    excludeNodes: req.exclude ?? [],
    excludeOpTypes: req.excludeOpTypes ?? [],
    keepFirstLast: req.keepFirstLast ?? false,
    quantizeSoftmax: req.quantizeSoftmax ?? false,
  };
}

/** Ops that show a model is quantized already. */
const QUANTIZED_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QLinearConv', 'QLinearMatMul', 'QLinearAdd', 'QLinearMul', 'QLinearConcat', 'QLinearSigmoid', 'QLinearLeakyRelu', 'QLinearAveragePool', 'QLinearGlobalAveragePool', 'QLinearSoftmax', 'QGemm', 'QAttention', 'MatMulNBits', 'MatMulBnb4', 'DynamicQuantizeMatMul', 'DynamicQuantizeLSTM', 'MatMulIntegerToFloat', 'GatherBlockQuantized']);

/**
 * Why a model cannot be quantized, before anything runs: custom-domain ops plain onnxruntime lacks, a model
 * that is quantized already, float16/bfloat16 weights. Undefined when it can go ahead.
 */
export function refusalReason(model: onnx.ModelProto, file: string): string | undefined {
  const custom = customDomainOps(model);
  if (custom.length) {
    const kinds = [...new Set(custom.map((c) => `${c.op} (domain ${c.domain})`))];
    return `${file} uses custom-domain ops that plain onnxruntime cannot run: ${kinds.join(', ')}. They need their runtime library (e.g. onnxruntime-extensions for com.microsoft.extensions); quantize the model without its pre/post-processing instead`;
  }
  const q = new Map<string, number>();
  const halves = new Map<string, number>();
  eachGraph(model.graph as onnx.GraphProto, (g) => {
    for (const n of g.node ?? []) if (QUANTIZED_OPS.has(n.opType ?? '')) q.set(n.opType ?? '', (q.get(n.opType ?? '') ?? 0) + 1);
    for (const t of g.initializer ?? []) if (t.dataType === 10 || t.dataType === 16) halves.set(t.dataType === 10 ? 'float16' : 'bfloat16', (halves.get(t.dataType === 10 ? 'float16' : 'bfloat16') ?? 0) + 1);
    for (const i of g.input ?? []) {
      const e = i.type?.tensorType?.elemType;
      if (e === 10 || e === 16) halves.set(e === 10 ? 'float16' : 'bfloat16', (halves.get(e === 10 ? 'float16' : 'bfloat16') ?? 0) + 1);
    }
  });
  if (q.size) {
    const format = q.has('MatMulNBits') || q.has('MatMulBnb4') ? '4-bit weight-only' : q.has('QuantizeLinear') || q.has('DequantizeLinear') ? 'QDQ' : q.has('DynamicQuantizeLinear') || q.has('MatMulInteger') || q.has('ConvInteger') || q.has('DynamicQuantizeMatMul') ? 'dynamic int8' : 'QOperator int8';
    return `${file} is already quantized (${format}: ${[...q].map(([k, v]) => `${v} ${k}`).join(', ')}): quantize the float model it came from instead`;
  }
  if (halves.size) {
    return `${file} holds ${[...halves].map(([k, v]) => `${v} ${k} tensors`).join(' and ')}: quantization here works from float32 models (ranges, weights and the float reference all in float32). Convert it to float32 first (onnxconverter-common's float16 converter, or re-export in float32)`;
  }
  return undefined;
}

/** Reads external-data tensors into the model (so one self-contained model can be rewritten and checked). */
async function inlineExternalData(model: onnx.ModelProto, baseDir: string): Promise<number> {
  let count = 0;
  const todo: onnx.ITensorProto[] = [];
  eachGraph(model.graph as onnx.GraphProto, (g) => {
    for (const t of g.initializer ?? []) if (externalRef(t)) todo.push(t);
    for (const n of g.node ?? []) for (const a of n.attribute ?? []) if (a.t && externalRef(a.t)) todo.push(a.t);
  });
  for (const t of todo) {
    t.rawData = await readExternalData(baseDir, t);
    t.externalData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    count++;
  }
  return count;
}

/** Whether any If/Loop/Scan body holds a node dynamic quantization rewrites. */
function subgraphCandidates(model: onnx.ModelProto): number {
  let n = 0;
  const walk = (g: onnx.IGraphProto, depth: number) => {
    for (const x of g.node ?? []) {
      if (depth > 0 && DYNAMIC_OPS.has(x.opType ?? '') && !x.domain) n++;
      for (const s of subgraphsOf(x)) walk(s.graph, depth + 1);
    }
  };
  walk(model.graph as onnx.GraphProto, 0);
  return n;
}

/**
 * The float model made ready for rewriting: Constant weights as initializers, nodes sorted, unique names, and
 * the opset the quantized ops need (ONNX Runtime's tool upgrades below 10 to 11; DynamicQuantizeLinear needs
 * 11; per-axis QuantizeLinear/DequantizeLinear needs 13, else com.microsoft's are used).
 */
export function prepareModel(model: onnx.ModelProto, mode: Mode, perChannel: boolean): { notes: string[]; upgrade?: OpsetUpgrade } {
  const notes: string[] = [];
  const info = normalizeModel(model);
  if (info.constants) notes.push(`${info.constants} Constant nodes were read as initializers (weights stored as Constant nodes)`);
  if (info.reordered) notes.push('the nodes were not in topological order and were sorted');
  let upgrade: OpsetUpgrade | undefined;
  if (mode !== 'int4') {
    const now = defaultOpset(model);
    const need = mode === 'dynamic' ? 11 : now < 10 ? 11 : now;
    if (mode === 'static' && perChannel && now < 13) {
      const trial = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
      try {
        upgradeOpset(trial, 13);
        upgrade = upgradeOpset(model, 13);
      } catch (err) {
        if (!(err instanceof QuantizeError)) throw err;
        notes.push(`per-channel Q/DQ needs opset 13 for ai.onnx's axis attribute; the upgrade was not possible (${err.message}), so com.microsoft QuantizeLinear/DequantizeLinear carry the axis`);
      }
    }
    if (!upgrade) upgrade = upgradeOpset(model, need);
    if (upgrade) notes.push(`the model was upgraded from opset ${upgrade.from} to ${upgrade.to} to hold int8 operators${Object.keys(upgrade.rewritten).length ? ` (${Object.entries(upgrade.rewritten).map(([k, v]) => `${k} ×${v}`).join(', ')})` : ''}`);
  }
  return { notes, upgrade };
}

/** Float tensors of the graph (by shape inference and declarations): the ones a QDQ pair can wrap. */
function floatTensorNames(model: onnx.ModelProto): Set<string> {
  const si = new ShapeInference(defaultOpset(model));
  si.run(model.graph as onnx.GraphProto);
  const out = new Set<string>();
  for (const [name, info] of si.info) if (info.elemType === onnx.TensorProto.DataType.FLOAT) out.add(name);
  return out;
}

async function collectRanges(model: onnx.ModelProto, tensors: string[], req: QuantizeRequest, spec: CalibrationSpec, specs: ReturnType<typeof inputSpecs>, collector: RangeCollector, withFixed: (s: Sample) => Sample, skip?: (i: number) => boolean): Promise<number> {
  // Everything quantizable sits in subgraphs (quantized dynamically): no main-graph tensor to calibrate.
  if (!tensors.length) return 0;
  const aug = await session(augment(model, tensors), 'disabled', 'the calibration model');
  const max = req.maxCalibrationSamples ?? 512;
  let count = 0;
  try {
    for (let pass = 0; pass < (collector.needsSecondPass ? 2 : 1); pass++) {
      count = 0;
      let index = -1;
      for await (const sample of samples(spec, specs, inputOverrides(req), req.signal)) {
        index++;
        if (skip?.(index)) continue; // held out for evaluation
        if (count >= max) break;
        step(req, count, max, `calibrating (${pass ? 'histograms' : 'ranges'}): sample ${count + 1}`);
        const out = await aug.run(withFixed(sample), tensors);
        for (const t of tensors) {
          const v = out[t];
          if (!v || v.type !== 'float32') continue;
          if (pass === 0) collector.observeMinMax(t, v.data as Float32Array);
          else collector.observeHistogram(t, v.data as Float32Array);
        }
        count++;
      }
    }
  } finally {
    await aug.release();
  }
  return count;
}

/** What a static build did inside subgraphs (dynamic int8, since calibration sees only the main graph). */
interface BuildStats extends RewriteStats { subgraphDynamic: number }

/**
 * Builds the quantized model bytes from the prepared float model (no I/O), for the main run and for per-layer
 * sensitivity; the result passes the structural check or this throws, naming the problem.
 */
function build(preparedBytes: Uint8Array, req: QuantizeRequest, opts: RewriteOptions, ranges?: Map<string, [number, number]>): { bytes: Uint8Array; stats: BuildStats } {
  const model = onnx.ModelProto.decode(preparedBytes);
  let stats: BuildStats;
  if (req.mode === 'dynamic') stats = { ...rewriteDynamic(model, opts), subgraphDynamic: 0 };
  else if (req.mode === 'int4') stats = { ...rewriteInt4(model, opts), subgraphDynamic: 0 };
  else {
    const plan = planStatic(model, opts, floatTensorNames(model));
    let main: RewriteStats = { quantizedNodes: [], byOpType: {}, skipped: [...plan.skipped] };
    if (plan.chosen.size) {
      try {
        main = rewriteStatic(model, opts, plan, ranges ?? new Map());
      } catch (err) {
        if (!(err instanceof QuantizeError && /nothing was quantized/.test(err.message))) throw err;
      }
    }
    // If/Loop/Scan bodies: dynamic int8 (calibration cannot observe tensors inside subgraphs).
    const sub = rewriteDynamic(model, { ...opts, subgraphsOnly: true });
    const byOpType = { ...main.byOpType };
    for (const [k, v] of Object.entries(sub.byOpType)) byOpType[k] = (byOpType[k] ?? 0) + v;
    stats = { quantizedNodes: [...main.quantizedNodes, ...sub.quantizedNodes], byOpType, skipped: [...main.skipped, ...sub.skipped], subgraphDynamic: sub.quantizedNodes.length };
  }
  const problems = checkModel(model);
  if (problems.length) throw new QuantizeError(`the quantized model fails the structural check (a bug in the quantizer, please report it): ${describeProblems(problems)}`);
  return { bytes: onnx.ModelProto.encode(model).finish(), stats };
}

export async function quantizeModel(req: QuantizeRequest): Promise<QuantizeReport> {
  const t0 = performance.now();
  const input = path.resolve(req.input);
  const output = path.resolve(req.output);
  if (input === output) throw new QuantizeError('the output must be a new file: the input model is never overwritten');
  if (await fs.stat(output).catch(() => undefined)) throw new QuantizeError(`${output} already exists: choose a new name (nothing is ever overwritten)`);
  const originalBytes = await fs.readFile(input).catch(() => {
    throw new OnnxFormatError(`${input} cannot be read`);
  });
  const original = decodeModel(originalBytes, path.basename(input));
  const warnings: string[] = [];
  const refusal = refusalReason(original, path.basename(input));
  if (refusal) throw new QuantizeError(refusal);
  const opts = baseOptions(req);
  const model = onnx.ModelProto.decode(onnx.ModelProto.encode(original).finish());
  const inlined = await inlineExternalData(model, path.dirname(input));
  if (inlined) warnings.push(`${inlined} external-data tensors were read in: the quantized model is one self-contained file`);
  const floatBytes = inlined ? onnx.ModelProto.encode(model).finish() : originalBytes;
  // Constant weights, node order, names, and the opset int8 ops need (ORT's tool upgrades below 10 to 11).
  warnings.push(...prepareModel(model, req.mode, opts.perChannel).notes);
  // Cross-layer equalization rescales the float weights before calibration; fidelity is still against the original.
  const bnStats = new Map<string, { mean: Float32Array; std: Float32Array }>();
  const cle = req.cle ? equalize(model, { bnStats }) : undefined;
  const preparedBytes = onnx.ModelProto.encode(model).finish();
  if (req.mode === 'int4' && !(opts.blockSize >= 16 && opts.blockSize <= 256 && (opts.blockSize & (opts.blockSize - 1)) === 0)) throw new QuantizeError(`--block-size ${opts.blockSize} must be a power of two from 16 to 256`);
  const total = 6;
  step(req, 0, total, 'loading the float model');
  const floatSession = await session(floatBytes, 'all', path.basename(input));
  const specs = inputSpecs(floatSession, original);
  requireShapes(specs, inputOverrides(req), !req.calibration || req.calibration.kind === 'random' || req.evaluation?.kind === 'random');
  // IR < 4 models list initializers as inputs: feed their stored values with every sample.
  const fixedFeeds = initializerFeeds(original, floatSession.inputNames);
  const withFixed = (s: Sample): Sample => ({ ...fixedFeeds, ...s });

  let ranges: Map<string, [number, number]> | undefined;
  let calibration: QuantizeReport['calibration'];
  let calibSpec: CalibrationSpec = req.calibration ?? { kind: 'random', count: 16 };
  // Generated data for a float image input covers every range a user or checker is likely to feed (0..1 and
  // -1..1 pictures, rand and randn noise): calibrated on all, judged on each. The user's own data is used alone.
  if (calibSpec.kind === 'random' && !calibSpec.conventions && !req.evaluation) {
    const conventions = defaultConventions(specs, inputOverrides(req));
    if (conventions) calibSpec = { ...calibSpec, conventions, count: Math.max(calibSpec.count, conventions.length) };
  }
  const conventions = calibSpec.kind === 'random' ? calibSpec.conventions ?? [] : [];
  // Held-out evaluation inputs, drawn before calibration so calibration can skip them.
  const evaluation = await evaluationSamples({ evaluation: req.evaluation, calibration: calibSpec, count: req.evalSamples ?? (conventions.length > 1 ? 4 : 8), draw: (sp) => samples(sp, specs, inputOverrides(req), req.signal), signal: req.signal });
  if (evaluation.warning) warnings.push(evaluation.warning);
  const evalSamples = evaluation.samples.map(withFixed);
  const evalRanges = evaluation.groups?.map((g) => ({ range: g.range, reference: new FloatReference(floatSession, g.samples.map(withFixed)) }));
  if (!evalSamples.length) throw new QuantizeError('no evaluation inputs: fidelity cannot be measured');
  if (req.mode === 'static') {
    // Plan on a copy: planning removes fusable Relus, but ranges are calibrated on the float graph as it is.
    const planned = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
    const plan = planStatic(planned, opts, floatTensorNames(planned));
    if (!plan.chosen.size && !subgraphCandidates(planned)) throw new QuantizeError(`${path.basename(input)} has nothing to quantize statically (no ${['Conv', 'MatMul', 'Gemm', 'Add', '…'].join(', ')} nodes in the default domain), or every candidate was excluded`);
    const collector = new RangeCollector(req.method ?? 'minmax', req.percentile ?? 99.999);
    const n = await collectRanges(model, plan.activations, req, calibSpec, specs, collector, withFixed, evaluation.skipInCalibration);
    ranges = collector.ranges();
    const drift = await augmentedDrift(await session(augment(model, plan.activations), 'disabled', 'the calibration model'), ranges, evalSamples);
    if (drift.length) warnings.push(describeDrift(drift, ranges.size, specs.map((s) => s.name)));
    calibration = { source: calibSpec.kind === 'random' ? `random inputs (${calibSpec.count})` : calibSpec.path, samples: n, method: collector.method };
    if (conventions.length > 1) calibration.ranges = conventions.map((c) => CONVENTION_LABEL[c]);
    if (calibSpec.kind === 'random') {
      calibration.warning = RANDOM_WARNING;
      warnings.push(RANDOM_WARNING);
    }
  }
  let corrections: BiasCorrection[] = [];
  let biasReport: BiasReport | undefined;
  if (req.biasCorrection && req.mode !== 'int4') {
    step(req, 2, total, 'bias correction');
    const bc = await biasCorrections(model, {
      weights: opts, willQuantize: (n) => !opts.excludeNodes.includes(n), bnStats, signal: req.signal,
      samples: () => calibrationOnly(samples(calibSpec, specs, inputOverrides(req), req.signal), evaluation.skipInCalibration, withFixed),
      session: (b) => session(b, 'disabled', 'the bias-correction model'),
    });
    corrections = bc.corrections;
    biasReport = bc.report;
  }
  // Layers in `keep` stay float (with their own biases); `only` quantizes just those (sensitivity).
  const buildWith = (keep: string[], only?: string[]) => {
    let bytes = preparedBytes;
    if (corrections.length) {
      const m = onnx.ModelProto.decode(preparedBytes);
      applyBiasCorrections(m, corrections, (n) => !keep.includes(n) && (!only || only.includes(n)));
      bytes = onnx.ModelProto.encode(m).finish();
    }
    return build(bytes, req, { ...opts, excludeNodes: [...opts.excludeNodes, ...keep], ...(only ? { onlyNodes: only } : {}) }, ranges);
  };
  step(req, 2, total, 'rewriting the graph');
  let built: { bytes: Uint8Array; stats: BuildStats };
  try {
    built = buildWith([]);
  } catch (err) {
    if (err instanceof QuantizeError && /nothing was quantized/.test(err.message)) built = { bytes: new Uint8Array(), stats: { quantizedNodes: [], byOpType: {}, skipped: [], subgraphDynamic: 0 } };
    else throw err;
  }
  if (!built.stats.quantizedNodes.length) {
    const what = req.mode === 'static' ? 'quantizable nodes' : 'MatMul' + (req.mode === 'dynamic' ? '/Gemm' : '') + ' nodes with constant float weights';
    throw new QuantizeError(`${path.basename(input)} has nothing to quantize in ${req.mode} mode: no ${what}${built.stats.skipped.length ? ` (${built.stats.skipped.length} excluded)` : ''}`);
  }
  if (built.stats.subgraphDynamic) warnings.push(`${built.stats.subgraphDynamic} nodes inside If/Loop/Scan subgraphs were quantized dynamically (activations quantized at run time), as calibration cannot observe tensors inside subgraphs`);
  step(req, 3, total, 'checking the quantized model with onnxruntime');
  await (await session(built.bytes, 'all', `the quantized ${path.basename(output)} (a bug in the quantizer)`)).release();
  const evalSpec: CalibrationSpec = req.evaluation ?? calibSpec;
  // Fidelity on held-out inputs; a missed target keeps the most sensitive layers in float (accuracy.ts).
  const loop = await accuracyAware({
    reference: new FloatReference(floatSession, evalSamples), ranges: evalRanges, build: buildWith,
    session: (b) => session(b, 'all', 'a candidate quantized model (a bug in the quantizer)'),
    opTypes: new Map((model.graph?.node ?? []).map((n) => [n.name ?? '', n.opType ?? ''])), consumers: graphConsumers(model.graph ?? {}),
    target: { ...DEFAULT_TARGET, ...req.target }, search: req.accuracyAware !== false,
    sensitivity: req.sensitivity ?? built.stats.quantizedNodes.length <= 64,
    progress: (m) => step(req, 4, total, m), signal: req.signal,
  }, built);
  built = loop.built;
  const quantSession = await session(built.bytes, 'all', `the quantized ${path.basename(output)} (a bug in the quantizer)`);
  // The search kept layers in float until the evaluation inputs met the target: on generated inputs, check the
  // chosen model on fresh draws too (the ones after calibration's and evaluation's), so the verdict is not one
  // tuned to the inputs it was chosen by. (With the user's files there are no more held-out inputs to draw.)
  if (loop.accuracy.keptInFloat.length && loop.accuracy.met && evalSpec.kind === 'random') {
    step(req, 4, total, 'confirming on fresh inputs');
    const skip = (req.evaluation ? 0 : calibSpec.kind === 'random' ? calibSpec.count : 0) + evalSamples.length;
    const spec = evalSpec.kind === 'random' ? evalSpec : { kind: 'random' as const, count: 0 };
    const groups = await freshGroups(spec, skip, Math.max(1, Math.round(evalSamples.length / Math.max(1, conventions.length))), (sp) => samples(sp, specs, inputOverrides(req), req.signal), withFixed);
    const n = groups.reduce((a, g) => a + g.samples.length, 0);
    if (n) loop.accuracy = confirm(loop.accuracy, await rangeFidelity(groups.map((g) => ({ range: g.range, reference: new FloatReference(floatSession, g.samples) })), quantSession), `random inputs (${n}), draws after the evaluation's${groups.length > 1 ? ` in ${groups.length} input ranges` : ''}`);
  }
  await writeFileAtomicNoClobber(output, built.bytes);

  try {
    const fid: FidelityReport = { ...loop.fidelity, source: evaluation.source };
    const sensitivity: QuantizeReport['sensitivity'] = loop.sensitivity;
    const kept = new Map(loop.accuracy.keptInFloat.map((k) => [k.node, k]));
    built.stats.skipped = built.stats.skipped.map((x) => (kept.has(x.node) ? { node: x.node, reason: `kept in float to meet the accuracy target: ${kept.get(x.node)?.reason}` } : x));
    step(req, 5, total, 'timing float vs quantized (interleaved)');
    const latency = await interleavedLatency(floatSession, quantSession, evalSamples[0], req.latencyRuns ?? 30, req.signal);
    if (req.mode === 'static' && latency.speedup < 1) warnings.push('the quantized model is slower than the float one on this machine: only a fully quantized graph fuses into int8 kernels (check excluded or unsupported ops)');
    const outBytes = (await fs.stat(output)).size;
    return {
      schema: 'mobileai.quantize/1',
      // The float model's size with its external data read in: what the int8 file replaces.
      input: { file: input, bytes: floatBytes.length },
      output: { file: output, bytes: outBytes },
      mode: req.mode,
      settings: {
        perChannel: opts.perChannel, activations: opts.activationType === 'int8' ? 'S8S8' : 'U8S8', reduceRange: opts.reduceRange, symmetricWeights: opts.symmetricWeights,
        symmetricActivations: opts.symmetricActivations, method: req.mode === 'static' ? (req.method ?? 'minmax') : undefined, percentile: req.method === 'percentile' ? (req.percentile ?? 99.999) : undefined,
        blockSize: req.mode === 'int4' ? opts.blockSize : undefined, int4Symmetric: req.mode === 'int4' ? opts.int4Symmetric : undefined, exclude: opts.excludeNodes, excludeOpTypes: opts.excludeOpTypes, keepFirstLast: opts.keepFirstLast,
        opset: defaultOpset(model),
      },
      quantized: { nodes: built.stats.quantizedNodes.length, byOpType: built.stats.byOpType, skipped: built.stats.skipped, names: built.stats.quantizedNodes },
      calibration,
      inputs: sampleRecords(evalSamples[0], specs, inputOverrides(req), evalSpec.kind === 'random' ? 'generated' : evalSpec.path),
      fidelity: fid,
      sensitivity,
      accuracy: loop.accuracy,
      ...(cle || biasReport ? { preprocessing: { ...(cle ? { cle } : {}), ...(biasReport ? { biasCorrection: biasReport } : {}) } } : {}),
      latency,
      warnings,
      seconds: (performance.now() - t0) / 1000,
      createdAt: new Date().toISOString(),
    };
  } catch (err) {
    // The model was written; the report failed (e.g. cancelled): say so, keep the file.
    if (err instanceof CancelledError) throw new CancelledError(`quantization cancelled after ${path.basename(output)} was written`);
    throw err;
  } finally {
    await floatSession.release().catch(() => undefined);
    await quantSession.release().catch(() => undefined);
  }
}

export { QuantizeError };
