import { LinearSurrogate } from './surrogate';

/**
 * A score model for the front search that is local in latency: for each latency band, a ridge regression
 * of the points scored within `windowMs` of the band, corrected by the residuals of the candidate's nearest
 * scored neighbours (Hamming distance of the one-hot features, within `windowMs` of its latency). The
 * accuracy predictor is not additive in the genes, least of all among the large networks at the slow end of
 * the front, where one global linear model ranks children barely better than chance; the local models and
 * the neighbours' residuals learn what it misses there. Uses only points the search scored.
 */
export class LocalSurrogate {
  private readonly bands: LinearSurrogate[];
  private readonly global: LinearSurrogate;
  /** Scored points (one-hot features, latency, score), sorted by latency. */
  private pts: Array<{ f: Int32Array; l: number; y: number }> = [];
  /** The sorted points' bit sets, `words` per point, and latencies, flat for the scan. */
  private flat = new Uint32Array(0);
  private lat = new Float64Array(0);
  private readonly words: number;
  private pending: Array<{ f: Int32Array; l: number; y: number }> = [];
  private readonly fittedAt: number[];
  private readonly bd: Float64Array;
  private readonly bi: Int32Array;

  constructor(
    private readonly features: number,
    private readonly band: { lo: number; width: number; count: number },
    private readonly opts: { windowMs: number; neighbours: number; minSamples: number; maxScan: number },
  ) {
    this.global = new LinearSurrogate(features);
    this.bands = Array.from({ length: band.count }, () => new LinearSurrogate(features));
    this.fittedAt = this.bands.map(() => 0);
    this.words = Math.ceil(features / 32);
    this.bd = new Float64Array(opts.neighbours);
    this.bi = new Int32Array(opts.neighbours);
  }

  get samples(): number {
    return this.global.samples;
  }

  add(f: Int32Array, latencyMs: number, y: number): void {
    this.global.add(f, y);
    const { lo, width, count } = this.band;
    const w = this.opts.windowMs;
    for (let b = Math.max(0, Math.floor((latencyMs - w - lo) / width) - 1); b < count && lo + b * width <= latencyMs + w; b++) {
      if (latencyMs >= lo + b * width - w && latencyMs <= lo + (b + 1) * width + w) this.bands[b].add(f, y);
    }
    this.pending.push({ f, l: latencyMs, y });
  }

  /** Merges the points added since the last call into the latency-sorted list. */
  private settle(): void {
    if (!this.pending.length) return;
    const add = this.pending.sort((a, b) => a.l - b.l);
    const old = this.pts;
    const out: typeof old = new Array(old.length + add.length);
    for (let i = 0, j = 0, k = 0; k < out.length; k++) out[k] = j >= add.length || (i < old.length && old[i].l <= add[j].l) ? old[i++] : add[j++];
    this.pts = out;
    this.pending = [];
    const words = this.words;
    this.flat = new Uint32Array(out.length * words);
    this.lat = new Float64Array(out.length);
    out.forEach((q, i) => {
      setBits(this.flat, i * words, q.f);
      this.lat[i] = q.l;
    });
  }

  /** Refits the global model, and each band's once it has grown by 3 % since its last fit (a fit solves a 129² system). */
  fit(): void {
    this.global.fit();
    this.bands.forEach((m, b) => {
      if (m.samples >= this.opts.minSamples && m.samples >= this.fittedAt[b] * 1.03) {
        m.fit();
        this.fittedAt[b] = m.samples;
      }
    });
  }

  private modelFor(band: number): LinearSurrogate {
    const m = this.bands[band];
    return m && m.samples >= this.opts.minSamples && m.weights() ? m : this.global;
  }

  private firstAtLeast(l: number): number {
    let a = 0;
    let b = this.lat.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (this.lat[m] < l) a = m + 1;
      else b = m;
    }
    return a;
  }

  /** The band's model, plus the distance-weighted mean residual of the nearest scored points. */
  predict(f: Int32Array, latencyMs: number, band: number): number {
    const m = this.modelFor(band);
    const base = m.predict(f);
    const K = this.opts.neighbours;
    if (!K) return base;
    this.settle();
    const words = this.words;
    const bits = setBits(new Uint32Array(words), 0, f);
    const bd = this.bd.fill(Infinity);
    const bi = this.bi.fill(-1);
    const w = this.opts.windowMs;
    const { flat, lat } = this;
    const n = lat.length;
    // The points nearest in latency, outwards from the candidate's, up to `maxScan` (long runs stay linear).
    let left = this.firstAtLeast(latencyMs) - 1;
    let right = left + 1;
    for (let s = 0; s < this.opts.maxScan; s++) {
      const dl = left >= 0 ? latencyMs - lat[left] : Infinity;
      const dr = right < n ? lat[right] - latencyMs : Infinity;
      if (Math.min(dl, dr) > w) break;
      const i = dl <= dr ? left-- : right++;
      let d = 0;
      for (let k = 0, at = i * words; k < words; k++) d += popcount(bits[k] ^ flat[at + k]);
      if (d >= bd[K - 1]) continue;
      let j = K - 1;
      for (; j > 0 && bd[j - 1] > d; j--) {
        bd[j] = bd[j - 1];
        bi[j] = bi[j - 1];
      }
      bd[j] = d;
      bi[j] = i;
    }
    let num = 0;
    let den = 0;
    for (let j = 0; j < K && bi[j] >= 0; j++) {
      const q = this.pts[bi[j]];
      const wt = 1 / (1 + bd[j]);
      num += wt * (q.y - m.predict(q.f));
      den += wt;
    }
    return den ? base + num / den : base;
  }
}

/** The one-hot features as a bit set, written into `out` at word `at`. */
function setBits(out: Uint32Array, at: number, f: Int32Array): Uint32Array {
  for (let k = 0; k < f.length; k++) if (f[k] >= 0) out[at + (f[k] >> 5)] |= 1 << (f[k] & 31);
  return out;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
