// The persistent index of one pair: each side's entries with the stat their ids were computed
// from, and the baseline (what the target held when Tandem last wrote it or found it in sync).
// SQLite in WAL mode with synchronous=NORMAL, written in one transaction per batch.
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite } from './openSqlite.js';

import type { EntryType } from '../../../shared/plan.js';
import type { StatKey } from '../hash/hashFile.js';

import type { Side } from '../../../shared/plan.js';
import { encodeName, fromSqlPath, isTextName, sqlPath } from '../runtime/byteNames.js';
const SIDE = { source: 0, target: 1 } as const;
export const TYPE_CODE: Record<EntryType, number> = { file: 1, dir: 2, symlink: 3, special: 4 };

/** Whether a target entry holds what Tandem last wrote or found in sync (the baseline). */
/** 0: never seen in sync; 1: the entry's id is the baseline id; 2: changed since last in sync. */
export type BaseState = 0 | 1 | 2;

export interface IndexedEntry extends StatKey {
  type: EntryType;
  mode: number;
  scheme: string;
  chunkSize: number;
  /** loaded lazily (loadChunkIds): most runs never need them */
  chunkIds: Buffer | null;
  /** null for files as loaded (loadId fetches it); always set when written */
  id: Buffer | null;
  /** false when the file was modified too close to its hashing to trust (git's racy rule) */
  trusted: boolean;
  /** the synced attributes' id (xattrsId); null or absent: not read (the pair does not sync them) */
  xattrId?: Buffer | null;
  /** on write: set the baseline to this id; undefined keeps the stored one */
  setBase?: Buffer;
}

