import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { describeTfliteSummary, summarizeTfliteBytes, summarizeTfliteFile, type TfliteSummary } from '../../extension/core/tflite/summary';
import {
  Buffer as TflBuffer, BuiltinOperator, BuiltinOptions, CustomOptionsFormat, ExternalBuffer, ExternalBufferGroup, Model, Operator, OperatorCode, SubGraph, Tensor, TensorType,
} from '../../extension/core/tflite/schema_generated';
import { npmModel } from '../helpers/npmModels';

/*
 * Real .tflite files our other tests do not use, each next to what flatc (flatbuffers' own C++ reader, driven by
 * TFLite's schema.fbs) printed for it, reduced by test/fixtures/tflite/flatc-facts.py. Sources (PROVENANCE.md):
 * google-ai-edge/LiteRT @ f674577 test data (Apache-2.0) in test/fixtures/tflite/litert/, and MediaPipe's hand
 * landmark model from npm @mediapipe/hands@0.4.1675469240 (Apache-2.0), fetched once into the npm model cache.
 * Together they cover: per-channel int8 (pc_conv), int16 activations (single_rsqrt a16w8), block-wise quantization
 * (blockwise_quantized), sparse tensors (sparse_tensor), WHILE with three subgraphs and a signature
 * (multi_subgraphs_while), two signatures over two subgraphs (multi_signatures), buffers stored after the flatbuffer
 * and a builtin above 127 (simple_group_norm_op: STABLEHLO_COMPOSITE), op codes that need the
 * max(builtin_code, deprecated_builtin_code) rule and op versions (test_model_versioned_ops, mixed16x8), string
 * inputs and dynamic shape signatures, metadata entries (with_metadata), fp16 weights behind DEQUANTIZE (MediaPipe).
 */

const DIR = path.join(__dirname, '..', 'fixtures', 'tflite');

type Quant = { scale: number[]; zero_point: number[]; quantized_dimension: number; details_type?: string; details?: Record<string, number | number[]> };
interface Facts {
  source: string;
  version: number;
  description: string;
  subgraphs: Array<{ name: string; inputs: number[]; outputs: number[]; operators: number }>;
  opHistogram: Record<string, number>;
  buffers: number;
  buffersAfterFlatbuffer: number;
  metadata: Array<[string, number]>;
  signatureDefs: Array<[string, number, Array<[string, number]>, Array<[string, number]>]>;
  /** [subgraph, name, TYPE, shape, shape_signature | null, stored bytes, quantization | null, sparsity | null] */
  tensors: Array<[number, string, string, number[], number[] | null, number, Quant | null, { traversal_order: number[]; block_map: number[]; dim_formats: string[] } | null]>;
}

/** flatc prints floats with 6 decimals. */
const close = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= 5.01e-7 + 1e-6 * Math.abs(b[i]));

function agrees(s: TfliteSummary, f: Facts): void {
  assert.equal(s.schemaVersion, f.version);
  assert.equal(s.description, f.description);
  assert.deepEqual(s.subgraphs.map((g) => ({ name: g.name, inputs: g.inputs.map((t) => t.index), outputs: g.outputs.map((t) => t.index), operators: g.operators })), f.subgraphs);
  assert.deepEqual(Object.fromEntries(s.opHistogram.map((h) => [`${h.op}|${h.custom ? 'custom' : 'builtin'}|v${h.version}`, h.count])), f.opHistogram);
  assert.equal(s.buffers.count, f.buffers);
  assert.equal(s.buffers.beyondFlatbuffer, f.buffersAfterFlatbuffer);
  assert.deepEqual(s.metadata.entries.map((e) => [e.name, e.buffer]), f.metadata);
  assert.deepEqual(s.signatures.map((x) => [x.key, x.subgraph, x.inputs.map((i) => [i.name, i.tensor.index]), x.outputs.map((o) => [o.name, o.tensor.index])]), f.signatureDefs);
  assert.equal(s.tensors.length, f.tensors.length);
  s.tensors.forEach((t, i) => {
    const [sg, name, type, shape, sig, bytes, q, sp] = f.tensors[i];
    const what = `tensor ${i} (${name})`;
    assert.deepEqual([t.subgraph, t.name, t.type, t.bytes], [sg, name, type.toLowerCase(), bytes], what);
    // Dynamic dimensions (-1 in shape_signature) read as null; otherwise the shape as stored.
    assert.deepEqual(t.shape, (sig ?? shape).map((d) => (d < 0 ? null : d)), what);
    if (!q) {
      assert.ok(!t.quantization?.scale.length && !t.quantization?.details, `${what}: no quantization`);
    } else {
      const tq = t.quantization;
      assert.ok(tq, `${what}: quantized`);
      assert.ok(close(tq.scale, q.scale), `${what}: scales ${tq.scale.slice(0, 4)} vs ${q.scale.slice(0, 4)}`);
      assert.deepEqual(tq.zeroPoint, q.zero_point, `${what}: zero points`);
      assert.equal(tq.quantizedDimension, q.quantized_dimension, `${what}: axis`);
      assert.equal(tq.perChannel, q.scale.length > 1);
      if (q.details_type) {
        assert.equal(tq.details, q.details_type);
        const d = q.details ?? {};
        assert.deepEqual(tq.detailsParams && { scales: tq.detailsParams.scalesTensor, zero_points: tq.detailsParams.zeroPointsTensor, block_size: tq.detailsParams.blockSize }, { scales: d.scales ?? 0, zero_points: d.zero_points ?? 0, block_size: d.block_size ?? 0 }, what);
      }
    }
    if (sp) assert.deepEqual(t.sparsity, { traversalOrder: sp.traversal_order, blockMap: sp.block_map, dimFormats: sp.dim_formats }, what);
    else assert.equal(t.sparsity, undefined, what);
  });
  const withData = f.tensors.filter((t) => t[5] > 0);
  assert.ok(s.weights.bytes <= withData.reduce((a, t) => a + t[5], 0), 'weights are counted once per buffer');
  assert.deepEqual(s.warnings.filter((w) => !/no subgraph/.test(w)), []);
}

