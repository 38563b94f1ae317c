import { type onnx } from 'onnx-proto';
import { toNumber } from '../onnx/model';
import { ortType } from '../onnx/dtypes';
import { InputError, formatDeclared, formatShape, type DeclaredInput, type Dim, type InputOverrides, type MissingDim, type Origin } from './spec';

/** The model's real inputs as declared in its graph (old models also list initializers as inputs: those are not inputs). */
export function declaredInputs(model: onnx.IModelProto): DeclaredInput[] {
  const g = model.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name ?? ''));
  return (g?.input ?? []).filter((v) => !inits.has(v.name ?? '')).map((v) => {
    const tt = v.type?.tensorType;
    if (!tt) return { name: v.name ?? '', type: 'non-tensor', shape: [] };
    const shape = tt.shape ? (tt.shape.dim ?? []).map((d): Dim => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : null)) : null;
    const type = ortType(tt.elemType ?? 0) ?? (tt.elemType === 16 ? 'bfloat16' : `dtype(${tt.elemType})`);
    const idLimit = /^u?int(8|16|32|64)$/.test(type) && g ? tableRows(g, v.name ?? '') : undefined;
    return { name: v.name ?? '', type, shape, ...(idLimit ? { idLimit } : {}) };
  });
}

/** Ops an id passes through unchanged on its way to a lookup (exporters cast, unsqueeze and reshape them). */
const ID_PASS = new Set(['Cast', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten', 'Identity', 'Expand']);

/**
 * The fewest rows among the constant tables an integer input indexes: Gather(table, ids) in the default domain,
 * and com.microsoft's EmbedLayerNormalization (input_ids → word_embedding, segment_ids → segment_embedding,
 * position_ids → position_embedding, as onnxruntime's contrib op schema numbers its inputs). Undefined when no
 * such lookup is found.
 */
function tableRows(g: onnx.IGraphProto, input: string): number | undefined {
  const consts = new Map<string, number[]>();
  for (const t of g.initializer ?? []) if (t.name) consts.set(t.name, (t.dims ?? []).map((d) => toNumber(d)));
  for (const n of g.node ?? []) {
    const t = n.opType === 'Constant' ? n.attribute?.find((a) => a.name === 'value')?.t : undefined;
    if (t && n.output?.[0]) consts.set(n.output[0], (t.dims ?? []).map((d) => toNumber(d)));
  }
  const users = new Map<string, onnx.INodeProto[]>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) if (i) users.set(i, [...(users.get(i) ?? []), n]);
  const EMBED: Record<number, number> = { 0: 2, 1: 4, 8: 3 };
  let rows: number | undefined;
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const n of users.get(name) ?? []) {
      const domain = n.domain || 'ai.onnx';
      const at = (n.input ?? []).indexOf(name);
      let table: number[] | undefined;
      let axis = 0;
      if (n.opType === 'Gather' && domain === 'ai.onnx' && at === 1) {
        table = consts.get(n.input?.[0] ?? '');
        const a = n.attribute?.find((x) => x.name === 'axis');
        axis = a ? toNumber(a.i) : 0;
      } else if (n.opType === 'EmbedLayerNormalization' && domain === 'com.microsoft' && EMBED[at] !== undefined) {
        table = consts.get(n.input?.[EMBED[at]] ?? '');
      } else if (ID_PASS.has(n.opType ?? '') && domain === 'ai.onnx' && at === 0 && n.output?.[0]) {
        visit(n.output[0]);
      }
      if (table?.length) {
        const r = table[axis < 0 ? axis + table.length : axis];
        if (Number.isSafeInteger(r) && r > 0) rows = Math.min(rows ?? r, r);
      }
    }
  };
  visit(input);
  return rows;
}

/** metadata_props as a record (what exporters write: sizes, sample rates, …). */
export function modelMetadata(model: onnx.IModelProto): Record<string, string> {
  const m: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) m[p.key] = p.value ?? '';
  return m;
}

/* ------------------------------------------------------------------ */
/* Conventions                                                          */

