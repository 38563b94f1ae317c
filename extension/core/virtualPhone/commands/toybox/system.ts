/**
 * Commands about the process and the system: date, id, whoami, groups, logname, nproc, which, getenforce,
 * true, false, yes, env, printenv, xargs, sleep, uname, arch, basename, dirname, pwd, hostname, tty.
 */
import type { CommandTable, Io } from '../types';
import { findCommand } from '../index';
import { EMPTY } from '../../os/io';
import { Aborted, ToyExit, baseName, bstr, dirName, fromB, isReg, readAllInput, toy, type Toy } from './common';
import { groupsOf, idByName, idString, processContext } from './ids';
import { parseDate, strftime } from './dates';


/** Android's default PATH for the shell (/system/etc/mkshrc, init). */
export const DEFAULT_PATH = '/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin';

/** Quotes a word for the phone's sh. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/* ------------------------------------------------------------------ */
/* date (toys/posix/date.c)                                            */

const date = toy('date', { opts: 'd:D:I(iso-8601):;r:s:u(utc)[!dr]', usage: 'date [-u] [-I RES] [-r FILE] [-d DATE] [+DISPLAY_FORMAT] [-D SET_FORMAT] [SET]' }, async (t) => {
  const o = t.o;
  let format = '%a %b %e %H:%M:%S %Z %Y';
  if (o.has('I')) {
    const res = o.str('I') || 'd';
    const k = 'dhmsn'.indexOf(res[0]);
    if (k < 0) throw new ToyExit(`bad -I: ${res}`, 1, true);
    format = ['%F', '%FT%H%:z', '%FT%R%:z', '%FT%T%:z', '%FT%T,%N%:z'][k];
  }
  const tz = t.ctx.env.TZ && /^[A-Za-z]{3,4}$/.test(t.ctx.env.TZ) && !o.has('u') ? t.ctx.env.TZ : 'UTC';
  let sec: number;
  let nano = 0;
  const parse = (s: string): { sec: number; nano: number } => {
    const m = /^TZ="([^"]*)"\s*(.*)$/.exec(s);
    return parseDate(m ? m[2] : s, Date.now(), true);
  };
  if (o.str('d') !== undefined) {
    const d = o.str('d') as string;
    if (o.str('D') !== undefined) {
      const p = parseWithFormat(d, (o.str('D') as string).replace(/^\+/, ''));
      if (!p) t.fail(`bad date ${d}`);
      sec = p as number;
    } else ({ sec, nano } = parse(d));
  } else if (o.str('r') !== undefined) {
    const f = o.str('r') as string;
    const info = await t.stat(f, true).catch((e) => t.perr(f, e).then(() => undefined));
    if (!info) return 1;
    sec = Math.floor(info.mtimeMs / 1000);
    nano = Math.round((info.mtimeMs % 1000) * 1e6);
  } else {
    const now = Date.now();
    sec = Math.floor(now / 1000);
    nano = (now % 1000) * 1e6;
  }
  let setdate = t.args[0];
  if (o.has('s')) {
    if (setdate !== undefined) throw new ToyExit("can't set two dates at once", 1, true);
    setdate = o.str('s') as string;
  }
  if (setdate === undefined) {
    // show the time
  } else if (setdate.startsWith('+')) format = setdate.slice(1);
  else {
    ({ sec, nano } = parse(setdate));
    if (t.ctx.uid !== 0) await t.err('cannot set date: Operation not permitted');
  }
  await t.outB(`${bstr(strftime(format, sec, nano, tz))}\n`);
});

