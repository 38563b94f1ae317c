import './style.css';
import { connect, el } from '../shared/vscode';
import { badge, textField, toolbar as toolbarRow, toolbarButton } from '../shared/components';
import { select } from '../shared/select';
import type { CrashInfo, FromLogcatWebview, LogcatState, Row, ToLogcatWebview } from './protocol';
import type { LogFilter } from '../../extension/core/logcat/filter';
import type { LogLevel } from '../../extension/core/logcat/parse';

const vscode = connect<FromLogcatWebview>();
const app = document.getElementById('app') as HTMLElement;

/** Height of one printed line (px): the list draws only the lines in view. */
const LINE_H = 18;
const OVERSCAN = 20;

let capacity = 50_000;
let rows: Row[] = [];
/** Display lines: a multi-line message takes several. */
let lines: Array<{ r: Row; i: number; text: string }> = [];
let crashes: CrashInfo[] = [];
let highlighted: number | undefined;
let follow = true;
let paused = false;
let total = 0;
let state: LogcatState = 'starting';

const LEVELS: Array<[LogLevel, string]> = [['V', 'Verbose'], ['D', 'Debug'], ['I', 'Info'], ['W', 'Warn'], ['E', 'Error'], ['F', 'Fatal / Assert']];

const title = el('span', { id: 'title' }, 'Logcat');
let filterTimer: ReturnType<typeof setTimeout> | undefined;
/** The filter last sent to the host, until the host's reset for it arrives: the list is busy meanwhile. */
let wanted: string | undefined;
function sendFilter(): void {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    filterTimer = undefined;
    const f = currentFilter();
    wanted = filterKey(f);
    vscode.post({ type: 'filter', filter: f });
  }, 150);
  showBusy();
}

/** aria-busy on the list while a filter change is typed or on its way to the host. */
function showBusy(): void {
  list.toggleAttribute('aria-busy', filterTimer !== undefined || wanted !== undefined);
  if (list.hasAttribute('aria-busy')) list.setAttribute('aria-busy', 'true');
}

/** The same filter gives the same text, whatever the order of its fields. */
function filterKey(f: LogFilter): string {
  return JSON.stringify({ level: f.level, tag: f.tag, package: f.package, text: f.text, regex: f.regex, matchCase: f.matchCase });
}
const level = select('Minimum level', LEVELS.map(([v, label]) => ({ value: v, label })), 'V', sendFilter, { id: 'level' });
const tag = textField({ label: 'Tags: a part of the tag; several separated by spaces; -tag hides it; =tag matches exactly', placeholder: 'tag (-tag hides, =tag exact)', type: 'search', id: 'tag', onInput: sendFilter });
// The package field suggests the phone's packages (a datalist, which the toolkit's text field has not).
const pkg = el('input', { id: 'package', type: 'search', placeholder: 'package', list: 'packages', title: 'Only the processes of this package', 'aria-label': 'Package', spellcheck: 'false' });
const packages = el('datalist', { id: 'packages' });
const text = textField({ label: 'Search messages', placeholder: 'search messages', type: 'search', id: 'text', onInput: sendFilter });
for (const f of [tag, text]) f.setAttribute('spellcheck', 'false');
const regex = toolbarButton('regex', 'Use Regular Expression', sendFilter, { toggle: true, id: 'regex' });
const matchCase = toolbarButton('case-sensitive', 'Match Case', sendFilter, { toggle: true, id: 'case' });
const pause = toolbarButton('debug-pause', 'Pause the view (lines are still collected)', (on) => setPaused(on), { toggle: true, id: 'pause' });
const clear = toolbarButton('clear-all', 'Clear the phone\'s log (logcat -c) and this view', () => vscode.post({ type: 'clear' }), { id: 'clear' });
const crashSelect = select('Crashes in the log: choose one to jump to it', [{ value: '', label: 'No crashes' }], '', (v) => { const id = Number(v); if (id) jumpToCrash(id); }, { id: 'crashes' });
const crashCount = badge('0', 'counter');
crashCount.id = 'crash-count';
crashCount.hidden = true;
const nextCrash = toolbarButton('bug', 'Jump to the next crash (FATAL EXCEPTION)', () => jumpToCrash('next'), { id: 'next-crash' });
const toEnd = toolbarButton('fold-down', 'Scroll to the newest line and follow', () => {
  follow = true;
  list.scrollTop = list.scrollHeight;
  render();
}, { id: 'end' });
const stateLine = el('span', { id: 'state', role: 'status' }, 'Starting…');
const count = el('span', { id: 'count', class: 'muted' }, '');
const filterError = el('span', { id: 'filter-error', class: 'error', role: 'alert' }, '');
const restart = toolbarButton('debug-restart', 'Restart logcat', () => vscode.post({ type: 'restart' }), { id: 'restart' });
restart.hidden = true;

