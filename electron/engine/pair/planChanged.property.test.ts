// Property: a live cycle that lists only the folders its changes are in (SyncSession.planChanged)
// plans what a full walk plans. Random source and target trees (fast-check) are planned in full,
// and in half the cases that plan is applied (in the other half it stays pending, as in a live
// pair whose person has not approved it): the next full plan is the pending list.
// Then both sides are edited on disk, and the paths a watcher would report are read off two
// independent listings of each side (before and after, electron/testing/treeSnapshot: lstat,
// readdir, sha256, none of the engine's code), reporting no more than a watcher must: a path whose
// entry appeared, vanished or changed, not what is below a folder that appeared or vanished, not a
// folder whose only change is the mtime its children's coming and going gave it.
//
// From one copy of the pair's state, planChanged(those paths) gives a plan and the part of the
// pair it covers; from another copy, plan() walks everything. A second round of edits then plans
// from the state the region's cycle left (its index rows), as the next live cycle would. The region's items, plus the
// pending items it does not cover, must be the full plan's items: kind, path, both sides' ids,
// the conflict, what metadata differs. Moves are compared as the delete and create they stand for
// (a move is found within one plan, and the region may hold only one of its halves: a pending
// delete outside it and a create inside are the same change, applied as a copy).
// TANDEM_PROPERTY_RUNS (default 300) and TANDEM_PROPERTY_SEED (printed) tune it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolvePair } from './pair.js';
import { SyncSession } from './syncSession.js';
import { withPendingMoves } from '../core/scan/region.js';
import {
  applyEdits,
  cloneModel,
  renderTree,
  treeArbitraries,
  writeRoot,
  type DirModel,
  type Edit,
  type WriteOptions,
} from '../../testing/randomTree.js';
import { removeTree } from '../../testing/sandbox.js';
import { hashTree, type TreeEntry, type TreeSnapshot } from '../../testing/treeSnapshot.js';
import { planLines } from '../../testing/planLines.js';
import { propertyRun } from '../../testing/property.js';

// The target is listed in this thread, not a worker per plan (testing/walkInThread.ts). Every
// other sync test lists through the worker.
vi.mock('../core/scan/walkInWorker.js', () => import('../../testing/walkInThread.js'));

const PROPERTY = propertyRun(300);
const { runs: RUNS, seed: SEED } = PROPERTY;

interface Case {
  /** the pair reproduces hard links (-H): a region holding a linked file walks instead */
  hardLinks: boolean;
  source: DirModel;
  targetEdits: Edit[];
  /** the first plan is applied (the target then holds the source), else left pending */
  applied: boolean;
  /** rounds of edits to both sides, each followed by both plans (the region's state carries on) */
  later: { source: Edit[]; target: Edit[] }[];
}

