// One scan-plan-apply cycle over an open pair: the engine's entry point for the CLI (and, later,
// the service). Holds the pair's lock from open to close.
import fs from 'node:fs';
import type { ApplyResult, Hold, Plan, PlanItem, Side, Skipped } from '../../shared/plan.js';
import { summarize } from '../../shared/plan.js';
import { compareTrees } from '../core/plan/compare.js';
import { splitSharedInodes } from '../core/plan/sharedInodes.js';
import {
  createSchemeHasher,
  DEFAULT_SCHEME,
  normalizeScheme,
  type SchemeHasher,
} from '../core/hash/hashScheme.js';
import { HashPool } from '../core/hash/hashPool.js';
import { folderId } from '../core/hash/identifiers.js';
import {
  indexFileOf,
  openPair,
  RefusalError,
  tandemHome,
  type OpenPair,
  type PairPaths,
} from './pair.js';
import { leaveTwoWay, TWO_WAY } from './twoWayMode.js';
import {
  FOLDER_DIGEST,
  IdentifierIndex,
  ROW,
  TYPE_CODE,
  type FolderRow,
  type IndexRow,
} from '../core/index/identifierIndex.js';
import {
  inSyncFolders,
  isCovered,
  withoutCovered,
  type InSyncCut,
} from '../core/scan/inSyncFolders.js';
import { NO_XATTRS, wantsXattrs, xattrModule, type XattrOptions } from '../core/scan/xattrs.js';
import { scanSide, type ScanResult } from '../core/scan/scan.js';
import {
  IGNORE_FILE,
  unpackWalk,
  walkTree,
  type WalkOptions,
  type WalkResult,
} from '../core/scan/walk.js';
import { listRegion } from '../core/scan/region.js';
import { listInWorker, walkInWorker } from '../core/scan/walkInWorker.js';
import { applyPlan, type ApplyProgress } from '../core/target/apply.js';
import type { SourceReader } from '../core/target/sourceReader.js';
import { VersionStore, DEFAULT_RETENTION_DAYS } from '../core/target/versionStore.js';
import path from 'node:path';
import { escapeName } from '../../shared/names.js';

export type SessionProgress =
  | {
      phase: 'scan';
      side: 'source' | 'target';
      files: number;
      bytesDone: number;
      bytesTotal: number;
    }
  | ({ phase: 'apply' } & ApplyProgress);

export interface SessionOptions {
  /** hash scheme; default: the pair's last scheme, else DEFAULT_SCHEME */
  scheme?: string;
  ignore?: string[];
  threads?: number;
  /** sync creates a missing target and may write; diff does not */
  write: boolean;
  /** a person confirmed a target that is not provably the folder last synced (see openPair) */
  confirmTarget?: boolean;
  retentionDays?: number;
  home?: string;
  /** hold a plan that deletes more than this many entries (`--max-delete N`) */
  maxDelete?: number;
  /** scrub: re-read every file and check it against its stored ids */
  verifyStored?: boolean;
  /**
   * plan() compares folders before files (core/scan/inSyncFolders), the default; false matches
   * every entry against its row, as before folder digests (the property test compares the two).
   */
  foldersFirst?: boolean;
  onProgress?: (p: SessionProgress) => void;
  /**
   * Keep owners and groups (rsync's -o -g, `--owner`); default: what the pair used last, else
   * no. Only root may give a file to another owner: otherwise differences are reported once.
   */
  owners?: boolean;
  /** Reproduce hard-link groups (rsync's -H); default: what the pair used last, else no. */
  hardLinks?: boolean;
  /**
   * Which attributes to sync (rsync's -X, -A); default: what the pair used last, else none. A
   * change is remembered and makes every entry's attributes be read once more.
   */
  xattrs?: XattrOptions;
  /**
   * Make a two-way pair one-way again (a person confirmed it: the target's own edits will be
   * overwritten from now on); without it a two-way pair is refused.
   */
  changeMode?: boolean;
  /**
   * Cancels the cycle: plan() rejects with the signal's reason between steps, apply() stops
   * between items (the one under way finishes or rolls back; staged files still go in).
   */
  signal?: AbortSignal;
}

