import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EntrySnapshot, PlanItem } from '../../shared/plan.js';
import { openSqlite } from '../core/index/openSqlite.js';
import { HistoryStore, historyOf, keepsVersion, runTime } from './historyStore.js';

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

describe('historyOf says what the entry was', () => {
  const link = { ...snap('symlink'), linkTarget: '../notes.md' };
  it.each<[string, PlanItem, Record<string, unknown>]>([
    [
      'a new file',
      { path: 'a', kind: 'create', source: snap('file'), bytesToWrite: 1 },
      { entry: 'file' },
    ],
    [
      'a new folder',
      { path: 'a', kind: 'create', source: snap('dir'), bytesToWrite: 0 },
      { entry: 'dir' },
    ],
    [
      'a new symlink, with its text',
      { path: 'a', kind: 'create', source: link, bytesToWrite: 11 },
      { entry: 'symlink', linkTarget: '../notes.md' },
    ],
    [
      'a deleted symlink: what it held',
      { path: 'a', kind: 'delete', target: link, bytesToWrite: 0 },
      { entry: 'symlink', linkTarget: '../notes.md' },
    ],
    [
      'another name of a hard-link group',
      { path: 'b', kind: 'create', source: snap('file'), linkTo: 'a', bytesToWrite: 0 },
      { entry: 'file', linkTo: 'a' },
    ],
    [
      'a deleted special file',
      { path: 'fifo', kind: 'delete', target: snap('special'), bytesToWrite: 0 },
      { entry: 'special' },
    ],
    [
      'a file where a special file was',
      {
        path: 'p',
        kind: 'replaceType',
        source: snap('file'),
        target: snap('special'),
        bytesToWrite: 1,
      },
      { entry: 'file', replaced: 'special' },
    ],
    [
      'a metadata change, with what differs',
      {
        path: 'a',
        kind: 'metadata',
        source: snap('file'),
        target: snap('file'),
        differs: ['xattr', 'owner'],
        bytesToWrite: 0,
      },
      { entry: 'file', differs: ['xattr', 'owner'] },
    ],
    [
      'a move, with where from',
      {
        path: 'b',
        kind: 'rename',
        from: 'a',
        source: snap('file'),
        target: snap('file'),
        bytesToWrite: 0,
      },
      { entry: 'file', from: 'a' },
    ],
  ])('%s', (_name, item, facts) => {
    const h = historyOf(item, 'applied', 5);
    const { time: _t, path: _p, kind: _k, bytes: _b, outcome: _o, keptVersion: _v, ...rest } = h;
    expect(rest).toEqual(facts);
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

  it('keeps names in what an entry was byte for byte, as it keeps paths', () => {
    const db = openSqlite(path.join(dir, 'state.sqlite'));
    const store = new HistoryStore(db, 'p');
    // 0xe9 alone is latin-1 é, not UTF-8: the engine carries it as the lone surrogate U+DCE9.
    const link = { ...snap('symlink'), linkTarget: 'caf\udce9' };
    store.add([
      historyOf(
        { path: 'b', kind: 'create', source: snap('file'), linkTo: 'caf\udce9', bytesToWrite: 0 },
        'applied',
        1,
      ),
      historyOf({ path: 'l', kind: 'create', source: link, bytesToWrite: 5 }, 'applied', 2),
      historyOf(
        { path: 'n', kind: 'rename', from: 'o\udcff', source: snap('file'), bytesToWrite: 0 },
        'applied',
        3,
      ),
    ]);
    const [moved, linked, hard] = store.list();
    expect([moved!.from, linked!.linkTarget, hard!.linkTo]).toEqual([
      'o\udcff',
      'caf\udce9',
      'caf\udce9',
    ]);
    db.close();
  });

  it('keeps what each entry was, and reads rows from before that was recorded with what they have', () => {
    const db = openSqlite(path.join(dir, 'state.sqlite'));
    // The table as the release before the entry's facts were recorded made it.
    db.exec(`CREATE TABLE history (id INTEGER PRIMARY KEY, time REAL NOT NULL, path TEXT NOT NULL,
      kind TEXT NOT NULL, bytes INTEGER NOT NULL, outcome TEXT NOT NULL, message TEXT, entry TEXT,
      kept INTEGER, restored_from REAL)`);
    db.prepare(
      `INSERT INTO history (time, path, kind, bytes, outcome, entry, kept) VALUES (1, 'old-link', 'create', 3, 'applied', 'symlink', 0)`,
    ).run();
    const store = new HistoryStore(db, 'p');
    store.add([
      historyOf(
        { path: 'b', kind: 'create', source: snap('file'), linkTo: 'a', bytesToWrite: 0 },
        'applied',
        2,
      ),
      historyOf(
        {
          path: 'c',
          kind: 'metadata',
          source: snap('file'),
          target: snap('file'),
          differs: ['mode', 'xattr'],
          bytesToWrite: 0,
        },
        'failed',
        3,
        'the target refuses extended attributes',
      ),
      historyOf(
        {
          path: 'link',
          kind: 'replaceType',
          source: { ...snap('symlink'), linkTarget: 'b' },
          target: snap('dir'),
          bytesToWrite: 1,
        },
        'applied',
        4,
      ),
      historyOf(
        {
          path: 'd2',
          kind: 'rename',
          from: 'd1',
          source: snap('file'),
          target: snap('file'),
          bytesToWrite: 0,
        },
        'rejected',
        5,
      ),
    ]);
    expect(store.list().map(({ pairId: _p, time: _t, bytes: _b, ...e }) => e)).toEqual([
      {
        path: 'd2',
        kind: 'rename',
        outcome: 'rejected',
        keptVersion: false,
        entry: 'file',
        from: 'd1',
      },
      {
        path: 'link',
        kind: 'replaceType',
        outcome: 'applied',
        keptVersion: false,
        entry: 'symlink',
        replaced: 'dir',
        linkTarget: 'b',
      },
      {
        path: 'c',
        kind: 'metadata',
        outcome: 'failed',
        keptVersion: false,
        entry: 'file',
        differs: ['mode', 'xattr'],
        message: 'the target refuses extended attributes',
      },
      {
        path: 'b',
        kind: 'create',
        outcome: 'applied',
        keptVersion: false,
        entry: 'file',
        linkTo: 'a',
      },
      {
        path: 'old-link',
        kind: 'create',
        outcome: 'applied',
        keptVersion: false,
        entry: 'symlink',
      },
    ]);
    db.close();
  });
});
