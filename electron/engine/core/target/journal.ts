// The patch journal, an undo log: before a file is patched in place, the chunks about to be
// overwritten (and any tail about to be cut off) are written here with their ids and made
// durable, then a commit record is added. Recovery rolls a committed journal back (writing a
// chunk twice is harmless) and drops an uncommitted one (the file was not touched yet), so after
// a crash at any point the file is its old or its new content once recovery has run. After a
// patch succeeds the journal holds exactly the replaced bytes, so it becomes the version kept in
// the version store by a rename: the patch writes the changed chunks twice in all, not three times.
import fs from 'node:fs';
import path from 'node:path';
import { createSchemeHasher, type SchemeHasher } from '../hash/hashScheme.js';
import { readFully } from '../hash/hashFile.js';
import { fsyncDir } from './durability.js';

const MAGIC = Buffer.from('TDMJNL01');
const COMMIT = Buffer.from('TDMCOMIT');

export interface JournalHeader {
  /** path relative to the target root */
  path: string;
  ino: number;
  scheme: string;
  chunkSize: number;
  /** the file as it was: what a rollback restores */
  restoreSize: number;
  restoreMtimeMs: number;
  restoreMode: number;
  /** the file's id before the patch (hex), for the version store */
  restoreId: string;
  /** chunk index, its length, and the hex id its bytes must hash to */
  chunks: { index: number; length: number; id: string }[];
}

