// How many watches a pair needs and how many the OS allows, and what to tell the user when they do
// not fit: a pair that cannot be watched whole is rescanned on a timer instead, never half-watched.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { WatcherHealth } from '../../shared/syncApi.js';

/** Overrides the OS limit (tests, or a user who knows better). */
export const MAX_WATCHES_ENV = 'TANDEM_MAX_WATCHES';
/** Editors, IDEs and file managers share the same per-user limit: leave them a tenth. */
export const WATCH_SHARE = 0.9;
/** How often a pair that cannot be watched is rescanned: the service's timer and the message. */
export const RESCAN_INTERVAL_MS = 60_000;
const RESCAN_PHRASE = 'every minute';
const INOTIFY_LIMIT_FILE = '/proc/sys/fs/inotify/max_user_watches';
/** What to suggest at least: the default on recent kernels with enough memory. */
const MIN_SUGGESTED_LIMIT = 524_288;

export interface WatchLimitSource {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** the file holding the inotify limit */
  file?: string;
}

/**
 * The OS limit on watches: inotify's max_user_watches on Linux, null where there is no such limit
 * (macOS and Windows watch folder trees with one handle) or where it cannot be read.
 */
export async function readWatchLimit(src: WatchLimitSource = {}): Promise<number | null> {
  const override = parseCount((src.env ?? process.env)[MAX_WATCHES_ENV]);
  if (override !== null) return override;
  if ((src.platform ?? process.platform) !== 'linux') return null;
  try {
    return parseCount(await fsp.readFile(src.file ?? INOTIFY_LIMIT_FILE, 'utf8'));
  } catch {
    return null;
  }
}

function parseCount(text: string | undefined): number | null {
  const t = text?.trim();
  return t && /^\d+$/.test(t) ? Number(t) : null;
}

/** The watches Tandem allows itself under a limit. */
export function watchBudget(limit: number): number {
  return Math.floor(limit * WATCH_SHARE);
}

/**
 * The watcher's health for a pair that needs `needed` watches under `limit`. `mode` is what the
 * pair asks for: 'watching' degrades to 'polling', with the fix in `problem`, when it does not fit.
 */
export function watcherHealth(
  needed: number,
  limit: number | null,
  mode: WatcherHealth['mode'] = 'watching',
): WatcherHealth {
  if (mode !== 'watching' || limit === null || needed <= watchBudget(limit))
    return { mode, needed, limit };
  const problem =
    `This pair needs ${fmt(needed)} watches but Linux allows ${fmt(limit)} for all programs ` +
    `together and Tandem uses at most ${Math.round(WATCH_SHARE * 100)}% of them; ` +
    `${raiseLimit(needed)} Until then Tandem rescans this pair ${RESCAN_PHRASE}.`;
  return { mode: 'polling', needed, limit, problem };
}

/**
 * The health after the OS refused a watch while starting (ENOSPC: other programs took the
 * watches counted as free; EMFILE: out of file descriptors where each watch holds one).
 */
export function watchesExhausted(
  needed: number,
  limit: number | null,
  code: 'ENOSPC' | 'EMFILE',
): WatcherHealth {
  const fix =
    code === 'ENOSPC'
      ? `Linux ran out of file watches while Tandem was watching this pair (it needs ` +
        `${fmt(needed)}; other programs use them too); ${raiseLimit(needed)}`
      : `The system ran out of open files while Tandem was watching this pair (it needs ` +
        `${fmt(needed)} watches); close programs that watch many files or raise the open-file ` +
        `limit (ulimit -n).`;
  return {
    mode: 'polling',
    needed,
    limit,
    problem: `${fix} Until then Tandem rescans this pair ${RESCAN_PHRASE}.`,
  };
}

function raiseLimit(needed: number): string {
  // A power of two with room for the pair under Tandem's share, never below the modern default.
  let suggested = MIN_SUGGESTED_LIMIT;
  while (watchBudget(suggested) < needed) suggested *= 2;
  return (
    `raise the limit with: echo fs.inotify.max_user_watches=${suggested} | ` +
    `sudo tee /etc/sysctl.d/90-tandem.conf && sudo sysctl --system.`
  );
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export interface WatchCount {
  folders: number;
  files: number;
}

/**
 * Counts what chokidar will watch under `root`: one watch per folder and one per file (it watches
 * files one by one to see writes); symlinks are never followed, so they cost nothing. Reads
 * folders only (no per-file stat) and holds at most a queue of folder paths, however big the tree.
 * `isIgnored(rel, isDir)` takes the '/'-separated path relative to the root.
 */
export async function countWatches(
  root: string,
  isIgnored: (rel: string, isDir: boolean) => boolean = () => false,
): Promise<WatchCount> {
  const count: WatchCount = { folders: 1, files: 0 };
  const queue: string[] = [''];
  // One folder at a time, read through opendir: memory stays at one batch of entries even for a
  // folder of a million files, and 221 folders with 20,000 files still take about 45 ms warm.
  for (let rel = queue.pop(); rel !== undefined; rel = queue.pop()) {
    let dir;
    try {
      dir = await fsp.opendir(rel ? path.join(root, rel) : root, { bufferSize: 256 });
    } catch (e) {
      // An unreadable subfolder cannot be watched either; only the root must be readable.
      if (rel === '') throw new Error(`counting the folders to watch in ${root}`, { cause: e });
      continue;
    }
    try {
      for await (const d of dir) {
        const childRel = rel ? `${rel}/${d.name}` : d.name;
        if (d.isDirectory()) {
          if (isIgnored(childRel, true)) continue;
          count.folders++;
          queue.push(childRel);
        } else if (d.isFile() && !isIgnored(childRel, false)) count.files++;
      }
    } catch {
      // A folder that vanishes while it is read holds nothing left to watch.
    }
  }
  return count;
}
