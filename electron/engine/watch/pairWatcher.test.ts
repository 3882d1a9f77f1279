// Integration tests of PairWatcher's chokidar backend on real temp folders: batches come once
// files settle, bursts are merged, and nothing from `.tandem`, ignored paths or links leaks in.
// The parcel backend (the default) has its own file, pairWatcher.parcel.test.ts; the settling
// logic both share is driven here by a fake chokidar.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FSWatcher } from 'chokidar';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PairWatcher, type PairWatcherOptions } from './pairWatcher.js';
import type { Side } from '../../shared/plan.js';
import type { WatchEventKind } from './coalesceEvents.js';
import { MAX_WATCHES_ENV } from './watchLimits.js';
import { inotifyWatches } from '../../testing/inotifyWatches.js';
import { Recorder, show, startRecorded } from '../../testing/watchRecorder.js';

let root: string;
let src: string;
let dst: string;
let watchers: PairWatcher[] = [];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-watch-'));
  src = path.join(root, 'src');
  dst = path.join(root, 'dst');
  fs.mkdirSync(src);
  fs.mkdirSync(dst);
});
afterEach(async () => {
  await Promise.all(watchers.map((w) => w.close()));
  watchers = [];
  fs.rmSync(root, { recursive: true, force: true });
});

const put = (base: string, rel: string, data: string | Buffer = rel): void => {
  fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
  fs.writeFileSync(path.join(base, rel), data);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const startWatcher = (opts: Partial<PairWatcherOptions> = {}) =>
  startRecorded({ source: src, target: dst, limit: null, backend: 'chokidar', ...opts }, watchers);

describe('PairWatcher', () => {
  it('reports an edit once the file settles, on the side it happened', async () => {
    put(src, 'a.txt', 'old');
    put(dst, 'b.txt', 'old');
    const { w, rec } = await startWatcher();
    expect(w.health).toMatchObject({ mode: 'watching', needed: 4, limit: null });
    fs.writeFileSync(path.join(src, 'a.txt'), 'new');
    const b = await rec.batchWith('source', 'a.txt');
    expect(show(b)).toEqual(['change a.txt']);
    fs.writeFileSync(path.join(dst, 'b.txt'), 'edited on the target');
    expect(show(await rec.batchWith('target', 'b.txt'))).toEqual(['change b.txt']);
    expect(rec.batches).toHaveLength(2);
    expect(rec.errors).toEqual([]);
  });

  it('merges a burst of 1,000 writes to 10 files into one batch of 10 changes', async () => {
    for (let i = 0; i < 10; i++) put(src, `f${i}.txt`, 'start');
    const { rec } = await startWatcher();
    for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(src, `f${i % 10}.txt`), `write ${i}`);
    const burst = await rec.batchWith('source', 'f0.txt');
    expect(show(burst)).toEqual(Array.from({ length: 10 }, (_, i) => `change f${i}.txt`));
    // Anything left over from the burst would arrive before, or with, a later sentinel's batch.
    put(src, 'sentinel.txt');
    await rec.batchWith('source', 'sentinel.txt');
    expect(rec.on('source')).toEqual([show(burst), ['add sentinel.txt']]);
  });

  it('reports a slowly written file only after its last write, with its final content', async () => {
    const { w, rec } = await startWatcher();
    const file = path.join(src, 'slow.bin');
    let contentWhenReported: string | null = null;
    w.once('changes', () => {
      contentWhenReported = fs.readFileSync(file, 'utf8');
    });
    // A chunk every 200 ms for 2 s: each gap is shorter than the settle interval.
    let expected = '';
    let lastWrite = 0;
    for (let i = 0; i <= 10; i++) {
      const chunk = `chunk ${i} `.padEnd(4096, '.');
      fs.appendFileSync(file, chunk);
      expected += chunk;
      lastWrite = performance.now();
      expect(rec.batches, `reported while still being written (after chunk ${i})`).toEqual([]);
      if (i < 10) await sleep(200);
    }
    const b = await rec.batchWith('source', 'slow.bin');
    expect(rec.on('source')).toEqual([['add slow.bin']]);
    expect(b.at).toBeGreaterThan(lastWrite);
    expect(contentWhenReported).toBe(expected);
  });

  it('reports a quick unlink and re-create as a change, a slow one as unlink then add', async () => {
    put(src, 'a.txt', 'one');
    put(src, 'b.txt', 'one');
    const { rec } = await startWatcher();
    fs.unlinkSync(path.join(src, 'a.txt'));
    fs.writeFileSync(path.join(src, 'a.txt'), 'two');
    expect(show(await rec.batchWith('source', 'a.txt'))).toEqual(['change a.txt']);

    fs.unlinkSync(path.join(src, 'b.txt'));
    const gone = await rec.batchWith('source', 'b.txt');
    expect(show(gone)).toEqual(['unlink b.txt']);
    fs.writeFileSync(path.join(src, 'b.txt'), 'three');
    await rec.until('b.txt back', () => rec.on('source').length === 3);
    expect(rec.on('source')).toEqual([['change a.txt'], ['unlink b.txt'], ['add b.txt']]);
  });

  it('reports a new folder with its files, and its removal as one change', async () => {
    const { rec } = await startWatcher();
    put(src, 'd/x.txt');
    put(src, 'd/e/y.txt');
    await rec.batchWith('source', 'd/e/y.txt');
    await rec.until('the whole folder', () => rec.on('source').flat().length === 4);
    expect(rec.on('source').flat().sort()).toEqual([
      'add d/e/y.txt',
      'add d/x.txt',
      'addDir d',
      'addDir d/e',
    ]);
    const before = rec.batches.length;
    fs.rmSync(path.join(src, 'd'), { recursive: true });
    await rec.until('the removal', () => rec.batches.length > before);
    expect(rec.on('source').at(-1)).toEqual(['unlinkDir d']);
  });

  it('never reports events in the .tandem folder at a root', async () => {
    put(dst, '.tandem/lock', 'pid');
    put(src, '.tandem/notes');
    const { w, rec } = await startWatcher();
    // Tandem's own folder is not counted: 2 roots only.
    expect(w.health.needed).toBe(2);
    put(dst, '.tandem/journal', 'entry');
    put(dst, '.tandem/tmp/t1', 'temp');
    fs.writeFileSync(path.join(dst, '.tandem/lock'), 'pid 2');
    fs.rmSync(path.join(dst, '.tandem/tmp'), { recursive: true });
    put(src, '.tandem/notes', 'changed');
    put(dst, 'sub/.tandem/kept', 'below the root it is an ordinary name');
    await rec.batchWith('target', 'sub/.tandem/kept');
    put(dst, 'sentinel.txt');
    put(src, 'sentinel.txt');
    await rec.batchWith('target', 'sentinel.txt');
    await rec.batchWith('source', 'sentinel.txt');
    const all = rec.batches.flatMap((b) => b.changes.map((c) => c.path));
    expect(all.filter((p) => p.startsWith('.tandem'))).toEqual([]);
    expect(all).toContain('sub/.tandem/kept');
  });

  it('never reports ignored paths, on either side', async () => {
    put(src, 'build/old.js');
    const { w, rec } = await startWatcher({ ignore: ['*.log', 'build/', 'cache'] });
    expect(w.health.needed).toBe(2);
    put(src, 'x.log');
    put(src, 'sub/y.log');
    put(src, 'build/new.js');
    put(src, 'cache/a/b');
    put(dst, 'z.log');
    put(dst, 'build/out.js');
    put(src, 'keep.txt');
    put(dst, 'keep.txt');
    await rec.batchWith('source', 'keep.txt');
    await rec.batchWith('target', 'keep.txt');
    put(src, 'sentinel.txt');
    await rec.batchWith('source', 'sentinel.txt');
    expect(rec.on('source').flat().sort()).toEqual([
      'add keep.txt',
      'add sentinel.txt',
      'addDir sub',
    ]);
    expect(rec.on('target').flat()).toEqual(['add keep.txt']);
  });

  it('never follows a symlink to a folder outside the pair', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-watch-outside-'));
    try {
      put(outside, 'o.txt');
      fs.symlinkSync(outside, path.join(src, 'link'));
      const { w, rec } = await startWatcher();
      expect(w.health.needed).toBe(2);
      fs.writeFileSync(path.join(outside, 'o.txt'), 'changed outside');
      put(outside, 'sub/new.txt');
      fs.symlinkSync(outside, path.join(src, 'link2'));
      // The new link is an entry of the pair; what it points to is not.
      expect(show(await rec.batchWith('source', 'link2'))).toEqual(['add link2']);
      put(outside, 'after-link2.txt');
      fs.writeFileSync(path.join(outside, 'o.txt'), 'changed again');
      put(src, 'sentinel.txt');
      await rec.batchWith('source', 'sentinel.txt');
      expect(rec.on('source')).toEqual([['add link2'], ['add sentinel.txt']]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it.runIf(process.platform === 'linux')(
    'counts exactly the inotify watches chokidar takes, and gives them all back on close',
    async () => {
      for (let i = 0; i < 30; i++) put(src, `d${i % 3}/f${i}.txt`);
      put(dst, 'e/g.txt');
      fs.symlinkSync(src, path.join(dst, 'link'));
      const before = inotifyWatches();
      const { w } = await startWatcher();
      expect(w.health.needed).toBe(1 + 3 + 30 + 1 + 1 + 1);
      expect(inotifyWatches() - before).toBe(w.health.needed);
      await w.close();
      expect(inotifyWatches()).toBe(before);
      expect(w.health.mode).toBe('off');
    },
  );

  it('does not watch a pair over the limit: it reports polling with the fix instead', async () => {
    for (let i = 0; i < 20; i++) put(src, `f${i}.txt`);
    const saved = process.env[MAX_WATCHES_ENV];
    process.env[MAX_WATCHES_ENV] = '10';
    try {
      const w = new PairWatcher({ source: src, target: dst, backend: 'chokidar' });
      watchers.push(w);
      const rec = new Recorder(w);
      const health: unknown[] = [];
      w.on('health', (h) => health.push(h));
      const before = process.platform === 'linux' ? inotifyWatches() : 0;
      await w.start();
      expect(w.health).toMatchObject({ mode: 'polling', needed: 22, limit: 10 });
      expect(w.health.problem).toContain('This pair needs 22 watches but Linux allows 10');
      expect(health).toEqual([w.health]);
      if (process.platform === 'linux') expect(inotifyWatches()).toBe(before);
      // Proving silence needs a wait: long enough for a settled batch to have arrived.
      put(src, 'new.txt');
      await sleep(1000);
      expect(rec.batches).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env[MAX_WATCHES_ENV];
      else process.env[MAX_WATCHES_ENV] = saved;
    }
  });

  it('asks for a rescan instead of tracking more paths than maxPending', async () => {
    const { rec } = await startWatcher({ maxPending: 20 });
    for (let i = 0; i < 30; i++) put(src, `f${i}.txt`);
    await rec.until('a rescan', () => rec.rescans.length > 0);
    expect(rec.rescans).toEqual(['source']);
    put(src, 'sentinel.txt');
    await rec.batchWith('source', 'sentinel.txt');
    // Whatever was dropped is the rescan's to find: far fewer than 30 paths came one by one.
    expect(rec.batches.flatMap((b) => b.changes).length).toBeLessThan(20);
  });

  describe('when the OS runs out of watches', () => {
    const enospc = (): NodeJS.ErrnoException =>
      Object.assign(new Error('watch ENOSPC'), { code: 'ENOSPC' });

    /** chokidar's own class with no paths: it emits only what the test makes it emit. */
    const fakeWatch = (
      fakes: FSWatcher[],
      readyFor: Side[],
      onBoth: () => void = () => {},
    ): PairWatcherOptions['watch'] => {
      return (_root, options) => {
        const f = new FSWatcher(options);
        const side: Side = fakes.length === 0 ? 'source' : 'target';
        fakes.push(f);
        if (readyFor.includes(side)) setImmediate(() => f.emit('ready'));
        if (fakes.length === 2) setImmediate(onBoth);
        return f;
      };
    };

    it('stops watching, reports polling with the fix, and reports the error', async () => {
      const fakes: FSWatcher[] = [];
      const { w, rec } = await startWatcher({
        limit: 100_000,
        watch: fakeWatch(fakes, ['source', 'target']),
      });
      expect(w.health.mode).toBe('watching');
      const health: unknown[] = [];
      w.on('health', (h) => health.push(h));
      fakes[1]!.emit('error', enospc());
      expect(rec.errors).toHaveLength(1);
      expect(rec.errors[0]!.message).toBe(`watching the target folder ${fs.realpathSync(dst)}`);
      expect((rec.errors[0]!.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
      expect(w.health).toMatchObject({ mode: 'polling', needed: 2, limit: 100_000 });
      expect(w.health.problem).toContain('Linux ran out of file watches');
      expect(health).toEqual([w.health]);
      expect(fakes.every((f) => f.closed)).toBe(true);
    });

    it('does not hang start() when it happens before chokidar is ready', async () => {
      const fakes: FSWatcher[] = [];
      let both!: () => void;
      const bothMade = new Promise<void>((r) => (both = r));
      const w = new PairWatcher({
        source: src,
        target: dst,
        limit: null,
        watch: fakeWatch(fakes, ['source'], both),
      });
      watchers.push(w);
      new Recorder(w);
      const started = w.start();
      await bothMade;
      fakes[1]!.emit('error', enospc());
      await started;
      expect(w.health.mode).toBe('polling');
    });
  });

  describe('settling, driven by a fake watcher', () => {
    /** A pair whose source watcher emits only what the test tells it to. */
    async function fakePair(
      opts: Partial<PairWatcherOptions> = {},
    ): Promise<{ rec: Recorder; emit: (kind: WatchEventKind, rel: string) => void }> {
      const fakes: FSWatcher[] = [];
      const { rec } = await startWatcher({
        watch: (_root, options) => {
          const f = new FSWatcher(options);
          fakes.push(f);
          setImmediate(() => f.emit('ready'));
          return f;
        },
        ...opts,
      });
      const srcReal = fs.realpathSync(src);
      return { rec, emit: (kind, rel) => fakes[0]!.emit('all', kind, path.join(srcReal, rel)) };
    }

    it('trusts what is on disk over a stale kind once the path holds still', async () => {
      put(src, 'back.txt');
      const { rec, emit } = await fakePair();
      emit('unlink', 'back.txt'); // the file came back, but its add was missed
      emit('change', 'gone.txt'); // removed, but the unlink was missed
      emit('add', 'ghost.txt'); // created and removed, the unlink missed
      emit('unlink', 'really-gone.txt');
      emit('unlinkDir', 'some-dir');
      const b = await rec.batchWith('source', 'back.txt');
      expect(show(b)).toEqual([
        'change back.txt',
        'unlink gone.txt',
        'unlink really-gone.txt',
        'unlinkDir some-dir',
      ]);
    });

    it('waits for size and mtime to hold still, even when the watcher reports nothing more', async () => {
      const { rec, emit } = await fakePair();
      const file = path.join(src, 'quiet-writer.bin');
      fs.writeFileSync(file, 'start ');
      emit('add', 'quiet-writer.bin'); // then chokidar's throttle swallows every later write
      let lastWrite = 0;
      for (let i = 0; i < 10; i++) {
        await sleep(100);
        expect(rec.batches, `reported while still being written (write ${i})`).toEqual([]);
        fs.appendFileSync(file, `write ${i} `);
        lastWrite = performance.now();
      }
      const b = await rec.batchWith('source', 'quiet-writer.bin');
      expect(show(b)).toEqual(['add quiet-writer.bin']);
      expect(b.at).toBeGreaterThan(lastWrite);
    });

    it('does not send a file whose event arrived while it was being looked at', async () => {
      put(src, 'racy.txt');
      const { rec, emit } = await fakePair();
      let looks = 0;
      let eventAt = 0;
      const realLstat = fsp.lstat;
      // The second look is the one that would call the file settled: a write begins during it.
      const spy = vi.spyOn(fsp, 'lstat').mockImplementation((async (p: fs.PathLike) => {
        const st = await realLstat(p);
        if (String(p).endsWith('racy.txt') && ++looks === 2) {
          emit('change', 'racy.txt');
          eventAt = performance.now();
        }
        return st;
      }) as typeof fsp.lstat);
      try {
        emit('change', 'racy.txt');
        const b = await rec.batchWith('source', 'racy.txt');
        expect(show(b)).toEqual(['change racy.txt']);
        expect(looks).toBeGreaterThanOrEqual(4);
        expect(b.at - eventAt).toBeGreaterThan(250);
      } finally {
        spy.mockRestore();
      }
    });

    it('holds the whole side back while events keep coming, then sends one batch', async () => {
      put(src, 'busy.txt');
      put(src, 'other.txt');
      const { rec, emit } = await fakePair();
      emit('change', 'other.txt');
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) {
        // Events alone, with no change on disk, keep a path unsettled and its side busy.
        emit('change', 'busy.txt');
        await sleep(100);
        expect(rec.batches, `reported after event ${i}`).toEqual([]);
      }
      await rec.batchWith('source', 'busy.txt');
      expect(rec.on('source')).toEqual([['change busy.txt', 'change other.txt']]);
      expect(rec.batches[0]!.at - t0).toBeGreaterThan(900);
    });

    it('releases settled changes after maxHoldMs while another path never goes quiet', async () => {
      put(src, 'done.txt');
      put(src, 'log.txt');
      const { rec, emit } = await fakePair({ maxHoldMs: 800 });
      emit('change', 'done.txt');
      const t0 = performance.now();
      let writing = true;
      const writer = (async () => {
        // Events alone keep log.txt unsettled: it must not slip into the released batch.
        while (writing) {
          emit('change', 'log.txt');
          await sleep(50);
        }
      })();
      try {
        const b = await rec.batchWith('source', 'done.txt');
        expect(show(b)).toEqual(['change done.txt']);
        // Not before maxHoldMs (a timer never fires early); how late is the machine's business.
        expect(b.at - t0).toBeGreaterThanOrEqual(800);
      } finally {
        writing = false;
        await writer;
      }
      await rec.batchWith('source', 'log.txt');
      expect(rec.on('source')).toEqual([['change done.txt'], ['change log.txt']]);
    });
  });

  it('fails to start with context when a root is missing', async () => {
    const w = new PairWatcher({ source: path.join(root, 'nope'), target: dst });
    await expect(w.start()).rejects.toThrow(`opening ${path.join(root, 'nope')} to watch it`);
  });
});
