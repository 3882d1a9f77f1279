// The inotify watches a process holds, counted from /proc: what a watcher really costs (each
// watch is kernel memory, and fs.inotify.max_user_watches caps them for the whole user).
import fs from 'node:fs';

/** inotify watches process `pid` holds (this process by default): one `inotify wd:` line each. */
export function inotifyWatches(pid: number | 'self' = 'self'): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (!fs.readlinkSync(`/proc/${pid}/fd/${fd}`).includes('inotify')) continue;
      n +=
        fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm)?.length ?? 0;
    } catch {
      // an fd closed while we looked
    }
  }
  return n;
}
