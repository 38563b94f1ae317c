/**
 * Puts a profile's kernel times back on the nodes of the model as written, for the graph view's colouring.
 * Runtimes rename what they fuse, so a kernel name is matched to the original nodes by what the runtime does:
 *
 * - onnxruntime: a kernel is named after its node (the `<name>_kernel_time` event, suffix already stripped).
 *   Fusions name the new node after an original one: `"fused " + conv.Name()` (FusedConv, FusedGemm: the
 *   activation that followed is part of it), `matmul.Name() + "/MatMulAddFusion"` (Gemm: the Add after it),
 *   `mul.Name() + "/LayerNormFusion/"`; a constant Add/Mul/BatchNormalization after a Conv is folded into it and
 *   disappears (conv_add_fusion.cc, conv_mul_fusion.cc, conv_bn_fusion.cc); Graph::GenerateNodeName appends `_token_<n>` when the name is taken
 *   (older releases: always `_<n>`) (onnxruntime/core/optimizer/conv_activation_fusion.cc,
 *   gemm_activation_fusion.cc, matmul_add_fusion.cc, layer_norm_fusion.cc; core/graph/graph.cc). A name that contains two or more node names (`Conv_0_Relu_1`) covers those nodes.
 * - TFLite benchmark_model: rows are `[outputs]:<node index>`; a delegate's kernel row (TfLiteXNNPackDelegate…)
 *   lists the partition's output tensors and stands for the ops it replaced (the unprofiled ops feeding those
 *   outputs); a delegate's own rows (`Delegate/<OP>:<i>`) are matched to the replaced ops of that type in order.
 */
import type { GraphNodeView } from './graph';

export interface ProfileKernel {
  name: string;
  opType: string;
  meanUs: number;
  provider?: string;
  nodeIndex?: number;
  subgraph?: number;
  partition?: string;
}

export interface NodeCost {
  /** The kernel's time per run (µs); shared by every node the kernel covers. */
  us: number;
  kernel: string;
  kernelOp: string;
  provider?: string;
  /** How many original nodes the kernel covers (1 unless fused or a delegate partition). */
  covers: number;
  how: 'name' | 'fused' | 'index' | 'partition' | 'delegate op';
}

export interface ProfileMapping {
  byNode: Map<number, NodeCost>;
  /** Kernels that could not be put on any node (a runtime-made node with a generic name, a compiled partition…). */
  unmatched: ProfileKernel[];
}

