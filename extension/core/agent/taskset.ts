/**
 * Task sets for evaluating an agent: a YAML (or JSON) file of tasks, each with setup commands and a success
 * check, a predicate on the UI hierarchy after the run (or on a command's output). Runs an agent over all of
 * them and reports success rate, steps, tokens and time.
 */
import { promises as fs } from 'node:fs';
import type { AdbService } from '../adb/adbService';
import { errorMessage } from '../util/log';
import type { CancelSignal } from '../util/progress';
import { parseUiDump, type UiElement } from './elements';
import { runAgent, type AgentRunOptions } from './run';

export interface NodeMatch {
  text?: string;
  textContains?: string;
  contentDesc?: string;
  resourceId?: string;
  className?: string;
  package?: string;
  checkable?: boolean;
}

export type TaskCheck =
  | { ui: { open?: string; exists: NodeMatch; attr?: 'checked' | 'text' | 'focused' | 'enabled'; equals?: string | boolean; absent?: boolean } }
  | { shell: string[]; equals?: string; contains?: string };

export interface AgentTask {
  id: string;
  goal: string;
  setup: string[][];
  allow: string[];
  maxSteps?: number;
  check: TaskCheck;
}

export interface TaskSet {
  name: string;
  tasks: AgentTask[];
}

const isStrArr = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number');

