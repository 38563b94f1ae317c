import './style.css';
import type { Chart } from 'chart.js';
import { connect, el, fmtBytes } from '../shared/vscode';
import type { FromLlmWebview, RunSummary, ShapePoint, ToLlmWebview } from './protocol';
import type { LlmRunRecord, LlmStat } from '../../extension/core/llm/runRecord';
import { clipSeries, compareRuns, formatNumber, formatSigned, measuredOn, runTimeline, setupOf, type LlmComparison, type TimelinePoint } from '../../extension/core/llm/compare';
import { destroyChart, makeChart, paretoFront } from './charts';
import { badge, button as componentButton, checkbox, icon, tabs as tabStrip, textField, toolbar as toolbarRow, toolbarButton } from '../shared/components';
import '@vscode-elements/elements/dist/vscode-textarea/index.js'; // the shape space's editor (the shared layer has no text area)

const vscode = connect<FromLlmWebview>();
const app = document.getElementById('app') as HTMLElement;

let runs: RunSummary[] = [];
const checked = new Set<string>();
let current: LlmRunRecord | undefined;
let currentLive = false;
let compared: { runs: LlmRunRecord[]; baseline: number } | undefined;
let shapePoints: ShapePoint[] = [];
let selectedShape: string | undefined;
const chartsOf: Record<string, Chart | undefined> = {};
/** The shape explorer's starting space (declared before the layout that uses it: the bundle turns consts into vars). */
const DEFAULT_SPACE = JSON.stringify({ layers: [2, 4], hidden: [128, 256], heads: [4], kvHeads: [1, 4], ffnRatio: [4], activation: ['silu'], vocab: [2048], context: [256], weights: ['fp32'] }, null, 2);

// ---- Layout ----
const button = (id: string, label: string, onClick: () => void, cls = 'secondary', title?: string, codicon?: string) =>
  componentButton(label, onClick, { id, secondary: cls === 'secondary', title, icon: codicon });
const status = el('div', { id: 'status', role: 'status', 'aria-live': 'polite', class: 'muted' });
const cancel = button('cancel', 'Cancel', () => vscode.post({ type: 'cancel' }), 'secondary', undefined, 'stop-circle');
cancel.hidden = true;
const compareBtn = button('compare', 'Compare Selected', () => {
  const ids = runs.filter((r) => checked.has(r.id)).map((r) => r.id);
  if (ids.length >= 2) vscode.post({ type: 'compare', ids, baseline: 0 });
}, 'secondary', 'Compare the runs ticked in the list (2 or more); the first is the baseline', 'git-compare');
const exportCsv = button('export-csv', 'Export CSV…', () => exportSelected('csv'), 'secondary', 'Save the ticked runs (or the open one) as CSV', 'export');
const exportJson = button('export-json', 'Export JSON…', () => exportSelected('json'), 'secondary', 'Save the ticked runs (or the open one) as JSON', 'json');
const quantizeBtn = button('quantize', 'Quantize to int4 and Compare', () => current?.id && vscode.post({ type: 'quantize', id: current.id }), 'secondary',
  'Quantize this run\'s ONNX decoder to int4 (MatMulNBits) and benchmark both the same way', 'zap');
const toolbar = toolbarRow('LLM runs',
  button('bench', 'Benchmark LLM on Phone…', () => vscode.post({ type: 'bench' }), '', undefined, 'play'),
  button('import', 'Import Benchmark Output…', () => vscode.post({ type: 'import' }), 'secondary', 'Read a saved llama-bench, LiteRT-LM or genai benchmark output', 'cloud-download'),
  toolbarButton('refresh', 'Refresh the list of runs', () => vscode.post({ type: 'refresh' }), { id: 'refresh' }),
  compareBtn, exportCsv, exportJson, quantizeBtn, cancel);

