import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Tensor, InferenceSession } from 'onnxruntime-node';
import { loadOrt } from '../profile/ort';
import { IMAGE_CONVENTIONS, declaredInputs, generatedKind, modelMetadata, parseNpy, prepareInputs, readTensorFile, resolvePlans, toOrt, type Convention, type DeclaredInput, type InputOverrides, type InputRecord } from '../inputs';
import { onnx } from 'onnx-proto';
import { toNumber } from '../onnx/model';
import { CancelledError, type CancelSignal } from '../util/progress';
import { QuantizeError } from './tensors';
import { listZip, readZipEntry } from '../util/zip';

export type Sample = Record<string, Tensor>;

/** Where calibration (and evaluation) inputs come from. */
export type CalibrationSpec =
  | { kind: 'files'; path: string }
  | { kind: 'images'; path: string; recipe: ImageRecipe }
  /** Generated inputs at the user's shapes; `seed` sets the first sample's seed (held-out inputs take another). */
  | {
    kind: 'random'; count: number; seed?: number;
    /** Draw i takes conventions[i % length] for float image inputs (one range each: 0..1 pictures, -1..1 pictures, noise). */
    conventions?: readonly Convention[];
  };

/**
 * The input ranges generated data covers when the user gives no data: for a model with a float image input that
 * is drawn (not given by --value or --input), every convention a user or a checker is likely to feed
 * (IMAGE_CONVENTIONS); nothing otherwise (one range per input kind, as before).
 */
export function defaultConventions(specs: InputSpecList, overrides: InputOverrides = {}): readonly Convention[] | undefined {
  const drawn = specs.filter((d) => overrides.values?.[d.name] === undefined && overrides.files?.[d.name] === undefined);
  return drawn.some((d) => generatedKind(d) === 'image01') ? IMAGE_CONVENTIONS : undefined;
}

export interface ImageRecipe {
  width: number;
  height: number;
  layout: 'nchw' | 'nhwc';
  /** Per-channel mean and std applied after scaling, e.g. ImageNet's. */
  mean: [number, number, number];
  std: [number, number, number];
  /** Multiplies 0..255 pixel values first (1/255 gives 0..1). */
  scale: number;
  channels: 'rgb' | 'bgr';
}

export const DEFAULT_RECIPE: Omit<ImageRecipe, 'width' | 'height'> = { layout: 'nchw', mean: [0, 0, 0], std: [1, 1, 1], scale: 1 / 255, channels: 'rgb' };

/** "resize=224x224,layout=nchw,mean=0.485/0.456/0.406,std=0.229/0.224/0.225,scale=1/255,channels=rgb" */
export function parseRecipe(text: string, fallback: { width: number; height: number }): ImageRecipe {
  const r: ImageRecipe = { ...DEFAULT_RECIPE, width: fallback.width, height: fallback.height };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    const triple = () => {
      const xs = (v ?? '').split('/').map(Number);
      if (xs.length !== 3 || xs.some((x) => !Number.isFinite(x))) throw new QuantizeError(`preprocessing ${k}=${v}: expected three numbers like 0.485/0.456/0.406`);
      return xs as [number, number, number];
    };
    if (k === 'resize') {
      const m = /^(\d+)x(\d+)$/.exec(v ?? '');
      if (!m) throw new QuantizeError(`preprocessing resize=${v}: expected WIDTHxHEIGHT`);
      r.width = Number(m[1]);
      r.height = Number(m[2]);
    } else if (k === 'layout' && (v === 'nchw' || v === 'nhwc')) r.layout = v;
    else if (k === 'mean') r.mean = triple();
    else if (k === 'std') { r.std = triple(); if (r.std.some((x) => x === 0)) throw new QuantizeError('preprocessing std cannot be 0'); }
    else if (k === 'scale') { const [a, b] = (v ?? '').split('/').map(Number); r.scale = b ? a / b : a; if (!Number.isFinite(r.scale)) throw new QuantizeError(`preprocessing scale=${v} is not a number`); }
    else if (k === 'channels' && (v === 'rgb' || v === 'bgr')) r.channels = v;
    else throw new QuantizeError(`unknown preprocessing step "${part}" (resize, layout, mean, std, scale, channels)`);
  }
  return r;
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.gif', '.tif', '.tiff']);
const TENSOR_EXT = new Set(['.npy', '.pb']);