const FOLDS_INTO = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
const FOLDABLE = new Set(['Add', 'Mul', 'Sub', 'Div', 'BatchNormalization']);
const ACTIVATIONS = new Set(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Softplus', 'Softsign', 'ThresholdedRelu', 'PRelu', 'Gelu', 'FastGelu', 'QuickGelu', 'Mish']);

export function mapProfile(nodes: GraphNodeView[], kernels: ProfileKernel[], format: 'onnx' | 'tflite'): ProfileMapping {
  const ops = nodes.filter((n) => (n.kind ?? 'op') === 'op');
  const consumers = new Map<string, GraphNodeView[]>();
  const producerOf = new Map<string, GraphNodeView>();
  for (const n of ops) {
    for (const i of n.inputs) (consumers.get(i.name) ?? consumers.set(i.name, []).get(i.name) as GraphNodeView[]).push(n);
    for (const o of n.outputs) producerOf.set(o.name, n);
  }
  const byNode = new Map<number, NodeCost>();
  const unmatched: ProfileKernel[] = [];
  const put = (k: ProfileKernel, covered: GraphNodeView[], how: NodeCost['how']) => {
    for (const n of covered) {
      const prev = byNode.get(n.id);
      // A node run by several kernels (a loop body, a split) adds up; a fused group keeps the kernel's time.
      byNode.set(n.id, prev && prev.kernel !== k.name ? { ...prev, us: prev.us + k.meanUs } : { us: k.meanUs, kernel: k.name, kernelOp: k.opType, provider: k.provider, covers: covered.length, how });
    }
  };
  if (format === 'onnx') {
    // onnxruntime calls an unnamed node `<OpType>_<index in the model's node list>` in its profile (seen with
    // onnxruntime-node 1.30 on Ultraface, none of whose nodes has a name: test/integration/profileMapReal.test.ts).
    const byName = new Map(ops.map((n) => [n.name || (n.index !== undefined ? `${n.opType}_${n.index}` : ''), n] as const).filter(([k]) => k));
    const named = new Set(kernels.map((k) => k.name));
    const sole = (n: GraphNodeView) => {
      const cs = n.outputs.flatMap((o) => consumers.get(o.name) ?? []);
      return cs.length === 1 && !named.has(cs[0].name) ? cs[0] : undefined;
    };
    /**
     * What a kernel named after `n` also ran: a following Add/Mul/BatchNormalization whose other inputs are weights
     * (ConvAddFusion, ConvMulFusion, ConvBNFusion fold them into the Conv and drop them), and for a fused kernel
     * the activation after that (ConvActivationFusion, GemmActivationFusion).
     */
    const absorb = (n: GraphNodeView, fused: boolean): GraphNodeView[] => {
      const chain = [n];
      let cur = n;
      for (let k = 0; k < 4; k++) {
        const next = sole(cur);
        if (!next) break;
        const weights = new Set((next.weights ?? []).map((w) => w.name));
        const produced = new Set(cur.outputs.map((o) => o.name));
        if (FOLDS_INTO.has(n.opType) && FOLDABLE.has(next.opType) && next.inputs.every((i) => produced.has(i.name) || weights.has(i.name))) {
          chain.push(next);
          cur = next;
          continue;
        }
        if (fused && ACTIVATIONS.has(next.opType)) chain.push(next);
        break;
      }
      return chain;
    };
    for (const k of kernels) {
      const exact = byName.get(k.name);
      if (exact) {
        const covered = absorb(exact, false);
        put(k, covered, covered.length > 1 ? 'fused' : 'name');
        continue;
      }
      const base = k.name.replace(/_token_\d+$/, '');
      // The fused node's base name, as written or without the counter older releases always appended.
      const lookup = (name: string) => byName.get(name) ?? byName.get(name.replace(/_\d+$/, ''));
      let m = /^fused (.+)$/.exec(base);
      if (m && lookup(m[1])) {
        const n = lookup(m[1]) as GraphNodeView;
        put(k, absorb(n, true), 'fused');
        continue;
      }
      m = /^(.+?)\/(\w+Fusion)\/?(?:_\d+)?$/.exec(base);
      if (m && lookup(m[1])) {
        const n = lookup(m[1]) as GraphNodeView;
        const add = m[2] === 'MatMulAddFusion' ? sole(n) : undefined;
        put(k, add?.opType === 'Add' ? [n, add] : [n], 'fused');
        continue;
      }
      // NCHWc layout (x86 with optimization "all"): a node named after the tensor it computes plus `_nchwc`. A Conv
      // with its activation fused is named after the activation's output: walk back to the op the kernel runs.
      m = /^(.+)_nchwc$/.exec(base);
      if (m && producerOf.has(m[1])) {
        let n = producerOf.get(m[1]) as GraphNodeView;
        for (let hops = 0; hops < 4 && n.opType !== k.opType && (ACTIVATIONS.has(n.opType) || FOLDABLE.has(n.opType)); hops++) {
          const src = producerOf.get(n.inputs[0]?.name ?? '');
          if (!src) break;
          n = src;
        }
        const covered = absorb(n, true);
        put(k, covered, covered.length > 1 ? 'fused' : 'name');
        continue;
      }
      // A name made of node names (`Conv_0_Relu_1`): every node whose name appears in it on a token boundary.
      const parts = ops.filter((n) => n.name.length >= 3 && n.name !== k.name && containsToken(k.name, n.name));
      const maximal = parts.filter((p) => !parts.some((q) => q !== p && q.name.includes(p.name)));
      if (maximal.length >= 2) { put(k, maximal, 'fused'); continue; }
      unmatched.push(k);
    }
    return { byNode, unmatched };
  }
  // TFLite: graph nodes carry their operator index in the `index` attribute.
  const byIndex = new Map<number, GraphNodeView>();
  for (const n of ops) {
    const idx = n.attributes.find(([a]) => a === 'index')?.[1];
    if (idx !== undefined) byIndex.set(Number(idx), n);
  }
  const main = kernels.filter((k) => !k.subgraph);
  const claimed = new Set<number>();
  const plain = main.filter((k) => !k.partition && k.nodeIndex !== undefined && byIndex.has(k.nodeIndex) && byIndex.get(k.nodeIndex)?.opType === k.opType);
  for (const k of plain) { put(k, [byIndex.get(k.nodeIndex as number) as GraphNodeView], 'index'); claimed.add(byIndex.get(k.nodeIndex as number)?.id as number); }
  const cpu = new Set(claimed);
  const rest = main.filter((k) => !plain.includes(k));
  // Delegate kernels: walk up from the partition's outputs through ops that no CPU row accounts for.
  const kernelsWithOutputs = rest.filter((k) => k.partition && /^\[(.+)\]:\d+$/.test(k.name));
  const partitionOutputs = new Set(kernelsWithOutputs.flatMap((k) => splitOutputs(k.name)));
  for (const k of kernelsWithOutputs.sort((a, b) => (a.nodeIndex ?? 0) - (b.nodeIndex ?? 0))) {
    const covered: GraphNodeView[] = [];
    const stack = splitOutputs(k.name).map((t) => producerOf.get(t)).filter((n): n is GraphNodeView => !!n);
    const own = new Set(splitOutputs(k.name));
    while (stack.length) {
      const n = stack.pop() as GraphNodeView;
      if (claimed.has(n.id)) continue;
      claimed.add(n.id);
      covered.push(n);
      for (const i of n.inputs) {
        if (partitionOutputs.has(i.name) && !own.has(i.name)) continue;
        const p = producerOf.get(i.name);
        if (p && !claimed.has(p.id)) stack.push(p);
      }
    }
    if (covered.length) put(k, covered, 'partition');
    else unmatched.push(k);
  }
  // A delegate's own op rows: the i-th row of an op type is the i-th not-yet-timed op of that type.
  const queue = new Map<string, GraphNodeView[]>();
  for (const n of ops) if (!cpu.has(n.id) && !byNode.has(n.id)) (queue.get(n.opType) ?? queue.set(n.opType, []).get(n.opType) as GraphNodeView[]).push(n);
  for (const k of rest.filter((x) => !kernelsWithOutputs.includes(x))) {
    const q = queue.get(k.opType);
    const n = q?.shift();
    if (n) put(k, [n], 'delegate op');
    else unmatched.push(k);
  }
  for (const k of kernels.filter((x) => x.subgraph)) unmatched.push(k);
  return { byNode, unmatched };
}

function splitOutputs(name: string): string[] {
  const m = /^\[(.*)\]:\d+$/.exec(name);
  return m && m[1] ? m[1].split(/,\s|\t/) : [];
}

function containsToken(hay: string, needle: string): boolean {
  let at = hay.indexOf(needle);
  const boundary = (c: string | undefined) => c === undefined || /[^A-Za-z0-9]/.test(c) || /\d/.test(needle[needle.length - 1]) !== /\d/.test(c);
  while (at >= 0) {
    if ((at === 0 || /[^A-Za-z0-9]/.test(hay[at - 1]) || hay[at - 1] === '_') && boundary(hay[at + needle.length])) return true;
    at = hay.indexOf(needle, at + 1);
  }
  return false;
}