/**
 * A plan that deletes more than half of the target is held only when it deletes more than this
 * many entries. The hold is for a wrong or half-missing source (a subfolder on a disk that did
 * not mount, the wrong folder named), which deletes hundreds; without a floor it held everyday
 * work on a small pair (deleting 1 of 1 entries). Up to 20 deletions fit on one screen of the plan
 * a person approves, and each is kept in the version store; a source that is suddenly empty is
 * held at any size, and scripts set their own limit with --max-delete (rsync's and rclone's name).
 */
export const MASS_DELETE_FLOOR = 20;

/** Free space kept on the target beyond what a plan needs. */
const SPACE_MARGIN = 64 * 1024 * 1024;

export class SyncSession {
  private src: ScanResult | null = null;
  private tgt: ScanResult | null = null;
  /** the last plan was a full plan() that keeps folder digests: settleTarget may follow its apply */
  private digestsKept = false;

  /**
   * Files with more than one name (hard links) in the last plan's listings, both sides: a cycle
   * that lists part of the pair cannot see their other names (planChanged).
   */
  get linkedFiles(): number {
    let n = 0;
    for (const r of [this.src, this.tgt])
      for (const e of r?.walk.entries.values() ?? []) if (e.type === 'file' && e.nlink > 1) n++;
    return n;
  }

  /** Names in the last plan's source listing that are not valid UTF-8 (walk.byteNames). */
  get sourceByteNames(): number {
    return this.src?.walk.byteNames ?? 0;
  }

  private constructor(
    readonly pair: OpenPair,
    readonly scheme: string,
    private readonly hasher: SchemeHasher,
    private readonly pool: HashPool,
    private readonly opts: SessionOptions,
    /** the attributes this pair syncs */
    readonly xattrs: XattrOptions,
    /** whether this pair keeps owners (asked for, and this process may set them) */
    readonly owners: { asked: boolean; can: boolean },
    /** whether this pair reproduces hard links */
    readonly hardLinks: boolean,
  ) {}

  static async open(paths: PairPaths, opts: SessionOptions): Promise<SyncSession> {
    const pair = await openPair(paths, {
      createTarget: opts.write,
      confirmTarget: opts.confirmTarget ?? false,
      ...(opts.home ? { home: opts.home } : {}),
    });
    try {
      if (pair.index.getMeta('mode') === TWO_WAY) {
        if (!opts.changeMode)
          throw new RefusalError(
            `${pair.source} and ${pair.target} are a two-way pair; sync them with --two-way, or run again with --change-mode to make ${pair.target} a one-way copy of ${pair.source} (its own edits are then overwritten, each kept in its version store)`,
          );
        if (opts.write)
          leaveTwoWay(pair.index, opts.home ?? tandemHome(), pair.source, pair.target);
      }
      const scheme = normalizeScheme(opts.scheme ?? pair.index.getMeta('scheme') ?? DEFAULT_SCHEME);
      const hasher = await createSchemeHasher(scheme);
      const xattrs = pairXattrs(pair.index, opts.xattrs);
      if (xattrs.xattrs && !xattrModule())
        throw new RefusalError(
          'extended attributes cannot be read on this platform; run without -X/-A',
        );
      const owners = pairOwners(pair.index, opts.owners);
      const hardLinks = pairFlag(pair.index, 'hardLinks', opts.hardLinks);
      const pool = await HashPool.create(scheme, opts.threads);
      return new SyncSession(pair, scheme, hasher, pool, opts, xattrs, owners, hardLinks);
    } catch (e) {
      pair.close();
      throw e;
    }
  }

  private walkOptions(): WalkOptions {
    const { pair } = this;
    return {
      ignore: [...readIgnoreFile(pair.source), ...(this.opts.ignore ?? [])],
      targetNames: pair.nameRules,
      owners: this.owners.asked,
      hardLinks: this.hardLinks,
    };
  }

