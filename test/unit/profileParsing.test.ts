import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrtProfile, ProfileParseError } from '../../extension/core/profile/ortProfile';
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
  assert.ok(Math.abs(p.kernelCoverage - (120 + 160) / (134 + 174)) < 1e-9, 'kernel time over run time, summed over the measured runs');
  assert.equal(p.peakMemoryBytes, 1120, 'peak allocator memory over the measured runs');
  const shares = p.nodes.reduce((a, n) => a + n.share, 0);
  assert.ok(Math.abs(shares - p.kernelCoverage) < 1e-9, 'the node shares add up to the coverage');
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

// benchmark_model's formats are tested in benchmarkModel.test.ts, on output in the real tool's layouts (the
// invented fixture that was here matched none of them).

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

/** A whole profile a user posted (DirectML EP, one run; microsoft/onnxruntime#24306, 2025-04-04): node events with no
 * args, and a SequentialExecutor::Execute span far shorter than model_run. */
const DML_PROFILE = `[{"cat" : "Node","pid" :27840,"tid" :1980,"dur" :378,"ts" :1260840,"ph" : "X","name" :"DmlFusedNode_0_41_kernel_time"},
{"cat" : "Node","pid" :27840,"tid" :1980,"dur" :150,"ts" :1261232,"ph" : "X","name" :"DmlFusedNode_4_63_kernel_time"},
{"cat" : "Node","pid" :27840,"tid" :1980,"dur" :193,"ts" :1261392,"ph" : "X","name" :"DmlFusedNode_3_62_kernel_time"},
{"cat" : "Node","pid" :27840,"tid" :1980,"dur" :661,"ts" :1261591,"ph" : "X","name" :"/0/0.0/STFT_kernel_time"},
{"cat" : "Node","pid" :27840,"tid" :1980,"dur" :541,"ts" :1262265,"ph" : "X","name" :"DmlFusedNode_1_43_kernel_time"},
{"cat" : "Node","pid" :27840,"tid" :1980,"dur" :108,"ts" :1262815,"ph" : "X","name" :"/1/prenet/prenet.1/lstm/LSTM_kernel_time"},
{"cat" : "Node","pid" :27840,"tid" :1980,"dur" :8298,"ts" :1262929,"ph" : "X","name" :"DmlFusedNode_2_45_kernel_time"},
{"cat" : "Session","pid" :27840,"tid" :1980,"dur" :10417,"ts" :1260828,"ph" : "X","name" :"SequentialExecutor::Execute"},
{"cat" : "Session","pid" :27840,"tid" :1980,"dur" :31038,"ts" :1253564,"ph" : "X","name" :"model_run"}]`;

test('a posted DirectML profile: op types from node names when the EP writes no op_name; the executor span is reported', () => {
  const p = parseOrtProfile(DML_PROFILE, 0);
  assert.equal(p.latencyMs.mean, 31.038);
  assert.deepEqual(p.opTypes.map((t) => [t.opType, t.nodes, t.meanUs]), [['DmlFusedNode', 5, 9560], ['STFT', 1, 661], ['LSTM', 1, 108]]);
  assert.deepEqual(p.nodes[0], { name: 'DmlFusedNode_2_45', opType: 'DmlFusedNode', provider: undefined, meanUs: 8298, share: 8298 / 31038, callsPerRun: 1 });
  assert.ok(p.warnings.some((w) => /7 nodes carry no op_name/.test(w)));
  assert.ok(p.warnings.some((w) => w === 'the graph executor ran 10.417 ms of each 31.038 ms model_run (mean): 20.621 ms of the run are outside the executor'));
});

test('onnxruntime 0.x profiles of unnamed nodes ("_kernel_time" for every node, as in microsoft/onnxruntime#1297): one entry per node, not one for all', () => {
  // The event layout of the 0.4.0 file quoted in #1297 (name "_kernel_time", args {op_name} only), two runs of
  // Conv → BatchNormalization → Conv written by us with our own times.
  const ev: unknown[] = [{ cat: 'Session', pid: 7838, tid: 7838, dur: 30779, ts: 13, ph: 'X', name: 'model_loading_uri', args: {} }];
  let t = 100000;
  for (const times of [[12944, 9342, 5000], [12000, 9000, 4000]]) {
    const start = t;
    ['Conv', 'BatchNormalization', 'Conv'].forEach((op, i) => {
      ev.push({ cat: 'Node', pid: 7838, tid: 7838, dur: 1, ts: t, ph: 'X', name: '_fence_before', args: { op_name: op } });
      ev.push({ cat: 'Node', pid: 7838, tid: 7838, dur: times[i], ts: t + 5, ph: 'X', name: '_kernel_time', args: { op_name: op } });
      t += times[i] + 10;
    });
    ev.push({ cat: 'Session', pid: 7838, tid: 7838, dur: t - start, ts: start, ph: 'X', name: 'model_run', args: {} });
    t += 1000;
  }
  const p = parseOrtProfile(ev, 0);
  assert.deepEqual(p.nodes.map((n) => [n.name, n.opType, n.meanUs]), [['Conv#1', 'Conv', 12472], ['BatchNormalization#1', 'BatchNormalization', 9171], ['Conv#2', 'Conv', 4500]]);
  assert.deepEqual(p.opTypes.map((o) => [o.opType, o.nodes]), [['Conv', 2], ['BatchNormalization', 1]]);
  assert.ok(p.warnings.some((w) => /names no nodes/.test(w)));
});
