// Tandem's Electron main process: one instance, the sync service on its worker thread, the
// window, tray, notifications and menu around it. Closing the window keeps syncing in the tray;
// Quit stops the service (letting a write in progress finish) before the app exits.
import fs from 'node:fs';
import path from 'node:path';
import { app, dialog, powerMonitor, session, shell, type BrowserWindow } from 'electron';
import { loadOrCreateToken } from '../daemon/daemonToken.js';
import { tandemHome } from '../engine/pair/pair.js';
import { startServiceThread, type ServiceThread } from '../engine/service/serviceThread.js';
import {
  claimOwner,
  ownerSentence,
  releaseOwner,
  runningOwner,
} from '../engine/service/serviceOwner.js';
import { registerAppScheme, serveApp } from './appProtocol.js';
import { HIDDEN_FLAG } from './autostart.js';
import { installAppMenu, openFolder, showAbout } from './appMenu.js';
import type { NavigateView } from './channels.js';
import { DesktopSettingsService } from './desktopSettingsService.js';
import { installIpcBridge, openLogFile } from './ipcBridge.js';
import { logFile } from '../engine/service/logFile.js';
import { createMainWindow, showWindow } from './mainWindow.js';
import { TRAY_HINT, sentence } from './notices.js';
import { NotificationService } from './notifications.js';
import { RENDERER_ROOT } from './paths.js';
import { lockDownSession } from './sessionPolicy.js';
import { startupErrorMessage } from './startupError.js';
import { StatusHub } from './statusHub.js';
import { TrayService } from './tray.js';
import { pairLabel } from './trayStatus.js';

/** Windows files notifications under this id; electron-builder's appId must be the same. */
const APP_USER_MODEL_ID = 'app.tandem.desktop';
/** A write in progress gets this long to finish on quit; the journal covers anything cut off. */
const STOP_TIMEOUT_MS = 30_000;

// A separate profile (tests, a portable install): set before anything reads userData, including
// the single-instance lock, which lives there.
if (process.env.TANDEM_USER_DATA)
  app.setPath('userData', path.resolve(process.env.TANDEM_USER_DATA));
registerAppScheme();

if (!app.requestSingleInstanceLock()) app.quit();
else
  run().catch((e: Error) => {
    // Something in the shell itself failed before the window could say so.
    console.error('Tandem could not start:', e);
    dialog.showErrorBox('Tandem could not start', `${e.message}. Start Tandem again.`);
    app.exit(1);
  });

