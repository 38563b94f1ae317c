/**
 * Agent benchmarks on the virtual phone: the loop's own cost per step, without the model (observe =
 * screencap + uiautomator dump; prompt = element list, labelled screenshot, messages; act = the adb input
 * command), with and without the screenshot for the model; and the time for the trace viewer to open a
 * 200-step trace in the real workbench. Writes bench-results/agent.json.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { AdbService } from '../extension/core/adb/adbService';
import { VirtualPhone } from '../extension/core/virtualPhone/server';
import { runAgent } from '../extension/core/agent/run';
import { readTrace } from '../extension/core/agent/trace';
import { OpenAiCompatibleModel } from '../extension/core/agent/llm';
import { startAdbServer, waitFor } from '../test/helpers/adbServer';
import { act, elementNumber, startScriptedLlm } from '../test/helpers/scriptedLlm';
import { Workbench, waitUntil } from '../test/e2e/harness';
import { type Metric, report, summarize } from './report';

async function loopOverhead(tmp: string): Promise<{ metrics: Metric[]; longTrace: string }> {
  const server = await startAdbServer();
  const phone = await VirtualPhone.start({ port: 0 });
  // Flip the Wi-Fi switch back and forth: each step taps, so each step observes a changed screen.
  const llm = await startScriptedLlm((req) => act({ type: 'tap', element: elementNumber(req, /Switch desc="Wi-Fi"/) ?? 1 }));
  try {
    const adb = new AdbService({ serverPort: server.port }, { env: server.env });
    await adb.connect(phone.address);
    await waitFor('phone', async () => (await adb.listDevices()).find((d) => d.serial === phone.address && d.state === 'device'));
    await adb.exec(phone.address, ['am', 'start', '-n', 'com.android.settings/.Settings']);
    const model = new OpenAiCompatibleModel({ baseUrl: llm.baseUrl, model: 'bench' });
    const metrics: Metric[] = [];
    let longTrace = '';
    for (const vision of [false, true]) {
      const steps = vision ? 30 : 200;
      const r = await runAgent({ adb, serial: phone.address, task: `Flip Wi-Fi ${steps} times`, model, traceRoot: path.join(tmp, vision ? 'vision' : 'text'), maxSteps: steps, settleMs: 0, vision, allowPackages: ['com.android.settings'] });
      const t = await readTrace(r.dir);
      if (t.steps.length !== steps) throw new Error(`expected ${steps} steps, got ${t.steps.length}: ${r.meta.message}`);
      if (!vision) longTrace = r.dir;
      const tag = vision ? 'with_screenshot' : 'text_only';
      const s = t.steps.slice(3); // past warm-up
      metrics.push(
        summarize(`observe_ms_${tag}`, s.map((x) => x.timings.observeMs), 'ms (screencap + uiautomator dump + parse)'),
        summarize(`prompt_ms_${tag}`, s.map((x) => x.timings.thinkMs - (x.model?.latencyMs ?? 0)), 'ms (element list, labelled screenshot, messages; model time excluded)'),
        summarize(`act_ms_${tag}`, s.map((x) => x.timings.actMs), 'ms (guard + adb input, no settle wait)'),
        summarize(`overhead_per_step_ms_${tag}`, s.map((x) => x.timings.observeMs + x.timings.thinkMs - (x.model?.latencyMs ?? 0) + x.timings.actMs), 'ms (everything but the model)'),
      );
    }
    return { metrics, longTrace };
  } finally {
    await llm.close();
    await phone.stop();
    await server.stop();
  }
}

async function viewerOpen(trace: string): Promise<Metric[]> {
  const wb = await Workbench.open({ settings: { 'mobileAI.agent.traceFolder': path.dirname(trace) } });
  try {
    const opens: number[] = [];
    const selects: number[] = [];
    for (let i = 0; i < 3; i++) {
      await wb.runCommand('View: Close All Editors');
      await wb.runCommand('Mobile AI: Open Agent Trace…');
      const row = wb.page.locator('.quick-input-widget .monaco-list-row').first();
      await row.waitFor({ timeout: 15000 });
      const t0 = Date.now();
      await row.click();
      const frame: Frame = await wb.webviewFrame(async (f) => (await f.$('body[data-loaded="200"]').catch(() => null)) !== null, 60000);
      opens.push(Date.now() - t0);
      const t1 = Date.now();
      await frame.locator('#timeline li[data-step="100"]').click();
      await waitUntil('step 100 in the detail', async () => (await frame.locator('#detail').getAttribute('data-step')) === '100', 10000);
      selects.push(Date.now() - t1);
    }
    return [summarize('viewer_open_200_steps_ms', opens, 'ms (pick in the palette → 200 rows in the timeline)', { max: 3000 }), summarize('viewer_select_step_ms', selects, 'ms (click a step → its detail)')];
  } finally {
    await wb.close();
  }
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mobileai-bench-agent-'));
  try {
    const { metrics, longTrace } = await loopOverhead(tmp);
    if ((await readdir(path.dirname(longTrace))).length !== 1) throw new Error('one run folder expected');
    metrics.push(...(await viewerOpen(longTrace)));
    await report('agent', metrics);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
