/** The on-screen view tree of the virtual phone: one source for both the screenshot and `uiautomator dump`. */
export type Bounds = [left: number, top: number, right: number, bottom: number];

export type Look =
  | { kind: 'fill'; color: string; radius?: number }
  | { kind: 'text'; color: string; size: number; weight?: 'bold' | 'normal'; align?: 'start' | 'middle' | 'end' }
  | { kind: 'switch' }
  | { kind: 'icon'; color: string; letter: string }
  | { kind: 'edit'; hint: string }
  | { kind: 'button'; color: string; textColor: string }
  | { kind: 'glyph'; glyph: 'back' | 'home' | 'recents' | 'delete' };

export interface UiNode {
  cls: string;
  pkg: string;
  bounds: Bounds;
  text?: string;
  resourceId?: string;
  contentDesc?: string;
  clickable?: boolean;
  longClickable?: boolean;
  checkable?: boolean;
  checked?: boolean;
  focusable?: boolean;
  focused?: boolean;
  scrollable?: boolean;
  password?: boolean;
  selected?: boolean;
  enabled?: boolean;
  look?: Look;
  onTap?: () => void;
  onLongPress?: () => void;
  /** For scrollable containers: scroll by dy pixels (positive = content moves up). */
  onScroll?: (dy: number) => void;
  children?: UiNode[];
}

export function contains(b: Bounds, x: number, y: number): boolean {
  return x >= b[0] && x < b[2] && y >= b[1] && y < b[3];
}

/** The deepest node at (x, y) that handles the given gesture, like Android's touch dispatch. */
export function hitTest(root: UiNode, x: number, y: number, want: 'onTap' | 'onLongPress' | 'onScroll'): UiNode | undefined {
  if (!contains(root.bounds, x, y)) return undefined;
  for (const child of [...(root.children ?? [])].reverse()) {
    const hit = hitTest(child, x, y, want);
    if (hit) return hit;
  }
  return root[want] ? root : undefined;
}

export function* walk(root: UiNode): Generator<UiNode> {
  yield root;
  for (const c of root.children ?? []) yield* walk(c);
}

function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');
}

/** Serializes the tree the way `uiautomator dump` does. */
export function toUiAutomatorXml(root: UiNode, rotation = 0): string {
  const parts: string[] = [`<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="${rotation}">`];
  const emit = (n: UiNode, index: number) => {
    const b = n.bounds.map(Math.round);
    const attrs: Array<[string, string]> = [
      ['index', String(index)],
      ['text', n.password ? '•'.repeat((n.text ?? '').length) : n.text ?? ''],
      ['resource-id', n.resourceId ?? ''],
      ['class', n.cls],
      ['package', n.pkg],
      ['content-desc', n.contentDesc ?? ''],
      ['checkable', String(!!n.checkable)],
      ['checked', String(!!n.checked)],
      ['clickable', String(!!(n.clickable ?? n.onTap))],
      ['enabled', String(n.enabled ?? true)],
      ['focusable', String(!!(n.focusable ?? n.onTap))],
      ['focused', String(!!n.focused)],
      ['scrollable', String(!!(n.scrollable ?? n.onScroll))],
      ['long-clickable', String(!!(n.longClickable ?? n.onLongPress))],
      ['password', String(!!n.password)],
      ['selected', String(!!n.selected)],
      ['bounds', `[${b[0]},${b[1]}][${b[2]},${b[3]}]`],
    ];
    const a = attrs.map(([k, v]) => `${k}="${xmlEscape(v)}"`).join(' ');
    if (!n.children?.length) {
      parts.push(`<node ${a} />`);
      return;
    }
    parts.push(`<node ${a}>`);
    n.children.forEach((c, i) => emit(c, i));
    parts.push('</node>');
  };
  emit(root, 0);
  parts.push('</hierarchy>');
  return parts.join('');
}

