/**
 * Runs a search in a worker thread, so the editor never stalls: progress (new points, best so far) and the
 * result are posted to the parent; a 'cancel' message stops it. With several targets, one search per
 * target (progress says which) and a comparison at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runMultiSearch, runSearch, type SearchRequest, type SearchTarget } from './run';
import type { Point } from './search';
import { CancelSource } from '../util/progress';

const cancel = new CancelSource();
parentPort?.on('message', (m: unknown) => {
  if (m === 'cancel') cancel.cancel();
});

const req = workerData as SearchRequest & { targets?: SearchTarget[] };
const progress = (p: { evaluations: number; best?: Point<unknown>; newPoints: Array<Point<unknown>> }, target?: number) => parentPort?.postMessage({
  type: 'progress', target, evaluations: p.evaluations,
  best: p.best ? { id: p.best.id, latencyMs: p.best.latencyMs, score: p.best.score } : undefined,
  points: p.newPoints.map((x) => ({ id: x.id, latencyMs: x.latencyMs, score: x.score, arch: x.arch })),
});
const failed = (err: unknown) => parentPort?.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err), cancelled: cancel.cancelled });

if (req.targets && req.targets.length > 1) {
  runMultiSearch({ ...req, targets: req.targets, signal: cancel.signal, onProgress: (i, p) => progress(p, i) }).then((report) => parentPort?.postMessage({ type: 'doneMulti', report }), failed);
} else {
  runSearch({ ...req, table: req.targets?.[0]?.table ?? req.table, budgetMs: req.targets?.[0]?.budgetMs ?? req.budgetMs, signal: cancel.signal, onProgress: (p) => progress(p) }).then((report) => parentPort?.postMessage({ type: 'done', report }), failed);
}
