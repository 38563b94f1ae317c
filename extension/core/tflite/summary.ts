import * as path from 'node:path';
import { CheckedByteBuffer, decodeTflite, loadTflite, TfliteFormatError, type LoadedTflite } from './reader';
import {
  BlockwiseQuantization, BuiltinOperator, CustomQuantization, DimensionType, MultiAxisQuantization, QuantizationDetails, TensorType,
  type Operator, type OperatorCode, type SubGraph, type Tensor,
} from './schema_generated';

/** `mobileai summary --json` on a .tflite prints this object: an interface (README). */
export interface TfliteTensorRef {
  /** Index of the tensor in its subgraph. */
  index: number;
  name: string;
  /** Element type as users know it: float32, float16, int8, uint8, int32, … */
  type: string;
  /** Dimensions; null for a dynamic one (-1 in shape_signature). */
  shape: Array<number | null>;
}

export interface TfliteQuantization {
  scale: number[];
  zeroPoint: number[];
  /** The axis of per-channel parameters (meaningful when there is more than one scale). */
  quantizedDimension: number;
  perChannel: boolean;
  min?: number[];
  max?: number[];
  /** A custom quantization scheme (QuantizationDetails union), by name. */
  details?: string;
  /**
   * The scheme's own fields (schema.fbs): BlockwiseQuantization and MultiAxisQuantization name the tensors (in the
   * same subgraph) that hold the scales and the zero points (-1: zero points are 0) and the block size (0 for
   * per-channel); MultiAxisQuantization adds its quantized dimensions; CustomQuantization is opaque bytes.
   */
  detailsParams?: { scalesTensor?: number; zeroPointsTensor?: number; blockSize?: number; quantizedDimensions?: number[]; customBytes?: number };
}

export interface TfliteSparsity {
  traversalOrder: number[];
  blockMap: number[];
  /** Per traversal dimension: DENSE or SPARSE_CSR. */
  dimFormats: string[];
}

export interface TfliteTensorSummary extends TfliteTensorRef {
  subgraph: number;
  /** Buffer index (0 is the empty buffer: an activation). */
  buffer: number;
  /** Bytes of constant data stored for it (0 for activations). */
  bytes: number;
  isVariable: boolean;
  quantization?: TfliteQuantization;
  sparsity?: TfliteSparsity;
  /**
   * Constant data kept in another file (schema 3d: Tensor.external_buffer names an ExternalBuffer by id; its group
   * names the file): which file, where in it, how many bytes.
   */
  external?: { id: number; file: string; offset: number; bytes: number; packing?: string };
}

export interface TfliteOpCount {
  /** BuiltinOperator name (CONV_2D, …) or, for CUSTOM, the custom op's name. */
  op: string;
  custom: boolean;
  version: number;
  count: number;
}

export interface TfliteSummary {
  format: 'tflite';
  file?: string;
  fileBytes: number;
  /** Model.version (3 for every current file). */
  schemaVersion: number;
  description: string;
  subgraphs: Array<{ index: number; name: string; operators: number; tensors: number; inputs: TfliteTensorRef[]; outputs: TfliteTensorRef[] }>;
  signatures: Array<{ key: string; subgraph: number; inputs: Array<{ name: string; tensor: TfliteTensorRef }>; outputs: Array<{ name: string; tensor: TfliteTensorRef }> }>;
  /** The main (first) subgraph's inputs and outputs. */
  inputs: TfliteTensorRef[];
  outputs: TfliteTensorRef[];
  operatorCount: number;
  operatorCountAllSubgraphs: number;
  opHistogram: TfliteOpCount[];
  tensors: TfliteTensorSummary[];
  weights: { tensors: number; count: number; bytes: number; byDtype: Record<string, { tensors: number; count: number; bytes: number }> };
  quantization: { tensors: number; perChannel: number; types: string[] };
  sparseTensors: number;
  buffers: { count: number; inline: number; inlineBytes: number; beyondFlatbuffer: number; beyondFlatbufferBytes: number };
  /** Weights kept in other files (ExternalBufferGroup names, ExternalBuffer entries): files, entries, tensors and bytes. */
  externalBuffers?: { files: string[]; entries: number; tensors: number; bytes: number };
  metadata: {
    entries: Array<{ name: string; buffer: number; bytes: number; text?: string }>;
    minRuntimeVersion?: string;
    /** MediaPipe / TFLite Support metadata (TFLITE_METADATA, a flatbuffer with identifier M001). */
    model?: TfliteModelMetadata;
  };
  /** Files packed in a zip appended to the model (MediaPipe task files, label maps). */
  associatedFiles: Array<{ name: string; bytes: number; compressedBytes: number }>;
  warnings: string[];
}

