import { allGraphs, externalRef, loadModel, type onnx, resolveExternalPath, toNumber, OnnxFormatError, type LoadedModel, type ModelProto, type TensorProto } from './model';
import { byteSize, dtypeOf } from './dtypes';
import { MAC_OPS, ShapeInference, nodeMacs, valueInfoToTensor, type Dim } from './shapes';
import { declaredInputs, modelMetadata, resolvePlans } from '../inputs/resolve';
import type { InputOverrides } from '../inputs/spec';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** `mobileai summary --json` prints this object: an interface (README). */
export interface ValueSummary {
  name: string;
  type: string;
  /** Dimensions: numbers, symbolic names, or null when unknown; null for the whole shape when the rank is unknown. */
  shape: Dim[] | null;
}

export interface ModelSummary {
  file?: string;
  fileBytes: number;
  irVersion: number;
  producer: { name: string; version: string };
  graphName: string;
  opsets: Array<{ domain: string; version: number }>;
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** Nodes in the main graph; `nodeCountWithSubgraphs` adds If/Loop/Scan bodies. */
  nodeCount: number;
  nodeCountWithSubgraphs: number;
  opHistogram: Array<{ opType: string; domain: string; count: number }>;
  parameters: {
    /** Elements in all weights (initializers and Constant node tensors). */
    count: number;
    bytes: number;
    initializers: number;
    constantNodes: number;
    byDtype: Record<string, { tensors: number; count: number; bytes: number }>;
    external: { files: string[]; bytes: number };
  };
  /**
   * The input shapes MACs were counted at: given (--shape, --dim), from metadata or conventions (batch = 1);
   * null where a dim has no value. `notes` says which conventions were applied.
   */
  at?: { inputs: Array<{ name: string; shape: Array<number | null>; value?: number[] }>; notes: string[] };
  macs: {
    /** Sum over the nodes whose shapes are known. */
    total: number;
    byOpType: Record<string, number>;
    nodesCounted: number;
    /** Conv/ConvTranspose/Gemm/MatMul nodes whose shapes could not be inferred. */
    nodesUnknown: number;
    unknownExamples: string[];
    /**
     * If branches not counted because their condition is known at the given shapes and values (Silero VAD's
     * 8 kHz model when sr = 16000): only the branch that runs counts.
     */
    branchesNotTaken?: number;
  };
  metadata: Record<string, string>;
  warnings: string[];
}

function typeName(v: onnx.IValueInfoProto): string {
  const t = v.type;
  if (t?.tensorType) return dtypeOf(t.tensorType.elemType).name;
  if (t?.sequenceType) return 'sequence';
  if (t?.mapType) return 'map';
  return 'unknown';
}

function elementCount(t: TensorProto): number {
  return (t.dims ?? []).reduce((a: number, d) => a * toNumber(d), 1);
}

/** Stored bytes of a tensor (raw_data, typed fields, or external length). */
function storedBytes(t: TensorProto, count: number): number {
  if (t.rawData?.length) return t.rawData.length;
  const ext = externalRef(t);
  if (ext) return ext.length ?? byteSize(t.dataType ?? 0, count);
  return byteSize(t.dataType ?? 0, count);
}

export interface SummaryOptions {
  /** Values for symbolic dimensions, so that MACs can be counted (e.g. { batch: 1, sequence: 128 }). */
  dims?: Record<string, number>;
  /** Whole input shapes (unnamed dims included) and values: MACs are counted at these shapes. */
  inputs?: InputOverrides;
}

