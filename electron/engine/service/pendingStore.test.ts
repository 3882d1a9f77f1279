import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlanItem } from '../../shared/plan.js';
import { openSqlite } from '../core/index/openSqlite.js';
import { changeRev, PendingStore, sameChange } from './pendingStore.js';

const base: PlanItem = {
  path: 'a/f.txt',
  kind: 'update',
  source: { type: 'file', id: 's1', size: 10, mtimeMs: 1000, mode: 0o644 },
  target: { type: 'file', id: 't1', size: 9, mtimeMs: 900, mode: 0o644 },
  bytesToWrite: 10,
};

describe('sameChange and changeRev', () => {
  it.each<[string, PlanItem]>([
    ['another source id', { ...base, source: { ...base.source!, id: 's2' } }],
    ['another target id', { ...base, target: { ...base.target!, id: 't2' } }],
    ['another kind', { ...base, kind: 'replaceType' }],
    ['another path', { ...base, path: 'a/g.txt' }],
    ['a move from elsewhere', { ...base, kind: 'rename', from: 'old.txt' }],
    ['another source mode', { ...base, source: { ...base.source!, mode: 0o600 } }],
    ['another source mtime', { ...base, source: { ...base.source!, mtimeMs: 2000 } }],
    ['no target any more', { ...base, kind: 'create', target: undefined }],
    ['a folder in its place', { ...base, target: { ...base.target!, type: 'dir' } }],
  ])('%s is another change, with another rev', (_name, other) => {
    expect(sameChange(base, other)).toBe(false);
    expect(changeRev(other)).not.toBe(changeRev(base));
  });

  it.each<[string, PlanItem]>([
    ['the same item', { ...base }],
    ['other bytes to write', { ...base, bytesToWrite: 3 }],
    ['another target mtime', { ...base, target: { ...base.target!, mtimeMs: 5 } }],
  ])('%s is the same change, with the same rev', (_name, other) => {
    expect(sameChange(base, other)).toBe(true);
    expect(changeRev(other)).toBe(changeRev(base));
  });
});

describe('PendingStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-pending-'));
    file = path.join(dir, 'p.state.sqlite');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const item = (p: string, id = 's1'): PlanItem => ({
    path: p,
    kind: 'create',
    source: { type: 'file', id, size: 1, mtimeMs: 0, mode: 0o644 },
    bytesToWrite: 1,
  });

  it('keeps the pending changes a live cycle does not cover, approvals and rejections included', () => {
    const s = new PendingStore(path.join(dir, 'covers.sqlite'), 'p');
    try {
      const at = (p: string): PlanItem => ({ ...base, path: p });
      s.reconcile([at('a/1'), at('b/1'), at('b/2')], [undefined, undefined, undefined]);
      s.setApproved(['b/1'], true);
      s.reject(['b/2']);
      // A cycle that looked at a/ only: a/1 is gone, a/3 is new, b/ stands as it was.
      const inA = (p: string): boolean => p.startsWith('a/');
      const items = s.withoutRejected([at('a/3'), at('b/2')], inA);
      expect(items.map((i) => i.path)).toEqual(['a/3']);
      const rec = s.reconcile(items, [undefined], Date.now(), inA);
      expect(rec.items.map((i) => i.path)).toEqual(['a/3', 'b/1']);
      expect(rec.removed).toEqual(['a/1']);
      expect(rec.items.find((i) => i.path === 'b/1')?.approved).toBe(true);
      // The rejection outside the cycle still holds in the next full plan.
      expect(s.withoutRejected([at('b/2')]).map((i) => i.path)).toEqual([]);
      // A full plan without b/1 drops it.
      expect(s.reconcile([at('a/3')], [undefined]).removed).toEqual(['b/1']);
    } finally {
      s.close();
    }
  });

  it('picks a whole list as of its revision, and keeps the revision across a reopen', () => {
    let store = new PendingStore(file, 'p');
    store.reconcile([item('a'), item('b')], []);
    const shown = store.query({ pairId: 'p' });
    store.reconcile([item('a'), item('b', 's2'), item('c')], []);
    store.close();

    store = new PendingStore(file, 'p');
    const picked = store.pick({ list: { listId: shown.listId, revision: shown.revision } });
    expect(picked.chosen.map((c) => c.path)).toEqual(['a']);
    expect(picked.changed).toEqual(['b', 'c']);
    expect(store.query({ pairId: 'p' }).revision).toBeGreaterThan(shown.revision);
    store.close();
  });

  it('opens a state file written before changes had revisions', () => {
    const db = openSqlite(file);
    db.exec(`CREATE TABLE pending (path TEXT PRIMARY KEY, item TEXT NOT NULL,
      approved INTEGER NOT NULL, needs TEXT, since REAL NOT NULL) WITHOUT ROWID`);
    db.prepare('INSERT INTO pending VALUES (?, ?, 0, NULL, 5)').run('a', JSON.stringify(item('a')));
    db.close();
    const store = new PendingStore(file, 'p');
    const [a] = store.all();
    expect(a).toMatchObject({ path: 'a', rev: changeRev(item('a')), approved: false, since: 5 });
    const page = store.query({ pairId: 'p' });
    // What was pending before counts as listed at every revision since.
    expect(store.pick({ list: { listId: page.listId, revision: 0 } }).chosen).toHaveLength(1);
    store.close();
  });

  it('keeps names that are not UTF-8 apart and exact across a reopen: approvals bind to the bytes', () => {
    // 0xE9 and 0xE8 in latin-1: as text with replacement characters they would be one name.
    const e9 = 'caf\udce9';
    const e8 = 'caf\udce8';
    let store = new PendingStore(file, 'p');
    store.reconcile([item(e9), item(e8, 's2'), item('plain')], []);
    expect(store.setApproved([e9], true)).toBe(1);
    store.reject([e8]);
    store.close();

    store = new PendingStore(file, 'p');
    const all = store.all();
    expect(all.map((c) => [c.path, c.approved])).toEqual(
      expect.arrayContaining([
        [e9, true],
        ['plain', false],
      ]),
    );
    expect(all.some((c) => c.path === e8)).toBe(false);
    // The rejection holds for that name alone, after a reopen.
    expect(store.withoutRejected([item(e8, 's2'), item(e9)]).map((i) => i.path)).toEqual([e9]);
    const picked = store.pick({ changes: [{ path: e9, rev: changeRev(item(e9)) }] });
    expect(picked.chosen.map((c) => c.path)).toEqual([e9]);
    store.close();
  });
});
