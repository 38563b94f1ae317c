/** Replays a trace's actions on a device: the commands that ran (not refused, not failed), in order. */
import type { AdbService } from '../adb/adbService';
import type { CancelSignal } from '../util/progress';
import type { Trace } from './trace';

export interface ReplayStep {
  step: number;
  argv: string[][];
  ok: boolean;
  message: string;
}

export async function replayTrace(adb: AdbService, serial: string, trace: Trace, opts: { delayMs?: number; signal?: CancelSignal; onStep?: (s: ReplayStep) => void } = {}): Promise<ReplayStep[]> {
  const out: ReplayStep[] = [];
  for (const s of trace.steps) {
    if (opts.signal?.cancelled) break;
    const argv = s.resolved?.argv ?? [];
    const ran = s.result.ok && argv.length > 0 && (!s.guard || s.guard.verdict === 'allow' || s.guard.granted === true);
    if (!ran) continue;
    let message = 'done';
    let ok = true;
    for (const cmd of argv) {
      // Only input, monkey and am ever appear in a trace's commands; anything else was not written by the agent.
      if (!['input', 'monkey', 'am'].includes(cmd[0])) {
        ok = false;
        message = `skipped: ${cmd[0]} is not an agent action`;
        break;
      }
      const r = await adb.exec(serial, cmd, { timeoutMs: 20000 });
      if (r.exitCode !== 0) {
        ok = false;
        message = `the phone said: ${r.stderr.toString().trim() || `exit code ${r.exitCode}`}`;
        break;
      }
    }
    const rs = { step: s.step, argv, ok, message };
    out.push(rs);
    opts.onStep?.(rs);
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 500));
  }
  return out;
}
