// One live pair: its watcher and timers trigger scan → plan → pending → (policy or person
// approves) → apply cycles, one at a time; every step is reported as SyncEvents. Each cycle takes
// the pair's lock only while it runs, so the CLI can still sync the pair in between.
import { progressFraction } from '../../shared/format.js';
import fs from 'node:fs';
import path from 'node:path';
import {
  mergeApplyResults,
  summarize,
  type ApplyResult,
  type ConflictResolution,
  type Plan,
  type PlanItem,
} from '../../shared/plan.js';
import { parseLocation, type RemoteLocation } from '../../shared/remoteAddress.js';
import { splitCommand } from '../../shared/command.js';
import { appVersion } from '../core/runtime/appVersion.js';
import { RemoteError, type ConnectOptions } from '../remote/connection.js';
import {
  RemoteBusyError,
  RemoteSession,
  type RemoteProgress,
  type RemoteSessionOptions,
} from '../remote/remoteSession.js';
import { isRemoteSource, isRemoteTarget, remoteSourcePair } from './pairRegistry.js';
import { RemoteSourceSession } from '../remote/remoteSourceSession.js';
import { FarWatch } from '../remote/farWatch.js';
import {
  FIDELITY_KEYS,
  PENDING_EVENT_LIMIT,
  type PairConfig,
  type PairStatus,
  type PendingChange,
  type Progress,
  type Selection,
  type SelectionOutcome,
  type ShownChange,
  type SyncEvent,
  type WatcherHealth,
} from '../../shared/syncApi.js';
import { decideApprovals } from './approvalPolicy.js';
import { openPair, RefusalError, resolvePair } from '../pair/pair.js';
import { PairBusyError } from '../pair/pairLock.js';
import { PendingStore } from './pendingStore.js';
import { SyncSession, type SessionProgress } from '../pair/syncSession.js';
import { TwoWaySession, type TwoWayPlan } from '../pair/twoWaySession.js';
import { parentOf } from '../core/scan/tree.js';
import { withPendingMoves } from '../core/scan/region.js';
import { releaseMemory } from '../core/runtime/releaseMemory.js';
import { RESCAN_INTERVAL_MS } from '../watch/watchLimits.js';
import {
  listVersions,
  type RestoreOptions,
  type RestoreResult,
  type VersionListing,
} from '../core/target/versionRestore.js';
import { remoteRestore, remoteVersions } from '../remote/farVersions.js';
import { historyOf } from './historyStore.js';
import { isTargetChanged, targetChangedSentence } from './targetRefusal.js';
import type { Logger } from './serviceLog.js';

/** What the runner needs from a watcher (PairWatcher in production, fakes in unit tests). */
export interface WatcherLike {
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface WatcherCallbacks {
  /** these paths (relative to either root) changed; none named: anything may have, walk the pair */
  onChanges: (paths?: readonly string[]) => void;
  onHealth: (h: WatcherHealth) => void;
  onError: (message: string) => void;
}

export type WatcherFactory = ((pair: PairConfig, cb: WatcherCallbacks) => WatcherLike) & {
  /**
   * The watcher is up in seconds on any pair: the first cycle waits for it, so one walk starts
   * the pair instead of two (one before the watcher, one once it is up).
   */
  startsQuickly?: boolean;
};

export interface RunnerDeps {
  home: string;
  emit: (e: SyncEvent) => void;
  /** the service log, bound to this pair */
  log: Logger;
  watcherFactory: WatcherFactory | null;
  /** hash threads per cycle (tests use 0: inline) */
  threads?: number;
  /** how often a pair that cannot be watched is rescanned */
  pollMs?: number;
  /** a pull pair waits at least this many times its last comparison's length (PULL_DUTY) */
  pullDuty?: number;
  /** tests: the backoff of a far source's watch between tries (FAR_WATCH_RETRY_MS) */
  farWatchRetry?: { first: number; max: number };
  /** a source file modified less than this long ago is still being written: wait for it */
  quietMs?: number;
}

const HOUR = 3_600_000;
/** More changed paths than this before a cycle: it walks the pair instead of listing their folders. */
const MAX_CHANGED = 10_000;
const BUSY_RETRY_MS = 5_000;
const REMOTE_RETRY_MS = 5_000;
/** A pull pair waits at least this many times its last comparison's length before the next. */
const PULL_DUTY = 20;
const REMOTE_RETRY_MAX_MS = 5 * 60_000;

/** What a cycle needs of its session: a local pair's SyncSession, or a remote target's. */
interface CycleSession {
  pair: { targetExists: boolean; recovery: { rolledBack: string[]; problems: string[] } };
  planChanged: SyncSession['planChanged'];
  plan(): Promise<Plan>;
  linkedFiles: number;
  sourceByteNames: number;
  apply(items: PlanItem[]): ApplyResult | Promise<ApplyResult>;
  close(): Promise<void>;
}
const QUIET_MS = 1_000;

/**
 * Splits off changes whose source file was modified within `quietMs`: a file still being written
 * must never be synced half-done, whatever triggered the scan. Returns them with the time until
 * the youngest has been quiet long enough. An mtime far in the future is a clock oddity, not a
 * write in progress, and does not hold a file back.
 */
export function deferUnsettled(
  items: PlanItem[],
  now: number,
  quietMs: number,
): { ready: PlanItem[]; waitMs: number | null } {
  let wait: number | null = null;
  const ready = items.filter((it) => {
    const m = it.source?.type === 'file' && it.kind !== 'delete' ? it.source.mtimeMs : null;
    if (m === null || m > now + 2_000 || now - m >= quietMs) return true;
    const w = quietMs - Math.max(0, now - m);
    wait = wait === null ? w : Math.max(wait, w);
    return false;
  });
  return { ready, waitMs: wait };
}

export class PairRunner {
  private store: PendingStore;
  private watcher: WatcherLike | null = null;
  /** a pull pair's watch of its far source, and whether it is up (farWatch.ts) */
  private farWatch: FarWatch | null = null;
  private farWatchUp = false;
  private timers: NodeJS.Timeout[] = [];
  private pollTimer: NodeJS.Timeout | null = null;
  /** a pull pair's next comparison (schedulePull), and how long the last one took */
  private pullTimer: NodeJS.Timeout | null = null;
  private lastPullMs = 0;
  /** notices already said (noticeOnce) */
  private readonly said = new Set<string>();
  private running: Promise<void> | null = null;
  /** cancels the cycle under way (its scan or apply) when the pair is paused, removed or moved */
  private cycleAbort: AbortController | null = null;
  private again = false;
  private applyApproved = false;
  /**
   * What the next cycle must look at. A full cycle walks both sides; otherwise it lists only
   * the folders of the paths in `changed` (SyncSession.planChanged), which is sound only while
   * the watcher has covered the pair without a gap since a full walk began (`watchedSinceFull`).
   */
  private full = true;
  private changed = new Set<string>();
  /** the watcher is up and watching (not starting, not polling, not failed) */
  private watchUp = false;
  private watchedSinceFull = false;
  /** files with more than one name that the last walk found (null: no walk yet) */
  private linkedFiles: number | null = null;
  private stopped = false;
  /** a person confirmed the refused target: the next cycle that opens the pair accepts it */
  private confirmTarget = false;
  /** apply results since syncNow started waiting */
  private results: ApplyResult[] = [];
  status: PairStatus;

