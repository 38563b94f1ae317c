/**
 * A decoder's shape (what PhoneLM and MobileLLM vary: depth, width, heads and KV heads, FFN size and activation,
 * vocabulary, context, weight format), its validation, its exact parameter count, and its export as a Hugging Face
 * `LlamaConfig`-style JSON for a training framework.
 *
 * The block is the Llama one the sub-billion phone models use (MobileLLM, SmolLM, PhoneLM are all Llama-style
 * in their published config.json): pre-norm RMSNorm, rotary positions (no position parameters), bias-free
 * projections, grouped-query attention, a gated FFN (gate, up, down) with SiLU (SwiGLU; PhoneLM uses ReLU).
 * `norm: 'layer'`, `positions: 'learned'` and `mlp: 'plain'` give the GPT-2 style instead (LayerNorm with a bias,
 * a learned position table, a two-matrix FFN); a Llama config cannot describe those, so their export is refused.
 */

export type Activation = 'silu' | 'gelu' | 'relu';
export type WeightFormat = 'fp32' | 'int8' | 'int4';

export interface DecoderShape {
  layers: number;
  hidden: number;
  heads: number;
  /** Key/value heads (GQA): divides `heads`; default `heads` (multi-head attention). */
  kvHeads?: number;
  /** Default hidden / heads. */
  headDim?: number;
  /** FFN inner size; or `ffnRatio` × hidden rounded to a multiple of 8 (default ratio 8/3 for a gated FFN, 4 plain). */
  ffn?: number;
  ffnRatio?: number;
  /** `silu` (SwiGLU with the gated FFN, as Llama, MobileLLM, SmolLM), `gelu`, `relu` (PhoneLM's gated ReLU). Default silu. */
  activation?: Activation;
  vocab: number;
  /** Longest context the graph holds (rotary/position tables); default 2048. */
  context?: number;
  /** Input embedding and LM head share one matrix (MobileLLM's share_embedding, SmolLM, PhoneLM). Default true. */
  tiedEmbeddings?: boolean;
  /** Weight format of the projections and the LM head. Default fp32. */
  weights?: WeightFormat;
  /** Default 'rms' (RMSNorm, eps 1e-5). */
  norm?: 'rms' | 'layer';
  /** Default 'rope' (rotary, theta 10000). */
  positions?: 'rope' | 'learned';
  /** Default 'gated' (gate·up → down). */
  mlp?: 'gated' | 'plain';
  /** Seed of the random weights (default 0). */
  seed?: number;
}

/** A shape with every default filled in. */
export interface FullShape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  activation: Activation;
  vocab: number;
  context: number;
  tiedEmbeddings: boolean;
  weights: WeightFormat;
  norm: 'rms' | 'layer';
  positions: 'rope' | 'learned';
  mlp: 'gated' | 'plain';
  seed: number;
}

export const RMS_NORM_EPS = 1e-5;
export const ROPE_THETA = 10000;

