import { describe, expect, it } from 'vitest';
import type { PlanItem } from '../../shared/plan.js';
import type { ApprovalPolicy } from '../../shared/syncApi.js';
import { decideApprovals } from './approvalPolicy.js';

const snap = { type: 'file' as const, id: 'aa', size: 1, mtimeMs: 1, mode: 0o644 };
const item = (kind: PlanItem['kind'], conflict?: PlanItem['conflict']): PlanItem => ({
  path: `p-${kind}`,
  kind,
  source: snap,
  target: snap,
  bytesToWrite: 0,
  ...(conflict ? { conflict } : {}),
});
const on: ApprovalPolicy = { autoApprove: true, autoApproveDeletes: false, maxAutoDeletes: 2 };
const deletesToo: ApprovalPolicy = { ...on, autoApproveDeletes: true };
const off: ApprovalPolicy = { ...on, autoApprove: false };

describe('decideApprovals: folders', () => {
  const dir = { ...snap, type: 'dir' as const };
  const at = (path: string, kind: PlanItem['kind'], extra: Partial<PlanItem> = {}): PlanItem => ({
    ...item(kind),
    path,
    ...extra,
  });
  it('holds a folder deletion while an entry inside it waits, and lets it go once none does', () => {
    const items = [
      at('old/kept.txt', 'delete', { conflict: 'targetUnknown' }),
      at('old/sub', 'delete', { target: dir }),
      at('old', 'delete', { target: dir }),
      at('other', 'delete', { target: dir }),
    ];
    const d = decideApprovals(items, [], { ...deletesToo, maxAutoDeletes: 10 });
    expect(d.map((x) => x.auto)).toEqual([false, true, false, true]);
    expect(d[2]!.needsPerson).toMatch(/entries inside this folder wait/);
    const clean = decideApprovals(items.slice(1), [], { ...deletesToo, maxAutoDeletes: 10 });
    expect(clean.map((x) => x.auto)).toEqual([true, true, true]);
  });
});

describe('decideApprovals', () => {
  it.each<[string, PlanItem, ApprovalPolicy, boolean, RegExp | undefined]>([
    ['a new file, auto on', item('create'), on, true, undefined],
    ['a changed file, auto on', item('update'), on, true, undefined],
    ['a metadata change, auto on', item('metadata'), on, true, undefined],
    ['a move, auto on', item('rename'), on, true, undefined],
    ['a type change of what Tandem wrote', item('replaceType'), on, true, undefined],
    ['anything, auto off', item('create'), off, false, /auto-approve is off/],
    [
      'a target edited since the last sync',
      item('update', 'targetEdited'),
      on,
      false,
      /target changed/,
    ],
    [
      'target data never seen in sync',
      item('replaceType', 'targetUnknown'),
      on,
      false,
      /never saw/,
    ],
    [
      'a conflicting delete even with deletions on',
      item('delete', 'targetEdited'),
      deletesToo,
      false,
      /target changed/,
    ],
    ['a clean source deletion, deletions off', item('delete'), on, false, /deletions wait/],
    ['a clean source deletion, deletions on', item('delete'), deletesToo, true, undefined],
  ])('%s', (_name, it_, policy, auto, why) => {
    const [d] = decideApprovals([it_], [], policy);
    expect(d!.auto).toBe(auto);
    if (why) expect(d!.needsPerson).toMatch(why);
    else expect(d!.needsPerson).toBeUndefined();
  });

  it('auto-applies no more deletions than the pair allows at once', () => {
    const ds = decideApprovals(
      [item('delete'), item('delete'), item('create'), item('delete')],
      [],
      deletesToo,
    );
    expect(ds.map((d) => d.auto)).toEqual([true, true, true, false]);
    expect(ds[3]!.needsPerson).toMatch(/more than 2 deletions/);
  });

  it('holds everything of a held plan for a person', () => {
    const ds = decideApprovals(
      [item('create'), item('delete')],
      [{ reason: 'massDelete', message: 'deletes 9 of 10' }],
      deletesToo,
    );
    expect(ds.every((d) => !d.auto && /held: deletes 9 of 10/.test(d.needsPerson ?? ''))).toBe(
      true,
    );
  });
});
