import type { VirtualDevice } from '../device';
import { LAUNCHER_PKG, STOPWATCH_PKG, SYSTEMUI_PKG, type PhoneEvent } from '../phone';
import type { LogId, LogLevel } from './logcat';
import { SHELL_UID, SIGNALS, SYSTEM_SERVER_PID, ZYGOTE_PID, type Proc } from './processes';

/**
 * What system_server does around the apps, as far as processes and logcat show it: an app coming to the
 * front gets a process forked from zygote64 (ActivityManager `Start proc`), force-stop and `am kill` end it,
 * a crash goes to the crash buffer, installs and uninstalls are logged by PackageManager. The lines follow
 * Android 14's wording (ActivityStarter, ProcessList, ActivityManagerService, RuntimeInit).
 */

/** system_server's threads that do the logging (ActivityManager handler, binder, PackageManager). */
const TID_AM = SYSTEM_SERVER_PID + 35;
const TID_BINDER = SYSTEM_SERVER_PID + 663;
const TID_PM = SYSTEM_SERVER_PID + 58;

interface SystemState {
  /** Pids whose end was already logged by whoever ended them. */
  quietDeaths: Set<number>;
  /** While set, a force-stop PhoneState reports is ours (a crash resetting the app), not a user's. */
  quietForceStop: boolean;
  sessions: number;
}

const STATE = new WeakMap<VirtualDevice, SystemState>();

function state(device: VirtualDevice): SystemState {
  let s = STATE.get(device);
  if (!s) {
    s = { quietDeaths: new Set(), quietForceStop: false, sessions: 1_048_576_000 + (Date.now() % 1_000_000) };
    STATE.set(device, s);
  }
  return s;
}

/** UserHandle.formatUid: `u0a123` for an app id, the number for a system uid. */
export function formatUid(uid: number): string {
  const user = Math.floor(uid / 100000);
  const app = uid % 100000;
  if (app >= 10000 && app < 20000) return `u${user}a${app - 10000}`;
  if (app >= 90000) return `u${user}i${app - 90000}`;
  return String(uid);
}

/** `+350ms`, `+1s203ms` (TimeUtils.formatDuration as ActivityMetricsLogger prints it). */
export function formatLaunchDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s ? `+${s}s${ms % 1000}ms` : `+${ms}ms`;
}

function sys(device: VirtualDevice, tag: string, level: LogLevel, msg: string, tid = TID_AM, time?: number): void {
  device.logcat.write({ buffer: 'system', tag, level, msg, pid: SYSTEM_SERVER_PID, tid, uid: 1000, time });
}

function event(device: VirtualDevice, tag: string, msg: string, pid = SYSTEM_SERVER_PID, time?: number): void {
  device.logcat.write({ buffer: 'events', tag, level: 'I', msg, pid, tid: pid === SYSTEM_SERVER_PID ? TID_AM : pid, uid: pid === SYSTEM_SERVER_PID ? 1000 : 0, time });
}

function fromApp(device: VirtualDevice, p: Proc, tag: string, level: LogLevel, msg: string, buffer: LogId = 'main', tid = p.pid): void {
  device.logcat.write({ buffer, tag, level, msg, pid: p.pid, tid, uid: p.uid });
}

/** The full class name of an activity given as `.Name` or a full name. */
function activityClass(pkg: string, activity: string): string {
  return activity.startsWith('.') ? pkg + activity : activity;
}

function activityOf(device: VirtualDevice, pkg: string): string {
  return device.phone.apps.find((a) => a.pkg === pkg)?.activity ?? '.MainActivity';
}

