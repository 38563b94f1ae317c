/**
 * The virtual phone as the real adb CLI sees it (Debian's adb, a private adb server, `adb connect` to the
 * phone): file transfer throughput (push, pull, stdin streamed into `adb shell`), shell round trips one at a
 * time and 100 at once, `adb install` of a 20 MiB APK (streamed and --no-streaming), and logcat (a live
 * stream and a dump of a full buffer). Every transfer is checked by sha256, every echo and log line by its
 * content. Writes bench-results/phone.json atomically, with what each number was measured on.
 *
 * `npm run bench -- phone`. PHONE_BENCH_QUICK=1 shrinks every size (for trying the bench out, not for numbers).
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp, statfsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startPhoneOverAdb, type PhoneOverAdb } from '../test/helpers/phoneAdb';
import { buildApk } from '../test/helpers/apkBuilder';
import { type Metric, summarize } from './report';
import { entryBytes } from '../extension/core/virtualPhone/os/logcat';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const QUICK = process.env.PHONE_BENCH_QUICK === '1';
const r2 = (v: number) => Math.round(v * 100) / 100;

/** A metric with what it was measured on. */
type PhoneMetric = Metric & { p99: number; on: Record<string, unknown> };

const metrics: PhoneMetric[] = [];
const notes: string[] = [];
const loads: Record<string, number[]> = {};

function load(label: string): void {
  loads[label] = os.loadavg().map((v) => Math.round(v * 100) / 100);
}

function add(name: string, values: number[], unit: string, on: Record<string, unknown>, target?: { max?: number; min?: number }): void {
  const m: PhoneMetric = { ...summarize(name, values, unit, target), p99: r2(quantile(values, 0.99)), on: { ...on, loadavg1AtEnd: Math.round(os.loadavg()[0] * 100) / 100 } };
  metrics.push(m);
  console.log(`phone.${name}: median ${m.median} ${unit} (p99 ${m.p99}, min ${m.min}, max ${m.max}, n=${m.samples}) on ${JSON.stringify(on)}`);
}

const now = () => performance.now();

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}


