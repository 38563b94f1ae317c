import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, cp, mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LspClient, positionOf } from '../helpers/lspClient';

const FIX = path.resolve(__dirname, '..', 'fixtures');
let dir: string;
let uri: string;
let lsp: LspClient;

const GOOD = `version: 1
targets:
  note10:
    serial: 127.0.0.1:6520
    table: nas
models:
  mnist:
    path: models/mnist.onnx
    target: note10
    quantize:
      mode: static
      method: minmax
searches:
  fast:
    target: note10
    budgetMs: 25
agents:
  bluetooth:
    target: note10
    task: Turn on Bluetooth
`;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mobileai-lsp-'));
  await cp(path.join(FIX, 'models'), path.join(dir, 'models'), { recursive: true });
  await cp(path.join(FIX, 'nas'), path.join(dir, 'nas'), { recursive: true });
  await copyFile(path.join(FIX, 'agent', 'virtual-phone-tasks.yaml'), path.join(dir, 'tasks.yaml'));
  uri = pathToFileURL(path.join(dir, 'mobileai.yaml')).toString();
  lsp = await LspClient.start();
});
after(async () => {
  await lsp?.stop();
  await rm(dir, { recursive: true, force: true });
});

const labels = (items: Array<{ label: string }>) => items.map((i) => i.label);

test('a correct manifest has no problems; mistakes are reported at their positions, with quick fixes', async () => {
  lsp.open(uri, GOOD);
  const clean = await lsp.waitDiagnostics(uri);
  assert.deepEqual(clean.diagnostics.map((d) => d.message), []);
  const bad = GOOD.replace('target: note10\n    quantize', 'target: note11\n    quantize').replace('mode: static', 'mode: statik').replace('budgetMs: 25', 'budgetMs: 25\n    algoritm: nsga2').replace('models/mnist.onnx', 'models/missing.onnx');
  lsp.change(uri, bad);
  const d = await lsp.waitDiagnostics(uri, (x) => x.diagnostics.length >= 4);
  const by = (code: string) => d.diagnostics.find((x) => x.code === code);
  assert.deepEqual(by('unknown-target')?.range.start, positionOf(bad, 'note11'));
  assert.match(by('unknown-target')!.message, /Unknown target "note11": did you mean "note10"\?/);
  assert.deepEqual(by('bad-enum')?.range.start, positionOf(bad, 'statik'));
  assert.deepEqual(by('unknown-key')?.range.start, positionOf(bad, 'algoritm'));
  assert.deepEqual(by('missing-file')?.range.start, positionOf(bad, 'models/missing.onnx'));
  // Quick fixes from the diagnostics.
  const actions = await lsp.request<Array<{ title: string; edit: { changes: Record<string, Array<{ newText: string }>> } }>>('textDocument/codeAction', {
    textDocument: { uri }, range: by('bad-enum')!.range, context: { diagnostics: [by('bad-enum'), by('unknown-target'), by('unknown-key')] },
  });
  assert.deepEqual(actions.map((a) => a.title).filter((t) => t.startsWith('Change')), ['Change to "static"', 'Change to "note10"', 'Change to "algorithm"']);
  assert.equal(actions[0].edit.changes[uri][0].newText, 'static');
});

test('YAML syntax errors carry positions; invalid quantization parameters are named', async () => {
  const broken = 'version: 1\nmodels:\n  m:\n    path: models/mnist.onnx\n    quantize: {mode: static\n';
  lsp.change(uri, broken);
  const d = await lsp.waitDiagnostics(uri, (x) => x.diagnostics.length > 0);
  assert.ok(d.diagnostics.every((x) => x.severity === 1 && /^yaml-/.test(x.code)), JSON.stringify(d.diagnostics));
  assert.ok(d.diagnostics[0].range.start.line >= 4, 'the error is at the unclosed flow mapping');
  const q = 'version: 1\nmodels:\n  m:\n    path: models/mnist.onnx\n    quantize:\n      mode: dynamic\n      reduceRange: true\n      blockSize: 48\n      percentile: 120\n';
  lsp.change(uri, q);
  const dq = await lsp.waitDiagnostics(uri, (x) => x.diagnostics.length >= 3);
  const msgs = dq.diagnostics.map((x) => x.message).join('\n');
  assert.match(msgs, /"48" is not one of: 16, 32, 64, 128, 256/);
  assert.match(msgs, /"percentile" must be <= 100/);
  assert.match(msgs, /"reduceRange" applies to static quantization only/);
  assert.match(msgs, /"blockSize" applies to int4 only/);
});

