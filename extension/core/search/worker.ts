/**
 * Runs a search in a worker thread, so the editor never stalls: progress (new points, best so far) and the
 * result are posted to the parent; a 'cancel' message stops it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSearch, type SearchRequest } from './run';
import { CancelSource } from '../util/progress';

const cancel = new CancelSource();
parentPort?.on('message', (m: unknown) => {
  if (m === 'cancel') cancel.cancel();
});

const req = workerData as SearchRequest;
runSearch({
  ...req,
  signal: cancel.signal,
  onProgress: (p) => parentPort?.postMessage({ type: 'progress', evaluations: p.evaluations, best: p.best ? { id: p.best.id, latencyMs: p.best.latencyMs, score: p.best.score } : undefined, points: p.newPoints.map((x) => ({ id: x.id, latencyMs: x.latencyMs, score: x.score, arch: x.arch })) }),
}).then(
  (report) => parentPort?.postMessage({ type: 'done', report }),
  (err: unknown) => parentPort?.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err), cancelled: cancel.cancelled }),
);
