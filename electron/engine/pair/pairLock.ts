// One writer per pair: a lock file in TARGET/.tandem holding pid, host and start time. A lock is
// stale only when its pid is gone on this host; a lock from another host is never broken.
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

/** Whether a process of this host is alive (EPERM: it is, but belongs to another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

/** Takes the lock or throws PairBusyError. Returns the release function. */
export function acquirePairLock(stateDir: string): () => void {
  const file = path.join(stateDir, 'lock');
  const me: LockInfo = { pid: process.pid, host: os.hostname(), started: Date.now() };
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written aside and linked into place, so the lock never exists half-written.
    const mine = `${file}.${process.pid}`;
    fs.writeFileSync(mine, JSON.stringify(me));
    try {
      fs.linkSync(mine, file);
      fs.rmSync(mine, { force: true });
      const check = readLock(file);
      if (check?.pid === me.pid && check.host === me.host) {
        return () => {
          const cur = readLock(file);
          if (cur?.pid === me.pid && cur.host === me.host) fs.rmSync(file, { force: true });
        };
      }
    } catch (e) {
      fs.rmSync(mine, { force: true });
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = readLock(file);
    if (held && (held.host !== me.host || alive(held.pid)))
      throw new PairBusyError(held.pid, held.host);
    // Stale (its process is gone) or unreadable (torn by a crash before this format): take it over.
    const aside = `${file}.stale.${process.pid}`;
    try {
      fs.renameSync(file, aside);
      fs.rmSync(aside, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const held = readLock(file);
  throw new PairBusyError(held?.pid ?? 0, held?.host ?? os.hostname());
}
