import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { startAdbServer, waitFor, type TestAdbServer } from '../helpers/adbServer';
import { VirtualPhone } from '../../extension/core/virtualPhone/server';
import type { NetSocket } from '../../extension/core/virtualPhone/os/net';

/*
 * adb forward / adb reverse end to end through the real adb CLI and server (Debian's adb 29) against the virtual
 * phone's own socket namespace. Formats come from adb's sources: adb_listeners.cpp format_listeners()
 * ("SERIAL LOCAL REMOTE\n"), adb.cpp handle_forward_request() (the FAIL texts), socket_spec.cpp.
 */

let server: TestAdbServer;
let phone: VirtualPhone;
let serial: string;
const hostServers: net.Server[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

async function connectPhone(p: VirtualPhone): Promise<string> {
  const r = await server.adb(['connect', p.address]);
  assert.match(r.stdout, /connected to/);
  await waitFor('the phone to be a device', async () => ((await server.adb(['-s', p.address, 'get-state'])).stdout.trim() === 'device' ? true : undefined));
  return p.address;
}

before(async () => {
  server = await startAdbServer();
  phone = await VirtualPhone.start({ port: 0 });
  serial = await connectPhone(phone);
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of hostServers) s.close();
  await phone?.stop();
  await server?.stop();
});

const adb = (...args: string[]) => server.adb(['-s', serial, ...args]);

/** `adb shell CMD` kept running with a live stdin, its stdout collected. */
function shell(cmd: string, s = serial): { child: ChildProcessWithoutNullStreams; out: Buffer[]; err: Buffer[]; exit: Promise<number> } {
  const child = spawn('adb', ['-P', String(server.port), '-s', s, 'shell', cmd], { env: server.env });
  children.push(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const exit = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, out, err, exit };
}

async function hostServer(onConn: (s: net.Socket) => void): Promise<number> {
  const s = net.createServer(onConn);
  hostServers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as net.AddressInfo).port;
}

/** Connects to a host port and collects everything until the other side closes. */
function hostClient(port: number): { sock: net.Socket; got: Buffer[]; closed: Promise<void> } {
  const sock = net.connect(port, '127.0.0.1');
  const got: Buffer[] = [];
  sock.on('data', (d: Buffer) => got.push(d));
  sock.on('error', () => undefined);
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  return { sock, got, closed };
}

const total = (bufs: Buffer[]) => bufs.reduce((n, b) => n + b.length, 0);

async function forwardPort(remote: string, s = serial): Promise<number> {
  const r = await server.adb(['-s', s, 'forward', 'tcp:0', remote]);
  assert.equal(r.code, 0, r.stderr);
  return Number(r.stdout.trim());
}

/** Waits until the phone has a listener on `port` (a command in its shell started listening). */
async function phoneListens(p: VirtualPhone, port: number): Promise<void> {
  await waitFor(`a listener on the phone's port ${port}`, () => (p.device.net.listeners().some((l) => l.address.family === 'inet' && l.address.port === port) ? true : undefined));
}

test('adb forward reaches `nc -l -p D` in the phone\'s shell: 1 MiB each way, zero-length writes too', async () => {
  const nc = shell('nc -l -p 5000');
  await phoneListens(phone, 5000);
  const port = await forwardPort('tcp:5000');
  const c = hostClient(port);
  const up = randomBytes(MiB);
  const down = randomBytes(MiB);
  c.sock.write(Buffer.alloc(0));
  c.sock.write(up);
  c.sock.write(Buffer.alloc(0));
  nc.child.stdin.write(down);
  await waitFor('1 MiB at the phone\'s nc', () => (total(nc.out) >= MiB ? true : undefined), 20000);
  await waitFor('1 MiB at the host', () => (total(c.got) >= MiB ? true : undefined), 20000);
  assert.equal(sha(Buffer.concat(nc.out)), sha(up));
  assert.equal(sha(Buffer.concat(c.got)), sha(down));
  // The host closing its end closes the adb stream; nc sees end of stream and exits 0.
  c.sock.end();
  assert.equal(await nc.exit, 0);
  await adb('forward', '--remove', `tcp:${port}`);
});

test('a forward to a port nobody listens on: the host\'s connection is accepted, then closed with no data', async () => {
  const port = await forwardPort('tcp:5999');
  const c = hostClient(port);
  c.sock.write('anyone?');
  await c.closed;
  assert.equal(total(c.got), 0);
});

