/**
 * Agent traces: a folder per run with run.json (metadata, rewritten atomically at start and end),
 * steps.jsonl (one JSON line per step, appended and fsynced as the step ends, so a run killed mid-step loses
 * at most that step) and a PNG screenshot per step (written under a temporary name, then renamed).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AgentAction } from './actions';
import type { UiElement } from './elements';

export const TRACE_VERSION = 1;

export type Outcome = 'running' | 'success' | 'failed' | 'stopped' | 'step-limit' | 'malformed' | 'error' | 'interrupted';

export interface RunMeta {
  version: number;
  id: string;
  task: string;
  model: string;
  /** The endpoint's base URL. Never the key. */
  endpoint: string;
  device: { serial: string; model?: string };
  allowPackages: string[];
  maxSteps: number;
  startedAt: string;
  endedAt?: string;
  outcome: Outcome;
  message?: string;
  steps: number;
  tokens: { prompt: number; completion: number };
  timings: { totalMs: number; modelMs: number; observeMs: number; actMs: number };
  /** The process writing the trace (a 'running' trace whose writer is gone was interrupted). */
  pid?: number;
}

export interface ModelCall {
  response: string;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Answers that could not be used, with the reason sent back to the model. */
  rejected: Array<{ response: string; error: string }>;
}

export interface AgentStep {
  step: number;
  startedAt: string;
  screenshot?: string;
  foreground: string;
  screen: { width: number; height: number };
  elements: UiElement[];
  model?: ModelCall;
  thought: string;
  action?: AgentAction;
  resolved?: { argv: string[][]; target?: number; point?: { x: number; y: number }; package?: string };
  guard?: { verdict: 'allow' | 'refuse' | 'consent'; reason?: string; granted?: boolean };
  userAnswer?: string;
  result: { ok: boolean; message: string };
  timings: { observeMs: number; thinkMs: number; actMs: number };
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'run';
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const h = await fs.open(tmp, 'wx');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  await fs.rename(tmp, file);
}

export class TraceWriter {
  private steps: fs.FileHandle | undefined;
  private constructor(readonly dir: string, public meta: RunMeta) {}

  /** Creates a new run folder under `root` (never reusing an existing one). */
  static async create(root: string, meta: Omit<RunMeta, 'version' | 'id' | 'startedAt' | 'outcome' | 'steps' | 'tokens' | 'timings' | 'pid'>): Promise<TraceWriter> {
    await fs.mkdir(root, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    let dir = '';
    for (let i = 0; ; i++) {
      dir = path.join(root, `${stamp}_${slug(meta.task)}${i ? `-${i}` : ''}`);
      try {
        await fs.mkdir(dir);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i > 1000) throw err;
      }
    }
    const w = new TraceWriter(dir, {
      ...meta, version: TRACE_VERSION, id: path.basename(dir), startedAt: new Date().toISOString(), outcome: 'running', steps: 0,
      tokens: { prompt: 0, completion: 0 }, timings: { totalMs: 0, modelMs: 0, observeMs: 0, actMs: 0 }, pid: process.pid,
    });
    await w.writeMeta();
    w.steps = await fs.open(path.join(dir, 'steps.jsonl'), 'a');
    return w;
  }

  async writeMeta(): Promise<void> {
    await writeAtomic(path.join(this.dir, 'run.json'), `${JSON.stringify(this.meta, null, 2)}\n`);
  }

  async screenshot(step: number, png: Buffer): Promise<string> {
    const name = `step-${String(step).padStart(4, '0')}.png`;
    await writeAtomic(path.join(this.dir, name), png);
    return name;
  }

  async step(s: AgentStep): Promise<void> {
    if (!this.steps) throw new Error('the trace is closed');
    await this.steps.write(`${JSON.stringify(s)}\n`);
    await this.steps.sync();
    this.meta.steps = s.step;
  }

  async finish(outcome: Outcome, message: string): Promise<void> {
    this.meta.outcome = outcome;
    this.meta.message = message;
    this.meta.endedAt = new Date().toISOString();
    delete this.meta.pid;
    await this.writeMeta();
    await this.steps?.close();
    this.steps = undefined;
  }
}

