// Tells a crash test when an apply has begun on a target: a new temp file, version or journal in
// its `.tandem/`. Scanning, hashing (and for a remote pair the descent and the transfer) come
// before; the apply is the part where a kill can leave a file between its old and new content,
// and its window is narrower than the jitter between runs.
import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from './sandbox.js';

/** A check that turns true once something new is in `target`'s temp, version or journal folder. */
export function applyProbe(target: string): () => boolean {
  const dir = path.join(target, STATE_DIR);
  const names = (): string[] =>
    ['tmp', 'versions', 'journal'].flatMap((d) => {
      try {
        return fs.readdirSync(path.join(dir, d)).map((n) => `${d}/${n}`);
      } catch {
        return [];
      }
    });
  const before = new Set(names());
  return () => names().some((n) => !before.has(n));
}