/** Writes a journal with the old chunk bytes, fsyncs it, then commits it (fsync again). */
export function writeJournal(file: string, header: JournalHeader, data: Buffer[]): number {
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  const fd = fs.openSync(
    file,
    fs.constants.O_WRONLY |
      fs.constants.O_CREAT |
      fs.constants.O_EXCL |
      (fs.constants.O_NOFOLLOW ?? 0),
    0o600,
  );
  let written = 0;
  try {
    for (const b of [MAGIC, len, head, ...data]) written += fs.writeSync(fd, b);
    fs.fsyncSync(fd);
    written += fs.writeSync(fd, COMMIT);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fsyncDir(path.dirname(file));
  return written;
}

export type ReadJournal =
  | { committed: false; corrupt?: boolean }
  | { committed: true; header: JournalHeader; data: Buffer[] };

/**
 * Reads a journal. Without its commit record it is uncommitted (the crash came before the patch
 * began, so the file is untouched); committed but unreadable it is corrupt (the file may be half
 * patched and needs a person).
 */
export function readJournal(file: string, h: SchemeHasher): ReadJournal {
  const buf = fs.readFileSync(file);
  if (buf.length < MAGIC.length + 4 + COMMIT.length || !buf.subarray(0, 8).equals(MAGIC))
    return { committed: false };
  if (!buf.subarray(buf.length - COMMIT.length).equals(COMMIT)) return { committed: false };
  const hlen = buf.readUInt32LE(8);
  let header: JournalHeader;
  try {
    header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8')) as JournalHeader;
  } catch {
    return { committed: false, corrupt: true };
  }
  const data: Buffer[] = [];
  let off = 12 + hlen;
  for (const c of header.chunks) {
    const b = buf.subarray(off, off + c.length);
    off += c.length;
    if (b.length !== c.length || h.hash(b).toString('hex') !== c.id)
      return { committed: false, corrupt: true };
    data.push(b);
  }
  if (off + COMMIT.length !== buf.length) return { committed: false, corrupt: true };
  return { committed: true, header, data };
}

/** Writes a journal's chunks back into the open file, restores its size and metadata, fsyncs. */
export function rollBack(fd: number, header: JournalHeader, data: Buffer[]): void {
  header.chunks.forEach((c, i) => {
    const b = data[i]!;
    let done = 0;
    while (done < b.length)
      done += fs.writeSync(fd, b, done, b.length - done, c.index * header.chunkSize + done);
  });
  fs.ftruncateSync(fd, header.restoreSize);
  fs.fchmodSync(fd, header.restoreMode);
  fs.futimesSync(fd, header.restoreMtimeMs / 1000, header.restoreMtimeMs / 1000);
  fs.fsyncSync(fd);
}

/** Re-reads the restored chunks and checks their ids. */
export function verifyRolledBack(
  fd: number,
  header: JournalHeader,
  h: SchemeHasher,
  buf: Buffer,
): boolean {
  if (fs.fstatSync(fd).size !== header.restoreSize) return false;
  for (const c of header.chunks) {
    const got = readFully(fd, buf, c.length, c.index * header.chunkSize);
    if (got !== c.length || h.hash(buf.subarray(0, got)).toString('hex') !== c.id) return false;
  }
  return true;
}

export interface RecoveryReport {
  /** files whose interrupted patch was undone: they hold their old content and sync again */
  rolledBack: string[];
  discarded: string[];
  problems: string[];
}

/**
 * Rolls back or drops every journal in `journalDir`. Returns what it did; throws only if the
 * journal folder itself cannot be read.
 */
export async function recoverJournals(
  journalDir: string,
  targetRoot: string,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { rolledBack: [], discarded: [], problems: [] };
  let names: string[];
  try {
    names = fs.readdirSync(journalDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return report;
    throw e;
  }
  const hashers = new Map<string, SchemeHasher>();
  const hasher = async (scheme: string): Promise<SchemeHasher | null> => {
    if (!hashers.has(scheme)) {
      try {
        hashers.set(scheme, await createSchemeHasher(scheme));
      } catch {
        return null;
      }
    }
    return hashers.get(scheme)!;
  };
  for (const n of names.filter((x) => x.endsWith('.jnl'))) {
    const file = path.join(journalDir, n);
    const peek = readJournalScheme(file);
    const h = peek ? await hasher(peek) : null;
    const j: ReadJournal = h ? readJournal(file, h) : { committed: false };
    if (!j.committed && j.corrupt) {
      report.problems.push(
        `an interrupted patch journal is damaged and cannot be undone; its file may be partly patched (journal kept in ${file})`,
      );
      continue;
    }
    if (!j.committed) {
      fs.rmSync(file, { force: true });
      report.discarded.push(n);
      continue;
    }
    const abs = path.join(targetRoot, j.header.path);
    let fd: number;
    try {
      fd = fs.openSync(abs, fs.constants.O_RDWR | (fs.constants.O_NOFOLLOW ?? 0));
    } catch (e) {
      report.problems.push(
        `${j.header.path}: an interrupted patch could not be undone (${(e as NodeJS.ErrnoException).code}); the journal is kept in ${file}`,
      );
      continue;
    }
    try {
      if (fs.fstatSync(fd).ino !== j.header.ino) {
        report.problems.push(
          `${j.header.path}: replaced since an interrupted patch; the journal is kept in ${file}`,
        );
        continue;
      }
      rollBack(fd, j.header, j.data);
      if (!verifyRolledBack(fd, j.header, h!, Buffer.allocUnsafe(j.header.chunkSize))) {
        report.problems.push(
          `${j.header.path}: undoing an interrupted patch did not verify; the journal is kept in ${file}`,
        );
        continue;
      }
      fs.rmSync(file, { force: true });
      report.rolledBack.push(j.header.path);
    } finally {
      fs.closeSync(fd);
    }
  }
  return report;
}

function readJournalScheme(file: string): string | null {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(12);
      if (readFully(fd, head, 12, 0) < 12 || !head.subarray(0, 8).equals(MAGIC)) return null;
      const len = head.readUInt32LE(8);
      if (len > 64 * 1024 * 1024) return null;
      const hb = Buffer.alloc(len);
      if (readFully(fd, hb, len, 12) < len) return null;
      return (JSON.parse(hb.toString('utf8')) as JournalHeader).scheme;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}
