import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';

/**
 * Reads what Android's package manager reads from an APK before it installs it: the binary
 * AndroidManifest.xml (AXML: chunks, a string pool in UTF-8 or UTF-16, the resource-id map, typed attribute
 * values), string resources from resources.arsc (for a label given as @string/…), native library folders,
 * and who signed it (the certificate of the APK Signature Scheme v2/v3 block, or of the v1 JAR signature).
 * Any malformed input ends in an ApkError with a reason; nothing else is thrown.
 */
export class ApkError extends Error {
  /** `zip`: not a zip archive (Android: INSTALL_PARSE_FAILED_NOT_APK); `manifest`: no usable manifest. */
  constructor(message: string, readonly kind: 'zip' | 'manifest' = 'manifest') {
    super(message);
  }
}

export interface ApkInfo {
  packageName: string;
  /** android:versionCode with android:versionCodeMajor in the high 32 bits (PackageInfo.getLongVersionCode). */
  versionCode: number;
  versionName: string | undefined;
  minSdkVersion: number;
  targetSdkVersion: number;
  /** The `split` attribute of <manifest> (undefined for a base APK). */
  split: string | undefined;
  configForSplit: string | undefined;
  isFeatureSplit: boolean;
  /** The application label: the literal, or the string resource it names, resolved in resources.arsc. */
  label: string | undefined;
  /** The label's resource id when it is a reference. */
  labelRes: number | undefined;
  /** The fully qualified class of the first activity (or alias) with a MAIN/LAUNCHER intent filter. */
  launcherActivity: string | undefined;
  activities: string[];
  debuggable: boolean;
  testOnly: boolean;
  hasCode: boolean;
  permissions: string[];
  /** ABIs of the native libraries (lib/ABI/…so). */
  nativeAbis: string[];
  /** SHA-256 of the signing certificate (hex), undefined when unsigned. */
  signer: string | undefined;
  /** The newest signature scheme found: 3, 2, 1, or 0 for unsigned. */
  signingVersion: number;
}

/* ---------------- zip ---------------- */

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Where the central directory starts (the APK Signing Block sits right before it). */
  cdOffset: number;
}

function u16(b: Buffer, at: number): number {
  if (at < 0 || at + 2 > b.length) throw new ApkError('truncated data');
  return b.readUInt16LE(at);
}
function u32(b: Buffer, at: number): number {
  if (at < 0 || at + 4 > b.length) throw new ApkError('truncated data');
  return b.readUInt32LE(at);
}

export function readZipDirectory(zip: Buffer): ZipDirectory {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new ApkError('not a zip archive (no end of central directory)', 'zip');
  const count = zip.readUInt16LE(eocd + 10);
  const cdSize = zip.readUInt32LE(eocd + 12);
  const cdOffset = zip.readUInt32LE(eocd + 16);
  if (cdOffset + cdSize > eocd) throw new ApkError('corrupt zip: central directory out of range', 'zip');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || zip.readUInt32LE(p) !== 0x02014b50) throw new ApkError('corrupt zip central directory', 'zip');
    const nameLen = zip.readUInt16LE(p + 28);
    if (p + 46 + nameLen > eocd) throw new ApkError('corrupt zip central directory', 'zip');
    entries.push({
      name: zip.toString('utf8', p + 46, p + 46 + nameLen), method: zip.readUInt16LE(p + 10), compressedSize: zip.readUInt32LE(p + 20),
      size: zip.readUInt32LE(p + 24), localOffset: zip.readUInt32LE(p + 42),
    });
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return { entries, cdOffset };
}

/** One entry's bytes (stored or deflated), at most `limit` bytes once inflated. */
export function readZipEntryData(zip: Buffer, e: ZipEntry, limit = 64 * 1024 * 1024): Buffer {
  const local = e.localOffset;
  if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) throw new ApkError(`corrupt zip local header for ${e.name}`, 'zip');
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  if (start + e.compressedSize > zip.length) throw new ApkError(`${e.name} is truncated`, 'zip');
  const raw = zip.subarray(start, start + e.compressedSize);
  if (e.method === 0) {
    if (raw.length > limit) throw new ApkError(`${e.name} is too large`);
    return Buffer.from(raw);
  }
  if (e.method === 8) {
    try {
      return inflateRawSync(raw, { maxOutputLength: limit });
    } catch (err) {
      throw new ApkError(`${e.name} cannot be inflated: ${(err as Error).message}`, 'zip');
    }
  }
  throw new ApkError(`${e.name} uses unsupported zip method ${e.method}`, 'zip');
}

