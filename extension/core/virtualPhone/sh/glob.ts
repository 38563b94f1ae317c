/**
 * Shell patterns (`*`, `?`, `[…]`) for pathname expansion, `case` and `${var#pattern}`. A pattern arrives in
 * "escaped" form: characters that were quoted in the source carry a backslash, so `"*"` matches a star only.
 */
export function hasGlobChars(escaped: string): boolean {
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i];
    if (c === '\\') { i++; continue; }
    if (c === '*' || c === '?') return true;
    if (c === '[' && classEnd(escaped, i) > 0) return true;
  }
  return false;
}

export function unescapePattern(escaped: string): string {
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] === '\\' && i + 1 < escaped.length) i++;
    out += escaped[i];
  }
  return out;
}

export function escapeLiteral(s: string): string {
  return s.replace(/[\\*?[\]]/g, '\\$&');
}

/** Index of the `]` closing a bracket expression starting at `i`, or -1. */
function classEnd(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '!' || p[j] === '^') j++;
  if (p[j] === ']') j++;
  for (; j < p.length; j++) {
    if (p[j] === '\\') { j++; continue; }
    if (p[j] === '[' && p[j + 1] === ':') {
      const e = p.indexOf(':]', j + 2);
      if (e > 0) { j = e + 1; continue; }
    }
    if (p[j] === ']') return j;
  }
  return -1;
}

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v', blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', cntrl: '\\x00-\\x1f\\x7f', print: '\\x20-\\x7e', graph: '\\x21-\\x7e', word: 'A-Za-z0-9_',
};

function reEsc(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/** The regular expression source for a pattern (no anchors). */
export function patternSource(p: string, opts: { slashSpecial?: boolean } = {}): string {
  let re = '';
  const any = opts.slashSpecial ? '[^/]' : '[\\s\\S]';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      if (i + 1 < p.length) re += reEsc(p[++i]);
      else re += '\\\\';
      continue;
    }
    if (c === '*') { re += `${any}*`; continue; }
    if (c === '?') { re += any; continue; }
    if (c === '[') {
      const end = classEnd(p, i);
      if (end < 0) { re += '\\['; continue; }
      let j = i + 1;
      let neg = false;
      if (p[j] === '!' || p[j] === '^') { neg = true; j++; }
      let body = '';
      for (; j < end; j++) {
        if (p[j] === '[' && p[j + 1] === ':') {
          const e = p.indexOf(':]', j + 2);
          const cls = CLASSES[p.slice(j + 2, e)];
          if (cls !== undefined) { body += cls; j = e + 1; continue; }
        }
        if (p[j] === '\\' && j + 1 < end) { body += reEsc(p[++j]); continue; }
        if (p[j] === '-' && body && j + 1 < end) { body += '-'; continue; }
        body += reEsc(p[j]);
      }
      re += `[${neg ? '^' : ''}${body}]`;
      i = end;
      continue;
    }
    re += reEsc(c);
  }
  return re;
}

export function patternRegex(p: string, opts: { slashSpecial?: boolean } = {}): RegExp {
  return new RegExp(`^${patternSource(p, opts)}$`);
}

export function matchPattern(escaped: string, text: string): boolean {
  try {
    return patternRegex(escaped).test(text);
  } catch {
    return unescapePattern(escaped) === text;
  }
}

/**
 * Pathname expansion: the sorted matches of a pattern, or [] when nothing matches (the caller keeps the word).
 * `list(absDir)` returns a folder's names or undefined when it cannot be read (permission, not a folder).
 */
export async function expandPathname(escaped: string, cwd: string, list: (absDir: string) => Promise<string[] | undefined>): Promise<string[]> {
  const absolute = escaped.startsWith('/');
  const parts = escaped.split('/').filter((s, i) => s !== '' || i === 0);
  let bases: Array<{ shown: string; abs: string }> = [{ shown: absolute ? '/' : '', abs: absolute ? '/' : cwd }];
  const segs = absolute ? parts.slice(1) : parts;
  const join = (a: string, b: string) => (a === '' ? b : a.endsWith('/') ? a + b : `${a}/${b}`);
  for (let k = 0; k < segs.length; k++) {
    const seg = segs[k];
    if (seg === '') continue;
    const next: Array<{ shown: string; abs: string }> = [];
    if (!hasGlobChars(seg)) {
      const name = unescapePattern(seg);
      for (const b of bases) next.push({ shown: join(b.shown, name), abs: join(b.abs, name) });
      if (k === segs.length - 1) {
        // The last segment is literal: keep only paths that exist.
        const kept: typeof next = [];
        for (const n of next) {
          const dir = n.abs.slice(0, n.abs.lastIndexOf('/')) || '/';
          const names = await list(dir);
          if (names?.includes(name)) kept.push(n);
        }
        bases = kept;
      } else {
        bases = next;
      }
      continue;
    }
    const re = patternRegex(seg, { slashSpecial: true });
    const dotOk = seg.startsWith('.') || seg.startsWith('\\.');
    for (const b of bases) {
      const names = await list(b.abs);
      if (!names) continue;
      for (const n of names) {
        if (n.startsWith('.') && !dotOk) continue;
        if (re.test(n)) next.push({ shown: join(b.shown, n), abs: join(b.abs, n) });
      }
    }
    bases = next;
    if (!bases.length) return [];
  }
  if (escaped.endsWith('/') && segs.some((x) => x !== '')) {
    // A pattern ending in / matches folders only, and each match keeps the slash.
    const dirs: string[] = [];
    for (const b of bases) if ((await list(b.abs)) !== undefined) dirs.push(`${b.shown}/`);
    return dirs.sort();
  }
  return bases.map((b) => b.shown).sort();
}
