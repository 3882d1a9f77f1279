// A full walk that compares folders before files.
//
// DESIGN.md's stale-id rule trusts a file's stored id while its stat is the one the id was
// computed from; a folder's stored id then stands while every child does. The walk sums up each
// folder's listed children (walk.ts, FolderListing: a digest of every child's name, type, size,
// mtime, ctime, inode and mode), and the index keeps that digest beside the folder's id, written
// in the same run as the id (writing a folder's row clears it). A folder whose listing has the
// stored digest, whose own row is as listed, and whose child folders are all so is exactly what
// the index holds, down to its last file. Where that is true on both sides and the two stored ids
// are equal, the folder is in sync: its node keeps the stored id (an "opaque" folder, as in a live
// cycle's region) and nothing below it is loaded from the index, matched or built. The stat walk
// itself still covers every entry: the rule asks for it on a cold pass, and only the listing can
// show that nothing moved.
import { FOLDER_DIGEST, ROW, type FolderRow } from '../index/identifierIndex.js';
import { parentOf } from './tree.js';
import { unfoldPacked, type WalkEntry, type WalkResult } from './walk.js';

/** The folders of one side whose listing is exactly what their stored rows were computed from. */
export function cleanFolders(walk: WalkResult, rows: ReadonlyMap<string, FolderRow>): Set<string> {
  const clean = new Set<string>();
  const folders = walk.folders;
  if (!folders) return clean;
  const dirty = new Set<string>();
  // Deepest first: a folder is clean only once all of its child folders are.
  const dirs = [...folders.keys()].sort((a, b) => depth(b) - depth(a));
  for (const d of dirs) {
    const f = folders.get(d)!;
    const e = walk.entries.get(d);
    const r = rows.get(d);
    const ok =
      !dirty.has(d) &&
      e !== undefined &&
      e.type === 'dir' &&
      f.digest !== null &&
      r !== undefined &&
      r[ROW.sameScheme] === 1 &&
      r[ROW.id] !== null &&
      ownRowMatches(r, e) &&
      r[ROW.size] === f.children &&
      r[FOLDER_DIGEST]?.equals(f.digest) === true;
    if (ok) clean.add(d);
    else if (d !== '') dirty.add(parentOf(d));
  }
  return clean;
}

function ownRowMatches(r: FolderRow, e: WalkEntry): boolean {
  return r[ROW.mode] === e.mode && r[ROW.mtimeMs] === e.mtimeMs && r[ROW.ino] === e.ino;
}

export interface InSyncCut {
  /** folders in sync on both sides whose parent is not: listed, keeping their stored ids */
  opaque: Set<string>;
  /** every folder at or below an opaque one: their children are left out of the scan */
  covered: Set<string>;
}

/**
 * The folders clean on both sides with equal stored ids, as the top-most ones (`opaque`) and all
 * they hold (`covered`). Below an in-sync folder everything is in sync (ids are Merkle hashes),
 * but `covered` does not lean on that: it is every folder below an opaque one, whatever its ids.
 */
export function inSyncFolders(
  source: WalkResult,
  target: WalkResult,
  sourceRows: ReadonlyMap<string, FolderRow>,
  targetRows: ReadonlyMap<string, FolderRow>,
): InSyncCut {
  const a = cleanFolders(source, sourceRows);
  const b = cleanFolders(target, targetRows);
  const same = new Set<string>();
  for (const d of a)
    if (b.has(d) && sourceRows.get(d)![ROW.id]!.equals(targetRows.get(d)![ROW.id]!)) same.add(d);
  const opaque = new Set<string>();
  const covered = new Set<string>();
  // Shallowest first, so a folder's parent is decided before it; the folders of both sides.
  const dirs = [...new Set([...source.folders!.keys(), ...target.folders!.keys()])].sort(
    (x, y) => depth(x) - depth(y),
  );
  for (const d of dirs) {
    const inside = d !== '' && covered.has(parentOf(d));
    if (inside) covered.add(d);
    else if (same.has(d)) {
      opaque.add(d);
      covered.add(d);
    }
  }
  return { opaque, covered };
}

/**
 * A side's listing without what lies inside covered folders (the opaque folders stay listed). A
 * lazy listing's packed folders outside them are unfolded here, each child after its folder: the
 * only place a packed file becomes an entry, so an unchanged folder's files never do.
 */
export function withoutCovered(walk: WalkResult, covered: ReadonlySet<string>): WalkResult {
  const { pending, ...listing } = walk;
  const entries = new Map<string, WalkEntry>();
  const unfold = (dir: string): void => {
    const packed = pending?.get(dir);
    if (packed && !covered.has(dir)) unfoldPacked(dir, packed, walk.entries, entries, unfold);
  };
  if (covered.has('')) entries.set('', walk.entries.get('')!);
  else
    for (const [p, e] of walk.entries) {
      if (isCovered(p, covered)) continue;
      // A packed folder's children come with it (unfold), in its listing's order.
      if (pending && p !== '' && pending.has(parentOf(p))) continue;
      entries.set(p, e);
      if (pending && e.type === 'dir') unfold(p);
    }
  return { ...listing, entries };
}

/** Whether an entry lies inside a covered folder (the root never does). */
export function isCovered(p: string, covered: ReadonlySet<string>): boolean {
  return p !== '' && covered.has(parentOf(p));
}

function depth(p: string): number {
  if (p === '') return 0;
  let n = 1;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 47) n++;
  return n;
}