const tabNames = ['runs', 'compare', 'shapes'] as const;
type Tab = typeof tabNames[number];
const tabLabels: Record<Tab, string> = { runs: 'Runs', compare: 'Compare', shapes: 'Shape Explorer' };
const panes = Object.fromEntries(tabNames.map((t) => [t, el('div', { id: `pane-${t}` })])) as unknown as Record<Tab, HTMLElement>;
// The editor's tabs (role tablist/tab/tabpanel; ← → Home End move between them).
const tabBar = tabStrip(tabNames.map((t) => ({ title: tabLabels[t], panel: panes[t] })), { label: 'Views', onSelect: (i) => { document.body.dataset.tab = tabNames[i]; } });
tabBar.id = 'tabs';
tabBar.panel = false; // the editor's tab look (panel mode paints the bottom panel's background behind the tables)
const runList = el('div', { id: 'run-list' });
const detail = el('div', { id: 'run-detail' }, el('p', { class: 'muted' }, 'Choose a run.'));
panes.runs.append(el('div', { id: 'runs-layout' }, runList, detail));
panes.compare.append(el('p', { class: 'muted' }, 'Tick two or more runs in the list and choose Compare Selected.'));
app.replaceChildren(el('h1', {}, 'LLM Runs'), toolbar, status, tabBar);
buildShapesPane();
showTab('runs');
updateButtons();

function showTab(t: Tab): void {
  tabBar.selectedIndex = tabNames.indexOf(t);
  document.body.dataset.tab = t;
}

/** A run's status as a badge (failed and cancelled ones marked as errors). */
function statusBadge(s: string, text = s, id?: string): HTMLElement {
  const b = badge(text);
  b.classList.add('status-badge', s);
  if (id) b.id = id;
  return b;
}

function updateButtons(): void {
  const n = checked.size;
  compareBtn.disabled = n < 2;
  compareBtn.textContent = n >= 2 ? `Compare Selected (${n})` : 'Compare Selected';
  for (const b of [compareBtn, exportCsv, exportJson, quantizeBtn]) b.setAttribute('aria-disabled', String(b.disabled));
  exportCsv.disabled = exportJson.disabled = n < 1 && !current?.id;
  quantizeBtn.disabled = !current?.id || current.runner !== 'mobileai-onnx' || !current.model.file || /int4/i.test(current.model.name);
}

function exportSelected(format: 'csv' | 'json'): void {
  const ids = checked.size ? runs.filter((r) => checked.has(r.id)).map((r) => r.id) : current?.id ? [current.id] : [];
  if (!ids.length) return;
  const isCompare = document.body.dataset.tab === 'compare' && !!compared && format === 'csv';
  const cmpIds = isCompare && compared ? compared.runs.map((r) => r.id ?? '') : ids;
  vscode.post({ type: 'export', ids: cmpIds, format, compare: isCompare && cmpIds.length >= 2 });
}

// ---- Formatting ----
const num = (v: number | undefined, d = 2) => formatNumber(v, d);
const stat = (s: LlmStat | undefined, unit: string, d = 2) => (s ? `${num(s.mean, d)}${s.stddev !== undefined ? ` ± ${num(s.stddev, d)}` : ''} ${unit}` : '—');
const card = (id: string, label: string, value: string, sub?: string) => el('div', { class: 'stat', id }, el('span', { class: 'muted' }, label), el('strong', {}, value), ...(sub ? [el('span', { class: 'muted sub' }, sub)] : []));

// ---- Run list ----
function renderRuns(): void {
  if (!runs.length) {
    runList.replaceChildren(el('p', { class: 'muted', id: 'no-runs' }, 'No runs yet: Benchmark LLM on Phone… or Import Benchmark Output….'));
    return;
  }
  for (const id of [...checked]) if (!runs.some((r) => r.id === id)) checked.delete(id);
  const rows = runs.map((r) => {
    const box = checkbox('', checked.has(r.id), (on) => {
      if (on) checked.add(r.id);
      else checked.delete(r.id);
      updateButtons();
    });
    box.setAttribute('aria-label', `select ${r.model} (${r.id}) for comparison or export`);
    box.title = 'Tick to compare or export';
    const open = el('button', { class: 'link', type: 'button', 'data-id': r.id }, r.model);
    open.addEventListener('click', () => vscode.post({ type: 'select', id: r.id }));
    const rates = [r.prefillTps !== undefined ? `pp ${num(r.prefillTps, 1)}` : '', r.decodeTps !== undefined ? `tg ${num(r.decodeTps, 1)} tok/s` : ''].filter(Boolean).join(' · ');
    return el('li', { class: `run ${current?.id === r.id ? 'current' : ''}`, 'data-id': r.id },
      box, el('div', {}, open, r.status && r.status !== 'complete' ? statusBadge(r.status) : '',
        el('div', { class: 'muted small' }, `${r.measuredOn} · ${r.setup}`), el('div', { class: 'muted small' }, `${rates}${rates ? ' · ' : ''}${r.source}${r.when ? ` · ${r.when.replace('T', ' ').slice(0, 19)}` : ''}`)));
  });
  runList.replaceChildren(el('ul', { id: 'runs', 'aria-label': 'LLM runs' }, ...rows));
  document.body.dataset.runs = String(runs.length);
}