export interface TfliteModelMetadata {
  name?: string;
  description?: string;
  version?: string;
  author?: string;
  license?: string;
  minParserVersion?: string;
  associatedFiles: Array<{ name: string; description?: string; type: string }>;
  subgraphs: Array<{ name?: string; description?: string; inputs: Array<{ name?: string; description?: string }>; outputs: Array<{ name?: string; description?: string }> }>;
}

/** Bits per element of each TensorType (0: no fixed size). */
const TYPE_BITS: Record<number, number> = {
  [TensorType.FLOAT32]: 32, [TensorType.FLOAT16]: 16, [TensorType.INT32]: 32, [TensorType.UINT8]: 8, [TensorType.INT64]: 64,
  [TensorType.STRING]: 0, [TensorType.BOOL]: 8, [TensorType.INT16]: 16, [TensorType.COMPLEX64]: 64, [TensorType.INT8]: 8,
  [TensorType.FLOAT64]: 64, [TensorType.COMPLEX128]: 128, [TensorType.UINT64]: 64, [TensorType.RESOURCE]: 0, [TensorType.VARIANT]: 0,
  [TensorType.UINT32]: 32, [TensorType.UINT16]: 16, [TensorType.INT4]: 4, [TensorType.BFLOAT16]: 16, [TensorType.INT2]: 2,
  [TensorType.UINT4]: 4, [TensorType.FLOAT8_E4M3FN]: 8, [TensorType.FLOAT8_E5M2]: 8,
};

export function tensorTypeName(t: number): string {
  const n = TensorType[t] as string | undefined;
  return n ? n.toLowerCase().replace('float8_', 'float8') : `type(${t})`;
}

export function tensorTypeBits(t: number): number {
  return TYPE_BITS[t] ?? 0;
}

/** The op's name: BuiltinOperator name, or the custom code for CUSTOM ops (schema: builtin_code = max(builtin_code, deprecated_builtin_code)). */
export function operatorName(code: OperatorCode | null): { op: string; custom: boolean; version: number; builtin: number } {
  if (!code) return { op: 'UNKNOWN', custom: false, version: 1, builtin: -1 };
  const builtin = Math.max(code.builtinCode(), code.deprecatedBuiltinCode());
  const version = code.version() || 1;
  if (builtin === BuiltinOperator.CUSTOM) return { op: code.customCode() ?? 'CUSTOM', custom: true, version, builtin };
  return { op: (BuiltinOperator[builtin] as string | undefined) ?? `BUILTIN_${builtin}`, custom: false, version, builtin };
}

function ints(len: number, at: (i: number) => number | null): number[] {
  const out: number[] = [];
  for (let i = 0; i < len; i++) out.push(at(i) ?? 0);
  return out;
}

/** Shape with dynamic dimensions as null: shape_signature (-1 = dynamic) when present, else shape. */
export function tensorShape(t: Tensor): Array<number | null> {
  const sig = t.shapeSignatureLength();
  if (sig) return ints(sig, (i) => t.shapeSignature(i)).map((d) => (d < 0 ? null : d));
  return ints(t.shapeLength(), (i) => t.shape(i)).map((d) => (d < 0 ? null : d));
}

