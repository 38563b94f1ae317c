/** ONNX TensorProto.DataType: names as users know them, and storage size. */
export interface DType {
  code: number;
  name: string;
  /** Bits per element (4 for int4/uint4/float4). */
  bits: number;
}

const TABLE: Array<[number, string, number]> = [
  [1, 'float32', 32], [2, 'uint8', 8], [3, 'int8', 8], [4, 'uint16', 16], [5, 'int16', 16], [6, 'int32', 32], [7, 'int64', 64],
  [8, 'string', 0], [9, 'bool', 8], [10, 'float16', 16], [11, 'float64', 64], [12, 'uint32', 32], [13, 'uint64', 64],
  [14, 'complex64', 64], [15, 'complex128', 128], [16, 'bfloat16', 16], [17, 'float8e4m3fn', 8], [18, 'float8e4m3fnuz', 8],
  [19, 'float8e5m2', 8], [20, 'float8e5m2fnuz', 8], [21, 'uint4', 4], [22, 'int4', 4], [23, 'float4e2m1', 4],
];

const BY_CODE = new Map(TABLE.map(([code, name, bits]) => [code, { code, name, bits }]));
const BY_NAME = new Map(TABLE.map(([code, name, bits]) => [name, { code, name, bits }]));

export function dtypeOf(code: number | null | undefined): DType {
  return BY_CODE.get(code ?? 0) ?? { code: code ?? 0, name: code ? `dtype(${code})` : 'undefined', bits: 0 };
}

export function dtypeByName(name: string): DType | undefined {
  return BY_NAME.get(name);
}

/** Bytes needed for `count` elements (rounded up for sub-byte types). */
export function byteSize(code: number, count: number): number {
  const bits = dtypeOf(code).bits;
  return Math.ceil((bits * count) / 8);
}

/** onnxruntime-node tensor type names for a code. */
export function ortType(code: number): string | undefined {
  const m: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64' };
  return m[code];
}
