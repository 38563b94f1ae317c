/**
 * The webviews' component layer: VS Code's own look from @vscode-elements/elements (Lit web components that
 * read the editor's --vscode-* theme variables, so light, dark and high-contrast themes come for free) and
 * codicons (the font is linked by extension/vscode/webviews/html.ts with the id <vscode-icon> looks for).
 *
 * Only the elements imported are bundled; each import registers its custom element (Lit and these ~76 KB
 * minified). The two heavy ones live apart so a panel pays for them only when it uses them:
 *   webview/shared/select.ts  select()     <vscode-single-select>  +50 KB minified
 *   webview/shared/table.ts   dataTable()  <vscode-table> & parts  +33 KB minified
 * Helpers build the elements with what a screen reader and a keyboard user need (labels, roles, aria-pressed,
 * aria-sort, Enter/Space).
 *
 *   import { button, toolbarButton, toolbar, tabs } from '../shared/components';
 *   import { dataTable } from '../shared/table';
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-container/index.js';

export type {
  VscodeBadge, VscodeButton, VscodeCheckbox, VscodeCollapsible, VscodeIcon, VscodeProgressBar, VscodeTabs, VscodeTextfield,
  VscodeToolbarButton,
} from '@vscode-elements/elements/dist/main.js';

export type Child = Node | string;

/** document.createElement with attributes (false/undefined left out, true as an empty attribute) and children. */
export function make<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | undefined>, children: Child[] = []): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = String(v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children);
  return e;
}

/** A text button, optionally with a codicon before the label (`icon: 'play'`). */
export function button(label: string, onClick: () => void, opts: { icon?: string; secondary?: boolean; disabled?: boolean; title?: string; id?: string } = {}): HTMLElementTagNameMap['vscode-button'] {
  const b = make('vscode-button', { icon: opts.icon, secondary: opts.secondary, disabled: opts.disabled, title: opts.title, id: opts.id }, [label]);
  b.addEventListener('click', () => { if (!b.disabled) onClick(); });
  return b;
}

/**
 * An icon-only action (a codicon) as in the editor's view toolbars; `label` is its accessible name and
 * tooltip. With `toggle`, it is an on/off switch (the element's inner button has role="switch" and
 * aria-checked) and `onClick` hears the new state.
 */
export function toolbarButton(icon: string, label: string, onClick: (checked: boolean) => void, opts: { toggle?: boolean; checked?: boolean; id?: string } = {}): HTMLElementTagNameMap['vscode-toolbar-button'] {
  const b = make('vscode-toolbar-button', { icon, label, title: label, toggleable: opts.toggle, checked: opts.toggle && opts.checked, id: opts.id });
  if (opts.toggle) b.addEventListener('change', () => onClick(b.checked));
  else b.addEventListener('click', () => onClick(false));
  return b;
}

const TEXT_LIKE = new Set(['INPUT', 'TEXTAREA', 'SELECT', 'VSCODE-TEXTFIELD', 'VSCODE-TEXTAREA', 'VSCODE-SINGLE-SELECT']);

/** The element that takes focus for a control (a toolbar button's inner <button>). */
function focusTarget(e: Element): HTMLElement | undefined {
  if (e instanceof HTMLElement && e.hidden) return undefined;
  if (e.tagName === 'VSCODE-TOOLBAR-BUTTON') return e.shadowRoot?.querySelector('button') ?? undefined;
  if (e.tagName === 'VSCODE-BUTTON' || e.tagName === 'BUTTON' || TEXT_LIKE.has(e.tagName)) return e as HTMLElement;
  return undefined;
}

/**
 * A row of controls with role="toolbar": Tab moves through them as usual, and ← → move between them too
 * (except inside a text field or a drop-down, where the arrows keep their meaning).
 */
export function toolbar(label: string, ...children: Child[]): HTMLDivElement {
  const bar = make('div', { class: 'toolbar', role: 'toolbar', 'aria-label': label }, children);
  bar.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const from = (e.target as Element).closest('.toolbar > *');
    if (!from || TEXT_LIKE.has(from.tagName)) return;
    const items = Array.from(bar.children).filter((c) => focusTarget(c));
    const i = items.indexOf(from);
    if (i < 0) return;
    const next = items[(i + (e.key === 'ArrowRight' ? 1 : items.length - 1)) % items.length];
    focusTarget(next)?.focus();
    e.preventDefault();
  });
  return bar;
}

