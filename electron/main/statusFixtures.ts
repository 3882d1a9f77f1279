// Builders for the shell's tests: pairs and statuses with sensible defaults.
import { DEFAULT_POLICY, type PairConfig, type PairStatus } from '../shared/syncApi.js';

export function pair(id: string, source: string, target: string): PairConfig {
  return {
    id,
    source,
    target,
    paused: false,
    createdAt: 0,
    scheme: 'blake3',
    ignore: [],
    schedule: { kind: 'onChange' },
    policy: DEFAULT_POLICY,
    retentionDays: 30,
    scrubDays: 0,
    noDeletes: false,
    xattrs: true,
    acls: true,
    hardLinks: true,
    owners: true,
  };
}

export function status(pairId: string, patch: Partial<PairStatus> = {}): PairStatus {
  return {
    pairId,
    state: 'inSync',
    pending: 0,
    conflicts: 0,
    watcher: { mode: 'watching', needed: 10, limit: 8192 },
    ...patch,
  };
}
