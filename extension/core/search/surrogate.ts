/**
 * A ridge regression of the score on an architecture's one-hot features, refitted from every point a
 * search has scored (no evaluations of its own). It ranks candidates before they are scored, so the
 * evaluations go to the ones likely to be good (a surrogate-assisted evolution).
 */
export class LinearSurrogate {
  private readonly xtx: Float64Array;
  private readonly xty: Float64Array;
  private w: Float64Array | undefined;
  private n = 0;
  private readonly d: number;
  private readonly idx: Int32Array;

  constructor(features: number, private readonly lambda = 1e-2) {
    this.d = features + 1; // the last feature is the intercept
    this.xtx = new Float64Array(this.d * this.d);
    this.xty = new Float64Array(this.d);
    this.idx = new Int32Array(this.d + 1);
  }

  get samples(): number {
    return this.n;
  }

  /** Adds a scored point, given the indices of its features that are 1. */
  add(active: ArrayLike<number>, y: number): void {
    this.update(active, y, 1);
    this.n++;
  }

  private update(active: ArrayLike<number>, y: number, sign: 1 | -1): void {
    const d = this.d;
    const idx = this.idx;
    let m = 0;
    for (let k = 0; k < active.length; k++) if (active[k] >= 0) idx[m++] = active[k];
    idx[m++] = d - 1;
    for (let a = 0; a < m; a++) {
      const i = idx[a];
      this.xty[i] += sign * y;
      const row = i * d;
      for (let b = 0; b < m; b++) this.xtx[row + idx[b]] += sign;
    }
  }

  /** Takes back a point `add` added (the sums are exact for the one-hot part). */
  remove(active: ArrayLike<number>, y: number): void {
    this.update(active, y, -1);
    this.n--;
  }

  /** Solves (XᵀX + λI) w = Xᵀy by Cholesky. */
  fit(): void {
    const d = this.d;
    const a = Float64Array.from(this.xtx);
    for (let i = 0; i < d; i++) a[i * d + i] += this.lambda;
    // In-place Cholesky: a = L Lᵀ (lower triangle).
    for (let j = 0; j < d; j++) {
      let s = a[j * d + j];
      for (let k = 0; k < j; k++) s -= a[j * d + k] * a[j * d + k];
      const l = Math.sqrt(Math.max(s, 1e-12));
      a[j * d + j] = l;
      for (let i = j + 1; i < d; i++) {
        let t = a[i * d + j];
        for (let k = 0; k < j; k++) t -= a[i * d + k] * a[j * d + k];
        a[i * d + j] = t / l;
      }
    }
    const z = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let t = this.xty[i];
      for (let k = 0; k < i; k++) t -= a[i * d + k] * z[k];
      z[i] = t / a[i * d + i];
    }
    const w = new Float64Array(d);
    for (let i = d - 1; i >= 0; i--) {
      let t = z[i];
      for (let k = i + 1; k < d; k++) t -= a[k * d + i] * w[k];
      w[i] = t / a[i * d + i];
    }
    this.w = w;
  }

  /** The fitted weights, one per feature, then the intercept (undefined before the first fit). */
  weights(): Float64Array | undefined {
    return this.w;
  }

  predict(active: ArrayLike<number>): number {
    const w = this.w;
    if (!w) return 0;
    let s = w[this.d - 1];
    for (let k = 0; k < active.length; k++) if (active[k] >= 0) s += w[active[k]];
    return s;
  }
}
