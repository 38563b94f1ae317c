/**
 * Smaller toybox commands scripts reach for: sync, usleep, unlink, link, truncate, mktemp, tac, rev, timeout,
 * nohup (toys/lsb/mktemp.c, toys/other/truncate.c, tac.c, rev.c, timeout.c, toys/posix/nohup.c, unlink.c).
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { errnoText, type CommandTable, type Io } from '../types';
import { Abort } from '../../os/io';
import { Aborted, ToyExit, atolx, bstr, isDir, lines, loopFiles, toB, toy, type Output } from './common';
import { shQuote } from './system';

const sync = toy('sync', { usage: 'sync' }, () => 0);

/** xparsetime(): seconds with a fraction and an s/m/h/d suffix, as sleep and timeout read them. */
function parseDuration(s: string): number {
  if (s[0] !== '.' && !/^\d/.test(s)) throw new ToyExit(`Not a number '${s}'`, 1);
  const m = /^(\d*)(?:\.(\d*))?(.*)$/.exec(s) as RegExpExecArray;
  const mult = m[3] ? ({ s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[3]] : 1;
  if (mult === undefined) throw new ToyExit(`Unknown suffix '${m[3]}'`, 1);
  return (Number(m[1] || 0) + Number(`0.${(m[2] ?? '').slice(0, 9) || '0'}`)) * mult;
}

function wait(ms: number, signal: { onAbort(cb: () => void): void }): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.onAbort(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const usleep = toy('usleep', { opts: '<1>1', usage: 'usleep MICROSECONDS' }, async (t) => {
  await wait(atolx(t.args[0]) / 1000, t.io.signal);
  if (t.aborted) throw new Aborted();
});

const unlink = toy('unlink', { opts: '<1>1', usage: 'unlink FILE' }, async (t) => {
  try {
    await t.ctx.fs.unlink(t.args[0], { cwd: t.ctx.cwd, uid: t.ctx.uid });
  } catch (e) {
    // toys/posix/unlink.c: perror_exit("Couldn't unlink '%s'")
    await t.perr(`Couldn't unlink '${t.args[0]}'`, e);
  }
});

const link = toy('link', { opts: '<2>2', usage: 'link FILE NEWLINK' }, async (t) => {
  const [from, to] = t.args;
  try {
    const info = await t.stat(from, false);
    if (isDir(info)) throw Object.assign(new Error('EPERM'), { code: 'EPERM' });
    const dst = await t.resolve(to, 'create');
    const parent = await t.stat(to.includes('/') ? to.slice(0, to.lastIndexOf('/')) || '/' : '.', true);
    if (info.dev !== undefined && parent.dev !== undefined && info.dev !== parent.dev) throw Object.assign(new Error('EXDEV'), { code: 'EXDEV' });
    await fsp.link(await t.resolve(from, 'none'), dst);
    await t.ctx.fs.created(dst, info.uid, info.mode & 0o7777);
  } catch (e) {
    await t.perr(`couldn't link '${from}' to '${to}'`, e);
  }
});

const truncate = toy('truncate', { opts: '<1s:c', usage: 'truncate [-c] -s SIZE file...' }, async (t) => {
  const o = t.o;
  if (o.str('s') === undefined) throw new ToyExit('Needs -s', 1, true);
  let spec = o.str('s') as string;
  const type = '+-<>/%'.indexOf(spec[0]);
  if (type >= 0) spec = spec.slice(1);
  const n = atolx(spec);
  for (const f of t.args) {
    let out: Output;
    try {
      out = await t.create(f, { truncate: false, noCreate: o.has('c') });
    } catch (e) {
      if (!o.has('c') || (e as { code?: string }).code !== 'ENOENT') await t.perr(f, e);
      continue;
    }
    try {
      const cur = (await t.stat(f, true)).size;
      let size = n;
      if (type === 0) size = cur + n;
      else if (type === 1) size = cur - n;
      else if (type === 2 || type === 3) {
        if (type === 2 ? cur <= n : cur >= n) continue;
        size = n;
      } else if (type === 4) size = Math.floor(cur / n) * n;
      else if (type === 5) size = Math.ceil(cur / n) * n;
      try {
        if (size < 0) throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
        await out.truncate(size);
      } catch (e) {
        await t.perr(`'${f}' to '${size}'`, e);
      }
    } finally {
      await out.close();
    }
  }
});

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const mktemp = toy('mktemp', { opts: '>1(tmpdir);:uqd(directory)p:t', usage: 'mktemp [-dqu] [-p DIR] [TEMPLATE]' }, async (t) => {
  const o = t.o;
  let p = o.str('p');
  if (p === undefined && o.has('tmpdir')) {
    p = o.str('tmpdir') ?? '';
    o.set('p');
  }
  const te = t.ctx.env.TMPDIR;
  let dir: string | undefined = p;
  if (!dir || (o.has('t') && te)) dir = te;
  if (!dir) dir = '/tmp';
  let template = t.args[0];
  if (template === undefined) template = 'tmp.XXXXXXXXXX';
  else {
    if (template.startsWith('/') && p) t.fail('-p + /template: Invalid argument');
    if (!o.has('p') && !o.has('t')) dir = undefined;
  }
  const base = dir !== undefined ? `${dir}/${template}` : template;
  const xs = /X+$/.exec(base)?.[0].length ?? 0;
  if (xs < 3) t.fail('need XXX: Invalid argument');
  for (let attempt = 0; attempt < 100; attempt++) {
    const name = base.slice(0, base.length - xs) + [...randomBytes(xs)].map((b) => NAME_CHARS[b % NAME_CHARS.length]).join('');
    if (o.has('u')) {
      await t.out(`${name}\n`);
      return;
    }
    try {
      if (o.has('d')) await t.ctx.fs.mkdir(name, { cwd: t.ctx.cwd, uid: t.ctx.uid, mode: 0o700 });
      else await (await t.create(name, { exclusive: true, mode: 0o600 })).close();
      await t.out(`${name}\n`);
      return;
    } catch (e) {
      if ((e as { code?: string }).code === 'EEXIST') continue;
      if (o.has('q')) return 1;
      t.fail(`Failed to create ${o.has('d') ? 'directory' : 'file'} ${name}: ${errnoText(e)}`);
    }
  }
  return 1;
});

const tac = toy('tac', { usage: 'tac [FILE...]' }, async (t) => {
  await loopFiles(t, t.args, async (input) => {
    const all: string[] = [];
    for await (const l of lines(input)) all.push(l);
    let out = '';
    for (let i = all.length - 1; i >= 0; i--) {
      out += all[i];
      if (out.length > 65536) {
        await t.outB(out);
        out = '';
      }
    }
    await t.outB(out);
  });
});

const rev = toy('rev', { usage: 'rev [FILE...]' }, async (t) => {
  await loopFiles(t, t.args, async (input) => {
    for await (const l of lines(input)) {
      const line = l.endsWith('\n') ? l.slice(0, -1) : l;
      await t.outB(`${[...line].reverse().join('')}\n`);
    }
  });
});

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15, ALRM: 14 };

const timeout = toy('timeout', { opts: '<2^(foreground)(preserve-status)vk:s(signal):i', argfail: 125, usage: 'timeout [-i] [-k DURATION] [-s SIGNAL] DURATION COMMAND...' }, async (t) => {
  const o = t.o;
  let seconds: number;
  try {
    seconds = parseDuration(t.args[0]);
  } catch (e) {
    throw e instanceof ToyExit ? new ToyExit(e.msg, 125) : e;
  }
  let sig = 15;
  const s = o.str('s');
  if (s !== undefined) {
    const name = s.toUpperCase().replace(/^SIG/, '');
    sig = /^\d+$/.test(name) ? Number(name) : SIGNALS[name] ?? -1;
    if (sig < 0) throw new ToyExit(`bad -s: '${s}'`, 125);
  }
  const abort = new Abort().follow(t.io.signal);
  let timedOut = false;
  const arm = (): NodeJS.Timeout => setTimeout(() => {
    timedOut = true;
    if (o.has('v')) void t.errRaw(`timeout: sending signal ${Object.keys(SIGNALS).find((k) => SIGNALS[k] === sig) ?? sig} to command ${t.args[1]}\n`);
    abort.abort(`signal ${sig}`);
  }, seconds * 1000);
  let timer = arm();
  const io: Io = {
    ...t.io,
    signal: abort,
    out: async (d) => {
      if (o.has('i')) {
        clearTimeout(timer);
        timer = arm();
      }
      await t.io.out(d);
    },
  };
  await t.flush();
  const argv = t.args.slice(1);
  let rc: number;
  try {
    rc = await t.ctx.sh(argv.map((a) => shQuote(a)).join(' '), io);
  } finally {
    clearTimeout(timer);
  }
  if (t.io.signal.aborted) throw new Aborted();
  if (timedOut && !o.has('preserve-status')) return sig === 9 ? 137 : 124;
  return rc;
});

const nohup = toy('nohup', { opts: '<1^', argfail: 125, usage: 'nohup COMMAND...' }, async (t) => {
  // SIGHUP ignored: the command goes on when the adb connection that started it closes
  const signal = new Abort();
  t.io.signal.onAbort(() => {
    if ((t.io.signal as Partial<Abort>).reason !== 'SIGHUP') signal.abort((t.io.signal as Partial<Abort>).reason);
  });
  let io: Io = { ...t.io, signal };
  let out: Output | undefined;
  if (t.io.tty) {
    out = await t.create('nohup.out', { append: true, mode: 0o600 }).catch(() => undefined);
    if (!out && t.ctx.env.HOME) out = await t.create(`${t.ctx.env.HOME}/nohup.out`, { append: true, mode: 0o600 });
    const sink = out;
    if (sink) io = { ...io, out: async (d) => sink.write(Buffer.isBuffer(d) ? d : toB(bstr(d))) };
  }
  try {
    return await t.ctx.sh(t.args.map((a) => shQuote(a)).join(' '), io);
  } finally {
    await out?.close();
  }
});

export const EXTRA_COMMANDS: CommandTable = { sync, usleep, unlink, link, truncate, mktemp, tac, rev, timeout, nohup };
