import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Command, CommandContext, CommandTable, Io } from './types';
import { type ApkError, parseApk, type ApkInfo } from '../apk';
import { InstallFailure, PackageDb, apkPaths, isDisabled, shortClass, type InstallParams, type InstallSession, type PackageSetting } from '../os/packages';
import { ANDROID_COMMANDS } from './android';

/**
 * `pm` and `cmd package`, as Android 14's PackageManagerShellCommand answers them (frameworks/base
 * services/core/java/com/android/server/pm/PackageManagerShellCommand.java): the same verbs, option
 * parsing (ShellCommand.getNextOption: one option per argument, `--` ends them), messages on the same
 * stream, and exit statuses (a command returning -1, or a thrown exception, exits 255).
 */

/** A Java exception: printed as ShellCommand prints an uncaught one, exit status 255. */
class JavaException extends Error {
  constructor(readonly javaClass: string, message: string, readonly method: string) {
    super(message);
  }
}
const illegalArgument = (message: string, method: string) => new JavaException('java.lang.IllegalArgumentException', message, method);

/** android.os.ShellCommand's argument cursor. */
class Args {
  private pos = 0;
  private curArgData: string | undefined;
  constructor(private readonly args: string[], readonly cmd: string) {}

  nextOption(): string | undefined {
    if (this.curArgData !== undefined) {
      const prev = this.args[this.pos - 1];
      throw illegalArgument(`No argument expected after "${prev}"`, 'getNextOption');
    }
    if (this.pos >= this.args.length) return undefined;
    const arg = this.args[this.pos];
    if (!arg.startsWith('-')) return undefined;
    this.pos++;
    if (arg === '--') return undefined;
    if (arg.length > 1 && arg[1] !== '-') {
      if (arg.length > 2) {
        this.curArgData = arg.slice(2);
        return arg.slice(0, 2);
      }
      return arg;
    }
    return arg;
  }

  nextArg(): string | undefined {
    if (this.curArgData !== undefined) {
      const a = this.curArgData;
      this.curArgData = undefined;
      return a;
    }
    return this.pos < this.args.length ? this.args[this.pos++] : undefined;
  }

  nextArgRequired(): string {
    const a = this.nextArg();
    if (a === undefined) throw illegalArgument(`Argument expected after "${this.args[this.pos - 1] ?? this.cmd}"`, 'getNextArgRequired');
    return a;
  }

  remaining(): string[] {
    const out: string[] = [];
    for (let a = this.nextArg(); a !== undefined; a = this.nextArg()) out.push(a);
    return out;
  }
}

interface Pm {
  ctx: CommandContext;
  io: Io;
  db: PackageDb;
  args: Args;
}

const out = (pm: Pm, line: string) => pm.io.out(`${line}\n`);
const err = (pm: Pm, line: string) => pm.io.err(`${line}\n`);

/** FileUtils.isValidExtFilename. */
function validExtFilename(name: string): boolean {
  return !!name && name !== '.' && name !== '..' && !/[\0/]/.test(name) && Buffer.byteLength(name) <= 255;
}

/** FrameworkParsingPackageUtils.validateName(name, requireSeparator, requireFilename). */
function packageNameError(name: string): string | undefined {
  let hasSep = false;
  let front = true;
  for (const c of name) {
    if (/[a-zA-Z]/.test(c)) { front = false; continue; }
    if (!front && /[0-9_]/.test(c)) continue;
    if (c === '.') { hasSep = true; front = true; continue; }
    return `bad character '${c}'`;
  }
  if (!validExtFilename(name)) return 'Invalid filename';
  if (name.length > 223) return 'the length of the name is greater than 223';
  return hasSep ? undefined : "must have at least one '.' separator";
}

/**
 * Parses a staged APK as ApkLiteParseUtils does and maps a bad one to Android's failure: not a zip →
 * INSTALL_PARSE_FAILED_NOT_APK (the message ends with the IOException's), no manifest →
 * INSTALL_PARSE_FAILED_UNEXPECTED_EXCEPTION, a manifest without <manifest> → MANIFEST_MALFORMED, a bad
 * package name → BAD_PACKAGE_NAME.
 */
async function parseStaged(file: string, host: string): Promise<ApkInfo> {
  let data: Buffer;
  try {
    data = await fs.readFile(host);
  } catch (e) {
    throw new InstallFailure('INSTALL_PARSE_FAILED_NOT_APK', `Failed to parse ${file}: ${(e as Error).message}`);
  }
  return parseApkAt(file, data);
}

function parseApkAt(file: string, data: Buffer): ApkInfo {
  let info: ApkInfo;
  try {
    info = parseApk(data);
  } catch (e) {
    const ae = e as ApkError;
    if (ae.kind === 'zip') throw new InstallFailure('INSTALL_PARSE_FAILED_NOT_APK', `Failed to parse ${file}: Failed to load asset path ${file}`);
    if (/AndroidManifest\.xml not found/.test(ae.message)) throw new InstallFailure('INSTALL_PARSE_FAILED_UNEXPECTED_EXCEPTION', `Failed to parse ${file}: AndroidManifest.xml`);
    if (/No <manifest> tag/.test(ae.message)) throw new InstallFailure('INSTALL_PARSE_FAILED_MANIFEST_MALFORMED', 'No <manifest> tag');
    if (/no package attribute/.test(ae.message)) throw new InstallFailure('INSTALL_PARSE_FAILED_BAD_MANIFEST', '<manifest> does not specify package');
    throw new InstallFailure('INSTALL_PARSE_FAILED_UNEXPECTED_EXCEPTION', `Failed to parse ${file}: ${ae.message}`);
  }
  if (info.packageName !== 'android') {
    const bad = packageNameError(info.packageName);
    if (bad) throw new InstallFailure('INSTALL_PARSE_FAILED_BAD_PACKAGE_NAME', `Invalid manifest package: ${bad}`);
  }
  return info;
}

