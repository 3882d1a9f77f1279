// Watches one pair's source and target and turns raw events into settled batches: bursts merged
// by coalesceEvents, a file reported only once its size and mtime stop changing. Three backends:
// on Linux, 'folders' (folderWatch.ts: a non-recursive fs.watch per folder, in a worker thread a
// side, nothing held per file), the default there; @parcel/watcher (native; on Linux one inotify
// watch per folder, but a tree of every entry held in C++), the default elsewhere; and chokidar
// (one watch and one JS listener per file), where neither is available or TANDEM_WATCHER asks
// for it. ARCHITECTURE.md has the measurements.
import { sameStat, statKey, type StatKey } from '../core/hash/hashFile.js';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { watch as chokidarWatch, type ChokidarOptions, type FSWatcher } from 'chokidar';
import type { WatcherHealth } from '../../shared/syncApi.js';
import {
  coalesceEvents,
  type Coalesced,
  type WatchEvent,
  type WatchEventKind,
} from './coalesceEvents.js';
import { STATE_DIR } from '../core/scan/walk.js';
import { countWatches, readWatchLimit, watcherHealth, watchesExhausted } from './watchLimits.js';
import { requireCjs } from '../core/runtime/requireCjs.js';
import { workerEntry } from '../core/runtime/workerEntry.js';
import { watchIgnoreRule } from './folderWatch.js';
import { osPath } from '../core/runtime/byteNames.js';
import type { FolderWatchMessage } from './folderWatchWorker.js';
import { Worker } from 'node:worker_threads';

import type { Side } from '../../shared/plan.js';

/** Settled changes on one side, merged: each path at most once (twice for a type change). */
export interface ChangeBatch {
  side: Side;
  changes: Coalesced[];
}

export interface PairWatcherEvents {
  changes: [batch: ChangeBatch];
  /** where the pair is watched, or why it is rescanned instead */
  health: [health: WatcherHealth];
  /** too much changed at once to track path by path: list the side again */
  rescan: [side: Side, reason: string];
  /** the watcher missed or may miss events: list the side again (a listener is required) */
  error: [error: Error, side: Side];
}

export interface PairWatcherOptions {
  source: string;
  /** null for a pair whose target is on another machine: only the source is watched here */
  target: string | null;
  /** the pair's ignore patterns (gitignore syntax), applied to both sides */
  ignore?: readonly string[];
  /** how long raw events gather before they are merged */
  mergeMs?: number;
  /** time between two looks at a changed file; equal looks mean it has settled */
  settleMs?: number;
  /** a side that never goes quiet still reports its settled changes this often */
  maxHoldMs?: number;
  /** pending paths per side beyond which the side is rescanned instead */
  maxPending?: number;
  /** the OS watch limit; by default readWatchLimit() (TANDEM_MAX_WATCHES overrides it) */
  limit?: number | null;
  /** which watcher: by default watcherBackend()'s */
  backend?: WatcherBackend;
  /** tests: each side's thread of folder watches, to end it as a crash would */
  onFolderThread?: (thread: Worker) => void;
  /** chokidar's watch; tests pass a fake to provoke what a real disk rarely does (implies chokidar) */
  watch?: (root: string, options: ChokidarOptions) => FSWatcher;
}

export type WatcherBackend = 'folders' | 'parcel' | 'chokidar';

/**
 * Chooses the watcher backend: TANDEM_WATCHER (folders, parcel, chokidar) overrides; on Linux
 * 'folders'; elsewhere parcel where its binary loads (fs.watch there is one watch per folder on
 * macOS's and Windows' own recursive APIs, not measured here).
 */
export const WATCHER_ENV = 'TANDEM_WATCHER';

type ParcelModule = typeof import('@parcel/watcher');
let parcelModule: ParcelModule | null | undefined;

function parcel(): ParcelModule | null {
  if (parcelModule === undefined) {
    try {
      parcelModule = requireCjs('@parcel/watcher') as ParcelModule;
    } catch {
      parcelModule = null;
    }
  }
  return parcelModule;
}

export function watcherBackend(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): WatcherBackend {
  const asked = env[WATCHER_ENV];
  if (asked === 'chokidar') return 'chokidar';
  if (asked === 'folders' || (asked !== 'parcel' && platform === 'linux')) return 'folders';
  return parcel() ? 'parcel' : 'chokidar';
}

