/**
 * More of toybox as Android 14 ships it, the ones scripts reach for (AOSP shell_and_utilities/README.md lists
 * them for Android 10+): log (toys/android/log.c), free (toys/other/free.c), strings, comm, paste, nl, cksum
 * (toys/posix/*.c), uuidgen, getconf, gzip/gunzip/zcat (toys/lsb/gzip.c), dmesg refused to the shell user
 * (kernel.dmesg_restrict: "dmesg: klogctl: Permission denied"), and iproute2's `ip addr|link|route` for a phone
 * whose only configured interface is the loopback (wlan0 exists but is down: no Wi-Fi address, no route).
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CommandTable } from '../types';
import { ToyExit, bstr, fromB, lines, loopFiles, readAllInput, toy, type Input } from './common';
import { meminfo } from '../../os/procfs';
import { compile } from './regex';
import { cpuCount } from './system';

const PRIORITIES: Record<string, 'D' | 'E' | 'F' | 'I' | 'S' | 'V' | 'W'> = { d: 'D', e: 'E', f: 'F', i: 'I', s: 'S', v: 'V', w: 'W' };

const log = toy('log', { opts: 'p:t:', usage: 'log [-p PRI] [-t TAG] [MESSAGE...]' }, async (t) => {
  const p = t.o.str('p');
  let level: (typeof PRIORITIES)[string] = 'I';
  if (p !== undefined) {
    const l = p.length === 1 ? PRIORITIES[p.toLowerCase()] : undefined;
    if (!l) return t.fail(`bad -p '${p}'`);
    level = l;
  }
  let msg: string;
  if (t.args.length) msg = t.args.join(' ');
  else msg = fromB(await readAllInput({ read: () => t.io.stdin.read(), close: async () => undefined }));
  if (msg.length > 1023) {
    msg = msg.slice(0, 1024);
    await t.err('log cut at 1024 bytes');
  }
  if (level !== 'S') t.ctx.device.logcat.write({ buffer: 'main', tag: t.o.str('t') ?? 'log', level, msg: msg.replace(/\n$/, ''), pid: t.ctx.pid, tid: t.ctx.pid, uid: t.ctx.uid });
});

const free = toy('free', { opts: 'htgmkb[!htgmkb]', usage: 'free [-bkmgt]' }, async (t) => {
  const info = new Map(meminfo(t.ctx.device).split('\n').map((l) => /^(\S+):\s+(\d+)/.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => [m[1], Number(m[2]) * 1024]));
  const v = (k: string) => info.get(k) ?? 0;
  const total = v('MemTotal');
  const freeRam = v('MemFree');
  const shared = v('Shmem');
  const buffers = v('Buffers');
  const swap = v('SwapTotal');
  const swapFree = v('SwapFree');
  const shift = ['b', 'k', 'm', 'g', 't'].findIndex((f) => t.o.has(f));
  const conv = (n: number) => {
    if (t.o.has('h')) {
      const units = ['', 'K', 'M', 'G', 'T'];
      let x = n;
      let u = 0;
      while (x >= 1024 && u < units.length - 1) { x /= 1024; u++; }
      return u === 0 ? String(x) : x < 10 ? `${x.toFixed(1)}${units[u]}` : `${Math.round(x)}${units[u]}`;
    }
    return String(Math.floor(n / 1024 ** Math.max(0, shift)));
  };
  const r = (s: string, w: number) => s.padStart(w);
  await t.out(`\t\ttotal        used        free      shared     buffers\nMem:${r(conv(total), 17)}${r(conv(total - freeRam), 12)}${r(conv(freeRam), 12)}${r(conv(shared), 12)}${r(conv(buffers), 12)}\n` +
    `-/+ buffers/cache:${r(conv(total - freeRam - buffers), 15)}${r(conv(freeRam + buffers), 12)}\nSwap:${r(conv(swap), 16)}${r(conv(swap - swapFree), 12)}${r(conv(swapFree), 12)}\n`);
});

const strings = toy('strings', { opts: 'an#=4<1fot:', usage: 'strings [-fo] [-t oxd] [-n LEN] [FILE...]' }, async (t) => {
  const min = t.o.num('n', 4);
  const radix = t.o.str('t');
  if (radix !== undefined && !'oxd'.includes(radix[0] ?? '')) t.fail('-t needs oxd');
  const showOff = t.o.has('o') || radix !== undefined;
  const fmt = (n: number) => (radix?.[0] === 'x' ? n.toString(16) : radix?.[0] === 'o' || (t.o.has('o') && !radix) ? n.toString(8) : String(n)).padStart(7);
  await loopFiles(t, t.args, async (input, name) => {
    let cur = '';
    let start = 0;
    let off = 0;
    let out = '';
    const flush = () => {
      if (cur.length >= min) out += `${t.o.has('f') ? `${name}: ` : ''}${showOff ? `${fmt(start)} ` : ''}${cur}\n`;
      cur = '';
    };
    for (;;) {
      const c = await input.read();
      if (c === null) break;
      for (const byte of c) {
        if ((byte >= 32 && byte <= 126) || byte === 9) {
          if (!cur) start = off;
          cur += String.fromCharCode(byte);
        } else flush();
        off++;
      }
      if (out.length > 65536) { await t.outB(out); out = ''; }
    }
    flush();
    await t.outB(out);
  });
});

async function allLines(t: { open(p: string): Promise<Input> }, p: string): Promise<string[]> {
  const input = await t.open(p);
  const out: string[] = [];
  try {
    for await (const l of lines(input)) out.push(l.endsWith('\n') ? l.slice(0, -1) : l);
  } finally {
    await input.close();
  }
  return out;
}

// toybox's "<2>2321": exactly two files, flags 3 2 1 (args.c reads one digit after < and >).
const comm = toy('comm', { opts: '321', usage: 'comm [-123] FILE1 FILE2' }, async (t) => {
  if (t.args.length !== 2) throw new ToyExit(`${t.args.length < 2 ? 'Need' : 'Max'} 2 arguments`, 1, true);
  const [a, b] = [await allLines(t, t.args[0]), await allLines(t, t.args[1])];
  let i = 0;
  let j = 0;
  let out = '';
  const col = (n: 1 | 2 | 3, s: string) => {
    if (t.o.has(String(n))) return;
    let pre = '';
    for (let k = 1; k < n; k++) if (!t.o.has(String(k))) pre += '\t';
    out += `${pre}${s}\n`;
  };
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) col(1, a[i++]);
    else if (i >= a.length || b[j] < a[i]) col(2, b[j++]);
    else { col(3, a[i]); i++; j++; }
  }
  await t.outB(out);
});

const paste = toy('paste', { opts: 'd:s', usage: 'paste [-s] [-d DELIMITERS] [FILE...]' }, async (t) => {
  const delims = [...bstr(t.o.str('d') ?? '\t').replace(/\\0/g, '\0')].map((c) => (c === '\0' ? '' : c));
  if (!delims.length) delims.push('');
  const files = t.args.length ? t.args : ['-'];
  const cols: string[][] = [];
  for (const f of files) cols.push(await allLines(t, f));
  let out = '';
  if (t.o.has('s')) {
    for (const c of cols) out += `${c.map((l, k) => (k ? delims[(k - 1) % delims.length] : '') + l).join('')}\n`;
  } else {
    const n = Math.max(0, ...cols.map((c) => c.length));
    for (let r = 0; r < n; r++) out += `${cols.map((c, k) => (k ? delims[(k - 1) % delims.length] : '') + (c[r] ?? '')).join('')}\n`;
  }
  await t.outB(out);
});

const nl = toy('nl', { opts: 'v#=1l#w#<0=6Eb:n:s:', usage: 'nl [-E] [-l #] [-b MODE] [-n STYLE] [-s SEPARATOR] [-v #] [-w WIDTH] [FILE...]' }, async (t) => {
  const mode = t.o.str('b') ?? 't';
  const style = t.o.str('n') ?? 'rn';
  const sep = t.o.str('s') ?? '\t';
  const w = t.o.num('w', 6);
  const joinBlank = t.o.num('l', 0);
  let v = t.o.num('v', 1);
  let re: RegExp | undefined;
  if (mode.startsWith('p')) re = compile(mode.slice(1), t.o.has('E')).re;
  else if (!['a', 't', 'n'].includes(mode)) t.fail(`bad -b '${mode}'`);
  if (!['ln', 'rn', 'rz'].includes(style)) t.fail(`bad -n '${style}'`);
  let blanks = 0;
  await loopFiles(t, t.args, async (input) => {
    let out = '';
    for await (const line of lines(input)) {
      const body = line.endsWith('\n') ? line.slice(0, -1) : line;
      let match = mode !== 'n';
      if (re) { re.lastIndex = 0; match = re.test(body); }
      if (joinBlank || mode === 't') if (body === '') match = joinBlank > 0 && ++blanks >= joinBlank;
      if (match) {
        blanks = 0;
        const num = style === 'ln' ? String(v).padEnd(w) : style === 'rz' ? String(v).padStart(w, '0') : String(v).padStart(w);
        v++;
        out += `${num}${sep}${line}`;
      } else out += `${' '.repeat(w + sep.length)}${line}`;
    }
    await t.outB(out);
  });
});

/** POSIX cksum's CRC (polynomial 0x04C11DB7, MSB first, the length appended, complemented). */
function posixCrc(data: Buffer): number {
  let crc = 0;
  const step = (byte: number) => {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    crc >>>= 0;
  };
  for (const b of data) step(b);
  for (let n = data.length; n > 0; n = Math.floor(n / 256)) step(n & 0xff);
  return ~crc >>> 0;
}

