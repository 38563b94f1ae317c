import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ProfileResult } from '../../core/profile/types';
import type { OptLevel } from '../../core/profile/ort';
import { type CancelSource } from '../../core/util/progress';
import type { DeviceStore } from '../devices/deviceStore';
import { pickDevice } from '../devices/deviceCommands';
import { SECTION } from '../config';
import type { InputOverrides } from '../../core/inputs/spec';
import { ensureInputs } from '../models/modelInputs';

export interface ProfileRequest {
  model: string;
  target: 'host' | 'phone';
  serial?: string;
  optimization: OptLevel;
  /** Overrides of the profiling settings (from mobileai.yaml). */
  runs?: number;
  warmup?: number;
  dims?: Record<string, number>;
  /** Shapes and values of the inputs: given (mobileai.yaml), chosen in the model editor, or asked for. */
  inputs?: InputOverrides;
  /** Where the settings came from when not from the user now (e.g. `mobileai.yaml's profile for "mnist"`). */
  from?: string;
}

export function describeRequest(r: ProfileRequest): string {
  return `${path.basename(r.model)} · ${r.target === 'host' ? 'this machine' : r.serial} · optimization ${r.optimization}${r.from ? ` · settings from ${r.from}` : ''}`;
}

function profilingSettings() {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    runs: c.get<number>('profiling.runs') ?? 20,
    warmup: c.get<number>('profiling.warmup') ?? 3,
    dims: c.get<Record<string, number>>('profiling.dimensions') ?? {},
    ortRunner: c.get<string>('profiling.onnxruntimePerfTest') || undefined,
    tfliteRunner: c.get<string>('profiling.tfliteBenchmarkModel') || undefined,
    threads: c.get<number>('profiling.threads') || undefined,
  };
}

/** Asks what to profile with (optimization level; a device for phone runs). */
export async function buildRequest(store: DeviceStore, model: string, target: 'host' | 'phone', optimization?: OptLevel, serialGiven?: string, overrides: Pick<ProfileRequest, 'runs' | 'warmup' | 'dims' | 'inputs' | 'from'> = {}): Promise<ProfileRequest | undefined> {
  let opt = optimization;
  if (!opt) {
    const pick = await vscode.window.showQuickPick(
      [
        // From the most optimized to none, as ONNX Runtime's levels build on each other
        // (onnxruntime.ai/docs/performance/model-optimizations/graph-optimizations.html).
        { label: 'all', description: 'fused kernels and layout optimizations, as deployed (default)', opt: 'all' as const },
        { label: 'extended', description: 'basic plus complex fusions (e.g. GELU, LayerNorm, attention)', opt: 'extended' as const },
        { label: 'basic', description: 'constant folding, redundant nodes removed, simple fusions', opt: 'basic' as const },
        { label: 'disabled', description: 'one kernel per node of the file (compare with the graph)', opt: 'disabled' as const },
      ],
      { title: `Profile ${path.basename(model)}: graph optimization level` },
    );
    if (!pick) return undefined;
    opt = pick.opt;
  }
  let serial: string | undefined = serialGiven;
  if (target === 'phone' && !serial) {
    serial = await pickDevice(store, undefined, { readyOnly: true, title: `Profile ${path.basename(model)} on…` });
    if (!serial) return undefined;
  }
  // Every input needs a shape: what was given or chosen before, else the user is asked (and it is remembered).
  const inputs = await ensureInputs(model, { ...overrides.inputs, dims: { ...profilingSettings().dims, ...overrides.dims, ...overrides.inputs?.dims } });
  if (!inputs) return undefined;
  return { model, target, serial, optimization: opt, ...overrides, inputs };
}

/** Runs a profile with progress reported to `onProgress`; cancellable through `cancel`. */
export async function runProfile(store: DeviceStore, req: ProfileRequest, cancel: CancelSource, onProgress: (message: string, fraction?: number) => void): Promise<ProfileResult> {
  const base = profilingSettings();
  const s = { ...base, runs: req.runs ?? base.runs, warmup: req.warmup ?? base.warmup, dims: { ...base.dims, ...(req.dims ?? {}) } };
  const progress = { report: (p: { done?: number; total?: number; message?: string }) => onProgress(p.message ?? '', p.total ? (p.done ?? 0) / p.total : undefined) };
  if (req.target === 'phone' && req.serial) {
    const { profileOnPhone } = await import('../../core/profile/phoneProfiler');
    return profileOnPhone(store.adb, req.serial, req.model, { ...s, inputs: req.inputs, optimization: req.optimization, progress, signal: cancel.signal });
  }
  if (/\.tflite$/i.test(req.model)) {
    // LiteRT.js on this computer: whole-run latency (no per-op profiler), at the model's own input shapes.
    const { profileTfliteOnHost } = await import('../../core/litert/profile');
    onProgress(`running ${path.basename(req.model)} with LiteRT.js on this computer`);
    return profileTfliteOnHost(req.model, { runs: s.runs, warmup: s.warmup, signal: cancel.signal });
  }
  const { profileOnHost } = await import('../../core/profile/hostProfiler');
  return (await profileOnHost(req.model, { ...s, inputs: req.inputs, optimization: req.optimization, progress, signal: cancel.signal })).result;
}
