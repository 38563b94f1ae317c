import { loadModel, toNumber } from './model';
import { summarize, type ModelSummary, type SummaryOptions } from './summary';
import { layoutGraph, type GraphView } from './graph';
import { ShapeInference } from './shapes';

export interface ModelInspection {
  summary: ModelSummary;
  graph: GraphView;
}

/** Everything the model editor shows: the summary and the laid-out main graph. */
export async function inspectFile(file: string, opts: SummaryOptions = {}): Promise<ModelInspection> {
  const loaded = await loadModel(file);
  const summary = summarize(loaded, opts);
  const opset = (loaded.model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const si = new ShapeInference(opset ? toNumber(opset.version) : 1, opts.dims);
  si.run(loaded.model.graph ?? {});
  return { summary, graph: layoutGraph(loaded.model.graph ?? {}, si, 20000, { io: true }) };
}
