// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClient, makePair } from '../testing/fakeClient.js';
import { renderApp } from '../testing/renderApp.js';

afterEach(cleanup);

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  client.addPairWithStatus(makePair('p1', '/a/Docs', '/b/Docs'));
});

async function openSettings() {
  await renderApp(client);
  fireEvent.click(screen.getByRole('tab', { name: 'Settings' }));
}

const change = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('Settings', () => {
  it('saves only the edited settings', async () => {
    await openSettings();
    expect((screen.getByLabelText('Hash scheme') as HTMLSelectElement).value).toBe('xxh128');
    change('Hash scheme', 'blake3');
    change('Ignore patterns', '*.tmp\n\n  node_modules/ \n');
    change('Schedule', 'interval');
    change('Minutes', '15');
    fireEvent.click(screen.getByLabelText('Auto-approve changes'));
    change('Most deletions to auto-apply', '20');
    change('Keep versions (days)', '7');
    change('Verify stored data every (days, 0 = never)', '30');
    fireEvent.click(screen.getByLabelText('Never delete on the target (update mode)'));
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect((await screen.findByRole('status')).textContent).toBe('Saved.');
    expect(client.callsOf('updatePair')).toEqual([
      [
        'p1',
        {
          scheme: 'blake3',
          ignore: ['*.tmp', 'node_modules/'],
          schedule: { kind: 'interval', minutes: 15 },
          policy: { autoApprove: true, autoApproveDeletes: false, maxAutoDeletes: 20 },
          retentionDays: 7,
          scrubDays: 30,
          noDeletes: true,
        },
      ],
    ]);
  });

  it('sends a single change alone', async () => {
    await openSettings();
    fireEvent.click(screen.getByLabelText('Also auto-apply deletions'));
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(client.callsOf('updatePair')).toEqual([
        ['p1', { policy: { autoApprove: false, autoApproveDeletes: true, maxAutoDeletes: 100 } }],
      ]),
    );
  });

  it('refuses a bad number before calling, and shows the engine’s refusal', async () => {
    await openSettings();
    change('Schedule', 'interval');
    change('Minutes', '0');
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Minutes must be a whole number of at least 1.',
    );
    expect(client.callsOf('updatePair')).toEqual([]);
    change('Minutes', '5');
    client.failNext('updatePair', 'the pair is busy syncing; save again in a moment');
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'the pair is busy syncing; save again in a moment',
    );
  });

  it('shows what the pair keeps besides the data, each toggle explained, and sends only what was switched', async () => {
    const p = client.pairs[0]!;
    Object.assign(p, { xattrs: true, acls: false, hardLinks: true, owners: false });
    await openSettings();
    const box = (label: string) => screen.getByLabelText(label) as HTMLInputElement;
    const hint = (label: string) =>
      document.getElementById(box(label).getAttribute('aria-describedby')!)?.textContent ?? '';
    expect(
      [
        'Keep extended attributes',
        'Keep access control lists (ACLs)',
        'Keep hard links',
        'Keep owners and groups',
      ].map((l) => box(l).checked),
    ).toEqual([true, false, true, false]);
    expect(hint('Keep extended attributes')).toMatch(/user\.\* attributes/);
    expect(hint('Keep access control lists (ACLs)')).toMatch(/system\.posix_acl_\*/);
    expect(hint('Keep hard links')).toMatch(/share one file on the target too/);
    expect(hint('Keep owners and groups')).toMatch(/run as root/);
    expect(
      screen.getByRole('group', { name: 'What to keep besides the data' }).textContent,
    ).toMatch(/rescans both folders once/);

    fireEvent.click(box('Keep extended attributes'));
    fireEvent.click(box('Keep access control lists (ACLs)'));
    fireEvent.click(box('Keep owners and groups'));
    fireEvent.click(box('Keep owners and groups'));
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(client.callsOf('updatePair')).toEqual([['p1', { xattrs: false, acls: true }]]),
    );
    expect((await screen.findByRole('status')).textContent).toBe('Saved.');
    // Saved, the form holds the new values and a second save sends nothing more.
    expect(box('Keep extended attributes').checked).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(client.callsOf('updatePair')).toHaveLength(2));
    expect(client.callsOf('updatePair')[1]).toEqual(['p1', {}]);
  });

  it('mentions that a new scheme rehashes everything', async () => {
    await openSettings();
    expect(screen.getByLabelText('Hash scheme').getAttribute('aria-describedby')).toBeTruthy();
    expect(screen.getByText(/Changing the scheme rehashes every file/)).toBeTruthy();
  });
});
