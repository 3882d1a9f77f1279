// The tray icon: one glyph per overall state, a tooltip, and the menu trayMenu describes (status
// line, Sync now, pause/resume, Open, Add pair, Open log, Quit). Rebuilt a moment after the
// status settles, since status events can arrive many times a second during a sync.
import path from 'node:path';
import {
  Menu,
  Tray,
  nativeImage,
  nativeTheme,
  type MenuItemConstructorOptions,
  type NativeImage,
} from 'electron';
import { TRAY_ICON_DIR } from './paths.js';
import { statusList, type SyncModel } from './syncModel.js';
import {
  statusLine,
  trayIconFile,
  trayMenu,
  trayState,
  truncate,
  type TrayAction,
  type TrayMenuItem,
  type TrayState,
} from './trayStatus.js';

export interface TrayActions {
  open(): void;
  addPair(): void;
  syncNow(pairId: string): void;
  setPausedAll(paused: boolean): void;
  openLog(): void;
  quit(): void;
}

const REBUILD_DELAY_MS = 250;
/** Windows cuts tooltips at 127 characters. */
const TOOLTIP_MAX = 127;

export class TrayService {
  private readonly tray: Tray;
  private model: SyncModel | null = null;
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private iconFile = '';
  private menuShown = '';
  private readonly images = new Map<string, NativeImage>();

  constructor(private readonly actions: TrayActions) {
    this.tray = new Tray(this.image('syncing'));
    this.iconFile = trayIconFile('syncing', process.platform, nativeTheme.shouldUseDarkColors);
    // Windows opens the window on a click and the menu on a right-click; Linux and macOS show the
    // menu on a click, so "Open Tandem" is in the menu for them.
    if (process.platform === 'win32') this.tray.on('click', () => this.actions.open());
    nativeTheme.on('updated', this.onTheme);
    this.render();
  }

  /** The status changed: rebuild shortly, once for a burst of changes. */
  update(model: SyncModel): void {
    this.model = model;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.render();
    }, REBUILD_DELAY_MS);
  }

  /** Quit was chosen: say so while the service finishes what it is writing. */
  showStopping(): void {
    this.stopping = true;
    this.render();
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    nativeTheme.off('updated', this.onTheme);
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  isAlive(): boolean {
    return !this.tray.isDestroyed();
  }

  private readonly onTheme = () => this.render();

  private image(state: TrayState): NativeImage {
    const file = trayIconFile(state, process.platform, nativeTheme.shouldUseDarkColors);
    let img = this.images.get(file);
    if (!img) {
      // createFromPath also loads the @2x file beside it for high-density displays.
      img = nativeImage.createFromPath(path.join(TRAY_ICON_DIR, file));
      if (img.isEmpty()) console.error(`Tandem: tray icon ${file} is missing`);
      if (process.platform === 'darwin') img.setTemplateImage(true);
      this.images.set(file, img);
    }
    return img;
  }

  private render(): void {
    if (this.tray.isDestroyed()) return;
    const m = this.model;
    const statuses = m ? statusList(m) : [];
    const state: TrayState = this.stopping || !m ? 'syncing' : trayState(statuses, m.pausedAll);
    const line = this.stopping
      ? 'Finishing the current write, then quitting…'
      : m
        ? statusLine(statuses, m.pairs, m.pausedAll)
        : 'Starting…';
    const file = trayIconFile(state, process.platform, nativeTheme.shouldUseDarkColors);
    if (file !== this.iconFile) {
      this.tray.setImage(this.image(state));
      this.iconFile = file;
    }
    this.tray.setToolTip(truncate(`Tandem — ${line}`, TOOLTIP_MAX));
    // Linux reads the menu only when it is set, and setting it closes one the user has open:
    // set it again only when what it shows has changed, not on every status event.
    const items = trayMenu(this.model, this.stopping, line, process.platform);
    const shown = JSON.stringify(items);
    if (shown !== this.menuShown) {
      this.tray.setContextMenu(Menu.buildFromTemplate(this.template(items)));
      this.menuShown = shown;
    }
  }

  private template(items: TrayMenuItem[]): MenuItemConstructorOptions[] {
    return items.map((it) =>
      'type' in it
        ? { type: 'separator' }
        : {
            label: it.label,
            ...(it.enabled === false ? { enabled: false } : {}),
            ...(it.action
              ? {
                  click: (
                    (a: TrayAction) => () =>
                      this.run(a)
                  )(it.action),
                }
              : {}),
            ...(it.submenu ? { submenu: this.template(it.submenu) } : {}),
          },
    );
  }

  private run(a: TrayAction): void {
    switch (a.kind) {
      case 'open':
        return this.actions.open();
      case 'addPair':
        return this.actions.addPair();
      case 'syncNow':
        return this.actions.syncNow(a.pairId);
      case 'setPausedAll':
        return this.actions.setPausedAll(a.paused);
      case 'openLog':
        return this.actions.openLog();
      case 'quit':
        return this.actions.quit();
      default: {
        const never: never = a;
        throw new Error(`unhandled tray action ${JSON.stringify(never)}`);
      }
    }
  }
}
