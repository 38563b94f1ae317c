/** Reads NumPy .npy files (version 1-3, C order) into typed arrays for onnxruntime. */
export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Uint8Array;
}

export class NpyError extends Error {}

const DTYPES: Record<string, { ort: string; bytes: number; make: (b: ArrayBuffer, o: number, n: number) => NpyArray['data'] }> = {
  '<f4': { ort: 'float32', bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  '<f8': { ort: 'float64', bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  '<i4': { ort: 'int32', bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  '<i8': { ort: 'int64', bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  '<i2': { ort: 'int16', bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  '<u2': { ort: 'uint16', bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  '<f2': { ort: 'float16', bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  '|u1': { ort: 'uint8', bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  '|i1': { ort: 'int8', bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  '|b1': { ort: 'bool', bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
};

export function parseNpy(buf: Buffer): NpyArray {
  if (buf.length < 10 || buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') throw new NpyError('not a .npy file (bad magic)');
  const major = buf.readUInt8(6);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > buf.length) throw new NpyError('.npy header runs past the end of the file');
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError('.npy header is not understood');
  if (fortran === 'True') throw new NpyError('.npy arrays in Fortran order are not supported; save with np.ascontiguousarray');
  const dt = DTYPES[descr === '<b1' ? '|b1' : descr];
  if (!dt) throw new NpyError(`.npy dtype ${descr} is not supported (use float32, float64, int8-64, uint8, bool, float16)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new NpyError('.npy shape is invalid');
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (buf.length - offset < n * dt.bytes) throw new NpyError(`.npy data is truncated: ${buf.length - offset} bytes for ${n} × ${dt.bytes}`);
  const copy = new ArrayBuffer(n * dt.bytes);
  new Uint8Array(copy).set(buf.subarray(offset, offset + n * dt.bytes));
  return { dtype: dt.ort, shape, data: dt.make(copy, 0, n) };
}
