import { deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';

/**
 * Builds real, minimal APKs for tests: a zip whose AndroidManifest.xml is binary XML encoded the way aapt2
 * writes it (frameworks/base tools/aapt2 XmlFlattener: a string pool whose first strings are the android:
 * attribute names in resource-id order, a resource map for them, start/end namespace and element chunks,
 * typed attribute values), optionally a resources.arsc holding the label, native library folders, a v1 or
 * v2 signature block (with a made-up certificate: the identity pm compares, not a verifiable signature),
 * and padding to reach a size.
 */

const ANDROID_NS = 'http://schemas.android.com/apk/res/android';

/** android:* attribute ids, from frameworks/base core/res/res/values/public.xml. */
const ATTR_IDS: Record<string, number> = {
  label: 0x01010001, name: 0x01010003, hasCode: 0x0101000c, enabled: 0x0101000e, debuggable: 0x0101000f, exported: 0x01010010,
  targetActivity: 0x01010202, minSdkVersion: 0x0101020c, versionCode: 0x0101021b, versionName: 0x0101021c,
  targetSdkVersion: 0x01010270, testOnly: 0x01010272, isFeatureSplit: 0x0101055b, versionCodeMajor: 0x01010576,
};

const TYPE_REFERENCE = 0x01;
const TYPE_STRING = 0x03;
const TYPE_INT_DEC = 0x10;
const TYPE_INT_BOOLEAN = 0x12;

export interface ActivitySpec {
  name: string;
  /** A MAIN/LAUNCHER intent filter. */
  launcher?: boolean;
  /** Emit as <activity-alias> (with android:targetActivity). */
  alias?: string;
  enabled?: boolean;
}

export interface ApkSpec {
  package: string;
  versionCode?: number;
  versionCodeMajor?: number;
  versionName?: string;
  minSdk?: number;
  targetSdk?: number;
  /** A split APK (`split="config.arm64_v8a"`). */
  split?: string;
  configForSplit?: string;
  isFeatureSplit?: boolean;
  /** A literal android:label. */
  label?: string;
  /** The label as @string/app_name in a resources.arsc (the usual case in real apps). */
  labelResource?: string;
  activities?: ActivitySpec[];
  debuggable?: boolean;
  testOnly?: boolean;
  hasCode?: boolean;
  permissions?: string[];
  /** lib/ABI/libnative.so entries. */
  nativeAbis?: string[];
  /** A v2 APK Signing Block whose certificate is these bytes (the same string = the same signer). */
  signer?: string;
  /** A v1 signature: META-INF/CERT.RSA as PKCS#7 holding this "certificate". */
  v1Signer?: string;
  /** Bytes of incompressible padding (assets/padding.bin, stored) to reach a size. */
  padding?: number;
  /** String pool in UTF-16 instead of aapt2's default UTF-8. */
  utf16?: boolean;
  /** Store the manifest instead of deflating it. */
  storeManifest?: boolean;
}

/* ---------------- binary XML ---------------- */

interface AttrIn { ns?: string; name: string; value: string | number | boolean | { ref: number } }
interface ElIn { name: string; attrs: AttrIn[]; children: ElIn[] }

function manifestTree(s: ApkSpec): ElIn {
  const attrs: AttrIn[] = [{ name: 'package', value: s.package }];
  if (s.versionCode !== undefined) attrs.push({ ns: ANDROID_NS, name: 'versionCode', value: s.versionCode });
  if (s.versionCodeMajor !== undefined) attrs.push({ ns: ANDROID_NS, name: 'versionCodeMajor', value: s.versionCodeMajor });
  if (s.versionName !== undefined) attrs.push({ ns: ANDROID_NS, name: 'versionName', value: s.versionName });
  if (s.split !== undefined) attrs.push({ name: 'split', value: s.split });
  if (s.configForSplit !== undefined) attrs.push({ name: 'configForSplit', value: s.configForSplit });
  if (s.isFeatureSplit) attrs.push({ ns: ANDROID_NS, name: 'isFeatureSplit', value: true });
  const children: ElIn[] = [];
  if (s.minSdk !== undefined || s.targetSdk !== undefined) {
    const sdk: AttrIn[] = [];
    if (s.minSdk !== undefined) sdk.push({ ns: ANDROID_NS, name: 'minSdkVersion', value: s.minSdk });
    if (s.targetSdk !== undefined) sdk.push({ ns: ANDROID_NS, name: 'targetSdkVersion', value: s.targetSdk });
    children.push({ name: 'uses-sdk', attrs: sdk, children: [] });
  }
  for (const p of s.permissions ?? []) children.push({ name: 'uses-permission', attrs: [{ ns: ANDROID_NS, name: 'name', value: p }], children: [] });
  const appAttrs: AttrIn[] = [];
  if (s.labelResource !== undefined) appAttrs.push({ ns: ANDROID_NS, name: 'label', value: { ref: 0x7f010000 } });
  else if (s.label !== undefined) appAttrs.push({ ns: ANDROID_NS, name: 'label', value: s.label });
  if (s.debuggable) appAttrs.push({ ns: ANDROID_NS, name: 'debuggable', value: true });
  if (s.testOnly) appAttrs.push({ ns: ANDROID_NS, name: 'testOnly', value: true });
  if (s.hasCode !== undefined) appAttrs.push({ ns: ANDROID_NS, name: 'hasCode', value: s.hasCode });
  const acts: ElIn[] = (s.activities ?? []).map((a) => {
    const at: AttrIn[] = [{ ns: ANDROID_NS, name: 'name', value: a.name }, { ns: ANDROID_NS, name: 'exported', value: !!a.launcher }];
    if (a.enabled === false) at.push({ ns: ANDROID_NS, name: 'enabled', value: false });
    if (a.alias) at.push({ ns: ANDROID_NS, name: 'targetActivity', value: a.alias });
    const filters: ElIn[] = a.launcher ? [{
      name: 'intent-filter', attrs: [], children: [
        { name: 'action', attrs: [{ ns: ANDROID_NS, name: 'name', value: 'android.intent.action.MAIN' }], children: [] },
        { name: 'category', attrs: [{ ns: ANDROID_NS, name: 'name', value: 'android.intent.category.LAUNCHER' }], children: [] },
      ],
    }] : [];
    return { name: a.alias ? 'activity-alias' : 'activity', attrs: at, children: filters };
  });
  if (s.split === undefined || appAttrs.length || acts.length) children.push({ name: 'application', attrs: appAttrs, children: acts });
  return { name: 'manifest', attrs, children };
}

function chunk(type: number, header: Buffer, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(type, 0);
  h.writeUInt16LE(8 + header.length, 2);
  h.writeUInt32LE(8 + header.length + body.length, 4);
  return Buffer.concat([h, header, body]);
}

function pad4(b: Buffer): Buffer {
  return b.length % 4 ? Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]) : b;
}

