import './style.css';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { connect, el, fmtBytes, sortableTable } from '../shared/vscode';
import { button, progressBar, toolbar } from '../shared/components';
import { applyChartTheme, onThemeChange, readTheme, type ChartTheme } from '../shared/theme';
import type { FromProfileWebview, ToProfileWebview } from './protocol';
import type { ProfileResult } from '../../extension/core/profile/types';
import type { ProfileComparison, Delta } from '../../extension/core/profile/compare';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);
const vscode = connect<FromProfileWebview>();
const app = document.getElementById('app') as HTMLElement;
let chart: Chart | undefined;
/** Redraws the timeline in the current theme (set by timelineView). */
let redrawTimeline: ((t: ChartTheme) => void) | undefined;
/** A theme switch restyles the chart and the timeline in place (the page, its scroll and sorting stay). */
onThemeChange((t) => {
  if (chart) {
    applyChartTheme(Chart, t, [chart]);
    chart.data.datasets.forEach((d, i) => { d.backgroundColor = t.palette[i % t.palette.length]; });
    const y = chart.options.scales?.y as { ticks?: { color?: unknown } } | undefined;
    if (y?.ticks) y.ticks.color = t.foreground;
    chart.update(); // (mode 'none' keeps the bars' resolved colours; the chart has no animation anyway)
  }
  redrawTimeline?.(t);
});

window.addEventListener('message', (e: MessageEvent<ToProfileWebview>) => {
  const m = e.data;
  if (m.type === 'progress') showProgress(m.title, m.message, m.fraction);
  else if (m.type === 'result') showResult(m.profile, m.baseline, m.comparison);
  else if (m.type === 'error') app.replaceChildren(el('h1', {}, 'Profiling failed'), el('p', { class: 'error', id: 'profile-error' }, m.message), rerunButton());
  else if (m.type === 'cancelled') app.replaceChildren(el('h1', {}, 'Profiling cancelled'), rerunButton());
});
vscode.post({ type: 'ready' });

function rerunButton(): HTMLElement {
  return toolbar('Profile', button('Run again', () => vscode.post({ type: 'rerun' }), { icon: 'debug-rerun', id: 'rerun' }));
}

function showProgress(title: string, message: string, fraction?: number): void {
  let box = document.getElementById('progress-box');
  if (!box) {
    const cancel = button('Cancel', () => { vscode.post({ type: 'cancel' }); cancel.disabled = true; }, { secondary: true, icon: 'stop-circle', id: 'cancel' });
    box = el('div', { id: 'progress-box', role: 'status', 'aria-live': 'polite' }, el('h1', { id: 'progress-title' }, title), el('div', { id: 'progress-slot' }), el('div', { id: 'progress-message', class: 'muted' }), toolbar('Profiling', cancel));
    app.replaceChildren(box);
  }
  (document.getElementById('progress-title') as HTMLElement).textContent = title;
  (document.getElementById('progress-message') as HTMLElement).textContent = message;
  const bar = progressBar(title, fraction);
  bar.id = 'progress-bar';
  (document.getElementById('progress-slot') as HTMLElement).replaceChildren(bar);
}

const ms = (us: number) => (us / 1000).toFixed(3);
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
/** A signed difference in ms: "+0.120", "−0.045" (a real minus sign), and "0.000" — never "-0.000" — when it rounds to zero. */
export function signedMs(us: number, digits = 3): string {
  const v = us / 1000;
  const s = Math.abs(v).toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits);
  return `${v < 0 ? '\u2212' : '+'}${s}`;
}
/** Tick spacing for an axis of `span` units with about `target` ticks: 1, 2 or 5 × a power of ten. */
export function niceStep(span: number, target = 6): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m >= 5 ? 10 : m >= 2 ? 5 : m >= 1.5 ? 2 : 1) * pow;
}