type InputSpec = DeclaredInput;

/** The model's inputs, with its metadata_props (conventions and sizes the exporter wrote) carried along. */
export type InputSpecList = DeclaredInput[] & { metadata?: Record<string, string> };

async function tensorFromFile(file: string, spec: InputSpec): Promise<Tensor> {
  try {
    return toOrt(await readTensorFile(file, spec));
  } catch (err) {
    throw new QuantizeError((err as Error).message);
  }
}

/** --dim values (the older form) or full overrides (shapes, values, dims). */
export function asOverrides(x: Record<string, number> | InputOverrides | undefined): InputOverrides {
  if (!x) return {};
  const keys = ['shapes', 'values', 'dims', 'files'];
  return Object.keys(x).some((k) => keys.includes(k) && typeof (x as Record<string, unknown>)[k] === 'object') ? (x as InputOverrides) : { dims: x as Record<string, number> };
}

async function imageTensor(file: string, r: ImageRecipe): Promise<Tensor> {
  const sharp = ((await import('sharp')) as unknown as { default: typeof import('sharp') }).default;
  const { data } = await sharp(file).removeAlpha().resize(r.width, r.height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const hw = r.width * r.height;
  const out = new Float32Array(3 * hw);
  for (let i = 0; i < hw; i++) {
    for (let c = 0; c < 3; c++) {
      const src = r.channels === 'rgb' ? c : 2 - c;
      const v = (data[i * 3 + src] * r.scale - r.mean[c]) / r.std[c];
      if (r.layout === 'nchw') out[c * hw + i] = v;
      else out[i * 3 + c] = v;
    }
  }
  return new (loadOrt().Tensor)('float32', out, r.layout === 'nchw' ? [1, 3, r.height, r.width] : [1, r.height, r.width, 3]);
}

/**
 * The calibration samples, one at a time (memory stays bounded however many there are). Folders hold one
 * file per sample for single-input models, or one sub-folder per sample with a file per input
 * (`<input name>.npy`, or ONNX's `input_0.pb`…).
 */
export async function* samples(spec: CalibrationSpec, inputs: InputSpecList, dims: Record<string, number> | InputOverrides, signal?: CancelSignal, metadata = inputs.metadata): AsyncGenerator<Sample> {
  const check = () => {
    if (signal?.cancelled) throw new CancelledError('quantization cancelled');
  };
  const overrides = asOverrides(dims);
  if (spec.kind === 'random') {
    // Drawn at the user's shapes and values (a symbolic dim without a value is refused, naming the flag).
    for (let i = 0; i < spec.count; i++) {
      check();
      const convention = spec.conventions?.length ? spec.conventions[i % spec.conventions.length] : undefined;
      const { inputs: prepared } = await prepareInputs(inputs, overrides, { seed: (spec.seed ?? 1000) + i * 7919, metadata, convention });
      yield Object.fromEntries(prepared.map((p) => [p.name, toOrt(p.host)]));
    }
    return;
  }
  // Inputs the data does not hold (a sample rate, an initial state) take their --value, a convention or metadata.
  const fixedValues = async (): Promise<Sample> => {
    const given = inputs.filter((d) => overrides.values?.[d.name] !== undefined || /^(sr|sample_?rate|sampling_?rate)$/i.test(d.name));
    if (!given.length) return {};
    const p = await prepareInputs(given, { values: overrides.values && Object.fromEntries(Object.entries(overrides.values).filter(([k]) => given.some((g) => g.name === k))), dims: overrides.dims, shapes: overrides.shapes && Object.fromEntries(Object.entries(overrides.shapes).filter(([k]) => given.some((g) => g.name === k))) }, { metadata });
    return Object.fromEntries(p.inputs.filter((x) => x.source === 'value').map((x) => [x.name, toOrt(x.host)]));
  };
  const fixed = await fixedValues();
  const dataInputs = inputs.filter((d) => !fixed[d.name]);
  const st = await fs.stat(spec.path).catch(() => undefined);
  if (!st) throw new QuantizeError(`calibration data ${spec.path} does not exist`);
  if (spec.kind === 'images') {
    if (dataInputs.length !== 1) throw new QuantizeError('image calibration needs a model with one input (give the others with --value)');
    const files = st.isDirectory() ? (await fs.readdir(spec.path)).filter((f) => IMAGE_EXT.has(path.extname(f).toLowerCase())).sort().map((f) => path.join(spec.path, f)) : [spec.path];
    if (!files.length) throw new QuantizeError(`no images (.png, .jpg, .webp…) in ${spec.path}`);
    for (const f of files) {
      check();
      try {
        yield { ...fixed, [dataInputs[0].name]: await imageTensor(f, spec.recipe) };
      } catch (err) {
        if (err instanceof CancelledError) throw err;
        throw new QuantizeError(`cannot read image ${path.basename(f)}: ${(err as Error).message}`);
      }
    }
    return;
  }
  if (!st.isDirectory() && spec.path.toLowerCase().endsWith('.npz')) {
    for await (const s2 of npzSamples(spec.path, dataInputs, check)) yield { ...fixed, ...s2 };
    return;
  }
  if (!st.isDirectory()) {
    if (dataInputs.length !== 1) throw new QuantizeError('a single calibration file works for one-input models only; use a folder with one sub-folder per sample');
    yield { ...fixed, [dataInputs[0].name]: await tensorFromFile(spec.path, dataInputs[0]) };
    return;
  }
  const entries = (await fs.readdir(spec.path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  let count = 0;
  for (const e of entries) {
    check();
    const full = path.join(spec.path, e.name);
    if (e.isFile() && TENSOR_EXT.has(path.extname(e.name))) {
      if (dataInputs.length !== 1) throw new QuantizeError(`${spec.path} holds loose tensor files, but the model has ${dataInputs.length} inputs: put each sample in a sub-folder with one file per input`);
      yield { ...fixed, [dataInputs[0].name]: await tensorFromFile(full, dataInputs[0]) };
      count++;
    } else if (e.isDirectory()) {
      const files = (await fs.readdir(full)).filter((f) => TENSOR_EXT.has(path.extname(f)));
      const sample: Sample = { ...fixed };
      for (const [i, spec2] of inputs.entries()) {
        if (fixed[spec2.name]) continue;
        const f = files.find((x) => x.replace(/\.(npy|pb)$/, '') === spec2.name) ?? files.find((x) => x === `input_${i}.pb`);
        if (!f) throw new QuantizeError(`sample ${e.name} has no file for input ${spec2.name} (expected ${spec2.name}.npy or input_${i}.pb)`);
        sample[spec2.name] = await tensorFromFile(path.join(full, f), spec2);
      }
      yield sample;
      count++;
    }
  }
  if (!count) throw new QuantizeError(`no calibration samples in ${spec.path} (.npy/.pb files, or one sub-folder per sample)`);
}

/** The model's real inputs (old models also list their initializers as inputs: those are not fed). */
/**
 * A NumPy .npz: one array per input, named after the input (`arr_0` for a one-input model). An array one rank
 * higher than the input holds one sample per row of its first dimension; otherwise it is a single sample.
 */
async function* npzSamples(file: string, inputs: InputSpec[], check: () => void): AsyncGenerator<Sample> {
  const zip = await fs.readFile(file);
  let names: string[];
  try {
    names = listZip(zip).map((e) => e.name);
  } catch (err) {
    throw new QuantizeError(`${path.basename(file)} is not a valid .npz: ${(err as Error).message}`);
  }
  const arrays = new Map<string, ReturnType<typeof parseNpy>>();
  for (const [i, spec] of inputs.entries()) {
    const entry = names.find((n) => n === `${spec.name}.npy`) ?? (inputs.length === 1 ? names.find((n) => n === `arr_${i}.npy`) : undefined);
    if (!entry) throw new QuantizeError(`${path.basename(file)} has no array for input ${spec.name} (arrays: ${names.map((n) => n.replace(/\.npy$/, '')).join(', ')})`);
    const a = parseNpy(readZipEntry(zip, entry));
    if (a.dtype !== spec.type) throw new QuantizeError(`${path.basename(file)}: ${entry} holds ${a.dtype} but input ${spec.name} is ${spec.type}`);
    arrays.set(spec.name, a);
  }
  const ort = loadOrt();
  const batched = inputs.every((s) => (arrays.get(s.name)?.shape.length ?? 0) === (s.shape?.length ?? -2) + 1);
  const count = batched ? (arrays.get(inputs[0].name)?.shape[0] ?? 0) : 1;
  for (let k = 0; k < count; k++) {
    check();
    const sample: Sample = {};
    for (const s of inputs) {
      const a = arrays.get(s.name)!;
      const shape = batched ? a.shape.slice(1) : a.shape;
      const per = shape.reduce((x, y) => x * y, 1);
      const data = batched ? (a.data as Float32Array).slice(k * per, (k + 1) * per) : a.data;
      sample[s.name] = new ort.Tensor(a.dtype as 'float32', data as Float32Array, shape);
    }
    yield sample;
  }
}

/** The model's inputs as its graph declares them (dim names, unnamed dims as null), with its metadata. */
export function inputSpecs(session: InferenceSession, model?: onnx.ModelProto): InputSpecList {
  if (model) {
    const list: InputSpecList = declaredInputs(model);
    list.metadata = modelMetadata(model);
    return list;
  }
  return session.inputMetadata.map((m) => ({ name: m.name, type: m.isTensor ? String(m.type) : 'non-tensor', shape: m.isTensor ? (m.shape as Array<number | string>).map((d) => (typeof d === 'number' && d < 0 ? null : d)) : [] }));
}

/* ------------------------------------------------------------------ */
/* Calibrators                                                          */

const BINS = 2048;

export type Method = 'minmax' | 'percentile' | 'entropy';

interface TensorStats {
  min: number;
  max: number;
  absmax: number;
  hist?: Float64Array;
}

/** Collects ranges per tensor from the augmented model's outputs. MinMax in one pass; histograms in a second. */
export class RangeCollector {
  readonly stats = new Map<string, TensorStats>();
  constructor(readonly method: Method, readonly percentile = 99.999) {}

  get needsSecondPass(): boolean {
    return this.method !== 'minmax';
  }

  observeMinMax(name: string, data: Float32Array): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === Infinity) return;
    const s = this.stats.get(name) ?? { min: Infinity, max: -Infinity, absmax: 0 };
    s.min = Math.min(s.min, lo);
    s.max = Math.max(s.max, hi);
    s.absmax = Math.max(Math.abs(s.min), Math.abs(s.max));
    this.stats.set(name, s);
  }

  observeHistogram(name: string, data: Float32Array): void {
    const s = this.stats.get(name);
    if (!s || s.absmax === 0) return;
    s.hist ??= new Float64Array(BINS);
    const w = s.absmax / BINS;
    for (let i = 0; i < data.length; i++) {
      const b = Math.min(BINS - 1, Math.floor(Math.abs(data[i]) / w));
      s.hist[b]++;
    }
  }

  ranges(): Map<string, [number, number]> {
    const out = new Map<string, [number, number]>();
    for (const [name, s] of this.stats) {
      if (this.method === 'minmax' || !s.hist) { out.set(name, [s.min, s.max]); continue; }
      const t = this.method === 'percentile' ? percentileThreshold(s.hist, s.absmax, this.percentile) : entropyThreshold(s.hist, s.absmax);
      out.set(name, [Math.max(s.min, -t), Math.min(s.max, t)]);
    }
    return out;
  }
}

/** The |x| below which `percentile` % of the values fall. */
export function percentileThreshold(hist: Float64Array, absmax: number, percentile: number): number {
  const total = hist.reduce((a, b) => a + b, 0);
  if (!total) return absmax;
  const target = (percentile / 100) * total;
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i];
    if (acc >= target) return ((i + 1) * absmax) / hist.length;
  }
  return absmax;
}

