import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrtProfile, ProfileParseError } from '../../extension/core/profile/ortProfile';
import { parseTfliteBenchmark, TfliteOutputError } from '../../extension/core/profile/tflite';
import { parseNpy, NpyError } from '../../extension/core/profile/npy';
import { compareProfiles } from '../../extension/core/profile/compare';
import { toChromeTrace, toCsv } from '../../extension/core/profile/export';
import type { ProfileResult } from '../../extension/core/profile/types';

function ortTrace(runs: Array<Array<[string, string, number]>>): unknown[] {
  const ev: unknown[] = [{ cat: 'Session', name: 'session_initialization', ts: 0, dur: 500, ph: 'X' }];
  let t = 1000;
  for (const nodes of runs) {
    const start = t;
    for (const [name, op, dur] of nodes) {
      ev.push({ cat: 'Node', name: `${name}_fence_before`, ts: t, dur: 0, ph: 'X', args: { op_name: op } });
      ev.push({ cat: 'Node', name: `${name}_kernel_time`, ts: t + 1, dur, ph: 'X', args: { op_name: op, provider: 'CPUExecutionProvider', mem_in_use_peak: String(1000 + dur) } });
      t += dur + 2;
    }
    ev.push({ cat: 'Session', name: 'model_run', ts: start, dur: t - start + 10, ph: 'X' });
    t += 100;
  }
  return ev;
}

test('ORT profiles: values computed over measured runs only', () => {
  const trace = ortTrace([
    [['conv', 'Conv', 1000], ['relu', 'Relu', 500]],
    [['conv', 'Conv', 100], ['relu', 'Relu', 20]],
    [['conv', 'Conv', 120], ['relu', 'Relu', 40]],
  ]);
  const p = parseOrtProfile(JSON.stringify(trace), 1);
  assert.equal(p.measuredRuns, 2);
  assert.equal(p.nodes.find((n) => n.name === 'conv')?.meanUs, 110);
  assert.equal(p.nodes.find((n) => n.name === 'relu')?.meanUs, 30);
  assert.equal(p.latencyMs.mean, (134 + 174) / 2 / 1000);
  assert.ok(Math.abs(p.kernelCoverage - (120 / 134 + 160 / 174) / 2) < 1e-9);
  assert.equal(p.peakMemoryBytes, 1120, 'peak allocator memory over the measured runs');
  const shares = p.nodes.reduce((a, n) => a + n.share, 0);
  assert.ok(shares > 0.8 && shares <= 1);
  assert.equal(p.timeline.events.length, 2);
  assert.equal(p.timeline.events[0].startUs, 1);
});

test('ORT profiles: nested subgraph events count once toward coverage', () => {
  const ev = [
    { cat: 'Session', name: 'model_run', ts: 0, dur: 100 },
    { cat: 'Node', name: 'if_kernel_time', ts: 0, dur: 80, args: { op_name: 'If' } },
    { cat: 'Node', name: 'inner_kernel_time', ts: 10, dur: 50, args: { op_name: 'Add' } },
  ];
  const p = parseOrtProfile(ev, 0);
  assert.equal(p.kernelCoverage, 0.8);
});

test('ORT profiles: garbage is refused with a reason', () => {
  assert.throws(() => parseOrtProfile('{not json', 0), ProfileParseError);
  assert.throws(() => parseOrtProfile('{"a":1}', 0), /JSON array/);
  assert.throws(() => parseOrtProfile('[]', 0), /no model_run/);
});

const TFLITE_OUTPUT = `STARTING!
Log parameter values verbosely: [0]
Num runs: [50]
Graph: [/data/local/tmp/mobilenet_v1_1.0_224.tflite]
Enable op profiling: [1]
Loaded model /data/local/tmp/mobilenet_v1_1.0_224.tflite
The input model file size (MB): 16.9008
Initialized session in 3.112ms.
Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
count=20 first=43566 curr=27126 min=26833 max=43566 avg=28153.3 std=3583

Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
count=50 first=27319 curr=27023 min=26720 max=29420 avg=27360.8 std=521

Inference timings in us: Init: 3112, First inference: 43566, Warmup (avg): 28153.3, Inference (avg): 27360.8
Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.
Memory footprint delta from the start of the tool (MB): init=6.11328 overall=22.1875
Peak memory footprint (MB): init=0 overall=22.1875
Profiling Info for Benchmark Initialization:
============================== Run Order ==============================
\t             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]
\t         AllocateTensors\t    0.321\t    0.321\t 100.000%\t 100.000%\t     0.000\t        1\t[AllocateTensors/0]

Operator-wise Profiling Info for Regular Benchmark Runs:
============================== Run Order ==============================
\t             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]
\t                 CONV_2D\t    1.002\t    0.981\t  3.611%\t  3.611%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_0/Relu6]
\t       DEPTHWISE_CONV_2D\t    0.800\t    0.812\t  2.989%\t  6.600%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_1_depthwise/Relu6]
\t                 CONV_2D\t    1.400\t    1.398\t  5.146%\t 11.746%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_1_pointwise/Relu6]
\t         AVERAGE_POOL_2D\t    0.020\t    0.019\t  0.070%\t 11.816%\t     0.000\t        1\t[MobilenetV1/Logits/AvgPool_1a/AvgPool]
\t                 SOFTMAX\t    0.010\t    0.009\t  0.033%\t 11.849%\t     0.000\t        1\t[MobilenetV1/Predictions/Reshape_1]

============================== Top by Computation Time ==============================
\t             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]
\t                 CONV_2D\t    1.400\t    1.398\t  5.146%\t  5.146%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_1_pointwise/Relu6]

Number of nodes executed: 5
============================== Summary by node type ==============================
\t             [Node type]\t  [count]\t  [avg ms]\t    [avg %]\t    [cdf %]\t  [mem KB]\t[times called]
\t                 CONV_2D\t        2\t     2.379\t     8.757%\t     8.757%\t     0.000\t        2

Timings (microseconds): count=50 first=27138 curr=26998 min=26603 max=29283 avg=27165.3 std=504
Memory (bytes): count=0
5 nodes observed
`;