const cksum = toy('cksum', { opts: 'HIPLN', usage: 'cksum [-IPLN] [FILE...]' }, async (t) => {
  await loopFiles(t, t.args, async (input, name) => {
    const data = await readAllInput(input);
    await t.outB(`${posixCrc(data)} ${data.length}${t.args.length ? ` ${name}` : ''}\n`);
  });
});

const uuidgen = toy('uuidgen', { opts: '>0r', usage: 'uuidgen' }, async (t) => {
  await t.out(`${randomUUID()}\n`);
});

const getconf = toy('getconf', { opts: '>2al', usage: 'getconf -a [PATH] | -l | NAME [PATH]' }, async (t) => {
  const cpus = String((await cpuCount(t)));
  const values: Record<string, string> = {
    ARG_MAX: '131072', CHILD_MAX: '31296', CLK_TCK: '100', HOST_NAME_MAX: '255', LOGIN_NAME_MAX: '256', NGROUPS_MAX: '65536', OPEN_MAX: '32768',
    PAGESIZE: '4096', PAGE_SIZE: '4096', LONG_BIT: '64', WORD_BIT: '32', _NPROCESSORS_CONF: cpus, _NPROCESSORS_ONLN: cpus, NAME_MAX: '255', PATH_MAX: '4096',
    PIPE_BUF: '4096', LINE_MAX: '2048', INT_MAX: '2147483647', CHAR_BIT: '8', _POSIX_VERSION: '200809', _PHYS_PAGES: String(Math.floor(t.ctx.device.profile.ramKb / 4)),
  };
  if (t.o.has('a') || t.o.has('l')) {
    await t.out(Object.keys(values).sort().map((k) => (t.o.has('l') ? `${k}\n` : `${k} ${values[k]}\n`)).join(''));
    return;
  }
  const name = t.args[0];
  if (!name) throw new ToyExit('Need 1 argument (see "getconf --help")', 1);
  const v = values[name] ?? values[name.replace(/^_SC_|^_CS_|^_PC_/, '')];
  if (v === undefined) t.fail(`bad '${name}'`);
  await t.out(`${v}\n`);
});

