// Apply: make the target equal the source for the approved items, writing only what differs, and
// only through the target's door (TargetFs). An ApplyRun has one method per kind of item — make a
// folder, move, stage a file or link, patch in place, set metadata, delete — and a flush that
// makes a batch of staged files durable and renames them into place (Syncthing's puller, with its
// handleDir / handleSymlink / renameFile / handleFile / deleteFile, is the model). Every item first
// checks that both sides still hold what the plan saw; whatever is replaced or deleted goes to the
// version store first; every written byte is checked against the planned ids.
import { emptyApplyResult, type ApplyResult, type PlanItem } from '../../../shared/plan.js';
import type { SchemeHasher } from '../hash/hashScheme.js';
import { BufferCache, sameStat, type StatKey } from '../hash/hashFile.js';
import type { IdentifierIndex, IndexedEntry } from '../index/identifierIndex.js';
import { keyOf, orderForApply } from '../plan/applyOrder.js';
import { RACY_WINDOW_MS, type ScanResult } from '../scan/scan.js';
import { chunkIdsOf, parentOf, type TreeNode } from '../scan/tree.js';
import { sameEntry, type NameRules, type WalkEntry } from '../scan/walk.js';
import {
  NOT_TEXT,
  syncsAttribute,
  wantsXattrs,
  xattrsId,
  type XattrOptions,
} from '../scan/xattrs.js';
import { CHANGED_ON_TARGET, choosePatchInPlace, ItemError, patchInPlace } from './patchInPlace.js';
import { LocalSourceReader, type SourceReader } from './sourceReader.js';
import { StateNames, TMP_DIR } from './stateFolder.js';
import {
  setMtimeInBucket,
  TargetPathError,
  writeAll,
  type TargetFile,
  type TargetFs,
  type TargetStat,
} from './targetFs.js';
import { VersionStore, versionMeta } from './versionStore.js';

export { choosePatchInPlace, ItemError, PATCH_MIN_SIZE } from './patchInPlace.js';

/**
 * Staged files per durability batch (one filesystem sync for their data, one for their names).
 * A first copy of 20,000 small files took 10.6–13.8 s in batches of 256 and 6.3–6.7 s in
 * batches of 1,024 (rsync -a 3.1–5.0 s beside it, on a loaded machine); 4,096 was no faster.
 */
const BATCH_FILES = 1024;
const BATCH_BYTES = 64 * 1024 * 1024;

export interface ApplyProgress {
  bytesDone: number;
  bytesTotal: number;
  itemsDone: number;
  itemsTotal: number;
  path: string;
}

/** What apply needs of an open pair: the source root, the target's door, rules and index. */
export interface ApplyPair {
  source: string;
  targetFs: TargetFs;
  nameRules: NameRules;
  /** the target's mtime granularity (mtimes are set to land in the source's bucket) */
  mtimeGranularityMs: number;
  /** the attributes the pair syncs (none when absent) */
  xattrs?: XattrOptions;
  /** owners and groups are kept (the plan's nodes carry them) */
  owners?: boolean;
  index: IdentifierIndex;
}

export interface ApplyInput {
  pair: ApplyPair;
  hasher: SchemeHasher;
  scheme: string;
  source: ScanResult;
  target: ScanResult;
  onProgress?: (p: ApplyProgress) => void;
  /** stops the run between items (the item under way finishes or is rolled back) */
  signal?: AbortSignal;
  /** where the source's bytes come from; default: the source folder itself */
  reader?: SourceReader;
}

interface Staged {
  item: PlanItem;
  tmp: string;
}

/** A full disk stops the run (the current file was rolled back or never renamed in). */
function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function applyPlan(input: ApplyInput, items: PlanItem[]): ApplyResult {
  return new ApplyRun(input, items).run();
}

