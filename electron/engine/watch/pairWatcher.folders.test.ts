// PairWatcher's 'folders' backend (the default on Linux: a non-recursive fs.watch per folder, one
// worker thread a side), on real temp folders: edits on each side; a new folder and what is
// written in it at once; a moved folder watched at its new path and no longer at its old; a
// folder replaced by a file; the root's own change; names that are not UTF-8 reported as
// themselves (the engine's byte-exact names), not as their folder. What it shares with parcel
// (`.tandem` and ignored paths never reported, a watch per folder, the limit) is tested for both
// in pairWatcher.parcel.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairWatcher, type PairWatcherOptions } from './pairWatcher.js';
import { decodeName } from '../core/runtime/byteNames.js';
import { inotifyWatches } from '../../testing/inotifyWatches.js';
import { Recorder, show, startRecorded } from '../../testing/watchRecorder.js';
import { makeSandbox, putFile, type Sandbox } from '../../testing/sandbox.js';

let sb: Sandbox;
let src: string;
let dst: string;
let watchers: PairWatcher[] = [];

beforeEach(() => {
  sb = makeSandbox('folders');
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
  startRecorded({ source: src, target: dst, limit: null, backend: 'folders', ...opts }, watchers);

/** Every path the side's batches named, in order. */
const seen = (rec: Recorder, side: 'source' | 'target'): string[] => rec.on(side).flat();

describe.runIf(process.platform === 'linux')('PairWatcher with folder watches', () => {
  it('reports an edit on the side it happened, a new folder with what was written in it, and its removal', async () => {
    put(src, 'a.txt', 'old');
    put(dst, 'b.txt', 'old');
    const { w, rec } = await startWatcher();
    expect(w.health).toMatchObject({
      mode: 'watching',
      needed: 2,
      limit: null,
      backend: 'folders',
    });
    fs.writeFileSync(path.join(src, 'a.txt'), 'new');
    expect(show(await rec.batchWith('source', 'a.txt'))).toEqual(['change a.txt']);
    fs.writeFileSync(path.join(dst, 'b.txt'), 'edited on the target');
    expect(show(await rec.batchWith('target', 'b.txt'))).toEqual(['change b.txt']);
    // A new folder is named as a folder; a file written in it once it is watched is named too.
    put(src, 'd/e/y.txt');
    expect(show(await rec.batchWith('source', 'd'))).toContain('addDir d');
    put(src, 'd/e/later.txt');
    expect(show(await rec.batchWith('source', 'd/e/later.txt'))).toEqual(['add d/e/later.txt']);
    fs.rmSync(path.join(src, 'd'), { recursive: true });
    await rec.until('the removal', () => seen(rec, 'source').includes('unlinkDir d'));
    expect(rec.errors).toEqual([]);
  });

  it('follows a moved folder: events come under its new path, and none under its old', async () => {
    put(src, 'old/deep/f.txt', 'v1');
    const { w, rec } = await startWatcher();
    expect(w.health.needed).toBe(1 + 2 + 1);
    fs.renameSync(path.join(src, 'old'), path.join(src, 'new'));
    await rec.until('the move', () => {
      const s = seen(rec, 'source');
      return s.includes('unlinkDir old') && s.includes('addDir new');
    });
    fs.writeFileSync(path.join(src, 'new/deep/f.txt'), 'v2');
    expect(show(await rec.batchWith('source', 'new/deep/f.txt'))).toEqual([
      'change new/deep/f.txt',
    ]);
    expect(seen(rec, 'source').filter((p) => p.includes('old/'))).toEqual([]);
    // The old path holds no watch any more: the moved folders are watched once, at their new path.
    const before = inotifyWatches();
    fs.rmSync(path.join(src, 'new'), { recursive: true });
    await rec.until('the removal', () => seen(rec, 'source').includes('unlinkDir new'));
    expect(inotifyWatches()).toBe(before - 2);
  });

  it('reports a folder replaced by a file as both, and watches a file replaced by a folder', async () => {
    put(src, 'x/inner.txt');
    put(src, 'y', 'a file');
    const { rec } = await startWatcher();
    fs.rmSync(path.join(src, 'x'), { recursive: true });
    fs.writeFileSync(path.join(src, 'x'), 'now a file');
    // Merged, a folder's removal and a file's creation at one path may come as one change.
    await rec.until('x as a file', () => seen(rec, 'source').some((e) => / x$/.test(e)));
    fs.rmSync(path.join(src, 'y'));
    put(src, 'y/z.txt');
    await rec.until('y as a folder', () => seen(rec, 'source').includes('addDir y'));
    fs.writeFileSync(path.join(src, 'y/z.txt'), 'edited');
    await rec.until('the edit inside y', () => seen(rec, 'source').includes('change y/z.txt'));
    expect(rec.errors).toEqual([]);
  });

  it('names an entry that is not UTF-8 by its own bytes, in a folder that is not UTF-8 either', async () => {
    fs.mkdirSync(path.join(src, 'photos'));
    const cafe = Buffer.from(`${src}/photos/caf\xe9`, 'latin1');
    fs.mkdirSync(cafe);
    const { rec } = await startWatcher();
    fs.writeFileSync(Buffer.from(`${src}/photos/caf\xe9/new\xff.jpg`, 'latin1'), 'x');
    const want = `photos/${decodeName(Buffer.from('caf\xe9', 'latin1'))}/${decodeName(Buffer.from('new\xff.jpg', 'latin1'))}`;
    expect(show(await rec.batchWith('source', want))).toEqual([`add ${want}`]);
  });

  it('reports a change of the root folder itself', async () => {
    const { rec } = await startWatcher();
    fs.chmodSync(src, 0o700);
    await rec.until('the root', () =>
      rec.batches.some((b) => b.side === 'source' && b.changes.some((c) => c.path === '')),
    );
  });

  it("rescans the pair every minute once a side's thread of watches ends by itself", async () => {
    const threads: { terminate(): Promise<number> }[] = [];
    const { w, rec } = await startWatcher({ onFolderThread: (t) => threads.push(t) });
    expect(threads).toHaveLength(2);
    const health: string[] = [];
    w.on('health', (h) => health.push(h.mode));
    await threads[1]!.terminate();
    await rec.until('the error', () => rec.errors.length > 0);
    expect(health).toEqual(['polling']);
    expect(w.health.problem).toMatch(/^The target folder's watches stopped/);
    expect(rec.errors[0]!.message).toContain('watching the target folder');
  });
});
