/**
 * The Logcat view's filter: a minimum level, tags, a package (its processes), and text or a regular
 * expression, as Android Studio's Logcat filters (level:, tag:, -tag:, package:, free text).
 */
import { LEVELS, levelRank, type LogEntry, type LogLevel } from './parse';

export interface LogFilter {
  /** Minimum level shown. */
  level: LogLevel;
  /** Space- or comma-separated tags: a term matches tags containing it (case-insensitive); `-term` hides them; `=term` is exact. */
  tag: string;
  /** A package name: entries from its processes (`com.example` and `com.example:remote`). */
  package: string;
  /** Text searched in the tag and the message. */
  text: string;
  regex: boolean;
  matchCase: boolean;
}

export const EMPTY_FILTER: LogFilter = { level: 'V', tag: '', package: '', text: '', regex: false, matchCase: false };

export interface CompiledFilter {
  test(e: LogEntry): boolean;
  /** Why the text could not be used (an invalid regular expression): then text does not filter. */
  error?: string;
  /** True when nothing is filtered out. */
  all: boolean;
}

/** Which package a process belongs to: `com.example:remote` is com.example's. */
export function packageOfProcess(name: string): string {
  const i = name.indexOf(':');
  return i > 0 ? name.slice(0, i) : name;
}

/**
 * Compiles a filter. `processOf(pid)` names the process a pid belongs to (from `ps`, and from the log
 * itself: "Start proc PID:NAME/…" lines and crash reports).
 */
export function compileFilter(f: LogFilter, processOf: (pid: number) => string | undefined): CompiledFilter {
  const tests: Array<(e: LogEntry) => boolean> = [];
  let error: string | undefined;
  const min = levelRank(f.level);
  if (min > 0) tests.push((e) => !e.text && levelRank(e.level) >= min);

  const terms = f.tag.split(/[\s,]+/).filter(Boolean);
  const include = terms.filter((t) => !t.startsWith('-')).map((t) => t.toLowerCase());
  const exclude = terms.filter((t) => t.startsWith('-') && t.length > 1).map((t) => t.slice(1).toLowerCase());
  const tagMatch = (tag: string, term: string) => (term.startsWith('=') ? tag === term.slice(1) : tag.includes(term));
  if (include.length) tests.push((e) => include.some((t) => tagMatch(e.tag.toLowerCase(), t)));
  if (exclude.length) tests.push((e) => !exclude.some((t) => tagMatch(e.tag.toLowerCase(), t)));

  const pkg = f.package.trim();
  if (pkg) {
    tests.push((e) => {
      const p = processOf(e.pid);
      return p !== undefined && packageOfProcess(p) === pkg;
    });
  }

  const text = f.text;
  if (text) {
    if (f.regex) {
      try {
        const re = new RegExp(text, f.matchCase ? '' : 'i');
        tests.push((e) => re.test(e.msg) || re.test(e.tag));
      } catch (err) {
        error = `Invalid regular expression: ${(err as Error).message}`;
      }
    } else if (f.matchCase) {
      tests.push((e) => e.msg.includes(text) || e.tag.includes(text));
    } else {
      const lower = text.toLowerCase();
      tests.push((e) => e.msg.toLowerCase().includes(lower) || e.tag.toLowerCase().includes(lower));
    }
  }
  return { test: (e) => tests.every((t) => t(e)), error, all: tests.length === 0 };
}

const MAX_FIELD = 1000;

/** A filter from untrusted input (the webview): every field checked, nothing else accepted. */
export function isLogFilter(v: unknown): v is LogFilter {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'level,matchCase,package,regex,tag,text') return false;
  const str = (x: unknown) => typeof x === 'string' && x.length <= MAX_FIELD;
  return (LEVELS as readonly string[]).includes(o.level as string) && str(o.tag) && str(o.package) && str(o.text) && typeof o.regex === 'boolean' && typeof o.matchCase === 'boolean'
    && /^[A-Za-z0-9._:]*$/.test((o.package as string).trim());
}
