import type { onnx } from 'onnx-proto';
import { toNumber } from './model';

/**
 * A structural checker for ONNX graphs, in the spirit of onnx.checker: what onnxruntime also insists on when it
 * loads a model, checked before we hand a model to it, so a quantizer bug is named where it is made.
 *  - every node input is produced by an earlier node of its graph, an initializer, a graph input, or (in a
 *    subgraph) a value of an enclosing graph visible at the subgraph's node;
 *  - no name is produced twice (SSA), and a subgraph does not redefine an outer name;
 *  - the node list is in topological order;
 *  - every op exists in its domain's imported opset version, with the signature of that version (e.g. Clip's
 *    bounds are attributes before 11 and inputs from 11; Squeeze's axes an input from 13).
 */

export interface CheckProblem {
  /** Main graph "main", a subgraph "main/If_0.then_branch". */
  graph: string;
  node?: string;
  message: string;
}

/**
 * The opset version each ai.onnx op first appeared in (later versions change signatures, checked below),
 * and the version from which it is gone where it was removed.
 */
export const OP_SINCE: Record<string, number> = {
  Abs: 1, Acos: 7, Acosh: 9, Add: 1, AffineGrid: 20, And: 1, ArgMax: 1, ArgMin: 1, Asin: 7, Asinh: 9, Atan: 7, Atanh: 9, AveragePool: 1,
  BatchNormalization: 1, Bernoulli: 15, BitShift: 11, BitwiseAnd: 18, BitwiseNot: 18, BitwiseOr: 18, BitwiseXor: 18, BlackmanWindow: 17,
  Cast: 1, CastLike: 15, Ceil: 1, Celu: 12, CenterCropPad: 18, Clip: 1, Col2Im: 18, Compress: 9, Concat: 1, ConcatFromSequence: 11,
  Constant: 1, ConstantOfShape: 9, Conv: 1, ConvInteger: 10, ConvTranspose: 1, Cos: 7, Cosh: 9, CumSum: 11, DFT: 17, DeformConv: 19,
  DepthToSpace: 1, DequantizeLinear: 10, Det: 11, Div: 1, Dropout: 1, DynamicQuantizeLinear: 11, Einsum: 12, Elu: 1, Equal: 1, Erf: 9,
  Exp: 1, Expand: 8, EyeLike: 9, Flatten: 1, Floor: 1, GRU: 1, Gather: 1, GatherElements: 11, GatherND: 11, Gelu: 20, Gemm: 1,
  GlobalAveragePool: 1, GlobalLpPool: 1, GlobalMaxPool: 1, Greater: 1, GreaterOrEqual: 12, GridSample: 16, GroupNormalization: 18,
  HammingWindow: 17, HannWindow: 17, HardSigmoid: 1, HardSwish: 14, Hardmax: 1, Identity: 1, If: 1, ImageDecoder: 20,
  InstanceNormalization: 1, IsInf: 10, IsNaN: 9, LRN: 1, LSTM: 1, LayerNormalization: 17, LeakyRelu: 1, Less: 1, LessOrEqual: 12, Log: 1,
  LogSoftmax: 1, Loop: 1, LpNormalization: 1, LpPool: 1, MatMul: 1, MatMulInteger: 10, Max: 1, MaxPool: 1, MaxRoiPool: 1, MaxUnpool: 9,
  Mean: 1, MeanVarianceNormalization: 9, MelWeightMatrix: 17, Min: 1, Mish: 18, Mod: 10, Mul: 1, Multinomial: 7, Neg: 1,
  NegativeLogLikelihoodLoss: 12, NonMaxSuppression: 10, NonZero: 9, Not: 1, OneHot: 9, Optional: 15, OptionalGetElement: 15,
  OptionalHasElement: 15, Or: 1, PRelu: 1, Pad: 1, Pow: 1, QLinearConv: 10, QLinearMatMul: 10, QuantizeLinear: 10, RNN: 1,
  RandomNormal: 1, RandomNormalLike: 1, RandomUniform: 1, RandomUniformLike: 1, Range: 11, Reciprocal: 1, ReduceL1: 1, ReduceL2: 1,
  ReduceLogSum: 1, ReduceLogSumExp: 1, ReduceMax: 1, ReduceMean: 1, ReduceMin: 1, ReduceProd: 1, ReduceSum: 1, ReduceSumSquare: 1,
  RegexFullMatch: 20, Relu: 1, Reshape: 1, Resize: 10, ReverseSequence: 10, RoiAlign: 10, Round: 11, STFT: 17, Scan: 8, Scatter: 9,
  ScatterElements: 11, ScatterND: 11, Selu: 1, SequenceAt: 11, SequenceConstruct: 11, SequenceEmpty: 11, SequenceErase: 11,
  SequenceInsert: 11, SequenceLength: 11, SequenceMap: 17, Shape: 1, Shrink: 9, Sigmoid: 1, Sign: 9, Sin: 7, Sinh: 9, Size: 1, Slice: 1,
  Softmax: 1, SoftmaxCrossEntropyLoss: 12, Softplus: 1, Softsign: 1, SpaceToDepth: 1, Split: 1, SplitToSequence: 11, Sqrt: 1, Squeeze: 1,
  StringConcat: 20, StringNormalizer: 10, StringSplit: 20, Sub: 1, Sum: 1, Tan: 7, Tanh: 1, TfIdfVectorizer: 9, ThresholdedRelu: 10,
  Tile: 1, TopK: 1, Transpose: 1, Trilu: 14, Unique: 11, Unsqueeze: 1, Upsample: 7, Where: 9, Xor: 1,
};

