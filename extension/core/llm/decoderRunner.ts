/**
 * Our own ONNX decoder runner on the host: prefill over P prompt tokens with an empty KV cache, then D decode
 * steps, each feeding the previous step's `present` outputs back as the next `past` inputs (greedy argmax of
 * the logits picks the next token). Works for any decoder graph with past key/value inputs, discovered by
 * name patterns and declared shapes: split caches (`past_key_values.N.key` / `.value`, `past_key_N`…) and
 * GPT-2's combined `past_N` of shape [2, batch, heads, seq, head_dim].
 * Runs with onnxruntime-node on the host CPU (the virtual phone uses this and says so).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { rng } from '../inputs/data';
import { loadOrt, OrtModelError } from '../profile/ort';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';
import { newRunRecord, statOf, type LlmRunRecord, type LlmStat } from './runRecord';

type Dim = number | string;
type IntType = 'int32' | 'int64';
type FloatType = 'float32' | 'float16';

/** One past input and the present output that feeds it on the next step. */
export interface KvPair {
  past: string;
  present: string;
  /** Layer index parsed from the name (order of appearance when the name has none). */
  layer: number;
  /** `key` / `value` for a split cache, `combined` for GPT-2's stacked [2, …] past. */
  kind: 'key' | 'value' | 'combined';
  /** Declared shape of the past input (symbolic dims by name). */
  dims: Dim[];
  type: FloatType;
  /** Axis that grows with the context. */
  seqAxis: number;
  /** Axis of the batch (1 here), or -1 when none was found. */
  batchAxis: number;
}

export interface DecoderSignature {
  inputIds: string;
  idsType: IntType;
  /** Fed over past + new tokens (total_seq_len): 1 for every real token. */
  attentionMask?: string;
  maskType?: IntType;
  positionIds?: string;
  posType?: IntType;
  logits: string;
  vocabSize: number;
  kv: KvPair[];
  layers: number;
  heads?: number;
  headDim?: number;
  /** e.g. `[batch, heads, seq, head_dim]` or `[2, batch, heads, seq, head_dim] (key and value stacked)`. */
  layout: string;
}

/** The graph is not a decoder with a KV cache; the message names what is missing. */
export class NotADecoderError extends Error {
  constructor(file: string, reason: string) {
    super(`${file} is not a decoder with a KV cache: ${reason}`);
    this.name = 'NotADecoderError';
  }
}

interface ValueMeta {
  name: string;
  isTensor?: boolean;
  type?: string;
  shape?: readonly Dim[];
}

const IDS_RE = /^(input_ids|input|tokens?|token_ids|ids)$/i;
const MASK_RE = /attention_mask|^mask$/i;
const POS_RE = /position_ids|^positions?$/i;
const PAST_RE = /past/i;
const LOGITS_RE = /logits/i;
const SEQ_DIM_RE = /past|seq|len|total|sequence|context|cache/i;
const BATCH_DIM_RE = /batch/i;

