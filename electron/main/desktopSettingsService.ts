// The desktop shell's settings, kept in userData/desktop-settings.json, and "open at login"
// applied to the OS: Electron's login items on macOS and Windows, an XDG autostart entry on Linux.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { app } from 'electron';
import type { DesktopSettings } from '../shared/desktopHost.js';
import { HIDDEN_FLAG, autostartEntry, loginLaunch } from './autostart.js';
import {
  parseStoredSettings,
  publicSettings,
  type StoredDesktopSettings,
} from './desktopSettings.js';
import { readJsonFile, writeJsonFile } from './jsonFile.js';

function launch() {
  return loginLaunch({
    platform: process.platform,
    execPath: process.execPath,
    appPath: app.getAppPath(),
    isPackaged: app.isPackaged,
    appImage: process.env.APPIMAGE,
  });
}

function autostartFile(): string {
  const config = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(config, 'autostart', 'tandem.desktop');
}

export class DesktopSettingsService {
  private cached: StoredDesktopSettings | null = null;
  /** writes run one after another so a quick toggle cannot land out of order */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  private async stored(): Promise<StoredDesktopSettings> {
    this.cached ??= parseStoredSettings(await readJsonFile(this.file));
    return this.cached;
  }

  /** The UI's settings. openAtLogin is read back from the OS, where the user may have changed it. */
  async get(): Promise<DesktopSettings> {
    const s = await this.stored();
    const actual = await this.readOpenAtLogin();
    return publicSettings({ ...s, openAtLogin: actual ?? s.openAtLogin });
  }

  /** Applies and saves a checked patch; rejects with a sentence when the OS refuses. */
  set(patch: Partial<DesktopSettings>): Promise<DesktopSettings> {
    const run = this.queue.then(async () => {
      if (patch.openAtLogin !== undefined) await this.writeOpenAtLogin(patch.openAtLogin);
      await this.save({ ...(await this.stored()), ...patch });
      return this.get();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async trayHintShown(): Promise<boolean> {
    return (await this.stored()).trayHintShown;
  }

  async markTrayHintShown(): Promise<void> {
    await this.save({ ...(await this.stored()), trayHintShown: true });
  }

  /** Was this launch the login item starting Tandem? Then it starts in the tray. */
  static openedAtLogin(argv: readonly string[]): boolean {
    if (argv.includes(HIDDEN_FLAG)) return true;
    return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
  }

  private async save(next: StoredDesktopSettings): Promise<void> {
    this.cached = next;
    await writeJsonFile(this.file, next);
  }

  private async readOpenAtLogin(): Promise<boolean | null> {
    if (process.platform === 'linux') {
      try {
        const text = await fs.readFile(autostartFile(), 'utf8');
        return !/^Hidden\s*=\s*true\s*$/m.test(text);
      } catch {
        return false;
      }
    }
    if (process.platform === 'darwin') return app.getLoginItemSettings().openAtLogin;
    if (process.platform === 'win32') {
      // Windows matches the entry by path and arguments, so ask with the ones it was set with.
      const { path: exe, args } = launch();
      return app.getLoginItemSettings({ path: exe, args }).openAtLogin;
    }
    return null;
  }

  private async writeOpenAtLogin(on: boolean): Promise<void> {
    try {
      if (process.platform === 'linux') {
        const file = autostartFile();
        if (on) {
          await fs.mkdir(path.dirname(file), { recursive: true });
          await fs.writeFile(file, autostartEntry(launch()));
        } else await fs.rm(file, { force: true });
      } else if (process.platform === 'win32') {
        const { path: exe, args } = launch();
        app.setLoginItemSettings({ openAtLogin: on, path: exe, args });
      } else {
        app.setLoginItemSettings({ openAtLogin: on });
      }
    } catch (e) {
      throw new Error(
        `Tandem could not ${on ? 'add itself to' : 'remove itself from'} the programs that start at login: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
}
