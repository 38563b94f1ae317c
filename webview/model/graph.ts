/**
 * The model editor's graph: a canvas drawing of the layered layout the host computed (extension/core/onnx/graph.ts),
 * for ONNX and TFLite. Only what is on screen is drawn; zoomed out, labels are skipped and, further out, a cached
 * bitmap of the whole graph is blitted, so thousands of nodes pan and zoom at frame rate. Colours come from the
 * editor's theme variables (light, dark and high contrast).
 */
import { el } from '../shared/vscode';
import { toolbarButton } from '../shared/components';
import { onThemeChange } from '../shared/theme';
import type { FromModelWebview, ToModelWebview, TensorValuesMessage } from './protocol';
import type { GraphNodeView, GraphView } from '../../extension/core/onnx/graph';
import { mapProfile, type NodeCost, type ProfileKernel, type ProfileMapping } from '../../extension/core/onnx/profileMap';
import { TFLITE_OP_COLORS } from './tflite';

/**
 * Node fills by op family, from the Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008): convolutions blue,
 * matrix products orange, activations bluish green, element-wise sky blue, pooling vermillion, concat/split
 * reddish purple, softmax yellow; shape ops light grey, normalization/quantization mid grey, control flow pale
 * pink. The op name is written on every node, so colour is never the only cue.
 */
const OP_COLORS: Record<string, string> = {
  Conv: '#0072B2', ConvTranspose: '#0072B2', FusedConv: '#0072B2', QLinearConv: '#0072B2', MatMul: '#E69F00', Gemm: '#E69F00', MatMulNBits: '#E69F00', MatMulInteger: '#E69F00', QLinearMatMul: '#E69F00',
  Relu: '#009E73', LeakyRelu: '#009E73', Sigmoid: '#009E73', Tanh: '#009E73', Clip: '#009E73', HardSwish: '#009E73', Gelu: '#009E73', PRelu: '#009E73',
  Add: '#56B4E9', Sub: '#56B4E9', Mul: '#56B4E9', Div: '#56B4E9', Pow: '#56B4E9', Sqrt: '#56B4E9',
  Reshape: '#BBBBBB', Transpose: '#BBBBBB', Squeeze: '#BBBBBB', Unsqueeze: '#BBBBBB', Flatten: '#BBBBBB', Shape: '#BBBBBB', Gather: '#BBBBBB', Slice: '#BBBBBB', Cast: '#BBBBBB', Constant: '#BBBBBB',
  MaxPool: '#D55E00', AveragePool: '#D55E00', GlobalAveragePool: '#D55E00', ReduceMean: '#D55E00',
  Concat: '#CC79A7', Split: '#CC79A7', Softmax: '#F0E442', BatchNormalization: '#8C8C8C', LayerNormalization: '#8C8C8C',
  QuantizeLinear: '#8C8C8C', DequantizeLinear: '#8C8C8C', If: '#F5C2DA', Loop: '#F5C2DA', Scan: '#F5C2DA', WHILE: '#F5C2DA', IF: '#F5C2DA',
  ...TFLITE_OP_COLORS,
};
/** Profile colouring: a sequential ramp from fast to slow (ColorBrewer RdYlBu, reversed). */
const RAMP = ['#4575b4', '#91bfdb', '#e0f3f8', '#fee090', '#fc8d59', '#d73027'];

const W_ROW = 14;
const MAX_ROWS = 4;
const NODE_W = 150;
const NODE_H = 36;

interface Theme { bg: string; fg: string; muted: string; edge: string; border: string; widget: string; focus: string; match: string; hc: boolean }

/** The latest profile of this model (the host sends it after a profile run); kept across tab switches. */
let profile: { label: string; kernels: ProfileKernel[]; format?: 'onnx' | 'tflite' } | undefined;
let onProfile: (() => void) | undefined;
const tensorWaiters = new Map<string, (m: TensorValuesMessage) => void>();

window.addEventListener('message', (e: MessageEvent<ToModelWebview>) => {
  const m = e.data;
  if (m.type === 'profileOverlay') {
    const kernels = m.kernels ?? Object.entries(m.shares).map(([name, share]) => ({ name, opType: '', meanUs: share * 1000 }));
    profile = { label: m.label, kernels, format: m.format };
    onProfile?.();
  } else if (m.type === 'tensorValues') tensorWaiters.get(m.ref)?.(m);
});

function readTheme(): Theme {
  const s = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => s.getPropertyValue(name).trim() || fallback;
  const hc = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const fg = v('--vscode-editor-foreground', v('--vscode-foreground', '#cccccc'));
  return {
    bg: v('--vscode-editor-background', '#1e1e1e'),
    fg,
    muted: v('--vscode-descriptionForeground', fg),
    edge: hc ? v('--vscode-contrastBorder', fg) : fg,
    border: v('--vscode-contrastBorder', v('--vscode-editorWidget-border', v('--vscode-panel-border', '#808080'))),
    widget: v('--vscode-editorWidget-background', v('--vscode-editor-background', '#252526')),
    focus: v('--vscode-focusBorder', '#007fd4'),
    match: v('--vscode-editor-findMatchBorder', v('--vscode-focusBorder', '#ffcc00')),
    hc,
  };
}

/** Black or white, whichever has the higher WCAG contrast on a #rrggbb fill. */
function textOn(fill: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(fill);
  if (!m) return '#ffffff';
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}

