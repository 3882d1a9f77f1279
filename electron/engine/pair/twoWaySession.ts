// A two-way pair (issue 13): both folders are sources. One cycle scans both sides, reconciles them
// with the baseline (core/plan/reconcile: Unison's archive rule), and carries each side's changes
// to the other through that side's own door: a one-way ApplyRun per direction, each over an open
// pair whose target is the receiving side (its lock, journal, temp files and versions). Conflicts
// are never resolved here without a person's word (or the pair's opt-in "newer wins"); each
// choice is turned into what reconcile already knows how to carry out:
// - keep A (keep B): the baseline under the path is made to say B (A) never changed, so A's (B's)
//   side flows over the other, whose replaced entries go to its version store;
// - keep both: the losing file or symlink is renamed beside it on its own side
//   (`name.sync-conflict-<date>-<time>-<side>.ext`, Syncthing's form) and the path leaves the
//   baseline, so both names are new entries and each is copied to the other side.
//
// The baseline moves per path, after that path's write is durable, never as a whole: a crash at
// any point leaves paths whose two sides agree with an old baseline, which the next run records
// ("changed on both to the same result"), so no run ever needs a repair step.
//
// Where each side's state lives: each side's rows are the target rows of the index of the pair
// whose target it is (the one its ApplyRun records into), and the baseline and the mode are in the
// index of the pair ordered by path (the lower real path as source), so `A B` and `B A` are the
// same two-way pair.
import type {
  ApplyResult,
  ChunkDiff,
  EntrySnapshot,
  Hold,
  PlanItem,
  Side,
  Skipped,
} from '../../shared/plan.js';
import { emptyApplyResult } from '../../shared/plan.js';
import {
  createSchemeHasher,
  DEFAULT_SCHEME,
  normalizeScheme,
  type SchemeHasher,
} from '../core/hash/hashScheme.js';
import { HashPool } from '../core/hash/hashPool.js';
import { TYPE_CODE, type IdentifierIndex, type IndexRow } from '../core/index/identifierIndex.js';
import { listRegion, type Region, type RegionIndex, type SideRegion } from '../core/scan/region.js';
import { bytesOfChunks, diffChunks, metadataDifferences } from '../core/plan/compare.js';
import {
  reconcile,
  type ConflictKind,
  type Decision,
  type Direction,
  type ReconcileEntry,
} from '../core/plan/reconcile.js';
import { scanSide, type ScanResult } from '../core/scan/scan.js';
import {
  chunkIdsOf,
  joinPath,
  parentOf,
  snapshot,
  StoredFileNode,
  type TreeNode,
} from '../core/scan/tree.js';
import { STATE_DIR, walkTree, type NameRules, type WalkOptions } from '../core/scan/walk.js';
import { walkInWorker } from '../core/scan/walkInWorker.js';
import { applyPlan } from '../core/target/apply.js';
import type { TargetFs } from '../core/target/targetFs.js';
import { DEFAULT_RETENTION_DAYS, VersionStore } from '../core/target/versionStore.js';
import { openPair, RefusalError, resolvePair, resolveSource, type OpenPair } from './pair.js';
import { emptyScan, planHolds, readIgnoreFile, type SessionProgress } from './syncSession.js';
import { TWO_WAY } from './twoWayMode.js';

export type SideName = 'a' | 'b';
export type Resolution = 'keepA' | 'keepB' | 'keepBoth';
export type { ConflictKind, Direction } from '../core/plan/reconcile.js';

export interface TwoWayOptions {
  /** sync may write (and creates a missing B); diff does not */
  write: boolean;
  confirmTarget?: boolean;
  /** turn a pair that was synced one way into a two-way pair (a person confirmed it) */
  changeMode?: boolean;
  scheme?: string;
  ignore?: string[];
  threads?: number;
  home?: string;
  maxDelete?: number;
  retentionDays?: number;
  onProgress?: (p: SessionProgress) => void;
  signal?: AbortSignal;
}

/** A change of one side carried to the other. */
export interface TwoWayChange {
  path: string;
  action: 'create' | 'update' | 'replaceType' | 'delete' | 'move' | 'metadata';
  direction: Direction;
  /** a move: where the receiving side holds the file now */
  from?: string;
  /** what each side holds now */
  a?: EntrySnapshot;
  b?: EntrySnapshot;
  /** a folder the receiving side deleted, made again for what the other side changed in it */
  kept?: true;
  bytesToWrite: number;
}

/** A path where the two sides disagree and a person chooses. */
export interface TwoWayConflict {
  path: string;
  kind: ConflictKind;
  a?: EntrySnapshot;
  b?: EntrySnapshot;
  /** the side that deleted the file holds it under this name now */
  movedTo?: string;
  /** paths below that wait for this conflict */
  inside: string[];
  /** both files: which of A's chunks differ from B's */
  chunks?: ChunkDiff;
}

export interface TwoWayHold extends Hold {
  /** the side that would be written */
  side: SideName;
}

