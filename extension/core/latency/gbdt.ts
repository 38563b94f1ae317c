/**
 * Gradient-boosted regression trees (least squares), written compactly for the kernel latency models:
 * a few thousand samples of ~10 features per kernel type fit in well under a second. Trees are stored as
 * flat arrays so a model is plain JSON.
 */

/** One tree: node i is a split `[feature, threshold, left, right]` or a leaf `[-1, value, 0, 0]`. */
export type Tree = number[][];

export interface Gbdt {
  kind: 'gbdt/1';
  base: number;
  rate: number;
  trees: Tree[];
  features: number;
}

export interface GbdtOptions {
  rounds?: number;
  depth?: number;
  rate?: number;
  minLeaf?: number;
}

function mean(y: Float64Array, idx: number[]): number {
  let s = 0;
  for (const i of idx) s += y[i];
  return idx.length ? s / idx.length : 0;
}

/** The best least-squares split of `idx` over all features (or none when nothing reduces the error). */
function bestSplit(x: number[][], r: Float64Array, idx: number[], minLeaf: number): { f: number; t: number; left: number[]; right: number[] } | undefined {
  let total = 0;
  for (const i of idx) total += r[i];
  const n = idx.length;
  let best: { gain: number; f: number; t: number } | undefined;
  const nf = x[idx[0]].length;
  for (let f = 0; f < nf; f++) {
    const order = [...idx].sort((a, b) => x[a][f] - x[b][f]);
    let left = 0;
    for (let j = 0; j < n - 1; j++) {
      left += r[order[j]];
      const a = x[order[j]][f];
      const b = x[order[j + 1]][f];
      if (a === b || j + 1 < minLeaf || n - j - 1 < minLeaf) continue;
      const nl = j + 1;
      const right = total - left;
      // Reduction of the squared error: Σl²/nl + Σr²/nr − Σ²/n.
      const gain = (left * left) / nl + (right * right) / (n - nl) - (total * total) / n;
      if (!best || gain > best.gain) best = { gain, f, t: (a + b) / 2 };
    }
  }
  if (!best || best.gain <= 1e-12) return undefined;
  const { f, t } = best;
  return { f, t, left: idx.filter((i) => x[i][f] <= t), right: idx.filter((i) => x[i][f] > t) };
}

function grow(x: number[][], r: Float64Array, idx: number[], depth: number, minLeaf: number, tree: Tree): number {
  const at = tree.length;
  tree.push([-1, mean(r, idx), 0, 0]);
  if (depth <= 0 || idx.length < 2 * minLeaf) return at;
  const s = bestSplit(x, r, idx, minLeaf);
  if (!s) return at;
  const l = grow(x, r, s.left, depth - 1, minLeaf, tree);
  const rr = grow(x, r, s.right, depth - 1, minLeaf, tree);
  tree[at] = [s.f, s.t, l, rr];
  return at;
}

function treeValue(tree: Tree, v: ArrayLike<number>): number {
  let i = 0;
  for (;;) {
    const [f, t, l, r] = tree[i];
    if (f < 0) return t;
    i = v[f] <= t ? l : r;
  }
}

/** Fits y ≈ base + rate · Σ trees(x). */
export function fitGbdt(x: number[][], y: number[], o: GbdtOptions = {}): Gbdt {
  if (!x.length || x.length !== y.length) throw new Error(`fitGbdt needs as many targets as samples (got ${x.length} samples, ${y.length} targets)`);
  const rounds = o.rounds ?? 150;
  const rate = o.rate ?? 0.1;
  const depth = o.depth ?? 3;
  const minLeaf = o.minLeaf ?? 3;
  const base = y.reduce((a, b) => a + b, 0) / y.length;
  const pred = new Float64Array(y.length).fill(base);
  const r = new Float64Array(y.length);
  const idx = x.map((_, i) => i);
  const trees: Tree[] = [];
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < y.length; i++) r[i] = y[i] - pred[i];
    const tree: Tree = [];
    grow(x, r, idx, depth, minLeaf, tree);
    if (tree.length === 1 && Math.abs(tree[0][1]) < 1e-12) break;
    trees.push(tree);
    for (let i = 0; i < y.length; i++) pred[i] += rate * treeValue(tree, x[i]);
  }
  return { kind: 'gbdt/1', base, rate, trees, features: x[0].length };
}

export function predictGbdt(m: Gbdt, v: ArrayLike<number>): number {
  if (v.length !== m.features) throw new Error(`the model takes ${m.features} features, got ${v.length}`);
  let s = m.base;
  for (const t of m.trees) s += m.rate * treeValue(t, v);
  return s;
}

/** Checks a parsed model's shape (a table file may be edited by hand). */
export function isGbdt(v: unknown): v is Gbdt {
  const m = v as Gbdt;
  return !!m && m.kind === 'gbdt/1' && typeof m.base === 'number' && typeof m.rate === 'number' && typeof m.features === 'number' && Array.isArray(m.trees)
    && m.trees.every((t) => Array.isArray(t) && t.length > 0 && t.every((n) => Array.isArray(n) && n.length === 4 && n.every((x) => typeof x === 'number' && Number.isFinite(x))
      && (n[0] < 0 || (n[0] < m.features && n[2] > 0 && n[2] < t.length && n[3] > 0 && n[3] < t.length))));
}
