// The sync service on real temp folders, driven through its SyncApi (scans requested directly;
// the watcher is covered in syncService.watch.test.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  PairConfig,
  PendingChange,
  Result,
  Selection,
  SyncEvent,
} from '../../shared/syncApi.js';
import { SyncService, type ServiceOptions } from './syncService.js';

let dir: string;
let src: string;
let dst: string;
let home: string;
let service: SyncService;
let events: SyncEvent[];

const ok = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
};
const put = (root: string, rel: string, data: string | Buffer): void => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), data);
};
const read = (root: string, rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');
const start = async (opts: ServiceOptions = {}): Promise<SyncService> => {
  // quietMs 0: these tests write and scan at once; waiting for quiet files is tested with the watcher.
  service = new SyncService({ home, threads: 0, quietMs: 0, ...opts });
  events = [];
  service.on((e) => events.push(e));
  await service.start();
  return service;
};
const pending = async (pairId: string): Promise<PendingChange[]> =>
  ok(await service.listPending({ pairId })).items;
/** The rows a person sees for these paths, as approve and reject want them: path and rev. */
const shown = async (pairId: string, paths: string[]): Promise<Selection> => {
  const items = await pending(pairId);
  return {
    pairId,
    changes: paths.map((p) => {
      const it = items.find((i) => i.path === p);
      if (!it) throw new Error(`${p} is not pending`);
      return { path: p, rev: it.rev };
    }),
  };
};
/** A pair of src and dst that applies changes on its own, deletions too (up to 10) unless not. */
const addAutoPair = async ({ deletes = true } = {}): Promise<PairConfig> =>
  ok(
    await service.addPair({
      source: src,
      target: dst,
      policy: { autoApprove: true, autoApproveDeletes: deletes, maxAutoDeletes: 10 },
    }),
  );
/** The whole pending list as a person sees it now. */
const shownList = async (pairId: string): Promise<Selection> => {
  const page = ok(await service.listPending({ pairId }));
  return { pairId, list: { listId: page.listId, revision: page.revision } };
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-service-'));
  src = path.join(dir, 'src');
  dst = path.join(dir, 'dst');
  home = path.join(dir, 'home');
  fs.mkdirSync(src);
  put(src, 'a.txt', 'alpha');
  put(src, 'docs/b.txt', 'bravo');
});
afterEach(async () => {
  await service?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SyncService', () => {
  it('pages through pending changes with totals for the whole query, and keeps events small', async () => {
    for (let i = 0; i < 250; i++) put(src, `many/f${String(i).padStart(3, '0')}.txt`, `file ${i}`);
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    // 250 files, the folder `many`, a.txt, docs and docs/b.txt
    const page = ok(await service.listPending({ pairId: pair.id, offset: 200, limit: 100 }));
    expect(page.total).toBe(254);
    expect(page.items.map((i) => i.path)).toEqual(
      // a.txt, docs, docs/b.txt and many come first in path order
      Array.from({ length: 54 }, (_, i) => `many/f${String(i + 196).padStart(3, '0')}.txt`),
    );
    expect(page.bytesToWrite).toBe(
      ok(await service.listPending({ pairId: pair.id, limit: 1000 })).items.reduce(
        (n, i) => n + i.bytesToWrite,
        0,
      ),
    );
    const filtered = ok(await service.listPending({ pairId: pair.id, pathContains: 'docs' }));
    expect([filtered.total, filtered.conflicts]).toEqual([2, 0]);
    // A rejection shows in the next page of the same query (the cached sort is not stale).
    ok(await service.reject(await shown(pair.id, ['docs/b.txt'])));
    const again = ok(await service.listPending({ pairId: pair.id, pathContains: 'docs' }));
    expect(again.items.map((i) => i.path)).toEqual(['docs']);
    const changed = events.filter((e) => e.type === 'pendingChanged');
    const first = changed[0]!;
    expect(first.type === 'pendingChanged' && [first.added.length, first.addedCount]).toEqual([
      100, 254,
    ]);
  });

  it('lists a new pair’s changes as pending, applies them when approved, and records history', async () => {
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    const items = await pending(pair.id);
    expect(items.map((i) => `${i.kind} ${i.path}`).sort()).toEqual([
      'create a.txt',
      'create docs',
      'create docs/b.txt',
    ]);
    expect(
      items.every((i) => !i.approved && i.needsPerson === 'auto-approve is off for this pair'),
    ).toBe(true);
    expect(fs.existsSync(path.join(dst, 'a.txt'))).toBe(false);

    expect(ok(await service.approve(await shown(pair.id, ['docs/b.txt'])))).toEqual({
      done: 1,
      changed: [],
      changedCount: 0,
      gone: 0,
    });
    await service.scanNow(pair.id); // waits for the apply the approval started
    expect(read(dst, 'docs/b.txt')).toBe('bravo');
    expect(fs.existsSync(path.join(dst, 'a.txt'))).toBe(false);
    expect((await pending(pair.id)).map((i) => i.path)).toEqual(['a.txt']);
    const history = ok(await service.listHistory(pair.id));
    expect(history.map((h) => `${h.outcome} ${h.path}`).sort()).toEqual([
      'applied docs',
      'applied docs/b.txt',
    ]);
    expect(events.some((e) => e.type === 'applied' && e.pairId === pair.id)).toBe(true);
  });

  it('lists, approves and records names that are not UTF-8 by their exact bytes', async () => {
    // Two latin-1 names one byte apart: as text with replacement characters they would be one.
    const latin1 = (name: string) => Buffer.from(`${src}/${name}`, 'latin1');
    fs.writeFileSync(latin1('caf\xe9.txt'), 'e9');
    fs.writeFileSync(latin1('caf\xe8.txt'), 'e8');
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    const e9 = 'caf\udce9.txt';
    expect((await pending(pair.id)).map((i) => i.path)).toEqual(
      expect.arrayContaining([e9, 'caf\udce8.txt']),
    );
    ok(await service.approve(await shown(pair.id, [e9])));
    await service.scanNow(pair.id);
    expect(fs.readFileSync(Buffer.from(`${dst}/caf\xe9.txt`, 'latin1'), 'utf8')).toBe('e9');
    expect(fs.existsSync(Buffer.from(`${dst}/caf\xe8.txt`, 'latin1'))).toBe(false);
    expect((await pending(pair.id)).map((i) => i.path)).toContain('caf\udce8.txt');
    const history = ok(await service.listHistory(pair.id));
    expect(history.map((h) => `${h.outcome} ${h.path}`)).toEqual([`applied ${e9}`]);
  });

  it('auto-approves what the target still holds from Tandem, but holds a target edit as a conflict', async () => {
    await start();
    const pair = await addAutoPair({ deletes: false });
    ok(await service.scanNow(pair.id));
    expect(read(dst, 'a.txt')).toBe('alpha');
    expect(await pending(pair.id)).toEqual([]);

    put(src, 'a.txt', 'alpha 2');
    put(dst, 'docs/b.txt', 'edited on the target');
    put(src, 'docs/b.txt', 'bravo 2');
    ok(await service.scanNow(pair.id));
    expect(read(dst, 'a.txt')).toBe('alpha 2');
    expect(read(dst, 'docs/b.txt')).toBe('edited on the target');
    const [conflict] = await pending(pair.id);
    expect(conflict).toMatchObject({
      path: 'docs/b.txt',
      kind: 'update',
      conflict: 'targetEdited',
      approved: false,
    });
    expect(conflict!.needsPerson).toMatch(/target changed since Tandem last wrote it/);

    ok(await service.approve(await shownList(pair.id)));
    await service.scanNow(pair.id);
    expect(read(dst, 'docs/b.txt')).toBe('bravo 2');
    const kept = ok(await service.listVersions(pair.id, 'docs/b.txt'));
    expect(kept.length).toBeGreaterThan(0);
  });

  it('keeps pending changes and approvals across a restart', async () => {
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    ok(await service.pausePair(pair.id, true));
    // Paused: an approval is recorded but nothing is applied.
    expect(ok(await service.approve(await shown(pair.id, ['a.txt']))).done).toBe(1);
    await service.stop();

    await start();
    const again = await pending(pair.id);
    expect(again.map((i) => [i.path, i.approved])).toEqual([
      ['a.txt', true],
      ['docs', false],
      ['docs/b.txt', false],
    ]);
    ok(await service.pausePair(pair.id, false));
    ok(await service.syncNow(pair.id));
    expect(read(dst, 'a.txt')).toBe('alpha');
    expect(fs.existsSync(path.join(dst, 'docs'))).toBe(false);
  });

  it('drops an approval when the change it approved moves on (approvals bind to the ids shown)', async () => {
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.pausePair(pair.id, true));
    ok(await service.scanNow(pair.id));
    ok(await service.approve(await shown(pair.id, ['a.txt'])));
    put(src, 'a.txt', 'changed after the approval');
    ok(await service.pausePair(pair.id, false));
    await service.scanNow(pair.id);
    const a = (await pending(pair.id)).find((i) => i.path === 'a.txt');
    expect(a).toMatchObject({ approved: false });
    expect(fs.existsSync(path.join(dst, 'a.txt'))).toBe(false);
  });

  it('does not apply a newer version that a rescan found between listing and approving', async () => {
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    const seen = await shown(pair.id, ['a.txt']);
    // The source moves on and a rescan lists the new version before the click lands.
    put(src, 'a.txt', 'a version nobody was shown');
    ok(await service.scanNow(pair.id));
    const outcome = ok(await service.approve(seen));
    await service.scanNow(pair.id); // waits for any cycle the approval started
    expect(fs.existsSync(path.join(dst, 'a.txt'))).toBe(false);
    expect(outcome).toEqual({ done: 0, changed: ['a.txt'], changedCount: 1, gone: 0 });
    const a = (await pending(pair.id)).find((i) => i.path === 'a.txt')!;
    expect(a.approved).toBe(false);
    expect(a.rev).not.toBe(seen.changes![0]!.rev);
    // Shown again, it can be approved.
    ok(await service.approve(await shown(pair.id, ['a.txt'])));
    await service.scanNow(pair.id);
    expect(read(dst, 'a.txt')).toBe('a version nobody was shown');
  });

  it('"approve all" approves the list as shown, not what is pending at the click', async () => {
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    const seen = await shownList(pair.id);
    put(src, 'late.txt', 'arrived after the list was shown');
    put(src, 'docs/b.txt', 'bravo, edited after the list was shown');
    ok(await service.scanNow(pair.id));
    const outcome = ok(await service.approve(seen));
    // A folder's id covers what it holds, so `docs` moved on with docs/b.txt.
    expect(outcome.done).toBe(1);
    expect([...outcome.changed].sort()).toEqual(['docs', 'docs/b.txt', 'late.txt']);
    await service.scanNow(pair.id);
    expect(read(dst, 'a.txt')).toBe('alpha');
    expect(fs.existsSync(path.join(dst, 'late.txt'))).toBe(false);
    expect(fs.existsSync(path.join(dst, 'docs'))).toBe(false);
    expect((await pending(pair.id)).map((i) => [i.path, i.approved])).toEqual([
      ['docs', false],
      ['docs/b.txt', false],
      ['late.txt', false],
    ]);
  });

  it('"approve all" under a filter approves only the rows that matched it, minus those unticked', async () => {
    put(src, 'docs/c.txt', 'charlie');
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.pausePair(pair.id, true));
    ok(await service.scanNow(pair.id));
    const page = ok(await service.listPending({ pairId: pair.id, pathContains: 'docs/' }));
    const outcome = ok(
      await service.approve({
        pairId: pair.id,
        list: {
          listId: page.listId,
          revision: page.revision,
          pathContains: 'docs/',
          except: ['docs/c.txt'],
        },
      }),
    );
    expect(outcome.done).toBe(1);
    expect((await pending(pair.id)).filter((i) => i.approved).map((i) => i.path)).toEqual([
      'docs/b.txt',
    ]);
  });

  it('rejects only what was shown', async () => {
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    const seen = await shown(pair.id, ['a.txt']);
    put(src, 'a.txt', 'newer');
    ok(await service.scanNow(pair.id));
    expect(ok(await service.reject(seen))).toMatchObject({ done: 0, changed: ['a.txt'] });
    expect((await pending(pair.id)).map((i) => i.path)).toContain('a.txt');
  });

  it('applies a move as a rename on the target', async () => {
    await start();
    put(src, 'big/data.bin', Buffer.alloc(300_000, 7));
    const pair = await addAutoPair();
    ok(await service.scanNow(pair.id));
    const ino = fs.statSync(path.join(dst, 'big/data.bin')).ino;
    fs.mkdirSync(path.join(src, 'moved'));
    fs.renameSync(path.join(src, 'big/data.bin'), path.join(src, 'moved/data.bin'));
    ok(await service.scanNow(pair.id));
    expect(fs.statSync(path.join(dst, 'moved/data.bin')).ino).toBe(ino);
    expect(fs.existsSync(path.join(dst, 'big/data.bin'))).toBe(false);
    const history = ok(await service.listHistory(pair.id));
    expect(
      history.some(
        (h) => h.kind === 'rename' && h.path === 'moved/data.bin' && h.outcome === 'applied',
      ),
    ).toBe(true);
  });

  it('rejects a change until it changes again', async () => {
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    expect(ok(await service.reject(await shown(pair.id, ['a.txt']))).done).toBe(1);
    await service.scanNow(pair.id);
    expect((await pending(pair.id)).map((i) => i.path)).not.toContain('a.txt');
    put(src, 'a.txt', 'new content');
    await service.scanNow(pair.id);
    expect((await pending(pair.id)).map((i) => i.path)).toContain('a.txt');
  });

  it('restores a kept version of a deleted file, and then holds it from being deleted again', async () => {
    await start();
    const pair = await addAutoPair();
    put(src, 'keep.txt', 'stays');
    ok(await service.scanNow(pair.id));
    fs.rmSync(path.join(src, 'a.txt'));
    ok(await service.scanNow(pair.id));
    expect(fs.existsSync(path.join(dst, 'a.txt'))).toBe(false);

    const [v] = ok(await service.listVersions(pair.id, 'a.txt'));
    expect(v).toMatchObject({ pairId: pair.id, path: 'a.txt', kind: 'file', size: 5 });
    ok(await service.restoreVersion(pair.id, 'a.txt', v!.run, v!.stored));
    expect(read(dst, 'a.txt')).toBe('alpha');
    await service.scanNow(pair.id);
    expect(read(dst, 'a.txt')).toBe('alpha');
    const [held] = await pending(pair.id);
    expect(held).toMatchObject({ path: 'a.txt', kind: 'delete', conflict: 'targetUnknown' });
    const missing = await service.restoreVersion(pair.id, 'a.txt', 'no-such-run', '1');
    expect(missing.ok).toBe(false);
  });

  it('records history in a person’s terms: sizes, whether a version was kept, when a restore was kept', async () => {
    await start();
    const pair = await addAutoPair();
    put(src, 'eight.txt', '8 bytes!');
    ok(await service.scanNow(pair.id));
    put(src, 'eight.txt', 'now 12 bytes');
    ok(await service.scanNow(pair.id));
    const row = (h: { path: string; kind: string }) => `${h.kind} ${h.path}`;
    const first = ok(await service.listHistory(pair.id));
    const byRow = new Map(first.map((h) => [row(h), h]));
    // New files and folders replaced nothing: no version to offer.
    expect(byRow.get('create a.txt')).toMatchObject({ entry: 'file', keptVersion: false });
    expect(byRow.get('create docs')).toMatchObject({ entry: 'dir', keptVersion: false });
    expect(byRow.get('update eight.txt')).toMatchObject({
      entry: 'file',
      bytes: 12,
      keptVersion: true,
    });

    const [v] = ok(await service.listVersions(pair.id, 'eight.txt'));
    expect(v).toMatchObject({ size: 8 });
    ok(await service.restoreVersion(pair.id, 'eight.txt', v!.run, v!.stored));
    const [restored] = ok(await service.listHistory(pair.id, 0, 1));
    expect(restored).toMatchObject({
      path: 'eight.txt',
      kind: 'update',
      entry: 'file',
      bytes: 8,
      outcome: 'restored',
      keptVersion: true,
      restoredFrom: v!.time,
    });
    expect(restored!.message).toBeUndefined();
  });

  it('refuses a target whose marker is gone until a person confirms it, then asks before replacing anything', async () => {
    await start();
    const pair = await addAutoPair();
    ok(await service.scanNow(pair.id));
    expect(read(dst, 'a.txt')).toBe('alpha');
    // Another folder now sits where the target was (a swapped disk): no marker in it.
    fs.rmSync(path.join(dst, '.tandem', 'pair.json'));
    put(src, 'a.txt', 'alpha 2');
    const refused = ok(await service.scanNow(pair.id));
    expect(refused.state).toBe('error');
    expect(refused.targetChanged).toMatch(/has no \.tandem marker, yet this pair synced it before/);
    expect(refused.targetChanged).toMatch(/choose "This is the right folder"/);
    expect(refused.targetChanged).not.toMatch(/--confirm-target|--force/);
    expect(read(dst, 'a.txt')).toBe('alpha');
    // A restore is refused the same way, in the same words.
    const restore = await service.restoreVersion(pair.id, 'a.txt', 'r', '1');
    expect(!restore.ok && restore.error.message).toBe(refused.targetChanged);

    const confirmed = ok(await service.confirmTarget(pair.id));
    expect(confirmed.targetChanged).toBeUndefined();
    expect(confirmed.state).toBe('pending');
    // Confirmed, the folder's content is unknown to Tandem: replacing it waits for a person,
    // even under auto-approve.
    expect(read(dst, 'a.txt')).toBe('alpha');
    const [a] = await pending(pair.id);
    expect(a).toMatchObject({ path: 'a.txt', conflict: 'targetUnknown', approved: false });
    // Confirming is for a refused target only.
    expect(await service.confirmTarget(pair.id)).toMatchObject({
      ok: false,
      error: { code: 'refused' },
    });
    expect(events.some((e) => e.type === 'pairStatus' && e.status.targetChanged)).toBe(true);
  });

  it('keeps a structured log in the state folder: cycles with timings and counts, approvals, refusals', async () => {
    await start();
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    ok(await service.approve(await shown(pair.id, ['a.txt'])));
    await service.scanNow(pair.id);
    fs.rmSync(path.join(dst, '.tandem', 'pair.json'));
    ok(await service.scanNow(pair.id));

    const tail = ok(await service.logTail(100));
    expect(tail.path).toBe(path.join(home, 'logs', 'tandem.log'));
    const lines = tail.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'service started', pairs: 0 });
    const cycles = lines.filter((l) => l.msg === 'cycle' && l.pair === pair.id);
    const applied = cycles.find((c) => c.applied === 1)!;
    expect(applied).toMatchObject({ planned: 3, chosen: 1, failed: 0, bytesWritten: 5 });
    const times = applied.ms as Record<string, number>;
    expect(Object.keys(times).sort()).toEqual(['apply', 'open', 'plan', 'total']);
    expect(Object.values(times).every((t) => Number.isInteger(t) && t >= 0)).toBe(true);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'approved', pair: pair.id, by: 'rows', done: 1 }),
    );
    const refused = lines.find((l) => l.msg === 'target refused')!;
    expect(refused).toMatchObject({ level: 'warn', pair: pair.id });
    // The log keeps the engine's own words; the UI gets its own sentence.
    expect(refused.refusal).toMatch(/has no \.tandem marker, yet this pair synced it before/);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        pair: pair.id,
        msg: expect.stringMatching(/has no \.tandem marker/),
      }),
    );
    expect(ok(await service.logTail(2)).lines).toEqual(tail.lines.slice(-2));
  });

  it('logs at the level it is given', async () => {
    await start({ logLevel: 'warn' });
    const pair = ok(await service.addPair({ source: src, target: dst }));
    ok(await service.scanNow(pair.id));
    expect(ok(await service.logTail()).lines).toEqual([]);
    await service.stop();
    await start({ logLevel: 'debug' });
    ok(await service.scanNow(pair.id));
    const msgs = ok(await service.logTail()).lines.map(
      (l) => (JSON.parse(l) as { msg: string }).msg,
    );
    expect(msgs).toEqual(expect.arrayContaining(['service started', 'cycle']));
  });

  it('never makes anew a target it has used: a missing one is refused, not replaced by an empty folder', async () => {
    await start();
    const pair = await addAutoPair({ deletes: false });
    ok(await service.scanNow(pair.id));
    expect(read(dst, 'a.txt')).toBe('alpha');
    await service.stop();
    fs.rmSync(dst, { recursive: true }); // the disk is not mounted
    await start();
    const refused = ok(await service.scanNow(pair.id));
    expect(fs.existsSync(dst)).toBe(false);
    expect(refused.targetChanged).toMatch(/is missing, but this pair has synced it before/);
  });

  it('answers bad input with errors as data', async () => {
    await start();
    const missing = await service.addPair({ source: path.join(dir, 'nope'), target: dst });
    expect(missing).toMatchObject({ ok: false, error: { code: 'refused' } });
    expect(!missing.ok && missing.error.message).toMatch(/source folder not found/);
    const nested = await service.addPair({ source: src, target: path.join(src, 'inside') });
    expect(!nested.ok && nested.error.message).toMatch(/inside source/);
    expect(await service.scanNow('no-such-pair')).toMatchObject({
      ok: false,
      error: { code: 'refused' },
    });
    const pair = ok(await service.addPair({ source: src, target: dst }));
    expect(await service.updatePair(pair.id, { scheme: 'md4' })).toMatchObject({
      ok: false,
      error: { code: 'refused' },
    });
    expect(
      await service.updatePair(pair.id, { schedule: { kind: 'interval', minutes: 0 } }),
    ).toMatchObject({ ok: false });
    // A selection must say what was shown: not "everything", not paths without their revs.
    for (const sel of [
      { pairId: pair.id },
      { pairId: pair.id, paths: ['a.txt'] },
      { pairId: pair.id, changes: [{ path: 'a.txt' }] },
      { pairId: pair.id, list: { revision: 3 } },
      { pairId: pair.id, changes: [], list: { listId: 'x', revision: 0 } },
    ])
      expect(await service.approve(sel as unknown as Selection)).toMatchObject({
        ok: false,
        error: { code: 'invalid' },
      });
    expect(
      await service.approve({ pairId: pair.id, list: { listId: 'another list', revision: 99 } }),
    ).toMatchObject({ ok: false, error: { code: 'refused' } });
  });
});