const BATCH = /^(n|b|bs|batch|batch_?size|batches|num_?batch(es)?|batch_?dim|unk__batch)$/i;
/** A symbolic dimension named like a batch is 1: phones run one sample at a time. */
export function isBatchName(name: string): boolean {
  return BATCH.test(name) || /^batch/i.test(name) || /(^|[._])batch_?size$/i.test(name);
}

const SAMPLE_RATE = /^(sr|sample_?rate|sampling_?rate|samplerate|rate_hz)$/i;
export function isSampleRateName(name: string): boolean {
  return SAMPLE_RATE.test(name);
}

/** Audio models at 16 kHz (silero VAD, Whisper, wake-word front ends) take the rate as an input: 16000. */
export const DEFAULT_SAMPLE_RATE = 16000;

/** An image input: rank 4 with 1, 3 or 4 channels in NCHW or NHWC. */
export function isImageLike(d: DeclaredInput): boolean {
  const s = d.shape;
  if (!s || s.length !== 4) return false;
  const ch = (x: Dim) => x === 1 || x === 3 || x === 4;
  return ch(s[1]) || ch(s[3]) || /image|pixel|img|^images?$/i.test(d.name);
}

/** An example size for a missing dimension (only for the message: never used silently). */
function exampleSize(d: DeclaredInput, index: number, name: string | undefined): number {
  if (name && isBatchName(name)) return 1;
  if (index === 0) return 1;
  if (isImageLike(d) && d.shape) {
    const nchw = d.shape[1] === 1 || d.shape[1] === 3 || d.shape[1] === 4;
    if ((nchw && index >= 2) || (!nchw && (index === 1 || index === 2))) return 640;
  }
  if (name && /(sample|audio|wave|pcm)/i.test(name)) return 16000;
  // An unnamed dim before the last is most often a batch; the last one a length or a feature size.
  if (!name && d.shape && index < d.shape.length - 1) return 1;
  return 128;
}

/* ------------------------------------------------------------------ */
/* Resolution                                                           */

export interface ShapePlan {
  name: string;
  type: string;
  /** As declared (null: unknown rank). */
  declared: Dim[] | null;
  /** Resolved dims; null where nothing gave a value (only when missing dims are allowed). */
  shape: Array<number | null>;
  /** Where the shape came from: the user's --shape, a file, or the declaration (with dims filled). */
  shapeFrom: 'shape' | 'file' | 'declared';
  /** The value given with --value, a metadata entry or a convention (filled or element-wise). */
  values?: number[];
  valueFrom?: Origin;
  /** How each symbolic or unnamed dimension, and the value, got resolved (for results and messages). */
  notes: string[];
}

export interface ResolveOptions {
  metadata?: Record<string, string>;
  /** Shapes of inputs that come from files (read before resolving). */
  fileShapes?: Record<string, number[]>;
  /** Do not throw on dims without a value (summary: MACs are simply unknown there). */
  allowMissing?: boolean;
  /** Apply known conventions (batch = 1, sample rate = 16000); default true. */
  conventions?: boolean;
}

export interface ResolvedPlans {
  inputs: ShapePlan[];
  missing: MissingDim[];
  /** Values of symbolic dimensions as used (from --dim, --shape, files, metadata, conventions). */
  dims: Record<string, number>;
  /** One line per convention or metadata entry that was applied without the user saying so. */
  notes: string[];
}

