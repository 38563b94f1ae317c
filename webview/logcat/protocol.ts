/** Messages between the Logcat panel and its host. Both sides import this file. */
import type { LogFilter } from '../../extension/core/logcat/filter';
import { isLogFilter } from '../../extension/core/logcat/filter';
import type { LogLevel } from '../../extension/core/logcat/parse';
import { hasType, isObject } from '../shared/messages';

/** An entry as the view shows it. */
export interface Row {
  seq: number;
  time: string;
  pid: number;
  tid: number;
  level: LogLevel;
  tag: string;
  msg: string;
  text?: true;
  crash?: number;
}

export interface CrashInfo {
  id: number;
  kind: 'java' | 'native';
  pid: number;
  process?: string;
  title: string;
  time: string;
  firstSeq: number;
  lastSeq: number;
}

export type LogcatState = 'starting' | 'streaming' | 'paused' | 'disconnected' | 'error';

export type ToLogcatWebview =
  | { type: 'init'; title: string; serial: string; capacity: number; filter: LogFilter }
  /** Everything the filter shows now (after a filter change, a clear, a resume after the ring wrapped); `filter` is the one the rows (and the appends after them) belong to. */
  | { type: 'reset'; rows: Row[]; crashes: CrashInfo[]; total: number; filter: LogFilter; filterError?: string }
  | { type: 'append'; rows: Row[]; crashes: CrashInfo[]; total: number }
  | { type: 'state'; state: LogcatState; message: string; buffered?: number }
  | { type: 'packages'; names: string[] };

export type FromLogcatWebview =
  | { type: 'ready' }
  | { type: 'filter'; filter: LogFilter }
  | { type: 'pause'; paused: boolean }
  | { type: 'clear' }
  | { type: 'restart' };

export function isFromLogcatWebview(m: unknown): m is FromLogcatWebview {
  if (!isObject(m)) return false;
  const n = Object.keys(m).length;
  if (hasType(m, 'ready') || hasType(m, 'clear') || hasType(m, 'restart')) return n === 1;
  if (hasType(m, 'pause')) return n === 2 && typeof m.paused === 'boolean';
  if (hasType(m, 'filter')) return n === 2 && isLogFilter(m.filter);
  return false;
}