// ---- One run ----
function renderRun(r: LlmRunRecord): void {
  const stats = el('div', { class: 'stats', id: 'run-stats' },
    card('stat-prefill', 'prefill', stat(r.prefill, 'tok/s'), r.promptTokens !== undefined ? `P = ${r.promptTokens} prompt tokens` : undefined),
    card('stat-decode', 'decode', stat(r.decode, 'tok/s'), r.genTokens !== undefined ? `D = ${r.genTokens} generated tokens` : undefined),
    card('stat-ttft', 'time to first token', stat(r.timeToFirstTokenMs, 'ms')),
    card('stat-latency', 'decode latency', stat(r.decodeLatencyMs, 'ms/token', 3)),
    card('stat-energy', 'energy per token', r.energy?.joulesPerDecodeToken !== undefined ? `${num(r.energy.joulesPerDecodeToken * 1000, 2)} mJ` : '—',
      r.energy ? `decode; avg ${num(r.energy.avgPowerW, 2)} W${r.energy.idlePowerW !== undefined ? `, idle ${num(r.energy.idlePowerW, 2)} W` : ''} (${r.energy.method === 'gauge' ? 'battery gauge' : 'virtual phone power model'})` : 'no power samples'),
    card('stat-memory', 'peak memory', r.processPeakBytes !== undefined ? fmtBytes(r.processPeakBytes) : r.peakMemoryBytes !== undefined ? fmtBytes(r.peakMemoryBytes) : '—',
      [r.processPeakBytes !== undefined && 'VmHWM of the runner', r.peakMemoryBytes !== undefined && `runner reports ${fmtBytes(r.peakMemoryBytes)}`].filter(Boolean).join('; ') || undefined),
    card('stat-load', 'model load', r.modelLoadMs !== undefined ? `${num(r.modelLoadMs, 1)} ms` : '—', r.model.sizeBytes !== undefined ? `model ${fmtBytes(r.model.sizeBytes)}` : undefined),
    card('stat-thermal', 'thermal', r.thermal ? `${r.thermal.maxTempC !== undefined ? `max ${num(r.thermal.maxTempC, 1)} °C` : ''}${r.thermal.maxStatus !== undefined ? ` · status ≤ ${r.thermal.maxStatus}` : ''}` || '—' : '—',
      r.thermal ? (r.thermal.throttled ? 'throttling seen' : 'no throttling seen') : undefined),
  );
  const on = el('div', { class: 'kv', id: 'measured-on' },
    el('span', { class: 'muted' }, 'measured on'), el('span', { id: 'measured-on-device' }, measuredOn(r)),
    el('span', { class: 'muted' }, 'set-up'), el('span', { id: 'run-setup' }, setupOf(r) || '—'),
    el('span', { class: 'muted' }, 'source'), el('span', {}, `${r.source.format === 'measured' ? 'measured by Mobile AI' : `imported ${r.source.format}${r.source.variant ? ` (${r.source.variant})` : ''}`}${r.source.file ? ` · ${r.source.file}` : ''}${r.source.build ? ` · build ${r.source.build}` : ''}${r.source.measuredAt ? ` · ${r.source.measuredAt}` : ''}`),
    ...(r.sampling ? [el('span', { class: 'muted' }, 'sampling'), el('span', {}, `${r.sampling.samples.length} samples at ${num(r.sampling.achievedHz, 1)} Hz (target ${r.sampling.targetHz} Hz)${r.sampling.charging ? `; USB charging${r.sampling.unplugged ? ' (unplugged for the run with dumpsys battery unplug)' : ' — the gauge is distorted'}` : ''}`)] : []),
  );
  const ratesCanvas = el('canvas', { id: 'rates-chart', role: 'img', 'aria-label': `Prefill ${stat(r.prefill, 'tokens per second')} and decode ${stat(r.decode, 'tokens per second')}; whiskers show one standard deviation.` });
  const timelineCanvas = el('canvas', { id: 'timeline-chart', role: 'img', 'aria-label': 'Per-token decode latency over the run, with temperature and power under it on the same time axis.' });
  const notes = r.notes.length || r.error ? el('ul', { id: 'run-notes' }, ...(r.error ? [el('li', { class: 'error' }, r.error)] : []), ...r.notes.map((n) => el('li', { class: 'muted' }, n))) : el('span');
  detail.replaceChildren(
    el('h2', { id: 'run-title' }, `${r.model.name}`, r.status && r.status !== 'complete' ? statusBadge(r.status, currentLive ? 'running…' : r.status, 'run-status') : ''),
    on, stats,
    el('div', { class: 'charts' },
      el('figure', {}, el('figcaption', {}, 'Rates (tok/s, ± 1 sd)'), el('div', { class: 'chart-wrap small-chart' }, ratesCanvas)),
      el('figure', { class: 'wide' }, el('figcaption', { id: 'timeline-caption' }, 'Decode latency, temperature and power'), el('div', { class: 'chart-wrap tall-chart' }, timelineCanvas))),
    notes,
  );
  destroyChart(chartsOf.rates);
  chartsOf.rates = makeChart(ratesCanvas, {
    type: 'bar',
    data: { labels: ['prefill', 'decode'], datasets: [{ label: 'tok/s', data: [r.prefill?.mean ?? null, r.decode?.mean ?? null] as number[], colorIndex: [0, 1], errorBars: [r.prefill?.stddev, r.decode?.stddev] } as never] },
    options: { plugins: { legend: { display: false } }, scales: { x: {}, y: { beginAtZero: true, title: { display: true, text: 'tok/s' } } } },
  }) as unknown as Chart;
  drawTimeline(r, timelineCanvas);
  document.body.dataset.run = r.id ?? '';
  document.body.dataset.timelinePoints = String(runTimeline(r).decodeLatency.length);
}

