import { type Command, InvalidArgumentError } from 'commander';
import * as path from 'node:path';
import { formatBytes } from '../core/util/format';
import { CancelSource } from '../core/util/progress';
import type { MultiSearchReport, SearchReport, SearchTarget } from '../core/search/run';
import type { Algorithm } from '../core/search/search';
import { formatArch } from '../core/search/describe';

const ALGORITHMS = ['evolution', 'front', 'nsga2', 'random', 'evolution-classic'];
const BUILT_IN = ['ofa-mbv3', 'ofa', 'fbnet'];

const intOf = (flag: string, min: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be an integer ≥ ${min} (got ${v})`);
  return n;
};
const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `--table PATH` or `--table NAME=PATH`; a target without a name is named after its file or folder. */
export function parseTargets(specs: string[], budgets: number[]): SearchTarget[] {
  if (budgets.length !== 1 && budgets.length !== specs.length) throw new InvalidArgumentError(`--budget-ms: give one budget, or one per --table (${specs.length}), comma-separated`);
  const targets = specs.map((spec, i) => {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(spec);
    const file = path.resolve(m ? m[2] : spec);
    const name = m ? m[1] : path.basename(file).replace(/\.(json|ya?ml|csv)$/i, '');
    return { name, table: file, budgetMs: budgets[budgets.length === 1 ? 0 : i] };
  });
  const names = targets.map((t) => t.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new InvalidArgumentError(`two tables are both named "${dup}": name them, e.g. --table note10=${specs[names.indexOf(dup)]}`);
  return targets;
}

/** The report as text: the run, the best architecture per stage, how far its latency can be trusted, the front. */
export function describeSearch(report: SearchReport, indent = ''): string[] {
  const b = report.best;
  return [
    `${indent}${report.algorithm} over ${report.space}, ${report.evaluations} evaluations, seed ${report.seed}, ${report.wallSeconds.toFixed(2)} s; table: ${report.table.device} (${report.table.source})`,
    `${indent}score: ${report.score.label}${report.score.kind === 'proxy' ? ' — a proxy, not an accuracy' : ''}`,
    ...(b ? [`${indent}best under ${report.budgetMs} ms: ${b.score.toFixed(4)} at ${b.latencyMs.toFixed(3)} ms — ${b.id}`, ...formatArch(b.view, `${indent}  `)] : [`${indent}no architecture found under ${report.budgetMs} ms`]),
    `${indent}latency: ${report.trust?.text ?? 'unchecked'}`,
    `${indent}front: ${report.front.length} points, ${report.front[0]?.latencyMs.toFixed(2)}–${report.front[report.front.length - 1]?.latencyMs.toFixed(2)} ms`,
  ];
}

/** Several phones: each one's best, then every best costed on every phone. */
export function describeMulti(r: MultiSearchReport): string[] {
  const c = r.comparison;
  const rows = [['', 'top-1', ...c.names.map((n) => `on ${n}`)]];
  c.names.forEach((n, i) => rows.push([`${n}'s best`, c.scores[i]?.toFixed(4) ?? '—', ...c.latencyMs[i].map((l, j) => (l === null ? '—' : `${l.toFixed(2)} ms${c.fits[i][j] ? '' : ' (over)'}`))]));
  const w = rows[0].map((_, k) => Math.max(...rows.map((x) => x[k].length)));
  return [
    `${r.algorithm} over ${r.space} for ${r.targets.length} targets, ${r.evaluations} evaluations each, seed ${r.seed}, ${r.wallSeconds.toFixed(2)} s`,
    ...r.targets.flatMap((t) => [``, `${t.name} (budget ${t.report.budgetMs} ms):`, ...describeSearch(t.report, '  ')]),
    '',
    'each best on every target (latency from each table; "over": beyond that target\'s budget):',
    ...rows.map((x) => `  ${x.map((v, k) => v.padEnd(w[k])).join('  ').trimEnd()}`),
  ];
}

