import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { NetError, PhoneNet, type NetSocket } from '../../extension/core/virtualPhone/os/net';
import { Pipe } from '../../extension/core/virtualPhone/os/io';
import { withPhone } from '../helpers/phoneShell';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import {
  A_AUTH, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_SYNC, A_VERSION, A_WRTE, PacketDecoder, encodePacket, type Packet,
} from '../../extension/core/virtualPhone/protocol';
import type { VirtualDevice } from '../../extension/core/virtualPhone/device';
import { Shell, type Fds } from '../../extension/core/virtualPhone/sh/interp';
import { InStream, type Writer } from '../../extension/core/virtualPhone/sh/streams';

const tcp = (port: number, host = '127.0.0.1') => ({ family: 'inet' as const, host, port });

async function readAllFrom(s: NetSocket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let b = await s.read(); b !== null; b = await s.read()) chunks.push(b);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/* ---------------- the namespace ---------------- */

test('a listener on the phone takes connections to its port; bytes go both ways and end of stream is seen', async () => {
  const n = new PhoneNet();
  const l = n.listen(tcp(5000, '0.0.0.0'));
  const client = n.connect(tcp(5000));
  const server = await l.accept();
  assert.ok(server);
  assert.equal(await client.write('ping'), true);
  assert.equal(String(await server.read()), 'ping');
  await server.write('pong');
  server.shutdownWrite();
  assert.equal(String(await readAllFrom(client)), 'pong');
  // Half-closed: the client can still send after the server stopped sending.
  assert.equal(await client.write('late'), true);
  assert.equal(String(await server.read()), 'late');
  client.close();
  assert.equal(await server.read(), null);
  assert.equal(await server.write('x'), false, 'writing to a closed peer fails (EPIPE)');
});

test('errors are the kernel\'s: refused, in use, privileged ports, no route off the phone', () => {
  const n = new PhoneNet();
  assert.throws(() => n.connect(tcp(6000)), (e: unknown) => e instanceof NetError && e.code === 'ECONNREFUSED' && e.message === 'Connection refused');
  n.listen(tcp(6000, '0.0.0.0'));
  assert.throws(() => n.listen(tcp(6000, '127.0.0.1')), (e: unknown) => e instanceof NetError && e.message === 'Address already in use');
  // Android keeps ip_unprivileged_port_start at 1024: the shell user cannot bind 80, root can.
  assert.throws(() => n.listen(tcp(80, '0.0.0.0'), { uid: 2000 }), (e: unknown) => e instanceof NetError && e.message === 'Permission denied');
  assert.ok(n.listen(tcp(80, '0.0.0.0'), { uid: 0 }));
  assert.throws(() => n.connect(tcp(53, '8.8.8.8')), (e: unknown) => e instanceof NetError && e.message === 'Network is unreachable');
  // The whole 127/8 net and localhost are the phone itself.
  assert.ok(n.connect(tcp(6000, '127.0.0.2')));
  assert.ok(n.connect(tcp(6000, 'localhost')));
});

test('a listener bound to 127.0.0.1 is not reached through ::1; one on :: takes both', async () => {
  const n = new PhoneNet();
  n.listen(tcp(7000, '127.0.0.1'));
  assert.throws(() => n.connect(tcp(7000, '::1')), /Connection refused/);
  n.listen(tcp(7001, '::'));
  assert.ok(n.connect(tcp(7001, '::1')));
  assert.ok(n.connect(tcp(7001, '127.0.0.1')));
});

test('two phones have separate namespaces: the same port on each, no clash', async () => {
  const a = new PhoneNet();
  const b = new PhoneNet();
  const la = a.listen(tcp(8080, '0.0.0.0'));
  const lb = b.listen(tcp(8080, '0.0.0.0'));
  a.connect(tcp(8080)).shutdownWrite();
  const cb = b.connect(tcp(8080));
  await cb.write('b');
  cb.shutdownWrite();
  assert.equal(String(await readAllFrom((await lb.accept()) as NetSocket)), 'b');
  assert.equal(String(await readAllFrom((await la.accept()) as NetSocket)), '');
});

