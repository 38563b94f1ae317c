import './style.css';
import { Chart, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip, Legend, type ChartDataset, type TooltipItem } from 'chart.js';
import { connect, el } from '../shared/vscode';
import { applyChartTheme, onThemeChange, readTheme, withAlpha, type ChartTheme } from '../shared/theme';
import type { FromSearchWebview, PlotPoint, ToSearchWebview } from './protocol';
import type { MultiSearchReport, SearchReport } from '../../extension/core/search/run';
import type { ArchView } from '../../extension/core/search/describe';
import type { LatencyTrust } from '../../extension/core/search/trust';

Chart.register(ScatterController, LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);
const vscode = connect<FromSearchWebview>();
const app = document.getElementById('app') as HTMLElement;

type Raw = { x: number; y: number; id?: string };
interface Target { name: string; budgetMs: number; points: Map<string, PlotPoint>; best?: PlotPoint }

let chart: Chart<'scatter', Raw[]> | undefined;
let checkChart: Chart<'scatter', Raw[]> | undefined;
let scoreLabel = '';
let targets: Target[] = [];
let report: SearchReport | undefined;
let multi: MultiSearchReport | undefined;
let selected: string | undefined;
let theme: ChartTheme = readTheme();

window.addEventListener('message', (e: MessageEvent<ToSearchWebview>) => {
  const m = e.data;
  if (m.type === 'start') start(m);
  else if (m.type === 'points') addPoints(m.points, m.evaluations, m.best, m.target ?? 0);
  else if (m.type === 'done') done(m.report);
  else if (m.type === 'doneMulti') doneMulti(m.report);
  else if (m.type === 'arch') showArch(m.id, m.view);
  else if (m.type === 'exported') {
    const box = document.getElementById('export-result');
    if (box) box.textContent = `Exported ${m.export.file}: host latency predicted ${m.export.predictedHostMs.toFixed(3)} ms, measured ${m.export.measuredHostMs.toFixed(3)} ms (error ${m.export.errorPercent >= 0 ? '+' : ''}${m.export.errorPercent.toFixed(1)}%), ${m.export.basis}.${m.export.phone ? ` On ${m.export.phone.device} the table predicts ${m.export.phone.predictedMs.toFixed(3)} ms ("mobileai table check --device SERIAL" measures it there).` : ''}`;
  } else if (m.type === 'error') app.append(el('p', { class: 'error', id: 'search-error' }, m.message));
});
onThemeChange((t) => {
  theme = t;
  applyChartTheme(Chart, t, [chart, checkChart].filter((c) => !!c) as unknown as Chart[]);
  restyle();
});
applyChartTheme(Chart, theme);
vscode.post({ type: 'ready' });

/** Dataset layout: per target [evaluated, front, budget], then the best markers, then the selected marker. */
const ds = (t: number, kind: 0 | 1 | 2) => t * 3 + kind;
const bestSet = () => targets.length * 3;
const selectedSet = () => targets.length * 3 + 1;

function datasets(): Array<ChartDataset<'scatter', Raw[]>> {
  const out: Array<ChartDataset<'scatter', Raw[]>> = [];
  targets.forEach((t, i) => {
    const c = theme.palette[i % theme.palette.length];
    const name = targets.length > 1 ? `${t.name}: ` : '';
    out.push({ label: `${name}evaluated`, data: [], backgroundColor: withAlpha(c, 0.35), borderColor: withAlpha(c, 0.35), pointRadius: 2 });
    out.push({ label: `${name}Pareto front`, data: [], backgroundColor: c, borderColor: c, showLine: true, pointRadius: 2.5 });
    out.push({ label: `${name}budget ${t.budgetMs} ms`, data: [], borderColor: theme.palette[(i + 3) % theme.palette.length], borderDash: [6, 4], showLine: true, pointRadius: 0 });
  });
  out.push({ label: 'best under the budget', data: [], pointStyle: 'star', pointRadius: 11, pointHoverRadius: 13, borderWidth: 2, borderColor: theme.foreground, backgroundColor: theme.foreground });
  out.push({ label: 'selected', data: [], pointStyle: 'circle', pointRadius: 9, pointHoverRadius: 10, borderWidth: 2.5, borderColor: theme.palette[1], backgroundColor: 'transparent' });
  return out;
}

