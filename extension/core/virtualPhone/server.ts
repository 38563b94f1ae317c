import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { EventEmitter } from 'node:events';
import {
  A_AUTH, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_VERSION, A_VERSION_MIN, A_WRTE, AUTH_RSAPUBLICKEY, AUTH_SIGNATURE, AUTH_TOKEN,
  MAX_HANDSHAKE_PAYLOAD, MAX_PAYLOAD, PacketDecoder, commandName, encodePacket, parseService, type Packet,
} from './protocol';
import { newToken, verifySignature } from './adbAuth';
import { VirtualDevice, mergeProfile } from './device';
import type { PhoneProfile } from './phone';
import { Sandbox } from './sandbox';
import type { ServiceStream } from './stream';
import { SyncService } from './sync';
import { startShell } from './shellService';
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
  log?: Logger;
}

const FEATURES = ['shell_v2', 'cmd', 'stat_v2'];

class Stream implements ServiceStream {
  closed = false;
  onData?: (data: Buffer) => void;
  onClose?: () => void;
  private queue: Array<{ data: Buffer; done?: () => void }> = [];
  private inFlight: { done?: () => void } | undefined;
  private ending = false;

  constructor(private readonly conn: Connection, readonly localId: number, readonly remoteId: number) {}

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
    if (this.closed || this.inFlight) return;
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

  acked(): void {
    const f = this.inFlight;
    this.inFlight = undefined;
    f?.done?.();
    this.pump();
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.inFlight?.done?.();
    for (const q of this.queue) q.done?.();
    this.queue = [];
    this.conn.streams.delete(this.localId);
    this.onClose?.();
  }
}

class Connection {
  readonly streams = new Map<number, Stream>();
  maxPayload = MAX_HANDSHAKE_PAYLOAD;
  private version = A_VERSION;
  private online = false;
  private token: Buffer | undefined;
  private nextId = 1;
  private readonly decoder = new PacketDecoder();

  constructor(private readonly phone: VirtualPhone, readonly socket: net.Socket) {
    this.decoder.maxPayload = MAX_PAYLOAD;
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      let packets: Packet[];
      try {
        packets = this.decoder.push(d);
      } catch (err) {
        this.phone.log.warn(`virtual phone: dropping connection: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      for (const p of packets) this.handle(p);
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
    this.phone.connections.delete(this);
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

  private handle(p: Packet): void {
    switch (p.command) {
      case A_CNXN: {
        this.version = Math.max(A_VERSION_MIN, Math.min(p.arg0, A_VERSION));
        this.maxPayload = Math.max(4096, Math.min(p.arg1, MAX_PAYLOAD));
        for (const s of [...this.streams.values()]) s.dispose();
        if (this.phone.requireAuth) this.sendToken();
        else this.sendConnect();
        return;
      }
      case A_AUTH: {
        if (!this.phone.requireAuth || this.online) return;
        if (p.arg0 === AUTH_SIGNATURE) {
          const ok = this.token && [...this.phone.authorizedKeys].some((k) => verifySignature(k, this.token as Buffer, p.payload));
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
        if (!this.online) return;
        const name = p.payload.toString('utf8').replace(/\0+$/, '');
        this.open(p.arg0, name);
        return;
      }
      case A_OKAY: {
        this.streams.get(p.arg1)?.acked();
        return;
      }
      case A_WRTE: {
        const s = this.streams.get(p.arg1);
        if (!s) {
          this.send(A_CLSE, 0, p.arg0);
          return;
        }
        this.send(A_OKAY, s.localId, s.remoteId);
        s.onData?.(p.payload);
        return;
      }
      case A_CLSE: {
        this.streams.get(p.arg1)?.dispose();
        return;
      }
      default:
        this.phone.log.warn(`virtual phone: ignoring ${commandName(p.command)}`);
    }
  }

  private open(remoteId: number, name: string): void {
    const { service, args, command } = parseService(name);
    const accept = () => {
      const id = this.nextId++;
      const s = new Stream(this, id, remoteId);
      this.streams.set(id, s);
      this.send(A_OKAY, id, remoteId);
      return s;
    };
    const dev = this.phone.device;
    const log = (m: string) => this.phone.log.info(`virtual phone: ${m}`);
    switch (service) {
      case 'shell': {
        const v2 = args.includes('v2');
        const pty = args.includes('pty') || (!args.includes('raw') && command === '');
        startShell(dev, accept(), { v2, pty, command }, log);
        return;
      }
      case 'exec':
        startShell(dev, accept(), { v2: false, pty: false, command, exec: true }, log);
        return;
      case 'sync':
        new SyncService(dev.fs, accept(), log);
        return;
      case 'root':
      case 'unroot':
      case 'remount':
      case 'disable-verity':
      case 'enable-verity': {
        const s = accept();
        void s.write(Buffer.from('adbd cannot run as root in production builds\n')).then(() => s.end());
        return;
      }
      case 'reboot': {
        const s = accept();
        dev.phone.goHome();
        s.end();
        return;
      }
      default:
        log(`refusing unsupported service '${name}'`);
        this.send(A_CLSE, 0, remoteId);
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
  }

  get address(): string {
    return `${this.host}:${this.port}`;
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
    server.on('connection', (socket) => {
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

  /** Stops listening and drops every connection (like pulling the cable). */
  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.ownedDir) await fs.rm(this.ownedDir, { recursive: true, force: true });
  }
}
