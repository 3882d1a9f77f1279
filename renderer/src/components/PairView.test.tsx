// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClient, makePair } from '../testing/fakeClient.js';
import { renderApp } from '../testing/renderApp.js';

afterEach(cleanup);

const REFUSAL =
  '/mnt/backup is not the folder this pair last synced: its .tandem marker is gone or it is on another disk';

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  client.addPairWithStatus(makePair('p1', '/home/ada/Docs', '/mnt/backup'), {
    state: 'error',
    lastError: REFUSAL,
    targetChanged: REFUSAL,
  });
});

describe('a refused target', () => {
  it('says so with its own button, which confirms the folder and nothing else', async () => {
    await renderApp(client);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Tandem stopped syncing this pair.');
    expect(alert.textContent).toContain(REFUSAL);
    // The header does not repeat the sentence beside the banner.
    expect(screen.getAllByText(new RegExp('is not the folder this pair last synced'))).toHaveLength(
      1,
    );
    fireEvent.click(screen.getByRole('button', { name: 'This is the right folder' }));
    await waitFor(() => expect(client.callsOf('confirmTarget')).toEqual([['p1']]));
    await waitFor(() =>
      expect(screen.queryByRole('button', { name: 'This is the right folder' })).toBeNull(),
    );
    expect(client.callsOf('syncNow')).toEqual([]);
    expect(client.callsOf('approve')).toEqual([]);
    expect((await screen.findByRole('status')).textContent).toContain(
      'Tandem now syncs into /mnt/backup',
    );
  });

  it('shows no such button for a pair whose target is fine, even in an error', async () => {
    client.statuses.set('p1', {
      ...client.statuses.get('p1')!,
      targetChanged: undefined,
      lastError: 'source folder not found: /home/ada/Docs',
    });
    await renderApp(client);
    expect(screen.getByText('source folder not found: /home/ada/Docs')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'This is the right folder' })).toBeNull();
    // A refusal arriving later brings the banner.
    act(() =>
      client.emit({
        type: 'pairStatus',
        status: { ...client.statuses.get('p1')!, targetChanged: REFUSAL },
      }),
    );
    expect(screen.getByRole('button', { name: 'This is the right folder' })).toBeTruthy();
  });
});

describe('a notice about the whole pair', () => {
  const NOTICE =
    'owners are not kept: 3 entries have another owner or group than in the source, and only root may give files to another owner (run as root, or turn off “Keep owners and groups” in Settings)';

  it('shows while the last scan says it, and goes when a scan no longer does', async () => {
    client.statuses.set('p1', {
      ...client.statuses.get('p1')!,
      state: 'inSync',
      targetChanged: undefined,
      lastError: undefined,
      notices: [NOTICE],
    });
    await renderApp(client);
    expect(screen.getByRole('status').textContent).toBe(NOTICE);
    // Not an alert: nothing stopped, the pair still syncs everything else.
    expect(screen.queryByRole('alert')).toBeNull();
    const { notices: _gone, ...rest } = client.statuses.get('p1')!;
    act(() => client.emit({ type: 'pairStatus', status: rest }));
    expect(screen.queryByText(NOTICE)).toBeNull();
  });
});
