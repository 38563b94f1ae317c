import { Abort } from './io';

/** What kind of process: kernel threads and daemons live from boot, apps come and go, commands are the shell's. */
export type ProcKind = 'kernel' | 'daemon' | 'app' | 'command';

/** A process on the virtual phone, as `ps` shows it. */
export interface Proc {
  pid: number;
  ppid: number;
  uid: number;
  user: string;
  /** argv[0] as ps NAME shows it (the process name of an app is its package). */
  name: string;
  argv: string[];
  /** Start time, ms since epoch. */
  started: number;
  /** Resident size in kB (a plausible figure: ps RSS, /proc/PID/status VmRSS). */
  rssKb: number;
  /** 'S' sleeping, 'R' running, 'Z' zombie, 'T' stopped (SIGSTOP). */
  state: 'S' | 'R' | 'Z' | 'T';
  /** Aborted on kill: the process stops. */
  abort: Abort;
  /** Exit status after a signal, e.g. 128+9. */
  killedBy?: number;
  /** Absent means a command the shell runs (it listens to `abort` and calls `exit`). */
  kind?: ProcKind;
  /** Controlling terminal as a device number (pts/N = 136<<8|N), 0 or absent for none. */
  tty?: number;
  /** Virtual size in kB (ps VSZ). */
  vszKb?: number;
  /** Share of one CPU this process uses on average (for ps TIME/%CPU and /proc/PID/stat). */
  cpuShare?: number;
  threads?: number;
  /** Highest RSS seen (VmHWM). */
  hwmKb?: number;
}

export const SHELL_UID = 2000;
export const ZYGOTE_PID = 512;
export const SYSTEM_SERVER_PID = 870;
export const ADBD_PID = 620;
/** Kernel pid_max on the phone (/proc/sys/kernel/pid_max): five digits, so ps pads PID to 5. */
export const PID_MAX = 32768;
/** The kernel's USER_HZ (clock ticks per second in /proc/PID/stat and /proc/stat). */
export const CLK_TCK = 100;

/** Android's fixed ids (system/core/libcutils/include/private/android_filesystem_config.h). */
const USERS: Record<number, string> = {
  0: 'root', 1000: 'system', 1001: 'radio', 1002: 'bluetooth', 1003: 'graphics', 1004: 'input', 1005: 'audio', 1006: 'camera',
  1007: 'log', 1010: 'wifi', 1011: 'adb', 1013: 'media', 1017: 'keystore', 1021: 'gps', 1027: 'nfc', 1036: 'logd',
  1040: 'mediaex', 1041: 'audioserver', 1046: 'mediacodec', 1047: 'cameraserver', 1058: 'tombstoned', 1066: 'statsd',
  1067: 'incidentd', 1068: 'secure_element', 1069: 'lmkd', 1072: 'gpu_service', 1073: 'network_stack', 1082: 'artd',
  2000: 'shell', 9999: 'nobody',
};

export function userName(uid: number): string {
  if (USERS[uid] !== undefined) return USERS[uid];
  // bionic's names for app ids: u<user>_a<appid-10000>, isolated u<user>_i<n>
  const user = Math.floor(uid / 100000);
  const app = uid % 100000;
  if (app >= 10000 && app < 20000) return `u${user}_a${app - 10000}`;
  if (app >= 90000 && app < 100000) return `u${user}_i${app - 90000}`;
  return String(uid);
}

/** The uid for a user name as bionic's getpwnam answers (root, shell, u0_a123, …), or a number as is. */
export function uidOf(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  for (const [uid, n] of Object.entries(USERS)) if (n === name) return Number(uid);
  const m = /^u(\d+)_([ai])(\d+)$/.exec(name);
  if (m) return Number(m[1]) * 100000 + (m[2] === 'a' ? 10000 : 90000) + Number(m[3]);
  return undefined;
}

/** Signals as bionic numbers them on arm64/x86_64 (Linux generic numbering). */
export const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14,
  TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26,
  PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};