/** PackageManagerShellCommand.makeInstallParams. */
function makeInstallParams(pm: Pm, unsupported: string[]): InstallParams {
  const p: InstallParams = {
    replaceExisting: true, allowTest: false, requestDowngrade: false, grantRuntime: false, installer: null, size: -1,
    inheritFrom: null, appPackageName: null, dontKill: false, bypassLowTargetSdk: false,
  };
  const a = pm.args;
  for (let opt = a.nextOption(); opt !== undefined; opt = a.nextOption()) {
    if (unsupported.includes(opt)) throw illegalArgument(`Unsupported option ${opt}`, 'makeInstallParams');
    switch (opt) {
      case '-r': break; // the default: replace an installed package
      case '-R': p.replaceExisting = false; break;
      case '-i': {
        const i = a.nextArg();
        if (i === undefined) throw illegalArgument('Missing installer package', 'makeInstallParams');
        p.installer = i;
        break;
      }
      case '-t': p.allowTest = true; break;
      case '-f': break;
      case '-d': p.requestDowngrade = true; break;
      case '-g': p.grantRuntime = true; break;
      case '--restrict-permissions': case '--instant': case '--instantapp': case '--ephemeral': case '--full': case '--preload':
      case '--force-sdk': case '--force-queryable': case '--staged': case '--force-non-staged': case '--skip-verification':
      case '--multi-package': p.multiPackage = true; break;
      case '--enable-rollback': case '--skip-enable': case '--apex':
        break;
      case '--dont-kill': p.dontKill = true; break;
      case '--bypass-low-target-sdk-block': p.bypassLowTargetSdk = true; break;
      case '--originating-uri': case '--referrer': case '--abi': case '--install-location': case '--install-reason':
      case '--force-uuid': case '--user': case '--staged-ready-timeout': case '--update-ownership':
        a.nextArgRequired();
        break;
      case '-p': {
        const pkg = a.nextArg();
        if (pkg === undefined) throw illegalArgument('Missing inherit package name', 'makeInstallParams');
        p.inheritFrom = pkg;
        break;
      }
      case '--pkg': {
        const pkg = a.nextArg();
        if (pkg === undefined) throw illegalArgument('Missing package name', 'makeInstallParams');
        p.appPackageName = pkg;
        break;
      }
      case '-S': {
        const v = a.nextArg() ?? '';
        if (!/^[+-]?\d+$/.test(v)) throw new JavaException('java.lang.NumberFormatException', `For input string: "${v}"`, 'makeInstallParams');
        const n = Number(v);
        if (n <= 0) throw illegalArgument('Size must be positive', 'makeInstallParams');
        p.size = n;
        break;
      }
      default:
        throw illegalArgument(`Unknown option ${opt}`, 'makeInstallParams');
    }
  }
  return p;
}

/** Opens a file named on the command line as the shell user would (openFileForSystem). */
async function openForSystem(pm: Pm, file: string): Promise<string | undefined> {
  try {
    const host = await pm.ctx.fs.resolve(file, pm.ctx.cwd, 'read', pm.ctx.uid);
    const st = await fs.stat(host);
    if (!st.isFile()) throw new Error('not a file');
    return host;
  } catch {
    await err(pm, `Error: Unable to open file: ${file}`);
    if (!file.startsWith('/data/local/tmp/')) await err(pm, 'Consider using a file under /data/local/tmp/');
    return undefined;
  }
}

/**
 * Copies exactly `size` bytes of stdin into `host`. Fewer bytes (the host went away, or lied about the size)
 * is an error: a truncated APK is never staged.
 */
async function copyStdin(pm: Pm, host: string, size: number): Promise<void> {
  const fh = await fs.open(host, 'w', 0o644);
  let got = 0;
  try {
    // Bytes already sent count even when the host has gone since: only a short stream fails.
    while (got < size) {
      const chunk = await pm.io.stdin.read();
      if (chunk === null) break;
      const part = chunk.length > size - got ? chunk.subarray(0, size - got) : chunk;
      await fh.write(part);
      got += part.length;
    }
  } finally {
    await fh.close();
  }
  if (got < size) throw new Error(`Unexpected end of input: got ${got} of ${size} bytes`);
}

async function sessionFor(pm: Pm, idText: string | undefined): Promise<InstallSession> {
  if (idText === undefined || !/^[+-]?\d+$/.test(idText)) throw new JavaException('java.lang.NumberFormatException', idText === undefined ? 'null' : `For input string: "${idText}"`, 'runInstall');
  const s = pm.db.sessions.get(Number(idText));
  if (!s) throw new JavaException('java.lang.SecurityException', `Caller has no access to session ${Number(idText)}`, 'openSession');
  return s;
}

