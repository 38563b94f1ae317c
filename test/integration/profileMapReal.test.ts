import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { inspectFile } from '../../extension/core/onnx/inspect';
import { mapProfile } from '../../extension/core/onnx/profileMap';
import { profileOnHost } from '../../extension/core/profile/hostProfiler';

const MODELS = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'models');

/**
 * The graph view's profile colouring on a REAL onnxruntime profile (onnxruntime-node, optimization "all", so
 * Conv+activation fusions and folded BatchNorm/Add happen as on a phone): the kernels are put back on the
 * model's own nodes exactly as the model editor sends them.
 */
for (const file of ['Ultraface_version-RFB-320.onnx', 'mnist.onnx']) {
  test(`profile colouring from a real onnxruntime profile of ${file}: every kernel's time lands on the model's nodes`, async () => {
    const model = path.join(MODELS, file);
    const { graph } = await inspectFile(model);
    const outcome = await profileOnHost(model, { runs: 3, warmup: 1, optimization: 'all' });
    const kernels = outcome.result.nodes.map((n) => ({ name: n.name, opType: n.opType, meanUs: n.meanUs, provider: n.provider, nodeIndex: n.nodeIndex, subgraph: n.subgraph, partition: n.partition }));
    assert.ok(kernels.length > 3, 'the profile has kernels');
    const m = mapProfile(graph.nodes, kernels, 'onnx');
    const total = kernels.reduce((a, k) => a + k.meanUs, 0);
    // ReorderInput/ReorderOutput are layout conversions onnxruntime adds itself (NCHWc): no model node to put
    // them on, so they must stay unmatched (the view lists them apart); everything else must land on a node.
    const added = (k: { opType: string }) => /^Reorder(Input|Output)$/.test(k.opType);
    assert.ok(m.unmatched.filter(added).length === kernels.filter(added).length, 'runtime-made layout kernels are not put on model nodes');
    const lost = m.unmatched.filter((k) => !added(k)).reduce((a, k) => a + k.meanUs, 0);
    assert.ok(lost <= 0.02 * total, `kernels not placed on any node: ${m.unmatched.filter((k) => !added(k)).map((k) => `${k.name} (${k.opType})`).join(', ')}`);
    const convs = graph.nodes.filter((n) => n.opType === 'Conv');
    const coloured = convs.filter((n) => m.byNode.has(n.id));
    assert.equal(coloured.length, convs.length, `Convs without a time: ${convs.filter((n) => !m.byNode.has(n.id)).map((n) => n.name).join(', ')}`);
  });
}
