// Opening the index: what a person is told when it will not open, and a read that never waits on
// (or disturbs) a process writing it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentifierIndex } from './identifierIndex.js';
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
});
