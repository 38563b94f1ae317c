/** One log line as logd keeps it. */
export interface LogEntry {
  buffer: 'main' | 'system' | 'crash' | 'events' | 'radio';
  /** V D I W E F (A = assert is shown as F). */
  level: 'V' | 'D' | 'I' | 'W' | 'E' | 'F';
  tag: string;
  msg: string;
  pid: number;
  tid: number;
  uid: number;
  /** ms since epoch (with sub-ms precision where known). */
  time: number;
}

export type LogInput = Omit<LogEntry, 'time' | 'tid' | 'pid' | 'uid' | 'buffer'> & Partial<Pick<LogEntry, 'time' | 'tid' | 'pid' | 'uid' | 'buffer'>>;

/** The phone's log buffers (logd): a ring per buffer that `logcat` reads, clears and follows. */
export class LogBuffer {
  write(e: LogInput): void {
    void e;
  }
}
