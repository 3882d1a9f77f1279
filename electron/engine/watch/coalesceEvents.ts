// Merges a burst of raw watcher events into the fewest changes that say the same thing, so a path
// is looked at once per burst however often it was written. Pure; VS Code's is the model.

export type WatchEventKind = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';

/** One watcher event. `path` is relative to the watched root, '/'-separated; '' is the root. */
export interface WatchEvent {
  kind: WatchEventKind;
  path: string;
}

/** A merged change, shaped like a raw event: at most two per path (a removal, then an addition). */
export type Coalesced = WatchEvent;

type Presence = 'absent' | 'file' | 'dir';

/** What the path held before an event of this kind, and what it holds after. */
const BEFORE: Record<WatchEventKind, Presence> = {
  add: 'absent',
  addDir: 'absent',
  change: 'file',
  unlink: 'file',
  unlinkDir: 'dir',
};
const AFTER: Record<WatchEventKind, Presence> = {
  add: 'file',
  addDir: 'dir',
  change: 'file',
  unlink: 'absent',
  unlinkDir: 'absent',
};

/**
 * The net effect of a burst, path by path: only what a path held before its first event and
 * after its last one matters (add+unlink → nothing, unlink+add → change, change×n → change).
 * A folder removal swallows the earlier events below it, and removals below a removed folder are
 * dropped whatever order they came in (chokidar reports children before their folder).
 * Output keeps the order in which each path first appeared.
 */
export function coalesceEvents(events: readonly WatchEvent[]): Coalesced[] {
  // Where a folder was removed, every earlier event below it describes something that is gone.
  const removedAt = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.kind === 'unlinkDir') removedAt.set(e.path, i);
  });
  const cutBelow =
    removedAt.size > 0 ? foldOverAncestors((dir) => removedAt.get(dir) ?? -1, Math.max, -1) : null;

  const spans = new Map<string, { first: WatchEventKind; last: WatchEventKind }>();
  events.forEach((e, i) => {
    if (cutBelow && i < cutBelow(parentOf(e.path))) return;
    const span = spans.get(e.path);
    if (span) span.last = e.kind;
    else spans.set(e.path, { first: e.kind, last: e.kind });
  });

  const removedDirs = new Set<string>();
  for (const [p, s] of spans) if (BEFORE[s.first] === 'dir') removedDirs.add(p);
  const underRemoved =
    removedDirs.size > 0
      ? foldOverAncestors((dir) => (removedDirs.has(dir) ? 1 : 0), Math.max, 0)
      : null;

  const out: Coalesced[] = [];
  for (const [p, s] of spans) {
    const net = netChange(BEFORE[s.first], AFTER[s.last]);
    // A removal below a removed folder adds nothing; additions stay (the folder may be back).
    if (net.length === 1 && AFTER[net[0]!] === 'absent' && underRemoved?.(parentOf(p))) continue;
    for (const kind of net) out.push({ kind, path: p });
  }
  return out;
}

function netChange(before: Presence, after: Presence): WatchEventKind[] {
  const removal: WatchEventKind[] =
    before === 'file' && after !== 'file' ? ['unlink'] : before === 'dir' ? ['unlinkDir'] : [];
  if (after === 'absent') return removal;
  if (after === 'file') return before === 'file' ? ['change'] : [...removal, 'add'];
  return [...removal, 'addDir'];
}

/** The parent of a path ('' for a top-level name), or null for the root itself. */
function parentOf(p: string): string | null {
  if (p === '') return null;
  const slash = p.lastIndexOf('/');
  return slash < 0 ? '' : p.slice(0, slash);
}

/**
 * `valueOf` folded over a folder and all its ancestors, memoised per folder: a burst of 100,000
 * events under a few hundred folders walks each folder's chain once, not once per event.
 */
function foldOverAncestors(
  valueOf: (dir: string) => number,
  fold: (a: number, b: number) => number,
  identity: number,
): (dir: string | null) => number {
  const memo = new Map<string, number>();
  const at = (dir: string | null): number => {
    if (dir === null) return identity;
    const known = memo.get(dir);
    if (known !== undefined) return known;
    const v = fold(valueOf(dir), at(parentOf(dir)));
    memo.set(dir, v);
    return v;
  };
  return at;
}