class ApplyRun {
  private readonly result: ApplyResult = emptyApplyResult();
  private readonly t: TargetFs;
  private readonly versions: VersionStore;
  private readonly names: StateNames;
  private readonly cache = new BufferCache();
  private readonly upserts: [string, IndexedEntry][] = [];
  private readonly deletions: string[] = [];
  /** folders made by this run */
  private readonly created: string[] = [];
  /** folders whose entries changed (or whose own metadata did): their mtimes are set at the end */
  private readonly touched = new Set<string>();
  /** target paths this run wrote, with the inode each now has (hard links go to them) */
  private readonly recorded = new Map<string, number>();
  /** inodes with several names whose ctime and link count this run itself changed */
  private readonly linkedInodes = new Set<number>();
  /** inodes with several names whose metadata this run set, with the stat it left them in */
  private readonly metadataLeft = new Map<number, TargetStat>();
  /** target paths under their name key, where the target folds names (see targetEntry) */
  private readonly foldedPaths: Map<string, string> | null;
  private batch: Staged[] = [];
  private batchBytes = 0;
  private bytesDone = 0;
  private itemsDone = 0;
  private readonly bytesTotal: number;
  private readonly gran: number;
  private readonly reader: SourceReader;

  constructor(
    private readonly input: ApplyInput,
    private readonly items: PlanItem[],
  ) {
    this.t = input.pair.targetFs;
    this.gran = input.pair.mtimeGranularityMs;
    this.reader = input.reader ?? new LocalSourceReader(input.pair.source, input.hasher);
    this.versions = new VersionStore(this.t);
    this.names = new StateNames(this.t);
    this.bytesTotal = items.reduce(
      (n, it) =>
        n +
        (it.kind === 'create' || it.kind === 'replaceType' || it.kind === 'update'
          ? it.bytesToWrite
          : 0),
      0,
    );
    const rules = input.pair.nameRules;
    this.foldedPaths =
      rules.foldCase || rules.normalizeUnicode
        ? new Map([...input.target.walk.entries.keys()].map((p) => [keyOf(p, rules), p]))
        : null;
  }

  run(): ApplyResult {
    const order = orderForApply(this.items, this.input.pair.nameRules);
    // 1. Entries in the way of something this plan writes.
    for (const it of order.earlyDeletes) this.step(it, () => this.deleteEntry(it));
    // 2. Folders, parents first.
    for (const it of order.folders) this.step(it, () => this.makeFolder(it));
    // 3. Moves: a target entry renamed to where the source now has it.
    for (const it of order.renames) this.step(it, () => this.move(it));
    if (order.renames.length)
      this.t.flush(
        [],
        order.renames.flatMap((it) => [parentOf(it.from!), parentOf(it.path)]),
      );
    //    Folders in the way that the moves emptied.
    for (const it of order.deletesAfterMoves) this.step(it, () => this.deleteEntry(it));
    // 4. Files and symlinks: patches one by one, the rest staged in batches.
    for (const it of order.files) {
      if (this.patchable(it)) this.step(it, () => this.patch(it));
      else this.stage(it);
      if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.flushBatch();
    }
    // Staged files are complete and verified: they go in even when the run stopped.
    this.flushBatch();
    // Hard links (-H), once the names they link to are in place.
    for (const it of order.links) this.step(it, () => this.linkName(it));
    if (order.links.length)
      this.t.flush(
        [],
        order.links.map((it) => parentOf(it.path)),
      );
    // 5. Metadata, then 6. the remaining deletions, children before parents, last: an
    //    interrupted run leaves extra files, not missing ones.
    for (const it of order.metadata) this.step(it, () => this.setMetadata(it));
    for (const it of order.lateDeletes) this.step(it, () => this.deleteEntry(it));
    this.versions.sync();
    this.settleFolders();
    this.versions.close();
    this.result.bytesVersioned = this.versions.bytesWritten;
    this.recordIndex();
    return this.result;
  }

  // --- running items ------------------------------------------------------------------------

  private halted(): boolean {
    if (!this.result.stopped && this.input.signal?.aborted)
      this.result.stopped = 'cancelled: the rest of the plan was not applied';
    return this.result.stopped !== null;
  }

  private progress(p: string): void {
    this.input.onProgress?.({
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      itemsDone: this.itemsDone,
      itemsTotal: this.items.length,
      path: p,
    });
  }

  /**
   * Runs one item; an ItemError fails it alone, a full disk stops the run. `fn` returns false
   * when it rightly left the entry as it was (a folder that still holds kept entries).
   */
  private step(it: PlanItem, fn: () => boolean | void): void {
    if (this.halted()) {
      this.result.notAttempted.push(it.path);
      return;
    }
    try {
      if (fn() !== false) this.result.applied++;
      else this.result.kept.push(it.path);
    } catch (e) {
      this.failOrStop(it, e);
    }
    this.itemsDone++;
    this.progress(it.path);
  }

