import { promises as fsp } from 'node:fs';
import type { Command, CommandContext, CommandTable, Io } from './types';
import { ANDROID_COMMANDS } from './android';
import { PACKAGE_MANAGER } from './pm';
import {
  LOG_IDS, LogFilter, applyFormatWord, binaryEntry, formatEntry, newFormat, parseLogTime, sizeText,
  LOGGER_ENTRY_MAX_LEN, LOGGER_ENTRY_MAX_PAYLOAD, type LogEntry, type LogId,
} from '../os/logcat';
import {
  ADBD_PID, CLK_TCK, SIGNALS, SIGRTMAX, SIGRTMIN, uidOf, userName, type Proc,
} from '../os/processes';
import { commOf, loadAverages, meminfo, procStat } from '../os/procfs';
import { compile } from './toybox/regex';
import { crashApp, killAllBackground, killBackgroundApp } from '../os/androidSystem';

/*
 * The process tools of the phone: logcat (system/logging/logcat/logcat.cpp), and toybox's ps, top, pidof,
 * kill and uptime (toys/posix/ps.c, kill.c, toys/lsb/pidof.c, toys/other/uptime.c). Their output formats
 * and error messages follow those sources; the tests name the facts they rely on.
 */

/* ------------------------------------------------------------------ */
/* shared bits                                                          */

function procOf(ctx: CommandContext): Proc | undefined {
  return ctx.device.procs.get(ctx.pid);
}

/** Resolves when the command should stop: the reader went away, or the process was killed. */
function stopSignal(io: Io, ctx: CommandContext): { aborted: () => boolean; wait: Promise<void> } {
  const p = procOf(ctx);
  let done = false;
  const wait = new Promise<void>((resolve) => {
    const fire = () => { done = true; resolve(); };
    io.signal.onAbort(fire);
    p?.abort.onAbort(fire);
  });
  return { aborted: () => done || io.signal.aborted || !!p?.abort.aborted, wait };
}

const sleep = (ms: number) => new Promise<void>((r) => {
  const t = setTimeout(r, ms);
  t.unref?.();
});

/** bionic's error(3): `logcat: message` on stderr. */
async function fail(io: Io, prog: string, msg: string, code = 1): Promise<number> {
  await io.err(`${prog}: ${msg}\n`);
  return code;
}

/* ------------------------------------------------------------------ */
/* logcat                                                               */

const LOG_DELIMS = /[,:; \t\n\r\f]/;

interface LongOpt { name: string; arg: 'none' | 'required' | 'optional'; short?: string }
const LOGCAT_LONG: LongOpt[] = [
  { name: 'binary', arg: 'none', short: 'B' }, { name: 'buffer', arg: 'required', short: 'b' }, { name: 'buffer-size', arg: 'optional', short: 'g' },
  { name: 'clear', arg: 'none', short: 'c' }, { name: 'debug', arg: 'none' }, { name: 'dividers', arg: 'none', short: 'D' },
  { name: 'file', arg: 'required', short: 'f' }, { name: 'format', arg: 'required', short: 'v' }, { name: 'grep', arg: 'required', short: 'e' },
  { name: 'head', arg: 'required', short: 'm' }, { name: 'help', arg: 'none', short: 'h' }, { name: 'id', arg: 'required' },
  { name: 'last', arg: 'none', short: 'L' }, { name: 'max-count', arg: 'required', short: 'm' }, { name: 'pid', arg: 'required' },
  { name: 'print', arg: 'none' }, { name: 'prune', arg: 'optional', short: 'p' }, { name: 'proto', arg: 'none' },
  { name: 'regex', arg: 'required', short: 'e' }, { name: 'rotate-count', arg: 'required', short: 'n' },
  { name: 'rotate-kbytes', arg: 'required', short: 'r' }, { name: 'statistics', arg: 'none', short: 'S' },
  { name: 'tail', arg: 'required', short: 't' }, { name: 'uid', arg: 'required' }, { name: 'wrap', arg: 'optional' },
];
/** logcat's getopt string: these short options take an argument. */
const LOGCAT_SHORT_ARG = new Set(['t', 'T', 'G', 'f', 'r', 'n', 'v', 'b', 'P', 'm', 'e']);
const LOGCAT_SHORT = new Set('cdDhLtTgGsQfrnvbBSpPme'.split(''));

type Opt = { opt: string; arg?: string; long?: boolean };

/**
 * getopt_long as bionic does it for logcat: options and filter specs may be mixed (operands are moved to
 * the end), `--name=value` or `--name value`, unique prefixes of long names, `--` ends the options.
 */
function logcatGetopt(args: string[]): { opts: Opt[]; operands: string[]; error?: string } {
  const opts: Opt[] = [];
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { operands.push(...args.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const exact = LOGCAT_LONG.find((o) => o.name === name);
      const prefixed = LOGCAT_LONG.filter((o) => o.name.startsWith(name));
      const lo = exact ?? (prefixed.length === 1 || (prefixed.length > 1 && prefixed.every((o) => o.short && o.short === prefixed[0].short)) ? prefixed[0] : undefined);
      if (!lo || !name) return { opts, operands, error: `Unknown option '${args[i + 1] ?? '(null)'}'.` };
      let val: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (lo.arg === 'none' && val !== undefined) return { opts, operands, error: `Unknown option '${args[i + 1] ?? '(null)'}'.` };
      if (lo.arg === 'required' && val === undefined) {
        if (i + 1 >= args.length) return { opts, operands, error: `Option '${a}' needs an argument.` };
        val = args[++i];
      }
      opts.push({ opt: lo.short ?? lo.name, arg: val, long: !lo.short });
      continue;
    }
    if (a.length > 1 && a.startsWith('-')) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (!LOGCAT_SHORT.has(c)) return { opts, operands, error: `Unknown option '${j === a.length - 1 ? args[i + 1] ?? '(null)' : a}'.` };
        if (LOGCAT_SHORT_ARG.has(c)) {
          let val = a.slice(j + 1);
          if (!val) {
            if (i + 1 >= args.length) return { opts, operands, error: `Option '${a}' needs an argument.` };
            val = args[++i];
          }
          opts.push({ opt: c, arg: val });
          break;
        }
        opts.push({ opt: c });
      }
      continue;
    }
    operands.push(a);
  }
  return { opts, operands };
}

/** android::base::ParseByteCount: a number with an optional K, M or G (optionally followed by B or iB). */
function parseByteCount(s: string): number | undefined {
  const m = /^(\d+)(?:([kKmMgG])(?:[iI]?[bB])?|[bB])?$/.exec(s);
  if (!m) return undefined;
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
  return Number(m[1]) * mult;
}

const LOGCAT_HELP = `Usage: logcat [OPTION]... [FILTERSPEC]...

  -b BUFFER     main system radio events crash default all (repeat or comma-separate)
  -c            clear the selected buffers and exit
  -d            dump the log and exit (do not block)
  -D            print dividers between buffers
  -e EXPR       only lines whose message matches the regular expression
  -f FILE       log to FILE instead of standard output
  -g            print the ring buffer sizes;  -G SIZE sets them (K or M suffix)
  -m N          exit after N lines
  -s            set the default filter to silent (like *:S)
  -t N|TIME     print the most recent N lines, or lines since TIME (implies -d)
  -T N|TIME     as -t, without -d
  -v FORMAT     brief long process raw tag thread threadtime time, and the adverbs
                color descriptive epoch monotonic printable uid usec UTC year zone
  --pid=PID     only lines from PID;  --uid=UIDS only lines from these uids
  -B            binary output

  FILTERSPEC is TAG[:PRIORITY] with PRIORITY one of V D I W E F S ('*' is every tag).
  Without filter specs, $ANDROID_LOG_TAGS is used; without -v, $ANDROID_PRINTF_LOG or threadtime.
`;