/** doWriteSplit: stages one APK (from stdin or a file) in the session. Returns 0, or the failure status. */
async function writeSplit(pm: Pm, s: InstallSession, inPath: string | undefined, size: number, name: string, logSuccess: boolean): Promise<number> {
  if (!validExtFilename(name)) throw illegalArgument(`Invalid name: ${name}`, 'write');
  const target = await pm.db.device.fs.hostPath(`${s.stageDir}/${name}`);
  let bytes = size;
  if (inPath !== undefined && inPath !== '-') {
    const host = await openForSystem(pm, inPath);
    if (!host) return -1;
    bytes = (await fs.stat(host)).size;
    if (bytes <= 0) {
      await err(pm, 'Error: must specify a APK size');
      return 1;
    }
    await fs.copyFile(host, target);
  } else {
    if (bytes <= 0) {
      await err(pm, 'Error: must specify a APK size');
      return 1;
    }
    try {
      await copyStdin(pm, target, bytes);
    } catch (e) {
      await fs.rm(target, { force: true });
      await err(pm, `Error: failed to write; ${(e as Error).message}`);
      return 1;
    }
  }
  if (!s.names.includes(name)) s.names.push(name);
  if (logSuccess) await out(pm, `Success: streamed ${bytes} bytes`);
  return 0;
}

/** doCommitSession: prints `Failure [...]` on failure; returns 0 on success. */
async function commitSession(pm: Pm, s: InstallSession): Promise<number> {
  try {
    await pm.db.commit(s, parseStaged);
    return 0;
  } catch (e) {
    if (e instanceof InstallFailure) {
      await out(pm, `Failure [${e.message}]`);
      return 1;
    }
    throw e;
  }
}

async function runInstall(pm: Pm): Promise<number> {
  const params = makeInstallParams(pm, ['--multi-package']);
  const args = pm.args.remaining();
  const fromStdin = !args.length || args[0] === '-';
  const hasSplits = args.length > 1;
  if (fromStdin && params.size === -1) {
    await out(pm, 'Error: must either specify a package size or an APK file');
    return 1;
  }
  if (fromStdin && hasSplits) {
    await out(pm, "Error: can't specify SPLIT(s) along with STDIN");
    return 1;
  }
  if (!args.length) args.push('-');
  else if (!fromStdin) {
    // setParamsSize: every file is opened and parsed before a session is made.
    for (const file of args) {
      const host = await openForSystem(pm, file);
      if (!host) {
        await err(pm, `Error: Can't open file: ${file}`);
        throw illegalArgument(`Error: Can't open file: ${file}`, 'setParamsSize');
      }
      try {
        parseApkAt(file, await fs.readFile(host));
      } catch (e) {
        const detail = e instanceof InstallFailure ? e.detail ?? e.code : String(e);
        throw illegalArgument(`Error: Failed to parse APK file: ${file}: ${detail}`, 'setParamsSize');
      }
    }
  }
  const s = await pm.db.createSession(params);
  let abandon = true;
  try {
    for (const file of args) {
      const name = hasSplits ? file.slice(file.lastIndexOf('/') + 1) : 'base.apk';
      if (await writeSplit(pm, s, file, params.size, name, false)) return 1;
    }
    abandon = false;
    if (await commitSession(pm, s)) return 1;
    await out(pm, 'Success');
    return 0;
  } finally {
    if (abandon) await pm.db.abandon(s).catch(() => undefined);
  }
}

async function runInstallCreate(pm: Pm): Promise<number> {
  const params = makeInstallParams(pm, []);
  const s = await pm.db.createSession(params);
  if (params.multiPackage) { s.multiPackage = true; s.children = []; }
  await out(pm, `Success: created install session [${s.id}]`); // adb parses the number between the brackets
  return 0;
}

async function runInstallWrite(pm: Pm): Promise<number> {
  let size = -1;
  for (let opt = pm.args.nextOption(); opt !== undefined; opt = pm.args.nextOption()) {
    if (opt !== '-S') throw illegalArgument(`Unknown option: ${opt}`, 'runInstallWrite');
    const v = pm.args.nextArg() ?? '';
    if (!/^[+-]?\d+$/.test(v)) throw new JavaException('java.lang.NumberFormatException', `For input string: "${v}"`, 'runInstallWrite');
    size = Number(v);
  }
  const s = await sessionFor(pm, pm.args.nextArg());
  const name = pm.args.nextArg();
  const file = pm.args.nextArg();
  if (name === undefined) throw new JavaException('java.lang.NullPointerException', 'name', 'write');
  return writeSplit(pm, s, file, size, name, true);
}

/** install-add-session PARENT CHILD…: children of a multi-package session are committed with it. */
async function runInstallAddSession(pm: Pm): Promise<number> {
  const parentId = pm.args.nextArg();
  const ids = pm.args.remaining();
  if (!ids.length) { await out(pm, 'Error: At least two sessions are required.'); return 1; }
  const parent = await sessionFor(pm, parentId);
  if (!parent.multiPackage) throw new JavaException('java.lang.IllegalStateException', `Session ${parent.id} is not a multi-package session`, 'addChildSessionId');
  for (const id of ids) {
    const child = await sessionFor(pm, id);
    if (child === parent || child.multiPackage) throw new JavaException('java.lang.IllegalStateException', `Unable to add child session ${child.id} as parent session ${parent.id} is not multi-package`, 'addChildSessionId');
    parent.children?.push(child);
  }
  await out(pm, 'Success');
  return 0;
}

