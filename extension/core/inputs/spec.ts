/**
 * What a user says about a model's inputs: whole shapes (`--shape x=1x3x640x640`), values (`--value sr=16000`),
 * symbolic-dimension values (`--dim height=640`) and data files (`--input x=img.npy`). One form for the CLI, the
 * editor, mobileai.yaml and every engine that runs a model (profile, quantize, search export, tables).
 */

/** A declared dimension: a number when fixed, the dim_param name when symbolic, null when unnamed (dynamic). */
export type Dim = number | string | null;

/** An input as the model declares it. `shape` is null when even the rank is unknown. */
export interface DeclaredInput {
  name: string;
  /** Element type as onnxruntime names it (float32, int64, …); "non-tensor" for sequences and maps. */
  type: string;
  shape: Dim[] | null;
  /**
   * An integer input that indexes a table of this many rows (a Gather on an embedding, as token_type_ids index
   * BERT's 2-row segment table): ids drawn for it stay below this, or onnxruntime refuses them out of bounds.
   */
  idLimit?: number;
}

export interface InputOverrides {
  /** Whole input shapes, unnamed dimensions included. */
  shapes?: Record<string, number[]>;
  /** One number fills the tensor; several are its elements (row-major). */
  values?: Record<string, number[]>;
  /** Values of symbolic dimensions by name (the older `--dim`). */
  dims?: Record<string, number>;
  /** Input name → a .npy or .pb (TensorProto) file. */
  files?: Record<string, string>;
}

/** A dimension with no value: which input, which axis, its name if it has one, and a shape to suggest. */
export interface MissingDim {
  input: string;
  index: number;
  dimName?: string;
  /** The whole shape with the known dims filled and an example size for the missing ones. */
  suggestion: number[];
}

export class InputError extends Error {
  constructor(message: string, readonly missing: MissingDim[] = []) {
    super(message);
    this.name = 'InputError';
  }
}

/** Where a resolved dimension or value came from (stated in every result). */
export type Origin = 'model' | 'shape' | 'dim' | 'file' | 'metadata' | 'convention' | 'input';

/** The key/value part of NAME=VALUE: split at the last '=' (input names may hold dots, colons, slashes). */
function splitAssignment(flag: string, text: string): [string, string] {
  const eq = text.lastIndexOf('=');
  if (eq <= 0) throw new InputError(`${flag} ${text}: expected NAME=VALUE`);
  return [text.slice(0, eq).trim(), text.slice(eq + 1).trim()];
}

/**
 * Parses a shape: `1x3x640x640`, `1,3,640,640`, `[1, 3, 640, 640]`; `[]`, `scalar` or nothing for a scalar.
 * Every dimension is a whole number ≥ 0 (0 is a legal empty dimension in ONNX).
 */
export function parseShape(text: string, what = 'shape'): number[] {
  const t = text.trim().replace(/^\[|\]$/g, '').trim();
  if (t === '' || t.toLowerCase() === 'scalar') return [];
  const parts = t.split(/\s*[x×,]\s*/i);
  const dims = parts.map(Number);
  if (parts.some((p) => p === '') || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new InputError(`${what} "${text}": expected whole numbers like 1x3x640x640 (or [] for a scalar)`);
  return dims;
}

/** `--shape NAME=1x3x640x640` */
export function parseShapeFlag(text: string): { name: string; shape: number[] } {
  const [name, v] = splitAssignment('--shape', text);
  return { name, shape: parseShape(v, `--shape ${name}`) };
}

/** `--value NAME=16000`, `--value NAME=0.5` (fills the tensor) or `--value NAME=1,2,3` (the elements). */
export function parseValueFlag(text: string): { name: string; values: number[] } {
  const [name, v] = splitAssignment('--value', text);
  const parts = v.replace(/^\[|\]$/g, '').split(/\s*,\s*/);
  const values = parts.map((p) => (/^(true|false)$/i.test(p) ? (p.toLowerCase() === 'true' ? 1 : 0) : Number(p)));
  if (!v || parts.some((p) => p === '') || values.some((x) => !Number.isFinite(x))) throw new InputError(`--value ${text}: expected NAME=NUMBER or NAME=N1,N2,… (e.g. sr=16000)`);
  return { name, values };
}

/** `--dim NAME=VALUE`: a positive whole number for a symbolic dimension. */
export function parseDimFlag(text: string): { name: string; value: number } {
  const [name, v] = splitAssignment('--dim', text);
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw new InputError(`--dim ${text}: expected NAME=POSITIVE_INTEGER`);
  return { name, value: n };
}

/** Collects repeated --shape/--value/--dim/--input flags into overrides; a name given twice is an error. */
export function parseInputFlags(f: { shape?: string[]; value?: string[]; dim?: string[]; input?: string[] }, resolvePath: (p: string) => string = (p) => p): InputOverrides {
  const o: InputOverrides = {};
  const once = <T>(rec: Record<string, T>, flag: string, name: string, v: T) => {
    if (name in rec) throw new InputError(`${flag} ${name} is given twice`);
    rec[name] = v;
  };
  if (f.shape?.length) { o.shapes = {}; for (const s of f.shape) { const p = parseShapeFlag(s); once(o.shapes, '--shape', p.name, p.shape); } }
  if (f.value?.length) { o.values = {}; for (const s of f.value) { const p = parseValueFlag(s); once(o.values, '--value', p.name, p.values); } }
  if (f.dim?.length) { o.dims = {}; for (const s of f.dim) { const p = parseDimFlag(s); once(o.dims, '--dim', p.name, p.value); } }
  if (f.input?.length) {
    o.files = {};
    for (const s of f.input) {
      const eq = s.indexOf('=');
      if (eq <= 0) throw new InputError(`--input ${s}: expected NAME=FILE`);
      once(o.files, '--input', s.slice(0, eq), resolvePath(s.slice(eq + 1)));
    }
  }
  return o;
}

/** Overrides as flags again (for messages, and to show what a result was measured with). */
export function overridesToFlags(o: InputOverrides): string[] {
  return [
    ...Object.entries(o.shapes ?? {}).map(([k, s]) => `--shape ${k}=${formatShape(s)}`),
    ...Object.entries(o.values ?? {}).map(([k, v]) => `--value ${k}=${v.join(',')}`),
    ...Object.entries(o.dims ?? {}).map(([k, v]) => `--dim ${k}=${v}`),
    ...Object.entries(o.files ?? {}).map(([k, v]) => `--input ${k}=${v}`),
  ];
}

/** A declared shape for people: `[batch, 3, ?, 640]` (names and unnamed dims shown as they are). */
export function formatDeclared(shape: readonly Dim[] | null): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '(rank unknown)';
}