const facts = (file: string): Facts => JSON.parse(readFileSync(file, 'utf8')) as Facts;

const litert = readdirSync(path.join(DIR, 'litert')).filter((f) => /\.(tflite|bin)$/.test(f)).sort();

test('LiteRT test models: every one is read as flatc reads it', async () => {
  assert.ok(litert.length >= 10, `found ${litert.length} models`);
  for (const m of litert) {
    const f = facts(path.join(DIR, 'litert', `${m.replace(/\.(tflite|bin)$/, '')}.flatc-facts.json`));
    const s = await summarizeTfliteFile(path.join(DIR, 'litert', m));
    try {
      agrees(s, f);
    } catch (e) {
      (e as Error).message = `${m}: ${(e as Error).message}`;
      throw e;
    }
  }
});

test('what a user reads in the summary of the quantized LiteRT models', async () => {
  const pc = await summarizeTfliteFile(path.join(DIR, 'litert', 'pc_conv.bin'));
  const w = pc.tensors.find((t) => t.name === 'Conv/weights');
  assert.ok(w?.quantization);
  assert.deepEqual([w.type, w.quantization.scale.length, w.quantization.quantizedDimension, w.quantization.perChannel], ['int8', 128, 3, true]);
  assert.match(describeTfliteSummary(pc), /Conv\/weights: int8 scale \[128 values, axis 3\]/);

  const a16 = await summarizeTfliteFile(path.join(DIR, 'litert', 'single_rsqrt_default_a16w8_recipe_quantized.tflite'));
  assert.deepEqual(a16.quantization.types, ['int16'], 'int16 activations');
  assert.deepEqual(a16.inputs.map((i) => [i.type, i.shape]), [['int16', [null, 32, 32]]], 'the batch is dynamic (shape_signature -1)');

  const bw = await summarizeTfliteFile(path.join(DIR, 'litert', 'blockwise_quantized.tflite'));
  assert.match(describeTfliteSummary(bw), /quantized_tensor: int8 BlockwiseQuantization block 32, scales in tensor 0, zero points in tensor 1/);

  const sp = await summarizeTfliteFile(path.join(DIR, 'litert', 'sparse_tensor.bin'));
  assert.equal(sp.sparseTensors, 1);
  assert.deepEqual(sp.opHistogram.map((h) => [h.op, h.custom]), [['FakeOp', true]]);

  const gn = await summarizeTfliteFile(path.join(DIR, 'litert', 'simple_group_norm_op.tflite'));
  assert.equal(gn.buffers.beyondFlatbuffer, 6);
  assert.ok(gn.opHistogram.some((h) => h.op === 'STABLEHLO_COMPOSITE'), 'builtin 206 through deprecated_builtin_code 127');
  assert.match(describeTfliteSummary(gn), /Buffers stored after the flatbuffer: 6/);

  const vo = await summarizeTfliteFile(path.join(DIR, 'litert', 'test_model_versioned_ops.bin'));
  assert.deepEqual(vo.opHistogram.map((h) => [h.op, h.custom, h.version]).sort(), [['CONV_2D', false, 3], ['testing_op', true, 2]]);

  const wl = await summarizeTfliteFile(path.join(DIR, 'litert', 'multi_subgraphs_while.bin'));
  assert.deepEqual(wl.subgraphs.map((g) => g.name), ['main', 'while_cond', 'while_body']);
  assert.equal(wl.operatorCountAllSubgraphs, 5);
});

