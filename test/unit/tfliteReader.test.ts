import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeTflite, loadTflite, TfliteFormatError } from '../../extension/core/tflite/reader';
import { describeTfliteSummary, summarizeTfliteBytes, summarizeTfliteFile } from '../../extension/core/tflite/summary';
import { layoutTfliteGraph } from '../../extension/core/tflite/graph';
import { buildModel, storedZip, syntheticFile } from '../helpers/tfliteBuilder';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'tflite');
const fixture = (name: string) => path.join(FIXTURES, name);

/** What `flatc --json` (an independent reader: flatc's own C++ parser and the schema) printed for each model. */
interface FlatcFacts {
  version: number;
  description: string;
  subgraphs: number;
  inputs: Array<{ index: number; name: string; type: string; shape: number[] }>;
  outputs: Array<{ index: number; name: string; type: string; shape: number[] }>;
  operators: number;
  opHistogram: Record<string, number>;
  buffers: number;
  metadata: unknown[];
  signatureDefs: unknown[];
  /** [name, TYPE, shape, bytes in its buffer, has quantization scales] */
  tensors: Array<[string, string, number[], number, boolean]>;
}
const facts = (name: string): FlatcFacts => JSON.parse(readFileSync(fixture(`${name}.flatc-facts.json`), 'utf8')) as FlatcFacts;

for (const name of ['face_detection_short_range', 'selfie_segmentation']) {
  test(`${name}: the summary agrees with flatc's own reading of the file`, async () => {
    const f = facts(name);
    const s = await summarizeTfliteFile(fixture(`${name}.tflite`));
    assert.equal(s.schemaVersion, f.version);
    assert.equal(s.description, f.description);
    assert.equal(s.subgraphs.length, f.subgraphs);
    assert.equal(s.buffers.count, f.buffers);
    assert.equal(s.operatorCount, f.operators);
    const io = (l: FlatcFacts['inputs']) => l.map((t) => ({ index: t.index, name: t.name, type: t.type.toLowerCase(), shape: t.shape }));
    assert.deepEqual(s.inputs, io(f.inputs));
    assert.deepEqual(s.outputs, io(f.outputs));
    const hist = Object.fromEntries(s.opHistogram.map((h) => [`${h.op}|${h.custom ? 'custom' : 'builtin'}|v${h.version}`, h.count]));
    assert.deepEqual(hist, f.opHistogram);
    assert.equal(s.tensors.length, f.tensors.length);
    s.tensors.forEach((t, i) => {
      const [fname, ftype, fshape, fbytes, fquant] = f.tensors[i];
      assert.deepEqual([t.name, t.type, t.shape, t.bytes, Boolean(t.quantization?.scale.length)], [fname, ftype.toLowerCase(), fshape, fbytes, fquant], `tensor ${i}`);
    });
    // Weights are the tensors with data: their bytes add up to what flatc saw in the buffers.
    const withData = f.tensors.filter((t) => t[3] > 0);
    assert.equal(s.weights.tensors, withData.length);
    assert.equal(s.weights.bytes, withData.reduce((a, t) => a + t[3], 0));
    assert.deepEqual(s.metadata.entries, f.metadata);
    assert.deepEqual(s.signatures, f.signatureDefs);
    assert.deepEqual(s.warnings, []);
  });
}

test('face_detection_short_range: the facts in the shared README (fp16 weights expanded by DEQUANTIZE, float32 input 1×128×128×3)', async () => {
  const s = await summarizeTfliteFile(fixture('face_detection_short_range.tflite'));
  assert.deepEqual(s.inputs.map((i) => [i.type, i.shape]), [['float32', [1, 128, 128, 3]]]);
  const deq = s.opHistogram.find((h) => h.op === 'DEQUANTIZE');
  assert.ok(deq && deq.count > 0);
  // Every weight that is not an int32 shape operand is float16, and there is one DEQUANTIZE per float16 weight.
  assert.deepEqual(Object.keys(s.weights.byDtype).sort(), ['float16', 'int32']);
  assert.equal(s.weights.byDtype.float16.tensors, deq.count);
  assert.equal(s.weights.byDtype.float16.bytes, s.weights.byDtype.float16.count * 2);
  const text = describeTfliteSummary(s);
  assert.match(text, /input {2}float32\[1, 128, 128, 3\]/);
  assert.match(text, /DEQUANTIZE {2}v2/);
  assert.match(text, /float16 +74 tensors/);
});

