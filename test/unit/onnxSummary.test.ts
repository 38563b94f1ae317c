import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import { summarizeFile } from '../../extension/core/onnx/summary';
import { allGraphs, loadModel, onnx, saveModel, OnnxFormatError, readExternalData } from '../../extension/core/onnx/model';
import { ShapeInference, topologicalOrder } from '../../extension/core/onnx/shapes';

const M = (f: string) => path.join(__dirname, '..', 'fixtures', 'models', f);

test('mnist: histogram, parameters and MACs match the values worked out by hand from its layers', async () => {
  const s = await summarizeFile(M('mnist.onnx'));
  assert.deepEqual(s.inputs, [{ name: 'Input3', type: 'float32', shape: [1, 1, 28, 28] }]);
  assert.deepEqual(s.outputs, [{ name: 'Plus214_Output_0', type: 'float32', shape: [1, 10] }]);
  assert.deepEqual(s.opsets, [{ domain: 'ai.onnx', version: 8 }]);
  const h = Object.fromEntries(s.opHistogram.map((x) => [x.opType, x.count]));
  assert.deepEqual(h, { Add: 3, Conv: 2, MaxPool: 2, Relu: 2, Reshape: 2, MatMul: 1 });
  // Conv 8x1x5x5 + 8, Conv 16x8x5x5 + 16, MatMul 256x10 + 10 (float32); two Reshape shapes of 2 int64 each.
  assert.equal(s.parameters.byDtype.float32.count, 200 + 8 + 3200 + 16 + 2560 + 10);
  assert.equal(s.parameters.byDtype.int64.count, 4);
  assert.equal(s.parameters.bytes, 5994 * 4 + 4 * 8);
  // Conv1: 8x28x28 outputs x 25 MACs; Conv2: 16x14x14 x 200; MatMul: 256x10.
  assert.equal(s.macs.byOpType.Conv, 8 * 28 * 28 * 25 + 16 * 14 * 14 * 200);
  assert.equal(s.macs.byOpType.MatMul, 2560);
  assert.equal(s.macs.nodesUnknown, 0);
});

test('weights held by Constant nodes count as parameters (silero VAD)', async () => {
  const s = await summarizeFile(M('silero_vad_16k_op15.onnx'));
  assert.ok(s.parameters.constantNodes > 100, `constant nodes: ${s.parameters.constantNodes}`);
  const model = (await loadModel(M('silero_vad_16k_op15.onnx'))).model;
  let fromConstants = 0;
  let fromInit = 0;
  // The If branches hold weights too: walk every graph.
  for (const g of allGraphs(model.graph!)) {
    for (const n of g.node!) {
      if (n.opType !== 'Constant') continue;
      const t = n.attribute!.find((a) => a.name === 'value')!.t!;
      fromConstants += t.dims!.reduce((a: number, d) => a * Number(d), 1);
    }
    fromInit += g.initializer!.reduce((a, t) => a + t.dims!.reduce((x: number, d) => x * Number(d), 1), 0);
  }
  assert.equal(s.parameters.count, fromConstants + fromInit);
  assert.ok(s.nodeCountWithSubgraphs > s.nodeCount, 'If bodies are counted');
});

test('inputs exclude initializers, symbolic dims stay named, and --dim values let MACs be counted', async () => {
  const s = await summarizeFile(M('bert_toy_optimized.onnx'));
  assert.deepEqual(s.inputs.map((i) => [i.name, i.type, i.shape]), [
    ['input_ids', 'int64', ['batch', 'max_seq_len_in_batch']], ['token_type_ids', 'int64', ['batch', 'max_seq_len_in_batch']], ['input_mask', 'int64', ['batch', 'max_seq_len_in_batch']],
  ]);
  assert.equal(s.opHistogram.find((h) => h.opType === 'MatMul')?.count, 42);
  // Without values only the batch is known (1, by convention): the nodes that depend on the sequence stay uncounted.
  assert.deepEqual(s.at?.inputs.map((i) => i.shape), [[1, null], [1, null], [1, null]]);
  assert.ok(s.macs.nodesUnknown >= 40, `${s.macs.nodesUnknown} unknown`);
  const withDims = await summarizeFile(M('bert_toy_optimized.onnx'), { dims: { batch: 1, max_seq_len_in_batch: 128 } });
  assert.equal(withDims.macs.nodesUnknown, 0, `unknown: ${withDims.macs.unknownExamples.join(', ')}`);
  assert.equal(withDims.macs.nodesCounted, 44);
  const twice = await summarizeFile(M('bert_toy_optimized.onnx'), { dims: { batch: 2, max_seq_len_in_batch: 128 } });
  assert.equal(twice.macs.total, 2 * withDims.macs.total, 'MACs scale with the batch');
});

