import { toNumber, type GraphProto, type NodeProto } from './model';
import { type ShapeInference, topologicalOrder, type Dim } from './shapes';
import { dtypeOf } from './dtypes';

export interface GraphNodeView {
  id: number;
  name: string;
  opType: string;
  domain: string;
  x: number;
  y: number;
  inputs: Array<{ name: string; shape: string }>;
  outputs: Array<{ name: string; shape: string }>;
  attributes: Array<[string, string]>;
  /** 'input' and 'output' are the graph's own inputs and outputs (with `io`); an operator otherwise. */
  kind?: 'op' | 'input' | 'output';
  /** Box size (NODE_W × NODE_H unless weights make it taller). */
  w?: number;
  h?: number;
  /**
   * Constant inputs (initializers, TFLite tensors with a buffer), drawn inside the node as Netron does. `ref` is
   * what the host needs to send the values (`tensor` message).
   */
  weights?: Array<{ name: string; shape: string; ref: string }>;
  /** Graphs held by the node (If branches, Loop/Scan bodies, TFLite WHILE/IF subgraphs). */
  subgraphs?: Array<{ attr: string; graph: GraphView }>;
  /** Position in the model's own node list (onnxruntime names an unnamed node `<OpType>_<index>`). */
  index?: number;
}

export interface GraphView {
  nodes: GraphNodeView[];
  /** Pairs of node ids (producer, consumer). */
  edges: Array<[number, number]>;
  width: number;
  height: number;
  /** True when the graph was cut to `limit` nodes. */
  truncated: boolean;
  /** Per edge (same order as `edges`): the tensor it carries and its dtype/shape, e.g. `float32[1×3×240×320]`. */
  edgeLabels?: Array<{ tensor: string; shape: string }>;
  /**
   * Per edge: the polyline it is drawn along, [x0, y0, x1, y1, …], from the producer's bottom to the consumer's
   * top, through the layers in between (so long edges go around nodes, not through them).
   */
  routes?: number[][];
}

export interface LayoutOptions {
  /** Graph inputs and outputs as nodes, initializers attached to their consumers, subgraphs laid out too. */
  io?: boolean;
  /** Turns an initializer's name into the `ref` the host resolves (default: the name). */
  weightRef?: (name: string) => string;
  /** Lays out a node's subgraphs (default for ONNX: the graph attributes, recursively). */
  subgraphs?: (node: NodeProto, depth: number) => Array<{ attr: string; graph: GraphView }>;
  /** Nesting depth (internal). */
  depth?: number;
}

export const NODE_W = 150;
export const NODE_H = 36;
/** Height of one weight row inside a node; at most MAX_WEIGHT_ROWS rows are drawn ("+ n more" after). */
export const WEIGHT_ROW_H = 14;
export const MAX_WEIGHT_ROWS = 4;
export const IO_H = 26;
export const MAX_NODE_W = 280;
const GAP_X = 30;
const GAP_Y = 44;
/** Edges spanning more layers than this are drawn straight instead of through dummy points. */
const MAX_ROUTED_SPAN = 40;

const ioWidth = (name: string) => Math.min(MAX_NODE_W, Math.max(NODE_W, Math.ceil(name.length * 7 + 44)));

export function fmtShape(type: number | undefined, shape: Dim[] | undefined): string {
  const t = type ? dtypeOf(type).name : '';
  if (!shape) return t;
  return `${t}[${shape.map((d) => (d === null ? '?' : d)).join('×')}]`;
}

