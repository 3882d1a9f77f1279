import { describe, expect, it } from 'vitest';
import type { SyncEvent } from '../shared/syncApi.js';
import { emptyApplyResult, type ApplyResult } from '../shared/plan.js';
import {
  APPLIED_GAP,
  ERROR_GAP_PER_PAIR,
  SAME_ERROR_GAP,
  admitNotice,
  appliedSummary,
  noticesFor,
  recordNotice,
  sentence,
  type Notice,
} from './notices.js';
import { EMPTY_MODEL, reduceModel, withPairs, type SyncModel } from './syncModel.js';
import { pair, status } from './statusFixtures.js';

const photos = pair('a', '/home/u/Photos', '/media/b/Backup');
const base: SyncModel = withPairs(EMPTY_MODEL, [photos]);
const away = { windowFocused: false };

const result = (patch: Partial<ApplyResult> = {}): ApplyResult => ({
  ...emptyApplyResult(),
  applied: 12,
  bytesWritten: 340 * 1024 * 1024,
  bytesJournaled: 0,
  bytesVersioned: 0,
  patchedInPlace: 0,
  renamedIntoPlace: 12,
  ...patch,
});

function step(prev: SyncModel, e: SyncEvent, ctx = away) {
  const next = reduceModel(prev, e);
  return { next, notices: noticesFor(prev, next, e, ctx) };
}

describe('noticesFor', () => {
  it('tells of a sync that moved data', () => {
    const { notices } = step(base, {
      type: 'applied',
      pairId: 'a',
      result: result(),
      movedData: true,
    });
    expect(notices).toEqual([
      {
        title: 'Synced Photos → Backup',
        body: '12 changes, 340 MiB',
        limits: [['applied:a', APPLIED_GAP]],
      },
    ]);
  });

  it('stays quiet for a sync that moved nothing', () => {
    const e: SyncEvent = {
      type: 'applied',
      pairId: 'a',
      result: result({ applied: 0, bytesWritten: 0 }),
      movedData: false,
    };
    expect(step(base, e).notices).toEqual([]);
  });

  it('stays quiet while the user is looking at Tandem', () => {
    const e: SyncEvent = { type: 'applied', pairId: 'a', result: result(), movedData: true };
    expect(step(base, e, { windowFocused: true }).notices).toEqual([]);
    expect(
      step(base, { type: 'error', pairId: 'a', message: 'x' }, { windowFocused: true }).notices,
    ).toEqual([]);
  });

  it('tells of new conflicts, not of ones it already knew', () => {
    const first = step(base, { type: 'pairStatus', status: status('a', { conflicts: 1 }) });
    expect(first.notices).toEqual([]); // the first status after start is not news
    const more = step(first.next, { type: 'pairStatus', status: status('a', { conflicts: 3 }) });
    expect(more.notices).toHaveLength(1);
    expect(more.notices[0]!.title).toBe('2 changes need your approval');
    expect(more.notices[0]!.body).toMatch(/^Photos → Backup: /);
    expect(more.notices[0]!.view).toBe('pending');
    const fewer = step(more.next, { type: 'pairStatus', status: status('a', { conflicts: 1 }) });
    expect(fewer.notices).toEqual([]);
    const one = step(fewer.next, { type: 'pairStatus', status: status('a', { conflicts: 2 }) });
    expect(one.notices[0]!.title).toBe('A change needs your approval');
  });

  it('tells of a two-way conflict as a choice to make, with the both-ways arrow', () => {
    const two: SyncModel = withPairs(EMPTY_MODEL, [{ ...photos, mode: 'twoWay' }]);
    const first = step(two, { type: 'pairStatus', status: status('a', { conflicts: 0 }) });
    const one = step(first.next, { type: 'pairStatus', status: status('a', { conflicts: 1 }) });
    expect(one.notices).toHaveLength(1);
    expect(one.notices[0]!.title).toBe('A conflict to resolve');
    expect(one.notices[0]!.body).toMatch(/^Photos ⇄ Backup: both sides changed/);
    expect(one.notices[0]!.view).toBe('pending');
    const more = step(one.next, { type: 'pairStatus', status: status('a', { conflicts: 3 }) });
    expect(more.notices[0]!.title).toBe('2 conflicts to resolve');
  });

  it('tells of errors as sentences, keyed per pair and per message', () => {
    const { notices } = step(base, {
      type: 'error',
      pairId: 'a',
      message: 'pair busy (pid 42); retrying in a few seconds',
    });
    expect(notices).toEqual([
      {
        title: 'Problem syncing Photos → Backup',
        body: 'Pair busy (pid 42); retrying in a few seconds.',
        limits: [
          ['error:a', ERROR_GAP_PER_PAIR],
          ['error:a:pair busy (pid 42); retrying in a few seconds', SAME_ERROR_GAP],
        ],
      },
    ]);
    const general = step(base, { type: 'error', message: 'the index is damaged' });
    expect(general.notices[0]!.title).toBe('Tandem ran into a problem');
  });

  it('ignores events of pairs it does not know, and detail events', () => {
    expect(
      step(base, { type: 'applied', pairId: 'zz', result: result(), movedData: true }).notices,
    ).toEqual([]);
    expect(
      step(base, {
        type: 'progress',
        pairId: 'a',
        progress: { phase: 'scan', bytesDone: 1, bytesTotal: 2, itemsDone: 1, itemsTotal: 2 },
      }).notices,
    ).toEqual([]);
    expect(noticesFor(base, base, null, away)).toEqual([]);
  });
});

