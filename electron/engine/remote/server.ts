// `tandem server`: the far side of a remote pair, run by ssh with stdin and stdout as its
// channel (channel.ts). stdout carries the protocol only; anything for a person goes to stderr,
// which ssh passes back. It ends when the other side closes its end.
//
// It answers `ping` (its version and the protocol agreed), `open` (a folder of its machine,
// resolved there), `browse` (the app's folder browser there, protocol 2), `versions` and
// `restore` (a push's far target's versions, for the app; protocol 2), the requests of a sync
// whose target is here (targetHalf.ts): openTarget, list, chunkIds, baseline, stage, chunk,
// signature, delta, apply; and, from protocol 2, those of a sync whose source is here
// (sourceHalf.ts): openSource, scanSource, list, chunkIds, read, deltaFrom, xattrs. From
// protocol 3, signature, delta and deltaFrom may be content-defined (`cdc`, cdc.ts), and
// watchSource keeps a watch of a source folder here for the other side (farWatch.ts). Requests
// are answered one at a time, in order; a request it does not know gets an error reply, never
// a hang. During an apply it sends `progress` messages (no id) between the items.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Channel, PROTOCOL, PROTOCOL_WATCH, type Frame, type Message } from './channel.js';
// farWatch.js (the watcher and its backends) is loaded by the request that needs it only.
import type { SourceWatchHere } from './farWatch.js';
import { PairBusyError } from '../pair/pairLock.js';
import { RefusalError } from '../pair/pair.js';
import { ItemError } from '../core/target/patchInPlace.js';
import type { SessionProgress } from '../pair/syncSession.js';
import { packNeeds, TargetHalf, type OpenTargetRequest } from './targetHalf.js';
import type { FolderListing } from '../../shared/syncApi.js';
import { browseFolder } from '../service/folderBrowser.js';
import { farListVersions, farRestore } from './farVersions.js';
import { SourceHalf, type OpenSourceRequest, type ScanSourceRequest } from './sourceHalf.js';

/** Progress of a far apply goes back at most this often. */
const PROGRESS_EVERY_MS = 200;

export interface ServerOptions {
  version: string;
  /** the protocol versions to offer (tests offer others) */
  range?: { min: number; max: number };
}

/** Serves one connection; resolves with the exit code once the other side has closed it. */
export async function runServer(
  input: Readable,
  output: Writable,
  opts: ServerOptions,
): Promise<number> {
  const ch = new Channel(input, output);
  // A connection that drops (the ssh client killed, the network gone) reaches this process as a
  // hangup, a broken pipe or the end of its input. None may kill it mid-way: it ends its loop
  // once the request under way is answered (an apply finishes or rolls back its item), and the
  // finally below releases the pair's lock. Left to their defaults, SIGHUP and the pipe's error
  // ended the process there and left the lock to a pid that a zombie kept alive.
  const end = () => {
    input.destroy();
  };
  const signals = ['SIGHUP', 'SIGTERM', 'SIGINT'] as const;
  for (const sig of signals) process.on(sig, end);
  output.on('error', end);
  try {
    return await serve(ch, opts);
  } finally {
    for (const sig of signals) process.off(sig, end);
    output.off('error', end);
  }
}

async function serve(ch: Channel, opts: ServerOptions): Promise<number> {
  let hello;
  try {
    hello = await ch.handshake(opts.version, opts.range ?? PROTOCOL);
  } catch (e) {
    process.stderr.write(`tandem server: ${(e as Error).message}\n`);
    return 2;
  }
  const protocol = hello.agreed;
  if (typeof protocol === 'string') {
    ch.send({ t: 'refused', message: protocol });
    return 2;
  }
  const state: ServerState = { half: null, source: null, watch: null, ch, lastProgress: 0 };
  try {
    for (;;) {
      let f;
      try {
        f = await ch.next();
      } catch (e) {
        process.stderr.write(`tandem server: ${(e as Error).message}\n`);
        return 2;
      }
      if (!f) return 0;
      const reply = await answer(f, opts.version, protocol, state);
      if (Array.isArray(reply)) ch.send(reply[0], reply[1]);
      else ch.send(reply);
    }
  } finally {
    // The connection is gone (or done): the pair's lock goes with it.
    await state.half?.close();
    await state.source?.close();
    await state.watch?.close();
  }
}

interface ServerState {
  half: TargetHalf | null;
  /** the source half, where the other side holds the target (protocol 2) */
  source: SourceHalf | null;
  /** a source folder here watched for the other side (protocol 3) */
  watch: SourceWatchHere | null;
  ch: Channel;
  lastProgress: number;
}

function sendProgress(state: ServerState, p: SessionProgress): void {
  const now = Date.now();
  if (now - state.lastProgress < PROGRESS_EVERY_MS) return;
  state.lastProgress = now;
  state.ch.send({ t: 'progress', progress: p });
}

function needHalf(state: ServerState): TargetHalf {
  if (!state.half) throw new Error('no target is open on this connection');
  return state.half;
}

function needSource(state: ServerState): SourceHalf {
  if (!state.source) throw new Error('no source is open on this connection');
  return state.source;
}

