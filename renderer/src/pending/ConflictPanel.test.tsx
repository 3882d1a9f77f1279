// @vitest-environment jsdom
// A two-way pair's Pending tab: directions on the rows, and conflicts above them resolved by
// button or by key, each naming the conflict as it was shown (its rev).
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClient, makeChange, makePair } from '../testing/fakeClient.js';
import { renderApp } from '../testing/renderApp.js';

afterEach(cleanup);

const file = (size: number, mtimeMs = 0) => ({
  type: 'file' as const,
  id: `id${size}`,
  size,
  mtimeMs,
  mode: 0o644,
});

let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  client.addPairWithStatus(
    { ...makePair('p1', '/home/ada/Notes', '/mnt/stick/Notes'), mode: 'twoWay' },
    { state: 'pending', pending: 3, conflicts: 2 },
  );
  client.pending.set('p1', [
    makeChange('p1', 'from-b.md', { direction: 'bToA' }),
    ...['plan.md', 'todo.md'].map((p) =>
      makeChange('p1', p, {
        kind: 'update',
        source: file(120),
        target: file(300),
        conflict: 'bothChanged',
        twoWay: { kind: 'bothModified', inside: 0 },
        chunks: { chunkSize: 131072, total: 1, changed: [0] },
        bytesToWrite: 0,
      }),
    ),
  ]);
});

describe('a two-way pair', () => {
  it('marks each change with its direction, and shows each conflict with both sides', async () => {
    await renderApp(client);
    const grid = screen.getByRole('grid', { name: 'Pending changes' });
    await within(grid).findByText('B → A');
    const panel = await screen.findByRole('region', { name: 'Conflicts' });
    const card = within(panel).getByRole('listitem', { name: 'Conflict at plan.md' });
    expect(card.textContent).toMatch(/Changed on both sides/);
    expect(card.textContent).toMatch(/A 120 B/);
    expect(card.textContent).toMatch(/B 300 B/);
    expect(card.textContent).toMatch(/1 of 1 chunk differs/);
    expect(screen.getByText('⇄')).toBeTruthy();
  });

  it('resolves by button and by key, naming the rev shown', async () => {
    await renderApp(client);
    const panel = await screen.findByRole('region', { name: 'Conflicts' });
    const plan = within(panel).getByRole('listitem', { name: 'Conflict at plan.md' });
    fireEvent.click(within(plan).getByRole('button', { name: /^Keep both/ }));
    await waitFor(() =>
      expect(client.callsOf('resolveConflict')).toEqual([
        ['p1', { path: 'plan.md', rev: 'plan.md@1' }, 'keepBoth'],
      ]),
    );
    const todo = within(panel).getByRole('listitem', { name: 'Conflict at todo.md' });
    fireEvent.keyDown(todo, { key: 'a' });
    await waitFor(() =>
      expect(client.callsOf('resolveConflict').at(-1)).toEqual([
        'p1',
        { path: 'todo.md', rev: 'todo.md@1' },
        'keepA',
      ]),
    );
    // The key was the conflict's: the list's own "a" (approve) did not run.
    expect(client.callsOf('approve')).toEqual([]);
  });
});
