/**
 * The screen as an agent reads it: `uiautomator dump` XML turned into a compact, numbered list of the
 * elements a user could see or act on (text, id, class, description, bounds, and what can be done with it).
 */
export type Bounds = [number, number, number, number];

export interface UiElement {
  /** The number the model refers to (1-based, in document order). */
  index: number;
  text: string;
  resourceId: string;
  className: string;
  contentDesc: string;
  package: string;
  bounds: Bounds;
  clickable: boolean;
  longClickable: boolean;
  checkable: boolean;
  checked: boolean;
  focusable: boolean;
  focused: boolean;
  scrollable: boolean;
  password: boolean;
  enabled: boolean;
  editable: boolean;
}

export interface ScreenUi {
  elements: UiElement[];
  /** Every node, numbered or not (for predicates and the foreground app). */
  all: UiElement[];
  rotation: number;
  /** The app in front: the package of the largest node that is not the system UI. */
  foreground: string;
}

interface XmlNode {
  [k: string]: unknown;
}

const EDIT_CLASSES = /EditText|AutoCompleteTextView|SearchView/;

function parseBounds(b: unknown): Bounds | undefined {
  const m = /^\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]$/.exec(String(b ?? ''));
  return m ? (m.slice(1).map(Number) as Bounds) : undefined;
}

/** Parses a `uiautomator dump` hierarchy. Throws a clear error when the text is not one. */
export function parseUiDump(xml: string): ScreenUi {
  const start = xml.indexOf('<?xml');
  const body = start >= 0 ? xml.slice(start) : xml.slice(Math.max(0, xml.indexOf('<hierarchy')));
  if (!/<hierarchy[\s>]/.test(body)) {
    throw new Error(`uiautomator dump gave no UI hierarchy: ${xml.trim().slice(0, 160) || '(empty output)'}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { XMLParser } = require('fast-xml-parser') as typeof import('fast-xml-parser');
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'node', processEntities: true, htmlEntities: true, parseAttributeValue: false });
  let doc: XmlNode;
  try {
    doc = parser.parse(body.slice(0, body.lastIndexOf('</hierarchy>') + '</hierarchy>'.length) || body) as XmlNode;
  } catch (err) {
    throw new Error(`the UI hierarchy is not valid XML: ${(err as Error).message}`);
  }
  const hierarchy = doc.hierarchy as XmlNode | undefined;
  if (!hierarchy || typeof hierarchy !== 'object') throw new Error('uiautomator dump gave no UI hierarchy');
  const all: UiElement[] = [];
  const walk = (n: XmlNode) => {
    const bounds = parseBounds(n.bounds);
    if (bounds) {
      const flag = (k: string) => n[k] === 'true';
      const className = String(n.class ?? '');
      all.push({
        index: 0, text: String(n.text ?? ''), resourceId: String(n['resource-id'] ?? ''), className, contentDesc: String(n['content-desc'] ?? ''),
        package: String(n.package ?? ''), bounds, clickable: flag('clickable'), longClickable: flag('long-clickable'), checkable: flag('checkable'), checked: flag('checked'),
        focusable: flag('focusable'), focused: flag('focused'), scrollable: flag('scrollable'), password: flag('password'), enabled: n.enabled !== 'false',
        editable: EDIT_CLASSES.test(className),
      });
    }
    for (const c of (n.node as XmlNode[] | undefined) ?? []) walk(c);
  };
  for (const c of (hierarchy.node as XmlNode[] | undefined) ?? []) walk(c);
  const elements: UiElement[] = [];
  for (const e of all) {
    const [l, t, r, b] = e.bounds;
    if (r - l <= 1 || b - t <= 1) continue;
    const actionable = e.clickable || e.longClickable || e.checkable || e.scrollable || e.editable;
    if (actionable || e.text.trim() || e.contentDesc.trim()) elements.push({ ...e, index: elements.length + 1 });
  }
  let foreground = '';
  let best = -1;
  for (const e of all) {
    const area = (e.bounds[2] - e.bounds[0]) * (e.bounds[3] - e.bounds[1]);
    if (e.package && e.package !== 'com.android.systemui' && area > best) {
      best = area;
      foreground = e.package;
    }
  }
  return { elements, all, rotation: Number(hierarchy.rotation ?? 0) || 0, foreground };
}

export function center(b: Bounds): { x: number; y: number } {
  return { x: Math.round((b[0] + b[2]) / 2), y: Math.round((b[1] + b[3]) / 2) };
}

/** The innermost node containing a point (for actions given as coordinates). */
export function elementAt(ui: ScreenUi, x: number, y: number): UiElement | undefined {
  let found: UiElement | undefined;
  for (const e of ui.all) {
    const [l, t, r, b] = e.bounds;
    if (x >= l && x < r && y >= t && y < b) found = e; // document order: later nodes are deeper or on top
  }
  return found;
}

/**
 * One line per element, for the model: `[3] Switch "Wi-Fi" id=switch_widget checked clickable (600,420)-(700,470)`.
 * Screen text is quoted and cut to a sane length; it is data for the model, never instructions.
 */
export function describeElements(elements: UiElement[], maxTextChars = 120): string {
  const q = (s: string) => JSON.stringify(s.length > maxTextChars ? `${s.slice(0, maxTextChars)}…` : s);
  return elements.map((e) => {
    const parts = [`[${e.index}]`, e.className.replace(/^.*\./, '') || 'View'];
    if (e.text) parts.push(e.password ? `text=${q('•'.repeat(e.text.length))}` : `text=${q(e.text)}`);
    if (e.contentDesc) parts.push(`desc=${q(e.contentDesc)}`);
    if (e.resourceId) parts.push(`id=${e.resourceId.replace(/^.*:id\//, '')}`);
    const flags = [e.clickable && 'clickable', e.longClickable && 'long-clickable', e.checkable && (e.checked ? 'checked' : 'unchecked'), e.editable && 'editable',
      e.password && 'password', e.focused && 'focused', e.scrollable && 'scrollable', !e.enabled && 'disabled'].filter(Boolean);
    parts.push(...(flags as string[]));
    parts.push(`(${e.bounds[0]},${e.bounds[1]})-(${e.bounds[2]},${e.bounds[3]})`);
    return parts.join(' ');
  }).join('\n');
}