export function summarize(loaded: LoadedModel, opts: SummaryOptions = {}): ModelSummary {
  const model: ModelProto = loaded.model;
  const graph = model.graph as onnx.IGraphProto;
  const warnings: string[] = [];
  const opsets = (model.opsetImport ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: toNumber(o.version) }));
  const defaultOpset = opsets.find((o) => o.domain === 'ai.onnx')?.version ?? 1;
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));

  // The shapes to count at: the user's, then metadata and conventions; dims with no value stay unknown.
  const overrides: InputOverrides = { ...opts.inputs, dims: { ...opts.dims, ...opts.inputs?.dims }, files: undefined };
  let at: ModelSummary['at'];
  let dims = opts.dims;
  let seedGraph: onnx.IGraphProto = graph;
  const planValues = new Map<string, number[]>();
  try {
    const plans = resolvePlans(declaredInputs(model), overrides, { metadata: modelMetadata(model), allowMissing: true });
    at = { inputs: plans.inputs.map((p) => ({ name: p.name, shape: p.shape, ...(p.values && p.values.length <= 4 ? { value: p.values } : {}) })), notes: plans.notes };
    dims = plans.dims;
    for (const p of plans.inputs) if (p.values) planValues.set(p.name, p.values);
    const byName = new Map(plans.inputs.map((p) => [p.name, p]));
    seedGraph = { ...graph, input: (graph.input ?? []).map((v) => {
      const p = byName.get(v.name ?? '');
      if (!p || !v.type?.tensorType || !p.shape.length) return v;
      return { ...v, type: { ...v.type, tensorType: { ...v.type.tensorType, shape: { dim: p.shape.map((d, i) => (d === null ? (v.type?.tensorType?.shape?.dim?.[i] ?? {}) : { dimValue: d })) } } } };
    }) };
  } catch (err) {
    warnings.push((err as Error).message);
  }
  const si = new ShapeInference(defaultOpset, dims);
  // Small input values given (--value sr=16000) are known to shape inference: conditions computed from them pick
  // their If branch.
  for (const p of at?.inputs ?? []) {
    const plan = planValues.get(p.name);
    const v = (graph.input ?? []).find((x) => x.name === p.name);
    if (plan && v && plan.length <= 64 && p.shape.every((d) => typeof d === 'number')) si.info.set(p.name, { elemType: v.type?.tensorType?.elemType ?? 0, shape: p.shape as number[], value: plan });
  }
  si.run(seedGraph);
  const value = (v: onnx.IValueInfoProto): ValueSummary => {
    const declared = valueInfoToTensor(v);
    const inferred = v.name ? si.get(v.name) : undefined;
    const shape = declared?.shape ?? inferred?.shape ?? null;
    return { name: v.name ?? '', type: typeName(v), shape };
  };

  // Weights: initializers of every graph, and tensors held by Constant nodes.
  const byDtype: ModelSummary['parameters']['byDtype'] = {};
  const external = new Map<string, number>();
  let count = 0;
  let bytes = 0;
  let initializers = 0;
  let constantNodes = 0;
  const addTensor = (t: TensorProto) => {
    const n = elementCount(t);
    if (!Number.isSafeInteger(n) || n < 0) {
      warnings.push(`tensor "${t.name ?? ''}" has impossible dimensions ${JSON.stringify((t.dims ?? []).map((d) => toNumber(d)))}`);
      return;
    }
    let b: number;
    try {
      b = storedBytes(t, n);
      const ext = externalRef(t);
      if (ext) external.set(ext.location, (external.get(ext.location) ?? 0) + b);
    } catch (err) {
      warnings.push((err as Error).message);
      return;
    }
    const expected = byteSize(t.dataType ?? 0, n);
    if (t.rawData?.length && expected && t.rawData.length !== expected && dtypeOf(t.dataType).bits > 0) {
      warnings.push(`tensor "${t.name ?? ''}" holds ${t.rawData.length} bytes but its shape needs ${expected}`);
    }
    const dt = dtypeOf(t.dataType).name;
    const e = (byDtype[dt] ??= { tensors: 0, count: 0, bytes: 0 });
    e.tensors++;
    e.count += n;
    e.bytes += b;
    count += n;
    bytes += b;
  };

  const histogram = new Map<string, { opType: string; domain: string; count: number }>();
  const macsByOp: Record<string, number> = {};
  let macsTotal = 0;
  let nodesCounted = 0;
  let nodesUnknown = 0;
  const unknownExamples: string[] = [];
  let nodeCountWithSubgraphs = 0;
  let first = true;
  // Subgraph bodies (If branches, Loop/Scan bodies) read outer-scope values: their shapes are known from the
  // enclosing graphs (parents come first), so a Conv inside an If branch is counted at the given shapes.
  const outer = new Map(si.info);
  // Branches whose If condition is known and false for them (and everything nested in them): not counted in MACs.
  const notTaken = new Set<onnx.IGraphProto>();
  const markAll = (g: onnx.IGraphProto): void => {
    notTaken.add(g);
    for (const n of g.node ?? []) for (const a of n.attribute ?? []) for (const sg of [a.g, ...(a.graphs ?? [])]) if (sg) markAll(sg);
  };
  let branchesNotTaken = 0;
  for (const g of allGraphs(graph)) {
    const gsi = first ? si : (() => {
      const s = new ShapeInference(defaultOpset, dims);
      for (const [k, v] of outer) s.info.set(k, v);
      s.run(g);
      for (const [k, v] of s.info) if (!outer.has(k)) outer.set(k, v);
      return s;
    })();
    first = false;
    for (const t of g.initializer ?? []) { addTensor(t); initializers++; }
    for (const node of g.node ?? []) {
      if (node.opType === 'If' && !notTaken.has(g)) {
        const cond = gsi.get(node.input?.[0])?.value;
        const skip = cond?.length === 1 ? (node.attribute ?? []).find((a) => a.name === (cond[0] ? 'else_branch' : 'then_branch'))?.g : undefined;
        if (skip) { markAll(skip); branchesNotTaken++; }
      }
    }
    for (const node of g.node ?? []) {
      nodeCountWithSubgraphs++;
      const domain = node.domain || 'ai.onnx';
      const key = `${domain}::${node.opType ?? ''}`;
      const h = histogram.get(key) ?? { opType: node.opType ?? '', domain, count: 0 };
      h.count++;
      histogram.set(key, h);
      if (node.opType === 'Constant') {
        const v = (node.attribute ?? []).find((a) => a.name === 'value' || a.name === 'sparse_value');
        if (v?.t) { addTensor(v.t); constantNodes++; }
        else if (v?.sparseTensor?.values) { addTensor(v.sparseTensor.values); constantNodes++; }
      }
      if (MAC_OPS.has(node.opType ?? '') && !notTaken.has(g)) {
        const m = nodeMacs(node, gsi);
        if (m !== undefined && Number.isFinite(m)) {
          macsTotal += m;
          macsByOp[node.opType ?? ''] = (macsByOp[node.opType ?? ''] ?? 0) + m;
          nodesCounted++;
        } else {
          nodesUnknown++;
          if (unknownExamples.length < 5) unknownExamples.push(node.name || `${node.opType} → ${node.output?.[0] ?? ''}`);
        }
      }
    }
  }

  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) metadata[p.key] = p.value ?? '';

  return {
    file: loaded.file,
    fileBytes: loaded.fileBytes,
    irVersion: toNumber(model.irVersion),
    producer: { name: model.producerName ?? '', version: model.producerVersion ?? '' },
    graphName: graph.name ?? '',
    opsets,
    inputs: (graph.input ?? []).filter((v) => !initNames.has(v.name ?? '')).map(value),
    outputs: (graph.output ?? []).map(value),
    nodeCount: graph.node?.length ?? 0,
    nodeCountWithSubgraphs,
    opHistogram: [...histogram.values()].sort((a, b) => b.count - a.count || a.opType.localeCompare(b.opType)),
    parameters: { count, bytes, initializers, constantNodes, byDtype, external: { files: [...external.keys()], bytes: [...external.values()].reduce((a, b) => a + b, 0) } },
    at,
    macs: { total: macsTotal, byOpType: macsByOp, nodesCounted, nodesUnknown, unknownExamples, ...(branchesNotTaken ? { branchesNotTaken } : {}) },
    metadata,
    warnings,
  };
}

/** Loads and summarizes a file; external data files are checked for presence and size. */
export async function summarizeFile(file: string, opts: SummaryOptions = {}): Promise<ModelSummary> {
  const loaded = await loadModel(file);
  const s = summarize(loaded, opts);
  for (const loc of s.parameters.external.files) {
    try {
      const p = resolveExternalPath(loaded.baseDir as string, loc);
      const st = await fs.stat(p).catch(() => undefined);
      if (!st) s.warnings.push(`external data file "${loc}" is missing next to ${path.basename(file)}`);
    } catch (err) {
      if (err instanceof OnnxFormatError) s.warnings.push(err.message);
      else throw err;
    }
  }
  return s;
}
