// Pending changes with their approvals (and, through HistoryStore, the history of what was
// applied), per pair, in TANDEM_HOME/pairs/<key>.state.sqlite: they survive a restart of the app
// or the daemon.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite } from '../core/index/openSqlite.js';

import type { PlanItem } from '../../shared/plan.js';
import type {
  PendingChange,
  PendingPage,
  PendingQuery,
  ShownChange,
  ShownList,
} from '../../shared/syncApi.js';
import { RefusalError } from '../pair/pair.js';
import { HistoryStore } from './historyStore.js';
import { fromSqlPath, sqlPath } from '../core/runtime/byteNames.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pending (
  path TEXT PRIMARY KEY, item TEXT NOT NULL, approved INTEGER NOT NULL, needs TEXT, since REAL NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejected (path TEXT PRIMARY KEY, item TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * What makes a change the same change, the one definition behind both sameChange and changeRev:
 * its kind, path and move origin, both sides' types and ids, and the source's mode and mtime (what
 * a metadata change writes).
 */
function changeParts(it: PlanItem): (string | number | null)[] {
  return [
    it.kind,
    it.path,
    it.from ?? null,
    it.source?.type ?? null,
    it.source?.id ?? null,
    it.source?.mode ?? null,
    it.source?.mtimeMs ?? null,
    it.target?.type ?? null,
    it.target?.id ?? null,
  ];
}

/** Two plan items describe the same change when kind and both sides' ids are unchanged. */
export function sameChange(a: PlanItem, b: PlanItem): boolean {
  const x = changeParts(a);
  const y = changeParts(b);
  return x.every((v, i) => v === y[i]);
}

/**
 * A change's revision token (PendingChange.rev): 96 bits of SHA-256 over changeParts, so two
 * items have the same rev exactly when sameChange holds (short of a collision nobody will see).
 */
export function changeRev(it: PlanItem): string {
  return crypto
    .createHash('sha256')
    .update(JSON.stringify(changeParts(it)))
    .digest('base64url')
    .slice(0, 16);
}

export interface Reconciled {
  items: PendingChange[];
  added: PendingChange[];
  removed: string[];
}

/** Which of the pending changes a Selection names, as they stand now. */
export interface Picked {
  /** shown and unchanged since */
  chosen: PendingChange[];
  /** shown (or, for a whole list, pending now) but moved on or new since it was shown */
  changed: string[];
  /** shown and no longer pending */
  gone: number;
}

/** The filter part of a query or of a ShownList. */
type ListFilter = Pick<PendingQuery, 'kinds' | 'conflictsOnly' | 'pathContains'>;

function matches(q: ListFilter): (i: PendingChange) => boolean {
  const needle = q.pathContains?.toLowerCase();
  return (i) =>
    (!q.kinds?.length || q.kinds.includes(i.kind)) &&
    (!q.conflictsOnly || i.conflict !== undefined) &&
    (!needle || i.path.toLowerCase().includes(needle));
}

export class PendingStore {
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly pairId: string,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = openSqlite(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const cols = this.db.prepare('PRAGMA table_info(pending)').all() as { name: string }[];
    if (!cols.some((c) => c.name === 'seq'))
      this.db.exec('ALTER TABLE pending ADD COLUMN seq INTEGER NOT NULL DEFAULT 0');
    let listId = this.getMeta('listId');
    if (!listId) {
      listId = crypto.randomBytes(9).toString('base64url');
      this.setMeta('listId', listId);
    }
    this.listId = listId;
    this.revision = Number(this.getMeta('listRevision') ?? 0);
    this.history = new HistoryStore(this.db, pairId);
  }

  /** What was applied, failed, rejected or restored, in the same state file. */
  readonly history: HistoryStore;

  /**
   * The list's identity: a revision means something only in the list it came from (a state file
   * deleted and made anew starts counting again).
   */
  readonly listId: string;
  /** Grows by one for every change that enters the list or moves on (its `seq`). */
  private revision: number;
  /** path → the revision at which the pending change at that path entered the list as it is */
  private seqs = new Map<string, number>();

  /** The pending list, read from SQLite once and then kept in step with every write. */
  private cache: Map<string, PendingChange> | null = null;
  /** bumped whenever the list or an item in it changes */
  private generation = 0;
  /**
   * The last query's filtered, sorted list: the UI pages through 100,000 changes 200 at a time,
   * and filtering and sorting all of them for each page cost about 80 ms (bench/ui.ts).
   */
  private lastQuery: {
    key: string;
    generation: number;
    page: Omit<PendingPage, 'items' | 'listId' | 'revision'>;
    items: PendingChange[];
  } | null = null;

  all(): PendingChange[] {
    if (this.cache) return [...this.cache.values()];
    const items = this.readAll();
    this.cache = new Map(items.map((p) => [p.path, p]));
    this.generation++;
    return items;
  }

  private readAll(): PendingChange[] {
    const rows = this.db
      .prepare('SELECT item, approved, needs, since, seq FROM pending ORDER BY path')
      .all() as {
      item: string;
      approved: number;
      needs: string | null;
      since: number;
      seq: number;
    }[];
    this.seqs = new Map();
    return rows.map((r) => {
      const item = JSON.parse(r.item) as PlanItem;
      const p: PendingChange = {
        ...item,
        pairId: this.pairId,
        rev: changeRev(item),
        approved: r.approved === 1,
        since: r.since,
      };
      if (r.needs) p.needsPerson = r.needs;
      this.seqs.set(p.path, r.seq);
      return p;
    });
  }

  /**
   * Replaces the pending list with a new plan's items. A change that is still the same (same ids)
   * keeps its approval and its `since`; a change whose ids moved on loses its approval: an
   * approval binds to what the person saw. A live cycle's plan covers only part of the pair
   * (`covers`): a pending change outside it stands as it is, after the plan's own items.
   */
  reconcile(
    items: PlanItem[],
    needsPerson: (string | undefined)[],
    now = Date.now(),
    covers?: (path: string) => boolean,
  ): Reconciled {
    const old = new Map(this.all().map((p) => [p.path, p]));
    const next: PendingChange[] = [];
    const added: PendingChange[] = [];
    items.forEach((it, i) => {
      const prev = old.get(it.path);
      const same = prev !== undefined && sameChange(prev, it);
      const p: PendingChange = {
        ...it,
        pairId: this.pairId,
        // Hashed only for what is new: a pair with 100,000 pending changes reconciles each cycle.
        rev: same ? prev.rev : changeRev(it),
        approved: same ? prev.approved : false,
        since: same ? prev.since : now,
      };
      const why = needsPerson[i];
      if (why) p.needsPerson = why;
      next.push(p);
      if (!same) {
        added.push(p);
        this.seqs.set(p.path, ++this.revision);
      }
    });
    const keep = new Set(items.map((i) => i.path));
    const removed: string[] = [];
    for (const [k, p] of old) {
      if (keep.has(k)) continue;
      if (!covers || covers(k)) removed.push(k);
      else next.push(p);
    }
    for (const k of removed) this.seqs.delete(k);
    // Only what changed is written: a pair with 20,000 pending changes rewrote them all per cycle.
    const changedNeeds = next.filter((p) => {
      const prev = old.get(p.path);
      return prev !== undefined && sameChange(prev, p) && prev.needsPerson !== p.needsPerson;
    });
    this.db.transaction(() => {
      const del = this.db.prepare('DELETE FROM pending WHERE path = ?');
      for (const k of removed) del.run(sqlPath(k));
      const put = this.db.prepare(
        'INSERT OR REPLACE INTO pending (path, item, approved, needs, since, seq) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const p of added) {
        const { pairId: _p, rev: _r, approved, needsPerson: needs, since, ...item } = p;
        put.run(
          sqlPath(p.path),
          JSON.stringify(item),
          approved ? 1 : 0,
          needs ?? null,
          since,
          this.seqs.get(p.path)!,
        );
      }
      const needs = this.db.prepare('UPDATE pending SET needs = ? WHERE path = ?');
      for (const p of changedNeeds) needs.run(p.needsPerson ?? null, sqlPath(p.path));
      if (added.length) this.setMeta('listRevision', String(this.revision));
    })();
    this.cache = new Map(next.map((p) => [p.path, p]));
    this.generation++;
    return { items: next, added, removed };
  }

  /**
   * The pending changes a person was shown and that are still the same now. A change picked by
   * its row counts only while its rev is unchanged; a whole list counts only what was already
   * listed, unchanged, at the revision shown (anything that entered the list or moved on since
   * has a later seq). Everything else is reported, not chosen.
   */
  pick(sel: { changes?: ShownChange[]; list?: ShownList }): Picked {
    const all = this.all();
    const now = new Map(all.map((p) => [p.path, p]));
    const out: Picked = { chosen: [], changed: [], gone: 0 };
    if (sel.changes) {
      const seen = new Set<string>();
      for (const s of sel.changes) {
        if (seen.has(s.path)) continue;
        seen.add(s.path);
        const c = now.get(s.path);
        if (!c) out.gone++;
        else if (c.rev !== s.rev) out.changed.push(s.path);
        else out.chosen.push(c);
      }
    }
    if (sel.list) {
      const l = sel.list;
      if (l.listId !== this.listId)
        throw new RefusalError(
          'the pending list was made anew since it was shown, so nothing was approved; look at it again',
        );
      const except = new Set(l.except ?? []);
      for (const c of all.filter(matches(l))) {
        if (except.has(c.path)) continue;
        if ((this.seqs.get(c.path) ?? 0) > l.revision) out.changed.push(c.path);
        else out.chosen.push(c);
      }
    }
    return out;
  }

  /** Sets the approval of the given paths; returns how many changed. */
  setApproved(paths: string[], approved: boolean): number {
    const v = approved ? 1 : 0;
    this.generation++;
    const keep = (p: string): void => {
      const c = this.cache?.get(p);
      if (c) this.cache!.set(p, { ...c, approved });
    };
    paths.forEach(keep);
    const st = this.db.prepare('UPDATE pending SET approved = ? WHERE path = ? AND approved != ?');
    let n = 0;
    this.db.transaction(() => {
      for (const p of paths) n += st.run(v, sqlPath(p), v).changes;
    })();
    return n;
  }

  query(q: PendingQuery): PendingPage {
    const key = JSON.stringify([
      q.kinds ?? [],
      !!q.conflictsOnly,
      q.pathContains ?? '',
      q.sort ?? 'path',
    ]);
    const offset = Math.max(0, q.offset ?? 0);
    const limit = Math.min(Math.max(1, q.limit ?? 500), 10_000);
    const hit = this.lastQuery;
    const list = { listId: this.listId, revision: this.revision };
    if (hit && hit.key === key && hit.generation === this.generation)
      return { ...hit.page, ...list, items: hit.items.slice(offset, offset + limit) };
    const generation = this.generation;
    const items = this.all().filter(matches(q));
    if (q.sort === 'size') items.sort((a, b) => b.bytesToWrite - a.bytesToWrite);
    else if (q.sort === undefined || q.sort === 'path')
      items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    else if (q.sort === 'kind')
      items.sort((a, b) => a.kind.localeCompare(b.kind) || (a.path < b.path ? -1 : 1));
    let conflicts = 0;
    let bytesToWrite = 0;
    for (const i of items) {
      if (i.conflict) conflicts++;
      bytesToWrite += i.bytesToWrite;
    }
    const page = { total: items.length, conflicts, bytesToWrite };
    this.lastQuery = { key, generation, page, items };
    return { ...page, ...list, items: items.slice(offset, offset + limit) };
  }

  /** Rejects pending changes: they leave the list until their ids change. Returns the rejected. */
  reject(paths: string[]): PendingChange[] {
    const wanted = new Set(paths);
    const chosen = this.all().filter((p) => wanted.has(p.path));
    const ins = this.db.prepare('INSERT OR REPLACE INTO rejected (path, item) VALUES (?, ?)');
    const del = this.db.prepare('DELETE FROM pending WHERE path = ?');
    this.db.transaction(() => {
      for (const p of chosen) {
        const { pairId: _p, rev: _r, approved: _a, needsPerson: _n, since: _s, ...item } = p;
        ins.run(sqlPath(p.path), JSON.stringify(item));
        del.run(sqlPath(p.path));
        this.cache?.delete(p.path);
        this.seqs.delete(p.path);
        this.generation++;
      }
    })();
    return chosen;
  }

  /** Drops plan items a person rejected, as long as they are still the same change. */
  withoutRejected(items: PlanItem[], covers?: (path: string) => boolean): PlanItem[] {
    const rows = this.db.prepare('SELECT path, item FROM rejected').all() as {
      path: string | Buffer;
      item: string;
    }[];
    if (rows.length === 0) return items;
    const rejected = new Map(
      rows.map((r) => [fromSqlPath(r.path), JSON.parse(r.item) as PlanItem]),
    );
    const stale: string[] = [];
    const out = items.filter((it) => {
      const r = rejected.get(it.path);
      if (!r) return true;
      if (sameChange(r, it)) return false;
      stale.push(it.path);
      return true;
    });
    const planned = new Set(items.map((i) => i.path));
    for (const p of rejected.keys()) if (!planned.has(p) && (!covers || covers(p))) stale.push(p);
    if (stale.length) {
      const del = this.db.prepare('DELETE FROM rejected WHERE path = ?');
      this.db.transaction(() => stale.forEach((p) => del.run(sqlPath(p))))();
    }
    return out;
  }

  getMeta(key: string): string | undefined {
    return (
      (this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as
        string | undefined) ?? undefined
    );
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  close(): void {
    this.db.close();
  }
}
