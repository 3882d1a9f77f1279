// The approval policy, a pure function: which pending changes a pair may apply on its own.
// Auto-approve applies a change only where the target still holds what Tandem last wrote (or
// nothing); conflicts, deletions beyond the pair's limit and held plans always wait for a person.
import type { Hold, PlanItem } from '../../shared/plan.js';
import type { ApprovalPolicy } from '../../shared/syncApi.js';

export interface Decision {
  auto: boolean;
  /** why this change waits for a person, when it does */
  needsPerson?: string;
}

const CONFLICT_REASON = {
  targetEdited: 'the target changed since Tandem last wrote it',
  targetUnknown: 'the target holds data Tandem never saw in sync',
  bothChanged: "both sides changed it: choose A's, B's, or keep both",
} as const;

export function decideApprovals(
  items: readonly PlanItem[],
  holds: readonly Hold[],
  policy: ApprovalPolicy,
): Decision[] {
  if (holds.length) {
    const why = `held: ${holds.map((h) => h.message).join('; ')}`;
    return items.map(() => ({ auto: false, needsPerson: why }));
  }
  let deletes = 0;
  const decisions = items.map((it): Decision => {
    if (it.conflict) return { auto: false, needsPerson: CONFLICT_REASON[it.conflict] };
    if (!policy.autoApprove)
      return { auto: false, needsPerson: 'auto-approve is off for this pair' };
    if (it.kind === 'delete') {
      if (!policy.autoApproveDeletes)
        return { auto: false, needsPerson: 'deletions wait for a person on this pair' };
      if (++deletes > policy.maxAutoDeletes) {
        return {
          auto: false,
          needsPerson: `more than ${policy.maxAutoDeletes} deletions at once wait for a person`,
        };
      }
    }
    return { auto: true };
  });
  return holdFoldersAboveWaiting(items, decisions);
}

/**
 * A folder's deletion cannot happen while an entry inside it waits for a person (it would stay,
 * not empty), so it waits too; applied on its own it would be "applied" again at every cycle.
 */
function holdFoldersAboveWaiting(items: readonly PlanItem[], decisions: Decision[]): Decision[] {
  const waiting = new Set<string>();
  items.forEach((it, i) => {
    if (decisions[i]!.auto) return;
    for (let p = it.path, k = p.lastIndexOf('/'); k > 0; k = p.lastIndexOf('/', k - 1))
      waiting.add(p.slice(0, k));
  });
  if (waiting.size === 0) return decisions;
  return decisions.map((d, i) => {
    const it = items[i]!;
    if (!d.auto || it.kind !== 'delete' || it.target?.type !== 'dir' || !waiting.has(it.path))
      return d;
    return { auto: false, needsPerson: 'entries inside this folder wait for a person' };
  });
}
