import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { detectLlmFormat, importLlmRun } from '../../extension/core/llm/import';
import { parseTestLabel, splitCsvLine } from '../../extension/core/llm/parsers/llamaBench';
import { parseAbslDuration } from '../../extension/core/llm/parsers/litertLm';
import { describeLlmRun } from '../../extension/core/llm/runRecord';

/*
 * Samples written here in each runner's real output format; the numbers are made up (and self-consistent).
 * Format facts and where they come from:
 * - llama-bench: tools/llama-bench/llama-bench.cpp in ggml-org/llama.cpp — markdown_printer (columns model,
 *   size `%.2f MiB|GiB`, params `%.2f M|B`, backend, `threads` when the backend is CPU, test `pp%d`/`tg%d`/
 *   `pp%d+tg%d` plus ` @ d%d`, t/s `%.2f ± %.2f`, footer `build: %s (%d)`); csv_printer (header of field
 *   names, every value in quotes); json_printer (array, `"field": value,` lines then `samples_ns`/`samples_ts`);
 *   jsonl_printer (one object per line, `"samples_ns": [ … ],"samples_ts": [ … ]}`). Field names as in
 *   tools/llama-bench/README.md's csv/json examples (build_commit, build_number, cpu_info, gpu_info, backends,
 *   model_filename, model_type, model_size, model_n_params, n_batch, n_ubatch, n_threads, …, n_prompt, n_gen,
 *   n_depth, test_time, avg_ns, stddev_ns, avg_ts, stddev_ts). Older builds printed `pp 512` in the table
 *   (README's first examples) and had no n_depth. A posted table in the same layout:
 *   https://github.com/alibaba/MNN/issues/3392 (pp512 / tg128 / pp512+tg128 rows).
 * - onnxruntime-genai model_benchmark: benchmark/c/main.cpp in microsoft/onnxruntime-genai — `Batch size: B,
 *   prompt tokens: P, tokens to generate: D`; WritePerTokenStats prints `<label>:` then `\tavg (us):`,
 *   `\tavg (tokens/s):`, `\tp50 (us):`, `\tstddev (us):`, `\tn: N * T token(s)`; WriteE2EStats the same in ms
 *   without tokens/s; then `Peak working set size: X bytes (Y MB)`.
 * - LiteRT-LM: runtime/engine/io_types.cc in google-ai-edge/LiteRT-LM, operator<< for BenchmarkInfo
 *   (fixed, 2 decimals; `Init Phases (N):` with `    - name: x ms`; `  Time to first token: x s`;
 *   `  Prefill Turns (Total N turns):` / `    Prefill Turn i: Processed n tokens in <absl::Duration> duration.`
 *   / `      Prefill Speed: x tokens/sec.`; same for Decode; `-----` separators), logged through ABSL_LOG(INFO)
 *   by runtime/engine/litert_lm_main.cc (so a log prefix before `BenchmarkInfo:`). The June 2025 snapshot of
 *   io_types.cc prints `Prefill Turns (Total: N):`, `    Total init time: x ms` and no time to first token.
 */

const LLAMA_MD = `| model                          |       size |     params | backend    |    threads |            test |                  t/s |
| ------------------------------ | ---------: | ---------: | ---------- | ---------: | --------------: | -------------------: |
| qwen2 1.5B Q4_0                |   1.04 GiB |     1.78 B | CPU        |          4 |           pp512 |         48.08 ± 0.23 |
| qwen2 1.5B Q4_0                |   1.04 GiB |     1.78 B | CPU        |          4 |           tg128 |         24.53 ± 0.49 |
| qwen2 1.5B Q4_0                |   1.04 GiB |     1.78 B | CPU        |          8 |           pp512 |         61.20 ± 1.05 |
| qwen2 1.5B Q4_0                |   1.04 GiB |     1.78 B | CPU        |          8 |           tg128 |         19.75 ± 2.31 |

build: 8cf427ff (5163)
`;