async function runInstallCommit(pm: Pm): Promise<number> {
  for (let opt = pm.args.nextOption(); opt !== undefined; opt = pm.args.nextOption()) {
    if (opt !== '--staged-ready-timeout') throw illegalArgument(`Unknown option: ${opt}`, 'runInstallCommit');
    pm.args.nextArgRequired();
  }
  const s = await sessionFor(pm, pm.args.nextArg());
  if (s.multiPackage) {
    // The children install together: every staged APK is parsed before any child commits (so a bad APK
    // installs nothing); then the first failure is the answer and the rest are abandoned.
    const children = s.children ?? [];
    try {
      for (const c of children) {
        for (const n of c.names.filter((x) => x.endsWith('.apk'))) await parseStaged(`${c.stageDir}/${n}`, await pm.ctx.fs.hostPath(`${c.stageDir}/${n}`));
      }
    } catch (e) {
      if (!(e instanceof InstallFailure)) throw e;
      await out(pm, `Failure [${e.message}]`);
      for (const c of children) await pm.db.abandon(c);
      await pm.db.abandon(s);
      return 1;
    }
    for (let i = 0; i < children.length; i++) {
      if (await commitSession(pm, children[i])) {
        for (const rest of children.slice(i + 1)) await pm.db.abandon(rest);
        await pm.db.abandon(s);
        return 1;
      }
    }
    await pm.db.abandon(s);
    await out(pm, 'Success');
    return 0;
  }
  if (await commitSession(pm, s)) return 1;
  await out(pm, 'Success');
  return 0;
}

async function runInstallAbandon(pm: Pm): Promise<number> {
  const s = await sessionFor(pm, pm.args.nextArg());
  await pm.db.abandon(s);
  await out(pm, 'Success');
  return 0;
}

async function runInstallExisting(pm: Pm): Promise<number> {
  for (let opt = pm.args.nextOption(); opt !== undefined; opt = pm.args.nextOption()) {
    if (opt === '--user') pm.args.nextArgRequired();
    else if (!['--instant', '--ephemeral', '--full', '--wait', '--restrict-permissions'].includes(opt)) {
      await out(pm, `Error: Unknown option: ${opt}`);
      return 1;
    }
  }
  const name = pm.args.nextArg();
  if (name === undefined) {
    await out(pm, 'Error: package name not specified');
    return 1;
  }
  if (!(await pm.db.installExisting(name))) {
    await out(pm, `android.content.pm.PackageManager$NameNotFoundException: Package ${name} doesn't exist`);
    return 1;
  }
  await out(pm, `Package ${name} installed for user: 0`);
  return 0;
}

/**
 * PackageManagerShellCommand.runSetEnabledSetting: "Package NAME new state: STATE". The shell may disable a
 * package only for its user (disable-user); plain `disable` of a whole package is refused to uid 2000.
 */
async function runSetEnabled(pm: Pm, state: number): Promise<number> {
  for (let opt = pm.args.nextOption(); opt !== undefined; opt = pm.args.nextOption()) {
    if (opt === '--user') pm.args.nextArgRequired();
    else { await out(pm, `Error: Unknown option: ${opt}`); return 1; }
  }
  const name = pm.args.nextArg();
  if (name === undefined) { await err(pm, 'Error: no package or component specified'); return 1; }
  if (!pm.db.get(name)) throw illegalArgument(`Unknown package: ${name}`, 'setEnabledSetting');
  if (state === 2 && pm.ctx.uid !== 0) throw new JavaException('java.lang.SecurityException', `Shell cannot change component state for ${name}/null to 2`, 'setEnabledSetting');
  await pm.db.setEnabled(name, state);
  await out(pm, `Package ${name} new state: ${['default', 'enabled', 'disabled', 'disabled-user'][state]}`);
  return 0;
}

async function runUninstall(pm: Pm): Promise<number> {
  let keepData = false;
  let forUser: number | undefined;
  for (let opt = pm.args.nextOption(); opt !== undefined; opt = pm.args.nextOption()) {
    switch (opt) {
      case '-k': keepData = true; break;
      case '--user': {
        const u = pm.args.nextArgRequired();
        forUser = u === 'all' ? undefined : u === 'current' ? 0 : Number(u);
        break;
      }
      case '--versionCode': pm.args.nextArgRequired(); break;
      default:
        await out(pm, `Error: Unknown option: ${opt}`);
        return 1;
    }
  }
  const name = pm.args.nextArg();
  if (name === undefined) {
    await out(pm, 'Error: package name not specified');
    return 1;
  }
  const splits = pm.args.remaining();
  if (splits.length) {
    const p = pm.db.get(name);
    const missing = splits.find((sp) => !p?.splits.includes(sp));
    if (!p || missing !== undefined) {
      await out(pm, `Failure [INSTALL_FAILED_INVALID_APK: ${p ? `Split not found: ${missing}` : `Missing existing base package for ${name}`}]`);
      return 1;
    }
    await pm.db.removeSplits(p, splits);
    await out(pm, 'Success');
    return 0;
  }
  if (forUser !== undefined && forUser !== 0) {
    await out(pm, `Failure [not installed for ${forUser}]`);
    return 1;
  }
  const failure = await pm.db.uninstall(name, { keepData, forUser });
  if (failure) {
    await out(pm, `Failure [${failure}]`);
    return 1;
  }
  await out(pm, 'Success');
  return 0;
}

