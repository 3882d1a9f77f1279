import { describe, expect, it } from 'vitest';
import { outcomeText } from './outcomeText.js';

const o = (done: number, changed: string[] = [], gone = 0, changedCount = changed.length) => ({
  done,
  changed,
  changedCount,
  gone,
});

describe('outcomeText', () => {
  it.each([
    ['approve', o(3), 'Approved 3 changes.'],
    [
      'approve',
      o(0, ['a.txt']),
      'Approved 0 changes. 1 change was not approved because it changed since you looked (a.txt); it is still pending: check it again.',
    ],
    [
      'approve',
      o(2, ['a', 'b', 'c', 'd'], 0, 150),
      'Approved 2 changes. 150 changes were not approved because they changed since you looked (a, b, c and 147 more); they are still pending: check them again.',
    ],
    ['approve', o(1, [], 2), 'Approved 1 change. 2 changes were no longer pending.'],
    ['reject', o(1), 'Rejected 1 change; they stay off the list until they change again.'],
    [
      'reject',
      o(0, ['x']),
      'Rejected no changes. 1 change was not rejected because it changed since you looked (x); it is still pending: check it again.',
    ],
  ] as const)('%s %j', (verb, outcome, text) => {
    expect(outcomeText(verb, outcome)).toBe(text);
  });
});
