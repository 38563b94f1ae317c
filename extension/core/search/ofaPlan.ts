import { OFA, type OfaArch, type OfaLatencyModel } from './ofa';

/**
 * The Once-for-All architecture that maximizes a linear score (one weight per kernel bit, expand bit and
 * resolution bit of the predictor's encoding, plus an intercept) under a latency budget, exactly up to
 * the latency grid: latency is a sum over blocks, so per resolution a multiple-choice knapsack over the
 * blocks' (kernel, expand) inside each stage, then a max-plus merge of the stages over their depths.
 * `fix` pins the resolution and/or the depths (to plan inside one skeleton).
 */
export function ofaPlan(w: Float64Array, model: OfaLatencyModel, budgetMs: number, opts: { gridMs?: number; fix?: { r?: number; d?: number[] }; fill?: OfaArch } = {}): OfaArch | undefined {
  return ofaPlans(w, model, [budgetMs], opts)[0];
}

/** `ofaPlan` for several budgets at once (one knapsack per resolution, backtracked once per budget). */
export function ofaPlans(w: Float64Array, model: OfaLatencyModel, budgets: number[], opts: { gridMs?: number; fix?: { r?: number; d?: number[] }; fill?: OfaArch } = {}): Array<OfaArch | undefined> {
  const grid = opts.gridMs ?? 0.05;
  const top = Math.max(...budgets);
  const best: Array<{ gain: number; arch: OfaArch } | undefined> = budgets.map(() => undefined);
  OFA.resolutions.forEach((r, ri) => {
    if (opts.fix?.r !== undefined && opts.fix.r !== r) return;
    const room = top - model.base[ri];
    if (!(room > 0)) return;
    const G = Math.floor(room / grid) + 1;
    // Per stage: for each depth, the best gain at each cost cell (cost = cells used, rounded up) and the choices.
    const stageCurves: Array<{ gain: Float64Array; depth: Int8Array; picks: Int8Array[] }> = [];
    for (let s = 0; s < OFA.stages; s++) {
      // f[j][c]: best gain of the first j+1 blocks at exactly c cells; choice[j][c] the (k,e) option.
      let f = new Float64Array(G).fill(-Infinity);
      f[0] = 0;
      const choices: Int8Array[] = [];
      const prevOf: Int32Array[] = [];
      const byDepth: Float64Array[] = [];
      for (let j = 0; j < OFA.maxDepth; j++) {
        const slot = s * OFA.maxDepth + j;
        const g = new Float64Array(G).fill(-Infinity);
        const ch = new Int8Array(G).fill(-1);
        const pv = new Int32Array(G).fill(-1);
        for (let opt = 0; opt < 9; opt++) {
          const ki = Math.floor(opt / 3);
          const ei = opt % 3;
          const cost = Math.round(model.cell[((ri * OFA.stages + s) * 2 + (j ? 1 : 0)) * 9 + opt] / grid);
          const gain = w[slot * 3 + ki] + w[60 + slot * 3 + ei];
          for (let c = 0; c + cost < G; c++) {
            if (f[c] === -Infinity) continue;
            const v = f[c] + gain;
            if (v > g[c + cost]) { g[c + cost] = v; ch[c + cost] = opt; pv[c + cost] = c; }
          }
        }
        choices.push(ch);
        prevOf.push(pv);
        f = g;
        if (j + 1 >= OFA.depths[0]) byDepth.push(f);
      }
      // Combine depths: best over depth at each exact cost.
      const gain = new Float64Array(G).fill(-Infinity);
      const depth = new Int8Array(G).fill(-1);
      byDepth.forEach((bd, di) => {
        if (opts.fix?.d && opts.fix.d[s] !== OFA.depths[di]) return;
        for (let c = 0; c < G; c++) if (bd[c] > gain[c]) { gain[c] = bd[c]; depth[c] = OFA.depths[di]; }
      });
      // Backtracking per (depth, cost) needs the chains: store choices and predecessors flattened.
      const picks = choices.map((ch, j) => {
        const both = new Int8Array(G);
        both.set(ch);
        (both as unknown as { prev?: Int32Array }).prev = prevOf[j];
        return both;
      });
      stageCurves.push({ gain, depth, picks });
    }
    // Max-plus merge of the stages: m[c] best gain of stages 0..s at exactly c cells; split[s][c] the cells stage s used.
    let m = stageCurves[0].gain;
    const splits: Int32Array[] = [];
    for (let s = 1; s < OFA.stages; s++) {
      const h = stageCurves[s].gain;
      const out = new Float64Array(G).fill(-Infinity);
      const split = new Int32Array(G).fill(-1);
      for (let a = 0; a < G; a++) {
        if (m[a] === -Infinity) continue;
        for (let b = 0; a + b < G; b++) {
          if (h[b] === -Infinity) continue;
          const v = m[a] + h[b];
          if (v > out[a + b]) { out[a + b] = v; split[a + b] = b; }
        }
      }
      splits.push(split);
      m = out;
    }
    // Best at or under each cost: the running maximum, and where it was reached.
    const atMost = new Int32Array(G).fill(-1);
    for (let c = 0; c < G; c++) atMost[c] = m[c] > -Infinity && (c === 0 || atMost[c - 1] < 0 || m[c] > m[atMost[c - 1]]) ? c : c > 0 ? atMost[c - 1] : -1;
    budgets.forEach((budgetMs, bi) => {
      const cap = Math.min(G - 1, Math.floor((budgetMs - model.base[ri]) / grid + 1e-9));
      if (cap < 0) return;
      const cBest = atMost[cap];
      if (cBest < 0) return;
      const gain = m[cBest] + w[120 + (r - 112) / 16];
      if (best[bi] && (best[bi] as { gain: number }).gain >= gain) return;
      // Backtrack: stage costs, then each stage's blocks.
      const ks = opts.fill ? [...opts.fill.ks] : Array<number>(20).fill(3);
      const es = opts.fill ? [...opts.fill.e] : Array<number>(20).fill(3);
      const d = Array<number>(5).fill(2);
      let c = cBest;
      const stageCost = new Array<number>(OFA.stages);
      for (let s = OFA.stages - 1; s >= 1; s--) {
        const b = splits[s - 1][c];
        stageCost[s] = b;
        c -= b;
      }
      stageCost[0] = c;
      for (let s = 0; s < OFA.stages; s++) {
        const sc = stageCurves[s];
        let cc = stageCost[s];
        const depth = sc.depth[cc];
        d[s] = depth;
        for (let j = depth - 1; j >= 0; j--) {
          const ch = sc.picks[j];
          const opt = ch[cc];
          const prev = (ch as unknown as { prev: Int32Array }).prev[cc];
          ks[s * OFA.maxDepth + j] = OFA.kernels[Math.floor(opt / 3)];
          es[s * OFA.maxDepth + j] = OFA.expands[opt % 3];
          cc = prev;
        }
      }
      best[bi] = { gain, arch: { ks, e: es, d, r } };
    });
  });
  return best.map((b) => b?.arch);
}
