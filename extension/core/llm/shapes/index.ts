/**
 * Choosing an SLM's shape by the phone: the engine API the LLM panel and the CLI call.
 *  - buildDecoder(shape, outFile): a random-weight decoder ONNX (fp32 / int8 / int4) our runner times unchanged;
 *  - exploreShapes({ space, target, … }): every shape of a space built and timed, cached per device, with fronts;
 *  - shapeConfigJson(shape): the shape as a Hugging Face LlamaConfig-style JSON for training;
 *  - quantizeDecoderInt4(inFile, outFile): int4 weight-only (MatMulNBits) through the quantizer's rewrite.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadModel, saveModel } from '../../onnx/model';
import { checkModel, describeProblems } from '../../onnx/check';
import { prepareModel, refusalReason } from '../../quantize/quantize';
import { rewriteInt4 } from '../../quantize/rewrite';
import { QuantizeError } from '../../quantize/tensors';
import { buildDecoderModel, type BuiltDecoder } from './build';
import type { DecoderShape, FullShape, ParamCount } from './shape';

export * from './shape';
export { buildDecoderModel, type BuiltDecoder } from './build';
export { enumerateShapes, exploreShapes, exportShapeConfig, parseSpace, shapeFronts, deviceOf, MAX_CANDIDATES, type Choice, type ShapeSpace, type ExploreOptions, type ExploreResult, type ExploreTarget, type ShapeResult, type ShapeFront, type Enumeration } from './explore';

export interface BuildDecoderResult {
  file: string;
  sizeBytes: number;
  shape: FullShape;
  params: ParamCount;
  quantizedMatMuls: number;
  notes: string[];
}

/** Builds the decoder and writes it to a new file (never overwriting), after onnxruntime loads it (unless `verify: false`). */
export async function buildDecoder(shape: DecoderShape, outFile: string, opts: { verify?: boolean } = {}): Promise<BuildDecoderResult> {
  const file = path.resolve(outFile);
  if (await fs.stat(file).catch(() => undefined)) throw new Error(`${file} already exists: choose a new name (nothing is ever overwritten)`);
  const built: BuiltDecoder = buildDecoderModel(shape);
  const sizeBytes = await saveModel(built.model, file);
  if (opts.verify !== false) {
    const { loadOrt, OrtModelError } = await import('../../profile/ort');
    try {
      const s = await loadOrt().InferenceSession.create(file, { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
      await s.release();
    } catch (err) {
      throw new OrtModelError(path.basename(file), `onnxruntime refused the built decoder (a bug in the builder): ${(err as Error).message}`);
    }
  }
  return { file, sizeBytes, shape: built.shape, params: built.params, quantizedMatMuls: built.quantizedMatMuls, notes: built.notes };
}

export interface Int4Result {
  input: { file: string; bytes: number };
  output: { file: string; bytes: number };
  quantizedMatMuls: number;
  skipped: Array<{ node: string; reason: string }>;
  notes: string[];
}

/**
 * int4 weight-only through the quantizer's rewrite (MatMulNBits, block 32, symmetric), as `mobileai quantize
 * --mode int4` writes it, without the float-vs-quantized fidelity report (a decoder's logits over random
 * prompts say little; the LLM benchmark of both models is the comparison). Refuses what the quantizer refuses.
 */
export async function quantizeDecoderInt4(inFile: string, outFile: string, opts: { blockSize?: number } = {}): Promise<Int4Result> {
  const input = path.resolve(inFile);
  const output = path.resolve(outFile);
  if (input === output) throw new QuantizeError('the output must be a new file: the input model is never overwritten');
  if (await fs.stat(output).catch(() => undefined)) throw new QuantizeError(`${output} already exists: choose a new name (nothing is ever overwritten)`);
  const loaded = await loadModel(input);
  const refusal = refusalReason(loaded.model, path.basename(input));
  if (refusal) throw new QuantizeError(refusal);
  const model = loaded.model;
  const notes = prepareModel(model, 'int4', false).notes;
  const blockSize = opts.blockSize ?? 32;
  const stats = rewriteInt4(model, { perChannel: false, symmetricWeights: true, activationType: 'int8', symmetricActivations: false, reduceRange: false, blockSize, int4Symmetric: true, excludeNodes: [], excludeOpTypes: [], keepFirstLast: false });
  if (!stats.quantizedNodes.length) throw new QuantizeError(`${path.basename(input)} has nothing to quantize to int4: no MatMul with a constant 2-D float weight`);
  const problems = checkModel(model);
  if (problems.length) throw new QuantizeError(`the int4 model fails the structural check (a bug in the quantizer, please report it): ${describeProblems(problems)}`);
  const bytes = await saveModel(model, output);
  notes.push(`${stats.quantizedNodes.length} MatMuls → com.microsoft MatMulNBits (4 bits, block ${blockSize}, symmetric); Gather embeddings and attention's activation MatMuls stay float`);
  return { input: { file: input, bytes: loaded.fileBytes }, output: { file: output, bytes }, quantizedMatMuls: stats.quantizedNodes.length, skipped: stats.skipped, notes };
}
