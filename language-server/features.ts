/**
 * What the language server answers, as plain functions of the text, a position (an offset) and the
 * project's facts: completion, hover, code lenses, definitions and symbols. The LSP wiring is in server.ts.
 */
import * as path from 'node:path';
import { readdirSync } from 'node:fs';
import { isMap, isScalar, type Node as YamlNode } from 'yaml';
import { MANIFEST_SCHEMA, schemaAt, type JsonSchema } from '../extension/core/manifest/schema';
import { nodeAt, resolveTarget, type ConnectedPhone, type EntryInfo, type ParsedManifest, type Range, type Section, type Target } from '../extension/core/manifest/manifest';
import { formatDeclared, formatShape, type DeclaredInput } from '../extension/core/inputs/spec';
import { resolvePlans } from '../extension/core/inputs/resolve';

export type Device = ConnectedPhone;

/** A section's entries are named in the singular: "search", not "searche". */
export const SINGULAR: Record<Section, string> = { targets: 'target', models: 'model', searches: 'search', agents: 'agent', llms: 'llm' };

export interface ModelFacts {
  /** The model's inputs as declared (dim names; null for unnamed dims), for `inputs:`. */
  inputs?: DeclaredInput[];
  metadata?: Record<string, string>;
  bytes: number;
  parameters: number;
  opTypes: string[];
  /** Nodes per op type, most used first. */
  opCounts?: Array<{ opType: string; count: number }>;
  nodeNames: string[];
  opset?: number;
}

export interface Facts {
  baseDir: string;
  devices: Device[];
  latency?(tablePath: string, space: string): { minMs: number; maxMs: number; blocks: string[]; device: string; entries: number } | undefined;
  latencyError?(tablePath: string, space: string): string | undefined;
  model?(absPath: string): ModelFacts | undefined;
  /** Why a model's facts could not be read, when they could not. */
  modelError?(absPath: string): string | undefined;
  /** False until the extension has said which phones are connected. */
  devicesKnown?: boolean;
}

export interface CompletionEntry {
  label: string;
  kind: 'key' | 'value' | 'reference' | 'file' | 'device' | 'enum';
  detail?: string;
  documentation?: string;
  insertText: string;
  /** The text range the completion replaces (offsets). */
  replace: Range;
}

interface LineInfo {
  indent: number;
  key?: string;
  isItem: boolean;
}