function drawTimeline(r: LlmRunRecord, canvas: HTMLCanvasElement): void {
  const tl = runTimeline(r);
  const cap = document.getElementById('timeline-caption');
  if (cap) cap.textContent = tl.axis === 'samples'
    ? `Decode latency per token, ${tl.temperatureZone ? `${tl.temperatureZone} temperature` : 'temperature'} and power on the run's time axis (ms since sampling started)`
    : tl.decodeLatency.length ? 'Decode latency per token (no phone samples for this run: decode time only)' : 'No per-token timeline in this run';
  destroyChart(chartsOf.timeline);
  // Zoom to the measured phases (load, prefill, decode, cool-downs between them); idle sampling before is off-screen.
  const measured = tl.phases.filter((p) => p.name !== 'idle');
  const lo = measured.length ? Math.min(...measured.map((p) => p.startMs)) : undefined;
  const hi = measured.length ? Math.max(...measured.map((p) => p.endMs), ...tl.decodeLatency.map((p) => p.t)) : undefined;
  const pad = lo !== undefined && hi !== undefined ? Math.max(50, (hi - lo) * 0.05) : 0;
  const xMin = lo !== undefined ? Math.max(0, Math.floor(lo - pad)) : undefined;
  const xMax = hi !== undefined ? Math.ceil(hi + pad) : undefined;
  const under = (pts: TimelinePoint[]) => (xMin !== undefined && xMax !== undefined ? clipSeries(pts, xMin, xMax) : pts);
  const xy = (pts: Array<{ t: number; v: number }>) => pts.map((p) => ({ x: p.t, y: p.v }));
  const datasets = [
    { label: 'decode latency (ms/token)', data: xy(tl.decodeLatency), yAxisID: 'y', colorIndex: 0, pointRadius: 2, showLine: false },
    ...(tl.temperature.length ? [{ label: `temperature (°C${tl.temperatureZone ? `, ${tl.temperatureZone}` : ''})`, data: xy(under(tl.temperature)), yAxisID: 'yTemp', colorIndex: 1, pointRadius: 0, showLine: true, borderWidth: 1.5 }] : []),
    ...(tl.powerW.length ? [{ label: 'power (W)', data: xy(under(tl.powerW)), yAxisID: 'yPower', colorIndex: 2, pointRadius: 0, showLine: true, borderWidth: 1.5, borderDash: [4, 3] }] : []),
  ];
  const hasUnder = tl.temperature.length > 0 || tl.powerW.length > 0;
  chartsOf.timeline = makeChart(canvas, {
    type: 'scatter',
    data: { datasets: datasets as never },
    options: {
      scales: {
        x: { type: 'linear', ...(xMin !== undefined && xMax !== undefined ? { min: xMin, max: xMax } : {}), title: { display: true, text: tl.axis === 'samples' ? 'time (ms since sampling started)' : 'decode time (ms)' } },
        y: { type: 'linear', stack: 'run', stackWeight: 3, offset: true, title: { display: true, text: 'ms/token' } },
        ...(tl.temperature.length ? { yTemp: { type: 'linear', stack: 'run', stackWeight: 1, offset: true, title: { display: true, text: '°C' } } } : {}),
        ...(tl.powerW.length ? { yPower: { type: 'linear', stack: 'run', stackWeight: 1, offset: true, title: { display: true, text: 'W' } } } : {}),
      },
      plugins: { legend: { display: hasUnder } },
    },
  }) as unknown as Chart;
}

