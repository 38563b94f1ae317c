import './style.css';
import { connect, el, fmtBytes, sortableTable } from '../shared/vscode';
import { button, icon, progressBar, toolbar } from '../shared/components';
import type { FromQuantizeWebview, ToQuantizeWebview } from './protocol';
import { warningView, withoutFlags } from './advice';
import { agreementText, agreementValue, cosineText, rangeLine, signalText } from './fidelityView';
import type { QuantizeReport } from '../../extension/core/quantize/quantize';

const vscode = connect<FromQuantizeWebview>();
const app = document.getElementById('app') as HTMLElement;

window.addEventListener('message', (e: MessageEvent<ToQuantizeWebview>) => {
  const m = e.data;
  if (m.type === 'progress') progress(m.title, m.message, m.fraction);
  else if (m.type === 'report') show(m.report, m.source);
  else if (m.type === 'error') app.replaceChildren(el('h1', {}, 'Quantization failed'), el('p', { class: 'error', id: 'quantize-error', role: 'alert' }, withoutFlags(m.message)), againRow());
  else if (m.type === 'cancelled') app.replaceChildren(el('h1', {}, 'Quantization cancelled'), el('p', { role: 'status' }, m.message), againRow());
});
vscode.post({ type: 'ready' });

/** After a failure or a cancel: quantize again, choosing the settings. */
function againRow(): HTMLElement {
  return toolbar('Quantize', button('Quantize with Other Settings…', () => vscode.post({ type: 'chooseSettings' }), { icon: 'settings-gear', secondary: true, id: 'choose-settings' }));
}

function progress(title: string, message: string, fraction?: number): void {
  if (!document.getElementById('progress-box')) {
    const cancel = button('Cancel', () => { vscode.post({ type: 'cancel' }); cancel.disabled = true; }, { secondary: true, icon: 'stop-circle', id: 'cancel' });
    app.replaceChildren(el('div', { id: 'progress-box', role: 'status', 'aria-live': 'polite' }, el('h1', { id: 'progress-title' }), el('div', { id: 'progress-slot' }), el('div', { id: 'progress-message', class: 'muted' }), toolbar('Quantizing', cancel)));
  }
  (document.getElementById('progress-title') as HTMLElement).textContent = title;
  (document.getElementById('progress-message') as HTMLElement).textContent = message;
  const bar = progressBar(title, fraction);
  bar.id = 'progress-bar';
  (document.getElementById('progress-slot') as HTMLElement).replaceChildren(bar);
}

const pct = (v: number | undefined) => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
/** NaN and ±Infinity arrive as null from a saved JSON report. */
const num = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? -Infinity : v);
const fmtCos = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(4));