async function runPath(pm: Pm): Promise<number> {
  const opt = pm.args.nextOption();
  if (opt === '--user') pm.args.nextArgRequired();
  const name = pm.args.nextArgRequired();
  const p = pm.db.get(name);
  if (!p) return 1;
  for (const apk of apkPaths(p)) await out(pm, `package:${apk}`);
  return 0;
}

async function runListPackages(pm: Pm, showSourceDirDefault: boolean): Promise<number> {
  let showSourceDir = showSourceDirDefault;
  let listDisabled = false; let listEnabled = false; let listSystem = false; let listThirdParty = false;
  let listInstaller = false; let showUid = false; let showVersionCode = false; let apexOnly = false; let uninstalled = false;
  let uid = -1;
  try {
    for (let opt = pm.args.nextOption(); opt !== undefined; opt = pm.args.nextOption()) {
      switch (opt) {
        case '-d': listDisabled = true; break;
        case '-e': listEnabled = true; break;
        case '-a': uninstalled = true; break;
        case '-f': showSourceDir = true; break;
        case '-i': listInstaller = true; break;
        case '-l': break;
        case '-s': listSystem = true; break;
        case '-U': showUid = true; break;
        case '-u': uninstalled = true; break;
        case '-3': listThirdParty = true; break;
        case '--show-versioncode': showVersionCode = true; break;
        case '--apex-only': apexOnly = true; break;
        case '--user': pm.args.nextArgRequired(); break;
        case '--uid': showUid = true; uid = Number(pm.args.nextArgRequired()); break;
        default:
          await out(pm, `Error: Unknown option: ${opt}`);
          return 255;
      }
    }
  } catch (e) {
    await out(pm, `Error: ${e instanceof JavaException ? `${e.javaClass}: ${e.message}` : String(e)}`);
    return 255;
  }
  const filter = pm.args.nextArg();
  for (const p of pm.db.list(uninstalled)) {
    if (pm.io.signal.aborted) break;
    if (filter !== undefined && !p.name.includes(filter)) continue;
    if (uid !== -1 && p.uid !== uid) continue;
    if ((listDisabled && !isDisabled(p)) || (listEnabled && isDisabled(p)) || (listSystem && !p.system) || (listThirdParty && p.system) || apexOnly) continue;
    let line = 'package:';
    if (showSourceDir) line += `${p.baseApk}=`;
    line += p.name;
    if (showVersionCode) line += ` versionCode:${p.versionCode}`;
    if (listInstaller) line += `  installer=${p.installer ?? 'null'}`;
    if (showUid) line += ` uid:${p.uid}`;
    await out(pm, line);
  }
  return 0;
}

const FEATURES = [
  'android.hardware.audio.output', 'android.hardware.bluetooth', 'android.hardware.bluetooth_le', 'android.hardware.camera',
  'android.hardware.faketouch', 'android.hardware.location', 'android.hardware.opengles.aep', 'android.hardware.ram.normal',
  'android.hardware.screen.landscape', 'android.hardware.screen.portrait', 'android.hardware.touchscreen', 'android.hardware.touchscreen.multitouch',
  'android.hardware.touchscreen.multitouch.distinct', 'android.hardware.touchscreen.multitouch.jazzhand', 'android.hardware.usb.accessory',
  'android.hardware.vulkan.level=1', 'android.hardware.vulkan.version=4206592', 'android.hardware.wifi', 'android.software.app_widgets',
  'android.software.device_admin', 'android.software.home_screen', 'android.software.input_methods', 'android.software.webview',
];

async function runList(pm: Pm): Promise<number> {
  const type = pm.args.nextArg();
  switch (type) {
    case undefined:
      await out(pm, "Error: didn't specify type of data to list");
      return 255;
    case 'package': case 'packages':
      return runListPackages(pm, false);
    case 'features':
      await out(pm, 'reqGlEsVersion=0x30002');
      for (const f of FEATURES) await out(pm, `feature:${f}`);
      return 0;
    case 'libraries':
      for (const l of ['android.ext.shared', 'android.hidl.base-V1.0-java', 'android.test.base', 'android.test.mock', 'android.test.runner', 'javax.obex', 'org.apache.http.legacy']) await out(pm, `library:${l}`);
      return 0;
    case 'users':
      await out(pm, 'Users:');
      await out(pm, '\tUserInfo{0:Owner:c13} running');
      return 0;
    case 'instrumentation':
      return 0;
    default:
      await out(pm, `Error: unknown list type '${type}'`);
      return 255;
  }
}

