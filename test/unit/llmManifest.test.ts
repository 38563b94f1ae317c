import { test } from 'node:test';
import assert from 'node:assert/strict';
import { llmRunnerFor, parseManifest, validateManifest } from '../../extension/core/manifest/manifest';
import { lenses } from '../../language-server/features';

const files = new Set(['/p/models/gpt2.onnx', '/p/models/qwen.gguf', '/p/llama.cpp', '/p/llama.cpp/bin/llama-bench']);
const facts = { baseDir: '/p', fileExists: (p: string) => (files.has(p) ? (p.endsWith('llama.cpp') ? 'dir' as const : 'file' as const) : false as const) };

const MANIFEST = `version: 1
targets:
  pixel:
    serial: 3A0B1C
llms:
  gpt2-host:
    model: models/gpt2.onnx
  qwen:
    model: models/qwen.gguf
    target: pixel
    runner: llama-bench
    runnerPath: llama.cpp
    promptTokens: 512
    genTokens: 128
    unplug: true
`;

test('a well-formed llms: section has no problems and a Benchmark lens per entry', () => {
  const pm = parseManifest(MANIFEST);
  assert.deepEqual(validateManifest(pm, facts).map((d) => `${d.code}: ${d.message}`), []);
  assert.equal(pm.value.llms?.qwen.genTokens, 128);
  const ls = lenses(pm, 'file:///p/mobileai.yaml').filter((l) => l.title.includes('Benchmark'));
  assert.deepEqual(ls.map((l) => l.args), [['file:///p/mobileai.yaml', 'llms', 'gpt2-host', 'bench'], ['file:///p/mobileai.yaml', 'llms', 'qwen', 'bench']]);
  assert.equal(llmRunnerFor('a.gguf'), 'llama-bench');
  assert.equal(llmRunnerFor('a.litertlm'), 'litert-lm');
  assert.equal(llmRunnerFor('models/phi-3-mini'), 'genai');
});

test('bad llms: entries get diagnostics a user can act on', () => {
  const text = `version: 1
targets:
  pixel:
    serial: 3A0B1C
llms:
  wrong-runner:
    model: models/qwen.gguf
    target: pixel
    runner: onnx
  no-phone:
    model: models/qwen.gguf
  binary-path:
    model: models/qwen.gguf
    target: pixl
    runnerPath: llama.cpp/bin/llama-bench
  host-unplug:
    model: models/gpt2.onnx
    unplug: true
  bad-values:
    model: models/missing.onnx
    genTokens: 0
    sampleHz: 50
    runner: mlc
`;
  const pm = parseManifest(text);
  const ds = validateManifest(pm, facts);
  const at = (code: string) => ds.filter((d) => d.code === code).map((d) => `${text.slice(d.start, d.end)} → ${d.message}`);
  assert.deepEqual(at('llm-runner-model'), ['onnx → The onnx runner does not take gguf files; this model is for llama-bench.']);
  assert.equal(ds.find((d) => d.code === 'llm-runner-model')?.fix?.[0].replace, 'llama-bench');
  assert.deepEqual(at('llm-needs-target'), ['no-phone → llama-bench runs on a phone: give "target" (only ONNX decoders run on this machine).']);
  assert.match(at('llm-runner-folder')[0], /^llama\.cpp\/bin\/llama-bench → For llama-bench give the folder that holds bin\/llama-bench and lib\//);
  assert.match(at('unknown-target')[0], /^pixl → Unknown target "pixl": did you mean "pixel"\?/);
  assert.deepEqual(at('llm-unplug-host'), ['unplug → "unplug" applies to a phone\'s battery: this benchmark runs on this machine (no "target").']);
  assert.deepEqual(at('missing-file'), ['models/missing.onnx → No such file or folder: models/missing.onnx']);
  const schema = ds.filter((d) => d.code.startsWith('schema-') || d.code === 'bad-enum').map((d) => text.slice(d.start, d.end));
  assert.deepEqual(schema.sort(), ['0', '50', 'mlc']);
});
