import './style.css';
import { connect, el, fmtBytes, fmtCount, sortableTable } from '../shared/vscode';
import { button, textField, toolbar as toolbarRow } from '../shared/components';
import type { FromModelWebview, InputFormRow, ToModelWebview } from './protocol';
import type { ModelSummary } from '../../extension/core/onnx/summary';
import type { GraphView } from '../../extension/core/onnx/graph';
import { graphView } from './graph';
import type { TfliteSummary } from '../../extension/core/tflite/summary';
import { tfliteHeader, tfliteOpsView, tfliteSummaryView, tfliteTensorsView, tfliteToolbar } from './tflite';

const vscode = connect<FromModelWebview, { tab?: string }>();
const app = document.getElementById('app') as HTMLElement;
let redrawGraph: (() => void) | undefined;

window.addEventListener('message', (e: MessageEvent<ToModelWebview>) => {
  const m = e.data;
  if (m.type === 'model') renderOnnx(m.fileName, m.summary, m.graph, { rows: m.inputForm ?? [], saved: !!m.inputsSaved, error: m.inputsError });
  else if (m.type === 'tfliteModel') renderTflite(m.fileName, m.summary, m.graph);
  else if (m.type === 'error') {
    app.replaceChildren(el('h1', {}, m.fileName), el('p', { class: 'error', id: 'model-error', role: 'alert' }, m.message));
  } else if (m.type === 'profileOverlay') {
    redrawGraph?.();
    const note = document.getElementById('overlay-note');
    if (note) note.textContent = `Node colours: time share from ${m.label}`;
  }
});
vscode.post({ type: 'ready' });

const shape = (s: Array<number | string | null> | null) => (s ? `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]` : '(unknown)');

interface FormState {
  rows: InputFormRow[];
  saved: boolean;
  error?: string;
}

function renderOnnx(fileName: string, s: ModelSummary, graph: GraphView, form: FormState = { rows: [], saved: false }): void {
  const tabs = ['Summary', 'Ops', 'Graph'];
  const current = vscode.state.getState()?.tab ?? 'Summary';
  const header = el('div', {},
    el('h1', {}, fileName),
    el('div', { class: 'muted' }, `${fmtBytes(s.fileBytes)} · IR ${s.irVersion} · ${s.producer.name || 'unknown producer'} ${s.producer.version} · opsets ${s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`),
  );
  const toolbar = toolbarRow('Model actions',
    button('Profile', () => vscode.post({ type: 'profile', target: 'host' }), { icon: 'pulse', id: 'profile-host', title: 'Profile on this machine with onnxruntime-node' }),
    button('Profile on Phone', () => vscode.post({ type: 'profile', target: 'phone' }), { icon: 'device-mobile', secondary: true, id: 'profile-phone', title: 'Profile on the selected phone through a runner' }),
    button('Quantize', () => vscode.post({ type: 'quantize' }), { icon: 'symbol-numeric', secondary: true, id: 'quantize', title: 'Post-training quantization with a fidelity and speed report' }));
  const { bar, body } = tabStrip(tabs, current, (t) => (t === 'Summary' ? summaryView(s, form) : t === 'Ops' ? opsView(s) : graphView(graph, (m) => vscode.post(m))));
  app.replaceChildren(header, toolbar, bar, body);
}

/**
 * The editor's tabs, as the WAI-ARIA tabs pattern has them: role tablist/tab/tabpanel, one tab in the Tab
 * order (the selected one), ← → Home End move between tabs and show them. The tabs are the page's own
 * buttons (tests and the graph view find them as `.tabs button`).
 */
