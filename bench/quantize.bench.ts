/**
 * Quantization benchmarks: time and peak memory of each mode (in a fresh process), and int8 vs float host
 * latency (interleaved runs) for the CNNs and transformers in the fixtures, the shared models when present,
 * and a ResNet-style CNN. Writes bench-results/quantize.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../extension/core/onnx/model';
import { resnetLike } from '../test/helpers/models';
import { type Metric, report, summarize } from './report';

const FIX = path.join(__dirname, '..', 'test', 'fixtures', 'models');
const SHARED = path.join(__dirname, '..', '..', 'shared', 'data', 'models');

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-bench-q-'));
  const metrics: Metric[] = [];
  try {
    const resnet = path.join(tmp, 'resnet_like.onnx');
    await saveModel(resnetLike({ size: 112, width: 64, blocks: 4 }), resnet);
    const cases: Array<{ name: string; file: string; mode: string; dims?: Record<string, number>; target?: { min: number } }> = [
      { name: 'resnet_like_static', file: resnet, mode: 'static', target: { min: 1 } },
      { name: 'mnist_static', file: path.join(FIX, 'mnist.onnx'), mode: 'static' },
      { name: 'bert_toy_dynamic', file: path.join(FIX, 'bert_toy_optimized.onnx'), mode: 'dynamic', dims: { batch: 1, max_seq_len_in_batch: 128 } },
      { name: 'bert_toy_static', file: path.join(FIX, 'bert_toy_optimized.onnx'), mode: 'static', dims: { batch: 1, max_seq_len_in_batch: 128 } },
      { name: 'gpt2_tiny_int4', file: path.join(FIX, 'tiny-random-gpt2-fp32-past.onnx'), mode: 'int4', dims: { batch_size: 1, seq_len: 8, past_seq_len: 8, total_seq_len: 16 } },
    ];
    const ultraface = path.join(SHARED, 'Ultraface_version-RFB-320.onnx');
    if (existsSync(ultraface)) cases.push({ name: 'ultraface_static', file: ultraface, mode: 'static' });
    for (const c of cases) {
      const script = path.join(tmp, `${c.name}.ts`);
      const times: number[] = [];
      const rss: number[] = [];
      const speed: number[] = [];
      for (let rep = 0; rep < 3; rep++) {
        const out = path.join(tmp, `${c.name}_${rep}.onnx`);
        await writeFile(script, `import { quantizeModel } from ${JSON.stringify(path.resolve(__dirname, '..', 'extension', 'core', 'quantize', 'quantize'))};
const t = performance.now();
quantizeModel({ input: ${JSON.stringify(c.file)}, output: ${JSON.stringify(out)}, mode: ${JSON.stringify(c.mode)}, dims: ${JSON.stringify(c.dims ?? {})}, calibration: { kind: 'random', count: 8 }, sensitivity: false, latencyRuns: 40 })
  .then((r) => process.stdout.write(JSON.stringify({ quantizeMs: performance.now() - t, maxRssKb: process.resourceUsage().maxRSS, speedup: r.latency.speedup })));`);
        const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', cwd: path.resolve(__dirname, '..') });
        if (r.status !== 0) throw new Error(`${c.name}: ${r.stderr}`);
        const o = JSON.parse(r.stdout) as { quantizeMs: number; maxRssKb: number; speedup: number };
        times.push(o.quantizeMs);
        rss.push(o.maxRssKb / 1024);
        speed.push(o.speedup);
      }
      metrics.push(summarize(`${c.name}_total_ms`, times, 'ms (quantize + report)'));
      metrics.push(summarize(`${c.name}_peak_rss_mib`, rss, 'MiB'));
      metrics.push(summarize(`${c.name}_int8_vs_float_speedup`, speed, '×', c.target));
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await report('quantize', metrics);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