/** The half a descent lists: the source where one is open here, else the target. */
function listed(state: ServerState): SourceHalf | TargetHalf {
  return state.source ?? needHalf(state);
}

async function answer(
  f: Frame,
  version: string,
  protocol: number,
  state: ServerState,
): Promise<Message | [Message, Buffer]> {
  const m = f.message;
  const id = m.id;
  try {
    switch (m.t) {
      case 'ping':
        return { id, t: 'pong', version, protocol };
      case 'open':
        return { id, t: 'opened', path: openFolder(m.path) };
      case 'versions':
        return { id, t: 'versions', versions: farListVersions(m) };
      case 'restore':
        return { id, t: 'restored', ...(await farRestore(m)) };
      case 'browse':
        // The app's folder browser, on this machine (protocol 2): a path relative to the home.
        return { id, t: 'listing', listing: browseHere(m.path) };
      case 'watchSource': {
        // A connection of its own (farWatch.ts): the watch lasts until the other side closes it.
        if (protocol < PROTOCOL_WATCH) throw new Error('watchSource needs protocol 3');
        if (state.watch || state.half || state.source)
          throw new Error('this connection is already in use');
        const { SourceWatchHere: Watch } = await import('./farWatch.js');
        const { watch, health } = await Watch.start(m, (e) => state.ch.send(e));
        state.watch = watch;
        return { id, t: 'watching', source: watch.source, health };
      }
      case 'openSource': {
        if (state.half || state.source)
          throw new Error('a pair is already open on this connection');
        state.source = SourceHalf.open(m as unknown as OpenSourceRequest);
        return {
          id,
          t: 'sourceOpened',
          source: state.source.source,
          ignore: state.source.ignore,
          ...state.source.place(),
        };
      }
      case 'scanSource':
        return {
          id,
          t: 'scanned',
          ...(await needSource(state).scan(m as unknown as ScanSourceRequest, (p) =>
            sendProgress(state, p),
          )),
        };
      case 'read': {
        const r = needSource(state).read(m.path, m.index, m.pages);
        return [{ id, t: 'chunk', ...(r.pages ? { pages: r.pages } : {}) }, r.bytes];
      }
      case 'xattrs':
        return { id, t: 'xattrs', attrs: needSource(state).xattrs(m.paths) };
      case 'deltaFrom': {
        const d = needSource(state).delta(m.path, m.first, m.count, f.bytes, m.cdc === true);
        return [{ id, t: 'delta', ops: d.ops }, d.literals];
      }
      case 'openTarget': {
        if (state.half || state.source)
          throw new Error('a target is already open on this connection');
        state.half = await TargetHalf.open(m as unknown as OpenTargetRequest, (p) =>
          sendProgress(state, p),
        );
        return { id, t: 'scanned', ...(await state.half.scan()) };
      }
      case 'list':
        return { id, t: 'listed', lists: listed(state).list(m.dirs) };
      case 'chunkIds':
        return { id, t: 'chunkIds', chunks: listed(state).chunkIds(m.paths) };
      case 'baseline':
        return { id, t: 'ok', recorded: needHalf(state).baseline(m.dirs, m.entries) };
      case 'stage':
        return { id, t: 'needs', needs: packNeeds(needHalf(state).stage(m.items, m.sources)) };
      case 'chunk':
        needHalf(state).receive(m.need, m.pages, f.bytes);
        return { id, t: 'ok' };
      case 'signature':
        return [
          { id, t: 'signature', ...(m.cdc === true ? { cdc: true } : {}) },
          needHalf(state).signature(m.path, m.cdc === true),
        ];
      case 'delta':
        return {
          id,
          t: 'ok',
          failed: needHalf(state).receiveDelta(
            m.path,
            m.first,
            m.count,
            m.ops,
            f.bytes ?? Buffer.alloc(0),
            m.cdc === true,
          ),
        };
      case 'apply':
        return { id, t: 'applied', result: needHalf(state).apply() };
      case 'inSync':
        needHalf(state).markInSync();
        return { id, t: 'ok' };
      default:
        return {
          id,
          t: 'error',
          message: `this Tandem (${version}) does not know the request "${m.t}"`,
        };
    }
  } catch (e) {
    const code =
      e instanceof PairBusyError
        ? 'busy'
        : e instanceof RefusalError
          ? 'refused'
          : e instanceof ItemError
            ? 'item'
            : 'failed';
    return { id, t: 'error', code, message: (e as Error).message };
  }
}

/** browseFolder on this machine, for a path the other side gave (relative to the home). */
function browseHere(p: unknown): FolderListing {
  if (typeof p !== 'string') throw new Error('browse needs a path');
  return browseFolder(path.resolve(os.homedir(), p === '' ? '.' : p));
}

/** A folder of this machine as the other side named it: relative to the home, real path. */
function openFolder(p: unknown): string {
  if (typeof p !== 'string') throw new Error('open needs a path');
  const abs = path.resolve(os.homedir(), p === '' ? '.' : p);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${abs} does not exist on ${os.hostname()}`
        : `cannot open ${abs} on ${os.hostname()}: ${code}`,
    );
  }
  if (!fs.statSync(real).isDirectory())
    throw new Error(`${abs} on ${os.hostname()} is not a folder`);
  return real;
}
