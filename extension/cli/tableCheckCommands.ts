import { type Command, InvalidArgumentError } from 'commander';
import * as path from 'node:path';
import type { AdbService } from '../core/adb/adbService';
import { CancelSource, type Progress } from '../core/util/progress';
import type { CheckReport } from '../core/latency/check';

const posInt = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer (got ${v})`);
  return n;
};

/** The text `mobileai table check` prints: the error distribution and the worst networks. */
export function describeCheck(r: CheckReport): string {
  const s = r.summary;
  const pct = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`;
  const worst = [...r.networks].sort((a, b) => Math.abs(b.errorPercent) - Math.abs(a.errorPercent)).slice(0, 3);
  return [
    `${r.table.predictor} table (${r.table.device}${r.table.threads ? `, ${r.table.threads} thread${r.table.threads > 1 ? 's' : ''}` : ''}) against ${s.count} random ${r.space} networks measured on ${r.device.label}`,
    `  measured: median of ${r.measurement.runs} interleaved runs each (${r.measurement.clock === 'cpu' ? 'CPU time of the run, one thread' : 'wall time'}, ${r.measurement.runner})`,
    `  error (predicted − measured): median ${pct(s.medianErrorPercent)}, median |error| ${s.medianAbsErrorPercent.toFixed(1)} %, p90 |error| ${s.p90AbsErrorPercent.toFixed(1)} %, max ${s.maxAbsErrorPercent.toFixed(1)} %`,
    `  within ±10 %: ${(s.within10Percent * 100).toFixed(0)} % of networks`,
    `  worst: ${worst.map((n) => `${n.predictedMs.toFixed(2)} ms predicted vs ${n.measuredMs.toFixed(2)} ms (${pct(n.errorPercent)})`).join('; ')}`,
  ].join('\n');
}

/** `mobileai table check`: predicted against measured latency of random networks exported from a table's space. */
export function addTableCheckCommands(program: Command, adb: () => AdbService): void {
  const table = program.commands.find((c) => c.name() === 'table') ?? program.command('table').description('latency tables');
  table
    .command('check')
    .description('export random networks of the table\'s space, measure them, and print how far the table\'s predictions are off')
    .requiredOption('--table <file-or-dir>', 'latency table(s): JSON (block or kernel tables), Once-for-All YAML, CSV, or a folder of them')
    .option('--networks <n>', 'random networks to check', posInt('--networks'), 50)
    .option('--device <serial|host>', 'where to measure', 'host')
    .option('--space <space>', 'ofa | fbnet | a space file (default: read from the table\'s keys)')
    .option('--runs <n>', 'interleaved runs per network', posInt('--runs'), 15)
    .option('--seed <n>', 'seed of the random networks', (v) => Number(v), 7)
    .option('--ort-runner <path>', 'onnxruntime_perf_test built for Android (real phones)')
    .option('--against <file-or-dir>', 'another table of the same space (repeatable), checked against the same measurements: the comparison has no noise between sessions', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'print the report as JSON (with --against: an array of reports)')
    .option('--out <file>', 'write the report here (default: beside the table, <table>.check.json; never overwrites)')
    .action(async (o: { table: string; against: string[]; networks: number; device: string; space?: string; runs: number; seed: number; ortRunner?: string; json?: boolean; out?: string }) => {
      if (o.space && !['ofa', 'ofa-mbv3', 'fbnet'].includes(o.space)) o.space = path.resolve(o.space);
      if (!Number.isInteger(o.seed)) throw new InvalidArgumentError(`--seed must be an integer (got ${o.seed})`);
      const { checkTables, writeCheckReport } = await import('../core/latency/check');
      const cancel = new CancelSource();
      const onSigint = () => cancel.cancel();
      process.once('SIGINT', onSigint);
      try {
        const target = o.device === 'host' ? { kind: 'host' as const } : { kind: 'phone' as const, adb: adb(), serial: o.device, runner: o.ortRunner && path.resolve(o.ortRunner) };
        const reports = await checkTables([o.table, ...o.against].map((f) => path.resolve(f)), target, {
          networks: o.networks, space: o.space, runs: o.runs, seed: o.seed, signal: cancel.signal,
          progress: { report: (p: Progress) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${p.message ?? ''}`); } },
        });
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        const files: string[] = [];
        for (const [k, r] of reports.entries()) files.push(await writeCheckReport(r, k === 0 && o.out ? path.resolve(o.out) : undefined));
        if (o.json) {
          process.stdout.write(`${JSON.stringify(reports.length > 1 ? reports : reports[0], null, 2)}\n`);
          for (const f of files) process.stderr.write(`report: ${f}\n`);
        } else {
          process.stdout.write(reports.map((r, k) => `${describeCheck(r)}\n  report: ${files[k]}`).join('\n'));
          if (reports.length > 1) process.stdout.write(`\n  the same ${reports[0].summary.count} networks, measured once for all ${reports.length} tables: median |error| ${reports.map((r) => `${r.table.predictor} ${r.summary.medianAbsErrorPercent.toFixed(1)} %`).join(' vs ')}`);
          process.stdout.write('\n');
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
