import './style.css';
import { Chart, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, Legend } from 'chart.js';
import { connect, el } from '../shared/vscode';
import type { FromSearchWebview, PlotPoint, ToSearchWebview } from './protocol';
import type { SearchReport } from '../../extension/core/search/run';

Chart.register(ScatterController, LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);
const vscode = connect<FromSearchWebview>();
const app = document.getElementById('app') as HTMLElement;
let chart: Chart<'scatter'> | undefined;
let budget = 0;
let scoreLabel = '';
let count = 0;
let report: SearchReport | undefined;
const pointsById = new Map<string, PlotPoint>();

window.addEventListener('message', (e: MessageEvent<ToSearchWebview>) => {
  const m = e.data;
  if (m.type === 'start') start(m.title, m.budgetMs, m.scoreLabel, m.scoreKind, m.evaluations);
  else if (m.type === 'points') addPoints(m.points, m.evaluations, m.best);
  else if (m.type === 'done') done(m.report);
  else if (m.type === 'exported') {
    const box = document.getElementById('export-result');
    if (box) box.textContent = `Exported ${m.export.file}: host latency predicted ${m.export.predictedHostMs.toFixed(3)} ms, measured ${m.export.measuredHostMs.toFixed(3)} ms (error ${m.export.errorPercent.toFixed(1)}%).`;
  } else if (m.type === 'error') app.append(el('p', { class: 'error', id: 'search-error' }, m.message));
});
vscode.post({ type: 'ready' });

function start(title: string, budgetMs: number, label: string, kind: 'accuracy' | 'proxy', evaluations: number): void {
  budget = budgetMs;
  scoreLabel = kind === 'proxy' ? `${label} (a proxy, not an accuracy)` : label;
  const canvas = el('canvas', { id: 'scatter' });
  const cancel = el('button', { class: 'secondary', id: 'cancel' }, 'Cancel');
  cancel.addEventListener('click', () => vscode.post({ type: 'cancel' }));
  app.replaceChildren(
    el('h1', {}, title),
    el('div', { class: 'stats' },
      el('div', { class: 'stat' }, el('span', { class: 'muted' }, 'evaluated'), el('strong', { id: 'points-count' }, `0 / ${evaluations}`)),
      el('div', { class: 'stat' }, el('span', { class: 'muted' }, `best under ${budgetMs} ms`), el('strong', { id: 'best' }, '—'))),
    el('div', { class: 'toolbar' }, cancel),
    el('div', { id: 'scatter-wrap' }, canvas),
    el('div', { class: 'muted' }, 'Click a point to see its architecture, export it, or open it in the model editor.'),
    el('div', { id: 'details' }),
  );
  chart = new Chart(canvas, {
    type: 'scatter',
    data: { datasets: [
      { label: 'evaluated', data: [], backgroundColor: 'rgba(78,121,167,0.35)', pointRadius: 2 },
      { label: 'Pareto front', data: [], backgroundColor: '#e15759', borderColor: '#e15759', showLine: true, pointRadius: 3 },
      { label: `budget ${budgetMs} ms`, data: [], borderColor: '#f28e2b', borderDash: [6, 4], showLine: true, pointRadius: 0 },
    ] },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { type: 'linear', title: { display: true, text: 'latency (ms, from the table)' } }, y: { title: { display: true, text: scoreLabel } } },
      onClick: (_e, elements) => {
        const hit = elements[0];
        if (!hit || !chart) return;
        const raw = chart.data.datasets[hit.datasetIndex].data[hit.index] as { x: number; y: number; id?: string };
        if (raw.id) showDetails(raw.id);
      },
    },
  });
}

function front(points: PlotPoint[]): PlotPoint[] {
  const sorted = [...points].sort((a, b) => a.latencyMs - b.latencyMs || b.score - a.score);
  const out: PlotPoint[] = [];
  let best = -Infinity;
  for (const p of sorted) if (p.score > best) { out.push(p); best = p.score; }
  return out;
}

function addPoints(points: PlotPoint[], evaluations: number, best?: PlotPoint): void {
  if (!chart) return;
  for (const p of points) pointsById.set(p.id, p);
  count = evaluations;
  const total = (document.getElementById('points-count')?.textContent ?? '').split('/')[1]?.trim();
  (document.getElementById('points-count') as HTMLElement).textContent = `${count} / ${total ?? '?'}`;
  if (best) (document.getElementById('best') as HTMLElement).textContent = `${best.score.toFixed(4)} at ${best.latencyMs.toFixed(2)} ms`;
  const ds = chart.data.datasets;
  (ds[0].data as Array<{ x: number; y: number; id: string }>).push(...points.map((p) => ({ x: p.latencyMs, y: p.score, id: p.id })));
  ds[1].data = front([...pointsById.values()]).map((p) => ({ x: p.latencyMs, y: p.score, id: p.id })) as never;
  const ys = [...pointsById.values()].map((p) => p.score);
  ds[2].data = [{ x: budget, y: Math.min(...ys) }, { x: budget, y: Math.max(...ys) }];
  chart.update('none');
}

function done(r: SearchReport): void {
  report = r;
  document.getElementById('cancel')?.remove();
  (document.getElementById('points-count') as HTMLElement).textContent = `${r.evaluations} in ${r.wallSeconds.toFixed(1)} s`;
  (document.getElementById('best') as HTMLElement).textContent = r.best ? `${r.best.score.toFixed(4)} at ${r.best.latencyMs.toFixed(2)} ms` : 'none under the budget';
  if (r.best) showDetails(r.best.id);
}

function showDetails(id: string): void {
  const p = pointsById.get(id) ?? report?.front.find((f) => f.id === id);
  const box = document.getElementById('details') as HTMLElement;
  if (!p) return;
  const exp = el('button', { id: 'export' }, 'Export ONNX');
  exp.addEventListener('click', () => vscode.post({ type: 'export', id }));
  const open = el('button', { class: 'secondary', id: 'open' }, 'Open in Model Editor');
  open.addEventListener('click', () => vscode.post({ type: 'open', id }));
  box.replaceChildren(
    el('h2', {}, id === report?.best?.id ? 'Best architecture' : 'Architecture'),
    el('div', {}, `${p.latencyMs.toFixed(3)} ms · ${scoreLabel}: ${p.score.toFixed(4)}`),
    el('pre', { id: 'arch-id' }, id),
    el('div', { class: 'toolbar' }, exp, open),
    el('div', { id: 'export-result', class: 'muted' }),
  );
}
