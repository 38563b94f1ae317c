import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { withPhone } from '../helpers/phoneShell';
import { thermalOf } from '../../extension/core/virtualPhone/os/thermal';
import type { VirtualDevice } from '../../extension/core/virtualPhone/device';

/** The model on a clock the test moves. */
function clocked(device: VirtualDevice): { advance(ms: number): void } {
  let t = 1_700_000_000_000;
  thermalOf(device).configure({ now: () => t });
  return { advance: (ms) => { t += ms; } };
}

async function num(sh: (line: string) => Promise<{ stdout: string; code: number }>, path: string): Promise<number> {
  const r = await sh(`cat ${path}`);
  assert.equal(r.code, 0, path);
  assert.match(r.stdout, /^-?\d+\n$/, path);
  return Number(r.stdout);
}

const BIG_TEMP = '/sys/class/thermal/thermal_zone1/temp';
const BIG_FREQ = '/sys/devices/system/cpu/cpu4/cpufreq/scaling_cur_freq';

test('sysfs: battery gauge, thermal zones named virtual-*, cpufreq limits of a big.LITTLE phone', async () => {
  await withPhone(async (device, sh) => {
    clocked(device);
    const types = await sh('for z in /sys/class/thermal/thermal_zone*; do echo $(cat $z/type) $(cat $z/temp); done');
    const rows = types.stdout.trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(rows.map((r) => r[0]), ['virtual-cpu-little', 'virtual-cpu-big', 'virtual-gpu', 'virtual-skin', 'virtual-battery']);
    for (const [, t] of rows) assert.ok(Number(t) > 20_000 && Number(t) < 40_000, `idle m°C ${t}`);
    assert.equal((await sh('cat /sys/devices/system/cpu/online')).stdout, '0-7\n');
    assert.equal(await num(sh, '/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'), 1_800_000);
    assert.equal(await num(sh, '/sys/devices/system/cpu/cpu7/cpufreq/scaling_max_freq'), 2_850_000);
    assert.equal(await num(sh, '/sys/devices/system/cpu/cpu7/cpufreq/scaling_min_freq'), 500_000);
    const idleFreq = await num(sh, BIG_FREQ);
    assert.ok(idleFreq >= 500_000 && idleFreq < 1_000_000, `idle kHz ${idleFreq}`);
    assert.equal((await sh('cat /sys/class/power_supply/battery/model_name')).stdout, 'virtual-battery (modelled, not measured)\n');
    assert.equal(await num(sh, '/sys/class/power_supply/battery/capacity'), 85);
    // Plugged into USB at boot: charging, so the current is positive.
    assert.equal((await sh('cat /sys/class/power_supply/battery/status')).stdout, 'Charging\n');
    assert.ok(await num(sh, '/sys/class/power_supply/battery/current_now') > 0);
    const uv = await num(sh, '/sys/class/power_supply/battery/voltage_now');
    assert.ok(uv > 3_500_000 && uv < 4_500_000, `µV ${uv}`);
    assert.ok(await num(sh, '/sys/class/power_supply/battery/temp') > 200);
    assert.equal((await sh('[ -f /sys/class/power_supply/battery/current_now ] && [ -d /sys/class/thermal/thermal_zone0 ] && echo ok')).stdout, 'ok\n');
    assert.equal((await sh('ls /sys/class/thermal')).stdout.split(/\s+/).filter(Boolean).length, 5);
    assert.notEqual((await sh('cat /sys/class/thermal/thermal_zone9/temp')).code, 0);
  });
});

test('dumpsys thermalservice: Android 14 layout, virtual zone names, status 0 at rest', async () => {
  await withPhone(async (device, sh) => {
    clocked(device);
    const out = (await sh('dumpsys thermalservice')).stdout;
    for (const line of ['IsStatusOverride: false', 'ThermalEventListeners:', 'Thermal Status: 0', 'Cached temperatures:', 'HAL Ready: true', 'HAL connection:', '\tThermalHAL AIDL 1  connected: yes']) {
      assert.ok(out.split('\n').includes(line), line);
    }
    const temps = [...out.matchAll(/^\tTemperature\{mValue=(-?[\d.]+), mType=(\d), mName=([\w-]+), mStatus=(\d)\}$/gm)];
    assert.equal(temps.length, 10); // cached and current
    assert.ok(temps.every((m) => m[3].startsWith('virtual-') && m[4] === '0' && /\./.test(m[1])));
    assert.deepEqual(temps.slice(0, 5).map((m) => Number(m[2])), [0, 0, 1, 3, 2]);
    assert.match((await sh('dumpsys -l')).stdout, /\n {2}thermalservice\n/);
    // other services still answer
    assert.match((await sh('dumpsys window')).stdout, /mCurrentFocus/);
    assert.match((await sh('dumpsys package com.android.settings')).stdout, /Packages:/);
  });
});

