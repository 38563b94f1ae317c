/**
 * The screen panel's keyboard: browser key events → what the phone gets. Pure (no DOM), shared by the
 * webview and the host's validator, unit-tested.
 *
 * Key codes are Android's (android.view.KeyEvent KEYCODE_*). Shortcuts follow scrcpy's (doc/shortcuts.md):
 * its MOD key is left Alt or left Super; here it is Alt, since the editor keeps Super/Cmd for itself.
 */

/** android.view.KeyEvent codes the panel sends. */
export const KEYCODE = {
  HOME: 3, BACK: 4, DPAD_UP: 19, DPAD_DOWN: 20, DPAD_LEFT: 21, DPAD_RIGHT: 22, VOLUME_UP: 24, VOLUME_DOWN: 25,
  POWER: 26, TAB: 61, ENTER: 66, DEL: 67, MENU: 82, PAGE_UP: 92, PAGE_DOWN: 93, ESCAPE: 111, FORWARD_DEL: 112,
  MOVE_HOME: 122, MOVE_END: 123, INSERT: 124, APP_SWITCH: 187, PASTE: 279,
} as const;

export const ALLOWED_KEYCODES: ReadonlySet<number> = new Set(Object.values(KEYCODE));

/** The parts of a KeyboardEvent the mapping reads. */
export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  isComposing?: boolean;
  /** 229 while an IME is composing (Chromium). */
  keyCode?: number;
}

export type PanelAction = 'rotate' | 'fullscreen' | 'copy' | 'paste';

export type KeyResult =
  /** A key event on the phone (`input keyevent CODE`). */
  | { kind: 'keycode'; code: number }
  /** A panel action (rotate, fullscreen, clipboard). */
  | { kind: 'action'; action: PanelAction }
  /** A character typed: batched into `input text` by the caller (from the textarea's input event). */
  | { kind: 'text' }
  /** Not for the phone: let the browser/editor have it (IME composing, editor shortcuts). */
  | { kind: 'ignore' };

/** Plain keys (no modifier, or Shift) that are key events on the phone. Escape is Back, as on scrcpy's right-click. */
const SPECIAL: Record<string, number> = {
  Enter: KEYCODE.ENTER, Backspace: KEYCODE.DEL, Delete: KEYCODE.FORWARD_DEL, Tab: KEYCODE.TAB, Escape: KEYCODE.BACK,
  ArrowUp: KEYCODE.DPAD_UP, ArrowDown: KEYCODE.DPAD_DOWN, ArrowLeft: KEYCODE.DPAD_LEFT, ArrowRight: KEYCODE.DPAD_RIGHT,
  Home: KEYCODE.MOVE_HOME, End: KEYCODE.MOVE_END, PageUp: KEYCODE.PAGE_UP, PageDown: KEYCODE.PAGE_DOWN, Insert: KEYCODE.INSERT,
};

export interface Shortcut {
  /** KeyboardEvent.key (lower case for letters). */
  key: string;
  label: string;
  does: string;
  result: KeyResult;
}

/** Alt+… shortcuts, after scrcpy's MOD+… (same letters). */
export const SHORTCUTS: readonly Shortcut[] = [
  { key: 'b', label: 'Alt+B', does: 'Back', result: { kind: 'keycode', code: KEYCODE.BACK } },
  { key: 'Backspace', label: 'Alt+Backspace', does: 'Back', result: { kind: 'keycode', code: KEYCODE.BACK } },
  { key: 'h', label: 'Alt+H', does: 'Home', result: { kind: 'keycode', code: KEYCODE.HOME } },
  { key: 's', label: 'Alt+S', does: 'Recent apps', result: { kind: 'keycode', code: KEYCODE.APP_SWITCH } },
  { key: 'm', label: 'Alt+M', does: 'Menu', result: { kind: 'keycode', code: KEYCODE.MENU } },
  { key: 'p', label: 'Alt+P', does: 'Power', result: { kind: 'keycode', code: KEYCODE.POWER } },
  { key: 'ArrowUp', label: 'Alt+↑', does: 'Volume up', result: { kind: 'keycode', code: KEYCODE.VOLUME_UP } },
  { key: 'ArrowDown', label: 'Alt+↓', does: 'Volume down', result: { kind: 'keycode', code: KEYCODE.VOLUME_DOWN } },
  { key: 'r', label: 'Alt+R', does: 'Rotate the phone', result: { kind: 'action', action: 'rotate' } },
  { key: 'f', label: 'Alt+F', does: 'Fullscreen', result: { kind: 'action', action: 'fullscreen' } },
  { key: 'c', label: 'Alt+C', does: "Copy the phone's clipboard to the computer", result: { kind: 'action', action: 'copy' } },
  { key: 'v', label: 'Alt+V', does: "Paste the computer's clipboard on the phone", result: { kind: 'action', action: 'paste' } },
];

/** What a keydown on the focused panel means. Ctrl+V / Cmd+V is 'ignore' here: the paste event carries the text. */
export function mapKey(e: KeyLike): KeyResult {
  if (e.isComposing || e.keyCode === 229) return { kind: 'ignore' };
  if (e.altKey && !e.ctrlKey && !e.metaKey) {
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const s = SHORTCUTS.find((x) => x.key === k);
    return s ? s.result : { kind: 'ignore' };
  }
  if (e.ctrlKey || e.metaKey) return { kind: 'ignore' };
  const code = SPECIAL[e.key];
  if (code !== undefined) return { kind: 'keycode', code };
  if ([...e.key].length === 1) return { kind: 'text' };
  return { kind: 'ignore' };
}

/** The tooltip that says which keys do what. */
export function shortcutHelp(): string {
  const keys = 'Typing goes to the phone when the screen has focus (click it). Enter, Backspace, Delete, Tab, arrows, Home/End, Page Up/Down are keys on the phone; Esc is Back; Ctrl+V pastes.';
  return `${keys}\n${SHORTCUTS.map((s) => `${s.label}: ${s.does}`).join('\n')}`;
}
