import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { decoderRunRecord, discoverDecoder, NotADecoderError, runDecoder } from '../../extension/core/llm/decoderRunner';
import { describeLlmRun } from '../../extension/core/llm/runRecord';
import { CancelledError, CancelSource } from '../../extension/core/util/progress';

const models = path.resolve(__dirname, '../../../shared/data/models');
const gpt2 = path.join(models, 'tiny-random-gpt2-fp32-past.onnx');
const mnist = path.join(models, 'mnist.onnx');

test('decoderRunner: discovers the tiny GPT-2 cache (combined past_N, [2, batch, heads, seq, head_dim])', async () => {
  const r = await runDecoder(gpt2, { promptTokens: 8, genTokens: 4, repetitions: 1, warmup: 0, threads: 1 });
  const s = r.signature;
  assert.equal(s.inputIds, 'input_ids');
  assert.equal(s.attentionMask, 'attention_mask');
  assert.equal(s.positionIds, 'position_ids');
  assert.equal(s.logits, 'logits');
  assert.equal(s.vocabSize, 1000);
  assert.equal(s.kv.length, 5);
  assert.equal(s.layers, 5);
  assert.deepEqual(s.kv.map((k) => [k.past, k.present, k.kind, k.seqAxis, k.batchAxis]), [0, 1, 2, 3, 4].map((i) => [`past_${i}`, `present_${i}`, 'combined', 3, 1]));
  assert.equal(s.heads, 4);
  assert.equal(s.headDim, 8);
  assert.match(s.layout, /\[2, batch, heads, seq, head_dim\]/);
});

test('decoderRunner: split past_key_values.N.key/value caches pair with present.N.key/value', () => {
  const dims = ['batch_size', 2, 'past_sequence_length', 16];
  const ins = [
    { name: 'input_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', type: 'int64', shape: ['batch_size', 'total_sequence_length'] },
    ...[0, 1].flatMap((l) => ['key', 'value'].map((kv) => ({ name: `past_key_values.${l}.${kv}`, type: 'float32', shape: dims }))),
  ];
  const outs = [{ name: 'logits', type: 'float32', shape: ['batch_size', 'sequence_length', 500] }, ...[0, 1].flatMap((l) => ['key', 'value'].map((kv) => ({ name: `present.${l}.${kv}`, type: 'float32', shape: dims })))];
  const s = discoverDecoder(ins, outs, 'split.onnx');
  assert.deepEqual(s.kv.map((k) => [k.past, k.present, k.kind, k.layer, k.seqAxis]), [
    ['past_key_values.0.key', 'present.0.key', 'key', 0, 2],
    ['past_key_values.0.value', 'present.0.value', 'value', 0, 2],
    ['past_key_values.1.key', 'present.1.key', 'key', 1, 2],
    ['past_key_values.1.value', 'present.1.value', 'value', 1, 2],
  ]);
  assert.equal(s.layers, 2);
  assert.equal(s.heads, 2);
  assert.equal(s.headDim, 16);
  assert.equal(s.layout, '[batch, heads, seq, head_dim]');
  assert.equal(s.idsType, 'int64');
  assert.equal(s.positionIds, undefined);
});

test('decoderRunner: prefill + decode on the tiny GPT-2 — positive rates, D latencies, KV grows by one each step', async () => {
  const P = 16;
  const D = 12;
  const r = await runDecoder(gpt2, { promptTokens: P, genTokens: D, repetitions: 3, warmup: 1, threads: 1, seed: 7 });
  assert.equal(r.promptTokens, P);
  assert.equal(r.genTokens, D);
  assert.equal(r.threads, 1);
  assert.equal(r.modelFile, gpt2);
  assert.equal(r.emptyPastAccepted, true, 'onnxruntime takes a zero-length past for the prefill');
  for (const v of [r.prefill.mean, r.decode.mean, r.timeToFirstTokenMs.mean, r.decodeLatencyMs.mean, r.modelLoadMs]) assert.ok(Number.isFinite(v) && v > 0, `expected positive finite, got ${v}`);
  assert.ok(Number.isFinite(r.prefill.stddev!) && Number.isFinite(r.decode.stddev!));
  assert.equal(r.prefill.n, 3);
  assert.equal(r.runs.length, 3);
  assert.equal(r.decodeLatencySeriesMs.length, D);
  for (const run of r.runs) {
    assert.equal(run.decodeLatencyMs.length, D);
    assert.ok(run.decodeLatencyMs.every((x) => Number.isFinite(x) && x > 0));
    // kvLengths[0] is after the prefill; kvLengths[step] after decode step `step`: P + step.
    assert.deepEqual(run.kvLengths, Array.from({ length: D + 1 }, (_, step) => P + step));
    assert.equal(run.generated.length, D + 1);
    assert.ok(run.generated.every((t) => Number.isInteger(t) && t >= 0 && t < 1000));
  }
  assert.ok(r.notes.some((n) => /host CPU with onnxruntime-node/.test(n)));
  const rec = decoderRunRecord(r);
  assert.equal(rec.schema, 'mobileai.llm-run/1');
  assert.equal(rec.runner, 'mobileai-onnx');
  assert.equal(rec.source.format, 'measured');
  assert.equal(rec.device.kind, 'host');
  assert.equal(rec.promptTokens, P);
  assert.equal(rec.genTokens, D);
  assert.match(describeLlmRun(rec), /prefill: .* tok\/s.* over P=16/);
});

test('decoderRunner: greedy decoding is deterministic for a seed', async () => {
  const a = await runDecoder(gpt2, { promptTokens: 10, genTokens: 8, repetitions: 2, warmup: 0, threads: 1, seed: 42 });
  const b = await runDecoder(gpt2, { promptTokens: 10, genTokens: 8, repetitions: 1, warmup: 0, threads: 2, seed: 42 });
  assert.deepEqual(a.runs[0].generated, a.runs[1].generated);
  assert.deepEqual(a.runs[0].generated, b.runs[0].generated);
});

test('decoderRunner: a non-decoder model (mnist) is refused, naming what is missing', async () => {
  await assert.rejects(runDecoder(mnist, { promptTokens: 4, genTokens: 2, repetitions: 1 }), (err: unknown) => {
    assert.ok(err instanceof NotADecoderError);
    assert.match(err.message, /mnist\.onnx is not a decoder/);
    assert.match(err.message, /input_ids/);
    assert.match(err.message, /Input3/);
    return true;
  });
  assert.throws(
    () => discoverDecoder([{ name: 'input_ids', type: 'int64', shape: ['b', 's'] }], [{ name: 'logits', type: 'float32', shape: ['b', 's', 10] }], 'nocache.onnx'),
    /nocache\.onnx is not a decoder with a KV cache: no past key\/value inputs .*\[input_ids\]/,
  );
});

test('decoderRunner: cancel stops the run', async () => {
  const src = new CancelSource();
  let reports = 0;
  const run = runDecoder(gpt2, {
    promptTokens: 8,
    genTokens: 64,
    repetitions: 50,
    warmup: 0,
    threads: 1,
    signal: src.signal,
    progress: { report: () => { if (++reports === 2) src.cancel(); } },
  });
  await assert.rejects(run, CancelledError);
  assert.ok(reports < 50);
  const pre = new CancelSource();
  pre.cancel();
  await assert.rejects(runDecoder(gpt2, { signal: pre.signal }), CancelledError);
});
