/** A sortable data table on <vscode-table> (kept apart from components.ts so panels without tables stay small). */
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import { make } from './components';
import { onActivate, sortRows } from './vscode';

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
  const header = make('vscode-table-header', { slot: 'header' });
  const body = make('vscode-table-body', { slot: 'body' });
  let sortCol = opts.initialSort ?? -1;
  let desc = opts.descending ?? true;
  const cells: HTMLElement[] = [];
  const draw = (): void => {
    const sorted = sortRows(rows, columns[sortCol], desc);
    body.replaceChildren(...sorted.slice(0, opts.maxRows ?? 5000).map((r) => {
      const row = make('vscode-table-row', {}, columns.map((c) => {
        const v = c.render ? c.render(r) : String(c.value(r));
        return make('vscode-table-cell', c.numeric ? { class: 'num' } : {}, [v]);
      }));
      if (opts.onRow) {
        row.tabIndex = 0;
        onActivate(row, () => opts.onRow!(r));
      }
      return row;
    }));
    cells.forEach((th, i) => th.setAttribute('aria-sort', i === sortCol ? (desc ? 'descending' : 'ascending') : 'none'));
  };
  for (const [i, c] of columns.entries()) {
    const th = make('vscode-table-header-cell', { tabindex: '0', class: c.numeric ? 'num sortable' : 'sortable', title: `Sort by ${c.title}` }, [c.title]);
    const sort = (): void => {
      if (sortCol === i) desc = !desc;
      else { sortCol = i; desc = c.numeric ?? false; }
      draw();
    };
    onActivate(th, sort);
    cells.push(th);
    header.append(th);
  }
  table.append(header, body);
  draw();
  return table;
}
