import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { EventEmitter } from 'node:events';
import {
  A_AUTH, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_VERSION, A_VERSION_MIN, A_WRTE, AUTH_RSAPUBLICKEY, AUTH_SIGNATURE, AUTH_TOKEN,
  MAX_HANDSHAKE_PAYLOAD, MAX_PAYLOAD, PacketDecoder, commandName, encodePacket, parseService, type Packet,
  adbFail, adbOkay, adbProtocolString,
} from './protocol';
import { newToken, verifySignature } from './adbAuth';
import { VirtualDevice, mergeProfile } from './device';
import type { PhoneProfile } from './phone';
import { Sandbox } from './sandbox';
import type { ServiceStream } from './stream';
import { SyncService } from './sync';
import { startShell } from './shellService';
import { NetError, NET_ERRNO_TEXT, type NetListener, type NetSocket, type SockAddr } from './os/net';
import { silentLogger, type Logger } from '../util/log';

export interface VirtualPhoneOptions {
  /** TCP port; 0 picks a free one. Default 5555 is avoided: pick explicitly. */
  port?: number;
  host?: string;
  profile?: Partial<PhoneProfile>;
  /** When true the phone asks for RSA authorization and stays "unauthorized" until `authorize()`. */
  requireAuth?: boolean;
  /** Folder for the phone's files (its sandbox). Default: a fresh temp folder, removed on stop. */
  dataDir?: string;
  /** How long `adb reboot` keeps the phone away (ms). Default 2500. */
  rebootMs?: number;
  log?: Logger;
}

/**
 * What the phone tells the host it supports (the CNXN banner's `features=`), in the order adbd lists them
 * (packages/modules/adb transport.cpp supported_features()). Only what this phone really does:
 * - shell_v2, cmd: the shell protocol and `cmd`; stat_v2: sync STA2/LST2;
 * - fixed_push_mkdir: a sync SEND creates missing parent folders (so adb does not `mkdir` through the shell first);
 * - abb, abb_exec: `abb:`/`abb_exec:` run `cmd SERVICE ARGS…` (adb install streams through `abb_exec:package\0install…`);
 * - remount_shell: `adb remount` runs `remount` in the shell (on a user build there is no such binary).
 * Not advertised: ls_v2 (sync LIS2), sendrecv_v2*, apex, track_app, delayed_ack, fixed_push_symlink_timestamp.
 */
export const FEATURES = ['shell_v2', 'cmd', 'stat_v2', 'ls_v2', 'fixed_push_mkdir', 'abb', 'abb_exec', 'remount_shell'];

/** Single-quotes an argument for the phone's shell unless it is plainly safe (as adb's escape_arg would, but minimal). */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

class Stream implements ServiceStream {
  closed = false;
  onData?: (data: Buffer) => void | Promise<void>;
  onClose?: () => void;
  private queue: Array<{ data: Buffer; done?: () => void }> = [];
  private inFlight: { done?: () => void } | undefined;
  private ending = false;
  /** A stream this phone opened (adb reverse): waiting for the host's OKAY or CLSE. */
  pendingOpen: ((ok: boolean) => void) | undefined;

  constructor(private readonly conn: Connection, readonly localId: number, public remoteId: number) {}

  write(data: Buffer): Promise<void> {
    if (this.closed || this.ending) return Promise.resolve();
    return new Promise((resolve) => {
      const max = this.conn.maxPayload;
      for (let off = 0; off < data.length; off += max) {
        const last = off + max >= data.length;
        this.queue.push({ data: data.subarray(off, off + max), done: last ? resolve : undefined });
      }
      if (!data.length) resolve();
      this.pump();
    });
  }

  end(): void {
    this.ending = true;
    this.pump();
  }

  private pump(): void {
    if (this.closed || this.inFlight || this.pendingOpen) return;
    const next = this.queue.shift();
    if (next) {
      this.inFlight = next;
      this.conn.send(A_WRTE, this.localId, this.remoteId, next.data);
      return;
    }
    if (this.ending) {
      this.conn.send(A_CLSE, this.localId, this.remoteId);
      this.dispose();
    }
  }

  /** The host took our last WRTE. */
  acked(): void {
    if (!this.inFlight) return;
    const f = this.inFlight;
    this.inFlight = undefined;
    f.done?.();
    this.pump();
  }