export interface TwoWayPlan {
  a: string;
  b: string;
  scheme: string;
  /** no baseline yet: equal entries become it, one-sided ones are copied, the rest conflicts */
  firstSync: boolean;
  changes: TwoWayChange[];
  conflicts: TwoWayConflict[];
  /** paths whose two sides came to agree by themselves: only the baseline moved */
  agreed: number;
  skipped: Skipped[];
  holds: TwoWayHold[];
  summary: { aToB: number; bToA: number; conflicts: number; bytesToWrite: number };
}

export interface TwoWayResult {
  aToB: ApplyResult;
  bToA: ApplyResult;
  /** conflicts resolved as asked; keep both names where the renamed loser went */
  resolved: { path: string; resolution: Resolution; renamedTo?: string }[];
  /** conflicts left for a person, or whose sides changed since they were shown */
  unresolved: string[];
  /** holds that appeared once the resolutions were known (nothing was applied that way) */
  holds: TwoWayHold[];
}

interface SideState {
  root: string;
  /** the open pair whose target is this side; null for a B that does not exist yet (diff) */
  pair: OpenPair | null;
  scan: ScanResult | null;
  listing: Map<string, ReconcileEntry>;
}

const TYPE_OF_CODE = Object.fromEntries(
  Object.entries(TYPE_CODE).map(([k, v]) => [v, k]),
) as Record<number, ReconcileEntry['type'] | 'special'>;

/** What reconcile compares for an entry: a file's id with its mode bits, a link's id, a folder. */
export function reconcileEntry(n: Pick<TreeNode, 'type' | 'id' | 'mode'>): ReconcileEntry | null {
  if (n.type === 'dir') return { type: 'dir', id: '' };
  if (n.type === 'symlink') return { type: 'symlink', id: n.id.toString('hex') };
  if (n.type === 'file')
    return { type: 'file', id: `${n.id.toString('hex')}:${(n.mode & 0o7777).toString(8)}` };
  return null;
}

export class TwoWaySession {
  private decisions = new Map<string, Decision>();
  private base = new Map<string, ReconcileEntry>();
  private protectedPaths = new Set<string>();
  private lastPlan: TwoWayPlan | null = null;
  /** the region the last plan listed (planChanged), null after a walk of both sides (plan) */
  private region: Region | null = null;

  private constructor(
    readonly sides: Record<SideName, SideState>,
    /** the index holding the baseline and the mode */
    private readonly home: IdentifierIndex,
    private readonly indexes: IdentifierIndex[],
    readonly scheme: string,
    private readonly hasher: SchemeHasher,
    private readonly pool: HashPool,
    private readonly opts: TwoWayOptions,
    /** the open pairs, closed with the session */
    private readonly opened: OpenPair[],
    /** a baseline carried over from a one-way pair (changeMode), written with the first plan */
    private seeded: Map<string, ReconcileEntry> | null,
  ) {}

  static async open(aArg: string, bArg: string, opts: TwoWayOptions): Promise<TwoWaySession> {
    const a = resolveSource(aArg);
    const pathsB = resolvePair(aArg, bArg);
    const popts = {
      createTarget: opts.write,
      confirmTarget: opts.confirmTarget ?? false,
      ...(opts.home ? { home: opts.home } : {}),
    };
    const pB = await openPair(pathsB, popts);
    let pA: OpenPair | null = null;
    try {
      if (pB.targetExists) pA = await openPair(resolvePair(bArg, aArg), popts);
      const b = pB.target;
      // The baseline's index: that of the pair with the lower real path as its source.
      const home = a < b || !pA ? pB.index : pA.index;
      const indexes = pA ? [pB.index, pA.index] : [pB.index];
      const seeded = checkMode(indexes, pB, pA, opts);
      const scheme = normalizeScheme(
        opts.scheme ?? home.getMeta('scheme') ?? pB.index.getMeta('scheme') ?? DEFAULT_SCHEME,
      );
      const based = home.getMeta('twoWayScheme');
      if (based && based !== scheme)
        throw new RefusalError(
          `this two-way pair's baseline is in hash scheme ${based}; a two-way pair keeps its scheme (run without --hash ${scheme})`,
        );
      const hasher = await createSchemeHasher(scheme);
      const pool = await HashPool.create(scheme, opts.threads);
      const side = (root: string, pair: OpenPair | null): SideState => ({
        root,
        pair,
        scan: null,
        listing: new Map(),
      });
      return new TwoWaySession(
        { a: side(a, pA), b: side(b, pB.targetExists ? pB : null) },
        home,
        indexes,
        scheme,
        hasher,
        pool,
        opts,
        pA ? [pB, pA] : [pB],
        seeded,
      );
    } catch (e) {
      pA?.close();
      pB.close();
      throw e;
    }
  }

  /** Rolled back patches and problems found when each side was opened. */
  get recovery(): { rolledBack: string[]; problems: string[] } {
    const out = { rolledBack: [] as string[], problems: [] as string[] };
    for (const [n, s] of Object.entries(this.sides)) {
      const r = s.pair?.recovery;
      if (!r) continue;
      out.rolledBack.push(...r.rolledBack.map((p) => `${n.toUpperCase()}: ${p}`));
      out.problems.push(...r.problems);
    }
    return out;
  }

