import type { AdbService } from '../adb/adbService';

export interface DisplayState {
  /** The display's size as apps and `input` see it: width and height swap when the phone is turned. */
  width: number;
  height: number;
  /** Quarter turns from the natural orientation (Surface.ROTATION_0..270). */
  rotation: 0 | 1 | 2 | 3;
}

/**
 * Reads the current logical display from `dumpsys display`: the logical display's override info when the
 * phone prints one (it carries the rotated size and the rotation), else the base info.
 */
export function parseDisplayState(text: string): DisplayState | undefined {
  const pick = (re: RegExp) => {
    const m = re.exec(text);
    return m ? { width: Number(m[1]), height: Number(m[2]), rotation: Number(m[3]) } : undefined;
  };
  const info = pick(/mOverrideDisplayInfo=DisplayInfo\{[^\n]*?\breal (\d+) x (\d+)[^\n]*?\brotation (\d)/) ?? pick(/mBaseDisplayInfo=DisplayInfo\{[^\n]*?\breal (\d+) x (\d+)[^\n]*?\brotation (\d)/) ??
    pick(/DisplayInfo\{[^\n]*?\breal (\d+) x (\d+)[^\n]*?\brotation (\d)/);
  if (!info || !(info.width > 0 && info.height > 0) || info.rotation > 3) return undefined;
  return info as DisplayState;
}

/**
 * The display state, read quietly: the panel polls this every second while it is visible, so it goes over
 * `exec:` directly (AdbService.exec would log every poll); the caller logs only when the state changes.
 */
export async function readDisplayState(adb: AdbService, serial: string, opts: { timeoutMs?: number } = {}): Promise<DisplayState | undefined> {
  const conn = await adb.openService(serial, 'exec:dumpsys display');
  const timer = setTimeout(() => conn.end(), opts.timeoutMs ?? 5000);
  try {
    const out = (await conn.parser.readAll()) as Buffer;
    return parseDisplayState(out.toString('utf8'));
  } finally {
    clearTimeout(timer);
  }
}

/** Two display states are the same picture (size and rotation). */
export function sameDisplay(a: DisplayState | undefined, b: DisplayState | undefined): boolean {
  return !!a && !!b && a.width === b.width && a.height === b.height && a.rotation === b.rotation;
}

/**
 * Turns the phone a quarter turn clockwise (or to `to`): auto-rotate off (`accelerometer_rotation 0`), then
 * `user_rotation` (Surface.ROTATION_0..270), as `settings` writes them on a real phone. Returns the new rotation.
 */
export async function rotatePhone(adb: AdbService, serial: string, current: 0 | 1 | 2 | 3, to?: 0 | 1 | 2 | 3): Promise<0 | 1 | 2 | 3> {
  const next = (to ?? ((current + 1) % 4)) as 0 | 1 | 2 | 3;
  const off = await adb.exec(serial, ['settings', 'put', 'system', 'accelerometer_rotation', '0'], { timeoutMs: 5000 });
  if (off.exitCode !== 0) throw new Error(`cannot turn auto-rotate off: ${(off.stderr.toString() || off.stdout.toString()).trim()}`);
  const r = await adb.exec(serial, ['settings', 'put', 'system', 'user_rotation', String(next)], { timeoutMs: 5000 });
  if (r.exitCode !== 0) throw new Error(`cannot rotate: ${(r.stderr.toString() || r.stdout.toString()).trim()}`);
  return next;
}
