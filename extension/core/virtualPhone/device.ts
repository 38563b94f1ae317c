import { DEFAULT_PROFILE, PhoneState, type PhoneProfile } from './phone';
import { type Sandbox } from './sandbox';
import { ProcessTable } from './os/processes';
import { LogBuffer } from './os/logcat';
import { attachSystem } from './os/androidSystem';
import { PhoneNet } from './os/net';
import { PackageDb } from './os/packages';

type Sharp = typeof import('sharp');
let sharpModule: Promise<Sharp> | undefined;
/** sharp is a native module: loaded on first use only. */
export function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then((m) => ((m as unknown as { default?: Sharp }).default ?? m) as Sharp);
  return sharpModule;
}

export function mergeProfile(overrides: Partial<PhoneProfile> = {}): PhoneProfile {
  const merged = { ...DEFAULT_PROFILE, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) } as PhoneProfile;
  merged.props = { ...DEFAULT_PROFILE.props, ...(overrides.props ?? {}) };
  merged.abis = [...merged.abis];
  for (const [k, v] of [['width', merged.width], ['height', merged.height], ['density', merged.density]] as const) {
    if (!Number.isInteger(v) || v < 64 || v > 8192) throw new Error(`virtual phone ${k} must be an integer between 64 and 8192 (got ${v})`);
  }
  return merged;
}

/** The phone behind the protocol: identity, UI state, files, and its screen as pixels. */
export class VirtualDevice {
  readonly phone: PhoneState;
  /** Processes: init, daemons, apps, and every command the shell runs. */
  readonly procs = new ProcessTable();
  /** logd's buffers: what `logcat` shows. */
  readonly logcat = new LogBuffer();
  /** The phone's own TCP ports and abstract sockets (nc, adb forward/reverse). */
  readonly net = new PhoneNet();
  /** Set by the server the phone runs in: restarts it (`reboot` in the shell, as adbd's reboot service does). */
  rebootHandler: ((target: string) => void) | undefined;
  private pngCache: { version: string; png: Buffer } | undefined;
  private rawCache: { version: string; frame: { data: Buffer; width: number; height: number } } | undefined;

  constructor(readonly profile: PhoneProfile, readonly fs: Sandbox, readonly serial: string) {
    this.phone = new PhoneState(profile);
    // Launches, force-stops, input and crashes become processes and log lines.
    attachSystem(this);
    // Installed apps come back from /data/system/packages.json (or the factory image on first boot).
    PackageDb.of(this);
  }

  properties(): Map<string, string> {
    const p = this.profile;
    const base: Record<string, string> = {
      'ro.product.manufacturer': p.manufacturer,
      'ro.product.model': p.model,
      'ro.product.name': p.device,
      'ro.product.device': p.device,
      'ro.product.brand': p.brand,
      'ro.product.board': p.boardPlatform,
      'ro.product.cpu.abi': p.abis[0] ?? 'arm64-v8a',
      'ro.product.cpu.abilist': p.abis.join(','),
      'ro.product.cpu.abilist64': p.abis.filter((a) => a.includes('64')).join(','),
      'ro.product.cpu.abilist32': p.abis.filter((a) => !a.includes('64')).join(','),
      'ro.product.locale': 'en-US',
      'ro.build.version.release': p.release,
      'ro.build.version.sdk': String(p.sdk),
      'ro.build.version.security_patch': '2024-06-05',
      'ro.build.id': 'VP1A.240605.001',
      'ro.build.display.id': 'VP1A.240605.001 release-keys',
      'ro.build.type': 'user',
      'ro.build.tags': 'release-keys',
      'ro.build.fingerprint': `${p.brand}/${p.device}/${p.device}:${p.release}/VP1A.240605.001/1:user/release-keys`,
      'ro.build.characteristics': 'default',
      'ro.soc.manufacturer': p.socManufacturer,
      'ro.soc.model': p.socModel,
      'ro.board.platform': p.boardPlatform,
      'ro.hardware': p.hardware,
      'ro.serialno': this.serial,
      'ro.sf.lcd_density': String(p.density),
      'ro.secure': '1',
      'ro.debuggable': '0',
      'ro.adb.secure': '1',
      // What boot-wait loops poll (emulator and CI scripts): all set once the phone has booted.
      'sys.boot_completed': '1',
      'dev.bootcomplete': '1',
      'init.svc.bootanim': 'stopped',
      'service.bootanim.exit': '1',
      'ro.build.version.codename': 'REL',
      'ro.build.version.incremental': '1',
      'ro.build.version.preview_sdk': '0',
      'persist.sys.locale': 'en-US',
      'init.svc.adbd': 'running',
      'persist.sys.timezone': 'UTC',
      'ro.mobileai.virtual': '1',
    };
    return new Map(Object.entries({ ...base, ...p.props }));
  }

  async screenshotPng(): Promise<Buffer> {
    const version = this.phone.frameKey();
    if (this.pngCache?.version === version) return this.pngCache.png;
    const sharp = await loadSharp();
    const png = await sharp(Buffer.from(this.phone.svg())).png({ compressionLevel: 6 }).toBuffer();
    this.pngCache = { version, png };
    return png;
  }

  /** The screen as RGBA pixels (for the video encoder), rendered again only when the picture changed. */
  async screenRgba(): Promise<{ data: Buffer; width: number; height: number; version: string }> {
    const version = this.phone.frameKey();
    if (this.rawCache?.version !== version) {
      const sharp = await loadSharp();
      const { data, info } = await sharp(Buffer.from(this.phone.svg())).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      this.rawCache = { version, frame: { data, width: info.width, height: info.height } };
    }
    return { ...this.rawCache.frame, version };
  }

  /** `screencap` without -p: a 16-byte header (width, height, format RGBA_8888, dataspace) then pixels. */
  async screenshotRaw(): Promise<Buffer> {
    const sharp = await loadSharp();
    const { data, info } = await sharp(Buffer.from(this.phone.svg())).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const head = Buffer.alloc(16);
    head.writeUInt32LE(info.width, 0);
    head.writeUInt32LE(info.height, 4);
    head.writeUInt32LE(1, 8);
    head.writeUInt32LE(0, 12);
    return Buffer.concat([head, data]);
  }
}