function lineInfo(line: string): LineInfo {
  const m = /^(\s*)(-\s+)?(?:([^\s#:][^:#]*?)\s*:(?:\s|$))?/.exec(line) as RegExpExecArray;
  const indent = m[1].length + (m[2] ? m[2].length : 0);
  return { indent, key: m[3] ? m[3].trim().replace(/^["']|["']$/g, '') : undefined, isItem: !!m[2] };
}

/**
 * The key path of the mapping that contains the cursor's line, read from indentation (works while the
 * document is being typed and does not parse yet).
 */
export function pathAt(text: string, offset: number): { parent: string[]; lineStart: number; col: number; line: string } {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset) < 0 ? text.length : text.indexOf('\n', offset);
  const line = text.slice(lineStart, lineEnd);
  const col = offset - lineStart;
  const cur = lineInfo(line);
  const curIndent = line.trim() ? cur.indent - (cur.isItem ? 2 : 0) : col;
  const parent: string[] = [];
  let limit = cur.isItem ? cur.indent - 2 : curIndent;
  let pos = lineStart - 1;
  while (pos > 0 && limit > 0) {
    const s = text.lastIndexOf('\n', pos - 1) + 1;
    const l = text.slice(s, pos);
    pos = s - 1;
    if (!l.trim() || l.trim().startsWith('#')) continue;
    const li = lineInfo(l);
    const ind = li.isItem ? li.indent - 2 : li.indent;
    if (ind < limit && li.key) {
      parent.unshift(li.key);
      limit = ind;
    } else if (ind < limit && li.isItem) {
      limit = ind;
    }
  }
  return { parent, lineStart, col, line };
}

/** A search's space as the engine takes it: a built-in name, or a space file resolved from the manifest. */
function spaceId(facts: Facts, space: string | undefined): string {
  const s = space ?? 'ofa-mbv3';
  return ['ofa-mbv3', 'ofa', 'fbnet'].includes(s) ? s : path.resolve(facts.baseDir, s);
}

function schemaForPath(p: string[]): JsonSchema | undefined {
  return schemaAt(p, MANIFEST_SCHEMA);
}

function docOf(s: JsonSchema | undefined): string {
  if (!s) return '';
  const parts = [s.description ?? ''];
  if (s.enum) parts.push(`One of: ${s.enum.map((e) => `\`${e}\``).join(', ')}.`);
  if (s.default !== undefined) parts.push(`Default: \`${JSON.stringify(s.default)}\`.`);
  if (s.type) parts.push(`Type: ${Array.isArray(s.type) ? s.type.join(' | ') : s.type}${s.minimum !== undefined ? `, ≥ ${s.minimum}` : ''}${s.exclusiveMinimum !== undefined ? `, > ${s.exclusiveMinimum}` : ''}${s.maximum !== undefined ? `, ≤ ${s.maximum}` : ''}.`);
  return parts.filter(Boolean).join('\n\n');
}

function listFiles(baseDir: string, typed: string, wantDirs: boolean): Array<{ rel: string; dir: boolean }> {
  const sub = typed.includes('/') ? typed.slice(0, typed.lastIndexOf('/') + 1) : '';
  let names: Array<{ name: string; dir: boolean }> = [];
  try {
    names = readdirSync(path.join(baseDir, sub), { withFileTypes: true }).filter((d) => !d.name.startsWith('.') && d.name !== 'node_modules').map((d) => ({ name: d.name, dir: d.isDirectory() }));
  } catch {
    return [];
  }
  return names.filter((n) => n.dir || !wantDirs).slice(0, 200).map((n) => ({ rel: `${sub}${n.name}${n.dir ? '/' : ''}`, dir: n.dir }));
}

export function complete(pm: ParsedManifest, offset: number, facts: Facts): CompletionEntry[] {
  const text = pm.text;
  const { parent, col, line } = pathAt(text, offset);
  const before = line.slice(0, col);
  const out: CompletionEntry[] = [];
  const kv = /^(\s*(?:-\s+)?)([^\s#:][^:#]*?):\s*(.*)$/.exec(before);
  const item = /^(\s*)-\s*(\S*)$/.exec(before);
  const m = pm.value;
  const targets = Object.keys((m.targets as object) ?? {});
  const valueCompletions = (keyPath: string[], typed: string, from: number): CompletionEntry[] => {
    const s = schemaForPath(keyPath);
    const replace = { start: from, end: offset };
    const key = keyPath[keyPath.length - 1];
    const res: CompletionEntry[] = [];
    if (s?.['x-ref'] === 'targets') for (const t of targets) res.push({ label: t, kind: 'reference', detail: 'target', insertText: t, replace });
    if (key === 'serial' && keyPath[0] === 'targets') {
      for (const d of facts.devices) res.push({ label: d.serial, kind: 'device', detail: `${d.model ?? ''} (${d.state})`.trim(), documentation: 'A phone connected now.', insertText: /[:#\s]/.test(d.serial) ? JSON.stringify(d.serial) : d.serial, replace });
    }
    if (keyPath[0] === 'targets' && keyPath[2] === 'match' && ['model', 'manufacturer', 'soc'].includes(key)) {
      // What the connected phones report, for a match that finds them.
      const seen = new Set<string>();
      for (const d of facts.devices) {
        const v = d[key as 'model' | 'manufacturer' | 'soc'];
        if (!v || seen.has(v)) continue;
        seen.add(v);
        res.push({ label: v, kind: 'device', detail: `${d.serial} (${d.state})`, documentation: 'Reported by a phone connected now.', insertText: /^[\w .()-]+$/.test(v) && !/^\s|\s$/.test(v) ? v : JSON.stringify(v), replace });
      }
    }
    if (s?.enum) for (const e of s.enum) res.push({ label: String(e), kind: 'enum', documentation: docOf(s), insertText: String(e), replace });
    if (s?.type === 'boolean') for (const b of ['true', 'false']) res.push({ label: b, kind: 'value', insertText: b, replace });
    if (key === 'space' && keyPath[0] === 'searches') for (const sp of ['ofa-mbv3', 'fbnet']) res.push({ label: sp, kind: 'value', documentation: s?.description, insertText: sp, replace });
    if (key === 'predictor') res.push({ label: 'naswot', kind: 'value', detail: 'a zero-cost proxy (labelled as one)', insertText: 'naswot', replace });
    if (s?.['x-file'] || (key === 'space' && typed.includes('/')) || key === 'predictor') {
      for (const f of listFiles(facts.baseDir, typed, false)) res.push({ label: f.rel, kind: 'file', insertText: f.rel, replace });
    }
    return res;
  };
  if (kv && !item) {
    // After "key: " — a value.
    const key = kv[2].trim();
    const typed = kv[3];
    return valueCompletions([...parent, key], typed, offset - typed.length);
  }
  if (item) {
    // A list item under `parent`.
    const listKey = parent[parent.length - 1];
    const typed = item[2];
    const replace = { start: offset - typed.length, end: offset };
    const modelName = parent[0] === 'models' ? parent[1] : undefined;
    const me = modelName ? m.models?.[modelName] : undefined;
    const mf = me && typeof me.path === 'string' ? facts.model?.(path.resolve(facts.baseDir, me.path)) : undefined;
    if (listKey === 'excludeOps' && mf) for (const op of mf.opTypes) out.push({ label: op, kind: 'value', detail: 'an op type in this model', insertText: op, replace });
    if (listKey === 'exclude' && mf) for (const n of mf.nodeNames.slice(0, 500)) out.push({ label: n, kind: 'value', detail: 'a node in this model', insertText: /[:#\s]/.test(n) ? JSON.stringify(n) : n, replace });
    if (listKey === 'blocks' && parent[0] === 'searches' && parent[1]) {
      // The blocks the target's latency table has.
      const sr = m.searches?.[parent[1]];
      const t = sr && typeof sr.target === 'string' ? m.targets?.[sr.target] : undefined;
      const r = t?.table ? facts.latency?.(path.resolve(facts.baseDir, t.table), spaceId(facts, sr?.space)) : undefined;
      for (const b of (r?.blocks ?? []).filter((x) => /^(skip|k[357]_e)/.test(x))) out.push({ label: b, kind: 'value', detail: `in ${sr?.target}'s table`, insertText: b, replace });
    }
    if (listKey === 'allow') for (const p of ['com.android.settings', 'com.mobileai.notes', 'com.mobileai.wallet', 'com.mobileai.stopwatch']) out.push({ label: p, kind: 'value', insertText: p, replace });
    if (listKey === 'files') for (const f of listFiles(facts.baseDir, typed, false)) out.push({ label: f.rel, kind: 'file', insertText: f.rel, replace });
    return out;
  }
  // A key.
  const typed = before.trim();
  const s = schemaForPath(parent);
  if (!s) return out;
  const replace = { start: offset - typed.length, end: offset };
  let present = new Set<string>();
  const { node } = parent.length ? nodeAt(pm.doc, parent) : { node: pm.doc.contents as YamlNode };
  if (isMap(node)) present = new Set(node.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')));
  if (parent.length === 3 && parent[0] === 'models' && parent[2] === 'inputs') out.push(...inputKeyCompletions(m.models?.[parent[1]], facts, present, replace));
  const childIndent = ' '.repeat(before.length - before.trimStart().length + 2);
  for (const [k, child] of Object.entries(s.properties ?? {})) {
    if (present.has(k)) continue;
    const nested = child.type === 'object' || child.type === 'array';
    out.push({ label: k, kind: 'key', detail: Array.isArray(child.type) ? child.type.join('|') : child.type, documentation: docOf(child), insertText: nested ? `${k}:\n${childIndent}${child.type === 'array' ? '- ' : ''}` : `${k}: `, replace });
  }
  if (!s.properties && s.additionalProperties && typeof s.additionalProperties === 'object') {
    // A new entry name under a section: nothing to suggest but the shape.
    const section = parent[0] as Section;
    const sample: Record<Section, string> = { targets: 'phone:\n  serial: ', models: 'model:\n  path: ', searches: 'search:\n  target: \n  budgetMs: 25', agents: 'agent:\n  target: \n  task: ', llms: 'llm:\n  model: \n  target: ' };
    if (parent.length === 1 && sample[section]) out.push({ label: `new ${SINGULAR[section]}`, kind: 'key', documentation: docOf(s.additionalProperties), insertText: sample[section].replace(/\n/g, `\n${' '.repeat(before.length - before.trimStart().length)}`), replace });
  }
  return out;
}

/** Under a model's `inputs:`: its inputs (with the shape to run at, as far as the model tells) and its symbolic dims. */
function inputKeyCompletions(me: { path?: unknown } | undefined, facts: Facts, present: Set<string>, replace: Range): CompletionEntry[] {
  const mf = me && typeof me.path === 'string' ? facts.model?.(path.resolve(facts.baseDir, me.path)) : undefined;
  if (!mf?.inputs) return [];
  const out: CompletionEntry[] = [];
  const plans = resolvePlans(mf.inputs, {}, { metadata: mf.metadata, allowMissing: true });
  for (const d of mf.inputs) {
    if (present.has(d.name)) continue;
    const p = plans.inputs.find((x) => x.name === d.name);
    const miss = plans.missing.find((x) => x.input === d.name);
    const shape = miss ? formatShape(miss.suggestion) : formatShape((p?.shape ?? []) as number[]);
    const scalar = d.shape !== null && d.shape.length === 0;
    const insert = scalar ? `${d.name}: ${p?.values?.[0] ?? ''}` : `${d.name}: ${shape}`;
    out.push({ label: d.name, kind: 'key', detail: `input: ${d.type} ${formatDeclared(d.shape)}`, documentation: scalar ? `A scalar input: its value${p?.values ? ` (${p.values[0]} by convention)` : ''}.` : `The whole shape of input \`${d.name}\` (declared ${formatDeclared(d.shape)}).${miss ? ' Some of its dims have no value: give the size it runs at.' : ''}`, insertText: insert, replace });
  }
  const dims = new Set(mf.inputs.flatMap((d) => (d.shape ?? []).filter((x): x is string => typeof x === 'string')));
  for (const dn of dims) {
    if (present.has(dn)) continue;
    const users = mf.inputs.filter((d) => d.shape?.includes(dn)).map((d) => d.name);
    out.push({ label: dn, kind: 'key', detail: 'symbolic dimension', documentation: `A symbolic dimension of ${users.map((u) => `\`${u}\``).join(', ')}: its value (a positive integer).`, insertText: `${dn}: ${plans.dims[dn] ?? ''}`, replace });
  }
  return out;
}

export interface HoverResult {
  markdown: string;
  range: Range;
}

/** The key or value under the cursor, with its path. */
function keyAt(pm: ParsedManifest, offset: number): { path: Array<string | number>; range: Range; isKey: boolean } | undefined {
  let found: { path: Array<string | number>; range: Range; isKey: boolean } | undefined;
  const walk = (n: unknown, p: Array<string | number>) => {
    if (isMap(n)) {
      for (const pair of n.items) {
        const k = pair.key as YamlNode | null;
        const kName = isScalar(k) ? String(k.value) : '';
        if (k?.range && offset >= k.range[0] && offset <= k.range[1]) found = { path: [...p, kName], range: { start: k.range[0], end: k.range[1] }, isKey: true };
        const v = pair.value as YamlNode | null;
        if (v?.range && offset >= v.range[0] && offset <= v.range[1]) {
          if (isScalar(v)) found = { path: [...p, kName], range: { start: v.range[0], end: v.range[1] }, isKey: false };
          walk(v, [...p, kName]);
        }
      }
    } else if (n && typeof n === 'object' && 'items' in (n as object)) {
      (n as { items: YamlNode[] }).items.forEach((it, i) => {
        if (it?.range && offset >= it.range[0] && offset <= it.range[1]) {
          if (isScalar(it)) found = { path: [...p, i], range: { start: it.range[0], end: it.range[1] }, isKey: false };
          walk(it, [...p, i]);
        }
      });
    }
  };
  walk(pm.doc.contents, []);
  return found;
}

/** A model's size, parameters, ops and opset, as its hover shows them. */
export function modelSummary(rel: string, mf: ModelFacts): string {
  const ops = mf.opCounts?.length ? mf.opCounts : mf.opTypes.map((opType) => ({ opType, count: 0 }));
  const nodes = mf.opCounts?.reduce((n, o) => n + o.count, 0);
  const shown = ops.slice(0, 12).map((o) => (o.count ? `${o.opType} ×${o.count}` : o.opType)).join(', ');
  return [
    `\`${rel}\`: ${fmtBytes(mf.bytes)}, ${mf.parameters.toLocaleString('en-US')} parameters${mf.opset ? `, opset ${mf.opset}` : ''}.`,
    `Ops (${ops.length} types${nodes ? `, ${nodes} nodes` : ''}): ${shown}${ops.length > 12 ? ', …' : ''}.`,
    ...(mf.inputs?.length ? [`Inputs: ${mf.inputs.map((d) => `\`${d.name}\` ${d.type} ${formatDeclared(d.shape)}`).join(', ')}.`] : []),
  ].join('\n\n');
}

const fmtBytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

export function hover(pm: ParsedManifest, offset: number, facts: Facts): HoverResult | undefined {
  const at = keyAt(pm, offset);
  if (!at) return undefined;
  const p = at.path.map(String);
  const lines: string[] = [];
  const s = schemaAt(at.path);
  if (at.isKey) {
    if (p.length === 2 && ['targets', 'models', 'searches', 'agents', 'llms'].includes(p[0])) lines.push(`**${SINGULAR[p[0] as Section]} \`${p[1]}\`**`);
    else lines.push(`**${p[p.length - 1]}**`);
    // An entry's name: what it is comes next (its facts), not "A model. Type: object.".
    if (s && !(p.length === 2 && p[0] in SINGULAR)) lines.push(docOf(s));
  }
  const m = pm.value;
  // A search: the latency range its target's table allows.
  if (p[0] === 'searches' && p[1] && (p.length === 2 || p[2] === 'budgetMs' || p[2] === 'target')) {
    const sr = m.searches?.[p[1]];
    const t = sr && typeof sr.target === 'string' ? m.targets?.[sr.target] : undefined;
    if (t?.table) {
      const abs = path.resolve(facts.baseDir, t.table);
      const space = sr?.space ?? 'ofa-mbv3';
      const r = facts.latency?.(abs, spaceId(facts, space));
      if (r) lines.push(`Latency on **${sr?.target}** (${r.device}, ${r.entries} table entries): ${space} networks range from **${r.minMs.toFixed(2)} ms** to **${r.maxMs.toFixed(2)} ms**.${typeof sr?.budgetMs === 'number' ? ` The budget, ${sr.budgetMs} ms, is ${sr.budgetMs < r.minMs ? 'below the fastest' : sr.budgetMs > r.maxMs ? 'above the slowest: it constrains nothing' : `${(((sr.budgetMs - r.minMs) / (r.maxMs - r.minMs)) * 100).toFixed(0)}% of the way up`}.` : ''}`);
      else {
        const err = facts.latencyError?.(abs, spaceId(facts, space));
        lines.push(err ? `Latency range: unavailable (${err}).` : 'Latency range: computing…');
      }
    }
  }
  // A model: its size and parameters.
  if (p[0] === 'models' && p[1] && (p.length === 2 || p[2] === 'path')) {
    const me = m.models?.[p[1]];
    if (me && typeof me.path === 'string') {
      const abs = path.resolve(facts.baseDir, me.path);
      const mf = facts.model?.(abs);
      if (mf) lines.push(modelSummary(me.path, mf));
      else {
        const err = facts.modelError?.(abs);
        lines.push(err ? `\`${me.path}\`: cannot be read (${err}).` : `\`${me.path}\`: reading the model…`);
      }
    }
  }
  // A model's inputs: what the model declares for that input or dimension.
  if (p[0] === 'models' && p[1] && p[2] === 'inputs' && p.length >= 4) {
    const me = m.models?.[p[1]];
    const mf = me && typeof me.path === 'string' ? facts.model?.(path.resolve(facts.baseDir, me.path)) : undefined;
    const d = mf?.inputs?.find((x) => x.name === p[3]);
    const users = mf?.inputs?.filter((x) => x.shape?.includes(p[3])).map((x) => `\`${x.name}\` ${formatDeclared(x.shape)}`) ?? [];
    if (d) lines.push(`Input \`${d.name}\`: ${d.type} ${formatDeclared(d.shape)}${d.shape?.some((x) => typeof x !== 'number') ? ' (`?`: unnamed dims)' : ''}.`);
    else if (users.length) lines.push(`Symbolic dimension of ${users.join(', ')}.`);
    else if (mf?.inputs) lines.push(`The model has no input or dimension \`${p[3]}\` (inputs: ${mf.inputs.map((x) => x.name).join(', ')}).`);
  }
  if (!at.isKey && s?.['x-ref'] === 'targets') {
    const t = m.targets?.[String(p.length ? pm.doc.getIn(at.path) : '')];
    if (t) {
      lines.push(`Target: ${t.serial ? `serial \`${t.serial}\`` : `match ${JSON.stringify(t.match)}`}${t.table ? `, table \`${t.table}\`` : ''}.`);
      if (facts.devicesKnown) {
        const serial = resolveTarget(t, facts.devices);
        const d = facts.devices.find((x) => x.serial === serial);
        lines.push(d ? `Phone now: ${d.model ?? d.serial} (\`${d.serial}\`).` : 'Its phone is not connected now.');
      }
    }
  }
  if (!at.isKey && p[0] === 'targets' && p[2] === 'serial') {
    const serial = String(pm.doc.getIn(at.path));
    const d = facts.devices.find((x) => x.serial === serial);
    lines.push(d ? `Connected: ${d.model ?? d.serial} (${d.state}).` : 'Not connected now.');
  }
  if (!lines.length) return undefined;
  return { markdown: lines.join('\n\n'), range: at.range };
}

export interface Lens {
  range: Range;
  title: string;
  command: string;
  args: unknown[];
}

/**
 * A lens per action an entry supports: it runs the matching command on that entry. When the entry's phone
 * is not connected (known only once the extension has said which phones are), lenses to fix that come first.
 */
export function lenses(pm: ParsedManifest, uri: string, facts?: Pick<Facts, 'devices' | 'devicesKnown'>): Lens[] {
  const out: Lens[] = [];
  const m = pm.value;
  const missing = (targetName: unknown): string | undefined => {
    if (!facts?.devicesKnown || typeof targetName !== 'string') return undefined;
    const t = m.targets?.[targetName] as Target | undefined;
    if (!t || typeof t !== 'object' || (!t.serial && !t.match)) return undefined;
    return resolveTarget(t, facts.devices) ? undefined : targetName;
  };
  for (const e of pm.entries) {
    const lens = (title: string, action: string) => out.push({ range: e.keyRange, title, command: 'mobileai.manifest.run', args: [uri, e.section, e.name, action] });
    const me = e.section === 'models' ? m.models?.[e.name] : undefined;
    const gone = e.section === 'targets' ? missing(e.name)
      : e.section === 'agents' ? missing(m.agents?.[e.name]?.target)
      : e.section === 'llms' ? missing(m.llms?.[e.name]?.target)
      : me && typeof me === 'object' ? missing(me.deploy?.target ?? me.target) ?? missing(me.profile?.target) : undefined;
    if (gone) {
      out.push({ range: e.keyRange, title: `$(warning) No phone for "${gone}": Select a phone…`, command: 'mobileai.manifest.selectPhone', args: [uri, gone] });
      out.push({ range: e.keyRange, title: '$(vm) Start Virtual Phone', command: 'mobileai.virtualPhone.start', args: [] });
    }
    if (e.section === 'models') {
      if (me?.quantize) lens('▶ Quantize', 'quantize');
      lens('▶ Profile', 'profile');
      lens('▶ Deploy', 'deploy');
    } else if (e.section === 'searches') lens('▶ Search', 'search');
    else if (e.section === 'agents') {
      const a = m.agents?.[e.name];
      if (a?.task) lens('▶ Run agent', 'agent');
      if (a?.tasks) lens('▶ Evaluate', 'eval');
    } else if (e.section === 'llms') lens('▶ Benchmark', 'bench');
  }
  return out;
}

export interface DefinitionResult {
  kind: 'range' | 'file';
  range?: Range;
  file?: string;
}

export function definition(pm: ParsedManifest, offset: number, facts: Facts): DefinitionResult | undefined {
  const at = keyAt(pm, offset);
  if (!at || at.isKey) return undefined;
  const s = schemaAt(at.path);
  const v = pm.doc.getIn(at.path);
  if (s?.['x-ref'] === 'targets' && typeof v === 'string') {
    const e = pm.entries.find((x) => x.section === 'targets' && x.name === v);
    return e ? { kind: 'range', range: e.keyRange } : undefined;
  }
  if (s?.['x-file'] && typeof v === 'string' && v) return { kind: 'file', file: path.resolve(facts.baseDir, v) };
  return undefined;
}

export interface SymbolInfo {
  name: string;
  detail: string;
  range: Range;
  selection: Range;
  children: SymbolInfo[];
}

export function symbols(pm: ParsedManifest): SymbolInfo[] {
  const out: SymbolInfo[] = [];
  if (!isMap(pm.doc.contents)) return out;
  for (const pair of pm.doc.contents.items) {
    const k = pair.key as YamlNode | null;
    if (!isScalar(k) || !k.range) continue;
    const name = String(k.value);
    const end = (pair.value as YamlNode | null)?.range?.[2] ?? k.range[2];
    const children = pm.entries.filter((e) => e.section === name).map((e: EntryInfo) => ({ name: e.name, detail: SINGULAR[e.section], range: e.range, selection: e.keyRange, children: [] }));
    out.push({ name, detail: children.length ? `${children.length}` : String(pm.doc.get(name) ?? ''), range: { start: k.range[0], end }, selection: { start: k.range[0], end: k.range[1] }, children });
  }
  return out;
}
