import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Workbench, waitUntil } from './harness';

/*
 * A llama-bench run saved with `-o jsonl` on a phone, two thread counts (`-t 4,8`). Format facts from
 * ggml-org/llama.cpp tools/llama-bench/llama-bench.cpp (jsonl_printer: one JSON object per line, the fields of
 * test::get_fields() by name — build_commit, build_number, cpu_info, gpu_info, backends, model_filename,
 * model_type, model_size, model_n_params, n_batch, n_ubatch, n_threads, …, n_prompt, n_gen, n_depth, test_time,
 * avg_ns, stddev_ns, avg_ts, stddev_ts — then `"samples_ns": [ … ],"samples_ts": [ … ]}`; avg_ts =
 * 1e9·(n_prompt + n_gen)/ns averaged over the repetitions). The numbers are made up and self-consistent
 * (as in test/unit/llmImport.test.ts): with 8 threads prefill is faster and decode slower.
 */
const row = (threads: number, nPrompt: number, nGen: number, avgTs: number, stddevTs: number, samplesTs: number[]) => {
  const samplesNs = samplesTs.map((ts) => Math.round((1e9 * (nPrompt + nGen)) / ts));
  const avgNs = Math.round(samplesNs.reduce((a, b) => a + b, 0) / samplesNs.length);
  return `{"build_commit": "8cf427ff", "build_number": 5163, "cpu_info": "ARMv8 Processor rev 0 (v8l)", "gpu_info": "", "backends": "CPU", "model_filename": "/data/local/tmp/llm/models/qwen2.5-1.5b-instruct-q4_0.gguf", "model_type": "qwen2 1.5B Q4_0", "model_size": 1117320736, "model_n_params": 1777088000, "n_batch": 2048, "n_ubatch": 512, "n_threads": ${threads}, "cpu_mask": "0x0", "cpu_strict": false, "poll": 50, "type_k": "f16", "type_v": "f16", "n_gpu_layers": 99, "split_mode": "layer", "main_gpu": 0, "no_kv_offload": false, "flash_attn": false, "tensor_split": "0.00", "use_mmap": true, "embeddings": false, "n_prompt": ${nPrompt}, "n_gen": ${nGen}, "n_depth": 0, "test_time": "2026-11-30T09:1${threads === 4 ? 2 : 5}:01Z", "avg_ns": ${avgNs}, "stddev_ns": 50000000, "avg_ts": ${avgTs}, "stddev_ts": ${stddevTs}, "samples_ns": [ ${samplesNs.join(', ')} ],"samples_ts": [ ${samplesTs.join(', ')} ]}`;
};
const SAVED_JSONL = [
  row(4, 512, 0, 48.075824, 0.225711, [48.3019, 47.8505, 48.0751]),
  row(4, 0, 128, 24.527716, 0.493738, [25, 24.015, 24.5681]),
  row(8, 512, 0, 61.2, 1.05, [62.1, 60.05, 61.45]),
  row(8, 0, 128, 19.75, 2.31, [22.3, 17.8, 19.15]),
].join('\n');

const GPT2 = path.resolve(__dirname, '../../../shared/data/models/tiny-random-gpt2-fp32-past.onnx');

let wb: Workbench;
before(async () => {
  wb = await Workbench.open({
    // Short runs: P = 16 prompt tokens, D = 8 decode steps, 2 repetitions.
    settings: { 'mobileAI.llm.promptTokens': 16, 'mobileAI.llm.genTokens': 8, 'mobileAI.llm.repetitions': 2, 'mobileAI.llm.threads': 1 },
    prepare: async (ws) => {
      await writeFile(path.join(ws, 'qwen-pixel.jsonl'), `${SAVED_JSONL}\n`);
      await copyFile(GPT2, path.join(ws, 'models', 'tiny-random-gpt2-fp32-past.onnx'));
      // An llms: entry in the sample manifest: the palette offers it, and its code lens runs it.
      const manifest = await readFile(path.join(ws, 'mobileai.yaml'), 'utf8');
      await writeFile(path.join(ws, 'mobileai.yaml'), `${manifest.trimEnd()}\nllms:\n  gpt2-vphone:\n    model: models/tiny-random-gpt2-fp32-past.onnx\n    target: vphone\n    promptTokens: 16\n    genTokens: 8\n    repetitions: 2\n    unplug: true\n`);
    },
  });
});
after(async () => {
  await wb?.close();
});

const hasElement = (selector: string) => async (f: Frame) => (await f.$(selector).catch(() => null)) !== null;

