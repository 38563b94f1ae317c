import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type Client from '@devicefarmer/adbkit/dist/src/adb/client';
import type Connection from '@devicefarmer/adbkit/dist/src/adb/connection';
import { locateAdb, type AdbLocation } from './locate';
import { resolveServerAddress, type AdbServerAddress } from './serverAddress';
import { INFO_COMMAND, parseDevicesL, parseInfoOutput, type DeviceInfo, type DeviceSummary } from './deviceInfo';
import { quoteArg, shellCommand } from '../util/shellQuote';
import { writeFileAtomicNoClobber } from '../util/fsAtomic';
import { errorMessage, silentLogger, type Logger } from '../util/log';
import { CancelledError, type CancelSignal, type ProgressSink } from '../util/progress';
import { pngSize } from '../util/png';

export interface AdbSettings {
  /** Path to adb (file or folder); empty means search ANDROID_HOME, ANDROID_SDK_ROOT, PATH. */
  adbPath?: string;
  /** adb server host; empty means adb's environment or 127.0.0.1. */
  serverHost?: string;
  /** adb server port; 0/empty means adb's environment or 5037. */
  serverPort?: number;
}

export class AdbServerUnreachableError extends Error {}
export class DeviceNotReadyError extends Error {}
export class TransferError extends Error {}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** `host:` services answer OKAY/FAIL then a length-prefixed value; this sends one and returns the raw connection. */
function encodeRequest(service: string): Buffer {
  const body = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from(body.length.toString(16).padStart(4, '0'), 'ascii'), body]);
}

/**
 * The engine's door to phones: the adb server (started when needed), adbkit as the client, and the
 * device-side commands a tool needs. Never imports vscode.
 */