/**
 * KL-divergence threshold (TensorRT's entropy calibration, as in ORT's tool) over a histogram of |x|: for each
 * candidate cut i, P is hist[0:i] with the tail folded into its last bin, Q is hist[0:i] merged into 128
 * bins and spread back over P's non-zero bins; the cut with the smallest KL(P‖Q) wins.
 */
export function entropyThreshold(hist: Float64Array, absmax: number, quantBins = 128): number {
  const n = hist.length;
  let best = n;
  let bestKl = Infinity;
  const step = Math.max(1, Math.floor(n / 512));
  for (let i = quantBins; i <= n; i += step) {
    const p = Array.from(hist.subarray(0, i));
    let outliers = 0;
    for (let j = i; j < n; j++) outliers += hist[j];
    p[i - 1] += outliers;
    const merged = Math.floor(i / quantBins);
    const q = new Array<number>(i).fill(0);
    for (let b = 0; b < quantBins; b++) {
      const start = b * merged;
      const end = b === quantBins - 1 ? i : start + merged;
      let sum = 0;
      let nonzero = 0;
      for (let j = start; j < end; j++) { sum += hist[j]; if (p[j] !== 0) nonzero++; }
      if (nonzero) for (let j = start; j < end; j++) if (p[j] !== 0) q[j] = sum / nonzero;
    }
    const ps = p.reduce((a, b) => a + b, 0);
    const qs = q.reduce((a, b) => a + b, 0);
    if (!ps || !qs) continue;
    let kl = 0;
    for (let j = 0; j < i; j++) {
      const pj = p[j] / ps;
      if (pj === 0) continue;
      const qj = q[j] / qs;
      kl += pj * Math.log(pj / (qj > 0 ? qj : 1e-12));
    }
    if (kl < bestKl) { bestKl = kl; best = i; }
  }
  return ((best + 0.5) * absmax) / n;
}

