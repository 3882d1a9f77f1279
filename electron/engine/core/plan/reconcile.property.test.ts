// Property: whatever both sides did since they last agreed, carrying out reconcile's decisions
// (every conflict resolved by "keep both", as a person might) leaves nothing lost and nothing to do.
// Random baselines of files, symlinks and folders, then independent random edits on A and on B
// (modify, create, delete, type change, rename of files and whole folders); half the cases are a
// first sync (no baseline, the two sides grown from one tree). The decisions are applied in memory
// by this file's own model, never the engine's, and then:
//   - both sides are well-formed trees (every entry's folder exists) and equal, and the baseline
//     equals them;
//   - before a conflict is resolved, every path where the sides or the baseline disagree is a
//     conflict or waits inside one (nothing is left undecided);
//   - nothing is lost: every content either side held is on both sides or among what a one-way
//     decision replaced or deleted (the version store's part), and every content a side changed
//     since the baseline is on both sides (never only a version);
//   - reconciling again decides nothing;
//   - with one path taken as unreadable, nothing at or below it is decided and no folder holding
//     it is removed.
// TANDEM_PROPERTY_RUNS (default 5000), TANDEM_PROPERTY_SEED and TANDEM_PROPERTY_PATH (to replay a
// failure: both are printed with it) tune it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconcile, type Decision, type ReconcileEntry } from './reconcile.js';
import { propertyRun } from '../../../testing/property.js';

const PROPERTY = propertyRun(5000);
const { runs: RUNS, seed: SEED } = PROPERTY;

type Tree = Map<string, ReconcileEntry>;
const NAMES = ['a', 'b', 'c'] as const;
const MAX_DEPTH = 3;

const parentOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const join = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);
const atOrBelow = (p: string, top: string): boolean => p === top || p.startsWith(`${top}/`);
/** What a content is, for "nothing lost": files and symlinks (folders hold none of their own). */
const contentOf = (e: ReconcileEntry): string => `${e.type}:${e.id}`;
/** The spec's "same result": the same type and, but for folders, the same id. */
const same = (x?: ReconcileEntry, y?: ReconcileEntry): boolean =>
  !x || !y ? x === y : x.type === y.type && (x.type === 'dir' || x.id === y.id);

interface Edit {
  kind: 'modify' | 'create' | 'delete' | 'typeChange' | 'rename';
  at: number;
  to: number;
  name: (typeof NAMES)[number];
  type: ReconcileEntry['type'];
  id: number;
}

const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('modify', 'create', 'delete', 'typeChange', 'rename'),
  at: fc.nat(),
  to: fc.nat(),
  name: fc.constantFrom(...NAMES),
  type: fc.constantFrom('file', 'dir', 'symlink'),
  // few ids: equal contents on both sides, and several files of one content, are common
  id: fc.nat(3),
});

const entry = (type: ReconcileEntry['type'], id: number): ReconcileEntry => ({
  type,
  id: type === 'dir' ? '' : `${type[0]}${id}`,
});

function removeSubtree(t: Tree, top: string): void {
  for (const p of [...t.keys()]) if (atOrBelow(p, top)) t.delete(p);
}

/** One edit, applied where it can be (an edit that cannot apply to this tree does nothing). */
function applyEdit(t: Tree, e: Edit): void {
  const paths = [...t.keys()].sort();
  const pick = <T>(list: readonly T[], i: number): T | undefined =>
    list.length ? list[i % list.length] : undefined;
  const dirs = ['', ...paths.filter((p) => t.get(p)!.type === 'dir')];
  const depth = (p: string): number => p.split('/').length;
  switch (e.kind) {
    case 'modify': {
      const p = pick(
        paths.filter((q) => t.get(q)!.type !== 'dir'),
        e.at,
      );
      if (p !== undefined) t.set(p, entry(t.get(p)!.type, e.id));
      return;
    }
    case 'create': {
      const p = join(pick(dirs, e.at)!, e.name);
      if (!t.has(p) && depth(p) <= MAX_DEPTH) t.set(p, entry(e.type, e.id));
      return;
    }
    case 'delete': {
      const p = pick(paths, e.at);
      if (p !== undefined) removeSubtree(t, p);
      return;
    }
    case 'typeChange': {
      const p = pick(paths, e.at);
      if (p === undefined) return;
      const types = (['file', 'dir', 'symlink'] as const).filter((x) => x !== t.get(p)!.type);
      removeSubtree(t, p);
      t.set(p, entry(types[e.id % 2]!, e.id));
      return;
    }
    case 'rename': {
      const from = pick(paths, e.at);
      if (from === undefined) return;
      const to = join(
        pick(
          dirs.filter((d) => !atOrBelow(d, from)),
          e.to,
        )!,
        e.name,
      );
      const moved = paths.filter((p) => atOrBelow(p, from));
      const deepest = Math.max(...moved.map((p) => depth(p) - depth(from)));
      if (t.has(to) || depth(to) + deepest > MAX_DEPTH) return;
      for (const p of moved) {
        t.set(to + p.slice(from.length), t.get(p)!);
        t.delete(p);
      }
      return;
    }
  }
}

