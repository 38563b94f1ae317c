import { onnx } from 'onnx-proto';
import { ofaActive, type OfaArch } from './ofa';
import type { OfaPredictor } from './predictor';

/**
 * The Once-for-All accuracy predictor run a generation at a time. Each candidate's 128-long one-hot input
 * has at most 41 ones; the whole MLP runs as one matrix product per layer over the batch in onnxruntime
 * (MLAS sgemm, one thread) when it loads, else candidate by candidate in TypeScript (OfaPredictor).
 */
export interface BatchEstimator<A> {
  readonly backend: 'onnxruntime' | 'typescript';
  estimateBatch(archs: A[]): Promise<Float64Array>;
}

const ACTIVE = 41;

export class OfaBatchPredictor implements BatchEstimator<OfaArch> {
  private session: import('onnxruntime-node').InferenceSession | undefined;
  private ort: typeof import('onnxruntime-node') | undefined;
  backend: 'onnxruntime' | 'typescript' = 'typescript';

  private constructor(private readonly predictor: OfaPredictor) {}

  /** `backend: 'auto'` takes onnxruntime when it loads (about 8× faster here), else the TypeScript predictor. */
  static async create(p: OfaPredictor, backend: 'auto' | 'onnxruntime' | 'typescript' = 'auto'): Promise<OfaBatchPredictor> {
    const me = new OfaBatchPredictor(p);
    if (backend !== 'typescript') {
      try {
        const { loadOrt } = await import('../profile/ort');
        me.ort = loadOrt();
        const bytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject(me.model() as Record<string, unknown>)).finish();
        me.session = await me.ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
        me.backend = 'onnxruntime';
      } catch (err) {
        if (backend === 'onnxruntime') throw new Error(`onnxruntime cannot run the accuracy predictor: ${(err as Error).message}`);
      }
    }
    return me;
  }

  /** The MLP as an ONNX graph: one-hot x [B, 128] → MatMul, Add, Relu ×3 → MatMul, Add → y [B, 1]. */
  private model(): onnx.IModelProto {
    const layers = this.predictor.weights();
    const init: onnx.ITensorProto[] = [];
    const nodes: onnx.INodeProto[] = [];
    let x = 'x';
    layers.forEach((l, i) => {
      // Stored transposed [in][out]: MatMul takes it as is.
      init.push({ name: `w${i}`, dims: [l.inp, l.out], dataType: 1, rawData: new Uint8Array(Float32Array.from(l.wt).buffer) });
      init.push({ name: `b${i}`, dims: [l.out], dataType: 1, rawData: new Uint8Array(Float32Array.from(l.b).buffer) });
      nodes.push({ opType: 'MatMul', input: [x, `w${i}`], output: [`m${i}`] });
      const last = i === layers.length - 1;
      nodes.push({ opType: 'Add', input: [`m${i}`, `b${i}`], output: [last ? 'y' : `a${i}`] });
      if (!last) nodes.push({ opType: 'Relu', input: [`a${i}`], output: [(x = `h${i + 1}`)] });
    });
    const dim = (n: number | string) => (typeof n === 'string' ? { dimParam: n } : { dimValue: n });
    return {
      irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'mobileai',
      graph: {
        name: 'ofa_acc_predictor', node: nodes, initializer: init,
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [dim('batch'), dim(layers[0].inp)] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [dim('batch'), dim(1)] } } } }],
      },
    };
  }

  async estimateBatch(archs: OfaArch[]): Promise<Float64Array> {
    if (!archs.length) return new Float64Array(0);
    if (!this.session || !this.ort) return Float64Array.from(archs, (a) => this.predictor.estimate(a));
    const x = new Float32Array(archs.length * 128);
    const act = new Int32Array(ACTIVE);
    for (let c = 0; c < archs.length; c++) {
      ofaActive(archs[c], act, 0);
      for (let k = 0; k < ACTIVE && act[k] >= 0; k++) x[c * 128 + act[k]] = 1;
    }
    const out = await this.session.run({ x: new this.ort.Tensor('float32', x, [archs.length, 128]) });
    return Float64Array.from(out.y.data as Float32Array);
  }
}