/** The fidelity target: a red banner when missed (with a re-quantize button), what was kept in float and why. */
function accuracySection(r: QuantizeReport): HTMLElement[] {
  const a = r.accuracy;
  if (!a) return [];
  const target = `cosine ≥ ${a.target.cosine}, top-1 agreement ≥ ${(a.target.top1 * 100).toFixed(0)}% on held-out inputs`;
  const out: HTMLElement[] = [];
  if (!a.met) {
    const banner = el('div', { class: 'banner', id: 'accuracy-banner', role: 'alert' },
      el('strong', {}, icon('error'), ' Accuracy target missed: this quantized model is not fit to ship'),
      el('div', {}, `Target: ${target}.`),
      el('ul', {}, ...a.failures.map((f) => el('li', {}, withoutFlags(f)))),
      el('div', {}, a.searched
        ? (a.keptInFloat.length ? `Even with ${a.keptInFloat.length} layer(s) kept in float (${a.tried} models tried).` : `No layer kept in float brought it closer (${a.tried} models tried).`)
        : 'The search that keeps sensitive layers in float was off.'));
    // Layers worth keeping in float next: the most sensitive ones not already in float.
    const already = new Set([...a.keptInFloat.map((k) => k.node), ...r.quantized.skipped.map((s) => s.node)]);
    const next = r.sensitivity.filter((s) => !already.has(s.node)).slice(0, 3);
    if (next.length) {
      const bar = toolbar('Re-quantize keeping a layer in float');
      for (const s of next) {
        const b = button(`Re-quantize keeping ${s.node} in float`, () => { vscode.post({ type: 'requantize', keep: [...a.keptInFloat.map((k) => k.node), s.node] }); b.disabled = true; }, {
          secondary: true, icon: 'debug-rerun',
          title: `${s.opType}; quantized alone: cosine ${fmtCos(s.cosine)}, SQNR ${Number.isFinite(s.sqnrDb) ? s.sqnrDb.toFixed(1) : '—'} dB. Writes a new file.`,
        });
        b.dataset.keep = s.node;
        bar.append(b);
      }
      banner.append(bar);
    }
    out.push(banner);
  } else {
    out.push(el('div', { class: 'met', id: 'accuracy-status', role: 'status' }, icon('pass'), ` Accuracy target met (${target}): worst cosine ${fmtCos(a.final.cosine)}${a.final.top1 !== undefined ? `, top-1 ${pct(a.final.top1)}` : ''}${a.keptInFloat.length ? `, with ${a.keptInFloat.length} layer(s) kept in float` : ''}.`));
  }
  if (a.keptInFloat.length) {
    out.push(el('h2', {}, 'Kept in float to meet the target'), sortableTable([
      { title: 'Node', value: (k) => k.node },
      { title: 'Op type', value: (k) => k.opType },
      { title: 'Cosine before → after', value: (k) => num(k.after.cosine), render: (k) => `${fmtCos(k.before.cosine)} → ${fmtCos(k.after.cosine)}` },
      { title: 'Top-1 before → after', value: (k) => k.after.top1 ?? -1, render: (k) => (k.after.top1 === undefined ? '—' : `${pct(k.before.top1)} → ${pct(k.after.top1)}`) },
      { title: 'Why', value: (k) => k.reason },
    ], a.keptInFloat, { id: 'kept-table' }));
  }
  const pre = r.preprocessing;
  if (pre?.cle) out.push(el('div', { class: 'muted', id: 'cle-info' }, `Cross-layer equalization: ${pre.cle.pairs.length} layer pairs rescaled, ${pre.cle.foldedBatchNorms} BatchNorm folded; channel-range imbalance ${pre.cle.imbalanceBefore.toFixed(2)} → ${pre.cle.imbalanceAfter.toFixed(2)}.`));
  if (pre?.biasCorrection) out.push(el('div', { class: 'muted', id: 'bias-info' }, `Bias correction: ${pre.biasCorrection.layers} layers (${pre.biasCorrection.empirical} from ${pre.biasCorrection.samples} calibration samples, ${pre.biasCorrection.analytical} from BatchNorm statistics); largest shift removed ${pre.biasCorrection.maxShift.toPrecision(3)}.`));
  return out;
}

/** Where the settings came from (e.g. the manifest's recipe), with a way to choose otherwise. */
function sourceRow(source: string): HTMLElement {
  const b = button('Quantize with Other Settings…', () => vscode.post({ type: 'chooseSettings' }), { secondary: true, icon: 'settings-gear', id: 'choose-settings' });
  return el('div', { class: 'source toolbar', id: 'settings-source' }, el('span', {}, `Settings: ${source}.`), b);
}

function warningRow(w: string): HTMLElement {
  const v = warningView(w);
  const row = el('div', { class: 'warning', role: 'note' }, icon('warning', 'Warning'), el('span', {}, v.text));
  if (v.action) {
    const message = v.action.message;
    const b = button(v.action.label, () => { vscode.post(message); b.disabled = true; }, { secondary: true, icon: 'debug-rerun' });
    b.dataset.action = message.type;
    row.append(b);
  }
  return row;
}