interface WatchHandle {
  close(): Promise<void>;
}

const DEFAULTS = { mergeMs: 100, settleMs: 300, maxHoldMs: 2000, maxPending: 10_000 };

export class PairWatcher extends EventEmitter<PairWatcherEvents> {
  private readonly opts: PairWatcherOptions & typeof DEFAULTS;
  private readonly isIgnored: (rel: string, isDir: boolean) => boolean;
  private current: WatcherHealth = { mode: 'off', needed: 0, limit: null };
  private queues: SettleQueue[] = [];
  private watchers: WatchHandle[] = [];
  private readonly backend: WatcherBackend;
  private closing: Promise<void>[] = [];
  private started = false;
  private closed = false;
  /** ends start()'s wait for chokidar when the watchers go away first */
  private stopWaiting: (() => void) | null = null;

  constructor(options: PairWatcherOptions) {
    super();
    this.opts = {
      ...options,
      mergeMs: options.mergeMs ?? DEFAULTS.mergeMs,
      settleMs: options.settleMs ?? DEFAULTS.settleMs,
      maxHoldMs: options.maxHoldMs ?? DEFAULTS.maxHoldMs,
      maxPending: options.maxPending ?? DEFAULTS.maxPending,
    };
    this.backend = options.watch ? 'chokidar' : (options.backend ?? watcherBackend());
    // The same rules on both sides, as walkTree applies them: `.tandem` at a root is Tandem's own.
    this.isIgnored = watchIgnoreRule(options.ignore);
  }

  /** The current verdict: 'off' before start() and after close(). */
  get health(): WatcherHealth {
    return this.current;
  }