/** Ops removed from ai.onnx: valid below this version only. */
export const OP_REMOVED: Record<string, number> = { Upsample: 10, Scatter: 11 };

/** com.microsoft ops onnxruntime implements (all at version 1), the ones quantized graphs use and a few common fusions. */
export const MS_OPS = new Set([
  'QuantizeLinear', 'DequantizeLinear', 'QLinearAdd', 'QLinearMul', 'QLinearConcat', 'QLinearSigmoid', 'QLinearLeakyRelu', 'QLinearAveragePool',
  'QLinearGlobalAveragePool', 'QLinearSoftmax', 'QLinearConv', 'QLinearReduceMean', 'QLinearWhere', 'QGemm', 'QAttention', 'DynamicQuantizeMatMul',
  'DynamicQuantizeLSTM', 'MatMulIntegerToFloat', 'MatMulNBits', 'MatMulBnb4', 'Attention', 'MultiHeadAttention', 'EmbedLayerNormalization',
  'SkipLayerNormalization', 'SimplifiedLayerNormalization', 'SkipSimplifiedLayerNormalization', 'FastGelu', 'BiasGelu', 'Gelu', 'QuickGelu',
  'FusedConv', 'FusedGemm', 'FusedMatMul', 'NhwcMaxPool', 'Range', 'GroupQueryAttention', 'RotaryEmbedding', 'BiasAdd', 'BiasSoftmax',
  'GatherBlockQuantized', 'DecoderMaskedMultiHeadAttention', 'LayerNormalization', 'Inverse', 'Trilu', 'Unique', 'WordConvEmbedding',
]);

/** Domains plain onnxruntime runs (with their usual spellings). */
export const RUNNABLE_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft', 'com.microsoft.nchwc', 'ai.onnx.training', 'ai.onnx.preview.training', 'com.microsoft.experimental', 'com.ms.internal.nhwc', 'org.pytorch.aten', 'com.microsoft.mlfeaturizers']);

type Rule = { from?: number; before?: number; check: (n: onnx.INodeProto, v: number) => string | undefined };
const attr = (n: onnx.INodeProto, k: string) => (n.attribute ?? []).some((a) => a.name === k);
const nIn = (n: onnx.INodeProto) => {
  const ins = n.input ?? [];
  let last = ins.length;
  while (last > 0 && !ins[last - 1]) last--;
  return last;
};
const noAttr = (keys: string[], since: number, instead: string) => (n: onnx.INodeProto, v: number) =>
  v >= since ? keys.filter((k) => attr(n, k)).map((k) => `attribute "${k}" is not part of ${n.opType}-${since}+ (it is ${instead} from opset ${since})`)[0] : undefined;
const maxInputs = (max: number, until: number) => (n: onnx.INodeProto, v: number) =>
  v < until && nIn(n) > max ? `${n.opType} below opset ${until} takes ${max} input${max > 1 ? 's' : ''}, this node has ${nIn(n)}` : undefined;

