/**
 * `mobileai.yaml`: parsing with source positions (the `yaml` library's document model), validation
 * (syntax, the schema through ajv, references, files, quantization parameters, latency budgets), and the
 * typed model the extension, the CLI and the language server share.
 */
import * as path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { Document, isMap, isScalar, isSeq, LineCounter, Pair, parseDocument, Scalar, visit, YAMLMap, type Node as YamlNode } from 'yaml';
import { MANIFEST_SCHEMA, schemaAt, type JsonSchema } from './schema';
import { InputError, fromManifestInputs, type DeclaredInput, type ManifestInputs } from '../inputs/spec';

export interface Target {
  serial?: string;
  match?: { model?: string; manufacturer?: string; soc?: string; abi?: string };
  table?: string;
  runner?: { ort?: string; tflite?: string };
}
export interface QuantizeRecipe {
  mode: 'static' | 'dynamic' | 'int4';
  method?: 'minmax' | 'percentile' | 'entropy';
  percentile?: number;
  perChannel?: boolean;
  u8s8?: boolean;
  reduceRange?: boolean;
  symmetricActivations?: boolean;
  asymmetricWeights?: boolean;
  calibration?: string;
  preprocess?: string;
  random?: number;
  blockSize?: number;
  int4Asymmetric?: boolean;
  exclude?: string[];
  excludeOps?: string[];
  keepFirstLast?: boolean;
  output?: string;
}
export interface ModelEntry {
  path: string;
  target?: string;
  /** Shapes, values and dims of the model's inputs (core/inputs/spec.ts ManifestInputs). */
  inputs?: ManifestInputs;
  quantize?: QuantizeRecipe;
  deploy?: { target?: string; to?: string; files?: string[]; apk?: string; launch?: string };
  profile?: { target?: string; runs?: number; warmup?: number; optimization?: 'all' | 'extended' | 'basic' | 'disabled' };
}
export interface SearchEntry {
  space?: string;
  target: string;
  /** More phones searched at once (with `target`), their best architectures compared. */
  targets?: string[];
  budgetMs: number;
  algorithm?: 'evolution' | 'front' | 'nsga2' | 'random' | 'evolution-classic';
  evaluations?: number;
  seed?: number;
  soft?: boolean;
  predictor?: string;
  blocks?: string[];
}
export interface AgentEntry {
  target: string;
  task?: string;
  tasks?: string;
  endpoint?: string;
  model?: string;
  maxSteps?: number;
  allow?: string[];
  vision?: boolean;
}
export interface LlmEntry {
  model: string;
  target?: string;
  runner?: 'onnx' | 'llama-bench' | 'genai' | 'litert-lm';
  runnerPath?: string;
  promptTokens?: number;
  genTokens?: number;
  repetitions?: number;
  threads?: number;
  sampleHz?: number;
  unplug?: boolean;
}
/** The LLM runner a model file's type implies (`llms:` entries without `runner`). */
export function llmRunnerFor(model: string): LlmEntry['runner'] {
  if (/\.gguf$/i.test(model)) return 'llama-bench';
  if (/\.(litertlm|task)$/i.test(model)) return 'litert-lm';
  if (/\.onnx$/i.test(model)) return 'onnx';
  return /\.[a-z0-9]+$/i.test(model) ? undefined : 'genai';
}
export interface Manifest {
  version?: number;
  targets?: Record<string, Target>;
  models?: Record<string, ModelEntry>;
  searches?: Record<string, SearchEntry>;
  agents?: Record<string, AgentEntry>;
  llms?: Record<string, LlmEntry>;
}

export type Section = 'targets' | 'models' | 'searches' | 'agents' | 'llms';
export const SECTIONS: Section[] = ['targets', 'models', 'searches', 'agents', 'llms'];

export interface Range {
  start: number;
  end: number;
}

export interface ManifestDiagnostic extends Range {
  severity: 'error' | 'warning' | 'info';
  message: string;
  code: string;
  /** For quick fixes: a replacement for the range, or text to insert. */
  fix?: { title: string; replace?: string; insertAt?: number; insert?: string; /** Replace this range instead of the diagnostic's. */ range?: Range }[];
}

export interface EntryInfo {
  section: Section;
  name: string;
  keyRange: Range;
  range: Range;
}

export interface ParsedManifest {
  text: string;
  doc: Document;
  value: Manifest;
  lineCounter: LineCounter;
  syntaxErrors: ManifestDiagnostic[];
  entries: EntryInfo[];
}

/** Facts about the project the validator may use; each may be unknown (undefined) until computed. */
export interface ProjectFacts {
  /** The manifest's folder: relative paths resolve from it. */
  baseDir: string;
  fileExists?(absPath: string): 'file' | 'dir' | false;
  /** The fastest and slowest networks a search space can build from a table, when known. */
  latencyRange?(tablePath: string, space: string): { minMs: number; maxMs: number } | undefined;
  /** A model file's declared inputs, when known (to check `inputs:` against them). */
  modelInputs?(absPath: string): DeclaredInput[] | undefined;
  /** The phones adb lists now (undefined: not known yet, so no target is reported as missing). */
  devices?: ConnectedPhone[];
}

