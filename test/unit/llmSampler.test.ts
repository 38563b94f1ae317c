import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SampleParser, clampHz, detectCurrentSign, isCharging, parseBatteryDump, parseTemperature, powerOf, samplerScript, zoneTempC,
} from '../../extension/core/llm/bench/sampler';
import { phoneCommandLine } from '../../extension/core/llm/bench/phoneExec';
import { runnerCommand } from '../../extension/core/llm/bench/cliRunners';
import { perfTestDims, modelRunDurations } from '../../extension/core/llm/bench/onnxPhone';
import { discoverDecoder } from '../../extension/core/llm/decoderRunner';
import { withPhone } from '../helpers/phoneShell';
import { waitFor } from '../helpers/adbServer';
import type { VirtualDevice } from '../../extension/core/virtualPhone/device';
import { Shell } from '../../extension/core/virtualPhone/sh/interp';
import { CaptureWriter, InStream, type Writer } from '../../extension/core/virtualPhone/sh/streams';
import { EMPTY } from '../../extension/core/virtualPhone/os/io';

/*
 * Test data in the real formats; where each fact comes from:
 * - sysfs power supply (Linux Documentation/ABI/testing/sysfs-class-power): current_now in µA, voltage_now in µV,
 *   one decimal integer and a newline. Pixels report discharge as negative current; many Samsung and older
 *   Qualcomm kernels report it positive, and a few report mA (Battery Historian and AccuBattery users' posts).
 * - sysfs thermal (Documentation/ABI/testing/sysfs-class-thermal): thermal_zoneN/temp in millidegrees Celsius,
 *   thermal_zoneN/type a name such as `cpu-1-0-usr`, `battery`, `skin-therm` (names from posted `cat` listings).
 * - cpufreq (Documentation/admin-guide/pm/cpufreq.rst): scaling_cur_freq in kHz.
 * - /proc/PID/status (fs/proc/task_mmu.c task_mem): `VmHWM:\t  123456 kB`, `VmRSS:\t …`.
 * - dumpsys thermalservice (frameworks/base services/core/java/com/android/server/power/ThermalManagerService.java,
 *   dump()): `Thermal Status: N`, then `Cached temperatures:` / `Current temperatures from HAL:` with one
 *   android.os.Temperature.toString() per line: `Temperature{mValue=…, mType=…, mName=…, mStatus=…}`.
 * - dumpsys battery (frameworks/base services/core/java/com/android/server/BatteryService.java dumpInternal):
 *   `Current Battery Service state:`, `(UPDATES STOPPED -- use 'reset' to restart)` after unplug/set,
 *   `  AC powered: false`, `  USB powered: true`, …, `  status: 2`, `  level: 78`.
 * The sampler's own line format (H/Z/C/S/T/E/X) is ours (samplerScript).
 */

const THERMAL_BLOCK = [
  'T 1764581000.200311',
  'Thermal Status: 1',
  '\tTemperature{mValue=38.5, mType=0, mName=cpu-1-0-usr, mStatus=0}',
  '\tTemperature{mValue=41.211, mType=3, mName=VIRTUAL-SKIN, mStatus=1}',
  '\tTemperature{mValue=33.0, mType=2, mName=battery, mStatus=0}',
  '\tTemperature{mValue=38.7, mType=0, mName=cpu-1-0-usr, mStatus=0}',
  'E',
].join('\n');

const LOOP_OUTPUT = [
  'H clock=epoch hz=5 every=5',
  'Z 0 cpu-1-0-usr',
  'Z 12 battery',
  'Z 40 skin-therm',
  'C 0 1 2 3 4 5 6 7',
  // A Pixel-like gauge: negative while discharging (µA, µV), zone temps in m°C, freqs in kHz.
  'S 1764581000.200311 i=-412000 v=4012000 z0=38500 z12=33000 z40=36125 f0=1401600 f1=1401600 f2=1401600 f3=1401600 f4=2419200 f5=2419200 f6=2419200 f7=2841600',
  THERMAL_BLOCK,
  // No runner yet; then the runner's pid and memory; a zone that disappeared (read failed → absent).
  'S 1764581000.401002 i=-1350000 v=3950000 z0=52000 z12=33100 f0=1804800 f1=1804800 f2=1804800 f3=1804800 f4=2841600 f5=2841600 f6=2841600 f7=3187200 pid=12345 rss=812340 hwm=901220',
  // A phone without a gauge in that pass (empty values) and an odd line in between.
  'S 1764581000.601500 i= v= z0=51000 pid=12345 rss= hwm=',
  'sh: something odd happened',
  'X',
].join('\n');

