// Connects the PairWatcher (folder watches, parcel or chokidar) to a PairRunner: settled changes (with their paths)
// and rescan requests start a cycle, health and errors go to the pair's status.
import type { WatcherFactory } from './pairRunner.js';
import { isRemoteTarget } from './pairRegistry.js';
import { PairWatcher, watcherBackend, type PairWatcherOptions } from '../watch/pairWatcher.js';

/**
 * The watcher's settle time defaults to just under the runner's quiet rule (a file is synced only
 * once unwritten for 1 s): a batch released earlier would start a cycle that can only defer the
 * file and scan the whole pair again a moment later.
 */
export const DEFAULT_SETTLE_MS = 900;

export function createWatcherFactory(
  tuning: Pick<PairWatcherOptions, 'settleMs' | 'mergeMs' | 'limit' | 'backend'> = {},
): WatcherFactory {
  const factory: WatcherFactory = (pair, cb) => {
    const w = new PairWatcher({
      source: pair.source,
      // A target on another machine is not watched from here (its pair is rescanned on its
      // schedule); isRemoteTarget is the registry's rule.
      target: isRemoteTarget(pair.target) ? null : pair.target,
      ignore: pair.ignore,
      ...tuning,
    });
    // A batch names its paths: the cycle looks at those. A rescan (an overflow, a burst too big
    // to track path by path) names none: the cycle walks the pair.
    w.on('changes', (batch) => cb.onChanges(batch.changes.map((c) => c.path)));
    w.on('rescan', () => cb.onChanges());
    w.on('health', (h) => cb.onHealth(h));
    w.on('error', (e, side) => cb.onError(`${side}: ${e.message}`));
    return w;
  };
  // parcel and the folder watches are up in seconds however large the pair (parcel 3.65 s a side
  // for 1,000,000 files here), chokidar lists every file first (about 4 s for 20,000).
  factory.startsQuickly = (tuning.backend ?? watcherBackend()) !== 'chokidar';
  return factory;
}
