import { loadTflite } from './reader';
import { summarizeTflite, type TfliteSummary } from './summary';
import { layoutTfliteGraph } from './graph';
import type { GraphView } from '../onnx/graph';

export interface TfliteInspection {
  summary: TfliteSummary;
  /** The main subgraph, laid out like an ONNX graph. */
  graph: GraphView;
}

/** Everything the model editor shows for a .tflite file: the summary and the laid-out main subgraph. */
export async function inspectTfliteFile(file: string): Promise<TfliteInspection> {
  const loaded = await loadTflite(file);
  return { summary: summarizeTflite(loaded), graph: layoutTfliteGraph(loaded, 0, 20000, { io: true }) };
}