export const logcat: Command = async (argv, io, ctx) => {
  const P = 'logcat';
  const device = ctx.device;
  const parsed = logcatGetopt(argv.slice(1));
  if (argv.length === 2 && argv[1] === '--help') { await io.out(LOGCAT_HELP); return 0; }
  const filter = new LogFilter();
  const format = newFormat(device.procs.bootTime * 1000);
  let hasFormat = false;
  let clear = false;
  let nonblock = false;
  let dividers = false;
  let binary = false;
  let getSize = false;
  let setSize: number | undefined;
  let tailLines = 0;
  let tailUs: number | undefined;
  let gotT = false;
  let pid = 0;
  const uids = new Set<number>();
  let regex: RegExp | undefined;
  let maxCount = 0;
  let printAnyway = false;
  let file: string | undefined;
  let rotateKb = 0;
  let mask = new Set<LogId>();
  let last = false;
  // Options are acted on in order, as getopt hands them over; an error stops at once.
  for (const { opt, arg, long } of parsed.opts) {
    switch (long ? `--${opt}` : opt) {
      case '--pid': {
        if (pid) return fail(io, P, 'Only one --pid argument can be provided.');
        if (!/^\d+$/.test(arg ?? '') || Number(arg) < 1) return fail(io, P, `pid '${arg}' out of range.`);
        pid = Number(arg);
        break;
      }
      case '--uid':
        for (const u of (arg ?? '').split(LOG_DELIMS).filter(Boolean)) {
          if (!/^\d+$/.test(u)) return fail(io, P, `Unable to parse UID '${u}'`);
          uids.add(Number(u));
        }
        break;
      case '--print': printAnyway = true; break;
      case '--proto': return fail(io, P, '--proto output is not available on this phone.');
      case '--debug': case '--wrap': case '--id': break;
      case 's': filter.addRule('*:s'); break;
      case 'c': clear = true; break;
      case 'L': last = true; nonblock = true; break;
      case 'd': nonblock = true; break;
      case 't': case 'T': {
        if (opt === 't') { gotT = true; nonblock = true; }
        const v = arg ?? '';
        if (!/^\d+$/.test(v)) {
          const t = parseLogTime(v, device.logcat.nowUs());
          if (!t) return fail(io, P, `-${opt} '${v}' not in time format.`);
          if (t.rest) await io.err(`WARNING: -${opt} '${v.slice(0, v.length - t.rest.length)}' '${t.rest}' time truncated\n`);
          tailUs = t.us;
        } else {
          tailLines = Number(v);
          if (!(tailLines >= 1)) {
            await io.err(`WARNING: -${opt} ${v} invalid, setting to 1\n`);
            tailLines = 1;
          }
        }
        break;
      }
      case 'D': dividers = true; break;
      case 'e':
        try {
          regex = new RegExp(arg ?? '');
        } catch (e) {
          await io.err(`libc++abi: terminating due to uncaught exception of type std::__1::regex_error: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}\n`);
          return 134;
        }
        break;
      case 'm':
        if (!/^\d+$/.test(arg ?? '') || Number(arg) < 1) return fail(io, P, `-${opt} '${arg}' isn't an integer greater than zero.`);
        maxCount = Number(arg);
        break;
      case 'g': case 'G': {
        // -g alone reads the sizes; -G SIZE and --buffer-size=SIZE set them
        if (opt === 'g' && arg === undefined) { getSize = true; break; }
        const n = parseByteCount(arg ?? '');
        if (!n) return fail(io, P, '-G must be specified as <num><multiplier>.');
        setSize = n;
        break;
      }
      case 'p': case 'P': break;
      case 'b':
        for (const b of (arg ?? '').split(LOG_DELIMS).filter(Boolean)) {
          if (b === 'default') ['main', 'system', 'crash'].forEach((x) => mask.add(x as LogId));
          else if (b === 'all') mask = new Set(LOG_IDS);
          else if ((LOG_IDS as readonly string[]).includes(b)) mask.add(b as LogId);
          else return fail(io, P, `Unknown -b buffer '${b}'.`);
        }
        break;
      case 'B': binary = true; break;
      case 'f': file = arg; break;
      case 'r':
        if (!/^\d+$/.test(arg ?? '') || Number(arg) < 1) return fail(io, P, `Invalid -r '${arg}'.`);
        rotateKb = Number(arg);
        break;
      case 'n':
        if (!/^\d+$/.test(arg ?? '') || Number(arg) < 1) return fail(io, P, `Invalid -n '${arg}'.`);
        break;
      case 'v':
        for (const w of (arg ?? '').split(LOG_DELIMS).filter(Boolean)) {
          const r = applyFormatWord(format, w);
          if (r < 0) return fail(io, P, `Invalid -v '${w}'.`);
          if (r > 0) hasFormat = true;
        }
        break;
      case 'S': return fail(io, P, 'Failed to read data.');
      case 'h': await io.out(LOGCAT_HELP); return 0;
      default: break;
    }
  }
  if (parsed.error) return fail(io, P, parsed.error);
  if (maxCount && gotT) return fail(io, P, 'Cannot use -m (--max-count) and -t together.');
  if (printAnyway && (!regex || !maxCount)) {
    await io.err('WARNING: --print ignored, to be used in combination with\n         --regex <expr> and --max-count <N>\n');
    printAnyway = false;
  }
  if (mask.size === 0) mask = new Set<LogId>(['main', 'system', 'crash', 'kernel']);
  if (rotateKb && !file) return fail(io, P, '-r requires -f as well.');
  if (!hasFormat) {
    const env = ctx.env.ANDROID_PRINTF_LOG;
    if (env) {
      for (const w of env.split(LOG_DELIMS).filter(Boolean)) {
        const r = applyFormatWord(format, w);
        if (r < 0) await io.err(`invalid format in ANDROID_PRINTF_LOG '${w}'\n`);
        if (r > 0) hasFormat = true;
      }
    }
    if (!hasFormat) applyFormatWord(format, 'threadtime');
  }
  if (parsed.operands.length === 0) {
    const tags = ctx.env.ANDROID_LOG_TAGS;
    if (tags && !filter.addString(tags)) return fail(io, P, `Invalid filter expression '${tags}' in ANDROID_LOG_TAGS.`);
  } else {
    for (const spec of parsed.operands) if (!filter.addString(spec)) return fail(io, P, `Invalid filter expression '${spec}'.`);
  }
  if (file !== undefined) {
    if (setSize || getSize) return fail(io, P, '-f is incompatible with -g/-G, -S, and -p/-P.');
    if (clear) {
      const host = await ctx.fs.resolve(file, ctx.cwd, 'delete', ctx.uid).catch(() => undefined);
      if (host) await fsp.rm(host, { force: true });
      return 0;
    }
  }
  const buffers = LOG_IDS.filter((b) => mask.has(b));
  if (last) return 0; // no pstore (pmsg) log of a previous boot on this phone
  if (clear) device.logcat.clear(buffers);
  if (setSize) {
    const failed = buffers.filter((b) => !device.logcat.setSize(b, setSize as number));
    if (failed.length) return fail(io, P, `failed to set the '${failed.join(',')}' log size${failed.length > 1 ? 's' : ''}.`);
  }
  if (getSize) {
    let out = '';
    for (const b of buffers) {
      const size = device.logcat.size(b);
      const used = device.logcat.consumed(b);
      out += `${b}: ring buffer is ${sizeText(size)} (${sizeText(used)} consumed, ${sizeText(used)} readable), max entry is ${LOGGER_ENTRY_MAX_LEN} B, max payload is ${LOGGER_ENTRY_MAX_PAYLOAD} B\n`;
    }
    await io.out(out);
  }
  if (getSize || setSize || clear) return 0;

  // The output: stdout, or a file (appended, created 0640).
  let sink: (data: string | Buffer) => Promise<void> = (d) => io.out(d);
  if (file !== undefined) {
    let host: string;
    try {
      host = await ctx.fs.resolve(file, ctx.cwd, 'create', ctx.uid);
    } catch (e) {
      const code = (e as { code?: string }).code;
      return fail(io, P, `couldn't open output file '${file}': ${code === 'ENOENT' ? 'No such file or directory' : code === 'EROFS' ? 'Read-only file system' : 'Permission denied'}`);
    }
    sink = async (d) => {
      await fsp.appendFile(host, d, { mode: 0o640 });
    };
  }

  const accept = (e: LogEntry) => (!pid || e.pid === pid) && (!uids.size || uids.has(e.uid)) && mask.has(e.buffer);
  let lastPrinted: LogId | undefined;
  const started = new Set<LogId>();
  let printed = 0;
  /** Formats one entry as logcat's ProcessBuffer does (filters, regex, dividers), or '' when it is not shown. */
  const render = (e: LogEntry): string | Buffer => {
    if (binary) return binaryEntry(e);
    if (!filter.shouldPrint(e.tag, e.level)) return '';
    const match = !regex || regex.test(e.msg);
    if (match) printed++;
    if (!match && !printAnyway) return '';
    let out = '';
    if (lastPrinted !== e.buffer) {
      if (!started.has(e.buffer) || dividers) out += `--------- ${started.has(e.buffer) ? 'switch to' : 'beginning of'} ${e.buffer}\n`;
      lastPrinted = e.buffer;
      started.add(e.buffer);
    }
    return out + formatEntry(e, format, userName);
  };
  const done = () => maxCount > 0 && printed >= maxCount;

  const stop = stopSignal(io, ctx);
  // Subscribe before reading the backlog, so nothing written in between is lost or shown twice.
  const queue: LogEntry[] = [];
  let wake: (() => void) | undefined;
  const unfollow = nonblock ? () => undefined : device.logcat.follow((e) => {
    if (!accept(e)) return;
    queue.push(e);
    if (queue.length > 100_000) queue.splice(0, queue.length - 100_000); // a reader too slow loses the oldest, as with logd
    const w = wake;
    wake = undefined;
    w?.();
  });
  try {
    const upTo = device.logcat.lastSeq;
    let backlog = device.logcat.read(buffers, (e) => accept(e) && e.seq <= upTo);
    if (tailUs !== undefined) backlog = backlog.filter((e) => e.us >= (tailUs as number));
    if (tailLines) backlog = backlog.slice(-tailLines);
    const flushEntries = async (entries: LogEntry[]) => {
      let chunk: Array<string | Buffer> = [];
      let size = 0;
      for (const e of entries) {
        if (done()) break;
        const r = render(e);
        if (!r.length) continue;
        chunk.push(r);
        size += r.length;
        if (size >= 64 * 1024) {
          await sink(binary ? Buffer.concat(chunk as Buffer[]) : (chunk as string[]).join(''));
          chunk = [];
          size = 0;
          if (stop.aborted()) return;
        }
      }
      if (chunk.length) await sink(binary ? Buffer.concat(chunk as Buffer[]) : (chunk as string[]).join(''));
    };
    await flushEntries(backlog);
    if (nonblock) return 0;
    while (!stop.aborted() && !done()) {
      if (!queue.length) {
        await Promise.race([new Promise<void>((r) => (wake = r)), stop.wait]);
        continue;
      }
      const batch = queue.splice(0, queue.length);
      await flushEntries(batch);
    }
    return 0;
  } finally {
    unfollow();
  }
};

