import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ApkError, ATTR, fullClassName, parseApk, parseBinaryXml, readStringPool } from '../../extension/core/virtualPhone/apk';
import { buildApk, buildManifest, buildZip, type ApkSpec } from '../helpers/apkBuilder';

/**
 * The APK reader and the test APK builder, each judged against an independent reader
 * (@devicefarmer/adbkit-apkreader, which parses AXML with its own code and zips with yauzl), plus fuzzing:
 * no truncation or mutation makes the reader throw anything but ApkError.
 */

interface Manifest {
  package: string;
  versionCode?: number;
  versionName?: string;
  split?: string;
  usesSdk: { minSdkVersion?: number; targetSdkVersion?: number } | null;
  usesPermissions: Array<{ name: string }>;
  application?: {
    label?: string;
    debuggable?: boolean;
    testOnly?: boolean;
    launcherActivities: Array<{ name: string }>;
    activities: Array<{ name: string }>;
    activityAliases: Array<{ name: string }>;
  };
}

/** The package ships no types: it is loaded as the plain CommonJS module it is. */
const ApkReader = createRequire(__filename)('@devicefarmer/adbkit-apkreader') as { open(b: Buffer): Promise<{ readManifest(): Promise<Manifest> }> };

async function independent(apk: Buffer): Promise<Manifest> {
  const reader = await ApkReader.open(apk);
  return reader.readManifest();
}

const SPECS: ApkSpec[] = [
  { package: 'com.example.hello', versionCode: 7, versionName: '1.7', minSdk: 24, targetSdk: 34, label: 'Hello', activities: [{ name: '.MainActivity', launcher: true }], signer: 'a' },
  { package: 'com.example.utf16', versionCode: 123456, versionName: 'ünïcødé ✓', minSdk: 21, targetSdk: 33, label: 'Ŭtf-16 ラベル', utf16: true, activities: [{ name: 'com.example.utf16.ui.Home', launcher: true }] },
  { package: 'com.example.res', versionCode: 2, versionName: '2.0', minSdk: 26, targetSdk: 34, labelResource: 'From resources', activities: [{ name: 'Main', launcher: true }], storeManifest: true },
  { package: 'com.example.split', versionCode: 2, split: 'config.arm64_v8a', configForSplit: '', nativeAbis: ['arm64-v8a'] },
  { package: 'com.example.alias', versionCode: 1, versionName: '1', targetSdk: 34, label: 'Alias', activities: [{ name: '.Real' }, { name: '.Launch', alias: '.Real', launcher: true }] },
  { package: 'com.example.disabled', versionCode: 1, label: 'D', activities: [{ name: '.Off', launcher: true, enabled: false }, { name: '.On', launcher: true }], debuggable: true, testOnly: true },
  { package: 'com.example.nolauncher', versionCode: 9, versionName: '9', minSdk: 30, label: 'Service only', permissions: ['android.permission.INTERNET', 'android.permission.CAMERA'], hasCode: true },
  { package: 'com.example.long', versionCode: 5, versionName: 'x'.repeat(300), label: 'L'.repeat(200), activities: [{ name: '.A', launcher: true }] },
];