  /** Scans one side from its listing and the index rows it may reuse. */
  private scan(
    side: 'source' | 'target',
    listing: WalkResult,
    indexed: Map<string, IndexRow>,
    opaque?: ReadonlySet<string>,
    quiet = false,
  ): Promise<ScanResult> {
    const { pair, scheme, hasher } = this;
    const progress = quiet ? undefined : this.opts.onProgress;
    const idx = pair.index;
    let files = 0;
    return scanSide({
      root: side === 'source' ? pair.source : pair.target,
      side,
      scheme,
      hasher,
      pool: this.pool,
      indexed,
      listing,
      verifyStored: this.opts.verifyStored === true,
      ...(wantsXattrs(this.xattrs) ? { xattrs: this.xattrs } : {}),
      ...(this.owners.can ? { owners: true } : {}),
      ...(this.hardLinks ? { hardLinks: true } : {}),
      ...(opaque && opaque.size ? { opaque } : {}),
      mtimeGranularityMs: pair.mtimeGranularityMs,
      onHashPlanned: (n, bytes) => {
        files = n;
        progress?.({ phase: 'scan', side, files, bytesDone: 0, bytesTotal: bytes });
      },
      loadId: (p) => idx.loadId(side, p),
      loadChunkIds: (p) => idx.loadChunkIds(side, p),
      ...(side === 'target' ? { baseIdOf: (p: string) => idx.baseIdOf(p) } : {}),
      onHashProgress: (done, total) =>
        progress?.({ phase: 'scan', side, files, bytesDone: done, bytesTotal: total }),
      ...(this.opts.signal ? { signal: this.opts.signal } : {}),
    });
  }

  async plan(): Promise<Plan> {
    const { pair, scheme } = this;
    // Folders first (core/scan/inSyncFolders) where a folder's id follows from its listing alone:
    // not for a scrub (it reads every file), nor where attributes, owners or hard-link groups go
    // into the ids (they are read or grouped past the listing).
    const digests =
      this.opts.foldersFirst !== false &&
      this.opts.verifyStored !== true &&
      !wantsXattrs(this.xattrs) &&
      !this.owners.asked &&
      !this.hardLinks;
    this.digestsKept = digests;
    // A target not made yet has no folders to compare; the source's digests are kept all the
    // same, so that the sync after a first copy lists only what changed since.
    const foldersFirst = digests && pair.targetExists;
    const walkOpts = { ...this.walkOptions(), ...(digests ? { folderDigests: true } : {}) };
    // The target is listed in a worker while this thread lists the source: the two lstat walks
    // are most of an unchanged sync's time, and they overlap on two cores.
    const signal = this.opts.signal;
    if (foldersFirst) {
      // Lazy: a plain folder's files stay as the addon listed them until the cut is known
      // (walk.ts, PackedFolder); withoutCovered makes entries of those outside it.
      const lazyOpts = { ...walkOpts, lazy: true };
      const packed = listInWorker(pair.target, 'target', lazyOpts);
      packed.catch(() => undefined);
      signal?.throwIfAborted();
      const sourceListing = walkTree(pair.source, 'source', lazyOpts);
      const rows = {
        source: pair.index.loadFolders('source', scheme),
        target: pair.index.loadFolders('target', scheme),
      };
      const targetPacked = await packed;
      signal?.throwIfAborted();
      // The target's folders decide the cut; its other entries are unpacked only outside it.
      const cut = inSyncFolders(
        sourceListing,
        unpackWalk(targetPacked, (_, type) => type === 'dir'),
        rows.source,
        rows.target,
      );
      const targetWalk = withoutCovered(
        unpackWalk(targetPacked, (p) => !isCovered(p, cut.covered)),
        cut.covered,
      );
      let plan: Plan;
      if (cut.opaque.size === 0) {
        const source = withoutCovered(sourceListing, cut.covered);
        this.src = await this.scan('source', source, pair.index.load('source', scheme));
        signal?.throwIfAborted();
        this.tgt = await this.scan('target', targetWalk, pair.index.load('target', scheme));
        const tgtCount = this.tgt.tree.nodes.size - 1;
        plan = this.finish(() => tgtCount);
      } else {
        const source = withoutCovered(sourceListing, cut.covered);
        this.src = await this.scan(
          'source',
          source,
          this.rowsOutside('source', source, cut),
          cut.opaque,
        );
        signal?.throwIfAborted();
        const target = targetWalk;
        this.tgt = await this.scan(
          'target',
          target,
          this.rowsOutside('target', target, cut),
          cut.opaque,
        );
        signal?.throwIfAborted();
        // The index counts the target (the scan covers only what is outside in-sync folders).
        plan = this.finish(() => pair.index.count('target') - 1);
      }
      this.storeFolderDigests('source', this.src, sourceListing, rows.source, cut);
      this.storeFolderDigests('target', this.tgt, targetWalk, rows.target, cut);
      return { ...plan, ...this.notices() };
    }
    const targetListing = pair.targetExists ? walkInWorker(pair.target, 'target', walkOpts) : null;
    targetListing?.catch(() => undefined);
    signal?.throwIfAborted();
    const sourceListing = walkTree(pair.source, 'source', walkOpts);
    const sourceFolders = digests ? pair.index.loadFolders('source', scheme) : null;
    this.src = await this.scan('source', sourceListing, pair.index.load('source', scheme));
    signal?.throwIfAborted();
    this.tgt = targetListing
      ? await this.scan('target', await targetListing, pair.index.load('target', scheme))
      : emptyScan(this.scheme, this.hasher, this.pair.target);
    const tgtCount = this.tgt.tree.nodes.size - 1;
    const plan = this.finish(() => tgtCount);
    if (sourceFolders)
      this.storeFolderDigests('source', this.src, sourceListing, sourceFolders, NO_CUT);
    return { ...plan, ...this.notices() };
  }

