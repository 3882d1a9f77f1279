// Which OS notifications an event deserves, and how often: pure, so the rules have tests.
// notifications.ts shows what these return.
import { formatBytes } from '../shared/format.js';
import type { ApplyResult } from '../shared/plan.js';
import type { SyncEvent } from '../shared/syncApi.js';
import type { NavigateView } from './channels.js';
import type { SyncModel } from './syncModel.js';
import { pairLabel } from './trayStatus.js';

/** A key and the least time between two notices that share it. */
export type NoticeLimit = readonly [key: string, gapMs: number];

export interface Notice {
  title: string;
  body: string;
  /** what the window shows when the notice is clicked */
  view?: NavigateView;
  /** shown only if no notice with any of these keys was shown within its gap */
  limits: readonly NoticeLimit[];
}

const MINUTE = 60_000;
/** a pair that syncs every few seconds (auto-approve while someone works) must not nag */
export const APPLIED_GAP = 5 * MINUTE;
export const CONFLICT_GAP = 2 * MINUTE;
export const ERROR_GAP_PER_PAIR = MINUTE;
export const SAME_ERROR_GAP = 30 * MINUTE;

export const TRAY_HINT: Notice = {
  title: 'Tandem keeps syncing in the tray',
  body: 'Open it again from the tray icon or by starting Tandem again. To stop syncing, choose Quit in the tray menu.',
  limits: [],
};

/** Engine messages are lower-case clauses; a notification reads better as a sentence. */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const s = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(s) ? s : `${s}.`;
}

/** "12 changes, 340 MiB" and, when some failed, how many and where to look. */
export function appliedSummary(r: ApplyResult): string {
  const parts = [`${r.applied} ${r.applied === 1 ? 'change' : 'changes'}`];
  if (r.bytesWritten > 0) parts.push(formatBytes(r.bytesWritten));
  let text = parts.join(', ');
  if (r.failed.length > 0)
    text += `; ${r.failed.length} could not be written — open Tandem to see why`;
  return text;
}

export interface NoticeContext {
  /** the user is looking at Tandem: its window shows all of this already */
  windowFocused: boolean;
}

/** The notices one model change calls for (usually none). */
export function noticesFor(
  prev: SyncModel,
  next: SyncModel,
  event: SyncEvent | null,
  ctx: NoticeContext,
): Notice[] {
  if (event === null || ctx.windowFocused) return [];
  const label = (id: string | undefined) => {
    const p = id === undefined ? undefined : next.pairs.find((x) => x.id === id);
    return p ? pairLabel(p) : null;
  };
  switch (event.type) {
    case 'applied': {
      const name = label(event.pairId);
      if (!event.movedData || !name) return [];
      return [
        {
          title: `Synced ${name}`,
          body: appliedSummary(event.result),
          limits: [[`applied:${event.pairId}`, APPLIED_GAP]],
        },
      ];
    }
    case 'pairStatus': {
      const before = prev.statuses.get(event.status.pairId);
      const name = label(event.status.pairId);
      // Without an earlier status (just started) the count is not new: the tray shows it.
      if (!before || !name) return [];
      const added = event.status.conflicts - before.conflicts;
      if (added <= 0) return [];
      const twoWay = next.pairs.find((x) => x.id === event.status.pairId)?.mode === 'twoWay';
      if (twoWay) {
        return [
          {
            title: added === 1 ? 'A conflict to resolve' : `${added} conflicts to resolve`,
            body: `${name}: both sides changed the same file. Both copies stay as they are until you choose A's, B's or both.`,
            view: 'pending',
            limits: [[`conflict:${event.status.pairId}`, CONFLICT_GAP]],
          },
        ];
      }
      return [
        {
          title:
            added === 1 ? 'A change needs your approval' : `${added} changes need your approval`,
          body: `${name}: the target has changes Tandem did not make. Nothing there is overwritten until you decide.`,
          view: 'pending',
          limits: [[`conflict:${event.status.pairId}`, CONFLICT_GAP]],
        },
      ];
    }
    case 'error': {
      const name = label(event.pairId);
      const key = event.pairId ?? 'service';
      return [
        {
          title: name ? `Problem syncing ${name}` : 'Tandem ran into a problem',
          body: sentence(event.message),
          limits: [
            [`error:${key}`, ERROR_GAP_PER_PAIR],
            [`error:${key}:${event.message}`, SAME_ERROR_GAP],
          ],
        },
      ];
    }
    case 'pairsChanged':
    case 'pendingChanged':
    case 'progress':
    case 'watcherHealth':
    case 'settingsChanged':
      return [];
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** Whether a notice may be shown now, given when each key last fired. */
export function admitNotice(
  notice: Notice,
  lastShown: ReadonlyMap<string, number>,
  now: number,
): boolean {
  return notice.limits.every(([key, gap]) => {
    const at = lastShown.get(key);
    return at === undefined || now - at >= gap;
  });
}

/** The record after showing a notice; entries older than any gap are dropped to stay small. */
export function recordNotice(
  notice: Notice,
  lastShown: ReadonlyMap<string, number>,
  now: number,
): Map<string, number> {
  const next = new Map([...lastShown].filter(([, at]) => now - at < SAME_ERROR_GAP));
  for (const [key] of notice.limits) next.set(key, now);
  return next;
}