test('the parser reads the loop output split anywhere, merges the thermal block, skips odd lines', () => {
  for (const chunk of [1, 7, 64, 100000]) {
    const p = new SampleParser();
    const seen: number[] = [];
    p.onSample((s) => seen.push(s.t));
    for (let i = 0; i < LOOP_OUTPUT.length; i += chunk) p.feed(LOOP_OUTPUT.slice(i, i + chunk));
    p.end();
    assert.equal(p.header.clock, 'epoch');
    assert.deepEqual([...p.header.zones.entries()], [[0, 'cpu-1-0-usr'], [12, 'battery'], [40, 'skin-therm']]);
    assert.equal(p.samples.length, 3, `chunk ${chunk}`);
    assert.deepEqual(seen, [0, 200.7, 401.2]);
    const [a, b, c] = p.samples;
    assert.equal(a.currentUa, -412000);
    assert.equal(a.voltageUv, 4012000);
    assert.equal(a.tempC?.['cpu-1-0-usr'], 38.5);
    assert.equal(a.tempC?.['skin-therm'], 36.125);
    // The HAL block joined the sample with the same timestamp; a repeated name keeps the last (current) value.
    assert.equal(a.thermalStatus, 1);
    assert.equal(a.tempC?.['SKIN/VIRTUAL-SKIN'], 41.211);
    assert.equal(a.tempC?.['CPU/cpu-1-0-usr'], 38.7);
    assert.deepEqual(a.cpuFreqKhz, [1401600, 1401600, 1401600, 1401600, 2419200, 2419200, 2419200, 2841600]);
    assert.equal(b.pid, 12345);
    assert.equal(b.rssBytes, 812340 * 1024);
    assert.equal(b.hwmBytes, 901220 * 1024);
    assert.equal(b.tempC?.['skin-therm'], undefined, 'a missing zone is left out, not zero');
    assert.equal(c.currentUa, undefined);
    assert.equal(c.rssBytes, undefined);
    assert.equal(c.tempC?.['cpu-1-0-usr'], 51);
    assert.equal(p.oddCount, 1);
    assert.equal(p.lastStatus(), 1);
    assert.equal(p.ended, true);
  }
});