  private walkOptions(other: SideName): WalkOptions {
    const ignore = [
      ...readIgnoreFile(this.sides.a.root),
      ...readIgnoreFile(this.sides.b.root),
      ...(this.opts.ignore ?? []),
    ];
    const rules = this.sides[other].pair?.nameRules;
    return { ignore, ...(rules ? { targetNames: rules } : {}) };
  }

  /** Scans both sides (B in a worker while A is listed here) and reconciles them. */
  async plan(): Promise<TwoWayPlan> {
    const { a, b } = this.sides;
    const signal = this.opts.signal;
    const bListing = b.pair ? walkInWorker(b.root, 'source', this.walkOptions('a')) : null;
    bListing?.catch(() => undefined);
    signal?.throwIfAborted();
    const aListing = walkTree(a.root, 'source', this.walkOptions('b'));
    a.scan = await this.scanOne('a', aListing);
    signal?.throwIfAborted();
    b.scan = bListing
      ? await this.scanOne('b', await bListing)
      : emptyScan(this.scheme, this.hasher, b.root);
    signal?.throwIfAborted();

    this.region = null;
    const base = this.seeded ?? loadBase(this.home);
    return this.decide(base, base.size === 0);
  }

  /**
   * A live cycle's plan, for the service while the pair has been watched without a gap since a
   * full plan() (the caller's to know, as for one-way pairs): only the folders the changed paths
   * are in are listed on both sides (core/scan/region.ts, with each side's rows from its own
   * index), and only the baseline of what was listed, of the changed paths and of what was below
   * a changed folder is read. Decisions are made for the paths `covers` says; the rest stand.
   * Null where plan() is the right cycle: no baseline yet (a first sync), a carried-over mirror
   * baseline, a side whose names the other cannot all hold, a side whose root looks empty (the
   * emptied-side hold counts whole sides), or too much changed.
   */
  async planChanged(
    changed: Iterable<string>,
  ): Promise<{ plan: TwoWayPlan; covers: (p: string) => boolean; listed: number } | null> {
    const { a, b } = this.sides;
    if (!a.pair || !b.pair || this.seeded || !this.opts.write) return null;
    const folds = (r: NameRules): boolean => r.foldCase || r.normalizeUnicode;
    if (folds(a.pair.nameRules) || folds(b.pair.nameRules) || !this.home.hasTwoWayBase())
      return null;
    const rowsOf = (side: Side): IdentifierIndex => (side === 'source' ? a : b).pair!.index;
    // Each side's rows are the target rows of its own pair's index (see open()).
    const index = {
      loadPaths: (
        side: Side,
        scheme: string,
        paths: Iterable<string>,
        into?: Map<string, IndexRow>,
      ) => rowsOf(side).loadPaths('target', scheme, paths, into),
      loadUnder: (side: Side, scheme: string, dir: string, into?: Map<string, IndexRow>) =>
        rowsOf(side).loadUnder('target', scheme, dir, into),
      loadChildren: (
        side: Side,
        scheme: string,
        dir: string,
        into?: Map<string, IndexRow>,
        withIds?: boolean,
      ) => rowsOf(side).loadChildren('target', scheme, dir, into, withIds),
    } satisfies RegionIndex;
    const region = listRegion({
      source: a.root,
      target: b.root,
      walkOptions: this.walkOptions('b'),
      changed,
      index,
      scheme: this.scheme,
      owners: false,
    });
    if (!region) return null;
    const rootEmpty = (r: SideRegion) =>
      ![...r.listing.entries.keys()].some((p) => p !== '' && !p.includes('/'));
    if (rootEmpty(region.source) || rootEmpty(region.target)) return null;
    const signal = this.opts.signal;
    signal?.throwIfAborted();
    a.scan = await this.scanOne('a', region.source.listing, region.source);
    signal?.throwIfAborted();
    b.scan = await this.scanOne('b', region.target.listing, region.target);
    signal?.throwIfAborted();
    const raw = new Map<string, { type: number; id: string }>();
    for (const r of [region.source, region.target])
      this.home.loadTwoWayBasePaths(r.listing.entries.keys(), raw);
    this.home.loadTwoWayBasePaths(region.changed, raw);
    for (const p of region.changed)
      if (p !== '' && raw.get(p)?.type === TYPE_CODE.dir) this.home.loadTwoWayBaseUnder(p, raw);
    const base = new Map<string, ReconcileEntry>();
    for (const [p, r] of raw) {
      const type = TYPE_OF_CODE[r.type];
      if (type && type !== 'special' && region.covers(p)) base.set(p, { type, id: r.id });
    }
    this.region = region;
    return {
      plan: this.decide(base, false),
      covers: region.covers,
      listed: region.source.listing.entries.size + region.target.listing.entries.size,
    };
  }

