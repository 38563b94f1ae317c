/**
 * The agent loop: observe (screenshot + UI dump), think (an OpenAI-compatible model), act (adb), with
 * guardrails on every action and every step written to a trace as it ends.
 */
import type { AdbService } from '../adb/adbService';
import { CancelledError, type CancelSignal } from '../util/progress';
import { errorMessage, silentLogger, type Logger } from '../util/log';
import { pngSize } from '../util/png';
import { parseDecision, resolveAction, type AgentAction, type ModelDecision, type ResolvedAction } from './actions';
import { parseUiDump, type ScreenUi } from './elements';
import { checkAction, DEFAULT_CONSENT_WORDS } from './guard';
import type { ChatMessage, ChatModel } from './llm';
import { stepMessages, systemPrompt, type HistoryItem } from './prompt';
import { TraceWriter, type AgentStep, type ModelCall, type Outcome, type RunMeta } from './trace';

export type UserQuestion = { kind: 'consent'; text: string } | { kind: 'question'; text: string };

export type AgentEvent =
  | { type: 'started'; dir: string; meta: RunMeta }
  | { type: 'phase'; step: number; phase: 'observe' | 'think' | 'act' }
  | { type: 'step'; step: AgentStep }
  | { type: 'finished'; meta: RunMeta };

export interface AgentRunOptions {
  adb: AdbService;
  serial: string;
  deviceModel?: string;
  task: string;
  model: ChatModel;
  traceRoot: string;
  maxSteps?: number;
  allowPackages?: string[];
  consentWords?: string[];
  consentForPasswords?: boolean;
  /** Send the screenshot to the model (with element numbers drawn on it). */
  vision?: boolean;
  /** Retries after a malformed answer, each with the error shown to the model. */
  maxRetries?: number;
  /** Time for the phone's UI to settle after an action. */
  settleMs?: number;
  signal?: CancelSignal;
  /** Consent (true/false) or an answer; undefined when nobody can answer (consent is then refused). */
  askUser?: (q: UserQuestion) => Promise<boolean | string | undefined>;
  onEvent?: (e: AgentEvent) => void;
  log?: Logger;
}

export interface AgentRunResult {
  dir: string;
  meta: RunMeta;
}

interface Observation {
  png: Buffer;
  ui: ScreenUi;
  screen: { width: number; height: number };
}

export async function observe(adb: AdbService, serial: string): Promise<Observation> {
  const shot = await adb.exec(serial, ['screencap', '-p'], { timeoutMs: 15000 });
  const size = pngSize(shot.stdout);
  if (shot.exitCode !== 0 || !size) throw new Error(`screencap failed: ${shot.stderr.toString().trim() || `${shot.stdout.length} bytes that are not a PNG`}`);
  const dump = await adb.exec(serial, ['uiautomator', 'dump', '/dev/tty'], { timeoutMs: 20000 });
  let xml = dump.stdout.toString('utf8');
  if (dump.exitCode !== 0 || !xml.includes('<hierarchy')) {
    // Some phones will not write the dump to /dev/tty: dump to a file, read it, remove it.
    const file = '/data/local/tmp/mobileai_window_dump.xml';
    const r = await adb.exec(serial, ['uiautomator', 'dump', file], { timeoutMs: 20000 });
    const cat = await adb.exec(serial, ['cat', file], { timeoutMs: 10000 });
    await adb.exec(serial, ['rm', '-f', file], { timeoutMs: 10000 }).catch(() => undefined);
    if (r.exitCode !== 0 || cat.exitCode !== 0) throw new Error(`uiautomator dump failed: ${(r.stderr.toString() || r.stdout.toString() || dump.stderr.toString()).trim()}`);
    xml = cat.stdout.toString('utf8');
  }
  const ui = parseUiDump(xml);
  return { png: shot.stdout, ui, screen: size };
}

