import type { Rng } from './rng';
import type { SearchSpace } from './space';

/**
 * Once-for-All MobileNetV3 (as in `../shared/data/README.md`): resolution r ∈ {160…224}; 5 stages of up to 4
 * blocks, widths 32,48,96,136,192, first-block strides 2,2,2,1,2, hard-swish in stages 3-5, squeeze-excite in
 * stages 2,4,5; depth d ∈ {2,3,4}, kernel k ∈ {3,5,7}, expand e ∈ {3,4,6} per block.
 */
export interface OfaArch {
  ks: number[];
  e: number[];
  d: number[];
  r: number;
}

export const OFA = {
  resolutions: [160, 176, 192, 208, 224],
  kernels: [3, 5, 7],
  expands: [3, 4, 6],
  depths: [2, 3, 4],
  widths: [32, 48, 96, 136, 192],
  strides: [2, 2, 2, 1, 2],
  hs: [false, false, true, true, true],
  se: [false, true, false, true, true],
  stages: 5,
  maxDepth: 4,
} as const;

const after = (h: number, s: number) => Math.floor((h - 1) / s) + 1;

export interface OfaBlock {
  key: string;
  kind: 'stem' | 'first' | 'mbconv' | 'final_expand' | 'pool' | 'feature' | 'classifier';
  inH: number;
  inC: number;
  outH: number;
  outC: number;
  mid?: number;
  k?: number;
  stride?: number;
  idskip?: boolean;
  se?: boolean;
  hs?: boolean;
}

/** The blocks (with their table keys) that make up an architecture, in order. */
export function ofaBlocks(a: OfaArch): OfaBlock[] {
  const out: OfaBlock[] = [];
  const r = a.r;
  let h = Math.ceil(r / 2);
  out.push({ key: `Conv-input:${r}x${r}x3-output:${h}x${h}x24`, kind: 'stem', inH: r, inC: 3, outH: h, outC: 24 });
  out.push({ key: `expanded_conv-input:${h}x${h}x24-output:${h}x${h}x24-expand:24-kernel:3-stride:1-idskip:1-se:0-hs:0`, kind: 'first', inH: h, inC: 24, outH: h, outC: 24, mid: 24, k: 3, stride: 1, idskip: true, se: false, hs: false });
  let cin = 24;
  for (let s = 0; s < OFA.stages; s++) {
    for (let j = 0; j < a.d[s]; j++) {
      const slot = s * OFA.maxDepth + j;
      const stride = j === 0 ? OFA.strides[s] : 1;
      const cout = OFA.widths[s];
      const mid = Math.round(cin * a.e[slot]);
      const oh = after(h, stride);
      const idskip = j > 0;
      const se = OFA.se[s];
      const hs = OFA.hs[s];
      out.push({
        key: `expanded_conv-input:${h}x${h}x${cin}-output:${oh}x${oh}x${cout}-expand:${mid}-kernel:${a.ks[slot]}-stride:${stride}-idskip:${idskip ? 1 : 0}-se:${se ? 1 : 0}-hs:${hs ? 1 : 0}`,
        kind: 'mbconv', inH: h, inC: cin, outH: oh, outC: cout, mid, k: a.ks[slot], stride, idskip, se, hs,
      });
      h = oh;
      cin = cout;
    }
  }
  out.push({ key: `Conv_1-input:${h}x${h}x192-output:${h}x${h}x1152`, kind: 'final_expand', inH: h, inC: 192, outH: h, outC: 1152 });
  out.push({ key: `AvgPool2D-input:${h}x${h}x1152-output:1x1x1152`, kind: 'pool', inH: h, inC: 1152, outH: 1, outC: 1152 });
  out.push({ key: 'Conv_2-input:1x1x1152-output:1x1x1536', kind: 'feature', inH: 1, inC: 1152, outH: 1, outC: 1536 });
  out.push({ key: 'Logits-input:1x1x1536-output:1000', kind: 'classifier', inH: 1, inC: 1536, outH: 1, outC: 1000 });
  return out;
}

/** The positions the predictor's one-hot input sets (kernel bits, expand bits, resolution bit), -1 padded to 41. */
export function ofaActive(a: OfaArch, out: Int32Array, at = 0): void {
  let n = 0;
  for (let s = 0; s < OFA.stages; s++) {
    for (let j = 0; j < a.d[s]; j++) {
      const slot = s * OFA.maxDepth + j;
      out[at + n++] = slot * 3 + (a.ks[slot] === 3 ? 0 : a.ks[slot] === 5 ? 1 : 2);
      out[at + n++] = 60 + slot * 3 + (a.e[slot] === 3 ? 0 : a.e[slot] === 4 ? 1 : 2);
    }
  }
  out[at + n++] = 120 + (a.r - 112) / 16;
  while (n < 41) out[at + n++] = -1;
}