/** gzip, gunzip and zcat: one file at a time, FILE ↔ FILE.gz (the original removed unless -k), or stdin → stdout. */
function gzipTool(name: 'gzip' | 'gunzip' | 'zcat') {
  return toy(name, { opts: 'cdfk123456789[-123456789]', usage: `${name} [-${name === 'gzip' ? '19' : ''}cdfk] [FILE...]` }, async (t) => {
    const decompress = name !== 'gzip' || t.o.has('d');
    const toStdout = name === 'zcat' || t.o.has('c');
    const level = [...'123456789'].find((d) => t.o.has(d));
    const convert = (b: Buffer): Buffer => {
      if (!decompress) return gzipSync(b, { level: level ? Number(level) : 6 });
      try {
        // Bounded: a small crafted .gz must not fill the host's memory.
        return gunzipSync(b, { maxOutputLength: 256 << 20 });
      } catch {
        throw new ToyExit('not gzipped', 1);
      }
    };
    if (!t.args.length || t.args[0] === '-') {
      const input = await t.open('-');
      await t.out(convert(await readAllInput(input)));
      return;
    }
    for (const f of t.args) {
      let data: Buffer;
      try {
        const input = await t.open(f);
        data = await readAllInput(input);
        await input.close();
      } catch (e) {
        await t.perr(f, e);
        continue;
      }
      if (decompress && !toStdout && !f.endsWith('.gz')) { await t.err(`${f}: no .gz suffix`); continue; }
      let out: Buffer;
      try {
        out = convert(data);
      } catch (e) {
        await t.err(`${f}: ${e instanceof ToyExit ? e.msg : String(e)}`);
        continue;
      }
      if (toStdout) { await t.out(out); continue; }
      const target = decompress ? f.slice(0, -3) : `${f}.gz`;
      if (!t.o.has('f') && (await t.tryStat(target))) { await t.err(`${target}: File exists`); continue; }
      const w = await t.create(target);
      await w.write(out);
      await w.close();
      if (!t.o.has('k')) await t.ctx.fs.unlink(f, { cwd: t.ctx.cwd, uid: t.ctx.uid });
    }
  });
}

const dmesg = toy('dmesg', { opts: 'w(follow)CSTtrs#c', usage: 'dmesg [-Cc] [-r|-t|-T] [-n LEVEL] [-s SIZE] [-w]' }, async (t) => {
  // kernel.dmesg_restrict=1 and SELinux keep the shell user out of the kernel log on user builds.
  if (t.ctx.uid !== 0) t.fail('klogctl: Permission denied');
});

