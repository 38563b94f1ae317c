import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Tensor } from 'onnxruntime-node';
import { loadOrt } from '../../extension/core/profile/ort';
import { runDecoder } from '../../extension/core/llm/decoderRunner';
import { CancelSource } from '../../extension/core/util/progress';
import { AdbService } from '../../extension/core/adb/adbService';
import { startPhoneOverAdb } from '../helpers/phoneAdb';
import { onnx } from 'onnx-proto';
import { buildDecoderModel, buildDecoder, exploreShapes, exportShapeConfig, quantizeDecoderInt4, type ShapeSpace } from '../../extension/core/llm/shapes';

const ROOT = path.resolve(__dirname, '../..');
const cli = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'extension/cli/mobileai.ts'), 'llm', ...args], { cwd: ROOT });

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llm-explore-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the KV cache is right: prefill of P+1 tokens gives the same last logits as prefill P then one decode step', async () => {
  await withTmp(async (dir) => {
    for (const extra of [{}, { norm: 'layer' as const, positions: 'learned' as const, mlp: 'plain' as const, activation: 'gelu' as const }]) {
      const file = path.join(dir, `d${Object.keys(extra).length}.onnx`);
      await buildDecoder({ layers: 2, hidden: 48, heads: 6, kvHeads: 2, vocab: 97, context: 32, ...extra }, file);
      const ort = loadOrt();
      const s = await ort.InferenceSession.create(file);
      const ids = [5, 17, 3, 88, 41, 9];
      const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
      const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]);
      const feeds = (tokens: number[], past: Record<string, Tensor>, pastLen: number) => ({
        input_ids: i64(tokens), attention_mask: i64(Array(pastLen + tokens.length).fill(1)), position_ids: i64(tokens.map((_, i) => pastLen + i)), ...past,
      });
      const emptyPast = Object.fromEntries([0, 1].flatMap((l) => [`past_key_values.${l}.key`, `past_key_values.${l}.value`].map((n) => [n, empty()])));
      const full = await s.run(feeds(ids, emptyPast, 0));
      const first = await s.run(feeds(ids.slice(0, 5), emptyPast, 0));
      const past = Object.fromEntries([0, 1].flatMap((l) => ['key', 'value'].map((k) => [`past_key_values.${l}.${k}`, first[`present.${l}.${k}`]])));
      const step = await s.run(feeds([ids[5]], past, 5));
      const a = (full.logits.data as Float32Array).slice(5 * 97);
      const b = step.logits.data as Float32Array;
      assert.equal(b.length, 97);
      let maxDiff = 0;
      for (let i = 0; i < 97; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      assert.ok(maxDiff < 1e-4, `cached decode differs from recomputation by ${maxDiff} (${JSON.stringify(extra)})`);
      assert.deepEqual(step['present.1.key'].dims, [1, 2, 6, 8]);
      // A masked-out past token changes the result (the mask is honoured), a visible one does not vanish.
      const masked = await s.run({ ...feeds([ids[5]], past, 5), attention_mask: i64([0, 1, 1, 1, 1, 1]) });
      assert.ok(Math.abs((masked.logits.data as Float32Array)[0] - b[0]) > 1e-6);
      await s.release();
    }
  });
});