test('forward to an app\'s abstract socket (localabstract:NAME), and 1 MiB from an app\'s server', async () => {
  const l = phone.device.net.listen({ family: 'abstract', name: 'webview_devtools_remote_123' }, { uid: 10100 });
  const big = randomBytes(MiB);
  void (async () => {
    const s = (await l.accept()) as NetSocket;
    const req = await s.read();
    await s.write(Buffer.alloc(0));
    await s.write(Buffer.from(`len=${req?.length ?? 0}\n`));
    await s.write(big);
    s.close();
  })();
  const port = await forwardPort('localabstract:webview_devtools_remote_123');
  const c = hostClient(port);
  c.sock.write('GET /json/version');
  await c.closed;
  const got = Buffer.concat(c.got);
  assert.equal(got.subarray(0, 7).toString(), 'len=17\n');
  assert.equal(sha(got.subarray(7)), sha(big));
  l.close();
  // init's reserved sockets are not the shell's to open: closed at once.
  const reserved = hostClient(await forwardPort('localreserved:logd'));
  await reserved.closed;
  assert.equal(total(reserved.got), 0);
});

test('two phones listening on the same port never clash: each forward reaches its own phone', async () => {
  const second = await VirtualPhone.start({ port: 0, profile: { model: 'Second' } });
  try {
    const s2 = await connectPhone(second);
    for (const [p, name] of [[phone, 'first'], [second, 'second']] as const) {
      const l = p.device.net.listen({ family: 'inet', host: '0.0.0.0', port: 8080 });
      void (async () => {
        for (let s = await l.accept(); s; s = await l.accept()) {
          await s.write(name);
          s.close();
        }
      })();
    }
    const a = hostClient(await forwardPort('tcp:8080'));
    const b = hostClient(await forwardPort('tcp:8080', s2));
    await Promise.all([a.closed, b.closed]);
    assert.equal(Buffer.concat(a.got).toString(), 'first');
    assert.equal(Buffer.concat(b.got).toString(), 'second');
  } finally {
    for (const l of phone.device.net.listeners()) if (l.address.family === 'inet' && l.address.port === 8080) l.close();
    await server.adb(['disconnect', second.address]);
    await second.stop();
  }
});

test('adb reverse: the phone listens on D; `nc localhost D` in its shell reaches the host\'s server', async () => {
  const hostPort = await hostServer((s) => {
    s.on('data', (d) => s.write(d.toString().toUpperCase()));
    s.on('end', () => s.end());
  });
  const set = await adb('reverse', 'tcp:8081', `tcp:${hostPort}`);
  assert.deepEqual([set.code, set.stdout, set.stderr], [0, '', '']);
  // ADB streams have no half-close (sockets.cpp: end of file on the phone's socket closes the stream), so stdin
  // stays open until the answer is back, as a user of a real phone must do.
  const r = await adb('shell', '(echo hello metro; sleep 1) | nc localhost 8081');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'HELLO METRO\n', '']);
  // The list: one line per reverse, "host-N LOCAL REMOTE" (format_listeners: adbd names a TCP host host-FD).
  const list = await adb('reverse', '--list');
  assert.match(list.stdout, new RegExp(`^host-\\d+ tcp:8081 tcp:${hostPort}\\n`));
  assert.equal(await adb('reverse', '--remove', 'tcp:8081').then((x) => x.code), 0);
  const gone = await adb('shell', 'nc localhost 8081 </dev/null');
  assert.equal(gone.stderr, 'nc: connect: Connection refused\n');
  assert.equal(gone.code, 1);
});