/** A phone as adb lists it, with the properties `match:` can use once its details are read. */
export interface ConnectedPhone {
  serial: string;
  state: string;
  model?: string;
  manufacturer?: string;
  /** The SoC label (`ro.soc.model` or `ro.board.platform`). */
  soc?: string;
  abis?: string[];
}

/** Parsed pieces of a manifest, by their text: an edit re-parses only the entry it touches. */
interface Chunk {
  doc: Document;
  value: unknown;
  /** The offset its node ranges are currently shifted by. */
  shift: number;
}
const chunkCache = new Map<string, Chunk>();

function shiftChunk(c: Chunk, offset: number): void {
  const delta = offset - c.shift;
  if (!delta) return;
  visit(c.doc, {
    Node(_, n) {
      if (n.range) n.range = [n.range[0] + delta, n.range[1] + delta, n.range[2] + delta];
    },
  });
  c.shift = offset;
}

function chunk(text: string, offset: number, used: Set<Chunk>): Chunk | undefined {
  let c = chunkCache.get(text);
  if (c && used.has(c)) return undefined; // the same text twice in one manifest: its nodes cannot sit at two places
  if (!c) {
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
    if (doc.errors.length || doc.warnings.length || !isMap(doc.contents)) return undefined;
    c = { doc, value: doc.toJS(), shift: 0 };
    if (chunkCache.size > 20000) chunkCache.clear();
    chunkCache.set(text, c);
  }
  shiftChunk(c, offset);
  used.add(c);
  return c;
}

/**
 * The fast path for large manifests: each top-level line and each entry of a section (a key indented by two
 * spaces) is parsed on its own and cached by its text, then the pieces are put together into one document
 * with the ranges it would have had. Anything unusual (anchors, aliases, tags, directives, flow collections
 * across lines, errors) takes the whole-document path, which reports errors exactly.
 */
