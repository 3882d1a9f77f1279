// How Tandem starts at login: the command to run (hidden, into the tray) and, on Linux where
// Electron has no login-item API, the XDG autostart entry that runs it. Pure, so both are tested.

/** Passed at login so Tandem starts in the tray without opening its window. */
export const HIDDEN_FLAG = '--hidden';

export interface LaunchFacts {
  platform: NodeJS.Platform;
  execPath: string;
  /** the app's folder; a development run passes it to the Electron binary */
  appPath: string;
  isPackaged: boolean;
  /** an AppImage runs from a temporary mount; its own path is what must be launched */
  appImage?: string | undefined;
}

/** The executable and arguments that start Tandem hidden. */
export function loginLaunch(f: LaunchFacts): { path: string; args: string[] } {
  const exe = f.platform === 'linux' && f.appImage ? f.appImage : f.execPath;
  const args = f.isPackaged ? [HIDDEN_FLAG] : [f.appPath, HIDDEN_FLAG];
  // Windows stores the command line as one string, and Electron leaves quoting to the caller.
  const quote = (a: string) => (f.platform === 'win32' && /[\s"]/.test(a) ? `"${a}"` : a);
  return { path: exe, args: args.map(quote) };
}

/**
 * An argument for a desktop entry's Exec key: quoted when it holds a reserved character, with
 * `"`, `` ` ``, `$` and `\` escaped inside the quotes (Desktop Entry Specification, "The Exec
 * key"), and `%` doubled since it introduces field codes.
 */
export function execArg(arg: string): string {
  const escaped = arg.replaceAll('%', '%%');
  if (!/[\s"'\\><~|&;$*?#()`]/.test(escaped)) return escaped;
  return `"${escaped.replace(/(["`$\\])/g, '\\$1')}"`;
}

/** The XDG autostart file (~/.config/autostart/tandem.desktop) that starts Tandem at login. */
export function autostartEntry(launch: { path: string; args: string[] }): string {
  // The string level of escaping: a backslash in a desktop file value is itself escaped.
  const exec = [launch.path, ...launch.args].map(execArg).join(' ').replaceAll('\\', '\\\\');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Tandem',
    'Comment=Keeps pairs of folders identical',
    `Exec=${exec}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}
