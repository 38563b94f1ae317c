import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  A_CNXN, A_WRTE, PacketDecoder, ProtocolError, ShellPacketDecoder, checksum, encodePacket, encodeShellPacket, parseBanner, parseService,
} from '../../extension/core/virtualPhone/protocol';

test('a packet survives encoding and arbitrary TCP chunking', () => {
  const payload = Buffer.from('host::features=shell_v2,cmd');
  const bytes = Buffer.concat([encodePacket({ command: A_CNXN, arg0: 0x01000001, arg1: 1 << 20, payload }), encodePacket({ command: A_WRTE, arg0: 7, arg1: 9, payload: Buffer.alloc(0) })]);
  for (const step of [1, 5, 23, 24, 25, bytes.length]) {
    const dec = new PacketDecoder();
    const got = [];
    for (let i = 0; i < bytes.length; i += step) got.push(...dec.push(bytes.subarray(i, i + step)));
    assert.equal(got.length, 2, `chunk size ${step}`);
    assert.equal(got[0].command, A_CNXN);
    assert.equal(got[0].arg1, 1 << 20);
    assert.deepEqual(got[0].payload, payload);
    assert.equal(got[1].arg0, 7);
    assert.equal(got[1].payload.length, 0);
  }
});

test('the header carries the magic and, when asked, the byte-sum checksum', () => {
  const p = encodePacket({ command: A_WRTE, arg0: 1, arg1: 2, payload: Buffer.from([1, 2, 250]) }, true);
  assert.equal(p.readUInt32LE(16), 253);
  assert.equal(p.readUInt32LE(20), (A_WRTE ^ 0xffffffff) >>> 0);
  assert.equal(checksum(Buffer.from([255, 255])), 510);
});

test('a peer sending bad magic or a huge payload is rejected, not buffered', () => {
  const bad = encodePacket({ command: A_WRTE, arg0: 1, arg1: 2, payload: Buffer.alloc(0) });
  bad.writeUInt32LE(0, 20);
  assert.throws(() => new PacketDecoder().push(bad), ProtocolError);
  const huge = encodePacket({ command: A_WRTE, arg0: 1, arg1: 2, payload: Buffer.alloc(0) });
  huge.writeUInt32LE(64 * 1024 * 1024, 12);
  assert.throws(() => new PacketDecoder().push(huge), /exceeds/);
});

test('shell v2 packets decode across chunk boundaries', () => {
  const bytes = Buffer.concat([encodeShellPacket(1, Buffer.from('out')), encodeShellPacket(2, Buffer.from('err')), encodeShellPacket(3, Buffer.from([42]))]);
  const dec = new ShellPacketDecoder();
  const got = [];
  for (const b of bytes) got.push(...dec.push(Buffer.from([b])));
  assert.deepEqual(got.map((p) => [p.id, p.data.toString('latin1')]), [[1, 'out'], [2, 'err'], [3, '*']]);
});

test('service names and banners parse like adbd parses them', () => {
  assert.deepEqual(parseService('shell,v2,TERM=xterm,raw:ls -l\0'), { service: 'shell', args: ['v2', 'TERM=xterm', 'raw'], command: 'ls -l' });
  assert.deepEqual(parseService('sync:'), { service: 'sync', args: [], command: '' });
  assert.deepEqual(parseService('shell:echo a:b'), { service: 'shell', args: [], command: 'echo a:b' });
  const b = parseBanner(Buffer.from('host::features=shell_v2,cmd,stat_v2\0'));
  assert.equal(b.systemType, 'host');
  assert.deepEqual(b.features, ['shell_v2', 'cmd', 'stat_v2']);
});
