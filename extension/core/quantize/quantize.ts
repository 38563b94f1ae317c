import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { decodeModel, OnnxFormatError } from '../onnx/model';
import { ShapeInference } from '../onnx/shapes';
import { loadOrt, OrtModelError } from '../profile/ort';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';
import { writeFileAtomicNoClobber } from '../util/fsAtomic';
import { RangeCollector, augment, inputSpecs, requireShapes, sampleRecords, samples, type CalibrationSpec, type Method, type Sample } from './calibration';
import { defaultOpset, planStatic, rewriteDynamic, rewriteInt4, rewriteStatic, type RewriteOptions, type RewriteStats } from './rewrite';
import { QuantizeError } from './tensors';
import { upgradeToOpset10 } from './opset';
import { initializerFeeds } from '../profile/inputs';
import { fidelity, interleavedLatency, type FidelityReport } from './report';

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
  exclude?: string[];
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
  quantized: { nodes: number; byOpType: Record<string, number>; skipped: Array<{ node: string; reason: string }> };
  calibration?: { source: string; samples: number; method: Method; warning?: string };
  /** The shapes and values the fidelity and latency were measured at (one evaluation sample's). */
  inputs?: import('../inputs').InputRecord[];
  fidelity: FidelityReport;
  sensitivity: Array<{ node: string; opType: string; sqnrDb: number; cosine: number }>;
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
  };
}

/** Float tensors of the graph (by shape inference and declarations): the ones a QDQ pair can wrap. */
function floatTensorNames(model: onnx.ModelProto): Set<string> {
  const si = new ShapeInference(defaultOpset(model));
  si.run(model.graph as onnx.GraphProto);
  const out = new Set<string>();
  for (const [name, info] of si.info) if (info.elemType === onnx.TensorProto.DataType.FLOAT) out.add(name);
  return out;
}

