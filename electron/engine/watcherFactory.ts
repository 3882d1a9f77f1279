// Connects the PairWatcher (chokidar) to a PairRunner: settled changes and rescan requests start
// a cycle, health and errors go to the pair's status.
import type { WatcherFactory } from './pairRunner.js';
import { PairWatcher, type PairWatcherOptions } from './pairWatcher.js';

export function createWatcherFactory(
  tuning: Pick<PairWatcherOptions, 'settleMs' | 'mergeMs' | 'limit'> = {},
): WatcherFactory {
  return (pair, cb) => {
    const w = new PairWatcher({
      source: pair.source,
      target: pair.target,
      ignore: pair.ignore,
      ...tuning,
    });
    w.on('changes', () => cb.onChanges());
    w.on('rescan', () => cb.onChanges());
    w.on('health', (h) => cb.onHealth(h));
    w.on('error', (e, side) => cb.onError(`${side}: ${e.message}`));
    return w;
  };
}
