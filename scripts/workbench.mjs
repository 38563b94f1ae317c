// Starts the whole main job: an adb server on a port of its own, a virtual phone connected to it, and
// code-server with the packaged extension and a sample workspace. Used by `npm start` and the e2e tests.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { root } from './setup.mjs';
import { ensureCodeServer } from './codeServer.mjs';

export function canConnect(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port, what, child, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${what} did not listen on port ${port} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Copies the sample files that are missing into `dir`; a user's own files are never overwritten. */
export function prepareWorkspace(dir) {
  mkdirSync(path.join(dir, 'models'), { recursive: true });
  const want = [
    [path.join(root, 'samples', 'workspace', 'README.md'), path.join(dir, 'README.md')],
    [path.join(root, 'test', 'fixtures', 'models', 'mnist.onnx'), path.join(dir, 'models', 'mnist.onnx')],
    [path.join(root, 'test', 'fixtures', 'PROVENANCE.md'), path.join(dir, 'models', 'PROVENANCE.md')],
  ];
  for (const [from, to] of want) if (!existsSync(to)) copyFileSync(from, to);
  // The Once-for-All Note10 tables and predictor, for Search Architecture.
  mkdirSync(path.join(dir, 'nas'), { recursive: true });
  for (const f of readdirSync(path.join(root, 'test', 'fixtures', 'nas'))) {
    const to = path.join(dir, 'nas', f);
    if (!existsSync(to)) copyFileSync(path.join(root, 'test', 'fixtures', 'nas', f), to);
  }
  for (const name of readdirSync(path.join(root, 'samples', 'workspace'))) {
    const to = path.join(dir, name);
    if (!existsSync(to)) cpSync(path.join(root, 'samples', 'workspace', name), to, { recursive: true });
  }
  return dir;
}

/** Builds the production bundles and the .vsix (vscode:prepublish builds), unless it is newer than every source. */
export function packageExtension({ force = false } = {}) {
  const { name, version } = JSON.parse(String(spawnSync('cat', [path.join(root, 'package.json')]).stdout));
  const vsix = path.join(root, `${name}-${version}-linux-x64.vsix`);
  const newest = (p) => {
    const st = statSync(p);
    if (!st.isDirectory()) return st.mtimeMs;
    return Math.max(st.mtimeMs, ...readdirSync(p).map((n) => newest(path.join(p, n))));
  };
  const sources = ['extension', 'webview', 'language-server', 'media', 'package.json', 'package-lock.json', '.vscodeignore'].map((p) => path.join(root, p)).filter(existsSync);
  if (!force && existsSync(vsix) && statSync(vsix).mtimeMs > Math.max(...sources.map(newest))) return vsix;
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'package.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('packaging the extension failed');
  // Keep dist/ usable for development (source maps): rebuild the dev bundles.
  spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'ignore' });
  return vsix;
}

/**
 * Launches everything. Returns handles and a stop() that stops what this call started, and nothing else.
 * opts: { port, adbPort, phonePort, workspace, dataDir, env, log, settings }
 */
export async function launchWorkbench(opts) {
  const log = opts.log ?? ((m) => console.log(m));
  const started = [];
  const stop = async () => {
    for (const s of started.reverse()) {
      try { await s(); } catch { /* keep stopping the rest */ }
    }
    started.length = 0;
  };
  try {
    const codeServer = ensureCodeServer();
    const vsix = packageExtension();
    const env = { ...process.env, ...(opts.env ?? {}), ANDROID_ADB_SERVER_PORT: String(opts.adbPort) };
    delete env.ADB_SERVER_SOCKET;
    const adb = (args) => spawnSync('adb', ['-P', String(opts.adbPort), ...args], { env, encoding: 'utf8', timeout: 20000 });

    // 1. An adb server on a port of its own (reused if one already answers there: then it is not ours to stop).
    if (await canConnect(opts.adbPort)) {
      log(`adb server already running on port ${opts.adbPort}: using it`);
    } else {
      const child = spawn('adb', ['-P', String(opts.adbPort), 'server', 'nodaemon'], { env, stdio: 'ignore' });
      started.push(async () => { child.kill('SIGTERM'); await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r))); });
      await waitPort(opts.adbPort, 'adb server', child, 20000);
      log(`adb server on port ${opts.adbPort}`);
    }

    // 2. A virtual phone, connected.
    const phoneArgs = [path.join(root, 'bin', 'mobileai.js'), 'virtual-phone', '--port', String(opts.phonePort)];
    if (opts.dataDir) phoneArgs.push('--data-dir', path.join(opts.dataDir, 'virtual-phone'));
    const phone = spawn(process.execPath, phoneArgs, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    started.push(async () => {
      // Only while the server still runs: adb would otherwise start a new daemon just to disconnect.
      if (await canConnect(opts.adbPort)) adb(['disconnect', `127.0.0.1:${opts.phonePort}`]);
      phone.kill('SIGTERM');
      await new Promise((r) => (phone.exitCode !== null ? r() : phone.once('exit', r)));
    });
    await waitPort(opts.phonePort, 'virtual phone', phone, 20000);
    const c = adb(['connect', `127.0.0.1:${opts.phonePort}`]);
    if (c.status !== 0) throw new Error(`adb connect failed: ${c.stderr || c.stdout}`);
    log(`virtual phone on 127.0.0.1:${opts.phonePort} (${c.stdout.trim()})`);

    // 3. code-server with the extension installed into a profile of its own.
    const userDir = path.join(opts.dataDir, 'code-server', 'user');
    const extDir = path.join(opts.dataDir, 'code-server', 'extensions');
    mkdirSync(path.join(userDir, 'User'), { recursive: true });
    const settings = {
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'telemetry.telemetryLevel': 'off',
      'security.workspace.trust.enabled': false,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'mobileAI.adb.serverPort': opts.adbPort,
      ...(opts.settings ?? {}),
    };
    writeFileSync(path.join(userDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    const csEnv = { ...env, HOME: opts.home ?? env.HOME };
    const inst = spawnSync(process.execPath, [codeServer, '--user-data-dir', userDir, '--extensions-dir', extDir, '--install-extension', vsix, '--force'], { env: csEnv, encoding: 'utf8', timeout: 120000 });
    if (inst.status !== 0) throw new Error(`installing the extension into code-server failed: ${inst.stderr || inst.stdout}`);
    const cs = spawn(process.execPath, [codeServer, '--bind-addr', `127.0.0.1:${opts.port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', '--user-data-dir', userDir, '--extensions-dir', extDir, opts.workspace], { env: csEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let csLog = '';
    cs.stdout.on('data', (d) => (csLog += d));
    cs.stderr.on('data', (d) => (csLog += d));
    started.push(async () => { cs.kill('SIGTERM'); await new Promise((r) => (cs.exitCode !== null ? r() : cs.once('exit', r))); });
    await waitPort(opts.port, 'code-server', cs, 60000).catch((err) => { throw new Error(`${err.message}\n${csLog}`); });
    const url = `http://127.0.0.1:${opts.port}/?folder=${encodeURIComponent(opts.workspace)}`;
    return { url, userDir, extDir, vsix, stop, codeServerLog: () => csLog, logsDir: path.join(userDir, 'logs') };
  } catch (err) {
    await stop();
    throw err;
  }
}
