// The wire form of the SyncApi, shared by every transport (the service's worker thread, Electron
// IPC, the daemon's WebSocket): calls carry a method name from SYNC_API_METHODS and an argument
// list, replies carry the method's Result, and events are pushed as they happen. The client and
// the dispatcher are generated from the method list, so a new method needs no transport code.
import {
  SYNC_API_METHODS,
  type ApiError,
  type Result,
  type SyncApi,
  type SyncEvent,
} from './syncApi.js';

export type SyncApiMethod = (typeof SYNC_API_METHODS)[number];

export interface RpcCall {
  t: 'call';
  id: number;
  method: SyncApiMethod;
  args: unknown[];
}
export interface RpcReply {
  t: 'reply';
  id: number;
  result: Result<unknown>;
}
export interface RpcEvent {
  t: 'event';
  event: SyncEvent;
}
export type RpcMessage = RpcCall | RpcReply | RpcEvent;

export type SyncEventListener = (e: SyncEvent) => void;

/** What every front hands the UI: the SyncApi plus a subscription to its events. */
export interface SyncClient extends SyncApi {
  onEvent(listener: SyncEventListener): () => void;
}

/**
 * The shape of each method's arguments, checked before a call reaches the service: a message from
 * a socket or another process is untrusted input. `?` marks an optional argument; 'string|null'
 * accepts null too. The `satisfies` keeps this table in step with the contract.
 */
type ArgShape = 'string' | 'string?' | 'string|null' | 'number?' | 'boolean' | 'object';
const ARGS = {
  listPairs: [],
  addPair: ['object'],
  updatePair: ['string', 'object'],
  removePair: ['string'],
  pausePair: ['string', 'boolean'],
  scanNow: ['string'],
  syncNow: ['string'],
  confirmTarget: ['string'],
  status: [],
  listPending: ['object'],
  approve: ['object'],
  reject: ['object'],
  setPolicy: ['string', 'object'],
  listHistory: ['string', 'number?', 'number?'],
  resolveConflict: ['string', 'object', 'string'],
  listVersions: ['string', 'string'],
  restoreVersion: ['string', 'string', 'string', 'string', 'string?'],
  watcherHealth: ['string'],
  getSettings: [],
  updateSettings: ['object'],
  checkPair: ['string', 'string'],
  browseFolder: ['string|null'],
  about: [],
  logTail: ['number?'],
} as const satisfies { [M in SyncApiMethod]: readonly ArgShape[] };

function fits(v: unknown, shape: ArgShape): boolean {
  switch (shape) {
    case 'string':
      return typeof v === 'string';
    case 'string?':
      return v === undefined || v === null || typeof v === 'string';
    case 'string|null':
      return v === null || typeof v === 'string';
    case 'number?':
      return v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v));
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
}

const invalid = (message: string): ApiError => ({ code: 'invalid', message });

/** Checks an untrusted message; returns the call, or an error saying what is wrong with it. */
export function parseCall(
  m: unknown,
): { ok: true; call: RpcCall } | { ok: false; id: number | null; error: ApiError } {
  const o = m as Partial<RpcCall> | null;
  const id = typeof o?.id === 'number' && Number.isSafeInteger(o.id) ? o.id : null;
  if (!o || typeof o !== 'object' || o.t !== 'call' || id === null)
    return { ok: false, id, error: invalid('not a Tandem API call') };
  if (typeof o.method !== 'string' || !Object.hasOwn(ARGS, o.method))
    return { ok: false, id, error: invalid(`unknown method: ${String(o.method)}`) };
  const method = o.method as SyncApiMethod;
  const args = Array.isArray(o.args) ? o.args : null;
  const shapes: readonly ArgShape[] = ARGS[method];
  if (!args || args.length > shapes.length || !shapes.every((s, i) => fits(args[i], s)))
    return {
      ok: false,
      id,
      error: invalid(`bad arguments for ${method}: expected (${shapes.join(', ')})`),
    };
  // JSON has no undefined: an optional argument left out in the middle of a list (or sent by a
  // client that writes null for "absent") arrives as null, and the service is given undefined.
  const given = args.map((v, i) => (v === null && shapes[i]?.endsWith('?') ? undefined : v));
  return { ok: true, call: { t: 'call', id, method, args: given } };
}

/** Runs a checked call against the service; never throws (errors cross as data). */
export async function dispatchCall(api: SyncApi, call: RpcCall): Promise<RpcReply> {
  try {
    const fn = api[call.method] as (...a: unknown[]) => Promise<Result<unknown>>;
    return { t: 'reply', id: call.id, result: await fn.apply(api, call.args) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { t: 'reply', id: call.id, result: { ok: false, error: { code: 'failed', message } } };
  }
}

export interface RpcClient {
  client: SyncClient;
  /** feed every message that arrives from the other side */
  receive(m: RpcMessage): void;
  /** the connection is gone: waiting and new calls resolve with this message as their error */
  disconnect(message: string): void;
  /** the transport is back (a WebSocket that reconnected): calls go through again */
  reconnect(): void;
}

/** A SyncClient over any transport that can send a call and deliver replies and events back. */
export function createRpcClient(send: (call: RpcCall) => void): RpcClient {
  let nextId = 1;
  const waiting = new Map<number, (r: Result<unknown>) => void>();
  const listeners = new Set<SyncEventListener>();
  let gone: string | null = null;

  const call = (method: SyncApiMethod, args: unknown[]): Promise<Result<unknown>> => {
    if (gone !== null)
      return Promise.resolve({ ok: false, error: { code: 'failed', message: gone } });
    const id = nextId++;
    // A trailing optional argument passed as undefined is left off: JSON would turn it into null.
    let n = args.length;
    while (n > 0 && args[n - 1] === undefined) n--;
    args = args.slice(0, n);
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      try {
        send({ t: 'call', id, method, args });
      } catch (e) {
        waiting.delete(id);
        resolve({ ok: false, error: { code: 'failed', message: (e as Error).message } });
      }
    });
  };

  const client = {
    onEvent(listener: SyncEventListener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  } as SyncClient;
  for (const m of SYNC_API_METHODS)
    (client as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => call(m, args);

  return {
    client,
    receive(m) {
      if (m.t === 'reply') {
        const resolve = waiting.get(m.id);
        waiting.delete(m.id);
        resolve?.(m.result);
      } else if (m.t === 'event') {
        for (const l of listeners) {
          try {
            l(m.event);
          } catch {
            /* one failing listener must not starve the others */
          }
        }
      }
    },
    disconnect(message) {
      gone = message;
      for (const resolve of waiting.values())
        resolve({ ok: false, error: { code: 'failed', message } });
      waiting.clear();
    },
    reconnect() {
      gone = null;
    },
  };
}
