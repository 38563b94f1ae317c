import type { onnx } from '../onnx/model';
import { layoutGraph, type GraphView, type LayoutOptions } from '../onnx/graph';
import type { ShapeInference, TensorInfo } from '../onnx/shapes';
import { dtypeByName } from '../onnx/dtypes';
import type { LoadedTflite } from './reader';
import { operatorName, tensorRef } from './summary';
import {
  ActivationFunctionType, BuiltinOptions, BuiltinOptions2, CustomOptionsFormat, Padding, TensorType,
  unionToBuiltinOptions, unionToBuiltinOptions2, type Operator, type SubGraph,
} from './schema_generated';

/** Enum-valued option fields, shown by name (schema.fbs). */
const ENUM_FIELDS: Record<string, Record<number, string>> = {
  fusedActivationFunction: ActivationFunctionType as unknown as Record<number, string>,
  padding: Padding as unknown as Record<number, string>,
  outDataType: TensorType as unknown as Record<number, string>,
  inDataType: TensorType as unknown as Record<number, string>,
  outputType: TensorType as unknown as Record<number, string>,
  idxOutType: TensorType as unknown as Record<number, string>,
  quantizedBiasType: TensorType as unknown as Record<number, string>,
};

const MAX_LIST = 16;

/**
 * The options table of an operator as name = value pairs, read through the generated class: every zero-argument
 * accessor is a scalar field; `xLength()` with `x(i)` is a vector.
 */
export function optionAttributes(op: Operator): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const read = (opts: object | null, typeName: string) => {
    if (!opts) return;
    const proto = Object.getPrototypeOf(opts) as Record<string, unknown>;
    const names = Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && !n.startsWith('__') && !n.startsWith('mutate') && !n.endsWith('Array'));
    for (const n of names.sort()) {
      const fn = proto[n];
      if (typeof fn !== 'function' || n.endsWith('Length')) continue;
      const len = names.includes(`${n}Length`) ? ((opts as Record<string, () => number>)[`${n}Length`])() : undefined;
      if (len !== undefined) {
        const vals: string[] = [];
        for (let i = 0; i < Math.min(len, MAX_LIST); i++) vals.push(String((opts as Record<string, (i: number) => unknown>)[n](i)));
        out.push([n, `[${vals.join(', ')}${len > MAX_LIST ? `, … ${len} values` : ''}]`]);
      } else if ((fn as () => unknown).length === 0) {
        const v = (opts as Record<string, () => unknown>)[n]();
        if (v === null || typeof v === 'object') continue;
        const e = ENUM_FIELDS[n];
        out.push([n, e && typeof v === 'number' ? (e[v] ?? String(v)) : typeof v === 'number' && !Number.isInteger(v) ? String(+v.toPrecision(6)) : String(v)]);
      }
    }
    if (!out.length) out.push(['options', typeName]);
  };
  const t = op.builtinOptionsType();
  if (t !== BuiltinOptions.NONE) read(unionToBuiltinOptions(t, (o) => op.builtinOptions(o)), (BuiltinOptions[t] as string | undefined) ?? String(t));
  const t2 = op.builtinOptions2Type();
  if (t2 !== BuiltinOptions2.NONE) read(unionToBuiltinOptions2(t2, (o) => op.builtinOptions2(o)), (BuiltinOptions2[t2] as string | undefined) ?? String(t2));
  const custom = op.customOptionsLength();
  if (custom) out.push(['custom_options', `${custom} bytes (${(CustomOptionsFormat[op.customOptionsFormat()] as string | undefined) ?? op.customOptionsFormat()})`]);
  return out;
}

/**
 * One TFLite subgraph in the graph view's node/edge model (the one the ONNX view draws): operators become nodes
 * named after their first output tensor, tensors become the edges between them, shapes and dtypes come from the
 * tensors themselves (TFLite stores every shape).
 */
