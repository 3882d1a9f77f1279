// Every IPC channel between the main process and the preload, in one place both import, so the two
// sides cannot drift. No electron import: the sandboxed preload bundles this module.
import type { DesktopHost } from '../shared/desktopHost.js';
import type { SyncApiMethod } from '../shared/rpc.js';

/** The scheme and host the UI is served from (see appUrl.ts); IPC trusts only this origin. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'tandem';

/** One invoke/handle channel per SyncApi method, generated from SYNC_API_METHODS on both sides. */
export function apiChannel<M extends SyncApiMethod>(method: M): `tandem:${M}` {
  return `tandem:${method}`;
}

/** What only the desktop shell does for the UI (renderer → main, invoke/handle). */
export type DesktopRequest = 'pickFolder' | 'openLog' | 'getDesktopSettings' | 'setDesktopSettings';
export type DesktopArgs<K extends DesktopRequest> = Parameters<DesktopHost[K]>;
export type DesktopResult<K extends DesktopRequest> = Awaited<ReturnType<DesktopHost[K]>>;

export const DESKTOP_CHANNELS = {
  pickFolder: 'tandem:pickFolder',
  openLog: 'tandem:openLog',
  getDesktopSettings: 'tandem:getDesktopSettings',
  setDesktopSettings: 'tandem:setDesktopSettings',
} as const satisfies { [K in DesktopRequest]: `tandem:${K}` };

/** Pushes (main → renderer, send/on): every SyncEvent, and a view the UI should show. */
export const PUSH_CHANNELS = {
  event: 'tandem:event',
  navigate: 'tandem:navigate',
} as const;

/** The views the shell asks the UI to show (tray, menu, notifications); the UI ignores others. */
export type NavigateView = 'addPair' | 'pending' | 'settings' | 'about';

// A desktop or push channel named like a SyncApi method would route one message to the other.
type Clash = Extract<DesktopRequest | keyof typeof PUSH_CHANNELS, SyncApiMethod>;
export const CHANNELS_DISTINCT: [Clash] extends [never] ? true : Clash = true;
