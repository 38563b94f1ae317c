/**
 * Running a runner on a phone so the sampler can find it and a cancel can stop it: the command runs in the
 * background of one `adb shell` (`CMD & p=$!`), its PID goes to a file the sampler reads each pass, the shell
 * waits for it and returns its exit status. Every argument is quoted (util/shellQuote).
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { AdbService, ExecResult } from '../../adb/adbService';
import { quoteArg, shellCommand } from '../../util/shellQuote';
import { CancelledError, type CancelSignal, type ProgressSink } from '../../util/progress';

export const LLM_REMOTE_DIR = '/data/local/tmp/mobileai/llm';

/** What every runner on a phone is told: the model, the runner, the shapes and how to stop. */
export interface RunnerOptions {
  /** Host path of the model (a .onnx decoder, a .gguf, a .litertlm, or a genai model folder). */
  model: string;
  /** onnx: onnxruntime_perf_test for Android; others: a folder with the runner (pushed) or a /data/… folder on the phone. */
  runnerPath?: string;
  /** P, D, repetitions. */
  promptTokens: number;
  genTokens: number;
  repetitions: number;
  threads?: number;
  signal?: CancelSignal;
  progress?: ProgressSink;
}

export interface PhoneCommand {
  /** Folder to run in (cd). */
  cwd?: string;
  /** Environment for the command (e.g. LD_LIBRARY_PATH=lib). */
  env?: Record<string, string>;
  argv: string[];
}

/** The marker line the command line below writes to stderr: the runner's VmHWM (kB) as last read while it ran. */
const HWM_MARK = /^mobileai-runner-vmhwm-kb (\d+)\n?/m;

/**
 * The shell line: `cd DIR || exit 127; export K=V; ARGV & p=$!; echo $p > PIDFILE; <poll>; wait $p; r=$?; …; exit $r`.
 * The poll reads the runner's own VmHWM from /proc/PID/status while it runs (grep fails once the shell has reaped
 * it; a zombie has no VmHWM), so a runner shorter than one sampler period still has its peak memory; the last value
 * read (VmHWM only grows) goes to stderr as a marker line that runOnPhone takes out.
 */
export function phoneCommandLine(cmd: PhoneCommand, pidFile?: string): string {
  const parts: string[] = [];
  if (cmd.cwd) parts.push(`cd ${quoteArg(cmd.cwd)} || exit 127`);
  for (const [k, v] of Object.entries(cmd.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad environment variable name "${k}"`);
    parts.push(`export ${k}=${quoteArg(v)}`);
  }
  const pf = pidFile ? quoteArg(pidFile) : undefined;
  parts.push(`${shellCommand(cmd.argv)} & p=$!`);
  if (pf) parts.push(`echo $p > ${pf}`);
  // Name "sh" is the forked shell before exec (or an exec that failed): its VmHWM is the shell's, not the runner's.
  // Polled every 10 ms until the runner is seen, then every 0.1 s.
  parts.push('h=', 'd=0.01', "while s=$(grep -e '^Name:' -e '^VmHWM:' /proc/$p/status 2>/dev/null); do set -- $s; [ \"$3\" = VmHWM: ] || break; [ \"$2\" = sh ] || { h=$4; d=0.1; }; sleep $d; done");
  parts.push('wait $p', 'r=$?', '[ -n "$h" ] && echo "mobileai-runner-vmhwm-kb $h" >&2');
  if (pf) parts.push(`rm -f ${pf}`);
  parts.push('exit $r');
  return parts.join('; ');
}

/** Runs the command; a cancel kills the runner by its PID (then the shell's wait returns) and throws CancelledError. */
export async function runOnPhone(adb: AdbService, serial: string, cmd: PhoneCommand, opts: { pidFile?: string; signal?: CancelSignal; timeoutMs?: number } = {}): Promise<ExecResult & { text: string; hwmBytes?: number }> {
  if (opts.signal?.cancelled) throw new CancelledError('LLM benchmark cancelled');
  const pidFile = opts.pidFile ?? `${LLM_REMOTE_DIR}/runner-${process.pid}-${Date.now()}.pid`;
  const unsubscribe = opts.signal?.onCancel(() => {
    void adb.execLine(serial, `p=; read p < ${quoteArg(pidFile)} && kill $p`, { timeoutMs: 5000 }).catch(() => undefined);
  });
  try {
    const r = await adb.execLine(serial, phoneCommandLine(cmd, pidFile), { timeoutMs: opts.timeoutMs ?? 60 * 60 * 1000 });
    if (opts.signal?.cancelled) throw new CancelledError('LLM benchmark cancelled');
    const err = r.stderr.toString('utf8');
    const m = HWM_MARK.exec(err);
    const stderr = m ? Buffer.from(err.slice(0, m.index) + err.slice(m.index + m[0].length), 'utf8') : r.stderr;
    return { ...r, stderr, text: r.stdout.toString('utf8') + stderr.toString('utf8'), ...(m ? { hwmBytes: Number(m[1]) * 1024 } : {}) };
  } finally {
    unsubscribe?.();
  }
}

/** The runner's last lines, for an error message in its own words. */
export function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Pushes a file unless the phone already has one of the same size there. */
export async function pushIfChanged(adb: AdbService, serial: string, local: string, remote: string, opts: { mode?: number; signal?: CancelSignal } = {}): Promise<void> {
  const size = (await fs.stat(local)).size;
  const r = await adb.exec(serial, ['stat', '-c', '%s', remote]).catch(() => undefined);
  if (r && r.exitCode === 0 && Number(r.stdout.toString('utf8').trim()) === size) return;
  await adb.push(serial, local, remote, { mode: opts.mode, signal: opts.signal });
  if (opts.mode) await adb.exec(serial, ['chmod', (opts.mode & 0o777).toString(8), remote]);
}

/** Pushes a host folder (recursively) to the phone; files under bin/ and files without an extension get mode 755. */
export async function pushFolder(adb: AdbService, serial: string, localDir: string, remoteDir: string, signal?: CancelSignal): Promise<number> {
  let count = 0;
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(localDir, rel);
    for (const e of await fs.readdir(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        await adb.exec(serial, ['mkdir', '-p', `${remoteDir}/${r}`]);
        await walk(r);
      } else if (e.isFile()) {
        const exe = r.startsWith('bin/') || !path.extname(e.name) || ((await fs.stat(path.join(localDir, r))).mode & 0o111) !== 0;
        await pushIfChanged(adb, serial, path.join(localDir, r), `${remoteDir}/${r}`, { mode: exe ? 0o755 : 0o644, signal });
        count++;
      }
    }
  };
  await adb.exec(serial, ['mkdir', '-p', remoteDir]);
  await walk('');
  return count;
}

/** A file name safe for the phone's shell and folders. */
export function safeName(file: string): string {
  return path.basename(file).replace(/[^A-Za-z0-9._-]+/g, '_');
}