export function tensorRef(g: SubGraph, index: number): TfliteTensorRef {
  const t = index >= 0 && index < g.tensorsLength() ? g.tensors(index) : null;
  if (!t) return { index, name: `(missing tensor ${index})`, type: '?', shape: [] };
  return { index, name: t.name() ?? '', type: tensorTypeName(t.type()), shape: tensorShape(t) };
}

function quantizationOf(t: Tensor): TfliteQuantization | undefined {
  const q = t.quantization();
  if (!q) return undefined;
  const scale = ints(q.scaleLength(), (i) => q.scale(i));
  const zeroPoint: number[] = [];
  for (let i = 0; i < q.zeroPointLength(); i++) zeroPoint.push(Number(q.zeroPoint(i) ?? 0n));
  const min = ints(q.minLength(), (i) => q.min(i));
  const max = ints(q.maxLength(), (i) => q.max(i));
  const detailsType = q.detailsType();
  if (!scale.length && !zeroPoint.length && !min.length && !max.length && detailsType === QuantizationDetails.NONE) return undefined;
  let detailsParams: TfliteQuantization['detailsParams'];
  if (detailsType === QuantizationDetails.BlockwiseQuantization) {
    const b = q.details(new BlockwiseQuantization()) as BlockwiseQuantization | null;
    if (b) detailsParams = { scalesTensor: b.scales(), zeroPointsTensor: b.zeroPoints(), blockSize: b.blockSize() };
  } else if (detailsType === QuantizationDetails.MultiAxisQuantization) {
    const b = q.details(new MultiAxisQuantization()) as MultiAxisQuantization | null;
    if (b) detailsParams = { scalesTensor: b.scales(), zeroPointsTensor: b.zeroPoints(), blockSize: b.blockSize(), quantizedDimensions: ints(b.quantizedDimensionsLength(), (i) => b.quantizedDimensions(i)) };
  } else if (detailsType === QuantizationDetails.CustomQuantization) {
    const b = q.details(new CustomQuantization()) as CustomQuantization | null;
    if (b) detailsParams = { customBytes: b.customLength() };
  }
  return {
    scale,
    zeroPoint,
    quantizedDimension: q.quantizedDimension(),
    perChannel: scale.length > 1,
    ...(min.length ? { min } : {}),
    ...(max.length ? { max } : {}),
    ...(detailsType !== QuantizationDetails.NONE ? { details: (QuantizationDetails[detailsType] as string | undefined) ?? `details(${detailsType})` } : {}),
    ...(detailsParams ? { detailsParams } : {}),
  };
}

function sparsityOf(t: Tensor): TfliteSparsity | undefined {
  const s = t.sparsity();
  if (!s) return undefined;
  const dimFormats: string[] = [];
  for (let i = 0; i < s.dimMetadataLength(); i++) {
    const d = s.dimMetadata(i);
    dimFormats.push(d ? ((DimensionType[d.format()] as string | undefined) ?? String(d.format())) : '?');
  }
  return { traversalOrder: ints(s.traversalOrderLength(), (i) => s.traversalOrder(i)), blockMap: ints(s.blockMapLength(), (i) => s.blockMap(i)), dimFormats };
}

/** Stored bytes of buffer `i`: inline data, or offset/size past the flatbuffer (models over 2 GB). */
function bufferInfo(loaded: LoadedTflite, i: number, warnings: string[]): { bytes: number; beyond: boolean; data?: Uint8Array } {
  const b = loaded.model.buffers(i);
  if (!b) return { bytes: 0, beyond: false };
  const len = b.dataLength();
  if (len) {
    return { bytes: len, beyond: false, data: b.dataArray() ?? undefined };
  }
  const offset = b.offset();
  const size = b.size();
  if (offset > 1n) {
    if (offset + size > BigInt(loaded.fileBytes)) {
      warnings.push(`buffer ${i} is stored past the end of the file (offset ${offset}, size ${size}, file ${loaded.fileBytes} bytes)`);
      return { bytes: Number(size), beyond: true };
    }
    const start = Number(offset);
    return { bytes: Number(size), beyond: true, data: loaded.bytes.subarray(start, start + Number(size)) };
  }
  return { bytes: 0, beyond: false };
}

