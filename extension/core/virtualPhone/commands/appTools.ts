import { crc32, deflateRawSync } from 'node:zlib';
import type { Command, CommandTable, Io } from './types';
import { PROCESS_COMMANDS, TOYBOX_APPLETS } from './proc';
import { PackageDb } from '../os/packages';
import { shQuote } from './toybox/system';

/**
 * What Android test tooling runs besides installs: `run-as` (Android Studio's Device Explorer and every
 * "read my app's files" script), `am instrument` (instrumented tests) and `am broadcast`.
 *
 * - run-as (system/core/run-as/run-as.cpp): refuses an unknown package ("run-as: unknown package: PKG") and a
 *   package that is not debuggable ("run-as: package not debuggable: PKG"), status 1; otherwise runs the
 *   command (default: a shell) as the app's uid in its data folder /data/user/0/PKG.
 * - am instrument (frameworks/base cmds/am Instrument.java): the virtual phone runs no dex code, so no
 *   instrumentation can be found; the answer is the one a phone gives when the test APK is missing:
 *   "INSTRUMENTATION_STATUS: Error=Unable to find instrumentation info for: ComponentInfo{…}",
 *   "INSTRUMENTATION_STATUS_CODE: -1", then "android.util.AndroidException: INSTRUMENTATION_FAILED: …", status 1.
 * - am broadcast (ActivityManagerShellCommand.runSendBroadcast): "Broadcasting: Intent { act=… flg=0x400000 }"
 *   then "Broadcast completed: result=0"; protected system broadcasts (BOOT_COMPLETED …) are refused to the
 *   shell with ActivityManagerService's SecurityException.
 */

const PROTECTED = new Set(['android.intent.action.BOOT_COMPLETED', 'android.intent.action.LOCKED_BOOT_COMPLETED', 'android.intent.action.SCREEN_ON', 'android.intent.action.SCREEN_OFF',
  'android.intent.action.BATTERY_CHANGED', 'android.intent.action.PACKAGE_ADDED', 'android.intent.action.PACKAGE_REMOVED', 'android.intent.action.TIME_TICK', 'android.intent.action.REBOOT',
  'android.intent.action.ACTION_SHUTDOWN', 'android.net.conn.CONNECTIVITY_CHANGE', 'android.intent.action.USER_PRESENT']);

function intentText(args: string[]): string {
  const parts: string[] = [];
  let extras = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-a') parts.push(`act=${args[++i]}`);
    else if (a === '-c') parts.push(`cat=[${args[++i]}]`);
    else if (a === '-d') parts.push(`dat=${(args[++i] ?? '').replace(/^([a-z]+:\/\/[^/]*).*$/, '$1/...')}`);
    else if (a === '-n') parts.push(`cmp=${args[++i]}`);
    else if (a === '-p') parts.push(`pkg=${args[++i]}`);
    else if (/^--e[sizlfb]?$|^--e[sz]n?$/.test(a)) { extras = true; i += a === '--esn' ? 1 : 2; }
    else if (a === '-f') i++;
  }
  parts.push('flg=0x400000');
  if (extras) parts.push('(has extras)');
  return parts.join(' ');
}

async function broadcast(args: string[], io: Io, pid: number): Promise<number> {
  const clean = args.filter((a, i, all) => !(a === '--user' || all[i - 1] === '--user'));
  const ai = clean.indexOf('-a');
  const action = ai >= 0 ? clean[ai + 1] : undefined;
  await io.out(`Broadcasting: Intent { ${intentText(clean)} }\n`);
  if (action && PROTECTED.has(action)) {
    await io.err(`\nException occurred while executing 'broadcast':\njava.lang.SecurityException: Permission Denial: not allowed to send broadcast ${action} from pid=${pid}, uid=2000\n` +
      '\tat com.android.server.am.ActivityManagerService.broadcastIntentLocked(ActivityManagerService.java)\n\tat com.android.server.am.ActivityManagerShellCommand.runSendBroadcast(ActivityManagerShellCommand.java)\n');
    return 255;
  }
  await io.out('Broadcast completed: result=0\n');
  return 0;
}

async function instrument(args: string[], io: Io): Promise<number> {
  const component = [...args].reverse().find((a) => !a.startsWith('-') && a.includes('/'));
  if (!component) {
    await io.err('\nException occurred while executing \'instrument\':\njava.lang.IllegalArgumentException: Bad component name: null\n');
    return 255;
  }
  const [pkg, cls] = component.split('/');
  const full = cls.startsWith('.') ? `${pkg}${cls}` : cls;
  await io.out(`INSTRUMENTATION_STATUS: Error=Unable to find instrumentation info for: ComponentInfo{${pkg}/${full}}\nINSTRUMENTATION_STATUS_CODE: -1\n`);
  await io.err(`android.util.AndroidException: INSTRUMENTATION_FAILED: ${pkg}/${full}\n\tat com.android.commands.am.Instrument.run(Instrument.java:589)\n\tat com.android.commands.am.Am.runInstrument(Am.java:196)\n\tat com.android.commands.am.Am.onRun(Am.java:80)\n`);
  return 1;
}

