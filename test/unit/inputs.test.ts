import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel } from '../../extension/core/onnx/model';
import {
  InputError, declaredInputs, generate, fromValues, modelMetadata, parseInputFlags, parseShape, parseShapeFlag, parseValueFlag, prepareInputs, resolvePlans, toHalf, type DeclaredInput,
} from '../../extension/core/inputs';

const M = (f: string) => path.join(__dirname, '..', '..', '..', 'shared', 'data', 'models', f);

test('flags: whole shapes in every spelling, scalars, values, and clear errors', () => {
  assert.deepEqual(parseShapeFlag('x=1x3x640x640'), { name: 'x', shape: [1, 3, 640, 640] });
  assert.deepEqual(parseShapeFlag('images:0=[1, 3, 224, 224]'), { name: 'images:0', shape: [1, 3, 224, 224] });
  assert.deepEqual(parseShapeFlag('a=b=1,2'), { name: 'a=b', shape: [1, 2] }, 'names may hold "=": the last one splits');
  assert.deepEqual(parseShape('[]'), []);
  assert.deepEqual(parseShape('scalar'), []);
  assert.deepEqual(parseShape('2×3'), [2, 3]);
  assert.throws(() => parseShape('1x-3'), InputError);
  assert.throws(() => parseShape('1xx3'), /expected whole numbers/);
  assert.throws(() => parseShapeFlag('1x3'), /expected NAME=VALUE/);
  assert.deepEqual(parseValueFlag('sr=16000'), { name: 'sr', values: [16000] });
  assert.deepEqual(parseValueFlag('t=0.5,1,-2'), { name: 't', values: [0.5, 1, -2] });
  assert.deepEqual(parseValueFlag('flag=true'), { name: 'flag', values: [1] });
  assert.throws(() => parseValueFlag('sr=abc'), /expected NAME=NUMBER/);
  assert.throws(() => parseValueFlag('sr='), /expected NAME=NUMBER/);
  const o = parseInputFlags({ shape: ['x=1x3x8x8'], value: ['sr=8000'], dim: ['batch=2'], input: ['y=a.npy'] }, (p) => `/abs/${p}`);
  assert.deepEqual(o, { shapes: { x: [1, 3, 8, 8] }, values: { sr: [8000] }, dims: { batch: 2 }, files: { y: '/abs/a.npy' } });
  assert.throws(() => parseInputFlags({ shape: ['x=1', 'x=2'] }), /--shape x is given twice/);
  assert.throws(() => parseInputFlags({ dim: ['n=0'] }), /POSITIVE_INTEGER/);
});

const det: DeclaredInput = { name: 'x', type: 'float32', shape: ['p2o.DynamicDimension.0', 3, 'height', 'width'] };

test('a symbolic dim with no value is refused naming the input, the dim, its name and the flag', () => {
  assert.throws(() => resolvePlans([det]), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.message, 'input "x" dims 2 ("height"), 3 ("width") have no value: give --shape x=1x3x640x640 (the size it runs at), or --dim height=N --dim width=N');
    assert.deepEqual(e.missing.map((m) => [m.input, m.index, m.dimName]), [['x', 2, 'height'], ['x', 3, 'width']]);
    return true;
  });
  const unnamed: DeclaredInput = { name: 'audio', type: 'float32', shape: [1, null] };
  assert.throws(() => resolvePlans([unnamed]), /^InputError: input "audio" dim 1 \(unnamed\) has no value: give --shape audio=1x128 \(the size it runs at\)$/);
  const p = resolvePlans([unnamed], { shapes: { audio: [1, 480] } });
  assert.deepEqual(p.inputs[0].shape, [1, 480]);
  assert.throws(() => resolvePlans([{ name: 'r', type: 'float32', shape: null }]), /input "r" has no declared shape: give --shape r=/);
});

