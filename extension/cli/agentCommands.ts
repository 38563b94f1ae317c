import type { Command } from 'commander';
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import type { AdbService } from '../core/adb/adbService';
import { writeFileAtomicNoClobber } from '../core/util/fsAtomic';
import { CancelSource } from '../core/util/progress';
import type { UserQuestion } from '../core/agent/run';

interface EndpointFlags {
  baseUrl: string;
  model: string;
  trace: string;
  maxSteps?: number;
  allow?: string;
  yes?: boolean;
  vision?: boolean;
  json?: boolean;
}

/** The key comes from the environment, never from a flag (flags land in shell history and `ps`). */
function apiKey(): string | undefined {
  return process.env.MOBILEAI_API_KEY || process.env.OPENAI_API_KEY || undefined;
}

/**
 * Questions and consent on the terminal. Without a terminal, consent is refused (unless --yes) and
 * questions go unanswered: the agent is told so.
 */
function terminalAsker(yes: boolean): (q: UserQuestion) => Promise<boolean | string | undefined> {
  return async (q) => {
    if (q.kind === 'consent' && yes) {
      process.stderr.write(`consent given by --yes: ${q.text}\n`);
      return true;
    }
    if (!process.stdin.isTTY) {
      process.stderr.write(`${q.kind === 'consent' ? 'consent refused (no terminal to ask; --yes allows)' : 'question left unanswered (no terminal)'}: ${q.text}\n`);
      return q.kind === 'consent' ? false : undefined;
    }
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
      const a = (await rl.question(`${q.text}${q.kind === 'consent' ? ' [y/N] ' : '\n> '}`)).trim();
      return q.kind === 'consent' ? /^y(es)?$/i.test(a) : a;
    } finally {
      rl.close();
    }
  };
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error('--max-steps must be an integer from 1 to 1000');
  return n;
}