const am: Command = async (argv, io, ctx) => {
  const verb = argv[1];
  if (verb === 'broadcast') return broadcast(argv.slice(2), io, ctx.pid);
  if (verb === 'instrument') return instrument(argv.slice(2), io);
  return PROCESS_COMMANDS.am(argv, io, ctx);
};

/**
 * `cmd SERVICE …` for services test scripts drive besides activity/package: statusbar (expand-notifications,
 * expand-settings, collapse), wifi (status, set-wifi-enabled: WifiShellCommand), battery (BatteryService's
 * shell command, the same verbs as `dumpsys battery`).
 */
const cmd: Command = async (argv, io, ctx) => {
  if (argv[1] === 'activity' && (argv[2] === 'broadcast' || argv[2] === 'instrument')) return am(['am', ...argv.slice(2)], io, ctx);
  if (argv[1] === 'statusbar') {
    if (['expand-notifications', 'expand-settings', 'collapse', 'send-disable-flag', 'tracing'].includes(argv[2] ?? '')) return 0;
    await io.err(`Unknown command: ${argv[2] ?? ''}\n`);
    return argv[2] ? 255 : 0;
  }
  if (argv[1] === 'wifi') {
    const on = ctx.phone.toggles.wifi;
    if (argv[2] === 'status') {
      await io.out(on ? 'Wifi is enabled\nWifi scanning is always available\n==== Primary ClientModeManager instance ====\nWifi is not connected\n' : 'Wifi is disabled\nWifi scanning is always available\n');
      return 0;
    }
    if (argv[2] === 'set-wifi-enabled' && (argv[3] === 'enabled' || argv[3] === 'disabled')) {
      ctx.phone.toggles.wifi = argv[3] === 'enabled';
      ctx.phone.version++;
      return 0;
    }
    await io.err(`Unknown command: ${argv[2] ?? ''}\n`);
    return 255;
  }
  if (argv[1] === 'battery') {
    const { findCommand } = await import('./index');
    return (findCommand('dumpsys') as Command)(['dumpsys', 'battery', ...argv.slice(2)], io, ctx);
  }
  return PROCESS_COMMANDS.cmd(argv, io, ctx);
};

const runAs: Command = async (argv, io, ctx) => {
  const args = argv.slice(1);
  if (args[0] === '--user') args.splice(0, 2);
  const pkg = args[0];
  if (!pkg) { await io.err('usage: run-as <package-name> [--user <uid>] <command> [<args>]\n'); return 1; }
  const p = PackageDb.of(ctx.device).get(pkg);
  if (!p) { await io.err(`run-as: unknown package: ${pkg}\n`); return 1; }
  if (!p.debuggable) { await io.err(`run-as: package not debuggable: ${pkg}\n`); return 1; }
  const dir = `/data/user/0/${pkg}`;
  if (!(await ctx.fs.exists(dir))) {
    await ctx.fs.mkdir(dir, { uid: 0, mode: 0o700 });
    await ctx.fs.chown(dir, p.uid, p.uid, { uid: 0 });
  }
  const rest = args.slice(1);
  if (rest[0] === '--user') rest.splice(0, 2);
  const { Shell, fdsFromIo } = await import('../sh/interp');
  const proc = ctx.device.procs.spawn('sh', ['/system/bin/sh'], { ppid: ctx.pid, uid: p.uid });
  const sub = new Shell({ device: ctx.device, cwd: dir, env: { ...ctx.env, HOME: dir }, tty: io.tty, proc });
  ctx.signal?.onAbort(() => sub.signal.abort('parent'));
  const fds = fdsFromIo(io);
  try {
    const line = rest.length ? rest.map(shQuote).join(' ') : 'exec /system/bin/sh';
    const s = await sub.run(line, fds);
    await sub.finish(fds);
    return s;
  } finally {
    sub.dispose();
    ctx.device.procs.exit(proc.pid);
  }
};

/**
 * The toybox multiplexer (toybox main.c): no arguments lists its commands, wrapped as toybox_main does;
 * `toybox --version` is "toybox 0.8.9-android"; `toybox CMD ARGS…` runs the applet.
 */