function restyle(): void {
  if (!chart) return;
  const fresh = datasets();
  chart.data.datasets.forEach((d, i) => {
    const f = fresh[i];
    Object.assign(d, { backgroundColor: f.backgroundColor, borderColor: f.borderColor });
  });
  chart.update('none');
  syncAttrs();
}

function start(m: Extract<ToSearchWebview, { type: 'start' }>): void {
  scoreLabel = m.scoreKind === 'proxy' ? `${m.scoreLabel} (a proxy, not an accuracy)` : m.scoreLabel;
  targets = (m.targets ?? [{ name: '', budgetMs: m.budgetMs }]).map((t) => ({ ...t, points: new Map() }));
  const canvas = el('canvas', { id: 'scatter' });
  const cancel = el('button', { class: 'secondary', id: 'cancel' }, 'Cancel');
  cancel.addEventListener('click', () => vscode.post({ type: 'cancel' }));
  app.replaceChildren(
    el('h1', {}, m.title),
    el('div', { class: 'stats' },
      el('div', { class: 'stat' }, el('span', { class: 'muted' }, 'evaluated'), el('strong', { id: 'points-count' }, `0 / ${m.evaluations}`)),
      el('div', { class: 'stat' }, el('span', { class: 'muted' }, targets.length > 1 ? 'best (per phone)' : `best under ${m.budgetMs} ms`), el('strong', { id: 'best' }, '—')),
      el('div', { class: 'stat' }, el('span', { class: 'muted' }, 'latency'), el('strong', { id: 'trust' }, '—'))),
    el('div', { class: 'toolbar' }, cancel),
    el('div', { id: 'scatter-wrap' }, canvas),
    el('div', { class: 'muted' }, 'Click a point to see its architecture per stage, export it, or open it in the model editor. ★ marks the best under the budget, ◯ the selected point.'),
    el('div', { id: 'targets' }),
    el('div', { id: 'details' }),
    el('div', { id: 'check' }),
  );
  chart = new Chart<'scatter', Raw[]>(canvas, {
    type: 'scatter',
    data: { datasets: datasets() },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { type: 'linear', title: { display: true, text: 'latency (ms, from the table)' } }, y: { title: { display: true, text: scoreLabel } } },
      plugins: {
        legend: { labels: { filter: (item) => !/^budget|evaluated$/.test(item.text) || targets.length > 1 } },
        // The editor's hover colours (Chart.js' own tooltip is black in every theme); onThemeChange restyles them.
        tooltip: { backgroundColor: theme.tooltip.background, titleColor: theme.tooltip.foreground, bodyColor: theme.tooltip.foreground, borderColor: theme.tooltip.border, borderWidth: 1, callbacks: { label: (item: TooltipItem<'scatter'>) => tooltipLabel(item) } },
      },
      onClick: (_e, elements) => {
        const hit = elements[0];
        if (!hit || !chart) return;
        const raw = chart.data.datasets[hit.datasetIndex].data[hit.index] as Raw;
        if (raw.id) select(raw.id);
      },
    },
  });
}

function tooltipLabel(item: TooltipItem<'scatter'>): string {
  const raw = item.raw as Raw;
  const tag = item.datasetIndex === bestSet() ? 'best · ' : item.datasetIndex === selectedSet() ? 'selected · ' : '';
  return `${tag}${raw.y.toFixed(4)} at ${raw.x.toFixed(2)} ms${raw.id ? ` — ${raw.id}` : ''}`;
}

