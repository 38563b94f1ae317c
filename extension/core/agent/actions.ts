/**
 * What an agent may do, how a model's answer becomes one validated action, and how an action becomes the
 * argv of one device command (never a shell string: the adb layer quotes every word).
 */
import { textCommands } from '../screen/input';
import { center, elementAt, type ScreenUi, type UiElement } from './elements';

export type Direction = 'up' | 'down' | 'left' | 'right';

export type AgentAction =
  | { type: 'tap'; element?: number; x?: number; y?: number }
  | { type: 'long_press'; element?: number; x?: number; y?: number }
  | { type: 'swipe'; direction?: Direction; x1?: number; y1?: number; x2?: number; y2?: number }
  | { type: 'scroll'; direction: Direction; element?: number }
  | { type: 'type'; text: string; element?: number; submit?: boolean }
  | { type: 'back' }
  | { type: 'home' }
  | { type: 'enter' }
  | { type: 'open_app'; package: string }
  | { type: 'wait'; seconds: number }
  | { type: 'finish'; success: boolean; message: string }
  | { type: 'ask_user'; question: string; kind: 'question' | 'consent' };

export const ACTION_TYPES = ['tap', 'long_press', 'swipe', 'scroll', 'type', 'back', 'home', 'enter', 'open_app', 'wait', 'finish', 'ask_user'] as const;

export interface ModelDecision {
  thought: string;
  action: AgentAction;
}

/** The model's answer, as it is asked for in the prompt: one JSON object with a thought and an action. */
export const ANSWER_FORMAT = `Answer with exactly one JSON object and nothing else:
{"thought": "<one or two sentences: what you see and why this action>", "action": {"type": "<type>", ...}}
Action types:
- {"type": "tap", "element": N}  (or "x", "y" in screen pixels when no element fits)
- {"type": "long_press", "element": N}
- {"type": "swipe", "direction": "up"|"down"|"left"|"right"}  (or "x1","y1","x2","y2")
- {"type": "scroll", "direction": "up"|"down"|"left"|"right", "element": N}  (element optional: a scrollable one)
- {"type": "type", "text": "...", "element": N, "submit": false}  (element optional: the focused field)
- {"type": "back"} | {"type": "home"} | {"type": "enter"}
- {"type": "open_app", "package": "com.example.app"}
- {"type": "wait", "seconds": 1..10}
- {"type": "ask_user", "question": "...", "kind": "question"|"consent"}
- {"type": "finish", "success": true|false, "message": "what was done, or why it cannot be done"}`;

/** Pulls the first balanced JSON object out of a model's text (fenced or not). */
export function extractJsonObject(text: string): string | undefined {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const src = fenced ? fenced[1] : text;
  const start = src.indexOf('{');
  if (start < 0) return undefined;
  let depth = 0;
  let inStr = false;
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return src.slice(start, i + 1);
  }
  return undefined;
}

const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const DIRS = new Set(['up', 'down', 'left', 'right']);
const PKG = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$/;

/**
 * Parses and validates a model's answer. Throws an Error whose message is written for the model (it is sent
 * back to it on a retry): what was wrong and what is expected.
 */