/** strptime() for date -D: a subset (%Y %m %d %H %M %S %y %b %e %T %F %s). */
function parseWithFormat(s: string, fmt: string): number | undefined {
  const f = fmt.replace(/%T/g, '%H:%M:%S').replace(/%F/g, '%Y-%m-%d').replace(/%D/g, '%m/%d/%y');
  const order: string[] = [];
  let re = '^';
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '%') {
      const d = f[++i];
      order.push(d);
      re += d === 's' ? '(-?\\d+)' : d === 'b' ? '([A-Za-z]{3})' : d === 'Y' ? '(\\d{1,4})' : '\\s*(\\d{1,2})';
    } else re += /\s/.test(f[i]) ? '\\s*' : f[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(`${re}$`).exec(s);
  if (!m) return undefined;
  let y = 1900, mo = 0, d = 1, h = 0, mi = 0, sc = 0;
  for (let k = 0; k < order.length; k++) {
    const v = m[k + 1];
    switch (order[k]) {
      case 's': return Number(v);
      case 'Y': y = Number(v); break;
      case 'y': y = Number(v) < 69 ? 2000 + Number(v) : 1900 + Number(v); break;
      case 'm': mo = Number(v) - 1; break;
      case 'd': case 'e': d = Number(v); break;
      case 'H': h = Number(v); break;
      case 'M': mi = Number(v); break;
      case 'S': sc = Number(v); break;
      case 'b': mo = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].indexOf(v.toLowerCase()); break;
      default: break;
    }
  }
  if (mo < 0) return undefined;
  return Math.floor(Date.UTC(y, mo, d, h, mi, sc) / 1000);
}

/* ------------------------------------------------------------------ */
/* id, whoami, groups, logname (toys/posix/id.c)                       */

function idCommand(name: 'id' | 'groups' | 'whoami' | 'logname') {
  const opts = name === 'id' ? '>1ZnGgru[!ZGgu]' : name === 'groups' ? undefined : '>0';
  return toy(name, { opts, usage: name === 'id' ? 'id [-Ggnru] [USER...]' : `${name}` }, async (t) => {
    const o = t.o;
    if (name === 'groups') {
      o.set('G');
      o.set('n');
    }
    if (name === 'whoami' || name === 'logname') {
      o.set('u');
      o.set('n');
    }
    const users = name === 'id' || name === 'groups' ? t.args : [];
    const one = async (user: string | undefined): Promise<void> => {
      let uid = t.ctx.uid;
      let gid = t.ctx.uid === 2000 ? 2000 : t.ctx.uid;
      let groups = groupsOf(uid);
      let prefix = '';
      if (user !== undefined) {
        let id = idByName(user);
        if (id === undefined && /^\d+$/.test(user) && Number(user) <= 2147483647) {
          id = Number(user);
          if (idString(id) === user) id = undefined;
        }
        if (id === undefined) t.fail(`no such user '${user}'`);
        uid = gid = id as number;
        groups = groupsOf(uid);
        if (name === 'groups') prefix = `${idString(uid)} : `;
      }
      const show = (n: number): string => (o.has('n') ? idString(n) : String(n));
      if (o.has('u')) {
        await t.out(`${show(uid)}\n`);
        return;
      }
      if (o.has('g')) {
        await t.out(`${show(gid)}\n`);
        return;
      }
      if (o.has('G')) {
        const list = [gid, ...groups.filter((g) => g !== gid)];
        await t.out(`${prefix}${list.map(show).join(' ')}\n`);
        return;
      }
      let s = '';
      if (!o.has('Z')) {
        s += `uid=${uid}(${idString(uid)}) gid=${gid}(${idString(gid)}) groups=${gid}(${idString(gid)})`;
        for (const g of groups) if (g !== gid) s += `,${g}(${idString(g)})`;
        s += ' context=';
      }
      s += processContext(t.ctx.uid);
      await t.out(`${s}\n`);
    };
    if (users.length) for (const u of users) await one(u);
    else await one(undefined);
  });
}

/* ------------------------------------------------------------------ */
/* nproc, getenforce, uname, arch, hostname                            */

export async function cpuCount(t: Toy): Promise<number> {
  try {
    const text = fromB(await readAllInput(await t.open('/proc/cpuinfo')));
    const n = (text.match(/^processor\s*:/gm) ?? []).length;
    if (n) return n;
  } catch {
    /* no /proc/cpuinfo: the default phone */
  }
  return 8;
}

const nproc = toy('nproc', { opts: '(all)', usage: 'nproc [--all]' }, async (t) => {
  await t.out(`${await cpuCount(t)}\n`);
});

const getenforce = toy('getenforce', { opts: '>0', usage: 'getenforce' }, async (t) => {
  await t.out('Enforcing\n');
});

