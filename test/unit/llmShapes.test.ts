import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { onnx } from 'onnx-proto';
import { checkModel } from '../../extension/core/onnx/check';
import { discoverDecoder } from '../../extension/core/llm/decoderRunner';
import {
  ShapeError, buildDecoderModel, countParams, enumerateShapes, normalizeShape, shapeConfigJson, shapeFromConfigJson, shapeFronts, shapeKey,
} from '../../extension/core/llm/shapes';

interface Published {
  name: string;
  config: Record<string, unknown>;
  publishedParams?: number;
  publishedEmbeddingParams?: number;
  publishedParamsMillions?: number;
  publishedParamsBillions?: number;
}
const PUBLISHED = (JSON.parse(readFileSync(path.join(__dirname, '../fixtures/llm/shapes/published-configs.json'), 'utf8')) as { models: Published[] }).models;
const byName = (n: string) => PUBLISHED.find((m) => m.name === n) as Published;

test('parameter counts match the published MobileLLM, SmolLM2 and PhoneLM configs', () => {
  const smol = byName('SmolLM2-135M');
  const s = countParams(shapeFromConfigJson(smol.config));
  assert.equal(s.total, smol.publishedParams, 'SmolLM2-135M exactly as transformers counts it');
  assert.equal(s.embeddings, smol.publishedEmbeddingParams);
  for (const name of ['MobileLLM-125M', 'MobileLLM-350M']) {
    const m = byName(name);
    const c = countParams(shapeFromConfigJson(m.config));
    // The paper's figures are the exact count truncated to 0.1 M (124,635,456 → 124.6 M; 345,355,200 → 345.3 M).
    assert.equal(Math.floor(c.total / 1e5) / 10, m.publishedParamsMillions, `${name}: ${c.total}`);
    // share_embedding: counting the head separately would add V·H and miss the paper's figure.
    assert.notEqual(Math.floor(countParams({ ...shapeFromConfigJson(m.config), tiedEmbeddings: false }).total / 1e5) / 10, m.publishedParamsMillions);
  }
  const phone = byName('PhoneLM-0.5B');
  const p = countParams(shapeFromConfigJson(phone.config));
  assert.equal(Math.round(p.total / 1e8) / 10, phone.publishedParamsBillions, `PhoneLM-0.5B: ${p.total}`);
  // The parts add up, and deep-and-thin vs wide at the same budget differ only where they should.
  assert.equal(s.embeddings + s.attention + s.ffn + s.norms, s.total);
  assert.equal(s.norms, (2 * 30 + 1) * 576);
});

test('the built graph holds exactly the counted parameters, with the KV cache laid out for GQA', () => {
  const shape = { layers: 3, hidden: 96, heads: 6, kvHeads: 2, vocab: 300, context: 64, tiedEmbeddings: false };
  const b = buildDecoderModel(shape);
  assert.equal(b.builtParams, countParams(shape).total);
  assert.deepEqual(checkModel(b.model), []);
  const g = b.model.graph as onnx.GraphProto;
  const dims = (vi: onnx.IValueInfoProto) => vi.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue));
  const past = g.input.find((i) => i.name === 'past_key_values.2.value');
  assert.deepEqual(dims(past!), ['batch_size', 2, 'past_sequence_length', 16]);
  assert.deepEqual(dims(g.output.find((o) => o.name === 'present.0.key')!), ['batch_size', 2, 'total_sequence_length', 16]);
  assert.deepEqual(dims(g.output.find((o) => o.name === 'logits')!), ['batch_size', 'sequence_length', 300]);
  const k = g.initializer.find((t) => t.name === 'model.layers.1.self_attn.k_proj.weight');
  assert.deepEqual(k?.dims?.map(Number), [96, 32]);
  const meta = (vi: onnx.IValueInfoProto) => ({ name: vi.name ?? '', type: vi.type?.tensorType?.elemType === 7 ? 'int64' : 'float32', shape: dims(vi) as Array<number | string> });
  const sig = discoverDecoder(g.input.map(meta), g.output.map(meta));
  assert.equal(sig.layers, 3);
  assert.equal(sig.heads, 2, 'the cache holds the KV heads, not the query heads');
  assert.equal(sig.headDim, 16);
  assert.equal(sig.vocabSize, 300);
  assert.equal(sig.attentionMask, 'attention_mask');
  assert.equal(sig.positionIds, 'position_ids');
  assert.equal(Number(b.model.opsetImport.find((o) => !o.domain)?.version), 17);
});