export function formatShape(shape: readonly Dim[]): string {
  return shape.length ? shape.map((d) => (d === null ? '?' : String(d))).join('x') : '[]';
}

/** Merges override sets; later ones win per input or dim name. */
export function mergeOverrides(...all: Array<InputOverrides | undefined>): InputOverrides {
  const out: InputOverrides = {};
  for (const o of all) {
    if (!o) continue;
    if (o.shapes) out.shapes = { ...out.shapes, ...o.shapes };
    if (o.values) out.values = { ...out.values, ...o.values };
    if (o.dims) out.dims = { ...out.dims, ...o.dims };
    if (o.files) out.files = { ...out.files, ...o.files };
  }
  return out;
}

export function isEmptyOverrides(o: InputOverrides | undefined): boolean {
  return !o || ![o.shapes, o.values, o.dims, o.files].some((r) => r && Object.keys(r).length);
}

/**
 * `inputs:` of a model in mobileai.yaml. Each key is an input name or a symbolic-dimension name:
 * `batch: 1` (a dim), `x: 1x3x640x640` or `x: [1, 3, 640, 640]` (an input's whole shape),
 * `sr: { value: 16000 }`, `x: { shape: 1x3x640x640, value: 0.5 }`, `mask: { file: mask.npy }`.
 */
export type ManifestInputs = Record<string, number | string | number[] | { shape?: string | number[]; value?: number | number[] | boolean; file?: string }>;

/** The manifest form as overrides; `inputNames` (when known) tells a number for an input (its value) from a dim value. */
export function fromManifestInputs(m: ManifestInputs | undefined, inputNames?: readonly string[], resolvePath: (p: string) => string = (p) => p): InputOverrides {
  const o: InputOverrides = {};
  if (!m || typeof m !== 'object') return o;
  const isInput = (k: string) => !!inputNames?.includes(k);
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number') {
      // A number for a scalar input is its value; for anything else a symbolic dimension's value.
      if (isInput(k)) (o.values ??= {})[k] = [v];
      else (o.dims ??= {})[k] = v;
    } else if (typeof v === 'string') {
      (o.shapes ??= {})[k] = parseShape(v, `inputs.${k}`);
    } else if (Array.isArray(v)) {
      (o.shapes ??= {})[k] = parseShape(`[${v.join(',')}]`, `inputs.${k}`);
    } else if (v && typeof v === 'object') {
      if (v.shape !== undefined) (o.shapes ??= {})[k] = typeof v.shape === 'string' ? parseShape(v.shape, `inputs.${k}.shape`) : parseShape(`[${v.shape.join(',')}]`, `inputs.${k}.shape`);
      if (v.value !== undefined) (o.values ??= {})[k] = Array.isArray(v.value) ? v.value : [typeof v.value === 'boolean' ? Number(v.value) : v.value];
      if (v.file) (o.files ??= {})[k] = resolvePath(v.file);
    }
  }
  return o;
}

/** Overrides in the manifest form (what the editor's form writes, what `inputs:` reads back). */
export function toManifestInputs(o: InputOverrides): ManifestInputs {
  const m: ManifestInputs = {};
  for (const [k, v] of Object.entries(o.dims ?? {})) m[k] = v;
  for (const [k, s] of Object.entries(o.shapes ?? {})) m[k] = formatShape(s);
  for (const [k, v] of Object.entries(o.values ?? {})) {
    const value = v.length === 1 ? v[0] : v;
    const cur = m[k];
    m[k] = typeof cur === 'string' ? { shape: cur, value } : { value };
  }
  return m;
}