function front(points: Iterable<PlotPoint>): PlotPoint[] {
  const sorted = [...points].sort((a, b) => a.latencyMs - b.latencyMs || b.score - a.score);
  const out: PlotPoint[] = [];
  let best = -Infinity;
  for (const p of sorted) if (p.score > best) { out.push(p); best = p.score; }
  return out;
}

const raw = (p: PlotPoint): Raw => ({ x: p.latencyMs, y: p.score, id: p.id });

function addPoints(points: PlotPoint[], evaluations: number, best: PlotPoint | undefined, ti: number): void {
  const t = targets[ti];
  if (!chart || !t) return;
  for (const p of points) t.points.set(p.id, p);
  if (best) t.best = best;
  const total = (document.getElementById('points-count')?.textContent ?? '').split('/')[1]?.trim();
  (document.getElementById('points-count') as HTMLElement).textContent = `${evaluations} / ${total ?? '?'}`;
  (document.getElementById('best') as HTMLElement).textContent = bestText();
  const d = chart.data.datasets;
  (d[ds(ti, 0)].data as Raw[]).push(...points.map(raw));
  d[ds(ti, 1)].data = front(t.points.values()).map(raw);
  const ys = [...t.points.values()].map((p) => p.score);
  if (ys.length) d[ds(ti, 2)].data = [{ x: t.budgetMs, y: Math.min(...ys) }, { x: t.budgetMs, y: Math.max(...ys) }];
  markers();
  chart.update('none');
  syncAttrs();
}

function bestText(): string {
  if (targets.length === 1) return targets[0].best ? `${targets[0].best.score.toFixed(4)} at ${targets[0].best.latencyMs.toFixed(2)} ms` : '—';
  return targets.map((t) => `${t.name}: ${t.best ? `${t.best.score.toFixed(4)} at ${t.best.latencyMs.toFixed(2)} ms` : '—'}`).join(' · ');
}

/** The best (per target) and the selected point, drawn over the rest. */
function markers(): void {
  if (!chart) return;
  chart.data.datasets[bestSet()].data = targets.filter((t) => t.best).map((t) => raw(t.best as PlotPoint));
  const sel = selected ? targets.map((t) => t.points.get(selected as string)).filter((p): p is PlotPoint => !!p) : [];
  chart.data.datasets[selectedSet()].data = sel.map(raw);
}

/**
 * What the chart shows, on its wrapper for tools and tests: the best and selected ids, where they and the
 * fastest front point are drawn (canvas pixels), and the tooltip's colours.
 */
function syncAttrs(): void {
  const wrap = document.getElementById('scatter-wrap');
  if (!wrap || !chart) return;
  const at = (set: number, i = 0) => { const e = chart?.getDatasetMeta(set).data[i]; return e ? `${Math.round(e.x)},${Math.round(e.y)}` : ''; };
  const best = chart.data.datasets[bestSet()].data as Raw[];
  const sel = chart.data.datasets[selectedSet()].data as Raw[];
  wrap.dataset.best = best.map((p) => p.id).join(' ');
  wrap.dataset.selected = sel.map((p) => p.id).join(' ');
  wrap.dataset.bestXy = at(bestSet());
  wrap.dataset.frontXy = at(ds(0, 1));
  const tt = chart.options.plugins?.tooltip as { backgroundColor?: unknown; bodyColor?: unknown; borderColor?: unknown } | undefined;
  wrap.dataset.tooltip = [tt?.backgroundColor, tt?.bodyColor, tt?.borderColor].map(String).join(' ');
}

function select(id: string): void {
  selected = id;
  markers();
  chart?.update('none');
  syncAttrs();
  vscode.post({ type: 'select', id });
}

function finish(evaluations: number, seconds: number): void {
  document.getElementById('cancel')?.remove();
  (document.getElementById('points-count') as HTMLElement).textContent = `${evaluations} in ${seconds.toFixed(1)} s`;
}

