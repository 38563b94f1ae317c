import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

export interface TestAdbServer {
  port: number;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Runs the real adb CLI against this server. */
  adb(args: string[], opts?: { timeoutMs?: number }): Promise<{ stdout: string; stderr: string; code: number }>;
  stop(): Promise<void>;
}

/**
 * A real adb server (Debian's adb) on a port and HOME of its own, so tests never touch a user's server
 * or keys.
 */
export async function startAdbServer(): Promise<TestAdbServer> {
  const port = await freePort();
  const home = await mkdtemp(path.join(os.tmpdir(), 'mobileai-adbhome-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ANDROID_ADB_SERVER_PORT: String(port), ADB_MDNS: '0', ADB_MDNS_OPENSCREEN: '0' };
  delete env.ADB_SERVER_SOCKET;
  delete env.ANDROID_ADB_SERVER_ADDRESS;
  const child: ChildProcess = spawn('adb', ['-P', String(port), 'server', 'nodaemon'], { env, stdio: 'ignore' });
  const deadline = Date.now() + 15000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`adb server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const adb = (args: string[], opts: { timeoutMs?: number } = {}) =>
    new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
      execFile('adb', ['-P', String(port), ...args], { env, timeout: opts.timeoutMs ?? 20000, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((err as unknown as { code: number }).code) : 1) : 0;
        resolve({ stdout, stderr, code });
      });
    });
  return {
    port, home, env, adb,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      await rm(home, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
