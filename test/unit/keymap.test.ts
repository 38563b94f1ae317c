import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEYCODE, SHORTCUTS, mapKey, shortcutHelp } from '../../webview/screen/keymap';
import { isFromScreenWebview, isInputEvent } from '../../webview/screen/protocol';

// Key codes: android.view.KeyEvent (frameworks/base core/java/android/view/KeyEvent.java).
test('special keys become Android key events; Esc is Back', () => {
  const code = (key: string, mods: object = {}) => {
    const r = mapKey({ key, ...mods });
    return r.kind === 'keycode' ? r.code : r.kind;
  };
  assert.equal(code('Enter'), 66);
  assert.equal(code('Backspace'), 67);
  assert.equal(code('Delete'), 112);
  assert.equal(code('Tab'), 61);
  assert.equal(code('Escape'), 4);
  assert.deepEqual(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'].map((k) => code(k)), [19, 20, 21, 22]);
  assert.deepEqual(['Home', 'End', 'PageUp', 'PageDown'].map((k) => code(k)), [122, 123, 92, 93]);
  // Shift+Enter is still Enter on the phone.
  assert.equal(code('Enter', { shiftKey: true }), 66);
});

test('printable characters are text (batched by the panel), modifiers and IME composition are left alone', () => {
  assert.deepEqual(mapKey({ key: 'a' }), { kind: 'text' });
  assert.deepEqual(mapKey({ key: 'A', shiftKey: true }), { kind: 'text' });
  assert.deepEqual(mapKey({ key: ' ' }), { kind: 'text' });
  assert.deepEqual(mapKey({ key: 'é' }), { kind: 'text' });
  // Ctrl+V is the paste event's business; Ctrl+C, Ctrl+S… belong to the editor.
  assert.deepEqual(mapKey({ key: 'v', ctrlKey: true }), { kind: 'ignore' });
  assert.deepEqual(mapKey({ key: 'c', metaKey: true }), { kind: 'ignore' });
  // While an IME composes, keys (even Enter, which commits the composition) are not the phone's.
  assert.deepEqual(mapKey({ key: 'Enter', isComposing: true }), { kind: 'ignore' });
  assert.deepEqual(mapKey({ key: 'Process', keyCode: 229 }), { kind: 'ignore' });
  assert.deepEqual(mapKey({ key: 'Shift' }), { kind: 'ignore' });
  assert.deepEqual(mapKey({ key: 'F5' }), { kind: 'ignore' });
});

test("Alt shortcuts follow scrcpy's MOD shortcuts (doc/shortcuts.md)", () => {
  const r = (key: string) => mapKey({ key, altKey: true });
  assert.deepEqual(r('h'), { kind: 'keycode', code: KEYCODE.HOME });
  assert.deepEqual(r('H'), { kind: 'keycode', code: KEYCODE.HOME }, 'with Caps Lock too');
  assert.deepEqual(r('b'), { kind: 'keycode', code: KEYCODE.BACK });
  assert.deepEqual(r('Backspace'), { kind: 'keycode', code: KEYCODE.BACK });
  assert.deepEqual(r('s'), { kind: 'keycode', code: 187 });
  assert.deepEqual(r('p'), { kind: 'keycode', code: 26 });
  assert.deepEqual(r('ArrowUp'), { kind: 'keycode', code: 24 });
  assert.deepEqual(r('ArrowDown'), { kind: 'keycode', code: 25 });
  assert.deepEqual(r('r'), { kind: 'action', action: 'rotate' });
  assert.deepEqual(r('f'), { kind: 'action', action: 'fullscreen' });
  assert.deepEqual(r('c'), { kind: 'action', action: 'copy' });
  assert.deepEqual(r('v'), { kind: 'action', action: 'paste' });
  assert.deepEqual(r('q'), { kind: 'ignore' }, 'an unknown Alt key is not sent');
  assert.deepEqual(mapKey({ key: 'h', altKey: true, ctrlKey: true }), { kind: 'ignore' }, 'Ctrl+Alt is not MOD');
  // The tooltip names every shortcut.
  for (const s of SHORTCUTS) assert.ok(shortcutHelp().includes(`${s.label}: ${s.does}`), s.label);
});

test('the host takes only the key codes the keymap sends, and text without line breaks', () => {
  assert.equal(isInputEvent({ action: 'keycode', code: 66 }), true);
  assert.equal(isInputEvent({ action: 'keycode', code: 26 }), true);
  assert.equal(isInputEvent({ action: 'keycode', code: 223 }), false, 'KEYCODE_SLEEP is not a key the panel sends');
  assert.equal(isInputEvent({ action: 'keycode', code: '66' }), false);
  assert.equal(isInputEvent({ action: 'text', text: 'a\nb' }), false);
  assert.equal(isInputEvent({ action: 'text', text: '' }), false);
  assert.equal(isInputEvent({ action: 'text', text: `'; rm -rf / $(x) "` }), true, 'any printable text is fine: it is quoted, never interpreted');
  assert.equal(isFromScreenWebview({ type: 'rotate' }), true);
  assert.equal(isFromScreenWebview({ type: 'rotate', to: 3 }), false);
  assert.equal(isFromScreenWebview({ type: 'paste', text: 'x'.repeat(100_001) }), false);
  assert.equal(isFromScreenWebview({ type: 'dropStart', id: 'a1', name: 'app.apk', size: 10 }), true);
  assert.equal(isFromScreenWebview({ type: 'dropStart', id: 'a1', name: '../x.apk', size: 10 }), false, 'no paths in a dropped name');
  assert.equal(isFromScreenWebview({ type: 'dropStart', id: 'a/1', name: 'x', size: 10 }), false);
  assert.equal(isFromScreenWebview({ type: 'dropChunk', id: 'a1', index: 0, data: [1, 2] }), false, 'chunks are bytes');
  assert.equal(isFromScreenWebview({ type: 'dropChunk', id: 'a1', index: 0, data: new Uint8Array(4) }), true);
  assert.equal(isFromScreenWebview({ type: 'dropUris', uris: [] }), false);
});
