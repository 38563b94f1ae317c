import { MOUNTS as FS_MOUNTS, androidIdName, groupsOf as fsGroupsOf, mountOf as fsMountOf, type Mount as FsMount } from '../../sandbox';

/**
 * Android's users and groups as bionic's getpwuid/getgrgid know them (AID_* of android_filesystem_config.h,
 * app ids u0_aN, their cache/ext/shared gids, isolated u0_iN), the shell's identity, and SELinux labels.
 */

const AIDS: Array<[number, string]> = [
  [0, 'root'], [1, 'daemon'], [2, 'bin'], [1000, 'system'], [1001, 'radio'], [1002, 'bluetooth'], [1003, 'graphics'], [1004, 'input'],
  [1005, 'audio'], [1006, 'camera'], [1007, 'log'], [1008, 'compass'], [1009, 'mount'], [1010, 'wifi'], [1011, 'adb'], [1012, 'install'],
  [1013, 'media'], [1014, 'dhcp'], [1015, 'sdcard_rw'], [1016, 'vpn'], [1017, 'keystore'], [1018, 'usb'], [1019, 'drm'], [1020, 'mdnsr'],
  [1021, 'gps'], [1023, 'media_rw'], [1024, 'mtp'], [1026, 'drmrpc'], [1027, 'nfc'], [1028, 'sdcard_r'], [1029, 'clat'], [1030, 'loop_radio'],
  [1031, 'mediadrm'], [1032, 'package_info'], [1033, 'sdcard_pics'], [1034, 'sdcard_av'], [1035, 'sdcard_all'], [1036, 'logd'],
  [1037, 'shared_relro'], [1038, 'dbus'], [1039, 'tlsdate'], [1040, 'mediaex'], [1041, 'audioserver'], [1042, 'metrics_coll'],
  [1043, 'metricsd'], [1044, 'webserv'], [1045, 'debuggerd'], [1046, 'mediacodec'], [1047, 'cameraserver'], [1048, 'firewall'],
  [1049, 'trunks'], [1050, 'nvram'], [1051, 'dns'], [1052, 'dns_tether'], [1053, 'webview_zygote'], [1054, 'vehicle_network'],
  [1055, 'media_audio'], [1056, 'media_video'], [1057, 'media_image'], [1058, 'tombstoned'], [1059, 'media_obb'], [1060, 'ese'],
  [1061, 'ota_update'], [1062, 'automotive_evs'], [1063, 'lowpan'], [1064, 'hsm'], [1065, 'reserved_disk'], [1066, 'statsd'],
  [1067, 'incidentd'], [1068, 'secure_element'], [1069, 'lmkd'], [1070, 'llkd'], [1071, 'iorapd'], [1072, 'gpu_service'],
  [1073, 'network_stack'], [1074, 'gsid'], [1075, 'fsverity_cert'], [1076, 'credstore'], [1077, 'external_storage'],
  [1078, 'ext_data_rw'], [1079, 'ext_obb_rw'], [1080, 'context_hub'], [1081, 'virtualizationservice'], [1082, 'artd'], [1083, 'uwb'],
  [1084, 'thread_network'], [1085, 'diced'], [1086, 'dmesgd'], [1087, 'jc_weaver'], [1088, 'jc_strongbox'], [1089, 'jc_identitycred'],
  [1090, 'sdk_sandbox'], [1091, 'security_log_writer'], [1092, 'prng_seeder'],
  [2000, 'shell'], [2001, 'cache'], [2002, 'diag'], [3001, 'net_bt_admin'], [3002, 'net_bt'], [3003, 'inet'], [3004, 'net_raw'],
  [3005, 'net_admin'], [3006, 'net_bw_stats'], [3007, 'net_bw_acct'], [3009, 'readproc'], [3010, 'wakelock'], [3011, 'uhid'],
  [3012, 'readtracefs'], [9997, 'everybody'], [9998, 'misc'], [9999, 'nobody'],
];

const BY_ID = new Map(AIDS);
const BY_NAME = new Map(AIDS.map(([id, n]) => [n, id]));

/** The name toybox prints for a uid/gid: the sandbox's (so ls, ps and id agree), else ours, else the number. */
export function idString(id: number): string {
  const fromFs = androidIdName(id);
  if (fromFs !== String(id)) return fromFs;
  return idName(id) ?? String(id);
}

/** getpwuid()/getgrgid() name, or undefined (toybox then prints the number). */
export function idName(id: number): string | undefined {
  const known = BY_ID.get(id);
  if (known) return known;
  const user = Math.floor(id / 100000);
  const app = id % 100000;
  if (app >= 99000 && app <= 99999) return `u${user}_i${app - 99000}`;
  if (app >= 10000 && app <= 19999) return `u${user}_a${app - 10000}`;
  if (app >= 20000 && app <= 29999) return `u${user}_a${app - 20000}_cache`;
  if (app >= 30000 && app <= 39999) return `u${user}_a${app - 30000}_ext`;
  if (app >= 40000 && app <= 49999) return `u${user}_a${app - 40000}_ext_cache`;
  if (app >= 50000 && app <= 59999) return `all_a${app - 50000}`;
  if (user > 0 && BY_ID.has(app)) return `u${user}_${BY_ID.get(app)}`;
  return undefined;
}


/** getpwnam()/getgrnam(): an id for a name (including u0_a12 forms), or undefined. */
export function idByName(name: string): number | undefined {
  const known = BY_NAME.get(name);
  if (known !== undefined) return known;
  const m = /^u(\d+)_([ai])(\d+)(_cache|_ext|_ext_cache)?$/.exec(name);
  if (m) {
    const base = m[2] === 'i' ? 99000 : { '': 10000, _cache: 20000, _ext: 30000, _ext_cache: 40000 }[m[4] ?? ''] ?? 10000;
    return Number(m[1]) * 100000 + base + Number(m[3]);
  }
  const all = /^all_a(\d+)$/.exec(name);
  if (all) return 50000 + Number(all[1]);
  return undefined;
}

