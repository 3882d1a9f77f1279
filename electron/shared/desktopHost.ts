// What the Electron preload adds beside the SyncClient: the few things only a desktop shell can
// do. The browser UI has none of these (it uses the daemon's folder browser instead), so the
// renderer checks for `window.tandemDesktop` before using them.

export interface DesktopSettings {
  /** start Tandem (in the tray) when the user logs in; opt-in */
  openAtLogin: boolean;
}

export interface DesktopHost {
  /** the native folder picker; resolves to null when cancelled */
  pickFolder(title: string): Promise<string | null>;
  /**
   * The filesystem path of a File from a drop event (Electron's webUtils.getPathForFile); '' when
   * it has none. Typed loosely because the contract has no DOM types.
   */
  pathForFile(file: object): string;
  /**
   * Opens the service's log file in the system's viewer for text; resolves to null once opened,
   * or to a sentence saying why it could not be (then the UI shows its path and last lines).
   */
  openLog(): Promise<string | null>;
  getDesktopSettings(): Promise<DesktopSettings>;
  setDesktopSettings(patch: Partial<DesktopSettings>): Promise<DesktopSettings>;
  /** the window was opened from the tray menu's "Settings" etc.: a view to show */
  onNavigate(listener: (view: string) => void): () => void;
}