/** bionic reserves the first ten real-time signals for itself, so SIGRTMIN is 42 on Android 14 (reserved_signals.h). */
export const SIGRTMIN = 42;
export const SIGRTMAX = 64;
/** Signals whose default action is not to end the process. */
const HARMLESS = new Set([SIGNALS.CHLD, SIGNALS.CONT, SIGNALS.URG, SIGNALS.WINCH, SIGNALS.STOP, SIGNALS.TSTP, SIGNALS.TTIN, SIGNALS.TTOU]);

/** What happens to a process that gets `sig` with the default disposition. */
export function signalEnds(sig: number): boolean {
  return sig !== 0 && !HARMLESS.has(sig);
}

interface SysProc { pid: number; ppid: number; uid: number; name: string; argv?: string[]; rss: number; vsz: number; at: number; cpu: number; threads: number; kind: ProcKind }

/** The processes a freshly booted phone has (a subset of a real Android 14 `ps -A`), with their start offsets in ms. */
function bootProcesses(): SysProc[] {
  const k = (pid: number, name: string, at = 0): SysProc => ({ pid, ppid: pid === 2 ? 0 : 2, uid: 0, name, rss: 0, vsz: 0, at, cpu: 0.0005, threads: 1, kind: 'kernel' });
  const d = (pid: number, ppid: number, uid: number, name: string, argv: string[], rss: number, vsz: number, at: number, cpu = 0.001, threads = 4, kind: ProcKind = 'daemon'): SysProc =>
    ({ pid, ppid, uid, name, argv, rss, vsz, at, cpu, threads, kind });
  const list: SysProc[] = [
    d(1, 0, 0, 'init', ['/system/bin/init', 'second_stage'], 10980, 10904276, 0, 0.002, 1),
    k(2, 'kthreadd'), k(3, 'rcu_gp'), k(4, 'rcu_par_gp'), k(8, 'mm_percpu_wq'), k(9, 'rcu_tasks_trace'), k(10, 'ksoftirqd/0'), k(11, 'rcu_preempt'),
    k(12, 'rcuog/0'), k(13, 'rcuop/0'), k(14, 'migration/0'),
  ];
  for (let cpu = 1; cpu < 8; cpu++) list.push(k(14 + cpu * 4 - 2, `cpuhp/${cpu}`), k(14 + cpu * 4 - 1, `migration/${cpu}`), k(14 + cpu * 4, `ksoftirqd/${cpu}`));
  list.push(
    k(60, 'kdevtmpfs', 100), k(61, 'netns', 100), k(65, 'kauditd', 100), k(70, 'oom_reaper', 100), k(71, 'writeback', 100), k(72, 'kcompactd0', 100),
    k(90, 'kswapd0', 200), k(120, 'kworker/u16:1-events_unbound', 200), k(150, 'irq/150-dwc3', 300), k(180, 'jbd2/dm-5-8', 900),
    d(240, 1, 0, 'ueventd', ['/system/bin/ueventd'], 3200, 10824112, 400, 0.0005, 1),
    d(280, 1, 0, 'init', ['/system/bin/init', 'subcontext', 'u:r:vendor_init:s0', '14'], 5200, 10860484, 900, 0.0002, 2),
    d(301, 1, 1036, 'logd', ['/system/bin/logd'], 7480, 10889620, 1000, 0.003, 9),
    d(302, 1, 1069, 'lmkd', ['/system/bin/lmkd'], 3320, 10857872, 1000, 0.0005, 2),
    d(330, 1, 1000, 'servicemanager', ['/system/bin/servicemanager'], 3900, 10861608, 1100, 0.002, 1),
    d(331, 1, 1000, 'hwservicemanager', ['/system/bin/hwservicemanager'], 4480, 10874408, 1100, 0.001, 2),
    d(333, 1, 1000, 'vndservicemanager', ['/vendor/bin/vndservicemanager', '/dev/vndbinder'], 2900, 10826160, 1100, 0.0003, 1),
    d(340, 1, 0, 'vold', ['/system/bin/vold', '--blkid_context=u:r:blkid:s0'], 9100, 10984452, 1200, 0.0005, 6),
    d(350, 1, 1017, 'keystore2', ['/system/bin/keystore2', '/data/misc/keystore'], 9800, 10985820, 1800, 0.0005, 8),
    d(420, 1, 1000, 'surfaceflinger', ['/system/bin/surfaceflinger'], 29800, 11382120, 2600, 0.02, 28),
    d(440, 1, 0, 'netd', ['/system/bin/netd'], 8700, 10950076, 2600, 0.0008, 12),
    d(455, 1, 0, 'installd', ['/system/bin/installd'], 7000, 10910108, 2700, 0.0003, 3),
    d(470, 1, 1041, 'audioserver', ['/system/bin/audioserver'], 17800, 11084512, 2700, 0.002, 14),
    d(480, 1, 1047, 'cameraserver', ['/system/bin/cameraserver'], 13600, 11020340, 2800, 0.0004, 10),
    d(490, 1, 1066, 'statsd', ['/apex/com.android.os.statsd/bin/statsd'], 6200, 10900736, 2800, 0.001, 12),
    d(495, 1, 1067, 'incidentd', ['/system/bin/incidentd'], 4800, 10881784, 2800, 0.0002, 4),
    d(500, 1, 1058, 'tombstoned', ['/system/bin/tombstoned'], 2800, 10830704, 2800, 0.0002, 1),
    d(512, 1, 0, 'zygote64', ['zygote64'], 182000, 15002412, 3000, 0.001, 4),
    d(514, 1, 0, 'zygote', ['zygote'], 151000, 1792204, 3000, 0.0005, 4),
    d(600, 1, 1013, 'media.extractor', ['media.extractor', 'aextractor'], 9200, 10927972, 3100, 0.0003, 3),
    d(601, 1, 1046, 'media.swcodec', ['media.swcodec', 'oid.media.swcodec/bin/mediaswcodec'], 10500, 10954940, 3100, 0.0003, 6),
    d(ADBD_PID, 1, SHELL_UID, 'adbd', ['/apex/com.android.adbd/bin/adbd', '--root_seclabel=u:r:su:s0'], 9200, 10917584, 3200, 0.004, 11),
    d(SYSTEM_SERVER_PID, ZYGOTE_PID, 1000, 'system_server', ['system_server'], 384000, 17925056, 5000, 0.03, 210),
    d(1040, ZYGOTE_PID, 1073, 'com.android.networkstack.process', ['com.android.networkstack.process'], 98000, 15313024, 9000, 0.001, 30, 'app'),
    d(1102, ZYGOTE_PID, 10043, 'com.android.systemui', ['com.android.systemui'], 221000, 16354440, 9500, 0.015, 60, 'app'),
    d(1180, ZYGOTE_PID, 1001, 'com.android.phone', ['com.android.phone'], 121000, 15467820, 10000, 0.001, 40, 'app'),
    d(1220, ZYGOTE_PID, 10090, 'com.android.inputmethod.latin', ['com.android.inputmethod.latin'], 112000, 15409116, 10500, 0.001, 24, 'app'),
    d(1290, ZYGOTE_PID, 10101, 'com.android.launcher3', ['com.android.launcher3'], 160000, 15805232, 11000, 0.005, 42, 'app'),
  );
  return list;
}

