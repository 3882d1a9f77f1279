// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../App.js';
import type { RpcCall, RpcMessage } from '../contract.js';
import { LOST_MESSAGE, UNAUTHORIZED_MESSAGE } from './connectionState.js';
import { CLOSE_UNAUTHORIZED, createSocketClient } from './socketClient.js';

afterEach(cleanup);

/** A WebSocket double: the test opens, closes and answers it. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: RpcCall[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as RpcCall);
  }
  close() {}
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  deliver(m: RpcMessage) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  /** answers every call sent so far with the value the responder gives */
  answer(respond: (c: RpcCall) => unknown) {
    for (const c of this.sent.splice(0))
      this.deliver({ t: 'reply', id: c.id, result: { ok: true, value: respond(c) } });
  }
}

function connectFake(probe?: number) {
  FakeSocket.all = [];
  return createSocketClient('ws://127.0.0.1:4545/api', {
    WebSocket: FakeSocket as unknown as new (url: string) => WebSocket,
    backoff: [1, 1],
    probeStatus: probe === undefined ? undefined : async () => probe,
  });
}

const latest = () => FakeSocket.all[FakeSocket.all.length - 1]!;

describe('the WebSocket client', () => {
  it('queues calls until the socket opens, then sends them and resolves replies', async () => {
    const { client, connection } = connectFake();
    const pairs = client.listPairs();
    expect(latest().sent).toEqual([]);
    latest().open();
    expect(connection.get()).toEqual({ kind: 'open' });
    expect(latest().sent).toEqual([{ t: 'call', id: 1, method: 'listPairs', args: [] }]);
    latest().answer(() => []);
    expect(await pairs).toEqual({ ok: true, value: [] });
  });

  it('fails waiting calls with a sentence when the socket drops, then reconnects', async () => {
    const { client, connection } = connectFake();
    latest().open();
    const waiting = client.status();
    latest().drop();
    expect(await waiting).toEqual({ ok: false, error: { code: 'failed', message: LOST_MESSAGE } });
    expect(connection.get()).toEqual({ kind: 'lost', message: LOST_MESSAGE });
    await waitFor(() => expect(FakeSocket.all).toHaveLength(2));
    latest().open();
    expect(connection.get()).toEqual({ kind: 'open' });
    const again = client.getSettings();
    latest().answer(() => ({ pausedAll: false }));
    expect(await again).toEqual({ ok: true, value: { pausedAll: false } });
  });

  it('delivers events to listeners', () => {
    const { client } = connectFake();
    latest().open();
    const seen: string[] = [];
    client.onEvent((e) => seen.push(e.type));
    latest().deliver({ t: 'event', event: { type: 'error', message: 'x' } });
    expect(seen).toEqual(['error']);
  });

  it('stops with the token sentence on close code 4401', async () => {
    const { client, connection } = connectFake();
    latest().open();
    latest().drop(CLOSE_UNAUTHORIZED);
    expect(connection.get()).toEqual({ kind: 'unauthorized' });
    expect(await client.status()).toMatchObject({
      ok: false,
      error: { message: UNAUTHORIZED_MESSAGE },
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('asks over HTTP why a first connection failed, and stops on 401', async () => {
    const { connection } = connectFake(401);
    latest().drop();
    await waitFor(() => expect(connection.get()).toEqual({ kind: 'unauthorized' }));
    expect(FakeSocket.all).toHaveLength(1);
  });
});

describe('the window while the link is down', () => {
  it('gives up an attempt that never opens and tries again', async () => {
    FakeSocket.all = [];
    const { connection, close } = createSocketClient('ws://127.0.0.1:4545/api', {
      WebSocket: FakeSocket as unknown as new (url: string) => WebSocket,
      backoff: [1],
      attemptTimeoutMs: 20,
    });
    try {
      // The first handshake hangs (neither open nor close): a second attempt is made anyway.
      await waitFor(() => expect(FakeSocket.all.length).toBeGreaterThanOrEqual(2));
      expect(connection.get()).toEqual({ kind: 'lost', message: LOST_MESSAGE });
      // The newest attempt opens (one given up meanwhile cannot: its handlers are gone).
      await waitFor(() => {
        latest().open();
        expect(connection.get()).toEqual({ kind: 'open' });
      });
    } finally {
      close();
    }
  });

  it('goes on reconnecting when the token probe never answers', async () => {
    FakeSocket.all = [];
    const { connection, close } = createSocketClient('ws://127.0.0.1:4545/api', {
      WebSocket: FakeSocket as unknown as new (url: string) => WebSocket,
      backoff: [1],
      attemptTimeoutMs: 20,
      probeStatus: () => new Promise<number | null>(() => undefined),
    });
    try {
      latest().drop();
      // No answer from the probe must not stop the reconnects.
      await waitFor(() => expect(FakeSocket.all.length).toBeGreaterThanOrEqual(2));
      await waitFor(() => {
        latest().open();
        expect(connection.get()).toEqual({ kind: 'open' });
      });
    } finally {
      close();
    }
  });

  it('shows the banner, then refetches everything on reconnect', async () => {
    const { client, connection } = connectFake();
    render(<App client={client} connection={connection} listHeight={300} />);
    latest().open();
    const answer = (sock: FakeSocket) =>
      sock.answer((c) => (c.method === 'getSettings' ? { pausedAll: false } : []));
    await waitFor(() => expect(latest().sent.length).toBeGreaterThanOrEqual(3));
    act(() => answer(latest()));
    await screen.findByRole('heading', { name: 'Keep two folders identical' });

    act(() => latest().drop());
    expect((await screen.findByRole('alert')).textContent).toBe(LOST_MESSAGE);
    await waitFor(() => expect(FakeSocket.all).toHaveLength(2));
    act(() => latest().open());
    expect(screen.queryByText(LOST_MESSAGE)).toBeNull();
    await waitFor(() =>
      expect(
        latest()
          .sent.map((c) => c.method)
          .sort(),
      ).toEqual(['getSettings', 'listPairs', 'status']),
    );
    act(() => answer(latest()));
  });

  it('tells the user to open the link with the token', async () => {
    const { client, connection } = connectFake();
    render(<App client={client} connection={connection} listHeight={300} />);
    act(() => latest().drop(CLOSE_UNAUTHORIZED));
    await waitFor(() => expect(latest().sent).toEqual([]));
    // one sentence, not one per failed call; and no claim that there are no pairs
    expect((await screen.findByRole('alert')).textContent).toBe(UNAUTHORIZED_MESSAGE);
    expect(screen.getByText('Loading…')).toBeTruthy();
  });
});