/** Who asked: a shell tool that is running now (am, cmd, monkey, pm), or else the launcher (a tap on an icon). */
function caller(device: VirtualDevice): { pid: number; uid: number; shell: boolean } {
  const tools = device.procs.list().filter((p) => p.uid === SHELL_UID && ['am', 'cmd', 'monkey', 'pm', 'input'].includes(p.name.split('/').pop() ?? ''));
  const newest = tools[tools.length - 1];
  if (newest) return { pid: newest.pid, uid: SHELL_UID, shell: true };
  const launcher = device.procs.appProcess(LAUNCHER_PKG);
  return { pid: launcher?.pid ?? SYSTEM_SERVER_PID, uid: launcher?.uid ?? 10101, shell: false };
}

/** An app's process, forked now if it is not running (`Start proc … for REASON {pkg/Class}`). */
export function ensureAppProcess(device: VirtualDevice, pkg: string, reason = 'next-top-activity'): { proc: Proc; started: boolean } {
  const running = device.procs.appProcess(pkg);
  if (running) return { proc: running, started: false };
  const proc = device.procs.startApp(pkg);
  const cls = activityClass(pkg, activityOf(device, pkg));
  sys(device, 'ActivityManager', 'I', `Start proc ${proc.pid}:${pkg}/${formatUid(proc.uid)} for ${reason} {${pkg}/${cls}}`);
  event(device, 'am_proc_start', `[0,${proc.pid},${proc.uid},${pkg},${reason},{${pkg}/${cls}}]`);
  fromApp(device, proc, 'ActivityThread', 'I', `Init compatibility callbacks for ${pkg}`);
  return { proc, started: true };
}

function onLaunch(device: VirtualDevice, pkg: string, activity: string): void {
  const who = caller(device);
  const cmp = `${pkg}/${activity}`;
  const intent = who.shell
    ? `{flg=0x10000000 cmp=${cmp}}`
    : `{act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=${cmp}}`;
  const from = who.shell
    ? `from uid ${SHELL_UID} from pid ${who.pid} callingPackage com.android.shell (BAL_ALLOW_PERMISSION)`
    : `from uid ${who.uid} (${LAUNCHER_PKG}) (BAL_ALLOW_VISIBLE_WINDOW)`;
  sys(device, 'ActivityTaskManager', 'I', `START u0 ${intent} with LAUNCH_MULTIPLE ${from} result code=0`, TID_BINDER);
  const { proc, started } = ensureAppProcess(device, pkg);
  if (!started) return;
  const seed = [...pkg].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 3);
  fromApp(device, proc, activity.replace(/^.*\./, '') || 'Activity', 'D', 'onCreate');
  sys(device, 'ActivityTaskManager', 'I', `Displayed ${cmp} for user 0: ${formatLaunchDuration(320 + (seed % 460))}`, TID_AM);
}

/** Ends an app's process as ActivityManager does (`Killing PID:pkg/u0aN (adj N): REASON`). */
export function killApp(device: VirtualDevice, p: Proc, reason: string): void {
  const adj = device.phone.foreground === p.name ? 0 : 905;
  sys(device, 'ActivityManager', 'I', `Killing ${p.pid}:${p.name}/${formatUid(p.uid)} (adj ${adj}): ${reason}`);
  event(device, 'am_kill', `[0,${p.pid},${p.name},${adj},${reason}]`);
  state(device).quietDeaths.add(p.pid);
  device.procs.terminate(p.pid, SIGNALS.KILL);
}

function onForceStop(device: VirtualDevice, pkg: string, reason?: string): void {
  if (state(device).quietForceStop) return;
  if (!device.phone.apps.some((a) => a.pkg === pkg)) return;
  // The package manager may have just logged the force-stop with its own reason (installPackageLI, …).
  const prev = device.logcat.last('system');
  const m = prev && device.logcat.nowUs() - prev.us < 1_000_000 ? /^Force stopping (\S+) appid=\d+ user=-?\d+: (.*)$/.exec(prev.msg) : null;
  const why = reason ?? (m && m[1] === pkg ? m[2] : `from pid ${caller(device).pid}`);
  const uid = device.procs.appUid(pkg);
  if (!(m && m[1] === pkg)) sys(device, 'ActivityManager', 'I', `Force stopping ${pkg} appid=${uid % 100000} user=0: ${why}`);
  const p = device.procs.appProcess(pkg);
  if (p) killApp(device, p, `stop ${pkg} due to ${why}`);
}