function printable(data: Uint8Array): string | undefined {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  if (end === 0 || end > 4096) return undefined;
  const s = Buffer.from(data.subarray(0, end)).toString('utf8');
  return /^[\x20-\x7e\t\r\n]*$/.test(s) ? s : undefined;
}

/**
 * MediaPipe / TFLite Support metadata: a flatbuffer with identifier "M001" (tflite-support
 * metadata_schema.fbs). Field numbers: ModelMetadata name 0, description 1, version 2, subgraph_metadata 3,
 * author 4, license 5, associated_files 6, min_parser_version 7; AssociatedFile name 0, description 1, type 2;
 * SubGraphMetadata name 0, description 1, input_tensor_metadata 2, output_tensor_metadata 3; TensorMetadata name 0,
 * description 1.
 */
const ASSOCIATED_FILE_TYPES = ['UNKNOWN', 'DESCRIPTIONS', 'TENSOR_AXIS_LABELS', 'TENSOR_VALUE_LABELS', 'TENSOR_AXIS_SCORE_CALIBRATION', 'VOCABULARY'];

export function readModelMetadata(data: Uint8Array, what: string): TfliteModelMetadata {
  if (data.length < 8 || String.fromCharCode(...data.subarray(4, 8)) !== 'M001') throw new TfliteFormatError(`${what}: TFLITE_METADATA is not a metadata flatbuffer (identifier "M001" missing)`);
  const bb = new CheckedByteBuffer(data, `${what} (TFLITE_METADATA)`);
  const table = (pos: number) => ({ pos });
  const field = (t: { pos: number }, id: number) => bb.__offset(t.pos, 4 + 2 * id);
  const str = (t: { pos: number }, id: number): string | undefined => {
    const o = field(t, id);
    return o ? (bb.__string(t.pos + o) as string) : undefined;
  };
  const tables = (t: { pos: number }, id: number, limit = 10_000): Array<{ pos: number }> => {
    const o = field(t, id);
    if (!o) return [];
    const len = bb.__vector_len(t.pos + o);
    const start = bb.__vector(t.pos + o);
    const out: Array<{ pos: number }> = [];
    for (let i = 0; i < Math.min(len, limit); i++) out.push(table(bb.__indirect(start + 4 * i)));
    return out;
  };
  const root = table(bb.readInt32(0));
  const files = (t: { pos: number }, id: number) => tables(t, id).map((f) => {
    const o = field(f, 2);
    const type = o ? bb.readInt8(f.pos + o) : 0;
    return { name: str(f, 0) ?? '', ...(str(f, 1) ? { description: str(f, 1) } : {}), type: ASSOCIATED_FILE_TYPES[type] ?? `type(${type})` };
  });
  const tensors = (t: { pos: number }, id: number) => tables(t, id).map((m) => ({ name: str(m, 0), description: str(m, 1) }));
  const subgraphs = tables(root, 3).map((g) => ({ name: str(g, 0), description: str(g, 1), inputs: tensors(g, 2), outputs: tensors(g, 3) }));
  const associatedFiles = files(root, 6);
  for (const g of tables(root, 3)) {
    associatedFiles.push(...files(g, 4));
    for (const io of [2, 3]) for (const m of tables(g, io)) associatedFiles.push(...files(m, 6));
  }
  const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return clean({
    name: str(root, 0), description: str(root, 1), version: str(root, 2), author: str(root, 4), license: str(root, 5), minParserVersion: str(root, 7),
    associatedFiles, subgraphs: subgraphs.map((g) => clean({ ...g, inputs: g.inputs.map(clean), outputs: g.outputs.map(clean) })),
  });
}

