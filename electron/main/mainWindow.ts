// Tandem's one window: sandboxed, locked to app://tandem, placed where the user left it.
// Closing it hides it (syncing goes on in the tray) unless the app is quitting.
import path from 'node:path';
import { app, BrowserWindow, screen, shell } from 'electron';
import { APP_ENTRY_URL, isAppUrl, isExternalUrl } from './appUrl.js';
import { readJsonFile, writeJsonFile } from './jsonFile.js';
import { APP_ICON_PATH, PRELOAD_PATH } from './paths.js';
import { MIN_SIZE, fitBounds, parseWindowState, type SavedWindow } from './windowState.js';

export interface MainWindowOptions {
  /** start hidden in the tray (launched at login) */
  show: boolean;
  /** true once Quit was chosen: closing then really closes */
  isQuitting: () => boolean;
  /** the window was closed to the tray (not quit) */
  onHidden: () => void;
}

const stateFile = () => path.join(app.getPath('userData'), 'window-state.json');

/** Saves the window's placement a moment after it stops moving, and once more on close. */
function rememberPlacement(win: BrowserWindow): void {
  let timer: NodeJS.Timeout | null = null;
  const save = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed()) return;
    // The normal bounds, so restoring a maximized window un-maximizes to where it was.
    const b = win.getNormalBounds();
    const state: SavedWindow = { ...b, maximized: win.isMaximized() };
    writeJsonFile(stateFile(), state).catch((e: Error) =>
      console.error('Tandem: could not save the window position:', e.message),
    );
  };
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  win.on('resize', later);
  win.on('move', later);
  win.on('maximize', later);
  win.on('unmaximize', later);
  win.on('close', save);
}

/** Keeps the page on app://tandem: no popups, no navigation, no webviews, links to the browser. */
function lockDown(win: BrowserWindow): void {
  const wc = win.webContents;
  wc.setWindowOpenHandler(({ url }) => {
    if (isExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // Also catches a file dropped outside the UI's drop zones, which would otherwise open it.
  wc.on('will-navigate', (event, url) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    if (isExternalUrl(url)) void shell.openExternal(url);
  });
  wc.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  wc.on('will-attach-webview', (event) => event.preventDefault());
}

/** Reloads the page if its renderer dies, unless it keeps dying (then a reload would loop). */
function recoverFromCrashes(win: BrowserWindow): void {
  const crashes: number[] = [];
  win.webContents.on('render-process-gone', (_e, details) => {
    if (details.reason === 'clean-exit' || win.isDestroyed()) return;
    const now = Date.now();
    crashes.push(now);
    while (crashes.length && now - crashes[0]! > 60_000) crashes.shift();
    console.error(`Tandem: the window's renderer stopped (${details.reason})`);
    if (crashes.length <= 3) void win.loadURL(APP_ENTRY_URL);
  });
}

export async function createMainWindow(opts: MainWindowOptions): Promise<BrowserWindow> {
  const saved = parseWindowState(await readJsonFile(stateFile()));
  const primary = screen.getPrimaryDisplay();
  const others = screen.getAllDisplays().filter((d) => d.id !== primary.id);
  const placement = fitBounds(saved, [primary.workArea, ...others.map((d) => d.workArea)]);

  const win = new BrowserWindow({
    ...placement,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'Tandem',
    show: false,
    // The menu bar stays out of the way on Windows and Linux (Alt shows it); its shortcuts work.
    autoHideMenuBar: true,
    ...(process.platform === 'darwin' ? {} : { icon: APP_ICON_PATH }),
    webPreferences: {
      preload: PRELOAD_PATH,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  lockDown(win);
  rememberPlacement(win);
  recoverFromCrashes(win);

  win.on('close', (event) => {
    if (opts.isQuitting()) return;
    event.preventDefault();
    // Leaving full screen first: a hidden full-screen window comes back as a black space on macOS.
    if (win.isFullScreen()) {
      win.once('leave-full-screen', () => win.hide());
      win.setFullScreen(false);
    } else win.hide();
    opts.onHidden();
  });

  // maximize() also shows a window, so a window that starts hidden maximizes when first shown.
  const reveal = () => (saved?.maximized ? win.maximize() : win.show());
  if (opts.show) {
    win.once('ready-to-show', reveal);
    // Should the page never paint (a broken build), show the window anyway rather than nothing.
    setTimeout(() => {
      if (!win.isDestroyed() && !win.isVisible()) reveal();
    }, 5000).unref();
  } else if (saved?.maximized) win.once('show', () => win.maximize());
  win.loadURL(APP_ENTRY_URL).catch((e: Error) => {
    console.error(`Tandem: the window could not load its page: ${e.message}`);
  });
  return win;
}

/** Brings the window to the front, from the tray, a notification or a second launch. */
export function showWindow(win: BrowserWindow | null): void {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
  if (process.platform === 'darwin') app.focus({ steal: true });
}
