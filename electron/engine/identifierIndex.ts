// The persistent index of one pair: each side's entries with the stat their ids were computed
// from, and the baseline (what the target held when Tandem last wrote it or found it in sync).
// SQLite in WAL mode with synchronous=NORMAL, written in one transaction per batch.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { EntryType } from '../shared/plan.js';
import type { StatKey } from './hashFile.js';
import type { BaselineEntry } from './compare.js';

export type Side = 'source' | 'target';
const SIDE = { source: 0, target: 1 } as const;
const TYPE_CODE: Record<EntryType, number> = { file: 1, dir: 2, symlink: 3 };
const CODE_TYPE: Record<number, EntryType> = { 1: 'file', 2: 'dir', 3: 'symlink' };

export interface IndexedEntry extends StatKey {
  type: EntryType;
  mode: number;
  scheme: string;
  chunkSize: number;
  chunkIds: Buffer | null;
  id: Buffer;
  /** false when the file was modified too close to its hashing to trust (git's racy rule) */
  trusted: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
  side INTEGER NOT NULL, path TEXT NOT NULL, type INTEGER NOT NULL,
  size INTEGER NOT NULL, mtime REAL NOT NULL, ctime REAL NOT NULL, ino INTEGER NOT NULL, mode INTEGER NOT NULL,
  scheme TEXT NOT NULL, chunk_size INTEGER NOT NULL, chunk_ids BLOB, id BLOB NOT NULL, trusted INTEGER NOT NULL,
  PRIMARY KEY (side, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS baseline (
  path TEXT PRIMARY KEY, type INTEGER NOT NULL, id BLOB NOT NULL, scheme TEXT NOT NULL) WITHOUT ROWID;
`;

type Row = [
  string,
  number,
  number,
  number,
  number,
  number,
  number,
  string,
  number,
  Buffer | null,
  Buffer,
  number,
];

export class IdentifierIndex {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new Error(
        `cannot open the index at ${file}: ${(e as Error).message}. Delete it to rebuild (Tandem will rehash both sides).`,
        { cause: e },
      );
    }
    this.stmts = {
      load: this.db
        .prepare(
          'SELECT path, type, size, mtime, ctime, ino, mode, scheme, chunk_size, chunk_ids, id, trusted FROM entries WHERE side = ?',
        )
        .raw(true),
      upsert: this.db.prepare(
        'INSERT OR REPLACE INTO entries (side, path, type, size, mtime, ctime, ino, mode, scheme, chunk_size, chunk_ids, id, trusted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
      ),
      del: this.db.prepare('DELETE FROM entries WHERE side = ? AND path = ?'),
      delSide: this.db.prepare('DELETE FROM entries WHERE side = ?'),
      baseline: this.db.prepare('SELECT path, type, id, scheme FROM baseline').raw(true),
      setBase: this.db.prepare(
        'INSERT OR REPLACE INTO baseline (path, type, id, scheme) VALUES (?,?,?,?)',
      ),
      delBase: this.db.prepare('DELETE FROM baseline WHERE path = ?'),
      clearBase: this.db.prepare('DELETE FROM baseline'),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck(true),
      setMeta: this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  load(side: Side): Map<string, IndexedEntry> {
    const out = new Map<string, IndexedEntry>();
    for (const r of this.stmts.load.all(SIDE[side]) as Row[]) {
      out.set(r[0], {
        type: CODE_TYPE[r[1]]!,
        size: r[2],
        mtimeMs: r[3],
        ctimeMs: r[4],
        ino: r[5],
        mode: r[6],
        scheme: r[7],
        chunkSize: r[8],
        chunkIds: r[9],
        id: r[10],
        trusted: r[11] === 1,
      });
    }
    return out;
  }

  /** Writes upserts and deletions for one side in one transaction. */
  write(
    side: Side,
    upserts: Iterable<[string, IndexedEntry]>,
    deletions: Iterable<string> = [],
  ): void {
    const s = SIDE[side];
    this.db.transaction(() => {
      for (const [p, e] of upserts) {
        this.stmts.upsert.run(
          s,
          p,
          TYPE_CODE[e.type],
          e.size,
          e.mtimeMs,
          e.ctimeMs,
          e.ino,
          e.mode,
          e.scheme,
          e.chunkSize,
          e.chunkIds,
          e.id,
          e.trusted ? 1 : 0,
        );
      }
      for (const p of deletions) this.stmts.del.run(s, p);
    })();
  }

  forgetSide(side: Side): void {
    this.stmts.delSide.run(SIDE[side]);
  }

  loadBaseline(scheme: string): Map<string, BaselineEntry> {
    const out = new Map<string, BaselineEntry>();
    for (const [p, type, id, sch] of this.stmts.baseline.all() as [
      string,
      number,
      Buffer,
      string,
    ][]) {
      if (sch === scheme) out.set(p, { type: CODE_TYPE[type]!, id: id.toString('hex') });
    }
    return out;
  }

  /** Every baseline row with the scheme its id was computed in. */
  loadAllBaseline(): Map<string, BaselineEntry & { scheme: string }> {
    const out = new Map<string, BaselineEntry & { scheme: string }>();
    for (const [p, type, id, sch] of this.stmts.baseline.all() as [
      string,
      number,
      Buffer,
      string,
    ][]) {
      out.set(p, { type: CODE_TYPE[type]!, id: id.toString('hex'), scheme: sch });
    }
    return out;
  }

  writeBaseline(
    scheme: string,
    set: Iterable<[string, { type: EntryType; id: Buffer }]>,
    deletions: Iterable<string> = [],
  ): void {
    this.db.transaction(() => {
      for (const [p, e] of set) this.stmts.setBase.run(p, TYPE_CODE[e.type], e.id, scheme);
      for (const p of deletions) this.stmts.delBase.run(p);
    })();
  }

  clearBaseline(): void {
    this.stmts.clearBase.run();
  }

  getMeta(key: string): string | undefined {
    return this.stmts.getMeta.get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}
