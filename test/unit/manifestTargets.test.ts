/**
 * mobileai.yaml follows the phones: a target whose phone is not connected is a warning with quick fixes
 * (the connected serials, `match:` by model or SoC), `match:` resolution, the edit "Select a phone…" makes,
 * the lenses of an entry whose phone is missing, and the model hover's facts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseManifest, resolveTarget, targetPhoneEdit, validateManifest, type ConnectedPhone, type ManifestDiagnostic, type Target } from '../../extension/core/manifest/manifest';
import { complete, hover, lenses, symbols, type Facts, type ModelFacts } from '../../language-server/features';

const ROOT = path.resolve(__dirname, '..', '..');
const SAMPLE = readFileSync(path.join(ROOT, 'samples', 'workspace', 'mobileai.yaml'), 'utf8');

// The virtual phone as the extension reports it after `getprop` (ro.product.model "Virtual Phone", the
// mobileAI.virtualPhone.model default), here on a port other than the sample's 6520.
const VPHONE: ConnectedPhone = { serial: '127.0.0.1:6599', state: 'device', model: 'Virtual Phone', manufacturer: 'Mobile AI', soc: 'Virtual SoC', abis: ['x86_64', 'arm64-v8a'] };
const PIXEL: ConnectedPhone = { serial: '38281FDJH00123', state: 'device', model: 'Pixel 8', manufacturer: 'Google', soc: 'Tensor G3', abis: ['arm64-v8a'] };

const manifest = (phoneLines: string) => `version: 1
targets:
  vphone:
${phoneLines}
    table: nas
models:
  mnist:
    path: models/mnist.onnx
    target: vphone
`;

const diagnose = (text: string, devices?: ConnectedPhone[]) => validateManifest(parseManifest(text), { baseDir: ROOT, devices }).filter((d) => d.code === 'target-not-connected');

/** A quick fix applied as the language server's code action does: its own range, or the diagnostic's. */
function applyFix(text: string, d: ManifestDiagnostic, f: NonNullable<ManifestDiagnostic['fix']>[number]): string {
  const r = f.range ?? d;
  if (f.replace !== undefined) return text.slice(0, r.start) + f.replace + text.slice(r.end);
  return text.slice(0, f.insertAt) + (f.insert ?? '') + text.slice(f.insertAt);
}

test('a serial that is not connected is a warning on the serial, naming the phones that are', () => {
  const text = manifest('    serial: 127.0.0.1:6520   # npm start\'s phone');
  const [d, ...rest] = diagnose(text, [VPHONE, PIXEL]);
  assert.equal(rest.length, 0);
  assert.equal(d.severity, 'warning');
  assert.equal(text.slice(d.start, d.end), '127.0.0.1:6520');
  assert.match(d.message, /"127\.0\.0\.1:6520" is not connected/);
  assert.match(d.message, /Virtual Phone \(127\.0\.0\.1:6599\)/);
  assert.match(d.message, /Pixel 8 \(38281FDJH00123\)/);
  // Not known yet (the extension has not said), connected, or nothing to name: no warning.
  assert.equal(diagnose(text, undefined).length, 0);
  assert.equal(diagnose(manifest('    serial: 127.0.0.1:6599'), [VPHONE]).length, 0);
  assert.equal(diagnose(manifest('    runner: {}'), [VPHONE]).length, 0);
});

test('the quick fixes point the target at each connected phone: match by model, by SoC, or its serial; each fix resolves', () => {
  const text = manifest('    serial: 127.0.0.1:6520');
  const [d] = diagnose(text, [VPHONE, PIXEL]);
  const titles = (d.fix ?? []).map((f) => f.title);
  assert.deepEqual(titles, [
    'Match by model: match: { model: "Virtual Phone" }',
    'Match by SoC: match: { soc: "Virtual SoC" }',
    'Use serial 127.0.0.1:6599 (Virtual Phone)',
    'Match by model: match: { model: "Pixel 8" }',
    'Match by SoC: match: { soc: "Tensor G3" }',
    'Use serial 38281FDJH00123 (Pixel 8)',
  ]);
  const expected = [VPHONE, VPHONE, VPHONE, PIXEL, PIXEL, PIXEL];
  (d.fix ?? []).forEach((f, i) => {
    const fixed = applyFix(text, d, f);
    const pm = parseManifest(fixed);
    assert.equal(pm.syntaxErrors.length, 0, `${f.title}: valid YAML:\n${fixed}`);
    assert.deepEqual(validateManifest(pm, { baseDir: ROOT, devices: [VPHONE, PIXEL] }).filter((x) => x.code === 'target-not-connected' || x.code === 'target-both' || x.severity === 'error').map((x) => x.message), [], f.title);
    assert.equal(resolveTarget(pm.value.targets?.vphone as Target, [VPHONE, PIXEL]), expected[i].serial, f.title);
    assert.equal(pm.value.targets?.vphone.table, 'nas', 'the rest of the target is kept');
  });
});

