// Lists a folder's subfolders for the UI's folder browser: a browser gives no paths for dropped or
// picked folders, so the daemon serves this instead (the Electron window uses the native picker).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FolderListing } from '../../shared/syncApi.js';
import { RefusalError } from '../pair/pair.js';

/** Subfolders of `dir` (the home folder when null); symlinks that lead to folders count as folders. */
export function browseFolder(dir: string | null): FolderListing {
  const home = os.homedir();
  const want = dir === null || dir.trim() === '' ? home : dir.trim();
  if (!path.isAbsolute(want))
    throw new RefusalError(`not an absolute path: ${want}; start it with / (or a drive letter)`);
  const abs = path.resolve(want);
  let entries: fs.Dirent[];
  try {
    if (!fs.statSync(abs).isDirectory()) throw new RefusalError(`not a folder: ${abs}`);
    entries = fs.readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    if (e instanceof RefusalError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RefusalError(`folder not found: ${abs}`);
    throw new RefusalError(`cannot open ${abs} (${code}); choose another folder`);
  }
  const folders: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) folders.push(e.name);
    else if (e.isSymbolicLink()) {
      try {
        if (fs.statSync(path.join(abs, e.name)).isDirectory()) folders.push(e.name);
      } catch {
        /* a dangling link is not a folder */
      }
    }
  }
  const hidden = (n: string) => (n.startsWith('.') ? 1 : 0);
  folders.sort((a, b) => hidden(a) - hidden(b) || a.localeCompare(b));
  const parent = path.dirname(abs);
  return { path: abs, parent: parent === abs ? null : parent, folders, home };
}
