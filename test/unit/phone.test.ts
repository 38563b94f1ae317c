import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PROFILE, NOTES_PKG, PhoneState, SETTINGS_PKG, KEYCODES } from '../../extension/core/virtualPhone/phone';
import { walk, type UiNode } from '../../extension/core/virtualPhone/ui';

function find(root: UiNode, pred: (n: UiNode) => boolean): UiNode {
  for (const n of walk(root)) if (pred(n)) return n;
  throw new Error('node not found');
}
const center = (n: UiNode) => [(n.bounds[0] + n.bounds[2]) / 2, (n.bounds[1] + n.bounds[3]) / 2] as const;

test('the launcher opens apps; back and home return', () => {
  const p = new PhoneState({ ...DEFAULT_PROFILE });
  const icon = find(p.tree(), (n) => n.text === 'Settings' && n.pkg === 'com.android.launcher3');
  p.tap(...center(icon));
  assert.equal(p.foreground, SETTINGS_PKG);
  p.key(KEYCODES.BACK);
  assert.equal(p.foreground, 'com.android.launcher3');
  p.launch(NOTES_PKG);
  p.key(KEYCODES.HOME);
  assert.equal(p.foreground, 'com.android.launcher3');
});

test('a tap on a settings row flips its switch, and the dump shows it', () => {
  const p = new PhoneState({ ...DEFAULT_PROFILE });
  p.launch(SETTINGS_PKG);
  const sw = () => find(p.tree(), (n) => n.cls === 'android.widget.Switch' && n.contentDesc === 'Bluetooth');
  assert.equal(sw().checked, false);
  assert.match(p.uiXml(), /content-desc="Bluetooth" checkable="true" checked="false"/);
  p.tap(...center(sw()));
  assert.equal(sw().checked, true);
  assert.match(p.uiXml(), /content-desc="Bluetooth" checkable="true" checked="true"/);
  assert.match(p.svg(), /fill="#1a73e8"/);
});

test('notes: focus the field, type, save; the list shows the note', () => {
  const p = new PhoneState({ ...DEFAULT_PROFILE });
  p.launch(NOTES_PKG);
  p.typeText('ignored: nothing focused');
  assert.equal(p.noteDraft, '');
  p.tap(...center(find(p.tree(), (n) => n.resourceId === `${NOTES_PKG}:id/note_input`)));
  p.typeText('buy milk <&>');
  p.key(KEYCODES.DEL);
  assert.equal(p.noteDraft, 'buy milk <&');
  p.tap(...center(find(p.tree(), (n) => n.text === 'Save')));
  assert.deepEqual(p.notes, ['buy milk <&']);
  assert.match(p.uiXml(), /text="buy milk &lt;&amp;"/);
  assert.doesNotThrow(() => p.svg());
});

test('the dump has the uiautomator shape: hierarchy, nodes with bounds', () => {
  const xml = new PhoneState({ ...DEFAULT_PROFILE }).uiXml();
  assert.match(xml, /^<\?xml version='1.0' encoding='UTF-8' standalone='yes' \?><hierarchy rotation="0"><node index="0" text="" resource-id="" class="android.widget.FrameLayout"/);
  assert.match(xml, /bounds="\[0,0\]\[720,1600\]"/);
  assert.match(xml, /<\/hierarchy>$/);
});
