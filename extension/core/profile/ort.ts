/** onnxruntime-node, loaded on first use: it is a native module (activation stays fast). */
export type Ort = typeof import('onnxruntime-node');
let ortModule: Ort | undefined;

export function loadOrt(): Ort {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ortModule ??= require('onnxruntime-node') as Ort;
  return ortModule;
}

/** onnxruntime's refusal of a model, with its own reason. */
export class OrtModelError extends Error {
  constructor(file: string, reason: string) {
    super(`onnxruntime cannot load ${file}: ${reason.replace(/^Error:\s*/, '').trim()}`);
    this.name = 'OrtModelError';
  }
}

export const OPT_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
export type OptLevel = (typeof OPT_LEVELS)[number];
/** onnxruntime_perf_test's -o values for the same levels. */
export const PERF_TEST_OPT: Record<OptLevel, number> = { disabled: 0, basic: 1, extended: 2, all: 99 };