const toybox: Command = async (argv, io, ctx) => {
  const names = [...TOYBOX_APPLETS].sort();
  if (argv.length < 2) {
    let out = '';
    let len = 0;
    for (const n of names) {
      out += n;
      len += n.length + 1;
      if (len > 65) { out += '\n'; len = 0; } else out += ' ';
    }
    await io.out(`${out.replace(/ $/, '')}\n`);
    return 0;
  }
  if (argv[1] === '--version') { await io.out('toybox 0.8.9-android\n'); return 0; }
  if (argv[1] === '--help' || argv[1] === 'help') { await io.out('usage: toybox [--long | --help | --version | [COMMAND] [ARGUMENTS...]]\n'); return 0; }
  const { findCommand } = await import('./index');
  const c = TOYBOX_APPLETS.has(argv[1]) ? findCommand(argv[1]) : undefined;
  if (!c) { await io.err(`toybox: Unknown command ${argv[1]} (see "toybox --help")\n`); return 1; }
  return c(argv.slice(1), io, ctx);
};

/** servicemanager's `service list` / `service check NAME` for the services the phone's dumpsys answers for. */
const SERVICES: Array<[string, string]> = [['activity', 'android.app.IActivityManager'], ['battery', ''], ['cpuinfo', ''], ['display', 'android.hardware.display.IDisplayManager'],
  ['gfxinfo', ''], ['input_method', 'com.android.internal.view.IInputMethodManager'], ['meminfo', ''], ['package', 'android.content.pm.IPackageManager'], ['power', 'android.os.IPowerManager'],
  ['settings', ''], ['window', 'android.view.IWindowManager']];
const service: Command = async (argv, io) => {
  if (argv[1] === 'list') {
    await io.out(`Found ${SERVICES.length} services:\n${SERVICES.map(([n, i], k) => `${k}\t${n}: [${i}]\n`).join('')}`);
    return 0;
  }
  if (argv[1] === 'check' && argv[2]) {
    await io.out(`Service ${argv[2]}: ${SERVICES.some(([n]) => n === argv[2]) ? 'found' : 'not found'}\n`);
    return 0;
  }
  await io.err('Usage: service [-h|-?]\n       service list\n       service check SERVICE\n       service call SERVICE CODE [i32 N | i64 N | f N | d N | s16 STR | null | fd f | nfd n | afd f ] ...\n');
  return argv[1] === '-h' || argv[1] === '-?' ? 0 : 1;
};

/** init's start/stop (system/core/toolbox/start.cpp): "Must be root" unless uid 0. */
const startStop: Command = async (_argv, io, ctx) => {
  if (ctx.uid !== 0) { await io.err('Must be root\n'); return 1; }
  return 0;
};

/**
 * /system/bin/reboot (system/core/reboot/reboot.c) sets sys.powerctl, which the shell user may do on a user
 * build (`adb shell reboot -p` is how non-root tools power a phone off): it prints nothing and waits to be
 * killed by the shutdown. The virtual phone restarts for -p too (it has no power button to bring it back).
 */
const reboot: Command = async (argv, io, ctx) => {
  const args = argv.slice(1).filter((a) => !/^-[fn]+$/.test(a));
  const off = args.includes('-p');
  const reason = args.filter((a) => a !== '-p').join(',');
  if (args.some((a) => a.startsWith('-') && a !== '-p')) { await io.err('usage: reboot [-n] [-p] [-f] [reason]\n'); return 1; }
  const handler = ctx.device.rebootHandler;
  if (!handler) { await io.err('reboot: Permission denied\n'); return 1; }
  setTimeout(() => handler(off ? 'shutdown' : reason), 50);
  // Wait for the shutdown to end the session (the host sees the stream close).
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 10_000);
    ctx.signal?.onAbort(() => { clearTimeout(t); resolve(); });
  });
  return 0;
};

/** A zip archive (deflated entries) as bugreportz writes one. */
function zipOf(entries: Array<{ name: string; data: Buffer }>, when: Date): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const dosTime = (when.getUTCHours() << 11) | (when.getUTCMinutes() << 5) | Math.floor(when.getUTCSeconds() / 2);
  const dosDate = ((when.getUTCFullYear() - 1980) << 9) | ((when.getUTCMonth() + 1) << 5) | when.getUTCDate();
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6); local.writeUInt16LE(8, 8);
    local.writeUInt16LE(dosTime, 10); local.writeUInt16LE(dosDate, 12); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18); local.writeUInt32LE(e.data.length, 22); local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(0x0314, 4); cd.writeUInt16LE(20, 6); cd.writeUInt16LE(0x0800, 8); cd.writeUInt16LE(8, 10);
    cd.writeUInt16LE(dosTime, 12); cd.writeUInt16LE(dosDate, 14); cd.writeUInt32LE(crc, 16); cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(e.data.length, 24); cd.writeUInt16LE(name.length, 28); cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); cd.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(cd, name);
    offset += 30 + name.length + body.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdBuf.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBuf, end]);
}

