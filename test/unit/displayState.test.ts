import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDisplayState } from '../../extension/core/screen/display';

// Shaped like `dumpsys display` on Android 13 (Pixel 6): the base info keeps the natural size, the
// logical display's override info carries the turned size and the rotation.
const ANDROID_13 = `DISPLAY MANAGER (dumpsys display)
  mOnlyCode=false
Display Devices: size=1
  DisplayDeviceInfo{"Built-in Screen": uniqueId="local:4619827259835644672", 1080 x 2400, modeId 1, defaultModeId 1, supportedModes [{id=1, width=1080, height=2400, fps=90.0}], density 420, rotation 0, type INTERNAL}
Logical Displays: size=1
  Display 0:
    mDisplayId=0
    mBaseDisplayInfo=DisplayInfo{"Built-in Screen", displayId 0", displayGroupId 0, FLAG_SECURE, FLAG_SUPPORTS_PROTECTED_BUFFERS, FLAG_TRUSTED, real 1080 x 2400, largest app 1080 x 2400, smallest app 1080 x 2400, appVsyncOff 7500000, presDeadline 11111111, mode 1, defaultMode 1, modes [{id=1, width=1080, height=2400, fps=90.0}], rotation 0, state ON}
    mOverrideDisplayInfo=DisplayInfo{"Built-in Screen", displayId 0", displayGroupId 0, FLAG_SECURE, real 2400 x 1080, largest app 2400 x 2400, smallest app 1080 x 1080, appVsyncOff 7500000, presDeadline 11111111, mode 1, defaultMode 1, rotation 1, state ON}
`;

test('the turned size and rotation come from the logical display, not the panel', () => {
  assert.deepEqual(parseDisplayState(ANDROID_13), { width: 2400, height: 1080, rotation: 1 });
});

test('without an override, the base info is used', () => {
  assert.deepEqual(parseDisplayState(ANDROID_13.replace(/ {4}mOverrideDisplayInfo.*\n/, '')), { width: 1080, height: 2400, rotation: 0 });
});

test('odd output gives no display state rather than a wrong one', () => {
  assert.equal(parseDisplayState(''), undefined);
  assert.equal(parseDisplayState('Can\'t find service: display'), undefined);
  assert.equal(parseDisplayState('mBaseDisplayInfo=DisplayInfo{real 0 x 0, rotation 0}'), undefined);
  assert.equal(parseDisplayState('mBaseDisplayInfo=DisplayInfo{real 10 x 20, rotation 9}'), undefined);
});