/** Resets what a dead app held in memory (its screen goes, the launcher comes back), without logging a force-stop. */
function appDied(device: VirtualDevice, pkg: string): void {
  const s = state(device);
  s.quietForceStop = true;
  try {
    device.phone.forceStop(pkg);
    if (pkg === STOPWATCH_PKG && device.phone.stopwatchStart !== undefined) {
      device.phone.stopwatchStart = undefined;
      device.phone.stopwatchElapsed = 0;
      device.phone.version++;
    }
  } finally {
    s.quietForceStop = false;
  }
}

function onInput(device: VirtualDevice, kind: 'touch' | 'key'): void {
  const pkg = device.phone.foreground;
  const p = device.procs.appProcess(pkg) ?? ensureAppProcess(device, pkg, 'top-activity').proc;
  const window = `ViewRootImpl[${activityOf(device, pkg).replace(/^.*\./, '')}]`;
  fromApp(device, p, window, 'I', `ViewPostIme ${kind === 'touch' ? 'pointer' : 'key'} 0`);
  fromApp(device, p, window, 'I', `ViewPostIme ${kind === 'touch' ? 'pointer' : 'key'} 1`);
}

function onPhoneEvent(device: VirtualDevice, e: PhoneEvent): void {
  switch (e.type) {
    case 'launch': onLaunch(device, e.pkg, e.activity); break;
    case 'forceStop': onForceStop(device, e.pkg); break;
    case 'input': onInput(device, e.kind); break;
    case 'app': {
      const p = device.procs.appProcess(e.pkg) ?? ensureAppProcess(device, e.pkg, 'top-activity').proc;
      fromApp(device, p, e.tag, e.level, e.msg);
      break;
    }
    case 'changed': {
      // Back to an app whose process is gone: Android forks it again for the activity on top.
      const fg = device.phone.foreground;
      if (!state(device).quietForceStop && !device.procs.appProcess(fg) && device.phone.apps.some((a) => a.pkg === fg)) ensureAppProcess(device, fg, 'top-activity');
      break;
    }
  }
}

/** The lines of `am crash`: the app's main thread throws what the shell asked for. */
const ADB_CRASH = [
  'android.app.RemoteServiceException$CrashedByAdbException: shell-induced crash',
  '\tat android.app.ActivityThread.throwRemoteServiceException(ActivityThread.java:2212)',
  '\tat android.app.ActivityThread.-$$Nest$mthrowRemoteServiceException(Unknown Source:0)',
  '\tat android.app.ActivityThread$H.handleMessage(ActivityThread.java:2508)',
  '\tat android.os.Handler.dispatchMessage(Handler.java:106)',
  '\tat android.os.Looper.loopOnce(Looper.java:205)',
  '\tat android.os.Looper.loop(Looper.java:294)',
  '\tat android.app.ActivityThread.main(ActivityThread.java:8177)',
  '\tat java.lang.reflect.Method.invoke(Native Method)',
  '\tat com.android.internal.os.RuntimeInit$MethodAndArgsCaller.run(RuntimeInit.java:552)',
  '\tat com.android.internal.os.ZygoteInit.main(ZygoteInit.java:971)',
];

/**
 * Crashes an app's process as an uncaught exception on its main thread does (`am crash PKG|PID`): the
 * trace goes to the crash buffer under AndroidRuntime, the process dies with SIGKILL, its activity is
 * finished and the launcher comes back. Returns the pid that crashed, or undefined when nothing runs.
 */