  private failOrStop(it: PlanItem, e: unknown): void {
    if (isDiskFull(e)) {
      this.result.failed.push({ path: it.path, message: 'not written: the target disk is full' });
      this.result.stopped ??= `the target disk is full (while writing ${it.path}); free some space and run again`;
      return;
    }
    const message =
      e instanceof ItemError || e instanceof TargetPathError ? e.message : describe(e);
    this.result.failed.push({ path: it.path, message });
  }

  // --- what the target holds --------------------------------------------------------------

  /** `p` as the target's listing spells it (on a folding target it may differ in case or form). */
  private listedPath(p: string): string {
    if (!this.foldedPaths || this.input.target.walk.entries.has(p)) return p;
    return this.foldedPaths.get(keyOf(p, this.input.pair.nameRules)) ?? p;
  }

  /** The listed target entry at `p`. */
  private targetEntry(p: string): WalkEntry | undefined {
    return this.input.target.walk.entries.get(this.listedPath(p));
  }

  /** The scanned target node at `p`. */
  private targetNode(p: string): TreeNode | undefined {
    return this.input.target.tree.nodes.get(this.listedPath(p));
  }

  /** The entry at `p` must still be exactly what the scan saw. */
  private expectListed(p: string): TargetStat {
    const seen = this.targetEntry(p);
    const st = this.t.lstat(p);
    if (!seen || !st) throw new ItemError(CHANGED_ON_TARGET);
    if (!sameEntry(st, seen) && !this.ownChange(st, seen)) throw new ItemError(CHANGED_ON_TARGET);
    return st;
  }

  /**
   * Whether the only change since the scan is this run's own: a hard link's ctime and link count
   * move when Tandem versions, replaces or links one of its other names, its mode and mtime when
   * Tandem sets the metadata of another name. Its size (its data) must be as listed, its mode and
   * mtime as listed or as this run last set them.
   */
  private ownChange(st: TargetStat, seen: WalkEntry): boolean {
    if (st.type !== seen.type || st.ino !== seen.ino || st.size !== seen.size) return false;
    const left = this.metadataLeft.get(st.ino);
    if (left) return st.mtimeMs === left.mtimeMs && st.mode === left.mode;
    return this.linkedInodes.has(st.ino) && st.mtimeMs === seen.mtimeMs;
  }

  /**
   * `st`, the stat of a file whose metadata this run just set in place: where the inode has other
   * names, they now show this change, which ownChange must not take for someone else's.
   */
  private leftAs(st: TargetStat): TargetStat {
    if (st.nlink > 1) this.metadataLeft.set(st.ino, st);
    return st;
  }

  /** Versions a target entry (a hard link, so its inode's ctime and link count move). */
  private keep(rel: string, t: NonNullable<PlanItem['target']>): void {
    if (t.type === 'special') return;
    const seen = this.targetEntry(rel);
    if (seen && seen.nlink > 1) this.linkedInodes.add(seen.ino);
    this.versions.keepEntry(rel, versionMeta(t), t.type);
  }

  private expectAbsent(p: string): void {
    if (this.t.lstat(p))
      throw new ItemError('appeared on the target since it was compared; run again');
  }

  /** The folder that will hold `p` must be a real folder (the door refuses links on the way). */
  private expectParent(p: string): void {
    const dir = parentOf(p);
    if (dir === '') return;
    const st = this.t.lstat(dir);
    if (!st) throw new ItemError(`its folder ${dir} is missing on the target`);
    if (st.type === 'symlink')
      throw new TargetPathError(
        `a symlink is in the way at ${dir}; nothing was written through it`,
      );
    if (st.type !== 'dir') throw new ItemError(`${dir} is not a folder on the target`);
  }