const REDUCE_18 = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];

/** Signature changes across versions, for the ops an opset upgrade rewrites. */
const RULES: Record<string, Rule[]> = {
  Clip: [{ check: noAttr(['min', 'max'], 11, 'an input') }, { check: maxInputs(1, 11) }],
  Pad: [{ check: noAttr(['pads', 'value'], 11, 'an input') }, { check: maxInputs(1, 11) }],
  Slice: [{ check: noAttr(['starts', 'ends', 'axes'], 10, 'an input') }, { check: maxInputs(1, 10) }],
  Squeeze: [{ check: noAttr(['axes'], 13, 'an input') }, { check: maxInputs(1, 13) }],
  Unsqueeze: [{ check: noAttr(['axes'], 13, 'an input') }, { check: maxInputs(1, 13) }, { check: (n, v) => (v < 13 && !attr(n, 'axes') ? 'Unsqueeze below opset 13 needs the axes attribute' : undefined) }],
  Split: [{ check: noAttr(['split'], 13, 'an input') }, { check: maxInputs(1, 13) }],
  ReduceSum: [{ check: noAttr(['axes'], 13, 'an input') }, { check: maxInputs(1, 13) }],
  TopK: [{ check: noAttr(['k'], 10, 'an input') }, { check: maxInputs(1, 10) }],
  Dropout: [{ check: noAttr(['ratio'], 12, 'an input') }],
  Upsample: [{ check: noAttr(['scales'], 9, 'an input') }],
  Resize: [{ check: (n, v) => (v < 11 && nIn(n) > 2 ? `Resize-10 takes X and scales only, this node has ${nIn(n)} inputs` : undefined) }, { check: (n, v) => (v < 11 && ['coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value'].some((k) => attr(n, k)) ? 'Resize-10 has only the mode attribute' : undefined) }],
  QuantizeLinear: [{ check: (n, v) => (v < 13 && attr(n, 'axis') ? 'per-axis QuantizeLinear (axis) needs opset 13' : undefined) }],
  DequantizeLinear: [{ check: (n, v) => (v < 13 && attr(n, 'axis') ? 'per-axis DequantizeLinear (axis) needs opset 13' : undefined) }],
  BatchNormalization: [{ check: (n, v) => (v >= 9 && attr(n, 'spatial') ? 'BatchNormalization-9+ has no spatial attribute' : undefined) }],
  Softmax: [],
};
for (const op of REDUCE_18) RULES[op] = [{ check: noAttr(['axes'], 18, 'an input') }, { check: maxInputs(1, 18) }];

/** Whether an ai.onnx op exists at an opset version. */
export function opExistsAt(op: string, version: number): boolean {
  const since = OP_SINCE[op];
  if (since === undefined) return false;
  return since <= version && (OP_REMOVED[op] === undefined || version < OP_REMOVED[op]);
}

function isDefault(domain: string | null | undefined): boolean {
  return !domain || domain === 'ai.onnx';
}

export function opsetVersions(model: onnx.IModelProto): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of model.opsetImport ?? []) m.set(isDefault(o.domain) ? '' : (o.domain as string), toNumber(o.version));
  return m;
}

/** Nodes of domains plain onnxruntime cannot run (custom ops, e.g. onnxruntime-extensions'), anywhere in the model. */
export function customDomainOps(model: onnx.IModelProto): Array<{ op: string; domain: string; node: string }> {
  const out: Array<{ op: string; domain: string; node: string }> = [];
  const walk = (g: onnx.IGraphProto) => {
    for (const n of g.node ?? []) {
      if (!RUNNABLE_DOMAINS.has(n.domain ?? '')) out.push({ op: n.opType ?? '', domain: n.domain ?? '', node: n.name ?? '' });
      for (const a of n.attribute ?? []) {
        if (a.g) walk(a.g);
        for (const s of a.graphs ?? []) walk(s);
      }
    }
  };
  walk(model.graph ?? {});
  return out;
}

