// The patch journal, an undo log: before a file is patched in place, the chunks about to be
// overwritten (and any tail about to be cut off) are written here with their ids and made
// durable, then a commit record is added. Recovery rolls a committed journal back (writing a
// chunk twice is harmless) and drops an uncommitted one (the file was not touched yet), so after
// a crash at any point the file is its old or its new content once recovery has run. After a
// patch succeeds the journal holds exactly the replaced bytes, so it becomes the version kept in
// the version store by a rename: the patch writes the changed chunks twice in all, not three times.
// Since version 02 a record is a byte range (`offset`): a local patch journals and writes only the
// 4 KiB pages that differ inside each changed chunk. Version 01 journals (whole chunks at
// index × chunkSize) are still read.
import { createSchemeHasher, type SchemeHasher } from '../hash/hashScheme.js';
import { JOURNAL_DIR, readTargetFile } from './stateFolder.js';
import { readAll, writeAll, type TargetFile, type TargetFs } from './targetFs.js';

const MAGIC = Buffer.from('TDMJNL02');
const MAGIC_V1 = Buffer.from('TDMJNL01');
/** Every journal of any version starts so: one of a version this build does not know is kept. */
const MAGIC_FAMILY = Buffer.from('TDMJNL');

/** Whether a journal starts as one of a version this build reads. */
function knownMagic(m: Buffer): boolean {
  return m.equals(MAGIC) || m.equals(MAGIC_V1);
}
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
  /**
   * the replaced ranges: the chunk each lies in, its byte offset in the file (journals of version
   * 01 have none: the whole chunk, at index × chunkSize), its length, and the hex id its bytes
   * must hash to
   */
  chunks: JournalRange[];
}

export interface JournalRange {
  index: number;
  offset?: number;
  length: number;
  id: string;
}

/** Where a journal range starts in the file. */
export function rangeStart(header: JournalHeader, c: JournalRange): number {
  return c.offset ?? c.index * header.chunkSize;
}