/* ------------------------------------------------------------------ */
/* toybox option parsing                                                */

interface ToyOpts { flags: Set<string>; args: Map<string, string[]>; rest: string[]; error?: string }

/**
 * toybox's option parser for the commands here: `flags` take no argument, `withArg` take one (attached
 * or the next word, repeatable), `long` maps --name to a short option. Options stop at `--`.
 */
function toyOpts(argv: string[], flags: string, withArg: string, long: Record<string, string> = {}, stopAtFirst = false): ToyOpts {
  const out: ToyOpts = { flags: new Set(), args: new Map(), rest: [] };
  const add = (k: string, v: string) => out.args.set(k, [...(out.args.get(k) ?? []), v]);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { out.rest.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const short = long[name];
      if (!short) { out.error = `Unknown option '${name}'`; return out; }
      if (withArg.includes(short)) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) { out.error = `Missing argument to --${name}`; return out; }
        add(short, v);
      } else out.flags.add(short);
      continue;
    }
    if (a.length > 1 && a[0] === '-' && !(stopAtFirst && out.rest.length)) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (withArg.includes(c)) {
          const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
          if (v === undefined) { out.error = `Missing argument to -${c}`; return out; }
          add(c, v);
          break;
        }
        if (!flags.includes(c)) { out.error = `Unknown option '${c}'`; return out; }
        out.flags.add(c);
      }
      continue;
    }
    out.rest.push(a);
  }
  return out;
}

/* ------------------------------------------------------------------ */
/* ps / top fields (toybox ps.c typos[])                                */

interface Field { name: string; width: number; kind: 'num' | 'str' | 'user' | 'clock' | 'pct' | 'hr' | 'misc' }
/** Name, default width (negative: left-justified string), kind: as toybox's typos[] table. */
const FIELDS: Field[] = [
  ['PID', 6, 'num'], ['PPID', 6, 'num'], ['PRI', 3, 'num'], ['NI', 3, 'num'], ['ADDR', 12, 'num'], ['SZ', 5, 'num'], ['RSS', 6, 'num'],
  ['PGID', 5, 'num'], ['VSZ', 7, 'num'], ['MAJFL', 6, 'num'], ['MINFL', 6, 'num'], ['PR', 2, 'num'], ['PSR', 3, 'num'], ['RTPRIO', 6, 'num'],
  ['SCH', 3, 'num'], ['CPU', 3, 'num'], ['TID', 5, 'num'], ['TCNT', 4, 'num'], ['BIT', 3, 'num'],
  ['TTY', -8, 'str'], ['WCHAN', -6, 'str'], ['LABEL', -30, 'str'], ['COMM', -27, 'str'], ['NAME', -27, 'str'], ['COMMAND', -27, 'str'],
  ['CMDLINE', -27, 'str'], ['ARGS', -27, 'str'], ['CMD', -15, 'str'],
  ['UID', 5, 'user'], ['USER', -12, 'user'], ['RUID', 4, 'user'], ['RUSER', -8, 'user'], ['GID', 8, 'user'], ['GROUP', -8, 'user'],
  ['RGID', 4, 'user'], ['RGROUP', -8, 'user'],
  ['TIME', 8, 'clock'], ['ELAPSED', 11, 'clock'], ['TIME+', 9, 'clock'],
  ['C', 1, 'pct'], ['%VSZ', 5, 'pct'], ['%MEM', 5, 'pct'], ['%CPU', 4, 'pct'],
  ['VIRT', 4, 'hr'], ['RES', 4, 'hr'], ['SHR', 4, 'hr'], ['READ', 6, 'hr'], ['WRITE', 6, 'hr'], ['IO', 6, 'hr'], ['DREAD', 6, 'hr'],
  ['DWRITE', 6, 'hr'], ['SWAP', 6, 'hr'], ['DIO', 6, 'hr'],
  ['STIME', 5, 'misc'], ['F', 1, 'misc'], ['S', -1, 'misc'], ['STAT', -5, 'misc'], ['PCY', 3, 'misc'],
].map(([name, width, kind]) => ({ name: name as string, width: width as number, kind: kind as Field['kind'] }));
/** Other names posix gives some fields. */
const ALIASES: Record<string, string> = { NICE: 'NI', SCHED: 'SCH', ETIME: 'ELAPSED', PCPU: '%CPU', VSIZE: 'VSZ', UNAME: 'USER' };
/** PID and PPID are as wide as pid_max's digits (/proc/sys/kernel/pid_max is 32768: five). */
const PID_LEN = 5;

interface OField { f: Field; len: number; title: string; reverse: number }

/** One `-o`/`-k` item: FIELD[:WIDTH][=TITLE], or for -k a leading - or + for the order. Returns the offset of an error. */
function parseField(item: string, sortable: boolean): OField | number {
  let s = item;
  let reverse = 1;
  if (sortable && (s[0] === '-' || s[0] === '+')) {
    reverse = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  const base = item.length - s.length;
  let title: string | undefined;
  const eq = s.indexOf('=');
  if (eq >= 0) {
    title = s.slice(eq + 1);
    s = s.slice(0, eq);
  }
  let len = 0;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const w = s.slice(colon + 1);
    if (!/^\d+$/.test(w)) return base + colon + 1;
    len = Number(w);
    s = s.slice(0, colon);
  }
  const up = s.toUpperCase();
  const f = FIELDS.find((x) => x.name === up) ?? FIELDS.find((x) => x.name === ALIASES[up]);
  if (!f) return base;
  const def = f.name === 'PID' || f.name === 'PPID' ? PID_LEN : f.width;
  if (!len) len = def;
  else if (def < 0) len = -len;
  return { f, len, title: title ?? f.name, reverse };
}