/** The 128-long one-hot input of the OFA accuracy predictor. */
export function ofaEncode(a: OfaArch): Float64Array {
  const v = new Float64Array(128);
  for (let s = 0; s < OFA.stages; s++) {
    for (let j = 0; j < OFA.maxDepth; j++) {
      if (j >= a.d[s]) continue;
      const slot = s * OFA.maxDepth + j;
      v[slot * 3 + OFA.kernels.indexOf(a.ks[slot] as 3)] = 1;
      v[60 + slot * 3 + OFA.expands.indexOf(a.e[slot] as 3)] = 1;
    }
  }
  v[120 + (a.r - 112) / 16] = 1;
  return v;
}

function validate(a: OfaArch): OfaArch {
  const bad = (what: string) => { throw new Error(`invalid OFA architecture: ${what}`); };
  if (!Array.isArray(a.ks) || a.ks.length !== 20 || a.ks.some((k) => !(OFA.kernels as readonly number[]).includes(k))) bad('ks must be 20 kernels from 3, 5, 7');
  if (!Array.isArray(a.e) || a.e.length !== 20 || a.e.some((k) => !(OFA.expands as readonly number[]).includes(k))) bad('e must be 20 expand ratios from 3, 4, 6');
  if (!Array.isArray(a.d) || a.d.length !== 5 || a.d.some((k) => !(OFA.depths as readonly number[]).includes(k))) bad('d must be 5 depths from 2, 3, 4');
  if (!(OFA.resolutions as readonly number[]).includes(a.r)) bad(`r must be one of ${OFA.resolutions.join(', ')}`);
  return a;
}

const STEP_MOVES = new Int32Array(64);

/** The space over some resolutions (a table may cover only some): sampling, mutation and steps keep to them. */
function makeOfaSpace(resolutions: readonly number[]): SearchSpace<OfaArch> {
  return {
    id: 'ofa-mbv3',
    description: 'Once-for-All MobileNetV3: 5 stages × up to 4 blocks, k ∈ {3,5,7}, e ∈ {3,4,6}, d ∈ {2,3,4}, r ∈ {160…224}',
    sample(rng: Rng): OfaArch {
      return {
        ks: Array.from({ length: 20 }, () => rng.pick(OFA.kernels)),
        e: Array.from({ length: 20 }, () => rng.pick(OFA.expands)),
        d: Array.from({ length: 5 }, () => rng.pick(OFA.depths)),
        r: rng.pick(resolutions),
      };
    },
    mutate(a: OfaArch, rng: Rng, p: number): OfaArch {
      // As the OFA tutorial's evolution: resolution first, then every gene with probability p.
      const m = { ks: [...a.ks], e: [...a.e], d: [...a.d], r: a.r };
      if (rng.next() < p) m.r = rng.pick(resolutions);
      for (let i = 0; i < 20; i++) {
        if (rng.next() < p) m.ks[i] = rng.pick(OFA.kernels);
        if (rng.next() < p) m.e[i] = rng.pick(OFA.expands);
      }
      for (let i = 0; i < 5; i++) if (rng.next() < p) m.d[i] = rng.pick(OFA.depths);
      return m;
    },
    crossover(a: OfaArch, b: OfaArch, rng: Rng): OfaArch {
      const pick = <T>(x: T, y: T) => (rng.next() < 0.5 ? x : y);
      return { ks: a.ks.map((k, i) => pick(k, b.ks[i])), e: a.e.map((v, i) => pick(v, b.e[i])), d: a.d.map((v, i) => pick(v, b.d[i])), r: pick(a.r, b.r) };
    },
    features: {
      count: 128,
      of(a: OfaArch): Int32Array {
        const v = new Int32Array(41);
        ofaActive(a, v);
        return v;
      },
    },
    step(a: OfaArch, rng: Rng, dir: 1 | -1): OfaArch | undefined {
      // Genes that can move: kernel and expand of the blocks in use, each stage's depth, the resolution.
      // Encoded kind * 32 + index in a reused buffer (this runs for every repair step of every child).
      const moves = STEP_MOVES;
      let n = 0;
      const up = dir > 0;
      for (let s = 0; s < OFA.stages; s++) {
        for (let j = 0; j < a.d[s]; j++) {
          const slot = s * OFA.maxDepth + j;
          if (up ? a.ks[slot] !== 7 : a.ks[slot] !== 3) moves[n++] = slot;
          if (up ? a.e[slot] !== 6 : a.e[slot] !== 3) moves[n++] = 32 + slot;
        }
        if (up ? a.d[s] !== 4 : a.d[s] !== 2) moves[n++] = 64 + s;
      }
      if (up ? a.r !== resolutions[resolutions.length - 1] : a.r !== resolutions[0]) moves[n++] = 96;
      if (!n) return undefined;
      const code = moves[rng.int(n)];
      const kind = code >> 5;
      const i = code & 31;
      const next = <T extends number>(list: readonly T[], v: number) => list[list.indexOf(v as T) + dir];
      const m = { ks: a.ks.slice(), e: a.e.slice(), d: a.d.slice(), r: a.r };
      if (kind === 0) m.ks[i] = next(OFA.kernels, m.ks[i]);
      else if (kind === 1) m.e[i] = next(OFA.expands, m.e[i]);
      else if (kind === 2) m.d[i] = next(OFA.depths, m.d[i]);
      else m.r = next(resolutions, m.r);
      return m;
    },
    keys(a: OfaArch) {
      return { resolution: a.r, keys: ofaBlocks(a).map((b) => b.key) };
    },
    id_(a: OfaArch): string {
      // Genes in slots the depth skips do not matter: leave them out so equal networks share an id.
      // (A plain loop: ids are made for every candidate a search considers.)
      let k = '';
      let e = '';
      for (let i = 0; i < 20; i++) {
        const used = (i & 3) < a.d[i >> 2];
        k += used ? a.ks[i] : '-';
        e += used ? a.e[i] : '-';
      }
      return `r${a.r}|d${a.d[0]}${a.d[1]}${a.d[2]}${a.d[3]}${a.d[4]}|k${k}|e${e}`;
    },
    toJson: (a: OfaArch) => ({ ks: a.ks, e: a.e, d: a.d, r: a.r }),
    fromJson: (v: unknown) => validate(v as OfaArch),
    allKeys() {
      const out = new Map<string, { resolution: number; key: string }>();
      for (const r of OFA.resolutions) {
        // Every block a network at this resolution can contain: each stage, each position, each k and e.
        for (const k of OFA.kernels) for (const e of OFA.expands) for (const d of [4]) {
          const a: OfaArch = { ks: Array(20).fill(k), e: Array(20).fill(e), d: Array(5).fill(d), r };
          for (const b of ofaBlocks(a)) out.set(`${r}|${b.key}`, { resolution: r, key: b.key });
        }
      }
      return [...out.values()];
    },
    withResolutions(rs: number[]): SearchSpace<OfaArch> {
      const keep = OFA.resolutions.filter((r) => rs.includes(r));
      if (!keep.length) throw new Error(`the tables cover none of Once-for-All's resolutions (${OFA.resolutions.join(', ')}); they have ${rs.join(', ')}`);
      return makeOfaSpace(keep);
    },
  };
}

