// One live service per state folder: `service.json` says which process runs the pairs (the
// daemon, with its port, or the desktop app), so a second `tandem serve`, `npm start` or app
// launch points at the running one instead of watching and syncing every pair twice.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive } from '../pair/pairLock.js';

export interface ServiceOwner {
  kind: 'daemon' | 'app';
  pid: number;
  host: string;
  /** the daemon's port; null for the app */
  port: number | null;
  startedAt: number;
}

const ownerFile = (home: string) => path.join(home, 'service.json');

/** The other process that runs this state folder's service on this host, if one is alive. */
export function runningOwner(home: string): ServiceOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(ownerFile(home), 'utf8')) as ServiceOwner;
    if (o.host === os.hostname() && o.pid !== process.pid && alive(o.pid)) return o;
  } catch {
    /* none recorded */
  }
  return null;
}

export function claimOwner(home: string, kind: ServiceOwner['kind'], port: number | null): void {
  const o: ServiceOwner = {
    kind,
    pid: process.pid,
    host: os.hostname(),
    port,
    startedAt: Date.now(),
  };
  fs.mkdirSync(home, { recursive: true });
  const tmp = `${ownerFile(home)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(o) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, ownerFile(home));
}

export function releaseOwner(home: string): void {
  try {
    const o = JSON.parse(fs.readFileSync(ownerFile(home), 'utf8')) as ServiceOwner;
    if (o.pid === process.pid) fs.rmSync(ownerFile(home));
  } catch {
    /* already gone */
  }
}

/** A sentence for a refused start: who runs the pairs now and what to do. */
export function ownerSentence(o: ServiceOwner, url: string | null): string {
  return o.kind === 'daemon'
    ? `a Tandem daemon (pid ${o.pid}) already serves this state folder at ${url}; open that link, or stop it first`
    : `the Tandem app (pid ${o.pid}) is running and already syncs these pairs; use its window, or quit it first`;
}
