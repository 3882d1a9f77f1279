import { beforeAll, describe, expect, it } from 'vitest';
import type { PlanItem } from '../../../shared/plan.js';
import { compareTrees, diffChunks, isProtected } from './compare.js';
import { createSchemeHasher, type SchemeHasher } from '../hash/hashScheme.js';
import { fileId, folderId, mtimeKey, symlinkId } from '../hash/identifiers.js';
import type { IdTree, TreeNode } from '../scan/tree.js';

// Trees from a compact spec: 'a/' a folder, 'f' a file given as chunk labels, '@x' a symlink to x.
type Spec = Record<
  string,
  string[] | '/' | `@${string}` | { chunks: string[]; mode?: number; mtimeMs?: number }
>;
const CS = 128 * 1024;
let h: SchemeHasher;
beforeAll(async () => {
  h = await createSchemeHasher('xxh128');
});

function tree(spec: Spec): IdTree {
  const nodes = new Map<string, TreeNode>();
  const dirs = new Set(['']);
  for (const key of Object.keys(spec)) {
    const p = key.replace(/\/$/, '');
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    if (spec[key] === '/') dirs.add(p);
  }
  for (const [p, v] of Object.entries(spec)) {
    if (v === '/') continue;
    if (typeof v === 'string') {
      nodes.set(p, {
        type: 'symlink',
        id: symlinkId(h, v.slice(1)),
        size: 0,
        mtimeMs: 1000,
        mode: 0o777,
        linkTarget: v.slice(1),
      });
      continue;
    }
    const f = Array.isArray(v) ? { chunks: v } : v;
    const chunkIds = Buffer.concat(f.chunks.map((c) => h.hash(Buffer.from(c))));
    const size = f.chunks.length * CS;
    nodes.set(p, {
      type: 'file',
      id: fileId(h, size, CS, chunkIds),
      size,
      mtimeMs: f.mtimeMs ?? 1000,
      mode: f.mode ?? 0o644,
      chunkSize: CS,
      chunkIds,
    });
  }
  const sorted = [...dirs].sort(
    (a, b) => b.split('/').length - a.split('/').length || b.length - a.length,
  );
  for (const d of sorted) {
    const children = [...nodes.keys(), ...dirs].filter(
      (p, i, all) =>
        p !== d &&
        all.indexOf(p) === i &&
        (d === ''
          ? !p.includes('/') && p !== ''
          : p.startsWith(d + '/') && !p.slice(d.length + 1).includes('/')),
    );
    const names = children.map((c) => (d === '' ? c : c.slice(d.length + 1)));
    const kids = children.map((c, i) => {
      const n = nodes.get(c)!;
      return {
        name: names[i]!,
        type: n.type,
        id: n.id,
        mode: n.mode,
        mtimeKey: mtimeKey(n.mtimeMs, 1),
      };
    });
    nodes.set(d, {
      type: 'dir',
      id: folderId(h, kids),
      size: 0,
      mtimeMs: 1,
      mode: 0o755,
      children: names,
    });
  }
  return { scheme: 'xxh128', idBytes: 16, nodes };
}

/** `t` as the target after a sync that left it equal to `before` (default: itself). */
function synced(t: IdTree, before: IdTree = t): IdTree {
  for (const [p, n] of t.nodes) {
    if (n.type === 'dir') continue;
    const b = before.nodes.get(p);
    n.base = b && b.type === n.type && b.id.equals(n.id) ? 1 : b ? 2 : 0;
  }
  return t;
}

const brief = (items: PlanItem[]) =>
  items.map((i) => `${i.kind} ${i.path}${i.conflict ? ` (${i.conflict})` : ''}`);