  /**
   * The index rows a folders-first scan matches against: the children of every folder it lists
   * (its root's own row among them), and all below a folder row whose folder is gone or is no
   * longer a folder, so the scan finds those rows gone too. Nothing inside an in-sync folder.
   */
  private rowsOutside(side: Side, listing: WalkResult, cut: InSyncCut): Map<string, IndexRow> {
    const { index } = this.pair;
    const rows = new Map<string, IndexRow>();
    for (const [p, e] of listing.entries)
      if (e.type === 'dir' && !cut.covered.has(p))
        // With files' ids: a listed folder outside the cut has changed, so its id is computed
        // again from every child's (one query per folder, not one per file).
        index.loadChildren(side, this.scheme, p, rows, true);
    if (!rows.has('')) index.loadPaths(side, this.scheme, [''], rows);
    const gone: string[] = [];
    for (const [p, r] of rows)
      if (p !== '' && r[ROW.type] === TYPE_CODE.dir && listing.entries.get(p)?.type !== 'dir')
        gone.push(p);
    for (const p of gone) index.loadUnder(side, this.scheme, p, rows);
    return rows;
  }

  /**
   * Stores each listed folder's digest beside the id this run stored or kept for it, where the
   * listing vouches for the folder (FolderListing) and its node holds every listed child; clears
   * it elsewhere. Only what differs from the index is written; in-sync folders keep theirs.
   */
  private storeFolderDigests(
    side: Side,
    scan: ScanResult,
    listing: WalkResult,
    rows: ReadonlyMap<string, FolderRow>,
    cut: InSyncCut,
  ): void {
    if (!listing.folders) return;
    const rewritten = new Set<string>();
    for (const [p, e] of scan.upserts) if (e.type === 'dir') rewritten.add(p);
    const writes: [string, Buffer | null][] = [];
    for (const [d, f] of listing.folders) {
      if (cut.covered.has(d)) continue;
      const node = scan.tree.nodes.get(d);
      const want =
        f.digest !== null && node?.type === 'dir' && node.children?.length === f.children
          ? f.digest
          : null;
      const stored = rewritten.has(d) ? null : (rows.get(d)?.[FOLDER_DIGEST] ?? null);
      const same = want === null ? stored === null : stored !== null && stored.equals(want);
      if (!same) writes.push([d, want]);
    }
    if (writes.length) this.pair.index.setFolderDigests(side, writes);
  }

