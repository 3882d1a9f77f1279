// Reconcile: the three-way rule of a two-way pair, a pure function from what sides A and B hold
// and what they last agreed on (the baseline) to one decision per path. Unison's archive rule:
// a path changed on one side only is copied to the other, changed on both to the same result only
// moves the baseline, changed on both in any other way is a conflict a person resolves. With no
// baseline (a first sync) equal entries become the baseline, one-sided ones are copied, differing
// ones are conflicts: no side ever wins by default. The result is a map in path order (byte
// order, a folder before what it holds) of the paths that need something, nothing for the rest.
// Holds (a side that suddenly looks empty, mass deletions) are the caller's, over these decisions.
//
// What an entry's change is. An entry is its type and id; a file's or symlink's id decides its
// content. A folder's own change is only its existence and its type: its id (a Merkle id of its
// contents) is ignored, because its contents are paths of their own. Metadata (mode, mtime,
// attributes, owners) is out of scope: the two-way mode compares it once this has made the ids
// agree. Names are compared as given: the caller maps each side's names under its own case and
// Unicode rules before. Special files are not entries here (they hold no bytes to sync).
//
// Folders and their contents, in three rules:
// 1. A folder removed on one side (deleted, or replaced by a file or symlink) is removed on the
//    other only if nothing under it there changed since the baseline (a created, modified or
//    type-changed entry; a deletion is no data to lose). Otherwise the folder stays: deleted on
//    X, it is created again on X (`kept`), and the paths under it are reconciled one by one, so
//    Y's creations flow to X, Y's edits of files X deleted are conflicts (deletedChanged), and
//    what Y left as it was is deleted on Y as X asked. Replaced by a file on X, it is a conflict
//    (typeChanged) between X's file and Y's folder. Deciding per path, not one conflict for the
//    whole folder as Unison does, keeps X's deletion of what Y never touched and leaves a person
//    only the paths where the two sides really disagree. Its price: where every inner conflict
//    ends as "keep X's deletion", an empty folder remains on both sides, which loses nothing.
// 2. A write into a side needs a folder there to hold it. A creation toward X, or a conflict
//    (whose resolution may write either side), under a path that is not a folder on X once this
//    run's one-way decisions are carried out, is held: it has no decision of its own and is listed
//    in the `inside` of the conflict above it that blocks it (there always is one: rule 1 makes
//    every other such parent a folder). Resolving that conflict decides its subtree, baseline
//    included: keep A makes B's entry and everything under it A's, keep B the reverse, keep both
//    renames the file or symlink aside and keeps the folder with its contents on both sides (two
//    files: one is renamed aside). Deletions and records under a blocking conflict are carried out: they agree with
//    every resolution (the folder that survives is the one without what its other side deleted).
// 3. Unknown is not absent: nothing at or below a path in `protectedPaths` (unreadable on either
//    side) is decided, and a decision that would remove a folder holding one is dropped (its
//    other paths are reconciled; the next run, with the path readable, finishes the folder).
//
// Renames. A file deleted at p on X that appears on X at a new path q (the same id), where Y still
// holds p as the baseline had it and nothing at q, is moved on Y (action 'move', from p to q)
// instead of being deleted and copied; each deleted path pairs with at most one new one, both in
// path order. Only files are moved: a renamed folder is a new folder, its files' moves and the
// old folder's deletion; a symlink costs nothing to write again. A rename on X against an edit of p on Y is a deletedChanged conflict at p, marked
// `movedTo: q`, and q is copied to Y as a creation: following the edit into q would merge two
// intents silently (a rename to "report-old" while the other side edits "report"); as a conflict
// a person sees both and loses neither. Renames of the same file on both sides to different names
// are no conflict: both names end on both sides, holding the same content, and nothing is lost. A
// rename on X against a deletion on Y keeps the file under its new name (X still wanted it).
//
// Applying a decision sets the baseline of its path to its `entry` (absent: dropped), and a move's
// also drops the baseline at `from`; a conflict moves no baseline until it is resolved. So an
// interrupted run needs no repair: each path's baseline moves with its own write.
import { isProtected } from './compare.js';
import { encodeName } from '../runtime/byteNames.js';
import { parentOf } from '../scan/tree.js';

export type ReconcileEntryType = 'file' | 'dir' | 'symlink';

/** What one side (or the baseline) holds at a path. A folder's id is ignored. */
export interface ReconcileEntry {
  type: ReconcileEntryType;
  id: string;
}

/** Every entry below a side's root by path ('a/b'); the root ('') is not an entry (if listed, ignored). */
export type Listing = ReadonlyMap<string, ReconcileEntry>;

export interface ReconcileInput {
  a: Listing;
  b: Listing;
  /** the last state A and B agreed on; empty on a first sync */
  base: Listing;
  /** paths either side could not read: nothing at or below them is decided */
  protectedPaths?: ReadonlySet<string>;
}

/** aToB: A's entry is written on B; bToA the reverse. */
export type Direction = 'aToB' | 'bToA';

