import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, appendFile, writeFile, readdir, mkdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunWriter, listRuns, readRun, runId } from '../../extension/core/llm/runStore';
import { newRunRecord, type LlmRunRecord } from '../../extension/core/llm/runRecord';
import { energyOf, thermalOf } from '../../extension/core/llm/bench/metrics';

async function inTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-llmstore-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a killed run leaves a readable record: status running, the samples appended so far (a torn last line skipped)', async () => {
  await inTmp(async (root) => {
    const w = await RunWriter.create(root, 'tiny-gpt2 onnx');
    assert.match(w.id, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-tiny-gpt2-onnx$/);
    const rec = newRunRecord('mobileai-onnx', 'measured');
    rec.id = w.id;
    rec.status = 'running';
    await w.write(rec);
    await w.append([{ t: 0, currentUa: -400000, voltageUv: 4000000 }, { t: 200, currentUa: -1200000, voltageUv: 3950000, thermalStatus: 0 }]);
    await w.flush();
    await appendFile(w.samplesFile, '{"t": 400, "currentUa": -12'); // the process died mid-write
    const back = await readRun(w.dir);
    assert.equal(back.status, 'running');
    assert.equal(back.sampling?.samples.length, 2);
    assert.equal(back.sampling?.achievedHz, 5);
    assert.ok(back.notes.some((n) => /did not finish.*2 samples/.test(n)));
    // No temp files left behind by the atomic writes.
    assert.deepEqual((await readdir(w.dir)).sort(), ['run.json', 'samples.jsonl']);
  });
});

test('listRuns: newest first, finished records as written, a broken run.json reported not thrown', async () => {
  await inTmp(async (root) => {
    const a = await RunWriter.create(root, 'a');
    const r = newRunRecord('llama-bench', 'measured');
    r.status = 'complete';
    r.sampling = { targetHz: 5, achievedHz: 4.9, samples: [{ t: 0 }], sources: [] };
    await a.write(r);
    await a.append([{ t: 0 }, { t: 200 }]);
    await a.flush();
    await mkdir(path.join(root, '9999-broken'));
    await writeFile(path.join(root, '9999-broken', 'run.json'), '{"schema": "mobileai.llm-run/1", ');
    const runs = await listRuns(root);
    assert.equal(runs.length, 2);
    assert.equal(runs[0].id, '9999-broken');
    assert.match(runs[0].error ?? '', /not valid JSON/);
    assert.equal(runs[1].record?.status, 'complete');
    assert.equal(runs[1].record?.sampling?.samples.length, 1, 'the samples written at the end win over samples.jsonl');
    assert.deepEqual(await listRuns(path.join(root, 'nothing-here')), []);
    await writeFile(path.join(root, 'x.json'), '{}');
    await mkdir(path.join(root, 'other'));
    await writeFile(path.join(root, 'other', 'run.json'), '{"schema": "something-else"}');
    assert.match((await listRuns(root)).find((x) => x.id === 'other')?.error ?? '', /not an LLM run record/);
  });
  assert.equal(runId('Qwen2.5 0.5B Q4_K_M.gguf', new Date('2026-12-01T10:20:30.456Z')), '2026-12-01T10-20-30-qwen2-5-0-5b-q4-k-m-gguf');
});