test('quantized and contrib-op models: dtype mix, domains, MatMulNBits', async () => {
  const q = await summarizeFile(M('conv_qdq_s8s8_perchannel.onnx'), { dims: { batch_size: 1 } });
  assert.ok(q.parameters.byDtype.int8.count > 0);
  assert.equal(q.macs.byOpType.Conv, 32 * 26 * 26 * 3 * 3 * 3);
  const nb = await summarizeFile(M('matmulnbits_add.onnx'), { dims: { M: 4 } });
  assert.deepEqual(nb.opHistogram.map((h) => [h.domain, h.opType]), [['ai.onnx', 'Add'], ['com.microsoft', 'MatMulNBits']]);
  assert.equal(nb.macs.byOpType.MatMulNBits, 4 * 2 * 3);
  const gpt = await summarizeFile(M('tiny-random-gpt2-fp32-past.onnx'), { dims: { batch_size: 1, seq_len: 8, past_seq_len: 4, total_seq_len: 12 } });
  assert.equal(gpt.opHistogram.find((h) => h.opType === 'Attention')?.domain, 'com.microsoft');
  assert.equal(gpt.macs.nodesUnknown, 0);
});

test('nodes out of order (Constants last, as some optimizers write them) are sorted before inference', async () => {
  const { model } = await loadModel(M('bert_toy_optimized.onnx'));
  const order = topologicalOrder(model.graph!.node!);
  const seen = new Set<string>([...model.graph!.input!.map((i) => i.name!), ...model.graph!.initializer!.map((i) => i.name!)]);
  for (const n of order) {
    for (const i of n.input!) if (i) assert.ok(seen.has(i), `${n.name} runs after ${i} is produced`);
    for (const o of n.output!) seen.add(o);
  }
});

test('conv, pool and transpose-conv shape arithmetic', () => {
  const g = onnx.GraphProto.create({
    input: [onnx.ValueInfoProto.create({ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }, { dimValue: 224 }, { dimValue: 224 }] } } } })],
    initializer: [
      onnx.TensorProto.create({ name: 'w', dataType: 1, dims: [16, 3, 3, 3] }),
      onnx.TensorProto.create({ name: 'wt', dataType: 1, dims: [16, 8, 4, 4] }),
    ],
    node: [
      onnx.NodeProto.create({ opType: 'Conv', input: ['x', 'w'], output: ['c'], attribute: [{ name: 'strides', ints: [2, 2], type: 7 }, { name: 'pads', ints: [1, 1, 1, 1], type: 7 }] }),
      onnx.NodeProto.create({ opType: 'MaxPool', input: ['c'], output: ['p'], attribute: [{ name: 'kernel_shape', ints: [3, 3], type: 7 }, { name: 'strides', ints: [2, 2], type: 7 }, { name: 'ceil_mode', i: 1, type: 2 }] }),
      onnx.NodeProto.create({ opType: 'ConvTranspose', input: ['p', 'wt'], output: ['t'], attribute: [{ name: 'strides', ints: [2, 2], type: 7 }, { name: 'pads', ints: [1, 1, 1, 1], type: 7 }] }),
      onnx.NodeProto.create({ opType: 'GlobalAveragePool', input: ['t'], output: ['g'] }),
      onnx.NodeProto.create({ opType: 'Flatten', input: ['g'], output: ['f'] }),
    ],
  });
  const si = new ShapeInference(13);
  si.run(g);
  assert.deepEqual(si.get('c')?.shape, [1, 16, 112, 112]);
  assert.deepEqual(si.get('p')?.shape, [1, 16, 56, 56]);
  assert.deepEqual(si.get('t')?.shape, [1, 8, 112, 112]);
  assert.deepEqual(si.get('f')?.shape, [1, 8]);
});

