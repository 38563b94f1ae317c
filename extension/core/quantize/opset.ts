import { onnx } from 'onnx-proto';
import { toNumber } from '../onnx/model';
import { DT, Names, QuantizeError, tensor } from './tensors';

/** Ops whose meaning changes between opset 7-9 and 10, with the rewrite this upgrader does. */
const UNSUPPORTED_BELOW_10 = new Set(['Upsample', 'Scan', 'If', 'Loop', 'LSTM', 'GRU', 'RNN']);

/**
 * Upgrades a model below opset 10 to opset 10, the first with QuantizeLinear, QLinearConv and MatMulInteger,
 * as ONNX Runtime's tool upgrades before quantizing. Between 7-9 and 10 only BatchNormalization's legacy
 * attributes and Slice (attributes → inputs) change for the ops handled here; a model with other changed
 * ops is refused with the reason instead of being silently altered.
 */
export function upgradeToOpset10(model: onnx.ModelProto): { from: number } | undefined {
  const imp = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const from = imp ? toNumber(imp.version) : 1;
  if (from >= 10) return undefined;
  const g = model.graph as onnx.GraphProto;
  const bad = [...new Set(g.node.filter((n) => !n.domain && UNSUPPORTED_BELOW_10.has(n.opType ?? '')).map((n) => n.opType ?? ''))];
  if (bad.length) throw new QuantizeError(`opset ${from} models need an upgrade to opset 10 before quantizing, and this one uses ${bad.join(', ')}, which the upgrader does not rewrite; convert it with onnx.version_converter first`);
  const names = new Names(g);
  for (const n of g.node) {
    if (n.domain) continue;
    if (n.opType === 'BatchNormalization') {
      n.attribute = (n.attribute ?? []).filter((a) => a.name !== 'spatial' && a.name !== 'consumed_inputs');
    } else if (n.opType === 'Slice') {
      const get = (k: string) => (n.attribute ?? []).find((a) => a.name === k)?.ints?.map((v) => toNumber(v));
      const starts = get('starts');
      const ends = get('ends');
      const axes = get('axes');
      if (!starts || !ends) throw new QuantizeError(`Slice ${n.name} has no starts/ends: cannot upgrade it`);
      const mk = (k: string, v: number[]) => {
        const name = names.make(`${n.name || 'slice'}_${k}`);
        g.initializer.push(tensor(name, DT.INT64, [v.length], BigInt64Array.from(v.map((x) => BigInt(Math.max(-(2 ** 62), Math.min(2 ** 62, x)))))));
        return name;
      };
      n.input = [n.input?.[0] ?? '', mk('starts', starts), mk('ends', ends), ...(axes ? [mk('axes', axes)] : [])];
      n.attribute = [];
    }
  }
  if (imp) imp.version = 10;
  else model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: '', version: 10 }));
  if (toNumber(model.irVersion) < 5) model.irVersion = 5;
  return { from };
}