export const ofaSpace: SearchSpace<OfaArch> = makeOfaSpace(OFA.resolutions);

/**
 * Latency from block tables without building keys: per resolution, the fixed blocks' sum and, per stage,
 * the first block's and the later blocks' latency for each kernel × expand (later blocks of a stage share
 * one shape). Block and kernel tables alike hold one entry per block (a kernel table's are its blocks'
 * kernels, predicted). NaN marks an entry a table lacks (the caller then asks the generic path, which
 * names the missing key).
 */
export interface OfaLatencyModel {
  latency(a: OfaArch): number;
  /** Per resolution index (160…224): the fixed blocks' sum. */
  base: Float64Array;
  /** [((r·5 + stage)·2 + later)·9 + k·3 + e]: one block's latency (later: not the stage's first block). */
  cell: Float64Array;
}

export function ofaLatencyModel(tables: Array<{ resolution?: number; entries: Record<string, { mean: number }> }>): OfaLatencyModel | undefined {
  const base = new Float64Array(OFA.resolutions.length).fill(NaN);
  const cell = new Float64Array(OFA.resolutions.length * OFA.stages * 2 * 9).fill(NaN);
  OFA.resolutions.forEach((r, ri) => {
    const t = tables.find((x) => x.resolution === r) ?? tables.find((x) => x.resolution === undefined);
    if (!t) return;
    const get = (key: string) => t.entries[key]?.mean ?? NaN;
    for (const [ki, k] of OFA.kernels.entries()) {
      for (const [ei, e] of OFA.expands.entries()) {
        const blocks = ofaBlocks({ ks: Array(20).fill(k), e: Array(20).fill(e), d: Array(5).fill(2), r });
        if (ki === 0 && ei === 0) base[ri] = blocks.filter((b) => b.kind !== 'mbconv').reduce((s, b) => s + get(b.key), 0);
        blocks.filter((b) => b.kind === 'mbconv').forEach((b, i) => {
          const s = Math.floor(i / 2);
          cell[((ri * OFA.stages + s) * 2 + (i % 2)) * 9 + ki * 3 + ei] = get(b.key);
        });
      }
    }
  });
  const latency = (a: OfaArch) => {
    const ri = (a.r - 160) / 16;
    let sum = base[ri];
    for (let s = 0; s < OFA.stages; s++) {
      const off = (ri * OFA.stages + s) * 2;
      for (let j = 0; j < a.d[s]; j++) {
        const slot = s * OFA.maxDepth + j;
        const k = a.ks[slot];
        const e = a.e[slot];
        sum += cell[(off + (j ? 1 : 0)) * 9 + (k === 3 ? 0 : k === 5 ? 3 : 6) + (e === 3 ? 0 : e === 4 ? 1 : 2)];
      }
    }
    return sum;
  };
  return { latency, base, cell };
}
