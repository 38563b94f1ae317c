import './style.css';
import { connect, el } from '../shared/vscode';
import { button, collapsible, icon, textField, toolbar } from '../shared/components';
import { select as dropDown } from '../shared/select';
import type { FromAgentWebview, ToAgentWebview, ViewerStep } from './protocol';
import type { RunMeta } from '../../extension/core/agent/trace';

const vscode = connect<FromAgentWebview>();
const app = document.getElementById('app') as HTMLElement;

let meta: RunMeta | undefined;
let live = false;
const steps: ViewerStep[] = [];
let selected: number | undefined;
let follow = true;
/** Detail sections the user closed (by title). */
const closedSections = new Set<string>();

const header = el('div', { id: 'header' });
const search = textField({ label: 'Search thoughts, actions and screen text', placeholder: 'search thoughts, actions, screen text…', type: 'search', id: 'search', onInput: () => renderTimeline() });
search.setAttribute('spellcheck', 'false');
const filter = dropDown('Which steps to list', [
  { value: 'all', label: 'all steps' }, { value: 'problems', label: 'refused / failed' }, { value: 'consent', label: 'consent asked' }, { value: 'retries', label: 'malformed answers' },
], 'all', () => renderTimeline(), { id: 'filter' });
// The steps are a list box: ↑ ↓ Home End move the selection, as in the editor's lists.
const timeline = el('ul', { id: 'timeline', role: 'listbox', 'aria-label': 'Steps (↑ ↓ Home End choose one)', tabindex: '0' });
const detail = el('div', { id: 'detail', role: 'region', 'aria-label': 'The chosen step' });
app.replaceChildren(header, el('div', { id: 'main' }, el('div', { id: 'left' }, el('div', { id: 'filters', role: 'search' }, search, filter), timeline), detail));
timeline.addEventListener('keydown', (e) => {
  const shown = Array.from(timeline.children) as HTMLElement[];
  if (!shown.length) return;
  const at = shown.findIndex((li) => li.dataset.step === String(selected));
  const moves: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at < 0 ? shown.length - 1 : at - 1, Home: 0, End: shown.length - 1, PageDown: at + 10, PageUp: at - 10 };
  if (!(e.key in moves)) return;
  e.preventDefault();
  const li = shown[Math.max(0, Math.min(shown.length - 1, moves[e.key]))];
  const n = Number(li.dataset.step);
  follow = n === steps[steps.length - 1]?.step;
  select(n);
  li.scrollIntoView({ block: 'nearest' });
});

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

function actionText(s: ViewerStep): string {
  const a = s.action;
  if (!a) return '(no usable answer)';
  const target = s.resolved?.target ? s.elements.find((e) => e.index === s.resolved?.target) : undefined;
  const label = target ? ` [${target.index}] ${(target.text || target.contentDesc || target.resourceId.replace(/^.*:id\//, '')).slice(0, 40)}` : '';
  switch (a.type) {
    case 'tap': case 'long_press': return `${a.type}${label || ` (${a.x}, ${a.y})`}`;
    case 'type': return `type "${a.text.slice(0, 40)}"${label ? ` into${label}` : ''}`;
    case 'scroll': return `scroll ${a.direction}${label}`;
    case 'swipe': return `swipe ${a.direction ?? ''}`;
    case 'open_app': return `open ${a.package}`;
    case 'finish': return `finish: ${a.success ? 'success' : 'failed'}`;
    case 'ask_user': return `ask user (${a.kind})`;
    case 'wait': return `wait ${a.seconds} s`;
    default: return a.type;
  }
}

function matches(s: ViewerStep): boolean {
  const f = filter.value;
  if (f === 'problems' && s.result.ok) return false;
  if (f === 'consent' && s.guard?.verdict !== 'consent') return false;
  if (f === 'retries' && !(s.model?.rejected.length)) return false;
  const q = search.value.trim().toLowerCase();
  if (!q) return true;
  const hay = [s.thought, actionText(s), s.result.message, s.model?.response ?? '', s.foreground, ...s.elements.map((e) => `${e.text} ${e.contentDesc} ${e.resourceId}`)].join('\n').toLowerCase();
  return hay.includes(q);
}

/** The outcome's codicon (its colour says good or bad; the text stays in the editor's colours). */
const OUTCOME_ICON: Record<string, string> = { success: 'pass', running: 'loading', stopped: 'debug-stop', interrupted: 'debug-disconnect', 'step-limit': 'warning' };

