/** A sortable data table on <vscode-table> (kept apart from components.ts so panels without tables stay small). */
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import { make } from './components';
import { onActivate, sortableHeaders, sortRows } from './vscode';

export type { VscodeTable } from '@vscode-elements/elements/dist/main.js';

export interface Column<R> {
  title: string;
  value: (r: R) => string | number;
  render?: (r: R) => string | Node;
  numeric?: boolean;
  /** A CSS width for the column (e.g. '120px', '30%'); the rest share what is left. */
  width?: string;
}

/**
 * A data table (vscode-table: role=table, rows and cells) whose columns sort by click or Enter/Space on the
 * header; the sorted header carries aria-sort. Numbers sort numerically and sit right-aligned.
 */
export function dataTable<R>(columns: Array<Column<R>>, rows: R[], opts: { id?: string; label?: string; initialSort?: number; descending?: boolean; maxRows?: number; onRow?: (r: R) => void } = {}): HTMLElementTagNameMap['vscode-table'] {
  const table = make('vscode-table', { id: opts.id, 'aria-label': opts.label, zebra: true, 'bordered-rows': true, resizable: true });
  if (columns.some((c) => c.width)) table.columns = columns.map((c) => c.width ?? 'auto');
  const headers = columns.map((c) => make('vscode-table-header-cell', { tabindex: '0', class: c.numeric ? 'num sortable' : 'sortable', title: `Sort by ${c.title}` }, [c.title]));
  const header = make('vscode-table-header', { slot: 'header' }, headers);
  const body = make('vscode-table-body', { slot: 'body' });
  sortableHeaders(headers, columns, (column, desc) => {
    body.replaceChildren(...sortRows(rows, column, desc).slice(0, opts.maxRows ?? 5000).map((r) => {
      const row = make('vscode-table-row', {}, columns.map((c) => make('vscode-table-cell', c.numeric ? { class: 'num' } : {}, [c.render ? c.render(r) : String(c.value(r))])));
      if (opts.onRow) {
        row.tabIndex = 0;
        onActivate(row, () => opts.onRow!(r));
      }
      return row;
    }));
  }, { col: opts.initialSort, desc: opts.descending });
  table.append(header, body);
  return table;
}