test('external data is read from the model folder, and locations that leave it are refused', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-ext-'));
  try {
    const weights = Buffer.alloc(64);
    for (let i = 0; i < 16; i++) weights.writeFloatLE(i, i * 4);
    await writeFile(path.join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(16), weights]));
    const ext = (location: string, offset = 16) => onnx.TensorProto.create({ name: 'W', dataType: 1, dims: [4, 4], dataLocation: 1, externalData: [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: '64' }] });
    const model = (t: onnx.ITensorProto) => onnx.ModelProto.create({
      irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
      graph: { name: 'g', initializer: [t], input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }, { dimValue: 4 }] } } } }], output: [{ name: 'y' }], node: [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }] },
    });
    await saveModel(model(ext('weights.bin')), path.join(dir, 'ok.onnx'));
    await assert.rejects(saveModel(model(ext('weights.bin')), path.join(dir, 'ok.onnx')), /Refusing to overwrite/);
    const s = await summarizeFile(path.join(dir, 'ok.onnx'));
    assert.deepEqual(s.parameters.external, { files: ['weights.bin'], bytes: 64 });
    assert.equal(s.parameters.count, 16);
    assert.equal(s.macs.byOpType.MatMul, 2 * 4 * 4);
    const loaded = await loadModel(path.join(dir, 'ok.onnx'));
    const data = await readExternalData(loaded.baseDir!, loaded.model.graph!.initializer![0]);
    assert.equal(data.readFloatLE(60), 15);
    for (const hostile of ['../outside.bin', '/etc/passwd']) {
      const f = path.join(dir, `bad-${hostile.length}.onnx`);
      await saveModel(model(ext(hostile)), f);
      const b = await loadModel(f);
      await assert.rejects(readExternalData(b.baseDir!, b.model.graph!.initializer![0]), OnnxFormatError);
      assert.ok((await summarizeFile(f)).warnings.some((w) => /outside the model's folder|relative path/.test(w)));
    }
    const past = path.join(dir, 'past.onnx');
    await saveModel(model(ext('weights.bin', 1000)), past);
    const p = await loadModel(past);
    await assert.rejects(readExternalData(p.baseDir!, p.model.graph!.initializer![0]), /runs past the end/);
    assert.ok((await readFile(path.join(dir, 'ok.onnx'))).length < 400, 'weights stay outside the .onnx');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// ---- shape arithmetic of real exporters (issue 13 audit) ----------------------------------------------------

const vi = (name: string, dims: Array<number | null>, elemType = 1) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (d === null ? {} : { dimValue: d })) } } } });
const i64 = (name: string, values: number[], dims = [values.length]) => onnx.TensorProto.create({ name, dataType: 7, dims, int64Data: values });
const ints = (name: string, v: number[]) => ({ name, ints: v, type: 7 });

