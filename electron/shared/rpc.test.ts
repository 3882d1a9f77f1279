import { describe, expect, it } from 'vitest';
import { createRpcClient, dispatchCall, parseCall, type RpcCall } from './rpc.js';
import { SYNC_API_METHODS, type SyncApi } from './syncApi.js';

describe('parseCall', () => {
  it.each<[string, unknown, string | null]>([
    ['a good call', { t: 'call', id: 1, method: 'removePair', args: ['p1'] }, null],
    ['optional args left out', { t: 'call', id: 2, method: 'listHistory', args: ['p1'] }, null],
    [
      'null folder for browseFolder',
      { t: 'call', id: 3, method: 'browseFolder', args: [null] },
      null,
    ],
    ['no id', { t: 'call', method: 'about', args: [] }, 'not a Tandem API call'],
    ['not an object', 'about', 'not a Tandem API call'],
    ['unknown method', { t: 'call', id: 4, method: 'eval', args: [] }, 'unknown method: eval'],
    [
      'inherited name',
      { t: 'call', id: 5, method: 'toString', args: [] },
      'unknown method: toString',
    ],
    ['args not a list', { t: 'call', id: 6, method: 'about', args: {} }, 'bad arguments for about'],
    ['too many args', { t: 'call', id: 7, method: 'about', args: [1] }, 'bad arguments for about'],
    [
      'wrong type',
      { t: 'call', id: 8, method: 'pausePair', args: ['p', 'yes'] },
      'bad arguments for pausePair',
    ],
    [
      'missing required',
      { t: 'call', id: 9, method: 'checkPair', args: ['/a'] },
      'bad arguments for checkPair',
    ],
    [
      'array for an object',
      { t: 'call', id: 10, method: 'approve', args: [[]] },
      'bad arguments for approve',
    ],
  ])('%s', (_n, msg, err) => {
    const r = parseCall(msg);
    if (err === null) expect(r.ok).toBe(true);
    else {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('invalid');
        expect(r.error.message).toContain(err);
      }
    }
  });
});

describe('createRpcClient', () => {
  it('has every contract method and routes replies by id', async () => {
    const sent: RpcCall[] = [];
    const rpc = createRpcClient((c) => sent.push(c));
    for (const m of SYNC_API_METHODS) expect(typeof rpc.client[m]).toBe('function');
    const a = rpc.client.about();
    const b = rpc.client.removePair('p9');
    expect(sent.map((c) => [c.method, c.args])).toEqual([
      ['about', []],
      ['removePair', ['p9']],
    ]);
    rpc.receive({ t: 'reply', id: sent[1]!.id, result: { ok: true, value: null } });
    rpc.receive({
      t: 'reply',
      id: sent[0]!.id,
      result: { ok: false, error: { code: 'failed', message: 'x' } },
    });
    expect(await b).toEqual({ ok: true, value: null });
    expect(await a).toMatchObject({ ok: false });
  });

  it('delivers events to every listener, even when one throws', () => {
    const rpc = createRpcClient(() => undefined);
    const got: string[] = [];
    rpc.client.onEvent(() => {
      throw new Error('bad listener');
    });
    const off = rpc.client.onEvent((e) => got.push(e.type));
    rpc.receive({ t: 'event', event: { type: 'error', message: 'm' } });
    off();
    rpc.receive({ t: 'event', event: { type: 'error', message: 'm' } });
    expect(got).toEqual(['error']);
  });

  it('answers waiting and later calls with the disconnect sentence until reconnected', async () => {
    const sent: RpcCall[] = [];
    const rpc = createRpcClient((c) => sent.push(c));
    const waiting = rpc.client.listPairs();
    rpc.disconnect('Connection to Tandem lost');
    expect(await waiting).toEqual({
      ok: false,
      error: { code: 'failed', message: 'Connection to Tandem lost' },
    });
    expect(await rpc.client.status()).toMatchObject({ ok: false });
    expect(sent).toHaveLength(1);
    rpc.reconnect();
    void rpc.client.status();
    expect(sent).toHaveLength(2);
  });
});

describe('dispatchCall', () => {
  it('turns a throwing service method into an error reply', async () => {
    const api = {
      about: () => {
        throw new Error('boom');
      },
    } as unknown as SyncApi;
    const r = await dispatchCall(api, { t: 'call', id: 3, method: 'about', args: [] });
    expect(r).toEqual({
      t: 'reply',
      id: 3,
      result: { ok: false, error: { code: 'failed', message: 'boom' } },
    });
  });
});

describe('a call over JSON, as the daemon and the preload carry it', () => {
  // The page passes an optional argument it does not have as undefined (a one-way pair's version
  // has no side); JSON.stringify turns an undefined in an array into null, and a check that took
  // only undefined for "absent" refused the restore.
  const overJson = async (invoke: (c: ReturnType<typeof createRpcClient>['client']) => unknown) => {
    const seen: unknown[][] = [];
    const api = {
      restoreVersion: (...a: unknown[]) => {
        seen.push(a);
        return Promise.resolve({ ok: true, value: null });
      },
      listHistory: (...a: unknown[]) => {
        seen.push(a);
        return Promise.resolve({ ok: true, value: [] });
      },
    } as unknown as SyncApi;
    const replies: unknown[] = [];
    const rpc = createRpcClient((c) => {
      const parsed = parseCall(JSON.parse(JSON.stringify(c)));
      if (!parsed.ok) {
        replies.push(parsed.error);
        rpc.receive({ t: 'reply', id: c.id, result: { ok: false, error: parsed.error } });
      } else void dispatchCall(api, parsed.call).then((r) => rpc.receive(r));
    });
    const result = await (invoke(rpc.client) as Promise<unknown>);
    return { seen, replies, result };
  };

  it('an optional argument given as undefined arrives as undefined, not refused', async () => {
    const { seen, replies, result } = await overJson((c) =>
      c.restoreVersion('p1', 'essay.md', 'run-1', 'stored-1', undefined),
    );
    expect(replies).toEqual([]);
    expect(result).toEqual({ ok: true, value: null });
    expect(seen).toEqual([['p1', 'essay.md', 'run-1', 'stored-1']]);
  });

  it('an optional argument left out in the middle arrives as undefined', async () => {
    const { seen, replies } = await overJson((c) => c.listHistory('p1', undefined, 50));
    expect(replies).toEqual([]);
    expect(seen).toEqual([['p1', undefined, 50]]);
  });

  it('a side that is given still arrives', async () => {
    const { seen } = await overJson((c) =>
      c.restoreVersion('p1', 'essay.md', 'run-1', 'stored-1', 'source'),
    );
    expect(seen).toEqual([['p1', 'essay.md', 'run-1', 'stored-1', 'source']]);
  });
});