/** The groups adbd gives the shell on Android 14 (init's adbd service, `id` as shell). */
export const SHELL_GROUPS = [2000, 1004, 1007, 1011, 1015, 1028, 1078, 1079, 3001, 3002, 3003, 3006, 3009, 3011, 3012];

/** Supplementary groups of a uid (the sandbox's, which its permission checks use). */
export function groupsOf(uid: number): number[] {
  return [...fsGroupsOf(uid)];
}

/** The SELinux domain a process of this uid runs in. */
export function processContext(uid: number): string {
  if (uid === 0) return 'u:r:su:s0';
  if (uid === 2000) return 'u:r:shell:s0';
  if (uid === 1000) return 'u:r:system_server:s0';
  if (uid >= 10000) return 'u:r:untrusted_app:s0:c512,c768';
  return 'u:r:shell:s0';
}

/** The SELinux label of a file (file_contexts of an Android 14 phone, the common cases). */
export function fileContext(abs: string): string {
  const under = (p: string): boolean => abs === p || abs.startsWith(`${p}/`);
  if (under('/data/local/tmp') || under('/data/local')) return 'u:object_r:shell_data_file:s0';
  if (under('/sdcard') || under('/storage') || under('/mnt/sdcard')) return 'u:object_r:fuse:s0';
  if (under('/data/app')) return 'u:object_r:apk_data_file:s0';
  if (under('/data/data') || under('/data/user') || under('/data/user_de')) return 'u:object_r:app_data_file:s0';
  if (abs === '/data') return 'u:object_r:system_data_root_file:s0';
  if (under('/data')) return 'u:object_r:system_data_file:s0';
  if (under('/system/bin/sh') || abs === '/system/bin/mksh') return 'u:object_r:shell_exec:s0';
  if (abs === '/system/bin/toybox') return 'u:object_r:toolbox_exec:s0';
  if (under('/system') || under('/system_ext') || under('/product')) return 'u:object_r:system_file:s0';
  if (under('/vendor') || under('/odm')) return 'u:object_r:vendor_file:s0';
  if (under('/apex')) return 'u:object_r:apex_mnt_dir:s0';
  if (under('/proc')) return 'u:object_r:proc:s0';
  if (abs === '/dev/null' || abs === '/dev/zero') return 'u:object_r:null_device:s0';
  if (abs === '/dev/random' || abs === '/dev/urandom') return 'u:object_r:random_device:s0';
  if (abs === '/dev/tty') return 'u:object_r:owntty_device:s0';
  if (under('/dev')) return 'u:object_r:device:s0';
  if (under('/mnt')) return 'u:object_r:tmpfs:s0';
  if (under('/sys')) return 'u:object_r:sysfs:s0';
  if (under('/cache')) return 'u:object_r:cache_file:s0';
  if (under('/etc')) return 'u:object_r:system_file:s0';
  return 'u:object_r:rootfs:s0';
}

/* ------------------------------------------------------------------ */
/* mounts (df, stat -f): the sandbox's mounts with the space a phone shows */

export interface Space {
  /** statfs f_type */
  magic: number;
  /** 1 KiB blocks: total and used; available to the shell (ext4/erofs keep none for it on full images). */
  totalK: number;
  usedK: number;
  availK?: number;
  files: number;
  filesFree: number;
}

export interface MountView extends FsMount {
  space: Space;
}

const TMPFS = (usedK: number, files = 970438, free = 970000): Space => ({ magic: 0x01021994, totalK: 3881752, usedK, files, filesFree: free });
const SPACE: Record<string, Space> = {
  '/': { magic: 0xe0f5e1e2, totalK: 1021264, usedK: 1021264, availK: 0, files: 0, filesFree: 0 },
  '/apex': TMPFS(0, 970438, 970130),
  '/dev': TMPFS(1612, 970438, 969371),
  '/proc': { magic: 0x9fa0, totalK: 0, usedK: 0, files: 0, filesFree: 0 },
  '/sys': { magic: 0x62656572, totalK: 0, usedK: 0, files: 0, filesFree: 0 },
  '/mnt': TMPFS(0, 970438, 970398),
  '/vendor': { magic: 0xe0f5e1e2, totalK: 732616, usedK: 732616, availK: 0, files: 0, filesFree: 0 },
  '/product': { magic: 0xe0f5e1e2, totalK: 2697552, usedK: 2697552, availK: 0, files: 0, filesFree: 0 },
  '/system_ext': { magic: 0xe0f5e1e2, totalK: 419440, usedK: 419440, availK: 0, files: 0, filesFree: 0 },
  '/data': { magic: 0xf2f52010, totalK: 115823720, usedK: 16297336, availK: 99395056, files: 7233536, filesFree: 7012377 },
  '/storage': TMPFS(0, 970438, 970426),
  '/storage/emulated': { magic: 0x65735546, totalK: 115823720, usedK: 16297336, availK: 99395056, files: 7233536, filesFree: 7012377 },
};

function view(m: FsMount): MountView {
  return { ...m, space: SPACE[m.at] ?? TMPFS(0) };
}

/** The phone's mounts in mount order. */
export function mounts(): MountView[] {
  return FS_MOUNTS.map(view);
}

/** The mount a canonical device path is on. */
export function mountOf(canonical: string): MountView {
  return view(fsMountOf(canonical));
}