/** Lists a zip appended to the model (its end-of-central-directory record is within the last 64 KiB). */
export function appendedZipEntries(bytes: Uint8Array): Array<{ name: string; bytes: number; compressedBytes: number }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let p = bytes.length - 22; p >= lowest; p--) {
    if (view.getUint32(p, true) !== 0x06054b50) continue;
    const entries = view.getUint16(p + 10, true);
    const cdSize = view.getUint32(p + 12, true);
    let cd = view.getUint32(p + 16, true);
    // A zip appended to a file records offsets from the zip's own start: shift by where the directory really is.
    const shift = p - cdSize - cd;
    if (shift < 0) continue;
    cd += shift;
    const out: Array<{ name: string; bytes: number; compressedBytes: number }> = [];
    for (let i = 0; i < entries && cd + 46 <= p; i++) {
      if (view.getUint32(cd, true) !== 0x02014b50) break;
      const compressedBytes = view.getUint32(cd + 20, true);
      const size = view.getUint32(cd + 24, true);
      const nameLen = view.getUint16(cd + 28, true);
      const extra = view.getUint16(cd + 30, true);
      const comment = view.getUint16(cd + 32, true);
      if (cd + 46 + nameLen > bytes.length) break;
      out.push({ name: Buffer.from(bytes.subarray(cd + 46, cd + 46 + nameLen)).toString('utf8'), bytes: size, compressedBytes });
      cd += 46 + nameLen + extra + comment;
    }
    return out;
  }
  return [];
}

