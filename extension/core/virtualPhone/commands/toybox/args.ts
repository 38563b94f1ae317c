/**
 * Option parsing as toybox's lib/args.c does it, toybox's number syntax (atolx), byte strings, and the
 * errors a command stops with.
 */

/* ------------------------------------------------------------------ */
/* byte strings                                                        */

/** Text tools work on "byte strings": one JS char per byte (latin1), so no byte is ever lost or re-encoded. */
export function bstr(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
export function fromB(b: Buffer): string {
  return b.toString('latin1');
}
export function toB(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/* ------------------------------------------------------------------ */
/* errors                                                              */

/** error_exit(): the command stops with this message (already formatted without the `cmd: ` prefix). */
export class ToyExit extends Error {
  constructor(readonly msg: string | undefined, readonly code: number, readonly help = false) {
    super(msg ?? 'exit');
  }
}

/** The reader of stdout went away (SIGPIPE), or the process was killed. */
export class Aborted extends Error {}

export function errCode(e: unknown): string | undefined {
  return (e as { code?: string } | undefined)?.code;
}

export function errnoError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

/* ------------------------------------------------------------------ */
/* option parsing (the semantics of toybox's lib/args.c)              */

type OptType = '' | ':' | '*' | '#' | '-' | '.' | '@';

interface OptDef {
  key: string;
  short?: string;
  longs: string[];
  type: OptType;
  /** `;`: the argument is optional and must be attached (-xARG, --x=ARG). */
  optional: boolean;
  low?: number;
  high?: number;
  def?: number;
}

interface Group {
  kind: '-' | '+' | '!';
  keys: string[];
}

interface ParsedSpec {
  min: number;
  max: number;
  stopEarly: boolean;
  passUnknown: boolean;
  defs: OptDef[];
  groups: Group[];
}

const specCache = new Map<string, ParsedSpec>();

/**
 * Parses an option spec in the notation of toybox's NEWTOY() strings: leading `<N` `>N` `^` `?`, then option
 * characters with `(longname)`s and a type (`:` string, `*` list, `#` number with `<LOW >HIGH =DEFAULT`,
 * `-` number negative unless signed, `.` float, `@` counter, `;` optional attached argument), bare `(long)`
 * options, and trailing groups `[-abc]` (last wins), `[+abc]` (synonyms), `[!abc]` (mutually exclusive).
 */
function parseSpec(spec: string): ParsedSpec {
  const cached = specCache.get(spec);
  if (cached) return cached;
  const p: ParsedSpec = { min: 0, max: Infinity, stopEarly: false, passUnknown: false, defs: [], groups: [] };
  let i = 0;
  const num = (): number => {
    const m = /^-?\d+/.exec(spec.slice(i));
    if (!m) return 0;
    i += m[0].length;
    return Number(m[0]);
  };
  for (;;) {
    const c = spec[i];
    if (c === '<') { i++; p.min = num(); } else if (c === '>') { i++; p.max = num(); } else if (c === '^') { i++; p.stopEarly = true; } else if (c === '?') { i++; p.passUnknown = true; } else break;
  }
  let cur: OptDef | undefined;
  let prev = '';
  while (i < spec.length) {
    const c = spec[i];
    if (c === '[') {
      const end = spec.indexOf(']', i);
      const kind = spec[i + 1] as Group['kind'];
      p.groups.push({ kind, keys: [...spec.slice(i + 2, end)] });
      i = end + 1;
      continue;
    }
    if (c === '(') {
      const end = spec.indexOf(')', i);
      const name = spec.slice(i + 1, end);
      i = end + 1;
      const attach = cur && cur.short && (prev === 'char' || prev === 'long');
      if (attach && cur) cur.longs.push(name);
      else p.defs.push((cur = { key: name, longs: [name], type: '', optional: false }));
      prev = 'long';
      continue;
    }
    if (':*#-.@'.includes(c) && cur) {
      cur.type = c as OptType;
      i++;
      if (c === '#' || c === '-' || c === '.') {
        for (;;) {
          const d = spec[i];
          if (d === '<') { i++; cur.low = num(); } else if (d === '>') { i++; cur.high = num(); } else if (d === '=') { i++; cur.def = num(); } else break;
        }
      }
      prev = 'type';
      continue;
    }
    if (c === ';' && cur) {
      cur.optional = true;
      i++;
      prev = 'type';
      continue;
    }
    if (c === ' ') { i++; continue; }
    p.defs.push((cur = { key: c, short: c, longs: [], type: '', optional: false }));
    i++;
    prev = 'char';
  }
  specCache.set(spec, p);
  return p;
}

export class Opts {
  readonly flags = new Set<string>();
  readonly order: string[] = [];
  readonly strs = new Map<string, string | undefined>();
  readonly lists = new Map<string, string[]>();
  readonly nums = new Map<string, number>();
  readonly counts = new Map<string, number>();
  args: string[] = [];

  has(k: string): boolean {
    return this.flags.has(k);
  }
  str(k: string): string | undefined {
    return this.strs.get(k);
  }
  list(k: string): string[] {
    return this.lists.get(k) ?? [];
  }
  num(k: string, dflt = 0): number {
    return this.nums.get(k) ?? dflt;
  }
  count(k: string): number {
    return this.counts.get(k) ?? 0;
  }
  set(k: string): void {
    this.flags.add(k);
  }
  unset(k: string): void {
    this.flags.delete(k);
  }
}

/** atolx(): a number with toybox's suffixes (c w b k m g t p e, kd = 1000 …); throws "not integer: X". */
export function atolx(s: string): number {
  const m = /^\s*([-+]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*))([cwbkmgtpeCWBKMGTPE]?)([dD]?)\s*$/.exec(s);
  if (!m) throw new ToyExit(`not integer: ${s}`, 1);
  const body = m[1];
  const neg = body.startsWith('-');
  const digits = body.replace(/^[-+]/, '');
  let v = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : parseInt(digits, 10);
  if (neg) v = -v;
  const suf = m[2].toLowerCase();
  if (m[3] && !'kmgtpe'.includes(suf || '_')) throw new ToyExit(`not integer: ${s}`, 1);
  if (suf) {
    const shift = 'cwbkmgtpe'.indexOf(suf) - 2;
    if (shift === -1) v *= 2;
    else if (shift === 0) v *= 512;
    else if (shift > 0) v *= m[3] ? 1000 ** shift : 1024 ** shift;
  }
  return v;
}

/** Parses argv[1..] against a spec; throws ToyExit(help) with toybox's messages on errors. */
export function getopt(argv: string[], spec: string, argfail = 1): Opts {
  const p = parseSpec(spec);
  const o = new Opts();
  const byShort = new Map<string, OptDef>();
  for (const d of p.defs) if (d.short) byShort.set(d.short, d);
  let stopped = false;
  let afterFirstArg = false;
  const fail = (msg: string): never => {
    throw new ToyExit(msg, argfail, true);
  };
  const give = (d: OptDef, value: string | undefined, label: string): void => {
    enable(d.key);
    switch (d.type) {
      case '@':
        o.counts.set(d.key, o.count(d.key) + 1);
        return;
      case ':':
        o.strs.set(d.key, value);
        return;
      case '*':
        if (value !== undefined) o.lists.set(d.key, [...o.list(d.key), value]);
        return;
      case '#':
      case '-': {
        if (value === undefined) return;
        let n: number;
        try {
          n = atolx(value);
        } catch {
          return fail(`not integer: ${value}`);
        }
        if (d.type === '-' && !/^[+-]/.test(value)) n = -n;
        if (d.low !== undefined && n < d.low) fail(`${label} < ${d.low}`);
        if (d.high !== undefined && n > d.high) fail(`${label} > ${d.high}`);
        o.nums.set(d.key, n);
        return;
      }
      case '.': {
        if (value === undefined) return;
        const n = parseFloat(value);
        if (d.low !== undefined && n < d.low) fail(`${label} < ${d.low}`);
        if (d.high !== undefined && n > d.high) fail(`${label} > ${d.high}`);
        o.nums.set(d.key, Number.isFinite(n) ? n : 0);
        return;
      }
      default:
        return;
    }
  };
  const enable = (k: string): void => {
    for (const g of p.groups) {
      if (!g.keys.includes(k)) continue;
      if (g.kind === '-') for (const other of g.keys) if (other !== k) { o.flags.delete(other); o.strs.delete(other); }
      if (g.kind === '!') {
        const clash = g.keys.find((other) => other !== k && o.flags.has(other));
        if (clash) fail(`No '${k}' with '${clash}'`);
      }
    }
    o.flags.add(k);
    o.order.push(k);
    for (const g of p.groups) if (g.kind === '+' && g.keys.includes(k)) for (const other of g.keys) o.flags.add(other);
  };
  const needs = (d: OptDef): boolean => d.type !== '' && d.type !== '@';
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (stopped || (p.stopEarly && afterFirstArg)) {
      o.args.push(a);
      continue;
    }
    if (a === '--') {
      stopped = true;
      continue;
    }
    if (a.startsWith('--') && a.length > 2) {
      const body = a.slice(2);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      let found: OptDef | undefined;
      const partial: Array<[OptDef, string]> = [];
      for (const d of p.defs) {
        for (const l of d.longs) {
          if (l === name) found = d;
          else if (l.startsWith(name) && (eq < 0 || needs(d))) partial.push([d, l]);
        }
      }
      if (!found && partial.length > 1) throw new ToyExit(`bad --${name} (${partial.map(([, l]) => l).join(' ')})`, argfail);
      if (!found && partial.length === 1) found = partial[0][0];
      if (!found) {
        if (p.passUnknown) {
          o.args.push(a);
          afterFirstArg = true;
          continue;
        }
        fail(`Unknown option '${body}'`);
      }
      const d = found as OptDef;
      let value: string | undefined;
      if (needs(d)) {
        if (eq >= 0) value = body.slice(eq + 1);
        else if (!d.optional) {
          if (i + 1 >= argv.length) fail(`Missing argument to --${d.longs[0]}`);
          value = argv[++i];
        }
      }
      give(d, value, `--${d.longs[0]}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const save = { flags: new Set(o.flags), order: [...o.order] };
      let unknown = false;
      for (let j = 1; j < a.length; j++) {
        const d = byShort.get(a[j]);
        if (!d) {
          if (p.passUnknown) {
            unknown = true;
            break;
          }
          fail(`Unknown option '${a.slice(j)}'`);
        }
        const def = d as OptDef;
        if (needs(def)) {
          let value: string | undefined = a.slice(j + 1);
          if (!value) {
            if (def.optional) value = undefined;
            else {
              if (i + 1 >= argv.length) fail(`Missing argument to -${def.short}`);
              value = argv[++i];
            }
          }
          give(def, value, `-${def.short}`);
          break;
        }
        give(def, undefined, `-${def.short}`);
      }
      if (unknown) {
        o.flags.clear();
        for (const f of save.flags) o.flags.add(f);
        o.order.splice(0, o.order.length, ...save.order);
        o.args.push(a);
        afterFirstArg = true;
      }
      continue;
    }
    o.args.push(a);
    afterFirstArg = true;
  }
  for (const d of p.defs) if ((d.type === '#' || d.type === '-' || d.type === '.') && !o.nums.has(d.key) && d.def !== undefined) o.nums.set(d.key, d.def);
  if (o.args.length < p.min) fail(p.min === 1 ? 'Needs 1 argument' : `Need ${p.min} arguments`);
  if (o.args.length > p.max) fail(p.max === 1 ? 'Max 1 argument' : `Max ${p.max} arguments`);
  return o;
}

