/**
 * Quantization benchmarks: time and peak memory of each mode (in a fresh process), and int8 vs float host
 * latency (interleaved runs) for the CNNs and transformers in the fixtures, the shared models when present,
 * and a ResNet-style CNN. Then real models at the input sizes they run at (an OCR detector at 640×640, the
 * face detector at its native 240×320, the OCR recognizer at 48×320, the wake-word embedding): float vs int8
 * interleaved in one run, and an onnxruntime profile of both, so that where int8 is slower the report says which
 * ops stayed in float and which kernels onnxruntime ran. Writes bench-results/quantize.json and quantize.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../extension/core/onnx/model';
import { resnetLike } from '../test/helpers/models';
import { profileOnHost } from '../extension/core/profile/hostProfiler';
import { CORPUS, ROOT, agreement, interleaved, resolveModel, weightedOps, writeSamples } from '../test/helpers/corpus';
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
    // MOBILEAI_BENCH_REAL_ONLY=1: only the real models at their sizes (the part below).
    for (const c of process.env.MOBILEAI_BENCH_REAL_ONLY ? [] : cases) {
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
    await realShapes(tmp, metrics);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await report('quantize', metrics);
}

/** Real models at the sizes they run at, float vs int8 (S8S8 and U8S8) interleaved, with profiles of both. */
async function realShapes(tmp: string, metrics: Metric[]): Promise<void> {
  const ids = (process.env.MOBILEAI_BENCH_MODELS ?? 'ppocr-v4-det,ultraface-rfb-320,ppocr-v4-rec,oww-embedding').split(',');
  const cpuFlags = /^flags\s*:(.*)$/m.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? '';
  const isa = ['avx512_vnni', 'avx_vnni', 'avx512f', 'avx2'].filter((f) => cpuFlags.split(' ').includes(f));
  const md: string[] = [
    `# Static int8 vs float at real input sizes (${new Date().toISOString()})`,
    '',
    `Machine: ${os.cpus()[0]?.model?.trim()}, ${os.cpus().length} cores, ${isa.join(' ') || 'no AVX2/VNNI flags'}. The int8 models are the quantizer's first build (accuracy-aware search off, so every op it can quantize is int8: the speed int8 reaches; the cosine shows what that costs). Interleaved medians in one process; per-op times from onnxruntime profiles of both models, the quietest of three alternating profiles each (graph optimization "all", so the kernels are the ones onnxruntime runs after fusion).`,
    '',
  ];
  for (const id of ids) {
    const m = CORPUS.find((c) => c.id === id);
    if (!m) continue;
    let file: string;
    try {
      file = await resolveModel(m);
    } catch (err) {
      md.push(`## ${id}: NOT FETCHED — ${(err as Error).message}`, '');
      console.error(`${id}: not fetched: ${(err as Error).message}`);
      process.exitCode = 1;
      continue;
    }
    const dir = await mkdtemp(path.join(tmp, `${id}-`));
    const calib = m.heavy ? 4 : 8;
    await writeSamples(m, path.join(dir, 'calib'), 1, calib);
    const evalData = await writeSamples(m, path.join(dir, 'eval'), 1001, 2);
    const shapes = m.inputs.map((i) => `${i.name} ${i.shape.join('×')}`).join(', ');
    md.push(`## ${id} — ${m.what}`, '', `Shapes: ${shapes}.`, '');
    const inputFiles = Object.fromEntries(m.inputs.map((i) => [i.name, path.join(dir, 'eval', 'sample_000', `${i.name}.npy`)]));
    // Profiles are not interleaved run by run: take each model's quietest of three alternating profiles, so a
    // burst of load on this shared machine does not land on one side only.
    const profileRuns = m.heavy ? 4 : 15;
    const quietest = async (f: string) => (await profileOnHost(f, { runs: profileRuns, warmup: 2, inputFiles })).result;
    let floatProfile = await quietest(file);
    for (const variant of [{ name: 'S8S8', flags: [] as string[] }, { name: 'U8S8', flags: ['--u8s8'] }]) {
      const out = path.join(dir, `static_${variant.name}.onnx`);
      const t0 = performance.now();
      const q = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'mobileai.js'), 'quantize', file, '--mode', 'static', ...variant.flags, '--out', out, '--json', '--no-sensitivity', '--no-accuracy-aware', '--target-cosine', '0', '--target-top1', '0', '--calibration', path.join(dir, 'calib'), '--samples', String(calib), '--eval', path.join(dir, 'eval')], { encoding: 'utf8', cwd: ROOT });
      const quantizeS = (performance.now() - t0) / 1000;
      if (q.status !== 0) {
        const why = (q.stderr || q.stdout).trim().split('\n').filter((l) => /error/i.test(l))[0] ?? q.stderr.trim().split('\n')[0];
        md.push(`- static ${variant.name}: refused or failed (exit ${q.status}) — ${why}`, '');
        console.log(`${id} ${variant.name}: exit ${q.status}: ${why}`);
        continue;
      }
      const agree = await agreement(file, out, evalData, m.inputs);
      const cos = Math.min(...agree.filter((a) => !a.noSignal).map((a) => a.cosine));
      const t = await interleaved(file, out, evalData[0], m.inputs, m.heavy ? 16 : 40);
      metrics.push(summarize(`${id}_${variant.name}_int8_vs_float_speedup`, [t.speedup], `× (${shapes})`));
      let qProfile = await quietest(out);
      for (let round = 0; round < 2; round++) {
        const f2 = await quietest(file);
        if (f2.latencyMs.mean < floatProfile.latencyMs.mean) floatProfile = f2;
        const q2 = await quietest(out);
        if (q2.latencyMs.mean < qProfile.latencyMs.mean) qProfile = q2;
      }
      const w = await weightedOps(out);
      const qo = new Map(qProfile.opTypes.map((o) => [o.opType, o]));
      const qdqUs = ['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear'].reduce((a, k) => a + (qo.get(k)?.meanUs ?? 0), 0);
      const top = (p: typeof floatProfile) => p.opTypes.slice().sort((a, b) => b.meanUs - a.meanUs).slice(0, 6).map((o) => `${o.opType} ${(o.meanUs / 1000).toFixed(2)} ms (${o.nodes})`).join(', ');
      const intKernels = qProfile.opTypes.filter((o) => /^(QLinear|ConvInteger|MatMulInteger|QGemm|QAttention|MatMulNBits|DynamicQuantize)/.test(o.opType));
      const floatKernels = qProfile.opTypes.filter((o) => /^(Conv|FusedConv|ConvTranspose|MatMul|FusedMatMul|Gemm|FusedGemm|LSTM|GRU)$/.test(o.opType));
      // Where the int8 run's time goes, against the float run's (both under onnxruntime's profiler).
      const cat = (o: string): string =>
        /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear)$/.test(o) ? 'Quantize/DequantizeLinear'
          : /^(QLinear|ConvInteger|MatMulInteger|QGemm|QAttention|MatMulNBits|DynamicQuantize)/.test(o) ? 'integer kernels'
            : /^(Conv|FusedConv|ConvTranspose|MatMul|FusedMatMul|Gemm|FusedGemm|LSTM|GRU)$/.test(o) ? 'float Conv/MatMul/Gemm'
              : /^(Reorder|Transpose|Nhwc)/.test(o) ? 'layout changes (Reorder/Transpose)' : 'other float ops';
      const cats = (p: typeof floatProfile) => {
        const c = new Map<string, number>();
        for (const o of p.opTypes) c.set(cat(o.opType), (c.get(cat(o.opType)) ?? 0) + o.meanUs / 1000);
        return c;
      };
      const cf = cats(floatProfile);
      const cq = cats(qProfile);
      const names = [...new Set([...cf.keys(), ...cq.keys()])];
      const breakdown = names.map((k) => ({ k, f: cf.get(k) ?? 0, q: cq.get(k) ?? 0 })).sort((a, b) => Math.abs(b.q - b.f) - Math.abs(a.q - a.f));
      md.push(
        `- static ${variant.name}: float ${t.floatMs.toFixed(2)} ms → int8 ${t.quantMs.toFixed(2)} ms, **${t.speedup.toFixed(2)}×** (${t.runs} interleaved pairs); cosine ${cos.toFixed(4)}; quantized in ${quantizeS.toFixed(1)} s.`,
        `  - under the profiler: float ${floatProfile.latencyMs.mean.toFixed(2)} ms/run, int8 ${qProfile.latencyMs.mean.toFixed(2)} ms/run; by kind of op, float → int8: ${breakdown.map((b) => `${b.k} ${b.f.toFixed(2)} → ${b.q.toFixed(2)} ms`).join('; ')}`,
        `  - float run, top ops: ${top(floatProfile)}`,
        `  - int8 run, top ops: ${top(qProfile)}`,
        `  - integer kernels onnxruntime ran: ${intKernels.map((o) => `${o.opType}×${o.nodes} ${(o.meanUs / 1000).toFixed(2)} ms`).join(', ') || 'none'}; QuantizeLinear/DequantizeLinear ${(qdqUs / 1000).toFixed(2)} ms (${((qdqUs / 1000 / Math.max(1e-9, qProfile.latencyMs.mean)) * 100).toFixed(0)} % of the int8 run)`,
        `  - float kernels in the int8 run: ${floatKernels.map((o) => `${o.opType}×${o.nodes} ${(o.meanUs / 1000).toFixed(2)} ms`).join(', ') || 'none'} (weighted ops in the int8 file with float weights: ${Object.entries(w.float).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'}; with QDQ weights: ${Object.entries(w.integer).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'} — a QDQ Conv runs as QLinearConv only where onnxruntime can fuse its Q/DQ pairs, otherwise as a float Conv on dequantized weights)`,
      );
      if (t.speedup < 1) {
        const worse = breakdown.filter((b) => b.q - b.f > 0.05 * Math.max(1e-9, qProfile.latencyMs.mean)).map((b) => `${b.k} +${(b.q - b.f).toFixed(2)} ms`);
        const better = breakdown.filter((b) => b.f - b.q > 0).map((b) => `${b.k} −${(b.f - b.q).toFixed(2)} ms`);
        md.push(`  - **int8 is slower here.** What the int8 run adds: ${worse.join(', ') || 'nothing above 5 % of the run (the gap is spread over many small ops)'}; what it saves: ${better.join(', ') || 'nothing'}.${floatKernels.length ? ` ${floatKernels.map((o) => `${o.opType}×${o.nodes}`).join(', ')} still run in float between DequantizeLinear and QuantizeLinear.` : ''}`);
      }
      md.push('');
      console.log(`${id} ${variant.name}: ${t.floatMs.toFixed(2)} → ${t.quantMs.toFixed(2)} ms (${t.speedup.toFixed(2)}×), cosine ${cos.toFixed(4)}`);
    }
  }
  await mkdir(path.join(ROOT, 'bench-results'), { recursive: true });
  await writeFile(path.join(ROOT, 'bench-results', 'quantize.md'), `${md.join('\n')}\n`);
  console.log(`\n${md.join('\n')}`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