// The baseline lives on the target's rows (base_id), so loading a side is one query and
// comparing against the baseline happens inside SQLite (no blob per row crosses into JS).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
  side INTEGER NOT NULL, path TEXT NOT NULL, type INTEGER NOT NULL,
  size INTEGER NOT NULL, mtime REAL NOT NULL, ctime REAL NOT NULL, ino INTEGER NOT NULL, mode INTEGER NOT NULL,
  scheme TEXT NOT NULL, chunk_size INTEGER NOT NULL, chunk_ids BLOB, id BLOB NOT NULL, trusted INTEGER NOT NULL,
  base_id BLOB, xattr_id BLOB, stat_digest BLOB,
  PRIMARY KEY (side, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS two_way_base (
  path TEXT PRIMARY KEY, type INTEGER NOT NULL, id TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * 2: folder rows keep their listing's digest (stat_digest), which every write of the row must
 * clear. A Tandem that reads schema 1 only would write rows and leave the digest standing beside
 * an id it did not come from, so it is refused this index (it says so); this one upgrades a 1.
 */
const SCHEMA_VERSION = 2;
/** Older schemas this version upgrades in place (their columns are added by addMissingColumns). */
const UPGRADES_FROM = new Set([0, 1]);

/**
 * The columns of an IndexRow, for the rows of one side (parameters: scheme, side); files' ids
 * only where asked for (loadChildren's withIds), else null (loadId reads one when needed).
 */
const rowSelect = (fileIds: boolean): string => `SELECT path, type, size, mtime, ctime, ino, mode,
    scheme = ?, chunk_size, ${fileIds ? 'id' : 'CASE WHEN type = 1 THEN NULL ELSE id END'}, trusted,
    CASE WHEN base_id IS NULL THEN 0 WHEN base_id = id THEN 1 ELSE 2 END, xattr_id
  FROM entries WHERE side = ?`;
const ROW_SELECT = rowSelect(false);
/**
 * A side's folder rows as IndexRows with their listing digest last (parameters: scheme, side).
 * Through the partial index by name: SQLite's planner would read every row of the side instead
 * (2.5–5.5 ms against 1.3 ms for the bench's 221 folders among 20,000 rows).
 */
const FOLDER_SELECT = `SELECT path, type, size, mtime, ctime, ino, mode, scheme = ?, chunk_size, id,
    trusted, 0, xattr_id, stat_digest
  FROM entries INDEXED BY folder_rows WHERE side = ? AND type = 2`;
/** Bumped when the way a folder id is computed changes (see upgradeFolderIds). */
const FOLDER_ID_RULE = '2';

/**
 * A loaded row, kept as the array SQLite returns: an unchanged pair loads tens of thousands of
 * rows, and an object per row (plus its garbage collection) was a large share of the run.
 */
export type IndexRow = [
  path: string,
  type: number,
  size: number,
  mtimeMs: number,
  ctimeMs: number,
  ino: number,
  mode: number,
  /** 1 when the row's ids are in the scheme asked for */
  sameScheme: number,
  chunkSize: number,
  /** null for files (loadId fetches it), unless loaded with ids (loadChildren's withIds) */
  id: Buffer | null,
  trusted: number,
  base: BaseState,
  /** the synced attributes' id, null when not read */
  xattrId: Buffer | null,
];

/** A folder's row with the digest of its listing (loadFolders), at FOLDER_DIGEST. */
export type FolderRow = [...IndexRow, statDigest: Buffer | null];
export const FOLDER_DIGEST = 13;

/** The columns of an IndexRow by name: rows are read through these, never by bare position. */
export const ROW = {
  path: 0,
  type: 1,
  size: 2,
  mtimeMs: 3,
  ctimeMs: 4,
  ino: 5,
  mode: 6,
  sameScheme: 7,
  chunkSize: 8,
  id: 9,
  trusted: 10,
  base: 11,
  xattrId: 12,
} as const;

/**
 * Whether a row was computed from a file with exactly this stat: hashFile's sameStat, read off the
 * row's columns in place (it runs once per row of an unchanged pair, so it builds no object).
 */
export function rowMatches(r: IndexRow, s: StatKey): boolean {
  return (
    r[ROW.size] === s.size &&
    r[ROW.mtimeMs] === s.mtimeMs &&
    r[ROW.ctimeMs] === s.ctimeMs &&
    r[ROW.ino] === s.ino
  );
}

/** Files a loaded row under its path: a name that is not UTF-8 comes back as its bytes (sqlPath). */
function keyRow<R extends IndexRow | FolderRow>(r: R, into: Map<string, R>): void {
  const p = r[ROW.path] as string | Buffer;
  if (typeof p !== 'string') r[ROW.path] = fromSqlPath(p);
  into.set(r[ROW.path], r);
}

class IndexVersionError extends Error {
  constructor(version: number) {
    super(
      `it was written by another version of Tandem (schema ${version}, this one reads ${SCHEMA_VERSION})`,
    );
  }
}

/**
 * The sentence for an index that will not open. Deleting the index throws away every baseline,
 * so that advice is given only where the file itself is unusable, never for a lock.
 */
function openProblem(file: string, e: unknown): string {
  const code = String((e as { code?: unknown }).code ?? '');
  const why = (e as Error).message;
  if (/^SQLITE_(BUSY|LOCKED)/.test(code))
    return `the index at ${file} is in use by another Tandem process (${why}); wait for it to finish and run again`;
  const rebuild =
    'delete it to rebuild (Tandem then rehashes both sides and asks before replacing any target file that differs)';
  if (e instanceof IndexVersionError)
    return `cannot open the index at ${file}: ${why}; use that version, or ${rebuild}`;
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code))
    return `the index at ${file} is damaged (${why}); ${rebuild}`;
  return `cannot open the index at ${file}: ${why}; check that Tandem's state folder is writable and has free space, then run again`;
}

/** Columns added since schema 1 was first written: an older index gains them, nothing is lost. */
function addMissingColumns(db: Database.Database): void {
  const cols = new Set(
    (db.prepare('PRAGMA table_info(entries)').all() as { name: string }[]).map((c) => c.name),
  );
  if (!cols.has('xattr_id')) db.exec('ALTER TABLE entries ADD COLUMN xattr_id BLOB');
  if (!cols.has('stat_digest')) db.exec('ALTER TABLE entries ADD COLUMN stat_digest BLOB');
  // The folder rows alone, for the walk that compares folders before files (loadFolders).
  db.exec('CREATE INDEX IF NOT EXISTS folder_rows ON entries (side, path) WHERE type = 2');
}

