// One live pair: its watcher and timers trigger scan → plan → pending → (policy or person
// approves) → apply cycles, one at a time; every step is reported as SyncEvents. Each cycle takes
// the pair's lock only while it runs, so the CLI can still sync the pair in between.
import path from 'node:path';
import type { ApplyResult, PlanItem } from '../shared/plan.js';
import type {
  HistoryEntry,
  PairConfig,
  PairStatus,
  PendingChange,
  SyncEvent,
  WatcherHealth,
} from '../shared/syncApi.js';
import { decideApprovals } from './approvalPolicy.js';
import { openPair, resolvePair } from './pair.js';
import { PairBusyError } from './pairLock.js';
import { PendingStore } from './pendingStore.js';
import { SyncSession } from './syncSession.js';
import { parentOf } from './tree.js';

/** What the runner needs from a watcher (PairWatcher in production, fakes in unit tests). */
export interface WatcherLike {
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface WatcherCallbacks {
  onChanges: () => void;
  onHealth: (h: WatcherHealth) => void;
  onError: (message: string) => void;
}

export type WatcherFactory = (pair: PairConfig, cb: WatcherCallbacks) => WatcherLike;

export interface RunnerDeps {
  home: string;
  emit: (e: SyncEvent) => void;
  watcherFactory: WatcherFactory | null;
  /** hash threads per cycle (tests use 0: inline) */
  threads?: number;
}

const HOUR = 3_600_000;
const POLL_MS = 60_000;
const BUSY_RETRY_MS = 5_000;

export class PairRunner {
  private store: PendingStore;
  private watcher: WatcherLike | null = null;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | null = null;
  private again = false;
  private applyApproved = false;
  private stopped = false;
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

