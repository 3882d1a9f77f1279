// An in-memory SyncClient for component tests: canned pairs, pending changes, history, versions
// and folders; every call is recorded; `emit` pushes an engine event; `failNext` makes a call fail.
import { emptyApplyResult } from '../contract.js';
import type {
  AddPairInput,
  ConflictResolution,
  ShownChange,
  FolderListing,
  HistoryEntry,
  PairCheck,
  PairConfig,
  PairSettings,
  PairStatus,
  PendingChange,
  PendingPage,
  PendingQuery,
  Result,
  Selection,
  SelectionOutcome,
  ServiceSettings,
  SyncClient,
  SyncEvent,
  SyncEventListener,
  VersionInfo,
  WatcherHealth,
  ApprovalPolicy,
  AboutInfo,
} from '../contract.js';

export interface Call {
  method: string;
  args: unknown[];
}

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const refused = <T>(message: string): Result<T> => ({
  ok: false,
  error: { code: 'refused', message },
});

export const HEALTHY: WatcherHealth = { mode: 'watching', needed: 10, limit: 8192 };

export function makePair(id: string, source: string, target: string): PairConfig {
  return {
    id,
    source,
    target,
    paused: false,
    createdAt: 0,
    scheme: 'xxh128',
    ignore: [],
    schedule: { kind: 'onChange' },
    policy: { autoApprove: false, autoApproveDeletes: false, maxAutoDeletes: 100 },
    retentionDays: 30,
    scrubDays: 0,
    noDeletes: false,
    xattrs: true,
    acls: true,
    hardLinks: true,
    owners: true,
  };
}

export function makeStatus(pairId: string, over: Partial<PairStatus> = {}): PairStatus {
  return { pairId, state: 'inSync', pending: 0, conflicts: 0, watcher: HEALTHY, ...over };
}

export function makeChange(pairId: string, path: string, over: Partial<PendingChange> = {}) {
  const change: PendingChange = {
    pairId,
    path,
    kind: 'create',
    source: { type: 'file', id: 'aa', size: 1000, mtimeMs: 0, mode: 0o644 },
    bytesToWrite: 1000,
    rev: `${path}@1`,
    approved: false,
    since: 0,
    ...over,
  };
  return change;
}

export class FakeClient implements SyncClient {
  readonly calls: Call[] = [];
  pairs: PairConfig[] = [];
  statuses = new Map<string, PairStatus>();
  pending = new Map<string, PendingChange[]>();
  /** the pending lists' id and revision, as the service reports them with every page */
  listId = 'list-1';
  listRevision = 1;
  /** "pairId:path" → the revision a change entered the list at (default 0: before any page) */
  entered = new Map<string, number>();
  history = new Map<string, HistoryEntry[]>();
  versions = new Map<string, VersionInfo[]>();
  settings: ServiceSettings = { pausedAll: false };
  /** folder path → subfolder names; browseFolder(null) lists `home` */
  folders: Record<string, string[]> = {};
  home = '/home/ada';
  /** checkPair answers: a refusal sentence for a "source|target" key, else ok */
  refusals: Record<string, string> = {};
  private readonly failures = new Map<string, string>();
  private readonly holds = new Map<string, Promise<void>>();
  private readonly listeners = new Set<SyncEventListener>();