test('a budget below the fastest network the table allows is an error; hover shows the range', async () => {
  const text = GOOD.replace('budgetMs: 25', 'budgetMs: 2');
  lsp.change(uri, text);
  const d = await lsp.waitDiagnostics(uri, (x) => x.diagnostics.some((y) => y.code === 'budget-too-low'), 30000);
  const b = d.diagnostics.find((y) => y.code === 'budget-too-low')!;
  assert.deepEqual(b.range.start, positionOf(text, '2\nagents'));
  assert.match(b.message, /A 2 ms budget is below the fastest network this table allows \(\d+\.\d\d ms on note10\)/);
  const h = await lsp.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'budgetMs', 2) });
  assert.match(h.contents.value, /Latency budget in milliseconds/);
  assert.match(h.contents.value, /ofa-mbv3 networks range from \*\*\d+\.\d\d ms\*\* to \*\*\d+\.\d\d ms\*\*/);
  const hm = await lsp.request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'mnist:', 1) });
  const waitModel = async () => {
    for (let i = 0; i < 50; i++) {
      const r = await lsp.request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'mnist:', 1) });
      if (r && /parameters/.test(r.contents.value)) return r.contents.value;
      await new Promise((res) => setTimeout(res, 100));
    }
    return hm?.contents.value ?? '';
  };
  assert.match(await waitModel(), /`models\/mnist\.onnx`: 25\.\d KiB, 5,998 parameters/);
});

test('completion: keys, enum values, target names, connected serials, op types from the model', async () => {
  lsp.conn.sendNotification('mobileai/devices', { devices: [{ serial: 'emulator-5554', state: 'device', model: 'sdk_gphone' }, { serial: '127.0.0.1:6520', state: 'device', model: 'Virtual Phone' }] });
  const text = `version: 1
targets:
  note10:
    serial: 
    table: nas
models:
  mnist:
    path: models/mnist.onnx
    target: 
    quantize:
      mode: 
      excludeOps:
        - 
      
`;
  lsp.change(uri, text);
  const complete = (needle: string, delta: number) => lsp.request<Array<{ label: string }>>('textDocument/completion', { textDocument: { uri }, position: positionOf(text, needle, delta) });
  assert.deepEqual(labels(await complete('serial: ', 8)), ['emulator-5554', '127.0.0.1:6520']);
  assert.deepEqual(labels(await complete('target: \n', 8)), ['note10']);
  assert.deepEqual(labels(await complete('mode: ', 6)), ['static', 'dynamic', 'int4']);
  // Op types of models/mnist.onnx (loaded in the background the first time).
  let ops: string[] = [];
  for (let i = 0; i < 50 && !ops.length; i++) {
    ops = labels(await complete('- ', 2));
    if (!ops.length) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual([...ops].sort(), ['Add', 'Conv', 'MatMul', 'MaxPool', 'Relu', 'Reshape']);
  const keys = labels(await complete('      \n', 6));
  assert.ok(keys.includes('method') && keys.includes('perChannel') && !keys.includes('mode'), `quantize keys without the present ones: ${keys}`);
});

test('code lenses run the matching commands; definition and outline follow the manifest', async () => {
  const text = GOOD.replace('task: Turn on Bluetooth', 'task: Turn on Bluetooth\n    tasks: tasks.yaml');
  lsp.change(uri, text);
  const lenses = await lsp.request<Array<{ command: { title: string; command: string; arguments: unknown[] } }>>('textDocument/codeLens', { textDocument: { uri } });
  assert.deepEqual(lenses.map((l) => l.command.title), ['▶ Quantize', '▶ Profile', '▶ Deploy', '▶ Search', '▶ Run agent', '▶ Evaluate']);
  assert.deepEqual(lenses[0].command.arguments, [uri, 'models', 'mnist', 'quantize']);
  assert.ok(lenses.every((l) => l.command.command === 'mobileai.manifest.run'));
  const def = await lsp.request<{ uri: string; range: { start: { line: number } } }>('textDocument/definition', { textDocument: { uri }, position: positionOf(text, 'target: note10\n    budget', 10) });
  assert.equal(def.uri, uri);
  assert.equal(def.range.start.line, positionOf(text, 'note10:').line);
  const fileDef = await lsp.request<{ uri: string }>('textDocument/definition', { textDocument: { uri }, position: positionOf(text, 'models/mnist.onnx', 3) });
  assert.equal(fileDef.uri, pathToFileURL(path.join(dir, 'models', 'mnist.onnx')).toString());
  const syms = await lsp.request<Array<{ name: string; children: Array<{ name: string }> }>>('textDocument/documentSymbol', { textDocument: { uri } });
  assert.deepEqual(syms.map((s) => [s.name, s.children.map((c) => c.name)]), [['version', []], ['targets', ['note10']], ['models', ['mnist']], ['searches', ['fast']], ['agents', ['bluetooth']]]);
});

test('random and truncated input never crash the server', async () => {
  lsp.open(uri, GOOD);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pieces = [GOOD, 'a: [', '{', '}}', ': :', '- - -', '\t', '&a *a', '!!binary', '"unterminated', '\u0000', '#', '\n', '  ', 'targets:', 'x: *b', '<<: *c', '? complex', '%YAML 1.2\n---\n'];
  for (let i = 0; i < 120; i++) {
    let text: string;
    if (i < 30) text = GOOD.slice(0, Math.floor(rand() * GOOD.length));
    else if (i < 60) text = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => pieces[Math.floor(rand() * pieces.length)]).join(rand() < 0.5 ? '\n' : '');
    else if (i < 95) {
      // A large manifest (the server's piecewise parse) with a random piece dropped into a random line.
      const lines = (GOOD + Array.from({ length: 60 }, (_, k) => `  agent${k}:\n    target: note10\n    task: t${k}\n`).join('')).split('\n');
      const at = Math.floor(rand() * lines.length);
      lines[at] = lines[at].slice(0, Math.floor(rand() * (lines[at].length + 1))) + pieces[Math.floor(rand() * pieces.length)];
      text = lines.join('\n');
    } else text = Buffer.from(Array.from({ length: Math.floor(rand() * 400) }, () => Math.floor(rand() * 256))).toString('latin1');
    lsp.change(uri, text);
    const len = text.length;
    const pos = { line: Math.floor(rand() * (text.split('\n').length + 1)), character: Math.floor(rand() * (len + 3)) };
    await Promise.all([
      lsp.request('textDocument/completion', { textDocument: { uri }, position: pos }),
      lsp.request('textDocument/hover', { textDocument: { uri }, position: pos }),
      lsp.request('textDocument/codeLens', { textDocument: { uri } }),
      lsp.request('textDocument/documentSymbol', { textDocument: { uri } }),
      lsp.request('textDocument/definition', { textDocument: { uri }, position: pos }),
    ]);
  }
  lsp.change(uri, GOOD);
  const d = await lsp.waitDiagnostics(uri);
  assert.deepEqual(d.diagnostics, [], 'still alive and answering');
  assert.equal(lsp.child.exitCode, null);
  assert.ok(!lsp.logs.some((l) => /failed:|uncaught|unhandled/.test(l)), lsp.logs.filter((l) => /failed:|uncaught|unhandled/.test(l)).join('\n'));
});

