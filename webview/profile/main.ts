import './style.css';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { connect, el, fmtBytes, sortableTable } from '../shared/vscode';
import type { FromProfileWebview, ToProfileWebview } from './protocol';
import type { ProfileResult } from '../../extension/core/profile/types';
import type { ProfileComparison, Delta } from '../../extension/core/profile/compare';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);
const vscode = connect<FromProfileWebview>();
const app = document.getElementById('app') as HTMLElement;
let chart: Chart | undefined;

window.addEventListener('message', (e: MessageEvent<ToProfileWebview>) => {
  const m = e.data;
  if (m.type === 'progress') showProgress(m.title, m.message, m.fraction);
  else if (m.type === 'result') showResult(m.profile, m.baseline, m.comparison);
  else if (m.type === 'error') app.replaceChildren(el('h1', {}, 'Profiling failed'), el('p', { class: 'error', id: 'profile-error' }, m.message), rerunButton());
  else if (m.type === 'cancelled') app.replaceChildren(el('h1', {}, 'Profiling cancelled'), rerunButton());
});
vscode.post({ type: 'ready' });

function rerunButton(): HTMLElement {
  const b = el('button', { id: 'rerun' }, 'Run again');
  b.addEventListener('click', () => vscode.post({ type: 'rerun' }));
  return el('div', { class: 'toolbar' }, b);
}

function showProgress(title: string, message: string, fraction?: number): void {
  let box = document.getElementById('progress-box');
  if (!box) {
    const cancel = el('button', { class: 'secondary', id: 'cancel' }, 'Cancel');
    cancel.addEventListener('click', () => { vscode.post({ type: 'cancel' }); cancel.setAttribute('disabled', ''); });
    box = el('div', { id: 'progress-box' }, el('h1', { id: 'progress-title' }, title), el('progress', { id: 'progress-bar', max: '1' }), el('div', { id: 'progress-message', class: 'muted' }), el('div', { class: 'toolbar' }, cancel));
    app.replaceChildren(box);
  }
  (document.getElementById('progress-title') as HTMLElement).textContent = title;
  (document.getElementById('progress-message') as HTMLElement).textContent = message;
  const bar = document.getElementById('progress-bar') as HTMLProgressElement;
  if (fraction === undefined) bar.removeAttribute('value');
  else bar.value = fraction;
}

const ms = (us: number) => (us / 1000).toFixed(3);
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function showResult(p: ProfileResult, baseline?: ProfileResult, cmp?: ProfileComparison): void {
  chart?.destroy();
  const l = p.latencyMs;
  const stat = (label: string, value: string, id?: string) => el('div', { class: 'stat' }, el('span', { class: 'muted' }, label), el('strong', id ? { id } : {}, value));
  const actions = el('div', { class: 'toolbar' });
  for (const [label, msg, id] of [['Export Chrome Trace', { type: 'export', format: 'trace' }, 'export-trace'], ['Export CSV', { type: 'export', format: 'csv' }, 'export-csv'], ['Save Profile JSON', { type: 'export', format: 'json' }, 'export-json'], ['Compare with…', { type: 'compare' }, 'compare'], ['Run Again', { type: 'rerun' }, 'rerun']] as const) {
    const b = el('button', { class: id === 'export-trace' ? '' : 'secondary', id }, label);
    b.addEventListener('click', () => vscode.post(msg as FromProfileWebview));
    actions.append(b);
  }
  const canvas = el('canvas', { id: 'optype-chart' });
  const top = p.opTypes.slice(0, 20);
  const baseTypes = new Map(baseline?.opTypes.map((t) => [t.opType, t.meanUs]) ?? []);
  const parts: Array<Node> = [
    el('h1', {}, `${p.model.name} on ${p.device.label}`),
    el('div', { class: 'muted' }, `${p.runtime.runner} · optimization ${p.runtime.optimization ?? 'n/a'} · ${p.settings.runs} runs after ${p.settings.warmup} warm-up${p.device.note ? ` · ${p.device.note}` : ''}`),
    ...(p.settings.inputs?.length ? [el('div', { class: 'muted', id: 'profile-inputs', title: (p.settings.inputs.flatMap((i) => i.notes ?? [])).join('\n') }, `measured at ${p.settings.inputs.map((i) => `${i.name} ${i.shape.length ? i.shape.join('×') : 'scalar'}${i.value !== undefined ? ` = ${Array.isArray(i.value) ? i.value.join(',') : i.value}` : ''}${i.source !== 'generated' && i.source !== 'value' ? ` (${i.source})` : ''}`).join(', ')}`)] : []),
    el('div', { class: 'stats' },
      stat('p50', `${fmt(l.p50)} ms`, 'stat-p50'), stat('p90', `${fmt(l.p90)} ms`), stat('p99', `${fmt(l.p99)} ms`), stat('mean ± std', `${fmt(l.mean)} ± ${fmt(l.std)} ms`),
      stat('kernels cover', pct(p.kernelCoverage), 'stat-coverage'),
      ...(p.peakMemoryBytes ? [stat('allocator peak', fmtBytes(p.peakMemoryBytes))] : []),
      ...(p.peakRssBytes ? [stat('peak RSS', fmtBytes(p.peakRssBytes))] : [])),
    actions,
    ...p.warnings.map((w) => el('div', { class: 'warning' }, w)),
  ];
  if (p.source) parts.splice(2, 0, el('div', { class: 'muted', id: 'profile-source' }, `imported from ${p.source.file ?? 'a saved output'} (${p.source.format})`));
  if (p.delegation) {
    const d = p.delegation;
    parts.push(
      el('h2', {}, 'Delegation'),
      el('div', { id: 'delegation' },
        el('div', {}, d.summary),
        el('ul', {},
          ...d.delegated.map((x) => el('li', {}, `${x.label}: ${x.opType} ×${x.nodes} — ${ms(x.meanUs)} ms`)),
          ...d.cpu.map((x) => el('li', { class: 'warning' }, `CPU (fallback): ${x.opType} ×${x.nodes} — ${ms(x.meanUs)} ms`)))),
    );
  }
  if (cmp && baseline) parts.push(...comparisonView(cmp));
  parts.push(
    el('h2', {}, 'Time by op type'), el('div', { id: 'chart-wrap' }, canvas),
    el('h2', {}, `Timeline of one run (run ${p.timeline.run}, ${ms(p.timeline.totalUs)} ms)`), timelineView(p),
    el('h2', {}, `Per node (${p.nodes.length})`),
    el('div', { class: 'table-scroll' }, sortableTable([
      { title: 'Node', value: (n) => n.name },
      { title: 'Op type', value: (n) => n.opType },
      { title: 'Provider', value: (n) => (n.provider ?? '').replace('ExecutionProvider', '') },
      { title: 'Mean (ms)', value: (n) => n.meanUs, render: (n) => ms(n.meanUs), numeric: true },
      { title: 'Share', value: (n) => n.share, render: (n) => pct(n.share), numeric: true },
      { title: 'Calls/run', value: (n) => n.callsPerRun, numeric: true },
    ], p.nodes, { id: 'node-table', initialSort: 3 })),
  );
  app.replaceChildren(...parts);
  chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: top.map((t) => t.opType),
      datasets: [
        { label: `${p.model.name} (ms)`, data: top.map((t) => t.meanUs / 1000), backgroundColor: '#4e79a7' },
        ...(baseline ? [{ label: `${baseline.model.name} (ms)`, data: top.map((t) => (baseTypes.get(t.opType) ?? 0) / 1000), backgroundColor: '#f28e2b' }] : []),
      ],
    },
    options: { indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { title: { display: true, text: 'ms per run (mean)' } } }, plugins: { legend: { display: !!baseline } } },
  });
}

