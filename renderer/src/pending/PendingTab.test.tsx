// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PendingChange, PendingQuery } from '../contract.js';
import { FakeClient, makeChange, makePair } from '../testing/fakeClient.js';
import { renderApp } from '../testing/renderApp.js';
import { ROW_HEIGHT } from './PendingRow.js';

afterEach(cleanup);

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  client.addPairWithStatus(makePair('p1', '/home/ada/Photos', '/mnt/Photos backup'), {
    state: 'pending',
    pending: 3,
    conflicts: 1,
  });
});

const MB = 1024 * 1024;

function threeChanges(): PendingChange[] {
  return [
    makeChange('p1', 'a/new.jpg', { bytesToWrite: 2.5 * MB, source: file(2.5 * MB) }),
    makeChange('p1', 'b/edited.raw', {
      kind: 'update',
      source: file(64 * MB),
      target: file(64 * MB),
      bytesToWrite: 3 * MB,
      chunks: { chunkSize: MB, total: 64, changed: [2, 16, 39] },
    }),
    makeChange('p1', 'c/mine.txt', {
      kind: 'update',
      source: file(2000),
      target: file(1000),
      bytesToWrite: 2000,
      conflict: 'targetEdited',
      needsPerson: 'The target was edited since the last sync; approve to replace it.',
      chunks: { chunkSize: 131072, total: 1, changed: [0] },
    }),
  ];
}

function file(size: number) {
  return { type: 'file' as const, id: 'ab', size, mtimeMs: 0, mode: 0o644 };
}

const grid = () => screen.getByRole('grid', { name: 'Pending changes' });
const rows = () => within(grid()).queryAllByRole('row');
const pendingQueries = () => client.callsOf('listPending').map((a) => a[0] as PendingQuery);

async function showList() {
  await renderApp(client);
  await within(grid()).findAllByRole('checkbox');
}

