/**
 * Quantization arithmetic, matching ONNX Runtime's quantization tool (onnxruntime/python/tools/quantization):
 * the same ranges, the same float64-then-float32 scale, the same rounding.
 */
export type QType = 'int8' | 'uint8';

export interface QParams {
  /** float32 value (stored as it will be in the model). */
  scale: number;
  zeroPoint: number;
  qmin: number;
  qmax: number;
}

/** Round half to even (numpy.rint / ORT), unlike Math.round which rounds half up. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round half away from zero (what MatMulNBits packing uses). */
export function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

export function qRange(qType: QType, symmetric: boolean, reduceRange: boolean): [number, number] {
  if (qType === 'uint8') return reduceRange ? [0, 127] : [0, 255];
  if (reduceRange) return [-64, 64];
  return symmetric ? [-127, 127] : [-128, 127];
}

const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * Scale and zero point for a real range [rmin, rmax]. The range always includes 0; symmetric uses
 * ±max(|rmin|, |rmax|) and the midpoint zero point; the scale is computed in float64 and stored as float32;
 * a scale below float32's smallest normal becomes 1 with zero point 0.
 */
export function computeQParams(rmin0: number, rmax0: number, qType: QType, symmetric: boolean, reduceRange = false): QParams {
  const [qmin, qmax] = qRange(qType, symmetric, reduceRange);
  let rmin = Math.min(rmin0, 0);
  let rmax = Math.max(rmax0, 0);
  if (symmetric) {
    const absmax = Math.max(Math.abs(rmin), Math.abs(rmax));
    rmin = -absmax;
    rmax = absmax;
  }
  const scale64 = (rmax - rmin) / (qmax - qmin);
  let scale = Math.fround(scale64);
  let zeroPoint: number;
  if (scale < FLOAT32_MIN_NORMAL) {
    scale = 1;
    zeroPoint = 0;
  } else if (symmetric) {
    zeroPoint = roundHalfEven((qmin + qmax) / 2);
  } else {
    zeroPoint = roundHalfEven(qmin - rmin / scale);
  }
  return { scale, zeroPoint, qmin, qmax };
}

export function quantizeValue(x: number, p: QParams): number {
  const q = roundHalfEven(x / p.scale) + p.zeroPoint;
  return q < p.qmin ? p.qmin : q > p.qmax ? p.qmax : q;
}

export function quantizeArray(data: Float32Array, p: QParams, out: Int8Array | Uint8Array): void {
  for (let i = 0; i < data.length; i++) out[i] = quantizeValue(data[i], p);
}

export function minMax(data: ArrayLike<number>, start = 0, end = data.length, step = 1): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < end; i += step) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? [0, 0] : [lo, hi];
}

export interface NBitsResult {
  /** uint8 [N, blocks, blockSize/2], low nibble first. */
  packed: Uint8Array;
  /** float32 [N * blocks]. */
  scales: Float32Array;
  /** uint8 [N * ceil(blocks/2)] packed zero points (asymmetric only). */
  zeroPoints?: Uint8Array;
  blocks: number;
}

/**
 * 4-bit block quantization of a MatMul weight W[K, N] for com.microsoft MatMulNBits, column by column.
 * Asymmetric: min/max include 0, scale = (max − min)/15, zp = round(−min/scale) clamped to 0..15.
 * Symmetric: scale = −(the one of min, max with larger magnitude)/8, zero point 8 implied.
 */
export function quantizeNBits(w: Float32Array, K: number, N: number, blockSize: number, symmetric: boolean): NBitsResult {
  if (!(blockSize >= 16 && blockSize <= 256 && (blockSize & (blockSize - 1)) === 0)) throw new Error(`block size ${blockSize} must be a power of two from 16 to 256`);
  const blocks = Math.ceil(K / blockSize);
  const half = blockSize / 2;
  const packed = new Uint8Array(N * blocks * half);
  const scales = new Float32Array(N * blocks);
  const zpPerRow = Math.ceil(blocks / 2);
  const zeroPoints = symmetric ? undefined : new Uint8Array(N * zpPerRow);
  const q = new Uint8Array(blockSize);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      let mn = 0;
      let mx = 0;
      for (let k = k0; k < k1; k++) {
        const v = w[k * N + n];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      let scale: number;
      let zp: number;
      if (symmetric) {
        const m = Math.abs(mn) >= Math.abs(mx) ? mn : mx;
        scale = Math.fround(-m / 8);
        zp = 8;
      } else {
        scale = Math.fround((mx - mn) / 15);
        zp = scale !== 0 ? Math.min(15, Math.max(0, roundHalfAway(-mn / scale))) : 0;
      }
      q.fill(0); // padding past K stays 0 bits, as ORT's packing leaves it
      for (let k = k0; k < k1; k++) q[k - k0] = scale !== 0 ? Math.min(15, Math.max(0, roundHalfAway(w[k * N + n] / scale + zp))) : zp;
      const base = (n * blocks + b) * half;
      for (let i = 0; i < half; i++) packed[base + i] = (q[2 * i] & 0x0f) | ((q[2 * i + 1] & 0x0f) << 4);
      scales[n * blocks + b] = scale;
      if (zeroPoints) {
        const idx = n * zpPerRow + (b >> 1);
        zeroPoints[idx] = b & 1 ? (zeroPoints[idx] & 0x0f) | (zp << 4) : (zeroPoints[idx] & 0xf0) | zp;
      }
    }
  }
  return { packed, scales, zeroPoints, blocks };
}