/** A ResStringPool chunk (UTF-8 as aapt2 writes by default, or UTF-16). */
export function stringPool(strings: string[], utf16 = false): Buffer {
  const offsets = Buffer.alloc(strings.length * 4);
  const datas: Buffer[] = [];
  let off = 0;
  strings.forEach((s, i) => {
    offsets.writeUInt32LE(off, i * 4);
    let d: Buffer;
    if (utf16) {
      const units = Buffer.from(s, 'utf16le');
      const n = units.length / 2;
      const len = Buffer.alloc(n > 0x7fff ? 4 : 2);
      if (n > 0x7fff) { len.writeUInt16LE(0x8000 | (n >>> 16), 0); len.writeUInt16LE(n & 0xffff, 2); } else len.writeUInt16LE(n, 0);
      d = Buffer.concat([len, units, Buffer.alloc(2)]);
    } else {
      const bytes = Buffer.from(s, 'utf8');
      const u = Buffer.from(s, 'utf16le').length / 2;
      const enc = (n: number) => (n > 0x7f ? Buffer.from([0x80 | (n >> 8), n & 0xff]) : Buffer.from([n]));
      d = Buffer.concat([enc(u), enc(bytes.length), bytes, Buffer.alloc(1)]);
    }
    datas.push(d);
    off += d.length;
  });
  const body = pad4(Buffer.concat([offsets, ...datas]));
  const header = Buffer.alloc(20);
  header.writeUInt32LE(strings.length, 0);
  header.writeUInt32LE(0, 4); // styles
  header.writeUInt32LE(utf16 ? 0 : 0x100, 8);
  header.writeUInt32LE(28 + offsets.length, 12); // stringsStart, from the chunk start
  header.writeUInt32LE(0, 16);
  return chunk(0x0001, header, body);
}

