// The contract between the sync service and every front (Electron IPC, the daemon's WebSocket,
// `tandem watch`): Promise methods that return errors as data, and one tagged union of events.
// The transports are generated from SYNC_API_METHODS; nothing here imports node:, electron or DOM.
import type { ApplyResult, ChangeKind, ConflictResolution, EntryFacts, PlanItem } from './plan.js';

/** Errors cross every boundary as data, with a sentence for the user. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export interface ApiError {
  /** machine-readable: 'notFound' | 'invalid' | 'busy' | 'refused' | 'failed' */
  code: 'notFound' | 'invalid' | 'busy' | 'refused' | 'failed';
  /** what happened and what to do, in one sentence */
  message: string;
}

export type Schedule =
  /** identifiers recomputed as files change (the watcher), plus a rescan every hour */
  { kind: 'onChange' } | { kind: 'interval'; minutes: number } | { kind: 'manual' };

export interface ApprovalPolicy {
  /** apply changes where the target still holds what Tandem last wrote, or nothing */
  autoApprove: boolean;
  /** also auto-apply source deletions (the target still holds what Tandem wrote) */
  autoApproveDeletes: boolean;
  /** never auto-apply more deletions than this in one run */
  maxAutoDeletes: number;
}

/**
 * mirror: the target is kept a copy of the source (noDeletes makes it update mode); twoWay: both
 * folders are sources, each side's changes go to the other, and a path changed on both is a
 * conflict a person resolves.
 */
export type PairMode = 'mirror' | 'twoWay';

export interface PairSettings {
  /** absent in pairs made before two-way pairs existed: mirror */
  mode?: PairMode;
  scheme: string;
  ignore: string[];
  schedule: Schedule;
  policy: ApprovalPolicy;
  retentionDays: number;
  /** re-read files and check stored ids every N days to catch silent corruption; 0 = never */
  scrubDays: number;
  /** update mode: never delete on the target */
  noDeletes: boolean;
  /** extended attributes (user.*, and trusted.* as root), rsync's -X */
  xattrs: boolean;
  /** POSIX ACLs (the system.posix_acl_* attributes), rsync's -A */
  acls: boolean;
  /** names that share a file on the source share it on the target too, rsync's -H */
  hardLinks: boolean;
  /**
   * owners and groups, rsync's -o -g (`--owner`): kept only where the service runs as root;
   * otherwise the pair's status carries one notice saying how many entries differ
   */
  owners: boolean;
  /**
   * a target on another machine (host:path): the ssh command and its options that reach it
   * (rsync's -e; default ssh, with the user's ~/.ssh/config), and the far side's tandem
   * (rsync's --rsync-path; default tandem on its PATH)
   */
  rsh?: string;
  remoteTandem?: string;
}

/** The settings that say how much of each entry beyond its bytes, mode and mtime a pair keeps. */
export type FidelitySettings = Pick<PairSettings, 'xattrs' | 'acls' | 'hardLinks' | 'owners'>;

export const FIDELITY_KEYS = [
  'xattrs',
  'acls',
  'hardLinks',
  'owners',
] as const satisfies readonly (keyof FidelitySettings)[];

export interface PairConfig extends PairSettings {
  id: string;
  source: string;
  target: string;
  paused: boolean;
  createdAt: number;
}

export type PairState =
  'starting' | 'scanning' | 'inSync' | 'pending' | 'syncing' | 'paused' | 'error';

export interface WatcherHealth {
  /**
   * watching (events); starting (the watcher is listing the folders; a scan follows once it is
   * up); polling (periodic rescans cover what cannot be watched); off (manual schedule, paused)
   */
  mode: 'watching' | 'starting' | 'polling' | 'off';
  /** watches the pair needs (parcel takes one per folder; chokidar one per folder and per file) */
  needed: number;
  /** the watcher in use: @parcel/watcher, or chokidar where parcel's binary does not load */
  backend?: 'folders' | 'parcel' | 'chokidar';
  /** the OS limit on watches (inotify max_user_watches), null where there is none */
  limit: number | null;
  /** a sentence when something is wrong, with the fix */
  problem?: string;
}