export class AdbService {
  readonly address: AdbServerAddress;
  private clientInstance: Client | undefined;
  private located: Promise<AdbLocation> | undefined;
  private serverChecked: Promise<void> | undefined;
  private readonly features = new Map<string, Promise<string[]>>();
  private readonly log: Logger;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly settings: AdbSettings = {}, opts: { env?: NodeJS.ProcessEnv; log?: Logger; requestTimeoutMs?: number } = {}) {
    this.env = opts.env ?? process.env;
    this.log = opts.log ?? silentLogger;
    this.address = resolveServerAddress({ host: settings.serverHost, port: settings.serverPort }, this.env);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
  }

  private readonly requestTimeoutMs: number;

  /** adbkit is loaded on first use (it is most of the bundle's start-up cost; activation stays fast). */
  private get client(): Client {
    if (!this.clientInstance) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const adbkit = require('@devicefarmer/adbkit') as typeof import('@devicefarmer/adbkit');
      // bin: a path that cannot run, so adbkit never starts a server on its own; ensureServer() does.
      const client = adbkit.default.createClient({ host: this.address.host, port: this.address.port, bin: '/nonexistent/mobileai-no-autostart-adb', timeout: this.requestTimeoutMs });
      // adbkit re-emits every connection's socket errors (EPIPE when a phone vanishes mid-transfer) on the
      // client; unheard, they would crash the process. The operation that owned the socket reports the failure.
      (client as unknown as EventEmitter).on('error', (err: Error) => this.log.warn(`adb connection error: ${err.message}`));
      this.clientInstance = client;
    }
    return this.clientInstance;
  }

  /** Finds the adb executable (setting, ANDROID_HOME/ANDROID_SDK_ROOT, PATH). Throws AdbNotFoundError. */
  locate(): Promise<AdbLocation> {
    this.located ??= locateAdb({ configuredPath: this.settings.adbPath, env: this.env }).catch((err) => {
      this.located = undefined;
      throw err;
    });
    return this.located;
  }

  /** Runs the adb CLI against our server (for start-server and the terminal). */
  async adbArgs(): Promise<{ adb: string; args: string[] }> {
    const { path: adb } = await this.locate();
    // adb refuses to start a server when given -H, even 127.0.0.1: pass the host only when it is remote.
    const host = this.address.local ? [] : ['-H', this.address.host];
    return { adb, args: [...host, '-P', String(this.address.port)] };
  }

  private async runAdb(args: string[], timeoutMs = 20000): Promise<string> {
    const { adb, args: base } = await this.adbArgs();
    this.log.info(`$ ${[adb, ...base, ...args].join(' ')}`);
    return new Promise((resolve, reject) => {
      execFile(adb, [...base, ...args], { env: this.env, timeout: timeoutMs }, (err, stdout, stderr) => {
        if (err) reject(new Error(`adb ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
        else resolve(`${stdout}${stderr}`);
      });
    });
  }

  /** Makes sure an adb server answers: starts a local one when none runs. */
  ensureServer(): Promise<void> {
    this.serverChecked ??= this.doEnsureServer().catch((err) => {
      this.serverChecked = undefined;
      throw err;
    });
    return this.serverChecked;
  }

  private async doEnsureServer(): Promise<void> {
    try {
      const v = await this.client.version();
      this.log.info(`adb server ${this.address.host}:${this.address.port} answers (protocol ${v}, from ${this.address.source})`);
      return;
    } catch (err) {
      if (!this.address.local) {
        throw new AdbServerUnreachableError(`Cannot reach the adb server at ${this.address.host}:${this.address.port}: ${errorMessage(err)}. Start it there with "adb -a -P ${this.address.port} server nodaemon".`);
      }
    }
    await this.runAdb(['start-server'], 30000);
    await this.client.version();
    this.log.info(`started the adb server on ${this.address.host}:${this.address.port}`);
  }

  async listDevices(): Promise<DeviceSummary[]> {
    await this.ensureServer();
    return parseDevicesL(await this.hostQuery('host:devices-l'));
  }

  /** One `host:` request answered with a length-prefixed value (devices-l, features, version…). */
  private async hostQuery(service: string): Promise<string> {
    const conn = (await this.client.connection()) as unknown as Connection;
    try {
      conn.write(encodeRequest(service));
      const reply = await conn.parser.readAscii(4);
      if (reply !== 'OKAY') throw new Error(`adb server refused ${service}: ${String(await conn.parser.readError().catch((e: Error) => e.message))}`);
      return (await conn.parser.readValue()).toString('utf8');
    } finally {
      conn.end();
    }
  }

  /**
   * The list with each ready device's real model and manufacturer (getprop: the banner's model has
   * underscores for spaces). A device that does not answer within `timeoutMs` keeps its banner values.
   */
  async listDevicesDetailed(timeoutMs = 3000): Promise<DeviceSummary[]> {
    const list = await this.listDevices();
    return Promise.all(list.map(async (d) => {
      if (d.state !== 'device') return d;
      try {
        const out = (await withTimeout(this.shell(d.serial, 'getprop ro.product.model; getprop ro.product.manufacturer'), timeoutMs, () => undefined)).toString('utf8').split(/\r?\n/);
        return { ...d, model: out[0]?.trim() || d.model, manufacturer: out[1]?.trim() || undefined };
      } catch {
        return d;
      }
    }));
  }

  /** Live device list from adb's track-devices (pushed by the server: no polling). */
  async watch(): Promise<DeviceWatcher> {
    await this.ensureServer();
    const w = new DeviceWatcher(this.client, this.log);
    await w.start();
    return w;
  }

  private async requireDevice(serial: string): Promise<DeviceSummary> {
    const devices = await this.listDevices();
    const d = devices.find((x) => x.serial === serial);
    if (!d) throw new DeviceNotReadyError(`No device "${serial}" is connected to the adb server at ${this.address.host}:${this.address.port}.`);
    if (d.state !== 'device') throw new DeviceNotReadyError(`Device ${serial} is ${d.state}: ${d.hint ?? ''}`.trim());
    return d;
  }

  async info(serial: string): Promise<DeviceInfo> {
    const summary = await this.requireDevice(serial);
    const out = await this.shell(serial, INFO_COMMAND);
    return parseInfoOutput(summary, out.toString('utf8'));
  }

  /** Opens a device service (`shell,v2,raw:…`, `exec:…`, `sync:`…) and returns the connection after OKAY. */
  async openService(serial: string, service: string): Promise<Connection> {
    const conn = (await this.client.getDevice(serial).transport()) as unknown as Connection;
    conn.write(encodeRequest(service));
    const reply = await conn.parser.readAscii(4);
    if (reply !== 'OKAY') {
      const msg = reply === 'FAIL' ? await conn.parser.readError().catch((e: Error) => e.message) : `unexpected reply ${reply}`;
      conn.end();
      throw new Error(`device ${serial} refused ${service.split(':')[0]}: ${String(msg)}`);
    }
    return conn;
  }

  private async deviceFeatures(serial: string): Promise<string[]> {
    let p = this.features.get(serial);
    if (!p) {
      p = (async () => {
        return (await this.hostQuery(`host-serial:${serial}:features`)).split(',');
      })().catch(() => []);
      this.features.set(serial, p);
      setTimeout(() => this.features.delete(serial), 30000).unref();
    }
    return p;
  }

  /** Runs a command line (already quoted) through the v1 shell; resolves to its output. */
  async shell(serial: string, commandLine: string): Promise<Buffer> {
    this.log.info(`[${serial}] shell: ${commandLine.length > 200 ? `${commandLine.slice(0, 200)}…` : commandLine}`);
    const conn = await this.openService(serial, `shell:${commandLine}`);
    return (await conn.parser.readAll()) as Buffer;
  }

  /**
   * Runs argv on the device (every argument quoted) and returns stdout, stderr and the exit code, using
   * shell protocol v2 where the device has it and an exit-code trailer otherwise.
   */
  async exec(serial: string, argv: readonly string[], opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const cmd = shellCommand(argv);
    return this.execLine(serial, cmd, opts);
  }

  async execLine(serial: string, cmd: string, opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const features = await this.deviceFeatures(serial);
    this.log.info(`[${serial}] exec: ${cmd.length > 200 ? `${cmd.slice(0, 200)}…` : cmd}`);
    if (!features.includes('shell_v2')) {
      const marker = '__MOBILEAI_EXIT__';
      const conn = await this.openService(serial, `shell:${cmd}; echo ${marker}$?`);
      const all = ((await withTimeout(conn.parser.readAll(), opts.timeoutMs, () => conn.end())) as Buffer).toString('utf8');
      const m = new RegExp(`${marker}(\\d+)\\s*$`).exec(all);
      return { stdout: Buffer.from(m ? all.slice(0, m.index) : all), stderr: Buffer.alloc(0), exitCode: m ? Number(m[1]) : -1 };
    }
    const conn = await this.openService(serial, `shell,v2,raw:${cmd}`);
    const raw = (await withTimeout(conn.parser.readAll(), opts.timeoutMs, () => conn.end())) as Buffer;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let exitCode = -1;
    for (let p = 0; p + 5 <= raw.length; ) {
      const id = raw[p];
      const len = raw.readUInt32LE(p + 1);
      const data = raw.subarray(p + 5, p + 5 + len);
      if (id === 1) out.push(data);
      else if (id === 2) err.push(data);
      else if (id === 3) exitCode = data[0] ?? -1;
      p += 5 + len;
    }
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode };
  }

  /** `exec:` raw bytes (binary-safe stdout, e.g. screencap). */
  async execOut(serial: string, argv: readonly string[], opts: { timeoutMs?: number } = {}): Promise<Buffer> {
    const cmd = shellCommand(argv);
    this.log.info(`[${serial}] exec-out: ${cmd}`);
    const conn = await this.openService(serial, `exec:${cmd}`);
    return (await withTimeout(conn.parser.readAll(), opts.timeoutMs, () => conn.end())) as Buffer;
  }

  /** A long-running `exec:` command as a byte stream (screenrecord); close() ends it on the phone too. */
  async openExecStream(serial: string, argv: readonly string[]): Promise<{ stream: NodeJS.ReadableStream; close(): void }> {
    const cmd = shellCommand(argv);
    this.log.info(`[${serial}] exec-stream: ${cmd}`);
    const conn = await this.openService(serial, `exec:${cmd}`);
    const stream = conn.parser.raw() as unknown as NodeJS.ReadableStream;
    return { stream, close: () => conn.end() };
  }

  /** Saves the screen as PNG to `outPath` (never overwriting). */
  async screenshot(serial: string, outPath: string): Promise<{ path: string; width: number; height: number; bytes: number }> {
    await this.requireDevice(serial);
    const png = await this.execOut(serial, ['screencap', '-p'], { timeoutMs: 20000 });
    const size = pngSize(png);
    if (!size) {
      const preview = png.subarray(0, 120).toString('utf8').replace(/\s+/g, ' ').trim();
      throw new Error(`The device did not return a PNG screenshot${preview ? `: "${preview}"` : ' (empty output)'}. A secure window (banking app, DRM video) or a locked screen can block screencap.`);
    }
    await writeFileAtomicNoClobber(outPath, png);
    this.log.info(`[${serial}] screenshot ${size.width}x${size.height} → ${outPath}`);
    return { path: outPath, ...size, bytes: png.length };
  }

  async connect(target: string): Promise<string> {
    await this.ensureServer();
    const { host, port } = splitHostPort(target);
    this.log.info(`adb connect ${host}:${port}`);
    try {
      return String(await this.client.connect(host, port));
    } catch (err) {
      // adb itself treats this as connected: the phone is listed as "unauthorized" until the user allows it.
      if (/failed to authenticate/.test(errorMessage(err))) {
        this.log.warn(`${host}:${port} is waiting for the user to allow USB debugging on the phone`);
        return `${host}:${port}`;
      }
      throw new Error(`Cannot connect to ${host}:${port}: ${errorMessage(err)}`);
    }
  }

  async disconnect(target: string): Promise<void> {
    await this.ensureServer();
    const { host, port } = splitHostPort(target);
    this.log.info(`adb disconnect ${host}:${port}`);
    await this.client.disconnect(host, port);
  }

  /**
   * Pushes a file. Reports progress; cancellable; a phone that stops answering (unplugged, killed) fails
   * within `stallMs` with a clear error instead of hanging.
   */
  async push(serial: string, localPath: string, remotePath: string, opts: { mode?: number; progress?: ProgressSink; signal?: CancelSignal; stallMs?: number } = {}): Promise<{ bytes: number }> {
    await this.requireDevice(serial);
    const total = (await fs.stat(localPath)).size;
    this.log.info(`[${serial}] push ${localPath} → ${remotePath} (${total} bytes)`);
    const sync = await this.openSync(serial);
    try {
      const transfer = sync.push(createReadStream(localPath), remotePath, opts.mode ?? 0o644);
      await watchTransfer(transfer, total, `push to ${serial}:${remotePath}`, opts);
    } finally {
      sync.end();
    }
    return { bytes: total };
  }

  /** Pulls a file to a new local file (written atomically, never overwriting). */
  async pull(serial: string, remotePath: string, localPath: string, opts: { progress?: ProgressSink; signal?: CancelSignal; stallMs?: number } = {}): Promise<{ bytes: number }> {
    await this.requireDevice(serial);
    const sync = await this.openSync(serial);
    try {
      return await this.pullWith(sync, serial, remotePath, localPath, opts);
    } finally {
      sync.end();
    }
  }

  /** One sync connection per transfer, ended when the transfer ends however it ends. */
  private async openSync(serial: string): Promise<SyncClient> {
    return (await this.client.getDevice(serial).syncService()) as unknown as SyncClient;
  }

  private async pullWith(sync: SyncClient, serial: string, remotePath: string, localPath: string, opts: { progress?: ProgressSink; signal?: CancelSignal; stallMs?: number }): Promise<{ bytes: number }> {
    const st = await sync.stat(remotePath).catch((err: Error) => {
      throw new TransferError(`Cannot read ${serial}:${remotePath}: ${err.message}`);
    });
    if (!st.isFile()) throw new TransferError(`${serial}:${remotePath} is not a file (or does not exist)`);
    this.log.info(`[${serial}] pull ${remotePath} → ${localPath} (${st.size} bytes)`);
    const dir = path.dirname(localPath);
    await fs.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(localPath)}.${process.pid}.${Date.now()}.part`);
    const transfer = sync.pull(remotePath);
    const out = createWriteStream(tmp, { flags: 'wx' });
    transfer.pipe(out);
    try {
      await watchTransfer(transfer, st.size, `pull from ${serial}:${remotePath}`, opts);
      await new Promise<void>((resolve, reject) => (out.writableFinished ? resolve() : out.on('finish', resolve).on('error', reject)));
      await fs.link(tmp, localPath).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? new Error(`Refusing to overwrite existing file ${localPath}`) : err;
      });
    } finally {
      out.destroy();
      await fs.rm(tmp, { force: true });
    }
    return { bytes: st.size };
  }

  /** Opens `adb shell` for a terminal: the command and arguments to spawn. */
  async shellCommandFor(serial: string): Promise<{ command: string; args: string[] }> {
    const { adb, args } = await this.adbArgs();
    return { command: adb, args: [...args, '-s', serial, 'shell'] };
  }

  static quote = quoteArg;
}

function splitHostPort(target: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(target.trim());
  if (!m) throw new Error(`"${target}" is not HOST or HOST:PORT`);
  const port = m[2] ? Number(m[2]) : 5555;
  if (port < 1 || port > 65535) throw new Error(`port ${port} is out of range`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function withTimeout<T>(p: PromiseLike<T>, ms: number | undefined, onTimeout: () => void): Promise<T> {
  if (!ms) return Promise.resolve(p);
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout();
      reject(new Error(`device command timed out after ${ms} ms`));
    }, ms);
    Promise.resolve(p).then(
      (v) => { clearTimeout(t); resolve(v); },
      (e: unknown) => { clearTimeout(t); reject(e); },
    );
  });
}