  constructor(
    public pair: PairConfig,
    private readonly deps: RunnerDeps,
  ) {
    this.store = new PendingStore(
      path.join(deps.home, 'pairs', `${pair.id}.state.sqlite`),
      pair.id,
    );
    const pending = this.store.all();
    this.status = {
      pairId: pair.id,
      state: pair.paused ? 'paused' : 'starting',
      pending: pending.length,
      conflicts: pending.filter((p) => p.conflict).length,
      watcher: { mode: 'off', needed: 0, limit: null },
    };
  }

  /** Resolves once the watcher is up (or known to be unavailable); `stop` waits for it. */
  watcherReady: Promise<void> = Promise.resolve();

  /**
   * Runs the first scan and starts watching and scheduling. chokidar needs seconds on a large
   * tree (about 4 s for 20,000 files), and the first scan does not wait for it: what changes
   * while the watcher starts is seen by neither, so a second scan follows once it is ready (a
   * warm one: the index vouches for every file the first scan hashed). A watcher that starts
   * quickly (parcel) is waited for, and one walk begun with it up starts the pair.
   */
  start(): void {
    this.stopped = false;
    const pending = this.store.all();
    if (pending.length) this.emitPending(pending, [], pending.length);
    this.begin();
  }

  private begin(): void {
    if (this.pair.paused) {
      this.setState('paused');
      return;
    }
    this.schedule();
    const waits = this.deps.watcherFactory?.startsQuickly === true;
    if (!waits) void this.requestCycle(false);
    const go = (): void => {
      if (!this.stopped && (this.watcher || waits)) void this.requestCycle(false);
    };
    this.watcherReady = this.startWatching().then(go, (e: unknown) => {
      this.deps.log.warn({ err: e }, 'cannot start watching');
      go();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watchGap();
    this.cycleAbort?.abort();
    await this.watcherReady.catch(() => undefined);
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.pollTimer = null;
    this.pullTimer = null;
    await this.watcher?.close();
    this.watcher = null;
    await this.closeFarWatch();
    await this.running?.catch(() => undefined);
    this.store.close();
  }

  /** Applies new settings (restarting watcher and timers as needed). */
  async reconfigure(pair: PairConfig): Promise<void> {
    const old = this.pair;
    // A cycle of the old settings must not go on writing for a paused or re-rooted pair, nor
    // scanning under rules the next cycle drops (its folder ids would be computed again anyway).
    if (
      pair.paused ||
      pair.source !== old.source ||
      pair.target !== old.target ||
      pair.scheme !== old.scheme ||
      (pair.mode ?? 'mirror') !== (old.mode ?? 'mirror') ||
      JSON.stringify(pair.ignore) !== JSON.stringify(old.ignore) ||
      FIDELITY_KEYS.some((k) => pair[k] !== old[k])
    )
      this.cycleAbort?.abort();
    await this.watcherReady.catch(() => undefined);
    if ((pair.mode ?? 'mirror') !== (old.mode ?? 'mirror')) this.resolutions.clear();
    this.pair = pair;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.pollTimer = null;
    this.pullTimer = null;
    this.watchGap();
    await this.watcher?.close();
    this.watcher = null;
    await this.closeFarWatch();
    this.begin();
  }

  private async startWatching(): Promise<void> {
    // A new pair's target may not exist yet; it is created (empty) so that it can be watched. A
    // target this pair has used before is never made anew: missing, it is an unmounted disk,
    // and an empty folder at its place would be taken for it (the engine refuses it instead).
    // A target on another machine is neither made nor watched from here.
    const remote = isRemoteTarget(this.pair.target);
    if (!remote && !fs.existsSync(this.pair.target) && !this.usedTarget()) {
      try {
        fs.mkdirSync(this.pair.target);
      } catch {
        /* the first cycle reports why the target cannot be created */
      }
    }
    if (!this.deps.watcherFactory || this.pair.schedule.kind !== 'onChange') {
      this.status.watcher = { mode: 'off', needed: 0, limit: null };
      return;
    }
    // A source on another machine is watched by the Tandem there, over a connection of its own
    // (farWatch.ts); while that watch is down, or where the far Tandem cannot watch, the pair is
    // compared every minute (an unchanged far source costs its own walk there and the root ids
    // here).
    if (isRemoteSource(this.pair.source)) {
      this.status.watcher = { mode: 'polling', needed: 0, limit: null };
      this.schedulePull();
      this.watchFarSource();
      return;
    }
    let up = false;
    let last: WatcherHealth = { mode: 'off', needed: 0, limit: null };
    const report = (h: WatcherHealth) => {
      last = h;
      // Until chokidar has listed both folders, an edit may go unseen: say "starting".
      this.status.watcher = !up && h.mode === 'watching' ? { ...h, mode: 'starting' } : h;
      this.deps.emit({ type: 'watcherHealth', pairId: this.pair.id, health: this.status.watcher });
    };
    this.watcher = this.deps.watcherFactory(this.pair, {
      onChanges: (paths) => {
        if (paths) this.markChanged(paths);
        void this.requestCycle(false, false, paths === undefined);
      },
      onHealth: (h) => {
        report(h);
        if (h.mode !== 'watching') this.watchGap();
        if (h.mode === 'polling') this.startPolling();
      },
      onError: (message) => {
        this.watchGap();
        this.problem(`watching: ${message}; rescanning`);
        void this.requestCycle(false);
      },
    });
    try {
      await this.watcher.start();
      up = true;
      this.watchUp = last.mode === 'watching';
      if (last.mode === 'watching') report(last);
    } catch (e) {
      this.deps.log.warn({ err: e }, 'cannot watch; rescanning every minute instead');
      this.status.watcher = {
        mode: 'polling',
        needed: 0,
        limit: null,
        problem: `cannot watch this pair (${(e as Error).message}); Tandem rescans it every minute instead`,
      };
      this.startPolling();
    }
  }

  /** Whether a cycle has opened this pair's target (or, in state kept before that was recorded,
   *  anything was ever applied to it). */
  private usedTarget(): boolean {
    return this.store.getMeta('targetUsed') === '1' || this.store.history.list(0, 1).length > 0;
  }

  /** Starts the far side's watch of a pull pair's source; its state is the pair's watcher's. */
  private watchFarSource(): void {
    const where = parseLocation(this.pair.source);
    if (where.kind !== 'remote') return;
    const report = (h: WatcherHealth) => {
      this.status.watcher = h;
      this.deps.emit({ type: 'watcherHealth', pairId: this.pair.id, health: h });
    };
    const fw = new FarWatch(
      where,
      this.connectOptions(),
      this.pair.ignore,
      {
        onChange: () => void this.requestCycle(false),
        onState: (st) => {
          this.farWatchUp = st.kind === 'up' && st.health.mode === 'watching';
          if (st.kind === 'up') report({ ...st.health, problem: undefined });
          else
            report({
              mode: 'polling',
              needed: 0,
              limit: null,
              problem:
                st.kind === 'down'
                  ? `${st.problem}; compared every minute until the watch there is up again (next try in ${Math.round(st.retryMs / 1000)} s)`
                  : st.problem,
            });
        },
      },
      this.deps.farWatchRetry,
    );
    this.farWatch = fw;
    fw.start();
  }

  /**
   * A pull pair's next comparison: a minute after the last one ended, or PULL_DUTY times as long
   * as it took if that is more, so that the far side's walk of a large source keeps that machine
   * busy a twentieth of the time at most (a walk of a million files there takes tens of seconds).
   */
  private schedulePull(): void {
    if (this.stopped || this.pullTimer) return;
    const wait = Math.max(
      this.deps.pollMs ?? RESCAN_INTERVAL_MS,
      (this.deps.pullDuty ?? PULL_DUTY) * this.lastPullMs,
    );
    const t = setTimeout(() => {
      this.timers = this.timers.filter((x) => x !== t);
      // While the far side watches the source, its changes start the cycles (and the hourly
      // rescan stands behind it): the timer only waits for the watch to fail.
      if (this.farWatchUp) {
        if (this.pullTimer === t) this.pullTimer = null;
        this.schedulePull();
        return;
      }
      const t0 = performance.now();
      void this.requestCycle(false).finally(() => {
        this.lastPullMs = performance.now() - t0;
        if (this.pullTimer === t) this.pullTimer = null;
        this.schedulePull();
      });
    }, wait);
    t.unref();
    this.pullTimer = t;
    this.timers.push(t);
  }

  private async closeFarWatch(): Promise<void> {
    const fw = this.farWatch;
    this.farWatch = null;
    this.farWatchUp = false;
    await fw?.close();
  }

  /** Rescans on a timer where the watcher cannot cover the pair (at most one such timer). */
  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(
      () => void this.requestCycle(false),
      this.deps.pollMs ?? RESCAN_INTERVAL_MS,
    );
    this.pollTimer.unref();
    this.timers.push(this.pollTimer);
  }

  private schedule(): void {
    const s = this.pair.schedule;
    // Correctness never depends on the watcher: an on-change pair is also rescanned hourly.
    if (s.kind === 'onChange') this.every(HOUR, () => void this.requestCycle(false));
    if (s.kind === 'interval') this.every(s.minutes * 60_000, () => void this.requestCycle(false));
    if (this.pair.scrubDays > 0) this.every(HOUR, () => void this.maybeScrub());
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  /** The watcher may have missed something: until a full walk begins, no cycle trusts the index. */
  private watchGap(): void {
    this.watchUp = false;
    this.watchedSinceFull = false;
    this.full = true;
  }

  /** Paths the next cycle looks at (too many, and it walks the pair). */
  private markChanged(paths: Iterable<string>): void {
    for (const p of paths) this.changed.add(p);
    if (this.changed.size > MAX_CHANGED) this.full = true;
  }

  /**
   * Runs a cycle now, or once more after the running one (bursts collapse into one rerun). A
   * `full` cycle walks both sides; the watcher asks for one that looks at what it named.
   */
  requestCycle(applyApproved: boolean, verifyStored = false, full = true): Promise<void> {
    if (applyApproved) this.applyApproved = true;
    if (full) this.full = true;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const apply = this.applyApproved;
        this.applyApproved = false;
        await this.cycle(apply, verifyStored);
        verifyStored = false;
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async maybeScrub(): Promise<void> {
    const last = Number(this.store.getMeta('lastScrubAt') ?? 0);
    if (Date.now() - last < this.pair.scrubDays * 24 * HOUR) return;
    await this.requestCycle(false, true);
    this.store.setMeta('lastScrubAt', String(Date.now()));
  }

  private async cycle(applyApproved: boolean, verifyStored: boolean): Promise<void> {
    if (this.stopped) return;
    // What this cycle looks at: the paths named since the last one, or (where that is not enough
    // to know the pair) all of it. A full walk begun while the watcher is up covers every gap.
    const full = this.full || !this.watchedSinceFull || applyApproved || verifyStored;
    const changed = this.changed;
    const watchedThroughout = this.watchUp;
    this.changed = new Set();
    this.full = false;
    this.setState('scanning');
    const abort = new AbortController();
    this.cycleAbort = abort;
    const t0 = performance.now();
    const ms = (from: number) => Math.round(performance.now() - from);
    let session: CycleSession;
    try {
      const confirmTarget = this.confirmTarget;
      const onProgress = (p: RemoteProgress) => {
        const progress =
          p.phase === 'scan'
            ? {
                phase: 'scan' as const,
                bytesDone: p.bytesDone,
                bytesTotal: p.bytesTotal,
                itemsDone: 0,
                itemsTotal: p.files,
              }
            : p.phase === 'transfer'
              ? {
                  phase: 'apply' as const,
                  bytesDone: p.bytesDone,
                  bytesTotal: p.bytesTotal,
                  itemsDone: p.chunksDone,
                  itemsTotal: p.chunksTotal,
                }
              : {
                  phase: 'apply' as const,
                  bytesDone: p.bytesDone,
                  bytesTotal: p.bytesTotal,
                  itemsDone: p.itemsDone,
                  itemsTotal: p.itemsTotal,
                };
        this.reportProgress(progress);
      };
      session = isRemoteSource(this.pair.source)
        ? await this.openRemote(confirmTarget, onProgress, abort.signal, true)
        : isRemoteTarget(this.pair.target)
          ? await this.openRemote(confirmTarget, onProgress, abort.signal)
          : this.pair.mode === 'twoWay'
            ? await this.openTwoWay(confirmTarget, abort.signal, onProgress)
            : await SyncSession.open(resolvePair(this.pair.source, this.pair.target), {
                signal: abort.signal,
                write: true,
                confirmTarget,
                scheme: this.pair.scheme,
                ignore: this.pair.ignore,
                // Always given, never left to what the index remembers: the pair's settings are the
                // truth for the service (a change forgets the stored folder or attribute ids, see
                // syncSession).
                xattrs: { xattrs: this.pair.xattrs, acls: this.pair.acls },
                hardLinks: this.pair.hardLinks,
                owners: this.pair.owners,
                retentionDays: this.pair.retentionDays,
                verifyStored,
                home: this.deps.home,
                ...(this.deps.threads !== undefined ? { threads: this.deps.threads } : {}),
                // The pair's mode in the registry is a person's word (the app asks before changing it).
                changeMode: true,
                onProgress,
              });
      if (confirmTarget) {
        this.confirmTarget = false;
        this.deps.log.warn({ target: this.pair.target }, 'target confirmed by a person: accepted');
      }
      delete this.status.targetChanged;
      if (session.pair.targetExists && this.store.getMeta('targetUsed') !== '1')
        this.store.setMeta('targetUsed', '1');
    } catch (e) {
      this.cycleAbort = null;
      this.full = true;
      // Cancelled while it opened (paused, removed, re-rooted; a remote pair's ssh stopped by
      // it): not an error, and nothing to retry.
      if (abort.signal.aborted) {
        this.setState(this.pair.paused ? 'paused' : 'scanning');
        return;
      }
      if (isTargetChanged(e)) {
        // Nothing runs until a person reconnects the right folder or confirms this one.
        this.deps.log.warn({ refusal: (e as Error).message, ms: ms(t0) }, 'target refused');
        this.status.targetChanged = targetChangedSentence(e);
        this.fail(this.status.targetChanged);
        return;
      }
      delete this.status.targetChanged;
      // A confirmation is for the folder the person looked at: only a busy pair's retry keeps it.
      if (!(e instanceof PairBusyError)) this.confirmTarget = false;
      if (e instanceof PairBusyError) {
        // Another Tandem (the CLI, say) is syncing this pair: try again shortly.
        setTimeout(() => void this.requestCycle(applyApproved), BUSY_RETRY_MS).unref();
        this.fail(`${e.message}; retrying in a few seconds`);
      } else if (e instanceof RemoteError) this.reconnectLater(e, applyApproved);
      else this.fail((e as Error).message, e);
      return;
    }
    const opened = ms(t0);
    let walked = false;
    // Only what is unusual about the cycle is named: most apply no approval and scrub nothing.
    const summary: Record<string, unknown> = {
      ...(applyApproved ? { applyApproved } : {}),
      ...(verifyStored ? { scrub: true } : {}),
    };
    try {
      const tPlan = performance.now();
      // Names that share an inode are grouped across the whole pair: where the last walk found
      // any, every cycle walks.
      const part =
        full || this.linkedFiles !== 0
          ? null
          : await session.planChanged(withPendingMoves(changed, this.store.all()));
      walked = !part;
      const plan = part?.plan ?? (await session.plan());
      // The far side was reached and answered: a later drop starts its backoff afresh.
      this.remoteFailures = 0;
      // (A remote target's recovery is known once the far side has opened it, in plan().)
      for (const f of session.pair.recovery.rolledBack)
        this.deps.log.warn({ path: f }, 'undid an interrupted patch');
      for (const p of session.pair.recovery.problems) this.problem(p);
      const covers = part?.covers;
      // A full walk begun while the watcher was up: from now on its events are the whole story.
      if (!part) this.linkedFiles = session.linkedFiles;
      if (!part && watchedThroughout && this.watchUp) {
        this.watchedSinceFull = true;
        summary.walkedWatched = true;
      }
      const planned = ms(tPlan);
      const unknown = plan.skipped.filter((x) => x.unknown);
      for (const s of unknown) this.problem(`${s.side} ${s.path}: ${s.reason}`);
      if (!part) {
        // A plan's notices are the pair's status while they hold (setNotices); a toast per text
        // would come back whenever a count in it moves.
        this.setNotices((plan.notices ?? []).map(appNotice));
        this.coverByteNames(session.sourceByteNames);
      } else if (
        // They count the whole pair: a cycle that looked at part of it leaves them as they were,
        // unless it found one the pair does not show yet, which a walk then counts (its number
        // moves with the next walk, hourly at the latest).
        (plan.notices ?? []).some(
          (n) =>
            !(this.status.notices ?? []).some((m) => noticeKind(m) === noticeKind(appNotice(n))),
        )
      ) {
        this.full = true;
        this.again = true;
      }
      if (plan.holds.length)
        this.deps.log.warn({ holds: plan.holds.map((h) => h.message) }, 'held');
      const settled = deferUnsettled(plan.items, Date.now(), this.deps.quietMs ?? QUIET_MS);
      if (settled.waitMs !== null) {
        // Looked at again once quiet: only those paths, unless something asks for more.
        const ready = new Set(settled.ready);
        const waiting = plan.items.filter((i) => !ready.has(i)).map((i) => i.path);
        setTimeout(() => {
          this.markChanged(waiting);
          void this.requestCycle(false, false, false);
        }, settled.waitMs + 50).unref();
      }
      let items = this.store.withoutRejected(settled.ready, covers);
      if (this.pair.noDeletes) items = items.filter((i) => i.kind !== 'delete');
      const decisions = decideApprovals(items, plan.holds, this.pair.policy);
      const rec = this.store.reconcile(
        items,
        decisions.map((d) => d.needsPerson),
        Date.now(),
        covers,
      );
      this.setCounts(rec.items);
      if (rec.added.length || rec.removed.length) {
        this.emitPending(rec.added, rec.removed, rec.items.length);
      }
      this.status.lastScanAt = Date.now();
      delete this.status.lastError;
      // What the policy approves, plus what a person approved when asked to apply (approve, Sync now).
      // (rec.items: this plan's items, in order, then the pending changes outside its part.)
      const chosen = rec.items.filter(
        (p, i) => i < decisions.length && (decisions[i]!.auto || (p.approved && applyApproved)),
      );
      Object.assign(summary, {
        ms: { open: opened, plan: planned },
        ...(part ? { changed: changed.size, listed: part.listed } : {}),
        planned: plan.items.length,
        pending: rec.items.length,
        conflicts: this.status.conflicts,
        held: plan.holds.map((h) => h.reason),
        unknown: unknown.length,
        waiting: plan.items.length - settled.ready.length,
        chosen: chosen.length,
      });
      if (chosen.length && !this.pair.paused) {
        this.setState('syncing');
        const toApply = withParentFolders(chosen, rec.items);
        const tApply = performance.now();
        const result = await session.apply(toApply);
        Object.assign(summary, {
          applied: result.applied,
          failed: result.failed.length,
          bytesWritten: result.bytesWritten,
          bytesVersioned: result.bytesVersioned,
          patchedInPlace: result.patchedInPlace,
          ...(result.stopped ? { stopped: result.stopped } : {}),
        });
        (summary.ms as Record<string, number>).apply = ms(tApply);
        this.record(toApply, result);
        this.results.push(result);
        this.status.lastSyncAt = Date.now();
        this.deps.emit({
          type: 'applied',
          pairId: this.pair.id,
          result,
          movedData: result.applied > 0,
        });
        // The trees behind this plan are stale now: plan again, looking at what was written
        // (cheap: the index knows it all).
        if (result.applied > 0) {
          this.markChanged(toApply.flatMap((i) => (i.from ? [i.path, i.from] : [i.path])));
          this.again = true;
        }
      }
      // After an apply the next cycle (already requested) reports the fresh state.
      if (!this.again) {
        // Files still being written are not in sync yet: the pair stays 'scanning' until they settle.
        this.setState(
          rec.items.length ? 'pending' : settled.waitMs !== null ? 'scanning' : 'inSync',
        );
      }
    } catch (e) {
      // A cancelled cycle (paused, removed, re-rooted) is not an error; the next one starts fresh.
      this.full = true;
      if (abort.signal.aborted) {
        summary.cancelled = true;
        this.setState(this.pair.paused ? 'paused' : 'scanning');
      } else if (e instanceof RemoteError) {
        summary.error = e.message;
        this.reconnectLater(e, applyApproved);
      } else if (e instanceof RemoteBusyError) {
        // Another Tandem is syncing the far folder (the CLI, another machine): try again shortly.
        summary.error = e.message;
        setTimeout(() => void this.requestCycle(applyApproved), BUSY_RETRY_MS).unref();
        this.fail(`${e.message}; retrying in a few seconds`);
      } else {
        summary.error = (e as Error).message;
        this.fail((e as Error).message, e);
      }
    } finally {
      this.cycleAbort = null;
      delete this.status.progress;
      await session.close();
      // A walk of a large pair leaves its listings and trees as garbage that an idle service
      // would hold for hours (releaseMemory.ts has the figures).
      if (walked) releaseMemory();
      summary.ms = { ...(summary.ms as Record<string, number> | undefined), total: ms(t0) };
      this.deps.log.info(summary, 'cycle');
    }
  }

  /**
   * Conflicts of a two-way pair a person resolved, by path, with the rev they were shown with:
   * the next cycle that still finds that conflict, unchanged, carries the resolution out.
   */
  private readonly resolutions = new Map<string, { rev: string; resolution: ConflictResolution }>();

  /**
   * A person resolves a two-way conflict as shown: applied at once (after a fresh scan, which
   * keeps the resolution only while both sides still hold what was shown).
   */
  resolveConflict(change: ShownChange, resolution: ConflictResolution): void {
    if (this.pair.mode !== 'twoWay')
      throw new RefusalError('only a two-way pair has conflicts to resolve this way');
    const c = this.store.all().find((x) => x.path === change.path);
    if (!c?.twoWay) throw new RefusalError(`no conflict is pending at ${change.path}`);
    if (c.rev !== change.rev)
      throw new RefusalError(
        `${change.path} changed since it was shown; look at it again before choosing`,
      );
    this.resolutions.set(c.path, { rev: c.rev, resolution });
    this.store.setApproved([c.path], true);
    this.refreshPending();
    this.deps.log.info({ path: c.path, resolution }, 'conflict resolved by a person');
    void this.requestCycle(true);
  }

  /** A two-way pair's session for one cycle, as the cycle drives any pair's (pendingStore, policy). */
  private async openTwoWay(
    confirmTarget: boolean,
    signal: AbortSignal,
    onProgress: (p: SessionProgress) => void,
  ): Promise<CycleSession> {
    const tw = await TwoWaySession.open(this.pair.source, this.pair.target, {
      write: true,
      confirmTarget,
      changeMode: true,
      scheme: this.pair.scheme,
      ignore: this.pair.ignore,
      retentionDays: this.pair.retentionDays,
      home: this.deps.home,
      signal,
      ...(this.deps.threads !== undefined ? { threads: this.deps.threads } : {}),
      onProgress,
    });
    const asPlan = (p: TwoWayPlan): Plan => {
      const items = tw.planItems();
      return {
        source: p.a,
        target: p.b,
        scheme: p.scheme,
        sourceRootId: '',
        targetRootId: '',
        items,
        skipped: p.skipped,
        holds: p.holds.map((h) => ({ reason: h.reason, message: h.message })),
        summary: summarize(items),
      };
    };
    const plan = async (): Promise<Plan> => asPlan(await tw.plan());
    const apply = async (items: PlanItem[]): Promise<ApplyResult> => {
      const resolutions = new Map<string, ConflictResolution>();
      const only = new Set<string>();
      for (const it of items) {
        if (!it.twoWay) {
          only.add(it.path);
          continue;
        }
        const r = this.resolutions.get(it.path);
        // A resolution counts for the conflict as the person saw it (its rev), not a later one.
        if (r && r.rev === (it as PendingChange).rev) resolutions.set(it.path, r.resolution);
      }
      const r = await tw.apply(resolutions, { only });
      for (const x of r.resolved) this.resolutions.delete(x.path);
      const merged = mergeApplyResults([r.aToB, r.bToA]);
      if (r.holds.length) merged.stopped = `held: ${r.holds.map((h) => h.message).join('; ')}`;
      return merged;
    };
    return {
      pair: { targetExists: true, recovery: tw.recovery },
      // A live cycle lists the folders of what changed on either side, as a one-way pair's does.
      planChanged: async (changed) => {
        const part = await tw.planChanged(changed);
        return part && { plan: asPlan(part.plan), covers: part.covers, listed: part.listed };
      },
      plan,
      linkedFiles: 0,
      sourceByteNames: 0,
      apply,
      close: () => tw.close(),
    };
  }

  /** Failed connections to a remote target in a row (the backoff before the next try). */
  private remoteFailures = 0;

  /** How this pair reaches its far side: its ssh command and the far side's tandem. */
  private connectOptions(): ConnectOptions {
    return {
      version: appVersion(),
      // No terminal can answer a prompt in the service: ssh fails instead of waiting.
      batch: true,
      ...(this.pair.rsh ? { rsh: splitCommand(this.pair.rsh) } : {}),
      ...(this.pair.remoteTandem ? { remoteTandem: this.pair.remoteTandem } : {}),
    };
  }

  /** What a remote pair's session takes from this pair's settings, for one cycle. */
  private remoteOptions(
    confirmTarget: boolean,
    onProgress: (p: RemoteProgress) => void,
    signal: AbortSignal,
  ): RemoteSessionOptions {
    return {
      ...this.connectOptions(),
      signal,
      // Always given (the pair's settings are the truth for the service), as for a local pair.
      xattrs: { xattrs: this.pair.xattrs, acls: this.pair.acls },
      retentionDays: this.pair.retentionDays,
      write: true,
      confirmTarget,
      scheme: this.pair.scheme,
      ignore: this.pair.ignore,
      home: this.deps.home,
      ...(this.deps.threads !== undefined ? { threads: this.deps.threads } : {}),
      onProgress,
    };
  }

  /** The far target's address, for a push. */
  private farTarget(): RemoteLocation {
    const where = parseLocation(this.pair.target);
    if (where.kind !== 'remote') throw new Error(`${this.pair.target} is not a remote address`);
    return where;
  }

  /** The versions a push's far target keeps of `rel`, listed there over ssh. */
  async remoteVersions(rel: string): Promise<VersionListing[]> {
    return remoteVersions(this.farTarget(), rel, this.connectOptions());
  }

  /**
   * A remote pair's session for one cycle (a connection of its own, closed with it): the target
   * on another machine, or with `pull` the source. Every cycle compares the whole pair (an
   * unchanged far side costs its root ids), whatever started it: a change here, the far side's
   * watch of a pull's source (farWatch.ts) or a timer.
   */
  private async openRemote(
    confirmTarget: boolean,
    onProgress: (p: RemoteProgress) => void,
    signal: AbortSignal,
    pull = false,
  ): Promise<CycleSession> {
    const address = pull ? this.pair.source : this.pair.target;
    const where = parseLocation(address);
    if (where.kind !== 'remote') throw new Error(`${address} is not a remote address`);
    const opts = this.remoteOptions(confirmTarget, onProgress, signal);
    const rs = pull
      ? await RemoteSourceSession.open(where, this.pair.target, opts)
      : await RemoteSession.open(this.pair.source, where, opts);
    const pair = pull
      ? (rs as RemoteSourceSession).pairState
      : {
          targetExists: true,
          get recovery() {
            return rs.recovery;
          },
        };
    return {
      pair,
      planChanged: () => Promise.resolve(null),
      plan: () => rs.plan(),
      linkedFiles: 0,
      sourceByteNames: 0,
      apply: (items) => rs.apply(items),
      close: () => rs.close(),
    };
  }

  /**
   * A remote target could not be reached or the connection dropped: said in the pair's status,
   * and tried again after a backoff that doubles from 5 s to 5 minutes (a laptop off its network
   * does not retry every second, and one back on it is synced within minutes).
   */
  private reconnectLater(e: RemoteError, applyApproved: boolean): void {
    this.remoteFailures++;
    const delay = Math.min(REMOTE_RETRY_MAX_MS, REMOTE_RETRY_MS * 2 ** (this.remoteFailures - 1));
    const timer = setTimeout(() => void this.requestCycle(applyApproved), delay);
    timer.unref();
    this.fail(`${e.message}; trying again in ${Math.round(delay / 1000)} s`);
  }

  /**
   * The plan's notices become the pair's status (shown while they hold, not as a toast per
   * cycle: a watched pair plans again on every edit) and are logged when they change.
   */
  private setNotices(notices: string[]): void {
    if (JSON.stringify(notices) === JSON.stringify(this.status.notices ?? [])) return;
    if (notices.length) {
      this.status.notices = notices;
      for (const n of notices) this.deps.log.info(n);
    } else delete this.status.notices;
  }

  private emitPending(added: PendingChange[], removed: string[], total: number): void {
    this.deps.emit({
      type: 'pendingChanged',
      pairId: this.pair.id,
      added: added.slice(0, PENDING_EVENT_LIMIT),
      addedCount: added.length,
      removed: removed.slice(0, PENDING_EVENT_LIMIT),
      removedCount: removed.length,
      total,
    });
  }

  private progressPhase = '';
  private phaseStart = 0;
  private lastProgressAt = 0;

  /** Progress events at most ten a second (and always the last), with time left once estimable. */
  private reportProgress(progress: Progress): void {
    const now = Date.now();
    if (progress.phase !== this.progressPhase) {
      this.progressPhase = progress.phase;
      this.phaseStart = now;
      this.lastProgressAt = 0;
    }
    const frac = progressFraction(progress);
    if (frac < 1 && now - this.lastProgressAt < 100) return;
    this.lastProgressAt = now;
    const eta = estimateEtaSeconds(now - this.phaseStart, frac);
    if (eta !== null) progress.etaSeconds = eta;
    this.status.progress = progress;
    this.deps.emit({ type: 'progress', pairId: this.pair.id, progress });
  }

  private record(chosen: PendingChange[], result: ApplyResult): void {
    const failed = new Map(result.failed.map((f) => [f.path, f.message]));
    for (const p of result.notAttempted) failed.set(p, `not applied: ${result.stopped}`);
    const now = Date.now();
    // A folder deletion left undone (it still holds kept entries) did not happen: no history row.
    const kept = new Set(result.kept);
    const entries = chosen
      .filter((c) => !kept.has(c.path))
      .map((c) => {
        const msg = failed.get(c.path);
        return historyOf(c, msg ? 'failed' : 'applied', now, msg);
      });
    if (result.stopped && !this.cycleAbort?.signal.aborted) this.problem(result.stopped);
    for (const f of result.failed)
      if (f.path) this.deps.log.warn({ path: f.path, reason: f.message }, 'not applied');
    this.store.history.add(entries);
  }

  /**
   * Approves the pending changes a person was shown, where they are still what was shown, and
   * applies them at once (after a rescan, which keeps an approval only while the ids hold).
   */
  approve(sel: Selection): SelectionOutcome {
    const picked = this.store.pick(sel);
    // A two-way conflict is resolved (resolveConflict), never approved as it stands.
    const paths = picked.chosen.filter((c) => !c.twoWay).map((c) => c.path);
    this.store.setApproved(paths, true);
    this.refreshPending();
    if (paths.length) void this.requestCycle(true);
    const o = outcome(paths.length, picked.changed, picked.gone);
    this.logSelection('approved', sel, o);
    return o;
  }

  /** Rejects the pending changes a person was shown, where they are still what was shown. */
  reject(sel: Selection): SelectionOutcome {
    const picked = this.store.pick(sel);
    const rejected = this.store.reject(picked.chosen.map((c) => c.path));
    if (rejected.length) {
      const now = Date.now();
      this.store.history.add(rejected.map((r) => historyOf(r, 'rejected', now)));
      this.refreshPending(rejected.map((r) => r.path));
    }
    const o = outcome(rejected.length, picked.changed, picked.gone);
    this.logSelection('rejected', sel, o);
    return o;
  }

  private logSelection(what: string, sel: Selection, o: SelectionOutcome): void {
    this.deps.log.info(
      {
        by: sel.list ? 'list' : 'rows',
        done: o.done,
        changedSinceShown: o.changedCount,
        gone: o.gone,
        ...(o.changedCount ? { changed: o.changed.slice(0, 10) } : {}),
      },
      what,
    );
  }

  /**
   * A person says the refused target is the right folder: the next cycle accepts it (the engine
   * forgets the target's baseline, so everything in it needs approval before it is replaced).
   */
  async confirmTargetFolder(): Promise<void> {
    if (!this.status.targetChanged)
      throw new RefusalError('this pair’s target was not refused, so there is nothing to confirm');
    this.confirmTarget = true;
    this.deps.log.warn({ target: this.pair.target }, 'target confirmed by a person');
    await this.requestCycle(false);
  }

  /** Applies every approved change now (a fresh scan first: approvals bind to unchanged ids). */
  async syncNow(): Promise<ApplyResult> {
    this.results = [];
    await this.requestCycle(true);
    const all = this.results;
    this.results = [];
    return mergeApplyResults(all);
  }

  /**
   * Restores a kept version into the target, holding the pair's lock like a sync. The target then
   * differs from what Tandem last wrote, so the next plan shows it as a conflict: a restored file
   * is never silently overwritten again by the source.
   */
  async restore(
    rel: string,
    run: string,
    stored: string,
    restoreFn: (o: RestoreOptions) => Promise<RestoreResult>,
    /** a two-way pair's side to restore on ('source' is A): it is the target of its own pair */
    side: 'source' | 'target' = 'target',
  ): Promise<void> {
    await this.running?.catch(() => undefined);
    if (side === 'target' && isRemoteTarget(this.pair.target)) {
      // A push's versions are on the far side, restored there under that pair's lock.
      const { result, kept } = await remoteRestore(
        this.farTarget(),
        this.pair.source,
        { rel, run, stored, scheme: this.pair.scheme },
        this.connectOptions(),
      );
      this.recordRestore(rel, result, kept);
      void this.requestCycle(false);
      return;
    }
    const [from, to] =
      side === 'source'
        ? [this.pair.target, this.pair.source]
        : [this.pair.source, this.pair.target];
    // A pull's source is an address: the target is this machine's, its key the pull's.
    const remoteFrom = side === 'target' && isRemoteSource(from) ? parseLocation(from) : null;
    const paths =
      remoteFrom?.kind === 'remote' ? remoteSourcePair(remoteFrom, to) : resolvePair(from, to);
    const pair = await openPair(paths, {
      createTarget: true,
      home: this.deps.home,
    });
    try {
      // When the version was kept is what a person knows it by (the run folder is a name).
      const kept = listVersions(pair.target, rel).find((v) => v.run === run && v.stored === stored);
      const r = await restoreFn({
        targetRoot: pair.target,
        targetFs: pair.targetFs,
        rel,
        run,
        stored,
        scheme: this.pair.scheme,
      });
      this.recordRestore(rel, r, kept ?? null);
    } finally {
      pair.close();
    }
    void this.requestCycle(false);
  }

  /** A restore in the pair's history and log. */
  private recordRestore(rel: string, r: RestoreResult, kept: VersionListing | null): void {
    this.store.history.add([
      {
        time: Date.now(),
        path: rel,
        // Put back where nothing was, it is new again; over something, a change (kept first).
        kind: r.replaced ? 'update' : 'create',
        entry: r.restored.kind === 'symlink' ? 'symlink' : 'file',
        bytes: r.restored.size,
        outcome: 'restored',
        keptVersion: r.replaced !== null,
        ...(kept ? { restoredFrom: kept.time } : {}),
      },
    ]);
    this.deps.log.info(
      {
        path: rel,
        bytes: r.restored.size,
        keptAt: kept ? new Date(kept.time).toISOString() : null,
      },
      'restored a version',
    );
  }

  pending(): PendingStore {
    return this.store;
  }

  private refreshPending(removed: string[] = []): void {
    const all = this.store.all();
    this.setCounts(all);
    this.emitPending(all, removed, all.length);
    this.emitStatus();
  }

  private setCounts(items: PendingChange[]): void {
    this.status.pending = items.length;
    this.status.conflicts = items.filter((p) => p.conflict).length;
  }

  private setState(state: PairStatus['state']): void {
    this.status.state = state;
    this.emitStatus();
  }

  /** The pair stopped with an error: its status says so, and the log keeps the cause. */
  private fail(message: string, cause?: unknown): void {
    this.deps.log.error(cause instanceof Error ? { err: cause } : {}, message);
    this.status.lastError = message;
    this.status.state = 'error';
    this.deps.emit({ type: 'error', pairId: this.pair.id, message });
    this.emitStatus();
  }

  /** A notice, said once while this runner lives (a live pair plans often). */
  private noticeOnce(message: string): void {
    if (this.said.has(message)) return;
    this.said.add(message);
    this.problem(message);
  }

  /**
   * chokidar names paths as text, so it cannot see a change to a name that is not valid UTF-8
   * (nor anything in a folder with such a name): a pair it watches that holds one is rescanned
   * every minute too, and says so once. parcel watches by bytes and reports such a change on the
   * nearest folder it can name, which starts a cycle like any other.
   */
  private coverByteNames(count: number): void {
    const w = this.status.watcher;
    if (count === 0 || this.pollTimer || w.mode !== 'watching' || w.backend !== 'chokidar') return;
    this.startPolling();
    this.noticeOnce(
      `${count} name${count === 1 ? ' is' : 's are'} not valid UTF-8: the watcher cannot see changes to ${count === 1 ? 'it' : 'them'}, so Tandem also rescans this pair every minute`,
    );
  }

  /** Something the pair's user should know, that does not stop the pair. */
  private problem(message: string): void {
    this.deps.log.warn(message);
    this.deps.emit({ type: 'error', pairId: this.pair.id, message });
  }

  private emitStatus(): void {
    this.deps.emit({
      type: 'pairStatus',
      status: { ...this.status, watcher: { ...this.status.watcher } },
    });
  }
}

/** What a notice is about, whatever its counts: its first four words ("owners are not kept"). */
function noticeKind(notice: string): string {
  return notice.split(' ').slice(0, 4).join(' ');
}

/** An engine notice in the app's words: a setting of the pair where it names a CLI flag. */
export function appNotice(notice: string): string {
  return notice.replace(/sync without --owner/g, 'turn off “Keep owners and groups” in Settings');
}

function outcome(done: number, changed: string[], gone: number): SelectionOutcome {
  return {
    done,
    changed: changed.slice(0, PENDING_EVENT_LIMIT),
    changedCount: changed.length,
    gone,
  };
}

/** Seconds left at the rate so far; null until enough is done to say (2%, half a second). */
export function estimateEtaSeconds(elapsedMs: number, fraction: number): number | null {
  if (fraction <= 0.02 || fraction >= 1 || elapsedMs < 500) return null;
  return Math.ceil(((elapsedMs / fraction) * (1 - fraction)) / 1000);
}

/** An approved file in a new folder needs that folder created too: add the pending folder creates. */
export function withParentFolders<T extends PlanItem>(chosen: T[], all: T[]): T[] {
  const byPath = new Map(all.map((i) => [i.path, i]));
  const picked = new Set(chosen.map((c) => c.path));
  const extra: T[] = [];
  for (const c of chosen) {
    for (let p = parentOf(c.path); p !== ''; p = parentOf(p)) {
      const it = byPath.get(p);
      if (
        !it ||
        picked.has(p) ||
        (it.kind !== 'create' && it.kind !== 'replaceType') ||
        it.source?.type !== 'dir'
      )
        continue;
      picked.add(p);
      extra.push(it);
    }
  }
  if (extra.length === 0) return chosen;
  // Keep the plan's order (parents before children).
  return all.filter((i) => picked.has(i.path));
}
