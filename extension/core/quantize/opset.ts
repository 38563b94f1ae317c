import { onnx } from 'onnx-proto';
import { toNumber } from '../onnx/model';
import { DT, Names, QuantizeError, eachGraph, tensor } from './tensors';

/**
 * Upgrades a model's ai.onnx opset, as onnx.version_converter does for the ops below, so the quantizer can add
 * operators that only exist at the higher version (QuantizeLinear 10, DynamicQuantizeLinear 11, per-axis
 * Q/DQ 13). Every op whose signature changes between the model's version and the target is rewritten
 * (attributes that became inputs, renamed or reshaped ops); an op whose change is not handled here is refused
 * with its name, never passed through unchanged. ONNX Runtime's tool upgrades models below 10 to 11.
 */

type Node = onnx.INodeProto;
type Graph = onnx.IGraphProto;

const getAttr = (n: Node, k: string) => (n.attribute ?? []).find((a) => a.name === k);
const ints = (n: Node, k: string) => getAttr(n, k)?.ints?.map((v) => toNumber(v));
const dropAttrs = (n: Node, keys: string[]) => (n.attribute = (n.attribute ?? []).filter((a) => !keys.includes(a.name ?? '')));
const setAttr = (n: Node, a: onnx.IAttributeProto) => {
  dropAttrs(n, [a.name ?? '']);
  n.attribute = [...(n.attribute ?? []), a];
};
const clampI64 = (x: number) => BigInt(Math.max(-(2 ** 62), Math.min(2 ** 62, Math.trunc(x))));

/** Ops whose semantics change between opsets in ways this converter does not rewrite. */
const NOT_CONVERTED: Record<string, number> = {
  // (op → the version at which its change would need a rewrite)
  Scan: 9, // Scan-8 has batch semantics, Scan-9 does not
  GRU: 7, LSTM: 7, RNN: 7, // below 7 only
  Upsample: 7,
  ReduceMean: 18, ReduceMax: 18, ReduceMin: 18, ReduceProd: 18, ReduceL1: 18, ReduceL2: 18, ReduceLogSum: 18, ReduceLogSumExp: 18, ReduceSumSquare: 18,
  Split: 18, // Split-18 requires num_outputs when split is not given
  Pad: 18, Resize: 18, ScatterElements: 18, ScatterND: 18, GroupNormalization: 21,
};

export interface OpsetUpgrade {
  from: number;
  to: number;
  /** Ops rewritten, for the report (e.g. "Clip ×3 (bounds → inputs)"). */
  rewritten: Record<string, number>;
}

export function defaultOpsetOf(model: onnx.IModelProto): number {
  const imp = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return imp ? toNumber(imp.version) : 1;
}

/**
 * Upgrades `model` in place to ai.onnx `target` when it is below; returns what changed, or undefined when the
 * model was already there. Throws a QuantizeError naming the op when an op cannot be converted.
 */
export function upgradeOpset(model: onnx.ModelProto, target: number): OpsetUpgrade | undefined {
  const from = defaultOpsetOf(model);
  if (from >= target) return undefined;
  if (from < 7) throw new QuantizeError(`opset ${from} is older than 7: convert the model with onnx.version_converter to opset ≥ 11 first`);
  if (target > 17) throw new QuantizeError(`upgrading to opset ${target} is not supported (ReduceX axes and Split change at 18)`);
  const names = new Names(model.graph as Graph);
  const rewritten: Record<string, number> = {};
  const bad = new Map<string, string>();
  eachGraph(model.graph as Graph, (g) => {
    for (const n of g.node ?? []) {
      if (n.domain && n.domain !== 'ai.onnx') continue;
      const op = n.opType ?? '';
      const at = NOT_CONVERTED[op];
      if (at !== undefined && from < at && target >= at) bad.set(op, `${op} changes at opset ${at}`);
    }
  });
  if (bad.size) throw new QuantizeError(`cannot upgrade from opset ${from} to ${target}: ${[...bad.values()].join('; ')}, which this converter does not rewrite (convert it with onnx.version_converter first)`);
  eachGraph(model.graph as Graph, (g) => {
    const out: Node[] = [];
    for (const n of g.node ?? []) {
      if (n.domain && n.domain !== 'ai.onnx') { out.push(n); continue; }
      const done = convertNode(n, g, from, target, names, out);
      if (done) rewritten[done] = (rewritten[done] ?? 0) + 1;
    }
    g.node = out as onnx.NodeProto[];
  });
  const imp = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (imp) imp.version = target;
  else model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: '', version: target }));
  // IR version: opset 11 needs IR 6, 13 needs IR 7 (onnxruntime checks the pair).
  const ir = target >= 15 ? 8 : target >= 13 ? 7 : target >= 11 ? 6 : 5;
  if (toNumber(model.irVersion) < ir) model.irVersion = ir;
  return { from, to: target, rewritten };
}