/** Packages whose processes run under a fixed uid (shared system uids, or preinstalled app ids). */
const FIXED_APP_UIDS: Record<string, number> = {
  'com.android.settings': 1000,
  'com.android.phone': 1001,
  'com.android.networkstack.process': 1073,
  'com.android.systemui': 10043,
  'com.android.inputmethod.latin': 10090,
  'com.android.launcher3': 10101,
};

/** How long the phone had been up when the virtual phone was created: it boots before anyone connects. */
const BOOTED_BEFORE_MS = 42_000;

export type ProcEvent = { type: 'exit'; proc: Proc; signal?: number } | { type: 'reboot' };

/**
 * The phone's process table. init (1), the system daemons and the shell's own processes have pids; every
 * command the shell runs gets one while it runs, so `ps`, `pidof`, `kill`, `$$` and `logcat --pid` agree.
 * Apps get a process (uid 10000+, parent zygote64) when they come to the front, and lose it on force-stop,
 * `am kill` or a crash.
 */
export class ProcessTable {
  private readonly procs = new Map<number, Proc>();
  private nextPid = 2000;
  private readonly appUids = new Map<string, number>();
  private nextAppUid = 10150;
  private readonly listeners: Array<(e: ProcEvent) => void> = [];
  /** The last pid handed out (/proc/loadavg's last field). */
  lastPid = 1290;
  /** When the phone booted (ms since the epoch); a reboot moves it. */
  bootTime = Date.now() - BOOTED_BEFORE_MS;