test('resolution: --shape binds dim names for the other inputs, --dim fills them, conventions are said', () => {
  const ins: DeclaredInput[] = [
    { name: 'input_ids', type: 'int64', shape: ['batch', 'seq'] },
    { name: 'attention_mask', type: 'int64', shape: ['batch', 'seq'] },
    { name: 'sr', type: 'int64', shape: [] },
  ];
  const a = resolvePlans(ins, { shapes: { input_ids: [2, 7] } });
  assert.deepEqual(a.inputs.map((i) => i.shape), [[2, 7], [2, 7], []]);
  assert.deepEqual(a.dims, { batch: 2, seq: 7 });
  assert.deepEqual(a.inputs[2].values, [16000]);
  assert.equal(a.inputs[2].valueFrom, 'convention');
  assert.ok(a.notes.some((n) => /sr = 16000 \(sample-rate convention/.test(n)));
  const b = resolvePlans(ins, { dims: { seq: 5 }, values: { sr: [8000] } });
  assert.deepEqual(b.inputs.map((i) => i.shape), [[1, 5], [1, 5], []]);
  assert.ok(b.notes.some((n) => /^batch = 1 \(batch convention/.test(n)));
  assert.deepEqual(b.inputs[2].values, [8000]);
  assert.equal(b.inputs[2].valueFrom, 'input');
  // Without conventions the batch and the rate are the user's to give.
  assert.throws(() => resolvePlans(ins, { dims: { seq: 5 } }, { conventions: false }), /input "input_ids" dim 0 \("batch"\) has no value/);
  // Metadata from the exporter gives sizes.
  const c = resolvePlans([det], {}, { metadata: { height: '480', width: '640' } });
  assert.deepEqual(c.inputs[0].shape, [1, 3, 480, 640]);
  assert.ok(c.notes.some((n) => n === "height = 480 (from the model's metadata)"));
});

test('resolution refuses shapes that contradict the model and values of the wrong size or type', () => {
  assert.throws(() => resolvePlans([det], { shapes: { x: [1, 4, 32, 32] } }), /dim 1 is fixed at 3 in the model, not 4/);
  assert.throws(() => resolvePlans([det], { shapes: { x: [1, 3, 32] } }), /has rank 3, but input "x" has rank 4/);
  assert.throws(() => resolvePlans([det], { shapes: { y: [1] } }), /the model has no input named "y" \(inputs: x\)/);
  assert.throws(() => resolvePlans([{ name: 't', type: 'float32', shape: [3] }], { values: { t: [1, 2] } }), /gives 2 elements, but the input's shape 3 holds 3/);
  assert.throws(() => fromValues({ name: 'k', type: 'int64', shape: [] }, [], [0.5]), /must be a whole number/);
});

test('generated data: seeded, in the range of its kind, at the resolved shape', () => {
  const img = generate(det, [1, 3, 4, 4], 7);
  assert.equal(img.kind, 'image01');
  const d = img.tensor.data as Float32Array;
  assert.ok(d.every((v) => v >= 0 && v < 1));
  assert.deepEqual(generate(det, [1, 3, 4, 4], 7).tensor.data, d, 'same seed, same data');
  assert.notDeepEqual(generate(det, [1, 3, 4, 4], 8).tensor.data, d);
  const u8 = generate({ name: 'pixels', type: 'uint8', shape: [1, 8, 8, 3] }, [1, 8, 8, 3], 1);
  assert.equal(u8.kind, 'image255');
  assert.ok(Math.max(...(u8.tensor.data as Uint8Array)) > 200);
  assert.equal(generate({ name: 'state', type: 'float32', shape: [2, 'batch', 128] }, [2, 1, 128], 1).kind, 'zeros');
  assert.equal(generate({ name: 'attention_mask', type: 'int64', shape: ['b', 's'] }, [1, 3], 1).kind, 'ones');
  assert.deepEqual([...(generate({ name: 'position_ids', type: 'int64', shape: ['b', 's'] }, [1, 4], 1).tensor.data as BigInt64Array)], [0n, 1n, 2n, 3n]);
  const f16 = generate({ name: 'x', type: 'float16', shape: [8] }, [8], 3).tensor.data as Uint16Array;
  assert.ok(new Set(f16).size > 1, 'fp16 data is random, not a constant');
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(-2), 0xc000);
  assert.equal(toHalf(65504), 0x7bff);
  assert.equal(toHalf(1e6), 0x7c00);
  assert.throws(() => generate(det, [1, 3, 100000, 100000], 1), /give a smaller --shape/);
  const sr = fromValues({ name: 'sr', type: 'int64', shape: [] }, [], [16000]);
  assert.deepEqual([...(sr.data as BigInt64Array)], [16000n]);
});

test('a real model: silero VAD takes its sequence from --shape, its state batch from it, sr by convention', async () => {
  const { model } = await loadModel(M('silero_vad_16k_op15.onnx'));
  const declared = declaredInputs(model);
  assert.deepEqual(declared, [
    { name: 'input', type: 'float32', shape: ['batch', 'sequence'] },
    { name: 'state', type: 'float32', shape: [2, 'batch', 128] },
    { name: 'sr', type: 'int64', shape: [] },
  ]);
  await assert.rejects(prepareInputs(declared, {}, { metadata: modelMetadata(model) }), /input "input" dim 1 \("sequence"\) has no value: give --shape input=1x/);
  const p = await prepareInputs(declared, { shapes: { input: [1, 512] } }, { metadata: modelMetadata(model) });
  assert.deepEqual(p.records.map((r) => [r.name, r.shape, r.source, r.value]), [['input', [1, 512], 'generated', undefined], ['state', [2, 1, 128], 'generated', undefined], ['sr', [], 'value', 16000]]);
  assert.match(p.records[2].notes?.join() ?? '', /sample-rate convention/);
  assert.match(p.records[1].notes?.join() ?? '', /batch = 1 \(from another input's --shape\)/);
});

test('mobileai.yaml inputs: shapes and values read as overrides, checked against the model; completion and hover know its inputs', async () => {
  const { fromManifestInputs, toManifestInputs } = await import('../../extension/core/inputs/spec');
  const { parseManifest, validateManifest } = await import('../../extension/core/manifest/manifest');
  const { complete, hover } = await import('../../language-server/features');
  assert.deepEqual(fromManifestInputs({ batch: 1, x: '1x3x640x640', sr: 16000, y: [1, 2], z: { shape: '2x2', value: 0.5 } }, ['x', 'sr', 'y', 'z']), {
    dims: { batch: 1 }, shapes: { x: [1, 3, 640, 640], y: [1, 2], z: [2, 2] }, values: { sr: [16000], z: [0.5] },
  });
  assert.deepEqual(toManifestInputs({ shapes: { x: [1, 3, 8, 8] }, values: { sr: [16000] }, dims: { n: 2 } }), { n: 2, x: '1x3x8x8', sr: { value: 16000 } });
  const declared: DeclaredInput[] = [det, { name: 'sr', type: 'int64', shape: [] }];
  const text = `version: 1
models:
  det:
    path: det.onnx
    inputs:
      x: 1x4x640x640
      height: 640
      sr: 16000
      nope: 3
      bad: 1xx2
`;
  const pm = parseManifest(text);
  const diags = validateManifest(pm, { baseDir: '/tmp', fileExists: () => 'file', modelInputs: () => declared });
  const msgs = diags.map((d) => `${d.severity}: ${d.message}`);
  assert.ok(msgs.includes('error: Input "x" dim 1 is fixed at 3 in the model, not 4.'), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^warning: The model has no input or symbolic dimension named "nope"/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^error: .*inputs\.bad "1xx2": expected whole numbers/.test(m)) || msgs.some((m) => /bad/.test(m)), msgs.join('\n'));
  assert.ok(!msgs.some((m) => /"height"|"sr"/.test(m)), 'a dim and a scalar input value are fine');
  const facts = { baseDir: '/tmp', devices: [], model: () => ({ inputs: declared, metadata: {}, bytes: 1, parameters: 1, opTypes: [], nodeNames: [] }) };
  const empty = parseManifest('version: 1\nmodels:\n  det:\n    path: det.onnx\n    inputs:\n      \n');
  const offset = empty.text.length - 1;
  const c = complete(empty, offset, facts);
  const byLabel = Object.fromEntries(c.map((e) => [e.label, e.insertText]));
  assert.equal(byLabel.x, 'x: 1x3x640x640');
  assert.equal(byLabel.sr, 'sr: 16000');
  assert.equal(byLabel.height, 'height: ');
  const h = hover(pm, text.indexOf('x: 1x4') + 1, facts);
  assert.match(h?.markdown ?? '', /Input `x`: float32 \[p2o\.DynamicDimension\.0, 3, height, width\]/);
});

test('data from files: a .npy or .pb gives its input the shape and binds its dim names for the others', async () => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const { onnx } = await import('../../extension/core/onnx/model');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-inputs-'));
  try {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 256), }";
    const h = Buffer.from(header.padEnd(118, ' ') + '\n', 'latin1');
    const data = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i / 10));
    const npy = path.join(dir, 'audio.npy');
    await writeFile(npy, Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length, 0]), h, Buffer.from(data.buffer)]));
    const declared: DeclaredInput[] = [
      { name: 'input', type: 'float32', shape: ['batch', 'sequence'] },
      { name: 'state', type: 'float32', shape: [2, 'batch', 128] },
      { name: 'sr', type: 'int64', shape: [] },
    ];
    const p = await prepareInputs(declared, { files: { input: npy } });
    assert.deepEqual(p.records.map((r) => [r.name, r.shape, r.source]), [['input', [1, 256], 'audio.npy'], ['state', [2, 1, 128], 'generated'], ['sr', [], 'value']]);
    assert.deepEqual([...(p.inputs[0].host.data as Float32Array)].slice(0, 3), [...data.slice(0, 3)]);
    const pb = path.join(dir, 'sr.pb');
    await writeFile(pb, onnx.TensorProto.encode({ dims: [], dataType: 7, int64Data: [8000] }).finish());
    const q = await prepareInputs(declared, { files: { input: npy, sr: pb } });
    assert.deepEqual([...(q.inputs[2].host.data as BigInt64Array)], [8000n]);
    await assert.rejects(prepareInputs(declared, { files: { sr: npy } }), /audio\.npy holds float32, but input sr is int64/);
    await assert.rejects(prepareInputs(declared, { files: { nope: npy } }), /the model has no input named "nope"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ids for an input that indexes a small table stay inside it: BERT token_type_ids (2 rows) run in onnxruntime', async () => {
  // The embedding block as Hugging Face's BERT exports it (e.g. all-MiniLM-L6-v2): input_ids and token_type_ids
  // (int64, [batch, sequence]) each Gather from their table — 30522 and 2 rows there; 100 and 2 here — and the
  // token_type ids pass through a Cast first, as some exporters write it. A token type of 2..9 makes
  // onnxruntime's Gather fail ("indices element out of data bounds").
  const { onnx, saveModel } = await import('../../extension/core/onnx/model');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const seqVi = (name: string) => ({ name, type: { tensorType: { elemType: 7, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] } } } });
  const table = (name: string, rows: number) => ({ name, dataType: 1, dims: [rows, 4], floatData: Array.from({ length: rows * 4 }, (_, i) => i / 10) });
  const model = onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'bert-embeddings',
      input: [seqVi('input_ids'), seqVi('token_type_ids'), seqVi('attention_mask')],
      initializer: [table('embeddings.word_embeddings.weight', 100), table('embeddings.token_type_embeddings.weight', 2)],
      output: [{ name: 'emb', type: { tensorType: { elemType: 1 } } }],
      node: [
        { opType: 'Gather', input: ['embeddings.word_embeddings.weight', 'input_ids'], output: ['w'] },
        { opType: 'Cast', input: ['token_type_ids'], output: ['tt'], attribute: [{ name: 'to', i: 7, type: 2 }] },
        { opType: 'Gather', input: ['embeddings.token_type_embeddings.weight', 'tt'], output: ['t'] },
        { opType: 'Add', input: ['w', 't'], output: ['wt'] },
        { opType: 'Cast', input: ['attention_mask'], output: ['m'], attribute: [{ name: 'to', i: 1, type: 2 }] },
        { opType: 'Unsqueeze', input: ['m', 'last'], output: ['m3'] },
        { opType: 'Mul', input: ['wt', 'm3'], output: ['emb'] },
      ],
    },
  });
  model.graph!.initializer!.push(onnx.TensorProto.create({ name: 'last', dataType: 7, dims: [1], int64Data: [-1] }));
  const declared = declaredInputs(model);
  assert.deepEqual(declared.map((d) => [d.name, d.idLimit]), [['input_ids', 100], ['token_type_ids', 2], ['attention_mask', undefined]]);
  const prepared = await prepareInputs(declared, { dims: { sequence_length: 64 } });
  const tt = prepared.inputs.find((i) => i.name === 'token_type_ids')!;
  assert.ok([...(tt.host.data as BigInt64Array)].every((v) => v === 0n || v === 1n), 'token types are 0 or 1');
  assert.ok(new Set(tt.host.data as BigInt64Array).size === 2, 'both token types are drawn');
  assert.match(tt.record.data ?? '', /0\.\.1 \(it indexes a table of 2 rows\)/);
  assert.ok([...(prepared.inputs[0].host.data as BigInt64Array)].some((v) => v > 1n), 'input_ids still spread over 0..9');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-ids-'));
  try {
    const file = path.join(dir, 'bert-embeddings.onnx');
    await saveModel(model, file);
    const ort = await import('onnxruntime-node');
    const s = await ort.InferenceSession.create(file);
    const out = await s.run(Object.fromEntries(prepared.inputs.map((i) => [i.name, new ort.Tensor(i.type as 'int64', i.host.data as BigInt64Array, i.shape)])));
    assert.deepEqual(out.emb.dims, [1, 64, 4]);
    await s.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('generated images look like pictures (neighbouring pixels alike, edges, the whole range), in NCHW or NHWC', async () => {
  const { pictureData, rng } = await import('../../extension/core/inputs/data');
  const nchw = pictureData([1, 3, 64, 96], rng(5))!;
  const nhwc = pictureData([1, 64, 96, 3], rng(5))!;
  assert.ok(nchw && nhwc);
  // The same picture in the two layouts: NHWC[y][x][c] = NCHW[c][y][x].
  for (const [c, y, x] of [[0, 0, 0], [1, 10, 20], [2, 63, 95]]) assert.equal(nhwc[(y * 96 + x) * 3 + c], nchw[c * 64 * 96 + y * 96 + x]);
  assert.ok(Math.min(...nchw) < 0.05 && Math.max(...nchw) > 0.95, 'stretched to 0..1');
  // Photos are smooth: the correlation of horizontally adjacent pixels is high (per-pixel noise has ~0).
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, k = 0;
  for (let c = 0; c < 3; c++) for (let y = 0; y < 64; y++) for (let x = 0; x + 1 < 96; x++) {
    const a = nchw[c * 6144 + y * 96 + x];
    const b = nchw[c * 6144 + y * 96 + x + 1];
    sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b; k++;
  }
  const corr = (sxy / k - (sx / k) * (sy / k)) / Math.sqrt((sxx / k - (sx / k) ** 2) * (syy / k - (sy / k) ** 2));
  assert.ok(corr > 0.9, `adjacent-pixel correlation ${corr.toFixed(3)}`);
  assert.equal(pictureData([1, 16, 24, 24], rng(1)), undefined, 'not an image layout: no picture');
  const g = generate({ name: 'input:0', type: 'float32', shape: [1, 128, 128, 3] }, [1, 128, 128, 3], 3);
  assert.equal(g.kind, 'image01');
  assert.deepEqual(g.tensor.data, pictureData([1, 128, 128, 3], rng(3)), 'generate() draws image inputs as pictures');
});