/**
 * bugreportz (frameworks/native/cmds/bugreportz): `-v` prints its version (1.2) on stderr; `-p` reports
 * "BEGIN:PATH", "PROGRESS:N/TOTAL" lines and "OK:PATH" of the zip in the Shell app's folder, which `adb bugreport`
 * then pulls. The zip holds main_entry.txt, version.txt and bugreport-….txt with dumpstate's sections (build,
 * uptime, SYSTEM LOG/EVENT LOG from logcat, SYSTEM PROPERTIES, PROCESSES, dumpsys battery and package).
 */
const bugreportz: Command = async (argv, io, ctx) => {
  if (argv[1] === '-v') { await io.err('1.2\n'); return 0; }
  if (argv[1] === '-h') { await io.err('usage: bugreportz [-h | -v | -p | -s]\n'); return 0; }
  if (argv[1] !== undefined && argv[1] !== '-p' && argv[1] !== '-s') { await io.err(`usage: bugreportz [-h | -v | -p | -s]\n`); return 1; }
  const props = ctx.device.properties();
  const now = new Date();
  const p2 = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}-${p2(now.getUTCMonth() + 1)}-${p2(now.getUTCDate())}-${p2(now.getUTCHours())}-${p2(now.getUTCMinutes())}-${p2(now.getUTCSeconds())}`;
  const base = `bugreport-${props.get('ro.product.name') ?? 'phone'}-${props.get('ro.build.id') ?? 'UP1A'}-${stamp}`;
  const dir = '/data/user_de/0/com.android.shell/files/bugreports';
  const path = `${dir}/${base}.zip`;
  const progress = argv[1] === '-p';
  if (progress) await io.out(`BEGIN:${path}\n`);
  const run = async (line: string): Promise<string> => {
    const chunks: Buffer[] = [];
    const sub: Io = { stdin: { read: async () => null }, out: async (d) => { chunks.push(Buffer.from(d)); }, err: async () => undefined, signal: io.signal, tty: false };
    await ctx.sh(line, sub);
    return Buffer.concat(chunks).toString('utf8');
  };
  const sections: Array<[string, string]> = [['UPTIME', 'uptime'], ['SYSTEM LOG', 'logcat -v threadtime -v printable -v uid -d *:v'], ['EVENT LOG', 'logcat -b events -v threadtime -v printable -v uid -d *:v'],
    ['SYSTEM PROPERTIES', 'getprop'], ['PROCESSES AND THREADS', 'ps -A -T -Z -O pri,nice,rtprio,sched,pcy,time'], ['DUMPSYS battery', 'dumpsys battery'], ['DUMPSYS package', 'dumpsys package']];
  let text = `========================================================\n== dumpstate: ${now.toISOString().replace('T', ' ').slice(0, 19)}\n========================================================\n\n` +
    `Build: ${props.get('ro.build.display.id') ?? ''}\nBuild fingerprint: '${props.get('ro.build.fingerprint') ?? ''}'\nBootloader: ${props.get('ro.bootloader') ?? 'unknown'}\n` +
    `Kernel: ${(await run('cat /proc/version')).trim()}\nCommand line: \nBugreport format version: 2.0\n\n`;
  for (let i = 0; i < sections.length; i++) {
    const [title, line] = sections[i];
    text += `------ ${title} (${line}) ------\n${await run(line)}\n`;
    if (progress) await io.out(`PROGRESS:${i + 1}/${sections.length}\n`);
  }
  const zip = zipOf([
    { name: 'version.txt', data: Buffer.from('2.0') },
    { name: 'main_entry.txt', data: Buffer.from(`${base}.txt`) },
    { name: `${base}.txt`, data: Buffer.from(text) },
  ], now);
  try {
    if (!(await ctx.fs.exists(dir))) {
      await ctx.fs.mkdir(dir, { uid: 0, parents: true, mode: 0o771 });
      await ctx.fs.chown(dir, 2000, 2000, { uid: 0 });
    }
    await ctx.fs.writeFile(path, zip, 0o644, { uid: 0 });
    await ctx.fs.chown(path, 2000, 2000, { uid: 0 });
  } catch (e) {
    await io.out(`FAIL:${(e as Error).message}\n`);
    return 1;
  }
  await io.out(`OK:${path}\n`);
  return 0;
};

export const APP_TOOL_COMMANDS: CommandTable = { bugreportz, reboot, am, cmd, 'run-as': runAs, toybox, service, start: startStop, stop: startStop };
