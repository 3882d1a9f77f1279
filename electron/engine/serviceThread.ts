// Starts the SyncService on its own worker thread and hands back a SyncClient for it: the one way
// the daemon and the Electron main process reach the engine.
import { Worker } from 'node:worker_threads';
import { createRpcClient, type RpcMessage, type SyncClient } from '../shared/rpc.js';
import { tandemHome } from './pair.js';
import type { ServiceWorkerData } from './serviceWorker.js';
import { workerEntry } from './workerEntry.js';

export interface ServiceThread {
  client: SyncClient;
  /** stops the pairs' runners (finishing a write in progress) and ends the thread */
  stop(): Promise<void>;
}

export interface ServiceThreadOptions {
  home?: string;
  watch?: boolean;
  pollMs?: number;
  quietMs?: number;
}

type WorkerMessage =
  RpcMessage | { t: 'ready' } | { t: 'stopped' } | { t: 'fatal'; message: string };

/** Resolves once every registered pair's runner has started. */
export function startServiceThread(opts: ServiceThreadOptions = {}): Promise<ServiceThread> {
  const data: ServiceWorkerData = {
    home: opts.home ?? tandemHome(),
    watch: opts.watch ?? true,
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    ...(opts.quietMs !== undefined ? { quietMs: opts.quietMs } : {}),
  };
  const { url, execArgv } = workerEntry('serviceWorker');
  const worker = new Worker(url, { workerData: data, execArgv });
  const rpc = createRpcClient((call) => worker.postMessage(call));
  let stopped: (() => void) | null = null;

  return new Promise((resolve, reject) => {
    let ready = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.t === 'ready') {
        ready = true;
        resolve({
          client: rpc.client,
          stop: () =>
            new Promise<void>((done) => {
              stopped = done;
              worker.postMessage({ t: 'stop' });
            }),
        });
      } else if (m.t === 'stopped') {
        rpc.disconnect('Tandem is shutting down');
        void worker.terminate().then(() => stopped?.());
      } else if (m.t === 'fatal') {
        reject(new Error(`the sync service could not start: ${m.message}`));
        void worker.terminate();
      } else rpc.receive(m);
    });
    worker.on('error', (e) => {
      rpc.disconnect(`the sync service stopped: ${e.message}; restart Tandem`);
      if (!ready) reject(e);
    });
    worker.on('exit', () => {
      rpc.disconnect('the sync service has stopped; restart Tandem');
      stopped?.();
    });
  });
}
