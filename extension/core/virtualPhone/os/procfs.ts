import { createHash, randomUUID } from 'node:crypto';
import type { VirtualDevice } from '../device';
import { CLK_TCK, PID_MAX, type Proc, type ProcessTable } from './processes';

/**
 * /proc on the virtual phone, made from the process table and the clock so `cat /proc/uptime`, `ps`,
 * `top` and `/proc/PID/status` agree with one another and with logcat. Formats follow Linux 5.15's
 * fs/proc (meminfo.c, stat.c, array.c, uptime.c, loadavg.c) and arch/arm64/kernel/cpuinfo.c.
 */

export const KERNEL_RELEASE = '5.15.0-virtual';
export const KERNEL_VERSION = `Linux version ${KERNEL_RELEASE} (mobileai@vphone) (Android (10087095, +pgo, +bolt, +lto, -mlgo, based on r487747c) clang version 17.0.2, LLD 17.0.2) #1 SMP PREEMPT Wed Jun 5 00:00:00 UTC 2024`;
export const NCPU = 8;

const STATE_NAMES: Record<Proc['state'], string> = { R: 'R (running)', S: 'S (sleeping)', T: 'T (stopped)', Z: 'Z (zombie)' };

/** The kernel's comm (15 bytes): a binary's basename, or for an app the end of its name (as Android sets it). */
export function commOf(p: Proc): string {
  if (p.kind === 'kernel') return p.name.slice(0, 15);
  if (p.kind === 'app') return p.name.length > 15 ? p.name.slice(-15) : p.name;
  return (p.argv[0] ?? p.name).split('/').pop()!.slice(0, 15) || p.name.slice(0, 15);
}

function kb(label: string, v: number): string {
  return `${`${label}:`.padEnd(16)}${String(Math.max(0, Math.round(v))).padStart(8)} kB\n`;
}

