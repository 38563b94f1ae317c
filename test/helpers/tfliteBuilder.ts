/** A small TFLite model written with the official flatbuffers builder and the generated code, with what the real
 * MediaPipe models lack: per-channel quantization, dynamic dimensions, sparsity, ops past code 127, a custom op,
 * a signature, metadata (min_runtime_version, TFLITE_METADATA), a buffer stored after the flatbuffer, an appended zip. */
import assert from 'node:assert/strict';
import * as flatbuffers from 'flatbuffers';
import {
  ActivationFunctionType, Buffer as TflBuffer, BuiltinOperator, BuiltinOptions, Conv2DOptions, CustomOptionsFormat, DimensionMetadata, DimensionType,
  Metadata, Model, Operator, OperatorCode, Padding, QuantizationParameters, SignatureDef, SparseIndexVector, SparsityParameters, SubGraph, Tensor,
  TensorMap, TensorType,
} from '../../extension/core/tflite/schema_generated';


/** A stored (uncompressed) zip of one file, per PKWARE's APPNOTE (local header, central directory, end record). */
export function storedZip(name: string, content: Buffer): Buffer {
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(10, 4); local.writeUInt32LE(content.length, 18); local.writeUInt32LE(content.length, 22); local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(10, 4); central.writeUInt16LE(10, 6);
  central.writeUInt32LE(content.length, 20); central.writeUInt32LE(content.length, 24); central.writeUInt16LE(n.length, 28); central.writeUInt32LE(0, 42);
  const cdOffset = local.length + n.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10); end.writeUInt32LE(central.length + n.length, 12); end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, n, content, central, n, end]);
}

/** TFLite Support metadata (identifier M001): ModelMetadata name 0, description 1, version 2, author 4, license 5, associated_files 6. */
function modelMetadata(): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const fname = b.createString('labels.txt');
  const fdesc = b.createString('Labels for the 2 classes');
  b.startObject(4); b.addFieldOffset(0, fname, 0); b.addFieldOffset(1, fdesc, 0); b.addFieldInt8(2, 2, 0); const file = b.endObject();
  b.startVector(4, 1, 4); b.addOffset(file); const files = b.endVector();
  const name = b.createString('Tiny classifier');
  const desc = b.createString('Written by the test');
  const version = b.createString('v7');
  const author = b.createString('Mobile AI Studio');
  const license = b.createString('Apache-2.0');
  b.startObject(8);
  b.addFieldOffset(0, name, 0); b.addFieldOffset(1, desc, 0); b.addFieldOffset(2, version, 0); b.addFieldOffset(4, author, 0); b.addFieldOffset(5, license, 0); b.addFieldOffset(6, files, 0);
  b.finish(b.endObject(), 'M001');
  return b.asUint8Array();
}

export interface BuildOptions { externalOffset: bigint; externalSize: bigint; repeat?: number }

