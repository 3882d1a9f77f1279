// The SyncClient over the daemon's WebSocket: calls queue until the socket opens, a dropped socket
// fails waiting calls with a sentence and reconnects with backoff, and a refused token stops it.
import { createRpcClient, type RpcCall, type RpcMessage, type SyncClient } from '../contract.js';
import {
  createConnectionMonitor,
  LOST_MESSAGE,
  UNAUTHORIZED_MESSAGE,
  type ConnectionMonitor,
} from './connectionState.js';

/** The daemon closes with this code when the page's cookie does not carry its token. */
export const CLOSE_UNAUTHORIZED = 4401;

export interface SocketDeps {
  /** the WebSocket constructor (a fake in tests) */
  WebSocket: new (url: string) => WebSocket;
  /** asks the endpoint over plain HTTP why the first connection failed (401 = no token) */
  probeStatus?: (url: string) => Promise<number | null>;
  /** delays between reconnect attempts, in ms */
  backoff?: readonly number[];
  /** how long one attempt may stay unopened (or the token probe unanswered) before the next */
  attemptTimeoutMs?: number;
}

const BACKOFF = [500, 1000, 2000, 4000, 5000];
/**
 * An attempt that neither opens nor fails in this time is given up and tried again: a browser
 * may hold a WebSocket handshake (or the probe's fetch) pending without end, which left the page
 * saying "reconnecting…" for good while the daemon ran.
 */
const ATTEMPT_TIMEOUT_MS = 10_000;

export function createSocketClient(
  url: string,
  deps: SocketDeps,
): { client: SyncClient; connection: ConnectionMonitor; close(): void } {
  const backoff = deps.backoff ?? BACKOFF;
  const connection = createConnectionMonitor({ kind: 'connecting' });
  let socket: WebSocket | null = null;
  let queue: RpcCall[] = [];
  let attempts = 0;
  let everOpened = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const rpc = createRpcClient((call) => {
    if (socket?.readyState === 1) socket.send(JSON.stringify(call));
    else queue.push(call);
  });

  const giveUp = () => {
    stopped = true;
    rpc.disconnect(UNAUTHORIZED_MESSAGE);
    connection.set({ kind: 'unauthorized' });
  };

  const attemptTimeout = deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const open = () => {
    const ws = new deps.WebSocket(url);
    socket = ws;
    const stalled = setTimeout(() => {
      if (socket !== ws || ws.readyState === 1) return;
      // Given up: its late close must not count as this attempt's end twice.
      ws.onopen = null;
      ws.onclose = null;
      ws.close();
      lost(ws, 1006);
    }, attemptTimeout);
    ws.onopen = () => {
      clearTimeout(stalled);
      attempts = 0;
      everOpened = true;
      const pending = queue;
      queue = [];
      for (const call of pending) ws.send(JSON.stringify(call));
      connection.set({ kind: 'open' });
    };
    ws.onmessage = (e: MessageEvent) => {
      let m: RpcMessage;
      try {
        m = JSON.parse(String(e.data)) as RpcMessage;
      } catch {
        return; // not ours; the daemon only sends JSON
      }
      rpc.receive(m);
    };
    ws.onclose = (e: CloseEvent) => {
      clearTimeout(stalled);
      lost(ws, e.code);
    };
  };

  const lost = (ws: WebSocket, code: number) => {
    if (socket !== ws || stopped) return;
    socket = null;
    queue = [];
    if (code === CLOSE_UNAUTHORIZED) return giveUp();
    rpc.disconnect(LOST_MESSAGE);
    connection.set({ kind: 'lost', message: LOST_MESSAGE });
    const retry = () => {
      const delay = backoff[Math.min(attempts, backoff.length - 1)] ?? 5000;
      attempts++;
      timer = setTimeout(() => {
        if (!stopped) {
          rpc.reconnect();
          open();
        }
      }, delay);
    };
    // A browser hides a refused upgrade's HTTP status, so ask once over plain HTTP.
    if (!everOpened && attempts === 0 && deps.probeStatus) {
      // Unanswered or failed, the probe says nothing: the next attempt goes ahead.
      let settled = false;
      const settle = (status: number | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(probeTimer);
        if (status === 401) giveUp();
        else retry();
      };
      const probeTimer = setTimeout(() => settle(null), attemptTimeout);
      deps.probeStatus(url).then(settle, () => settle(null));
    } else retry();
  };

  open();
  return {
    client: rpc.client,
    connection,
    close() {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
