export interface AdbServerAddress {
  host: string;
  port: number;
  /** True when the server runs on this machine, so we may start it ourselves. */
  local: boolean;
  /** What decided it, for the log. */
  source: 'settings' | 'ADB_SERVER_SOCKET' | 'ANDROID_ADB_SERVER_ADDRESS' | 'ANDROID_ADB_SERVER_PORT' | 'default';
}

export const DEFAULT_ADB_PORT = 5037;

function isLocalHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '0.0.0.0';
}

function parsePort(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new Error(`${what} must be a port number from 1 to 65535 (got "${value}")`);
  return n;
}

/**
 * Where the adb server is. Explicit settings win; otherwise adb's own environment, read as adb reads it:
 * ADB_SERVER_SOCKET (`tcp:HOST:PORT` or `tcp:PORT`), else ANDROID_ADB_SERVER_ADDRESS and
 * ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037.
 */
export function resolveServerAddress(settings: { host?: string; port?: number }, env: NodeJS.ProcessEnv = process.env): AdbServerAddress {
  if (settings.host || settings.port) {
    const host = settings.host || '127.0.0.1';
    const port = settings.port || DEFAULT_ADB_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`mobileAI.adb.serverPort must be a port number from 1 to 65535 (got ${port})`);
    return { host, port, local: isLocalHost(host), source: 'settings' };
  }
  const socketSpec = env.ADB_SERVER_SOCKET;
  if (socketSpec) {
    const m = /^tcp:(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(socketSpec);
    if (!m) throw new Error(`ADB_SERVER_SOCKET must look like tcp:HOST:PORT or tcp:PORT (got "${socketSpec}")`);
    const host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
    return { host, port: parsePort(m[2], 'ADB_SERVER_SOCKET'), local: isLocalHost(host), source: 'ADB_SERVER_SOCKET' };
  }
  const host = env.ANDROID_ADB_SERVER_ADDRESS || '127.0.0.1';
  if (env.ANDROID_ADB_SERVER_PORT) {
    return { host, port: parsePort(env.ANDROID_ADB_SERVER_PORT, 'ANDROID_ADB_SERVER_PORT'), local: isLocalHost(host), source: 'ANDROID_ADB_SERVER_PORT' };
  }
  return { host, port: DEFAULT_ADB_PORT, local: isLocalHost(host), source: env.ANDROID_ADB_SERVER_ADDRESS ? 'ANDROID_ADB_SERVER_ADDRESS' : 'default' };
}
