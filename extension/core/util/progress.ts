/** Progress and cancellation shared by long work in the engine, the editor and the CLI. */
export interface Progress {
  done?: number;
  total?: number;
  message?: string;
}

export interface ProgressSink {
  report(p: Progress): void;
}

export interface CancelSignal {
  readonly cancelled: boolean;
  /** Registers a callback; returns an unsubscribe function. */
  onCancel(cb: () => void): () => void;
}

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export class CancelSource {
  private cbs = new Set<() => void>();
  cancelled = false;
  readonly signal: CancelSignal = {
    get cancelled() {
      return false;
    },
    onCancel: (cb) => {
      if (this.cancelled) {
        queueMicrotask(cb);
        return () => undefined;
      }
      this.cbs.add(cb);
      return () => this.cbs.delete(cb);
    },
  };

  constructor() {
    Object.defineProperty(this.signal, 'cancelled', { get: () => this.cancelled });
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const cb of this.cbs) cb();
    this.cbs.clear();
  }
}

/**
 * Waits for `p` at most `ms` (then goes on, whatever `p` does later); the timer is cleared either way, so it
 * keeps nothing alive. A rejection of `p` is not waited for as an error: the wait just ends.
 */
export async function waitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