function layerOf(name: string): number | undefined {
  const m = /(\d+)(?!.*\d)/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function kindOf(name: string): KvPair['kind'] {
  if (/(^|[._])(key|k)([._]|$)|key/i.test(name) && !/value/i.test(name)) return 'key';
  if (/(^|[._])(value|v)([._]|$)|value/i.test(name)) return 'value';
  return 'combined';
}

/** The present output that matches a past input: same layer, same key/value kind, name with past→present. */
function presentFor(past: string, kind: KvPair['kind'], layer: number | undefined, outputs: ValueMeta[]): string | undefined {
  const candidates = [past.replace(/past_key_values/i, 'present'), past.replace(/past/i, 'present'), past.replace(/past/i, 'present_key_values')];
  for (const c of candidates) if (outputs.some((o) => o.name === c)) return c;
  const same = outputs.filter((o) => /present/i.test(o.name) && layerOf(o.name) === layer && kindOf(o.name) === kind);
  return same.length === 1 ? same[0].name : undefined;
}

function intType(meta: ValueMeta, what: string, file: string): IntType {
  if (meta.type === 'int32' || meta.type === 'int64') return meta.type;
  throw new NotADecoderError(file, `${what} input '${meta.name}' has type ${meta.type ?? 'unknown'}, expected int32 or int64`);
}

/**
 * Finds the decoder's inputs and outputs by name patterns and declared shapes. Throws NotADecoderError naming
 * the missing or unusable input when the graph is not a decoder with a cache.
 */
export function discoverDecoder(inputs: readonly ValueMeta[], outputs: readonly ValueMeta[], file = 'the model'): DecoderSignature {
  const ins = [...inputs];
  const outs = [...outputs];
  const names = ins.map((i) => i.name).join(', ') || 'none';
  const ids = ins.find((i) => IDS_RE.test(i.name)) ?? ins.find((i) => /input_ids|token/i.test(i.name));
  if (!ids) throw new NotADecoderError(file, `no token input (input_ids) among its inputs [${names}]`);
  const idsType = intType(ids, 'the token', file);
  const pasts = ins.filter((i) => PAST_RE.test(i.name));
  if (!pasts.length) throw new NotADecoderError(file, `no past key/value inputs (past_key_values.N.key/value or past_N) among its inputs [${names}]`);
  const logitsMeta = outs.find((o) => LOGITS_RE.test(o.name)) ?? outs.find((o) => !/present/i.test(o.name));
  if (!logitsMeta) throw new NotADecoderError(file, `no logits output among its outputs [${outs.map((o) => o.name).join(', ')}]`);
  const lshape = logitsMeta.shape ?? [];
  const vocab = lshape[lshape.length - 1];
  if (typeof vocab !== 'number' || vocab <= 0) throw new NotADecoderError(file, `the logits output '${logitsMeta.name}' has no fixed vocabulary size (last dim ${String(vocab)})`);

  const kv: KvPair[] = [];
  pasts.forEach((p, order) => {
    const type = p.type;
    if (type !== 'float32' && type !== 'float16') throw new NotADecoderError(file, `past input '${p.name}' has type ${type ?? 'unknown'}; only float32/float16 caches are supported`);
    const dims = [...(p.shape ?? [])];
    if (dims.length < 3) throw new NotADecoderError(file, `past input '${p.name}' has shape [${dims.join(', ')}], expected [batch, heads, seq, head_dim]`);
    const batchAxis = dims.findIndex((d) => typeof d === 'string' && BATCH_DIM_RE.test(d));
    let seqAxis = dims.findIndex((d, i) => i !== batchAxis && typeof d === 'string' && SEQ_DIM_RE.test(d));
    if (seqAxis < 0) {
      const symbolic = dims.map((d, i) => (typeof d === 'string' && i !== batchAxis ? i : -1)).filter((i) => i >= 0);
      if (symbolic.length === 1) seqAxis = symbolic[0];
      else if (dims.length >= 2 && (typeof dims[dims.length - 2] !== 'number' || (dims[dims.length - 2] as number) < 0)) seqAxis = dims.length - 2;
    }
    if (seqAxis < 0) throw new NotADecoderError(file, `past input '${p.name}' has no growing sequence dim (shape [${dims.join(', ')}]); fixed-context caches are not supported by this runner`);
    const unresolved = dims.filter((d, i) => i !== seqAxis && i !== batchAxis && (typeof d !== 'number' || d < 0));
    if (unresolved.length) throw new NotADecoderError(file, `past input '${p.name}' has symbolic dims [${unresolved.join(', ')}] besides batch and sequence`);
    const kind = kindOf(p.name.replace(/past_key_values/i, 'past'));
    const layer = layerOf(p.name);
    const present = presentFor(p.name, kind, layer, outs);
    if (!present) throw new NotADecoderError(file, `past input '${p.name}' has no matching present output among [${outs.map((o) => o.name).join(', ')}]`);
    kv.push({ past: p.name, present, layer: layer ?? order, kind, dims, type, seqAxis, batchAxis });
  });

  const other = ins.filter((i) => i !== ids && !PAST_RE.test(i.name) && !MASK_RE.test(i.name) && !POS_RE.test(i.name));
  if (other.length) throw new NotADecoderError(file, `input${other.length > 1 ? 's' : ''} ${other.map((o) => `'${o.name}'`).join(', ')} ${other.length > 1 ? 'are' : 'is'} not a token, mask, position or past key/value input; this runner cannot feed ${other.length > 1 ? 'them' : 'it'}`);
  const mask = ins.find((i) => MASK_RE.test(i.name));
  const pos = ins.find((i) => POS_RE.test(i.name));

  const first = kv[0];
  const stacked = first.kind === 'combined' && typeof first.dims[0] === 'number' && first.dims[0] === 2 && first.batchAxis !== 0;
  const inner = first.dims.map((_, i) => i).filter((i) => i !== first.seqAxis && i !== first.batchAxis && !(stacked && i === 0));
  const label = (i: number): string => (i === first.batchAxis ? 'batch' : i === first.seqAxis ? 'seq' : stacked && i === 0 ? '2' : inner.length === 2 && i === inner[0] ? 'heads' : inner.length >= 1 && i === inner[inner.length - 1] ? 'head_dim' : String(first.dims[i]));
  const layout = `[${first.dims.map((_, i) => label(i)).join(', ')}]${stacked ? ' (key and value stacked)' : ''}`;
  const headsAxis = inner.length === 2 ? inner[0] : -1;
  const headDimAxis = inner.length >= 1 ? inner[inner.length - 1] : -1;
  const layers = new Set(kv.map((k) => k.layer)).size;
  return {
    inputIds: ids.name,
    idsType,
    attentionMask: mask?.name,
    maskType: mask ? intType(mask, 'the attention mask', file) : undefined,
    positionIds: pos?.name,
    posType: pos ? intType(pos, 'the position', file) : undefined,
    logits: logitsMeta.name,
    vocabSize: vocab,
    kv,
    layers,
    heads: headsAxis >= 0 ? (first.dims[headsAxis] as number) : undefined,
    headDim: headDimAxis >= 0 ? (first.dims[headDimAxis] as number) : undefined,
    layout,
  };
}

/** The prompt: P random token ids in [0, vocab), reproducible for a seed. */
export function promptTokens(count: number, vocab: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => Math.floor(r() * vocab));
}

