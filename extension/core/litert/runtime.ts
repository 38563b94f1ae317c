import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { summarizeTfliteFile } from '../tflite/summary';
import { TfliteFormatError } from '../tflite/reader';

/**
 * Google's LiteRT for JavaScript (`@litertjs/core`, WebAssembly with XNNPACK) running `.tflite` models on this
 * computer's CPU.
 *
 * LiteRT.js is written for browsers: its loader adds a <script> tag or, in a worker, calls `importScripts`. Under
 * Node it works once a few worker globals exist (`self`, `importScripts` running the Emscripten glue with
 * `vm.runInThisContext`, and the `require`/`__filename`/`__dirname` that glue reads). Those globals, the 9 MB
 * WebAssembly module and the runtime's own log lines stay out of the calling process: every benchmark runs in a
 * child Node process (the extension host's own binary with ELECTRON_RUN_AS_NODE), which also makes the memory
 * numbers the model's own, as they are for the real benchmark_model, a process of its own.
 *
 * What it cannot do (LiteRT.js 2.5.3): no per-op profiler in its API, CPU (wasm) only under Node (WebGPU needs
 * `navigator.gpu`), single-threaded (the threaded build needs cross-origin isolated SharedArrayBuffer workers),
 * input tensors only float32, int32 and uint8, no resizing of inputs.
 */

export const LITERT_PACKAGE = '@litertjs/core';

export class LiteRtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiteRtError';
  }
}

/** Element types LiteRT.js 2.5.3 can put in a tensor (its DATATYPES table). */
export const LITERT_INPUT_TYPES = ['float32', 'int32', 'uint8'] as const;

export interface LiteRtRunOptions {
  /** Minimum warm-up runs and seconds (benchmark_model: --warmup_runs=1, --warmup_min_secs=0.5). */
  warmupRuns?: number;
  warmupMinSecs?: number;
  /** Minimum measured runs and seconds (benchmark_model: --num_runs=50, --min_secs=1). */
  numRuns?: number;
  minSecs?: number;
  /** Stop starting runs after this many seconds (benchmark_model: --max_secs=150). */
  maxSecs?: number;
  /** Seed of the generated inputs (benchmark_model draws them at random: float32 in [-0.5, 0.5), int32 0..99, uint8 0..254). */
  seed?: number;
  /** Stops the child process. */
  signal?: { onAbort?(cb: () => void): void; onCancel?(cb: () => void): unknown };
  /** Where @litertjs/core lives (default: resolved from this module). */
  packageDir?: string;
}

export interface LiteRtInput {
  name: string;
  dtype: string;
  shape: number[];
  /** How the data was generated. */
  data: string;
}

export interface LiteRtRun {
  /** The version of @litertjs/core that ran. */
  version: string;
  file: string;
  fileBytes: number;
  /** Loading LiteRT.js (WebAssembly compile and instantiation), µs. */
  loadUs: number;
  /** loadAndCompile of the model (parse, XNNPACK delegate, allocation), µs. */
  compileUs: number;
  /** loadUs + compileUs: what benchmark_model calls initialization. */
  initUs: number;
  inputs: LiteRtInput[];
  outputs: Array<{ name: string; dtype: string; shape: number[] }>;
  /** Each warm-up run and each measured run, µs (whole microseconds, as benchmark_model keeps them). */
  warmupUs: number[];
  runsUs: number[];
  /** The child process's maximum resident set size (KB) at its start, after init and at the end. */
  maxRssKb: { start: number; init: number; end: number };
  /** The runtime's own log lines that say something about the run (XNNPACK delegate, partitions). */
  runtimeLog: string[];
  accelerator: 'wasm';
  threads: 1;
}