export function crashApp(device: VirtualDevice, target: string, trace: string[] = ADB_CRASH): number | undefined {
  const p = /^\d+$/.test(target) ? device.procs.get(Number(target)) : device.procs.appProcess(target);
  if (!p || p.kind !== 'app') return undefined;
  const pkg = p.name;
  fromApp(device, p, 'AndroidRuntime', 'D', 'Shutting down VM');
  fromApp(device, p, 'AndroidRuntime', 'E', ['FATAL EXCEPTION: main', `Process: ${pkg}, PID: ${p.pid}`, ...trace].join('\n'), 'crash');
  const [exClass, ...exMsg] = (trace[0] ?? 'java.lang.RuntimeException').split(': ');
  const top = /\((\w+\.java):(\d+)\)/.exec(trace[1] ?? '');
  event(device, 'am_crash', `[${p.pid},0,${pkg},${0x38c83e44},${exClass},${exMsg.join(': ')},${top?.[1] ?? 'Unknown'},${top?.[2] ?? 0},0]`);
  fromApp(device, p, 'Process', 'I', `Sending signal. PID: ${p.pid} SIG: 9`);
  const fg = device.phone.foreground === pkg;
  if (fg) sys(device, 'ActivityTaskManager', 'W', `  Force finishing activity ${pkg}/${activityOf(device, pkg)}`, TID_BINDER);
  state(device).quietDeaths.add(p.pid);
  device.procs.terminate(p.pid, SIGNALS.KILL);
  sys(device, 'ActivityManager', 'I', `Process ${pkg} (pid ${p.pid}) has died: ${fg ? 'fg  TOP ' : 'cch+ 5 CEM '}`);
  event(device, 'am_proc_died', `[0,${p.pid},${pkg},${fg ? 0 : 905},${fg ? 2 : 16}]`);
  appDied(device, pkg);
  return p.pid;
}

/** `am kill PKG`: ends the app's process if it is in the background (a foreground app is left alone). */
export function killBackgroundApp(device: VirtualDevice, pkg: string): boolean {
  const p = device.procs.appProcess(pkg);
  if (!p || device.phone.foreground === pkg || pkg === LAUNCHER_PKG || pkg === SYSTEMUI_PKG) return false;
  killApp(device, p, `kill background`);
  return true;
}

/** `am kill-all`: every background app process. */
export function killAllBackground(device: VirtualDevice): number {
  let n = 0;
  for (const p of device.procs.list()) {
    if (p.kind === 'app' && p.uid >= 10000 && p.name !== device.phone.foreground && p.name !== LAUNCHER_PKG && p.name !== SYSTEMUI_PKG && p.name !== 'com.android.inputmethod.latin') {
      killApp(device, p, 'kill all background');
      n++;
    }
  }
  return n;
}

export interface PackageLogEvent {
  type: 'install' | 'replace' | 'uninstall';
  pkg: string;
  /** The uid the package manager gave the package (ps and logcat then show it). */
  uid?: number;
  /** Where the APK now lives (`/data/app/~~…/pkg-…`), and where the old one lived for a replace. */
  codePath?: string;
  oldCodePath?: string;
}

/**
 * The lines PackageManager and ActivityManager write for an install, a replace (`install -r`) or an
 * uninstall; a running process of the package is killed first, as installPackageLI / deletePackageX do.
 * For the package-manager commands to call.
 */
