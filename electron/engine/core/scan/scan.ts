// Scan one side: list it, reuse every id the index can vouch for, hash the rest on the pool,
// and build the id tree with folder ids bottom-up. Returns what the index should learn.
//
// Speed on an unchanged tree comes from not touching ids at all: a reused file's id stays in the
// index until something asks for it (StoredFileNode), and a folder whose children all match the
// index keeps its stored folder id, so an unchanged pair compares two root ids and stops.
import fs from 'node:fs';
import path from 'node:path';
import type { Skipped } from '../../../shared/plan.js';
import type { SchemeHasher } from '../hash/hashScheme.js';
import type { HashPool, HashRequest } from '../hash/hashPool.js';
import { sameStat, statKey } from '../hash/hashFile.js';
import {
  compareNames,
  folderId,
  mtimeKey,
  specialId,
  symlinkId,
  type FolderChild,
} from '../hash/identifiers.js';
import {
  ROW,
  rowMatches,
  TYPE_CODE,
  type IndexedEntry,
  type IndexRow,
} from '../index/identifierIndex.js';
import type { Side } from '../../../shared/plan.js';
import { parentOf, StoredFileNode, type IdTree, type TreeNode } from './tree.js';
import { RACY_WINDOW_MS, type WalkEntry, type WalkResult } from './walk.js';
import { NOT_TEXT, readXattrs, wantsXattrs, xattrsId, type XattrOptions } from './xattrs.js';
import { osPath } from '../runtime/byteNames.js';

export { RACY_WINDOW_MS } from './walk.js';
const HASH_ATTEMPTS = 3;

export interface ScanInput {
  root: string;
  side: Side;
  scheme: string;
  hasher: SchemeHasher;
  pool: HashPool;
  /** the side's index rows, loaded for this scheme */
  indexed: Map<string, IndexRow>;
  /** the side's listing (walkTree, or walkInWorker to list both sides at once) */
  listing: WalkResult;
  mtimeGranularityMs: number;
  /** loads a stored id the index left out of `indexed` (files) */
  loadId: (path: string) => Buffer;
  /** loads chunk ids the index holds but the scan did not need */
  loadChunkIds?: (path: string) => Buffer | null;
  /** the stored baseline id of a target path (target scans only) */
  baseIdOf?: (path: string) => Buffer | null;
  onHashProgress?: (bytesDone: number, bytesTotal: number) => void;
  /**
   * Scrub: re-read every file even where the index vouches for it, and report a file whose bytes
   * changed while its size, mtime, ctime and inode did not (silent corruption) instead of using it.
   */
  verifyStored?: boolean;
  /** called once the listing is known, with how much must be hashed */
  onHashPlanned?: (files: number, bytes: number) => void;
  /** cancels the scan (pausing or removing a live pair) */
  signal?: AbortSignal;
  /** which attributes the pair syncs (rsync's -X, -A); none when absent */
  xattrs?: XattrOptions;
  /** owners and groups go into the ids (the pair keeps them, and may: root) */
  owners?: boolean;
  /** hard-link groups go into the ids (-H) */
  hardLinks?: boolean;
  /**
   * Listed folders whose children are not (a live cycle's region, core/scan/region): each keeps
   * the id its index row holds, and its node has no children.
   */
  opaque?: ReadonlySet<string>;
}

export interface ScanResult {
  tree: IdTree;
  walk: WalkResult;
  skipped: Skipped[];
  upserts: [string, IndexedEntry][];
  deletions: string[];
  /** attribute ids read for rows that are otherwise unchanged (index.setXattrIds) */
  xattrUpdates?: [string, Buffer][];
  /** entries whose attributes are out of the attribute library's reach (xattrs.withTextPath) */
  xattrsOutOfReach?: string[];
}

type Base = 0 | 1 | 2;