/** The screenshot the model sees: scaled to 540 px wide, element numbers drawn on it, as a JPEG data URL. */
export async function modelImage(obs: Observation): Promise<string> {
  const sharp = (await import('sharp')).default;
  const { width: W, height: H } = obs.screen;
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
  const boxes = obs.ui.elements.map((e) => {
    const [l, t, r, b] = e.bounds;
    return `<rect x="${l}" y="${t}" width="${r - l}" height="${b - t}" fill="none" stroke="#e8710a" stroke-width="3"/>` +
      `<rect x="${l}" y="${t}" width="${18 + 14 * String(e.index).length}" height="30" fill="#e8710a"/><text x="${l + 6}" y="${t + 23}" font-family="DejaVu Sans, sans-serif" font-size="22" fill="#fff">${esc(String(e.index))}</text>`;
  }).join('');
  // sharp resizes before it composites, so the numbers are drawn on an overlay already at the output size.
  const outW = Math.min(540, W);
  const outH = Math.round((H * outW) / W);
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${outW}" height="${outH}" viewBox="0 0 ${W} ${H}">${boxes}</svg>`);
  const jpeg = await sharp(obs.png).resize({ width: outW, height: outH, fit: 'fill' }).composite([{ input: svg, top: 0, left: 0 }]).jpeg({ quality: 70 }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

export function describeAction(a: AgentAction, r?: ResolvedAction): string {
  const target = r?.target ? ` [${r.target.index || '?'}] ${(r.target.text || r.target.contentDesc || r.target.resourceId.replace(/^.*:id\//, '') || r.target.className.replace(/^.*\./, '')).slice(0, 60)}` : '';
  switch (a.type) {
    case 'tap': case 'long_press': return `${a.type}${target || ` (${a.x}, ${a.y})`}`;
    case 'type': return `type ${JSON.stringify(a.text.length > 60 ? `${a.text.slice(0, 60)}…` : a.text)}${target ? ` into${target}` : ''}${a.submit ? ' and submit' : ''}`;
    case 'scroll': return `scroll ${a.direction}${target}`;
    case 'swipe': return `swipe ${a.direction ?? `(${a.x1},${a.y1})→(${a.x2},${a.y2})`}`;
    case 'open_app': return `open_app ${a.package}`;
    case 'wait': return `wait ${a.seconds} s`;
    case 'finish': return `finish (${a.success ? 'success' : 'failed'}): ${a.message}`;
    case 'ask_user': return `ask the user (${a.kind}): ${a.question}`;
    default: return a.type;
  }
}

const sleep = (ms: number, signal?: CancelSignal) => new Promise<void>((resolve) => {
  const off = signal?.onCancel(() => { clearTimeout(t); resolve(); });
  const t = setTimeout(() => { off?.(); resolve(); }, ms);
});

export async function runAgent(o: AgentRunOptions): Promise<AgentRunResult> {
  const log = o.log ?? silentLogger;
  const maxSteps = o.maxSteps ?? 20;
  const allowPackages = o.allowPackages ?? [];
  const guardOpts = { allowPackages, consentWords: o.consentWords ?? DEFAULT_CONSENT_WORDS, consentForPasswords: o.consentForPasswords ?? true };
  if (!o.task.trim()) throw new Error('the agent needs a task');
  if (!(maxSteps >= 1 && maxSteps <= 1000)) throw new Error('the step limit must be between 1 and 1000');
  // The phone first: a missing or unauthorized phone is a clear error, not an empty trace.
  let deviceModel = o.deviceModel;
  try {
    const r = await o.adb.exec(o.serial, ['getprop', 'ro.product.model'], { timeoutMs: 10000 });
    deviceModel ??= r.stdout.toString().trim() || undefined;
  } catch (err) {
    throw new Error(`the phone ${o.serial} is not available: ${errorMessage(err)}`);
  }
  const trace = await TraceWriter.create(o.traceRoot, { task: o.task, model: o.model.model, endpoint: o.model.baseUrl, device: { serial: o.serial, model: deviceModel }, allowPackages, maxSteps });
  o.onEvent?.({ type: 'started', dir: trace.dir, meta: trace.meta });
  log.info(`agent: run ${trace.meta.id} on ${o.serial}: ${JSON.stringify(o.task)} (model ${o.model.model} at ${o.model.baseUrl}, at most ${maxSteps} steps${allowPackages.length ? `, apps ${allowPackages.join(', ')}` : ', any app'})`);
  const system = systemPrompt({ allowPackages });
  const history: HistoryItem[] = [];
  const t0 = performance.now();
  const meta = trace.meta;
  let outcome: Outcome = 'step-limit';
  let message = `stopped at the step limit (${maxSteps})`;
  const cancelled = () => o.signal?.cancelled === true;
  try {
    for (let n = 1; n <= maxSteps; n++) {
      if (cancelled()) throw new CancelledError();
      const startedAt = new Date().toISOString();
      o.onEvent?.({ type: 'phase', step: n, phase: 'observe' });
      let t = performance.now();
      const obs = await observe(o.adb, o.serial);
      const observeMs = performance.now() - t;
      const screenshot = await trace.screenshot(n, obs.png);
      if (cancelled()) throw new CancelledError();

      o.onEvent?.({ type: 'phase', step: n, phase: 'think' });
      t = performance.now();
      const image = o.vision === false ? undefined : await modelImage(obs).catch((err) => {
        log.warn(`agent: step ${n}: no screenshot for the model (${errorMessage(err)})`);
        return undefined;
      });
      let messages: ChatMessage[] = stepMessages({ system, task: o.task, history, ui: obs.ui, screen: obs.screen, screenshotDataUrl: image });
      const call: ModelCall = { response: '', latencyMs: 0, promptTokens: 0, completionTokens: 0, rejected: [] };
      let decision: ModelDecision | undefined;
      let resolved: ResolvedAction | undefined;
      for (let attempt = 0; attempt <= (o.maxRetries ?? 2); attempt++) {
        // One AbortController per call: Stop abandons the call in flight.
        const abort = new AbortController();
        const unsub = o.signal?.onCancel(() => abort.abort());
        const reply = await o.model.complete(messages, { signal: abort.signal }).catch((err) => {
          if (cancelled()) throw new CancelledError();
          throw err;
        }).finally(() => unsub?.());
        call.latencyMs += reply.latencyMs;
        call.promptTokens += reply.promptTokens;
        call.completionTokens += reply.completionTokens;
        try {
          decision = parseDecision(reply.text, obs.ui);
          resolved = resolveAction(decision.action, obs.ui, obs.screen);
          call.response = reply.text;
          break;
        } catch (err) {
          decision = undefined;
          call.rejected.push({ response: reply.text.slice(0, 8000), error: errorMessage(err) });
          log.warn(`agent: step ${n}: unusable answer (${errorMessage(err)})`);
          messages = [...messages, { role: 'assistant', content: reply.text.slice(0, 8000) || '(empty)' },
            { role: 'user', content: `Your answer could not be used: ${errorMessage(err)}. Answer again with exactly one JSON object: {"thought": "...", "action": {"type": ...}}.` }];
        }
      }
      const thinkMs = performance.now() - t;
      meta.tokens.prompt += call.promptTokens;
      meta.tokens.completion += call.completionTokens;
      meta.timings.modelMs += call.latencyMs;
      meta.timings.observeMs += observeMs;
      const step: AgentStep = {
        step: n, startedAt, screenshot, foreground: obs.ui.foreground, screen: obs.screen, elements: obs.ui.elements, model: call,
        thought: decision?.thought ?? '', action: decision?.action, result: { ok: false, message: '' }, timings: { observeMs, thinkMs, actMs: 0 },
      };
      if (!decision || !resolved) {
        step.result = { ok: false, message: `no usable answer after ${call.rejected.length} tries: ${call.rejected[call.rejected.length - 1]?.error ?? ''}` };
        await trace.step(step);
        o.onEvent?.({ type: 'step', step });
        outcome = 'malformed';
        message = step.result.message;
        break;
      }
      const action = decision.action;
      step.resolved = { argv: resolved.argv, target: resolved.target?.index || undefined, point: resolved.point, package: resolved.package };
      if (cancelled()) throw new CancelledError();

      o.onEvent?.({ type: 'phase', step: n, phase: 'act' });
      t = performance.now();
      const verdict = checkAction(action, resolved, obs.ui, guardOpts);
      let run = verdict.kind === 'allow';
      if (verdict.kind === 'refuse') {
        step.guard = { verdict: 'refuse', reason: verdict.reason };
        step.result = { ok: false, message: `refused: ${verdict.reason}` };
      } else if (verdict.kind === 'consent') {
        const granted = (await o.askUser?.({ kind: 'consent', text: `The agent wants to ${verdict.reason}. Allow?` })) === true;
        step.guard = { verdict: 'consent', reason: verdict.reason, granted };
        run = granted;
        if (!granted) step.result = { ok: false, message: `the user did not allow it: ${verdict.reason}` };
      } else step.guard = { verdict: 'allow' };

      let finished: { outcome: Outcome; message: string } | undefined;
      if (run) {
        if (action.type === 'finish') {
          step.result = { ok: true, message: action.message || (action.success ? 'done' : 'cannot be done') };
          finished = { outcome: action.success ? 'success' : 'failed', message: action.message };
        } else if (action.type === 'ask_user') {
          const answer = await o.askUser?.({ kind: action.kind, text: action.question });
          step.userAnswer = answer === undefined ? undefined : String(answer);
          step.result = { ok: answer !== undefined, message: answer === undefined ? 'nobody could answer' : `the user answered: ${String(answer)}` };
        } else if (action.type === 'wait') {
          await sleep(action.seconds * 1000, o.signal);
          step.result = { ok: true, message: `waited ${action.seconds} s` };
        } else {
          const errors: string[] = [];
          for (const argv of resolved.argv) {
            const r = await o.adb.exec(o.serial, argv, { timeoutMs: 20000 });
            if (r.exitCode !== 0) {
              errors.push((r.stderr.toString() || r.stdout.toString()).trim().split('\n').pop() || `exit code ${r.exitCode}`);
              break;
            }
          }
          step.result = errors.length ? { ok: false, message: `the phone said: ${errors[0]}` } : { ok: true, message: 'done' };
          await sleep(o.settleMs ?? 400, o.signal);
        }
      }
      step.timings.actMs = performance.now() - t;
      meta.timings.actMs += step.timings.actMs;
      meta.timings.totalMs = performance.now() - t0;
      await trace.step(step);
      o.onEvent?.({ type: 'step', step });
      log.info(`agent: step ${n}: ${describeAction(action, resolved)} → ${step.result.message}`);
      history.push({ step: n, summary: describeAction(action, resolved), result: step.result.message });
      if (finished) {
        outcome = finished.outcome;
        message = finished.message;
        break;
      }
    }
  } catch (err) {
    if (err instanceof CancelledError || cancelled()) {
      outcome = 'stopped';
      message = 'stopped by the user';
    } else {
      outcome = 'error';
      message = errorMessage(err);
      log.error(`agent: run ${meta.id} failed`, err);
    }
  }
  meta.timings.totalMs = performance.now() - t0;
  await trace.finish(outcome, message);
  log.info(`agent: run ${meta.id} ended: ${outcome}${message ? ` (${message})` : ''}, ${meta.steps} steps, ${meta.tokens.prompt + meta.tokens.completion} tokens`);
  o.onEvent?.({ type: 'finished', meta });
  return { dir: trace.dir, meta };
}
