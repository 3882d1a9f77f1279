// A live cycle's listing: only the folders its changes are in, not the whole pair.
//
// The watcher names the paths that changed (on either side). Everything else is what the last
// cycle left in the index, which DESIGN.md's stale-id rule lets a cycle trust while the pair has
// been watched without a gap since a full walk. So a cycle lists, on both sides, the folders on
// the way from the root to each changed path and the changed folders themselves, and below them
// only what it cannot vouch for; a folder it does not list is "opaque": it keeps the id the index
// holds (its children are not loaded at all). An edit in a pair of a million files lists a few
// folders (the root, the folders above the file, the file's own) instead of a million entries.
//
// A child folder of a listed folder is opaque only where both sides hold it as a folder whose row
// is still exact (the same scheme, a stored id, the mode and mtime it was stored with: a name
// added or removed in it moves its mtime). Anything else — a folder on one side only, a changed
// type, a row that is missing or out of date — is listed, and so on down: a folder that a plan
// creates or deletes is listed whole, so compare sees all of it, as in a full walk.
import type { Side } from '../../../shared/plan.js';
import { ROW, TYPE_CODE, type IdentifierIndex, type IndexRow } from '../index/identifierIndex.js';
import { parentOf } from './tree.js';
import { isTextName } from '../runtime/byteNames.js';
import {
  FolderLister,
  IGNORE_FILE,
  type WalkEntry,
  type WalkOptions,
  type WalkResult,
} from './walk.js';

/** The rows a region reads (a two-way pair's come from two indexes). */
export type RegionIndex = Pick<IdentifierIndex, 'loadPaths' | 'loadUnder' | 'loadChildren'>;

export interface RegionInput {
  source: string;
  target: string;
  walkOptions: WalkOptions;
  /** paths (relative, '/'-separated) that changed on either side since the last cycle */
  changed: Iterable<string>;
  index: RegionIndex;
  scheme: string;
  /** the pair keeps owners: a folder's own owner is checked by its ctime */
  owners: boolean;
  /** give up (the caller walks the pair instead) once this many entries are listed */
  maxEntries?: number;
  /**
   * List one side only (an apply's own writes, listed again on the target: SyncSession's
   * settleTarget); its child folders are then opaque on that side's rows alone. Default: both.
   */
  only?: Side;
}

/** One side of a region: what scanSide takes in place of a full listing and a full index load. */
export interface SideRegion {
  listing: WalkResult;
  /** the index rows of every listed entry, of every changed path, and of what was below a changed folder */
  indexed: Map<string, IndexRow>;
  /** listed folders whose contents are not listed: their stored ids stand */
  opaque: Set<string>;
}

export interface Region {
  source: SideRegion;
  target: SideRegion;
  /** folders whose children were listed (on the sides where they are folders) */
  listed: Set<string>;
  changed: Set<string>;
  /**
   * Whether this region's plan knows the path's state on both sides (its folder was listed, or
   * a folder above it was and holds no folder on the way): a pending change elsewhere stands.
   */
  covers: (p: string) => boolean;
}

/**
 * The paths a live cycle must look at: the changed ones, and both ends of every pending move. A
 * move is found within one plan (a clean delete and a create with the same id), so a cycle that
 * covered one end only would replace it by half of it.
 */
export function withPendingMoves(
  changed: Iterable<string>,
  pending: readonly { kind: string; path: string; from?: string }[],
): Set<string> {
  const out = new Set(changed);
  for (const p of pending)
    if (p.kind === 'rename' && p.from !== undefined) {
      out.add(p.path);
      out.add(p.from);
    }
  return out;
}

/** More entries than this in one live cycle: walking the whole pair costs about the same. */
export const MAX_REGION_ENTRIES = 50_000;

/**
 * The region for a set of changed paths, or null where a full walk is the right answer: the
 * ignore file changed (what is synced changed), or too much changed.
 */