  /**
   * Checks the target entry is still what the scan saw and keeps it in the version store. A
   * folder (emptied by the plan's earlier deletions) is removed; a file or symlink is removed only
   * when `unlink` is set, since a rename over it replaces it atomically.
   */
  private removeInTheWay(it: PlanItem, unlink: boolean): void {
    this.expectListed(it.path);
    const t = it.target!;
    if (t.type === 'dir') {
      try {
        this.t.rmdir(it.path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY')
          throw new ItemError('the folder it replaces still holds entries that were not removed');
        throw e;
      }
      return;
    }
    // A special file holds no bytes: it is removed, never opened and never kept.
    if (t.type === 'special') this.t.unlink(it.path);
    else {
      this.keep(it.path, t);
      if (unlink) this.t.unlink(it.path);
    }
  }

  // --- one method per kind of item ----------------------------------------------------------

  /** Returns false when a folder stays because something below it was kept. */
  private deleteEntry(it: PlanItem): boolean {
    this.expectListed(it.path);
    const t = it.target!;
    if (t.type === 'dir') {
      try {
        this.t.rmdir(it.path);
      } catch (err) {
        // Something below was kept (skipped, not approved, failed): the folder stays, which is
        // not an error, and not an applied change either (a live pair would apply it forever).
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
        throw err;
      }
    } else {
      this.keep(it.path, t);
      this.t.unlink(it.path);
    }
    this.deletions.push(it.path);
    this.touched.add(parentOf(it.path));
    return true;
  }

  private makeFolder(it: PlanItem): void {
    this.expectParent(it.path);
    if (it.kind === 'replaceType') this.removeInTheWay(it, true);
    else this.expectAbsent(it.path);
    this.t.mkdir(it.path, 0o700);
    this.syncAttributes(it.path, it.path);
    this.t.chmodDir(it.path, it.source!.mode);
    this.created.push(it.path);
    this.touched.add(parentOf(it.path));
  }

  /** A target entry moved (a file with the source's id elsewhere, or a case-only folder rename). */
  private move(it: PlanItem): void {
    const from = it.from!;
    this.expectParent(it.path);
    this.expectListed(from);
    const rules = this.input.pair.nameRules;
    // A case- or form-only rename on a folding target: the new name finds the old entry itself.
    if (keyOf(from, rules) !== keyOf(it.path, rules)) this.expectAbsent(it.path);
    this.t.rename(from, it.path);
    const src = it.source!;
    this.syncAttributes(it.path, it.path);
    if (src.type === 'dir') {
      this.t.chmodDir(it.path, src.mode);
      this.touched.add(it.path);
    } else if (src.type === 'file') {
      const f = this.t.openRead(it.path);
      try {
        f.chmod(src.mode);
        setMtimeInBucket(f, src.mtimeMs, this.gran);
        const node = this.input.source.tree.nodes.get(it.path)!;
        const left = this.leftAs(f.stat());
        this.recordFile(it.path, node, left, chunkIdsOf(this.input.source.tree, it.path));
      } finally {
        f.close();
      }
    }
    this.deletions.push(from);
    this.touched.add(parentOf(from));
    this.touched.add(parentOf(it.path));
  }

  private patchable(it: PlanItem): boolean {
    const tgt = this.targetEntry(it.path);
    return choosePatchInPlace(it, this.targetNode(it.path), tgt?.nlink ?? 0);
  }

  private patch(it: PlanItem): void {
    const src = this.sourceOf(it);
    const tgtStat = this.targetEntry(it.path)!;
    this.expectParent(it.path);
    const srcIds = chunkIdsOf(this.input.source.tree, it.path);
    const source = this.reader.open(
      it.path,
      src.entry,
      src.node.size,
      it.chunks!.chunkSize,
      srcIds,
    );
    let r;
    try {
      r = patchInPlace(this.t, this.names, this.versions, this.input.hasher, {
        item: it,
        source,
        src: src.node,
        srcIds,
        tgt: this.targetNode(it.path)!,
        tgtIds: chunkIdsOf(this.input.target.tree, this.listedPath(it.path)),
        tgtStat,
        scheme: this.input.scheme,
        buf: this.cache.get(it.chunks!.chunkSize),
        mtimeGranularityMs: this.gran,
      });
    } finally {
      source.close();
    }
    this.result.bytesWritten += r.written;
    this.result.bytesJournaled += r.journaled;
    this.result.patchedInPlace++;
    const stat = this.syncAttributes(it.path, it.path) ? this.t.lstat(it.path)! : r.stat;
    this.recordFile(it.path, src.node, stat, chunkIdsOf(this.input.source.tree, it.path));
    this.bytesDone += it.bytesToWrite;
  }

  /** Writes a file or symlink into a temp file in `.tandem/tmp`; flushBatch renames it in. */
  private stage(it: PlanItem): void {
    if (this.halted()) {
      this.result.notAttempted.push(it.path);
      return;
    }
    let tmp: string | null = null;
    try {
      const src = this.sourceOf(it);
      this.expectParent(it.path);
      tmp = this.names.temp();
      if (src.node.type === 'symlink') {
        this.t.symlink(src.node.linkTarget!, tmp);
        this.syncAttributes(tmp, it.path);
        setMtimeInBucket({ t: this.t, rel: tmp }, src.node.mtimeMs, this.gran);
      } else {
        this.copyVerified(it.path, tmp, src.node, src.entry);
      }
      this.batch.push({ item: it, tmp });
      this.batchBytes += src.node.size;
      this.bytesDone += it.bytesToWrite;
    } catch (e) {
      if (tmp !== null) this.discard(tmp);
      this.failOrStop(it, e);
    }
    this.itemsDone++;
    this.progress(it.path);
  }

  /** Makes the staged files durable, then renames each into place (versioning what it replaces). */
  private flushBatch(): void {
    if (this.batch.length === 0) return;
    const staged = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const nodes = this.input.source.tree.nodes;
    try {
      const files = staged.filter((s) => nodes.get(s.item.path)?.type === 'file').map((s) => s.tmp);
      this.t.flush(files, [TMP_DIR]);
    } catch (e) {
      for (const s of staged) {
        this.discard(s.tmp);
        this.failOrStop(s.item, e);
      }
      return;
    }
    const done: Staged[] = [];
    for (const s of staged) {
      const it = s.item;
      try {
        this.expectParent(it.path);
        if (it.target) this.removeInTheWay(it, false);
        else this.expectAbsent(it.path);
        this.t.rename(s.tmp, it.path);
        done.push(s);
      } catch (e) {
        this.discard(s.tmp);
        this.failOrStop(it, e);
      }
    }
    this.versions.sync();
    const dirs = done.map((s) => parentOf(s.item.path));
    const run = this.versions.runFolder;
    if (run) dirs.push(run);
    // One filesystem sync where many folders changed (a first copy spreads a batch over
    // hundreds): an fsync per folder was most of a first copy's time.
    this.t.flush([], dirs);
    for (const s of done) {
      const node = nodes.get(s.item.path)!;
      const st = this.t.lstat(s.item.path)!;
      this.recordFile(
        s.item.path,
        node,
        st,
        node.type === 'file' ? chunkIdsOf(this.input.source.tree, s.item.path) : null,
      );
      this.touched.add(parentOf(s.item.path));
      this.result.applied++;
      this.result.renamedIntoPlace++;
      if (node.type === 'file') this.result.bytesWritten += node.size;
    }
  }

  /**
   * Makes `it.path` another name of `it.linkTo` (its source's hard-link group), through a link in
   * the temp folder renamed over what is there, so readers see the old entry or the new one.
   */
  private linkName(it: PlanItem): void {
    const first = it.linkTo!;
    const src = this.sourceOf(it);
    this.expectParent(it.path);
    // The first name must hold the group's bytes now: written by this run, or found equal (a
    // link this run made to it moved its link count and ctime, not its bytes).
    const st = this.t.lstat(first);
    const wrote = this.recorded.get(first);
    const listed = this.targetEntry(first);
    const same = wrote
      ? st?.ino === wrote
      : st !== null &&
        listed !== undefined &&
        (sameEntry(st, listed) || this.ownChange(st, listed)) &&
        this.targetNode(first)?.id.equals(src.node.id) === true;
    if (!same || st?.type !== 'file')
      throw new ItemError(`${first}, the name it links to, was not written; run again`);
    // Already a name of that inode (on the target its group had another first name): nothing to
    // write, and a rename of a new link over it would do nothing at all (rename(2) between two
    // names of one inode), leaving the link in the temp folder.
    const here = this.t.lstat(it.path);
    if (here?.type === 'file' && here.ino === st.ino) {
      this.recordFile(it.path, src.node, here, chunkIdsOf(this.input.source.tree, it.path));
      return;
    }
    const tmp = this.names.temp();
    this.t.link(first, tmp);
    try {
      if (it.target) this.removeInTheWay(it, false);
      else this.expectAbsent(it.path);
      this.t.rename(tmp, it.path);
    } catch (e) {
      this.discard(tmp);
      throw e;
    }
    this.linkedInodes.add(st.ino);
    this.recordFile(
      it.path,
      src.node,
      this.t.lstat(it.path)!,
      chunkIdsOf(this.input.source.tree, it.path),
    );
    this.touched.add(parentOf(it.path));
  }

  private setMetadata(it: PlanItem): void {
    const src = it.source!;
    const st = this.expectListed(it.path);
    if (src.type === 'dir') {
      this.syncAttributes(it.path, it.path);
      this.t.chmodDir(it.path, src.mode);
      // Its mtime is set once nothing more is written into it (settleFolders).
      this.touched.add(it.path);
      return;
    }
    if (src.type === 'symlink') {
      this.syncAttributes(it.path, it.path);
      setMtimeInBucket({ t: this.t, rel: it.path }, src.mtimeMs, this.gran);
      const node = this.input.source.tree.nodes.get(it.path)!;
      this.recordFile(it.path, node, this.t.lstat(it.path)!, null);
      return;
    }
    const f = this.t.openRead(it.path);
    try {
      if (!sameStat(f.stat(), st)) throw new ItemError(CHANGED_ON_TARGET);
      this.syncAttributes(it.path, it.path);
      f.chmod(src.mode);
      setMtimeInBucket(f, src.mtimeMs, this.gran);
      const xattrId = this.input.source.tree.nodes.get(it.path)?.xattrId;
      const left = this.leftAs(f.stat());
      this.recordFile(it.path, this.targetNode(it.path)!, left, null, xattrId);
    } finally {
      f.close();
    }
  }

  /**
   * Every folder this run made or changed gets the source's mtime, deepest first, once nothing
   * more is written into it (writing an entry into a folder changes the folder's mtime).
   */
  private settleFolders(): void {
    const srcWalk = this.input.source.walk.entries;
    const dirs = new Set([...this.created, ...this.touched]);
    const deepestFirst = [...dirs].sort((a, b) => depth(b) - depth(a));
    for (const d of deepestFirst) {
      const s = srcWalk.get(d);
      if (!s || s.type !== 'dir') continue;
      try {
        const st = this.t.lstat(d);
        if (st?.type === 'dir') setMtimeInBucket({ t: this.t, rel: d }, s.mtimeMs, this.gran);
      } catch (e) {
        // A folder time is metadata: it is reported, and the next run sets it again.
        this.result.failed.push({ path: d, message: `could not set its time: ${describe(e)}` });
      }
    }
  }

  // --- helpers ------------------------------------------------------------------------------

  private sourceOf(it: PlanItem): { node: TreeNode; entry: WalkEntry } {
    const node = this.input.source.tree.nodes.get(it.path);
    const entry = this.input.source.walk.entries.get(it.path);
    if (!node || !entry) throw new ItemError('the source entry is no longer listed; run again');
    return { node, entry };
  }

  private discard(tmp: string): void {
    try {
      if (this.t.lstat(tmp)) this.t.unlink(tmp);
    } catch {
      /* the temp folder is emptied when the pair is next opened */
    }
  }

  /** Copies a source file into a temp file, checking every chunk against the planned ids. */
  private copyVerified(rel: string, tmp: string, node: TreeNode, expect: StatKey): void {
    const cs = node.chunkSize!;
    const ids = chunkIdsOf(this.input.source.tree, rel);
    const source = this.reader.open(rel, expect, node.size, cs, ids);
    try {
      const out = this.t.create(tmp, 0o600);
      try {
        const n = Math.ceil(node.size / cs);
        const buf = this.cache.get(cs);
        // A sparse source keeps its holes (rsync -S): all-zero pages are not written.
        const sparse = node.allocated !== undefined;
        for (let i = 0; i < n; i++) {
          const chunk = source.chunk(i, buf);
          if (sparse) writeSparse(out, chunk, i * cs);
          else writeAll(out, chunk, i * cs);
        }
        source.checkUnchanged('the source changed while it was copied; run again');
        // Zero runs left unwritten at the end are holes too: the size comes from truncate.
        if (sparse) out.truncate(node.size);
        // Attributes before the mode: a POSIX ACL sets the group bits, the mode then matches it.
        this.syncAttributes(tmp, rel);
        out.chmod(node.mode);
        setMtimeInBucket(out, node.mtimeMs, this.gran);
      } finally {
        out.close();
      }
    } finally {
      source.close();
    }
  }

  /**
   * Gives the target entry at `rel` exactly the source's synced attributes (those of `srcRel`,
   * checked against the id the plan saw). Returns whether it wrote anything.
   */
  private syncAttributes(rel: string, srcRel: string): boolean {
    const o = this.input.pair.xattrs;
    const node = this.input.source.tree.nodes.get(srcRel);
    // The owner first: a chown clears setuid bits and ACL entries name owners; mode comes after.
    const chowned = this.chownLike(rel, node);
    if (!wantsXattrs(o) || !node?.xattrId) return chowned;
    const want = this.reader.xattrs(srcRel, o);
    if (want === NOT_TEXT || !xattrsId(this.input.hasher, want).equals(node.xattrId))
      throw new ItemError(
        "the source's extended attributes changed since it was compared; run again",
      );
    const have = new Set(this.t.listXattrs(rel).filter((n) => syncsAttribute(n, o)));
    let wrote = false;
    for (const [name, value] of want) {
      if (!have.delete(name) || !this.t.getXattr(rel, name)?.equals(value)) {
        this.t.setXattr(rel, name, value);
        wrote = true;
      }
    }
    for (const name of have) {
      this.t.removeXattr(rel, name);
      wrote = true;
    }
    return wrote || chowned;
  }

  /** Gives `rel` the owner and group of the source node, where the pair keeps owners. */
  private chownLike(rel: string, node: TreeNode | undefined): boolean {
    if (!this.input.pair.owners || !node?.owner) return false;
    this.t.chown(rel, node.owner.uid, node.owner.gid);
    return true;
  }

  /** Records what the target now holds; it equals the source, so it is the new baseline. */
  private recordFile(
    p: string,
    node: TreeNode,
    st: TargetStat,
    chunkIds: Buffer | null,
    xattrId = node.xattrId,
  ): void {
    const trusted = st.mtimeMs < Date.now() - RACY_WINDOW_MS;
    this.recorded.set(p, st.ino);
    this.upserts.push([
      p,
      {
        size: st.size,
        mtimeMs: st.mtimeMs,
        ctimeMs: st.ctimeMs,
        ino: st.ino,
        type: node.type,
        mode: st.mode,
        scheme: this.input.scheme,
        chunkSize: node.chunkSize ?? 0,
        chunkIds,
        id: node.id,
        trusted,
        ...(xattrId ? { xattrId } : {}),
        ...(node.type !== 'dir' ? { setBase: node.id } : {}),
      },
    ]);
  }

  /**
   * A folder keeps its stored id only while its children match the index (scan.ts); the entries
   * just written do match, so the stored ids of every folder above them must go, or the next scan
   * would reuse a folder id from before this apply.
   */
  private recordIndex(): void {
    const stale = new Set<string>();
    for (const p of [...this.upserts.map(([p]) => p), ...this.deletions, ...this.created]) {
      for (let d = parentOf(p); !stale.has(d); d = parentOf(d)) {
        stale.add(d);
        if (d === '') break;
      }
    }
    for (const d of this.touched) stale.add(d);
    this.input.pair.index.write('target', this.upserts, [...this.deletions, ...stale]);
  }
}

const PAGE = 4096;
const ZERO_PAGE = Buffer.alloc(PAGE);

/** Writes `chunk` at `pos`, skipping every all-zero page (it stays a hole in a new file). */
function writeSparse(out: TargetFile, chunk: Buffer, pos: number): void {
  let start = -1;
  for (let off = 0; off < chunk.length; off += PAGE) {
    const page = chunk.subarray(off, Math.min(off + PAGE, chunk.length));
    const zero = page.length === PAGE ? page.equals(ZERO_PAGE) : !page.some((b) => b !== 0);
    if (!zero && start < 0) start = off;
    if (zero && start >= 0) {
      writeAll(out, chunk.subarray(start, off), pos + start);
      start = -1;
    }
  }
  if (start >= 0) writeAll(out, chunk.subarray(start), pos + start);
}

function depth(p: string): number {
  if (p === '') return 0;
  let n = 1;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 47) n++;
  return n;
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code) return `${err.code}: ${err.message.replace(/^[A-Z]+: /, '')}`;
  return String((e as Error)?.message ?? e);
}