export interface DecoderRunOptions {
  /** P: prompt tokens of the prefill (default 32). */
  promptTokens?: number;
  /** D: decode steps after the prefill (default 32). */
  genTokens?: number;
  /** Measured repetitions (default 3). */
  repetitions?: number;
  /** Unmeasured warm-up repetitions (default 1). */
  warmup?: number;
  /** onnxruntime intra-op threads (default: the host's CPU count). */
  threads?: number;
  /** Seed of the prompt's token ids (default 0). */
  seed?: number;
  signal?: CancelSignal;
  progress?: ProgressSink;
}

export interface DecoderRepetition {
  prefillMs: number;
  /** Prefill plus picking the first token: the time to first token. */
  timeToFirstTokenMs: number;
  prefillTokensPerSecond: number;
  /** Per-token decode latency, D entries, in ms. */
  decodeLatencyMs: number[];
  decodeTokensPerSecond: number;
  /** The present's sequence length after the prefill (index 0 = P) and after each decode step (P + step). */
  kvLengths: number[];
  /** The first token (from the prefill's logits) then one per decode step: D + 1 ids. */
  generated: number[];
}

export interface DecoderRunResult {
  runner: 'mobileai-onnx';
  modelFile: string;
  modelSizeBytes?: number;
  promptTokens: number;
  genTokens: number;
  repetitions: number;
  warmup: number;
  threads: number;
  seed: number;
  signature: DecoderSignature;
  /** onnxruntime took a zero-length past for the prefill; false means each run warm-started with one masked slot. */
  emptyPastAccepted: boolean;
  modelLoadMs: number;
  prefill: LlmStat;
  decode: LlmStat;
  timeToFirstTokenMs: LlmStat;
  decodeLatencyMs: LlmStat;
  /** Decode latency per step, averaged over the repetitions (D entries, ms): the timeline to see throttling. */
  decodeLatencySeriesMs: number[];
  /** Every measured repetition in full. */
  runs: DecoderRepetition[];
  /** The process's peak resident set (VmHWM from /proc/self/status), when readable. */
  processPeakBytes?: number;
  device: { kind: 'host'; label: string; cpu?: string };
  notes: string[];
}

function check(signal?: CancelSignal): void {
  if (signal?.cancelled) throw new CancelledError('decoder run cancelled');
}