/** The kernel's identity: from /proc/version when the phone has one. */
async function kernel(t: Toy): Promise<{ release: string; version: string }> {
  let release = '6.1.75-android14-11-g48b922851c3c';
  let version = '#1 SMP PREEMPT Mon Jun  3 16:10:36 UTC 2024';
  try {
    const text = fromB(await readAllInput(await t.open('/proc/version')));
    const m = /^Linux version (\S+)/.exec(text);
    if (m) release = m[1];
    const v = /(#\d+.*?)\s*$/.exec(text);
    if (v) version = v[1];
  } catch {
    /* keep the defaults */
  }
  return { release, version };
}

function machine(t: Toy): string {
  const abi = t.ctx.device.properties().get('ro.product.cpu.abi') ?? 'arm64-v8a';
  if (abi.startsWith('arm64')) return 'aarch64';
  if (abi === 'x86_64') return 'x86_64';
  if (abi === 'x86') return 'i686';
  if (abi.startsWith('armeabi')) return 'armv8l';
  return abi;
}

function hostname(t: Toy): string {
  return t.ctx.device.properties().get('net.hostname') || 'localhost';
}

function unameCommand(name: 'uname' | 'arch') {
  return toy(name, { opts: name === 'uname' ? 'paomvrns' : '>0', usage: name === 'uname' ? 'uname [-asnrvm]' : 'arch' }, async (t) => {
    const o = t.o;
    if (name === 'arch') o.set('m');
    if (!['s', 'n', 'r', 'v', 'm', 'o', 'a', 'p'].some((f) => o.has(f))) o.set('s');
    const k = await kernel(t);
    const fields = ['Linux', hostname(t), k.release, k.version, machine(t)];
    const parts: string[] = [];
    ['s', 'n', 'r', 'v', 'm', 'o'].forEach((f, i) => {
      if (!o.has(f) && !o.has('a')) return;
      parts.push(i === 5 ? 'Toybox' : fields[i]);
    });
    if (o.has('p')) parts.push('unknown');
    await t.out(`${parts.join(' ')}\n`);
  });
}

const hostnameCmd = toy('hostname', { opts: '>1bdsfF:[!bdsf]', usage: 'hostname [-bdsf] [-F FILENAME] [newname]' }, async (t) => {
  if (t.args.length) t.fail('sethostname: Operation not permitted');
  const h = hostname(t);
  const o = t.o;
  await t.out(`${o.has('d') ? (h.includes('.') ? h.slice(h.indexOf('.') + 1) : '') : o.has('s') ? h.split('.')[0] : h}\n`);
});

const tty = toy('tty', { opts: 's', usage: 'tty [-s]' }, async (t) => {
  if (!t.o.has('s')) await t.out(t.io.tty ? '/dev/pts/0\n' : 'not a tty\n');
  return t.io.tty ? 0 : 1;
});

/* ------------------------------------------------------------------ */
/* which (toys/other/which.c)                                          */

async function isExecutable(t: Toy, path: string): Promise<boolean> {
  const abs = t.abs(path);
  if (findCommand(abs)) return true;
  const info = await t.tryStat(abs, true);
  if (!info || !isReg(info) || !(info.mode & 0o111)) return false;
  return t.resolve(abs, 'exec').then(() => true, () => false);
}

const which = toy('which', { opts: '<1a', usage: 'which [-a] filename ...' }, async (t) => {
  const path = t.ctx.env.PATH ?? DEFAULT_PATH;
  for (const name of t.args) {
    let found = false;
    if (name.includes('/')) {
      if (await isExecutable(t, name)) {
        await t.out(`${name}\n`);
        continue;
      }
    }
    for (const dir of path.split(':')) {
      const candidate = `${dir || '.'}/${name}`;
      if (!(await isExecutable(t, candidate))) continue;
      found = true;
      await t.out(`${candidate}\n`);
      if (!t.o.has('a')) break;
    }
    if (!found && !name.includes('/')) t.exitval = 1;
    else if (!found) t.exitval = 1;
  }
});

/* ------------------------------------------------------------------ */
/* true, false, yes, sleep                                             */

const trueCmd = toy('true', { nohelp: true }, () => 0);
const falseCmd = toy('false', { nohelp: true }, () => 1);

const yes = toy('yes', { usage: 'yes [args...]' }, async (t) => {
  const line = `${t.args.length ? t.args.map(bstr).join(' ') : 'y'}\n`;
  const block = Buffer.from(line.repeat(Math.max(1, Math.floor(16384 / line.length))), 'latin1');
  for (;;) {
    if (t.aborted) throw new Aborted();
    await t.out(block);
  }
});

const sleep = toy('sleep', { opts: '<1', usage: 'sleep DURATION...' }, async (t) => {
  for (const a of t.args) {
    if (a[0] !== '.' && !/^\d/.test(a)) t.fail(`Not a number '${a}'`);
    const m = /^(\d*)(?:\.(\d*))?(.*)$/.exec(a) as RegExpExecArray;
    const suffix = m[3];
    const mult = suffix ? { s: 1, m: 60, h: 3600, d: 86400 }[suffix] : 1;
    if (mult === undefined) t.fail(`Unknown suffix '${suffix}'`);
    const seconds = (Number(m[1] || 0) + Number(`0.${(m[2] ?? '').slice(0, 9) || '0'}`)) * (mult as number);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, seconds * 1000);
      t.io.signal.onAbort(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (t.aborted) throw new Aborted();
  }
});

/* ------------------------------------------------------------------ */
/* basename, dirname, pwd                                              */

const basename = toy('basename', { opts: '^<1as:', usage: 'basename [-a] [-s SUFFIX] NAME... | NAME [SUFFIX]' }, async (t) => {
  const o = t.o;
  let args = t.args;
  let suffix = o.str('s');
  if (o.has('s')) o.set('a');
  if (!o.has('a')) {
    if (args.length > 2) t.fail('too many args');
    suffix = args[1];
    args = args.slice(0, 1);
  }
  for (const a of args) {
    let b = baseName(a);
    if (suffix && b.length > suffix.length && b.endsWith(suffix)) b = b.slice(0, -suffix.length);
    await t.out(`${b}\n`);
  }
});

const dirname = toy('dirname', { opts: '<1', usage: 'dirname PATH...' }, async (t) => {
  for (const a of t.args) await t.out(`${dirName(a)}\n`);
});

const pwd = toy('pwd', { opts: '>0LP[-LP]', usage: 'pwd [-L|-P]' }, async (t) => {
  const env = t.ctx.env.PWD;
  await t.out(`${!t.o.has('P') && env && t.abs(env) === t.ctx.cwd ? env : t.ctx.cwd}\n`);
});

/* ------------------------------------------------------------------ */
/* env, printenv (toys/posix/env.c, toys/other/printenv.c)             */

function shellFor(t: Toy, unset: string[], assigns: string[], argv: string[]): string {
  const pre = unset.length ? `unset ${unset.map(shQuote).join(' ')}; ` : '';
  const asg = assigns.map((a) => {
    const eq = a.indexOf('=');
    return `${a.slice(0, eq)}=${shQuote(a.slice(eq + 1))}`;
  });
  return pre + [...asg, ...argv.map(shQuote)].join(' ');
}

async function commandExists(t: Toy, name: string, path: string): Promise<boolean> {
  if (name.includes('/')) return isExecutable(t, name);
  if (findCommand(name)) return true;
  for (const dir of path.split(':')) if (await isExecutable(t, `${dir || '.'}/${name}`)) return true;
  return false;
}

const env = toy('env', { opts: '^i0u*', argfail: 125, usage: 'env [-i] [-u NAME] [NAME=VALUE...] [COMMAND...]' }, async (t) => {
  const o = t.o;
  let args = t.args;
  if (args[0] === '-') {
    o.set('i');
    args = args.slice(1);
  }
  const vars: Record<string, string> = o.has('i') ? {} : { ...t.ctx.env };
  const unset = o.has('i') ? Object.keys(t.ctx.env) : [];
  if (!o.has('i')) for (const u of o.list('u')) {
    delete vars[u];
    unset.push(u);
  }
  const assigns: string[] = [];
  let path = t.ctx.env.PATH ?? DEFAULT_PATH;
  let k = 0;
  for (; k < args.length && args[k].includes('='); k++) {
    const a = args[k];
    const eq = a.indexOf('=');
    vars[a.slice(0, eq)] = a.slice(eq + 1);
    assigns.push(a);
    if (a.startsWith('PATH=')) path = a.slice(5);
  }
  const argv = args.slice(k);
  if (argv.length) {
    if (!(await commandExists(t, argv[0], path))) {
      await t.err(`exec ${argv[0]}: No such file or directory`);
      return 127;
    }
    await t.flush();
    return t.ctx.sh(shellFor(t, unset, assigns, argv), t.io);
  }
  const end = o.has('0') ? '\0' : '\n';
  await t.out(Object.entries(vars).map(([key, v]) => `${key}=${v}${end}`).join(''));
});

const printenv = toy('printenv', { opts: '(null)0', usage: 'printenv [-0] [VARIABLE...]' }, async (t) => {
  const end = t.o.has('0') || t.o.has('null') ? '\0' : '\n';
  const vars = t.ctx.env;
  if (!t.args.length) {
    await t.out(Object.entries(vars).map(([k, v]) => `${k}=${v}${end}`).join(''));
    return;
  }
  for (const a of t.args) {
    if (Object.prototype.hasOwnProperty.call(vars, a) && !a.includes('=')) await t.out(`${vars[a]}${end}`);
    else t.exitval = 1;
  }
});

/* ------------------------------------------------------------------ */
/* xargs (toys/posix/xargs.c)                                          */

const xargs = toy('xargs', { opts: '^E:P#<0(null)=1optr(no-run-if-empty)n#<1(max-args)s#0[!0E]', usage: 'xargs [-0prt] [-snE STR] COMMAND...' }, async (t) => {
  const o = t.o;
  const cmd = t.args.length ? t.args : ['echo'];
  const nul = o.has('0') || o.has('null');
  const maxArgs = o.has('n') ? o.num('n') : Infinity;
  const maxSize = o.has('s') ? o.num('s') : 131072 - 2048;
  const eof = o.str('E');
  const base = cmd.reduce((n, a) => n + a.length + 1, 0);
  if (base >= maxSize) t.fail('command too long');
  // Read all entries (whitespace separated; no quote processing, as toybox).
  const input = fromB(await readAllInput({ read: () => t.readStdin(), close: async () => undefined }));
  const entries: string[] = [];
  if (nul) {
    const parts = input.split('\0');
    if (parts[parts.length - 1] === '') parts.pop();
    entries.push(...parts);
  } else {
    for (const w of input.split(/[ \t\n\v\f\r]+/)) {
      if (!w) continue;
      if (eof !== undefined && w === bstr(eof)) break;
      entries.push(w);
    }
  }
  let status = 0;
  let runs = 0;
  const run = async (list: string[]): Promise<boolean> => {
    const argv = [...cmd, ...list.map((e) => Buffer.from(e, 'latin1').toString('utf8'))];
    if (o.has('p') || o.has('t')) await t.errRaw(`${argv.join(' ')} ${o.has('p') ? '?' : '\n'}`);
    await t.flush();
    const childIo: Io = { ...t.io, stdin: o.has('o') ? t.io.stdin : EMPTY };
    const rc = await t.ctx.sh(argv.map(shQuote).join(' '), childIo);
    runs++;
    if (t.aborted) throw new Aborted();
    if (rc === 255) {
      await t.err(`${cmd[0]}: exited with status 255; aborting`);
      status = 124;
      return false;
    }
    if ((rc | 1) === 127) status = rc;
    else if (rc > 127) status = 125;
    else if (rc) status = 123;
    return true;
  };
  let i = 0;
  while (i < entries.length) {
    const list: string[] = [];
    let size = base;
    while (i < entries.length && list.length < maxArgs) {
      const add = entries[i].length + 1;
      if (list.length && size + add >= maxSize) break;
      if (!list.length && size + add >= maxSize) t.fail('argument too long');
      list.push(entries[i++]);
      size += add;
    }
    if (!(await run(list))) return status;
  }
  if (!runs && !o.has('r')) await run([]);
  return status;
});

export const SYSTEM_COMMANDS: CommandTable = {
  date, id: idCommand('id'), groups: idCommand('groups'), whoami: idCommand('whoami'), logname: idCommand('logname'), nproc, getenforce,
  uname: unameCommand('uname'), arch: unameCommand('arch'), hostname: hostnameCmd, tty, which, true: trueCmd, false: falseCmd, yes, sleep,
  basename, dirname, pwd, env, printenv, xargs,
};