/** iproute2 `ip` for what scripts ask: addr/address, link, route (show, list, get), with -4/-6/-o. */
const ip = toy('ip', { nohelp: true }, async (t) => {
  const args = t.args.filter((a) => !/^-(4|6|o|oneline|s|d|c|color|br|brief)$/.test(a));
  const only4 = t.args.includes('-4');
  const only6 = t.args.includes('-6');
  const obj = args[0] ?? '';
  const rest = args.slice(1);
  const mac = (() => {
    let h = 0;
    for (const c of t.ctx.device.serial) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
    return ['02', ...[0, 8, 16, 24, 4].map((s) => ((h >>> s) & 0xff).toString(16).padStart(2, '0'))].join(':');
  })();
  const links = [
    { idx: 1, name: 'lo', head: '<LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000', link: 'link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      v4: ['inet 127.0.0.1/8 scope host lo'], v6: ['inet6 ::1/128 scope host'] },
    { idx: 2, name: 'dummy0', head: '<BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000', link: 'link/ether 3e:1f:a2:7c:5d:10 brd ff:ff:ff:ff:ff:ff', v4: [], v6: [] },
    // Wi-Fi on but not connected: the link is up with no carrier; Wi-Fi off: down.
    { idx: 3, name: 'wlan0', head: `${t.ctx.phone.toggles.wifi ? '<NO-CARRIER,BROADCAST,MULTICAST,UP>' : '<BROADCAST,MULTICAST>'} mtu 1500 qdisc mq state DOWN mode DORMANT group default qlen 3000`, link: `link/ether ${mac} brd ff:ff:ff:ff:ff:ff`, v4: [], v6: [] },
  ];
  const verb = rest[0] ?? 'show';
  const dev = rest[0] === 'dev' ? rest[1] : rest[1] === 'dev' ? rest[2] : ['show', 'list', 'ls'].includes(rest[0] ?? '') ? rest[1] : undefined;
  const pick = () => {
    if (dev === undefined) return links;
    const l = links.filter((x) => x.name === dev);
    if (!l.length) throw new ToyExit(undefined as unknown as string, 1);
    return l;
  };
  const missing = async () => { await t.errRaw(`Device "${dev}" does not exist.\n`); return 1; };
  if ('address'.startsWith(obj) && obj.length > 0 || obj === 'a') {
    if (!['show', 'list', 'ls', 'dev'].includes(verb)) { await t.errRaw(`Command "${verb}" is unknown, try "ip address help".\n`); return 255; }
    let ls;
    try { ls = pick(); } catch { return missing(); }
    let out = '';
    for (const l of ls) {
      const addrs = [...(only6 ? [] : l.v4), ...(only4 ? [] : l.v6)];
      if ((only4 || only6) && !addrs.length) continue;
      out += `${l.idx}: ${l.name}: ${l.head.replace(' mode DEFAULT', '').replace(' mode DORMANT', '')}\n    ${l.link}\n`;
      for (const a of addrs) out += `    ${a}\n       valid_lft forever preferred_lft forever\n`;
    }
    await t.out(out);
    return 0;
  }
  if ('link'.startsWith(obj) && obj.length > 0) {
    let ls;
    try { ls = pick(); } catch { return missing(); }
    await t.out(ls.map((l) => `${l.idx}: ${l.name}: ${l.head}\n    ${l.link}\n`).join(''));
    return 0;
  }
  if ('route'.startsWith(obj) && obj.length > 0 || obj === 'r') {
    if (verb === 'get') {
      // No route anywhere but the loopback.
      const to = rest[1] ?? '';
      if (/^127\./.test(to)) { await t.out(`local ${to} dev lo table local src 127.0.0.1 uid ${t.ctx.uid} \n    cache <local> \n`); return 0; }
      await t.errRaw('RTNETLINK answers: Network is unreachable\n');
      return 2;
    }
    // The main table is empty with Wi-Fi down (Android keeps per-network tables; `ip route` shows main).
    return 0;
  }
  if (obj === '' || obj === 'help') {
    await t.errRaw('Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\nwhere  OBJECT := { address | link | route | rule | neigh | ... }\n');
    return obj === 'help' ? 0 : 255;
  }
  await t.errRaw(`Object "${obj}" is unknown, try "ip help".\n`);
  return 1;
});

export const MORE_COMMANDS: CommandTable = {
  log, free, strings, comm, paste, nl, cksum, uuidgen, getconf, gzip: gzipTool('gzip'), gunzip: gzipTool('gunzip'), zcat: gzipTool('zcat'), dmesg, ip,
};