  /**
   * A live cycle's plan: only the folders the changed paths are in are listed (core/scan/region),
   * the rest stands as the index holds it, which is sound only while the pair has been watched
   * without a gap since a full plan() (the caller's to know). Returns the plan, which covers only
   * the paths `covers` says (a pending change elsewhere stands), or null where plan() is the
   * right cycle: a target not made yet, a listed file with other names (its group reaches
   * outside any region; the caller also walks while the last walk found any), a scrub, or too
   * much changed. Its notices count only the region's entries.
   */
  async planChanged(
    changed: Iterable<string>,
  ): Promise<{ plan: Plan; covers: (p: string) => boolean; listed: number } | null> {
    const { pair, scheme } = this;
    this.digestsKept = false;
    if (!pair.targetExists || this.opts.verifyStored) return null;
    const region = listRegion({
      source: pair.source,
      target: pair.target,
      walkOptions: this.walkOptions(),
      changed,
      index: pair.index,
      scheme,
      owners: this.owners.can,
    });
    if (!region) return null;
    // A file with other names may share its inode with one outside the region, which -H's
    // groups and splitSharedInodes must see: such a cycle walks the pair.
    for (const r of [region.source, region.target])
      for (const e of r.listing.entries.values()) if (e.type === 'file' && e.nlink > 1) return null;
    const signal = this.opts.signal;
    signal?.throwIfAborted();
    const r = region;
    this.src = await this.scan('source', r.source.listing, r.source.indexed, r.source.opaque);
    signal?.throwIfAborted();
    this.tgt = await this.scan('target', r.target.listing, r.target.indexed, r.target.opaque);
    // The index counts the target, this scan stored (a count of a large pair's rows costs tens
    // of ms, so only where a hold needs it).
    const plan = this.finish(() => this.pair.index.count('target') - 1);
    return {
      // Notices counted over the region: the caller walks where one is new (they count the pair).
      plan: { ...plan, ...this.notices() },
      covers: r.covers,
      listed: r.source.listing.entries.size + r.target.listing.entries.size,
    };
  }

  /** Stores both scans, refreshes the baseline and compares: the plan without its notices. */
  private finish(tgtCount: () => number): Plan {
    const { pair, scheme } = this;
    this.opts.signal?.throwIfAborted();
    pair.index.write('source', this.src!.upserts, this.src!.deletions);
    if (pair.targetExists) pair.index.write('target', this.tgt!.upserts, this.tgt!.deletions);
    pair.index.setXattrIds('source', this.src!.xattrUpdates ?? []);
    if (pair.targetExists) pair.index.setXattrIds('target', this.tgt!.xattrUpdates ?? []);
    pair.index.setMeta('scheme', scheme);

    this.refreshBaseline();
    const src = this.src!;
    const tgt = this.tgt!;
    const skipped: Skipped[] = [...src.skipped, ...tgt.skipped];
    const items = splitSharedInodes(
      compareTrees(src.tree, tgt.tree, {
        protectedPaths: new Set(skipped.map((s) => s.path)),
        mtimeGranularityMs: pair.mtimeGranularityMs,
        targetNames: pair.nameRules,
      }),
      tgt.walk.entries,
      src.tree,
      tgt.tree,
      pair.mtimeGranularityMs,
    );
    return {
      source: pair.source,
      target: pair.target,
      scheme,
      sourceRootId: src.tree.nodes.get('')!.id.toString('hex'),
      targetRootId: tgt.tree.nodes.get('')!.id.toString('hex'),
      items,
      skipped,
      holds: this.holds(items, tgtCount),
      summary: summarize(items),
    };
  }

  /**
   * The far side of a remote pair (remote/targetHalf.ts): scans the target alone, with its own
   * index, and stores the scan; the source is on the other machine, which plans.
   */
  async scanTarget(): Promise<ScanResult> {
    const { pair, scheme } = this;
    if (!pair.targetExists)
      return (this.tgt = emptyScan(this.scheme, this.hasher, this.pair.target));
    // Listed in a worker while this thread loads the index rows it is matched against.
    const listing = walkInWorker(pair.target, 'target', this.walkOptions());
    listing.catch(() => undefined);
    const indexed = pair.index.load('target', scheme);
    this.tgt = await this.scan('target', await listing, indexed);
    this.opts.signal?.throwIfAborted();
    pair.index.write('target', this.tgt.upserts, this.tgt.deletions);
    pair.index.setXattrIds('target', this.tgt.xattrUpdates ?? []);
    pair.index.setMeta('scheme', scheme);
    return this.tgt;
  }

  /** Remembers target entries found equal to the source (the remote side's refreshBaseline). */
  recordBaseline(set: [string, Buffer][]): void {
    if (set.length && this.pair.targetExists) this.pair.index.setBaseline(set);
  }