// Special files are left out: a FIFO cannot be written by a synchronous model write, and the
// target's are no different in a region from anywhere else (listed, one id for all).
const arbs = treeArbitraries({ sparse: false, xattrs: false });
const caseArb: fc.Arbitrary<Case> = fc.record({
  hardLinks: fc.boolean(),
  source: arbs.root(5),
  targetEdits: fc.array(arbs.edit, { maxLength: 4 }),
  applied: fc.boolean(),
  later: fc.array(
    fc.record({
      source: fc.array(arbs.edit, { minLength: 1, maxLength: 4 }),
      target: fc.array(arbs.edit, { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

let base: string;
let caseNo = 0;
const outcome = { region: 0, walked: 0, items: 0 };

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-region-'));
});
afterAll(() => {
  if (base) removeTree(base);
});

const parentOf = (p: string): string => {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
};

function entryChanged(a: TreeEntry, b: TreeEntry): 'content' | 'times' | null {
  if (a.kind !== b.kind || a.ino !== b.ino || a.mode !== b.mode || a.size !== b.size)
    return 'content';
  if (a.sha256 !== b.sha256 || a.linkTarget !== b.linkTarget) return 'content';
  if (a.mtimeMs !== b.mtimeMs || a.ctimeMs !== b.ctimeMs) return 'times';
  return null;
}

/** What a watcher must report of one side's change from `before` to `after` (see the head). */
export function reported(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const out = new Set<string>();
  const appearedOrGone = new Set<string>();
  for (const p of new Set([...before.keys(), ...after.keys()])) {
    if (p === '') continue;
    const a = before.get(p);
    const b = after.get(p);
    if (!a || !b || a.kind !== b.kind) appearedOrGone.add(p);
  }
  /** A folder that appeared, vanished or became something else is reported alone. */
  const belowReplaced = (p: string): boolean => {
    for (let d = parentOf(p); d !== ''; d = parentOf(d)) {
      if (!appearedOrGone.has(d)) continue;
      if (before.get(d)?.kind === 'dir' || after.get(d)?.kind === 'dir') return true;
    }
    return false;
  };
  const childCameOrWent = (dir: string): boolean =>
    [...appearedOrGone].some((p) => parentOf(p) === dir);
  for (const p of new Set([...before.keys(), ...after.keys()])) {
    if (p === '' || belowReplaced(p)) continue;
    if (appearedOrGone.has(p)) {
      out.add(p);
      continue;
    }
    const a = before.get(p)!;
    const b = after.get(p)!;
    const what = entryChanged(a, b);
    if (what === 'content' || (what === 'times' && !(a.kind === 'dir' && childCameOrWent(p))))
      out.add(p);
  }
  return [...out];
}

let hardLinks = false;

async function withSession<T>(
  source: string,
  target: string,
  home: string,
  f: (s: SyncSession) => Promise<T>,
): Promise<T> {
  const s = await SyncSession.open(resolvePair(source, target), {
    write: true,
    home,
    threads: 0,
    hardLinks,
  });
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

async function runCase(c: Case): Promise<void> {
  const dir = path.join(base, `case-${++caseNo}`);
  const source = path.join(dir, 'source');
  const target = path.join(dir, 'target');
  const home = path.join(dir, 'home');
  const walkedHome = path.join(dir, 'home-walked');
  hardLinks = c.hardLinks;
  try {
    const opts: WriteOptions = { roots: { source, target } };
    const src = cloneModel(c.source);
    writeRoot(source, src, opts);
    const tgt = cloneModel(src);
    const targetEdits = applyEdits(tgt, c.targetEdits, null);
    writeRoot(target, tgt, opts);
    // A first plan, applied or left pending; the plan after it is the pending list.
    await withSession(source, target, home, async (s) => {
      const plan = await s.plan();
      if (c.applied) s.apply(plan.items);
    });
    let pending = await withSession(source, target, home, (s) => s.plan());
    if (c.applied) expect(pending.items).toEqual([]);

    // The models pick what to edit: after an apply the target holds the source.
    const srcModel = cloneModel(src);
    const tgtModel = cloneModel(c.applied ? src : tgt);
    for (const [round, later] of c.later.entries()) {
      const beforeSrc = hashTree(source);
      const beforeTgt = hashTree(target);
      const srcEdits = applyEdits(srcModel, later.source, source, opts);
      const tgtEdits = applyEdits(tgtModel, later.target, target, opts);
      const changed = [
        ...new Set([
          ...reported(beforeSrc, hashTree(source)),
          ...reported(beforeTgt, hashTree(target)),
        ]),
      ];

      // The same state, twice: one copy for the walk, so neither plan reads what the other wrote.
      fs.rmSync(walkedHome, { recursive: true, force: true });
      fs.cpSync(home, walkedHome, { recursive: true });
      const walked = await withSession(source, target, walkedHome, (s) => s.plan());
      const region = await withSession(source, target, home, (s) =>
        s.planChanged(withPendingMoves(changed, pending.items)),
      );
      if (!region) {
        outcome.walked++;
        // The live pair walks instead: its index is the walk's from here on.
        fs.rmSync(home, { recursive: true, force: true });
        fs.cpSync(walkedHome, home, { recursive: true });
        pending = walked;
        continue;
      }
      outcome.region++;
      outcome.items += region.plan.items.length;
      const merged = [...region.plan.items, ...pending.items.filter((i) => !region.covers(i.path))];
      const want = planLines(walked.items);
      const got = planLines(merged);
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        const missing = want.filter((l) => !got.includes(l));
        const extra = got.filter((l) => !want.includes(l));
        throw new Error(
          [
            `round ${round + 1}: the region's plan differs from the full walk's`,
            `only in the full walk: ${missing.join('\n  ') || '-'}`,
            `only in region + pending: ${extra.join('\n  ') || '-'}`,
            `changed paths: ${JSON.stringify(changed)}`,
            `source edits: ${srcEdits.join('; ')}; target edits: ${tgtEdits.join('; ')}`,
            `first target edits: ${targetEdits.join('; ')}`,
            `pending before: ${planLines(pending.items).join('; ')}`,
            `source at first:`,
            renderTree(src),
          ].join('\n'),
        );
      }
      pending = walked;
    }
  } finally {
    removeTree(dir);
  }
}

describe(`live cycles from changed paths (${RUNS} cases, seed ${SEED})`, () => {
  it('plan what a full walk plans, with the pending changes they do not cover', async () => {
    console.log(PROPERTY.banner('planChanged property'));
    await fc.assert(fc.asyncProperty(caseArb, runCase), PROPERTY.params);
    console.log(
      `planChanged property: ${outcome.region} cases planned by region (${outcome.items} items), ${outcome.walked} walked instead`,
    );
    // Most cases must go through the region, or this tests the fallback only.
    if (PROPERTY.wide(50)) expect(outcome.region).toBeGreaterThan(outcome.walked);
  }, 900_000);
});
