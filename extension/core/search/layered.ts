import { type onnx } from 'onnx-proto';
import { GraphBuilder } from './build';
import { Rng } from './rng';
import type { SearchSpace } from './space';

/**
 * A layered space (`mobileai.space/1`): a stem, then layers that each pick one block from a list of
 * choices, then a head. FBNet is one; users describe their own in JSON (README).
 * Block names: `k{3|5|7}_e{1|3|4|6}` with optional `_g2` (grouped 1×1 convs), `_se` (squeeze-excite),
 * `_hs` (hard-swish), or `skip` (identity, only where the shape does not change).
 */
export interface LayeredSpaceJson {
  schema: 'mobileai.space/1';
  name: string;
  resolution: number;
  inputChannels?: number;
  stem: { out: number; k: number; stride: number };
  layers: Array<{ out: number; stride: number; choices: string[] }>;
  head: { out: number; classes: number };
}

export interface BlockChoice {
  name: string;
  k: number;
  e: number;
  group: number;
  se: boolean;
  hs: boolean;
  skip: boolean;
}

export function parseChoice(name: string): BlockChoice {
  if (name === 'skip') return { name, k: 0, e: 0, group: 1, se: false, hs: false, skip: true };
  const m = /^k([357])_e([1346])((?:_g2|_se|_hs)*)$/.exec(name);
  if (!m) throw new Error(`unknown block "${name}" (use k3|k5|k7 with _e1|_e3|_e4|_e6, optional _g2, _se, _hs, or skip)`);
  return { name, k: Number(m[1]), e: Number(m[2]), group: m[3].includes('_g2') ? 2 : 1, se: m[3].includes('_se'), hs: m[3].includes('_hs'), skip: false };
}

const after = (h: number, s: number) => Math.floor((h - 1) / s) + 1;

export const FBNET: LayeredSpaceJson = {
  schema: 'mobileai.space/1',
  name: 'fbnet',
  resolution: 224,
  stem: { out: 16, k: 3, stride: 2 },
  layers: [[16, 1, 1], [24, 4, 2], [32, 4, 2], [64, 4, 2], [112, 4, 1], [184, 4, 2], [352, 1, 1]].flatMap(([out, n, s]) => Array.from({ length: n }, (_, i) => ({
    out, stride: i === 0 ? s : 1,
    choices: ['k3_e1', 'k3_e1_g2', 'k3_e3', 'k3_e6', 'k5_e1', 'k5_e1_g2', 'k5_e3', 'k5_e6', 'skip'],
  }))),
  head: { out: 1504, classes: 1000 },
};

export interface LayerPlan {
  key: string;
  inH: number;
  inC: number;
  outH: number;
  outC: number;
  stride: number;
  choice?: BlockChoice;
  kind: 'stem' | 'layer' | 'head' | 'classifier';
}

export class LayeredSpace implements SearchSpace<string[]> {
  readonly id: string;
  readonly description: string;
  private readonly allowed: string[][];

  constructor(readonly spec: LayeredSpaceJson) {
    if (spec.schema !== 'mobileai.space/1' || !Array.isArray(spec.layers) || !spec.layers.length || !spec.stem || !spec.head || !(spec.resolution > 0)) {
      throw new Error('a space file needs schema "mobileai.space/1", resolution, stem {out,k,stride}, layers [{out,stride,choices}], head {out,classes}');
    }
    this.id = spec.name;
    this.description = `${spec.name}: ${spec.layers.length} layers`;
    // A layer that changes shape cannot be skipped.
    let c = spec.stem.out;
    this.allowed = spec.layers.map((l, i) => {
      const ok = l.choices.filter((ch) => {
        parseChoice(ch);
        return ch !== 'skip' || (l.stride === 1 && l.out === c);
      });
      if (!ok.length) throw new Error(`layer ${i} has no usable choice`);
      c = l.out;
      return ok;
    });
  }

  plan(a: string[]): LayerPlan[] {
    const s = this.spec;
    const cin = s.inputChannels ?? 3;
    let h = after(s.resolution, s.stem.stride);
    const out: LayerPlan[] = [{ key: `${s.name}-stem-input:${s.resolution}x${s.resolution}x${cin}-output:${h}x${h}x${s.stem.out}-kernel:${s.stem.k}-stride:${s.stem.stride}`, inH: s.resolution, inC: cin, outH: h, outC: s.stem.out, stride: s.stem.stride, kind: 'stem' }];
    let c = s.stem.out;
    s.layers.forEach((l, i) => {
      const choice = parseChoice(a[i]);
      const oh = after(h, l.stride);
      out.push({ key: `${s.name}-${a[i]}-input:${h}x${h}x${c}-output:${oh}x${oh}x${l.out}-stride:${l.stride}`, inH: h, inC: c, outH: oh, outC: l.out, stride: l.stride, choice, kind: 'layer' });
      h = oh;
      c = l.out;
    });
    out.push({ key: `${s.name}-head-input:${h}x${h}x${c}-output:1x1x${s.head.out}`, inH: h, inC: c, outH: 1, outC: s.head.out, stride: 1, kind: 'head' });
    out.push({ key: `${s.name}-classifier-input:1x1x${s.head.out}-output:${s.head.classes}`, inH: 1, inC: s.head.out, outH: 1, outC: s.head.classes, stride: 1, kind: 'classifier' });
    return out;
  }

