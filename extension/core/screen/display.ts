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

export async function readDisplayState(adb: AdbService, serial: string): Promise<DisplayState | undefined> {
  const r = await adb.exec(serial, ['dumpsys', 'display'], { timeoutMs: 5000 });
  return r.exitCode === 0 ? parseDisplayState(r.stdout.toString('utf8')) : undefined;
}
