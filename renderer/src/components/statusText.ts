// The words for a pair's state, shared by the sidebar badge and the pair's header.
import type { PairConfig, PairStatus } from '../contract.js';
import { plural } from '../format.js';

export type BadgeTone = 'ok' | 'pending' | 'conflict' | 'busy' | 'paused' | 'error';

export function statusBadge(
  pair: PairConfig,
  status: PairStatus | undefined,
): { text: string; tone: BadgeTone } {
  if (pair.paused || status?.state === 'paused') return { text: 'Paused', tone: 'paused' };
  if (!status || status.state === 'starting' || status.state === 'scanning')
    return { text: 'Scanning', tone: 'busy' };
  if (status.state === 'error') return { text: 'Error', tone: 'error' };
  if (status.state === 'syncing') return { text: 'Syncing', tone: 'busy' };
  if (status.conflicts > 0) return { text: plural(status.conflicts, 'conflict'), tone: 'conflict' };
  if (status.pending > 0)
    return { text: `${status.pending.toLocaleString()} pending`, tone: 'pending' };
  return { text: 'In sync', tone: 'ok' };
}
