/**
 * Writes a decoder ONNX graph of a given shape with random (seeded) weights: standard ai.onnx ops at opset 17,
 * inputs `input_ids`, `attention_mask` (past + new tokens), `position_ids`, `past_key_values.N.key/.value`
 * [batch, kv_heads, past_sequence_length, head_dim]; outputs `logits` and `present.N.key/.value` — the names
 * and layout Hugging Face Optimum exports Llama decoders with, so our runner (`discoverDecoder`/`runDecoder`)
 * and onnxruntime-genai-style tools feed it unchanged.
 *
 * Attention is grouped-query without copying K/V: queries are viewed as [batch, kv_heads, group, seq, head_dim]
 * and multiplied against keys [batch, kv_heads, 1, head_dim, total] (MatMul broadcasts the group axis), the
 * mask is causal over past + new tokens and honours attention_mask. int8 weights go through the quantizer's
 * dynamic rewrite (DynamicQuantizeLinear → MatMulInteger, which onnxruntime fuses into DynamicQuantizeMatMul);
 * int4 through its MatMulNBits rewrite (block 32, symmetric). No second packer here.
 */
import { onnx } from 'onnx-proto';
import { rewriteDynamic, rewriteInt4, type RewriteOptions } from '../../quantize/rewrite';
import { checkModel, describeProblems } from '../../onnx/check';
import { Rng } from '../../search/rng';
import { assertBuildable, countParams, normalizeShape, RMS_NORM_EPS, ROPE_THETA, ShapeError, shapeKey, type DecoderShape, type FullShape, type ParamCount } from './shape';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;

type Attr = onnx.IAttributeProto;
const ints = (name: string, v: number[]): Attr => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
const int = (name: string, v: number): Attr => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
const flt = (name: string, v: number): Attr => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v });

class Graph {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inits: onnx.ITensorProto[] = [];
  private n = 0;
  private readonly consts = new Map<string, string>();
  params = 0;
  constructor(private readonly next: () => number) {}

  op(opType: string, inputs: string[], attrs: Attr[] = [], name?: string, outputs = 1): string[] {
    const base = name ?? `${opType.toLowerCase()}_${this.n++}`;
    const outs = outputs === 1 ? [base] : Array.from({ length: outputs }, (_, i) => `${base}_${i}`);
    this.nodes.push({ opType, name: `${base}_node`, input: inputs, output: outs, attribute: attrs });
    return outs;
  }

  o(opType: string, inputs: string[], attrs: Attr[] = [], name?: string): string {
    return this.op(opType, inputs, attrs, name)[0];
  }