function done(r: SearchReport): void {
  report = r;
  finish(r.evaluations, r.wallSeconds);
  if (r.best) targets[0].best = { id: r.best.id, latencyMs: r.best.latencyMs, score: r.best.score };
  (document.getElementById('best') as HTMLElement).textContent = r.best ? `${r.best.score.toFixed(4)} at ${r.best.latencyMs.toFixed(2)} ms` : 'none under the budget';
  showTrust(r.trust);
  if (r.best) {
    selected = r.best.id;
    showArch(r.best.id, r.best.view);
  }
  markers();
  chart?.update('none');
  syncAttrs();
}

function doneMulti(r: MultiSearchReport): void {
  multi = r;
  finish(r.targets.reduce((n, t) => n + t.report.evaluations, 0), r.wallSeconds);
  r.targets.forEach((t, i) => { if (t.report.best && targets[i]) targets[i].best = { id: t.report.best.id, latencyMs: t.report.best.latencyMs, score: t.report.best.score }; });
  (document.getElementById('best') as HTMLElement).textContent = bestText();
  (document.getElementById('trust') as HTMLElement).textContent = r.targets.map((t) => `${t.name}: ${t.report.trust?.status ?? 'unchecked'}`).join(' · ');
  const c = r.comparison;
  const head = el('tr', {}, el('th', {}, 'best architecture of'), el('th', {}, 'top-1'), ...c.names.map((n, j) => el('th', {}, `on ${n} (≤ ${r.targets[j].report.budgetMs} ms)`)));
  const rows = c.names.map((n, i) => {
    const name = el('td', {}, el('a', { href: '#', 'data-id': c.ids[i] ?? '' }, n));
    name.querySelector('a')?.addEventListener('click', (e) => { e.preventDefault(); if (c.ids[i]) select(c.ids[i] as string); });
    return el('tr', {}, name, el('td', { class: 'num' }, c.scores[i]?.toFixed(4) ?? '—'), ...c.latencyMs[i].map((l, j) => el('td', { class: `num${c.fits[i][j] ? '' : ' over'}` }, l === null ? '—' : `${l.toFixed(2)} ms${c.fits[i][j] ? '' : ' ✗'}`)));
  });
  (document.getElementById('targets') as HTMLElement).replaceChildren(
    el('h2', {}, 'One space, several phones'),
    el('div', { class: 'muted' }, 'Each phone’s best architecture, costed on every phone’s table (✗: over that phone’s budget).'),
    el('table', { class: 'grid', id: 'targets-table' }, el('thead', {}, head), el('tbody', {}, ...rows)),
  );
  const first = r.targets.find((t) => t.report.best);
  if (first?.report.best) {
    selected = first.report.best.id;
    showArch(first.report.best.id, first.report.best.view);
  }
  const checked = r.targets.find((t) => t.report.trust?.points?.length);
  if (checked) showTrust(checked.report.trust, checked.name);
  markers();
  chart?.update('none');
  syncAttrs();
}

function pointOf(id: string): PlotPoint | undefined {
  for (const t of targets) { const p = t.points.get(id); if (p) return p; }
  const f = report?.front.find((x) => x.id === id);
  return f && { id: f.id, latencyMs: f.latencyMs, score: f.score };
}