  /** Reconciles the two scans against `base` and moves the baseline of what agreed by itself. */
  private decide(base: Map<string, ReconcileEntry>, firstSync: boolean): TwoWayPlan {
    const { a, b } = this.sides;
    const skipped: Skipped[] = [];
    this.protectedPaths = new Set();
    for (const n of ['a', 'b'] as const) {
      const s = this.sides[n];
      s.listing = new Map();
      // A region's few stored files read their ids one by one; a walk's in one query a side.
      if (!this.region) this.provideIds(n);
      for (const [p, node] of s.scan!.tree.nodes) {
        if (p === '') continue;
        const e = reconcileEntry(node);
        if (e) s.listing.set(p, e);
        else this.protectedPaths.add(p); // a special file: never replaced or copied
      }
      for (const k of s.scan!.skipped) {
        if (k.path === STATE_DIR && !k.unknown) continue; // each side's own state folder
        // Reported with the side as a person knows it (the walk labels both 'source'). What
        // a side skips is protected on both, unreadable or not synced alike (a file replaced by
        // a FIFO is no deletion to carry over; a name the other side cannot hold is no absence).
        skipped.push({ ...k, side: n === 'a' ? 'source' : 'target' });
        this.protectedPaths.add(k.path);
      }
    }
    this.base = base;
    this.decisions = reconcile({
      a: a.listing,
      b: b.listing,
      base: this.base,
      protectedPaths: this.protectedPaths,
    });
    if (this.opts.write && b.pair) {
      // Paths the two sides came to agree on by themselves move the baseline now (no write).
      const moved: [string, ReconcileEntry | null][] = [];
      for (const d of this.decisions.values())
        if (d.action === 'record') moved.push([d.path, d.entry ?? null]);
      if (this.seeded) {
        this.writeBase([...this.seeded].map(([p, e]) => [p, e]));
        this.seeded = null;
      }
      this.writeBase(moved);
      for (const idx of this.indexes) idx.setMeta('mode', TWO_WAY);
      this.home.setMeta('twoWayScheme', this.scheme);
    }
    return (this.lastPlan = this.describe(firstSync, skipped));
  }

  private scanOne(
    side: SideName,
    listing: Parameters<typeof scanSide>[0]['listing'],
    region?: SideRegion,
  ) {
    const s = this.sides[side];
    const pair = s.pair;
    // A side's rows are the target rows of its own pair; an A without one (B not made yet, diff)
    // reads A's rows as the source of B's pair, and writes nothing.
    const idx = pair?.index ?? this.sides.b.pair?.index ?? this.indexes[0]!;
    const rowSide = pair ? 'target' : 'source';
    const progress = this.opts.onProgress;
    const label = side === 'a' ? 'source' : 'target';
    let files = 0;
    return scanSide({
      root: s.root,
      side: rowSide,
      scheme: this.scheme,
      hasher: this.hasher,
      pool: this.pool,
      indexed: region?.indexed ?? idx.load(rowSide, this.scheme),
      listing,
      ...(region?.opaque.size ? { opaque: region.opaque } : {}),
      mtimeGranularityMs: pair?.mtimeGranularityMs ?? 1,
      loadId: (p) => idx.loadId(rowSide, p),
      loadChunkIds: (p) => idx.loadChunkIds(rowSide, p),
      onHashPlanned: (n, bytes) => {
        files = n;
        progress?.({ phase: 'scan', side: label, files, bytesDone: 0, bytesTotal: bytes });
      },
      onHashProgress: (done, total) =>
        progress?.({ phase: 'scan', side: label, files, bytesDone: done, bytesTotal: total }),
      ...(this.opts.signal ? { signal: this.opts.signal } : {}),
    }).then((r) => {
      if (pair) {
        idx.write('target', r.upserts, r.deletions);
        idx.setMeta('scheme', this.scheme);
      }
      return r;
    });
  }

  /**
   * Reconcile compares every file's id, which an unchanged file leaves in the index: read in one
   * query per side (an unchanged 20,000-file pair spent 201 of its 839 ms in a query per file).
   */
  private provideIds(side: SideName): void {
    const s = this.sides[side];
    const stored: [string, StoredFileNode][] = [];
    for (const [p, node] of s.scan!.tree.nodes)
      if (node instanceof StoredFileNode) stored.push([p, node]);
    if (stored.length < 64) return;
    const idx = s.pair?.index ?? this.sides.b.pair?.index ?? this.indexes[0]!;
    const ids = idx.fileIds(s.pair ? 'target' : 'source');
    for (const [p, node] of stored) {
      const id = ids.get(p);
      if (id) node.provide(id);
    }
  }

  private node(side: SideName, p: string): TreeNode | undefined {
    return this.sides[side].scan!.tree.nodes.get(p);
  }

  private snap(side: SideName, p: string): EntrySnapshot | undefined {
    const n = this.node(side, p);
    return n ? snapshot(n) : undefined;
  }

