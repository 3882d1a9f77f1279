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
