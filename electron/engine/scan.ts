// Scan one side: list it, reuse every id the index can vouch for, hash the rest on the pool,
// and build the id tree with folder ids bottom-up. Returns what the index should learn.
import fs from 'node:fs';
import path from 'node:path';
import type { Skipped } from '../shared/plan.js';
import type { SchemeHasher } from './hashScheme.js';
import type { HashPool, HashRequest } from './hashPool.js';
import { sameStat, statKey } from './hashFile.js';
import { folderId, mtimeKey, symlinkId, type FolderChild } from './identifiers.js';
import type { IndexedEntry, Side } from './identifierIndex.js';
import { joinPath, parentOf, type IdTree, type TreeNode } from './tree.js';
import { walkTree, type WalkEntry, type WalkOptions, type WalkResult } from './walk.js';

/** A file modified within this long before its scan is rehashed next time (git's racy rule, widened). */
export const RACY_WINDOW_MS = 2000;
const HASH_ATTEMPTS = 3;

export interface ScanInput {
  root: string;
  side: Side;
  scheme: string;
  hasher: SchemeHasher;
  pool: HashPool;
  indexed: Map<string, IndexedEntry>;
  walk?: WalkOptions;
  mtimeGranularityMs: number;
  onHashProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** called once the listing is known, with how much must be hashed */
  onHashPlanned?: (files: number, bytes: number) => void;
}

export interface ScanResult {
  tree: IdTree;
  walk: WalkResult;
  skipped: Skipped[];
  upserts: [string, IndexedEntry][];
  deletions: string[];
  hashedFiles: number;
  hashedBytes: number;
}

export async function scanSide(input: ScanInput): Promise<ScanResult> {
  const { root, side, scheme, hasher, indexed } = input;
  const walk = walkTree(root, side, input.walk);
  const scanStart = Date.now();
  const nodes = new Map<string, TreeNode>();
  const upserts: [string, IndexedEntry][] = [];
  const skipped = [...walk.skipped];
  const trustedAt = (e: WalkEntry): boolean => e.mtimeMs < scanStart - RACY_WINDOW_MS;

  let toHash: { path: string; entry: WalkEntry }[] = [];
  for (const [p, e] of walk.entries) {
    if (e.type !== 'file') continue;
    const known = indexed.get(p);
    if (
      known &&
      known.type === 'file' &&
      known.trusted &&
      known.scheme === scheme &&
      known.chunkIds &&
      sameStat(known, e)
    ) {
      nodes.set(p, {
        type: 'file',
        id: known.id,
        size: e.size,
        mtimeMs: e.mtimeMs,
        mode: e.mode,
        chunkSize: known.chunkSize,
        chunkIds: known.chunkIds,
      });
      if (known.mode !== e.mode) upserts.push([p, { ...known, mode: e.mode }]);
    } else {
      toHash.push({ path: p, entry: e });
    }
  }

  let hashedBytes = 0;
  const hashedFiles = toHash.length;
  const totalBytes = toHash.reduce((n, f) => n + f.entry.size, 0);
  input.onHashPlanned?.(toHash.length, totalBytes);
  let done = 0;
  for (let attempt = 1; toHash.length > 0; attempt++) {
    const reqs: HashRequest[] = toHash.map((f) => ({
      path: path.join(root, f.path),
      stat: statKey(f.entry),
    }));
    const outcomes = await input.pool.hashFiles(reqs, (b) => {
      done += b;
      input.onHashProgress?.(Math.min(done, totalBytes), totalBytes);
    });
    const retry: typeof toHash = [];
    outcomes.forEach((o, i) => {
      const f = toHash[i]!;
      if (o.ok) {
        hashedBytes += o.stat.size;
        const e = { ...f.entry, ...o.stat };
        nodes.set(f.path, {
          type: 'file',
          id: o.fileId,
          size: e.size,
          mtimeMs: e.mtimeMs,
          mode: e.mode,
          chunkSize: o.chunkSize,
          chunkIds: o.chunkIds,
        });
        upserts.push([
          f.path,
          {
            ...o.stat,
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
          const st = fs.lstatSync(reqs[i]!.path);
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

  for (const [p, e] of walk.entries) {
    if (e.type !== 'symlink') continue;
    const id = symlinkId(hasher, e.linkTarget!);
    nodes.set(p, {
      type: 'symlink',
      id,
      size: 0,
      mtimeMs: e.mtimeMs,
      mode: e.mode,
      linkTarget: e.linkTarget!,
    });
    const known = indexed.get(p);
    if (
      !known ||
      known.type !== 'symlink' ||
      !known.id.equals(id) ||
      !sameStat(known, e) ||
      known.scheme !== scheme
    ) {
      upserts.push([
        p,
        {
          ...statKey(e),
          type: 'symlink',
          mode: e.mode,
          scheme,
          chunkSize: 0,
          chunkIds: null,
          id,
          trusted: true,
        },
      ]);
    }
  }

  buildFolders(walk, nodes, hasher, input.mtimeGranularityMs, (p, node, e) => {
    const known = indexed.get(p);
    if (
      !known ||
      known.type !== 'dir' ||
      !known.id.equals(node.id) ||
      known.mode !== e.mode ||
      known.scheme !== scheme
    ) {
      upserts.push([
        p,
        {
          ...statKey(e),
          type: 'dir',
          mode: e.mode,
          scheme,
          chunkSize: 0,
          chunkIds: null,
          id: node.id,
          trusted: true,
        },
      ]);
    }
  });

  const deletions: string[] = [];
  for (const p of indexed.keys()) if (!nodes.has(p)) deletions.push(p);

  return {
    tree: { scheme, idBytes: hasher.idBytes, nodes },
    walk,
    skipped,
    upserts,
    deletions,
    hashedFiles,
    hashedBytes,
  };
}

/** Folder ids bottom-up: deepest folders first, each over its (already final) children. */
function buildFolders(
  walk: WalkResult,
  nodes: Map<string, TreeNode>,
  hasher: SchemeHasher,
  granularityMs: number,
  onFolder: (p: string, node: TreeNode, e: WalkEntry) => void,
): void {
  const children = new Map<string, string[]>();
  const dirs: string[] = [];
  for (const [p, e] of walk.entries) {
    if (e.type === 'dir') {
      dirs.push(p);
      if (!children.has(p)) children.set(p, []);
    }
    if (p === '' || (!nodes.has(p) && e.type !== 'dir')) continue;
    const parent = parentOf(p);
    let list = children.get(parent);
    if (!list) children.set(parent, (list = []));
    list.push(p.slice(parent ? parent.length + 1 : 0));
  }
  dirs.sort((a, b) => depth(b) - depth(a));
  for (const d of dirs) {
    const e = walk.entries.get(d)!;
    const names = children.get(d) ?? [];
    const kids: FolderChild[] = [];
    for (const name of names) {
      const n = nodes.get(joinPath(d, name))!;
      kids.push({
        name,
        type: n.type,
        id: n.id,
        mode: n.mode,
        mtimeKey: n.type === 'file' ? mtimeKey(n.mtimeMs, granularityMs) : 0,
      });
    }
    const node: TreeNode = {
      type: 'dir',
      id: folderId(hasher, kids),
      size: 0,
      mtimeMs: e.mtimeMs,
      mode: e.mode,
      children: names,
    };
    nodes.set(d, node);
    onFolder(d, node, e);
  }
}

function depth(p: string): number {
  if (p === '') return 0;
  let n = 1;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 47) n++;
  return n;
}