  /** The plan as a person (and the UI) sees it, from the decisions standing. */
  private describe(firstSync: boolean, skipped: Skipped[]): TwoWayPlan {
    const changes: TwoWayChange[] = [];
    const conflicts: TwoWayConflict[] = [];
    let agreed = 0;
    for (const d of this.decisions.values()) {
      if (d.action === 'record') {
        agreed++;
        continue;
      }
      const a = this.snap('a', d.path);
      const b = this.snap('b', d.path);
      if (d.action === 'conflict') {
        const c: TwoWayConflict = { path: d.path, kind: d.kind, inside: [...d.inside] };
        if (a) c.a = a;
        if (b) c.b = b;
        if (d.movedTo !== undefined) c.movedTo = d.movedTo;
        const chunks = this.conflictChunks(d.path);
        if (chunks) c.chunks = chunks;
        conflicts.push(c);
        continue;
      }
      const item = this.itemOf(d);
      if (!item) continue;
      const ch: TwoWayChange = {
        path: d.path,
        action: item.kind === 'rename' ? 'move' : item.kind,
        direction: d.direction,
        bytesToWrite: item.bytesToWrite,
      } as TwoWayChange;
      if (a) ch.a = a;
      if (b) ch.b = b;
      if (d.action === 'move') ch.from = d.from;
      if ('kept' in d && d.kept) ch.kept = true;
      changes.push(ch);
    }
    const holds = this.holdsOf();
    const count = (dir: Direction) => changes.filter((c) => c.direction === dir).length;
    return {
      a: this.sides.a.root,
      b: this.sides.b.root,
      scheme: this.scheme,
      firstSync,
      changes,
      conflicts,
      agreed,
      skipped,
      holds,
      summary: {
        aToB: count('aToB'),
        bToA: count('bToA'),
        conflicts: conflicts.length,
        bytesToWrite: changes.reduce((n, c) => n + c.bytesToWrite, 0),
      },
    };
  }

  /** Where both sides hold a file in the same chunk size: which of A's chunks differ from B's. */
  private conflictChunks(p: string): ChunkDiff | undefined {
    const na = this.node('a', p);
    const nb = this.node('b', p);
    if (na?.type !== 'file' || nb?.type !== 'file' || na.chunkSize !== nb.chunkSize) return;
    chunkIdsOf(this.sides.a.scan!.tree, p);
    chunkIdsOf(this.sides.b.scan!.tree, p);
    return diffChunks(na, nb, this.hasher.idBytes);
  }

  /**
   * Items already made, by their decision: describe, the holds and the apply each ask for them
   * (a reconcile makes new decisions, so an item never outlives the scan it was made from).
   */
  private readonly made = new WeakMap<Decision, PlanItem | null>();

  /** The ApplyRun item that carries out a one-way decision, or null where none is needed. */
  private itemOf(d: Decision): PlanItem | null {
    let it = this.made.get(d);
    if (it === undefined) this.made.set(d, (it = this.makeItem(d)));
    return it;
  }

  private makeItem(d: Decision): PlanItem | null {
    if (d.action === 'record' || d.action === 'conflict') return null;
    const [from, to]: [SideName, SideName] = d.direction === 'aToB' ? ['a', 'b'] : ['b', 'a'];
    const s = this.node(from, d.path);
    const t = this.node(to, d.path);
    switch (d.action) {
      case 'create':
        return {
          path: d.path,
          kind: 'create',
          source: snapshot(s!),
          bytesToWrite: s!.type === 'file' ? s!.size : 0,
        };
      case 'replaceType':
        return {
          path: d.path,
          kind: 'replaceType',
          source: snapshot(s!),
          target: snapshot(t!),
          bytesToWrite: s!.type === 'file' ? s!.size : 0,
        };
      case 'delete':
        return { path: d.path, kind: 'delete', target: snapshot(t!), bytesToWrite: 0 };
      case 'move':
        return {
          path: d.path,
          kind: 'rename',
          from: d.from,
          source: snapshot(s!),
          target: snapshot(this.node(to, d.from)!),
          bytesToWrite: 0,
        };
      case 'update': {
        const it: PlanItem = {
          path: d.path,
          kind: 'update',
          source: snapshot(s!),
          target: snapshot(t!),
          bytesToWrite: 0,
        };
        if (s!.type !== 'file') return it;
        if (s!.id.equals(t!.id)) {
          // The same bytes, other mode bits: only the metadata is written.
          const gran = this.sides[to].pair?.mtimeGranularityMs ?? 1;
          const differs = metadataDifferences(s!, t!, gran);
          return differs.length ? { ...it, kind: 'metadata', differs } : null;
        }
        const fromTree = this.sides[from].scan!.tree;
        chunkIdsOf(fromTree, d.path);
        if (t!.chunkSize === s!.chunkSize) chunkIdsOf(this.sides[to].scan!.tree, d.path);
        it.chunks = diffChunks(s!, t!, this.hasher.idBytes);
        it.bytesToWrite = bytesOfChunks(s!.size, it.chunks);
        return it;
      }
    }
  }

  private itemsTo(direction: Direction): { items: PlanItem[]; of: Map<string, Decision> } {
    const items: PlanItem[] = [];
    const of = new Map<string, Decision>();
    for (const d of this.decisions.values()) {
      if (d.action === 'record' || d.action === 'conflict' || d.direction !== direction) continue;
      const it = this.itemOf(d);
      if (!it) continue;
      items.push(it);
      of.set(d.path, d);
    }
    // Deletions children first, as compare lists them: a folder is emptied before it goes
    // (decisions are in path order, a folder before what it holds).
    const deletes = items.filter((it) => it.kind === 'delete').reverse();
    return { items: [...items.filter((it) => it.kind !== 'delete'), ...deletes], of };
  }

