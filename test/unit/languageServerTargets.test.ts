/**
 * The language server over LSP (JSON-RPC on stdio, as an editor drives it), built from source with esbuild
 * for this test: the missing-phone warning arrives when the extension says which phones are connected, its
 * quick fixes are code actions whose edits make it go away, lenses are refreshed and offer "Select a phone…",
 * and the first hover on a model already has the model's facts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-languageserver/node';

const ROOT = path.resolve(__dirname, '..', '..');
const MNIST = path.join(ROOT, 'test', 'fixtures', 'models', 'mnist.onnx');
type Diag = { range: { start: { line: number; character: number }; end: { line: number; character: number } }; message: string; code: string; severity: number; data?: unknown };
type Edit = { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string };

let dir: string;
let child: ChildProcess;
let conn: MessageConnection;
const published = new Map<string, { version?: number; diagnostics: Diag[] }>();
let refreshes = 0;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mobileai-ls-targets-'));
  const server = path.join(dir, 'server.js');
  await build({ entryPoints: [path.join(ROOT, 'language-server', 'server.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: server, external: ['onnxruntime-node', 'sharp', '@litertjs/core', 'vscode'], logLevel: 'silent' });
  child = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } });
  conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: Diag[] }) => published.set(p.uri, p));
  conn.onRequest('workspace/codeLens/refresh', () => { refreshes++; return null; });
  conn.onNotification('window/logMessage', () => undefined);
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: { workspace: { codeLens: { refreshSupport: true } } } });
  conn.sendNotification('initialized', {});
});

after(async () => {
  await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 1000))]).catch(() => undefined);
  conn.dispose();
  child.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => T | undefined, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const offsetOf = (text: string, p: { line: number; character: number }) => text.split('\n').slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
function applyEdits(text: string, edits: Edit[]): string {
  for (const e of [...edits].sort((a, b) => offsetOf(text, b.range.start) - offsetOf(text, a.range.start))) text = text.slice(0, offsetOf(text, e.range.start)) + e.newText + text.slice(offsetOf(text, e.range.end));
  return text;
}

test('a serial that is not connected: a warning once the phones are known, code actions that fix it, lenses refreshed', async () => {
  const file = path.join(dir, 'mobileai.yaml');
  const uri = pathToFileURL(file).toString();
  const text = `version: 1\ntargets:\n  vphone:\n    serial: 127.0.0.1:6520\nmodels:\n  mnist:\n    path: ${JSON.stringify(MNIST)}\n    target: vphone\n`;
  writeFileSync(file, text);
  conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  await until('first diagnostics', () => published.get(uri));
  assert.equal(published.get(uri)?.diagnostics.filter((d) => d.code === 'target-not-connected').length, 0, 'no warning before the extension says which phones are connected');
  const lensesBefore = await conn.sendRequest<Array<{ command: { title: string } }>>('textDocument/codeLens', { textDocument: { uri } });
  assert.deepEqual(lensesBefore.map((l) => l.command.title), ['▶ Profile', '▶ Deploy']);

  // The virtual phone on another port (`npm start -- --phone-port 6599`), as the extension reports it.
  conn.sendNotification('mobileai/devices', { devices: [{ serial: '127.0.0.1:6599', state: 'device', model: 'Virtual Phone', manufacturer: 'Mobile AI', soc: 'Virtual SoC', abis: ['x86_64'] }, { serial: 42, state: 'device' }, null] });
  const warn = await until('the warning', () => published.get(uri)?.diagnostics.find((d) => d.code === 'target-not-connected'));
  assert.equal(warn.severity, 2, 'a warning');
  assert.deepEqual(warn.range.start, { line: 3, character: 12 });
  assert.match(warn.message, /"127\.0\.0\.1:6520" is not connected\. Connected: Virtual Phone \(127\.0\.0\.1:6599\)\./);
  await until('a lens refresh request', () => (refreshes > 0 ? true : undefined));
  const lenses = await conn.sendRequest<Array<{ command: { title: string; command: string; arguments: unknown[] } }>>('textDocument/codeLens', { textDocument: { uri } });
  assert.ok(lenses.some((l) => l.command.command === 'mobileai.manifest.selectPhone' && JSON.stringify(l.command.arguments) === JSON.stringify([uri, 'vphone'])), JSON.stringify(lenses.map((l) => l.command.title)));
  assert.ok(lenses.some((l) => l.command.command === 'mobileai.virtualPhone.start'));

  const actions = await conn.sendRequest<Array<{ title: string; kind: string; isPreferred?: boolean; edit: { changes: Record<string, Edit[]> } }>>('textDocument/codeAction', {
    textDocument: { uri }, range: warn.range, context: { diagnostics: [warn] },
  });
  assert.deepEqual(actions.map((a) => a.title), ['Match by model: match: { model: "Virtual Phone" }', 'Match by SoC: match: { soc: "Virtual SoC" }', 'Use serial 127.0.0.1:6599 (Virtual Phone)']);
  assert.ok(actions.every((a) => a.kind === 'quickfix'));
  assert.equal(actions[0].isPreferred, true);
  const fixed = applyEdits(text, actions[0].edit.changes[uri]);
  assert.match(fixed, /^ {4}match: \{ model: "Virtual Phone" \}$/m);
  assert.doesNotMatch(fixed, /serial/);
  conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: fixed }] });
  const after2 = await until('diagnostics of the fixed text', () => (published.get(uri)?.version === 2 ? published.get(uri) : undefined));
  assert.deepEqual(after2.diagnostics.map((d) => d.message), []);
  const lensesAfter = await conn.sendRequest<Array<{ command: { title: string } }>>('textDocument/codeLens', { textDocument: { uri } });
  assert.deepEqual(lensesAfter.map((l) => l.command.title), ['▶ Profile', '▶ Deploy']);

  // The first hover on the model already has its facts (the file is read while the hover waits).
  const h = await conn.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri }, position: { line: 5, character: 3 } });
  assert.ok(h);
  assert.ok(h.contents.value.includes(`${(statSync(MNIST).size / 1024).toFixed(1)} KiB`), h.contents.value);
  assert.match(h.contents.value, /parameters, opset 8\./);
  assert.match(h.contents.value, /Ops \(6 types, 12 nodes\): .*Conv ×2/);
});
