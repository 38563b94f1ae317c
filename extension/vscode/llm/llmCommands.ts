import * as vscode from 'vscode';
import { useAndMaybeRemember } from '../config';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { DeviceStore } from '../devices/deviceStore';
import { errorMessage, type Logger } from '../../core/util/log';
import { CancelSource, CancelledError } from '../../core/util/progress';
import type { LlmRunRecord, LlmSample } from '../../core/llm/runRecord';
import type { LlmEntry } from '../../core/manifest/manifest';
import type { ShapePoint } from '../../../webview/llm/protocol';
import { LlmPanel, type LlmPanelActions } from './llmPanel';

export type LlmRunnerKind = NonNullable<LlmEntry['runner']>;
const RUNNERS: Array<{ runner: LlmRunnerKind; label: string; detail: string; setting: string; ext: RegExp }> = [
  { runner: 'onnx', label: 'ONNX decoder (Mobile AI)', detail: 'prefill P tokens, then D decode steps with a growing KV cache; onnxruntime_perf_test on the phone', setting: 'llm.onnxPerfTestPath', ext: /\.onnx$/i },
  { runner: 'llama-bench', label: 'llama.cpp llama-bench', detail: 'a GGUF model; a folder with bin/llama-bench and lib/ built for Android', setting: 'llm.llamaBenchPath', ext: /\.gguf$/i },
  { runner: 'genai', label: 'onnxruntime-genai model_benchmark', detail: 'a genai model folder (genai_config.json)', setting: 'llm.genaiBenchmarkPath', ext: /genai_config\.json$|\/$/i },
  { runner: 'litert-lm', label: 'LiteRT-LM (--benchmark)', detail: 'a .litertlm model', setting: 'llm.litertLmPath', ext: /\.(litertlm|task)$/i },
];

/** What mobileai.yaml's `llms:` entries pass (code lens "Benchmark"): the entry, its phone resolved, paths absolute. */
export interface LlmBenchPreset extends Omit<LlmEntry, 'target'> {
  kind: 'manifest';
  /** A phone's serial; absent with `host: true` (this machine). */
  serial?: string;
  host?: boolean;
  label?: string;
}
const isPreset = (a: unknown): a is LlmBenchPreset => !!a && typeof a === 'object' && (a as { kind?: string }).kind === 'manifest' && typeof (a as { model?: unknown }).model === 'string';

interface BenchRequest {
  target: { kind: 'host' } | { kind: 'phone'; serial: string; label: string };
  model: string;
  runner: LlmRunnerKind;
  runnerPath?: string;
  promptTokens: number;
  genTokens: number;
  repetitions: number;
  threads?: number;
  sampleHz: number;
  unplug: boolean;
  label?: string;
}

function settings() {
  const c = vscode.workspace.getConfiguration('mobileAI');
  const threads = c.get<number>('llm.threads') ?? 0;
  return {
    promptTokens: c.get<number>('llm.promptTokens') ?? 32,
    genTokens: c.get<number>('llm.genTokens') ?? 32,
    repetitions: c.get<number>('llm.repetitions') ?? 3,
    threads: threads > 0 ? threads : undefined,
    sampleHz: c.get<number>('llm.sampleHz') ?? 5,
    unplug: c.get<boolean>('llm.unplugDuringRun') ?? false,
    runnerPath: (kind: LlmRunnerKind): string | undefined => {
      const r = RUNNERS.find((x) => x.runner === kind);
      const v = r ? c.get<string>(r.setting) : undefined;
      if (v) return v;
      return kind === 'onnx' ? c.get<string>('profiling.onnxruntimePerfTest') || undefined : undefined;
    },
  };
}

