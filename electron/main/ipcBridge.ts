// The one place that touches ipcMain: a handler per SyncApi method, generated from
// SYNC_API_METHODS, plus the desktop host's few requests. Every message is checked twice: who sent
// it (only the main window's top frame showing app://tandem) and what it holds (parseCall).
import {
  dialog,
  ipcMain,
  shell,
  type BrowserWindow,
  type IpcMainInvokeEvent,
  type OpenDialogOptions,
} from 'electron';
import { dispatchCall, parseCall, type SyncClient } from '../shared/rpc.js';
import {
  SYNC_API_METHODS,
  type Result,
  type ServiceSettings,
  type SyncEvent,
} from '../shared/syncApi.js';
import { isAppUrl } from './appUrl.js';
import {
  DESKTOP_CHANNELS,
  PUSH_CHANNELS,
  apiChannel,
  type DesktopRequest,
  type DesktopResult,
  type NavigateView,
} from './channels.js';
import { parseSettingsPatch, pickerTitle } from './desktopSettings.js';
import type { DesktopSettingsService } from './desktopSettingsService.js';
import { senderRefusal } from './ipcSender.js';

export interface IpcBridgeOptions {
  /** the main window, or null before it exists or after it is gone */
  window: () => BrowserWindow | null;
  /** the service's client; calls made while it starts wait for it */
  client: Promise<SyncClient>;
  desktop: DesktopSettingsService;
  /** the UI changed the service settings (the service sends no event for that) */
  onSettings: (s: ServiceSettings) => void;
  /** the service's log file, opened by "Open log" */
  logFile: string;
}

export interface IpcBridge {
  /** pushes a view for the UI to show (tray menu, notifications, app menu) */
  navigate(view: NavigateView): void;
  dispose(): void;
}

/** Opens the log in the system's viewer; null once opened, else why not (in a sentence). */
export async function openLogFile(file: string): Promise<string | null> {
  const problem = await shell.openPath(file);
  return problem ? `Tandem could not open its log ${file}: ${problem}` : null;
}

/** The live window, only while it shows the app's own page. */
function appWindow(get: () => BrowserWindow | null): BrowserWindow | null {
  const win = get();
  if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return null;
  return isAppUrl(win.webContents.getURL()) ? win : null;
}

function refusal(event: IpcMainInvokeEvent, get: () => BrowserWindow | null): string | null {
  const win = get();
  const frame = event.senderFrame;
  return senderRefusal({
    fromMainWindow: !!win && !win.isDestroyed() && event.sender.id === win.webContents.id,
    frameKnown: frame !== null,
    topFrame: frame !== null && frame.parent === null,
    url: frame?.url,
  });
}

export function installIpcBridge(opts: IpcBridgeOptions): IpcBridge {
  const channels: string[] = [];
  const failed = (message: string): Result<never> => ({
    ok: false,
    error: { code: 'failed', message },
  });

  for (const method of SYNC_API_METHODS) {
    const channel = apiChannel(method);
    channels.push(channel);
    ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<Result<unknown>> => {
      const refused = refusal(event, opts.window);
      if (refused) return { ok: false, error: { code: 'refused', message: refused } };
      // The same checks as every other transport: wrap the arguments into the wire form.
      const parsed = parseCall({ t: 'call', id: 0, method, args });
      if (!parsed.ok) return { ok: false, error: parsed.error };
      let client: SyncClient;
      try {
        client = await opts.client;
      } catch (e) {
        return failed(`The sync service is not running: ${(e as Error).message}`);
      }
      const reply = await dispatchCall(client, parsed.call);
      if (method === 'updateSettings' && reply.result.ok)
        opts.onSettings(reply.result.value as ServiceSettings);
      return reply.result;
    });
  }

  const handleDesktop = <K extends DesktopRequest>(
    name: K,
    run: (args: unknown[]) => Promise<DesktopResult<K>>,
  ) => {
    const channel = DESKTOP_CHANNELS[name];
    channels.push(channel);
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      const refused = refusal(event, opts.window);
      // DesktopHost's methods resolve to plain values; a refusal rejects with its sentence.
      if (refused) throw new Error(refused);
      return run(args);
    });
  };

  handleDesktop('pickFolder', async ([title]) => {
    const win = appWindow(opts.window);
    const options: OpenDialogOptions = {
      title: pickerTitle(title),
      properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'],
    };
    const r = win
      ? await dialog.showOpenDialog(win, options)
      : await dialog.showOpenDialog(options);
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
  handleDesktop('openLog', () => openLogFile(opts.logFile));
  handleDesktop('getDesktopSettings', () => opts.desktop.get());
  handleDesktop('setDesktopSettings', async ([patch]) => {
    const parsed = parseSettingsPatch(patch);
    if (!parsed.ok) throw new Error(parsed.message);
    return opts.desktop.set(parsed.patch);
  });

  let unsubscribe: (() => void) | null = null;
  let disposed = false;
  void opts.client.then(
    (client) => {
      if (disposed) return;
      unsubscribe = client.onEvent((e: SyncEvent) => {
        appWindow(opts.window)?.webContents.send(PUSH_CHANNELS.event, e);
      });
    },
    () => {
      /* main.ts reports a service that did not start */
    },
  );

  return {
    navigate(view) {
      const wc = appWindow(opts.window)?.webContents;
      if (!wc) return;
      // A page still loading has not subscribed yet: deliver once it has.
      if (wc.isLoading()) wc.once('did-finish-load', () => wc.send(PUSH_CHANNELS.navigate, view));
      else wc.send(PUSH_CHANNELS.navigate, view);
    },
    dispose() {
      disposed = true;
      unsubscribe?.();
      for (const c of channels) ipcMain.removeHandler(c);
    },
  };
}
