import { inflateRawSync } from 'node:zlib';

/** A minimal reader for zip archives (APKs, NumPy .npz): list entries and read one, stored or deflated. */
export class ZipError extends Error {}

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
}

export function listZip(zip: Buffer): Entry[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipError('not a zip archive');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out: Entry[] = [];
  for (let n = 0; n < count; n++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== 0x02014b50) throw new ZipError('corrupt zip central directory');
    const nameLen = zip.readUInt16LE(p + 28);
    out.push({ name: zip.toString('utf8', p + 46, p + 46 + nameLen), method: zip.readUInt16LE(p + 10), compressedSize: zip.readUInt32LE(p + 20), localOffset: zip.readUInt32LE(p + 42) });
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return out;
}

export function readZipEntry(zip: Buffer, name: string): Buffer {
  const e = listZip(zip).find((x) => x.name === name);
  if (!e) throw new ZipError(`${name} not found in archive`);
  const local = e.localOffset;
  if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) throw new ZipError('corrupt zip local header');
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const raw = zip.subarray(start, start + e.compressedSize);
  if (e.method === 0) return Buffer.from(raw);
  if (e.method === 8) return inflateRawSync(raw);
  throw new ZipError(`unsupported zip method ${e.method}`);
}