  /**
   * Applies `items` (all from the last plan(), or on a remote pair's far side from its own
   * scanTarget() and the source nodes `from` carries, read through `from.reader`). Writes
   * nothing if called without a plan.
   */
  apply(items: PlanItem[], from?: { source: ScanResult; reader: SourceReader }): ApplyResult {
    if (from) this.src = from.source;
    if (!this.src || !this.tgt) throw new Error('apply() needs plan() first');
    if (!this.pair.targetExists) throw new Error('the target folder does not exist');
    VersionStore.prune(this.pair.targetFs, this.opts.retentionDays ?? DEFAULT_RETENTION_DAYS);
    const result = applyPlan(
      {
        pair: { ...this.pair, xattrs: this.xattrs, owners: this.owners.can },
        hasher: this.hasher,
        scheme: this.scheme,
        source: this.src,
        target: this.tgt,
        ...(from ? { reader: from.reader } : {}),
        onProgress: (p) => this.opts.onProgress?.({ phase: 'apply', ...p }),
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      },
      items,
    );
    if (result.failed.length === 0 && !result.stopped) this.pair.index.setMeta('synced', '1');
    return result;
  }

  /**
   * After apply(items) from a full plan(): lists again, on the target, the folders the apply
   * wrote into and those above them up to the root (their listings hold the changed folders'
   * times), scans them against the rows the apply just wrote, and keeps each one's id and its
   * listing's digest, so that the next sync finds them in sync without listing them whole. The
   * listing is a real one, after the apply: a file that is not as the apply recorded it (written
   * since) is hashed again like in any scan, and a folder holding a file modified within the
   * racy window keeps no digest. Returns whether the folders were kept; false where there is
   * nothing to do (a plan without digests, a remote source, a cancelled run) or too much to
   * list (MAX_REGION_ENTRIES: the next sync then lists them, as before). An error here (the
   * target's root gone since the apply, say) keeps nothing and is not the sync's: what the apply
   * wrote is in place and recorded, and the next sync lists these folders, as before.
   */
  async settleTarget(items: readonly PlanItem[]): Promise<boolean> {
    if (!this.digestsKept || !this.pair.targetExists || this.opts.signal?.aborted) return false;
    try {
      return await this.relistWritten(items);
    } catch {
      return false;
    }
  }

  private async relistWritten(items: readonly PlanItem[]): Promise<boolean> {
    const { pair, scheme } = this;
    const changed: string[] = [];
    for (const it of items) {
      changed.push(it.path);
      if (it.from !== undefined) changed.push(it.from);
    }
    if (changed.length === 0) return false;
    const region = listRegion({
      source: pair.source,
      target: pair.target,
      walkOptions: { ...this.walkOptions(), folderDigests: true },
      changed,
      index: pair.index,
      scheme,
      owners: this.owners.can,
      only: 'target',
    });
    if (!region) return false;
    const { listing, indexed, opaque } = region.target;
    const scan = await this.scan('target', listing, indexed, opaque, true);
    pair.index.write('target', scan.upserts, scan.deletions);
    pair.index.setXattrIds('target', scan.xattrUpdates ?? []);
    this.storeFolderDigests(
      'target',
      scan,
      listing,
      pair.index.loadFolders('target', scheme),
      NO_CUT,
    );
    return true;
  }

  /** Records a pair found in sync, so that the target's marker is checked from now on. */
  markInSync(): void {
    if (this.pair.targetExists && fs.existsSync(this.pair.stateDir))
      this.pair.index.setMeta('synced', '1');
  }

  async close(): Promise<void> {
    // The scans are the session's memory (a million entries a side): gone with it.
    this.src = null;
    this.tgt = null;
    await this.pool.close();
    this.pair.close();
  }

  /** `targetCount`: the target's entries, its root not counted. */
  private holds(items: PlanItem[], targetCount: () => number): Hold[] {
    const src = this.src!.tree.nodes.get('')!;
    const tgtRoot = this.tgt!.tree.nodes.get('')!;
    const target = this.pair.target;
    return planHolds(items, {
      sourceEmpty: (src.children?.length ?? 0) === 0 && (tgtRoot.children?.length ?? 0) > 0,
      targetCount,
      ...(this.opts.maxDelete !== undefined ? { maxDelete: this.opts.maxDelete } : {}),
      freeBytes: () => {
        if (!this.pair.targetExists) return null;
        try {
          const fsStat = fs.statfsSync(target);
          return fsStat.bavail * fsStat.bsize;
        } catch {
          return null; // statfs is unavailable on some platforms; ENOSPC during apply is handled
        }
      },
    });
  }

