// The preload of Tandem's sandboxed window: exposes window.tandem (the SyncApi, one invoke per
// method of SYNC_API_METHODS, plus onEvent) and window.tandemDesktop (the DesktopHost), and
// nothing else. Bundled to one CommonJS file by scripts/build.js: a sandboxed preload may
// require only 'electron'.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { DesktopHost } from '../shared/desktopHost.js';
import type { SyncClient, SyncEventListener } from '../shared/rpc.js';
import { SYNC_API_METHODS, type SyncEvent } from '../shared/syncApi.js';
import {
  DESKTOP_CHANNELS,
  PUSH_CHANNELS,
  apiChannel,
  type DesktopArgs,
  type DesktopRequest,
  type DesktopResult,
} from '../main/channels.js';

/**
 * Subscribes to a push channel. The listener gets the payload only: the IpcRendererEvent (and
 * its `sender`, which can send on any channel) never reaches the page.
 */
function subscribe<T>(channel: string, listener: (payload: T) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('listener must be a function');
  const wrapped = (_event: IpcRendererEvent, payload: T) => {
    try {
      listener(payload);
    } catch (e) {
      // one failing listener must not keep the others from hearing the event
      console.error('Tandem: an event listener failed:', e);
    }
  };
  ipcRenderer.on(channel, wrapped);
  return () => void ipcRenderer.removeListener(channel, wrapped);
}

const client = {
  onEvent: (listener: SyncEventListener) => subscribe<SyncEvent>(PUSH_CHANNELS.event, listener),
} as SyncClient;
for (const method of SYNC_API_METHODS) {
  const channel = apiChannel(method);
  (client as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
    ipcRenderer.invoke(channel, ...args);
}

const invokeDesktop = <K extends DesktopRequest>(
  name: K,
  ...args: DesktopArgs<K>
): Promise<DesktopResult<K>> => ipcRenderer.invoke(DESKTOP_CHANNELS[name], ...args);

const desktopHost: DesktopHost = {
  pickFolder: (title) => invokeDesktop('pickFolder', title),
  pathForFile(file) {
    try {
      return webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]);
    } catch {
      return ''; // not a File from a drop or an <input type=file>
    }
  },
  openLog: () => invokeDesktop('openLog'),
  getDesktopSettings: () => invokeDesktop('getDesktopSettings'),
  setDesktopSettings: (patch) => invokeDesktop('setDesktopSettings', patch),
  onNavigate: (listener) => subscribe<string>(PUSH_CHANNELS.navigate, listener),
};

contextBridge.exposeInMainWorld('tandem', client);
contextBridge.exposeInMainWorld('tandemDesktop', desktopHost);