export function summarizeTflite(loaded: LoadedTflite): TfliteSummary {
  const m = loaded.model;
  const what = path.basename(loaded.file ?? 'model.tflite');
  const warnings: string[] = [];
  const codes: Array<ReturnType<typeof operatorName>> = [];
  for (let i = 0; i < m.operatorCodesLength(); i++) codes.push(operatorName(m.operatorCodes(i)));

  const bufferCount = m.buffersLength();
  const buffers = { count: bufferCount, inline: 0, inlineBytes: 0, beyondFlatbuffer: 0, beyondFlatbufferBytes: 0 };
  const bufferBytes: number[] = [];
  for (let i = 0; i < bufferCount; i++) {
    const b = bufferInfo(loaded, i, warnings);
    bufferBytes.push(b.bytes);
    if (!b.bytes) continue;
    if (b.beyond) { buffers.beyondFlatbuffer++; buffers.beyondFlatbufferBytes += b.bytes; } else { buffers.inline++; buffers.inlineBytes += b.bytes; }
  }

  // Schema 3d: ExternalBuffer entries (by id) and the groups (files) they live in.
  const groups: string[] = [];
  for (let i = 0; i < m.externalBufferGroupsLength(); i++) groups.push(m.externalBufferGroups(i)?.name() ?? '');
  const externals = new Map<number, { id: number; file: string; offset: number; bytes: number; packing?: string }>();
  for (let i = 0; i < m.externalBuffersLength(); i++) {
    const e = m.externalBuffers(i);
    if (!e) continue;
    const g = e.group();
    if (g >= groups.length) warnings.push(`external buffer ${e.id()} names group ${g}, but the model has ${groups.length}`);
    const packing = e.packing() ?? '';
    externals.set(e.id(), { id: e.id(), file: groups[g] ?? `(group ${g})`, offset: Number(e.offset()), bytes: Number(e.length()), ...(packing ? { packing } : {}) });
  }
  const externalUsed = new Set<number>();
  let externalTensors = 0;

  const histogram = new Map<string, TfliteOpCount>();
  const tensors: TfliteTensorSummary[] = [];
  const byDtype: TfliteSummary['weights']['byDtype'] = {};
  const weights = { tensors: 0, count: 0, bytes: 0, byDtype };
  const quantTypes = new Set<string>();
  let quantized = 0;
  let perChannel = 0;
  let sparseTensors = 0;
  let operatorCountAll = 0;
  const subgraphs: TfliteSummary['subgraphs'] = [];
  const weightBuffers = new Set<number>();
  for (let gi = 0; gi < m.subgraphsLength(); gi++) {
    const g = m.subgraphs(gi) as SubGraph;
    const nOps = g.operatorsLength();
    operatorCountAll += nOps;
    for (let oi = 0; oi < nOps; oi++) {
      const op = g.operators(oi) as Operator;
      const idx = op.opcodeIndex();
      const c = codes[idx];
      if (!c) { warnings.push(`subgraph ${gi} operator ${oi} uses operator code ${idx}, but the model has ${codes.length}`); continue; }
      const key = `${c.op}\u0000${c.custom}\u0000${c.version}`;
      const h = histogram.get(key) ?? { op: c.op, custom: c.custom, version: c.version, count: 0 };
      h.count++;
      histogram.set(key, h);
    }
    const nTensors = g.tensorsLength();
    for (let ti = 0; ti < nTensors; ti++) {
      const t = g.tensors(ti) as Tensor;
      const ref = tensorRef(g, ti);
      const buffer = t.buffer();
      if (buffer >= bufferCount && buffer !== 0) warnings.push(`tensor "${ref.name}" uses buffer ${buffer}, but the model has ${bufferCount}`);
      let bytes = bufferBytes[buffer] ?? 0;
      const extId = t.externalBuffer();
      const external = extId ? externals.get(extId) : undefined;
      if (extId && !external) warnings.push(`tensor "${ref.name}" names external buffer ${extId}, but the model has no such entry`);
      if (external) {
        externalTensors++;
        if (!externalUsed.has(extId)) {
          externalUsed.add(extId);
          const count = ref.shape.reduce<number>((a, d) => a * (d ?? 1), 1);
          const e = (byDtype[ref.type] ??= { tensors: 0, count: 0, bytes: 0 });
          e.tensors++; e.count += count; e.bytes += external.bytes;
          weights.tensors++; weights.count += count; weights.bytes += external.bytes;
        }
        bytes = 0;
      }
      const q = quantizationOf(t);
      const sp = sparsityOf(t);
      if (q && (q.scale.length || q.details)) { quantized++; quantTypes.add(ref.type); if (q.perChannel) perChannel++; }
      if (sp) sparseTensors++;
      if (bytes > 0 && buffer > 0) {
        const count = ref.shape.reduce<number>((a, d) => a * (d ?? 1), 1);
        if (!weightBuffers.has(buffer)) {
          weightBuffers.add(buffer);
          const e = (byDtype[ref.type] ??= { tensors: 0, count: 0, bytes: 0 });
          e.tensors++; e.count += count; e.bytes += bytes;
          weights.tensors++; weights.count += count; weights.bytes += bytes;
        }
        const bits = tensorTypeBits(t.type());
        const expected = Math.ceil((bits * count) / 8);
        if (bits && !sp && expected !== bytes) warnings.push(`tensor "${ref.name}" holds ${bytes} bytes but its shape [${ref.shape.join(', ')}] of ${ref.type} needs ${expected}`);
      }
      tensors.push({ ...ref, subgraph: gi, buffer, bytes, isVariable: t.isVariable(), ...(q ? { quantization: q } : {}), ...(sp ? { sparsity: sp } : {}), ...(external ? { external } : {}) });
    }
    const io = (len: number, at: (i: number) => number | null) => ints(len, at).map((i) => tensorRef(g, i));
    subgraphs.push({ index: gi, name: g.name() ?? '', operators: nOps, tensors: nTensors, inputs: io(g.inputsLength(), (i) => g.inputs(i)), outputs: io(g.outputsLength(), (i) => g.outputs(i)) });
  }

  const signatures: TfliteSummary['signatures'] = [];
  for (let si = 0; si < m.signatureDefsLength(); si++) {
    const s = m.signatureDefs(si);
    if (!s) continue;
    const gi = s.subgraphIndex();
    const g = gi < m.subgraphsLength() ? m.subgraphs(gi) : null;
    if (!g) { warnings.push(`signature "${s.signatureKey() ?? ''}" names subgraph ${gi}, but the model has ${m.subgraphsLength()}`); continue; }
    const maps = (len: number, at: (i: number) => import('./schema_generated').TensorMap | null) => {
      const out: Array<{ name: string; tensor: TfliteTensorRef }> = [];
      for (let i = 0; i < len; i++) { const tm = at(i); if (tm) out.push({ name: tm.name() ?? '', tensor: tensorRef(g, tm.tensorIndex()) }); }
      return out;
    };
    signatures.push({ key: s.signatureKey() ?? '', subgraph: gi, inputs: maps(s.inputsLength(), (i) => s.inputs(i)), outputs: maps(s.outputsLength(), (i) => s.outputs(i)) });
  }

  const metadata: TfliteSummary['metadata'] = { entries: [] };
  for (let i = 0; i < m.metadataLength(); i++) {
    const md = m.metadata(i);
    if (!md) continue;
    const name = md.name() ?? '';
    const bi = md.buffer();
    const b = bi < bufferCount ? bufferInfo(loaded, bi, warnings) : undefined;
    if (!b) warnings.push(`metadata "${name}" names buffer ${bi}, but the model has ${bufferCount}`);
    const text = b?.data ? printable(b.data) : undefined;
    metadata.entries.push({ name, buffer: bi, bytes: b?.bytes ?? 0, ...(text !== undefined ? { text } : {}) });
    if (name === 'min_runtime_version' && text !== undefined) metadata.minRuntimeVersion = text;
    if (name === 'TFLITE_METADATA' && b?.data) {
      try {
        metadata.model = readModelMetadata(b.data, what);
      } catch (err) {
        if (!(err instanceof TfliteFormatError)) throw err;
        warnings.push(err.message);
      }
    }
  }

  const main = subgraphs[0];
  if (!main) warnings.push('the model has no subgraph');
  return {
    format: 'tflite',
    file: loaded.file,
    fileBytes: loaded.fileBytes,
    schemaVersion: m.version(),
    description: m.description() ?? '',
    subgraphs,
    signatures,
    inputs: main?.inputs ?? [],
    outputs: main?.outputs ?? [],
    operatorCount: main?.operators ?? 0,
    operatorCountAllSubgraphs: operatorCountAll,
    opHistogram: [...histogram.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op) || a.version - b.version),
    tensors,
    weights,
    quantization: { tensors: quantized, perChannel, types: [...quantTypes].sort() },
    sparseTensors,
    buffers,
    ...(externals.size || groups.length ? { externalBuffers: { files: groups, entries: externals.size, tensors: externalTensors, bytes: [...externals.values()].reduce((a, e) => a + e.bytes, 0) } } : {}),
    metadata,
    associatedFiles: appendedZipEntries(loaded.bytes),
    warnings,
  };
}