  /** The host answered our OPEN. */
  opened(remoteId: number): void {
    const p = this.pendingOpen;
    this.pendingOpen = undefined;
    this.remoteId = remoteId;
    p?.(true);
    this.pump();
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    const p = this.pendingOpen;
    this.pendingOpen = undefined;
    p?.(false);
    this.inFlight?.done?.();
    for (const q of this.queue) q.done?.();
    this.queue = [];
    this.conn.streams.delete(this.localId);
    this.onClose?.();
  }
}

/** Joins an ADB stream and a socket in the phone's namespace: bytes both ways, either side's close closes both. */
function bridge(stream: Stream, sock: NetSocket): void {
  stream.onData = async (d) => {
    if (!(await sock.write(d))) stream.end();
  };
  stream.onClose = () => sock.close();
  void (async () => {
    for (;;) {
      const b = await sock.read();
      if (b === null || stream.closed) break;
      await stream.write(b);
    }
    // adbd closes the whole stream when its socket reads end of file (there is no half-close in ADB).
    stream.end();
  })();
}

/** A socket spec on the phone's side (`tcp:PORT`, `localabstract:NAME`, …) as an address in its namespace. */
function deviceSocketSpec(spec: string): { addr?: SockAddr; error?: string } {
  const tcp = /^tcp:(?:(.*):)?([^:]*)$/.exec(spec);
  if (tcp) {
    const [, host, port] = tcp;
    if (!/^\d+$/.test(port) || Number(port) > 65535) return { error: `bad port number '${port}'` };
    // adbd (socket_spec.cpp, tcp_host_is_local) only connects to itself: no host, or "localhost".
    if (host !== undefined && host !== 'localhost') return { error: 'adbd does not support arbitrary tcp connections' };
    return { addr: { family: 'inet', host: host ?? '', port: Number(port) } };
  }
  const local = /^(localabstract|localreserved|localfilesystem|local):(.*)$/s.exec(spec);
  if (local) {
    const [, kind, name] = local;
    if (kind === 'localabstract') return { addr: { family: 'abstract', name } };
    if (kind === 'localfilesystem') return { addr: { family: 'unix', path: name } };
    // local: and localreserved: are /dev/socket/NAME (init's reserved sockets).
    return { addr: { family: 'unix', path: `/dev/socket/${name}` } };
  }
  return { error: `unknown socket specification: ${spec}` };
}

interface ReverseEntry {
  /** The phone's side, as given: `tcp:8081`, `localabstract:x`. */
  local: string;
  /** The host's side: what the phone asks the adb server to connect to (`tcp:8081`). */
  remote: string;
  conn: Connection;
  listener: NetListener;
}

class Connection {
  readonly streams = new Map<number, Stream>();
  maxPayload = MAX_HANDSHAKE_PAYLOAD;
  /** The transport's name on the phone: adbd calls a TCP host `host-FD`. */
  readonly serial: string;
  private version = A_VERSION;
  private online = false;
  private token: Buffer | undefined;
  private nextId = 1;
  private readonly decoder = new PacketDecoder();

