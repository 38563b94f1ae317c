/** Helpers shared by the webview protocols: small, dependency-free runtime checks. */
export type Guard<T> = (v: unknown) => v is T;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function hasType<K extends string>(v: unknown, type: K): v is { type: K } & Record<string, unknown> {
  return isObject(v) && v.type === type;
}

export function isString(v: unknown, max = 10_000): v is string {
  return typeof v === 'string' && v.length <= max;
}

/**
 * A short, never-throwing text of a message for a log line. A webview can send anything structured clone
 * carries — BigInts, cycles, deep nesting (all make JSON.stringify throw), a 100 MB string — so the message
 * is first cut to a few levels, keys and characters.
 */
export function preview(m: unknown, max = 200): string {
  const clip = (v: unknown, depth: number): unknown => {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'string') return v.length > max ? `${v.slice(0, max)}…` : v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (v === null || typeof v !== 'object') return v === undefined ? null : typeof v === 'boolean' ? v : String(typeof v);
    if (depth >= 4) return '…';
    if (Array.isArray(v)) return v.slice(0, 8).map((x) => clip(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).slice(0, 12)) out[k === '__proto__' ? '["__proto__"]' : k] = clip((v as Record<string, unknown>)[k], depth + 1);
    return out;
  };
  try {
    return JSON.stringify(clip(m, 0)).slice(0, max);
  } catch {
    return `(a ${typeof m} that cannot be printed)`;
  }
}