  /**
   * Counts the watches the pair needs and, when they fit under the OS limit, watches both roots.
   * Resolves once chokidar has read both trees; when they do not fit it resolves at once with
   * `health` in mode 'polling', and the service rescans the pair on a timer.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('PairWatcher.start() was called twice');
    this.started = true;
    const sides: Side[] = this.opts.target === null ? ['source'] : ['source', 'target'];
    const given =
      this.opts.target === null ? [this.opts.source] : [this.opts.source, this.opts.target];
    const roots = await Promise.all(
      given.map(async (root) => {
        try {
          // Chokidar lstats the root when links are not followed: a linked root must be resolved.
          return await fsp.realpath(root);
        } catch (e) {
          throw new Error(`opening ${root} to watch it`, { cause: e });
        }
      }),
    );
    const [limit, counts] = await Promise.all([
      this.opts.limit !== undefined ? this.opts.limit : readWatchLimit(),
      Promise.all(roots.map((r) => countWatches(r, this.isIgnored))),
    ]);
    if (this.closed) return;
    // chokidar watches every file as well as every folder; parcel and folders every folder only.
    const needed = counts.reduce(
      (n, c) => n + c.folders + (this.backend === 'chokidar' ? c.files : 0),
      0,
    );
    this.setHealth(watcherHealth(needed, limit));
    if (this.current.mode !== 'watching') return;

    const ready = sides.map((side, i) => this.watchSide(side, roots[i]!));
    await new Promise<void>((resolve) => {
      this.stopWaiting = resolve;
      void Promise.all(ready).then(() => resolve());
    });
    this.stopWaiting = null;
  }

  /** Stops watching; what had not settled yet is dropped (the next scan covers it). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    await Promise.all(this.closing);
    this.current = { ...this.current, mode: 'off' };
  }

  private watchSide(side: Side, root: string): Promise<void> {
    const rootSep = root.endsWith(path.sep) ? root : root + path.sep;
    const toRel = (p: string): string | null => {
      if (p === root) return '';
      if (!p.startsWith(rootSep)) return null;
      const rel = p.slice(rootSep.length);
      return path.sep === '/' ? rel : rel.split(path.sep).join('/');
    };
    const queue = new SettleQueue(root, this.opts, {
      batch: (changes) => this.emit('changes', { side, changes }),
      rescan: (reason) => this.emit('rescan', side, reason),
      error: (e) => this.emit('error', e, side),
    });
    this.queues.push(queue);
    if (this.backend === 'parcel') return this.watchSideParcel(side, root, toRel, queue);
    if (this.backend === 'folders') return this.watchSideFolders(side, root, queue);
    const watcher = (this.opts.watch ?? chokidarWatch)(root, {
      ignoreInitial: true,
      // Never follow a link: a link is an entry to sync, and what it points to is not the pair's.
      followSymlinks: false,
      // `atomic` hides names such as `notes~` and `.a.swp` from the watcher altogether, and the
      // coalescer already folds an editor's unlink+add into a change.
      atomic: false,
      // Not trusted on its own: it polls size only. SettleQueue checks size and mtime itself.
      awaitWriteFinish: false,
      ignored: (p: string, stats?: fs.Stats) => {
        const rel = toRel(p);
        return rel !== null && this.isIgnored(rel, stats?.isDirectory() ?? false);
      },
    });
    this.watchers.push(watcher);
    // Before 'ready' chokidar is still reading the tree and reports some of what was already there
    // (a symlink, despite ignoreInitial). The service's startup scan, begun after start(), covers
    // whatever really changed meanwhile.
    let ready = false;
    watcher.on('all', (kind, p) => {
      const rel = toRel(p);
      if (!ready || this.closed || rel === null || !isWatchKind(kind)) return;
      if (this.isIgnored(rel, kind === 'addDir' || kind === 'unlinkDir')) return;
      queue.push({ kind, path: rel });
    });
    watcher.on('error', (err) => this.onWatcherError(side, root, err));
    return new Promise((resolve) =>
      watcher.once('ready', () => {
        ready = true;
        resolve();
      }),
    );
  }

  /**
   * parcel names what was created, updated or deleted, not whether it is a folder: a created
   * path is looked at (lstat) to tell, a deleted one is reported as a removal (the settle look
   * says it is gone; a scan of a removed folder finds nothing below it). A path it can only name
   * as text with replacement characters (a name that is not UTF-8) cannot be looked at: the
   * change is reported on the nearest folder above it that can.
   */
  private async watchSideParcel(
    side: Side,
    root: string,
    toRel: (p: string) => string | null,
    queue: SettleQueue,
  ): Promise<void> {
    const w = parcel()!;
    const onEvents = (err: Error | null, events: { path: string; type: string }[]): void => {
      if (this.closed) return;
      if (err) return this.onWatcherError(side, root, err);
      for (const e of events) {
        let rel = toRel(e.path);
        if (rel === null) continue;
        let kind: WatchEventKind =
          e.type === 'update' ? 'change' : e.type === 'delete' ? 'unlink' : 'add';
        const cut = rel.indexOf('\ufffd');
        if (cut >= 0) {
          rel = rel.slice(0, Math.max(0, rel.lastIndexOf('/', cut)));
          kind = 'change';
        } else if (kind === 'add' && isFolder(root, rel)) kind = 'addDir';
        if (this.isIgnored(rel, kind === 'addDir')) continue;
        queue.push({ kind, path: rel });
      }
    };
    try {
      const sub = await w.subscribe(root, onEvents, { ignore: [path.join(root, STATE_DIR)] });
      if (this.closed) {
        await sub.unsubscribe();
        return;
      }
      this.watchers.push({ close: () => sub.unsubscribe() });
    } catch (e) {
      this.onWatcherError(side, root, parcelError(e));
    }
  }

  /** One worker thread a side holds its folders' watches (folderWatchWorker.ts). */
  private watchSideFolders(side: Side, root: string, queue: SettleQueue): Promise<void> {
    const { url, execArgv } = workerEntry(import.meta.url, 'folderWatchWorker');
    const worker = new Worker(url, {
      workerData: { root, ignore: [...(this.opts.ignore ?? [])] },
      execArgv,
    });
    let ended = false;
    const end = (): Promise<void> => {
      ended = true;
      return worker.terminate().then(() => undefined);
    };
    this.watchers.push({ close: end });
    this.opts.onFolderThread?.(worker);
    return new Promise<void>((resolve) => {
      worker.on('message', (m: FolderWatchMessage) => {
        if (this.closed || ended) return;
        if (m.t === 'events') for (const [kind, rel] of m.events) queue.push({ kind, path: rel });
        else if (m.t === 'ready') resolve();
        else {
          resolve();
          this.onWatcherError(side, root, Object.assign(new Error(m.message), { code: m.code }));
        }
      });
      // A thread that ends by itself took its watches with it: no event would come any more, so
      // the pair is rescanned every minute instead (as when the OS runs out of watches).
      const died = (e: unknown): void => {
        resolve();
        if (ended || this.closed) return;
        ended = true;
        if (this.current.mode === 'watching') {
          this.stopWatching();
          this.setHealth({
            ...this.current,
            mode: 'polling',
            problem: `The ${side} folder's watches stopped (${e instanceof Error ? e.message : String(e)}); Tandem rescans the pair every minute until it is restarted.`,
          });
        }
        this.onWatcherError(side, root, e);
      };
      worker.on('error', died);
      worker.on('exit', (code) => died(new Error(`the watcher's thread ended (exit ${code})`)));
    });
  }