  constructor(private readonly phone: VirtualPhone, readonly socket: net.Socket) {
    this.serial = `host-${phone.nextFd()}`;
    this.decoder.maxPayload = MAX_PAYLOAD;
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      try {
        for (const p of this.decoder.push(d)) {
          if (socket.destroyed) return;
          this.handle(p);
        }
      } catch (err) {
        this.phone.log.warn(`virtual phone: dropping connection: ${(err as Error).message}`);
        socket.destroy();
        this.closeAll();
      }
    });
    socket.on('close', () => this.closeAll());
    socket.on('error', () => this.closeAll());
  }

  send(command: number, arg0: number, arg1: number, payload: Buffer = Buffer.alloc(0)): void {
    if (this.socket.destroyed) return;
    this.socket.write(encodePacket({ command, arg0, arg1, payload }, this.version < A_VERSION));
  }

  private closeAll(): void {
    for (const s of [...this.streams.values()]) s.dispose();
    this.phone.dropReverses(this);
    this.phone.connections.delete(this);
  }

  /** Drops the transport, as adbd's kick does (`adb reconnect device`, reboot). */
  kick(): void {
    this.socket.destroy();
    this.closeAll();
  }

  private sendConnect(): void {
    const props = this.phone.device.properties();
    const banner = `device::ro.product.name=${props.get('ro.product.name')};ro.product.model=${props.get('ro.product.model')};ro.product.device=${props.get('ro.product.device')};features=${FEATURES.join(',')}`;
    this.online = true;
    this.send(A_CNXN, this.version, MAX_PAYLOAD, Buffer.from(banner, 'utf8'));
  }

  private sendToken(): void {
    this.token = newToken();
    this.send(A_AUTH, AUTH_TOKEN, 0, this.token);
  }

  /** The user tapped "Allow" for this host's key. */
  acceptPendingKey(): boolean {
    if (this.online || !this.pendingKey) return false;
    this.phone.authorizedKeys.add(this.pendingKey);
    this.sendConnect();
    return true;
  }

  pendingKey: string | undefined;

  /** The stream a packet from the host addresses: our id in arg1, and its id (when it gives one) in arg0. */
  private target(p: Packet): Stream | undefined {
    const s = this.streams.get(p.arg1);
    if (!s) return undefined;
    if (s.pendingOpen) return s;
    return p.arg0 === 0 || p.arg0 === s.remoteId ? s : undefined;
  }

  private handle(p: Packet): void {
    switch (p.command) {
      case A_CNXN: {
        this.version = Math.max(A_VERSION_MIN, Math.min(p.arg0 >>> 0, A_VERSION));
        this.maxPayload = Math.max(4096, Math.min(p.arg1 >>> 0, MAX_PAYLOAD));
        for (const s of [...this.streams.values()]) s.dispose();
        this.phone.dropReverses(this);
        this.online = false;
        if (this.phone.requireAuth) this.sendToken();
        else this.sendConnect();
        return;
      }
      case A_AUTH: {
        if (!this.phone.requireAuth || this.online) return;
        if (p.arg0 === AUTH_SIGNATURE) {
          const ok = this.token && [...this.phone.authorizedKeys].some((k) => {
            try {
              return verifySignature(k, this.token as Buffer, p.payload);
            } catch {
              return false;
            }
          });
          if (ok) this.sendConnect();
          else this.sendToken();
        } else if (p.arg0 === AUTH_RSAPUBLICKEY) {
          this.pendingKey = p.payload.toString('utf8').replace(/\0+$/, '');
          this.phone.log.info('virtual phone: a host asks to be authorized (RSA key received); call authorize() to allow it');
          this.phone.emit('auth-request', this.pendingKey);
          if (this.phone.autoAuthorize) this.acceptPendingKey();
        }
        return;
      }
      case A_OPEN: {
        // OPEN(local-id, 0, "destination"): a zero id is invalid; a send-buffer size means delayed acks,
        // which this phone does not offer, so adbd's answer is a close (adb.cpp handle_packet).
        if (!this.online || p.arg0 === 0) return;
        if (p.arg1 !== 0) {
          this.send(A_CLSE, 0, p.arg0);
          return;
        }
        const name = p.payload.toString('utf8').replace(/\0+$/, '');
        this.open(p.arg0, name);
        return;
      }
      case A_OKAY: {
        if (!this.online) return;
        const s = this.target(p);
        if (!s || p.arg0 === 0) return;
        if (s.pendingOpen) s.opened(p.arg0);
        else s.acked();
        return;
      }
      case A_WRTE: {
        if (!this.online) return;
        const s = this.target(p);
        if (!s || s.pendingOpen) {
          if (p.arg0 !== 0) this.send(A_CLSE, 0, p.arg0);
          return;
        }
        const ack = () => {
          if (!s.closed) this.send(A_OKAY, s.localId, s.remoteId);
        };
        let r: void | Promise<void>;
        try {
          r = s.onData?.(p.payload);
        } catch (err) {
          this.phone.log.warn(`virtual phone: stream ${s.localId}: ${(err as Error).message}`);
          s.end();
          return;
        }
        if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(ack, () => s.end());
        else ack();
        return;
      }
      case A_CLSE: {
        if (!this.online) return;
        this.target(p)?.dispose();
        return;
      }
      default:
        this.phone.log.warn(`virtual phone: ignoring ${commandName(p.command)}`);
    }
  }

  private accept(remoteId: number): Stream {
    const id = this.nextId++;
    const s = new Stream(this, id, remoteId);
    this.streams.set(id, s);
    this.send(A_OKAY, id, remoteId);
    return s;
  }

  /** A stream the phone opens to the host (adb reverse): resolves once the host accepted it, or null. */
  openToHost(destination: string): Promise<Stream | null> {
    if (!this.online || this.socket.destroyed) return Promise.resolve(null);
    const id = this.nextId++;
    const s = new Stream(this, id, 0);
    this.streams.set(id, s);
    const done = new Promise<Stream | null>((resolve) => {
      s.pendingOpen = (ok) => resolve(ok ? s : null);
    });
    // adbd sends the destination NUL-terminated (sockets.cpp connect_to_remote).
    this.send(A_OPEN, id, 0, Buffer.from(`${destination}\0`, 'utf8'));
    return done;
  }

  /** Replies once and closes, as a service that writes its answer to a socketpair does. */
  private reply(remoteId: number, data: Buffer | string): void {
    const s = this.accept(remoteId);
    void s.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).then(() => s.end());
  }

  private open(remoteId: number, name: string): void {
    const { service, args, command } = parseService(name);
    const dev = this.phone.device;
    const log = (m: string) => this.phone.log.info(`virtual phone: ${m}`);
    const refuse = (why: string) => {
      log(`refusing '${name}': ${why}`);
      this.send(A_CLSE, 0, remoteId);
    };
    if (name.startsWith('abb:') || name.startsWith('abb_exec:')) {
      // abb runs `cmd` in-process with argv split on NUL, empty pieces dropped (daemon/abb.cpp parseCmdArgs);
      // abb: speaks the shell protocol, abb_exec: is raw.
      const exec = name.startsWith('abb_exec:');
      const argv = name.slice(exec ? 9 : 4).split('\0').filter((a) => a.length > 0);
      const line = ['cmd', ...argv].map(shellQuote).join(' ');
      startShell(dev, this.accept(remoteId), exec ? { v2: false, pty: false, command: line, exec: true } : { v2: true, pty: false, command: line }, log);
      return;
    }
    switch (service) {
      case 'shell': {
        if (!name.includes(':')) return refuse('no command separator');
        const v2 = args.includes('v2');
        const pty = args.includes('pty') || (!args.includes('raw') && command === '');
        startShell(dev, this.accept(remoteId), { v2, pty, command }, log);
        return;
      }
      case 'exec':
        startShell(dev, this.accept(remoteId), { v2: false, pty: false, command, exec: true }, log);
        return;
      case 'sync':
        new SyncService(dev.fs, this.accept(remoteId), log);
        return;
      case 'tcp':
      case 'localabstract':
      case 'localreserved':
      case 'localfilesystem':
      case 'local': {
        const spec = deviceSocketSpec(name);
        if (!spec.addr) return refuse(spec.error ?? 'bad address');
        let sock: NetSocket;
        try {
          const a = spec.addr;
          sock = dev.net.connect(a.family === 'inet' ? { ...a, host: '127.0.0.1' } : a);
        } catch (err) {
          return refuse(err instanceof NetError ? err.message : String(err));
        }
        bridge(this.accept(remoteId), sock);
        return;
      }
      case 'reverse':
        this.reply(remoteId, this.phone.reverseRequest(this, name.slice('reverse:'.length)));
        return;
      case 'reconnect': {
        if (name !== 'reconnect') return refuse('unknown service');
        // daemon/services.cpp reconnect_service: "done", then the transport is kicked.
        const s = this.accept(remoteId);
        void s.write(Buffer.from('done')).then(() => setTimeout(() => this.kick(), 20));
        return;
      }
      case 'reboot': {
        // adbd runs /system/bin/reboot ARG, which prints nothing; the phone goes away mid-stream.
        this.accept(remoteId);
        log(`reboot${command ? ` ${command}` : ''}`);
        setTimeout(() => void this.phone.reboot(command), 50);
        return;
      }
      case 'root':
        // daemon/restart_service.cpp: a user build (ro.debuggable=0) refuses.
        this.reply(remoteId, 'adbd cannot run as root in production builds\n');
        return;
      case 'unroot':
        this.reply(remoteId, 'adbd not running as root\n');
        return;
      case 'remount':
      case 'disable-verity':
      case 'enable-verity': {
        // adbd runs these binaries through the shell (daemon/services.cpp); a user build does not ship them
        // (adbd_system_api requires "remount" only on debuggable builds), so the shell says it cannot find them.
        const bin = service === 'remount' ? `/system/bin/remount${command ? ` ${command}` : ''}` : `/system/bin/${service}`;
        startShell(dev, this.accept(remoteId), { v2: false, pty: false, command: bin, exec: true }, log);
        return;
      }
      case 'jdwp':
      case 'track-jdwp': {
        if (name !== service) return refuse('unknown service');
        // No debuggable app runs on a user build: an empty list, then the tracker stays open.
        const s = this.accept(remoteId);
        void s.write(Buffer.from(adbProtocolString('')));
        return;
      }
      default:
        refuse('unsupported service');
    }
  }
}

