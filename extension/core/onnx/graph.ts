import { toNumber, type GraphProto } from './model';
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
}

export interface GraphView {
  nodes: GraphNodeView[];
  /** Pairs of node ids (producer, consumer). */
  edges: Array<[number, number]>;
  width: number;
  height: number;
  /** True when the graph was cut to `limit` nodes. */
  truncated: boolean;
}

export const NODE_W = 150;
export const NODE_H = 36;
const GAP_X = 30;
const GAP_Y = 34;

function fmtShape(type: number | undefined, shape: Dim[] | undefined): string {
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
  if (a.i !== undefined && a.i !== null && (a.type === 2 || toNumber(a.i) !== 0)) return String(toNumber(a.i));
  if (a.f !== undefined && a.f !== null && (a.type === 1 || a.f !== 0)) return String(+a.f.toPrecision(6));
  if (a.strings?.length) return `[${a.strings.length} strings]`;
  return '';
}

/**
 * A layered top-down layout (longest-path layers, one barycentre pass to cut crossings): O(nodes + edges),
 * fast enough for thousands of nodes. The webview draws only what is on screen.
 */
export function layoutGraph(graph: GraphProto, si: ShapeInference, limit = 20000): GraphView {
  const all = topologicalOrder(graph.node ?? []);
  const truncated = all.length > limit;
  const nodes = truncated ? all.slice(0, limit) : all;
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const edges: Array<[number, number]> = [];
  const preds: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const inp of new Set(n.input ?? [])) {
      const p = inp ? producer.get(inp) : undefined;
      if (p !== undefined && p !== i) {
        edges.push([p, i]);
        preds[i].push(p);
      }
    }
  });
  const layer = nodes.map(() => 0);
  nodes.forEach((_, i) => {
    for (const p of preds[i]) if (p < i) layer[i] = Math.max(layer[i], layer[p] + 1);
  });
  const layers: number[][] = [];
  layer.forEach((l, i) => (layers[l] ??= []).push(i));
  const pos = nodes.map(() => 0);
  for (const row of layers) {
    if (!row) continue;
    const bary = row.map((i) => (preds[i].length ? preds[i].reduce((a, p) => a + pos[p], 0) / preds[i].length : pos[i]));
    const order = row.map((i, k) => [bary[k], i] as const).sort((a, b) => a[0] - b[0]);
    order.forEach(([, i], k) => (pos[i] = k));
  }
  const widest = Math.max(1, ...layers.map((r) => r?.length ?? 0));
  const width = widest * (NODE_W + GAP_X);
  const views: GraphNodeView[] = nodes.map((n, i) => {
    const row = layers[layer[i]];
    const offset = (width - row.length * (NODE_W + GAP_X)) / 2;
    const io = (names: string[]) => names.filter(Boolean).map((name) => {
      const t = si.get(name);
      return { name, shape: fmtShape(t?.elemType, t?.shape) };
    });
    return {
      id: i,
      name: n.name ?? '',
      opType: n.opType ?? '?',
      domain: n.domain || 'ai.onnx',
      x: offset + pos[i] * (NODE_W + GAP_X),
      y: layer[i] * (NODE_H + GAP_Y),
      inputs: io(n.input ?? []),
      outputs: io(n.output ?? []),
      attributes: (n.attribute ?? []).map((a) => [a.name ?? '', attrText(a)] as [string, string]),
    };
  });
  return { nodes: views, edges, width, height: layers.length * (NODE_H + GAP_Y), truncated };
}
