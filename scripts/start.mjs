// `npm start`: the main job. Installs what it needs, then runs VS Code (code-server) with the extension,
// a virtual phone and a sample workspace, and prints the URL. Ctrl-C stops everything it started.
//   npm start [-- --port 8765] [--adb-port 5137] [--phone-port 6520] [--workspace DIR]
import * as os from 'node:os';
import * as path from 'node:path';
import { PACKAGES, ensureNodeModules, ensureSystemPackages } from './setup.mjs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchWorkbench, prepareWorkspace, canConnect, freePort } from './workbench.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const t0 = Date.now();
const cache = process.env.MOBILEAI_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mobile-ai-studio');
const port = Number(arg('port', process.env.MOBILEAI_PORT || 8765));
const adbPort = Number(arg('adb-port', process.env.MOBILEAI_ADB_PORT || 5137));
const phonePort = Number(arg('phone-port', process.env.MOBILEAI_PHONE_PORT || 6520));
const workspace = path.resolve(arg('workspace', path.join(cache, 'sample-workspace')));

try {
  ensureSystemPackages([...PACKAGES.base, ...PACKAGES.e2e.filter((p) => p !== 'chromium')]);
  ensureNodeModules();
  for (const [p, what] of [[port, 'code-server (--port)'], [phonePort, 'the virtual phone (--phone-port)']]) {
    if (await canConnect(p)) throw new Error(`port ${p} for ${what} is already in use; pick another`);
  }
  prepareWorkspace(workspace);
  // The demo agent endpoint (rules for the virtual phone's apps, not a language model), so that
  // "Run Agent on Phone" works out of the box; set mobileAI.agent.baseUrl to use a real model.
  const demoPort = await freePort();
  const demo = spawn(process.execPath, [path.join(root, 'bin', 'mobileai.js'), 'agent', 'demo-endpoint', '--port', String(demoPort)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const settings = { 'mobileAI.agent.baseUrl': `http://127.0.0.1:${demoPort}/v1`, 'mobileAI.agent.model': 'virtual-phone-demo' };
  const wb = await launchWorkbench({ port, adbPort, phonePort, workspace, dataDir: cache, settings });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping code-server, the virtual phone and the adb server started here…');
    await wb.stop();
    demo.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  console.log(`\nMobile AI Studio is ready (${((Date.now() - t0) / 1000).toFixed(1)} s).`);
  console.log(`  Open:            ${wb.url}`);
  console.log(`  Workspace:       ${workspace}`);
  console.log(`  Virtual phone:   127.0.0.1:${phonePort} (adb -P ${adbPort} devices)`);
  console.log(`  Agent endpoint:  http://127.0.0.1:${demoPort}/v1 (demo rules for the virtual phone, not a language model)`);
  console.log('  Press Ctrl-C to stop.');
} catch (err) {
  console.error(`npm start: ${err.message}`);
  process.exit(1);
}