function edited(t: Tree, edits: readonly Edit[]): Tree {
  const out = new Map(t);
  for (const e of edits) applyEdit(out, e);
  return out;
}

interface Case {
  firstSync: boolean;
  grow: Edit[];
  editsA: Edit[];
  editsB: Edit[];
  /** which path to take as unreadable, for the last check */
  unreadable: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  firstSync: fc.boolean(),
  // creations grow the tree (other edits of an empty tree do nothing); the rest shape it
  grow: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: editArb.map((e) => ({ ...e, kind: 'create' as const })) },
      { weight: 1, arbitrary: editArb },
    ),
    { maxLength: 14 },
  ),
  editsA: fc.array(editArb, { maxLength: 6 }),
  editsB: fc.array(editArb, { maxLength: 6 }),
  unreadable: fc.nat(),
});

function checkTree(name: string, t: Tree): void {
  for (const p of t.keys()) {
    const parent = parentOf(p);
    expect(parent === '' || t.get(parent)?.type === 'dir', `${name}: ${p} has no folder`).toBe(
      true,
    );
  }
}

const sorted = (t: Tree): [string, ReconcileEntry][] =>
  [...t.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));

/** Counts of what the decisions held over the run, so a generator that stops making some is seen. */
const seen = new Map<string, number>();
const count = (k: string): void => void seen.set(k, (seen.get(k) ?? 0) + 1);