test('int4 and int8 twins rewrite every projection and the LM head through the quantizer', () => {
  const base = { layers: 2, hidden: 64, heads: 4, kvHeads: 2, vocab: 256, context: 32 };
  const int4 = buildDecoderModel({ ...base, weights: 'int4' });
  const graph = (m: typeof int4.model) => m.graph as onnx.GraphProto;
  const ops = (m: typeof int4.model) => graph(m).node.map((n) => n.opType);
  // 7 projections per layer (q, k, v, o, gate, up, down) + the head.
  assert.equal(ops(int4.model).filter((o) => o === 'MatMulNBits').length, 2 * 7 + 1);
  assert.equal(int4.quantizedMatMuls, 15);
  const nb = graph(int4.model).node.find((n) => n.opType === 'MatMulNBits');
  assert.equal(nb?.domain, 'com.microsoft');
  assert.deepEqual(Object.fromEntries((nb?.attribute ?? []).map((a) => [a.name, Number(a.i)])), { K: 64, N: 64, bits: 4, block_size: 32 });
  assert.deepEqual(checkModel(int4.model), []);
  const int8 = buildDecoderModel({ ...base, weights: 'int8' });
  assert.equal(ops(int8.model).filter((o) => o === 'MatMulInteger').length, 15);
  assert.deepEqual(checkModel(int8.model), []);
  // Attention's activation × activation MatMuls stay float in both.
  assert.equal(ops(int4.model).filter((o) => o === 'MatMul').length, 2 * 2);
  // The tied embedding keeps reading the float matrix the head was quantized from.
  assert.ok(graph(int4.model).initializer.some((t) => t.name === 'lm_head.weight_tied' && t.dataType === 1));
});

test('nonsense shapes are refused with a message naming the field', () => {
  const ok = { layers: 2, hidden: 64, heads: 4, vocab: 100 };
  const refuses = (s: Record<string, unknown>, re: RegExp) => assert.throws(() => buildDecoderModel(s as never), (e: Error) => e instanceof ShapeError && re.test(e.message), JSON.stringify(s));
  refuses({ ...ok, heads: 5 }, /heads 5 does not divide hidden 64/);
  refuses({ ...ok, kvHeads: 3 }, /kvHeads 3 does not divide heads 4/);
  refuses({ ...ok, kvHeads: 8 }, /kvHeads 8 is more than heads 4/);
  refuses({ ...ok, heads: 5, headDim: 13 }, /headDim 13 is odd: rotary/);
  refuses({ ...ok, layers: 0 }, /layers must be a positive integer/);
  refuses({ ...ok, hidden: 64.5 }, /hidden must be a positive integer/);
  refuses({ ...ok, weights: 'int3' }, /weights must be one of fp32, int8, int4/);
  refuses({ ...ok, activation: 'swish' }, /activation must be one of silu, gelu, relu/);
  refuses({ ...ok, ffn: 128, ffnRatio: 2 }, /ffn or ffnRatio, not both/);
  refuses({ ...ok, hidenn: 64 }, /unknown shape field hidenn/);
  // PhoneLM-1.5B-sized: 2.6 GiB of float32, more than one ONNX file holds (refused before any weight is made).
  refuses({ layers: 19, hidden: 2560, heads: 16, ffn: 6816, vocab: 49152 }, /more than the 2 GiB one ONNX file holds/);
  // heads that do not divide hidden are fine with an explicit head size (MobileLLM-style 9 heads × 64 over 576).
  assert.equal(normalizeShape({ ...ok, heads: 5, headDim: 16 }).headDim, 16);
  assert.equal(normalizeShape({ layers: 1, hidden: 576, heads: 9, vocab: 10 }).ffn, 1536, 'default gated FFN: 8/3 × hidden, rounded to 8 (SmolLM and MobileLLM use 1536 at 576)');
});