test('MediaPipe hand landmarks (npm @mediapipe/hands): read as flatc reads it, fp16 weights behind DEQUANTIZE', async () => {
  const file = await npmModel('@mediapipe/hands', '0.4.1675469240', 'hand_landmark_lite.tflite');
  const s = await summarizeTfliteFile(file);
  agrees(s, facts(path.join(DIR, 'hand_landmark_lite.flatc-facts.json')));
  assert.equal(s.weights.byDtype.float16?.tensors, s.opHistogram.find((h) => h.op === 'DEQUANTIZE')?.count);
  assert.equal(s.metadata.entries.find((e) => e.name === 'reduced_precision_support')?.text, 'fp16accfp32');
});

/**
 * Schema 3d's external weights (ExternalBufferGroup + ExternalBuffer, Tensor.external_buffer by id), which LiteRT's
 * own tests write and no published model we could get has yet: a model written here with the flatbuffers builder and
 * the generated code, exactly as schema.fbs lays these tables out (flatc --json reads it back with the same groups,
 * ids, offsets and lengths).
 */
function externalWeightsModel(): Uint8Array {
  const b = new flatbuffers.Builder(512);
  const vec = (d: number[]) => { b.startVector(4, d.length, 4); for (let i = d.length - 1; i >= 0; i--) b.addInt32(d[i]); return b.endVector(); };
  const tensor = (name: string, shape: number[], buffer: number, external: number) => {
    const n = b.createString(name);
    const sh = Tensor.createShapeVector(b, shape);
    Tensor.startTensor(b);
    Tensor.addShape(b, sh); Tensor.addType(b, TensorType.FLOAT32); Tensor.addBuffer(b, buffer); Tensor.addName(b, n);
    if (external) Tensor.addExternalBuffer(b, external);
    return Tensor.endTensor(b);
  };
  const tensors = [tensor('x', [1, 4], 0, 0), tensor('w', [4, 4], 0, 7), tensor('bias', [4], 1, 0), tensor('w2', [4, 4], 0, 7), tensor('y', [1, 4], 0, 0)];
  const buffers = [TflBuffer.createBuffer(b, 0, 0n, 0n), TflBuffer.createBuffer(b, TflBuffer.createDataVector(b, new Uint8Array(16)), 0n, 0n)];
  const ops = [Operator.createOperator(b, 0, vec([0, 1, 2]), vec([4]), BuiltinOptions.NONE, 0, 0, CustomOptionsFormat.FLEXBUFFERS, 0, 0, 0n, 0n, 0, 0, -1)];
  const sg = SubGraph.createSubGraph(b, SubGraph.createTensorsVector(b, tensors), vec([0]), vec([4]), SubGraph.createOperatorsVector(b, ops), b.createString('main'), -1);
  const groups = [ExternalBufferGroup.createExternalBufferGroup(b, b.createString('weights.bin'))];
  const ext = [ExternalBuffer.createExternalBuffer(b, 7, 0, 4096n, 64n, b.createString(''))];
  const model = Model.createModel(b, 3, Model.createOperatorCodesVector(b, [OperatorCode.createOperatorCode(b, BuiltinOperator.FULLY_CONNECTED, 0, 1, BuiltinOperator.FULLY_CONNECTED)]),
    Model.createSubgraphsVector(b, [sg]), 0, Model.createBuffersVector(b, buffers), 0, 0, 0, Model.createExternalBufferGroupsVector(b, groups), Model.createExternalBuffersVector(b, ext));
  Model.finishModelBuffer(b, model);
  return b.asUint8Array();
}

test('weights in an external file (schema 3d): which tensors, which file, where, how many bytes', () => {
  const s = summarizeTfliteBytes(externalWeightsModel(), 'external.tflite');
  assert.deepEqual(s.tensors.filter((t) => t.external).map((t) => [t.name, t.external]), [
    ['w', { id: 7, file: 'weights.bin', offset: 4096, bytes: 64 }],
    ['w2', { id: 7, file: 'weights.bin', offset: 4096, bytes: 64 }],
  ]);
  assert.deepEqual(s.externalBuffers, { files: ['weights.bin'], entries: 1, tensors: 2, bytes: 64 });
  assert.deepEqual([s.weights.tensors, s.weights.bytes], [2, 80], 'the bias inline (16 B) and the shared external entry once (64 B)');
  assert.match(describeTfliteSummary(s), /Weights in external files: 2 tensors, 1 entries, 64 B in weights\.bin/);
  assert.deepEqual(s.warnings, []);
});
