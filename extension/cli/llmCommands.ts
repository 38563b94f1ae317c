import { type Command, InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { AdbService } from '../core/adb/adbService';
import { writeFileAtomicNoClobber } from '../core/util/fsAtomic';

/** The `llm` command group: find it or create it (several modules add subcommands). */
export function llmGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === 'llm') ?? program.command('llm').description('language models on the phone');
}

/** `mobileai llm import` (saved runner output) and `mobileai llm bench` (measured on a phone). */
export function addLlmCommands(program: Command, adb: () => AdbService): void {
  void adb;
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

}
