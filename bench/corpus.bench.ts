/**
 * The real-model corpus as a table (`npm run bench -- corpus`): for every model of test/helpers/corpus.ts, the
 * shapes it runs at, its ops, static int8 through the CLI (calibrated on inputs at those shapes), the speedup of
 * the int8 model over the float one (interleaved runs in one process), the cosine this bench measures itself on
 * held-out inputs, and what stayed in float. Writes bench-results/corpus.json and bench-results/corpus.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORPUS, ROOT, agreement, agrees, interleaved, resolveModel, weightedOps, writeSamples, type CorpusModel } from '../test/helpers/corpus';
import { type Metric, report, summarize } from './report';

const CLI = path.join(ROOT, 'bin', 'mobileai.js');
/** How long the default quantization (with its accuracy-aware search) may take per model. */
const LIMIT_S = Number(process.env.MOBILEAI_CORPUS_LIMIT_S ?? 300);
const ONLY = process.env.MOBILEAI_CORPUS?.split(',').filter(Boolean);

interface Row {
  model: string;
  shapes: string;
  ops: string;
  outcome: string;
  speedup?: number;
  floatMs?: number;
  int8Ms?: number;
  cosine?: number;
  agrees?: boolean;
  keptFloat: string;
}

const fmtCounts = (c: Record<string, number>): string => Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}×${v}`).join(' ') || '—';

async function one(m: CorpusModel, tmp: string): Promise<Row> {
  const shapes = m.inputs.map((i) => `${i.name} ${i.shape.join('×') || (i.gen.kind === 'fill' ? `=${i.gen.value}` : 'scalar')}`).join(', ');
  let file: string;
  try {
    file = await resolveModel(m);
  } catch (err) {
    return { model: m.id, shapes, ops: '?', outcome: `NOT FETCHED: ${(err as Error).message}`, keptFloat: '' };
  }
  const s = spawnSync(process.execPath, [CLI, 'summary', file, '--json'], { encoding: 'utf8' });
  const sum = s.status === 0 ? (JSON.parse(s.stdout) as { nodeCountWithSubgraphs: number; opHistogram: Array<{ opType: string; count: number }> }) : undefined;
  const ops = sum ? `${sum.nodeCountWithSubgraphs} nodes: ${sum.opHistogram.filter((o) => o.opType !== 'Constant').slice(0, 5).map((o) => `${o.opType}×${o.count}`).join(' ')}` : `summary failed: ${s.stderr.trim().split('\n')[0]}`;
  const dir = await mkdtemp(path.join(tmp, `${m.id}-`));
  const calib = m.heavy ? 3 : 6;
  await writeSamples(m, path.join(dir, 'calib'), 1, calib);
  const evalData = await writeSamples(m, path.join(dir, 'eval'), 1001, m.heavy ? 2 : 4);
  let out = path.join(dir, 'static.onnx');
  const base = [CLI, 'quantize', file, '--mode', 'static', '--json', '--no-sensitivity', '--calibration', path.join(dir, 'calib'), '--samples', String(calib), '--eval', path.join(dir, 'eval')];
  const t0 = performance.now();
  let q = spawnSync(process.execPath, [...base, '--out', out], { encoding: 'utf8', cwd: ROOT, timeout: LIMIT_S * 1000 });
  let note = '';
  if (q.status === null) {
    // The accuracy-aware search ran past the limit: measure the first int8 model instead, and say so.
    note = `accuracy-aware search did not finish in ${LIMIT_S} s; numbers of the first int8 model (no search): `;
    out = path.join(dir, 'static_nosearch.onnx');
    q = spawnSync(process.execPath, [...base, '--out', out, '--no-accuracy-aware', '--target-cosine', '0', '--target-top1', '0'], { encoding: 'utf8', cwd: ROOT });
  }
  const seconds = (performance.now() - t0) / 1000;
  const missed = q.status === 1 && /misses the accuracy target/.test(q.stderr) && existsSync(out);
  if (missed) note += `exit 1, target missed (${q.stderr.split('misses the accuracy target:')[1]?.trim().split('\n')[0].slice(0, 120)}); `;
  if (q.status !== 0 && !missed) {
    const msg = (q.stderr || q.stdout).trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 1).join(' ') || (q.stderr || q.stdout).trim().split('\n')[0];
    return { model: m.id, shapes, ops, outcome: `${note}refused/failed (exit ${q.status}): ${msg.replace(/^error:\s*/, '').slice(0, 220)}`, keptFloat: '' };
  }
  const rep = JSON.parse(q.stdout) as { quantized: { nodes: number; skipped: Array<{ node: string; reason: string }> }; accuracy?: { keptInFloat?: Array<{ node: string; opType: string }>; met?: boolean }; warnings: string[] };
  let agree;
  try {
    agree = await agreement(file, out, evalData, m.inputs);
  } catch (err) {
    return { model: m.id, shapes, ops, outcome: `exit 0 but the output does not run: ${(err as Error).message.split('\n')[0].slice(0, 200)}`, keptFloat: '' };
  }
  const signal = agree.filter((a) => !a.noSignal);
  const cosine = signal.length ? Math.min(...signal.map((a) => a.cosine)) : NaN;
  const ok = agree.every((a) => agrees(a));
  const t = await interleaved(file, out, evalData[0], m.inputs, m.heavy ? 8 : 30);
  const w = await weightedOps(out);
  const keptAA = rep.accuracy?.keptInFloat?.length ? `; kept in float by the accuracy search: ${rep.accuracy.keptInFloat.map((k) => `${k.node} (${k.opType})`).join(', ').slice(0, 200)}` : '';
  const skipped = rep.quantized.skipped.length ? `; ${rep.quantized.skipped.length} excluded (${[...new Set(rep.quantized.skipped.map((x) => x.reason))].slice(0, 2).join('; ').slice(0, 120)})` : '';
  const floatWarn = rep.warnings.find((x) => /kept in float|left in float|float/i.test(x) && !/slower/.test(x));
  return {
    model: m.id, shapes, ops, outcome: `${note}${note.startsWith('accuracy-aware search did not finish') ? `first int8 model ${ok ? 'within' : 'outside'} this bench's 0.98` : missed ? `model written for inspection ${ok ? 'within' : 'outside'} this bench's 0.98` : ok ? 'int8 model agrees' : 'EXIT 0 BUT DISAGREES'} (${seconds.toFixed(0)} s)`, speedup: t.speedup, floatMs: t.floatMs, int8Ms: t.quantMs, cosine, agrees: ok,
    keptFloat: `${fmtCounts(w.float)}${keptAA}${skipped}${floatWarn ? `; ${floatWarn.slice(0, 160)}` : ''}`,
  };
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('build first: node scripts/build.mjs');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-bench-corpus-'));
  const rows: Row[] = [];
  try {
    for (const m of ONLY ? CORPUS.filter((c) => ONLY.includes(c.id)) : CORPUS) {
      const t0 = performance.now();
      const r = await one(m, tmp);
      rows.push(r);
      console.log(`${m.id}: ${r.outcome}${r.speedup ? `, ${r.speedup.toFixed(2)}× (${r.floatMs?.toFixed(2)} → ${r.int8Ms?.toFixed(2)} ms), cosine ${r.cosine?.toFixed(4)}` : ''} [${((performance.now() - t0) / 1000).toFixed(1)} s]`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const cpu = os.cpus()[0]?.model?.trim() ?? os.arch();
  const md = [
    `# Model corpus: static int8 at real shapes (${new Date().toISOString()})`,
    '',
    `Machine: ${cpu}, ${os.cpus().length} cores; onnxruntime-node ${(await import('onnxruntime-node')).env.versions?.common ?? ''}. Speedup = float median / int8 median over interleaved runs in one process; cosine = the lowest over the outputs with signal, measured by this bench on held-out inputs at the shapes shown.`,
    '',
    '| model | shapes | ops | static int8 | speedup | float → int8 ms | cosine | still float (weighted ops in the int8 file) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.model}${CORPUS.find((c) => c.id === r.model)?.benchOnly ? ' (bench only: not in CI\'s corpus test)' : ''} | ${r.shapes} | ${r.ops} | ${r.outcome.replace(/\|/g, '/')} | ${r.speedup ? `${r.speedup.toFixed(2)}×` : ''} | ${r.floatMs ? `${r.floatMs.toFixed(2)} → ${r.int8Ms?.toFixed(2)}` : ''} | ${r.cosine !== undefined && Number.isFinite(r.cosine) ? r.cosine.toFixed(4) : ''} | ${r.keptFloat.replace(/\|/g, '/')} |`),
    '',
  ].join('\n');
  await mkdir(path.join(ROOT, 'bench-results'), { recursive: true });
  await writeFile(path.join(ROOT, 'bench-results', 'corpus.md'), md);
  console.log(`\n${md}`);
  const metrics: Metric[] = [];
  for (const r of rows) {
    if (r.speedup) metrics.push(summarize(`${r.model}_static_int8_speedup`, [r.speedup], '×'));
    if (r.cosine !== undefined && Number.isFinite(r.cosine)) metrics.push(summarize(`${r.model}_static_int8_cosine`, [r.cosine], 'cosine', { min: 0.98 }));
  }
  metrics.push(summarize('models_quantized_and_agreeing', [rows.filter((r) => r.agrees).length], `of ${rows.length}`));
  await report('corpus', metrics);
  await writeFile(path.join(ROOT, 'bench-results', 'corpus.rows.json'), `${JSON.stringify(rows, null, 2)}\n`);
  if (rows.some((r) => r.outcome.startsWith('NOT FETCHED'))) {
    console.error(`models that could not be fetched (offline?): ${rows.filter((r) => r.outcome.startsWith('NOT FETCHED')).map((r) => r.model).join(', ')}`);
    process.exit(1);
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