/** Opens and summarizes a .tflite file. */
export async function summarizeTfliteFile(file: string): Promise<TfliteSummary> {
  return summarizeTflite(await loadTflite(file));
}

/** Summarizes bytes in memory (tests, fuzzing). */
export function summarizeTfliteBytes(bytes: Uint8Array, name = 'model.tflite'): TfliteSummary {
  return summarizeTflite({ ...decodeTflite(bytes, name), file: name });
}

const fmtShape = (s: Array<number | null>) => `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]`;
const fmtBytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

/** The text `mobileai summary model.tflite` prints. */
export function describeTfliteSummary(s: TfliteSummary): string {
  const lines: string[] = [];
  lines.push(`${s.file ? path.basename(s.file) : 'model'}: TFLite (schema ${s.schemaVersion}), ${fmtBytes(s.fileBytes)}${s.description ? `, "${s.description}"` : ''}`);
  if (s.metadata.minRuntimeVersion) lines.push(`Min runtime: ${s.metadata.minRuntimeVersion}`);
  lines.push(`Subgraphs: ${s.subgraphs.length}${s.subgraphs.length > 1 ? ` (${s.subgraphs.map((g) => `${g.index}${g.name ? ` ${g.name}` : ''}: ${g.operators} ops`).join(', ')})` : ''}`);
  const io = (title: string, list: TfliteTensorRef[]) => {
    lines.push(`${title}:`);
    for (const v of list) lines.push(`  ${v.name}  ${v.type}${fmtShape(v.shape)}  (tensor ${v.index})`);
  };
  io('Inputs', s.inputs);
  io('Outputs', s.outputs);
  for (const sig of s.signatures) {
    lines.push(`Signature "${sig.key}" (subgraph ${sig.subgraph}): ${sig.inputs.map((i) => `${i.name}→${i.tensor.name}`).join(', ')} ⇒ ${sig.outputs.map((o) => `${o.name}←${o.tensor.name}`).join(', ')}`);
  }
  lines.push(`Operators: ${s.operatorCount}${s.operatorCountAllSubgraphs !== s.operatorCount ? ` (${s.operatorCountAllSubgraphs} in all subgraphs)` : ''}`);
  for (const h of s.opHistogram) lines.push(`  ${String(h.count).padStart(5)}  ${h.op}${h.custom ? ' (custom)' : ''}  v${h.version}`);
  lines.push(`Tensors: ${s.tensors.length}; weights: ${s.weights.tensors} tensors, ${s.weights.count.toLocaleString('en-US')} elements, ${fmtBytes(s.weights.bytes)}`);
  for (const [t, e] of Object.entries(s.weights.byDtype).sort((a, b) => b[1].bytes - a[1].bytes)) lines.push(`  ${t.padEnd(9)} ${String(e.tensors).padStart(5)} tensors  ${e.count.toLocaleString('en-US').padStart(12)} elements  ${fmtBytes(e.bytes)}`);
  if (s.quantization.tensors) {
    lines.push(`Quantized tensors: ${s.quantization.tensors} (${s.quantization.types.join(', ')}), ${s.quantization.perChannel} per-channel`);
    for (const t of s.tensors.filter((x) => x.quantization?.detailsParams?.blockSize !== undefined).slice(0, 8)) {
      const d = t.quantization?.detailsParams ?? {};
      lines.push(`  ${t.name}: ${t.type} ${t.quantization?.details} block ${d.blockSize}, scales in tensor ${d.scalesTensor}, zero points ${d.zeroPointsTensor === -1 ? '0' : `in tensor ${d.zeroPointsTensor}`}`);
    }
    for (const t of s.tensors.filter((x) => x.quantization?.scale.length).slice(0, 8)) {
      const q = t.quantization as TfliteQuantization;
      lines.push(`  ${t.name}: ${t.type} scale ${q.perChannel ? `[${q.scale.length} values, axis ${q.quantizedDimension}]` : q.scale[0]} zero point ${q.perChannel ? `[${q.zeroPoint.length}]` : q.zeroPoint[0] ?? 0}`);
    }
  }
  if (s.sparseTensors) lines.push(`Sparse tensors: ${s.sparseTensors}`);
  if (s.buffers.beyondFlatbuffer) lines.push(`Buffers stored after the flatbuffer: ${s.buffers.beyondFlatbuffer} (${fmtBytes(s.buffers.beyondFlatbufferBytes)})`);
  if (s.externalBuffers) lines.push(`Weights in external files: ${s.externalBuffers.tensors} tensors, ${s.externalBuffers.entries} entries, ${fmtBytes(s.externalBuffers.bytes)} in ${s.externalBuffers.files.join(', ') || '(no file named)'}`);
  if (s.metadata.entries.length) lines.push(`Metadata: ${s.metadata.entries.map((e) => (e.text !== undefined ? `${e.name}=${e.text}` : `${e.name} (${e.bytes} bytes)`)).join(', ')}`);
  const mm = s.metadata.model;
  if (mm) {
    lines.push(`Model metadata: ${[mm.name, mm.version && `version ${mm.version}`, mm.author && `by ${mm.author}`, mm.license && `licence ${mm.license}`].filter(Boolean).join(', ')}`);
    if (mm.description) lines.push(`  ${mm.description}`);
    for (const f of mm.associatedFiles) lines.push(`  file ${f.name} (${f.type})${f.description ? `: ${f.description}` : ''}`);
  }
  if (s.associatedFiles.length) lines.push(`Packed files: ${s.associatedFiles.map((f) => `${f.name} (${fmtBytes(f.bytes)})`).join(', ')}`);
  for (const w of s.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n');
}
