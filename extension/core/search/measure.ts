import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { loadOrt } from '../profile/ort';
import type { AdbService } from '../adb/adbService';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';
import { shellCommand } from '../util/shellQuote';
import type { LatencyTable, TableEntry } from './table';

export interface MeasureOptions {
  runs?: number;
  /** Host tables: whole random networks timed to correct the block sums (default 4; 0 turns it off). */
  calibrationNetworks?: number;
  warmup?: number;
  threads?: number;
  signal?: CancelSignal;
  progress?: ProgressSink;
}

/** Times one model on this machine with onnxruntime-node: median, std and count of `runs` runs after warm-up. */
export async function timeOnHost(model: Uint8Array | string, o: MeasureOptions = {}): Promise<TableEntry> {
  const ort = loadOrt();
  const s = await ort.InferenceSession.create(model as Uint8Array, { graphOptimizationLevel: 'all', ...(o.threads ? { intraOpNumThreads: o.threads } : {}) });
  try {
    const meta = s.inputMetadata[0];
    const dims = (meta.isTensor ? meta.shape : []).map((d) => (typeof d === 'number' ? d : 1));
    const x = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims);
    const feeds = { [s.inputNames[0]]: x };
    for (let i = 0; i < (o.warmup ?? 3); i++) await s.run(feeds);
    const ts: number[] = [];
    for (let i = 0; i < (o.runs ?? 20); i++) {
      const t = performance.now();
      await s.run(feeds);
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    const mean = ts.reduce((a, b) => a + b, 0) / ts.length;
    return { mean: ts[Math.floor(ts.length / 2)], std: Math.sqrt(ts.reduce((a, b) => a + (b - mean) ** 2, 0) / ts.length), count: ts.length };
  } finally {
    await s.release();
  }
}

/** A model with the same input and output shapes whose only work is producing an output (the call overhead). */
export function emptyLike(model: onnx.IModelProto): Uint8Array {
  const g = model.graph as onnx.IGraphProto;
  const input = g.input?.[0];
  const output = g.output?.[0];
  const outDims = output?.type?.tensorType?.shape?.dim?.map((d) => Number(d.dimValue)) ?? [];
  const shape = { name: 'shape', dataType: 7, dims: [outDims.length], rawData: new Uint8Array(BigInt64Array.from(outDims.map(BigInt)).buffer) };
  const empty: onnx.IModelProto = {
    irVersion: 8, opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'empty', initializer: [shape],
      node: [
        { opType: 'ReduceMax', input: ['input'], output: ['m'], attribute: [{ name: 'keepdims', type: 2, i: 0 }] },
        { opType: 'Expand', input: ['m', 'shape'], output: ['output'] },
      ],
      input: [input as onnx.IValueInfoProto], output: [output as onnx.IValueInfoProto],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(empty as Record<string, unknown>)).finish();
}

/**
 * Builds a latency table by measurement: each block as a small ONNX model, timed on this machine, or on a
 * phone through onnxruntime_perf_test (the virtual phone's runs on the host CPU, and the table says so).
 */
export async function buildTable(blocks: Array<{ key: string; model: onnx.IModelProto }>, target: { kind: 'host' } | { kind: 'phone'; adb: AdbService; serial: string; runner?: string }, meta: { resolution?: number; space: string }, o: MeasureOptions = {}): Promise<LatencyTable> {
  const entries: Record<string, TableEntry> = {};
  const ort = loadOrt();
  let device: LatencyTable['device'] = { label: `host CPU (${os.cpus()[0]?.model?.trim() ?? os.arch()}, ${os.cpus().length} cores)` };
  let runtime: LatencyTable['runtime'] = { name: 'onnxruntime-node', version: ort.env.versions?.node };
  let remoteDir = '';
  let runner = 'onnxruntime_perf_test';
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-table-'));
  try {
    if (target.kind === 'phone') {
      const info = await target.adb.info(target.serial);
      device = { label: [info.manufacturer, info.model].filter(Boolean).join(' ') || target.serial, serial: target.serial, soc: info.soc.label, note: info.virtual ? 'virtual phone: measured on the host CPU' : undefined };
      runtime = { name: 'onnxruntime_perf_test' };
      if (!info.virtual && !target.runner) throw new Error(`building a table on ${device.label} needs onnxruntime_perf_test built for Android: set "mobileAI.profiling.onnxruntimePerfTest" (CLI: --ort-runner PATH)`);
      remoteDir = '/data/local/tmp/mobileai/table';
      await target.adb.exec(target.serial, ['mkdir', '-p', remoteDir]);
      if (target.runner) {
        runner = `${remoteDir}/onnxruntime_perf_test`;
        await target.adb.push(target.serial, target.runner, runner, { mode: 0o755 });
        await target.adb.exec(target.serial, ['chmod', '755', runner]);
      }
    }
    for (let i = 0; i < blocks.length; i++) {
      if (o.signal?.cancelled) throw new CancelledError('table build cancelled');
      o.progress?.report({ done: i, total: blocks.length, message: `measuring ${i + 1}/${blocks.length}` });
      const bytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject(blocks[i].model as Record<string, unknown>)).finish();
      if (target.kind === 'host') {
        // What one run costs beyond the block (the call, copying the input in and the output out) is not
        // part of the block inside a network: time a bare model of the same input and output and subtract it.
        const t = await timeOnHost(bytes, o);
        const base = await timeOnHost(emptyLike(blocks[i].model), o);
        entries[blocks[i].key] = { ...t, mean: Math.max(0, t.mean - base.mean) };
      } else {
        const local = path.join(tmp, `block${i}.onnx`);
        await fs.writeFile(local, bytes);
        const remote = `${remoteDir}/block${i}.onnx`;
        await target.adb.push(target.serial, local, remote);
        const r = await target.adb.exec(target.serial, [runner, '-m', 'times', '-r', String(o.runs ?? 20), '-e', 'cpu', '-I', ...(o.threads ? ['-x', String(o.threads)] : []), remote], { timeoutMs: 10 * 60 * 1000 });
        const out = r.stdout.toString('utf8');
        const avg = /Average inference time cost:\s*([\d.]+)\s*ms/.exec(out);
        if (r.exitCode !== 0 || !avg) throw new Error(`measuring ${blocks[i].key} on ${device.label} failed: ${(r.stderr.toString() || out).trim().split('\n').slice(-3).join(' | ')} (command: ${shellCommand([runner, remote])})`);
        const p50 = /P50 Latency:\s*([\d.]+)\s*s/.exec(out);
        entries[blocks[i].key] = { mean: p50 ? Number(p50[1]) * 1000 : Number(avg[1]), count: o.runs ?? 20 };
        await target.adb.exec(target.serial, ['rm', '-f', remote]);
      }
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return {
    schema: 'mobileai.latency-table/1', device, runtime, resolution: meta.resolution, unit: 'ms', entries,
    provenance: { source: `measured by Mobile AI Studio (${meta.space} blocks, ${o.runs ?? 20} runs each, median)`, createdAt: new Date().toISOString(), note: device.note },
  };
}
