import { OFA, ofaBlocks, type OfaArch } from './ofa';
import type { LayeredSpace } from './layered';

/** One block of a chosen architecture, as a reader wants it. */
export interface BlockView {
  /** The block's name in a layered space (k5_e6_se…), or "skip". */
  block?: string;
  kernel?: number;
  expand?: number;
  se: boolean;
  activation: 'ReLU' | 'h-swish' | '—';
  stride: number;
  /** Output feature map: height × width × channels. */
  output: string;
}

/** A chosen architecture per stage: resolution, each stage's depth, each block (`mobileai search` and the panel). */
export interface ArchView {
  space: string;
  resolution?: number;
  /** One line: resolution, depths, blocks. */
  summary: string;
  stages: Array<{ stage: number; depth: number; blocks: BlockView[] }>;
}

const size = (h: number, c: number) => `${h}×${h}×${c}`;

export function describeOfa(a: OfaArch): ArchView {
  const stages: ArchView['stages'] = Array.from({ length: OFA.stages }, (_, s) => ({ stage: s + 1, depth: a.d[s], blocks: [] }));
  let i = 0;
  for (const b of ofaBlocks(a)) {
    if (b.kind !== 'mbconv') continue;
    // Blocks come stage by stage, depth by depth.
    let s = 0;
    for (let seen = 0; s < OFA.stages && seen + a.d[s] <= i; s++) seen += a.d[s];
    const j = i - a.d.slice(0, s).reduce((x, y) => x + y, 0);
    stages[s].blocks.push({ kernel: b.k, expand: a.e[s * OFA.maxDepth + j], se: !!b.se, activation: b.hs ? 'h-swish' : 'ReLU', stride: b.stride ?? 1, output: size(b.outH, b.outC) });
    i++;
  }
  const blocks = a.d.reduce((x, y) => x + y, 0);
  return { space: 'ofa-mbv3', resolution: a.r, summary: `${a.r}×${a.r} input · depths ${a.d.join('-')} · ${blocks} blocks`, stages };
}

/** A layered space's architecture: consecutive layers with the same output width form a stage. */
export function describeLayered(space: LayeredSpace, a: string[]): ArchView {
  const plan = space.plan(a).filter((p) => p.kind === 'layer');
  const stages: ArchView['stages'] = [];
  let width = -1;
  for (const p of plan) {
    if (p.outC !== width) {
      stages.push({ stage: stages.length + 1, depth: 0, blocks: [] });
      width = p.outC;
    }
    const st = stages[stages.length - 1];
    const c = p.choice;
    if (c && !c.skip) st.depth++;
    st.blocks.push(!c || c.skip
      ? { block: 'skip', se: false, activation: '—', stride: p.stride, output: size(p.outH, p.outC) }
      : { block: c.name, kernel: c.k, expand: c.e, se: c.se, activation: c.hs ? 'h-swish' : 'ReLU', stride: p.stride, output: size(p.outH, p.outC) });
  }
  const r = space.spec.resolution;
  const used = stages.reduce((n, s) => n + s.depth, 0);
  return { space: space.id, resolution: r, summary: `${r}×${r} input · depths ${stages.map((s) => s.depth).join('-')} · ${used} blocks (${plan.length - used} skipped)`, stages };
}

/** The view as text: a header line, then one row per block. */
export function formatArch(v: ArchView, indent = '  '): string[] {
  const rows = [['stage', 'depth', 'block', 'kernel', 'expand', 'SE', 'act', 'stride', 'output']];
  for (const s of v.stages) {
    s.blocks.forEach((b, j) => rows.push([j ? '' : String(s.stage), j ? '' : String(s.depth), b.block ?? String(j + 1), b.kernel ? `${b.kernel}×${b.kernel}` : '—', b.expand ? String(b.expand) : '—', b.se ? 'yes' : '—', b.activation, String(b.stride), b.output]));
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return [`${indent}${v.summary}`, ...rows.map((r) => `${indent}${r.map((x, c) => x.padEnd(w[c])).join('  ').trimEnd()}`)];
}