function rampColor(t: number): string {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  return RAMP[Math.min(RAMP.length - 1, Math.round(x))];
}

const fmtMs = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);
const nodeW = (n: GraphNodeView) => n.w ?? NODE_W;
const nodeH = (n: GraphNodeView) => n.h ?? NODE_H;

/** Per-graph indexes, built once per graph shown. */
interface Prepared {
  g: GraphView;
  routes: number[][];
  /** minX, minY, maxX, maxY per edge. */
  boxes: Float64Array;
  fills: string[];
  ops: number;
  mapping?: ProfileMapping;
  maxUs: number;
  cache?: { canvas: HTMLCanvasElement; scale: number; theme: Theme; profiled: boolean; collapsed: boolean };
}

function prepare(g: GraphView): Prepared {
  const routes = g.edges.map(([a, b], i) => {
    const r = g.routes?.[i];
    if (r && r.length >= 4) return r;
    const p = g.nodes[a];
    const q = g.nodes[b];
    return [p.x + nodeW(p) / 2, p.y + nodeH(p), q.x + nodeW(q) / 2, q.y];
  });
  const boxes = new Float64Array(routes.length * 4);
  routes.forEach((r, i) => {
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let k = 0; k < r.length; k += 2) {
      x0 = Math.min(x0, r[k]); x1 = Math.max(x1, r[k]);
      y0 = Math.min(y0, r[k + 1]); y1 = Math.max(y1, r[k + 1]);
    }
    boxes.set([x0, y0, x1, y1], i * 4);
  });
  const fills = g.nodes.map((n) => OP_COLORS[n.opType] ?? '#7f7f7f');
  return { g, routes, boxes, fills, ops: g.nodes.filter((n) => (n.kind ?? 'op') === 'op').length, maxUs: 0 };
}

/** What the last frame drew, for tests and the benchmark (what a user sees on the canvas). */
interface FrameInfo { t: number; drawMs: number; scale: number; nodesDrawn: number; edgesDrawn: number; texts: string[]; edgeLabels: string[]; mode: 'cache' | 'vector' }

