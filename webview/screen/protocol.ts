/** Messages between the live screen panel and its webview. Both sides import this file. */
import { hasType, isObject, isString } from '../shared/messages';

export type ToScreenWebview =
  | { type: 'config'; serial: string; title: string; mode: 'jpeg' | 'h264'; decoder?: 'webcodecs' | 'software'; deviceWidth: number; deviceHeight: number }
  | { type: 'h264'; seq: number; data: Uint8Array; key: boolean; codec?: string; width: number; height: number; receivedAt: number }
  | { type: 'frame'; seq: number; data: Uint8Array; width: number; height: number; deviceWidth: number; deviceHeight: number; capturedAt: number; captureMs: number }
  | { type: 'status'; message: string }
  | { type: 'recording'; on: boolean; file?: string };

export type InputEvent =
  | { action: 'tap'; x: number; y: number }
  | { action: 'longpress'; x: number; y: number }
  | { action: 'swipe'; x: number; y: number; x2: number; y2: number; ms: number }
  | { action: 'key'; key: 'back' | 'home' | 'recents' | 'power' | 'volumeUp' | 'volumeDown' | 'enter' | 'delete' }
  | { action: 'text'; text: string };

export type FromScreenWebview =
  | { type: 'ready'; h264: boolean }
  | { type: 'ack'; seq: number; drawnAt: number }
  | { type: 'h264Failed'; reason: string }
  | { type: 'input'; event: InputEvent }
  | { type: 'screenshot' }
  | { type: 'record'; on: boolean };

const KEYS = new Set(['back', 'home', 'recents', 'power', 'volumeUp', 'volumeDown', 'enter', 'delete']);
const coord = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 100000;

export function isInputEvent(e: unknown): e is InputEvent {
  if (!isObject(e)) return false;
  switch (e.action) {
    case 'tap':
    case 'longpress': return coord(e.x) && coord(e.y);
    case 'swipe': return coord(e.x) && coord(e.y) && coord(e.x2) && coord(e.y2) && coord(e.ms);
    case 'key': return typeof e.key === 'string' && KEYS.has(e.key);
    case 'text': return isString(e.text, 1000) && !/[\0\n\r]/.test(e.text as string);
    default: return false;
  }
}

export function isFromScreenWebview(m: unknown): m is FromScreenWebview {
  if (!isObject(m)) return false;
  if (hasType(m, 'ready')) return typeof m.h264 === 'boolean' && Object.keys(m).length === 2;
  if (hasType(m, 'h264Failed')) return isString(m.reason, 2000);
  if (hasType(m, 'screenshot')) return Object.keys(m).length === 1;
  if (hasType(m, 'record')) return typeof m.on === 'boolean' && Object.keys(m).length === 2;
  if (hasType(m, 'ack')) return Number.isInteger(m.seq) && typeof m.drawnAt === 'number';
  if (hasType(m, 'input')) return isInputEvent(m.event);
  return false;
}