function runCase(c: Case): void {
  const grown = edited(new Map(), c.grow);
  const base0: Tree = c.firstSync ? new Map() : grown;
  const a0 = edited(grown, c.editsA);
  const b0 = edited(grown, c.editsB);
  const decisions = reconcile({ a: a0, b: b0, base: base0 });

  const sides = { a: new Map(a0), b: new Map(b0) };
  const base = new Map(base0);
  const versions = new Set<string>();
  const put = (t: Tree, p: string, e?: ReconcileEntry): void => {
    const old = t.get(p);
    if (old && old.type !== 'dir' && !same(old, e)) versions.add(contentOf(old));
    if (e) t.set(p, e);
    else t.delete(p);
  };
  const setBase = (p: string, e?: ReconcileEntry): void => {
    if (e) base.set(p, e);
    else base.delete(p);
  };

  const conflicts: Extract<Decision, { action: 'conflict' }>[] = [];
  for (const d of decisions.values()) {
    count(d.action);
    switch (d.action) {
      case 'record':
        setBase(d.path, d.entry);
        break;
      case 'conflict':
        count(`conflict ${d.kind}`);
        if (d.inside.length) count('conflict with paths inside');
        if (d.movedTo !== undefined) count('conflict movedTo');
        conflicts.push(d);
        break;
      case 'move': {
        const to = sides[d.direction === 'aToB' ? 'b' : 'a'];
        expect(
          same(to.get(d.from), base0.get(d.from)),
          `${d.from} moved from a changed entry`,
        ).toBe(true);
        to.delete(d.from);
        put(to, d.path, d.entry);
        setBase(d.from, undefined);
        setBase(d.path, d.entry);
        break;
      }
      case 'create':
      case 'update':
      case 'replaceType':
      case 'delete': {
        if (d.kept) count('kept folder');
        const to = sides[d.direction === 'aToB' ? 'b' : 'a'];
        put(to, d.path, d.entry);
        setBase(d.path, d.entry);
        break;
      }
    }
  }
  checkTree('A after the one-way decisions', sides.a);
  checkTree('B after the one-way decisions', sides.b);

  // Everything not yet agreed is a conflict's, waiting for a person.
  const waiting = new Set(conflicts.flatMap((d) => [d.path, ...d.inside]));
  for (const p of new Set([...sides.a.keys(), ...sides.b.keys(), ...base.keys()])) {
    const agreed = same(sides.a.get(p), sides.b.get(p)) && same(sides.a.get(p), base.get(p));
    if (!agreed) expect(waiting.has(p), `${p} disagrees and is in no conflict`).toBe(true);
  }
  for (const d of conflicts)
    for (const p of d.inside) expect(atOrBelow(p, d.path) && p !== d.path).toBe(true);

  // Keep both: a file or symlink that loses the name moves aside as "<name>~<side>" on both
  // sides; a folder keeps the name, with all it holds on both sides.
  for (const d of conflicts) {
    const a = sides.a.get(d.path);
    const b = sides.b.get(d.path);
    expect([a, b]).toEqual([d.a, d.b]);
    const copyTree = (from: Tree, to: Tree): void => {
      for (const p of [...to.keys()]) if (atOrBelow(p, d.path)) put(to, p, undefined);
      for (const [p, e] of from) if (atOrBelow(p, d.path)) to.set(p, e);
    };
    const aside = (side: 'a' | 'b', e: ReconcileEntry): void => {
      const name = `${d.path}~${side.toUpperCase()}`;
      expect(sides.a.has(name) || sides.b.has(name)).toBe(false);
      sides.a.set(name, e);
      sides.b.set(name, e);
      base.set(name, e);
    };
    if (!a || !b) copyTree(a ? sides.a : sides.b, a ? sides.b : sides.a);
    else if (a.type === 'dir' && b.type === 'dir')
      throw new Error(`two folders conflict at ${d.path}`);
    else if (a.type === 'dir') {
      aside('b', b);
      copyTree(sides.a, sides.b);
    } else if (b.type === 'dir') {
      aside('a', a);
      copyTree(sides.b, sides.a);
    } else {
      aside('b', b);
      sides.b.set(d.path, a);
    }
    for (const p of [...base.keys()]) if (atOrBelow(p, d.path)) base.delete(p);
    for (const [p, e] of sides.a) if (atOrBelow(p, d.path)) base.set(p, e);
  }

  checkTree('A', sides.a);
  checkTree('B', sides.b);
  expect(sorted(sides.b), 'B equals A').toEqual(sorted(sides.a));
  expect(sorted(base), 'the baseline equals both').toEqual(sorted(sides.a));

  const kept = new Set([...sides.a.values()].filter((e) => e.type !== 'dir').map(contentOf));
  for (const [name, t] of [
    ['A', a0],
    ['B', b0],
  ] as const)
    for (const [p, e] of t) {
      if (e.type === 'dir') continue;
      const k = contentOf(e);
      expect(kept.has(k) || versions.has(k), `${name}'s ${k} at ${p} is lost`).toBe(true);
      if (!same(e, base0.get(p)))
        expect(kept.has(k), `${name}'s change ${k} at ${p} is not on both sides`).toBe(true);
    }

  expect([...reconcile({ a: sides.a, b: sides.b, base }).values()]).toEqual([]);

  const all = [...new Set([...a0.keys(), ...b0.keys(), ...base0.keys()])].sort();
  if (!all.length) return;
  const hidden = all[c.unreadable % all.length]!;
  const input = { a: a0, b: b0, base: base0, protectedPaths: new Set([hidden]) };
  for (const d of reconcile(input).values()) {
    const touched = [d.path, ...(d.action === 'move' ? [d.from] : [])];
    for (const p of [...touched, ...(d.action === 'conflict' ? d.inside : [])])
      expect(atOrBelow(p, hidden), `${p} decided below unreadable ${hidden}`).toBe(false);
    if ((d.action === 'delete' || d.action === 'replaceType') && atOrBelow(hidden, d.path)) {
      const to = d.direction === 'aToB' ? b0 : a0;
      expect(to.get(d.path)?.type, `${d.path} holding unreadable ${hidden} removed`).not.toBe(
        'dir',
      );
    }
  }
}

describe(`reconcile of random edits on both sides (${RUNS} cases, seed ${SEED})`, () => {
  it('loses nothing, leaves both sides equal and the baseline with them, a second run decides nothing, nor any run under an unreadable path', () => {
    console.log(PROPERTY.banner('reconcile property'));
    fc.assert(fc.property(caseArb, runCase), PROPERTY.params);
    const kinds = [...seen].sort().map(([k, n]) => `${k} ${n}`);
    console.log(`reconcile property: decisions over the run: ${kinds.join(', ')}`);
    if (PROPERTY.wide(1000))
      for (const k of [
        ...['record', 'create', 'update', 'replaceType', 'delete', 'move', 'kept folder'],
        ...['bothCreated', 'bothModified', 'deletedChanged', 'typeChanged'].map(
          (c) => `conflict ${c}`,
        ),
        ...['conflict with paths inside', 'conflict movedTo'],
      ])
        expect(seen.get(k) ?? 0, `no case made a decision "${k}"`).toBeGreaterThan(0);
  }, 300_000);
});
