// Names of one target inode that the source wants apart. Metadata is set in place, on the
// inode, so every name of it shows the change: where the names that keep the inode after a plan
// want different metadata (their source files are separate, and differ in mode, time, attributes
// or owner), setting one undoes another, and the pair never converges. Such names get a copy of
// their own instead. A pure pass over compare's items.
import type { PlanItem } from '../../../shared/plan.js';
import type { StatKey } from '../hash/hashFile.js';
import type { IdTree, TreeNode } from '../scan/tree.js';
import { allChunks, metadataDifferences } from './compare.js';

/** What the pass reads of a target listing entry. */
export type ListedFile = StatKey & { type: string; nlink: number };

export function splitSharedInodes(
  items: PlanItem[],
  targetListing: ReadonlyMap<string, ListedFile>,
  source: IdTree,
  target: IdTree,
  granularityMs: number,
): PlanItem[] {
  const shared = (p: string): ListedFile | undefined => {
    const e = targetListing.get(p);
    return e && e.type === 'file' && e.nlink > 1 ? e : undefined;
  };
  // Inodes that the plan sets metadata on in place: metadata items, and moves (which give the
  // moved name the source's metadata).
  const inPlace = items.filter(
    (i) =>
      i.target?.type === 'file' &&
      ((i.kind === 'metadata' && shared(i.path)) || (i.kind === 'rename' && shared(i.from!))),
  );
  if (inPlace.length === 0) return items;
  const key = (e: ListedFile) => `${e.ino}:${e.size}:${e.mtimeMs}:${e.ctimeMs}`;
  const touched = new Set(inPlace.map((i) => key(shared(i.kind === 'rename' ? i.from! : i.path)!)));

  // What each name that keeps its inode wants: the source's metadata where the plan sets it,
  // else what the target has (compare found it equal to the source, or the path is skipped).
  const byPath = new Map(items.map((i) => [i.kind === 'rename' ? i.from! : i.path, i]));
  const groups = new Map<string, { path: string; want: TreeNode; item?: PlanItem }[]>();
  for (const [p, e] of targetListing) {
    if (e.type !== 'file' || e.nlink < 2 || !touched.has(key(e))) continue;
    const it = byPath.get(p);
    let want: TreeNode | undefined;
    if (!it) want = target.nodes.get(p);
    else if (it.kind === 'metadata') want = source.nodes.get(p);
    else if (it.kind === 'rename') want = source.nodes.get(it.path);
    // Anything else replaces or removes the name: it leaves the inode.
    if (!want) continue;
    const g = groups.get(key(e)) ?? [];
    g.push({ path: p, want, ...(it ? { item: it } : {}) });
    groups.set(key(e), g);
  }

  const copies = new Map<PlanItem, PlanItem[]>();
  for (const names of groups.values()) {
    names.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    // The inode keeps what a name the plan leaves alone needs, else what its first name wants.
    const anchor = (names.find((n) => !n.item) ?? names[0]!).want;
    for (const n of names) {
      if (!n.item || metadataDifferences(n.want, anchor, granularityMs).length === 0) continue;
      copies.set(n.item, copyApart(n.item, source));
    }
  }
  if (copies.size === 0) return items;
  return items.flatMap((i) => copies.get(i) ?? [i]);
}

/** The item as a copy of the source file: a name of its own on the target. */
function copyApart(it: PlanItem, source: IdTree): PlanItem[] {
  const sn = source.nodes.get(it.path)!;
  const copy: PlanItem = {
    path: it.path,
    kind: it.kind === 'rename' ? 'create' : 'update',
    source: it.source!,
    ...(it.kind === 'rename' ? {} : { target: it.target! }),
    bytesToWrite: sn.size,
    chunks: {
      chunkSize: sn.chunkSize!,
      total: Math.ceil(sn.size / sn.chunkSize!),
      changed: allChunks(sn),
    },
    ...(it.conflict ? { conflict: it.conflict } : {}),
  };
  if (it.kind !== 'rename') return [copy];
  // A move becomes a copy and the deletion it stood for (clean, as every move's is).
  return [copy, { path: it.from!, kind: 'delete', target: it.target!, bytesToWrite: 0 }];
}
