import { type onnx } from 'onnx-proto';

/** A ResNet-style CNN (3×3 convs, residual adds, ReLU, global pool, classifier) with random weights. */
export function resnetLike(opts: { size?: number; width?: number; blocks?: number; seed?: number } = {}): onnx.IModelProto {
  const size = opts.size ?? 112;
  const width = opts.width ?? 64;
  const blocks = opts.blocks ?? 4;
  let s = opts.seed ?? 7;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff - 0.5;
  };
  const init: onnx.ITensorProto[] = [];
  const node: onnx.INodeProto[] = [];
  const w = (name: string, dims: number[], scale: number) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => rnd() * scale);
    init.push({ name, dataType: 1, dims, rawData: new Uint8Array(data.buffer) });
    return name;
  };
  const conv = (x: string, cin: number, cout: number, k: number, stride: number, name: string) => {
    const out = `${name}_out`;
    node.push({ opType: 'Conv', name, input: [x, w(`${name}_W`, [cout, cin, k, k], Math.sqrt(2 / (cin * k * k))), w(`${name}_B`, [cout], 0.01)], output: [out], attribute: [{ name: 'kernel_shape', type: 7, ints: [k, k] }, { name: 'pads', type: 7, ints: [k >> 1, k >> 1, k >> 1, k >> 1] }, { name: 'strides', type: 7, ints: [stride, stride] }] });
    return out;
  };
  const relu = (x: string, name: string) => {
    node.push({ opType: 'Relu', name, input: [x], output: [`${name}_out`] });
    return `${name}_out`;
  };
  let x = relu(conv('input', 3, width, 3, 2, 'stem'), 'stem_relu');
  for (let b = 0; b < blocks; b++) {
    const y = relu(conv(x, width, width, 3, 1, `b${b}_c1`), `b${b}_r1`);
    const z = conv(y, width, width, 3, 1, `b${b}_c2`);
    node.push({ opType: 'Add', name: `b${b}_add`, input: [z, x], output: [`b${b}_sum`] });
    x = relu(`b${b}_sum`, `b${b}_r2`);
  }
  node.push({ opType: 'GlobalAveragePool', name: 'gap', input: [x], output: ['gap_out'] });
  node.push({ opType: 'Flatten', name: 'flat', input: ['gap_out'], output: ['flat_out'] });
  node.push({ opType: 'Gemm', name: 'fc', input: ['flat_out', w('fc_W', [100, width], 0.1), w('fc_B', [100], 0.01)], output: ['logits'], attribute: [{ name: 'transB', type: 2, i: 1 }] });
  return {
    irVersion: 8, opsetImport: [{ domain: '', version: 13 }], producerName: 'mobileai-bench',
    graph: { name: 'resnet_like', node, initializer: init, input: [{ name: 'input', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }, { dimValue: size }, { dimValue: size }] } } } }], output: [{ name: 'logits', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 100 }] } } } }] },
  };
}