/**
 * - bothCreated: no baseline entry, and the two sides hold different entries
 * - bothModified: both changed the content, the type staying the baseline's
 * - deletedChanged: one side deleted it, the other changed it
 * - typeChanged: one side changed its type, the other changed it otherwise (or, a folder replaced
 *   on one side, something inside it)
 */
export type ConflictKind = 'bothCreated' | 'bothModified' | 'deletedChanged' | 'typeChanged';

/** What each side and the baseline held at the path when it was reconciled. */
interface Seen {
  path: string;
  a?: ReconcileEntry;
  b?: ReconcileEntry;
  base?: ReconcileEntry;
}

/** Both sides already agree (the same entry, or both deleted it): nothing to write. */
export interface RecordDecision extends Seen {
  action: 'record';
  /** the new baseline; absent when both deleted the path */
  entry?: ReconcileEntry;
}

/** A change of one side, carried out on the other. */
export interface CopyDecision extends Seen {
  action: 'create' | 'update' | 'replaceType' | 'delete';
  direction: Direction;
  /** what the receiving side will hold, and the new baseline; absent for a deletion */
  entry?: ReconcileEntry;
  /** a folder the receiving side deleted, created again there for what the other side changed in it */
  kept?: true;
}

/** A file renamed on one side, renamed the same way on the other (which still holds `from`). */
export interface MoveDecision extends Seen {
  action: 'move';
  direction: Direction;
  from: string;
  entry: ReconcileEntry;
}

export interface ConflictDecision extends Seen {
  action: 'conflict';
  kind: ConflictKind;
  /** where the side that deleted this file holds it now, under another name */
  movedTo?: string;
  /** paths below whose changes wait for this conflict (rule 2 of the head comment), path order */
  inside: string[];
}

export type Decision = RecordDecision | CopyDecision | MoveDecision | ConflictDecision;

type SideName = 'a' | 'b';

/** Whether two entries are the same result: both absent, or the same type and (not folders) id. */
export function sameEntry(x: ReconcileEntry | undefined, y: ReconcileEntry | undefined): boolean {
  if (!x || !y) return x === y;
  return x.type === y.type && (x.type === 'dir' || x.id === y.id);
}

function conflictKind(a?: ReconcileEntry, b?: ReconcileEntry, o?: ReconcileEntry): ConflictKind {
  if (!o) return 'bothCreated';
  if (!a || !b) return 'deletedChanged';
  return a.type === o.type && b.type === o.type ? 'bothModified' : 'typeChanged';
}

/** The archive rule at one path, alone (the folder rules come after). */
function decidePath(
  path: string,
  a: ReconcileEntry | undefined,
  b: ReconcileEntry | undefined,
  base: ReconcileEntry | undefined,
): Decision | undefined {
  const changedA = !sameEntry(a, base);
  const changedB = !sameEntry(b, base);
  if (!changedA && !changedB) return undefined;
  const seen: Seen = { path, a, b, base };
  if (changedA && changedB) {
    if (sameEntry(a, b)) return { ...seen, action: 'record', entry: a };
    return { ...seen, action: 'conflict', kind: conflictKind(a, b, base), inside: [] };
  }
  const direction: Direction = changedA ? 'aToB' : 'bToA';
  const [from, to] = changedA ? [a, b] : [b, a];
  if (!from) return { ...seen, action: 'delete', direction };
  const action = !to ? 'create' : from.type === to.type ? 'update' : 'replaceType';
  return { ...seen, action, direction, entry: from };
}

function receiver(d: Direction): SideName {
  return d === 'aToB' ? 'b' : 'a';
}

function checkListing(name: string, l: Listing): void {
  for (const p of l.keys()) {
    if (p === '') continue;
    const parent = parentOf(p);
    if (parent !== '' && l.get(parent)?.type !== 'dir')
      throw new Error(`reconcile: ${name} lists ${p} but no folder ${parent} to hold it`);
  }
}

/** Every strict ancestor of the given paths (the root excluded). */
function ancestorsOf(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths)
    for (let q = parentOf(p); q !== '' && !out.has(q); q = parentOf(q)) out.add(q);
  return out;
}

