/**
 * The model editor's graph view on a 5,000-node ONNX model (generated with the project's ONNX writer), in the real
 * workbench (code-server with the packaged .vsix, Chromium): the host's summary + layout time, first paint of the
 * Graph tab (click to the first frame with the graph on screen), and the frame rate while panning and zooming
 * (requestAnimationFrame timestamps in the webview during scripted drags and wheel zooms at several zoom levels).
 * The model is Inception-like (blocks of four parallel Conv paths with a residual Add), so zoomed out there are
 * many nodes on screen at once. Writes bench-results/graph.json. Targets: first paint under 1 s, 60 fps.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { Workbench, waitUntil } from '../test/e2e/harness';
import { onnx } from '../extension/core/onnx/model';
import { generatedModel } from '../test/helpers/generatedGraph';
import { type Metric, report, summarize } from './report';

const NODES = 5000;
const FILE = 'graph5000.onnx';

/** Starts recording requestAnimationFrame timestamps in the webview (strings: the page runs them as written). */
const START = `(() => { const w = window; const gen = (w.__benchGen = (w.__benchGen || 0) + 1); w.__benchTimes = []; const loop = (t) => { if (w.__benchGen !== gen) return; w.__benchTimes.push(t); requestAnimationFrame(loop); }; requestAnimationFrame(loop); })()`;
const STOP = `(() => { window.__benchGen++; return window.__benchTimes; })()`;
/** Click on the Graph tab → the first frame that drew the graph, plus the frame after it (when it is on screen). */
const FIRST_PAINT = `new Promise((resolve) => {
  const tab = [...document.querySelectorAll('.tabs button')].find((b) => b.textContent === 'Graph');
  const t0 = performance.now();
  tab.click();
  const check = () => {
    const f = window.__graphView && window.__graphView.frame();
    if (f && f.t > t0 && (f.nodesDrawn > 0 || f.mode === 'cache')) requestAnimationFrame(() => resolve({ ms: performance.now() - t0, drawMs: f.drawMs, nodes: f.nodesDrawn, mode: f.mode }));
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})`;

async function fps(wb: Workbench, frame: Frame, act: () => Promise<void>): Promise<{ fps: number; p95: number; maxMs: number; frames: number; drawn: string }> {
  await frame.evaluate(START);
  await act();
  const times = (await frame.evaluate(STOP)) as number[];
  const d = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  const f = (await frame.evaluate('(() => { const f = window.__graphView.frame(); return `${f.mode} ${f.nodesDrawn} nodes ${f.edgesDrawn} edges at ${f.scale.toFixed(3)}, draw ${f.drawMs.toFixed(1)} ms`; })()')) as string;
  return { fps: (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000), p95: d[Math.floor(d.length * 0.95)] ?? NaN, maxMs: d[d.length - 1] ?? NaN, frames: times.length, drawn: f };
}

async function main(): Promise<void> {
  const wb = await Workbench.open({
    prepare: async (workspace) => {
      const bytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject(generatedModel(NODES, 8, 4) as Record<string, unknown>)).finish();
      await writeFile(path.join(workspace, FILE), bytes);
    },
  });
  const metrics: Metric[] = [];
  try {
    await wb.openActivity('Explorer');
    const file = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: FILE }).first();
    await file.waitFor({ timeout: 15000 });
    await file.dblclick();
    const hasTabs = async (f: Frame) => (await f.$('.tabs button').catch(() => null)) !== null;
    let frame: Frame;
    try {
      frame = await wb.webviewFrame(hasTabs, 60000);
    } catch {
      await wb.runCommand('View: Close All Editors');
      await file.dblclick();
      frame = await wb.webviewFrame(hasTabs, 60000);
    }
    const log = await waitUntil('the layout time in the output', async () => /graph5000\.onnx: (\d+) nodes, summary and layout in (\d+) ms/.exec(await wb.outputChannel()) ?? undefined, 60000);
    console.log(`host: ${log[1]} nodes, summary and layout in ${log[2]} ms`);
    metrics.push(summarize('host_summary_and_layout_5000_nodes_ms', [Number(log[2])], 'ms'));

    const paints: number[] = [];
    for (let i = 0; i < 5; i++) {
      if (i) await frame.locator('.tabs button', { hasText: 'Summary' }).click();
      const r = (await frame.evaluate(FIRST_PAINT)) as { ms: number; drawMs: number; nodes: number; mode: string };
      console.log(`first paint ${r.ms.toFixed(1)} ms (draw ${r.drawMs.toFixed(1)} ms, ${r.mode}, ${r.nodes} nodes drawn)`);
      paints.push(r.ms);
      await wb.page.waitForTimeout(300);
    }
    metrics.push(summarize('graph_tab_first_paint_5000_nodes_ms', paints, 'ms', { max: 1000 }));

    const box = await frame.locator('#graph').boundingBox();
    if (!box) throw new Error('no graph canvas');
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    // Symmetric gestures: each ends where it started, so the view stays on the part of the graph it began at.
    const pan = async () => {
      await wb.page.mouse.move(cx, cy);
      await wb.page.mouse.down();
      for (let i = 0; i <= 90; i++) {
        await wb.page.mouse.move(cx + Math.sin((2 * Math.PI * i) / 90) * 250, cy + Math.sin((4 * Math.PI * i) / 90) * 150);
        await wb.page.waitForTimeout(16);
      }
      await wb.page.mouse.up();
    };
    const zoom = async () => {
      await wb.page.mouse.move(cx, cy);
      for (let i = 0; i < 60; i++) {
        await wb.page.mouse.wheel(0, i < 30 ? -40 : 40);
        await wb.page.waitForTimeout(16);
      }
    };
    const state = (await frame.evaluate('window.__graphView.state()')) as { width: number; height: number };
    // From the whole graph (fitted: the cached bitmap) to full size with every label.
    const levels: Array<[string, number | 'fit']> = [['fit (whole graph)', 'fit'], ['0.03 (cache no longer enough: every node drawn)', 0.03], ['0.1', 0.1], ['0.3 (arrows, no labels)', 0.3], ['1.0 (labels, edge shapes)', 1]];
    const rates: number[] = [];
    const p95s: number[] = [];
    for (const [label, level] of levels) {
      if (level === 'fit') await frame.locator('#graph-fit').click();
      else await frame.evaluate(`window.__graphView.view(${level}, ${state.width / 2}, ${state.height / 2})`);
      for (const [gesture, act] of [['pan', pan], ['zoom in and out', zoom]] as const) {
        const r = await fps(wb, frame, act);
        console.log(`${gesture} at ${label}: ${r.fps.toFixed(1)} fps over ${r.frames} frames, p95 frame ${r.p95.toFixed(1)} ms, worst ${r.maxMs.toFixed(1)} ms (last frame: ${r.drawn})`);
        rates.push(r.fps);
        p95s.push(r.p95);
      }
    }
    metrics.push(summarize('graph_pan_zoom_fps_5000_nodes', rates, 'fps', { min: 55 }));
    metrics.push(summarize('graph_pan_zoom_p95_frame_ms_5000_nodes', p95s, 'ms', { max: 20 }));
  } finally {
    await wb.close();
  }
  await report('graph', metrics);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