function showArch(id: string, view: ArchView): void {
  if (id !== selected) return;
  const p = pointOf(id);
  const box = document.getElementById('details') as HTMLElement;
  const exp = el('button', { id: 'export' }, 'Export ONNX');
  exp.addEventListener('click', () => vscode.post({ type: 'export', id }));
  const open = el('button', { class: 'secondary', id: 'open' }, 'Open in Model Editor');
  open.addEventListener('click', () => vscode.post({ type: 'open', id }));
  const isBest = targets.some((t) => t.best?.id === id) || report?.best?.id === id || multi?.comparison.ids.includes(id);
  const cols = ['stage', 'depth', 'block', 'kernel', 'expand', 'SE', 'activation', 'stride', 'output'];
  const rows = view.stages.flatMap((s) => s.blocks.map((b, j) => el('tr', { class: j ? '' : 'stage-start' },
    el('td', {}, j ? '' : String(s.stage)), el('td', { class: 'num' }, j ? '' : String(s.depth)), el('td', {}, b.block ?? String(j + 1)),
    el('td', {}, b.kernel ? `${b.kernel}×${b.kernel}` : '—'), el('td', { class: 'num' }, b.expand ? String(b.expand) : '—'), el('td', {}, b.se ? 'yes' : '—'),
    el('td', {}, b.activation), el('td', { class: 'num' }, String(b.stride)), el('td', {}, b.output))));
  box.replaceChildren(
    el('h2', {}, isBest ? 'Best architecture' : 'Selected architecture'),
    el('div', {}, p ? `${p.latencyMs.toFixed(3)} ms · ${scoreLabel}: ${p.score.toFixed(4)}` : ''),
    el('div', { id: 'arch-summary' }, view.summary),
    el('table', { class: 'grid arch', id: 'arch-view' }, el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', {}, c)))), el('tbody', {}, ...rows)),
    el('div', { class: 'muted' }, 'id ', el('code', { id: 'arch-id' }, id)),
    el('div', { class: 'toolbar' }, exp, open),
    el('div', { id: 'export-result', class: 'muted' }),
  );
}

/** How far the table's latency can be trusted, and (when a check report has them) predicted vs measured networks. */
function showTrust(trust: LatencyTrust | undefined, name?: string): void {
  const t = document.getElementById('trust') as HTMLElement;
  if (!name) t.textContent = trust ? (trust.status === 'checked' ? `checked: ${trust.withinTenPercent ?? '?'}% within ±10 %` : 'unchecked') : 'unchecked';
  t.title = trust?.text ?? '';
  const box = document.getElementById('check') as HTMLElement;
  if (!trust?.points?.length) {
    box.replaceChildren(el('div', { class: 'muted', id: 'trust-text' }, `Latency: ${trust?.text ?? 'unchecked'}`));
    return;
  }
  const canvas = el('canvas', { id: 'check-plot' });
  box.replaceChildren(
    el('h2', {}, `Predicted vs measured latency${name ? ` (${name})` : ''}`),
    el('div', { class: 'muted', id: 'trust-text' }, trust.text),
    el('div', { id: 'check-wrap' }, canvas),
  );
  const pts: Raw[] = trust.points.map((q) => ({ x: q.predictedMs, y: q.measuredMs, id: q.id }));
  const hi = Math.max(...pts.map((q) => Math.max(q.x, q.y))) * 1.05;
  checkChart?.destroy();
  checkChart = new Chart<'scatter', Raw[]>(canvas, {
    type: 'scatter',
    data: { datasets: [
      { label: 'exported networks', data: pts, backgroundColor: theme.palette[0], pointRadius: 3 },
      { label: 'predicted = measured', data: [{ x: 0, y: 0 }, { x: hi, y: hi }], borderColor: theme.muted, showLine: true, pointRadius: 0 },
      { label: '±10 %', data: [{ x: 0, y: 0 }, { x: hi, y: hi * 1.1 }], borderColor: theme.muted, borderDash: [4, 4], showLine: true, pointRadius: 0 },
      { label: '', data: [{ x: 0, y: 0 }, { x: hi, y: hi * 0.9 }], borderColor: theme.muted, borderDash: [4, 4], showLine: true, pointRadius: 0 },
    ] },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { type: 'linear', min: 0, title: { display: true, text: 'predicted (ms)' } }, y: { min: 0, title: { display: true, text: 'measured (ms)' } } },
      plugins: { legend: { labels: { filter: (item) => !!item.text } }, tooltip: { callbacks: { label: (item) => { const r = item.raw as Raw; return `predicted ${r.x.toFixed(2)} ms, measured ${r.y.toFixed(2)} ms (${(((r.x - r.y) / r.y) * 100).toFixed(1)} %)`; } } } },
    },
  });
}