export function parseDecision(text: string, ui?: ScreenUi): ModelDecision {
  if (!text || !text.trim()) throw new Error('the answer was empty; send one JSON object with "thought" and "action"');
  const json = extractJsonObject(text);
  if (!json) throw new Error('no JSON object found in the answer; send one JSON object with "thought" and "action"');
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(json) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`the JSON object does not parse (${(err as Error).message}); send valid JSON`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('the answer must be a JSON object');
  // Lenient about shape: {"action": {"type": ...}}, {"action": "tap", "element": 3}, or {"type": "tap", ...}.
  let a: Record<string, unknown>;
  if (obj.action && typeof obj.action === 'object' && !Array.isArray(obj.action)) a = obj.action as Record<string, unknown>;
  else if (typeof obj.action === 'string') a = { ...obj, type: obj.action };
  else if (typeof obj.type === 'string') a = obj;
  else throw new Error('the answer has no "action" object with a "type"');
  const thought = typeof obj.thought === 'string' ? obj.thought.slice(0, 4000) : typeof obj.reasoning === 'string' ? obj.reasoning.slice(0, 4000) : '';
  const type = String(a.type ?? '').toLowerCase().replace(/[\s-]+/g, '_');
  const elementRef = (required: boolean): number | undefined => {
    if (a.element === undefined || a.element === null) {
      if (required) throw new Error(`"${type}" needs "element" (a number from the list) or "x" and "y"`);
      return undefined;
    }
    const n = typeof a.element === 'string' && /^\d+$/.test(a.element) ? Number(a.element) : a.element;
    if (!Number.isInteger(n)) throw new Error(`"element" must be a number from the element list, not ${JSON.stringify(a.element)}`);
    if (ui && !ui.elements.some((e) => e.index === n)) throw new Error(`there is no element [${n}] on this screen (elements are numbered 1 to ${ui.elements.length})`);
    return n as number;
  };
  const point = () => {
    if (a.element !== undefined && a.element !== null) return { element: elementRef(true) };
    if (isNum(a.x) && isNum(a.y)) return { x: Math.round(a.x as number), y: Math.round(a.y as number) };
    return { element: elementRef(true) };
  };
  let action: AgentAction;
  switch (type) {
    case 'tap': case 'click': action = { type: 'tap', ...point() }; break;
    case 'long_press': case 'longpress': action = { type: 'long_press', ...point() }; break;
    case 'swipe':
      if (typeof a.direction === 'string' && DIRS.has(a.direction)) action = { type: 'swipe', direction: a.direction as Direction };
      else if ([a.x1, a.y1, a.x2, a.y2].every(isNum)) action = { type: 'swipe', x1: Math.round(a.x1 as number), y1: Math.round(a.y1 as number), x2: Math.round(a.x2 as number), y2: Math.round(a.y2 as number) };
      else throw new Error('"swipe" needs "direction" (up, down, left, right) or x1, y1, x2, y2');
      break;
    case 'scroll':
      if (typeof a.direction !== 'string' || !DIRS.has(a.direction)) throw new Error('"scroll" needs "direction": up, down, left or right');
      action = { type: 'scroll', direction: a.direction as Direction, element: elementRef(false) };
      break;
    case 'type': case 'input_text': case 'type_text':
      if (typeof a.text !== 'string' || !a.text.length) throw new Error('"type" needs a non-empty "text"');
      if (a.text.length > 2000) throw new Error('"text" is too long (2000 characters at most)');
      if (/[\0\r]/.test(a.text)) throw new Error('"text" may not contain NUL or carriage returns');
      action = { type: 'type', text: a.text, element: elementRef(false), submit: a.submit === true };
      break;
    case 'back': case 'navigate_back': action = { type: 'back' }; break;
    case 'home': case 'navigate_home': action = { type: 'home' }; break;
    case 'enter': case 'keyboard_enter': action = { type: 'enter' }; break;
    case 'open_app': {
      const pkg = a.package ?? a.app;
      if (typeof pkg !== 'string' || !PKG.test(pkg)) throw new Error(`"open_app" needs "package", an Android package name like com.example.app, not ${JSON.stringify(pkg)}`);
      action = { type: 'open_app', package: pkg };
      break;
    }
    case 'wait': {
      const s = a.seconds === undefined ? 1 : Number(a.seconds);
      if (!Number.isFinite(s) || s < 0 || s > 10) throw new Error('"wait" takes "seconds" from 0 to 10');
      action = { type: 'wait', seconds: s };
      break;
    }
    case 'finish': case 'done': case 'status': {
      const success = a.success === undefined ? (a.goal_status === undefined ? true : a.goal_status === 'complete') : a.success === true;
      action = { type: 'finish', success, message: typeof a.message === 'string' ? a.message.slice(0, 2000) : '' };
      break;
    }
    case 'ask_user': case 'answer':
      if (typeof a.question !== 'string' && typeof a.text !== 'string') throw new Error('"ask_user" needs "question"');
      action = { type: 'ask_user', question: String(a.question ?? a.text).slice(0, 2000), kind: a.kind === 'consent' ? 'consent' : 'question' };
      break;
    default:
      throw new Error(`unknown action type ${JSON.stringify(a.type)}; use one of: ${ACTION_TYPES.join(', ')}`);
  }
  return { thought, action };
}

