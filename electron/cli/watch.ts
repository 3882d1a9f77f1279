// `tandem watch SOURCE TARGET [--auto]`: runs the sync service for one pair in the terminal and
// prints a status line for everything that happens, until Ctrl-C.
import type { SyncEvent } from '../shared/syncApi.js';
import { SyncService } from '../engine/service/syncService.js';
import { createWatcherFactory } from '../engine/service/watcherFactory.js';
import { formatBytes } from '../shared/format.js';
import { formatItem, showPath } from './format.js';
import type { LogLevel } from '../engine/service/logFile.js';
import { remoteTargetOf } from '../engine/pair/pair.js';

export interface WatchIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

function stamp(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** Runs until `stop` resolves (SIGINT/SIGTERM in the real CLI). Returns the exit code. */
export async function runWatch(
  source: string,
  target: string,
  auto: boolean,
  io: WatchIo,
  stop: Promise<void>,
  home?: string,
  logLevel?: LogLevel,
  /** a target on another machine: the ssh command and the far side's tandem (-e, --remote-tandem) */
  remote?: { rsh?: string; remoteTandem?: string },
): Promise<number> {
  const service = new SyncService({
    ...(home ? { home } : {}),
    ...(logLevel ? { logLevel } : {}),
    watcherFactory: createWatcherFactory(),
  });
  let lastStatusLine = '';
  // A pair's notices hold in its status while they are true; each is printed once.
  const noted = new Set<string>();
  // The first scan runs while the watcher starts, so what changed meanwhile is seen by neither;
  // once a scan that began with the watcher up has ended, every change is seen: said once, as
  // "watching: in sync" (or "watching: N changes pending").
  let scannedWatching = false;
  const pull = remoteTargetOf(source) !== null;
  let readySaid = false;
  service.on((e: SyncEvent) => {
    if (e.type === 'pairStatus')
      for (const n of e.status.notices ?? [])
        if (!noted.has(n)) {
          noted.add(n);
          io.out(`${stamp()} note: ${n}`);
        }
    const line = describeEvent(e);
    if (e.type === 'pairStatus' && !readySaid) {
      const { state, watcher } = e.status;
      // A far source is not watched from here: its pair is ready once a comparison has ended.
      if (
        state === 'scanning' &&
        (watcher.mode === 'watching' || (pull && watcher.mode === 'polling'))
      )
        scannedWatching = true;
      else if (scannedWatching && line && (state === 'inSync' || state === 'pending')) {
        readySaid = true;
        lastStatusLine = line;
        io.out(`${stamp()} ${pull ? 'compared every minute' : 'watching'}: ${line}`);
        return;
      }
    }
    if (!line) return;
    // A status line is printed when it says something new (rescans repeat "in sync").
    if (e.type === 'pairStatus') {
      if (line === lastStatusLine) return;
      lastStatusLine = line;
    }
    io.out(`${stamp()} ${line}`);
  });
  const r = await service.watchPair(
    { source, target, ...remote },
    auto ? { autoApprove: true, autoApproveDeletes: false } : null,
  );
  if (!r.ok) {
    io.err(`tandem: ${r.error.message}`);
    await service.stop();
    return 2;
  }
  io.out(
    `${stamp()} watching ${r.value.source} -> ${r.value.target}${auto ? ' (auto-approve: changes apply as they settle; deletions and conflicts wait)' : ' (changes are listed; apply them with tandem sync, or watch with --auto)'}`,
  );
  // The service's timers do not hold the process open; this does, until Ctrl-C.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await stop;
  clearInterval(keepAlive);
  await service.stop();
  io.out(`${stamp()} stopped`);
  return 0;
}

function describeEvent(e: SyncEvent): string | null {
  switch (e.type) {
    case 'pairStatus': {
      const s = e.status;
      if (s.state === 'inSync') return 'in sync';
      if (s.state === 'pending')
        return `${s.pending} change${s.pending === 1 ? '' : 's'} pending${s.conflicts ? `, ${s.conflicts} need${s.conflicts === 1 ? 's' : ''} a person` : ''}`;
      if (s.state === 'paused') return 'paused';
      if (s.state === 'error') return `error: ${s.lastError ?? 'unknown'}`;
      return null;
    }
    case 'pendingChanged': {
      if (e.added.length === 0) return null;
      const shown = e.added
        .slice(0, 10)
        .map(
          (p) => `  ${formatItem(p)}${p.needsPerson && !p.conflict ? `  (${p.needsPerson})` : ''}`,
        );
      if (e.addedCount > shown.length) shown.push(`  … and ${e.addedCount - shown.length} more`);
      return `pending:\n${shown.join('\n')}`;
    }
    case 'applied':
      if (e.result.applied === 0 && e.result.failed.length === 0 && !e.result.stopped) return null;
      return `applied ${e.result.applied} change${e.result.applied === 1 ? '' : 's'}, wrote ${formatBytes(e.result.bytesWritten)}${e.result.failed.length ? `; ${e.result.failed.length} failed: ${e.result.failed.map((f) => `${showPath(f.path)}: ${f.message}`).join('; ')}` : ''}${e.result.stopped ? `; stopped: ${e.result.stopped}` : ''}`;
    case 'error':
      return `problem: ${e.message}`;
    case 'watcherHealth':
      return e.health.problem ? `watcher: ${e.health.problem}` : null;
    case 'settingsChanged':
      return e.settings.pausedAll ? 'all pairs paused' : 'all pairs resumed';
    case 'progress':
    case 'pairsChanged':
      return null;
    default: {
      const never: never = e;
      return String(never);
    }
  }
}
