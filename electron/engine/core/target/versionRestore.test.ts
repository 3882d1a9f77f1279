// Restoring kept versions in real temp folders: whole files, symlinks, deleted files and files
// rebuilt from a patch's kept chunks, and the refusals that leave the target untouched.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSchemeHasher, type SchemeHasher } from '../hash/hashScheme.js';
import { chooseChunkSize, fileId, symlinkId } from '../hash/identifiers.js';
import { writeJournal, type JournalHeader } from './journal.js';
import { NodeTargetFs } from './targetFs.js';
import type { VersionRecord } from './versionStore.js';
import { listVersions, RestoreError, restoreVersion } from './versionRestore.js';

const SCHEME = 'xxh128';
const CS = 128 * 1024;
const OLD_MTIME = 1_700_000_000_000;
let h: SchemeHasher;
let dir: string;
let target: string;
let stateDir: string;
let versionsDir: string;

beforeAll(async () => {
  h = await createSchemeHasher(SCHEME);
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-restore-'));
  target = path.join(dir, 'target');
  stateDir = path.join(target, '.tandem');
  versionsDir = path.join(stateDir, 'versions');
  fs.mkdirSync(versionsDir, { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The id the scan gives these bytes, computed here from identifiers.ts, not by the module. */
function idOf(bytes: Buffer): string {
  const cs = chooseChunkSize(bytes.length);
  const ids: Buffer[] = [];
  for (let off = 0; off < bytes.length; off += cs) ids.push(h.hash(bytes.subarray(off, off + cs)));
  return fileId(h, bytes.length, cs, Buffer.concat(ids)).toString('hex');
}

const abs = (rel: string): string => path.join(target, rel);

function writeFile(rel: string, bytes: Buffer | string, mode = 0o644, mtimeMs?: number): void {
  fs.mkdirSync(path.dirname(abs(rel)), { recursive: true });
  fs.writeFileSync(abs(rel), bytes);
  fs.chmodSync(abs(rel), mode);
  if (mtimeMs !== undefined) fs.utimesSync(abs(rel), mtimeMs / 1000, mtimeMs / 1000);
}

/** Replaces a target file the way apply does: a new inode renamed over the old one. */
function replaceFile(rel: string, bytes: Buffer | string, mode = 0o600): void {
  const tmp = path.join(dir, 'replacement');
  fs.writeFileSync(tmp, bytes);
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, abs(rel));
}

/**
 * Keeps what is at `rel` in a run folder with a fixed name, as apply's VersionStore would (hard
 * link or symlink copy plus a manifest line); fixed names keep it apart from the runs a restore makes.
 */
function keep(run: string, stored: string, rel: string, time: number): VersionRecord {
  const runDir = path.join(versionsDir, run);
  fs.mkdirSync(runDir, { recursive: true });
  const st = fs.lstatSync(abs(rel));
  let record: VersionRecord;
  if (st.isSymbolicLink()) {
    const linkTarget = fs.readlinkSync(abs(rel));
    fs.symlinkSync(linkTarget, path.join(runDir, stored));
    const id = symlinkId(h, linkTarget).toString('hex');
    record = {
      path: rel,
      kind: 'symlink',
      stored,
      time,
      size: st.size,
      mtimeMs: st.mtimeMs,
      mode: st.mode & 0o7777,
      id,
      linkTarget,
    };
  } else {
    fs.linkSync(abs(rel), path.join(runDir, stored));
    const id = idOf(fs.readFileSync(abs(rel)));
    record = {
      path: rel,
      kind: 'file',
      stored,
      time,
      size: st.size,
      mtimeMs: st.mtimeMs,
      mode: st.mode & 0o7777,
      id,
    };
  }
  fs.appendFileSync(path.join(runDir, 'manifest.jsonl'), JSON.stringify(record) + '\n');
  return record;
}

function storedBytes(run: string, stored: string): Buffer {
  return fs.readFileSync(path.join(versionsDir, run, stored));
}

function runs(): string[] {
  return fs.readdirSync(versionsDir).sort();
}

function tmpLeft(): string[] {
  const t = path.join(stateDir, 'tmp');
  return fs.existsSync(t) ? fs.readdirSync(t) : [];
}

const restore = (rel: string, run: string, stored: string) =>
  restoreVersion({ targetRoot: target, rel, run, stored, scheme: SCHEME });

describe('restoreVersion: whole files and symlinks', () => {
  it('puts a replaced file back byte-identical, with its mode and mtime, and keeps the current one', async () => {
    const oldBytes = crypto.randomBytes(3 * CS + 1234);
    writeFile('docs/a.bin', oldBytes, 0o640, OLD_MTIME);
    keep('run-1', '1', 'docs/a.bin', 1000);
    const newBytes = crypto.randomBytes(1000);
    replaceFile('docs/a.bin', newBytes, 0o600);

    const r = await restore('docs/a.bin', 'run-1', '1');

    expect(fs.readFileSync(abs('docs/a.bin')).equals(oldBytes)).toBe(true);
    const st = fs.statSync(abs('docs/a.bin'));
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.mtimeMs).toBe(OLD_MTIME);
    expect(r.path).toBe('docs/a.bin');
    expect(r.restored).toEqual({ run: 'run-1', stored: '1', kind: 'file', size: oldBytes.length });
    // The current content went to a new run in the store, and is listed first.
    expect(r.replaced).not.toBeNull();
    expect(r.replaced!.run).not.toBe('run-1');
    expect(r.replaced!.kind).toBe('file');
    expect(storedBytes(r.replaced!.run, r.replaced!.stored).equals(newBytes)).toBe(true);
    const listed = listVersions(target, 'docs/a.bin');
    expect(listed.map((v) => [v.run, v.stored, v.kind, v.size])).toEqual([
      [r.replaced!.run, r.replaced!.stored, 'file', newBytes.length],
      ['run-1', '1', 'file', oldBytes.length],
    ]);
    // A copy, not a link: the kept version stays as it was, restorable again.
    expect(st.ino).not.toBe(fs.statSync(path.join(versionsDir, 'run-1', '1')).ino);
    expect(storedBytes('run-1', '1').equals(oldBytes)).toBe(true);
    expect(tmpLeft()).toEqual([]);
  });

  it('restores the version the replaced content became, so a restore can be undone', async () => {
    writeFile('a.txt', 'first', 0o644, OLD_MTIME);
    keep('run-1', '1', 'a.txt', 1000);
    replaceFile('a.txt', 'second');
    const r = await restore('a.txt', 'run-1', '1');
    expect(fs.readFileSync(abs('a.txt'), 'utf8')).toBe('first');
    const back = await restore('a.txt', r.replaced!.run, r.replaced!.stored);
    expect(fs.readFileSync(abs('a.txt'), 'utf8')).toBe('second');
    expect(storedBytes(back.replaced!.run, back.replaced!.stored).toString()).toBe('first');
  });

  it('restores a deleted file where nothing is now, creating its folders as real folders', async () => {
    const bytes = crypto.randomBytes(5000);
    writeFile('gone/deep/b.bin', bytes, 0o600, OLD_MTIME);
    keep('run-1', '1', 'gone/deep/b.bin', 1000);
    fs.rmSync(abs('gone'), { recursive: true });

    const r = await restore('gone/deep/b.bin', 'run-1', '1');

    expect(r.replaced).toBeNull();
    expect(fs.lstatSync(abs('gone')).isDirectory()).toBe(true);
    expect(fs.lstatSync(abs('gone/deep')).isDirectory()).toBe(true);
    expect(fs.readFileSync(abs('gone/deep/b.bin')).equals(bytes)).toBe(true);
    expect(fs.statSync(abs('gone/deep/b.bin')).mtimeMs).toBe(OLD_MTIME);
    expect(runs()).toEqual(['run-1']);
  });

  it('restores an empty file', async () => {
    writeFile('empty', '', 0o644, OLD_MTIME);
    keep('run-1', '1', 'empty', 1000);
    fs.unlinkSync(abs('empty'));
    await restore('empty', 'run-1', '1');
    expect(fs.statSync(abs('empty')).size).toBe(0);
  });

  it('recreates a symlink and keeps the file that replaced it', async () => {
    writeFile('docs/a.txt', 'pointed at');
    fs.symlinkSync('docs/a.txt', abs('ln'));
    keep('run-1', '1', 'ln', 1000);
    fs.unlinkSync(abs('ln'));
    writeFile('ln', 'a file now');

    const r = await restore('ln', 'run-1', '1');

    expect(fs.lstatSync(abs('ln')).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(abs('ln'))).toBe('docs/a.txt');
    expect(r.restored.kind).toBe('symlink');
    expect(r.replaced!.kind).toBe('file');
    expect(storedBytes(r.replaced!.run, r.replaced!.stored).toString()).toBe('a file now');
  });

  it('keeps a symlink that is in the way as a symlink, not what it points to', async () => {
    writeFile('a.txt', 'old', 0o644, OLD_MTIME);
    keep('run-1', '1', 'a.txt', 1000);
    fs.unlinkSync(abs('a.txt'));
    const outside = path.join(dir, 'outside.txt');
    fs.writeFileSync(outside, 'outside');
    fs.symlinkSync(outside, abs('a.txt'));

    const r = await restore('a.txt', 'run-1', '1');

    expect(fs.lstatSync(abs('a.txt')).isFile()).toBe(true);
    expect(fs.readFileSync(abs('a.txt'), 'utf8')).toBe('old');
    expect(fs.readFileSync(outside, 'utf8')).toBe('outside');
    expect(r.replaced!.kind).toBe('symlink');
    expect(fs.readlinkSync(path.join(versionsDir, r.replaced!.run, r.replaced!.stored))).toBe(
      outside,
    );
  });
});

describe('restoreVersion: a file kept as the chunks a patch replaced', () => {
  /**
   * A file of `chunks` chunks patched in place the way apply does it: the old bytes of the changed
   * chunks (and any tail cut off) go to an undo journal, the file is patched, and the journal is
   * moved into a run folder with a manifest line.
   */
  function patchAndKeep(opts: {
    rel: string;
    oldBytes: Buffer;
    newBytes: Buffer;
    changed: number[];
  }): { oldBytes: Buffer; patched: Buffer } {
    const { rel, oldBytes, newBytes } = opts;
    writeFile(rel, oldBytes, 0o640, OLD_MTIME);
    const cs = chooseChunkSize(oldBytes.length);
    const oldCount = Math.ceil(oldBytes.length / cs);
    const newCount = Math.ceil(newBytes.length / cs);
    const keepIdx = opts.changed.filter((i) => i < oldCount);
    for (let i = newCount; i < oldCount; i++) if (!keepIdx.includes(i)) keepIdx.push(i);
    const data = keepIdx.map((i) => oldBytes.subarray(i * cs, (i + 1) * cs));
    const header: JournalHeader = {
      path: rel,
      ino: fs.statSync(abs(rel)).ino,
      scheme: SCHEME,
      chunkSize: cs,
      restoreSize: oldBytes.length,
      restoreMtimeMs: OLD_MTIME,
      restoreMode: 0o640,
      restoreId: idOf(oldBytes),
      chunks: keepIdx.map((index, i) => ({
        index,
        length: data[i]!.length,
        id: h.hash(data[i]!).toString('hex'),
      })),
    };
    fs.mkdirSync(path.join(stateDir, 'journal'), { recursive: true });
    const jfile = path.join(stateDir, 'journal', '1.jnl');
    writeJournal(new NodeTargetFs(target), '.tandem/journal/1.jnl', header, data);
    const fd = fs.openSync(abs(rel), 'r+');
    for (const i of opts.changed)
      fs.writeSync(fd, newBytes, i * cs, Math.min(cs, newBytes.length - i * cs), i * cs);
    fs.ftruncateSync(fd, newBytes.length);
    fs.fchmodSync(fd, 0o600);
    fs.closeSync(fd);
    const patched = fs.readFileSync(abs(rel));
    expect(patched.equals(newBytes)).toBe(true);
    const runDir = path.join(versionsDir, 'run-1');
    fs.mkdirSync(runDir);
    fs.renameSync(jfile, path.join(runDir, '1.chunks'));
    const record: VersionRecord = {
      path: rel,
      kind: 'chunks',
      stored: '1.chunks',
      time: 1000,
      size: oldBytes.length,
      mtimeMs: OLD_MTIME,
      mode: 0o640,
      id: header.restoreId,
      chunkSize: cs,
      chunks: keepIdx,
    };
    fs.writeFileSync(path.join(runDir, 'manifest.jsonl'), JSON.stringify(record) + '\n');
    return { oldBytes, patched };
  }

  /** New content that differs from `old` in the given chunks only. */
  function withChanged(old: Buffer, changed: number[], size = old.length): Buffer {
    const b = Buffer.alloc(size);
    old.copy(b, 0, 0, Math.min(size, old.length));
    for (const i of changed) crypto.randomFillSync(b, i * CS, Math.min(CS, size - i * CS));
    return b;
  }

  it('rebuilds the old file byte-identical and keeps the current content', async () => {
    const oldBytes = crypto.randomBytes(4 * CS);
    const { patched } = patchAndKeep({
      rel: 'big.bin',
      oldBytes,
      newBytes: withChanged(oldBytes, [1, 3]),
      changed: [1, 3],
    });

    const r = await restore('big.bin', 'run-1', '1.chunks');

    expect(fs.readFileSync(abs('big.bin')).equals(oldBytes)).toBe(true);
    const st = fs.statSync(abs('big.bin'));
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.mtimeMs).toBe(OLD_MTIME);
    expect(r.restored).toEqual({
      run: 'run-1',
      stored: '1.chunks',
      kind: 'chunks',
      size: 4 * CS,
    });
    expect(storedBytes(r.replaced!.run, r.replaced!.stored).equals(patched)).toBe(true);
    expect(listVersions(target, 'big.bin').map((v) => v.kind)).toEqual(['file', 'chunks']);
    expect(tmpLeft()).toEqual([]);
  });

  it('rebuilds a file whose patch cut off its tail', async () => {
    const oldBytes = crypto.randomBytes(4 * CS + 500);
    patchAndKeep({
      rel: 'sub/tail.bin',
      oldBytes,
      newBytes: withChanged(oldBytes, [1], 3 * CS - 7),
      changed: [1, 2],
    });
    await restore('sub/tail.bin', 'run-1', '1.chunks');
    expect(fs.readFileSync(abs('sub/tail.bin')).equals(oldBytes)).toBe(true);
  });

  it('refuses when the file changed since the patch, and leaves everything untouched', async () => {
    const oldBytes = crypto.randomBytes(4 * CS);
    patchAndKeep({
      rel: 'big.bin',
      oldBytes,
      newBytes: withChanged(oldBytes, [1, 3]),
      changed: [1, 3],
    });
    // An edit after the patch, in a chunk the patch did not touch.
    const fd = fs.openSync(abs('big.bin'), 'r+');
    fs.writeSync(fd, Buffer.from('edited since'), 0, 12, 10);
    fs.closeSync(fd);
    const now = fs.readFileSync(abs('big.bin'));
    const stBefore = fs.statSync(abs('big.bin'));

    const p = restore('big.bin', 'run-1', '1.chunks');
    await expect(p).rejects.toBeInstanceOf(RestoreError);
    await expect(p).rejects.toThrow(
      'this version only kept the chunks a patch replaced, and the file has changed since, so it cannot be rebuilt',
    );

    expect(fs.readFileSync(abs('big.bin')).equals(now)).toBe(true);
    expect(fs.statSync(abs('big.bin')).ino).toBe(stBefore.ino);
    expect(runs()).toEqual(['run-1']);
    expect(tmpLeft()).toEqual([]);
  });

  it('refuses when the patched file is gone', async () => {
    const oldBytes = crypto.randomBytes(4 * CS);
    patchAndKeep({
      rel: 'big.bin',
      oldBytes,
      newBytes: withChanged(oldBytes, [0]),
      changed: [0],
    });
    fs.unlinkSync(abs('big.bin'));
    await expect(restore('big.bin', 'run-1', '1.chunks')).rejects.toThrow(
      /only kept the chunks a patch replaced.*cannot be rebuilt/,
    );
    expect(fs.existsSync(abs('big.bin'))).toBe(false);
  });

  it('refuses a damaged journal', async () => {
    const oldBytes = crypto.randomBytes(4 * CS);
    const { patched } = patchAndKeep({
      rel: 'big.bin',
      oldBytes,
      newBytes: withChanged(oldBytes, [2]),
      changed: [2],
    });
    const kept = path.join(versionsDir, 'run-1', '1.chunks');
    const b = fs.readFileSync(kept);
    b.writeUInt8(b.readUInt8(b.length - 100) ^ 0xff, b.length - 100); // inside the kept chunk
    fs.writeFileSync(kept, b);
    await expect(restore('big.bin', 'run-1', '1.chunks')).rejects.toThrow(/is damaged/);
    expect(fs.readFileSync(abs('big.bin')).equals(patched)).toBe(true);
    expect(runs()).toEqual(['run-1']);
  });
});

describe('restoreVersion: refusals', () => {
  it('does not write through a symlink in place of a parent folder', async () => {
    writeFile('sub/a.txt', 'old');
    keep('run-1', '1', 'sub/a.txt', 1000);
    fs.rmSync(abs('sub'), { recursive: true });
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, abs('sub'));

    await expect(restore('sub/a.txt', 'run-1', '1')).rejects.toThrow(
      'a symlink is in the way at sub; nothing was written through it',
    );

    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.lstatSync(abs('sub')).isSymbolicLink()).toBe(true);
    expect(runs()).toEqual(['run-1']);
    expect(tmpLeft()).toEqual([]);
  });

  it('refuses a kept copy whose bytes no longer match its id', async () => {
    writeFile('a.txt', 'the old text');
    keep('run-1', '1', 'a.txt', 1000);
    replaceFile('a.txt', 'current');
    fs.writeFileSync(path.join(versionsDir, 'run-1', '1'), 'the 0ld text'); // same inode, same size
    await expect(restore('a.txt', 'run-1', '1')).rejects.toThrow(
      /^the kept copy of a\.txt \(1 in run-1\) is damaged/,
    );
    expect(fs.readFileSync(abs('a.txt'), 'utf8')).toBe('current');
    expect(runs()).toEqual(['run-1']);
    expect(tmpLeft()).toEqual([]);
  });

  it('refuses a version that is not kept, and a kept copy that went missing', async () => {
    writeFile('a.txt', 'old');
    keep('run-1', '1', 'a.txt', 1000);
    await expect(restore('a.txt', 'run-2', '1')).rejects.toThrow(
      'no version run-2/1 of a.txt is kept; it may have been pruned',
    );
    await expect(restore('b.txt', 'run-1', '1')).rejects.toThrow(/no version run-1\/1 of b\.txt/);
    fs.unlinkSync(path.join(versionsDir, 'run-1', '1'));
    await expect(restore('a.txt', 'run-1', '1')).rejects.toThrow(/is missing from the version/);
  });

  it.each(['../a.txt', '/etc/passwd', 'a//b', '.tandem/x', 'a/./b', ''])(
    'refuses the path %j',
    async (rel) => {
      await expect(restore(rel, 'run-1', '1')).rejects.toThrow(/is not a path inside the target/);
    },
  );

  it('refuses a run name that reaches outside the store', async () => {
    writeFile('a.txt', 'old');
    keep('run-1', '1', 'a.txt', 1000);
    await expect(restore('a.txt', '../versions/run-1', '1')).rejects.toThrow(/no version/);
  });

  it('refuses to replace a folder that is now at the path', async () => {
    writeFile('a', 'old');
    keep('run-1', '1', 'a', 1000);
    fs.unlinkSync(abs('a'));
    writeFile('a/inside.txt', 'mine');
    await expect(restore('a', 'run-1', '1')).rejects.toThrow('a folder is now at a');
    expect(fs.readFileSync(abs('a/inside.txt'), 'utf8')).toBe('mine');
    expect(tmpLeft()).toEqual([]);
  });
});

describe('listVersions', () => {
  it('lists every kept version of a path, newest first, and nothing for others', () => {
    writeFile('a.txt', 'one');
    keep('run-1', '1', 'a.txt', 1000);
    replaceFile('a.txt', 'two!');
    keep('run-2', '1', 'a.txt', 2000);
    writeFile('b.txt', 'b');
    keep('run-2', '2', 'b.txt', 2000);
    expect(listVersions(target, 'a.txt')).toEqual([
      { path: 'a.txt', run: 'run-2', stored: '1', time: 2000, size: 4, kind: 'file' },
      { path: 'a.txt', run: 'run-1', stored: '1', time: 1000, size: 3, kind: 'file' },
    ]);
    expect(listVersions(target, 'c.txt')).toEqual([]);
    expect(listVersions(path.join(dir, 'nowhere'), 'a.txt')).toEqual([]);
  });
});