function measured(): LlmRunRecord {
  const r = newRunRecord('mobileai-onnx', 'measured');
  r.prefill = { mean: 200 };
  r.decode = { mean: 20 };
  r.sampling = {
    targetHz: 5, achievedHz: 5, sources: [], currentSign: 'discharge-negative',
    samples: [
      { t: 0, powerW: 1, thermalStatus: 0, tempC: { cpu: 30 }, cpuFreqKhz: [1800000] },
      { t: 200, powerW: 1, cpuFreqKhz: [1800000] },
      { t: 400, powerW: 5, tempC: { cpu: 45 }, cpuFreqKhz: [2800000] },
      { t: 600, powerW: 4, thermalStatus: 1, cpuFreqKhz: [2800000] },
      { t: 800, powerW: 4, cpuFreqKhz: [2800000] },
      { t: 1000, powerW: 4, cpuFreqKhz: [2800000] },
      { t: 1200, powerW: 4, tempC: { cpu: 60 }, cpuFreqKhz: [2000000] },
      { t: 1400, powerW: 4, thermalStatus: 2, cpuFreqKhz: [1900000] },
      { t: 1600, powerW: 4, cpuFreqKhz: [1900000] },
      { t: 1800, powerW: 1, thermalStatus: 1, cpuFreqKhz: [1800000] },
    ],
  };
  r.phases = [
    { name: 'idle', startMs: 0, endMs: 250 },
    { name: 'prefill', startMs: 390, endMs: 410 },
    { name: 'decode', startMs: 550, endMs: 1650 },
  ];
  return r;
}

test('energy per token = the phase\'s average power ÷ its rate; thermal status, temperatures, throttling', () => {
  const r = measured();
  const { energy, notes } = energyOf(r, 200, false);
  assert.equal(energy?.method, 'gauge');
  assert.equal(energy?.idlePowerW, 1);
  assert.equal(energy?.joulesPerPrefillToken, 5 / 200);
  assert.equal(energy?.joulesPerDecodeToken, 4 / 20);
  assert.ok(energy!.avgPowerW > 4 && energy!.avgPowerW < 5);
  assert.ok(notes.some((n) => /÷ its token rate/.test(n)));
  const th = thermalOf(r, 0, [{ waitedMs: 1200, reachedStart: true }]);
  assert.deepEqual({ start: th.startStatus, max: th.maxStatus, end: th.endStatus }, { start: 0, max: 2, end: 1 });
  assert.equal(th.startTempC, 30);
  assert.equal(th.maxTempC, 60);
  assert.equal(th.throttled, true);
  // No gauge: no energy, and the reason.
  const none = measured();
  none.sampling!.samples = none.sampling!.samples.map(({ powerW: _p, ...s }) => s);
  const e2 = energyOf(none, 200, false);
  assert.equal(e2.energy, undefined);
  assert.match(e2.notes.join(' '), /no energy figures/);
  // A phase no sample fell in, far from both neighbours (a slow sampler): the power at its middle, interpolated.
  const sparse = measured();
  sparse.sampling!.samples = [{ t: 0, powerW: 1 }, { t: 1000, powerW: 5 }];
  sparse.phases = [{ name: 'idle', startMs: 0, endMs: 0 }, { name: 'prefill', startMs: 490, endMs: 510 }, { name: 'decode', startMs: 740, endMs: 760 }];
  const e4 = energyOf(sparse, 200, false).energy;
  assert.equal(e4?.joulesPerPrefillToken, 3 / 200, 'half way from 1 W to 5 W');
  assert.equal(e4?.joulesPerDecodeToken, 4 / 20, 'three quarters of the way');
  // On a charger (not unplugged) the gauge is the net of charger and load: average power, but no energy per token,
  // whichever samples fell in the phases.
  const charged = measured();
  charged.sampling = { ...charged.sampling!, charging: true, unplugged: false };
  const e3 = energyOf(charged, 200, false);
  assert.ok(e3.energy && e3.energy.avgPowerW > 4, 'the average power is still given');
  assert.equal(e3.energy?.joulesPerDecodeToken, undefined);
  assert.equal(e3.energy?.joulesPerPrefillToken, undefined);
  assert.match(e3.notes.join(' '), /no energy per token: the phone was charging/);
  charged.sampling.unplugged = true;
  assert.equal(energyOf(charged, 200, false).energy?.joulesPerDecodeToken, 4 / 20, 'unplugged for the run: energy per token');
  // Steady status and frequency: no throttling.
  const calm = measured();
  calm.sampling!.samples = calm.sampling!.samples.map((s) => ({ ...s, thermalStatus: s.thermalStatus === undefined ? undefined : 0, cpuFreqKhz: [2800000] }));
  assert.equal(thermalOf(calm, 0, []).throttled, false);
});