/** A shape the builder cannot make; the message says which field and why. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

const ACTS: readonly Activation[] = ['silu', 'gelu', 'relu'];
const FORMATS: readonly WeightFormat[] = ['fp32', 'int8', 'int4'];

function posInt(v: unknown, field: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ShapeError(`${field} must be a positive integer (got ${JSON.stringify(v)})`);
  if (v > max) throw new ShapeError(`${field} ${v} is larger than ${max}: not a small language model this tool can build`);
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, options: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !options.includes(v as T)) throw new ShapeError(`${field} must be one of ${options.join(', ')} (got ${JSON.stringify(v)})`);
  return v as T;
}

/** Checks a shape and fills the defaults; throws ShapeError naming the first nonsense field. */
export function normalizeShape(s: DecoderShape): FullShape {
  if (!s || typeof s !== 'object') throw new ShapeError('a shape must be an object with layers, hidden, heads, vocab…');
  const known = new Set(['layers', 'hidden', 'heads', 'kvHeads', 'headDim', 'ffn', 'ffnRatio', 'activation', 'vocab', 'context', 'tiedEmbeddings', 'weights', 'norm', 'positions', 'mlp', 'seed']);
  const unknown = Object.keys(s).filter((k) => !known.has(k));
  if (unknown.length) throw new ShapeError(`unknown shape field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const layers = posInt(s.layers, 'layers', 512);
  const hidden = posInt(s.hidden, 'hidden', 16384);
  const heads = posInt(s.heads, 'heads', 256);
  const kvHeads = s.kvHeads === undefined ? heads : posInt(s.kvHeads, 'kvHeads', 256);
  if (kvHeads > heads) throw new ShapeError(`kvHeads ${kvHeads} is more than heads ${heads}: each key/value head serves a group of query heads`);
  if (heads % kvHeads) throw new ShapeError(`kvHeads ${kvHeads} does not divide heads ${heads}: grouped-query attention needs heads = kvHeads × group size`);
  if (s.headDim === undefined && hidden % heads) throw new ShapeError(`heads ${heads} does not divide hidden ${hidden}: give headDim explicitly or choose heads that divide hidden`);
  const headDim = s.headDim === undefined ? hidden / heads : posInt(s.headDim, 'headDim', 1024);
  const positions = oneOf(s.positions, 'positions', ['rope', 'learned'] as const, 'rope');
  if (positions === 'rope' && headDim % 2) throw new ShapeError(`headDim ${headDim} is odd: rotary positions rotate pairs of dimensions, so the head size must be even`);
  const mlp = oneOf(s.mlp, 'mlp', ['gated', 'plain'] as const, 'gated');
  if (s.ffn !== undefined && s.ffnRatio !== undefined) throw new ShapeError('give ffn or ffnRatio, not both');
  let ffn: number;
  if (s.ffn !== undefined) ffn = posInt(s.ffn, 'ffn', 65536);
  else {
    const ratio = s.ffnRatio ?? (mlp === 'gated' ? 8 / 3 : 4);
    if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0 || ratio > 16) throw new ShapeError(`ffnRatio must be a number in (0, 16] (got ${JSON.stringify(s.ffnRatio)})`);
    ffn = Math.max(8, Math.round((ratio * hidden) / 8) * 8);
  }
  const vocab = posInt(s.vocab, 'vocab', 1 << 20);
  const context = s.context === undefined ? 2048 : posInt(s.context, 'context', 1 << 20);
  if (s.tiedEmbeddings !== undefined && typeof s.tiedEmbeddings !== 'boolean') throw new ShapeError(`tiedEmbeddings must be true or false (got ${JSON.stringify(s.tiedEmbeddings)})`);
  const seed = s.seed === undefined ? 0 : s.seed;
  if (!Number.isInteger(seed) || seed < 0) throw new ShapeError(`seed must be a non-negative integer (got ${JSON.stringify(s.seed)})`);
  const weights = oneOf(s.weights, 'weights', FORMATS, 'fp32');
  if (weights === 'int4' && hidden < 16) throw new ShapeError(`int4 weights (MatMulNBits, blocks of 32) need hidden ≥ 16 (got ${hidden})`);
  return {
    layers, hidden, heads, kvHeads, headDim, ffn, vocab, context, seed, weights, positions, mlp,
    activation: oneOf(s.activation, 'activation', ACTS, 'silu'),
    tiedEmbeddings: s.tiedEmbeddings ?? true,
    norm: oneOf(s.norm, 'norm', ['rms', 'layer'] as const, 'rms'),
  };
}

export interface ParamCount {
  /** Token embedding (V·H), plus the untied LM head (H·V) and a learned position table (context·H) when present. */
  embeddings: number;
  /** q, k, v, o projections over all layers. */
  attention: number;
  ffn: number;
  /** Every norm's weight (and LayerNorm's bias). */
  norms: number;
  total: number;
  /** total − embeddings: what MobileLLM's tables call the non-embedding parameters. */
  nonEmbedding: number;
}

/** Exact parameter count, as `sum(p.numel() for p in model.parameters())` counts a tied matrix once. */
export function countParams(shape: DecoderShape | FullShape): ParamCount {
  const s = normalizeShape(shape as DecoderShape);
  const embeddings = s.vocab * s.hidden * (s.tiedEmbeddings ? 1 : 2) + (s.positions === 'learned' ? s.context * s.hidden : 0);
  const q = s.hidden * s.heads * s.headDim;
  const kv = 2 * s.hidden * s.kvHeads * s.headDim;
  const attention = s.layers * (2 * q + kv);
  const ffn = s.layers * (s.mlp === 'gated' ? 3 : 2) * s.hidden * s.ffn;
  const normSize = s.norm === 'rms' ? s.hidden : 2 * s.hidden;
  const norms = (2 * s.layers + 1) * normSize;
  const total = embeddings + attention + ffn + norms;
  return { embeddings, attention, ffn, norms, total, nonEmbedding: total - embeddings };
}

/** What one ONNX file can hold without external data (protobuf's 2 GiB), less room for the graph. */
const MAX_FLOAT_BYTES = 2 ** 31 - 64 * 2 ** 20;

/**
 * Whether the builder can make the shape: its weights are made in float32 in memory and written as one file
 * without external data (ONNX's protobuf holds at most 2 GiB), before any int8/int4 rewrite.
 */
export function assertBuildable(shape: DecoderShape | FullShape): void {
  const n = countParams(shape).total;
  if (n * 4 > MAX_FLOAT_BYTES) throw new ShapeError(`the shape has ${(n / 1e6).toFixed(1)} M parameters: ${((n * 4) / 2 ** 30).toFixed(2)} GiB of float32 weights, more than the 2 GiB one ONNX file holds; this builder makes decoders up to ${Math.floor(MAX_FLOAT_BYTES / 4 / 1e6)} M parameters`);
}

/** A stable key of what decides the measured speed (the seed does not). */
export function shapeKey(shape: DecoderShape | FullShape): string {
  const s = normalizeShape(shape as DecoderShape);
  return [
    `L${s.layers}`, `H${s.hidden}`, `h${s.heads}`, `kv${s.kvHeads}`, `d${s.headDim}`, `f${s.ffn}`, s.activation, `V${s.vocab}`, `ctx${s.context}`,
    s.tiedEmbeddings ? 'tied' : 'untied', s.weights, s.norm, s.positions, s.mlp,
  ].join('-');
}

/** One line a person reads: `int4 30×576 (9 heads, 3 KV) ffn 1536 silu, V 32000, int4`. */
export function describeShape(shape: DecoderShape | FullShape): string {
  const s = normalizeShape(shape as DecoderShape);
  return `${s.weights} ${s.layers}×${s.hidden} (${s.heads} heads, ${s.kvHeads} KV, head ${s.headDim}) ffn ${s.ffn} ${s.activation}${s.mlp === 'plain' ? ' plain' : ''}, V ${s.vocab}, ctx ${s.context}${s.tiedEmbeddings ? ', tied' : ''}`;
}

/**
 * The shape as a training framework's config: the keys of transformers' `LlamaConfig`
 * (configuration_llama.py: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
 * num_key_value_heads, head_dim, hidden_act, max_position_embeddings, rms_norm_eps, rope_theta,
 * tie_word_embeddings, vocab_size, attention_bias, mlp_bias), with `architectures`/`model_type` as a saved
 * config.json has them. The weight format is not part of a training config; it is kept under a `mobileai` key.
 */
export function shapeConfigJson(shape: DecoderShape | FullShape): Record<string, unknown> {
  const s = normalizeShape(shape as DecoderShape);
  const notLlama = [s.norm !== 'rms' && 'LayerNorm', s.positions !== 'rope' && 'learned positions', s.mlp !== 'gated' && 'a plain (ungated) FFN'].filter(Boolean);
  if (notLlama.length) throw new ShapeError(`a Llama config cannot describe ${notLlama.join(', ')}: export the shape with norm 'rms', positions 'rope' and mlp 'gated'`);
  const params = countParams(s);
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: s.hidden,
    intermediate_size: s.ffn,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    head_dim: s.headDim,
    hidden_act: s.activation,
    max_position_embeddings: s.context,
    vocab_size: s.vocab,
    tie_word_embeddings: s.tiedEmbeddings,
    rms_norm_eps: RMS_NORM_EPS,
    rope_theta: ROPE_THETA,
    attention_bias: false,
    mlp_bias: false,
    initializer_range: 0.02,
    use_cache: true,
    torch_dtype: 'float32',
    mobileai: { source: 'mobileai llm explore', params: params.total, nonEmbeddingParams: params.nonEmbedding, weightsMeasuredAs: s.weights },
  };
}

/**
 * A shape from a Hugging Face config.json (LlamaConfig keys; MobileLLM's `share_embedding` counts as tied, as its
 * modeling code reuses the embedding for the head). Fields the config lacks take the shape's defaults.
 */
export function shapeFromConfigJson(cfg: Record<string, unknown>, weights: WeightFormat = 'fp32'): FullShape {
  const num = (k: string): number | undefined => (typeof cfg[k] === 'number' ? (cfg[k] as number) : undefined);
  const act = cfg.hidden_act;
  if (act !== undefined && act !== 'silu' && act !== 'gelu' && act !== 'relu') throw new ShapeError(`hidden_act ${JSON.stringify(act)} is not one of silu, gelu, relu`);
  const shape: DecoderShape = {
    layers: num('num_hidden_layers') as number, hidden: num('hidden_size') as number, heads: num('num_attention_heads') as number,
    kvHeads: num('num_key_value_heads'), headDim: num('head_dim'), ffn: num('intermediate_size'), activation: act as Activation | undefined,
    vocab: num('vocab_size') as number, context: num('max_position_embeddings'),
    tiedEmbeddings: cfg.tie_word_embeddings === true || cfg.share_embedding === true, weights,
  };
  for (const k of Object.keys(shape) as Array<keyof DecoderShape>) if (shape[k] === undefined) delete shape[k];
  return normalizeShape(shape);
}