function outcomeIcon(outcome: string): HTMLElement {
  const i = icon(OUTCOME_ICON[outcome] ?? 'error');
  if (outcome === 'running') i.spin = true;
  return i;
}

function renderHeader(phase?: string): void {
  if (!meta) return;
  const m = meta;
  const stop = button('Stop', () => vscode.post({ type: 'stop' }), { icon: 'debug-stop', id: 'stop', title: 'Stop the run after the current step' });
  const screen = button('Show Phone Screen', () => vscode.post({ type: 'showScreen' }), { icon: 'device-mobile', secondary: true, id: 'show-screen' });
  const exp = button('Export (AndroidWorld)', () => vscode.post({ type: 'export' }), { icon: 'export', secondary: true, id: 'export', title: 'Save the run as an AndroidWorld-style episode' });
  const replay = button('Replay on Phone', () => vscode.post({ type: 'replay' }), { icon: 'debug-rerun', secondary: true, id: 'replay', title: 'Play the recorded actions again on the phone' });
  const tokens = m.tokens.prompt + m.tokens.completion;
  header.replaceChildren(
    el('h2', { id: 'task' }, m.task),
    el('span', { class: `outcome ${m.outcome}` }, outcomeIcon(m.outcome), el('span', { id: 'outcome' }, m.outcome)),
    el('span', { id: 'summary' }, `${m.steps} step${m.steps === 1 ? '' : 's'} · ${tokens.toLocaleString('en-US')} tokens · ${fmtMs(m.timings.totalMs)} (model ${fmtMs(m.timings.modelMs)})`),
    el('span', { class: 'muted' }, `${m.model} @ ${m.endpoint} · ${m.device.model ?? ''} ${m.device.serial}${m.allowPackages.length ? ` · apps: ${m.allowPackages.join(', ')}` : ' · any app'}`),
    ...(m.message ? [el('span', { id: 'message' }, m.message)] : []),
    ...(live ? [el('span', { id: 'live', role: 'status' }, phase ? `step ${phase}` : 'running…')] : []),
    toolbar('Run actions', ...(live ? [stop] : [exp, replay]), screen),
  );
}

function renderTimeline(): void {
  const items = steps.filter(matches).map((s) => {
    const bad = !s.result.ok;
    const guarded = !!s.guard && s.guard.verdict !== 'allow';
    const li = el('li', { id: `step-${s.step}`, 'data-step': String(s.step), role: 'option', 'aria-selected': String(selected === s.step), class: `${bad ? 'bad' : ''} ${guarded ? 'guard' : ''} ${selected === s.step ? 'selected' : ''}`.trim() },
      el('span', { class: 'n' }, String(s.step)), el('span', { class: 'act' }, actionText(s)),
      ...(bad ? [icon('error', 'failed')] : []), ...(guarded ? [icon('shield', `guardrail: ${s.guard?.verdict}`)] : []),
      el('span', { class: 'res' }, `${s.result.message} · ${fmtMs(s.timings.observeMs + s.timings.thinkMs + s.timings.actMs)}`));
    li.addEventListener('click', () => {
      follow = s.step === steps[steps.length - 1]?.step;
      select(s.step);
    });
    return li;
  });
  timeline.replaceChildren(...items);
  timeline.dataset.rows = String(items.length);
}