function parseChunked(text: string): { doc: Document; value: Manifest } | undefined {
  if (text.length < 4000 || /(^|[\s[{,])[&*!][^\s]/.test(text) || /^(---|\.\.\.|%)/m.test(text) || text.includes('\t') || text.includes('\r')) return undefined;
  const lines = text.split('\n');
  const starts: number[] = [];
  let off = 0;
  for (const l of lines) {
    starts.push(off);
    off += l.length + 1;
  }
  const root = new YAMLMap();
  const value: Record<string, unknown> = {};
  const used = new Set<Chunk>();
  let i = 0;
  const top = (l: string) => /^[^\s#-][^:]*:(\s|$)/.test(l);
  while (i < lines.length) {
    const l = lines[i];
    if (!l.trim() || l.startsWith('#')) { i++; continue; }
    if (!top(l)) return undefined;
    let j = i + 1;
    while (j < lines.length && !top(lines[j])) {
      if (lines[j].trim() && !lines[j].startsWith(' ') && !lines[j].startsWith('#')) return undefined;
      j++;
    }
    const key = l.slice(0, l.indexOf(':')).trim();
    const rest = l.slice(l.indexOf(':') + 1).trim();
    if (rest && !rest.startsWith('#')) {
      // `key: value` on one line (and nothing indented under it).
      if (lines.slice(i + 1, j).some((x) => x.trim() && !x.trim().startsWith('#'))) return undefined;
      const c = chunk(lines.slice(i, j).join('\n') + (j < lines.length ? '\n' : ''), starts[i], used);
      if (!c) return undefined;
      const pairs = (c.doc.contents as YAMLMap).items as Pair[];
      if (pairs.some((p) => String((p.key as Scalar).value) in value)) return undefined; // a duplicate key: the full parse reports it
      root.items.push(...pairs);
      Object.assign(value, c.value);
      i = j;
      continue;
    }
    // A section: its entries start at lines indented by exactly two spaces.
    const section = new YAMLMap();
    const sectionValue: Record<string, unknown> = {};
    let k = i + 1;
    while (k < j && (!lines[k].trim() || lines[k].trimStart().startsWith('#'))) k++;
    if (k < j && !/^ {2}[^\s#-]/.test(lines[k])) return undefined;
    while (k < j) {
      let e = k + 1;
      while (e < j && !/^ {2}[^\s#]/.test(lines[e])) e++;
      if (/^ {2}-/.test(lines[k])) return undefined;
      const c = chunk(lines.slice(k, e).join('\n') + (e < lines.length ? '\n' : ''), starts[k], used);
      if (!c) return undefined;
      const pairs = (c.doc.contents as YAMLMap).items as Pair[];
      if (pairs.some((p) => String((p.key as Scalar).value) in sectionValue)) return undefined;
      section.items.push(...pairs);
      Object.assign(sectionValue, c.value);
      k = e;
    }
    if (key in value) return undefined;
    const keyNode = new Scalar(key);
    keyNode.range = [starts[i], starts[i] + key.length, starts[i] + key.length];
    const last = section.items[section.items.length - 1] as Pair<YamlNode, YamlNode> | undefined;
    const end = (last?.value as YamlNode | null)?.range?.[2] ?? (last?.key as YamlNode | undefined)?.range?.[2] ?? keyNode.range[2];
    section.range = section.items.length ? [(section.items[0].key as YamlNode).range?.[0] ?? end, end, end] : [keyNode.range[1], keyNode.range[1], keyNode.range[1]];
    root.items.push(new Pair(keyNode, section.items.length ? section : null));
    value[key] = section.items.length ? sectionValue : null;
    i = j;
  }
  const doc = new Document();
  doc.contents = root as never;
  root.range = [0, text.length, text.length];
  return { doc, value: value as Manifest };
}

export function parseManifest(text: string): ParsedManifest {
  const lineCounter = new LineCounter();
  const fast = parseChunked(text);
  const doc = fast?.doc ?? parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const syntaxErrors: ManifestDiagnostic[] = fast ? [] : [...doc.errors, ...doc.warnings].map((e) => ({
    start: e.pos[0], end: Math.max(e.pos[1], e.pos[0] + 1), severity: doc.errors.includes(e as never) ? 'error' : 'warning',
    message: e.message.split('\n')[0], code: `yaml-${e.code}`,
  }));
  let value: Manifest = {};
  if (fast) value = fast.value;
  else {
    try {
      const js = doc.toJS({ maxAliasCount: 100 }) as unknown;
      value = js && typeof js === 'object' && !Array.isArray(js) ? (js as Manifest) : {};
    } catch {
      value = {};
    }
  }
  const entries: EntryInfo[] = [];
  if (isMap(doc.contents)) {
    for (const p of doc.contents.items) {
      const sec = isScalar(p.key) ? String(p.key.value) : '';
      if (!SECTIONS.includes(sec as Section) || !isMap(p.value)) continue;
      for (const e of p.value.items) {
        if (!isScalar(e.key) || !e.key.range) continue;
        const end = (e.value as YamlNode | null)?.range?.[2] ?? e.key.range[2];
        entries.push({ section: sec as Section, name: String(e.key.value), keyRange: { start: e.key.range[0], end: e.key.range[1] }, range: { start: e.key.range[0], end } });
      }
    }
  }
  return { text, doc, value, lineCounter, syntaxErrors, entries };
}

/** The YAML node at a path (a key's value), with its key's range. */
export function nodeAt(doc: Document, p: Array<string | number>): { node?: YamlNode; key?: YamlNode } {
  let cur: unknown = doc.contents;
  let key: YamlNode | undefined;
  for (const k of p) {
    if (isMap(cur)) {
      const pair = cur.items.find((it) => isScalar(it.key) && String(it.key.value) === String(k)) as Pair<YamlNode, YamlNode> | undefined;
      if (!pair) return { node: undefined, key };
      key = pair.key;
      cur = pair.value;
    } else if (isSeq(cur) && typeof k === 'number') {
      cur = cur.items[k];
      key = undefined;
    } else return {};
  }
  return { node: (cur as YamlNode) ?? undefined, key };
}

function rangeOf(n: YamlNode | undefined | null, fallback: Range): Range {
  return n?.range ? { start: n.range[0], end: Math.max(n.range[1], n.range[0] + 1) } : fallback;
}

export function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

export function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const dist = levenshtein(word, o);
    if (dist < bestD) {
      bestD = dist;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

type AjvValidate = ((v: unknown) => boolean) & { errors?: Array<{ instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }> | null };
let compiled: AjvValidate | undefined;
function schemaValidator(): AjvValidate {
  if (!compiled) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = (require('ajv') as { default: new (o: object) => { compile(s: object): AjvValidate; addKeyword(k: string): void } }).default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    compiled = ajv.compile(MANIFEST_SCHEMA as object);
  }
  return compiled;
}

const isAbs = (p: string) => path.isAbsolute(p);

/** Every problem in a manifest, with source ranges (offsets into the text). */
export function validateManifest(pm: ParsedManifest, facts: ProjectFacts): ManifestDiagnostic[] {
  const out: ManifestDiagnostic[] = [...pm.syntaxErrors];
  const whole: Range = { start: 0, end: Math.max(1, Math.min(pm.text.length, pm.text.indexOf('\n') > 0 ? pm.text.indexOf('\n') : pm.text.length)) };
  if (pm.syntaxErrors.some((e) => e.severity === 'error')) return out; // the document's structure is not reliable
  const contents = pm.doc.contents;
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) {
    out.push({ ...whole, severity: 'info', message: 'An empty manifest: add `version: 1` and `targets:`, `models:`, `searches:` or `agents:`.', code: 'empty', fix: [{ title: 'Add version: 1', insertAt: 0, insert: 'version: 1\n' }] });
    return out;
  }
  if (!isMap(contents)) {
    out.push({ ...rangeOf(contents as YamlNode, whole), severity: 'error', message: 'The manifest must be a mapping of sections (version, targets, models, searches, agents).', code: 'not-a-map' });
    return out;
  }
  // 1. The schema.
  const validate = schemaValidator();
  if (!validate(JSON.parse(JSON.stringify(pm.value)))) {
    for (const e of validate.errors ?? []) {
      const p = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const { node, key } = nodeAt(pm.doc, p);
      const at = rangeOf(node ?? key, whole);
      if (e.keyword === 'additionalProperties') {
        const extra = String(e.params.additionalProperty);
        const parent = schemaAt(p);
        const known = Object.keys(parent?.properties ?? {});
        const { key: k } = nodeAt(pm.doc, [...p, extra]);
        const suggestion = closest(extra, known);
        out.push({ ...rangeOf(k, at), severity: 'error', message: `Unknown key "${extra}"${suggestion ? `: did you mean "${suggestion}"?` : ''}${known.length ? ` (allowed here: ${known.join(', ')})` : ''}`, code: 'unknown-key', fix: suggestion ? [{ title: `Change to "${suggestion}"`, replace: suggestion }] : undefined });
      } else if (e.keyword === 'required') {
        const missing = String(e.params.missingProperty);
        out.push({ ...rangeOf(key ?? node, at), severity: 'error', message: `Missing "${missing}": ${schemaAt([...p, missing])?.description ?? ''}`.trim(), code: 'missing-key' });
      } else if (e.keyword === 'enum') {
        const allowed = (schemaAt(p)?.enum ?? []).map(String);
        const got = isScalar(node) ? String(node.value) : '';
        const suggestion = closest(got, allowed);
        out.push({ ...at, severity: 'error', message: `"${got}" is not one of: ${allowed.join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`, code: 'bad-enum', fix: suggestion ? [{ title: `Change to "${suggestion}"`, replace: suggestion }] : undefined });
      } else if (e.keyword === 'propertyNames' || (e.keyword === 'pattern' && e.params.pattern === '^[A-Za-z0-9][A-Za-z0-9_.-]*$')) {
        out.push({ ...at, severity: 'error', message: 'Names are letters, digits, _ . - (starting with a letter or digit).', code: 'bad-name' });
      } else if (e.keyword === 'type') {
        out.push({ ...at, severity: 'error', message: `Expected ${e.params.type === 'object' ? 'a mapping (key: value lines)' : e.params.type === 'array' ? 'a list' : `a ${e.params.type}`} for "${p[p.length - 1] ?? 'the manifest'}".`, code: 'bad-type' });
      } else if (e.keyword === 'pattern') {
        const pat = String(e.params.pattern);
        const what = pat.startsWith('^[A-Za-z][A-Za-z0-9_]*(\\.') && pat.endsWith(')+$') ? 'an Android package name (like com.example.app)'
          : pat === '^/' ? 'an absolute path on the phone (starting with /)' : pat === '^https?://' ? 'an http:// or https:// URL'
          : pat.includes('/\\.?') ? 'an activity, package/.Activity' : `text matching ${pat}`;
        const got = isScalar(node) ? String(node.value) : '';
        out.push({ ...at, severity: 'error', message: `${JSON.stringify(got)} is not ${what}.`, code: 'schema-pattern' });
      } else if (e.keyword !== 'if') {
        out.push({ ...at, severity: 'error', message: `"${p[p.length - 1] ?? ''}" ${e.message ?? 'is invalid'}.`, code: `schema-${e.keyword}` });
      }
    }
  }
  const m = pm.value;
  if (m.version === undefined) out.push({ ...whole, severity: 'warning', message: 'Add `version: 1` (the manifest format version).', code: 'no-version', fix: [{ title: 'Add version: 1', insertAt: 0, insert: 'version: 1\n' }] });
  const obj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  // 2. References to targets.
  const targets = obj(m.targets) ? Object.keys(m.targets) : [];
  const checkRef = (p: Array<string | number>, name: unknown) => {
    if (typeof name !== 'string') return;
    if (targets.includes(name)) return;
    const { node } = nodeAt(pm.doc, p);
    const suggestion = closest(name, targets);
    const fix: NonNullable<ManifestDiagnostic['fix']> = [];
    if (suggestion) fix.push({ title: `Change to "${suggestion}"`, replace: suggestion });
    fix.push({ title: `Add target "${name}"`, insertAt: pm.text.length, insert: `${pm.text.endsWith('\n') || !pm.text ? '' : '\n'}${obj(m.targets) ? '' : 'targets:\n'}  ${name}:\n    serial: ""\n` });
    out.push({ ...rangeOf(node, whole), severity: 'error', message: `Unknown target "${name}"${suggestion ? `: did you mean "${suggestion}"?` : ''}${targets.length ? ` (targets: ${targets.join(', ')})` : ' (no targets are defined)'}`, code: 'unknown-target', fix });
  };
  const fileCheck = (p: Array<string | number>, rel: unknown, kind: 'file' | 'dir' | 'any') => {
    if (typeof rel !== 'string' || !rel || !facts.fileExists || rel === 'naswot' || ['ofa-mbv3', 'ofa', 'fbnet'].includes(rel)) return;
    const abs = isAbs(rel) ? rel : path.join(facts.baseDir, rel);
    const what = facts.fileExists(abs);
    const { node } = nodeAt(pm.doc, p);
    if (!what) out.push({ ...rangeOf(node, whole), severity: 'error', message: `No such ${kind === 'dir' ? 'folder' : kind === 'file' ? 'file' : 'file or folder'}: ${rel}`, code: 'missing-file' });
    else if (kind !== 'any' && what !== kind) out.push({ ...rangeOf(node, whole), severity: 'error', message: `${rel} is a ${what === 'dir' ? 'folder' : 'file'}, a ${kind === 'dir' ? 'folder' : 'file'} is expected`, code: 'wrong-file-kind' });
  };
  if (obj(m.targets)) {
    for (const [name, t] of Object.entries(m.targets)) {
      if (!obj(t)) continue;
      const { key } = nodeAt(pm.doc, ['targets', name]);
      if (!t.serial && !t.match) out.push({ ...rangeOf(key, whole), severity: 'warning', message: `Target "${name}" names no phone: give "serial" or "match".`, code: 'target-no-phone' });
      if (t.serial && t.match) out.push({ ...rangeOf(nodeAt(pm.doc, ['targets', name, 'match']).key, whole), severity: 'warning', message: '"serial" and "match" both given: "serial" wins.', code: 'target-both' });
      if (facts.devices) out.push(...targetPhoneDiagnostics(pm, name, t as Target, facts.devices, whole));
      fileCheck(['targets', name, 'table'], t.table, 'any');
      if (obj(t.runner)) for (const k of ['ort', 'tflite']) fileCheck(['targets', name, 'runner', k], (t.runner as Record<string, unknown>)[k], 'file');
    }
  }
  // `inputs:` of a model: shapes that parse, names the model has, fixed dims respected.
  const checkInputs = (model: string, inputs: ManifestInputs, declared: DeclaredInput[] | undefined) => {
    for (const [k, v] of Object.entries(inputs)) {
      const at = () => rangeOf(nodeAt(pm.doc, ['models', model, 'inputs', k]).key, whole);
      try {
        const o = fromManifestInputs({ [k]: v }, declared?.map((d) => d.name));
        if (!declared) continue;
        const d = declared.find((x) => x.name === k);
        const dimNames = new Set(declared.flatMap((x) => (x.shape ?? []).filter((s): s is string => typeof s === 'string')));
        if (!d && !dimNames.has(k)) {
          out.push({ ...at(), severity: 'warning', message: `The model has no input or symbolic dimension named "${k}" (inputs: ${declared.map((x) => `${x.name} [${(x.shape ?? []).map((s) => s ?? '?').join(', ')}]`).join('; ')}).`, code: 'inputs-name' });
          continue;
        }
        const shape = o.shapes?.[k];
        if (d && shape && d.shape) {
          if (shape.length !== d.shape.length) out.push({ ...at(), severity: 'error', message: `Input "${k}" has rank ${d.shape.length} ([${d.shape.map((s) => s ?? '?').join(', ')}]); this shape has rank ${shape.length}.`, code: 'inputs-shape' });
          else d.shape.forEach((s, i) => { if (typeof s === 'number' && s !== shape[i]) out.push({ ...at(), severity: 'error', message: `Input "${k}" dim ${i} is fixed at ${s} in the model, not ${shape[i]}.`, code: 'inputs-shape' }); });
        }
        if (!d && typeof v === 'number' && !(Number.isInteger(v) && v >= 1)) out.push({ ...at(), severity: 'error', message: `"${k}" is a symbolic dimension: its value is a positive integer.`, code: 'inputs-dim' });
      } catch (err) {
        if (err instanceof InputError) out.push({ ...at(), severity: 'error', message: err.message, code: 'inputs-shape' });
        else throw err;
      }
    }
  };
  if (obj(m.models)) {
    for (const [name, me] of Object.entries(m.models)) {
      if (!obj(me)) continue;
      checkRef(['models', name, 'target'], me.target);
      fileCheck(['models', name, 'path'], me.path, 'file');
      if (typeof me.path === 'string' && me.path && !/\.(onnx|ort|tflite)$/i.test(me.path)) out.push({ ...rangeOf(nodeAt(pm.doc, ['models', name, 'path']).node, whole), severity: 'warning', message: 'Expected a model file (.onnx, .ort or .tflite).', code: 'model-ext' });
      if (obj(me.deploy)) {
        checkRef(['models', name, 'deploy', 'target'], me.deploy.target);
        if (Array.isArray(me.deploy.files)) me.deploy.files.forEach((f, i) => fileCheck(['models', name, 'deploy', 'files', i], f, 'file'));
        fileCheck(['models', name, 'deploy', 'apk'], me.deploy.apk, 'file');
      }
      if (obj(me.profile)) checkRef(['models', name, 'profile', 'target'], me.profile.target);
      if (obj(me.inputs)) checkInputs(name, me.inputs as ManifestInputs, typeof me.path === 'string' && me.path ? facts.modelInputs?.(isAbs(me.path) ? me.path : path.join(facts.baseDir, me.path)) : undefined);
      if (obj(me.quantize)) {
        const q = me.quantize as QuantizeRecipe;
        const at = (k: string) => ({ ...rangeOf(nodeAt(pm.doc, ['models', name, 'quantize', k]).key, whole) });
        const bad = (k: string, message: string, severity: 'error' | 'warning' = 'error') => out.push({ ...at(k), severity, message, code: 'quantize-param' });
        const validMode = ['static', 'dynamic', 'int4'].includes(q.mode);
        if (validMode && q.mode !== 'static') for (const k of ['method', 'percentile', 'calibration', 'perChannel', 'preprocess', 'random', 'u8s8', 'reduceRange', 'symmetricActivations']) if ((q as unknown as Record<string, unknown>)[k] !== undefined) bad(k, `"${k}" applies to static quantization only (mode is ${q.mode}).`, 'warning');
        if (validMode && q.mode !== 'int4') for (const k of ['blockSize', 'int4Asymmetric']) if ((q as unknown as Record<string, unknown>)[k] !== undefined) bad(k, `"${k}" applies to int4 only (mode is ${q.mode}).`, 'warning');
        if (q.percentile !== undefined && q.method !== 'percentile') bad('percentile', '"percentile" is used with `method: percentile` only.', 'warning');
        if (q.reduceRange && !q.u8s8) bad('reduceRange', '"reduceRange" (7-bit weights) needs `u8s8: true`: S8S8 has no VNNI overflow to avoid.');
        if (q.calibration && q.random !== undefined) bad('random', '"random" is ignored when "calibration" data is given.', 'warning');
        if (q.preprocess && !q.calibration) bad('preprocess', '"preprocess" needs "calibration", a folder of images.', 'warning');
        fileCheck(['models', name, 'quantize', 'calibration'], q.calibration, 'any');
        if (q.output) {
          const abs = isAbs(q.output) ? q.output : path.join(facts.baseDir, q.output);
          if (facts.fileExists?.(abs)) bad('output', `${q.output} exists: quantization never overwrites a file; choose a new name.`);
        }
      }
    }
  }
  if (obj(m.searches)) {
    for (const [name, s] of Object.entries(m.searches)) {
      if (!obj(s)) continue;
      checkRef(['searches', name, 'target'], s.target);
      if (Array.isArray(s.targets)) s.targets.forEach((t, i) => checkRef(['searches', name, 'targets', i], t));
      const space = typeof s.space === 'string' ? s.space : 'ofa-mbv3';
      const spaceId = ['ofa-mbv3', 'ofa', 'fbnet'].includes(space) || isAbs(space) ? space : path.join(facts.baseDir, space);
      if (!['ofa-mbv3', 'ofa', 'fbnet'].includes(space)) fileCheck(['searches', name, 'space'], space, 'file');
      if (typeof s.predictor === 'string') fileCheck(['searches', name, 'predictor'], s.predictor, 'file');
      if (Array.isArray(s.blocks)) {
        const at = rangeOf(nodeAt(pm.doc, ['searches', name, 'blocks']).key, whole);
        if (['ofa-mbv3', 'ofa'].includes(space)) out.push({ ...at, severity: 'error', message: '"blocks" applies to layered spaces (fbnet or a space file); Once-for-All chooses kernel, expansion and depth instead.', code: 'blocks-ofa' });
        s.blocks.forEach((b, i) => {
          if (typeof b === 'string' && !/^(skip|k[357]_e[1346](_g2|_se|_hs)*)$/.test(b)) out.push({ ...rangeOf(nodeAt(pm.doc, ['searches', name, 'blocks', i]).node, at), severity: 'error', message: `"${b}" is not a block: k3|k5|k7 with _e1|_e3|_e4|_e6, optional _g2, _se, _hs, or skip.`, code: 'bad-block' });
        });
      }
      const t = typeof s.target === 'string' && obj(m.targets) ? (m.targets[s.target] as Target | undefined) : undefined;
      const budgetAt = rangeOf(nodeAt(pm.doc, ['searches', name, 'budgetMs']).node, whole);
      if (t && !t.table) out.push({ ...rangeOf(nodeAt(pm.doc, ['searches', name, 'target']).node, whole), severity: 'error', message: `Target "${s.target}" has no latency "table": a search needs one.`, code: 'no-table' });
      if (t?.table && typeof s.budgetMs === 'number' && facts.latencyRange) {
        const abs = isAbs(t.table) ? t.table : path.join(facts.baseDir, t.table);
        const r = facts.latencyRange(abs, spaceId);
        if (r && s.budgetMs < r.minMs) {
          const up = Math.ceil(r.minMs * 10) / 10;
          out.push({ ...budgetAt, severity: 'error', message: `A ${s.budgetMs} ms budget is below the fastest network this table allows (${r.minMs.toFixed(2)} ms on ${s.target}): no architecture fits.`, code: 'budget-too-low', fix: [{ title: `Set budgetMs to ${up}`, replace: String(up) }] });
        } else if (r && s.budgetMs > r.maxMs) {
          out.push({ ...budgetAt, severity: 'info', message: `Every network fits: the slowest this table allows is ${r.maxMs.toFixed(2)} ms.`, code: 'budget-unbinding' });
        }
      }
    }
  }
  if (obj(m.agents)) {
    for (const [name, a] of Object.entries(m.agents)) {
      if (!obj(a)) continue;
      checkRef(['agents', name, 'target'], a.target);
      fileCheck(['agents', name, 'tasks'], a.tasks, 'file');
      if (!a.task && !a.tasks) out.push({ ...rangeOf(nodeAt(pm.doc, ['agents', name]).key, whole), severity: 'warning', message: `Agent "${name}" has no "task" (for Run agent) or "tasks" (a task set for Evaluate).`, code: 'agent-no-task' });
      if (typeof a.endpoint === 'string' && /\/\/[^/]*:[^/@]*@/.test(a.endpoint)) out.push({ ...rangeOf(nodeAt(pm.doc, ['agents', name, 'endpoint']).node, whole), severity: 'error', message: 'Credentials in the endpoint URL: keep the key in secret storage (Mobile AI: Set Agent API Key).', code: 'key-in-url' });
    }
  }
  if (obj(m.llms)) {
    for (const [name, l] of Object.entries(m.llms)) {
      if (!obj(l)) continue;
      checkRef(['llms', name, 'target'], l.target);
      fileCheck(['llms', name, 'model'], l.model, 'any');
      fileCheck(['llms', name, 'runnerPath'], l.runnerPath, 'any');
      const implied = typeof l.model === 'string' ? llmRunnerFor(l.model) : undefined;
      const known = ['onnx', 'llama-bench', 'genai', 'litert-lm'].includes(String(l.runner));
      const runner = known ? (l.runner as LlmEntry['runner']) : l.runner === undefined ? implied : undefined;
      if (known && implied && l.runner !== implied) out.push({ ...rangeOf(nodeAt(pm.doc, ['llms', name, 'runner']).node, whole), severity: 'warning', message: `The ${l.runner} runner does not take ${String(l.model).split('.').pop()} files; this model is for ${implied}.`, code: 'llm-runner-model', fix: [{ title: `Change to "${implied}"`, replace: implied }] });
      if (runner && runner !== 'onnx' && l.target === undefined) out.push({ ...rangeOf(nodeAt(pm.doc, ['llms', name]).key, whole), severity: 'error', message: `${runner} runs on a phone: give "target" (only ONNX decoders run on this machine).`, code: 'llm-needs-target' });
      if (runner === 'llama-bench' && typeof l.runnerPath === 'string' && /llama-bench$/.test(l.runnerPath)) out.push({ ...rangeOf(nodeAt(pm.doc, ['llms', name, 'runnerPath']).node, whole), severity: 'warning', message: 'For llama-bench give the folder that holds bin/llama-bench and lib/ (it is started as `cd DIR && LD_LIBRARY_PATH=lib ./bin/llama-bench …`).', code: 'llm-runner-folder' });
      if (l.target === undefined && l.unplug !== undefined) out.push({ ...rangeOf(nodeAt(pm.doc, ['llms', name, 'unplug']).key, whole), severity: 'warning', message: '"unplug" applies to a phone\'s battery: this benchmark runs on this machine (no "target").', code: 'llm-unplug-host' });
    }
  }
  return out;
}

const describePhone = (d: ConnectedPhone) => (d.model ? `${d.model} (${d.serial})` : d.serial);
/** A one-line YAML flow mapping, `{ model: "Pixel 8" }`. */
export const matchYaml = (m: NonNullable<Target['match']>) => `{ ${Object.entries(m).filter(([, v]) => v).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')} }`;

/** The `match:` choices a connected phone offers: its model, and its SoC when it reports one. */
export function matchChoices(d: ConnectedPhone): Array<NonNullable<Target['match']>> {
  const out: Array<NonNullable<Target['match']>> = [];
  if (d.model) out.push({ model: d.model });
  if (d.soc) out.push({ soc: d.soc });
  return out;
}

/**
 * A target whose phone is not connected now: a warning on its `serial` (or `match`), with quick fixes that
 * point it at a connected phone, by serial or by a `match:` on its model or SoC (which survives port changes).
 */
function targetPhoneDiagnostics(pm: ParsedManifest, name: string, t: Target, devices: ConnectedPhone[], whole: Range): ManifestDiagnostic[] {
  if (!t.serial && !t.match) return [];
  if (resolveTarget(t, devices)) return [];
  const ready = devices.filter((d) => d.state === 'device');
  const field = t.serial ? 'serial' : 'match';
  const { node, key } = nodeAt(pm.doc, ['targets', name, field]);
  if (!node?.range || !key?.range || !isScalar(key) || String(key.value) !== field) return [];
  // The whole `serial: …` / `match: …` pair, without the newline a block mapping ends with.
  let end = node.range[1];
  while (end > key.range[0] && /\s/.test(pm.text[end - 1])) end--;
  const pair: Range = { start: key.range[0], end };
  const listed = ready.length ? ` Connected: ${ready.slice(0, 5).map(describePhone).join(', ')}${ready.length > 5 ? '…' : ''}.` : ' No phone is connected now.';
  const other = t.serial ? devices.find((d) => d.serial === t.serial) : undefined;
  const message = t.serial
    ? `Target "${name}": the phone ${JSON.stringify(t.serial)} is ${other ? `${other.state}, not ready` : 'not connected'}.${listed}`
    : `Target "${name}": no connected phone matches ${matchYaml(t.match ?? {})}.${listed}`;
  const fix: NonNullable<ManifestDiagnostic['fix']> = [];
  const seen = new Set<string>();
  for (const d of ready.slice(0, 5)) {
    for (const mc of matchChoices(d)) {
      const text = `match: ${matchYaml(mc)}`;
      if (seen.has(text)) continue;
      seen.add(text);
      fix.push({ title: `Match by ${mc.soc ? 'SoC' : 'model'}: ${text}`, range: pair, replace: text });
    }
    const serialText = /^[\w.:-]+$/.test(d.serial) ? d.serial : JSON.stringify(d.serial);
    fix.push({ title: `Use serial ${d.serial}${d.model ? ` (${d.model})` : ''}`, range: pair, replace: `serial: ${serialText}` });
  }
  return [{ ...(t.serial ? rangeOf(node, whole) : { start: key.range[0], end: key.range[1] }), severity: 'warning', message, code: 'target-not-connected', fix: fix.length ? fix : undefined }];
}

/**
 * The edit that makes a target name its phone with `text` (`serial: …` or `match: { … }`): it replaces the
 * target's `serial` and `match` lines, or goes in as the target's first key. Undefined when the target is not defined.
 */
export function targetPhoneEdit(pm: ParsedManifest, name: string, text: string): { start: number; end: number; replace: string } | undefined {
  const { node: tNode, key: tKey } = nodeAt(pm.doc, ['targets', name]);
  if (!tKey?.range || !isScalar(tKey) || String(tKey.value) !== name) return undefined;
  const pairs: Range[] = [];
  for (const f of ['serial', 'match']) {
    const { node, key } = nodeAt(pm.doc, ['targets', name, f]);
    // nodeAt gives the last key it found: only this field's own key counts.
    if (!key?.range || !isScalar(key) || String(key.value) !== f) continue;
    let end = node?.range?.[1] ?? key.range[1];
    while (end > key.range[0] && /\s/.test(pm.text[end - 1])) end--;
    pairs.push({ start: key.range[0], end });
  }
  if (pairs.length) {
    pairs.sort((a, b) => a.start - b.start);
    // Both given and next to each other: the two lines become one.
    if (pairs.length === 2 && !pm.text.slice(pairs[0].end, pairs[1].start).replace(/#.*$/gm, '').trim()) {
      const lineEnd = pm.text.indexOf('\n', pairs[1].end);
      return { start: pairs[0].start, end: lineEnd < 0 ? pm.text.length : lineEnd, replace: text };
    }
    return { start: pairs[0].start, end: pairs[0].end, replace: text };
  }
  if (isMap(tNode) && tNode.items.length) {
    const first = (tNode.items[0].key as YamlNode | null)?.range?.[0];
    if (first !== undefined) {
      const col = first - (pm.text.lastIndexOf('\n', first - 1) + 1);
      return { start: first, end: first, replace: `${text}\n${' '.repeat(col)}` };
    }
  }
  // `name:` with nothing under it (or `{}`): the line goes right under it.
  const col = tKey.range[0] - (pm.text.lastIndexOf('\n', tKey.range[0] - 1) + 1);
  let lineEnd = pm.text.indexOf('\n', tKey.range[1]);
  if (lineEnd < 0) lineEnd = pm.text.length;
  return { start: tKey.range[1], end: lineEnd, replace: `:\n${' '.repeat(col + 2)}${text}` };
}

/** The manifest entry of a model file, by path (for commands run on the file, not from the manifest). */
export function modelEntryFor(m: Manifest, baseDir: string, file: string): { name: string; entry: ModelEntry } | undefined {
  for (const [name, e] of Object.entries(m.models ?? {})) {
    if (e && typeof e.path === 'string' && path.resolve(baseDir, e.path) === path.resolve(file)) return { name, entry: e };
  }
  return undefined;
}

/** A target's phone among the connected ones: by serial, or the first ready phone whose properties match. */
export function resolveTarget(t: Target, devices: Array<{ serial: string; state: string; model?: string; manufacturer?: string; soc?: string; abis?: string[] }>): string | undefined {
  const ready = devices.filter((d) => d.state === 'device');
  if (t.serial) return ready.find((d) => d.serial === t.serial)?.serial;
  if (!t.match) return undefined;
  const eq = (a?: string, b?: string) => !b || (a ?? '').toLowerCase() === b.toLowerCase();
  return ready.find((d) => eq(d.model, t.match?.model) && eq(d.manufacturer, t.match?.manufacturer) && (!t.match?.soc || (d.soc ?? '').toLowerCase().includes(t.match.soc.toLowerCase())) && (!t.match?.abi || (d.abis ?? []).includes(t.match.abi)))?.serial;
}

export function fileKind(p: string): 'file' | 'dir' | false {
  try {
    const st = statSync(p);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return existsSync(p) ? 'file' : false;
  }
}

export type { JsonSchema };