export function layoutTfliteGraph(loaded: LoadedTflite, subgraph = 0, limit = 20000, opts: { io?: boolean; depth?: number } = {}): GraphView {
  const m = loaded.model;
  if (subgraph < 0 || subgraph >= m.subgraphsLength()) return { nodes: [], edges: [], width: 0, height: 0, truncated: false };
  const g = m.subgraphs(subgraph) as SubGraph;
  const nTensors = g.tensorsLength();
  // Tensor names are not guaranteed unique: a repeated one gets its index appended.
  const seen = new Map<string, number>();
  const names: string[] = [];
  const infos = new Map<string, TensorInfo>();
  for (let i = 0; i < nTensors; i++) {
    const ref = tensorRef(g, i);
    let name = ref.name || `tensor ${i}`;
    if (seen.has(name)) name = `${name} #${i}`;
    seen.set(name, i);
    names.push(name);
    infos.set(name, { elemType: dtypeByName(ref.type)?.code ?? 0, shape: ref.shape });
  }
  const codes: Array<ReturnType<typeof operatorName>> = [];
  for (let i = 0; i < m.operatorCodesLength(); i++) codes.push(operatorName(m.operatorCodes(i)));
  const tensorName = (i: number | null) => (i !== null && i >= 0 && i < names.length ? names[i] : '');
  const nodes: onnx.INodeProto[] = [];
  const attrs = new Map<string, Array<[string, string]>>();
  const nOps = Math.min(g.operatorsLength(), limit + 1);
  for (let oi = 0; oi < nOps; oi++) {
    const op = g.operators(oi) as Operator;
    const code = codes[op.opcodeIndex()] ?? { op: 'UNKNOWN', custom: false, version: 1, builtin: -1 };
    const input: string[] = [];
    for (let i = 0; i < op.inputsLength(); i++) input.push(tensorName(op.inputs(i)));
    const output: string[] = [];
    for (let i = 0; i < op.outputsLength(); i++) output.push(tensorName(op.outputs(i)));
    const name = `${output.find(Boolean) ?? code.op}:${oi}`;
    attrs.set(name, [['index', String(oi)], ['version', String(code.version)], ...optionAttributes(op)]);
    nodes.push({ name, opType: code.op, domain: code.custom ? 'custom' : 'tflite', input, output });
  }
  const si = { get: (name: string | undefined | null) => (name ? infos.get(name) : undefined) } as unknown as ShapeInference;
  // With `io`: the subgraph's inputs and outputs as nodes, tensors with data as weights (ref `subgraph:tensor`),
  // and the subgraphs an op runs (WHILE cond/body, IF then/else, CALL_ONCE init…) laid out to click into.
  const layoutOpts: LayoutOptions = {};
  const graph: import('../onnx/model').GraphProto = { node: nodes };
  if (opts.io) {
    const byName = (i: number) => ({ name: tensorName(i) });
    graph.input = Array.from({ length: g.inputsLength() }, (_, k) => byName(g.inputs(k) as number)).filter((v) => v.name);
    graph.output = Array.from({ length: g.outputsLength() }, (_, k) => byName(g.outputs(k) as number)).filter((v) => v.name);
    graph.initializer = [];
    for (let i = 0; i < nTensors; i++) {
      const b = m.buffers(g.tensors(i)?.buffer() ?? 0);
      if (b && (b.dataLength() > 0 || b.offset() > 1n)) graph.initializer.push({ name: names[i] });
    }
    const depth = opts.depth ?? 0;
    layoutOpts.io = true;
    layoutOpts.depth = depth;
    layoutOpts.weightRef = (name) => `${subgraph}:${seen.get(name) ?? -1}`;
    layoutOpts.subgraphs = (node) => depth >= 8 ? [] : (attrs.get(node.name ?? '') ?? [])
      .filter(([k, v]) => /SubgraphIndex$/.test(k) && /^\d+$/.test(v) && Number(v) !== subgraph && Number(v) < m.subgraphsLength())
      .map(([k, v]) => ({ attr: `${k.replace(/SubgraphIndex$/, '')} (subgraph ${v}${m.subgraphs(Number(v))?.name() ? ` ${m.subgraphs(Number(v))?.name()}` : ''})`, graph: layoutTfliteGraph(loaded, Number(v), limit, { io: true, depth: depth + 1 }) }));
  }
  const view = layoutGraph(graph, si, limit, layoutOpts);
  for (const n of view.nodes) if ((n.kind ?? 'op') === 'op') n.attributes = attrs.get(n.name) ?? n.attributes;
  return view;
}
