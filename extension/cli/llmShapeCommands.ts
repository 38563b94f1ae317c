import { type Command, InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { AdbService } from '../core/adb/adbService';
import { CancelSource, type Progress } from '../core/util/progress';
import { llmGroup } from './llmCommands';

/** A commander parser for a number flag: an integer ≥ 1, or any positive number. */
const numberOf = (flag: string, kind: 'count' | 'positive' = 'count') => (v: string): number => {
  const n = Number(v);
  const ok = kind === 'count' ? Number.isInteger(n) && n >= 1 : Number.isFinite(n) && n > 0;
  if (!ok) throw new InvalidArgumentError(`${flag} must be a ${kind === 'count' ? 'positive integer' : 'positive number'} (got ${v})`);
  return n;
};
const posInt = (flag: string) => numberOf(flag);

const tty = { report: (p: Progress) => { if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${p.message ?? ''}`); } };
const clearTty = () => { if (process.stderr.isTTY) process.stderr.write('\r\x1b[K'); };

function fmtParams(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n);
}

function fmtBytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** `mobileai llm build-decoder` and `mobileai llm explore`: decoder shapes built and timed on the host or a phone. */
export function addLlmShapeCommands(program: Command, adb: () => AdbService): void {
  const llm = llmGroup(program);
  llm
    .command('build-decoder')
    .description('write a random-weight decoder ONNX of a given shape (Llama-style: RMSNorm, rotary, GQA, gated FFN) with a KV cache, for timing')
    .requiredOption('--layers <n>', 'decoder layers', posInt('--layers'))
    .requiredOption('--hidden <n>', 'hidden size', posInt('--hidden'))
    .requiredOption('--heads <n>', 'attention heads', posInt('--heads'))
    .option('--kv-heads <n>', 'key/value heads (GQA; default: heads)', posInt('--kv-heads'))
    .option('--head-dim <n>', 'head size (default hidden / heads)', posInt('--head-dim'))
    .option('--ffn <n>', 'FFN inner size', posInt('--ffn'))
    .option('--ffn-ratio <r>', 'FFN inner size as a multiple of hidden (default 8/3 gated, 4 plain)', numberOf('--ffn-ratio', 'positive'))
    .option('--activation <a>', 'silu | gelu | relu', 'silu')
    .option('--vocab <n>', 'vocabulary size', posInt('--vocab'), 32000)
    .option('--context <n>', 'longest context (rotary table)', posInt('--context'), 2048)
    .option('--untied', 'separate LM head (default: tied to the embedding)')
    .option('--weights <w>', 'fp32 | int8 | int4', 'fp32')
    .option('--norm <n>', 'rms | layer', 'rms')
    .option('--positions <p>', 'rope | learned', 'rope')
    .option('--mlp <m>', 'gated | plain', 'gated')
    .option('--seed <n>', 'seed of the random weights', (v) => Number(v), 0)
    .option('--config <file>', 'also write the shape as a LlamaConfig JSON (never overwrites)')
    .option('--json', 'print the result as JSON')
    .requiredOption('--out <file>', 'the ONNX file to write (never overwrites)')
    .action(async (o: { layers: number; hidden: number; heads: number; kvHeads?: number; headDim?: number; ffn?: number; ffnRatio?: number; activation: string; vocab: number; context: number; untied?: boolean; weights: string; norm: string; positions: string; mlp: string; seed: number; config?: string; json?: boolean; out: string }) => {
      const { buildDecoder, exportShapeConfig } = await import('../core/llm/shapes');
      const shape = {
        layers: o.layers, hidden: o.hidden, heads: o.heads, kvHeads: o.kvHeads, headDim: o.headDim, ffn: o.ffn, ffnRatio: o.ffnRatio,
        activation: o.activation as 'silu', vocab: o.vocab, context: o.context, tiedEmbeddings: !o.untied, weights: o.weights as 'fp32',
        norm: o.norm as 'rms', positions: o.positions as 'rope', mlp: o.mlp as 'gated', seed: o.seed,
      };
      for (const k of Object.keys(shape) as Array<keyof typeof shape>) if (shape[k] === undefined) delete shape[k];
      const r = await buildDecoder(shape, o.out);
      if (o.config) await exportShapeConfig(r.shape, path.resolve(o.config));
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const { describeShape } = await import('../core/llm/shapes');
        process.stdout.write(`${r.file}: ${describeShape(r.shape)}\n  ${r.params.total.toLocaleString('en-US')} parameters (${fmtParams(r.params.nonEmbedding)} non-embedding), ${fmtBytes(r.sizeBytes)}\n${r.notes.map((n) => `  ${n}\n`).join('')}${o.config ? `  config: ${path.resolve(o.config)}\n` : ''}`);
      }
    });

  llm
    .command('explore')
    .description('build every decoder shape of a space with random weights, time prefill and decode on the host or a phone (cached per device), and show the Pareto fronts')
    .requiredOption('--space <file|json>', 'the space: a JSON file, or inline JSON such as \'{"layers":[4,8],"hidden":[256,512],"heads":8,"vocab":32000}\'')
    .option('--device <host|serial>', 'where to time the shapes', 'host')
    .option('--runner <path>', 'onnxruntime_perf_test built for Android (real phones; the virtual phone has its own)')
    .option('-p, --prompt-tokens <n>', 'P: prompt tokens of the prefill', posInt('-p'), 32)
    .option('-n, --gen-tokens <n>', 'D: decode steps', posInt('-n'), 32)
    .option('-r, --repetitions <n>', 'measured repetitions per shape (after one warm-up)', posInt('-r'), 2)
    .option('--threads <n>', 'onnxruntime threads on the host', posInt('--threads'))
    .option('--cache <dir>', 'the cache folder', '.mobileai/llm-shapes')
    .option('--refresh', 'measure again even what is cached')
    .option('--json', 'print the results and fronts as JSON')
    .option('--export-config <file>', 'write the picked shape as a LlamaConfig JSON (never overwrites); with --pick')
    .option('--pick <n>', 'the shape to export: its row number in the printed table (1 = first)', posInt('--pick'))
    .action(async (o: { space: string; device: string; runner?: string; promptTokens: number; genTokens: number; repetitions: number; threads?: number; cache: string; refresh?: boolean; json?: boolean; exportConfig?: string; pick?: number }) => {
      const { exploreShapes, exportShapeConfig, parseSpace } = await import('../core/llm/shapes');
      if (o.exportConfig && o.pick === undefined) throw new InvalidArgumentError('--export-config needs --pick N (the row of the shape to export)');
      const text = o.space.trim().startsWith('{') ? o.space : await readFile(path.resolve(o.space), 'utf8').catch(() => { throw new InvalidArgumentError(`--space ${o.space}: no such file (give a JSON file or inline JSON)`); });
      const space = parseSpace(text, o.space.trim().startsWith('{') ? '--space' : o.space);
      const target = o.device === 'host' ? { kind: 'host' as const, threads: o.threads } : { kind: 'phone' as const, adb: adb(), serial: o.device, runnerPath: o.runner && path.resolve(o.runner) };
      const cancel = new CancelSource();
      const onSigint = () => { process.stderr.write('\ncancelling…\n'); cancel.cancel(); };
      process.once('SIGINT', onSigint);
      let res;
      try {
        res = await exploreShapes({ space, target, promptTokens: o.promptTokens, genTokens: o.genTokens, repetitions: o.repetitions, cacheRoot: path.resolve(o.cache), refresh: o.refresh, signal: cancel.signal, progress: tty });
      } finally {
        process.off('SIGINT', onSigint);
        clearTty();
      }
      let exported: string | undefined;
      if (o.exportConfig) {
        const chosen = res.results[(o.pick as number) - 1];
        if (!chosen) throw new InvalidArgumentError(`--pick ${o.pick}: the exploration has ${res.results.length} shape${res.results.length === 1 ? '' : 's'}`);
        exported = path.resolve(o.exportConfig);
        await exportShapeConfig(chosen.shape, exported);
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ schema: 'mobileai.llm-explore/1', ...res, exportedConfig: exported }, null, 2)}\n`);
      } else {
        const onDecode = new Set(res.front.decode);
        const onTtft = new Set(res.front.ttft);
        const lines = [`${res.results.length} shapes on ${res.device.label}: ${res.measured} measured now, ${res.results.length - res.measured} from the cache (${res.cacheFile}); prefill ${o.promptTokens}, decode ${o.genTokens}`];
        lines.push(`${'#'.padStart(3)}  ${'shape'.padEnd(64)} ${'params'.padStart(9)} ${'size'.padStart(10)} ${'prefill t/s'.padStart(12)} ${'decode t/s'.padStart(11)} ${'TTFT ms'.padStart(9)}  front`);
        res.results.forEach((r, i) => {
          const front = [onDecode.has(r.key) ? 'decode' : '', onTtft.has(r.key) ? 'ttft' : ''].filter(Boolean).join(',');
          lines.push(`${String(i + 1).padStart(3)}  ${r.description.slice(0, 64).padEnd(64)} ${fmtParams(r.params).padStart(9)} ${fmtBytes(r.sizeBytes).padStart(10)} ${r.prefillTokensPerSecond.toFixed(1).padStart(12)} ${r.decodeTokensPerSecond.toFixed(1).padStart(11)} ${r.timeToFirstTokenMs.toFixed(1).padStart(9)}  ${front}${r.cached ? ' (cached)' : ''}`);
        });
        for (const rj of res.rejected) lines.push(`skipped ${rj.count} combination${rj.count === 1 ? '' : 's'}: ${rj.reason}`);
        for (const f of res.failures) lines.push(`failed ${f.key}: ${f.error}`);
        if (res.cancelled) lines.push('cancelled: the shapes measured so far are cached');
        if (exported) lines.push(`config of #${o.pick}: ${exported}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (res.failures.length && !res.results.length) process.exitCode = 1;
    });
}