  constructor() {
    this.boot();
    for (const [pkg, uid] of Object.entries(FIXED_APP_UIDS)) this.appUids.set(pkg, uid);
  }

  private boot(): void {
    for (const s of bootProcesses()) {
      this.procs.set(s.pid, {
        pid: s.pid, ppid: s.ppid, uid: s.uid, user: userName(s.uid), name: s.name, argv: s.argv ?? (s.kind === 'kernel' ? [] : [s.name]),
        started: this.bootTime + s.at, rssKb: s.rss, hwmKb: s.rss, vszKb: s.vsz, state: 'S', abort: new Abort(), kind: s.kind, cpuShare: s.cpu, threads: s.threads,
      });
    }
  }

  /**
   * `adb reboot`: every process ends (their commands see the abort), the boot processes come back with
   * their usual pids, and uptime starts again. Listeners hear `reboot` (logd starts empty, then the boot lines).
   */
  reboot(): void {
    const old = [...this.procs.values()];
    this.procs.clear();
    for (const p of old) p.abort.abort('reboot');
    this.bootTime = Date.now() - BOOTED_BEFORE_MS;
    this.nextPid = 2000;
    this.lastPid = 1290;
    this.boot();
    this.emit({ type: 'reboot' });
  }

  /** ms since boot. */
  uptimeMs(now = Date.now()): number {
    return now - this.bootTime;
  }

  private allocPid(): number {
    for (let tries = 0; tries < PID_MAX; tries++) {
      const pid = this.nextPid++;
      if (this.nextPid >= PID_MAX) this.nextPid = 2000;
      if (!this.procs.has(pid)) {
        this.lastPid = pid;
        return pid;
      }
    }
    throw Object.assign(new Error('fork: Try again'), { code: 'EAGAIN' });
  }

  /** Starts a process; the caller must `exit` it. */
  spawn(name: string, argv: string[], opts: { ppid?: number; uid?: number; rssKb?: number; tty?: number; kind?: ProcKind } = {}): Proc {
    const pid = this.allocPid();
    const uid = opts.uid ?? SHELL_UID;
    // RSS is counted in 4 KiB pages
    const rss = opts.rssKb ?? 2800 + 4 * (argv.join(' ').length % 225);
    const p: Proc = {
      pid, ppid: opts.ppid ?? ADBD_PID, uid, user: userName(uid), name, argv, started: Date.now(), rssKb: rss, hwmKb: rss,
      vszKb: 10_800_000 + ((pid * 7919) % 120_000), state: 'S', abort: new Abort(), kind: opts.kind ?? 'command', tty: opts.tty, cpuShare: 0.002, threads: 1,
    };
    this.procs.set(pid, p);
    return p;
  }

  exit(pid: number): void {
    this.procs.delete(pid);
  }

  get(pid: number): Proc | undefined {
    return this.procs.get(pid);
  }

  list(): Proc[] {
    return [...this.procs.values()].sort((a, b) => a.pid - b.pid);
  }

  byName(name: string): Proc[] {
    return this.list().filter((p) => p.name === name || p.argv[0] === name || p.argv[0]?.split('/').pop() === name);
  }

  /** Told when a process ends other than by its own `exit` (a signal, a crash, a force-stop). */
  onEvent(cb: (e: ProcEvent) => void): void {
    this.listeners.push(cb);
  }