export interface Progress {
  phase: 'scan' | 'apply';
  bytesDone: number;
  bytesTotal: number;
  itemsDone: number;
  itemsTotal: number;
  /** seconds left, when it can be estimated */
  etaSeconds?: number;
}

export interface PairStatus {
  pairId: string;
  state: PairState;
  pending: number;
  conflicts: number;
  lastScanAt?: number;
  lastSyncAt?: number;
  lastError?: string;
  /**
   * Set while the pair is refused because its target is not the folder it last synced (its
   * .tandem marker is gone, or it is on another disk): a sentence for the person. Nothing is
   * written until they reconnect the right folder or confirm this one (confirmTarget).
   */
  targetChanged?: string;
  watcher: WatcherHealth;
  progress?: Progress;
  /**
   * What the last scan said once about the whole pair rather than per entry (owners that cannot
   * be kept without root, say): sentences for the person, absent when there is nothing to say.
   */
  notices?: string[];
}

/** A pending change: a plan item with its approval, bound to the ids it was shown with. */
export interface PendingChange extends PlanItem {
  pairId: string;
  /**
   * This change's revision: derived from its kind, path and both sides' ids (what sameChange
   * compares), so it moves on whenever the change does. An approval names it (Selection).
   */
  rev: string;
  /** set by a person, or by the pair's policy */
  approved: boolean;
  /** why the policy will not apply it on its own, if it will not */
  needsPerson?: string;
  /** when Tandem first saw this change */
  since: number;
}

/** One pair's pending list (a list's revision is per pair, and so is what can be approved). */
export interface PendingQuery {
  pairId: string;
  kinds?: ChangeKind[];
  conflictsOnly?: boolean;
  pathContains?: string;
  sort?: 'path' | 'size' | 'kind';
  offset?: number;
  limit?: number;
}

export interface PendingPage {
  /** changes matching the query */
  total: number;
  /** over every matching change, not just this page */
  conflicts: number;
  bytesToWrite: number;
  items: PendingChange[];
  /** the pair's pending list this page was read from (a new one if its state was lost) */
  listId: string;
  /**
   * The list's revision when this page was read: it grows whenever a change enters the list or
   * moves on. "Approve all" names it, and approves only what was already listed, unchanged, then.
   */
  revision: number;
}

/** One pending change as a person was shown it. */
export interface ShownChange {
  path: string;
  /** the change's `rev` as listed */
  rev: string;
}

/** A pair's whole pending list as a person was shown it, under the filter it was shown with. */
export interface ShownList {
  /** from the PendingPage(s) shown; with several, the oldest revision */
  listId: string;
  revision: number;
  kinds?: ChangeKind[];
  conflictsOnly?: boolean;
  pathContains?: string;
  /** rows the person unticked */
  except?: string[];
}

/**
 * Which pending changes of a pair an approve or reject applies to: always what a person was
 * shown, never "whatever is pending at the click". Exactly one of `changes` and `list`.
 */
export interface Selection {
  pairId: string;
  /** rows picked one by one */
  changes?: ShownChange[];
  /** every row of the list as shown */
  list?: ShownList;
}

/** What an approve or reject did with a Selection. */
export interface SelectionOutcome {
  /** changes approved (or rejected) as shown */
  done: number;
  /**
   * Changes left alone because they moved on (or appeared) since they were shown: still pending,
   * not approved. The first PENDING_EVENT_LIMIT paths, and how many there were.
   */
  changed: string[];
  changedCount: number;
  /** changes shown that are no longer pending (applied or gone meanwhile) */
  gone: number;
}

/**
 * One thing Tandem did to a pair's target. Its EntryFacts say what the entry was (each absent in
 * history kept before it was recorded, and where it says nothing: a plain file's link text).
 */