function parseFieldList(list: string[], err: string, prog: string, sortable = false): OField[] | string {
  const out: OField[] = [];
  for (const arg of list) {
    let pos = 0;
    for (const item of arg.split(',')) {
      if (item === '') { pos += 1; continue; }
      if (item.toUpperCase() === 'HELP') return `HELP`;
      const r = parseField(item, sortable);
      if (typeof r === 'number') return `${err} '${arg}'\n${'^'.padStart(5 + prog.length + err.length + pos + r)}`;
      out.push(r);
      pos += item.length + 1;
    }
  }
  return out;
}

export const TOYBOX_APPLETS = new Set(('acpi base64 basename blkid blockdev cal cat chattr chcon chgrp chmod chown chroot chrt cksum clear cmp comm cp cpio cut date dd ' +
  'devmem df diff dirname dmesg dos2unix du echo egrep env expand expr fallocate false fgrep file find flock fmt free freeramdisk fsfreeze fsync getconf getenforce ' +
  'getfattr grep groups gunzip gzip head help hostname hwclock i2cdetect i2cdump i2cget i2cset iconv id ifconfig inotifyd insmod install ionice iorenice iotop kill ' +
  'killall ln load_policy log logname losetup ls lsattr lsmod lsof lspci lsusb makedevs md5sum microcom mkdir mkfifo mknod mkswap mktemp modinfo modprobe more mount ' +
  'mountpoint mv nbd-client nc netcat netstat nice nl nohup nproc nsenter od paste patch pgrep pidof ping ping6 pivot_root pkill pmap printenv printf prlimit ps pwd ' +
  'pwdx readelf readlink realpath renice restorecon rev rfkill rm rmdir rmmod rtcwake runcon sed sendevent seq setenforce setfattr setsid sha1sum sha224sum sha256sum ' +
  'sha384sum sha512sum sleep sort split stat strings stty swapoff swapon sync sysctl tac tail tar taskset tee test time timeout top touch tr traceroute traceroute6 ' +
  'true truncate tty tunctl ulimit umount uname uniq unix2dos unlink unshare uptime usleep uudecode uuencode uuidgen vconfig vi vmstat watch wc which whoami xargs ' +
  'xxd yes zcat').split(' '));

/** The executable behind a process (/proc/PID/exe). */
function exePath(p: Proc): string {
  if (p.kind === 'kernel') return '';
  if (p.kind === 'app' || p.name === 'system_server' || p.name.startsWith('zygote')) return p.name === 'zygote' ? '/system/bin/app_process32' : '/system/bin/app_process64';
  const a0 = p.argv[0] ?? p.name;
  if (p.kind === 'daemon') return a0.startsWith('/') ? a0 : `/system/bin/${a0}`;
  const base = a0.split('/').pop() ?? a0;
  if (base === 'sh') return '/system/bin/sh';
  if (TOYBOX_APPLETS.has(base)) return '/system/bin/toybox';
  return a0.startsWith('/') ? a0 : `/system/bin/${base}`;
}

/** The SELinux domain a process runs in (ps -Z, LABEL). */
function labelOf(p: Proc): string {
  if (p.kind === 'kernel' || p.pid === 2) return 'u:r:kernel:s0';
  if (p.kind === 'app') {
    if (p.uid === 1000) return 'u:r:system_app:s0';
    if (p.uid === 1001) return 'u:r:radio:s0';
    if (p.uid < 10000) return 'u:r:network_stack:s0';
    if (['com.android.systemui', 'com.android.launcher3'].includes(p.name)) return 'u:r:platform_app:s0:c512,c768';
    const app = p.uid % 100000 - 10000;
    return `u:r:untrusted_app:s0:c${app & 0xff},c${256 + ((app >> 8) & 0xff)},c512,c768`;
  }
  if (p.kind === 'daemon') {
    const n = p.name.replace(/\.(\w+)$/, '');
    const known: Record<string, string> = { init: 'init', zygote64: 'zygote', zygote: 'zygote', system_server: 'system_server', 'media.extractor': 'mediaextractor', 'media.swcodec': 'mediaswcodec' };
    if (p.pid === 280) return 'u:r:vendor_init:s0';
    return `u:r:${known[p.name] ?? n}:s0`;
  }
  return 'u:r:shell:s0';
}

function niceOf(device: CommandContext['device'], p: Proc): number {
  if (p.kind === 'kernel') return p.name.startsWith('kworker') ? -20 : 0;
  if (p.kind === 'app') return p.name === device.phone.foreground || p.uid < 10000 || p.name === 'com.android.systemui' ? -10 : 0;
  if (p.kind === 'daemon') return p.name === 'surfaceflinger' || p.name === 'system_server' ? -8 : p.name === 'logd' ? -9 : 0;
  return 0;
}

