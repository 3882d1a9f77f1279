import { describe, expect, it } from 'vitest';
import { judgeTarget, markerWith, parseMarker, type TargetFacts } from './targetIdentity.js';

const base: TargetFacts = {
  key: 'k1',
  source: '/src',
  given: '/backup',
  target: '/media/a',
  synced: true,
  lastDev: '7',
  record: { source: '/src', given: '/backup', resolved: '/media/a', updated: 1 },
  marker: { pairs: { k1: { source: '/src', created: 1 } } },
  dev: '7',
};

describe('judgeTarget', () => {
  const cases: [string, Partial<TargetFacts>, boolean, RegExp | null][] = [
    ['the folder last synced', {}, false, null],
    ['a new pair', { synced: false, record: null, marker: null }, false, null],
    [
      'a new pair whose target does not exist yet',
      { synced: false, record: null, dev: null },
      false,
      null,
    ],
    [
      'a link that leads elsewhere now',
      { target: '/media/b' },
      true,
      /^the target \/backup now leads to \/media\/b, but this pair used it as \/media\/a before .*if \/media\/b is the right folder, run again with --confirm-target$/,
    ],
    [
      'a missing target synced before',
      { dev: null },
      true,
      /^the target \/backup is missing, but this pair has synced it before/,
    ],
    ['its marker gone', { marker: null }, true, /has no \.tandem marker/],
    [
      'a marker of other pairs only',
      { marker: { pairs: { k2: { source: '/other', created: 1 } } } },
      true,
      /marked as the target of other pairs/,
    ],
    ['another device', { dev: '8' }, true, /on another disk/],
    [
      'another pair sharing the target',
      { marker: markerWith(base.marker, 'k2', '/other', 2) },
      false,
      null,
    ],
  ];
  it.each(cases)('%s', (_, patch, moved, problem) => {
    const r = judgeTarget({ ...base, ...patch });
    expect(r.moved).toBe(moved);
    if (problem) expect(r.problem).toMatch(problem);
    else expect(r.problem).toBeNull();
  });
});

describe('the marker', () => {
  it('reads the one-pair format of before, and adds a pair keeping the others', () => {
    const old = parseMarker(JSON.stringify({ pair: 'k1', source: '/src', created: 5 }));
    expect(old).toEqual({ pairs: { k1: { source: '/src', created: 5 } } });
    expect(Object.keys(markerWith(old, 'k2', '/src2', 6).pairs)).toEqual(['k1', 'k2']);
    expect(parseMarker('{"pai')).toBeNull();
    expect(parseMarker('[]')).toBeNull();
  });
});