test('sustained load heats the phone, throttles the big cores and raises the status; it cools after', async () => {
  await withPhone(async (device, sh) => {
    const clock = clocked(device);
    const t0 = await num(sh, BIG_TEMP);
    const runner = device.procs.spawn('llama-bench', ['./bin/llama-bench', '-m', 'm.gguf', '-t', '8']);
    clock.advance(5_000);
    const early = { temp: await num(sh, BIG_TEMP), freq: await num(sh, BIG_FREQ) };
    assert.ok(early.temp > t0 + 10_000, `heats: ${t0} -> ${early.temp}`);
    assert.equal(early.freq, 2_850_000, 'the governor runs the big cores flat out before it is hot');
    for (let i = 0; i < 20; i++) clock.advance(30_000);
    const late = { temp: await num(sh, BIG_TEMP), freq: await num(sh, BIG_FREQ), skin: await num(sh, '/sys/class/thermal/thermal_zone3/temp') };
    assert.ok(late.freq < early.freq * 0.95, `throttled: ${early.freq} -> ${late.freq}`);
    assert.ok(late.skin > 40_000, `skin ${late.skin}`);
    const hot = (await sh('dumpsys thermalservice')).stdout;
    const status = Number(/^Thermal Status: (\d)$/m.exec(hot)?.[1]);
    assert.ok(status >= 1 && status <= 6, `status ${status}`);
    assert.match(hot, /mName=virtual-skin, mStatus=[1-6]\}/);
    // the charger cannot keep up with the load: the gauge goes negative even plugged in
    assert.ok(await num(sh, '/sys/class/power_supply/battery/current_now') < 0);

    device.procs.exit(runner.pid);
    clock.advance(20 * 60_000);
    const cool = await num(sh, BIG_TEMP);
    assert.ok(cool < t0 + 2_000, `cools back: ${cool} vs ${t0}`);
    assert.ok(await num(sh, BIG_FREQ) < 1_000_000);
    assert.match((await sh('dumpsys thermalservice')).stdout, /^Thermal Status: 0$/m);
  });
});

test('addLoad (a runner hook) and stopped processes: only working cores count', async () => {
  await withPhone(async (device) => {
    const clock = clocked(device);
    const model = thermalOf(device);
    const idle = model.snapshot();
    const release = model.addLoad(4);
    clock.advance(10_000);
    const busy = model.snapshot();
    assert.ok(busy.load > idle.load + 3.9);
    assert.ok(busy.powerW > idle.powerW + 2);
    release();
    const p = device.procs.spawn('onnxruntime_perf_test', ['onnxruntime_perf_test', '-x', '2', 'model.onnx']);
    assert.ok(Math.abs(model.snapshot().load - idle.load - 2) < 0.01);
    device.procs.kill(p.pid, 19);
    assert.ok(Math.abs(model.snapshot().load - idle.load) < 0.01);
  });
});

test('dumpsys battery unplug / set level / reset; discharge is a negative current_now', async () => {
  await withPhone(async (device, sh) => {
    const clock = clocked(device);
    assert.equal((await sh('dumpsys battery unplug')).code, 0);
    const d = (await sh('dumpsys battery')).stdout;
    assert.match(d, /^ {2}\(UPDATES STOPPED -- use 'reset' to restart\)$/m);
    assert.match(d, /^ {2}USB powered: false$/m);
    assert.match(d, /^ {2}status: 3$/m);
    assert.equal((await sh('cat /sys/class/power_supply/battery/status')).stdout, 'Discharging\n');
    const idleUa = await num(sh, '/sys/class/power_supply/battery/current_now');
    assert.ok(idleUa < 0, `discharging is negative: ${idleUa}`);
    const release = thermalOf(device).addLoad(6);
    clock.advance(2_000);
    const busyUa = await num(sh, '/sys/class/power_supply/battery/current_now');
    assert.ok(busyUa < idleUa * 2, `more drain under load: ${idleUa} -> ${busyUa}`);
    release();

    await sh('dumpsys battery set level 42');
    assert.equal(await num(sh, '/sys/class/power_supply/battery/capacity'), 42);
    assert.match((await sh('dumpsys battery')).stdout, /^ {2}level: 42$/m);
    assert.equal(device.phone.battery.level, 42);
    assert.match((await sh('dumpsys battery set bogus 1')).stdout, /Unknown set option: bogus/);

    assert.equal((await sh('dumpsys battery reset')).code, 0);
    const r = (await sh('dumpsys battery')).stdout;
    assert.doesNotMatch(r, /UPDATES STOPPED/);
    assert.match(r, /^ {2}USB powered: true$/m);
    assert.match(r, /^ {2}level: 85$/m);
    assert.ok(await num(sh, '/sys/class/power_supply/battery/current_now') > 0);
    assert.equal((await sh('dumpsys battery set -f ac 1')).stdout.trim().length > 0, true);
    assert.match((await sh('dumpsys battery')).stdout, /^ {2}AC powered: true$/m);
  });
});