/** resolve-activity: the launcher activity of a package (MAIN/LAUNCHER), or an explicit component. */
async function runResolveActivity(pm: Pm): Promise<number> {
  let brief = false; let components = false; let action: string | undefined; const categories: string[] = [];
  let component: string | undefined; let pkg: string | undefined;
  for (let a = pm.args.nextArg(); a !== undefined; a = pm.args.nextArg()) {
    if (a === '--brief') brief = true;
    else if (a === '--components') components = true;
    else if (a === '-a') action = pm.args.nextArg();
    else if (a === '-c') categories.push(pm.args.nextArg() ?? '');
    else if (a === '-n') component = pm.args.nextArg();
    else if (['--user', '--query-flags', '-d', '-t', '-f', '-p'].includes(a)) { const v = pm.args.nextArg(); if (a === '-p') pkg = v; }
    else if (!a.startsWith('-')) pkg = a;
  }
  let found: { p: PackageSetting; cls: string } | undefined;
  if (component) {
    const [cp, c] = component.split('/');
    const p = pm.db.get(cp);
    const cls = c ? (c.startsWith('.') ? cp + c : c) : '';
    if (p && p.activities.includes(cls)) found = { p, cls };
  } else {
    const wantsLauncher = (!action || action === 'android.intent.action.MAIN') && categories.every((c) => c === 'android.intent.category.LAUNCHER' || c === 'android.intent.category.DEFAULT');
    const candidates = pm.db.list().filter((p) => (!pkg || p.name === pkg) && p.launcherActivity);
    if (wantsLauncher && candidates.length && (pkg || categories.length)) found = { p: candidates[0], cls: candidates[0].launcherActivity as string };
  }
  if (!found) {
    await out(pm, 'No activity found');
    return 0;
  }
  const flat = `${found.p.name}/${shortClass(found.p.name, found.cls)}`;
  if (components) {
    await out(pm, flat);
    return 0;
  }
  await out(pm, 'priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false');
  if (brief) {
    await out(pm, flat);
    return 0;
  }
  await pm.io.out([
    'ActivityInfo:', `  name=${found.cls}`, `  packageName=${found.p.name}`, '  enabled=true exported=true directBootAware=false',
    `  taskAffinity=${found.p.name} targetActivity=null persistableMode=PERSIST_ROOT_ONLY`, '  launchMode=0 flags=0x200 privateFlags=0x0 theme=0x0',
    '  screenOrientation=-1 configChanges=0x0 softInputMode=0x0', '  lockTaskLaunchMode=LOCK_TASK_LAUNCH_MODE_DEFAULT', '  resizeMode=RESIZE_MODE_RESIZEABLE', '',
  ].join('\n'));
  return 0;
}

async function runGrantRevoke(pm: Pm, grant: boolean): Promise<number> {
  for (let opt = pm.args.nextOption(); opt !== undefined; opt = pm.args.nextOption()) {
    if (opt === '--user') pm.args.nextArgRequired();
    else if (opt !== '--all-permissions') throw illegalArgument(`Unknown option: ${opt}`, 'runGrantRevokePermission');
  }
  const name = pm.args.nextArg();
  if (name === undefined) {
    await out(pm, 'Error: no package specified');
    return 1;
  }
  const perm = pm.args.nextArg();
  if (perm === undefined) {
    await out(pm, 'Error: no permission specified');
    return 1;
  }
  const p = pm.db.get(name);
  if (!p) throw illegalArgument(`Unknown package: ${name}`, 'grantRuntimePermission');
  if (!p.permissions.includes(perm)) throw new JavaException('java.lang.SecurityException', `Package ${name} has not requested permission ${perm}`, 'grantRuntimePermission');
  await pm.db.setGranted(name, perm, grant);
  return 0;
}

async function runClear(pm: Pm): Promise<number> {
  for (let opt = pm.args.nextOption(); opt !== undefined; opt = pm.args.nextOption()) {
    if (opt === '--user') pm.args.nextArgRequired();
    else if (opt !== '--cache-only') {
      await out(pm, `Error: Unknown option: ${opt}`);
      return 1;
    }
  }
  const name = pm.args.nextArg();
  if (name === undefined) {
    await err(pm, 'Error: no package specified');
    return 1;
  }
  if (!pm.db.get(name) || !pm.ctx.phone.clearData(name)) {
    await err(pm, 'Failed');
    return 1;
  }
  await out(pm, 'Success');
  return 0;
}

function hashHex(s: string, len = 7): string {
  return createHash('sha1').update(s).digest('hex').slice(0, len).replace(/^0+/, '') || '1';
}

