/**
 * `mobileai llm bench` end to end: the built CLI, the real adb server (Debian's adb), the virtual phone, the shared
 * GPT-2 decoder with a KV cache. Checks what a user reads in the record: rates, time to first token, memory,
 * energy per token from the (virtual) gauge, the thermal series; a Ctrl-C mid-run leaves a readable record and the
 * battery reset; a llama-bench run through a stand-in script that prints llama-bench's real JSONL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, copyFile, chmod, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { AdbService } from '../../extension/core/adb/adbService';
import { thermalOf } from '../../extension/core/virtualPhone/os/thermal';
import { listRuns, readRun } from '../../extension/core/llm/runStore';
import { describeLlmRun, type LlmRunRecord } from '../../extension/core/llm/runRecord';
import { startPhoneOverAdb, type PhoneOverAdb } from '../helpers/phoneAdb';

const root = path.resolve(__dirname, '..', '..');
const GPT2 = path.resolve(root, '..', 'shared', 'data', 'models', 'tiny-random-gpt2-fp32-past.onnx');
const FIX = path.join(__dirname, '..', 'fixtures', 'llm', 'bench');
let pa: PhoneOverAdb;
let tmp: string;
let adb: AdbService;
let phone: PhoneOverAdb['phone'];
let server: PhoneOverAdb['server'];

before(async () => {
  pa = await startPhoneOverAdb();
  ({ tmp, phone, server } = pa);
  adb = new AdbService({ serverPort: server.port }, { env: server.env });
});

after(async () => {
  await pa?.stop();
});

function cli(args: string[], opts: { interruptAfter?: (stderr: string) => boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(root, 'bin', 'mobileai.js'), ...args], { env: server.env, cwd: tmp });
    let stdout = '';
    let stderr = '';
    let sent = false;
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && opts.interruptAfter?.(stderr)) {
        sent = true;
        c.kill('SIGINT');
      }
    });
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const pluggedNow = () => thermalOf(phone.device).snapshot().battery.plugged;

test('llm bench (onnx runner) on the virtual phone: every metric present and plausible, battery reset after --unplug', async () => {
  const runs = path.join(tmp, 'runs-a');
  assert.notEqual(pluggedNow(), 0, 'the virtual phone starts on USB power');
  const r = await cli(['llm', 'bench', GPT2, '--device', phone.address, '--runner', 'onnx', '-p', '64', '-n', '160', '-r', '2', '-t', '1', '--hz', '10', '--unplug', '--runs-dir', runs, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /repetition 2\/2/, 'progress goes to stderr');
  const rec = JSON.parse(r.stdout) as LlmRunRecord;
  assert.equal(rec.status, 'complete');
  assert.equal(rec.device.kind, 'virtual-phone');
  assert.equal(rec.phone?.serial, phone.address);
  assert.equal(rec.phone?.virtual, true);
  assert.ok(rec.notes.some((n) => /onnxruntime-node on the host CPU/.test(n)), 'says where it really ran');
  assert.equal(rec.promptTokens, 64);
  assert.equal(rec.genTokens, 160);
  assert.equal(rec.threads, 1);
  // Rates, TTFT, per-token timeline.
  assert.ok(rec.prefill && rec.prefill.mean > 0 && rec.prefill.n === 2, JSON.stringify(rec.prefill));
  assert.ok(rec.decode && rec.decode.mean > 0 && rec.decode.stddev !== undefined, JSON.stringify(rec.decode));
  assert.ok(rec.timeToFirstTokenMs && rec.timeToFirstTokenMs.mean > 0, JSON.stringify(rec.timeToFirstTokenMs));
  assert.equal(rec.decodeTimelineMs?.length, 2);
  for (const tl of rec.decodeTimelineMs ?? []) {
    assert.equal(tl.length, 160, 'one latency per decoded token');
    assert.ok(tl.every((x) => x > 0 && x < 5000), `token latencies ${Math.min(...tl)}..${Math.max(...tl)} ms`);
  }
  // The decode rate is D over the sum of the timeline's latencies.
  const sum0 = rec.decodeTimelineMs![0].reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(rec.decode!.samples![0] - (160 * 1000) / sum0) / rec.decode!.samples![0] < 0.01, `decode ${rec.decode!.samples![0]} tok/s, timeline sum ${sum0} ms`);
  assert.ok(rec.modelLoadMs !== undefined && rec.modelLoadMs > 0, `model load ${rec.modelLoadMs}`);
  // Memory: the runner's own figure (at least the model file) and VmHWM read from /proc/PID/status of the runner's
  // PID ($! of `runner &` is the runner itself, as with mksh): on the virtual phone it holds at least the model file.
  assert.ok(rec.peakMemoryBytes && rec.peakMemoryBytes >= 578141, `peak ${rec.peakMemoryBytes}`);
  assert.ok(rec.processPeakBytes && rec.processPeakBytes >= 578141, `VmHWM ${rec.processPeakBytes}`);
  assert.ok(rec.notes.some((n) => /VmHWM on the virtual phone: what the host process grew by/.test(n)), rec.notes.join('\n'));
  // Sampling: a rate near the target, the virtual gauge, thermal series, cpufreq.
  const s = rec.sampling!;
  assert.equal(s.targetHz, 10);
  // The rate the loop kept depends on the machine's load (the phone's shell and onnxruntime-node share 2 cores):
  // it must be what the samples' own times say, never above the target, and not a stalled loop.
  const timed = s.samples.filter((x) => x.currentUa !== undefined || x.cpuFreqKhz !== undefined);
  const ownHz = (timed.length - 1) / ((timed[timed.length - 1].t - timed[0].t) / 1000);
  assert.ok(Math.abs(s.achievedHz - ownHz) < 0.02 * ownHz + 0.01, `achieved ${s.achievedHz} Hz, the samples say ${ownHz}`);
  assert.ok(s.achievedHz > 1 && s.achievedHz <= 10.5, `achieved ${s.achievedHz} Hz`);
  assert.equal(s.currentSign, 'discharge-negative', 'the virtual gauge is Pixel-like: negative while discharging');
  assert.equal(s.unplugged, true);
  assert.equal(s.charging, true, 'it was on USB before the unplug');
  assert.ok(s.samples.length >= 4, `${s.samples.length} samples`);
  assert.ok(s.samples.filter((x) => x.powerW !== undefined).every((x) => x.powerW! > 0), 'discharging all along once unplugged');
  assert.ok(s.samples.some((x) => x.tempC && Object.keys(x.tempC).some((k) => k === 'virtual-cpu-big')), 'sysfs zone temperatures by type');
  assert.ok(s.samples.some((x) => x.tempC && Object.keys(x.tempC).some((k) => k === 'SKIN/virtual-skin')), 'HAL temperatures by type');
  assert.ok(s.samples.filter((x) => x.thermalStatus !== undefined).length >= 1, 'a thermal status sampled');
  assert.ok(s.samples.some((x) => x.cpuFreqKhz?.length === 8), 'eight cpufreq readings');
  for (let i = 1; i < s.samples.length; i++) assert.ok(s.samples[i].t >= s.samples[i - 1].t, 'timestamps in order');
  // Energy: positive, per token, from the modelled gauge.
  assert.equal(rec.energy?.method, 'virtual-model');
  assert.ok(rec.energy!.avgPowerW > 0, JSON.stringify(rec.energy));
  assert.ok(rec.energy!.joulesPerDecodeToken! > 0 && rec.energy!.joulesPerPrefillToken! > 0, JSON.stringify(rec.energy));
  // Under load the phone draws more than idle.
  assert.ok(rec.energy!.idlePowerW! > 0 && rec.energy!.avgPowerW > rec.energy!.idlePowerW!, JSON.stringify(rec.energy));
  // Thermal summary and phases.
  assert.equal(typeof rec.thermal?.throttled, 'boolean');
  assert.ok(rec.thermal!.maxTempC! >= rec.thermal!.startTempC!, JSON.stringify(rec.thermal));
  assert.equal(rec.thermal?.cooldowns?.length, 1, 'a cool-down check between the two repetitions');
  for (const n of ['idle', 'load', 'prefill', 'decode'] as const) assert.ok(rec.phases?.some((p) => p.name === n), `phase ${n}`);
  // The battery is back as it was.
  assert.notEqual(pluggedNow(), 0, 'dumpsys battery reset after the run');
  // The run store has it, with its samples.
  const listed = await listRuns(runs);
  assert.equal(listed.length, 1);
  assert.equal(listed[0].record?.id, rec.id);
  assert.equal(listed[0].record?.status, 'complete');
  // The summary a user reads (the CLI prints describeLlmRun).
  const summary = describeLlmRun(rec);
  assert.match(summary, /energy: [\d.]+ mJ\/prompt token, [\d.]+ mJ\/decode token/);
  assert.match(summary, /process peak memory: .*VmHWM/);
  assert.match(summary, /thermal: thermal status \d/);
  assert.match(summary, /decode timeline: /);
  // Without --unplug the virtual phone charges over USB: the summary says the gauge is distorted and gives no energy per token.
  const text = await cli(['llm', 'bench', GPT2, '--device', phone.address, '-p', '8', '-n', '8', '-r', '1', '--runs-dir', runs]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /prefill: [\d.]+ .*tok\/s/);
  assert.match(text.stdout, /measured on: .*virtual phone/);
  assert.match(text.stdout, /CHARGING during the run/);
  assert.match(text.stdout, /energy: no per-token figure/);
  assert.equal((await listRuns(runs)).length, 2);
});

test('llm bench: Ctrl-C mid-run leaves a readable record (cancelled, samples so far) and resets the battery', async () => {
  const runs = path.join(tmp, 'runs-b');
  const r = await cli(['llm', 'bench', GPT2, '--device', phone.address, '-p', '16', '-n', '400', '-r', '5', '--unplug', '--runs-dir', runs], { interruptAfter: (e) => /repetition 1\/5: decode/.test(e) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /stopping the benchmark/);
  const [run] = await readdir(runs);
  const rec = await readRun(path.join(runs, run));
  assert.equal(rec.status, 'cancelled');
  assert.ok(rec.sampling && rec.sampling.samples.length > 0, 'the samples taken so far');
  assert.notEqual(pluggedNow(), 0, 'dumpsys battery reset after a cancel');
  // The runner was stopped on the phone: nothing of it keeps running.
  const ps = await adb.exec(phone.address, ['ps', '-A', '-o', 'ARGS']);
  assert.doesNotMatch(ps.stdout.toString(), /onnxruntime_perf_test/);
});

test('llm bench --runner llama-bench: a pushed runner folder, started as on Android, parsed from its JSONL', async () => {
  const runs = path.join(tmp, 'runs-c');
  const dir = path.join(tmp, 'llama.cpp');
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await mkdir(path.join(dir, 'lib'), { recursive: true });
  await copyFile(path.join(FIX, 'llama-bench.sh'), path.join(dir, 'bin', 'llama-bench'));
  await chmod(path.join(dir, 'bin', 'llama-bench'), 0o755);
  await copyFile(path.join(FIX, 'libllama.so.txt'), path.join(dir, 'lib', 'libllama.so'));
  const model = path.join(tmp, 'qwen2.5-0.5b-instruct-q4_k_m.gguf');
  await copyFile(path.join(FIX, 'tiny.gguf.txt'), model);
  const r = await cli(['llm', 'bench', model, '--device', phone.address, '--runner', 'llama-bench', '--runner-path', dir, '-p', '64', '-n', '16', '-r', '3', '-t', '4', '--unplug', '--runs-dir', runs, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(r.stdout) as LlmRunRecord;
  assert.equal(rec.runner, 'llama-bench');
  assert.equal(rec.status, 'complete');
  // The stand-in echoes its command line's P/D/threads/repetitions into the JSONL, as llama-bench does.
  assert.equal(rec.promptTokens, 64);
  assert.equal(rec.genTokens, 16);
  assert.equal(rec.threads, 4);
  assert.equal(rec.prefill?.n, 3);
  assert.ok(rec.prefill!.mean > rec.decode!.mean);
  assert.ok(rec.processPeakBytes && rec.processPeakBytes > 0, 'VmHWM of the runner process');
  assert.ok(rec.energy && rec.energy.joulesPerDecodeToken! > 0, 'unplugged for the run: energy per token from the gauge');
  // A runner that fails: exit 1 with its own words.
  const bad = await cli(['llm', 'bench', path.join(tmp, 'missing.gguf'), '--device', phone.address, '--runner', 'llama-bench', '--runner-path', dir, '--runs-dir', runs]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /no model at/);
});

test('llm bench --runner litert-lm (one invocation per repetition, spread over them) and --runner genai (model folder pushed)', async () => {
  const runs = path.join(tmp, 'runs-d');
  const lit = path.join(tmp, 'litert-lm');
  await mkdir(lit, { recursive: true });
  await copyFile(path.join(FIX, 'litert_lm_main.sh'), path.join(lit, 'litert_lm_main'));
  await chmod(path.join(lit, 'litert_lm_main'), 0o755);
  const model = path.join(tmp, 'gemma3-1b-it-int4.litertlm');
  await copyFile(path.join(FIX, 'tiny.gguf.txt'), model);
  const r = await cli(['llm', 'bench', model, '--device', phone.address, '--runner', 'litert-lm', '--runner-path', lit, '-p', '128', '-n', '32', '-r', '2', '--unplug', '--runs-dir', runs, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rec = JSON.parse(r.stdout) as LlmRunRecord;
  assert.equal(rec.runner, 'litert-lm');
  assert.equal(rec.prefill?.mean, 500);
  // The stand-in decodes at 20 tok/s on its first invocation, 25 after: two invocations, their spread.
  assert.deepEqual(rec.decode?.samples, [20, 25]);
  assert.ok(rec.decode!.stddev! > 3);
  assert.ok(Math.abs(rec.timeToFirstTokenMs!.mean - (306 + 296) / 2) < 11, JSON.stringify(rec.timeToFirstTokenMs));
  assert.equal(rec.thermal?.cooldowns?.length, 1, 'cool-down checked between the two invocations');
  assert.ok(rec.energy?.joulesPerDecodeToken && rec.energy.joulesPerDecodeToken > 0);

  const gen = path.join(tmp, 'genai');
  await mkdir(gen, { recursive: true });
  await copyFile(path.join(FIX, 'model_benchmark.sh'), path.join(gen, 'model_benchmark'));
  await chmod(path.join(gen, 'model_benchmark'), 0o755);
  await copyFile(path.join(FIX, 'libllama.so.txt'), path.join(gen, 'libonnxruntime.so'));
  const modelDir = path.join(tmp, 'phi-3-mini-int4');
  await mkdir(modelDir, { recursive: true });
  await copyFile(path.join(FIX, 'tiny.gguf.txt'), path.join(modelDir, 'genai_config.json'));
  const g = await cli(['llm', 'bench', modelDir, '--device', phone.address, '--runner', 'genai', '--runner-path', gen, '-p', '64', '-n', '16', '-r', '3', '--unplug', '--runs-dir', runs, '--json']);
  assert.equal(g.code, 0, g.stderr);
  const gr = JSON.parse(g.stdout) as LlmRunRecord;
  assert.equal(gr.runner, 'onnxruntime-genai');
  assert.equal(gr.prefill?.mean, 500);
  assert.equal(gr.decode?.mean, 25);
  assert.equal(gr.timeToFirstTokenMs?.mean, 128);
  assert.equal(gr.peakMemoryBytes, 512000000);
  assert.ok(gr.processPeakBytes && gr.processPeakBytes > 0);
  // A model folder without genai_config.json: the runner's own words, exit 1.
  await mkdir(path.join(tmp, 'empty-model'), { recursive: true });
  await copyFile(path.join(FIX, 'tiny.gguf.txt'), path.join(tmp, 'empty-model', 'model.onnx'));
  const bad = await cli(['llm', 'bench', path.join(tmp, 'empty-model'), '--device', phone.address, '--runner', 'genai', '--runner-path', gen, '--runs-dir', runs]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /genai failed \(exit 1\): Exception: Error opening .*genai_config\.json/);
});