/** The legacy upgrade this module used to do: to 10 at least (kept for callers that want exactly that). */
export function upgradeToOpset10(model: onnx.ModelProto): { from: number } | undefined {
  const r = upgradeOpset(model, 10);
  return r ? { from: r.from } : undefined;
}

/** Rewrites one node for the upgrade, pushing it (and any helper nodes) to `out`; returns a label if it changed. */
function convertNode(n: Node, g: Graph, from: number, to: number, names: Names, out: Node[]): string | undefined {
  const op = n.opType ?? '';
  const base = n.name || n.output?.[0] || op;
  const init = (suffix: string, t: onnx.TensorProto) => {
    g.initializer = [...(g.initializer ?? []), t];
    return t.name;
  };
  const i64 = (suffix: string, v: number[]) => init(suffix, tensor(names.make(`${base}_${suffix}`), DT.INT64, [v.length], BigInt64Array.from(v.map(clampI64))));
  const f32 = (suffix: string, v: number) => init(suffix, tensor(names.make(`${base}_${suffix}`), DT.FLOAT, [], Float32Array.of(v)));
  const crosses = (v: number) => from < v && to >= v;
  let label: string | undefined;

  if (op === 'BatchNormalization' && (n.attribute ?? []).some((a) => ['spatial', 'consumed_inputs', 'is_test'].includes(a.name ?? ''))) {
    dropAttrs(n, ['spatial', 'consumed_inputs', 'is_test']);
    label = 'BatchNormalization (legacy attributes dropped)';
  }
  if (op === 'Slice' && crosses(10) && getAttr(n, 'starts')) {
    const starts = ints(n, 'starts') ?? [];
    const ends = ints(n, 'ends') ?? [];
    const axes = ints(n, 'axes');
    n.input = [n.input?.[0] ?? '', i64('starts', starts) as string, i64('ends', ends) as string, ...(axes ? [i64('axes', axes) as string] : [])];
    dropAttrs(n, ['starts', 'ends', 'axes']);
    label = 'Slice (starts/ends/axes → inputs)';
  }
  if (op === 'TopK' && crosses(10) && getAttr(n, 'k')) {
    const k = toNumber(getAttr(n, 'k')?.i);
    n.input = [n.input?.[0] ?? '', i64('k', [k]) as string];
    dropAttrs(n, ['k']);
    label = 'TopK (k → input)';
  }
  if (op === 'Upsample' && to >= 10) {
    // Upsample is deprecated at 10: Resize-10 takes the same X and scales.
    const scales = getAttr(n, 'scales')?.floats;
    const sc = scales ? (init('scales', tensor(names.make(`${base}_scales`), DT.FLOAT, [scales.length], Float32Array.from(scales))) as string) : (n.input?.[1] ?? '');
    n.opType = 'Resize';
    n.input = [n.input?.[0] ?? '', sc];
    dropAttrs(n, ['scales']);
    if (!getAttr(n, 'mode')) setAttr(n, { name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from('nearest') });
    label = 'Upsample → Resize';
    if (to >= 11) resize10to11(n, to, i64, f32, names, g);
  } else if (op === 'Resize' && crosses(11)) {
    resize10to11(n, to, i64, f32, names, g);
    label = 'Resize-10 → Resize-11 (asymmetric coordinates kept)';
  }
  if (op === 'Clip' && crosses(11)) {
    const min = getAttr(n, 'min')?.f;
    const max = getAttr(n, 'max')?.f;
    const ins = [n.input?.[0] ?? '', min !== undefined && min !== null && getAttr(n, 'min') ? (f32('min', min) as string) : '', max !== undefined && max !== null && getAttr(n, 'max') ? (f32('max', max) as string) : ''];
    while (ins.length > 1 && !ins[ins.length - 1]) ins.pop();
    n.input = ins;
    dropAttrs(n, ['min', 'max']);
    label = 'Clip (min/max → inputs)';
  }
  if (op === 'Pad' && crosses(11)) {
    const pads = ints(n, 'pads') ?? ints(n, 'paddings') ?? [];
    const value = getAttr(n, 'value')?.f ?? 0;
    n.input = [n.input?.[0] ?? '', i64('pads', pads) as string, ...(value ? [f32('value', value) as string] : [])];
    dropAttrs(n, ['pads', 'paddings', 'value']);
    label = 'Pad (pads/value → inputs)';
  }
  if (op === 'Scatter' && crosses(11)) {
    n.opType = 'ScatterElements';
    label = 'Scatter → ScatterElements';
  }
  if (op === 'Dropout' && crosses(12) && getAttr(n, 'ratio')) {
    dropAttrs(n, ['ratio']); // inference: Dropout is the identity whatever the ratio
    label = 'Dropout (ratio dropped: inference)';
  }
  if ((op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum') && crosses(13) && getAttr(n, 'axes')) {
    n.input = [n.input?.[0] ?? '', i64('axes', ints(n, 'axes') ?? []) as string];
    dropAttrs(n, ['axes']);
    label = `${op} (axes → input)`;
  }
  if (op === 'Split' && crosses(13) && getAttr(n, 'split')) {
    n.input = [n.input?.[0] ?? '', i64('split', ints(n, 'split') ?? []) as string];
    dropAttrs(n, ['split']);
    label = 'Split (split → input)';
  }
  if ((op === 'Softmax' || op === 'LogSoftmax' || op === 'Hardmax') && crosses(13)) {
    // Below 13 these flatten the input to 2-D at `axis` (default 1); from 13 they work along one axis
    // (default -1). Same result when the axis is the last one; otherwise Flatten → op(-1) → Reshape back.
    const axis = getAttr(n, 'axis') ? toNumber(getAttr(n, 'axis')?.i) : 1;
    if (axis === -1) {
      out.push(n);
      return label;
    }
    const x = n.input?.[0] ?? '';
    const y = n.output?.[0] ?? '';
    const flat = names.make(`${base}_flat`);
    const soft = names.make(`${base}_2d`);
    const shape = names.make(`${base}_shape`);
    out.push(
      { opType: 'Flatten', name: names.make(`${base}_Flatten`), input: [x], output: [flat], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: axis }] },
      { ...n, input: [flat], output: [soft], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }] },
      { opType: 'Shape', name: names.make(`${base}_Shape`), input: [x], output: [shape] },
      { opType: 'Reshape', name: names.make(`${base}_Reshape`), input: [soft, shape], output: [y] },
    );
    return `${op} (2-D coercion kept: Flatten → ${op} → Reshape)`;
  }
  out.push(n);
  return label;
}

function resize10to11(n: Node, to: number, _i64: (s: string, v: number[]) => string | null | undefined, _f32: (s: string, v: number) => string | null | undefined, names: Names, g: Graph): void {
  // Resize-10 computes out = floor(in × scale) with asymmetric coordinates, nearest rounding down.
  const base = n.name || n.output?.[0] || 'resize';
  let roi = '';
  if (to < 13) {
    roi = names.make(`${base}_roi`);
    g.initializer = [...(g.initializer ?? []), tensor(roi, DT.FLOAT, [0], new Float32Array(0))];
  }
  n.input = [n.input?.[0] ?? '', roi, n.input?.[1] ?? ''];
  const mode = Buffer.from(getAttr(n, 'mode')?.s ?? Buffer.from('nearest')).toString();
  setAttr(n, { name: 'coordinate_transformation_mode', type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from('asymmetric') });
  if (mode === 'nearest') setAttr(n, { name: 'nearest_mode', type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from('floor') });
}
