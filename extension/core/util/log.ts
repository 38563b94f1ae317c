/** A tiny logging interface so the engine can log without knowing who listens (output channel, CLI, tests). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, cause?: unknown): void;
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A logger writing timestamped lines to stderr (used by the CLI with --verbose). */
export function stderrLogger(prefix = 'mobileai'): Logger {
  const line = (level: string, msg: string) => process.stderr.write(`[${prefix}] ${level} ${msg}\n`);
  return {
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m, cause) => line('error', cause === undefined ? m : `${m}: ${errorMessage(cause)}`),
  };
}
