import { promises as fs } from 'node:fs';
import { Sandbox, SandboxError } from '../sandbox';
import { readAll, type Io } from '../os/io';
import type { Command, CommandContext } from './types';
import { KEYCODES } from '../phone';
import { perfTestBuiltin } from '../perfTestRunner';
import { screenrecordBuiltin } from '../screenrecord';
import { androidInputText, untypable } from '../../screen/input';

type ShellIO = Io;
type ShellContext = CommandContext;
type Builtin = Command;

function splitFlags(argv: string[], known: string): { flags: Set<string>; args: string[] } {
  const flags = new Set<string>();
  const args: string[] = [];
  let done = false;
  for (const a of argv.slice(1)) {
    if (!done && a === '--') { done = true; continue; }
    if (!done && a.length > 1 && a.startsWith('-') && [...a.slice(1)].every((c) => known.includes(c))) {
      for (const c of a.slice(1)) flags.add(c);
    } else {
      args.push(a);
    }
  }
  return { flags, args };
}

function errText(e: unknown): string {
  if (e instanceof SandboxError) return 'Permission denied';
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'No such file or directory';
  return e instanceof Error ? e.message : String(e);
}

/** Android's own tools (am, pm, input, settings, dumpsys, screencap, uiautomator, getprop…) on the virtual phone. */
export const ANDROID_COMMANDS: Record<string, Builtin> = {
  getprop: (argv, io, ctx) => {
    const props = ctx.device.properties();
    if (argv[1]) {
      io.out(`${props.get(argv[1]) ?? argv[2] ?? ''}\n`);
    } else {
      for (const k of [...props.keys()].sort()) io.out(`[${k}]: [${props.get(k)}]\n`);
    }
    return 0;
  },
  setprop: (argv, io, ctx) => {
    if (argv.length < 3) { io.err('usage: setprop NAME VALUE\n'); return 1; }
    if (!/^(debug|persist\.debug|log)\./.test(argv[1])) { io.err(`Failed to set property '${argv[1]}' to '${argv[2]}'.\nSee dmesg for error reason.\n`); return 1; }
    ctx.device.profile.props[argv[1]] = argv[2];
    return 0;
  },
  settings: (argv, io, ctx) => {
    // SettingsService's shell command: [--user N] get|put|delete|list NAMESPACE [KEY [VALUE]].
    const args = argv.slice(1);
    if (args[0] === '--user') args.splice(0, 2);
    const [verb, ns, key, value] = args;
    const usage = () => { io.err('usage: settings [--user N] get|put|delete|list NAMESPACE [KEY [VALUE]]\n'); return 1; };
    if (!verb || !ns) return usage();
    if (!['system', 'secure', 'global'].includes(ns)) { io.err(`Invalid namespace '${ns}'\n`); return 1; }
    const map: Record<string, string> = { wifi_on: 'wifi', bluetooth_on: 'bluetooth', airplane_mode_on: 'airplane', location_mode: 'location', zen_mode: 'dnd', ui_night_mode: 'dark' };
    const toggle = key ? map[key] : undefined;
    if (key === 'user_rotation' || key === 'accelerometer_rotation') {
      if (verb === 'get') { io.out(`${key === 'user_rotation' ? ctx.phone.rotation : 0}\n`); return 0; }
      if (verb === 'put' && value !== undefined) {
        if (key === 'accelerometer_rotation') return 0; // the virtual phone has no sensor: rotation is always user-set
        if (!/^[0-3]$/.test(value) || !ctx.phone.setRotation(Number(value))) { io.err(`Error: user_rotation must be 0, 1, 2 or 3, not ${value}\n`); return 1; }
        return 0;
      }
    }
    const store = settingsStore(ctx.phone, ctx.device.serial)[ns];
    const toggleValue = (k: string, t: string) => `${ctx.phone.toggles[t] ? (k === 'ui_night_mode' ? 2 : k === 'location_mode' ? 3 : 1) : k === 'ui_night_mode' ? 1 : 0}`;
    switch (verb) {
      case 'get':
        if (!key) return usage();
        io.out(`${toggle ? toggleValue(key, toggle) : store.get(key) ?? 'null'}\n`);
        return 0;
      case 'put':
        if (!key || value === undefined) return usage();
        if (toggle) { ctx.phone.toggles[toggle] = value !== '0' && !(key === 'ui_night_mode' && value === '1'); ctx.phone.version++; }
        else store.set(key, value);
        return 0;
      case 'delete':
        if (!key) return usage();
        io.out(`Deleted ${store.delete(key) ? 1 : 0} rows\n`);
        return 0;
      case 'list': {
        const all = new Map(store);
        for (const [k, t] of Object.entries(map)) if ((ns === 'global' && k !== 'location_mode' && k !== 'ui_night_mode') || (ns === 'secure' && (k === 'location_mode' || k === 'ui_night_mode'))) all.set(k, toggleValue(k, t));
        for (const k of [...all.keys()].sort()) io.out(`${k}=${all.get(k)}\n`);
        return 0;
      }
      default:
        return usage();
    }
  },
  svc: (argv, io, ctx) => {
    const [, what, verb] = argv;
    // svc power stayon [true|false|usb|ac|wireless], svc data/nfc/usb: accepted as on a phone (no state here).
    if (what === 'power' && verb === 'stayon' && /^(true|false|usb|ac|wireless)$/.test(argv[3] ?? '')) return 0;
    if ((what === 'data' || what === 'nfc') && (verb === 'enable' || verb === 'disable')) return 0;
    const key = what === 'wifi' ? 'wifi' : what === 'bluetooth' ? 'bluetooth' : undefined;
    if (!key || (verb !== 'enable' && verb !== 'disable')) { io.err('usage: svc wifi|bluetooth|data|power enable|disable|stayon\n'); return 1; }
    ctx.phone.toggles[key] = verb === 'enable';
    ctx.phone.version++;
    return 0;
  },
  wm: (argv, io, ctx) => {
    const p = ctx.device.profile;
    if (argv[1] === 'size' && argv.length === 2) { io.out(`Physical size: ${p.width}x${p.height}\n`); return 0; }
    if (argv[1] === 'density' && argv.length === 2) { io.out(`Physical density: ${p.density}\n`); return 0; }
    // WindowManagerShellCommand dismiss-keyguard: the virtual phone has no lock screen to dismiss.
    if (argv[1] === 'dismiss-keyguard') return 0;
    if (argv[1] === 'size' || argv[1] === 'density') { io.err('Security exception: changing the display is not supported by the virtual phone\n'); return 1; }
    io.err('usage: wm size|density\n');
    return 1;
  },
  input: (argv, io, ctx) => inputCommand(argv, io, ctx),
  screencap: async (argv, io, ctx) => {
    const { flags, args } = splitFlags(argv, 'pj');
    const file = args.find((a) => !/^\d+$/.test(a) && a !== '-d');
    const png = flags.has('p') || (file?.endsWith('.png') ?? false);
    const data = png ? await ctx.device.screenshotPng() : await ctx.device.screenshotRaw();
    if (file) await ctx.fs.writeFile(Sandbox.normalize(file, ctx.cwd), data);
    else io.out(data);
    return 0;
  },
  uiautomator: async (argv, io, ctx) => {
    if (argv[1] !== 'dump') { io.err('Usage: uiautomator dump [--compressed] [file]\n'); return 1; }
    const file = argv.slice(2).find((a) => !a.startsWith('--')) ?? '/sdcard/window_dump.xml';
    const xml = ctx.phone.uiXml();
    if (file === '/dev/tty' || file === '/dev/stdout') {
      io.out(xml);
      io.out('UI hierchary dumped to: /dev/tty\n');
      return 0;
    }
    await ctx.fs.writeFile(Sandbox.normalize(file, ctx.cwd), xml);
    io.out(`UI hierchary dumped to: ${Sandbox.normalize(file, ctx.cwd)}\n`);
    return 0;
  },
  dumpsys: (argv, io, ctx) => dumpsys(argv, io, ctx),
  cmd: (argv, io, ctx) => {
    if (argv[1] === 'activity') return am(argv.slice(2), io, ctx);
    // The clipboard service implements no shell command on stock Android: Binder's default answer, exit 0.
    if (argv[1] === 'clipboard') { io.err('No shell command implementation.\n'); return 0; }
    io.err(`cmd: Can't find service: ${argv[1] ?? ''}\n`);
    return 20;
  },
  am: (argv, io, ctx) => am(argv.slice(1), io, ctx),
  screenrecord: (argv, io, ctx) => screenrecordBuiltin(argv, io, ctx.device, ctx.cwd),
  onnxruntime_perf_test: (argv, io, ctx) => perfTestBuiltin(argv, { out: (s) => io.out(s), err: (s) => io.err(s) }, ctx.fs, ctx.cwd, ctx.signal, ctx.device.procs.get(ctx.pid)),
  app_process: async (argv, io, ctx) => {
    // The phone runs no dex code: whatever CLASSPATH names, the class is not found. On Android 14 app_process
    // then aborts (SIGABRT) after logging the lookup failure (AndroidRuntime/app_main.cpp "could not find class",
    // ART's "No pending exception expected: java.lang.ClassNotFoundException"), and mksh reports "Aborted"
    // (status 134): what scrcpy, uiautomator-style runners and ape users see when the jar is missing or not dex.
    const args = argv.slice(1);
    let i = 0;
    while (i < args.length && args[i].startsWith('-')) i++;
    const parentDir = args[i];
    const cls = args[i + 1]?.startsWith('--') ? undefined : args[i + 1];
    if (parentDir === undefined || cls === undefined) {
      io.err('Error: no class name or --zygote supplied.\nUsage: app_process [java-options] cmd-dir start-class-name [options]\n');
      return 10;
    }
    const classpath = ctx.env.CLASSPATH ?? '';
    const pid = ctx.pid;
    const log = (level: 'D' | 'E' | 'F', tag: string, msg: string) => ctx.device.logcat.write({ buffer: 'main', tag, level, msg, pid, tid: pid, uid: ctx.uid });
    log('D', 'AndroidRuntime', '>>>>>> START com.android.internal.os.RuntimeInit uid 2000 <<<<<<');
    log('E', 'appproc', `ERROR: could not find class '${cls}'`);
    const dexPath = classpath.split(':').filter(Boolean).map((p) => `zip file "${p}"`).join(', ');
    log('F', 'app_process', `thread.cc:2600] No pending exception expected: java.lang.ClassNotFoundException: Didn't find class "${cls}" on path: DexPathList[[${dexPath}],nativeLibraryDirectories=[/system/lib64, /system_ext/lib64]]`);
    io.err('Aborted \n');
    return 134;
  },
  monkey: (argv, io, ctx) => {
    // /system/bin/monkey is a script: it echoes each argument ("  bash arg: X") before starting Monkey.java
    // (AOSP development/cmds/monkey/monkey). With -p PKG the first event launches the package; the event count
    // is the last operand; "Events injected: N" closes the run (Monkey.runMonkeyCycles).
    for (const a of argv.slice(1)) io.out(`  bash arg: ${a}\n`);
    const pkgs: string[] = [];
    let count: number | undefined;
    const withValue = new Set(['-s', '--throttle', '-c', '--pct-touch', '--pct-motion', '--pct-trackball', '--pct-nav', '--pct-majornav', '--pct-syskeys', '--pct-appswitch', '--pct-anyevent', '--pct-flip', '--pct-pinchzoom', '--pct-rotation', '--pct-permission', '--pkg-blacklist-file', '--pkg-whitelist-file', '--port', '-f', '--profile-wait', '--device-sleep-time', '--setup', '--runtime']);
    const rest = argv.slice(1);
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      if (a === '-p') { if (rest[i + 1] !== undefined) pkgs.push(rest[++i]); continue; }
      if (withValue.has(a)) { i++; continue; }
      if (a.startsWith('-')) continue;
      if (/^\d+$/.test(a)) count = Number(a);
      else { io.err(`** Error: Invalid argument: ${a}\n`); return 255; }
    }
    if (count === undefined) { io.err('** Error: Count not specified\n'); return 255; }
    if (!pkgs.length || !pkgs.some((p) => ctx.phone.launch(p))) { io.err('** No activities found to run, monkey aborted.\n'); return 252; }
    io.out(`Events injected: ${count}\n## Network stats: elapsed time=${12 + count}ms (0ms mobile, 0ms wifi, ${12 + count}ms not connected)\n`);
    return 0;
  },
  sh: async (argv, io, ctx) => {
    const i = argv.indexOf('-c');
    if (i >= 0) {
      if (argv[i + 1] === undefined) { await io.err('sh: -c: option requires an argument\n'); return 1; }
      // `sh -c CMD` without more operands: $0 (and the name in its messages) is how sh was called.
      return ctx.sh(argv[i + 1], io, argv.slice(i + 2).length ? argv.slice(i + 2) : [argv[0]]);
    }
    const file = argv.slice(1).find((a) => !a.startsWith('-'));
    if (file) {
      let text: string;
      try {
        text = (await fs.readFile(await ctx.fs.resolve(file, ctx.cwd, 'read', ctx.uid))).toString('utf8');
      } catch (e) {
        await io.err(`sh: ${file}: ${errText(e)}\n`);
        return 127;
      }
      return ctx.sh(text.replace(/^#![^\n]*\n?/, ''), io, argv.slice(argv.indexOf(file)));
    }
    // `sh` reading its script from stdin.
    return ctx.sh((await readAll(io.stdin)).toString('utf8'), io);
  },
};

function keyCode(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  const k = name.toUpperCase().replace(/^KEYCODE_/, '');
  return KEYCODES[k];
}

function inputCommand(argv: string[], io: ShellIO, ctx: ShellContext): number {
  let args = argv.slice(1);
  if (['touchscreen', 'touchpad', 'keyboard', 'mouse', 'dpad', 'gamepad', 'stylus', 'trackball'].includes(args[0])) args = args.slice(1);
  if (args[0] === '-d') args = args.slice(2);
  const [verb, ...rest] = args;
  const nums = rest.map(Number);
  const usage = () => { io.err(`Error: Invalid arguments for command: ${verb ?? ''}\nUsage: input [<source>] <command> [<arg>...]\n`); return 1; };
  const bad = (n: number) => nums.slice(0, n).some((v) => !Number.isFinite(v)) || rest.length < n;
  const phone = ctx.phone;
  switch (verb) {
    case 'tap':
      if (bad(2)) return usage();
      phone.tap(nums[0], nums[1]);
      return 0;
    case 'swipe':
    case 'draganddrop':
      if (bad(4)) return usage();
      phone.swipe(nums[0], nums[1], nums[2], nums[3], Number.isFinite(nums[4]) ? nums[4] : 300);
      return 0;
    case 'longpress':
      if (bad(2)) return usage();
      phone.longPress(nums[0], nums[1]);
      return 0;
    case 'text': {
      // As InputShellCommand.sendText: one argument, each "%s" read as a space, then key events from the
      // VIRTUAL_KEYBOARD character map, which has printable ASCII only (getEvents returns null otherwise).
      if (!rest.length) return usage();
      const text = androidInputText(rest[0]);
      if (untypable(text).length) {
        io.err("Exception occurred while executing 'text':\njava.lang.NullPointerException: Attempt to get length of null array\n\tat com.android.server.input.InputShellCommand.sendText(InputShellCommand.java)\n");
        return 255;
      }
      phone.typeText(text);
      return 0;
    }
    case 'keyevent':
    case 'press': {
      const keys = rest.filter((k) => !k.startsWith('--'));
      if (!keys.length && verb === 'keyevent') return usage();
      for (const k of keys.length ? keys : ['DPAD_CENTER']) {
        const code = keyCode(k);
        if (code === undefined) { io.err(`Error: Unknown keycode: ${k}\n`); return 1; }
        phone.key(code);
      }
      return 0;
    }
    default:
      return usage();
  }
}

function dumpsys(argv: string[], io: ShellIO, ctx: ShellContext): number {
  const phone = ctx.phone;
  const what = argv[1];
  const act = phone.currentActivity();
  switch (what) {
    case 'battery': {
      const b = phone.battery;
      io.out(['Current Battery Service state:', `  AC powered: ${b.plugged === 1}`, `  USB powered: ${b.plugged === 2}`, '  Wireless powered: false', '  Max charging current: 500000',
        '  Max charging voltage: 5000000', '  Charge counter: 3650000', `  status: ${b.status}`, '  health: 2', '  present: true', `  level: ${b.level}`, '  scale: 100',
        `  voltage: ${b.voltage}`, `  temperature: ${b.temperature}`, '  technology: Li-ion', ''].join('\n'));
      return 0;
    }
    case 'window':
      io.out(`WINDOW MANAGER WINDOWS (dumpsys window windows)\n  mCurrentFocus=Window{1a2b3c u0 ${act}}\n  mFocusedApp=ActivityRecord{4d5e6f u0 ${act} t12}\n  mScreenOn=${phone.screenOn}\n`);
      return 0;
    case 'activity':
      io.out(`ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\n  mResumedActivity: ActivityRecord{4d5e6f u0 ${act} t12}\n  ResumedActivity: ActivityRecord{4d5e6f u0 ${act} t12}\n`);
      return 0;
    case 'display': {
      const p = ctx.device.profile;
      const [lw, lh] = phone.logicalSize;
      io.out(`DISPLAY MANAGER (dumpsys display)\n  mBaseDisplayInfo=DisplayInfo{"Built-in Screen", displayId 0, real ${p.width} x ${p.height}, rotation 0, density ${p.density}, state ${phone.screenOn ? 'ON' : 'OFF'}}\n` +
        `Logical Displays: size=1\n  Display 0:\n    mOverrideDisplayInfo=DisplayInfo{"Built-in Screen", displayId 0, real ${lw} x ${lh}, rotation ${phone.rotation}, density ${p.density}, state ${phone.screenOn ? 'ON' : 'OFF'}}\n`);
      return 0;
    }
    case 'power':
      io.out(`POWER MANAGER (dumpsys power)\n  mWakefulness=${phone.screenOn ? 'Awake' : 'Asleep'}\n  Display Power: state=${phone.screenOn ? 'ON' : 'OFF'}\n`);
      return 0;
    case 'input_method':
      // What Appium's isKeyboardShown and similar scripts grep for: the IME is not shown on the virtual phone.
      io.out('Current Input Method Manager state:\n  mCurMethodId=com.android.inputmethod.latin/.LatinIME\n  mCurFocusedWindowSoftInputMode=STATE_UNSPECIFIED|ADJUST_UNSPECIFIED\n' +
        '  mInputShown=false\n  mShowRequested=false\n  mIsInputViewShown=false\n');
      return 0;
    case 'meminfo':
    case 'gfxinfo':
      return dumpsysProcess(what, argv.slice(2), io, ctx);
    case 'cpuinfo': {
      // frameworks/base ProcessCpuTracker.printCurrentState: the busiest processes since the last sample.
      const procs = ctx.device.procs.list().filter((p) => p.argv.length && (p.cpuShare ?? 0) > 0).sort((a, b) => (b.cpuShare ?? 0) - (a.cpuShare ?? 0)).slice(0, 12);
      const now = Date.now();
      let out = `Load: 1.11 / 0.89 / 0.86\nCPU usage from ${Math.min(60000, ctx.device.procs.uptimeMs(now))}ms to 0ms ago (${new Date(now - 60000).toISOString().replace('T', ' ').slice(0, 23)} to ${new Date(now).toISOString().replace('T', ' ').slice(0, 23)}):\n`;
      let total = 0;
      for (const p of procs) {
        const pct = Math.round((p.cpuShare ?? 0) * 1000) / 10;
        total += pct;
        out += `  ${pct}% ${p.pid}/${p.argv[0].split('/').pop()}: ${Math.round(pct * 6.5) / 10}% user + ${Math.round(pct * 3.5) / 10}% kernel\n`;
      }
      total = Math.round(total * 10) / 10;
      out += `${total}% TOTAL: ${Math.round(total * 6.5) / 10}% user + ${Math.round(total * 3.5) / 10}% kernel + 0% iowait + 0% irq + 0% softirq\n`;
      io.out(out);
      return 0;
    }
    case undefined:
    case '-l':
      io.out('Currently running services:\n  activity\n  battery\n  cpuinfo\n  display\n  gfxinfo\n  input_method\n  meminfo\n  package\n  power\n  window\n');
      return 0;
    default:
      io.err(`Can't find service: ${what}\n`);
      return 0;
  }
}

/**
 * `dumpsys meminfo [PKG|PID]` and `dumpsys gfxinfo PKG`: the per-app reports performance scripts read (the
 * "TOTAL PSS:" and "Total frames rendered:" lines), laid out as ActivityThread.dumpMemInfoTable and
 * libhwui's JankTracker print them, sized from the process's resident memory. "No process found for: X"
 * when the app is not running, as ActivityManagerService answers.
 */
function dumpsysProcess(what: 'meminfo' | 'gfxinfo', args: string[], io: ShellIO, ctx: ShellContext): number {
  const target = args.find((a) => !a.startsWith('-'));
  const now = Date.now();
  const up = ctx.device.procs.uptimeMs(now);
  const head = what === 'meminfo' ? 'Applications Memory Usage (in Kilobytes):' : 'Applications Graphics Acceleration Info:';
  if (!target) {
    if (what === 'gfxinfo') { io.out(`${head}\nUptime: ${up} Realtime: ${up}\n`); return 0; }
    let out = `${head}\nUptime: ${up} Realtime: ${up}\n\nTotal RSS by process:\n`;
    const procs = ctx.device.procs.list().filter((p) => p.argv.length).sort((a, b) => b.rssKb - a.rssKb);
    for (const p of procs) out += `${`${p.rssKb.toLocaleString('en-US')}K`.padStart(12)}: ${p.argv[0].split('/').pop()} (pid ${p.pid})\n`;
    const total = procs.reduce((a, p) => a + p.rssKb, 0);
    io.out(`${out}\nTotal RAM: ${ctx.device.profile.ramKb.toLocaleString('en-US')}K (status normal)\n  Used RSS: ${total.toLocaleString('en-US')}K\n`);
    return 0;
  }
  const p = ctx.device.procs.list().find((x) => (x.argv[0] === target || String(x.pid) === target) && x.argv.length);
  if (!p) { io.out(`${head}\nUptime: ${up} Realtime: ${up}\nNo process found for: ${target}\n`); return 0; }
  const name = p.argv[0];
  if (what === 'gfxinfo') {
    const frames = Math.max(1, Math.floor((now - p.started) / 1000 * 2));
    const janky = Math.floor(frames / 40);
    io.out(`${head}\nUptime: ${up} Realtime: ${up}\n\n** Graphics info for pid ${p.pid} [${name}] **\n\nStats since: ${p.started * 1000}ns\nTotal frames rendered: ${frames}\n` +
      `Janky frames: ${janky} (${((janky / frames) * 100).toFixed(2)}%)\n50th percentile: 5ms\n90th percentile: 8ms\n95th percentile: 10ms\n99th percentile: 17ms\n` +
      'Number Missed Vsync: 0\nNumber High input latency: 0\nNumber Slow UI thread: 0\nNumber Slow bitmap uploads: 0\nNumber Slow issue draw commands: 0\nNumber Frame deadline missed: 0\n');
    return 0;
  }
  const rss = p.rssKb;
  const pss = Math.round(rss * 0.62);
  const rows: Array<[string, number]> = [['Native Heap', 0.22], ['Dalvik Heap', 0.18], ['Dalvik Other', 0.05], ['Stack', 0.01], ['Other dev', 0.01], ['.so mmap', 0.12], ['.jar mmap', 0.01], ['.apk mmap', 0.02], ['.dex mmap', 0.04], ['.oat mmap', 0.03], ['.art mmap', 0.06], ['Other mmap', 0.02], ['GL mtrack', 0.08], ['Unknown', 0.15]];
  const col = (v: number | string) => String(v).padStart(9);
  let out = `${head}\nUptime: ${up} Realtime: ${up}\n\n** MEMINFO in pid ${p.pid} [${name}] **\n`;
  out += `                   Pss  Private  Private  SwapPss      Rss     Heap     Heap     Heap\n                 Total    Dirty    Clean    Dirty    Total     Size    Alloc     Free\n`;
  out += `                ------   ------   ------   ------   ------   ------   ------   ------\n`;
  let used = 0;
  for (const [label, share] of rows) {
    const v = label === 'Unknown' ? pss - used : Math.round(pss * share);
    used += v;
    const heap = label === 'Native Heap' ? [Math.round(v * 1.3), Math.round(v * 1.1), Math.round(v * 0.2)] : label === 'Dalvik Heap' ? [Math.round(v * 1.6), Math.round(v * 1.2), Math.round(v * 0.4)] : undefined;
    out += `${label.padStart(15)}${col(v)}${col(Math.round(v * 0.8))}${col(Math.round(v * 0.1))}${col(0)}${col(Math.round(v * 1.5))}${heap ? heap.map(col).join('') : ''}\n`;
  }
  out += `${'TOTAL'.padStart(15)}${col(pss)}${col(Math.round(pss * 0.8))}${col(Math.round(pss * 0.1))}${col(0)}${col(rss)}\n\n App Summary\n                       Pss(KB)                        Rss(KB)\n                        ------                         ------\n`;
  out += `           Java Heap:${col(Math.round(pss * 0.24))}                      ${col(Math.round(rss * 0.24))}\n         Native Heap:${col(Math.round(pss * 0.22))}                      ${col(Math.round(rss * 0.22))}\n`;
  out += `           TOTAL PSS:${col(pss)}            TOTAL RSS:${col(rss)}       TOTAL SWAP PSS:${col(0)}\n`;
  io.out(out);
  return 0;
}

/**
 * The settings provider's values per namespace, seeded with what a freshly set-up Android 14 phone with USB
 * debugging on reports for the keys test tools read and write (adb_enabled, the three animation scales
 * Espresso/Appium turn off, stay_on_while_plugged_in, screen_off_timeout, android_id …).
 */
const SETTINGS = new WeakMap<object, Record<string, Map<string, string>>>();
function settingsStore(phone: object, serial: string): Record<string, Map<string, string>> {
  let s = SETTINGS.get(phone);
  if (!s) {
    let h = 0x811c9dc5;
    for (const ch of serial) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    s = {
      global: new Map([
        ['adb_enabled', '1'], ['development_settings_enabled', '1'], ['stay_on_while_plugged_in', '0'], ['device_provisioned', '1'],
        ['window_animation_scale', '1.0'], ['transition_animation_scale', '1.0'], ['animator_duration_scale', '1.0'],
        ['auto_time', '1'], ['auto_time_zone', '1'], ['package_verifier_user_consent', '1'], ['verifier_verify_adb_installs', '1'],
        ['mobile_data', '1'], ['data_roaming', '0'], ['boot_count', '1'],
      ]),
      system: new Map([['screen_off_timeout', '60000'], ['screen_brightness', '102'], ['screen_brightness_mode', '1'], ['font_scale', '1.0'], ['time_12_24', '24'], ['haptic_feedback_enabled', '1'], ['show_touches', '0'], ['pointer_location', '0']]),
      secure: new Map([
        ['android_id', (h.toString(16) + (h ^ 0x5bd1e995).toString(16)).padStart(16, '0').slice(0, 16)],
        ['default_input_method', 'com.android.inputmethod.latin/.LatinIME'], ['enabled_input_methods', 'com.android.inputmethod.latin/.LatinIME'],
        ['user_setup_complete', '1'], ['show_ime_with_hard_keyboard', '0'], ['accessibility_enabled', '0'], ['skip_first_use_hints', '0'],
      ]),
    };
    SETTINGS.set(phone, s);
  }
  return s;
}

function am(args: string[], io: ShellIO, ctx: ShellContext): number {
  const [verb, ...rest] = args;
  const phone = ctx.phone;
  if (verb === 'start' || verb === 'start-activity') {
    let component: string | undefined;
    let action: string | undefined;
    let pkg: string | undefined;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      if (a === '-n') component = rest[++i];
      else if (a === '-a') action = rest[++i];
      else if (['-c', '-d', '-t', '-e', '--es', '--ez', '--ei', '--user', '-f'].includes(a)) i += a.startsWith('--e') ? 2 : 1;
      else if (!a.startsWith('-')) pkg = a;
    }
    if (component) pkg = component.split('/')[0];
    if (!pkg && action) {
      const byAction: Record<string, string> = { 'android.settings.SETTINGS': 'com.android.settings', 'android.settings.WIFI_SETTINGS': 'com.android.settings', 'android.intent.action.MAIN': 'com.android.launcher3' };
      pkg = byAction[action];
    }
    // Intent.toShortString: act=, cat=[…], dat=, typ=, flg= (only when -f), cmp= (ComponentName.flattenToShortString:
    // a class inside the package is shown as .Name); `am start PKG` alone is an intent for that package.
    const parts: string[] = [];
    const cats: string[] = [];
    let data: string | undefined;
    let mime: string | undefined;
    let flags: string | undefined;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '-c') cats.push(rest[i + 1]);
      if (rest[i] === '-d') data = rest[i + 1];
      if (rest[i] === '-t') mime = rest[i + 1];
      if (rest[i] === '-f') flags = rest[i + 1];
    }
    if (action) parts.push(`act=${action}`);
    if (cats.length) parts.push(`cat=[${cats.join(',')}]`);
    if (data) parts.push(`dat=${data.replace(/^([a-zA-Z][\w+.-]*:\/\/[^/?#]*)[\s\S]*$/, (_m, head: string) => (head.length < data!.length ? `${head}/...` : head))}`);
    if (mime) parts.push(`typ=${mime}`);
    if (flags) parts.push(`flg=0x${Number(flags).toString(16)}`);
    if (component) {
      const [cp, cls] = component.split('/');
      parts.push(`cmp=${cp}/${cls?.startsWith(`${cp}.`) ? cls.slice(cp.length) : cls ?? ''}`);
    } else if (!action && pkg) parts.push(`pkg=${pkg}`);
    const desc = parts.join(' ');
    io.out(`Starting: Intent { ${desc} }\n`);
    if (!pkg || !phone.launch(pkg)) {
      io.err(`Error: Activity not started, unable to resolve Intent { ${desc} flg=0x10000000 }\n`);
      return 1;
    }
    if (rest.includes('-W')) io.out(`Status: ok\nLaunchState: COLD\nActivity: ${phone.currentActivity()}\nTotalTime: 120\nWaitTime: 125\nComplete\n`);
    return 0;
  }
  if (verb === 'force-stop' || verb === 'kill') {
    if (rest[0]) phone.forceStop(rest[0]);
    return 0;
  }
  // The phone has one user, the owner (user 0), as a phone without work profile or guests.
  if (verb === 'get-current-user') { io.out('0\n'); return 0; }
  // Debugger hand-shakes Android Studio sends before a debug launch: accepted, nothing to wait for here.
  if (verb === 'set-debug-app' || verb === 'clear-debug-app' || verb === 'clear-exit-info' || verb === 'set-stop-user-on-switch') return 0;
  io.err(`Error: Unknown command: ${verb ?? ''}\n`);
  return 1;
}
