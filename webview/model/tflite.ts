/** The model editor's views of a .tflite file (the graph tab is the same canvas view as for ONNX). */
import { button, toolbar } from '../shared/components';
import { el, fmtBytes } from '../shared/vscode';
import { sortableTable } from '../shared/vscode';
import type { TfliteSummary, TfliteTensorRef, TfliteTensorSummary } from '../../extension/core/tflite/summary';

/** The graph view's colours for TFLite's builtin ops: the same families as the ONNX colours. */
export const TFLITE_OP_COLORS: Record<string, string> = {
  CONV_2D: '#0072B2', DEPTHWISE_CONV_2D: '#0072B2', TRANSPOSE_CONV: '#0072B2', CONV_3D: '#0072B2', FULLY_CONNECTED: '#E69F00', BATCH_MATMUL: '#E69F00',
  RELU: '#009E73', RELU6: '#009E73', RELU_N1_TO_1: '#009E73', LEAKY_RELU: '#009E73', PRELU: '#009E73', HARD_SWISH: '#009E73', LOGISTIC: '#009E73', TANH: '#009E73', GELU: '#009E73',
  ADD: '#56B4E9', SUB: '#56B4E9', MUL: '#56B4E9', DIV: '#56B4E9', RESHAPE: '#BBBBBB', TRANSPOSE: '#BBBBBB', SQUEEZE: '#BBBBBB', EXPAND_DIMS: '#BBBBBB', PAD: '#BBBBBB',
  DEQUANTIZE: '#8C8C8C', QUANTIZE: '#8C8C8C', MAX_POOL_2D: '#D55E00', AVERAGE_POOL_2D: '#D55E00', MEAN: '#D55E00',
  CONCATENATION: '#CC79A7', SOFTMAX: '#F0E442', RESIZE_BILINEAR: '#F5C2DA', RESIZE_NEAREST_NEIGHBOR: '#F5C2DA',
};

const shape = (s: Array<number | null>) => `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]`;

export function tfliteHeader(fileName: string, s: TfliteSummary): HTMLElement {
  const facts = [
    fmtBytes(s.fileBytes),
    `TFLite schema ${s.schemaVersion}`,
    `${s.subgraphs.length} subgraph${s.subgraphs.length === 1 ? '' : 's'}`,
    ...(s.metadata.minRuntimeVersion ? [`min runtime ${s.metadata.minRuntimeVersion}`] : []),
    ...(s.description ? [s.description] : []),
  ];
  return el('div', {}, el('h1', {}, fileName), el('div', { class: 'muted', id: 'model-facts' }, facts.join(' · ')));
}

/** What TFLite can and cannot do here, in place of the ONNX-only buttons. */
export function tfliteToolbar(onProfilePhone: () => void): HTMLElement {
  const phone = button('Profile on Phone', onProfilePhone, { icon: 'device-mobile', id: 'profile-phone', title: "Profile on the selected phone with TFLite's benchmark_model" });
  return toolbar('Model actions', phone,
    el('span', { class: 'muted', id: 'tflite-note' },
      "TFLite models are profiled on phones with TFLite's benchmark_model (setting mobileAI.profiling.tfliteBenchmarkModel). Host profiling and quantization here work on ONNX models; a TFLite model is quantized when it is converted."));
}

