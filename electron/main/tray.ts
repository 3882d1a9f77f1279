// The tray icon: one glyph per overall state, a tooltip, and a menu with the status line, Sync
// now, pause/resume, Open and Quit. Rebuilt a moment after the status settles, since status
// events can arrive many times a second during a sync.
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
  menuText,
  pairLabel,
  statusLine,
  trayIconFile,
  trayState,
  truncate,
  type TrayState,
} from './trayStatus.js';

export interface TrayActions {
  open(): void;
  addPair(): void;
  syncNow(pairId: string): void;
  setPausedAll(paused: boolean): void;
  quit(): void;
}

const REBUILD_DELAY_MS = 250;
/** Windows cuts tooltips at 127 characters; menu lines much past 80 crowd the screen. */
const TOOLTIP_MAX = 127;
const LINE_MAX = 80;

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
    const template = this.menu(line);
    const shown = JSON.stringify(template, (_k, v: unknown) =>
      typeof v === 'function' ? undefined : v,
    );
    if (shown !== this.menuShown) {
      this.tray.setContextMenu(Menu.buildFromTemplate(template));
      this.menuShown = shown;
    }
  }

  private menu(line: string): MenuItemConstructorOptions[] {
    const text = (s: string) => menuText(s, process.platform);
    const status: MenuItemConstructorOptions = {
      label: text(truncate(line, LINE_MAX)),
      enabled: false,
    };
    const quit: MenuItemConstructorOptions = {
      label: 'Quit Tandem',
      click: () => this.actions.quit(),
    };
    if (this.stopping || !this.model) return [status, { type: 'separator' }, quit];
    const m = this.model;
    // A paused pair does not apply changes, so Sync now would do nothing: say so instead.
    const state = (id: string) => m.statuses.get(id)?.state;
    const syncItem = (label: string, id: string): MenuItemConstructorOptions => ({
      label: text(state(id) === 'paused' ? `${label} (paused)` : label),
      enabled: state(id) !== 'syncing' && state(id) !== 'paused',
      click: () => this.actions.syncNow(id),
    });
    const syncItems: MenuItemConstructorOptions[] =
      m.pairs.length === 1
        ? [syncItem(`Sync ${pairLabel(m.pairs[0]!)} now`, m.pairs[0]!.id)]
        : m.pairs.length > 1
          ? [{ label: 'Sync now', submenu: m.pairs.map((p) => syncItem(pairLabel(p), p.id)) }]
          : [];
    return [
      status,
      { type: 'separator' },
      ...syncItems,
      {
        label: m.pausedAll ? 'Resume auto-sync' : 'Pause auto-sync',
        click: () => this.actions.setPausedAll(!m.pausedAll),
      },
      { type: 'separator' },
      { label: 'Open Tandem', click: () => this.actions.open() },
      { label: 'Add pair…', click: () => this.actions.addPair() },
      { type: 'separator' },
      quit,
    ];
  }
}
