// What Tandem did to a pair's target, newest first, in the pair's state file beside its pending
// list: each applied, failed, rejected or restored change, in terms a person reads (sizes,
// times, whether a version was kept, what the entry was), not the engine's (run folders).
import type Database from 'better-sqlite3';
import {
  entryFacts,
  type EntryType,
  type MetadataField,
  type PlanItem,
} from '../../shared/plan.js';
import type { HistoryEntry } from '../../shared/syncApi.js';
import { fromSqlPath, sqlPath } from '../core/runtime/byteNames.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS history (
  id INTEGER PRIMARY KEY, time REAL NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL, bytes INTEGER NOT NULL,
  outcome TEXT NOT NULL, message TEXT, entry TEXT, kept INTEGER, restored_from REAL,
  replaced TEXT, link_target TEXT, link_to TEXT, differs TEXT, moved_from TEXT);
CREATE INDEX IF NOT EXISTS history_time ON history (time);
`;
/** Columns added after the first release, with their types. */
const ADDED = [
  ['entry', 'TEXT'],
  ['kept', 'INTEGER'],
  ['restored_from', 'REAL'],
  ['replaced', 'TEXT'],
  ['link_target', 'TEXT'],
  ['link_to', 'TEXT'],
  // a metadata change's MetadataFields, comma-separated
  ['differs', 'TEXT'],
  ['moved_from', 'TEXT'],
] as const;

export type NewHistoryEntry = Omit<HistoryEntry, 'pairId'>;

/**
 * Does applying this item keep a version of what it replaces? apply keeps every target file or
 * symlink it replaces or deletes (whole, or a patch's replaced chunks); folders and special files
 * (which hold no bytes) are never kept, and a new path, a metadata change or a move replaces
 * nothing.
 */
export function keepsVersion(it: Pick<PlanItem, 'kind' | 'target'>): boolean {
  const t = it.target?.type;
  return (
    (t === 'file' || t === 'symlink') &&
    (it.kind === 'update' || it.kind === 'replaceType' || it.kind === 'delete')
  );
}

/** The history entry for a plan item that was applied, failed or rejected. */
export function historyOf(
  it: PlanItem,
  outcome: 'applied' | 'failed' | 'rejected',
  time: number,
  message?: string,
): NewHistoryEntry {
  return {
    time,
    path: it.path,
    kind: it.kind,
    bytes: it.bytesToWrite,
    outcome,
    keptVersion: outcome === 'applied' && keepsVersion(it),
    ...entryFacts(it),
    ...(it.kind === 'rename' && it.from !== undefined ? { from: it.from } : {}),
    ...(message ? { message } : {}),
  };
}

/** A version-store run folder's name ("2026-12-01T18-40-36-483Z-7598-Mca0Jj") as a time. */
export function runTime(run: string): number | null {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z/.exec(run);
  if (!m) return null;
  const t = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
  return Number.isNaN(t) ? null : t;
}

interface Row {
  time: number;
  path: string | Buffer;
  kind: HistoryEntry['kind'];
  bytes: number;
  outcome: HistoryEntry['outcome'];
  message: string | null;
  entry: EntryType | null;
  kept: number | null;
  restored_from: number | null;
  replaced: EntryType | null;
  link_target: string | Buffer | null;
  link_to: string | Buffer | null;
  differs: string | null;
  moved_from: string | Buffer | null;
}

const COLUMNS =
  'time, path, kind, bytes, outcome, message, entry, kept, restored_from, replaced, link_target, link_to, differs, moved_from';

export class HistoryStore {
  constructor(
    private readonly db: Database.Database,
    private readonly pairId: string,
  ) {
    db.exec(SCHEMA);
    const cols = new Set(
      (db.prepare('PRAGMA table_info(history)').all() as { name: string }[]).map((c) => c.name),
    );
    for (const [name, type] of ADDED)
      if (!cols.has(name)) db.exec(`ALTER TABLE history ADD COLUMN ${name} ${type}`);
  }

  add(entries: NewHistoryEntry[]): void {
    const ins = this.db.prepare(
      `INSERT INTO history (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const e of entries)
        ins.run(
          e.time,
          sqlPath(e.path),
          e.kind,
          e.bytes,
          e.outcome,
          e.message ?? null,
          e.entry ?? null,
          e.keptVersion ? 1 : 0,
          e.restoredFrom ?? null,
          e.replaced ?? null,
          // paths and link texts are names: bytes where they are not UTF-8, like `path`
          e.linkTarget !== undefined ? sqlPath(e.linkTarget) : null,
          e.linkTo !== undefined ? sqlPath(e.linkTo) : null,
          e.differs?.length ? e.differs.join(',') : null,
          e.from !== undefined ? sqlPath(e.from) : null,
        );
    })();
  }

  list(offset = 0, limit = 200): HistoryEntry[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM history ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(Math.min(limit, 10_000), Math.max(0, offset)) as Row[];
    return rows.map((r) => this.toEntry(r));
  }

  private toEntry(r: Row): HistoryEntry {
    let message = r.message;
    let restoredFrom = r.restored_from;
    // Rows written before restores recorded their time said "from <run folder>".
    if (r.outcome === 'restored' && restoredFrom === null && message?.startsWith('from ')) {
      restoredFrom = runTime(message.slice(5));
      if (restoredFrom !== null) message = null;
    }
    const e: HistoryEntry = {
      pairId: this.pairId,
      time: r.time,
      path: fromSqlPath(r.path),
      kind: r.kind,
      bytes: r.bytes,
      outcome: r.outcome,
      // Rows from before `kept` was recorded: what the kind says (a restore kept what it replaced).
      keptVersion:
        r.kept !== null
          ? r.kept === 1
          : r.outcome === 'restored' ||
            (r.outcome === 'applied' &&
              (r.kind === 'update' || r.kind === 'replaceType' || r.kind === 'delete')),
    };
    if (r.entry !== null) e.entry = r.entry;
    if (r.replaced !== null) e.replaced = r.replaced;
    if (r.link_target !== null) e.linkTarget = fromSqlPath(r.link_target);
    if (r.link_to !== null) e.linkTo = fromSqlPath(r.link_to);
    if (r.differs !== null) e.differs = r.differs.split(',') as MetadataField[];
    if (r.moved_from !== null) e.from = fromSqlPath(r.moved_from);
    if (message) e.message = message;
    if (restoredFrom !== null) e.restoredFrom = restoredFrom;
    return e;
  }
}