test('abstract names and port 0 (a free port is chosen)', async () => {
  const n = new PhoneNet();
  const l = n.listen({ family: 'abstract', name: 'chrome_devtools_remote' });
  assert.throws(() => n.listen({ family: 'abstract', name: 'chrome_devtools_remote' }), /Address already in use/);
  const c = n.connect({ family: 'abstract', name: 'chrome_devtools_remote' });
  await c.write('GET /json');
  assert.equal(String(await ((await l.accept()) as NetSocket).read()), 'GET /json');
  const any = n.listen(tcp(0, '0.0.0.0'));
  assert.equal(any.address.family, 'inet');
  const port = any.address.family === 'inet' ? any.address.port : 0;
  assert.ok(port >= PhoneNet.EPHEMERAL_FIRST && port <= PhoneNet.EPHEMERAL_LAST);
  assert.ok(n.connect(tcp(port)));
  l.close();
  assert.throws(() => n.connect({ family: 'abstract', name: 'chrome_devtools_remote' }), /Connection refused/);
});

test('back-pressure: a writer waits while the reader is behind, and 1 MiB arrives intact', async () => {
  const n = new PhoneNet();
  const l = n.listen(tcp(9000, '0.0.0.0'));
  const c = n.connect(tcp(9000), { highWater: 64 * 1024 });
  const s = (await l.accept()) as NetSocket;
  let done = false;
  const w = c.write(Buffer.alloc(200 * 1024, 1)).then(() => (done = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(done, false, 'the write is held while nobody reads');
  await s.read();
  await w;
  assert.equal(done, true);
  const big = randomBytes(1024 * 1024);
  const got = readAllFrom(s);
  await c.write(Buffer.alloc(0));
  await c.write(big);
  await c.write(Buffer.alloc(0));
  c.close();
  assert.equal(sha(await got), sha(big));
});

test('a reboot (reset) closes listeners and connections', async () => {
  const n = new PhoneNet();
  const l = n.listen(tcp(9100, '0.0.0.0'));
  const c = n.connect(tcp(9100));
  const pending = l.accept();
  n.reset();
  assert.ok(await pending, 'the queued connection was handed out before the reset');
  assert.equal(await l.accept(), null);
  assert.equal(await c.read(), null);
  assert.throws(() => n.connect(tcp(9100)), /Connection refused/);
  assert.equal(n.listeners().length, 0);
});

/* ---------------- nc, through the phone's shell ---------------- */

/** Starts a listener the way an app's server would, answering each connection with `reply(data)`. */
function appServer(dev: VirtualDevice, port: number, reply: (got: string) => string): () => void {
  const l = dev.net.listen(tcp(port, '0.0.0.0'), { uid: 10100 });
  void (async () => {
    for (let s = await l.accept(); s; s = await l.accept()) {
      const sock = s;
      void (async () => {
        const got = await readAllFrom(sock);
        await sock.write(reply(got.toString()));
        sock.close();
      })();
    }
  })();
  return () => l.close();
}

test('nc HOST PORT sends stdin, half-closes, and prints what the server answers', async () => {
  await withPhone(async (dev, sh) => {
    const stop = appServer(dev, 4000, (got) => `you said ${got}`);
    try {
      const r = await sh('nc 127.0.0.1 4000', 'hello');
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'you said hello', '']);
      const viaName = await sh('echo hi | nc localhost 4000');
      assert.equal(viaName.stdout, 'you said hi\n');
    } finally {
      stop();
    }
  });
});

test('nc errors are toybox\'s words: refused, unreachable, unresolvable, bad usage, bind failures', async () => {
  await withPhone(async (_dev, sh) => {
    // lib/net.c xconnbind: perror_exit("connect") / perror_exit("bind"); xgetaddrinfo: "HOST:PORT: gai_strerror".
    assert.deepEqual(pick(await sh('nc 127.0.0.1 4001')), [1, '', 'nc: connect: Connection refused\n']);
    assert.deepEqual(pick(await sh('nc 10.0.0.1 80')), [1, '', 'nc: connect: Network is unreachable\n']);
    assert.deepEqual(pick(await sh('nc example.com 80')), [1, '', 'nc: example.com:80: No address associated with hostname\n']);
    assert.deepEqual(pick(await sh('nc -n localhost 80')), [1, '', 'nc: localhost:80: hostname nor servname provided, or not known\n']);
    // lib/lib.c help_exit: the message, then where to read the help.
    assert.deepEqual(pick(await sh('nc 127.0.0.1')), [1, '', 'nc: bad argument count (see "nc --help")\n']);
    assert.deepEqual(pick(await sh('netcat -l -L')), [1, '', 'netcat: No \'L\' with \'l\' (see "netcat --help")\n']);
    assert.deepEqual(pick(await sh('nc -l -p 70000')), [1, '', 'nc: -p > 65535 (see "nc --help")\n']);
    assert.deepEqual(pick(await sh('nc -l -p 80')), [1, '', 'nc: bind: Permission denied\n']);
    assert.deepEqual(pick(await sh('nc -w 1 -p 4002 -l & sleep 0.2; nc -l -p 4002; echo $?; wait $!; echo $?')), [0, '1\n1\n', 'nc: bind: Address already in use\nnc: Timeout\n']);
  });
});

