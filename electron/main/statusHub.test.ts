import { describe, expect, it } from 'vitest';
import { createRpcClient, type RpcCall } from '../shared/rpc.js';
import type { SyncEvent } from '../shared/syncApi.js';
import { StatusHub } from './statusHub.js';
import { statusList } from './syncModel.js';
import { pair, status } from './statusFixtures.js';

/** A client whose replies the test sends by hand, in the order it chooses. */
function fakeService() {
  const calls: RpcCall[] = [];
  const rpc = createRpcClient((c) => calls.push(c));
  const reply = (method: string, value: unknown) => {
    const c = calls.find((x) => x.method === method)!;
    rpc.receive({ t: 'reply', id: c.id, result: { ok: true, value } });
  };
  const fail = (method: string, message: string) => {
    const c = calls.find((x) => x.method === method)!;
    rpc.receive({
      t: 'reply',
      id: c.id,
      result: { ok: false, error: { code: 'failed', message } },
    });
  };
  const event = (e: SyncEvent) => rpc.receive({ t: 'event', event: e });
  return { client: rpc.client, calls, reply, fail, event };
}

const photos = pair('a', '/p/Photos', '/b/Backup');
const docs = pair('b', '/p/Docs', '/b/Docs2');

describe('StatusHub', () => {
  it('loads pairs, statuses and settings, and applies later events on top', async () => {
    const svc = fakeService();
    const hub = new StatusHub(svc.client);
    const seen: (string | null)[] = [];
    hub.onChange((_n, _p, e) => seen.push(e?.type ?? null));
    const started = hub.start();
    // an event before the status reply is older than it: the reply replaces it
    svc.event({ type: 'pairStatus', status: status('a', { state: 'syncing' }) });
    svc.reply('listPairs', [photos, docs]);
    svc.reply('status', [status('a'), status('b', { pending: 2 })]);
    svc.reply('getSettings', { pausedAll: true });
    expect(await started).toBeNull();
    expect(hub.model.pausedAll).toBe(true);
    expect(statusList(hub.model).map((s) => [s.pairId, s.state, s.pending])).toEqual([
      ['a', 'inSync', 0],
      ['b', 'inSync', 2],
    ]);
    svc.event({ type: 'pairStatus', status: status('a', { state: 'syncing' }) });
    expect(hub.model.statuses.get('a')!.state).toBe('syncing');
    svc.event({ type: 'pairsChanged', pairs: [docs] });
    expect(hub.model.statuses.has('a')).toBe(false);
    expect(seen).toEqual(['pairStatus', null, null, null, 'pairStatus', 'pairsChanged']);
  });

  it('passes detail events to listeners without changing the model', async () => {
    const svc = fakeService();
    const hub = new StatusHub(svc.client);
    const started = hub.start();
    svc.reply('listPairs', [photos]);
    svc.reply('status', []);
    svc.reply('getSettings', { pausedAll: false });
    await started;
    const before = hub.model;
    let got: SyncEvent | null = null;
    hub.onChange((next, prev, e) => {
      expect(next).toBe(prev);
      got = e;
    });
    svc.event({ type: 'error', pairId: 'a', message: 'x' });
    expect(got).toEqual({ type: 'error', pairId: 'a', message: 'x' });
    expect(hub.model).toBe(before);
  });

  it('says what could not be loaded', async () => {
    const svc = fakeService();
    const hub = new StatusHub(svc.client);
    const started = hub.start();
    svc.reply('listPairs', [photos]);
    svc.fail('status', 'the index is damaged');
    svc.reply('getSettings', { pausedAll: false });
    expect(await started).toBe('the index is damaged');
    expect(hub.model.pairs).toEqual([photos]);
  });

  it('keeps calling the other listeners when one throws', async () => {
    const svc = fakeService();
    const hub = new StatusHub(svc.client);
    const calls: number[] = [];
    hub.onChange(() => {
      throw new Error('boom');
    });
    hub.onChange(() => calls.push(1));
    const orig = console.error;
    console.error = () => {};
    try {
      hub.setPausedAll(true);
    } finally {
      console.error = orig;
    }
    expect(calls).toEqual([1]);
  });
});
