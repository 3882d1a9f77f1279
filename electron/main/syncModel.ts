// What the shell (tray, notifications) knows of the service: the pairs, their latest statuses and
// the pause-all switch, folded from SyncEvents by a pure reducer.
import type { SyncEvent, PairConfig, PairStatus } from '../shared/syncApi.js';

export interface SyncModel {
  pairs: readonly PairConfig[];
  statuses: ReadonlyMap<string, PairStatus>;
  pausedAll: boolean;
}

export const EMPTY_MODEL: SyncModel = { pairs: [], statuses: new Map(), pausedAll: false };

function missingCase(x: never): never {
  throw new Error(`unhandled event: ${JSON.stringify(x)}`);
}

/** The model after an event. Returns the same object when the event changes nothing it holds. */
export function reduceModel(m: SyncModel, e: SyncEvent): SyncModel {
  switch (e.type) {
    case 'pairStatus': {
      const statuses = new Map(m.statuses);
      statuses.set(e.status.pairId, e.status);
      return { ...m, statuses };
    }
    case 'pairsChanged':
      return withPairs(m, e.pairs);
    case 'settingsChanged':
      return e.settings.pausedAll === m.pausedAll ? m : { ...m, pausedAll: e.settings.pausedAll };
    case 'pendingChanged':
    case 'progress':
    case 'applied':
    case 'error':
    case 'watcherHealth':
      // pairStatus carries the counts and states the shell shows; these add detail for the UI.
      return m;
    default:
      return missingCase(e);
  }
}

/** The model with a new pair list; statuses of pairs that are gone are dropped. */
export function withPairs(m: SyncModel, pairs: readonly PairConfig[]): SyncModel {
  const ids = new Set(pairs.map((p) => p.id));
  const statuses = new Map([...m.statuses].filter(([id]) => ids.has(id)));
  return { ...m, pairs, statuses };
}

/** The model with fresh statuses (from a status() reply), for current pairs only. */
export function withStatuses(m: SyncModel, list: readonly PairStatus[]): SyncModel {
  return { ...m, statuses: new Map(list.map((s) => [s.pairId, s])) };
}

/** Statuses of the current pairs, in the pairs' order (a pair not reported yet is left out). */
export function statusList(m: SyncModel): PairStatus[] {
  return m.pairs.flatMap((p) => {
    const s = m.statuses.get(p.id);
    return s ? [s] : [];
  });
}
