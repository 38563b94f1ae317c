/**
 * The LLM run store: `<workspace>/.mobileai/llm-runs/<id>/` with
 * - `run.json`: the run record, written atomically (temp file + rename) at the start with status `running` and
 *   again at the end, so a killed run leaves a readable record;
 * - `samples.jsonl`: one phone sample per line, appended while the run goes on.
 * `readRun` merges the samples into a record whose sampling was not written yet (a killed run).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { LlmRunRecord, LlmSample } from './runRecord';
import { writeFileAtomicNoClobber } from '../util/fsAtomic';

export const RUNS_DIR = path.join('.mobileai', 'llm-runs');

/** `<workspace>/.mobileai/llm-runs` */
export function runsRootOf(workspace: string): string {
  return path.join(workspace, RUNS_DIR);
}

/** Replaces `file` atomically: a fresh temp file written and fsynced by fsAtomic, then renamed over it. */
async function writeAtomic(file: string, data: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.new`);
  await writeFileAtomicNoClobber(tmp, data);
  await fs.rename(tmp, file);
}

export function runId(label: string, when = new Date()): string {
  const stamp = when.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'run';
  return `${stamp}-${slug}`;
}

/** One run's folder: create it (unique), write and update run.json, append samples. */
export class RunWriter {
  private appendChain: Promise<void> = Promise.resolve();
  private constructor(readonly dir: string, readonly id: string) {}

  static async create(root: string, label: string): Promise<RunWriter> {
    await fs.mkdir(root, { recursive: true });
    const base = runId(label);
    for (let i = 0; i < 1000; i++) {
      const id = i === 0 ? base : `${base}-${i}`;
      try {
        await fs.mkdir(path.join(root, id));
        return new RunWriter(path.join(root, id), id);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw new Error(`no free run folder near ${path.join(root, base)}`);
  }

  get runFile(): string {
    return path.join(this.dir, 'run.json');
  }

  get samplesFile(): string {
    return path.join(this.dir, 'samples.jsonl');
  }

  async write(rec: LlmRunRecord): Promise<void> {
    await this.appendChain;
    await writeAtomic(this.runFile, `${JSON.stringify(rec, null, 2)}\n`);
  }

  /** Appends samples in order (calls may overlap; they are chained). */
  append(samples: LlmSample[]): Promise<void> {
    if (!samples.length) return this.appendChain;
    const text = samples.map((s) => JSON.stringify(s)).join('\n') + '\n';
    this.appendChain = this.appendChain.then(() => fs.appendFile(this.samplesFile, text)).catch(() => undefined);
    return this.appendChain;
  }

  flush(): Promise<void> {
    return this.appendChain;
  }
}

/** Reads samples.jsonl, skipping a torn last line (a kill mid-write). */
export async function readSamples(dir: string): Promise<LlmSample[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, 'samples.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const out: LlmSample[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const s = JSON.parse(line) as LlmSample;
      if (s && typeof s.t === 'number') out.push(s);
    } catch {
      // torn line
    }
  }
  return out;
}

/**
 * A run's record. A record still `running` (the process was killed) gets the samples from samples.jsonl and a
 * note; `sampling.samples` already written at the end wins.
 */
export async function readRun(dir: string): Promise<LlmRunRecord> {
  const text = await fs.readFile(path.join(dir, 'run.json'), 'utf8');
  let rec: LlmRunRecord;
  try {
    rec = JSON.parse(text) as LlmRunRecord;
  } catch (err) {
    throw new Error(`${path.join(dir, 'run.json')} is not valid JSON: ${(err as Error).message}`);
  }
  if (rec.schema !== 'mobileai.llm-run/1') throw new Error(`${path.join(dir, 'run.json')} is not an LLM run record (schema ${String(rec.schema)})`);
  rec.id ??= path.basename(dir);
  if (!rec.sampling?.samples?.length) {
    const samples = await readSamples(dir);
    if (samples.length) {
      rec.sampling = { targetHz: rec.sampling?.targetHz ?? 0, achievedHz: achievedHz(samples), sources: rec.sampling?.sources ?? [], ...rec.sampling, samples };
    }
    if (rec.status === 'running') rec.notes = [...rec.notes, `the run did not finish (killed or still going): ${samples.length} samples so far from samples.jsonl`];
  }
  return rec;
}

export function achievedHz(samples: LlmSample[]): number {
  const s = samples.filter((x) => x.currentUa !== undefined || x.cpuFreqKhz !== undefined);
  if (s.length < 2) return 0;
  const span = (s[s.length - 1].t - s[0].t) / 1000;
  return span > 0 ? Math.round(((s.length - 1) / span) * 100) / 100 : 0;
}

export interface RunListing {
  id: string;
  dir: string;
  record?: LlmRunRecord;
  /** Why the record could not be read. */
  error?: string;
}

/** Every run under the root, newest first (by id, which starts with the time). */
export async function listRuns(root: string): Promise<RunListing[]> {
  let names: string[];
  try {
    names = (await fs.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  names.sort().reverse();
  return Promise.all(
    names.map(async (id) => {
      const dir = path.join(root, id);
      try {
        return { id, dir, record: await readRun(dir) };
      } catch (err) {
        return { id, dir, error: (err as Error).message };
      }
    }),
  );
}