const toolbar = toolbarRow('Logcat filters and actions', title, level, tag, pkg, packages, text, regex, matchCase, pause, clear, crashSelect, crashCount, nextCrash, toEnd);
toolbar.id = 'toolbar';
const list = el('div', { id: 'log', tabindex: '0', role: 'log', 'aria-live': 'off', 'aria-label': 'Log lines (↑ ↓ Page Up/Down Home End scroll)' });
const spacer = el('div', { id: 'spacer' });
const viewport = el('div', { id: 'viewport' });
list.append(spacer, viewport);
const status = el('div', { id: 'status' }, stateLine, restart, filterError, count);
app.replaceChildren(toolbar, list, status);

function currentFilter(): LogFilter {
  return { level: (level.value || 'V') as LogLevel, tag: tag.value, package: pkg.value.trim(), text: text.value, regex: regex.checked, matchCase: matchCase.checked };
}

pkg.addEventListener('input', sendFilter);

/** The pause switch shows ⏸ while live and ▶ (Resume) while paused. */
function showPaused(on: boolean): void {
  paused = on;
  pause.checked = on;
  pause.icon = on ? 'debug-continue' : 'debug-pause';
  const label = on ? 'Resume: show the lines that came meanwhile' : 'Pause the view (lines are still collected)';
  pause.label = label;
  pause.title = label;
}

function setPaused(on: boolean): void {
  showPaused(on);
  vscode.post({ type: 'pause', paused });
}

// Keyboard: the log scrolls with the arrow and page keys when focused; End follows the newest line again.
list.addEventListener('keydown', (e) => {
  const page = Math.max(1, Math.floor(list.clientHeight / LINE_H) - 1) * LINE_H;
  const moves: Record<string, number> = { ArrowDown: LINE_H, ArrowUp: -LINE_H, PageDown: page, PageUp: -page };
  if (e.key in moves) list.scrollTop += moves[e.key];
  else if (e.key === 'Home') list.scrollTop = 0;
  else if (e.key === 'End') { follow = true; list.scrollTop = list.scrollHeight; }
  else return;
  e.preventDefault();
});

function linesOf(r: Row): Array<{ r: Row; i: number; text: string }> {
  const parts = r.msg.split('\n');
  return parts.map((t, i) => ({ r, i, text: t }));
}

function rebuild(): void {
  lines = [];
  for (const r of rows) for (const l of linesOf(r)) lines.push(l);
}

function trim(): void {
  if (rows.length <= capacity) return;
  const drop = rows.length - capacity;
  const gone = rows.splice(0, drop);
  let dropLines = 0;
  for (const r of gone) dropLines += r.msg.split('\n').length;
  lines.splice(0, dropLines);
  if (!follow) list.scrollTop = Math.max(0, list.scrollTop - dropLines * LINE_H);
}

function cell(cls: string, t: string): HTMLSpanElement {
  const s = document.createElement('span');
  s.className = cls;
  s.textContent = t;
  return s;
}

function render(): void {
  spacer.style.height = `${lines.length * LINE_H}px`;
  const first = Math.max(0, Math.floor(list.scrollTop / LINE_H) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((list.scrollTop + list.clientHeight) / LINE_H) + OVERSCAN);
  viewport.style.top = `${first * LINE_H}px`;
  const out: HTMLElement[] = [];
  for (let k = first; k < last; k++) {
    const { r, i, text: t } = lines[k];
    const d = document.createElement('div');
    d.className = `line lvl-${r.level}${r.text ? ' plain' : ''}${i ? ' cont' : ''}${r.crash !== undefined ? ' crash' : ''}${r.crash !== undefined && r.crash === highlighted ? ' hl' : ''}`;
    d.dataset.seq = String(r.seq);
    d.dataset.level = r.text ? '' : r.level;
    if (r.text) d.append(cell('msg', t));
    else if (i) d.append(cell('time', ''), cell('ids', ''), cell('tag', ''), cell('lvl', ''), cell('msg', t));
    else d.append(cell('time', r.time), cell('ids', `${r.pid}-${r.tid}`), cell('tag', r.tag), cell('lvl', r.level), cell('msg', t));
    if (!i) d.title = `${r.time} pid ${r.pid} tid ${r.tid} ${r.level}/${r.tag}`;
    out.push(d);
  }
  viewport.replaceChildren(...out);
  count.textContent = `${rows.length.toLocaleString()} shown of ${total.toLocaleString()} kept (up to ${capacity.toLocaleString()})`;
  list.dataset.rows = String(rows.length);
}

function atEnd(): boolean {
  return list.scrollTop + list.clientHeight >= list.scrollHeight - LINE_H * 2;
}