export class IdentifierIndex {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(
    readonly file: string,
    opts: { busyTimeoutMs?: number } = {},
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let db: Database.Database | null = null;
    try {
      db = openSqlite(file);
      // First: every later statement, the journal mode included, then waits for a busy database.
      db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (!UPGRADES_FROM.has(version) && version !== SCHEMA_VERSION)
        throw new IndexVersionError(version);
      db.exec(SCHEMA);
      addMissingColumns(db);
      // Only where it changes: setting it writes the header page, so every open wrote a WAL frame.
      if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
      // The write lock, taken and given back at once, writes nothing: an index that another
      // process is writing, or that cannot be written, is still found here, with its sentence,
      // and not at this run's first write.
      else db.exec('BEGIN IMMEDIATE; ROLLBACK');
      this.db = db;
      this.upgradeFolderIds();
    } catch (e) {
      db?.close();
      throw new Error(openProblem(file, e), { cause: e });
    }
    this.stmts = {
      load: this.db.prepare(ROW_SELECT).raw(true),
      folders: this.db.prepare(FOLDER_SELECT).raw(true),
      setDigest: this.db.prepare(
        'UPDATE entries SET stat_digest = ? WHERE side = ? AND path = ? AND type = 2',
      ),
      row: this.db.prepare(`${ROW_SELECT} AND path = ?`).raw(true),
      under: this.db.prepare(`${ROW_SELECT} AND path >= ? AND path < ?`).raw(true),
      // A folder's children between two of its child folders (their subtrees are not read), up to
      // a bound or (the root's last range) to the end, without and with files' ids; and its child
      // folders. Less what has a '/' after the folder's prefix: the test runs inside SQLite, so
      // rows below a stale row never reach JS.
      childRange: [this.childRows(false, true), this.childRows(true, true)],
      childTail: [this.childRows(false, false), this.childRows(true, false)],
      childFolders: this.db
        .prepare(
          `SELECT path FROM entries INDEXED BY folder_rows WHERE side = ? AND type = 2 AND path >= ? AND path < ?
             AND instr(substr(path, length(?) + 1), '/') = 0 ORDER BY path`,
        )
        .pluck(true),
      rootFolders: this.db
        .prepare(
          `SELECT path FROM entries INDEXED BY folder_rows WHERE side = ? AND type = 2 AND path <> '' AND instr(path, '/') = 0 ORDER BY path`,
        )
        .pluck(true),
      count: this.db.prepare('SELECT count(*) FROM entries WHERE side = ?').pluck(true),
      chunkIds: this.db
        .prepare('SELECT chunk_ids FROM entries WHERE side = ? AND path = ?')
        .pluck(true),
      id: this.db.prepare('SELECT id FROM entries WHERE side = ? AND path = ?').pluck(true),
      baseId: this.db
        .prepare('SELECT base_id FROM entries WHERE side = 1 AND path = ?')
        .pluck(true),
      upsert: this.db.prepare(
        `INSERT INTO entries (side, path, type, size, mtime, ctime, ino, mode, scheme, chunk_size, chunk_ids, id, trusted, base_id, xattr_id)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
         ON CONFLICT (side, path) DO UPDATE SET type = excluded.type, size = excluded.size, mtime = excluded.mtime,
           ctime = excluded.ctime, ino = excluded.ino, mode = excluded.mode, scheme = excluded.scheme,
           chunk_size = excluded.chunk_size, chunk_ids = coalesce(excluded.chunk_ids, chunk_ids), id = excluded.id,
           trusted = excluded.trusted, base_id = coalesce(excluded.base_id, base_id), xattr_id = excluded.xattr_id,
           stat_digest = NULL`,
      ),
      del: this.db.prepare('DELETE FROM entries WHERE side = ? AND path = ?'),
      delSide: this.db.prepare('DELETE FROM entries WHERE side = ?'),
      setBase: this.db.prepare('UPDATE entries SET base_id = ? WHERE side = 1 AND path = ?'),
      setXattrId: this.db.prepare('UPDATE entries SET xattr_id = ? WHERE side = ? AND path = ?'),
      clearXattrIds: this.db.prepare('UPDATE entries SET xattr_id = NULL'),
      twoWayBase: this.db.prepare('SELECT path, type, id FROM two_way_base').raw(true),
      twoWayBaseRow: this.db.prepare('SELECT type, id FROM two_way_base WHERE path = ?').raw(true),
      twoWayBaseUnder: this.db
        .prepare('SELECT path, type, id FROM two_way_base WHERE path >= ? AND path < ?')
        .raw(true),
      twoWayBaseAny: this.db.prepare('SELECT 1 FROM two_way_base LIMIT 1').pluck(true),
      setTwoWayBase: this.db.prepare(
        'INSERT OR REPLACE INTO two_way_base (path, type, id) VALUES (?, ?, ?)',
      ),
      dropTwoWayBase: this.db.prepare('DELETE FROM two_way_base WHERE path = ?'),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck(true),
      setMeta: this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  /** A statement for a folder's child rows from a path on, up to another where `bounded`. */
  private childRows(fileIds: boolean, bounded: boolean): Database.Statement {
    const upTo = bounded ? 'AND path < ?' : '';
    return this.db
      .prepare(
        `${rowSelect(fileIds)} AND path >= ? ${upTo} AND instr(substr(path, length(?) + 1), '/') = 0`,
      )
      .raw(true);
  }

  /**
   * Folder ids are computed by the rule FOLDER_ID_RULE names; rows stored under an older rule
   * are dropped (they are recomputed from their children at the next scan, nothing is rehashed).
   * Rule 2 put every child's mtime into its folder's id, so folder and symlink times compare.
   */
  private upgradeFolderIds(): void {
    const get = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck(true);
    if (get.get('folderIdRule') === FOLDER_ID_RULE) return;
    this.db.transaction(() => {
      this.forgetFolderIds();
      this.db
        .prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
        .run('folderIdRule', FOLDER_ID_RULE);
    })();
  }

  /**
   * A few meta values of an existing index, read without opening it for writing (so without
   * waiting on, or disturbing, a process that holds the pair). null when there is no index, or it
   * cannot be read now: the caller then learns the same from the index it opens later.
   */
  static peekMeta(file: string, keys: readonly string[]): Map<string, string> | null {
    if (!fs.existsSync(file)) return null;
    let db: Database.Database | null = null;
    try {
      db = openSqlite(file, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 1000');
      const get = db.prepare('SELECT value FROM meta WHERE key = ?').pluck(true);
      const out = new Map<string, string>();
      for (const k of keys) {
        const v = get.get(k) as string | undefined;
        if (v !== undefined) out.set(k, v);
      }
      return out;
    } catch {
      return null;
    } finally {
      db?.close();
    }
  }

  /** Every row of a side, keyed by path; `sameScheme` says whether its ids are in `scheme`. */
  load(side: Side, scheme: string): Map<string, IndexRow> {
    const out = new Map<string, IndexRow>();
    // all() over iterate(): 30 against 39 ms for a side of 20,000 rows here.
    for (const r of this.stmts.load.all(scheme, SIDE[side]) as IndexRow[]) keyRow(r, out);
    return out;
  }

  /** The rows of these paths (where the index has one), keyed by path: a live cycle's few. */
  loadPaths(
    side: Side,
    scheme: string,
    paths: Iterable<string>,
    into = new Map<string, IndexRow>(),
  ): Map<string, IndexRow> {
    const s = SIDE[side];
    for (const p of paths) {
      if (into.has(p)) continue;
      const r = this.stmts.row.get(scheme, s, sqlPath(p)) as IndexRow | undefined;
      if (r) {
        r[ROW.path] = p;
        into.set(p, r);
      }
    }
    return into;
  }

  /**
   * A side's folder rows, each with the digest of the listing its id was computed from
   * (setFolderDigests; null where none is stored): what a walk compares before loading any file's.
   */
  loadFolders(side: Side, scheme: string): Map<string, FolderRow> {
    const out = new Map<string, FolderRow>();
    for (const r of this.stmts.folders.all(scheme, SIDE[side]) as FolderRow[]) keyRow(r, out);
    return out;
  }

  /** Stores (or clears, null) folders' listing digests; writing a folder's row clears its digest. */
  setFolderDigests(side: Side, digests: Iterable<[string, Buffer | null]>): void {
    const s = SIDE[side];
    this.db.transaction(() => {
      for (const [p, d] of digests) this.stmts.setDigest.run(d, s, sqlPath(p));
    })();
  }

  /**
   * Every row below the folder `dir` (not the root: load() has those), into `into`. Keys sort by
   * their bytes, so the rows below `dir` are the range from `dir/` up to `dir0` ('0' follows
   * '/'); names that are not UTF-8 are BLOBs, which SQLite sorts after all text, so they are a
   * second range over the same bytes.
   */
  loadUnder(
    side: Side,
    scheme: string,
    dir: string,
    into = new Map<string, IndexRow>(),
  ): Map<string, IndexRow> {
    if (dir === '') throw new Error('loadUnder takes a folder below the root');
    const s = SIDE[side];
    const add = (r: IndexRow): void => keyRow(r, into);
    const under = this.stmts.under;
    if (isTextName(dir))
      for (const r of under.iterate(scheme, s, `${dir}/`, `${dir}0`) as IterableIterator<IndexRow>)
        add(r);
    const lo = encodeName(`${dir}/`);
    const hi = encodeName(`${dir}0`);
    for (const r of under.iterate(scheme, s, lo, hi) as IterableIterator<IndexRow>)
      if (typeof r[ROW.path] !== 'string') add(r);
    return into;
  }

  /**
   * The rows of a folder's own children (the root's: its row too), into `into`; `withIds` loads
   * files' ids with them (for the few folders a run will read every child's id of). The range
   * below a folder holds its whole subtree, so it is read in pieces between its child folders
   * (found through the folder_rows index): the root's children of a 20,000-file pair were a scan
   * of every row.
   */
  loadChildren(
    side: Side,
    scheme: string,
    dir: string,
    into = new Map<string, IndexRow>(),
    withIds = false,
  ): Map<string, IndexRow> {
    const s = SIDE[side];
    const st = this.stmts;
    const add = (r: IndexRow): void => keyRow(r, into);
    const range = st.childRange[withIds ? 1 : 0]!;
    const lo = dir === '' ? '' : `${dir}/`;
    if (dir === '' || isTextName(dir)) {
      const folders = (
        dir === '' ? st.rootFolders.all(s) : st.childFolders.all(s, lo, `${dir}0`, lo)
      ) as (string | Buffer)[];
      let from = lo;
      for (const f of folders) {
        if (typeof f !== 'string') continue; // a name that is not UTF-8: a BLOB, after all text
        for (const r of range.all(scheme, s, from, `${f}/`, lo) as IndexRow[]) add(r);
        from = `${f}0`;
      }
      // The root's last range runs to the end: the rest of the text, then every BLOB (names that
      // are not UTF-8 sort after all text), which the test inside SQLite reads as bytes too.
      const rest =
        dir === ''
          ? st.childTail[withIds ? 1 : 0]!.all(scheme, s, from, lo)
          : range.all(scheme, s, from, `${dir}0`, lo);
      for (const r of rest as IndexRow[]) add(r);
      if (dir === '') return into;
    }
    // Names that are not UTF-8 are BLOBs, sorted after all text: the same bytes as a second range.
    const blobLo = encodeName(lo);
    for (const r of range.all(scheme, s, blobLo, encodeName(`${dir}0`), blobLo) as IndexRow[])
      if (typeof r[ROW.path] !== 'string') add(r);
    return into;
  }

  /** How many entries the index holds for a side (the root included). */
  count(side: Side): number {
    return this.stmts.count.get(SIDE[side]) as number;
  }

  /** A stored id; throws if the index has none (the caller saw the row a moment ago). */
  loadId(side: Side, p: string): Buffer {
    const id = this.stmts.id.get(SIDE[side], sqlPath(p)) as Buffer | undefined;
    if (!id)
      throw new Error(
        `the index lost the id of ${p} while this run read it (did another Tandem change it?); run again`,
      );
    return id;
  }

  /** Every stored file id of a side, by path: one query where a caller needs them all. */
  fileIds(side: Side): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const rows = this.db
      .prepare('SELECT path, id FROM entries WHERE side = ? AND type = ?')
      .raw(true)
      .all(SIDE[side], TYPE_CODE.file) as [string | Buffer, Buffer][];
    for (const [p, id] of rows) out.set(typeof p === 'string' ? p : fromSqlPath(p), id);
    return out;
  }

  loadChunkIds(side: Side, p: string): Buffer | null {
    return (this.stmts.chunkIds.get(SIDE[side], sqlPath(p)) as Buffer | null | undefined) ?? null;
  }

  baseIdOf(p: string): Buffer | null {
    return (this.stmts.baseId.get(sqlPath(p)) as Buffer | null | undefined) ?? null;
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
          sqlPath(p),
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
          e.setBase ?? null,
          e.xattrId ?? null,
        );
      }
      for (const p of deletions) this.stmts.del.run(s, sqlPath(p));
    })();
  }

  /** Records the attribute ids of rows whose stat (and so their other ids) did not change. */
  setXattrIds(side: Side, entries: Iterable<[string, Buffer]>): void {
    const s = SIDE[side];
    this.db.transaction(() => {
      for (const [p, id] of entries) this.stmts.setXattrId.run(id, s, sqlPath(p));
    })();
  }

  /** Forgets every stored folder id: they are computed again from their children at the next scan. */
  forgetFolderIds(): void {
    this.db.prepare('DELETE FROM entries WHERE type = ?').run(TYPE_CODE.dir);
  }

  /** Forgets every attribute id (the attributes a pair syncs changed): they are read again. */
  clearXattrIds(): void {
    this.stmts.clearXattrIds.run();
  }

  /** Records target entries found equal to the source as in sync. */
  setBaseline(entries: Iterable<[string, Buffer]>): void {
    this.db.transaction(() => {
      for (const [p, id] of entries) this.stmts.setBase.run(id, sqlPath(p));
    })();
  }

  /** Forgets everything known about a side (and, for the target, its baseline). */
  forgetSide(side: Side): void {
    this.stmts.delSide.run(SIDE[side]);
  }

  /**
   * A two-way pair's baseline (pair/twoWaySession): what both sides last agreed on, per path, as
   * the type code and the id reconcile compares (a file's id with its mode bits).
   */
  loadTwoWayBase(): Map<string, { type: number; id: string }> {
    const out = new Map<string, { type: number; id: string }>();
    for (const [p, type, id] of this.stmts.twoWayBase.all() as [string | Buffer, number, string][])
      out.set(typeof p === 'string' ? p : fromSqlPath(p), { type, id });
    return out;
  }

  /** A live cycle's part of the baseline: these paths' entries (where it has one), into `into`. */
  loadTwoWayBasePaths(
    paths: Iterable<string>,
    into: Map<string, { type: number; id: string }>,
  ): Map<string, { type: number; id: string }> {
    for (const p of paths) {
      if (into.has(p)) continue;
      const r = this.stmts.twoWayBaseRow.get(sqlPath(p)) as [number, string] | undefined;
      if (r) into.set(p, { type: r[0], id: r[1] });
    }
    return into;
  }

  /** The baseline's entries below the folder `dir` (not the root), as loadUnder ranges them. */
  loadTwoWayBaseUnder(
    dir: string,
    into: Map<string, { type: number; id: string }>,
  ): Map<string, { type: number; id: string }> {
    if (dir === '') throw new Error('loadTwoWayBaseUnder takes a folder below the root');
    const q = this.stmts.twoWayBaseUnder;
    const add = ([p, type, id]: [string | Buffer, number, string]): void => {
      into.set(typeof p === 'string' ? p : fromSqlPath(p), { type, id });
    };
    if (isTextName(dir))
      for (const r of q.iterate(`${dir}/`, `${dir}0`) as IterableIterator<
        [string | Buffer, number, string]
      >)
        add(r);
    for (const r of q.iterate(encodeName(`${dir}/`), encodeName(`${dir}0`)) as IterableIterator<
      [string | Buffer, number, string]
    >)
      if (typeof r[0] !== 'string') add(r);
    return into;
  }

  /** Whether a two-way baseline holds any entry (a pair synced at least once). */
  hasTwoWayBase(): boolean {
    return this.stmts.twoWayBaseAny.get() !== undefined;
  }

  /** Moves a two-way baseline: each path to its entry, or out of it (null), in one transaction. */
  setTwoWayBase(changes: Iterable<[string, { type: number; id: string } | null]>): void {
    this.db.transaction(() => {
      for (const [p, e] of changes) {
        if (e) this.stmts.setTwoWayBase.run(sqlPath(p), e.type, e.id);
        else this.stmts.dropTwoWayBase.run(sqlPath(p));
      }
    })();
  }

  /** Forgets a two-way baseline (the pair became one-way). */
  clearTwoWayBase(): void {
    this.db.prepare('DELETE FROM two_way_base').run();
  }

  /** The target's rows found in sync (base state 1) with their baseline ids: a mirror's baseline. */
  syncedTargetRows(): { path: string; type: number; mode: number; id: Buffer }[] {
    const rows = this.db
      .prepare('SELECT path, type, mode, base_id FROM entries WHERE side = 1 AND base_id = id')
      .raw(true)
      .all() as [string | Buffer, number, number, Buffer][];
    return rows.map(([p, type, mode, id]) => ({
      path: typeof p === 'string' ? p : fromSqlPath(p),
      type,
      mode,
      id,
    }));
  }

  getMeta(key: string): string | undefined {
    return this.stmts.getMeta.get(key) as string | undefined;
  }

  /**
   * Stores a meta value; one already stored is not written again. A sync that finds nothing to do
   * then writes nothing at all: no WAL frame, so no checkpoint and no fsync when the index closes
   * (each run set the scheme again: a page written twice and three fsyncs, strace showed).
   */
  setMeta(key: string, value: string): void {
    if (this.getMeta(key) === value) return;
    this.stmts.setMeta.run(key, value);
  }

  close(): void {
    this.db.close();
  }
}