function seeded(n: number): number {
  const x = Math.sin(n * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

export function meminfo(device: VirtualDevice): string {
  const total = device.profile.ramKb;
  const rss = device.procs.list().reduce((s, p) => s + p.rssKb, 0);
  const kernel = 420_000;
  const used = rss + kernel;
  const cached = Math.round(total * 0.26);
  const free = Math.max(64_000, total - used - cached - Math.round(total * 0.04));
  const avail = free + Math.round(cached * 0.8);
  const swap = Math.min(4_194_300, Math.round(total / 2));
  const rows: Array<[string, number]> = [
    ['MemTotal', total], ['MemFree', free], ['MemAvailable', avail], ['Buffers', Math.round(total * 0.004)], ['Cached', cached],
    ['SwapCached', 1_820], ['Active', Math.round(rss * 0.55 + cached * 0.45)], ['Inactive', Math.round(rss * 0.3 + cached * 0.5)],
    ['Active(anon)', Math.round(rss * 0.5)], ['Inactive(anon)', Math.round(rss * 0.25)], ['Active(file)', Math.round(cached * 0.45)],
    ['Inactive(file)', Math.round(cached * 0.5)], ['Unevictable', 168_000], ['Mlocked', 168_000], ['SwapTotal', swap], ['SwapFree', swap - 52_000],
    ['Dirty', 212], ['Writeback', 0], ['AnonPages', Math.round(rss * 0.72)], ['Mapped', Math.round(rss * 0.6)], ['Shmem', 9_840],
    ['KReclaimable', 98_000], ['Slab', 231_000], ['SReclaimable', 98_000], ['SUnreclaim', 133_000], ['KernelStack', 38_400],
    ['ShadowCallStack', 9_600], ['PageTables', 88_000], ['SecPageTables', 0], ['NFS_Unstable', 0], ['Bounce', 0], ['WritebackTmp', 0],
    ['CommitLimit', Math.round(total / 2) + swap], ['Committed_AS', Math.round(total * 7.9)], ['VmallocTotal', 263_061_440], ['VmallocUsed', 142_000],
    ['VmallocChunk', 0], ['Percpu', 7_360], ['AnonHugePages', 0], ['ShmemHugePages', 0], ['ShmemPmdMapped', 0], ['FileHugePages', 0],
    ['FilePmdMapped', 0], ['CmaTotal', 196_608], ['CmaFree', 11_240],
  ];
  return rows.map(([k, v]) => kb(k, v)).join('') + 'HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n' + kb('Hugepagesize', 2048) + kb('Hugetlb', 0);
}

export function cpuinfo(device: VirtualDevice): string {
  let out = '';
  for (let i = 0; i < NCPU; i++) {
    const big = i >= 4;
    out += `processor\t: ${i}\nBogoMIPS\t: 38.40\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\n` +
      `CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: ${big ? '0x1' : '0x2'}\nCPU part\t: ${big ? '0xd41' : '0xd05'}\nCPU revision\t: ${big ? 1 : 0}\n\n`;
  }
  return out + `Hardware\t: ${device.profile.hardware}\n`;
}

/** Per-CPU tick counters since boot (user, nice, system, idle, iowait, irq, softirq), all advancing with the clock. */
function cpuTimes(procs: ProcessTable, now: number): number[][] {
  const up = Math.floor((procs.uptimeMs(now) / 1000) * CLK_TCK);
  const busy = procs.list().reduce((s, p) => s + procs.cpuTicks(p, now), 0);
  const rows: number[][] = [];
  for (let c = 0; c < NCPU; c++) {
    const share = busy / NCPU * (0.7 + 0.6 * seeded(c + 1));
    const user = Math.floor(share * 0.62);
    const nice = Math.floor(share * 0.05);
    const system = Math.floor(share * 0.28);
    const irq = Math.floor(share * 0.02);
    const softirq = Math.floor(share * 0.03);
    const iowait = Math.floor(up * 0.002);
    const idle = Math.max(0, up - user - nice - system - irq - softirq - iowait);
    rows.push([user, nice, system, idle, iowait, irq, softirq, 0, 0, 0]);
  }
  return rows;
}

export function procStat(device: VirtualDevice, now = Date.now()): string {
  const rows = cpuTimes(device.procs, now);
  const sum = rows[0].map((_, i) => rows.reduce((s, r) => s + r[i], 0));
  const up = device.procs.uptimeMs(now) / 1000;
  let out = `cpu  ${sum.join(' ')}\n`;
  rows.forEach((r, i) => (out += `cpu${i} ${r.join(' ')}\n`));
  const intr = Math.floor(up * 2150);
  out += `intr ${intr} 0 0 0 ${Math.floor(intr * 0.4)} 0 0 0 0 0 0 ${Math.floor(intr * 0.1)}\n`;
  out += `ctxt ${Math.floor(up * 5400)}\nbtime ${Math.floor(device.procs.bootTime / 1000)}\nprocesses ${device.procs.lastPid + 1}\n`;
  out += `procs_running ${1 + device.procs.list().filter((p) => p.state === 'R').length}\nprocs_blocked 0\n`;
  const soft = Math.floor(up * 900);
  out += `softirq ${soft} 0 ${Math.floor(soft * 0.4)} 1 ${Math.floor(soft * 0.05)} 0 0 ${Math.floor(soft * 0.1)} ${Math.floor(soft * 0.25)} 0 ${Math.floor(soft * 0.2)}\n`;
  return out;
}

/** The three load averages: a phone at rest hovers around one, drifting slowly. */
export function loadAverages(device: VirtualDevice, now = Date.now()): [number, number, number] {
  const t = device.procs.uptimeMs(now) / 1000;
  const wave = (period: number) => 0.5 + 0.5 * Math.sin(t / period);
  const running = device.procs.list().filter((p) => p.state === 'R').length;
  return [0.62 + 0.5 * wave(37) + 0.1 * running, 0.7 + 0.3 * wave(190), 0.75 + 0.2 * wave(600)];
}

export function loadavg(device: VirtualDevice, now = Date.now()): string {
  const [a, b, c] = loadAverages(device, now);
  const all = device.procs.list();
  const threads = all.reduce((s, p) => s + (p.threads ?? 1), 0);
  const running = 1 + all.filter((p) => p.state === 'R').length;
  return `${a.toFixed(2)} ${b.toFixed(2)} ${c.toFixed(2)} ${running}/${threads} ${device.procs.lastPid}\n`;
}

export function uptime(device: VirtualDevice, now = Date.now()): string {
  const up = device.procs.uptimeMs(now) / 1000;
  const busy = device.procs.list().reduce((s, p) => s + device.procs.cpuTicks(p, now), 0) / CLK_TCK;
  return `${up.toFixed(2)} ${Math.max(0, up * NCPU - busy).toFixed(2)}\n`;
}

function groupsOf(p: Proc): string {
  if (p.uid === 2000) return '1004 1007 1011 1015 1028 1078 1079 3001 3002 3003 3006 3009 3011 3012 ';
  if (p.uid >= 10000 && p.uid < 20000) return `3003 9997 ${20000 + (p.uid - 10000)} ${50000 + (p.uid - 10000)} `;
  if (p.uid === 1000) return '1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1018 1021 1023 1024 1032 1065 3001 3002 3003 3006 3007 3009 3010 3011 3012 ';
  return '';
}

function oomScoreAdj(device: VirtualDevice, p: Proc): number {
  if (p.kind === 'kernel') return 0;
  if (p.kind === 'daemon') return p.pid === 1 || p.name === 'ueventd' || p.name === 'logd' || p.name === 'lmkd' || p.name === 'vold' ? -1000 : -900;
  if (p.kind === 'app') {
    if (p.name === device.phone.foreground) return 0;
    if (p.uid < 10000 || p.name === 'com.android.systemui') return -800;
    if (p.name === 'com.android.launcher3' || p.name === 'com.android.inputmethod.latin') return 200;
    return 905;
  }
  return -1000; // adbd's children keep its score
}

export function pidStatus(device: VirtualDevice, p: Proc, now = Date.now()): string {
  const vsz = p.vszKb ?? 0;
  const rss = p.rssKb;
  const anon = Math.round(rss * 0.45);
  const threads = p.threads ?? 1;
  const sw = Math.floor(device.procs.cpuTicks(p, now) * 3.1) + 40;
  const uid = `${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}`;
  const lines = [
    `Name:\t${commOf(p)}`, 'Umask:\t0077', `State:\t${STATE_NAMES[p.state]}`, `Tgid:\t${p.pid}`, 'Ngid:\t0', `Pid:\t${p.pid}`, `PPid:\t${p.ppid}`, 'TracerPid:\t0',
    `Uid:\t${uid}`, `Gid:\t${uid}`, `FDSize:\t${p.kind === 'app' ? 256 : 64}`, `Groups:\t${groupsOf(p)}`,
  ];
  if (p.kind !== 'kernel') {
    lines.push(
      `VmPeak:\t${String(vsz + 65_536).padStart(8)} kB`, `VmSize:\t${String(vsz).padStart(8)} kB`, 'VmLck:\t       0 kB', 'VmPin:\t       0 kB',
      `VmHWM:\t${String(p.hwmKb ?? rss).padStart(8)} kB`, `VmRSS:\t${String(rss).padStart(8)} kB`, `RssAnon:\t${String(anon).padStart(8)} kB`,
      `RssFile:\t${String(rss - anon).padStart(8)} kB`, 'RssShmem:\t       0 kB', `VmData:\t${String(Math.round(vsz * 0.08)).padStart(8)} kB`, 'VmStk:\t     132 kB',
      `VmExe:\t${String(p.kind === 'app' ? 20 : 1376).padStart(8)} kB`, `VmLib:\t${String(Math.round(rss * 0.4)).padStart(8)} kB`,
      `VmPTE:\t${String(Math.max(40, Math.round(rss / 100))).padStart(8)} kB`, 'VmSwap:\t       0 kB', 'CoreDumping:\t0', 'THP_enabled:\t1',
    );
  }
  lines.push(
    `Threads:\t${threads}`, 'SigQ:\t0/29565', 'SigPnd:\t0000000000000000', 'ShdPnd:\t0000000000000000', 'SigBlk:\t0000000000000000',
    `SigIgn:\t${p.kind === 'app' ? '0000000000001001' : '0000000000000000'}`, `SigCgt:\t${p.kind === 'kernel' ? '0000000000000000' : '0000004e400084f8'}`,
    'CapInh:\t0000000000000000', `CapPrm:\t${p.uid === 0 ? '000001ffffffffff' : '0000000000000000'}`, `CapEff:\t${p.uid === 0 ? '000001ffffffffff' : '0000000000000000'}`,
    'CapBnd:\t000001ffffffffff', 'CapAmb:\t0000000000000000', `NoNewPrivs:\t0`, `Seccomp:\t${p.kind === 'app' || p.kind === 'command' || p.kind === undefined ? 2 : 0}`,
    'Seccomp_filters:\t1', 'Speculation_Store_Bypass:\tthread vulnerable', 'SpeculationIndirectBranch:\tunknown', 'Cpus_allowed:\tff',
    'Cpus_allowed_list:\t0-7', 'Mems_allowed:\t1', 'Mems_allowed_list:\t0', `voluntary_ctxt_switches:\t${sw}`, `nonvoluntary_ctxt_switches:\t${Math.floor(sw / 7)}`,
  );
  return lines.join('\n') + '\n';
}

/** /proc/PID/stat: the 52 fields of fs/proc/array.c do_task_stat. */
export function pidStat(device: VirtualDevice, p: Proc, now = Date.now()): string {
  const ticks = device.procs.cpuTicks(p, now);
  const utime = Math.floor(ticks * 0.7);
  const stime = ticks - utime;
  const start = Math.floor(((p.started - device.procs.bootTime) / 1000) * CLK_TCK);
  const vsize = (p.vszKb ?? 0) * 1024;
  const rssPages = Math.floor(p.rssKb / 4);
  const nice = p.kind === 'app' && p.name !== device.phone.foreground ? 10 : p.kind === 'kernel' ? 0 : -2;
  const priority = 20 + nice;
  const tty = p.tty ?? 0;
  const session = p.kind === 'command' || p.kind === undefined ? p.ppid : p.pid;
  const fields = [
    p.pid, `(${commOf(p)})`, p.state, p.ppid, p.pid, session, tty, tty ? p.pid : -1, p.kind === 'kernel' ? 2_129_984 : 4_194_560,
    Math.floor(p.rssKb * 3.3), 0, Math.floor(p.rssKb / 180), 0, utime, stime, 0, 0, priority, nice, p.threads ?? 1, 0, start, vsize, rssPages,
    '18446744073709551615', p.kind === 'kernel' ? 0 : 1, p.kind === 'kernel' ? 0 : 1, 0, 0, 0, 0, 0, p.kind === 'app' ? 4096 : 0, p.kind === 'kernel' ? 0 : 1_073_775_864,
    0, 0, 0, 17, p.pid % NCPU, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ];
  return fields.join(' ') + '\n';
}

function pidStatm(p: Proc): string {
  const size = Math.floor((p.vszKb ?? 0) / 4);
  const res = Math.floor(p.rssKb / 4);
  const shared = Math.floor(res * 0.55);
  return `${size} ${res} ${shared} ${p.kind === 'app' ? 5 : 344} 0 ${Math.floor(size * 0.08)} 0\n`;
}

function bootId(device: VirtualDevice): string {
  const h = createHash('sha1').update(`${device.serial}:${device.procs.bootTime}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}\n`;
}

/** When the reader's pid is not given: the command that started last (the one opening the file, as a rule). */
function newestCommand(device: VirtualDevice): number {
  let best: Proc | undefined;
  for (const p of device.procs.list()) if ((p.kind === 'command' || p.kind === undefined) && (!best || p.started >= best.started)) best = p;
  return best?.pid ?? 1;
}

/* /proc/net: the phone's sockets as the kernel lists them (net/ipv4/tcp_ipv4.c get_tcp4_sock, tcp_ipv6.c,
   net/unix/af_unix.c unix_seq_show), with the inode numbers netstat shows. Tools read these to find listeners:
   Chrome's remote debugging looks for `@…devtools_remote` in /proc/net/unix, port scanners read tcp/tcp6. */

/** An IPv4 address as the kernel prints it: the 32-bit word in host (little-endian) order, in hex. */
function hex4(host: string): string {
  const b = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host.split('.').map(Number) : [0, 0, 0, 0];
  return b.reverse().map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** An IPv6 address: four 32-bit words, each little-endian. */
function hex6(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  const [head, tail] = h.includes('::') ? h.split('::') : [h, undefined];
  const a = head ? head.split(':') : [];
  const b = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...a, ...Array(Math.max(0, 8 - a.length - b.length)).fill('0'), ...b].map((g) => parseInt(g || '0', 16));
  let out = '';
  for (let w = 0; w < 4; w++) {
    const bytes = [groups[2 * w] >> 8, groups[2 * w] & 0xff, groups[2 * w + 1] >> 8, groups[2 * w + 1] & 0xff];
    out += bytes.reverse().map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');
  }
  return out;
}

const TCP_STATE: Record<string, string> = { ESTABLISHED: '01', FIN_WAIT2: '05', CLOSE_WAIT: '08', LISTEN: '0A' };

function procNetTcp(device: VirtualDevice, v6: boolean): string {
  const rows: string[] = [];
  const hex = v6 ? hex6 : hex4;
  const port = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const line = (local: string, lport: number, remote: string, rport: number, st: string, uid: number, inode: number, listen: boolean) =>
    `${String(rows.length).padStart(4)}: ${hex(local)}:${port(lport)} ${hex(remote)}:${port(rport)} ${st} 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)} ${String(0).padStart(8)} ${inode} 1 0000000000000000 ${listen ? '100 0 0 10 -1' : '20 4 30 10 -1'}`;
  for (const l of device.net.listeners()) {
    if (l.address.family !== 'inet' || l.address.host.includes(':') !== v6) continue;
    rows.push(line(l.address.host, l.address.port, v6 ? '::' : '0.0.0.0', 0, TCP_STATE.LISTEN, l.uid, 41000 + l.address.port, true));
  }
  for (const s of device.net.connections()) {
    if (s.local.family !== 'inet' || s.remote.family !== 'inet' || s.local.host.includes(':') !== v6) continue;
    rows.push(line(s.local.host, s.local.port, s.remote.host, s.remote.port, TCP_STATE[s.state] ?? '01', 2000, 40000 + s.id, false));
  }
  if (v6) {
    return ['  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode', ...rows].map((r) => `${r}\n`).join('');
  }
  // IPv4 lines are padded to TMPSZ-1 (149) columns (seq_setwidth/seq_pad).
  return ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode', ...rows].map((r) => `${r.padEnd(149)}\n`).join('');
}

function procNetUnix(device: VirtualDevice): string {
  let out = 'Num       RefCount Protocol Flags    Type St Inode Path\n';
  for (const l of device.net.listeners()) {
    if (l.address.family === 'inet') continue;
    const path = l.address.family === 'abstract' ? `@${l.address.name}` : l.address.path;
    // A stable inode per socket name, apart from the connections' (40000 + id).
    const ino = 100000 + (createHash('md5').update(path).digest().readUInt32BE(0) % 800000);
    out += `0000000000000000: 00000002 00000000 00010000 0001 01 ${String(ino).padStart(5)} ${path}\n`;
  }
  for (const s of device.net.connections()) {
    if (s.local.family === 'inet') continue;
    const path = s.local.family === 'abstract' && s.local.name ? ` @${s.local.name}` : s.local.family === 'unix' ? ` ${s.local.path}` : '';
    out += `0000000000000000: 00000003 00000000 00000000 0001 03 ${String(40000 + s.id).padStart(5)}${path}\n`;
  }
  return out;
}

const PID_FILES = ['cmdline', 'comm', 'oom_score_adj', 'stat', 'statm', 'status'];

/** The text of a /proc file, or undefined when there is no such file. `self` is the reading process (/proc/self). */
export function procFile(device: VirtualDevice, abs: string, opts: { self?: number } = {}): string | undefined {
  let path = abs.replace(/\/+$/, '');
  path = path.replace(/^\/proc\/(self|thread-self)(?=\/|$)/, () => `/proc/${opts.self ?? newestCommand(device)}`);
  const now = Date.now();
  switch (path) {
    case '/proc/uptime': return uptime(device, now);
    case '/proc/loadavg': return loadavg(device, now);
    case '/proc/stat': return procStat(device, now);
    case '/proc/meminfo': return meminfo(device);
    case '/proc/cpuinfo': return cpuinfo(device);
    case '/proc/version': return `${KERNEL_VERSION}\n`;
    case '/proc/sys/kernel/pid_max': return `${PID_MAX}\n`;
    case '/proc/sys/kernel/osrelease': return `${KERNEL_RELEASE}\n`;
    case '/proc/sys/kernel/ostype': return 'Linux\n';
    case '/proc/sys/kernel/hostname': return 'localhost\n';
    case '/proc/sys/kernel/random/boot_id': return bootId(device);
    case '/proc/sys/kernel/random/uuid': return `${randomUUID()}\n`;
    case '/proc/net/tcp': return procNetTcp(device, false);
    case '/proc/net/tcp6': return procNetTcp(device, true);
    case '/proc/net/udp': return `${'  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops'.padEnd(127)}\n`;
    case '/proc/net/udp6': return '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n';
    case '/proc/net/unix': return procNetUnix(device);
    default: break;
  }
  const m = /^\/proc\/(\d+)\/([\w]+)$/.exec(path);
  if (!m) return undefined;
  const p = device.procs.get(Number(m[1]));
  if (!p) return undefined;
  switch (m[2]) {
    case 'status': return pidStatus(device, p, now);
    case 'stat': return pidStat(device, p, now);
    case 'statm': return pidStatm(p);
    case 'cmdline': return p.argv.length ? p.argv.join('\0') + '\0' : '';
    case 'comm': return `${commOf(p)}\n`;
    case 'oom_score_adj': return `${oomScoreAdj(device, p)}\n`;
    default: return undefined;
  }
}

/** What `ls /proc` and `ls /proc/PID` list (undefined when the path is not a /proc folder). */
export function procList(device: VirtualDevice, abs: string, opts: { self?: number } = {}): string[] | undefined {
  let path = abs.replace(/\/+$/, '');
  path = path.replace(/^\/proc\/(self|thread-self)(?=\/|$)/, () => `/proc/${opts.self ?? newestCommand(device)}`);
  if (path === '/proc') {
    const pids = device.procs.list().map((p) => String(p.pid));
    return [...pids, 'cpuinfo', 'loadavg', 'meminfo', 'net', 'self', 'stat', 'sys', 'thread-self', 'uptime', 'version'];
  }
  if (path === '/proc/net') return ['tcp', 'tcp6', 'udp', 'udp6', 'unix'];
  if (path === '/proc/sys') return ['kernel'];
  if (path === '/proc/sys/kernel') return ['hostname', 'osrelease', 'ostype', 'pid_max', 'random'];
  if (path === '/proc/sys/kernel/random') return ['boot_id', 'uuid'];
  const m = /^\/proc\/(\d+)$/.exec(path);
  if (m && device.procs.get(Number(m[1]))) return [...PID_FILES];
  return undefined;
}