function tabStrip(tabs: string[], current: string, render: (t: string) => Node): { bar: HTMLElement; body: HTMLElement } {
  const bar = el('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Model views' });
  const body = el('div', { id: 'tab-body', role: 'tabpanel', tabindex: '-1' });
  const buttons = tabs.map((t) => el('button', { role: 'tab', id: `tab-${t.toLowerCase()}`, 'aria-controls': 'tab-body' }, t));
  const show = (t: string, focus = false) => {
    vscode.state.setState({ tab: t });
    for (const b of buttons) {
      const on = b.textContent === t;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      if (on) {
        body.setAttribute('aria-labelledby', b.id);
        if (focus) b.focus();
      }
    }
    redrawGraph = undefined;
    body.replaceChildren(render(t));
  };
  buttons.forEach((b, i) => {
    b.addEventListener('click', () => show(tabs[i]));
    b.addEventListener('keydown', (e) => {
      const to = e.key === 'ArrowRight' ? (i + 1) % tabs.length : e.key === 'ArrowLeft' ? (i - 1 + tabs.length) % tabs.length : e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : -1;
      if (to < 0) return;
      e.preventDefault();
      show(tabs[to], true);
    });
  });
  bar.append(...buttons);
  show(current);
  return { bar, body };
}

/** A .tflite file: its summary, ops and tensors, and the same graph view as ONNX. Only phone profiling applies. */
function renderTflite(fileName: string, s: TfliteSummary, graph: GraphView): void {
  const tabs = ['Summary', 'Ops', 'Tensors', 'Graph'];
  const saved = vscode.state.getState()?.tab ?? 'Summary';
  const current = tabs.includes(saved) ? saved : 'Summary';
  const { bar, body } = tabStrip(tabs, current, (t) => (t === 'Summary' ? tfliteSummaryView(s) : t === 'Ops' ? tfliteOpsView(s) : t === 'Tensors' ? tfliteTensorsView(s) : graphView(graph, (m) => vscode.post(m))));
  app.replaceChildren(tfliteHeader(fileName, s), tfliteToolbar(() => vscode.post({ type: 'profile', target: 'phone' })), bar, body);
}

/**
 * The shapes and values the model runs at, pre-filled from what it says (dim names, metadata, conventions),
 * remembered for this model; Profile and Quantize use them (and ask for dims still without a value).
 */
function inputsForm(form: FormState): HTMLElement[] {
  if (!form.rows.length) return [];
  const table = el('table', { id: 'inputs-form' });
  table.append(el('tr', {}, el('th', {}, 'Input'), el('th', {}, 'Type'), el('th', {}, 'Declared'), el('th', {}, 'Shape to run at'), el('th', {}, 'Value'), el('th', {}, '')));
  const fields: Array<{ name: string; shape: { value: string }; value: { value: string } }> = [];
  const apply = () => vscode.post({ type: 'setInputs', rows: fields.map((f) => ({ name: f.name, shape: f.shape.value, value: f.value.value })) });
  const field = (kind: 'shape' | 'value', r: InputFormRow) => {
    const f = textField({ label: `${kind} of ${r.name}`, value: kind === 'shape' ? r.shape : r.value, placeholder: kind === 'shape' ? '1x3x640x640' : 'generated', onEnter: apply });
    f.classList.add(kind);
    f.dataset.input = r.name;
    f.setAttribute('spellcheck', 'false');
    return f;
  };
  for (const r of form.rows) {
    const shapeIn = field('shape', r);
    const valueIn = field('value', r);
    fields.push({ name: r.name, shape: shapeIn, value: valueIn });
    const status = r.missing.length
      ? el('span', { class: 'warning' }, `dim${r.missing.length > 1 ? 's' : ''} ${r.missing.join(', ')} need${r.missing.length > 1 ? '' : 's'} a value`)
      : el('span', { class: 'muted' }, r.notes.join('; '));
    table.append(el('tr', {}, el('td', {}, r.name), el('td', {}, r.type), el('td', {}, shape(r.declared)), el('td', {}, shapeIn), el('td', {}, valueIn), el('td', {}, status)));
  }
  const applyButton = button('Apply', apply, { icon: 'check', id: 'inputs-apply', title: 'Remember these shapes and values for this model; Profile and Quantize use them (Enter in a field does too)' });
  const reset = button('Reset', () => vscode.post({ type: 'resetInputs' }), { icon: 'discard', secondary: true, id: 'inputs-reset', title: 'Back to what the model says' });
  return [
    el('h2', {}, 'Inputs to run at'),
    el('div', { class: 'muted' }, form.saved ? 'Your shapes and values for this model (Profile, Quantize and the MACs below use them).' : 'Pre-filled from the model (dim names, metadata, conventions). Profile and Quantize use these; a "?" is asked for when you run.'),
    table,
    ...(form.error ? [el('div', { class: 'error', id: 'inputs-error' }, form.error)] : []),
    toolbarRow('Inputs', applyButton, reset),
  ];
}