interface Transfer extends EventEmitter {
  cancel(): unknown;
}

interface SyncClient {
  push(contents: NodeJS.ReadableStream, path: string, mode?: number): Transfer;
  pull(path: string): Transfer & NodeJS.ReadableStream;
  stat(path: string): Promise<{ size: number; isFile(): boolean }>;
  end(): void;
}

/** Waits for an adbkit transfer, with progress, cancel and a stall watchdog. */
function watchTransfer(transfer: Transfer, total: number, what: string, opts: { progress?: ProgressSink; signal?: CancelSignal; stallMs?: number }): Promise<void> {
  const stallMs = opts.stallMs ?? 5000;
  return new Promise<void>((resolve, reject) => {
    let last = Date.now();
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      unsubscribe?.();
      if (err) {
        transfer.cancel();
        reject(err);
      } else resolve();
    };
    const timer = setInterval(() => {
      if (Date.now() - last > stallMs) finish(new TransferError(`The ${what} stopped: the phone did not answer for ${Math.round(stallMs / 1000)} s (unplugged or adb connection lost). Nothing was left half-written on this computer.`));
    }, 250);
    const unsubscribe = opts.signal?.onCancel(() => finish(new CancelledError(`${what} cancelled`)));
    transfer.on('progress', (stats: { bytesTransferred: number }) => {
      last = Date.now();
      opts.progress?.report({ done: stats.bytesTransferred, total, message: what });
    });
    transfer.on('end', () => finish());
    transfer.on('error', (err: Error) => finish(new TransferError(`The ${what} failed: ${err.message}`)));
  });
}

