import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EntrySnapshot, PlanItem } from '../../shared/plan.js';
import { openSqlite } from '../core/index/openSqlite.js';
import { HistoryStore, keepsVersion, runTime } from './historyStore.js';

const snap = (type: EntrySnapshot['type']): EntrySnapshot => ({
  type,
  id: 'aa',
  size: 1,
  mtimeMs: 0,
  mode: 0o644,
});

describe('keepsVersion', () => {
  it.each<[string, Pick<PlanItem, 'kind' | 'target'>, boolean]>([
    ['a new file', { kind: 'create' }, false],
    ['a changed file', { kind: 'update', target: snap('file') }, true],
    ['a deleted file', { kind: 'delete', target: snap('file') }, true],
    ['a deleted link', { kind: 'delete', target: snap('symlink') }, true],
    ['a deleted folder', { kind: 'delete', target: snap('dir') }, false],
    ['a file where a folder was', { kind: 'replaceType', target: snap('dir') }, false],
    ['a folder where a file was', { kind: 'replaceType', target: snap('file') }, true],
    ['a FIFO replaced by a file', { kind: 'replaceType', target: snap('special') }, false],
    ['a mode change', { kind: 'metadata', target: snap('file') }, false],
    ['a move', { kind: 'rename' }, false],
  ])('%s: %s', (_name, item, kept) => {
    expect(keepsVersion(item)).toBe(kept);
  });
});

describe('runTime', () => {
  it('reads the time a run folder is named after', () => {
    expect(runTime('2026-12-01T18-40-36-483Z-7598-Mca0Jj')).toBe(
      Date.parse('2026-12-01T18:40:36.483Z'),
    );
    expect(runTime('not-a-run')).toBeNull();
  });
});

describe('HistoryStore', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-history-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads history written before sizes, versions and restore times were recorded', () => {
    const db = openSqlite(path.join(dir, 'state.sqlite'));
    db.exec(`CREATE TABLE history (id INTEGER PRIMARY KEY, time REAL NOT NULL, path TEXT NOT NULL,
      kind TEXT NOT NULL, bytes INTEGER NOT NULL, outcome TEXT NOT NULL, message TEXT)`);
    const ins = db.prepare(
      'INSERT INTO history (time, path, kind, bytes, outcome, message) VALUES (?, ?, ?, ?, ?, ?)',
    );
    ins.run(1, 'new.txt', 'create', 5, 'applied', null);
    ins.run(2, 'old.txt', 'update', 5, 'applied', null);
    ins.run(3, 'old.txt', 'update', 0, 'restored', 'from 2026-12-01T18-40-36-483Z-7598-Mca0Jj');
    const store = new HistoryStore(db, 'p');
    expect(store.list()).toEqual([
      {
        pairId: 'p',
        time: 3,
        path: 'old.txt',
        kind: 'update',
        bytes: 0,
        outcome: 'restored',
        keptVersion: true,
        restoredFrom: Date.parse('2026-12-01T18:40:36.483Z'),
      },
      {
        pairId: 'p',
        time: 2,
        path: 'old.txt',
        kind: 'update',
        bytes: 5,
        outcome: 'applied',
        keptVersion: true,
      },
      {
        pairId: 'p',
        time: 1,
        path: 'new.txt',
        kind: 'create',
        bytes: 5,
        outcome: 'applied',
        keptVersion: false,
      },
    ]);
    db.close();
  });
});
