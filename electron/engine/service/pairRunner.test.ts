import { describe, expect, it } from 'vitest';
import type { PlanItem } from '../../shared/plan.js';
import { deferUnsettled, estimateEtaSeconds, withParentFolders } from './pairRunner.js';

const file = (path: string, kind: PlanItem['kind'], mtimeMs: number): PlanItem => ({
  path,
  kind,
  source: { type: 'file', id: 'aa', size: 1, mtimeMs, mode: 0o644 },
  bytesToWrite: 1,
});
const dir = (path: string): PlanItem => ({
  path,
  kind: 'create',
  source: { type: 'dir', id: 'dd', size: 0, mtimeMs: 0, mode: 0o755 },
  bytesToWrite: 0,
});

describe('deferUnsettled', () => {
  const now = 1_000_000;
  it.each<[string, PlanItem, boolean]>([
    ['a file written 2 s ago', file('a', 'create', now - 2_000), true],
    ['a file written 300 ms ago', file('a', 'update', now - 300), false],
    ['a file written just now', file('a', 'update', now), false],
    ['a deletion (no source to wait for)', { path: 'a', kind: 'delete', bytesToWrite: 0 }, true],
    ['a folder', dir('d'), true],
    [
      'an mtime an hour in the future (a clock oddity, not a write)',
      file('a', 'create', now + 3_600_000),
      true,
    ],
  ])('%s', (_name, item, ready) => {
    expect(deferUnsettled([item], now, 1_000).ready.length).toBe(ready ? 1 : 0);
  });

  it('says how long until the youngest deferred file is quiet', () => {
    const r = deferUnsettled(
      [
        file('a', 'create', now - 300),
        file('b', 'create', now - 900),
        file('c', 'create', now - 5_000),
      ],
      now,
      1_000,
    );
    expect(r.ready.map((i) => i.path)).toEqual(['c']);
    expect(r.waitMs).toBe(700);
  });
});

describe('withParentFolders', () => {
  it('adds the pending creates of an approved file’s new folders, in plan order', () => {
    const all = [dir('x'), dir('x/y'), file('x/y/f', 'create', 0), file('g', 'create', 0)];
    expect(withParentFolders([all[2]!], all).map((i) => i.path)).toEqual(['x', 'x/y', 'x/y/f']);
    expect(withParentFolders([all[3]!], all).map((i) => i.path)).toEqual(['g']);
  });
});

describe('estimateEtaSeconds', () => {
  it.each<[number, number, number | null]>([
    [10_000, 0.5, 10],
    [3_000, 0.75, 1],
    [100, 0.5, null],
    [10_000, 0.01, null],
    [10_000, 1, null],
  ])('after %d ms at %d done: %s s left', (elapsed, frac, eta) => {
    expect(estimateEtaSeconds(elapsed, frac)).toBe(eta);
  });
});