function attrText(a: import('onnx-proto').onnx.IAttributeProto): string {
  if (a.ints?.length) return `[${a.ints.map((v) => toNumber(v)).join(', ')}]`;
  if (a.floats?.length) return `[${a.floats.map((f) => +f.toPrecision(6)).join(', ')}]`;
  if (a.s?.length) return JSON.stringify(Buffer.from(a.s).toString('utf8').slice(0, 80));
  if (a.t) return `tensor ${dtypeOf(a.t.dataType).name}[${(a.t.dims ?? []).map((d) => toNumber(d)).join('×')}]`;
  if (a.g) return `graph (${a.g.node?.length ?? 0} nodes)`;
  if (a.graphs?.length) return `${a.graphs.length} graphs`;
  if (a.i !== undefined && a.i !== null && (a.type === 2 || toNumber(a.i) !== 0)) return String(toNumber(a.i));
  if (a.f !== undefined && a.f !== null && (a.type === 1 || a.f !== 0)) return String(+a.f.toPrecision(6));
  if (a.strings?.length) return `[${a.strings.length} strings]`;
  return '';
}

function onnxSubgraphs(si: ShapeInference, opts: LayoutOptions): (node: NodeProto, depth: number) => Array<{ attr: string; graph: GraphView }> {
  return (node, depth) => {
    if (depth > 16) return [];
    const out: Array<{ attr: string; graph: GraphView }> = [];
    for (const a of node.attribute ?? []) {
      const gs = a.g ? [a.g] : a.graphs ?? [];
      gs.forEach((g, k) => out.push({ attr: gs.length > 1 ? `${a.name ?? ''}[${k}]` : a.name ?? '', graph: layoutGraph(g, si, 20000, { ...opts, depth: depth + 1 }) }));
    }
    return out;
  };
}

/**
 * A layered top-down layout: longest-path layers, dummy points for edges that skip layers, three barycentre
 * sweeps to cut crossings, then each node placed under the mean of its producers (overlaps pushed apart).
 * Near-linear in nodes + edges: thousands of nodes in tens of milliseconds. The webview draws only what is on
 * screen. With `io`, the graph's inputs and outputs are nodes too and initializers are attached to their
 * consumers (as Netron shows them); without it, operators only (the shape older callers rely on).
 */