describe('compareTrees', () => {
  const base: Spec = { a: ['1'], 'd/b': ['2', '3'], 'd/e/': '/', l: '@a' };

  it('plans nothing for identical trees', () => {
    expect(compareTrees(tree(base), tree(base))).toEqual([]);
  });

  it.each<[string, Spec, Spec, string[]]>([
    ['a new file', { ...base, n: ['9'] }, base, ['create n']],
    ['a new folder with contents', { ...base, 'x/y': ['9'] }, base, ['create x', 'create x/y']],
    ['a source deletion', { a: ['1'], 'd/e/': '/', l: '@a' }, base, ['delete d/b']],
    ['a changed symlink', { ...base, l: '@d/b' }, base, ['update l']],
    [
      'a file that became a folder',
      { ...base, a: '/', 'a/z': ['5'] } as Spec,
      base,
      ['replaceType a', 'create a/z'],
    ],
    [
      'a folder that became a file',
      { a: ['1'], d: ['7'], l: '@a' },
      base,
      ['delete d/e', 'delete d/b', 'replaceType d'],
    ],
    ['a mode change only', { ...base, a: { chunks: ['1'], mode: 0o600 } }, base, ['metadata a']],
    [
      'an mtime change only',
      { ...base, a: { chunks: ['1'], mtimeMs: 5000 } },
      base,
      ['metadata a'],
    ],
  ])('%s', (_name, src, tgt, expected) => {
    const t = tree(tgt);
    expect(brief(compareTrees(tree(src), synced(t)))).toEqual(expected);
  });

  it('plans a moved file as a rename, not a delete and a copy', () => {
    const t = tree({ 'old/place.bin': ['m', 'n'], keep: ['k'] });
    const items = compareTrees(tree({ 'new/place.bin': ['m', 'n'], keep: ['k'] }), synced(t));
    expect(brief(items)).toEqual(['create new', 'rename new/place.bin', 'delete old']);
    expect(items[1]!.from).toBe('old/place.bin');
    expect(items[1]!.bytesToWrite).toBe(0);
  });

  it('does not move a target file that was edited since the last sync', () => {
    const before = tree({ a: ['1'] });
    const t = synced(tree({ a: ['2'] }), before);
    expect(brief(compareTrees(tree({ b: ['2'] }), t))).toEqual([
      'delete a (targetEdited)',
      'create b',
    ]);
  });

  it('lists exactly the chunks that differ, and an appended chunk', () => {
    const t = tree({ f: ['a', 'b', 'c', 'd'] });
    const [item] = compareTrees(tree({ f: ['a', 'B', 'c', 'D', 'e'] }), synced(t));
    expect(item!.kind).toBe('update');
    expect(item!.chunks).toEqual({ chunkSize: CS, total: 5, changed: [1, 3, 4] });
    expect(item!.bytesToWrite).toBe(3 * CS);
  });

  it('writes nothing but a truncation when a file only shrinks', () => {
    const t = tree({ f: ['a', 'b', 'c'] });
    const [item] = compareTrees(tree({ f: ['a', 'b'] }), synced(t));
    expect(item!.chunks!.changed).toEqual([]);
    expect(item!.bytesToWrite).toBe(0);
  });

  it('flags a target edited since the last sync as a conflict', () => {
    const before = tree(base);
    const edited = tree({ ...base, a: ['edited'] });
    expect(brief(compareTrees(tree({ ...base, a: ['new'] }), synced(edited, before)))).toEqual([
      'update a (targetEdited)',
    ]);
    expect(
      brief(
        compareTrees(
          tree({ a: ['1'], 'd/e/': '/', l: '@a' }),
          synced(tree({ ...base, 'd/b': ['x'] }), before),
        ),
      ),
    ).toEqual(['delete d/b (targetEdited)']);
  });

  it('flags target data never seen in sync as a conflict, and a plain source deletion as none', () => {
    const t = tree({ ...base, extra: ['?'] });
    expect(brief(compareTrees(tree(base), t))).toEqual(['delete extra (targetUnknown)']);
    expect(brief(compareTrees(tree(base), synced(t)))).toEqual(['delete extra']);
  });

  it('treats mtimes in the same granularity bucket as equal, exactly where the folder ids agree', () => {
    // One definition (sameMtime) for compare and the folder ids: "nothing planned" and "equal
    // root ids" must never disagree, which a tolerance (|a - b| < granularity) cannot promise.
    const t = tree({ a: { chunks: ['1'], mtimeMs: 1000.2 } });
    expect(
      compareTrees(tree({ a: { chunks: ['1'], mtimeMs: 1000.7 } }), synced(t), {
        mtimeGranularityMs: 1,
      }),
    ).toEqual([]);
    expect(
      compareTrees(
        tree({ a: { chunks: ['1'], mtimeMs: 2000 } }),
        tree({ a: { chunks: ['1'], mtimeMs: 3999 } }),
        { mtimeGranularityMs: 2000 },
      ),
    ).toEqual([]);
    // A nanosecond apart across a bucket's edge: different, and planned as such.
    const across = compareTrees(
      tree({ a: { chunks: ['1'], mtimeMs: 1000.9999999 } }),
      synced(tree({ a: { chunks: ['1'], mtimeMs: 1001 } })),
      { mtimeGranularityMs: 1 },
    );
    expect(across.map((i) => [i.kind, i.differs])).toEqual([['metadata', ['mtime']]]);
  });

  it('plans nothing at or below a protected (skipped) path', () => {
    const src = tree({ a: ['1'], 'd/x': ['new'] });
    const tgt = tree({ a: ['1'], 'd/x': ['old'], 'd/y': ['only-here'] });
    expect(compareTrees(src, synced(tgt), { protectedPaths: new Set(['d']) })).toEqual([]);
    expect(brief(compareTrees(src, synced(tgt), { protectedPaths: new Set(['d/y']) }))).toEqual([
      'update d/x',
    ]);
  });

  it('on a case-folding target, a case-only rename is a rename', () => {
    const t = tree({ README: ['1'] });
    const items = compareTrees(tree({ readme: ['1'] }), synced(t), {
      targetNames: { foldCase: true, normalizeUnicode: false },
    });
    expect(brief(items)).toEqual(['rename readme']);
    expect(items[0]!.from).toBe('README');
  });

  it('writes another name of a source hard-link group as a link, where the target holds another type there too', () => {
    // Found by the syncTree property (seed 1958470359): the target's "a" was a FIFO, the source's
    // "a" a second name of "A"; the replaceType item copied it, and only the next run linked it.
    const src = tree({ A: ['1'], a: ['1'] });
    for (const p of ['A', 'a']) src.nodes.get(p)!.linkGroup = 'A';
    const items = compareTrees(src, synced(tree({ A: ['1'], a: '@stands-for-a-fifo' })));
    expect(items.map((i) => [i.kind, i.path, i.linkTo, i.bytesToWrite])).toEqual([
      ['replaceType', 'a', 'A', 0],
    ]);
  });

  it('refuses to compare ids of different schemes', () => {
    expect(() => compareTrees(tree(base), { ...tree(base), scheme: 'blake3' })).toThrow(/scheme/);
  });
});

describe('helpers', () => {
  it('isProtected matches the path and its descendants only', () => {
    const p = new Set(['a/b']);
    expect(isProtected('a/b', p)).toBe(true);
    expect(isProtected('a/b/c/d', p)).toBe(true);
    expect(isProtected('a/bc', p)).toBe(false);
    expect(isProtected('a', p)).toBe(false);
  });

  it('diffChunks marks every chunk when the chunk sizes differ', () => {
    const s = tree({ f: ['a', 'b'] }).nodes.get('f')!;
    const t = { ...s, chunkSize: CS * 2 };
    expect(diffChunks(s, t, 16).changed).toEqual([0, 1]);
  });
});