test('CLI: manifest check reports the same problems with line and column, exit 1 on errors', async () => {
  const { execFile } = await import('node:child_process');
  const { writeFile } = await import('node:fs/promises');
  const file = path.join(dir, 'mobileai.yaml');
  await writeFile(file, GOOD.replace('budgetMs: 25', 'budgetMs: 2').replace('mode: static', 'mode: int5'));
  const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = execFile(process.execPath, [cli, 'manifest', 'check', file, '--json'], (_e, out) => resolve({ code: c.exitCode, out }));
  });
  assert.equal(r.code, 1);
  const problems = (JSON.parse(r.out) as { problems: Array<{ line: number; column: number; code: string }> }).problems;
  assert.deepEqual(problems.map((p) => [p.code, p.line, p.column]), [['bad-enum', 11, 13], ['budget-too-low', 16, 15]]);
  await writeFile(file, GOOD);
  const ok = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = execFile(process.execPath, [cli, 'manifest', 'check', file], (_e, out) => resolve({ code: c.exitCode, out }));
  });
  assert.equal(ok.code, 0);
  assert.match(ok.out, /no problems/);
});

test('blocks: completion offers the blocks of the target\'s latency table; a bad block or blocks on Once-for-All are errors', async () => {
  const { writeFile } = await import('node:fs/promises');
  const { buildSpaceTable, } = await import('../../extension/core/search/run');
  const { saveTable } = await import('../../extension/core/search/table');
  const space = { schema: 'mobileai.space/1', name: 'tiny', resolution: 32, stem: { out: 8, k: 3, stride: 2 }, layers: [{ out: 8, stride: 1, choices: ['k3_e1', 'k5_e3_se', 'skip'] }, { out: 16, stride: 2, choices: ['k3_e3', 'k5_e6_hs'] }], head: { out: 32, classes: 10 } };
  await writeFile(path.join(dir, 'tiny.json'), JSON.stringify(space));
  const [table] = await buildSpaceTable(path.join(dir, 'tiny.json'), undefined, { kind: 'host' }, { runs: 2 });
  await saveTable(table, path.join(dir, 'tiny-table.json'));
  const text = `version: 1
targets:
  host:
    serial: local
    table: tiny-table.json
searches:
  small:
    space: tiny.json
    target: host
    budgetMs: 500
    blocks:
      - k3_e9
      - 
  ofa:
    target: host
    budgetMs: 500
    blocks: [k3_e3]
`;
  lsp.open(uri, text);
  const d = await lsp.waitDiagnostics(uri, (x) => x.diagnostics.some((y) => y.code === 'bad-block'));
  assert.deepEqual(d.diagnostics.find((y) => y.code === 'bad-block')?.range.start, positionOf(text, 'k3_e9'));
  assert.ok(d.diagnostics.some((y) => y.code === 'blocks-ofa'), JSON.stringify(d.diagnostics.map((y) => y.code)));
  let got: string[] = [];
  for (let i = 0; i < 100 && !got.length; i++) {
    got = labels(await lsp.request<Array<{ label: string }>>('textDocument/completion', { textDocument: { uri }, position: positionOf(text, '      - \n', 8) }));
    if (!got.length) await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual([...got].sort(), ['k3_e1', 'k3_e3', 'k5_e3_se', 'k5_e6_hs', 'skip']);
});
