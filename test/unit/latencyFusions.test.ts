/**
 * Fusion detection and block attribution on real onnxruntime profiles: a small Once-for-All network (a 3×3
 * conv with hard-swish, then two blocks: expand, depthwise, squeeze-excite, project, residual) is run by
 * onnxruntime-node 1.30 in the test with all graph optimizations; its profile and the optimized graph it
 * writes say which kernels ran. (A residual Add whose other input is the graph's own input is not fused:
 * hence the conv in front.)
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../extension/core/search/build';
import { Rng } from '../../extension/core/search/rng';
import type { OfaBlock } from '../../extension/core/search/ofa';
import { attributeBlocks, detectFusions, kernelsFromProfile, modelBytes, profileNetwork, type ProfiledNetwork } from '../../extension/core/latency/kernels';
import type { onnx } from 'onnx-proto';

// Block 0: hard-swish with squeeze-excite (stage 4 of Once-for-All); block 1: ReLU, 408 channels in the middle
// (136 × 3, as Once-for-All's stage 4 with expand 3), which is not a multiple of the NCHWc block.
const b0: OfaBlock = { key: 'b0', kind: 'mbconv', inH: 10, inC: 48, outH: 10, outC: 48, mid: 144, k: 5, stride: 1, idskip: true, se: true, hs: true };
const b1: OfaBlock = { key: 'b1', kind: 'mbconv', inH: 10, inC: 48, outH: 10, outC: 48, mid: 408, k: 3, stride: 1, idskip: true, se: true, hs: false };

let model: onnx.IModelProto;
let p: ProfiledNetwork;

before(async () => {
  const g = new GraphBuilder(new Rng(1));
  const x0 = g.act(g.conv('input', 48, 48, 3, 1, 1, 'first_conv.conv'), true);
  const y = g.block(g.block(x0, b0, 'blocks.1'), b1, 'blocks.2');
  model = g.model({ name: 'input', dims: [1, 48, 10, 10] }, y, [1, 48, 10, 10], 'two_blocks');
  p = await profileNetwork(modelBytes(model), { runs: 3, warmup: 1, threads: 1 });
});

test('onnxruntime fuses each activation and the residual Add into a convolution kernel; none runs alone', () => {
  const fusions = detectFusions(model, p.nodes);
  const has = (ops: string[], act?: string) => fusions.some((f) => JSON.stringify(f.ops) === JSON.stringify(ops) && f.activation === act && /Conv$/.test(f.kernel));
  assert.ok(has(['Conv', 'HardSwish'], 'HardSwish'), JSON.stringify(fusions));
  assert.ok(has(['Conv', 'Relu'], 'Relu'), JSON.stringify(fusions));
  assert.ok(has(['Conv', 'HardSigmoid'], 'HardSigmoid'), 'the squeeze-excite gate');
  assert.ok(has(['Conv', 'Add']), 'the project conv carries the residual');
  for (const act of ['Relu', 'HardSwish', 'HardSigmoid', 'Add']) assert.ok(!fusions.some((f) => f.ops.length === 1 && f.ops[0] === act), `${act} ran as its own kernel`);
  // The squeeze-excite Mul is its own kernel; every original node is in exactly one kernel.
  assert.ok(fusions.some((f) => f.kernel === 'Mul' && f.ops.join() === 'Mul'));
  const original = (model.graph?.node ?? []).length;
  assert.equal(fusions.reduce((s, f) => s + f.ops.length * f.count, 0), original);
  // Kernels onnxruntime inserted itself (layout reorders around the NCHW-only Mul) have no original op.
  const inserted = fusions.filter((f) => !f.ops.length);
  assert.ok(inserted.every((f) => /Reorder/.test(f.kernel)), JSON.stringify(inserted));
});

test('kernels come with their shapes, fused activation and time, and each belongs to its block in order', () => {
  const convs = p.kernels.filter((k) => /Conv$/.test(k.type));
  assert.equal(convs.length, 11, 'the first conv, then five per block (expand, depthwise, two in squeeze-excite, project)');
  const dw = convs.find((k) => k.inputs[1]?.[2] === 5);
  assert.ok(dw, 'the 5×5 depthwise kernel');
  assert.deepEqual(dw.inputs[0], [1, 144, 10, 10]);
  assert.equal(dw.activation, 'HardSwish');
  assert.ok(p.kernels.every((k) => typeof k.us === 'number' && k.us >= 0));
  const blocks = attributeBlocks(model, p.nodes, (n) => { const m = /^blocks\.(\d+)\./.exec(n); return m ? Number(m[1]) : n.startsWith('first_conv.') ? 0 : undefined; });
  const byName = new Map(p.nodes.map((n, i) => [n.name, blocks[i]]));
  const order = p.kernels.map((k) => byName.get(k.name));
  assert.deepEqual([...new Set(order)], [0, 1, 2], 'the blocks run in order');
  assert.equal(p.kernels.filter((k, i) => order[i] === 0 && /Conv$/.test(k.type)).length, 1);
  assert.equal(p.kernels.filter((k, i) => order[i] === 1 && /Conv$/.test(k.type)).length, 5);
  // Block 2's 408 channels run in the NCHWc layout, padded to a multiple of its channel block (8 or 16).
  const c = p.kernels.filter((k, i) => order[i] === 2 && /Conv$/.test(k.type)).map((k) => k.output[1]);
  assert.ok(c.some((x) => x >= 408 && x % 8 === 0), `block 2 conv outputs: ${c.join(', ')}`);
});

test('a profile: the measured runs only, and a clear error when there are none', () => {
  const ev = (name: string, ts: number, dur: number, cat = 'Node') => ({ cat, name, ts, dur, args: { op_name: 'Conv', input_type_shape: [{ float: [1, 3, 8, 8] }], output_type_shape: [{ float: [1, 8, 8, 8] }] } });
  const trace = [
    ev('model_run', 0, 100, 'Session'), ev('c_kernel_time', 10, 50),
    ev('model_run', 200, 100, 'Session'), ev('c_kernel_time', 210, 30),
    ev('model_run', 400, 100, 'Session'), ev('c_kernel_time', 410, 40),
  ];
  const { kernels, runUs } = kernelsFromProfile(trace, 1);
  assert.deepEqual(runUs, [100, 100]);
  assert.equal(kernels[0].us, 35, 'median of the two measured runs; the warm-up run (50 µs) is left out');
  assert.equal(kernelsFromProfile(trace, 1, [], 'min').kernels[0].us, 30);
  assert.deepEqual(kernels[0].inputs, [[1, 3, 8, 8]]);
  assert.throws(() => kernelsFromProfile(trace, 3), /3 runs; 3 are warm-up/);
  assert.throws(() => kernelsFromProfile('{}', 0), /not an onnxruntime profile/);
});
