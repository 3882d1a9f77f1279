// The plan: what a sync would change on the target, as serialisable data.
// Shared by the engine (which makes and applies it), the CLI (which prints it) and the UI.

/** One of a pair's two folders. */
export type Side = 'source' | 'target';

/**
 * What an entry is. 'special' (a FIFO, socket or device) is listed on the target only: it holds no
 * bytes, so it may be removed or replaced there without ever being opened. The source's are
 * skipped with a reason.
 */
export type EntryType = 'file' | 'dir' | 'symlink' | 'special';

/** What one side holds at a path, as far as the plan needs it. Ids are lowercase hex. */
export interface EntrySnapshot {
  type: EntryType;
  /** file: file id; dir: folder id; symlink: id of the link text */
  id: string;
  size: number;
  mtimeMs: number;
  mode: number;
  /** symlinks only */
  linkTarget?: string;
  /** files whose bytes on disk are fewer than their size (sparse): the bytes allocated */
  allocated?: number;
  /** owner and group ids, where the pair keeps them */
  owner?: { uid: number; gid: number };
  /** a file with other names on its side (-H): the first path of its hard-link group */
  linkGroup?: string;
}

export type ChangeKind =
  /** the path is absent on the target */
  | 'create'
  /** a file whose content differs; `chunks` says which */
  | 'update'
  /** the target holds another type (file ↔ folder ↔ symlink) */
  | 'replaceType'
  /** only mode bits or mtime differ */
  | 'metadata'
  /** the path exists only on the target */
  | 'delete'
  /** a target file moved to where the source now has it (same file id): applied as a rename */
  | 'rename';

/**
 * Why an item needs a person even where a pair auto-approves.
 * - targetEdited: the target changed since Tandem last wrote it or found it in sync
 * - targetUnknown: the target holds data Tandem never saw in sync (first sync into a non-empty folder)
 */
export type ConflictReason = 'targetEdited' | 'targetUnknown' | 'bothChanged';

/** Which way a two-way pair's change goes: A's entry written on B, or B's on A. */
export type Direction = 'aToB' | 'bToA';

/** How a person resolves a two-way conflict (keep both renames the older copy beside it). */
export type ConflictResolution = 'keepA' | 'keepB' | 'keepBoth';

/**
 * What a two-way conflict is (core/plan/reconcile): created on both sides differently, changed
 * on both, deleted on one and changed on the other, or a type change against another change.
 */
export interface TwoWayConflictFacts {
  kind: 'bothCreated' | 'bothModified' | 'deletedChanged' | 'typeChanged';
  /** the side that deleted the file holds it under this name now */
  movedTo?: string;
  /** how many paths below wait for this conflict */
  inside: number;
}

export interface ChunkDiff {
  chunkSize: number;
  /** chunks in the source file */
  total: number;
  /** indexes of source chunks that differ from (or are missing on) the target */
  changed: number[];
}

export interface PlanItem {
  path: string;
  kind: ChangeKind;
  source?: EntrySnapshot;
  target?: EntrySnapshot;
  conflict?: ConflictReason;
  /** for 'update': which chunks differ */
  chunks?: ChunkDiff;
  /** for 'rename': the target path it moves from */
  from?: string;
  /** create or update as a hard link to this path (written first), as in the source (-H) */
  linkTo?: string;
  /** bytes the apply will write into the target tree (not counting journal and versions) */
  bytesToWrite: number;
  /** for 'metadata': which kinds of metadata differ */
  differs?: MetadataField[];
  /**
   * A two-way pair's change: the way it goes. `source` is then the sending side's entry and
   * `target` the receiving side's (A's and B's for aToB, B's and A's for bToA).
   */
  direction?: Direction;
  /**
   * A two-way pair's conflict (`conflict` is 'bothChanged'): `source` is A's entry and `target`
   * B's, either absent where that side has none. Resolved by a person, never approved as is.
   */
  twoWay?: TwoWayConflictFacts;
}

/** A kind of metadata compared apart from the content (xattr: extended attributes and ACLs). */
export type MetadataField = 'mode' | 'mtime' | 'xattr' | 'owner';

/**
 * What a change's entry is, where its path alone does not say: the pending list shows these from
 * the plan item, the history stores them with each row (so a row says the same after the item is
 * gone).
 */
