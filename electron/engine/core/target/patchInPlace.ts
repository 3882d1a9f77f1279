// The journalled in-place patch of a large file's changed chunks (DESIGN: "Patch in place only when
// it is safe"): each changed chunk is read from both sides and checked against both ids, and only
// the 4 KiB pages that differ inside it are replaced. Their old bytes go to an undo journal, made
// durable and committed before the file is touched; any failure rolls the file back at once; on
// success the journal becomes the kept version (it holds exactly the replaced bytes).
import type { PlanItem } from '../../../shared/plan.js';
import type { SchemeHasher } from '../hash/hashScheme.js';
import { sameStat, type StatKey } from '../hash/hashFile.js';
import { fileId } from '../hash/identifiers.js';
import type { TreeNode } from '../scan/tree.js';
import { rollBack, writeJournal, type JournalHeader } from './journal.js';
import { readAll, setMtimeInBucket, writeAll, type TargetFs, type TargetStat } from './targetFs.js';
import type { StateNames } from './stateFolder.js';
import type { VersionStore } from './versionStore.js';
import type { SourceFile } from './sourceReader.js';

/** Patch in place only for files at least this large... */
export const PATCH_MIN_SIZE = 8 * 1024 * 1024;
/** ...where at most this share of the bytes change... */
export const PATCH_MAX_FRACTION = 0.5;
/** ...and the journal (held in memory while written) stays this small. */
export const PATCH_MAX_BYTES = 256 * 1024 * 1024;

/** The unit a local patch compares and writes: the page size of every filesystem it runs on. */
export const PAGE_SIZE = 4096;

/**
 * The [from, to) byte ranges, page-aligned, where `next` differs from `prev` (bytes past `prev`'s
 * end always differ); adjacent differing pages merge into one range.
 */
export function differingPages(prev: Buffer, next: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let from = 0; from < next.length; from += PAGE_SIZE) {
    const to = Math.min(from + PAGE_SIZE, next.length);
    const same = to <= prev.length && prev.subarray(from, to).equals(next.subarray(from, to));
    if (same) continue;
    const last = out[out.length - 1];
    if (last && last[1] === from) last[1] = to;
    else out.push([from, to]);
  }
  return out;
}

/** An item-level failure with a sentence for the user; the run goes on with the other items. */
export class ItemError extends Error {}

export const CHANGED_ON_TARGET = 'changed on the target since it was compared; run again';
export const CHANGED_ON_SOURCE = 'the source changed since it was compared; run again';

/** Whether an update is patched in place (true) or rewritten through a temp file. */
export function choosePatchInPlace(
  item: PlanItem,
  tgtNode: TreeNode | undefined,
  nlink: number,
): boolean {
  if (item.kind !== 'update' || !item.chunks || !item.source || !item.target || !tgtNode)
    return false;
  if (item.source.type !== 'file' || item.target.type !== 'file') return false;
  if (tgtNode.chunkSize !== item.chunks.chunkSize || nlink !== 1) return false;
  const size = item.source.size;
  if (size < PATCH_MIN_SIZE || tgtNode.size < PATCH_MIN_SIZE) return false;
  return item.bytesToWrite <= PATCH_MAX_BYTES && item.bytesToWrite <= size * PATCH_MAX_FRACTION;
}

export interface PatchJob {
  item: PlanItem;
  /** the source file, open (sourceReader.ts): its chunks come checked against srcIds */
  source: SourceFile;
  src: TreeNode;
  srcIds: Buffer;
  tgt: TreeNode;
  tgtIds: Buffer;
  tgtStat: StatKey;
  scheme: string;
  buf: Buffer;
  mtimeGranularityMs: number;
}

export interface PatchOutcome {
  written: number;
  journaled: number;
  stat: TargetStat;
}

