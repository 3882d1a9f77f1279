// An id tree: one side of a pair after scanning, every entry with its identifier.
import type { EntrySnapshot, EntryType } from '../../../shared/plan.js';

export interface TreeNode {
  type: EntryType;
  id: Buffer;
  size: number;
  mtimeMs: number;
  mode: number;
  /** files; chunkIds may be left out and loaded on demand (chunkIdsOf) */
  chunkSize?: number;
  chunkIds?: Buffer;
  /** target nodes: 0 never in sync, 1 holds what Tandem last wrote or found in sync, 2 edited since */
  base?: 0 | 1 | 2;
  /** symlinks */
  linkTarget?: string;
  /** sparse files: the bytes allocated on disk, fewer than `size` */
  allocated?: number;
  /** the id of its synced attributes (xattrs, ACLs), where the pair syncs them */
  xattrId?: Buffer;
  /** owner and group, where the pair keeps them */
  owner?: { uid: number; gid: number };
  /** files with other names on the same side (-H): the group's first path, the same for all */
  linkGroup?: string;
  /** folders: child names */
  children?: string[];
}

export interface IdTree {
  scheme: string;
  idBytes: number;
  /** '' is the root folder */
  nodes: Map<string, TreeNode>;
  /** loads a file's chunk ids that the scan left out */
  loadChunkIds?: (path: string) => Buffer | null;
}

/** A file's chunk ids, loaded from the index on first use. */
export function chunkIdsOf(tree: IdTree, p: string): Buffer {
  const n = tree.nodes.get(p);
  if (!n || n.type !== 'file') throw new Error(`no file at ${p}`);
  if (!n.chunkIds) {
    const ids = tree.loadChunkIds?.(p);
    if (!ids)
      throw new Error(
        `the index lost the chunk ids of ${p}; delete the pair's index to rebuild it`,
      );
    n.chunkIds = ids;
  }
  return n.chunkIds;
}

export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function snapshot(n: TreeNode): EntrySnapshot {
  const s: EntrySnapshot = {
    type: n.type,
    id: n.id.toString('hex'),
    size: n.size,
    mtimeMs: n.mtimeMs,
    mode: n.mode,
  };
  if (n.linkTarget !== undefined) s.linkTarget = n.linkTarget;
  if (n.allocated !== undefined) s.allocated = n.allocated;
  if (n.owner) s.owner = n.owner;
  if (n.linkGroup !== undefined) s.linkGroup = n.linkGroup;
  return s;
}

/** Every path at or below `p` in the tree, parents before children. */
export function subtree(tree: IdTree, p: string): string[] {
  const out: string[] = [];
  const stack = [p];
  while (stack.length) {
    const cur = stack.pop()!;
    out.push(cur);
    const n = tree.nodes.get(cur);
    if (n?.children)
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(joinPath(cur, n.children[i]!));
  }
  return out;
}

/** A file node whose id stays in the index until something reads it. */
export class StoredFileNode implements TreeNode {
  readonly type = 'file' as const;
  chunkIds?: Buffer;
  allocated?: number;
  xattrId?: Buffer;
  owner?: { uid: number; gid: number };
  linkGroup?: string;
  base?: 0 | 1 | 2;
  private cached: Buffer | null = null;

  constructor(
    readonly size: number,
    readonly mtimeMs: number,
    readonly mode: number,
    readonly chunkSize: number,
    base: 0 | 1 | 2 | undefined,
    private readonly load: () => Buffer,
  ) {
    if (base !== undefined) this.base = base;
  }

  get id(): Buffer {
    return (this.cached ??= this.load());
  }

  /** Gives the id read in bulk (a caller that needs every id: one query, not one per file). */
  provide(id: Buffer): void {
    this.cached ??= id;
  }
}
