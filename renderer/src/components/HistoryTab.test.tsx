// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClient, makePair } from '../testing/fakeClient.js';
import { renderApp } from '../testing/renderApp.js';
import { emptyApplyResult, type HistoryEntry } from '../contract.js';

afterEach(cleanup);

const NOW = Date.now();
let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  client.addPairWithStatus(makePair('p1', '/a/Docs', '/b/Docs'));
  client.history.set('p1', [
    {
      pairId: 'p1',
      time: NOW - 120_000,
      path: 'report.odt',
      kind: 'update',
      entry: 'file',
      bytes: 4096,
      outcome: 'applied',
      keptVersion: true,
    },
    {
      pairId: 'p1',
      time: NOW - 3600_000,
      path: 'big.iso',
      kind: 'create',
      bytes: 0,
      outcome: 'failed',
      message: 'the target disk is full; free 2 GB and sync again',
      keptVersion: false,
    },
  ]);
  client.versions.set('p1:report.odt', [
    {
      pairId: 'p1',
      path: 'report.odt',
      run: 'run-7',
      stored: 'v0001',
      time: NOW - 86400_000,
      size: 3000,
      kind: 'file',
    },
    {
      pairId: 'p1',
      path: 'report.odt',
      run: 'run-9',
      stored: 'v0002',
      time: NOW - 7200_000,
      size: 3500,
      kind: 'file',
    },
  ]);
});

async function openHistory() {
  await renderApp(client);
  fireEvent.click(screen.getByRole('tab', { name: 'History' }));
  return screen.findByRole('table');
}

