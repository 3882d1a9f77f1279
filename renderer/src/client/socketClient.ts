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
}

const BACKOFF = [500, 1000, 2000, 4000, 5000];

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

  const open = () => {
    const ws = new deps.WebSocket(url);
    socket = ws;
    ws.onopen = () => {
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
      if (socket !== ws || stopped) return;
      socket = null;
      queue = [];
      if (e.code === CLOSE_UNAUTHORIZED) return giveUp();
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
        void deps.probeStatus(url).then((status) => (status === 401 ? giveUp() : retry()));
      } else retry();
    };
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
