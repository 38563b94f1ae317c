import { type Command, InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { AdbService } from '../core/adb/adbService';
import { writeFileAtomicNoClobber } from '../core/util/fsAtomic';
import { CancelSource, type Progress } from '../core/util/progress';

function posInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer (got ${v})`);
    return n;
  };
}

function hz(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 4 || n > 10) throw new InvalidArgumentError(`--hz must be between 4 and 10 (got ${v})`);
  return n;
}

/** Progress on stderr: one line per new message (rewritten in place on a terminal). */
function stderrProgress(): { report(p: Progress): void; done(): void } {
  let last = '';
  return {
    report: (p) => {
      const m = p.message ?? '';
      if (!m || m === last) return;
      last = m;
      process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${m}` : `${m}\n`);
    },
    done: () => { if (process.stderr.isTTY && last) process.stderr.write('\r\x1b[K'); },
  };
}

/** The `llm` command group: find it or create it (several modules add subcommands). */
export function llmGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === 'llm') ?? program.command('llm').description('language models on the phone');
}

/** `mobileai llm import` (saved runner output) and `mobileai llm bench` (measured on a phone). */
export function addLlmCommands(program: Command, adb: () => AdbService): void {
  // `llm import FILE`: a saved LLM runner output (llama-bench, model_benchmark, LiteRT-LM) as run records.
  const llm = llmGroup(program);
  llm
    .command('import <file>')
    .description('turn a saved LLM benchmark output into run records: llama-bench (md, csv, json, jsonl), onnxruntime-genai model_benchmark, LiteRT-LM --benchmark')
    .option('--format <format>', 'auto | llama-bench | genai | litert-lm', 'auto')
    .option('--device <label>', 'the device the output came from, when the output does not say')
    .option('--json', 'print the run records as JSON')
    .option('--out <file>', 'also save the run records JSON (never overwrites)')
    .action(async (file: string, o: { format: string; device?: string; json?: boolean; out?: string }) => {
      const { importLlmRun, LLM_IMPORT_FORMATS } = await import('../core/llm/import');
      const { describeLlmRun } = await import('../core/llm/runRecord');
      if (o.format !== 'auto' && !(LLM_IMPORT_FORMATS as readonly string[]).includes(o.format)) throw new InvalidArgumentError(`--format must be one of auto, ${LLM_IMPORT_FORMATS.join(', ')}`);
      const abs = path.resolve(file);
      const result = importLlmRun(await readFile(abs, 'utf8'), { format: o.format as 'auto', file: abs });
      if (o.device) for (const r of result.records) r.device = { ...r.device, label: o.device };
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (o.out) await writeFileAtomicNoClobber(path.resolve(o.out), json);
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(o.json ? json : `${result.records.map(describeLlmRun).join('\n\n')}\n`);
    });

  // `llm bench MODEL --device SERIAL --runner …`: measured on a phone, sampled while it runs.
  llm
    .command('bench <model>')
    .description('benchmark an LLM on a phone: prefill/decode rates, time to first token, memory, energy per token and temperatures (the phone sampled while it runs)')
    .requiredOption('--device <serial>', 'the phone (adb serial)')
    .option('--runner <runner>', 'onnx (our decoder via onnxruntime_perf_test) | llama-bench | genai | litert-lm', 'onnx')
    .option('--runner-path <path>', 'onnx: onnxruntime_perf_test built for Android; others: a folder with the runner (bin/, lib/) to push, or a /data/… folder on the phone')
    .option('-p, --prompt-tokens <n>', 'P: prompt tokens (prefill)', posInt('-p'), 32)
    .option('-n, --gen-tokens <n>', 'D: generated tokens (decode)', posInt('-n'), 32)
    .option('-r, --repetitions <n>', 'repetitions', posInt('-r'), 3)
    .option('-t, --threads <n>', 'threads', posInt('-t'))
    .option('--hz <n>', 'sampling rate on the phone, 4-10 Hz', hz, 5)
    .option('--unplug', 'dumpsys battery unplug for the run (always reset after): the gauge then shows discharge on phones that honour it')
    .option('--cooldown-max <seconds>', 'longest wait between repetitions for the thermal status to return to its start', posInt('--cooldown-max'), 60)
    .option('--runs-dir <dir>', 'where runs are kept', '.mobileai/llm-runs')
    .option('--label <text>', 'a label for the run')
    .option('--json', 'print the run record as JSON')
    .option('--out <file>', 'also save the run record JSON (never overwrites)')
    .action(async (model: string, o: { device: string; runner: string; runnerPath?: string; promptTokens: number; genTokens: number; repetitions: number; threads?: number; hz: number; unplug?: boolean; cooldownMax: number; runsDir: string; label?: string; json?: boolean; out?: string }) => {
      const { runLlmBench, LLM_BENCH_RUNNERS } = await import('../core/llm/bench/index');
      const { describeLlmRun } = await import('../core/llm/runRecord');
      if (!(LLM_BENCH_RUNNERS as readonly string[]).includes(o.runner)) throw new InvalidArgumentError(`--runner must be one of ${LLM_BENCH_RUNNERS.join(', ')}`);
      const cancel = new CancelSource();
      const onSigint = () => { process.stderr.write('\nstopping the benchmark (the record is kept)…\n'); cancel.cancel(); };
      process.once('SIGINT', onSigint);
      const progress = stderrProgress();
      const runsRoot = path.resolve(o.runsDir);
      try {
        const rec = await runLlmBench({
          adb: adb(), serial: o.device, runner: o.runner as 'onnx', model: path.resolve(model), runnerPath: o.runnerPath ? path.resolve(o.runnerPath) : undefined,
          promptTokens: o.promptTokens, genTokens: o.genTokens, repetitions: o.repetitions, threads: o.threads, sampleHz: o.hz, unplug: !!o.unplug,
          cooldownMaxMs: o.cooldownMax * 1000, runsRoot, label: o.label, signal: cancel.signal, progress,
        });
        progress.done();
        const json = `${JSON.stringify(rec, null, 2)}\n`;
        if (o.out) await writeFileAtomicNoClobber(path.resolve(o.out), json);
        process.stdout.write(o.json ? json : `${describeLlmRun(rec)}\nrun: ${path.join(runsRoot, rec.id ?? '')}\n`);
      } finally {
        progress.done();
        process.off('SIGINT', onSigint);
      }
    });
}
