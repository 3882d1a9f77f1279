// Property: a plan that compares folders before files (core/scan/inSyncFolders) plans what a
// plan matching every entry against its row plans. Random source and target trees (fast-check)
// are planned, and in three cases of four the plan is applied. Then every entry of both sides gets an
// old mtime (testing/ageTree: nothing is inside the racy window, so folders can be vouched for
// by their digests), and one plan stores the digests. Then both sides are edited: new bytes with
// the old mtime put back, one byte inverted in place, moves, links, modes, removals, additions.
// From one copy of the pair's state the folders-first plan, from another the plan without it:
// their items must be the same (kind, path, both ids, the conflict, what metadata differs). A
// second round of edits starts from the state the folders-first plan left.
// TANDEM_PROPERTY_RUNS (default 200) and TANDEM_PROPERTY_SEED (printed) tune it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolvePair } from './pair.js';
import { SyncSession } from './syncSession.js';
import { IdentifierIndex } from '../core/index/identifierIndex.js';
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
import { ageTree } from '../../testing/ageTree.js';
import { planLines } from '../../testing/planLines.js';
import { propertyRun } from '../../testing/property.js';

vi.mock('../core/scan/walkInWorker.js', () => import('../../testing/walkInThread.js'));

const PROPERTY = propertyRun(200);
const { runs: RUNS, seed: SEED } = PROPERTY;
const OLD = Date.UTC(2015, 4, 6, 7, 8, 9, 123);

interface Case {
  source: DirModel;
  targetEdits: Edit[];
  applied: boolean;
  later: { source: Edit[]; target: Edit[] }[];
}

const arbs = treeArbitraries({ sparse: false, xattrs: false });
const caseArb: fc.Arbitrary<Case> = fc.record({
  source: arbs.root(5),
  targetEdits: fc.array(arbs.edit, { maxLength: 4 }),
  // Applied three times in four: a pair left out of sync has fewer folders that are in sync.
  applied: fc.constantFrom(true, true, true, false),
  later: fc.array(
    fc.record({
      source: fc.array(arbs.edit, { maxLength: 3 }),
      target: fc.array(arbs.edit, { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

let base: string;
let caseNo = 0;
const outcome = { shortcut: 0, full: 0, items: 0 };
const loads = vi.spyOn(IdentifierIndex.prototype, 'load');

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-folders-first-'));
});
afterAll(() => {
  if (base) removeTree(base);
});

async function planWith(
  source: string,
  target: string,
  home: string,
  foldersFirst: boolean,
  apply = false,
): Promise<ReturnType<SyncSession['plan']> extends Promise<infer P> ? P : never> {
  const s = await SyncSession.open(resolvePair(source, target), {
    write: true,
    home,
    threads: 0,
    foldersFirst,
  });
  try {
    const plan = await s.plan();
    if (apply) s.apply(plan.items);
    return plan;
  } finally {
    await s.close();
  }
}

async function runCase(c: Case): Promise<void> {
  const dir = path.join(base, `case-${++caseNo}`);
  const source = path.join(dir, 'source');
  const target = path.join(dir, 'target');
  const home = path.join(dir, 'home');
  const fullHome = path.join(dir, 'home-full');
  try {
    const opts: WriteOptions = { roots: { source, target } };
    const src = cloneModel(c.source);
    writeRoot(source, src, opts);
    const tgt = cloneModel(src);
    const targetEdits = applyEdits(tgt, c.targetEdits, null);
    writeRoot(target, tgt, opts);
    await planWith(source, target, home, true, c.applied);
    ageTree(source, OLD);
    ageTree(target, OLD);
    // This plan rehashes what aging touched (every ctime moved) and stores the folders' digests.
    await planWith(source, target, home, true);

    const srcModel = cloneModel(src);
    const tgtModel = cloneModel(c.applied ? src : tgt);
    for (const [round, later] of c.later.entries()) {
      const srcEdits = applyEdits(srcModel, later.source, source, opts);
      const tgtEdits = applyEdits(tgtModel, later.target, target, opts);
      fs.rmSync(fullHome, { recursive: true, force: true });
      fs.cpSync(home, fullHome, { recursive: true });
      const full = await planWith(source, target, fullHome, false);
      loads.mockClear();
      const first = await planWith(source, target, home, true);
      // The full load of a side's rows is what folders-first leaves out once anything is in sync.
      if (loads.mock.calls.length === 0) outcome.shortcut++;
      else outcome.full++;
      outcome.items += first.items.length;
      const want = planLines(full.items);
      const got = planLines(first.items);
      if (JSON.stringify(want) !== JSON.stringify(got) || full.sourceRootId !== first.sourceRootId)
        throw new Error(
          [
            `round ${round + 1}: the folders-first plan differs from the full one`,
            `only in the full plan: ${want.filter((l) => !got.includes(l)).join('\n  ') || '-'}`,
            `only in folders-first: ${got.filter((l) => !want.includes(l)).join('\n  ') || '-'}`,
            `root ids: full ${full.sourceRootId} ${full.targetRootId}, folders-first ${first.sourceRootId} ${first.targetRootId}`,
            `source edits: ${srcEdits.join('; ')}; target edits: ${tgtEdits.join('; ')}`,
            `first target edits: ${targetEdits.join('; ')}; applied: ${c.applied}`,
            'source at first:',
            renderTree(src),
          ].join('\n'),
        );
      expect(first.targetRootId).toBe(full.targetRootId);
    }
  } finally {
    removeTree(dir);
  }
}

describe(`folders-first plans (${RUNS} cases, seed ${SEED})`, () => {
  it('plan what matching every entry plans, after edits that keep size and mtime', async () => {
    console.log(PROPERTY.banner('foldersFirst property'));
    await fc.assert(fc.asyncProperty(caseArb, runCase), PROPERTY.params);
    console.log(
      `foldersFirst property: ${outcome.shortcut} plans left in-sync folders out, ${outcome.full} matched every row (${outcome.items} items)`,
    );
    // A share of the plans must take the shortcut, or this tests the fallback only. Small random
    // trees with edits on both sides often have no folder in sync: 30–40% of the plans take it
    // (about 90–110 of 290 at 200 cases), so a seventh is far below any seed's count.
    if (PROPERTY.wide(50))
      expect(outcome.shortcut).toBeGreaterThan((outcome.shortcut + outcome.full) / 7);
  }, 900_000);
});
