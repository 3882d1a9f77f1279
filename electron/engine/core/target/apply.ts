// Apply: make the target equal the source for the approved items, writing only what differs.
// New, small and mostly-changed files go through a temp file and a rename, in batches that share
// one flush; large files with few changed chunks are patched in place through the journal.
// Every item first checks that both sides still hold what the plan saw; anything replaced or
// deleted goes to the version store; every write is checked against the planned ids.
import fs from 'node:fs';
import path from 'node:path';
import type { ApplyResult, PlanItem } from '../../../shared/plan.js';
import type { SchemeHasher } from '../hash/hashScheme.js';
import { BufferCache, readFully, sameStat, statKey, type StatKey } from '../hash/hashFile.js';
import { fileId } from '../hash/identifiers.js';
import type { IdentifierIndex, IndexedEntry } from '../index/identifierIndex.js';
import { rollBack, writeJournal, type JournalHeader } from './journal.js';
import { flushFilesystem } from './durability.js';
import { VersionStore, versionMeta } from './versionStore.js';
import type { ScanResult } from '../scan/scan.js';
import { RACY_WINDOW_MS } from '../scan/scan.js';
import { chunkIdsOf, parentOf, type TreeNode } from '../scan/tree.js';
import { TargetWriter, ItemError } from './targetWriter.js';
import { listedStat, sameEntry, type NameRules } from '../scan/walk.js';
import { keyOf, orderForApply } from '../plan/applyOrder.js';

/** Patch in place only for files at least this large... */
export const PATCH_MIN_SIZE = 8 * 1024 * 1024;
/** ...where at most this share of the bytes change... */
export const PATCH_MAX_FRACTION = 0.5;
/** ...and the journal (held in memory while written) stays this small. */
export const PATCH_MAX_BYTES = 256 * 1024 * 1024;
const BATCH_FILES = 256;
const BATCH_BYTES = 64 * 1024 * 1024;

export interface ApplyProgress {
  bytesDone: number;
  bytesTotal: number;
  itemsDone: number;
  itemsTotal: number;
  path: string;
}

/** What apply needs of an open pair: its two roots, the target's state folder, rules and index. */
export interface ApplyPair {
  source: string;
  target: string;
  stateDir: string;
  nameRules: NameRules;
  index: IdentifierIndex;
}

export interface ApplyInput {
  pair: ApplyPair;
  hasher: SchemeHasher;
  scheme: string;
  source: ScanResult;
  target: ScanResult;
  onProgress?: (p: ApplyProgress) => void;
}

interface Staged {
  item: PlanItem;
  tmp: string;
  dest: string;
}

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