export function tfliteSummaryView(s: TfliteSummary): HTMLElement {
  const io = (title: string, vals: TfliteTensorRef[], id: string) => [el('h2', {}, title), sortableTable([
    { title: 'Name', value: (v: TfliteTensorRef) => v.name },
    { title: 'Type', value: (v) => v.type },
    { title: 'Shape', value: (v) => shape(v.shape) },
    { title: 'Tensor', value: (v) => v.index, numeric: true },
  ], vals, { id })];
  const mm = s.metadata.model;
  return el('div', { id: 'summary' },
    ...io('Inputs', s.inputs, 'tflite-inputs'),
    ...io('Outputs', s.outputs, 'tflite-outputs'),
    ...(s.signatures.length ? [el('h2', {}, 'Signatures'), ...s.signatures.map((g) => el('div', {}, `${g.key} (subgraph ${g.subgraph}): ${g.inputs.map((i) => `${i.name} ${i.tensor.type}${shape(i.tensor.shape)}`).join(', ')} → ${g.outputs.map((o) => `${o.name} ${o.tensor.type}${shape(o.tensor.shape)}`).join(', ')}`))] : []),
    el('h2', {}, 'Size'),
    el('div', { class: 'kv' },
      el('span', {}, 'Operators'), el('span', { id: 'node-count' }, `${s.operatorCount}${s.operatorCountAllSubgraphs !== s.operatorCount ? ` (${s.operatorCountAllSubgraphs} in all subgraphs)` : ''}`),
      el('span', {}, 'Tensors'), el('span', {}, String(s.tensors.length)),
      el('span', {}, 'Weights'), el('span', { id: 'param-count' }, `${s.weights.count.toLocaleString('en-US')} (${fmtBytes(s.weights.bytes)}) in ${s.weights.tensors} tensors`),
      el('span', {}, 'Quantized'), el('span', { id: 'quantized' }, s.quantization.tensors ? `${s.quantization.tensors} tensors (${s.quantization.types.join(', ')}), ${s.quantization.perChannel} per-channel` : 'none'),
      ...(s.sparseTensors ? [el('span', {}, 'Sparse'), el('span', {}, `${s.sparseTensors} tensors`)] : []),
      ...(s.buffers.beyondFlatbuffer ? [el('span', {}, 'Stored after the flatbuffer'), el('span', {}, `${s.buffers.beyondFlatbuffer} buffers, ${fmtBytes(s.buffers.beyondFlatbufferBytes)}`)] : []),
    ),
    el('h2', {}, 'Weights by type'),
    sortableTable([
      { title: 'Type', value: (r: [string, { tensors: number; count: number; bytes: number }]) => r[0] },
      { title: 'Tensors', value: (r) => r[1].tensors, numeric: true },
      { title: 'Elements', value: (r) => r[1].count, render: (r) => r[1].count.toLocaleString('en-US'), numeric: true },
      { title: 'Bytes', value: (r) => r[1].bytes, render: (r) => fmtBytes(r[1].bytes), numeric: true },
    ], Object.entries(s.weights.byDtype), { initialSort: 3 }),
    ...(s.metadata.entries.length ? [el('h2', {}, 'Metadata'), el('div', { class: 'kv' }, ...s.metadata.entries.flatMap((e) => [el('span', {}, e.name), el('span', {}, e.text ?? `${fmtBytes(e.bytes)}`)]))] : []),
    ...(mm ? [el('h2', {}, 'Model metadata'), el('div', { class: 'kv', id: 'model-metadata' },
      ...([['Name', mm.name], ['Description', mm.description], ['Version', mm.version], ['Author', mm.author], ['License', mm.license]] as Array<[string, string | undefined]>)
        .filter(([, v]) => v).flatMap(([k, v]) => [el('span', {}, k), el('span', {}, v as string)]),
      ...mm.associatedFiles.flatMap((f) => [el('span', {}, 'Associated file'), el('span', {}, `${f.name} (${f.type})${f.description ? `: ${f.description}` : ''}`)]))] : []),
    ...(s.associatedFiles.length ? [el('h2', {}, 'Files packed in the model'), ...s.associatedFiles.map((f) => el('div', {}, `${f.name} — ${fmtBytes(f.bytes)}`))] : []),
    ...(s.warnings.length ? [el('h2', {}, 'Warnings'), ...s.warnings.map((w) => el('div', { class: 'warning' }, w))] : []),
  );
}

export function tfliteOpsView(s: TfliteSummary): HTMLElement {
  return el('div', {}, el('h2', {}, `Operators (${s.opHistogram.length} kinds, ${s.operatorCountAllSubgraphs} operators)`), sortableTable([
    { title: 'Operator', value: (h: TfliteSummary['opHistogram'][number]) => h.op },
    { title: 'Kind', value: (h) => (h.custom ? 'custom' : 'builtin') },
    { title: 'Version', value: (h) => h.version, numeric: true },
    { title: 'Count', value: (h) => h.count, numeric: true },
  ], s.opHistogram, { id: 'op-table', initialSort: 3 }));
}

function quantText(t: TfliteTensorSummary): string {
  const q = t.quantization;
  if (!q || (!q.scale.length && !q.details)) return '';
  if (q.details) return q.details;
  if (!q.perChannel) return `scale ${+q.scale[0].toPrecision(6)}, zero point ${q.zeroPoint[0] ?? 0}`;
  return `per-channel (axis ${q.quantizedDimension}): ${q.scale.length} scales ${+Math.min(...q.scale).toPrecision(4)}…${+Math.max(...q.scale).toPrecision(4)}`;
}

export function tfliteTensorsView(s: TfliteSummary): HTMLElement {
  return el('div', {}, el('h2', {}, `Tensors (${s.tensors.length})`), sortableTable([
    { title: 'Subgraph', value: (t: TfliteTensorSummary) => t.subgraph, numeric: true },
    { title: '#', value: (t) => t.index, numeric: true },
    { title: 'Name', value: (t) => t.name },
    { title: 'Type', value: (t) => t.type },
    { title: 'Shape', value: (t) => shape(t.shape) },
    { title: 'Bytes', value: (t) => t.bytes, render: (t) => (t.bytes ? fmtBytes(t.bytes) : ''), numeric: true },
    { title: 'Quantization', value: (t) => quantText(t) },
    { title: 'Sparsity', value: (t) => (t.sparsity ? t.sparsity.dimFormats.join('/') : '') },
  ], s.tensors, { id: 'tensor-table', maxRows: 5000 }));
}
