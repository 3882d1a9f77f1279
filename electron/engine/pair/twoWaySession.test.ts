// Two-way pairs on real folders (issue 13): the first sync, edits flowing each way, every kind of
// conflict resolved each way with nothing lost, renames as renames, the per-side holds, and the
// pair's mode (one way to two-way and back only when confirmed).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, putFile, setMtime, writeTree, type Sandbox } from '../../testing/sandbox.js';
import { diffTrees } from '../../testing/treeSnapshot.js';
import { resolvePair } from './pair.js';
import { SyncSession } from './syncSession.js';
import {
  conflictName,
  TwoWaySession,
  type Resolution,
  type TwoWayOptions,
  type TwoWayPlan,
} from './twoWaySession.js';

let sb: Sandbox;
let A: string;
let B: string;

beforeEach(() => {
  sb = makeSandbox('twoway');
  A = sb.source;
  B = sb.target;
});
afterEach(() => sb.cleanup());

const read = (root: string, p: string) => fs.readFileSync(path.join(root, p), 'utf8');
const exists = (root: string, p: string) => fs.existsSync(path.join(root, p));

/** One two-way cycle: plan, then apply with the resolutions `choose` gives (none: none). */
async function cycle(
  choose: (plan: TwoWayPlan) => Map<string, Resolution> = () => new Map(),
  opts: Partial<TwoWayOptions> = {},
) {
  const s = await TwoWaySession.open(A, B, { write: true, home: sb.home, threads: 0, ...opts });
  try {
    const plan = await s.plan();
    const result = await s.apply(choose(plan));
    return { plan, result };
  } finally {
    await s.close();
  }
}

const all = (r: Resolution) => (plan: TwoWayPlan) =>
  new Map(plan.conflicts.map((c) => [c.path, r]));

/** Every file below a side's root, its .tandem excepted: path -> content. */
function contents(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (p === '.tandem') continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(p, fs.readFileSync(path.join(root, p), 'utf8'));
    }
  };
  walk('');
  return out;
}

/** Contents kept in a side's version store. */
function versions(root: string): string[] {
  const dir = path.join(root, '.tandem', 'versions');
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const run of fs.readdirSync(dir))
    for (const f of fs.readdirSync(path.join(dir, run)))
      if (f !== 'manifest.jsonl') out.push(fs.readFileSync(path.join(dir, run, f), 'utf8'));
  return out;
}

async function expectInSync() {
  expect(diffTrees(A, B, { mtime: false, mode: false })).toEqual([]);
  const again = await cycle();
  expect(again.plan.changes).toEqual([]);
  expect(again.plan.conflicts).toEqual([]);
}

