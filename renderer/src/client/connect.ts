// Finds the engine: the Electron preload's bridge when there is one, else the daemon's WebSocket
// on this page's own origin (the daemon's HttpOnly cookie authenticates it; the UI holds no token).
import type { SyncClient, DesktopHost } from '../contract.js';
import { ALWAYS_OPEN, type ConnectionMonitor } from './connectionState.js';
import { createSocketClient } from './socketClient.js';

declare global {
  interface Window {
    tandem?: SyncClient;
    tandemDesktop?: DesktopHost;
  }
}

let monitor: ConnectionMonitor = ALWAYS_OPEN;

/** The SyncClient for this window; call once at startup. */
export function connect(): SyncClient {
  if (window.tandem) {
    monitor = ALWAYS_OPEN;
    return window.tandem;
  }
  const httpUrl = new URL('api', location.href);
  const wsUrl = new URL(httpUrl);
  wsUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  const { client, connection } = createSocketClient(wsUrl.href, {
    WebSocket,
    probeStatus: () =>
      fetch(httpUrl, { credentials: 'same-origin', cache: 'no-store' }).then(
        (r) => r.status,
        () => null,
      ),
  });
  monitor = connection;
  return client;
}

/** The state of the link made by connect(), for the banner and for refetching after a drop. */
export function connectionMonitor(): ConnectionMonitor {
  return monitor;
}

/** The desktop shell's extras, or null in a browser. */
export function desktopHost(): DesktopHost | null {
  return window.tandemDesktop ?? null;
}
