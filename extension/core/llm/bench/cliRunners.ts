/**
 * The command-line LLM runners on a phone, started as their docs say and parsed with the import parsers:
 * - llama.cpp `llama-bench` (tools/llama-bench, docs/android.md): `cd DIR && LD_LIBRARY_PATH=lib ./bin/llama-bench
 *   -m MODEL -p P -n N -t T -r R -o jsonl`;
 * - onnxruntime-genai `model_benchmark` (benchmark/c/README.md: `model_benchmark -i <model dir>`, on Android with
 *   LD_LIBRARY_PATH at the onnxruntime library; options -l prompt length, -g tokens to generate, -r repetitions as
 *   in benchmark/c/options.cpp and benchmark_e2e.py);
 * - LiteRT-LM `litert_lm_main` (docs/getting-started/build-and-run.md): `--backend=cpu --model_path=M --benchmark
 *   --benchmark_prefill_tokens=P --benchmark_decode_tokens=D --async=false`, one invocation per repetition.
 * The runner comes from a host folder (pushed) or a folder already on the phone (a path under /data/).
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AdbService } from '../../adb/adbService';
import type { CancelSignal } from '../../util/progress';
import { parseLlamaBench } from '../parsers/llamaBench';
import { parseGenaiBenchmark } from '../parsers/genaiBenchmark';
import { parseLitertLm } from '../parsers/litertLm';
import { statOf, type LlmRunRecord } from '../runRecord';
import { LLM_REMOTE_DIR, lastLines, pushFolder, pushIfChanged, runOnPhone, safeName, type PhoneCommand, type RunnerOptions } from './phoneExec';

export type CliRunner = 'llama-bench' | 'genai' | 'litert-lm';

export const RUNNER_FILES: Record<CliRunner, { binary: string; subdir: string; lib: string }> = {
  'llama-bench': { binary: 'bin/llama-bench', subdir: 'llama.cpp', lib: 'lib' },
  genai: { binary: 'model_benchmark', subdir: 'onnxruntime-genai', lib: '.' },
  'litert-lm': { binary: 'litert_lm_main', subdir: 'litert-lm', lib: '.' },
};

export interface CliRunOptions extends RunnerOptions {
  runner: CliRunner;
  pidFile?: string;
  onInvocation?: (e: { repetition: number; startHost: number; endHost: number; hwmBytes?: number }) => void;
  betweenRepetitions?: (repetition: number) => Promise<void>;
}

/** Where the runner lives on the phone: pushed from a host folder, or a phone folder given as is. */
export async function prepareRunner(adb: AdbService, serial: string, runner: CliRunner, runnerPath: string | undefined, signal?: CancelSignal): Promise<string> {
  const f = RUNNER_FILES[runner];
  if (!runnerPath) throw new Error(`the ${runner} runner needs --runner-path: a folder with ${f.binary}${f.lib !== '.' ? ` and ${f.lib}/` : ' and its shared libraries'} built for Android (pushed), or such a folder already on the phone (/data/…)`);
  if (existsSync(runnerPath)) {
    const st = await fs.stat(runnerPath);
    if (!st.isDirectory()) throw new Error(`--runner-path ${runnerPath} must be a folder holding ${f.binary}`);
    if (!existsSync(path.join(runnerPath, f.binary))) throw new Error(`--runner-path ${runnerPath} has no ${f.binary}`);
    const remote = `${LLM_REMOTE_DIR}/${f.subdir}`;
    await pushFolder(adb, serial, runnerPath, remote, signal);
    return remote;
  }
  if (runnerPath.startsWith('/data/') || runnerPath.startsWith('/sdcard/')) {
    const r = await adb.exec(serial, ['ls', `${runnerPath.replace(/\/+$/, '')}/${f.binary}`]);
    if (r.exitCode !== 0) throw new Error(`the phone has no ${runnerPath}/${f.binary}: ${lastLines(r.stdout.toString('utf8') + r.stderr.toString('utf8'))}`);
    return runnerPath.replace(/\/+$/, '');
  }
  throw new Error(`--runner-path ${runnerPath}: no such folder on this machine (a folder already on the phone must start with /data/)`);
}

/** Pushes the model (a file, or a folder for onnxruntime-genai) unless the phone has it; returns its phone path. */
async function pushModel(adb: AdbService, serial: string, model: string, signal?: CancelSignal): Promise<string> {
  const st = await fs.stat(model);
  const remote = `${LLM_REMOTE_DIR}/models/${safeName(model)}`;
  await adb.exec(serial, ['mkdir', '-p', `${LLM_REMOTE_DIR}/models`]);
  if (st.isDirectory()) await pushFolder(adb, serial, model, remote, signal);
  else await pushIfChanged(adb, serial, model, remote, { signal });
  return remote;
}