/** Writes a journal with the old chunk bytes, fsyncs it, then commits it (fsync again). */
export function writeJournal(
  t: TargetFs,
  rel: string,
  header: JournalHeader,
  data: Buffer[],
): number {
  // A range given by its chunk alone is that whole chunk.
  const ranges = header.chunks.map((c) => ({ ...c, offset: rangeStart(header, c) }));
  const head = Buffer.from(JSON.stringify({ ...header, chunks: ranges }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  const f = t.create(rel, 0o600);
  let written = 0;
  try {
    for (const b of [MAGIC, len, head, ...data]) {
      writeAll(f, b, written);
      written += b.length;
    }
    f.sync();
    writeAll(f, COMMIT, written);
    written += COMMIT.length;
    f.sync();
  } finally {
    f.close();
  }
  t.fsyncDirs([rel.slice(0, rel.lastIndexOf('/'))]);
  return written;
}

export type ReadJournal =
  | { committed: false; corrupt?: boolean; unknownVersion?: boolean }
  | { committed: true; header: JournalHeader; data: Buffer[] };

/**
 * Reads a journal. Without its commit record it is uncommitted (the crash came before the patch
 * began, so the file is untouched); committed but unreadable it is corrupt (the file may be half
 * patched and needs a person).
 */
export function readJournal(t: TargetFs, rel: string, h: SchemeHasher | null): ReadJournal {
  const buf = readTargetFile(t, rel);
  const magic = buf.subarray(0, 8);
  if (buf.length < MAGIC.length + 4 + COMMIT.length) return { committed: false };
  if (!knownMagic(magic)) {
    // Another version's journal may hold the only undo of a half-patched file: never dropped.
    if (magic.subarray(0, 6).equals(MAGIC_FAMILY) && buf.subarray(buf.length - 8).equals(COMMIT))
      return { committed: false, unknownVersion: true };
    return { committed: false };
  }
  if (!buf.subarray(buf.length - COMMIT.length).equals(COMMIT)) return { committed: false };
  const hlen = buf.readUInt32LE(8);
  let header: JournalHeader;
  try {
    header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8')) as JournalHeader;
  } catch {
    return { committed: false, corrupt: true };
  }
  // Committed, but in a hash scheme this build cannot compute: it cannot be checked, so it is
  // kept for a person (never dropped as if uncommitted).
  if (!h) return { committed: false, corrupt: true };
  const data: Buffer[] = [];
  let off = 12 + hlen;
  for (const c of header.chunks) {
    if (magic.equals(MAGIC_V1)) delete c.offset;
    else if (!Number.isSafeInteger(c.offset) || c.offset! < 0)
      return { committed: false, corrupt: true };
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
export function rollBack(f: TargetFile, header: JournalHeader, data: Buffer[]): void {
  header.chunks.forEach((c, i) => writeAll(f, data[i]!, rangeStart(header, c)));
  f.truncate(header.restoreSize);
  f.chmod(header.restoreMode);
  f.setMtime(header.restoreMtimeMs);
  f.sync();
}

/** Re-reads the restored chunks and checks their ids. */
export function verifyRolledBack(
  f: TargetFile,
  header: JournalHeader,
  h: SchemeHasher,
  buf: Buffer,
): boolean {
  if (f.stat().size !== header.restoreSize) return false;
  for (const c of header.chunks) {
    const got = readAll(f, buf, c.length, rangeStart(header, c));
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
 * Rolls back or drops every journal in the state folder's journal folder, reaching each patched
 * file through the door (every folder on its way checked, never through a link). Returns what it
 * did; throws only if the journal folder itself cannot be read.
 */
export async function recoverJournals(t: TargetFs): Promise<RecoveryReport> {
  const report: RecoveryReport = { rolledBack: [], discarded: [], problems: [] };
  const st = t.lstat(JOURNAL_DIR);
  if (!st) return report;
  if (st.type !== 'dir')
    throw new Error(`${t.root}/${JOURNAL_DIR} is not a folder; move it away, then run again`);
  const names = t.readdir(JOURNAL_DIR);
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
    const rel = `${JOURNAL_DIR}/${n}`;
    const shown = `${t.root}/${rel}`;
    const peek = readJournalScheme(t, rel);
    const h = peek ? await hasher(peek) : null;
    const j: ReadJournal = readJournal(t, rel, h);
    if (!j.committed && j.unknownVersion) {
      report.problems.push(
        `an interrupted patch journal was written by another version of Tandem; run that version once to undo it (journal kept in ${shown})`,
      );
      continue;
    }
    if (!j.committed && j.corrupt) {
      report.problems.push(
        `an interrupted patch journal is damaged and cannot be undone; its file may be partly patched (journal kept in ${shown})`,
      );
      continue;
    }
    if (!j.committed) {
      t.unlink(rel);
      report.discarded.push(n);
      continue;
    }
    let f: TargetFile;
    try {
      f = t.openReadWrite(j.header.path);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      report.problems.push(
        `${j.header.path}: an interrupted patch could not be undone (${why}); the journal is kept in ${shown}`,
      );
      continue;
    }
    try {
      if (f.stat().ino !== j.header.ino) {
        report.problems.push(
          `${j.header.path}: replaced since an interrupted patch; the journal is kept in ${shown}`,
        );
        continue;
      }
      rollBack(f, j.header, j.data);
      if (!verifyRolledBack(f, j.header, h!, Buffer.allocUnsafe(j.header.chunkSize))) {
        report.problems.push(
          `${j.header.path}: undoing an interrupted patch did not verify; the journal is kept in ${shown}`,
        );
        continue;
      }
      t.unlink(rel);
      report.rolledBack.push(j.header.path);
    } finally {
      f.close();
    }
  }
  return report;
}

function readJournalScheme(t: TargetFs, rel: string): string | null {
  try {
    const f = t.openRead(rel);
    try {
      const head = Buffer.alloc(12);
      if (readAll(f, head, 12, 0) < 12 || !knownMagic(head.subarray(0, 8))) return null;
      const len = head.readUInt32LE(8);
      if (len > 64 * 1024 * 1024) return null;
      const hb = Buffer.alloc(len);
      if (readAll(f, hb, len, 12) < len) return null;
      return (JSON.parse(hb.toString('utf8')) as JournalHeader).scheme;
    } finally {
      f.close();
    }
  } catch {
    return null;
  }
}