export function logPackageEvent(device: VirtualDevice, e: PackageLogEvent): void {
  if (e.uid !== undefined) device.procs.setAppUid(e.pkg, e.uid);
  const uid = device.procs.appUid(e.pkg);
  const appid = uid % 100000;
  const st = state(device);
  const stopFor = (why: string) => {
    sys(device, 'ActivityManager', 'I', `Force stopping ${e.pkg} appid=${appid} user=-1: ${why}`, TID_PM);
    const p = device.procs.appProcess(e.pkg);
    if (p) {
      killApp(device, p, `stop ${e.pkg} due to ${why}`);
      appDied(device, e.pkg);
    }
  };
  if (e.type === 'uninstall') {
    stopFor('deletePackageX');
    sys(device, 'ActivityManager', 'I', `Force stopping ${e.pkg} appid=${appid} user=0: pkg removed`, TID_PM);
    return;
  }
  const session = ++st.sessions;
  sys(device, 'PackageManager', 'I', `Integrity check passed for file:///data/app/vmdl${session}.tmp`, TID_PM);
  if (e.type === 'replace') {
    stopFor('installPackageLI');
    if (e.codePath) sys(device, 'PackageManager', 'I', `Update package ${e.pkg} code path from ${e.oldCodePath ?? e.codePath} to ${e.codePath}; Retain data and using new`, TID_PM);
    sys(device, 'ActivityManager', 'I', `Force stopping ${e.pkg} appid=${appid} user=0: pkg removed`, TID_PM);
  }
}