describe('the pending list', () => {
  it('shows kind, size, chunks and conflicts for each change', async () => {
    client.pending.set('p1', threeChanges());
    await showList();
    expect(rows()).toHaveLength(3);
    const [created, updated, conflicted] = rows() as [HTMLElement, HTMLElement, HTMLElement];
    expect(created.textContent).toContain('New');
    expect(created.textContent).toContain('a/new.jpg');
    expect(created.textContent).toContain('2.5 MiB');
    expect(updated.textContent).toContain('Changed');
    expect(updated.textContent).toContain('3 of 64 chunks differ');
    expect(updated.textContent).toContain('64 MiB');
    const map = within(updated).getByRole('img');
    expect(map.getAttribute('aria-label')).toBe('Chunks 3, 17 and 40 of 64 differ');
    // 64 chunks over 120 px: one segment per chunk, three of them marked
    expect(
      [...map.querySelectorAll('[data-bucket]')].map((r) => r.getAttribute('data-bucket')),
    ).toEqual(['2', '16', '39']);
    const badge = within(conflicted).getByText('Conflict');
    expect(badge.getAttribute('title')).toBe('The target was edited since Tandem last synced it');
    expect(within(conflicted).getByText('needs you').getAttribute('title')).toContain(
      'approve to replace',
    );
    expect(within(created).queryByText('Conflict')).toBeNull();
    expect(screen.getByText(/^3 changes, 1 conflict, 5\.5 MiB to write/)).toBeTruthy();
  });

  it('says the folders are identical when nothing is pending and the pair is in sync', async () => {
    client.statuses.set('p1', {
      ...client.statuses.get('p1')!,
      state: 'inSync',
      pending: 0,
      conflicts: 0,
    });
    await renderApp(client);
    expect(
      await screen.findByText('Nothing pending — source and target are identical.'),
    ).toBeTruthy();
  });

  it('renders only a window of 100,000 changes and fetches pages as it scrolls', async () => {
    const many = Array.from({ length: 100_000 }, (_, i) =>
      makeChange('p1', `photos/${String(i).padStart(6, '0')}.jpg`),
    );
    client.pending.set('p1', many);
    await showList();
    expect(rows().length).toBeLessThan(100);
    expect(rows()[0]!.textContent).toContain('photos/000000.jpg');
    expect(pendingQueries().map((q) => q.offset)).toEqual([0]);
    expect(grid().getAttribute('aria-rowcount')).toBe('100000');

    const el = grid();
    el.scrollTop = 50_000 * ROW_HEIGHT;
    fireEvent.scroll(el);
    await within(el).findByText('photos/050000.jpg');
    expect(rows().length).toBeLessThan(100);
    expect(pendingQueries().map((q) => q.offset)).toContain(50_000 - (50_000 % 200));
    expect(pendingQueries().every((q) => q.limit === 200 && q.pairId === 'p1')).toBe(true);

    el.scrollTop = 99_990 * ROW_HEIGHT;
    fireEvent.scroll(el);
    await within(el).findByText('photos/099999.jpg');
    expect(pendingQueries().map((q) => q.offset)).toContain(99_800);
    expect(rows().length).toBeLessThan(100);
  });

  it('refetches what it shows when the pair’s pending list changes', async () => {
    client.pending.set('p1', threeChanges());
    await showList();
    const before = pendingQueries().length;
    client.pending.set('p1', [...threeChanges(), makeChange('p1', 'd/late.txt')]);
    act(() =>
      client.emit({
        type: 'pendingChanged',
        pairId: 'p1',
        added: [],
        addedCount: 0,
        removed: [],
        removedCount: 0,
        total: 4,
      }),
    );
    await within(grid()).findByText('d/late.txt');
    expect(pendingQueries().length).toBeGreaterThan(before);
    // another pair's change does not refetch this list
    const after = pendingQueries().length;
    act(() =>
      client.emit({
        type: 'pendingChanged',
        pairId: 'other',
        added: [],
        addedCount: 0,
        removed: [],
        removedCount: 0,
        total: 1,
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(pendingQueries().length).toBe(after);
  });

  it('passes the filter, kind and sort to listPending', async () => {
    client.pending.set('p1', threeChanges());
    await showList();
    fireEvent.change(screen.getByLabelText('Filter by path'), { target: { value: 'edited' } });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(pendingQueries().at(-1)).toMatchObject({ pathContains: 'edited' });
    fireEvent.change(screen.getByLabelText('Filter by path'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'conflicts' } });
    await waitFor(() => expect(pendingQueries().at(-1)).toMatchObject({ conflictsOnly: true }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'create' } });
    await waitFor(() => expect(pendingQueries().at(-1)).toMatchObject({ kinds: ['create'] }));
    fireEvent.change(screen.getByLabelText('Sort by'), { target: { value: 'size' } });
    await waitFor(() => expect(pendingQueries().at(-1)).toMatchObject({ sort: 'size' }));
  });
});

describe('approving and rejecting', () => {
  beforeEach(() => client.pending.set('p1', threeChanges()));

  it('approves the checked paths', async () => {
    await showList();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select c/mine.txt' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select a/new.jpg' }));
    fireEvent.click(screen.getByRole('button', { name: 'Approve selected' }));
    await waitFor(() =>
      expect(client.callsOf('approve')).toEqual([
        [
          {
            pairId: 'p1',
            changes: [
              { path: 'c/mine.txt', rev: 'c/mine.txt@1' },
              { path: 'a/new.jpg', rev: 'a/new.jpg@1' },
            ],
          },
        ],
      ]),
    );
    // the list refetches and shows the approval
    await waitFor(() => expect(within(grid()).getAllByText('✓ Approved')).toHaveLength(2));
    expect(
      (screen.getByRole('checkbox', { name: 'Select a/new.jpg' }) as HTMLInputElement).checked,
    ).toBe(false);
  });

  it('shows bytes of a name that are not UTF-8 as marked \\#ooo, and approves the exact name', async () => {
    const raw = 'scans/caf\udce9\u0001.tif';
    client.pending.set('p1', [
      makeChange('p1', raw, { source: file(10) }),
      makeChange('p1', 'scans/caf\udce8.tif', { source: file(20) }),
    ]);
    await showList();
    const shown = 'scans/caf\\#351\\#001.tif';
    const box = screen.getByRole('checkbox', { name: `Select ${shown}` });
    const marked = within(grid()).getAllByTitle(/not valid UTF-8/);
    expect(marked.map((m) => m.textContent)).toEqual(['\\#351\\#001', '\\#350']);
    expect(grid().textContent).not.toContain('\ufffd');
    fireEvent.click(box);
    fireEvent.click(screen.getByRole('button', { name: 'Approve selected' }));
    await waitFor(() =>
      expect(client.callsOf('approve')).toEqual([
        [{ pairId: 'p1', changes: [{ path: raw, rev: `${raw}@1` }] }],
      ]),
    );
  });

  it('approves the list as shown: its revision, not whatever is pending at the click', async () => {
    client.listRevision = 7;
    await showList();
    fireEvent.click(screen.getByRole('button', { name: 'Approve all' }));
    await waitFor(() =>
      expect(client.callsOf('approve')).toEqual([
        [{ pairId: 'p1', list: { listId: 'list-1', revision: 7 } }],
      ]),
    );
  });

  it('says which changes were not approved because they changed since they were shown', async () => {
    await showList();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select a/new.jpg' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select b/edited.raw' }));
    // A rescan lists a newer a/new.jpg before the click.
    client.pending.get('p1')![0]!.rev = 'a/new.jpg@2';
    fireEvent.click(screen.getByRole('button', { name: 'Approve selected' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Approved 1 change.');
    expect(alert.textContent).toContain(
      '1 change was not approved because it changed since you looked (a/new.jpg); it is still pending',
    );
    await waitFor(() => expect(within(grid()).getAllByText('✓ Approved')).toHaveLength(1));
    const edited = screen
      .getByRole('checkbox', { name: 'Select b/edited.raw' })
      .closest('[role="row"]');
    expect(edited!.textContent).toContain('✓ Approved');
  });

  it('rejects the checked paths', async () => {
    await showList();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select b/edited.raw' }));
    fireEvent.click(screen.getByRole('button', { name: 'Reject selected' }));
    await waitFor(() =>
      expect(client.callsOf('reject')).toEqual([
        [{ pairId: 'p1', changes: [{ path: 'b/edited.raw', rev: 'b/edited.raw@1' }] }],
      ]),
    );
    await waitFor(() => expect(rows()).toHaveLength(2));
  });

  it('approves the list as shown when everything is selected without a filter', async () => {
    await showList();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select all' }));
    expect(
      within(grid())
        .getAllByRole('checkbox')
        .every((c) => (c as HTMLInputElement).checked),
    ).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Approve selected' }));
    await waitFor(() =>
      expect(client.callsOf('approve')).toEqual([
        [{ pairId: 'p1', list: { listId: 'list-1', revision: 1 } }],
      ]),
    );
  });

  it('selects all matching the filter and approves exactly those', async () => {
    client.pending.set('p1', [...threeChanges(), makeChange('p1', 'b/other.raw')]);
    await showList();
    fireEvent.change(screen.getByLabelText('Filter by path'), { target: { value: 'b/' } });
    await waitFor(() => expect(rows()).toHaveLength(2));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select all' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select b/other.raw' }));
    fireEvent.click(screen.getByRole('button', { name: 'Approve selected' }));
    await waitFor(() =>
      expect(client.callsOf('approve')).toEqual([
        [
          {
            pairId: 'p1',
            list: { listId: 'list-1', revision: 1, pathContains: 'b/', except: ['b/other.raw'] },
          },
        ],
      ]),
    );
    expect(
      client.pending
        .get('p1')!
        .filter((i) => i.approved)
        .map((i) => i.path),
    ).toEqual(['b/edited.raw']);
    // "Approve all" under a filter says so, and approves only what matches.
    fireEvent.click(screen.getByRole('button', { name: 'Approve all matching' }));
    await waitFor(() =>
      expect(client.callsOf('approve').at(-1)).toEqual([
        { pairId: 'p1', list: { listId: 'list-1', revision: 1, pathContains: 'b/' } },
      ]),
    );
  });

  it('approves the selection with "a" and moves and toggles with j and Space', async () => {
    await showList();
    fireEvent.keyDown(document.body, { key: 'j' });
    fireEvent.keyDown(document.body, { key: 'j' });
    fireEvent.keyDown(document.body, { key: ' ' });
    expect(
      (screen.getByRole('checkbox', { name: 'Select b/edited.raw' }) as HTMLInputElement).checked,
    ).toBe(true);
    fireEvent.keyDown(document.body, { key: 'a' });
    await waitFor(() =>
      expect(client.callsOf('approve')).toEqual([
        [{ pairId: 'p1', changes: [{ path: 'b/edited.raw', rev: 'b/edited.raw@1' }] }],
      ]),
    );
  });

  it('ignores shortcuts while typing in the filter', async () => {
    await showList();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select a/new.jpg' }));
    fireEvent.keyDown(screen.getByLabelText('Filter by path'), { key: 'a' });
    fireEvent.keyDown(screen.getByLabelText('Filter by path'), { key: 'A' });
    await new Promise((r) => setTimeout(r, 20));
    expect(client.callsOf('approve')).toEqual([]);
    fireEvent.keyDown(document.body, { key: 'A' });
    await waitFor(() =>
      expect(client.callsOf('approve')).toEqual([
        [{ pairId: 'p1', list: { listId: 'list-1', revision: 1 } }],
      ]),
    );
  });

  it('"/" focuses the filter and "s" syncs now', async () => {
    await showList();
    fireEvent.keyDown(document.body, { key: '/' });
    expect(document.activeElement).toBe(screen.getByLabelText('Filter by path'));
    fireEvent.keyDown(document.body, { key: 's' });
    await waitFor(() => expect(client.callsOf('syncNow')).toEqual([['p1']]));
  });
});

