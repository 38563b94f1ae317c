import { readZipEntry, ZipError } from '../util/zip';

/** Reads what `pm install` needs from an APK: the package name in its binary AndroidManifest.xml. */
export class ApkError extends Error {}

function readStringPool(buf: Buffer, at: number): string[] {
  const count = buf.readUInt32LE(at + 8);
  const flags = buf.readUInt32LE(at + 16);
  const stringsStart = buf.readUInt32LE(at + 20);
  const utf8 = (flags & 0x100) !== 0;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let p = at + stringsStart + buf.readUInt32LE(at + 28 + i * 4);
    if (utf8) {
      if (buf[p] & 0x80) p += 2; else p += 1; // char count
      let len = buf[p];
      if (len & 0x80) { len = ((len & 0x7f) << 8) | buf[p + 1]; p += 2; } else p += 1;
      out.push(buf.toString('utf8', p, p + len));
    } else {
      let len = buf.readUInt16LE(p);
      if (len & 0x8000) { len = ((len & 0x7fff) << 16) | buf.readUInt16LE(p + 2); p += 4; } else p += 2;
      out.push(buf.toString('utf16le', p, p + len * 2));
    }
  }
  return out;
}

/** The `package` attribute of the <manifest> element of a binary (AXML) manifest. */
export function manifestPackage(axml: Buffer): string {
  if (axml.length < 8 || axml.readUInt16LE(0) !== 0x0003) throw new ApkError('AndroidManifest.xml is not binary XML');
  let strings: string[] = [];
  let p = axml.readUInt16LE(2);
  while (p + 8 <= axml.length) {
    const type = axml.readUInt16LE(p);
    const size = axml.readUInt32LE(p + 4);
    if (size < 8) break;
    if (type === 0x0001) strings = readStringPool(axml, p);
    if (type === 0x0102) {
      const ext = p + axml.readUInt16LE(p + 2);
      const name = strings[axml.readUInt32LE(ext + 4)];
      const attrStart = axml.readUInt16LE(ext + 8);
      const attrSize = axml.readUInt16LE(ext + 10);
      const attrCount = axml.readUInt16LE(ext + 12);
      if (name === 'manifest') {
        for (let i = 0; i < attrCount; i++) {
          const a = ext + attrStart + i * attrSize;
          if (strings[axml.readUInt32LE(a + 4)] === 'package') {
            const raw = axml.readInt32LE(a + 8);
            if (raw >= 0 && strings[raw]) return strings[raw];
          }
        }
        throw new ApkError('manifest has no package attribute');
      }
    }
    p += size;
  }
  throw new ApkError('no <manifest> element');
}

export function apkPackageName(apk: Buffer): string {
  try {
    return manifestPackage(readZipEntry(apk, 'AndroidManifest.xml'));
  } catch (err) {
    if (err instanceof ZipError) throw new ApkError(err.message);
    throw err;
  }
}
