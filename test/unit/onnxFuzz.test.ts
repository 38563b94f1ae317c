import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeModel, OnnxFormatError } from '../../extension/core/onnx/model';
import { summarize } from '../../extension/core/onnx/summary';
import { ShapeInference } from '../../extension/core/onnx/shapes';
import { layoutGraph } from '../../extension/core/onnx/graph';

/**
 * Mutates real models thousands of times (bit flips, truncation, inserted and duplicated bytes, huge
 * varints): each must either summarize or fail with one clear OnnxFormatError — no other exception, no
 * hang, no unbounded memory.
 */
const MODELS = ['mnist.onnx', 'conv_qdq_s8s8_perchannel.onnx', 'matmulnbits_add.onnx', 'dynamic_quantize_matmul_int8.onnx', 'tiny-random-gpt2-fp32-past.onnx'];
const ITERATIONS = Number(process.env.MOBILEAI_FUZZ_ITERATIONS ?? 1000);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Buffer, r: () => number): Buffer {
  const b = Buffer.from(src);
  const at = () => Math.floor(r() * b.length);
  switch (Math.floor(r() * 6)) {
    case 0: { for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) b[at()] ^= 1 << Math.floor(r() * 8); return b; }
    case 1: return b.subarray(0, at());
    case 2: { const p = at(); return Buffer.concat([b.subarray(0, p), Buffer.from(Array.from({ length: 1 + Math.floor(r() * 16) }, () => Math.floor(r() * 256))), b.subarray(p)]); }
    case 3: { const p = at(); return Buffer.concat([b.subarray(0, p), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), b.subarray(p + 5)]); }
    case 4: { const p = at(); const q = Math.min(b.length, p + Math.floor(r() * 64)); return Buffer.concat([b.subarray(0, q), b.subarray(p, q), b.subarray(q)]); }
    default: { const p = at(); b.fill(Math.floor(r() * 256), p, Math.min(b.length, p + 1 + Math.floor(r() * 32))); return b; }
  }
}

for (const name of MODELS) {
  test(`fuzz: ${ITERATIONS} mutations of ${name} give a summary or one clear OnnxFormatError`, (t) => {
    const original = readFileSync(path.join(__dirname, '..', 'fixtures', 'models', name));
    const r = rng(name.length * 7919);
    const heapBefore = process.memoryUsage().heapUsed;
    let ok = 0;
    let rejected = 0;
    let slowest = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const bytes = mutate(original, r);
      // CPU time of this process, not wall clock: a deschedule on a loaded machine is not the mutant's cost.
      const cpu = process.cpuUsage();
      try {
        const model = decodeModel(bytes, 'mutant.onnx');
        const s = summarize({ model, fileBytes: bytes.length });
        // What the model editor does next: shape inference and the graph layout.
        const si = new ShapeInference(8);
        si.run(model.graph ?? {});
        assert.ok(layoutGraph(model.graph ?? {}, si).nodes.length >= 0);
        assert.ok(Number.isFinite(s.parameters.count) && s.parameters.count >= 0);
        JSON.stringify(s);
        ok++;
      } catch (err) {
        if (!(err instanceof OnnxFormatError)) {
          throw new Error(`mutation ${i} of ${name} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
        }
        assert.match(err.message, /mutant\.onnx/);
        rejected++;
      }
      const used = process.cpuUsage(cpu);
      slowest = Math.max(slowest, (used.user + used.system) / 1000);
    }
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(grownMiB < 256, `heap grew ${grownMiB.toFixed(0)} MiB`);
    assert.ok(slowest < 5000, `one mutant took ${slowest.toFixed(0)} ms of CPU`);
    assert.ok(ok + rejected === ITERATIONS);
    assert.ok(rejected > ITERATIONS / 10, `most mutants of a protobuf are rejected (${rejected} of ${ITERATIONS})`);
    t.diagnostic(`${name}: ${ok} summarized, ${rejected} rejected, slowest ${slowest.toFixed(1)} ms of CPU, heap +${grownMiB.toFixed(1)} MiB`);
  });
}