test('selfie_segmentation: the MediaPipe custom op is named as a custom op, input float32 1×256×256×3', async () => {
  const s = await summarizeTfliteFile(fixture('selfie_segmentation.tflite'));
  assert.deepEqual(s.inputs.map((i) => [i.type, i.shape]), [['float32', [1, 256, 256, 3]]]);
  assert.deepEqual(s.opHistogram.filter((h) => h.custom).map((h) => [h.op, h.count]), [['Convolution2DTransposeBias', 1]]);
  assert.match(describeTfliteSummary(s), /Convolution2DTransposeBias \(custom\)/);
  const g = layoutTfliteGraph(await loadTflite(fixture('selfie_segmentation.tflite')));
  const custom = g.nodes.filter((n) => n.domain === 'custom');
  assert.equal(custom.length, 1);
  assert.equal(custom[0].opType, 'Convolution2DTransposeBias');
  assert.deepEqual(custom[0].outputs.map((o) => o.shape), ['float32[1×256×256×1]']);
  assert.ok(custom[0].attributes.some(([k, v]) => k === 'custom_options' && /FLEXBUFFERS/.test(v)));
});

test('a byte-level read of the header agrees with the generated reader (identifier, root table, version, buffer count)', async () => {
  const bytes = readFileSync(fixture('face_detection_short_range.tflite'));
  assert.equal(bytes.toString('latin1', 4, 8), 'TFL3');
  const root = bytes.readUInt32LE(0);
  const vtable = root - bytes.readInt32LE(root);
  // Model fields in schema.fbs order: version (0), operator_codes (1), subgraphs (2), description (3), buffers (4).
  const field = (id: number) => bytes.readUInt16LE(vtable + 4 + 2 * id);
  const version = bytes.readUInt32LE(root + field(0));
  const buffersAt = root + field(4);
  const buffersVec = buffersAt + bytes.readUInt32LE(buffersAt);
  const descAt = root + field(3);
  const descStr = descAt + bytes.readUInt32LE(descAt);
  const s = await summarizeTfliteFile(fixture('face_detection_short_range.tflite'));
  assert.equal(s.schemaVersion, version);
  assert.equal(s.buffers.count, bytes.readUInt32LE(buffersVec));
  assert.equal(s.description, bytes.toString('utf8', descStr + 4, descStr + 4 + bytes.readUInt32LE(descStr)));
});

test('the graph has one node per operator, edges from producers to consumers, and shapes on the ports', async () => {
  const loaded = await loadTflite(fixture('face_detection_short_range.tflite'));
  const g = layoutTfliteGraph(loaded);
  assert.equal(g.nodes.length, facts('face_detection_short_range').operators);
  const conv = g.nodes.find((n) => n.opType === 'CONV_2D' && n.inputs[0]?.name === 'input');
  assert.ok(conv, 'the first convolution reads the model input');
  assert.equal(conv.inputs[0].shape, 'float32[1×128×128×3]');
  assert.deepEqual(conv.attributes.filter(([k]) => ['padding', 'strideW', 'fusedActivationFunction'].includes(k)), [['fusedActivationFunction', 'NONE'], ['padding', 'SAME'], ['strideW', '2']]);
  for (const [a, b] of g.edges) {
    const produced = new Set(g.nodes[a].outputs.map((o) => o.name));
    assert.ok(g.nodes[b].inputs.some((i) => produced.has(i.name)), `edge ${a}→${b} carries a tensor`);
    assert.ok(g.nodes[a].y < g.nodes[b].y, 'edges point down the layers');
  }
  // Every DEQUANTIZE feeds a node: the weights reach the convolutions.
  const fed = new Set(g.edges.map(([a]) => a));
  assert.ok(g.nodes.filter((n) => n.opType === 'DEQUANTIZE').every((n) => fed.has(n.id)));
});

