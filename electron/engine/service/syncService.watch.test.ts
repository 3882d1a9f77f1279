// The live service with the real watcher (chokidar) on temp folders: edits become pending or
// applied changes on their own, slow writes are never synced half-done, and a pair that cannot be
// watched still converges by rescans.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PairConfig, Result, SyncEvent } from '../../shared/syncApi.js';
import { SyncService } from './syncService.js';
import { createWatcherFactory } from './watcherFactory.js';
import { logFile, readLogTail } from './logFile.js';

let dir: string;
let src: string;
let dst: string;
let service: SyncService;
let events: SyncEvent[];

const ok = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};
const put = (root: string, rel: string, data: string | Buffer): void => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), data);
};
const readOrNull = (p: string | Buffer): string | null => {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
};

/** Resolves when `pred` holds, checked on every event and every 50 ms; rejects after `ms`. */
function until(pred: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      if (!pred()) return false;
      clearInterval(timer);
      off();
      resolve(Date.now() - t0);
      return true;
    };
    const timer = setInterval(() => {
      if (!check() && Date.now() - t0 > ms) {
        clearInterval(timer);
        off();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }
    }, 50);
    const off = service.on(() => void check());
    check();
  });
}

async function startPair(
  policy: Partial<PairConfig['policy']> = {},
  opts: {
    limit?: number;
    pollMs?: number;
    backend?: 'folders' | 'parcel' | 'chokidar';
    mode?: 'twoWay';
  } = {},
): Promise<PairConfig> {
  service = new SyncService({
    home: path.join(dir, 'home'),
    threads: 0,
    watcherFactory: createWatcherFactory({
      settleMs: 200,
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(opts.backend ? { backend: opts.backend } : {}),
    }),
    ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
  });
  events = [];
  service.on((e) => events.push(e));
  const pair = ok(
    await service.addPair({
      source: src,
      target: dst,
      policy: { autoApprove: false, autoApproveDeletes: false, maxAutoDeletes: 100, ...policy },
      ...(opts.mode ? { mode: opts.mode } : {}),
    }),
  );
  await until(
    () =>
      events.some(
        (e) =>
          e.type === 'pairStatus' &&
          e.status.pairId === pair.id &&
          (e.status.state === 'inSync' || e.status.state === 'pending'),
      ),
    10_000,
    'the first scan',
  );
  // The first scan does not wait for the watcher; the tests' edits are meant for a watched pair.
  await until(
    () =>
      events.some(
        (e) =>
          e.type === 'watcherHealth' &&
          e.pairId === pair.id &&
          (e.health.mode === 'watching' || e.health.mode === 'polling'),
      ),
    10_000,
    'the watcher',
  );
  return pair;
}