/** A binary AndroidManifest.xml for the spec, laid out as aapt2 lays it out. */
export function buildManifest(s: ApkSpec): Buffer {
  return encodeXml(manifestTree(s), !!s.utf16);
}

function encodeXml(root: ElIn, utf16: boolean): Buffer {
  // aapt2 puts the attribute names that have resource ids first, ordered by id, so the resource map is a prefix.
  const idNames = new Set<string>();
  const others: string[] = [];
  const addOther = (x: string) => { if (!others.includes(x)) others.push(x); };
  const walk = (e: ElIn) => {
    for (const a of e.attrs) if (a.ns === ANDROID_NS && ATTR_IDS[a.name] !== undefined) idNames.add(a.name);
    e.children.forEach(walk);
  };
  walk(root);
  const sortedIds = [...idNames].sort((a, b) => ATTR_IDS[a] - ATTR_IDS[b]);
  addOther('android');
  addOther(ANDROID_NS);
  const collect = (e: ElIn) => {
    addOther(e.name);
    for (const a of e.attrs) {
      if (!(a.ns === ANDROID_NS && ATTR_IDS[a.name] !== undefined)) addOther(a.name);
      if (typeof a.value === 'string') addOther(a.value);
    }
    e.children.forEach(collect);
  };
  collect(root);
  const strings = [...sortedIds, ...others.filter((x) => !sortedIds.includes(x))];
  const idx = (x: string) => {
    const i = strings.indexOf(x);
    if (i < 0) throw new Error(`string ${x} not pooled`);
    return i;
  };
  const parts: Buffer[] = [stringPool(strings, utf16)];
  const map = Buffer.alloc(sortedIds.length * 4);
  sortedIds.forEach((n, i) => map.writeUInt32LE(ATTR_IDS[n], i * 4));
  parts.push(chunk(0x0180, Buffer.alloc(0), map));
  const node = (line: number) => {
    const h = Buffer.alloc(8);
    h.writeUInt32LE(line, 0);
    h.writeUInt32LE(0xffffffff, 4);
    return h;
  };
  const nsExt = () => {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(idx('android'), 0);
    b.writeUInt32LE(idx(ANDROID_NS), 4);
    return b;
  };
  let line = 1;
  parts.push(chunk(0x0100, node(line), nsExt()));
  const emit = (e: ElIn) => {
    line++;
    const attrs = [...e.attrs].sort((a, b) => (ATTR_IDS[a.name] !== undefined && a.ns === ANDROID_NS ? ATTR_IDS[a.name] : 0x7fffffff) - (ATTR_IDS[b.name] !== undefined && b.ns === ANDROID_NS ? ATTR_IDS[b.name] : 0x7fffffff));
    const ext = Buffer.alloc(20 + attrs.length * 20);
    ext.writeUInt32LE(0xffffffff, 0);
    ext.writeUInt32LE(idx(e.name), 4);
    ext.writeUInt16LE(20, 8);
    ext.writeUInt16LE(20, 10);
    ext.writeUInt16LE(attrs.length, 12);
    attrs.forEach((a, i) => {
      const o = 20 + i * 20;
      ext.writeUInt32LE(a.ns ? idx(a.ns) : 0xffffffff, o);
      ext.writeUInt32LE(idx(a.name), o + 4);
      ext.writeUInt16LE(8, o + 12);
      const v = a.value;
      if (typeof v === 'string') {
        ext.writeUInt32LE(idx(v), o + 8);
        ext[o + 15] = TYPE_STRING;
        ext.writeUInt32LE(idx(v), o + 16);
      } else {
        ext.writeUInt32LE(0xffffffff, o + 8);
        if (typeof v === 'boolean') { ext[o + 15] = TYPE_INT_BOOLEAN; ext.writeUInt32LE(v ? 0xffffffff : 0, o + 16); }
        else if (typeof v === 'number') { ext[o + 15] = TYPE_INT_DEC; ext.writeInt32LE(v | 0, o + 16); }
        else { ext[o + 15] = TYPE_REFERENCE; ext.writeUInt32LE(v.ref, o + 16); }
      }
    });
    parts.push(chunk(0x0102, node(line), ext));
    e.children.forEach(emit);
    const end = Buffer.alloc(8);
    end.writeUInt32LE(0xffffffff, 0);
    end.writeUInt32LE(idx(e.name), 4);
    parts.push(chunk(0x0103, node(line), end));
  };
  emit(root);
  parts.push(chunk(0x0101, node(line), nsExt()));
  return chunk(0x0003, Buffer.alloc(0), Buffer.concat(parts));
}

