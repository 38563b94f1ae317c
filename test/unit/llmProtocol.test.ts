import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFromLlmWebview } from '../../webview/llm/protocol';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `2026-12-01T11-00-0${i % 10}-run-${i}`);

test('the LLM panel host accepts every message its webview sends', () => {
  const good: unknown[] = [
    { type: 'ready' }, { type: 'refresh' }, { type: 'bench' }, { type: 'import' }, { type: 'cancel' },
    { type: 'select', id: '2026-12-01T11-40-00-gpt2' },
    { type: 'compare', ids: ids(2), baseline: 0 },
    { type: 'compare', ids: ids(3), baseline: 2 },
    { type: 'export', ids: ids(1), format: 'csv', compare: false },
    { type: 'export', ids: ids(4), format: 'json', compare: false },
    { type: 'export', ids: ids(2), format: 'csv', compare: true },
    { type: 'quantize', id: 'a' },
    { type: 'explore', space: '{"layers":[2,4],"hidden":[128],"heads":[4],"vocab":[2048]}', target: 'host', promptTokens: 32, genTokens: 16 },
    { type: 'explore', space: '{}', target: '127.0.0.1:6520', promptTokens: 1, genTokens: 4096 },
    { type: 'exportShape', id: 'L2-h128-a4-kv4' },
  ];
  for (const m of good) assert.equal(isFromLlmWebview(m), true, JSON.stringify(m));
});

test('the LLM panel host refuses malformed, oversized and unknown messages', () => {
  const bad: unknown[] = [
    null, undefined, 'ready', 42, [], [{ type: 'ready' }], {},
    { type: 'ready', extra: 1 },
    { type: 'run' }, // a host→webview message type sent back
    { type: 'select' }, { type: 'select', id: '' }, { type: 'select', id: 7 }, { type: 'select', id: 'x'.repeat(301) },
    { type: 'select', id: 'a', path: '/etc/passwd' },
    { type: 'compare', ids: ids(1), baseline: 0 }, // one run is not a comparison
    { type: 'compare', ids: ids(2), baseline: 2 }, // baseline out of range
    { type: 'compare', ids: ids(2), baseline: -1 },
    { type: 'compare', ids: ids(2), baseline: 0.5 },
    { type: 'compare', ids: ['a', 'a'], baseline: 0 }, // the same run twice
    { type: 'compare', ids: ids(17), baseline: 0 }, // too many
    { type: 'compare', ids: 'a,b', baseline: 0 },
    { type: 'compare', ids: ['a', 5], baseline: 0 },
    { type: 'export', ids: [], format: 'csv', compare: false },
    { type: 'export', ids: ids(1), format: 'xlsx', compare: false },
    { type: 'export', ids: ids(1), format: 'csv', compare: true }, // a comparison needs two runs
    { type: 'export', ids: ids(2), format: 'csv' },
    { type: 'export', ids: ids(2), format: 'csv', compare: 'yes' },
    { type: 'explore', space: '{}', target: 'host', promptTokens: 0, genTokens: 16 },
    { type: 'explore', space: '{}', target: 'host', promptTokens: 32, genTokens: 4097 },
    { type: 'explore', space: '{}', target: 'host', promptTokens: 3.5, genTokens: 16 },
    { type: 'explore', space: '{}', target: '', promptTokens: 32, genTokens: 16 },
    { type: 'explore', space: 'x'.repeat(20_001), target: 'host', promptTokens: 32, genTokens: 16 },
    { type: 'explore', space: { layers: 2 }, target: 'host', promptTokens: 32, genTokens: 16 },
    { type: 'explore', space: '{}', target: 'host', promptTokens: '32', genTokens: 16 },
    JSON.parse('{"type":"ready","__proto__":{"polluted":true}}'),
  ];
  for (const m of bad) assert.equal(isFromLlmWebview(m), false, JSON.stringify(m)?.slice(0, 120));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