// Older table layout: `pp 512`, `tg 128`, an ngl column (GPU backend), sizes under 1 GiB in MiB and params in M.
const LLAMA_MD_OLD = `| model                          |       size |     params | backend    | ngl | test       |              t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | ---------- | ---------------: |
| llama 1B Q8_0                  | 969.13 MiB |   494.03 M | Vulkan     |  99 | pp 512     |    812.40 ± 9.12 |
| llama 1B Q8_0                  | 969.13 MiB |   494.03 M | Vulkan     |  99 | tg 128     |     41.77 ± 0.35 |
`;

const common = '"build_commit": "8cf427ff", "build_number": 5163, "cpu_info": "ARMv8 Processor rev 0 (v8l)", "gpu_info": "", "backends": "CPU", "model_filename": "/data/local/tmp/llm/models/qwen2.5-1.5b-instruct-q4_0.gguf", "model_type": "qwen2 1.5B Q4_0", "model_size": 1117320736, "model_n_params": 1777088000, "n_batch": 2048, "n_ubatch": 512, "n_threads": 4, "cpu_mask": "0x0", "cpu_strict": false, "poll": 50, "type_k": "f16", "type_v": "f16", "n_gpu_layers": 99, "split_mode": "layer", "main_gpu": 0, "no_kv_offload": false, "flash_attn": false, "tensor_split": "0.00", "use_mmap": true, "embeddings": false, ';
const LLAMA_JSONL = [
  `{${common}"n_prompt": 512, "n_gen": 0, "n_depth": 0, "test_time": "2026-11-30T09:12:01Z", "avg_ns": 10650000000, "stddev_ns": 50000000, "avg_ts": 48.075824, "stddev_ts": 0.225711, "samples_ns": [ 10600000000, 10700000000, 10650000000 ],"samples_ts": [ 48.3019, 47.8505, 48.0751 ]}`,
  `{${common}"n_prompt": 0, "n_gen": 128, "n_depth": 0, "test_time": "2026-11-30T09:12:40Z", "avg_ns": 5220000000, "stddev_ns": 105356537, "avg_ts": 24.527716, "stddev_ts": 0.493738, "samples_ns": [ 5120000000, 5330000000, 5210000000 ],"samples_ts": [ 25, 24.015, 24.5681 ]}`,
  `{${common}"n_prompt": 512, "n_gen": 128, "n_depth": 0, "test_time": "2026-11-30T09:13:30Z", "avg_ns": 15900000000, "stddev_ns": 90000000, "avg_ts": 40.251572, "stddev_ts": 0.227, "samples_ns": [ 15800000000, 16000000000, 15900000000 ],"samples_ts": [ 40.5063, 40, 40.2516 ]}`,
  // llama-bench's stderr (llama_perf_context_print) when 2>&1 was used
  'llama_perf_context_print:        load time =    1532.11 ms',
].join('\n');

const LLAMA_JSON = `[
  {
    "build_commit": "8cf427ff",
    "build_number": 5163,
    "cpu_info": "AMD Ryzen 7 7800X3D 8-Core Processor",
    "gpu_info": "",
    "backends": "CPU",
    "model_filename": "models/gemma-3-1b-it-Q4_K_M.gguf",
    "model_type": "gemma3 1B Q4_K - Medium",
    "model_size": 762490880,
    "model_n_params": 999885952,
    "n_batch": 2048,
    "n_threads": 8,
    "n_prompt": 256,
    "n_gen": 0,
    "test_time": "2026-11-30T10:00:00Z",
    "avg_ns": 800000000,
    "stddev_ns": 10000000,
    "avg_ts": 320.0,
    "stddev_ts": 4.0,
    "samples_ns": [ 790000000, 810000000 ],
    "samples_ts": [ 324.051, 316.049 ]
  },
  {
    "build_commit": "8cf427ff",
    "build_number": 5163,
    "cpu_info": "AMD Ryzen 7 7800X3D 8-Core Processor",
    "gpu_info": "",
    "backends": "CPU",
    "model_filename": "models/gemma-3-1b-it-Q4_K_M.gguf",
    "model_type": "gemma3 1B Q4_K - Medium",
    "model_size": 762490880,
    "model_n_params": 999885952,
    "n_batch": 2048,
    "n_threads": 8,
    "n_prompt": 0,
    "n_gen": 64,
    "test_time": "2026-11-30T10:00:03Z",
    "avg_ns": 1280000000,
    "stddev_ns": 20000000,
    "avg_ts": 50.0,
    "stddev_ts": 0.78,
    "samples_ns": [ 1260000000, 1300000000 ],
    "samples_ts": [ 50.7937, 49.2308 ]
  }
]
`;