/* ---------------- binary XML (AXML) ---------------- */

const RES_STRING_POOL_TYPE = 0x0001;
const RES_TABLE_TYPE = 0x0002;
const RES_XML_TYPE = 0x0003;
const RES_XML_START_NAMESPACE_TYPE = 0x0100;
const RES_XML_END_NAMESPACE_TYPE = 0x0101;
const RES_XML_START_ELEMENT_TYPE = 0x0102;
const RES_XML_END_ELEMENT_TYPE = 0x0103;
const RES_XML_RESOURCE_MAP_TYPE = 0x0180;
const RES_TABLE_PACKAGE_TYPE = 0x0200;
const RES_TABLE_TYPE_TYPE = 0x0201;

export const TYPE_REFERENCE = 0x01;
export const TYPE_STRING = 0x03;
export const TYPE_INT_DEC = 0x10;
export const TYPE_INT_HEX = 0x11;
export const TYPE_INT_BOOLEAN = 0x12;

export const ANDROID_NS = 'http://schemas.android.com/apk/res/android';

/** android:* attribute resource ids (frameworks/base core/res/res/values/public.xml). */
export const ATTR = {
  label: 0x01010001,
  name: 0x01010003,
  debuggable: 0x0101000f,
  hasCode: 0x0101000c,
  enabled: 0x0101000e,
  exported: 0x01010010,
  minSdkVersion: 0x0101020c,
  versionCode: 0x0101021b,
  versionName: 0x0101021c,
  targetSdkVersion: 0x01010270,
  testOnly: 0x01010272,
  targetActivity: 0x01010202,
  isFeatureSplit: 0x0101055b,
  versionCodeMajor: 0x01010576,
} as const;
const ATTR_NAME_BY_ID = new Map<number, string>(Object.entries(ATTR).map(([k, v]) => [v, k]));

export interface XmlAttribute {
  ns: string | undefined;
  name: string;
  /** The android: resource id of the attribute, from the resource map. */
  resId: number | undefined;
  type: number;
  data: number;
  /** The raw string value (for strings), if any. */
  raw: string | undefined;
}

export interface XmlElement {
  ns: string | undefined;
  name: string;
  attrs: XmlAttribute[];
  children: XmlElement[];
}

/** A string pool chunk's strings (UTF-8 or UTF-16). */
export function readStringPool(buf: Buffer, at: number): string[] {
  const headerSize = u16(buf, at + 2);
  const size = u32(buf, at + 4);
  const count = u32(buf, at + 8);
  const flags = u32(buf, at + 16);
  const stringsStart = u32(buf, at + 20);
  const end = at + size;
  if (end > buf.length || headerSize < 28) throw new ApkError('corrupt string pool');
  if (count > (size - headerSize) / 4) throw new ApkError('corrupt string pool: too many strings');
  const utf8 = (flags & 0x100) !== 0;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let p = at + stringsStart + u32(buf, at + headerSize + i * 4);
    if (p >= end) throw new ApkError('corrupt string pool: string out of range');
    if (utf8) {
      p += buf[p] & 0x80 ? 2 : 1; // length in UTF-16 units, unused
      if (p >= end) throw new ApkError('corrupt string pool');
      let len = buf[p];
      if (len & 0x80) {
        if (p + 1 >= end) throw new ApkError('corrupt string pool');
        len = ((len & 0x7f) << 8) | buf[p + 1];
        p += 2;
      } else p += 1;
      if (p + len > end) throw new ApkError('corrupt string pool: string runs past the pool');
      out.push(buf.toString('utf8', p, p + len));
    } else {
      let len = u16(buf, p);
      if (len & 0x8000) { len = ((len & 0x7fff) << 16) | u16(buf, p + 2); p += 4; } else p += 2;
      if (p + len * 2 > end) throw new ApkError('corrupt string pool: string runs past the pool');
      out.push(buf.toString('utf16le', p, p + len * 2));
    }
  }
  return out;
}

