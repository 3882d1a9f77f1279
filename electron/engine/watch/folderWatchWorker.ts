// Worker thread: holds one side's folder watches (folderWatch.ts) and sends their events to the
// pair's watcher in batches. The kernel queues a bounded number of events (inotify's
// max_queued_events, 16,384 by default) and drops the rest; libuv reads them on the thread that
// watches, so a thread of their own keeps reading while the service's thread walks or plans.
import { parentPort, workerData } from 'node:worker_threads';
import type { WatchEventKind } from './coalesceEvents.js';
import { FolderWatch, watchIgnoreRule } from './folderWatch.js';

export type FolderWatchMessage =
  | { t: 'ready'; folders: number }
  | { t: 'events'; events: [WatchEventKind, string][] }
  | { t: 'error'; message: string; code?: string };

const { root, ignore } = workerData as { root: string; ignore: string[] };
const port = parentPort!;
let batch: [WatchEventKind, string][] = [];
let flushing = false;
const flush = (): void => {
  flushing = false;
  if (!batch.length) return;
  port.postMessage({ t: 'events', events: batch } satisfies FolderWatchMessage);
  batch = [];
};
const send = (m: FolderWatchMessage): void => port.postMessage(m);
const watch = new FolderWatch(root, watchIgnoreRule(ignore), {
  event(kind, rel) {
    batch.push([kind, rel]);
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  },
  error(e) {
    flush();
    send({ t: 'error', message: e.message, ...(e.code ? { code: e.code } : {}) });
  },
});
try {
  watch.start();
  flush();
  send({ t: 'ready', folders: watch.size });
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  send({ t: 'error', message: err.message, ...(err.code ? { code: err.code } : {}) });
  watch.close();
}