const LLAMA_CSV = `build_commit,build_number,cpu_info,gpu_info,backends,model_filename,model_type,model_size,model_n_params,n_batch,n_ubatch,n_threads,type_k,type_v,n_gpu_layers,n_prompt,n_gen,test_time,avg_ns,stddev_ns,avg_ts,stddev_ts
"3f4fc97f","4567","Qualcomm Kryo, ""big"" cores","","CPU","/sdcard/models/smollm2-360m-q8_0.gguf","llama ?B Q8_0","386404992","361821120","2048","512","6","f16","f16","0","128","0","2026-11-29T18:01:02Z","412000000","3000000","310.679612","2.262"
"3f4fc97f","4567","Qualcomm Kryo, ""big"" cores","","CPU","/sdcard/models/smollm2-360m-q8_0.gguf","llama ?B Q8_0","386404992","361821120","2048","512","6","f16","f16","0","0","32","2026-11-29T18:01:05Z","640000000","9000000","50.000000","0.703"
`;

const GENAI = `Batch size: 1, prompt tokens: 128, tokens to generate: 64
Prompt processing (time to first token):
\tavg (us):       412345
\tavg (tokens/s): 310.418
\tp50 (us):       410876
\tstddev (us):    5123.45
\tn:              5 * 128 token(s)
Token generation:
\tavg (us):       45678.9
\tavg (tokens/s): 21.8919
\tp50 (us):       45500.1
\tstddev (us):    1234.56
\tn:              315 * 1 token(s)
Token sampling:
\tavg (us):       12.3456
\tavg (tokens/s): 81000.4
\tp50 (us):       11.9
\tstddev (us):    2.1
\tn:              320 * 1 token(s)
E2E generation (entire generation loop):
\tavg (ms):       3301.23
\tp50 (ms):       3299.87
\tstddev (ms):    20.5
\tn:              5
Peak working set size: 1876543488 bytes (1.75 GB)
`;

const LITERT = `I0000 00:00:1764590000.123456   12345 litert_lm_main.cc:193] BenchmarkInfo:
  Init Phases (3):
    - Executor initialization: 1834.52 ms
    - Model assets: 412.08 ms
    - Tokenizer initialization: 25.40 ms
--------------------------------------------------
  Time to first token: 0.47 s
--------------------------------------------------
  Prefill Turns (Total 1 turns):
    Prefill Turn 1: Processed 256 tokens in 420.512ms duration.
      Prefill Speed: 608.78 tokens/sec.
--------------------------------------------------
  Decode Turns (Total 1 turns):
    Decode Turn 1: Processed 256 tokens in 12.8s duration.
      Decode Speed: 20.00 tokens/sec.
--------------------------------------------------
  TextToTokenIds Turns (Total 1 turns):
    Turn 1: 1.2ms, 256 tokens
--------------------------------------------------
--------------------------------------------------
`;

const LITERT_OLD = `BenchmarkInfo:
  Init Phases (1):
    - Executor initialization: 2100.00 ms
    Total init time: 2100.00 ms
--------------------------------------------------
  Prefill Turns (Total: 2):
    Prefill Turn 1: Processed 128 tokens in 250ms duration.
      Prefill Speed: 512.00 tokens/sec.
    Prefill Turn 2: Processed 128 tokens in 200ms duration.
      Prefill Speed: 640.00 tokens/sec.
--------------------------------------------------
  Decode Turns (Total: 1):
    Decode Turn 1: Processed 64 tokens in 1m4s duration.
      Decode Speed: 1.00 tokens/sec.
--------------------------------------------------
--------------------------------------------------
`;

