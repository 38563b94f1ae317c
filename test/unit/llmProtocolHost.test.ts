/**
 * The LLM panel's host on the vscode stub (test/helpers/vscodeStub.ts): what the webview sends reaches exactly
 * the action it names with its own arguments; anything the guard refuses does nothing; a closed panel ignores
 * everything. Runs come from a real run folder (`.mobileai/llm-runs/<id>/run.json`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installVscodeStub } from '../helpers/vscodeStub';
import { importLlmRun } from '../../extension/core/llm/import';

const stub = installVscodeStub();

// Two records as `mobileai llm import` makes them (llama-bench markdown, the layout of test/unit/llmCompare.test.ts).
const TABLE = `| model                          |       size |     params | backend    | ngl | test       |              t/s |
| ------------------------------ | ---------: | ---------: | ---------- | --: | ---------- | ---------------: |
| llama 1B Q8_0                  | 1.22 GiB   |     1.24 B | Vulkan     |  99 | pp 512     |    812.40 ± 9.12 |
| llama 1B Q8_0                  | 1.22 GiB   |     1.24 B | Vulkan     |  99 | tg 128     |     41.77 ± 0.35 |
`;

test('each message reaches its action with its own arguments; refused ones and a closed panel do nothing', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mobileai-llm-panel-'));
  const id = '2026-12-01T11-00-00-llama-1b';
  fs.mkdirSync(path.join(root, id));
  fs.writeFileSync(path.join(root, id, 'run.json'), JSON.stringify({ ...importLlmRun(TABLE).records[0], status: 'complete' }));
  const calls: string[] = [];
  const actions = {
    bench: () => calls.push('bench'), import: () => calls.push('import'), cancel: () => calls.push('cancel'),
    quantize: (x: string) => calls.push(`quantize ${x}`), explore: (m: { target: string; promptTokens: number }) => calls.push(`explore ${m.target} ${m.promptTokens}`),
    exportShape: (x: string) => calls.push(`exportShape ${x}`), export: (ids: string[], f: string, c: boolean) => calls.push(`export ${ids.join('+')} ${f} ${c}`),
  };
  const warnings: string[] = [];
  const log = { info: () => undefined, warn: (m: string) => void warnings.push(m), error: () => undefined, debug: () => undefined };
  const { LlmPanel } = await import('../../extension/vscode/llm/llmPanel');
  LlmPanel.show(stub.context() as never, log as never, () => root, actions as never);
  const panel = stub.panels[stub.panels.length - 1];
  // The host's handler returns its work's promise: awaiting it waits for what the message does.
  const send = async (m: unknown) => {
    for (const h of panel.handlers) await h(m);
  };
  await send({ type: 'ready' });
  // The first list comes from the panel's own start-up read of the runs folder: wait for it (bounded).
  const t0 = Date.now();
  while (!panel.posted.some((m) => (m as { type: string }).type === 'runs') && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
  const list = panel.posted.find((m) => (m as { type: string }).type === 'runs') as { runs: Array<{ id: string; decodeTps: number; measuredOn: string }> };
  assert.ok(list, 'the runs list is posted');
  assert.deepEqual(list.runs.map((r) => [r.id, r.decodeTps]), [[id, 41.77]]);

  await send({ type: 'select', id });
  const shown = panel.posted.find((m) => (m as { type: string }).type === 'run') as { run: { id: string; model: { name: string } } };
  assert.equal(shown.run.id, id);
  await send({ type: 'bench' });
  await send({ type: 'cancel' });
  await send({ type: 'quantize', id });
  await send({ type: 'export', ids: [id], format: 'csv', compare: false });
  await send({ type: 'explore', space: '{}', target: 'host', promptTokens: 8, genTokens: 4 });
  await send({ type: 'exportShape', id: 'L2' });
  assert.deepEqual(calls, ['bench', 'cancel', `quantize ${id}`, `export ${id} csv false`, 'explore host 8', 'exportShape L2']);

  // A run the panel does not know is an error message in the panel, nothing else.
  const before = panel.posted.length;
  await send({ type: 'select', id: '../../etc' });
  assert.deepEqual(panel.posted.slice(before).map((m) => (m as { type: string }).type), ['error']);

  calls.length = 0;
  stub.clear();
  const refused: unknown[] = [{ type: 'bench', now: true }, { type: 'export', ids: [id], format: 'sh', compare: false }, { type: 'compare', ids: [id], baseline: 0 }, { type: 'quantize', id: 7 }, 'bench', null, { type: 'runCommand', command: 'workbench.action.terminal.new' }];
  const cyclic: Record<string, unknown> = { type: 'select' };
  cyclic.self = cyclic;
  refused.push(cyclic, { type: 'select', id: 10n });
  for (const m of refused) await send(m);
  assert.deepEqual(calls, []);
  assert.deepEqual(stub.effects, []);
  assert.equal(warnings.length, refused.length, 'each refusal is logged');

  panel.dispose();
  const after = panel.posted.length;
  await send({ type: 'bench' });
  await send({ type: 'select', id });
  assert.deepEqual(calls, []);
  assert.equal(panel.posted.length, after, 'a closed panel posts nothing');
  assert.equal(LlmPanel.current, undefined);
  fs.rmSync(root, { recursive: true, force: true });
});