test('adb reverse carries 1 MiB each way through nc, and 1 MiB with zero-length writes from an app\'s socket', async () => {
  const hostPort = await hostServer((s) => s.pipe(s));
  await adb('reverse', 'tcp:9000', `tcp:${hostPort}`);
  const nc = shell('nc 127.0.0.1 9000');
  const data = randomBytes(MiB);
  nc.child.stdin.write(data);
  await waitFor('1 MiB echoed back to the phone', () => (total(nc.out) >= MiB ? true : undefined), 20000);
  assert.equal(sha(Buffer.concat(nc.out)), sha(data));
  nc.child.stdin.end();
  assert.equal(await nc.exit, 0);

  // An app on the phone: zero-length writes, then 1 MiB; the host answers with 1 MiB of its own.
  const answer = randomBytes(MiB);
  let hostGot = Buffer.alloc(0);
  const hostPort2 = await hostServer((s) => {
    const chunks: Buffer[] = [];
    s.write(Buffer.alloc(0));
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (total(chunks) === MiB) {
        hostGot = Buffer.concat(chunks);
        s.write(answer);
        s.end();
      }
    });
  });
  await adb('reverse', 'tcp:9001', `tcp:${hostPort2}`);
  const app = phone.device.net.connect({ family: 'inet', host: '127.0.0.1', port: 9001 });
  assert.equal(await app.write(Buffer.alloc(0)), true);
  const mine = randomBytes(MiB);
  await app.write(mine);
  await app.write(Buffer.alloc(0));
  const chunks: Buffer[] = [];
  for (let b = await app.read(); b; b = await app.read()) chunks.push(b);
  assert.equal(sha(hostGot), sha(mine));
  assert.equal(sha(Buffer.concat(chunks)), sha(answer));
  app.close();
  await adb('reverse', '--remove-all');
});

test('reverse --list, --remove, --remove-all, --no-rebind and tcp:0 answer as adbd does', async () => {
  const h = await hostServer((s) => s.end());
  assert.equal((await adb('reverse', 'tcp:7001', `tcp:${h}`)).code, 0);
  assert.equal((await adb('reverse', 'localabstract:devtools', `tcp:${h}`)).code, 0);
  // tcp:0: adbd picks a port and sends it after the OKAY; adb prints it.
  const any = await adb('reverse', 'tcp:0', `tcp:${h}`);
  assert.match(any.stdout, /^\d+\n$/);
  const picked = any.stdout.trim();
  const lines = (await adb('reverse', '--list')).stdout.split('\n').filter(Boolean).map((l) => l.split(' ').slice(1).join(' '));
  assert.deepEqual(lines, [`tcp:7001 tcp:${h}`, `localabstract:devtools tcp:${h}`, `tcp:${picked} tcp:${h}`]);
  // Rebinding an existing reverse to another host port is allowed; with --no-rebind it is refused.
  assert.equal((await adb('reverse', 'tcp:7001', 'tcp:1')).code, 0);
  const norebind = await adb('reverse', '--no-rebind', 'tcp:7001', `tcp:${h}`);
  assert.deepEqual([norebind.code, norebind.stderr], [1, 'adb: error: cannot rebind existing socket\n']);
  const missing = await adb('reverse', '--remove', 'tcp:7999');
  assert.deepEqual([missing.code, missing.stderr], [1, "adb: error: listener 'tcp:7999' not found\n"]);
  // Only root binds below 1024 on Android; adbd runs as shell on a user build.
  const low = await adb('reverse', 'tcp:80', `tcp:${h}`);
  assert.deepEqual([low.code, low.stderr], [1, 'adb: error: cannot bind listener: Permission denied\n']);
  assert.equal((await adb('reverse', '--remove', 'localabstract:devtools')).code, 0);
  assert.equal((await adb('reverse', '--list')).stdout.split('\n').filter(Boolean).length, 2);
  assert.equal((await adb('reverse', '--remove-all')).code, 0);
  assert.equal((await adb('reverse', '--list')).stdout.trim(), '');
  assert.equal(phone.device.net.listeners().length, 0, 'the phone stopped listening');
});

test('a reverse to a host port nobody listens on: the phone\'s connection opens and then ends', async () => {
  const dead = await hostServer(() => undefined);
  const deadPort = dead;
  hostServers.pop()?.close();
  await adb('reverse', 'tcp:7100', `tcp:${deadPort}`);
  const r = await adb('shell', 'echo x | nc localhost 7100; echo status $?');
  assert.deepEqual([r.stdout, r.stderr], ['status 0\n', '']);
  await adb('reverse', '--remove-all');
});

test('reverse forwards belong to the adb connection: when the host disconnects, the phone stops listening', async () => {
  const h = await hostServer((s) => s.end());
  await adb('reverse', 'tcp:7200', `tcp:${h}`);
  assert.ok(phone.device.net.listeners().some((l) => l.address.family === 'inet' && l.address.port === 7200));
  await server.adb(['disconnect', serial]);
  await waitFor('the reverse listener to go', () => (phone.device.net.listeners().length === 0 ? true : undefined));
  serial = await connectPhone(phone);
  assert.equal((await adb('reverse', '--list')).stdout.trim(), '');
});
