import { Pipe, type Reader } from './io';

/**
 * The phone's own socket namespace. Every virtual phone has one: its TCP ports and abstract socket names
 * are not the host's, so several phones never clash, and nothing on the phone can reach the host's network
 * except through adb (`adb reverse`), as on a phone that has no route but its loopback.
 *
 * A connection is a pair of {@link NetSocket}s joined by two {@link Pipe}s, so a writer waits while the reader
 * is behind (back-pressure) and a closed reader is noticed by the writer (EPIPE).
 */

export type NetErrno = 'ECONNREFUSED' | 'EADDRINUSE' | 'EACCES' | 'ENETUNREACH' | 'EADDRNOTAVAIL' | 'EINVAL' | 'ENOENT';

/** strerror() text as bionic prints it for the errors sockets give here. */
export const NET_ERRNO_TEXT: Record<NetErrno, string> = {
  ECONNREFUSED: 'Connection refused',
  EADDRINUSE: 'Address already in use',
  EACCES: 'Permission denied',
  ENETUNREACH: 'Network is unreachable',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EINVAL: 'Invalid argument',
  ENOENT: 'No such file or directory',
};

export class NetError extends Error {
  constructor(readonly code: NetErrno, message: string = NET_ERRNO_TEXT[code]) {
    super(message);
  }
}

/** Where a socket is: an IPv4/IPv6 address and port, an abstract name (`@name`), or a path in the file system. */
export type SockAddr =
  | { family: 'inet'; host: string; port: number }
  | { family: 'abstract'; name: string }
  | { family: 'unix'; path: string };

export function formatAddr(a: SockAddr): string {
  if (a.family === 'inet') return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
  if (a.family === 'abstract') return `@${a.name}`;
  return a.path;
}

/** Hosts that mean "this phone": the whole 127/8 net, ::1, 0.0.0.0 (Linux connects that to itself), `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0.0.0.0' || h === '::' || h === 'ip6-localhost') return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return !!m && Number(m[1]) === 127 && m.slice(2).every((x) => Number(x) <= 255);
}

/** A numeric IPv4 or IPv6 address (no name lookup needed). */
export function isNumericHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(h)) return h.split('.').every((x) => Number(x) <= 255);
  return /^[0-9a-fA-F:]+$/.test(h) && h.includes(':');
}

let seq = 0;

/** One end of a connection: a Reader of what the peer wrote, and a writer the peer reads. */
export class NetSocket implements Reader {
  readonly id = ++seq;
  peer!: NetSocket;
  private closed = false;
  private readonly closeCbs: Array<() => void> = [];

  constructor(
    private readonly net: PhoneNet,
    readonly local: SockAddr,
    readonly remote: SockAddr,
    private readonly rx: Pipe,
    private readonly tx: Pipe,
  ) {}

  /** The next chunk the peer sent, or null at end of stream (the peer shut down or closed). */
  read(): Promise<Buffer | null> {
    return this.rx.read();
  }

  /**
   * Sends bytes to the peer; resolves when the peer's buffer has room again. Returns false when the peer is
   * gone (EPIPE: the bytes went nowhere). A zero-length write sends nothing and succeeds.
   */
  async write(data: Buffer | string): Promise<boolean> {
    if (this.closed || this.tx.closedForRead || this.tx.ending) return false;
    await this.tx.write(data);
    return !this.tx.closedForRead;
  }

  /** shutdown(SHUT_WR): the peer reads end of stream after what was sent; this end can still read. */
  shutdownWrite(): void {
    this.tx.end();
  }

  /** The peer stopped reading (closed): writes fail from now on. */
  get peerGone(): boolean {
    return this.tx.closedForRead;
  }

  onPeerGone(cb: () => void): void {
    this.tx.onReaderGone(cb);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** close(): sends end of stream and stops reading; the peer's writes fail from now on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tx.end();
    this.rx.closeRead();
    this.net.forget(this);
    for (const cb of this.closeCbs.splice(0)) cb();
  }

  onClose(cb: () => void): void {
    if (this.closed) cb();
    else this.closeCbs.push(cb);
  }

  /** For netstat: ESTABLISHED while both ends are open, CLOSE_WAIT once the peer closed, FIN_WAIT2 after our shutdown. */
  get state(): 'ESTABLISHED' | 'CLOSE_WAIT' | 'FIN_WAIT2' {
    if (this.rx.ending || this.peer.isClosed) return 'CLOSE_WAIT';
    if (this.tx.ending) return 'FIN_WAIT2';
    return 'ESTABLISHED';
  }
}

