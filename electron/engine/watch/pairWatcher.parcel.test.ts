// PairWatcher's @parcel/watcher backend (the default off Linux), on real temp folders, and the
// rules it shares with the folder watches (pairWatcher.folders.test.ts has their own): edits, new and removed
// folders reach it; `.tandem`, ignored paths and what a link points to never do; it holds one
// inotify watch per folder (not per file) and gives them back; a change under a name that is not
// UTF-8 is reported on the nearest folder that can be named.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairWatcher, watcherBackend, type PairWatcherOptions } from './pairWatcher.js';
import { MAX_WATCHES_ENV } from './watchLimits.js';
import { inotifyWatches } from '../../testing/inotifyWatches.js';
import { Recorder, show, startRecorded } from '../../testing/watchRecorder.js';
import { makeSandbox, putFile, type Sandbox } from '../../testing/sandbox.js';

let sb: Sandbox;
let src: string;
let dst: string;
let watchers: PairWatcher[] = [];

beforeEach(() => {
  sb = makeSandbox('parcel');
  src = sb.source;
  dst = sb.target;
});
afterEach(async () => {
  await Promise.all(watchers.map((w) => w.close()));
  watchers = [];
  sb.cleanup();
});

const put = (base: string, rel: string, data: string | Buffer = rel): void =>
  void putFile(base, rel, data);

const startWatcher = (opts: Partial<PairWatcherOptions> = {}) =>
  startRecorded({ source: src, target: dst, limit: null, backend: 'parcel', ...opts }, watchers);

describe('PairWatcher with @parcel/watcher', () => {
  it('is the default off Linux where its binary loads; TANDEM_WATCHER chooses any of the three', () => {
    expect(watcherBackend({}, 'darwin')).toBe('parcel');
    expect(watcherBackend({}, 'linux')).toBe('folders');
    expect(watcherBackend({ TANDEM_WATCHER: 'parcel' }, 'linux')).toBe('parcel');
    expect(watcherBackend({ TANDEM_WATCHER: 'folders' }, 'win32')).toBe('folders');
    expect(watcherBackend({ TANDEM_WATCHER: 'chokidar' }, 'linux')).toBe('chokidar');
  });

  it('reports an edit on the side it happened, and a new folder and its removal', async () => {
    put(src, 'a.txt', 'old');
    put(dst, 'b.txt', 'old');
    const { w, rec } = await startWatcher();
    // One watch per folder: the two roots.
    expect(w.health).toMatchObject({ mode: 'watching', needed: 2, limit: null });
    fs.writeFileSync(path.join(src, 'a.txt'), 'new');
    expect(show(await rec.batchWith('source', 'a.txt'))).toEqual(['change a.txt']);
    fs.writeFileSync(path.join(dst, 'b.txt'), 'edited on the target');
    expect(show(await rec.batchWith('target', 'b.txt'))).toEqual(['change b.txt']);
    // A new folder is named as a folder (what is inside it is the scan's to find).
    put(src, 'd/e/y.txt');
    expect(show(await rec.batchWith('source', 'd'))).toContain('addDir d');
    fs.rmSync(path.join(src, 'd'), { recursive: true });
    await rec.until('the removal', () => rec.on('source').flat().includes('unlink d'));
    expect(rec.errors).toEqual([]);
  });

  it('reports a change under a name that is not UTF-8 on the nearest folder it can name', async () => {
    fs.mkdirSync(path.join(src, 'photos'));
    fs.mkdirSync(Buffer.from(`${src}/photos/caf\xe9`, 'latin1'));
    const { rec } = await startWatcher();
    fs.writeFileSync(Buffer.from(`${src}/photos/caf\xe9/new.jpg`, 'latin1'), 'x');
    expect(show(await rec.batchWith('source', 'photos'))).toEqual(['change photos']);
    fs.writeFileSync(Buffer.from(`${src}/\xff.txt`, 'latin1'), 'x');
    expect(show(await rec.batchWith('source', ''))).toEqual(['change ']);
  });
});

// What both native backends (one inotify watch per folder) must do alike.
describe.each(['parcel', 'folders'] as const)(
  'PairWatcher with %s: the shared rules',
  (backend) => {
    it('never reports the .tandem folder at a root, ignored paths, or what a link points to', async () => {
      put(dst, '.tandem/lock', 'pid');
      put(src, 'build/old.js');
      const outside = sb.outside;
      put(outside, 'o.txt');
      fs.symlinkSync(outside, path.join(src, 'link'));
      const { w, rec } = await startRecorded(
        { source: src, target: dst, limit: null, backend, ignore: ['*.log', 'build/'] },
        watchers,
      );
      // Neither .tandem nor the ignored folder nor the link's far end is watched.
      expect(w.health.needed).toBe(2);
      put(dst, '.tandem/journal', 'entry');
      fs.writeFileSync(path.join(dst, '.tandem/lock'), 'pid 2');
      put(src, 'x.log');
      put(src, 'build/new.js');
      fs.writeFileSync(path.join(outside, 'o.txt'), 'changed outside');
      fs.mkdirSync(path.join(dst, 'sub'));
      await rec.batchWith('target', 'sub');
      put(dst, 'sub/.tandem', 'below the root it is an ordinary name');
      await rec.batchWith('target', 'sub/.tandem');
      put(src, 'sentinel.txt');
      await rec.batchWith('source', 'sentinel.txt');
      const all = rec.batches.flatMap((b) => b.changes.map((c) => `${b.side} ${c.path}`));
      expect(all.filter((p) => / \.tandem|\.log|build|o\.txt/.test(p))).toEqual([]);
    });

    it.runIf(process.platform === 'linux')(
      'holds one inotify watch per folder, not per file, and gives them all back on close',
      async () => {
        for (let i = 0; i < 300; i++) put(src, `d${i % 3}/f${i}.txt`);
        put(dst, 'e/g.txt');
        const before = inotifyWatches();
        const { w } = await startRecorded(
          { source: src, target: dst, limit: null, backend },
          watchers,
        );
        expect(w.health.needed).toBe(1 + 3 + 1 + 1);
        expect(inotifyWatches() - before).toBe(w.health.needed);
        await w.close();
        expect(inotifyWatches()).toBe(before);
        expect(w.health.mode).toBe('off');
      },
    );

    it('does not watch a pair whose folders are over the limit: it reports polling with the fix', async () => {
      for (let i = 0; i < 20; i++) put(src, `d${i}/f.txt`);
      const saved = process.env[MAX_WATCHES_ENV];
      process.env[MAX_WATCHES_ENV] = '10';
      try {
        const w = new PairWatcher({ source: src, target: dst, backend });
        watchers.push(w);
        new Recorder(w);
        await w.start();
        expect(w.health).toMatchObject({ mode: 'polling', needed: 22, limit: 10 });
        expect(w.health.problem).toContain('This pair needs 22 watches but Linux allows 10');
        expect(inotifyWatches()).toBe(0);
      } finally {
        if (saved === undefined) delete process.env[MAX_WATCHES_ENV];
        else process.env[MAX_WATCHES_ENV] = saved;
      }
    });
  },
);
