import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipSeries, compareRuns, formatSigned, formatNumber, measuredOn, runTimeline } from '../../extension/core/llm/compare';
import { comparisonToCsv, csvField, runsToCsv, runsToJson } from '../../extension/core/llm/export';
import { importLlmRun } from '../../extension/core/llm/import';
import { splitCsvLine } from '../../extension/core/llm/parsers/llamaBench';
import { newRunRecord, statOf, type LlmRunRecord } from '../../extension/core/llm/runRecord';

/*
 * Two GPU-offload settings of one model, in llama-bench's older markdown layout (tools/llama-bench/llama-bench.cpp
 * markdown_printer in ggml-org/llama.cpp, before the test names lost their space: `pp 512`/`tg 128`, an `ngl`
 * column for a GPU backend, t/s as `%.2f ± %.2f`; README's first examples). The numbers are made up: all 99
 * layers on the GPU against none.
 */
const LLAMA_MD = `| model                          |       size |     params | backend    | ngl | test       |              t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | ---------- | ---------------: |
| llama 1B Q8_0                  | 1.22 GiB   |     1.24 B | Vulkan     |  99 | pp 512     |    812.40 ± 9.12 |
| llama 1B Q8_0                  | 1.22 GiB   |     1.24 B | Vulkan     |  99 | tg 128     |     41.77 ± 0.35 |
| llama 1B Q8_0                  | 1.22 GiB   |     1.24 B | Vulkan     |   0 | pp 512     |     95.30 ± 1.20 |
| llama 1B Q8_0                  | 1.22 GiB   |     1.24 B | Vulkan     |   0 | tg 128     |     18.06 ± 0.40 |
`;

/** A measured run as `mobileai llm bench` records it: phases and samples on one time axis. */
function measured(name: string, decodeTps: number[], opts: { sizeBytes: number; joules: number; virtual?: boolean }): LlmRunRecord {
  const r = newRunRecord('mobileai-onnx', 'measured');
  r.id = `2026-12-01T11-00-00-${name}`;
  r.status = 'complete';
  r.model = { name, sizeBytes: opts.sizeBytes };
  r.device = opts.virtual ? { label: 'Virtual Phone', kind: 'virtual-phone' } : { label: 'Pixel 8', kind: 'phone' };
  r.phone = opts.virtual ? { serial: '127.0.0.1:6520', model: 'Virtual Phone', virtual: true } : { serial: '3A0B1C', model: 'Pixel 8', soc: 'Tensor G3', android: '15' };
  r.threads = 4;
  r.promptTokens = 32;
  r.genTokens = 4;
  r.repetitions = decodeTps.length;
  r.decode = statOf(decodeTps);
  r.prefill = statOf([200, 210]);
  r.timeToFirstTokenMs = statOf([160, 150]);
  r.energy = { avgPowerW: 2.5, joulesPerDecodeToken: opts.joules, method: opts.virtual ? 'virtual-model' : 'gauge' };
  r.decodeTimelineMs = [[10, 11, 12, 13], [10, 10, 11, 20]];
  r.phases = [
    { name: 'prefill', startMs: 100, endMs: 260, repetition: 0 },
    { name: 'decode', startMs: 260, endMs: 306, repetition: 0 },
    { name: 'cooldown', startMs: 306, endMs: 1000 },
    { name: 'decode', startMs: 1200, endMs: 1251, repetition: 1 },
  ];
  r.sampling = {
    targetHz: 5, achievedHz: 5, sources: [],
    samples: [0, 200, 400, 1200, 1400].map((t, i) => ({ t, powerW: 1 + i, tempC: { BATTERY: 30, CPU: 40 + i }, thermalStatus: i > 3 ? 1 : 0 })),
  };
  return r;
}