describe('two-way pairs', () => {
  it('a first sync copies what one side holds to the other, records equal entries, and makes differing ones conflicts that overwrite nothing', async () => {
    writeTree(A, { same: 'same', onlyA: 'from A', docs: { 'a.txt': 'A doc' }, both: 'A says' });
    writeTree(B, { same: 'same', onlyB: 'from B', docs: { 'b.txt': 'B doc' }, both: 'B says' });
    const { plan, result } = await cycle();
    expect(plan.firstSync).toBe(true);
    expect(plan.conflicts.map((c) => [c.path, c.kind])).toEqual([['both', 'bothCreated']]);
    expect(plan.changes.map((c) => [c.direction, c.path]).sort()).toEqual(
      [
        ['aToB', 'docs/a.txt'],
        ['aToB', 'onlyA'],
        ['bToA', 'docs/b.txt'],
        ['bToA', 'onlyB'],
      ].sort(),
    );
    expect(result.unresolved).toEqual(['both']);
    for (const root of [A, B]) {
      expect(read(root, 'onlyA')).toBe('from A');
      expect(read(root, 'onlyB')).toBe('from B');
      expect(read(root, 'docs/a.txt')).toBe('A doc');
      expect(read(root, 'docs/b.txt')).toBe('B doc');
    }
    expect(read(A, 'both')).toBe('A says');
    expect(read(B, 'both')).toBe('B says');
    // The conflict stays until a person resolves it; nothing else is left.
    const again = await cycle();
    expect(again.plan.changes).toEqual([]);
    expect(again.plan.conflicts.map((c) => c.path)).toEqual(['both']);
  });

  it('edits, creations and deletions on each side flow to the other, and a second sync writes nothing', async () => {
    writeTree(A, { keep: 'k', edit: 'v1', gone: 'g', dir: { inner: 'i' } });
    await cycle();
    expect(read(B, 'edit')).toBe('v1');
    fs.writeFileSync(path.join(A, 'edit'), 'v2 from A');
    fs.rmSync(path.join(B, 'gone'));
    putFile(B, 'dir/newB', 'new on B');
    putFile(A, 'fresh/deep/newA', 'new on A');
    fs.chmodSync(path.join(B, 'keep'), 0o755);
    const { plan, result } = await cycle();
    expect(plan.conflicts).toEqual([]);
    expect(new Set(plan.changes.map((c) => `${c.direction} ${c.action} ${c.path}`))).toEqual(
      new Set([
        'aToB update edit',
        'bToA delete gone',
        'bToA create dir/newB',
        'aToB create fresh',
        'aToB create fresh/deep',
        'aToB create fresh/deep/newA',
        'bToA metadata keep',
      ]),
    );
    expect(result.aToB.failed).toEqual([]);
    expect(result.bToA.failed).toEqual([]);
    expect(read(B, 'edit')).toBe('v2 from A');
    expect(exists(A, 'gone')).toBe(false);
    expect(read(A, 'dir/newB')).toBe('new on B');
    expect(read(B, 'fresh/deep/newA')).toBe('new on A');
    expect(fs.statSync(path.join(A, 'keep')).mode & 0o777).toBe(0o755);
    // The deleted file is kept in A's version store, which is where it was deleted for B.
    expect(versions(A)).toContain('g');
    await expectInSync();
  });

  it('a file renamed on one side is renamed on the other (the same inode), not copied again', async () => {
    writeTree(A, { docs: { 'report.txt': 'the report' } });
    await cycle();
    const inode = fs.statSync(path.join(B, 'docs/report.txt')).ino;
    fs.renameSync(path.join(A, 'docs/report.txt'), path.join(A, 'docs/final.txt'));
    const { plan } = await cycle();
    expect(plan.changes.map((c) => [c.action, c.from, c.path])).toEqual([
      ['move', 'docs/report.txt', 'docs/final.txt'],
    ]);
    expect(fs.statSync(path.join(B, 'docs/final.txt')).ino).toBe(inode);
    expect(exists(B, 'docs/report.txt')).toBe(false);
    await expectInSync();
  });

  describe('a file changed on both sides', () => {
    beforeEach(async () => {
      writeTree(A, { notes: 'base' });
      await cycle();
      fs.writeFileSync(path.join(A, 'notes'), 'A edit');
      fs.writeFileSync(path.join(B, 'notes'), 'B edit, longer');
      setMtime(path.join(A, 'notes'), new Date('2026-01-01T10:00:00Z'));
      setMtime(path.join(B, 'notes'), new Date('2026-01-01T11:00:00Z'));
    });

    it('is a conflict shown with both sides, and left alone without a choice', async () => {
      const { plan, result } = await cycle();
      expect(plan.conflicts).toHaveLength(1);
      const c = plan.conflicts[0]!;
      expect(c).toMatchObject({ path: 'notes', kind: 'bothModified' });
      expect(c.a!.size).toBe(6);
      expect(c.b!.size).toBe(14);
      expect(c.chunks).toMatchObject({ total: 1, changed: [0] });
      expect(result.unresolved).toEqual(['notes']);
      expect(read(A, 'notes')).toBe('A edit');
      expect(read(B, 'notes')).toBe('B edit, longer');
    });

    it("keep A's: B gets A's, and B's edit is kept in B's version store", async () => {
      await cycle(all('keepA'));
      expect(read(B, 'notes')).toBe('A edit');
      expect(read(A, 'notes')).toBe('A edit');
      expect(versions(B)).toContain('B edit, longer');
      await expectInSync();
    });

    it("keep B's: A gets B's, and A's edit is kept in A's version store", async () => {
      await cycle(all('keepB'));
      expect(read(A, 'notes')).toBe('B edit, longer');
      expect(versions(A)).toContain('A edit');
      await expectInSync();
    });

    it('keep both: the older copy is renamed beside it on both sides', async () => {
      const { result } = await cycle(all('keepBoth'));
      const renamed = result.resolved[0]!.renamedTo!;
      expect(renamed).toMatch(/^notes\.sync-conflict-\d{8}-\d{6}-A$/);
      for (const root of [A, B]) {
        expect(read(root, 'notes')).toBe('B edit, longer');
        expect(read(root, renamed)).toBe('A edit');
      }
      await expectInSync();
    });
  });

  it('deleted on one side and edited on the other: keep both keeps the edit on both, keep the deletion versions it', async () => {
    writeTree(A, { x: 'base x', y: 'base y' });
    await cycle();
    fs.rmSync(path.join(A, 'x'));
    fs.writeFileSync(path.join(B, 'x'), 'B edited x');
    fs.rmSync(path.join(B, 'y'));
    fs.writeFileSync(path.join(A, 'y'), 'A edited y');
    const { plan } = await cycle((p) => {
      expect(p.conflicts.map((c) => [c.path, c.kind])).toEqual([
        ['x', 'deletedChanged'],
        ['y', 'deletedChanged'],
      ]);
      return new Map<string, Resolution>([
        ['x', 'keepBoth'],
        ['y', 'keepB'],
      ]);
    });
    expect(plan.conflicts).toHaveLength(2);
    expect(read(A, 'x')).toBe('B edited x');
    expect(exists(A, 'y')).toBe(false);
    expect(versions(A)).toContain('A edited y');
    await expectInSync();
  });

  it('a folder deleted on one side while the other added a file in it: the folder is made again, nothing is lost', async () => {
    writeTree(A, { other: 'o', proj: { old: 'old', keep: 'keep' } });
    await cycle();
    fs.rmSync(path.join(A, 'proj'), { recursive: true });
    putFile(B, 'proj/added', 'added on B');
    const { plan } = await cycle();
    expect(plan.conflicts).toEqual([]);
    expect(read(A, 'proj/added')).toBe('added on B');
    // What B never touched goes as A asked, into B's version store.
    expect(exists(B, 'proj/old')).toBe(false);
    expect(versions(B).sort()).toEqual(['keep', 'old']);
    await expectInSync();
  });

  it('a file replaced by a folder on one side and edited on the other: keep both keeps the folder and the file beside it', async () => {
    writeTree(A, { thing: 'a file' });
    await cycle();
    fs.rmSync(path.join(A, 'thing'));
    putFile(A, 'thing/inside', 'in the folder');
    fs.writeFileSync(path.join(B, 'thing'), 'edited file');
    const { plan, result } = await cycle(all('keepBoth'));
    expect(plan.conflicts.map((c) => [c.path, c.kind])).toEqual([['thing', 'typeChanged']]);
    const renamed = result.resolved[0]!.renamedTo!;
    for (const root of [A, B]) {
      expect(read(root, 'thing/inside')).toBe('in the folder');
      expect(read(root, renamed)).toBe('edited file');
    }
    await expectInSync();
  });

  it('holds a side that suddenly looks empty: nothing is deleted on the other', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 30; i++) tree[`f${i}`] = `file ${i}`;
    writeTree(A, tree);
    await cycle();
    for (const f of fs.readdirSync(A)) if (f !== '.tandem') fs.rmSync(path.join(A, f));
    const { plan, result } = await cycle();
    expect(plan.holds.map((h) => [h.side, h.reason])).toEqual([['b', 'sourceEmpty']]);
    expect(plan.holds[0]!.message).toMatch(/^A is empty but B holds 30 entries/);
    expect(result.holds).not.toEqual([]);
    expect(contents(B).size).toBe(30);
  });

  it('a one-way pair becomes two-way only when confirmed, from its own baseline; a two-way pair refuses a one-way run', async () => {
    writeTree(A, { a: 'one', b: 'two' });
    const one = await SyncSession.open(resolvePair(A, B), {
      write: true,
      home: sb.home,
      threads: 0,
    });
    try {
      one.apply((await one.plan()).items);
    } finally {
      await one.close();
    }
    await expect(cycle()).rejects.toThrow(/is a one-way pair; to make it two-way .*--change-mode/);
    fs.writeFileSync(path.join(B, 'a'), 'edited on B');
    // From the mirror's baseline, B's edit is B's change (not a first-sync conflict).
    const { plan } = await cycle(undefined, { changeMode: true });
    expect(plan.firstSync).toBe(false);
    expect(plan.conflicts).toEqual([]);
    expect(plan.changes.map((c) => [c.direction, c.path])).toEqual([['bToA', 'a']]);
    expect(read(A, 'a')).toBe('edited on B');
    // The same pair with its folders the other way round is the same two-way pair.
    const s = await TwoWaySession.open(B, A, { write: false, home: sb.home, threads: 0 });
    try {
      const p = await s.plan();
      expect(p.firstSync).toBe(false);
      expect(p.changes).toEqual([]);
    } finally {
      await s.close();
    }
    await expect(
      SyncSession.open(resolvePair(A, B), { write: true, home: sb.home, threads: 0 }),
    ).rejects.toThrow(/are a two-way pair; sync them with --two-way, or .*--change-mode/);
    const back = await SyncSession.open(resolvePair(A, B), {
      write: true,
      home: sb.home,
      threads: 0,
      changeMode: true,
    });
    await back.close();
    await expect(cycle()).rejects.toThrow(/one-way pair/);
  });

  it('conflict names follow Syncthing and never reuse a name', () => {
    const when = new Date(2026, 11, 2, 10, 15, 0);
    expect(conflictName('docs/report.txt', 'B', when, () => false)).toBe(
      'docs/report.sync-conflict-20261202-101500-B.txt',
    );
    expect(conflictName('Makefile', 'A', when, () => false)).toBe(
      'Makefile.sync-conflict-20261202-101500-A',
    );
    expect(conflictName('.bashrc', 'A', when, () => false)).toBe(
      '.bashrc.sync-conflict-20261202-101500-A',
    );
    const taken = new Set(['r.sync-conflict-20261202-101500-B.md']);
    expect(conflictName('r.md', 'B', when, (q) => taken.has(q))).toBe(
      'r.sync-conflict-20261202-101500-B-2.md',
    );
  });
});