  /** What a person should hear once about this run, not per entry. */
  private notices(): { notices?: string[] } {
    const notices: string[] = [];
    if (this.owners.asked && !this.owners.can) {
      const tgt = this.tgt!.walk.entries;
      let differ = 0;
      for (const [p, s] of this.src!.walk.entries) {
        const t = tgt.get(p);
        if (p !== '' && t && (t.uid !== s.uid || t.gid !== s.gid)) differ++;
      }
      if (differ > 0)
        notices.push(
          `owners are not kept: ${differ} entr${differ === 1 ? 'y has' : 'ies have'} another owner or group than in the source, and only root may give files to another owner (run as root, or sync without --owner)`,
        );
    }
    const out = new Set(this.src!.xattrsOutOfReach ?? []);
    const outOnTarget = (this.tgt!.xattrsOutOfReach ?? []).filter((p) => !out.has(p));
    const n = out.size + outOnTarget.length;
    if (n > 0) {
      const first = escapeName([...out, ...outOnTarget][0]!);
      notices.push(
        `extended attributes not synced for ${n} entr${n === 1 ? 'y' : 'ies'} whose own name is not valid UTF-8 (${first}${n > 1 ? ', …' : ''}): the attribute library takes only text paths, and for a file Tandem then asks getfattr, which is not installed (the attr package) or cannot name a link; their contents and other metadata are synced`,
      );
    }
    return notices.length ? { notices } : {};
  }

  /** Whatever is equal on both sides now is in sync: remember it as the baseline. */
  private refreshBaseline(): void {
    const srcNodes = this.src!.tree.nodes;
    const set: [string, Buffer][] = [];
    for (const [p, t] of this.tgt!.tree.nodes) {
      if (t.type === 'dir' || t.base === 1) continue;
      const s = srcNodes.get(p);
      if (s && s.type === t.type && s.id.equals(t.id)) {
        t.base = 1;
        set.push([p, t.id]);
      }
    }
    if (set.length && this.pair.targetExists) this.pair.index.setBaseline(set);
  }
}

/** No folder in sync on both sides (a plan that compared none first). */
const NO_CUT: InSyncCut = { opaque: new Set(), covered: new Set() };

/** The scan of a side that does not exist yet: an empty root folder. */
export function emptyScan(scheme: string, hasher: SchemeHasher, root: string): ScanResult {
  const id = folderId(hasher, []);
  return {
    tree: {
      scheme,
      idBytes: hasher.idBytes,
      nodes: new Map([['', { type: 'dir', id, size: 0, mtimeMs: 0, mode: 0o755, children: [] }]]),
    },
    walk: { root, entries: new Map(), skipped: [], collisions: [] },
    skipped: [],
    upserts: [],
    deletions: [],
  };
}

/**
 * The holds on a plan (DESIGN.md's mass-change rules), for a local target and a remote one alike:
 * a source that is suddenly empty, most of the target deleted, more than --max-delete, too
 * little free space. `targetCount` (the target's entries, its root not counted) and `freeBytes`
 * (null: unknown) are asked only where a rule needs them.
 */
export function planHolds(
  items: PlanItem[],
  o: {
    sourceEmpty: boolean;
    targetCount: () => number;
    maxDelete?: number;
    freeBytes: () => number | null;
    /** how the messages name the two sides (a two-way pair's A and B); default source, target */
    names?: { source: string; target: string };
  },
): Hold[] {
  const holds: Hold[] = [];
  const src = o.names?.source ?? 'the source';
  const tgt = o.names?.target ?? 'the target';
  const deletes = items.filter((i) => i.kind === 'delete').length;
  const tgtCount = o.sourceEmpty || deletes > MASS_DELETE_FLOOR ? o.targetCount() : 0;
  if (o.sourceEmpty && tgtCount > 0) {
    holds.push({
      reason: 'sourceEmpty',
      message: `${src} is empty but ${tgt} holds ${tgtCount} entries; if ${src} really should be empty, run again with --force`,
    });
  }
  if (holds.length === 0 && deletes > MASS_DELETE_FLOOR && deletes * 2 > tgtCount) {
    holds.push({
      reason: 'massDelete',
      message: `the plan deletes ${deletes} of ${tgt}'s ${tgtCount} entries; check ${src}, then run again with --force to allow it`,
    });
  }
  const max = o.maxDelete;
  if (max !== undefined && deletes > max) {
    holds.push({
      reason: 'maxDelete',
      message: `the plan deletes ${deletes} entries${o.names ? ` from ${tgt}` : ''}, more than --max-delete ${max}; check ${src}, then run again with --force to allow it`,
    });
  }
  const need = items.reduce(
    (n, i) => n + (i.kind === 'update' ? i.source!.size : i.bytesToWrite),
    0,
  );
  const free = o.freeBytes();
  if (free !== null && need + SPACE_MARGIN > free) {
    holds.push({
      reason: 'diskSpace',
      message: `${tgt} needs about ${mib(need)} MiB free but has ${mib(free)} MiB; free some space and run again`,
    });
  }
  return holds;
}

