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