function pick(r: { code: number; stdout: string; stderr: string }): [number, string, string] {
  return [r.code, r.stdout, r.stderr];
}

test('nc -l -p PORT serves one connection on stdin/stdout; -q quits after stdin ends', async () => {
  await withPhone(async (dev) => {
    const stdin = new Pipe();
    const out: Buffer[] = [];
    const running = runNc(dev, 'nc -l -p 4100', stdin, out);
    const c = await connectWhenListening(dev, 4100);
    await c.write('from the client\n');
    await stdin.write('from the listener\n');
    assert.equal(String(await c.read()), 'from the listener\n');
    await waitUntil(() => Buffer.concat(out).toString() === 'from the client\n');
    c.close();
    assert.equal(await running, 0, 'the peer closing ends nc');

    // -q 1: stdin ends, the socket is half-closed, and a second later nc gives up on the silent peer.
    const t0 = Date.now();
    const q = runNc(dev, 'nc -q 1 -l -p 4101', new Pipe(), [], true);
    const c2 = await connectWhenListening(dev, 4101);
    assert.equal(await c2.read(), null, 'the listener sent end of stream when its stdin ended');
    // The end of stream is sent when stdin ends, which is when the -q second starts: the upper bound counts from there.
    const eof = Date.now();
    assert.equal(await q, 0);
    const took = Date.now() - t0;
    assert.ok(took >= 900, `waited about a second before quitting (${took} ms)`);
    assert.ok(Date.now() - eof < 5000, `quit about a second after the end of stream, not later (${Date.now() - eof} ms)`);
  });
});

test('nc -l without -p prints the port it bound; -L COMMAND serves every connection with the command', async () => {
  await withPhone(async (dev, sh) => {
    const first = await sh('nc -l -w 1');
    assert.match(first.stdout, /^\d+\n$/);
    assert.equal(first.stderr, 'nc: Timeout\n');
    // -L with a command: a child per connection, stdin and stdout on the socket.
    const stop = new Pipe();
    const server = runNc(dev, "nc -L -p 4200 sh -c 'echo hello; cat'", stop, []);
    const answers = await Promise.all(['one', 'two', 'three'].map(async (word) => {
      const c = await connectWhenListening(dev, 4200);
      await c.write(word);
      c.shutdownWrite();
      return String(await readAllFrom(c));
    }));
    assert.deepEqual(answers, ['hello\none', 'hello\ntwo', 'hello\nthree']);
    assert.equal((await sh('echo abc | nc 127.0.0.1 4200')).stdout, 'hello\nabc\n');
    killNc(dev);
    assert.equal(await server, 128 + 9);
    assert.throws(() => dev.net.connect(tcp(4200)), /Connection refused/, 'the listener went with the process');
  });
});

test('nc moves 1 MiB each way and survives zero-length writes', async () => {
  await withPhone(async (dev) => {
    const up = randomBytes(1024 * 1024);
    const down = randomBytes(1024 * 1024);
    const stdin = new Pipe();
    const out: Buffer[] = [];
    const running = runNc(dev, 'nc -l -p 4300', stdin, out);
    const c = await connectWhenListening(dev, 4300);
    const got = readAllFrom(c);
    await c.write(Buffer.alloc(0));
    await Promise.all([c.write(up).then(() => c.write(Buffer.alloc(0))), stdin.write(down).then(() => stdin.write(Buffer.alloc(0)))]);
    await waitUntil(() => Buffer.concat(out).length >= up.length);
    stdin.end();
    const back = await got;
    c.close();
    assert.equal(await running, 0);
    assert.equal(sha(Buffer.concat(out)), sha(up));
    assert.equal(sha(back), sha(down));
  });
});