/**
 * Live device list from the server's `host:track-devices-l` (the server pushes every change: no polling),
 * over an adbkit connection. Emits 'devices' (DeviceSummary[]) on every change and 'error' when it stops.
 */
export class DeviceWatcher extends EventEmitter {
  private conn: Connection | undefined;
  private stopped = false;
  devices: DeviceSummary[] = [];

  constructor(private readonly client: Client, private readonly log: Logger) {
    super();
  }

  async start(): Promise<void> {
    const conn = (await this.client.connection()) as unknown as Connection;
    this.conn = conn;
    // The client's socket timeout is for requests; this connection is idle until a device changes.
    conn.socket.setTimeout(0);
    conn.write(encodeRequest('host:track-devices-l'));
    const reply = await conn.parser.readAscii(4);
    if (reply !== 'OKAY') throw new Error(`adb server refused device tracking: ${String(await conn.parser.readError().catch((e: Error) => e.message))}`);
    // The first list arrives at once; read it before returning so callers start with the truth.
    this.devices = parseDevicesL((await conn.parser.readValue()).toString('utf8'));
    void this.loop(conn);
  }

  private async loop(conn: Connection): Promise<void> {
    try {
      for (;;) {
        const value = (await conn.parser.readValue()).toString('utf8');
        if (this.stopped) return;
        this.devices = parseDevicesL(value);
        this.emit('devices', this.devices);
      }
    } catch (err) {
      if (this.stopped) return;
      this.log.warn(`adb device tracking ended: ${errorMessage(err)}`);
      this.emit('error', new AdbServerUnreachableError(`The adb server stopped answering (${errorMessage(err)}); device tracking ended.`));
    }
  }

  stop(): void {
    this.stopped = true;
    this.conn?.end();
  }
}
