// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DesktopHost } from '../contract.js';
import { FakeClient, makePair } from '../testing/fakeClient.js';
import { renderApp } from '../testing/renderApp.js';

afterEach(cleanup);

const at = '2026-12-01T20:08:06.700Z';
let client: FakeClient;
beforeEach(() => {
  client = new FakeClient();
  client.addPairWithStatus(makePair('p1', '/home/ada/Docs', '/mnt/Backup'));
  client.log.lines = [
    JSON.stringify({ level: 'info', time: at, pid: 1, msg: 'service started', pairs: 1 }),
    JSON.stringify({ level: 'warn', time: at, pid: 1, pair: 'p1', msg: 'held', holds: ['x'] }),
  ];
});

function desktop(openLog: DesktopHost['openLog']): DesktopHost & { opened: number } {
  const host = {
    opened: 0,
    pickFolder: async () => null,
    pathForFile: () => '',
    openLog: async () => {
      host.opened++;
      return openLog();
    },
    getDesktopSettings: async () => ({ openAtLogin: false }),
    setDesktopSettings: async () => ({ openAtLogin: false }),
    onNavigate: () => () => {},
  };
  return host;
}

describe('Open log', () => {
  it('in a browser, shows where the log is and its last lines, readable', async () => {
    await renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Open log' }));
    const dialog = await screen.findByRole('dialog', { name: 'Tandem’s log' });
    await waitFor(() => expect(dialog.textContent).toContain(client.log.path));
    expect(dialog.textContent).toContain('A browser cannot open that file');
    const lines = within(dialog).getAllByRole('listitem');
    expect(lines.map((l) => l.textContent)).toEqual([
      `${new Date(at).toLocaleString()}infoservice started  pairs=1`,
      `${new Date(at).toLocaleString()}warnDocs → Backupheld  holds=["x"]`,
    ]);
    expect(client.callsOf('logTail')).toEqual([[200]]);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Reload' }));
    await waitFor(() => expect(client.callsOf('logTail')).toHaveLength(2));
  });

  it('in the app, opens the file itself', async () => {
    const host = desktop(async () => null);
    await renderApp(client, { desktop: host });
    fireEvent.click(screen.getByRole('button', { name: 'Open log' }));
    await waitFor(() => expect(host.opened).toBe(1));
    expect(screen.queryByRole('dialog', { name: 'Tandem’s log' })).toBeNull();
  });

  it('in the app, says why it could not open the file, and shows the lines instead', async () => {
    const host = desktop(async () => 'Tandem could not open its log: no application for it');
    await renderApp(client, { desktop: host });
    fireEvent.click(screen.getByRole('button', { name: 'Open log' }));
    const dialog = await screen.findByRole('dialog', { name: 'Tandem’s log' });
    expect(within(dialog).getByRole('alert').textContent).toContain('no application for it');
    await waitFor(() => expect(within(dialog).getAllByRole('listitem')).toHaveLength(2));
  });
});
