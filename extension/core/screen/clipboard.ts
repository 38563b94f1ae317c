import type { AdbService } from '../adb/adbService';

/**
 * The phone's clipboard over plain adb, where the phone has a way.
 *
 * What real Android exposes: the clipboard service (`service list` shows `clipboard: [android.content.IClipboard]`)
 * implements no shell command in AOSP, so `cmd clipboard …` prints Binder's default "No shell command
 * implementation." on stderr and exits 0 (reported on API 36 emulator images, and for Android 16's
 * ClipboardService in callstack/agent-device#2676). Some builds add a `cmd clipboard get|set` command (the
 * verbs tools such as auto-mobile probe for); where it answers, it is used. scrcpy reaches the clipboard
 * through its own server (app_process + IClipboard), which this panel does not install. Android 10+ also keeps
 * the clipboard from background apps, which does not concern the shell.
 */
export type ClipboardSupport = { available: true } | { available: false; reason: string };

const NO_SHELL = /No shell command implementation/i;
const NO_SERVICE = /Can't find service: clipboard/i;

function verdict(out: string, err: string, exitCode: number): ClipboardSupport {
  const all = `${out}\n${err}`;
  if (NO_SHELL.test(all)) return { available: false, reason: "this phone's clipboard service has no shell command (`cmd clipboard` answers \"No shell command implementation.\", as stock Android does); copying from the phone needs an app on it, such as scrcpy's server" };
  if (NO_SERVICE.test(all)) return { available: false, reason: 'this phone has no clipboard service' };
  if (exitCode !== 0) return { available: false, reason: `\`cmd clipboard\` failed: ${(err || out).trim().split('\n')[0] || `exit ${exitCode}`}` };
  return { available: true };
}

/** Reads the phone's clipboard text, or says why it cannot. */
export async function readPhoneClipboard(adb: AdbService, serial: string): Promise<{ text: string } | { available: false; reason: string }> {
  const r = await adb.exec(serial, ['cmd', 'clipboard', 'get'], { timeoutMs: 5000 });
  const out = r.stdout.toString('utf8');
  const v = verdict(out, r.stderr.toString('utf8'), r.exitCode);
  if (!v.available) return v;
  return { text: out.replace(/\r?\n$/, '') };
}

/** Sets the phone's clipboard text (where `cmd clipboard set` exists), or says why it cannot. */
export async function writePhoneClipboard(adb: AdbService, serial: string, text: string): Promise<ClipboardSupport> {
  const r = await adb.exec(serial, ['cmd', 'clipboard', 'set', text], { timeoutMs: 5000 });
  return verdict(r.stdout.toString('utf8'), r.stderr.toString('utf8'), r.exitCode);
}

/** Whether the phone's clipboard is reachable (asked once per panel). */
export async function probePhoneClipboard(adb: AdbService, serial: string): Promise<ClipboardSupport> {
  const r = await readPhoneClipboard(adb, serial);
  return 'text' in r ? { available: true } : r;
}
