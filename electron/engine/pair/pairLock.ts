// One writer per pair: a lock in TARGET/.tandem naming its holder's pid, host and start time. A
// lock is stale only when its pid is gone on this host; a lock from another host is never broken.
//
// The lock is a folder, `lock/`, holding one entry named for its holder and this acquisition
// (`<pid>-<random>`). It is built complete under a name of its own and renamed into place, which
// succeeds only where no lock (or an empty folder) is: a live lock is never empty. Taking over a
// stale lock removes only the entry that was judged stale, by its unique name, so a process that
// judged a lock stale and then lost a race removes nothing (ENOENT) and finds the new lock busy.
// Removing the lock's path instead (rename or unlink of `lock`) would remove whatever lock is
// there by then: another process's fresh one. An OS lock (flock) would need a native addon and is
// unreliable on network filesystems, where this needs only an atomic rename. Every step goes
// through the target's door, like any other write in `.tandem/`.
import crypto from 'node:crypto';
import os from 'node:os';
import { STATE_DIR } from '../core/scan/walk.js';
import { readAll, writeAll, type TargetFs } from '../core/target/targetFs.js';

export class PairBusyError extends Error {
  constructor(
    readonly pid: number,
    readonly host: string,
  ) {
    super(host === os.hostname() ? `pair busy (pid ${pid})` : `pair busy (pid ${pid} on ${host})`);
  }
}

interface LockInfo {
  pid: number;
  host: string;
  started: number;
}

export interface PairLockOptions {
  /** test hook: runs after a lock was judged stale, before it is taken over */
  onStaleJudged?: () => void;
}

/** Whether a process of this host is alive (EPERM: it is, but belongs to another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readText(t: TargetFs, rel: string): string {
  const f = t.openRead(rel);
  try {
    const size = f.stat().size;
    const buf = Buffer.alloc(size);
    return buf.subarray(0, readAll(f, buf, size, 0)).toString('utf8');
  } finally {
    f.close();
  }
}

function readInfo(t: TargetFs, rel: string): LockInfo | null {
  try {
    const info = JSON.parse(readText(t, rel)) as LockInfo;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? info : null;
  } catch {
    return null;
  }
}

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** What is at the lock's path now. */
type Found =
  | { kind: 'none' }
  | { kind: 'empty' }
  | { kind: 'entry'; name: string; info: LockInfo | null }
  /** a lock file written by a Tandem from before the lock was a folder */
  | { kind: 'file'; info: LockInfo | null; content: string };

function inspect(t: TargetFs): Found {
  let names: string[];
  try {
    names = t.readdir(LOCK);
  } catch (e) {
    if (code(e) === 'ENOENT') return { kind: 'none' };
    if (code(e) !== 'ENOTDIR') throw e;
    let content: string;
    try {
      content = readText(t, LOCK);
    } catch (e2) {
      if (code(e2) === 'ENOENT') return { kind: 'none' };
      throw e2;
    }
    let info: LockInfo | null = null;
    try {
      info = JSON.parse(content) as LockInfo;
    } catch {
      /* torn by a crash */
    }
    return { kind: 'file', info, content };
  }
  const name = names[0];
  if (name === undefined) return { kind: 'empty' };
  return { kind: 'entry', name, info: readInfo(t, `${LOCK}/${name}`) };
}

const LOCK = `${STATE_DIR}/lock`;

/**
 * Takes the pair's lock in the target's `.tandem/` (which must exist) or throws PairBusyError.
 * Returns the release function.
 */
export function acquirePairLock(t: TargetFs, opts: PairLockOptions = {}): () => void {
  const me: LockInfo = { pid: process.pid, host: os.hostname(), started: Date.now() };
  const entry = `${me.pid}-${crypto.randomBytes(6).toString('hex')}`;
  const aside = `${STATE_DIR}/lock.${entry}`;
  t.mkdir(aside, 0o700);
  try {
    const f = t.create(`${aside}/${entry}`, 0o600);
    try {
      writeAll(f, Buffer.from(JSON.stringify(me)), 0);
    } finally {
      f.close();
    }
    let last: Found = { kind: 'none' };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        t.rename(aside, LOCK);
      } catch (e) {
        if (!['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EPERM', 'EISDIR'].includes(code(e) ?? '')) throw e;
      }
      // Read back either way: over NFS a retried rename can report a failure that took place.
      last = inspect(t);
      if (last.kind === 'entry' && last.name === entry) return releaser(t, entry);
      if (last.kind === 'none') continue;
      if (last.kind === 'empty') {
        // Left by a release or a crash between its two steps; an rmdir never removes a lock
        // with an entry in it, so this cannot remove one that was just taken.
        rmdirQuiet(t, LOCK);
        continue;
      }
      const held = last.info;
      if (held && (held.host !== me.host || alive(held.pid)))
        throw new PairBusyError(held.pid, held.host);
      // Stale (its process is gone) or unreadable (torn by a crash): take it over.
      opts.onStaleJudged?.();
      if (last.kind === 'entry') {
        // Only the entry judged: if another process took the lock meanwhile, its entry has
        // another name and this removes nothing.
        unlinkQuiet(t, `${LOCK}/${last.name}`);
      } else {
        // A lock file of an older Tandem. unlink cannot remove a folder, so a lock taken
        // meanwhile in this format is safe; the content check leaves only old Tandems racing.
        const now = inspect(t);
        if (now.kind === 'file' && now.content === last.content) unlinkQuiet(t, LOCK);
      }
    }
    const held = last.kind === 'entry' || last.kind === 'file' ? last.info : null;
    throw new PairBusyError(held?.pid ?? 0, held?.host ?? me.host);
  } finally {
    // Still here unless renamed into place: this acquisition's own folder, nobody else's.
    unlinkQuiet(t, `${aside}/${entry}`);
    rmdirQuiet(t, aside);
  }
}

function releaser(t: TargetFs, entry: string): () => void {
  return () => {
    unlinkQuiet(t, `${LOCK}/${entry}`);
    rmdirQuiet(t, LOCK);
  };
}

function unlinkQuiet(t: TargetFs, rel: string): void {
  try {
    t.unlink(rel);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw e;
  }
}

function rmdirQuiet(t: TargetFs, rel: string): void {
  try {
    t.rmdir(rel);
  } catch (e) {
    // ENOTEMPTY/EEXIST: another process took the lock in between, and keeps it.
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(code(e) ?? '')) throw e;
  }
}
