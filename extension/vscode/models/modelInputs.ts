/**
 * The shapes and values a user chose for a model's inputs, remembered per model (workspaceState), and the
 * questions asked when a symbolic or unnamed dimension has no value. The model editor's form writes them;
 * the Profile and Quantize commands read them.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { loadModel } from '../../core/onnx/model';
import { declaredInputs, modelMetadata, resolvePlans } from '../../core/inputs/resolve';
import type { InputFormRow } from '../../../webview/model/protocol';
import { InputError, formatDeclared, formatShape, mergeOverrides, parseShape, parseValueFlag, type DeclaredInput, type InputOverrides, type MissingDim } from '../../core/inputs/spec';

const KEY = 'mobileai.modelInputs';
let state: vscode.Memento | undefined;

/** Called once at activation (the model editor's provider does it). */
export function initModelInputs(ctx: vscode.ExtensionContext): void {
  state = ctx.workspaceState;
}

const keyOf = (file: string) => path.resolve(file);

/** What the user chose for this model (shapes, values, dims), if anything. */
export function savedInputs(file: string): InputOverrides | undefined {
  const all = state?.get<Record<string, InputOverrides>>(KEY) ?? {};
  return all[keyOf(file)];
}

export async function saveInputs(file: string, o: InputOverrides): Promise<void> {
  if (!state) return;
  const all = { ...(state.get<Record<string, InputOverrides>>(KEY) ?? {}) };
  const clean: InputOverrides = {};
  if (o.shapes && Object.keys(o.shapes).length) clean.shapes = o.shapes;
  if (o.values && Object.keys(o.values).length) clean.values = o.values;
  if (o.dims && Object.keys(o.dims).length) clean.dims = o.dims;
  if (Object.keys(clean).length) all[keyOf(file)] = clean;
  else delete all[keyOf(file)];
  await state.update(KEY, all);
}

/** The form pre-filled from what the model says (dim names, metadata_props, conventions) and what was saved. */
export function inputForm(declared: DeclaredInput[], metadata: Record<string, string>, saved: InputOverrides | undefined): InputFormRow[] {
  let plans: ReturnType<typeof resolvePlans>;
  try {
    plans = resolvePlans(declared, saved ?? {}, { metadata, allowMissing: true });
  } catch {
    plans = resolvePlans(declared, {}, { metadata, allowMissing: true }); // a saved choice the model no longer fits
  }
  return plans.inputs.map((p) => ({
    name: p.name, type: p.type, declared: p.declared,
    shape: p.shape.length && p.shape.every((d) => d !== null) ? formatShape(p.shape as number[]) : p.declared && !p.declared.length ? '[]' : p.shape.map((d) => (d === null ? '?' : d)).join('x'),
    value: p.values ? p.values.join(',') : '',
    missing: plans.missing.filter((m) => m.input === p.name).map((m) => m.index),
    notes: [...p.notes, ...plans.notes.filter((n) => n.startsWith(`${p.name} `) || (p.declared ?? []).some((x) => typeof x === 'string' && n.startsWith(`${x} = `)))],
  }));
}

/** The form's rows as overrides (empty value: generated data; a shape the model fixes anyway is still kept). */
export function formToOverrides(rows: Array<{ name: string; shape: string; value: string }>, declared: DeclaredInput[]): InputOverrides {
  const o: InputOverrides = {};
  for (const r of rows) {
    const d = declared.find((x) => x.name === r.name);
    if (!d) throw new InputError(`the model has no input named "${r.name}"`);
    if (r.shape.trim() && !r.shape.includes('?')) {
      const s = parseShape(r.shape, `shape of ${r.name}`);
      if (!d.shape || d.shape.some((x) => typeof x !== 'number') || s.length !== d.shape.length) (o.shapes ??= {})[r.name] = s;
    }
    if (r.value.trim()) (o.values ??= {})[r.name] = parseValueFlag(`${r.name}=${r.value.trim()}`).values;
  }
  // Checked against the model now, so the form shows the problem rather than a later run.
  resolvePlans(declared, o, { allowMissing: true });
  return o;
}

async function askShape(model: string, d: DeclaredInput, m: MissingDim): Promise<number[] | undefined> {
  const declared = formatDeclared(d.shape);
  const dims = d.shape?.map((x, i) => (x === null ? `${i}: unnamed` : typeof x === 'string' ? `${i}: ${x}` : '')).filter(Boolean).join(', ');
  const text = await vscode.window.showInputBox({
    title: `${path.basename(model)}: the shape of input "${d.name}"`,
    prompt: `Input "${d.name}" (${d.type} ${declared}) has dims without a value (${dims}). Give its whole shape, the size the model runs at.`,
    value: formatShape(m.suggestion),
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        const s = parseShape(v);
        if (d.shape && s.length !== d.shape.length) return `rank ${d.shape.length} expected (${declared})`;
        const bad = d.shape?.findIndex((x, i) => typeof x === 'number' && x !== s[i]) ?? -1;
        return bad >= 0 ? `dim ${bad} is fixed at ${d.shape?.[bad]} in the model` : undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  return text === undefined ? undefined : parseShape(text);
}

/**
 * Makes sure every input has a shape: asks for the missing ones (an input box per input, pre-filled with a
 * suggestion) and remembers the answers for this model. Undefined when the user cancels.
 */
export async function ensureInputs(modelFile: string, given: InputOverrides | undefined): Promise<InputOverrides | undefined> {
  if (!/\.onnx$/i.test(modelFile)) return given ?? {};
  const model = (await loadModel(modelFile)).model;
  const declared = declaredInputs(model);
  let o = mergeOverrides(savedInputs(modelFile), given);
  let asked = false;
  for (let round = 0; round < declared.length + 1; round++) {
    const plans = resolvePlans(declared, o, { metadata: modelMetadata(model), allowMissing: true });
    if (!plans.missing.length) break;
    const first = plans.missing[0];
    const d = declared.find((x) => x.name === first.input)!;
    const shape = await askShape(modelFile, d, first);
    if (!shape) return undefined;
    o = mergeOverrides(o, { shapes: { [d.name]: shape } });
    asked = true;
  }
  if (asked) await saveInputs(modelFile, mergeOverrides(savedInputs(modelFile), { shapes: o.shapes }));
  return o;
}
