import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnnexBSplitter } from '../../extension/core/screen/h264';

// NAL units with a recognisable body. A slice body starting with 0x80 has first_mb_in_slice = 0 (a new
// picture); 0x40 codes a later slice of the same picture.
const nal = (header: number, body: number[], n = 6) => Buffer.concat([Buffer.from([0, 0, 0, 1, header, ...body]), Buffer.alloc(n, 0x55)]);
const SPS = nal(0x67, [0x42, 0xc0, 0x1f]);
const PPS = nal(0x68, [0xce]);
const idr = (first: boolean) => nal(0x65, [first ? 0x88 : 0x48]);
const p = (first: boolean) => nal(0x41, [first ? 0x9a : 0x5a]);

function collect(_split: AnnexBSplitter) {
  const out: Array<{ len: number; key: boolean }> = [];
  return { out, emit: (au: Buffer, key: boolean) => out.push({ len: au.length, key }) };
}

test('a picture coded as several slices is one access unit (x264 with sliced threads writes two or more)', () => {
  const split = new AnnexBSplitter();
  const { out, emit } = collect(split);
  const key = [SPS, PPS, idr(true), idr(false)];
  const delta = [p(true), p(false), p(false)];
  split.push(Buffer.concat([...key, ...delta, p(true)]), emit);
  assert.deepEqual(out, [{ len: Buffer.concat(key).length, key: true }], 'the last slice waits: it may still be growing');
  split.flush(emit);
  assert.deepEqual(out, [
    { len: Buffer.concat(key).length, key: true },
    { len: Buffer.concat(delta).length, key: false },
    { len: p(true).length, key: false },
  ]);
  assert.equal(split.codec, 'avc1.42c01f');
});

test('when the stream goes quiet the last picture is emitted at once, not when the next one begins', () => {
  const split = new AnnexBSplitter();
  const { out, emit } = collect(split);
  split.push(Buffer.concat([SPS, PPS, idr(true)]), emit);
  assert.equal(out.length, 0, 'the trailing slice may still be growing');
  split.flush(emit);
  assert.deepEqual(out, [{ len: Buffer.concat([SPS, PPS, idr(true)]).length, key: true }]);
  // The next picture arrives split across two reads, with the start code itself cut in two.
  const next = Buffer.concat([p(true), p(false)]);
  split.push(next.subarray(0, 2), emit);
  split.push(next.subarray(2), emit);
  split.flush(emit);
  assert.deepEqual(out.slice(1), [{ len: next.length, key: false }]);
  assert.equal(split.torn, 0);
});

test('a pause in the middle of a slice is detected: that picture is counted torn and frames wait for a key frame', () => {
  const split = new AnnexBSplitter();
  const { out, emit } = collect(split);
  split.push(Buffer.concat([SPS, PPS, idr(true)]), emit);
  split.flush(emit);
  const delta = p(true);
  split.push(delta.subarray(0, 7), emit);
  split.flush(emit); // taken as complete, but it was not
  split.push(delta.subarray(7), emit); // the rest of the slice: no start code first
  assert.equal(split.torn, 1);
  split.push(Buffer.concat([p(true), p(true)]), emit);
  split.flush(emit);
  const keysAfterTear = out.slice(2);
  assert.deepEqual(keysAfterTear, [], 'delta pictures after a tear are dropped');
  split.push(Buffer.concat([SPS, PPS, idr(true)]), emit);
  split.flush(emit);
  assert.deepEqual(out.slice(2), [{ len: Buffer.concat([SPS, PPS, idr(true)]).length, key: true }], 'the stream resumes at a key frame');
});

test('a flush with no slice pending, or only parameter sets, emits nothing', () => {
  const split = new AnnexBSplitter();
  const { out, emit } = collect(split);
  split.flush(emit);
  split.push(Buffer.concat([SPS, PPS]), emit);
  split.flush(emit);
  assert.equal(out.length, 0);
  split.push(idr(true), emit);
  split.flush(emit);
  assert.deepEqual(out, [{ len: Buffer.concat([SPS, PPS, idr(true)]).length, key: true }]);
});