/** Adds intermediate tensors as graph outputs so a session returns them (for calibration). */
export function augment(model: onnx.ModelProto, tensors: string[]): Uint8Array {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const g = copy.graph as onnx.GraphProto;
  const have = new Set(g.output.map((o) => o.name));
  for (const t of tensors) if (!have.has(t)) g.output.push(onnx.ValueInfoProto.create({ name: t, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  return onnx.ModelProto.encode(copy).finish();
}

export function irVersionOf(model: onnx.ModelProto): number {
  return toNumber(model.irVersion);
}

/**
 * Refuses early (before anything is written) when generated inputs would be needed and a symbolic or unnamed
 * dimension has no value: the error names the input, the dim and the flag.
 */
export function requireShapes(specs: InputSpecList, overrides: InputOverrides, needsGenerated: boolean): void {
  if (needsGenerated) resolvePlans(specs, overrides, { metadata: specs.metadata });
}

/** What a report states about the inputs it measured with: shapes and dtypes of a sample, values given. */
export function sampleRecords(sample: Sample | undefined, specs: InputSpecList, overrides: InputOverrides, source: string): InputRecord[] {
  if (!sample) return [];
  const plans = (() => {
    try {
      return resolvePlans(specs, { values: overrides.values }, { metadata: specs.metadata, allowMissing: true }).inputs;
    } catch {
      return [];
    }
  })();
  return specs.filter((s) => sample[s.name]).map((s) => {
    const t = sample[s.name];
    const p = plans.find((x) => x.name === s.name);
    const rec: InputRecord = { name: s.name, type: t.type, shape: t.dims.map(Number), source: p?.values ? 'value' : source };
    if (p?.values) rec.value = p.values.length === 1 ? p.values[0] : p.values;
    if (s.shape?.some((d) => typeof d !== 'number')) rec.declared = s.shape;
    if (p?.valueFrom === 'convention' || p?.valueFrom === 'metadata') rec.notes = [`${s.name} = ${p.values?.join(',')} (${p.valueFrom === 'convention' ? 'convention' : "from the model's metadata"})`];
    return rec;
  });
}
