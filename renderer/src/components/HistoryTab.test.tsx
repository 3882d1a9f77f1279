// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClient, makePair } from '../testing/fakeClient.js';
import { renderApp } from '../testing/renderApp.js';
import { emptyApplyResult } from '../contract.js';

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
      bytes: 4096,
      outcome: 'applied',
    },
    {
      pairId: 'p1',
      time: NOW - 3600_000,
      path: 'big.iso',
      kind: 'create',
      bytes: 0,
      outcome: 'failed',
      message: 'the target disk is full; free 2 GB and sync again',
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