  /** The mass-change holds, per receiving side: a side that looks emptied deletes nothing. */
  private holdsOf(): TwoWayHold[] {
    const out: TwoWayHold[] = [];
    for (const [direction, from, to] of [
      ['aToB', 'a', 'b'],
      ['bToA', 'b', 'a'],
    ] as const) {
      const { items } = this.itemsTo(direction);
      const fromRoot = this.node(from, '')!;
      const toRoot = this.node(to, '')!;
      const receiver = this.sides[to];
      const holds = planHolds(items, {
        // Emptied since the baseline, which held entries: an unmounted disk, a wiped folder.
        sourceEmpty:
          this.base.size > 0 &&
          (fromRoot.children?.length ?? 0) === 0 &&
          (toRoot.children?.length ?? 0) > 0,
        // A region lists part of the side: the index counts all of it.
        targetCount: () =>
          this.region ? receiver.pair!.index.count('target') - 1 : receiver.listing.size,
        ...(this.opts.maxDelete !== undefined ? { maxDelete: this.opts.maxDelete } : {}),
        freeBytes: () => receiver.pair?.targetFs.freeBytes() ?? null,
        names: { source: from.toUpperCase(), target: to.toUpperCase() },
      });
      for (const h of holds) out.push({ ...h, side: to });
    }
    return out;
  }

  /**
   * Carries out the last plan: every one-way change, and each conflict a resolution names (the
   * rest stay, for the next run). A resolution whose conflict no longer looks as shown (a side
   * changed since the plan) is not applied. `force` applies past the holds.
   */
  async apply(
    resolutions: ReadonlyMap<string, Resolution> = new Map(),
    opts: {
      /** apply past the holds */
      force?: boolean;
      /**
       * only these paths' one-way changes (a person approved them one by one); the paths a
       * resolution decides go too, the renamed loser of a keep-both among them
       */
      only?: ReadonlySet<string>;
    } = {},
  ): Promise<TwoWayResult> {
    const force = opts.force === true;
    const plan = this.lastPlan;
    if (!plan || !this.sides.a.scan || !this.sides.b.scan) throw new Error('apply() needs plan()');
    if (!this.sides.b.pair || !this.sides.a.pair) throw new Error('B does not exist (diff only)');
    const result: TwoWayResult = {
      aToB: emptyApplyResult(),
      bToA: emptyApplyResult(),
      resolved: [],
      unresolved: [],
      holds: [],
    };
    const shown = new Map(plan.conflicts.map((c) => [c.path, c]));
    /** Whether the conflict at p is still the one the person saw. */
    const stillShown = (p: string): boolean => {
      const d = this.decisions.get(p);
      const c = shown.get(p);
      return (
        d?.action === 'conflict' &&
        c !== undefined &&
        sameSnap(c.a, this.snap('a', p)) &&
        sameSnap(c.b, this.snap('b', p))
      );
    };
    // 1. Keep both: the path leaves the baseline, then the loser is renamed aside. In that
    //    order: a crash between the two leaves a path with no baseline and two different
    //    entries, the same conflict shown again, where the other order would show the renamed
    //    loser's side as having deleted the path.
    let renamed = false;
    for (const [p, r] of resolutions) {
      if (r !== 'keepBoth' || !stillShown(p)) continue;
      const d = this.decisions.get(p) as Extract<Decision, { action: 'conflict' }>;
      this.writeBase([p, ...under(this.base, p)].map((q) => [q, null]));
      const renamedTo = this.renameLoser(d);
      if (renamedTo) renamed = true;
      result.resolved.push({ path: p, resolution: r, ...(renamedTo ? { renamedTo } : {}) });
    }
    if (renamed) {
      // A renamed loser changed its side: the scans are stale, so both are scanned again (the
      // index makes that a stat walk) and the other resolutions must still match what was shown.
      await this.plan();
    }
    // 2. Keep A (keep B): the baseline at and under the path says the other side never changed.
    const base = new Map(this.base);
    for (const [p, r] of resolutions) {
      if (r === 'keepBoth') {
        if (!result.resolved.some((x) => x.path === p)) result.unresolved.push(p);
        continue;
      }
      if (!stillShown(p)) {
        result.unresolved.push(p);
        continue;
      }
      const listing = this.sides[r === 'keepA' ? 'b' : 'a'].listing;
      for (const q of [p, ...under(base, p)]) base.delete(q);
      for (const q of [p, ...under(listing, p)]) base.set(q, listing.get(q)!);
      result.resolved.push({ path: p, resolution: r });
    }
    this.decisions = reconcile({
      a: this.sides.a.listing,
      b: this.sides.b.listing,
      base,
      protectedPaths: this.protectedPaths,
    });
    for (const d of this.decisions.values())
      if (d.action === 'conflict' && !result.unresolved.includes(d.path))
        result.unresolved.push(d.path);
    if (!force) {
      // Counted again over what the resolutions made of the plan (keeping A where B emptied a
      // folder deletes on B): any hold stops the run before it writes.
      result.holds = this.holdsOf();
      if (result.holds.length) return result;
    }
    // Paths that agree once the resolutions are counted: only the baseline moves.
    const recorded: [string, ReconcileEntry | null][] = [];
    for (const d of this.decisions.values())
      if (d.action === 'record') recorded.push([d.path, d.entry ?? null]);
    this.writeBase(recorded);
    let only: ((p: string) => boolean) | undefined;
    if (opts.only) {
      const allowed = new Set(opts.only);
      const decided = result.resolved.flatMap((r) => [
        r.path,
        ...(r.renamedTo !== undefined ? [r.renamedTo] : []),
      ]);
      const prefixes = decided.map((p) => `${p}/`);
      only = (p) => allowed.has(p) || decided.includes(p) || prefixes.some((x) => p.startsWith(x));
    }
    result.aToB = this.applyDirection('aToB', only);
    result.bToA = this.applyDirection('bToA', only);
    return result;
  }

