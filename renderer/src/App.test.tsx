// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { DesktopHost } from './contract.js';
import { FakeClient, makePair } from './testing/fakeClient.js';
import { renderApp } from './testing/renderApp.js';

afterEach(cleanup);

const typeInto = (label: string, value: string, root: HTMLElement = document.body) =>
  fireEvent.change(within(root).getByLabelText(label), { target: { value } });

const createButton = () => screen.getByRole('button', { name: 'Create pair' }) as HTMLButtonElement;

describe('first start', () => {
  it('explains Tandem and offers Add pair when there are no pairs', async () => {
    await renderApp(new FakeClient());
    expect(screen.getByRole('heading', { name: 'Keep two folders identical' })).toBeTruthy();
    expect(screen.getByRole('main').textContent).toMatch(/only the differing chunks/);
    fireEvent.click(within(screen.getByRole('main')).getByRole('button', { name: 'Add pair' }));
    expect(screen.getByRole('dialog', { name: 'New pair' })).toBeTruthy();
  });
});

describe('About', () => {
  it('shows the version and state folder the service reports', async () => {
    await renderApp(new FakeClient());
    fireEvent.click(screen.getByRole('button', { name: 'About Tandem' }));
    const dialog = await screen.findByRole('dialog', { name: 'About Tandem' });
    await waitFor(() => expect(dialog.textContent).toContain('0.0.0'));
    expect(dialog.textContent).toContain('/tmp');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog', { name: 'About Tandem' })).toBeNull();
  });
});