function select(n: number): void {
  selected = n;
  for (const li of Array.from(timeline.children)) {
    const on = (li as HTMLElement).dataset.step === String(n);
    li.classList.toggle('selected', on);
    li.setAttribute('aria-selected', String(on));
    if (on) timeline.setAttribute('aria-activedescendant', li.id);
  }
  const s = steps.find((x) => x.step === n);
  if (!s) return;
  const target = s.resolved?.target;
  const shotWrap = el('div', { id: 'shot-wrap' });
  if (s.screenshotUri) {
    const img = el('img', { id: 'shot', src: s.screenshotUri, alt: `screen before step ${s.step}` });
    const hl = el('div', { id: 'highlight' });
    const place = () => {
      const t = s.elements.find((e) => e.index === target);
      const box = t?.bounds ?? (s.resolved?.point ? [s.resolved.point.x - 20, s.resolved.point.y - 20, s.resolved.point.x + 20, s.resolved.point.y + 20] : undefined);
      if (!box || !img.naturalWidth) return;
      const k = img.clientWidth / s.screen.width;
      Object.assign(hl.style, { display: 'block', left: `${box[0] * k}px`, top: `${box[1] * k}px`, width: `${(box[2] - box[0]) * k}px`, height: `${(box[3] - box[1]) * k}px` });
    };
    img.addEventListener('load', place);
    shotWrap.append(img, hl);
  } else shotWrap.append(el('p', { class: 'muted' }, 'no screenshot'));
  const head = el('thead', {}, el('tr', {}, ...['#', 'class', 'text', 'id', 'can'].map((h) => el('th', { scope: 'col' }, h))));
  const rows = s.elements.map((e) => el('tr', { class: e.index === target ? 'target' : '', 'data-index': String(e.index) },
    el('td', {}, String(e.index)), el('td', {}, e.className.replace(/^.*\./, '')), el('td', {}, e.password ? '•••' : e.text || e.contentDesc), el('td', {}, e.resourceId.replace(/^.*:id\//, '')),
    el('td', {}, [e.clickable && 'click', e.checkable && (e.checked ? 'on' : 'off'), e.editable && 'edit', e.scrollable && 'scroll'].filter(Boolean).join(' '))));
  // Sections open and close (Enter/Space on the heading); each keeps its state from step to step.
  const section = (title: string, ...body: Array<Node | string>) => {
    const key = title.replace(/ \(.*$/, '');
    const c = collapsible(title, [el('div', { class: 'section-body' }, ...body)], { open: !closedSections.has(key) });
    c.addEventListener('vsc-collapsible-toggle', () => { if (c.open) closedSections.delete(key); else closedSections.add(key); });
    return c;
  };
  const m = s.model;
  const info = el('div', { id: 'info' },
    section('Thought', el('p', { id: 'thought' }, s.thought || '—')),
    section('Action', el('pre', { id: 'action' }, JSON.stringify(s.action ?? null, null, 2)), el('p', { id: 'result', class: s.result.ok ? 'ok' : 'bad' }, icon(s.result.ok ? 'pass' : 'error', s.result.ok ? 'done' : 'failed'), ` ${s.result.message}`),
      ...(s.resolved?.argv.length ? [el('pre', { id: 'argv' }, s.resolved.argv.map((a) => `adb shell ${a.join(' ')}`).join('\n'))] : [])),
    ...(s.guard && s.guard.verdict !== 'allow' ? [section('Guardrail', el('p', { id: 'guard' }, `${s.guard.verdict}${s.guard.granted !== undefined ? (s.guard.granted ? ' (allowed by the user)' : ' (not allowed)') : ''}: ${s.guard.reason ?? ''}`))] : []),
    ...(s.userAnswer !== undefined ? [section('User answer', el('p', {}, s.userAnswer))] : []),
    section('Model', el('p', { id: 'model-stats' }, m ? `${fmtMs(m.latencyMs)} · ${m.promptTokens} prompt + ${m.completionTokens} completion tokens` : '—'),
      el('pre', { id: 'raw' }, m?.response || '(none)'),
      ...(m?.rejected.length ? [el('h3', {}, `Rejected answers (${m.rejected.length})`), ...m.rejected.map((r) => el('pre', { class: 'rejected' }, `${r.error}\n---\n${r.response}`))] : [])),
    section('Timing', el('p', {}, `observe ${fmtMs(s.timings.observeMs)} · think ${fmtMs(s.timings.thinkMs)} · act ${fmtMs(s.timings.actMs)} · app ${s.foreground}`)),
    section(`Elements (${s.elements.length})`, el('table', { id: 'elements', class: 'grid' }, head, el('tbody', {}, ...rows))),
  );
  detail.replaceChildren(shotWrap, info);
  detail.dataset.step = String(n);
}

window.addEventListener('message', (e: MessageEvent<ToAgentWebview>) => {
  const m = e.data;
  if (m.type === 'trace') {
    meta = m.meta;
    live = m.live;
    steps.splice(0, steps.length, ...m.steps);
    renderHeader();
    renderTimeline();
    if (steps.length) select(steps[steps.length - 1].step);
    document.body.dataset.loaded = String(steps.length);
  } else if (m.type === 'step') {
    steps.push(m.step);
    if (meta) meta.steps = m.step.step;
    renderTimeline();
    if (follow) select(m.step.step);
    document.body.dataset.loaded = String(steps.length);
  } else if (m.type === 'phase') {
    renderHeader(`${m.step}: ${m.phase}`);
  } else if (m.type === 'meta') {
    meta = m.meta;
    live = m.live;
    renderHeader();
  }
});

vscode.post({ type: 'ready' });