test('grouped-query attention is multi-head attention with each KV head shared by its group (as transformers repeat_kv)', async () => {
  const ort = loadOrt();
  const H = 32;
  const D = 8;
  const gqa = buildDecoderModel({ layers: 2, hidden: H, heads: 4, kvHeads: 2, vocab: 40, context: 16 }).model;
  const weights = new Map((gqa.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  /** An MHA twin holding the GQA model's weights, query head h reading KV head kvOf(h). */
  const expanded = (kvOf: (h: number) => number) => {
    const mha = buildDecoderModel({ layers: 2, hidden: H, heads: 4, vocab: 40, context: 16, seed: 3 }).model;
    for (const t of mha.graph?.initializer ?? []) {
      const src = weights.get(t.name ?? '');
      if (!src || (t.name ?? '').startsWith('const_')) continue;
      if (!/\.(k|v)_proj\.weight$/.test(t.name ?? '')) {
        t.rawData = src.rawData;
        continue;
      }
      // [H, 2·D] → [H, 4·D].
      const from = new Float32Array(new Uint8Array(src.rawData as Uint8Array).buffer);
      const to = new Float32Array(H * 4 * D);
      for (let r = 0; r < H; r++) for (let h = 0; h < 4; h++) for (let d = 0; d < D; d++) to[r * 4 * D + h * D + d] = from[r * 2 * D + kvOf(h) * D + d];
      t.rawData = new Uint8Array(to.buffer);
    }
    return mha;
  };
  const run = async (m: onnx.ModelProto, kv: number) => {
    const s = await ort.InferenceSession.create(onnx.ModelProto.encode(m).finish());
    const ids = [3, 1, 4, 1, 5, 9, 2];
    const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
    const past = Object.fromEntries([0, 1].flatMap((l) => ['key', 'value'].map((k) => [`past_key_values.${l}.${k}`, new ort.Tensor('float32', new Float32Array(0), [1, kv, 0, D])])));
    const out = await s.run({ input_ids: i64(ids), attention_mask: i64(ids.map(() => 1)), position_ids: i64(ids.map((_, i) => i)), ...past });
    await s.release();
    return out.logits.data as Float32Array;
  };
  const a = await run(gqa, 2);
  // transformers' repeat_kv: query heads 0, 1 read KV head 0; heads 2, 3 read KV head 1.
  const b = await run(expanded((h) => Math.floor(h / 2)), 4);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  assert.ok(maxDiff < 1e-5, `GQA and its expanded MHA differ by ${maxDiff}`);
  // And the check can fail: another grouping (head h reads KV head h % 2) gives other logits.
  const c = await run(expanded((h) => h % 2), 4);
  assert.ok(c.some((v, i) => Math.abs(v - a[i]) > 1e-4));
});

test('a tiny space explored on the host: measured once, cached per device and shape, fronts, cancel', async () => {
  await withTmp(async (dir) => {
    const cacheRoot = path.join(dir, '.mobileai', 'llm-shapes');
    const space: ShapeSpace = { layers: [1, 2], hidden: 32, heads: [4, 3], kvHeads: [2, 1], vocab: 64, context: 32, weights: ['fp32', 'int4'] };
    const seen: string[] = [];
    const progress: string[] = [];
    const first = await exploreShapes({ space, target: { kind: 'host', threads: 1 }, promptTokens: 4, genTokens: 3, repetitions: 1, cacheRoot, onResult: (r) => seen.push(r.key), progress: { report: (p) => progress.push(p.message ?? '') } });
    // heads 3 does not divide hidden 32; kvHeads 2 is fine with 4 heads: 2 layers × 2 KV × 2 formats.
    assert.equal(first.results.length, 8);
    assert.equal(first.measured, 8);
    assert.deepEqual(first.failures, []);
    assert.ok(first.rejected.some((r) => /heads 3 does not divide hidden 32/.test(r.reason)));
    assert.equal(seen.length, 8);
    assert.ok(progress.some((m) => /timing prefill 4 \+ decode 3/.test(m)));
    for (const r of first.results) {
      assert.ok(r.decodeTokensPerSecond > 0 && r.prefillTokensPerSecond > 0 && r.timeToFirstTokenMs > 0, r.key);
      assert.equal(r.cached, false);
      assert.equal(r.device.kind, 'host');
    }
    const int4 = first.results.find((r) => r.shape.weights === 'int4' && r.shape.layers === 2 && r.shape.kvHeads === 1)!;
    const fp32 = first.results.find((r) => r.shape.weights === 'fp32' && r.shape.layers === 2 && r.shape.kvHeads === 1)!;
    assert.equal(int4.params, fp32.params);
    assert.ok(int4.sizeBytes < fp32.sizeBytes, `int4 ${int4.sizeBytes} < fp32 ${fp32.sizeBytes}`);
    assert.ok(first.front.decode.length >= 1 && first.front.decode.every((k) => first.results.some((r) => r.key === k)));
    // The largest model is on the front whatever its speed; the front rises in parameters as it slows.
    const biggest = Math.max(...first.results.map((r) => r.params));
    const frontParams = first.front.decode.map((k) => first.results.find((r) => r.key === k)!.params);
    assert.equal(frontParams[frontParams.length - 1], biggest);

    const cacheText = await readFile(first.cacheFile, 'utf8');
    assert.equal(Object.keys(JSON.parse(cacheText).entries).length, 8);
    const second = await exploreShapes({ space, target: { kind: 'host', threads: 1 }, promptTokens: 4, genTokens: 3, repetitions: 1, cacheRoot });
    assert.equal(second.measured, 0, 'a second exploration measures nothing already cached');
    assert.ok(second.results.every((r) => r.cached));
    assert.deepEqual(second.results.map((r) => r.decodeTokensPerSecond), first.results.map((r) => r.decodeTokensPerSecond));
    // Only what is new is measured: one more depth.
    const third = await exploreShapes({ space: { ...space, layers: [1, 2, 3], weights: 'fp32', kvHeads: 1 }, target: { kind: 'host', threads: 1 }, promptTokens: 4, genTokens: 3, repetitions: 1, cacheRoot });
    assert.equal(third.results.length, 3);
    assert.equal(third.measured, 1);
    // Other token counts are other measurements.
    const cancel = new CancelSource();
    cancel.cancel();
    const cancelled = await exploreShapes({ space, target: { kind: 'host', threads: 1 }, promptTokens: 5, genTokens: 3, cacheRoot, signal: cancel.signal });
    assert.equal(cancelled.cancelled, true);
    assert.equal(cancelled.measured, 0);
    assert.equal(Object.keys(JSON.parse(await readFile(first.cacheFile, 'utf8')).entries).length, 9, 'the cache keeps everything measured before');
    // A damaged cache is set aside, not trusted and not lost.
    await writeFile(first.cacheFile, '{"schema": "mobileai.llm-shapes/1", "entr');
    const afresh = await exploreShapes({ space: { ...space, layers: 1, weights: 'fp32', kvHeads: 1 }, target: { kind: 'host', threads: 1 }, promptTokens: 4, genTokens: 3, repetitions: 1, cacheRoot });
    assert.equal(afresh.measured, 1);
  });
});

test('int4 twin: built directly or through the quantizer, it runs in our decoder runner and is smaller', async () => {
  await withTmp(async (dir) => {
    const shape = { layers: 2, hidden: 64, heads: 4, kvHeads: 2, vocab: 128, context: 32 };
    const fp32 = await buildDecoder(shape, path.join(dir, 'fp32.onnx'));
    const q = await quantizeDecoderInt4(fp32.file, path.join(dir, 'q4.onnx'));
    assert.equal(q.quantizedMatMuls, 2 * 7 + 1);
    assert.ok(q.output.bytes < q.input.bytes / 3, `${q.output.bytes} vs ${q.input.bytes}`);
    await assert.rejects(quantizeDecoderInt4(q.output.file, path.join(dir, 'q4q4.onnx')), /already quantized \(4-bit weight-only/);
    await assert.rejects(quantizeDecoderInt4(fp32.file, q.output.file), /already exists/);
    const built4 = await buildDecoder({ ...shape, weights: 'int4' }, path.join(dir, 'int4.onnx'));
    for (const file of [q.output.file, built4.file]) {
      const r = await runDecoder(file, { promptTokens: 6, genTokens: 4, repetitions: 1, warmup: 0, threads: 1 });
      assert.equal(r.signature.layers, 2);
      assert.equal(r.runs[0].generated.length, 5);
      assert.deepEqual(r.runs[0].kvLengths, [6, 7, 8, 9, 10]);
      assert.ok(r.emptyPastAccepted);
    }
    // Same weights (same seed) quantized both ways: the same int4 graph size.
    assert.equal(built4.sizeBytes, q.output.bytes);
    await assert.rejects(buildDecoder(shape, fp32.file), /already exists/);
  });
});

test('exported config JSON: LlamaConfig keys, never overwrites; the CLI builds, explores, exports and refuses nonsense', async () => {
  await withTmp(async (dir) => {
    const cfgFile = path.join(dir, 'config.json');
    await exportShapeConfig({ layers: 30, hidden: 576, heads: 9, kvHeads: 3, ffn: 1536, vocab: 49152 }, cfgFile);
    const cfg = JSON.parse(await readFile(cfgFile, 'utf8'));
    assert.deepEqual(
      [cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.vocab_size, cfg.max_position_embeddings, cfg.hidden_act, cfg.tie_word_embeddings, cfg.rms_norm_eps, cfg.rope_theta],
      [576, 1536, 30, 9, 3, 49152, 2048, 'silu', true, 1e-5, 10000],
    );
    assert.equal(cfg.mobileai.params, 134515008);
    await assert.rejects(exportShapeConfig({ layers: 1, hidden: 32, heads: 4, vocab: 10 }, cfgFile), /Refusing to overwrite/);

    const built = await cli('build-decoder', '--layers', '1', '--hidden', '32', '--heads', '4', '--kv-heads', '2', '--vocab', '50', '--weights', 'int4', '--out', path.join(dir, 'c.onnx'), '--json');
    const b = JSON.parse(built.stdout);
    assert.equal(b.shape.weights, 'int4');
    assert.equal(b.params.total, 50 * 32 + 32 * (32 + 2 * 16 + 32) + 3 * 32 * 88 + 3 * 32);
    assert.ok((await stat(path.join(dir, 'c.onnx'))).size > 0);
    await assert.rejects(cli('build-decoder', '--layers', '1', '--hidden', '30', '--heads', '4', '--vocab', '50', '--out', path.join(dir, 'bad.onnx')), (e: { stderr: string }) => /heads 4 does not divide hidden 30/.test(e.stderr));
    await assert.rejects(stat(path.join(dir, 'bad.onnx')), /ENOENT/);

    const space = JSON.stringify({ layers: [1, 2], hidden: 32, heads: 4, kvHeads: 2, vocab: 50, context: 16 });
    const out = await cli('explore', '--space', space, '-p', '4', '-n', '2', '-r', '1', '--threads', '1', '--cache', path.join(dir, 'cache'), '--json', '--export-config', path.join(dir, 'picked.json'), '--pick', '2');
    const j = JSON.parse(out.stdout);
    assert.equal(j.schema, 'mobileai.llm-explore/1');
    assert.equal(j.results.length, 2);
    assert.equal(j.measured, 2);
    const picked = JSON.parse(await readFile(path.join(dir, 'picked.json'), 'utf8'));
    assert.equal(picked.num_hidden_layers, j.results[1].shape.layers);
    const again = await cli('explore', '--space', space, '-p', '4', '-n', '2', '--cache', path.join(dir, 'cache'), '--threads', '1');
    assert.match(again.stdout, /2 shapes on host CPU .*: 0 measured now, 2 from the cache/);
    assert.match(again.stdout, /\(cached\)/);
    await assert.rejects(cli('explore', '--space', '{"layers": 2}', '--cache', path.join(dir, 'cache')), (e: { stderr: string }) => /the space needs hidden/.test(e.stderr));
    await assert.rejects(cli('explore', '--space', space, '--export-config', path.join(dir, 'x.json')), (e: { stderr: string }) => /--export-config needs --pick/.test(e.stderr));
  });
});

test('explored on the virtual phone through the real adb server: timed with its onnxruntime_perf_test, marked virtual, cached per phone', async () => {
  const p = await startPhoneOverAdb();
  try {
    const adb = new AdbService({ serverPort: p.server.port }, { env: p.server.env });
    const cacheRoot = path.join(p.tmp, 'cache');
    const space: ShapeSpace = { layers: 1, hidden: 32, heads: 4, kvHeads: 2, vocab: 64, context: 16, weights: ['fp32', 'int4'] };
    const opts = { space, target: { kind: 'phone' as const, adb, serial: p.serial }, promptTokens: 4, genTokens: 2, repetitions: 1, cacheRoot };
    const r = await exploreShapes(opts);
    assert.deepEqual(r.failures, []);
    assert.equal(r.results.length, 2);
    assert.equal(r.device.kind, 'virtual-phone');
    assert.match(r.device.label, /virtual phone .*not a phone/);
    for (const x of r.results) {
      assert.ok(x.decodeTokensPerSecond > 0 && x.prefillTokensPerSecond > 0 && x.timeToFirstTokenMs > 0);
      assert.ok(x.notes.some((n) => /onnxruntime_perf_test/.test(n)));
    }
    assert.match(path.basename(r.cacheFile), /^phone-/);
    const again = await exploreShapes(opts);
    assert.equal(again.measured, 0);
    // The host's cache is another device's: nothing of the phone's is reused there.
    const host = await exploreShapes({ ...opts, target: { kind: 'host', threads: 1 } });
    assert.equal(host.measured, 2);
  } finally {
    await p.stop();
  }
});