  onEvent(listener: SyncEventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  emit(event: SyncEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** The next call of `method` returns an error with this sentence. */
  failNext(method: keyof SyncClient, message: string): void {
    this.failures.set(method, message);
  }

  /** The next call of `method` answers only once the returned function is called (a slow link). */
  holdNext(method: keyof SyncClient): () => void {
    let release!: () => void;
    this.holds.set(method, new Promise<void>((r) => (release = r)));
    return release;
  }

  callsOf(method: keyof SyncClient): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  addPairWithStatus(pair: PairConfig, status: Partial<PairStatus> = {}): void {
    this.pairs.push(pair);
    this.statuses.set(pair.id, makeStatus(pair.id, status));
  }

  private async call<T>(method: string, args: unknown[], run: () => Result<T>): Promise<Result<T>> {
    this.calls.push({ method, args });
    const hold = this.holds.get(method);
    this.holds.delete(method);
    await (hold ?? Promise.resolve());
    const failure = this.failures.get(method);
    if (failure !== undefined) {
      this.failures.delete(method);
      return { ok: false, error: { code: 'failed', message: failure } };
    }
    return run();
  }

  private pair(id: string): PairConfig | undefined {
    return this.pairs.find((p) => p.id === id);
  }

  listPairs() {
    return this.call('listPairs', [], () => ok([...this.pairs]));
  }
  addPair(input: AddPairInput) {
    return this.call('addPair', [input], () => {
      const pair = {
        ...makePair(`p${this.pairs.length + 1}`, input.source, input.target),
        ...input,
      };
      this.pairs.push(pair);
      this.statuses.set(pair.id, makeStatus(pair.id, { state: 'scanning' }));
      return ok(pair);
    });
  }
  updatePair(pairId: string, patch: Partial<PairSettings>) {
    return this.call('updatePair', [pairId, patch], () => {
      const p = this.pair(pairId);
      if (!p) return refused<PairConfig>('no such pair');
      Object.assign(p, patch);
      return ok({ ...p });
    });
  }
  removePair(pairId: string) {
    return this.call('removePair', [pairId], () => {
      this.pairs = this.pairs.filter((p) => p.id !== pairId);
      return ok(null);
    });
  }
  pausePair(pairId: string, paused: boolean) {
    return this.call('pausePair', [pairId, paused], () => {
      const p = this.pair(pairId);
      if (!p) return refused<PairConfig>('no such pair');
      p.paused = paused;
      return ok({ ...p });
    });
  }
  scanNow(pairId: string) {
    return this.call('scanNow', [pairId], () =>
      ok(this.statuses.get(pairId) ?? makeStatus(pairId)),
    );
  }
  syncNow(pairId: string) {
    return this.call('syncNow', [pairId], () => ok(emptyApplyResult()));
  }
  confirmTarget(pairId: string) {
    return this.call('confirmTarget', [pairId], () => {
      const st = this.statuses.get(pairId);
      if (!st?.targetChanged) return refused<PairStatus>('nothing to confirm');
      const { targetChanged: _t, lastError: _e, ...rest } = st;
      const next: PairStatus = { ...rest, state: 'pending' };
      this.statuses.set(pairId, next);
      return ok(next);
    });
  }
  status() {
    return this.call('status', [], () => ok([...this.statuses.values()]));
  }
  listPending(q: PendingQuery) {
    return this.call('listPending', [q], () => {
      let items = this.pending.get(q.pairId) ?? [];
      if (q.kinds?.length) items = items.filter((i) => q.kinds!.includes(i.kind));
      if (q.conflictsOnly) items = items.filter((i) => i.conflict);
      if (q.pathContains) items = items.filter((i) => i.path.includes(q.pathContains!));
      if (q.sort === 'size') items = [...items].sort((a, b) => b.bytesToWrite - a.bytesToWrite);
      const offset = q.offset ?? 0;
      const page: PendingPage = {
        total: items.length,
        conflicts: items.filter((i) => i.conflict).length,
        bytesToWrite: items.reduce((n, i) => n + i.bytesToWrite, 0),
        items: items.slice(offset, offset + (q.limit ?? 500)),
        listId: this.listId,
        revision: this.listRevision,
      };
      return ok(page);
    });
  }
  /** What the service would pick: rows whose rev still matches, or the list as of its revision. */
  private pick(sel: Selection): { chosen: PendingChange[]; outcome: SelectionOutcome } {
    const items = this.pending.get(sel.pairId) ?? [];
    const chosen: PendingChange[] = [];
    const changed: string[] = [];
    let gone = 0;
    for (const s of sel.changes ?? []) {
      const it = items.find((i) => i.path === s.path);
      if (!it) gone++;
      else if (it.rev !== s.rev) changed.push(s.path);
      else chosen.push(it);
    }
    if (sel.list) {
      const l = sel.list;
      for (const it of items) {
        if (l.kinds?.length && !l.kinds.includes(it.kind)) continue;
        if (l.conflictsOnly && !it.conflict) continue;
        if (l.pathContains && !it.path.includes(l.pathContains)) continue;
        if (l.except?.includes(it.path)) continue;
        if ((this.entered.get(`${sel.pairId}:${it.path}`) ?? 0) > l.revision) changed.push(it.path);
        else chosen.push(it);
      }
    }
    return {
      chosen,
      outcome: { done: chosen.length, changed, changedCount: changed.length, gone },
    };
  }
  approve(sel: Selection) {
    return this.call('approve', [sel], () => {
      const { chosen, outcome } = this.pick(sel);
      for (const i of chosen) i.approved = true;
      return ok(outcome);
    });
  }
  reject(sel: Selection) {
    return this.call('reject', [sel], () => {
      const { chosen, outcome } = this.pick(sel);
      const gone = new Set(chosen);
      this.pending.set(
        sel.pairId,
        (this.pending.get(sel.pairId) ?? []).filter((i) => !gone.has(i)),
      );
      return ok(outcome);
    });
  }
  resolveConflict(pairId: string, change: ShownChange, resolution: ConflictResolution) {
    return this.call('resolveConflict', [pairId, change, resolution], () => {
      const items = this.pending.get(pairId) ?? [];
      const it = items.find((i) => i.path === change.path);
      if (!it?.twoWay) return refused<null>(`no conflict is pending at ${change.path}`);
      if (it.rev !== change.rev) return refused<null>(`${change.path} changed since it was shown`);
      this.pending.set(
        pairId,
        items.filter((i) => i !== it),
      );
      return ok(null);
    });
  }
  setPolicy(pairId: string, policy: ApprovalPolicy) {
    return this.updatePair(pairId, { policy });
  }
  listHistory(pairId: string, offset = 0, limit = 100) {
    return this.call('listHistory', [pairId, offset, limit], () =>
      ok((this.history.get(pairId) ?? []).slice(offset, offset + limit)),
    );
  }
  listVersions(pairId: string, path: string) {
    return this.call('listVersions', [pairId, path], () =>
      ok(this.versions.get(`${pairId}:${path}`) ?? []),
    );
  }
  restoreVersion(
    pairId: string,
    path: string,
    run: string,
    stored: string,
    side?: 'source' | 'target',
  ) {
    const args =
      side === undefined ? [pairId, path, run, stored] : [pairId, path, run, stored, side];
    return this.call('restoreVersion', args, () => ok(null));
  }
  watcherHealth(pairId: string) {
    return this.call('watcherHealth', [pairId], () =>
      ok(this.statuses.get(pairId)?.watcher ?? HEALTHY),
    );
  }
  getSettings() {
    return this.call('getSettings', [], () => ok({ ...this.settings }));
  }
  updateSettings(patch: Partial<ServiceSettings>) {
    return this.call('updateSettings', [patch], () => {
      this.settings = { ...this.settings, ...patch };
      return ok({ ...this.settings });
    });
  }
  checkPair(source: string, target: string) {
    return this.call('checkPair', [source, target], () => {
      const refusal = this.refusals[`${source}|${target}`];
      if (refusal) return refused<PairCheck>(refusal);
      return ok({ source, target, targetExists: !target.endsWith('-new') });
    });
  }
  browseFolder(path: string | null) {
    return this.call('browseFolder', [path], () => {
      const dir = path ?? this.home;
      const folders = this.folders[dir];
      if (!folders) return refused<FolderListing>(`not a folder: ${dir}`);
      const parent = dir === '/' ? null : dir.slice(0, dir.lastIndexOf('/')) || '/';
      return ok({ path: dir, parent, folders, home: this.home });
    });
  }
  /** the service's log, as logTail answers */
  log = { path: '/home/ada/.local/state/tandem/logs/tandem.log', lines: [] as string[] };
  logTail(lines = 200) {
    return this.call('logTail', [lines], () =>
      ok({ path: this.log.path, lines: this.log.lines.slice(-lines) }),
    );
  }
  about() {
    return this.call('about', [], () => {
      const info: AboutInfo = { version: '0.0.0', home: '/tmp', platform: 'test', runtime: 'test' };
      return ok(info);
    });
  }
}