/** resources.arsc with one package 0x7f whose string 0x7f010000 (@string/app_name) is `label`. */
export function buildResourceTable(pkg: string, label: string): Buffer {
  const typeStrings = stringPool(['string']);
  const keyStrings = stringPool(['app_name']);
  const spec = Buffer.alloc(8 + 4);
  spec[0] = 1; // type id
  spec.writeUInt32LE(1, 4); // entry count
  const typeSpec = chunk(0x0202, spec.subarray(0, 8), spec.subarray(8));
  // ResTable_type: id, flags, reserved, entryCount, entriesStart, then a 64-byte all-default config.
  const th = Buffer.alloc(12 + 64);
  th[0] = 1;
  th.writeUInt32LE(1, 4);
  th.writeUInt32LE(8 + th.length + 4, 8);
  th.writeUInt32LE(64, 12);
  const offsets = Buffer.alloc(4);
  const entry = Buffer.alloc(16);
  entry.writeUInt16LE(8, 0);
  entry.writeUInt32LE(0, 4); // key: app_name
  entry.writeUInt16LE(8, 8);
  entry[11] = TYPE_STRING;
  entry.writeUInt32LE(0, 12); // global string 0
  const typeChunk = chunk(0x0201, th, Buffer.concat([offsets, entry]));
  const ph = Buffer.alloc(280);
  ph.writeUInt32LE(0x7f, 0);
  ph.write(pkg.slice(0, 127), 4, 'utf16le');
  ph.writeUInt32LE(288, 260); // typeStrings offset from the package chunk start
  ph.writeUInt32LE(1, 264);
  ph.writeUInt32LE(288 + typeStrings.length, 268); // keyStrings
  ph.writeUInt32LE(1, 272);
  const pkgChunk = chunk(0x0200, ph, Buffer.concat([typeStrings, keyStrings, typeSpec, typeChunk]));
  const tableHeader = Buffer.alloc(4);
  tableHeader.writeUInt32LE(1, 0);
  return chunk(0x0002, tableHeader, Buffer.concat([stringPool([label]), pkgChunk]));
}

/* ---------------- zip ---------------- */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipInput { name: string; data: Buffer; store?: boolean }