test('tf2onnx Pad: pads built by Split of a constant vector and a reordering Concat are followed (M-LSD), and a known size wins over an unknown dim', () => {
  // As in jp.keijiro.mlsd@1.0.0 mlsd_320x320_tiny.onnx (opset 11): const_fold_opt__335 = [0,0,0,0,0,1,1,0] is
  // split into 8 pieces, Concat__235 takes them in the order 0,3,1,2,4,7,5,6, and block_1_pad/Pad pads the
  // depthwise Conv's input by one row and column at the end before a stride-2 3×3 depthwise Conv.
  const order = [0, 3, 1, 2, 4, 7, 5, 6];
  const g = onnx.GraphProto.create({
    input: [vi('x', [1, 96, 160, 160]), vi('skip', [null, 96, null, null])],
    initializer: [i64('pads_src', [0, 0, 0, 0, 0, 1, 1, 0]), onnx.TensorProto.create({ name: 'dw', dataType: 1, dims: [96, 1, 3, 3] })],
    node: [
      onnx.NodeProto.create({ opType: 'Split', input: ['pads_src'], output: order.map((_, i) => `s${i}`), attribute: [{ name: 'axis', i: 0, type: 2 }, ints('split', [1, 1, 1, 1, 1, 1, 1, 1])] }),
      onnx.NodeProto.create({ opType: 'Concat', input: order.map((i) => `s${i}`), output: ['pads'], attribute: [{ name: 'axis', i: 0, type: 2 }] }),
      onnx.NodeProto.create({ opType: 'Pad', input: ['x', 'pads'], output: ['padded'] }),
      onnx.NodeProto.create({ opType: 'Conv', input: ['padded', 'dw'], output: ['c'], attribute: [ints('strides', [2, 2]), { name: 'group', i: 96, type: 2 }, ints('kernel_shape', [3, 3])] }),
      // An operand whose dims the file leaves unknown: the output takes the known sizes other than 1 (a valid
      // model's unknown dim is that size or 1); against a 1 it stays unknown, never 1 because one side is unknown.
      onnx.NodeProto.create({ opType: 'Add', input: ['c', 'skip'], output: ['sum'] }),
      onnx.NodeProto.create({ opType: 'Add', input: ['skip', 'skip'], output: ['unknown'] }),
    ],
  });
  const si = new ShapeInference(11);
  si.run(g);
  assert.deepEqual(si.get('pads')?.value, [0, 0, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual(si.get('padded')?.shape, [1, 96, 161, 161]);
  assert.deepEqual(si.get('c')?.shape, [1, 96, 80, 80]);
  assert.deepEqual(si.get('sum')?.shape, [null, 96, 80, 80]);
  // Two unknown dims stay unknown: MACs downstream are not counted on a 1×1 map.
  assert.deepEqual(si.get('unknown')?.shape, [null, 96, null, null]);
});

test("PyTorch F.pad's pads (Concat, Reshape to 2 columns, Slice backwards, Transpose) and an If whose condition is the input's rank are followed (Silero VAD)", () => {
  // The chain of /model/stft/padding/* in silero_vad_16k_op15.onnx, which pads the 512-sample chunk before the
  // STFT Conv (258 filters of 256 taps, stride 128). Silero pads (0, 64); here (1, 64), so that the Transpose
  // is not a no-op and its element order is checked.
  const g = onnx.GraphProto.create({
    input: [vi('input', [1, 512])],
    initializer: [
      i64('p', [1, 64]), i64('two', [2], []), i64('zero', [0]), i64('shape2', [-1, 2]), i64('start', [-1]), i64('end', [-9007199254740991]), i64('axis0', [0]), i64('step', [-1]), i64('flat', [-1]), i64('one', [1]),
      onnx.TensorProto.create({ name: 'basis', dataType: 1, dims: [258, 1, 256] }),
    ],
    node: [
      onnx.NodeProto.create({ opType: 'Shape', input: ['p'], output: ['p_shape'] }),
      onnx.NodeProto.create({ opType: 'Cast', input: ['p'], output: ['p_cast'], attribute: [{ name: 'to', i: 7, type: 2 }] }),
      onnx.NodeProto.create({ opType: 'Mul', input: ['two', 'two'], output: ['four'] }),
      onnx.NodeProto.create({ opType: 'Gather', input: ['p_shape', 'zero'], output: ['n'] }),
      onnx.NodeProto.create({ opType: 'Sub', input: ['four', 'n'], output: ['rest'] }),
      onnx.NodeProto.create({ opType: 'ConstantOfShape', input: ['rest'], output: ['zeros'], attribute: [{ name: 'value', t: i64('v', [0], [1]), type: 4 }] }),
      onnx.NodeProto.create({ opType: 'Concat', input: ['p_cast', 'zeros'], output: ['all'], attribute: [{ name: 'axis', i: 0, type: 2 }] }),
      onnx.NodeProto.create({ opType: 'Reshape', input: ['all', 'shape2'], output: ['pairs'] }),
      onnx.NodeProto.create({ opType: 'Slice', input: ['pairs', 'start', 'end', 'axis0', 'step'], output: ['rev'] }),
      onnx.NodeProto.create({ opType: 'Transpose', input: ['rev'], output: ['tr'], attribute: [ints('perm', [1, 0])] }),
      onnx.NodeProto.create({ opType: 'Reshape', input: ['tr', 'flat'], output: ['pads'] }),
      onnx.NodeProto.create({ opType: 'Pad', input: ['input', 'pads'], output: ['padded'] }),
      onnx.NodeProto.create({ opType: 'Unsqueeze', input: ['padded', 'one'], output: ['u'] }),
      onnx.NodeProto.create({ opType: 'Conv', input: ['u', 'basis'], output: ['stft'], attribute: [ints('strides', [128])] }),
      // torch.nn.LSTMCell's export: If (Not (Size(Shape(x)) == 2)) then Unsqueeze(x, 0) else Identity(x).
      onnx.NodeProto.create({ opType: 'Shape', input: ['input'], output: ['in_shape'] }),
      onnx.NodeProto.create({ opType: 'Size', input: ['in_shape'], output: ['rank'] }),
      onnx.NodeProto.create({ opType: 'Equal', input: ['rank', 'two'], output: ['is2d'] }),
      onnx.NodeProto.create({ opType: 'Not', input: ['is2d'], output: ['not2d'] }),
      onnx.NodeProto.create({
        opType: 'If', input: ['not2d'], output: ['batched'], attribute: [
          { name: 'then_branch', type: 5, g: { name: 'then', output: [{ name: 'unsq' }], node: [{ opType: 'Unsqueeze', input: ['input', 'zero'], output: ['unsq'] }] } },
          { name: 'else_branch', type: 5, g: { name: 'else', output: [{ name: 'same' }], node: [{ opType: 'Identity', input: ['input'], output: ['same'] }] } },
        ],
      }),
    ],
  });
  const si = new ShapeInference(15);
  si.run(g);
  assert.deepEqual(si.get('rev')?.value, [0, 0, 1, 64]);
  assert.deepEqual(si.get('pads')?.value, [0, 1, 0, 64], 'begin pads (0, 1), end pads (0, 64)');
  assert.deepEqual(si.get('padded')?.shape, [1, 577]);
  assert.deepEqual(si.get('stft')?.shape, [1, 258, 3]);
  assert.deepEqual(si.get('batched')?.shape, [1, 512], 'the input is 2-D: the else branch runs');
});

test('float shape arithmetic divides exactly; integer shape arithmetic truncates', () => {
  const g = onnx.GraphProto.create({
    input: [vi('x', [1, 3, 5, 5])],
    initializer: [onnx.TensorProto.create({ name: 'half', dataType: 1, dims: [1], floatData: [2] }), i64('two', [2])],
    node: [
      onnx.NodeProto.create({ opType: 'Shape', input: ['x'], output: ['s'] }),
      onnx.NodeProto.create({ opType: 'Cast', input: ['s'], output: ['sf'], attribute: [{ name: 'to', i: 1, type: 2 }] }),
      onnx.NodeProto.create({ opType: 'Div', input: ['sf', 'half'], output: ['fdiv'] }),
      onnx.NodeProto.create({ opType: 'Div', input: ['s', 'two'], output: ['idiv'] }),
    ],
  });
  const si = new ShapeInference(13);
  si.run(g);
  assert.deepEqual(si.get('fdiv')?.value, [0.5, 1.5, 2.5, 2.5]);
  assert.deepEqual(si.get('idiv')?.value, [0, 1, 2, 2]);
});

test('an If whose branches read an outer value is sorted after the node producing it (outer-scope reads are dependencies)', () => {
  // Silero VAD's exported LSTM cell: If_4 takes only a constant-derived condition, while its else branch returns
  // Identity(Squeeze(LSTM …)) from the enclosing graph: sorted by explicit inputs alone it ran before the LSTM.
  const g = onnx.GraphProto.create({
    input: [vi('x', [1, 128])],
    initializer: [onnx.TensorProto.create({ name: 'cond', dataType: 9, dims: [], int32Data: [0] })],
    node: [
      onnx.NodeProto.create({ opType: 'Relu', name: 'r1', input: ['x'], output: ['a'] }),
      onnx.NodeProto.create({ opType: 'Relu', name: 'r2', input: ['a'], output: ['b'] }),
      onnx.NodeProto.create({ opType: 'Unsqueeze', name: 'u', input: ['b'], output: ['c'], attribute: [ints('axes', [0])] }),
      onnx.NodeProto.create({
        opType: 'If', name: 'if', input: ['cond'], output: ['y'], attribute: [
          { name: 'then_branch', type: 5, g: { name: 't', output: [{ name: 't_out' }], node: [{ opType: 'Identity', input: ['c'], output: ['t_out'] }] } },
          { name: 'else_branch', type: 5, g: { name: 'e', output: [{ name: 'e_out' }], node: [{ opType: 'Identity', input: ['c'], output: ['e_out'] }] } },
        ],
      }),
    ],
  });
  const order = topologicalOrder(g.node!).map((n) => n.name);
  assert.ok(order.indexOf('if') > order.indexOf('u'), `If after the node producing what its branches read: ${order.join(', ')}`);
  const si = new ShapeInference(11);
  si.run(g);
  assert.deepEqual(si.get('y')?.shape, [1, 1, 128]);
});

test('MACs count the If branch that runs at the given values (Silero VAD: the 16 kHz model when sr = 16000, not both)', async () => {
  const { summarize } = await import('../../extension/core/onnx/summary');
  // As Silero VAD v5 is built: If(Equal(sr, 16000)) runs the 16 kHz model in one branch and the 8 kHz one in the
  // other; here a Conv of 64 filters against one of 32 (both read the input from the enclosing graph).
  const branch = (name: string, filters: number) => ({
    name, output: [{ name: `${name}_y` }], initializer: [{ name: `${name}_w`, dataType: 1, dims: [filters, 1, 16] }],
    node: [{ opType: 'Conv', name: `${name}_conv`, input: ['x3', `${name}_w`], output: [`${name}_y`], attribute: [ints('strides', [8])] }],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 15 }],
    graph: {
      name: 'vad', input: [vi('input', [1, 512]), vi('sr', [], 7)], output: [{ name: 'y' }],
      initializer: [onnx.TensorProto.create({ name: 'k16', dataType: 7, dims: [], int64Data: [16000] }), onnx.TensorProto.create({ name: 'one', dataType: 7, dims: [1], int64Data: [1] })],
      node: [
        onnx.NodeProto.create({ opType: 'Unsqueeze', input: ['input', 'one'], output: ['x3'] }),
        onnx.NodeProto.create({ opType: 'Equal', input: ['sr', 'k16'], output: ['is16k'] }),
        onnx.NodeProto.create({ opType: 'If', name: 'if_sr', input: ['is16k'], output: ['y'], attribute: [{ name: 'then_branch', type: 5, g: branch('k16_model', 64) }, { name: 'else_branch', type: 5, g: branch('k8_model', 32) }] }),
      ],
    },
  });
  const frames = (512 - 16) / 8 + 1;
  const at = (sr?: number) => summarize({ model, fileBytes: 0 }, { inputs: { shapes: { input: [1, 512] }, ...(sr ? { values: { sr: [sr] } } : {}) } });
  assert.equal(at(16000).macs.total, 64 * 16 * frames, 'the 16 kHz branch alone');
  assert.equal(at(16000).macs.branchesNotTaken, 1);
  assert.equal(at(8000).macs.total, 32 * 16 * frames, 'the 8 kHz branch alone');
  // Without --value, sr takes the sample-rate convention (16000), and the summary says so.
  assert.equal(at().macs.total, 64 * 16 * frames);
  assert.ok(at().at?.notes.some((n) => /16000/.test(n)), JSON.stringify(at().at?.notes));
});