test('the reader and adbkit-apkreader agree on every field of the APKs the builder makes', async () => {
  for (const spec of SPECS) {
    const apk = buildApk(spec);
    const mine = parseApk(apk);
    const theirs = await independent(apk);
    const where = spec.package;
    assert.equal(mine.packageName, theirs.package, where);
    assert.equal(mine.versionCode, theirs.versionCode ?? 0, where);
    assert.equal(mine.versionName, theirs.versionName, where);
    assert.equal(mine.split, theirs.split, where);
    assert.equal(mine.minSdkVersion, theirs.usesSdk?.minSdkVersion ?? 1, where);
    assert.equal(mine.targetSdkVersion, theirs.usesSdk?.targetSdkVersion ?? mine.minSdkVersion, where);
    assert.deepEqual(mine.permissions, theirs.usesPermissions.map((p) => p.name), where);
    const app = theirs.application;
    // apkreader leaves references unresolved ("resourceId:0x7f010000"); the reader resolves them in resources.arsc.
    if (app?.label?.startsWith('resourceId:')) {
      assert.equal(mine.labelRes, Number(app.label.slice('resourceId:'.length)), where);
      assert.equal(mine.label, spec.labelResource, where);
    } else {
      assert.equal(mine.label, app?.label, where);
    }
    assert.equal(mine.debuggable, !!app?.debuggable, where);
    assert.equal(mine.testOnly, !!app?.testOnly, where);
    // apkreader counts an activity as a launcher even when android:enabled="false"; Android (and the reader) skip it.
    const launchers = (app?.launcherActivities ?? []).filter((a) => (a as { enabled?: boolean }).enabled !== false);
    assert.equal(mine.launcherActivity, launchers[0] ? fullClassName(mine.packageName, launchers[0].name) : undefined, where);
    assert.deepEqual([...mine.activities].sort(), [...(app?.activities ?? []), ...(app?.activityAliases ?? [])].map((a) => fullClassName(mine.packageName, a.name)).sort(), where);
    // And the builder's own input comes back.
    assert.equal(mine.packageName, spec.package);
    assert.equal(mine.versionName, spec.versionName);
  }
});

test('the builder lays the manifest out as aapt2 does: android: attribute names first in resource-id order, the resource map a prefix of the pool', () => {
  const axml = buildManifest(SPECS[0]);
  assert.equal(axml.readUInt16LE(0), 0x0003); // RES_XML_TYPE
  assert.equal(axml.readUInt32LE(4), axml.length);
  const poolAt = axml.readUInt16LE(2);
  assert.equal(axml.readUInt16LE(poolAt), 0x0001); // RES_STRING_POOL_TYPE
  assert.equal(axml.readUInt32LE(poolAt + 16) & 0x100, 0x100, 'UTF-8 pool, as aapt2 writes by default');
  const strings = readStringPool(axml, poolAt);
  const mapAt = poolAt + axml.readUInt32LE(poolAt + 4);
  assert.equal(axml.readUInt16LE(mapAt), 0x0180); // RES_XML_RESOURCE_MAP_TYPE
  const ids: number[] = [];
  for (let p = mapAt + 8; p < mapAt + axml.readUInt32LE(mapAt + 4); p += 4) ids.push(axml.readUInt32LE(p));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  const byId = Object.fromEntries(Object.entries(ATTR).map(([k, v]) => [v, k]));
  assert.deepEqual(strings.slice(0, ids.length), ids.map((id) => byId[id]));
  for (const id of [0x0101021b, 0x0101021c, 0x0101020c, 0x01010003, 0x01010001]) assert.ok(ids.includes(id), `0x${id.toString(16)} mapped`);
  const root = parseBinaryXml(axml);
  assert.equal(root.name, 'manifest');
  const vc = root.attrs.find((a) => a.name === 'versionCode');
  assert.deepEqual({ resId: vc?.resId, type: vc?.type, data: vc?.data }, { resId: 0x0101021b, type: 0x10, data: 7 });
});

test('signers: the same key is the same identity across builds (v1 and v2), another key is not, unsigned has none', () => {
  const v2a = parseApk(buildApk({ ...SPECS[0], signer: 'key-a' }));
  const v2a2 = parseApk(buildApk({ ...SPECS[0], versionCode: 8, signer: 'key-a' }));
  const v2b = parseApk(buildApk({ ...SPECS[0], signer: 'key-b' }));
  assert.equal(v2a.signingVersion, 2);
  assert.equal(v2a.signer, v2a2.signer);
  assert.notEqual(v2a.signer, v2b.signer);
  const v1a = parseApk(buildApk({ ...SPECS[0], signer: undefined, v1Signer: 'key-a' }));
  const v1a2 = parseApk(buildApk({ ...SPECS[0], signer: undefined, v1Signer: 'key-a' }));
  const v1b = parseApk(buildApk({ ...SPECS[0], signer: undefined, v1Signer: 'key-b' }));
  assert.equal(v1a.signingVersion, 1);
  assert.equal(v1a.signer, v1a2.signer, 'the signed content differs, the certificate does not');
  assert.notEqual(v1a.signer, v1b.signer);
  const none = parseApk(buildApk({ ...SPECS[0], signer: undefined }));
  assert.deepEqual([none.signer, none.signingVersion], [undefined, 0]);
});