test('a match that no connected phone satisfies is a warning on "match", whose fixes rewrite the block mapping', () => {
  const text = manifest('    match:\n      model: Pixel 7\n      abi: arm64-v8a');
  const [d] = diagnose(text, [VPHONE]);
  assert.equal(text.slice(d.start, d.end), 'match');
  assert.match(d.message, /no connected phone matches \{ model: "Pixel 7", abi: "arm64-v8a" \}/);
  const f = (d.fix ?? []).find((x) => x.title.startsWith('Match by model'));
  assert.ok(f);
  const fixed = applyFix(text, d, f);
  assert.match(fixed, /^ {4}match: \{ model: "Virtual Phone" \}\n {4}table: nas$/m);
  assert.equal(resolveTarget(parseManifest(fixed).value.targets?.vphone as Target, [VPHONE]), VPHONE.serial);
});

test('a phone present but unauthorized is named as such', () => {
  const [d] = diagnose(manifest('    serial: 38281FDJH00123'), [{ ...PIXEL, state: 'unauthorized' }]);
  assert.match(d.message, /is unauthorized, not ready/);
  assert.match(d.message, /No phone is connected now/);
  assert.equal(d.fix, undefined);
});

test('match: resolves to the first ready phone whose every given property matches', () => {
  const phones = [{ ...PIXEL, serial: 'OFFLINE1', state: 'offline' }, VPHONE, PIXEL, { ...PIXEL, serial: 'SECOND' }];
  assert.equal(resolveTarget({ match: { model: 'pixel 8' } }, phones), PIXEL.serial, 'case-insensitive, offline phones skipped, adb order');
  assert.equal(resolveTarget({ match: { soc: 'g3' } }, phones), PIXEL.serial, 'the SoC label contains it');
  assert.equal(resolveTarget({ match: { model: 'Virtual Phone', abi: 'x86_64' } }, phones), VPHONE.serial);
  assert.equal(resolveTarget({ match: { model: 'Pixel 8', abi: 'x86_64' } }, phones), undefined, 'all given properties must match');
  assert.equal(resolveTarget({ match: { manufacturer: 'google' } }, phones), PIXEL.serial);
  assert.equal(resolveTarget({ serial: 'SECOND', match: { model: 'Virtual Phone' } }, phones), 'SECOND', 'serial wins');
  assert.equal(resolveTarget({ serial: 'OFFLINE1' }, phones), undefined, 'a serial that is not ready');
});

test('the sample manifest finds the virtual phone whatever its port (npm start -- --phone-port 6599)', () => {
  const pm = parseManifest(SAMPLE);
  assert.equal(pm.value.targets?.vphone.serial, undefined);
  for (const port of [6520, 6599, 40123]) {
    const phone = { ...VPHONE, serial: `127.0.0.1:${port}` };
    assert.equal(resolveTarget(pm.value.targets?.vphone as Target, [phone]), phone.serial);
    assert.equal(validateManifest(pm, { baseDir: ROOT, devices: [phone] }).filter((d) => d.code === 'target-not-connected').length, 0);
  }
  assert.equal(diagnose(SAMPLE, [PIXEL]).length, 1, 'with only another phone, the warning is there');
});

test('"Select a phone…" edits the target: replaces serial and match, or adds the line', () => {
  const edit = (text: string, name: string, line: string) => {
    const e = targetPhoneEdit(parseManifest(text), name, line);
    assert.ok(e);
    return text.slice(0, e.start) + e.replace + text.slice(e.end);
  };
  const phoneOf = (text: string) => parseManifest(text).value.targets?.vphone;
  assert.deepEqual(phoneOf(edit(manifest('    serial: 127.0.0.1:6520  # old'), 'vphone', 'match: { model: "Virtual Phone" }')), { match: { model: 'Virtual Phone' }, table: 'nas' });
  assert.deepEqual(phoneOf(edit(manifest('    serial: X\n    match:\n      model: Y'), 'vphone', 'serial: 127.0.0.1:6599')), { serial: '127.0.0.1:6599', table: 'nas' });
  assert.deepEqual(phoneOf(edit(manifest('    runner: {}'), 'vphone', 'serial: 127.0.0.1:6599')), { serial: '127.0.0.1:6599', runner: {}, table: 'nas' });
  const empty = 'targets:\n  vphone:\nmodels: {}\n';
  assert.deepEqual(parseManifest(edit(empty, 'vphone', 'match: { soc: "SM8550" }')).value, { targets: { vphone: { match: { soc: 'SM8550' } } }, models: {} });
  assert.equal(targetPhoneEdit(parseManifest(empty), 'nope', 'serial: x'), undefined);
});