const close = (a: number | undefined, b: number, tol = 1e-3) => assert.ok(a !== undefined && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

test('llama-bench markdown: one record per configuration, prefill from pp, decode from tg', () => {
  const r = importLlmRun(LLAMA_MD, { file: 'bench.md' });
  assert.equal(r.format, 'llama-bench');
  assert.equal(r.records.length, 2);
  const [t4, t8] = r.records;
  assert.equal(t4.threads, 4);
  assert.equal(t8.threads, 8);
  assert.equal(t4.backend, 'CPU');
  assert.equal(t4.model.type, 'qwen2 1.5B Q4_0');
  close(t4.model.sizeBytes, 1.04 * 1024 ** 3);
  close(t4.model.params, 1.78e9);
  assert.deepEqual(t4.prefill && [t4.prefill.mean, t4.prefill.stddev], [48.08, 0.23]);
  assert.deepEqual(t4.decode && [t4.decode.mean, t4.decode.stddev], [24.53, 0.49]);
  assert.equal(t4.promptTokens, 512);
  assert.equal(t4.genTokens, 128);
  close(t4.timeToFirstTokenMs?.mean, (512 / 48.08) * 1000);
  assert.equal(t4.source.build, '8cf427ff (5163)');
  assert.equal(t4.source.variant, 'md');
  close(t8.decode?.mean, 19.75);

  const old = importLlmRun(LLAMA_MD_OLD).records;
  assert.equal(old.length, 1);
  assert.equal(old[0].gpuLayers, 99);
  assert.equal(old[0].backend, 'Vulkan');
  close(old[0].model.sizeBytes, 969.13 * 1024 ** 2);
  close(old[0].model.params, 494.03e6);
  close(old[0].prefill?.mean, 812.4);
  close(old[0].decode?.mean, 41.77);
});

test('llama-bench jsonl: samples, times, and the pp+tg row kept as a blended rate', () => {
  const r = importLlmRun(LLAMA_JSONL, { format: 'llama-bench' });
  assert.equal(r.records.length, 1);
  const rec = r.records[0];
  assert.equal(rec.source.variant, 'jsonl');
  assert.equal(rec.model.name, 'qwen2.5-1.5b-instruct-q4_0.gguf');
  assert.equal(rec.model.sizeBytes, 1117320736);
  assert.equal(rec.model.params, 1777088000);
  assert.equal(rec.device.cpu, 'ARMv8 Processor rev 0 (v8l)');
  assert.equal(rec.source.build, '8cf427ff (5163)');
  assert.equal(rec.source.measuredAt, '2026-11-30T09:12:01Z');
  close(rec.prefill?.mean, 48.075824);
  close(rec.prefill?.stddev, 0.225711);
  assert.deepEqual(rec.prefill?.samples, [48.3019, 47.8505, 48.0751]);
  close(rec.decode?.mean, 24.527716);
  assert.equal(rec.repetitions, 3);
  // t/s = 1e9·(n_prompt+n_gen)/ns: check the sample rates against the sample times
  const pp = rec.tests.find((t) => t.kind === 'pp');
  pp?.timeMs?.samples?.forEach((ms, i) => close(pp.tokensPerSecond.samples?.[i], (512 * 1000) / ms, 1e-4));
  close(rec.timeToFirstTokenMs?.mean, 10650);
  const pg = rec.tests.find((t) => t.kind === 'pg');
  assert.equal(pg?.label, 'pp512+tg128');
  close(pg?.tokensPerSecond.mean, (1e9 * (512 + 128)) / 15900000000);
  assert.equal(r.warnings.length, 0); // the stderr line is not an object: ignored quietly
});

test('llama-bench json and csv', () => {
  const j = importLlmRun(LLAMA_JSON);
  assert.equal(j.format, 'llama-bench');
  assert.equal(j.records[0].source.variant, 'json');
  close(j.records[0].prefill?.mean, 320);
  close(j.records[0].decode?.mean, 50);
  assert.equal(j.records[0].threads, 8);
  assert.equal(j.records[0].device.label, 'AMD Ryzen 7 7800X3D 8-Core Processor');

  assert.deepEqual(splitCsvLine('"a","b, ""c""",1'), ['a', 'b, "c"', '1']);
  const c = importLlmRun(LLAMA_CSV);
  assert.equal(c.records.length, 1);
  const rec = c.records[0];
  assert.equal(rec.source.variant, 'csv');
  assert.equal(rec.device.cpu, 'Qualcomm Kryo, "big" cores');
  assert.equal(rec.threads, 6);
  close(rec.prefill?.mean, 310.679612);
  close(rec.prefill?.stddev, 2.262);
  close(rec.decode?.mean, 50);
  assert.equal(rec.genTokens, 32);
  close(rec.timeToFirstTokenMs?.mean, 412);
});

test('llama-bench test labels', () => {
  assert.deepEqual(parseTestLabel('pp512'), { kind: 'pp', promptTokens: 512, genTokens: 0, depth: undefined });
  assert.deepEqual(parseTestLabel('pp 512'), { kind: 'pp', promptTokens: 512, genTokens: 0, depth: undefined });
  assert.deepEqual(parseTestLabel('tg128 @ d512'), { kind: 'tg', promptTokens: 0, genTokens: 128, depth: 512 });
  assert.deepEqual(parseTestLabel('pp512+tg128'), { kind: 'pg', promptTokens: 512, genTokens: 128, depth: undefined });
  assert.deepEqual(parseTestLabel('tg128@pp512'), { kind: 'gp', promptTokens: 512, genTokens: 128, depth: undefined });
  assert.equal(parseTestLabel('unknown'), undefined);
  const only = importLlmRun(LLAMA_MD.replace(/pp512 \|/g, 'pp512+tg128 |').split('\n').filter((l) => !l.includes('tg128 |') || l.includes('+')).join('\n'));
  assert.equal(only.records[0].prefill, undefined);
  assert.equal(only.records[0].decode, undefined);
  assert.ok(only.records[0].notes.some((n) => n.includes('blended')));
});

test('onnxruntime-genai model_benchmark: TTFT, prefill and decode rates, peak working set', () => {
  const r = importLlmRun(GENAI, { file: 'phi3.txt' });
  assert.equal(r.format, 'genai');
  const rec = r.records[0];
  assert.equal(rec.runner, 'onnxruntime-genai');
  assert.equal(rec.promptTokens, 128);
  assert.equal(rec.genTokens, 64);
  assert.equal(rec.batchSize, 1);
  close(rec.timeToFirstTokenMs?.mean, 412.345);
  close(rec.timeToFirstTokenMs?.stddev, 5.12345);
  assert.equal(rec.timeToFirstTokenMs?.n, 5);
  close(rec.prefill?.mean, 310.418);
  close(rec.prefill?.mean, (1e6 / 412345) * 128, 1e-5);
  close(rec.prefill?.stddev, (310.418 * 5123.45) / 412345);
  close(rec.decode?.mean, 21.8919);
  close(rec.decodeLatencyMs?.mean, 45.6789);
  assert.equal(rec.decode?.n, 315);
  assert.equal(rec.peakMemoryBytes, 1876543488);
  close(rec.extra?.['E2E generation avg (ms)'], 3301.23);
  close(rec.extra?.['token sampling avg (ms)'], 0.0123456);
  assert.equal(rec.repetitions, 5);
  // iostream's default float format can switch to exponent notation
  const sci = importLlmRun(GENAI.replace('412345', '1.23457e+06').replace('310.418', '103.68'));
  close(sci.records[0].timeToFirstTokenMs?.mean, 1234.57);
});

test('LiteRT-LM BenchmarkInfo: current and older layout', () => {
  const r = importLlmRun(LITERT);
  assert.equal(r.format, 'litert-lm');
  const rec = r.records[0];
  close(rec.prefill?.mean, 608.78);
  close(rec.decode?.mean, 20);
  assert.equal(rec.promptTokens, 256);
  assert.equal(rec.genTokens, 256);
  close(rec.timeToFirstTokenMs?.mean, 470);
  close(rec.modelLoadMs, 1834.52 + 412.08 + 25.4);
  close(rec.tests[0].timeMs?.mean, 420.512);
  close(rec.tests[1].timeMs?.mean, 12800);

  const old = importLlmRun(LITERT_OLD, { format: 'litert-lm' }).records[0];
  close(old.prefill?.mean, 576);
  close(old.prefill?.stddev, Math.sqrt(((512 - 576) ** 2 + (640 - 576) ** 2) / 1));
  assert.deepEqual(old.prefill?.samples, [512, 640]);
  close(old.modelLoadMs, 2100);
  close(old.timeToFirstTokenMs?.mean, 250 + 64000 / 64); // derived: prefill turn 1 + one decode step
  assert.ok(old.notes.some((n) => n.includes('derived')));

  close(parseAbslDuration('1h2m3.5s'), 3723500);
  close(parseAbslDuration('410.123ms'), 410.123);
  close(parseAbslDuration('250us'), 0.25);
  assert.equal(parseAbslDuration('0'), 0);
  assert.equal(parseAbslDuration('soon'), undefined);
});

test('auto-detection and clear errors', () => {
  assert.equal(detectLlmFormat(LLAMA_MD), 'llama-bench');
  assert.equal(detectLlmFormat(LLAMA_CSV), 'llama-bench');
  assert.equal(detectLlmFormat(GENAI), 'genai');
  assert.equal(detectLlmFormat(LITERT), 'litert-lm');
  assert.throws(() => importLlmRun('hello world\n', { file: 'x.txt' }), /unrecognised LLM benchmark output in x\.txt \(starts "hello world"\).*llama-bench.*model_benchmark.*LiteRT-LM/s);
  assert.throws(() => importLlmRun('   \n'), /empty/);
  assert.throws(() => importLlmRun(GENAI, { format: 'llama-bench' }), /not llama-bench output/);
  assert.throws(() => importLlmRun(LLAMA_MD, { format: 'genai' }), /not onnxruntime-genai model_benchmark output/);
  assert.throws(() => importLlmRun(GENAI, { format: 'litert-lm' }), /not LiteRT-LM --benchmark output/);
  assert.throws(() => importLlmRun(LLAMA_JSON.slice(0, 300)), /json/);
  assert.throws(() => importLlmRun(GENAI, { format: 'nope' as 'genai' }), /unknown format/);
});

test('describeLlmRun names rates with units and what they were measured on', () => {
  const text = describeLlmRun(importLlmRun(LLAMA_JSONL).records[0]);
  assert.match(text, /prefill: 48\.08 ± 0\.23 tok\/s \(n=3\) over P=512 prompt tokens/);
  assert.match(text, /decode: {2}24\.53 ± 0\.49 tok\/s/);
  assert.match(text, /measured on: ARMv8 Processor rev 0 \(v8l\)/);
  assert.match(text, /time to first token: 10650\.00 ± 50\.00 ms/);
});

test('CLI: mobileai llm import prints, --json, --out never overwrites', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llm-import-'));
  try {
    const cli = path.resolve(__dirname, '../../extension/cli/mobileai.ts');
    const run = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'llm', 'import', ...args], { cwd: path.resolve(__dirname, '../..') });
    const input = path.join(dir, 'genai.txt');
    await writeFile(input, GENAI);
    const text = await run(input, '--device', 'Pixel 8');
    assert.match(text.stdout, /prefill: 310\.42 ± [\d.]+ tok\/s/);
    assert.match(text.stdout, /measured on: Pixel 8/);
    const out = path.join(dir, 'run.json');
    const j = await run(input, '--json', '--out', out);
    assert.equal(JSON.parse(j.stdout).records[0].decode.mean, 21.8919);
    assert.equal(JSON.parse(await readFile(out, 'utf8')).format, 'genai');
    await assert.rejects(run(input, '--out', out), (e: { stderr: string }) => /Refusing to overwrite/.test(e.stderr));
    await assert.rejects(run(input, '--format', 'csv'), (e: { stderr: string }) => /--format must be one of/.test(e.stderr));
    await writeFile(path.join(dir, 'junk.txt'), 'no numbers here\n');
    await assert.rejects(run(path.join(dir, 'junk.txt')), (e: { stderr: string }) => /unrecognised LLM benchmark output/.test(e.stderr));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
