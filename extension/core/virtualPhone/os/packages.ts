import { readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { VirtualDevice } from '../device';
import { LAUNCHER_PKG, NOTES_PKG, SETTINGS_PKG, STOPWATCH_PKG, SYSTEMUI_PKG, WALLET_PKG, type InstalledApp } from '../phone';
import type { ApkInfo } from '../apk';

/**
 * The phone's package database, as PackageManagerService keeps it in /data/system/packages.xml: every
 * package with its version, code path, APKs (base and splits), app id (uid), flags, signer, times and
 * launcher activity. It is written atomically to /data/system/packages.json in the sandbox, so a reboot
 * (a new VirtualDevice on the same folder) finds the same apps, and PhoneState.apps — what the launcher
 * draws and `am start` resolves — is rebuilt from it after every change.
 */

export const PACKAGES_FILE = '/data/system/packages.json';
/** Process.FIRST_APPLICATION_UID; new installs get the lowest free id from 10150 on (below: preinstalled apps). */
const FIRST_APP_UID = 10000;
const FIRST_INSTALLED_UID = 10150;
/** The certificate digest the preinstalled system apps are signed with (the "platform" key). */
export const PLATFORM_SIGNER = 'c8a2e9bccf597c2fb6dc66bee293fc13f2fc47ec77bc6b2b0d52c11f51192ab8';

export interface PackageSetting {
  name: string;
  /** What the launcher shows (the package name when the app has no label). */
  label: string;
  versionCode: number;
  versionName: string | null;
  minSdk: number;
  targetSdk: number;
  /** The folder of the APKs (/data/app/~~…==/pkg-…==, or /system/priv-app/Name). */
  codePath: string;
  /** The base APK's path. */
  baseApk: string;
  /** Split names, in Android's order (sorted). */
  splits: string[];
  uid: number;
  system: boolean;
  privileged: boolean;
  debuggable: boolean;
  testOnly: boolean;
  hasCode: boolean;
  launcherActivity: string | null;
  activities: string[];
  permissions: string[];
  /** Runtime permissions granted at install (-g). */
  granted: string[];
  firstInstallTime: number;
  lastUpdateTime: number;
  installer: string | null;
  signer: string | null;
  signingVersion: number;
  nativeAbis: string[];
  /** False after `pm uninstall -k` or `pm uninstall --user 0` of a system app: still known (`pm list packages -u`), not usable. */
  installed: boolean;
  /**
   * PackageManager.COMPONENT_ENABLED_STATE_*: 0 default, 1 enabled, 2 disabled, 3 disabled-user. A disabled
   * package stays installed but has no launcher entry and cannot be started.
   */
  enabledState?: number;
}

export const isDisabled = (p: PackageSetting): boolean => p.enabledState === 2 || p.enabledState === 3;

export function splitApkPath(p: PackageSetting, split: string): string {
  return `${p.codePath}/split_${split}.apk`;
}

export function apkPaths(p: PackageSetting): string[] {
  return [p.baseApk, ...p.splits.map((s) => splitApkPath(p, s))];
}

/** ComponentName.flattenToShortString: `.Main` when the class is in the package. */
export function shortClass(pkg: string, cls: string): string {
  return cls.startsWith(`${pkg}.`) ? cls.slice(pkg.length) : cls;
}

function randomDirToken(): string {
  // PackageManagerServiceUtils.getNextCodePath: 16 random bytes, URL-safe base64 with padding.
  return randomBytes(16).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** A fresh code path for a package: /data/app/~~RANDOM==/PKG-RANDOM== (Android 11+). */
export function newCodePath(pkg: string): string {
  return `/data/app/~~${randomDirToken()}/${pkg}-${randomDirToken()}`;
}

const BOOT_TIME = Date.UTC(2024, 5, 5, 12, 0, 0);

function preinstalled(): PackageSetting[] {
  const sys = (name: string, label: string, dir: string, uid: number, activity: string | null, privileged = true): PackageSetting => ({
    name, label, versionCode: 34, versionName: '14', minSdk: 34, targetSdk: 34, codePath: `${dir}`, baseApk: `${dir}/${path.posix.basename(dir)}.apk`, splits: [],
    uid, system: true, privileged, debuggable: false, testOnly: false, hasCode: true, launcherActivity: activity, activities: activity ? [activity] : [],
    permissions: [], granted: [], firstInstallTime: BOOT_TIME, lastUpdateTime: BOOT_TIME, installer: null, signer: PLATFORM_SIGNER, signingVersion: 3,
    nativeAbis: [], installed: true,
  });
  const user = (name: string, label: string, uid: number): PackageSetting => {
    const token = (salt: string) => createHash('sha256').update(`${name}:${salt}`).digest().subarray(0, 16).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    const codePath = `/data/app/~~${token('a')}/${name}-${token('b')}`;
    return {
      name, label, versionCode: 1, versionName: '1.0', minSdk: 26, targetSdk: 34, codePath, baseApk: `${codePath}/base.apk`, splits: [], uid,
      system: false, privileged: false, debuggable: false, testOnly: false, hasCode: true, launcherActivity: `${name}.MainActivity`, activities: [`${name}.MainActivity`],
      permissions: [], granted: [], firstInstallTime: BOOT_TIME, lastUpdateTime: BOOT_TIME, installer: null, signer: 'a7b2f5d08c6e4e1d9f3b2c7a8e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d', signingVersion: 2,
      nativeAbis: [], installed: true,
    };
  };
  return [
    sys(LAUNCHER_PKG, 'Launcher', '/system_ext/priv-app/Launcher3QuickStep', 10101, `${LAUNCHER_PKG}.Launcher`),
    sys(SYSTEMUI_PKG, 'System UI', '/system_ext/priv-app/SystemUI', 10043, null),
    sys(SETTINGS_PKG, 'Settings', '/system_ext/priv-app/Settings', 1000, `${SETTINGS_PKG}.Settings`),
    user(NOTES_PKG, 'Notes', 10150),
    user(STOPWATCH_PKG, 'Stopwatch', 10151),
    user(WALLET_PKG, 'Wallet', 10152),
  ];
}

/** A pending install session (PackageInstallerSession): files staged in /data/app/vmdlID.tmp. */
export interface InstallSession {
  /** A parent session (install-create --multi-package): it holds child sessions and no APKs. */
  multiPackage?: boolean;
  children?: InstallSession[];
  id: number;
  stageDir: string;
  /** Names written so far, in order. */
  names: string[];
  params: InstallParams;
  createdAt: number;
}

export interface InstallParams {
  replaceExisting: boolean;
  allowTest: boolean;
  requestDowngrade: boolean;
  grantRuntime: boolean;
  installer: string | null;
  /** -S: total size, or -1. */
  size: number;
  /** -p PKG: add or replace splits of an installed package. */
  inheritFrom: string | null;
  /** --pkg PKG: the package the session must contain. */
  appPackageName: string | null;
  dontKill: boolean;
  bypassLowTargetSdk: boolean;
  /** --multi-package: a parent session of child sessions. */
  multiPackage?: boolean;
}

export class InstallFailure extends Error {
  constructor(readonly code: string, readonly detail?: string) {
    super(detail ? `${code}: ${detail}` : code);
  }
}

const dbs = new WeakMap<VirtualDevice, PackageDb>();
const SYSTEM_SERVER_PID = 870;

export class PackageDb {
  private packages: PackageSetting[] = [];
  readonly sessions = new Map<number, InstallSession>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(readonly device: VirtualDevice) {}

  /** The device's package database: read from the sandbox on first use (or seeded with the preinstalled apps). */
  static of(device: VirtualDevice): PackageDb {
    let db = dbs.get(device);
    if (!db) {
      db = new PackageDb(device);
      db.load();
      dbs.set(device, db);
    }
    return db;
  }

  private load(): void {
    let loaded: PackageSetting[] | undefined;
    try {
      const text = readFileSync(path.join(this.device.fs.root, PACKAGES_FILE), 'utf8');
      const doc = JSON.parse(text) as { packages?: PackageSetting[] };
      if (Array.isArray(doc.packages) && doc.packages.every((p) => p && typeof p.name === 'string' && typeof p.uid === 'number')) loaded = doc.packages;
    } catch {
      loaded = undefined; // first boot, or an unreadable file: start from the factory image
    }
    this.packages = loaded ?? preinstalled();
    this.sync();
  }

  /** Writes the database atomically (temp file + rename), one write at a time. */
  save(): Promise<void> {
    const doc = JSON.stringify({ version: 1, packages: this.packages }, null, 1);
    this.saving = this.saving.then(() => this.device.fs.writeFile(PACKAGES_FILE, doc, 0o660)).catch(() => undefined);
    return this.saving;
  }

  /** A line in the system log, as system_server writes it. */
  private log(tag: string, msg: string): void {
    try {
      this.device.logcat.write({ buffer: 'system', tag, level: 'I', msg, pid: SYSTEM_SERVER_PID, uid: 1000 });
    } catch { /* the log is best effort */ }
  }

  /** PhoneState.apps mirrors the installed packages; the process table learns their uids. */
  private sync(): void {
    const apps: InstalledApp[] = this.packages.filter((p) => p.installed && !isDisabled(p)).map((p) => ({
      pkg: p.name, label: p.label, activity: shortClass(p.name, p.launcherActivity ?? p.activities[0] ?? `${p.name}.MainActivity`),
      apkPath: p.baseApk, system: p.system, launchable: !!p.launcherActivity && p.name !== LAUNCHER_PKG,
    }));
    const phone = this.device.phone;
    phone.apps.splice(0, phone.apps.length, ...apps);
    phone.version++;
    for (const p of this.packages) this.device.procs.setAppUid(p.name, p.uid);
  }

  list(includeUninstalled = false): PackageSetting[] {
    return this.packages.filter((p) => includeUninstalled || p.installed);
  }

  get(name: string, includeUninstalled = false): PackageSetting | undefined {
    return this.packages.find((p) => p.name === name && (includeUninstalled || p.installed));
  }

  private freeUid(): number {
    const used = new Set(this.packages.map((p) => p.uid));
    let uid = FIRST_INSTALLED_UID;
    while (used.has(uid)) uid++;
    return Math.max(uid, FIRST_APP_UID);
  }

  /* ---------------- sessions ---------------- */

  async createSession(params: InstallParams): Promise<InstallSession> {
    let id: number;
    do id = randomInt(1, 0x7fffffff); while (this.sessions.has(id));
    const s: InstallSession = { id, stageDir: `/data/app/vmdl${id}.tmp`, names: [], params, createdAt: Date.now() };
    await fs.mkdir(await this.device.fs.hostPath(s.stageDir), { recursive: true });
    this.sessions.set(id, s);
    return s;
  }

  async abandon(s: InstallSession): Promise<void> {
    this.sessions.delete(s.id);
    await fs.rm(await this.device.fs.hostPath(s.stageDir), { recursive: true, force: true });
  }

  /**
   * Commits a session (PackageInstallerSession.validateApkInstallLocked, then PackageManagerService's
   * checks): every staged APK parsed, all of one package, version and signer, one base; then the checks
   * against the phone and the installed version, and the move into a fresh /data/app code path.
   */
  async commit(s: InstallSession, parse: (file: string, host: string) => Promise<ApkInfo>): Promise<PackageSetting> {
    this.sessions.delete(s.id);
    try {
      return await this.commitInner(s, parse);
    } finally {
      await fs.rm(await this.device.fs.hostPath(s.stageDir), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async commitInner(s: InstallSession, parse: (file: string, host: string) => Promise<ApkInfo>): Promise<PackageSetting> {
    const p = s.params;
    const existingForInherit = p.inheritFrom ? this.get(p.inheritFrom) : undefined;
    if (p.inheritFrom && !existingForInherit) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', 'Missing existing base package');
    const names = s.names.filter((n) => n.endsWith('.apk'));
    if (!names.length) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', 'No packages staged');
    const staged = new Map<string | undefined, { info: ApkInfo; host: string }>();
    let first: ApkInfo | undefined;
    for (const name of names) {
      const file = `${s.stageDir}/${name}`;
      const host = await this.device.fs.hostPath(file);
      const info = await parse(file, host);
      if (staged.has(info.split)) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', `Split ${info.split ?? 'null'} was defined multiple times`);
      first ??= info;
      // PackageInstallerSession.assertApkConsistentLocked: the tag is the staged file's path.
      if (info.packageName !== first.packageName) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', `${file} package ${info.packageName} inconsistent with ${first.packageName}`);
      if (p.appPackageName && p.appPackageName !== info.packageName) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', `${file} specified package ${p.appPackageName} inconsistent with ${info.packageName}`);
      if (info.versionCode !== first.versionCode) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', `${file} version code ${info.versionCode} inconsistent with ${first.versionCode}`);
      if ((info.signer ?? null) !== (first.signer ?? null)) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', `${file} signatures are inconsistent`);
      staged.set(info.split, { info, host });
    }
    const pkgName = (first as ApkInfo).packageName;
    const inherit = existingForInherit;
    if (inherit) {
      if (inherit.name !== pkgName) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', `Existing base package ${inherit.name} inconsistent with ${pkgName}`);
      if (inherit.versionCode !== (first as ApkInfo).versionCode) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', `Existing base version code ${inherit.versionCode} inconsistent with ${(first as ApkInfo).versionCode}`);
      if (inherit.signer !== ((first as ApkInfo).signer ?? null)) throw new InstallFailure('INSTALL_FAILED_INVALID_APK', 'Existing base signatures are inconsistent');
    } else if (!staged.has(undefined)) {
      throw new InstallFailure('INSTALL_FAILED_INVALID_APK', 'Full install must include a base package');
    }
    const base = staged.get(undefined)?.info;
    const all = [...staged.values()].map((x) => x.info);
    const profile = this.device.profile;

    // PackageManagerService / InstallPackageHelper checks, in the order Android makes them.
    const abis = new Set([...(inherit?.nativeAbis ?? []), ...all.flatMap((a) => a.nativeAbis)]);
    if (abis.size && ![...abis].some((a) => profile.abis.includes(a))) throw new InstallFailure('INSTALL_FAILED_NO_MATCHING_ABIS', 'Failed to extract native libraries, res=-113');
    const minSdk = base?.minSdkVersion ?? inherit?.minSdk ?? 1;
    const targetSdk = base?.targetSdkVersion ?? inherit?.targetSdk ?? minSdk;
    if (minSdk > profile.sdk) throw new InstallFailure('INSTALL_FAILED_OLDER_SDK', `Requires newer sdk version #${minSdk} (current version is #${profile.sdk})`);
    // Android 14 refuses apps that target below API 23 (--bypass-low-target-sdk-block lifts it).
    if (profile.sdk >= 34 && targetSdk < 23 && !p.bypassLowTargetSdk) throw new InstallFailure('INSTALL_FAILED_DEPRECATED_SDK_VERSION', `App package must target at least SDK version 23, but found ${targetSdk}`);
    if (base?.testOnly && !p.allowTest) throw new InstallFailure('INSTALL_FAILED_TEST_ONLY', 'Failed to install test-only apk. Did you forget to add -t?');
    const existing = this.get(pkgName, true);
    const versionCode = (first as ApkInfo).versionCode;
    if (existing?.installed && !inherit) {
      if (!p.replaceExisting) throw new InstallFailure('INSTALL_FAILED_ALREADY_EXISTS', `Attempt to re-install ${pkgName} without first uninstalling.`);
      // PackageManagerServiceUtils.isDowngradePermitted: -d works on a user build only for a debuggable app.
      const downgradeOk = p.requestDowngrade && (this.device.properties().get('ro.debuggable') === '1' || existing.debuggable);
      if (versionCode < existing.versionCode && !downgradeOk) {
        throw new InstallFailure('INSTALL_FAILED_VERSION_DOWNGRADE', `Downgrade detected: Update version code ${versionCode} is older than current ${existing.versionCode}`);
      }
    }
    if (existing && !inherit && existing.signer !== ((first as ApkInfo).signer ?? null)) {
      throw new InstallFailure('INSTALL_FAILED_UPDATE_INCOMPATIBLE', `Package ${pkgName} signatures do not match previously installed version; ignoring!`);
    }

    // Move the APKs into a fresh code path; the old one goes away (as on Android, an update gets a new folder).
    const codePath = newCodePath(pkgName);
    const hostCode = await this.device.fs.hostPath(codePath);
    await fs.mkdir(hostCode, { recursive: true });
    const splits = new Set<string>();
    if (inherit) {
      await fs.copyFile(await this.device.fs.hostPath(inherit.baseApk), path.join(hostCode, 'base.apk'));
      for (const sp of inherit.splits) {
        if (staged.has(sp)) continue;
        await fs.copyFile(await this.device.fs.hostPath(splitApkPath(inherit, sp)), path.join(hostCode, `split_${sp}.apk`));
        splits.add(sp);
      }
    }
    for (const [split, { host }] of staged) {
      const target = path.join(hostCode, split === undefined ? 'base.apk' : `split_${split}.apk`);
      await fs.rename(host, target).catch(async () => { await fs.copyFile(host, target); });
      if (split !== undefined) splits.add(split);
    }
    const now = Date.now();
    const prev = inherit ?? existing;
    const info = base ?? ({} as Partial<ApkInfo>);
    const setting: PackageSetting = {
      name: pkgName,
      label: (base ? base.label : inherit?.label) || pkgName,
      versionCode,
      versionName: base ? base.versionName ?? null : inherit?.versionName ?? null,
      minSdk, targetSdk, codePath, baseApk: `${codePath}/base.apk`,
      splits: [...splits].sort(),
      uid: prev?.uid ?? this.freeUid(),
      system: false, privileged: false,
      debuggable: base ? base.debuggable : !!inherit?.debuggable,
      testOnly: base ? base.testOnly : !!inherit?.testOnly,
      hasCode: base ? base.hasCode : inherit?.hasCode ?? true,
      launcherActivity: base ? base.launcherActivity ?? null : inherit?.launcherActivity ?? null,
      activities: base ? base.activities : inherit?.activities ?? [],
      permissions: info.permissions ?? inherit?.permissions ?? [],
      granted: p.grantRuntime ? [...(info.permissions ?? inherit?.permissions ?? [])] : (prev?.granted ?? []),
      firstInstallTime: prev?.installed ? prev.firstInstallTime : prev?.firstInstallTime ?? now,
      lastUpdateTime: now,
      installer: p.installer ?? prev?.installer ?? 'com.android.shell',
      signer: (first as ApkInfo).signer ?? null,
      signingVersion: (first as ApkInfo).signingVersion,
      nativeAbis: [...abis],
      installed: true,
    };
    if (prev?.system) {
      // An update of a system app: the system copy stays where it is; this is the updated copy.
      setting.system = true;
      setting.privileged = prev.privileged;
    }
    const oldCode = prev && !prev.system ? prev.codePath : undefined;
    if (prev?.installed) this.log('PackageManager', `Update package ${pkgName} code path from ${prev.codePath} to ${codePath}; Retain data and using new`);
    if (prev?.installed && !p.dontKill) this.log('ActivityManager', `Force stopping ${pkgName} appid=${setting.uid} user=-1: installPackageLI`);
    const i = this.packages.findIndex((x) => x.name === pkgName);
    if (i >= 0) this.packages[i] = setting;
    else this.packages.push(setting);
    if (oldCode && oldCode !== codePath) await fs.rm(await this.device.fs.hostPath(oldCode), { recursive: true, force: true }).catch(() => undefined);
    await this.removeEmptyParent(oldCode);
    // The running app is killed so the new code is loaded (unless --dont-kill).
    if (prev && !p.dontKill) this.device.phone.forceStop(pkgName);
    this.sync();
    await this.save();
    return setting;
  }

  private async removeEmptyParent(codePath: string | undefined): Promise<void> {
    if (!codePath?.startsWith('/data/app/~~')) return;
    const parent = path.posix.dirname(codePath);
    try {
      const host = await this.device.fs.hostPath(parent);
      if (!(await fs.readdir(host)).length) await fs.rmdir(host);
    } catch { /* already gone */ }
  }

  /**
   * `pm uninstall`: the package and its files go (its data too, unless `keepData`); for a system app only
   * `forUser` (0) is possible, which hides it for that user. Returns the failure code, or undefined.
   */
  async uninstall(name: string, opts: { keepData?: boolean; forUser?: number } = {}): Promise<string | undefined> {
    const p = this.get(name);
    if (!p) return 'DELETE_FAILED_INTERNAL_ERROR';
    if (p.system) {
      if (opts.forUser === undefined) return 'DELETE_FAILED_INTERNAL_ERROR';
      p.installed = false;
    } else {
      const i = this.packages.indexOf(p);
      await fs.rm(await this.device.fs.hostPath(p.codePath), { recursive: true, force: true }).catch(() => undefined);
      await this.removeEmptyParent(p.codePath);
      if (opts.keepData) {
        p.installed = false;
      } else {
        this.packages.splice(i, 1);
        this.device.phone.clearData(name);
      }
    }
    this.log('ActivityManager', `Force stopping ${name} appid=${p.uid} user=${opts.forUser ?? -1}: ${p.system ? 'pkg removed' : 'uninstall pkg'}`);
    this.device.phone.forceStop(name);
    this.sync();
    await this.save();
    return undefined;
  }

  /** `pm uninstall PKG SPLIT…`: an inherit session that leaves those splits out (a new code path, as Android makes). */
  async removeSplits(p: PackageSetting, remove: string[]): Promise<void> {
    const codePath = newCodePath(p.name);
    const hostCode = await this.device.fs.hostPath(codePath);
    await fs.mkdir(hostCode, { recursive: true });
    await fs.copyFile(await this.device.fs.hostPath(p.baseApk), path.join(hostCode, 'base.apk'));
    const keep = p.splits.filter((sp) => !remove.includes(sp));
    for (const sp of keep) await fs.copyFile(await this.device.fs.hostPath(splitApkPath(p, sp)), path.join(hostCode, `split_${sp}.apk`));
    const old = p.codePath;
    Object.assign(p, { codePath, baseApk: `${codePath}/base.apk`, splits: keep, lastUpdateTime: Date.now() });
    await fs.rm(await this.device.fs.hostPath(old), { recursive: true, force: true }).catch(() => undefined);
    await this.removeEmptyParent(old);
    this.device.phone.forceStop(p.name);
    this.sync();
    await this.save();
  }

  /** `pm install-existing`: a package still known (kept data, or a system app hidden for the user) comes back. */
  async installExisting(name: string): Promise<boolean> {
    const p = this.get(name, true);
    if (!p) return false;
    if (!p.installed) {
      if (!p.system && !(await this.device.fs.exists(p.baseApk))) return false;
      p.installed = true;
      this.sync();
      await this.save();
    }
    return true;
  }

  /** `pm enable|disable|disable-user|default-state`: the new state, and a disabled app is stopped. */
  async setEnabled(name: string, state: number): Promise<boolean> {
    const p = this.get(name);
    if (!p) return false;
    p.enabledState = state;
    if (isDisabled(p)) {
      this.log('ActivityManager', `Force stopping ${name} appid=${p.uid} user=0: pkg disabled`);
      this.device.phone.forceStop(name);
    }
    this.sync();
    await this.save();
    return true;
  }

  /** `pm grant` / `pm revoke`. */
  async setGranted(name: string, perm: string, granted: boolean): Promise<void> {
    const p = this.get(name);
    if (!p) return;
    p.granted = granted ? [...new Set([...p.granted, perm])] : p.granted.filter((x) => x !== perm);
    await this.save();
  }
}

/** Loads (or seeds) the package database of a device: call once when the phone starts so the launcher shows installed apps. */
export function loadPackages(device: VirtualDevice): PackageDb {
  return PackageDb.of(device);
}
