/** A drop-down on <vscode-single-select> (kept apart from components.ts: it is the layer's heaviest element). */
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { make } from './components';

export type { VscodeSingleSelect } from '@vscode-elements/elements/dist/main.js';

/** A drop-down of options; the value shown first is `value` (or the first option). */
export function select(label: string, options: Array<{ value: string; label?: string }>, value: string | undefined, onChange: (v: string) => void, opts: { id?: string } = {}): HTMLElementTagNameMap['vscode-single-select'] {
  const s = make('vscode-single-select', { 'aria-label': label, title: label, id: opts.id },
    options.map((o) => make('vscode-option', { value: o.value, selected: o.value === value }, [o.label ?? o.value])));
  s.addEventListener('change', () => onChange(s.value));
  return s;
}