describe('rate limits', () => {
  const n = (limits: Notice['limits']): Notice => ({ title: 't', body: 'b', limits });

  it('admits a notice once per gap for each key', () => {
    const notice = n([['applied:a', APPLIED_GAP]]);
    let sent = new Map<string, number>();
    expect(admitNotice(notice, sent, 1000)).toBe(true);
    sent = recordNotice(notice, sent, 1000);
    expect(admitNotice(notice, sent, 1000 + APPLIED_GAP - 1)).toBe(false);
    expect(admitNotice(notice, sent, 1000 + APPLIED_GAP)).toBe(true);
    expect(admitNotice(n([['applied:b', APPLIED_GAP]]), sent, 2000)).toBe(true);
  });

  it('holds a repeated error longer than a new one', () => {
    const busy = n([
      ['error:a', ERROR_GAP_PER_PAIR],
      ['error:a:busy', SAME_ERROR_GAP],
    ]);
    const full = n([
      ['error:a', ERROR_GAP_PER_PAIR],
      ['error:a:full', SAME_ERROR_GAP],
    ]);
    const sent = recordNotice(busy, new Map(), 0);
    expect(admitNotice(full, sent, ERROR_GAP_PER_PAIR - 1)).toBe(false);
    expect(admitNotice(full, sent, ERROR_GAP_PER_PAIR)).toBe(true);
    expect(admitNotice(busy, sent, ERROR_GAP_PER_PAIR)).toBe(false);
    expect(admitNotice(busy, sent, SAME_ERROR_GAP)).toBe(true);
  });

  it('forgets keys older than every gap', () => {
    const sent = recordNotice(n([['old', 1]]), new Map(), 0);
    expect([...recordNotice(n([['new', 1]]), sent, SAME_ERROR_GAP).keys()]).toEqual(['new']);
  });

  it('always admits a notice without limits', () => {
    expect(admitNotice(n([]), new Map([['x', 0]]), 0)).toBe(true);
  });
});

describe('text', () => {
  it.each([
    ['the disk is full', 'The disk is full.'],
    ['Already a sentence.', 'Already a sentence.'],
    ['  spaced?  ', 'Spaced?'],
    ['', ''],
  ])('sentence(%j) → %j', (a, b) => expect(sentence(a)).toBe(b));

  it('summarises a result with failures', () => {
    expect(
      appliedSummary(
        result({ applied: 1, bytesWritten: 0, failed: [{ path: 'x', message: 'm' }] }),
      ),
    ).toBe('1 change; 1 could not be written — open Tandem to see why');
  });
});