/** Draws the tree as SVG (rasterized to PNG by sharp). */
export function toSvg(root: UiNode, width: number, height: number, scale: number, dark: boolean): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="${dark ? '#121212' : '#fafafa'}"/>`,
  ];
  const fg = dark ? '#e8e8e8' : '#202124';
  const draw = (n: UiNode) => {
    const [l, t, r, b] = n.bounds;
    const w = r - l;
    const h = b - t;
    const look = n.look;
    if (look) {
      switch (look.kind) {
        case 'fill':
          out.push(`<rect x="${l}" y="${t}" width="${w}" height="${h}" rx="${(look.radius ?? 0) * scale}" fill="${look.color}"/>`);
          break;
        case 'text': {
          const size = look.size * scale;
          const x = look.align === 'middle' ? l + w / 2 : look.align === 'end' ? r : l;
          out.push(`<text x="${x}" y="${t + h / 2 + size * 0.35}" font-family="DejaVu Sans, sans-serif" font-size="${size}" font-weight="${look.weight ?? 'normal'}" text-anchor="${look.align ?? 'start'}" fill="${look.color}">${xmlEscape(n.text ?? '')}</text>`);
          break;
        }
        case 'switch': {
          const on = !!n.checked;
          const cy = t + h / 2;
          out.push(`<rect x="${l}" y="${cy - 8 * scale}" width="${w}" height="${16 * scale}" rx="${8 * scale}" fill="${on ? '#8ab4f8' : dark ? '#5f6368' : '#bdc1c6'}"/>`);
          out.push(`<circle cx="${on ? r - 10 * scale : l + 10 * scale}" cy="${cy}" r="${10 * scale}" fill="${on ? '#1a73e8' : '#f1f3f4'}" stroke="#80868b" stroke-width="${0.5 * scale}"/>`);
          break;
        }
        case 'icon': {
          const size = Math.min(w, h - 20 * scale);
          const x = l + (w - size) / 2;
          out.push(`<rect x="${x}" y="${t}" width="${size}" height="${size}" rx="${size / 4}" fill="${look.color}"/>`);
          out.push(`<text x="${l + w / 2}" y="${t + size * 0.68}" font-family="DejaVu Sans, sans-serif" font-size="${size * 0.5}" font-weight="bold" text-anchor="middle" fill="#ffffff">${xmlEscape(look.letter)}</text>`);
          out.push(`<text x="${l + w / 2}" y="${b - 4 * scale}" font-family="DejaVu Sans, sans-serif" font-size="${12 * scale}" text-anchor="middle" fill="${fg}">${xmlEscape(n.text ?? '')}</text>`);
          break;
        }
        case 'edit': {
          const text = n.text ?? '';
          const shown = n.password ? '•'.repeat(text.length) : text;
          out.push(`<rect x="${l}" y="${t}" width="${w}" height="${h}" rx="${4 * scale}" fill="${dark ? '#202124' : '#ffffff'}" stroke="${n.focused ? '#1a73e8' : '#9aa0a6'}" stroke-width="${(n.focused ? 2 : 1) * scale}"/>`);
          out.push(`<text x="${l + 12 * scale}" y="${t + h / 2 + 5 * scale}" font-family="DejaVu Sans, sans-serif" font-size="${16 * scale}" fill="${shown ? fg : '#9aa0a6'}">${xmlEscape(shown || look.hint)}${n.focused ? '|' : ''}</text>`);
          break;
        }
        case 'button':
          out.push(`<rect x="${l}" y="${t}" width="${w}" height="${h}" rx="${h / 2}" fill="${look.color}"/>`);
          out.push(`<text x="${l + w / 2}" y="${t + h / 2 + 5 * scale}" font-family="DejaVu Sans, sans-serif" font-size="${14 * scale}" font-weight="bold" text-anchor="middle" fill="${look.textColor}">${xmlEscape(n.text ?? '')}</text>`);
          break;
        case 'glyph': {
          const cx = l + w / 2;
          const cy = t + h / 2;
          const s = 8 * scale;
          const stroke = `stroke="${fg}" stroke-width="${2 * scale}" fill="none"`;
          if (look.glyph === 'back') out.push(`<path d="M${cx + s / 2} ${cy - s} L${cx - s / 2} ${cy} L${cx + s / 2} ${cy + s} Z" ${stroke}/>`);
          if (look.glyph === 'home') out.push(`<circle cx="${cx}" cy="${cy}" r="${s}" ${stroke}/>`);
          if (look.glyph === 'recents') out.push(`<rect x="${cx - s * 0.8}" y="${cy - s * 0.8}" width="${s * 1.6}" height="${s * 1.6}" rx="${2 * scale}" ${stroke}/>`);
          if (look.glyph === 'delete') out.push(`<path d="M${cx - s / 1.5} ${cy - s / 1.5} L${cx + s / 1.5} ${cy + s / 1.5} M${cx + s / 1.5} ${cy - s / 1.5} L${cx - s / 1.5} ${cy + s / 1.5}" ${stroke}/>`);
          break;
        }
      }
    }
    for (const c of n.children ?? []) draw(c);
  };
  draw(root);
  out.push('</svg>');
  return out.join('');
}