export interface HistoryEntry extends EntryFacts {
  pairId: string;
  time: number;
  path: string;
  kind: ChangeKind;
  /** a move: the path it moved from */
  from?: string;
  /** bytes written into the target: a restore's is the restored version's size */
  bytes: number;
  outcome: 'applied' | 'failed' | 'rejected' | 'restored';
  /** why it failed, in words for a person */
  message?: string;
  /**
   * What this change replaced or deleted on the target was kept in the version store first, so
   * the path has a version to show (unless it has expired since). New files and folders have none.
   */
  keptVersion: boolean;
  /** a restore: when the version it put back had been kept */
  restoredFrom?: number;
}

export interface VersionInfo {
  pairId: string;
  path: string;
  /** the version's folder in the store */
  run: string;
  stored: string;
  time: number;
  size: number;
  kind: 'file' | 'symlink' | 'dir' | 'chunks';
  /** a two-way pair's versions are kept on both sides: 'source' is A's store, 'target' B's */
  side?: 'source' | 'target';
}

export interface ServiceSettings {
  /** pause every pair's automatic syncing */
  pausedAll: boolean;
}

export interface AddPairInput extends Partial<PairSettings> {
  source: string;
  target: string;
}

/** A folder's subfolders, for choosing folders where no native picker exists (the browser UI). */
export interface FolderListing {
  /** the absolute path listed */
  path: string;
  /** its parent, null at a filesystem root */
  parent: string | null;
  /** names of the subfolders (symlinks to folders included), sorted, hidden ones last */
  folders: string[];
  /** the user's home folder, where browsing starts */
  home: string;
}

/** Two folders as a pair would hold them (realpaths), or a refusal that says why they cannot be one. */
export interface PairCheck {
  source: string;
  target: string;
  /** false: the target does not exist yet and the first sync creates it */
  targetExists: boolean;
}

export interface AboutInfo {
  version: string;
  /** Tandem's state folder: pair registry, indexes, the daemon's token */
  home: string;
  platform: string;
  /** the runtime versions the engine runs on */
  runtime: string;
}

/** The end of the service's log, for a UI that cannot open the file itself (the browser). */
export interface LogTail {
  /** the log file on the machine that runs Tandem ($TANDEM_HOME/logs/tandem.log) */
  path: string;
  /** its last lines, oldest first: one JSON object each */
  lines: string[];
}

export interface SyncApi {
  listPairs(): Promise<Result<PairConfig[]>>;
  addPair(input: AddPairInput): Promise<Result<PairConfig>>;
  updatePair(pairId: string, patch: Partial<PairSettings>): Promise<Result<PairConfig>>;
  removePair(pairId: string): Promise<Result<null>>;
  pausePair(pairId: string, paused: boolean): Promise<Result<PairConfig>>;
  /** recompute identifiers now (and apply what the policy approves) */
  scanNow(pairId: string): Promise<Result<PairStatus>>;
  /** apply every approved pending change of the pair now */
  syncNow(pairId: string): Promise<Result<ApplyResult>>;
  /**
   * A person says the refused target (PairStatus.targetChanged) is the right folder: the next
   * cycle accepts it, treating everything in it as unknown (nothing is replaced without approval).
   * Separate from approving held changes on purpose. Resolves with the status after that cycle.
   */
  confirmTarget(pairId: string): Promise<Result<PairStatus>>;
  status(): Promise<Result<PairStatus[]>>;
  listPending(query: PendingQuery): Promise<Result<PendingPage>>;
  /** approves what was shown (and applies it after a fresh scan); see SelectionOutcome */
  approve(sel: Selection): Promise<Result<SelectionOutcome>>;
  reject(sel: Selection): Promise<Result<SelectionOutcome>>;
  /**
   * Resolves a two-way pair's conflict as a person was shown it (its rev): keep A's, keep B's, or
   * keep both (the older copy renamed beside it). Carried out at once, after a fresh scan that
   * keeps it only while both sides still hold what was shown.
   */
  resolveConflict(
    pairId: string,
    change: ShownChange,
    resolution: ConflictResolution,
  ): Promise<Result<null>>;
  setPolicy(pairId: string, policy: ApprovalPolicy): Promise<Result<PairConfig>>;
  listHistory(pairId: string, offset?: number, limit?: number): Promise<Result<HistoryEntry[]>>;
  listVersions(pairId: string, path: string): Promise<Result<VersionInfo[]>>;
  /** `side` names a two-way pair's side whose store holds the version (default the target, B) */
  restoreVersion(
    pairId: string,
    path: string,
    run: string,
    stored: string,
    side?: 'source' | 'target',
  ): Promise<Result<null>>;
  watcherHealth(pairId: string): Promise<Result<WatcherHealth>>;
  getSettings(): Promise<Result<ServiceSettings>>;
  updateSettings(patch: Partial<ServiceSettings>): Promise<Result<ServiceSettings>>;
  /** would these two folders make a pair? (same refusals as `tandem sync`) */
  checkPair(source: string, target: string): Promise<Result<PairCheck>>;
  /** subfolders of a folder (null: the home folder) for the UI's folder browser */
  browseFolder(path: string | null): Promise<Result<FolderListing>>;
  about(): Promise<Result<AboutInfo>>;
  /** where the service's log is, and its last `lines` lines (default 200, at most 1,000) */
  logTail(lines?: number): Promise<Result<LogTail>>;
}