/** Checks a whole model; an empty list means it is structurally valid. */
export function checkModel(model: onnx.IModelProto): CheckProblem[] {
  const problems: CheckProblem[] = [];
  const versions = opsetVersions(model);
  const checkGraph = (g: onnx.IGraphProto, label: string, outer: Set<string>, isMain: boolean) => {
    const avail = new Set<string>();
    const defined = new Set<string>();
    const define = (name: string, what: string, node?: string) => {
      if (!name) return;
      if (defined.has(name)) problems.push({ graph: label, node, message: `"${name}" is defined twice (${what})` });
      else if (outer.has(name) && !isMain) problems.push({ graph: label, node, message: `"${name}" (${what}) redefines a name of an enclosing graph` });
      defined.add(name);
      avail.add(name);
    };
    const inits = new Set<string>();
    for (const t of g.initializer ?? []) {
      if (inits.has(t.name ?? '')) problems.push({ graph: label, message: `initializer "${t.name}" appears twice` });
      inits.add(t.name ?? '');
      define(t.name ?? '', 'initializer');
    }
    for (const i of g.input ?? []) if (!inits.has(i.name ?? '')) define(i.name ?? '', 'graph input');
    const producedAt = new Map<string, number>();
    (g.node ?? []).forEach((n, k) => (n.output ?? []).forEach((o) => o && !producedAt.has(o) && producedAt.set(o, k)));
    const nodeNames = new Set<string>();
    (g.node ?? []).forEach((n, k) => {
      const who = n.name || `${n.opType}#${k}`;
      if (n.name) {
        if (nodeNames.has(n.name)) problems.push({ graph: label, node: who, message: `node name "${n.name}" is used twice` });
        nodeNames.add(n.name);
      }
      for (const i of n.input ?? []) {
        if (!i || avail.has(i) || outer.has(i)) continue;
        const later = producedAt.get(i);
        problems.push({ graph: label, node: who, message: later !== undefined && later >= k ? `input "${i}" is produced by a later node (${g.node?.[later]?.name || g.node?.[later]?.opType}): the graph is not in topological order` : `input "${i}" is not produced by any node, initializer, graph input${isMain ? '' : ' or enclosing graph'}` });
      }
      checkOp(n, versions, label, who, problems);
      for (const a of n.attribute ?? []) {
        const subs = [...(a.g ? [a.g] : []), ...(a.graphs ?? [])];
        for (const s of subs) checkGraph(s, `${label}/${who}.${a.name}`, new Set([...outer, ...avail]), false);
      }
      for (const o of n.output ?? []) define(o, `output of ${who}`, who);
    });
    for (const o of g.output ?? []) if (o.name && !avail.has(o.name) && !outer.has(o.name)) problems.push({ graph: label, message: `graph output "${o.name}" is not produced` });
  };
  checkGraph(model.graph ?? {}, 'main', new Set(), true);
  return problems;
}

function checkOp(n: onnx.INodeProto, versions: Map<string, number>, graph: string, who: string, problems: CheckProblem[]): void {
  const domain = isDefault(n.domain) ? '' : (n.domain as string);
  const v = versions.get(domain);
  const op = n.opType ?? '';
  if (v === undefined) {
    problems.push({ graph, node: who, message: `${op} is in domain "${domain || 'ai.onnx'}", which the model does not import (opset_import)` });
    return;
  }
  if (domain === '') {
    if (!(op in OP_SINCE)) problems.push({ graph, node: who, message: `${op} is not an ai.onnx operator` });
    else if (!opExistsAt(op, v)) problems.push({ graph, node: who, message: OP_REMOVED[op] !== undefined && v >= OP_REMOVED[op] ? `${op} was removed from ai.onnx at opset ${OP_REMOVED[op]} (the model imports ${v})` : `${op} exists from opset ${OP_SINCE[op]}, the model imports ${v}` });
    else for (const r of RULES[op] ?? []) {
      const m = r.check(n, v);
      if (m) problems.push({ graph, node: who, message: `${m} (opset ${v})` });
    }
  }
}

/** A one-line summary of the first problems, for errors. */
export function describeProblems(problems: CheckProblem[], max = 5): string {
  return problems.slice(0, max).map((p) => `${p.graph}${p.node ? ` ${p.node}` : ''}: ${p.message}`).join('; ') + (problems.length > max ? `; and ${problems.length - max} more` : '');
}
