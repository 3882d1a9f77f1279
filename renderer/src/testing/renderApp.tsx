// Renders the whole window against a FakeClient and waits until the first load has landed.
import { render, screen, waitFor } from '@testing-library/react';
import { expect } from 'vitest';
import { App } from '../App.js';
import type { ConnectionMonitor } from '../client/connectionState.js';
import type { DesktopHost } from '../contract.js';
import type { FakeClient } from './fakeClient.js';

/** the pending list's injected viewport height: jsdom has no layout to measure */
export const LIST_HEIGHT = 320;

export async function renderApp(
  client: FakeClient,
  opts: { desktop?: DesktopHost; connection?: ConnectionMonitor } = {},
) {
  const view = render(
    <App
      client={client}
      desktop={opts.desktop ?? null}
      connection={opts.connection}
      listHeight={LIST_HEIGHT}
    />,
  );
  await waitFor(() => expect(screen.queryByText('Loading…')).toBeNull());
  return view;
}