test('cpufreq per policy (related_cpus: cpufreq_show_cpus prints "0 1 2 3 "): expanded to every CPU', () => {
  const p = new SampleParser();
  // A Pixel 6-like layout: little 0-3, mid 4-5, big 6-7.
  p.feed('H clock=epoch hz=5 every=5\nP 0 0 1 2 3\nP 4 4 5\nP 6 6 7\nC\nS 10.000001 p0=300000 p4=1491000 p6=2802000\n');
  p.end();
  assert.deepEqual(p.header.cpus, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(p.samples[0].cpuFreqKhz, [300000, 300000, 300000, 300000, 1491000, 1491000, 2802000, 2802000]);
});

test('a thermal block cut short (dumpsys failed) does not swallow the next sample', () => {
  const p = new SampleParser();
  p.feed('H clock=uptime hz=4 every=4\nS 120.50 i=300000 v=3800000\nT 120.50\nCan\'t find service: thermalservice\nS 120.75 i=310000 v=3800000\n');
  p.end();
  assert.equal(p.header.clock, 'uptime');
  assert.equal(p.samples.length, 2);
  assert.equal(p.samples[1].t, 250);
  assert.equal(p.samples[0].thermalStatus, undefined);
});

test('temperatures: m°C, and the odd kernels that print °C or tenths', () => {
  assert.equal(zoneTempC(38500), 38.5);
  assert.equal(zoneTempC(-5000), -5);
  assert.equal(zoneTempC(385), 38.5);
  assert.equal(zoneTempC(38), 38);
  assert.deepEqual(parseTemperature('\tTemperature{mValue=29.5, mType=9, mName=npu, mStatus=0}'), { valueC: 29.5, type: 'NPU', name: 'npu', status: 0 });
  assert.equal(parseTemperature('\tTemperature{mValue=NaN, mType=3, mName=skin, mStatus=0}'), undefined);
  assert.equal(parseTemperature('CoolingDevice{mValue=0, mType=2, mName=cpufreq-0}'), undefined);
});

test('dumpsys battery: charging over USB, and the unplugged override', () => {
  const usb = parseBatteryDump('Current Battery Service state:\n  AC powered: false\n  USB powered: true\n  Wireless powered: false\n  Dock powered: false\n  Max charging current: 500000\n  status: 2\n  health: 2\n  present: true\n  level: 78\n  scale: 100\n  voltage: 4191\n');
  assert.equal(usb.usb, true);
  assert.equal(usb.status, 2);
  assert.equal(usb.level, 78);
  assert.equal(isCharging(usb), true);
  const off = parseBatteryDump("Current Battery Service state:\n  (UPDATES STOPPED -- use 'reset' to restart)\n  AC powered: false\n  USB powered: false\n  Wireless powered: false\n  status: 3\n  level: 77\n");
  assert.equal(off.updatesStopped, true);
  assert.equal(isCharging(off), false);
});

test('the gauge sign: detected idle, from the idle current and whether it was charging; mA gauges scaled', () => {
  const discharging = { updatesStopped: false, usb: false, ac: false, status: 3 };
  const charging = { updatesStopped: false, usb: true, status: 2 };
  assert.equal(detectCurrentSign([-410000, -395000, -420000], discharging).sign, 'discharge-negative'); // Pixel
  assert.equal(detectCurrentSign([380000, 402000, 390000], discharging).sign, 'discharge-positive'); // many Samsungs
  // Charging: the current's sign is the charge sign, so discharge is the other one.
  assert.equal(detectCurrentSign([250000, 260000], charging).sign, 'discharge-negative');
  assert.equal(detectCurrentSign([-250000, -240000], charging).sign, 'discharge-positive');
  const ma = detectCurrentSign([412, 398, 405], discharging);
  assert.equal(ma.sign, 'discharge-positive');
  assert.equal(ma.scale, 1000);
  assert.equal(detectCurrentSign([], discharging).sign, 'unknown');
  assert.equal(detectCurrentSign([0, 0, 0], discharging).sign, 'unknown');
  // Power: −1.35 A at 3.95 V on a Pixel-like gauge = 5.33 W drawn.
  const w = powerOf({ currentUa: -1350000, voltageUv: 3950000 }, { sign: 'discharge-negative', scale: 1, reason: '' });
  assert.ok(Math.abs((w ?? 0) - 5.3325) < 1e-9);
  assert.equal(powerOf({ currentUa: 405, voltageUv: 3950000 }, ma)! > 1.5, true);
  assert.equal(powerOf({ voltageUv: 3950000 }, ma), undefined);
});

test('the rate is kept within 4–10 Hz and the dumpsys read near 1 Hz', () => {
  assert.equal(clampHz(undefined), 5);
  assert.equal(clampHz(50), 10);
  assert.equal(clampHz(1), 4);
  assert.match(samplerScript({ dir: '/data/local/tmp/x', hz: 8 }), /n % 8/);
  assert.match(samplerScript({ dir: '/data/local/tmp/x', hz: 8 }), /sleep 0\.125/);
  assert.throws(() => samplerScript({ dir: "/data/local/tmp/x'; rm -rf /" }), /plain absolute phone path/);
});

/** Runs a line in the virtual phone's shell and hands its stdout to `onData` as it is written (as an adb shell stream does). */
async function streamLine(device: VirtualDevice, line: string, onData: (d: Buffer) => void): Promise<number> {
  const sh = new Shell({ device });
  const out: Writer = { gone: false, onGone: () => undefined, write: async (d) => onData(Buffer.from(d)) };
  const fds = { 0: InStream.of(EMPTY), 1: out, 2: new CaptureWriter() };
  try {
    const code = await sh.run(line, fds);
    await sh.finish(fds);
    return code;
  } finally {
    sh.dispose();
  }
}

test('the loop runs in the phone shell: samples with the clock, gauge, zones, cpufreq, thermal status; stops on the stop file', async () => {
  await withPhone(async (device, sh) => {
    const dir = '/data/local/tmp/samp';
    await sh(`mkdir -p ${dir}`);
    // A runner: its pid in the file the loop reads. It outlives the loop (killed below), however slow the loop is.
    await sh(`sleep 30 & echo $! > ${dir}/runner.pid`);
    const p = new SampleParser();
    const script = samplerScript({ dir, hz: 10, thermalHz: 5 });
    // The loop's output is parsed as it arrives; the stop file is touched once 3 samples (one with the thermal status) are in.
    const run = streamLine(device, `sh -c ${"'" + script.replace(/'/g, `'\\''`) + "'"}`, (d) => p.feed(d));
    await waitFor('3 samples from the loop', () => p.samples.length >= 3 && p.samples.some((x) => x.thermalStatus !== undefined), 30000);
    await sh(`touch ${dir}/stop`);
    await run;
    p.end();
    await sh(`kill $(cat ${dir}/runner.pid)`);
    assert.equal(p.ended, true, 'the loop printed its end marker after the stop file');
    assert.equal(p.header.clock, 'epoch', "mksh's $EPOCHREALTIME, which the virtual shell has as mksh does");
    assert.ok(p.samples.length >= 3, `${p.samples.length} samples`);
    const s = p.samples[p.samples.length - 1];
    assert.ok(s.currentUa !== undefined && s.voltageUv! > 3_000_000);
    assert.ok(Object.keys(s.tempC ?? {}).includes('virtual-cpu-big'));
    assert.equal(s.cpuFreqKhz?.length, 8);
    assert.ok(s.pid! > 0 && s.hwmBytes! > 0, 'the runner\'s VmHWM from /proc/PID/status');
    assert.ok(p.samples.some((x) => x.thermalStatus !== undefined));
    assert.ok(p.samples.every((x, i) => i === 0 || x.t > p.samples[i - 1].t));
    assert.equal(p.oddCount, 0, p.odd.join('\n'));
    // A shell without it (mksh before R51): the same loop, with the variable empty, reads /proc/uptime.
    await sh(`rm -f ${dir}/stop`);
    const q = new SampleParser();
    const older = script.replace(/\$EPOCHREALTIME/g, '$NO_EPOCHREALTIME_HERE');
    const again = streamLine(device, `sh -c ${"'" + older.replace(/'/g, `'\\''`) + "'"}`, (d) => q.feed(d));
    await waitFor('2 samples on the uptime clock', () => q.samples.length >= 2, 30000);
    await sh(`touch ${dir}/stop`);
    await again;
    q.end();
    assert.equal(q.header.clock, 'uptime');
    assert.ok(q.samples.length >= 2 && q.samples.every((x, i) => i === 0 || x.t > q.samples[i - 1].t), `${q.samples.length} samples on the uptime clock`);
  });
});

test('the runner command line: quoted arguments, pid file, exit status kept', () => {
  const line = phoneCommandLine({ cwd: '/data/local/tmp/llm/llama.cpp', env: { LD_LIBRARY_PATH: 'lib' }, argv: ['./bin/llama-bench', '-m', "/data/my model's.gguf", '-p', '512'] }, '/data/local/tmp/llm/run/runner.pid');
  assert.equal(line, "cd /data/local/tmp/llm/llama.cpp || exit 127; export LD_LIBRARY_PATH=lib; ./bin/llama-bench -m '/data/my model'\\''s.gguf' -p 512 & p=$!; echo $p > /data/local/tmp/llm/run/runner.pid; h=; d=0.01; while s=$(grep -e '^Name:' -e '^VmHWM:' /proc/$p/status 2>/dev/null); do set -- $s; [ \"$3\" = VmHWM: ] || break; [ \"$2\" = sh ] || { h=$4; d=0.1; }; sleep $d; done; wait $p; r=$?; [ -n \"$h\" ] && echo \"mobileai-runner-vmhwm-kb $h\" >&2; rm -f /data/local/tmp/llm/run/runner.pid; exit $r");
  assert.throws(() => phoneCommandLine({ env: { 'A;B': 'x' }, argv: ['x'] }), /bad environment variable/);
});

test('the runner line reads the runner\'s own VmHWM while it runs, even a run far shorter than a sampler period, and keeps its exit status', async () => {
  await withPhone(async (_d, sh) => {
    // A runner of 30 ms (a sampler period is 100–200 ms), as a script: its process is named after it, as on Linux.
    await sh("printf '#!/system/bin/sh\\nsleep 0.03\\nexit 3\\n' > /data/local/tmp/runner && chmod 755 /data/local/tmp/runner");
    const short = await sh(phoneCommandLine({ cwd: '/data/local/tmp', argv: ['./runner'] }, '/data/local/tmp/r.pid'));
    assert.equal(short.code, 3, 'the runner\'s exit status');
    const m = /^mobileai-runner-vmhwm-kb (\d+)$/m.exec(short.stderr);
    assert.ok(m && Number(m[1]) > 0, `marker on stderr: ${JSON.stringify(short.stderr)}`);
    assert.equal((await sh('ls /data/local/tmp/r.pid')).code, 1, 'the pid file is removed');
    // A runner that never starts (no such binary) gives no figure rather than a wrong one.
    const missing = await sh(phoneCommandLine({ argv: ['./no-such-runner'] }));
    assert.equal(missing.code, 127);
    assert.doesNotMatch(missing.stderr, /mobileai-runner-vmhwm-kb/);
  });
});

test('perf_test configurations from the decoder\'s dim names; unnamed sequence dims are refused with the reason', () => {
  const inputs = [
    { name: 'input_ids', type: 'int32', shape: ['batch_size', 'seq_len'] },
    { name: 'position_ids', type: 'int32', shape: ['batch_size', 'seq_len'] },
    { name: 'attention_mask', type: 'int32', shape: ['batch_size', 'total_seq_len'] },
    { name: 'past_0', type: 'float32', shape: [2, 'batch_size', 4, 'past_seq_len', 8] },
  ];
  const outputs = [{ name: 'logits', type: 'float32', shape: ['batch_size', 'seq_len', 1000] }, { name: 'present_0', type: 'float32', shape: [2, 'batch_size', 4, 'total_seq_len', 8] }];
  const sig = discoverDecoder(inputs, outputs);
  const d = perfTestDims(inputs, sig, 32, 16);
  assert.deepEqual(d.prefill, { batch_size: 1, seq_len: 32, past_seq_len: 1, total_seq_len: 33 });
  assert.deepEqual(d.decode, { batch_size: 1, seq_len: 1, past_seq_len: 40, total_seq_len: 41 });
  const unnamed = inputs.map((i) => (i.name === 'input_ids' ? { ...i, shape: ['batch_size', -1] } : i));
  assert.throws(() => perfTestDims(unnamed, discoverDecoder(unnamed, outputs), 32, 16), /free dimensions by name only.*input_ids dim 1/);
  // onnxruntime's profile: Session/model_run events in time order (µs) → ms.
  assert.deepEqual(modelRunDurations([{ cat: 'Session', name: 'model_run', ts: 20, dur: 900 }, { cat: 'Node', name: 'x', ts: 5, dur: 1 }, { cat: 'Session', name: 'model_run', ts: 10, dur: 4500 }]), [4.5, 0.9]);
  assert.deepEqual(modelRunDurations({}), []);
});

test('runners start as their docs say: llama-bench from DIR with lib/, model_benchmark -i -l -g -r, litert_lm_main --benchmark', () => {
  const o = { dir: '/data/local/tmp/mobileai/llm/x', model: '/data/local/tmp/mobileai/llm/models/m', promptTokens: 128, genTokens: 64, repetitions: 3, threads: 4 };
  const lb = phoneCommandLine(runnerCommand({ ...o, runner: 'llama-bench' }));
  assert.match(lb, /^cd \/data\/local\/tmp\/mobileai\/llm\/x \|\| exit 127; export LD_LIBRARY_PATH=lib; \.\/bin\/llama-bench -m \/data\/local\/tmp\/mobileai\/llm\/models\/m -p 128 -n 64 -t 4 -r 3 -o jsonl & p=\$!/);
  assert.deepEqual(runnerCommand({ ...o, runner: 'genai' }).argv, ['./model_benchmark', '-i', o.model, '-l', '128', '-g', '64', '-r', '3']);
  assert.deepEqual(runnerCommand({ ...o, runner: 'litert-lm' }).argv, ['./litert_lm_main', '--backend=cpu', `--model_path=${o.model}`, '--benchmark', '--benchmark_prefill_tokens=128', '--benchmark_decode_tokens=64', '--async=false']);
  assert.equal(runnerCommand({ ...o, runner: 'genai' }).env?.LD_LIBRARY_PATH, '.');
});
