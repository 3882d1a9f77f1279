// The sync service behind every front: the Electron main process, the daemon and `tandem watch`
// all run this one class. It implements the SyncApi contract (errors as data) and pushes
// SyncEvents to its listeners.
import { nativeListerStatus } from '../core/scan/nativeLister.js';
import type { ApplyResult, ConflictResolution } from '../../shared/plan.js';
import type {
  AboutInfo,
  AddPairInput,
  FolderListing,
  PairCheck,
  ApiError,
  ApprovalPolicy,
  HistoryEntry,
  LogTail,
  PairConfig,
  PairSettings,
  PairStatus,
  PendingPage,
  PendingQuery,
  Result,
  Selection,
  SelectionOutcome,
  ShownChange,
  ServiceSettings,
  SyncApi,
  SyncEvent,
  VersionInfo,
  WatcherHealth,
} from '../../shared/syncApi.js';
import { SchemeError } from '../core/hash/hashScheme.js';
import { appVersion } from '../core/runtime/appVersion.js';
import { browseFolder } from './folderBrowser.js';
import { RefusalError, remoteTargetOf, tandemHome } from '../pair/pair.js';
import { PairBusyError } from '../pair/pairLock.js';
import { isRemoteTarget, PairRegistry, pairPathsOf } from './pairRegistry.js';

import { PairRunner, type WatcherFactory } from './pairRunner.js';
import { listVersions, restoreVersion } from '../core/target/versionRestore.js';
import { InvalidInputError, parseSelection } from './selection.js';
import { DEFAULT_LOG_LEVEL, logFile, readLogTail, type LogLevel } from './logFile.js';
import { createServiceLog, type Logger } from './serviceLog.js';
import { isTargetChanged, targetChangedSentence } from './targetRefusal.js';

export type SyncListener = (e: SyncEvent) => void;

/** "node 20.20.2, electron 38.1.0": what the engine runs on. */
function runtime(): string {
  return Object.entries({ node: process.versions.node, electron: process.versions.electron })
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

export interface ServiceOptions {
  home?: string;
  watcherFactory?: WatcherFactory | null;
  threads?: number;
  /** how often a pair that cannot be watched is rescanned (default a minute) */
  pollMs?: number;
  /** a pull pair waits at least this many times its last comparison's length (default 20) */
  pullDuty?: number;
  /** tests: the backoff between tries of a far source's watch (default 5 s doubling to 5 min) */
  farWatchRetry?: { first: number; max: number };
  /** how long a source file must be unmodified before it is synced (default 1 s) */
  quietMs?: number;
  /** what the log in $home/logs records (default info) */
  logLevel?: LogLevel;
  /** a logger to use instead of the log file (tests) */
  log?: Logger;
}

function toError(e: unknown): ApiError {
  if (isTargetChanged(e)) return { code: 'refused', message: targetChangedSentence(e) };
  if (e instanceof RefusalError || e instanceof SchemeError)
    return { code: 'refused', message: e.message };
  if (e instanceof PairBusyError)
    return { code: 'busy', message: `${e.message}; try again in a moment` };
  if (e instanceof InvalidInputError) return { code: 'invalid', message: e.message };
  return { code: 'failed', message: (e as Error)?.message ?? String(e) };
}

const RESOLUTIONS: readonly ConflictResolution[] = ['keepA', 'keepB', 'keepBoth'];

async function wrap<T>(fn: () => T | Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, error: toError(e) };
  }
}

export class SyncService implements SyncApi {
  readonly home: string;
  private readonly registry: PairRegistry;
  private readonly runners = new Map<string, PairRunner>();
  private readonly listeners = new Set<SyncListener>();
  private readonly watcherFactory: WatcherFactory | null;
  private readonly threads: number | undefined;
  private readonly pollMs: number | undefined;
  private readonly pullDuty: number | undefined;
  private readonly farWatchRetry: { first: number; max: number } | undefined;
  private readonly quietMs: number | undefined;
  private readonly log: Logger;
  private readonly closeLog: () => void;

  constructor(opts: ServiceOptions = {}) {
    this.home = opts.home ?? tandemHome();
    if (opts.log) {
      this.log = opts.log;
      this.closeLog = () => undefined;
    } else {
      const log = createServiceLog(this.home, opts.logLevel ?? DEFAULT_LOG_LEVEL);
      this.log = log.logger;
      this.closeLog = log.close;
    }
    this.registry = new PairRegistry(this.home);
    this.watcherFactory = opts.watcherFactory ?? null;
    this.threads = opts.threads;
    this.pollMs = opts.pollMs;
    this.pullDuty = opts.pullDuty;
    this.farWatchRetry = opts.farWatchRetry;
    this.quietMs = opts.quietMs;
  }

