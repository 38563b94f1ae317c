import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ofaEncode, type OfaArch } from './ofa';
import type { BatchEstimator } from './batch';

/**
 * An accuracy estimate, always labelled for what it is: a predicted accuracy, or a proxy that ranks
 * architectures but is not an accuracy (never shown as one).
 */
export interface AccuracyEstimator<A> {
  kind: 'accuracy' | 'proxy';
  label: string;
  estimate(a: A): number | Promise<number>;
  /** A generation-at-a-time form, when the estimator has one (the search prefers it). */
  batched?(backend?: 'auto' | 'onnxruntime' | 'typescript'): Promise<BatchEstimator<A>>;
}

/** Weights stored transposed ([in][out]): a layer adds one contiguous row per non-zero input. */
interface Layer { wt: Float64Array; b: Float64Array; out: number; inp: number }

/** The Once-for-All ImageNet top-1 predictor: an MLP 128→400→400→400→1 with ReLU, run in TypeScript. */
export class OfaPredictor implements AccuracyEstimator<OfaArch> {
  readonly kind = 'accuracy' as const;
  readonly label = 'predicted ImageNet top-1 (Once-for-All accuracy predictor)';
  private constructor(private readonly layers: Layer[]) {}

  static async load(file: string): Promise<OfaPredictor> {
    let json: Record<string, { shape: number[]; data: number[] }>;
    try {
      json = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read the OFA predictor ${path.basename(file)}: ${(err as Error).message}`);
    }
    const layers: Layer[] = [];
    for (const i of ['0', '2', '4', '6']) {
      const w = json[`${i}.weight`];
      const b = json[`${i}.bias`];
      if (!w || !b || w.shape.length !== 2 || w.data.length !== w.shape[0] * w.shape[1] || b.data.length !== w.shape[0]) throw new Error(`${path.basename(file)}: layer ${i} is missing or malformed (expected "${i}.weight" [out, in] and "${i}.bias")`);
      const [out, inp] = w.shape;
      const wt = new Float64Array(out * inp);
      for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) wt[i * out + o] = w.data[o * inp + i];
      layers.push({ wt, b: Float64Array.from(b.data), out, inp });
    }
    if (layers[0].inp !== 128 || layers[3].out !== 1) throw new Error(`${path.basename(file)}: expected an MLP from 128 inputs to 1 output`);
    return new OfaPredictor(layers);
  }

  private batch = new Map<string, Promise<BatchEstimator<OfaArch>>>();
  batched(backend: 'auto' | 'onnxruntime' | 'typescript' = 'auto'): Promise<BatchEstimator<OfaArch>> {
    let b = this.batch.get(backend);
    if (!b) this.batch.set(backend, (b = import('./batch').then((m) => m.OfaBatchPredictor.create(this, backend))));
    return b;
  }

  /** The layers (weights transposed to [in][out]), for the batch predictor. */
  weights(): ReadonlyArray<Readonly<Layer>> {
    return this.layers;
  }

  estimate(a: OfaArch): number {
    let x: Float64Array = ofaEncode(a);
    for (let li = 0; li < this.layers.length; li++) {
      const l = this.layers[li];
      const y = Float64Array.from(l.b);
      // Inputs are one-hot, then ReLU outputs: skip the zeros, add whole rows for the rest.
      for (let i = 0; i < l.inp; i++) {
        const xi = x[i];
        if (xi === 0) continue;
        const row = i * l.out;
        for (let o = 0; o < l.out; o++) y[o] += l.wt[row + o] * xi;
      }
      if (li < this.layers.length - 1) for (let o = 0; o < l.out; o++) if (y[o] < 0) y[o] = 0;
      x = y;
    }
    return x[0];
  }
}

/** A user's accuracy table: JSON `{ "<architecture id>": accuracy }`, looked up by the space's id. */
export class TablePredictor<A> implements AccuracyEstimator<A> {
  readonly kind = 'accuracy' as const;
  constructor(readonly label: string, private readonly table: Record<string, number>, private readonly idOf: (a: A) => string) {}
  estimate(a: A): number {
    const v = this.table[this.idOf(a)];
    if (typeof v !== 'number') throw new Error(`the accuracy table has no entry for ${this.idOf(a)}`);
    return v;
  }
}