export interface Trace {
  dir: string;
  meta: RunMeta;
  steps: AgentStep[];
  /** Lines that could not be read (a torn last line after a kill), with their line numbers. */
  skipped: number[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads a trace folder; tolerant of a run killed mid-step (a torn last line, a run.json still 'running'). */
export async function readTrace(dir: string): Promise<Trace> {
  let metaText: string;
  try {
    metaText = await fs.readFile(path.join(dir, 'run.json'), 'utf8');
  } catch {
    throw new Error(`${dir} is not an agent trace (no run.json)`);
  }
  let meta: RunMeta;
  try {
    meta = JSON.parse(metaText) as RunMeta;
  } catch (err) {
    throw new Error(`${path.join(dir, 'run.json')} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof meta !== 'object' || !meta || typeof meta.task !== 'string') throw new Error(`${path.join(dir, 'run.json')} is not an agent run's metadata`);
  const text = await fs.readFile(path.join(dir, 'steps.jsonl'), 'utf8').catch(() => '');
  const steps: AgentStep[] = [];
  const skipped: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const s = JSON.parse(line) as AgentStep;
      if (typeof s.step === 'number') steps.push(s);
      else skipped.push(i + 1);
    } catch {
      skipped.push(i + 1);
    }
  });
  if (meta.outcome === 'running' && !(meta.pid && alive(meta.pid))) meta.outcome = 'interrupted';
  meta.steps = steps.length ? steps[steps.length - 1].step : 0;
  return { dir, meta, steps, skipped };
}

/**
 * An AndroidWorld-style episode: the goal, per-step screenshots and UI elements, the actions in
 * AndroidWorld's JSON action vocabulary (click/long_press/input_text/scroll/navigate_back/…), the model's
 * responses, and whether the run succeeded.
 */
export function toAndroidWorldEpisode(trace: Trace): Record<string, unknown> {
  const aw = (a: AgentAction | undefined, s: AgentStep): Record<string, unknown> => {
    if (!a) return { action_type: 'unknown' };
    const idx = s.resolved?.target;
    const xy = s.resolved?.point ? { x: s.resolved.point.x, y: s.resolved.point.y } : {};
    switch (a.type) {
      case 'tap': return { action_type: 'click', ...(idx !== undefined ? { index: idx } : {}), ...xy };
      case 'long_press': return { action_type: 'long_press', ...(idx !== undefined ? { index: idx } : {}), ...xy };
      case 'type': return { action_type: 'input_text', text: a.text, ...(idx !== undefined ? { index: idx } : {}) };
      case 'scroll': return { action_type: 'scroll', direction: a.direction, ...(idx !== undefined ? { index: idx } : {}) };
      case 'swipe': return { action_type: 'swipe', direction: a.direction ?? null };
      case 'back': return { action_type: 'navigate_back' };
      case 'home': return { action_type: 'navigate_home' };
      case 'enter': return { action_type: 'keyboard_enter' };
      case 'open_app': return { action_type: 'open_app', app_name: a.package };
      case 'wait': return { action_type: 'wait' };
      case 'finish': return { action_type: 'status', goal_status: a.success ? 'complete' : 'infeasible' };
      case 'ask_user': return { action_type: 'answer', text: a.question };
    }
  };
  return {
    goal: trace.meta.task,
    is_successful: trace.meta.outcome === 'success',
    outcome: trace.meta.outcome,
    episode_length: trace.steps.length,
    model: trace.meta.model,
    device: trace.meta.device,
    run_time_ms: trace.meta.timings.totalMs,
    tokens: trace.meta.tokens,
    episode_data: {
      screenshot: trace.steps.map((s) => s.screenshot ?? null),
      ui_elements: trace.steps.map((s) => s.elements.map((e) => ({ text: e.text, content_description: e.contentDesc, class_name: e.className, resource_name: e.resourceId, bbox_pixels: { x_min: e.bounds[0], y_min: e.bounds[1], x_max: e.bounds[2], y_max: e.bounds[3] }, is_clickable: e.clickable, is_checked: e.checked, is_editable: e.editable, package_name: e.package }))),
      action_output_json: trace.steps.map((s) => aw(s.action, s)),
      action_reason: trace.steps.map((s) => s.thought),
      raw_response: trace.steps.map((s) => s.model?.response ?? null),
      summary: trace.steps.map((s) => s.result.message),
    },
  };
}
