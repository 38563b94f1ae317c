/**
 * Model benchmarks: profiling overhead (profiled vs unprofiled runs of the same session), summary time and
 * memory for a 100 MB model, and graph layout time for a 2,000-node model. Writes bench-results/models.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { profileOnHost } from '../extension/core/profile/hostProfiler';
import { type onnx, saveModel } from '../extension/core/onnx/model';
import { layoutGraph } from '../extension/core/onnx/graph';
import { ShapeInference } from '../extension/core/onnx/shapes';
import { type Metric, report, summarize } from './report';

const M = (f: string) => path.join(__dirname, '..', 'test', 'fixtures', 'models', f);

/** A chain of MatMuls whose float32 weights add up to about `mb` megabytes. */
function bigModel(mb: number): onnx.IModelProto {
  const n = 1024;
  const layers = Math.round((mb * 1024 * 1024) / (n * n * 4));
  const initializer = Array.from({ length: layers }, (_, i) => ({ name: `W${i}`, dataType: 1, dims: [n, n], rawData: Buffer.alloc(n * n * 4, i) }));
  const node = Array.from({ length: layers }, (_, i) => ({ opType: 'MatMul', name: `mm${i}`, input: [i ? `h${i - 1}` : 'x', `W${i}`], output: [i === layers - 1 ? 'y' : `h${i}`] }));
  return { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'big', initializer, node, input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: n }] } } } }], output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }] } };
}

function wideGraph(nodes: number): onnx.IGraphProto {
  const node: onnx.INodeProto[] = [];
  for (let i = 0; i < nodes; i++) {
    const a = i === 0 ? 'x' : `t${Math.max(0, i - 1 - (i % 3))}`;
    node.push({ opType: i % 4 === 0 ? 'Conv' : i % 4 === 1 ? 'Relu' : i % 4 === 2 ? 'Add' : 'Mul', name: `n${i}`, input: i % 4 === 2 ? [a, `t${Math.max(0, i - 2)}`] : [a], output: [`t${i}`] });
  }
  return { name: 'wide', node, input: [{ name: 'x' }] };
}

async function main(): Promise<void> {
  const metrics: Metric[] = [];
  for (const [name, dims] of [['mnist.onnx', {}], ['bert_toy_optimized.onnx', { batch: 1, max_seq_len_in_batch: 128 }], ['tiny-random-gpt2-fp32-past.onnx', { batch_size: 1, seq_len: 8, past_seq_len: 4, total_seq_len: 12 }]] as const) {
    const ratios: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const { result, unprofiledMs } = await profileOnHost(M(name), { runs: 50, warmup: 5, dims, unprofiledRuns: 50 });
      const profiled = result.wallMs?.p50 ?? NaN;
      const plain = [...(unprofiledMs ?? [])].sort((a, b) => a - b)[Math.floor((unprofiledMs ?? []).length / 2)];
      ratios.push(profiled / plain);
    }
    metrics.push(summarize(`profiling_overhead_ratio_${name.replace(/\.onnx$/, '').replace(/[^a-z0-9]+/gi, '_')}`, ratios, '×'));
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-bench-models-'));
  try {
    const file = path.join(tmp, 'big.onnx');
    await saveModel(bigModel(100), file);
    const script = path.join(tmp, 'summ.ts');
    await writeFile(script, `import { summarizeFile } from ${JSON.stringify(path.resolve(__dirname, '..', 'extension', 'core', 'onnx', 'summary'))};
const t = performance.now();
summarizeFile(${JSON.stringify(file)}).then((s) => { process.stdout.write(JSON.stringify({ ms: performance.now() - t, maxRssKb: process.resourceUsage().maxRSS, params: s.parameters.count, bytes: s.fileBytes })); });`);
    const times: number[] = [];
    const rss: number[] = [];
    let fileBytes = 0;
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', cwd: path.resolve(__dirname, '..') });
      const out = JSON.parse(r.stdout) as { ms: number; maxRssKb: number; bytes: number };
      times.push(out.ms);
      rss.push(out.maxRssKb / 1024);
      fileBytes = out.bytes;
    }
    metrics.push(summarize('summary_100mb_ms', times, 'ms', { max: 3000 }));
    metrics.push(summarize('summary_100mb_peak_rss_mib', rss, 'MiB', { max: 3 * (fileBytes / 2 ** 20) + 150 }));

    const layouts: number[] = [];
    const g = wideGraph(2000);
    for (let i = 0; i < 5; i++) {
      const si = new ShapeInference(17);
      const t = performance.now();
      si.run(g);
      layoutGraph(g, si);
      layouts.push(performance.now() - t);
    }
    metrics.push(summarize('graph_layout_2000_nodes_ms', layouts, 'ms', { max: 500 }));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await report('models', metrics);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