function vmHwm(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function argmaxLast(t: Tensor, vocab: number): number {
  const data = t.data as Float32Array;
  const off = data.length - vocab;
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < vocab; i++) {
    const v = Number(data[off + i]);
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}

/** Loads the model, runs warm-up and measured repetitions of prefill + D decode steps, returns the figures. */
export async function runDecoder(modelFile: string, opts: DecoderRunOptions = {}): Promise<DecoderRunResult> {
  const P = opts.promptTokens ?? 32;
  const D = opts.genTokens ?? 32;
  const reps = opts.repetitions ?? 3;
  const warmup = opts.warmup ?? 1;
  const threads = opts.threads ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(P) || P < 1) throw new RangeError(`prompt tokens P must be a positive integer (got ${P})`);
  if (!Number.isInteger(D) || D < 1) throw new RangeError(`decode tokens D must be a positive integer (got ${D})`);
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`repetitions must be a positive integer (got ${reps})`);
  const file = path.basename(modelFile);
  check(opts.signal);
  const ort = loadOrt();
  const t0 = performance.now();
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelFile, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3, intraOpNumThreads: threads });
  } catch (err) {
    throw new OrtModelError(file, err instanceof Error ? err.message : String(err));
  }
  const modelLoadMs = performance.now() - t0;
  try {
    const sig = discoverDecoder(session.inputMetadata as readonly ValueMeta[], session.outputMetadata as readonly ValueMeta[], file);
    const notes: string[] = [`ran on the host CPU with onnxruntime-node ${ortVersion()} (${threads} intra-op thread${threads === 1 ? '' : 's'}), not on a phone`];
    notes.push(`KV cache: ${sig.kv.length} past input${sig.kv.length === 1 ? '' : 's'} over ${sig.layers} layer${sig.layers === 1 ? '' : 's'}, layout ${sig.layout}; the prefill starts from an empty past (sequence length 0)`);
    notes.push(`prompt: ${P} random token ids in [0, ${sig.vocabSize}) from seed ${seed}; next tokens by greedy argmax of the logits`);
    notes.push(`decode tok/s = D / (sum of the D decode steps' latencies); the first token comes from the prefill and counts in the time to first token`);
    if (!sig.attentionMask) notes.push('the graph has no attention mask input');
    if (!sig.positionIds) notes.push('the graph has no position ids input');
    const prompt = promptTokens(P, sig.vocabSize, seed);

    const intTensor = (type: IntType, values: number[], dims: number[]): Tensor =>
      type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(v))), dims) : new ort.Tensor('int32', Int32Array.from(values), dims);
    const initialPast = (k: KvPair, len: number): Tensor => {
      const dims = k.dims.map((d, i) => (i === k.seqAxis ? len : i === k.batchAxis ? 1 : (d as number)));
      const n = dims.reduce((a, b) => a * b, 1);
      return k.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(n), dims) : new ort.Tensor('float32', new Float32Array(n), dims);
    };
    // Cache slots that hold no real token: 0 with an empty past; 1 when the graph refuses a zero-length past and
    // we warm-start with one zero slot, masked out (attention mask 0), as onnxruntime's GPT-2 tools do.
    let pad = 0;
    const step = async (tokens: number[], past: Record<string, Tensor>, pastLen: number): Promise<Record<string, Tensor>> => {
      const feeds: Record<string, Tensor> = { [sig.inputIds]: intTensor(sig.idsType, tokens, [1, tokens.length]) };
      const span = pastLen + tokens.length;
      if (sig.attentionMask) feeds[sig.attentionMask] = intTensor(sig.maskType!, Array.from({ length: span }, (_, i) => (i < pad ? 0 : 1)), [1, span]);
      if (sig.positionIds) feeds[sig.positionIds] = intTensor(sig.posType!, tokens.map((_, i) => pastLen - pad + i), [1, tokens.length]);
      Object.assign(feeds, past);
      try {
        return (await session.run(feeds)) as Record<string, Tensor>;
      } catch (err) {
        throw new OrtModelError(file, `the run failed at past length ${pastLen}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const seqLen = (out: Record<string, Tensor>): number => {
      const k = sig.kv[0];
      return out[k.present].dims[k.seqAxis];
    };

    const once = async (): Promise<DecoderRepetition> => {
      let past: Record<string, Tensor> = Object.fromEntries(sig.kv.map((k) => [k.past, initialPast(k, pad)]));
      const ts = performance.now();
      let out = await step(prompt, past, pad);
      const prefillMs = performance.now() - ts;
      let next = argmaxLast(out[sig.logits], sig.vocabSize);
      const ttft = performance.now() - ts;
      const generated = [next];
      const kvLengths = [seqLen(out) - pad];
      const lat: number[] = [];
      let pastLen = pad + P;
      for (let s = 0; s < D; s++) {
        check(opts.signal);
        past = Object.fromEntries(sig.kv.map((k) => [k.past, out[k.present]]));
        const t = performance.now();
        out = await step([next], past, pastLen);
        next = argmaxLast(out[sig.logits], sig.vocabSize);
        lat.push(performance.now() - t);
        pastLen++;
        generated.push(next);
        kvLengths.push(seqLen(out) - pad);
      }
      const decodeMs = lat.reduce((a, b) => a + b, 0);
      return { prefillMs, timeToFirstTokenMs: ttft, prefillTokensPerSecond: (P * 1000) / prefillMs, decodeLatencyMs: lat, decodeTokensPerSecond: (D * 1000) / decodeMs, kvLengths, generated };
    };

    // Does the graph take a zero-length past? If not, warm-start with one masked slot and say so.
    try {
      await step(prompt.slice(0, 1), Object.fromEntries(sig.kv.map((k) => [k.past, initialPast(k, 0)])), 0);
    } catch (err) {
      pad = 1;
      try {
        await step(prompt.slice(0, 1), Object.fromEntries(sig.kv.map((k) => [k.past, initialPast(k, 1)])), 1);
      } catch {
        throw err;
      }
      notes[1] = notes[1].replace('the prefill starts from an empty past (sequence length 0)', 'the graph refused a zero-length past, so every run warm-starts with one zero cache slot masked out (attention mask 0); the present sequence lengths reported exclude it');
    }
    const total = warmup + reps;
    const runs: DecoderRepetition[] = [];
    for (let r = 0; r < total; r++) {
      check(opts.signal);
      opts.progress?.report({ done: r, total, message: r < warmup ? `warm-up ${r + 1}/${warmup}` : `repetition ${r - warmup + 1}/${reps}: prefill ${P} + decode ${D}` });
      const rep = await once();
      if (r >= warmup) runs.push(rep);
    }
    opts.progress?.report({ done: total, total, message: 'done' });
    const series = Array.from({ length: D }, (_, i) => runs.reduce((a, r) => a + r.decodeLatencyMs[i], 0) / runs.length);
    let size: number | undefined;
    try {
      size = fs.statSync(modelFile).size;
    } catch {
      size = undefined;
    }
    const cpu = os.cpus()[0]?.model?.trim();
    return {
      runner: 'mobileai-onnx',
      modelFile,
      modelSizeBytes: size,
      promptTokens: P,
      genTokens: D,
      repetitions: reps,
      warmup,
      threads,
      seed,
      signature: sig,
      emptyPastAccepted: pad === 0,
      modelLoadMs,
      prefill: statOf(runs.map((r) => r.prefillTokensPerSecond)),
      decode: statOf(runs.map((r) => r.decodeTokensPerSecond)),
      timeToFirstTokenMs: statOf(runs.map((r) => r.timeToFirstTokenMs)),
      decodeLatencyMs: statOf(runs.flatMap((r) => r.decodeLatencyMs)),
      decodeLatencySeriesMs: series,
      runs,
      processPeakBytes: vmHwm(),
      device: { kind: 'host', label: `host CPU (${os.hostname()}, onnxruntime-node)`, cpu },
      notes,
    };
  } finally {
    await session.release().catch(() => undefined);
  }
}

function ortVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return '';
  }
}

/** The result as a run record (`mobileai.llm-run/1`), like imported runs; `device` overrides the host label (the virtual phone). */
export function decoderRunRecord(r: DecoderRunResult, device?: LlmRunRecord['device']): LlmRunRecord {
  const rec = newRunRecord('mobileai-onnx', 'measured');
  rec.model = { name: path.basename(r.modelFile), file: r.modelFile, ...(r.modelSizeBytes !== undefined ? { sizeBytes: r.modelSizeBytes } : {}) };
  rec.device = device ?? { ...r.device };
  rec.backend = 'CPU (onnxruntime-node)';
  rec.threads = r.threads;
  rec.batchSize = 1;
  rec.promptTokens = r.promptTokens;
  rec.genTokens = r.genTokens;
  rec.prefill = r.prefill;
  rec.decode = r.decode;
  rec.timeToFirstTokenMs = r.timeToFirstTokenMs;
  rec.decodeLatencyMs = { mean: r.decodeLatencyMs.mean, stddev: r.decodeLatencyMs.stddev, n: r.decodeLatencyMs.n };
  rec.modelLoadMs = r.modelLoadMs;
  rec.repetitions = r.repetitions;
  rec.tests = [
    { kind: 'pp', label: `pp${r.promptTokens}`, promptTokens: r.promptTokens, genTokens: 0, tokensPerSecond: r.prefill, timeMs: statOf(r.runs.map((x) => x.prefillMs)) },
    { kind: 'gp', label: `tg${r.genTokens} @ d${r.promptTokens}`, promptTokens: r.promptTokens, genTokens: r.genTokens, depth: r.promptTokens, tokensPerSecond: r.decode, timeMs: statOf(r.runs.map((x) => x.decodeLatencyMs.reduce((a, b) => a + b, 0))) },
  ];
  if (r.processPeakBytes !== undefined) rec.extra = { 'process peak RSS (VmHWM, bytes)': r.processPeakBytes };
  rec.source = { format: 'measured', file: r.modelFile, measuredAt: new Date().toISOString() };
  rec.notes = [...r.notes];
  return rec;
}