async function pick(label: string | RegExp): Promise<void> {
  const r = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await r.waitFor({ timeout: 20000 });
  await r.click();
}

test('a saved llama-bench JSONL imported from the Explorer shows its rates, and its two thread counts compare with deltas', async (t) => {
  await wb.step(t.name, async () => {
    await wb.explorerMenu('qwen-pixel.jsonl', 'Import LLM Benchmark Output…');
    const frame = await wb.webviewFrame(hasElement('#run-stats'), 60000);
    // Two records (one per thread count); the first is shown.
    await waitUntil('two runs in the list', async () => (await frame.locator('#runs li.run').count()) === 2);
    assert.equal(await frame.locator('#stat-prefill strong').innerText(), '48.08 ± 0.23 tok/s');
    assert.equal(await frame.locator('#stat-decode strong').innerText(), '24.53 ± 0.49 tok/s');
    assert.match(await frame.locator('#stat-prefill .sub').innerText(), /P = 512 prompt tokens/);
    assert.match(await frame.locator('#measured-on-device').innerText(), /ARMv8 Processor rev 0/);
    assert.match(await frame.locator('#run-setup').innerText(), /llama-bench · CPU · P=512 D=128 · 4 threads/);
    // The run is kept in the workspace like a measured one.
    const kept = await readdir(path.join(wb.workspace, '.mobileai', 'llm-runs'));
    assert.equal(kept.length, 2, kept.join(', '));
    const saved = JSON.parse(await readFile(path.join(wb.workspace, '.mobileai', 'llm-runs', kept.sort()[0], 'run.json'), 'utf8'));
    assert.equal(saved.runner, 'llama-bench');

    // Compare: tick both runs (keyboard: Space on each checkbox), then Compare Selected.
    const boxes = frame.locator('#runs li.run vscode-checkbox');
    for (let i = 0; i < 2; i++) {
      await boxes.nth(i).focus();
      await wb.page.keyboard.press('Space');
    }
    await frame.locator('#compare').click();
    await waitUntil('the comparison table', async () => (await frame.locator('#compare-table').count()) === 1);
    const decode = await frame.locator('#compare-table tr[data-metric="decode_tps"]').innerText();
    const prefill = await frame.locator('#compare-table tr[data-metric="prefill_tps"]').innerText();
    // The list is newest first; whichever run is the baseline, the deltas are ± 4.78 and ± 13.12 tok/s.
    assert.match(decode, /[+−]4\.78 \([+−](19\.5|24\.2)%\)/, decode);
    assert.match(prefill, /[+−]13\.12 \([+−](27\.3|21\.4)%\)/, prefill);
    assert.match(await frame.locator('#compare-differences').innerText(), /threads: (4 vs 8|8 vs 4)/);
    assert.ok(!/-0\.0+\b/.test(await frame.locator('#compare-table').innerText()), 'no -0.00 in the table');

    // Export the comparison to a CSV file the user names; a second export to the same name asks first.
    const csvFile = path.join(wb.workspace, 'qwen-threads.csv');
    await frame.locator('#export-compare').click();
    await wb.answerFileDialog(csvFile);
    const csv = await waitUntil('the exported CSV', async () => (await readFile(csvFile, 'utf8').catch(() => '')) || undefined, 20000);
    const decodeRow = csv.split('\r\n').find((l) => l.startsWith('decode,')) ?? '';
    assert.match(decodeRow, /^decode,tok\/s,higher,(24\.53,19\.75,-4\.78,-19\.5|19\.75,24\.53,4\.78,24\.2)$/, csv);
    await frame.locator('#export-compare').click();
    await wb.answerFileDialog(csvFile);
    const ask = wb.page.locator('.quick-input-widget', { hasText: /already exists/ });
    await ask.waitFor({ timeout: 15000 });
    await ask.locator('.monaco-button', { hasText: 'Cancel' }).click();
    // Declining takes the save dialog back to its file list; close it, and make sure it stays closed (under
    // load it can come back after an early Escape, and would then close the next test's pickers).
    await waitUntil('the save dialog closed for good', async () => {
      const widget = wb.page.locator('.quick-input-widget');
      if (await widget.isVisible()) await wb.page.keyboard.press('Escape');
      await wb.page.waitForTimeout(1000);
      return !(await widget.isVisible());
    }, 20000);
    assert.equal(await readFile(csvFile, 'utf8'), csv, 'the file is not replaced when the user says no');
  });
});

