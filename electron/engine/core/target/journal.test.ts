import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSchemeHasher, type SchemeHasher } from '../hash/hashScheme.js';
import { recoverJournals, rollBack, writeJournal, type JournalHeader } from './journal.js';
import { NodeTargetFs } from './targetFs.js';

const CS = 128 * 1024;
let dir: string;
let h: SchemeHasher;
let file: string;
let jdir: string;
let oldBytes: Buffer;
let newBytes: Buffer;
let header: JournalHeader;
let data: Buffer[];

beforeAll(async () => {
  h = await createSchemeHasher('xxh128');
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-journal-'));
  jdir = path.join(dir, '.tandem', 'journal');
  fs.mkdirSync(jdir, { recursive: true });
  file = path.join(dir, 'big.bin');
  oldBytes = crypto.randomBytes(8 * CS);
  newBytes = Buffer.from(oldBytes);
  crypto.randomFillSync(newBytes, 2 * CS, CS); // chunk 2
  crypto.randomFillSync(newBytes, 6 * CS, CS); // chunk 6
  fs.writeFileSync(file, oldBytes);
  fs.chmodSync(file, 0o640);
  fs.utimesSync(file, 1_700_000_000, 1_700_000_000);
  // The undo journal holds the old bytes of the chunks a patch replaces.
  data = [oldBytes.subarray(2 * CS, 3 * CS), oldBytes.subarray(6 * CS, 7 * CS)];
  header = {
    path: 'big.bin',
    ino: fs.statSync(file).ino,
    scheme: 'xxh128',
    chunkSize: CS,
    restoreSize: oldBytes.length,
    restoreMtimeMs: 1_700_000_000_000,
    restoreMode: 0o640,
    restoreId: 'ab',
    chunks: [2, 6].map((index, i) => ({ index, length: CS, id: h.hash(data[i]!).toString('hex') })),
  };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('recoverJournals', () => {
  const patch = (upTo: number): void => {
    // The patch as apply writes it, interrupted after `upTo` bytes of new data.
    const fd = fs.openSync(file, 'r+');
    let left = upTo;
    for (const i of [2, 6]) {
      const n = Math.min(CS, left);
      if (n > 0) fs.writeSync(fd, newBytes, i * CS, n, i * CS);
      left -= n;
    }
    fs.fchmodSync(fd, 0o600);
    fs.closeSync(fd);
  };

  it.each([
    ['before the patch began', 0],
    ['half way through a chunk', CS / 2],
    ['after the first chunk', CS],
    ['after the whole patch', 2 * CS],
  ])('rolls a committed patch back to the old content when interrupted %s', async (_when, upTo) => {
    writeJournal(new NodeTargetFs(dir), '.tandem/journal/1.jnl', header, data);
    patch(upTo);
    const r = await recoverJournals(new NodeTargetFs(dir));
    expect(r).toEqual({ rolledBack: ['big.bin'], discarded: [], problems: [] });
    expect(fs.readFileSync(file).equals(oldBytes)).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.statSync(file).mtimeMs).toBe(1_700_000_000_000);
    expect(fs.readdirSync(jdir)).toEqual([]);
  });

  it('rolls back a journal of page ranges at any offset, including a tail the patch cut off', async () => {
    // A local patch journals only differing pages: two pages inside chunk 2, one straddling the
    // end of chunk 5, and the old tail past a shorter new end.
    const ranges = [
      [2 * CS + 4096, 4096],
      [2 * CS + 12 * 4096, 8192],
      [6 * CS - 4096, 8192],
      [7 * CS + 100, CS - 100],
    ] as const;
    const pageData = ranges.map(([at, len]) => oldBytes.subarray(at, at + len));
    const pageHeader: JournalHeader = {
      ...header,
      chunks: ranges.map(([at, len], i) => ({
        index: Math.floor(at / CS),
        offset: at,
        length: len,
        id: h.hash(pageData[i]!).toString('hex'),
      })),
    };
    writeJournal(new NodeTargetFs(dir), '.tandem/journal/1.jnl', pageHeader, pageData);
    const patched = Buffer.from(oldBytes.subarray(0, 7 * CS + 100));
    for (const [at, len] of ranges)
      if (at < patched.length)
        crypto.randomFillSync(patched, at, Math.min(len, patched.length - at));
    fs.writeFileSync(file, patched);
    const r = await recoverJournals(new NodeTargetFs(dir));
    expect(r).toEqual({ rolledBack: ['big.bin'], discarded: [], problems: [] });
    expect(fs.readFileSync(file).equals(oldBytes)).toBe(true);
  });

  it('keeps a committed journal of another version instead of dropping it as uncommitted', async () => {
    const j = path.join(jdir, '1.jnl');
    writeJournal(new NodeTargetFs(dir), '.tandem/journal/1.jnl', header, data);
    const buf = fs.readFileSync(j);
    buf.write('TDMJNL07', 0);
    fs.writeFileSync(j, buf);
    const r = await recoverJournals(new NodeTargetFs(dir));
    expect(r.problems).toEqual([expect.stringMatching(/another version of Tandem/)]);
    expect(r.discarded).toEqual([]);
    expect(fs.existsSync(j)).toBe(true);
  });

  it('drops an uncommitted journal and leaves the file as it was', async () => {
    const j = path.join(jdir, '1.jnl');
    writeJournal(new NodeTargetFs(dir), '.tandem/journal/1.jnl', header, data);
    fs.truncateSync(j, fs.statSync(j).size - 3); // the crash came before the commit record
    const r = await recoverJournals(new NodeTargetFs(dir));
    expect(r.discarded).toEqual(['1.jnl']);
    expect(fs.readFileSync(file).equals(oldBytes)).toBe(true);
  });

  it('keeps a damaged committed journal and reports it instead of guessing', async () => {
    const j = path.join(jdir, '1.jnl');
    writeJournal(new NodeTargetFs(dir), '.tandem/journal/1.jnl', header, data);
    const buf = fs.readFileSync(j);
    buf.writeUInt8(buf.readUInt8(buf.length - 100) ^ 0xff, buf.length - 100); // flip a byte inside the chunk data
    fs.writeFileSync(j, buf);
    const r = await recoverJournals(new NodeTargetFs(dir));
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/damaged/);
    expect(fs.existsSync(j)).toBe(true);
    expect(fs.readFileSync(file).equals(oldBytes)).toBe(true);
  });

  it('does not patch a file that was replaced since (another inode)', async () => {
    writeJournal(new NodeTargetFs(dir), '.tandem/journal/1.jnl', header, data);
    // Written aside and renamed over, so the new file cannot reuse the old inode number.
    fs.writeFileSync(file + '.new', 'someone else');
    fs.renameSync(file + '.new', file);
    const r = await recoverJournals(new NodeTargetFs(dir));
    expect(r.problems[0]).toMatch(/replaced since/);
    expect(fs.readFileSync(file, 'utf8')).toBe('someone else');
  });

  it('never rolls back through a folder that became a symlink: every folder on the way is checked', async () => {
    // The patched file sat in dir/; after the crash dir/ was moved out and a link put in its place,
    // so the same inode is now reachable only through the link.
    fs.mkdirSync(path.join(dir, 'dir'));
    fs.renameSync(file, path.join(dir, 'dir', 'big.bin'));
    writeJournal(
      new NodeTargetFs(dir),
      '.tandem/journal/1.jnl',
      { ...header, path: 'dir/big.bin' },
      data,
    );
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-journal-out-'));
    try {
      fs.renameSync(path.join(dir, 'dir'), path.join(outside, 'dir'));
      fs.symlinkSync(path.join(outside, 'dir'), path.join(dir, 'dir'));
      const moved = path.join(outside, 'dir', 'big.bin');
      fs.writeFileSync(moved, newBytes);
      const before = fs.statSync(moved);
      const r = await recoverJournals(new NodeTargetFs(dir));
      expect(r.rolledBack).toEqual([]);
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatch(/symlink is in the way at dir/);
      expect(fs.readFileSync(moved).equals(newBytes)).toBe(true);
      expect(fs.statSync(moved).mtimeMs).toBe(before.mtimeMs);
      expect(fs.existsSync(path.join(jdir, '1.jnl'))).toBe(true);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('rollBack cuts a file that grew back to its old size', () => {
    fs.appendFileSync(file, Buffer.alloc(CS, 7));
    const f = new NodeTargetFs(dir).openReadWrite('big.bin');
    rollBack(f, header, data);
    f.close();
    expect(fs.readFileSync(file).equals(oldBytes)).toBe(true);
  });
});
