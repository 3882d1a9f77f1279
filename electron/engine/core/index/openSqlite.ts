// Opens a SQLite database with better-sqlite3. Electron's Node has another native ABI than the
// system's Node, so where the app runs under Electron it points TANDEM_SQLITE_BINDING at a copy of
// the addon built for Electron (scripts/start.js builds one in development; electron-builder
// rebuilds it in packages), and the CLI and the tests keep the one npm built.
import type Database from 'better-sqlite3';
import { requireCjs } from '../runtime/requireCjs.js';

const Sqlite = requireCjs('better-sqlite3') as typeof Database;

export function openSqlite(file: string, opts: Database.Options = {}): Database.Database {
  const nativeBinding = process.env.TANDEM_SQLITE_BINDING;
  return new Sqlite(file, nativeBinding ? { ...opts, nativeBinding } : opts);
}
