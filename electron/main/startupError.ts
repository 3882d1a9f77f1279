// Turns a failure to start the sync service into a sentence that says what to do.

/** The message for the "Tandem could not start" dialog. */
export function startupErrorMessage(err: unknown, home: string): string {
  const raw = err instanceof Error ? err.message : String(err);
  // better-sqlite3 is a native module: a build made for Node does not load in Electron.
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(raw))
    return (
      'Tandem’s database module was built for a different runtime than this app. ' +
      'Reinstall Tandem; in a development checkout, start it with npm start, which builds ' +
      'one for Electron.'
    );
  if (/EACCES|EPERM|EROFS/.test(raw))
    return `Tandem cannot write to its state folder (${home}). Check the folder’s permissions, or set TANDEM_HOME to a folder you can write to. (${raw})`;
  if (/ENOSPC/.test(raw))
    return `The disk that holds Tandem’s state folder (${home}) is full. Free some space and start Tandem again.`;
  return `The sync service did not start: ${raw}. Start Tandem again; if this keeps happening, check the state folder ${home}.`;
}
