import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeTflite, TfliteFormatError } from '../../extension/core/tflite/reader';
import { summarizeTflite } from '../../extension/core/tflite/summary';
import { layoutTfliteGraph } from '../../extension/core/tflite/graph';
import { syntheticFile } from '../helpers/tfliteBuilder';

/**
 * Mutates the real MediaPipe models thousands of times (bit flips, truncation, inserted and duplicated bytes,
 * huge offsets, filled runs): each must either summarize and lay out, or fail with one clear TfliteFormatError —
 * no other exception, no hang, no unbounded memory. A flatbuffer has no checksums, so many mutants still read.
 */
// The real models have no quantization, sparsity, signatures, metadata or appended zip: the builder-written one has.
const MODELS = ['face_detection_short_range.tflite', 'selfie_segmentation.tflite', 'synthetic (builder-written)'];
const ITERATIONS = Number(process.env.MOBILEAI_FUZZ_ITERATIONS ?? 1500);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Most of a model is weights; mutations aimed at the flatbuffer's tables (the first and last few KiB) hit the structure. */
function mutate(src: Buffer, r: () => number): Buffer {
  const b = Buffer.from(src);
  const at = () => (r() < 0.7 ? (r() < 0.5 ? Math.floor(r() * Math.min(b.length, 4096)) : b.length - 1 - Math.floor(r() * Math.min(b.length, 16384))) : Math.floor(r() * b.length));
  switch (Math.floor(r() * 7)) {
    case 0: { for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) b[at()] ^= 1 << Math.floor(r() * 8); return b; }
    case 1: return b.subarray(0, at());
    case 2: { const p = at(); return Buffer.concat([b.subarray(0, p), Buffer.from(Array.from({ length: 1 + Math.floor(r() * 16) }, () => Math.floor(r() * 256))), b.subarray(p)]); }
    case 3: { const p = at() & ~3; if (p + 4 <= b.length) b.writeInt32LE(r() < 0.5 ? 0x7fffffff : -Math.floor(r() * 0x7fffffff), p); return b; }
    case 4: { const p = at(); const q = Math.min(b.length, p + Math.floor(r() * 64)); return Buffer.concat([b.subarray(0, q), b.subarray(p, q), b.subarray(q)]); }
    case 5: { const p = at() & ~3; if (p + 4 <= b.length) b.writeInt32LE(b.readInt32LE(p) + (Math.floor(r() * 9) - 4) * 4, p); return b; }
    default: { const p = at(); b.fill(Math.floor(r() * 256), p, Math.min(b.length, p + 1 + Math.floor(r() * 32))); return b; }
  }
}

for (const name of MODELS) {
  test(`fuzz: ${ITERATIONS} mutations of ${name} give a summary or one clear TfliteFormatError`, (t) => {
    const original = name.startsWith('synthetic') ? syntheticFile() : readFileSync(path.join(__dirname, '..', 'fixtures', 'tflite', name));
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
        const loaded = { ...decodeTflite(bytes, 'mutant.tflite'), file: 'mutant.tflite' };
        const s = summarizeTflite(loaded);
        // What the model editor does next: the graph of every subgraph.
        for (let g = 0; g < Math.min(s.subgraphs.length, 4); g++) assert.ok(layoutTfliteGraph(loaded, g).nodes.length >= 0);
        assert.ok(Number.isFinite(s.weights.bytes) && s.weights.bytes >= 0);
        JSON.stringify(s);
        ok++;
      } catch (err) {
        if (!(err instanceof TfliteFormatError)) {
          throw new Error(`mutation ${i} of ${name} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.stack}`);
        }
        assert.match(err.message, /mutant\.tflite/);
        rejected++;
      }
      const used = process.cpuUsage(cpu);
      slowest = Math.max(slowest, (used.user + used.system) / 1000);
    }
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(grownMiB < 256, `heap grew ${grownMiB.toFixed(0)} MiB`);
    assert.ok(slowest < 5000, `one mutant took ${slowest.toFixed(0)} ms of CPU`);
    assert.equal(ok + rejected, ITERATIONS);
    assert.ok(rejected > ITERATIONS / 20, `mutations of the tables are caught (${rejected} of ${ITERATIONS} rejected)`);
    t.diagnostic(`${name}: ${ok} summarized, ${rejected} rejected, slowest ${slowest.toFixed(1)} ms of CPU, heap +${grownMiB.toFixed(1)} MiB`);
  });
}

test('every truncation point of the table region fails with TfliteFormatError or reads, never crashes', () => {
  const original = readFileSync(path.join(__dirname, '..', 'fixtures', 'tflite', 'face_detection_short_range.tflite'));
  let rejected = 0;
  const cuts = [...Array.from({ length: 600 }, (_, i) => i), ...Array.from({ length: 400 }, (_, i) => original.length - 1 - i * 7)];
  for (const cut of cuts) {
    try {
      const loaded = decodeTflite(original.subarray(0, cut), 'cut.tflite');
      summarizeTflite(loaded);
      layoutTfliteGraph(loaded);
    } catch (err) {
      assert.ok(err instanceof TfliteFormatError, `cut at ${cut}: ${(err as Error).stack}`);
      rejected++;
    }
  }
  // The tables sit at both ends of the file: any cut loses some of them.
  assert.equal(rejected, cuts.length);
});