function workspaceDir(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function runsRoot(): string | undefined {
  const ws = workspaceDir();
  return ws ? path.join(ws, '.mobileai', 'llm-runs') : undefined;
}

/**
 * Writes a file the user picked in a save dialog, atomically (a temporary file renamed over it). The save
 * dialog itself asks before it returns an existing file, so nothing is replaced without the user saying so.
 */
async function writeChosen(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(tmp, text, { flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Follows a bench's run folder while it runs: the new folder under the runs root that appears after `since`,
 * then its samples.jsonl as it grows; every new sample goes to the panel.
 */
function followRun(root: string, before: Set<string>, onStart: (id: string, dir: string) => void, onSamples: (samples: LlmSample[]) => void): () => void {
  let dir: string | undefined;
  let offset = 0;
  let rest = '';
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      if (!dir) {
        const names = await fs.readdir(root).catch(() => [] as string[]);
        const fresh = names.filter((n) => !before.has(n) && !n.startsWith('.')).sort().pop();
        if (fresh) {
          dir = path.join(root, fresh);
          onStart(fresh, dir);
        }
      }
      if (dir) {
        const h = await fs.open(path.join(dir, 'samples.jsonl'), 'r').catch(() => undefined);
        if (h) {
          try {
            const { size } = await h.stat();
            if (size > offset) {
              const buf = Buffer.alloc(size - offset);
              await h.read(buf, 0, buf.length, offset);
              offset = size;
              const text = rest + buf.toString('utf8');
              const lines = text.split('\n');
              rest = lines.pop() ?? '';
              const samples: LlmSample[] = [];
              for (const l of lines) {
                try {
                  const s = JSON.parse(l) as LlmSample;
                  if (typeof s.t === 'number') samples.push(s);
                } catch {
                  // a line being written
                }
              }
              if (samples.length) onSamples(samples);
            }
          } finally {
            await h.close();
          }
        }
      }
    } finally {
      if (!stopped) timer = setTimeout(() => void tick(), 400);
    }
  };
  let timer = setTimeout(() => void tick(), 200);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export function registerLlmCommands(context: vscode.ExtensionContext, store: DeviceStore, log: Logger): void {
  let running: CancelSource | undefined;

  const panel = () => LlmPanel.show(context, log, runsRoot, actions);
  const actions: LlmPanelActions = {
    bench: () => void vscode.commands.executeCommand('mobileai.llm.bench'),
    import: () => void vscode.commands.executeCommand('mobileai.llm.import'),
    cancel: () => running?.cancel(),
    quantize: (id) => void quantizeAndCompare(id),
    explore: (m) => void explore(m.space, m.target, m.promptTokens, m.genTokens),
    exportShape: (id) => void exportShape(id),
    export: (ids, format, compare) => void exportRuns(ids, format, compare),
  };

  /** Runs one benchmark (on a phone through runLlmBench, or on this machine), live in the panel; returns the record. */
  async function bench(req: BenchRequest, progress: vscode.Progress<{ message?: string }>, cancel: CancelSource): Promise<LlmRunRecord> {
    const root = runsRoot();
    if (!root) throw new Error('Open a folder first: LLM runs are kept in the workspace (.mobileai/llm-runs/).');
    const p = panel();
    const where = req.target.kind === 'host' ? 'this machine' : req.target.label;
    p.busy(`Benchmarking ${path.basename(req.model)} on ${where} (P=${req.promptTokens}, D=${req.genTokens}, ${req.repetitions} runs)…`, true);
    await fs.mkdir(root, { recursive: true });
    const before = new Set(await fs.readdir(root).catch(() => [] as string[]));
    let liveId: string | undefined;
    const stopFollowing = followRun(root, before, (id, dir) => {
      liveId = id;
      void (async () => {
        const { readRun } = await import('../../core/llm/runStore');
        const rec = await readRun(dir).catch(() => undefined);
        if (rec && liveId === id) {
          await p.add(rec, dir);
          p.showRecord({ ...rec, id, sampling: rec.sampling ? { ...rec.sampling, samples: [] } : undefined }, true);
        }
      })();
    }, (samples) => {
      if (liveId) p.live(liveId, samples);
    });
    const sink = { report: (x: { message?: string }) => { if (x.message) { progress.report({ message: x.message }); p.busy(x.message, true); } } };
    try {
      let rec: LlmRunRecord;
      if (req.target.kind === 'phone') rec = await benchOnPhone(req, req.target.serial, root, cancel, sink);
      else rec = await benchOnHost(req, root, cancel, sink);
      stopFollowing();
      await p.refresh();
      if (rec.id) await p.openRun(rec.id);
      p.idle(`Done: ${path.basename(req.model)} on ${where}${rec.decode ? `, decode ${rec.decode.mean.toFixed(2)} tok/s` : ''}.`);
      log.info(`llm bench: ${rec.model.name} on ${where}: prefill ${rec.prefill?.mean.toFixed(2) ?? '?'} tok/s, decode ${rec.decode?.mean.toFixed(2) ?? '?'} tok/s, TTFT ${rec.timeToFirstTokenMs?.mean.toFixed(1) ?? '?'} ms (${rec.id ?? ''})`);
      return rec;
    } catch (err) {
      stopFollowing();
      await p.refresh().catch(() => undefined);
      if (liveId) await p.openRun(liveId).catch(() => undefined);
      p.error(err instanceof CancelledError || cancel.cancelled ? 'Benchmark cancelled: the record so far is kept.' : `Benchmark failed: ${errorMessage(err)}`);
      throw err;
    }
  }

  async function benchOnPhone(req: BenchRequest, serial: string, root: string, cancel: CancelSource, sink: { report(x: { message?: string }): void }): Promise<LlmRunRecord> {
    const { runLlmBench } = await import('../../core/llm/bench/index');
    return runLlmBench({
      adb: store.adb, serial, runner: req.runner, model: req.model, runnerPath: req.runnerPath, promptTokens: req.promptTokens, genTokens: req.genTokens,
      repetitions: req.repetitions, threads: req.threads, sampleHz: req.sampleHz, unplug: req.unplug, runsRoot: root, label: req.label, signal: cancel.signal, progress: sink,
    });
  }

  /** This machine: our ONNX decoder runner on onnxruntime-node, kept in the run store like a phone run. */
  async function benchOnHost(req: BenchRequest, root: string, cancel: CancelSource, sink: { report(x: { message?: string }): void }): Promise<LlmRunRecord> {
    if (req.runner !== 'onnx') throw new Error(`${req.runner} runs on a phone; on this machine only the ONNX decoder runner is available`);
    const { runDecoder, decoderRunRecord } = await import('../../core/llm/decoderRunner');
    const { RunWriter } = await import('../../core/llm/runStore');
    const writer = await RunWriter.create(root, req.label ?? path.basename(req.model));
    const start: LlmRunRecord = { schema: 'mobileai.llm-run/1', runner: 'mobileai-onnx', model: { name: path.basename(req.model), file: req.model }, device: { label: 'this machine', kind: 'host' }, tests: [], source: { format: 'measured', file: req.model, measuredAt: new Date().toISOString() }, notes: [], id: writer.id, status: 'running', promptTokens: req.promptTokens, genTokens: req.genTokens, threads: req.threads, repetitions: req.repetitions };
    await writer.write(start);
    try {
      const r = await runDecoder(req.model, { promptTokens: req.promptTokens, genTokens: req.genTokens, repetitions: req.repetitions, threads: req.threads, signal: cancel.signal, progress: sink });
      const rec: LlmRunRecord = { ...decoderRunRecord(r), id: writer.id, status: 'complete', decodeTimelineMs: r.runs.map((x) => x.decodeLatencyMs), processPeakBytes: r.processPeakBytes };
      await writer.write(rec);
      return rec;
    } catch (err) {
      const cancelled = err instanceof CancelledError || cancel.cancelled;
      await writer.write({ ...start, status: cancelled ? 'cancelled' : 'failed', error: errorMessage(err) });
      throw err;
    }
  }

  /** Whether the phone says it is on USB/AC power now (dumpsys battery), which distorts its battery gauge. */
  async function chargingNow(serial: string): Promise<boolean> {
    try {
      const { parseBatteryDump, isCharging } = await import('../../core/llm/bench/sampler');
      const out = await store.adb.execOut(serial, ['dumpsys', 'battery'], { timeoutMs: 5000 });
      return isCharging(parseBatteryDump(out.toString('utf8')));
    } catch {
      return false;
    }
  }

  async function pickTarget(title: string): Promise<BenchRequest['target'] | undefined> {
    await store.firstListing();
    const ready = store.devices.filter((d) => d.state === 'device');
    const items: Array<vscode.QuickPickItem & { target: BenchRequest['target'] }> = ready.map((d) => {
      const label = store.known(d.serial)?.model ?? d.serial;
      return { label, description: d.serial, target: { kind: 'phone' as const, serial: d.serial, label: `${label} (${d.serial})` } };
    });
    items.push({ label: 'This machine', description: 'ONNX decoder on onnxruntime-node, host CPU', target: { kind: 'host' } });
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: ready.length ? 'A phone, or this machine' : 'No phone is connected: start the virtual phone, or run on this machine' });
    return pick?.target;
  }

  async function pickModel(): Promise<string | undefined> {
    const found = await vscode.workspace.findFiles('**/*.{onnx,gguf,litertlm,task}', '**/{node_modules,.mobileai}/**', 200);
    const items = [...found.map((u) => ({ label: vscode.workspace.asRelativePath(u), file: u.fsPath })), { label: 'Browse…', file: '' }];
    const pick = await vscode.window.showQuickPick(items, { title: 'Model to benchmark' });
    if (!pick) return undefined;
    if (pick.file) return pick.file;
    const uri = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, canSelectMany: false, title: 'Model (a .onnx decoder, .gguf, .litertlm, or a genai model folder)' });
    return uri?.[0]?.fsPath;
  }

  async function runBench(req: BenchRequest): Promise<LlmRunRecord | undefined> {
    running?.cancel();
    const cancel = new CancelSource();
    running = cancel;
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `LLM benchmark: ${path.basename(req.model)}`, cancellable: true }, (progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        return bench(req, progress, cancel);
      });
    } catch (err) {
      if (!(err instanceof CancelledError) && !cancel.cancelled) {
        log.error('llm bench failed', err);
        void vscode.window.showErrorMessage(`LLM benchmark failed: ${errorMessage(err)}`);
      }
      return undefined;
    } finally {
      if (running === cancel) running = undefined;
    }
  }

  async function quantizeAndCompare(id: string): Promise<void> {
    const p = panel();
    const known = p.records.get(id)?.record;
    try {
      if (!known) throw new Error(`no run ${id}`);
      const file = known.model.file;
      if (known.runner !== 'mobileai-onnx' || !file || !file.toLowerCase().endsWith('.onnx')) throw new Error('Quantize to int4 needs a run of an ONNX decoder (runner mobileai-onnx) whose model file is known.');
      if (!(await fs.stat(file).catch(() => undefined))) throw new Error(`the model file is gone: ${file}`);
      const { uniquePath } = await import('../../core/util/fsAtomic');
      const out = await uniquePath(file.replace(/(\.fp32)?\.onnx$/i, '.int4.onnx'));
      p.busy(`Quantizing ${path.basename(file)} to int4 (MatMulNBits)…`, false);
      const { quantizeDecoderInt4 } = await import('../../core/llm/shapes/index');
      const q = await quantizeDecoderInt4(file, out);
      log.info(`llm: ${path.basename(file)} → ${path.basename(out)}: ${q.quantizedMatMuls} MatMuls to int4, ${q.input.bytes} → ${q.output.bytes} bytes`);
      const serial = known.phone?.serial;
      const phoneReady = serial && store.devices.some((d) => d.serial === serial && d.state === 'device');
      const target: BenchRequest['target'] = known.device.kind === 'host' || !phoneReady ? { kind: 'host' } : { kind: 'phone', serial: serial as string, label: `${known.phone?.model ?? serial} (${serial})` };
      if (known.device.kind !== 'host' && !phoneReady) void vscode.window.showWarningMessage(`${serial ?? 'The run\'s phone'} is not connected: both models are benchmarked on this machine.`);
      const s = settings();
      const base: Omit<BenchRequest, 'model' | 'label'> = {
        target, runner: 'onnx', runnerPath: target.kind === 'phone' ? s.runnerPath('onnx') : undefined, promptTokens: known.promptTokens ?? s.promptTokens, genTokens: known.genTokens ?? s.genTokens,
        repetitions: known.repetitions ?? s.repetitions, threads: known.threads, sampleHz: known.sampling?.targetHz || s.sampleHz, unplug: !!known.sampling?.unplugged,
      };
      const a = await runBench({ ...base, model: file, label: `${path.basename(file)} fp32` });
      if (!a) return;
      const b = await runBench({ ...base, model: out, label: `${path.basename(out)} int4` });
      if (!b?.id || !a.id) return;
      p.compare([a.id, b.id], 0, `fp32 vs int4: ${path.basename(file)} (${formatSize(q.input.bytes)}) and ${path.basename(out)} (${formatSize(q.output.bytes)}) — size, decode speed and energy per token`);
    } catch (err) {
      p.error(`Quantize and compare failed: ${errorMessage(err)}`);
      void vscode.window.showErrorMessage(`Quantize to int4 and compare: ${errorMessage(err)}`);
    }
  }

  const shapeResults = new Map<string, import('../../core/llm/shapes/index').ShapeResult>();
  async function explore(spaceText: string, targetText: string, P: number, D: number): Promise<void> {
    const p = panel();
    const ws = workspaceDir();
    if (!ws) {
      p.error('Open a folder first: explored shapes are cached in the workspace (.mobileai/llm-shapes/).');
      return;
    }
    running?.cancel();
    const cancel = new CancelSource();
    running = cancel;
    try {
      const { exploreShapes, parseSpace } = await import('../../core/llm/shapes/index');
      const space = parseSpace(spaceText);
      let target: import('../../core/llm/shapes/index').ExploreTarget;
      if (targetText === 'host') target = { kind: 'host' };
      else {
        await store.firstListing();
        if (!store.devices.some((d) => d.serial === targetText && d.state === 'device')) throw new Error(`${targetText} is not a connected phone (give "host" or a serial from the Devices view)`);
        const runnerPath = settings().runnerPath('onnx') ?? '';
        target = { kind: 'phone', adb: store.adb, serial: targetText, runnerPath };
      }
      shapeResults.clear();
      const label = targetText === 'host' ? 'this machine' : targetText;
      const points = () => [...shapeResults.values()].map((r): ShapePoint => ({ id: r.key, label: r.description, params: r.params, sizeBytes: r.sizeBytes, decodeTps: r.decodeTokensPerSecond, ttftMs: r.timeToFirstTokenMs, prefillTps: r.prefillTokensPerSecond, cached: r.cached }));
      const counts = () => [...shapeResults.values()].reduce((a, r) => (r.cached ? { ...a, cached: a.cached + 1 } : { ...a, measured: a.measured + 1 }), { measured: 0, cached: 0 });
      let flush: NodeJS.Timeout | undefined;
      p.busy(`Exploring shapes on ${label}…`, true);
      const res = await exploreShapes({
        space, target, promptTokens: P, genTokens: D, cacheRoot: path.join(ws, '.mobileai', 'llm-shapes'), signal: cancel.signal,
        progress: { report: (x) => x.message && p.busy(`Shapes ${x.done ?? '?'}/${x.total ?? '?'}: ${x.message}`, true) },
        onResult: (r) => {
          shapeResults.set(r.key, r);
          flush ??= setTimeout(() => {
            flush = undefined;
            const c = counts();
            p.shapes(points(), false, label, c.measured, c.cached);
          }, 150);
        },
      });
      if (flush) clearTimeout(flush);
      for (const r of res.results) shapeResults.set(r.key, r);
      p.shapes(points(), true, res.device.label, res.measured, res.results.length - res.measured);
      p.idle(`${res.results.length} shapes on ${res.device.label}: ${res.measured} measured, ${res.results.length - res.measured} cached${res.failures.length ? `; ${res.failures.length} failed (${res.failures[0].error})` : ''}${res.cancelled ? ' (cancelled)' : ''}.`);
      log.info(`llm explore: ${res.results.length} shapes on ${res.device.label}, ${res.measured} measured; cache ${res.cacheFile}`);
    } catch (err) {
      p.error(`Shape exploration failed: ${errorMessage(err)}`);
    } finally {
      if (running === cancel) running = undefined;
    }
  }

  async function exportShape(id: string): Promise<void> {
    const r = shapeResults.get(id);
    if (!r) return;
    const ws = workspaceDir();
    const uri = await vscode.window.showSaveDialog({ title: 'Export the shape as a training config (JSON)', filters: { JSON: ['json'] }, defaultUri: ws ? vscode.Uri.file(path.join(ws, `config-${r.shape.layers}L-${r.shape.hidden}h.json`)) : undefined });
    if (!uri) return;
    try {
      const { shapeConfigJson } = await import('../../core/llm/shapes/index');
      await writeChosen(uri.fsPath, `${JSON.stringify(shapeConfigJson(r.shape), null, 2)}\n`);
      void vscode.window.showInformationMessage(`Exported ${path.basename(uri.fsPath)} (${r.description}).`);
      log.info(`llm: shape config exported to ${uri.fsPath}`);
    } catch (err) {
      void vscode.window.showErrorMessage(`Export failed: ${errorMessage(err)}`);
    }
  }

  async function exportRuns(ids: string[], format: 'csv' | 'json', compare: boolean): Promise<void> {
    const p = panel();
    const records = ids.map((id) => p.records.get(id)?.record).filter((r): r is LlmRunRecord => !!r);
    if (!records.length) return;
    const ws = workspaceDir();
    const name = compare ? 'llm-comparison.csv' : `llm-runs.${format}`;
    const uri = await vscode.window.showSaveDialog({ title: compare ? 'Export the comparison (CSV)' : `Export ${records.length} run(s) (${format.toUpperCase()})`, filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] }, defaultUri: ws ? vscode.Uri.file(path.join(ws, name)) : undefined });
    if (!uri) return;
    try {
      const { runsToCsv, runsToJson, comparisonToCsv } = await import('../../core/llm/export');
      const { compareRuns } = await import('../../core/llm/compare');
      const text = compare ? comparisonToCsv(compareRuns(records)) : format === 'csv' ? runsToCsv(records) : runsToJson(records);
      await writeChosen(uri.fsPath, text);
      log.info(`llm: exported ${records.length} run(s) to ${uri.fsPath}`);
      p.idle(`Exported ${compare ? 'the comparison of ' : ''}${records.length} run(s) to ${uri.fsPath}.`);
    } catch (err) {
      void vscode.window.showErrorMessage(`Export failed: ${errorMessage(err)}`);
    }
  }

  context.subscriptions.push(
    vscode.commands.registerCommand('mobileai.llm.openRuns', () => {
      if (!runsRoot()) void vscode.window.showWarningMessage('Open a folder to keep LLM runs (.mobileai/llm-runs/); imported runs are shown meanwhile.');
      panel();
    }),
    vscode.commands.registerCommand('mobileai.llm.bench', async (arg?: unknown) => {
      const s = settings();
      let req: BenchRequest;
      if (isPreset(arg)) {
        const runner = arg.runner ?? RUNNERS.find((r) => r.ext.test(arg.model))?.runner ?? 'onnx';
        const target: BenchRequest['target'] = arg.host || !arg.serial ? { kind: 'host' } : { kind: 'phone', serial: arg.serial, label: `${store.known(arg.serial)?.model ?? arg.serial} (${arg.serial})` };
        req = { target, model: arg.model, runner, runnerPath: arg.runnerPath ?? s.runnerPath(runner), promptTokens: arg.promptTokens ?? s.promptTokens, genTokens: arg.genTokens ?? s.genTokens, repetitions: arg.repetitions ?? s.repetitions, threads: arg.threads ?? s.threads, sampleHz: arg.sampleHz ?? s.sampleHz, unplug: arg.unplug ?? s.unplug, label: arg.label };
      } else {
        // Benchmarks defined in mobileai.yaml come first: their settings are all there.
        const { workspaceManifest } = await import('../manifest/manifestClient');
        const wsm = await workspaceManifest();
        const defined = Object.entries(wsm?.manifest.llms ?? {});
        const fromFile = arg instanceof vscode.Uri ? arg.fsPath : undefined;
        if (wsm && defined.length && !fromFile) {
          const pick = await vscode.window.showQuickPick([
            ...defined.map(([name, e]) => ({ label: name, description: `mobileai.yaml · ${e.model} on ${e.target ?? 'this machine'}`, name })),
            { label: 'Another benchmark…', description: 'choose the phone, model and runner', name: undefined },
          ], { title: 'Benchmark LLM on Phone' });
          if (!pick) return;
          if (pick.name) {
            await vscode.commands.executeCommand('mobileai.manifest.run', vscode.Uri.file(path.join(wsm.baseDir, 'mobileai.yaml')).toString(), 'llms', pick.name, 'bench');
            return;
          }
        }
        const target = await pickTarget('Benchmark an LLM on…');
        if (!target) return;
        const model = fromFile ?? await pickModel();
        if (!model) return;
        const guess = RUNNERS.find((r) => r.ext.test(model))?.runner ?? 'onnx';
        if (target.kind === 'host' && guess !== 'onnx') {
          void vscode.window.showErrorMessage(`${path.basename(model)} is for ${guess}, which runs on a phone: on this machine only ONNX decoders run. Choose a phone.`);
          return;
        }
        const choices = target.kind === 'host' ? RUNNERS.filter((r) => r.runner === 'onnx') : [...RUNNERS].sort((a, b) => Number(b.runner === guess) - Number(a.runner === guess));
        const runnerPick = choices.length === 1 ? choices[0] : await vscode.window.showQuickPick(choices.map((r) => ({ ...r, description: r.runner === guess ? 'fits this model' : undefined })), { title: 'Runner' });
        if (!runnerPick) return;
        let runnerPath = target.kind === 'phone' ? s.runnerPath(runnerPick.runner) : undefined;
        const virtual = target.kind === 'phone' && !!store.known(target.serial)?.virtual;
        if (target.kind === 'phone' && !runnerPath && !(virtual && runnerPick.runner === 'onnx')) {
          const uri = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: runnerPick.runner === 'llama-bench', title: `${runnerPick.label} built for the phone (mobileAI.${runnerPick.setting})` });
          if (!uri?.[0]) return;
          runnerPath = uri[0].fsPath;
          if (!(await useAndMaybeRemember({ [runnerPick.setting]: runnerPath }, `${runnerPick.label} for the Phone`))) return;
        }
        req = { target, model, runner: runnerPick.runner, runnerPath, promptTokens: s.promptTokens, genTokens: s.genTokens, repetitions: s.repetitions, threads: s.threads, sampleHz: s.sampleHz, unplug: s.unplug };
        if (target.kind === 'phone' && !s.unplug && (await chargingNow(target.serial))) {
          const u = await vscode.window.showQuickPick([
            { label: 'Unplug for the run', description: 'dumpsys battery unplug; restored (dumpsys battery reset) afterwards', unplug: true },
            { label: 'Leave it charging', description: 'the battery gauge is distorted while USB charges the phone', unplug: false },
          ], { title: 'USB charging distorts the battery gauge (energy per token)' });
          if (!u) return;
          req.unplug = u.unplug;
        }
      }
      await runBench(req);
    }),
    vscode.commands.registerCommand('mobileai.llm.import', async (arg?: unknown) => {
      const file = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : (await vscode.window.showOpenDialog({ canSelectMany: false, title: 'LLM benchmark output (llama-bench md/csv/json/jsonl, model_benchmark, LiteRT-LM)', filters: { 'Benchmark output': ['jsonl', 'json', 'csv', 'md', 'txt', 'log'], 'All files': ['*'] } }))?.[0]?.fsPath;
      if (!file) return;
      try {
        const { importLlmRun } = await import('../../core/llm/import');
        const result = importLlmRun(await fs.readFile(file, 'utf8'), { file });
        for (const w of result.warnings) log.warn(`llm import ${path.basename(file)}: ${w}`);
        const p = panel();
        const root = runsRoot();
        const ids: string[] = [];
        const importedAt = new Date().toISOString();
        for (const [i, r] of result.records.entries()) {
          const rec: LlmRunRecord = { ...r, status: 'complete', source: { ...r.source, importedAt } };
          if (root) {
            const { RunWriter } = await import('../../core/llm/runStore');
            const w = await RunWriter.create(root, `imported-${path.basename(file)}${result.records.length > 1 ? `-${i + 1}` : ''}`);
            rec.id = w.id;
            await w.write(rec);
            await p.add(rec, w.dir);
          } else {
            rec.id = `imported-${Date.now()}-${i + 1}`;
            await p.add(rec);
          }
          ids.push(rec.id);
        }
        log.info(`llm import: ${result.records.length} run(s) from ${file} (${result.format})`);
        if (ids.length) await p.openRun(ids[0]);
        p.idle(`Imported ${ids.length} run(s) from ${path.basename(file)} (${result.format}).${result.warnings.length ? ` ${result.warnings.length} warning(s) in the log.` : ''}`);
      } catch (err) {
        void vscode.window.showErrorMessage(`LLM import: ${errorMessage(err)}`);
      }
    }),
    vscode.commands.registerCommand('mobileai.llm.quantizeCompare', async (arg?: unknown) => {
      const p = panel();
      await p.refresh();
      let id = typeof arg === 'string' ? arg : undefined;
      if (!id) {
        const items = [...p.records.entries()].filter(([, r]) => r.record.runner === 'mobileai-onnx' && r.record.model.file).map(([rid, r]) => ({ label: r.record.model.name, description: rid, id: rid }));
        const pick = await vscode.window.showQuickPick(items, { title: 'Quantize which run\'s decoder to int4 and compare?', placeHolder: items.length ? undefined : 'No ONNX decoder runs yet: benchmark one first' });
        id = pick?.id;
      }
      if (id) await quantizeAndCompare(id);
    }),
    vscode.commands.registerCommand('mobileai.llm.exploreShapes', () => {
      panel().shapes([], true, '', 0, 0);
    }),
  );
}

function formatSize(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}