export async function scanSide(input: ScanInput): Promise<ScanResult> {
  const { root, side, scheme, hasher, indexed } = input;
  const walk = input.listing;
  const scanStart = Date.now();
  const nodes = new Map<string, TreeNode>();
  const upserts: [string, IndexedEntry][] = [];
  /** paths whose node is exactly what the index holds */
  const reused = new Set<string>();
  const skipped = [...walk.skipped];
  const isTarget = side === 'target';
  const trustedAt = (e: WalkEntry): boolean => e.mtimeMs < scanStart - RACY_WINDOW_MS;
  /** A rehashed target entry's standing against the baseline; a pure scheme change keeps it. */
  const baseFor = (p: string, id: Buffer, e: WalkEntry): { base: Base; setBase?: Buffer } => {
    if (!isTarget) return { base: 0 };
    const known = indexed.get(p);
    if (known && known[ROW.base] === 1 && known[ROW.sameScheme] === 0 && rowMatches(known, e)) {
      return { base: 1, setBase: id };
    }
    const b = input.baseIdOf?.(p) ?? null;
    return { base: b === null ? 0 : b.equals(id) ? 1 : 2 };
  };

  /** The index row of a folder or symlink: no chunks, always trusted (its id is recomputed from what is listed). */
  const chunklessRow = (
    e: WalkEntry,
    type: 'dir' | 'symlink' | 'special',
    id: Buffer,
  ): IndexedEntry => ({
    ...statKey(e),
    type,
    mode: e.mode,
    scheme,
    chunkSize: 0,
    chunkIds: null,
    id,
    trusted: true,
  });

  let toHash: { path: string; entry: WalkEntry; storedId?: Buffer }[] = [];
  for (const [p, e] of walk.entries) {
    if (e.type !== 'file') continue;
    const known = indexed.get(p);
    if (
      known &&
      known[ROW.type] === TYPE_CODE.file &&
      known[ROW.trusted] === 1 &&
      known[ROW.sameScheme] === 1 &&
      rowMatches(known, e)
    ) {
      if (input.verifyStored) {
        toHash.push({ path: p, entry: e, storedId: input.loadId(p) });
        continue;
      }
      const load = input.loadId;
      const id = known[ROW.id];
      nodes.set(
        p,
        new StoredFileNode(
          e.size,
          e.mtimeMs,
          e.mode,
          known[ROW.chunkSize],
          isTarget ? known[ROW.base] : undefined,
          id ? () => id : () => load(p),
        ),
      );
      reused.add(p);
    } else {
      toHash.push({ path: p, entry: e });
    }
  }

  const totalBytes = toHash.reduce((n, f) => n + f.entry.size, 0);
  input.onHashPlanned?.(toHash.length, totalBytes);
  let done = 0;
  for (let attempt = 1; toHash.length > 0; attempt++) {
    const reqs: HashRequest[] = toHash.map((f) => ({
      path: path.join(root, f.path),
      stat: statKey(f.entry),
    }));
    const outcomes = await input.pool.hashFiles(
      reqs,
      (b) => {
        done += b;
        input.onHashProgress?.(Math.min(done, totalBytes), totalBytes);
      },
      input.signal,
    );
    const retry: typeof toHash = [];
    outcomes.forEach((o, i) => {
      const f = toHash[i]!;
      if (o.ok && f.storedId && !o.fileId.equals(f.storedId) && sameStat(o.stat, f.entry)) {
        // Same size, mtime, ctime and inode as when it was hashed, yet other bytes: the disk or
        // something below the filesystem changed it. Never sync it; a person must look.
        walk.entries.delete(f.path);
        skipped.push({
          side,
          path: f.path,
          reason:
            'its bytes changed while its size and times did not (silent corruption?); not synced, check this file',
          unknown: true,
        });
        return;
      }
      if (o.ok) {
        const e = { ...f.entry, ...o.stat };
        const b = baseFor(f.path, o.fileId, e);
        const node: TreeNode = {
          type: 'file',
          id: o.fileId,
          size: e.size,
          mtimeMs: e.mtimeMs,
          mode: e.mode,
          chunkSize: o.chunkSize,
          chunkIds: o.chunkIds,
        };
        if (isTarget) node.base = b.base;
        nodes.set(f.path, node);
        upserts.push([
          f.path,
          {
            ...o.stat,
            ...(b.setBase ? { setBase: b.setBase } : {}),
            type: 'file',
            mode: e.mode,
            scheme,
            chunkSize: o.chunkSize,
            chunkIds: o.chunkIds,
            id: o.fileId,
            trusted: trustedAt(e),
          },
        ]);
        walk.entries.set(f.path, e);
        return;
      }
      if (o.changed && attempt < HASH_ATTEMPTS) {
        // Changed between listing and reading, or while being read: list it again and retry.
        try {
          const st = fs.lstatSync(osPath(reqs[i]!.path));
          if (st.isFile()) {
            const e: WalkEntry = {
              ...f.entry,
              ...statKey(st),
              mode: st.mode & 0o7777,
              nlink: st.nlink,
            };
            walk.entries.set(f.path, e);
            retry.push({ path: f.path, entry: e });
            return;
          }
        } catch {
          /* fall through: reported below */
        }
      }
      walk.entries.delete(f.path);
      const reason = o.changed
        ? `kept changing while it was read (${o.message}); will retry next run`
        : `cannot read: ${o.code}`;
      skipped.push({ side, path: f.path, reason, unknown: true });
    });
    toHash = retry;
  }

  // One pass over what is not a folder: files only need their sparse mark (their nodes are made
  // above), special files (listed on the target only) hold no bytes, one id for all, never opened.
  for (const [p, e] of walk.entries) {
    if (e.type === 'file') {
      // Sparse files say so: the plan reports allocated against apparent size, apply keeps holes.
      if (e.allocated < e.size) nodes.get(p)!.allocated = e.allocated;
      continue;
    }
    if (e.type === 'special') {
      const sid = specialId(hasher);
      nodes.set(p, {
        type: 'special',
        id: sid,
        size: 0,
        mtimeMs: e.mtimeMs,
        mode: e.mode,
        base: 1,
      });
      upserts.push([p, chunklessRow(e, 'special', sid)]);
      continue;
    }
    if (e.type !== 'symlink') continue;
    const id = symlinkId(hasher, e.linkTarget!);
    const known = indexed.get(p);
    const same =
      known !== undefined &&
      known[ROW.type] === TYPE_CODE.symlink &&
      known[ROW.sameScheme] === 1 &&
      known[ROW.id]?.equals(id) === true &&
      rowMatches(known, e);
    const b: { base: Base; setBase?: Buffer } = same
      ? { base: known[ROW.base] }
      : baseFor(p, id, e);
    const node: TreeNode = {
      type: 'symlink',
      id,
      size: 0,
      mtimeMs: e.mtimeMs,
      mode: e.mode,
      linkTarget: e.linkTarget!,
    };
    if (isTarget) node.base = b.base;
    nodes.set(p, node);
    if (same) {
      reused.add(p);
      continue;
    }
    upserts.push([
      p,
      { ...chunklessRow(e, 'symlink', id), ...(b.setBase ? { setBase: b.setBase } : {}) },
    ]);
  }

  // Hard links: files that share an inode on this side form a group named by its first path, the
  // same rule on both sides, so equal structures give equal folder ids.
  if (input.hardLinks) markLinkGroups(walk, nodes);

  // Owners come with the listing's stat: nothing to read, only to put into the ids.
  if (input.owners)
    for (const [p, e] of walk.entries) {
      const n = nodes.get(p);
      if (n && p !== '') n.owner = { uid: e.uid!, gid: e.gid! };
    }

  // Attributes: read where the index cannot vouch for them (a changed stat — setting one changes
  // ctime — or never read), reused elsewhere, so an unchanged pair reads none.
  const {
    updates: xattrUpdates,
    dirs: pendingDirXattrs,
    outOfReach: xattrsOutOfReach,
  } = wantsXattrs(input.xattrs)
    ? readAttributes(input, nodes, reused, upserts, skipped)
    : { updates: [], dirs: new Map<string, Buffer>(), outOfReach: [] };

  buildFolders(
    walk,
    nodes,
    (d, names, e, paths) => {
      const known = indexed.get(d);
      if (input.opaque?.has(d)) {
        reused.add(d);
        return known![ROW.id]!;
      }
      // A folder keeps its stored id when it has the same number of children and every one of
      // them is exactly what the index holds (so the set of names is the same too). Its own mode
      // and mtime must be as stored too: they go into its parent's id, which reuses this one
      // (an entry added and removed again moves only the folder's mtime).
      const clean =
        known !== undefined &&
        known[ROW.type] === TYPE_CODE.dir &&
        known[ROW.id] !== null &&
        known[ROW.sameScheme] === 1 &&
        known[ROW.mode] === e.mode &&
        known[ROW.mtimeMs] === e.mtimeMs &&
        known[ROW.size] === names.length &&
        sameXattrs(known[ROW.xattrId], pendingDirXattrs.get(d)) &&
        // A folder's own owner is not in its row: a changed ctime (chown) means look again.
        (!input.owners || known[ROW.ctimeMs] === e.ctimeMs) &&
        paths.every((p) => reused.has(p));
      if (clean) {
        reused.add(d);
        return known[ROW.id]!;
      }
      const id = folderIdOfChildren(hasher, nodes, names, paths, input.mtimeGranularityMs);
      // A folder row's size is its number of children (see `clean` above).
      const xattrId = pendingDirXattrs.get(d);
      upserts.push([
        d,
        { ...chunklessRow(e, 'dir', id), size: names.length, ...(xattrId ? { xattrId } : {}) },
      ]);
      return id;
    },
    (d, node) => {
      const xattrId = pendingDirXattrs.get(d);
      if (xattrId) node.xattrId = xattrId;
      const e = walk.entries.get(d)!;
      if (input.owners && d !== '') node.owner = { uid: e.uid!, gid: e.gid! };
    },
  );

  const deletions: string[] = [];
  for (const p of indexed.keys()) if (!nodes.has(p)) deletions.push(p);

  const tree: IdTree = { scheme, idBytes: hasher.idBytes, nodes };
  if (input.loadChunkIds) tree.loadChunkIds = input.loadChunkIds;
  return { tree, walk, skipped, upserts, deletions, xattrUpdates, xattrsOutOfReach };
}

