// Starts the SyncService on its own worker thread and hands back a SyncClient for it: the one way
// the daemon and the Electron main process reach the engine.
import { Worker } from 'node:worker_threads';
import { createRpcClient, type RpcMessage, type SyncClient } from '../../shared/rpc.js';
import { tandemHome } from '../pair/pair.js';
import type { ServiceWorkerData } from './serviceWorker.js';
import { workerEntry } from '../core/runtime/workerEntry.js';
import type { LogLevel } from './logFile.js';

export interface ServiceThread {
  client: SyncClient;
  /** stops the pairs' runners (finishing a write in progress) and ends the thread */
  stop(): Promise<void>;
  /** the thread ended without stop() (a crash): the listener gets a sentence for the user */
  onExit(listener: (message: string) => void): void;
}

export interface ServiceThreadOptions {
  home?: string;
  watch?: boolean;
  pollMs?: number;
  quietMs?: number;
  /** what the service's log records (default info) */
  logLevel?: LogLevel;
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
    ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
  };
  const { url, execArgv } = workerEntry(import.meta.url, 'serviceWorker');
  const worker = new Worker(url, { workerData: data, execArgv });
  const rpc = createRpcClient((call) => worker.postMessage(call));
  let stopped: (() => void) | null = null;
  let stopping = false;
  const exitListeners: ((message: string) => void)[] = [];
  let lastError = '';

  return new Promise((resolve, reject) => {
    let ready = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.t === 'ready') {
        ready = true;
        resolve({
          client: rpc.client,
          stop: () =>
            new Promise<void>((done) => {
              stopping = true;
              stopped = done;
              worker.postMessage({ t: 'stop' });
            }),
          onExit: (listener) => void exitListeners.push(listener),
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
      lastError = e.message;
      rpc.disconnect(`the sync service stopped: ${e.message}; restart Tandem`);
      if (!ready) reject(e);
    });
    worker.on('exit', (code) => {
      rpc.disconnect('the sync service has stopped; restart Tandem');
      if (!stopping) {
        const why = lastError || `it exited with code ${code}`;
        for (const l of exitListeners) l(`Tandem's sync service stopped (${why}); restart Tandem`);
      }
      stopped?.();
    });
  });
}