test('two GPU-offload settings imported from llama-bench compare with signed deltas against the first', () => {
  const { records } = importLlmRun(LLAMA_MD);
  assert.equal(records.length, 2);
  const c = compareRuns(records);
  const row = (k: string) => c.rows.find((x) => x.key === k);
  assert.deepEqual(row('prefill_tps')?.values, [812.4, 95.3]);
  assert.ok(Math.abs((row('prefill_tps')?.deltas[1] ?? 0) + 717.1) < 1e-9);
  assert.equal(row('prefill_tps')?.verdicts[1], 'worse');
  assert.equal(row('decode_tps')?.verdicts[1], 'worse');
  assert.equal(formatSigned(row('decode_tps')?.deltas[1] as number, 2), '−23.71');
  assert.equal(formatSigned(row('decode_tps')?.deltaPercents[1] as number, 1, { suffix: '%' }), '−56.8%');
  assert.deepEqual(row('decode_tps')?.stddevs, [0.35, 0.4]);
  assert.equal(row('decode_tps')?.deltas[0], undefined, 'the baseline has no delta');
  assert.deepEqual(c.differences, ['GPU layers (ngl): 99 vs 0']);
  assert.equal(row('energy_decode_j'), undefined, 'a figure no run has is not a row');
  // The other way round: deltas flip.
  const back = compareRuns(records, { baseline: 1 });
  assert.equal(formatSigned(back.rows.find((x) => x.key === 'decode_tps')?.deltas[0] as number, 2), '+23.71');
  assert.equal(back.rows.find((x) => x.key === 'decode_tps')?.verdicts[0], 'better');
});

test('fp32 vs int4 on a phone: size, decode speed and energy per token side by side; a tie reads 0, never -0', () => {
  const fp32 = measured('decoder-fp32.onnx', [20, 22], { sizeBytes: 400 * 1024 * 1024, joules: 0.12 });
  const int4 = measured('decoder-int4.onnx', [41, 43], { sizeBytes: 60 * 1024 * 1024, joules: 0.0604 });
  const c = compareRuns([fp32, int4]);
  const row = (k: string) => c.rows.find((x) => x.key === k);
  assert.equal(row('model_size_mib')?.verdicts[1], 'better');
  assert.equal(formatSigned(row('model_size_mib')?.deltas[1] as number, 2), '−340.00');
  assert.equal(formatSigned(row('decode_tps')?.deltaPercents[1] as number, 1, { suffix: '%' }), '+100.0%');
  assert.equal(row('energy_decode_j')?.verdicts[1], 'better');
  // Same prefill on both: the delta is exactly zero and prints without a sign.
  assert.equal(row('prefill_tps')?.verdicts[1], 'same');
  assert.equal(formatSigned(row('prefill_tps')?.deltas[1] as number, 3), '0.000');
  assert.deepEqual(c.differences, ['model: decoder-fp32.onnx vs decoder-int4.onnx']);
  assert.equal(c.runs[0].measuredOn, 'Pixel 8 · Tensor G3 · Android 15 · 3A0B1C');
  assert.equal(formatSigned(-0.0004, 3), '0.000');
  assert.equal(formatSigned(-0.0006, 3), '−0.001');
  assert.equal(formatSigned(-0.0006, 3, { ascii: true }), '-0.001');
  assert.equal(formatNumber(-0.0001, 2), '0.00');
  assert.equal(formatNumber(undefined, 2), '—');
});

test('comparing one run, or against a baseline that is not there, is refused with a clear error', () => {
  const one = measured('a.onnx', [10], { sizeBytes: 1, joules: 1 });
  assert.throws(() => compareRuns([one]), /two or more runs \(got 1\)/);
  assert.throws(() => compareRuns([one, one], { baseline: 2 }), /baseline must be a run index from 0 to 1/);
});

