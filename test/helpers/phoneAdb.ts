import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAdbServer, waitFor, type TestAdbServer } from './adbServer';
import { VirtualPhone, type VirtualPhoneOptions } from '../../extension/core/virtualPhone/server';

export interface AdbRun {
  stdout: string;
  stderr: string;
  /** stdout as bytes. */
  bytes: Buffer;
  code: number;
}

export interface PhoneOverAdb {
  server: TestAdbServer;
  phone: VirtualPhone;
  serial: string;
  /** A folder for the test's host files. */
  tmp: string;
  /** Runs the real adb CLI for this phone (`adb -s SERIAL …`), optionally feeding stdin. */
  adb(args: string[], opts?: { input?: Buffer | string; timeoutMs?: number }): Promise<AdbRun>;
  /** Starts adb and returns the child (to kill it mid-stream). */
  spawnAdb(args: string[]): import('node:child_process').ChildProcess;
  stop(): Promise<void>;
}

/** A virtual phone connected to a private, real adb server (Debian's adb), as a user would have it. */
export async function startPhoneOverAdb(opts: VirtualPhoneOptions = {}): Promise<PhoneOverAdb> {
  const server = await startAdbServer();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-conf-'));
  const phone = await VirtualPhone.start({ port: 0, dataDir: path.join(tmp, 'phone'), ...opts });
  const serial = phone.address;
  await server.adb(['connect', serial]);
  await waitFor('the phone to be a device', async () => ((await server.adb(['-s', serial, 'get-state'])).stdout.trim() === 'device' ? true : undefined), 15000);
  const spawnAdb = (args: string[]) => spawn('adb', ['-P', String(server.port), '-s', serial, ...args], { env: server.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const adb = (args: string[], o: { input?: Buffer | string; timeoutMs?: number } = {}) =>
    new Promise<AdbRun>((resolve, reject) => {
      const child = spawnAdb(args);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (d: Buffer) => out.push(d));
      child.stderr?.on('data', (d: Buffer) => err.push(d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`adb ${args.join(' ')} timed out`));
      }, o.timeoutMs ?? 30000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        const bytes = Buffer.concat(out);
        resolve({ stdout: bytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), bytes, code: code ?? 1 });
      });
      child.stdin?.on('error', () => undefined);
      if (o.input !== undefined) child.stdin?.end(o.input);
      else child.stdin?.end();
    });
  return {
    server, phone, serial, tmp, adb, spawnAdb,
    async stop() {
      await phone.stop();
      await server.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
