// What every component reaches through context: the client, the store and the desktop extras.
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { SyncClient, DesktopHost } from '../contract.js';
import type { SyncState, SyncStore } from './syncStore.js';

export interface AppServices {
  client: SyncClient;
  store: SyncStore;
  desktop: DesktopHost | null;
}

export const AppContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(AppContext);
  if (!services) throw new Error('useServices outside <App>: the UI needs its SyncClient');
  return services;
}

/** A slice of the store's state; the selector must return a value already in the state. */
export function useSyncState<T>(select: (s: SyncState) => T): T {
  const { store } = useServices();
  return useSyncExternalStore(store.subscribe, () => select(store.getSnapshot()));
}