function show(r: QuantizeReport, source?: string): void {
  const stat = (label: string, value: string, id?: string) => el('div', { class: 'stat' }, el('span', { class: 'muted' }, label), el('strong', id ? { id } : {}, value));
  const actions = toolbar('Report actions',
    button('Open Quantized Model', () => vscode.post({ type: 'openModel' }), { icon: 'go-to-file', id: 'open-model' }),
    button('Profile Both and Compare', () => vscode.post({ type: 'compareProfiles' }), { icon: 'git-compare', secondary: true, id: 'compare-profiles' }),
    button('Save Report JSON', () => vscode.post({ type: 'saveReport' }), { icon: 'save', secondary: true, id: 'save-report' }));
  const name = (f: string) => f.split(/[\\/]/).pop() ?? f;
  app.replaceChildren(
    el('h1', {}, `${name(r.input.file)} → ${name(r.output.file)}`),
    ...(source ? [sourceRow(source)] : []),
    el('div', { class: 'muted' }, `${r.mode}${r.calibration ? ` · ${r.calibration.method} calibration on ${r.calibration.samples} sample(s) from ${r.calibration.source}${r.calibration.ranges ? ` (${r.calibration.ranges.join(', ')})` : ''}` : ''} · ${r.quantized.nodes} nodes quantized in ${r.seconds.toFixed(1)} s`),
    el('div', { class: 'stats' },
      stat('size', `${fmtBytes(r.input.bytes)} → ${fmtBytes(r.output.bytes)}`, 'stat-size'),
      stat('host latency p50', `${r.latency.floatMs.p50.toFixed(3)} → ${r.latency.quantizedMs.p50.toFixed(3)} ms`),
      stat('speed-up', `${r.latency.speedup.toFixed(2)}×`, 'stat-speedup'),
      stat('worst SQNR', Number.isFinite(r.accuracy?.final.sqnrDb) ? `${r.accuracy.final.sqnrDb.toFixed(1)} dB` : '—', 'stat-sqnr')),
    ...accuracySection(r),
    actions,
    ...[...new Set(r.warnings)].map(warningRow),
    el('h2', {}, `Fidelity against the float model (${r.fidelity.samples} held-out input${r.fidelity.samples === 1 ? '' : 's'})`),
    ...(r.fidelity.source ? [el('div', { class: 'muted' }, `Evaluation inputs: ${r.fidelity.source}.`)] : []),
    sortableTable([
      { title: 'Output', value: (o) => o.name },
      { title: 'Signal', value: (o) => o.signal ?? 'ok', render: (o) => signalText(o) },
      { title: 'Cosine', value: (o) => (o.exactMatch !== undefined ? -Infinity : num(o.cosine)), render: (o) => cosineText(o), numeric: true },
      { title: 'SQNR (dB)', value: (o) => num(o.sqnrDb), render: (o) => (o.sqnrDb === null || Number.isNaN(o.sqnrDb) ? '—' : Number.isFinite(o.sqnrDb) ? o.sqnrDb.toFixed(1) : o.sqnrDb > 0 ? '∞' : '−∞'), numeric: true },
      { title: 'Max |error|', value: (o) => o.maxAbsError, render: (o) => o.maxAbsError.toPrecision(3), numeric: true },
      { title: 'Top-1 / equal', value: (o) => agreementValue(o), render: (o) => agreementText(o), numeric: true },
      { title: 'Top-5 agree', value: (o) => (o.classScores === false ? -1 : o.top5Agreement ?? -1), render: (o) => (o.classScores === false ? '—' : pct(o.top5Agreement)), numeric: true },
    ], r.fidelity.outputs, { id: 'fidelity-table' }),
    ...(r.fidelity.byRange?.length ? [el('div', { class: 'muted' }, 'Worst over the input ranges; each range was judged on its own:'), el('ul', { id: 'fidelity-ranges' }, ...r.fidelity.byRange.map((g) => el('li', {}, rangeLine(g))))] : []),
    el('h2', {}, 'Per-layer sensitivity'),
    el('div', { class: 'muted' }, r.sensitivity.length ? 'Each layer quantized alone, everything else float: the lowest SQNR hurts most.' : 'Not measured (off, or more than 64 layers).'),
    el('div', { class: 'table-scroll' }, sortableTable([
      { title: 'Node', value: (s) => s.node },
      { title: 'Op type', value: (s) => s.opType },
      { title: 'SQNR alone (dB)', value: (s) => s.sqnrDb, render: (s) => (Number.isFinite(s.sqnrDb) ? s.sqnrDb.toFixed(1) : '∞'), numeric: true },
      { title: 'Cosine', value: (s) => num(s.cosine), render: (s) => fmtCos(s.cosine), numeric: true },
    ], r.sensitivity, { id: 'sensitivity-table' })),
    el('h2', {}, 'Quantized'),
    el('div', {}, Object.entries(r.quantized.byOpType).map(([k, v]) => `${k} ${v}`).join(', ')),
    ...(r.quantized.skipped.length ? [el('div', { class: 'muted' }, `Kept in float: ${r.quantized.skipped.slice(0, 20).map((s) => `${s.node} (${s.reason})`).join('; ')}${r.quantized.skipped.length > 20 ? '…' : ''}`)] : []),
  );
}