  /** Starts watching and scheduling, and runs the first scan. */
  async start(): Promise<void> {
    this.stopped = false;
    const pending = this.store.all();
    if (pending.length)
      this.deps.emit({
        type: 'pendingChanged',
        pairId: this.pair.id,
        added: pending,
        removed: [],
        total: pending.length,
      });
    if (this.pair.paused) {
      this.setState('paused');
      return;
    }
    await this.startWatching();
    this.schedule();
    void this.requestCycle(false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.watcher?.close();
    this.watcher = null;
    await this.running?.catch(() => undefined);
    this.store.close();
  }

  /** Applies new settings (restarting watcher and timers as needed). */
  async reconfigure(pair: PairConfig): Promise<void> {
    this.pair = pair;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.watcher?.close();
    this.watcher = null;
    if (pair.paused) {
      this.setState('paused');
      return;
    }
    await this.startWatching();
    this.schedule();
    void this.requestCycle(false);
  }

  private async startWatching(): Promise<void> {
    if (!this.deps.watcherFactory || this.pair.schedule.kind !== 'onChange') {
      this.status.watcher = { mode: 'off', needed: 0, limit: null };
      return;
    }
    this.watcher = this.deps.watcherFactory(this.pair, {
      onChanges: () => void this.requestCycle(false),
      onHealth: (h) => {
        this.status.watcher = h;
        this.deps.emit({ type: 'watcherHealth', pairId: this.pair.id, health: h });
        if (h.mode === 'polling') this.every(POLL_MS, () => void this.requestCycle(false));
      },
      onError: (message) => {
        this.deps.emit({
          type: 'error',
          pairId: this.pair.id,
          message: `watching: ${message}; rescanning`,
        });
        void this.requestCycle(false);
      },
    });
    try {
      await this.watcher.start();
    } catch (e) {
      this.status.watcher = {
        mode: 'polling',
        needed: 0,
        limit: null,
        problem: `cannot watch this pair (${(e as Error).message}); Tandem rescans it every minute instead`,
      };
      this.every(POLL_MS, () => void this.requestCycle(false));
    }
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

  /** Runs a cycle now, or once more after the running one (bursts collapse into one rerun). */
  requestCycle(applyApproved: boolean, verifyStored = false): Promise<void> {
    if (applyApproved) this.applyApproved = true;
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
    this.setState('scanning');
    let session: SyncSession;
    try {
      session = await SyncSession.open(resolvePair(this.pair.source, this.pair.target), {
        write: true,
        scheme: this.pair.scheme,
        ignore: this.pair.ignore,
        retentionDays: this.pair.retentionDays,
        verifyStored,
        home: this.deps.home,
        ...(this.deps.threads !== undefined ? { threads: this.deps.threads } : {}),
        onProgress: (p) => {
          const progress =
            p.phase === 'scan'
              ? {
                  phase: 'scan' as const,
                  bytesDone: p.bytesDone,
                  bytesTotal: p.bytesTotal,
                  itemsDone: 0,
                  itemsTotal: p.files,
                }
              : {
                  phase: 'apply' as const,
                  bytesDone: p.bytesDone,
                  bytesTotal: p.bytesTotal,
                  itemsDone: p.itemsDone,
                  itemsTotal: p.itemsTotal,
                };
          this.status.progress = progress;
          this.deps.emit({ type: 'progress', pairId: this.pair.id, progress });
        },
      });
    } catch (e) {
      if (e instanceof PairBusyError) {
        // Another Tandem (the CLI, say) is syncing this pair: try again shortly.
        setTimeout(() => void this.requestCycle(applyApproved), BUSY_RETRY_MS).unref();
        this.fail(`${e.message}; retrying in a few seconds`);
      } else this.fail((e as Error).message);
      return;
    }
    try {
      for (const p of session.pair.recovery.problems)
        this.deps.emit({ type: 'error', pairId: this.pair.id, message: p });
      const plan = await session.plan();
      for (const s of plan.skipped.filter((x) => x.unknown)) {
        this.deps.emit({
          type: 'error',
          pairId: this.pair.id,
          message: `${s.side} ${s.path}: ${s.reason}`,
        });
      }
      let items = this.store.withoutRejected(plan.items);
      if (this.pair.noDeletes) items = items.filter((i) => i.kind !== 'delete');
      const decisions = decideApprovals(items, plan.holds, this.pair.policy);
      const rec = this.store.reconcile(
        items,
        decisions.map((d) => d.needsPerson),
      );
      if (rec.added.length || rec.removed.length) {
        this.deps.emit({
          type: 'pendingChanged',
          pairId: this.pair.id,
          added: rec.added,
          removed: rec.removed,
          total: rec.items.length,
        });
      }
      this.status.lastScanAt = Date.now();
      delete this.status.lastError;
      // What the policy approves, plus what a person approved when asked to apply (approve, Sync now).
      const chosen = rec.items.filter(
        (p, i) => decisions[i]!.auto || (p.approved && applyApproved),
      );
      if (chosen.length && !this.pair.paused) {
        this.setState('syncing');
        const toApply = withParentFolders(chosen, rec.items) as PendingChange[];
        const result = session.apply(toApply);
        this.record(toApply, result);
        this.results.push(result);
        this.status.lastSyncAt = Date.now();
        this.deps.emit({
          type: 'applied',
          pairId: this.pair.id,
          result,
          movedData: result.applied > 0,
        });
        // The trees behind this plan are stale now: plan again (cheap: the index knows it all).
        if (result.applied > 0) this.again = true;
      }
      this.setCounts(rec.items);
      this.setState(rec.items.length ? 'pending' : 'inSync');
    } catch (e) {
      this.fail((e as Error).message);
    } finally {
      delete this.status.progress;
      await session.close();
    }
  }

  private record(chosen: PendingChange[], result: ApplyResult): void {
    const failed = new Map(result.failed.map((f) => [f.path, f.message]));
    const now = Date.now();
    const entries: Omit<HistoryEntry, 'pairId'>[] = chosen.map((c) => {
      const msg = failed.get(c.path);
      return {
        time: now,
        path: c.path,
        kind: c.kind,
        bytes: c.bytesToWrite,
        outcome: msg ? 'failed' : 'applied',
        ...(msg ? { message: msg } : {}),
      };
    });
    const general = result.failed.find((f) => !f.path);
    if (general) this.deps.emit({ type: 'error', pairId: this.pair.id, message: general.message });
    this.store.addHistory(entries);
  }

  /** Approves pending changes and applies them at once (after a rescan: approvals bind to ids). */
  approve(paths: string[] | undefined): number {
    const n = this.store.setApproved(paths, true);
    this.refreshPending();
    if (n) void this.requestCycle(true);
    return n;
  }

  reject(paths: string[] | undefined): number {
    const rejected = this.store.reject(paths);
    if (rejected.length) {
      this.store.addHistory(
        rejected.map((r) => ({
          time: Date.now(),
          path: r.path,
          kind: r.kind,
          bytes: r.bytesToWrite,
          outcome: 'rejected',
        })),
      );
      this.refreshPending(rejected.map((r) => r.path));
    }
    return rejected.length;
  }

  /** Applies every approved change now (a fresh scan first: approvals bind to unchanged ids). */
  async syncNow(): Promise<ApplyResult> {
    this.results = [];
    await this.requestCycle(true);
    const all = this.results;
    this.results = [];
    return {
      applied: all.reduce((n, r) => n + r.applied, 0),
      failed: all.flatMap((r) => r.failed),
      bytesWritten: all.reduce((n, r) => n + r.bytesWritten, 0),
      bytesJournaled: all.reduce((n, r) => n + r.bytesJournaled, 0),
      bytesVersioned: all.reduce((n, r) => n + r.bytesVersioned, 0),
      patchedInPlace: all.reduce((n, r) => n + r.patchedInPlace, 0),
      renamedIntoPlace: all.reduce((n, r) => n + r.renamedIntoPlace, 0),
    };
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
    restoreFn: (o: {
      targetRoot: string;
      stateDir: string;
      rel: string;
      run: string;
      stored: string;
      scheme: string;
    }) => Promise<unknown>,
  ): Promise<void> {
    await this.running?.catch(() => undefined);
    const pair = await openPair(resolvePair(this.pair.source, this.pair.target), {
      createTarget: true,
      home: this.deps.home,
    });
    try {
      await restoreFn({
        targetRoot: pair.target,
        stateDir: pair.stateDir,
        rel,
        run,
        stored,
        scheme: this.pair.scheme,
      });
      this.store.addHistory([
        {
          time: Date.now(),
          path: rel,
          kind: 'update',
          bytes: 0,
          outcome: 'restored',
          message: `from ${run}`,
        },
      ]);
    } finally {
      pair.close();
    }
    void this.requestCycle(false);
  }

  pending(): PendingStore {
    return this.store;
  }

  private refreshPending(removed: string[] = []): void {
    const all = this.store.all();
    this.setCounts(all);
    this.deps.emit({
      type: 'pendingChanged',
      pairId: this.pair.id,
      added: all,
      removed,
      total: all.length,
    });
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

  private fail(message: string): void {
    this.status.lastError = message;
    this.status.state = 'error';
    this.deps.emit({ type: 'error', pairId: this.pair.id, message });
    this.emitStatus();
  }

  private emitStatus(): void {
    this.deps.emit({
      type: 'pairStatus',
      status: { ...this.status, watcher: { ...this.status.watcher } },
    });
  }
}

/** An approved file in a new folder needs that folder created too: add the pending folder creates. */
export function withParentFolders(chosen: PlanItem[], all: PlanItem[]): PlanItem[] {
  const byPath = new Map(all.map((i) => [i.path, i]));
  const picked = new Set(chosen.map((c) => c.path));
  const extra: PlanItem[] = [];
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
