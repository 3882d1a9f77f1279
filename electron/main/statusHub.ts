// Keeps a SyncModel current from a SyncClient and tells the tray and notifications what changed.
// No electron import, so it is tested with a fake client.
import type { SyncClient } from '../shared/rpc.js';
import type { SyncEvent } from '../shared/syncApi.js';
import { EMPTY_MODEL, reduceModel, withPairs, withStatuses, type SyncModel } from './syncModel.js';

/** `event` is null when the change came from a reply (the first load, a settings change). */
export type ModelListener = (next: SyncModel, prev: SyncModel, event: SyncEvent | null) => void;

export class StatusHub {
  model: SyncModel = EMPTY_MODEL;
  private readonly listeners = new Set<ModelListener>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly client: SyncClient) {}

  onChange(listener: ModelListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Subscribes, then loads pairs, statuses and settings. The service delivers events and replies
   * in order, so each reply holds everything before it: it replaces its part of the model, and
   * events after it apply on top. Resolves with a sentence if something could not be loaded.
   */
  async start(): Promise<string | null> {
    this.unsubscribe ??= this.client.onEvent((e) => this.set(reduceModel(this.model, e), e));
    const [pairs, statuses, settings] = await Promise.all([
      this.client.listPairs().then((r) => {
        if (r.ok) this.set(withPairs(this.model, r.value), null);
        return r;
      }),
      this.client.status().then((r) => {
        if (r.ok) this.set(withStatuses(this.model, r.value), null);
        return r;
      }),
      this.client.getSettings().then((r) => {
        if (r.ok) this.setPausedAll(r.value.pausedAll);
        return r;
      }),
    ]);
    for (const r of [pairs, statuses, settings]) if (!r.ok) return r.error.message;
    return null;
  }

  /** The settings changed through a call (there is no settings event). */
  setPausedAll(pausedAll: boolean): void {
    if (pausedAll !== this.model.pausedAll) this.set({ ...this.model, pausedAll }, null);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private set(next: SyncModel, event: SyncEvent | null): void {
    const prev = this.model;
    if (next === prev && event === null) return;
    this.model = next;
    for (const l of this.listeners) {
      try {
        l(next, prev, event);
      } catch (e) {
        // the tray failing must not stop notifications, nor the reverse
        console.error('Tandem: a status listener failed:', e);
      }
    }
  }
}