/** Runs one nc line in the phone's shell with a live stdin; resolves to its exit status. */
function runNc(dev: VirtualDevice, line: string, stdin: Pipe, out: Buffer[], endStdin = false): Promise<number> {
  if (endStdin) stdin.end();
  return runLineStreaming(dev, line, stdin, out);
}

async function runLineStreaming(dev: VirtualDevice, line: string, stdin: Pipe, out: Buffer[]): Promise<number> {
  const sh = new Shell({ device: dev });
  const writer: Writer = {
    write: async (d) => void out.push(Buffer.isBuffer(d) ? d : Buffer.from(d)),
    onGone: () => undefined,
    gone: false,
  };
  try {
    const fds: Fds = { 0: InStream.of(stdin), 1: writer, 2: writer };
    const code = await sh.run(line, fds);
    await sh.finish(fds);
    return code;
  } finally {
    sh.dispose();
  }
}

function killNc(dev: VirtualDevice): void {
  for (const p of dev.procs.list()) if (p.name === 'nc' || p.argv[0] === 'nc') dev.procs.kill(p.pid, 9, 0);
}

async function connectWhenListening(dev: VirtualDevice, port: number): Promise<NetSocket> {
  for (let i = 0; ; i++) {
    try {
      return dev.net.connect(tcp(port));
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function waitUntil(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/* ---------------- the transport under garbage ---------------- */

/** A minimal ADB host over a real socket: enough to handshake and open streams. */
class RawHost {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly decoder = new PacketDecoder();
  private waiters: Array<() => void> = [];
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => {
      try {
        this.packets.push(...this.decoder.push(d));
      } catch {
        sock.destroy();
      }
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawHost> {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    const h = new RawHost(sock);
    h.send({ command: A_CNXN, arg0: A_VERSION, arg1: 256 * 1024, payload: Buffer.from('host::features=shell_v2,cmd\0') });
    await h.next((p) => p.command === A_CNXN);
    return h;
  }

  send(p: Packet | Buffer): void {
    if (!this.sock.destroyed) this.sock.write(Buffer.isBuffer(p) ? p : encodePacket(p));
  }

  async next(match: (p: Packet) => boolean, ms = 5000): Promise<Packet> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.packets.findIndex(match);
      if (i >= 0) return this.packets.splice(i, 1)[0];
      if (this.closed || Date.now() > end) throw new Error(`no matching packet (closed=${this.closed})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

/** Opens `reverse:list-forward` on a healthy connection and reads its answer: proof the phone still serves. */
async function stillServes(h: RawHost, localId: number): Promise<string> {
  h.send({ command: A_OPEN, arg0: localId, arg1: 0, payload: Buffer.from('reverse:list-forward\0') });
  const okay = await h.next((p) => p.command === A_OKAY && p.arg1 === localId);
  const data = await h.next((p) => p.command === A_WRTE && p.arg1 === localId);
  h.send({ command: A_OKAY, arg0: localId, arg1: okay.arg0, payload: Buffer.alloc(0) });
  await h.next((p) => p.command === A_CLSE && p.arg1 === localId);
  return data.payload.toString();
}

const SERVICES = [
  'shell:echo hi', 'shell,v2,raw:true', 'exec:true', 'sync:', 'tcp:5', 'tcp:localhost:99', 'tcp:1.2.3.4:80', 'localabstract:x',
  'localreserved:logd', 'localfilesystem:/x', 'reverse:list-forward', 'reverse:forward:tcp:7;tcp:8', 'reverse:killforward:tcp:7',
  'reverse:killforward-all', 'reverse:forward:norebind:tcp:0;tcp:1', 'reverse:bogus', 'root:', 'unroot:', 'jdwp', 'nope:', '', 'abb_exec:package\0path\0x',
];
const COMMANDS = [A_SYNC, A_CNXN, A_OPEN, A_OKAY, A_CLSE, A_WRTE, A_AUTH];

function randomPacket(rnd: () => number): Buffer {
  const pickOf = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const command = rnd() < 0.9 ? pickOf(COMMANDS) : Math.floor(rnd() * 2 ** 32);
  const id = () => (rnd() < 0.7 ? Math.floor(rnd() * 8) : Math.floor(rnd() * 2 ** 32));
  let payload: Buffer;
  if (command === A_OPEN) payload = Buffer.from(`${pickOf(SERVICES)}\0`);
  else if (command === A_CNXN) payload = rnd() < 0.5 ? Buffer.from('host::features=shell_v2\0') : randomBytes(Math.floor(rnd() * 64));
  else payload = randomBytes(Math.floor(rnd() * (rnd() < 0.9 ? 64 : 8192)));
  const arg1 = command === A_OPEN && rnd() < 0.8 ? 0 : id();
  let bytes = encodePacket({ command, arg0: id(), arg1, payload });
  // Mutations: a flipped byte anywhere (header fields, magic, length), a truncated or doubled packet.
  const r = rnd();
  if (r < 0.2) {
    bytes = Buffer.from(bytes);
    bytes[Math.floor(rnd() * bytes.length)] ^= 1 << Math.floor(rnd() * 8);
  } else if (r < 0.25) {
    bytes = bytes.subarray(0, Math.floor(rnd() * bytes.length));
  } else if (r < 0.28) {
    bytes = randomBytes(Math.floor(rnd() * 48));
  } else if (r < 0.3) {
    bytes = Buffer.from(bytes);
    bytes.writeUInt32LE(Math.floor(rnd() * 2 ** 32), 12);
  }
  return bytes;
}

/** A seeded generator, so a failure can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('10,000 random and mutated packets: the phone drops bad connections and keeps serving the others', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? 12);
  const rnd = mulberry32(seed);
  const phone = await VirtualPhone.start({ port: 0 });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const good = await RawHost.connect(phone.port);
    assert.equal(await stillServes(good, 1), '0000', 'an empty list: a length of zero');
    let sent = 0;
    let dropped = 0;
    let nextId = 2;
    while (sent < 10_000) {
      const bad = await RawHost.connect(phone.port);
      for (let i = 0; i < 250 && sent < 10_000 && !bad.closed; i++, sent++) {
        bad.send(randomPacket(rnd));
        if (i % 25 === 0) await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 5));
      if (bad.closed) dropped++;
      bad.sock.destroy();
      // Between batches the well-behaved host is still served.
      if (sent % 2000 < 250) assert.match(await stillServes(good, nextId++), /^[0-9a-f]{4}/, `seed ${seed}: still serving after ${sent}`);
    }
    assert.ok(dropped > 0, 'connections sending garbage were closed');
    assert.match(await stillServes(good, nextId++), /^[0-9a-f]{4}/);
    const fresh = await RawHost.connect(phone.port);
    assert.match(await stillServes(fresh, 1), /^[0-9a-f]{4}/, 'and new hosts are served');
    fresh.sock.destroy();
    good.sock.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unhandled, [], `seed ${seed}: no unhandled rejection`);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await phone.stop();
  }
});

test('the phone\'s socket services answer as adbd does: connect only to itself, refuse what it cannot open', async () => {
  const phone = await VirtualPhone.start({ port: 0 });
  try {
    const l = phone.device.net.listen(tcp(5555, '0.0.0.0'));
    const h = await RawHost.connect(phone.port);
    const open = (id: number, name: string, arg1 = 0) => h.send({ command: A_OPEN, arg0: id, arg1, payload: Buffer.from(`${name}\0`) });
    const answer = (id: number) => h.next((p) => (p.command === A_OKAY || p.command === A_CLSE) && p.arg1 === id);
    // socket_spec.cpp tcp_host_is_local: no host or "localhost"; any other host is refused (a CLSE to the OPEN).
    open(1, 'tcp:5555');
    assert.equal((await answer(1)).command, A_OKAY);
    assert.ok(await l.accept());
    open(2, 'tcp:localhost:5555');
    assert.equal((await answer(2)).command, A_OKAY);
    open(3, 'tcp:127.0.0.1:5555');
    assert.equal((await answer(3)).command, A_CLSE);
    open(4, 'tcp:5556');
    assert.deepEqual(pickPacket(await answer(4)), [A_CLSE, 0, 4]);
    open(5, 'localreserved:logd');
    assert.equal((await answer(5)).command, A_CLSE);
    // A send-buffer size in OPEN means delayed acks, which this phone did not offer: refused (adb.cpp).
    open(6, 'tcp:5555', 65536);
    assert.equal((await answer(6)).command, A_CLSE);
    // reverse: answers in the smart-socket format, FAIL + 4 hex digits of length + message.
    open(7, 'reverse:bogus');
    const ok = await answer(7);
    assert.equal(ok.command, A_OKAY);
    const fail = await h.next((p) => p.command === A_WRTE && p.arg1 === 7);
    assert.equal(fail.payload.toString(), 'FAIL0020not a reverse forwarding command');
    h.sock.destroy();
  } finally {
    await phone.stop();
  }
});

test('a phone-side reader that falls behind holds the host\'s writes (the OKAY waits)', async () => {
  const phone = await VirtualPhone.start({ port: 0 });
  try {
    const l = phone.device.net.listen(tcp(6000, '0.0.0.0'));
    const h = await RawHost.connect(phone.port);
    h.send({ command: A_OPEN, arg0: 1, arg1: 0, payload: Buffer.from('tcp:6000\0') });
    const ok = await h.next((p) => p.command === A_OKAY && p.arg1 === 1);
    const app = (await l.accept()) as NetSocket;
    const chunk = randomBytes(256 * 1024);
    h.send({ command: A_WRTE, arg0: 1, arg1: ok.arg0, payload: chunk });
    await h.next((p) => p.command === A_OKAY && p.arg1 === 1);
    h.send({ command: A_WRTE, arg0: 1, arg1: ok.arg0, payload: chunk });
    await assert.rejects(h.next((p) => p.command === A_OKAY && p.arg1 === 1, 200), /no matching packet/, 'no OKAY while the app does not read');
    const got: Buffer[] = [];
    while (got.reduce((n, b) => n + b.length, 0) < 2 * chunk.length) got.push((await app.read()) as Buffer);
    await h.next((p) => p.command === A_OKAY && p.arg1 === 1);
    assert.equal(sha(Buffer.concat(got)), sha(Buffer.concat([chunk, chunk])));
    h.sock.destroy();
  } finally {
    await phone.stop();
  }
});

function pickPacket(p: Packet): [number, number, number] {
  return [p.command, p.arg0, p.arg1];
}

test('netstat shows the phone\'s listeners and connections in toybox\'s columns', async () => {
  await withPhone(async (dev, sh) => {
    const running = runNc(dev, 'nc -l -p 5037', new Pipe(), []);
    const c = await connectWhenListening(dev, 5037);
    dev.net.listen({ family: 'abstract', name: 'chrome_devtools_remote' }, { uid: 10100 });
    // toys/net/netstat.c: "%-6s%6d%7d %-23s %-23s %-11s", listeners only with -l, both ends of a loopback connection with -a.
    const listening = await sh('netstat -tln');
    assert.equal(listening.stdout, [
      'Active Internet connections (only servers)',
      'Proto Recv-Q Send-Q Local Address           Foreign Address         State      ',
      'tcp6       0      0 [::]:5037               [::]:*                  LISTEN     ',
      '',
    ].join('\n'));
    const all = (await sh('netstat -tan')).stdout.split('\n');
    const client = `127.0.0.1:${c.local.family === 'inet' ? c.local.port : 0}`;
    assert.ok(all.includes(`tcp        0      0 ${client.padEnd(23)} ${'127.0.0.1:5037'.padEnd(23)} ESTABLISHED`), all.join('\n'));
    assert.ok(all.includes(`tcp        0      0 ${'127.0.0.1:5037'.padEnd(23)} ${client.padEnd(23)} ESTABLISHED`), all.join('\n'));
    // -p: the shell sees the program behind its own sockets only.
    assert.match((await sh('netstat -tlnp')).stdout, /LISTEN {6}\d+\/nc\n/);
    assert.match((await sh('netstat -lx')).stdout, /unix {2}2 {6}\[ ACC \] {5}STREAM {5}LISTENING {5}\d+ +@chrome_devtools_remote\n/);
    c.close();
    assert.equal(await running, 0);
    assert.doesNotMatch((await sh('netstat -tan')).stdout, /5037/);
  });
});