function timeText(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** The `Packages:` block of `dumpsys package` for one package (PackageManagerService dumpPackageLPr's fields). */
export function dumpPackageBlock(p: PackageSetting): string {
  const flags = ['HAS_CODE', 'ALLOW_CLEAR_USER_DATA', 'ALLOW_BACKUP'];
  if (p.system) flags.unshift('SYSTEM');
  if (p.debuggable) flags.push('DEBUGGABLE');
  if (p.testOnly) flags.push('TEST_ONLY');
  const privateFlags = ['PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION', 'ALLOW_AUDIO_PLAYBACK_CAPTURE', 'PRIVATE_FLAG_ALLOW_NATIVE_HEAP_POINTER_TAGGING'];
  if (p.privileged) privateFlags.push('PRIVILEGED');
  const abi = p.nativeAbis[0] ?? 'null';
  const runtime = p.permissions.filter((x) => /\.(CAMERA|RECORD_AUDIO|ACCESS_FINE_LOCATION|ACCESS_COARSE_LOCATION|READ_CONTACTS|WRITE_CONTACTS|READ_EXTERNAL_STORAGE|WRITE_EXTERNAL_STORAGE|POST_NOTIFICATIONS|READ_MEDIA_IMAGES|READ_MEDIA_VIDEO|READ_MEDIA_AUDIO|CALL_PHONE|READ_PHONE_STATE|BODY_SENSORS|SEND_SMS|READ_SMS|READ_CALENDAR|WRITE_CALENDAR)$/.test(x));
  const install = p.permissions.filter((x) => !runtime.includes(x));
  const lines = [
    `  Package [${p.name}] (${hashHex(`${p.name}:ps`)}):`,
    `    appId=${p.uid}`,
    `    pkg=Package{${hashHex(`${p.name}:pkg`)} ${p.name}}`,
    `    codePath=${p.codePath}`,
    `    resourcePath=${p.codePath}`,
    `    legacyNativeLibraryDir=${p.codePath}/lib`,
    '    extractNativeLibs=false',
    `    primaryCpuAbi=${abi}`,
    '    secondaryCpuAbi=null',
    '    cpuAbiOverride=null',
    `    versionCode=${p.versionCode} minSdk=${p.minSdk} targetSdk=${p.targetSdk}`,
    '    minExtensionVersions=[]',
    `    versionName=${p.versionName ?? 'null'}`,
    '    hiddenApiEnforcementPolicy=2',
    '    usesNonSdkApi=false',
    `    splits=[${['base', ...p.splits].join(', ')}]`,
    `    apkSigningVersion=${p.signingVersion}`,
    `    flags=[ ${flags.join(' ')} ]`,
    `    privateFlags=[ ${privateFlags.join(' ')} ]`,
    '    forceQueryable=false',
    `    dataDir=/data/user/0/${p.name}`,
    '    supportsScreens=[small, medium, large, xlarge, resizeable, anyDensity]',
    `    timeStamp=${timeText(p.lastUpdateTime)}`,
    `    firstInstallTime=${timeText(p.firstInstallTime)}`,
    `    lastUpdateTime=${timeText(p.lastUpdateTime)}`,
    `    installerPackageName=${p.installer ?? 'null'}`,
    `    installerPackageUid=${p.installer === 'com.android.shell' ? 2000 : -1}`,
    `    initiatingPackageName=${p.installer ?? 'null'}`,
    '    originatingPackageName=null',
    `    packageSource=${p.installer ? 0 : 0}`,
    `    signatures=PackageSignatures{${hashHex(`${p.name}:sig`)} version:${p.signingVersion}, signatures:[${p.signer ? p.signer.slice(0, 8) : ''}], past signatures:[]}`,
    '    installPermissionsFixed=true',
    `    pkgFlags=[ ${flags.join(' ')} ]`,
    `    privatePkgFlags=[ ${privateFlags.join(' ')} ]`,
    '    apexModuleName=null',
  ];
  if (p.permissions.length) {
    lines.push('    requested permissions:', ...p.permissions.map((x) => `      ${x}`));
  }
  if (install.length) lines.push('    install permissions:', ...install.map((x) => `      ${x}: granted=true`));
  lines.push(
    `    User 0: ceDataInode=${parseInt(hashHex(`${p.name}:ino`, 6), 16)} deDataInode=0 installed=${p.installed} hidden=false suspended=false distractionFlags=0 stopped=false notLaunched=false enabled=${p.enabledState ?? 0} instant=false virtual=false quarantined=false`,
    '      installReason=0',
    `      dataDir=/data/user/0/${p.name}`,
    `      firstInstallTime=${timeText(p.firstInstallTime)}`,
    '      uninstallReason=0',
    '      gids=[3003]',
  );
  if (runtime.length) {
    lines.push('      runtime permissions:', ...runtime.map((x) => `        ${x}: granted=${p.granted.includes(x)}, flags=[ USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED]`));
  }
  return lines.join('\n');
}

/** `dumpsys package [PKG]` (and `pm dump PKG`): the activity resolver entry, key sets, and the package blocks. */
export async function dumpsysPackage(args: string[], io: Io, ctx: CommandContext): Promise<number> {
  const db = PackageDb.of(ctx.device);
  const name = args.find((a) => !a.startsWith('-'));
  const pkgs = name ? db.list(true).filter((p) => p.name === name) : db.list(true);
  const text: string[] = [];
  const launchers = pkgs.filter((p) => p.launcherActivity && p.installed);
  if (launchers.length) {
    text.push('Activity Resolver Table:', '  Non-Data Actions:', '      android.intent.action.MAIN:');
    for (const p of launchers) {
      text.push(`        ${hashHex(`${p.name}:act`)} ${p.name}/${shortClass(p.name, p.launcherActivity as string)} filter ${hashHex(`${p.name}:filter`)}`,
        '          Action: "android.intent.action.MAIN"', '          Category: "android.intent.category.LAUNCHER"');
    }
    text.push('');
  }
  if (pkgs.length) {
    text.push('Key Set Manager:');
    pkgs.forEach((p, i) => text.push(`  [${p.name}]`, `      Signing KeySets: ${i + 1}`));
    text.push('', 'Packages:', ...pkgs.map(dumpPackageBlock), '');
  }
  await io.out(text.length ? `${text.join('\n')}\n` : '');
  return 0;
}

function help(): string {
  return [
    'Package manager (package) commands:',
    '  help',
    '  path [--user USER_ID] PACKAGE',
    '  dump PACKAGE',
    '  has-feature FEATURE_NAME [version]',
    '  list features',
    '  list libraries',
    '  list packages [-f] [-d] [-e] [-s] [-3] [-i] [-l] [-u] [-U] [--show-versioncode] [--apex-only] [--uid UID] [--user USER_ID] [FILTER]',
    '  list users',
    '  resolve-activity [--brief] [--components] [--user USER_ID] INTENT',
    '  install [-rtfdg] [-i PACKAGE] [--user USER_ID] [-p INHERIT_PACKAGE] [-S BYTES] [--dont-kill] [PATH [SPLIT...]|-]',
    '  install-existing [--user USER_ID|all|current] PACKAGE',
    '  install-create [-rtfdg] [-i PACKAGE] [--user USER_ID] [-p INHERIT_PACKAGE] [-S BYTES]',
    '  install-write [-S BYTES] SESSION_ID SPLIT_NAME [PATH|-]',
    '  install-commit SESSION_ID',
    '  install-abandon SESSION_ID',
    '  uninstall [-k] [--user USER_ID] [--versionCode VERSION_CODE] PACKAGE [SPLIT...]',
    '  clear [--user USER_ID] [--cache-only] PACKAGE',
    '  grant [--user USER_ID] PACKAGE PERMISSION',
    '  revoke [--user USER_ID] PACKAGE PERMISSION',
    '',
  ].join('\n');
}

/** Runs one `cmd package` invocation (argv without "cmd package"). */
export async function packageCommand(argv: string[], io: Io, ctx: CommandContext): Promise<number> {
  const [cmd, ...rest] = argv;
  const pm: Pm = { ctx, io, db: PackageDb.of(ctx.device), args: new Args(rest, cmd ?? '') };
  try {
    switch (cmd) {
      case undefined: case 'help': case '-h':
        await io.out(help());
        return cmd === undefined ? 255 : 0;
      case 'path': return await runPath(pm);
      case 'dump': {
        const name = pm.args.nextArg();
        if (name === undefined) { await err(pm, 'Error: no package specified'); return 1; }
        return await dumpsysPackage([name], io, ctx);
      }
      case 'list': return await runList(pm);
      case 'resolve-activity': return await runResolveActivity(pm);
      case 'install': return await runInstall(pm);
      case 'install-create': return await runInstallCreate(pm);
      case 'install-write': return await runInstallWrite(pm);
      case 'install-commit': return await runInstallCommit(pm);
      case 'install-abandon': case 'install-destroy': return await runInstallAbandon(pm);
      case 'install-existing': return await runInstallExisting(pm);
      case 'install-add-session': return await runInstallAddSession(pm);
      case 'enable': return await runSetEnabled(pm, 1);
      case 'disable': return await runSetEnabled(pm, 2);
      case 'disable-user': return await runSetEnabled(pm, 3);
      case 'default-state': return await runSetEnabled(pm, 0);
      case 'uninstall': return await runUninstall(pm);
      case 'clear': return await runClear(pm);
      case 'grant': return await runGrantRevoke(pm, true);
      case 'revoke': return await runGrantRevoke(pm, false);
      case 'has-feature': {
        const f = pm.args.nextArg();
        if (f === undefined) { await err(pm, 'Error: expected FEATURE name'); return 1; }
        const has = FEATURES.some((x) => x === f || x.startsWith(`${f}=`));
        await out(pm, String(has));
        return has ? 0 : 1;
      }
      case '-l': case '-lf':
        if (!rest.length) return await runListPackages(pm, cmd === '-lf');
        break;
      case '-p':
        if (rest.length === 1) { pm.args = new Args(rest, 'path'); return await runPath(pm); }
        break;
      default:
        break;
    }
    await out(pm, `Unknown command: ${cmd}`);
    return 255;
  } catch (e) {
    if (!(e instanceof JavaException)) throw e;
    // BasicShellCommandHandler.exec: an uncaught exception is printed to stderr and the command returns -1.
    await io.err(`\nException occurred while executing '${cmd}':\n${e.javaClass}: ${e.message}\n\tat com.android.server.pm.PackageManagerShellCommand.${e.method}(PackageManagerShellCommand.java)\n\tat com.android.server.pm.PackageManagerShellCommand.onCommand(PackageManagerShellCommand.java)\n\tat com.android.modules.utils.BasicShellCommandHandler.exec(BasicShellCommandHandler.java)\n`);
    return 255;
  }
}

/** `cmd SERVICE ARGS…`: the package service here, every other service as the Android tools table answers it. */
const cmd: Command = async (argv, io, ctx) => {
  const service = argv[1];
  if (service === 'package') return packageCommand(argv.slice(2), io, ctx);
  if (service === '-l') {
    await io.out(['Currently running services:', '  activity', '  battery', '  display', '  input', '  package', '  power', '  settings', '  statusbar', '  window', ''].join('\n'));
    return 0;
  }
  const other = ANDROID_COMMANDS.cmd;
  if (other) return other(argv, io, ctx);
  await io.err(`cmd: Can't find service: ${service ?? ''}\n`);
  return 20;
};

/** `dumpsys package …` is the package manager's report; every other service is the Android tools table's. */
const dumpsys: Command = async (argv, io, ctx) => {
  if (argv[1] === 'package') return dumpsysPackage(argv.slice(2), io, ctx);
  const other = ANDROID_COMMANDS.dumpsys;
  if (other) return other(argv, io, ctx);
  await io.err(`Can't find service: ${argv[1] ?? ''}\n`);
  return 0;
};

export const PACKAGE_MANAGER: CommandTable = {
  /** /system/bin/pm is a script: `cmd package "$@"`. */
  pm: (argv, io, ctx) => packageCommand(argv.slice(1), io, ctx),
  cmd,
  dumpsys,
};