const pendingPaths = async (pairId: string): Promise<string[]> =>
  ok(await service.listPending({ pairId })).items.map((i) => i.path);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-live-'));
  src = path.join(dir, 'src');
  dst = path.join(dir, 'dst');
  fs.mkdirSync(src);
  fs.mkdirSync(dst);
  put(src, 'a.txt', 'alpha');
});
afterEach(async () => {
  await service?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('live pairs', () => {
  // How soon is bench:live's figure (no timing is asserted in a test): here, that it happens on its
  // own, and only as a pending change.
  it('turns an edit into a pending change on its own, once the file has settled', async () => {
    const pair = await startPair();
    let pending: string[] = [];
    const refresh = async (): Promise<void> => {
      pending = await pendingPaths(pair.id);
    };
    service.on((e) => {
      if (e.type === 'pendingChanged') void refresh();
    });
    put(src, 'notes/new.txt', 'fresh');
    await until(() => pending.includes('notes/new.txt'), 10_000, 'the edit to become pending');
    expect(fs.existsSync(path.join(dst, 'notes/new.txt'))).toBe(false);
  });

  it('applies an edit on its own with auto-approve, and holds a target edit as a conflict', async () => {
    const pair = await startPair({ autoApprove: true });
    await until(() => readOrNull(path.join(dst, 'a.txt')) === 'alpha', 5_000, 'the first sync');
    put(src, 'a.txt', 'alpha 2');
    await until(
      () => readOrNull(path.join(dst, 'a.txt')) === 'alpha 2',
      5_000,
      'the edit to be applied',
    );

    put(dst, 'a.txt', 'edited on the target');
    put(src, 'a.txt', 'alpha 3');
    let conflict = false;
    service.on((e) => {
      if (
        e.type === 'pendingChanged' &&
        e.added.some((p) => p.path === 'a.txt' && p.conflict === 'targetEdited')
      )
        conflict = true;
    });
    await until(() => conflict, 5_000, 'the conflict to be pending');
    expect(readOrNull(path.join(dst, 'a.txt'))).toBe('edited on the target');
    expect(ok(await service.status())[0]).toMatchObject({ pairId: pair.id, conflicts: 1 });
  });

  it('never syncs a file that is still being written', async () => {
    await startPair({ autoApprove: true });
    const file = path.join(src, 'slow.bin');
    const finalContent = Buffer.concat(
      Array.from({ length: 10 }, (_, i) => Buffer.alloc(10_000, 65 + i)),
    );
    const seen: number[] = [];
    const spy = setInterval(() => {
      const got = readOrNull(path.join(dst, 'slow.bin'));
      if (got !== null) seen.push(got.length);
    }, 25);
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < 10; i++) {
      fs.writeSync(fd, finalContent, i * 10_000, 10_000);
      await new Promise((r) => setTimeout(r, 200));
    }
    fs.closeSync(fd);
    await until(
      () => readOrNull(path.join(dst, 'slow.bin'))?.length === finalContent.length,
      5_000,
      'the finished file',
    );
    clearInterval(spy);
    expect(fs.readFileSync(path.join(dst, 'slow.bin')).equals(finalContent)).toBe(true);
    // Every look at the target saw either nothing or the whole file.
    expect(seen.every((n) => n === finalContent.length)).toBe(true);
  });

  it('merges a burst of 1,000 writes into a few cycles', async () => {
    await startPair({ autoApprove: true });
    let cycles = 0;
    service.on((e) => {
      if (e.type === 'pairStatus' && e.status.state === 'scanning') cycles++;
    });
    for (let i = 0; i < 1000; i++) put(src, `burst/f${i % 20}.txt`, `write ${i}`);
    await until(
      () => readOrNull(path.join(dst, 'burst/f19.txt')) === 'write 999',
      10_000,
      'the burst to land',
    );
    expect(readOrNull(path.join(dst, 'burst/f0.txt'))).toBe('write 980');
    expect(cycles).toBeLessThan(15);
  });

  it.each(['folders', 'parcel', 'chokidar'] as const)(
    'syncs an edit to a name that is not UTF-8 in a watched pair (%s)',
    async (backend) => {
      const latin1 = (root: string, name: string) => Buffer.from(`${root}/${name}`, 'latin1');
      fs.mkdirSync(latin1(src, 'caf\xe9'));
      fs.writeFileSync(latin1(src, 'caf\xe9/in.txt'), 'v1');
      // chokidar cannot see such a name: the pair is rescanned on a timer as well (pollMs here).
      await startPair({ autoApprove: true, autoApproveDeletes: true }, { pollMs: 300, backend });
      await until(
        () => readOrNull(latin1(dst, 'caf\xe9/in.txt')) === 'v1',
        10_000,
        'the first copy',
      );
      fs.writeFileSync(latin1(src, 'caf\xe9/in.txt'), 'v2, edited live');
      await until(
        () => readOrNull(latin1(dst, 'caf\xe9/in.txt')) === 'v2, edited live',
        15_000,
        'the edit',
      );
      const said = events.filter((e) => e.type === 'error' && /not valid UTF-8/.test(e.message));
      // Said once where the watcher cannot see such names, never where it can.
      expect(said).toHaveLength(backend === 'chokidar' ? 1 : 0);
    },
  );

  it.each([
    ['folders', 'mirror'],
    ['parcel', 'mirror'],
    ['chokidar', 'mirror'],
    ['folders', 'twoWay'],
  ] as const)(
    'an edit is planned from the paths the watcher (%s) named: its cycle lists its folders, not the pair (%s)',
    async (backend, mode) => {
      // 6 folders of 10 files: the pair holds 67 entries a side, the edited file's cycle lists
      // the root's 7 and the folder's 10 (on both sides).
      for (let d = 0; d < 6; d++)
        for (let f = 0; f < 10; f++) put(src, `d${d}/f${f}.txt`, `file ${d}/${f}`);
      await startPair(
        { autoApprove: true, autoApproveDeletes: true },
        { backend, ...(mode === 'twoWay' ? { mode } : {}) },
      );
      const logged = (): Record<string, unknown>[] =>
        readLogTail(logFile(path.join(dir, 'home')), 5_000)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => l.msg === 'cycle');
      // Until a walk has begun with the watcher up, only a walk can know the pair.
      await until(
        () => logged().some((c) => c.walkedWatched === true),
        10_000,
        'a walk of the watched pair',
      );
      expect(readOrNull(path.join(dst, 'd5/f9.txt'))).toBe('file 5/9');
      const before = logged().length;
      put(src, 'd3/f4.txt', 'edited');
      put(src, 'd3/new.txt', 'new');
      fs.rmSync(path.join(src, 'd1'), { recursive: true });
      await until(
        () =>
          readOrNull(path.join(dst, 'd3/f4.txt')) === 'edited' &&
          readOrNull(path.join(dst, 'd3/new.txt')) === 'new' &&
          !fs.existsSync(path.join(dst, 'd1')),
        10_000,
        'the edits to be applied',
      );
      // The cycle that applied them looked at what changed: 7 + 10 + 10 entries a side (d1 is
      // listed on the target, where it still was), never the pair's 67.
      await until(
        () =>
          logged()
            .slice(before)
            .some((c) => typeof c.applied === 'number' && c.applied > 0),
        10_000,
        'the cycle to be logged',
      );
      const applying = logged()
        .slice(before)
        .filter((c) => typeof c.applied === 'number' && c.applied > 0);
      expect(applying.length).toBeGreaterThan(0);
      for (const c of applying) {
        expect(c.listed, JSON.stringify(c)).toBeTypeOf('number');
        expect(c.listed as number).toBeLessThan(2 * 67);
      }
      expect(fs.readFileSync(path.join(dst, 'd0/f0.txt'), 'utf8')).toBe('file 0/0');
      if (mode !== 'twoWay') return;
      // Two-way: an edit on B comes back to A the same way, from B's paths alone.
      const mark = logged().length;
      put(dst, 'd4/f2.txt', 'edited on B');
      await until(
        () => readOrNull(path.join(src, 'd4/f2.txt')) === 'edited on B',
        10_000,
        'the edit on B to reach A',
      );
      await until(
        () =>
          logged()
            .slice(mark)
            .some((c) => typeof c.applied === 'number' && c.applied > 0),
        10_000,
        'the cycle to be logged',
      );
      for (const c of logged()
        .slice(mark)
        .filter((c) => typeof c.applied === 'number' && c.applied > 0))
        expect(c.listed as number, JSON.stringify(c)).toBeLessThan(2 * 67);
      expect(readOrNull(path.join(src, 'd1/f0.txt'))).toBeNull();
    },
  );

  it('reports a pair it cannot watch, with the fix, and still converges by rescans', async () => {
    const pair = await startPair({ autoApprove: true }, { limit: 1, pollMs: 400 });
    const health = ok(await service.watcherHealth(pair.id));
    expect(health.mode).toBe('polling');
    expect(health.problem).toMatch(/max_user_watches/);
    put(src, 'later.txt', 'seen by a rescan');
    await until(
      () => readOrNull(path.join(dst, 'later.txt')) === 'seen by a rescan',
      5_000,
      'a rescan to apply it',
    );
  });
});