export function runnerCommand(o: { runner: CliRunner; dir: string; model: string; promptTokens: number; genTokens: number; repetitions: number; threads?: number }): PhoneCommand {
  const f = RUNNER_FILES[o.runner];
  const env = { LD_LIBRARY_PATH: f.lib };
  switch (o.runner) {
    case 'llama-bench':
      return { cwd: o.dir, env, argv: [`./${f.binary}`, '-m', o.model, '-p', String(o.promptTokens), '-n', String(o.genTokens), ...(o.threads ? ['-t', String(o.threads)] : []), '-r', String(o.repetitions), '-o', 'jsonl'] };
    case 'genai':
      return { cwd: o.dir, env, argv: [`./${f.binary}`, '-i', o.model, '-l', String(o.promptTokens), '-g', String(o.genTokens), '-r', String(o.repetitions)] };
    case 'litert-lm':
      return { cwd: o.dir, env, argv: [`./${f.binary}`, '--backend=cpu', `--model_path=${o.model}`, '--benchmark', `--benchmark_prefill_tokens=${o.promptTokens}`, `--benchmark_decode_tokens=${o.genTokens}`, '--async=false'] };
  }
}

/** Runs a command-line runner and returns its record (the parser's, with this run's facts). */
export async function runCliRunner(adb: AdbService, serial: string, o: CliRunOptions): Promise<LlmRunRecord> {
  o.progress?.report({ message: `preparing ${o.runner}` });
  const dir = await prepareRunner(adb, serial, o.runner, o.runnerPath, o.signal);
  o.progress?.report({ message: `pushing ${path.basename(o.model)}` });
  const model = await pushModel(adb, serial, o.model, o.signal);
  // LiteRT-LM has no repetitions option: one invocation per repetition (with cool-down between).
  const invocations = o.runner === 'litert-lm' ? o.repetitions : 1;
  const texts: string[] = [];
  for (let rep = 0; rep < invocations; rep++) {
    o.progress?.report({ done: rep, total: invocations, message: `${o.runner}: P=${o.promptTokens} D=${o.genTokens}${invocations > 1 ? `, repetition ${rep + 1}/${invocations}` : `, ${o.repetitions} repetitions`}` });
    const cmd = runnerCommand({ runner: o.runner, dir, model, promptTokens: o.promptTokens, genTokens: o.genTokens, repetitions: invocations > 1 ? 1 : o.repetitions, threads: o.threads });
    const startHost = Date.now();
    const r = await runOnPhone(adb, serial, cmd, { pidFile: o.pidFile, signal: o.signal });
    o.onInvocation?.({ repetition: rep, startHost, endHost: Date.now(), hwmBytes: r.hwmBytes });
    if (r.exitCode !== 0) throw new Error(`${o.runner} failed (exit ${r.exitCode}): ${lastLines(r.text) || 'no output'}`);
    texts.push(o.runner === 'genai' || o.runner === 'litert-lm' ? r.text : r.stdout.toString('utf8'));
    if (rep < invocations - 1 && o.betweenRepetitions) await o.betweenRepetitions(rep);
  }
  return recordFrom(o, texts);
}

function recordFrom(o: CliRunOptions, texts: string[]): LlmRunRecord {
  const parse = { 'llama-bench': parseLlamaBench, genai: parseGenaiBenchmark, 'litert-lm': parseLitertLm }[o.runner];
  const parsed = texts.map((t) => {
    try {
      return parse(t, { file: path.basename(o.model) });
    } catch (err) {
      throw new Error(`${o.runner} output could not be read: ${(err as Error).message}; it ended: ${lastLines(t)}`);
    }
  });
  const recs = parsed.flatMap((p) => p.records);
  if (!recs.length) throw new Error(`${o.runner} printed no results`);
  const rec = recs[0];
  rec.notes.push(...parsed.flatMap((p) => p.warnings.map((w) => `parser: ${w}`)));
  if (recs.length > 1 && o.runner === 'litert-lm') {
    // One record per invocation: the repetitions' spread.
    const pick = (f: (r: LlmRunRecord) => number | undefined) => recs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
    const pre = pick((r) => r.prefill?.mean);
    const dec = pick((r) => r.decode?.mean);
    const ttft = pick((r) => r.timeToFirstTokenMs?.mean);
    if (pre.length) rec.prefill = statOf(pre);
    if (dec.length) rec.decode = statOf(dec);
    if (ttft.length) rec.timeToFirstTokenMs = statOf(ttft);
    if (dec.length) rec.decodeLatencyMs = { mean: 1000 / rec.decode!.mean };
    rec.notes.push(`${recs.length} invocations of litert_lm_main (it has no repetitions option): mean ± stddev over them`);
  }
  rec.repetitions = o.repetitions;
  rec.promptTokens ??= o.promptTokens;
  rec.genTokens ??= o.genTokens;
  if (o.threads !== undefined && rec.threads === undefined) rec.threads = o.threads;
  return rec;
}
