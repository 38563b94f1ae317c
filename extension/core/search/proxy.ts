import { onnx } from 'onnx-proto';
import { loadOrt } from '../profile/ort';
import { Rng } from './rng';
import type { AccuracyEstimator } from './predictor';

/** log|det K| of a small symmetric matrix (LU with partial pivoting). */
export function logAbsDet(m: number[][]): number {
  const a = m.map((r) => [...r]);
  const n = a.length;
  let logdet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    if (a[p][c] === 0) return -Infinity;
    [a[c], a[p]] = [a[p], a[c]];
    logdet += Math.log(Math.abs(a[c][c]));
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k < n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return logdet;
}

/**
 * The NASWOT zero-cost proxy (Mellor et al., 2021): forward a mini-batch through the untrained network,
 * record which activations are positive, and score log|det K| where K[i][j] counts the activation units on
 * which inputs i and j agree. It ranks architectures without training; it is not an accuracy.
 */
export class NaswotProxy<A> implements AccuracyEstimator<A> {
  readonly kind = 'proxy' as const;
  readonly label = 'NASWOT zero-cost proxy (log|det K| of activation codes at initialization)';
  constructor(private readonly network: (a: A, batch: number) => onnx.IModelProto, private readonly batch = 8, private readonly seed = 0) {}

  async estimate(a: A): Promise<number> {
    const ort = loadOrt();
    const model = this.network(a, this.batch);
    const g = model.graph as onnx.IGraphProto;
    const acts = (g.node ?? []).filter((n) => n.opType === 'Relu' || n.opType === 'HardSwish').map((n) => n.output?.[0] ?? '').filter(Boolean);
    g.output = [...(g.output ?? []), ...acts.map((name) => ({ name, type: { tensorType: { elemType: 1 } } }))];
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject(model as Record<string, unknown>)).finish();
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
    try {
      const dims = (g.input?.[0]?.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue));
      const rng = new Rng(this.seed);
      const x = new ort.Tensor('float32', Float32Array.from({ length: dims.reduce((p, q) => p * q, 1) }, () => rng.next() * 2 - 1), dims);
      const out = await s.run({ input: x }, acts);
      const B = this.batch;
      const K = Array.from({ length: B }, () => new Array<number>(B).fill(0));
      for (const name of acts) {
        const d = out[name].data as Float32Array;
        const per = d.length / B;
        for (let i = 0; i < B; i++) {
          for (let j = i; j < B; j++) {
            let agree = 0;
            const oi = i * per;
            const oj = j * per;
            for (let k = 0; k < per; k++) if ((d[oi + k] > 0) === (d[oj + k] > 0)) agree++;
            K[i][j] += agree;
            if (i !== j) K[j][i] += agree;
          }
        }
      }
      return logAbsDet(K);
    } finally {
      await s.release();
    }
  }
}

/** A user's predictor as an ONNX model: input a float32 encoding [1, n] of the architecture, output a score. */
export class OnnxPredictor<A> implements AccuracyEstimator<A> {
  readonly kind = 'accuracy' as const;
  private session: Promise<import('onnxruntime-node').InferenceSession> | undefined;
  constructor(readonly label: string, private readonly file: string, private readonly encode: (a: A) => Float32Array) {}
  async estimate(a: A): Promise<number> {
    const ort = loadOrt();
    this.session ??= ort.InferenceSession.create(this.file);
    const s = await this.session;
    const v = this.encode(a);
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', v, [1, v.length]) });
    const y = out[s.outputNames[0]].data as Float32Array;
    return y[0];
  }
}