  private onWatcherError(side: Side, root: string, err: unknown): void {
    if (this.closed) return;
    const cause = err instanceof Error ? err : new Error(String(err));
    const code = (cause as NodeJS.ErrnoException).code;
    // Out of watches, some folders would go unseen: watch nothing and rescan everything instead.
    // The health changes first, so a listener of the error already sees the pair as polled.
    if ((code === 'ENOSPC' || code === 'EMFILE') && this.current.mode === 'watching') {
      this.stopWatching();
      this.setHealth(watchesExhausted(this.current.needed, this.current.limit, code));
    }
    this.emit('error', new Error(`watching the ${side} folder ${root}`, { cause }), side);
  }

  private stopWatching(): void {
    for (const q of this.queues) q.close();
    this.queues = [];
    this.closing.push(...this.watchers.map((w) => w.close()));
    this.watchers = [];
    this.stopWaiting?.();
  }

  private setHealth(h: WatcherHealth): void {
    this.current = { ...h, backend: this.backend };
    this.emit('health', this.current);
  }
}

function isFolder(root: string, rel: string): boolean {
  try {
    return fs.lstatSync(rel ? path.join(root, rel) : root).isDirectory();
  } catch {
    return false;
  }
}

/** parcel's errors carry their errno only in the text: give them the code the health needs. */
function parcelError(e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  if (/No space left on device|ENOSPC/i.test(err.message))
    return Object.assign(err, { code: 'ENOSPC' });
  if (/Too many open files|EMFILE/i.test(err.message))
    return Object.assign(err, { code: 'EMFILE' });
  return err;
}

const WATCH_KINDS = new Set<string>(['add', 'change', 'unlink', 'addDir', 'unlinkDir']);

function isWatchKind(kind: string): kind is WatchEventKind {
  return WATCH_KINDS.has(kind);
}

/** What one lstat saw of a path: two equal looks a settle interval apart mean it holds still. */
interface Look extends StatKey {
  type: 'file' | 'dir' | 'symlink' | 'other' | 'missing' | 'unreadable';
}

interface QueueOutput {
  batch(changes: Coalesced[]): void;
  rescan(reason: string): void;
  error(e: Error): void;
}

/**
 * One side's pending changes. Raw events gather for mergeMs and are coalesced; then every changed
 * file is looked at each settleMs. The batch goes out when the side has been quiet since the last
 * look and every file looked the same twice; a side that never goes quiet (a log being written)
 * still releases its settled changes every maxHoldMs. Only ever one step runs at a time.
 */