  /** A learned weight: uniform with the standard deviation of HF's init (0.02), or a constant fill. */
  weight(name: string, dims: number[], fill?: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    if (fill !== undefined) data.fill(fill);
    else {
      const a = 0.02 * Math.sqrt(3);
      for (let i = 0; i < count; i++) data[i] = (this.next() * 2 - 1) * a;
    }
    this.params += count;
    this.inits.push({ name, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** A non-learned table (rotary cos/sin). */
  table(name: string, dims: number[], data: Float32Array): string {
    this.inits.push({ name, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  i64(values: number[], scalar = false): string {
    const key = `i64:${scalar ? 's' : 'v'}:${values.join(',')}`;
    const hit = this.consts.get(key);
    if (hit) return hit;
    const name = `const_i64_${this.consts.size}`;
    this.inits.push({ name, dataType: INT64, dims: scalar ? [] : [values.length], rawData: new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer) });
    this.consts.set(key, name);
    return name;
  }

  f32(value: number): string {
    const key = `f32:${value}`;
    const hit = this.consts.get(key);
    if (hit) return hit;
    const name = `const_f32_${this.consts.size}`;
    this.inits.push({ name, dataType: FLOAT, dims: [], rawData: new Uint8Array(Float32Array.of(value).buffer) });
    this.consts.set(key, name);
    return name;
  }
}

export interface BuiltDecoder {
  model: onnx.ModelProto;
  shape: FullShape;
  params: ParamCount;
  /** Weights the graph actually holds, counted while building (equals params.total: a self-check). */
  builtParams: number;
  /** Projections rewritten to int8/int4 (0 for fp32). */
  quantizedMatMuls: number;
  notes: string[];
}

/** The decoder as an in-memory ONNX model (checked structurally). */
export function buildDecoderModel(shape: DecoderShape): BuiltDecoder {
  const s = normalizeShape(shape);
  assertBuildable(s);
  const r = new Rng(s.seed * 2654435761 + 1);
  const g = new Graph(() => r.next());
  const { hidden: H, heads, kvHeads: KV, headDim: D, vocab: V, ffn: F } = s;
  const group = heads / KV;

  // Embedding. Tied: one [hidden, vocab] matrix is both the LM head's MatMul weight and, read along axis 1, the
  // token embedding (so int4 can rewrite the head's MatMul; the embedding keeps reading the float matrix).
  let x: string;
  let head: string;
  if (s.tiedEmbeddings) {
    head = g.weight('lm_head.weight_tied', [H, V]);
    x = g.o('Transpose', [g.o('Gather', [head, 'input_ids'], [int('axis', 1)], 'embed_tokens')], [ints('perm', [1, 2, 0])], 'embed_tokens_bsh');
  } else {
    x = g.o('Gather', [g.weight('model.embed_tokens.weight', [V, H]), 'input_ids'], [], 'embed_tokens');
    head = g.weight('lm_head.weight', [H, V]);
  }
  let cos = '';
  let sin = '';
  if (s.positions === 'learned') {
    x = g.o('Add', [x, g.o('Gather', [g.weight('model.embed_positions.weight', [s.context, H]), 'position_ids'], [], 'embed_positions')]);
  } else {
    // HF's rotary: inv_freq = theta^(-2i/d), cos/sin over [context, d] with the halves repeated (rotate_half layout).
    const c = new Float32Array(s.context * D);
    const sn = new Float32Array(s.context * D);
    for (let p = 0; p < s.context; p++) {
      for (let i = 0; i < D / 2; i++) {
        const a = p * Math.pow(ROPE_THETA, (-2 * i) / D);
        c[p * D + i] = c[p * D + i + D / 2] = Math.cos(a);
        sn[p * D + i] = sn[p * D + i + D / 2] = Math.sin(a);
      }
    }
    const ax1 = g.i64([1]);
    cos = g.o('Unsqueeze', [g.o('Gather', [g.table('rope.cos', [s.context, D], c), 'position_ids'], [], 'rope_cos_gather'), ax1], [], 'rope_cos');
    sin = g.o('Unsqueeze', [g.o('Gather', [g.table('rope.sin', [s.context, D], sn), 'position_ids'], [], 'rope_sin_gather'), ax1], [], 'rope_sin');
  }

  // Mask bias [batch, 1, 1, seq, total]: key j is visible to query i (at absolute past+i) when j ≤ past+i and attention_mask[j] = 1.
  const seqLen = g.o('Gather', [g.o('Shape', ['input_ids']), g.i64([1], true)], [], 'seq_len');
  const total = g.o('Gather', [g.o('Shape', ['attention_mask']), g.i64([1], true)], [], 'total_len');
  const pastLen = g.o('Sub', [total, seqLen], [], 'past_len');
  const keyIdx = g.o('Range', [g.i64([0], true), total, g.i64([1], true)], [], 'key_positions');
  const qIdx = g.o('Unsqueeze', [g.o('Range', [pastLen, total, g.i64([1], true)], [], 'query_positions_1d'), g.i64([1])], [], 'query_positions');
  const causal = g.o('LessOrEqual', [keyIdx, qIdx], [], 'causal');
  const padMask = g.o('Unsqueeze', [g.o('Cast', ['attention_mask'], [int('to', BOOL)]), g.i64([1, 2, 3])], [], 'pad_mask');
  const visible = g.o('And', [causal, padMask], [], 'visible');
  const maskBias = g.o('Where', [visible, g.f32(0), g.f32(-1e9)], [], 'mask_bias');

  const norm = (inp: string, prefix: string): string => {
    if (s.norm === 'layer') {
      return g.o('LayerNormalization', [inp, g.weight(`${prefix}.weight`, [H], 1), g.weight(`${prefix}.bias`, [H], 0)], [int('axis', -1), flt('epsilon', RMS_NORM_EPS)], prefix);
    }
    // RMSNorm as HF exports it: x / sqrt(mean(x²) + eps) · w (onnxruntime fuses it into SimplifiedLayerNormalization).
    const ms = g.o('ReduceMean', [g.o('Pow', [inp, g.f32(2)])], [ints('axes', [-1]), int('keepdims', 1)]);
    const rms = g.o('Sqrt', [g.o('Add', [ms, g.f32(RMS_NORM_EPS)])]);
    return g.o('Mul', [g.o('Div', [inp, rms]), g.weight(`${prefix}.weight`, [H], 1)], [], prefix);
  };
  const act = (inp: string): string => {
    if (s.activation === 'relu') return g.o('Relu', [inp]);
    if (s.activation === 'silu') return g.o('Mul', [inp, g.o('Sigmoid', [inp])]);
    // Exact GELU: 0.5·x·(1 + erf(x/√2)) (Gelu is an ai.onnx op only from opset 20).
    return g.o('Mul', [g.o('Mul', [inp, g.f32(0.5)]), g.o('Add', [g.o('Erf', [g.o('Div', [inp, g.f32(Math.SQRT2)])]), g.f32(1)])]);
  };
  const rope = (t: string): string => {
    if (s.positions !== 'rope') return t;
    const [a, b] = g.op('Split', [t, g.i64([D / 2, D / 2])], [int('axis', -1)], undefined, 2);
    const rotated = g.o('Concat', [g.o('Neg', [b]), a], [int('axis', -1)]);
    return g.o('Add', [g.o('Mul', [t, cos]), g.o('Mul', [rotated, sin])]);
  };
  const heads4 = (t: string, n: number): string => g.o('Transpose', [g.o('Reshape', [t, g.i64([0, 0, n, D])])], [ints('perm', [0, 2, 1, 3])]);

  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}`;
    const h = norm(x, `${p}.input_layernorm`);
    const q = rope(heads4(g.o('MatMul', [h, g.weight(`${p}.self_attn.q_proj.weight`, [H, heads * D])], [], `${p}.self_attn.q_proj`), heads));
    const k = rope(heads4(g.o('MatMul', [h, g.weight(`${p}.self_attn.k_proj.weight`, [H, KV * D])], [], `${p}.self_attn.k_proj`), KV));
    const v = heads4(g.o('MatMul', [h, g.weight(`${p}.self_attn.v_proj.weight`, [H, KV * D])], [], `${p}.self_attn.v_proj`), KV);
    const presentK = g.o('Concat', [`past_key_values.${l}.key`, k], [int('axis', 2)], `present.${l}.key`);
    const presentV = g.o('Concat', [`past_key_values.${l}.value`, v], [int('axis', 2)], `present.${l}.value`);
    const q5 = g.o('Reshape', [g.o('Mul', [q, g.f32(1 / Math.sqrt(D))]), g.i64([0, KV, group, -1, D])]);
    const kT = g.o('Transpose', [g.o('Unsqueeze', [presentK, g.i64([2])])], [ints('perm', [0, 1, 2, 4, 3])]);
    const v5 = g.o('Unsqueeze', [presentV, g.i64([2])]);
    const probs = g.o('Softmax', [g.o('Add', [g.o('MatMul', [q5, kT]), maskBias])], [int('axis', -1)]);
    const ctx = g.o('Reshape', [g.o('Transpose', [g.o('MatMul', [probs, v5])], [ints('perm', [0, 3, 1, 2, 4])]), g.i64([0, 0, heads * D])]);
    x = g.o('Add', [x, g.o('MatMul', [ctx, g.weight(`${p}.self_attn.o_proj.weight`, [heads * D, H])], [], `${p}.self_attn.o_proj`)]);
    const m = norm(x, `${p}.post_attention_layernorm`);
    const up = g.o('MatMul', [m, g.weight(`${p}.mlp.up_proj.weight`, [H, F])], [], `${p}.mlp.up_proj`);
    const inner = s.mlp === 'gated' ? g.o('Mul', [act(g.o('MatMul', [m, g.weight(`${p}.mlp.gate_proj.weight`, [H, F])], [], `${p}.mlp.gate_proj`)), up]) : act(up);
    x = g.o('Add', [x, g.o('MatMul', [inner, g.weight(`${p}.mlp.down_proj.weight`, [F, H])], [], `${p}.mlp.down_proj`)]);
  }
  g.o('MatMul', [norm(x, 'model.norm'), head], [], 'logits');

  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const vi = (name: string, elemType: number, dims: Array<number | string>): onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } } });
  const inputs = [vi('input_ids', INT64, ['batch_size', 'sequence_length']), vi('attention_mask', INT64, ['batch_size', 'total_sequence_length']), vi('position_ids', INT64, ['batch_size', 'sequence_length'])];
  const outputs = [vi('logits', FLOAT, ['batch_size', 'sequence_length', V])];
  for (let l = 0; l < s.layers; l++) {
    for (const kind of ['key', 'value']) {
      inputs.push(vi(`past_key_values.${l}.${kind}`, FLOAT, ['batch_size', KV, 'past_sequence_length', D]));
      outputs.push(vi(`present.${l}.${kind}`, FLOAT, ['batch_size', KV, 'total_sequence_length', D]));
    }
  }
  const model = onnx.ModelProto.fromObject({
    irVersion: 8,
    producerName: 'mobile-ai-studio',
    producerVersion: 'llm-shapes/1',
    docString: `random-weight decoder ${shapeKey(s)} (seed ${s.seed}) for timing, not for text`,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'decoder', node: g.nodes, initializer: g.inits, input: inputs, output: outputs },
  } as Record<string, unknown>);
  const params = countParams(s);
  if (g.params !== params.total) throw new Error(`internal: the graph holds ${g.params} parameters but the count says ${params.total}`);
  const notes = [`${s.norm === 'rms' ? 'RMSNorm' : 'LayerNorm'}, ${s.positions === 'rope' ? 'rotary positions' : 'learned positions'}, ${s.mlp === 'gated' ? `gated FFN (${s.activation})` : `FFN (${s.activation})`}, ${s.kvHeads < s.heads ? `grouped-query attention (${s.heads} query heads over ${s.kvHeads} KV heads)` : 'multi-head attention'}; random weights, seed ${s.seed}`];
  let quantizedMatMuls = 0;
  if (s.weights !== 'fp32') {
    const opts: RewriteOptions = {
      perChannel: true, symmetricWeights: true, activationType: 'uint8', symmetricActivations: false, reduceRange: false,
      blockSize: 32, int4Symmetric: true, excludeNodes: [], excludeOpTypes: [], keepFirstLast: false,
    };
    // Only the projections and the LM head (MatMuls with a weight initializer); attention's MatMuls read activations.
    const stats = s.weights === 'int4' ? rewriteInt4(model, opts) : rewriteDynamic(model, opts);
    quantizedMatMuls = stats.quantizedNodes.length;
    notes.push(s.weights === 'int4'
      ? `int4 weight-only: ${quantizedMatMuls} MatMuls → com.microsoft MatMulNBits (block 32, symmetric)${s.tiedEmbeddings ? '; the tied embedding still reads the float matrix' : '; the embedding stays float'}`
      : `int8 dynamic: ${quantizedMatMuls} MatMuls → DynamicQuantizeLinear + MatMulInteger (per-channel weights; onnxruntime fuses DynamicQuantizeMatMul)`);
  }
  const problems = checkModel(model);
  if (problems.length) throw new ShapeError(`the built decoder fails the structural check (a bug in the builder): ${describeProblems(problems)}`);
  return { model, shape: s, params, builtParams: g.params, quantizedMatMuls, notes };
}