export function patchInPlace(
  t: TargetFs,
  names: StateNames,
  versions: VersionStore,
  hasher: SchemeHasher,
  job: PatchJob,
): PatchOutcome {
  const { item: it, src, tgt: tgtNode, srcIds, tgtIds, buf } = job;
  const cs = it.chunks!.chunkSize;
  const ib = hasher.idBytes;
  const tf = t.openReadWrite(it.path);
  try {
    const tst = tf.stat();
    if (!sameStat(tst, job.tgtStat) || tst.nlink !== 1) throw new ItemError(CHANGED_ON_TARGET);
    job.source.checkUnchanged(CHANGED_ON_SOURCE);
    // 1. Each changed chunk, old and new: the target's checked against its indexed chunk id (the
    //    target must still hold what the plan compared), the source's against the plan's. Both
    //    sides are readable, so only the pages that differ are journaled and written.
    const oldCount = Math.ceil(tgtNode.size / cs);
    const ranges: JournalHeader['chunks'] = [];
    const old: Buffer[] = [];
    const fresh: { offset: number; bytes: Buffer }[] = [];
    /** The target's chunk i (empty past its end), checked against its indexed id. */
    const targetChunk = (i: number): Buffer => {
      const len = i < oldCount ? Math.min(cs, tgtNode.size - i * cs) : 0;
      const b = Buffer.allocUnsafe(len);
      const id = tgtIds.subarray(i * ib, (i + 1) * ib);
      if (len > 0 && (readAll(tf, b, len, i * cs) !== len || !hasher.hash(b).equals(id)))
        throw new ItemError(CHANGED_ON_TARGET);
      return b;
    };
    /** Journals old bytes of chunk i found at `offset` (their id computed unless known). */
    const keepOld = (i: number, offset: number, b: Buffer, id?: Buffer): void => {
      old.push(b);
      ranges.push({
        index: i,
        offset,
        length: b.length,
        id: (id ?? hasher.hash(b)).toString('hex'),
      });
    };
    for (const i of it.chunks!.changed) {
      const oldChunk = targetChunk(i);
      const chunk = job.source.chunk(i, buf);
      for (const [from, to] of differingPages(oldChunk, chunk)) {
        fresh.push({ offset: i * cs + from, bytes: Buffer.from(chunk.subarray(from, to)) });
        // Only bytes the file had there are journaled; what lies past its old end is cut off
        // again by the rollback's truncate.
        const oldTo = Math.min(to, oldChunk.length);
        if (oldTo > from) keepOld(i, i * cs + from, oldChunk.subarray(from, oldTo));
      }
      // The source ends inside this chunk: the old bytes past its end are cut off, so kept.
      if (oldChunk.length > chunk.length)
        keepOld(i, i * cs + chunk.length, oldChunk.subarray(chunk.length));
    }
    // The tail a shorter source cuts off, checked like a changed chunk, kept whole.
    const newCount = Math.ceil(src.size / cs);
    for (let i = Math.max(newCount, 0); i < oldCount; i++) {
      if (it.chunks!.changed.includes(i)) continue;
      keepOld(i, i * cs, targetChunk(i), tgtIds.subarray(i * ib, (i + 1) * ib));
    }
    // 2. The undo journal, durable and committed before the file is touched.
    const header: JournalHeader = {
      path: it.path,
      ino: tst.ino,
      scheme: job.scheme,
      chunkSize: cs,
      restoreSize: tgtNode.size,
      restoreMtimeMs: tgtNode.mtimeMs,
      restoreMode: tgtNode.mode,
      restoreId: tgtNode.id.toString('hex'),
      chunks: ranges,
    };
    const jrel = names.journal();
    const journaled = writeJournal(t, jrel, header, old);
    // 3. The patch: the differing pages, each already checked as part of its chunk. Any failure
    //    from here on rolls the file back from the journal before reporting it.
    let written = 0;
    try {
      for (const f of fresh) {
        writeAll(tf, f.bytes, f.offset);
        written += f.bytes.length;
      }
      job.source.checkUnchanged('the source changed while it was read; run again');
      tf.truncate(src.size);
      tf.chmod(src.mode);
      setMtimeInBucket(tf, src.mtimeMs, job.mtimeGranularityMs);
      tf.sync();
      // 4. Read the changed chunks back, whole.
      for (const i of it.chunks!.changed) {
        const len = Math.min(cs, src.size - i * cs);
        if (
          readAll(tf, buf, len, i * cs) !== len ||
          !hasher.hash(buf.subarray(0, len)).equals(srcIds.subarray(i * ib, (i + 1) * ib))
        )
          throw new ItemError(
            'the patched chunks did not read back as written; the file was rolled back',
          );
      }
      if (!fileId(hasher, src.size, cs, srcIds).equals(src.id))
        throw new ItemError('internal: file id mismatch after patch');
    } catch (e) {
      rollBack(tf, header, old);
      t.unlink(jrel);
      throw e;
    }
    // 5. The journal holds exactly the replaced bytes: it becomes the kept version.
    versions.adoptJournal(jrel, it.path, {
      size: tgtNode.size,
      mtimeMs: tgtNode.mtimeMs,
      mode: tgtNode.mode,
      id: header.restoreId,
      chunkSize: cs,
      chunks: [...new Set(ranges.map((r) => r.index))],
    });
    return { written, journaled, stat: tf.stat() };
  } finally {
    tf.close();
  }
}