/** A phone that speaks the device side of ADB over TCP: `adb connect 127.0.0.1:PORT` makes it a device. */
export class VirtualPhone extends EventEmitter {
  readonly connections = new Set<Connection>();
  readonly authorizedKeys = new Set<string>();
  autoAuthorize = false;
  readonly log: Logger;
  readonly requireAuth: boolean;
  /** `adb reverse` listeners (adbd keeps one list for every transport). */
  private readonly reverses: ReverseEntry[] = [];
  private fdCounter = 17;
  private bootTimer: NodeJS.Timeout | undefined;
  private rebooting: Promise<void> | undefined;
  readonly rebootMs: number;

  private constructor(
    private readonly server: net.Server,
    readonly device: VirtualDevice,
    readonly port: number,
    readonly host: string,
    private readonly ownedDir: string | undefined,
    opts: VirtualPhoneOptions,
  ) {
    super();
    this.log = opts.log ?? silentLogger;
    this.requireAuth = !!opts.requireAuth;
    this.rebootMs = opts.rebootMs ?? 2500;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** True while the phone is rebooting: it is not reachable. */
  get booting(): boolean {
    return this.rebooting !== undefined;
  }

  /** @internal */
  nextFd(): number {
    return this.fdCounter++;
  }

  static async start(opts: VirtualPhoneOptions = {}): Promise<VirtualPhone> {
    const profile = mergeProfile(opts.profile);
    const host = opts.host ?? '127.0.0.1';
    const ownedDir = opts.dataDir ? undefined : await fs.mkdtemp(path.join(os.tmpdir(), 'mobileai-vphone-'));
    const dataDir = opts.dataDir ?? (ownedDir as string);
    const sandbox = new Sandbox(path.join(dataDir, 'fs'));
    await sandbox.init();
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    const device = new VirtualDevice(profile, sandbox, `${host}:${port}`);
    const phone = new VirtualPhone(server, device, port, host, ownedDir, opts);
    device.rebootHandler = (target) => void phone.reboot(target);
    server.on('connection', (socket) => {
      if (phone.booting) {
        // Still booting: adbd is not up. Closing at once (instead of refusing the TCP connection) makes the
        // adb server count its reconnect attempt as done and try again 250 ms later when the link drops
        // (transport.cpp ReconnectHandler), so `adb wait-for-device` returns soon after the phone is back.
        socket.on('error', () => undefined);
        socket.destroy();
        return;
      }
      const c = new Connection(phone, socket);
      phone.connections.add(c);
      phone.log.info(`virtual phone: host connected from ${socket.remoteAddress}:${socket.remotePort}`);
    });
    phone.log.info(`virtual phone "${profile.model}" listening on ${host}:${port} (files in ${sandbox.root})`);
    return phone;
  }

  /** Like tapping "Allow USB debugging": accepts the keys of hosts waiting for authorization. */
  authorize(): number {
    let n = 0;
    for (const c of this.connections) if (c.acceptPendingKey()) n++;
    return n;
  }

  /**
   * Reboots: every connection drops, the phone is away for `rebootMs`, then it accepts hosts again. Files and
   * installed apps stay; processes, sockets, forwards and the screen start over. Resolves when it is back.
   */
  reboot(target = ''): Promise<void> {
    if (this.rebooting) return this.rebooting;
    this.emit('reboot', target);
    this.log.info(`virtual phone: rebooting${target ? ` (${target})` : ''}`);
    for (const c of [...this.connections]) c.kick();
    this.connections.clear();
    const dev = this.device;
    dev.net.reset();
    // Every process ends and the boot ones start again; logd starts over with the new boot's lines.
    dev.procs.reboot();
    dev.phone.goHome();
    this.rebooting = new Promise<void>((resolve) => {
      this.bootTimer = setTimeout(() => {
        this.bootTimer = undefined;
        this.rebooting = undefined;
        this.log.info('virtual phone: booted');
        this.emit('boot');
        resolve();
      }, this.rebootMs);
    });
    return this.rebooting;
  }

  /** @internal a connection went away: its reverse forwards go with it (adb_listeners.cpp listener_disconnect). */
  dropReverses(conn: Connection): void {
    for (let i = this.reverses.length - 1; i >= 0; i--) {
      if (this.reverses[i].conn === conn) {
        this.reverses[i].listener.close();
        this.reverses.splice(i, 1);
      }
    }
  }

  /** Lists `adb reverse` entries as the phone keeps them. */
  reverseList(): Array<{ serial: string; local: string; remote: string }> {
    return this.reverses.map((r) => ({ serial: r.conn.serial, local: r.local, remote: r.remote }));
  }

  /**
   * The `reverse:` service (adb.cpp handle_forward_request on the daemon): the answer written to the stream.
   * Daemon replies carry one status only (the adb server added the first OKAY when the stream opened).
   */
  reverseRequest(conn: Connection, request: string): string {
    if (request === 'list-forward') {
      return adbProtocolString(this.reverses.map((r) => `${r.conn.serial} ${r.local} ${r.remote}\n`).join(''));
    }
    if (request === 'killforward-all') {
      for (const r of this.reverses.splice(0)) r.listener.close();
      return adbOkay();
    }
    let rest: string;
    let kill = false;
    let noRebind = false;
    if (request.startsWith('killforward:')) {
      kill = true;
      rest = request.slice('killforward:'.length);
    } else if (request.startsWith('forward:')) {
      rest = request.slice('forward:'.length);
      if (rest.startsWith('norebind:')) {
        noRebind = true;
        rest = rest.slice('norebind:'.length);
      }
    } else {
      return adbFail('not a reverse forwarding command');
    }
    const pieces = rest.split(';');
    if (kill) {
      if (pieces.length !== 1 || !pieces[0]) return adbFail(`bad killforward: ${rest}`);
      const i = this.reverses.findIndex((r) => r.local === pieces[0]);
      if (i < 0) return adbFail(`listener '${rest}' not found`);
      this.reverses[i].listener.close();
      this.reverses.splice(i, 1);
      return adbOkay();
    }
    if (pieces.length !== 2 || !pieces[0] || !pieces[1] || pieces[1].startsWith('*')) return adbFail(`bad forward: ${rest}`);
    const [local, remote] = pieces;
    const existing = this.reverses.find((r) => r.local === local);
    if (existing) {
      if (noRebind) return adbFail('cannot rebind existing socket');
      existing.remote = remote;
      existing.conn = conn;
      return adbOkay();
    }
    const spec = deviceSocketSpec(local);
    if (!spec.addr) return adbFail(`cannot bind listener: ${spec.error ?? local}`);
    let addr = spec.addr;
    // adbd listens on every address for tcp:PORT (socket_spec_listen, network_inaddr_any_server).
    if (addr.family === 'inet') addr = { ...addr, host: addr.host === 'localhost' ? '127.0.0.1' : '0.0.0.0' };
    let listener: NetListener;
    try {
      listener = this.device.net.listen(addr, { uid: 2000, owner: 'adbd' });
    } catch (err) {
      return adbFail(`cannot bind listener: ${err instanceof NetError ? NET_ERRNO_TEXT[err.code] : String(err)}`);
    }
    const entry: ReverseEntry = { local, remote, conn, listener };
    let name = local;
    if (addr.family === 'inet' && addr.port === 0 && listener.address.family === 'inet') {
      name = `tcp:${listener.address.port}`;
      entry.local = name;
    }
    listener.onConnection = (sock) => void this.carryToHost(entry, sock);
    this.reverses.push(entry);
    // A resolved port (tcp:0) follows the status as a length-prefixed string.
    return name !== local ? adbOkay() + adbProtocolString(name.slice(4)) : adbOkay();
  }

  /** A connection made on the phone to a reverse listener: opened as a stream to the host's side. */
  private async carryToHost(entry: ReverseEntry, sock: NetSocket): Promise<void> {
    const stream = await entry.conn.openToHost(entry.remote);
    if (!stream) {
      sock.close();
      return;
    }
    bridge(stream, sock);
  }

  /** Stops listening and drops every connection (like pulling the cable). */
  async stop(): Promise<void> {
    if (this.bootTimer) clearTimeout(this.bootTimer);
    this.bootTimer = undefined;
    this.rebooting = undefined;
    for (const c of [...this.connections]) c.kick();
    this.connections.clear();
    this.device.net.reset();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.device.fs.close().catch(() => undefined);
    if (this.ownedDir) await fs.rm(this.ownedDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}