test('bad input is an ApkError with a reason', () => {
  const cases: Array<[Buffer, RegExp, string?]> = [
    [Buffer.from('not a zip'), /not a zip archive/, 'zip'],
    [Buffer.alloc(0), /not a zip archive/, 'zip'],
    [buildZip([{ name: 'classes.dex', data: Buffer.from('dex') }]), /AndroidManifest\.xml not found/],
    [buildZip([{ name: 'AndroidManifest.xml', data: Buffer.from('<manifest package="a.b"/>') }]), /not binary XML/],
    [buildZip([{ name: 'AndroidManifest.xml', data: buildManifest({ package: '' }) }]), /no package attribute/],
  ];
  for (const [buf, re, kind] of cases) {
    assert.throws(() => parseApk(buf), (e: unknown) => e instanceof ApkError && re.test(e.message) && (!kind || e.kind === kind), re.source);
  }
});

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: truncations and mutations of APKs and manifests never throw anything but ApkError', () => {
  const rand = rng(12);
  const samples = SPECS.map((s) => buildApk({ ...s, storeManifest: true }));
  const manifests = SPECS.map((s) => buildManifest(s));
  let errors = 0;
  let parsed = 0;
  const attempt = (buf: Buffer, label: string) => {
    try {
      parseApk(buf);
      parsed++;
    } catch (e) {
      if (!(e instanceof ApkError)) assert.fail(`${label}: ${(e as Error)?.stack ?? String(e)}`);
      errors++;
    }
  };
  for (let i = 0; i < 3000; i++) {
    const k = Math.floor(rand() * samples.length);
    const useManifest = rand() < 0.5;
    const base = useManifest ? manifests[k] : samples[k];
    let b = Buffer.from(base);
    const op = rand();
    if (op < 0.3) b = b.subarray(0, Math.floor(rand() * b.length));
    else {
      const flips = 1 + Math.floor(rand() * 8);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * b.length);
        b[at] = rand() < 0.5 ? Math.floor(rand() * 256) : [0x00, 0xff, 0x7f, 0x80][Math.floor(rand() * 4)];
      }
    }
    // A mutated manifest goes in a (valid) zip, stored, so the mutation reaches the AXML parser.
    attempt(useManifest ? buildZip([{ name: 'AndroidManifest.xml', data: b, store: true }]) : b, `case ${i}`);
  }
  for (let i = 0; i < 200; i++) {
    const n = Math.floor(rand() * 512);
    const b = Buffer.alloc(n);
    for (let j = 0; j < n; j++) b[j] = Math.floor(rand() * 256);
    attempt(buildZip([{ name: 'AndroidManifest.xml', data: Buffer.concat([Buffer.from([3, 0, 8, 0]), b]), store: true }]), `random ${i}`);
  }
  assert.ok(errors > 100 && parsed > 100, `both outcomes exercised (${errors} errors, ${parsed} parsed)`);
});

test('a 20 MiB APK is read without inflating its payload', () => {
  const apk = buildApk({ ...SPECS[0], padding: 20 * 1024 * 1024 });
  assert.ok(apk.length > 20 * 1024 * 1024);
  // CPU time of this process (not wall clock): what the parse costs, whatever else the machine is doing.
  const cpu = process.cpuUsage();
  const info = parseApk(apk);
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  assert.equal(info.packageName, 'com.example.hello');
  assert.ok(ms < 1000, `parsed with ${ms.toFixed(1)} ms of CPU`);
});