describe('progress', () => {
  it('shows bytes, files and time left from progress events, and hides when done', async () => {
    await renderApp(client);
    expect(screen.queryByRole('progressbar')).toBeNull();
    act(() =>
      client.emit({
        type: 'progress',
        pairId: 'p1',
        progress: {
          phase: 'apply',
          bytesDone: 120.5 * MB,
          bytesTotal: 200 * MB,
          itemsDone: 3,
          itemsTotal: 4,
          etaSeconds: 2,
        },
      }),
    );
    const bar = screen.getByRole('progressbar', { name: 'Applying changes' });
    expect(bar.getAttribute('aria-valuenow')).toBe('60');
    expect(screen.getByText(/121 MiB of 200 MiB · 3 of 4 files · about 2 s left/)).toBeTruthy();
    act(() =>
      client.emit({
        type: 'pairStatus',
        status: { ...client.statuses.get('p1')!, state: 'inSync', pending: 0, conflicts: 0 },
      }),
    );
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('labels a scan "Scanning"', async () => {
    await renderApp(client);
    act(() =>
      client.emit({
        type: 'progress',
        pairId: 'p1',
        progress: { phase: 'scan', bytesDone: 0, bytesTotal: 0, itemsDone: 1, itemsTotal: 4 },
      }),
    );
    expect(
      screen.getByRole('progressbar', { name: 'Scanning' }).getAttribute('aria-valuenow'),
    ).toBe('25');
  });
});