export function graphView(root: GraphView, post: (m: FromModelWebview) => void): HTMLElement {
  const wrap = el('div', { id: 'graph-wrap' });
  const canvas = el('canvas', { id: 'graph', tabindex: '0', role: 'img' });
  const details = el('div', { id: 'node-details', hidden: '', 'aria-live': 'polite' });
  const minimap = el('canvas', { id: 'graph-minimap', 'aria-label': 'Overview of the whole graph: click or drag to move the view' });
  const legend = el('div', { id: 'graph-legend', hidden: '' });
  const search = el('input', { placeholder: 'Find node, op or tensor…', id: 'graph-search', 'aria-label': 'Find a node by name, op type or tensor; Enter jumps to the next match' });
  const fitBtn = toolbarButton('screen-full', 'Fit the graph to the view (0)', () => fit(), { id: 'graph-fit' });
  const zoomIn = toolbarButton('zoom-in', 'Zoom in (+)', () => zoomAt(1.25, wrap.clientWidth / 2, wrap.clientHeight / 2), { id: 'graph-zoom-in' });
  const zoomOut = toolbarButton('zoom-out', 'Zoom out (−)', () => zoomAt(0.8, wrap.clientWidth / 2, wrap.clientHeight / 2), { id: 'graph-zoom-out' });
  const weightsBtn = toolbarButton('symbol-constant', 'Show the weights listed inside nodes', (on) => { collapsed = !on; schedule(); }, { id: 'graph-weights', toggle: true, checked: true });
  const crumbs = el('nav', { id: 'graph-breadcrumb', 'aria-label': 'Graph and subgraph path' });
  const info = el('span', { class: 'muted', id: 'overlay-note' });
  wrap.append(canvas, details, minimap, legend);
  const view = el('div', { id: 'graph-view' }, el('div', { class: 'graph-tools' }, search, fitBtn, zoomIn, zoomOut, weightsBtn, info), crumbs, wrap);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const mctx = minimap.getContext('2d') as CanvasRenderingContext2D;

  let theme = readTheme();
  const stack: Array<{ label: string; p: Prepared }> = [{ label: 'main graph', p: prepare(root) }];
  let P = stack[0].p;
  let scale = 1;
  let ox = 0;
  let oy = 0;
  let selected: GraphNodeView | undefined;
  let matches: GraphNodeView[] = [];
  let matchAt = -1;
  let collapsed = false;
  let pending = false;
  let lastFrame: FrameInfo = { t: 0, drawMs: 0, scale: 1, nodesDrawn: 0, edgesDrawn: 0, texts: [], edgeLabels: [], mode: 'vector' };
  let fitted = false;

  const applyProfile = () => {
    // Only the main graph: profiles name the main graph's nodes.
    const mainP = stack[0].p;
    if (!profile) return;
    mainP.mapping = mapProfile(mainP.g.nodes, profile.kernels, profile.format ?? (mainP.g.nodes.some((n) => n.domain === 'tflite') ? 'tflite' : 'onnx'));
    mainP.maxUs = Math.max(0, ...[...mainP.mapping.byNode.values()].map((c) => c.us));
    mainP.cache = undefined;
  };
  applyProfile();
  onProfile = () => { applyProfile(); updateInfo(); updateLegend(); schedule(); };

  const cost = (n: GraphNodeView): NodeCost | undefined => P.mapping?.byNode.get(n.id);
  const fillOf = (n: GraphNodeView, i: number): string => {
    if (P.mapping) {
      const c = cost(n);
      return c ? rampColor(P.maxUs > 0 ? c.us / P.maxUs : 0) : theme.widget;
    }
    return P.fills[i];
  };

  const updateInfo = () => {
    const g = P.g;
    const ins = g.nodes.filter((n) => n.kind === 'input').length;
    const outs = g.nodes.filter((n) => n.kind === 'output').length;
    const base = `${P.ops} nodes${g.truncated ? ' (truncated)' : ''}${ins || outs ? `, ${ins} input${ins === 1 ? '' : 's'}, ${outs} output${outs === 1 ? '' : 's'}` : ''}`;
    info.textContent = profile && P === stack[0].p ? `${base}. Node colours: time per run from ${profile.label}` : `${base}. Drag to pan, wheel to zoom, click a node; double-click opens a subgraph.`;
    const io = (k: 'input' | 'output') => g.nodes.filter((n) => n.kind === k).map((n) => `${n.name} ${(k === 'input' ? n.outputs : n.inputs)[0]?.shape ?? ''}`).join('; ');
    canvas.setAttribute('aria-label', `Graph of ${P.ops} nodes. Inputs: ${io('input') || 'none'}. Outputs: ${io('output') || 'none'}.`);
  };

  const updateLegend = () => {
    const m = P.mapping;
    if (!m || !profile) { legend.hidden = true; return; }
    legend.hidden = false;
    const bar = el('div', { class: 'legend-bar', style: `background: linear-gradient(to right, ${RAMP.join(', ')})` });
    const ticks = el('div', { class: 'legend-ticks' }, el('span', {}, fmtMs(0)), el('span', {}, fmtMs(P.maxUs / 2)), el('span', {}, fmtMs(P.maxUs)));
    const fused = [...m.byNode.values()].filter((c) => c.covers > 1).length;
    const un = m.unmatched.reduce((a, k) => a + k.meanUs, 0);
    legend.replaceChildren(
      el('div', {}, el('strong', {}, 'Time per run'), ` (${profile.label})`), bar, ticks,
      el('div', { class: 'muted' }, `${m.byNode.size} nodes timed${fused ? `, ${fused} in fused kernels or delegate partitions` : ''}`),
      ...(m.unmatched.length ? [el('div', { class: 'muted', id: 'legend-unmatched' }, `${m.unmatched.length} kernel${m.unmatched.length === 1 ? '' : 's'} (${fmtMs(un)}) not on any node: ${m.unmatched.slice(0, 3).map((k) => k.name).join(', ')}${m.unmatched.length > 3 ? '…' : ''}`)] : []),
    );
  };

  const renderCrumbs = () => {
    crumbs.replaceChildren();
    stack.forEach((s, i) => {
      if (i) crumbs.append(el('span', { class: 'muted' }, ' › '));
      if (i === stack.length - 1) crumbs.append(el('span', { class: 'crumb-current', 'aria-current': 'page' }, s.label));
      else {
        const b = el('button', { class: 'link crumb', 'data-depth': String(i) }, s.label);
        b.addEventListener('click', () => { stack.length = i + 1; enter(); });
        crumbs.append(b);
      }
    });
    crumbs.hidden = stack.length < 2;
  };

  const enter = () => {
    P = stack[stack.length - 1].p;
    selected = undefined;
    matches = [];
    details.hidden = true;
    renderCrumbs();
    updateInfo();
    updateLegend();
    fit();
  };

  const openSubgraph = (n: GraphNodeView, k: number) => {
    const s = n.subgraphs?.[k];
    if (!s) return;
    stack.push({ label: `${n.name || n.opType} › ${s.attr}`, p: prepare(s.graph) });
    enter();
  };

  const fit = () => {
    const cw = wrap.clientWidth || 800;
    const ch = wrap.clientHeight || 600;
    const g = P.g;
    scale = Math.max(0.002, Math.min(1.5, (cw - 40) / Math.max(g.width, 1), (ch - 40) / Math.max(g.height, 1)));
    ox = (cw - g.width * scale) / 2;
    oy = Math.max(20, (ch - g.height * scale) / 2);
    schedule();
  };

  /**
   * First show: the whole graph fitted to the view, unless that would make its nodes mere dots (a deep graph of
   * thousands of nodes): then its top, as wide as fits, and the minimap shows the rest (Fit still fits it all).
   */
  const firstView = () => {
    const cw = wrap.clientWidth || 800;
    const ch = wrap.clientHeight || 600;
    const g = P.g;
    const whole = Math.min((cw - 40) / Math.max(g.width, 1), (ch - 40) / Math.max(g.height, 1));
    if (whole >= 0.03) { fit(); return; }
    scale = Math.max(0.08, Math.min(1, (cw - 40) / Math.max(g.width, 1)));
    ox = (cw - g.width * scale) / 2;
    oy = 20;
    schedule();
  };

  const zoomAt = (f: number, cx: number, cy: number) => {
    const ns = Math.min(4, Math.max(0.002, scale * f));
    ox = cx - ((cx - ox) * ns) / scale;
    oy = cy - ((cy - oy) * ns) / scale;
    scale = ns;
    schedule();
  };

  function schedule(): void {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }

  /** Edges: curves through the route's points, an arrowhead into the consumer. */
  const drawEdges = (c: CanvasRenderingContext2D, s: number, x0: number, y0: number, x1: number, y1: number, detailed: boolean, labels: string[] | undefined): number => {
    const { routes, boxes } = P;
    let drawn = 0;
    c.strokeStyle = theme.edge;
    c.fillStyle = theme.edge;
    c.globalAlpha = theme.hc ? 1 : 0.65;
    c.lineWidth = (theme.hc ? 1.5 : 1) / s;
    c.beginPath();
    const heads: number[] = [];
    for (let i = 0; i < routes.length; i++) {
      if (boxes[i * 4 + 2] < x0 || boxes[i * 4] > x1 || boxes[i * 4 + 3] < y0 || boxes[i * 4 + 1] > y1) continue;
      drawn++;
      const r = routes[i];
      c.moveTo(r[0], r[1]);
      if (!detailed) { for (let k = 2; k < r.length; k += 2) c.lineTo(r[k], r[k + 1]); continue; }
      for (let k = 2; k < r.length; k += 2) {
        const [px, py, qx, qy] = [r[k - 2], r[k - 1], r[k], r[k + 1]];
        if (px === qx) c.lineTo(qx, qy);
        else { const my = (py + qy) / 2; c.bezierCurveTo(px, my, qx, my, qx, qy); }
      }
      heads.push(r[r.length - 2], r[r.length - 1]);
    }
    c.stroke();
    if (detailed) {
      c.beginPath();
      const a = 7;
      for (let k = 0; k < heads.length; k += 2) {
        const [hx, hy] = [heads[k], heads[k + 1]];
        c.moveTo(hx, hy);
        c.lineTo(hx - a / 2, hy - a);
        c.lineTo(hx + a / 2, hy - a);
        c.closePath();
      }
      c.fill();
    }
    c.globalAlpha = 1;
    // Tensor shapes on the edges, close to the producer, when there is room to read them.
    if (labels && P.g.edgeLabels && s >= 0.6) {
      c.font = '10px sans-serif';
      c.textBaseline = 'middle';
      // One label per tensor: a tensor read by several nodes leaves its producer once.
      const done = new Set<string>();
      for (let i = 0; i < routes.length; i++) {
        if (boxes[i * 4 + 2] < x0 || boxes[i * 4] > x1 || boxes[i * 4 + 3] < y0 || boxes[i * 4 + 1] > y1) continue;
        const r = routes[i];
        const text = P.g.edgeLabels[i]?.shape;
        if (!text) continue;
        const lx = r[0] + 4;
        const ly = r[1] + 12;
        if (lx > x1 || ly > y1 || ly < y0) continue;
        const key = `${P.g.edges[i][0]}\0${P.g.edgeLabels[i]?.tensor}`;
        if (done.has(key)) continue;
        done.add(key);
        const w = c.measureText(text).width;
        c.fillStyle = theme.bg;
        c.fillRect(lx - 1, ly - 6, w + 2, 12);
        c.fillStyle = theme.muted;
        c.fillText(text, lx, ly);
        labels.push(text);
      }
    }
    return drawn;
  };

  const drawNodes = (c: CanvasRenderingContext2D, s: number, x0: number, y0: number, x1: number, y1: number, text: boolean, texts: string[] | undefined): number => {
    const g = P.g;
    let drawn = 0;
    c.font = '12px sans-serif';
    c.textBaseline = 'middle';
    // Without text, batch the rectangles by colour: one fill per colour.
    if (!text) {
      const byFill = new Map<string, GraphNodeView[]>();
      g.nodes.forEach((n, i) => {
        if (n.x + nodeW(n) < x0 || n.x > x1 || n.y + nodeH(n) < y0 || n.y > y1) return;
        const f = n.kind === 'input' || n.kind === 'output' ? theme.fg : fillOf(n, i);
        (byFill.get(f) ?? byFill.set(f, []).get(f) as GraphNodeView[]).push(n);
        drawn++;
      });
      for (const [f, ns] of byFill) {
        c.fillStyle = f;
        c.beginPath();
        for (const n of ns) c.rect(n.x, n.y, nodeW(n), collapsed ? Math.min(nodeH(n), NODE_H) : nodeH(n));
        c.fill();
      }
      if (P.mapping || theme.hc) {
        c.strokeStyle = theme.border;
        c.lineWidth = 1 / s;
        c.beginPath();
        for (const ns of byFill.values()) for (const n of ns) c.rect(n.x, n.y, nodeW(n), collapsed ? Math.min(nodeH(n), NODE_H) : nodeH(n));
        c.stroke();
      }
      return drawn;
    }
    g.nodes.forEach((n, i) => {
      const w = nodeW(n);
      const h = collapsed ? Math.min(nodeH(n), NODE_H) : nodeH(n);
      if (n.x + w < x0 || n.x > x1 || n.y + h < y0 || n.y > y1) return;
      drawn++;
      if (n.kind === 'input' || n.kind === 'output') {
        c.fillStyle = theme.widget;
        c.strokeStyle = theme.fg;
        c.lineWidth = 1.5 / s;
        c.beginPath();
        c.roundRect(n.x, n.y, w, h, h / 2);
        c.fill();
        c.stroke();
        c.fillStyle = theme.fg;
        const t = `${n.kind === 'input' ? '▶ ' : ''}${n.name}${n.kind === 'output' ? ' ◀' : ''}`;
        const room = Math.floor((w - 20) / 7);
        c.fillText(t.length > room ? `${t.slice(0, room - 1)}…` : t, n.x + 10, n.y + h / 2);
        texts?.push(`${n.kind}: ${n.name}`);
      } else {
        const fill = fillOf(n, i);
        const c0 = cost(n);
        c.fillStyle = fill;
        c.fillRect(n.x, n.y, w, NODE_H);
        const rows = n.weights && !collapsed ? Math.min(n.weights.length, MAX_ROWS + 1) : 0;
        if (rows) {
          c.fillStyle = theme.widget;
          c.fillRect(n.x, n.y + NODE_H, w, rows * W_ROW);
        }
        c.strokeStyle = theme.border;
        c.lineWidth = 1 / s;
        c.strokeRect(n.x, n.y, w, h);
        c.fillStyle = textOn(fill.startsWith('#') ? fill : '#777777');
        if (!fill.startsWith('#')) c.fillStyle = theme.fg;
        const label = `${n.opType}${c0 ? ` ${fmtMs(c0.us)}` : ''}`;
        c.font = 'bold 12px sans-serif';
        const fits = Math.floor((w - 12) / 7.5);
        c.fillText(label.length > fits ? `${label.slice(0, fits - 1)}…` : label, n.x + 6, n.y + (n.subgraphs ? 12 : NODE_H / 2));
        c.font = '12px sans-serif';
        if (n.subgraphs) {
          c.font = '10px sans-serif';
          c.fillText(`⊞ ${n.subgraphs.map((x) => x.attr).join(', ')}`.slice(0, 28), n.x + 6, n.y + 27);
          c.font = '12px sans-serif';
        }
        texts?.push(label);
        if (rows && n.weights) {
          c.font = '10px sans-serif';
          c.fillStyle = theme.fg;
          for (let k = 0; k < rows; k++) {
            const wgt = n.weights[k];
            const t = k === MAX_ROWS && n.weights.length > MAX_ROWS + 1 ? `+ ${n.weights.length - MAX_ROWS} more` : `${shortName(wgt.name)} ${wgt.shape.replace(/^\w+/, '')}`;
            const room = Math.floor((w - 12) / 5.6);
            c.fillText(t.length > room ? `${t.slice(0, room - 1)}…` : t, n.x + 6, n.y + NODE_H + k * W_ROW + W_ROW / 2);
          }
          c.font = '12px sans-serif';
        }
      }
      if (matches.includes(n)) {
        c.strokeStyle = theme.match;
        c.lineWidth = 2 / s;
        c.setLineDash([4 / s, 3 / s]);
        c.strokeRect(n.x - 3, n.y - 3, w + 6, h + 6);
        c.setLineDash([]);
      }
      if (n === selected) {
        c.strokeStyle = theme.focus;
        c.lineWidth = 3 / s;
        c.strokeRect(n.x - 2, n.y - 2, w + 4, h + 4);
      }
    });
    return drawn;
  };

  /** The whole graph drawn once into a bitmap: far-out zoom levels and the minimap blit it. */
  const cacheFor = (): NonNullable<Prepared['cache']> => {
    const g = P.g;
    const profiled = !!P.mapping;
    if (P.cache && P.cache.theme === theme && P.cache.profiled === profiled && P.cache.collapsed === collapsed) return P.cache;
    const cs = Math.min(0.5, 4096 / Math.max(g.width + 20, 1), 4096 / Math.max(g.height + 20, 1));
    const cv = document.createElement('canvas');
    cv.width = Math.max(1, Math.ceil((g.width + 20) * cs));
    cv.height = Math.max(1, Math.ceil((g.height + 20) * cs));
    const c = cv.getContext('2d') as CanvasRenderingContext2D;
    c.fillStyle = theme.bg;
    c.fillRect(0, 0, cv.width, cv.height);
    c.setTransform(cs, 0, 0, cs, 10 * cs, 10 * cs);
    drawEdges(c, cs, -Infinity, -Infinity, Infinity, Infinity, false, undefined);
    drawNodes(c, cs, -Infinity, -Infinity, Infinity, Infinity, false, undefined);
    P.cache = { canvas: cv, scale: cs, theme, profiled, collapsed };
    return P.cache;
  };

  /** The canvas fills the editor down to its bottom edge, whatever the header above it takes. */
  const fitHeight = () => {
    const top = wrap.getBoundingClientRect().top + window.scrollY;
    const h = Math.max(300, window.innerHeight - top - 16);
    if (Math.abs(wrap.clientHeight - h) > 2) wrap.style.height = `${h}px`;
  };
  window.addEventListener('resize', () => { fitHeight(); schedule(); });

  function draw(): void {
    if (wrap.isConnected) fitHeight();
    const dpr = window.devicePixelRatio || 1;
    const cw = wrap.clientWidth;
    const ch = wrap.clientHeight;
    if (!cw || !ch) return;
    const start = performance.now();
    if (!fitted) { fitted = true; firstView(); }
    if (canvas.width !== Math.round(cw * dpr) || canvas.height !== Math.round(ch * dpr)) { canvas.width = Math.round(cw * dpr); canvas.height = Math.round(ch * dpr); }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = theme.bg;
    ctx.fillRect(0, 0, cw, ch);
    const texts: string[] = [];
    const labels: string[] = [];
    const cache = P.g.nodes.length > 300 ? cacheFor() : undefined;
    if (cache && scale <= cache.scale * 1.2) {
      // Far out: the cached bitmap, scaled (no per-node work), with the selection and search matches on top.
      ctx.imageSmoothingEnabled = true;
      const f = scale / cache.scale;
      ctx.drawImage(cache.canvas, ox - 10 * scale, oy - 10 * scale, cache.canvas.width * f, cache.canvas.height * f);
      const mark = (ns: GraphNodeView[], color: string, px: number) => {
        if (!ns.length) return;
        ctx.strokeStyle = color;
        ctx.lineWidth = px;
        ctx.beginPath();
        for (const n of ns) ctx.rect(ox + n.x * scale - px, oy + n.y * scale - px, Math.max(2, nodeW(n) * scale) + 2 * px, Math.max(2, nodeH(n) * scale) + 2 * px);
        ctx.stroke();
      };
      mark(matches, theme.match, 1.5);
      mark(selected ? [selected] : [], theme.focus, 2.5);
      lastFrame = { t: 0, drawMs: 0, scale, nodesDrawn: 0, edgesDrawn: 0, texts, edgeLabels: labels, mode: 'cache' };
    } else {
      ctx.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * ox, dpr * oy);
      // Visible world rectangle: only what is on screen is drawn.
      const x0 = -ox / scale;
      const y0 = -oy / scale;
      const x1 = x0 + cw / scale;
      const y1 = y0 + ch / scale;
      const detailed = scale >= 0.3;
      const edgesDrawn = drawEdges(ctx, scale, x0, y0, x1, y1, detailed, labels);
      const nodesDrawn = drawNodes(ctx, scale, x0, y0, x1, y1, scale >= 0.35, texts);
      lastFrame = { t: 0, drawMs: 0, scale, nodesDrawn, edgesDrawn, texts, edgeLabels: labels, mode: 'vector' };
    }
    drawMinimap();
    lastFrame.t = performance.now();
    lastFrame.drawMs = lastFrame.t - start;
    canvas.dataset.scale = scale.toFixed(4);
  }

  const mini = { w: 180, h: 130, f: 1, x: 0, y: 0 };
  function drawMinimap(): void {
    const big = P.g.nodes.length > 40;
    minimap.hidden = !big;
    if (!big) return;
    const cache = cacheFor();
    const dpr = window.devicePixelRatio || 1;
    if (minimap.width !== mini.w * dpr) { minimap.width = mini.w * dpr; minimap.height = mini.h * dpr; }
    mctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    mctx.fillStyle = theme.widget;
    mctx.fillRect(0, 0, mini.w, mini.h);
    const f = Math.min(mini.w / cache.canvas.width, mini.h / cache.canvas.height);
    mini.f = f / cache.scale; // world → minimap
    mini.x = (mini.w - cache.canvas.width * f) / 2;
    mini.y = (mini.h - cache.canvas.height * f) / 2;
    mctx.drawImage(cache.canvas, mini.x, mini.y, cache.canvas.width * f, cache.canvas.height * f);
    const cw = wrap.clientWidth;
    const ch = wrap.clientHeight;
    mctx.strokeStyle = theme.focus;
    mctx.lineWidth = 1.5;
    const wx = (-ox / scale + 10) * mini.f + mini.x;
    const wy = (-oy / scale + 10) * mini.f + mini.y;
    mctx.strokeRect(wx, wy, Math.max(2, (cw / scale) * mini.f), Math.max(2, (ch / scale) * mini.f));
  }

  const centreOn = (wx: number, wy: number) => {
    ox = wrap.clientWidth / 2 - wx * scale;
    oy = wrap.clientHeight / 2 - wy * scale;
    schedule();
  };
  let miniDrag = false;
  const miniMove = (e: MouseEvent) => {
    const r = minimap.getBoundingClientRect();
    centreOn((e.clientX - r.left - mini.x) / mini.f - 10, (e.clientY - r.top - mini.y) / mini.f - 10);
  };
  minimap.addEventListener('mousedown', (e) => { e.stopPropagation(); miniDrag = true; miniMove(e); });

  const hit = (cx: number, cy: number) => {
    const x = (cx - ox) / scale;
    const y = (cy - oy) / scale;
    return P.g.nodes.find((n) => x >= n.x && x <= n.x + nodeW(n) && y >= n.y && y <= n.y + (collapsed ? Math.min(nodeH(n), NODE_H) : nodeH(n)));
  };

  const showDetails = (n: GraphNodeView | undefined) => {
    selected = n;
    if (!n) { details.hidden = true; schedule(); return; }
    details.hidden = false;
    const c = cost(n);
    const weights = new Set((n.weights ?? []).map((w) => w.name));
    const parts: Node[] = [
      el('strong', {}, n.kind === 'input' ? 'Graph input' : n.kind === 'output' ? 'Graph output' : n.opType),
      el('div', { class: 'muted' }, n.kind && n.kind !== 'op' ? n.name : `${n.name || '(unnamed)'} · ${n.domain}`),
    ];
    if (c) {
      parts.push(el('div', { class: 'node-cost' }, `${fmtMs(c.us)} per run`, c.provider ? ` on ${c.provider}` : '',
        c.covers > 1 ? ` — ${c.how === 'partition' ? 'delegate partition' : 'fused kernel'} "${c.kernel}" (${c.kernelOp}) covers ${c.covers} nodes` : c.kernel !== n.name ? ` — kernel "${c.kernel}"` : ''));
    }
    const tensors = (title: string, list: GraphNodeView['inputs']) => list.length ? [el('h2', {}, title), ...list.map((i) => el('div', { class: 'tensor-row' }, `${i.name}: ${i.shape || '?'}${weights.has(i.name) ? ' (weight)' : ''}`))] : [];
    parts.push(...tensors('Inputs', n.inputs), ...tensors('Outputs', n.outputs));
    if (n.attributes.length) parts.push(el('h2', {}, 'Attributes'), el('div', { id: 'node-attributes' }, ...n.attributes.map(([k, v]) => el('div', {}, `${k} = ${v}`))));
    if (n.subgraphs?.length) {
      parts.push(el('h2', {}, 'Subgraphs'));
      n.subgraphs.forEach((s, k) => {
        const b = el('button', { class: 'secondary open-subgraph', 'data-attr': s.attr }, `Open ${s.attr} (${s.graph.nodes.filter((x) => (x.kind ?? 'op') === 'op').length} nodes)`);
        b.addEventListener('click', () => openSubgraph(n, k));
        parts.push(el('div', {}, b));
      });
    }
    if (n.weights?.length) {
      parts.push(el('h2', {}, 'Weights'));
      for (const w of n.weights) {
        const box = el('div', { class: 'weight' });
        const b = el('button', { class: 'secondary inspect-weight', 'data-ref': w.ref, 'aria-label': `Inspect the values of ${w.name}` }, 'Inspect');
        b.addEventListener('click', () => {
          b.disabled = true;
          box.append(el('div', { class: 'muted' }, 'Reading values…'));
          tensorWaiters.set(w.ref, (m) => { tensorWaiters.delete(w.ref); box.replaceChildren(el('div', {}, `${w.name}: ${w.shape}`), tensorPanel(m, theme)); });
          post({ type: 'tensor', ref: w.ref });
        });
        box.append(el('div', {}, `${w.name}: ${w.shape} `, b));
        parts.push(box);
      }
    }
    details.replaceChildren(...parts);
    schedule();
  };

  // Pointer: drag to pan, click to select, double-click to open a subgraph.
  let drag: { x: number; y: number; ox: number; oy: number; moved: boolean } | undefined;
  canvas.addEventListener('mousedown', (e) => { drag = { x: e.clientX, y: e.clientY, ox, oy, moved: false }; canvas.focus(); });
  let hoverAt = 0;
  const onMove = (e: MouseEvent) => {
    if (miniDrag) { miniMove(e); return; }
    if (!drag) {
      // Hover: the node's op, name and output shapes as a tooltip (at most every 50 ms).
      if (e.target !== canvas || e.timeStamp - hoverAt < 50) return;
      hoverAt = e.timeStamp;
      const r = canvas.getBoundingClientRect();
      const n = hit(e.clientX - r.left, e.clientY - r.top);
      const tip = n ? `${n.kind === 'input' || n.kind === 'output' ? n.kind : n.opType} ${n.name}\n${(n.kind === 'output' ? n.inputs : n.outputs).map((o) => `${o.name}: ${o.shape || '?'}`).join('\n')}` : '';
      if (canvas.title !== tip) canvas.title = tip;
      return;
    }
    if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 3) drag.moved = true;
    ox = drag.ox + e.clientX - drag.x;
    oy = drag.oy + e.clientY - drag.y;
    schedule();
  };
  const onUp = (e: MouseEvent) => {
    miniDrag = false;
    if (drag && !drag.moved) {
      const r = canvas.getBoundingClientRect();
      showDetails(hit(e.clientX - r.left, e.clientY - r.top));
    }
    drag = undefined;
  };
  window.addEventListener('mousemove', onMove);
  window.addEventListener('mouseup', onUp);
  canvas.addEventListener('dblclick', (e) => {
    const r = canvas.getBoundingClientRect();
    const n = hit(e.clientX - r.left, e.clientY - r.top);
    if (n?.subgraphs?.length) openSubgraph(n, 0);
  });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    if (e.ctrlKey || !e.shiftKey) zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    else { ox -= e.deltaY; schedule(); }
  }, { passive: false });
  canvas.addEventListener('keydown', (e) => {
    const step = 60;
    const c = () => [wrap.clientWidth / 2, wrap.clientHeight / 2] as const;
    if (e.key === 'ArrowLeft') ox += step;
    else if (e.key === 'ArrowRight') ox -= step;
    else if (e.key === 'ArrowUp') oy += step;
    else if (e.key === 'ArrowDown') oy -= step;
    else if (e.key === '+' || e.key === '=') zoomAt(1.25, ...c());
    else if (e.key === '-') zoomAt(0.8, ...c());
    else if (e.key === '0') fit();
    else if (e.key === 'Escape') { if (stack.length > 1) { stack.pop(); enter(); } else showDetails(undefined); }
    else return;
    e.preventDefault();
    schedule();
  });

  // Search: name, op type or tensor name; Enter jumps to the next match and selects it.
  let lastQuery = '';
  search.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const q = search.value.trim().toLowerCase();
    if (!q) { matches = []; schedule(); return; }
    if (q !== lastQuery) {
      lastQuery = q;
      const exactOp = P.g.nodes.filter((n) => n.opType.toLowerCase() === q);
      matches = exactOp.length ? exactOp : P.g.nodes.filter((n) => n.name.toLowerCase().includes(q) || n.opType.toLowerCase().includes(q)
        || n.outputs.some((o) => o.name.toLowerCase() === q) || (n.weights ?? []).some((w) => w.name.toLowerCase().includes(q)));
      matchAt = -1;
    }
    if (!matches.length) { info.textContent = `No node matches "${search.value}"`; schedule(); return; }
    matchAt = (matchAt + 1) % matches.length;
    const found = matches[matchAt];
    info.textContent = `Match ${matchAt + 1} of ${matches.length}: ${found.opType} ${found.name}`;
    scale = Math.max(scale, 1);
    centreOn(found.x + nodeW(found) / 2, found.y + nodeH(found) / 2);
    showDetails(found);
  });

  // Theme changes (VS Code swaps the body's class and variables): new colours, new cache.
  // A theme switch changes the body's class and the --vscode-* variables on <html>: redraw in the new colours.
  onThemeChange(() => { theme = readTheme(); if (P) P.cache = undefined; schedule(); });
  new ResizeObserver(() => schedule()).observe(wrap);
  // Tests and the benchmark read what the last frame drew.
  (window as unknown as { __graphView?: unknown }).__graphView = {
    frame: () => lastFrame,
    state: () => ({ scale, ox, oy, depth: stack.length - 1, nodes: P.g.nodes.length, width: P.g.width, height: P.g.height, selected: selected?.name }),
    redraw: () => draw(),
    /** Centres the view on world point (x, y) at `s` (the benchmark's starting points). */
    view: (s: number, x: number, y: number) => { scale = s; centreOn(x, y); },
  };
  renderCrumbs();
  updateInfo();
  updateLegend();
  schedule();
  return view;
}