/** A zip archive; `beforeCentralDirectory` is inserted between the entries and the central directory (the APK Signing Block's place). */
export function buildZip(entries: ZipInput[], beforeCentralDirectory?: (entriesEnd: number) => Buffer): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.store ? 0 : 8;
    const body = method === 8 ? deflateRawSync(e.data) : e.data;
    const crc = crc32(e.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x0800, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt16LE(0, 10);
    lh.writeUInt16LE(0x21, 12); // 1980-01-01, as reproducible builds write
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt16LE(0x21, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    centrals.push(ch, name);
    offset += lh.length + name.length + body.length;
  }
  const extra = beforeCentralDirectory ? beforeCentralDirectory(offset) : Buffer.alloc(0);
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset + extra.length, 16);
  return Buffer.concat([...locals, extra, cd, eocd]);
}

/* ---------------- signatures ---------------- */

function lp(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = Buffer.alloc(4);
  n.writeUInt32LE(body.length, 0);
  return Buffer.concat([n, body]);
}

/** An APK Signing Block with a v2 signer whose certificate is `cert` (structure per source.android.com/docs/security/features/apksigning/v2). */
export function signingBlock(cert: Buffer): Buffer {
  const algo = Buffer.from([0x03, 0x01, 0, 0]); // RSASSA-PKCS1-v1_5 with SHA2-256 (0x0103)
  const digests = lp(lp(algo, lp(Buffer.alloc(32))));
  const signedData = Buffer.concat([digests, lp(lp(cert)), lp()]);
  const signatures = lp(lp(algo, lp(Buffer.alloc(256))));
  const signer = Buffer.concat([lp(signedData), signatures, lp(Buffer.from('public key'))]);
  const value = lp(lp(signer));
  const pair = Buffer.alloc(12);
  pair.writeBigUInt64LE(BigInt(4 + value.length), 0);
  pair.writeUInt32LE(0x7109871a, 8);
  const pairs = Buffer.concat([pair, value]);
  const size = BigInt(pairs.length + 8 + 16);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(size, 0);
  const tail = Buffer.alloc(8);
  tail.writeBigUInt64LE(size, 0);
  return Buffer.concat([head, pairs, tail, Buffer.from('APK Sig Block 42', 'latin1')]);
}

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** A PKCS#7 SignedData shell holding one "certificate" (a SEQUENCE around `certBody`). */
export function pkcs7(certBody: Buffer): Buffer {
  const oidSignedData = der(0x06, Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]));
  const oidData = der(0x06, Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]));
  const signedData = der(0x30, Buffer.concat([der(0x02, Buffer.from([1])), der(0x31, Buffer.alloc(0)), der(0x30, oidData), der(0xa0, der(0x30, certBody)), der(0x31, Buffer.alloc(0))]));
  return der(0x30, Buffer.concat([oidSignedData, der(0xa0, signedData)]));
}

/** The APK's bytes. */
export function buildApk(s: ApkSpec): Buffer {
  const entries: ZipInput[] = [{ name: 'AndroidManifest.xml', data: buildManifest(s), store: s.storeManifest }];
  if (s.labelResource !== undefined) entries.push({ name: 'resources.arsc', data: buildResourceTable(s.package, s.labelResource), store: true });
  if (s.split === undefined && s.hasCode !== false) entries.push({ name: 'classes.dex', data: Buffer.from('dex\n035\0') });
  for (const abi of s.nativeAbis ?? []) entries.push({ name: `lib/${abi}/libnative.so`, data: Buffer.from(`\x7fELF native code for ${abi}`) });
  if (s.v1Signer !== undefined) {
    entries.push({ name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\r\n\r\n') });
    entries.push({ name: 'META-INF/CERT.SF', data: Buffer.from(`Signature-Version: 1.0\r\nX-Nonce: ${randomBytes(8).toString('hex')}\r\n\r\n`) });
    // The signed content differs on every build; the certificate inside does not.
    entries.push({ name: 'META-INF/CERT.RSA', data: Buffer.concat([pkcs7(Buffer.from(`cert:${s.v1Signer}`))]) });
  }
  if (s.padding) entries.push({ name: 'assets/padding.bin', data: randomBytes(s.padding), store: true });
  return buildZip(entries, s.signer !== undefined ? () => signingBlock(Buffer.from(`cert:${s.signer}`)) : undefined);
}
