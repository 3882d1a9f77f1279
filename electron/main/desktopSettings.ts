// The desktop shell's own settings (start at login, whether the tray hint was shown), read from
// untrusted JSON and untrusted IPC with pure checks.
import type { DesktopSettings } from '../shared/desktopHost.js';

export interface StoredDesktopSettings extends DesktopSettings {
  /** the "keeps syncing in the tray" notice is shown once */
  trayHintShown: boolean;
}

export const DEFAULT_DESKTOP_SETTINGS: StoredDesktopSettings = {
  openAtLogin: false,
  trayHintShown: false,
};

/** Settings from the JSON file; anything missing or of the wrong type takes its default. */
export function parseStoredSettings(json: unknown): StoredDesktopSettings {
  const o = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const bool = (k: keyof StoredDesktopSettings) =>
    typeof o[k] === 'boolean' ? o[k] : DEFAULT_DESKTOP_SETTINGS[k];
  return { openAtLogin: bool('openAtLogin'), trayHintShown: bool('trayHintShown') };
}

/** The public part, as the UI sees it. */
export function publicSettings(s: StoredDesktopSettings): DesktopSettings {
  return { openAtLogin: s.openAtLogin };
}

/** A patch from the renderer, checked field by field; a sentence when it is not one. */
export function parseSettingsPatch(
  patch: unknown,
): { ok: true; patch: Partial<DesktopSettings> } | { ok: false; message: string } {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    return { ok: false, message: 'Desktop settings must be an object.' };
  const out: Partial<DesktopSettings> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'openAtLogin' && typeof v === 'boolean') out.openAtLogin = v;
    else return { ok: false, message: `"${k}" is not a desktop setting Tandem can change.` };
  }
  return { ok: true, patch: out };
}

/** The title of the folder picker: a short string, or a sensible default. */
export function pickerTitle(title: unknown): string {
  return typeof title === 'string' && title.trim() ? title.trim().slice(0, 200) : 'Choose a folder';
}
