import { Abort } from './io';

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
  /** 'S' sleeping, 'R' running, 'Z' zombie. */
  state: 'S' | 'R' | 'Z';
  /** Aborted on kill: the process stops. */
  abort: Abort;
  /** Exit status after a signal, e.g. 128+9. */
  killedBy?: number;
}

export const SHELL_UID = 2000;

const USERS: Record<number, string> = { 0: 'root', 1000: 'system', 1001: 'radio', 1041: 'audioserver', 2000: 'shell' };

export function userName(uid: number): string {
  if (USERS[uid] !== undefined) return USERS[uid];
  if (uid >= 10000 && uid < 20000) return `u0_a${uid - 10000}`;
  return String(uid);
}

/**
 * The phone's process table. init (1), the system daemons and the shell's own processes have pids; every
 * command the shell runs gets one while it runs, so `ps`, `pidof`, `kill`, `$$` and `logcat --pid` agree.
 */
export class ProcessTable {
  private readonly procs = new Map<number, Proc>();
  private nextPid = 2000;
  readonly bootTime = Date.now();

  constructor() {
    const boot = this.bootTime;
    const sys: Array<[number, number, number, string, number]> = [
      [1, 0, 0, 'init', 10980], [2, 0, 0, '[kthreadd]', 0], [301, 1, 1036, 'logd', 7480], [330, 1, 1000, 'servicemanager', 3900],
      [512, 1, 0, 'zygote64', 182000], [620, 1, 2000, 'adbd', 9200], [870, 512, 1000, 'system_server', 384000],
      [1102, 512, 10043, 'com.android.systemui', 221000], [1290, 512, 10101, 'com.android.launcher3', 160000],
    ];
    for (const [pid, ppid, uid, name, rss] of sys) {
      this.procs.set(pid, { pid, ppid, uid, user: userName(uid), name, argv: [name], started: boot, rssKb: rss, state: 'S', abort: new Abort() });
    }
  }

  /** Starts a process; the caller must `exit` it. */
  spawn(name: string, argv: string[], opts: { ppid?: number; uid?: number; rssKb?: number } = {}): Proc {
    while (this.procs.has(this.nextPid)) this.nextPid++;
    const pid = this.nextPid++;
    if (this.nextPid > 32767) this.nextPid = 2000;
    const uid = opts.uid ?? SHELL_UID;
    const p: Proc = {
      pid, ppid: opts.ppid ?? 620, uid, user: userName(uid), name, argv, started: Date.now(), rssKb: opts.rssKb ?? 2800 + (argv.join(' ').length % 900),
      state: 'S', abort: new Abort(),
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

  /**
   * Sends a signal as `kill` does: the shell user may only signal its own processes (EPERM otherwise),
   * 0 only checks. Returns an errno name or undefined on success.
   */
  kill(pid: number, sig: number, asUid = SHELL_UID): 'ESRCH' | 'EPERM' | undefined {
    const p = this.procs.get(pid);
    if (!p) return 'ESRCH';
    if (asUid !== 0 && p.uid !== asUid) return 'EPERM';
    if (sig === 0) return undefined;
    p.killedBy = sig;
    p.abort.abort(`signal ${sig}`);
    return undefined;
  }
}