/** A listening socket: connections queue until `accept`ed, or go to `onConnection` when that is set. */
export class NetListener {
  private readonly backlog: NetSocket[] = [];
  private waiting: Array<(s: NetSocket | null) => void> = [];
  private closed = false;
  /** When set, every new connection is handed here at once instead of queueing for accept(). */
  onConnection?: (s: NetSocket) => void;

  constructor(private readonly net: PhoneNet, readonly address: SockAddr, readonly uid: number, readonly owner: string) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** The next connection, or null once the listener is closed (or `signal` aborts). */
  accept(signal?: { aborted: boolean; onAbort(cb: () => void): void }): Promise<NetSocket | null> {
    const s = this.backlog.shift();
    if (s) return Promise.resolve(s);
    if (this.closed || signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      let done = false;
      const r = (v: NetSocket | null) => {
        if (done) return;
        done = true;
        this.waiting = this.waiting.filter((w) => w !== r);
        resolve(v);
      };
      this.waiting.push(r);
      signal?.onAbort(() => r(null));
    });
  }

  /** @internal a client connected. Returns false when the backlog is full (the connect is refused). */
  enqueue(s: NetSocket): boolean {
    if (this.closed) return false;
    if (this.onConnection) {
      this.onConnection(s);
      return true;
    }
    const w = this.waiting.shift();
    if (w) {
      w(s);
      return true;
    }
    if (this.backlog.length >= PhoneNet.SOMAXCONN) return false;
    this.backlog.push(s);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.backlog.splice(0)) s.close();
    for (const w of this.waiting.splice(0)) w(null);
    this.net.unlisten(this);
  }
}

/** The phone's network namespace: loopback only (no Wi-Fi, no mobile data), ports and abstract names. */
export class PhoneNet {
  static readonly SOMAXCONN = 128;
  /** Linux's default ip_local_port_range. */
  static readonly EPHEMERAL_FIRST = 32768;
  static readonly EPHEMERAL_LAST = 60999;
  private readonly tcp = new Map<number, NetListener[]>();
  private readonly abstract = new Map<string, NetListener>();
  private readonly unix = new Map<string, NetListener>();
  private readonly sockets = new Set<NetSocket>();
  private nextEphemeral = PhoneNet.EPHEMERAL_FIRST;

  /** Listens on a TCP port (0 picks a free one), an abstract name or a socket path. Throws NetError. */
  listen(addr: SockAddr, opts: { uid?: number; owner?: string } = {}): NetListener {
    const uid = opts.uid ?? 2000;
    const owner = opts.owner ?? '';
    if (addr.family === 'inet') {
      const host = normalizeBindHost(addr.host);
      let port = addr.port;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new NetError('EINVAL');
      // Only root binds ports below 1024 (Android keeps net.ipv4.ip_unprivileged_port_start at 1024).
      if (port > 0 && port < 1024 && uid !== 0) throw new NetError('EACCES');
      if (port === 0) port = this.freePort();
      const existing = this.tcp.get(port) ?? [];
      if (existing.some((l) => l.address.family === 'inet' && bindConflicts(l.address.host, host))) throw new NetError('EADDRINUSE');
      const l = new NetListener(this, { family: 'inet', host, port }, uid, owner);
      this.tcp.set(port, [...existing, l]);
      return l;
    }
    if (addr.family === 'abstract') {
      if (this.abstract.has(addr.name)) throw new NetError('EADDRINUSE');
      const l = new NetListener(this, addr, uid, owner);
      this.abstract.set(addr.name, l);
      return l;
    }
    if (this.unix.has(addr.path)) throw new NetError('EADDRINUSE');
    const l = new NetListener(this, addr, uid, owner);
    this.unix.set(addr.path, l);
    return l;
  }

  /** @internal */
  unlisten(l: NetListener): void {
    const a = l.address;
    if (a.family === 'inet') {
      const rest = (this.tcp.get(a.port) ?? []).filter((x) => x !== l);
      if (rest.length) this.tcp.set(a.port, rest);
      else this.tcp.delete(a.port);
    } else if (a.family === 'abstract') {
      if (this.abstract.get(a.name) === l) this.abstract.delete(a.name);
    } else if (this.unix.get(a.path) === l) {
      this.unix.delete(a.path);
    }
  }

