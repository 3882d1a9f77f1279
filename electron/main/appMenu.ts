// The application menu (the menu bar on Windows and Linux, the global menu on macOS) and the
// About dialog. Standard roles wherever one exists, so shortcuts and platform conventions hold.
import {
  Menu,
  app,
  dialog,
  nativeImage,
  shell,
  type BrowserWindow,
  type MenuItemConstructorOptions,
} from 'electron';
import { appVersion } from '../engine/core/runtime/appVersion.js';
import type { SyncClient } from '../shared/rpc.js';
import { APP_ICON_PATH } from './paths.js';

export interface AppMenuActions {
  addPair(): void;
  settings(): void;
  about(): void;
  openStateFolder(): void;
  openLog(): void;
}

export function installAppMenu(actions: AppMenuActions, dev: boolean): void {
  const mac = process.platform === 'darwin';
  const about: MenuItemConstructorOptions = { label: 'About Tandem', click: actions.about };
  const settings: MenuItemConstructorOptions = {
    label: mac ? 'Settings…' : 'Settings',
    accelerator: 'CmdOrCtrl+,',
    click: actions.settings,
  };
  const template: MenuItemConstructorOptions[] = [
    ...(mac
      ? [
          {
            label: app.name,
            submenu: [
              about,
              { type: 'separator' },
              settings,
              { type: 'separator' },
              { role: 'services' },
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ] satisfies MenuItemConstructorOptions[],
          },
        ]
      : []),
    {
      label: '&File',
      submenu: [
        { label: 'Add Pair…', accelerator: 'CmdOrCtrl+N', click: actions.addPair },
        { type: 'separator' },
        ...(mac ? [] : [settings, { type: 'separator' } as const]),
        // Closing the window keeps Tandem syncing in the tray; Quit stops it.
        { role: 'close', label: 'Close Window' },
        ...(mac ? [] : [{ role: 'quit', label: 'Quit Tandem' } as const]),
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        ...(dev
          ? ([
              { role: 'reload' },
              { role: 'forceReload' },
              { role: 'toggleDevTools' },
              { type: 'separator' },
            ] satisfies MenuItemConstructorOptions[])
          : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Open Tandem’s State Folder', click: actions.openStateFolder },
        { label: 'Open Log', click: actions.openLog },
        ...(mac ? [] : [{ type: 'separator' } as const, about]),
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

/** The About dialog: the version and state folder as the running service reports them. */
export async function showAbout(
  win: BrowserWindow | null,
  client: Promise<SyncClient>,
): Promise<void> {
  let detail: string;
  let version = appVersion();
  try {
    const r = await (await client).about();
    if (r.ok) {
      version = r.value.version;
      detail = `Keeps pairs of folders identical.\n\nState folder: ${r.value.home}\n${r.value.platform}\n${r.value.runtime}`;
    } else
      detail = `Keeps pairs of folders identical.\n\nThe sync service did not answer: ${r.error.message}`;
  } catch (e) {
    detail = `Keeps pairs of folders identical.\n\nThe sync service is not running: ${(e as Error).message}`;
  }
  const options = {
    type: 'info' as const,
    title: 'About Tandem',
    message: `Tandem ${version}`,
    detail: `${detail}\nElectron ${process.versions.electron}`,
    buttons: ['OK'],
    icon: nativeImage.createFromPath(APP_ICON_PATH),
  };
  if (win && !win.isDestroyed() && win.isVisible()) await dialog.showMessageBox(win, options);
  else await dialog.showMessageBox(options);
}

/** Opens the state folder (pair registry, indexes) in the file manager; says so if it cannot. */
export async function openFolder(folder: string): Promise<void> {
  const problem = await shell.openPath(folder);
  if (problem) dialog.showErrorBox('Tandem could not open the folder', `${folder}: ${problem}`);
}