/** Every method, from which the IPC channels, the preload bridge and the WebSocket are generated. */
export const SYNC_API_METHODS = [
  'listPairs',
  'addPair',
  'updatePair',
  'removePair',
  'pausePair',
  'scanNow',
  'syncNow',
  'confirmTarget',
  'status',
  'listPending',
  'approve',
  'reject',
  'resolveConflict',
  'setPolicy',
  'listHistory',
  'listVersions',
  'restoreVersion',
  'watcherHealth',
  'getSettings',
  'updateSettings',
  'checkPair',
  'browseFolder',
  'about',
  'logTail',
] as const satisfies readonly (keyof SyncApi)[];

/** Compile-time check that SYNC_API_METHODS names every method of SyncApi. */
type MissingMethods = Exclude<keyof SyncApi, (typeof SYNC_API_METHODS)[number]>;
export const SYNC_API_COMPLETE: [MissingMethods] extends [never] ? true : MissingMethods = true;

export type SyncEvent =
  | { type: 'pairStatus'; status: PairStatus }
  | { type: 'pairsChanged'; pairs: PairConfig[] }
  | {
      type: 'pendingChanged';
      pairId: string;
      /**
       * New or changed pending changes, the first PENDING_EVENT_LIMIT of them: an event is a
       * nudge to refetch (listPending), not the list itself; 100,000 changes would be 30 MB.
       */
      added: PendingChange[];
      addedCount: number;
      /** paths no longer pending, the first PENDING_EVENT_LIMIT of them */
      removed: string[];
      removedCount: number;
      total: number;
    }
  | { type: 'progress'; pairId: string; progress: Progress }
  | { type: 'applied'; pairId: string; result: ApplyResult; movedData: boolean }
  | { type: 'error'; pairId?: string; message: string }
  | { type: 'watcherHealth'; pairId: string; health: WatcherHealth }
  /** service settings changed (from any front: the app, the daemon's UI) */
  | { type: 'settingsChanged'; settings: ServiceSettings };

export const SYNC_EVENT_TYPES = [
  'pairStatus',
  'pairsChanged',
  'pendingChanged',
  'progress',
  'applied',
  'error',
  'watcherHealth',
  'settingsChanged',
] as const satisfies readonly SyncEvent['type'][];

/** The most items a pendingChanged event carries in `added` and in `removed`. */
export const PENDING_EVENT_LIMIT = 100;

export const DEFAULT_POLICY: ApprovalPolicy = {
  autoApprove: false,
  autoApproveDeletes: false,
  maxAutoDeletes: 100,
};
