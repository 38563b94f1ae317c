import './style.css';
import { connect, el, fmtBytes, fmtCount, sortableTable } from '../shared/vscode';
import type { FromModelWebview, InputFormRow, ToModelWebview } from './protocol';
import type { ModelSummary } from '../../extension/core/onnx/summary';
import type { GraphNodeView, GraphView } from '../../extension/core/onnx/graph';
import type { TfliteSummary } from '../../extension/core/tflite/summary';
import { TFLITE_OP_COLORS, tfliteHeader, tfliteOpsView, tfliteSummaryView, tfliteTensorsView, tfliteToolbar } from './tflite';

const vscode = connect<FromModelWebview, { tab?: string }>();
const app = document.getElementById('app') as HTMLElement;
let overlay: { label: string; shares: Record<string, number> } | undefined;
let redrawGraph: (() => void) | undefined;

window.addEventListener('message', (e: MessageEvent<ToModelWebview>) => {
  const m = e.data;
  if (m.type === 'model') render(m.fileName, m.summary, m.graph, { rows: m.inputForm ?? [], saved: !!m.inputsSaved, error: m.inputsError });
  else if (m.type === 'tfliteModel') renderTflite(m.fileName, m.summary, m.graph);
  else if (m.type === 'error') {
    app.replaceChildren(el('h1', {}, m.fileName), el('p', { class: 'error', id: 'model-error' }, m.message));
  } else if (m.type === 'profileOverlay') {
    overlay = { label: m.label, shares: m.shares };
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

function render(fileName: string, s: ModelSummary, graph: GraphView, form: FormState = { rows: [], saved: false }): void {
  const tabs = ['Summary', 'Ops', 'Graph'];
  const current = vscode.state.getState()?.tab ?? 'Summary';
  const header = el('div', {},
    el('h1', {}, fileName),
    el('div', { class: 'muted' }, `${fmtBytes(s.fileBytes)} · IR ${s.irVersion} · ${s.producer.name || 'unknown producer'} ${s.producer.version} · opsets ${s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`),
  );
  const profileHost = el('button', { id: 'profile-host', title: 'Profile on this machine with onnxruntime-node' }, 'Profile');
  profileHost.addEventListener('click', () => vscode.post({ type: 'profile', target: 'host' }));
  const profilePhone = el('button', { class: 'secondary', id: 'profile-phone', title: 'Profile on the selected phone through a runner' }, 'Profile on Phone');
  profilePhone.addEventListener('click', () => vscode.post({ type: 'profile', target: 'phone' }));
  const quantize = el('button', { class: 'secondary', id: 'quantize', title: 'Post-training quantization with a fidelity and speed report' }, 'Quantize');
  quantize.addEventListener('click', () => vscode.post({ type: 'quantize' }));
  const toolbar = el('div', { class: 'toolbar' }, profileHost, profilePhone, quantize);
  const tabBar = el('div', { class: 'tabs', role: 'tablist' });
  const body = el('div', { id: 'tab-body' });
  const show = (t: string) => {
    vscode.state.setState({ tab: t });
    tabBar.querySelectorAll('button').forEach((b) => b.setAttribute('aria-selected', String(b.textContent === t)));
    redrawGraph = undefined;
    body.replaceChildren(t === 'Summary' ? summaryView(s, form) : t === 'Ops' ? opsView(s) : graphView(graph));
  };
  for (const t of tabs) {
    const b = el('button', { role: 'tab', 'aria-selected': String(t === current) }, t);
    b.addEventListener('click', () => show(t));
    tabBar.append(b);
  }
  app.replaceChildren(header, toolbar, tabBar, body);
  show(current);
}

/** A .tflite file: its summary, ops and tensors, and the same graph view as ONNX. Only phone profiling applies. */
function renderTflite(fileName: string, s: TfliteSummary, graph: GraphView): void {
  const tabs = ['Summary', 'Ops', 'Tensors', 'Graph'];
  const saved = vscode.state.getState()?.tab ?? 'Summary';
  const current = tabs.includes(saved) ? saved : 'Summary';
  const tabBar = el('div', { class: 'tabs', role: 'tablist' });
  const body = el('div', { id: 'tab-body' });
  const show = (t: string) => {
    vscode.state.setState({ tab: t });
    tabBar.querySelectorAll('button').forEach((b) => b.setAttribute('aria-selected', String(b.textContent === t)));
    redrawGraph = undefined;
    body.replaceChildren(t === 'Summary' ? tfliteSummaryView(s) : t === 'Ops' ? tfliteOpsView(s) : t === 'Tensors' ? tfliteTensorsView(s) : graphView(graph));
  };
  for (const t of tabs) {
    const b = el('button', { role: 'tab', 'aria-selected': String(t === current) }, t);
    b.addEventListener('click', () => show(t));
    tabBar.append(b);
  }
  app.replaceChildren(tfliteHeader(fileName, s), tfliteToolbar(() => vscode.post({ type: 'profile', target: 'phone' })), tabBar, body);
  show(current);
}

/**
 * The shapes and values the model runs at, pre-filled from what it says (dim names, metadata, conventions),
 * remembered for this model; Profile and Quantize use them (and ask for dims still without a value).
 */
function inputsForm(form: FormState): HTMLElement[] {
  if (!form.rows.length) return [];
  const table = el('table', { id: 'inputs-form' });
  table.append(el('tr', {}, el('th', {}, 'Input'), el('th', {}, 'Type'), el('th', {}, 'Declared'), el('th', {}, 'Shape to run at'), el('th', {}, 'Value'), el('th', {}, '')));
  const fields: Array<{ name: string; shape: HTMLInputElement; value: HTMLInputElement }> = [];
  for (const r of form.rows) {
    const shapeIn = el('input', { value: r.shape, 'data-input': r.name, class: 'shape', placeholder: '1x3x640x640', 'aria-label': `shape of ${r.name}` });
    const valueIn = el('input', { value: r.value, 'data-input': r.name, class: 'value', placeholder: 'generated', 'aria-label': `value of ${r.name}` });
    fields.push({ name: r.name, shape: shapeIn, value: valueIn });
    const status = r.missing.length
      ? el('span', { class: 'warning' }, `dim${r.missing.length > 1 ? 's' : ''} ${r.missing.join(', ')} need${r.missing.length > 1 ? '' : 's'} a value`)
      : el('span', { class: 'muted' }, r.notes.join('; '));
    table.append(el('tr', {}, el('td', {}, r.name), el('td', {}, r.type), el('td', {}, shape(r.declared)), el('td', {}, shapeIn), el('td', {}, valueIn), el('td', {}, status)));
  }
  const apply = el('button', { id: 'inputs-apply', title: 'Remember these shapes and values for this model; Profile and Quantize use them' }, 'Apply');
  apply.addEventListener('click', () => vscode.post({ type: 'setInputs', rows: fields.map((f) => ({ name: f.name, shape: f.shape.value, value: f.value.value })) }));
  const reset = el('button', { class: 'secondary', id: 'inputs-reset', title: 'Back to what the model says' }, 'Reset');
  reset.addEventListener('click', () => vscode.post({ type: 'resetInputs' }));
  return [
    el('h2', {}, 'Inputs to run at'),
    el('div', { class: 'muted' }, form.saved ? 'Your shapes and values for this model (Profile, Quantize and the MACs below use them).' : 'Pre-filled from the model (dim names, metadata, conventions). Profile and Quantize use these; a "?" is asked for when you run.'),
    table,
    ...(form.error ? [el('div', { class: 'error', id: 'inputs-error' }, form.error)] : []),
    el('div', { class: 'toolbar' }, apply, reset),
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

const OP_COLORS: Record<string, string> = { Conv: '#4e79a7', MatMul: '#f28e2b', Gemm: '#f28e2b', Relu: '#59a14f', Add: '#76b7b2', Mul: '#76b7b2', Reshape: '#bab0ac', Transpose: '#bab0ac', MaxPool: '#e15759', AveragePool: '#e15759', Concat: '#b07aa1', Softmax: '#edc948', ...TFLITE_OP_COLORS };

function graphView(g: GraphView): HTMLElement {
  const wrap = el('div', { id: 'graph-wrap' });
  const canvas = el('canvas', { id: 'graph' });
  const details = el('div', { id: 'node-details', hidden: '' });
  const search = el('input', { placeholder: 'Find node or op…', id: 'graph-search' });
  const info = el('span', { class: 'muted', id: 'overlay-note' }, overlay ? `Node colours: time share from ${overlay.label}` : `${g.nodes.length} nodes${g.truncated ? ' (truncated)' : ''}. Drag to pan, wheel to zoom, click a node.`);
  wrap.append(canvas, details);
  const root = el('div', {}, el('div', { class: 'graph-tools' }, search, info), wrap);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const W = 150;
  const H = 36;
  let scale = Math.min(1, 900 / Math.max(g.width, 1));
  let ox = 20;
  let oy = 20;
  let selected: GraphNodeView | undefined;
  const style = getComputedStyle(document.body);
  const fg = style.getPropertyValue('--vscode-foreground') || '#ccc';
  const edgeColor = style.getPropertyValue('--vscode-panel-border') || '#666';
  const byId = g.nodes;
  const draw = () => {
    const dpr = window.devicePixelRatio || 1;
    const cw = wrap.clientWidth;
    const ch = wrap.clientHeight;
    if (canvas.width !== cw * dpr || canvas.height !== ch * dpr) { canvas.width = cw * dpr; canvas.height = ch * dpr; }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cw, ch);
    ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * ox, dpr * oy);
    // Visible world rectangle: only what is on screen is drawn (thousands of nodes stay smooth).
    const x0 = -ox / scale;
    const y0 = -oy / scale;
    const x1 = x0 + cw / scale;
    const y1 = y0 + ch / scale;
    const vis = (n: GraphNodeView) => n.x + W >= x0 && n.x <= x1 && n.y + H >= y0 && n.y <= y1;
    ctx.strokeStyle = edgeColor;
    ctx.lineWidth = 1 / scale;
    ctx.beginPath();
    for (const [a, b] of g.edges) {
      const p = byId[a];
      const q = byId[b];
      if (!vis(p) && !vis(q) && (Math.max(p.y, q.y) < y0 || Math.min(p.y, q.y) > y1)) continue;
      ctx.moveTo(p.x + W / 2, p.y + H);
      ctx.lineTo(q.x + W / 2, q.y);
    }
    ctx.stroke();
    const showText = scale > 0.35;
    ctx.font = '12px sans-serif';
    ctx.textBaseline = 'middle';
    for (const n of g.nodes) {
      if (!vis(n)) continue;
      const share = overlay?.shares[n.name];
      ctx.fillStyle = share !== undefined ? `hsl(${Math.round(120 - Math.min(1, share * 8) * 120)}, 70%, 45%)` : OP_COLORS[n.opType] ?? '#7f7f7f';
      ctx.fillRect(n.x, n.y, W, H);
      if (n === selected) { ctx.strokeStyle = fg; ctx.lineWidth = 3 / scale; ctx.strokeRect(n.x, n.y, W, H); }
      if (showText) {
        ctx.fillStyle = '#fff';
        ctx.fillText(`${n.opType}${share !== undefined ? ` ${(share * 100).toFixed(1)}%` : ''}`.slice(0, 22), n.x + 6, n.y + H / 2);
      }
    }
  };
  redrawGraph = draw;
  const hit = (cx: number, cy: number) => {
    const x = (cx - ox) / scale;
    const y = (cy - oy) / scale;
    return g.nodes.find((n) => x >= n.x && x <= n.x + W && y >= n.y && y <= n.y + H);
  };
  const showDetails = (n: GraphNodeView | undefined) => {
    selected = n;
    if (!n) { details.hidden = true; draw(); return; }
    details.hidden = false;
    const share = overlay?.shares[n.name];
    details.replaceChildren(
      el('strong', {}, `${n.opType}`), el('div', { class: 'muted' }, `${n.name || '(unnamed)'} · ${n.domain}`),
      ...(share !== undefined ? [el('div', {}, `time share: ${(share * 100).toFixed(2)}%`)] : []),
      el('h2', {}, 'Inputs'), ...n.inputs.map((i) => el('div', {}, `${i.name}: ${i.shape || '?'}`)),
      el('h2', {}, 'Outputs'), ...n.outputs.map((o) => el('div', {}, `${o.name}: ${o.shape || '?'}`)),
      ...(n.attributes.length ? [el('h2', {}, 'Attributes'), ...n.attributes.map(([k, v]) => el('div', {}, `${k} = ${v}`))] : []),
    );
    draw();
  };
  let drag: { x: number; y: number; ox: number; oy: number; moved: boolean } | undefined;
  canvas.addEventListener('mousedown', (e) => { drag = { x: e.clientX, y: e.clientY, ox, oy, moved: false }; });
  window.addEventListener('mousemove', (e) => {
    if (!drag) return;
    if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 3) drag.moved = true;
    ox = drag.ox + e.clientX - drag.x;
    oy = drag.oy + e.clientY - drag.y;
    requestAnimationFrame(draw);
  });
  window.addEventListener('mouseup', (e) => {
    if (drag && !drag.moved) {
      const r = canvas.getBoundingClientRect();
      showDetails(hit(e.clientX - r.left, e.clientY - r.top));
    }
    drag = undefined;
  });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    const cx = e.clientX - r.left;
    const cy = e.clientY - r.top;
    const f = Math.exp(-e.deltaY * 0.0015);
    const ns = Math.min(4, Math.max(0.02, scale * f));
    ox = cx - ((cx - ox) * ns) / scale;
    oy = cy - ((cy - oy) * ns) / scale;
    scale = ns;
    requestAnimationFrame(draw);
  }, { passive: false });
  search.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const q = search.value.trim().toLowerCase();
    const found = g.nodes.find((n) => n.name.toLowerCase().includes(q) || n.opType.toLowerCase() === q);
    if (!found) { info.textContent = `No node matches "${search.value}"`; return; }
    scale = 1;
    ox = wrap.clientWidth / 2 - found.x - W / 2;
    oy = wrap.clientHeight / 2 - found.y - H / 2;
    showDetails(found);
  });
  new ResizeObserver(() => draw()).observe(wrap);
  return root;
}