  /**
   * Connects to a listener in this namespace; returns the client's end. Throws NetError: ECONNREFUSED when
   * nothing listens there, ENETUNREACH for any address that is not this phone's (it has no other route).
   */
  connect(addr: SockAddr, opts: { highWater?: number } = {}): NetSocket {
    let listener: NetListener | undefined;
    let localAddr: SockAddr;
    if (addr.family === 'inet') {
      if (!isLoopbackHost(addr.host)) throw new NetError('ENETUNREACH');
      if (!Number.isInteger(addr.port) || addr.port <= 0 || addr.port > 65535) throw new NetError('ECONNREFUSED');
      const host = canonicalLoopback(addr.host);
      listener = (this.tcp.get(addr.port) ?? []).find((l) => l.address.family === 'inet' && bindAccepts(l.address.host, host));
      localAddr = { family: 'inet', host, port: this.freePort() };
    } else if (addr.family === 'abstract') {
      listener = this.abstract.get(addr.name);
      localAddr = { family: 'abstract', name: '' };
    } else {
      listener = this.unix.get(addr.path);
      if (!listener) throw new NetError('ENOENT');
      localAddr = { family: 'unix', path: '' };
    }
    if (!listener || listener.isClosed) throw new NetError('ECONNREFUSED');
    const serverAddr: SockAddr = addr.family === 'inet' ? { family: 'inet', host: (localAddr as { host: string }).host, port: addr.port } : listener.address;
    const hw = opts.highWater ?? 256 * 1024;
    const up = new Pipe(hw);
    const down = new Pipe(hw);
    const client = new NetSocket(this, localAddr, serverAddr, down, up);
    const server = new NetSocket(this, serverAddr, localAddr, up, down);
    client.peer = server;
    server.peer = client;
    this.sockets.add(client);
    this.sockets.add(server);
    if (!listener.enqueue(server)) {
      this.sockets.delete(client);
      this.sockets.delete(server);
      throw new NetError('ECONNREFUSED');
    }
    return client;
  }

  /** @internal */
  forget(s: NetSocket): void {
    this.sockets.delete(s);
  }

  /** Listening sockets (for netstat and `adb reverse --list`). */
  listeners(): NetListener[] {
    return [...[...this.tcp.values()].flat(), ...this.abstract.values(), ...this.unix.values()];
  }

  /** Open connected sockets (both ends of each connection). */
  connections(): NetSocket[] {
    return [...this.sockets];
  }

  /** Everything closes, as when the phone reboots. */
  reset(): void {
    for (const l of this.listeners()) l.close();
    for (const s of [...this.sockets]) s.close();
  }

  private freePort(): number {
    const span = PhoneNet.EPHEMERAL_LAST - PhoneNet.EPHEMERAL_FIRST + 1;
    for (let i = 0; i < span; i++) {
      const p = this.nextEphemeral;
      this.nextEphemeral = p >= PhoneNet.EPHEMERAL_LAST ? PhoneNet.EPHEMERAL_FIRST : p + 1;
      const used = this.tcp.has(p) || [...this.sockets].some((s) => s.local.family === 'inet' && s.local.port === p);
      if (!used) return p;
    }
    throw new NetError('EADDRNOTAVAIL');
  }
}

/** The address a listener binds: '' and '*' mean every address (0.0.0.0 / ::). Other hosts are not this phone's. */
function normalizeBindHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === '' || h === '*' || h === '0.0.0.0') return '0.0.0.0';
  if (h === '::') return '::';
  if (h === 'localhost') return '127.0.0.1';
  if (h === 'ip6-localhost') return '::1';
  if (isLoopbackHost(h)) return h;
  throw new NetError('EADDRNOTAVAIL');
}

function canonicalLoopback(host: string): string {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '0.0.0.0') return '127.0.0.1';
  if (h === '::' || h === 'ip6-localhost') return '::1';
  return h;
}

const isV6 = (h: string) => h.includes(':');

/** Does a listener bound to `bound` take a connection to `to`? (:: is dual-stack, as on Android.) */
function bindAccepts(bound: string, to: string): boolean {
  if (bound === '::') return true;
  if (bound === '0.0.0.0') return !isV6(to);
  return bound === to;
}

function bindConflicts(a: string, b: string): boolean {
  if (a === b) return true;
  const wild = (h: string) => h === '0.0.0.0' || h === '::';
  if (wild(a) || wild(b)) return isV6(a) === isV6(b) || a === '::' || b === '::';
  return false;
}
