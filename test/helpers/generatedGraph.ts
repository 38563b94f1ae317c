/**
 * A generated ResNet-like ONNX model of about `nodes` operators, for the graph view's layout test and benchmark:
 * blocks of Conv → Relu → Conv → Add (the residual skip) → Relu, every fourth block with a parallel 1×1 Conv
 * branch joined by Concat and a Conv back to the width; with `branches` > 1, every block runs that many
 * Conv → Relu → Conv paths side by side (Inception-like), joined the same way. Weights are real (small) float32
 * initializers.
 */
import { type onnx } from '../../extension/core/onnx/model';

export function generatedModel(nodes: number, channels = 8, branches = 1): onnx.IModelProto {
  const node: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const weight = (name: string, dims: number[]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n).map(() => rand() * 0.2);
    initializer.push({ name, dataType: 1, dims, rawData: new Uint8Array(data.buffer) });
    return name;
  };
  const conv = (name: string, x: string, k: number, cin = channels) => {
    node.push({ opType: 'Conv', name, input: [x, weight(`${name}.weight`, [channels, cin, k, k]), weight(`${name}.bias`, [channels])], output: [`${name}_out`], attribute: [{ name: 'kernel_shape', type: 7, ints: [k, k] }, { name: 'pads', type: 7, ints: k > 1 ? [1, 1, 1, 1] : [0, 0, 0, 0] }] });
    return `${name}_out`;
  };
  const op = (opType: string, name: string, inputs: string[], attribute: onnx.IAttributeProto[] = []) => {
    node.push({ opType, name, input: inputs, output: [`${name}_out`], attribute });
    return `${name}_out`;
  };
  let x = 'input';
  for (let b = 0; node.length < nodes - 1; b++) {
    if (branches > 1) {
      const outs = Array.from({ length: branches }, (_, k) => conv(`block${b}/path${k}/conv2`, op('Relu', `block${b}/path${k}/relu`, [conv(`block${b}/path${k}/conv1`, x, 3)]), 3));
      const cat = op('Concat', `block${b}/concat`, outs, [{ name: 'axis', type: 2, i: 1 }]);
      const merged = conv(`block${b}/merge`, cat, 1, channels * branches);
      x = op('Relu', `block${b}/relu2`, [op('Add', `block${b}/add`, [merged, x])]);
      continue;
    }
    const a = conv(`block${b}/conv1`, x, 3);
    const r = op('Relu', `block${b}/relu1`, [a]);
    let c = conv(`block${b}/conv2`, r, 3);
    if (b % 4 === 3) {
      const side = conv(`block${b}/branch`, r, 1);
      const cat = op('Concat', `block${b}/concat`, [c, side], [{ name: 'axis', type: 2, i: 1 }]);
      c = conv(`block${b}/merge`, cat, 1, channels * 2);
    }
    const s = op('Add', `block${b}/add`, [c, x]);
    x = op('Relu', `block${b}/relu2`, [s]);
  }
  node.push({ opType: 'GlobalAveragePool', name: 'pool', input: [x], output: ['output'] });
  const tensorType = (dims: number[]) => ({ tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } });
  return {
    irVersion: 8,
    producerName: 'mobileai generated graph',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'generated', node, initializer, input: [{ name: 'input', type: tensorType([1, channels, 32, 32]) }], output: [{ name: 'output', type: tensorType([1, channels, 1, 1]) }] },
  };
}