function comparisonView(c: ProfileComparison): Node[] {
  const delta = (d: Delta) => (d.deltaUs === null ? '—' : `${d.deltaUs >= 0 ? '+' : ''}${ms(d.deltaUs)}`);
  const cols = [
    { title: 'Op / node', value: (d: Delta) => d.key },
    { title: 'A (ms)', value: (d: Delta) => d.aUs ?? -1, render: (d: Delta) => (d.aUs === null ? '—' : ms(d.aUs)), numeric: true },
    { title: 'B (ms)', value: (d: Delta) => d.bUs ?? -1, render: (d: Delta) => (d.bUs === null ? '—' : ms(d.bUs)), numeric: true },
    { title: 'B − A (ms)', value: (d: Delta) => d.deltaUs ?? 0, render: delta, numeric: true },
    { title: 'B / A', value: (d: Delta) => d.ratio ?? 0, render: (d: Delta) => (d.ratio === null ? '—' : `${d.ratio.toFixed(2)}×`), numeric: true },
  ];
  return [
    el('h2', {}, 'Comparison'),
    el('div', { id: 'comparison-summary' }, `A: ${c.a.label} — ${c.statistic ?? 'p50'} ${c.a.p50Ms.toFixed(3)} ms. B: ${c.b.label} — ${c.statistic ?? 'p50'} ${c.b.p50Ms.toFixed(3)} ms. B is ${c.speedup.toFixed(2)}× ${c.speedup >= 1 ? 'faster' : 'slower'}.`),
    el('div', { class: 'columns' },
      el('div', {}, el('h2', {}, 'By op type'), el('div', { class: 'table-scroll' }, sortableTable(cols, c.byOpType, { id: 'compare-optype' }))),
      el('div', {}, el('h2', {}, `By node (${c.matchedNodes} matched by name)`), el('div', { class: 'table-scroll' }, sortableTable(cols, c.byNode, { id: 'compare-node' })))),
  ];
}

function timelineView(p: ProfileResult): HTMLElement {
  const canvas = el('canvas', { id: 'timeline' });
  const tip = el('div', { id: 'timeline-tip', class: 'muted' }, 'Hover an op to see it.');
  const colors = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  const typeColor = new Map<string, string>();
  p.opTypes.forEach((t, i) => typeColor.set(t.opType, colors[i % colors.length]));
  const total = Math.max(p.timeline.totalUs, ...p.timeline.events.map((e) => e.startUs + e.durUs), 1);
  const draw = () => {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    canvas.width = w * dpr;
    canvas.height = h * dpr;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.scale(dpr, dpr);
    for (const e of p.timeline.events) {
      ctx.fillStyle = typeColor.get(e.opType) ?? '#888';
      ctx.fillRect((e.startUs / total) * w, 10, Math.max(1, (e.durUs / total) * w), h - 20);
    }
  };
  canvas.addEventListener('mousemove', (ev) => {
    const x = (ev.offsetX / canvas.clientWidth) * total;
    const e = p.timeline.events.find((t) => x >= t.startUs && x <= t.startUs + Math.max(t.durUs, total / canvas.clientWidth));
    tip.textContent = e ? `${e.name} (${e.opType}): starts ${ms(e.startUs)} ms, takes ${ms(e.durUs)} ms` : '';
  });
  requestAnimationFrame(draw);
  new ResizeObserver(draw).observe(canvas);
  return el('div', {}, canvas, tip);
}