test('the exported config has LlamaConfig keys and reads back to the same shape', () => {
  const shape = normalizeShape({ layers: 30, hidden: 576, heads: 9, kvHeads: 3, ffn: 1536, vocab: 32000, weights: 'int4' });
  const cfg = shapeConfigJson(shape);
  for (const k of ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'vocab_size', 'max_position_embeddings', 'hidden_act', 'tie_word_embeddings', 'rms_norm_eps', 'rope_theta']) assert.ok(k in cfg, k);
  assert.equal(cfg.num_key_value_heads, 3);
  assert.equal(cfg.hidden_act, 'silu');
  assert.equal(cfg.model_type, 'llama');
  assert.equal(shapeKey(shapeFromConfigJson(cfg, 'int4')), shapeKey(shape));
  assert.throws(() => shapeConfigJson({ ...shape, norm: 'layer', positions: 'learned' }), /Llama config cannot describe LayerNorm, learned positions/);
});

test('a space enumerates valid shapes once, counts the nonsense by reason, samples reproducibly', () => {
  const space = { layers: [2, 4], hidden: [64, 96], heads: [4, 6], kvHeads: [1, 2, 4], vocab: 100, weights: ['fp32', 'int4'] as Array<'fp32' | 'int4'> };
  const e = enumerateShapes(space);
  assert.equal(e.combinations, 2 * 2 * 2 * 3 * 2);
  // heads 6 does not divide hidden 64; kvHeads 4 does not divide 6; … each valid shape once.
  assert.equal(new Set(e.candidates.map(shapeKey)).size, e.candidates.length);
  const valid = e.candidates.length;
  const rejected = e.rejected.reduce((a, r) => a + r.count, 0);
  assert.equal(valid + rejected, e.combinations);
  assert.ok(e.rejected.some((r) => /does not divide hidden/.test(r.reason)));
  assert.ok(e.rejected.some((r) => /kvHeads 4 does not divide heads 6/.test(r.reason)));
  const a = enumerateShapes({ ...space, sample: 5, seed: 7 });
  const b = enumerateShapes({ ...space, sample: 5, seed: 7 });
  assert.equal(a.candidates.length, 5);
  assert.deepEqual(a.candidates.map(shapeKey), b.candidates.map(shapeKey));
  assert.ok(a.sampled);
  assert.equal(enumerateShapes({ ...space, layers: { min: 2, max: 6, step: 2 } }).candidates.length, (valid / 2) * 3);
  assert.throws(() => enumerateShapes({ ...space, layers: { min: 1, max: 64 }, hidden: { min: 64, max: 1024, step: 64 }, heads: [4, 8] }), /at most 256: narrow it or add "sample"/);
  assert.throws(() => enumerateShapes({ ...space, hiden: 3 } as never), /unknown space field hiden/);
});

test('fronts: more parameters and faster decode; a slower smaller shape is dominated', () => {
  const r = (key: string, params: number, decode: number, ttft: number) => ({ key, params, decodeTokensPerSecond: decode, timeToFirstTokenMs: ttft });
  const f = shapeFronts([r('small-fast', 10, 100, 5), r('big-slow', 40, 20, 30), r('mid', 20, 50, 10), r('mid-dominated', 15, 40, 12), r('big-fast-ttft', 30, 10, 8)]);
  assert.deepEqual(f.decode, ['small-fast', 'mid', 'big-slow']);
  assert.deepEqual(f.ttft, ['small-fast', 'big-fast-ttft', 'big-slow']);
});