/** Validates a task set; every error names the task and the field. */
export function parseTaskSet(text: string, file = 'task set'): TaskSet {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const YAML = require('yaml') as typeof import('yaml');
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid YAML: ${errorMessage(err)}`);
  }
  const o = doc as { name?: unknown; tasks?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.tasks)) throw new Error(`${file}: expected "tasks:", a list of tasks`);
  const ids = new Set<string>();
  const tasks = o.tasks.map((raw, i): AgentTask => {
    const t = raw as Record<string, unknown>;
    const where = `${file}: task ${i + 1}${typeof t?.id === 'string' ? ` (${t.id})` : ''}`;
    if (!t || typeof t !== 'object') throw new Error(`${where}: not a mapping`);
    if (typeof t.id !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(t.id)) throw new Error(`${where}: "id" must be letters, digits, _ . -`);
    if (ids.has(t.id)) throw new Error(`${where}: duplicate id`);
    ids.add(t.id);
    if (typeof t.goal !== 'string' || !t.goal.trim()) throw new Error(`${where}: "goal" is required`);
    const setup = t.setup ?? [];
    if (!Array.isArray(setup) || !setup.every(isStrArr)) throw new Error(`${where}: "setup" must be a list of commands, each a list of words`);
    const allow = t.allow ?? [];
    if (!isStrArr(allow)) throw new Error(`${where}: "allow" must be a list of package names`);
    if (t.maxSteps !== undefined && !(Number.isInteger(t.maxSteps) && (t.maxSteps as number) > 0)) throw new Error(`${where}: "maxSteps" must be a positive integer`);
    const c = t.check as Record<string, unknown> | undefined;
    if (!c || typeof c !== 'object') throw new Error(`${where}: "check" is required (ui: … or shell: …)`);
    if (c.ui) {
      const u = c.ui as Record<string, unknown>;
      if (!u.exists || typeof u.exists !== 'object') throw new Error(`${where}: check.ui needs "exists", the node to find`);
      if (u.attr !== undefined && !['checked', 'text', 'focused', 'enabled'].includes(String(u.attr))) throw new Error(`${where}: check.ui.attr must be checked, text, focused or enabled`);
    } else if (c.shell) {
      if (!isStrArr(c.shell)) throw new Error(`${where}: check.shell must be a command, a list of words`);
    } else throw new Error(`${where}: "check" needs "ui" or "shell"`);
    return { id: t.id, goal: t.goal, setup: (setup as unknown[][]).map((cmd) => cmd.map(String)), allow: (allow as unknown[]).map(String), maxSteps: t.maxSteps as number | undefined, check: c as TaskCheck };
  });
  if (!tasks.length) throw new Error(`${file}: the task list is empty`);
  return { name: typeof o.name === 'string' ? o.name : file, tasks };
}

export async function loadTaskSet(file: string): Promise<TaskSet> {
  return parseTaskSet(await fs.readFile(file, 'utf8'), file);
}

function matches(e: UiElement, m: NodeMatch): boolean {
  const id = (s: string) => s.replace(/^.*:id\//, '');
  return (m.text === undefined || e.text === m.text) && (m.textContains === undefined || e.text.includes(m.textContains)) &&
    (m.contentDesc === undefined || e.contentDesc === m.contentDesc) && (m.resourceId === undefined || e.resourceId === m.resourceId || id(e.resourceId) === m.resourceId) &&
    (m.className === undefined || e.className === m.className || e.className.endsWith(`.${m.className}`)) && (m.package === undefined || e.package === m.package) &&
    (m.checkable === undefined || e.checkable === m.checkable);
}

/** Evaluates a task's success check on the device now. */
export async function checkTask(adb: AdbService, serial: string, check: TaskCheck): Promise<{ ok: boolean; detail: string }> {
  if ('shell' in check) {
    const r = await adb.exec(serial, check.shell, { timeoutMs: 15000 });
    const out = r.stdout.toString().trim();
    const ok = r.exitCode === 0 && (check.equals === undefined || out === check.equals) && (check.contains === undefined || out.includes(check.contains));
    return { ok, detail: `${check.shell.join(' ')} → ${JSON.stringify(out.slice(0, 200))}` };
  }
  const u = check.ui;
  if (u.open) await adb.exec(serial, ['monkey', '-p', u.open, '-c', 'android.intent.category.LAUNCHER', '1']);
  const dump = await adb.exec(serial, ['uiautomator', 'dump', '/dev/tty'], { timeoutMs: 20000 });
  const ui = parseUiDump(dump.stdout.toString('utf8'));
  const found = ui.all.find((e) => matches(e, u.exists));
  if (u.absent) return { ok: !found, detail: found ? 'the node is still there' : 'the node is gone' };
  if (!found) return { ok: false, detail: `no node matching ${JSON.stringify(u.exists)}` };
  if (!u.attr) return { ok: true, detail: 'the node is there' };
  const value = u.attr === 'text' ? found.text : found[u.attr];
  return { ok: String(value) === String(u.equals ?? true), detail: `${u.attr} = ${JSON.stringify(value)}` };
}

export interface TaskResult {
  id: string;
  goal: string;
  success: boolean;
  outcome: string;
  detail: string;
  steps: number;
  tokens: number;
  ms: number;
  trace: string;
}

export interface EvalReport {
  taskSet: string;
  model: string;
  device: string;
  results: TaskResult[];
  successRate: number;
  meanSteps: number;
  totalTokens: number;
  totalMs: number;
}

export async function evalTaskSet(set: TaskSet, base: Omit<AgentRunOptions, 'task' | 'allowPackages' | 'maxSteps'> & { maxSteps?: number; signal?: CancelSignal; onTask?: (i: number, t: AgentTask, r?: TaskResult) => void }): Promise<EvalReport> {
  const results: TaskResult[] = [];
  for (const [i, task] of set.tasks.entries()) {
    if (base.signal?.cancelled) break;
    base.onTask?.(i, task);
    for (const cmd of task.setup) {
      const r = await base.adb.exec(base.serial, cmd, { timeoutMs: 20000 });
      if (r.exitCode !== 0) throw new Error(`task ${task.id}: setup command ${cmd.join(' ')} failed: ${r.stderr.toString().trim()}`);
    }
    const run = await runAgent({ ...base, task: task.goal, allowPackages: task.allow, maxSteps: task.maxSteps ?? base.maxSteps ?? 15 });
    const check = run.meta.outcome === 'stopped' ? { ok: false, detail: 'stopped' } : await checkTask(base.adb, base.serial, task.check).catch((err) => ({ ok: false, detail: `check failed: ${errorMessage(err)}` }));
    const r: TaskResult = { id: task.id, goal: task.goal, success: check.ok, outcome: run.meta.outcome, detail: check.detail, steps: run.meta.steps, tokens: run.meta.tokens.prompt + run.meta.tokens.completion, ms: Math.round(run.meta.timings.totalMs), trace: run.dir };
    results.push(r);
    base.onTask?.(i, task, r);
  }
  const n = results.length || 1;
  return {
    taskSet: set.name, model: base.model.model, device: base.serial, results,
    successRate: results.filter((r) => r.success).length / n,
    meanSteps: results.reduce((s, r) => s + r.steps, 0) / n,
    totalTokens: results.reduce((s, r) => s + r.tokens, 0),
    totalMs: results.reduce((s, r) => s + r.ms, 0),
  };
}