function summaryView(s: ModelSummary, form: FormState = { rows: [], saved: false }): HTMLElement {
  const io = (title: string, vals: ModelSummary['inputs']) => [el('h2', {}, title), sortableTable([
    { title: 'Name', value: (v) => v.name },
    { title: 'Type', value: (v) => v.type },
    { title: 'Shape', value: (v) => shape(v.shape) },
  ], vals)];
  const p = s.parameters;
  const at = s.at ? ` at ${s.at.inputs.map((i) => `${i.name} ${shape(i.shape)}`).join(', ')}` : '';
  const macs = (s.macs.nodesCounted ? `${fmtCount(s.macs.total)} (${s.macs.total.toLocaleString('en-US')})` : 'unknown') + at;
  return el('div', { id: 'summary' },
    ...io('Inputs', s.inputs),
    ...inputsForm(form),
    ...io('Outputs', s.outputs),
    el('h2', {}, 'Size'),
    el('div', { class: 'kv' },
      el('span', {}, 'Nodes'), el('span', { id: 'node-count' }, `${s.nodeCount}${s.nodeCountWithSubgraphs !== s.nodeCount ? ` (${s.nodeCountWithSubgraphs} with subgraphs)` : ''}`),
      el('span', {}, 'Parameters'), el('span', { id: 'param-count' }, `${p.count.toLocaleString('en-US')} (${fmtBytes(p.bytes)})`),
      el('span', {}, 'Weights in'), el('span', {}, `${p.initializers} initializers, ${p.constantNodes} Constant nodes${p.external.files.length ? `, external: ${p.external.files.join(', ')}` : ''}`),
      el('span', {}, 'MACs'), el('span', { id: 'macs' }, macs + (s.macs.nodesUnknown ? ` — ${s.macs.nodesUnknown} node(s) with unknown shapes` : '')),
    ),
    el('h2', {}, 'Parameters by type'),
    sortableTable([
      { title: 'Type', value: (r: [string, { tensors: number; count: number; bytes: number }]) => r[0] },
      { title: 'Tensors', value: (r) => r[1].tensors, numeric: true },
      { title: 'Elements', value: (r) => r[1].count, render: (r) => r[1].count.toLocaleString('en-US'), numeric: true },
      { title: 'Bytes', value: (r) => r[1].bytes, render: (r) => fmtBytes(r[1].bytes), numeric: true },
    ], Object.entries(p.byDtype), { initialSort: 3 }),
    ...(s.warnings.length ? [el('h2', {}, 'Warnings'), ...s.warnings.map((w) => el('div', { class: 'warning' }, w))] : []),
    ...(Object.keys(s.metadata).length ? [el('h2', {}, 'Metadata'), el('div', { class: 'kv' }, ...Object.entries(s.metadata).flatMap(([k, v]) => [el('span', {}, k), el('span', {}, v)]))] : []),
  );
}

function opsView(s: ModelSummary): HTMLElement {
  return el('div', {}, el('h2', {}, `Operators (${s.opHistogram.length} types, ${s.nodeCountWithSubgraphs} nodes)`), sortableTable([
    { title: 'Op type', value: (h) => h.opType },
    { title: 'Domain', value: (h) => h.domain },
    { title: 'Count', value: (h) => h.count, numeric: true },
    { title: 'MACs', value: (h) => s.macs.byOpType[h.opType] ?? 0, render: (h) => (s.macs.byOpType[h.opType] ? fmtCount(s.macs.byOpType[h.opType]) : ''), numeric: true },
  ], s.opHistogram, { id: 'op-table', initialSort: 2 }));
}