/** A codicon (decorative unless given a label). */
export function icon(name: string, label?: string): HTMLElementTagNameMap['vscode-icon'] {
  const i = make('vscode-icon', { name, label, 'aria-hidden': label ? undefined : 'true' });
  if (label) i.setAttribute('role', 'img');
  return i;
}

/** A labelled text field; `onInput` sees every edit, `onEnter` the Enter key. */
export function textField(opts: { label: string; value?: string; placeholder?: string; type?: 'text' | 'number' | 'search'; id?: string; onInput?: (v: string) => void; onEnter?: (v: string) => void }): HTMLElementTagNameMap['vscode-textfield'] {
  const t = make('vscode-textfield', { placeholder: opts.placeholder, 'aria-label': opts.label, title: opts.label, id: opts.id, type: opts.type });
  t.label = opts.label;
  if (opts.value !== undefined) t.value = opts.value;
  if (opts.onInput) t.addEventListener('input', () => opts.onInput!(t.value));
  if (opts.onEnter) t.addEventListener('keydown', (e) => { if (e.key === 'Enter') opts.onEnter!(t.value); });
  return t;
}

export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void, opts: { id?: string } = {}): HTMLElementTagNameMap['vscode-checkbox'] {
  const c = make('vscode-checkbox', { label, id: opts.id });
  c.checked = checked;
  c.addEventListener('change', () => onChange(c.checked));
  return c;
}

/** A small count or status label. */
export function badge(text: string, variant: 'default' | 'counter' = 'default'): HTMLElementTagNameMap['vscode-badge'] {
  return make('vscode-badge', { variant }, [text]);
}

/** Progress: determinate with `value`/`max`, indeterminate without. */
export function progressBar(label: string, value?: number, max = 1): HTMLElementTagNameMap['vscode-progress-bar'] {
  const p = make('vscode-progress-bar', { 'aria-label': label });
  p.ariaLabel = label;
  if (value === undefined || !Number.isFinite(value)) p.indeterminate = true;
  else { p.max = max; p.value = Math.max(0, Math.min(max, value)); }
  return p;
}

export function progressRing(label: string): HTMLElementTagNameMap['vscode-progress-ring'] {
  const r = make('vscode-progress-ring', { 'aria-label': label });
  r.ariaLabel = label;
  return r;
}

/** A section that opens and closes (its header is a button: Enter/Space toggle it). */
export function collapsible(title: string, body: Child[], opts: { open?: boolean; description?: string } = {}): HTMLElementTagNameMap['vscode-collapsible'] {
  const c = make('vscode-collapsible', { heading: title, description: opts.description, open: opts.open }, body);
  return c;
}

/**
 * Tabs with their panels (the element gives role=tablist/tab/tabpanel and arrow-key navigation). `onSelect`
 * hears the index the user picked.
 */
export function tabs(items: Array<{ title: string; panel: Child | (() => Child); id?: string }>, opts: { selected?: number; onSelect?: (i: number) => void; label?: string } = {}): HTMLElementTagNameMap['vscode-tabs'] {
  const t = make('vscode-tabs', { 'aria-label': opts.label, panel: true });
  for (const item of items) {
    const h = make('vscode-tab-header', { slot: 'header', id: item.id }, [item.title]);
    const p = make('vscode-tab-panel', {});
    const content = typeof item.panel === 'function' ? item.panel() : item.panel;
    p.append(content);
    t.append(h, p);
  }
  t.selectedIndex = Math.max(0, Math.min(items.length - 1, opts.selected ?? 0));
  t.addEventListener('vsc-tabs-select', (e) => opts.onSelect?.(e.detail.selectedIndex));
  return t;
}

/** The elements this module registers. */
export const COMPONENT_TAGS = [
  'vscode-badge', 'vscode-button', 'vscode-checkbox', 'vscode-collapsible', 'vscode-icon', 'vscode-progress-bar', 'vscode-progress-ring',
  'vscode-tab-header', 'vscode-tab-panel', 'vscode-tabs', 'vscode-textfield', 'vscode-toolbar-button', 'vscode-toolbar-container',
] as const;