/** What a phone logged while it booted, stamped at the times it happened (before anyone connected). */
function bootLog(device: VirtualDevice): void {
  const boot = device.procs.bootTime;
  const lines: Array<{ at: number; write: (time: number) => void }> = [];
  const add = (ms: number, write: (time: number) => void) => lines.push({ at: boot + ms, write });
  const z = (ms: number, level: LogLevel, msg: string) => add(ms, (time) => device.logcat.write({ buffer: 'main', tag: 'Zygote', level, msg, pid: ZYGOTE_PID, tid: ZYGOTE_PID, uid: 0, time }));
  const ss = (ms: number, tag: string, msg: string, level: LogLevel = 'I', tid = SYSTEM_SERVER_PID) => add(ms, (time) => sys(device, tag, level, msg, tid, time));
  const ev = (ms: number, tag: string, msg: string, pid = SYSTEM_SERVER_PID) => add(ms, (time) => event(device, tag, msg, pid, time));
  const app = (p: Proc | undefined, ms: number, buffer: LogId, tag: string, level: LogLevel, msg: string, tid = p?.pid) => {
    if (p) add(p.started - boot + ms, (time) => device.logcat.write({ buffer, tag, level, msg, pid: p.pid, tid, uid: p.uid, time }));
  };
  ev(3010, 'boot_progress_start', '3010', ZYGOTE_PID);
  z(3020, 'D', 'begin preload');
  z(3030, 'I', 'Calling ZygoteHooks.beginPreload()');
  ev(3100, 'boot_progress_preload_start', '3100', ZYGOTE_PID);
  z(3104, 'I', 'Preloading classes...');
  z(4280, 'I', '...preloaded 7721 classes in 1176ms.');
  z(4700, 'I', 'Preloading resources...');
  z(4790, 'I', '...preloaded 64 resources in 90ms.');
  ev(4850, 'boot_progress_preload_end', '4850', ZYGOTE_PID);
  z(4860, 'D', 'end preload');
  z(4990, 'D', `Forked child process ${SYSTEM_SERVER_PID}`);
  z(4991, 'I', `System server process ${SYSTEM_SERVER_PID} has been created`);
  ev(5040, 'boot_progress_system_run', '5040');
  ss(5050, 'SystemServer', 'Entered the Android system server!');
  ss(5210, 'SystemServiceManager', 'Starting com.android.server.am.ActivityManagerService$Lifecycle');
  ev(5600, 'boot_progress_pms_start', '5600');
  ss(5610, 'PackageManager', `Finished scanning system apps. Time: 412 ms, packageCount: ${device.phone.apps.length} , timePerPackage: 68 , cached: ${device.phone.apps.length}`, 'I', TID_PM);
  ev(6400, 'boot_progress_pms_ready', '6400');
  ss(8200, 'SystemServer', 'Making services ready');
  ss(8400, 'ActivityManager', 'System now ready', 'I', TID_AM);
  ev(8410, 'boot_progress_ams_ready', '8410');
  for (const p of device.procs.list()) {
    if (p.kind !== 'app') continue;
    const at = p.started - boot;
    const why = p.name === LAUNCHER_PKG ? 'top-activity' : p.name === 'com.android.phone' ? 'added application' : 'service';
    const what = p.name === LAUNCHER_PKG ? `{${p.name}/${activityClass(p.name, activityOf(device, p.name))}}`
      : why === 'service' ? `{${p.name}/${p.name}.${p.name === SYSTEMUI_PKG ? 'SystemUIService' : 'Service'}}` : p.name;
    if (p.name === LAUNCHER_PKG) {
      ss(at - 40, 'ActivityTaskManager', `START u0 {act=android.intent.action.MAIN cat=[android.intent.category.HOME] flg=0x10000100 cmp=${p.name}/${activityOf(device, p.name)}} with LAUNCH_SINGLE_TASK from uid 0 (BAL_ALLOW_ALLOWLISTED_UID) result code=0`, 'I', TID_BINDER);
    }
    ss(at, 'ActivityManager', `Start proc ${p.pid}:${p.name}/${formatUid(p.uid)} for ${why} ${what}`, 'I', TID_AM);
    ev(at + 1, 'am_proc_start', `[0,${p.pid},${p.uid},${p.name},${why},${what}]`);
  }
  app(device.procs.appProcess(SYSTEMUI_PKG), 700, 'main', 'SystemUIService', 'I', 'Starting SystemUI services for user 0.');
  const phone = device.procs.appProcess('com.android.phone');
  app(phone, 900, 'radio', 'RILJ', 'D', '[0001]> RADIO_POWER on=true forEmergencyCall=false preferredForEmergencyCall=false [PHONE0]');
  app(phone, 960, 'radio', 'RILJ', 'D', '[0001]< RADIO_POWER  [PHONE0]', (phone?.pid ?? 0) + 21);
  const launcher = device.procs.appProcess(LAUNCHER_PKG);
  if (launcher) {
    const at = launcher.started - boot;
    ss(at + 1203, 'ActivityTaskManager', `Displayed ${LAUNCHER_PKG}/${activityOf(device, LAUNCHER_PKG)} for user 0: +1s203ms`, 'I', TID_AM);
    ev(at + 1500, 'boot_progress_enable_screen', String(at + 1500));
    ev(at + 2400, 'sf_stop_bootanim', String(at + 2400), 420);
    ev(at + 2450, 'wm_boot_animation_done', String(at + 2450));
    ss(at + 6000, 'ActivityManager', 'Finished processing BOOT_COMPLETED for u0', 'I', TID_AM);
  }
  // logd hands entries out in the order they arrived, which for a boot is the order they happened.
  lines.sort((a, b) => a.at - b.at);
  for (const l of lines) l.write(l.at);
}

/** Wires the phone to its processes and logs: boot lines first, then every launch, stop, input and app event. */
export function attachSystem(device: VirtualDevice): void {
  state(device);
  bootLog(device);
  device.procs.onEvent((e) => {
    if (e.type === 'reboot') {
      // logd starts empty after a reboot; what is in it is the new boot.
      device.logcat.clear();
      bootLog(device);
      return;
    }
    if (e.type !== 'exit' || e.proc.kind !== 'app') return;
    const st = state(device);
    if (st.quietDeaths.delete(e.proc.pid)) return;
    // Killed by a signal someone else sent (kill -9 as root, lmkd): ActivityManager notices the death.
    const fg = device.phone.foreground === e.proc.name;
    sys(device, 'ActivityManager', 'I', `Process ${e.proc.name} (pid ${e.proc.pid}) has died: ${fg ? 'fg  TOP ' : 'cch+ 5 CEM '}`);
    event(device, 'am_proc_died', `[0,${e.proc.pid},${e.proc.name},${fg ? 0 : 905},${fg ? 2 : 16}]`);
    appDied(device, e.proc.name);
  });
  device.phone.onEvent = (e) => onPhoneEvent(device, e);
}