export function listRegion(input: RegionInput): Region | null {
  const changed = new Set<string>();
  for (const p of input.changed) changed.add(p.replace(/\/+$/, ''));
  if (changed.has(IGNORE_FILE)) return null;
  const max = input.maxEntries ?? MAX_REGION_ENTRIES;

  // The folders on the way to each changed path, and each changed path itself (listed where it
  // is a folder): these are listed whatever their rows say.
  const wanted = new Set<string>(['']);
  for (const p of changed) {
    wanted.add(p);
    for (let d = parentOf(p); !wanted.has(d); d = parentOf(d)) wanted.add(d);
  }

  const onSides: readonly Side[] = input.only ? [input.only] : ['source', 'target'];
  const roots = { source: input.source, target: input.target };
  const sides = {} as Record<Side, FolderLister>;
  for (const s of onSides) sides[s] = new FolderLister(roots[s], s, input.walkOptions);
  const listedCount = (): number => onSides.reduce((n, s) => n + sides[s].entries.size, 0);
  const rows = { source: new Map<string, IndexRow>(), target: new Map<string, IndexRow>() };
  const opaque = { source: new Set<string>(), target: new Set<string>() };
  const rowOf = (side: Side, p: string): IndexRow | undefined =>
    input.index.loadPaths(side, input.scheme, [p], rows[side]).get(p);
  /** The folder's row is exact for what the listing shows of it. */
  const vouched = (side: Side, p: string, e: WalkEntry | undefined): boolean => {
    if (!e || e.type !== 'dir') return false;
    const r = rowOf(side, p);
    return (
      r !== undefined &&
      r[ROW.type] === TYPE_CODE.dir &&
      r[ROW.sameScheme] === 1 &&
      r[ROW.id] !== null &&
      r[ROW.mode] === e.mode &&
      r[ROW.mtimeMs] === e.mtimeMs &&
      r[ROW.ino] === e.ino &&
      (!input.owners || r[ROW.ctimeMs] === e.ctimeMs)
    );
  };

  // A change the watcher could not name (a name that is not UTF-8 on the way) is reported on
  // the nearest folder it can name: below such a folder, every folder with such a name, and all
  // below it, is listed.
  const suspect = new Set<string>();
  const listed = new Set<string>();
  const listedOn = { source: new Set<string>(), target: new Set<string>() };
  const queue: string[] = [''];
  while (queue.length) {
    const dir = queue.pop()!;
    listed.add(dir);
    const kids = new Set<string>();
    for (const side of onSides) {
      const l = sides[side];
      if (l.entries.get(dir)?.type !== 'dir') continue;
      listedOn[side].add(dir);
      for (const k of l.list(dir)) kids.add(k);
    }
    if (listedCount() > max) return null;
    for (const k of kids) {
      if (suspect.has(dir) || (changed.has(dir) && !isTextName(k))) {
        suspect.add(k);
        queue.push(k);
        continue;
      }
      if (!wanted.has(k) && onSides.every((s) => vouched(s, k, sides[s].entries.get(k)))) {
        for (const s of onSides) opaque[s].add(k);
      } else queue.push(k);
    }
  }

  const sideRegion = (side: Side): SideRegion => {
    const l = sides[side];
    const indexed = rows[side];
    // The rows of each listed folder's children, files' ids with them: one query per folder
    // rather than one per entry (and one more per file for its id). A listed entry the index
    // does not hold under a listed folder is looked up alone (none is found).
    for (const d of listedOn[side]) input.index.loadChildren(side, input.scheme, d, indexed, true);
    input.index.loadPaths(side, input.scheme, l.entries.keys(), indexed);
    input.index.loadPaths(side, input.scheme, changed, indexed);
    // What was below a changed folder (removed, replaced, or emptied while its events were
    // merged away) is known only to the index: its rows, outside opaque folders, are what the
    // scan finds gone.
    const below = new Map<string, IndexRow>();
    for (const p of changed) {
      if (p === '') continue;
      const r = indexed.get(p);
      if (r && r[ROW.type] === TYPE_CODE.dir) input.index.loadUnder(side, input.scheme, p, below);
    }
    for (const [p, r] of below) if (!underOpaque(p, opaque[side])) indexed.set(p, r);
    return { listing: l.result(), indexed, opaque: opaque[side] };
  };

  const unlisted = (side: Side): SideRegion => ({
    listing: { root: roots[side], entries: new Map(), skipped: [], collisions: [] },
    indexed: new Map(),
    opaque: new Set(),
  });
  const source = onSides.includes('source') ? sideRegion('source') : unlisted('source');
  const target = onSides.includes('target') ? sideRegion('target') : unlisted('target');
  /**
   * Whether the listing of a side says what it holds at `p`: its folder was listed there, or a
   * folder above it was listed and holds no folder on the way (all below is known absent).
   */
  const known = (side: Side, p: string): boolean => {
    if (listedOn[side].has(parentOf(p))) return true;
    for (let d = parentOf(p); d !== ''; d = parentOf(d))
      if (listedOn[side].has(parentOf(d)) && sides[side].entries.get(d)?.type !== 'dir')
        return true;
    return false;
  };
  const covers = (p: string): boolean => p !== '' && known('source', p) && known('target', p);
  return { source, target, listed, changed, covers };
}

function underOpaque(p: string, opaque: ReadonlySet<string>): boolean {
  if (opaque.size === 0) return false;
  for (let d = parentOf(p); d !== ''; d = parentOf(d)) if (opaque.has(d)) return true;
  return false;
}
