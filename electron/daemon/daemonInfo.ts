// One daemon per state folder: `daemon.json` says which process serves it and where, so a second
// `tandem serve` (or `npm start`) points at the running one instead of watching every pair twice.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface DaemonInfo {
  pid: number;
  port: number;
  host: string;
  startedAt: number;
}

const infoFile = (home: string) => path.join(home, 'daemon.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The daemon serving this state folder, if one is running on this host. */
export function runningDaemon(home: string): DaemonInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(infoFile(home), 'utf8')) as DaemonInfo;
    if (info.host === os.hostname() && info.pid !== process.pid && alive(info.pid)) return info;
  } catch {
    /* none recorded */
  }
  return null;
}

export function recordDaemon(home: string, port: number): void {
  const info: DaemonInfo = { pid: process.pid, port, host: os.hostname(), startedAt: Date.now() };
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(infoFile(home), JSON.stringify(info) + '\n', { mode: 0o600 });
}

export function forgetDaemon(home: string): void {
  try {
    const info = JSON.parse(fs.readFileSync(infoFile(home), 'utf8')) as DaemonInfo;
    if (info.pid === process.pid) fs.rmSync(infoFile(home));
  } catch {
    /* already gone */
  }
}