export function applyPlan(input: ApplyInput, items: PlanItem[]): ApplyResult {
  const { pair, hasher, scheme } = input;
  const result: ApplyResult = {
    applied: 0,
    failed: [],
    bytesWritten: 0,
    bytesJournaled: 0,
    bytesVersioned: 0,
    patchedInPlace: 0,
    renamedIntoPlace: 0,
  };
  const versions = new VersionStore(path.join(pair.stateDir, 'versions'));
  const w = new TargetWriter(pair.target, pair.stateDir, input.target.walk.entries);
  const cache = new BufferCache();
  const upserts: [string, IndexedEntry][] = [];
  const deletions: string[] = [];
  const srcWalk = input.source.walk.entries;
  const srcNodes = input.source.tree.nodes;
  const tgtNodes = input.target.tree.nodes;
  const order = orderForApply(items, pair.nameRules);
  const bytesTotal = items.reduce(
    (n, it) =>
      n +
      (it.kind === 'create' || it.kind === 'replaceType' || it.kind === 'update'
        ? it.bytesToWrite
        : 0),
    0,
  );
  let bytesDone = 0;
  let itemsDone = 0;
  const progress = (p: string): void =>
    input.onProgress?.({ bytesDone, bytesTotal, itemsDone, itemsTotal: items.length, path: p });
  const fail = (it: PlanItem, e: unknown): void => {
    result.failed.push({
      path: it.path,
      message: e instanceof ItemError ? e.message : describe(e),
    });
  };
  let stopped: Error | null = null;

  /** Records what the target now holds; it equals the source, so it is the new baseline. */
  const recordFile = (p: string, node: TreeNode, st: fs.Stats, chunkIds: Buffer | null): void => {
    const trusted = st.mtimeMs < Date.now() - RACY_WINDOW_MS;
    const e: IndexedEntry = {
      ...listedStat(st),
      type: node.type,
      mode: st.mode & 0o7777,
      scheme,
      chunkSize: node.chunkSize ?? 0,
      chunkIds,
      id: node.id,
      trusted,
      ...(node.type !== 'dir' ? { setBase: node.id } : {}),
    };
    upserts.push([p, e]);
  };

  /** A full disk stops the run (the current file was rolled back or never renamed in). */
  const failOrStop = (it: PlanItem, e: unknown): void => {
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
      stopped = new Error(
        `the target disk is full while writing ${it.path}; free some space and run again`,
      );
      result.failed.push({ path: it.path, message: 'target disk full' });
    } else fail(it, e);
  };

  const runSafely = (it: PlanItem, fn: () => void): void => {
    if (stopped) return;
    try {
      fn();
      result.applied++;
    } catch (e) {
      failOrStop(it, e);
    }
    itemsDone++;
    progress(it.path);
  };

  // 1. Deletions that must come first: entries in the way of something this plan writes.
  for (const it of order.earlyDeletes) runSafely(it, () => deleteEntry(it));

  // 2. Folders, parents first.
  for (const it of order.folders) {
    runSafely(it, () => {
      const dest = w.abs(it.path);
      w.checkParents(it.path);
      if (it.kind === 'replaceType') w.removeInTheWay(it, versions, true);
      else w.expectAbsent(it.path);
      fs.mkdirSync(dest, { mode: 0o700 });
      fs.chmodSync(dest, it.source!.mode);
      w.madeDir(it.path);
    });
  }

  // 2b. Moves: a target file renamed to where the source now has it, then given its metadata.
  for (const it of order.renames) {
    runSafely(it, () => {
      const from = it.from!;
      const seen = input.target.walk.entries.get(from);
      w.checkParents(from);
      w.checkParents(it.path);
      const st = w.lstatOrNull(from);
      if (!seen || !st || !sameEntry(st, seen))
        throw new ItemError('changed on the target since it was compared; run again');
      // A case- or form-only rename on a folding target: the new name finds the old entry itself.
      if (keyOf(from, pair.nameRules) !== keyOf(it.path, pair.nameRules)) w.expectAbsent(it.path);
      const dest = w.abs(it.path);
      fs.renameSync(w.abs(from), dest);
      const fd = fs.openSync(dest, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
      try {
        fs.fchmodSync(fd, it.source!.mode);
        fs.futimesSync(fd, it.source!.mtimeMs / 1000, it.source!.mtimeMs / 1000);
      } finally {
        fs.closeSync(fd);
      }
      const node = srcNodes.get(it.path)!;
      recordFile(it.path, node, fs.lstatSync(dest), chunkIdsOf(input.source.tree, it.path));
      deletions.push(from);
    });
  }
  if (order.renames.length) {
    const dirs = order.renames.flatMap((it) => [parentOf(it.from!), parentOf(it.path)]);
    flushFilesystem(pair.target, { dirs: dirs.map((d) => w.abs(d)) });
  }

  // 3. Files and symlinks: patches one by one, the rest in batches through temp files.
  let batch: Staged[] = [];
  let batchBytes = 0;
  const flushBatch = (): void => {
    if (batch.length === 0) return;
    const staged = batch;
    batch = [];
    batchBytes = 0;
    try {
      const files = staged
        .filter((s) => srcNodes.get(s.item.path)?.type === 'file')
        .map((s) => s.tmp);
      flushFilesystem(pair.target, { files, dirs: staged.map((s) => path.dirname(s.tmp)) });
    } catch (e) {
      for (const s of staged) {
        fs.rmSync(s.tmp, { force: true });
        fail(s.item, e);
      }
      return;
    }
    const done: Staged[] = [];
    for (const s of staged) {
      try {
        const it = s.item;
        w.checkParents(it.path);
        if (it.target) w.removeInTheWay(it, versions, false);
        else w.expectAbsent(it.path);
        fs.renameSync(s.tmp, s.dest);
        done.push(s);
      } catch (e) {
        fs.rmSync(s.tmp, { force: true });
        fail(s.item, e);
      }
    }
    versions.sync();
    const dirs = done.map((s) => path.dirname(s.dest));
    if (versions.run) dirs.push(path.join(pair.stateDir, 'versions', versions.run));
    flushFilesystem(pair.target, { dirs });
    for (const s of done) {
      const node = srcNodes.get(s.item.path)!;
      recordFile(
        s.item.path,
        node,
        fs.lstatSync(s.dest),
        node.type === 'file' ? chunkIdsOf(input.source.tree, s.item.path) : null,
      );
      result.applied++;
      result.renamedIntoPlace++;
      if (node.type === 'file') result.bytesWritten += node.size;
    }
  };

  for (const it of order.files) {
    if (stopped) break;
    const srcNode = srcNodes.get(it.path);
    const srcEntry = srcWalk.get(it.path);
    if (!srcNode || !srcEntry) {
      fail(it, new ItemError('the source entry is no longer listed; run again'));
      continue;
    }
    const tgtEntry = input.target.walk.entries.get(it.path);
    if (choosePatchInPlace(it, tgtNodes.get(it.path), tgtEntry?.nlink ?? 0)) {
      runSafely(it, () => {
        const r = patchInPlace(it, srcNode, srcEntry, tgtEntry!);
        result.bytesWritten += r.written;
        result.bytesJournaled += r.journaled;
        result.patchedInPlace++;
        recordFile(it.path, srcNode, r.stat, chunkIdsOf(input.source.tree, it.path));
        bytesDone += it.bytesToWrite;
      });
      continue;
    }
    try {
      w.checkParents(it.path);
      const tmp = w.tempPath();
      if (srcNode.type === 'symlink') {
        fs.symlinkSync(srcNode.linkTarget!, tmp);
      } else {
        copyVerified(it.path, path.join(input.pair.source, it.path), tmp, srcNode, srcEntry);
      }
      batch.push({ item: it, tmp, dest: w.abs(it.path) });
      batchBytes += srcNode.size;
      bytesDone += it.bytesToWrite;
    } catch (e) {
      failOrStop(it, e);
    }
    itemsDone++;
    progress(it.path);
    if (batch.length >= BATCH_FILES || batchBytes >= BATCH_BYTES) flushBatch();
  }
  if (stopped) {
    for (const s of batch) fs.rmSync(s.tmp, { force: true });
    batch = [];
  }
  flushBatch();

  // 4. Metadata-only changes.
  for (const it of order.metadata) {
    runSafely(it, () => {
      const e = input.target.walk.entries.get(it.path);
      if (!e) throw new ItemError('no longer on the target');
      const fd = w.openExpected(it.path, e);
      try {
        fs.fchmodSync(fd, it.source!.mode);
        if (it.source!.type === 'file')
          fs.futimesSync(fd, it.source!.mtimeMs / 1000, it.source!.mtimeMs / 1000);
      } finally {
        fs.closeSync(fd);
      }
      const node = tgtNodes.get(it.path)!;
      if (node.type === 'file') recordFile(it.path, node, fs.lstatSync(w.abs(it.path)), null);
    });
  }

  // 5. Deletions, children before parents, last: an interrupted run leaves extra files, not missing ones.
  for (const it of order.lateDeletes) runSafely(it, () => deleteEntry(it));
  versions.sync();

  // 6. Created folders get the source's mtime once nothing more is written into them.
  for (const p of w.createdDirs().reverse()) {
    const s = srcWalk.get(p);
    if (s) fs.utimesSync(w.abs(p), s.mtimeMs / 1000, s.mtimeMs / 1000);
  }

  versions.close();
  result.bytesVersioned = versions.bytesWritten;
  // A folder keeps its stored id only while its children match the index (scan.ts); the entries
  // just written do match, so the stored ids of every folder above them must go, or the next scan
  // would reuse a folder id from before this apply.
  const stale = new Set<string>();
  for (const p of [...upserts.map(([p]) => p), ...deletions, ...w.createdDirs()]) {
    for (let d = parentOf(p); !stale.has(d); d = parentOf(d)) {
      stale.add(d);
      if (d === '') break;
    }
  }
  pair.index.write('target', upserts, [...deletions, ...stale]);
  if (stopped) result.failed.push({ path: '', message: (stopped as Error).message });
  return result;

  function deleteEntry(it: PlanItem): void {
    const t = it.target!;
    const e = input.target.walk.entries.get(it.path);
    if (!e) throw new ItemError('no longer on the target');
    w.checkParents(it.path);
    const abs = w.abs(it.path);
    const st = w.lstatOrNull(it.path);
    if (!st || !sameEntry(st, e)) {
      throw new ItemError('changed on the target since it was compared; run again');
    }
    if (t.type === 'dir') {
      try {
        fs.rmdirSync(abs);
      } catch (err) {
        // Something below was kept (skipped or failed): the folder stays, which is not an error.
        if (
          (err as NodeJS.ErrnoException).code === 'ENOTEMPTY' ||
          (err as NodeJS.ErrnoException).code === 'EEXIST'
        )
          return;
        throw err;
      }
    } else {
      versions.keepEntry(abs, it.path, versionMeta(t), t.type);
      fs.unlinkSync(abs);
    }
    deletions.push(it.path);
  }

  /** Copies a source file into a temp file, checking every chunk against the planned ids. */
  function copyVerified(
    rel: string,
    srcAbs: string,
    tmp: string,
    node: TreeNode,
    expect: StatKey,
  ): void {
    const sfd = fs.openSync(srcAbs, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    let tfd: number | null = null;
    try {
      if (!sameStat(statKey(fs.fstatSync(sfd)), expect))
        throw new ItemError('the source changed since it was compared; run again');
      tfd = fs.openSync(
        tmp,
        fs.constants.O_WRONLY |
          fs.constants.O_CREAT |
          fs.constants.O_EXCL |
          (fs.constants.O_NOFOLLOW ?? 0),
        0o600,
      );
      const cs = node.chunkSize!;
      const n = Math.ceil(node.size / cs);
      const buf = cache.get(cs);
      const ids = chunkIdsOf(input.source.tree, rel);
      const ib = hasher.idBytes;
      for (let i = 0; i < n; i++) {
        const len = Math.min(cs, node.size - i * cs);
        if (readFully(sfd, buf, len, i * cs) !== len)
          throw new ItemError('the source shrank while it was copied; run again');
        const chunk = buf.subarray(0, len);
        if (!hasher.hash(chunk).equals(ids.subarray(i * ib, (i + 1) * ib))) {
          throw new ItemError('the source changed since it was compared; run again');
        }
        let off = 0;
        while (off < len) off += fs.writeSync(tfd, chunk, off, len - off, i * cs + off);
      }
      if (!sameStat(statKey(fs.fstatSync(sfd)), expect))
        throw new ItemError('the source changed while it was copied; run again');
      fs.fchmodSync(tfd, node.mode);
      fs.futimesSync(tfd, node.mtimeMs / 1000, node.mtimeMs / 1000);
    } catch (e) {
      if (tfd !== null) {
        fs.closeSync(tfd);
        tfd = null;
        fs.rmSync(tmp, { force: true });
      }
      throw e;
    } finally {
      if (tfd !== null) fs.closeSync(tfd);
      fs.closeSync(sfd);
    }
  }

  /** Journalled in-place patch of the changed chunks (DESIGN: "Patch in place only when it is safe"). */
  function patchInPlace(
    it: PlanItem,
    src: TreeNode,
    srcExpect: StatKey,
    tgtExpect: StatKey,
  ): { written: number; journaled: number; stat: fs.Stats } {
    const tgtNode = tgtNodes.get(it.path)!;
    const cs = it.chunks!.chunkSize;
    const ib = hasher.idBytes;
    w.checkParents(it.path);
    const tfd = fs.openSync(w.abs(it.path), fs.constants.O_RDWR | (fs.constants.O_NOFOLLOW ?? 0));
    const sfd = fs.openSync(
      path.join(input.pair.source, it.path),
      fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0),
    );
    try {
      const tst = fs.fstatSync(tfd);
      if (!sameStat(statKey(tst), tgtExpect) || tst.nlink !== 1)
        throw new ItemError('changed on the target since it was compared; run again');
      if (!sameStat(statKey(fs.fstatSync(sfd)), srcExpect))
        throw new ItemError('the source changed since it was compared; run again');
      // 1. The bytes about to be overwritten (and any tail cut off), each checked against the
      //    target's indexed chunk id: the target must still hold what the plan compared.
      const srcIds = chunkIdsOf(input.source.tree, it.path);
      const tgtIds = chunkIdsOf(input.target.tree, it.path);
      const oldCount = Math.ceil(tgtNode.size / cs);
      const newCount = Math.ceil(src.size / cs);
      const keep = it.chunks!.changed.filter((i) => i < oldCount);
      for (let i = Math.max(newCount, 0); i < oldCount; i++) if (!keep.includes(i)) keep.push(i);
      const old: Buffer[] = [];
      const chunks: JournalHeader['chunks'] = [];
      for (const i of keep) {
        const len = Math.min(cs, tgtNode.size - i * cs);
        const b = Buffer.allocUnsafe(len);
        const id = tgtIds.subarray(i * ib, (i + 1) * ib);
        if (readFully(tfd, b, len, i * cs) !== len || !hasher.hash(b).equals(id)) {
          throw new ItemError('changed on the target since it was compared; run again');
        }
        old.push(b);
        chunks.push({ index: i, length: len, id: id.toString('hex') });
      }
      // 2. The undo journal, durable and committed before the file is touched.
      const header: JournalHeader = {
        path: it.path,
        ino: tst.ino,
        scheme,
        chunkSize: cs,
        restoreSize: tgtNode.size,
        restoreMtimeMs: tgtNode.mtimeMs,
        restoreMode: tgtNode.mode,
        restoreId: tgtNode.id.toString('hex'),
        chunks,
      };
      const jfile = w.journalPath();
      const journaled = writeJournal(jfile, header, old);
      // 3. The patch: each new chunk read once from the source, checked against the plan, written.
      //    Any failure from here on rolls the file back from the journal before reporting it.
      try {
        const buf = cache.get(cs);
        for (const i of it.chunks!.changed) {
          const len = Math.min(cs, src.size - i * cs);
          if (readFully(sfd, buf, len, i * cs) !== len)
            throw new ItemError('the source shrank while it was read; run again');
          if (!hasher.hash(buf.subarray(0, len)).equals(srcIds.subarray(i * ib, (i + 1) * ib))) {
            throw new ItemError('the source changed since it was compared; run again');
          }
          let off = 0;
          while (off < len) off += fs.writeSync(tfd, buf, off, len - off, i * cs + off);
        }
        if (!sameStat(statKey(fs.fstatSync(sfd)), srcExpect))
          throw new ItemError('the source changed while it was read; run again');
        fs.ftruncateSync(tfd, src.size);
        fs.fchmodSync(tfd, src.mode);
        fs.futimesSync(tfd, src.mtimeMs / 1000, src.mtimeMs / 1000);
        fs.fsyncSync(tfd);
        // 4. Read the written chunks back.
        for (const i of it.chunks!.changed) {
          const len = Math.min(cs, src.size - i * cs);
          if (
            readFully(tfd, buf, len, i * cs) !== len ||
            !hasher.hash(buf.subarray(0, len)).equals(srcIds.subarray(i * ib, (i + 1) * ib))
          ) {
            throw new ItemError(
              'the patched chunks did not read back as written; the file was rolled back',
            );
          }
        }
        if (!fileId(hasher, src.size, cs, srcIds).equals(src.id))
          throw new ItemError('internal: file id mismatch after patch');
      } catch (e) {
        rollBack(tfd, header, old);
        fs.rmSync(jfile, { force: true });
        throw e;
      }
      // 5. The journal holds exactly the replaced bytes: it becomes the kept version.
      versions.adoptJournal(jfile, it.path, {
        size: tgtNode.size,
        mtimeMs: tgtNode.mtimeMs,
        mode: tgtNode.mode,
        id: header.restoreId,
        chunkSize: cs,
        chunks: keep,
      });
      return { written: it.bytesToWrite, journaled, stat: fs.fstatSync(tfd) };
    } finally {
      fs.closeSync(tfd);
      fs.closeSync(sfd);
    }
  }
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code) return `${err.code}: ${err.message.replace(/^[A-Z]+: /, '')}`;
  return String((e as Error)?.message ?? e);
}
