import './style.css';
import { connect, el, fmtBytes, sortableTable } from '../shared/vscode';
import type { FromQuantizeWebview, ToQuantizeWebview } from './protocol';
import type { QuantizeReport } from '../../extension/core/quantize/quantize';

const vscode = connect<FromQuantizeWebview>();
const app = document.getElementById('app') as HTMLElement;

window.addEventListener('message', (e: MessageEvent<ToQuantizeWebview>) => {
  const m = e.data;
  if (m.type === 'progress') progress(m.title, m.message, m.fraction);
  else if (m.type === 'report') show(m.report);
  else if (m.type === 'error') app.replaceChildren(el('h1', {}, 'Quantization failed'), el('p', { class: 'error', id: 'quantize-error' }, m.message));
  else if (m.type === 'cancelled') app.replaceChildren(el('h1', {}, 'Quantization cancelled'), el('p', {}, m.message));
});
vscode.post({ type: 'ready' });

function progress(title: string, message: string, fraction?: number): void {
  if (!document.getElementById('progress-box')) {
    const cancel = el('button', { class: 'secondary', id: 'cancel' }, 'Cancel');
    cancel.addEventListener('click', () => { vscode.post({ type: 'cancel' }); cancel.setAttribute('disabled', ''); });
    app.replaceChildren(el('div', { id: 'progress-box' }, el('h1', { id: 'progress-title' }), el('progress', { id: 'progress-bar', max: '1' }), el('div', { id: 'progress-message', class: 'muted' }), el('div', { class: 'toolbar' }, cancel)));
  }
  (document.getElementById('progress-title') as HTMLElement).textContent = title;
  (document.getElementById('progress-message') as HTMLElement).textContent = message;
  const bar = document.getElementById('progress-bar') as HTMLProgressElement;
  if (fraction === undefined) bar.removeAttribute('value');
  else bar.value = fraction;
}

const pct = (v: number | undefined) => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);

function show(r: QuantizeReport): void {
  const stat = (label: string, value: string, id?: string) => el('div', { class: 'stat' }, el('span', { class: 'muted' }, label), el('strong', id ? { id } : {}, value));
  const actions = el('div', { class: 'toolbar' });
  for (const [label, type, id, cls] of [['Open Quantized Model', 'openModel', 'open-model', ''], ['Profile Both and Compare', 'compareProfiles', 'compare-profiles', 'secondary'], ['Save Report JSON', 'saveReport', 'save-report', 'secondary']] as const) {
    const b = el('button', { id, class: cls }, label);
    b.addEventListener('click', () => vscode.post({ type } as FromQuantizeWebview));
    actions.append(b);
  }
  const name = (f: string) => f.split(/[\\/]/).pop() ?? f;
  app.replaceChildren(
    el('h1', {}, `${name(r.input.file)} → ${name(r.output.file)}`),
    el('div', { class: 'muted' }, `${r.mode}${r.calibration ? ` · ${r.calibration.method} calibration on ${r.calibration.samples} sample(s) from ${r.calibration.source}` : ''} · ${r.quantized.nodes} nodes quantized in ${r.seconds.toFixed(1)} s`),
    el('div', { class: 'stats' },
      stat('size', `${fmtBytes(r.input.bytes)} → ${fmtBytes(r.output.bytes)}`, 'stat-size'),
      stat('host latency p50', `${r.latency.floatMs.p50.toFixed(3)} → ${r.latency.quantizedMs.p50.toFixed(3)} ms`),
      stat('speed-up', `${r.latency.speedup.toFixed(2)}×`, 'stat-speedup'),
      stat('worst SQNR', `${Math.min(...r.fidelity.outputs.map((o) => o.sqnrDb)).toFixed(1)} dB`, 'stat-sqnr')),
    actions,
    ...r.warnings.map((w) => el('div', { class: 'warning' }, `⚠ ${w}`)),
    el('h2', {}, `Fidelity against the float model (${r.fidelity.samples} held-out input${r.fidelity.samples === 1 ? '' : 's'})`),
    sortableTable([
      { title: 'Output', value: (o) => o.name },
      { title: 'Cosine', value: (o) => o.cosine, render: (o) => o.cosine.toFixed(5), numeric: true },
      { title: 'SQNR (dB)', value: (o) => o.sqnrDb, render: (o) => (Number.isFinite(o.sqnrDb) ? o.sqnrDb.toFixed(1) : '∞'), numeric: true },
      { title: 'Max |error|', value: (o) => o.maxAbsError, render: (o) => o.maxAbsError.toPrecision(3), numeric: true },
      { title: 'Top-1 agree', value: (o) => o.top1Agreement ?? -1, render: (o) => pct(o.top1Agreement), numeric: true },
      { title: 'Top-5 agree', value: (o) => o.top5Agreement ?? -1, render: (o) => pct(o.top5Agreement), numeric: true },
    ], r.fidelity.outputs, { id: 'fidelity-table' }),
    el('h2', {}, 'Per-layer sensitivity'),
    el('div', { class: 'muted' }, r.sensitivity.length ? 'Each layer quantized alone: the lowest SQNR hurts most. Exclude those first (--exclude NAME).' : 'Not measured (off, or more than 64 layers).'),
    el('div', { class: 'table-scroll' }, sortableTable([
      { title: 'Node', value: (s) => s.node },
      { title: 'Op type', value: (s) => s.opType },
      { title: 'SQNR alone (dB)', value: (s) => s.sqnrDb, render: (s) => (Number.isFinite(s.sqnrDb) ? s.sqnrDb.toFixed(1) : '∞'), numeric: true },
      { title: 'Cosine', value: (s) => s.cosine, render: (s) => s.cosine.toFixed(5), numeric: true },
    ], r.sensitivity, { id: 'sensitivity-table' })),
    el('h2', {}, 'Quantized'),
    el('div', {}, Object.entries(r.quantized.byOpType).map(([k, v]) => `${k} ${v}`).join(', ')),
    ...(r.quantized.skipped.length ? [el('div', { class: 'muted' }, `Kept in float: ${r.quantized.skipped.slice(0, 20).map((s) => `${s.node} (${s.reason})`).join('; ')}${r.quantized.skipped.length > 20 ? '…' : ''}`)] : []),
  );
}