export function addSearchCommands(program: Command): void {
  program
    .command('search')
    .description('hardware-aware architecture search over a latency table (or several: one search per phone, compared)')
    .requiredOption('--table <file-or-dir...>', 'latency table(s): JSON, Once-for-All YAML, CSV, or a folder of them; repeat (or NAME=PATH) to search for several phones', collect)
    .requiredOption('--budget-ms <ms>', 'latency budget; with several tables, one for all or one per table (comma-separated)')
    .option('--space <space>', 'ofa-mbv3 | fbnet | a space file (mobileai.space/1 JSON)', 'ofa-mbv3')
    .option('--predictor <file>', 'accuracy estimator: Once-for-All predictor weights (JSON), a JSON table of accuracies, an ONNX predictor, or "naswot" (a zero-cost proxy)')
    .option('--algorithm <a>', 'evolution (best under the budget) | front (the latency-accuracy front) | nsga2 | random | evolution-classic (the Once-for-All tutorial\'s)', 'evolution')
    .option('--evaluations <n>', 'candidate evaluations (architectures scored by the estimator)', intOf('--evaluations', 1), 5000)
    .option('--seed <n>', 'random seed (same seed, same result)', intOf('--seed', 0), 0)
    .option('--soft', "MnasNet's soft latency constraint instead of rejecting over-budget candidates")
    .option('--blocks <list>', 'layered spaces only: the candidate blocks allowed, comma-separated (e.g. k3_e3,k5_e6,skip)')
    .option('--export <file.onnx>', 'write the best architecture as a runnable ONNX model (random weights) and check its host latency')
    .option('--weights <file.onnx>', 'with --export: take weights by initializer name from this model instead of random ones')
    .option('--json', 'print JSON')
    .action(async (o: { table: string[]; budgetMs: string; space: string; predictor?: string; algorithm: string; evaluations: number; seed: number; soft?: boolean; blocks?: string; export?: string; weights?: string; json?: boolean }) => {
      const budgets = String(o.budgetMs).split(',').map((v) => Number(v.trim()));
      if (!budgets.length || budgets.some((b) => !Number.isFinite(b) || b <= 0)) throw new InvalidArgumentError('--budget-ms must be a positive number (or one per --table, comma-separated)');
      if (!ALGORITHMS.includes(o.algorithm)) throw new InvalidArgumentError(`--algorithm must be one of ${ALGORITHMS.join(', ')}`);
      const targets = parseTargets(o.table, budgets);
      const space = BUILT_IN.includes(o.space) ? o.space : path.resolve(o.space);
      const common = {
        space, predictor: o.predictor === 'naswot' ? 'naswot' : o.predictor && path.resolve(o.predictor), algorithm: o.algorithm as Algorithm, evaluations: o.evaluations, seed: o.seed, soft: o.soft,
        blocks: o.blocks?.split(',').map((b) => b.trim()).filter(Boolean),
      };
      const { runSearch, runMultiSearch, exportArchitecture } = await import('../core/search/run');
      const cancel = new CancelSource();
      const onSigint = () => { process.stderr.write('\ncancelling…\n'); cancel.cancel(); };
      process.once('SIGINT', onSigint);
      const progress = (prefix: string, p: { evaluations: number; best?: { score: number; latencyMs: number } }) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${prefix}${p.evaluations} evaluated${p.best ? `, best ${p.best.score.toFixed(4)} at ${p.best.latencyMs.toFixed(2)} ms` : ''}`); };
      try {
        if (targets.length > 1) {
          if (o.export) throw new InvalidArgumentError('--export takes one table: search each phone alone to export its best');
          const multi = await runMultiSearch({ ...common, budgetMs: budgets[0], targets, signal: cancel.signal, onProgress: (i, p) => progress(`${targets[i].name}: `, p) });
          if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
          process.stdout.write(o.json ? `${JSON.stringify(multi, null, 2)}\n` : `${describeMulti(multi).join('\n')}\n`);
          return;
        }
        const report = await runSearch({ ...common, table: targets[0].table, budgetMs: budgets[0], signal: cancel.signal, onProgress: (p) => progress('', p) });
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        let exported;
        if (o.export && report.best) exported = await exportArchitecture(BUILT_IN.includes(o.space) ? report.space : space, report.best.arch, path.resolve(o.export), { weightsFile: o.weights && path.resolve(o.weights), table: report.table, predictedMs: report.best.latencyMs });
        if (o.json) process.stdout.write(`${JSON.stringify(exported ? { ...report, export: exported } : report, null, 2)}\n`);
        else {
          process.stdout.write([
            ...describeSearch(report),
            ...(exported ? [
              `exported ${exported.file} (${formatBytes(exported.bytes)}): host latency predicted ${exported.predictedHostMs.toFixed(3)} ms, measured ${exported.measuredHostMs.toFixed(3)} ms, error ${exported.errorPercent >= 0 ? '+' : ''}${exported.errorPercent.toFixed(1)}%`,
              `  (${exported.basis})`,
              ...(exported.phone ? [`  on ${exported.phone.device} the table predicts ${exported.phone.predictedMs.toFixed(3)} ms: \`mobileai table check --table … --device SERIAL\` measures it there`] : []),
            ] : []),
          ].join('\n') + '\n');
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
