import { type onnx } from 'onnx-proto';
import { Rng } from './rng';
import { ofaBlocks, type OfaArch, type OfaBlock } from './ofa';

/**
 * Builds real ONNX networks from a space's blocks (MobileNetV3 inverted residuals: 1×1 expand, k×k
 * depthwise, squeeze-excite, 1×1 project, residual add; BN folded into conv biases), with random weights
 * (He-scaled, seeded) or weights the user supplies by name.
 */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inits: onnx.ITensorProto[] = [];
  private n = 0;
  constructor(private readonly rng: Rng, private readonly weights?: Map<string, Float32Array>) {}

  private name(base: string): string {
    return `${base}_${this.n++}`;
  }

  tensor(name: string, dims: number[], scale: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const given = this.weights?.get(name);
    if (given && given.length !== count) throw new Error(`supplied weight ${name} has ${given.length} values; the network needs ${count}`);
    const data = given ?? Float32Array.from({ length: count }, () => (this.rng.next() * 2 - 1) * scale);
    this.inits.push({ name, dataType: 1, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  conv(x: string, cin: number, cout: number, k: number, stride: number, group: number, prefix: string): string {
    const w = this.tensor(`${prefix}.weight`, [cout, cin / group, k, k], Math.sqrt(2 / ((cin / group) * k * k)));
    const b = this.tensor(`${prefix}.bias`, [cout], 0.01);
    const y = this.name(`${prefix}_out`);
    const p = k >> 1;
    this.nodes.push({ opType: 'Conv', name: prefix, input: [x, w, b], output: [y], attribute: [
      { name: 'kernel_shape', type: 7, ints: [k, k] }, { name: 'strides', type: 7, ints: [stride, stride] }, { name: 'pads', type: 7, ints: [p, p, p, p] }, { name: 'group', type: 2, i: group },
    ] });
    return y;
  }

  act(x: string, hs: boolean): string {
    const y = this.name(hs ? 'hswish' : 'relu');
    this.nodes.push({ opType: hs ? 'HardSwish' : 'Relu', name: y, input: [x], output: [y] });
    return y;
  }

  op(opType: string, inputs: string[], attrs: onnx.IAttributeProto[] = []): string {
    const y = this.name(opType.toLowerCase());
    this.nodes.push({ opType, name: y, input: inputs, output: [y], attribute: attrs });
    return y;
  }

  gemm(x: string, inF: number, outF: number, prefix: string): string {
    const w = this.tensor(`${prefix}.weight`, [outF, inF], Math.sqrt(1 / inF));
    const b = this.tensor(`${prefix}.bias`, [outF], 0.01);
    return this.op('Gemm', [x, w, b], [{ name: 'transB', type: 2, i: 1 }]);
  }

  squeezeExcite(y: string, ch: number, prefix: string): string {
    const red = Math.max(8, Math.round(ch / 4 / 8) * 8);
    const s = this.op('GlobalAveragePool', [y]);
    const r = this.act(this.conv(s, ch, red, 1, 1, 1, `${prefix}.se.reduce`), false);
    const e = this.op('HardSigmoid', [this.conv(r, red, ch, 1, 1, 1, `${prefix}.se.expand`)], [{ name: 'alpha', type: 1, f: 1 / 6 }]);
    return this.op('Mul', [y, e]);
  }

  /** One OFA block, from NCHW input `x`. */
  block(x: string, b: OfaBlock, prefix: string): string {
    switch (b.kind) {
      case 'stem':
        return this.act(this.conv(x, 3, 24, 3, 2, 1, `${prefix}.conv`), true);
      case 'first':
      case 'mbconv': {
        const mid = b.mid as number;
        let y = x;
        if (b.kind === 'mbconv') y = this.act(this.conv(y, b.inC, mid, 1, 1, 1, `${prefix}.expand`), !!b.hs);
        y = this.act(this.conv(y, mid, mid, b.k as number, b.stride as number, mid, `${prefix}.depthwise`), !!b.hs);
        if (b.se) y = this.squeezeExcite(y, mid, prefix);
        y = this.conv(y, mid, b.outC, 1, 1, 1, `${prefix}.project`);
        return b.idskip ? this.op('Add', [y, x]) : y;
      }
      case 'final_expand':
        return this.act(this.conv(x, 192, 1152, 1, 1, 1, `${prefix}.conv`), true);
      case 'pool':
        return this.op('GlobalAveragePool', [x]);
      case 'feature':
        return this.act(this.conv(x, 1152, 1536, 1, 1, 1, `${prefix}.conv`), true);
      case 'classifier':
        return this.gemm(this.op('Flatten', [x]), 1536, 1000, prefix);
    }
  }

  model(input: { name: string; dims: number[] }, output: string, outDims: number[], name: string): onnx.IModelProto {
    if (output === input.name) output = this.op('Identity', [output]);
    const vi = (n: string, dims: number[]) => ({ name: n, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
    const last = this.nodes[this.nodes.length - 1];
    if (last && output !== 'output') last.output = last.output?.map((o) => (o === output ? 'output' : o));
    return {
      irVersion: 8, producerName: 'mobile-ai-studio', opsetImport: [{ domain: '', version: 14 }],
      graph: { name, node: this.nodes, initializer: this.inits, input: [vi(input.name, input.dims)], output: [vi('output', outDims)] },
    };
  }
}

/** The whole network of an OFA architecture. */
export function buildOfaNetwork(a: OfaArch, opts: { seed?: number; weights?: Map<string, Float32Array> } = {}): onnx.IModelProto {
  const g = new GraphBuilder(new Rng(opts.seed ?? 0), opts.weights);
  let x = 'input';
  ofaBlocks(a).forEach((b, i) => (x = g.block(x, b, b.kind === 'stem' ? 'first_conv' : b.kind === 'classifier' ? 'classifier' : `blocks.${i}`)));
  return g.model({ name: 'input', dims: [1, 3, a.r, a.r] }, x, [1, 1000], `ofa_mbv3_r${a.r}`);
}

/** A model holding a single block at its input shape: what a table built by measurement times. */
export function buildOfaBlockModel(b: OfaBlock, seed = 0): onnx.IModelProto {
  const g = new GraphBuilder(new Rng(seed));
  const y = g.block('input', b, 'block');
  return g.model({ name: 'input', dims: [1, b.inC, b.inH, b.inH] }, y, b.kind === 'classifier' ? [1, 1000] : [1, b.outC, b.outH, b.outH], 'block');
}
