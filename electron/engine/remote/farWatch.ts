// A pull pair's far source, watched by the far side's own Tandem (issue 12: "a remote side is
// watched by its own tandem over the same connection where possible, else rescanned on the pair's
// schedule"). A connection of its own, kept open: `watchSource` starts a PairWatcher there on the
// source alone (its .tandemignore and the pair's patterns applied), and every settled batch, and
// every rescan or error of that watcher, comes back as a `farChanged` message; this side then
// compares the pair, which for a pull is always a whole comparison (the descent of the id tree).
//
// The stale-id rule holds across the connection: a watch that ends (the far side gone, the
// network down) is tried again with a backoff doubling from 5 s to 5 minutes, and once it is up
// again the pair is compared at once, which finds whatever changed in the gap. A far Tandem below
// protocol 3 cannot watch: the pair keeps its timer alone.
import type { WatcherHealth } from '../../shared/syncApi.js';
import type { RemoteLocation } from '../../shared/remoteAddress.js';
import { PairWatcher } from '../watch/pairWatcher.js';
import { readIgnoreFile } from '../pair/syncSession.js';
import { PROTOCOL_WATCH, type Message } from './channel.js';
import { RemoteConnection, type ConnectOptions } from './connection.js';
import { resolveRemoteSource } from './sourceHalf.js';

/** The far side's watch of a source folder of its machine, for as long as the connection lasts. */
export class SourceWatchHere {
  private constructor(
    readonly source: string,
    private readonly w: PairWatcher,
  ) {}

  /** Starts watching the folder the other side named; `send` carries the events back. */
  static async start(
    m: Message,
    send: (m: Message) => void,
  ): Promise<{ watch: SourceWatchHere; health: WatcherHealth }> {
    const source = resolveRemoteSource(String(m.path));
    const ignore = [
      ...readIgnoreFile(source),
      ...(Array.isArray(m.ignore) ? m.ignore.map(String) : []),
    ];
    const w = new PairWatcher({ source, target: null, ignore });
    let health: WatcherHealth = { mode: 'off', needed: 0, limit: null };
    w.on('changes', (b) => send({ t: 'farChanged', paths: b.changes.length }));
    w.on('rescan', () => send({ t: 'farChanged', gap: true }));
    w.on('error', (e) => send({ t: 'farChanged', gap: true, problem: e.message }));
    w.on('health', (h) => {
      health = h;
      send({ t: 'farHealth', health: h });
    });
    await w.start();
    return { watch: new SourceWatchHere(source, w), health };
  }

  close(): Promise<void> {
    return this.w.close();
  }
}

export type FarWatchState =
  /** the far side watches the source */
  | { kind: 'up'; health: WatcherHealth }
  /** the watch could not be made or was lost; tried again in `retryMs` */
  | { kind: 'down'; problem: string; retryMs: number }
  /** the far Tandem cannot watch (below protocol 3): the pair's timer alone covers it */
  | { kind: 'unsupported'; problem: string };

export interface FarWatchCallbacks {
  /** the far source changed (`gap`: or may have, unseen: the whole pair is compared either way) */
  onChange: (gap: boolean) => void;
  onState: (s: FarWatchState) => void;
}

export const FAR_WATCH_RETRY_MS = { first: 5000, max: 5 * 60_000 };

/** This side's end: keeps a watch of the far source up until `close`. */
export class FarWatch {
  private readonly abort = new AbortController();
  private conn: RemoteConnection | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly where: RemoteLocation,
    private readonly opts: ConnectOptions,
    private readonly ignore: readonly string[],
    private readonly cb: FarWatchCallbacks,
    private readonly retry = FAR_WATCH_RETRY_MS,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  private get closed(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let wait = this.retry.first;
    let before = false;
    while (!this.closed) {
      let problem: string;
      try {
        const conn = await RemoteConnection.open(this.where, {
          ...this.opts,
          signal: this.abort.signal,
        });
        this.conn = conn;
        if (conn.protocol < PROTOCOL_WATCH) {
          await conn.close();
          this.cb.onState({
            kind: 'unsupported',
            problem: `${this.where.host} runs Tandem ${conn.peerVersion}, which cannot watch its folders; the pair is compared on its timer (update Tandem there to have its changes come at once)`,
          });
          return;
        }
        conn.onEvent = (m) => {
          if (m.t === 'farChanged') this.cb.onChange(m.gap === true);
          else if (m.t === 'farHealth')
            this.cb.onState({ kind: 'up', health: m.health as WatcherHealth });
        };
        const r = await conn.request({
          t: 'watchSource',
          path: this.where.path,
          ignore: [...this.ignore],
        });
        wait = this.retry.first;
        this.cb.onState({ kind: 'up', health: r.message.health as WatcherHealth });
        // Whatever changed while no watch was up is found by one comparison now.
        if (before) this.cb.onChange(true);
        before = true;
        const ended = await conn.ended;
        problem = `the watch of ${this.where.host} ended (${ended.message})`;
      } catch (e) {
        problem = (e as Error).message;
      } finally {
        const c = this.conn;
        this.conn = null;
        await c?.close().catch(() => undefined);
      }
      if (this.closed) return;
      before = true;
      this.cb.onState({ kind: 'down', problem, retryMs: wait });
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.abort.signal.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, wait);
        this.abort.signal.addEventListener('abort', done);
      });
      wait = Math.min(this.retry.max, wait * 2);
    }
  }

  /** Ends the watch: its ssh is stopped at once, wherever it waits. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => undefined);
  }
}
