import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { profileOnHost } from '../profile/hostProfiler';
import { OPT_LEVELS, PERF_TEST_OPT, loadOrt, type OptLevel } from '../profile/ort';
import { Sandbox } from './sandbox';

interface IO {
  out(s: string): void;
  err(s: string): void;
}

const USAGE = 'usage: onnxruntime_perf_test [-m times] [-r N] [-p profile_prefix] [-o 0|1|2|99] [-x threads] [-f dim:value]... [-e cpu] [-I] model_path [result_file]\n';

/**
 * The virtual phone's onnxruntime_perf_test: the same command line and the same ORT JSON profile as the
 * Android build, run by onnxruntime-node on the host CPU (and it says so).
 */
export async function perfTestBuiltin(argv: string[], io: IO, fsb: Sandbox, cwd: string): Promise<number> {
  let runs = 1000;
  let prefix: string | undefined;
  let level: OptLevel = 'all';
  let threads: number | undefined;
  const dims: Record<string, number> = {};
  const positional: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '-m') { const m = val(); if (m !== 'times') { io.err('the virtual phone runs -m times only\n'); return 1; } }
      else if (a === '-r') runs = Number(val());
      else if (a === '-p') prefix = val();
      else if (a === '-o') { const o = Number(val()); level = OPT_LEVELS.find((l) => PERF_TEST_OPT[l] === o) ?? 'all'; }
      else if (a === '-x') threads = Number(val());
      else if (a === '-f') { const [k, v] = val().split(':'); dims[k] = Number(v); }
      else if (a === '-e') { const e = val(); if (e !== 'cpu') { io.err(`execution provider ${e} is not available on the virtual phone (host CPU only)\n`); return 1; } }
      else if (a === '-I' || a === '-s' || a === '-v') { /* random inputs are what the virtual phone does; stats and verbose are implied */ }
      else if (a === '-h' || a === '--help') { io.out(USAGE); return 0; }
      else if (a.startsWith('-')) { io.err(`unknown option ${a}\n${USAGE}`); return 1; }
      else positional.push(a);
    } catch (err) {
      io.err(`${(err as Error).message}\n${USAGE}`);
      return 1;
    }
  }
  if (!positional[0] || !Number.isInteger(runs) || runs < 1) { io.err(USAGE); return 1; }
  const model = await fsb.hostPath(positional[0], cwd);
  if (!(await fs.stat(model).catch(() => undefined))?.isFile()) { io.err(`model file ${positional[0]} does not exist\n`); return 1; }
  const t0 = performance.now();
  let rawTarget: string | undefined;
  let rawDevicePath: string | undefined;
  if (prefix) {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
    rawDevicePath = Sandbox.normalize(`${prefix}_${stamp}.json`, cwd);
    rawTarget = await fsb.hostPath(rawDevicePath);
    await fs.mkdir(path.dirname(rawTarget), { recursive: true });
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vphone-perf-'));
  try {
    const { result } = await profileOnHost(model, { runs, warmup: 1, optimization: level, dims, threads, profileDir: dir, keepRawProfileAs: rawTarget, deviceLabel: 'virtual phone (host CPU)' });
    const l = result.latencyMs;
    const wallS = (performance.now() - t0) / 1000;
    io.out([
      `onnxruntime-node version: ${loadOrt().env.versions?.node ?? '?'} (virtual phone: onnxruntime-node on the host CPU)`,
      `Setting intra_op_num_threads to ${threads ?? 0}`,
      `Total inference requests: ${runs}`,
      `Average inference time cost: ${l.mean.toFixed(4)} ms`,
      `Total inference run time: ${wallS.toFixed(4)} s`,
      `Number of inferences per second: ${(1000 / l.mean).toFixed(2)}`,
      `Peak working set size: ${result.peakRssBytes ?? 0} bytes`,
      `min latency: ${(l.min / 1000).toFixed(6)} s`,
      `max latency: ${(l.max / 1000).toFixed(6)} s`,
      `P50 Latency: ${(l.p50 / 1000).toFixed(6)} s`,
      `P90 Latency: ${(l.p90 / 1000).toFixed(6)} s`,
      `P99 Latency: ${(l.p99 / 1000).toFixed(6)} s`,
      ...(rawDevicePath ? [`profile written to ${rawDevicePath}`] : []),
      '',
    ].join('\n'));
    return 0;
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return 1;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