async function collectRanges(model: onnx.ModelProto, tensors: string[], req: QuantizeRequest, spec: CalibrationSpec, specs: ReturnType<typeof inputSpecs>, collector: RangeCollector, withFixed: (s: Sample) => Sample): Promise<number> {
  const aug = await session(augment(model, tensors), 'disabled', 'the calibration model');
  const max = req.maxCalibrationSamples ?? 512;
  let count = 0;
  try {
    for (let pass = 0; pass < (collector.needsSecondPass ? 2 : 1); pass++) {
      count = 0;
      for await (const sample of samples(spec, specs, inputOverrides(req), req.signal)) {
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

/** Builds the quantized model bytes (no I/O), for the main run and for per-layer sensitivity. */
function build(originalBytes: Uint8Array, req: QuantizeRequest, opts: RewriteOptions, ranges?: Map<string, [number, number]>): { bytes: Uint8Array; stats: RewriteStats } {
  const model = onnx.ModelProto.decode(originalBytes);
  if (req.mode !== 'int4') upgradeToOpset10(model);
  let stats: RewriteStats;
  if (req.mode === 'dynamic') stats = rewriteDynamic(model, opts);
  else if (req.mode === 'int4') stats = rewriteInt4(model, opts);
  else {
    const plan = planStatic(model, opts, floatTensorNames(model));
    stats = rewriteStatic(model, opts, plan, ranges ?? new Map());
  }
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
  // Below opset 10 there is no QuantizeLinear/QLinearConv/MatMulInteger: upgrade first, as ORT's tool does.
  const model = onnx.ModelProto.decode(onnx.ModelProto.encode(original).finish());
  const upgraded = req.mode !== 'int4' ? upgradeToOpset10(model) : undefined;
  if (upgraded) warnings.push(`the model was upgraded from opset ${upgraded.from} to 10 to hold int8 operators`);
  const opts = baseOptions(req);
  if (req.mode === 'int4' && !(opts.blockSize >= 16 && opts.blockSize <= 256 && (opts.blockSize & (opts.blockSize - 1)) === 0)) throw new QuantizeError(`--block-size ${opts.blockSize} must be a power of two from 16 to 256`);
  const total = 6;
  step(req, 0, total, 'loading the float model');
  const floatSession = await session(originalBytes, 'all', path.basename(input));
  const specs = inputSpecs(floatSession, original);
  requireShapes(specs, inputOverrides(req), !req.calibration || req.calibration.kind === 'random' || req.evaluation?.kind === 'random');
  // IR < 4 models list initializers as inputs: feed their stored values with every sample.
  const fixedFeeds = initializerFeeds(original, floatSession.inputNames);
  const withFixed = (s: Sample): Sample => ({ ...fixedFeeds, ...s });

  let ranges: Map<string, [number, number]> | undefined;
  let calibration: QuantizeReport['calibration'];
  const calibSpec: CalibrationSpec = req.calibration ?? { kind: 'random', count: 16 };
  if (req.mode === 'static') {
    // Plan on a copy: planning removes fusable Relus, but ranges are calibrated on the float graph as it is.
    const planned = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
    const plan = planStatic(planned, opts, floatTensorNames(planned));
    if (!plan.chosen.size) throw new QuantizeError(`${path.basename(input)} has nothing to quantize statically (no ${['Conv', 'MatMul', 'Gemm', 'Add', '…'].join(', ')} nodes in the default domain), or every candidate was excluded`);
    const collector = new RangeCollector(req.method ?? 'minmax', req.percentile ?? 99.999);
    const n = await collectRanges(model, plan.activations, req, calibSpec, specs, collector, withFixed);
    ranges = collector.ranges();
    calibration = { source: calibSpec.kind === 'random' ? `random inputs (${calibSpec.count})` : calibSpec.path, samples: n, method: collector.method };
    if (calibSpec.kind === 'random') {
      calibration.warning = RANDOM_WARNING;
      warnings.push(RANDOM_WARNING);
    }
  }
  step(req, 2, total, 'rewriting the graph');
  let built: { bytes: Uint8Array; stats: RewriteStats };
  try {
    built = build(originalBytes, req, opts, ranges);
  } catch (err) {
    if (err instanceof QuantizeError && /nothing was quantized/.test(err.message)) built = { bytes: new Uint8Array(), stats: { quantizedNodes: [], byOpType: {}, skipped: [] } };
    else throw err;
  }
  if (!built.stats.quantizedNodes.length) {
    const what = req.mode === 'static' ? 'quantizable nodes' : 'MatMul' + (req.mode === 'dynamic' ? '/Gemm' : '') + ' nodes with constant float weights';
    throw new QuantizeError(`${path.basename(input)} has nothing to quantize in ${req.mode} mode: no ${what}${built.stats.skipped.length ? ` (${built.stats.skipped.length} excluded)` : ''}`);
  }
  step(req, 3, total, 'checking the quantized model with onnxruntime');
  const quantSession = await session(built.bytes, 'all', `the quantized ${path.basename(output)} (a bug in the quantizer)`);
  await writeFileAtomicNoClobber(output, built.bytes);

  try {
    step(req, 4, total, 'measuring fidelity on held-out inputs');
    const evalSpec: CalibrationSpec = req.evaluation ?? (req.calibration && req.calibration.kind !== 'random' ? req.calibration : { kind: 'random', count: req.evalSamples ?? 8 });
    const evalSamples: Sample[] = [];
    for await (const s of samples(evalSpec, specs, inputOverrides(req), req.signal)) {
      evalSamples.push(withFixed(s));
      if (evalSamples.length >= (req.evalSamples ?? 8)) break;
    }
    const fid = await fidelity(floatSession, quantSession, evalSamples);
    const sensitivity: QuantizeReport['sensitivity'] = [];
    const layers = built.stats.quantizedNodes;
    if (req.sensitivity ?? layers.length <= 64) {
      const heavy = layers.slice(0, 64);
      for (let i = 0; i < heavy.length; i++) {
        step(req, 5, total, `per-layer sensitivity ${i + 1}/${heavy.length}`);
        const one = build(originalBytes, req, { ...opts, onlyNodes: [heavy[i]] }, ranges);
        if (!one.stats.quantizedNodes.length) continue;
        const s = await session(one.bytes, 'all');
        try {
          const f = await fidelity(floatSession, s, evalSamples.slice(0, 4));
          const primary = f.outputs[0];
          sensitivity.push({ node: heavy[i], opType: Object.keys(one.stats.byOpType)[0] ?? '?', sqnrDb: primary?.sqnrDb ?? NaN, cosine: primary?.cosine ?? NaN });
        } finally {
          await s.release();
        }
      }
      sensitivity.sort((a, b) => a.sqnrDb - b.sqnrDb);
    }
    step(req, 5, total, 'timing float vs quantized (interleaved)');
    const latency = await interleavedLatency(floatSession, quantSession, evalSamples[0], req.latencyRuns ?? 30, req.signal);
    if (req.mode === 'static' && latency.speedup < 1) warnings.push('the quantized model is slower than the float one on this machine: only a fully quantized graph fuses into int8 kernels (check excluded or unsupported ops)');
    const outBytes = (await fs.stat(output)).size;
    return {
      schema: 'mobileai.quantize/1',
      input: { file: input, bytes: originalBytes.length },
      output: { file: output, bytes: outBytes },
      mode: req.mode,
      settings: {
        perChannel: opts.perChannel, activations: opts.activationType === 'int8' ? 'S8S8' : 'U8S8', reduceRange: opts.reduceRange, symmetricWeights: opts.symmetricWeights,
        symmetricActivations: opts.symmetricActivations, method: req.mode === 'static' ? (req.method ?? 'minmax') : undefined, percentile: req.method === 'percentile' ? (req.percentile ?? 99.999) : undefined,
        blockSize: req.mode === 'int4' ? opts.blockSize : undefined, int4Symmetric: req.mode === 'int4' ? opts.int4Symmetric : undefined, exclude: opts.excludeNodes, excludeOpTypes: opts.excludeOpTypes, keepFirstLast: opts.keepFirstLast,
        opset: defaultOpset(model),
      },
      quantized: { nodes: built.stats.quantizedNodes.length, byOpType: built.stats.byOpType, skipped: built.stats.skipped },
      calibration,
      inputs: sampleRecords(evalSamples[0], specs, inputOverrides(req), evalSpec.kind === 'random' ? 'generated' : evalSpec.path),
      fidelity: fid,
      sensitivity,
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