describe('Add pair', () => {
  it('shows checkPair’s refusal as an alert and keeps Create disabled', async () => {
    const client = new FakeClient();
    client.refusals['/a|/a/inner'] = 'the target is inside the source; choose another target';
    await renderApp(client);
    fireEvent.click(screen.getAllByRole('button', { name: 'Add pair' })[0]!);
    typeInto('Source folder', '/a');
    typeInto('Target folder', '/a/inner');
    const dialog = screen.getByRole('dialog', { name: 'New pair' });
    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toBe('the target is inside the source; choose another target');
    expect(createButton().disabled).toBe(true);
    expect(client.callsOf('checkPair')).toContainEqual(['/a', '/a/inner']);
    expect(client.callsOf('addPair')).toHaveLength(0);
  });

  it('creates a valid pair from the typed paths and selects it', async () => {
    const client = new FakeClient();
    await renderApp(client);
    fireEvent.click(screen.getAllByRole('button', { name: 'Add pair' })[0]!);
    typeInto('Source folder', '/home/ada/Photos');
    typeInto('Target folder', '/mnt/backup/Photos backup-new');
    await waitFor(() => expect(createButton().disabled).toBe(false));
    expect(screen.getByText('The target folder will be created.')).toBeTruthy();
    fireEvent.click(createButton());
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(client.callsOf('addPair')).toEqual([
      [{ source: '/home/ada/Photos', target: '/mnt/backup/Photos backup-new' }],
    ]);
    const nav = screen.getByRole('navigation', { name: 'Pairs' });
    const pairButton = within(nav).getByRole('button', { name: /^Photos → Photos backup-new/ });
    expect(pairButton.getAttribute('aria-current')).toBe('page');
  });

  it('swaps source and target', async () => {
    const client = new FakeClient();
    await renderApp(client);
    fireEvent.click(screen.getAllByRole('button', { name: 'Add pair' })[0]!);
    typeInto('Source folder', '/one');
    typeInto('Target folder', '/two');
    fireEvent.click(screen.getByRole('button', { name: 'Swap' }));
    expect((screen.getByLabelText('Source folder') as HTMLInputElement).value).toBe('/two');
    expect((screen.getByLabelText('Target folder') as HTMLInputElement).value).toBe('/one');
    await waitFor(() => expect(client.callsOf('checkPair')).toContainEqual(['/two', '/one']));
  });

  it('closes on Escape', async () => {
    await renderApp(new FakeClient());
    fireEvent.click(screen.getAllByRole('button', { name: 'Add pair' })[0]!);
    fireEvent.keyDown(screen.getByLabelText('Source folder'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('browses folders through the daemon where there is no native picker', async () => {
    const client = new FakeClient();
    client.folders = { '/home/ada': ['Music', 'Photos'], '/home/ada/Photos': ['2024'] };
    await renderApp(client);
    fireEvent.click(screen.getAllByRole('button', { name: 'Add pair' })[0]!);
    fireEvent.click(screen.getByRole('button', { name: 'Browse for source folder' }));
    const browser = await screen.findByRole('dialog', { name: 'Choose a folder' });
    expect(client.callsOf('browseFolder')).toEqual([[null]]);
    fireEvent.doubleClick(await within(browser).findByRole('button', { name: 'Photos' }));
    await within(browser).findByRole('button', { name: '2024' });
    expect(client.callsOf('browseFolder')).toContainEqual(['/home/ada/Photos']);
    expect((within(browser).getByLabelText('Folder path') as HTMLInputElement).value).toBe(
      '/home/ada/Photos',
    );
    fireEvent.click(within(browser).getByRole('button', { name: 'Use this folder' }));
    expect(screen.queryByRole('dialog', { name: 'Choose a folder' })).toBeNull();
    expect((screen.getByLabelText('Source folder') as HTMLInputElement).value).toBe(
      '/home/ada/Photos',
    );
  });

  it('keeps a path typed while the first listing was still on its way', async () => {
    const client = new FakeClient();
    client.folders = { '/home/ada': ['Music', 'Photos'], '/home/ada/Photos': ['2024'] };
    await renderApp(client);
    fireEvent.click(screen.getAllByRole('button', { name: 'Add pair' })[0]!);
    const release = client.holdNext('browseFolder');
    fireEvent.click(screen.getByRole('button', { name: 'Browse for source folder' }));
    const browser = await screen.findByRole('dialog', { name: 'Choose a folder' });
    const field = within(browser).getByLabelText('Folder path') as HTMLInputElement;
    fireEvent.change(field, { target: { value: '/home/ada/Photos' } });
    await act(async () => release());
    expect(field.value).toBe('/home/ada/Photos');
    fireEvent.keyDown(field, { key: 'Enter' });
    await within(browser).findByRole('button', { name: '2024' });
    expect(field.value).toBe('/home/ada/Photos');
  });

  it('shows a browse error as an alert and goes up', async () => {
    const client = new FakeClient();
    client.folders = { '/home/ada': ['Photos'], '/home': ['ada'] };
    await renderApp(client);
    fireEvent.click(screen.getAllByRole('button', { name: 'Add pair' })[0]!);
    fireEvent.click(screen.getByRole('button', { name: 'Browse for target folder' }));
    const browser = await screen.findByRole('dialog', { name: 'Choose a folder' });
    await within(browser).findByRole('button', { name: 'Photos' });
    typeInto('Folder path', '/nowhere', browser);
    fireEvent.keyDown(within(browser).getByLabelText('Folder path'), { key: 'Enter' });
    expect((await within(browser).findByRole('alert')).textContent).toBe('not a folder: /nowhere');
    fireEvent.click(within(browser).getByRole('button', { name: 'Up' }));
    await within(browser).findByRole('button', { name: 'ada' });
    expect(client.callsOf('browseFolder').at(-1)).toEqual(['/home']);
  });

  it('uses the native picker in Electron', async () => {
    const client = new FakeClient();
    const desktop = fakeDesktop({ pick: '/picked/Docs' });
    await renderApp(client, { desktop });
    fireEvent.click(screen.getAllByRole('button', { name: 'Add pair' })[0]!);
    fireEvent.click(screen.getByRole('button', { name: 'Browse for target folder' }));
    await waitFor(() =>
      expect((screen.getByLabelText('Target folder') as HTMLInputElement).value).toBe(
        '/picked/Docs',
      ),
    );
    expect(screen.queryByRole('dialog', { name: 'Choose a folder' })).toBeNull();
  });
});

describe('drag and drop', () => {
  const drop = (files: object[]) => {
    const dataTransfer = { types: ['Files'], files, dropEffect: 'none' };
    fireEvent.dragEnter(window, { dataTransfer });
    expect(screen.getByText('Drop folders to pair them')).toBeTruthy();
    fireEvent.drop(window, { dataTransfer });
  };

  it('prefills the dialog with two dropped folders in Electron, first = source', async () => {
    const client = new FakeClient();
    client.folders = { '/d/A': [], '/d/B': [] };
    await renderApp(client, { desktop: fakeDesktop({}) });
    drop([{ path: '/d/A' }, { path: '/d/B' }]);
    const dialog = await screen.findByRole('dialog', { name: 'New pair' });
    expect((within(dialog).getByLabelText('Source folder') as HTMLInputElement).value).toBe('/d/A');
    expect((within(dialog).getByLabelText('Target folder') as HTMLInputElement).value).toBe('/d/B');
    expect(screen.queryByText('Drop folders to pair them')).toBeNull();
  });

  it('focuses the target browse button after one dropped folder', async () => {
    const client = new FakeClient();
    client.folders = { '/d/A': [] };
    await renderApp(client, { desktop: fakeDesktop({}) });
    drop([{ path: '/d/A' }]);
    const browse = await screen.findByRole('button', { name: 'Browse for target folder' });
    await waitFor(() => expect(document.activeElement).toBe(browse));
  });

  it('says why a dropped file cannot be part of a pair', async () => {
    const client = new FakeClient();
    await renderApp(client, { desktop: fakeDesktop({}) });
    drop([{ path: '/d/notes.txt' }]);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('notes.txt cannot be part of a pair: not a folder');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('explains in a browser that dropped folders have no path, and opens the dialog', async () => {
    await renderApp(new FakeClient());
    drop([{}]);
    const dialog = await screen.findByRole('dialog', { name: 'New pair' });
    expect(dialog.textContent).toContain("Browsers don't reveal where a dropped folder is");
  });
});

describe('pairs and errors', () => {
  it('lists pairs with basenames and status badges', async () => {
    const client = new FakeClient();
    client.addPairWithStatus(makePair('p1', '/home/ada/Photos', '/mnt/Photos backup'), {
      state: 'pending',
      pending: 3,
    });
    client.addPairWithStatus(makePair('p2', '/srv/docs', '/mnt/docs'), {
      state: 'pending',
      pending: 5,
      conflicts: 2,
    });
    await renderApp(client);
    const nav = screen.getByRole('navigation', { name: 'Pairs' });
    expect(
      within(nav).getByRole('button', { name: 'Photos → Photos backup 3 pending' }),
    ).toBeTruthy();
    expect(within(nav).getByRole('button', { name: 'docs → docs 2 conflicts' })).toBeTruthy();
    act(() =>
      client.emit({
        type: 'pairStatus',
        status: { ...client.statuses.get('p1')!, state: 'inSync', pending: 0 },
      }),
    );
    expect(
      within(nav).getByRole('button', { name: 'Photos → Photos backup In sync' }),
    ).toBeTruthy();
  });

  it('shows a failed call’s sentence as an alert that can be dismissed', async () => {
    const client = new FakeClient();
    client.addPairWithStatus(makePair('p1', '/a', '/b'));
    await renderApp(client);
    client.failNext('scanNow', 'pair busy (pid 4242); try again when the other sync finishes');
    fireEvent.click(screen.getByRole('button', { name: 'Scan now' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('pair busy (pid 4242); try again');
    fireEvent.click(within(alert).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows engine error events as alerts', async () => {
    const client = new FakeClient();
    await renderApp(client);
    act(() => client.emit({ type: 'error', message: 'the source folder is gone; reconnect it' }));
    expect(screen.getByRole('alert').textContent).toContain('the source folder is gone');
  });

  it('warns when the watcher has a problem, with its fix', async () => {
    const client = new FakeClient();
    client.addPairWithStatus(makePair('p1', '/a', '/b'));
    await renderApp(client);
    expect(screen.queryByRole('alert')).toBeNull();
    const problem =
      'The pair needs 90,000 watches but the system allows 8,192; raise fs.inotify.max_user_watches.';
    act(() =>
      client.emit({
        type: 'watcherHealth',
        pairId: 'p1',
        health: { mode: 'polling', needed: 90000, limit: 8192, problem },
      }),
    );
    expect(screen.getByRole('alert').textContent).toBe(problem);
  });

  it('pauses and resumes everything', async () => {
    const client = new FakeClient();
    await renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Pause all' }));
    await screen.findByRole('button', { name: 'Resume all' });
    expect(client.callsOf('updateSettings')).toEqual([[{ pausedAll: true }]]);
  });

  it('pauses a pair and removes it after confirmation', async () => {
    const client = new FakeClient();
    client.addPairWithStatus(makePair('p1', '/a/Photos', '/b/Photos'));
    await renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Pause pair' }));
    await screen.findByRole('button', { name: 'Resume pair' });
    expect(client.callsOf('pausePair')).toEqual([['p1', true]]);

    fireEvent.click(screen.getByRole('button', { name: 'Remove pair' }));
    const confirm = screen.getByRole('dialog', { name: 'Remove this pair?' });
    expect(confirm.textContent).toContain('No files are deleted');
    fireEvent.click(within(confirm).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(client.callsOf('removePair')).toEqual([['p1']]));
    act(() => client.emit({ type: 'pairsChanged', pairs: [] }));
    expect(screen.getByRole('heading', { name: 'Keep two folders identical' })).toBeTruthy();
  });

  it('offers the login item only in the desktop shell', async () => {
    await renderApp(new FakeClient());
    expect(screen.queryByLabelText('Start Tandem when I log in')).toBeNull();
    cleanup();
    const desktop = fakeDesktop({});
    await renderApp(new FakeClient(), { desktop });
    const box = screen.getByLabelText('Start Tandem when I log in') as HTMLInputElement;
    await waitFor(() => expect(box.disabled).toBe(false));
    fireEvent.click(box);
    await waitFor(() => expect(box.checked).toBe(true));
    expect(await desktop.getDesktopSettings()).toEqual({ openAtLogin: true });
  });

  it('opens the shortcuts help with ?', async () => {
    await renderApp(new FakeClient());
    fireEvent.keyDown(document.body, { key: '?' });
    expect(screen.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeTruthy();
  });
});

function fakeDesktop({ pick = null }: { pick?: string | null }): DesktopHost {
  let settings = { openAtLogin: false };
  return {
    pickFolder: async () => pick,
    pathForFile: (file) => (file as { path?: string }).path ?? '',
    openLog: async () => null,
    getDesktopSettings: async () => settings,
    setDesktopSettings: async (patch) => (settings = { ...settings, ...patch }),
    onNavigate: () => () => {},
  };
}
