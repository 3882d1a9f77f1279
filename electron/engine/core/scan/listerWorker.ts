// The worker that lists one side of a pair (walkWorker), started before its job is known.
//
// A worker thread takes about 70 ms here to start and load the walk's modules, and on an
// unchanged pair of 20,000 files its listing of the target is the longest step of the plan: the
// main thread had listed the source and then waited for it. So the CLI starts the worker on its
// first line (bin/tandem.js, for the commands that plan a local pair), where its start overlaps
// the loading of the CLI's own modules and the opening of the pair; listInWorker then hands it
// the job. This module imports nothing of the walk, so that the worker starts at once.
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../runtime/workerEntry.js';

let warm: Worker | null = null;
/** the warm worker failed to start or stopped before it was given a job */
let warmLost = false;

function start(job?: unknown): Worker {
  const { url, execArgv } = workerEntry(import.meta.url, 'walkWorker');
  return new Worker(url, { workerData: job ?? null, execArgv });
}

/**
 * Starts a listing worker that waits for its job. Unreferenced until then: a run that never
 * lists (an error, a remote pair) exits as if it had not been started.
 */
export function startLister(): void {
  if (warm) return;
  warm = start();
  warmLost = false;
  warm.unref();
  // An error before its job would never reach the listing's own handlers: listerFor then
  // starts another worker, whose error (if it is the same) the listing reports.
  warm.once('error', () => (warmLost = true));
  warm.once('exit', () => (warmLost = true));
}

/** A worker listing `job` (walkWorker's data): the one startLister started, else a new one. */
export function listerFor(job: unknown): Worker {
  const w = warm;
  warm = null;
  if (!w || warmLost) return start(job);
  w.ref();
  w.postMessage(job);
  return w;
}
