// An in-memory SyncClient for component tests: canned pairs, pending changes, history, versions
// and folders; every call is recorded; `emit` pushes an engine event; `failNext` makes a call fail.
import { emptyApplyResult } from '../contract.js';
import type {
  AddPairInput,
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
  status() {
    return this.call('status', [], () => ok([...this.statuses.values()]));
  }
  listPending(q: PendingQuery) {
    return this.call('listPending', [q], () => {
      let items = this.pending.get(q.pairId ?? '') ?? [];
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
      };
      return ok(page);
    });
  }
  approve(sel: Selection) {
    return this.call('approve', [sel], () => {
      const items = this.pending.get(sel.pairId ?? '') ?? [];
      const chosen = sel.paths ? items.filter((i) => sel.paths!.includes(i.path)) : items;
      for (const i of chosen) i.approved = true;
      return ok(chosen.length);
    });
  }
  reject(sel: Selection) {
    return this.call('reject', [sel], () => {
      const items = this.pending.get(sel.pairId ?? '') ?? [];
      const gone = new Set(sel.paths ?? items.map((i) => i.path));
      this.pending.set(
        sel.pairId ?? '',
        items.filter((i) => !gone.has(i.path)),
      );
      return ok(gone.size);
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
  restoreVersion(pairId: string, path: string, run: string, stored: string) {
    return this.call('restoreVersion', [pairId, path, run, stored], () => ok(null));
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
  about() {
    return this.call('about', [], () => {
      const info: AboutInfo = { version: '0.0.0', home: '/tmp', platform: 'test', runtime: 'test' };
      return ok(info);
    });
  }
}
