import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { nodeAt, parseManifest, validateManifest } from '../../extension/core/manifest/manifest';

function big(n: number): string {
  const lines = ['version: 1', '# phones', 'targets:'];
  for (let i = 0; i < n; i++) lines.push(`  phone${i}:`, `    serial: 127.0.0.1:${6500 + i}`, '    table: nas  # OFA tables');
  lines.push('models:');
  for (let i = 0; i < n * 3; i++) lines.push(`  model${i}:`, `    path: models/m${i}.onnx`, `    target: phone${i % n}`, '    quantize:', '      mode: static', '      excludeOps: [Softmax, Gelu]', '      exclude:', '        - "/a:b"', '');
  lines.push('agents:');
  for (let i = 0; i < n; i++) lines.push(`  agent${i}:`, `    target: phone${i}`, `    task: "Turn on Bluetooth #${i}"`);
  return `${lines.join('\n')}\n`;
}

/** Every scalar's path and range in a full parse of the text. */
function scalars(text: string): Array<{ path: Array<string | number>; range: number[] }> {
  const doc = parseDocument(text);
  const out: Array<{ path: Array<string | number>; range: number[] }> = [];
  const walk = (n: unknown, p: Array<string | number>) => {
    if (isMap(n)) for (const pair of n.items) { const k = String((pair.key as { value: unknown }).value); walk(pair.value, [...p, k]); }
    else if (isSeq(n)) n.items.forEach((it, i) => walk(it, [...p, i]));
    else if (isScalar(n) && n.range) out.push({ path: p, range: [...n.range] });
  };
  walk(doc.contents, []);
  return out;
}

function assertSame(text: string): void {
  const pm = parseManifest(text);
  assert.deepEqual(pm.value, parseDocument(text).toJS(), 'the same value as a whole-document parse');
  for (const s of scalars(text)) {
    const { node } = nodeAt(pm.doc, s.path);
    assert.deepEqual((node as YamlNode | undefined)?.range, s.range, `range of ${s.path.join('.')}`);
  }
}

test('a large manifest parsed in cached pieces matches a whole-document parse, value and ranges, through edits', () => {
  let text = big(12);
  assert.ok(text.length > 4000);
  assertSame(text);
  let seed = 3;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 40; i++) {
    const lines = text.split('\n');
    const at = 3 + rand(lines.length - 4);
    const kind = rand(3);
    if (kind === 0 && /^ {4}\w+: \S/.test(lines[at])) lines[at] = lines[at].replace(/: .*/, `: edited${i}`);
    else if (kind === 1) lines.splice(at, 0, '    # a comment line');
    else if (/^ {4}\w+: \S/.test(lines[at])) lines.splice(at, 1);
    text = lines.join('\n');
    assertSame(text);
  }
});

test('duplicates and aliases take the whole-document path and are reported', () => {
  const dup = `${big(12)}models:\n  again:\n    path: x.onnx\n`;
  const pm = parseManifest(dup);
  assert.ok(pm.syntaxErrors.some((e) => /unique|duplicate/i.test(e.message)), JSON.stringify(pm.syntaxErrors));
  const twice = big(12).replace('  agent1:\n    target: phone1', '  agent0:\n    target: phone0');
  assert.ok(parseManifest(twice).syntaxErrors.length > 0, 'a duplicate entry name');
  const alias = big(12).replace('    table: nas  # OFA tables', '    table: &t nas').replace('  phone1:\n    serial: 127.0.0.1:6501\n    table: nas  # OFA tables', '  phone1:\n    serial: 127.0.0.1:6501\n    table: *t');
  assert.equal(parseManifest(alias).value.targets?.phone1.table, 'nas');
  assert.deepEqual(validateManifest(parseManifest(big(12)), { baseDir: '/nonexistent' }).filter((d) => d.severity === 'error'), []);
});
