/** The webview side of the host channel, typed by each app's protocol. */
interface VsCodeApi<TState> {
  postMessage(message: unknown): void;
  getState(): TState | undefined;
  setState(state: TState): void;
}

declare function acquireVsCodeApi<TState>(): VsCodeApi<TState>;

export function connect<TToHost, TState = unknown>(): { post(m: TToHost): void; state: VsCodeApi<TState> } {
  const api = acquireVsCodeApi<TState>();
  return { post: (m) => api.postMessage(m), state: api };
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

export function fmtBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${i ? v.toFixed(1) : v} ${u[i]}`;
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

/** Runs `fn` on a click and on Enter or Space (for elements that act as buttons: sortable headers, rows). */
export function onActivate(e: HTMLElement, fn: () => void): void {
  e.addEventListener('click', fn);
  e.addEventListener('keydown', (k) => {
    if (k.key !== 'Enter' && k.key !== ' ') return;
    k.preventDefault();
    fn();
  });
}

/** `rows` ordered by a column's value (numbers numerically, text by locale); a copy, `rows` untouched. */
export function sortRows<R>(rows: R[], column: { value: (r: R) => string | number } | undefined, desc: boolean): R[] {
  const sorted = [...rows];
  if (!column) return sorted;
  return sorted.sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return desc ? -d : d;
  });
}

/**
 * Makes `headers` sort a table: a click or Enter/Space on a header sorts by it (again: the other way;
 * numbers start descending), each header's aria-sort says how, and `draw(column, desc)` redraws the rows.
 */
export function sortableHeaders<R>(headers: HTMLElement[], columns: Array<{ value: (r: R) => string | number; numeric?: boolean }>, draw: (column: { value: (r: R) => string | number } | undefined, desc: boolean) => void, initial: { col?: number; desc?: boolean } = {}): void {
  let col = initial.col ?? -1;
  let desc = initial.desc ?? true;
  const redraw = (): void => {
    draw(columns[col], desc);
    headers.forEach((th, i) => th.setAttribute('aria-sort', i === col ? (desc ? 'descending' : 'ascending') : 'none'));
  };
  headers.forEach((th, i) => onActivate(th, () => {
    if (col === i) desc = !desc;
    else { col = i; desc = columns[i].numeric ?? false; }
    redraw();
  }));
  redraw();
}

/** A table whose columns sort on click or Enter/Space (numbers numerically). */
export function sortableTable<R>(columns: Array<{ title: string; value: (r: R) => string | number; render?: (r: R) => string; numeric?: boolean }>, rows: R[], opts: { id?: string; initialSort?: number; maxRows?: number } = {}): HTMLTableElement {
  const table = el('table', { class: 'grid', ...(opts.id ? { id: opts.id } : {}) });
  const tbody = el('tbody');
  const headers = columns.map((c) => el('th', { tabindex: '0', role: 'columnheader' }, c.title));
  table.append(el('thead', {}, el('tr', {}, ...headers)), tbody);
  sortableHeaders(headers, columns, (column, desc) => {
    tbody.replaceChildren(...sortRows(rows, column, desc).slice(0, opts.maxRows ?? 5000).map((r) => el('tr', {}, ...columns.map((c) => {
      const td = el('td', c.numeric ? { class: 'num' } : {});
      td.textContent = c.render ? c.render(r) : String(c.value(r));
      return td;
    }))));
  }, { col: opts.initialSort });
  return table;
}
