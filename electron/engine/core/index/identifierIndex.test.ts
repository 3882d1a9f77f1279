// Opening the index: what a person is told when it will not open, and a read that never waits on
// (or disturbs) a process writing it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FOLDER_DIGEST, IdentifierIndex, ROW } from './identifierIndex.js';
import { openSqlite } from './openSqlite.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-index-'));
  file = path.join(dir, 'pairs', 'p.sqlite');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Another connection in the middle of a write transaction, as a sync writing its scan is. */
function holdWrite(): () => void {
  const db = openSqlite(file);
  db.exec('BEGIN IMMEDIATE');
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('x', '1')").run();
  return () => {
    db.exec('ROLLBACK');
    db.close();
  };
}

describe('IdentifierIndex', () => {
  it('upgrades a schema-1 index in place, and clears a folder digest wherever the row is written', () => {
    // A schema-1 index as an earlier Tandem left it: no stat_digest column, user_version 1.
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = openSqlite(file);
    old.exec(`CREATE TABLE entries (side INTEGER NOT NULL, path TEXT NOT NULL, type INTEGER NOT NULL,
      size INTEGER NOT NULL, mtime REAL NOT NULL, ctime REAL NOT NULL, ino INTEGER NOT NULL, mode INTEGER NOT NULL,
      scheme TEXT NOT NULL, chunk_size INTEGER NOT NULL, chunk_ids BLOB, id BLOB NOT NULL, trusted INTEGER NOT NULL,
      base_id BLOB, xattr_id BLOB, PRIMARY KEY (side, path)) WITHOUT ROWID`);
    old.exec(
      "INSERT INTO entries VALUES (0, 'd', 2, 1, 5, 6, 7, 493, 'x', 0, NULL, x'01', 1, NULL, NULL)",
    );
    // Its folder ids under today's rule (an older rule's would be dropped on opening).
    old.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
    old.exec("INSERT INTO meta VALUES ('folderIdRule', '2')");
    old.pragma('user_version = 1');
    old.close();
    const index = new IdentifierIndex(file);
    try {
      expect(index.loadFolders('source', 'x').get('d')?.[FOLDER_DIGEST]).toBeNull();
      index.setFolderDigests('source', [['d', Buffer.from('digest')]]);
      expect(index.loadFolders('source', 'x').get('d')?.[FOLDER_DIGEST]).toEqual(
        Buffer.from('digest'),
      );
      const row = {
        type: 'dir' as const,
        size: 2,
        mtimeMs: 5,
        ctimeMs: 6,
        ino: 7,
        mode: 0o755,
        scheme: 'x',
        chunkSize: 0,
        chunkIds: null,
        id: Buffer.from([2]),
        trusted: true,
      };
      index.write('source', [['d', row]], []);
      expect(index.loadFolders('source', 'x').get('d')?.[FOLDER_DIGEST]).toBeNull();
    } finally {
      index.close();
    }
    const db = openSqlite(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('refuses an index of a newer schema, saying which', () => {
    new IdentifierIndex(file).close();
    const db = openSqlite(file);
    db.pragma('user_version = 3');
    db.close();
    expect(() => new IdentifierIndex(file)).toThrow(
      /written by another version of Tandem \(schema 3, this one reads 2\)/,
    );
  });

  it('says an index in use is busy and what to do, and never advises deleting it for a lock', () => {
    new IdentifierIndex(file).close();
    const done = holdWrite();
    try {
      let message = '';
      try {
        new IdentifierIndex(file, { busyTimeoutMs: 50 }).close();
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/in use by another Tandem process .*wait for it to finish/);
      expect(message).not.toMatch(/delete/i);
      expect(message).not.toContain('\n');
    } finally {
      done();
    }
  });

  it('advises rebuilding only an index that is damaged', () => {
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(
      file,
      'not a database, just bytes that are long enough to be read as a header',
    );
    expect(() => new IdentifierIndex(file)).toThrow(/is damaged .*; delete it to rebuild/);
  });

  it('peeks at meta values while another process writes, without creating an index that is not there', () => {
    expect(IdentifierIndex.peekMeta(file, ['synced'])).toBeNull();
    expect(fs.existsSync(file)).toBe(false);
    const idx = new IdentifierIndex(file);
    idx.setMeta('synced', '1');
    idx.close();
    const done = holdWrite();
    try {
      expect(IdentifierIndex.peekMeta(file, ['synced', 'targetDev'])).toEqual(
        new Map([['synced', '1']]),
      );
    } finally {
      done();
    }
  });

  it('loads the rows below a folder, names that are not UTF-8 included, and no others', () => {
    const idx = new IdentifierIndex(file);
    try {
      const row = (id: number) => ({
        size: 1,
        mtimeMs: 1,
        ctimeMs: 1,
        ino: id,
        type: 'file' as const,
        mode: 0o644,
        scheme: 'xxh128',
        chunkSize: 131072,
        chunkIds: null,
        id: Buffer.from([id]),
        trusted: true,
      });
      const latin1 = `caf${String.fromCharCode(0xdc00 + 0xe9)}`; // the byte 0xE9 alone
      const paths = ['a', 'a/x', 'a/y/z', `a/${latin1}`, `a/${latin1}/q`, 'a0', 'a.b', 'ab/x', 'b'];
      idx.write(
        'source',
        paths.map((p, i) => [p, row(i)]),
      );
      idx.write('target', [['a/x', row(99)]]);
      const under = (dir: string) => [...idx.loadUnder('source', 'xxh128', dir).keys()].sort();
      expect(under('a')).toEqual(['a/x', 'a/y/z', `a/${latin1}`, `a/${latin1}/q`].sort());
      expect(under(`a/${latin1}`)).toEqual([`a/${latin1}/q`]);
      expect(under('ab')).toEqual(['ab/x']);
      expect(under('b')).toEqual([]);
      const some = idx.loadPaths('source', 'xxh128', ['a/x', 'nowhere', `a/${latin1}`]);
      expect([...some.keys()].sort()).toEqual(['a/x', `a/${latin1}`].sort());
      expect(idx.count('source')).toBe(paths.length);
      expect(idx.count('target')).toBe(1);
    } finally {
      idx.close();
    }
  });

  it("loads a folder's own children, around its child folders' subtrees, with ids where asked", () => {
    const idx = new IdentifierIndex(file);
    try {
      const latin1 = `caf${String.fromCharCode(0xdc00 + 0xe9)}`; // the byte 0xE9 alone
      const dirs = ['', 'a', 'a/y', `a/${latin1}`, 'ab', latin1, 'c', 'c/d'];
      const files = ['a/x', 'a/y/z', `a/${latin1}/q`, 'a.b', 'a0', 'a-c', 'ab/x', 'b'];
      files.push(`${latin1}/r`, `${latin1}.txt`, 'c/d/e', 'c0', 'c/d0', 'c/d.f');
      const row = (p: string, i: number) => ({
        size: 1,
        mtimeMs: 1,
        ctimeMs: 1,
        ino: i,
        type: dirs.includes(p) ? ('dir' as const) : ('file' as const),
        mode: 0o644,
        scheme: 'xxh128',
        chunkSize: 131072,
        chunkIds: null,
        id: Buffer.from([i]),
        trusted: true,
      });
      const all = [...dirs, ...files];
      idx.write(
        'source',
        all.map((p, i) => [p, row(p, i)]),
      );
      idx.write('target', [['a/x', row('a/x', 99)]]);
      const parent = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
      for (const dir of dirs)
        for (const withIds of [false, true]) {
          const got = idx.loadChildren('source', 'xxh128', dir, new Map(), withIds);
          const want = all.filter((p) => (p === '' ? dir === '' : parent(p) === dir));
          expect([...got.keys()].sort(), `${dir} (ids ${withIds})`).toEqual(want.sort());
          for (const [p, r] of got)
            expect(r[ROW.id] !== null, `${p}'s id (ids ${withIds})`).toBe(
              withIds || dirs.includes(p),
            );
        }
    } finally {
      idx.close();
    }
  });
});
