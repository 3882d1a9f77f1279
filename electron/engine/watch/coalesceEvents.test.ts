// Table-driven tests of coalesceEvents: each row is a burst as the watcher reports it and the
// minimal set of changes it must become.
import { describe, expect, it } from 'vitest';
import { coalesceEvents, type WatchEvent, type WatchEventKind } from './coalesceEvents.js';

/** 'add a/b' → { kind: 'add', path: 'a/b' }; a bare kind means the root (''). */
const ev = (...lines: string[]): WatchEvent[] =>
  lines.map((l) => {
    const [kind, p = ''] = l.split(' ') as [WatchEventKind, string?];
    return { kind, path: p };
  });

const tenFilesThousandWrites = Array.from({ length: 1000 }, (_, i) => `change f${i % 10}`);

/** `rm -rf d` in chokidar's order: every file, then each folder after its children. */
const removeTree = (dirs: number, files: number): string[] => {
  const out: string[] = [];
  for (let d = 0; d < dirs; d++) {
    for (let f = 0; f < files; f++) out.push(`unlink d/s${d}/f${f}`);
    out.push(`unlinkDir d/s${d}`);
  }
  out.push('unlinkDir d');
  return out;
};

const rows: [name: string, burst: string[], expected: string[]][] = [
  ['nothing stays nothing', [], []],
  ['a single add passes through', ['add a'], ['add a']],
  ['add then unlink is nothing', ['add a', 'unlink a'], []],
  ['unlink then add is a change', ['unlink a', 'add a'], ['change a']],
  ['repeated changes are one', ['change a', 'change a', 'change a'], ['change a']],
  ['a new file written again is still new', ['add a', 'change a', 'change a'], ['add a']],
  ['change then unlink is an unlink', ['change a', 'unlink a'], ['unlink a']],
  ['unlink, add, unlink is an unlink', ['unlink a', 'add a', 'unlink a'], ['unlink a']],
  ['add, unlink, add is an add', ['add a', 'unlink a', 'add a'], ['add a']],
  [
    'a new folder keeps its new files',
    ['addDir d', 'add d/x', 'change d/x', 'add d/y'],
    ['addDir d', 'add d/x', 'add d/y'],
  ],
  [
    'a folder removal swallows the events below it (chokidar order)',
    ['add d/x', 'change d/x', 'unlink d/x', 'unlink d/y', 'unlinkDir d/e', 'unlinkDir d'],
    ['unlinkDir d'],
  ],
  [
    'a removal reported after its folder’s removal is dropped',
    ['unlinkDir d', 'unlink d/x', 'unlinkDir d/e', 'unlink d/e/f'],
    ['unlinkDir d'],
  ],
  ['a folder made and removed is nothing', ['addDir d', 'add d/x', 'unlinkDir d'], []],
  [
    'a folder removed and made again keeps both, then its new files',
    ['change d/old', 'unlinkDir d', 'addDir d', 'add d/x'],
    ['unlinkDir d', 'addDir d', 'add d/x'],
  ],
  [
    'an addition after a folder’s removal is kept (the folder may be back)',
    ['unlinkDir a', 'add a/b/c'],
    ['unlinkDir a', 'add a/b/c'],
  ],
  ['a file replaced by a folder', ['unlink f', 'addDir f'], ['unlink f', 'addDir f']],
  ['a folder replaced by a file', ['unlinkDir f', 'add f'], ['unlinkDir f', 'add f']],
  [
    'a new file replaced by a folder is a new folder',
    ['add f', 'unlink f', 'addDir f'],
    ['addDir f'],
  ],
  [
    'a sibling sharing the prefix is not below the folder',
    ['change dd/x', 'change d.txt', 'unlinkDir d'],
    ['change dd/x', 'change d.txt', 'unlinkDir d'],
  ],
  [
    'each path keeps the place where it first appeared',
    ['change b', 'change a', 'change b', 'add c'],
    ['change b', 'change a', 'add c'],
  ],
  [
    'the root removed swallows everything before it',
    ['change a', 'unlink b/c', 'unlinkDir'],
    ['unlinkDir'],
  ],
  [
    '1,000 writes to 10 files are 10 changes',
    tenFilesThousandWrites,
    Array.from({ length: 10 }, (_, i) => `change f${i}`),
  ],
  [
    'removing a tree of 20 folders and 1,000 files is one removal',
    removeTree(20, 50),
    ['unlinkDir d'],
  ],
];

const show = (cs: WatchEvent[]): string[] =>
  cs.map((c) => (c.path ? `${c.kind} ${c.path}` : c.kind));

describe('coalesceEvents', () => {
  it.each(rows)('%s', (_name, burst, expected) => {
    expect(show(coalesceEvents(ev(...burst)))).toEqual(expected);
  });

  // The watcher merges a burst incrementally (what is pending plus what just arrived); that must
  // give what merging the whole burst at once gives, wherever the burst is split.
  it.each(rows.filter(([, burst]) => burst.length <= 50))(
    'merging in two steps gives the same: %s',
    (_name, burst, expected) => {
      const all = ev(...burst);
      for (let k = 0; k <= all.length; k++) {
        const stepwise = coalesceEvents([...coalesceEvents(all.slice(0, k)), ...all.slice(k)]);
        expect(show(stepwise), `split at ${k}`).toEqual(expected);
      }
    },
  );

  // How fast is bench:watchers' to say (no timing is asserted in a test): here, that a flood of
  // 100,000 events merges into what it means.
  it('merges a burst of 100,000 events into the 11 changes they add up to', () => {
    const burst = ev(...removeTree(200, 499), ...tenFilesThousandWrites);
    expect(burst.length).toBe(101_001);
    expect(coalesceEvents(burst)).toHaveLength(11);
  });
});