// ---- Compare ----
function renderCompare(list: LlmRunRecord[], baseline: number, title?: string): void {
  compared = { runs: list, baseline };
  let c: LlmComparison;
  try {
    c = compareRuns(list, { baseline });
  } catch (err) {
    panes.compare.replaceChildren(el('p', { class: 'error' }, (err as Error).message));
    return;
  }
  const head = el('tr', {}, el('th', { scope: 'col' }, 'metric'), ...c.runs.map((r, i) => {
    const th = el('th', { scope: 'col', title: `${r.measuredOn} · ${r.setup}` }, `${r.label}${i === c.baseline ? ' (baseline)' : ''}`);
    if (i !== c.baseline) {
      th.append(el('br'), toolbarButton('pin', `Make ${r.label} the baseline`, () => renderCompare(list, i, title)));
    }
    return th;
  }));
  const body = c.rows.map((row) => el('tr', { 'data-metric': row.key },
    el('th', { scope: 'row' }, `${row.label} (${row.unit})`),
    ...row.values.map((v, i) => {
      const d = row.deltas[i];
      const p = row.deltaPercents[i];
      const sd = row.stddevs[i];
      const cell = el('td', { class: 'num' }, `${num(v, row.digits)}${sd !== undefined && v !== undefined ? ` ± ${num(sd, row.digits)}` : ''}`);
      if (d !== undefined) cell.append(el('span', { class: `delta ${row.verdicts[i] ?? ''}`, 'aria-label': `${row.verdicts[i] ?? ''} than the baseline` }, ` ${formatSigned(d, row.digits)}${p !== undefined ? ` (${formatSigned(p, 1, { suffix: '%' })})` : ''}`));
      return cell;
    })));
  const table = el('table', { class: 'grid', id: 'compare-table' }, el('caption', { class: 'muted' }, `Deltas against ${c.runs[c.baseline].label}; green is better, red is worse.`), el('thead', {}, head), el('tbody', {}, ...body));
  const canvas = el('canvas', { id: 'compare-chart', role: 'img', 'aria-label': `Prefill and decode rates of ${c.runs.length} runs with one standard deviation.` });
  const exp = button('export-compare', 'Export Comparison CSV…', () => vscode.post({ type: 'export', ids: list.map((r) => r.id ?? ''), format: 'csv', compare: true }), 'secondary', undefined, 'export');
  panes.compare.replaceChildren(
    el('h2', {}, title ?? `Comparing ${c.runs.length} runs`),
    toolbarRow('Comparison', exp),
    ...(c.differences.length ? [el('ul', { id: 'compare-differences' }, ...c.differences.map((d) => el('li', {}, `differs in ${d}`)))] : [el('p', { class: 'muted' }, 'The runs\' set-ups are the same.')]),
    ...c.caveats.map((w) => el('p', { class: 'warning', role: 'note' }, icon('warning', 'Warning'), ` ${w}`)),
    el('div', { class: 'table-wrap' }, table),
    el('div', { class: 'chart-wrap compare-chart' }, canvas),
  );
  destroyChart(chartsOf.compare);
  const prefill = c.rows.find((r) => r.key === 'prefill_tps');
  const decode = c.rows.find((r) => r.key === 'decode_tps');
  chartsOf.compare = makeChart(canvas, {
    type: 'bar',
    data: {
      labels: c.runs.map((r) => r.label),
      datasets: [
        ...(prefill ? [{ label: 'prefill tok/s', data: prefill.values.map((v) => v ?? null), colorIndex: 0, errorBars: prefill.stddevs }] : []),
        ...(decode ? [{ label: 'decode tok/s', data: decode.values.map((v) => v ?? null), colorIndex: 1, errorBars: decode.stddevs }] : []),
      ] as never,
    },
    options: { scales: { x: {}, y: { beginAtZero: true, title: { display: true, text: 'tok/s' } } } },
  }) as unknown as Chart;
  document.body.dataset.compared = String(c.runs.length);
  showTab('compare');
}

