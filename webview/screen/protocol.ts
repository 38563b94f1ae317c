/** Messages between the live screen panel and its webview. Both sides import this file. */
import { hasType, isObject, isString } from '../shared/messages';
import { ALLOWED_KEYCODES } from './keymap';

/** Where the stream stands, for the overlay: it never shows a frame rate for a stream that is not running. */
export type StreamState = 'starting' | 'live' | 'paused' | 'restarting' | 'ended';

export type ToScreenWebview =
  | { type: 'config'; serial: string; title: string; mode: 'jpeg' | 'h264'; decoder?: 'webcodecs' | 'software'; deviceWidth: number; deviceHeight: number; maxSize?: number; bitRate?: number }
  | { type: 'h264'; seq: number; data: Uint8Array; key: boolean; codec?: string; width: number; height: number; receivedAt: number }
  | { type: 'frame'; seq: number; data: Uint8Array; width: number; height: number; deviceWidth: number; deviceHeight: number; capturedAt: number; captureMs: number }
  | { type: 'status'; message: string }
  | { type: 'stream'; state: StreamState; reason?: string }
  | { type: 'clipboard'; available: boolean; reason?: string }
  | { type: 'transfer'; id: string; name: string; phase: 'receiving' | 'pushing' | 'installing' | 'done' | 'failed'; done?: number; total?: number; message?: string }
  | { type: 'recording'; on: boolean; file?: string };

export type InputEvent =
  | { action: 'tap'; x: number; y: number }
  | { action: 'longpress'; x: number; y: number }
  | { action: 'swipe'; x: number; y: number; x2: number; y2: number; ms: number }
  | { action: 'key'; key: 'back' | 'home' | 'recents' | 'power' | 'volumeUp' | 'volumeDown' | 'enter' | 'delete' }
  /** An android.view.KeyEvent code from the keyboard (only those keymap.ts sends). */
  | { action: 'keycode'; code: number }
  | { action: 'text'; text: string };

export type FromScreenWebview =
  | { type: 'ready'; h264: boolean }
  | { type: 'ack'; seq: number; drawnAt: number }
  | { type: 'h264Failed'; reason: string }
  | { type: 'input'; event: InputEvent }
  | { type: 'rotate' }
  | { type: 'paste'; text: string }
  | { type: 'copy' }
  | { type: 'screenshot' }
  | { type: 'record'; on: boolean }
  /** A file dropped from the computer: its bytes follow in chunks (OS drops carry no path). */
  | { type: 'dropStart'; id: string; name: string; size: number }
  | { type: 'dropChunk'; id: string; index: number; data: Uint8Array }
  | { type: 'dropEnd'; id: string }
  /** Files dropped from the editor's Explorer (Shift held): their URIs. */
  | { type: 'dropUris'; uris: string[] };

const KEYS = new Set(['back', 'home', 'recents', 'power', 'volumeUp', 'volumeDown', 'enter', 'delete']);
const coord = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 100000;
/** Largest file the panel takes by drop (2 GiB) and largest chunk message (8 MiB). */
export const MAX_DROP_BYTES = 2 * 1024 ** 3;
export const DROP_CHUNK = 1024 * 1024;
const dropId = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9-]{1,40}$/.test(v);
// eslint-disable-next-line no-control-regex
const fileName = (v: unknown) => isString(v, 255) && v.length > 0 && !/[\x00-\x1f/\\]/.test(v) && v !== '.' && v !== '..';

export function isInputEvent(e: unknown): e is InputEvent {
  if (!isObject(e)) return false;
  switch (e.action) {
    case 'tap':
    case 'longpress': return coord(e.x) && coord(e.y) && Object.keys(e).length === 3;
    case 'swipe': return coord(e.x) && coord(e.y) && coord(e.x2) && coord(e.y2) && coord(e.ms);
    case 'key': return typeof e.key === 'string' && KEYS.has(e.key);
    case 'keycode': return typeof e.code === 'number' && ALLOWED_KEYCODES.has(e.code);
    case 'text': return isString(e.text, 1000) && e.text.length > 0 && !/[\0\n\r]/.test(e.text);
    default: return false;
  }
}

export function isFromScreenWebview(m: unknown): m is FromScreenWebview {
  if (!isObject(m)) return false;
  const n = Object.keys(m).length;
  if (hasType(m, 'ready')) return typeof m.h264 === 'boolean' && n === 2;
  if (hasType(m, 'h264Failed')) return isString(m.reason, 2000);
  if (hasType(m, 'screenshot') || hasType(m, 'rotate') || hasType(m, 'copy')) return n === 1;
  if (hasType(m, 'record')) return typeof m.on === 'boolean' && n === 2;
  if (hasType(m, 'ack')) return Number.isInteger(m.seq) && typeof m.drawnAt === 'number';
  if (hasType(m, 'input')) return isInputEvent(m.event);
  if (hasType(m, 'paste')) return isString(m.text, 100_000) && m.text.length > 0 && !m.text.includes('\0') && n === 2;
  if (hasType(m, 'dropStart')) return dropId(m.id) && fileName(m.name) && Number.isInteger(m.size) && (m.size as number) >= 0 && (m.size as number) <= MAX_DROP_BYTES && n === 4;
  if (hasType(m, 'dropChunk')) return dropId(m.id) && Number.isInteger(m.index) && (m.index as number) >= 0 && m.data instanceof Uint8Array && m.data.byteLength <= DROP_CHUNK * 8 && n === 4;
  if (hasType(m, 'dropEnd')) return dropId(m.id) && n === 2;
  if (hasType(m, 'dropUris')) return Array.isArray(m.uris) && m.uris.length > 0 && m.uris.length <= 20 && m.uris.every((u) => isString(u, 4000)) && n === 2;
  return false;
}
