// The UI's view of its link to the engine: open, lost (retrying) or refused for want of the token.
export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'lost'; message: string }
  | { kind: 'unauthorized' };

export interface ConnectionMonitor {
  get(): ConnectionState;
  subscribe(listener: () => void): () => void;
}

/** A monitor whose state only the transport changes. */
export function createConnectionMonitor(initial: ConnectionState): ConnectionMonitor & {
  set(state: ConnectionState): void;
} {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    set(next) {
      state = next;
      for (const l of listeners) l();
    },
  };
}

/** Electron's preload link never drops: it is one process talking to its own main process. */
export const ALWAYS_OPEN: ConnectionMonitor = createConnectionMonitor({ kind: 'open' });

export const LOST_MESSAGE = 'Connection to Tandem lost — reconnecting…';
export const UNAUTHORIZED_MESSAGE =
  "This page needs Tandem's link with its token; run `tandem serve` and open the URL it prints.";