function humanReadable(bytes: number): string {
  const U = ['', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < U.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return String(Math.round(v));
  return v < 9.95 ? `${v.toFixed(1)}${U[u]}` : `${Math.round(v)}${U[u]}`;
}

/** toybox's clock columns: TIME [DD-]HH:MM:SS, ELAPSED [[DD-]HH:]MM:SS, TIME+ M:SS.hh. */
function clock(which: string, ticks: number): string {
  const timePlus = which === 'TIME+';
  let unit = timePlus ? 60 : 86400;
  let pad = timePlus ? 0 : 2;
  let seconds = Math.floor(ticks / CLK_TCK);
  let out = '';
  let started = false;
  for (let j = timePlus ? 2 : 0; j < 4; j++) {
    if (!started && (seconds > unit || j === 1 + (which !== 'TIME' ? 1 : 0))) started = true;
    if (started) {
      const v = Math.floor(seconds / unit);
      out += j ? String(v).padStart(pad, '0') : String(v).padStart(pad);
      pad = 2;
      out += '-::'[j] ?? '';
    }
    seconds %= unit;
    unit = Math.floor(unit / (j ? 60 : 24));
  }
  if (timePlus && out.length < 8) out += `.${String(Math.floor((100 * (ticks % CLK_TCK)) / CLK_TCK)).padStart(2, '0')}`;
  return out;
}

interface PsRow { p: Proc; ticks: number; upticks: number; state: Proc['state'] }

/** One field of one process, as toybox's string_field() would print it. */
function fieldValue(ctx: CommandContext, row: PsRow, of: OField): string {
  const { p } = row;
  const device = ctx.device;
  const nice = niceOf(device, p);
  const vszKb = p.vszKb ?? 0;
  const totalKb = device.profile.ramKb;
  switch (of.f.name) {
    case 'PID': case 'TID': return String(p.pid);
    case 'PPID': return String(p.ppid);
    case 'PRI': return String(19 - nice);
    case 'NI': return String(nice);
    case 'ADDR': return '0';
    case 'SZ': return String(Math.floor(vszKb / 4));
    case 'RSS': return String(p.rssKb);
    case 'PGID': return String(p.kind === 'command' || p.kind === undefined ? p.ppid : p.pid);
    case 'VSZ': return String(vszKb);
    case 'MAJFL': return String(Math.floor(p.rssKb / 180));
    case 'MINFL': return String(Math.floor(p.rssKb * 3.3));
    case 'PR': return String(20 + nice);
    case 'PSR': case 'CPU': return String(p.pid % 8);
    case 'RTPRIO': return p.name === 'surfaceflinger' ? '2' : '-';
    case 'SCH': return '0';
    case 'TCNT': return String(p.threads ?? 1);
    case 'BIT': return p.kind === 'kernel' ? '-' : p.name === 'zygote' ? '32' : '64';
    case 'TTY': return p.tty ? `pts/${p.tty & 0xff}` : '?';
    case 'WCHAN': return '0';
    case 'LABEL': return labelOf(p);
    case 'COMM': { const e = exePath(p); return e ? e.split('/').pop() as string : `[${commOf(p)}]`; }
    case 'COMMAND': return exePath(p) || `[${commOf(p)}]`;
    case 'NAME': return p.argv.length ? (p.argv[0].split('/').pop() as string) : `[${commOf(p)}]`;
    case 'CMDLINE': return p.argv.length ? p.argv.join(' ') : `[${commOf(p)}]`;
    case 'ARGS': return p.argv.length ? [p.argv[0].split('/').pop(), ...p.argv.slice(1)].join(' ') : `[${commOf(p)}]`;
    case 'CMD': return commOf(p);
    case 'UID': case 'RUID': case 'GID': case 'RGID': return String(p.uid);
    case 'USER': case 'RUSER': case 'GROUP': case 'RGROUP': return userName(p.uid);
    case 'TIME': case 'TIME+': return clock(of.f.name, row.ticks);
    case 'ELAPSED': return clock('ELAPSED', row.upticks);
    case 'C': case '%CPU': {
      let sl = row.upticks ? Math.floor((row.ticks * 1000) / row.upticks) : 0;
      if (of.f.name === 'C') sl += 5;
      return `${Math.floor(sl / 10)}${of.f.name !== 'C' && sl < 1000 ? `.${sl % 10}` : ''}`;
    }
    case '%VSZ': case '%MEM': {
      const sl = Math.floor(((of.f.name === '%VSZ' ? vszKb : p.rssKb) * 1000) / totalKb);
      return `${Math.floor(sl / 10)}${sl < 1000 ? `.${sl % 10}` : ''}`;
    }
    case 'VIRT': return humanReadable(vszKb * 1024);
    case 'RES': return humanReadable(p.rssKb * 1024);
    case 'SHR': return humanReadable(Math.floor(p.rssKb * 0.55) * 1024);
    case 'READ': case 'WRITE': case 'IO': case 'DREAD': case 'DWRITE': case 'SWAP': case 'DIO': return '0';
    case 'STIME': {
      const d = new Date(p.started);
      const full = `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}`;
      return full.slice(Math.max(0, full.length - 3 - Math.abs(of.len)));
    }
    case 'F': return p.kind === 'app' || p.kind === 'kernel' ? '1' : p.kind === 'daemon' ? '4' : '0';
    case 'S': return row.state;
    case 'STAT': {
      let s = row.state;
      if (nice < 0) s += '<';
      else if (nice > 0) s += 'N';
      if (p.kind !== 'command' && p.kind !== undefined) s += 's';
      if (p.tty && p.pid === row.p.pid && p.kind === 'command') s += '+';
      return s;
    }
    case 'PCY': return p.kind === 'app' ? (p.name === device.phone.foreground ? 'ta' : p.uid < 10000 || p.name === 'com.android.systemui' ? 'fg' : 'bg') : 'fg';
    default: return '';
  }
}

/** toybox show_ps(): fields padded to their widths, numbers never cut, strings cut with '+' unless wide. */
function showRow(values: string[], fields: OField[], width: number, wide: boolean): string {
  let out = '';
  let extra = 0;
  let w = width;
  for (let i = 0; i < fields.length; i++) {
    const of = fields[i];
    const s = values[i];
    if (w < 2) break;
    if (i) { out += ' '; w--; }
    let abslen = Math.abs(of.len);
    const sign = of.len < 0 ? -1 : 1;
    const olen = s.length;
    const numeric = of.f.kind === 'num';
    if ((numeric || wide) && olen > abslen) {
      extra += olen - abslen;
      abslen = olen;
    } else if (extra && olen < abslen) {
      const unused = Math.min(abslen - olen, extra);
      abslen -= unused;
      extra -= unused;
    }
    if (abslen > w) abslen = w;
    let len = abslen;
    let pad = abslen * sign;
    const lastField = i === fields.length - 1;
    if (lastField && sign < 0) { pad = -1; len = w; }
    let plus = false;
    if (olen > len && len > 1 && sign < 0) {
      w--;
      len--;
      if (!lastField) pad++;
      plus = true;
    }
    const text = s.slice(0, len);
    const cell = pad < 0 ? text.padEnd(-pad) : text.padStart(pad);
    out += cell;
    w -= cell.length;
    if (plus) out += '+';
    if (!w) break;
  }
  return out;
}

/** The title line: each title padded to its field's width (the last one too, as get_headers does). */
function headerLine(fields: OField[]): string {
  return fields.map((of) => (of.len < 0 ? of.title.padEnd(-of.len) : of.title.padStart(of.len))).join(' ');
}

function rowsFor(ctx: CommandContext, procs: Proc[], now: number): PsRow[] {
  return procs.map((p) => ({
    p,
    ticks: ctx.device.procs.cpuTicks(p, now),
    upticks: Math.max(0, Math.floor(((now - p.started) / 1000) * CLK_TCK)),
    state: p.pid === ctx.pid ? 'R' : p.state,
  }));
}

/** The processes on the caller's terminal: its session (the shell adbd started, and everything under it). */
function sessionOf(ctx: CommandContext): Set<number> {
  const procs = ctx.device.procs;
  let leader = ctx.pid;
  for (let p = procs.get(ctx.pid); p && p.ppid !== ADBD_PID && p.ppid > 1; p = procs.get(p.ppid)) leader = p.ppid;
  const inSession = new Set<number>([leader, ctx.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs.list()) if (!inSession.has(p.pid) && inSession.has(p.ppid)) { inSession.add(p.pid); grew = true; }
  }
  return inSession;
}

function parseSelections(sel: Map<string, string[]>, keys: string, prog: string): { lists: Map<string, number[]>; error?: string } {
  const lists = new Map<string, number[]>();
  const errs: Record<string, string> = { p: 'bad -p', P: 'bad -P', u: 'bad -u', U: 'bad -U', g: 'bad -g', G: 'bad -G', s: 'bad -s', t: 'bad -t' };
  for (const k of keys) {
    for (const arg of sel.get(k) ?? []) {
      let pos = 0;
      for (const item of arg.split(',')) {
        if (item === '') { pos++; continue; }
        let v: number | undefined;
        if (k === 'p' || k === 'P' || k === 's') v = /^\d+$/.test(item) && (k === 's' || Number(item) > 0) ? Number(item) : undefined;
        else if (k === 't') v = /^(?:\/dev\/)?pts\/(\d+)$/.exec(item) ? 0x8800 + Number(/(\d+)$/.exec(item)?.[1]) : undefined;
        else v = uidOf(item);
        if (v === undefined) return { lists, error: `${errs[k]} '${arg}'\n${'^'.padStart(5 + prog.length + errs[k].length + pos)}` };
        lists.set(k, [...(lists.get(k) ?? []), v]);
        pos += item.length + 1;
      }
    }
  }
  return { lists };
}

export const ps: Command = async (argv, io, ctx) => {
  const o = toyOpts(argv, 'aAdeflMnwZT', 'kPoOpstuUgG', { sort: 'k', ppid: 'P', pid: 'p' });
  if (o.error) return fail(io, 'ps', o.error);
  const f = o.flags;
  if (f.has('o') && f.has('l')) return fail(io, 'ps', "No 'o' with 'l'");
  const sel = parseSelections(o.args, 'pPstuUgG', 'ps');
  if (sel.error) return fail(io, 'ps', sel.error);
  // Extra arguments are more -p pids.
  for (const a of o.rest) {
    if (!/^\d+$/.test(a) || Number(a) < 1) return fail(io, 'ps', `bad ${a}`);
    sel.lists.set('p', [...(sel.lists.get('p') ?? []), Number(a)]);
  }
  const wide = f.has('w') || !io.tty;
  const width = wide ? 99999 : Number(ctx.env.COLUMNS) || 80;
  let defaults: string;
  if (f.has('f')) defaults = `USER:12=UID,${f.has('T') ? 'PID,TID,' : 'PID,'}PPID,${f.has('T') ? 'TCNT' : 'C'},STIME,TTY,TIME,ARGS=CMD`;
  else if (f.has('l')) defaults = `F,S,UID,${f.has('T') ? 'PID,TID,' : 'PID,'}PPID,C,PRI,NI,BIT,SZ,WCHAN,TTY,TIME,CMD`;
  else defaults = `USER,${f.has('T') ? 'PID,TID,' : 'PID,'}PPID,VSIZE:10,RSS,WCHAN:10,ADDR:10,S,${f.has('T') ? 'CMD' : 'NAME'}`;
  const oList = o.args.get('o');
  let fields: OField[] = [];
  if (f.has('Z')) fields.push(parseField('LABEL', false) as OField);
  const parsed = parseFieldList(oList ?? [defaults], 'bad -o', 'ps');
  if (parsed === 'HELP') { await io.out(fieldHelp()); return 0; }
  if (typeof parsed === 'string') return fail(io, 'ps', parsed);
  fields = fields.concat(parsed);
  const extraO = o.args.get('O');
  if (extraO) {
    const more = parseFieldList(extraO, 'bad -O', 'ps');
    if (typeof more === 'string') return fail(io, 'ps', more === 'HELP' ? 'bad -O' : more);
    fields.splice(1, 0, ...more);
  }
  if (f.has('n')) {
    for (const of of fields) {
      const numeric = { USER: 'UID', RUSER: 'RUID', GROUP: 'GID', RGROUP: 'RGID' }[of.f.name];
      if (numeric) { const nf = parseField(numeric, false) as OField; of.f = nf.f; }
    }
  }
  const sortKeys = o.args.get('k');
  let sortFields: OField[] = [];
  if (sortKeys) {
    const k = parseFieldList(sortKeys, 'bad -k', 'ps', true);
    if (typeof k === 'string') return fail(io, 'ps', k === 'HELP' ? 'bad -k' : k);
    sortFields = k;
  }

  const now = Date.now();
  const all = ctx.device.procs.list();
  const hasSel = sel.lists.size > 0;
  const session = io.tty ? sessionOf(ctx) : undefined;
  const pick = (p: Proc): boolean => {
    if (hasSel) {
      const val: Record<string, number> = { p: p.pid, P: p.ppid, u: p.uid, U: p.uid, g: p.uid, G: p.uid, s: p.kind === 'command' || p.kind === undefined ? p.ppid : p.pid, t: p.tty ?? 0 };
      for (const [k, list] of sel.lists) if (list.includes(val[k])) return true;
      return false;
    }
    if (f.has('A') || f.has('e')) return true;
    const sid = p.kind === 'command' || p.kind === undefined ? -1 : p.pid;
    if ((f.has('a') || f.has('d')) && sid === p.pid) return false;
    if (f.has('a') && !p.tty && !session?.has(p.pid)) return false;
    if (f.has('a') || f.has('d')) return true;
    // Default: the processes on our terminal (none of them has one when there is no terminal).
    return session ? session.has(p.pid) || (!!p.tty && p.tty === procOf(ctx)?.tty) : !p.tty;
  };
  let rows = rowsFor(ctx, all.filter(pick), now);
  if (sortFields.length) {
    rows = rows.sort((a, b) => {
      for (const sf of sortFields) {
        const va = fieldValue(ctx, a, sf);
        const vb = fieldValue(ctx, b, sf);
        const na = Number(va);
        const nb = Number(vb);
        const r = sf.f.kind === 'num' && !Number.isNaN(na) && !Number.isNaN(nb) ? Math.sign(na - nb) : va < vb ? -1 : va > vb ? 1 : 0;
        if (r) return r * sf.reverse;
      }
      return 0;
    });
  }
  if (f.has('M')) {
    for (const of of fields) {
      for (const r of rows) {
        const l = fieldValue(ctx, r, of).length;
        if (Math.abs(of.len) < l) of.len = of.len < 0 ? -l : l;
      }
    }
  }
  let out = '';
  const head = headerLine(fields);
  if (head.trim()) out += `${head.slice(0, width)}\n`;
  for (const r of rows) out += `${showRow(fields.map((of) => fieldValue(ctx, r, of)), fields, width, wide)}\n`;
  await io.out(out);
  return 0;
};

function fieldHelp(): string {
  const names = FIELDS.map((x) => x.name).sort();
  let out = 'Fields for -o (each may have :WIDTH and =TITLE):\n\n';
  for (let i = 0; i < names.length; i += 8) out += `  ${names.slice(i, i + 8).map((n) => n.padEnd(9)).join('')}`.trimEnd() + '\n';
  return out;
}

/* ------------------------------------------------------------------ */
/* top (batch)                                                          */

export const top: Command = async (argv, io, ctx) => {
  const o = toyOpts(argv, 'Hbhq', 'kopusdmnO');
  if (o.error) return fail(io, 'top', o.error);
  const num = (k: string, def: number) => {
    const v = o.args.get(k)?.slice(-1)[0];
    return v === undefined ? def : Number(v);
  };
  const iterations = num('n', 0);
  const delayMs = Math.max(100, num('d', 3) * 1000);
  const maxLines = num('m', 0);
  const fieldsRes = parseFieldList(o.args.get('o') ?? ['PID,USER,PR,NI,VIRT,RES,SHR,S,%CPU,%MEM,TIME+,ARGS'], 'bad -o', 'top');
  if (typeof fieldsRes === 'string') return fail(io, 'top', fieldsRes === 'HELP' ? 'bad -o' : fieldsRes);
  const fields = fieldsRes;
  const sortPos = Math.min(fields.length - 1, num('s', 9) - 1);
  const sel = parseSelections(o.args, 'pu', 'top');
  if (sel.error) return fail(io, 'top', sel.error);
  const stop = stopSignal(io, ctx);
  for (let round = 0; !stop.aborted() && (!iterations || round < iterations); round++) {
    if (round) await Promise.race([sleep(delayMs), stop.wait]);
    if (stop.aborted()) break;
    const now = Date.now();
    let procs = ctx.device.procs.list();
    if (sel.lists.size) procs = procs.filter((p) => (sel.lists.get('p') ?? []).includes(p.pid) || (sel.lists.get('u') ?? []).includes(p.uid));
    const rows = rowsFor(ctx, procs, now);
    // %CPU over the last sample: each process's usual share, the reader itself busy.
    const cpu = (r: PsRow) => (r.p.pid === ctx.pid ? 3.5 : r.state === 'R' ? 10 : (r.p.cpuShare ?? 0) * 100);
    rows.sort((a, b) => {
      const s = (a.state === 'R' ? 0 : 1) - (b.state === 'R' ? 0 : 1);
      return s || cpu(b) - cpu(a) || a.p.started - b.p.started || b.p.pid - a.p.pid;
    });
    const running = rows.filter((r) => r.state === 'R').length;
    const stopped = rows.filter((r) => r.state === 'T').length;
    const zombie = rows.filter((r) => r.state === 'Z').length;
    const mem = meminfo(ctx.device);
    const mv = (k: string) => Number(new RegExp(`^${k.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(mem)?.[1] ?? 0);
    const K = (v: number) => `${v}K`;
    let out = '';
    if (!o.flags.has('q')) {
      out += `Tasks: ${rows.length} total, ${String(running).padStart(3)} running, ${String(rows.length - running - stopped - zombie).padStart(3)} sleeping, ${String(stopped).padStart(3)} stopped, ${String(zombie).padStart(3)} zombie\n`;
      out += `  Mem:${K(mv('MemTotal')).padStart(10)} total,${K(mv('MemTotal') - mv('MemFree')).padStart(10)} used,${K(mv('MemFree')).padStart(10)} free,${K(mv('Buffers')).padStart(10)} buffers\n`;
      out += ` Swap:${K(mv('SwapTotal')).padStart(10)} total,${K(mv('SwapTotal') - mv('SwapFree')).padStart(10)} used,${K(mv('SwapFree')).padStart(10)} free,${K(mv('Cached')).padStart(10)} cached\n`;
      const st = procStat(ctx.device, now).split('\n')[0].split(/\s+/).slice(1).map(Number);
      const total = st.slice(0, 8).reduce((a, b) => a + b, 0) || 1;
      const names = ['user', 'nice', 'sys', 'idle', 'iow', 'irq', 'sirq', 'host'];
      out += `800%cpu${names.map((n, i) => `${String(Math.round(((st[i] ?? 0) * 800) / total)).padStart(4)}%${n}`).join('')}\n`;
      // The sort column's title is marked [LIKE THIS], in place of the spaces around it.
      const chars = [...headerLine(fields)];
      let word = -1;
      for (let i = 0; i < chars.length; i++) {
        if (chars[i] === ' ' || (i && chars[i - 1] !== ' ')) continue;
        if (++word !== sortPos) continue;
        if (i) chars[i - 1] = '[';
        let j = i;
        while (j < chars.length && chars[j] !== ' ') j++;
        if (j < chars.length) chars[j] = ']';
        break;
      }
      const headerText = chars.join('').replace(/\s+$/, '');
      out += `${headerText}\n`;
    }
    const shown = maxLines ? rows.slice(0, maxLines) : rows;
    for (const r of shown) {
      const vals = fields.map((of) => (of.f.name === '%CPU' ? cpu(r).toFixed(1) : fieldValue(ctx, r, of)));
      out += `${showRow(vals, fields, 99999, false)}\n`;
    }
    await io.out(out);
  }
  return 0;
};

/* ------------------------------------------------------------------ */
/* pidof, kill, uptime                                                  */

export const pidof: Command = async (argv, io, ctx) => {
  const o = toyOpts(argv, 'sx', 'o');
  if (o.error) return fail(io, 'pidof', o.error);
  const omit = new Set((o.args.get('o') ?? []).flatMap((s) => s.split(',')).map((s) => (s === '%PPID' ? String(ctx.ppid) : s)));
  const found: number[] = [];
  outer: for (const p of ctx.device.procs.list()) {
    if (!p.argv.length) continue; // kernel threads have no command line
    for (const name of o.rest) {
      const base = name.split('/').pop() as string;
      if ((p.argv[0].split('/').pop() ?? '') === base || (o.flags.has('x') && commOf(p) === base && base.length <= 14)) {
        if (omit.has(String(p.pid))) continue;
        found.push(p.pid);
        if (o.flags.has('s')) break outer;
        break;
      }
    }
  }
  if (!found.length) return 1;
  await io.out(`${found.join(' ')}\n`);
  return 0;
};

function signalName(n: number): string | undefined {
  for (const [name, num] of Object.entries(SIGNALS)) if (num === n) return name;
  if (n === SIGRTMIN) return 'RTMIN';
  if (n === SIGRTMAX) return 'RTMAX';
  if (n > SIGRTMIN && n < SIGRTMAX) return n - SIGRTMIN <= SIGRTMAX - n ? `RTMIN+${n - SIGRTMIN}` : `RTMAX-${SIGRTMAX - n}`;
  return undefined;
}

function signalNumber(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  let name = s.toUpperCase();
  if (name.startsWith('SIG')) name = name.slice(3);
  if (name === '0') return 0;
  if (SIGNALS[name] !== undefined) return SIGNALS[name];
  const m = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (m) {
    const base = m[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const n = m[3] === undefined ? base : base + (m[2] === '-' ? -1 : 1) * Number(m[3]);
    if (n >= SIGRTMIN && n <= SIGRTMAX && (m[2] !== '-' || m[1] === 'MAX') && (m[2] !== '+' || m[1] === 'MIN' || m[3] === undefined)) return n;
  }
  return -1;
}

/** `kill -l`: a table of signals, five to a line as toybox prints it without a terminal width. */
function signalTable(): string {
  let out = '';
  let count = 0;
  for (let i = 1; i <= 64; i++) {
    const name = signalName(i);
    if (!name) continue;
    out += `${String(i).padStart(2)}) SIG${name.padEnd(9)}`;
    if (++count % 5 === 0) out += '\n';
  }
  return `${out}\n`;
}

export const kill: Command = async (argv, io, ctx) => {
  let args = argv.slice(1);
  let sigArg: string | undefined;
  let list = false;
  // toybox kill: -l, -s SIGNAL (or -sSIGNAL), and any other -WORD is the signal itself
  if (args[0] === '-l') {
    list = true;
    args = args.slice(1);
  } else if (args[0] === '-s') {
    if (args.length < 2) return fail(io, 'kill', 'Missing argument to -s (see "kill --help")');
    sigArg = args[1];
    args = args.slice(2);
  } else if (args[0]?.startsWith('-s') && args[0].length > 2) {
    sigArg = args[0].slice(2);
    args = args.slice(1);
  } else if (args[0]?.startsWith('-') && args[0].length > 1 && args[0] !== '--') {
    sigArg = args[0].slice(1);
    args = args.slice(1);
  }
  if (args[0] === '--') args = args.slice(1);
  if (list) {
    if (!args.length) { await io.out(signalTable()); return 0; }
    let out = '';
    for (const a of args) {
      const n = signalNumber(a);
      const name = n < 0 ? 'UNKNOWN' : signalName(n & 127) ?? 'UNKNOWN';
      out += /^\d/.test(a) ? `${name}\n` : `${n}\n`;
    }
    await io.out(out);
    return 0;
  }
  let sig = SIGNALS.TERM;
  if (sigArg !== undefined) {
    // A number is looked up by name first, so an unknown number has no name to show.
    const asNum = /^\d+$/.test(sigArg) ? Number(sigArg) : undefined;
    const name = asNum === undefined ? sigArg : asNum === 0 ? '0' : signalName(asNum);
    sig = name === undefined ? -1 : signalNumber(name);
    if (sig < 0) return fail(io, 'kill', `Unknown signal '${name ?? '(null)'}'`);
  }
  if (!args.length) return fail(io, 'kill', 'missing argument (see "kill --help")');
  let status = 0;
  for (const a of args) {
    const pid = /^-?\d+$/.test(a) ? Number(a) : NaN;
    let errno: string | undefined;
    if (Number.isNaN(pid) || pid < -1) errno = 'ESRCH';
    else if (pid === -1) {
      // every process the caller may signal, except init and itself
      for (const p of ctx.device.procs.list()) if (p.pid !== ctx.pid && p.pid > 1 && (ctx.uid === 0 || p.uid === ctx.uid)) ctx.device.procs.kill(p.pid, sig, ctx.uid);
    } else if (pid === 0) {
      // the caller's process group: the shell that ran kill and its children
      for (const p of ctx.device.procs.list()) if (p.pid !== ctx.pid && (p.pid === ctx.ppid || p.ppid === ctx.ppid)) ctx.device.procs.kill(p.pid, sig, ctx.uid);
    } else errno = ctx.device.procs.kill(pid, sig, ctx.uid);
    if (errno) {
      await io.err(`kill: bad pid '${a}': ${errno === 'EPERM' ? 'Operation not permitted' : 'No such process'}\n`);
      status = 1;
    }
  }
  return status;
};

export const uptime: Command = async (argv, io, ctx) => {
  const o = toyOpts(argv, 'ps', '');
  if (o.error) return fail(io, 'uptime', o.error);
  const now = Date.now();
  const upS = Math.floor(ctx.device.procs.uptimeMs(now) / 1000);
  const iso = (ms: number) => { const d = new Date(ms).toISOString(); return `${d.slice(0, 10)} ${d.slice(11, 19)}`; };
  if (o.flags.has('s')) { await io.out(`${iso(now - upS * 1000)}\n`); return 0; }
  let mins = Math.floor(upS / 60);
  const minutes = mins % 60;
  mins = Math.floor(mins / 60);
  const hours = mins % 24;
  let days = Math.floor(mins / 24);
  const [a, b, c] = loadAverages(ctx.device, now);
  const pl = (n: number) => (n !== 1 ? 's' : '');
  let out: string;
  if (o.flags.has('p')) {
    const weeks = Math.floor(days / 7);
    days %= 7;
    out = `up ${weeks} week${pl(weeks)}, ${days} day${pl(days)}, ${hours} hour${pl(hours)}, ${minutes} minute${pl(minutes)}, `;
  } else {
    out = ` ${iso(now).slice(11)} up `;
    if (days) out += `${days} day${pl(days)}, `;
    out += hours ? `${String(hours).padStart(2)}:${String(minutes).padStart(2, '0')}, ` : `${minutes} min, `;
    out += ' 0 users, ';
  }
  out += ` load average: ${a.toFixed(2)}, ${b.toFixed(2)}, ${c.toFixed(2)}\n`;
  await io.out(out);
  return 0;
};

/* ------------------------------------------------------------------ */
/* am crash / kill / kill-all (the rest of am is Android's own table)   */

const am: Command = async (argv, io, ctx) => {
  const verb = argv[1];
  const rest = argv.slice(2).filter((a, i, all) => !(a === '--user' || all[i - 1] === '--user'));
  if (verb === 'crash') {
    const target = rest[0];
    if (!target) { await io.err('Error: no package or pid specified\n'); return 1; }
    crashApp(ctx.device, target);
    return 0;
  }
  if (verb === 'kill') {
    if (!rest[0]) { await io.err('Error: no package specified\n'); return 1; }
    killBackgroundApp(ctx.device, rest[0]);
    return 0;
  }
  if (verb === 'kill-all') {
    killAllBackground(ctx.device);
    return 0;
  }
  const inner = ANDROID_COMMANDS.am;
  if (!inner) {
    await io.err(`/system/bin/sh: am: inaccessible or not found\n`);
    return 127;
  }
  return inner(argv, io, ctx);
};

/** `cmd activity crash|kill|kill-all …` is am's; every other `cmd` goes to the package manager's table (and on). */
const cmd: Command = async (argv, io, ctx) => {
  if (argv[1] === 'activity' && ['crash', 'kill', 'kill-all'].includes(argv[2] ?? '')) return am(['am', ...argv.slice(2)], io, ctx);
  const inner = PACKAGE_MANAGER.cmd ?? ANDROID_COMMANDS.cmd;
  if (inner) return inner(argv, io, ctx);
  await io.err(`cmd: Can't find service: ${argv[1] ?? ''}\n`);
  return 20;
};

/* ------------------------------------------------------------------ */
/* pgrep, pkill, killall (toybox toys/posix/ps.c, toys/lsb/killall.c)   */

/**
 * pgrep/pkill: PATTERNs are extended regexes matched against the process name as `ps` shows it (the basename
 * of argv[0], so an app's full package name), or the whole command line with -f; -x whole-name matches, -v
 * inverts, -n/-o newest/oldest only, -c counts, -l adds the name, -d DELIM, -P/-u/-U filter. Never matches
 * itself; status 1 when nothing matched. pkill signals (TERM, or -SIGNAL / -L SIGNAL) and prints nothing.
 */
function pgrepLike(kill: boolean): Command {
  const name = kill ? 'pkill' : 'pgrep';
  return async (argv, io, ctx) => {
    let args = argv.slice(1);
    let sig: number | undefined = kill ? SIGNALS.TERM : undefined;
    if (kill && args[0] && /^-[A-Za-z0-9+]/.test(args[0]) && !/^-[clfnovxVdLPuUgGst]+$/.test(args[0])) {
      const n = signalNumber(args[0].slice(1));
      if (n < 0) return fail(io, name, `bad -L '${args[0].slice(1)}'`);
      sig = n;
      args = args.slice(1);
    }
    const o = toyOpts([name, ...args], 'clfnovxV', 'dLPuUgGst');
    if (o.error) return fail(io, name, o.error);
    const L = o.args.get('L')?.[0];
    if (L !== undefined) {
      const n = signalNumber(L);
      if (n < 1) return fail(io, name, `bad -L '${L}'`);
      sig = n;
    }
    const filters = ['P', 'u', 'U', 'g', 'G', 's', 't'].some((k) => o.args.has(k));
    if (!o.rest.length && (o.flags.has('x') || o.flags.has('f') || !filters)) return fail(io, name, `No PATTERN (see "${name} --help")`);
    let regs: RegExp[];
    try {
      regs = o.rest.map((r) => compile(r, true).re);
    } catch (e) {
      return fail(io, name, `bad regex '${o.rest[0]}': ${(e as Error).message}`);
    }
    const list = (k: string) => (o.args.get(k) ?? []).flatMap((v) => v.split(','));
    const ppids = list('P').map(Number);
    const uids = [...list('u'), ...list('U')].map((u) => (/^\d+$/.test(u) ? Number(u) : u === 'shell' ? 2000 : u === 'root' ? 0 : u === 'system' ? 1000 : -1));
    const full = o.flags.has('f');
    const hits: Array<{ pid: number; text: string; start: number }> = [];
    for (const p of ctx.device.procs.list()) {
      if (p.pid === ctx.pid) continue;
      if (ppids.length && !ppids.includes(p.ppid)) continue;
      if (uids.length && !uids.includes(p.uid)) continue;
      const text = full ? (p.argv.length ? p.argv.join(' ') : `[${commOf(p)}]`) : p.argv.length ? (p.argv[0].split('/').pop() as string) : commOf(p);
      let matched = !regs.length;
      for (const re of regs) {
        re.lastIndex = 0;
        const m = re.exec(text);
        if (m && (!o.flags.has('x') || (m.index === 0 && m[0].length === text.length))) { matched = true; break; }
      }
      if (matched === o.flags.has('v')) continue;
      hits.push({ pid: p.pid, text, start: p.pid });
    }
    let chosen = hits;
    if (o.flags.has('n') && hits.length) chosen = [hits.reduce((a, b) => (b.start > a.start ? b : a))];
    if (o.flags.has('o') && hits.length) chosen = [hits.reduce((a, b) => (b.start < a.start ? b : a))];
    const delim = o.args.get('d')?.[0];
    let out = '';
    let status = chosen.length ? 0 : 1;
    for (const h of chosen) {
      if (sig !== undefined) {
        const err = ctx.device.procs.kill(h.pid, sig, ctx.uid);
        if (err) { await io.err(`${name}: ${signalName(sig) ?? sig}->${h.pid}: ${err === 'EPERM' ? 'Operation not permitted' : 'No such process'}\n`); status = 1; }
      }
      if (!o.flags.has('c') && (sig === undefined || o.flags.has('V'))) out += `${h.pid}${o.flags.has('l') ? ` ${h.text}` : ''}${delim ?? '\n'}`;
    }
    if (o.flags.has('c')) out += `${chosen.length}\n`;
    if (delim !== undefined && chosen.length && !o.flags.has('c')) out = `${out.slice(0, -delim.length)}\n`;
    if (out) await io.out(out);
    return status;
  };
}

/** killall [-l] [-qv] [-SIGNAL|-s SIGNAL] NAME…: every process whose name (or argv[0]) is NAME. */
const killall: Command = async (argv, io, ctx) => {
  let args = argv.slice(1);
  let sig = SIGNALS.TERM;
  const flags = new Set<string>();
  while (args[0]?.startsWith('-') && args[0] !== '-') {
    const a = args[0];
    if (a === '-s') { const n = signalNumber(args[1] ?? ''); if (n < 0) return fail(io, 'killall', 'Invalid signal'); sig = n; args = args.slice(2); continue; }
    if (/^-[ilqvw]+$/.test(a)) { for (const c of a.slice(1)) flags.add(c); args = args.slice(1); continue; }
    const n = signalNumber(a.slice(1));
    if (n < 0) { if (flags.has('q')) return 1; return fail(io, 'killall', 'Invalid signal'); }
    sig = n;
    args = args.slice(1);
  }
  if (flags.has('l')) { await io.out(signalTable()); return 0; }
  if (!args.length) return fail(io, 'killall', 'no name (see "killall --help")');
  let status = 0;
  let out = '';
  for (const want of args) {
    let errno: string | undefined = 'ESRCH';
    for (const p of ctx.device.procs.list()) {
      if (p.pid === ctx.pid || !p.argv.length) continue;
      const base = (p.argv[0].split('/').pop() as string);
      if (base !== want && p.argv[0] !== want && commOf(p) !== want) continue;
      const e = ctx.device.procs.kill(p.pid, sig, ctx.uid);
      errno = e;
      if (e && !flags.has('q')) await io.err(`killall: pid ${p.pid}: ${e === 'EPERM' ? 'Operation not permitted' : 'No such process'}\n`);
      else if (!e && flags.has('v')) out += `Killed ${want}(${p.pid}) with signal ${sig}\n`;
    }
    if (errno) {
      status = 1;
      if (!flags.has('q')) await io.err(`killall: ${want}: ${errno === 'EPERM' ? 'Operation not permitted' : 'No such process'}\n`);
    }
  }
  if (out) await io.out(out);
  return status;
};

export const PROCESS_COMMANDS: CommandTable = { logcat, ps, top, pidof, kill, uptime, am, cmd, pgrep: pgrepLike(false), pkill: pgrepLike(true), killall };
