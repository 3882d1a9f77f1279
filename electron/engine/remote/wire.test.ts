// What crosses a remote pair's connection comes back as it left: listed children (names as
// bytes included) and the packed list of needed chunks.
import { describe, expect, it } from 'vitest';
import type { IdTree, TreeNode } from '../core/scan/tree.js';
import { packNeeds, unpackNeeds, type Need } from './targetHalf.js';
import { decodeChild, encodeChild } from './wire.js';

const id = (b: number) => Buffer.alloc(16, b);

describe('the wire form of a remote pair', () => {
  it('lists a child as an array and reads it back, a name that is not UTF-8 included', () => {
    const nodes: [string, TreeNode][] = [
      [
        'caf\udce9.txt',
        { type: 'file', id: id(1), size: 5, mtimeMs: 1.5, mode: 0o644, chunkSize: 131072, base: 1 },
      ],
      ['sub', { type: 'dir', id: id(2), size: 0, mtimeMs: 2, mode: 0o755 }],
      ['l', { type: 'symlink', id: id(3), size: 3, mtimeMs: 3, mode: 0o777, linkTarget: 'a/b' }],
      [
        's',
        {
          type: 'file',
          id: id(4),
          size: 1 << 20,
          mtimeMs: 4,
          mode: 0o600,
          chunkSize: 131072,
          allocated: 4096,
        },
      ],
      [
        'x',
        {
          type: 'file',
          id: id(5),
          size: 1,
          mtimeMs: 5,
          mode: 0o644,
          chunkSize: 131072,
          xattrId: id(6),
        },
      ],
    ];
    for (const [name, n] of nodes) {
      const [back, m] = decodeChild(JSON.parse(JSON.stringify(encodeChild(name, n))));
      expect(back).toBe(name);
      expect({ ...m, children: undefined }).toEqual({ ...n, children: undefined });
    }
    expect(() => decodeChild(['x', 9, 'AA', 0, 0, 0])).toThrow(/listing Tandem does not read/);
  });

  it('packs needs as runs for a delta file and unpacks them with their ids and lengths', () => {
    const cs = 131072;
    const size = 10 * cs + 5;
    const chunkIds = Buffer.concat(Array.from({ length: 11 }, (_, i) => id(i + 10)));
    const tree: IdTree = {
      scheme: 'xxh128',
      idBytes: 16,
      nodes: new Map([
        ['f', { type: 'file', id: id(9), size, mtimeMs: 0, mode: 0o644, chunkSize: cs, chunkIds }],
        [
          'g',
          {
            type: 'file',
            id: id(8),
            size: cs,
            mtimeMs: 0,
            mode: 0o644,
            chunkSize: cs,
            chunkIds: id(7),
          },
        ],
      ]),
    };
    const need = (path: string, index: number, more: Partial<Need> = {}): Need => {
      const n = tree.nodes.get(path)!;
      return {
        path,
        index,
        id: n.chunkIds!.subarray(index * 16, index * 16 + 16).toString('hex'),
        length: Math.min(cs, n.size - index * cs),
        ...more,
      };
    };
    const needs = [
      need('g', 0, { pages: 'AAAA' }),
      ...[1, 2, 3, 7, 10].map((i) => need('f', i, { delta: true })),
    ];
    const packed = packNeeds(needs);
    expect(packed).toEqual([
      ['g', 0, 'AAAA'],
      ['f', [1, 3, 7, 1, 10, 1]],
    ]);
    expect(unpackNeeds(JSON.parse(JSON.stringify(packed)), tree)).toEqual(needs);
    expect(() => unpackNeeds([['f', 11]], tree)).toThrow(/asked for chunk 11 of f/);
  });
});