export function buildModel(o: BuildOptions): Uint8Array {
  const b = new flatbuffers.Builder(1024);
  const vec = (data: number[]) => { b.startVector(4, data.length, 4); for (let i = data.length - 1; i >= 0; i--) b.addInt32(data[i]); return b.endVector(); };
  const bytesVec = (data: Uint8Array) => TflBuffer.createDataVector(b, data);
  const buf = (data?: Uint8Array, offset = 0n, size = 0n) => TflBuffer.createBuffer(b, data ? bytesVec(data) : 0, offset, size);
  const minRuntime = Buffer.alloc(16); minRuntime.write('1.14.0');
  const buffers = [
    buf(),
    buf(new Uint8Array([1, 2, 3, 4, 5, 6])), // 1: int8 weights [2,1,1,3]
    buf(new Uint8Array(8)), // 2: int32 bias [2]
    buf(minRuntime), // 3: min_runtime_version
    buf(modelMetadata()), // 4: TFLITE_METADATA
    buf(undefined, o.externalOffset, o.externalSize), // 5: float32 [4] stored after the flatbuffer
    buf(new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0])), // 6: sparse values
  ];
  const quant = (scale: number[], zp: number[], axis = 0) => {
    const s = QuantizationParameters.createScaleVector(b, scale);
    const z = QuantizationParameters.createZeroPointVector(b, zp.map(BigInt));
    QuantizationParameters.startQuantizationParameters(b);
    QuantizationParameters.addScale(b, s); QuantizationParameters.addZeroPoint(b, z); QuantizationParameters.addQuantizedDimension(b, axis);
    return QuantizationParameters.endQuantizationParameters(b);
  };
  const tensor = (name: string, type: TensorType, shape: number[], buffer: number, q = 0, signature?: number[], sparsity = 0) => {
    const n = b.createString(name);
    const sh = Tensor.createShapeVector(b, shape);
    const sig = signature ? Tensor.createShapeSignatureVector(b, signature) : 0;
    Tensor.startTensor(b);
    Tensor.addShape(b, sh); Tensor.addType(b, type); Tensor.addBuffer(b, buffer); Tensor.addName(b, n);
    if (q) Tensor.addQuantization(b, q);
    if (sig) Tensor.addShapeSignature(b, sig);
    if (sparsity) Tensor.addSparsity(b, sparsity);
    return Tensor.endTensor(b);
  };
  const dims = [DimensionMetadata.createDimensionMetadata(b, DimensionType.DENSE, 4, SparseIndexVector.NONE, 0, SparseIndexVector.NONE, 0), DimensionMetadata.createDimensionMetadata(b, DimensionType.SPARSE_CSR, 0, SparseIndexVector.NONE, 0, SparseIndexVector.NONE, 0)];
  const sparsity = SparsityParameters.createSparsityParameters(b, SparsityParameters.createTraversalOrderVector(b, [0, 1]), 0, SparsityParameters.createDimMetadataVector(b, dims));
  const tensors = [
    tensor('x', TensorType.INT8, [1, 4, 4, 3], 0, quant([0.5], [-1]), [-1, 4, 4, 3]),
    tensor('w', TensorType.INT8, [2, 1, 1, 3], 1, quant([0.125, 0.25], [0, 0], 0)),
    tensor('bias', TensorType.INT32, [2], 2, quant([0.0625, 0.125], [0, 0], 0)),
    tensor('y', TensorType.INT8, [1, 4, 4, 2], 0, quant([0.25], [3]), [-1, 4, 4, 2]),
    tensor('table', TensorType.FLOAT32, [4], 5),
    tensor('sparse', TensorType.INT32, [4, 4], 6, 0, undefined, sparsity),
    tensor('z', TensorType.INT8, [1, 4, 4, 2], 0),
    tensor('g', TensorType.INT8, [1, 4, 4, 2], 0),
  ];
  const customName = b.createString('MyCustomOp');
  const codes = [
    OperatorCode.createOperatorCode(b, BuiltinOperator.CONV_2D, 0, 3, BuiltinOperator.CONV_2D),
    OperatorCode.createOperatorCode(b, BuiltinOperator.CUSTOM, customName, 1, BuiltinOperator.CUSTOM),
    // Codes above 127: deprecated_builtin_code holds the placeholder 127, builtin_code the real one.
    OperatorCode.createOperatorCode(b, 127, 0, 1, BuiltinOperator.GELU),
  ];
  const conv = Conv2DOptions.createConv2DOptions(b, Padding.VALID, 1, 1, ActivationFunctionType.RELU6, 1, 1, TensorType.FLOAT32);
  const custom = Operator.createCustomOptionsVector(b, [1, 2, 3]);
  const ops = [
    Operator.createOperator(b, 0, vec([0, 1, 2]), vec([3]), BuiltinOptions.Conv2DOptions, conv, 0, CustomOptionsFormat.FLEXBUFFERS, 0, 0, 0n, 0n, 0, 0, -1),
    Operator.createOperator(b, 1, vec([3]), vec([6]), BuiltinOptions.NONE, 0, custom, CustomOptionsFormat.FLEXBUFFERS, 0, 0, 0n, 0n, 0, 0, -1),
    Operator.createOperator(b, 2, vec([6]), vec([7]), BuiltinOptions.NONE, 0, 0, CustomOptionsFormat.FLEXBUFFERS, 0, 0, 0n, 0n, 0, 0, -1),
  ];
  const sgName = b.createString('main');
  if (o.repeat) tensors.push(...Array.from({ length: o.repeat }, () => tensors[0]));
  const subgraph = SubGraph.createSubGraph(b, SubGraph.createTensorsVector(b, tensors), vec([0]), vec([7]), SubGraph.createOperatorsVector(b, ops), sgName, -1);
  const repeated = o.repeat ? Array.from({ length: o.repeat }, () => subgraph) : [subgraph];
  const meta = [Metadata.createMetadata(b, b.createString('min_runtime_version'), 3), Metadata.createMetadata(b, b.createString('TFLITE_METADATA'), 4)];
  const sig = SignatureDef.createSignatureDef(b, SignatureDef.createInputsVector(b, [TensorMap.createTensorMap(b, b.createString('image'), 0)]), SignatureDef.createOutputsVector(b, [TensorMap.createTensorMap(b, b.createString('scores'), 7)]), b.createString('serving_default'), 0);
  const model = Model.createModel(b, 3, Model.createOperatorCodesVector(b, codes), Model.createSubgraphsVector(b, repeated), b.createString('Written by the flatbuffers builder'),
    Model.createBuffersVector(b, buffers), 0, Model.createMetadataVector(b, meta), Model.createSignatureDefsVector(b, [sig]), 0, 0);
  Model.finishModelBuffer(b, model);
  return b.asUint8Array();
}

/** The flatbuffer, then 16 bytes of float32 data at a 16-aligned offset (LiteRT's layout for models over 2 GB), then a zip. */
export function syntheticFile(): Buffer {
  const first = buildModel({ externalOffset: 2n, externalSize: 16n });
  const offset = Math.ceil(first.length / 16) * 16;
  const flat = buildModel({ externalOffset: BigInt(offset), externalSize: 16n });
  assert.equal(flat.length, first.length);
  const data = Buffer.alloc(16);
  [1.5, -2, 0.25, 8].forEach((v, i) => data.writeFloatLE(v, i * 4));
  return Buffer.concat([flat, Buffer.alloc(offset - flat.length), data, storedZip('labels.txt', Buffer.from('cat\ndog\n'))]);
}

