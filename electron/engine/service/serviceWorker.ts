// The worker thread that runs the SyncService for a front that serves a UI (the daemon, the
// Electron main process). The service's apply is synchronous I/O by design (fastest on the
// engine's own thread, DESIGN.md), so it runs here and the front's event loop stays free for
// sockets, IPC and windows. Messages are the rpc.ts wire form: calls in, replies and events out.
import { parentPort, workerData } from 'node:worker_threads';
import { dispatchCall, parseCall, type RpcMessage } from '../../shared/rpc.js';
import { SyncService } from './syncService.js';
import { createWatcherFactory } from './watcherFactory.js';
import type { LogLevel } from './logFile.js';

export interface ServiceWorkerData {
  home: string;
  /** false in tests that drive cycles by hand */
  watch: boolean;
  pollMs?: number;
  quietMs?: number;
  logLevel?: LogLevel;
}

const port = parentPort;
if (!port) throw new Error('serviceWorker runs only as a worker thread');
const data = workerData as ServiceWorkerData;
const service = new SyncService({
  home: data.home,
  watcherFactory: data.watch ? createWatcherFactory() : null,
  ...(data.pollMs !== undefined ? { pollMs: data.pollMs } : {}),
  ...(data.quietMs !== undefined ? { quietMs: data.quietMs } : {}),
  ...(data.logLevel !== undefined ? { logLevel: data.logLevel } : {}),
});
const post = (
  m: RpcMessage | { t: 'ready' } | { t: 'stopped' } | { t: 'fatal'; message: string },
) => port.postMessage(m);
service.on((event) => post({ t: 'event', event }));

port.on('message', (m: unknown) => {
  if ((m as { t?: string })?.t === 'stop') {
    void service.stop().finally(() => post({ t: 'stopped' }));
    return;
  }
  const parsed = parseCall(m);
  if (!parsed.ok) {
    if (parsed.id !== null)
      post({ t: 'reply', id: parsed.id, result: { ok: false, error: parsed.error } });
    return;
  }
  void dispatchCall(service, parsed.call).then(post);
});

service.start().then(
  () => post({ t: 'ready' }),
  (e: unknown) => post({ t: 'fatal', message: (e as Error).message }),
);