export interface EntryFacts {
  /** what the path holds (a deletion: what it held) */
  entry?: EntryType;
  /** a type change: what the target held before */
  replaced?: EntryType;
  /** a symlink's text */
  linkTarget?: string;
  /** another name of a hard-link group: the name it is a link to */
  linkTo?: string;
  /** a metadata change: which kinds differ */
  differs?: MetadataField[];
}

/** The facts of a plan item's entry, with only the fields that say something. */
export function entryFacts(
  it: Pick<PlanItem, 'kind' | 'source' | 'target' | 'linkTo' | 'differs'>,
): EntryFacts {
  const shown = it.kind === 'delete' ? it.target : (it.source ?? it.target);
  const f: EntryFacts = {};
  if (shown) f.entry = shown.type;
  if (it.kind === 'replaceType' && it.target) f.replaced = it.target.type;
  if (shown?.type === 'symlink' && shown.linkTarget !== undefined) f.linkTarget = shown.linkTarget;
  if (it.linkTo !== undefined) f.linkTo = it.linkTo;
  if (it.kind === 'metadata' && it.differs?.length) f.differs = [...it.differs];
  return f;
}

/** massDelete: more than half of the target (above a floor); maxDelete: more than --max-delete */
export type HoldReason = 'sourceEmpty' | 'massDelete' | 'maxDelete' | 'diskSpace';

export interface Hold {
  reason: HoldReason;
  message: string;
}

/** An entry the scan could not read or will not sync; nothing at or below it on the target is touched. */
export interface Skipped {
  side: Side;
  path: string;
  reason: string;
  /** true when the entry's content is unknown (unreadable), false when it is deliberately not synced */
  unknown: boolean;
}

export interface PlanSummary {
  create: number;
  update: number;
  replaceType: number;
  metadata: number;
  delete: number;
  rename: number;
  conflicts: number;
  bytesToWrite: number;
}

export interface Plan {
  source: string;
  target: string;
  scheme: string;
  /** the source and target root folder ids; equal ids mean the pair is in sync */
  sourceRootId: string;
  targetRootId: string;
  items: PlanItem[];
  skipped: Skipped[];
  holds: Hold[];
  summary: PlanSummary;
  /** things a person should know about the whole run, said once (not per entry) */
  notices?: string[];
}

export interface ItemFailure {
  path: string;
  message: string;
}

export interface ApplyResult {
  applied: number;
  /** items that were tried and not applied, each with its reason */
  failed: ItemFailure[];
  /** why the run stopped before the end of the plan (a full disk, a cancel), or null */
  stopped: string | null;
  /** paths of the items not tried because the run stopped */
  notAttempted: string[];
  /** folder deletions left undone on purpose: the folder still holds entries that were kept */
  kept: string[];
  bytesWritten: number;
  /** bytes written to the journal and version store in `.tandem/` */
  bytesJournaled: number;
  bytesVersioned: number;
  patchedInPlace: number;
  renamedIntoPlace: number;
}

/** A result with nothing applied yet. */
export function emptyApplyResult(): ApplyResult {
  return {
    applied: 0,
    failed: [],
    stopped: null,
    notAttempted: [],
    kept: [],
    bytesWritten: 0,
    bytesJournaled: 0,
    bytesVersioned: 0,
    patchedInPlace: 0,
    renamedIntoPlace: 0,
  };
}

/** Several runs' results as one (a "sync now" that took more than one cycle). */
export function mergeApplyResults(results: readonly ApplyResult[]): ApplyResult {
  const m = emptyApplyResult();
  for (const r of results) {
    m.applied += r.applied;
    m.failed.push(...r.failed);
    m.stopped ??= r.stopped;
    m.notAttempted.push(...r.notAttempted);
    m.kept.push(...r.kept);
    m.bytesWritten += r.bytesWritten;
    m.bytesJournaled += r.bytesJournaled;
    m.bytesVersioned += r.bytesVersioned;
    m.patchedInPlace += r.patchedInPlace;
    m.renamedIntoPlace += r.renamedIntoPlace;
  }
  return m;
}

export function summarize(items: readonly PlanItem[]): PlanSummary {
  const s: PlanSummary = {
    create: 0,
    update: 0,
    replaceType: 0,
    metadata: 0,
    delete: 0,
    rename: 0,
    conflicts: 0,
    bytesToWrite: 0,
  };
  for (const it of items) {
    s[it.kind]++;
    if (it.conflict) s.conflicts++;
    s.bytesToWrite += it.bytesToWrite;
  }
  return s;
}