// ---- Shape explorer ----

function buildShapesPane(): void {
  const space = el('vscode-textarea', { id: 'shape-space', rows: '10', resize: 'vertical', monospace: '' });
  space.label = 'Shape space (JSON): a list of choices per field';
  space.value = DEFAULT_SPACE;
  const target = textField({ label: 'Where to time the shapes: host, or a phone\'s adb serial', value: 'host', id: 'shape-target' });
  const p = textField({ label: 'Prompt tokens P', value: '32', type: 'number', id: 'shape-p' });
  const d = textField({ label: 'Decode tokens D', value: '16', type: 'number', id: 'shape-d' });
  for (const f of [p, d]) { f.min = 1; f.max = 4096; }
  const run = button('explore', 'Explore Shapes', () => vscode.post({ type: 'explore', space: space.value, target: target.value.trim() || 'host', promptTokens: Number(p.value), genTokens: Number(d.value) }), '', undefined, 'play');
  panes.shapes.append(
    el('p', { class: 'muted' }, 'Decoder shapes built with random weights and timed on the target: parameters against decode speed and time to first token, with the Pareto front. Results are cached per device and shape.'),
    el('label', { for: 'shape-space', class: 'field-label' }, 'Space (JSON)'), space,
    toolbarRow('Shape exploration', el('label', { for: 'shape-target' }, 'target'), target, el('label', { for: 'shape-p' }, 'P'), p, el('label', { for: 'shape-d' }, 'D'), d, run),
    el('div', { id: 'shape-summary', class: 'muted', role: 'status', 'aria-live': 'polite' }),
    el('div', { class: 'charts' },
      el('figure', {}, el('figcaption', {}, 'parameters vs decode tok/s'), el('div', { class: 'chart-wrap' }, el('canvas', { id: 'shapes-decode', role: 'img', 'aria-label': 'Scatter of parameters against decode tokens per second, with the Pareto front' }))),
      el('figure', {}, el('figcaption', {}, 'parameters vs time to first token'), el('div', { class: 'chart-wrap' }, el('canvas', { id: 'shapes-ttft', role: 'img', 'aria-label': 'Scatter of parameters against time to first token, with the Pareto front' })))),
    el('div', { id: 'shape-detail' }),
  );
}