function showResult(p: ProfileResult, baseline?: ProfileResult, cmp?: ProfileComparison): void {
  chart?.destroy();
  const theme = readTheme();
  applyChartTheme(Chart, theme);
  const l = p.latencyMs;
  const comparing = !!(cmp && baseline);
  // After Compare, `p` is B and `baseline` is A: every label says which is which.
  const tagB = comparing ? 'B ' : '';
  const stat = (label: string, value: string, id?: string, also?: string) => el('div', { class: 'stat' }, el('span', { class: 'muted' }, label), el('strong', id ? { id } : {}, value), ...(also ? [el('span', { class: 'muted stat-a' }, also)] : []));
  const aL = baseline?.latencyMs;
  const actions = toolbar('Profile actions',
    button('Export Chrome Trace', () => vscode.post({ type: 'export', format: 'trace' }), { icon: 'export', id: 'export-trace' }),
    button('Export CSV', () => vscode.post({ type: 'export', format: 'csv' }), { secondary: true, id: 'export-csv' }),
    button('Save Profile JSON', () => vscode.post({ type: 'export', format: 'json' }), { secondary: true, icon: 'save', id: 'export-json' }),
    button('Compare with…', () => vscode.post({ type: 'compare' }), { secondary: true, icon: 'git-compare', id: 'compare' }),
    button('Run Again', () => vscode.post({ type: 'rerun' }), { secondary: true, icon: 'debug-rerun', id: 'rerun' }));
  const canvas = el('canvas', { id: 'optype-chart', role: 'img' });
  const baseTypes = new Map(baseline?.opTypes.map((t) => [t.opType, t.meanUs]) ?? []);
  const curTypes = new Map(p.opTypes.map((t) => [t.opType, t.meanUs]));
  // The op types that matter on either side (a fused B has types A has not, and the other way round).
  const top = [...new Set([...p.opTypes.slice(0, 20).map((t) => t.opType), ...(baseline?.opTypes.slice(0, 20).map((t) => t.opType) ?? [])])]
    .sort((x, y) => Math.max(curTypes.get(y) ?? 0, baseTypes.get(y) ?? 0) - Math.max(curTypes.get(x) ?? 0, baseTypes.get(x) ?? 0)).slice(0, 20);
  const aName = comparing ? cmp!.a.label : '';
  const bName = comparing ? cmp!.b.label : '';
  const heading = comparing
    ? el('h1', { id: 'profile-heading' }, `Comparison: A ${baseline!.model.name} → B ${p.model.name}`)
    : el('h1', { id: 'profile-heading' }, `${p.model.name} on ${p.device.label}`);
  const parts: Array<Node> = [
    heading,
    ...(comparing ? [el('div', { class: 'ab', id: 'ab-legend' }, el('div', {}, el('strong', {}, 'A '), aName), el('div', {}, el('strong', {}, 'B '), bName, el('span', { class: 'muted' }, ' — the details below are B\'s')))] : []),
    el('div', { class: 'muted' }, `${comparing ? 'B: ' : ''}${p.runtime.runner} · optimization ${p.runtime.optimization ?? 'n/a'} · ${p.settings.runs} runs after ${p.settings.warmup} warm-up${p.device.note ? ` · ${p.device.note}` : ''}`),
    ...(p.settings.inputs?.length ? [el('div', { class: 'muted', id: 'profile-inputs', title: (p.settings.inputs.flatMap((i) => i.notes ?? [])).join('\n') }, `measured at ${p.settings.inputs.map((i) => `${i.name} ${i.shape.length ? i.shape.join('×') : 'scalar'}${i.value !== undefined ? ` = ${Array.isArray(i.value) ? i.value.join(',') : i.value}` : ''}${i.source !== 'generated' && i.source !== 'value' ? ` (${i.source})` : ''}`).join(', ')}`)] : []),
    el('div', { class: 'stats', role: 'group', 'aria-label': comparing ? 'Latency of B (A beside it)' : 'Latency' },
      stat(`${tagB}p50`, `${fmt(l.p50)} ms`, 'stat-p50', aL ? `A ${fmt(aL.p50)} ms` : undefined),
      stat(`${tagB}p90`, `${fmt(l.p90)} ms`, undefined, aL ? `A ${fmt(aL.p90)} ms` : undefined),
      stat(`${tagB}p99`, `${fmt(l.p99)} ms`, undefined, aL ? `A ${fmt(aL.p99)} ms` : undefined),
      stat(`${tagB}mean ± std`, `${fmt(l.mean)} ± ${fmt(l.std)} ms`, undefined, aL ? `A ${fmt(aL.mean)} ± ${fmt(aL.std)} ms` : undefined),
      stat(`${tagB}kernels cover`, pct(p.kernelCoverage), 'stat-coverage'),
      ...(p.peakMemoryBytes ? [stat(`${tagB}allocator peak`, fmtBytes(p.peakMemoryBytes))] : []),
      ...(p.peakRssBytes ? [stat(`${tagB}peak RSS`, fmtBytes(p.peakRssBytes))] : [])),
    actions,
    ...p.warnings.map((w) => el('div', { class: 'warning', role: 'note' }, w)),
  ];
  if (p.source) parts.splice(2, 0, el('div', { class: 'muted', id: 'profile-source' }, `imported from ${p.source.file ?? 'a saved output'} (${p.source.format})`));
  if (p.delegation) {
    const d = p.delegation;
    parts.push(
      el('h2', {}, `${tagB}Delegation`),
      el('div', { id: 'delegation' },
        el('div', {}, d.summary),
        el('ul', {},
          ...d.delegated.map((x) => el('li', {}, `${x.label}: ${x.opType} ×${x.nodes} — ${ms(x.meanUs)} ms`)),
          ...d.cpu.map((x) => el('li', { class: 'warning' }, `CPU (fallback): ${x.opType} ×${x.nodes} — ${ms(x.meanUs)} ms`)))),
    );
  }
  if (cmp && baseline) parts.push(...comparisonView(cmp));
  parts.push(
    el('h2', {}, comparing ? 'Time by op type, A and B' : 'Time by op type'), el('div', { id: 'chart-wrap' }, canvas),
    el('h2', {}, `${tagB}Timeline of one run (run ${p.timeline.run}, ${ms(p.timeline.totalUs)} ms)`), timelineView(p, theme),
    el('h2', {}, `${tagB}Per node (${p.nodes.length})`),
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
  const datasets = comparing
    ? [
      { label: `A: ${aName} (ms)`, data: top.map((t) => (baseTypes.get(t) ?? 0) / 1000), backgroundColor: theme.palette[0] },
      { label: `B: ${bName} (ms)`, data: top.map((t) => (curTypes.get(t) ?? 0) / 1000), backgroundColor: theme.palette[1] },
    ]
    : [{ label: `${p.model.name} (ms)`, data: top.map((t) => (curTypes.get(t) ?? 0) / 1000), backgroundColor: theme.palette[0] }];
  canvas.setAttribute('aria-label', `Mean time per run by op type${comparing ? ', A and B' : ''}: ${top.slice(0, 5).map((t) => `${t} ${ms(curTypes.get(t) ?? 0)} ms`).join(', ')}`);
  // What the legend says (drawn on the canvas), for assistive tools and tests.
  canvas.dataset.legend = datasets.map((d) => d.label).join('\n');
  chart = new Chart(canvas, {
    type: 'bar',
    data: { labels: top, datasets },
    options: {
      indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false,
      scales: {
        x: { title: { display: true, text: 'ms per run (mean)', color: theme.foreground }, ticks: { color: theme.muted }, grid: { color: theme.grid }, border: { color: theme.axis } },
        y: { ticks: { color: theme.foreground }, grid: { color: theme.grid }, border: { color: theme.axis } },
      },
      plugins: { legend: { display: comparing, labels: { color: theme.foreground } } },
    },
  });
}

function speedText(speedup: number): string {
  if (!Number.isFinite(speedup)) return 'B\'s speed relative to A is not known.';
  if (speedup.toFixed(2) === '1.00') return 'B and A take the same time (within 0.5%).';
  return speedup > 1 ? `B is ${speedup.toFixed(2)}× faster than A.` : `B is ${(1 / speedup).toFixed(2)}× slower than A.`;
}

function comparisonView(c: ProfileComparison): Node[] {
  const delta = (d: Delta) => (d.deltaUs === null ? '—' : signedMs(d.deltaUs));
  const cols = [
    { title: 'Op / node', value: (d: Delta) => d.key },
    { title: 'A (ms)', value: (d: Delta) => d.aUs ?? -1, render: (d: Delta) => (d.aUs === null ? '—' : ms(d.aUs)), numeric: true },
    { title: 'B (ms)', value: (d: Delta) => d.bUs ?? -1, render: (d: Delta) => (d.bUs === null ? '—' : ms(d.bUs)), numeric: true },
    { title: 'B − A (ms)', value: (d: Delta) => d.deltaUs ?? 0, render: delta, numeric: true },
    { title: 'B / A', value: (d: Delta) => d.ratio ?? 0, render: (d: Delta) => (d.ratio === null ? '—' : `${d.ratio.toFixed(2)}×`), numeric: true },
  ];
  return [
    el('h2', {}, 'Comparison'),
    el('div', { id: 'comparison-summary' }, `A: ${c.a.label} — ${c.statistic ?? 'p50'} ${c.a.p50Ms.toFixed(3)} ms. B: ${c.b.label} — ${c.statistic ?? 'p50'} ${c.b.p50Ms.toFixed(3)} ms. ${speedText(c.speedup)}`),
    el('div', { class: 'columns' },
      el('div', {}, el('h2', {}, 'By op type'), el('div', { class: 'table-scroll' }, sortableTable(cols, c.byOpType, { id: 'compare-optype' }))),
      el('div', {}, el('h2', {}, `By node (${c.matchedNodes} matched by name)`), el('div', { class: 'table-scroll' }, sortableTable(cols, c.byNode, { id: 'compare-node' })))),
  ];
}

function timelineView(p: ProfileResult, initial: ChartTheme): HTMLElement {
  let theme = initial;
  const canvas = el('canvas', { id: 'timeline', tabindex: '0', role: 'img' });
  const tip = el('div', { id: 'timeline-tip', class: 'muted', 'aria-live': 'polite' }, 'Hover an op, or focus the timeline and use ← →, to see it.');
  const typeColor = new Map<string, string>();
  const colour = () => p.opTypes.forEach((t, i) => typeColor.set(t.opType, theme.palette[i % theme.palette.length]));
  colour();
  const seen = [...new Set(p.timeline.events.map((e) => e.opType))];
  const legend = el('div', { class: 'timeline-legend', id: 'timeline-legend', 'aria-label': 'Colours of the op types' },
    ...seen.map((t) => el('span', {}, el('span', { class: 'swatch', 'data-op': t, style: `background: ${typeColor.get(t) ?? theme.muted}` }), t)));
  const events = [...p.timeline.events].sort((a, b) => a.startUs - b.startUs);
  const total = Math.max(p.timeline.totalUs, ...events.map((e) => e.startUs + e.durUs), 1);
  const AXIS = 22;
  let focused = -1;
  canvas.setAttribute('aria-label', `Timeline of run ${p.timeline.run}: ${events.length} kernels over ${ms(total)} ms; time axis in ms`);
  const draw = () => {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    canvas.width = w * dpr;
    canvas.height = h * dpr;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.scale(dpr, dpr);
    const barH = h - AXIS - 8;
    events.forEach((e, i) => {
      ctx.fillStyle = i === focused ? theme.foreground : (typeColor.get(e.opType) ?? theme.muted);
      ctx.fillRect((e.startUs / total) * w, 4, Math.max(1, (e.durUs / total) * w), barH);
    });
    // The time axis: a line, ticks at 1/2/5 × 10^n ms, their labels.
    const y0 = h - AXIS;
    ctx.strokeStyle = theme.axis;
    ctx.fillStyle = theme.muted;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, y0 + 0.5);
    ctx.lineTo(w, y0 + 0.5);
    ctx.stroke();
    ctx.font = `${Math.max(10, theme.font.size - 2)}px ${theme.font.family}`;
    ctx.textBaseline = 'top';
    const totalMs = total / 1000;
    const step = niceStep(totalMs, Math.max(2, Math.floor(w / 90)));
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    const drawn: string[] = [];
    for (let t = 0; t <= totalMs + 1e-9; t += step) {
      const x = Math.round((t / totalMs) * (w - 1)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, y0);
      ctx.lineTo(x, y0 + 4);
      ctx.stroke();
      const label = `${t.toFixed(decimals)} ms`;
      const tw = ctx.measureText(label).width;
      ctx.fillText(label, Math.min(Math.max(0, x - tw / 2), w - tw), y0 + 6);
      drawn.push(label);
    }
    canvas.dataset.ticks = drawn.join(' ');
  };
  const say = (e: (typeof events)[number] | undefined) => {
    tip.textContent = e ? `${e.name} (${e.opType}): starts ${ms(e.startUs)} ms, takes ${ms(e.durUs)} ms` : '';
  };
  canvas.addEventListener('mousemove', (ev) => {
    const x = (ev.offsetX / canvas.clientWidth) * total;
    say(events.find((t) => x >= t.startUs && x <= t.startUs + Math.max(t.durUs, total / canvas.clientWidth)));
  });
  canvas.addEventListener('keydown', (ev) => {
    if (!events.length) return;
    if (ev.key === 'ArrowRight') focused = Math.min(events.length - 1, focused + 1);
    else if (ev.key === 'ArrowLeft') focused = Math.max(0, focused - 1);
    else if (ev.key === 'Home') focused = 0;
    else if (ev.key === 'End') focused = events.length - 1;
    else return;
    ev.preventDefault();
    say(events[focused]);
    draw();
  });
  requestAnimationFrame(draw);
  new ResizeObserver(draw).observe(canvas);
  redrawTimeline = (t) => {
    theme = t;
    colour();
    legend.querySelectorAll<HTMLElement>('.swatch').forEach((sw) => { sw.style.background = typeColor.get(sw.dataset.op ?? '') ?? theme.muted; });
    draw();
  };
  return el('figure', { class: 'timeline' }, canvas, el('figcaption', { class: 'muted', id: 'timeline-axis' }, `time from the start of run ${p.timeline.run} (ms); one colour per op type:`), legend, tip);
}