function markLinkGroups(walk: WalkResult, nodes: Map<string, TreeNode>): void {
  const groups = new Map<string, string[]>();
  for (const [p, e] of walk.entries) {
    if (e.type !== 'file' || e.nlink < 2 || !nodes.has(p)) continue;
    const key = `${e.dev}:${e.ino}`;
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const first = g.reduce((a, b) => (compareNames(a, b) <= 0 ? a : b));
    for (const p of g) nodes.get(p)!.linkGroup = first;
  }
}

function sameXattrs(stored: Buffer | null, now: Buffer | undefined): boolean {
  if (!now) return true;
  return stored !== null && stored.equals(now);
}

/**
 * Sets each entry's attribute id (files, folders and links, not the root). Linux forbids user.*
 * attributes on a link, but root may give one trusted.* attributes, which root syncs. Returns
 * the ids to store for reused rows, and the folders' (their rows are written once their folder
 * ids are known).
 */
function readAttributes(
  input: ScanInput,
  nodes: Map<string, TreeNode>,
  reused: Set<string>,
  upserts: [string, IndexedEntry][],
  skipped: Skipped[],
): { updates: [string, Buffer][]; dirs: Map<string, Buffer>; outOfReach: string[] } {
  const o = input.xattrs!;
  const rootSep = input.root.endsWith(path.sep) ? input.root : input.root + path.sep;
  const written = new Map(upserts.map(([p, e]) => [p, e]));
  const updates: [string, Buffer][] = [];
  const dirs = new Map<string, Buffer>();
  const outOfReach: string[] = [];
  for (const [p, e] of input.listing.entries) {
    if (p === '' || e.type === 'special') continue;
    // Folder nodes are made later, bottom-up (buildFolders); their ids go in through `dirs`.
    const node = nodes.get(p);
    if (!node && e.type !== 'dir') continue;
    const known = input.indexed.get(p);
    const stored = known?.[ROW.xattrId] ?? null;
    if (e.type !== 'dir' && stored !== null && reused.has(p)) {
      node!.xattrId = stored;
      continue;
    }
    let id: Buffer;
    try {
      const attrs = readXattrs(rootSep + p, o);
      if (attrs === NOT_TEXT) {
        // Out of the attribute library's reach: not compared, left as they are; said once a run.
        outOfReach.push(p);
        continue;
      }
      id = xattrsId(input.hasher, attrs);
    } catch (err) {
      // Unreadable attributes are unknown data: the entry is left alone on the target.
      input.listing.entries.delete(p);
      nodes.delete(p);
      skipped.push({
        side: input.side,
        path: p,
        reason: `cannot read its extended attributes: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        unknown: true,
      });
      continue;
    }
    if (e.type === 'dir') dirs.set(p, id);
    else {
      node!.xattrId = id;
      const row = written.get(p);
      if (row) row.xattrId = id;
      else updates.push([p, id]);
    }
  }
  return { updates, dirs, outOfReach };
}

/** A folder's id from its children's nodes: the Merkle step, the same on both sides. */
export function folderIdOfChildren(
  hasher: SchemeHasher,
  nodes: ReadonlyMap<string, TreeNode>,
  names: readonly string[],
  /** `paths[i]` is the path of `names[i]` (buildFolders holds both: nothing is joined again) */
  paths: readonly string[],
  mtimeGranularityMs: number,
): Buffer {
  const kids: FolderChild[] = names.map((name, i) => {
    const n = nodes.get(paths[i]!)!;
    return {
      name,
      type: n.type,
      id: n.id,
      mode: n.mode,
      mtimeKey: mtimeKey(n.mtimeMs, mtimeGranularityMs),
      xattrId: n.xattrId,
      owner: n.owner,
      linkGroup: n.linkGroup,
    };
  });
  return folderId(hasher, kids);
}

/** Folder nodes bottom-up: deepest folders first, each id from `folderIdOf` over final children. */
export function buildFolders(
  walk: WalkResult,
  nodes: Map<string, TreeNode>,
  /** `childPaths[i]` is the path of `childNames[i]` */
  folderIdOf: (dir: string, childNames: string[], e: WalkEntry, childPaths: string[]) => Buffer,
  /** adds what else a folder's node carries (its attributes' id, its owner) */
  decorate?: (dir: string, node: TreeNode) => void,
): void {
  // Each folder's children by name and by path (the map's own strings, not joined again).
  const children = new Map<string, { names: string[]; paths: string[] }>();
  const dirs: string[] = [];
  for (const [p, e] of walk.entries) {
    if (e.type === 'dir') {
      dirs.push(p);
      if (!children.has(p)) children.set(p, { names: [], paths: [] });
    }
    if (p === '' || (!nodes.has(p) && e.type !== 'dir')) continue;
    const parent = parentOf(p);
    let list = children.get(parent);
    if (!list) children.set(parent, (list = { names: [], paths: [] }));
    list.names.push(p.slice(parent ? parent.length + 1 : 0));
    list.paths.push(p);
  }
  dirs.sort((a, b) => depth(b) - depth(a));
  for (const d of dirs) {
    const e = walk.entries.get(d)!;
    const kids = children.get(d) ?? { names: [], paths: [] };
    const names = kids.names;
    const node: TreeNode = {
      type: 'dir',
      id: folderIdOf(d, names, e, kids.paths),
      size: 0,
      mtimeMs: e.mtimeMs,
      mode: e.mode,
      children: names,
    };
    // Before its parent's id is computed (deepest first), which includes it.
    decorate?.(d, node);
    nodes.set(d, node);
  }
}

function depth(p: string): number {
  if (p === '') return 0;
  let n = 1;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 47) n++;
  return n;
}