  /**
   * The last plan as the service's pending list holds it: each one-way change as the ApplyRun
   * item that carries it out, with its direction (`source` the sending side's entry), and each
   * conflict with A's entry as `source` and B's as `target`.
   */
  planItems(): PlanItem[] {
    const out: PlanItem[] = [];
    for (const d of this.decisions.values()) {
      if (d.action === 'record') continue;
      if (d.action === 'conflict') {
        const a = this.snap('a', d.path);
        const b = this.snap('b', d.path);
        const it: PlanItem = {
          path: d.path,
          kind: a && b ? 'update' : a ? 'create' : 'delete',
          conflict: 'bothChanged',
          twoWay: {
            kind: d.kind,
            inside: d.inside.length,
            ...(d.movedTo !== undefined ? { movedTo: d.movedTo } : {}),
          },
          bytesToWrite: 0,
        };
        if (a) it.source = a;
        if (b) it.target = b;
        const chunks = this.conflictChunks(d.path);
        if (chunks) it.chunks = chunks;
        out.push(it);
        continue;
      }
      const it = this.itemOf(d);
      if (it) out.push({ ...it, direction: d.direction });
    }
    return out;
  }

  /** One direction's ApplyRun, then the baseline of each path it wrote. */
  private applyDirection(direction: Direction, only?: (p: string) => boolean): ApplyResult {
    const all = this.itemsTo(direction);
    const items = only ? all.items.filter((it) => only(it.path)) : all.items;
    const of = all.of;
    if (items.length === 0) return emptyApplyResult();
    const [from, to]: [SideName, SideName] = direction === 'aToB' ? ['a', 'b'] : ['b', 'a'];
    const receiver = this.sides[to].pair!;
    VersionStore.prune(receiver.targetFs, this.opts.retentionDays ?? DEFAULT_RETENTION_DAYS);
    const result = applyPlan(
      {
        pair: { ...receiver, source: this.sides[from].root },
        hasher: this.hasher,
        scheme: this.scheme,
        source: this.sides[from].scan!,
        target: this.sides[to].scan!,
        onProgress: (p) => this.opts.onProgress?.({ phase: 'apply', ...p }),
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      },
      items,
    );
    const notDone = new Set([
      ...result.failed.map((f) => f.path),
      ...result.notAttempted,
      ...result.kept,
    ]);
    const moves: [string, ReconcileEntry | null][] = [];
    for (const it of items) {
      if (notDone.has(it.path)) continue;
      const d = of.get(it.path)!;
      if (d.action === 'move') moves.push([d.from, null]);
      moves.push([d.path, 'entry' in d && d.entry ? d.entry : null]);
    }
    this.writeBase(moves);
    if (result.failed.length === 0 && !result.stopped) receiver.index.setMeta('synced', '1');
    return result;
  }

  /**
   * Keep both: renames the losing file or symlink beside it on its own side, never over an
   * existing name (a hard link, then the old name removed). The loser is the side that is not a
   * folder where the other is, else the older one (B's when both are as old). Returns the new
   * name, or undefined where nothing needs renaming (a deletion against an edit: the edit stays).
   */
  private renameLoser(d: Extract<Decision, { action: 'conflict' }>): string | undefined {
    const na = this.node('a', d.path);
    const nb = this.node('b', d.path);
    if (!na || !nb) return undefined;
    let loser: SideName;
    if (na.type === 'dir') loser = 'b';
    else if (nb.type === 'dir') loser = 'a';
    else loser = na.mtimeMs < nb.mtimeMs ? 'a' : 'b';
    const side = this.sides[loser];
    const t = side.pair!.targetFs;
    const other = this.sides[loser === 'a' ? 'b' : 'a'];
    const seen = side.scan!.walk.entries.get(d.path);
    const st = t.lstat(d.path);
    if (
      !seen ||
      !st ||
      st.type !== seen.type ||
      st.size !== seen.size ||
      st.mtimeMs !== seen.mtimeMs ||
      st.ino !== seen.ino
    )
      throw new RefusalError(
        `${d.path} changed on ${loser.toUpperCase()} since it was compared; run again`,
      );
    const name = conflictName(
      d.path,
      loser.toUpperCase(),
      new Date(),
      (q) => t.lstat(q) !== null || other.pair!.targetFs.lstat(q) !== null,
    );
    renameNoReplace(t, d.path, name);
    t.fsyncDirs([parentOf(d.path)]);
    return name;
  }