/** The decisions that make A and B agree, for every path where they or the baseline differ. */
export function reconcile(input: ReconcileInput): Map<string, Decision> {
  const sides = { a: input.a, b: input.b };
  const { base } = input;
  checkListing('A', sides.a);
  checkListing('B', sides.b);
  checkListing('the baseline', base);
  const prot = input.protectedPaths;

  // Byte order (compareNames' order) puts every folder before what it holds; a path's bytes as a
  // latin1 string sort the same way, four times faster than Buffer.compare over 100,000 paths.
  const keys = new Map<string, string>();
  for (const l of [sides.a, sides.b, base])
    for (const p of l.keys())
      if (p !== '' && !keys.has(p) && !isProtected(p, prot))
        keys.set(p, encodeName(p).toString('latin1'));
  const paths = [...keys.keys()].sort((x, y) => {
    const kx = keys.get(x)!;
    const ky = keys.get(y)!;
    return kx < ky ? -1 : kx > ky ? 1 : 0;
  });

  const decisions = new Map<string, Decision>();
  for (const p of paths) {
    const d = decidePath(p, sides.a.get(p), sides.b.get(p), base.get(p));
    if (d) decisions.set(p, d);
  }

  // Rule 1: the folders under which each side changed something (kept entries, not deletions).
  const changedOn = (side: SideName): string[] =>
    paths.filter((p) => {
      const e = sides[side].get(p);
      return e !== undefined && !sameEntry(e, base.get(p));
    });
  const holdsChanges = { a: ancestorsOf(changedOn('a')), b: ancestorsOf(changedOn('b')) };
  const holdsUnknown = ancestorsOf(prot ?? []);
  for (const d of decisions.values()) {
    if (d.action !== 'delete' && d.action !== 'replaceType') continue;
    const to = receiver(d.direction);
    if (sides[to].get(d.path)?.type !== 'dir') continue;
    if (holdsChanges[to].has(d.path)) {
      const kept: Decision =
        d.action === 'delete'
          ? {
              ...seenOf(d),
              action: 'create',
              direction: d.direction === 'aToB' ? 'bToA' : 'aToB',
              entry: sides[to].get(d.path)!,
              kept: true,
            }
          : { ...seenOf(d), action: 'conflict', kind: 'typeChanged', inside: [] };
      decisions.set(d.path, kept);
    } else if (holdsUnknown.has(d.path)) decisions.delete(d.path); // rule 3
  }

  holdUnderConflicts(paths, decisions, sides);
  pairRenames(paths, decisions, base);
  return decisions;
}

function seenOf(d: Decision): Seen {
  return { path: d.path, a: d.a, b: d.b, base: d.base };
}

/** Rule 2: a write under a path that is no folder on its side waits for the conflict above it. */
function holdUnderConflicts(
  paths: readonly string[],
  decisions: Map<string, Decision>,
  sides: Record<SideName, Listing>,
): void {
  /** What a side holds at a path once the decisions still standing are carried out. */
  const after = (side: SideName, p: string): ReconcileEntry | undefined => {
    const d = decisions.get(p);
    if (d && d.action !== 'record' && d.action !== 'conflict' && receiver(d.direction) === side)
      return d.entry;
    return sides[side].get(p);
  };
  for (const p of paths) {
    const d = decisions.get(p);
    if (!d) continue;
    const needs: SideName[] =
      d.action === 'conflict' ? ['a', 'b'] : d.action === 'create' ? [receiver(d.direction)] : [];
    const parent = parentOf(p);
    if (parent === '' || needs.every((s) => after(s, parent)?.type === 'dir')) continue;
    let q = parent;
    while (q !== '' && decisions.get(q)?.action !== 'conflict') q = parentOf(q);
    const blocking = decisions.get(q);
    if (blocking?.action !== 'conflict')
      throw new Error(`reconcile: no conflict above ${p}, yet no folder on its side holds it`);
    blocking.inside.push(p);
    decisions.delete(p);
  }
}

/** Paths queued per key, taken in the order they were put. */
class PathQueues {
  private readonly queues = new Map<string, { paths: string[]; next: number }>();

  put(key: string, p: string): void {
    const q = this.queues.get(key);
    if (q) q.paths.push(p);
    else this.queues.set(key, { paths: [p], next: 0 });
  }

  take(key: string): string | undefined {
    const q = this.queues.get(key);
    return q && q.next < q.paths.length ? q.paths[q.next++] : undefined;
  }
}

/**
 * A one-way deletion of a file and a one-way creation of a file with the same id, in the same
 * direction, are one rename; a deletedChanged conflict of a file whose deleting side created it
 * under another name is marked with that name.
 */
function pairRenames(
  paths: readonly string[],
  decisions: Map<string, Decision>,
  base: Listing,
): void {
  const deleted = new PathQueues(); // direction + id -> deleted paths, in path order
  const created: CopyDecision[] = [];
  for (const p of paths) {
    const d = decisions.get(p);
    if (d?.action === 'delete' && base.get(p)?.type === 'file')
      deleted.put(`${d.direction} ${base.get(p)!.id}`, p);
    else if (d?.action === 'create' && d.entry?.type === 'file') created.push(d);
  }
  const unpaired = new PathQueues(); // direction + id -> new paths no deletion paired with
  for (const c of created) {
    const key = `${c.direction} ${c.entry!.id}`;
    const from = deleted.take(key);
    if (from === undefined) {
      unpaired.put(key, c.path);
      continue;
    }
    decisions.delete(from);
    decisions.set(c.path, {
      ...seenOf(c),
      action: 'move',
      direction: c.direction,
      from,
      entry: c.entry!,
    });
  }
  // Renamed against an edit: the deleting side's new name for the file, copied to the other side.
  for (const p of paths) {
    const d = decisions.get(p);
    if (d?.action !== 'conflict' || d.kind !== 'deletedChanged' || d.base?.type !== 'file')
      continue;
    const fromDeleter: Direction = d.a ? 'bToA' : 'aToB';
    const to = unpaired.take(`${fromDeleter} ${d.base.id}`);
    if (to !== undefined) d.movedTo = to;
  }
}