list.addEventListener('scroll', () => {
  follow = atEnd();
  toEnd.classList.toggle('active', !follow);
  render();
});
window.addEventListener('resize', () => render());

function showCrashes(): void {
  const visible = new Set(rows.filter((r) => r.crash !== undefined).map((r) => r.crash));
  const chosen = crashSelect.value;
  const opts = [el('vscode-option', { value: '' }, crashes.length ? `Crashes (${crashes.length})` : 'No crashes')];
  for (const c of crashes) {
    const label = `${c.time} ${c.process ?? `pid ${c.pid}`}: ${c.title || (c.kind === 'java' ? 'FATAL EXCEPTION' : 'native crash')}${visible.has(c.id) ? '' : ' (hidden by the filter)'}`;
    opts.push(el('vscode-option', { value: String(c.id) }, label));
  }
  crashSelect.replaceChildren(...opts);
  crashSelect.value = crashes.some((c) => String(c.id) === chosen) ? chosen : '';
  nextCrash.toggleAttribute('disabled', crashes.length === 0);
  nextCrash.setAttribute('aria-disabled', String(crashes.length === 0));
  crashSelect.dataset.count = String(crashes.length);
  crashCount.textContent = String(crashes.length);
  crashCount.hidden = crashes.length === 0;
}

/** Scrolls to a crash report's first line and highlights its lines. */
function jumpToCrash(which: number | 'next'): void {
  if (!crashes.length) return;
  let c: CrashInfo | undefined;
  if (which === 'next') {
    const topSeq = lines[Math.floor(list.scrollTop / LINE_H)]?.r.seq ?? 0;
    const after = crashes.filter((x) => rows.some((r) => r.crash === x.id));
    const current = after.findIndex((x) => x.id === highlighted);
    c = current >= 0 ? after[(current + 1) % after.length] : after.find((x) => x.firstSeq >= topSeq) ?? after[0];
  } else c = crashes.find((x) => x.id === which);
  if (!c) {
    stateLine.textContent = 'That crash is hidden by the filter.';
    return;
  }
  const k = lines.findIndex((l) => l.r.crash === c.id);
  if (k < 0) {
    stateLine.textContent = 'That crash is hidden by the filter.';
    return;
  }
  highlighted = c.id;
  follow = false;
  list.scrollTop = Math.max(0, k * LINE_H - LINE_H * 2);
  crashSelect.value = String(c.id);
  list.dataset.highlighted = String(c.id);
  render();
}

function applyState(s: LogcatState, message: string, buffered?: number): void {
  state = s;
  if (message) stateLine.textContent = message;
  if (s === 'paused' && buffered !== undefined) stateLine.textContent = `Paused: ${buffered.toLocaleString()} new line${buffered === 1 ? '' : 's'} waiting. Resume shows them.`;
  status.className = `state-${s}`;
  list.dataset.state = s;
  restart.hidden = s !== 'error';
  if (s === 'paused' !== paused && (s === 'paused' || s === 'streaming')) {
    // The host's word wins (a resume after the ring wrapped, a restart): the switch follows it.
    showPaused(s === 'paused');
  }
}

window.addEventListener('message', (ev: MessageEvent<ToLogcatWebview>) => {
  const m = ev.data;
  switch (m.type) {
    case 'init':
      capacity = m.capacity;
      title.textContent = m.title;
      title.title = m.serial;
      level.value = m.filter.level;
      tag.value = m.filter.tag;
      pkg.value = m.filter.package;
      text.value = m.filter.text;
      regex.checked = m.filter.regex;
      matchCase.checked = m.filter.matchCase;
      break;
    case 'reset': {
      // The rows on screen are those of this filter (data-filter), and no newer change is on its way (aria-busy).
      const key = filterKey(m.filter);
      list.dataset.filter = key;
      if (wanted === key) wanted = undefined;
      showBusy();
      rows = m.rows.slice(-capacity);
      crashes = m.crashes;
      total = m.total;
      filterError.textContent = m.filterError ?? '';
      if (highlighted !== undefined && !crashes.some((c) => c.id === highlighted)) highlighted = undefined;
      rebuild();
      showCrashes();
      render();
      if (follow) list.scrollTop = list.scrollHeight;
      render();
      break;
    }
    case 'append': {
      for (const r of m.rows) {
        rows.push(r);
        for (const l of linesOf(r)) lines.push(l);
      }
      crashes = m.crashes;
      total = m.total;
      trim();
      showCrashes();
      render();
      if (follow) {
        list.scrollTop = list.scrollHeight;
        render();
      }
      break;
    }
    case 'state':
      applyState(m.state, m.message, m.buffered);
      void state;
      break;
    case 'packages':
      packages.replaceChildren(...m.names.map((n) => el('option', { value: n })));
      break;
  }
});

vscode.post({ type: 'ready' });