  private writeBase(changes: [string, ReconcileEntry | null][]): void {
    if (!changes.length) return;
    this.home.setTwoWayBase(
      changes.map(([p, e]) => [p, e ? { type: TYPE_CODE[e.type], id: e.id } : null]),
    );
    for (const [p, e] of changes) {
      if (e) this.base.set(p, e);
      else this.base.delete(p);
    }
  }

  async close(): Promise<void> {
    this.sides.a.scan = null;
    this.sides.b.scan = null;
    await this.pool.close();
    for (const p of this.opened) p.close();
  }
}

/** Every path strictly below `p` that `m` holds. */
function under(m: ReadonlyMap<string, unknown>, p: string): string[] {
  const prefix = `${p}/`;
  return [...m.keys()].filter((q) => q.startsWith(prefix));
}

/** The stored baseline, dropping any entry whose folder is not in it (that only makes it new). */
function loadBase(index: IdentifierIndex): Map<string, ReconcileEntry> {
  const raw = index.loadTwoWayBase();
  const out = new Map<string, ReconcileEntry>();
  const keys = [...raw.keys()].sort((x, y) => x.length - y.length);
  for (const p of keys) {
    const parent = parentOf(p);
    if (parent !== '' && out.get(parent)?.type !== 'dir') continue;
    const r = raw.get(p)!;
    const type = TYPE_OF_CODE[r.type];
    if (type && type !== 'special') out.set(p, { type, id: r.id });
  }
  return out;
}

/**
 * The pair's mode against the one asked for: a pair synced one way becomes two-way only when a
 * person said so (changeMode), and then starts from its mirror's baseline (every target entry
 * last found equal to the source). Returns that baseline, or null.
 */
function checkMode(
  indexes: IdentifierIndex[],
  pB: OpenPair,
  pA: OpenPair | null,
  opts: TwoWayOptions,
): Map<string, ReconcileEntry> | null {
  if (indexes.some((i) => i.getMeta('mode') === TWO_WAY)) return null;
  const mirrors = [
    { pair: pB, index: pB.index },
    ...(pA ? [{ pair: pA, index: pA.index }] : []),
  ].filter((m) => m.index.getMeta('synced') === '1');
  if (mirrors.length === 0) return null;
  const m = mirrors[0]!;
  if (!opts.changeMode)
    throw new RefusalError(
      `${m.pair.source} → ${m.pair.target} is a one-way pair; to make it two-way (edits in ${m.pair.target} then flow back to ${m.pair.source}) run again with --change-mode`,
    );
  if (!opts.write) return null;
  const seeded = new Map<string, ReconcileEntry>();
  for (const r of m.index.syncedTargetRows()) {
    const type = TYPE_OF_CODE[r.type];
    if (type !== 'file' && type !== 'symlink') continue;
    const id =
      type === 'file'
        ? `${r.id.toString('hex')}:${(r.mode & 0o7777).toString(8)}`
        : r.id.toString('hex');
    seeded.set(r.path, { type, id });
    for (let q = parentOf(r.path); q !== '' && !seeded.has(q); q = parentOf(q))
      seeded.set(q, { type: 'dir', id: '' });
  }
  return seeded;
}

/**
 * Syncthing's name for the losing copy: `report.sync-conflict-20261202-101500-B.txt`, with a
 * number after it where that name is taken.
 */
export function conflictName(
  p: string,
  side: string,
  when: Date,
  taken: (q: string) => boolean,
): string {
  const dir = parentOf(p);
  const name = p.slice(dir ? dir.length + 1 : 0);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${when.getFullYear()}${pad(when.getMonth() + 1)}${pad(when.getDate())}-${pad(when.getHours())}${pad(when.getMinutes())}${pad(when.getSeconds())}`;
  for (let i = 1; ; i++) {
    const q = joinPath(dir, `${stem}.sync-conflict-${stamp}-${side}${i > 1 ? `-${i}` : ''}${ext}`);
    if (!taken(q)) return q;
  }
}

/** Renames a file or symlink, never over an existing name: a hard link, then the old name goes. */
function renameNoReplace(t: TargetFs, from: string, to: string): void {
  t.link(from, to);
  t.unlink(from);
}

/** Two snapshots of one entry as a person was shown it: the same type, id, size and mtime. */
function sameSnap(x: EntrySnapshot | undefined, y: EntrySnapshot | undefined): boolean {
  if (!x || !y) return x === y;
  return x.type === y.type && x.id === y.id && x.size === y.size && x.mtimeMs === y.mtimeMs;
}

/**
 * The opt-in "newer wins" policy: the side whose entry changed last keeps the path (the other's
 * is replaced, and so kept in that side's version store); an edit wins over a deletion, which
 * loses nothing. Ties keep both.
 */
export function newerWins(c: TwoWayConflict): Resolution {
  if (!c.a || !c.b) return 'keepBoth';
  if (c.a.mtimeMs === c.b.mtimeMs) return 'keepBoth';
  return c.a.mtimeMs > c.b.mtimeMs ? 'keepA' : 'keepB';
}
