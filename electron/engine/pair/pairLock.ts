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
// unreliable on network filesystems, where this needs only an atomic rename.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

function readInfo(file: string): LockInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
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

function inspect(lock: string): Found {
  let names: string[];
  try {
    names = fs.readdirSync(lock);
  } catch (e) {
    if (code(e) === 'ENOENT') return { kind: 'none' };
    if (code(e) !== 'ENOTDIR') throw e;
    let content: string;
    try {
      content = fs.readFileSync(lock, 'utf8');
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
  return { kind: 'entry', name, info: readInfo(path.join(lock, name)) };
}

/** Takes the lock or throws PairBusyError. Returns the release function. */
export function acquirePairLock(stateDir: string, opts: PairLockOptions = {}): () => void {
  const lock = path.join(stateDir, 'lock');
  const me: LockInfo = { pid: process.pid, host: os.hostname(), started: Date.now() };
  const entry = `${me.pid}-${crypto.randomBytes(6).toString('hex')}`;
  const aside = path.join(stateDir, `lock.${entry}`);
  fs.mkdirSync(aside);
  try {
    fs.writeFileSync(path.join(aside, entry), JSON.stringify(me));
    let last: Found = { kind: 'none' };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.renameSync(aside, lock);
      } catch (e) {
        if (!['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EPERM', 'EISDIR'].includes(code(e) ?? '')) throw e;
      }
      // Read back either way: over NFS a retried rename can report a failure that took place.
      last = inspect(lock);
      if (last.kind === 'entry' && last.name === entry) return releaser(lock, entry);
      if (last.kind === 'none') continue;
      if (last.kind === 'empty') {
        // Left by a release or a crash between its two steps; an rmdir never removes a lock
        // with an entry in it, so this cannot remove one that was just taken.
        rmdirQuiet(lock);
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
        unlinkQuiet(path.join(lock, last.name));
      } else {
        // A lock file of an older Tandem. unlink cannot remove a folder, so a lock taken
        // meanwhile in this format is safe; the content check leaves only old Tandems racing.
        const now = inspect(lock);
        if (now.kind === 'file' && now.content === last.content) unlinkQuiet(lock);
      }
    }
    const held = last.kind === 'entry' || last.kind === 'file' ? last.info : null;
    throw new PairBusyError(held?.pid ?? 0, held?.host ?? me.host);
  } finally {
    fs.rmSync(aside, { recursive: true, force: true });
  }
}

function releaser(lock: string, entry: string): () => void {
  return () => {
    unlinkQuiet(path.join(lock, entry));
    rmdirQuiet(lock);
  };
}

function unlinkQuiet(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw e;
  }
}

function rmdirQuiet(p: string): void {
  try {
    fs.rmdirSync(p);
  } catch (e) {
    // ENOTEMPTY/EEXIST: another process took the lock in between, and keeps it.
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(code(e) ?? '')) throw e;
  }
}