test('a virtual-phone run says it ran on the host CPU, and comparing it with a phone carries a caveat', () => {
  const v = measured('gpt2.onnx', [30, 31], { sizeBytes: 1, joules: 0.01, virtual: true });
  const p = measured('gpt2.onnx', [12, 13], { sizeBytes: 1, joules: 0.05 });
  assert.equal(measuredOn(v), 'virtual phone: onnxruntime-node on the host CPU (127.0.0.1:6520)');
  const c = compareRuns([v, p]);
  assert.ok(c.caveats.some((x) => /virtual-phone run \(the host CPU\)/.test(x)), c.caveats.join('\n'));
  assert.ok(c.caveats.some((x) => /battery-gauge measurement is compared with the virtual phone's power model/.test(x)));
});

test('the timeline puts each decoded token at its time on the sampler axis, with the CPU temperature and power under it', () => {
  const tl = runTimeline(measured('m.onnx', [20, 21], { sizeBytes: 1, joules: 1 }));
  assert.equal(tl.axis, 'samples');
  assert.deepEqual(tl.decodeLatency.map((p) => p.t), [270, 281, 293, 306, 1210, 1220, 1231, 1251]);
  assert.deepEqual(tl.decodeLatency.map((p) => p.repetition), [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.equal(tl.temperatureZone, 'CPU');
  assert.deepEqual(tl.temperature.map((p) => p.v), [40, 41, 42, 43, 44]);
  assert.deepEqual(tl.powerW.map((p) => p.t), [0, 200, 400, 1200, 1400]);
  assert.deepEqual(tl.thermalStatus.map((p) => p.v), [0, 0, 0, 0, 1]);
  // Zoomed to 250–1300 ms: the temperature line runs edge to edge, its ends interpolated between samples.
  assert.deepEqual(clipSeries(tl.temperature, 250, 1300).map((p) => [p.t, p.v]), [[250, 41.25], [400, 42], [1200, 43], [1300, 43.5]]);
  assert.deepEqual(clipSeries(tl.temperature, 1500, 1600), [], 'nothing after the last sample');
  assert.deepEqual(clipSeries(tl.temperature, 300, 350).map((p) => p.t), [300, 350], 'no sample inside, the line still crosses');
  // An imported run has no samples: tokens follow one another on a decode-only axis.
  const bare = measured('m.onnx', [20], { sizeBytes: 1, joules: 1 });
  delete bare.sampling;
  const t2 = runTimeline(bare);
  assert.equal(t2.axis, 'decode');
  assert.deepEqual(t2.decodeLatency.map((p) => p.t), [10, 21, 33, 46, 56, 66, 77, 97]);
  assert.deepEqual(t2.temperature, []);
});

test('CSV: one row per run with standard deviations, quoted and defused text, and it reads back', () => {
  const { records } = importLlmRun(LLAMA_MD);
  records[0].model.name = 'llama, "1B"';
  records[1].model.name = '=HYPERLINK("x")';
  const text = runsToCsv(records);
  const lines = text.trimEnd().split('\r\n');
  assert.equal(lines.length, 3);
  const header = splitCsvLine(lines[0]);
  const first = splitCsvLine(lines[1]);
  const second = splitCsvLine(lines[2]);
  assert.equal(first[header.indexOf('model')], 'llama, "1B"');
  assert.equal(second[header.indexOf('model')], '\'=HYPERLINK("x")');
  assert.equal(first[header.indexOf('decode_tps')], '41.77');
  assert.equal(second[header.indexOf('decode_tps_stddev')], '0.4');
  assert.equal(second[header.indexOf('gpu_layers')], '0');
  assert.equal(first[header.indexOf('backend')], 'Vulkan');
  assert.equal(first[header.indexOf('source')], 'import:llama-bench');
  assert.ok(!header.includes('energy_decode_j'), 'no empty column for a figure no run has');
});

test('CSV of a comparison: values, signed deltas as numbers, differences; JSON keeps the records whole', () => {
  const { records } = importLlmRun(LLAMA_MD);
  const text = comparisonToCsv(compareRuns(records));
  const rows = text.trimEnd().split('\r\n').map(splitCsvLine);
  const decode = rows.find((r) => r[0] === 'decode') as string[];
  assert.deepEqual(decode.slice(1), ['tok/s', 'higher', '41.77', '18.06', '-23.71', '-56.8']);
  assert.deepEqual(rows.find((r) => r[0] === 'differs'), ['differs', 'GPU layers (ngl): 99 vs 0']);
  assert.ok(!/-0(\.0+)?(,|\r)/.test(text), text);
  assert.equal(csvField(-0), '0');
  assert.equal(csvField(-1.5), '-1.5');
  assert.equal(csvField('-1.5'), '\'-1.5');
  const json = JSON.parse(runsToJson(records));
  assert.equal(json.schema, 'mobileai.llm-runs/1');
  assert.deepEqual(json.runs, JSON.parse(JSON.stringify(records)));
});