test('a model written with the builder: dynamic dims, per-channel quantization, ops past code 127, custom ops, signatures', () => {
  const s = summarizeTfliteBytes(syntheticFile(), 'synthetic.tflite');
  assert.deepEqual(s.warnings, []);
  assert.deepEqual(s.inputs, [{ index: 0, name: 'x', type: 'int8', shape: [null, 4, 4, 3] }]);
  assert.deepEqual(s.opHistogram.map((h) => [h.op, h.custom, h.version, h.count]), [['CONV_2D', false, 3, 1], ['GELU', false, 1, 1], ['MyCustomOp', true, 1, 1]]);
  const w = s.tensors.find((t) => t.name === 'w');
  assert.deepEqual(w?.quantization, { scale: [0.125, 0.25], zeroPoint: [0, 0], quantizedDimension: 0, perChannel: true });
  assert.deepEqual(s.tensors.find((t) => t.name === 'x')?.quantization, { scale: [0.5], zeroPoint: [-1], quantizedDimension: 0, perChannel: false });
  assert.deepEqual(s.quantization, { tensors: 4, perChannel: 2, types: ['int32', 'int8'] });
  assert.deepEqual(s.signatures, [{ key: 'serving_default', subgraph: 0, inputs: [{ name: 'image', tensor: { index: 0, name: 'x', type: 'int8', shape: [null, 4, 4, 3] } }], outputs: [{ name: 'scores', tensor: { index: 7, name: 'g', type: 'int8', shape: [1, 4, 4, 2] } }] }]);
  assert.deepEqual(s.tensors.find((t) => t.name === 'sparse')?.sparsity, { traversalOrder: [0, 1], blockMap: [], dimFormats: ['DENSE', 'SPARSE_CSR'] });
  assert.equal(s.sparseTensors, 1);
  // Weights: w 6 B int8, bias 8 B int32, table 16 B float32 (stored after the flatbuffer), sparse values 20 B.
  assert.deepEqual(s.weights.byDtype, { int8: { tensors: 1, count: 6, bytes: 6 }, int32: { tensors: 2, count: 18, bytes: 28 }, float32: { tensors: 1, count: 4, bytes: 16 } });
  assert.equal(s.buffers.beyondFlatbuffer, 1);
  assert.equal(s.buffers.beyondFlatbufferBytes, 16);
  assert.equal(s.metadata.minRuntimeVersion, '1.14.0');
  assert.deepEqual(s.metadata.model, { name: 'Tiny classifier', description: 'Written by the test', version: 'v7', author: 'Mobile AI Studio', license: 'Apache-2.0', associatedFiles: [{ name: 'labels.txt', description: 'Labels for the 2 classes', type: 'TENSOR_AXIS_LABELS' }], subgraphs: [] });
  assert.deepEqual(s.associatedFiles, [{ name: 'labels.txt', bytes: 8, compressedBytes: 8 }]);
  const text = describeTfliteSummary(s);
  assert.match(text, /x {2}int8\[\?, 4, 4, 3\]/);
  assert.match(text, /w: int8 scale \[2 values, axis 0\]/);
  assert.match(text, /Min runtime: 1\.14\.0/);
  assert.match(text, /Packed files: labels\.txt/);
  assert.match(text, /Signature "serving_default"/);
  const g = layoutTfliteGraph(decodeTflite(syntheticFile(), 'synthetic.tflite'));
  assert.deepEqual(g.nodes.map((n) => [n.opType, n.domain]), [['CONV_2D', 'tflite'], ['MyCustomOp', 'custom'], ['GELU', 'tflite']]);
  assert.deepEqual(g.edges, [[0, 1], [1, 2]]);
  const attrs = Object.fromEntries(g.nodes[0].attributes);
  assert.equal(attrs.padding, 'VALID');
  assert.equal(attrs.fusedActivationFunction, 'RELU6');
  assert.equal(attrs.version, '3');
});

test('a buffer whose offset/size points past the end of the file is reported, not read', () => {
  const file = syntheticFile();
  const flatEnd = file.length - 16 - storedZip('labels.txt', Buffer.from('cat\ndog\n')).length;
  const s = summarizeTfliteBytes(file.subarray(0, flatEnd), 'cut.tflite');
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0], /buffer 5 is stored past the end of the file \(offset \d+, size 16/);
});

test('bad files fail with a clear TfliteFormatError', () => {
  const real = readFileSync(fixture('face_detection_short_range.tflite'));
  assert.throws(() => decodeTflite(new Uint8Array(3), 'tiny.tflite'), (e: unknown) => e instanceof TfliteFormatError && /tiny\.tflite: 3 bytes is too short/.test(e.message));
  const onnx = readFileSync(path.join(__dirname, '..', 'fixtures', 'models', 'mnist.onnx'));
  assert.throws(() => decodeTflite(onnx, 'mnist.onnx'), (e: unknown) => e instanceof TfliteFormatError && /not a TFLite model: the identifier at byte 4 is .*expected "TFL3" \(it looks like a protobuf/.test(e.message));
  const wrong = Buffer.from(real); wrong.write('TFL2', 4, 'latin1');
  assert.throws(() => decodeTflite(wrong, 'old.tflite'), /identifier at byte 4 is "TFL2", expected "TFL3"/);
  const rootOut = Buffer.from(real); rootOut.writeUInt32LE(real.length + 100, 0);
  assert.throws(() => decodeTflite(rootOut, 'root.tflite'), (e: unknown) => e instanceof TfliteFormatError && /root table offset/.test(e.message));
  assert.throws(() => summarizeTfliteBytes(real.subarray(0, real.length / 2), 'half.tflite'), (e: unknown) => e instanceof TfliteFormatError && /half\.tflite: .*outside the file|half\.tflite: .*past the end/.test(e.message));
});

test('a file whose vectors all point at the same big table is refused quickly, not read for minutes', () => {
  // 5000 subgraph entries that all point at one subgraph of 5000 entries that all point at one tensor: 25 million tensors.
  const bytes = buildModel({ externalOffset: 2n, externalSize: 16n, repeat: 5000 });
  assert.ok(bytes.length < 100_000);
  // CPU time of this process (not wall clock): the work the reader did, whatever else the machine is doing.
  const cpu = process.cpuUsage();
  let err: unknown;
  try {
    summarizeTfliteBytes(bytes, 'loop.tflite');
  } catch (e) {
    err = e;
  }
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  assert.ok(err instanceof TfliteFormatError && /loop\.tflite: too many references/.test(err.message), String(err));
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms of CPU`);
});