test('lenses: an entry whose phone is missing offers "Select a phone…" and "Start Virtual Phone" first', () => {
  const pm = parseManifest(SAMPLE);
  const uri = 'file:///ws/mobileai.yaml';
  const missing = lenses(pm, uri, { devices: [PIXEL], devicesKnown: true });
  const mnist = missing.filter((l) => SAMPLE.slice(l.range.start, l.range.end) === 'mnist').map((l) => l.title);
  assert.deepEqual(mnist, ['$(warning) No phone for "vphone": Select a phone…', '$(vm) Start Virtual Phone', '▶ Quantize', '▶ Profile', '▶ Deploy']);
  const select = missing.find((l) => l.command === 'mobileai.manifest.selectPhone');
  assert.deepEqual(select?.args, [uri, 'vphone']);
  assert.ok(missing.some((l) => SAMPLE.slice(l.range.start, l.range.end) === 'bluetooth' && l.command === 'mobileai.virtualPhone.start'), 'the agent too');
  assert.ok(missing.some((l) => SAMPLE.slice(l.range.start, l.range.end) === 'vphone' && l.command === 'mobileai.manifest.selectPhone'), 'and the target itself');
  assert.equal(lenses(pm, uri, { devices: [VPHONE], devicesKnown: true }).filter((l) => l.command !== 'mobileai.manifest.run').length, 0, 'the phone is there');
  assert.equal(lenses(pm, uri, { devices: [], devicesKnown: false }).filter((l) => l.command !== 'mobileai.manifest.run').length, 0, 'not known yet');
});

test('hover on a model shows its size, parameters, ops and opset; entries are named in the singular', async () => {
  const { loadModel } = await import('../../extension/core/onnx/model');
  const { summarize } = await import('../../extension/core/onnx/summary');
  const file = path.join(ROOT, 'test', 'fixtures', 'models', 'mnist.onnx');
  const s = summarize(await loadModel(file));
  const mf: ModelFacts = {
    bytes: s.fileBytes, parameters: s.parameters.count, opTypes: s.opHistogram.map((h) => h.opType), opCounts: s.opHistogram.map((h) => ({ opType: h.opType, count: h.count })),
    nodeNames: [], opset: s.opsets.find((o) => o.domain === 'ai.onnx' || o.domain === '')?.version,
  };
  const text = SAMPLE.replace('path: models/mnist.onnx', 'path: test/fixtures/models/mnist.onnx');
  const pm = parseManifest(text);
  const facts: Facts = { baseDir: ROOT, devices: [], model: (f) => (f === file ? mf : undefined) };
  const h = hover(pm, text.indexOf('mnist:') + 2, facts);
  assert.ok(h);
  assert.match(h.markdown, /\*\*model `mnist`\*\*/);
  assert.ok(h.markdown.includes(`${(statSync(file).size / 1024).toFixed(1)} KiB`), h.markdown);
  assert.ok(h.markdown.includes(`${s.parameters.count.toLocaleString('en-US')} parameters`));
  assert.match(h.markdown, /, opset 8\./, 'mnist.onnx is opset 8 (test/fixtures/PROVENANCE.md)');
  assert.match(h.markdown, /Conv ×2/);
  assert.doesNotMatch(h.markdown, /Type: object/);
  // Before the file is read, the hover says so instead of a bare schema line.
  const pending = hover(pm, text.indexOf('mnist:') + 2, { ...facts, model: () => undefined });
  assert.match(pending?.markdown ?? '', /reading the model…/);
  const search = hover(pm, text.indexOf('note10-25ms:') + 2, facts);
  assert.match(search?.markdown ?? '', /^\*\*search `note10-25ms`\*\*/);
  assert.doesNotMatch(search?.markdown ?? '', /searche/);
  assert.deepEqual(symbols(pm).find((x) => x.name === 'searches')?.children.map((c) => c.detail), ['search']);
});

test('completion under match: offers what the connected phones report', () => {
  const text = 'version: 1\ntargets:\n  p:\n    match:\n      model: \n';
  const at = text.indexOf('model: ') + 'model: '.length;
  const got = complete(parseManifest(text), at, { baseDir: ROOT, devices: [VPHONE, PIXEL, { ...PIXEL, serial: 'OTHER' }] });
  assert.deepEqual(got.map((c) => c.label), ['Virtual Phone', 'Pixel 8']);
  const soc = 'version: 1\ntargets:\n  p:\n    match:\n      soc: \n';
  assert.deepEqual(complete(parseManifest(soc), soc.indexOf('soc: ') + 5, { baseDir: ROOT, devices: [VPHONE, PIXEL] }).map((c) => c.label), ['Virtual SoC', 'Tensor G3']);
});