  on(listener: SyncListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit = (e: SyncEvent): void => {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a failing listener must not stop the others or the service */
      }
    }
  };

  /** Starts a runner for every registered pair. */
  async start(): Promise<void> {
    const pairs = this.registry.list();
    this.log.info(
      {
        version: appVersion(),
        home: this.home,
        pairs: pairs.length,
        runtime: runtime(),
        // whether folders are listed by the addon (native/lister), and if not, why
        folderLister: nativeListerStatus().reason,
      },
      'service started',
    );
    for (const p of pairs) this.startRunner(p);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
    this.log.info('service stopped');
    this.closeLog();
  }

  /**
   * Registers a pair (if new) and runs just that pair in this process, optionally with a policy
   * that holds for this run only (`tandem watch --auto`).
   */
  watchPair(
    input: AddPairInput,
    policy: Partial<ApprovalPolicy> | null,
  ): Promise<Result<PairConfig>> {
    return wrap(async () => {
      const p = this.registry.add(input, 'remembered');
      const cfg = policy ? { ...p, paused: false, policy: { ...p.policy, ...policy } } : p;
      // `tandem watch` says "watching" only once edits are really being watched.
      if (!this.runners.has(p.id)) await this.startRunner(cfg).watcherReady;
      return cfg;
    });
  }

  /** Starts a pair's runner; its first scan and its watcher start in the background. */
  private startRunner(p: PairConfig): PairRunner {
    const settings = this.registry.settings();
    const cfg = settings.pausedAll ? { ...p, paused: true } : p;
    const r = new PairRunner(cfg, {
      home: this.home,
      emit: this.emit,
      log: this.log.child({ pair: p.id }),
      watcherFactory: this.watcherFactory,
      ...(this.threads !== undefined ? { threads: this.threads } : {}),
      ...(this.pollMs !== undefined ? { pollMs: this.pollMs } : {}),
      ...(this.pullDuty !== undefined ? { pullDuty: this.pullDuty } : {}),
      ...(this.farWatchRetry ? { farWatchRetry: this.farWatchRetry } : {}),
      ...(this.quietMs !== undefined ? { quietMs: this.quietMs } : {}),
    });
    this.runners.set(p.id, r);
    r.start();
    return r;
  }

  private runner(pairId: string): PairRunner {
    const r = this.runners.get(pairId);
    if (!r) throw new RefusalError(`no pair with id ${pairId}`);
    return r;
  }

  private pairsChanged(): void {
    this.emit({ type: 'pairsChanged', pairs: this.registry.list() });
  }

  listPairs(): Promise<Result<PairConfig[]>> {
    return wrap(() => this.registry.list());
  }

  addPair(input: AddPairInput): Promise<Result<PairConfig>> {
    return wrap(async () => {
      const p = this.registry.add(input);
      if (!this.runners.has(p.id)) {
        this.log.info({ pair: p.id, source: p.source, target: p.target }, 'pair added');
        this.startRunner(p);
      }
      this.pairsChanged();
      return p;
    });
  }

  updatePair(pairId: string, patch: Partial<PairSettings>): Promise<Result<PairConfig>> {
    return wrap(async () => {
      const p = this.registry.update(pairId, patch);
      await this.runner(pairId).reconfigure(p);
      this.pairsChanged();
      return p;
    });
  }

  removePair(pairId: string): Promise<Result<null>> {
    return wrap(async () => {
      const r = this.runners.get(pairId);
      if (!this.registry.remove(pairId)) throw new RefusalError(`no pair with id ${pairId}`);
      this.runners.delete(pairId);
      await r?.stop();
      this.log.info({ pair: pairId }, 'pair removed');
      this.pairsChanged();
      return null;
    });
  }

  pausePair(pairId: string, paused: boolean): Promise<Result<PairConfig>> {
    return wrap(async () => {
      const p = this.registry.update(pairId, { paused } as Partial<PairSettings>);
      this.log.info({ pair: pairId }, paused ? 'pair paused' : 'pair resumed');
      await this.runner(pairId).reconfigure(p);
      this.pairsChanged();
      return p;
    });
  }

  scanNow(pairId: string): Promise<Result<PairStatus>> {
    return wrap(async () => {
      const r = this.runner(pairId);
      await r.requestCycle(false);
      return { ...r.status };
    });
  }

  syncNow(pairId: string): Promise<Result<ApplyResult>> {
    return wrap(() => this.runner(pairId).syncNow());
  }

  confirmTarget(pairId: string): Promise<Result<PairStatus>> {
    return wrap(async () => {
      const r = this.runner(pairId);
      await r.confirmTargetFolder();
      return { ...r.status };
    });
  }

  status(): Promise<Result<PairStatus[]>> {
    return wrap(() => [...this.runners.values()].map((r) => ({ ...r.status })));
  }

  listPending(query: PendingQuery): Promise<Result<PendingPage>> {
    return wrap(() => this.runner(query.pairId).pending().query(query));
  }

  approve(sel: Selection): Promise<Result<SelectionOutcome>> {
    return wrap(() => {
      const s = parseSelection(sel);
      return this.runner(s.pairId).approve(s);
    });
  }

  reject(sel: Selection): Promise<Result<SelectionOutcome>> {
    return wrap(() => {
      const s = parseSelection(sel);
      return this.runner(s.pairId).reject(s);
    });
  }

  resolveConflict(
    pairId: string,
    change: ShownChange,
    resolution: ConflictResolution,
  ): Promise<Result<null>> {
    return wrap(() => {
      if (typeof change?.path !== 'string' || typeof change.rev !== 'string')
        throw new InvalidInputError('a conflict is named by its path and rev, as it was shown');
      if (!RESOLUTIONS.includes(resolution))
        throw new InvalidInputError(
          `a conflict is resolved by keepA, keepB or keepBoth (got ${String(resolution)})`,
        );
      this.runner(pairId).resolveConflict({ path: change.path, rev: change.rev }, resolution);
      return null;
    });
  }

  setPolicy(pairId: string, policy: ApprovalPolicy): Promise<Result<PairConfig>> {
    return this.updatePair(pairId, { policy });
  }

  listHistory(pairId: string, offset = 0, limit = 200): Promise<Result<HistoryEntry[]>> {
    return wrap(() => this.runner(pairId).pending().history.list(offset, limit));
  }

  listVersions(pairId: string, rel: string): Promise<Result<VersionInfo[]>> {
    return wrap(async () => {
      const r = this.runner(pairId);
      // A push's versions are on the far side: listed there, over the pair's own ssh.
      if (isRemoteTarget(r.pair.target))
        return (await r.remoteVersions(rel)).map((v) => ({ ...v, pairId }));
      const b = listVersions(r.pair.target, rel).map((v) => ({ ...v, pairId }));
      if (r.pair.mode !== 'twoWay') return b;
      // Both sides of a two-way pair are written, so each keeps versions: newest first, each
      // with the side whose store holds it.
      const a = listVersions(r.pair.source, rel).map((v) => ({ ...v, pairId }));
      return [
        ...a.map((v) => ({ ...v, side: 'source' as const })),
        ...b.map((v) => ({ ...v, side: 'target' as const })),
      ].sort((x, y) => y.time - x.time);
    });
  }

  restoreVersion(
    pairId: string,
    rel: string,
    run: string,
    stored: string,
    side?: 'source' | 'target',
  ): Promise<Result<null>> {
    return wrap(async () => {
      const r = this.runner(pairId);
      if (side !== undefined && side !== 'source' && side !== 'target')
        throw new InvalidInputError(
          `side must be 'source' or 'target', not ${JSON.stringify(side)}`,
        );
      if (side === 'source' && r.pair.mode !== 'twoWay')
        throw new RefusalError(
          'only a two-way pair keeps versions on its source: a one-way pair never writes there',
        );
      await r.restore(rel, run, stored, (o) => restoreVersion(o), side ?? 'target');
      return null;
    });
  }

  watcherHealth(pairId: string): Promise<Result<WatcherHealth>> {
    return wrap(() => ({ ...this.runner(pairId).status.watcher }));
  }

  getSettings(): Promise<Result<ServiceSettings>> {
    return wrap(() => this.registry.settings());
  }

  updateSettings(patch: Partial<ServiceSettings>): Promise<Result<ServiceSettings>> {
    return wrap(async () => {
      const s = this.registry.updateSettings(patch);
      this.log.info({ settings: s }, 'settings changed');
      this.emit({ type: 'settingsChanged', settings: s });
      if (patch.pausedAll !== undefined) {
        for (const p of this.registry.list())
          await this.runner(p.id).reconfigure(s.pausedAll ? { ...p, paused: true } : p);
      }
      return s;
    });
  }

  checkPair(source: string, target: string): Promise<Result<PairCheck>> {
    return wrap(() => {
      const p = pairPathsOf(source, target).paths;
      return { source: p.source, target: p.target, targetExists: p.targetExists };
    });
  }

  browseFolder(dir: string | null): Promise<Result<FolderListing>> {
    return wrap(async () => {
      // An address (host:/path) is listed on that machine, through the user's own ssh.
      const where = dir === null ? null : remoteTargetOf(dir.trim());
      if (!where) return browseFolder(dir);
      const { browseRemote } = await import('../remote/remoteBrowse.js');
      return browseRemote(where, { version: appVersion() });
    });
  }

  about(): Promise<Result<AboutInfo>> {
    return wrap(() => ({
      version: appVersion(),
      home: this.home,
      platform: `${process.platform} ${process.arch}`,
      runtime: runtime(),
    }));
  }

  logTail(lines = 200): Promise<Result<LogTail>> {
    return wrap(() => {
      const file = logFile(this.home);
      return { path: file, lines: readLogTail(file, Math.max(0, Math.min(lines, 1_000))) };
    });
  }
}
