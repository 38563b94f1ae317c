import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SECTION, parseBattery, parseDevicesL, parseGetprop, parseInfoOutput, parseMemTotal, parseWmDensity, parseWmSize, socOf, stateHint, summarize,
} from '../../extension/core/adb/deviceInfo';

test('getprop output parses, including values with spaces, brackets and CRLF', () => {
  const p = parseGetprop('[ro.product.model]: [Pixel 8 Pro]\r\n[ro.build.version.sdk]: [34]\n[weird]: [a [b] c]\n[empty]: []\ngarbage line\n');
  assert.equal(p.get('ro.product.model'), 'Pixel 8 Pro');
  assert.equal(p.get('ro.build.version.sdk'), '34');
  assert.equal(p.get('weird'), 'a [b] c');
  assert.equal(p.get('empty'), '');
  assert.equal(p.size, 4);
});

test('SoC comes from ro.soc.* and falls back to the board platform, then the hardware', () => {
  assert.equal(socOf(new Map([['ro.soc.manufacturer', 'Qualcomm'], ['ro.soc.model', 'SM8650'], ['ro.board.platform', 'pineapple']])).label, 'Qualcomm SM8650');
  assert.equal(socOf(new Map([['ro.board.platform', 'exynos9825'], ['ro.hardware', 'exynos9825']])).label, 'exynos9825');
  assert.equal(socOf(new Map([['ro.hardware', 'qcom']])).label, 'qcom');
  assert.equal(socOf(new Map()).label, undefined);
});

test('wm size prefers the override (what apps see); density likewise', () => {
  assert.deepEqual(parseWmSize('Physical size: 1440x3120\nOverride size: 1080x2340\n'), { width: 1080, height: 2340, physicalWidth: 1440, physicalHeight: 3120 });
  assert.deepEqual(parseWmSize('Physical size: 720x1600'), { width: 720, height: 1600, physicalWidth: 720, physicalHeight: 1600 });
  assert.equal(parseWmSize('Error: no display'), undefined);
  assert.equal(parseWmDensity('Physical density: 560\nOverride density: 480'), 480);
});

test('battery and meminfo parse from real-looking output', () => {
  const b = parseBattery('Current Battery Service state:\n  AC powered: false\n  USB powered: true\n  status: 5\n  level: 180\n  scale: 200\n  temperature: 315\n');
  assert.deepEqual(b, { level: 90, status: 'full', temperatureC: 31.5, plugged: 'usb' });
  assert.equal(parseBattery('nothing here'), undefined);
  assert.equal(parseMemTotal('MemTotal:        7812340 kB\nMemFree: 1 kB'), 7812340 * 1024);
  assert.equal(parseMemTotal('/proc/meminfo: Permission denied'), undefined);
});

test('devices -l lines parse, including "no permissions" states with spaces', () => {
  const list = parseDevicesL([
    'List of devices attached',
    '0123456789ABCDEF       device usb:1-1 product:husky model:Pixel_8_Pro device:husky transport_id:3',
    '192.168.1.20:5555      offline transport_id:4',
    'R58M123               no permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html] usb:1-2 transport_id:5',
    'emulator-5554 unauthorized transport_id:6',
    '',
  ].join('\n'));
  assert.deepEqual(list.map((d) => [d.serial, d.state, d.transport, d.model, d.transportId]), [
    ['0123456789ABCDEF', 'device', 'usb', 'Pixel_8_Pro', 3],
    ['192.168.1.20:5555', 'offline', 'tcp', undefined, 4],
    ['emulator-5554', 'unauthorized', 'emulator', undefined, 6],
    ['R58M123', 'no permissions', 'usb', undefined, 5],
  ]);
  for (const d of list.filter((x) => x.state !== 'device')) assert.ok(d.hint && d.hint.length > 20, `a hint for ${d.state}`);
});

test('each non-ready state tells the user what to do', () => {
  assert.equal(stateHint('device'), undefined);
  assert.match(stateHint('unauthorized') ?? '', /Allow USB debugging/);
  assert.match(stateHint('offline') ?? '', /[Rr]econnect/);
  assert.equal(summarize('x', 'weird-state').state, 'unknown');
});

test('the one-shot info output parses even when sections are missing or odd', () => {
  const out = ['[ro.product.model]: [Galaxy Note10]', '[ro.product.manufacturer]: [samsung]', '[ro.build.version.release]: [12]', '[ro.build.version.sdk]: [31]', '[ro.product.cpu.abilist]: [arm64-v8a,armeabi-v7a,armeabi]', '[ro.board.platform]: [exynos9825]', '[ro.sf.lcd_density]: [420]', SECTION, 'MemTotal: 7612340 kB', SECTION, 'cmd: Failure calling service window', SECTION, '', SECTION, ''].join('\n');
  const i = parseInfoOutput(summarize('R58M', 'device'), out);
  assert.equal(i.model, 'Galaxy Note10');
  assert.equal(i.sdk, 31);
  assert.deepEqual(i.abis, ['arm64-v8a', 'armeabi-v7a', 'armeabi']);
  assert.equal(i.soc.label, 'exynos9825');
  assert.equal(i.ramBytes, 7612340 * 1024);
  assert.equal(i.screen, undefined);
  assert.equal(i.battery, undefined);
  assert.equal(i.virtual, false);
  const empty = parseInfoOutput(summarize('x', 'device'), '');
  assert.deepEqual(empty.abis, []);
  assert.equal(empty.model, undefined);
});