/** The options a pair's index remembers from its last session (pairFlag, pairXattrs). */
export interface RememberedOptions {
  xattrs: XattrOptions;
  hardLinks: boolean;
  owners: boolean;
}

/**
 * What a pair used last, read from its index without opening the pair (no lock, no write): off
 * for whatever it never used, and for a pair that has no index yet.
 */
export function rememberedOptions(home: string, key: string): RememberedOptions {
  const meta = IdentifierIndex.peekMeta(indexFileOf(home, key), ['xattrs', 'hardLinks', 'owners']);
  let xattrs = NO_XATTRS;
  try {
    const stored = meta?.get('xattrs');
    if (stored) xattrs = JSON.parse(stored) as XattrOptions;
  } catch {
    /* unreadable: as if never set */
  }
  return {
    xattrs: { xattrs: xattrs.xattrs === true, acls: xattrs.acls === true },
    hardLinks: meta?.get('hardLinks') === '1',
    owners: meta?.get('owners') === '1',
  };
}

/** Whether a pair keeps owners (as asked, else as last used), and whether this process can. */
function pairOwners(
  index: IdentifierIndex,
  asked: boolean | undefined,
): { asked: boolean; can: boolean } {
  const want = pairFlag(index, 'owners', asked);
  return { asked: want, can: want && process.getuid?.() === 0 };
}

/**
 * A pair's on/off setting that goes into its folder ids (owners, hard links): as asked, else as
 * last used; a change drops the stored folder ids, computed under the other rule.
 */
function pairFlag(index: IdentifierIndex, key: string, asked: boolean | undefined): boolean {
  const last = index.getMeta(key) === '1';
  const want = asked ?? last;
  if (want !== last) {
    index.forgetFolderIds();
    index.setMeta(key, want ? '1' : '0');
  }
  return want;
}

/**
 * Which entries' attributes go into the ids: 2 since symlinks' own are read too (root may give
 * a link trusted.* attributes). An index made under another rule holds folder ids made without
 * them, so it forgets its attribute ids once, like a change of setting.
 */
const XATTR_RULE = 2;

/** The attributes a pair syncs: as asked, else as last used; a change forgets the stored ids. */
export function pairXattrs(index: IdentifierIndex, asked: XattrOptions | undefined): XattrOptions {
  const stored = index.getMeta('xattrs');
  const last = stored
    ? (JSON.parse(stored) as XattrOptions & { rule?: number })
    : { ...NO_XATTRS, rule: XATTR_RULE };
  const want = { xattrs: (asked ?? last).xattrs, acls: (asked ?? last).acls, rule: XATTR_RULE };
  const before = { xattrs: last.xattrs, acls: last.acls, rule: last.rule };
  if (JSON.stringify(want) !== JSON.stringify(before)) {
    index.clearXattrIds();
    index.setMeta('xattrs', JSON.stringify(want));
  }
  return { xattrs: want.xattrs, acls: want.acls };
}

/** Per-pair ignore patterns (gitignore syntax) from SOURCE/.tandemignore, if present. */
export function readIgnoreFile(sourceRoot: string): string[] {
  try {
    return fs.readFileSync(path.join(sourceRoot, IGNORE_FILE), 'utf8').split(/\r?\n/);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(
      `cannot read ${IGNORE_FILE} in the source: ${(e as NodeJS.ErrnoException).code}`,
      { cause: e },
    );
  }
}

function mib(n: number): string {
  return (n / 1048576).toFixed(0);
}