/** Parses a binary XML document into its element tree (the root element). */
export function parseBinaryXml(axml: Buffer): XmlElement {
  if (axml.length < 8 || axml.readUInt16LE(0) !== RES_XML_TYPE) throw new ApkError('AndroidManifest.xml is not binary XML');
  const total = Math.min(axml.readUInt32LE(4), axml.length);
  let strings: string[] = [];
  let resIds: number[] = [];
  const str = (i: number): string | undefined => (i === 0xffffffff ? undefined : strings[i]);
  const need = (i: number): string => {
    const s = str(i);
    if (s === undefined) throw new ApkError(`string index ${i} out of range`);
    return s;
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let p = u16(axml, 2);
  while (p + 8 <= total) {
    const type = axml.readUInt16LE(p);
    const headerSize = axml.readUInt16LE(p + 2);
    const size = axml.readUInt32LE(p + 4);
    if (size < 8 || p + size > total || headerSize > size) throw new ApkError(`corrupt XML chunk at ${p}`);
    switch (type) {
      case RES_STRING_POOL_TYPE: strings = readStringPool(axml, p); break;
      case RES_XML_RESOURCE_MAP_TYPE:
        resIds = [];
        for (let q = p + headerSize; q + 4 <= p + size; q += 4) resIds.push(axml.readUInt32LE(q));
        break;
      case RES_XML_START_NAMESPACE_TYPE: case RES_XML_END_NAMESPACE_TYPE: break;
      case RES_XML_START_ELEMENT_TYPE: {
        if (++elements > 100000 || stack.length > 256) throw new ApkError('manifest is too deep or too large');
        const ext = p + headerSize;
        const ns = str(u32(axml, ext));
        const name = need(u32(axml, ext + 4));
        const attrStart = u16(axml, ext + 8);
        const attrSize = u16(axml, ext + 10);
        const attrCount = u16(axml, ext + 12);
        if (attrSize < 20 || ext + attrStart + attrCount * attrSize > p + size) throw new ApkError(`corrupt attributes of <${name}>`);
        const attrs: XmlAttribute[] = [];
        for (let i = 0; i < attrCount; i++) {
          const a = ext + attrStart + i * attrSize;
          const nameIdx = axml.readUInt32LE(a + 4);
          const rawIdx = axml.readUInt32LE(a + 8);
          attrs.push({
            ns: str(axml.readUInt32LE(a)), name: need(nameIdx), resId: nameIdx < resIds.length ? resIds[nameIdx] : undefined,
            type: axml[a + 15], data: axml.readUInt32LE(a + 16), raw: str(rawIdx),
          });
        }
        const el: XmlElement = { ns, name, attrs, children: [] };
        if (stack.length) stack[stack.length - 1].children.push(el);
        else if (!root) root = el;
        else throw new ApkError('more than one root element');
        stack.push(el);
        break;
      }
      case RES_XML_END_ELEMENT_TYPE:
        if (!stack.pop()) throw new ApkError('unbalanced end tag');
        break;
      default: break; // CDATA and unknown chunks are skipped, as Android's parser does
    }
    p += size;
  }
  if (!root) throw new ApkError('no <manifest> element');
  return root;
}

/** Finds an attribute as Android's parser does: by android: resource id when mapped, else by name. */
function attr(el: XmlElement, name: string, android = true): XmlAttribute | undefined {
  if (!android) return el.attrs.find((a) => a.name === name && !a.ns);
  const id = (ATTR as Record<string, number>)[name];
  const byId = id === undefined ? undefined : el.attrs.find((a) => a.resId === id);
  return byId ?? el.attrs.find((a) => a.name === name && a.ns === ANDROID_NS && (a.resId === undefined || ATTR_NAME_BY_ID.get(a.resId) === name));
}

function attrString(a: XmlAttribute | undefined): string | undefined {
  if (!a) return undefined;
  if (a.type === TYPE_STRING) return a.raw ?? undefined;
  if (a.type === TYPE_INT_DEC || a.type === TYPE_INT_HEX) return String(a.data | 0);
  return a.raw;
}

function attrInt(a: XmlAttribute | undefined, dflt: number): number {
  if (!a) return dflt;
  if (a.type >= 0x10 && a.type <= 0x1f) return a.data | 0;
  if (a.type === TYPE_STRING && a.raw !== undefined && /^-?\d+$/.test(a.raw.trim())) return Number(a.raw.trim());
  return dflt;
}

function attrBool(a: XmlAttribute | undefined, dflt: boolean): boolean {
  if (!a) return dflt;
  if (a.type === TYPE_INT_BOOLEAN || a.type === TYPE_INT_DEC) return a.data !== 0;
  if (a.type === TYPE_STRING) return a.raw === 'true';
  return dflt;
}

/** Android's ComponentName rules: ".X" and "X" (no dot) are relative to the package. */
export function fullClassName(pkg: string, cls: string): string {
  if (cls.startsWith('.')) return pkg + cls;
  if (!cls.includes('.')) return `${pkg}.${cls}`;
  return cls;
}

/* ---------------- resources.arsc ---------------- */

/** Looks a string resource up in resources.arsc (default configuration first), following references. */
export function resolveStringResource(arsc: Buffer, id: number, depth = 0): string | undefined {
  if (depth > 4 || arsc.length < 12 || arsc.readUInt16LE(0) !== RES_TABLE_TYPE) return undefined;
  const pkgId = id >>> 24;
  const typeId = (id >>> 16) & 0xff;
  const entryIdx = id & 0xffff;
  const tableEnd = Math.min(arsc.readUInt32LE(4), arsc.length);
  let globals: string[] = [];
  let best: { type: number; data: number } | undefined;
  let p = arsc.readUInt16LE(2);
  while (p + 8 <= tableEnd) {
    const type = arsc.readUInt16LE(p);
    const size = arsc.readUInt32LE(p + 4);
    if (size < 8 || p + size > tableEnd) return undefined;
    if (type === RES_STRING_POOL_TYPE) globals = readStringPool(arsc, p);
    if (type === RES_TABLE_PACKAGE_TYPE && u32(arsc, p + 8) === pkgId) {
      let q = p + u16(arsc, p + 2);
      while (q + 8 <= p + size) {
        const t = arsc.readUInt16LE(q);
        const hs = arsc.readUInt16LE(q + 2);
        const sz = arsc.readUInt32LE(q + 4);
        if (sz < 8 || q + sz > p + size) break;
        if (t === RES_TABLE_TYPE_TYPE && arsc[q + 8] === typeId) {
          const v = typeEntryValue(arsc, q, hs, sz, entryIdx);
          if (v) {
            const configSize = u32(arsc, q + 20);
            const config = arsc.subarray(q + 24, Math.min(q + 20 + configSize, q + hs));
            const isDefault = config.every((b) => b === 0);
            if (isDefault || !best) best = v;
            if (isDefault) break;
          }
        }
        q += sz;
      }
    }
    p += size;
  }
  if (!best) return undefined;
  if (best.type === TYPE_STRING) return globals[best.data];
  if (best.type === TYPE_REFERENCE) return resolveStringResource(arsc, best.data, depth + 1);
  return undefined;
}

function typeEntryValue(b: Buffer, at: number, headerSize: number, size: number, index: number): { type: number; data: number } | undefined {
  const flags = b[at + 9];
  const entryCount = u32(b, at + 12);
  const entriesStart = u32(b, at + 16);
  let offset: number | undefined;
  if (flags & 0x01) { // sparse: (index, offset/4) pairs
    for (let i = 0; i < entryCount; i++) {
      if (u16(b, at + headerSize + i * 4) === index) { offset = u16(b, at + headerSize + i * 4 + 2) * 4; break; }
    }
  } else if (index < entryCount) {
    if (flags & 0x02) { const o = u16(b, at + headerSize + index * 2); offset = o === 0xffff ? undefined : o * 4; }
    else { const o = u32(b, at + headerSize + index * 4); offset = o === 0xffffffff ? undefined : o; }
  }
  if (offset === undefined) return undefined;
  const e = at + entriesStart + offset;
  if (e + 8 > at + size) return undefined;
  const eFlags = u16(b, e + 2);
  if (eFlags & 0x0008) return { type: eFlags >>> 8, data: u32(b, e + 4) }; // compact entry
  if (eFlags & 0x0001) return undefined; // a bag (style, plural…), not a value
  const v = e + u16(b, e);
  if (v + 8 > at + size) return undefined;
  return { type: b[v + 3], data: u32(b, v + 4) };
}

/* ---------------- signatures ---------------- */

const APK_SIG_V2 = 0x7109871a;
const APK_SIG_V3 = 0xf05368c0;
const APK_SIG_V31 = 0x1b93ad61;

function readLenPrefixed(b: Buffer, at: number, end: number): { start: number; end: number } {
  const len = u32(b, at);
  if (at + 4 + len > end) throw new ApkError('corrupt APK Signing Block');
  return { start: at + 4, end: at + 4 + len };
}

/** The first signer's certificate in the APK Signing Block (v3 preferred over v2), if there is a block. */
function signingBlockCertificate(apk: Buffer, cdOffset: number): { cert: Buffer; version: number } | undefined {
  if (cdOffset < 32 || apk.toString('latin1', cdOffset - 16, cdOffset) !== 'APK Sig Block 42') return undefined;
  const size = Number(apk.readBigUInt64LE(cdOffset - 24));
  const start = cdOffset - size - 8;
  if (!Number.isSafeInteger(size) || start < 0 || Number(apk.readBigUInt64LE(start)) !== size) throw new ApkError('corrupt APK Signing Block');
  const found = new Map<number, { start: number; end: number }>();
  for (let p = start + 8; p + 12 <= cdOffset - 24;) {
    const len = Number(apk.readBigUInt64LE(p));
    if (!Number.isSafeInteger(len) || len < 4 || p + 8 + len > cdOffset - 24) throw new ApkError('corrupt APK Signing Block');
    found.set(apk.readUInt32LE(p + 8), { start: p + 12, end: p + 8 + len });
    p += 8 + len;
  }
  for (const [id, version] of [[APK_SIG_V31, 3], [APK_SIG_V3, 3], [APK_SIG_V2, 2]] as const) {
    const v = found.get(id);
    if (!v) continue;
    const signers = readLenPrefixed(apk, v.start, v.end);
    const signer = readLenPrefixed(apk, signers.start, signers.end);
    const signedData = readLenPrefixed(apk, signer.start, signer.end);
    const digests = readLenPrefixed(apk, signedData.start, signedData.end);
    const certs = readLenPrefixed(apk, digests.end, signedData.end);
    const cert = readLenPrefixed(apk, certs.start, certs.end);
    return { cert: apk.subarray(cert.start, cert.end), version };
  }
  return undefined;
}

/** DER: the tag, where the content starts and ends. */
function derAt(b: Buffer, at: number, end: number): { tag: number; start: number; end: number } {
  if (at + 2 > end) throw new ApkError('corrupt signature (DER)');
  const tag = b[at];
  let len = b[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4 || start + n > end) throw new ApkError('corrupt signature (DER)');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  if (start + len > end) throw new ApkError('corrupt signature (DER)');
  return { tag, start, end: start + len };
}

/** The first certificate of a PKCS#7 SignedData (META-INF/*.RSA, .DSA, .EC). */
function pkcs7Certificate(p7: Buffer): Buffer {
  const ci = derAt(p7, 0, p7.length); // ContentInfo
  const oid = derAt(p7, ci.start, ci.end);
  const explicit = derAt(p7, oid.end, ci.end); // [0] EXPLICIT
  const sd = derAt(p7, explicit.start, explicit.end); // SignedData
  let p = sd.start;
  for (let i = 0; i < 3; i++) p = derAt(p7, p, sd.end).end; // version, digestAlgorithms, contentInfo
  const certs = derAt(p7, p, sd.end);
  if (certs.tag !== 0xa0) throw new ApkError('v1 signature has no certificate');
  const cert = derAt(p7, certs.start, certs.end);
  return p7.subarray(certs.start, cert.end);
}

/* ---------------- the APK ---------------- */

function manifestInfo(root: XmlElement, arsc: Buffer | undefined): Omit<ApkInfo, 'nativeAbis' | 'signer' | 'signingVersion'> {
  if (root.name !== 'manifest') throw new ApkError('No <manifest> tag');
  const pkgAttr = attr(root, 'package', false);
  const packageName = pkgAttr?.raw;
  if (!packageName) throw new ApkError('<manifest> has no package attribute');
  const versionCode = (attrInt(attr(root, 'versionCode'), 0) >>> 0) + attrInt(attr(root, 'versionCodeMajor'), 0) * 2 ** 32;
  const versionNameAttr = attr(root, 'versionName');
  let versionName = attrString(versionNameAttr);
  if (versionNameAttr?.type === TYPE_REFERENCE && arsc) versionName = resolveStringResource(arsc, versionNameAttr.data) ?? versionName;
  const usesSdk = root.children.find((c) => c.name === 'uses-sdk');
  const minSdkVersion = attrInt(usesSdk && attr(usesSdk, 'minSdkVersion'), 1);
  const targetSdkVersion = attrInt(usesSdk && attr(usesSdk, 'targetSdkVersion'), minSdkVersion);
  const app = root.children.find((c) => c.name === 'application');
  let label: string | undefined;
  let labelRes: number | undefined;
  const labelAttr = app && attr(app, 'label');
  if (labelAttr?.type === TYPE_REFERENCE) {
    labelRes = labelAttr.data;
    label = arsc ? resolveStringResource(arsc, labelAttr.data) : undefined;
  } else label = attrString(labelAttr);
  const activities: string[] = [];
  let launcherActivity: string | undefined;
  for (const c of app?.children ?? []) {
    if (c.name !== 'activity' && c.name !== 'activity-alias') continue;
    const n = attrString(attr(c, 'name'));
    if (!n) continue;
    const cls = fullClassName(packageName, n);
    activities.push(cls);
    if (!attrBool(attr(c, 'enabled'), true) || launcherActivity) continue;
    const launcher = c.children.some((f) => f.name === 'intent-filter'
      && f.children.some((x) => x.name === 'action' && attrString(attr(x, 'name')) === 'android.intent.action.MAIN')
      && f.children.some((x) => x.name === 'category' && attrString(attr(x, 'name')) === 'android.intent.category.LAUNCHER'));
    if (launcher) launcherActivity = cls;
  }
  const permissions = root.children.filter((c) => c.name === 'uses-permission' || c.name === 'uses-permission-sdk-23')
    .map((c) => attrString(attr(c, 'name'))).filter((x): x is string => !!x);
  return {
    packageName, versionCode, versionName, minSdkVersion, targetSdkVersion,
    split: attr(root, 'split', false)?.raw, configForSplit: attr(root, 'configForSplit', false)?.raw, isFeatureSplit: attrBool(attr(root, 'isFeatureSplit'), false),
    label, labelRes, launcherActivity, activities,
    debuggable: attrBool(app && attr(app, 'debuggable'), false), testOnly: attrBool(app && attr(app, 'testOnly'), false), hasCode: attrBool(app && attr(app, 'hasCode'), true),
    permissions,
  };
}

/** Everything the installer needs from an APK. Throws ApkError (and nothing else) on bad input. */
export function parseApk(apk: Buffer): ApkInfo {
  try {
    const dir = readZipDirectory(apk);
    const manifestEntry = dir.entries.find((e) => e.name === 'AndroidManifest.xml');
    if (!manifestEntry) throw new ApkError('AndroidManifest.xml not found in the archive');
    const root = parseBinaryXml(readZipEntryData(apk, manifestEntry, 16 * 1024 * 1024));
    const arscEntry = dir.entries.find((e) => e.name === 'resources.arsc');
    let arsc: Buffer | undefined;
    try {
      arsc = arscEntry ? readZipEntryData(apk, arscEntry, 64 * 1024 * 1024) : undefined;
    } catch { arsc = undefined; }
    let info: ReturnType<typeof manifestInfo>;
    try {
      info = manifestInfo(root, arsc);
    } catch (err) {
      if (err instanceof ApkError || !arsc) throw err;
      info = manifestInfo(root, undefined); // a broken resource table only costs the label
    }
    const nativeAbis = [...new Set(dir.entries.map((e) => /^lib\/([^/]+)\/[^/]+\.so$/.exec(e.name)?.[1]).filter((x): x is string => !!x))];
    let signer: string | undefined;
    let signingVersion = 0;
    const block = signingBlockCertificate(apk, dir.cdOffset);
    if (block) {
      signer = createHash('sha256').update(block.cert).digest('hex');
      signingVersion = block.version;
    } else {
      const sig = dir.entries.find((e) => /^META-INF\/[^/]+\.(RSA|DSA|EC)$/i.test(e.name));
      if (sig) {
        signer = createHash('sha256').update(pkcs7Certificate(readZipEntryData(apk, sig, 1024 * 1024))).digest('hex');
        signingVersion = 1;
      }
    }
    return { ...info, nativeAbis, signer, signingVersion };
  } catch (err) {
    if (err instanceof ApkError) throw err;
    throw new ApkError(`malformed APK: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** The `package` attribute of the <manifest> element of a binary (AXML) manifest. */
export function manifestPackage(axml: Buffer): string {
  try {
    return manifestInfo(parseBinaryXml(axml), undefined).packageName;
  } catch (err) {
    if (err instanceof ApkError) throw err;
    throw new ApkError(`malformed manifest: ${(err as Error)?.message ?? String(err)}`);
  }
}

export function apkPackageName(apk: Buffer): string {
  return parseApk(apk).packageName;
}
