// `tandem watch` in-process: a notice about the whole pair (owners that only root may give) is
// printed once, though every cycle's status carries it while it holds.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { IdentifierIndex } from '../engine/core/index/identifierIndex.js';
import { indexFileOf, resolvePair } from '../engine/pair/pair.js';
import { makeSandbox, type Sandbox } from '../testing/sandbox.js';
import { runWatch } from './watch.js';

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox('watch-notices');
});
afterEach(() => {
  vi.restoreAllMocks();
  sb.cleanup();
});

it.skipIf(process.getuid?.() !== 0)(
  'prints "owners are not kept" once for a pair that keeps owners, run by a user who is not root (needs root to make such files)',
  async () => {
    fs.writeFileSync(path.join(sb.source, 'a.txt'), 'alpha');
    fs.chownSync(path.join(sb.source, 'a.txt'), 65534, 65534);
    // `tandem sync --owner` left this in the pair's index; watching keeps it.
    fs.mkdirSync(path.join(sb.home, 'pairs'));
    const index = new IdentifierIndex(indexFileOf(sb.home, resolvePair(sb.source, sb.target).key));
    index.setMeta('owners', '1');
    index.close();
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const lines: string[] = [];
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((r) => (stop = r));
    let inSync: () => void = () => undefined;
    const synced = new Promise<void>((r) => (inSync = r));
    const io = {
      out: (s: string) => {
        lines.push(s);
        if (/ in sync$/.test(s)) inSync();
      },
      err: (s: string) => lines.push(s),
    };
    const done = runWatch(sb.source, sb.target, true, io, stopped, sb.home);
    await Promise.race([synced, done]);
    stop();
    expect(await done).toBe(0);
    // Every status after the first scan carries the notice (scanning, syncing, in sync): once.
    const notes = lines.filter((l) => / note: /.test(l));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/note: owners are not kept: 1 entry has another owner or group/);
  },
);
