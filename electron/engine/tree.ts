// An id tree: one side of a pair after scanning, every entry with its identifier.
import type { EntrySnapshot, EntryType } from '../shared/plan.js';

export interface TreeNode {
  type: EntryType;
  id: Buffer;
  size: number;
  mtimeMs: number;
  mode: number;
  /** files */
  chunkSize?: number;
  chunkIds?: Buffer;
  /** symlinks */
  linkTarget?: string;
  /** folders: child names */
  children?: string[];
}

export interface IdTree {
  scheme: string;
  idBytes: number;
  /** '' is the root folder */
  nodes: Map<string, TreeNode>;
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