async function run(): Promise<void> {
  const home = tandemHome();
  // The headless daemon may already run these pairs (one service per state folder).
  const owner = runningOwner(home);
  if (owner) {
    await app.whenReady();
    const url =
      owner.port !== null
        ? `http://127.0.0.1:${owner.port}/?token=${loadOrCreateToken(home)}`
        : null;
    const { response } = await dialog.showMessageBox({
      type: 'info',
      title: 'Tandem is already running',
      message: 'Tandem is already running',
      detail: `${sentence(ownerSentence(owner, url))}`,
      buttons: url ? ['Open in Browser', 'Quit'] : ['Quit'],
      defaultId: 0,
    });
    if (url && response === 0) await shell.openExternal(url);
    app.exit(0);
    return;
  }
  claimOwner(home, 'app', null);
  app.on('will-quit', () => releaseOwner(home));
  const service: Promise<ServiceThread> = startServiceThread({ home });
  service.catch(() => undefined); // reported below, once a dialog can be shown
  const client = service.then((s) => s.client);

  let win: BrowserWindow | null = null;
  let tray: TrayService | null = null;
  let notifications: NotificationService | null = null;
  let hub: StatusHub | null = null;
  let quitting = false;
  let stopped = false;

  // Launching Tandem again shows the running one; the login item's launch (--hidden) does not.
  app.on('second-instance', (_event, argv) => {
    if (!argv.includes(HIDDEN_FLAG)) showWindow(win);
  });
  app.on('activate', () => showWindow(win)); // macOS: the dock icon was clicked
  app.on('window-all-closed', () => {
    /* keep running in the tray; Quit ends the app */
  });
  let stopping: Promise<void> | null = null;
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return; // the service is down: let the quit proceed
    event.preventDefault();
    // Quit again while stopping (a second Cmd+Q) waits for the same stop.
    stopping ??= stopService(service).finally(() => {
      stopped = true;
      tray?.destroy();
      notifications?.closeAll();
      app.quit();
    });
    win?.hide();
    tray?.showStopping();
  });

  await app.whenReady();
  if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
  lockDownSession(session.defaultSession);
  serveApp(session.defaultSession, RENDERER_ROOT);
  // Linux and macOS: on shutdown, quit properly (stopping the service) instead of being killed.
  // (The typings omit the event the documentation describes, hence the loose signature.)
  powerMonitor.on('shutdown', (...args: unknown[]) => {
    (args[0] as { preventDefault?: () => void } | undefined)?.preventDefault?.();
    app.quit();
  });

  if (!fs.existsSync(path.join(RENDERER_ROOT, 'index.html'))) {
    dialog.showErrorBox(
      'Tandem’s window is not built',
      `There is no ${path.join(RENDERER_ROOT, 'index.html')}. Run npm run build, then start Tandem again.`,
    );
    quitting = true;
    app.quit();
    return;
  }

  const desktop = new DesktopSettingsService(
    path.join(app.getPath('userData'), 'desktop-settings.json'),
  );
  const bridge = installIpcBridge({
    window: () => win,
    client,
    desktop,
    onSettings: (s) => hub?.setPausedAll(s.pausedAll),
    logFile: logFile(home),
  });
  const showView = (view: NavigateView | undefined) => {
    showWindow(win);
    if (view) bridge.navigate(view);
  };
  const problem = (title: string, message: string) => {
    const shown = notifications?.show({ title, body: sentence(message), limits: [] });
    if (!shown) dialog.showErrorBox(title, sentence(message));
  };
  const openLog = () =>
    void openLogFile(logFile(home)).then((why) => {
      if (why) dialog.showErrorBox('Tandem could not open its log', sentence(why));
    });

  notifications = new NotificationService({
    onClick: showView,
    windowFocused: () => !!win && !win.isDestroyed() && win.isFocused(),
  });
  win = await createMainWindow({
    show: !DesktopSettingsService.openedAtLogin(process.argv),
    isQuitting: () => quitting,
    onHidden: () => {
      void (async () => {
        if (await desktop.trayHintShown()) return;
        if (notifications?.show(TRAY_HINT)) await desktop.markTrayHintShown();
      })().catch((e: Error) => console.error('Tandem:', e.message));
    },
  });
  // Windows asks windows, not the app, when the session ends: let the window close then.
  win.on('session-end', () => {
    quitting = true;
  });

  installAppMenu(
    {
      addPair: () => showView('addPair'),
      settings: () => showView('settings'),
      about: () => void showAbout(win, client),
      openStateFolder: () => void openFolder(home),
      openLog,
    },
    !app.isPackaged,
  );

  tray = new TrayService({
    open: () => showWindow(win),
    addPair: () => showView('addPair'),
    openLog,
    quit: () => app.quit(),
    syncNow: (pairId) =>
      void client.then(async (c) => {
        const r = await c.syncNow(pairId);
        if (!r.ok) {
          const pair = hub?.model.pairs.find((p) => p.id === pairId);
          problem(`Could not sync ${pair ? pairLabel(pair) : 'the pair'}`, r.error.message);
        }
      }),
    setPausedAll: (paused) =>
      void client.then(async (c) => {
        const r = await c.updateSettings({ pausedAll: paused });
        if (r.ok) hub?.setPausedAll(r.value.pausedAll);
        else problem(paused ? 'Could not pause' : 'Could not resume', r.error.message);
      }),
  });

  let started: ServiceThread;
  try {
    started = await service;
  } catch (e) {
    dialog.showErrorBox('Tandem could not start', startupErrorMessage(e, home));
    stopped = true;
    app.quit();
    return;
  }
  started.onExit((message) => {
    // Nothing syncs any more: tell the user and let them restart, rather than fail silently.
    problem('Tandem stopped syncing', message);
    stopped = true;
  });
  hub = new StatusHub(started.client);
  hub.onChange((next) => tray?.update(next));
  hub.onChange(notifications.handle);
  const loadProblem = await hub.start();
  if (loadProblem) console.error(`Tandem: could not load the pairs' status: ${loadProblem}`);

  if (process.env.TANDEM_E2E === '1') {
    // Lets end-to-end tests see what no public API shows (is the tray there?).
    (globalThis as Record<string, unknown>).__tandemShell = {
      trayAlive: () => tray?.isAlive() ?? false,
      windowVisible: () => !!win && !win.isDestroyed() && win.isVisible(),
    };
  }
}

/** Stops the service, waiting for a write in progress, but not forever. */
async function stopService(service: Promise<ServiceThread>): Promise<void> {
  const s = await service.catch(() => null);
  if (!s) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
  });
  const r = await Promise.race([s.stop().then(() => 'stopped' as const), timeout]);
  clearTimeout(timer);
  if (r === 'timeout')
    console.error(
      'Tandem: the sync service did not stop in time; its journal recovers on the next start',
    );
}