  private emit(e: ProcEvent): void {
    for (const cb of this.listeners) {
      try { cb(e); } catch { /* a listener's failure does not stop the others */ }
    }
  }

  /** The uid an app's processes run as: fixed for the preinstalled ones, 10150 and up for the others (stable per package). */
  appUid(pkg: string): number {
    let uid = this.appUids.get(pkg);
    if (uid === undefined) {
      uid = this.nextAppUid++;
      this.appUids.set(pkg, uid);
    }
    return uid;
  }

  /** Tells the table the uid the package manager gave a package (so ps and logcat agree with `pm list packages -U`). */
  setAppUid(pkg: string, uid: number): void {
    this.appUids.set(pkg, uid);
  }

  /** The running process of an app (its main process: the one named after the package). */
  appProcess(pkg: string): Proc | undefined {
    for (const p of this.procs.values()) if (p.kind === 'app' && p.name === pkg) return p;
    return undefined;
  }

  /** Forks an app's process from zygote64. */
  startApp(pkg: string, uid = this.appUid(pkg)): Proc {
    const pid = this.allocPid();
    const seed = [...pkg].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    const rss = 92_000 + 4 * (seed % 15_000);
    const p: Proc = {
      pid, ppid: ZYGOTE_PID, uid, user: userName(uid), name: pkg, argv: [pkg], started: Date.now(), rssKb: rss, hwmKb: rss + 8_000,
      vszKb: 15_100_000 + (seed % 900_000), state: 'S', abort: new Abort(), kind: 'app', cpuShare: 0.01, threads: 18 + (seed % 12),
    };
    this.procs.set(pid, p);
    return p;
  }

  /** Ends a process as the kernel would after a fatal signal (or an app being killed by the system). */
  terminate(pid: number, sig = SIGNALS.KILL): Proc | undefined {
    const p = this.procs.get(pid);
    if (!p || p.kind === 'kernel') return undefined;
    p.killedBy = sig;
    this.procs.delete(pid);
    p.abort.abort(`signal ${sig}`);
    this.emit({ type: 'exit', proc: p, signal: sig });
    // init restarts the services it supervises; the new instance has a new pid.
    if (p.kind === 'daemon' && p.ppid === 1) {
      const np = this.allocPid();
      this.procs.set(np, { ...p, pid: np, started: Date.now(), abort: new Abort(), killedBy: undefined, state: 'S' });
    }
    return p;
  }

  /**
   * Sends a signal as `kill` does: the shell user may only signal its own processes (EPERM otherwise),
   * 0 only checks. Returns an errno name or undefined on success.
   */
  kill(pid: number, sig: number, asUid = SHELL_UID): 'ESRCH' | 'EPERM' | undefined {
    const p = this.procs.get(pid);
    if (!p) return 'ESRCH';
    if (asUid !== 0 && p.uid !== asUid) return 'EPERM';
    if (sig === 0) return undefined;
    if (sig === SIGNALS.STOP || sig === SIGNALS.TSTP || sig === SIGNALS.TTIN || sig === SIGNALS.TTOU) {
      p.state = 'T';
      return undefined;
    }
    if (sig === SIGNALS.CONT) {
      if (p.state === 'T') p.state = 'S';
      return undefined;
    }
    if (!signalEnds(sig)) return undefined;
    if (p.kind === 'kernel') return undefined; // kernel threads ignore signals
    if (p.kind === undefined || p.kind === 'command') {
      // A command the shell runs: it stops on abort and the shell reaps it with exit().
      p.killedBy = sig;
      p.abort.abort(`signal ${sig}`);
      return undefined;
    }
    this.terminate(pid, sig);
    return undefined;
  }

  /** CPU time a process has used so far, in clock ticks (ps TIME, /proc/PID/stat utime+stime). */
  cpuTicks(p: Proc, now = Date.now()): number {
    const alive = Math.max(0, now - p.started);
    return Math.floor((alive / 1000) * CLK_TCK * (p.cpuShare ?? 0.01));
  }
}
