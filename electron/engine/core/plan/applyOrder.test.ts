import { describe, expect, it } from 'vitest';
import type { EntryType, PlanItem } from '../../../shared/plan.js';
import { EXACT_NAMES } from '../scan/walk.js';
import { orderForApply, type ApplyOrder } from './applyOrder.js';

const snap = (type: EntryType) => ({ type, id: 'aa', size: 1, mtimeMs: 1, mode: 0o644 });
const item = (kind: PlanItem['kind'], path: string, extra: Partial<PlanItem> = {}): PlanItem => ({
  path,
  kind,
  bytesToWrite: 0,
  ...(kind === 'delete' ? { target: snap('file') } : { source: snap('file') }),
  ...extra,
});

function phases(items: PlanItem[], rules = EXACT_NAMES): Record<keyof ApplyOrder, string[]> {
  const o = orderForApply(items, rules);
  const names = (xs: PlanItem[]) => xs.map((i) => `${i.kind} ${i.path}`);
  return {
    earlyDeletes: names(o.earlyDeletes),
    folders: names(o.folders),
    renames: names(o.renames),
    deletesAfterMoves: names(o.deletesAfterMoves),
    files: names(o.files),
    links: names(o.links),
    metadata: names(o.metadata),
    lateDeletes: names(o.lateDeletes),
  };
}

describe('orderForApply', () => {
  it('puts each kind of item in its phase', () => {
    expect(
      phases([
        item('create', 'd', { source: snap('dir') }),
        item('create', 'd/a'),
        item('create', 'd/b', { linkTo: 'd/a' }),
        item('update', 'c'),
        item('rename', 'n', { from: 'o' }),
        item('metadata', 'm'),
        item('delete', 'gone'),
      ]),
    ).toEqual({
      earlyDeletes: [],
      folders: ['create d'],
      renames: ['rename n'],
      deletesAfterMoves: [],
      files: ['create d/a', 'update c'],
      links: ['create d/b'],
      metadata: ['metadata m'],
      lateDeletes: ['delete gone'],
    });
  });

  it('deletes early what is in the way of a write (under the target’s name rules), and never after it', () => {
    const fold = { foldCase: true, normalizeUnicode: false };
    // A folder's old contents go before a file is written at its name (another spelling there).
    const plan = [item('delete', 'P/child'), item('create', 'p')];
    expect(phases(plan, fold).earlyDeletes).toEqual(['delete P/child']);
    expect(phases(plan).lateDeletes).toEqual(['delete P/child']);
    // A write at the same path replaces the entry itself: no delete of its own.
    const same = phases([item('delete', 'p'), item('replaceType', 'p')]);
    expect([...same.earlyDeletes, ...same.lateDeletes]).toEqual([]);
  });
});

describe('orderForApply: a folder emptied by a move', () => {
  // Found by the syncTree property (seed 290049326 on 5ef5717): the target held a/a/a, the source
  // moved a/a to 日本語 and put a link at a. The move out of a/a is a rename of its file, the
  // folder a/a is deleted early (it lies below the link written at a), and early deletions ran
  // before the renames: a/a still held its file, stayed, and the link could not replace a.
  it('deletes a folder in the way of a write only after the moves out of it', () => {
    const o = phases([
      item('replaceType', 'a', { source: snap('symlink'), target: snap('dir') }),
      item('delete', 'a/a', { target: snap('dir') }),
      item('create', '日本語', { source: snap('dir') }),
      item('rename', '日本語/a', { from: 'a/a/a' }),
      item('delete', 'gone/x'),
    ]);
    expect(o.earlyDeletes).toEqual([]);
    expect(o.renames).toEqual(['rename 日本語/a']);
    expect(o.deletesAfterMoves).toEqual(['delete a/a']);
    expect(o.lateDeletes).toEqual(['delete gone/x']);
  });

  it('deletes children before their folder, whatever order the plan lists them in', () => {
    // The order splitSharedInodes left (seed 486392521): a shared inode's other name, once a
    // rename, is deleted after its folder's deletion in the plan.
    const o = phases([
      item('delete', '-rf/a', { target: snap('dir') }),
      item('delete', '-rf', { target: snap('dir') }),
      item('create', 'é', { source: snap('dir') }),
      item('rename', 'é/#hash', { from: '-rf/a/a' }),
      item('create', 'é/-rf'),
      item('delete', '-rf/-rf'),
      item('delete', 'z/y/x'),
    ]);
    expect(o.lateDeletes).toEqual(['delete z/y/x', 'delete -rf/a', 'delete -rf/-rf', 'delete -rf']);
  });
});
