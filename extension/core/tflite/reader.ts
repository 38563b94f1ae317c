import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { Model } from './schema_generated';

/** A file that is not a readable TFLite model, with a reason a user can act on. */
export class TfliteFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TfliteFormatError';
  }
}

/** The file identifier of a TFLite flatbuffer, at byte 4 (schema.fbs: `file_identifier "TFL3"`). */
export const TFLITE_IDENTIFIER = 'TFL3';
/** Files larger than this are refused (the reader holds the whole file in memory). */
export const MAX_TFLITE_BYTES = 4 * 1024 * 1024 * 1024 - 1;

/**
 * A flatbuffers ByteBuffer that refuses every read outside the file. The generated accessors read only through
 * these primitives, so an offset that points outside the bytes (a truncated or corrupted file) becomes one clear
 * error instead of silently reading `undefined` as 0. It also caps the number of field look-ups, so a file whose
 * vectors all point at the same huge table cannot make a summary run for ever.
 */
export class CheckedByteBuffer extends flatbuffers.ByteBuffer {
  private lookups = 0;
  private readonly maxLookups: number;

  constructor(bytes: Uint8Array, private readonly what: string) {
    super(bytes);
    this.maxLookups = Math.max(2_000_000, bytes.length * 64);
  }

  fail(reason: string): never {
    throw new TfliteFormatError(`${this.what}: ${reason} (file of ${this.capacity()} bytes; truncated or not a TFLite model?)`);
  }

  private check(offset: number, size: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.capacity()) {
      this.fail(`an offset points outside the file (${size} bytes at ${offset})`);
    }
  }

  override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }

  override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }

  override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }

  override __offset(bbPos: number, vtableOffset: number): number {
    if (++this.lookups > this.maxLookups) this.fail('too many references into the same data (a malformed file, or a loop)');
    const vtable = bbPos - this.readInt32(bbPos);
    this.check(vtable, 4);
    const vtSize = this.readUint16(vtable);
    if (vtSize < 4 || vtSize % 2) this.fail(`a table has a bad vtable size ${vtSize}`);
    const field = vtableOffset < vtSize ? this.readUint16(vtable + vtableOffset) : 0;
    if (field) {
      const objSize = this.readUint16(vtable + 2);
      if (field >= objSize) this.fail(`a field lies outside its table (${field} ≥ ${objSize})`);
      this.check(bbPos + field, 1);
    }
    return field;
  }

  override __vector_len(offset: number): number {
    const len = super.__vector_len(offset);
    const start = this.__vector(offset);
    if (len < 0 || start + len > this.capacity()) this.fail(`a vector of ${len} elements runs past the end`);
    return len;
  }

  override __string(offset: number, encoding?: flatbuffers.Encoding): string | Uint8Array {
    const at = offset + this.readInt32(offset);
    const len = this.readInt32(at);
    if (len < 0 || at + 4 + len > this.capacity()) this.fail(`a string of ${len} bytes runs past the end`);
    return super.__string(offset, encoding);
  }
}

export interface LoadedTflite {
  file?: string;
  fileBytes: number;
  bytes: Uint8Array;
  bb: CheckedByteBuffer;
  model: Model;
}

/** Opens a TFLite flatbuffer held in memory: checks the size, the `TFL3` identifier and the root table. */
export function decodeTflite(bytes: Uint8Array, name = 'model.tflite'): LoadedTflite {
  const what = path.basename(name);
  if (bytes.length < 8) throw new TfliteFormatError(`${what}: ${bytes.length} bytes is too short for a TFLite model (a flatbuffer starts with a root offset and the "TFL3" identifier)`);
  const ident = String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]);
  if (ident !== TFLITE_IDENTIFIER) {
    const printable = /^[\x20-\x7e]{4}$/.test(ident) ? `"${ident}"` : `bytes ${[...bytes.subarray(4, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
    const hint = bytes[0] === 0x08 || bytes[0] === 0x0a ? ' (it looks like a protobuf: an .onnx or TensorFlow file?)' : bytes[0] === 0x50 && bytes[1] === 0x4b ? ' (it is a zip archive)' : '';
    throw new TfliteFormatError(`${what}: not a TFLite model: the identifier at byte 4 is ${printable}, expected "${TFLITE_IDENTIFIER}"${hint}`);
  }
  const bb = new CheckedByteBuffer(bytes, what);
  const root = bb.readInt32(0);
  if (root < 8 || root + 4 > bytes.length) bb.fail(`the root table offset ${root} is outside the file`);
  const model = Model.getRootAsModel(bb);
  // Touch the root's vtable now, so a broken header fails here with the file's name.
  model.version();
  return { fileBytes: bytes.length, bytes, bb, model };
}

/** Reads a .tflite file from disk. */
export async function loadTflite(file: string): Promise<LoadedTflite> {
  const st = await fs.stat(file);
  if (st.size > MAX_TFLITE_BYTES) throw new TfliteFormatError(`${path.basename(file)}: ${st.size} bytes is more than this reader accepts (4 GiB)`);
  const bytes = await fs.readFile(file);
  return { ...decodeTflite(bytes, file), file };
}

/** True for a file name the TFLite reader handles. */
export function isTflitePath(file: string): boolean {
  return /\.tflite$/i.test(file);
}