export function layoutGraph(graph: GraphProto, si: ShapeInference, limit = 20000, opts: LayoutOptions = {}): GraphView {
  const all = topologicalOrder(graph.node ?? []);
  const truncated = all.length > limit;
  const ops = truncated ? all.slice(0, limit) : all;
  const inits = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  // Old IR versions list initializers among the inputs too: those are weights, not inputs.
  const inputs = opts.io ? (graph.input ?? []).filter((i) => i.name && !inits.has(i.name)) : [];
  const outputs = opts.io ? (graph.output ?? []).filter((o) => o.name) : [];
  const tensor = (name: string) => {
    const t = si.get(name);
    return fmtShape(t?.elemType, t?.shape);
  };
  const io = (names: string[]) => names.filter(Boolean).map((name) => ({ name, shape: tensor(name) }));
  const subgraphs = opts.io ? opts.subgraphs ?? onnxSubgraphs(si, opts) : undefined;
  const views: GraphNodeView[] = [];
  const modelIndex = new Map((graph.node ?? []).map((n, i) => [n, i]));
  for (const i of inputs) views.push({ id: views.length, name: i.name ?? '', opType: 'input', domain: '', x: 0, y: 0, inputs: [], outputs: io([i.name ?? '']), attributes: [], kind: 'input', w: ioWidth(i.name ?? ''), h: IO_H });
  for (const n of ops) {
    const v: GraphNodeView = {
      id: views.length,
      name: n.name ?? '',
      opType: n.opType ?? '?',
      domain: n.domain || 'ai.onnx',
      x: 0,
      y: 0,
      inputs: io(n.input ?? []),
      outputs: io(n.output ?? []),
      attributes: (n.attribute ?? []).map((a) => [a.name ?? '', attrText(a)] as [string, string]),
      index: modelIndex.get(n),
    };
    if (opts.io) {
      const weights = (n.input ?? []).filter((x) => x && inits.has(x)).map((name) => ({ name, shape: tensor(name), ref: opts.weightRef?.(name) ?? name }));
      const subs = subgraphs?.(n, opts.depth ?? 0) ?? [];
      v.kind = 'op';
      // Wide enough for the op type in bold 12px (about 7.5 px a character) and a time, within limits.
      v.w = Math.min(MAX_NODE_W, Math.max(NODE_W, Math.ceil(v.opType.length * 7.5 + 80)));
      v.h = NODE_H + Math.min(weights.length, MAX_WEIGHT_ROWS + 1) * WEIGHT_ROW_H;
      if (weights.length) v.weights = weights;
      if (subs.length) v.subgraphs = subs;
    }
    views.push(v);
  }
  for (const o of outputs) views.push({ id: views.length, name: o.name ?? '', opType: 'output', domain: '', x: 0, y: 0, inputs: io([o.name ?? '']), outputs: [], attributes: [], kind: 'output', w: ioWidth(o.name ?? ''), h: IO_H });

  // Edges: producer → consumer per distinct tensor (weights are drawn inside their consumer, not as edges).
  const producer = new Map<string, number>();
  for (const v of views) for (const o of v.outputs) if (!producer.has(o.name)) producer.set(o.name, v.id);
  const edges: Array<[number, number]> = [];
  const edgeLabels: Array<{ tensor: string; shape: string }> = [];
  const preds: number[][] = views.map(() => []);
  const succs: number[][] = views.map(() => []);
  for (const v of views) {
    for (const inp of new Set(v.inputs.map((i) => i.name))) {
      if (opts.io && inits.has(inp) && v.kind === 'op') continue;
      const p = producer.get(inp);
      if (p === undefined || p === v.id) continue;
      edges.push([p, v.id]);
      edgeLabels.push({ tensor: inp, shape: tensor(inp) });
      preds[v.id].push(p);
      succs[p].push(v.id);
    }
  }

  // Layers: longest path from the top (views are in topological order: inputs, ops, outputs).
  const layer = views.map(() => 0);
  for (const v of views) for (const p of preds[v.id]) if (p < v.id) layer[v.id] = Math.max(layer[v.id], layer[p] + 1);
  // Sources (inputs, Constants) sit right above their first consumer rather than all in the top row.
  for (const v of views) {
    if (preds[v.id].length || !succs[v.id].length) continue;
    layer[v.id] = Math.max(0, Math.min(...succs[v.id].map((s) => layer[s])) - 1);
  }
  const nLayers = Math.max(0, ...layer) + 1;

  // Slots per layer: real nodes (id >= 0) and dummy points of long edges (negative ids into `dummies`).
  const rows: number[][] = Array.from({ length: nLayers }, () => []);
  for (const v of views) rows[layer[v.id]].push(v.id);
  const dummyLayer: number[] = [];
  const slotPreds = new Map<number, number[]>(); // slot id → upper neighbours
  const slotSuccs = new Map<number, number[]>();
  const link = (a: number, b: number) => {
    (slotSuccs.get(a) ?? slotSuccs.set(a, []).get(a) as number[]).push(b);
    (slotPreds.get(b) ?? slotPreds.set(b, []).get(b) as number[]).push(a);
  };
  const chains: number[][] = edges.map(([a, b]) => {
    const span = layer[b] - layer[a];
    if (span <= 1 || span > MAX_ROUTED_SPAN) {
      if (span >= 1) link(a, b);
      return [];
    }
    const chain: number[] = [];
    let prev = a;
    for (let l = layer[a] + 1; l < layer[b]; l++) {
      const d = -1 - dummyLayer.length;
      dummyLayer.push(l);
      rows[l].push(d);
      link(prev, d);
      chain.push(d);
      prev = d;
    }
    link(prev, b);
    return chain;
  });

  // Ordering: barycentre sweeps down, up, down.
  const order = new Map<number, number>();
  rows.forEach((r) => r.forEach((s, k) => order.set(s, k)));
  const sweep = (rowIdx: number, neigh: Map<number, number[]>) => {
    const r = rows[rowIdx];
    const key = r.map((s) => {
      const ns = neigh.get(s);
      return ns?.length ? ns.reduce((acc, n) => acc + (order.get(n) ?? 0), 0) / ns.length : order.get(s) ?? 0;
    });
    const idx = r.map((_, k) => k).sort((p, q) => key[p] - key[q] || p - q);
    rows[rowIdx] = idx.map((k) => r[k]);
    rows[rowIdx].forEach((s, k) => order.set(s, k));
  };
  for (let l = 1; l < nLayers; l++) sweep(l, slotPreds);
  for (let l = nLayers - 2; l >= 0; l--) sweep(l, slotSuccs);
  for (let l = 1; l < nLayers; l++) sweep(l, slotPreds);

  // x: each slot under the mean of its upper neighbours, then pushed right to clear the one on its left, then the
  // layer shifted back so that it stays centred on where it wanted to be. Dummy points weigh (almost) nothing in both means:
  // a residual edge must not drag its block sideways (blocks would drift further right with every skip).
  const DUMMY_W = 20;
  const weight = (s: number) => (s >= 0 ? 1 : 1e-6);
  const widthOf = (s: number) => (s >= 0 ? views[s].w ?? NODE_W : DUMMY_W);
  const cx = new Map<number, number>();
  for (let l = 0; l < nLayers; l++) {
    const r = rows[l];
    const want = r.map((s, k) => {
      const ps = slotPreds.get(s);
      if (!ps?.length) return k * (NODE_W + GAP_X);
      let sum = 0;
      let wsum = 0;
      for (const p of ps) { sum += (cx.get(p) ?? 0) * weight(p); wsum += weight(p); }
      return sum / wsum;
    });
    const place: number[] = [];
    r.forEach((s, k) => {
      const min = k ? place[k - 1] + widthOf(r[k - 1]) / 2 + GAP_X + widthOf(s) / 2 : -Infinity;
      place.push(Math.max(want[k], min));
    });
    // A uniform shift keeps the spacing; only the (weighted) mean moves back to where the slots wanted to be.
    let diff = 0;
    let wsum = 0;
    r.forEach((s, k) => { diff += (want[k] - place[k]) * weight(s); wsum += weight(s); });
    const shift = wsum ? diff / wsum : 0;
    r.forEach((s, k) => cx.set(s, place[k] + shift));
  }
  let minX = Infinity;
  let maxX = -Infinity;
  for (const [s, x] of cx) {
    minX = Math.min(minX, x - widthOf(s) / 2);
    maxX = Math.max(maxX, x + widthOf(s) / 2);
  }
  if (!Number.isFinite(minX)) { minX = 0; maxX = 0; }

  // y: each layer as tall as its tallest node.
  const layerY: number[] = [];
  let y = 0;
  for (let l = 0; l < nLayers; l++) {
    layerY.push(y);
    y += Math.max(IO_H, ...rows[l].map((s) => (s >= 0 ? views[s].h ?? NODE_H : 0))) + GAP_Y;
  }
  for (const v of views) {
    v.x = (cx.get(v.id) ?? 0) - minX - (v.w ?? NODE_W) / 2;
    v.y = layerY[layer[v.id]] ?? 0;
  }

  // Routes: from the producer's bottom centre, through the dummies, to a port spread along the consumer's top.
  const inPorts = views.map(() => 0);
  const portIndex = edges.map(([, b]) => inPorts[b]++);
  const routes = edges.map(([a, b], e) => {
    const p = views[a];
    const q = views[b];
    const pw = p.w ?? NODE_W;
    const qw = q.w ?? NODE_W;
    const pts = [p.x + pw / 2, p.y + (p.h ?? NODE_H)];
    for (const d of chains[e]) {
      const l = dummyLayer[-1 - d];
      const dx = (cx.get(d) ?? 0) - minX;
      pts.push(dx, layerY[l], dx, layerY[l] + (l + 1 < layerY.length ? layerY[l + 1] - layerY[l] - GAP_Y : 0));
    }
    pts.push(q.x + (qw * (portIndex[e] + 1)) / (inPorts[b] + 1), q.y);
    return pts;
  });
  const width = maxX - minX;
  return { nodes: views, edges, width, height: y, truncated, edgeLabels, routes };
}