test('TFLite benchmark_model op tables parse: regular runs only, by node and by type', () => {
  const p = parseTfliteBenchmark(TFLITE_OUTPUT);
  assert.equal(p.nodes.length, 5);
  assert.deepEqual(p.nodes[0], { name: 'MobilenetV1/MobilenetV1/Conv2d_1_pointwise/Relu6', opType: 'CONV_2D', meanUs: 1398, share: 0.05146, callsPerRun: 1 });
  assert.equal(p.opTypes[0].opType, 'CONV_2D');
  assert.equal(p.opTypes[0].nodes, 2);
  assert.ok(Math.abs(p.latencyMs.mean - 27.1653) < 1e-9);
  assert.ok(Math.abs(p.latencyMs.std - 0.504) < 1e-9);
  assert.ok(Number.isNaN(p.latencyMs.p50), 'no percentiles are invented');
  assert.equal(p.peakRssBytes, Math.round(22.1875 * 1024 * 1024));
  assert.deepEqual(p.timeline.events.map((e) => e.opType), ['CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'AVERAGE_POOL_2D', 'SOFTMAX']);
  assert.throws(() => parseTfliteBenchmark('STARTING!\nsegfault'), TfliteOutputError);
});

test('.npy files parse (v1 header, little-endian float32), and bad ones are refused', () => {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = Buffer.from(header + ' '.repeat(pad) + '\n', 'latin1');
  const pre = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length & 0xff, h.length >> 8]);
  const data = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) data.writeFloatLE(i + 0.5, i * 4);
  const a = parseNpy(Buffer.concat([pre, h, data]));
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual([...(a.data as Float32Array)], [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
  assert.throws(() => parseNpy(Buffer.concat([pre, h, data.subarray(0, 10)])), /truncated/);
  assert.throws(() => parseNpy(Buffer.from('hello world')), NpyError);
});

function fakeProfile(name: string, opt: string, nodes: Array<[string, string, number]>, p50: number): ProfileResult {
  const total = nodes.reduce((a, n) => a + n[2], 0);
  return {
    schema: 'mobileai.profile/1', model: { file: `/m/${name}`, name }, device: { kind: 'host', label: 'host' }, runtime: { name: 'onnxruntime', runner: 'x', optimization: opt },
    settings: { runs: 1, warmup: 0, dims: {}, inputs: [] },
    latencyMs: { mean: p50, std: 0, p50, p90: p50, p99: p50, min: p50, max: p50 }, kernelCoverage: 1,
    nodes: nodes.map(([n, op, us]) => ({ name: n, opType: op, meanUs: us, share: us / total, callsPerRun: 1 })),
    opTypes: [...new Set(nodes.map((n) => n[1]))].map((op) => ({ opType: op, meanUs: nodes.filter((n) => n[1] === op).reduce((a, n) => a + n[2], 0), share: 0, nodes: 1 })),
    timeline: { run: 0, totalUs: total, events: nodes.map(([n, op, us], i) => ({ name: n, opType: op, startUs: i * 10, durUs: us })) }, warnings: [], createdAt: '',
  };
}

test('comparisons give per-op deltas and the speed-up; unmatched nodes show one side', () => {
  const a = fakeProfile('fp32.onnx', 'all', [['conv1', 'Conv', 400], ['fc', 'MatMul', 200]], 1.0);
  const b = fakeProfile('int8.onnx', 'all', [['conv1', 'Conv', 100], ['fc_quant', 'MatMulInteger', 80]], 0.25);
  const c = compareProfiles(a, b);
  assert.equal(c.speedup, 4);
  assert.deepEqual(c.byOpType.find((d) => d.key === 'Conv'), { key: 'Conv', opType: 'Conv', aUs: 400, bUs: 100, deltaUs: -300, ratio: 0.25 });
  assert.deepEqual(c.byOpType.find((d) => d.key === 'MatMul'), { key: 'MatMul', opType: 'MatMul', aUs: 200, bUs: null, deltaUs: null, ratio: null });
  assert.equal(c.matchedNodes, 1);
  assert.equal(c.byNode[0].key, 'conv1', 'largest change first');
});

test('exports: Chrome trace events and CSV that cannot inject formulas', () => {
  const p = fakeProfile('m.onnx', 'all', [['=HYPERLINK("x")', 'Conv', 10], ['a,b', 'Add', 5]], 0.1);
  const trace = toChromeTrace(p);
  const x = trace.traceEvents.filter((e) => (e as { ph: string }).ph === 'X');
  assert.equal(x.length, 3);
  const csv = toCsv(p).split('\n');
  assert.equal(csv[0], 'node,op_type,provider,mean_us,share,calls_per_run');
  assert.ok(csv[1].startsWith(`"'=HYPERLINK(""x"")"`), csv[1]);
  assert.ok(csv[2].startsWith('"a,b",Add'));
});