test('Benchmark LLM on Phone… runs the GPT-2 decoder on the virtual phone and the panel fills live', async (t) => {
  await wb.step(t.name, async () => {
    await waitUntil('the virtual phone in the device list', async () => {
      await wb.openActivity('Mobile AI');
      const rows = await wb.treeRows('Devices');
      return rows.some((r) => /Virtual Phone/.test(r));
    }, 60000);
    const choose = async () => {
      await wb.runCommand('Mobile AI: Benchmark LLM on Phone…');
      await pick('Another benchmark…'); // mobileai.yaml defines one; this test chooses by hand
      await pick(/Virtual Phone/);
      await pick('tiny-random-gpt2-fp32-past.onnx');
      await pick('ONNX decoder (Mobile AI)');
      // The virtual phone says it is charging over USB, as a plugged-in phone does: unplug it for the run.
      await pick('Unplug for the run');
    };
    // Once, under heavy load in CI, the workbench hid the last picker as it showed (the row was there, hidden,
    // nothing in our log). The choices are made again once, and the test says so; the second time must work.
    await choose().catch(async (err: Error) => {
      t.diagnostic(`a picker closed before it was answered; choosing again. ${err.message.split('\n')[0]}`);
      await wb.page.keyboard.press('Escape');
      await choose();
    });
    const frame = await wb.webviewFrame(hasElement('#run-stats'), 60000);
    // Live: samples from the phone arrive while the bench runs.
    const liveSamples = await waitUntil('live samples while the bench runs', async () => {
      const n = Number(await frame.evaluate(() => document.body.dataset.liveSamples ?? '0'));
      return n > 0 ? n : undefined;
    }, 60000);
    assert.ok(liveSamples > 0);
    const done = await waitUntil('the bench to finish', async () => {
      const s = await frame.locator('#status').innerText().catch(() => '');
      if (/Benchmark failed/.test(s)) throw new Error(s);
      return /^Done: /.test(s) ? s : undefined;
    }, 90000);
    assert.match(done, /on Virtual Phone .*decode [\d.]+ tok\/s/);
    assert.equal(await frame.locator('#measured-on-device').innerText().then((x) => x.replace(/ \(.*\)$/, '')), 'virtual phone: onnxruntime-node on the host CPU');
    assert.match(await frame.locator('#stat-prefill strong').innerText(), /^\d+\.\d\d ± \d+\.\d\d tok\/s$/);
    assert.match(await frame.locator('#stat-decode strong').innerText(), /^\d+\.\d\d ± \d+\.\d\d tok\/s$/);
    assert.match(await frame.locator('#stat-decode .sub').innerText(), /D = 8 generated tokens/);
    assert.match(await frame.locator('#stat-ttft strong').innerText(), /^\d+\.\d\d( ± \d+\.\d\d)? ms$/);
    assert.match(await frame.locator('#stat-energy strong').innerText(), /^\d+\.\d\d mJ$/);
    assert.match(await frame.locator('#stat-energy .sub').innerText(), /^decode; avg \d+\.\d\d W.*\(virtual phone power model\)$/);
    assert.match(await frame.locator('#measured-on').innerText(), /unplugged for the run with dumpsys battery unplug/);
    assert.match(await frame.locator('#stat-memory strong').innerText(), /\d (KiB|MiB)$/);
    const points = Number(await frame.evaluate(() => document.body.dataset.timelinePoints ?? '0'));
    assert.equal(points, 16, 'D = 8 tokens × 2 repetitions on the timeline');
    assert.match(await frame.locator('#timeline-caption').innerText(), /temperature and power on the run's time axis/);
    await wb.waitForLog(/llm bench: tiny-random-gpt2-fp32-past\.onnx on Virtual Phone/);
  });
});

test('the quantize button benchmarks the int4 twin the same way and compares size, decode speed and energy per token', async (t) => {
  await wb.step(t.name, async () => {
    const frame = await wb.webviewFrame(hasElement('#run-stats'), 30000);
    const mark = await wb.logMark();
    await frame.locator('#quantize').click();
    await waitUntil('the fp32 vs int4 comparison', async () => /^fp32 vs int4: /.test(await frame.locator('#pane-compare h2').innerText().catch(() => '')), 120000);
    const heading = await frame.locator('#pane-compare h2').innerText();
    assert.match(heading, /tiny-random-gpt2-fp32-past\.onnx \(\d+\.\d KiB\) and tiny-random-gpt2-fp32-past\.int4\.onnx \(\d+\.\d KiB\)/);
    const size = await frame.locator('#compare-table tr[data-metric="model_size_mib"]').innerText();
    assert.match(size, /−0\.\d\d \(−\d\d\.\d%\)/, `the int4 file is smaller: ${size}`);
    assert.equal(await frame.locator('#compare-table tr[data-metric="decode_tps"] .delta').count(), 1);
    assert.equal(await frame.locator('#compare-table tr[data-metric="energy_decode_j"] .delta').count(), 1, 'energy per token side by side');
    assert.match(await frame.locator('#compare-differences').innerText(), /model: tiny-random-gpt2-fp32-past\.onnx vs tiny-random-gpt2-fp32-past\.int4\.onnx/);
    // Two benchmarks in one go (and no third).
    const log = await wb.waitForLogCount(/llm bench: /, 2, { since: mark, timeoutMs: 15000 });
    assert.match(log, /16 MatMuls to int4/);
  });
});

test('the llms: entry in mobileai.yaml has a Benchmark code lens that runs it with its settings, no questions asked', async (t) => {
  await wb.step(t.name, async () => {
    await wb.page.keyboard.press('Control+P');
    await wb.page.locator('.quick-input-widget input').fill('mobileai.yaml');
    await pick('mobileai.yaml');
    const lens = wb.page.locator('.codelens-decoration a', { hasText: 'Benchmark' }).first();
    await lens.waitFor({ timeout: 30000 });
    const before = (await wb.outputChannel()).match(/llm bench: /g)?.length ?? 0;
    await lens.click();
    await waitUntil('the manifest bench to finish', async () => ((await wb.outputChannel()).match(/llm bench: /g)?.length ?? 0) > before || undefined, 60000);
    const log = await wb.outputChannel();
    assert.match(log, /manifest: bench llms\.gpt2-vphone/);
    const frame = await wb.webviewFrame(hasElement('#run-stats'), 30000);
    await waitUntil('the run in the panel', async () => /gpt2-vphone|tiny-random-gpt2/.test(await frame.locator('#run-title').innerText()) || undefined);
    assert.match(await frame.locator('#run-setup').innerText(), /P=16 D=8 · .*2 runs/);
    assert.match(await frame.locator('#measured-on').innerText(), /unplugged for the run/);
  });
});

test('the shape explorer times a small space on this machine and plots it with the Pareto front; a second run comes from the cache', async (t) => {
  await wb.step(t.name, async () => {
    await wb.runCommand('Mobile AI: Explore SLM Shapes');
    const frame = await wb.webviewFrame(hasElement('#shape-space'), 30000);
    await waitUntil('the Shape Explorer tab', async () => (await frame.evaluate(() => document.body.dataset.tab)) === 'shapes' || undefined);
    await frame.locator('#shape-space textarea').fill(JSON.stringify({ layers: [1, 2], hidden: [64], heads: [4], kvHeads: [1, 4], vocab: [512], context: [64] }));
    await frame.locator('#shape-p input').fill('8');
    await frame.locator('#shape-d input').fill('4');
    await frame.locator('#explore').click();
    const summary = await waitUntil('4 shapes measured', async () => {
      const x = await frame.locator('#shape-summary').innerText();
      return /^4 shapes on .*: 4 measured, 0 from the cache$/.test(x) ? x : undefined;
    }, 60000);
    assert.match(summary, /host CPU/);
    assert.equal(await frame.locator('#shape-table tbody tr').count(), 4);
    const rows = await frame.locator('#shape-table tbody tr').allInnerTexts();
    assert.ok(rows.every((r) => /\d+\.\d\d M\s+\d+\.\d\s+\d+\.\d/.test(r)), rows.join('\n'));
    // Details and the config export of the biggest shape.
    await frame.locator('#shape-table tbody tr').last().locator('vscode-button').click();
    await frame.locator('#export-shape').click();
    const cfgFile = path.join(wb.workspace, 'shape-config.json');
    await wb.answerFileDialog(cfgFile);
    const cfg = JSON.parse(await waitUntil('the config JSON', async () => (await readFile(cfgFile, 'utf8').catch(() => '')) || undefined, 20000));
    assert.equal(cfg.num_hidden_layers, 2);
    assert.equal(cfg.hidden_size, 64);
    // Again: everything from the cache, nothing measured.
    await frame.locator('#explore').click();
    await waitUntil('4 shapes from the cache', async () => /: 0 measured, 4 from the cache$/.test(await frame.locator('#shape-summary').innerText()) || undefined, 60000);
  });
});
