/**
 * Latency prediction on this machine: kernel tables against block tables, each checked as `mobileai table
 * check` checks them — 50 held-out random networks per space (seed 7; the builds use other networks),
 * predicted from the table as a search predicts and measured whole with onnxruntime-node (one intra-op
 * thread, interleaved runs, median). Once-for-All: the kernel table over all five resolutions, and both
 * kinds at resolution 160 on the same networks; FBNet (224): both kinds. Also the build times (target for
 * a kernel table: ≤ 2 minutes). Writes bench-results/latency.json.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildKernelTables } from '../extension/core/latency/build';
import { checkTable, type CheckReport } from '../extension/core/latency/check';
import { buildSpaceTable } from '../extension/core/search/run';
import { saveTable, type LatencyTable } from '../extension/core/search/table';
import { type Metric, report, summarize } from './report';

async function saveAll(dir: string, tables: LatencyTable[]): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  for (const t of tables) await saveTable(t, path.join(dir, `table-${t.resolution ?? 'any'}.json`));
  return dir;
}

async function main(): Promise<void> {
  const metrics: Metric[] = [];
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-latency-bench-'));
  const errorMetrics = (name: string, r: CheckReport) => {
    metrics.push(summarize(`${name}_error_percent`, r.networks.map((n) => n.errorPercent), '%'));
    metrics.push(summarize(`${name}_abs_error_percent`, r.networks.map((n) => Math.abs(n.errorPercent)), '%'));
    metrics.push(summarize(`${name}_within_10_percent`, [r.summary.within10Percent * 100], '% of networks', name.includes('kernel') ? { min: 90 } : undefined));
    // The same networks against their wall time (median and least of the runs), for a busy machine's view.
    metrics.push(summarize(`${name}_within_10_percent_of_wall_median`, [r.networks.filter((n) => n.wallMedianMs && Math.abs(n.predictedMs / n.wallMedianMs - 1) <= 0.1).length / r.networks.length * 100], '% of networks'));
    metrics.push(summarize(`${name}_within_10_percent_of_wall_min`, [r.networks.filter((n) => n.wallMinMs && Math.abs(n.predictedMs / n.wallMinMs - 1) <= 0.1).length / r.networks.length * 100], '% of networks'));
    console.log(`${name}: median ${r.summary.medianErrorPercent.toFixed(1)} %, p90 |e| ${r.summary.p90AbsErrorPercent.toFixed(1)} %, within ±10 % ${(r.summary.within10Percent * 100).toFixed(0)} %`);
  };
  try {
    // Once-for-All, kernel table over all resolutions.
    let t0 = performance.now();
    const ofaKernels = await buildKernelTables('ofa-mbv3', undefined);
    metrics.push(summarize('ofa_kernel_table_build_s', [(performance.now() - t0) / 1000], 's', { max: 120 }));
    const ofaKernelDir = await saveAll(path.join(tmp, 'ofa-kernels'), ofaKernels);
    errorMetrics('ofa_kernel_all_resolutions', await checkTable(ofaKernelDir, { kind: 'host' }, { networks: 50 }));

    // Once-for-All at 160: a block table as `table build --predictor blocks` makes it (each block timed alone,
    // onnxruntime's default threads, scaled by whole networks; checked with the same threads, wall time) vs the
    // kernel table (one thread, checked with one thread).
    t0 = performance.now();
    const ofaBlocks160 = await buildSpaceTable('ofa-mbv3', 160, { kind: 'host' }, { runs: 10 });
    metrics.push(summarize('ofa_block_table_160_build_s', [(performance.now() - t0) / 1000], 's'));
    const blocks160 = await saveAll(path.join(tmp, 'ofa-blocks-160'), ofaBlocks160);
    const kernels160 = await saveAll(path.join(tmp, 'ofa-kernels-160'), ofaKernels.filter((t) => t.resolution === 160));
    errorMetrics('ofa_block_160', await checkTable(blocks160, { kind: 'host' }, { networks: 50 }));
    errorMetrics('ofa_kernel_160', await checkTable(kernels160, { kind: 'host' }, { networks: 50 }));

    // FBNet (224): kernel table vs block table.
    t0 = performance.now();
    const fbKernels = await buildKernelTables('fbnet', undefined);
    metrics.push(summarize('fbnet_kernel_table_build_s', [(performance.now() - t0) / 1000], 's', { max: 120 }));
    errorMetrics('fbnet_kernel', await checkTable(await saveAll(path.join(tmp, 'fbnet-kernels'), fbKernels), { kind: 'host' }, { networks: 50 }));
    t0 = performance.now();
    const fbBlocks = await buildSpaceTable('fbnet', undefined, { kind: 'host' }, { runs: 10 });
    metrics.push(summarize('fbnet_block_table_build_s', [(performance.now() - t0) / 1000], 's'));
    errorMetrics('fbnet_block', await checkTable(await saveAll(path.join(tmp, 'fbnet-blocks'), fbBlocks), { kind: 'host' }, { networks: 50 }));
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  await report('latency', metrics);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