export function addAgentCommands(program: Command, adbFrom: () => AdbService): void {
  const agent = program.command('agent').description('LLM agents that drive phone apps, with traces');
  const endpoint = (c: Command) => c
    .requiredOption('--base-url <url>', 'an OpenAI-compatible endpoint (OpenAI, Ollama http://127.0.0.1:11434/v1, llama.cpp…); the key comes from MOBILEAI_API_KEY or OPENAI_API_KEY')
    .requiredOption('--model <name>', 'the model name at that endpoint')
    .option('--trace <dir>', 'folder for run traces (a subfolder per run)', 'agent-traces')
    .option('--max-steps <n>', 'step limit', positive)
    .option('--allow <packages>', 'comma-separated packages the agent may act on (default: any)')
    .option('--yes', 'give consent to sensitive actions without asking (passwords, pay, send, delete, install)')
    .option('--no-vision', 'send the element list only, no screenshot')
    .option('--json', 'print JSON');

  endpoint(agent.command('run')
    .description('run an agent on a phone until it finishes, is stopped (Ctrl-C) or reaches the step limit')
    .requiredOption('--device <serial>', 'the phone')
    .requiredOption('--task <text>', 'what the agent should do'))
    .action(async (o: EndpointFlags & { device: string; task: string }) => {
      const { runAgent } = await import('../core/agent/run');
      const { OpenAiCompatibleModel } = await import('../core/agent/llm');
      const cancel = new CancelSource();
      const onSigint = () => { process.stderr.write('\nstopping the agent…\n'); cancel.cancel(); };
      process.once('SIGINT', onSigint);
      try {
        const r = await runAgent({
          adb: adbFrom(), serial: o.device, task: o.task, model: new OpenAiCompatibleModel({ baseUrl: o.baseUrl, model: o.model, apiKey: apiKey() }),
          traceRoot: path.resolve(o.trace), maxSteps: o.maxSteps ?? 20, allowPackages: o.allow ? o.allow.split(',').map((s) => s.trim()).filter(Boolean) : [],
          vision: o.vision !== false, signal: cancel.signal, askUser: terminalAsker(!!o.yes),
          onEvent: (e) => {
            if (o.json) return;
            if (e.type === 'started') process.stderr.write(`trace: ${e.dir}\n`);
            if (e.type === 'step') {
              const s = e.step;
              process.stderr.write(`${String(s.step).padStart(3)}. ${s.action ? `${s.action.type}${s.resolved?.target ? ` [${s.resolved.target}]` : ''}` : '(no action)'} → ${s.result.message}${s.thought ? `\n     ${s.thought.slice(0, 160)}` : ''}\n`);
            }
          },
        });
        process.stdout.write(o.json ? `${JSON.stringify({ trace: r.dir, ...r.meta }, null, 2)}\n`
          : `${r.meta.outcome}: ${r.meta.message ?? ''}\n${r.meta.steps} steps, ${r.meta.tokens.prompt} + ${r.meta.tokens.completion} tokens, ${(r.meta.timings.totalMs / 1000).toFixed(1)} s (model ${(r.meta.timings.modelMs / 1000).toFixed(1)} s)\ntrace: ${r.dir}\n`);
        if (!['success'].includes(r.meta.outcome)) process.exitCode = r.meta.outcome === 'stopped' ? 130 : 2;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  endpoint(agent.command('eval')
    .description('run an agent over a task set (YAML) and report success rate, steps, tokens and time')
    .argument('<taskset>', 'the task set file')
    .requiredOption('--device <serial>', 'the phone'))
    .option('--out <file>', 'also write the JSON report to this new file')
    .action(async (file: string, o: EndpointFlags & { device: string; out?: string }) => {
      const { loadTaskSet, evalTaskSet } = await import('../core/agent/taskset');
      const { OpenAiCompatibleModel } = await import('../core/agent/llm');
      const set = await loadTaskSet(path.resolve(file));
      const cancel = new CancelSource();
      const onSigint = () => { process.stderr.write('\nstopping…\n'); cancel.cancel(); };
      process.once('SIGINT', onSigint);
      try {
        const report = await evalTaskSet(set, {
          adb: adbFrom(), serial: o.device, model: new OpenAiCompatibleModel({ baseUrl: o.baseUrl, model: o.model, apiKey: apiKey() }),
          traceRoot: path.resolve(o.trace), maxSteps: o.maxSteps, vision: o.vision !== false, signal: cancel.signal, askUser: terminalAsker(!!o.yes),
          onTask: (i, t, r) => {
            if (!o.json) process.stderr.write(r ? `  ${r.success ? 'PASS' : 'FAIL'} ${t.id}: ${r.outcome}, ${r.steps} steps, ${r.detail}\n` : `[${i + 1}/${set.tasks.length}] ${t.id}: ${t.goal}\n`);
          },
        });
        if (o.out) await writeFileAtomicNoClobber(path.resolve(o.out), `${JSON.stringify(report, null, 2)}\n`);
        process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n`
          : `${report.taskSet}: ${report.results.filter((r) => r.success).length}/${report.results.length} succeeded (${(report.successRate * 100).toFixed(0)}%), ${report.meanSteps.toFixed(1)} steps on average, ${report.totalTokens} tokens, ${(report.totalMs / 1000).toFixed(1)} s\n`);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  agent.command('demo-endpoint')
    .description('serve the demo endpoint: OpenAI-compatible, with rules for the virtual phone\'s apps instead of a language model (for trying agents without one)')
    .option('--port <n>', 'port (0: any free port)', (v) => Number(v), 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (o: { port: number; host: string }) => {
      const { startDemoEndpoint, DEMO_MODEL } = await import('../core/agent/demoEndpoint');
      const ep = await startDemoEndpoint(o.port, o.host);
      process.stdout.write(`demo endpoint: ${ep.baseUrl} (model ${DEMO_MODEL}); Ctrl-C stops it\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void ep.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  agent.command('replay')
    .description("replay a trace's actions on a phone")
    .argument('<trace>', 'a run folder')
    .requiredOption('--device <serial>', 'the phone')
    .option('--delay <ms>', 'pause between steps', (v) => Number(v), 500)
    .option('--json', 'print JSON')
    .action(async (dir: string, o: { device: string; delay: number; json?: boolean }) => {
      const { readTrace } = await import('../core/agent/trace');
      const { replayTrace } = await import('../core/agent/replay');
      const trace = await readTrace(path.resolve(dir));
      const steps = await replayTrace(adbFrom(), o.device, trace, { delayMs: o.delay, onStep: (s) => { if (!o.json) process.stderr.write(`${s.step}. ${s.argv.map((a) => a.join(' ')).join('; ')} → ${s.message}\n`); } });
      if (o.json) process.stdout.write(`${JSON.stringify({ trace: trace.dir, steps }, null, 2)}\n`);
      if (steps.some((s) => !s.ok)) process.exitCode = 2;
    });

  agent.command('export')
    .description('export a trace as an AndroidWorld-style episode (JSON)')
    .argument('<trace>', 'a run folder')
    .option('--out <file>', 'a new file to write (default: stdout)')
    .action(async (dir: string, o: { out?: string }) => {
      const { readTrace, toAndroidWorldEpisode } = await import('../core/agent/trace');
      const episode = toAndroidWorldEpisode(await readTrace(path.resolve(dir)));
      const text = `${JSON.stringify(episode, null, 2)}\n`;
      if (o.out) await writeFileAtomicNoClobber(path.resolve(o.out), text);
      else process.stdout.write(text);
    });
}

export function addManifestCommands(program: Command): void {
  const manifest = program.command('manifest').description('mobileai.yaml, the project manifest');
  manifest.command('check')
    .description('validate a manifest as the language server does (syntax, schema, references, files, budgets); exit 1 on errors')
    .argument('[file]', 'the manifest', 'mobileai.yaml')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const { readFile } = await import('node:fs/promises');
      const { parseManifest, validateManifest, fileKind } = await import('../core/manifest/manifest');
      const { computeLatencyRange } = await import('../core/manifest/facts');
      const abs = path.resolve(file);
      const text = await readFile(abs, 'utf8');
      const pm = parseManifest(text);
      // Latency ranges are computed up front here (the server does it in the background).
      const ranges = new Map<string, { minMs: number; maxMs: number } | undefined>();
      for (const s of Object.values(pm.value.searches ?? {})) {
        const t = s && typeof s.target === 'string' ? pm.value.targets?.[s.target] : undefined;
        if (!t?.table) continue;
        const table = path.resolve(path.dirname(abs), t.table);
        const space = s.space ?? 'ofa-mbv3';
        const key = `${table}\0${space}`;
        if (!ranges.has(key)) ranges.set(key, await computeLatencyRange(table, space).catch(() => undefined));
      }
      const diags = validateManifest(pm, { baseDir: path.dirname(abs), fileExists: fileKind, latencyRange: (t, s) => ranges.get(`${t}\0${s}`) });
      const pos = (off: number) => {
        const before = text.slice(0, off);
        const line = before.split('\n').length;
        return { line, column: off - before.lastIndexOf('\n') };
      };
      const rows = diags.map((d) => ({ ...pos(d.start), severity: d.severity, code: d.code, message: d.message }));
      if (o.json) process.stdout.write(`${JSON.stringify({ file: abs, problems: rows }, null, 2)}\n`);
      else process.stdout.write(rows.length ? `${rows.map((r) => `${file}:${r.line}:${r.column}: ${r.severity}: ${r.message} [${r.code}]`).join('\n')}\n` : `${file}: no problems\n`);
      if (rows.some((r) => r.severity === 'error')) process.exitCode = 1;
    });
}