/** Where @litertjs/core is installed: its entry file, its wasm folder and version. */
export function locateLiteRt(packageDir?: string): { entry: string; wasmDir: string; version: string } {
  let dir = packageDir;
  if (!dir) {
    let pkgJson: string;
    try {
      pkgJson = require.resolve(`${LITERT_PACKAGE}/package.json`);
    } catch {
      throw new LiteRtError(`${LITERT_PACKAGE} is not installed (npm install ${LITERT_PACKAGE}): it runs .tflite models on this computer`);
    }
    dir = path.dirname(pkgJson);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require(path.join(dir, 'package.json')) as { version: string; main?: string };
  return { entry: path.join(dir, pkg.main ?? 'dist/index.js'), wasmDir: path.join(dir, 'wasm'), version: pkg.version };
}

/**
 * The child's program (CommonJS, run with `node -e`): sets the worker globals LiteRT.js's loader needs, loads it,
 * compiles the model, runs warm-up and measured loops the way benchmark_model's BenchmarkModel::Run does
 * (`run < min_runs || now < min_finish`, stopping past max_secs), and sends the numbers back over IPC.
 */
const CHILD = String.raw`
const vm = require('node:vm'); const fs = require('node:fs'); const path = require('node:path'); const { pathToFileURL } = require('node:url');
const maxRss = () => process.resourceUsage().maxRSS;
process.once('message', async (req) => {
  const start = maxRss();
  try {
    globalThis.self = globalThis;
    globalThis.require = require;
    globalThis.importScripts = (url) => {
      const file = String(url).startsWith('file:') ? new URL(url).pathname : String(url);
      globalThis.__filename = file; globalThis.__dirname = path.dirname(file);
      vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
    };
    const bytes = new Uint8Array(fs.readFileSync(req.file));
    const t0 = performance.now();
    const lib = await import(pathToFileURL(req.entry).href);
    await lib.loadLiteRt(req.wasmDir + path.sep);
    const t1 = performance.now();
    const model = await lib.loadAndCompile(bytes, { accelerator: 'wasm' });
    const t2 = performance.now();
    const init = maxRss();
    let seed = (req.seed >>> 0) || 1;
    const rnd = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed / 4294967296; };
    const details = model.getInputDetails();
    const inputs = []; const tensors = [];
    for (const d of details) {
      const shape = Array.from(d.shape);
      const n = shape.reduce((a, b) => a * b, 1);
      let data; let how;
      if (d.dtype === 'float32') { data = new Float32Array(n); for (let i = 0; i < n; i++) data[i] = rnd() - 0.5; how = 'uniform [-0.5, 0.5)'; }
      else if (d.dtype === 'int32') { data = new Int32Array(n); for (let i = 0; i < n; i++) data[i] = Math.floor(rnd() * 100); how = 'uniform integers 0..99'; }
      else if (d.dtype === 'uint8') { data = new Uint8Array(n); for (let i = 0; i < n; i++) data[i] = Math.floor(rnd() * 255); how = 'uniform integers 0..254'; }
      else throw new Error('input ' + d.name + ' is ' + d.dtype + ': LiteRT.js has no tensors of that type');
      inputs.push({ name: d.name, dtype: d.dtype, shape, data: how });
      tensors.push(new lib.Tensor(data, shape));
    }
    const outputs = model.getOutputDetails().map((d) => ({ name: d.name, dtype: d.dtype, shape: Array.from(d.shape) }));
    const loop = async (minRuns, minSecs, maxSecs) => {
      const times = [];
      let now = performance.now();
      const minFinish = now + minSecs * 1000; const maxFinish = now + maxSecs * 1000;
      for (let run = 0; (run < minRuns || now < minFinish) && now <= maxFinish; run++) {
        const a = performance.now();
        const out = await model.run(tensors);
        const b = performance.now();
        for (const t of out) t.delete();
        times.push(Math.round((b - a) * 1000));
        now = performance.now();
      }
      return times;
    };
    const warmupUs = await loop(req.warmupRuns, req.warmupMinSecs, req.maxSecs);
    const runsUs = await loop(req.numRuns, req.minSecs, req.maxSecs);
    for (const t of tensors) t.delete();
    model.delete();
    process.send({ ok: true, loadUs: Math.round((t1 - t0) * 1000), compileUs: Math.round((t2 - t1) * 1000), inputs, outputs, warmupUs, runsUs, maxRssKb: { start, init, end: maxRss() } }, () => process.exit(0));
  } catch (e) {
    process.send({ ok: false, error: String(e && e.message || e) }, () => process.exit(0));
  }
});
`;

/** Lines of the runtime's own log worth keeping (the rest is accelerator registration noise and a WebGPU probe). */
function keepRuntimeLine(l: string): boolean {
  return /XNNPACK delegate|Replacing \d+ out of \d+ node|Failed to apply|ERROR/.test(l) && !/WebGPU|navigator/.test(l);
}

/** Checks a .tflite file can be run by LiteRT.js before starting it: readable, and inputs of types it has. */
export async function checkLiteRtModel(file: string): Promise<void> {
  let s;
  try {
    s = await summarizeTfliteFile(file);
  } catch (e) {
    if (e instanceof TfliteFormatError) throw new LiteRtError(`${path.basename(file)} is not a TFLite model LiteRT.js can run: ${e.message}`);
    throw e;
  }
  const bad = s.inputs.filter((i) => !(LITERT_INPUT_TYPES as readonly string[]).includes(i.type));
  if (bad.length) {
    throw new LiteRtError(`LiteRT.js cannot feed ${bad.map((i) => `${i.name} (${i.type})`).join(', ')}: its tensors are ${LITERT_INPUT_TYPES.join(', ')} only. Run benchmark_model on a phone for this model.`);
  }
}

/** Runs a .tflite model with LiteRT.js in a child process: init, warm-up and measured runs. */
export async function runLiteRt(file: string, o: LiteRtRunOptions = {}): Promise<LiteRtRun> {
  // Listen for a cancel first: one during the model check below must stop the run too (it has no child yet).
  let stopped = false;
  let kill = () => { stopped = true; };
  o.signal?.onAbort?.(() => kill());
  o.signal?.onCancel?.(() => kill());
  const fileBytes = (await stat(file)).size;
  await checkLiteRtModel(file);
  if (stopped) throw new LiteRtError('LiteRT.js stopped: cancelled');
  const lib = locateLiteRt(o.packageDir);
  const req = {
    file, entry: lib.entry, wasmDir: lib.wasmDir, seed: o.seed ?? 1,
    warmupRuns: o.warmupRuns ?? 1, warmupMinSecs: o.warmupMinSecs ?? 0.5,
    numRuns: o.numRuns ?? 50, minSecs: o.minSecs ?? 1, maxSecs: o.maxSecs ?? 150,
  };
  const child = spawn(process.execPath, ['-e', CHILD], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '' },
    windowsHide: true,
  });
  const log: string[] = [];
  let partial = '';
  const onData = (b: Buffer) => {
    const lines = (partial + b.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) log.push(l.replace(/\r$/, ''));
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  kill = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  type Reply = { ok: true } & Omit<LiteRtRun, 'version' | 'file' | 'fileBytes' | 'initUs' | 'runtimeLog' | 'accelerator' | 'threads'> | { ok: false; error: string };
  const reply = await new Promise<Reply>((resolve, reject) => {
    let got: Reply | undefined;
    child.on('message', (m) => { got = m as Reply; });
    child.on('error', (e) => reject(new LiteRtError(`could not start LiteRT.js: ${e.message}`)));
    child.on('exit', (code, sig) => {
      if (partial.trim()) log.push(partial);
      if (got) resolve(got);
      else if (sig === 'SIGKILL') reject(new LiteRtError('LiteRT.js stopped: cancelled'));
      else reject(new LiteRtError(`LiteRT.js exited (${sig ?? `code ${code}`}) before it finished: ${log.filter((l) => !/^INFO: \[/.test(l)).slice(-5).join(' | ') || 'no message'}`));
    });
    child.send(req);
  });
  if (!reply.ok) throw new LiteRtError(`LiteRT.js could not run ${path.basename(file)}: ${reply.error}`);
  const { ok: _ok, ...r } = reply;
  return {
    ...r,
    version: lib.version,
    file,
    fileBytes,
    initUs: r.loadUs + r.compileUs,
    runtimeLog: log.filter(keepRuntimeLine),
    accelerator: 'wasm',
    threads: 1,
  };
}
