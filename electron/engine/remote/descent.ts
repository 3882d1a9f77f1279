// The descent of a remote pair's id tree, the same whichever side is far: from the far side's
// root, each folder whose id differs from this side's is listed (one round trip per level, in
// batches), and a folder whose id is equal is not listed at all. Folder ids are Merkle ids, so an
// unchanged pair exchanges the root ids and nothing more.
import type { TreeNode } from '../core/scan/tree.js';
import { joinPath } from '../core/scan/tree.js';
import { decodeChild, decodeNode, type WireChild, type WireNode } from './wire.js';

/** Folders listed per request (one level of a wide tree may need several). */
export const LIST_BATCH = 2000;

export interface Descent {
  /** the part of the far tree that was seen: the root, and the children of every listed folder */
  nodes: Map<string, TreeNode>;
  /** folders whose ids are equal on both sides (not listed) */
  equalDirs: string[];
  /** entries that are not folders, equal on both sides: [path, far node, this side's node] */
  equalEntries: [string, TreeNode, TreeNode][];
  /** far files that differ from this side's entry at their path, or have none there */
  differing: string[];
}

export async function descend(
  root: WireNode,
  here: ReadonlyMap<string, TreeNode>,
  list: (dirs: string[]) => Promise<WireChild[][]>,
): Promise<Descent> {
  const nodes = new Map<string, TreeNode>();
  const out: Descent = { nodes, equalDirs: [], equalEntries: [], differing: [] };
  const equalHere = (p: string, n: TreeNode): TreeNode | null => {
    const h = here.get(p);
    return h !== undefined && h.type === n.type && h.id.equals(n.id) ? h : null;
  };
  const top = decodeNode(root);
  nodes.set('', top);
  let level: string[] = [];
  if (equalHere('', top)) out.equalDirs.push('');
  else level.push('');
  while (level.length) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += LIST_BATCH) {
      const dirs = level.slice(i, i + LIST_BATCH);
      const lists = await list(dirs);
      dirs.forEach((d, k) => {
        const dir = nodes.get(d)!;
        for (const c of lists[k] ?? []) {
          const [name, n] = decodeChild(c);
          const p = joinPath(d, name);
          dir.children!.push(name);
          nodes.set(p, n);
          const h = equalHere(p, n);
          if (n.type === 'dir') (h ? out.equalDirs : next).push(p);
          else if (h) out.equalEntries.push([p, n, h]);
          else if (n.type === 'file') out.differing.push(p);
        }
      });
    }
    level = next;
  }
  return out;
}

/** Sets the chunk ids of the far files at `paths` on their nodes, asked for in batches. */
export async function fetchChunkIds(
  paths: string[],
  nodes: Map<string, TreeNode>,
  ask: (paths: string[]) => Promise<(string | null)[]>,
): Promise<void> {
  for (let i = 0; i < paths.length; i += LIST_BATCH) {
    const batch = paths.slice(i, i + LIST_BATCH);
    (await ask(batch)).forEach((c, k) => {
      if (c !== null) nodes.get(batch[k]!)!.chunkIds = Buffer.from(c, 'base64');
    });
  }
}