  sample(rng: Rng): string[] {
    return this.allowed.map((c) => rng.pick(c));
  }
  mutate(a: string[], rng: Rng, p: number): string[] {
    return a.map((x, i) => (rng.next() < p ? rng.pick(this.allowed[i]) : x));
  }
  crossover(a: string[], b: string[], rng: Rng): string[] {
    return a.map((x, i) => (rng.next() < 0.5 ? x : b[i]));
  }
  keys(a: string[]) {
    return { resolution: this.spec.resolution, keys: this.plan(a).map((p) => p.key) };
  }
  id_(a: string[]): string {
    return a.join('|');
  }
  toJson(a: string[]): unknown {
    return a;
  }
  fromJson(v: unknown): string[] {
    if (!Array.isArray(v) || v.length !== this.spec.layers.length || v.some((x, i) => typeof x !== 'string' || !this.allowed[i].includes(x))) {
      throw new Error(`invalid ${this.id} architecture: expected ${this.spec.layers.length} block names, each allowed for its layer`);
    }
    return v as string[];
  }
  allKeys() {
    const out = new Map<string, { resolution: number; key: string }>();
    // Every layer sees one input shape whatever the choices (only skip keeps it, and only where it matches).
    const base = this.allowed.map((c) => c.find((x) => x !== 'skip') ?? c[0]);
    const plan = this.plan(base);
    for (const p of plan) if (p.kind !== 'layer') out.set(p.key, { resolution: this.spec.resolution, key: p.key });
    this.spec.layers.forEach((_, i) => {
      for (const ch of this.allowed[i]) {
        const a = [...base];
        a[i] = ch;
        const k = this.plan(a)[i + 1].key;
        out.set(k, { resolution: this.spec.resolution, key: k });
      }
    });
    return [...out.values()];
  }

  /** One layer (or stem/head/classifier) into a graph. */
  addBlock(g: GraphBuilder, x: string, p: LayerPlan, prefix: string): string {
    if (p.kind === 'stem') return g.act(g.conv(x, p.inC, p.outC, this.spec.stem.k, p.stride, 1, `${prefix}.conv`), false);
    if (p.kind === 'head') return g.op('GlobalAveragePool', [g.act(g.conv(x, p.inC, p.outC, 1, 1, 1, `${prefix}.conv`), false)]);
    if (p.kind === 'classifier') return g.gemm(g.op('Flatten', [x]), p.inC, p.outC, prefix);
    const c = p.choice as BlockChoice;
    if (c.skip) return g.op('Identity', [x]);
    const mid = Math.max(c.group, Math.round((p.inC * c.e) / c.group) * c.group);
    let y = x;
    if (c.e !== 1 || c.group > 1) y = g.act(g.conv(y, p.inC, mid, 1, 1, c.group, `${prefix}.expand`), c.hs);
    const dwIn = c.e !== 1 || c.group > 1 ? mid : p.inC;
    y = g.act(g.conv(y, dwIn, dwIn, c.k, p.stride, dwIn, `${prefix}.depthwise`), c.hs);
    if (c.se) y = g.squeezeExcite(y, dwIn, prefix);
    const groupOut = p.outC % c.group === 0 && dwIn % c.group === 0 ? c.group : 1;
    y = g.conv(y, dwIn, p.outC, 1, 1, groupOut, `${prefix}.project`);
    return p.stride === 1 && p.inC === p.outC ? g.op('Add', [y, x]) : y;
  }

  buildNetwork(a: string[], opts: { seed?: number; batch?: number; weights?: Map<string, Float32Array> } = {}): onnx.IModelProto {
    const g = new GraphBuilder(new Rng(opts.seed ?? 0), opts.weights);
    let x = 'input';
    this.plan(a).forEach((p, i) => (x = this.addBlock(g, x, p, p.kind === 'layer' ? `layers.${i - 1}` : p.kind)));
    const r = this.spec.resolution;
    return g.model({ name: 'input', dims: [opts.batch ?? 1, this.spec.inputChannels ?? 3, r, r] }, x, [opts.batch ?? 1, this.spec.head.classes], `${this.id}_network`);
  }

  buildBlockModel(p: LayerPlan, seed = 0): onnx.IModelProto {
    const g = new GraphBuilder(new Rng(seed));
    const y = this.addBlock(g, 'input', p, 'block');
    return g.model({ name: 'input', dims: [1, p.inC, p.inH, p.inH] }, y, p.kind === 'classifier' ? [1, p.outC] : [1, p.outC, p.outH, p.outH], 'block');
  }
}
