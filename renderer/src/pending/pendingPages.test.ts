import { describe, expect, it } from 'vitest';
import type { PendingChange, PendingPage, Result } from '../contract.js';
import { PendingPages } from './pendingPages.js';

/** A fetch whose answers the test releases one by one, recording what was asked. */
function controlledFetch(total: number) {
  const asked: number[] = [];
  /** the service's list revision, read when a page is answered */
  const list = { listId: 'L', revision: 1 };
  const waiting: (() => void)[] = [];
  const fetchPage = (offset: number, limit: number): Promise<Result<PendingPage>> => {
    asked.push(offset);
    return new Promise((resolve) =>
      waiting.push(() =>
        resolve({
          ok: true,
          value: {
            total,
            conflicts: 0,
            bytesToWrite: 0,
            items: Array.from(
              { length: Math.max(0, Math.min(limit, total - offset)) },
              (_, i) => ({ path: `f${offset + i}` }) as PendingChange,
            ),
            ...list,
          },
        }),
      ),
    );
  };
  const release = async () => {
    waiting.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { asked, fetchPage, release, list };
}

describe('PendingPages', () => {
  it('asks for at most two pages at once, and only for pages still in view', async () => {
    const f = controlledFetch(100_000);
    const pages = new PendingPages(f.fetchPage, () => undefined, 200);
    pages.ensure(0, 30);
    expect(f.asked).toEqual([0]);
    // A drag through the list: each position asks, but only while a slot is free.
    for (let row = 1000; row < 90_000; row += 1000) pages.ensure(row, row + 30);
    expect(f.asked).toEqual([0, 1000]);
    pages.ensure(95_000, 95_030); // where the drag stopped
    await f.release();
    expect(f.asked).toEqual([0, 1000, 95_000]);
    await f.release();
    await f.release();
    expect(pages.item(95_010)?.path).toBe('f95010');
    expect(f.asked).toHaveLength(3);
  });

  it('refetches what is in view after the list changed, keeping the old rows meanwhile', async () => {
    const f = controlledFetch(500);
    const pages = new PendingPages(f.fetchPage, () => undefined, 200);
    pages.ensure(0, 250);
    await f.release();
    await f.release();
    expect(f.asked).toEqual([0, 200]);
    pages.syncVersion('1');
    pages.syncVersion('2');
    expect(f.asked).toEqual([0, 200, 0, 200]);
    expect(pages.item(5)?.path).toBe('f5');
  });

  it('names the oldest revision among the pages on screen, of the newest list', async () => {
    const f = controlledFetch(500);
    const pages = new PendingPages(f.fetchPage, () => undefined, 200);
    expect(pages.shownRevision()).toBeNull();
    pages.ensure(0, 250);
    f.list.revision = 3;
    await f.release();
    f.list.revision = 5;
    await f.release();
    // Rows of page 0 were read at revision 3: "approve all" covers nothing newer than that.
    expect(pages.shownRevision()).toEqual({ listId: 'L', revision: 3 });
    pages.invalidate();
    f.list.listId = 'M'; // the state file was made anew
    f.list.revision = 1;
    await f.release();
    expect(pages.shownRevision()).toEqual({ listId: 'M', revision: 1 });
  });
});