/** Writes `bytes` of random data to `file` in 4 MiB pieces; returns its sha256. */
async function randomFile(file: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let left = bytes; left > 0;) {
    const piece = randomBytes(Math.min(4 * MiB, left));
    hash.update(piece);
    left -= piece.length;
    if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return hash.digest('hex');
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(file, { highWaterMark: 4 * MiB })) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/** Runs adb (for this phone) with stdin read straight from a file, as a shell's `< file` does. */
function adbWithStdinFile(p: PhoneOverAdb, args: string[], file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return fsp.open(file, 'r').then((fh) => new Promise((resolve, reject) => {
    const child = spawn('adb', ['-P', String(p.server.port), '-s', p.serial, ...args], { env: p.server.env, stdio: [fh.fd, 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      void fh.close();
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  }));
}

async function must(p: PhoneOverAdb, args: string[], timeoutMs = 120_000): Promise<string> {
  const r = await p.adb(args, { timeoutMs });
  if (r.code !== 0) throw new Error(`adb ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/* ------------------------------------------------------------------ */

async function pushPull(p: PhoneOverAdb, tmp: string): Promise<void> {
  const free = statfsSync(tmp).bavail * statfsSync(tmp).bsize;
  let size = 1 * GiB;
  if (QUICK) size = 64 * MiB;
  else if (free < 5 * GiB) {
    size = 256 * MiB;
    notes.push(`push/pull used 256 MiB instead of 1 GiB: only ${r2(free / GiB)} GiB free in ${tmp}`);
  }
  const local = path.join(tmp, 'big.bin');
  const back = path.join(tmp, 'big.back.bin');
  const remote = '/data/local/tmp/big.bin';
  const sum = await randomFile(local, size);
  try {
    load('push');
    let t = now();
    await must(p, ['push', local, remote], 600_000);
    const push = (size / MiB) / ((now() - t) / 1000);
    load('pull');
    t = now();
    await must(p, ['pull', remote, back], 600_000);
    const pull = (size / MiB) / ((now() - t) / 1000);
    const backSum = await sha256File(back);
    if (backSum !== sum) throw new Error(`pulled copy differs: ${backSum} != ${sum}`);
    const on = { fileMiB: size / MiB, runs: 1, randomData: true, check: 'sha256 of the pulled copy equals the original', freeGiBInTmp: r2(free / GiB) };
    add('adb_push_mib_s', [push], 'MiB/s', on);
    add('adb_pull_mib_s', [pull], 'MiB/s', on);
  } finally {
    await p.adb(['shell', 'rm', '-f', remote]).catch(() => undefined);
    await fsp.rm(local, { force: true });
    await fsp.rm(back, { force: true });
  }
}

async function stdinStream(p: PhoneOverAdb, tmp: string): Promise<void> {
  const size = QUICK ? 32 * MiB : 256 * MiB;
  const local = path.join(tmp, 'stdin.bin');
  const remote = '/data/local/tmp/f';
  const sum = await randomFile(local, size);
  const runs = QUICK ? 1 : 2;
  const rates: number[] = [];
  let checkedBy = '';
  try {
    for (let i = 0; i < runs; i++) {
      load(`stdin${i}`);
      const t = now();
      const r = await adbWithStdinFile(p, ['shell', `cat > ${remote}`], local);
      const ms = now() - t;
      if (r.code !== 0) throw new Error(`adb shell 'cat > ${remote}' exited ${r.code}: ${r.stderr}`);
      rates.push((size / MiB) / (ms / 1000));
      // The check is on the phone when it has sha256sum; else on the file the phone wrote, in its sandbox.
      const onPhone = await p.adb(['shell', 'sha256sum', remote], { timeoutMs: 120_000 });
      let got: string;
      if (onPhone.code === 0 && /^[0-9a-f]{64}\s/.test(onPhone.stdout)) {
        got = onPhone.stdout.slice(0, 64);
        checkedBy = 'sha256sum on the phone';
      } else {
        got = await sha256File(path.join(p.phone.device.fs.root, remote));
        checkedBy = 'sha256 of the host copy in the phone sandbox (no sha256sum on the phone)';
      }
      if (got !== sum) throw new Error(`the phone's copy differs: ${got} != ${sum}`);
      await must(p, ['shell', 'rm', '-f', remote]);
    }
    add('adb_shell_stdin_cat_mib_s', rates, 'MiB/s', { fileMiB: size / MiB, runs, command: `adb shell 'cat > ${remote}' < file (no pty, shell protocol v2)`, check: checkedBy });
  } finally {
    await fsp.rm(local, { force: true });
  }
}

/** One `adb shell echo N`: its latency in ms, checked to print N. */
async function echo(p: PhoneOverAdb, n: number): Promise<number> {
  const t = now();
  const r = await p.adb(['shell', 'echo', String(n)], { timeoutMs: 60_000 });
  const ms = now() - t;
  if (r.code !== 0 || r.stdout !== `${n}\n`) throw new Error(`adb shell echo ${n}: exit ${r.code}, ${JSON.stringify(r.stdout)} ${r.stderr}`);
  return ms;
}

async function roundTrips(p: PhoneOverAdb): Promise<void> {
  const n = QUICK ? 20 : 100;
  for (let i = 0; i < 5; i++) await echo(p, i); // warm up: the adb server's connection and the OS caches
  load('sequential');
  const seq: number[] = [];
  let t = now();
  for (let i = 0; i < n; i++) seq.push(await echo(p, i));
  const seqWall = now() - t;
  load('concurrent');
  t = now();
  const conc = await Promise.all(Array.from({ length: n }, (_, i) => echo(p, i)));
  const concWall = now() - t;
  const on = (mode: string, wall: number) => ({
    commands: n, mode, wallMs: r2(wall), p50Ms: r2(quantile(mode === 'sequential' ? seq : conc, 0.5)), p99Ms: r2(quantile(mode === 'sequential' ? seq : conc, 0.99)),
    measured: 'from spawning the adb CLI to its exit, output checked', cliStartIncluded: true,
  });
  add('shell_echo_sequential_ms', seq, 'ms', on('sequential', seqWall));
  add('shell_echo_concurrent_ms', conc, 'ms', on('concurrent', concWall));
  add('shell_echo_concurrent_wall_ms', [concWall], 'ms', { commands: n, mode: 'all spawned at once, until the last exits' });
  add('shell_echo_sequential_wall_ms', [seqWall], 'ms', { commands: n, mode: 'one after another' });
}

async function installs(p: PhoneOverAdb, tmp: string): Promise<void> {
  const padding = QUICK ? 4 * MiB : 20 * MiB;
  const apk = buildApk({
    package: 'com.example.benchbig', versionCode: 1, versionName: '1.0', minSdk: 24, targetSdk: 34, label: 'Bench',
    activities: [{ name: '.MainActivity', launcher: true }], signer: 'bench', padding,
  });
  const file = path.join(tmp, 'bench.apk');
  await fsp.writeFile(file, apk);
  const runs = QUICK ? 2 : 5;
  try {
    for (const [mode, flags] of [['streamed', []], ['no_streaming', ['--no-streaming']]] as const) {
      const times: number[] = [];
      load(`install_${mode}`);
      for (let i = 0; i < runs; i++) {
        const t = now();
        const out = await must(p, ['install', '-r', ...flags, file], 120_000);
        times.push(now() - t);
        if (!/^Success$/m.test(out)) throw new Error(`adb install ${mode}: ${out}`);
      }
      add(`adb_install_${mode}_ms`, times, 'ms', {
        apkMiB: r2(apk.length / MiB), runs, command: `adb install -r ${flags.join(' ')}`.trim(),
        check: 'prints Success', path: mode === 'streamed' ? 'streamed into package install -S (adb 29 default, as the phone offers the cmd and abb_exec features)' : 'legacy: push to /data/local/tmp, then pm install',
      });
    }
    await must(p, ['uninstall', 'com.example.benchbig']);
  } finally {
    await fsp.rm(file, { force: true });
  }
}

const THREADTIME = /^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +(\d+) +(\d+) ([VDIWEF]) (\S+) *: (.*)$/;

async function logcatStream(p: PhoneOverAdb): Promise<void> {
  const total = QUICK ? 20_000 : 200_000;
  const logs = p.phone.device.logcat;
  await must(p, ['logcat', '-c']);
  const child = p.spawnAdb(['logcat', '-v', 'threadtime', 'BenchLog:V', "'*:S'"]);
  child.stdin?.end();
  let received = 0;
  let bad = 0;
  let outOfOrder = 0;
  let expected = 0;
  let ready = false;
  let firstAt = 0;
  let lastAt = 0;
  let bytes = 0;
  let rest = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (s: string) => {
    bytes += Buffer.byteLength(s);
    const lines = (rest + s).split('\n');
    rest = lines.pop() as string;
    for (const line of lines) {
      const m = THREADTIME.exec(line);
      if (!m || m[4] !== 'BenchLog') { bad++; continue; }
      if (m[5] === 'ready') { ready = true; continue; }
      const n = Number(/^line (\d+) /.exec(m[5])?.[1] ?? -1);
      if (n !== expected) outOfOrder++;
      expected = n + 1;
      received++;
      lastAt = now();
    }
  });
  try {
    // The stream is up when a marker line comes through.
    const upBy = Date.now() + 15_000;
    while (!ready) {
      if (Date.now() > upBy) throw new Error('adb logcat never showed the marker line');
      logs.write({ level: 'I', tag: 'BenchLog', msg: 'ready', pid: 4321, tid: 4322 });
      await new Promise((r) => setTimeout(r, 50));
    }
    bytes = 0;
    bad = 0;
    load('logcat_stream');
    // Produce as fast as the reader takes it: never more than 20,000 lines ahead of what adb printed
    // (logcat on the phone drops the oldest of a backlog past 100,000, as logd does with a slow reader).
    const msg = 'the quick brown fox jumps over the lazy dog, again and again';
    firstAt = now();
    let written = 0;
    while (written < total) {
      if (written - received > 20_000) { await new Promise((r) => setTimeout(r, 1)); continue; }
      const upTo = Math.min(total, written + 2000);
      for (; written < upTo; written++) logs.write({ level: 'I', tag: 'BenchLog', msg: `line ${written} ${msg}`, pid: 4321, tid: 4322 });
      await new Promise((r) => setImmediate(r));
    }
    const writtenAt = now();
    const doneBy = Date.now() + 60_000;
    while (received < total && Date.now() < doneBy) await new Promise((r) => setTimeout(r, 10));
    if (received !== total || outOfOrder || bad) throw new Error(`adb logcat showed ${received}/${total} lines (${outOfOrder} out of order, ${bad} malformed)`);
    const secs = (lastAt - firstAt) / 1000;
    add('logcat_stream_lines_s', [total / secs], 'lines/s', {
      lines: total, format: 'threadtime', command: 'adb logcat -v threadtime BenchLog:V *:S', bytesReceived: bytes, lineBytes: r2(bytes / total),
      seconds: r2(secs), producerDoneAfterS: r2((writtenAt - firstAt) / 1000),
      producer: 'LogBuffer.write in-process, 2000 lines per tick, at most 20,000 lines ahead of what adb printed',
      check: 'every line parsed as threadtime, numbered in order, none missing',
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('close', r)));
  }
}

async function logcatDump(p: PhoneOverAdb): Promise<void> {
  const logs = p.phone.device.logcat;
  const msg = 'ActivityManager: Start proc 12345:com.example.app/u0a123 for activity {com.example.app/.MainActivity}';
  const sizes = QUICK ? [256 * 1024] : [256 * 1024, 16 * MiB];
  for (const ringBytes of sizes) {
    await must(p, ['logcat', '-b', 'main', '-G', String(ringBytes)]);
    if (logs.size('main') !== ringBytes) throw new Error(`logcat -G ${ringBytes} did not size the main buffer (${logs.size('main')})`);
    await must(p, ['logcat', '-b', 'all', '-c']);
    // Full: written until the ring dropped its oldest lines, then some more.
    let i = 0;
    let written = 0;
    while (written < ringBytes) written += entryBytes(logs.write({ level: 'D', tag: 'BenchDump', msg: `${i++} ${msg}`, pid: 2000, tid: 2001 }));
    for (let j = 0; j < 100; j++) logs.write({ level: 'D', tag: 'BenchDump', msg: `${i++} ${msg}`, pid: 2000, tid: 2001 });
    const held = logs.read(['main']).length;
    if (held >= i) throw new Error('the main buffer did not fill');
    const times: number[] = [];
    let lines = 0;
    let bytes = 0;
    const runs = 3;
    load(`logcat_dump_${ringBytes}`);
    for (let k = 0; k < runs; k++) {
      const t = now();
      const r = await p.adb(['logcat', '-d', '-b', 'main', '-v', 'threadtime'], { timeoutMs: 120_000 });
      times.push(now() - t);
      if (r.code !== 0) throw new Error(`adb logcat -d: ${r.stderr}`);
      bytes = r.bytes.length;
      // logcat prints a "--------- beginning of main" divider first.
      lines = r.stdout.split('\n').filter((l) => THREADTIME.test(l)).length;
      if (lines !== held) throw new Error(`adb logcat -d showed ${lines} lines, the buffer holds ${held}`);
    }
    const label = ringBytes >= MiB ? `${ringBytes / MiB}M` : `${ringBytes / 1024}K`;
    const on = {
      ringBytes, ringSetBy: `adb logcat -b main -G ${label}`, linesHeld: held, bytesOut: bytes, runs, command: 'adb logcat -d -b main -v threadtime',
      check: 'line count equals what the ring holds',
    };
    add(`logcat_dump_${label}_ms`, times, 'ms', on);
    add(`logcat_dump_${label}_lines_s`, times.map((ms) => held / (ms / 1000)), 'lines/s', on);
  }
}

/* ------------------------------------------------------------------ */

async function main(): Promise<void> {
  const started = now();
  load('start');
  const adbVersion = execFileSync('adb', ['version'], { encoding: 'utf8' }).trim().split('\n').slice(0, 2).join('; ');
  const p = await startPhoneOverAdb();
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mobileai-phonebench-'));
  const sections: Record<string, number> = {};
  const section = async (name: string, fn: () => Promise<void>) => {
    const t = now();
    console.log(`-- ${name}`);
    await fn();
    sections[name] = r2((now() - t) / 1000);
  };
  try {
    await section('push_pull', () => pushPull(p, tmp));
    await section('stdin_stream', () => stdinStream(p, tmp));
    await section('round_trips', () => roundTrips(p));
    await section('install', () => installs(p, tmp));
    await section('logcat_stream', () => logcatStream(p));
    await section('logcat_dump', () => logcatDump(p));
  } finally {
    await p.stop();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  load('end');
  if (QUICK) notes.push('PHONE_BENCH_QUICK=1: reduced sizes, not comparable');
  const out = {
    bench: 'phone',
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / GiB), node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`, tmp: os.tmpdir(),
    },
    adb: { version: adbVersion, server: 'a private adb server (adb -P PORT server nodaemon), phone attached by adb connect 127.0.0.1:PORT' },
    phone: 'the virtual phone in the bench process (VirtualPhone.start), files in a temporary folder under tmp',
    loadavg: { note: 'os.loadavg() [1, 5, 15 min] when each part started; others share the machine, so numbers may be noisy', ...loads },
    sectionSeconds: sections,
    totalSeconds: r2((now() - started) / 1000),
    notes,
    metrics,
  };
  const dir = path.resolve(__dirname, '..', 'bench-results');
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'phone.json');
  const part = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(part, `${JSON.stringify(out, null, 2)}\n`);
  await fsp.rename(part, file);
  console.log(`wrote ${path.relative(process.cwd(), file)} (${out.totalSeconds} s)`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