class SettleQueue {
  private raw: WatchEvent[] = [];
  private changes: Coalesced[] = [];
  private readonly looks = new Map<string, Look>();
  /** counts raw events, so "nothing happened since the last look" is one comparison */
  private seq = 0;
  private lookedAtSeq = -1;
  private heldSince = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly t: typeof DEFAULTS,
    private readonly out: QueueOutput,
  ) {}

  push(e: WatchEvent): void {
    if (this.closed) return;
    this.raw.push(e);
    this.seq++;
    // A flood is folded as it comes, so the buffer never outgrows maxPending.
    if (this.raw.length >= this.t.maxPending) this.merge();
    this.schedule(this.t.mergeMs);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.raw = [];
    this.changes = [];
    this.looks.clear();
  }

  private schedule(ms: number): void {
    if (this.timer || this.busy || this.closed) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.timer = null;
    this.busy = true;
    try {
      await this.step();
    } catch (e) {
      this.out.error(new Error('checking whether changed files have settled', { cause: e }));
    } finally {
      this.busy = false;
    }
    if (this.raw.length || this.changes.length)
      this.schedule(this.changes.length ? this.t.settleMs : this.t.mergeMs);
  }

  private merge(): void {
    if (!this.raw.length) return;
    if (!this.changes.length) this.heldSince = Date.now();
    const arrived = this.raw;
    this.raw = [];
    this.changes = coalesceEvents(this.changes.concat(arrived));
    // A new event means the file is still moving: it needs two fresh equal looks again.
    for (const e of arrived) this.looks.delete(e.path);
    if (this.changes.length > this.t.maxPending) {
      const n = this.changes.length;
      this.changes = [];
      this.looks.clear();
      this.out.rescan(`${n.toLocaleString('en-US')} paths changed at once`);
    } else if (this.looks.size > this.changes.length) {
      // Drop looks of paths the merge swallowed (their folder went away).
      const pending = new Set(this.changes.map((c) => c.path));
      for (const p of this.looks.keys()) if (!pending.has(p)) this.looks.delete(p);
    }
  }

  private async step(): Promise<void> {
    this.merge();
    if (!this.changes.length) return;
    const sinceLastLook = this.lookedAtSeq;
    this.lookedAtSeq = this.seq;
    const files = this.changes.filter(isLooked);
    const now = await lookAll(
      this.root,
      files.map((c) => c.path),
    );
    if (this.closed) return;
    const settled = new Set<string>();
    const lookOf = new Map<string, Look>();
    files.forEach((c, i) => {
      const cur = now[i]!;
      const prev = this.looks.get(c.path);
      if (prev && sameLook(prev, cur)) settled.add(c.path);
      this.looks.set(c.path, cur);
      lookOf.set(c.path, cur);
    });
    const isSettled = (c: Coalesced): boolean => !isLooked(c) || settled.has(c.path);

    // Quiet: no event anywhere on this side since the previous look began, this step included.
    const quiet = this.seq === sinceLastLook;
    let out: Coalesced[];
    if (quiet && this.changes.every(isSettled)) {
      out = this.changes;
      this.changes = [];
    } else if (Date.now() - this.heldSince >= this.t.maxHoldMs) {
      const moving = new Set(this.raw.map((e) => e.path));
      const ready = (c: Coalesced): boolean => isSettled(c) && !moving.has(c.path);
      out = this.changes.filter(ready);
      this.changes = this.changes.filter((c) => !ready(c));
      this.heldSince = Date.now();
    } else return;
    for (const c of out) this.looks.delete(c.path);
    const batch = out.flatMap((c) => correctByLook(c, lookOf.get(c.path)));
    if (batch.length) this.out.batch(batch);
  }
}

/** Files, and paths reported gone, are looked at until they hold still; folders are not. */
function isLooked(c: Coalesced): boolean {
  return c.kind === 'add' || c.kind === 'change' || c.kind === 'unlink';
}

/**
 * The reported kind can be stale: chokidar ignores a second removal of a path within 100 ms (its
 * throttle), and a folder re-read racing a delete and re-create can miss the file coming back.
 * Two equal looks are the truth about what is at the path now.
 */
function correctByLook(c: Coalesced, look: Look | undefined): Coalesced[] {
  if (!look || look.type === 'unreadable' || look.type === 'dir') return [c];
  if (look.type === 'missing') {
    if (c.kind === 'add') return [];
    return c.kind === 'change' ? [{ kind: 'unlink', path: c.path }] : [c];
  }
  return c.kind === 'unlink' ? [{ kind: 'change', path: c.path }] : [c];
}

async function lookAll(root: string, rels: string[]): Promise<Look[]> {
  const out: Look[] = [];
  // A bounded number of lstats in flight: thousands at once would queue behind libuv's 4 threads
  // and hold thousands of promises for nothing.
  for (let i = 0; i < rels.length; i += 64) {
    const chunk = rels.slice(i, i + 64).map((rel) => look(path.join(root, rel)));
    out.push(...(await Promise.all(chunk)));
  }
  return out;
}

async function look(abs: string): Promise<Look> {
  try {
    const st = await fsp.lstat(osPath(abs)); // the name's own bytes, not its UTF-8 text
    const type = st.isFile()
      ? 'file'
      : st.isDirectory()
        ? 'dir'
        : st.isSymbolicLink()
          ? 'symlink'
          : 'other';
    return { type, ...statKey(st) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const type = code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
    return { type, size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0 };
  }
}

function sameLook(a: Look, b: Look): boolean {
  return a.type === b.type && sameStat(a, b);
}
