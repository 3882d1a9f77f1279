import { describe, expect, it } from 'vitest';
import type { PlanItem } from '../../../shared/plan.js';
import type { IdTree, TreeNode } from '../scan/tree.js';
import { splitSharedInodes, type ListedFile } from './sharedInodes.js';

const file = (mtimeMs: number, mode = 0o644): TreeNode => ({
  type: 'file',
  id: Buffer.alloc(16, 1),
  size: 10,
  mtimeMs,
  mode,
  chunkSize: 131072,
});
const treeOf = (nodes: Record<string, TreeNode>): IdTree => ({
  scheme: 'xxh128',
  idBytes: 16,
  nodes: new Map(Object.entries(nodes)),
});
/** Target names listed as one inode (7) with `n` names, or their own inodes. */
const listing = (names: string[], ino = (_: string) => 7): Map<string, ListedFile> =>
  new Map(
    names.map((p) => [
      p,
      { type: 'file', ino: ino(p), nlink: 2, size: 10, mtimeMs: 1000, ctimeMs: 5 },
    ]),
  );
const snap = (n: TreeNode) => ({
  type: n.type,
  id: 'aa',
  size: n.size,
  mtimeMs: n.mtimeMs,
  mode: n.mode,
});
const meta = (path: string, src: TreeNode, tgt: TreeNode): PlanItem => ({
  path,
  kind: 'metadata',
  source: snap(src),
  target: snap(tgt),
  bytesToWrite: 0,
  differs: ['mtime'],
});
const brief = (items: PlanItem[]) => items.map((i) => `${i.kind} ${i.path}`);

describe('splitSharedInodes', () => {
  const tgtNode = file(1000);
  const target = treeOf({ a: tgtNode, b: tgtNode });

  it.each<[string, Record<string, TreeNode>, string[], string[]]>([
    // The names want the same new metadata: set once, in place, for both.
    [
      'both names want the same',
      { a: file(2000), b: file(2000) },
      ['a', 'b'],
      ['metadata a', 'metadata b'],
    ],
    // Found by the syncTree property: "b" wants another mtime, "a" the one the inode has.
    [
      'one name wants other metadata, the other none',
      { a: file(1000), b: file(2000) },
      ['b'],
      ['update b'],
    ],
    [
      'each wants its own',
      { a: file(2000), b: file(3000, 0o600) },
      ['a', 'b'],
      ['metadata a', 'update b'],
    ],
  ])('%s', (_how, src, metadataOn, expected) => {
    const source = treeOf(src);
    const items = metadataOn.map((p) => meta(p, source.nodes.get(p)!, tgtNode));
    const out = splitSharedInodes(items, listing(['a', 'b']), source, target, 1);
    expect(brief(out)).toEqual(expected);
    for (const it of out.filter((i) => i.kind === 'update'))
      expect(it).toMatchObject({ bytesToWrite: 10, chunks: { total: 1, changed: [0] } });
  });

  it('leaves names of other inodes alone, and a move that wants other metadata becomes a copy', () => {
    const source = treeOf({ a: file(1000), b: file(2000), c: file(2000) });
    const own = listing(['a', 'b'], (p) => (p === 'a' ? 1 : 2));
    expect(
      brief(splitSharedInodes([meta('b', file(2000), tgtNode)], own, source, target, 1)),
    ).toEqual(['metadata b']);
    const move: PlanItem = {
      path: 'c',
      kind: 'rename',
      from: 'b',
      source: snap(file(2000)),
      target: snap(tgtNode),
      bytesToWrite: 0,
    };
    expect(brief(splitSharedInodes([move], listing(['a', 'b']), source, target, 1))).toEqual([
      'create c',
      'delete b',
    ]);
  });
});