function metaInt(meta: Record<string, string>, key: string): number | undefined {
  const v = meta[key];
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 ? n : undefined;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Decides the shape (and value) of every input from what the user gave, what the model declares, its metadata
 * and known conventions. A symbolic or unnamed dimension that nothing gives a value is an InputError naming the
 * input, the dim and the flag to use (unless allowMissing).
 */
export function resolvePlans(declared: DeclaredInput[], o: InputOverrides = {}, opts: ResolveOptions = {}): ResolvedPlans {
  const meta = opts.metadata ?? {};
  const conventions = opts.conventions !== false;
  const names = new Set(declared.map((d) => d.name));
  for (const [flag, rec] of [['--shape', o.shapes], ['--value', o.values], ['--input', o.files]] as const) {
    for (const k of Object.keys(rec ?? {})) if (!names.has(k)) throw new InputError(`${flag} ${k}: the model has no input named "${k}" (inputs: ${declared.map((d) => d.name).join(', ')})`);
  }
  const notes: string[] = [];
  // Symbol bindings: --dim first; then what explicit shapes and files say about the symbols at their positions.
  const dims: Record<string, number> = { ...(o.dims ?? {}) };
  const dimOrigin: Record<string, Origin> = Object.fromEntries(Object.keys(dims).map((k) => [k, 'dim' as Origin]));
  const explicit = (name: string): { shape: number[]; from: 'shape' | 'file' } | undefined => {
    if (o.shapes?.[name]) return { shape: o.shapes[name], from: 'shape' };
    if (opts.fileShapes?.[name]) return { shape: opts.fileShapes[name], from: 'file' };
    return undefined;
  };
  for (const d of declared) {
    const e = explicit(d.name);
    if (!e) continue;
    if (d.shape && d.shape.length !== e.shape.length) {
      const what = e.from === 'shape' ? `--shape ${d.name}=${formatShape(e.shape)}` : `the file for ${d.name} (shape ${formatShape(e.shape)})`;
      throw new InputError(`${what} has rank ${e.shape.length}, but input "${d.name}" has rank ${d.shape.length} ${formatDeclared(d.shape)}`);
    }
    d.shape?.forEach((dim, i) => {
      if (typeof dim === 'number' && dim !== e.shape[i]) {
        const what = e.from === 'shape' ? `--shape ${d.name}=${formatShape(e.shape)}` : `the file for ${d.name} (shape ${formatShape(e.shape)})`;
        throw new InputError(`${what}: dim ${i} is fixed at ${dim} in the model, not ${e.shape[i]}`);
      }
      if (typeof dim === 'string' && dims[dim] === undefined) {
        dims[dim] = e.shape[i];
        dimOrigin[dim] = e.from;
      }
    });
  }
  const missing: MissingDim[] = [];
  const inputs: ShapePlan[] = declared.map((d) => {
    const planNotes: string[] = [];
    const e = explicit(d.name);
    let shape: Array<number | null>;
    let shapeFrom: ShapePlan['shapeFrom'];
    if (e) {
      shape = [...e.shape];
      shapeFrom = e.from;
    } else {
      shapeFrom = 'declared';
      // A value with several elements gives a rank-1 input its length.
      const vals = o.values?.[d.name];
      const decl: Dim[] = d.shape ?? (vals ? (vals.length > 1 ? [vals.length] : []) : [null]);
      if (!d.shape && !vals) {
        missing.push({ input: d.name, index: -1, suggestion: [] });
        return { name: d.name, type: d.type, declared: null, shape: [], shapeFrom, notes: planNotes };
      }
      shape = decl.map((dim, i) => {
        if (typeof dim === 'number') return dim;
        if (dim === null && vals && vals.length > 1 && decl.length === 1) return vals.length;
        if (typeof dim === 'string') {
          if (dims[dim] !== undefined) return dims[dim];
          const m = metaInt(meta, dim);
          if (m !== undefined) {
            dims[dim] = m;
            dimOrigin[dim] = 'metadata';
            notes.push(`${dim} = ${m} (from the model's metadata)`);
            return m;
          }
          if (conventions && (isBatchName(dim) || (i === 0 && isImageLike(d)))) {
            dims[dim] = 1;
            dimOrigin[dim] = 'convention';
            notes.push(`${dim} = 1 (${isBatchName(dim) ? 'batch convention' : `the batch of image input ${d.name}, by convention`}; give --dim ${dim}=N or --shape to change it)`);
            return 1;
          }
        }
        if (dim === null && conventions && i === 0 && isImageLike(d)) {
          notes.push(`${d.name} dim 0 = 1 (the batch of an image input, by convention; give --shape to change it)`);
          return 1;
        }
        return null;
      });
      shape.forEach((v, i) => {
        if (v === null) {
          const dn = typeof decl[i] === 'string' ? (decl[i] as string) : undefined;
          missing.push({ input: d.name, index: i, dimName: dn, suggestion: [] });
        }
      });
    }
    // Values: --value, then metadata, then conventions (a sample rate).
    let values = o.values?.[d.name];
    let valueFrom: Origin | undefined = values ? 'input' : undefined;
    const count = shape.every((x) => x !== null) ? elementCount(shape as number[]) : undefined;
    if (!values && !o.files?.[d.name] && count === 1) {
      const m = metaInt(meta, d.name);
      if (m !== undefined) {
        values = [m];
        valueFrom = 'metadata';
        notes.push(`${d.name} = ${m} (from the model's metadata)`);
      } else if (conventions && isSampleRateName(d.name) && d.type !== 'bool' && d.type !== 'non-tensor') {
        const r = metaInt(meta, 'sample_rate') ?? metaInt(meta, 'sampling_rate') ?? DEFAULT_SAMPLE_RATE;
        values = [r];
        valueFrom = r === DEFAULT_SAMPLE_RATE && metaInt(meta, 'sample_rate') === undefined && metaInt(meta, 'sampling_rate') === undefined ? 'convention' : 'metadata';
        notes.push(`${d.name} = ${r} (${valueFrom === 'convention' ? 'sample-rate convention' : "from the model's metadata"}; give --value ${d.name}=N to change it)`);
      }
    }
    if (values && count !== undefined && values.length > 1 && values.length !== count) {
      throw new InputError(`--value ${d.name} gives ${values.length} elements, but the input's shape ${formatShape(shape as number[])} holds ${count}`);
    }
    if (values && (d.type === 'non-tensor' || d.type === 'string')) throw new InputError(`--value ${d.name}: input "${d.name}" is ${d.type}; values can be given for numeric tensors only`);
    for (const [i, dim] of (d.shape ?? []).entries()) {
      if (typeof dim !== 'number' && shape[i] !== null && shapeFrom === 'declared' && typeof dim === 'string' && dimOrigin[dim] && dimOrigin[dim] !== 'convention' && dimOrigin[dim] !== 'metadata') planNotes.push(`${dim} = ${shape[i]} (${dimOrigin[dim] === 'dim' ? '--dim' : `from another input's ${dimOrigin[dim] === 'file' ? 'file' : '--shape'}`})`);
    }
    return { name: d.name, type: d.type, declared: d.shape, shape, shapeFrom, values, valueFrom, notes: planNotes };
  });
  // Suggestions: the known dims, example sizes for the missing ones.
  for (const m of missing) {
    const d = declared.find((x) => x.name === m.input)!;
    const p = inputs.find((x) => x.name === m.input)!;
    m.suggestion = (d.shape ?? []).map((dim, i) => p.shape[i] ?? exampleSize(d, i, typeof dim === 'string' ? dim : undefined));
  }
  if (missing.length && !opts.allowMissing) throw new InputError(missingMessage(missing), missing);
  return { inputs, missing, dims, notes };
}

/** `input "x" dim 2 ("height") has no value: give --shape x=1x3x640x640` (every input with missing dims, once). */
export function missingMessage(missing: MissingDim[]): string {
  const byInput = new Map<string, MissingDim[]>();
  for (const m of missing) byInput.set(m.input, [...(byInput.get(m.input) ?? []), m]);
  const parts = [...byInput.entries()].map(([input, ms]) => {
    if (ms[0].index < 0) return `input "${input}" has no declared shape: give --shape ${input}=D1xD2x… (its whole shape)`;
    const dimsText = ms.map((m) => `${m.index} (${m.dimName ? `"${m.dimName}"` : 'unnamed'})`);
    const named = ms.filter((m) => m.dimName).map((m) => m.dimName);
    const alt = named.length === ms.length ? `, or ${named.map((n) => `--dim ${n}=N`).join(' ')}` : '';
    return `input "${input}" dim${ms.length > 1 ? 's' : ''} ${dimsText.join(', ')} ${ms.length > 1 ? 'have' : 'has'} no value: give --shape ${input}=${formatShape(ms[0].suggestion)} (the size it runs at)${alt}`;
  });
  return parts.join('; ');
}