/** A device command for an action (argv, quoted word by word by the adb layer) and what it targets. */
export interface ResolvedAction {
  argv: string[][];
  target?: UiElement;
  point?: { x: number; y: number };
  /** The package the action touches (for the allow-list); undefined for keys and waits. */
  package?: string;
}

const KEY = { back: '4', home: '3', enter: '66' } as const;

export function resolveAction(action: AgentAction, ui: ScreenUi, screen: { width: number; height: number }): ResolvedAction {
  const el = (n?: number) => (n === undefined ? undefined : ui.elements.find((e) => e.index === n));
  const at = (a: { element?: number; x?: number; y?: number }) => {
    const target = el(a.element);
    if (a.element !== undefined && !target) throw new Error(`there is no element [${a.element}] on this screen`);
    const p = target ? center(target.bounds) : { x: a.x as number, y: a.y as number };
    if (p.x < 0 || p.y < 0 || p.x >= screen.width || p.y >= screen.height) throw new Error(`(${p.x}, ${p.y}) is outside the ${screen.width}×${screen.height} screen`);
    return { target: target ?? elementAt(ui, p.x, p.y), point: p };
  };
  const { width: W, height: H } = screen;
  const swipeFor = (dir: Direction, box: [number, number, number, number] = [0, 0, W, H]) => {
    const cx = Math.round((box[0] + box[2]) / 2);
    const cy = Math.round((box[1] + box[3]) / 2);
    const dx = Math.round((box[2] - box[0]) * 0.3);
    const dy = Math.round((box[3] - box[1]) * 0.3);
    // "scroll down" shows what is below: the finger moves up.
    const v = { up: [cx, cy - dy, cx, cy + dy], down: [cx, cy + dy, cx, cy - dy], left: [cx - dx, cy, cx + dx, cy], right: [cx + dx, cy, cx - dx, cy] }[dir];
    return v.map(String);
  };
  switch (action.type) {
    case 'tap': {
      const { target, point } = at(action);
      return { argv: [['input', 'tap', String(point.x), String(point.y)]], target, point, package: target?.package || ui.foreground };
    }
    case 'long_press': {
      const { target, point } = at(action);
      return { argv: [['input', 'swipe', String(point.x), String(point.y), String(point.x), String(point.y), '800']], target, point, package: target?.package || ui.foreground };
    }
    case 'swipe': {
      const v = action.direction ? swipeFor(action.direction === 'up' ? 'down' : action.direction === 'down' ? 'up' : action.direction === 'left' ? 'right' : 'left')
        : [action.x1, action.y1, action.x2, action.y2].map(String);
      return { argv: [['input', 'swipe', ...v, '300']], package: ui.foreground };
    }
    case 'scroll': {
      const target = el(action.element) ?? ui.elements.find((e) => e.scrollable);
      return { argv: [['input', 'swipe', ...swipeFor(action.direction, target?.bounds), '300']], target, package: target?.package || ui.foreground };
    }
    case 'type': {
      const target = el(action.element) ?? ui.all.find((e) => e.focused && e.editable) ?? ui.all.find((e) => e.focused);
      if (action.element !== undefined && !el(action.element)) throw new Error(`there is no element [${action.element}] on this screen`);
      if (!target) throw new Error('no text field is focused: give "element", the field to type into');
      const argv: string[][] = [];
      if (action.element !== undefined && !target.focused) {
        const p = center(target.bounds);
        argv.push(['input', 'tap', String(p.x), String(p.y)]);
      }
      // Android's `input text` reads only `%s` (as a space); a literal "%s" takes two commands (screen/input.ts).
      argv.push(...textCommands(action.text));
      if (action.submit) argv.push(['input', 'keyevent', KEY.enter]);
      return { argv, target, package: target.package || ui.foreground };
    }
    case 'back': case 'home': case 'enter':
      return { argv: [['input', 'keyevent', KEY[action.type]]] };
    case 'open_app':
      return { argv: [['monkey', '-p', action.package, '-c', 'android.intent.category.LAUNCHER', '1']], package: action.package };
    case 'wait': case 'finish': case 'ask_user':
      return { argv: [] };
  }
}
