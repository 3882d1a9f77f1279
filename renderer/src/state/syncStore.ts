// The UI's state: pairs, statuses, progress and settings, loaded once and then kept current by
// the engine's events; plus the notices (errors and confirmations) every view reports into.
import type {
  SyncClient,
  PairConfig,
  PairStatus,
  Progress,
  Result,
  ServiceSettings,
  SyncEvent,
} from '../contract.js';
import { plural } from '../format.js';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

export interface SyncState {
  loaded: boolean;
  pairs: PairConfig[];
  statuses: Readonly<Record<string, PairStatus>>;
  progress: Readonly<Record<string, Progress>>;
  settings: ServiceSettings | null;
  notices: Notice[];
  /** bumped per pair when its pending list changes, so lists refetch what they show */
  pendingVersion: Readonly<Record<string, number>>;
  /** bumped per pair when changes were applied, so its history refetches */
  appliedVersion: Readonly<Record<string, number>>;
}

const INITIAL: SyncState = {
  loaded: false,
  pairs: [],
  statuses: {},
  progress: {},
  settings: null,
  notices: [],
  pendingVersion: {},
  appliedVersion: {},
};

const MAX_NOTICES = 5;

const busy = (s: PairStatus) => s.state === 'syncing' || s.state === 'scanning';

function without<T>(rec: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const { [key]: _gone, ...rest } = rec;
  return rest;
}

export class SyncStore {
  private state: SyncState = INITIAL;
  private readonly listeners = new Set<() => void>();
  private nextNotice = 1;

  /**
   * @param offline true while the link to the engine is down: failures then say only what the
   *   connection banner already says, so they are not repeated as notices
   */
  constructor(
    readonly client: SyncClient,
    private readonly offline: () => boolean = () => false,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  getSnapshot = (): SyncState => this.state;

  /** Listens to the engine and loads everything; returns the stop function. */
  start(): () => void {
    const off = this.client.onEvent((e) => this.handle(e));
    void this.load();
    return off;
  }

  /** Fetches pairs, statuses and settings afresh (at start and after a reconnect). */
  async load(): Promise<void> {
    const [pairs, statuses, settings] = await Promise.all([
      this.run(this.client.listPairs()),
      this.run(this.client.status()),
      this.run(this.client.getSettings()),
    ]);
    this.update((s) => ({
      ...s,
      // with no pairs list the window cannot say anything true yet (e.g. the link is down)
      loaded: s.loaded || pairs !== undefined,
      pairs: pairs ?? s.pairs,
      statuses: statuses ? Object.fromEntries(statuses.map((st) => [st.pairId, st])) : s.statuses,
      settings: settings ?? s.settings,
      // everything may have changed while we were away
      pendingVersion: bumpAll(s.pendingVersion, pairs ?? s.pairs),
      appliedVersion: bumpAll(s.appliedVersion, pairs ?? s.pairs),
    }));
  }

  /** Awaits a call; an error becomes a notice and the result undefined. */
  async run<T>(call: Promise<Result<T>>): Promise<T | undefined> {
    const r = await call;
    if (r.ok) return r.value;
    if (!this.offline()) this.report(r.error.message);
    return undefined;
  }

  report(message: string): void {
    this.addNotice('error', message);
  }

  notify(message: string): void {
    this.addNotice('info', message);
  }

  dismiss(id: number): void {
    this.update((s) => ({ ...s, notices: s.notices.filter((n) => n.id !== id) }));
  }

  setSettings(settings: ServiceSettings): void {
    this.update((s) => ({ ...s, settings }));
  }

  /** A pair config returned by a call, ahead of the pairsChanged event that follows it. */
  putPair(pair: PairConfig): void {
    this.update((s) => {
      const i = s.pairs.findIndex((p) => p.id === pair.id);
      const pairs = i < 0 ? [...s.pairs, pair] : s.pairs.map((p) => (p.id === pair.id ? pair : p));
      return { ...s, pairs };
    });
  }

  /** Tells the pair's views to refetch, e.g. after an approve that may not raise an event. */
  touchPending(pairId: string): void {
    this.update((s) => ({ ...s, pendingVersion: bump(s.pendingVersion, pairId) }));
  }

  handle(e: SyncEvent): void {
    switch (e.type) {
      case 'pairsChanged': {
        const ids = new Set(e.pairs.map((p) => p.id));
        return this.update((s) => ({
          ...s,
          pairs: e.pairs,
          statuses: Object.fromEntries(Object.entries(s.statuses).filter(([id]) => ids.has(id))),
        }));
      }
      case 'pairStatus':
        return this.update((s) => ({
          ...s,
          statuses: { ...s.statuses, [e.status.pairId]: e.status },
          progress: !busy(e.status)
            ? without(s.progress, e.status.pairId)
            : e.status.progress
              ? { ...s.progress, [e.status.pairId]: e.status.progress }
              : s.progress,
        }));
      case 'progress':
        return this.update((s) => ({ ...s, progress: { ...s.progress, [e.pairId]: e.progress } }));
      case 'watcherHealth':
        return this.update((s) => {
          const st = s.statuses[e.pairId];
          if (!st) return s;
          return { ...s, statuses: { ...s.statuses, [e.pairId]: { ...st, watcher: e.health } } };
        });
      case 'pendingChanged':
        return this.update((s) => {
          const st = s.statuses[e.pairId];
          return {
            ...s,
            pendingVersion: bump(s.pendingVersion, e.pairId),
            statuses: st ? { ...s.statuses, [e.pairId]: { ...st, pending: e.total } } : s.statuses,
          };
        });
      case 'applied': {
        this.update((s) => ({ ...s, appliedVersion: bump(s.appliedVersion, e.pairId) }));
        const failed = e.result.failed;
        if (failed.length > 0)
          this.report(
            `${plural(failed.length, 'change')} could not be applied (${failed[0]!.path}: ${failed[0]!.message}); see History.`,
          );
        return;
      }
      case 'error':
        return this.report(e.message);
      case 'settingsChanged':
        return this.update((s) => ({ ...s, settings: e.settings }));
      default: {
        const never: never = e;
        return void never;
      }
    }
  }

  private addNotice(kind: Notice['kind'], message: string): void {
    const notice = { id: this.nextNotice++, kind, message };
    this.update((s) => ({ ...s, notices: [...s.notices, notice].slice(-MAX_NOTICES) }));
  }

  private update(f: (s: SyncState) => SyncState): void {
    const next = f(this.state);
    if (next === this.state) return;
    this.state = next;
    for (const l of this.listeners) l();
  }
}

function bump(rec: Readonly<Record<string, number>>, id: string): Record<string, number> {
  return { ...rec, [id]: (rec[id] ?? 0) + 1 };
}

function bumpAll(rec: Readonly<Record<string, number>>, pairs: PairConfig[]) {
  const out: Record<string, number> = { ...rec };
  for (const p of pairs) out[p.id] = (out[p.id] ?? 0) + 1;
  return out;
}