/** A weight's name as a node row shows it: its last part (`weight`, `bias`), or two when the last is an index. */
function shortName(name: string): string {
  const parts = name.split(/[/.:]/).filter(Boolean);
  if (parts.length < 2) return name;
  const last = parts[parts.length - 1];
  return /^\d+$/.test(last) || last.length < 3 ? parts.slice(-2).join('.') : last;
}

/** A weight's statistics and histogram (values from the host). */
function tensorPanel(m: TensorValuesMessage, theme: Theme): HTMLElement {
  if (m.error) return el('div', { class: 'error' }, m.error);
  const v = m.values;
  if (!v) return el('div', { class: 'error' }, 'no values');
  const box = el('div', { class: 'tensor-stats' });
  const f = (x: number) => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4));
  box.append(el('div', {}, `${v.dtype}[${v.shape.join('×')}] · ${v.count.toLocaleString('en-US')} values`));
  if (v.stats) {
    box.append(el('div', { class: 'kv' },
      el('span', {}, 'min'), el('span', { class: 'stat-min' }, f(v.stats.min)),
      el('span', {}, 'max'), el('span', { class: 'stat-max' }, f(v.stats.max)),
      el('span', {}, 'mean'), el('span', { class: 'stat-mean' }, f(v.stats.mean)),
      el('span', {}, 'std'), el('span', {}, f(v.stats.std)),
      el('span', {}, 'zeros'), el('span', {}, `${v.stats.zeros.toLocaleString('en-US')}${v.stats.nonFinite ? ` · ${v.stats.nonFinite} NaN/Inf` : ''}`),
    ));
  }
  if (v.quantization) box.append(el('div', { class: 'muted' }, `quantized: scale ${v.quantization.scale.slice(0, 4).map(f).join(', ')}${v.quantization.scale.length > 4 ? '…' : ''}, zero point ${v.quantization.zeroPoint.slice(0, 4).join(', ')} (values below are stored integers)`));
  if (v.histogram?.length && v.stats) {
    const hc = el('canvas', { class: 'histogram', width: '280', height: '60', role: 'img', 'aria-label': `Histogram of ${v.histogram.length} bins from ${f(v.stats.min)} to ${f(v.stats.max)}` });
    const c = hc.getContext('2d') as CanvasRenderingContext2D;
    const max = Math.max(1, ...v.histogram);
    const bw = 280 / v.histogram.length;
    c.fillStyle = theme.focus;
    v.histogram.forEach((n, i) => { const h = n ? Math.max(1, (n / max) * 56) : 0; c.fillRect(i * bw, 60 - h, Math.max(1, bw - 1), h); });
    box.append(hc, el('div', { class: 'histogram-axis muted' }, el('span', {}, f(v.stats.min)), el('span', {}, f(v.stats.max))));
  }
  if (v.first?.length) box.append(el('div', { class: 'muted first-values' }, `first values: ${v.first.map(f).join(', ')}${v.count > v.first.length ? ', …' : ''}`));
  if (v.note) box.append(el('div', { class: 'muted' }, v.note));
  return box;
}