function renderShapes(points: ShapePoint[], done: boolean, targetLabel: string, measured: number, cached: number): void {
  shapePoints = points;
  const summary = document.getElementById('shape-summary');
  if (summary) summary.textContent = !points.length && !targetLabel ? 'Set the space, the target (host or a serial) and P/D, then Explore Shapes.'
    : `${points.length} shape${points.length === 1 ? '' : 's'} on ${targetLabel}: ${measured} measured, ${cached} from the cache${done ? '' : ' — running…'}`;
  const plot = (id: string, y: (p: ShapePoint) => number, maximise: boolean, label: string) => {
    const canvas = document.getElementById(id) as HTMLCanvasElement;
    const front = paretoFront(points, (q) => q.params, (q) => (maximise ? y(q) : -y(q)));
    const xy = (q: ShapePoint) => ({ x: q.params / 1e6, y: y(q), id: q.id });
    const existing = chartsOf[id];
    if (existing) {
      existing.data.datasets[0].data = points.map(xy) as never;
      existing.data.datasets[1].data = front.map(xy) as never;
      existing.update('none');
      return;
    }
    chartsOf[id] = makeChart(canvas, {
      type: 'scatter',
      data: { datasets: [
        { label: 'shapes', data: points.map(xy), colorIndex: 0, pointRadius: 4, pointHoverRadius: 6 },
        { label: 'Pareto front', data: front.map(xy), colorIndex: 1, showLine: true, pointRadius: 4, pointHoverRadius: 6, borderWidth: 2 },
      ] as never },
      options: {
        scales: { x: { type: 'linear', title: { display: true, text: 'parameters (M)' } }, y: { title: { display: true, text: label } } },
        onClick: (_e, els) => {
          const hit = els[0];
          const c = chartsOf[id];
          if (!hit || !c) return;
          const raw = c.data.datasets[hit.datasetIndex].data[hit.index] as unknown as { id: string };
          showShape(raw.id);
        },
      },
    }) as unknown as Chart;
  };
  plot('shapes-decode', (q) => q.decodeTps, true, 'decode tok/s');
  plot('shapes-ttft', (q) => q.ttftMs, false, 'time to first token (ms)');
  // A keyboard-reachable list of the shapes, too.
  const list = el('table', { class: 'grid', id: 'shape-table' }, el('thead', {}, el('tr', {}, ...['shape', 'params', 'decode tok/s', 'TTFT ms', ''].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...[...points].sort((a, b) => a.params - b.params).map((q) => {
      const b = button(`shape-${q.id}`, 'Details', () => showShape(q.id), 'secondary', `Details of ${q.label}`, 'info');
      return el('tr', {}, el('td', {}, q.label), el('td', { class: 'num' }, `${num(q.params / 1e6, 2)} M`), el('td', { class: 'num' }, num(q.decodeTps, 1)), el('td', { class: 'num' }, num(q.ttftMs, 1)), el('td', {}, b));
    })));
  document.getElementById('shape-table')?.remove();
  panes.shapes.append(list);
  if (selectedShape) showShape(selectedShape);
}

function showShape(id: string): void {
  selectedShape = id;
  const q = shapePoints.find((x) => x.id === id);
  const box = document.getElementById('shape-detail');
  if (!q || !box) return;
  box.replaceChildren(el('h2', {}, q.label),
    el('p', {}, `${num(q.params / 1e6, 2)} M parameters${q.sizeBytes !== undefined ? ` · ${fmtBytes(q.sizeBytes)}` : ''} · decode ${num(q.decodeTps, 1)} tok/s · TTFT ${num(q.ttftMs, 1)} ms${q.prefillTps !== undefined ? ` · prefill ${num(q.prefillTps, 1)} tok/s` : ''}${q.cached ? ' (cached)' : ''}`),
    toolbarRow('Shape', button('export-shape', 'Export Config JSON…', () => vscode.post({ type: 'exportShape', id }), '', 'Save this shape as a Hugging Face config.json', 'json')));
}

// ---- Messages ----
window.addEventListener('message', (e: MessageEvent<ToLlmWebview>) => {
  const m = e.data;
  if (m.type === 'runs') {
    runs = m.runs;
    renderRuns();
    updateButtons();
  } else if (m.type === 'run') {
    current = m.run;
    currentLive = m.live;
    renderRun(m.run);
    renderRuns();
    updateButtons();
    showTab('runs');
  } else if (m.type === 'live') {
    if (!current || current.id !== m.id) return;
    current.sampling ??= { targetHz: 0, achievedHz: 0, samples: [], sources: [] };
    current.sampling.samples.push(...m.samples);
    if (m.decodeTimelineMs) current.decodeTimelineMs = m.decodeTimelineMs;
    if (m.message) status.textContent = m.message;
    const canvas = document.getElementById('timeline-chart') as HTMLCanvasElement | null;
    if (canvas) drawTimeline(current, canvas);
    document.body.dataset.liveSamples = String(current.sampling.samples.length);
  } else if (m.type === 'compare') {
    renderCompare(m.runs, m.baseline, m.title);
  } else if (m.type === 'busy') {
    status.textContent = m.message;
    status.classList.remove('error');
    cancel.hidden = !m.cancellable;
    document.body.dataset.busy = 'true';
  } else if (m.type === 'idle') {
    status.textContent = m.message ?? '';
    cancel.hidden = true;
    document.body.dataset.busy = 'false';
  } else if (m.type === 'shapes') {
    showTab('shapes');
    renderShapes(m.points, m.done, m.target, m.measured, m.cached);
  } else if (m.type === 'error') {
    status.textContent = m.message;
    status.classList.add('error');
    cancel.hidden = true;
    document.body.dataset.busy = 'false';
  }
});

vscode.post({ type: 'ready' });