describe('History', () => {
  it('lists what happened, newest first, with outcomes and messages', async () => {
    const table = await openHistory();
    const [, first, second] = within(table).getAllByRole('row');
    expect(first!.textContent).toContain('2 min ago');
    expect(first!.textContent).toContain('Changed');
    expect(first!.textContent).toContain('report.odt');
    expect(first!.textContent).toContain('4 KiB');
    expect(first!.textContent).toContain('Applied');
    expect(second!.textContent).toContain('Failed');
    expect(second!.textContent).toContain('the target disk is full');
    expect(client.callsOf('listHistory')[0]).toEqual(['p1', 0, 100]);
  });

  it('restores a version with the run and stored name it was listed with', async () => {
    await openHistory();
    fireEvent.click(screen.getByRole('button', { name: 'Versions of report.odt' }));
    await waitFor(() => expect(client.callsOf('listVersions')).toEqual([['p1', 'report.odt']]));
    const when = new Date(NOW - 7200_000).toLocaleString();
    fireEvent.click(await screen.findByRole('button', { name: `Restore version from ${when}` }));
    await waitFor(() =>
      expect(client.callsOf('restoreVersion')).toEqual([['p1', 'report.odt', 'run-9', 'v0002']]),
    );
    expect((await screen.findByRole('status')).textContent).toContain('Restored report.odt');
  });

  it("says on which side a two-way pair's version is kept, and restores it there", async () => {
    client.versions.set('p1:report.odt', [
      {
        pairId: 'p1',
        path: 'report.odt',
        run: 'run-3',
        stored: 'v0001',
        time: NOW - 3600_000,
        size: 3000,
        kind: 'file',
        side: 'source',
      },
      {
        pairId: 'p1',
        path: 'report.odt',
        run: 'run-2',
        stored: 'v0001',
        time: NOW - 7200_000,
        size: 2000,
        kind: 'file',
        side: 'target',
      },
    ]);
    await openHistory();
    fireEvent.click(screen.getByRole('button', { name: 'Versions of report.odt' }));
    const when = new Date(NOW - 3600_000).toLocaleString();
    const onA = await screen.findByRole('button', { name: `Restore version from ${when} on A` });
    expect(screen.getByText('on B')).toBeTruthy();
    fireEvent.click(onA);
    await waitFor(() =>
      expect(client.callsOf('restoreVersion')).toEqual([
        ['p1', 'report.odt', 'run-3', 'v0001', 'source'],
      ]),
    );
  });

  it('offers "Versions" only where the change kept what it replaced', async () => {
    client.history.get('p1')!.push(
      {
        pairId: 'p1',
        time: NOW - 7200_000,
        path: 'photos',
        kind: 'create',
        entry: 'dir',
        bytes: 0,
        outcome: 'applied',
        keptVersion: false,
      },
      {
        pairId: 'p1',
        time: NOW - 7300_000,
        path: 'photos/cat.jpg',
        kind: 'create',
        entry: 'file',
        bytes: 2048,
        outcome: 'applied',
        keptVersion: false,
      },
      {
        pairId: 'p1',
        time: NOW - 7400_000,
        path: 'old.txt',
        kind: 'delete',
        entry: 'file',
        bytes: 0,
        outcome: 'applied',
        keptVersion: true,
      },
    );
    const table = await openHistory();
    const row = (path: string) =>
      within(table)
        .getAllByRole('row')
        .find((r) => r.textContent?.includes(path))!;
    expect(
      screen
        .getAllByRole('button', { name: /^Versions of / })
        .map((b) => b.getAttribute('aria-label')),
    ).toEqual(['Versions of report.odt', 'Versions of old.txt']);
    expect(within(row('photos/cat.jpg')).queryByRole('button')).toBeNull();
    expect(row('photos/cat.jpg').textContent).toContain('2 KiB');
    // A folder is a folder, not "0 B"; a deletion wrote nothing.
    expect(within(row('photos')).getAllByRole('cell')[3]!.textContent).toBe('Folder');
    expect(within(row('old.txt')).getAllByRole('cell')[3]!.textContent).toBe('—');
  });

  it('says a restore’s size and which version it put back, by time, not by its run folder', async () => {
    const keptAt = NOW - 86400_000;
    client.history.set('p1', [
      {
        pairId: 'p1',
        time: NOW - 60_000,
        path: 'notes.txt',
        kind: 'update',
        entry: 'file',
        bytes: 8,
        outcome: 'restored',
        keptVersion: true,
        restoredFrom: keptAt,
      },
    ]);
    const table = await openHistory();
    const [, restored] = within(table).getAllByRole('row');
    expect(restored!.textContent).toContain('8 B');
    expect(restored!.textContent).toContain('Restored');
    expect(restored!.textContent).toContain(
      `Put back the version kept ${new Date(keptAt).toLocaleString()}`,
    );
    expect(restored!.textContent).not.toMatch(/from \d{4}-/);
    expect(within(restored!).getByRole('button', { name: 'Versions of notes.txt' })).toBeTruthy();
  });

  it('says what each entry was where its path does not: a link, a hard link, a special file, a move', async () => {
    const row = (over: Partial<HistoryEntry> & Pick<HistoryEntry, 'path' | 'kind'>) => ({
      pairId: 'p1',
      time: NOW - 60_000,
      bytes: 0,
      outcome: 'applied' as const,
      keptVersion: false,
      ...over,
    });
    client.history.set('p1', [
      row({ path: 'latest', kind: 'create', entry: 'symlink', linkTarget: 'docs/v2', bytes: 7 }),
      row({ path: 'photos/copy.jpg', kind: 'create', entry: 'file', linkTo: 'photos/cat.jpg' }),
      row({ path: 'pipe', kind: 'delete', entry: 'special' }),
      row({ path: 'cache', kind: 'replaceType', entry: 'file', replaced: 'dir', bytes: 4 }),
      row({ path: 'a.txt', kind: 'metadata', entry: 'file', differs: ['xattr'] }),
      row({ path: 'b/new.txt', kind: 'rename', entry: 'file', from: 'a/old.txt' }),
      // kept before rows said more than their type
      row({ path: 'old-link', kind: 'create', entry: 'symlink', bytes: 3 }),
      row({ path: 'plain.txt', kind: 'create', entry: 'file', bytes: 5 }),
      // a latin-1 name (the byte 0xe9 is not UTF-8), as the engine carries it
      row({ path: 'caf\udce9-copy', kind: 'create', entry: 'file', linkTo: 'caf\udce9' }),
    ]);
    const table = await openHistory();
    /** The row's path and the line beside it, as shown. */
    const shown = (path: string) => {
      const cell = within(table)
        .getAllByRole('row')
        .find((r) => r.textContent?.includes(path))!
        .querySelector('.path-cell')!;
      return [
        cell.querySelector('.path-text')!.textContent,
        cell.querySelector('.entry-detail')?.textContent ?? null,
      ];
    };
    expect(shown('latest')).toEqual(['latest', 'link → docs/v2']);
    expect(shown('photos/copy.jpg')).toEqual(['photos/copy.jpg', 'hard link to photos/cat.jpg']);
    expect(shown('pipe')).toEqual(['pipe', 'special file (holds no data)']);
    expect(shown('cache')).toEqual(['cache', 'replaces a folder']);
    expect(shown('a.txt')).toEqual(['a.txt', 'xattr differs']);
    expect(shown('b/new.txt')).toEqual(['a/old.txt → b/new.txt', null]);
    expect(shown('old-link')).toEqual(['old-link', 'symlink']);
    expect(shown('plain.txt')).toEqual(['plain.txt', null]);
    expect(shown('caf\\#351-copy')).toEqual(['caf\\#351-copy', 'hard link to caf\\#351']);
  });

  it('refetches when changes are applied', async () => {
    await openHistory();
    const before = client.callsOf('listHistory').length;
    client.history.get('p1')!.unshift({
      pairId: 'p1',
      time: NOW,
      path: 'fresh.txt',
      kind: 'create',
      bytes: 10,
      outcome: 'applied',
      keptVersion: false,
    });
    act(() =>
      client.emit({
        type: 'applied',
        pairId: 'p1',
        movedData: true,
        result: { ...emptyApplyResult(), applied: 1, bytesWritten: 10, renamedIntoPlace: 1 },
      }),
    );
    await screen.findByText('fresh.txt');
    expect(client.callsOf('listHistory').length).toBe(before + 1);
  });

  it('moves between tabs with the arrow keys', async () => {
    await renderApp(client);
    const pending = screen.getByRole('tab', { name: 'Pending' });
    expect(pending.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(pending, { key: 'ArrowRight' });
    const history = screen.getByRole('tab', { name: 'History' });
    expect(history.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(history);
    fireEvent.keyDown(history, { key: 'ArrowLeft' });
    fireEvent.keyDown(screen.getByRole('tab', { name: 'Pending' }), { key: 'ArrowLeft' });
    expect(screen.getByRole('tab', { name: 'Settings' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    expect(screen.getByRole('tabpanel', { name: 'Settings' })).toBeTruthy();
  });
});
